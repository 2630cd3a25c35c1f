"""The office reads the diaries (issue 11) on the desktop: filters by kind and tag, sees the
counts per person, opens a photo from its thumbnail; and works a campaign's lifecycle: the
office closes it with a remark while the worker's phone page (375 px) then refuses answers and
shows the correction history."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import pytest
from django.utils import timezone

from gridgov.core.testing.town import Town

pytestmark = pytest.mark.browser


@pytest.fixture
def media(settings: Any, tmp_path: Any) -> None:
    settings.MEDIA_ROOT = tmp_path


def _diaries() -> Any:
    from PIL import Image

    from gridgov.cases.attachments import check_photo
    from gridgov.fieldwork.models import Diary
    from gridgov.fieldwork.records import _store_diary_photos
    from gridgov.registry.models import Household, Person

    town = Town()
    home = Household.objects.create(grid=town.a1, number="D1")
    home.head = Person.objects.create(grid=town.a1, household=home, name="张三丰")
    home.save(update_fields=["head"])
    today = timezone.localdate()
    first = Diary.objects.create(
        user=town.user("worker_a1"),
        kind="people",
        day=today,
        grid=town.a1,
        text="走访D1,反映村口路灯不亮,已上报",
        tags="安全,基础设施",
    )
    first.households.set([home])
    buffer = io.BytesIO()
    Image.new("RGB", (120, 90), (40, 140, 90)).save(buffer, format="PNG")
    buffer.name = "lamp.png"
    buffer.seek(0)
    _store_diary_photos(first, [check_photo(buffer)])
    Diary.objects.create(
        user=town.user("worker_a1"),
        kind="people",
        day=today - dt.timedelta(days=1),
        grid=town.a1,
        text="巡查河道,无异常",
        tags="环境",
    )
    Diary.objects.create(
        user=town.user("env_handler"),
        kind="work",
        day=today,
        grid=town.village_a,
        text="下沉王村:协调养殖场污水整改,约定下周复查",
        tags="环境",
    )
    return first


def test_the_office_reads_filters_and_opens_a_diary_photo(
    open_page: Any, shot: Any, media: None
) -> None:
    first = _diaries()
    w = open_page("village_a")
    page = w.page
    page.goto("/fieldwork/visits/")
    # The page sits in the 基层工作 menu of the top bar: open it, then follow the link.
    page.locator("nav details:has(a[href='/fieldwork/diaries/']) > summary").first.click()
    page.locator("nav a[href='/fieldwork/diaries/']").first.click()
    page.wait_for_selector("#diary-list")
    assert page.locator("#diary-list tbody tr[data-diary]").count() == 3
    assert (
        page.locator("#diary-counts tr[data-user='worker_a1'] td[data-total]").inner_text() == "2"
    )
    assert "D1 张**" in page.locator(f"tr[data-diary='{first.pk}']").inner_text()
    shot(page, "h11b-diaries-desktop")
    page.select_option("select[name=kind]", "people")
    page.fill("input[name=tag]", "安全")
    page.get_by_role("button", name="筛选").click()
    page.wait_for_selector("#diary-list")
    rows = page.locator("#diary-list tbody tr[data-diary]")
    assert rows.count() == 1
    assert "村口路灯" in rows.inner_text()
    with page.expect_popup() as popup:
        page.locator(f"tr[data-diary='{first.pk}'] a[data-photo]").click()
    photo = popup.value
    photo.wait_for_load_state()
    assert photo.evaluate("document.images[0].naturalWidth") == 120
    shot(page, "h11b-diaries-filtered-desktop")
    photo.close()


def test_a_closed_campaign_refuses_answers_on_the_phone(open_page: Any, shot: Any) -> None:
    from gridgov.fieldwork.safety import services
    from gridgov.fieldwork.safety.models import CampaignAnswer

    town = Town()
    campaign = services.create_campaign(
        by=town.user("town_office"),
        title="燃气安全专项排查",
        items=["餐饮场所燃气报警器", "液化气瓶存放"],
        grids=[town.town],
        deadline=timezone.localdate() + dt.timedelta(days=5),
    )
    items = list(campaign.checklist.items.all())
    services.answer_campaign(
        by=town.user("worker_a1"),
        campaign=campaign,
        grid=town.a1,
        answers=[services.AnswerIn(items[0].pk, "done")],
    )
    answer = CampaignAnswer.objects.get(campaign=campaign)
    phone = open_page("worker_a1", viewport="phone")
    p = phone.page
    p.goto(f"/m/campaigns/{campaign.pk}/{town.a1.code}/")
    p.locator(f"li[data-answer='{answer.pk}'] details[data-action='correct'] summary").click()
    p.select_option(f"select[name='a{answer.pk}-outcome']", "hazard")
    p.fill(f"input[name='a{answer.pk}-note']", "报警器电池没电")
    p.fill(f"input[name='a{answer.pk}-reason']", "复看发现")
    p.get_by_role("button", name="提交更正").click()
    p.wait_for_selector(f"li[data-answer='{answer.pk}'] [data-revisions]")
    answer.refresh_from_db()
    assert answer.outcome == "hazard"

    office = open_page("town_office")
    o = office.page
    o.goto(f"/fieldwork/campaigns/{campaign.pk}/")
    assert o.locator("details[data-action='reopen']").count() == 0
    o.locator("details[data-action='close'] summary").click()
    o.fill("textarea[name='close-remark']", "各网格已完成排查,1 处隐患已转整改")
    o.locator("details[data-action='close'] button[type=submit]").click()
    o.wait_for_selector("#campaign-state[data-state='closed']")
    assert o.locator("details[data-action='reopen']").count() == 1
    assert o.locator("#campaign-answers [data-revision]").count() == 1
    shot(o, "h11b-campaign-closed-desktop")

    p.reload()
    p.wait_for_selector("#campaign-closed")
    assert p.locator("#campaign-form").count() == 0
    assert p.locator("details[data-action='correct']").count() == 0
    shot(p, "h11b-campaign-closed-phone-375")
