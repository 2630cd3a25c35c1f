"""The phone's service worker keeps the field work pages for offline use (issue 11): the pages
of patrol, visits, diary, surveys, check-in, inspection and the worker's campaigns, and the
scripts they need."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.templatetags.static import static
from django.utils import timezone

from gridgov.fieldwork.safety import services

pytestmark = pytest.mark.django_db


def _config(response) -> dict:
    found = re.search(r"var CONFIG = (\{.*?\});\n", response.content.decode())
    assert found is not None
    return json.loads(found.group(1))


def test_the_service_worker_keeps_the_field_work_phone_pages(client_for, town):
    campaign = services.create_campaign(
        by=town.user("town_office"),
        title="燃气安全",
        items=["燃气报警器"],
        grids=[town.village_a],
        deadline=timezone.localdate() + dt.timedelta(days=5),
    )
    worker = client_for("worker_a1")
    config = _config(worker.get("/m/sw.js"))
    pages = set(config["pages"])
    for url in (
        "/m/report/",
        "/m/patrol/",
        "/m/visits/",
        "/m/visits/new/",
        "/m/diary/",
        "/m/surveys/",
        "/m/check-in/",
        "/m/inspect/",
        f"/m/campaigns/{campaign.pk}/{town.a1.code}/",
    ):
        assert url in pages, url
    # The report page stays the fallback of a page not kept.
    assert config["pages"][0] == "/m/report/"
    for asset in ("fieldwork/phone-forms.js", "fieldwork/patrol.js", "gridgov/outbox.js"):
        assert static(asset) in config["assets"]
    # Each kept page opens for the worker (a page that answered 403 or 404 would not be kept).
    for url in pages:
        assert worker.get(url).status_code == 200, url
    # A worker of village B is not given village A's campaign page.
    other = _config(client_for("worker_b1").get("/m/sw.js"))
    assert not any(p.startswith("/m/campaigns/") for p in other["pages"])
