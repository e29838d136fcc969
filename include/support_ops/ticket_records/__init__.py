"""Ticket records in Salesforce: the daily reconciliation of recent tickets with their Salesforce
`Zendesk Support Ticket` records, the seed's troubleshooting checklist as health checks, and the
backfill of missing records through the outbound layer. The rules: docs/ticket-records.md.
"""
