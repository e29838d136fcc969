"""Salesforce ids in one form: where accounts are loaded and where integrity links ids."""

from __future__ import annotations

from support_ops.clients.salesforce_ids import suffix, to18
from support_ops.integrity.rules import evaluate


def test_suffix_encodes_the_case_of_each_block_of_five():
    assert suffix("00100000000000a") == "AAA"  # no upper-case letters
    assert suffix("ABCDE00000abcde") == "5AA"  # block 1 all upper case: mask 31


def test_integrity_links_an_organization_whose_id_lost_its_case():
    account = {"id": "001A0000006Vm9rIAC", "name": "Acme", "type": "Customer", "is_deleted": False,
               "support_level": "Premium"}
    orgs = [
        {"id": 1, "name": "Acme", "salesforce_id": "001A0000006VM9RIAC", "support_level": "premium"},  # upper-cased
        {"id": 2, "name": "Acme", "salesforce_id": "001A0000006Vm9r", "support_level": "premium"},  # 15 characters
        {"id": 3, "name": "Acme", "salesforce_id": "001a0000006vm9r", "support_level": "premium"},  # another record
    ]
    ev = evaluate([account], orgs)
    assert ev.org_account == {"1": account["id"], "2": account["id"]}
    assert to18(orgs[0]["salesforce_id"]) == account["id"]
