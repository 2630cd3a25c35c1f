"""Printable slips of a case (seed 003: 申报单、交办单、催办单、反馈单): an A4 page and a PDF for
each, reachable from the case page by whoever can see the case, a 404 for anyone else."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from pypdf import PdfReader

from gridgov.cases import services
from gridgov.cases.attachments import check_photos
from gridgov.cases.models import Case, CaseEvent, EventKind
from gridgov.core.testing.town import Town

from .conftest import jpeg


@pytest.fixture
def handled_case(town: Town, report: Any) -> Case:
    """Reported, dispatched with instructions, urged, fed back with a photo."""
    village, office = town.user("village_a"), town.user("town_office")
    handler = town.user("env_handler")
    case = report(description="河边有暗管排污,污水直排入河")
    case = services.accept_case(case=case, by=village)
    case = services.escalate_case(case=case, by=village, note="需镇环保所处理")
    case = services.dispatch_case(
        case=case, by=office, to=town.env, days=3, instructions="三日内封堵暗管并取样送检"
    )
    case = services.urge_case(case=case, by=office, note="群众反映强烈,请加快处理")
    case = services.handle_case(case=case, by=handler)
    photo = SimpleUploadedFile("done.jpg", jpeg((120, 90)), content_type="image/jpeg")
    return services.feedback_case(
        case=case, by=handler, result="已封堵暗管,水样已送检", photos=check_photos([photo])
    )


def slip_urls(page: str) -> list[str]:
    return re.findall(r'href="(/cases/\d+/slips/[a-z]+/\d+/)"', page)


def pdf_text(response: Any) -> str:
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_the_case_page_links_every_slip(client_for: Any, handled_case: Case) -> None:
    page = client_for("town_office").get(f"/cases/{handled_case.pk}/").content.decode()
    urls = slip_urls(page)
    kinds = [u.split("/")[4] for u in urls]
    assert kinds == ["report", "assignment", "urging", "feedback"]
    for url in urls:
        assert f'href="{url[:-1]}.pdf"' in page
        assert client_for("town_office").get(url).status_code == 200


def test_assignment_slip_names_department_instructions_deadline_and_dispatcher(
    client_for: Any, handled_case: Case, town: Town
) -> None:
    task = handled_case.tasks.get()
    body = (
        client_for("env_handler")
        .get(f"/cases/{handled_case.pk}/slips/assignment/{task.pk}/")
        .content.decode()
    )
    assert "交办单" in body
    assert town.env.name in body
    assert "三日内封堵暗管并取样送检" in body
    assert f"{handled_case.number}-J1" in body
    assert re.search(r"派遣人</th><td>周敏</td>", body)  # town_office's staff name
    from django.utils import timezone

    assert timezone.localtime(task.due_at).strftime("%Y-%m-%d %H:%M") in body


@pytest.mark.parametrize(
    ("language", "expected"),
    [
        ("zh-hans", ["编号:{number}-J1", "查询码:{code}", "3 个工作日", "打印时间:"]),
        ("en", ["Number: {number}-J1", "Tracking code: {code}", "3 working days", "Printed at: "]),
    ],
)
def test_slip_labels_and_time_limit_read_naturally_in_each_language(
    client_for: Any, handled_case: Case, language: str, expected: list[str]
) -> None:
    """The colon belongs to the translated label (no "Number:2026…" in English), and the
    time limit is a count of its unit ("3 working days", not "3 Working days")."""
    client = client_for("town_office")
    client.cookies["django_language"] = language
    task = handled_case.tasks.get()
    url = f"/cases/{handled_case.pk}/slips/assignment/{task.pk}/"
    body = client.get(url).content.decode()
    text = pdf_text(client.get(url[:-1] + ".pdf"))
    for value in expected:
        value = value.format(number=handled_case.number, code=handled_case.tracking_code)
        assert value in body, value
        assert value.strip() in text, value


@pytest.mark.parametrize(
    ("kind", "expected"),
    [
        ("report", ["申报单", "河边有暗管排污,污水直排入河", "王村第1网格", "上报人签字"]),
        ("assignment", ["交办单", "三日内封堵暗管并取样送检", "承办部门", "办理期限"]),
        ("urging", ["催办单", "群众反映强烈,请加快处理", "催办人"]),
        ("feedback", ["反馈单", "已封堵暗管,水样已送检", "处置结果", "反馈时间"]),
    ],
)
def test_each_slip_prints_as_a_pdf_with_its_chinese_text(
    client_for: Any, handled_case: Case, kind: str, expected: list[str]
) -> None:
    ref = {
        "report": 0,
        "assignment": handled_case.tasks.get().pk,
        "urging": CaseEvent.objects.get(case=handled_case, kind=EventKind.URGE).pk,
        "feedback": CaseEvent.objects.get(case=handled_case, kind=EventKind.FEEDBACK).pk,
    }[kind]
    response = client_for("town_office").get(f"/cases/{handled_case.pk}/slips/{kind}/{ref}.pdf")
    text = pdf_text(response)
    for value in expected:
        assert value in text, (kind, value)
    assert handled_case.number in text


def test_the_feedback_slip_carries_its_photos(client_for: Any, handled_case: Case) -> None:
    event = CaseEvent.objects.get(case=handled_case, kind=EventKind.FEEDBACK)
    url = f"/cases/{handled_case.pk}/slips/feedback/{event.pk}/"
    body = client_for("town_office").get(url).content.decode()
    photo = event.attachments.get()
    assert f'src="/cases/{handled_case.pk}/photos/{photo.pk}/"' in body
    reader = PdfReader(io.BytesIO(client_for("town_office").get(url[:-1] + ".pdf").content))
    assert len(reader.pages[0].images) == 1


def test_someone_who_cannot_see_the_case_gets_404(client_for: Any, handled_case: Case) -> None:
    outsider = client_for("worker_b1")
    assert outsider.get(f"/cases/{handled_case.pk}/slips/report/0/").status_code == 404
    assert outsider.get(f"/cases/{handled_case.pk}/slips/report/0.pdf").status_code == 404
    assert client_for("").get(f"/cases/{handled_case.pk}/slips/report/0/").status_code == 302


def test_a_slip_of_another_case_or_kind_is_404(
    client_for: Any, handled_case: Case, report: Any
) -> None:
    other = report(description="另一件")
    task = handled_case.tasks.get()
    client = client_for("town_office")
    assert client.get(f"/cases/{other.pk}/slips/assignment/{task.pk}/").status_code == 404
    assert client.get(f"/cases/{handled_case.pk}/slips/invoice/0/").status_code == 404
    assert client.get(f"/cases/{handled_case.pk}/slips/report/5/").status_code == 404
    urge = CaseEvent.objects.get(case=handled_case, kind=EventKind.URGE)
    assert client.get(f"/cases/{handled_case.pk}/slips/feedback/{urge.pk}/").status_code == 404


def test_a_slip_page_queries_are_bounded(
    client_for: Any, handled_case: Case, django_assert_max_num_queries: Any
) -> None:
    client = client_for("town_office")
    url = f"/cases/{handled_case.pk}/slips/feedback/"
    event = CaseEvent.objects.get(case=handled_case, kind=EventKind.FEEDBACK)
    with django_assert_max_num_queries(30):
        assert client.get(f"{url}{event.pk}/").status_code == 200
