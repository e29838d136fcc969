"""The generated organization: Salesforce accounts, Zendesk organizations, users, tickets,
ratings, SLA events (and PagerDuty / GitLab seed data), with a manifest of what was planted.

`generate(store, seed, scale, now)` is deterministic: the same arguments give a
byte-identical store. Scale 1.0 ≈ 1,000 accounts, ~700 organizations, ~3,000 users and
~6,000 tickets over six months; tickets (and everything else) grow linearly with scale.
"""

from __future__ import annotations

import logging
import time
from datetime import UTC, datetime

from sandbox.core.collections import MANIFEST_KEY
from sandbox.core.store import Store
from sandbox.generate.accounts import build_crm
from sandbox.generate.catalog import write_catalog, write_views
from sandbox.generate.manifest import compute_defects, oncall_findings
from sandbox.generate.shared_records import plant as plant_shared_records
from sandbox.generate.tickets import build_tickets
from sandbox.generate.users import build_users
from sandbox.generate.util import parse_now, rng_for, zd_time

log = logging.getLogger("sandbox")


def _seed_ops(store: Store, now: int) -> dict[str, object]:
    """PagerDuty and GitLab seed data (each beside its service: pagerduty/seed.py, gitlab/seed.py)."""
    from sandbox.gitlab.seed import seed_gitlab
    from sandbox.pagerduty.seed import seed_pagerduty

    counts: dict[str, object] = {}
    counts.update(seed_pagerduty(store, datetime.fromtimestamp(now, UTC)))
    counts.update(seed_gitlab(store))
    return counts


def generate(store: Store, seed: int = 42, scale: float = 1.0, now: str | None = None) -> dict:
    """Fill `store` with the generated organization; return (and store) the manifest."""
    started = time.monotonic()
    now_epoch = parse_now(now)
    conn = store.conn
    conn.execute("PRAGMA cache_size=-65536")  # 64 MiB page cache for this connection's bulk load
    crm = build_crm(store, rng_for(seed, "crm"), scale, now_epoch)
    people = build_users(store, rng_for(seed, "users"), scale, now_epoch, crm.orgs)
    write_catalog(store, now_epoch)
    factory = build_tickets(store, rng_for(seed, "tickets"), scale, now_epoch, crm.orgs, people)
    write_views(store, now_epoch, factory.views)
    ops = _seed_ops(store, now_epoch)
    manifest = {
        "seed": seed,
        "scale": scale,
        "now": zd_time(now_epoch),
        "counts": dict(sorted(store.collections().items())),
        "defects": compute_defects(store),
        "csat": factory.tally.summary(),
        "tickets": {
            "near_breach_ticket_ids": sorted(factory.near_breach),
            "merged_ticket_ids": factory.kinds["merged"],
            "mail_list_ticket_ids": factory.kinds["mail_list"],
            "gitlab_team_ticket_ids": factory.kinds["gitlab_team"],
            "deleted_ticket_ids": factory.kinds["deleted"],
        },
        "notes": {key: value for key, value in sorted(crm.notes.items())},
        "seed_ops": ops.get("seed_ops", "seeded"),
        "oncall_findings": oncall_findings(now_epoch) if "seed_ops" not in ops else [],
    }
    manifest.update(plant_shared_records(store, rng_for(seed, "shared_records"), now_epoch))
    store.set_meta(MANIFEST_KEY, manifest)
    log.info("sandbox: generated %s in %.1fs", manifest["counts"], time.monotonic() - started)
    return manifest
