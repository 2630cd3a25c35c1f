"""A grid worker patrols without network: the page keeps the fixes on the phone, shows them
waiting, and sends the patrol (start, batches, end) once the network is back, each batch once."""

from __future__ import annotations

from typing import Any

import pytest

from gridgov.core.testing.town import INSIDE, UNIT_A1
from gridgov.fieldwork.models import Patrol, TrackChunk

pytestmark = pytest.mark.browser

STEP = 0.0002  # about 22 m north per fix


def test_an_offline_patrol_waits_and_uploads_once(open_page: Any, shot: Any) -> None:
    lon, lat = INSIDE[UNIT_A1]
    w = open_page("worker_a1", viewport="phone", geolocation=(lon, lat))
    page, context = w.page, w.context
    page.goto("/m/patrol/")
    toggle = page.locator("#patrol-toggle")
    page.wait_for_selector("#patrol-toggle:not([disabled])")
    assert toggle.inner_text() == "开始巡查"
    context.set_offline(True)
    toggle.click()
    page.wait_for_selector("#patrol-toggle[data-running='1']")
    page.wait_for_function("() => document.getElementById('patrol-fixes').textContent !== '0'")
    for i in range(1, 6):
        page.wait_for_timeout(1100)  # a later timestamp for each fix
        context.set_geolocation({"longitude": lon, "latitude": lat + i * STEP})
        page.wait_for_function(
            f"() => Number(document.getElementById('patrol-fixes').textContent) >= {i + 1}"
        )
    distance = page.locator("#patrol-distance").inner_text()
    assert distance.startswith("0.1")  # 5 steps of 22 m
    toggle.click()
    page.wait_for_selector("#patrol-toggle[data-running='0']")
    outbox = page.locator("#patrol-outbox")
    page.wait_for_selector("#patrol-outbox:not([hidden])")
    assert "等待发送" in outbox.inner_text()
    pending_fixes = int(outbox.get_attribute("data-pending-fixes") or "0")
    assert pending_fixes >= 6
    shot(page, "phone-patrol-offline-375")
    assert not Patrol.objects.exists()

    context.set_offline(False)
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_selector("#patrol-outbox[data-pending='0']", state="attached")
    patrol = Patrol.objects.get()
    assert patrol.ended_at is not None
    assert patrol.grid.code == UNIT_A1
    assert patrol.fix_count == pending_fixes
    assert TrackChunk.objects.filter(patrol=patrol).count() >= 1
    assert patrol.mileage_m == pytest.approx(5 * STEP * 111_195, rel=0.02)

    # Sending again (a retry, a reload) stores nothing twice.
    page.evaluate("window.GridgovPatrol.flush()")
    page.reload()
    page.wait_for_selector("#patrol-toggle:not([disabled])")
    page.wait_for_timeout(500)
    assert Patrol.objects.get().fix_count == pending_fixes
    shot(page, "phone-patrol-sent-375")
