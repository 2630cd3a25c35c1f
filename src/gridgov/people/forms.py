"""Forms of the people pages: they parse input; the rules are the services' (people.services)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gridgov.core.jurisdiction import Role
from gridgov.grids.models import Grid
from gridgov.people.models import GRID_POST_KINDS, POST_ORDER, PostKind, Staff

# Posts a grid office appoints from these pages: the grid's own team and embedded officers.
GRID_KIND_CHOICES = [
    (k, PostKind(k).label)
    for k in POST_ORDER
    if k in GRID_POST_KINDS or k == PostKind.EMBEDDED_OFFICER
]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(format="%Y-%m-%d", **kwargs)


class GridChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    """A grid picked by its code, among the grids the user manages."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(queryset=Grid.objects.none(), to_field_name="code", **kwargs)

    def label_from_instance(self, obj: Any) -> str:
        depth = max(obj.path.count("/") - 2, 0)
        return f"{'　' * depth}{obj.name}({obj.code})"


def managed_grids(user: Any) -> Any:
    """Active grids the user sees, in tree order (the services decide whether they manage one)."""
    return (
        Grid.objects.visible_to(user)  # type: ignore[attr-defined]
        .active()
        .order_by("path")
        .only("id", "code", "name", "path")
    )


class StaffFilterForm(forms.Form):
    STATES = [("current", _("在任")), ("ended", _("已离任")), ("all", _("全部"))]

    q = forms.CharField(label=_("姓名"), required=False, max_length=50)
    grid = GridChoiceField(label=_("网格(含下级)"), required=False)
    kind = forms.ChoiceField(label=_("岗位类型"), required=False)
    state = forms.ChoiceField(label=_("状态"), required=False, choices=STATES)

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = managed_grids(user)  # type: ignore[attr-defined]
        self.fields["kind"].choices = [("", _("全部")), *PostKind.choices]  # type: ignore[attr-defined]


class PostFields(forms.Form):
    kind = forms.ChoiceField(label=_("岗位类型"), choices=GRID_KIND_CHOICES)
    grid = GridChoiceField(label=_("网格"))
    title = forms.CharField(
        label=_("岗位名称"),
        required=False,
        max_length=60,
        help_text=_("当地叫法,如“网格信息管理员”;留空则用岗位类型"),
    )
    started_on = forms.DateField(label=_("任职日期"), required=False, widget=DateInput())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = managed_grids(user)  # type: ignore[attr-defined]
        self.fields["started_on"].initial = timezone.localdate()


class AppointForm(PostFields):
    """Appoint a person to a grid post (定岗)."""


class StaffCreateForm(PostFields):
    """A new person of the grid with their first post."""

    name = forms.CharField(label=_("姓名"), max_length=50)
    gender = forms.ChoiceField(
        label=_("性别"), required=False, choices=[("", "—"), *Staff.Gender.choices]
    )
    phone = forms.CharField(label=_("电话"), required=False, max_length=32)

    field_order = ["name", "gender", "phone", "kind", "grid", "title", "started_on"]


class MovePostForm(forms.Form):
    to_grid = GridChoiceField(label=_("调往网格"))
    on = forms.DateField(label=_("调整日期"), widget=DateInput())

    def __init__(self, *args: Any, user: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["to_grid"].queryset = managed_grids(user)  # type: ignore[attr-defined]
        self.fields["on"].initial = timezone.localdate()


class EndPostForm(forms.Form):
    on = forms.DateField(label=_("离任日期"), widget=DateInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["on"].initial = timezone.localdate()


class LoginCreateForm(forms.Form):
    username = forms.CharField(
        label=_("用户名"), max_length=150, help_text=_("字母、数字和 @/./+/-/_")
    )
    role = forms.ChoiceField(
        label=_("角色"),
        choices=[(Role.WORKER, Role.WORKER.label), (Role.OFFICE, Role.OFFICE.label)],
    )
    grid = forms.ChoiceField(label=_("授权网格"))

    def __init__(self, *args: Any, grids: list[Grid], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.grids = {g.code: g for g in grids}
        self.fields["grid"].choices = [  # type: ignore[attr-defined]
            (g.code, f"{g.name}({g.code})") for g in grids
        ]

    def chosen_grid(self) -> Grid:
        return self.grids[self.cleaned_data["grid"]]


class PasswordChangeForm(forms.Form):
    old_password = forms.CharField(
        label=_("当前密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    new_password1 = forms.CharField(
        label=_("新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    new_password2 = forms.CharField(
        label=_("再次输入新密码"),
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
