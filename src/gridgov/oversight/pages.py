"""More oversight pages: the residents' survey (public) and its results, the two-way assessment,
manual scores by a named assessor, and the coordination pages (groups, joint actions, meetings,
training, notices). Thin: parse, scoped lookup, one service or read, render."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from gridgov.cases.models import Case, MatterClass
from gridgov.core.errors import DomainError
from gridgov.core.jurisdiction import Role, scope_of
from gridgov.core.throttle import throttle
from gridgov.grids.models import Grid
from gridgov.oversight import coordination as coordination_services
from gridgov.oversight import surveys, twoway
from gridgov.oversight.models import (
    UNIT_CHOICES,
    ItemKind,
    JointActionState,
    ManualScore,
    MeetingKind,
    NoticeReceipt,
    RatingDirection,
    SchemeItem,
)
from gridgov.oversight.services import enter_manual_score
from gridgov.oversight.views import READERS, _month, role_required
from gridgov.oversight.workflow import JOINT_ACTION_VERBS, joint_action_actions
from gridgov.people.models import Department, Staff

# A resident answers once; a few tries per address and ten minutes leave room for a family.
SURVEY_LIMIT = {"scope": "oversight.survey", "limit": 5, "per_seconds": 600}
YES_NO = [("yes", gettext_lazy("认识")), ("no", gettext_lazy("不认识"))]
RATINGS = [
    (5, gettext_lazy("5 分 · 很满意")),
    (4, gettext_lazy("4 分 · 满意")),
    (3, gettext_lazy("3 分 · 一般")),
    (2, gettext_lazy("2 分 · 不太满意")),
    (1, gettext_lazy("1 分 · 不满意")),
]


class SurveyForm(forms.Form):
    knows_worker = forms.ChoiceField(
        label=gettext_lazy("您认识本网格的网格员吗?"), choices=YES_NO, widget=forms.RadioSelect
    )
    rating = forms.TypedChoiceField(
        label=gettext_lazy("您对本网格的工作打几分?"),
        choices=RATINGS,
        coerce=int,
        widget=forms.RadioSelect,
    )
    comment = forms.CharField(
        label=gettext_lazy("意见建议(选填)"),
        required=False,
        max_length=300,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    website = forms.CharField(required=False, widget=forms.HiddenInput)  # a trap for robots

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(gettext_lazy("提交无效"))
        return ""

    def answers(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "knows_worker": data["knows_worker"] == "yes",
            "rating": data["rating"],
            "comment": data.get("comment") or "",
        }


def _public_error(request: HttpRequest, exc: DomainError) -> HttpResponse:
    context = {"status": exc.status_code, "message": exc.message}
    response = render(request, "oversight/error.html", context, status=exc.status_code)
    retry = getattr(exc, "retry_after", None)
    if retry:
        response["Retry-After"] = str(retry)
    return response


def _survey_page(request: HttpRequest, grid: Any, submit: Any, *, case: Any = None) -> HttpResponse:
    if request.method != "POST":
        return render(request, "oversight/survey.html", {"grid": grid, "form": SurveyForm()})
    form = SurveyForm(request.POST)
    if not form.is_valid():
        return render(request, "oversight/survey.html", {"grid": grid, "form": form}, status=400)
    throttle(request, **SURVEY_LIMIT)  # type: ignore[arg-type]
    try:
        submit(**form.answers())
    except DomainError as exc:
        if exc.status_code != 400:
            raise
        form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        return render(request, "oversight/survey.html", {"grid": grid, "form": form}, status=400)
    return render(request, "oversight/survey.html", {"grid": grid, "thanks": True})


def survey_board(request: HttpRequest, code: str) -> HttpResponse:
    """The public survey of a grid, linked from its board's QR page (no log-in)."""
    try:
        grid = surveys.survey_grid(code)
        return _survey_page(
            request, grid, lambda **answers: surveys.submit_survey(grid=grid, **answers)
        )
    except DomainError as exc:
        return _public_error(request, exc)


def survey_case(request: HttpRequest, code: str) -> HttpResponse:
    """The same survey from a closed case's tracking page: one answer per case."""
    try:
        case = surveys.case_for_survey(code)
        if surveys.answered(case) and request.method != "POST":
            return render(request, "oversight/survey.html", {"grid": case.grid, "thanks": True})
        return _survey_page(
            request,
            case.grid,
            lambda **answers: surveys.submit_case_survey(tracking_code=code, **answers),
            case=case,
        )
    except DomainError as exc:
        return _public_error(request, exc)


@require_GET
@role_required(Role.OFFICE, Role.LEADER)
def survey_results(request: HttpRequest) -> HttpResponse:
    """群众评价 per grid and month: answers, 知晓率, mean rating and the seed-002 counts."""
    month = _month(request)
    rows, total = surveys.survey_summary(request.user, month)
    return render(
        request,
        "oversight/survey_results.html",
        {
            "month": month,
            "rows": rows,
            "total": total,
            "comments": surveys.recent_comments(request.user, month),
        },
    )


# -- coordination (条块融合 groups, joint actions, meetings, training, notices) ---------------------


def _grids(user: Any, *, parents_only: bool = False) -> Any:
    grids = Grid.objects.visible_to(user).filter(is_active=True)
    if parents_only:
        grids = grids.filter(children__isnull=False).distinct()
    return grids.order_by("path")


def _staff(user: Any) -> Any:
    return Staff.objects.visible_to(user).filter(is_active=True).order_by("name")


def _departments(user: Any) -> Any:
    return Department.objects.filter(is_active=True).order_by("code")


class ScopedForm(forms.Form):
    """Choices limited to what the user sees; `scoped` maps a field to its queryset builder."""

    scoped: dict[str, Any] = {}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for name, build in self.scoped.items():
            self.fields[name].queryset = build(user)  # type: ignore[attr-defined]


def _dt_widget() -> forms.DateTimeInput:
    return forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M")


def _date_widget() -> forms.DateInput:
    return forms.DateInput(attrs={"type": "date"})


class GroupForm(ScopedForm):
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100)
    grid = forms.ModelChoiceField(label=gettext_lazy("范围"), queryset=Grid.objects.none())
    supervised_objects = forms.CharField(label=gettext_lazy("监管对象"), widget=forms.Textarea)
    duties = forms.CharField(label=gettext_lazy("工作职责"), widget=forms.Textarea)
    patrol_content = forms.CharField(
        label=gettext_lazy("巡查内容"), widget=forms.Textarea, required=False
    )
    departments = forms.ModelMultipleChoiceField(
        label=gettext_lazy("成员部门"), queryset=Department.objects.none()
    )
    members = forms.ModelMultipleChoiceField(
        label=gettext_lazy("成员"), queryset=Staff.objects.none(), required=False
    )
    matter_classes = forms.ModelMultipleChoiceField(
        label=gettext_lazy("监管事项类别"),
        queryset=MatterClass.objects.none(),
        required=False,
        help_text=gettext_lazy(
            "成员可查看本工作组范围内这些类别的案件;不选则为成员部门主办或承办的案件。"
        ),
    )
    scoped = {
        "grid": lambda u: _grids(u, parents_only=True),
        "departments": _departments,
        "members": _staff,
        "matter_classes": lambda u: MatterClass.objects.order_by("order", "code"),
    }


class JointActionForm(ScopedForm):
    title = forms.CharField(label=gettext_lazy("名称"), max_length=120)
    grid = forms.ModelChoiceField(label=gettext_lazy("范围"), queryset=Grid.objects.none())
    reason = forms.CharField(label=gettext_lazy("申请事由"), widget=forms.Textarea)
    scoped = {"grid": _grids}


class JointActionStepForm(ScopedForm):
    note = forms.CharField(label=gettext_lazy("审批意见"), widget=forms.Textarea, required=False)
    planned_on = forms.DateField(
        label=gettext_lazy("执法日期"), required=False, widget=_date_widget()
    )
    place = forms.CharField(label=gettext_lazy("地点"), max_length=200, required=False)
    departments = forms.ModelMultipleChoiceField(
        label=gettext_lazy("参加部门"), queryset=Department.objects.none(), required=False
    )
    people = forms.ModelMultipleChoiceField(
        label=gettext_lazy("参加人员"), queryset=Staff.objects.none(), required=False
    )
    result = forms.CharField(label=gettext_lazy("执法结果"), widget=forms.Textarea, required=False)
    scoped = {"departments": _departments, "people": _staff}


class JointActionLinkForm(forms.Form):
    """Link a case or a hazard the user sees, by its number."""

    case_number = forms.CharField(label=gettext_lazy("案件编号"), max_length=32, required=False)
    hazard_number = forms.CharField(label=gettext_lazy("隐患编号"), max_length=32, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (
            not (data.get("case_number") or "").strip()
            and not (data.get("hazard_number") or "").strip()
        ):
            self.add_error("case_number", _("请填写案件编号或隐患编号"))
        return data


def _link_step(request: HttpRequest, action: Any) -> tuple[HttpResponse | None, forms.Form]:
    """POST verb=link (by number) or verb=unlink (a linked case or hazard by id)."""
    form = JointActionLinkForm(request.POST)
    user = request.user
    if request.POST.get("verb") == "unlink":
        case = hazard = None
        if request.POST.get("case"):
            case = get_object_or_404(action.cases.all(), pk=request.POST["case"])
        elif request.POST.get("hazard"):
            hazard = get_object_or_404(action.hazards.all(), pk=request.POST["hazard"])
        else:
            raise DomainError(_("请选择要取消关联的案件或隐患"), field="case")
        coordination_services.unlink_from_joint_action(
            action=action,
            by=user,  # type: ignore[arg-type]
            case=case,
            hazard=hazard,
        )
        return redirect("oversight:joint_action", pk=action.pk), form
    if form.is_valid():
        data = form.cleaned_data
        try:
            cases = (
                [coordination_services.case_by_number(user, data["case_number"])]
                if data["case_number"].strip()
                else []
            )
            hazards = (
                [coordination_services.hazard_by_number(user, data["hazard_number"])]
                if data["hazard_number"].strip()
                else []
            )
            coordination_services.link_to_joint_action(
                action=action,
                by=user,  # type: ignore[arg-type]
                cases=cases,
                hazards=hazards,
            )
        except DomainError as exc:
            if exc.status_code != 400:
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            return redirect("oversight:joint_action", pk=action.pk), form
    return None, form


# The fields each state's verbs take: a decision takes a note, the plan its date, place,
# departments and people, the completion its result.
STEP_FIELDS: dict[str, tuple[str, ...]] = {
    JointActionState.REQUESTED: ("note",),
    JointActionState.APPROVED: ("planned_on", "place", "departments", "people"),
    JointActionState.PLANNED: ("result",),
}
DECISION_ROWS = 3


class MeetingForm(ScopedForm):
    kind = forms.ChoiceField(label=gettext_lazy("类型"), choices=MeetingKind.choices)
    grid = forms.ModelChoiceField(label=gettext_lazy("范围"), queryset=Grid.objects.none())
    held_at = forms.DateTimeField(label=gettext_lazy("时间"), widget=_dt_widget())
    agenda = forms.CharField(label=gettext_lazy("议题"), widget=forms.Textarea)
    minutes = forms.CharField(label=gettext_lazy("纪要"), widget=forms.Textarea, required=False)
    attendees = forms.ModelMultipleChoiceField(
        label=gettext_lazy("参会人员"), queryset=Staff.objects.none(), required=False
    )
    scoped = {"grid": _grids, "attendees": _staff}

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, user=user, **kwargs)
        for n in range(1, DECISION_ROWS + 1):
            self.fields[f"decision_{n}"] = forms.CharField(
                label=_("议定事项 %(n)d") % {"n": n}, required=False, max_length=500
            )
            self.fields[f"deadline_{n}"] = forms.DateField(
                label=_("完成时限 %(n)d") % {"n": n}, required=False, widget=_date_widget()
            )
            self.fields[f"department_{n}"] = forms.ModelChoiceField(
                label=_("责任部门 %(n)d") % {"n": n},
                queryset=_departments(user),
                required=False,
            )
            self.fields[f"as_case_{n}"] = forms.BooleanField(
                label=_("立案办理 %(n)d") % {"n": n},
                required=False,
                help_text=_("勾选后该事项作为案件受理,按案件流程办理。"),
            )

    def decisions(self) -> list[dict[str, Any]]:
        data = self.cleaned_data
        return [
            {
                "text": data[f"decision_{n}"],
                "deadline": data.get(f"deadline_{n}"),
                "owner_department": data.get(f"department_{n}"),
                "as_case": bool(data.get(f"as_case_{n}")),
            }
            for n in range(1, DECISION_ROWS + 1)
            if (data.get(f"decision_{n}") or "").strip()
        ]


class TrainingForm(ScopedForm):
    topic = forms.CharField(label=gettext_lazy("主题"), max_length=120)
    grid = forms.ModelChoiceField(label=gettext_lazy("组织范围"), queryset=Grid.objects.none())
    held_on = forms.DateField(label=gettext_lazy("日期"), widget=_date_widget())
    hours = forms.DecimalField(
        label=gettext_lazy("学时"), max_digits=5, decimal_places=1, min_value=Decimal("0.5")
    )
    attendees = forms.ModelMultipleChoiceField(
        label=gettext_lazy("参训人员"), queryset=Staff.objects.none()
    )
    scoped = {"grid": _grids, "attendees": _staff}


class NoticeForm(ScopedForm):
    title = forms.CharField(label=gettext_lazy("标题"), max_length=120)
    body = forms.CharField(label=gettext_lazy("正文"), widget=forms.Textarea)
    grid = forms.ModelChoiceField(label=gettext_lazy("范围"), queryset=Grid.objects.none())
    scoped = {"grid": _grids}


def _form_page(
    request: HttpRequest, form: forms.Form, title: str, submit: Any, *, back: str
) -> HttpResponse:
    """Render a form; on a valid POST run `submit(cleaned_data)`, which returns the URL to go to;
    a DomainError lands on its field."""
    if request.method == "POST" and form.is_valid():
        try:
            return redirect(submit(form.cleaned_data))
        except DomainError as exc:
            if exc.status_code != 400:
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "oversight/form_page.html",
        {"form": form, "title": title, "back": back},
        status=status,
    )


@require_GET
@role_required(*READERS)
def coordination(request: HttpRequest) -> HttpResponse:
    """The coordination hub: groups, joint actions, meetings, training and notices in scope."""
    user = request.user
    actions = coordination_services.joint_actions_visible_to(user).select_related("grid")[:50]
    return render(
        request,
        "oversight/coordination.html",
        {
            "groups": coordination_services.groups_visible_to(user)
            .select_related("grid")
            .prefetch_related("departments", "members", "matter_classes"),
            "actions": actions,
            "meetings": coordination_services.meetings_visible_to(user)
            .select_related("grid")
            .prefetch_related("decisions__owner_department")[:30],
            "trainings": coordination_services.trainings_visible_to(user)
            .select_related("grid")
            .prefetch_related("attendees")[:30],
            "notices": coordination_services.notices_visible_to(user).select_related("grid")[:30],
            "unread": set(
                NoticeReceipt.objects.filter(
                    user_id=user.pk or 0, read_at__isnull=True
                ).values_list("notice_id", flat=True)
            ),
            "may_coordinate": scope_of(user).has_role(Role.OFFICE),
        },
    )


@role_required(Role.OFFICE)
def group_new(request: HttpRequest) -> HttpResponse:
    form = GroupForm(request.POST or None, user=request.user)

    def submit(data: dict[str, Any]) -> str:
        group = coordination_services.create_group(by=request.user, **data)  # type: ignore[arg-type]
        return reverse("oversight:group", args=[group.pk])

    return _form_page(request, form, _("新建条块融合工作组"), submit, back="oversight:coordination")


@require_GET
@role_required(*READERS)
def group_page(request: HttpRequest, pk: int) -> HttpResponse:
    group = get_object_or_404(
        coordination_services.groups_visible_to(request.user).select_related("grid"), pk=pk
    )
    cases = (
        coordination_services.group_cases(group)
        .filter(pk__in=Case.objects.visible_to(request.user).values("pk"))
        .select_related("item", "grid")
        .order_by("-created_at")[:50]
    )
    return render(request, "oversight/group.html", {"group": group, "cases": cases})


@role_required(Role.OFFICE)
def joint_action_new(request: HttpRequest) -> HttpResponse:
    form = JointActionForm(request.POST or None, user=request.user)

    def submit(data: dict[str, Any]) -> str:
        action = coordination_services.request_joint_action(by=request.user, **data)  # type: ignore[arg-type]
        return reverse("oversight:joint_action", args=[action.pk])

    return _form_page(request, form, _("申请联合执法"), submit, back="oversight:coordination")


@role_required(*READERS)
def joint_action_page(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(
        coordination_services.joint_actions_visible_to(request.user).select_related(
            "grid__region", "requested_by", "decided_by"
        ),
        pk=pk,
    )
    may_link = action.state in coordination_services.LINKABLE_STATES and request.user.has_perm(
        "oversight.run_joint_action", action
    )
    verb = request.POST.get("verb", "")
    link_form: forms.Form = JointActionLinkForm()
    if request.method == "POST" and verb in ("link", "unlink"):
        if not may_link:
            raise PermissionDenied
        done, link_form = _link_step(request, action)
        if done is not None:
            return done
    form = JointActionStepForm(
        request.POST if verb not in ("link", "unlink") else None, user=request.user
    )
    for name in set(form.fields) - set(STEP_FIELDS.get(action.state, ())):
        del form.fields[name]
    if request.method == "POST" and verb not in ("link", "unlink"):
        if verb not in joint_action_actions(action, request.user):
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                coordination_services.act_on_joint_action(
                    action=action,
                    verb=verb,
                    by=request.user,  # type: ignore[arg-type]
                    note=data.get("note", ""),
                    planned_on=data.get("planned_on"),
                    place=data.get("place", ""),
                    departments=list(data.get("departments", [])),
                    people=list(data.get("people", [])),
                    result=data.get("result", ""),
                )
            except DomainError as exc:
                if exc.status_code != 400:
                    raise
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return redirect("oversight:joint_action", pk=action.pk)
    verbs = [
        (name, JOINT_ACTION_VERBS[name].label)
        for name in joint_action_actions(action, request.user)
    ]
    return render(
        request,
        "oversight/joint_action.html",
        {
            "action": action,
            "verbs": verbs,
            "form": form,
            "link_form": link_form,
            "may_link": may_link,
            "cases": action.cases.select_related("item", "grid").order_by("pk"),
            "hazards": action.hazards.select_related("grid").order_by("pk"),
        },
        status=400 if request.method == "POST" else 200,
    )


@role_required(Role.OFFICE)
def meeting_new(request: HttpRequest) -> HttpResponse:
    form = MeetingForm(request.POST or None, user=request.user)

    def submit(data: dict[str, Any]) -> str:
        meeting = coordination_services.record_meeting(
            kind=data["kind"],
            grid=data["grid"],
            held_at=data["held_at"],
            agenda=data["agenda"],
            minutes=data["minutes"],
            attendees=list(data["attendees"]),
            decisions=form.decisions(),
            by=request.user,  # type: ignore[arg-type]
        )
        return reverse("oversight:meeting", args=[meeting.pk])

    return _form_page(request, form, _("登记会议"), submit, back="oversight:coordination")


class DecisionDoneForm(forms.Form):
    decision = forms.IntegerField(widget=forms.HiddenInput)
    note = forms.CharField(label=gettext_lazy("完成情况"), widget=forms.Textarea, max_length=2000)


@role_required(*READERS)
def meeting_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A meeting's minutes and decisions with their state (the case's, done, overdue, open);
    the owner of an open task marks it done with a note."""
    meeting = get_object_or_404(
        coordination_services.meetings_visible_to(request.user).select_related(
            "grid", "recorded_by"
        ),
        pk=pk,
    )
    decisions = list(coordination_services.decisions_of(meeting))
    form = DecisionDoneForm(request.POST or None)
    failed: int | None = None
    if request.method == "POST":
        chosen = next((d for d in decisions if str(d.pk) == request.POST.get("decision")), None)
        if chosen is None:
            raise Http404
        failed = chosen.pk
        if form.is_valid():
            try:
                coordination_services.complete_decision(
                    decision=chosen,
                    by=request.user,  # type: ignore[arg-type]
                    note=form.cleaned_data["note"],
                )
            except DomainError as exc:
                if exc.status_code != 400:
                    raise
                form.add_error("note", exc.message)
            else:
                return redirect("oversight:meeting", pk=meeting.pk)
    today = timezone.localdate()
    rows = [
        {
            "decision": d,
            "overdue": d.case_id is None and d.done_at is None and d.deadline < today,
            "may_complete": coordination_services.may_complete_decision(request.user, d),
        }
        for d in decisions
    ]
    return render(
        request,
        "oversight/meeting.html",
        {"meeting": meeting, "rows": rows, "form": form, "failed": failed},
        status=400 if request.method == "POST" else 200,
    )


@role_required(Role.OFFICE)
def training_new(request: HttpRequest) -> HttpResponse:
    form = TrainingForm(request.POST or None, user=request.user)

    def submit(data: dict[str, Any]) -> str:
        coordination_services.record_training(
            by=request.user,  # type: ignore[arg-type]
            topic=data["topic"],
            grid=data["grid"],
            held_on=data["held_on"],
            hours=data["hours"],
            attendees=list(data["attendees"]),
        )
        return reverse("oversight:coordination") + "#trainings"

    return _form_page(request, form, _("登记培训"), submit, back="oversight:coordination")


@role_required(Role.OFFICE)
def notice_new(request: HttpRequest) -> HttpResponse:
    form = NoticeForm(request.POST or None, user=request.user)

    def submit(data: dict[str, Any]) -> str:
        notice = coordination_services.issue_notice(by=request.user, **data)  # type: ignore[arg-type]
        return reverse("oversight:notice", args=[notice.pk])

    return _form_page(request, form, _("发布通知公告"), submit, back="oversight:coordination")


@role_required(*READERS)
def notice_page(request: HttpRequest, pk: int) -> HttpResponse:
    """A notice: opening it marks the reader's receipt; its issuer sees who has read it and
    reminds the unread."""
    notice = get_object_or_404(
        coordination_services.notices_visible_to(request.user).select_related("grid", "issued_by"),
        pk=pk,
    )
    if request.method == "POST":
        if request.POST.get("verb") != "remind":
            raise DomainError(_("未知操作"), field="verb")
        coordination_services.remind_unread(notice=notice, by=request.user)  # type: ignore[arg-type]
        return redirect("oversight:notice", pk=notice.pk)
    coordination_services.read_notice(notice=notice, by=request.user)  # type: ignore[arg-type]
    may_remind = request.user.has_perm("oversight.coordinate", notice.grid)
    receipts = (
        notice.receipts.select_related("user").order_by("read_at", "user__username")
        if may_remind
        else []
    )
    return render(
        request,
        "oversight/notice.html",
        {"notice": notice, "receipts": receipts, "may_remind": may_remind},
    )


# -- manual scores by a named assessor -----------------------------------------------------------


class ManualScoreForm(forms.Form):
    item = forms.ChoiceField(label=gettext_lazy("考核项目"))
    month = forms.CharField(
        label=gettext_lazy("月份"), widget=forms.TextInput(attrs={"type": "month"})
    )
    unit_kind = forms.ChoiceField(label=gettext_lazy("考核对象"), choices=UNIT_CHOICES)
    unit_code = forms.CharField(
        label=gettext_lazy("对象编码"),
        max_length=64,
        help_text=gettext_lazy("网格编码、部门编号或网格员用户名"),
    )
    points = forms.DecimalField(label=gettext_lazy("得分"), max_digits=7, decimal_places=2)
    note = forms.CharField(label=gettext_lazy("评分依据"), widget=forms.Textarea)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [  # type: ignore[attr-defined]
            (f"{i.scheme.code}:{i.code}", f"{i.scheme.name} · {i.name}({i.weight})")
            for i in SchemeItem.objects.filter(scheme__is_current=True, kind=ItemKind.MANUAL)
            .select_related("scheme")
            .order_by("scheme__code", "order")
        ]


@role_required(Role.OFFICE)
def manual_scores(request: HttpRequest) -> HttpResponse:
    """人工评分: a named assessor (the user) scores a unit on a manual item for a month, with the
    grounds; the month's scores are listed below with their assessor."""
    month = _month(request)
    form = ManualScoreForm(request.POST or None, initial={"month": month})

    def submit(data: dict[str, Any]) -> str:
        scheme_code, item_code = data["item"].split(":", 1)
        enter_manual_score(
            scheme_code=scheme_code,
            item_code=item_code,
            month=data["month"],
            unit_kind=data["unit_kind"],
            unit_code=data["unit_code"].strip(),
            points=data["points"],
            note=data["note"],
            by=request.user,  # type: ignore[arg-type]
        )
        return reverse("oversight:manual_scores") + f"?month={data['month']}"

    if request.method == "POST" and form.is_valid():
        try:
            return redirect(submit(form.cleaned_data))
        except DomainError as exc:
            if exc.status_code != 400:
                raise
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
    scores = (
        ManualScore.objects.filter(month=month)
        .select_related("assessor")
        .order_by("scheme_code", "item_code", "unit_kind", "unit_code")
    )
    return render(
        request,
        "oversight/manual_scores.html",
        {"form": form, "month": month, "scores": scores},
        status=400 if request.method == "POST" else 200,
    )


# -- two-way assessment (双向考核) -----------------------------------------------------------------


class TwoWayForm(forms.Form):
    direction = forms.ChoiceField(label=gettext_lazy("方向"), choices=RatingDirection.choices)
    month = forms.CharField(
        label=gettext_lazy("月份"), widget=forms.TextInput(attrs={"type": "month"})
    )
    department = forms.ModelChoiceField(
        label=gettext_lazy("部门"), queryset=Department.objects.none()
    )
    platform = forms.ModelChoiceField(label=gettext_lazy("平台"), queryset=Grid.objects.none())
    score = forms.DecimalField(label=gettext_lazy("评分(0–100)"), max_digits=5, decimal_places=2)
    note = forms.CharField(label=gettext_lazy("评价意见"), widget=forms.Textarea)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        scope = scope_of(user)
        directions = []
        if scope.is_admin or scope.has_role(Role.HANDLER):
            directions.append(RatingDirection.DEPARTMENT_RATES_PLATFORM)
        if scope.is_admin or scope.has_role(Role.OFFICE):
            directions.append(RatingDirection.PLATFORM_RATES_DEPARTMENT)
        self.fields["direction"].choices = [  # type: ignore[attr-defined]
            (d.value, d.label) for d in directions
        ]
        self.fields["department"].queryset = (  # type: ignore[attr-defined]
            _departments(user)
            if scope.has_role(Role.OFFICE) or scope.is_admin
            else twoway.rater_departments(user)
        )
        self.fields["platform"].queryset = twoway.platforms()  # type: ignore[attr-defined]


@role_required(Role.OFFICE, Role.HANDLER, Role.LEADER)
def two_way(request: HttpRequest) -> HttpResponse:
    """双向考核: the month's ratings in scope, and the form for the user's own direction."""
    month = _month(request)
    may_rate = scope_of(request.user).has_role(Role.OFFICE, Role.HANDLER)
    form = TwoWayForm(request.POST or None, user=request.user, initial={"month": month})
    if request.method == "POST":
        if not may_rate:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            try:
                twoway.rate(by=request.user, **data)  # type: ignore[arg-type]
            except DomainError as exc:
                if exc.status_code != 400:
                    raise
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                return redirect(reverse("oversight:two_way") + f"?month={data['month']}")
    ratings = twoway.ratings_visible_to(request.user).filter(month=month)
    return render(
        request,
        "oversight/two_way.html",
        {
            "month": month,
            "form": form if may_rate else None,
            "up": [r for r in ratings if r.direction == RatingDirection.DEPARTMENT_RATES_PLATFORM],
            "down": [
                r for r in ratings if r.direction == RatingDirection.PLATFORM_RATES_DEPARTMENT
            ],
        },
        status=400 if request.method == "POST" else 200,
    )
