"""Suggesting catalogue items from free text (issue 13): jieba + a linear model trained on the
platform's own closed cases, shown with a confidence and never applied; its accuracy on the 495
labelled TipDM messages beside the majority-class baseline."""

from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from django.core.management import call_command

from gridgov.cases.models import Case, CaseState, Channel, MatterItem
from gridgov.cases.services import intake
from gridgov.core.errors import DomainError
from gridgov.core.testing import require_realdata
from gridgov.core.testing.town import INSIDE, UNIT_A1
from gridgov.hotline import classify
from gridgov.hotline.models import HotlineRecord, TextModel
from gridgov.hotline.services import import_hotline
from gridgov.hotline.services.suggest import suggest_item, train_classifier

TEXTS = {
    "0404": [
        "夜间施工噪音扰民,电钻声吵得无法入睡",
        "广场舞音响声音太大,噪音扰民",
        "楼下KTV噪音很大深夜不停",
    ],
    "0502": [
        "路边垃圾堆积多日无人清运,气味难闻",
        "小区门口建筑渣土乱堆乱放",
        "河边垃圾成堆没人清理",
    ],
    "0708": ["自来水停水三天,居民无法做饭", "水压太低,楼上用不了自来水", "饮用水发黄有异味,水质差"],
}


def closed_cases(town, copies: int = 4) -> None:
    worker = town.user("worker_a1")
    for code, texts in TEXTS.items():
        item = MatterItem.objects.get(code=code)
        for n in range(copies):
            for text in texts:
                case = intake.report_case(
                    by=worker,
                    channel=Channel.PATROL,
                    description=f"{text}(第{n + 1}次反映)",
                    item=item,
                    lon=INSIDE[UNIT_A1][0],
                    lat=INSIDE[UNIT_A1][1],
                ).case
                Case.objects.filter(pk=case.pk).update(state=CaseState.CLOSED)


def test_cross_validated_accuracy_on_the_tipdm_messages_beats_the_majority_baseline():
    path = require_realdata("cn_gov_messages_tipdm2020", "attachment2_messages_labeled.csv")
    with path.open(encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == 495
    result = classify.cross_validate(
        [f"{r['留言主题']} {r['留言详情']}" for r in rows], [r["一级分类"] for r in rows]
    )
    assert result.classes == 7
    assert result.baseline == pytest.approx(104 / 495, abs=0.01)
    assert result.accuracy > result.baseline + 0.4
    assert result.accuracy > 0.7


def test_the_stored_arrays_predict_what_scikit_learn_predicts():
    texts = [t for group in TEXTS.values() for t in group] * 2
    labels = [code for code, group in TEXTS.items() for _ in group] * 2
    codes, vocabulary, weights = classify.fit(texts, labels)
    loaded = classify.Loaded(codes, vocabulary, weights)
    pipeline = classify.build_pipeline().fit(texts, labels)
    for text in ["晚上工地噪音太吵", "停水了", "垃圾没人清运", "与任何事项都无关的句子"]:
        want = pipeline.predict_proba([text])[0]
        np.testing.assert_allclose(loaded.probabilities(text), want, rtol=1e-9)


def test_training_needs_enough_closed_classified_cases(town):
    with pytest.raises(DomainError):
        train_classifier(by=None)


def test_trained_on_closed_cases_it_suggests_with_a_confidence(town):
    closed_cases(town)
    model = train_classifier(by=None)
    assert model.samples == 36
    assert sorted(model.labels) == ["0404", "0502", "0708"]
    assert model.cv_accuracy is not None
    found = suggest_item("半夜施工噪音太吵了")
    assert found is not None
    assert found.item.code == "0404"
    assert 1 / 3 < found.confidence <= 1


def test_one_rare_item_no_longer_blanks_the_cross_validated_accuracy(town):
    closed_cases(town)
    # A single closed case of a fourth item: before, one item under two cases gave null.
    case = intake.report_case(
        by=town.user("worker_a1"),
        channel=Channel.PATROL,
        description="路灯不亮",
        item=MatterItem.objects.get(code="0501"),
        lon=INSIDE[UNIT_A1][0],
        lat=INSIDE[UNIT_A1][1],
    ).case
    Case.objects.filter(pk=case.pk).update(state=CaseState.CLOSED)
    out = io.StringIO()
    call_command("train_classifier", stdout=out)
    printed = json.loads(out.getvalue())
    assert printed["samples"] == 37
    assert printed["items"] == 4
    assert 0.5 < printed["cv_accuracy"] <= 1
    assert printed["baseline_accuracy"] < 0.4 < printed["cv_accuracy"]
    assert "36 件、3 个事项" in printed["cv_note"]
    assert "1 个事项未计入" in printed["cv_note"]


def test_too_few_cases_per_item_says_why_there_is_no_accuracy(town):
    closed_cases(town, copies=1)  # 3 items × 3 cases: 9 in the evaluation, 20 needed
    others = list(MatterItem.objects.exclude(code__in=TEXTS).order_by("code")[:6])
    for n in range(12):
        case = intake.report_case(
            by=town.user("worker_a1"),
            channel=Channel.PATROL,
            description=f"第{n}件零散事项",
            item=others[n % 6],
            lon=INSIDE[UNIT_A1][0],
            lat=INSIDE[UNIT_A1][1],
        ).case
        Case.objects.filter(pk=case.pk).update(state=CaseState.CLOSED)
    model = train_classifier(by=None)
    assert model.cv_accuracy is None
    assert "未做交叉验证" in model.cv_note


def test_an_imported_unclassified_record_gets_a_suggestion_but_no_item(town):
    closed_cases(town)
    train_classifier(by=None)
    out = io.StringIO()
    csv.writer(out).writerows(
        [["no", "time", "type", "text"], ["Q1", "2026-03-02 10:00", "其他", "小区自来水停水一整天"]]
    )
    mapping = '[columns]\nexternal_number = "no"\nreceived_at = "time"\ncategory = "type"\ndescription = "text"\n'
    import_hotline(
        data=out.getvalue().encode(), filename="q.csv", source="q", by=None, mapping_text=mapping
    )
    record = HotlineRecord.objects.get()
    assert record.item is None
    assert record.suggested_item is not None
    assert record.suggested_item.code == "0708"
    assert 0 < record.suggestion_confidence <= 1


def test_suggest_api_answers_staff_with_a_suggestion(town, client_for):
    closed_cases(town, copies=3)
    train_classifier(by=None)
    response = client_for("worker_a1").post(
        "/api/v1/hotline/suggest", {"text": "路边垃圾没人清运"}, content_type="application/json"
    )
    assert response.status_code == 200
    body = response.json()
    assert body["item"] == "0502"
    assert body["class_code"] == "05"
    assert 0 < body["confidence"] <= 1
    assert (
        client_for("")
        .post("/api/v1/hotline/suggest", {"text": "x"}, content_type="application/json")
        .status_code
        == 401
    )
    assert (
        client_for("leader")
        .post("/api/v1/hotline/suggest", {"text": "x"}, content_type="application/json")
        .status_code
        == 403
    )
    empty = client_for("worker_a1").post(
        "/api/v1/hotline/suggest", {"text": ""}, content_type="application/json"
    )
    assert empty.status_code == 422


def test_suggest_without_a_model_answers_no_item(town, client_for):
    assert not TextModel.objects.exists()
    response = client_for("worker_a1").post(
        "/api/v1/hotline/suggest", {"text": "停水"}, content_type="application/json"
    )
    assert response.json()["item"] is None
