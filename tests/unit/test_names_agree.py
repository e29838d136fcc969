"""Names the product defines once and the sandbox's generator must copy (it never imports the
product): the staff organization's name and the integrity checks it plants defects for."""

from __future__ import annotations

from sandbox.generate import accounts, manifest
from support_ops import names
from support_ops.assets import ZENDESK_STREAMS
from support_ops.extract.zendesk_streams import STREAMS
from support_ops.integrity.rules import CHECK_NAMES, STAFF_ORG_NAME
from support_ops.kpis import definitions

# Checks the generator plants nothing for: they compare Salesforce's copy of the Zendesk
# organization (id, name) with Zendesk, which the generator keeps consistent.
NOT_PLANTED = {"zendesk_org_id_mismatch", "zendesk_org_name_mismatch"}


def test_the_staff_organization_has_one_name_in_the_product_and_the_same_in_the_sandbox():
    assert STAFF_ORG_NAME is names.STAFF_ORG_NAME
    assert definitions.STAFF_ORG_NAME is names.STAFF_ORG_NAME
    assert accounts.STAFF_ORG == names.STAFF_ORG_NAME


def test_the_sandbox_plants_defects_under_the_products_check_names():
    assert set(manifest.CHECKS) <= set(CHECK_NAMES), set(manifest.CHECKS) - set(CHECK_NAMES)
    assert set(CHECK_NAMES) - set(manifest.CHECKS) == NOT_PLANTED
    assert list(manifest.CHECKS) == [c for c in CHECK_NAMES if c in manifest.CHECKS]  # same order


def test_every_zendesk_stream_is_an_asset_and_named_after_it():
    assert set(STREAMS) == set(ZENDESK_STREAMS)
    assert {s.name for s in STREAMS.values()} == {f"zendesk.{n}" for n in ZENDESK_STREAMS}
