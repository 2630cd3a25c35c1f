"""Forms of the case pages: one per verb (`ACTION_FORMS`), the worker's and the resident's
report forms, tracking and callback, and the case filter of the command centre (the shell's
page, over cases.filters). They parse and check input; the services decide whether an action is
allowed and raise DomainError for rules, which views show next to the field they name."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import Any, ClassVar, cast

from django import forms
from django.db.models import QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.cases.attachments import check_photos
from gridgov.cases.filters import STATE_GROUPS, CaseFilters
from gridgov.cases.models import LIVE_TASK_STATES, Channel, MatterClass, Satisfaction, TaskState
from gridgov.cases.services import closing, control, flow
from gridgov.core.errors import DomainError
from gridgov.people.services import normalise_phone


def choice_field(form: forms.BaseForm, name: str) -> forms.ChoiceField:
    return cast(forms.ChoiceField, form.fields[name])


def model_field(form: forms.BaseForm, name: str) -> forms.ModelChoiceField:  # type: ignore[type-arg]
    return cast(forms.ModelChoiceField, form.fields[name])  # type: ignore[type-arg]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class NamedChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class CommandFilterForm(forms.Form):
    """Filters of the command centre (web) over the cases: category, status, channel, reporting
    period, turned into one `cases.filters.CaseFilters`."""

    matter_class = NamedChoiceField(
        label=_("事项大类"),
        queryset=MatterClass.objects.filter(is_active=True),
        required=False,
        empty_label=_("全部"),
    )
    state = forms.ChoiceField(label=_("状态"), required=False)
    channel = forms.ChoiceField(label=_("来源"), required=False)
    date_from = forms.DateField(label=_("上报日期自"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("至"), required=False, widget=DateInput())

    MAX_DAYS = 366

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choice_field(self, "state").choices = [("", _("全部"))] + [
            (key, label) for key, (label, _states) in STATE_GROUPS.items()
        ]
        choice_field(self, "channel").choices = [("", _("全部")), *Channel.choices]

    @classmethod
    def default_period(cls) -> dict[str, dt.date]:
        today = timezone.localdate()
        return {"date_from": today - dt.timedelta(days=29), "date_to": today}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end:
            if start > end:
                self.add_error("date_to", _("结束日期不能早于开始日期"))
            elif (end - start).days > self.MAX_DAYS:
                self.add_error("date_to", _("统计区间不能超过一年"))
        return data

    def filters(self) -> CaseFilters:
        """The filters of a valid form (call is_valid first); invalid values count as empty."""
        data = self.cleaned_data if self.is_valid() else {}
        matter_class = data.get("matter_class")
        return CaseFilters(
            matter_class=matter_class.pk if matter_class else None,
            status=data.get("state") or "",
            channel=data.get("channel") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
        )


# ---------------------------------------------------------------------------------------------
# Case actions: one small form per service; the case page shows only the ones allowed now.


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos at once; the cases app checks type and size (attachments.check_photos)."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        if isinstance(data, list | tuple):
            return [super(PhotosField, self).clean(d, initial) for d in data if d]
        return [data] if data else []


class ActionForm(forms.Form):
    """The page form of one verb (cases.workflow.VERBS): it parses the input and turns it into
    the keyword arguments of the verb's service itself, so the view calls `submit()` with no
    per-verb branch. Every form carries the case version the user saw (stale page → 409)."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args: Any, case: Any = None, user: Any = None, **kwargs: Any) -> None:
        self.case = case
        self.user = user
        super().__init__(*args, **kwargs)
        if case is not None and not self.is_bound:
            self.fields["version"].initial = case.version

    # The verb's service, called with `service_kwargs()`.
    service: ClassVar[Callable[..., Any]]

    def service_kwargs(self) -> dict[str, Any]:
        """The service's keyword arguments from the cleaned data (each verb's form adds its own)."""
        return {"case": self.case, "by": self.user, "version": self.cleaned_data.get("version")}

    def _note_text(self) -> str:
        return (self.cleaned_data.get("note") or "").strip()

    def submit(self) -> Any:
        """Run the verb's service; its DomainError is for the view to show beside the field."""
        return type(self).service(**self.service_kwargs())


def _note(label: Any = None, *, required: bool = False, help_text: Any = "") -> forms.CharField:
    return forms.CharField(
        label=label or _("说明"),
        required=required,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=help_text,
    )


def _items_queryset() -> Any:
    from gridgov.cases.models import MatterItem

    return MatterItem.objects.active().select_related("matter_class")


class MatterItemField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.matter_class.name} · {obj.name}"


class AcceptForm(ActionForm):
    service = staticmethod(flow.accept_case)
    item = MatterItemField(
        label=_("事项分类"), queryset=_items_queryset(), required=False, empty_label=_("(保持不变)")
    )
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_field(self, "item").queryset = _items_queryset()
        if self.case is not None and self.case.item_id and not self.is_bound:
            self.fields["item"].initial = self.case.item_id

    def service_kwargs(self) -> dict[str, Any]:
        return {
            **super().service_kwargs(),
            "item": self.cleaned_data.get("item"),
            "note": self._note_text(),
        }


class NoteRequiredForm(ActionForm):
    """The verbs whose service takes a required note only."""

    note = _note(required=True)

    def service_kwargs(self) -> dict[str, Any]:
        return {**super().service_kwargs(), "note": self._note_text()}


class RegisterForm(ActionForm):
    service = staticmethod(flow.register_case)
    note = _note()

    def service_kwargs(self) -> dict[str, Any]:
        return {**super().service_kwargs(), "note": self._note_text()}


class EscalateForm(NoteRequiredForm):
    service = staticmethod(control.escalate_case)


class TransferForm(NoteRequiredForm):
    service = staticmethod(closing.transfer_case)


class RejectForm(NoteRequiredForm):
    service = staticmethod(flow.reject_case)


class ReopenForm(NoteRequiredForm):
    service = staticmethod(closing.reopen_case)


class UrgeForm(NoteRequiredForm):
    service = staticmethod(control.urge_case)


class SuperviseForm(NoteRequiredForm):
    service = staticmethod(control.supervise_case)


class MergeForm(ActionForm):
    service = staticmethod(flow.merge_case)
    into = forms.CharField(
        label=_("并入案件"),
        max_length=20,
        help_text=_("填写要并入的案件编号(如 2026093000000123)或案件 ID"),
    )
    note = _note(_("合并理由"), required=True)

    def clean_into(self) -> Any:
        from gridgov.cases.models import Case

        raw = self.cleaned_data["into"].strip()
        if not raw.isdigit():
            raise forms.ValidationError(_("案件编号只能是数字"))
        pk = int(raw[8:]) if len(raw) == 16 else int(raw)
        target = Case.objects.visible_to(self.user).filter(pk=pk).first()
        if target is None:
            raise forms.ValidationError(_("找不到该案件,或不在您的管辖范围内"))
        return target

    def service_kwargs(self) -> dict[str, Any]:
        return {
            **super().service_kwargs(),
            "into": self.cleaned_data["into"],
            "note": self._note_text(),
        }


class ClassifyForm(ActionForm):
    service = staticmethod(flow.classify_case)
    item = MatterItemField(label=_("事项分类"), queryset=_items_queryset())
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        model_field(self, "item").queryset = _items_queryset()

    def service_kwargs(self) -> dict[str, Any]:
        return {
            **super().service_kwargs(),
            "item": self.cleaned_data["item"],
            "note": self._note_text(),
        }


class CoHandlerWidget(forms.CheckboxSelectMultiple):
    """A checkbox per co-handling department with a date beside it: that department's own
    deadline (issue 3: each co-handler with its own sub-task and deadline); left empty, the
    lead's deadline applies."""

    option_template_name = "cases/includes/co_handler_option.html"

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.due_values: dict[str, str] = {}

    def create_option(self, name: str, value: Any, *args: Any, **kwargs: Any) -> dict[str, Any]:
        option = super().create_option(name, value, *args, **kwargs)
        option["due_name"] = f"{name}_due_{value}"
        option["due"] = self.due_values.get(str(value), "")
        return option


class DispatchForm(ActionForm):
    """Dispatch to a lead department and co-handlers. The rules (a date not in the past, a
    co-handler other than the lead, days or a date) are the service's: its DomainError lands
    on the field it names (the form's fields are named as the service names them)."""

    service = staticmethod(flow.dispatch_case)

    department: forms.ModelChoiceField = forms.ModelChoiceField(  # type: ignore[type-arg]
        label=_("主办部门"), queryset=None, required=False, empty_label=_("按事项清单默认部门")
    )  # type: ignore[arg-type]
    co: forms.ModelMultipleChoiceField = forms.ModelMultipleChoiceField(  # type: ignore[type-arg]
        label=_("协办部门(联合处置)"),
        queryset=None,  # type: ignore[arg-type]
        required=False,
        widget=CoHandlerWidget,
        help_text=_("可为协办部门填写各自的截止日期,留空则与主办期限相同"),
    )
    days = forms.IntegerField(
        label=_("办理时限(工作日)"),
        required=False,
        min_value=1,
        max_value=365,
        help_text=_("留空按事项时限"),
    )
    due_on = forms.DateField(label=_("或截止日期"), required=False, widget=DateInput())
    instructions = _note(_("交办要求"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        from gridgov.people.models import Department

        qs = (
            dispatchable_departments(self.user, self.case)
            if self.case
            else Department.objects.none()
        )
        departments = list(qs)
        model_field(self, "department").queryset = qs
        model_field(self, "co").queryset = qs
        widget = cast(CoHandlerWidget, self.fields["co"].widget)
        widget.due_values = {
            str(d.pk): str(self.data.get(self._due_name(d.pk)) or "") for d in departments
        }
        if self.case is not None and not self.is_bound:
            from gridgov.cases.catalogue import default_department

            default = default_department(self.case)
            if default is not None and default.pk in {d.pk for d in departments}:
                self.fields["department"].initial = default.pk

    def _due_name(self, pk: int) -> str:
        return f"{self.add_prefix('co')}_due_{pk}"

    def clean(self) -> dict[str, Any]:
        """Pair each chosen co-handler with the date typed beside it (parsed here; whether the
        date is allowed is for the service to say)."""
        from gridgov.cases.services import CoHandler

        data = super().clean() or {}
        handlers = []
        parse = forms.DateField(required=False, widget=DateInput())
        for dept in data.get("co") or []:
            raw = self.data.get(self._due_name(dept.pk)) or ""
            try:
                due_on = parse.clean(raw)
            except forms.ValidationError:
                self.add_error("co", _("%(dept)s 的截止日期格式不正确") % {"dept": dept.name})
                continue
            handlers.append(CoHandler(department=dept, due_on=due_on))
        data["co"] = handlers
        return data

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            **super().service_kwargs(),
            "to": data.get("department"),
            "co": list(data.get("co") or []),
            "days": data.get("days"),
            "due_on": data.get("due_on"),
            "instructions": (data.get("instructions") or "").strip(),
        }


def dispatchable_departments(user: Any, case: Any) -> QuerySet[Any]:
    """The departments the case's level may dispatch to that this user may see."""
    from gridgov.cases.services import dispatch_targets
    from gridgov.people.models import Department

    visible = Department.objects.visible_to(user).values("pk")
    return dispatch_targets(case).filter(pk__in=visible).order_by("level", "code")


class TaskChoiceMixin(forms.Form):
    """When a handler's departments hold several assignments on one case, pick which."""

    def _add_task_field(self, states: Iterable[str]) -> None:
        from gridgov.core.jurisdiction import Role, scope_of

        case, user = getattr(self, "case", None), getattr(self, "user", None)
        if case is None:
            return
        departments = scope_of(user).all_department_ids(Role.HANDLER)
        wanted = set(states)
        tasks = [
            t for t in case.tasks.all() if t.department_id in departments and t.state in wanted
        ]
        if len(tasks) > 1:
            self.fields["task"] = forms.TypedChoiceField(
                label=_("交办单"),
                coerce=int,
                choices=[(t.pk, f"{t.department.name} · {t.get_role_display()}") for t in tasks],
            )

    def task(self) -> int | None:
        task: int | None = self.cleaned_data.get("task")
        return task


class HandleForm(ActionForm, TaskChoiceMixin):
    service = staticmethod(flow.handle_case)
    note = _note()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._add_task_field({TaskState.PENDING})

    def service_kwargs(self) -> dict[str, Any]:
        return {**super().service_kwargs(), "task": self.task(), "note": self._note_text()}


class ReturnForm(ActionForm, TaskChoiceMixin):
    service = staticmethod(flow.return_case)
    reason = forms.ChoiceField(label=_("退回原因"))
    note = _note(_("退回理由"), required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from gridgov.cases.models import ReturnReason

        super().__init__(*args, **kwargs)
        choice_field(self, "reason").choices = ReturnReason.choices
        self._add_task_field(LIVE_TASK_STATES)

    def service_kwargs(self) -> dict[str, Any]:
        return {
            **super().service_kwargs(),
            "reason": self.cleaned_data["reason"],
            "note": self._note_text(),
            "task": self.task(),
        }


class FeedbackForm(ActionForm, TaskChoiceMixin):
    service = staticmethod(flow.feedback_case)
    result = _note(_("处置结果"), required=True)
    photos = PhotosField(
        label=_("处置照片"), required=False, help_text=_("可选,最多 9 张 JPEG/PNG/WebP")
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._add_task_field({TaskState.ACCEPTED})

    def service_kwargs(self) -> dict[str, Any]:
        return {
            **super().service_kwargs(),
            "result": self.cleaned_data["result"],
            "photos": check_photos(self.cleaned_data.get("photos")),
            "task": self.task(),
        }


class VerifyForm(ActionForm):
    service = staticmethod(closing.verify_case)

    passed = forms.TypedChoiceField(
        label=_("核查结果"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("通过")), ("no", _("不通过,返工"))],
        widget=forms.RadioSelect,
    )
    note = _note(_("核查意见"), help_text=_("不通过时必须填写返工原因"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("passed") is False and not (data.get("note") or "").strip():
            self.add_error("note", _("请填写返工原因"))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        return {
            **super().service_kwargs(),
            "passed": self.cleaned_data["passed"],
            "note": self._note_text(),
        }


class CloseForm(ActionForm):
    service = staticmethod(closing.close_case)
    closure_type = forms.ChoiceField(label=_("结案方式"), required=False)
    note = _note(_("结案说明"), help_text=_("差错结案、特殊结案须填写理由"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from gridgov.cases.models import CaseState, ClosureType

        super().__init__(*args, **kwargs)
        choices = [("", _("按期限自动判定(正常/超时结案)"))]
        if self.case is not None and self.case.state != CaseState.VERIFIED:
            choices = []
        choices += [
            (ClosureType.SPECIAL, ClosureType.SPECIAL.label),
            (ClosureType.ERRONEOUS, ClosureType.ERRONEOUS.label),
        ]
        choice_field(self, "closure_type").choices = choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("closure_type") and not (data.get("note") or "").strip():
            self.add_error("note", _("请填写结案理由"))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        return {
            **super().service_kwargs(),
            "closure_type": self.cleaned_data.get("closure_type") or None,
            "note": self._note_text(),
        }


class CallbackForm(ActionForm):
    service = staticmethod(closing.callback_case)
    satisfaction = forms.TypedChoiceField(
        label=_("回访满意度"), coerce=int, widget=forms.RadioSelect
    )
    note = _note(_("回访记录"))
    reopen = forms.BooleanField(label=_("不满意,重新办理"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from gridgov.cases.models import Satisfaction

        super().__init__(*args, **kwargs)
        choice_field(self, "satisfaction").choices = Satisfaction.choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("reopen") and data.get("satisfaction") != Satisfaction.DISSATISFIED:
            self.add_error("reopen", _("只有不满意的回访可以重新办理"))
        return data

    def service_kwargs(self) -> dict[str, Any]:
        return {
            **super().service_kwargs(),
            "satisfaction": self.cleaned_data["satisfaction"],
            "note": self._note_text(),
            "reopen": self.cleaned_data.get("reopen", False),
        }


class ExtendForm(ActionForm, TaskChoiceMixin):
    service = staticmethod(control.request_extension)
    days = forms.IntegerField(label=_("延期工作日"), min_value=1, max_value=60)
    reason = _note(_("延期理由"), required=True)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._add_task_field(LIVE_TASK_STATES)

    def service_kwargs(self) -> dict[str, Any]:
        return {
            **super().service_kwargs(),
            "days": self.cleaned_data["days"],
            "reason": self.cleaned_data["reason"],
            "task": self.task(),
        }


class DecideExtensionForm(ActionForm):
    service = staticmethod(control.decide_extension)
    extension = forms.TypedChoiceField(label=_("延期申请"), coerce=int)
    approve = forms.TypedChoiceField(
        label=_("审批结果"),
        coerce=lambda v: v == "yes",
        choices=[("yes", _("批准")), ("no", _("驳回"))],
        widget=forms.RadioSelect,
    )
    note = _note(_("审批意见"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from gridgov.cases.models import ExtensionState

        super().__init__(*args, **kwargs)
        pending = (
            [e for e in self.case.extensions.all() if e.state == ExtensionState.PENDING]
            if self.case
            else []
        )
        choice_field(self, "extension").choices = [
            (
                e.pk,
                _("%(dept)s 申请延期 %(days)s 个工作日:%(reason)s")
                % {"dept": e.task.department.name, "days": e.days, "reason": e.reason},
            )
            for e in pending
        ]
        if len(pending) == 1 and not self.is_bound:
            self.fields["extension"].initial = pending[0].pk

    def service_kwargs(self) -> dict[str, Any]:
        extension = get_object_or_404(self.case.extensions.all(), pk=self.cleaned_data["extension"])
        return {
            "extension": extension,
            "by": self.user,
            "approve": self.cleaned_data["approve"],
            "note": self._note_text(),
            "version": self.cleaned_data.get("version"),
        }


class CommentForm(ActionForm):
    service = staticmethod(control.comment_case)
    note = _note(_("跟进内容"), required=True)
    photos = PhotosField(label=_("照片"), required=False)

    def service_kwargs(self) -> dict[str, Any]:
        return {
            **super().service_kwargs(),
            "note": self._note_text(),
            "photos": check_photos(self.cleaned_data.get("photos")),
        }


# The page form of each verb of cases.workflow.VERBS, in the order the case page shows them
# (the agreement test checks that the two name the same verbs).
ACTION_FORMS: dict[str, type[ActionForm]] = {
    "accept": AcceptForm,
    "dispatch": DispatchForm,
    "handle": HandleForm,
    "feedback": FeedbackForm,
    "verify": VerifyForm,
    "close": CloseForm,
    "callback": CallbackForm,
    "decide_extension": DecideExtensionForm,
    "return": ReturnForm,
    "extend": ExtendForm,
    "register": RegisterForm,
    "classify": ClassifyForm,
    "escalate": EscalateForm,
    "transfer": TransferForm,
    "reject": RejectForm,
    "merge": MergeForm,
    "reopen": ReopenForm,
    "urge": UrgeForm,
    "supervise": SuperviseForm,
    "comment": CommentForm,
}


# ---------------------------------------------------------------------------------------------
# Reporting: the grid worker's phone form and the resident's form


class CategoryField(forms.ChoiceField):
    """A matter of the catalogue by code, shown as a searchable list of radio buttons."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(widget=forms.RadioSelect, **kwargs)

    def load(self) -> list[Any]:
        items = list(_items_queryset().prefetch_related("attributes"))
        self.choices = [("", _("不确定,由平台分类"))] + [(i.code, i.name) for i in items]
        return items


class ReportForm(forms.Form):
    """Fields shared by the worker's and the resident's report."""

    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=100)
    # A public facility picked on the map (registry code): the case goes to its owner first.
    facility = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)
    photos = PhotosField(label=_("现场照片"), required=False)
    lon = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=-180, max_value=180)
    lat = forms.FloatField(widget=forms.HiddenInput, required=False, min_value=-90, max_value=90)
    category = CategoryField(label=_("事项分类"), required=False)
    description = forms.CharField(
        label=_("问题描述"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请填写问题描述")},
    )
    address = forms.CharField(label=_("地址或位置说明"), required=False, max_length=200)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.items = self.fields["category"].load()  # type: ignore[attr-defined]
        self.fields["photos"].widget.attrs.update({"accept": "image/*", "capture": "environment"})
        if self.is_bound:
            self._keep_submitted_answers()
        else:
            import uuid

            self.fields["idempotency_key"].initial = uuid.uuid4().hex

    def _keep_submitted_answers(self) -> None:
        """A refused form shows the answers given to the chosen item's questions again (each
        question row of the prefetched items carries its own as `submitted`)."""
        from gridgov.cases.attributes import answers_in

        chosen = next((i for i in self.items if i.code == self.data.get("category")), None)
        answers = answers_in(self.data, chosen)
        for question in chosen.attributes.all() if chosen is not None else ():
            question.submitted = answers.get(question.code, [])

    def clean_photos(self) -> list[Any]:
        """The photos checked here (attachments.check_photos), not in the view after the form:
        a bad photo is then reported together with every other field's mistake."""
        try:
            return check_photos(self.cleaned_data.get("photos"))
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if (data.get("lon") is None) != (data.get("lat") is None):
            self.add_error("lon", _("位置不完整,请重新定位"))
        return data

    def item(self) -> Any:
        code = self.cleaned_data.get("category") or ""
        return next((i for i in self.items if i.code == code), None)

    def attribute_answers(self) -> dict[str, list[str]]:
        """Answers to the chosen item's extra questions (checked by the intake)."""
        from gridgov.cases.attributes import answers_in

        return answers_in(self.data, self.item())


class WorkerReportForm(ReportForm):
    urgency = forms.ChoiceField(label=_("紧急程度"), widget=forms.RadioSelect, initial="ordinary")
    mode = forms.ChoiceField(label=_("处理方式"), widget=forms.RadioSelect, initial="coordinate")
    result = forms.CharField(
        label=_("现场处理结果"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("选择“现场处理”时填写"),
    )

    field_order = ["photos", "category", "description", "urgency", "mode", "result", "address"]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from gridgov.cases.models import HandlingMode, Urgency

        super().__init__(*args, **kwargs)
        choice_field(self, "urgency").choices = Urgency.choices
        choice_field(self, "mode").choices = [
            (HandlingMode.COORDINATE, HandlingMode.COORDINATE.label),
            (HandlingMode.ON_SPOT, HandlingMode.ON_SPOT.label),
            (HandlingMode.APPROVAL, HandlingMode.APPROVAL.label),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("mode") == "on_spot" and not (data.get("result") or "").strip():
            self.add_error("result", _("现场处理须填写处理结果"))
        return data


class ResidentReportForm(ReportForm):
    grid = forms.CharField(widget=forms.HiddenInput, required=False, max_length=32)
    contact_name = forms.CharField(label=_("您的称呼"), required=False, max_length=50)
    contact_phone = forms.CharField(
        label=_("联系电话"),
        required=False,
        max_length=20,
        help_text=_("选填,仅用于回访,不会公开"),
        widget=forms.TextInput(attrs={"type": "tel", "autocomplete": "tel"}),
    )
    # A field people cannot see: automated form fillers complete it and are turned away.
    website = forms.CharField(required=False, widget=forms.HiddenInput)

    field_order = ["photos", "category", "description", "address", "contact_name", "contact_phone"]

    def clean_website(self) -> str:
        if self.cleaned_data.get("website"):
            raise forms.ValidationError(_("提交无效"))
        return ""

    def clean_contact_phone(self) -> str:
        """Checked with the form (the intake checks it again): a mistyped phone is reported
        at once, with the other fields' mistakes."""
        raw = (self.cleaned_data.get("contact_phone") or "").strip()
        try:
            normalise_phone(raw, field="contact_phone")
        except DomainError as exc:
            raise forms.ValidationError(exc.message) from None
        return raw


class TrackForm(forms.Form):
    code = forms.CharField(
        label=_("查询码"),
        max_length=16,
        help_text=_("提交问题后获得的 10 位查询码"),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )

    def clean_code(self) -> str:
        return self.cleaned_data["code"].strip().upper().replace(" ", "")


class ResidentCallbackForm(forms.Form):
    satisfaction = forms.TypedChoiceField(
        label=_("您对办理结果是否满意?"), coerce=int, widget=forms.RadioSelect
    )
    note = forms.CharField(
        label=_("意见和建议"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        from gridgov.cases.models import Satisfaction

        super().__init__(*args, **kwargs)
        choice_field(self, "satisfaction").choices = Satisfaction.choices
