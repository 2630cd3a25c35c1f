"""Schemathesis against the platform's own OpenAPI document (issue 9): every operation, as the
admin (valid and invalid input) and as a scoped operator (valid input), must answer without a
5xx and as the document says (status code, content type, body schema). Bounded: two examples
per operation, mode and user, about 400 requests per pass."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
# Examples per operation, user and mode (valid / invalid input).
EXAMPLES = 2


@pytest.fixture
def in_process_app(db: None) -> Iterator[Any]:
    from django.core.wsgi import get_wsgi_application

    # In-process calls share the test's transaction: Django must not close the connection at
    # the start or end of each request (its test client disconnects the same handler).
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    try:
        yield get_wsgi_application()
    finally:
        for signal in (signals.request_started, signals.request_finished):
            signal.connect(close_old_connections)


def session(username: str) -> tuple[dict[str, str], dict[str, str]]:
    """Headers and cookies of a logged-in session that passes the CSRF check."""
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username=username))
    token = _get_new_csrf_string()
    cookies = {"sessionid": client.cookies["sessionid"].value, "csrftoken": token}
    return {"X-CSRFToken": token}, cookies


# Invalid input is refused by validation before any scoping, the same for every user: the admin
# covers it; the scoped operator sends valid input, which reaches the scoped lookups.
USERS = {
    "admin": (GenerationMode.POSITIVE, GenerationMode.NEGATIVE),
    "town_office": (GenerationMode.POSITIVE,),
}


@pytest.mark.slow
@pytest.mark.parametrize("username", list(USERS))
def test_api_answers_as_documented(in_process_app, town, username):
    # 4xx answers are what the fuzzer provokes; a 5xx still logs at ERROR.
    logging.getLogger("django.request").setLevel(logging.ERROR)
    logging.getLogger("django.security.csrf").setLevel(logging.ERROR)
    schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", in_process_app)
    headers, cookies = session(username)
    failures: list[str] = []
    sent = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in USERS[username]:

            @settings(
                max_examples=EXAMPLES,
                deadline=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
                derandomize=True,
                database=None,
            )
            @given(
                case=operation.as_strategy(generation_mode=mode, headers=headers, cookies=cookies)
            )
            def run(case: Any) -> None:
                nonlocal sent
                sent += 1
                response = case.call(headers=headers)
                case.validate_response(response, checks=CHECKS, headers=headers)

            try:
                run()
            except Unsatisfiable:
                continue  # no invalid value exists (a free-text path segment)
            except (Exception, BaseExceptionGroup) as exc:  # collect every operation's failure
                failures.append(f"{operation.label} [{mode.value}]: {exc}"[:3000])
    print(f"schemathesis: {sent} requests as {username}")  # noqa: T201
    assert not failures, "\n\n".join(failures)
