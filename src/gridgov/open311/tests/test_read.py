"""Reading operations in both formats: discovery, services, service definitions, requests and
the FixMyStreet updates, checked against the published JSON Schemas and the spec's XML."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from gridgov.cases import services
from gridgov.cases.models import Case, Channel, MatterItem
from gridgov.cases.services import intake
from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_A2
from gridgov.open311.tests.conftest import xml_dict

pytestmark = pytest.mark.django_db

FORMATS = ["xml", "json"]


def resident_case(**extra):
    """A resident's own report: its contact, its words and its exact point are not published."""
    defaults = {
        "by": None,
        "channel": Channel.RESIDENT,
        "description": "我家楼下张三的作坊排污,电话13812345678",
        "item": MatterItem.objects.get(code="0401"),
        "lon": INSIDE[UNIT_A1][0] + 0.00123,
        "lat": INSIDE[UNIT_A1][1] + 0.00045,
        "address": "王村12号",
        "contact_name": "李四",
        "contact_phone": "13812345678",
    }
    defaults.update(extra)
    return intake.report_case(**defaults).case


def test_discovery_lists_the_v2_endpoint_in_both_formats(call):
    data = call("GET", "discovery", "json")
    (endpoint,) = data["endpoints"]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"].endswith("/open311/v2")
    assert set(endpoint["formats"]) == {"text/xml", "application/json"}
    root = call("GET", "discovery", "xml")
    assert root.tag == "discovery"
    endpoint_xml = root.find("endpoints/endpoint")
    assert endpoint_xml is not None
    assert [f.text for f in endpoint_xml.findall("formats/format")] == [
        "text/xml",
        "application/json",
    ]


def test_services_are_the_catalogue_items_and_match_the_schema(call, schemas, attributes):
    data = call("GET", "services", "json")
    schemas["services"].validate(data)
    by_code = {s["service_code"]: s for s in data}
    assert len(by_code) == MatterItem.objects.active().count()
    item = MatterItem.objects.select_related("matter_class").get(code="0401")
    assert by_code["0401"] == {
        "service_code": "0401",
        "service_name": item.name,
        "description": item.description or item.name,
        "metadata": True,
        "type": "realtime",
        "keywords": item.matter_class.name,
        "group": item.matter_class.name,
    }
    # JSON booleans, as the schema says; items without questions have metadata false.
    assert by_code["0101"]["metadata"] is False


def test_services_xml_has_the_spec_elements_and_text_booleans(call, attributes):
    root = call("GET", "services", "xml")
    assert root.tag == "services"
    services_xml = root.findall("service")
    assert len(services_xml) == MatterItem.objects.active().count()
    first = {xml_dict(s)["service_code"]: xml_dict(s) for s in services_xml}["0401"]
    assert set(first) == {
        "service_code",
        "service_name",
        "description",
        "metadata",
        "type",
        "keywords",
        "group",
    }
    assert first["metadata"] == "true"
    assert first["service_name"] == "违法排污(废水、废气)"  # Chinese in UTF-8


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_lists_the_items_questions(call, schemas, attributes, fmt):
    if fmt == "json":
        data = call("GET", "services/0401", "json")
        schemas["service-definition"].validate(data)
        assert data["service_code"] == "0401"
        smell, first_seen, source = data["attributes"]
        assert smell == {
            "variable": True,
            "code": "smell",
            "datatype": "singlevaluelist",
            "required": True,
            "datatype_description": None,
            "order": 1,
            "description": "气味程度",
            "values": [
                {"key": "slight", "name": "轻微"},
                {"key": "strong", "name": "明显"},
                {"key": "pungent", "name": "刺鼻"},
            ],
        }
        assert (first_seen["datatype"], first_seen["required"]) == ("datetime", False)
        assert source["datatype"] == "string"
        return
    root = call("GET", "services/0505", "xml")
    assert root.tag == "service_definition"
    assert root.findtext("service_code") == "0505"
    attrs = root.findall("attributes/attribute")
    assert [a.findtext("datatype") for a in attrs] == ["number", "multivaluelist", "text"]
    assert attrs[0].findtext("required") == "true"
    assert attrs[0].findtext("variable") == "true"
    values = attrs[1].findall("values/value")
    assert [(v.findtext("key"), v.findtext("name")) for v in values][0] == (
        "traffic",
        "影响车辆通行",
    )


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_is_404_error_list(call, fmt):
    answer = call("GET", "services/9999", fmt, expect=404)
    if fmt == "json":
        assert answer[0]["code"] == 404
        assert "9999" in answer[0]["description"]
    else:
        assert answer.tag == "errors"
        assert answer.findtext("error/code") == "404"


def test_a_reported_case_is_hidden_until_accepted_then_shown_without_personal_data(
    call, schemas, town
):
    case = resident_case()
    assert call("GET", "requests", "json") == []
    case = services.accept_case(case=case, by=town.user("village_a"), note="内部备注:核实人王五")
    data = call("GET", "requests", "json")
    schemas["requests"].validate(data)
    (row,) = data
    text = str(data)
    for secret in ("13812345678", "李四", "张三", "王村12号", "王五", "内部备注"):
        assert secret not in text
    assert row["service_request_id"] == case.number
    assert row["status"] == "open"
    assert row["description"] == "违法排污(废水、废气)"
    assert row["address"] == town.a1.name
    # A resident's own point is rounded to about 100 m.
    assert row["lat"] == round(case.lat, 3)
    assert row["long"] == round(case.lon, 3)
    assert row["media_url"] is None
    assert row["requested_datetime"].endswith("+08:00")
    assert dt.datetime.fromisoformat(row["requested_datetime"]) == case.created_at.replace(
        microsecond=0
    )
    assert "受理" in row["status_notes"]


def test_requests_xml_has_the_spec_fields_in_order(call, town):
    case = resident_case()
    services.accept_case(case=case, by=town.user("village_a"), note="")
    root = call("GET", "requests", "xml")
    assert root.tag == "service_requests"
    (request,) = root.findall("request")
    assert [child.tag for child in request] == [
        "service_request_id",
        "status",
        "status_notes",
        "service_name",
        "service_code",
        "description",
        "agency_responsible",
        "service_notice",
        "requested_datetime",
        "updated_datetime",
        "expected_datetime",
        "address",
        "address_id",
        "zipcode",
        "lat",
        "long",
        "media_url",
    ]
    fields = xml_dict(request)
    assert fields["service_request_id"] == case.number
    assert fields["service_name"] == "违法排污(废水、废气)"
    assert fields["media_url"] == ""


def test_requests_filters_by_ids_code_status_dates_and_pages(
    call, town, django_assert_max_num_queries, settings
):
    village = town.user("village_a")
    water = resident_case()
    noise = resident_case(
        item=MatterItem.objects.get(code="0404"), lon=INSIDE[UNIT_A2][0], lat=INSIDE[UNIT_A2][1]
    )
    for case in (water, noise):
        services.accept_case(case=case, by=village, note="")
    ids = f"{water.number},{noise.number},20200101999"
    assert {
        r["service_request_id"] for r in call("GET", "requests", "json", service_request_id=ids)
    } == {
        water.number,
        noise.number,
    }
    assert [r["service_code"] for r in call("GET", "requests", "json", service_code="0404")] == [
        "0404"
    ]
    assert call("GET", "requests", "json", status="closed") == []
    assert len(call("GET", "requests", "json", status="open,closed")) == 2
    later = (timezone.now() + dt.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    assert call("GET", "requests", "json", start_date=later) == []
    page_one = call("GET", "requests", "json", page_size=1)
    page_two = call("GET", "requests", "json", page_size=1, page=2)
    assert {page_one[0]["service_request_id"], page_two[0]["service_request_id"]} == {
        water.number,
        noise.number,
    }
    # The budget is the listing's own queries: the per-address read throttle counts in the
    # shared cache, which is the database by default (its queries are not the listing's).
    settings.CACHES = {
        **settings.CACHES,
        "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    }
    with django_assert_max_num_queries(6):
        call("GET", "requests", "xml")
    with django_assert_max_num_queries(6):
        call("GET", "requests", "xml", service_request_id=ids)


@pytest.mark.parametrize(
    ("params", "word"),
    [
        ({"start_date": "2026-01-01T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "90"),
        ({"start_date": "yesterday"}, "start_date"),
        ({"status": "pending"}, "status"),
        ({"page_size": "5000"}, "page_size"),
        ({"page": "0"}, "page"),
        ({"start_date": "2026-06-02T00:00:00Z", "end_date": "2026-06-01T00:00:00Z"}, "end_date"),
    ],
)
@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_query_is_400_error_list(call, params, word, fmt):
    answer = call("GET", "requests", fmt, expect=400, **params)
    description = (
        answer[0]["description"] if fmt == "json" else answer.findtext("error/description")
    )
    assert word in description


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_by_id_and_missing_one(call, town, fmt, schemas):
    case = resident_case()
    # Not yet accepted: as missing as a number that never existed.
    call("GET", f"requests/{case.number}", fmt, expect=404)
    services.accept_case(case=case, by=town.user("village_a"), note="")
    answer = call("GET", f"requests/{case.number}", fmt)
    if fmt == "json":
        schemas["requests"].validate(answer)
        assert answer[0]["service_request_id"] == case.number
    else:
        assert answer.findtext("request/service_request_id") == case.number
    call("GET", "requests/2026010100000000", fmt, expect=404)
    call("GET", "requests/not-a-number", fmt, expect=404)


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_jurisdiction_is_404_and_the_deployments_is_accepted(call, fmt, town):
    call("GET", "services", fmt, expect=404, jurisdiction_id="sf.gov")
    from gridgov.grids.models import Region

    root = Region.objects.get(
        parent__isnull=True, pk__in=[r.pk for r in town.a1.region.ancestors(include_self=True)]
    )
    call("GET", "services", fmt, jurisdiction_id=root.code)


def test_configured_jurisdiction_replaces_the_default(call, settings):
    settings.GRIDGOV_OPEN311_JURISDICTION = "wangcun.example.cn"
    call("GET", "services", "json", jurisdiction_id="wangcun.example.cn")
    call("GET", "services", "json", expect=404, jurisdiction_id="410182")


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_paths_and_methods_answer_error_lists_not_pages(client, fmt):
    response = client.get(f"/open311/v2/nothing.{fmt}")
    assert response.status_code == 404
    assert b"<html" not in response.content.lower()
    response = client.get("/open311/whatever")
    assert response.status_code == 404
    assert response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?>\n<errors>') or (
        response.content.startswith(b'<?xml version="1.0" encoding="utf-8"?><errors>')
    )
    response = client.delete(f"/open311/v2/services.{fmt}")
    assert response.status_code == 400


def test_server_error_is_an_error_list(client, monkeypatch):
    from gridgov.open311 import queries

    def broken():
        raise RuntimeError("boom")

    monkeypatch.setattr(queries, "services", broken)
    response = client.get("/open311/v2/services.json")
    assert response.status_code == 500
    assert response.json()[0]["code"] == 500
    assert "boom" not in response.content.decode()
    response = client.get("/open311/v2/services.xml")
    assert response.status_code == 500
    assert b"<errors><error><code>500</code>" in response.content


@pytest.mark.parametrize("fmt", FORMATS)
def test_request_updates_list_public_steps_since_a_time(call, town, fmt):
    case = resident_case()
    services.accept_case(case=case, by=town.user("village_a"), note="内部备注")
    start = (timezone.now() - dt.timedelta(hours=1)).isoformat()
    answer = call("GET", "servicerequestupdates", fmt, start_date=start)
    if fmt == "json":
        steps = [(u["service_request_id"], u["status"], u["external_status_code"]) for u in answer]
        assert steps == [
            (case.number, "open", "reported"),
            (case.number, "investigating", "accepted"),
        ]
        assert "内部备注" not in str(answer)
    else:
        assert answer.tag == "service_request_updates"
        updates = answer.findall("request_update")
        assert [u.findtext("status") for u in updates] == ["open", "investigating"]
        assert [c.tag for c in updates[0]] == [
            "update_id",
            "service_request_id",
            "status",
            "updated_datetime",
            "description",
            "media_url",
            "external_status_code",
        ]
    assert Case.objects.count() == 1
