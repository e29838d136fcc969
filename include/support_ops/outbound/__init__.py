"""The outbound layer: every write to another system is planned, recorded and audited.

Plan, then apply (`plan`, `apply`, or `execute` for both); intents before effects; reconcile
after a crash where the target can be read back; change caps; dry runs recorded. The rules are
in docs/outbound-writes.md.
"""

from .actor import Actor, current_actor
from .audit import audit, plan_writes, plans
from .core import apply, execute, plan
from .model import (
    ApplyResult,
    CapExceeded,
    Delivery,
    OutboundError,
    Outcome,
    StoredWrite,
    Write,
    WritesFailed,
)
from .targets import Target, register
from .writers import WRITERS, Writer

__all__ = [
    "WRITERS", "Actor", "ApplyResult", "CapExceeded", "Delivery", "OutboundError", "Outcome", "StoredWrite",
    "Target", "Write", "Writer", "WritesFailed", "apply", "audit", "current_actor", "execute", "plan",
    "plan_writes", "plans", "register",
]
