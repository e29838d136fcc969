"""PagerDuty's REST and Events APIs (`service`), schedule rendering (`render`) and the seed of
services, escalation policies, schedules and users (`seed`)."""
