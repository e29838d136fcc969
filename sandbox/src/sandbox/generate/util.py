"""Small helpers shared by the generator modules: clocks, formats, ids, seeded RNGs."""

from __future__ import annotations

import random
from datetime import UTC, datetime

ZD_API = "https://sandbox.zendesk.com/api/v2"
DAY = 86400
HOUR = 3600

# Id ranges, wide apart so a glance at an id tells its kind (all below 2**53).
ORG_BASE = 360_000_000_000
USER_BASE = 370_000_000_000
RATING_BASE = 380_000_000_000
EVENT_BASE = 390_000_000_000
METRIC_BASE = 400_000_000_000
FORM_BASE = 360_000_001_000
REASON_BASE = 360_000_002_000
SLA_BASE = 360_000_003_000
FIELD_BASE = 360_000_004_000
VIEW_BASE = 360_000_005_000
GROUP_BASE = 360_000_006_000
TICKET_BASE = 100_000


def rng_for(seed: int, part: str) -> random.Random:
    """An independent, reproducible stream per part (str seeds hash with SHA-512, not PYTHONHASHSEED)."""
    return random.Random(f"{seed}:{part}")


def parse_now(now: str | None) -> int:
    """Epoch seconds of `now` (ISO string) or of the wall clock, whole seconds."""
    if now is None:
        return int(datetime.now(UTC).timestamp())
    dt = datetime.fromisoformat(now)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


_DATES: dict[int, str] = {}


def zd_time(epoch: float) -> str:
    """Zendesk's timestamp format: 2026-11-20T10:15:00Z (date part cached: called millions of times)."""
    day, secs = divmod(int(epoch), DAY)
    date = _DATES.get(day)
    if date is None:
        date = _DATES[day] = datetime.fromtimestamp(day * DAY, UTC).strftime("%Y-%m-%d")
    hours, rest = divmod(secs, 3600)
    return f"{date}T{hours:02d}:{rest // 60:02d}:{rest % 60:02d}Z"


def sf_time(epoch: float) -> str:
    """Salesforce's timestamp format: 2026-11-20T10:15:00.000+0000."""
    return datetime.fromtimestamp(int(epoch), UTC).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def parse_time(text: str) -> int:
    """Epoch seconds of a Zendesk or Salesforce timestamp."""
    dt = datetime.fromisoformat(text)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return int(dt.timestamp())


def scramble(index: int, salt: int) -> int:
    """A bijection on [0, 62**7) so ids look random but never collide."""
    space = 62**7
    return (index * 2_654_435_761 + salt) % space
