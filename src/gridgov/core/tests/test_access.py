"""Access control, checked across the whole project (STYLE: deny by default).

(a) Every URL is walked: every ninja operation must require a log-in unless it is on the
    public allowlist below, and every Django view must be behind `login_required` (or an
    access mixin) unless it is on the view allowlist. A new public route fails this test until
    someone writes down why it is public.
(b) A route × role matrix over the scoped GET detail routes: for every member of the cast, an
    object in their scope answers 200 and a neighbour's answers 404 with exactly the body of a
    missing object (existence never leaks). Every authenticated GET detail route of the API
    must be in the matrix or listed as not scoped, so new routes join it.

Extending from another app, without editing this file: add `gridgov/<app>/tests/access_routes.py`
with any of
    ROUTES = {"/api/v1/cases/<int:case_id>": make_case_url}   # route -> maker(anchor) -> url
    NOT_SCOPED = {"/api/v1/...": "why this detail route has no scope"}
    PUBLIC_OPERATIONS = {"POST /api/v1/...": "why anyone may call it"}
    PUBLIC_VIEWS = {"url_name": "why anyone may open it"}
A maker receives an `Anchor` (`.grid`: Grid or None, `.department`: Department or None),
creates one object of its route at that place inside the test transaction, and returns its URL;
it returns None when its objects cannot live at that kind of place.
"""

from __future__ import annotations

import importlib
import importlib.util
import itertools
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import pytest
from django.contrib.auth.mixins import AccessMixin
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from ninja.operation import PathView
from shapely.geometry import box

from gridgov.core.testing.town import EAST, NORTH, SOUTH, UNIT_A1, UNIT_A2, UNIT_B1, UNIT_B2
from gridgov.grids.models import Grid, GridLevel, Region
from gridgov.grids.services import create_grid, create_region
from gridgov.people.models import Department, DepartmentKind, DepartmentLevel, PostKind
from gridgov.people.services import add_liaison, assign_post, create_department, create_staff

# --- (a) allowlists: every entry says why it is public ------------------------------------------

# Ninja operations that need no log-in, as "METHOD /route" (Django route syntax).
PUBLIC_OPERATIONS: dict[str, str] = {
    # A grid's public board (公示牌) is posted in the street: names, posts, phones and the
    # hotline are public by design (seed 002: 向社会公示, 接受群众监督; seed 003).
    "GET /api/v1/people/boards/<code>": "public grid board",
    # Residents report without an account and follow their case by its tracking code
    # (seed 002: 统一受理; DOMAIN: sources include residents).
    "POST /api/v1/cases/public": "resident report (no account)",
    "GET /api/v1/cases/track/<code>": "resident follows their own case by tracking code",
    # Point → grid for the residents' report page; it reveals no more than the public boards.
    "GET /api/v1/grids/locate": "locate one point (resident report)",
    "POST /api/v1/grids/locate": "locate a batch of points (resident report, outside apps)",
}

# Django views that need no log-in, by URL name (namespace:name) or, if unnamed, by route.
PUBLIC_VIEWS: dict[str, str] = {
    "login": "the log-in page itself",
    "logout": "logging out needs no session (POST only)",
    "set_language": "switching the UI language (zh-hans/en) before logging in",
    "api:openapi-json": "the API's OpenAPI description; it contains no data",
    "api:openapi-view": "the API's documentation page; it contains no data",
    "api:api-root": "ninja's API root: answers 404 for everything",
    # Public boards (公示牌) as pages and printable PDFs: public by design (seed 002/003).
    "board": "a grid's public board page",
    "board_pdf": "a grid's printable public board",
    # Residents without an account: the report form, the grid outlines its map shows (the
    # same outlines the boards post), and their own case by its secret tracking code.
    "resident_report": "resident report form",
    "resident_grids": "grid outlines for the resident's map",
    "track": "tracking-code entry form",
    "track_detail": "the resident's own case, by tracking code",
    "track_photo": "photos of the resident's own report, by tracking code",
}
# The admin site checks is_staff itself and sends anyone else to its own log-in page.
PUBLIC_NAMESPACES = {"admin": "Django admin: guarded by AdminSite.admin_view"}


def _app_modules() -> Iterator[object]:
    from django.apps import apps

    # App packages, not INSTALLED_APPS entries (some name an AppConfig class).
    for app in (config.name for config in apps.get_app_configs()):
        if app.startswith("gridgov.") and importlib.util.find_spec(f"{app}.tests") is not None:
            name = f"{app}.tests.access_routes"
            if importlib.util.find_spec(name) is not None:
                yield importlib.import_module(name)


def _collected(attr: str, base: dict) -> dict:
    merged = dict(base)
    for module in _app_modules():
        merged.update(getattr(module, attr, {}))
    return merged


@dataclass(frozen=True)
class Route:
    route: str  # "/api/v1/people/posts/<int:post_id>"
    name: str  # "api:…" or "login"
    callback: Callable
    namespace: str = ""  # "admin:" for the admin site's pages, named or not

    @property
    def path_view(self) -> PathView | None:
        for cell in getattr(self.callback, "__closure__", None) or ():
            if isinstance(cell.cell_contents, PathView):
                return cell.cell_contents
        return None


def _walk(patterns: list, prefix: str = "/", namespace: str = "") -> Iterator[Route]:
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = namespace
            if p.namespace:
                ns = f"{namespace}{p.namespace}:"
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            name = f"{namespace}{p.name}" if p.name else ""
            yield Route(prefix + str(p.pattern), name, p.callback, namespace)


def all_routes() -> list[Route]:
    return list(_walk(get_resolver().url_patterns))


def ninja_operations() -> Iterator[tuple[Route, str, object]]:
    """(route, METHOD, operation) for every operation behind every URL."""
    for route in all_routes():
        view = route.path_view
        if view is None:
            continue
        for op in view.operations:
            for method in op.methods:
                yield route, method.upper(), op


def _sample_url(route: str) -> str:
    def fill(match: re.Match[str]) -> str:
        converter = (match.group(1) or "str").rstrip(":")
        return {"int": "1", "uuid": str(uuid.uuid4()), "slug": "x", "path": "x"}.get(converter, "x")

    return re.sub(r"<(\w+:)?\w+>", fill, route)


def test_the_walk_finds_the_api_and_the_pages():
    routes = all_routes()
    assert any(r.path_view is not None for r in routes), "no ninja operation found: walk broken"
    assert any(r.name == "login" for r in routes)


def test_every_public_api_operation_is_on_the_allowlist():
    allowed = _collected("PUBLIC_OPERATIONS", PUBLIC_OPERATIONS)
    public = {
        f"{method} {route.route}"
        for route, method, op in ninja_operations()
        if not op.auth_callbacks  # type: ignore[attr-defined]
    }
    unexpected = sorted(public - set(allowed))
    assert not unexpected, (
        "API operations without auth (add auth, or list them with a reason in "
        f"PUBLIC_OPERATIONS): {unexpected}"
    )


@pytest.mark.django_db
def test_every_protected_api_operation_answers_401_to_anonymous():
    client = Client()
    failures = []
    for route, method, op in ninja_operations():
        if not op.auth_callbacks:  # type: ignore[attr-defined]
            continue
        response = client.generic(method, _sample_url(route.route))
        if response.status_code != 401:
            failures.append((method, route.route, response.status_code))
    assert not failures


def _protected_view(callback: Callable) -> bool:
    # user_passes_test (hence login_required and permission_required) marks its wrapper with
    # login_url; functools.wraps carries the mark through further decorators.
    if hasattr(callback, "login_url"):
        return True
    view_class = getattr(callback, "view_class", None)
    return view_class is not None and issubclass(view_class, AccessMixin)


def _public_view_key(route: Route) -> str:
    return route.name or route.route


def test_every_django_view_requires_log_in_or_is_on_the_allowlist():
    allowed = _collected("PUBLIC_VIEWS", PUBLIC_VIEWS)
    unexpected = []
    for route in all_routes():
        if route.path_view is not None:
            continue
        if route.namespace.split(":")[0] in PUBLIC_NAMESPACES:
            continue
        if _protected_view(route.callback) or _public_view_key(route) in allowed:
            continue
        unexpected.append(_public_view_key(route))
    assert not unexpected, (
        "views without login_required (protect them, or list them with a reason in "
        f"PUBLIC_VIEWS): {sorted(unexpected)}"
    )


@pytest.mark.django_db
def test_protected_pages_send_anonymous_visitors_to_log_in():
    client = Client()
    failures = []
    for route in all_routes():
        if route.path_view is not None or not _protected_view(route.callback):
            continue
        if route.namespace.split(":")[0] in PUBLIC_NAMESPACES:
            continue
        if route.route.startswith("/^") or "(?P" in route.route:
            continue  # regex routes: covered by the static check above
        response = client.get(_sample_url(route.route))
        if response.status_code == 405:  # POST-only actions: ask the way they are meant
            response = client.post(_sample_url(route.route))
        location = response.headers.get("Location", "")
        if response.status_code != 302 or "login" not in location:
            failures.append((route.route, response.status_code, location))
    assert not failures


# --- (b) the route × role matrix ----------------------------------------------------------------


@dataclass(frozen=True)
class Anchor:
    """A place where a test object lives: a grid, or a department."""

    grid: Grid | None = None
    department: Department | None = None


_serial = itertools.count(1)


def _staff_at(anchor: Anchor):
    n = next(_serial)
    if anchor.grid is not None:
        staff = create_staff(name=f"矩阵志愿者{n}")
        post = assign_post(staff=staff, kind=PostKind.VOLUNTEER, grid=anchor.grid)
    else:
        staff = create_staff(name=f"矩阵处置员{n}", department=anchor.department)
        post = assign_post(staff=staff, kind=PostKind.HANDLER, department=anchor.department)
    return staff, post


def _post_url(anchor: Anchor) -> str:
    return f"/api/v1/people/posts/{_staff_at(anchor)[1].pk}"


def _staff_url(anchor: Anchor) -> str:
    return f"/api/v1/people/staff/{_staff_at(anchor)[0].pk}"


def _liaison_url(anchor: Anchor) -> str:
    staff, _post = _staff_at(anchor)
    if anchor.grid is not None:
        liaison = add_liaison(staff=staff, kind="leader", grid=anchor.grid)
    else:
        assert anchor.department is not None
        liaison = add_liaison(staff=staff, kind="department", region=anchor.department.region)
    return f"/api/v1/people/liaisons/{liaison.pk}"


def _department_url(anchor: Anchor) -> str:
    department = anchor.department
    if department is None:
        assert anchor.grid is not None
        # A village-level unit (村委会) of the anchor grid's own region.
        department = create_department(
            code=f"MATRIX-{next(_serial)}",
            name="村两委",
            kind=DepartmentKind.OTHER,
            level=DepartmentLevel.VILLAGE,
            region=anchor.grid.region,
        )
    return f"/api/v1/people/departments/{department.pk}"


def _grid_url(anchor: Anchor) -> str | None:
    return f"/api/v1/grids/{anchor.grid.code}" if anchor.grid is not None else None


def _region_url(anchor: Anchor) -> str | None:
    # The region a grid belongs to (its village): seen by whoever sees the grid's subtree.
    return f"/api/v1/grids/regions/{anchor.grid.region.code}" if anchor.grid is not None else None


def _case_url(anchor: Anchor) -> str | None:
    """A resident's report located in the anchor grid. Department queues (a case dispatched to
    a department) belong to the cases app's own access_routes, if it adds them."""
    if anchor.grid is None:
        return None
    from gridgov.cases.models import Channel
    from gridgov.cases.services.intake import report_case

    intake = report_case(
        by=None,
        channel=Channel.RESIDENT,
        description="路灯不亮(访问矩阵测试)",
        grid_code=anchor.grid.code,
    )
    return f"/api/v1/cases/{intake.case.pk}"


# Scoped GET detail routes of grids and people; other apps add theirs via access_routes.py.
ROUTES: dict[str, Callable[[Anchor], str | None]] = {
    "/api/v1/grids/<code>": _grid_url,
    "/api/v1/grids/regions/<code>": _region_url,
    "/api/v1/cases/<int:case_id>": _case_url,
    "/api/v1/people/posts/<int:post_id>": _post_url,
    "/api/v1/people/staff/<int:staff_id>": _staff_url,
    "/api/v1/people/liaisons/<int:liaison_id>": _liaison_url,
    "/api/v1/people/departments/<int:department_id>": _department_url,
}

# Authenticated GET detail routes that are not scoped objects (with the reason).
NOT_SCOPED: dict[str, str] = {
    # Notifications belong to one recipient, not to a place: the inbox filters by recipient.
    "/api/v1/inbox/<int:notification_id>": "a user's own notification (recipient filter)",
}

NEIGHBOUR_TOWN = "410182101000"
NEIGHBOUR_UNIT = "410182101201001"

# Each member of the cast: a place inside their scope, and a neighbour's place outside it.
CAST_PLACES: dict[str, tuple[tuple[str, str], tuple[str, str] | None]] = {
    "admin": (("grid", NEIGHBOUR_UNIT), None),
    "town_office": (("grid", UNIT_B2), ("grid", NEIGHBOUR_UNIT)),
    "leader": (("grid", UNIT_A2), ("grid", NEIGHBOUR_UNIT)),
    "village_a": (("grid", UNIT_A2), ("grid", UNIT_B2)),
    "worker_a1": (("grid", UNIT_A1), ("grid", UNIT_B1)),
    "worker_b1": (("grid", UNIT_B1), ("grid", UNIT_A1)),
    "env_handler": (("department", "410182100-ENV"), ("department", "410182100-POLICE")),
}


def build_neighbour_town() -> None:
    """A second town east of the cast's (高山镇), so town-wide users have a neighbour too."""
    county = Region.objects.get(code="410182000000")
    town_region = create_region(code="410182101", name="高山镇", parent=county)
    village_region = create_region(code="410182101201", name="东村", parent=town_region)
    levels = list(GridLevel.objects.order_by("depth"))
    town = create_grid(
        code=NEIGHBOUR_TOWN,
        name="高山镇",
        level=levels[0],
        region=town_region,
        boundary=box(EAST, SOUTH, EAST + 0.04, NORTH),
    )
    village = create_grid(
        code="410182101201",
        name="东村",
        level=levels[1],
        region=village_region,
        parent=town,
        boundary=box(EAST, SOUTH, EAST + 0.04, NORTH),
    )
    create_grid(
        code=NEIGHBOUR_UNIT,
        name="东村第1网格",
        level=levels[-1],
        region=village_region,
        parent=village,
        boundary=box(EAST, SOUTH, EAST + 0.04, NORTH),
    )


def _anchor(place: tuple[str, str]) -> Anchor:
    kind, code = place
    if kind == "grid":
        return Anchor(grid=Grid.objects.select_related("region", "level").get(code=code))
    return Anchor(department=Department.objects.select_related("region").get(code=code))


def all_detail_routes() -> dict[str, Callable[[Anchor], str | None]]:
    return _collected("ROUTES", ROUTES)


# Known gaps, reported to their owners; strict, so the entry must go when the gap is fixed.
KNOWN_GAPS: dict[tuple[str, str, str], str] = {}


def _matrix() -> list:
    cases = []
    for route in sorted(all_detail_routes()):
        for username in CAST_PLACES:
            for side in ("own", "neighbour"):
                if side == "neighbour" and CAST_PLACES[username][1] is None:
                    continue
                gap = KNOWN_GAPS.get((route, username, side))
                marks = [pytest.mark.xfail(strict=True, reason=gap)] if gap else []
                cases.append(pytest.param(route, username, side, marks=marks))
    return cases


def _missing_url(url: str) -> str:
    """The same route for an object that does not exist (a long code of nines, or id 0)."""
    head, _sep, last = url.rstrip("/").rpartition("/")
    return f"{head}/{'9' * len(last) if len(last) >= 6 else '0'}"


def test_every_scoped_detail_route_is_in_the_matrix():
    covered = set(all_detail_routes()) | set(_collected("NOT_SCOPED", NOT_SCOPED))
    public = set(_collected("PUBLIC_OPERATIONS", PUBLIC_OPERATIONS))
    detail = {
        route.route
        for route, method, op in ninja_operations()
        if method == "GET" and route.route.endswith(">") and f"GET {route.route}" not in public
    }
    missing = sorted(detail - covered)
    assert not missing, (
        "GET detail routes missing from the route × role matrix: add a maker to ROUTES (here "
        f"or in <app>/tests/access_routes.py), or say why in NOT_SCOPED: {missing}"
    )


@pytest.mark.parametrize(("route", "username", "side"), _matrix())
def test_route_role_matrix(client_for, route, username, side):
    build_neighbour_town()
    own, neighbour = CAST_PLACES[username]
    place = own if side == "own" else neighbour
    assert place is not None
    url = all_detail_routes()[route](_anchor(place))
    if url is None:
        pytest.skip(f"{route} has no object at a {place[0]}")
    client = client_for(username)
    response = client.get(url)
    if side == "own":
        assert response.status_code == 200, (url, response.content[:200])
    else:
        missing = client.get(_missing_url(url))
        assert missing.status_code == 404, _missing_url(url)
        assert response.status_code == 404, (url, response.status_code)
        assert response.json() == missing.json()


# --- (c) absurd numbers: 4xx, never 500 -----------------------------------------------------------

# Routers whose every GET operation is walked with numbers no client should send. Pagination takes
# page/page_size (as the cases API) or limit/offset; an unknown route here fails the walk below.
WALKED_PREFIXES = ("/api/v1/grids", "/api/v1/people", "/api/v1/inbox", "/api/v1/calendar")
ABSURD = ("99999999999999999999", "-99999999999999999999")
ABSURD_PAGING = {
    "page": ("99999999999999999999", "0", "-1"),
    "page_size": ("100000", "0", "-1", "99999999999999999999"),
    "limit": ("100000", "0", "-1", "99999999999999999999"),
    "offset": ("-1", "99999999999999999999"),
}
# Required query parameters, so each absurd value is the only thing wrong with the request.
VALID_QUERY: dict[str, dict[str, str]] = {
    "/api/v1/grids/locate": {"lon": "113.305", "lat": "34.81"},
    "/api/v1/calendar/days": {"year": "2026"},
    "/api/v1/calendar/deadline": {"start": "2026-03-02T09:00:00", "days": "3"},
}
PATH_VALUES = {"code": UNIT_A1}


def _numeric(annotation: object) -> bool:
    args = getattr(annotation, "__args__", None) or (annotation,)
    return any(a in (int, float) for a in args)


def _query_fields(op: object) -> tuple[set[str], bool]:
    """(numeric query parameters, whether the operation is paginated) of a ninja operation."""
    numeric: set[str] = set()
    paginated = False
    for model in op.signature.models:  # type: ignore[attr-defined]
        if getattr(model, "__ninja_param_source__", None) != "query":
            continue
        for name, field in model.model_fields.items():
            if name == "ninja_pagination":
                paginated = True
                continue
            inner = getattr(field.annotation, "model_fields", None)
            if inner is not None:  # a Query[Schema] group, flattened into the query string
                numeric |= {n for n, f in inner.items() if _numeric(f.annotation)}
            elif _numeric(field.annotation):
                numeric.add(name)
    return numeric, paginated


def _walked_gets() -> list[tuple[str, object]]:
    return [
        (route.route, op)
        for route, method, op in ninja_operations()
        if method == "GET" and route.route.startswith(WALKED_PREFIXES)
    ]


def test_the_absurd_number_walk_covers_the_list_endpoints():
    paginated = {route for route, op in _walked_gets() if _query_fields(op)[1]}
    assert {
        "/api/v1/grids",
        "/api/v1/grids/regions",
        "/api/v1/people/staff",
        "/api/v1/people/posts",
        "/api/v1/inbox/",
    } <= paginated


@pytest.mark.django_db
def test_absurd_numbers_get_4xx_never_500_on_every_list_and_detail_endpoint():
    from django.contrib.auth import get_user_model

    client = Client(raise_request_exception=False)
    client.force_login(get_user_model().objects.get(username="admin"))
    failures = []
    for route, op in _walked_gets():
        numeric, paginated = _query_fields(op)
        base = VALID_QUERY.get(route, {})
        requests: list[tuple[str, dict[str, str]]] = []
        path_ints = re.findall(r"<int:(\w+)>", route)
        for value in ABSURD if path_ints else ():
            url = re.sub(r"<int:\w+>", value.lstrip("-"), route)
            requests.append((re.sub(r"<(\w+)>", lambda m: PATH_VALUES[m.group(1)], url), base))
        url = re.sub(r"<int:\w+>", "1", route)
        url = re.sub(r"<(\w+)>", lambda m: PATH_VALUES[m.group(1)], url)
        for name in sorted(numeric):
            requests += [(url, {**base, name: value}) for value in ABSURD]
        if paginated:
            for name, values in ABSURD_PAGING.items():
                requests += [(url, {**base, name: value}) for value in values]
        for target, query in requests:
            response = client.get(target, query)
            if not 400 <= response.status_code < 500:
                failures.append((target, query, response.status_code))
    assert not failures, "\n".join(map(str, failures))
