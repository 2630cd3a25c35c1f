"""Training the text classifier on the platform's own closed, classified cases, and suggesting
an item for a text (issue 13). A suggestion is shown with its confidence; nothing applies it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils.translation import gettext as _

from gridgov.cases.models import CLOSED_STATES, Case, MatterItem
from gridgov.core.errors import DomainError
from gridgov.hotline import classify
from gridgov.hotline.models import HotlineRecord, TextModel
from gridgov.hotline.permissions import require

if TYPE_CHECKING:
    from django.contrib.auth.models import User


def training_set() -> tuple[list[str], list[str]]:
    """Texts and item codes of the closed cases that carry an item."""
    rows = (
        Case.objects.filter(state__in=CLOSED_STATES, item__isnull=False)
        .order_by("pk")
        .values_list("title", "description", "item__code")
    )
    texts, labels = [], []
    for title, description, code in rows:
        texts.append(f"{title} {description}")
        labels.append(code)
    return texts, labels


@transaction.atomic
def train_classifier(*, by: User | None) -> TextModel:
    """Fit and store a new model; the newest one answers suggestions."""
    require(by, "hotline.train_classifier")
    texts, labels = training_set()
    if len(texts) < classify.MIN_SAMPLES or len(set(labels)) < 2:
        raise DomainError(
            _("训练需要至少 %(n)d 件已结案且已分类的案件、两个以上事项,现有 %(have)d 件")
            % {"n": classify.MIN_SAMPLES, "have": len(texts)}
        )
    evaluation = None
    if min(labels.count(code) for code in set(labels)) >= 2:
        evaluation = classify.cross_validate(texts, labels)
    codes, vocabulary, weights = classify.fit(texts, labels)
    return TextModel.objects.create(
        samples=len(texts),
        labels=codes,
        vocabulary=vocabulary,
        weights=weights,
        cv_accuracy=evaluation.accuracy if evaluation else None,
        baseline_accuracy=evaluation.baseline if evaluation else None,
    )


@dataclass(frozen=True)
class Suggestion:
    item: MatterItem
    confidence: float


def suggest_item(text: str) -> Suggestion | None:
    """The newest model's item for `text`, or None without a model or text."""
    model = TextModel.objects.order_by("-created_at", "-pk").first()
    if model is None or not (text or "").strip():
        return None
    code, confidence = classify.loaded(model).predict(text)
    item = MatterItem.objects.filter(code=code, is_active=True).first()
    return Suggestion(item, confidence) if item is not None else None


def suggest_for_records(records: list[HotlineRecord]) -> int:
    """Fill the suggestion of unclassified records (their item stays None); returns how many."""
    model = TextModel.objects.order_by("-created_at", "-pk").first()
    if model is None:
        return 0
    loaded = classify.loaded(model)
    items = {i.code: i for i in MatterItem.objects.filter(code__in=model.labels, is_active=True)}
    changed = []
    for record in records:
        if record.item_id is not None:
            continue
        text = f"{record.category_value} {record.description}".strip()
        if not text:
            continue
        code, confidence = loaded.predict(text)
        if code in items:
            record.suggested_item = items[code]
            record.suggestion_confidence = confidence
            changed.append(record)
    HotlineRecord.objects.bulk_update(
        changed, ["suggested_item", "suggestion_confidence"], batch_size=2000
    )
    return len(changed)
