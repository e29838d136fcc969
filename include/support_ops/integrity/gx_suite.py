"""The integrity checks as a Great Expectations 1.x suite, run by a Checkpoint.

One expectation per check (its `meta.check_name` says which), validated over the frame of
frame.py with result_format COMPLETE and `unexpected_index_column_names`, so every offending
record's id comes back. The GX project is file-backed in `settings().data_dir / "gx"`.

What GX's Data Docs showed (per expectation: what it expects, success, how many rows were
checked and failed, a sample of the failing values and ids) is written by the project's
report kit to `reports_dir/data_docs/<run>/index.html` (integrity/gx_report.py) instead of GX's
own HTML site: that site loads its CSS and scripts from CDNs (broken offline) and writes
record values into the page unescaped, so a hostile organization name would run as script
on the Airflow UI's origin. GX's own loggers are kept to warnings (its INFO lines drowned the
task log). `great_expectations` is imported inside functions (5-7 s).
"""

from __future__ import annotations

import logging
import os
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..config import settings
from .rules import CHECK_NAMES, ENTITY_OF, HOST_REGEX

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger(__name__)

DATASOURCE = "support_ops_crm"
ASSET = "crm_integrity_frame"
BATCH = "whole_frame"
SUITE = "crm_integrity"
VALIDATION = "crm_integrity_validation"
CHECKPOINT = "crm_integrity_checkpoint"
SITE = "local_site"  # the folder of GX's own HTML site in older versions (removed)
ID_COLUMNS = ["row_id", "account_id", "org_id"]
SAMPLE = 20  # failing values and ids shown per expectation


@dataclass
class GxResult:
    findings: dict[str, set[str]]
    success: bool
    data_docs_index: Path | None
    validation_url: str | None


def gx_project_dir() -> Path:
    return settings().data_dir / "gx"


def data_docs_dir() -> Path:
    """Where the validation pages go (one folder per run, and `latest`)."""
    return settings().reports_dir / "data_docs"


def quiet_gx_logging() -> None:
    """GX logs every store, datasource and decorator at INFO: keep only its warnings and errors.
    Some of its loggers are named by file path, so every logger whose name mentions it is set."""
    logging.getLogger("great_expectations").setLevel(logging.WARNING)
    for name in list(logging.root.manager.loggerDict):
        if "great_expectations" in name:
            logging.getLogger(name).setLevel(logging.WARNING)


def expectations() -> list[Any]:
    """One expectation per check, in CHECK_NAMES order."""
    import great_expectations as gx

    E = gx.expectations  # noqa: N806
    pair = "pair_row & linked"

    def meta(check: str) -> dict:
        return {"check_name": check, "entity_type": ENTITY_OF[check]}

    cond = {"condition_parser": "pandas"}
    exps = [
        E.ExpectColumnValuesToNotBeNull(
            column="org_id", row_condition="pair_row & has_account & dep_dotcom", **cond,
            meta=meta("missing_zendesk_org_dotcom"),
            description="Customer accounts on GitLab.com have a linked Zendesk organization"),
        E.ExpectColumnValuesToNotBeNull(
            column="org_id", row_condition="pair_row & has_account & dep_selfmanaged", **cond,
            meta=meta("missing_zendesk_org_selfmanaged"),
            description="Self-Managed customer accounts have a linked Zendesk organization"),
        E.ExpectColumnValuesToNotBeNull(
            column="org_level_norm", row_condition="pair_row & has_org", **cond,
            meta=meta("no_support_level"), description="Organizations have a GitLab plan"),
        E.ExpectColumnValuesToBeUnique(
            column="account_name_norm", row_condition="account_row", **cond,
            meta=meta("duplicate_salesforce_account"),
            description="Customer account names are unique after normalization"),
        E.ExpectColumnPairValuesToBeEqual(
            column_A="org_level_norm", column_B="account_level_norm", ignore_row_if="either_value_is_missing",
            row_condition=pair, **cond, meta=meta("support_level_mismatch"),
            description="Linked organization and account have the same plan (ignoring case)"),
        E.ExpectColumnValuesToNotBeNull(
            column="org_salesforce_id", row_condition="pair_row & has_org", **cond,
            meta=meta("no_salesforce_id"), description="Organizations have a Salesforce id"),
        E.ExpectColumnPairValuesToBeEqual(
            column_A="org_name_norm", column_B="account_name_norm", ignore_row_if="neither",
            row_condition=pair, **cond, meta=meta("org_name_mismatch"),
            description="Linked organization and account have the same normalized name"),
        E.ExpectColumnValuesToMatchRegex(
            column="org_domain", regex=HOST_REGEX, row_condition="has_org", **cond,
            meta=meta("invalid_org_domain"), description="Organization domains are valid host names"),
        E.ExpectColumnPairValuesToBeEqual(
            column_A="account_zd_org_id", column_B="org_id", ignore_row_if="neither",
            row_condition=pair, **cond, meta=meta("zendesk_org_id_mismatch"),
            description="The account's Zendesk_Organization_ID__c is its linked organization's id"),
        E.ExpectColumnPairValuesToBeEqual(
            column_A="account_zd_org_name_norm", column_B="org_name_norm", ignore_row_if="neither",
            row_condition=pair, **cond, meta=meta("zendesk_org_name_mismatch"),
            description="The account's Zendesk_Organization_Name__c is its linked organization's name"),
    ]
    assert [e.meta["check_name"] for e in exps] == list(CHECK_NAMES)
    return exps


def _context(project_dir: Path) -> Any:
    """The file-backed context, configured idempotently (analytics off, no progress bars)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    quiet_gx_logging()
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    quiet_gx_logging()  # again: importing GX may configure its loggers
    project_dir.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", project_root_dir=str(project_dir))
    changed = False
    for site in list(ctx.list_data_docs_sites()):  # GX's HTML site is not built (see the module doc)
        ctx.delete_data_docs_site(site)
        changed = True
    if ctx.config.analytics_enabled is not False:
        ctx.config.analytics_enabled = False
        changed = True
    bars = ctx.variables.progress_bars
    if not bars or getattr(bars, "globally", True):
        ctx.variables.progress_bars = ProgressBarsConfig(globally=False, metric_calculations=False)
        changed = True
    if changed:
        ctx.variables.save()
    return ctx


def _checkpoint(ctx: Any) -> Any:
    import great_expectations as gx

    ds = ctx.data_sources.add_or_update_pandas(DATASOURCE)
    asset = ds.add_dataframe_asset(ASSET)
    batch = asset.add_batch_definition_whole_dataframe(BATCH)
    suite = ctx.suites.add_or_update(gx.ExpectationSuite(name=SUITE, expectations=expectations(), meta={
        "notes": "CRM integrity checks (docs/integrity-rules.md); one expectation per check, see meta.check_name"}))
    vd = ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=VALIDATION, data=batch, suite=suite))
    return ctx.checkpoints.add_or_update(gx.Checkpoint(
        name=CHECKPOINT,
        validation_definitions=[vd],
        actions=[],
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ID_COLUMNS},
    ))


def _entity_ids(result: Any, entity_column: str) -> set[str]:
    ids = set()
    for row in result.result.get("unexpected_index_list") or []:
        value = row.get(entity_column)
        if value is not None and value == value:  # not NaN
            ids.add(str(value))
    return ids


def _sample(values: Any, limit: int = SAMPLE) -> list[str]:
    out = []
    for value in list(values or [])[:limit]:
        if isinstance(value, dict):
            value = ", ".join(f"{k}={v}" for k, v in value.items() if v is not None and v == v)
        elif isinstance(value, (list, tuple)):
            value = " / ".join("(empty)" if v is None or v != v else str(v) for v in value)
        out.append("(empty)" if value is None or value != value or value == "" else str(value))
    return out


def _condition(value: Any) -> str | None:
    """The row condition as written (GX 1.x wraps pandas conditions in a dict)."""
    if isinstance(value, dict):
        value = value.get("pass_through_filter") or value.get("filter") or value
    return None if value in (None, "") else str(value)


def _expectation_row(er: Any) -> dict[str, Any]:
    """What Data Docs showed for one expectation, as plain data (the page escapes it)."""
    cfg = er.expectation_config
    kwargs = dict(cfg.kwargs or {})
    res = er.result or {}
    return {
        "check_name": (cfg.meta or {}).get("check_name"),
        "expectation": cfg.type,
        "description": getattr(cfg, "description", None) or (cfg.meta or {}).get("description") or "",
        "columns": [kwargs[k] for k in ("column", "column_A", "column_B") if kwargs.get(k)],
        "row_condition": _condition(kwargs.get("row_condition")),
        "success": bool(er.success),
        "element_count": res.get("element_count"),
        "unexpected_count": res.get("unexpected_count"),
        "unexpected_percent": res.get("unexpected_percent"),
        "unexpected_sample": _sample(res.get("partial_unexpected_list")),
        "ids_sample": _sample(res.get("partial_unexpected_index_list") or res.get("unexpected_index_list")),
    }


def validate(frame: pd.DataFrame, run_name: str, *, project_dir: Path | None = None,
             docs_dir: Path | None = None) -> GxResult:
    """Run the checkpoint on `frame`; findings per check (entity ids), and the validation page."""
    import datetime as dt

    quiet_gx_logging()  # before the first GX import below

    from great_expectations.core.run_identifier import RunIdentifier

    from . import gx_report

    project_dir = project_dir or gx_project_dir()
    docs_dir = docs_dir or data_docs_dir()
    ctx = _context(project_dir)
    checkpoint = _checkpoint(ctx)
    run_time = dt.datetime.now(dt.UTC)
    run = checkpoint.run(batch_parameters={"dataframe": frame},
                         run_id=RunIdentifier(run_name=run_name, run_time=run_time))
    quiet_gx_logging()
    findings: dict[str, set[str]] = {name: set() for name in CHECK_NAMES}
    rows: list[dict[str, Any]] = []
    for _identifier, vr in run.run_results.items():
        for er in vr.results:
            check = (er.expectation_config.meta or {}).get("check_name")
            if check not in findings:
                continue
            if er.exception_info and er.exception_info.get("raised_exception"):
                raise RuntimeError(f"GX could not evaluate {check}: {er.exception_info.get('exception_message')}")
            column = "account_id" if ENTITY_OF[check] == "account" else "org_id"
            findings[check] = _entity_ids(er, column)
            rows.append(_expectation_row(er))
    shutil.rmtree(docs_dir / SITE, ignore_errors=True)  # GX's own site from older versions: never served
    page = gx_report.write(docs_dir, run_name=run_name, run_time=run_time, suite=SUITE, success=bool(run.success),
                           rows=rows, rows_checked=len(frame))
    log.info("GX checkpoint %s: success=%s, %d expectations, validation page %s", CHECKPOINT, run.success,
             len(rows), page)
    return GxResult(findings, bool(run.success), page, None)
