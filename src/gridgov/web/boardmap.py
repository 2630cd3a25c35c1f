"""The grid map of a public board (网格区域管理图, seed 003) as inline SVG drawn on the server, so
the printed page and the PDF carry it without a browser or a tile server."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from django.utils.html import escape
from shapely.geometry import shape
from shapely.geometry.base import BaseGeometry


@dataclass(frozen=True)
class MapPart:
    """One outline to draw: the board's grid, or one of its sub-grids with its label."""

    name: str
    boundary: dict[str, Any]
    label: tuple[float, float] | None = None
    main: bool = False


class _Projection:
    """Equirectangular, x scaled by cos(latitude) so shapes keep their proportions."""

    def __init__(
        self, bounds: tuple[float, float, float, float], width: int, height: int, pad: int
    ) -> None:
        minx, miny, maxx, maxy = bounds
        self.k = math.cos(math.radians((miny + maxy) / 2))
        span_x = max((maxx - minx) * self.k, 1e-9)
        span_y = max(maxy - miny, 1e-9)
        self.scale = min((width - 2 * pad) / span_x, (height - 2 * pad) / span_y)
        self.ox = pad + ((width - 2 * pad) - span_x * self.scale) / 2
        self.oy = pad + ((height - 2 * pad) - span_y * self.scale) / 2
        self.minx, self.maxy = minx, maxy

    def point(self, lon: float, lat: float) -> tuple[float, float]:
        return (
            self.ox + (lon - self.minx) * self.k * self.scale,
            self.oy + (self.maxy - lat) * self.scale,
        )


def _path(geom: BaseGeometry, proj: _Projection) -> str:
    polygons = list(geom.geoms) if geom.geom_type == "MultiPolygon" else [geom]
    parts = []
    for polygon in polygons:
        for ring in [polygon.exterior, *polygon.interiors]:
            pts = [proj.point(x, y) for x, y in ring.coords]
            parts.append("M" + "L".join(f"{x:.1f},{y:.1f}" for x, y in pts) + "Z")
    return "".join(parts)


def board_map_svg(
    parts: list[MapPart], *, width: int = 640, height: int = 420, title: str = ""
) -> str:
    """SVG markup of the outlines, the main grid emphasised and each sub-grid labelled."""
    shapes = [(p, shape(p.boundary)) for p in parts if p.boundary]
    if not shapes:
        return ""
    minx = min(g.bounds[0] for _p, g in shapes)
    miny = min(g.bounds[1] for _p, g in shapes)
    maxx = max(g.bounds[2] for _p, g in shapes)
    maxy = max(g.bounds[3] for _p, g in shapes)
    proj = _Projection((minx, miny, maxx, maxy), width, height, pad=16)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" class="board-map">',
        f"<title>{escape(title)}</title>",
        f'<rect x="0" y="0" width="{width}" height="{height}" fill="#f6f8f4"/>',
    ]
    for part, geom in sorted(shapes, key=lambda s: s[0].main):
        if part.main:
            out.append(
                f'<path class="grid-outline main" d="{_path(geom, proj)}" fill="#dcefe1" fill-opacity="0.55" '
                'stroke="#c0392b" stroke-width="3" fill-rule="evenodd"/>'
            )
        else:
            out.append(
                f'<path class="grid-outline" d="{_path(geom, proj)}" fill="#eaf2fb" stroke="#1d4f91" '
                'stroke-width="1.2" fill-rule="evenodd"/>'
            )
    font = 'font-family="Noto Sans CJK SC, sans-serif"'
    labelled = [p for p, _g in shapes if p.label is not None and not p.main]
    size = 16 if len(labelled) <= 12 else 11
    if not labelled:
        labelled = [p for p, _g in shapes if p.main and p.label is not None]
        size = 16
    for part in labelled:
        x, y = proj.point(*part.label)  # type: ignore[misc]
        # A white halo drawn first, then the text: PDF renderers ignore paint-order.
        for attrs in ('fill="#ffffff" stroke="#ffffff" stroke-width="3"', 'fill="#1f2933"'):
            out.append(
                f'<text x="{x:.1f}" y="{y:.1f}" {font} font-size="{size}" text-anchor="middle" '
                f"{attrs}>{escape(part.name)}</text>"
            )
    out.append(_north_arrow(width))
    out.append("</svg>")
    return "".join(out)


def _north_arrow(width: int) -> str:
    x = width - 28
    return (
        f'<g transform="translate({x},14)"><path d="M10,0 L18,22 L10,17 L2,22 Z" fill="#1f2933"/>'
        '<text x="10" y="36" font-size="12" text-anchor="middle" fill="#1f2933" '
        'font-family="sans-serif">N</text></g>'
    )
