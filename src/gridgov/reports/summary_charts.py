"""Charts of a work summary, drawn on the server as PNG (Pillow, Noto Sans CJK from the Debian
`fonts-noto-cjk` package), so the same picture goes into the Word document and the PDF."""

from __future__ import annotations

import io
from functools import cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont

FONT_FILES = (
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc"),
)
SC_INDEX = 2  # the Simplified Chinese face inside the collection
SCALE = 2  # drawn at twice the size for print
WIDTH, HEIGHT = 900, 420
COLOURS = ("#3b6fb6", "#4caf7a", "#e08a2c", "#b3424a")


@cache
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in FONT_FILES:
        if path.exists():
            return ImageFont.truetype(str(path), size * SCALE, index=SC_INDEX)
    return ImageFont.load_default(size * SCALE)


def _nice_top(value: float) -> float:
    if value <= 0:
        return 1.0
    step = 10 ** (len(str(int(value))) - 1)
    top = float(step)
    while top < value:
        top += step
    return top


def bar_chart(
    title: str,
    labels: list[str],
    series: list[tuple[str, list[float]]],
    *,
    rate: tuple[str, list[float | None]] | None = None,
) -> bytes:
    """Grouped bars per label (one colour per series), with an optional rate line (0–100 %)
    on a right-hand axis. Returns PNG bytes."""
    s = SCALE
    img = Image.new("RGB", (WIDTH * s, HEIGHT * s), "white")
    draw = ImageDraw.Draw(img)
    left, right, top, bottom = 70 * s, (WIDTH - 70) * s, 70 * s, (HEIGHT - 60) * s
    draw.text((WIDTH * s // 2, 22 * s), title, fill="#222", font=_font(18), anchor="mt")
    peak = max((v for _, values in series for v in values), default=0)
    ymax = _nice_top(peak)
    for i in range(6):
        y = bottom - (bottom - top) * i / 5
        draw.line((left, y, right, y), fill="#e3e3e3", width=s)
        draw.text((left - 8 * s, y), f"{ymax * i / 5:g}", fill="#555", font=_font(11), anchor="rm")
        if rate is not None:
            draw.text((right + 8 * s, y), f"{20 * i}%", fill="#555", font=_font(11), anchor="lm")
    draw.line((left, bottom, right, bottom), fill="#888", width=s)
    n = max(len(labels), 1)
    slot = (right - left) / n
    bar = slot * 0.7 / max(len(series), 1)
    for j, label in enumerate(labels):
        x0 = left + slot * j + slot * 0.15
        for k, (_, values) in enumerate(series):
            v = values[j] if j < len(values) else 0
            h = (bottom - top) * (v / ymax if ymax else 0)
            bx = x0 + bar * k
            draw.rectangle((bx, bottom - h, bx + bar - s, bottom), fill=COLOURS[k % len(COLOURS)])
        draw.text(
            (left + slot * (j + 0.5), bottom + 8 * s),
            label,
            fill="#333",
            font=_font(11),
            anchor="mt",
        )
    if rate is not None:
        points = [
            (left + slot * (j + 0.5), bottom - (bottom - top) * v)
            for j, v in enumerate(rate[1])
            if v is not None
        ]
        if len(points) > 1:
            draw.line(points, fill=COLOURS[3], width=3 * s, joint="curve")
        for x, y in points:
            draw.ellipse((x - 4 * s, y - 4 * s, x + 4 * s, y + 4 * s), fill=COLOURS[3])
    # Legend.
    names = [name for name, _ in series] + ([rate[0]] if rate else [])
    x = left
    for k, name in enumerate(names):
        colour = COLOURS[3] if rate and k == len(names) - 1 else COLOURS[k % len(COLOURS)]
        draw.rectangle((x, 46 * s, x + 14 * s, 58 * s), fill=colour)
        draw.text((x + 20 * s, 52 * s), name, fill="#333", font=_font(12), anchor="lm")
        x += int(draw.textlength(name, font=_font(12))) + 44 * s
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
