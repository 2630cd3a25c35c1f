"""Log-in throttling (issue 9, defect 2): wrong passwords lock a user name and an address out
for the cooling-off time, even for the right password; the lockout is audited and an admin can
unlock it."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from axes.models import AccessAttempt
from django.test import Client
from django.urls import reverse

from gridgov.core.lockout import LOCKOUT_EVENT, UNLOCK_EVENT
from gridgov.core.testing.town import PASSWORD

pytestmark = pytest.mark.django_db


def log_in(client: Client, username: str, password: str, *, address: str = "10.0.0.1"):
    return client.post(
        reverse("login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )


def test_wrong_passwords_lock_the_user_name_even_for_the_right_password(town, settings) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, "village_a", "wrong").status_code == 200
    locked = log_in(client, "village_a", "wrong")
    assert locked.status_code == 429
    # The right password from another address: the user name itself is locked.
    refused = log_in(Client(), "village_a", PASSWORD, address="10.0.0.2")
    assert refused.status_code == 429
    body = refused.content.decode()
    assert "登录失败次数过多" in body
    assert "script-src" in refused["Content-Security-Policy"]  # made by axes, still covered
    assert "_auth_user_id" not in Client().session
    assert int(refused["Retry-After"]) == settings.AXES_COOLOFF_TIME.total_seconds()


def test_other_user_names_from_one_address_are_locked_too(town, settings) -> None:
    client = Client()
    for n in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, f"guess{n}", "wrong", address="10.9.9.9")
    assert log_in(Client(), "town_office", PASSWORD, address="10.9.9.9").status_code == 429
    # Another address logs in as usual.
    ok = log_in(Client(), "town_office", PASSWORD, address="10.9.9.10")
    assert ok.status_code == 302


def test_a_few_failures_do_not_lock(town, settings) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        log_in(client, "leader", "wrong")
    assert log_in(client, "leader", PASSWORD).status_code == 302


def test_cooling_off_time_ends_the_lockout(town, settings) -> None:
    import time_machine
    from django.utils import timezone

    client = Client()
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        for _ in range(settings.AXES_FAILURE_LIMIT):
            log_in(client, "leader", "wrong")
        assert log_in(Client(), "leader", PASSWORD).status_code == 429
    with time_machine.travel(start + settings.AXES_COOLOFF_TIME * 2, tick=False):
        assert log_in(Client(), "leader", PASSWORD).status_code == 302


def test_lockout_message_in_english(town, settings) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "leader", "wrong")
    page = client.post(
        reverse("login"),
        {"username": "leader", "password": PASSWORD},
        REMOTE_ADDR="10.0.0.1",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert page.status_code == 429
    assert "Too many failed log-ins" in page.content.decode()


def test_lockout_writes_an_audit_entry_without_the_password(town, settings) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "leader", "secret-guess-123")
    entries = LogEntry.objects.filter(additional_data__event=LOCKOUT_EVENT)
    assert entries.count() == 1
    entry = entries.get()
    assert entry.object_repr == "leader"
    assert entry.object_pk == str(town.user("leader").pk)
    assert entry.remote_addr == "10.0.0.1"
    assert "secret-guess-123" not in str(entry.additional_data)
    assert not AccessAttempt.objects.filter(post_data__contains="secret-guess-123").exists()


def test_admin_unlocks_and_the_unlock_is_audited(town, settings, client_for) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        log_in(client, "leader", "wrong")
    assert log_in(Client(), "leader", PASSWORD).status_code == 429
    admin = client_for("admin")
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert admin.get(changelist).status_code == 200
    ids = list(AccessAttempt.objects.filter(username="leader").values_list("pk", flat=True))
    answer = admin.post(changelist, {"action": "unlock", "_selected_action": ids})
    assert answer.status_code == 302
    assert not AccessAttempt.objects.filter(username="leader").exists()
    unlock = LogEntry.objects.get(additional_data__event=UNLOCK_EVENT)
    assert unlock.actor == town.user("admin")
    assert log_in(Client(), "leader", PASSWORD).status_code == 302


def test_only_admins_see_the_login_attempts(town, client_for) -> None:
    changelist = reverse("admin:axes_accessattempt_changelist")
    assert client_for("town_office").get(changelist).status_code in {302, 403}
