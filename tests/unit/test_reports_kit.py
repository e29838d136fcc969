"""The report kit and the home page's headline registry: escaping, safe links, order, bad files."""

from __future__ import annotations

import pytest

from support_ops.reports import kit, registry
from support_ops.reports.index import render_index

HOSTILE = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>"


def test_values_and_attributes_are_escaped():
    assert kit.e(HOSTILE) == ("&lt;script&gt;alert(1)&lt;/script&gt;&quot;&#x27;&gt;&lt;img src=x "
                              "onerror=alert(2)&gt;")
    assert kit.e(None) == "" and kit.empty_or("  ") == "<span class='empty'>(empty)</span>"
    assert "<script>" not in kit.page(HOSTILE, "", subtitle=kit.e(HOSTILE))


@pytest.mark.parametrize("url", ["javascript:alert(1)", "JavaScript:alert(1)", "data:text/html,x", "vbscript:x"])
def test_links_never_carry_script_urls(url):
    assert kit.link(url, "x") == "x"


def test_links_keep_http_and_relative_urls_escaped():
    assert kit.link("https://a.example/?q=1&r='2'", "a") == "<a href='https://a.example/?q=1&amp;r=&#x27;2&#x27;'>a</a>"
    assert kit.link("../../kpis/latest/index.html", "k") == "<a href='../../kpis/latest/index.html'>k</a>"


def test_kit_assets_are_copied_next_to_the_reports(tmp_path):
    page = kit.write_page(tmp_path / "kpis" / "2026-11-20" / "index.html", "<p>x</p>", tmp_path)
    assert page.read_text() == "<p>x</p>"
    assert (tmp_path / "_kit" / "kit.js").read_bytes() == (kit.STATIC_DIR / "kit.js").read_bytes()
    assert kit.kit_href_for(page.parent, tmp_path) == "../../_kit/"


def test_headlines_in_registry_order_then_unregistered_and_broken_files_skipped(tmp_path):
    registry.publish(tmp_path, registry.Headline("integrity", "3 findings", "warn"))
    registry.publish(tmp_path, registry.Headline("zz_new_capability", HOSTILE, "ok",
                                                 [registry.Figure(HOSTILE, HOSTILE, HOSTILE)], "x/index.html"))
    (tmp_path / "headlines" / "broken.json").write_text("{not json")
    got = registry.read_all(tmp_path)
    keys = [k for k, _t, _h in got]
    assert keys[:len(registry.CAPABILITIES)] == list(registry.CAPABILITIES)
    assert keys[-1] == "zz_new_capability" and "broken" not in keys
    by_key = {k: h for k, _t, h in got}
    assert by_key["kpis"] is None and by_key["integrity"].summary == "3 findings"
    with pytest.raises(ValueError):
        registry.publish(tmp_path, registry.Headline("kpis", "x", "purple"))


def test_the_home_page_shows_each_capability_escaped(tmp_path):
    registry.publish(tmp_path, registry.Headline("zz_new_capability", HOSTILE, "bad",
                                                 [registry.Figure(HOSTILE, "1", HOSTILE, "bad")], "kpis/x/index.html"))
    page = render_index(tmp_path, base_href="/support-ops/reports/", kit_href="/support-ops/reports/_kit/")
    assert "<script>alert" not in page and "<img src=x" not in page
    assert kit.e(HOSTILE) in page and "href='/support-ops/reports/kpis/x/index.html'" in page
    for title in registry.CAPABILITIES.values():
        assert kit.e(title) in page
    assert page.count("No run yet") == len(registry.CAPABILITIES)
