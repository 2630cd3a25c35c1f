"""A printed ledger in a browser (issue 13): the inspection ledger with print media emulated, the
page chrome and filters hidden, the title block with unit, period and print time, and a PDF of
it on A4 landscape with its header repeated."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from gridgov.core.testing.town import VILLAGE_A, Town

pytestmark = pytest.mark.browser

SH = ZoneInfo("Asia/Shanghai")
MARCH = "start=2026-03-01&end=2026-03-31"
ROWS = 40


def seed(town: Town) -> None:
    from gridgov.fieldwork.safety.models import Checklist, ChecklistItem, Inspection
    from gridgov.fieldwork.safety.models import InspectionAnswer as Answer
    from gridgov.registry.models import Organisation

    checklist = Checklist.objects.create(name="通用检查表", purpose="inspection")
    items = [
        ChecklistItem.objects.create(checklist=checklist, order=i, text=f"项{i}") for i in (1, 2)
    ]
    worker = town.user("worker_a1")
    for n in range(ROWS):
        unit = (town.a1, town.a2)[n % 2]
        org = Organisation.objects.create(grid=unit, kind="business", name=f"第{n + 1}号商店")
        inspection = Inspection.objects.create(
            organisation=org,
            grid=unit,
            checklist=checklist,
            inspector=worker,
            at=dt.datetime(2026, 3, 1 + n % 28, 9 + n % 8, tzinfo=SH),
            note="消防通道畅通" if n % 3 else "灭火器过期,已责令整改",
        )
        Answer.objects.create(inspection=inspection, item=items[0], ok=True)
        Answer.objects.create(inspection=inspection, item=items[1], ok=bool(n % 3))


def test_the_inspection_ledger_prints(open_page: Any, shot: Any, tmp_path: Any) -> None:
    seed(Town())
    page = open_page("town_office").page
    page.goto(f"/reports/ledgers/?{MARCH}&grid={VILLAGE_A}")
    assert page.locator("#ledger-list a.print-link").count() >= 10
    shot(page, "reports-ledgers-print-links")
    page.locator('tr[data-kind="inspections"] a.print-link').click()
    page.locator("#ledger-table").wait_for()
    assert page.locator("#ledger-table tbody tr").count() == ROWS
    assert page.locator("#ledger-count").inner_text() == str(ROWS)
    page.emulate_media(media="print")
    assert not page.locator(".topbar").is_visible()
    assert page.locator(".print-title").inner_text() == "检查台账"
    meta = page.locator(".print-meta").inner_text()
    assert "王村" in meta
    assert "2026-03-01 — 2026-03-31" in meta
    shot(page, "reports-ledger-print-inspections")
    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    (tmp_path / "ledger.pdf").write_bytes(pdf)
    # 40 rows do not fit one A4 landscape page: the PDF has more than one page.
    assert len(re.findall(rb"/Type\s*/Page[^s]", pdf)) > 1
