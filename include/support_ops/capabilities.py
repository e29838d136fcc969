"""The one list of capabilities: what each package under `support_ops` provides.

A capability is one folder (`extract/`, `kpis/`, ...) holding its rules, `tables.py`, `tasks.py`
(what its DAGs call), its CLI commands and its report page. The command line (cli.py), the
table registry (warehouse/registry.py), the reports' home page (reports/registry.py) and the
reports index (reports/index.py) read this list; adding a capability is one entry here.
This module imports nothing, so anything may read it.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Capability:
    """What one package provides; every module named is relative to `support_ops.<package>`."""

    package: str
    tables: bool = True  # <package>/tables.py declares tables on the shared metadata
    cli: str | None = None  # module with add_cli(subparsers) and/or summary_lines(engine)
    headline: str | None = None  # title of its card on the reports' home page
    headline_key: str | None = None  # the card's key when it differs from the package name
    reports: dict[str, str] = field(default_factory=dict)  # report sub-folder -> title

    @property
    def key(self) -> str:
        """The capability's key on the home page (the headline file's name)."""
        return self.headline_key or self.package


CAPABILITIES: tuple[Capability, ...] = (
    Capability("extract"),
    Capability("kpis", cli="cli", headline="Customer satisfaction (CSAT)",
               reports={"kpis": "CSAT KPI report"}),
    Capability("integrity", cli="cli", headline="CRM data integrity",
               reports={"integrity": "CRM integrity summary",
                        "data_docs": "Great Expectations validation results"}),
    Capability("outbound", cli="cli"),
    Capability("org_sync", cli="cli", headline="Salesforce → Zendesk organization sync",
               reports={"org_sync": "Organization sync report"}),
    Capability("oncall", cli="cli", headline="On-call (PagerDuty)",
               reports={"oncall": "On-call roster and audit"}),
    Capability("feedback", cli="cli", headline="Feedback issues (SSAT)",
               reports={"feedback": "Feedback issues report"}),
    Capability("sharing", cli="cli", headline="Shared organizations audit", headline_key="shared_orgs",
               reports={"shared_orgs": "Shared organizations audit"}),
    Capability("ticket_records", cli="report", headline="Ticket records in Salesforce",
               reports={"ticket_records": "Ticket records in Salesforce"}),
    Capability("alerts", cli="cli", headline="Ops notifications (SLA-breach alerts, view counts)",
               reports={"alerts": "Ops notifications report"}),
)


def by_package(package: str) -> Capability:
    """The capability of a package; a clear error for a name that is not in the list."""
    for cap in CAPABILITIES:
        if cap.package == package:
            return cap
    raise KeyError(f"no capability {package!r}; known: {', '.join(c.package for c in CAPABILITIES)}")
