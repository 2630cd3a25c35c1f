"""The fieldwork app's entries for the project-wide access test (core/tests/test_access.py)."""

from __future__ import annotations

import itertools

_serial = itertools.count(1)


def _patrol_url(anchor) -> str | None:
    """A patrol in the anchor grid by a volunteer of that grid (not one of the cast)."""
    if anchor.grid is None:
        return None
    from django.contrib.auth import get_user_model
    from django.utils import timezone

    from gridgov.fieldwork.models import Patrol

    walker = get_user_model().objects.create_user(username=f"matrix-walker-{next(_serial)}")
    patrol = Patrol.objects.create(user=walker, grid=anchor.grid, started_at=timezone.now())
    return f"/api/v1/fieldwork/patrols/{patrol.uid}"


ROUTES = {"/api/v1/fieldwork/patrols/<uid>": _patrol_url}


def _worker_at(anchor):
    """A new worker with a post in the anchor grid (whose day the grid's overseers may see)."""
    from django.contrib.auth import get_user_model

    from gridgov.people.models import PostKind
    from gridgov.people.services import assign_post, create_staff

    n = next(_serial)
    user = get_user_model().objects.create_user(username=f"matrix-worker-{n}")
    staff = create_staff(name=f"矩阵网格员{n}", user=user)
    assign_post(staff=staff, kind=PostKind.WORKER_PART, grid=anchor.grid)
    return user


def _day_url(anchor) -> str | None:
    if anchor.grid is None:
        return None
    return f"/api/v1/fieldwork/days/{_worker_at(anchor).username}/2026-05-12"


def _attendance_url(anchor) -> str | None:
    if anchor.grid is None:
        return None
    return f"/api/v1/fieldwork/attendance/{_worker_at(anchor).username}/2026-05"


ROUTES.update(
    {
        "/api/v1/fieldwork/days/<username>/<day>": _day_url,
        "/api/v1/fieldwork/attendance/<username>/<month>": _attendance_url,
    }
)


def _household_at(anchor):
    from gridgov.registry.models import Household

    return Household.objects.create(grid=anchor.grid, number=f"MATRIX-H{next(_serial)}")


def _visit_url(anchor) -> str | None:
    """A visit to a household of the anchor grid by a worker of that grid."""
    if anchor.grid is None:
        return None
    from django.utils import timezone

    from gridgov.fieldwork.models import Visit

    household = _household_at(anchor)
    visit = Visit.objects.create(
        household=household,
        grid=anchor.grid,
        user=_worker_at(anchor),
        kind="home",
        visited_at=timezone.now(),
        learnt="矩阵",
    )
    return f"/api/v1/fieldwork/visits/{visit.pk}"


def _survey_url(anchor) -> str | None:
    if anchor.grid is None:
        return None
    from django.contrib.auth import get_user_model

    from gridgov.fieldwork.models import Survey

    author = get_user_model().objects.create_user(username=f"matrix-office-{next(_serial)}")
    survey = Survey.objects.create(title="矩阵调查", grid=anchor.grid, created_by=author)
    return f"/api/v1/fieldwork/surveys/{survey.pk}"


ROUTES.update(
    {
        "/api/v1/fieldwork/visits/<visit_id>": _visit_url,
        "/api/v1/fieldwork/surveys/<survey_id>": _survey_url,
    }
)


def _diary_at(anchor):
    from gridgov.fieldwork.models import Diary

    return Diary.objects.create(
        user=_worker_at(anchor), kind="people", day="2026-05-12", grid=anchor.grid, text="矩阵"
    )


def _diary_url(anchor) -> str | None:
    if anchor.grid is None:
        return None
    return f"/api/v1/fieldwork/diaries/{_diary_at(anchor).pk}"


def _diary_photo_url(anchor) -> str | None:
    """A diary entry of a worker of the anchor grid with one photo (checked and stored)."""
    if anchor.grid is None:
        return None
    import io

    from PIL import Image

    from gridgov.cases.attachments import check_photo
    from gridgov.fieldwork.records import _store_diary_photos

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8)).save(buffer, format="PNG")
    buffer.name = "p.png"
    buffer.seek(0)
    diary = _diary_at(anchor)
    [photo] = _store_diary_photos(diary, [check_photo(buffer)])
    return f"/api/v1/fieldwork/diaries/{diary.pk}/photos/{photo.pk}"


ROUTES.update(
    {
        "/api/v1/fieldwork/diaries/<int:diary_id>": _diary_url,
        "/api/v1/fieldwork/diaries/<int:diary_id>/photos/<int:photo_id>": _diary_photo_url,
    }
)


def _inspector_and_business(anchor):
    from gridgov.registry.models import Organisation

    n = next(_serial)
    org = Organisation.objects.create(
        grid=anchor.grid, kind="business", name=f"矩阵企业{n}", industry="餐饮业"
    )
    return _worker_at(anchor), org


def _inspection_url(anchor) -> str | None:
    """An inspection of a business in the anchor grid by a worker of that grid."""
    if anchor.grid is None:
        return None
    from gridgov.fieldwork.safety.models import Inspection
    from gridgov.fieldwork.safety.services import checklist_for

    inspector, org = _inspector_and_business(anchor)
    inspection = Inspection.objects.create(
        organisation=org, grid=anchor.grid, checklist=checklist_for(""), inspector=inspector
    )
    return f"/api/v1/fieldwork/inspections/{inspection.pk}"


def _hazard_url(anchor) -> str | None:
    """A hazard in the anchor grid, held by its parent level, found by a worker of the grid."""
    if anchor.grid is None:
        return None
    from gridgov.fieldwork.safety.models import Hazard

    finder, org = _inspector_and_business(anchor)
    hazard = Hazard.objects.create(
        number=f"MATRIX-YH{next(_serial)}",
        grid=anchor.grid,
        level_grid=anchor.grid.parent or anchor.grid,
        organisation=org,
        source="patrol",
        description="矩阵隐患",
        found_by=finder,
    )
    return f"/api/v1/fieldwork/hazards/{hazard.pk}"


ROUTES.update(
    {
        "/api/v1/fieldwork/inspections/<int:inspection_id>": _inspection_url,
        "/api/v1/fieldwork/hazards/<int:hazard_id>": _hazard_url,
    }
)


def _campaign_url(anchor) -> str | None:
    """A special campaign whose scope is the anchor grid, started by an office of that grid."""
    if anchor.grid is None:
        return None
    import datetime as dt

    from django.contrib.auth import get_user_model

    from gridgov.fieldwork.safety.models import Campaign, Checklist

    author = get_user_model().objects.create_user(username=f"matrix-office-{next(_serial)}")
    checklist = Checklist.objects.create(name="矩阵排查", purpose="campaign")
    campaign = Campaign.objects.create(
        title="矩阵排查", checklist=checklist, deadline=dt.date(2026, 5, 30), created_by=author
    )
    campaign.grids.set([anchor.grid])
    return f"/api/v1/fieldwork/campaigns/{campaign.pk}"


ROUTES.update({"/api/v1/fieldwork/campaigns/<int:campaign_id>": _campaign_url})
