"""Idempotency keys are bound to what was submitted: a genuine retry gets the first case back, the
same key with another payload is refused (422) without naming any case, and a key without an
account must be a long random token (anyone could otherwise guess a resident's key and read
their case and give its callback)."""

from __future__ import annotations

import uuid

import pytest

from gridgov.cases.models import Case, CaseEvent, Channel, EventKind, MatterItem
from gridgov.cases.services import intake
from gridgov.core.errors import DomainError
from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_B1

URL = "/api/v1/cases/public"
pytestmark = pytest.mark.usefixtures("clock")


def resident(description="小区门口垃圾堆积", point=INSIDE[UNIT_A1], **extra):
    return {"description": description, "lon": str(point[0]), "lat": str(point[1]), **extra}


def test_a_stranger_reusing_a_residents_key_gets_422_and_no_tracking_code(client, town):
    key = str(uuid.uuid4())
    first = client.post(URL, data=resident(idempotency_key=key, contact_phone="13912345678"))
    assert first.status_code == 201, first.content
    code = first.json()["tracking_code"]
    stranger = client.post(URL, data=resident("别人的反映", INSIDE[UNIT_B1], idempotency_key=key))
    assert stranger.status_code == 422, stranger.content
    body = stranger.json()
    assert body["field"] == "idempotency_key"
    assert "幂等键" in body["detail"]
    assert code not in stranger.content.decode()
    assert set(body) == {"detail", "field"}
    assert Case.objects.count() == 1
    # The header carries the key too, with the same answer.
    header = client.post(URL, data=resident("别人的反映"), HTTP_IDEMPOTENCY_KEY=key)
    assert header.status_code == 422


def test_a_genuine_retry_returns_the_first_case_once(client, town):
    key = uuid.uuid4().hex
    form = resident(idempotency_key=key, contact_name="赵大爷", category="0501")
    first = client.post(URL, data=form)
    again = client.post(URL, data=form)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["tracking_code"] == first.json()["tracking_code"]
    assert again.json()["created"] is False
    assert Case.objects.count() == 1
    assert CaseEvent.objects.filter(kind=EventKind.REPORT).count() == 1


@pytest.mark.parametrize(
    "key",
    ["r1", "fifteen-chars15", "has space in it but long", "中文的幂等键中文的幂等键中文的幂等键"],
)
def test_anonymous_keys_must_be_long_random_tokens(client, town, key):
    response = client.post(URL, data=resident(idempotency_key=key))
    assert response.status_code == 400, response.content
    assert response.json()["field"] == "idempotency_key"
    assert Case.objects.count() == 0


def test_uuid_and_urlsafe_tokens_are_accepted(client, town):
    for key in (str(uuid.uuid4()), uuid.uuid4().hex, "Ab3_-Ab3_-Ab3_-Ab"):
        assert client.post(URL, data=resident(idempotency_key=key)).status_code == 201


def test_staff_key_reused_for_another_report_is_refused(town):
    worker = town.user("worker_a1")
    item = MatterItem.objects.get(code="0401")
    kwargs = {
        "by": worker,
        "channel": Channel.PATROL,
        "description": "河边偷排",
        "item": item,
        "lon": INSIDE[UNIT_A1][0],
        "lat": INSIDE[UNIT_A1][1],
        "idempotency_key": "phone-7",
    }
    first = intake.report_case(**kwargs)
    assert intake.report_case(**kwargs).case.pk == first.case.pk
    for change in ({"description": "另一件事"}, {"item": None}, {"lon": INSIDE[UNIT_B1][0]}):
        with pytest.raises(intake.IdempotencyKeyReusedError) as err:
            intake.report_case(**{**kwargs, **change})
        assert err.value.status_code == 422
    # Another worker's key of the same text is theirs: keys never cross accounts.
    other = intake.report_case(
        **{**kwargs, "by": town.user("worker_b1"), "lon": INSIDE[UNIT_B1][0]}
    )
    assert other.created
    assert other.case.pk != first.case.pk


def test_an_anonymous_key_from_before_fingerprints_is_not_answered(town):
    key = uuid.uuid4().hex
    first = intake.report_case(
        by=None,
        channel=Channel.RESIDENT,
        description="路灯不亮",
        grid_code=UNIT_A1,
        idempotency_key=key,
    )
    Case.objects.filter(pk=first.case.pk).update(idempotency_fingerprint="")
    with pytest.raises(DomainError) as err:
        intake.report_case(
            by=None,
            channel=Channel.RESIDENT,
            description="路灯不亮",
            grid_code=UNIT_A1,
            idempotency_key=key,
        )
    assert err.value.status_code == 422
