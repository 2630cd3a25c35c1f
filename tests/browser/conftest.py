"""Browser tests: Playwright's sync API driving Debian's chromium against the platform served on
localhost by pytest-django's live server.

The live server needs committed data, so every browser test is transactional: the database is
flushed after it and restored before the next from the content serialized after migrations
(`django_db_serialized_rollback`: the catalogue, the calendar and the role groups), then the
named cast is built again. Every page is watched: a console error, an uncaught page error or a
Content-Security-Policy violation (or a page served without the policy) fails the test.
Screenshots go to test-artifacts/screenshots/.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings

CHROMIUM = os.environ.get("GRIDGOV_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-gpu",
]
SCREENSHOTS = Path(settings.REPO_DIR) / "test-artifacts" / "screenshots"
PHONE = {"width": 375, "height": 667}
SERIALIZED: dict[str, str] = {}
DESKTOP = {"width": 1440, "height": 900}


@pytest.fixture(scope="session")
def browser(django_db_setup: None) -> Iterator[Any]:
    """One chromium for the session. Playwright's sync API keeps an event loop in this thread,
    which Django's async-safety check mistakes for async code calling the ORM; the test code
    here is synchronous, so the check is lifted while the browser runs."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"chromium not found at {CHROMIUM} (apt-get install chromium)")
    from django.db import connections
    from playwright.sync_api import sync_playwright

    # Django keeps its connections per async context: once Playwright's loop runs, the test
    # body sees new connection objects without the content serialized after migrations, so
    # keep it here for `site` to restore.
    for alias in connections:
        contents = getattr(connections[alias], "_test_serialized_contents", None)
        if contents is not None:
            SERIALIZED[alias] = contents
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            instance = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            yield instance
            instance.close()
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def site(live_server: Any, django_db_serialized_rollback: None) -> str:
    """The base URL of the live server, with the migrations' data (restored after the previous
    test's flush) and the cast built in the database."""
    from django.core.management import call_command
    from django.db import connections

    from gridgov.core.testing.town import build_test_town

    for alias, contents in SERIALIZED.items():
        connection = connections[alias]
        if not hasattr(connection, "_test_serialized_contents"):
            # The restore Django does before a serialized-rollback test missed this context:
            # start from an empty database (an earlier flush may have re-created content types
            # under other ids) and load the migrations' data.
            connection._test_serialized_contents = contents
            # Sequences are kept (as Django's own teardown flush does): PostgreSQL would
            # restart them at 1 under the ids the migrations' rows are restored with.
            call_command(
                "flush",
                database=alias,
                interactive=False,
                inhibit_post_migrate=True,
                reset_sequences=False,
                verbosity=0,
            )
            connection.creation.deserialize_db_from_string(contents)
    build_test_town()
    return str(live_server.url)


@dataclass
class Watched:
    """A page whose console errors and page errors are collected for the end-of-test check."""

    page: Any
    context: Any
    errors: list[str] = field(default_factory=list)
    allowed: list[str] = field(default_factory=list)

    def allow(self, fragment: str) -> None:
        """Tolerate console errors containing `fragment` (a network failure a test provokes)."""
        self.allowed.append(fragment)

    def unexpected(self) -> list[str]:
        # A Content-Security-Policy violation is never tolerated: the pages must satisfy it.
        return [
            e for e in self.errors if CSP_VIOLATION in e or not any(a in e for a in self.allowed)
        ]


CSP_VIOLATION = "CSP violation"
# Reported into the console from the page itself, so a violation the browser logs only as a
# warning (or not at all, as for a report-only policy) fails the test too.
REPORT_CSP_VIOLATIONS = (
    "document.addEventListener('securitypolicyviolation', function (e) {"
    f"  console.error('{CSP_VIOLATION}: ' + e.effectiveDirective + ' blocked ' + e.blockedURI"
    "    + ' at ' + e.sourceFile + ':' + e.lineNumber);"
    "});"
)


def check_policy_header(watched: Watched, response: Any, site: str) -> None:
    """Every page of ours is served under the Content-Security-Policy."""
    if response.request.resource_type != "document" or not response.url.startswith(site):
        return
    if "content-security-policy" not in response.headers:
        watched.errors.append(f"{CSP_VIOLATION}: no Content-Security-Policy on {response.url}")


def session_cookie(username: str) -> dict[str, str]:
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    return {
        "name": settings.SESSION_COOKIE_NAME,
        "value": client.cookies[settings.SESSION_COOKIE_NAME].value,
    }


@pytest.fixture
def open_page(browser: Any, site: str) -> Iterator[Callable[..., Watched]]:
    """`open_page(user="worker_a1", viewport="phone", geolocation=(lon, lat))` → a logged-in page
    in its own browser context. At the end of the test every page must be free of errors."""
    opened: list[Watched] = []

    def make(
        user: str | None = None,
        *,
        viewport: str = "desktop",
        geolocation: tuple[float, float] | None = None,
        locale: str = "zh-CN",
    ) -> Watched:
        options: dict[str, Any] = {
            "viewport": PHONE if viewport == "phone" else DESKTOP,
            "locale": locale,
            "timezone_id": "Asia/Shanghai",
            "base_url": site,
        }
        if viewport == "phone":
            options.update({"is_mobile": True, "has_touch": True, "device_scale_factor": 2})
        if geolocation is not None:
            options["geolocation"] = {"longitude": geolocation[0], "latitude": geolocation[1]}
            options["permissions"] = ["geolocation"]
        context = browser.new_context(**options)
        context.set_default_timeout(15_000)
        if user:
            cookie = session_cookie(user)
            context.add_cookies([{**cookie, "url": site}])
        context.add_init_script(REPORT_CSP_VIOLATIONS)
        page = context.new_page()
        watched = Watched(page=page, context=context)
        page.on("response", lambda response: check_policy_header(watched, response, site))
        page.on(
            "console",
            lambda msg: (
                watched.errors.append(f"console.{msg.type}: {msg.text} @ {page.url}")
                if msg.type == "error"
                else None
            ),
        )
        page.on("pageerror", lambda exc: watched.errors.append(f"pageerror: {exc} @ {page.url}"))
        opened.append(watched)
        return watched

    yield make
    problems = [e for w in opened for e in w.unexpected()]
    for w in opened:
        settle(w.page)
        w.context.close()
    assert not problems, "browser errors:\n" + "\n".join(problems)


# A phone page's service worker fetches the offline pages while it installs. Those requests
# must end before the test's database is flushed (on SQLite a request still reading holds a
# table lock and the flush fails), so teardown waits for the install to finish.
SETTLE_SERVICE_WORKER = """async () => {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.getRegistration();
  if (registration && (registration.installing || registration.waiting)) {
    await navigator.serviceWorker.ready;
  }
}"""


def settle(page: Any) -> None:
    """Let the page's background requests end (best effort: a closed page has none)."""
    try:
        page.evaluate(SETTLE_SERVICE_WORKER)
        page.wait_for_load_state("networkidle", timeout=5_000)
    except Exception:  # noqa: BLE001 - a page gone or still busy after 5 s: close it anyway
        return


@pytest.fixture
def login_as(site: str) -> Callable[[Any, str], None]:
    """`login_as(context, "worker_b1")`: switch a browser context to another account."""

    def switch(context: Any, username: str) -> None:
        context.clear_cookies(name=settings.SESSION_COOKIE_NAME)
        context.add_cookies([{**session_cookie(username), "url": site}])

    return switch


@pytest.fixture
def shot() -> Callable[..., Path]:
    """`shot(page, "name")` saves test-artifacts/screenshots/<name>.png."""

    def save(page: Any, name: str, *, full_page: bool = True) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{name}.png"
        page.screenshot(path=str(path), full_page=full_page)
        return path

    return save


@pytest.fixture(autouse=True)
def fresh_cache(transactional_db: None) -> Iterator[None]:
    """Throttle counters live in the cache (the database's, which a flush leaves): each test
    starts with none."""
    from gridgov.core.testing.fixtures import clear_cache

    clear_cache()
    yield
    clear_cache()


@pytest.fixture
def three_patrol_reports(site: str) -> None:
    """Two reports in unit A1 (two matters) and one in B1: enough for markers, colours and
    queue badges on the command centre."""
    from gridgov.cases.models import Channel, MatterItem
    from gridgov.cases.services.intake import report_case
    from gridgov.core.testing.town import INSIDE, UNIT_A1, UNIT_B1, Town

    town = Town()
    for grid, code, by in [
        (UNIT_A1, "0401", "worker_a1"),
        (UNIT_A1, "0502", "worker_a1"),
        (UNIT_B1, "0401", "worker_b1"),
    ]:
        report_case(
            by=town.user(by),
            channel=Channel.PATROL,
            description="测试",
            item=MatterItem.objects.get(code=code),
            lon=INSIDE[grid][0],
            lat=INSIDE[grid][1],
        )
