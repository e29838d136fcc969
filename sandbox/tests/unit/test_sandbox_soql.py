"""The sandbox's SOQL subset and Salesforce id helpers, without a server."""

from __future__ import annotations

import pytest

from sandbox.salesforce import ids, soql

OWNER = ids.make_id("005", 7)


def _account(n: int, **fields) -> dict:
    doc = {
        "Id": ids.make_id("001", n),
        "Name": f"Acme {n}",
        "Type": "Customer",
        "OwnerId": OWNER,
        "Owner": {"Name": "Dana Scully"},
        "IsDeleted": False,
        "SystemModstamp": "2026-11-20T10:15:00.000+0000",
        "CARR_This_Account__c": 1000.0 * n,
        "GitLab_Deployment__c": "GitLab.com",
        "Support_Level__c": "Premium",
    }
    doc.update(fields)
    return doc


DOCS = [
    _account(1, Name="Acme Corp", Support_Level__c="Ultimate",
             SystemModstamp="2026-01-01T00:00:00.000+0000"),
    _account(2, Name="acme labs", Support_Level__c=None, Owner=None, OwnerId=None,
             SystemModstamp="2026-06-30T23:59:59.000+0000",
             GitLab_Deployment__c="GitLab.com;Self-Managed"),
    _account(3, Name="Beta_Co 100%", Type="Prospect", CARR_This_Account__c=None,
             SystemModstamp="2026-11-20T10:15:00.000+0000", GitLab_Deployment__c="Self-Managed"),
    _account(4, Name="O'Brien & Sons", Type="Former Customer", IsDeleted=True,
             SystemModstamp="2026-11-20T10:15:00.001+0000", GitLab_Deployment__c=None),
]


def names(text: str, docs: list[dict] | None = None) -> list[str]:
    return [r["Name"] for r in soql.run(text, DOCS if docs is None else docs).records]


# ------------------------------------------------------------------------- ids


def test_id_checksum_matches_salesforce() -> None:
    # A documented 15 -> 18 pair, and chunks all upper-case / all lower-case.
    assert ids.to18("001A0000006Vm9r") == "001A0000006Vm9rIAC"
    assert ids.id_suffix("AAAAAAAAAAAAAAA") == "555"
    assert ids.id_suffix("aaaaaaaaaaaaaaa") == "AAA"
    assert ids.to18("001A0000006Vm9rIAC") == "001A0000006Vm9rIAC"


def test_make_id_is_18_chars_with_valid_checksum() -> None:
    record_id = ids.make_id("001", 123456789)
    assert len(record_id) == 18 and record_id.startswith("001")
    assert ids.is_sf_id(record_id) and ids.is_sf_id(record_id[:15])
    assert ids.to18(record_id[:15]) == record_id
    assert not ids.is_sf_id(record_id[:15] + "ZZZ")
    assert ids.same_id(record_id, record_id[:15])
    assert ids.make_id("a00", 1) != ids.make_id("a01", 1)
    with pytest.raises(ValueError):
        ids.to18("too-short")


# ------------------------------------------------------------------- datetimes


def test_datetime_round_trip_and_offsets() -> None:
    epoch = soql.parse_datetime("2026-11-20T10:15:00.000+0000")
    assert soql.format_datetime(epoch) == "2026-11-20T10:15:00.000+0000"
    assert soql.parse_datetime("2026-11-20T12:15:00+02:00") == epoch
    assert soql.parse_datetime("2026-11-20T10:15:00Z") == epoch


# ------------------------------------------------------------------- parsing


def test_keywords_and_fields_are_case_insensitive_with_canonical_names() -> None:
    result = soql.run("select id, NAME, owner.name From ACCOUNT where type = 'customer' limit 1", DOCS)
    rec = result.records[0]
    assert list(rec) == ["attributes", "Id", "Name", "Owner"]
    assert rec["attributes"] == {"type": "Account",
                                 "url": f"/services/data/v59.0/sobjects/Account/{DOCS[0]['Id']}"}
    assert rec["Owner"] == {"attributes": {"type": "User", "url": f"/services/data/v59.0/sobjects/User/{OWNER}"},
                            "Name": "Dana Scully"}


@pytest.mark.parametrize("text", [
    "SELECT Id Account",
    "SELECT Id FROM Account WHERE",
    "SELECT Id FROM Account WHERE Name = 'x' AND Type = 'y' OR Type = 'z'",
    "SELECT Id FROM Account WHERE Name = 'unterminated",
    r"SELECT Id FROM Account WHERE Name = 'bad \q escape'",
    "SELECT Id FROM Account LIMIT -1",
    "SELECT Id FROM Account ORDER BY",
    "SELECT , FROM Account",
    "SELECT Id FROM Account extra",
    "",
])
def test_syntax_errors_are_malformed_query(text: str) -> None:
    with pytest.raises(soql.SoqlError) as err:
        soql.run(text, DOCS)
    assert err.value.code == "MALFORMED_QUERY"


def test_unknown_field_is_invalid_field_with_salesforce_message() -> None:
    with pytest.raises(soql.SoqlError) as err:
        soql.run("SELECT Id, Foo FROM Account", DOCS)
    assert err.value.code == "INVALID_FIELD"
    assert "No such column 'Foo' on entity 'Account'" in err.value.message
    assert "ERROR at Row:1:Column:12" in err.value.message
    assert err.value.payload() == [{"message": err.value.message, "errorCode": "INVALID_FIELD"}]
    with pytest.raises(soql.SoqlError, match="No such column 'Title' on entity 'User'"):
        soql.run("SELECT Owner.Title FROM Account", DOCS)
    with pytest.raises(soql.SoqlError, match="Didn't understand relationship 'Boss'"):
        soql.run("SELECT Boss.Name FROM Account", DOCS)


def test_declared_account_fields_are_known_even_when_no_doc_has_them() -> None:
    result = soql.run("SELECT Zendesk_Organization_ID__c, Website FROM Account LIMIT 1", DOCS)
    assert result.records[0]["Zendesk_Organization_ID__c"] is None


def test_literal_type_must_match_field_type() -> None:
    with pytest.raises(soql.SoqlError, match="must be of type dateTime") as err:
        soql.run("SELECT Id FROM Account WHERE SystemModstamp > '2026-01-01T00:00:00Z'", DOCS)
    assert err.value.code == "INVALID_FIELD"
    with pytest.raises(soql.SoqlError, match="must be of type string"):
        soql.run("SELECT Id FROM Account WHERE Name = 5", DOCS)
    with pytest.raises(soql.SoqlError, match="must be of type dateTime"):
        soql.run("SELECT Id FROM Account WHERE SystemModstamp > 2026-01-01", DOCS)


def test_wrong_object_is_invalid_type() -> None:
    schema = soql.Schema.build("Account", DOCS)
    with pytest.raises(soql.SoqlError) as err:
        soql.run("SELECT Id FROM Contact", DOCS, schema)
    assert err.value.code == "INVALID_TYPE"
    assert "sObject type 'Contact' is not supported" in err.value.message


# ---------------------------------------------------------------- evaluation


def test_string_equality_is_case_insensitive_and_null_aware() -> None:
    assert names("SELECT Name FROM Account WHERE Name = 'ACME CORP'") == ["Acme Corp"]
    assert names("SELECT Name FROM Account WHERE Support_Level__c = null") == ["acme labs"]
    # SOQL's != keeps records whose value is null.
    assert names("SELECT Name FROM Account WHERE Support_Level__c != 'ultimate'") == [
        "acme labs", "Beta_Co 100%", "O'Brien & Sons"]
    assert names("SELECT Name FROM Account WHERE Support_Level__c <> null") == [
        "Acme Corp", "Beta_Co 100%", "O'Brien & Sons"]


def test_string_literal_escapes() -> None:
    assert names(r"SELECT Name FROM Account WHERE Name = 'O\'Brien & Sons'") == ["O'Brien & Sons"]


def test_in_and_not_in() -> None:
    assert names("SELECT Name FROM Account WHERE Type IN ('Prospect', 'Former Customer')") == [
        "Beta_Co 100%", "O'Brien & Sons"]
    assert names("SELECT Name FROM Account WHERE Type NOT IN ('Customer')") == [
        "Beta_Co 100%", "O'Brien & Sons"]


def test_like_wildcards_and_escapes() -> None:
    assert names("SELECT Name FROM Account WHERE Name LIKE 'acme%'") == ["Acme Corp", "acme labs"]
    assert names("SELECT Name FROM Account WHERE Name LIKE 'acme _orp'") == ["Acme Corp"]
    assert names(r"SELECT Name FROM Account WHERE Name LIKE 'Beta\_Co 100\%'") == ["Beta_Co 100%"]
    assert names(r"SELECT Name FROM Account WHERE Name LIKE 'Beta\_Co 1\%'") == []


def test_numbers_booleans_and_ranges() -> None:
    assert names("SELECT Name FROM Account WHERE CARR_This_Account__c >= 2000") == [
        "acme labs", "O'Brien & Sons"]
    assert names("SELECT Name FROM Account WHERE CARR_This_Account__c < 2000.5 AND IsDeleted = false") == [
        "Acme Corp", "acme labs"]
    assert names("SELECT Name FROM Account WHERE IsDeleted = TRUE") == ["O'Brien & Sons"]


def test_datetime_literals_compare_as_instants() -> None:
    q = "SELECT Name FROM Account WHERE SystemModstamp >= 2026-11-20T10:15:00Z"
    assert names(q) == ["Beta_Co 100%", "O'Brien & Sons"]
    # The same instant written with an offset.
    q = "SELECT Name FROM Account WHERE SystemModstamp > 2026-11-20T12:15:00+02:00"
    assert names(q) == ["O'Brien & Sons"]
    q = "SELECT Name FROM Account WHERE SystemModstamp < 2026-07-01T01:00:00+01:00"
    assert names(q) == ["Acme Corp", "acme labs"]


def test_date_literals_on_date_fields() -> None:
    docs = [{"Id": ids.make_id("a00", i), "Name": f"T{i}", "Day__c": f"2026-03-0{i}"} for i in range(1, 5)]
    schema = soql.Schema.build("Ticket__c", docs)
    assert schema.fields["Day__c"] == soql.DATE
    got = soql.run("SELECT Name FROM Ticket__c WHERE Day__c > 2026-03-02", docs, schema).records
    assert [r["Name"] for r in got] == ["T3", "T4"]


def test_and_or_not_and_parentheses() -> None:
    q = ("SELECT Name FROM Account WHERE (Type = 'Prospect' OR Support_Level__c = 'Ultimate') "
         "AND NOT Name LIKE 'beta%'")
    assert names(q) == ["Acme Corp"]
    assert names("SELECT Name FROM Account WHERE NOT (IsDeleted = true OR Type = 'Customer')") == [
        "Beta_Co 100%"]


def test_includes_and_excludes_on_multi_select() -> None:
    assert names("SELECT Name FROM Account WHERE GitLab_Deployment__c INCLUDES ('self-managed')") == [
        "acme labs", "Beta_Co 100%"]
    assert names("SELECT Name FROM Account WHERE GitLab_Deployment__c INCLUDES ('GitLab.com;Self-Managed')") == [
        "acme labs"]
    assert names("SELECT Name FROM Account WHERE GitLab_Deployment__c EXCLUDES ('GitLab.com')") == [
        "Beta_Co 100%", "O'Brien & Sons"]


def test_ids_match_in_15_or_18_character_form() -> None:
    short = DOCS[2]["Id"][:15]
    assert names(f"SELECT Name FROM Account WHERE Id = '{short}'") == ["Beta_Co 100%"]
    assert names(f"SELECT Name FROM Account WHERE Id IN ('{DOCS[2]['Id']}')") == ["Beta_Co 100%"]


def test_order_by_with_null_placement_limit_and_offset() -> None:
    assert names("SELECT Name FROM Account ORDER BY CARR_This_Account__c") == [
        "Beta_Co 100%", "Acme Corp", "acme labs", "O'Brien & Sons"]
    assert names("SELECT Name FROM Account ORDER BY CARR_This_Account__c DESC") == [
        "O'Brien & Sons", "acme labs", "Acme Corp", "Beta_Co 100%"]
    assert names("SELECT Name FROM Account ORDER BY CARR_This_Account__c ASC NULLS LAST") == [
        "Acme Corp", "acme labs", "O'Brien & Sons", "Beta_Co 100%"]
    assert names("SELECT Name FROM Account ORDER BY CARR_This_Account__c DESC NULLS FIRST LIMIT 2") == [
        "Beta_Co 100%", "O'Brien & Sons"]
    # Text sorts case-insensitively; a second key breaks ties.
    assert names("SELECT Name FROM Account ORDER BY Type DESC, Name LIMIT 3 OFFSET 1") == [
        "O'Brien & Sons", "Acme Corp", "acme labs"]


def test_order_by_datetime_sorts_by_instant() -> None:
    docs = [_account(1, SystemModstamp="2026-01-01T10:00:00.000+0000"),
            _account(2, SystemModstamp="2026-01-01T09:30:00.000-0100")]
    assert names("SELECT Name FROM Account ORDER BY SystemModstamp", docs) == ["Acme 1", "Acme 2"]


def test_count_only() -> None:
    result = soql.run("SELECT COUNT() FROM Account WHERE Type = 'Customer'", DOCS)
    assert (result.total, result.records) == (2, [])


def test_null_relationship_projects_as_null() -> None:
    rec = soql.run("SELECT Id, Owner.Name FROM Account WHERE Name = 'acme labs'", DOCS).records[0]
    assert rec["Owner"] is None


def test_schema_is_union_of_doc_keys_with_inferred_types() -> None:
    docs = [{"Id": ids.make_id("a00", 1), "Score__c": None},
            {"Id": ids.make_id("a00", 2), "Score__c": 3, "Seen__c": "2026-01-01T00:00:00.000+0000",
             "Parent__r": {"Name": "p"}}]
    schema = soql.Schema.build("Thing__c", docs)
    assert schema.fields["Score__c"] == soql.DOUBLE
    assert schema.fields["Seen__c"] == soql.DATETIME
    assert schema.resolve("parent__r.name") == "Parent__r.Name"
    assert soql.related_object("Parent__r", "Thing__c") == "Parent__c"
