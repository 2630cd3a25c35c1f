"""Back-tracing tasks (倒查任务, "未主动发现") in the inbox of the grid's worker and of the
station (and offices above it): the open ones to explain or correct, and for the office the
answered ones to accept or send back, with their deadline. Registered in HotlineConfig.ready."""

from __future__ import annotations

from typing import Any

from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from gridgov.core.inbox import InboxTask
from gridgov.hotline.models import BacktraceState, BacktraceTask
from gridgov.hotline.workflow import VERBS, allowed_actions

# The inbox shows at most this many (soonest deadline first); the rest wait on the round pages.
LIMIT = 50
KIND = gettext_lazy("倒查任务")


def backtrace_inbox(user: Any) -> list[InboxTask]:
    tasks = (
        BacktraceTask.objects.visible_to(user)
        .filter(state__in=(BacktraceState.OPEN, BacktraceState.EXPLAINED, BacktraceState.CORRECTED))
        .select_related("grid", "grid__region", "result__record__source", "result__record__item")
        .order_by("due_at", "pk")
    )
    now = timezone.now()
    out: list[InboxTask] = []
    for task in tasks[: LIMIT * 4]:
        verbs = allowed_actions(task, user)
        if not verbs:
            continue
        record = task.result.record
        answering = task.state == BacktraceState.OPEN
        out.append(
            InboxTask(
                key=f"backtrace:{task.pk}",
                kind_label=KIND,
                title=_("未主动发现:%(source)s %(number)s(%(grid)s)")
                % {
                    "source": record.source.name,
                    "number": record.external_number,
                    "grid": task.grid.name,
                },
                body=_("%(item)s · 受理于 %(at)s")
                % {
                    "item": record.item.name if record.item else record.category_value or "—",
                    "at": timezone.localtime(record.received_at).strftime("%Y-%m-%d %H:%M"),
                },
                due_at=task.due_at,
                late=task.late(now),
                url=reverse("hotline:task", args=[task.pk]),
                answer_url=reverse("hotline:task_act", args=[task.pk]),
                verbs=tuple((v, VERBS[v].label) for v in verbs),
                answer_label=_("说明或整改情况") if answering else _("审核意见"),
                answer_required=answering,
                state_label=task.get_state_display(),
                extra={"answer": task.answer},
            )
        )
        if len(out) >= LIMIT:
            break
    return out
