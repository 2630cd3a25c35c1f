"""A grid worker's visit, diary, survey and check-in pages at 375 px: a visit recorded without
network waits on the phone, visibly, and is stored exactly once when the network is back."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from django.utils import timezone

from gridgov.core.testing.town import INSIDE, UNIT_A1
from gridgov.fieldwork import visits
from gridgov.fieldwork.models import CheckIn, Diary, Survey, SurveyQuestion, Visit, VisitTask

pytestmark = pytest.mark.browser


def _homes(town_user: Any) -> None:
    from gridgov.grids.models import Grid
    from gridgov.registry.models import Household, HouseholdTag

    grid = Grid.objects.get(code=UNIT_A1)
    staff = town_user.staff
    key = Household.objects.create(
        grid=grid, number="B1-01", address="王村一组1号", contact_worker=staff
    )
    Household.objects.create(grid=grid, number="B1-02", address="王村一组2号", contact_worker=staff)
    HouseholdTag.objects.create(household=key, kind="empty_nest", since=date(2025, 1, 1))
    visits.generate_visit_plan(on=timezone.localdate())


def test_visit_recorded_offline_is_sent_exactly_once(open_page: Any, shot: Any) -> None:
    from django.contrib.auth import get_user_model

    _homes(get_user_model().objects.get(username="worker_a1"))
    w = open_page("worker_a1", viewport="phone", geolocation=INSIDE[UNIT_A1])
    page = w.page
    page.goto("/m/visits/")
    page.locator("#visits-due li").first.wait_for()
    assert page.locator("#visits-due li").count() == 4
    shot(page, "phone-visits-list-375")

    page.locator("#visits-due li a", has_text="B1-01").first.click()
    page.wait_for_selector("#visit-form[data-has-position='1']")
    assert page.locator("select[name=household]").input_value() == "B1-01"
    w.context.set_offline(True)
    page.get_by_label("走访对象").fill("户主老人")
    page.get_by_label("了解情况").fill("离线走访:老人独居,身体尚可")
    page.get_by_label("发现问题").fill("屋后排水沟堵塞")
    page.get_by_role("button", name="保存走访").click()
    outbox = page.locator("#outbox")
    page.wait_for_selector("#outbox[data-pending='1']")
    assert "1 条上报等待发送" in outbox.inner_text()
    assert "B1-01" in outbox.inner_text()
    shot(page, "phone-visit-waiting-375")
    assert Visit.objects.count() == 0

    w.context.set_offline(False)
    page.locator("#sent-list a").wait_for()
    page.wait_for_selector("#outbox[data-pending='0']", state="attached")
    # Sending again (a retry, another flush) adds nothing.
    page.evaluate("() => window.GridgovOutbox.flush()")
    visit = Visit.objects.get()
    assert (visit.household.number, visit.learnt) == ("B1-01", "离线走访:老人独居,身体尚可")
    assert visit.lon is not None
    assert VisitTask.objects.filter(household__number="B1-01", visit=visit).count() == 1
    shot(page, "phone-visit-sent-375")

    page.locator("#sent-list a").click()
    page.locator("#visit-to-case").wait_for()
    shot(page, "phone-visit-detail-375")
    page.locator("#visit-to-case").click()
    page.wait_for_url("**/cases/*/")
    visit.refresh_from_db()
    assert visit.case is not None


def test_diary_check_in_and_survey_on_the_phone(open_page: Any, shot: Any) -> None:
    from django.contrib.auth import get_user_model

    user_model = get_user_model()
    _homes(user_model.objects.get(username="worker_a1"))
    from gridgov.grids.models import Grid

    survey = Survey.objects.create(
        title="民情调查表",
        grid=Grid.objects.get(code=UNIT_A1),
        created_by=user_model.objects.get(username="town_office"),
    )
    SurveyQuestion.objects.create(survey=survey, position=1, text="是否满意", kind="yes_no")
    SurveyQuestion.objects.create(
        survey=survey, position=2, text="关心的问题", kind="multiple", choices=["医疗", "就业"]
    )
    w = open_page("worker_a1", viewport="phone", geolocation=INSIDE[UNIT_A1])
    page = w.page

    page.goto("/m/check-in/")
    page.wait_for_selector("#check-in-form[data-has-position='1']")
    shot(page, "phone-check-in-375")
    page.get_by_role("button", name="打卡", exact=True).click()
    page.locator("#sent-list a").wait_for()
    assert CheckIn.objects.get().grid.code == UNIT_A1

    page.goto("/m/diary/")
    page.get_by_label("内容").fill("今天走访两户,宣讲防诈骗")
    shot(page, "phone-diary-375")
    page.get_by_role("button", name="保存日志").click()
    page.locator("#sent-list a").wait_for()
    assert Diary.objects.get().text == "今天走访两户,宣讲防诈骗"

    page.goto("/m/surveys/")
    page.locator("#survey-list a").click()
    page.locator("select[name=household]").select_option("B1-02")
    page.get_by_label("是", exact=True).check()
    page.get_by_label("医疗").check()
    shot(page, "phone-survey-375")
    page.get_by_role("button", name="提交调查表").click()
    page.locator("#sent-list a").wait_for()
    assert survey.responses.get().answers == {
        str(survey.questions.get(position=1).pk): True,
        str(survey.questions.get(position=2).pk): ["医疗"],
    }


def test_office_visit_and_survey_pages(open_page: Any, shot: Any) -> None:
    from django.contrib.auth import get_user_model

    _homes(get_user_model().objects.get(username="worker_a1"))
    w = open_page("town_office")
    page = w.page
    page.goto("/fieldwork/visits/")
    page.locator("#overdue-table tr[data-worker='worker_a1']").wait_for()
    shot(page, "office-visits")
    page.goto("/fieldwork/surveys/")
    page.locator("#survey-design").wait_for()
    shot(page, "office-surveys")
