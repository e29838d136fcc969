"""Registers the project's timetable with Airflow (needed to serialize DAGs that use it)."""

from __future__ import annotations

from airflow.plugins_manager import AirflowPlugin

from support_ops.schedules import FromNowCronTriggerTimetable


class SupportOpsTimetablesPlugin(AirflowPlugin):
    name = "support_ops_timetables"
    timetables = [FromNowCronTriggerTimetable]
