"""The grid worker's registry pages on a 375 px phone: my contact households, a look-up by exact
phone, a correction, and a person added without network who waits on the phone, visibly, and
is registered exactly once when the network is back."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.core.testing.town import UNIT_A1

pytestmark = pytest.mark.browser


def _household() -> Any:
    from gridgov.core.testing.town import Town
    from gridgov.people.models import Staff
    from gridgov.registry.models import Household
    from gridgov.registry.services import create_person

    town = Town()
    h = Household.objects.create(
        grid=town.a1,
        number=f"{UNIT_A1}0001",
        address="王村东街7号",
        contact_worker=Staff.objects.get(name="李娜"),
    )
    head = create_person(
        by=town.user("town_office"), grid=town.a1, name="吴老汉", phone="13500003333"
    )
    head.household = h
    head.relation_to_head = "02"
    head.save()
    h.head = head
    h.save()
    return h


def test_worker_looks_up_corrects_and_adds_offline_once(open_page: Any, shot: Any) -> None:
    from gridgov.registry.models import OnSiteEntry, Person

    household = _household()
    w = open_page("worker_a1", viewport="phone")
    page = w.page
    page.goto("/m/")
    page.locator("a[data-nav='contacts']").click()
    page.wait_for_url("**/registry/m/")
    assert "吴老汉" in page.inner_text("main")
    shot(page, "registry-phone-contacts-375")

    page.locator("#id_q").fill("13500003333")
    page.get_by_role("button", name="查找").click()
    page.get_by_text("吴老汉 · 王村东街7号").click()
    text = page.inner_text("main")
    assert "135****3333" in text
    assert "13500003333" not in page.content()
    shot(page, "registry-phone-household-375")

    page.get_by_role("link", name="更正户信息").click()
    page.locator("#id_address").fill("王村东街9号")
    page.get_by_role("button", name="保存").click()
    page.wait_for_selector(".messages")
    household.refresh_from_db()
    assert household.address == "王村东街9号"

    page.get_by_role("link", name="＋ 添加成员").click()
    page.wait_for_selector("#onsite-form")
    assert page.locator("#id_household_number").input_value() == household.number
    w.context.set_offline(True)
    page.locator("#id_name").fill("吴小妹")
    page.locator("#id_phone").fill("13700005555")
    page.locator("#id_relation_to_head").select_option("30")
    page.get_by_role("button", name="登记", exact=True).click()
    outbox = page.locator("#outbox")
    page.wait_for_selector("#outbox[data-pending='1']")
    assert "吴小妹" in outbox.inner_text()
    assert "13700005555" not in outbox.inner_text()
    shot(page, "registry-phone-offline-waiting-375")
    assert not Person.objects.filter(name="吴小妹").exists()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375 + 1

    w.context.set_offline(False)
    page.locator("#sent-list a").wait_for()
    page.wait_for_selector("#outbox[data-pending='0']", state="attached")
    shot(page, "registry-phone-offline-sent-375")
    added = Person.objects.get(name="吴小妹")
    assert added.household == household
    assert OnSiteEntry.objects.count() == 1
    page.evaluate("() => window.GridgovOutbox.flush()")
    assert Person.objects.filter(name="吴小妹").count() == 1


def test_worker_picks_a_facility_on_the_report_map(open_page: Any, shot: Any) -> None:
    from gridgov.cases.models import Case
    from gridgov.core.testing.town import INSIDE, Town
    from gridgov.registry.models import Facility

    town = Town()
    lon, lat = INSIDE[UNIT_A1]
    facility = Facility.objects.create(
        grid=town.a1,
        code="F-0201-9",
        class_code="0201",
        name="路灯",
        lon=lon + 0.0004,
        lat=lat,
        owner=town.police,
    )
    w = open_page("worker_a1", viewport="phone", geolocation=(lon, lat))
    page = w.page
    page.goto("/m/report/")
    page.wait_for_selector("#report-form[data-has-position='1']")
    page.wait_for_selector("#pos-map[data-facilities='1']")
    page.locator("#pos-map path.leaflet-interactive[stroke='#00838f']").click(force=True)
    page.wait_for_selector("#report-form[data-facility='F-0201-9']")
    assert "路灯" in page.locator("[data-facility-label]").inner_text()
    shot(page, "phone-report-facility-picked-375")
    page.get_by_label("问题描述").fill("路灯不亮")
    page.get_by_role("button", name="上报", exact=True).click()
    page.locator("#sent-list a").wait_for()
    case = Case.objects.get(description="路灯不亮")
    assert case.facility_code == facility.code
    assert (round(case.lon, 6), round(case.lat, 6)) == (
        round(facility.lon, 6),
        round(facility.lat, 6),
    )
