"""Back-tracing tasks in the inbox: the grid's worker and its station see them with their
deadline and answer them from there; the office reviews; nobody else sees or answers them."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.urls import reverse

from gridgov.core.inbox import tasks_for
from gridgov.core.testing.town import UNIT_A1, UNIT_B1
from gridgov.hotline.models import BacktraceState, BacktraceTask
from gridgov.hotline.services.crosscheck import run_crosscheck
from gridgov.hotline.tests.test_api import make
from gridgov.hotline.tests.test_crosscheck import MONDAY


@pytest.fixture
def task(town):
    make("A-7", UNIT_A1, description="小区门口垃圾堆放")
    make("B-9", UNIT_B1)
    run_crosscheck(start=MONDAY, end=MONDAY + dt.timedelta(days=6), by=None)
    return BacktraceTask.objects.get(grid__code=UNIT_A1)


def test_tasks_reach_the_worker_and_the_station_only(task, town):
    mine = tasks_for(town.user("worker_a1"))
    assert [t.key for t in mine] == [f"backtrace:{task.pk}"]
    assert mine[0].due_at == task.due_at
    assert "A-7" in mine[0].title
    assert [v for v, _ in mine[0].verbs] == ["explain", "correct"]
    station = {t.key for t in tasks_for(town.user("village_a"))}
    assert station == {f"backtrace:{task.pk}"}
    assert len(tasks_for(town.user("town_office"))) == 2  # both villages' tasks
    other = BacktraceTask.objects.get(grid__code=UNIT_B1)
    assert [t.key for t in tasks_for(town.user("worker_b1"))] == [f"backtrace:{other.pk}"]
    assert tasks_for(town.user("env_handler")) == []


def test_worker_answers_from_the_inbox_and_the_station_reviews(task, client_for):
    worker = client_for("worker_a1")
    inbox = worker.get(reverse("inbox"))
    assert inbox.status_code == 200
    page = inbox.content.decode()
    assert f'data-task="backtrace:{task.pk}"' in page
    assert (
        task.due_at.astimezone(dt.timezone(dt.timedelta(hours=8))).strftime("%Y-%m-%d %H:%M")
        in page
    )
    act = reverse("hotline:task_act", args=[task.pk])
    # An empty answer is a form error, not a change.
    empty = worker.post(act, {"verb": "explain", "answer": " ", "next": "/inbox/"})
    assert empty.status_code == 400
    task.refresh_from_db()
    assert task.state == BacktraceState.OPEN
    # The outsider cannot reach it; a leader sees nothing to act on.
    assert client_for("worker_b1").post(act, {"verb": "explain", "answer": "x"}).status_code == 404
    assert client_for("worker_b1").get(reverse("hotline:task", args=[task.pk])).status_code == 404
    done = worker.post(
        act, {"verb": "explain", "answer": "当天在外培训,未巡查该路段", "next": "/inbox/"}
    )
    assert (done.status_code, done["Location"]) == (302, "/inbox/")
    task.refresh_from_db()
    assert (task.state, task.answer) == (BacktraceState.EXPLAINED, "当天在外培训,未巡查该路段")
    assert tasks_for(task.assignee) == []  # nothing left for the worker
    again = worker.post(act, {"verb": "correct", "answer": "再答一次"})
    assert again.status_code in (403, 409)
    # The station reviews from its inbox.
    station = tasks_for(_user("village_a"))
    assert [v for v, _ in station[0].verbs] == ["accept", "reopen"]
    ok = client_for("village_a").post(
        act, {"verb": "accept", "answer": "", "next": "https://evil.example/"}
    )
    assert (ok.status_code, ok["Location"]) == (302, reverse("hotline:task", args=[task.pk]))
    task.refresh_from_db()
    assert task.state == BacktraceState.ACCEPTED


def _user(username):
    from django.contrib.auth import get_user_model

    return get_user_model().objects.get(username=username)


def test_task_page_shows_the_record_and_deadline(task, client_for):
    page = client_for("village_a").get(reverse("hotline:task", args=[task.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "小区门口垃圾堆放" in body
    assert 'value="explain"' in body
    bad = client_for("village_a").post(reverse("hotline:task_act", args=[task.pk]), {"verb": "fly"})
    assert bad.status_code == 400


def test_task_page_and_inbox_in_english(task, town):
    import html

    from django.test import Client

    from gridgov.hotline.tests.test_english import chinese_left

    client = Client()
    client.force_login(town.user("worker_a1"))
    client.cookies["django_language"] = "en"
    for url in (reverse("hotline:task", args=[task.pk]), reverse("inbox")):
        response = client.get(url)
        assert response.status_code == 200
        text = html.unescape(response.content.decode()).replace("小区门口垃圾堆放", "")
        text = re.sub(r'<span class="icon"[^>]*>[^<]*</span>', "", text)  # the phone's icons
        assert chinese_left(text) == [], url
