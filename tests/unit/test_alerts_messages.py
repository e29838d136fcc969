"""The notifications' Slack texts: customer text stays text, feeds stay within Slack's size."""

from __future__ import annotations

import datetime as dt

from support_ops.alerts.breach import instance_of
from support_ops.alerts.messages import MAX_TEXT, alert_text, duration, feed_text, view_counts_text
from support_ops.alerts.rules import Alert, Ticket

T = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


def ticket(tid: int = 5, subject: str = "Runner <b>stuck</b> & @here <!channel>") -> Ticket:
    return Ticket(tid, "open", "urgent", ("premium",), organization="Acme <script>", subject=subject,
                  assignee="<@U123> Bob")


def test_alert_text_escapes_customer_text_and_says_everything():
    from support_ops.alerts.breach import Event

    inst = instance_of(5, "reply_time", 1, [Event(5, "reply_time", 1, "apply_sla", T - dt.timedelta(minutes=200),
                                                 240, 1)])
    text = alert_text(Alert(ticket(), inst, "premium", T))
    assert "<!channel>" not in text and "<@U123>" not in text and "<script>" not in text and "<b>" not in text
    assert "&lt;!channel&gt;" in text and "@\u2060here" in text and "Acme &lt;script&gt;" in text
    assert "40 min" in text and "10:40 UTC" in text and "*Plan:* premium" in text and "urgent" in text
    assert "reply_time" in text and "#5" in text


def test_duration():
    assert duration(0) == "0 min" and duration(59) == "59 min" and duration(61) == "1 h 01 min"


def test_feed_text_is_cut_to_slacks_size_with_the_rest_counted():
    tickets = [ticket(i, subject="x" * 200) for i in range(500)]
    text = feed_text("Self-Managed tickets", tickets, {0, 1}, T - dt.timedelta(minutes=10), T)
    assert len(text) <= MAX_TEXT and text.splitlines()[-1].startswith("… and ")
    shown = len(text.splitlines()) - 2
    assert text.splitlines()[-1] == f"… and {500 - shown} more in Zendesk"
    assert "500 ticket(s)" in text.splitlines()[0] and "[new," in text and "[updated," in text


def test_short_feed_is_whole():
    text = feed_text("GitLab.com tickets", [ticket(1), ticket(2)], set(), T - dt.timedelta(minutes=10), T)
    assert len(text.splitlines()) == 3 and "more in Zendesk" not in text


def test_view_counts_text():
    text = view_counts_text([{"title": "A <b>", "value": 3, "fresh": True},
                             {"title": "B", "value": None, "fresh": False},
                             {"title": "C", "value": 7, "fresh": False}], T)
    assert "A &lt;b&gt;: *3*" in text and "B: *counting…*" in text and "C: *7* (not fresh)" in text
