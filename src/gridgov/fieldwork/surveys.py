"""Surveys (民情调查表, seed 002: 发放《民情调查表》): the office designs a form of questions of the
usual types, workers fill it per household on the phone, the answers are tabulated and
exported.

Answers are checked against their question: a single choice is one of the options, a multiple
choice a list of options (each once), a number a finite number, a date an ISO date, yes/no a
boolean, text at most 1,000 characters. A required question must be answered.
"""

from __future__ import annotations

import io
import math
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from gridgov.core.errors import ConflictError, DomainError
from gridgov.core.jurisdiction import Role, get_referenced, scope_of
from gridgov.core.plausible import check_plausible_past
from gridgov.fieldwork.models import (
    QuestionKind,
    Survey,
    SurveyQuestion,
    SurveyResponse,
)
from gridgov.fieldwork.services import LOCAL_TZ
from gridgov.grids.models import Grid

MAX_QUESTIONS = 50
MAX_CHOICES = 20
TEXT_ANSWER_MAX = 1000
OFFICE_ROLES = (Role.ADMIN, Role.OFFICE)


@dataclass
class QuestionSpec:
    text: str
    kind: str
    choices: list[str] = field(default_factory=list)
    required: bool = True


@transaction.atomic
def create_survey(
    *, by: Any, title: str, grid_code: str, questions: list[QuestionSpec], description: str = ""
) -> Survey:
    """The office designs a survey for a grid in its scope."""
    if not scope_of(by).has_role(*OFFICE_ROLES):
        raise PermissionDenied(_("只有网格办操作员可以设计调查表"))
    grid = get_referenced(Grid.objects.visible_to(by), field="grid", code=grid_code)
    title = (title or "").strip()
    if not title:
        raise DomainError(_("请填写标题"), field="title")
    if not questions:
        raise DomainError(_("调查表至少要有一个问题"), field="questions")
    if len(questions) > MAX_QUESTIONS:
        raise DomainError(_("最多 %(n)s 个问题") % {"n": MAX_QUESTIONS}, field="questions")
    survey = Survey.objects.create(
        title=title[:120], description=(description or "").strip(), grid=grid, created_by=by
    )
    for position, spec in enumerate(questions, start=1):
        name = f"questions[{position}]"
        text = (spec.text or "").strip()
        if not text:
            raise DomainError(_("%(q)s 题目为空") % {"q": name}, field="questions")
        if spec.kind not in QuestionKind.values:
            raise DomainError(_("%(q)s 题型无效") % {"q": name}, field="questions")
        choices = [c.strip() for c in spec.choices if c and c.strip()]
        if spec.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE):
            if len(choices) < 2:
                raise DomainError(
                    _("%(q)s 选择题至少要有两个选项") % {"q": name}, field="questions"
                )
            if len(choices) > MAX_CHOICES or len(set(choices)) != len(choices):
                raise DomainError(
                    _("%(q)s 选项不能重复,最多 %(n)s 个") % {"q": name, "n": MAX_CHOICES},
                    field="questions",
                )
        else:
            choices = []
        SurveyQuestion.objects.create(
            survey=survey,
            position=position,
            text=text[:200],
            kind=spec.kind,
            choices=choices,
            required=spec.required,
        )
    return survey


def _blank(value: Any) -> bool:
    return value is None or value == "" or value == []


def clean_answer(question: SurveyQuestion, value: Any) -> Any:
    """The stored form of one answer, or DomainError naming the question (`q<id>`)."""
    name = f"q{question.pk}"
    if isinstance(value, str):
        value = value.strip()
    if _blank(value):
        if question.required:
            raise DomainError(_("此题必答:%(q)s") % {"q": question.text}, field=name)
        return None
    kind = question.kind
    bad = DomainError(_("答案无效:%(q)s") % {"q": question.text}, field=name)
    if kind == QuestionKind.SINGLE:
        if value not in question.choices:
            raise bad
        return value
    if kind == QuestionKind.MULTIPLE:
        values = [value] if isinstance(value, str) else value
        if not isinstance(values, list) or any(v not in question.choices for v in values):
            raise bad
        if len(set(values)) != len(values):
            raise bad
        return [c for c in question.choices if c in values]
    if kind == QuestionKind.NUMBER:
        if isinstance(value, bool):
            raise bad
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise bad from None
        if not math.isfinite(number):
            raise bad
        return int(number) if number.is_integer() and abs(number) < 2**53 else number
    if kind == QuestionKind.DATE:
        try:
            return date.fromisoformat(str(value)).isoformat()
        except ValueError:
            raise bad from None
    if kind == QuestionKind.YES_NO:
        if isinstance(value, bool):
            return value
        if value in ("yes", "true", "1", "是"):
            return True
        if value in ("no", "false", "0", "否"):
            return False
        raise bad
    text = str(value)
    if len(text) > TEXT_ANSWER_MAX:
        raise DomainError(
            _("最多 %(n)s 字:%(q)s") % {"n": TEXT_ANSWER_MAX, "q": question.text}, field=name
        )
    return text


@dataclass
class Submitted:
    response: SurveyResponse
    created: bool


def submit_response(
    *,
    by: Any,
    survey: Survey,
    household_number: str,
    answers: dict[str, Any],
    uid: uuid.UUID | None = None,
    submitted_at: datetime | None = None,
) -> Submitted:
    """A worker's answers for one household (once per household and survey). The phone's
    `uid` makes a re-sent response return the first one."""
    from gridgov.registry.models import Household

    if uid is not None:
        existing = SurveyResponse.objects.filter(uid=uid, user_id=by.pk).first()
        if existing is not None:
            return Submitted(existing, created=False)
    if not survey.is_open:
        raise DomainError(_("调查表已关闭"), field="survey")
    household = get_referenced(
        Household.objects.visible_to(by).filter(closed_on__isnull=True),
        field="household",
        number=(household_number or "").strip(),
    )
    now = timezone.now()
    submitted_at = submitted_at or now
    check_plausible_past(submitted_at, field="submitted_at")
    if submitted_at > now + timedelta(minutes=10):
        submitted_at = now
    clean: dict[str, Any] = {}
    for question in survey.questions.all():
        value = clean_answer(question, answers.get(str(question.pk)))
        if value is not None:
            clean[str(question.pk)] = value
    try:
        with transaction.atomic():
            response = SurveyResponse.objects.create(
                uid=uid or uuid.uuid4(),
                survey=survey,
                household=household,
                grid_id=household.grid_id,
                user=by,
                answers=clean,
                submitted_at=submitted_at,
            )
    except IntegrityError:
        if uid is not None:
            existing = SurveyResponse.objects.filter(uid=uid, user_id=by.pk).first()
            if existing is not None:
                return Submitted(existing, created=False)
        raise ConflictError(_("该户已填写过这份调查表:%(n)s") % {"n": household.number}) from None
    return Submitted(response, created=True)


@dataclass
class QuestionTable:
    question: SurveyQuestion
    answered: int = 0
    # Choice and yes/no questions: (label, count, share of answered) in the options' order.
    counts: list[tuple[str, int, float]] = field(default_factory=list)
    # Number questions.
    minimum: float | None = None
    maximum: float | None = None
    mean: float | None = None
    # Text and date questions: the latest few answers.
    samples: list[str] = field(default_factory=list)


@dataclass
class Tabulation:
    survey: Survey
    responses: int
    questions: list[QuestionTable]


def tabulate(survey: Survey, viewer: Any) -> Tabulation:
    """The answers the viewer may see, counted per question."""
    responses = list(
        SurveyResponse.objects.visible_to(viewer)
        .filter(survey=survey)
        .values_list("answers", flat=True)
    )
    tables = []
    for question in survey.questions.all():
        key = str(question.pk)
        values = [r[key] for r in responses if key in r]
        table = QuestionTable(question=question, answered=len(values))
        if question.kind in (QuestionKind.SINGLE, QuestionKind.MULTIPLE, QuestionKind.YES_NO):
            counter: Counter[str] = Counter()
            for v in values:
                if question.kind == QuestionKind.MULTIPLE:
                    counter.update(v)
                elif question.kind == QuestionKind.YES_NO:
                    counter["yes" if v else "no"] += 1
                else:
                    counter[v] += 1
            labels = (
                [("yes", _("是")), ("no", _("否"))]
                if question.kind == QuestionKind.YES_NO
                else [(c, c) for c in question.choices]
            )
            table.counts = [
                (label, counter[k], counter[k] / len(values) if values else 0.0)
                for k, label in labels
            ]
        elif question.kind == QuestionKind.NUMBER and values:
            numbers = [float(v) for v in values]
            table.minimum, table.maximum = min(numbers), max(numbers)
            table.mean = sum(numbers) / len(numbers)
        else:
            table.samples = [str(v) for v in values[-5:]]
        tables.append(table)
    return Tabulation(survey=survey, responses=len(responses), questions=tables)


def _cell(question: SurveyQuestion, value: Any) -> Any:
    if value is None:
        return ""
    if question.kind == QuestionKind.MULTIPLE:
        return "、".join(value)
    if question.kind == QuestionKind.YES_NO:
        return _("是") if value else _("否")
    return value


def export_responses(survey: Survey, viewer: Any) -> bytes:
    """One row per household's response, one column per question."""
    from gridgov.registry.ledgers import write_xlsx

    questions = list(survey.questions.all())
    header = [_("户编号"), _("网格"), _("填写人"), _("填写时间")]
    header += [f"{q.position}. {q.text}" for q in questions]
    rows = (
        SurveyResponse.objects.visible_to(viewer)
        .filter(survey=survey)
        .select_related("household", "grid", "user")
        .order_by("submitted_at", "pk")
    )

    def lines() -> Any:
        for r in rows:
            yield [
                r.household.number,
                r.grid.name,
                r.user.get_username(),
                timezone.localtime(r.submitted_at, LOCAL_TZ).strftime("%Y-%m-%d %H:%M"),
                *[_cell(q, r.answers.get(str(q.pk))) for q in questions],
            ]

    out = io.BytesIO()
    write_xlsx(out, header, lines())
    return out.getvalue()
