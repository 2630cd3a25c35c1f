"""The nightly run over everyone (batched reads and one upsert per batch) stores exactly the
figures the one-person refresh stores."""

from __future__ import annotations

from datetime import date

import pytest

from gridgov.core.testing.town import UNIT_A2, UNIT_B1
from gridgov.fieldwork import daily
from gridgov.fieldwork.models import PatrolDay
from gridgov.fieldwork.tests.test_daily import patrol

pytestmark = pytest.mark.django_db

FIELDS = [
    "fixes",
    "kept",
    "mileage_m",
    "duration_s",
    "stay_points",
    "coverage",
    "key_points_visited",
    "outside_share",
    "first_fix_at",
    "last_fix_at",
]
DAY = date(2026, 5, 12)


def stored(user_ids):
    return {
        row["user_id"]: row
        for row in PatrolDay.objects.filter(day=DAY, user_id__in=user_ids).values(
            "user_id", *FIELDS
        )
    }


def test_batched_refresh_stores_what_the_single_refresh_stores(town) -> None:
    a1, b1 = town.user("worker_a1"), town.user("worker_b1")
    patrol(town, "worker_a1", "2026-05-12", fixes=120)
    patrol(town, "worker_a1", "2026-05-12", where=UNIT_A2, fixes=40)  # partly outside
    patrol(town, "worker_b1", "2026-05-12", where=UNIT_B1, fixes=80, step_m=0.5)  # a stay

    for user in (a1, b1):
        daily.refresh_patrol_day(user, DAY)
    one = stored([a1.pk, b1.pk])
    PatrolDay.objects.filter(day=DAY).delete()
    assert daily.refresh_all_days(DAY, batch=1) == 2
    assert stored([a1.pk, b1.pk]) == one
    assert one[b1.pk]["stay_points"] >= 1
    assert 0 < one[a1.pk]["outside_share"] < 1
    # Again over existing rows (the upsert path), in one batch.
    PatrolDay.objects.filter(day=DAY).update(mileage_m=0, coverage={})
    assert daily.refresh_all_days(DAY) == 2
    assert stored([a1.pk, b1.pk]) == one


def test_worker_processes_store_the_same_figures(town, monkeypatch) -> None:
    a1, b1 = town.user("worker_a1"), town.user("worker_b1")
    patrol(town, "worker_a1", "2026-05-12", fixes=90)
    patrol(town, "worker_b1", "2026-05-12", where=UNIT_B1, fixes=80, step_m=0.5)
    for user in (a1, b1):
        daily.refresh_patrol_day(user, DAY)
    one = stored([a1.pk, b1.pk])
    PatrolDay.objects.filter(day=DAY).delete()
    monkeypatch.setattr(daily, "PARALLEL_MIN", 1)
    assert daily.refresh_all_days(DAY, processes=2, batch=1) == 2
    assert stored([a1.pk, b1.pk]) == one
