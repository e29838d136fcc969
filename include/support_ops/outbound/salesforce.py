"""Salesforce upserts by external id through simple-salesforce (connection `salesforce_default`).

An upsert is read back with `get_by_custom_id`: a record that already holds the values written
counts as applied (REST API: sObject Rows by External ID, GET and PATCH).
"""

from __future__ import annotations

from typing import Any

from .compare import differences
from .model import Delivery, Outcome, StoredWrite, Write
from .targets import Target


def upsert(key: str, sobject: str, external_id_field: str, external_id: str, fields: dict[str, Any], *,
           before: dict[str, Any] | None = None, summary: str | None = None) -> Write:
    """A planned upsert of one record by its external id."""
    ref = f"{sobject}/{external_id_field}/{external_id}"
    return Write(key=key, action="upsert", target_ref=ref, summary=summary or f"{ref}: {fields}", before=before,
                 after={"sobject": sobject, "external_id_field": external_id_field,
                        "external_id": str(external_id), "fields": fields})


class SalesforceUpsert(Target):
    name = "salesforce"
    delivery = Delivery.READ_BACK

    def __init__(self, client_factory: Any = None) -> None:
        self._client_factory = client_factory
        self._sf: Any = None

    def _client(self) -> Any:
        if self._sf is None:
            if self._client_factory is None:
                from ..clients.salesforce import salesforce_client

                self._client_factory = salesforce_client
            self._sf = self._client_factory()
        return self._sf

    def send_one(self, write: StoredWrite) -> Outcome:
        if write.action != "upsert":
            raise ValueError(f"salesforce target cannot {write.action}")
        a = write.after
        obj = getattr(self._client(), a["sobject"])
        status = obj.upsert(f"{a['external_id_field']}/{a['external_id']}", a["fields"])
        return Outcome.applied(status_code=status)

    def reconcile_one(self, write: StoredWrite) -> Outcome | None:
        from simple_salesforce.exceptions import SalesforceResourceNotFound

        a = write.after
        obj = getattr(self._client(), a["sobject"])
        try:
            record = obj.get_by_custom_id(a["external_id_field"], a["external_id"])
        except SalesforceResourceNotFound:
            return None
        if differences(a["fields"], record):
            return None
        return Outcome.applied(id=record.get("Id"), read_back=True)
