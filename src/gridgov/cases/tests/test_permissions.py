"""The permission matrix: every role on every case endpoint, on a case inside its scope (200 when
the role may act, 403 when it may see but not act) and on one outside it (404, the same answer
as a missing case). Anonymous callers get 401 everywhere but the public intake and tracking."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from gridgov.cases import services
from gridgov.cases.models import Case, Channel, ExtensionRequest, MatterItem
from gridgov.cases.services import intake
from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_B1

pytestmark = pytest.mark.usefixtures("clock")

ROLES = ("admin", "town_office", "village_a", "worker_a1", "worker_b1", "env_handler", "leader")


@dataclass
class Ctx:
    town: Any
    case: Case
    extra: dict[str, Any] = field(default_factory=dict)


def _report(town, by="worker_a1", point=INSIDE[UNIT_A1], **kw) -> Case:
    return intake.report_case(
        by=town.user(by),
        channel=Channel.PATROL,
        description="违法排污",
        item=MatterItem.objects.get(code="0401"),
        lon=point[0],
        lat=point[1],
        **kw,
    ).case


def _state(town, upto: str) -> Ctx:
    """A case in grid A1 brought to `upto` through the services."""
    village, office, handler = (town.user(u) for u in ("village_a", "town_office", "env_handler"))
    case = _report(town)
    ctx = Ctx(town=town, case=case)
    steps: list[tuple[str, Callable[[Case], Any]]] = [
        ("accepted_village", lambda c: services.accept_case(case=c, by=village)),
        ("accepted_town", lambda c: services.escalate_case(case=c, by=village, note="上报")),
        ("dispatched", lambda c: services.dispatch_case(case=c, by=office, to=town.env)),
        ("handling", lambda c: services.handle_case(case=c, by=handler)),
        ("fed_back", lambda c: services.feedback_case(case=c, by=handler, result="已处理")),
        (
            "verified",
            lambda c: services.verify_case(case=c, by=town.user("worker_a1"), passed=True),
        ),
        ("closed", lambda c: services.close_case(case=c, by=office)),
        ("called_back", lambda c: services.callback_case(case=c, by=office, satisfaction=3)),
    ]
    if upto == "reported":
        return ctx
    for name, step in steps:
        ctx.case = step(ctx.case)
        if name == upto:
            return ctx
    if upto == "extension":
        ctx = _state(town, "handling")
        ctx.extra["extension"] = services.request_extension(
            case=ctx.case, by=handler, days=2, reason="需检测"
        )
        return ctx
    raise ValueError(upto)


@dataclass(frozen=True)
class Endpoint:
    name: str
    state: str
    allowed: frozenset[str]
    body: Callable[[Ctx], dict[str, Any]] = lambda ctx: {}
    form: bool = False
    method: str = "post"
    suffix: Callable[[Ctx], str] | None = None


def _merge_body(ctx: Ctx) -> dict[str, Any]:
    other = _report(ctx.town)
    return {"into": other.pk, "note": "重复"}


EVERYONE_IN_SCOPE = frozenset(
    {"admin", "town_office", "village_a", "worker_a1", "leader", "env_handler"}
)
ENDPOINTS = [
    Endpoint("detail", "dispatched", EVERYONE_IN_SCOPE, method="get"),
    Endpoint("accept", "reported", frozenset({"admin", "village_a"})),
    Endpoint("reject", "reported", frozenset({"admin", "village_a"}), lambda c: {"note": "无效"}),
    Endpoint(
        "classify", "reported", frozenset({"admin", "village_a"}), lambda c: {"category": "0402"}
    ),
    Endpoint("merge", "reported", frozenset({"admin", "village_a"}), _merge_body),
    Endpoint(
        "escalate",
        "accepted_village",
        frozenset({"admin", "village_a"}),
        lambda c: {"note": "上报"},
    ),
    Endpoint(
        "transfer",
        "accepted_village",
        frozenset({"admin", "village_a"}),
        lambda c: {"note": "转热线"},
    ),
    Endpoint("register", "accepted_town", frozenset({"admin", "town_office"})),
    Endpoint(
        "dispatch",
        "accepted_town",
        frozenset({"admin", "town_office"}),
        lambda c: {"department": c.town.env.pk},
    ),
    Endpoint("handle", "dispatched", frozenset({"admin", "env_handler"})),
    Endpoint(
        "return",
        "dispatched",
        frozenset({"admin", "env_handler"}),
        lambda c: {"reason": "not_ours", "note": "非本部门"},
    ),
    Endpoint(
        "extend",
        "handling",
        frozenset({"admin", "env_handler"}),
        lambda c: {"days": 2, "reason": "需检测"},
    ),
    Endpoint(
        "decide",
        "extension",
        frozenset({"admin", "town_office"}),
        lambda c: {"approve": True},
        suffix=lambda c: f"extensions/{c.extra['extension'].pk}/decide",
    ),
    Endpoint(
        "feedback",
        "handling",
        frozenset({"admin", "env_handler"}),
        lambda c: {"result": "已处理"},
        form=True,
    ),
    Endpoint(
        "verify",
        "fed_back",
        frozenset({"admin", "town_office", "village_a", "worker_a1"}),
        lambda c: {"passed": True},
    ),
    Endpoint("close", "verified", frozenset({"admin", "town_office"})),
    Endpoint(
        "callback", "closed", frozenset({"admin", "town_office"}), lambda c: {"satisfaction": 5}
    ),
    Endpoint(
        "reopen", "called_back", frozenset({"admin", "town_office"}), lambda c: {"note": "不满意"}
    ),
    # Held by the town (dispatched there): the village below may not urge or supervise it.
    Endpoint(
        "urge",
        "dispatched",
        frozenset({"admin", "town_office"}),
        lambda c: {"note": "请加快"},
    ),
    # Held by the town (dispatched there): the village below may not urge or supervise it.
    Endpoint(
        "supervise",
        "dispatched",
        frozenset({"admin", "town_office"}),
        lambda c: {"note": "督办"},
    ),
    Endpoint(
        "comment",
        "dispatched",
        frozenset({"admin", "town_office", "village_a", "worker_a1", "env_handler"}),
        lambda c: {"note": "跟进"},
        form=True,
    ),
]
PRE_DISPATCH = {"reported", "accepted_village", "accepted_town"}


def _url(endpoint: Endpoint, ctx: Ctx, case_id: int) -> str:
    if endpoint.name == "detail":
        return f"/api/v1/cases/{case_id}"
    suffix = endpoint.suffix(ctx) if endpoint.suffix else endpoint.name
    return f"/api/v1/cases/{case_id}/{suffix}"


def _call(client, endpoint: Endpoint, url: str, body: dict[str, Any]):
    if endpoint.method == "get":
        return client.get(url)
    if endpoint.form:
        return client.post(url, data=body)
    return client.post(url, data=json.dumps(body), content_type="application/json")


def _expected_inside(endpoint: Endpoint, role: str) -> int:
    if role == "env_handler" and endpoint.state in PRE_DISPATCH:
        return 404  # no assignment of the department yet: invisible
    return 200 if role in endpoint.allowed else 403


# worker_b1's scope holds no case of village A: its checks are the outside ones below.
@pytest.mark.parametrize("role", [r for r in ROLES if r != "worker_b1"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_role_on_a_case_inside_its_scope(town, client_for, endpoint, role):
    expected = _expected_inside(endpoint, role)
    ctx = _state(town, endpoint.state)
    response = _call(
        client_for(role), endpoint, _url(endpoint, ctx, ctx.case.pk), endpoint.body(ctx)
    )
    assert response.status_code == expected, response.content
    if expected == 403:
        assert set(response.json()) == {"detail"}


def _outside_case(town, role: str) -> Case:
    """A case of the neighbour: grid B1 for the village A people, A1 for worker_b1, an
    undispatched case for the handler, a case of another town for the town-wide roles."""
    if role == "worker_b1":
        return _report(town)
    if role in {"village_a", "worker_a1", "env_handler"}:
        return _report(town, by="worker_b1", point=INSIDE[UNIT_B1])
    return _other_town_case(town)


def _other_town_case(town) -> Case:
    from shapely.geometry import box

    from gridgov.grids.models import Region
    from gridgov.grids.services import create_grid, create_region

    county = Region.objects.get(code="410182000000")
    region = create_region(code="410182101", name="高山镇", parent=county)
    top = create_grid(
        code="410182101000",
        name="高山镇",
        level=town.town.level,
        region=region,
        boundary=box(113.6, 34.6, 113.7, 34.7),
    )
    return intake.report_case(
        by=town.user("admin"),
        channel=Channel.HOTLINE,
        external_number="OUT-1",
        description="外镇案件",
        grid_code=top.code,
    ).case


@pytest.mark.parametrize("role", [r for r in ROLES if r != "admin"])
@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_role_on_a_case_outside_its_scope_gets_404(town, client_for, endpoint, role):
    ctx = Ctx(town=town, case=_outside_case(town, role))
    if endpoint.name == "decide":
        ctx.extra["extension"] = ExtensionRequest(pk=999999)
    body = {} if endpoint.name == "merge" else endpoint.body(ctx)
    if endpoint.name == "merge":
        body = {"into": ctx.case.pk, "note": "重复"}
    response = _call(client_for(role), endpoint, _url(endpoint, ctx, ctx.case.pk), body)
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "未找到"}


@pytest.mark.parametrize("endpoint", ENDPOINTS, ids=lambda e: e.name)
def test_anonymous_gets_401(town, client, endpoint):
    ctx = Ctx(town=town, case=_report(town))
    if endpoint.name == "decide":
        ctx.extra["extension"] = ExtensionRequest(pk=1)
    response = _call(client, endpoint, _url(endpoint, ctx, ctx.case.pk), {})
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("role", "count"),
    [
        ("admin", 4),
        ("town_office", 4),
        ("leader", 4),
        ("village_a", 2),
        ("worker_a1", 2),
        ("worker_b1", 2),
        ("env_handler", 1),
    ],
)
def test_list_shows_only_the_cases_in_scope(town, client_for, role, count):
    _report(town)
    dispatched = _state(town, "dispatched").case
    _report(town, by="worker_b1", point=INSIDE[UNIT_B1])
    _report(town, by="admin", point=INSIDE[UNIT_B1])
    ids = {
        c["id"] for c in client_for(role).get("/api/v1/cases/", {"page_size": 100}).json()["items"]
    }
    assert len(ids) == count
    if role == "env_handler":
        assert ids == {dispatched.pk}


def test_worker_sees_the_case_they_reported_outside_their_grid(town, client_for):
    case = _report(town, point=INSIDE[UNIT_B1])
    assert case.grid.code == UNIT_B1
    assert client_for("worker_a1").get(f"/api/v1/cases/{case.pk}").status_code == 200
    assert client_for("village_a").get(f"/api/v1/cases/{case.pk}").status_code == 404


def test_catalogue_import_is_for_admins_only(client_for):
    import io

    upload = io.BytesIO(b"x")
    upload.name = "c.xlsx"
    response = client_for("town_office").post("/api/v1/cases/catalogue.xlsx", data={"file": upload})
    assert response.status_code == 403


def test_leader_cannot_report(town, client_for):
    lon, lat = INSIDE[UNIT_A1]
    data = {"description": "x", "lon": str(lon), "lat": str(lat)}
    assert client_for("leader").post("/api/v1/cases/", data=data).status_code == 403
    assert client_for("worker_a1").post("/api/v1/cases/", data=data).status_code == 201


@pytest.mark.parametrize("action", ["urge", "supervise"])
def test_urging_and_supervising_go_down_the_levels_never_up(town, client_for, action):
    """A village may urge the cases its own platform holds, the town those of its villages too,
    but a village may not urge or supervise a case the town holds (issue 3 review)."""
    case = services.accept_case(case=_report(town), by=town.user("village_a"))  # at the village
    for role, expected in (
        ("village_a", 200),
        ("town_office", 200),
        ("admin", 200),
        ("worker_a1", 403),
        ("leader", 403),
    ):
        response = client_for(role).post(
            f"/api/v1/cases/{case.pk}/{action}",
            data=json.dumps({"note": "请加快"}),
            content_type="application/json",
        )
        assert response.status_code == expected, (role, response.content)
    at_town = services.escalate_case(case=case, by=town.user("village_a"), note="上报")
    response = client_for("village_a").post(
        f"/api/v1/cases/{at_town.pk}/{action}",
        data=json.dumps({"note": "请加快"}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert action not in services.allowed_actions(
        Case.objects.get(pk=at_town.pk), town.user("village_a")
    )
    assert action in services.allowed_actions(
        Case.objects.get(pk=at_town.pk), town.user("town_office")
    )


def test_verification_is_for_levels_between_the_grid_and_the_case_never_above(town, client_for):
    """Seed 003: the reporting worker or the acceptance centre checks the result on site; the
    town holding the case may too. A county operator above the town supervises the town's
    cases but does not verify them, and they stay out of its to-verify queue."""
    from gridgov.cases import queues
    from gridgov.core.jurisdiction import Role
    from gridgov.grids.models import Region
    from gridgov.people.services import create_user, grant_role

    county_office = create_user(username="county_op", password="x-2026-county")
    grant_role(user=county_office, role=Role.OFFICE, region=Region.objects.get(code="410182000000"))
    fed_back = _state(town, "fed_back").case  # held by the town
    for role, may in (
        ("worker_a1", True),
        ("village_a", True),
        ("town_office", True),
        ("admin", True),
        ("county_op", False),
        ("leader", False),
    ):
        user = town.user(role)
        assert ("verify" in services.allowed_actions(fed_back, user)) is may, role
        in_queue = queues.to_verify(user).filter(pk=fed_back.pk).exists()
        assert in_queue is (may and role != "leader"), role
    response = client_for("county_op").post(
        f"/api/v1/cases/{fed_back.pk}/verify",
        data=json.dumps({"passed": True}),
        content_type="application/json",
    )
    assert response.status_code == 403
    assert "supervise" in services.allowed_actions(fed_back, county_office)
