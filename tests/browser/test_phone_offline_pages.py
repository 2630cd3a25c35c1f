"""The field work phone pages open without network once the phone was online (issue 11): the
service worker keeps them at install. A diary entry with a photo and a linked household made
offline waits on the phone and is stored once, photo included, when the network is back."""

from __future__ import annotations

import io
from typing import Any

import pytest
from PIL import Image

from gridgov.core.testing.town import INSIDE, UNIT_A1
from gridgov.fieldwork.models import Diary

pytestmark = pytest.mark.browser


def test_the_diary_page_opens_offline_and_an_entry_with_a_photo_is_sent_once(
    open_page: Any, shot: Any, tmp_path: Any
) -> None:
    from django.contrib.auth import get_user_model

    from gridgov.grids.models import Grid
    from gridgov.registry.models import Household

    staff = get_user_model().objects.get(username="worker_a1").staff
    Household.objects.create(
        grid=Grid.objects.get(code=UNIT_A1),
        number="D-01",
        address="王村一组5号",
        contact_worker=staff,
    )
    photo = tmp_path / "site.png"
    buffer = io.BytesIO()
    Image.new("RGB", (60, 40), (30, 120, 200)).save(buffer, format="PNG")
    photo.write_bytes(buffer.getvalue())

    w = open_page("worker_a1", viewport="phone", geolocation=INSIDE[UNIT_A1])
    page = w.page
    # One online visit to the phone home installs the service worker, which keeps the pages.
    page.goto("/m/")
    page.evaluate("navigator.serviceWorker.ready.then(() => true)")
    page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null")
    w.context.set_offline(True)
    # Never opened before, yet it opens without network.
    page.goto("/m/diary/")
    page.wait_for_selector("#diary-form")
    page.get_by_label("内容").fill("离线日志:走访D-01,门前路灯不亮")
    page.locator("select[name=households]").select_option("D-01")
    page.locator("input[name=photos]").set_input_files(str(photo))
    page.get_by_role("button", name="保存日志").click()
    page.wait_for_selector("#outbox[data-pending='1']")
    shot(page, "phone-diary-offline-375")
    assert not Diary.objects.exists()

    w.context.set_offline(False)
    page.locator("#sent-list a").wait_for()
    diary = Diary.objects.get()
    assert diary.text.startswith("离线日志")
    assert [h.number for h in diary.households.all()] == ["D-01"]
    assert diary.photos.count() == 1
    page.goto("/m/diary/")
    page.locator("#diary-recent .diary-photos img").wait_for()
    shot(page, "phone-diary-list-375")
    assert Diary.objects.count() == 1


NOT_AN_IMAGE = {"name": "fake.jpg", "mimeType": "image/jpeg", "buffer": b"not an image"}


def test_a_diary_entry_refused_after_waiting_offline_comes_back_with_every_choice(
    open_page: Any, shot: Any
) -> None:
    """A multiple select with three chosen households, a radio and a text field all come back
    into the form when the server refuses the entry (here: its photo is not an image); the
    refused photo is not put back, the page asks for it again."""
    from django.contrib.auth import get_user_model

    from gridgov.grids.models import Grid
    from gridgov.registry.models import Household

    staff = get_user_model().objects.get(username="worker_a1").staff
    grid = Grid.objects.get(code=UNIT_A1)
    for n in range(1, 5):
        Household.objects.create(
            grid=grid, number=f"R-0{n}", address=f"王村二组{n}号", contact_worker=staff
        )
    w = open_page("worker_a1", viewport="phone", geolocation=INSIDE[UNIT_A1])
    page = w.page
    w.allow("status of 400")  # the refusal this test provokes
    page.goto("/m/diary/")
    page.wait_for_selector("#diary-form")
    w.context.set_offline(True)
    page.locator("input[name=kind]").nth(1).check()
    kind = page.locator("input[name=kind]:checked").get_attribute("value")
    page.get_by_label("内容").fill("离线日志:三户同走访")
    page.get_by_label("标签").fill("走访")
    page.locator("select[name=households]").select_option(["R-01", "R-03", "R-04"])
    page.locator("input[name=photos]").set_input_files(files=[NOT_AN_IMAGE])
    page.get_by_role("button", name="保存日志").click()
    page.wait_for_selector("#outbox[data-pending='1']")
    # Kept on the phone meanwhile, the form cleared for the next entry.
    assert page.get_by_label("内容").input_value() == ""
    chosen = "el => Array.from(el.selectedOptions).map(o => o.value)"
    assert page.locator("select[name=households]").evaluate(chosen) == []

    w.context.set_offline(False)
    page.locator("#id_photos_errors").wait_for()
    page.wait_for_selector("#outbox[data-pending='0']", state="attached")
    assert page.locator("select[name=households]").evaluate(chosen) == ["R-01", "R-03", "R-04"]
    assert page.locator("input[name=kind]:checked").get_attribute("value") == kind
    assert page.get_by_label("内容").input_value() == "离线日志:三户同走访"
    assert page.get_by_label("标签").input_value() == "走访"
    assert page.locator("input[name=photos]").evaluate("el => el.files.length") == 0
    assert page.locator("[data-photo-again]").is_visible()
    assert not Diary.objects.exists()
    shot(page, "phone-diary-refused-restored-375")

    # Sent again without the photo: stored with all three households.
    page.get_by_role("button", name="保存日志").click()
    page.locator("#sent-list a").wait_for()
    diary = Diary.objects.get()
    assert sorted(h.number for h in diary.households.all()) == ["R-01", "R-03", "R-04"]
    assert diary.kind == kind


def test_a_survey_refused_after_waiting_offline_comes_back_with_every_box_ticked(
    open_page: Any,
) -> None:
    """A checkbox group (a multiple-choice question) with two boxes ticked and a yes/no radio
    come back into the form; the refusal here is the missing household."""
    from django.contrib.auth import get_user_model

    from gridgov.fieldwork.models import Survey, SurveyQuestion
    from gridgov.grids.models import Grid

    user_model = get_user_model()
    survey = Survey.objects.create(
        title="民情调查表",
        grid=Grid.objects.get(code=UNIT_A1),
        created_by=user_model.objects.get(username="town_office"),
    )
    SurveyQuestion.objects.create(survey=survey, position=1, text="是否满意", kind="yes_no")
    SurveyQuestion.objects.create(
        survey=survey,
        position=2,
        text="关心的问题",
        kind="multiple",
        choices=["医疗", "就业", "养老"],
    )
    w = open_page("worker_a1", viewport="phone", geolocation=INSIDE[UNIT_A1])
    page = w.page
    w.allow("status of 400")
    page.goto(f"/m/surveys/{survey.pk}/")
    page.wait_for_selector("#survey-form")
    w.context.set_offline(True)
    page.get_by_label("否", exact=True).check()
    page.get_by_label("医疗").check()
    page.get_by_label("养老").check()
    page.get_by_role("button", name="提交调查表").click()
    page.wait_for_selector("#outbox[data-pending='1']")
    assert page.locator("input[type=checkbox]:checked").count() == 0

    w.context.set_offline(False)
    page.wait_for_selector("#outbox[data-pending='0']", state="attached")
    page.wait_for_function("() => document.querySelectorAll('input:checked').length > 0")
    ticked = page.locator("input[type=checkbox]:checked")
    assert [ticked.nth(i).get_attribute("value") for i in range(ticked.count())] == [
        "医疗",
        "养老",
    ]
    assert page.locator("input[type=radio]:checked").get_attribute("value") == "no"
    assert "已放回表单" in page.locator("#sent-list").inner_text()
    assert not survey.responses.exists()
