"""Asset URIs: one name per dataset, shared by the DAGs that update and the DAGs that wait.

Plain strings (no Airflow import) so DAG files and the domain package agree on them.
"""

ZENDESK_STREAMS = ("tickets", "satisfaction_ratings", "organizations", "users", "ticket_forms",
                   "ticket_metric_events")


def zendesk(stream: str) -> str:
    if stream not in ZENDESK_STREAMS:
        raise ValueError(f"unknown Zendesk stream {stream!r}")
    return f"support_ops://zendesk/{stream}"


SALESFORCE_ACCOUNTS = "support_ops://salesforce/accounts"
WAREHOUSE_SCHEMA = "support_ops://warehouse/schema"
INTEGRITY_FINDINGS = "support_ops://integrity/findings"
