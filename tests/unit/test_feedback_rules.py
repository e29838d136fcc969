"""Feedback issue rules: labels for every reason, the issue text, and hostile comments kept as text."""

from __future__ import annotations

import datetime as dt
import re

import pytest

from support_ops.feedback import rules
from support_ops.kpis.definitions import BAD_REASON_ROUTES

T = dt.datetime(2026, 11, 18, 9, 30, tzinfo=dt.UTC)
URL = "https://acme.zendesk.com/agent/tickets/4321"
# What GitLab (and the sandbox) would execute: a line starting with a slash command.
QUICK_ACTION = re.compile(r"^\s*/[a-z_]+", re.M)


def rating(**kw) -> rules.Rating:
    base = dict(rating_id=99, ticket_id=4321, score="bad", reason="My issue was not resolved",
                comment="It still fails.", organization="Acme", support_level="premium", group_id=360001,
                created_at=T, updated_at=T)
    return rules.Rating(**{**base, **kw})


@pytest.mark.parametrize(("reason", "key", "route"), [
    ("GitLab doesn't meet my needs", "product-needs", "product"),
    ("The answer wasn't delivered in a timely manner", "not-timely", "support-managers"),
    ("My issue was not resolved", "not-resolved", "support-managers"),
    ("The answer wasn't helpful", "not-helpful", "support-managers"),
    ("Some other reason", "other", "support-managers"),
    ("  the ANSWER wasn\u2019t helpful ", "not-helpful", "support-managers"),  # spacing, case, apostrophe
    ("A reason added to the dropdown later", "other", "support-managers"),  # unrecognised text
    (None, "none", "support-managers"),
    ("", "none", "support-managers"),
    ("No reason provided", "none", "support-managers"),
])
def test_labels_of_a_bad_rating(reason, key, route):
    assert rules.labels("bad", reason) == ["satisfaction::bad", f"ssat-reason::{key}", f"ssat-route::{route}"]


def test_every_dropdown_reason_has_a_key_and_good_ratings_only_the_score():
    assert {rules.reason_key(r) for r in BAD_REASON_ROUTES} == {
        "product-needs", "not-timely", "not-resolved", "not-helpful", "other"}
    assert rules.labels("good", "My issue was not resolved") == ["satisfaction::good"]
    with pytest.raises(ValueError, match="good or bad"):
        rules.labels("offered", None)


def test_which_ratings_get_an_issue():
    assert rules.is_feedback("bad", None) and rules.is_feedback("bad", "")
    assert rules.is_feedback("good", "thanks!")
    assert not rules.is_feedback("good", "  \n ") and not rules.is_feedback("good", None)
    assert not rules.is_feedback("offered", "x") and not rules.is_feedback("unoffered", None)


def test_title_and_description_name_the_ticket_and_carry_the_marker():
    r = rating()
    assert rules.title(r) == "Satisfaction bad: ticket #4321"
    body = rules.description(r, URL, rules.Manager("Ann Lee", "ann@example.com", 7, "alee"))
    assert f"[#4321]({URL})" in body
    assert "**Score:** bad" in body and "My issue was not resolved" in body and "route: support-managers" in body
    assert "Acme" in body and "premium" in body and "360001" in body and "Ann Lee (assigned)" in body
    assert body.endswith(rules.marker(99)) and body.count("<!--") == 1
    assert rules.rating_id_in(body) == 99
    unassigned = rules.description(r, URL, rules.Manager("Ann Lee", "ann@example.com"))
    assert "no GitLab user found" in unassigned
    assert "nobody is on call" in rules.description(r, URL, None)
    other = rules.description(rating(reason="Pricing"), URL, None)
    assert "Some other reason (as given: Pricing)" in other


def test_no_requester_data_in_the_issue():
    body = rules.description(rating(), URL, None)
    assert "requester" not in body.lower() and "@" not in body.replace("@\u2060", "")


HOSTILE_LINES = [
    "/close", "/assign @root", "  /label ~security", "\t/title pwned", "/unlabel ~satisfaction::bad",
    "/reopen", "/confidential",
]


@pytest.mark.parametrize("line", HOSTILE_LINES)
@pytest.mark.parametrize("where", ["first", "middle", "last", "crlf", "cr"])
def test_a_quick_action_on_any_line_stays_text(line, where):
    comment = {
        "first": f"{line}\nthe rest",
        "middle": f"hello\n{line}\nbye",
        "last": f"hello\n{line}",
        "crlf": f"hello\r\n{line}\r\nbye",
        "cr": f"hello\r{line}\rbye",
    }[where]
    body = rules.description(rating(comment=comment), URL, None)
    assert not QUICK_ACTION.search(body), body
    assert "\r" not in body
    assert line.strip().lstrip("/").split()[0] in body  # still readable


def test_mentions_html_images_code_fences_and_forged_markers():
    comment = ("@all @here please @root look\n<script>alert(1)</script>\n![x](https://evil.example/p.png)\n"
               "<img src=x onerror=alert(1)>\n```\n/close\n```\n"
               "<!-- support-ops:satisfaction-rating:1 -->\n[click](https://evil.example)\n<details>hi</details>")
    body = rules.description(rating(comment=comment), URL, None)
    quoted = body[body.index("### Customer comment"):]
    assert not re.search(r"@(all|here|root)\b", body)
    assert "@\u2060all" in body  # still readable, cannot notify
    assert "<" not in quoted.replace(rules.marker(99), "")  # no raw HTML, no <!--
    assert "![" not in body and "](https://evil" not in body and "```" not in body
    assert body.count("<!-- support-ops:satisfaction-rating:") == 1 and rules.rating_id_in(body) == 99
    assert r"alert\(1\)" in body and "evil.example" in body  # the words stay (escaped)
    assert not QUICK_ACTION.search(body)


def test_every_comment_line_is_quoted_and_empty_lines_keep_the_quote():
    out = rules.quote_comment("one\n\ntwo\n   \nthree")
    assert out.split("\n") == ["> one", ">", "> two", ">", "> three"]
    assert rules.quote_comment("  \n ") == "_No comment._" and rules.quote_comment(None) == "_No comment._"


def test_control_and_bidi_characters_are_dropped():
    assert rules.plain_text("a\x00b\u202ec\x1b[31m") == "abc[31m"


def test_a_20000_character_comment_is_cut_readably():
    comment = ("/close " + "word " * 4000)[:20000]
    assert len(comment) == 20000
    quoted = rules.quote_comment(comment)
    assert "cut at 5,000 of 20,000 characters" in quoted
    assert len(quoted) < 7000 and not QUICK_ACTION.search(quoted)
    body = rules.description(rating(comment=comment), URL, None)
    assert body.endswith(rules.marker(99))


def test_marker_parsing():
    assert rules.rating_id_in("x\n<!-- support-ops:satisfaction-rating:123 -->") == 123
    assert rules.rating_id_in("&lt;!-- support-ops:satisfaction-rating:123 --&gt;") is None
    assert rules.rating_id_in(None) is None
    assert rules.score_of(["a", "satisfaction::good"]) == "good" and rules.score_of(["b"]) is None
    assert rules.feedback_labels(["x", "ssat-route::product", "satisfaction::bad"]) == [
        "ssat-route::product", "satisfaction::bad"]


def test_month_file_names():
    assert rules.month_file("2026-01") == "feedback/2026-01.csv"
    for bad in ("2026-13", "2026-1", "26-01", "../x"):
        with pytest.raises(ValueError):
            rules.month_file(bad)


# -- the monthly export files -------------------------------------------------------------
def test_month_files_split_by_updated_month_sorted_by_rating_id():
    import csv
    import io

    from support_ops.feedback import export

    oct_ = dt.datetime(2026, 10, 31, 23, 59, 59, tzinfo=dt.UTC)
    rows = [
        rating(rating_id=30, comment="late october", updated_at=oct_),
        rating(rating_id=10, score="good", reason=None, comment="Great, thanks", updated_at=T),
        rating(rating_id=20, comment="=HYPERLINK(\"http://evil\")\r\nsecond line", reason=None),
        rating(rating_id=40, comment="   "),  # no comment: not exported
        rating(rating_id=50, score="good", comment=None),
        rating(rating_id=5, comment="same month, smaller id", reason="Pricing"),
    ]
    files = export.month_files(rows)
    assert sorted(files) == ["feedback/2026-10.csv", "feedback/2026-11.csv"]
    nov = list(csv.DictReader(io.StringIO(files["feedback/2026-11.csv"])))
    assert [r["rating_id"] for r in nov] == ["5", "10", "20"]
    assert list(nov[0]) == list(export.COLUMNS)
    assert nov[0]["reason"] == "Some other reason" and nov[1]["reason"] == "" and nov[2]["reason"] == "none"
    assert nov[2]["comment"] == "'=HYPERLINK(\"http://evil\")\nsecond line"  # no formula, LF only
    assert nov[1]["updated_at"] == "2026-11-18T09:30:00Z" and nov[0]["organization"] == "Acme"
    assert "\r" not in files["feedback/2026-11.csv"]
    oct_rows = list(csv.DictReader(io.StringIO(files["feedback/2026-10.csv"])))
    assert [r["rating_id"] for r in oct_rows] == ["30"]
    assert export.month_files(list(reversed(rows))) == files  # order of input does not matter


def test_only_changed_months_are_committed_under_a_stable_key():
    from support_ops.feedback import export

    files = {"feedback/2026-10.csv": "a\n", "feedback/2026-11.csv": "b\n"}
    assert export.changed(files, {"feedback/2026-10.csv": "a\n"}) == {"feedback/2026-11.csv": "b\n"}
    assert export.changed(files, dict(files)) == {}
    assert export.commit_key(files) == export.commit_key(dict(reversed(files.items())))
    assert export.commit_key(files) != export.commit_key({**files, "feedback/2026-11.csv": "c\n"})
    assert export.commit_message(files) == "Feedback export: 2026-10, 2026-11"
