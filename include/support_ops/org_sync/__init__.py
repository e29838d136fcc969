"""Salesforce -> Zendesk organization sync: the seed's bulk sync as a diff-based pipeline.

Plan (rules.py, plan.py), apply through the outbound layer (apply.py, target.py), verify
(verify.py), report (report.py). The rules: docs/org-sync.md.
"""

from .apply import SyncCapped, SyncFailed, apply_run
from .plan import SyncBlocked, plan_run
from .verify import VerifyFailed, verify_run

__all__ = ["SyncBlocked", "SyncCapped", "SyncFailed", "VerifyFailed", "apply_run", "plan_run", "verify_run"]
