"""The oversight app's entries for the project-wide access test (core/tests/test_access.py)."""

from __future__ import annotations

import itertools

_serial = itertools.count(1)

PUBLIC_VIEWS = {
    # The residents' survey (群众评价/知晓度, issue 12): reached from a grid's public report page
    # and from a closed case's tracking page, without an account; throttled per address.
    "oversight:survey": "residents' survey of a grid's work, from its public report page",
    "oversight:survey_case": "residents' survey of a closed case, by its tracking code",
}


def _warning_url(anchor) -> str | None:
    """A warning raised on the anchor grid (warnings belong to grids, not departments)."""
    if anchor.grid is None:
        return None
    from gridgov.oversight.models import EarlyWarning, WarningRule

    rule = WarningRule.objects.filter(is_current=True).first()
    warning = EarlyWarning.objects.create(
        rule=rule,
        rule_code=rule.code,
        key=f"matrix:{next(_serial)}",
        grid=anchor.grid,
        level="blue",
        reason="矩阵测试",
    )
    return f"/api/v1/oversight/warnings/{warning.pk}"


def _bulletin_url(anchor) -> str | None:
    """A bulletin over the anchor grid, or sent to the anchor department."""
    import datetime as dt

    from django.contrib.auth import get_user_model

    from gridgov.grids.models import Grid
    from gridgov.oversight.models import BulletinRecipient, WarningBulletin

    grid = anchor.grid or Grid.objects.filter(parent__isnull=True).order_by("path").first()
    bulletin = WarningBulletin.objects.create(
        year=2026,
        number=next(_serial),
        title="矩阵测试",
        level="yellow",
        grid=grid,
        situation="s",
        measures="m",
        deadline=dt.date(2026, 12, 31),
        issued_by=get_user_model().objects.get(username="admin"),
    )
    if anchor.department is not None:
        BulletinRecipient.objects.create(bulletin=bulletin, department=anchor.department)
    return f"/api/v1/oversight/bulletins/{bulletin.pk}"


def _result(anchor):
    from gridgov.oversight.models import AssessmentResult, AssessmentRun, Scheme

    n = next(_serial)
    if anchor.grid is not None:
        scheme, unit, code = Scheme.objects.get(code="gbt30428", is_current=True), "grid", None
    else:
        scheme, unit = Scheme.objects.get(code="dept100", is_current=True), "department"
        code = str(anchor.department.pk)
    run = AssessmentRun.objects.create(
        scheme=scheme, month=f"{2000 + n % 100:04d}-01", unit_kind=unit, state="published"
    )
    return AssessmentResult.objects.create(
        run=run,
        unit_kind=unit,
        code=code or anchor.grid.code,
        name="矩阵测试",
        path=anchor.grid.path if anchor.grid is not None else "",
        department_id_ref=anchor.department.pk if anchor.department is not None else None,
        score=90,
        items=[],
    )


def _result_url(anchor) -> str | None:
    return f"/api/v1/oversight/results/{_result(anchor).pk}"


def _run_results_url(anchor) -> str | None:
    return f"/api/v1/oversight/runs/{_result(anchor).run_id}/results"


ROUTES = {
    "/api/v1/oversight/warnings/<int:warning_id>": _warning_url,
    "/api/v1/oversight/bulletins/<int:bulletin_id>": _bulletin_url,
    "/api/v1/oversight/results/<int:result_id>": _result_url,
    "/api/v1/oversight/runs/<int:run_id>/results": _run_results_url,
}
