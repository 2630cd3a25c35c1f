"""The campaigns API (/api/v1/fieldwork/campaigns), the office's campaign page with its buttons
and corrections, the phone page once a campaign is closed, and the progress export."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from gridgov.fieldwork.safety import services
from gridgov.fieldwork.safety.models import Campaign, CampaignAnswer, CampaignAnswerRevision

pytestmark = pytest.mark.django_db
API = "/api/v1/fieldwork/campaigns"


def post(client, url, body):
    return client.post(url, json.dumps(body), content_type="application/json")


def make(town, *, grids=None, by="town_office", publish=True) -> Campaign:
    return services.create_campaign(
        by=town.user(by),
        title="秸秆禁烧专项排查",
        items=["田间秸秆堆放", "焚烧火点", "宣传到户"],
        grids=grids or [town.town],
        deadline=timezone.localdate() + dt.timedelta(days=7),
        publish=publish,
    )


def test_list_and_detail_show_state_progress_and_allowed_verbs(client_for, town):
    campaign = make(town)
    worker = client_for("worker_a1")
    items = list(campaign.checklist.items.values_list("pk", flat=True))
    body = {
        "grid": town.a1.code,
        "answers": [{"item": items[0], "outcome": "done"}, {"item": items[1], "outcome": "done"}],
    }
    first = post(worker, f"{API}/{campaign.pk}/answers", body)
    assert first.status_code == 201, first.content
    assert first.json()["saved"] == 2
    again = post(worker, f"{API}/{campaign.pk}/answers", body)  # a resend saves nothing twice
    assert (again.status_code, again.json()["saved"]) == (200, 0)
    assert CampaignAnswer.objects.filter(campaign=campaign).count() == 2

    office = client_for("town_office")
    listed = office.get(API)
    assert listed.status_code == 200
    [row] = [r for r in listed.json() if r["id"] == campaign.pk]
    n_units = services.campaign_units(campaign).count()
    assert (row["state"], row["answered"], row["due"]) == ("open", 2, 3 * n_units)
    assert row["allowed"] == ["close", "cancel"]

    detail = office.get(f"{API}/{campaign.pk}").json()
    [town_row] = detail["progress"]
    assert (town_row["level"], town_row["answered"], town_row["due"]) == ("town", 2, 3 * n_units)
    village = next(v for v in town_row["children"] if v["code"] == town.village_a.code)
    a1 = next(u for u in village["children"] if u["code"] == town.a1.code)
    assert (a1["answered"], a1["due"], a1["share"]) == (2, 3, round(2 / 3, 4))
    assert detail["overdue_grids"] == []
    assert [e["kind"] for e in detail["events"]] == ["create"]
    assert {a["answered_by"] for a in detail["answers"]} == {"worker_a1"}
    assert all(a["allowed"] == ["correct"] for a in detail["answers"])
    assert client_for("worker_a1").get(f"{API}/{campaign.pk}").json()["allowed"] == ["answer"]


def test_lifecycle_over_the_api_with_403_409_422(client_for, town):
    campaign = make(town, publish=False)
    office, worker = client_for("town_office"), client_for("worker_a1")
    item = campaign.checklist.items.first().pk
    answer = {"grid": town.a1.code, "answers": [{"item": item, "outcome": "done"}]}
    refused = post(worker, f"{API}/{campaign.pk}/answers", answer)
    assert refused.status_code == 409
    assert refused.json()["state"] == "draft"
    assert post(worker, f"{API}/{campaign.pk}/publish", {}).status_code == 403
    published = post(office, f"{API}/{campaign.pk}/publish", {"note": "请各网格按期填报"})
    assert (published.status_code, published.json()["state"]) == (200, "open")
    again = post(office, f"{API}/{campaign.pk}/publish", {})
    assert again.status_code == 409
    assert again.json()["allowed"] == ["close", "cancel"]
    assert post(office, f"{API}/{campaign.pk}/close", {}).status_code == 422
    blank = post(office, f"{API}/{campaign.pk}/close", {"remark": " "})
    assert blank.status_code == 400
    assert blank.json()["field"] == "remark"
    closed = post(office, f"{API}/{campaign.pk}/close", {"remark": "提前完成"})
    assert (closed.json()["state"], closed.json()["remark"]) == ("closed", "提前完成")
    late = post(worker, f"{API}/{campaign.pk}/answers", answer)
    assert late.status_code == 409
    assert "不再接受填报" in late.json()["detail"]
    bad_day = post(office, f"{API}/{campaign.pk}/reopen", {"deadline": "2020-01-01"})
    assert bad_day.status_code == 400
    assert bad_day.json()["field"] == "deadline"
    day = (timezone.localdate() + dt.timedelta(days=3)).isoformat()
    reopened = post(office, f"{API}/{campaign.pk}/reopen", {"deadline": day})
    assert (reopened.json()["state"], reopened.json()["deadline"]) == ("open", day)
    assert post(worker, f"{API}/{campaign.pk}/answers", answer).status_code == 201
    cancelled = post(office, f"{API}/{campaign.pk}/cancel", {"reason": "上级通知取消"})
    assert cancelled.json()["state"] == "cancelled"
    kinds = [e["kind"] for e in cancelled.json()["events"]]
    assert kinds == ["create", "publish", "close", "reopen", "cancel"]


def test_correcting_over_the_api_keeps_the_history(client_for, town):
    campaign = make(town)
    item = campaign.checklist.items.first().pk
    worker = client_for("worker_a1")
    post(
        worker,
        f"{API}/{campaign.pk}/answers",
        {"grid": town.a1.code, "answers": [{"item": item, "outcome": "done"}]},
    )
    answer = CampaignAnswer.objects.get(campaign=campaign)
    url = f"{API}/{campaign.pk}/answers/{answer.pk}/correct"
    assert post(client_for("worker_b1"), url, {"outcome": "done"}).status_code == 404
    assert post(client_for("leader"), url, {"outcome": "case", "note": "x"}).status_code == 403
    assert post(worker, url, {"outcome": "maybe"}).status_code == 400
    fixed = post(worker, url, {"outcome": "case", "note": "田头有秸秆堆", "reason": "漏报"})
    assert fixed.status_code == 200, fixed.content
    body = fixed.json()
    assert body["outcome"] == "case"
    assert body["case"]
    [rev] = body["revisions"]
    assert (rev["by"], rev["old_outcome"], rev["new_outcome"], rev["reason"]) == (
        "worker_a1",
        "done",
        "case",
        "漏报",
    )


def test_a_campaign_outside_the_scope_is_a_404_like_a_missing_one(client_for, town):
    mine = make(town, grids=[town.village_a], by="village_a")
    outsider = client_for("worker_b1")
    missing = outsider.get(f"{API}/999999")
    hidden = outsider.get(f"{API}/{mine.pk}")
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json() == missing.json()
    assert post(outsider, f"{API}/{mine.pk}/close", {"remark": "x"}).status_code == 404
    assert mine.pk not in {r["id"] for r in outsider.get(API).json()}
    assert client_for("env_handler").get(f"{API}/{mine.pk}").status_code == 404
    # Inside the scope: a neighbouring office sees it but may not run it.
    assert client_for("town_office").get(f"{API}/{mine.pk}").status_code == 200
    assert post(client_for("leader"), f"{API}/{mine.pk}/close", {"remark": "x"}).status_code == 403


def test_the_office_page_shows_only_the_allowed_buttons_and_corrects(client_for, town):
    campaign = make(town)
    item = campaign.checklist.items.first()
    services.answer_campaign(
        by=town.user("worker_a1"),
        campaign=campaign,
        grid=town.a1,
        answers=[services.AnswerIn(item.pk, "done")],
    )
    answer = CampaignAnswer.objects.get(campaign=campaign)
    office = client_for("town_office")
    page = office.get(f"/fieldwork/campaigns/{campaign.pk}/")
    actions = [verb for verb, _label, _form in page.context["forms"]]
    assert actions == ["close", "cancel"]
    text = page.content.decode()
    assert 'data-action="close"' in text
    assert 'data-action="reopen"' not in text
    assert 'data-action="correct"' in text
    leader_page = client_for("leader").get(f"/fieldwork/campaigns/{campaign.pk}/")
    assert leader_page.context["forms"] == []
    assert 'data-action="correct"' not in leader_page.content.decode()
    assert (
        client_for("leader")
        .post(f"/fieldwork/campaigns/{campaign.pk}/close/", {"close-remark": "x"})
        .status_code
        == 403
    )

    corrected = office.post(
        f"/fieldwork/campaigns/{campaign.pk}/answers/{answer.pk}/correct/",
        {
            f"a{answer.pk}-outcome": "hazard",
            f"a{answer.pk}-note": "秸秆堆靠近民房",
            f"a{answer.pk}-reason": "抽查",
        },
    )
    assert corrected.status_code == 302
    assert CampaignAnswerRevision.objects.get(answer=answer).by == town.user("town_office")
    no_remark = office.post(f"/fieldwork/campaigns/{campaign.pk}/close/", {"close-remark": ""})
    assert no_remark.status_code == 400
    done = office.post(f"/fieldwork/campaigns/{campaign.pk}/close/", {"close-remark": "完成"})
    assert done.status_code == 302
    page = office.get(f"/fieldwork/campaigns/{campaign.pk}/")
    assert [v for v, _l, _f in page.context["forms"]] == ["reopen"]
    text = page.content.decode()
    assert "秸秆堆靠近民房" in text
    assert "data-revision" in text
    assert 'data-action="correct"' not in text


def test_the_phone_page_refuses_answers_once_closed(client_for, town):
    campaign = make(town)
    url = f"/m/campaigns/{campaign.pk}/{town.a1.code}/"
    worker = client_for("worker_a1")
    assert 'id="campaign-form"' in worker.get(url).content.decode()
    services.close_campaign(campaign, by=town.user("town_office"), remark="结束")
    page = worker.get(url).content.decode()
    assert 'id="campaign-closed"' in page
    assert 'id="campaign-form"' not in page
    item = campaign.checklist.items.first()
    sent = worker.post(url, {f"outcome_{item.pk}": "done"}, HTTP_ACCEPT="application/json")
    assert sent.status_code == 409
    assert CampaignAnswer.objects.filter(campaign=campaign).count() == 0


def test_the_progress_export_carries_the_state_and_the_overdue_grids(client_for, town):
    campaign = make(town)
    services.cancel_campaign(campaign, by=town.user("town_office"), reason="天气原因取消")
    response = client_for("town_office").get(f"/fieldwork/campaigns/{campaign.pk}/?format=xlsx")
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    progress, overview = wb.worksheets
    rows = list(progress.values)
    assert rows[0][-2:] == ("超期网格", "状态")
    assert rows[1][0] == "镇街"
    assert rows[1][-1] == "已撤销"
    facts = dict(overview.values)
    assert facts["状态"] == "已撤销"
    assert facts["结束说明"] == "天气原因取消"
