"""The ledgers page links every field-work and registry export that exists, only those the user
may open, with the page's grid and period; each link opens."""

from __future__ import annotations

import re
from html import unescape

from gridgov.core.testing.town import VILLAGE_A

MARCH = "start=2026-03-01&end=2026-03-31"
FIELD = ("visit-ledger", "hazard-ledger", "key-supervision", "inspection-plan")


def _links(response) -> dict[str, str]:
    html = response.content.decode()
    rows = re.findall(r'<tr data-kind="([^"]+)">.*?<a href="([^"]+)">', html, re.S)
    return {kind: unescape(href) for kind, href in rows}


def test_office_sees_every_export_with_the_page_filters_and_each_opens(town, client_for):
    from gridgov.fieldwork.models import Survey
    from gridgov.fieldwork.safety.models import Campaign, Checklist

    office = town.user("town_office")
    survey = Survey.objects.create(title="民情调查", grid=town.town, created_by=office)
    checklist = Checklist.objects.create(name="燃气", purpose="campaign")
    campaign = Campaign.objects.create(
        title="燃气专项", checklist=checklist, deadline="2026-04-30", created_by=office
    )
    campaign.grids.add(town.town)
    client = client_for("town_office")
    links = _links(client.get(f"/reports/ledgers/?{MARCH}&grid={VILLAGE_A}"))
    for kind in (*FIELD, f"campaign-{campaign.pk}", f"survey-{survey.pk}", "registry-ledgers"):
        assert kind in links, kind
    assert "start=2026-03-01" in links["visit-ledger"]
    assert f"grid={VILLAGE_A}" in links["hazard-ledger"]
    assert "key=1" in links["key-supervision"]
    for kind, href in links.items():
        got = client.get(href)
        assert got.status_code == 200, (kind, href)
        if kind != "registry-ledgers" and kind != "cases":
            assert got["Content-Type"].startswith("application/vnd.openxmlformats"), kind


def test_a_worker_is_offered_none_of_the_office_exports(town, client_for):
    links = _links(client_for("worker_a1").get(f"/reports/ledgers/?{MARCH}"))
    assert "cases" in links
    assert not set(links) & {*FIELD, "registry-ledgers"}
    assert not any(k.startswith(("campaign-", "survey-")) for k in links)


def test_a_leader_sees_field_work_but_not_the_registry_uploads(town, client_for):
    links = _links(client_for("leader").get(f"/reports/ledgers/?{MARCH}"))
    assert set(FIELD) <= set(links)
    assert "registry-ledgers" not in links
