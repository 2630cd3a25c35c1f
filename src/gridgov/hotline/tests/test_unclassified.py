"""Unclassified hotline records (issue 13 audit): the operator's page lists the records without
an item in their scope with the classifier's suggestion and confidence; the operator confirms it
or picks another item, one by one or ticked in bulk, and the choice is recorded. The case page
of a case without an item gets the same suggestion as a fragment that fills the form."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied

from gridgov.cases.models import Channel, MatterItem
from gridgov.cases.services import intake
from gridgov.core.errors import DomainError
from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_B1
from gridgov.hotline.models import HotlineRecord
from gridgov.hotline.services.suggest import (
    classify_record,
    confirm_suggestions,
    suggest_for_records,
    train_classifier,
)
from gridgov.hotline.tests.test_api import make
from gridgov.hotline.tests.test_classify import closed_cases

URL = "/hotline/unclassified/"


@pytest.fixture
def records(town):
    closed_cases(town)
    train_classifier(by=None)
    made = {
        "N1": make("N1", UNIT_A1, description="深夜施工噪音太吵", category_value="其他"),
        "N2": make("N2", UNIT_A1, description="小区停水两天了", category_value="其他"),
        "N3": make("N3", UNIT_B1, description="河边垃圾没人清理", category_value="其他"),
        "K1": make("K1", UNIT_A1, item=MatterItem.objects.get(code="0502")),
    }
    assert suggest_for_records(list(HotlineRecord.objects.all())) == 3
    return {k: HotlineRecord.objects.get(pk=v.pk) for k, v in made.items()}


def shown(body: str) -> dict[str, str]:
    """External number → suggested item code of the page's rows."""
    rows = re.findall(r'data-record="(\w+)".*?data-suggested="(\w*)"', body, re.S)
    return dict(rows)


def test_the_page_lists_the_unclassified_records_in_scope_with_suggestions(records, client_for):
    town_body = client_for("town_office").get(URL).content.decode()
    assert shown(town_body) == {"N1": "0404", "N2": "0708", "N3": "0502"}
    assert 'data-total="3"' in town_body
    confidence = records["N1"].suggestion_confidence
    assert f"置信度 {round(confidence * 100)}%" in town_body
    village_body = client_for("village_a").get(URL).content.decode()
    assert shown(village_body) == {"N1": "0404", "N2": "0708"}  # N3 lies in village B


def test_the_leader_reads_without_forms_and_a_worker_is_refused(records, client_for):
    body = client_for("leader").get(URL).content.decode()
    assert len(shown(body)) == 3
    assert "bulk-confirm" not in body
    assert client_for("worker_a1").get(URL).status_code == 403


def test_confirming_the_suggestion_records_who_and_that_it_was_the_suggestion(
    records, client_for, town
):
    n1 = records["N1"]
    response = client_for("village_a").post(URL, {"record": n1.pk, "item": "0404"})
    assert response.status_code == 302
    n1.refresh_from_db()
    assert (n1.item.code, n1.took_suggestion) == ("0404", True)
    assert n1.classified_by == town.user("village_a")
    assert n1.classified_at is not None
    assert shown(client_for("village_a").get(URL).content.decode()) == {"N2": "0708"}


def test_choosing_another_item_is_recorded_as_not_the_suggestion(records, client_for):
    n2 = records["N2"]
    client_for("town_office").post(URL, {"record": n2.pk, "item": "0404"})
    n2.refresh_from_db()
    assert (n2.item.code, n2.suggested_item.code, n2.took_suggestion) == ("0404", "0708", False)


def test_bulk_confirm_classifies_only_the_ticked_rows_of_the_scope(records, client_for):
    ids = [records["N1"].pk, records["N3"].pk]
    response = client_for("village_a").post(URL, {"action": "confirm", "record": ids})
    assert response.status_code == 302
    assert "done=1" in response["Location"]
    items = dict(HotlineRecord.objects.values_list("external_number", "item__code"))
    assert items == {"N1": "0404", "N2": None, "N3": None, "K1": "0502"}
    response = client_for("town_office").post(URL, {"action": "confirm"})
    assert response.status_code == 400
    assert "请先勾选" in response.content.decode()


def test_a_record_outside_the_scope_is_a_404(records, client_for):
    response = client_for("village_a").post(URL, {"record": records["N3"].pk, "item": "0502"})
    assert response.status_code == 404
    assert HotlineRecord.objects.get(pk=records["N3"].pk).item is None


def test_the_service_refuses_a_second_classification_and_an_outsider(records, town):
    item = MatterItem.objects.get(code="0502")
    classify_record(record=records["N3"], item=item, by=town.user("town_office"))
    with pytest.raises(DomainError):
        classify_record(record=records["N3"], item=item, by=town.user("admin"))
    with pytest.raises(PermissionDenied):
        classify_record(record=records["N1"], item=item, by=town.user("worker_a1"))
    n2 = HotlineRecord.objects.get(pk=records["N2"].pk)
    assert confirm_suggestions(records=[n2, records["K1"]], by=town.user("town_office")) == 1
    assert HotlineRecord.objects.get(pk=n2.pk).item.code == "0708"


def test_a_case_without_item_gets_a_fill_button_on_its_page(records, client_for, town):
    case = intake.report_case(
        by=town.user("worker_a1"),
        channel=Channel.PATROL,
        description="半夜工地施工噪音很大",
        lon=INSIDE[UNIT_A1][0],
        lat=INSIDE[UNIT_A1][1],
    ).case
    page = client_for("town_office").get(f"/cases/{case.pk}/").content.decode()
    assert f"/hotline/suggest/case/{case.pk}/" in page
    fragment = client_for("town_office").get(f"/hotline/suggest/case/{case.pk}/")
    body = fragment.content.decode()
    assert f'data-fill-item="{MatterItem.objects.get(code="0404").pk}"' in body
    assert "填入分类" in body
    assert client_for("worker_b1").get(f"/hotline/suggest/case/{case.pk}/").status_code == 404
    case.refresh_from_db()
    assert case.item is None  # shown, never applied
