"""Training the text classifier on the platform's own closed, classified cases, and suggesting
an item for a text (issue 13). A suggestion is shown with its confidence; nothing applies it."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import transaction
from django.utils import timezone
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
    evaluation, note = evaluate_training_set(texts, labels)
    codes, vocabulary, weights = classify.fit(texts, labels)
    return TextModel.objects.create(
        samples=len(texts),
        labels=codes,
        vocabulary=vocabulary,
        weights=weights,
        cv_accuracy=evaluation.accuracy if evaluation else None,
        baseline_accuracy=evaluation.baseline if evaluation else None,
        cv_note=note,
    )


# An item needs this many closed cases to take part in the cross-validation: with fewer, a
# stratified split leaves folds without it (and one rare item would refuse the whole figure).
CV_MIN_PER_ITEM = 3


def evaluate_training_set(
    texts: list[str], labels: list[str]
) -> tuple[classify.Evaluation | None, str]:
    """Cross-validated accuracy on the items with at least CV_MIN_PER_ITEM cases, and a note
    saying what was evaluated, or why nothing could be."""
    counts = {code: labels.count(code) for code in set(labels)}
    kept = {code for code, n in counts.items() if n >= CV_MIN_PER_ITEM}
    pairs = [(t, c) for t, c in zip(texts, labels, strict=True) if c in kept]
    if len(kept) < 2 or len(pairs) < classify.MIN_SAMPLES:
        return None, _(
            "未做交叉验证:至少 %(min)d 件的事项只有 %(items)d 个、共 %(n)d 件"
            "(需要两个以上事项、合计至少 %(need)d 件)"
        ) % {
            "min": CV_MIN_PER_ITEM,
            "items": len(kept),
            "n": len(pairs),
            "need": classify.MIN_SAMPLES,
        }
    evaluation = classify.cross_validate([t for t, _c in pairs], [c for _t, c in pairs])
    left_out = len(counts) - len(kept)
    return evaluation, _(
        "交叉验证 %(n)d 件、%(items)d 个事项;样本少于 %(min)d 件的 %(left)d 个事项未计入"
    ) % {"n": len(pairs), "items": len(kept), "min": CV_MIN_PER_ITEM, "left": left_out}


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


@transaction.atomic
def classify_record(*, record: HotlineRecord, item: MatterItem, by: User) -> HotlineRecord:
    """An operator gives an unclassified record its catalogue item: the classifier's suggestion
    or another item. Who, when and whether it was the suggestion are kept on the record."""
    require(by, "hotline.classify_record", record)
    if not item.is_active:
        raise DomainError(_("该事项已停用,请选择其他事项"), field="item")
    took = record.suggested_item_id == item.pk
    now = timezone.now()
    # Compare-and-set: of two operators classifying the same record, the second is told.
    updated = HotlineRecord.objects.filter(pk=record.pk, item__isnull=True).update(
        item=item, classified_by=by, classified_at=now, took_suggestion=took, updated_at=now
    )
    if not updated:
        raise DomainError(_("工单 %(n)s 已经分类") % {"n": record.external_number})
    record.item, record.classified_by, record.classified_at = item, by, now
    record.took_suggestion = took
    return record


@transaction.atomic
def confirm_suggestions(*, records: Iterable[HotlineRecord], by: User) -> int:
    """Confirm the classifier's suggestion of each record an operator selected; records without
    a suggestion are left for a choice. Returns how many were classified."""
    done = 0
    for record in records:
        if record.suggested_item is None or record.item_id is not None:
            continue
        classify_record(record=record, item=record.suggested_item, by=by)
        done += 1
    return done
