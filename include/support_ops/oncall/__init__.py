"""On-call from PagerDuty: the roster of the next 14 days, the coverage audit against the
regional hours, the escalation audit against the handbook (expected.yaml). Rules: docs/oncall.md.
"""
