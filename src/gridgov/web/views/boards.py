"""Public boards (公示牌) of the grids: a printable A4 page and its PDF, with the grid's map, its
responsible people, duties, the handling flow, the hotline and a QR code for residents."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from gridgov.core.pdf import render_pdf
from gridgov.core.schemas import MAX_SEARCH
from gridgov.grids.models import Grid
from gridgov.people.models import PostKind
from gridgov.people.services import BoardPerson, GridBoard, grid_board
from gridgov.web.boardmap import MapPart, board_map_svg
from gridgov.web.mapdata import grids_document
from gridgov.web.views.common import answers_domain_errors, document_response


# Seed 002: 统一受理、分类处置、逐级上报、跟踪督查、评价奖惩; the steps a resident's report takes.
def handling_flow() -> list[str]:
    return [
        _("群众反映/网格员发现"),
        _("网格员上报"),
        _("平台受理"),
        _("分类派遣"),
        _("部门处置"),
        _("反馈核查"),
        pgettext("handling flow step", "结案"),
        _("回访评价"),
    ]


def _active_grid(code: str) -> Grid:
    return get_object_or_404(
        Grid.objects.active().select_related("level", "region", "parent"), code=code
    )


def report_url(request: HttpRequest, grid: Grid) -> str:
    """The resident report page for this grid, as an absolute URL for the QR code. Boards are
    often generated on an internal address that residents outside cannot reach: the public
    address (GRIDGOV_PUBLIC_URL) wins when it is set."""
    path = reverse("resident_report") + "?" + urlencode({"grid": grid.code})
    public = str(getattr(settings, "GRIDGOV_PUBLIC_URL", "") or "").rstrip("/")
    return public + path if public else request.build_absolute_uri(path)


def board_leader(board: GridBoard) -> BoardPerson | None:
    """The person the board puts first with their photo (STANDARDS: the grid leader's photo,
    name and phone): the grid leader, else the first responsible person."""
    leaders = [p for p in board.people if p.kind == PostKind.GRID_LEADER]
    return leaders[0] if leaders else (board.people[0] if board.people else None)


def board_context(request: HttpRequest, grid: Grid) -> dict[str, Any]:
    board = grid_board(grid)
    parts = [
        MapPart(
            name=child.name,
            boundary=child.boundary,
            label=(child.label_lon, child.label_lat)
            if child.label_lon is not None and child.label_lat is not None
            else None,
        )
        for child in grid.children.filter(is_active=True, boundary__isnull=False).order_by("code")
    ]
    if grid.boundary:
        label = (
            (grid.label_lon, grid.label_lat)
            if grid.label_lon is not None and grid.label_lat is not None
            else None
        )
        parts.append(MapPart(name=grid.name, boundary=grid.boundary, label=label, main=True))
    url = report_url(request, grid)
    qr = segno.make(url, error="m")
    return {
        "grid": grid,
        "board": board,
        "leader": board_leader(board),
        "map_svg": mark_safe(board_map_svg(parts, title=_("%(name)s网格图") % {"name": grid.name})),  # noqa: S308 - built from escaped names and numbers
        "qr_svg": mark_safe(qr.svg_inline(scale=4, dark="#000000", border=2)),  # noqa: S308 - segno output
        "report_url": url,
        "flow": handling_flow(),
        "area_km2": grid.area_m2 / 1_000_000 if grid.area_m2 else None,
    }


@answers_domain_errors
@require_GET
def board(request: HttpRequest, code: str) -> HttpResponse:
    """The board of one grid as a printable page (public: boards are posted outdoors)."""
    grid = _active_grid(code)
    return render(request, "web/board.html", board_context(request, grid))


def render_board_pdf(request: HttpRequest, grid: Grid) -> bytes:
    """The board as an A4 PDF; WeasyPrint embeds the subset of Noto CJK the text uses."""
    return render_pdf(
        request, "web/board_sheet.html", {**board_context(request, grid), "pdf": True}
    )


@answers_domain_errors
@require_GET
def board_pdf(request: HttpRequest, code: str) -> HttpResponse:
    grid = _active_grid(code)
    response = HttpResponse(render_board_pdf(request, grid), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="board-{grid.code}.pdf"'
    return response


@answers_domain_errors
@require_GET
@login_required
def boards(request: HttpRequest) -> HttpResponse:
    """The grids the user may see, with their boards (a street prints hundreds at a time)."""
    q = (request.GET.get("q") or "").strip()[:MAX_SEARCH]
    grids = Grid.objects.visible_to(request.user).active().select_related("level").order_by("path")
    if q:
        grids = grids.filter(Q(name__icontains=q) | Q(code__startswith=q))
    page = Paginator(grids, 50).get_page(request.GET.get("page"))
    return render(request, "web/boards.html", {"page": page, "q": q})


@answers_domain_errors
@require_GET
def resident_grids(request: HttpRequest) -> HttpResponse:
    """Outlines of every active grid for the resident's map (they are public on the boards)."""
    grids = (
        Grid.objects.active()
        .filter(boundary__isnull=False)
        .select_related("level")
        .order_by("path")
    )
    return document_response(request, grids_document(grids, key="public"), public=True)
