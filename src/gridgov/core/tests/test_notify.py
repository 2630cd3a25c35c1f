"""Notifications: the inbox row, the outbound copy and its retries, and the inbox API."""

from __future__ import annotations

import datetime as dt
import threading
from typing import ClassVar

import pytest
import time_machine
from django.contrib.auth.models import Permission
from django.db import connection, transaction
from django.utils import timezone

from gridgov.core import notify
from gridgov.core.models import Notification, NotificationKind, OutboundMessage, OutboundStatus
from gridgov.core.notify import OutgoingMessage, SendResult

pytestmark = pytest.mark.django_db

HERE = "gridgov.core.tests.test_notify"


class RecordingSender:
    """Accepts everything and remembers what it was given (shared across instances)."""

    sent: ClassVar[list[OutgoingMessage]] = []

    def send(self, message: OutgoingMessage) -> SendResult:
        self.sent.append(message)
        return SendResult(ok=True, provider_ref=f"gw-{len(self.sent)}")


class FlakySender(RecordingSender):
    """Fails the first `failures` attempts with a temporary error."""

    failures: ClassVar[int] = 1

    def send(self, message: OutgoingMessage) -> SendResult:
        if message.attempt <= self.failures:
            raise ConnectionError("gateway timed out")
        return super().send(message)


class RefusingSender:
    def send(self, message: OutgoingMessage) -> SendResult:
        return SendResult(ok=False, error="号码无效", retry=False)


class SlowSender(RecordingSender):
    def send(self, message: OutgoingMessage) -> SendResult:
        threading.Event().wait(0.3)
        return super().send(message)


@pytest.fixture
def sender(settings):
    """Use one of the senders above: `sender("FlakySender")`."""
    RecordingSender.sent = []

    def use(name: str) -> type:
        settings.GRIDGOV_OUTBOUND_SENDER = f"{HERE}.{name}"
        cls: type = globals()[name]
        return cls

    use("RecordingSender")
    return use


def notify_worker(town, **extra):
    fields = {
        "kind": NotificationKind.ASSIGNMENT,
        "title": "新交办案件",
        "body": "请于 3 个工作日内办结",
    }
    fields.update(extra)
    return notify.notify(user=town.user("worker_a1"), **fields)


# --- writing a notification ---


def test_notify_writes_the_inbox_row_and_sends_the_copy_after_commit(
    town, sender, immediate_tasks, django_capture_on_commit_callbacks, settings
) -> None:
    settings.GRIDGOV_PUBLIC_URL = "https://grid.example/"
    grid = town.a1
    with django_capture_on_commit_callbacks(execute=True):
        n = notify_worker(town, url="/cases/1/", target=grid, by=town.user("town_office"))
    assert n.user.username == "worker_a1"
    assert n.read_at is None
    assert (n.target_type.model, n.target_id) == ("grid", grid.pk)
    assert n.target == grid
    message = OutboundMessage.objects.get(notification=n)
    assert message.status == OutboundStatus.SENT
    assert message.recipient == "+8613800000003"  # the staff phone, stored E.164
    assert message.attempts == 1
    assert message.provider_ref == "gw-1"
    assert message.sender == f"{HERE}.RecordingSender"
    [sent] = RecordingSender.sent
    assert sent.key == str(message.key)
    assert (
        sent.text
        == "【网格化服务管理平台】新交办案件:请于 3 个工作日内办结 https://grid.example/cases/1/"
    )


def test_nothing_is_sent_when_the_action_rolls_back(
    town, sender, immediate_tasks, django_capture_on_commit_callbacks
) -> None:
    def notify_then_fail() -> None:
        with transaction.atomic():
            notify_worker(town)
            raise RuntimeError

    with django_capture_on_commit_callbacks() as callbacks, pytest.raises(RuntimeError):
        notify_then_fail()
    assert callbacks == []
    assert not Notification.objects.exists()
    assert RecordingSender.sent == []


def test_a_user_without_phone_gets_the_inbox_row_only(
    town, sender, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks() as callbacks:
        n = notify.notify(user=town.user("admin"), kind="generic", title="系统通知")
    assert callbacks == []
    message = OutboundMessage.objects.get(notification=n)
    assert message.status == OutboundStatus.SKIPPED
    assert message.last_error


def test_the_database_queue_delivers_the_copy(
    town, sender, run_task_queue, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        n = notify_worker(town)
    message = OutboundMessage.objects.get(notification=n)
    assert message.status == OutboundStatus.PENDING
    assert run_task_queue() == 1
    message.refresh_from_db()
    assert message.status == OutboundStatus.SENT
    assert len(RecordingSender.sent) == 1


def test_a_dedupe_key_gives_one_unread_notification(town) -> None:
    first = notify_worker(town, dedupe_key="calendar-missing-2027")
    assert notify_worker(town, dedupe_key="calendar-missing-2027") == first
    notify.mark_read(notification=first, by=town.user("worker_a1"))
    assert notify_worker(town, dedupe_key="calendar-missing-2027") != first


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "Assignment!"}, "lower-case"),
        ({"title": "  "}, "title"),
        ({"url": "javascript:alert(1)"}, "url"),
        ({"url": "//evil.example/x"}, "url"),
    ],
)
def test_bad_notifications_are_refused(town, fields, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        notify_worker(town, **fields)
    assert not Notification.objects.exists()


def test_long_titles_are_shortened_and_other_kinds_read_as_generic(town) -> None:
    n = notify_worker(town, kind="case_overdue", title="超" * 300)
    assert len(n.title) == 200
    assert n.title.endswith("…")
    assert n.kind == "case_overdue"
    assert n.kind_label == "通知"


def test_notify_admins_reaches_superusers_and_calendar_editors(town) -> None:
    editor = town.user("town_office")
    editor.user_permissions.add(
        Permission.objects.get(content_type__app_label="core", codename="change_workcalendarday")
    )
    sent = notify.notify_admins(kind=NotificationKind.CALENDAR, title="2027 年工作日历尚未载入")
    assert sorted(n.user.username for n in sent) == ["admin", "town_office"]


# --- retries ---


def test_a_temporary_failure_is_retried_later_and_sent_once(
    town, sender, immediate_tasks, django_capture_on_commit_callbacks
) -> None:
    sender("FlakySender")
    FlakySender.failures = 1
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            n = notify_worker(town)
        message = OutboundMessage.objects.get(notification=n)
        assert message.status == OutboundStatus.FAILED
        assert message.attempts == 1
        assert "gateway timed out" in message.last_error
        assert message.next_attempt_at == start + dt.timedelta(minutes=1)
        # Not due yet: the sweep leaves it alone.
        assert notify.retry_outbound_messages() == 0
    later = start + dt.timedelta(minutes=2)
    assert notify.retry_outbound_messages(now=later) == 1
    assert notify.retry_outbound_messages(now=later) == 0
    assert notify.deliver(message.pk, now=later) is None
    message.refresh_from_db()
    assert message.status == OutboundStatus.SENT
    assert message.attempts == 2
    assert len(RecordingSender.sent) == 1
    assert Notification.objects.filter(pk=n.pk, read_at__isnull=True).exists()


def test_repeated_failures_back_off_and_then_give_up(town, sender, settings) -> None:
    sender("FlakySender")
    FlakySender.failures = 99
    settings.GRIDGOV_OUTBOUND_MAX_ATTEMPTS = 3
    n = notify_worker(town)
    message = OutboundMessage.objects.get(notification=n)
    now = timezone.now()
    delays = []
    for _ in range(3):
        assert notify.deliver(message.pk, now=now) in {OutboundStatus.FAILED, OutboundStatus.DEAD}
        message.refresh_from_db()
        delays.append(message.next_attempt_at - now)
        now = message.next_attempt_at
    assert message.status == OutboundStatus.DEAD
    assert message.attempts == 3
    assert delays[:2] == [dt.timedelta(minutes=1), dt.timedelta(minutes=5)]
    assert notify.retry_outbound_messages(now=now + dt.timedelta(days=1)) == 0
    assert Notification.objects.filter(pk=n.pk).exists()


def test_a_permanent_refusal_is_not_retried(town, sender) -> None:
    sender("RefusingSender")
    message = OutboundMessage.objects.get(notification=notify_worker(town))
    assert notify.deliver(message.pk) == OutboundStatus.DEAD
    message.refresh_from_db()
    assert message.attempts == 1
    assert message.last_error == "号码无效"


def test_a_message_claimed_by_another_worker_is_left_alone(town, sender) -> None:
    message = OutboundMessage.objects.get(notification=notify_worker(town))
    now = timezone.now()
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundStatus.SENDING, claimed_at=now, attempts=1
    )
    assert notify.deliver(message.pk, now=now) is None
    assert notify.retry_outbound_messages(now=now + dt.timedelta(minutes=5)) == 0
    assert RecordingSender.sent == []
    # The claimant died: after the stale period the sweep takes the message over, once.
    assert notify.retry_outbound_messages(now=now + dt.timedelta(minutes=16)) == 1
    message.refresh_from_db()
    assert message.status == OutboundStatus.SENT
    assert message.attempts == 2
    assert len(RecordingSender.sent) == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_racing_send_a_message_once(town_tx, sender) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("real concurrent connections need PostgreSQL (SQLite serialises writers)")
    sender("SlowSender")
    message = OutboundMessage.objects.get(notification=notify_worker(town_tx))
    barrier = threading.Barrier(3)
    outcomes: list[str | None] = []

    def work() -> None:
        try:
            barrier.wait()
            outcomes.append(notify.deliver(message.pk))
        finally:
            connection.close()

    threads = [threading.Thread(target=work) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes, key=str) == [None, None, OutboundStatus.SENT]
    assert len(RecordingSender.sent) == 1


# --- the inbox API ---


@pytest.fixture
def inbox(town):
    worker = town.user("worker_a1")
    other = town.user("worker_b1")
    mine = [
        notify.notify(
            user=worker,
            kind="urge",
            title=f"催办 {i}",
            url=f"/cases/{i}/",
            by=town.user("town_office"),
        )
        for i in range(30)
    ]
    theirs = notify.notify(user=other, kind="urge", title="别人的")
    notify.mark_read(notification=mine[0], by=worker)
    return mine, theirs


def test_inbox_lists_my_notifications_newest_first(
    client_for, inbox, django_assert_max_num_queries
) -> None:
    client = client_for("worker_a1")
    with django_assert_max_num_queries(8):
        body = client.get("/api/v1/inbox/?limit=10").json()
    assert body["count"] == 30
    assert [i["title"] for i in body["items"][:2]] == ["催办 29", "催办 28"]
    first = body["items"][0]
    assert first["kind_label"] == "催办"
    assert first["actor"] == "town_office"
    assert first["is_read"] is False
    page = client.get("/api/v1/inbox/?limit=10&offset=25").json()
    assert [i["title"] for i in page["items"]] == [f"催办 {i}" for i in range(4, -1, -1)]


def test_our_messages_reach_each_reader_in_their_language(client_for, town, sender) -> None:
    from django.utils.translation import gettext_noop, override

    worker = town.user("worker_a1")
    with override("en"):  # the sender reads English; the reader and the SMS gateway do not
        n = notify.notify(
            user=worker,
            kind="urge",
            title=notify.in_every_language(gettext_noop("催办:%(title)s"), title="路灯不亮"),
            body=notify.in_every_language(gettext_noop("办理期限 %(due)s"), due="2026-10-10 17:30"),
        )
    n.refresh_from_db()
    assert (n.title, n.body) == ("催办:路灯不亮", "办理期限 2026-10-10 17:30")
    assert n.translations == {
        "en": {"title": "Urged: 路灯不亮", "body": "Deadline: 2026-10-10 17:30"}
    }
    sms = OutboundMessage.objects.get(notification=n).text
    assert sms.startswith("【网格化服务管理平台】催办:路灯不亮:办理期限 2026-10-10 17:30")
    with override("en"):
        assert (n.shown_title, n.shown_body) == ("Urged: 路灯不亮", "Deadline: 2026-10-10 17:30")
    client = client_for("worker_a1")
    english = client.get("/api/v1/inbox/", HTTP_ACCEPT_LANGUAGE="en").json()["items"][0]
    chinese = client.get("/api/v1/inbox/", HTTP_ACCEPT_LANGUAGE="zh-hans").json()["items"][0]
    assert (english["title"], english["body"]) == ("Urged: 路灯不亮", "Deadline: 2026-10-10 17:30")
    assert (chinese["title"], chinese["body"]) == ("催办:路灯不亮", "办理期限 2026-10-10 17:30")
    # A person's own words are stored once and shown to everyone as written.
    plain = notify.notify(user=worker, kind="urge", title="请尽快处理")
    assert plain.translations == {}
    with override("en"):
        assert plain.shown_title == "请尽快处理"


def test_inbox_filters_unread_and_counts_them(client_for, inbox) -> None:
    client = client_for("worker_a1")
    assert client.get("/api/v1/inbox/?unread=true").json()["count"] == 29
    assert client.get("/api/v1/inbox/unread-count").json() == {"unread": 29}


def test_marking_one_read_and_then_all(client_for, inbox) -> None:
    mine, _ = inbox
    client = client_for("worker_a1")
    with time_machine.travel(dt.datetime(2026, 6, 8, 9, 0, tzinfo=dt.UTC), tick=False):
        body = client.post(f"/api/v1/inbox/{mine[5].pk}/read").json()
    assert body["is_read"] is True
    assert dt.datetime.fromisoformat(body["read_at"]) == dt.datetime(
        2026, 6, 8, 9, 0, tzinfo=dt.UTC
    )
    # Reading again keeps the first time.
    again = client.post(f"/api/v1/inbox/{mine[5].pk}/read").json()
    assert again["read_at"] == body["read_at"]
    assert client.post("/api/v1/inbox/read-all").json() == {"marked": 28}
    assert client.get("/api/v1/inbox/unread-count").json() == {"unread": 0}
    assert (
        Notification.objects.filter(user__username="worker_b1", read_at__isnull=True).count() == 1
    )


def test_someone_elses_notification_is_not_found(client_for, inbox) -> None:
    _, theirs = inbox
    client = client_for("worker_a1")
    assert client.get(f"/api/v1/inbox/{theirs.pk}").status_code == 404
    response = client.post(f"/api/v1/inbox/{theirs.pk}/read")
    assert response.status_code == 404
    assert response.json() == client.get("/api/v1/inbox/999999999").json()
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client_for("worker_b1").get(f"/api/v1/inbox/{theirs.pk}").status_code == 200


def test_the_inbox_needs_a_login(client_for, inbox) -> None:
    anonymous = client_for("")
    assert anonymous.get("/api/v1/inbox/").status_code == 401
    assert anonymous.post("/api/v1/inbox/read-all").status_code == 401


def test_the_admin_resends_a_message_that_was_given_up(town, sender, client_for) -> None:
    sender("RefusingSender")
    message = OutboundMessage.objects.get(notification=notify_worker(town))
    assert notify.deliver(message.pk) == OutboundStatus.DEAD
    sender("RecordingSender")
    response = client_for("admin").post(
        "/admin/core/outboundmessage/",
        {"action": "resend", "_selected_action": [message.pk]},
    )
    assert response.status_code == 302
    message.refresh_from_db()
    assert message.status == OutboundStatus.SENT
    assert len(RecordingSender.sent) == 1


def test_the_recipients_phone_is_neither_stored_nor_logged_in_clear(
    town, immediate_tasks, django_capture_on_commit_callbacks, settings, caplog
) -> None:
    """The default sender logs the message: the phone appears masked, and the row keeps it
    encrypted (the raw column), read back in clear only through the field."""
    settings.GRIDGOV_OUTBOUND_SENDER = "gridgov.core.notify.LoggingSender"
    with (
        caplog.at_level("INFO", logger="gridgov.core.notify"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        n = notify_worker(town, url="/cases/1/", target=town.a1, by=town.user("town_office"))
    message = OutboundMessage.objects.get(notification=n)
    assert message.recipient == "+8613800000003"
    with connection.cursor() as cursor:
        table = connection.ops.quote_name(OutboundMessage._meta.db_table)
        cursor.execute(f"SELECT recipient FROM {table} WHERE id = %s", [message.pk])  # noqa: S608
        [raw] = cursor.fetchone()
    assert "13800000003" not in raw
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "outbound sms" in logged
    assert "13800000003" not in logged
    assert "138****0003" in logged
