"""The integrity checks as a Great Expectations 1.x suite, run by a Checkpoint that updates Data Docs.

One expectation per check (its `meta.check_name` says which), validated over the frame of
frame.py with result_format COMPLETE and `unexpected_index_column_names`, so every offending
record's id comes back. The GX project is file-backed in `settings().data_dir / "gx"`; the
local Data Docs site is written to `settings().reports_dir / "data_docs" / "local_site"`, where
the reports plugin serves it. `great_expectations` is imported inside functions (5-7 s).
"""

from __future__ import annotations

import logging
import os
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
SITE = "local_site"
ID_COLUMNS = ["row_id", "account_id", "org_id"]


@dataclass
class GxResult:
    findings: dict[str, set[str]]
    success: bool
    data_docs_index: Path | None
    validation_url: str | None


def gx_project_dir() -> Path:
    return settings().data_dir / "gx"


def data_docs_dir() -> Path:
    return settings().reports_dir / "data_docs" / SITE


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


def _context(project_dir: Path, docs_dir: Path) -> Any:
    """The file-backed context, configured idempotently (analytics off, no progress bars,
    the Data Docs site in the reports folder)."""
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    logging.getLogger("great_expectations").setLevel(logging.WARNING)  # its INFO lines are noise here
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    project_dir.mkdir(parents=True, exist_ok=True)
    ctx = gx.get_context(mode="file", project_root_dir=str(project_dir))
    site = {
        "class_name": "SiteBuilder",
        "show_how_to_buttons": False,
        "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(docs_dir)},
        "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
    }
    changed = False
    sites = ctx.list_data_docs_sites()
    if sites.get(SITE) != site:
        if SITE in sites:
            ctx.update_data_docs_site(SITE, site)
        else:
            ctx.add_data_docs_site(SITE, site)
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
        "notes": "CRM integrity checks (DESIGN §6); one expectation per check, see meta.check_name"}))
    vd = ctx.validation_definitions.add_or_update(gx.ValidationDefinition(name=VALIDATION, data=batch, suite=suite))
    return ctx.checkpoints.add_or_update(gx.Checkpoint(
        name=CHECKPOINT,
        validation_definitions=[vd],
        actions=[gx.checkpoint.UpdateDataDocsAction(name="update_data_docs", site_names=[SITE])],
        result_format={"result_format": "COMPLETE", "unexpected_index_column_names": ID_COLUMNS},
    ))


def _entity_ids(result: Any, entity_column: str) -> set[str]:
    ids = set()
    for row in result.result.get("unexpected_index_list") or []:
        value = row.get(entity_column)
        if value is not None and value == value:  # not NaN
            ids.add(str(value))
    return ids


def validate(frame: pd.DataFrame, run_name: str, *, project_dir: Path | None = None,
             docs_dir: Path | None = None) -> GxResult:
    """Run the checkpoint on `frame`; findings per check (entity ids), and the Data Docs page."""
    import datetime as dt

    from great_expectations.core.run_identifier import RunIdentifier

    project_dir = project_dir or gx_project_dir()
    docs_dir = docs_dir or data_docs_dir()
    ctx = _context(project_dir, docs_dir)
    checkpoint = _checkpoint(ctx)
    run = checkpoint.run(batch_parameters={"dataframe": frame},
                         run_id=RunIdentifier(run_name=run_name, run_time=dt.datetime.now(dt.UTC)))
    findings: dict[str, set[str]] = {name: set() for name in CHECK_NAMES}
    url = None
    for identifier, vr in run.run_results.items():
        for er in vr.results:
            check = (er.expectation_config.meta or {}).get("check_name")
            if check not in findings:
                continue
            if er.exception_info and er.exception_info.get("raised_exception"):
                raise RuntimeError(f"GX could not evaluate {check}: {er.exception_info.get('exception_message')}")
            column = "account_id" if ENTITY_OF[check] == "account" else "org_id"
            findings[check] = _entity_ids(er, column)
        try:
            urls = ctx.get_docs_sites_urls(resource_identifier=identifier, site_name=SITE)
            url = (urls[0] or {}).get("site_url") if urls else None
        except Exception:  # noqa: BLE001 - a link is a convenience
            url = None
    index = docs_dir / "index.html"
    log.info("GX checkpoint %s: success=%s, Data Docs %s", CHECKPOINT, run.success, index)
    return GxResult(findings, bool(run.success), index if index.exists() else None, url)
