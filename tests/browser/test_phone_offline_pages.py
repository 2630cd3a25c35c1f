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
