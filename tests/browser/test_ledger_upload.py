"""Ledger upload in the browser: the operator uploads a file, the page shows a progress bar that
htmx polls while the task queue imports it, then the result or the row-numbered report."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest

from gridgov.core.testing.town import UNIT_A1, UNIT_B1

pytestmark = pytest.mark.browser


def persons_csv(path: Path, n: int, *, bad: bool = False) -> Path:
    from gridgov.core.masking import id_check_digit
    from gridgov.registry.ledgers import COLUMNS

    lines = [",".join(COLUMNS["persons"])]
    for i in range(n):
        first17 = f"410182{dt.date(1970, 1, 1) + dt.timedelta(days=i):%Y%m%d}{i % 1000:03d}"
        number = first17 + id_check_digit(first17)
        if bad and i == 3:
            number = number[:-1] + ("0" if number[-1] != "0" else "1")
        grid = UNIT_B1 if bad and i == 5 else UNIT_A1
        row = {"姓名": f"居民{i}", "公民身份号码": number, "所属网格": grid, "户编号": f"H{i // 3}"}
        lines.append(",".join(str(row.get(c, "")) for c in COLUMNS["persons"]))
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _upload(page: Any, file: Path, *, dry_run: bool = False) -> None:
    page.goto("/registry/ledgers/")
    page.select_option("#id_kind", "persons")
    page.set_input_files("#id_file", str(file))
    if dry_run:
        page.check("#id_dry_run")
    page.click("#ledger-upload button[type=submit]")
    page.wait_for_selector("#upload-bar")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_upload_progress_then_result_and_report(
    open_page: Any, shot: Any, tmp_path: Path, run_task_queue: Any, viewport: str
) -> None:
    from gridgov.registry.models import LedgerUpload, Person

    w = open_page("village_a", viewport=viewport)
    page = w.page
    page.goto("/registry/ledgers/")
    shot(page, f"ledgers-{viewport}")
    if viewport == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= 376
    # A file with a bad check digit (row 5) and a grid outside village A (row 7).
    _upload(page, persons_csv(tmp_path / "bad.csv", 8, bad=True))
    assert page.get_attribute("#upload-progress", "data-state") == "queued"
    shot(page, f"ledger-upload-queued-{viewport}")
    assert run_task_queue() == 1
    page.wait_for_function(
        "() => document.querySelector('#upload-progress').dataset.state === 'rejected'"
    )
    report = page.inner_text("#upload-errors")
    assert "第 5 行" in report
    assert "第 7 行" in report
    assert "公民身份号码" in report
    assert "所属网格" in report
    shot(page, f"ledger-upload-rejected-{viewport}")
    assert not Person.objects.exists()
    if viewport == "phone":
        return  # the rest is the same page; the desktop run covers it
    # A good file of 1,200 rows: the bar fills while the import runs, then the result.
    _upload(page, persons_csv(tmp_path / "good.csv", 1200))
    # How the bar looks half-way (the row as the task saves it while checking; the worker is
    # not started yet, so the state is set here for the picture, then put back).
    upload = LedgerUpload.objects.get(file_name="good.csv")
    LedgerUpload.objects.filter(pk=upload.pk).update(
        state="running", stage="checking", done=600, total=1200
    )
    page.wait_for_function(
        "() => document.querySelector('#upload-progress').dataset.state === 'running'"
    )
    assert page.get_attribute("#upload-bar", "value") == "42"
    assert "检查第 600 / 1200 行" in page.inner_text("#upload-progress")
    shot(page, f"ledger-upload-running-{viewport}")
    LedgerUpload.objects.filter(pk=upload.pk).update(state="queued", stage="")
    assert run_task_queue() == 1
    page.wait_for_function(
        "() => document.querySelector('#upload-progress').dataset.state === 'done'"
    )
    assert page.get_attribute("#upload-bar", "value") == "100"
    assert "新建 1200" in page.inner_text("#upload-progress")
    shot(page, f"ledger-upload-done-{viewport}")
    assert Person.objects.count() == 1200
