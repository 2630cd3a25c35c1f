"""Public boards (公示牌) of the grids: a printable A4 page and its PDF, with the grid's map, its
responsible people, duties, the handling flow, the hotline and a QR code for residents."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import segno
from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from django.views.decorators.http import require_GET

from gridgov.grids.models import Grid
from gridgov.people.services import grid_board
from gridgov.web.boardmap import MapPart, board_map_svg
from gridgov.web.views.common import answers_domain_errors


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
    """The resident report page for this grid, as an absolute URL for the QR code."""
    return request.build_absolute_uri(reverse("resident_report") + f"?grid={grid.code}")


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


def local_path(path: str) -> Path | None:
    """The file on disk behind one of our static or media URL paths, or None."""
    if path.startswith(settings.STATIC_URL):
        found = finders.find(path[len(settings.STATIC_URL) :])
        return Path(found) if isinstance(found, str) else None
    if path.startswith(settings.MEDIA_URL):
        root = Path(settings.MEDIA_ROOT).resolve()
        candidate = (root / path[len(settings.MEDIA_URL) :]).resolve()
        if root in candidate.parents and candidate.is_file():
            return candidate
    return None


def local_files_fetcher(base_url: str) -> Any:
    """A WeasyPrint URL fetcher that reads our static and media files from disk and fetches
    nothing over the network (no request back to this server, no outside URL)."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    base = urlsplit(base_url)

    class LocalFilesOnly(URLFetcher):  # type: ignore[misc]
        def fetch(self, url: str, headers: Any = None) -> Any:
            parts = urlsplit(url)
            if parts.scheme == "data":
                return super().fetch(url, headers)
            if (parts.scheme, parts.netloc) != (base.scheme, base.netloc):
                raise ValueError(f"not a local resource: {url}")
            path = local_path(unquote(parts.path))
            if path is None:
                raise ValueError(f"not found: {url}")
            content_type = mimetypes.guess_type(str(path))[0] or "application/octet-stream"
            return URLFetcherResponse(
                url, body=path.read_bytes(), headers={"Content-Type": content_type}
            )

    return LocalFilesOnly()


def render_board_pdf(request: HttpRequest, grid: Grid) -> bytes:
    """The board as an A4 PDF; WeasyPrint embeds the subset of Noto CJK the text uses."""
    from weasyprint import HTML

    html = render_to_string(
        "web/board_sheet.html", {**board_context(request, grid), "pdf": True}, request=request
    )
    base_url = request.build_absolute_uri("/")
    return HTML(
        string=html, base_url=base_url, url_fetcher=local_files_fetcher(base_url)
    ).write_pdf()  # type: ignore[no-any-return]


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
    q = (request.GET.get("q") or "").strip()
    grids = Grid.objects.visible_to(request.user).active().select_related("level").order_by("path")
    if q:
        grids = grids.filter(Q(name__icontains=q) | Q(code__startswith=q))
    page = Paginator(grids, 50).get_page(request.GET.get("page"))
    return render(request, "web/boards.html", {"page": page, "q": q})
