"""The organization sync's plan, rule by rule (docs/org-sync.md): scope, skip reasons and their
order, the nine field mappings, comparison and null rules, the 15 -> 18 id rewrite."""

from __future__ import annotations

import pytest

from support_ops.clients.salesforce_ids import to18
from support_ops.org_sync import rules

ID15 = "001A000001AbCdE"
ID18 = to18(ID15)


def account(**kw) -> dict:
    acc = {"Id": ID18, "Name": "Acme Corp", "Type": "Customer", "IsDeleted": False,
           "Owner": {"Name": "Jane Doe"}, "Support_Level__c": "Premium", "CARR_This_Account__c": 12000.5,
           "Number_of_Licenses_This_Account__c": 25, "Market_Segment__c": "Large",
           "Sales_Segmentation__c": "Enterprise", "Technical_Account_Manager_Name__c": "Sam Tam",
           "Zendesk_Organization_ID__c": "101", "Zendesk_Organization_Name__c": "Acme Corp"}
    acc.update(kw)
    return acc


def org(**kw) -> dict:
    fields = {"salesforce_id": ID18, "support_level": "premium", "aar": 12000.5, "account_owner": "Jane Doe",
              "number_of_seats": 25, "market_segment": "Large", "sales_segmentation": "Enterprise",
              "technical_account_manager": "Sam Tam", "account_type": "customer"}
    fields.update(kw.pop("fields", {}))
    o = {"id": 101, "name": "Acme Corp", "domain_names": ["acme.com"], "deleted_at": None,
         "updated_at": "2026-11-01T00:00:00Z", "organization_fields": fields}
    o.update(kw)
    return o


def plan_of(accounts, orgs, **kw) -> rules.Plan:
    return rules.make_plan(accounts, orgs, **kw)


def only_change(plan: rules.Plan) -> rules.Change:
    assert len(plan.changes) == 1, plan
    return plan.changes[0]


def test_an_up_to_date_organization_plans_nothing():
    p = plan_of([account()], [org()])
    assert p.changes == [] and p.skips == [] and p.unchanged == 1 and p.accounts_in_scope == 1


# -- the nine mappings -----------------------------------------------------------------------

@pytest.mark.parametrize("acc_kw, field, before, after", [
    ({"Support_Level__c": "Ultimate"}, "support_level", "premium", "ultimate"),
    ({"CARR_This_Account__c": 13000}, "aar", 12000.5, 13000.0),
    ({"Owner": {"Name": "John Roe"}}, "account_owner", "Jane Doe", "John Roe"),
    ({"Number_of_Licenses_This_Account__c": 40}, "number_of_seats", 25, 40),
    ({"Market_Segment__c": "SMB"}, "market_segment", "Large", "SMB"),
    ({"Sales_Segmentation__c": "Commercial"}, "sales_segmentation", "Enterprise", "Commercial"),
    ({"Technical_Account_Manager_Name__c": "Kim Lee"}, "technical_account_manager", "Sam Tam", "Kim Lee"),
    ({"Type": "Customer"}, None, None, None),  # in scope: only 'Customer'; the value written is checked below
])
def test_each_mapping_writes_its_salesforce_field(acc_kw, field, before, after):
    p = plan_of([account(**acc_kw)], [org()])
    if field is None:
        assert p.changes == []
        return
    c = only_change(p)
    assert c.after == {field: after} and c.before == {field: before}
    assert c.organization_id == 101 and c.account_id == ID18


def test_salesforce_id_is_written_as_the_18_character_id():
    c = only_change(plan_of([account()], [org(fields={"salesforce_id": ID15})]))
    assert c.after == {"salesforce_id": ID18} and c.before == {"salesforce_id": ID15}
    assert len(ID18) == 18 and ID18[:15] == ID15


def test_account_type_is_lower_case_with_underscores():
    c = only_change(plan_of([account()], [org(fields={"account_type": None})]))
    assert c.after == {"account_type": "customer"}
    m = rules.BY_FIELD["account_type"]
    assert rules.written_value(m, "Former Customer") == "former_customer"
    assert rules.written_value(rules.BY_FIELD["support_level"], " Premium ") == "premium"


def test_the_new_organization_starter_plan_is_corrected():
    c = only_change(plan_of([account(Support_Level__c="Ultimate")], [org(fields={"support_level": "starter"})]))
    assert c.after == {"support_level": "ultimate"}


def test_nine_mappings_exactly():
    assert rules.FIELDS == ("salesforce_id", "support_level", "aar", "account_owner", "number_of_seats",
                            "market_segment", "sales_segmentation", "technical_account_manager", "account_type")
    empty = org(fields={**{f: None for f in rules.FIELDS}, "salesforce_id": ID15})  # linked by its 15
    c = only_change(plan_of([account()], [empty]))
    assert c.after == {"salesforce_id": ID18, "support_level": "premium", "aar": 12000.5,
                       "account_owner": "Jane Doe", "number_of_seats": 25, "market_segment": "Large",
                       "sales_segmentation": "Enterprise", "technical_account_manager": "Sam Tam",
                       "account_type": "customer"}


# -- comparison rules --------------------------------------------------------------------------

@pytest.mark.parametrize("zd, sf", [(12000.5, "12000.50"), ("12000.50", 12000.5), (12000.499, 12000.5),
                                    (12000.5, 12000.504)])
def test_aar_compares_to_the_cent(zd, sf):
    assert plan_of([account(CARR_This_Account__c=sf)], [org(fields={"aar": zd})]).changes == []


def test_aar_one_cent_apart_is_a_change():
    c = only_change(plan_of([account(CARR_This_Account__c=12000.51)], [org(fields={"aar": 12000.5})]))
    assert c.after == {"aar": 12000.51}


@pytest.mark.parametrize("zd", [25, 25.0, "25", "25.0", " 25 "])
def test_seats_compare_as_integers(zd):
    assert plan_of([account(Number_of_Licenses_This_Account__c=25.0)], [org(fields={"number_of_seats": zd})]).changes == []


def test_seats_written_as_an_integer():
    c = only_change(plan_of([account(Number_of_Licenses_This_Account__c=30.0)], [org()]))
    assert c.after == {"number_of_seats": 30} and isinstance(c.after["number_of_seats"], int)


def test_support_level_differing_only_in_case_is_no_change():
    assert plan_of([account(Support_Level__c="PREMIUM")], [org(fields={"support_level": "Premium"})]).changes == []


def test_texts_differing_only_in_case_are_a_change():
    c = only_change(plan_of([account(Owner={"Name": "jane doe"})], [org()]))
    assert c.after == {"account_owner": "jane doe"}


def test_whitespace_only_differences_are_no_change():
    p = plan_of([account(Owner={"Name": "  Jane Doe "}, Market_Segment__c="Large\t")],
                [org(fields={"technical_account_manager": " Sam Tam  "})])
    assert p.changes == [] and p.unchanged == 1


def test_null_or_empty_salesforce_value_never_blanks_zendesk():
    acc = account(Support_Level__c=None, CARR_This_Account__c=None, Owner=None, Market_Segment__c="  ",
                  Number_of_Licenses_This_Account__c="", Technical_Account_Manager_Name__c=None)
    assert plan_of([acc], [org()]).changes == []


def test_clearable_fields_may_be_cleared(monkeypatch):
    acc = account(Technical_Account_Manager_Name__c=None, Market_Segment__c=None)
    monkeypatch.setenv(rules.CLEARABLE_SETTING, "technical_account_manager")
    c = only_change(plan_of([acc], [org()], clearable=rules.clearable_fields()))
    assert c.after == {"technical_account_manager": None} and c.before == {"technical_account_manager": "Sam Tam"}
    # clearing an already empty field is no change
    assert plan_of([acc], [org(fields={"technical_account_manager": ""})],
                   clearable=frozenset({"technical_account_manager"})).changes == []


def test_clearable_setting_defaults_to_none_and_rejects_unknown_fields(monkeypatch):
    monkeypatch.delenv(rules.CLEARABLE_SETTING, raising=False)
    assert rules.clearable_fields() == frozenset()
    with pytest.raises(rules.RuleError, match="unknown fields.*'name'"):
        rules.clearable_fields("name, aar")


def test_null_over_a_value_is_written():
    c = only_change(plan_of([account()], [org(fields={"market_segment": None, "aar": ""})]))
    assert c.after == {"aar": 12000.5, "market_segment": "Large"}


def test_only_organization_fields_are_written():
    c = only_change(plan_of([account(Support_Level__c="Ultimate")], [org(name="ACME  corp", tags=["x"])]))
    assert set(c.after) <= set(rules.FIELDS)


# -- skip reasons and their order -------------------------------------------------------------

def test_duplicate_accounts_are_skipped_first():
    dup = account(Id=to18("001A000001ZZZZZ"), Name="  ACME   corp ", Zendesk_Organization_ID__c="999")
    p = plan_of([account(Support_Level__c="Ultimate"), dup], [org()])
    assert p.changes == []
    assert {(s.account_id, s.reason, s.organization_id) for s in p.skips} == {
        (ID18, "duplicate_account", 101), (dup["Id"], "duplicate_account", None)}


def test_no_organization():
    p = plan_of([account()], [org(fields={"salesforce_id": to18("001A000009XXXXX")})])
    assert [(s.reason, s.organization_id) for s in p.skips] == [("no_organization", None)]


def test_multiple_organizations():
    p = plan_of([account()], [org(), org(id=102, fields={"salesforce_id": ID15})])
    assert [(s.reason, s.organization_id) for s in p.skips] == [("multiple_organizations", None)]
    assert "101, 102" in p.skips[0].detail


def test_zendesk_org_id_mismatch():
    for value in ("999", None, ""):
        p = plan_of([account(Zendesk_Organization_ID__c=value)], [org(fields={"support_level": "starter"})])
        assert [(s.reason, s.organization_id) for s in p.skips] == [("zendesk_org_id_mismatch", 101)]


def test_zendesk_org_name_mismatch_after_normalization():
    p = plan_of([account(Zendesk_Organization_Name__c="Acme Corporation")], [org()])
    assert [s.reason for s in p.skips] == ["zendesk_org_name_mismatch"]
    same = plan_of([account(Zendesk_Organization_Name__c="  ACME\tcorp ")], [org()])
    assert same.skips == [] and same.unchanged == 1


def test_invalid_org_domain():
    p = plan_of([account()], [org(domain_names=["acme.com", "https://acme.com"])])
    assert [s.reason for s in p.skips] == ["invalid_org_domain"]


def test_first_reason_that_applies_wins():
    """An account failing every condition from a point on gets the earliest reason."""
    bad_all = dict(Zendesk_Organization_ID__c="1", Zendesk_Organization_Name__c="Other")
    bad_org = org(domain_names=["bad domain.com"])
    dup = account(Id=to18("001A000001ZZZZZ"), Name="Acme Corp")
    assert plan_of([account(**bad_all), dup], [bad_org]).skips[0].reason == "duplicate_account"
    assert plan_of([account(**bad_all)], [bad_org, org(id=102)]).skips[0].reason == "multiple_organizations"
    assert plan_of([account(**bad_all)], [bad_org]).skips[0].reason == "zendesk_org_id_mismatch"
    assert plan_of([account(Zendesk_Organization_Name__c="Other")], [bad_org]).skips[0].reason == \
        "zendesk_org_name_mismatch"
    assert plan_of([account()], [bad_org]).skips[0].reason == "invalid_org_domain"
    assert rules.SKIP_REASONS == ("duplicate_account", "no_organization", "multiple_organizations",
                                  "zendesk_org_id_mismatch", "zendesk_org_name_mismatch", "invalid_org_domain")


# -- scope ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("acc_kw", [{"Type": "Former Customer"}, {"Type": "Prospect"}, {"Type": "Partner"},
                                    {"IsDeleted": True}])
def test_out_of_scope_accounts_are_untouched(acc_kw):
    p = plan_of([account(Support_Level__c="Ultimate", **acc_kw)], [org(fields={"support_level": "starter"})])
    assert p.changes == [] and p.skips == [] and p.accounts_in_scope == 0


def test_deleted_organizations_are_untouched_and_not_linked():
    p = plan_of([account(Support_Level__c="Ultimate")], [org(deleted_at="2026-10-01T00:00:00Z")])
    assert p.changes == [] and [s.reason for s in p.skips] == ["no_organization"]
    # a deleted twin does not make the live organization 'multiple'
    p = plan_of([account(Support_Level__c="Ultimate")], [org(), org(id=102, deleted_at="2026-10-01T00:00:00Z")])
    assert only_change(p).organization_id == 101


def test_deleted_duplicate_does_not_make_a_duplicate():
    gone = account(Id=to18("001A000001ZZZZZ"), IsDeleted=True)
    assert only_change(plan_of([account(Support_Level__c="Ultimate"), gone], [org()])).after == {
        "support_level": "ultimate"}


def test_only_orgs_limits_the_run():
    other = account(Id=to18("001A000002BBBBB"), Name="Beta", Zendesk_Organization_ID__c="202",
                    Zendesk_Organization_Name__c="Beta", Support_Level__c="Ultimate")
    orgs = [org(fields={"support_level": "starter"}),
            org(id=202, name="Beta", fields={"salesforce_id": other["Id"], "support_level": "starter"})]
    p = plan_of([account(), other], orgs, only_orgs=[202])
    assert [c.organization_id for c in p.changes] == [202] and p.accounts_in_scope == 1


def test_counts_by_reason_and_field():
    p = plan_of([account(Support_Level__c="Ultimate", Owner={"Name": "X Y"}),
                 account(Id=to18("001A000003CCCCC"), Name="Gamma")], [org()])
    counts = p.counts()
    assert counts["changed_organizations"] == 1 and counts["field_changes"] == 2
    assert counts["changes_per_field"]["support_level"] == 1 and counts["changes_per_field"]["account_owner"] == 1
    assert counts["skipped_by_reason"]["no_organization"] == 1 and counts["skipped"] == 1
