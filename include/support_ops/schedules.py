"""Schedules that never run for a time slot before the DAG was first switched on.

Airflow's cron trigger with `catchup=False` still creates one run, at once, for the most recent
slot that has already passed: switched on at 05:00, a daily 06:00 DAG runs for *yesterday*
(an out-of-order report, a second "first run" message). `FromNowCronTriggerTimetable` waits
for the next slot instead, on the first scheduled run only; afterwards it is Airflow's cron
trigger unchanged. It is registered with Airflow by `plugins/support_ops_timetables.py`
(custom timetables must be, to be serialized).
"""

from __future__ import annotations

from airflow.timetables.base import DagRunInfo, DataInterval, TimeRestriction
from airflow.timetables.trigger import CronTriggerTimetable


def _utcnow():
    import datetime as dt

    return dt.datetime.now(dt.UTC)


class FromNowCronTriggerTimetable(CronTriggerTimetable):
    """A cron trigger whose first run (catchup off) is the next slot to come, never a past one."""

    def next_dagrun_info(
        self, *, last_automated_data_interval: DataInterval | None, restriction: TimeRestriction
    ) -> DagRunInfo | None:
        if restriction.catchup or last_automated_data_interval is not None:
            return super().next_dagrun_info(
                last_automated_data_interval=last_automated_data_interval, restriction=restriction)
        start = self._align_to_next(_utcnow())
        if restriction.earliest is not None and restriction.earliest > start:
            start = self._align_to_next(restriction.earliest)
        if restriction.latest is not None and restriction.latest < start:
            return None
        return DagRunInfo.interval(start - self._interval, start)
