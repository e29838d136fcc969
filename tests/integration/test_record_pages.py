"""Record links work in the sandbox: every link of an integrity report built from the sandbox
opens the sandbox's read-only page of that record, over plain HTTP (no certificate a browser
would not trust), while the Salesforce imitation answers the same Lightning path over its TLS.

The links come from support_ops.links and the sandbox's own connections, as in `make up`."""

from __future__ import annotations

import html
import re

import pytest
import requests

from sandbox.core import collections as C
from support_ops import links
from support_ops.clients.salesforce import salesforce_client
from support_ops.clients.zendesk import SupportZendeskHook
from support_ops.config import settings
from support_ops.extract.salesforce import extract_accounts
from support_ops.extract.zendesk import extract_all
from support_ops.integrity import run_checks
from tests.conftest import use_sandbox


@pytest.mark.parametrize("warehouse_url", ["sqlite"], indirect=True)
def test_every_record_link_of_the_integrity_report_opens_the_record(sandbox, warehouse, monkeypatch, tmp_path):
    use_sandbox(monkeypatch, sandbox)
    monkeypatch.setenv("SUPPORT_OPS_DATA_DIR", str(tmp_path))
    extract_all(warehouse, SupportZendeskHook(), names=["organizations"], start_time=0)
    extract_accounts(warehouse, salesforce_client())
    run_checks(warehouse, "2026-11-20", use_gx=False)
    page = (settings().reports_dir / "integrity" / "2026-11-20" / "index.html").read_text()
    hrefs = sorted({html.unescape(h) for h in re.findall(r"href='(https?://[^']+)'", page)})
    zendesk = [h for h in hrefs if "/agent/organizations/" in h]
    salesforce = [h for h in hrefs if "/lightning/r/Account/" in h]
    assert zendesk and salesforce and len(zendesk) + len(salesforce) == len(hrefs), hrefs[:5]
    assert all(h.startswith("http://127.0.0.1:") for h in hrefs)  # a browser opens them without a warning
    with requests.Session() as http:
        for url in hrefs:
            resp = http.get(url, timeout=10)
            assert resp.status_code == 200, url
            assert "read-only view of the stored record" in resp.text
            assert "script-src" not in resp.headers["Content-Security-Policy"]  # default-src 'none': no script


def test_record_pages_show_the_record_escaped_and_404_for_unknown_ones(sandbox, monkeypatch):
    use_sandbox(monkeypatch, sandbox)
    links.reset()
    org = next(iter(sandbox.store.all(C.ZD_ORGANIZATIONS)))
    ticket = next(iter(sandbox.store.all(C.ZD_TICKETS)))
    account = next(iter(sandbox.store.all(C.SF_ACCOUNT)))
    org_page = requests.get(links.zendesk_org_url(org["id"]), timeout=10)
    assert org_page.status_code == 200 and html.escape(org["name"], quote=True) in org_page.text
    ticket_page = requests.get(links.zendesk_ticket_url(ticket["id"]), timeout=10)
    assert ticket_page.status_code == 200 and f"Ticket #{ticket['id']}" in ticket_page.text
    rating = next(iter(sandbox.store.all(C.ZD_SATISFACTION_RATINGS)))
    rated = requests.get(links.zendesk_ticket_url(rating["ticket_id"]), timeout=10).text
    assert f"Satisfaction rating {rating['id']}" in rated and html.escape(str(rating["score"])) in rated
    acc_page = requests.get(links.salesforce_record_url(account["Id"]), timeout=10)
    assert acc_page.status_code == 200 and html.escape(account["Name"], quote=True) in acc_page.text
    lightning = sandbox.config.base_url("salesforce") + f"/lightning/r/Account/{account['Id'][:15]}/view"
    assert lightning.startswith("https://")
    assert requests.get(lightning, timeout=10).text == acc_page.text  # the same page over TLS
    assert requests.get(links.zendesk_org_url(999999999), timeout=10).status_code == 404
    assert requests.get(links.salesforce_record_url("001000000000000AAA"), timeout=10).status_code == 404
    links.reset()


def test_a_hostile_name_on_a_record_page_is_text(sandbox_factory, monkeypatch):
    name = "<script>alert(1)</script><img src=x onerror=alert(2)>"

    def populate(store, cfg):
        store.put(C.ZD_ORGANIZATIONS, 42, {"id": 42, "name": name, "domain_names": [name],
                                          "organization_fields": {"salesforce_id": name}}, 1)

    sb = use_sandbox(monkeypatch, sandbox_factory(populate=populate))
    resp = requests.get(sb.config.base_url("zendesk") + "/agent/organizations/42", timeout=10)
    assert resp.status_code == 200
    assert "<script>" not in resp.text and "<img src=x" not in resp.text
    assert html.escape(name, quote=True) in resp.text
