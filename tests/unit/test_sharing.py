"""Shared organizations: the five options <-> settings both ways, the request block, every
finding kind of the audit (docs/sharing.md)."""

from __future__ import annotations

import pytest

from support_ops.sharing import audit, options
from support_ops.sharing.requests import APPROVED, RequestError, from_issue, parse_block

ROWS = [  # option, shared_tickets, shared_comments, selected users' access
    ("own_tickets", False, False, None),
    ("view_all", True, False, None),
    ("view_and_comment_all", True, True, None),
    ("selected_view", False, False, "view"),
    ("selected_view_and_comment", False, False, "comment"),
]


@pytest.mark.parametrize(("option", "tickets", "comments", "access"), ROWS)
def test_option_to_settings(option, tickets, comments, access):
    s = options.settings_for(option)
    assert (s.shared_tickets, s.shared_comments, s.selected_access) == (tickets, comments, access)


@pytest.mark.parametrize(("option", "tickets", "comments", "access"), ROWS)
def test_settings_to_option(option, tickets, comments, access):
    users = [{"ticket_restriction": "requested"}]
    if access:
        users.append({"ticket_restriction": "organization", "user_fields": {"shared_org_comments": access == "comment"}})
    assert options.option_for(tickets, comments, [options.user_access(u) for u in users]) == option


def test_comments_without_tickets_is_no_option_and_unknown_names_are_refused():
    assert options.option_for(False, True) is None
    with pytest.raises(ValueError, match="unknown option"):
        options.settings_for("everyone")
    assert options.normalize("All users can view all tickets but not add comments") == "view_all"


def test_user_access_reads_ticket_restriction_and_the_comment_field(monkeypatch):
    assert options.user_access({"ticket_restriction": "requested", "user_fields": {"shared_org_comments": True}}) is None
    assert options.user_access({"ticket_restriction": "organization"}) == "view"
    monkeypatch.setenv("SUPPORT_OPS_SHARED_COMMENT_FIELD", "may_comment")
    assert options.user_access({"ticket_restriction": "organization", "user_fields": {"may_comment": True}}) == "comment"
    assert options.user_settings("comment") == {"ticket_restriction": "organization",
                                                "user_fields": {"may_comment": True}}


def block(**kw) -> str:
    body = {"zendesk_ticket": "123", "organization_id": "77", "option": "view_all", **kw}
    lines = [f"{k}: {v}" for k, v in body.items() if v is not None]
    return "Intro text\n\n```shared-org\n" + "\n".join(lines) + "\n```\n"


def test_request_block_is_read():
    r = parse_block(block(option="selected_view", users="A@x.example, b@y.example",
                          zendesk_ticket="https://acme.zendesk.com/agent/tickets/555"))
    assert r == {"ticket_id": 555, "organization_id": 77, "option": "selected_view",
                 "users": ("a@x.example", "b@y.example")}


@pytest.mark.parametrize(("text", "message"), [
    ("no block at all", "no ```shared-org block"),
    (block(option="everyone"), "unknown option"),
    (block(organization_id="acme"), "organization_id must be a number"),
    (block(option="selected_view"), "needs the selected users"),
    (block(users="a@x.example"), "leave users: empty"),
    (block(option="selected_view", users="not-an-address"), "not an e-mail address"),
    (block(organization_id=None), "lacks organization_id"),
])
def test_bad_request_blocks_say_what_to_fix(text, message):
    with pytest.raises(RequestError, match=message):
        parse_block(text)


def req(iid, org, option, users="", state="opened", approved=True):
    text = block(organization_id=str(org), option=option, users=users or None)
    return from_issue({"iid": iid, "title": "t", "state": state, "description": text,
                       "labels": [APPROVED] if approved else ["shared-org::pending"]})


def org(oid, tickets=False, comments=False):
    return {"id": oid, "name": f"Org <{oid}>", "shared_tickets": tickets, "shared_comments": comments}


def user(uid, oid, restriction="requested", comments=False):
    return {"id": uid, "organization_id": oid, "role": "end-user", "email": f"u{uid}@x.example",
            "ticket_restriction": restriction, "user_fields": {"shared_org_comments": comments}}


def keys(found):
    return [f.key for f in found]


def test_shared_organization_without_request():
    found = audit.run_audit([org(1, True), org(2)], [user(10, 1), user(11, 2)], [req(1, 2, "own_tickets", approved=False)])
    assert keys(found) == [(audit.WITHOUT_REQUEST, "organization", "1")]
    assert found[0].details["end_users"] == 1


def test_applied_request_that_drifted_is_a_settings_mismatch_and_one_in_place_is_clean():
    found = audit.run_audit([org(1, True, True), org(2, True)], [],
                            [req(1, 1, "view_all", state="closed"), req(2, 2, "view_all", state="closed")])
    assert keys(found) == [(audit.SETTINGS_MISMATCH, "organization", "1")]
    assert found[0].details["differences"] == [{"entity": "organization 1", "field": "shared_comments",
                                               "want": False, "have": True}]


def test_open_approved_request_not_in_place_is_not_applied():
    users = [user(10, 1), user(11, 1)]
    found = audit.run_audit([org(1)], users, [req(3, 1, "selected_view_and_comment", users="u10@x.example")])
    assert keys(found) == [(audit.NOT_APPLIED, "organization", "1")]
    users[0].update(ticket_restriction="organization", user_fields={"shared_org_comments": True})
    assert audit.run_audit([org(1)], users, [req(3, 1, "selected_view_and_comment", users="u10@x.example")]) == []


def test_user_with_access_no_request_explains():
    users = [user(10, 1, "organization"), user(11, 2, "organization", comments=True), user(12, 3, "organization")]
    found = audit.run_audit([org(1), org(2, True), org(3, True)], users,
                            [req(1, 2, "view_all", state="closed"), req(2, 3, "view_all", state="closed")])
    assert sorted(keys(found)) == [(audit.USER_WITHOUT_REQUEST, "user", "10"), (audit.USER_WITHOUT_REQUEST, "user", "11")]


def test_widest_exposure_first_and_latest_approved_request_counts():
    orgs = [org(1, True), org(2, True, True), org(3)]
    users = [user(10, 1), user(11, 1), user(12, 2), user(13, 3, "organization")]
    found = audit.run_audit(orgs, users, [req(1, 3, "view_all", state="closed"), req(2, 3, "own_tickets", state="closed")])
    assert keys(found) == [(audit.WITHOUT_REQUEST, "organization", "2"), (audit.WITHOUT_REQUEST, "organization", "1"),
                           (audit.USER_WITHOUT_REQUEST, "user", "13")]


# -- the apply DAG's refusals (support_ops.sharing.apply.refusal) ------------------------------
from support_ops.sharing.apply import desired, refusal  # noqa: E402

TICKET = {"id": 123, "organization_id": 77}
MEMBERS = [user(10, 77), user(11, 77)]


def ok_request(**kw):
    return from_issue({"iid": 9, "title": "t", "state": "opened", "labels": [APPROVED],
                       "description": block(**kw)})


def test_an_approved_request_for_an_existing_organization_and_its_ticket_is_not_refused():
    assert refusal(ok_request(option="selected_view", users="u10@x.example"), org(77), TICKET, MEMBERS) is None


@pytest.mark.parametrize(("request_", "org_", "ticket", "reason"), [
    (req(9, 77, "view_all", approved=False), org(77), TICKET, "not approved"),
    (from_issue({"iid": 9, "title": "t", "state": "opened", "labels": [APPROVED], "description": "no block"}),
     org(77), TICKET, "cannot be read"),
    (ok_request(), None, TICKET, "organization 77 does not exist"),
    (ok_request(), {**org(77), "deleted_at": "2026-01-01T00:00:00Z"}, TICKET, "organization 77 does not exist"),
    (ok_request(), org(77), None, "ticket 123 does not exist"),
    (ok_request(), org(77), {"id": 123, "organization_id": 5}, "ticket 123 is not from organization 77"),
    (ok_request(option="selected_view", users="nobody@x.example"), org(77), TICKET, "no end user"),
])
def test_every_refusal_says_why(request_, org_, ticket, reason):
    assert reason in refusal(request_, org_, ticket, MEMBERS)


def test_a_selected_option_gives_the_listed_users_access_and_takes_it_from_the_others():
    members = [user(10, 77), user(11, 77, "organization")]
    want_org, want_users = desired(ok_request(option="selected_view_and_comment", users="u10@x.example"),
                                   org(77, True), members)
    assert want_org == {"shared_tickets": False, "shared_comments": False}
    assert want_users == {10: "comment", 11: None}


def test_customer_text_stays_text_in_slack_and_on_the_issue():
    import datetime as dt

    from support_ops.sharing.apply import note_text
    from support_ops.sharing.report import summary_text

    hostile = "<!channel> @here Acme\n/close"
    found = audit.run_audit([{**org(1, True), "name": hostile}], [], [])
    text = summary_text(found, None, dt.date(2026, 11, 20))
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text and "@here" not in text
    note = note_text(ok_request(), {"id": 1, "name": hostile},
                     [{"entity": "organization 1", "field": "shared_tickets", "before": False, "after": True}])
    assert "\n/close" not in note and "<!channel>" not in note and "| organization 1 |" in note
