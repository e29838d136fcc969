"""The Slack texts of the notifications. Customer text (subjects, organization names, assignee
names) goes through `notify.slack.escape`: `&`, `<`, `>` escaped, so no mention, channel
broadcast or link can come from a ticket, and `@word` is broken. Links are absolute.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from ..notify.slack import escape
from .rules import Alert, Ticket

# Slack truncates a message above 40,000 characters and recommends staying under 4,000
# (Slack API changelog, "Truncating really long messages"); a feed stays under this.
MAX_TEXT = 3900


def ticket_url(ticket_id: int) -> str | None:
    from ..links import LinkConfigError, zendesk_ticket_url

    try:
        return zendesk_ticket_url(ticket_id)
    except LinkConfigError:
        return None


def ticket_ref(ticket_id: int) -> str:
    url = ticket_url(ticket_id)
    return f"<{url}|#{ticket_id}>" if url else f"#{ticket_id}"


def duration(minutes: int) -> str:
    h, m = divmod(max(0, int(minutes)), 60)
    return f"{h} h {m:02d} min" if h else f"{m} min"


def alert_text(a: Alert) -> str:
    t = a.ticket
    return "\n".join([
        f":rotating_light: *Premium ticket {ticket_ref(t.id)} breaches its {escape(a.instance.metric)} SLA in "
        f"{duration(a.minutes_left)}* (at {a.breach_at.strftime('%H:%M UTC')})",
        f"*Subject:* {escape(t.subject or '(no subject)')}",
        f"*Organization:* {escape(t.organization or 'none')} · *Plan:* {escape(a.plan)} · "
        f"*Priority:* {escape(t.priority or 'none')}",
        f"*Assignee:* {escape(t.assignee or 'unassigned')}",
    ])


def feed_text(title: str, tickets: Sequence[Ticket], created: set[int], since: dt.datetime,
              until: dt.datetime, limit: int = MAX_TEXT) -> str:
    """One message listing the tickets, newest last, cut to Slack's size with a count of the rest."""
    head = (f"*{escape(title)}*: {len(tickets)} ticket(s) created or updated "
            f"{since.strftime('%H:%M')}–{until.strftime('%H:%M UTC')}")
    lines = [head]
    size = len(head)
    for i, t in enumerate(tickets):
        what = "new" if t.id in created else "updated"
        line = (f"• {ticket_ref(t.id)} [{what}, {escape(t.status)}, {escape(t.priority or 'no priority')}] "
                f"{escape(t.organization or 'no organization')}: {escape(_short(t.subject or '(no subject)'))}")
        rest = len(tickets) - i
        tail = f"… and {rest} more in Zendesk"
        if size + len(line) + 1 + len(tail) + 1 > limit:
            lines.append(tail)
            break
        lines.append(line)
        size += len(line) + 1
    return "\n".join(lines)


def _short(text: str, n: int = 120) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1] + "…"


def view_counts_text(rows: Sequence[dict], at: dt.datetime) -> str:
    lines = [f"*Zendesk views* at {at.strftime('%Y-%m-%d %H:%M UTC')}"]
    for r in rows:
        value = r["value"]
        shown = "counting…" if value is None else str(value)
        stale = "" if r.get("fresh") or value is None else " (not fresh)"
        lines.append(f"• {escape(r['title'])}: *{shown}*{stale}")
    return "\n".join(lines)
