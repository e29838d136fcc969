"""The integrity DAG's schedule never runs for a slot that passed before it was switched on."""

from __future__ import annotations

import datetime as dt

from airflow.timetables.base import DataInterval, TimeRestriction
from airflow.timetables.trigger import CronTriggerTimetable

from support_ops.schedules import FromNowCronTriggerTimetable

START = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
NO_CATCHUP = TimeRestriction(earliest=START, latest=None, catchup=False)


def test_first_run_is_the_next_slot_not_the_one_that_passed():
    now = dt.datetime.now(dt.UTC)
    ours = FromNowCronTriggerTimetable("0 6 * * *", timezone="UTC")
    airflows = CronTriggerTimetable("0 6 * * *", timezone="UTC")
    first = ours.next_dagrun_info(last_automated_data_interval=None, restriction=NO_CATCHUP)
    stock = airflows.next_dagrun_info(last_automated_data_interval=None, restriction=NO_CATCHUP)
    assert stock.run_after <= now  # Airflow's own: a run at once, for a past slot
    assert now < first.run_after <= now + dt.timedelta(days=1)
    assert (first.run_after.hour, first.run_after.minute) == (6, 0)


def test_later_runs_follow_the_cron_unchanged():
    ours = FromNowCronTriggerTimetable("0 6 * * *", timezone="UTC")
    last = DataInterval(dt.datetime(2026, 11, 19, 6, tzinfo=dt.UTC), dt.datetime(2026, 11, 19, 6, tzinfo=dt.UTC))
    catchup = TimeRestriction(earliest=START, latest=None, catchup=True)
    nxt = ours.next_dagrun_info(last_automated_data_interval=last, restriction=catchup)
    assert nxt.run_after == dt.datetime(2026, 11, 20, 6, tzinfo=dt.UTC)


def test_the_dag_uses_it_and_it_survives_serialization():
    from airflow.models import DagBag
    from airflow.serialization.serialized_objects import DagSerialization

    from tests.dags.test_dag_integrity import DAGS_DIR

    dag = DagBag(dag_folder=str(DAGS_DIR / "crm_integrity.py")).dags["crm_integrity"]
    back = DagSerialization.from_dict(DagSerialization.to_dict(dag))
    assert isinstance(back.timetable.timetable, FromNowCronTriggerTimetable)
    info = back.timetable.next_dagrun_info(last_automated_data_interval=None, restriction=NO_CATCHUP)
    assert info.run_after > dt.datetime.now(dt.UTC)
