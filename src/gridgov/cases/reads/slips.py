"""The printable slips of a case (seed 003: 申报单、交办单、催办单、反馈单): the report, one
assignment slip per sub-task, one urging slip per urge or supervision, one feedback slip per
feedback. Built from the case as `cases.queues.detail_queryset` prefetches it (tasks, events
with their photos), so a slip costs no query of its own."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from gridgov.cases.models import Case, CaseAttachment, CaseEvent, CaseTask, EventKind, LimitUnit
from gridgov.cases.reads.case_view import staff_names

SLIP_TITLES = {
    "report": gettext_lazy("申报单"),
    "assignment": gettext_lazy("交办单"),
    "urging": gettext_lazy("催办单"),
    "feedback": gettext_lazy("反馈单"),
}
# A slip's number: the case number, a letter for the kind and its order (2026…-J2).
LETTERS = {"report": "S", "assignment": "J", "urging": "C", "feedback": "F"}
URGING_KINDS = (EventKind.URGE, EventKind.SUPERVISE)


@dataclass(frozen=True)
class SlipRow:
    label: str
    value: str


@dataclass(frozen=True)
class SlipPhoto:
    pk: int
    name: str
    file_url: str  # the stored file, read from disk by the PDF renderer


@dataclass(frozen=True)
class Slip:
    """One printed form: its kind, number, labelled rows, longer texts, photos and the
    signature lines a paper slip carries."""

    kind: str
    ref: int
    title: str
    number: str
    issuer: str
    rows: list[SlipRow]
    texts: list[SlipRow] = field(default_factory=list)
    photos: list[SlipPhoto] = field(default_factory=list)
    signatures: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SlipLink:
    kind: str
    ref: int
    title: str
    number: str
    label: str


def _at(value: dt.datetime | None) -> str:
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M") if value else "—"


def _photos(items: list[CaseAttachment]) -> list[SlipPhoto]:
    return [SlipPhoto(pk=a.pk, name=a.original_name, file_url=a.file.url) for a in items]


def _events(case: Case, kinds: tuple[str, ...]) -> list[CaseEvent]:
    return [e for e in case.events.all() if e.kind in kinds]


def _tasks(case: Case) -> list[CaseTask]:
    return sorted(case.tasks.all(), key=lambda t: (t.dispatched_at, t.pk))


def _limit(task: CaseTask) -> str:
    """The handling limit as a count of its unit ("3 个工作日", "3 working days"); a task given
    a fixed date (limit 0) has none, its deadline row says it all."""
    n = task.limit_value
    if not n:
        return "—"
    if task.limit_unit == LimitUnit.WORK_HOURS:
        text = ngettext("%(n)s 个工作小时", "%(n)s 个工作小时", n)
    elif task.limit_unit == LimitUnit.CLOCK_HOURS:
        text = ngettext("%(n)s 个自然小时", "%(n)s 个自然小时", n)
    else:
        text = ngettext("%(n)s 个工作日", "%(n)s 个工作日", n)
    return text % {"n": n}


def _number(case: Case, kind: str, index: int) -> str:
    return f"{case.number}-{LETTERS[kind]}{index}"


def slip_links(case: Case) -> list[SlipLink]:
    """Every slip the case has so far, in the order they were issued."""
    links = [SlipLink("report", 0, str(SLIP_TITLES["report"]), _number(case, "report", 1), "")]
    for i, task in enumerate(_tasks(case), 1):
        label = f"{task.department.name}({task.get_role_display()})"
        links.append(
            SlipLink(
                "assignment",
                task.pk,
                str(SLIP_TITLES["assignment"]),
                _number(case, "assignment", i),
                label,
            )
        )
    for i, event in enumerate(_events(case, URGING_KINDS), 1):
        links.append(
            SlipLink(
                "urging",
                event.pk,
                str(SLIP_TITLES["urging"]),
                _number(case, "urging", i),
                _at(event.at),
            )
        )
    for i, event in enumerate(_events(case, (EventKind.FEEDBACK,)), 1):
        label = event.department.name if event.department is not None else _at(event.at)
        links.append(
            SlipLink(
                "feedback",
                event.pk,
                str(SLIP_TITLES["feedback"]),
                _number(case, "feedback", i),
                label,
            )
        )
    return links


def case_slip(case: Case, kind: str, ref: int) -> Slip:
    """One slip of the case; a kind or a reference that is not the case's is a 404."""
    if kind == "report" and ref == 0:
        return _report_slip(case)
    if kind == "assignment":
        tasks = _tasks(case)
        index = next((i for i, t in enumerate(tasks, 1) if t.pk == ref), None)
        if index is not None:
            return _assignment_slip(case, tasks[index - 1], index)
    if kind in ("urging", "feedback"):
        kinds = URGING_KINDS if kind == "urging" else (EventKind.FEEDBACK,)
        events = _events(case, kinds)
        index = next((i for i, e in enumerate(events, 1) if e.pk == ref), None)
        if index is not None:
            build = _urging_slip if kind == "urging" else _feedback_slip
            return build(case, events[index - 1], index)
    raise Http404


def _case_rows(case: Case) -> list[SlipRow]:
    item = f"{case.item.matter_class.name} · {case.item.name}" if case.item else _("未分类")
    return [
        SlipRow(_("案件编号"), case.number),
        SlipRow(_("标题"), case.title),
        SlipRow(_("事项"), item),
        SlipRow(_("所属网格"), f"{case.grid.name}({case.grid.code})"),
    ]


def _report_slip(case: Case) -> Slip:
    report = next(iter(_events(case, (EventKind.REPORT,))), None)
    names = staff_names({case.reporter_id} if case.reporter_id else set())
    reporter = names.get(case.reporter_id, "") if case.reporter_id else ""
    rows = [
        *_case_rows(case),
        SlipRow(_("来源"), str(case.get_channel_display())),
        SlipRow(_("紧急程度"), str(case.get_urgency_display())),
        SlipRow(_("处理方式"), str(case.get_mode_display())),
        SlipRow(_("地址"), case.address or "—"),
        SlipRow(
            _("坐标"),
            f"{case.lat:.6f}, {case.lon:.6f}"
            if case.lat is not None and case.lon is not None
            else "—",
        ),
        SlipRow(_("上报人"), reporter or case.contact_name or _("群众(匿名)")),
        SlipRow(_("上报时间"), _at(report.at if report else case.created_at)),
    ]
    if case.external_number:
        rows.append(SlipRow(_("外部编号"), case.external_number))
    photos = [a for a in case.attachments.all() if a.purpose == CaseAttachment.Purpose.REPORT]
    return Slip(
        kind="report",
        ref=0,
        title=str(SLIP_TITLES["report"]),
        number=_number(case, "report", 1),
        issuer=case.level_region.name,
        rows=rows,
        texts=[SlipRow(_("反映内容"), case.description)],
        photos=_photos(photos),
        signatures=[_("上报人签字"), _("受理人签字")],
    )


def _assignment_slip(case: Case, task: CaseTask, index: int) -> Slip:
    names = staff_names({task.dispatched_by_id} if task.dispatched_by_id else set())
    rows = [
        *_case_rows(case),
        SlipRow(_("承办部门"), task.department.name),
        SlipRow(_("承办角色"), str(task.get_role_display())),
        SlipRow(_("办理时限"), _limit(task)),
        SlipRow(
            _("办理期限"), _at(task.due_at) + (f"({_('暂定')})" if task.due_provisional else "")
        ),
        SlipRow(
            _("派遣人"), names.get(task.dispatched_by_id, "—") if task.dispatched_by_id else "—"
        ),
        SlipRow(_("派遣时间"), _at(task.dispatched_at)),
        SlipRow(
            _("派遣层级"), f"{task.get_dispatch_level_display()} · {task.dispatch_region.name}"
        ),
        SlipRow(_("当前状态"), str(task.get_state_display())),
    ]
    return Slip(
        kind="assignment",
        ref=task.pk,
        title=str(SLIP_TITLES["assignment"]),
        number=_number(case, "assignment", index),
        issuer=task.dispatch_region.name,
        rows=rows,
        texts=[
            SlipRow(_("反映内容"), case.description),
            SlipRow(
                _("交办要求"), task.instructions or _("按事项清单要求办理,并在期限内反馈处置结果。")
            ),
        ],
        signatures=[_("派遣人签字"), _("承办部门签收")],
    )


def _urging_slip(case: Case, event: CaseEvent, index: int) -> Slip:
    rows = [
        *_case_rows(case),
        SlipRow(_("类型"), str(EventKind(event.kind).label)),
        SlipRow(_("被催办部门"), event.department.name if event.department is not None else "—"),
        SlipRow(_("办理期限"), _at(event.due_at)),
        SlipRow(
            _("催办人"),
            staff_names({event.actor_id}).get(event.actor_id, "—") if event.actor_id else "—",
        ),
        SlipRow(_("催办时间"), _at(event.at)),
    ]
    return Slip(
        kind="urging",
        ref=event.pk,
        title=str(SLIP_TITLES["urging"]),
        number=_number(case, "urging", index),
        issuer=event.level_region.name,
        rows=rows,
        texts=[SlipRow(_("催办意见"), event.note)],
        signatures=[_("催办人签字"), _("承办部门签收")],
    )


def _feedback_slip(case: Case, event: CaseEvent, index: int) -> Slip:
    rows = [
        *_case_rows(case),
        SlipRow(_("承办部门"), event.department.name if event.department is not None else "—"),
        SlipRow(_("办理期限"), _at(event.due_at)),
        SlipRow(
            _("反馈人"),
            staff_names({event.actor_id}).get(event.actor_id, "—") if event.actor_id else "—",
        ),
        SlipRow(_("反馈时间"), _at(event.at)),
        SlipRow(
            _("是否按期"),
            _("按期") if event.due_at is None or event.at <= event.due_at else _("超期"),
        ),
    ]
    return Slip(
        kind="feedback",
        ref=event.pk,
        title=str(SLIP_TITLES["feedback"]),
        number=_number(case, "feedback", index),
        issuer=event.department.name if event.department is not None else event.level_region.name,
        rows=rows,
        texts=[SlipRow(_("处置结果"), event.note)],
        photos=_photos(list(event.attachments.all())),
        signatures=[_("承办人签字"), _("部门负责人签字")],
    )
