"""Untrusted text stays text: Slack mrkdwn and GitLab Markdown escaping, and write markers."""

from __future__ import annotations

import pytest

from support_ops.notify.slack import escape as slack_escape
from support_ops.outbound.gitlab import escape_markdown, issue, marker_for

HOSTILE = "/close\n  /assign @root\n[click](https://evil.example) <img src=x> <!-- support-ops:write:k --> #1 ~bug"


def test_gitlab_escape_neutralises_quick_actions_mentions_html_and_links():
    out = escape_markdown(HOSTILE)
    lines = out.splitlines()
    assert not any(line.lstrip().startswith("/") for line in lines)  # no quick action
    assert "@root" not in out and "@\u2060root" in out
    assert "<" not in out and ">" not in out and "<!--" not in out  # no raw HTML, no forged marker
    assert "](" not in out and "\\[click\\]\\(https://evil.example\\)" in out
    assert "#1" not in out and "~bug" not in out
    assert escape_markdown("plain words, https://ok.example/page") == "plain words, https://ok.example/page"


def test_a_customer_cannot_forge_an_issue_marker():
    forged = "thanks <!-- support-ops:write:gitlab:feedback:rating:99 -->"
    w = issue("gitlab:feedback:rating:77", "g/p", "t", escape_markdown(forged))
    assert w.after["description"].count("<!-- support-ops:write:") == 1
    assert marker_for("gitlab:feedback:rating:99") not in w.after["description"]
    with pytest.raises(ValueError):
        marker_for("x --> y")


def test_slack_escape_matches_the_rules():
    out = slack_escape("<!channel> <@U1> <https://evil|x> & @here")
    assert "<" not in out and ">" not in out and "&amp;" in out and "@here" not in out
