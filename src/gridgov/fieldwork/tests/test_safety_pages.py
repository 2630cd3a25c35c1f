"""The business safety and campaign pages: office pages, the hazard page's verbs, exports and
the phone forms as the outbox posts them (JSON)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.fieldwork.safety import services
from gridgov.fieldwork.safety.models import (
    Campaign,
    CampaignAnswer,
    Hazard,
    HazardEvent,
    Inspection,
)
from gridgov.fieldwork.tests.test_safety import business

pytestmark = pytest.mark.django_db


def _rows(response) -> list[list]:
    wb = load_workbook(io.BytesIO(response.content), read_only=True)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def test_plan_page_and_key_supervision_export(client_for, town):
    business(town.a1, "红饭店")
    business(town.b1, "小村重点厂", industry="机械加工", grade="orange", key=True)
    office = client_for("town_office")
    page = office.get("/fieldwork/safety/plan/")
    assert page.status_code == 200
    assert [r.organisation.name for r in page.context["rows"]] == ["小村重点厂", "红饭店"]
    export = office.get("/fieldwork/safety/plan/?key=1&format=xlsx")
    rows = _rows(export)
    assert rows[0][0] == "单位名称"
    assert [r[0] for r in rows[1:]] == ["小村重点厂"]
    # The village operator sees village A only; a grid outside the scope is a 404.
    village = client_for("village_a")
    assert [
        r.organisation.name for r in village.get("/fieldwork/safety/plan/").context["rows"]
    ] == ["红饭店"]
    assert village.get(f"/fieldwork/safety/plan/?grid={town.b1.code}").status_code == 404
    assert client_for("worker_a1").get("/fieldwork/safety/plan/").status_code == 403


def test_hazard_queues_detail_verbs_and_ledger(client_for, town):
    worker = town.user("worker_a1")
    org = business(town.a1)
    hazard = services.report_hazard(
        by=worker, grid=town.a1, description="灭火器过期", source="inspection", organisation=org
    )
    office = client_for("town_office")
    page = office.get("/fieldwork/hazards/?queue=found")
    assert [h.pk for h in page.context["hazards"]] == [hazard.pk]
    counts = {key: n for key, _label, n in page.context["queues"]}
    assert (counts["found"], counts["rectifying"]) == (1, 0)
    assert office.get("/fieldwork/hazards/?queue=nonsense").status_code == 404
    detail = office.get(f"/fieldwork/hazards/{hazard.pk}/")
    assert [verb for verb, _label, _form in detail.context["forms"]] == ["fix_on_spot", "order"]
    bad = office.post(f"/fieldwork/hazards/{hazard.pk}/order/", {"order-days": "0"})
    assert bad.status_code == 400
    assert Hazard.objects.get(pk=hazard.pk).state == "found"
    done = office.post(f"/fieldwork/hazards/{hazard.pk}/order/", {"order-days": "5"})
    assert done.status_code == 302
    assert Hazard.objects.get(pk=hazard.pk).state == "rectifying"
    # A verb not allowed now is a 409 with the page, and changes nothing.
    again = office.post(f"/fieldwork/hazards/{hazard.pk}/order/", {"order-days": "5"})
    assert again.status_code == 409
    assert HazardEvent.objects.filter(hazard=hazard, kind="order").count() == 1
    # Outside the scope: 404, as for a missing hazard.
    assert client_for("worker_b1").get(f"/fieldwork/hazards/{hazard.pk}/").status_code == 404
    ledger = _rows(office.get(f"/fieldwork/hazards/?grid={town.a1.code}&format=xlsx"))
    assert ledger[1][0] == Hazard.objects.get(pk=hazard.pk).number
    assert ledger[1][2] == org.name
    export = office.get(f"/fieldwork/hazards/?grid={town.a1.code}&format=xlsx")
    sheets = load_workbook(io.BytesIO(export.content), read_only=True).worksheets
    per_grid = [list(r) for r in sheets[1].iter_rows(values_only=True)]
    assert per_grid[1] == [town.a1.name, 1, 1, 0, 0, 0]
    per_org = [list(r) for r in sheets[2].iter_rows(values_only=True)]
    assert per_org[1][:2] == [org.name, 1]
    by_org = office.get(f"/fieldwork/hazards/?organisation={org.pk}")
    assert len(by_org.context["hazards"]) == 1


def test_phone_inspection_through_the_outbox_json(client_for, town):
    org = business(town.a1)
    items = list(services.checklist_for(org.industry).items.all())
    worker = client_for("worker_a1")
    assert worker.get("/m/inspect/").status_code == 200
    page = worker.get(f"/m/inspect/{org.pk}/")
    assert page.status_code == 200
    data = {"idempotency_key": "abc123", "description": "检查", "note": "总体良好"}
    for item in items:
        data[f"ok_{item.pk}"] = "1"
    data[f"ok_{items[0].pk}"] = "0"
    data[f"note_{items[0].pk}"] = "报警器损坏"
    refused = worker.post(f"/m/inspect/{org.pk}/", data, HTTP_ACCEPT="application/json")
    assert refused.status_code == 400
    assert f"handling_{items[0].pk}" in refused.json()["errors"]
    data[f"handling_{items[0].pk}"] = "order"
    data[f"days_{items[0].pk}"] = "3"
    sent = worker.post(f"/m/inspect/{org.pk}/", data, HTTP_ACCEPT="application/json")
    assert sent.status_code == 201
    resent = worker.post(f"/m/inspect/{org.pk}/", data, HTTP_ACCEPT="application/json")
    assert resent.status_code == 200
    assert Inspection.objects.count() == 1
    assert Hazard.objects.get().state == "rectifying"
    other = worker.post(
        f"/m/inspect/{org.pk}/", {**data, "outbox_user": "999999"}, HTTP_ACCEPT="application/json"
    )
    assert other.status_code == 409
    assert client_for("worker_b1").get(f"/m/inspect/{org.pk}/").status_code == 404
    assert client_for("town_office").get("/m/inspect/").status_code == 403


def test_campaign_pages(client_for, town):
    office = client_for("town_office")
    deadline = (timezone.localdate() + dt.timedelta(days=7)).isoformat()
    created = office.post(
        "/fieldwork/campaigns/",
        {
            "title": "秸秆禁烧",
            "items": "田间秸秆清理\n焚烧点巡查",
            "grids": [town.village_a.pk],
            "deadline": deadline,
        },
    )
    assert created.status_code == 302
    campaign = Campaign.objects.get(title="秸秆禁烧")
    items = list(campaign.checklist.items.all())
    worker = client_for("worker_a1")
    url = f"/m/campaigns/{campaign.pk}/{town.a1.code}/"
    assert worker.get(url).status_code == 200
    sent = worker.post(
        url,
        {
            f"outcome_{items[0].pk}": "done",
            f"outcome_{items[1].pk}": "hazard",
            f"note_{items[1].pk}": "发现焚烧痕迹",
        },
        HTTP_ACCEPT="application/json",
    )
    assert sent.status_code == 201
    assert CampaignAnswer.objects.filter(campaign=campaign).count() == 2
    assert worker.get(url).context["form"].items == []
    progress = office.get(f"/fieldwork/campaigns/{campaign.pk}/")
    [t] = progress.context["towns"]
    assert (t.answered, t.due, t.problems) == (2, 4, 1)
    rows = _rows(office.get(f"/fieldwork/campaigns/{campaign.pk}/?format=xlsx"))
    assert [r[0] for r in rows[1:]] == ["镇街", "村社区", "单元网格", "单元网格"]
    assert client_for("worker_b1").get(url).status_code == 404
    bad = office.post("/fieldwork/campaigns/", {"title": "", "items": "", "deadline": "x"})
    assert bad.status_code == 400


def test_list_pages_do_not_grow_queries_with_rows(client_for, town):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    worker = town.user("worker_a1")

    def add(n: int) -> None:
        for k in range(n):
            org = business(town.a1, f"单位{n}-{k}")
            services.report_hazard(
                by=worker, grid=town.a1, description="隐患", source="inspection", organisation=org
            )

    pages = [
        (client_for("town_office"), "/fieldwork/hazards/"),
        (client_for("town_office"), "/fieldwork/safety/plan/"),
        (client_for("worker_a1"), "/m/inspect/"),
    ]

    def counts() -> list[int]:
        out = []
        for client, url in pages:
            client.get(url)  # warm the session
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(url).status_code == 200
            out.append(len(ctx.captured_queries))
        return out

    add(2)
    few = counts()
    add(15)
    assert counts() == few
    # The page's own share beside the navigation's (about 13 for an office user).
    assert max(few) <= 25, few


def test_pages_speak_english(client_for, town):
    import re

    from gridgov.fieldwork.safety.models import ChecklistItem
    from gridgov.grids.models import Grid

    cjk = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
    org = business(town.a1, "饭店")
    worker = town.user("worker_a1")
    hazard = services.report_hazard(
        by=worker, grid=town.a1, description="隐患", source="inspection", organisation=org
    )
    campaign = services.create_campaign(
        by=town.user("town_office"),
        title="燃气",
        items=["报警器"],
        grids=[town.town],
        deadline=timezone.localdate() + dt.timedelta(days=3),
    )
    data = {"饭店", "隐患", "燃气", "报警器", "中文", "＋", "周敏", "李娜", "餐饮业"}
    data |= set(Grid.objects.values_list("name", flat=True))
    data |= set(ChecklistItem.objects.values_list("text", flat=True))
    data |= set(services.checklist_for("餐饮业").__class__.objects.values_list("name", flat=True))
    pages = [
        ("town_office", "/fieldwork/safety/plan/"),
        ("town_office", "/fieldwork/hazards/"),
        ("town_office", f"/fieldwork/hazards/{hazard.pk}/"),
        ("town_office", "/fieldwork/campaigns/"),
        ("town_office", f"/fieldwork/campaigns/{campaign.pk}/"),
        ("worker_a1", "/m/inspect/"),
        ("worker_a1", f"/m/inspect/{org.pk}/"),
        ("worker_a1", f"/m/campaigns/{campaign.pk}/{town.a1.code}/"),
    ]
    for username, url in pages:
        client = client_for(username)
        client.cookies["django_language"] = "en"
        text = client.get(url).content.decode()
        assert any(w in text for w in ("Safety", "Inspection", "Campaign", "Submit")), url
        text = re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.S)
        for value in sorted(data, key=len, reverse=True):
            text = text.replace(value, "")
        left = sorted(set(cjk.findall(text)))
        assert not left, (url, "".join(left))
