"""Ops notifications: premium SLA-breach alerts, live ticket feeds by product, view counts.

The rules are in docs/alerts.md. `breach.py` computes breach times from SLA metric events,
`rules.py` decides which tickets alert and which tags come off, `alerts.py` runs one alert
pass (Slack + `tickets/update_many` through the outbound layer), `feeds.py` the live feeds,
`views.py` the view counts; `tasks.py` is what the DAGs call.
"""
