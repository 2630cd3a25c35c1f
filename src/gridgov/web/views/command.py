"""The command centre (指挥中心) of a grid office or a leader: the map of their subtree, the
figures and charts, and a grid's card."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from gridgov.cases.forms import CommandFilterForm
from gridgov.cases.models import CaseState
from gridgov.core.jurisdiction import Role, get_scoped_or_404
from gridgov.fieldwork.records import on_duty as on_duty_now
from gridgov.fieldwork.visits import grid_day_figures
from gridgov.grids.models import Grid
from gridgov.oversight.reads import grid_warnings, warning_colours
from gridgov.registry.services import completion as registry_completion
from gridgov.web import queries
from gridgov.web.mapdata import grids_document
from gridgov.web.views.common import (
    answers_domain_errors,
    document_response,
    map_config,
    role_required,
    scope_key,
)

COMMAND_ROLES = (Role.OFFICE, Role.LEADER)


def _filter_form(request: HttpRequest) -> CommandFilterForm:
    data = request.GET if "date_from" in request.GET else CommandFilterForm.default_period()
    return CommandFilterForm(data)


@answers_domain_errors
@require_GET
@role_required(*COMMAND_ROLES)
def command_centre(request: HttpRequest) -> HttpResponse:
    form = _filter_form(request)
    form.is_valid()
    return render(
        request,
        "web/command_centre.html",
        {
            "form": form,
            "tiles": queries.command_tiles(request.user, form.filters()),
            "command_config": command_config(),
            # Seed 000: the office keeps a duty roster (值班); whoever is on duty now is named here.
            "on_duty": on_duty_now(request.user),
        },
    )


def command_config() -> dict[str, Any]:
    """Everything command.js needs: endpoints, the map's tile settings, translated labels."""
    return {
        "urls": {
            "grids": reverse("command_grids"),
            "figures": reverse("command_figures"),
            "card": reverse("grid_card", args=["__CODE__"]),
            "casePage": reverse("case_detail", args=[0]),
        },
        "map": map_config(),
        "states": {state: str(label) for state, label in CaseState.choices},
        "text": {
            "level": _("显示层级:"),
            "autoLevel": _("随缩放自动"),
            "reported": pgettext("chart legend", "上报"),
            "closed": pgettext("chart legend", "结案"),
            "cases": _("案件数"),
            "closureRate": _("结案率"),
            "onTimeRate": _("按期结案率"),
            "closedWhere": _("办结层级"),
            "overdue": _("已超期"),
            "open": _("查看案件"),
            "updated": _("数据更新于"),
            "refreshFailed": _("数据刷新失败,将自动重试"),
            "mapError": _("网格地图加载失败,请刷新页面重试。"),
            "findNone": _("没有找到与“%(q)s”匹配的网格"),
            "findMany": _("%(n)s 个网格匹配,请选择:"),
            "findMore": _("另有 %(n)s 个,请输入更完整的名称或编码"),
        },
    }


@answers_domain_errors
@require_GET
@role_required(*COMMAND_ROLES, Role.WORKER)
def command_grids(request: HttpRequest) -> HttpResponse:
    """The compact geometry of every grid the user may see (mapdata), revalidated by ETag."""
    document = grids_document(queries.map_grids(request.user), key=scope_key(request.user))
    return document_response(request, document, public=False)


@answers_domain_errors
@require_GET
@role_required(*COMMAND_ROLES)
def command_figures(request: HttpRequest) -> JsonResponse:
    form = _filter_form(request)
    figures = queries.command_figures(request.user, form.filters())
    body = figures_body(figures, errors=form.errors.get_json_data() if form.errors else {})
    body["warnings"] = warning_colours(request.user)
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def figures_body(figures: queries.CommandFigures, *, errors: dict[str, Any]) -> dict[str, Any]:
    """The figures as command.js reads them: compact lists, not objects."""
    tiles = figures.tiles
    return {
        "generated_at": timezone.localtime().strftime("%Y-%m-%d %H:%M:%S"),
        "errors": errors,
        "tiles": {
            **dataclasses.asdict(tiles),
            "closure_rate": tiles.closure_rate,
            "on_time_rate": tiles.on_time_rate,
        },
        "grids": {g.code: [g.open, g.overdue] for g in figures.grid_counts},
        # Four-colour warnings by grid code ("blue" … "red"), drawn over the open-case colours
        # by map.js; command_figures fills them from oversight.reads.warning_colours.
        "warnings": {},
        "markers": [
            [m.pk, m.lon, m.lat, m.state, int(m.overdue), m.title] for m in figures.markers
        ],
        "markers_truncated": figures.markers_truncated,
        "per_day": [[d.day.isoformat(), d.reported, d.closed] for d in figures.per_day],
        "by_class": [[c.label, c.count] for c in figures.by_class],
        "by_state": [[c.key, c.label, c.count] for c in figures.by_state],
        "units": [[u.name, u.due, u.closed, u.closure_rate, u.on_time_rate] for u in figures.units],
        "closed_where": [[c.key, c.label, c.count] for c in figures.closed_where],
    }


@answers_domain_errors
@require_GET
@role_required(*COMMAND_ROLES)
def command_tiles(request: HttpRequest) -> HttpResponse:
    """The figures above the map, refreshed by htmx without reloading the page."""
    form = _filter_form(request)
    return render(
        request,
        "web/includes/command_tiles.html",
        {"tiles": queries.command_tiles(request.user, form.filters()), "form": form},
    )


@answers_domain_errors
@require_GET
@role_required(*COMMAND_ROLES, Role.WORKER)
def grid_card(request: HttpRequest, code: str) -> HttpResponse:
    grid = get_scoped_or_404(
        Grid.objects.visible_to(request.user).select_related("level", "region"), code=code
    )
    context = {
        "card": queries.grid_card(request.user, grid),
        "warnings": grid_warnings(request.user, grid),
        # seed 004 入户录入: households registered against the grid's declared households.
        "completion": registry_completion([grid])[0],
        "fieldwork": grid_day_figures(grid.path),
    }
    return render(request, "web/includes/grid_card.html", context)
