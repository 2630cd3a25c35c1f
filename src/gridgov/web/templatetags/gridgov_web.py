"""Template helpers of the pages: navigation with queue counts, the language switch, form fields
with their errors beside them, state badges and deadlines."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms, template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext as _

from gridgov.web.navigation import nav_groups

register = template.Library()


@register.inclusion_tag("web/includes/nav.html", takes_context=True)
def main_nav(context: template.Context) -> dict[str, Any]:
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"groups": []}
    return {"groups": nav_groups(request)}


@register.inclusion_tag("web/includes/inbox_badge.html", takes_context=True)
def inbox_badge(context: template.Context) -> dict[str, Any]:
    """The unread count of the user's inbox, polled by htmx (web/views/inbox.py)."""
    from gridgov.web.queries.inbox import unread_count

    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return {"unread": 0}
    return {"unread": unread_count(request.user)}


@register.inclusion_tag("web/includes/language_switch.html", takes_context=True)
def language_switch(context: template.Context) -> dict[str, Any]:
    from django.conf import settings

    request = context.get("request")
    path = request.get_full_path() if request is not None else "/"
    return {
        "languages": settings.LANGUAGES,
        "current": context.get("LANGUAGE_CODE") or settings.LANGUAGE_CODE,
        "next": path,
        "csrf_token": context.get("csrf_token"),
    }


@register.filter
def display_name(user: Any) -> str:
    staff = getattr(user, "staff", None) if user is not None else None
    try:
        name = staff.name if staff is not None else ""
    except Exception:  # noqa: BLE001 - a missing reverse one-to-one raises a model-specific error
        name = ""
    return name or getattr(user, "username", "")


@register.inclusion_tag("web/includes/field.html")
def form_field(field: forms.BoundField, label: str = "", inline: bool = False) -> dict[str, Any]:
    """One field with its label, help text and errors right beside it (aria-linked)."""
    is_choice_list = isinstance(
        field.field.widget, forms.RadioSelect | forms.CheckboxSelectMultiple
    )
    return {
        "field": field,
        "widget": described_widget(field),
        "label": label or field.label,
        "inline": inline,
        "is_choice_list": is_choice_list,
        "is_checkbox": isinstance(field.field.widget, forms.CheckboxInput),
    }


@register.simple_tag
def described_widget(field: forms.BoundField, *notes: str) -> SafeString:
    """A field's widget linked to its help text, its errors (`<auto_id>_errors`) and any other
    notes beside it, and marked invalid when it has errors: what screen readers announce."""
    describedby = []
    if field.help_text:
        describedby.append(f"{field.auto_id}_help")
    if field.errors:
        describedby.append(f"{field.auto_id}_errors")
    describedby += [note for note in notes if note]
    attrs: dict[str, Any] = {}
    if describedby:
        attrs["aria-describedby"] = " ".join(describedby)
    if field.errors:
        attrs["aria-invalid"] = "true"
    return field.as_widget(attrs=attrs)


@register.inclusion_tag("web/includes/form_errors.html")
def form_errors(form: forms.BaseForm, beside: str = "") -> dict[str, Any]:
    """Errors of the whole form, and of hidden fields, above it; `beside` names the hidden
    fields whose errors the page shows next to a control of their own (the position)."""
    shown_beside = set(beside.split())
    return {
        "errors": form.non_field_errors(),
        "hidden": [f for f in form.hidden_fields() if f.errors and f.name not in shown_beside],
    }


@register.simple_tag
def state_badge(state: str, label: Any = "") -> SafeString:
    return format_html('<span class="badge s-{}">{}</span>', state, label or state)


@register.simple_tag(takes_context=True)
def deadline(
    context: template.Context,
    due_at: dt.datetime | None,
    is_open: bool = True,
    provisional: bool = False,
) -> SafeString:
    """The deadline with the working days left, red when overdue; the calendar is read once
    per request, not once per row."""
    from gridgov.web.queries import deadline_info, request_calendar

    if due_at is None:
        return format_html('<span class="muted">{}</span>', _("未设期限"))
    calendar = request_calendar(context.get("request"))
    info = deadline_info(due_at, is_open=is_open, calendar=calendar)
    local = timezone.localtime(due_at)
    css = "deadline overdue" if info.overdue else "deadline"
    extra = format_html(' <span class="badge">{}</span>', _("暂定")) if provisional else ""
    return format_html(
        '<span class="{}"><time datetime="{}">{}</time> · {}</span>{}',
        css,
        due_at.isoformat(),
        local.strftime("%Y-%m-%d %H:%M"),
        info.label,
        extra,
    )


@register.simple_tag(takes_context=True)
def outbox_strings(context: template.Context) -> SafeString:
    """The phone outbox's settings and messages, translated, for outbox.js. Reports are kept
    per account: a shared phone never sends one person's report under another's log-in."""
    from django.urls import reverse
    from django.utils.html import json_script

    request = context.get("request")
    user = getattr(request, "user", None)
    return json_script(
        {
            "user": user.pk if user is not None and user.is_authenticated else None,
            "serviceWorker": reverse("phone_sw"),
            "otherAccount": _("另有 %(n)s 条其他账号保存的上报,请用该账号登录后发送。"),
            "waiting": _("%(n)s 条上报等待发送"),
            "waitingHelp": _("已保存在手机上,网络恢复后会自动发送,请勿重复上报。"),
            "sending": _("正在发送…"),
            "retry": _("立即重试"),
            "sent": _("已发送"),
            "failed": _("未能提交,请修改后重新上报"),
            "restored": _("已放回表单,请按提示修改后重新上报。"),
            "restore": _("放回表单修改"),
            "photoAgain": _("照片没有保存,请重新选择。"),
            "loginNeeded": _("登录已过期,请重新登录,登录后会自动发送。"),
            "login": _("重新登录"),
            "queued": _("已保存,等待网络恢复后发送"),
            "photo": _("照片"),
            "required": _("请填写问题描述"),
            "resultRequired": _("现场处理须填写处理结果"),
            "noStorage": _("此浏览器无法离线保存,请在网络恢复后再提交。"),
        },
        "outbox-text",
    )


@register.simple_tag
def now_local() -> str:
    return timezone.localtime().strftime("%Y-%m-%d %H:%M")


@register.filter
def local_dt(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")


@register.filter
def percent(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value * 100:.1f}%"
