"""The office's reading of diaries (民情日志 daily, 工作日志 weekly of embedded officers, seed
002): one filter for the page and its Excel export, and the count per person for the period
(seed 000 reports 8,530 entries a year). Reads only: entries are written by records.write_diary."""

from __future__ import annotations

import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import Count, Prefetch
from django.utils.translation import gettext as _

from gridgov.core.masking import mask_name
from gridgov.fieldwork.models import Diary, DiaryKind, DiaryQuerySet
from gridgov.grids.models import Grid

# Tags are typed freely on the phone: "安全,矛盾纠纷" or "安全 矛盾纠纷" or "安全、纠纷".
TAG_SPLIT = re.compile(r"[\s,,、;;]+")
EXPORT_LIMIT = 20000


def split_tags(tags: str) -> list[str]:
    return [t for t in TAG_SPLIT.split(tags or "") if t]


@dataclass(frozen=True)
class DiaryFilter:
    """The page's filters, already checked against the viewer's scope (the grid is visible to
    them, the worker a username)."""

    start: date
    end: date
    grid: Grid | None = None
    username: str = ""
    tag: str = ""
    kind: str = ""


def diary_entries(viewer: Any, f: DiaryFilter) -> DiaryQuerySet:
    """The viewer's visible diary entries matching the filter, newest first, with what the
    list shows fetched in a fixed number of queries."""
    from gridgov.registry.models import Household

    qs = Diary.objects.visible_to(viewer).filter(day__gte=f.start, day__lte=f.end)
    if f.grid is not None:
        qs = qs.filter(grid__path__startswith=f.grid.path)
    if f.username:
        qs = qs.filter(user__username=f.username)
    if f.tag:
        qs = qs.filter(tags__icontains=f.tag)
    if f.kind in DiaryKind.values:
        qs = qs.filter(kind=f.kind)
    return qs.select_related("user__staff", "grid").prefetch_related(
        Prefetch("households", queryset=Household.objects.select_related("head")),
        "cases",
        "photos",
    )


@dataclass
class PersonCount:
    username: str
    name: str
    people: int = 0
    work: int = 0

    @property
    def total(self) -> int:
        return self.people + self.work


@dataclass
class Counts:
    rows: list[PersonCount] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(r.total for r in self.rows)


def count_per_person(entries: DiaryQuerySet) -> Counts:
    """Entries per person and kind over the filtered entries, most entries first."""
    rows: dict[str, PersonCount] = {}
    for username, name, kind, n in (
        entries.order_by()
        .values_list("user__username", "user__staff__name", "kind")
        .annotate(n=Count("pk"))
    ):
        row = rows.setdefault(username, PersonCount(username, name or username))
        setattr(row, kind, getattr(row, kind, 0) + n)
    return Counts(sorted(rows.values(), key=lambda r: (-r.total, r.username)))


def writers(viewer: Any) -> list[tuple[str, str]]:
    """(username, display name) of everyone whose entries the viewer sees (the worker filter)."""
    ids = Diary.objects.visible_to(viewer).order_by().values("user_id").distinct()
    return [
        (username, name or username)
        for username, name in get_user_model()
        .objects.filter(pk__in=ids)
        .order_by("username")
        .values_list("username", "staff__name")
    ]


def writer_name(user: Any) -> str:
    """A diary's writer as the office knows them: their staff name (李娜), else the account."""
    staff = getattr(user, "staff", None)
    return staff.name if staff is not None else user.username


def household_label(household: Any) -> str:
    """A linked household as lists show it: its number and the head's masked name (张**)."""
    head = getattr(household, "head", None)
    return f"{household.number} {mask_name(head.name)}" if head else household.number


def export_diaries(entries: DiaryQuerySet) -> bytes:
    """The filtered list as a workbook: one row an entry, and the counts per person."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet(_("日志")[:31])
    ws.append(
        [
            _("日期"),
            _("类别"),
            _("记录人"),
            _("网格"),
            _("内容"),
            _("标签"),
            _("关联住户"),
            _("关联事件"),
            _("照片数"),
        ]
    )
    chosen = list(entries[:EXPORT_LIMIT])
    for d in chosen:
        ws.append(
            [
                d.day.isoformat(),
                d.get_kind_display(),
                writer_name(d.user),
                d.grid.name if d.grid else "",
                d.text,
                "、".join(split_tags(d.tags)),
                "、".join(household_label(h) for h in d.households.all()),
                "、".join(c.number for c in d.cases.all()),
                len(d.photos.all()),
            ]
        )
    counts = wb.create_sheet(_("按人统计")[:31])
    counts.append([_("记录人"), _("账号"), _("民情日志"), _("工作日志"), _("合计")])
    for row in count_per_person(entries).rows:
        counts.append([row.name, row.username, row.people, row.work, row.total])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


__all__ = [
    "Counts",
    "DiaryFilter",
    "PersonCount",
    "count_per_person",
    "diary_entries",
    "export_diaries",
    "household_label",
    "split_tags",
    "writer_name",
    "writers",
]
