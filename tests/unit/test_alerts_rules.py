"""Breach times from SLA metric events and the alert conditions (docs/alerts.md)."""

from __future__ import annotations

import datetime as dt

import pytest

from support_ops.alerts.breach import Event, instance_of, instances
from support_ops.alerts.rules import TAG, Ticket, decide, in_window, plan_of, premium_plans, why_not

T0 = dt.datetime(2026, 11, 20, 8, 0, tzinfo=dt.UTC)
PLANS = frozenset({"premium", "ultimate", "silver", "gold"})


def at(minutes: float) -> dt.datetime:
    return T0 + dt.timedelta(minutes=minutes)


def ev(kind: str, minutes: float, *, ticket: int = 1, metric: str = "reply_time", instance: int = 1,
       target: int | None = None, eid: int | None = None) -> Event:
    return Event(ticket, metric, instance, kind, at(minutes), target, eid if eid is not None else int(minutes * 10))


def one(*events: Event):
    return instance_of(1, "reply_time", 1, events)


# -- breach time -----------------------------------------------------------------------------

def test_breach_is_apply_sla_plus_target():
    inst = one(ev("activate", 0), ev("apply_sla", 0, target=240))
    assert inst.breach_at == at(240) and not inst.fulfilled and inst.paused_seconds == 0


def test_pause_after_apply_sla_moves_the_breach_later():
    inst = one(ev("activate", 0), ev("apply_sla", 0, target=240), ev("pause", 30), ev("activate", 90))
    assert inst.breach_at == at(240 + 60)


def test_pause_before_apply_sla_does_not_count():
    inst = one(ev("activate", 0), ev("pause", 10), ev("activate", 40), ev("apply_sla", 60, target=240))
    assert inst.breach_at == at(60 + 240)


def test_pause_spanning_apply_sla_counts_from_apply_sla_on():
    inst = one(ev("activate", 0), ev("pause", 10), ev("apply_sla", 60, target=240), ev("activate", 100))
    assert inst.breach_at == at(60 + 240 + 40)


def test_two_pauses_add_up():
    inst = one(ev("apply_sla", 0, target=120), ev("pause", 10), ev("activate", 20), ev("pause", 50),
               ev("activate", 80))
    assert inst.breach_at == at(120 + 10 + 30)


def test_paused_now_has_no_breach_time():
    inst = one(ev("apply_sla", 0, target=120), ev("pause", 10))
    assert inst.paused_now and inst.breach_at is None


def test_fulfilled_after_apply_sla_has_no_breach_time():
    inst = one(ev("activate", 0), ev("apply_sla", 0, target=240), ev("fulfill", 30))
    assert inst.fulfilled and inst.breach_at is None


def test_fulfill_before_a_reapplied_sla_does_not_count():
    """A later apply_sla (priority changed) replaces the earlier one; only events after it count."""
    inst = one(ev("apply_sla", 0, target=240), ev("fulfill", 5), ev("apply_sla", 10, target=30))
    assert not inst.fulfilled and inst.breach_at == at(10 + 30)


def test_reapplied_sla_takes_the_new_target():
    inst = one(ev("apply_sla", 0, target=1440), ev("apply_sla", 60, target=240))
    assert inst.breach_at == at(60 + 240) and inst.target_minutes == 240


def test_no_apply_sla_no_breach_time():
    inst = one(ev("activate", 0), ev("pause", 10))
    assert inst.breach_at is None and inst.applied_at is None


def test_two_metric_instances_are_separate():
    found = {i.key: i for i in instances([
        ev("apply_sla", 0, target=60, instance=1), ev("fulfill", 20, instance=1),
        ev("activate", 30, instance=2), ev("apply_sla", 30, target=240, instance=2),
        ev("apply_sla", 0, target=480, metric="agent_work_time"),
    ])}
    assert found[(1, "reply_time", 1)].breach_at is None
    assert found[(1, "reply_time", 2)].breach_at == at(30 + 240)
    assert found[(1, "agent_work_time", 1)].breach_at == at(480)


def test_events_in_any_order():
    ordered = one(ev("apply_sla", 0, target=120), ev("pause", 10), ev("activate", 40))
    shuffled = one(ev("activate", 40), ev("apply_sla", 0, target=120), ev("pause", 10))
    assert ordered == shuffled


# -- conditions ------------------------------------------------------------------------------

def ticket(tid: int = 1, *, status: str = "open", priority: str | None = "high", tags: tuple[str, ...] = ("premium",),
           level: str | None = None, deleted: bool = False) -> Ticket:
    return Ticket(tid, status, priority, tags, deleted, 7, "Org", level, "Subject", "Agent")


def near(tid: int = 1, minutes_left: float = 90, instance: int = 1):
    """An instance of ticket `tid` breaching `minutes_left` after T0 + 600 minutes (the run time)."""
    return instance_of(tid, "reply_time", instance, [ev("apply_sla", 600 + minutes_left - 240, target=240,
                                                        ticket=tid, instance=instance)])


NOW = at(600)


def test_a_near_breach_premium_ticket_alerts():
    d = decide({1: ticket()}, [near()], NOW, plans=PLANS)
    assert [(a.ticket.id, a.plan, a.minutes_left) for a in d.alerts] == [(1, "premium", 90)]


@pytest.mark.parametrize("status, alerts", [("new", True), ("open", True), ("hold", True), ("pending", False),
                                            ("solved", False), ("closed", False), ("deleted", False)])
def test_each_status(status, alerts):
    d = decide({1: ticket(status=status)}, [near()], NOW, plans=PLANS)
    assert bool(d.alerts) is alerts


@pytest.mark.parametrize("priority, alerts", [("urgent", True), ("high", True), ("normal", False), ("low", False),
                                              (None, False)])
def test_each_priority(priority, alerts):
    assert bool(decide({1: ticket(priority=priority)}, [near()], NOW, plans=PLANS).alerts) is alerts


def test_deleted_ticket_never_alerts():
    assert decide({1: ticket(deleted=True)}, [near()], NOW, plans=PLANS).alerts == []


@pytest.mark.parametrize("tags, level, plan", [
    (("ultimate",), None, "ultimate"),  # by tag
    (("gold", "priority_high"), "starter", "gold"),  # a tag wins over the organization
    ((), "silver", "silver"),  # by organization
    ((), "Premium", "premium"),  # organization values compared without case
    (("starter",), None, None),
    ((), "starter", None),
    ((), None, None),
])
def test_plan_by_tag_or_organization(tags, level, plan):
    t = ticket(tags=tags, level=level)
    assert plan_of(t, PLANS) == plan
    assert bool(decide({1: t}, [near()], NOW, plans=PLANS).alerts) is (plan is not None)


def test_premium_plans_setting(monkeypatch):
    monkeypatch.setenv("SUPPORT_OPS_PREMIUM_PLANS", "Ultimate, platinum")
    assert premium_plans() == {"ultimate", "platinum"}
    monkeypatch.delenv("SUPPORT_OPS_PREMIUM_PLANS")
    assert premium_plans() == PLANS


def test_window_edges():
    two_h = dt.timedelta(hours=2)
    assert not in_window(NOW, NOW)  # breaching now: too late, not "approaching"
    assert in_window(NOW + dt.timedelta(seconds=1), NOW)
    assert in_window(NOW + two_h, NOW)  # exactly two hours left: in
    assert not in_window(NOW + two_h + dt.timedelta(seconds=1), NOW)
    assert not in_window(NOW - dt.timedelta(minutes=1), NOW)  # already breached
    assert not in_window(None, NOW)
    assert [a.minutes_left for a in decide({1: ticket()}, [near(minutes_left=120)], NOW, plans=PLANS).alerts] == [120]
    assert decide({1: ticket()}, [near(minutes_left=121)], NOW, plans=PLANS).alerts == []
    assert decide({1: ticket()}, [near(minutes_left=0)], NOW, plans=PLANS).alerts == []


def test_already_tagged_ticket_is_not_alerted():
    t = ticket(tags=("premium", TAG))
    d = decide({1: t}, [near()], NOW, plans=PLANS)
    assert d.alerts == [] and d.skipped == {"already tagged": 1}
    assert why_not(t, PLANS) == "already tagged"


def test_an_instance_alerted_before_does_not_alert_again_even_untagged():
    d = decide({1: ticket()}, [near()], NOW, alerted={(1, "reply_time", 1): False}, plans=PLANS)
    assert d.alerts == []


def test_the_nearest_instance_alerts_once_per_ticket():
    d = decide({1: ticket()}, [near(minutes_left=100, instance=1), near(minutes_left=30, instance=2)], NOW,
               plans=PLANS)
    assert [(a.instance.instance_id, a.minutes_left) for a in d.alerts] == [(2, 30)]


def test_tag_removed_once_the_alerted_instance_is_fulfilled():
    tagged = ticket(tags=("premium", TAG))
    running = near()
    done = instance_of(1, "reply_time", 1, [ev("apply_sla", 500, target=240), ev("fulfill", 590)])
    alerted = {(1, "reply_time", 1): True}
    assert decide({1: tagged}, [running], NOW, alerted=alerted, plans=PLANS).untag == []
    assert decide({1: tagged}, [done], NOW, alerted=alerted, plans=PLANS).untag == [1]


def test_after_the_tag_is_off_a_later_instance_alerts():
    untagged = ticket()
    done = instance_of(1, "reply_time", 1, [ev("apply_sla", 500, target=240), ev("fulfill", 590)])
    later = near(instance=2)
    d = decide({1: untagged}, [done, later], NOW, alerted={(1, "reply_time", 1): False}, plans=PLANS)
    assert [(a.instance.instance_id) for a in d.alerts] == [2]


def test_a_tag_put_by_someone_else_comes_off_when_no_sla_is_running():
    tagged = ticket(tags=("premium", TAG))
    done = instance_of(1, "reply_time", 1, [ev("apply_sla", 500, target=240), ev("fulfill", 590)])
    assert decide({1: tagged}, [done], NOW, plans=PLANS).untag == [1]
    assert decide({1: tagged}, [done, near(instance=2)], NOW, plans=PLANS).untag == []
