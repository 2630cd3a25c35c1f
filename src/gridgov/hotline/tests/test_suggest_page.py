"""The classifier's suggestion on the report forms (issue 13): a fragment naming the suggested
catalogue item with its confidence and a button; nothing is chosen for the reporter."""

from __future__ import annotations

import re

import pytest
from django.test import Client

from gridgov.cases.models import Case
from gridgov.hotline.services.suggest import train_classifier
from gridgov.hotline.tests.test_classify import closed_cases

URL = "/hotline/suggest/"


@pytest.fixture
def trained(town):
    closed_cases(town)
    train_classifier(by=None)


def test_a_resident_gets_the_item_and_its_confidence_with_a_button(trained):
    body = Client().get(URL, {"description": "半夜施工噪音太吵了"}).content.decode()
    assert 'data-suggest-item="0404"' in body
    percent = int(re.search(r"置信度 (\d+)%", body).group(1))
    assert 33 < percent <= 100
    assert "建议分类:" in body
    assert "采用此分类" in body


def test_a_worker_gets_it_in_english_and_nothing_is_written(trained, client_for):
    cases = Case.objects.count()
    client = client_for("worker_a1")
    client.cookies["django_language"] = "en"
    body = client.get(URL, {"description": "停水三天了"}).content.decode()
    assert "Suggested category:" in body
    assert "Use this category" in body
    assert 'data-suggest-item="0708"' in body
    assert Case.objects.count() == cases


def test_no_model_or_too_little_text_gives_an_empty_fragment(town):
    assert Client().get(URL, {"description": "半夜施工噪音太吵了"}).content.strip() == b""
    assert Client().get(URL, {"description": "噪音"}).content.strip() == b""
    assert Client().get(URL).content.strip() == b""


def test_a_flood_is_throttled_per_address(db, monkeypatch):
    monkeypatch.setattr("gridgov.hotline.views.suggest_item", lambda text: None)
    client = Client()
    answers = [client.get(URL, {"description": "路灯不亮了"}).status_code for _ in range(61)]
    assert answers[:60] == [200] * 60
    assert answers[60] == 429
