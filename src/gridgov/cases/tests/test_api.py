"""/api/v1/cases end to end through HTTP: intake with photos and idempotency keys, the resident's
tracking code, lists with filters and bounded queries, the timeline, and 409s that list what
may be done instead."""

from __future__ import annotations

import io
import json

import pytest
from PIL import Image

from gridgov.cases import services
from gridgov.cases.models import Case, CaseAttachment, CaseEvent, CaseState, EventKind
from gridgov.core.testing.town import INSIDE, OUTSIDE_POINT, UNIT_A1, UNIT_B1

S = CaseState
URL = "/api/v1/cases/"
pytestmark = pytest.mark.usefixtures("clock", "media")


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def png(size=(40, 30), color=(200, 30, 30)) -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, format="PNG")
    buffer.seek(0)
    buffer.name = "photo.png"
    return buffer


def post_json(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


def patrol_form(**overrides):
    lon, lat = INSIDE[UNIT_A1]
    form = {
        "description": "河边企业偷排污水",
        "category": "0401",
        "lon": str(lon),
        "lat": str(lat),
    }
    form.update(overrides)
    return form


def test_worker_reports_with_photo_and_gets_a_tracking_code(client_for, media):
    response = client_for("worker_a1").post(URL, data={**patrol_form(), "photos": png()})
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["state"] == S.REPORTED
    assert body["grid"] == UNIT_A1
    assert body["level"] == "village"
    assert len(body["tracking_code"]) == 10
    photo = CaseAttachment.objects.get(case_id=body["id"])
    assert (photo.content_type, photo.width, photo.height) == ("image/png", 40, 30)
    assert (media / photo.file.name).exists()


def test_retry_with_the_same_idempotency_key_returns_the_first_case(client_for):
    client = client_for("worker_a1")
    first = client.post(URL, data=patrol_form(), HTTP_IDEMPOTENCY_KEY="phone-42-0001")
    again = client.post(URL, data=patrol_form(), HTTP_IDEMPOTENCY_KEY="phone-42-0001")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert again.json()["created"] is False
    assert Case.objects.count() == 1
    other = client_for("worker_b1").post(
        URL, data=patrol_form(lon=str(INSIDE[UNIT_B1][0])), HTTP_IDEMPOTENCY_KEY="phone-42-0001"
    )
    assert other.status_code == 201  # keys belong to their sender


def test_non_image_and_oversized_files_are_refused_without_a_case(client_for, settings):
    client = client_for("worker_a1")
    fake = io.BytesIO(b"<?php echo 'x'; ?>")
    fake.name = "photo.jpg"
    response = client.post(URL, data={**patrol_form(), "photos": fake})
    assert response.status_code == 400
    assert "不是 JPEG、PNG 或 WebP" in response.json()["detail"]
    settings.GRIDGOV_CASE_PHOTO_MAX_BYTES = 1000
    response = client.post(URL, data={**patrol_form(), "photos": png(size=(400, 400))})
    assert response.status_code == 400
    assert response.json()["field"] == "photos"
    assert Case.objects.count() == 0
    assert CaseAttachment.objects.count() == 0


def test_unknown_category_is_a_clear_error(client_for):
    response = client_for("worker_a1").post(URL, data=patrol_form(category="9999"))
    assert response.status_code == 400
    assert response.json() == {"detail": "事项编码 9999 不存在或已停用", "field": "category"}


def test_missing_category_is_accepted_for_later_classification(client_for):
    response = client_for("worker_a1").post(URL, data=patrol_form(category=""))
    assert response.status_code == 201
    assert Case.objects.get(pk=response.json()["id"]).item is None


def test_point_outside_the_jurisdiction_goes_to_the_top_level_with_a_flag(client_for, town):
    response = client_for("town_office").post(
        URL,
        data={
            "channel": "hotline",
            "external_number": "12345-2026-000001",
            "description": "热线来电:路灯不亮",
            "lon": str(OUTSIDE_POINT[0]),
            "lat": str(OUTSIDE_POINT[1]),
        },
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["outside_jurisdiction"] is True
    assert (body["grid"], body["level"]) == (town.town.code, "town")


def test_html_in_text_is_stored_as_text(client_for):
    text = "<script>alert('x')</script> 路面坑洼"
    response = client_for("worker_a1").post(URL, data=patrol_form(description=text))
    case_id = response.json()["id"]
    assert Case.objects.get(pk=case_id).description == text
    detail = client_for("worker_a1").get(f"{URL}{case_id}")
    assert detail.json()["description"] == text
    assert detail["Content-Type"].startswith("application/json")


def test_resident_reports_anonymously_and_follows_with_the_tracking_code(client, town):
    lon, lat = INSIDE[UNIT_A1]
    response = client.post(
        f"{URL}public",
        data={"description": "小区门口垃圾堆积", "lon": str(lon), "lat": str(lat)},
    )
    assert response.status_code == 201, response.content
    code = response.json()["tracking_code"]
    case = Case.objects.get(tracking_code=code)
    assert (case.channel, case.reporter, case.contact_phone) == ("resident", None, "")
    services.accept_case(case=case, by=town.user("village_a"))
    tracked = client.get(f"{URL}track/{code.lower()}")
    assert tracked.status_code == 200
    body = tracked.json()
    assert [s["kind"] for s in body["steps"]] == [EventKind.REPORT, EventKind.ACCEPT]
    assert "actor" not in json.dumps(body)
    assert client.get(f"{URL}track/NOSUCHCODE").status_code == 404
    # Staff endpoints stay closed to the public.
    assert client.get(f"{URL}{case.pk}").status_code == 401


def test_resident_contact_phone_is_validated(client, town):
    lon, lat = INSIDE[UNIT_A1]
    response = client.post(
        f"{URL}public",
        data={"description": "噪音", "lon": str(lon), "lat": str(lat), "contact_phone": "12"},
    )
    assert response.status_code == 400
    assert response.json()["field"] == "contact_phone"


def test_illegal_transition_answers_409_with_the_allowed_actions(client_for, report):
    case = report()
    response = post_json(client_for("village_a"), f"{URL}{case.pk}/callback", {"satisfaction": 5})
    assert response.status_code == 409
    body = response.json()
    assert body["state"] == S.REPORTED
    assert "accept" in body["allowed"]
    assert "callback" not in body["allowed"]
    assert body["detail"]


def test_stale_version_answers_409(client_for, report):
    case = report()
    client = client_for("village_a")
    assert post_json(client, f"{URL}{case.pk}/accept", {"version": case.version}).status_code == 200
    stale = post_json(client, f"{URL}{case.pk}/escalate", {"note": "上报", "version": case.version})
    assert stale.status_code == 409
    assert stale.json()["state"] == S.ACCEPTED


def test_actions_drive_the_case_and_the_detail_shows_the_timeline(client_for, report, town):
    case = report()
    village, office, handler = (client_for(u) for u in ("village_a", "town_office", "env_handler"))
    assert post_json(village, f"{URL}{case.pk}/accept", {"note": "属实"}).status_code == 200
    assert post_json(village, f"{URL}{case.pk}/escalate", {"note": "需环保所"}).status_code == 200
    response = post_json(office, f"{URL}{case.pk}/dispatch", {"department": town.env.pk, "days": 3})
    assert response.status_code == 200, response.content
    assert response.json()["state"] == S.DISPATCHED
    assert response.json()["allowed_actions"] == ["close", "urge", "supervise", "comment"]
    assert handler.get(f"{URL}{case.pk}").json()["allowed_actions"] == [
        "handle",
        "return",
        "extend",
        "comment",
    ]
    assert post_json(handler, f"{URL}{case.pk}/handle").status_code == 200
    response = handler.post(
        f"{URL}{case.pk}/feedback", data={"result": "已封堵排污口", "photos": png()}
    )
    assert response.status_code == 200, response.content
    detail = response.json()
    assert detail["state"] == S.FED_BACK
    feedback = [e for e in detail["timeline"] if e["kind"] == "feedback"][0]
    assert feedback["department"] == town.env.name
    assert len(feedback["attachments"]) == 1
    assert [e["kind"] for e in detail["timeline"]] == [
        "report",
        "accept",
        "escalate",
        "register",
        "dispatch",
        "handle",
        "feedback",
    ]
    assert detail["tasks"][0]["state"] == "fed_back"
    assert detail["timeline"][0]["actor"] == "worker_a1"


def test_handler_does_not_see_the_reporters_contact(client_for, report, town):
    case = report(contact_name="张三", contact_phone="13912345678")
    case = services.accept_case(case=case, by=town.user("village_a"))
    case = services.escalate_case(case=case, by=town.user("village_a"), note="上报")
    services.dispatch_case(case=case, by=town.user("town_office"), to=town.env)
    seen_by_handler = client_for("env_handler").get(f"{URL}{case.pk}").json()
    assert (seen_by_handler["contact_phone"], seen_by_handler["tracking_code"]) == ("", "")
    seen_by_office = client_for("town_office").get(f"{URL}{case.pk}").json()
    assert seen_by_office["contact_phone"] == "+8613912345678"


def test_list_filters_and_paginates(client_for, report, item):
    for i in range(5):
        report(description=f"排污 {i}")
    report(category="0501", description="暴露垃圾")
    report(by="worker_b1", point=INSIDE[UNIT_B1], description="B 网格")
    office = client_for("town_office")
    body = office.get(URL, {"page_size": 2}).json()
    assert (len(body["items"]), body["has_next"], body["count"]) == (2, True, None)
    assert office.get(URL, {"count": "true"}).json()["count"] == 7
    assert office.get(URL, {"category": "0501", "count": "true"}).json()["count"] == 1
    assert office.get(URL, {"category": "04", "count": "true"}).json()["count"] == 6
    assert office.get(URL, {"grid": UNIT_B1, "count": "true"}).json()["count"] == 1
    assert office.get(URL, {"status": "open", "count": "true"}).json()["count"] == 7
    assert office.get(URL, {"status": "closed", "count": "true"}).json()["count"] == 0
    assert office.get(URL, {"channel": "patrol", "count": "true"}).json()["count"] == 7
    assert office.get(URL, {"queue": "to_accept", "count": "true"}).json()["count"] == 0
    assert (
        client_for("village_a").get(URL, {"queue": "to_accept", "count": "true"}).json()["count"]
        == 6
    )
    assert (
        office.get(
            URL, {"created_from": "2026-06-08", "created_to": "2026-06-08", "count": "true"}
        ).json()["count"]
        == 7
    )
    assert office.get(URL, {"created_from": "2026-06-09", "count": "true"}).json()["count"] == 0
    assert client_for("worker_b1").get(URL, {"count": "true"}).json()["count"] == 1
    assert office.get(URL, {"status": "bogus"}).status_code == 400
    one = Case.objects.filter(grid__code=UNIT_B1).first()
    for text in (one.number, one.tracking_code.lower(), "B 网格"):
        found = office.get(URL, {"q": text}).json()["items"]
        assert [c["id"] for c in found] == [one.pk], text


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("status=bogus", "status"),
        ("channel=bogus", "channel"),
        ("level=bogus", "level"),
        ("queue=bogus", "queue"),
        ("order=bogus", "order"),
    ],
)
def test_an_unknown_filter_value_is_a_400_naming_it(client_for, query, field):
    """A filter that matches nothing because it is misspelt must not look like "no cases"."""
    response = client_for("town_office").get(f"/api/v1/cases/?{query}")
    assert response.status_code == 400
    assert response.json()["field"] == field
    assert "bogus" in response.json()["detail"]


def test_overdue_filter(client_for, report, town, clock):
    import datetime as dt

    from .conftest import SHANGHAI

    case = services.accept_case(case=report(), by=town.user("village_a"))
    case = services.escalate_case(case=case, by=town.user("village_a"), note="上报")
    services.dispatch_case(case=case, by=town.user("town_office"), to=town.env, days=1)
    report()
    office = client_for("town_office")
    assert office.get(URL, {"overdue": "true", "count": "true"}).json()["count"] == 0
    clock.move_to(dt.datetime(2026, 6, 10, 9, 0, tzinfo=SHANGHAI))
    body = office.get(URL, {"overdue": "true", "count": "true"}).json()
    assert body["count"] == 1
    assert body["items"][0]["overdue"] is True
    assert office.get(URL, {"overdue": "false", "count": "true"}).json()["count"] == 1


def test_list_query_count_does_not_grow_with_rows(
    client_for, report, django_assert_max_num_queries
):
    for i in range(12):
        report(description=f"第{i}件")
    for username in ("town_office", "worker_a1", "env_handler", "leader"):
        client = client_for(username)
        with django_assert_max_num_queries(8):
            response = client.get(URL, {"page_size": 50})
        assert response.status_code == 200


def test_detail_query_count_is_bounded(client_for, report, town, django_assert_max_num_queries):
    case = report()
    for i in range(5):
        services.comment_case(case=case, by=town.user("village_a"), note=f"跟进 {i}")
    client = client_for("town_office")
    with django_assert_max_num_queries(12):
        response = client.get(f"{URL}{case.pk}")
    assert len(response.json()["timeline"]) == 6


def test_queue_counts_and_task_list(client_for, report, town):
    case = services.accept_case(case=report(), by=town.user("village_a"))
    case = services.escalate_case(case=case, by=town.user("village_a"), note="上报")
    services.dispatch_case(case=case, by=town.user("town_office"), to=town.env)
    report()
    counts = client_for("village_a").get(f"{URL}queues").json()
    assert counts["to_accept"] == 1
    tasks = client_for("env_handler").get(f"{URL}tasks").json()
    assert [t["case"] for t in tasks] == [case.pk]
    assert tasks[0]["role"] == "lead"


def test_openapi_lists_every_action(client_for):
    schema = client_for("admin").get("/api/v1/openapi.json").json()
    paths = schema["paths"]
    for verb in (
        "accept",
        "reject",
        "merge",
        "classify",
        "register",
        "dispatch",
        "handle",
        "return",
        "feedback",
        "verify",
        "close",
        "transfer",
        "callback",
        "reopen",
        "escalate",
        "extend",
        "urge",
        "supervise",
        "comment",
    ):
        assert f"/api/v1/cases/{{case_id}}/{verb}" in paths, verb
    assert not any("patch" in ops for p, ops in paths.items() if p.startswith("/api/v1/cases"))


def test_events_of_api_actions_record_the_actor(client_for, report, town):
    case = report()
    post_json(client_for("village_a"), f"{URL}{case.pk}/reject", {"note": "误报"})
    event = CaseEvent.objects.get(case=case, kind=EventKind.REJECT)
    assert event.actor == town.user("village_a")
    assert event.note == "误报"
