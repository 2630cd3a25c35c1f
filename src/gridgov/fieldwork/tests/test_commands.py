"""`gridgov import-track` and `gridgov patrol-summary`."""

from __future__ import annotations

import io
import json
import math
from datetime import date

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from gridgov.core.coords import wgs84_to_gcj02
from gridgov.core.testing import require_realdata
from gridgov.core.testing.town import UNIT_A1
from gridgov.fieldwork import tracks
from gridgov.fieldwork.models import KeyPoint, Patrol, TrackChunk
from gridgov.fieldwork.services import cut_patrols, day_track
from gridgov.fieldwork.trackfiles import read_plt

pytestmark = pytest.mark.django_db

R = 6_371_008.8
M_PER_DEG = R * math.pi / 180
LON, LAT = 113.305, 34.805  # unit grid A1 spans 113.30-113.31 x 34.80-34.82


def run(*args: str) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def csv_walk(tmp_path, rows: list[str], name: str = "walk.csv"):
    path = tmp_path / name
    path.write_text("time,lon,lat,accuracy\n" + "\n".join(rows) + "\n")
    return str(path)


def north(metres: float) -> float:
    return LAT + metres / M_PER_DEG


def morning_walk() -> list[str]:
    """09:00-09:09:50 Asia/Shanghai (no offset), 12 m north every 10 s, then 10 minutes standing
    (a stay), then a jump of 892 m after 20 minutes (a gap: a second patrol)."""
    rows = [
        f"2026-05-12T09:{i // 6:02d}:{i % 6 * 10:02d},{LON},{north(i * 12)},5" for i in range(60)
    ]
    rows += [f"2026-05-12T09:{10 + i:02d}:00,{LON},{north(708)},5" for i in range(11)]
    rows += [f"2026-05-12T09:{40 + i:02d}:00,{LON},{north(1600 + i * 10)},5" for i in range(3)]
    # The next morning is another day, so another patrol.
    rows += [f"2026-05-13T08:00:{s:02d}+08:00,{LON},{north(0)},5" for s in (0, 30)]
    return rows


def test_import_cuts_patrols_per_day_and_gap_and_summary_has_the_known_answers(town, tmp_path):
    KeyPoint.objects.create(
        name="村口垃圾站",
        grid=town.a1,
        lon=LON + 20 / (M_PER_DEG * math.cos(math.radians(LAT))),
        lat=north(300),
    )
    KeyPoint.objects.create(name="远处的桥", grid=town.a1, lon=LON + 0.004, lat=north(300))
    out, _ = run("import_track", csv_walk(tmp_path, morning_walk()), "--user", "worker_a1")
    assert "3 次巡查已导入" in out
    # Start times print on the Asia/Shanghai clock the days are cut by, with the offset.
    assert "2026-05-12T09:00:00+08:00" in out
    assert "2026-05-13T08:00:00+08:00" in out
    assert "T01:00:00+00:00" not in out
    assert "2026-05-13T00:00:00+00:00" not in out
    patrols = list(Patrol.objects.order_by("started_at"))
    assert [p.fix_count for p in patrols] == [71, 3, 2]
    assert {p.grid.code for p in patrols} == {UNIT_A1}
    assert patrols[0].mileage_m == pytest.approx(708, abs=0.05)

    out, _ = run("patrol_summary", "--user", "worker_a1", "--date", "2026-05-12", "--json")
    body = json.loads(out)
    # 708 m walked, then 20 m; the 892 m jump over 20 minutes is a gap.
    assert body["mileage_m"] == pytest.approx(728, abs=0.1)
    assert body["duration_s"] == pytest.approx(590 + 10 + 600 + 120)
    assert body["stay_points"] == [
        {
            "lon": LON,
            # Sliding runs are anchored every 60 m (5 fixes within 48 m, the 6th at 60 m):
            # the last one starts at 660 m and takes in the 11 standing fixes at 708 m.
            "lat": pytest.approx(north((660 + 672 + 684 + 696 + 708 + 11 * 708) / 16), abs=1e-7),
            "arrived": "2026-05-12T09:09:10+08:00",
            "left": "2026-05-12T09:20:00+08:00",
        }
    ]
    # A1 is about 915 m x 2,224 m; each walked piece covers a 60 m band along it plus two
    # half-disc caps (both pieces lie inside the grid).
    assert set(body["coverage"]) == {UNIT_A1}
    share = body["coverage"][UNIT_A1]
    area = (
        R**2 * math.radians(0.01) * (math.sin(math.radians(34.82)) - math.sin(math.radians(34.80)))
    )
    expected = (60 * 708 + math.pi * 30**2 + 60 * 20 + math.pi * 30**2) / area
    assert share == pytest.approx(expected, rel=0.01)
    assert [k["name"] for k in body["key_points_visited"]] == ["村口垃圾站"]


def test_importing_the_same_file_again_adds_nothing(town, tmp_path):
    path = csv_walk(tmp_path, morning_walk())
    run("import_track", path, "--user", "worker_a1")
    out, _ = run("import_track", path, "--user", "worker_a1")
    assert "0 次巡查已导入,3 次此前已导入" in out
    assert Patrol.objects.count() == 3
    assert TrackChunk.objects.count() == 3


def test_bad_rows_are_reported_by_line_and_nothing_is_written(town, tmp_path):
    rows = morning_walk()
    rows[2] = "2026-05-12T09:00:20,abc,34.8,5"
    rows[4] = "not a time,113.3,34.8,5"
    rows[6] = "2026-05-12T09:01:00,113.3"
    path = csv_walk(tmp_path, rows)
    err = io.StringIO()
    with pytest.raises(CommandError) as failure:
        call_command("import_track", path, "--user", "worker_a1", stderr=err)
    assert failure.value.returncode == 1
    report = err.getvalue()
    assert "第 4 行: lon 不是数字" in report
    assert "第 6 行: time 不是 ISO 8601 时间" in report
    assert "第 8 行: 列数不足" in report
    assert Patrol.objects.count() == 0


def test_unknown_user_and_bad_date_are_usage_errors(town, tmp_path):
    with pytest.raises(CommandError) as failure:
        call_command("import_track", csv_walk(tmp_path, morning_walk()), "--user", "nobody")
    assert failure.value.returncode == 2
    with pytest.raises(CommandError) as failure:
        call_command("patrol_summary", "--user", "worker_a1", "--date", "12.05.2026")
    assert failure.value.returncode == 2


def test_gcj02_file_is_converted_to_wgs84(town, tmp_path):
    glon, glat = wgs84_to_gcj02(LON, LAT)
    path = csv_walk(tmp_path, [f"2026-05-12T09:00:00+08:00,{glon},{glat},5"])
    run("import_track", path, "--user", "worker_a1", "--crs", "gcj02")
    track = day_track(town.user("worker_a1"), date(2026, 5, 12))
    assert (track.lon[0], track.lat[0]) == pytest.approx((LON, LAT), abs=2e-7)


def test_a_geolife_file_imports_as_its_pieces_with_the_same_figures(town, tmp_path):
    source = require_realdata("gps_geolife_trackintel", "geolife_long_10_MB", "000", "Trajectory")
    plt = sorted(source.glob("*.plt"))[0]
    track, _ = read_plt(plt.read_text())
    pieces = cut_patrols(track)
    path = tmp_path / plt.name
    path.write_bytes(plt.read_bytes())
    run("import_track", str(path), "--user", "worker_a1")
    patrols = list(Patrol.objects.order_by("started_at"))
    assert len(patrols) == len(pieces)
    assert sum(p.fix_count for p in patrols) == len(track)
    for patrol, piece in zip(patrols, pieces, strict=True):
        kept = tracks.filter_track(track.take(range(piece.start, piece.stop)))
        # Stored at 1e-7 degree and 1 ms: the same mileage to well under a metre.
        assert patrol.mileage_m == pytest.approx(tracks.mileage_m(kept), abs=0.5)
