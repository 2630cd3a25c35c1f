"""Business safety and campaigns in the browser: the worker inspects a business on the phone
(375 px) without network, the record waits visibly in the outbox and is sent once; answers a
campaign; the office works a hazard from its queue on the desktop. Screenshots of every page."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.utils import timezone

from gridgov.core.testing.town import INSIDE, UNIT_A1, Town

pytestmark = pytest.mark.browser


def _business(name: str = "王村饭店") -> Any:
    from gridgov.registry.models import Organisation

    town = Town()
    return Organisation.objects.create(
        grid=town.a1,
        kind="business",
        name=name,
        industry="餐饮业",
        risk_grade="orange",
        key_supervision=True,
    )


def test_inspection_made_offline_waits_and_is_sent_once(open_page: Any, shot: Any) -> None:
    from gridgov.fieldwork.safety.models import Hazard, Inspection
    from gridgov.fieldwork.safety.services import checklist_for

    org = _business()
    items = list(checklist_for(org.industry).items.all())
    w = open_page("worker_a1", viewport="phone", geolocation=INSIDE[UNIT_A1])
    page = w.page
    page.goto("/m/")
    page.locator("a[data-nav='inspect']").click()
    page.locator("#phone-businesses a", has_text="王村饭店").wait_for()
    shot(page, "safety-phone-list-375")
    page.locator("#phone-businesses a", has_text="王村饭店").click()
    page.wait_for_selector("#inspection-form")
    shot(page, "safety-phone-inspection-375")
    for item in items:
        page.check(f"input[name=ok_{item.pk}][value='1']")
    first = items[0].pk
    page.check(f"input[name=ok_{first}][value='0']")
    page.fill(f"input[name=note_{first}]", "燃气软管老化,已当场更换")
    page.select_option(f"select[name=handling_{first}]", "fix")
    w.context.set_offline(True)
    page.get_by_role("button", name="提交检查记录").click()
    outbox = page.locator("#outbox")
    page.wait_for_selector("#outbox[data-pending='1']")
    assert "检查:王村饭店" in outbox.inner_text()
    shot(page, "safety-phone-inspection-waiting-375")
    assert Inspection.objects.count() == 0

    w.context.set_offline(False)
    page.locator("#sent-list a").wait_for()
    page.wait_for_selector("#outbox[data-pending='0']", state="attached")
    assert Inspection.objects.count() == 1
    hazard = Hazard.objects.get()
    assert (hazard.state, hazard.organisation_id) == ("closed", org.pk)
    shot(page, "safety-phone-inspection-sent-375")


def test_campaign_answered_on_the_phone(open_page: Any, shot: Any) -> None:
    from gridgov.fieldwork.safety import services
    from gridgov.fieldwork.safety.models import CampaignAnswer

    town = Town()
    campaign = services.create_campaign(
        by=town.user("town_office"),
        title="燃气安全专项排查",
        items=["餐饮场所燃气报警器", "液化气瓶存放", "燃气管道占压"],
        grids=[town.town],
        deadline=timezone.localdate() + dt.timedelta(days=5),
    )
    items = list(campaign.checklist.items.all())
    w = open_page("worker_a1", viewport="phone")
    page = w.page
    page.goto("/m/inspect/")
    page.locator("#phone-campaigns a").click()
    page.wait_for_selector("#campaign-form")
    page.check(f"input[name=outcome_{items[0].pk}][value='done']")
    page.check(f"input[name=outcome_{items[1].pk}][value='hazard']")
    page.fill(f"input[name=note_{items[1].pk}]", "楼道堆放液化气瓶")
    shot(page, "campaign-phone-answer-375")
    page.get_by_role("button", name="提交").click()
    page.locator("#sent-list a").wait_for()
    assert CampaignAnswer.objects.filter(campaign=campaign).count() == 2
    page.reload()
    page.wait_for_selector("#campaign-done")
    shot(page, "campaign-phone-after-375")


def test_office_pages_and_a_hazard_worked_from_its_queue(open_page: Any, shot: Any) -> None:
    from gridgov.fieldwork.safety import services
    from gridgov.fieldwork.safety.models import Hazard

    town = Town()
    org = _business()
    worker = town.user("worker_a1")
    office_user = town.user("town_office")
    found = services.report_hazard(
        by=worker,
        grid=town.a1,
        description="疏散通道堆放杂物",
        source="inspection",
        organisation=org,
    )
    major = services.report_hazard(
        by=worker,
        grid=town.a1,
        description="液化气瓶储存间无通风",
        source="inspection",
        organisation=org,
        grade="major",
    )
    services.list_hazard(major, by=office_user, days=10, measures="停用储存间,设置警示")
    late = services.order_rectification(
        services.report_hazard(
            by=office_user, grid=town.a2, description="配电箱无防护", source="patrol"
        ),
        by=office_user,
        days=3,
    )
    Hazard.objects.filter(pk=late.pk).update(due_at=timezone.now() - dt.timedelta(days=2))
    services.create_campaign(
        by=office_user,
        title="秸秆禁烧专项排查",
        items=["田间秸秆清理", "焚烧点巡查"],
        grids=[town.village_a],
        deadline=timezone.localdate() + dt.timedelta(days=7),
    )
    w = open_page("town_office")
    page = w.page
    page.goto("/fieldwork/safety/plan/")
    page.wait_for_selector("#plan-table")
    shot(page, "safety-plan-desktop")
    page.goto("/fieldwork/hazards/")
    page.wait_for_selector("#hazard-table")
    shot(page, "hazards-desktop")
    page.locator("#hazard-queues a[data-queue='found']").click()
    page.locator("#hazard-table a", has_text=found.number).click()
    page.wait_for_selector("details[data-action='order']")
    page.locator("details[data-action='order'] summary").click()
    page.fill("input[name='order-days']", "5")
    shot(page, "hazard-detail-desktop")
    page.locator("details[data-action='order'] button[type=submit]").click()
    page.wait_for_selector("#hazard-events li[data-kind='order']")
    assert Hazard.objects.get(pk=found.pk).state == "rectifying"
    shot(page, "hazard-detail-after-desktop")
    page.goto("/fieldwork/hazards/?queue=overdue")
    page.wait_for_selector(f"tr[data-hazard='{late.number}']")
    page.goto("/fieldwork/campaigns/")
    page.wait_for_selector("#campaign-table")
    shot(page, "campaigns-desktop")
    page.locator("#campaign-table a").first.click()
    page.wait_for_selector("#progress-table")
    shot(page, "campaign-detail-desktop")
    # The hazard page on the phone width is usable too.
    p = open_page("town_office", viewport="phone").page
    p.goto(f"/fieldwork/hazards/{major.pk}/")
    p.wait_for_selector("#hazard-events")
    shot(p, "hazard-detail-375")
