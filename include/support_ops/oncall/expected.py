"""The handbook's PagerDuty setup, read from `expected.yaml` (a file people edit, so it is
checked strictly: a typo is a clear error naming the place, never a silently empty audit)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

EXPECTED_FILE = Path(__file__).with_name("expected.yaml")
WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class ExpectedError(ValueError):
    """expected.yaml does not say what the audits need; the message says where."""


@dataclass(frozen=True)
class Hours:
    """A region's daily hours in UTC; `end` before `start` means the hours run past midnight."""

    start: dt.time
    end: dt.time

    def intervals(self, since: dt.datetime, until: dt.datetime) -> list[tuple[dt.datetime, dt.datetime]]:
        """Every whole daily interval of these hours that overlaps [since, until), in order."""
        length = (dt.datetime.combine(dt.date.min, self.end) - dt.datetime.combine(dt.date.min, self.start))
        if length <= dt.timedelta(0):
            length += dt.timedelta(days=1)
        out = []
        day = since.astimezone(dt.UTC).date() - dt.timedelta(days=1)
        while True:
            s = dt.datetime.combine(day, self.start, tzinfo=dt.UTC)
            if s >= until:
                return out
            if s + length > since:
                out.append((s, s + length))
            day += dt.timedelta(days=1)


@dataclass(frozen=True)
class Rule:
    targets: frozenset[str]
    after_minutes: int | None  # minutes after the previous rule (None for the first)


@dataclass(frozen=True)
class Policy:
    name: str
    id: str | None
    repeat: int
    rules: tuple[Rule, ...]


@dataclass(frozen=True)
class Service:
    name: str
    id: str | None
    policy: str


@dataclass(frozen=True)
class Expected:
    hours: dict[str, Hours]
    handoff_weekday: int  # 0 = Monday, as datetime.weekday()
    handoff_time: dt.time
    coverage: dict[str, dict[str, str]]  # group -> region -> schedule name
    schedules: dict[str, str | None]  # name -> handbook id
    policies: tuple[Policy, ...]
    services: tuple[Service, ...]
    digest: tuple[str, ...]
    source: str = field(default="", compare=False)

    def regional_schedules(self) -> list[tuple[str, str, str]]:
        """(group, region, schedule name) for every schedule the coverage audit checks."""
        return [(g, r, name) for g, regions in self.coverage.items() for r, name in regions.items()]

    def policy_schedule_names(self) -> set[str]:
        """Target names that are schedules (named in `schedules` or in `coverage`)."""
        named = set(self.schedules) | {n for _, _, n in self.regional_schedules()}
        return {t for p in self.policies for r in p.rules for t in r.targets if t in named}


def _need(data: Any, key: str, where: str, kind: type | tuple[type, ...]) -> Any:
    if not isinstance(data, dict) or key not in data:
        raise ExpectedError(f"{where}: '{key}' is missing")
    value = data[key]
    if not isinstance(value, kind):
        names = kind.__name__ if isinstance(kind, type) else " or ".join(k.__name__ for k in kind)
        raise ExpectedError(f"{where}: '{key}' must be a {names}, not {value!r}")
    return value


def _time(value: Any, where: str) -> dt.time:
    try:
        return dt.time.fromisoformat(str(value))
    except ValueError:
        raise ExpectedError(f"{where}: {value!r} is not a time of day like '07:00'") from None


def _minutes(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ExpectedError(f"{where}: must be a whole number of minutes, not {value!r}")
    return value


def _names(value: Any, where: str) -> frozenset[str]:
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ExpectedError(f"{where}: must be a list of names")
    names = [v.strip() for v in value]
    dupes = sorted({n for n in names if names.count(n) > 1})
    if dupes:
        raise ExpectedError(f"{where}: named twice: {', '.join(dupes)}")
    return frozenset(names)


def parse(data: Any, source: str = "expected.yaml") -> Expected:
    """Expected from the parsed YAML document; ExpectedError naming the place of any problem."""
    if not isinstance(data, dict):
        raise ExpectedError(f"{source}: must be a mapping")
    hours = {}
    for region, h in _need(data, "regional_hours", source, dict).items():
        where = f"{source}: regional_hours.{region}"
        hours[str(region)] = Hours(_time(_need(h, "start", where, str), where),
                                   _time(_need(h, "end", where, str), where))
    handoff = _need(data, "handoff", source, dict)
    weekday = _need(handoff, "weekday", f"{source}: handoff", str)
    if weekday not in WEEKDAYS:
        raise ExpectedError(f"{source}: handoff.weekday must be one of {', '.join(WEEKDAYS)}")
    coverage: dict[str, dict[str, str]] = {}
    for group, regions in _need(data, "coverage", source, dict).items():
        where = f"{source}: coverage.{group}"
        if not isinstance(regions, dict):
            raise ExpectedError(f"{where}: must map regions to schedule names")
        for region, name in regions.items():
            if region not in hours:
                raise ExpectedError(f"{where}: region {region!r} has no regional_hours")
            if not isinstance(name, str) or not name.strip():
                raise ExpectedError(f"{where}.{region}: must be a schedule name")
        coverage[str(group)] = {str(r): n.strip() for r, n in regions.items()}
    schedules: dict[str, str | None] = {}
    for i, s in enumerate(_need(data, "schedules", source, list)):
        name = _need(s, "name", f"{source}: schedules[{i}]", str).strip()
        schedules[name] = s.get("id")
    policies = []
    for i, p in enumerate(_need(data, "escalation_policies", source, list)):
        where = f"{source}: escalation_policies[{i}]"
        name = _need(p, "name", where, str).strip()
        where = f"{source}: escalation policy {name!r}"
        rules = []
        for j, r in enumerate(_need(p, "rules", where, list), start=1):
            rw = f"{where}: rule {j}"
            after = r.get("after_minutes") if isinstance(r, dict) else None
            if j == 1 and after is not None:
                raise ExpectedError(f"{rw}: the first rule is notified immediately; remove after_minutes")
            if j > 1:
                after = _minutes(_need(r, "after_minutes", rw, int), f"{rw}: after_minutes")
            rules.append(Rule(_names(_need(r, "notify", rw, list), f"{rw}: notify"), after))
        if not rules:
            raise ExpectedError(f"{where}: has no rules")
        policies.append(Policy(name, p.get("id"), _minutes(_need(p, "repeat", where, int), f"{where}: repeat"),
                               tuple(rules)))
    services = []
    for i, s in enumerate(_need(data, "services", source, list)):
        where = f"{source}: services[{i}]"
        services.append(Service(_need(s, "name", where, str).strip(), s.get("id"),
                                _need(s, "policy", where, str).strip()))
    known = {s.name for s in services}
    digest = tuple(_need(data, "digest", source, list))
    unknown = [d for d in digest if d not in known]
    if unknown:
        raise ExpectedError(f"{source}: digest names services not listed under services: {unknown}")
    return Expected(hours, WEEKDAYS.index(weekday), _time(_need(handoff, "time", f"{source}: handoff", str),
                                                          f"{source}: handoff.time"),
                    coverage, schedules, tuple(policies), tuple(services), digest, source)


def load(path: str | Path | None = None) -> Expected:
    """The expected setup from `path` (default: the project's expected.yaml)."""
    p = Path(path) if path else EXPECTED_FILE
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ExpectedError(f"{p.name} is not valid YAML: {exc}") from exc
    return parse(data, p.name)
