"""Demo field work (issue 11): a month of plausible patrols by every grid worker of the demo
town, walking inside their own unit grid polygon, with the cases they reported on patrol linked
to the patrol that was running, daily 民情日志 and the embedded officers' weekly 工作日志 (seed
002), check-ins and check-outs, a few leaves, the town's duty roster, and the patrol-day figures
the monitoring, compliance and statistics pages read. Called by the demo builder's fieldwork hook.
Deterministic for a given day (seeded generators).

Tracks are stored as the phone would have sent them (batches of fixes in TrackChunk rows); the
links, leaves, duty shifts, linked diaries and patrol days go through the same services the API
and the nightly job use. Plain rows (check-ins, unlinked diaries) are written in bulk.
"""

from __future__ import annotations

import io
import math
import random
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import numpy as np
import shapely
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone
from shapely.geometry import shape

from gridgov.core.jurisdiction import Role
from gridgov.fieldwork import records, tracks
from gridgov.fieldwork.daily import refresh_all_days
from gridgov.fieldwork.models import (
    CheckIn,
    CheckKind,
    Diary,
    DiaryKind,
    KeyPoint,
    KeyPointKind,
    LeaveKind,
    Patrol,
    PatrolSource,
    TrackChunk,
)
from gridgov.fieldwork.services import (
    LOCAL_TZ,
    FixBatch,
    _chunk_for,
    link_reports,
    summarise_patrol,
)
from gridgov.grids.models import Grid
from gridgov.people.models import Jurisdiction, Post, PostKind

DAYS = 30
# The first dozen unit grids' workers (worker_a1 among them) also get visits by plan and
# business inspections (visit_demo, safety.demo); every worker gets patrols and diaries.
MAX_WORKERS = 12
M_PER_DEG = 6_371_008.8 * math.pi / 180
WALK_MPS = 1.2
# Fixes per stored batch, as the phone uploads them.
BATCH = 120
# A few workers (every STRAY_EVERY-th) wander outside their grid on some days, and a few
# patrol on fewer days than the standard asks, so the monitoring page's flags show.
STRAY_EVERY = 17
LAX_EVERY = 9
PHOTO_DIARIES = 8

PEOPLE_TEXTS: dict[str, tuple[str, ...]] = {
    "走访": (
        "走访独居老人,身体状况良好,提醒注意用电安全。",
        "了解低保户家庭近况,反映医疗报销问题,已告知办理流程。",
        "入户走访留守儿童家庭,孩子学习正常,爷爷奶奶身体尚可。",
        "走访残疾人家庭,协助申请两项补贴。",
    ),
    "巡查": (
        "巡查发现路边垃圾堆放,已联系保洁清理。",
        "巡查沿街商铺,门前三包落实较好。",
        "巡查河道沿线,未发现垂钓和游泳人员。",
        "巡查村内道路,一处井盖松动已上报。",
    ),
    "宣传": (
        "入户宣传防范电信诈骗,发放宣传单。",
        "在村委会门口宣传医保参保政策,解答群众疑问。",
        "宣传秸秆禁烧和冬季防火知识。",
    ),
    "调解": (
        "调解邻里噪音纠纷,双方达成谅解。",
        "两户因排水沟走向争执,现场协调后同意共同清理。",
    ),
    "安全": (
        "检查沿街商铺消防器材,一处灭火器过期已提醒更换。",
        "查看出租房电动车充电情况,劝导不在楼道充电。",
    ),
}
CASE_TEXT = "巡查中发现问题并当场上报:{what}"
HOUSEHOLD_TEXT = "走访{n}户重点户,了解家庭近况,记录需求。"
WORK_TEXTS = (
    "本周下沉到网格,参加村“两委”例会,协调解决群众反映的{a}问题。",
    "本周随网格员入户{n}次,宣讲{b},收集意见建议两条。",
    "本周牵头排查{a}隐患,督促整改,下周回头看。",
)
WORK_TOPICS_A = ("道路积水", "路灯维修", "垃圾清运", "燃气安全", "防溺水")
WORK_TOPICS_B = ("惠农补贴政策", "防范电信诈骗", "医保参保", "安全生产")


@dataclass
class DemoFieldwork:
    workers: int
    patrols: int
    fixes: int
    linked_cases: int
    diaries: int
    work_diaries: int
    photos: int
    check_ins: int
    leaves: int
    duty_shifts: int
    patrol_days: int


@dataclass
class _Worker:
    user: Any
    grid: Grid
    polygon: Any
    fix_every: int
    homes: list[str] = field(default_factory=list)


def _inside_point(polygon: Any, rng: np.random.Generator) -> tuple[float, float]:
    minx, miny, maxx, maxy = polygon.bounds
    for _try in range(20):
        xs = rng.uniform(minx, maxx, 32)
        ys = rng.uniform(miny, maxy, 32)
        inside = shapely.contains_xy(polygon, xs, ys)
        if inside.any():
            i = int(np.argmax(inside))
            return float(xs[i]), float(ys[i])
    point = polygon.representative_point()
    return point.x, point.y


def _walk(
    polygon: Any, start: tuple[float, float], n: int, every: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """`n` positions of a walk from `start` inside the polygon, one every `every` seconds at
    about 1.2 m/s: the heading turns gently and turns back at the boundary, with a few minutes'
    stop now and then (a visit: a stay). Vectorised: a stretch is walked at once and cut where
    it first leaves the polygon."""
    lon, lat = start
    cos_lat = math.cos(math.radians(lat))
    step = WALK_MPS * every / M_PER_DEG
    moving = np.ones(n)
    for at in np.flatnonzero(rng.random(n) < 0.004 * every / 20):
        moving[at : at + int(rng.integers(300, 600)) // every] = 0  # 5-10 minutes at a home
    turns = rng.normal(0, 0.3, n)
    heading = float(rng.uniform(0, 2 * math.pi))
    xs, ys = np.empty(n), np.empty(n)
    i = 0
    for _bounce in range(400):
        if i >= n:
            break
        h = heading + np.cumsum(turns[i:])
        px = lon + np.cumsum(step * np.sin(h) / cos_lat * moving[i:])
        py = lat + np.cumsum(step * np.cos(h) * moving[i:])
        inside = shapely.contains_xy(polygon, px, py)
        keep = len(px) if inside.all() else int(np.argmin(inside))
        xs[i : i + keep], ys[i : i + keep] = px[:keep], py[:keep]
        if keep:
            lon, lat, heading = float(px[keep - 1]), float(py[keep - 1]), float(h[keep - 1])
        i += keep
        if i < n:
            # At the boundary: stand one fix and turn back.
            xs[i], ys[i] = lon, lat
            heading += math.pi + float(rng.normal(0, 0.5))
            i += 1
    if i < n:
        xs[i:], ys[i:] = lon, lat
    return xs, ys


def _track(
    worker: _Worker,
    start_ts: float,
    minutes: float,
    rng: np.random.Generator,
    *,
    through: tuple[float, float, float] | None = None,
    stray: bool = False,
) -> np.ndarray:
    """A patrol's fixes as rows (t, lon, lat, accuracy). `through` = (t, lon, lat): the walk
    passes that place at that time (a case reported on the way); it is walked forward from
    there and, reversed, backward to the start. A stray walk wanders up to 600 m outside."""
    every = worker.fix_every
    n = max(int(minutes * 60 // every), 10)
    region = worker.polygon.buffer(600 / M_PER_DEG) if stray else worker.polygon
    if stray:
        shapely.prepare(region)
    if through is None:
        xs, ys = _walk(region, _inside_point(region, rng), n, every, rng)
    else:
        at, lon, lat = through
        if not shapely.contains_xy(region, lon, lat):
            lon, lat = _inside_point(region, rng)
        before = min(max(int((at - start_ts) // every), 0), n - 1)
        back = _walk(region, (lon, lat), before + 1, every, rng)
        ahead = _walk(region, (lon, lat), n - before, every, rng)
        xs = np.concatenate([back[0][::-1], ahead[0][1:]])
        ys = np.concatenate([back[1][::-1], ahead[1][1:]])
    cos_lat = math.cos(math.radians(float(ys[0])))
    jitter = rng.normal(0, 3, (2, n)) / M_PER_DEG
    t = start_ts + every * np.arange(n) + rng.uniform(-1.5, 1.5, n)
    return np.column_stack(
        [t, xs + jitter[0] / cos_lat, ys + jitter[1], rng.uniform(4, 25, n).round(1)]
    )


def _at(day: date, hour: float) -> datetime:
    return datetime.combine(day, time(0), tzinfo=LOCAL_TZ) + timedelta(hours=hour)


def _photo(rng: random.Random, label: int) -> SimpleUploadedFile:
    """A small deterministic JPEG (a few KB): a field, a road and a house, in seeded colours."""
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (240, 180), (rng.randint(150, 200), rng.randint(190, 230), 240))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 110, 240, 180), fill=(rng.randint(60, 110), rng.randint(120, 170), 60))
    draw.polygon([(90, 180), (150, 180), (125, 110), (115, 110)], fill=(150, 140, 130))
    x = rng.randint(10, 160)
    draw.rectangle((x, 70, x + 60, 115), fill=(200, 180, rng.randint(140, 180)))
    draw.polygon([(x - 6, 72), (x + 30, 45), (x + 66, 72)], fill=(160, 60, 50))
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=70)
    return SimpleUploadedFile(f"diary{label}.jpg", out.getvalue(), content_type="image/jpeg")


def _workers(root: Grid) -> list[_Worker]:
    from gridgov.registry.models import Household

    posts = list(
        Post.objects.current()
        .filter(
            grid__path__startswith=root.path,
            grid__children__isnull=True,
            grid__boundary__isnull=False,
            staff__user__isnull=False,
            kind__in=[PostKind.WORKER_FULL, PostKind.WORKER_PART],
        )
        .select_related("staff__user", "grid")
        .order_by("grid__code", "pk")
    )
    homes: dict[int, list[str]] = defaultdict(list)
    for staff_id, number in (
        Household.objects.filter(
            contact_worker__in=[p.staff_id for p in posts], closed_on__isnull=True
        )
        .order_by("pk")
        .values_list("contact_worker_id", "number")
    ):
        homes[staff_id].append(number)
    out: list[Any] = []
    seen: set[int | None] = set()
    for n, post in enumerate(posts):
        if post.staff.user_id in seen or post.grid is None:
            continue
        seen.add(post.staff.user_id)
        polygon = shape(post.grid.boundary)
        shapely.prepare(polygon)
        # Full detail (a fix every 20-30 s) for the featured dozen; the rest send one every
        # 30 s, which keeps the patrol-day figures (GEOS buffering per fix) cheap to compute.
        every = (20, 25, 30)[n % 3] if len(out) < MAX_WORKERS else 30
        out.append(_Worker(post.staff.user, post.grid, polygon, every, homes[post.staff_id]))
    return out


@transaction.atomic
def seed_demo_fieldwork(
    *, summary: Any, by: Any, today: date | None = None
) -> DemoFieldwork | None:
    """A month of field work for the demo town (once; a second call does nothing)."""
    from gridgov.cases.models import Case, Channel
    from gridgov.core.calendar import get_calendar

    root = Grid.objects.get(code=summary.root_code)
    workers = _workers(root)
    if not workers or Patrol.objects.filter(user=workers[0].user).exists():
        return None
    today = today or timezone.localdate()
    rng = random.Random(f"gridgov-demo-fieldwork:{root.code}")  # noqa: S311 - demo data
    nprng = np.random.default_rng(rng.getrandbits(64))
    calendar = get_calendar()
    first_day = today - timedelta(days=DAYS)
    days = [first_day + timedelta(days=i) for i in range(DAYS)]
    office_row = (
        Jurisdiction.objects.filter(active=True, role=Role.OFFICE, grid=root)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    office = office_row.user if office_row else by

    # The cases each worker reported on patrol (demo/cases.py replays ninety days of them).
    reported: dict[int, list[tuple[datetime, float, float, int]]] = defaultdict(list)
    for user_id, created, lon, lat, pk in (
        Case.objects.filter(
            reporter_id__in=[w.user.pk for w in workers],
            channel=Channel.PATROL,
            created_at__lt=_at(today, 0),
        )
        .order_by("created_at", "pk")
        .values_list("reporter_id", "created_at", "lon", "lat", "pk")
    ):
        reported[user_id].append((created, lon, lat, pk))

    # A few leaves, recorded by the town office; the worker neither checks in nor patrols.
    leave_specs = (
        (LeaveKind.SICK, 2, "感冒发烧"),
        (LeaveKind.PERSONAL, 1, "家中有事"),
        (LeaveKind.ANNUAL, 3, "年休假"),
        (LeaveKind.SICK, 1, "看病复查"),
    )
    on_leave: dict[int, set[date]] = defaultdict(set)
    leaves = 0
    for n, (leave_kind, length, reason) in enumerate(leave_specs):
        worker = workers[(7 + n * 29) % len(workers)]
        first = today - timedelta(days=4 + n * 6)
        records.record_leave(
            by=office,
            username=worker.user.get_username(),
            kind=leave_kind,
            starts_on=first,
            ends_on=first + timedelta(days=length - 1),
            reason=reason,
        )
        on_leave[worker.user.pk] |= {first + timedelta(days=i) for i in range(length)}
        leaves += 1

    patrols = fixes = check_ins_n = 0
    chunks: list[TrackChunk] = []
    patrol_updates: list[Patrol] = []
    to_link: list[Patrol] = []
    check_ins: list[CheckIn] = []
    diaries: list[Diary] = []
    linked_diaries: list[dict[str, Any]] = []
    for index, worker in enumerate(workers):
        user, grid, polygon = worker.user, worker.grid, worker.polygon
        # Key points the office marked in about a third of the grids.
        if rng.random() < 0.35:
            centre = polygon.representative_point()
            KeyPoint.objects.create(
                name=f"{grid.name}垃圾收集点",
                kind=KeyPointKind.LIVING_ENVIRONMENT,
                grid=grid,
                lon=centre.x,
                lat=centre.y,
            )
        lax = index % LAX_EVERY == LAX_EVERY - 1
        diligence = rng.uniform(0.5, 0.65) if lax else rng.uniform(0.86, 0.98)
        stray = index % STRAY_EVERY == 5
        own_cases = defaultdict(list)
        for created, lon, lat, pk in reported[user.pk]:
            own_cases[timezone.localdate(created, LOCAL_TZ)].append((created, lon, lat, pk))
        case_days = sorted(own_cases)
        for day in sorted(set(days) | set(case_days)):
            in_month = day >= first_day
            working = calendar.is_workday(day)
            if day in on_leave[user.pk]:
                continue
            if in_month and working:
                for kind, hour in ((CheckKind.IN, 8.2), (CheckKind.OUT, 17.6)):
                    lon, lat = _inside_point(polygon, nprng)
                    check_ins.append(
                        CheckIn(
                            user=user,
                            kind=kind,
                            at=_at(day, hour + rng.uniform(-0.3, 0.4)),
                            lon=round(lon, 6),
                            lat=round(lat, 6),
                            accuracy=rng.choice((8, 10, 15, 20)),
                            grid=grid,
                        )
                    )
            # Patrols: one around each case reported that day (the case falls inside it), else
            # the day's patrol on most working days and some weekends.
            walks: list[list[Any]] = []  # [start, end, through, stray]
            for created, lon, lat, _pk in own_cases.get(day, []):
                at = created.timestamp()
                if lon is None or lat is None:
                    lon, lat = _inside_point(polygon, nprng)
                if walks and at <= walks[-1][1]:
                    continue  # reported on the same patrol
                if walks and at - walks[-1][1] < 1800:
                    walks[-1][1] = at + rng.uniform(15, 40) * 60  # the patrol went on longer
                    continue
                start = at - rng.uniform(15, 50) * 60
                if walks:
                    start = max(start, walks[-1][1] + 300)
                end = max(start + rng.uniform(70, 150) * 60, at + 600)
                walks.append([start, end, (at, lon, lat), False])
            if not walks and in_month:
                goes = rng.random() < (diligence if working else 0.25)
                if goes:
                    hour = rng.choice((8.6, 8.8, 9.0, 9.4, 14.4, 14.8, 15.2))
                    start = _at(day, hour).timestamp()
                    wanders = stray and rng.random() < 0.35
                    longest = 180 if index < MAX_WORKERS else 150
                    walks.append([start, start + rng.uniform(60, longest) * 60, None, wanders])
            for start, end, through, wanders in walks:
                minutes = (end - start) / 60
                rows = _track(worker, start, minutes, nprng, through=through, stray=wanders)
                patrol = Patrol(
                    uid=uuid.UUID(int=rng.getrandbits(128), version=4),  # same build, same ids
                    user=user,
                    grid=grid,
                    source=PatrolSource.PHONE,
                    started_at=datetime.fromtimestamp(rows[0, 0], tz=UTC),
                    ended_at=datetime.fromtimestamp(rows[-1, 0], tz=UTC),
                )
                patrol.save()
                if through is not None:
                    to_link.append(patrol)
                chunks += [
                    _chunk_for(patrol, f"demo:{patrol.uid}:{i}", FixBatch(*rows[i : i + BATCH].T))
                    for i in range(0, len(rows), BATCH)
                ]
                kept = tracks.filter_track(tracks.Track.of(*rows.T))
                patrol.fix_count, patrol.kept_count = len(rows), len(kept)
                patrol.mileage_m = tracks.mileage_m(kept)
                patrol.duration_s = tracks.duration_s(kept)
                patrol.summary_at = timezone.now()
                patrol_updates.append(patrol)
                patrols += 1
                fixes += len(rows)
            if not in_month or not (walks or working):
                continue
            # The day's 民情日志 on most days out; the cases reported and some households visited
            # are linked to it (through the diary service, which checks they are visible).
            if rng.random() < (0.9 if walks else 0.3):
                tag = rng.choice(tuple(PEOPLE_TEXTS))
                cases = [pk for _c, _x, _y, pk in own_cases.get(day, [])]
                homes = (
                    rng.sample(worker.homes, min(len(worker.homes), rng.randint(1, 3)))
                    if worker.homes and rng.random() < 0.2
                    else []
                )
                if cases or homes:
                    text = (
                        CASE_TEXT.format(what=rng.choice(PEOPLE_TEXTS["巡查"]))
                        if cases
                        else HOUSEHOLD_TEXT.format(n=len(homes))
                    )
                    linked_diaries.append(
                        {
                            "by": user,
                            "kind": DiaryKind.PEOPLE,
                            "day": day,
                            "text": text,
                            "tags": "巡查,上报" if cases else "走访,重点户",
                            "grid_code": grid.code,
                            "case_ids": cases,
                            "household_numbers": homes,
                        }
                    )
                else:
                    diaries.append(
                        Diary(
                            user=user,
                            kind=DiaryKind.PEOPLE,
                            day=day,
                            grid=grid,
                            text=rng.choice(PEOPLE_TEXTS[tag]),
                            tags=tag,
                        )
                    )
    TrackChunk.objects.bulk_create(chunks, batch_size=500)
    Patrol.objects.bulk_update(
        patrol_updates,
        ["fix_count", "kept_count", "mileage_m", "duration_s", "summary_at"],
        batch_size=500,
    )
    # The same link the API makes when a patrol ends (services.summarise_patrol).
    linked_cases = sum(link_reports(patrol) for patrol in to_link)
    CheckIn.objects.bulk_create(check_ins, batch_size=1000)
    check_ins_n = len(check_ins)
    Diary.objects.bulk_create(diaries, batch_size=1000)
    photos = 0
    for n, spec in enumerate(linked_diaries):
        with_photo = n % max(1, len(linked_diaries) // PHOTO_DIARIES) == 0
        if with_photo and photos < PHOTO_DIARIES:
            spec["photos"] = [_photo(rng, n)]
            photos += 1
        records.write_diary(**spec)
    work_diaries = _work_diaries(root, days, rng)
    duty = _duty_roster(root, office, today, rng)
    # The patrol days, computed as the nightly job does (one batch per day, in this process).
    patrol_dates = {p.started_at.astimezone(LOCAL_TZ).date() for p in patrol_updates}
    patrol_days = sum(refresh_all_days(day, processes=1) for day in sorted(patrol_dates))
    return DemoFieldwork(
        workers=len(workers),
        patrols=patrols,
        fixes=fixes,
        linked_cases=linked_cases,
        diaries=len(diaries) + len(linked_diaries) + work_diaries,
        work_diaries=work_diaries,
        photos=photos,
        check_ins=check_ins_n,
        leaves=leaves,
        duty_shifts=duty,
        patrol_days=patrol_days,
    )


def _work_diaries(root: Grid, days: list[date], rng: random.Random) -> int:
    """The embedded officers' weekly 工作日志 (seed 002), written on each week's Friday."""
    posts = (
        Post.objects.current()
        .filter(
            grid__path__startswith=root.path,
            staff__user__isnull=False,
            kind=PostKind.EMBEDDED_OFFICER,
        )
        .select_related("staff__user", "grid")
        .order_by("grid__code", "pk")
    )
    fridays = [d for d in days if d.weekday() == 4]
    rows, seen = [], set()
    for post in posts:
        if post.staff.user_id in seen:
            continue
        seen.add(post.staff.user_id)
        for friday in fridays:
            if rng.random() < 0.1:
                continue  # a week without an entry
            text = rng.choice(WORK_TEXTS).format(
                a=rng.choice(WORK_TOPICS_A), b=rng.choice(WORK_TOPICS_B), n=rng.randint(3, 9)
            )
            rows.append(
                Diary(
                    user=post.staff.user,
                    kind=DiaryKind.WORK,
                    day=friday,
                    grid=post.grid,
                    text=text,
                    tags="下沉,周志",
                )
            )
    Diary.objects.bulk_create(rows, batch_size=1000)
    return len(rows)


def _duty_roster(root: Grid, office: Any, today: date, rng: random.Random) -> int:
    """The town's duty roster (值班, seed 000) for the month and the coming week, weekends too:
    a day shift and a night shift, rotating over the town grid office's staff."""
    staff = list(
        Jurisdiction.objects.filter(active=True, role__in=[Role.OFFICE, Role.LEADER], grid=root)
        .order_by("role", "user__username")
        .values_list("user__username", flat=True)
        .distinct()
    )
    names = list(dict.fromkeys(staff)) or [office.get_username()]
    shifts = 0
    for offset in range(-DAYS, 7):
        day = today + timedelta(days=offset)
        for hour, length, note in ((8, 12, "白班"), (20, 12, "夜班")):
            name = names[(offset * 2 + (hour == 20)) % len(names)]
            records.add_duty_shift(
                by=office,
                username=name,
                grid_code=root.code,
                starts_at=_at(day, hour),
                ends_at=_at(day, hour + length),
                note=note,
            )
            shifts += 1
    return shifts


@transaction.atomic
def seed_demo_today(*, summary: Any) -> int:
    """Today's patrols for the cases the other demos (visits turned into cases, campaign
    answers) reported on the patrol channel while the demo was built: each such worker is on a
    patrol that began some time before and ends with the last report, so those cases too fall
    inside a patrol and are linked. Returns the number of cases linked."""
    from gridgov.cases.models import Case, Channel

    root = Grid.objects.get(code=summary.root_code)
    workers = {w.user.pk: w for w in _workers(root)}
    start_of_day = _at(timezone.localdate(), 0)
    times: dict[int, list[datetime]] = defaultdict(list)
    for user_id, created in Case.objects.filter(
        reporter_id__in=list(workers),
        channel=Channel.PATROL,
        created_at__gte=start_of_day,
        patrol_link__isnull=True,
    ).values_list("reporter_id", "created_at"):
        times[user_id].append(created)
    rng = random.Random(f"gridgov-demo-fieldwork-today:{root.code}")  # noqa: S311 - demo data
    nprng = np.random.default_rng(rng.getrandbits(64))
    linked = 0
    for user_id in sorted(times):
        worker = workers[user_id]
        end = max(times[user_id]).timestamp() + 1
        start = max(
            min(times[user_id]).timestamp() - rng.uniform(30, 60) * 60, start_of_day.timestamp()
        )
        rows = _track(worker, start, (end - start) / 60, nprng)
        patrol = Patrol.objects.create(
            user=worker.user,
            grid=worker.grid,
            source=PatrolSource.PHONE,
            started_at=datetime.fromtimestamp(rows[0, 0], tz=UTC),
            ended_at=datetime.fromtimestamp(max(rows[-1, 0], end), tz=UTC),
        )
        TrackChunk.objects.bulk_create(
            [
                _chunk_for(patrol, f"demo:{patrol.uid}:{i}", FixBatch(*rows[i : i + BATCH].T))
                for i in range(0, len(rows), BATCH)
            ]
        )
        # The service the API's end of a patrol runs: summary, report links, patrol days.
        summarise_patrol(patrol=patrol)
        linked += patrol.report_links.count()
    return linked
