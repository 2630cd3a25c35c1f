"""Coordination services: 条块融合 groups, joint enforcement actions through their lifecycle,
meetings with decisions that become tasks, training records, notices with read receipts and
reminders for the unread."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import (
    CharField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gridgov.cases.models import Case, CaseTask, MatterClass
from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.jurisdiction import Role
from gridgov.core.notify import in_every_language, notify
from gridgov.fieldwork.safety.models import Hazard
from gridgov.grids.models import Grid
from gridgov.oversight.models import (
    CoordinationGroup,
    JointAction,
    JointActionState,
    Meeting,
    MeetingDecision,
    Notice,
    NoticeReceipt,
    Training,
)
from gridgov.oversight.permissions import require
from gridgov.oversight.workflow import JOINT_ACTION_VERBS
from gridgov.people.models import Department, Jurisdiction, Staff


def _text(value: str, field: str) -> str:
    if not (value or "").strip():
        raise DomainError(_("此项必填"), field=field)
    return value.strip()


@transaction.atomic
def create_group(
    *,
    name: str,
    grid: Grid,
    supervised_objects: str,
    duties: str,
    patrol_content: str = "",
    departments: list[Department],
    members: list[Staff],
    by: User,
    matter_classes: list[MatterClass] | None = None,
) -> CoordinationGroup:
    """A standing 条块融合 group (seed 000: 14 个工作组)."""
    require(by, "oversight.coordinate", grid)
    if not departments:
        raise DomainError(_("请选择成员部门"), field="departments")
    group = CoordinationGroup.objects.create(
        name=_text(name, "name"),
        grid=grid,
        supervised_objects=_text(supervised_objects, "supervised_objects"),
        duties=_text(duties, "duties"),
        patrol_content=patrol_content.strip(),
    )
    group.departments.set(departments)
    group.members.set(members)
    group.matter_classes.set(matter_classes or [])
    return group


def groups_of(user: Any) -> QuerySet[CoordinationGroup]:
    """The groups a user belongs to (as a member or through a member department)."""
    from gridgov.core.jurisdiction import scope_of

    departments = scope_of(user).all_department_ids()
    return CoordinationGroup.objects.filter(
        Q(members__user_id=getattr(user, "pk", None)) | Q(departments__in=sorted(departments)),
        is_active=True,
    ).distinct()


def _group_q(group: CoordinationGroup, classes: list[int], departments: list[int]) -> Q:
    """A group's cases: those in its territory of the classes it supervises; a group without
    classes, those its member departments lead or handle there."""
    q = Q(grid__path__startswith=group.grid.path)
    if classes:
        return q & Q(item__matter_class_id__in=classes)
    return q & (
        Q(department_id__in=departments)
        | Q(Exists(CaseTask.objects.filter(case_id=OuterRef("pk"), department_id__in=departments)))
    )


def group_cases(group: CoordinationGroup) -> QuerySet[Case]:
    """The cases a group's members see (by its classes and territory)."""
    classes = list(group.matter_classes.values_list("pk", flat=True))
    departments = list(group.departments.values_list("pk", flat=True))
    return Case.objects.filter(_group_q(group, classes, departments))


def group_visibility_q(user: Any) -> Q | None:
    """The cases a user sees as a member of 条块融合 groups (registered as a visibility hook of
    `Case.objects.visible_to` from OversightConfig.ready): nothing for anonymous users. Built as
    subqueries, so it adds no query of its own to a page (the query-count budgets hold)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    from gridgov.core.jurisdiction import scope_of

    member = Q(members__user_id=user.pk)
    departments = sorted(scope_of(user).all_department_ids())
    if departments:
        member |= Q(departments__in=departments)
    mine = CoordinationGroup.objects.filter(is_active=True).filter(
        pk__in=CoordinationGroup.objects.filter(member).values("pk")
    )
    # Groups whose territory holds the case's grid.
    case_path = ExpressionWrapper(OuterRef("grid__path"), output_field=CharField())
    over = mine.alias(case_path=case_path).filter(case_path__startswith=F("grid__path"))
    by_class = over.filter(matter_classes=OuterRef("item__matter_class_id"))
    tasks = CaseTask.objects.filter(case_id=OuterRef(OuterRef("pk"))).values("department_id")
    by_department = over.filter(matter_classes__isnull=True).filter(
        Q(departments=OuterRef("department_id")) | Q(departments__in=Subquery(tasks))
    )
    return Q(Exists(by_class)) | Q(Exists(by_department))


def group_territory_q(user: Any) -> Q | None:
    """The inspections and hazards a user sees as a member of 条块融合 groups: those in the
    territory of an active group they belong to (registered as a visibility hook of
    fieldwork.safety's `visible_to` from OversightConfig.ready). One EXISTS subquery."""
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    from gridgov.core.jurisdiction import scope_of

    member = Q(members__user_id=user.pk)
    departments = sorted(scope_of(user).all_department_ids())
    if departments:
        member |= Q(departments__in=departments)
    mine = CoordinationGroup.objects.filter(is_active=True).filter(
        pk__in=CoordinationGroup.objects.filter(member).values("pk")
    )
    row_path = ExpressionWrapper(OuterRef("grid__path"), output_field=CharField())
    return Q(Exists(mine.alias(row_path=row_path).filter(row_path__startswith=F("grid__path"))))


# -- joint enforcement (联合执法) ----------------------------------------------------------------


@transaction.atomic
def request_joint_action(
    *, title: str, grid: Grid, reason: str, by: User, cases: list[Case] | None = None
) -> JointAction:
    """A town applies for concentrated enforcement (seed 002)."""
    require(by, "oversight.coordinate", grid)
    action = JointAction.objects.create(
        title=_text(title, "title"), grid=grid, reason=_text(reason, "reason"), requested_by=by
    )
    if cases:
        outside = [c.pk for c in cases if not c.grid.path.startswith(grid.path)]
        if outside:
            raise DomainError(_("关联案件须在执法范围内"), field="cases")
        action.cases.set(cases)
    return action


@transaction.atomic
def act_on_joint_action(
    *,
    action: JointAction,
    verb: str,
    by: User,
    note: str = "",
    planned_on: dt.date | None = None,
    place: str = "",
    departments: list[Department] | None = None,
    people: list[Staff] | None = None,
    result: str = "",
) -> JointAction:
    """approve / refuse (with the reason), plan (date, place, departments, people), complete
    (with the result)."""
    spec = JOINT_ACTION_VERBS.get(verb)
    if spec is None:
        raise DomainError(_("未知操作"), field="verb")
    action = JointAction.objects.select_for_update().get(pk=action.pk)
    require(by, spec.perm, action)
    if action.state not in spec.states:
        raise ConflictError(_("当前状态不允许此操作"), state=action.state)
    if verb in ("approve", "refuse"):
        if verb == "refuse":
            _text(note, "note")
        action.decided_by, action.decision_note = by, note.strip()
    elif verb == "plan":
        if planned_on is None:
            raise DomainError(_("请填写执法日期"), field="planned_on")
        if not departments:
            raise DomainError(_("请选择参加部门"), field="departments")
        action.planned_on, action.place = planned_on, _text(place, "place")
        action.departments.set(departments)
        action.people.set(people or [])
    else:
        summary = _linked_summary(action)
        text = _text(result, "result")
        action.result = f"{text}\n\n{summary}" if summary else text
        action.done_at = timezone.now()
    action.state = JOINT_ACTION_VERBS[verb].target
    action.save()
    return action


def _linked_summary(action: JointAction) -> str:
    """The linked cases and hazards with their states at completion (kept with the result)."""
    lines = [
        _("关联案件 %(number)s:%(state)s") % {"number": c.number, "state": c.get_state_display()}
        for c in action.cases.order_by("pk")
    ]
    lines += [
        _("关联隐患 %(number)s:%(state)s") % {"number": h.number, "state": h.get_state_display()}
        for h in action.hazards.order_by("pk")
    ]
    return "\n".join(lines)


# Cases and hazards are linked while the action is open (requested, approved or planned).
LINKABLE_STATES = frozenset(
    {JointActionState.REQUESTED, JointActionState.APPROVED, JointActionState.PLANNED}
)


def case_by_number(user: Any, number: str) -> Case:
    """A case the user sees, by its number (date + row id); anything else is a form error."""
    text = (number or "").strip()
    case = None
    if text.isdigit() and len(text) == 16:
        case = Case.objects.visible_to(user).filter(pk=int(text[8:])).first()
    if case is None or case.number != text:
        raise DomainError(_("未找到该编号的案件"), field="case_number")
    return case


def hazard_by_number(user: Any, number: str) -> Hazard:
    """A hazard the user sees, by its number (YH…); anything else is a form error."""
    text = (number or "").strip()
    hazard = Hazard.objects.visible_to(user).filter(number=text).first() if text else None
    if hazard is None:
        raise DomainError(_("未找到该编号的隐患"), field="hazard_number")
    return hazard


def _lock_open_action(action: JointAction, by: User) -> JointAction:
    action = JointAction.objects.select_for_update().select_related("grid").get(pk=action.pk)
    require(by, "oversight.run_joint_action", action)
    if action.state not in LINKABLE_STATES:
        raise ConflictError(_("当前状态不允许此操作"), state=action.state)
    return action


@transaction.atomic
def link_to_joint_action(
    *,
    action: JointAction,
    by: User,
    cases: list[Case] | None = None,
    hazards: list[Hazard] | None = None,
) -> JointAction:
    """Link cases and hazards the actor sees, inside the action's territory."""
    action = _lock_open_action(action, by)
    cases, hazards = cases or [], hazards or []
    seen_cases = set(
        Case.objects.visible_to(by)
        .filter(pk__in=[c.pk for c in cases])
        .values_list("pk", flat=True)
    )
    for case in cases:
        if case.pk not in seen_cases:
            raise DomainError(_("未找到该编号的案件"), field="case_number")
        if not case.grid.path.startswith(action.grid.path):
            raise DomainError(_("关联案件须在执法范围内"), field="case_number")
    seen_hazards = set(
        Hazard.objects.visible_to(by)
        .filter(pk__in=[h.pk for h in hazards])
        .values_list("pk", flat=True)
    )
    for hazard in hazards:
        if hazard.pk not in seen_hazards:
            raise DomainError(_("未找到该编号的隐患"), field="hazard_number")
        if not hazard.grid.path.startswith(action.grid.path):
            raise DomainError(_("关联隐患须在执法范围内"), field="hazard_number")
    action.cases.add(*cases)
    action.hazards.add(*hazards)
    return action


@transaction.atomic
def unlink_from_joint_action(
    *, action: JointAction, by: User, case: Case | None = None, hazard: Hazard | None = None
) -> JointAction:
    action = _lock_open_action(action, by)
    if case is not None:
        action.cases.remove(case)
    if hazard is not None:
        action.hazards.remove(hazard)
    return action


def joint_actions_done(grid: Grid, start: dt.datetime, end: dt.datetime) -> int:
    """Joint actions completed in a period within a territory (seed 000 counts 20 a year)."""
    return JointAction.objects.filter(
        grid__path__startswith=grid.path,
        state=JointActionState.DONE,
        done_at__gte=start,
        done_at__lt=end,
    ).count()


# -- meetings and training -----------------------------------------------------------------------


@transaction.atomic
def record_meeting(
    *,
    kind: str,
    grid: Grid,
    held_at: dt.datetime,
    agenda: str,
    minutes: str,
    attendees: list[Staff],
    decisions: list[dict[str, Any]],
    by: User,
) -> Meeting:
    """A meeting with its minutes; each decision becomes a task with an owner and a deadline
    (`{"text", "deadline", "owner_department"?, "owner"?, "case"?}`), and the owners are told,
    or, with `"as_case": True` (and an optional unit `"grid"`), a case taken in through the
    cases intake service, whose lifecycle then carries it."""
    from gridgov.oversight.models import MeetingKind

    require(by, "oversight.coordinate", grid)
    if kind not in MeetingKind.values:
        raise DomainError(_("会议类型无效"), field="kind")
    meeting = Meeting.objects.create(
        kind=kind,
        grid=grid,
        held_at=held_at,
        agenda=_text(agenda, "agenda"),
        minutes=minutes.strip(),
        recorded_by=by,
    )
    meeting.attendees.set(attendees)
    for index, spec in enumerate(decisions):
        field = f"decisions[{index}]"
        if not (spec.get("text") or "").strip():
            raise DomainError(_("议定事项不能为空"), field=f"{field}.text")
        if not isinstance(spec.get("deadline"), dt.date):
            raise DomainError(_("请填写完成时限"), field=f"{field}.deadline")
        owner_department, owner = spec.get("owner_department"), spec.get("owner")
        case = spec.get("case")
        if spec.get("as_case"):
            case = _decision_case(meeting, spec, by=by, field=field)
        elif owner_department is None and owner is None:
            raise DomainError(_("请指定责任部门或责任人"), field=f"{field}.owner")
        decision = MeetingDecision.objects.create(
            meeting=meeting,
            text=spec["text"].strip(),
            deadline=spec["deadline"],
            owner_department=owner_department,
            owner=owner,
            case=case,
        )
        users = []
        if owner is not None and owner.user_id:
            users.append(owner.user)
        if owner_department is not None:
            users += [
                j.user
                for j in Jurisdiction.objects.filter(
                    department=owner_department, role=Role.HANDLER, active=True
                ).select_related("user")
            ]
        for user in {u.pk: u for u in users}.values():
            notify(
                user=user,
                kind="meeting_decision",
                title=in_every_language(
                    gettext_noop("会议议定事项(%(deadline)s前完成):%(text)s"),
                    deadline=decision.deadline.isoformat(),
                    text=decision.text[:60],
                ),
                target=decision,
                by=by,
            )
    return meeting


def _decision_case(meeting: Meeting, spec: dict[str, Any], *, by: User, field: str) -> Case:
    """A decision taken in as a case (channel 部门移交) in the meeting's territory."""
    from gridgov.cases.models import Channel
    from gridgov.cases.services.intake import report_case

    grid = spec.get("grid") or meeting.grid
    if not grid.path.startswith(meeting.grid.path):
        raise DomainError(_("立案网格须在会议范围内"), field=f"{field}.grid")
    text = spec["text"].strip()
    try:
        intake = report_case(
            by=by,
            channel=Channel.DEPARTMENT,
            title=text[:60],
            description=_("%(meeting)s议定事项:%(text)s") % {"meeting": meeting, "text": text},
            grid_code=grid.code,
        )
    except DomainError as exc:
        raise DomainError(exc.message, field=f"{field}.{exc.field or 'text'}") from exc
    return intake.case


def may_complete_decision(user: Any, decision: MeetingDecision) -> bool:
    """The owner, a handler of the owning department, or an office over the meeting's grid."""
    from gridgov.core.jurisdiction import scope_of

    if decision.case_id is not None or decision.done_at is not None:
        return False
    if decision.owner is not None and decision.owner.user_id == getattr(user, "pk", None):
        return True
    if decision.owner_department_id in scope_of(user).all_department_ids(Role.HANDLER):
        return True
    return bool(user.has_perm("oversight.coordinate", decision.meeting.grid))


def complete_decision(*, decision: MeetingDecision, by: User, note: str) -> MeetingDecision:
    """Mark a decision's task done with a note (compare-and-set: the first completion stays).
    A decision taken in as a case is carried by the case's lifecycle instead."""
    if decision.case_id is not None:
        raise ConflictError(_("该事项已立案,按案件流程办理"), state="case")
    if not may_complete_decision(by, decision) and decision.done_at is None:
        raise PermissionDenied(_("无权执行此操作"))
    text = _text(note, "note")
    done = MeetingDecision.objects.filter(pk=decision.pk, done_at__isnull=True).update(
        done_at=timezone.now(), done_note=text
    )
    if not done:
        raise ConflictError(_("该事项已完成"), state="done")
    decision.refresh_from_db()
    return decision


def decisions_of(meeting: Meeting) -> QuerySet[MeetingDecision]:
    return meeting.decisions.select_related(
        "owner", "owner_department", "case", "meeting__grid"
    ).order_by("deadline", "pk")


@transaction.atomic
def record_training(
    *,
    topic: str,
    grid: Grid,
    held_on: dt.date,
    hours: Any,
    attendees: list[Staff],
    by: User,
) -> Training:
    require(by, "oversight.coordinate", grid)
    if not attendees:
        raise DomainError(_("请选择参训人员"), field="attendees")
    training = Training.objects.create(
        topic=_text(topic, "topic"), grid=grid, held_on=held_on, hours=hours, recorded_by=by
    )
    training.attendees.set(attendees)
    return training


# -- notices (通知公告) ----------------------------------------------------------------------------


def _readers(grid: Grid) -> list[Any]:
    """Everyone with a scope inside the grid's subtree (or a department of its regions)."""
    rows = Jurisdiction.objects.filter(active=True).filter(
        Q(grid__path__startswith=grid.path)
        | Q(region__path__startswith=grid.region.path)
        | Q(department__region__path__startswith=grid.region.path)
    )
    return list({j.user_id: j.user for j in rows.select_related("user")}.values())


@transaction.atomic
def issue_notice(*, title: str, body: str, grid: Grid, by: User) -> Notice:
    """A notice to everyone in the office's scope; each reader gets a receipt row."""
    require(by, "oversight.coordinate", grid)
    notice = Notice.objects.create(
        title=_text(title, "title"), body=_text(body, "body"), grid=grid, issued_by=by
    )
    readers = [u for u in _readers(grid) if u.pk != by.pk]
    NoticeReceipt.objects.bulk_create([NoticeReceipt(notice=notice, user=u) for u in readers])
    for user in readers:
        notify(
            user=user,
            kind="notice",
            title=in_every_language(gettext_noop("通知公告:%(title)s"), title=notice.title),
            body=notice.body[:200],
            target=notice,
            by=by,
        )
    return notice


def read_notice(*, notice: Notice, by: User) -> NoticeReceipt | None:
    """Mark the reader's receipt (compare-and-set: the first read time stays)."""
    NoticeReceipt.objects.filter(notice=notice, user=by, read_at__isnull=True).update(
        read_at=timezone.now()
    )
    return NoticeReceipt.objects.filter(notice=notice, user=by).first()


@transaction.atomic
def remind_unread(*, notice: Notice, by: User) -> int:
    """Remind every reader who has not opened the notice; returns how many were reminded."""
    require(by, "oversight.coordinate", notice.grid)
    unread = list(
        NoticeReceipt.objects.select_for_update()
        .filter(notice=notice, read_at__isnull=True)
        .select_related("user")
    )
    now = timezone.now()
    for receipt in unread:
        receipt.reminders += 1
        receipt.reminded_at = now
        receipt.save(update_fields=["reminders", "reminded_at"])
        notify(
            user=receipt.user,
            kind="notice",
            title=in_every_language(gettext_noop("请阅读通知公告:%(title)s"), title=notice.title),
            target=notice,
            by=by,
            dedupe_key=f"notice-remind:{notice.pk}:{receipt.user_id}:{receipt.reminders}",
        )
    return len(unread)


# -- what a user sees (the pages' and the API's one scoping path) ----------------------------------


def _in_grids(user: Any) -> Q:
    from gridgov.core.jurisdiction import scope_of

    if scope_of(user).is_admin:
        return Q()
    return Q(grid__in=Grid.objects.visible_to(user))


def groups_visible_to(user: Any) -> QuerySet[CoordinationGroup]:
    """Groups in the user's territory, and those they belong to."""
    mine = groups_of(user).values("pk")
    return CoordinationGroup.objects.filter(_in_grids(user) | Q(pk__in=mine)).distinct()


def joint_actions_visible_to(user: Any) -> QuerySet[JointAction]:
    from gridgov.core.jurisdiction import scope_of

    departments = sorted(scope_of(user).all_department_ids())
    return JointAction.objects.filter(_in_grids(user) | Q(departments__in=departments)).distinct()


def meetings_visible_to(user: Any) -> QuerySet[Meeting]:
    """Meetings in the user's territory, those they attended and those whose decisions they
    (or their department) own."""
    from gridgov.core.jurisdiction import scope_of

    departments = sorted(scope_of(user).all_department_ids())
    return Meeting.objects.filter(
        _in_grids(user)
        | Q(attendees__user_id=user.pk)
        | Q(decisions__owner__user_id=user.pk)
        | Q(decisions__owner_department__in=departments)
    ).distinct()


def trainings_visible_to(user: Any) -> QuerySet[Training]:
    return Training.objects.filter(_in_grids(user) | Q(attendees__user_id=user.pk)).distinct()


def notices_visible_to(user: Any) -> QuerySet[Notice]:
    """Notices in the user's territory and those addressed to them."""
    return Notice.objects.filter(_in_grids(user) | Q(receipts__user_id=user.pk)).distinct()
