"""The REST API calls the UI test needs: the DAG list, and runs so that reports exist.

Reports are written by DAG runs, so a freshly started project has none: the test lets the
scheduled and Asset-triggered runs finish, then triggers each DAG that has not run at all (a
weekly or morning schedule), and waits for those too, within one time budget.
"""

from __future__ import annotations

import time
from pathlib import Path

import requests

FINISHED = ("success", "failed")


class AirflowApi:
    """`/api/v2` with the JWT of `/auth/token`."""

    def __init__(self, base_url: str, token: str):
        self.base = base_url
        self.session = requests.Session()
        self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, **params) -> dict:
        resp = self.session.get(f"{self.base}/api/v2/{path}", params=params, timeout=30)
        resp.raise_for_status()
        return resp.json()

    def dag_ids(self) -> list[str]:
        return sorted(d["dag_id"] for d in self.get("dags", limit=100)["dags"])

    def wait_for_dags(self, wanted: set[str], timeout: float) -> list[str]:
        """The listed DAGs once every file of dags/ is among them (the dag-processor is parsing)."""
        deadline = time.monotonic() + timeout
        while not wanted <= set(ids := self.dag_ids()) and time.monotonic() < deadline:
            time.sleep(3)
        return ids

    def runs(self, dag_id: str) -> list[dict]:
        return self.get(f"dags/{dag_id}/dagRuns", order_by="-run_after", limit=20)["dag_runs"]

    def trigger(self, dag_id: str) -> None:
        resp = self.session.post(f"{self.base}/api/v2/dags/{dag_id}/dagRuns", json={"logical_date": None},
                                 timeout=30)
        resp.raise_for_status()

    def _wait_finished(self, dag_ids: list[str], deadline: float) -> dict[str, str | None]:
        """Each DAG that has runs has a finished one (DAGs running every 10 minutes keep
        starting new runs, so "the latest run finished" may never be true)."""
        while True:
            state: dict[str, str | None] = {}
            for dag_id in dag_ids:
                runs = self.runs(dag_id)
                done = [r["state"] for r in runs if r["state"] in FINISHED]
                state[dag_id] = ("success" if "success" in done else done[0]) if done else \
                    (runs[0]["state"] if runs else None)
            pending = [d for d, s in state.items() if s is not None and s not in FINISHED]
            if not pending or time.monotonic() > deadline:
                return state
            time.sleep(5)

    def settle_runs(self, dag_ids: list[str], budget: float) -> dict[str, str | None]:
        """Let scheduled runs finish, trigger the DAGs that never ran, let those finish.

        Returns each DAG's outcome: success, failed, a state still in progress when the
        budget ran out, or None.
        """
        deadline = time.monotonic() + budget
        state = self._wait_finished(dag_ids, deadline)
        never_ran = [d for d, s in state.items() if s is None]
        for dag_id in never_ran:
            self.trigger(dag_id)
        return {**state, **self._wait_finished(never_ran, deadline)}


def dag_files(dags_folder: Path) -> set[str]:
    """The DAG ids the project ships: one DAG per file, named as the file."""
    return {p.stem for p in dags_folder.glob("*.py") if not p.name.startswith("_")}
