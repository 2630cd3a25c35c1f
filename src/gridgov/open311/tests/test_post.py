"""POST requests: API keys, the intake it enters (location, routing, idempotency, duplicate
flags, the item's questions), the token or id it answers, rate limits and every error path."""

from __future__ import annotations

import pytest

from gridgov.cases.models import Case, CaseState, Channel
from gridgov.core.testing.town import INSIDE, OUTSIDE_POINT, UNIT_A1, UNIT_A2, UNIT_B1
from gridgov.open311 import services
from gridgov.open311.models import ApiKey, Submission

pytestmark = pytest.mark.django_db

FORMATS = ["xml", "json"]
LON, LAT = INSIDE[UNIT_A1]


def body(raw: str, **extra):
    data = {
        "api_key": raw,
        "service_code": "0401",
        "lat": str(LAT),
        "long": str(LON),
        "description": "河边排污口冒黑水",
        "attribute[smell]": "pungent",
        "first_name": "小明",
        "last_name": "王",
        "phone": "13900001111",
    }
    data.update(extra)
    return {k: v for k, v in data.items() if v is not None}


def description(answer, fmt: str) -> str:
    return answer[0]["description"] if fmt == "json" else answer.findtext("error/description")


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_is_queued_and_answers_a_token_only(call, key, attributes, run_task_queue, fmt):
    _key, raw = key
    answer = call("POST", "requests", fmt, **body(raw))
    if fmt == "json":
        (row,) = answer
        assert set(row) == {"token", "service_notice", "account_id"}
        token = row["token"]
    else:
        # The spec's example (post_service_request.xml): request inside service_requests.
        assert answer.tag == "service_requests"
        request = answer.find("request")
        assert [c.tag for c in request] == ["token", "service_notice", "account_id"]
        token = request.findtext("token")
    assert Case.objects.count() == 0
    pending = call("GET", f"tokens/{token}", fmt)
    if fmt == "json":
        assert pending == [{"service_request_id": None, "token": token}]
    assert run_task_queue() == 1
    case = Case.objects.get()
    answer = call("GET", f"tokens/{token}", fmt)
    if fmt == "json":
        assert answer == [{"service_request_id": case.number, "token": token}]
    else:
        assert answer.findtext("request/service_request_id") == case.number
        assert answer.findtext("request/token") == token
    # The normal intake: the Open311 channel, placed in its grid, the answers kept.
    assert case.channel == Channel.OPEN311
    assert case.grid.code == UNIT_A1
    assert case.state == CaseState.REPORTED
    assert case.attributes == {"smell": "pungent"}
    assert case.contact_name == "王小明"
    assert Submission.objects.get(token=token).api_key.name == "随手拍"
    # The submission keeps no contact once the case exists.
    assert Submission.objects.get(token=token).payload == {}
    # Listed from the moment it exists, though not accepted yet; its own words are shown.
    (listed,) = call("GET", "requests", "json")
    assert listed["service_request_id"] == case.number
    assert listed["description"] == "河边排污口冒黑水"
    assert "13900001111" not in str(listed)
    assert "王小明" not in str(listed)


def test_post_answers_the_id_when_the_case_exists_at_once(key, attributes, immediate_tasks, client):
    _key, raw = key
    response = client.post("/open311/v2/requests.json", body(raw))
    assert response.status_code == 200, response.content
    (row,) = response.json()
    case = Case.objects.get()
    assert row["service_request_id"] == case.number
    assert "token" not in row
    response = client.post(
        "/open311/v2/requests.xml",
        body(raw, lat=str(INSIDE[UNIT_B1][1]), long=str(INSIDE[UNIT_B1][0])),
    )
    assert b"<service_request_id>" in response.content
    assert b"<token>" not in response.content


def test_the_app_key_makes_a_retry_return_the_first_case(call, key, attributes, run_task_queue):
    _key, raw = key
    first = call("POST", "requests", "json", **body(raw, idempotency_key="a" * 20))[0]["token"]
    again = call("POST", "requests", "json", **body(raw, idempotency_key="a" * 20))[0]["token"]
    run_task_queue()
    assert Case.objects.count() == 1
    ids = {call("GET", f"tokens/{t}", "json")[0]["service_request_id"] for t in (first, again)}
    assert ids == {Case.objects.get().number}


def test_a_second_report_nearby_is_flagged_as_possible_duplicate(
    call, key, attributes, run_task_queue
):
    _key, raw = key
    call("POST", "requests", "json", **body(raw))
    call("POST", "requests", "json", **body(raw, lat=str(LAT + 0.0001)))
    run_task_queue()
    first, second = Case.objects.order_by("pk")
    assert second.duplicate_of_id == first.pk


def test_address_only_report_waits_for_location(call, key, attributes, run_task_queue):
    _key, raw = key
    call("POST", "requests", "json", **body(raw, lat=None, long=None, address_string="王村桥头"))
    run_task_queue()
    case = Case.objects.get()
    assert case.needs_location
    assert case.address == "王村桥头"


def test_a_scoped_key_reports_only_inside_its_grid(call, town, attributes, run_task_queue):
    _key, raw = services.create_key(name="王村一组", scope_code=UNIT_A2)
    answer = call("POST", "requests", "json", expect=400, **body(raw))
    assert "lat" in answer[0]["description"]
    call("POST", "requests", "json", **body(raw, lat=None, long=None, address_string="一组祠堂"))
    call(
        "POST",
        "requests",
        "json",
        **body(raw, lat=str(INSIDE[UNIT_A2][1]), long=str(INSIDE[UNIT_A2][0])),
    )
    run_task_queue()
    assert sorted(Case.objects.values_list("grid__code", flat=True)) == [UNIT_A2, UNIT_A2]


@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("raw", [None, "", "o311_wrong", "x" * 500])
def test_missing_or_bad_key_is_403(call, attributes, fmt, raw):
    answer = call("POST", "requests", fmt, expect=403, **body(raw))
    if fmt == "json":
        assert answer[0]["code"] == 403
    else:
        assert answer.tag == "errors"
        assert answer.findtext("error/code") == "403"
    assert Submission.objects.count() == 0


def test_a_revoked_key_is_403_and_uses_are_counted(call, key, attributes):
    row, raw = key
    call("POST", "requests", "json", **body(raw))
    call("POST", "requests", "json", expect=400, **body(raw, service_code=""))
    row.refresh_from_db()
    assert row.use_count == 2
    assert row.last_used_at is not None
    services.revoke_key(name=row.name)
    call("POST", "requests", "json", expect=403, **body(raw))


def test_keys_are_stored_hashed(key):
    row, raw = key
    stored = ApiKey.objects.filter(pk=row.pk).values_list(
        "name", "prefix", "key_hash", "use_count"
    )[0]
    assert raw not in str(stored)
    assert row.key_hash == services.hash_key(raw)


@pytest.mark.parametrize("fmt", FORMATS)
def test_rate_limit_per_key(call, key, attributes, settings, fmt):
    settings.GRIDGOV_OPEN311_KEY_LIMIT = 2
    _row, raw = key
    call("POST", "requests", fmt, **body(raw))
    call("POST", "requests", fmt, **body(raw))
    answer = call("POST", "requests", fmt, expect=429, **body(raw))
    assert "随手拍" in description(answer, fmt)
    # Another app has its own allowance.
    _other, other_raw = services.create_key(name="另一个应用")
    call("POST", "requests", fmt, **body(other_raw))
    assert Submission.objects.count() == 3


@pytest.mark.parametrize(
    ("change", "word"),
    [
        ({"service_code": ""}, "service_code"),
        ({"service_code": "9999"}, "9999"),
        ({"lat": None, "long": None}, "address_string"),
        ({"lat": None}, "lat"),
        ({"lat": "95"}, "lat"),
        ({"lat": "north"}, "lat"),
        ({"description": "长" * 4001}, "4000"),
        ({"attribute[smell]": None}, "smell"),
        ({"attribute[smell]": "sweet"}, "sweet"),
        ({"attribute[colour]": "black"}, "colour"),
        ({"attribute[first_seen]": "yesterday"}, "first_seen"),
        ({"phone": "12"}, "phone"),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_requests_are_400_with_the_reason(call, key, attributes, change, word, fmt):
    _row, raw = key
    answer = call("POST", "requests", fmt, expect=400, **body(raw, **change))
    assert word in description(answer, fmt)
    assert Submission.objects.count() == 0


def test_number_and_multiple_choice_answers(call, key, attributes, run_task_queue, client):
    _row, raw = key
    data = body(raw, service_code="0505")
    data.pop("attribute[smell]")
    data["attribute[area_m2]"] = "2.5"
    data["attribute[hazards][]"] = ["traffic", "night"]
    data["attribute[details]"] = "路口东侧,长约三米"
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == 200, response.content
    run_task_queue()
    assert Case.objects.get().attributes == {
        "area_m2": 2.5,
        "hazards": ["traffic", "night"],
        "details": "路口东侧,长约三米",
    }
    data["attribute[area_m2]"] = "a lot"
    response = client.post("/open311/v2/requests.json", data)
    assert response.status_code == 400
    assert "area_m2" in response.json()[0]["description"]


def test_a_point_outside_every_grid_is_taken_and_flagged(call, key, attributes, run_task_queue):
    _row, raw = key
    call(
        "POST",
        "requests",
        "json",
        **body(raw, long=str(OUTSIDE_POINT[0]), lat=str(OUTSIDE_POINT[1])),
    )
    run_task_queue()
    assert Case.objects.get().outside_jurisdiction


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_token_is_404(call, fmt):
    call("GET", "tokens/nope", fmt, expect=404)


def test_a_submission_the_queue_refuses_is_404_with_the_reason(
    call, key, attributes, run_task_queue, monkeypatch
):
    from gridgov.cases.services import intake
    from gridgov.core.errors import DomainError

    _row, raw = key
    token = call("POST", "requests", "json", **body(raw))[0]["token"]

    def refuse(**kwargs):
        raise DomainError("尚未建立网格,无法受理案件")

    monkeypatch.setattr(intake, "report_case", refuse)
    run_task_queue()
    answer = call("GET", f"tokens/{token}", "json", expect=404)
    assert "尚未建立网格" in answer[0]["description"]
    # Running the task again changes nothing (claimed once).
    from gridgov.open311.services import process

    assert process(Submission.objects.get().pk).error


def test_a_queued_reporters_name_and_phone_wait_encrypted(call, key, attributes, run_task_queue):
    """Personal data is never in clear in the database, not even while the queue waits."""
    from django.db import connection

    _key, raw = key
    (row,) = call("POST", "requests", "json", **body(raw))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT payload, contact FROM open311_submission WHERE token = %s", [row["token"]]
        )
        payload, contact = cursor.fetchone()
    stored = f"{payload}{contact}"
    assert contact  # the name and phone are there, as a token
    for clear in ("13900001111", "王", "小明"):
        assert clear not in stored
    assert run_task_queue() == 1
    case = Case.objects.get()
    assert (case.contact_name, case.contact_phone) == ("王小明", "+8613900001111")
    assert Submission.objects.get(token=row["token"]).contact == ""
