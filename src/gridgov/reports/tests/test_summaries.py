"""Work summaries: the figures come from the indicator code (no second formula), the Word file
opens with python-docx and carries them, the PDF embeds a CJK font and its text carries them,
the command line writes both, and the pages are scoped and keep the office's text."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from gridgov.core.errors import DomainError
from gridgov.fieldwork.models import Diary, DiaryKind
from gridgov.oversight.indicators import Period, UnitKind, compute
from gridgov.oversight.models import JointAction, JointActionState, Training
from gridgov.oversight.tests import conftest as oversight_fixtures
from gridgov.oversight.tests.conftest import at
from gridgov.people.models import Staff
from gridgov.reports.summaries import SummaryPeriod, compute_figures, find_unit
from gridgov.reports.summary_docx import DEFAULT_TEMPLATE, build_default_template
from gridgov.reports.summary_services import (
    export,
    save_text,
    summary_of,
    template_for,
    upload_template,
)

TOWN = "410182100000"
# The oversight tests' hand-made case rows (fixtures shared by name).
make_case = oversight_fixtures.make_case
make_callback = oversight_fixtures.make_callback
posts_held_since_2025 = oversight_fixtures.posts_held_since_2025


@pytest.fixture
def year_2026(town, make_case, make_callback):
    """A small year: 5 cases due (4 closed, 1 in rework), 2 callbacks (1 satisfied), 3 people's
    diaries, 1 training of 2 people, 1 joint action done; one more case and diary in 2025."""
    closed = [
        make_case("A1", state="closed", due=at(m, 10), closed=at(m, 9), created=at(m, 1))
        for m in (1, 3, 3, 7)
    ]
    make_case("B1", state="handling", due=at(11, 20), created=at(11, 1), rework=1)
    make_case(
        "A2",
        state="closed",
        due=at(6, 1, year=2025),
        closed=at(6, 1, year=2025),
        created=at(5, 20, year=2025),
    )
    make_callback(closed[0], satisfaction=5, when=at(1, 12))
    make_callback(closed[1], satisfaction=2, when=at(3, 12))
    worker = town.user("worker_a1")
    for day in (dt.date(2026, 2, 1), dt.date(2026, 2, 2), dt.date(2026, 8, 1), dt.date(2025, 8, 1)):
        Diary.objects.create(user=worker, kind=DiaryKind.PEOPLE, day=day, grid=town.a1, text="走访")
    office = town.user("town_office")
    training = Training.objects.create(
        topic="消防安全",
        grid=town.town,
        held_on=dt.date(2026, 4, 2),
        hours=Decimal(2),
        recorded_by=office,
    )
    training.attendees.set(Staff.objects.filter(user__username__in=["worker_a1", "worker_b1"]))
    JointAction.objects.create(
        title="取缔非法送气点",
        grid=town.town,
        reason="群众举报",
        requested_by=office,
        state=JointActionState.DONE,
        done_at=at(3, 12),
    )
    return town


def test_periods_parse_and_refuse():
    year = SummaryPeriod.parse("2026").period
    assert (year.start.isoformat(), year.end.isoformat()) == (
        "2026-01-01T00:00:00+08:00",
        "2027-01-01T00:00:00+08:00",
    )
    q4 = SummaryPeriod.parse("2026-q4")
    assert (q4.label, q4.period.end.year, q4.month_labels()) == (
        "2026-Q4",
        2027,
        ["2026-10", "2026-11", "2026-12"],
    )
    assert SummaryPeriod.parse("2026-03").period == Period.month("2026-03")
    for bad in ("", "2026-13", "26", "2026-Q5", "1800"):
        with pytest.raises(DomainError) as err:
            SummaryPeriod.parse(bad)
        assert err.value.field == "period"


def test_figures_are_the_indicator_figures_over_the_whole_period(year_2026):
    town = year_2026
    unit = find_unit(None, UnitKind.TOWN, TOWN)
    fig = compute_figures(unit, SummaryPeriod.parse("2026"))
    # The indicator code over P = the year gives the same counts (one formula).
    period = SummaryPeriod.parse("2026").period
    counts = next(c for u, c in compute(UnitKind.TOWN, period) if u.code == TOWN)
    assert (fig.due, fig.closed, fig.reported) == (counts.due, counts.closed, counts.reports)
    assert (fig.due, fig.closed, fig.reported) == (5, 4, 5)
    assert fig.closure_rate == pytest.approx(0.8)
    assert (fig.callbacks, fig.satisfaction_rate) == (2, pytest.approx(0.5))
    assert (fig.diaries, fig.trainings, fig.training_attendance) == (3, 1, 2)
    assert (fig.joint_actions, fig.warnings, fig.bulletins) == (1, 0, 0)
    assert [m["closed"] for m in fig.monthly] == [1, 0, 2, 0, 0, 0, 1, 0, 0, 0, 0, 0]
    # The first quarter: the same code over three months.
    q1 = compute_figures(unit, SummaryPeriod.parse("2026-Q1"))
    assert (q1.due, q1.closed, q1.diaries, q1.joint_actions) == (3, 3, 2, 1)
    # A village only sees its own subtree.
    village = compute_figures(
        find_unit(None, UnitKind.VILLAGE, town.village_b.code), SummaryPeriod.parse("2026")
    )
    assert (village.due, village.closed, village.diaries) == (1, 0, 0)


def _docx_text(content: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(content))
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts.append(" | ".join(c.text for c in row.cells))
    return "\n".join(parts)


def test_word_summary_opens_and_carries_the_figures(year_2026):
    summary = summary_of(None, "town", TOWN, "2026")
    name, content, content_type = export(summary, "docx")
    assert name == f"summary-town-{TOWN}-2026.docx"
    assert content_type.endswith("wordprocessingml.document")
    text = _docx_text(content)
    assert "平台上报信息5条" in text
    assert "应结案5件,办结4件,办结率达80.0%" in text
    assert "网格员共记录民情日志3篇" in text
    assert "开展联合执法1次" in text
    assert "结案率 | 80.0%" in text
    assert "满意率 | 50.0%" in text
    assert "{{" not in text
    assert "{%" not in text
    from docx import Document

    assert len(Document(io.BytesIO(content)).inline_shapes) == 1  # the chart
    styles = zipfile.ZipFile(io.BytesIO(content)).read("word/styles.xml").decode()
    assert 'w:eastAsia="宋体"' in styles


def test_shipped_template_is_what_the_builder_writes():
    from docx import Document

    shipped = Document(str(DEFAULT_TEMPLATE))
    built = Document(io.BytesIO(build_default_template()))
    assert [p.text for p in shipped.paragraphs] == [p.text for p in built.paragraphs]
    normal = shipped.styles["Normal"].element.rPr.rFonts
    assert (
        normal.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
        == "宋体"
    )


def test_pdf_summary_embeds_a_cjk_font_and_carries_the_figures(year_2026):
    from pypdf import PdfReader

    _name, content, content_type = export(summary_of(None, "town", TOWN, "2026"), "pdf")
    assert content_type == "application/pdf"
    reader = PdfReader(io.BytesIO(content))
    text = "".join(page.extract_text() for page in reader.pages)
    compact = re.sub(r"\s+", "", text)
    assert "平台上报信息5条" in compact
    assert "办结率达80.0%" in compact
    embedded = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            font = font.get_object()
            for desc in [font.get("/FontDescriptor")] + [
                d.get_object().get("/FontDescriptor") for d in font.get("/DescendantFonts", [])
            ]:
                if desc is not None:
                    desc = desc.get_object()
                    if any(k in desc for k in ("/FontFile", "/FontFile2", "/FontFile3")):
                        embedded.add(str(desc["/FontName"]))
    assert any("CJK" in name for name in embedded), embedded


def test_command_writes_word_and_pdf(year_2026, tmp_path):
    for ext in ("docx", "pdf"):
        out = tmp_path / f"s.{ext}"
        call_command(
            "summary", "--unit", "town", "--code", TOWN, "--period", "2026", "-o", str(out)
        )
        assert out.read_bytes()[:4] in (b"PK\x03\x04", b"%PDF")
    with pytest.raises(CommandError, match="period"):
        call_command(
            "summary",
            "--unit",
            "town",
            "--code",
            TOWN,
            "--period",
            "20x6",
            "-o",
            str(tmp_path / "x.docx"),
        )
    with pytest.raises(CommandError):
        call_command(
            "summary",
            "--unit",
            "town",
            "--code",
            TOWN,
            "--period",
            "2026",
            "-o",
            str(tmp_path / "x.txt"),
        )
    with pytest.raises(CommandError, match="code"):
        call_command(
            "summary",
            "--unit",
            "town",
            "--code",
            "nope",
            "--period",
            "2026",
            "-o",
            str(tmp_path / "x.pdf"),
        )


def test_page_is_scoped_and_keeps_the_office_text(year_2026, client_for):
    url = reverse("reports:summary")
    office = client_for("town_office")
    page = office.get(url, {"unit": "town", "code": TOWN, "period": "2026"})
    assert page.status_code == 200
    assert "办结率达80.0%" in page.content.decode()
    # A village office cannot open the town; a worker has no summary pages.
    assert client_for("village_a").get(url, {"unit": "town", "code": TOWN}).status_code == 404
    assert client_for("worker_a1").get(url).status_code == 403
    bad = office.get(url, {"unit": "town", "code": TOWN, "period": "2026-99"})
    assert bad.status_code == 400
    # The office writes its own sections; the Word file carries them.
    form = {
        "title": "王村镇2026年网格化管理工作总结",
        "s-TOTAL_FORMS": "2",
        "s-INITIAL_FORMS": "0",
        "s-MIN_NUM_FORMS": "0",
        "s-MAX_NUM_FORMS": "12",
        "s-0-title": "二、强化队伍建设",
        "s-0-body": "调整完善了网格长队伍。\n年初集中培训。",
        "s-1-title": "",
        "s-1-body": "",
    }
    query = "?unit=town&code=" + TOWN + "&period=2026"
    saved = office.post(reverse("reports:summary_text") + query, form)
    assert saved.status_code == 302
    assert (
        client_for("leader").post(reverse("reports:summary_text") + query, form).status_code == 400
    )
    word = office.get(
        reverse("reports:summary_download"),
        {"unit": "town", "code": TOWN, "period": "2026", "format": "docx"},
    )
    assert word.status_code == 200
    text = _docx_text(word.content)
    assert "王村镇2026年网格化管理工作总结" in text
    assert "二、强化队伍建设\n调整完善了网格长队伍。\n年初集中培训。" in text
    assert (
        office.get(
            reverse("reports:summary_download"), {"unit": "town", "code": TOWN, "format": "odt"}
        ).status_code
        == 400
    )
    chart = office.get(reverse("reports:summary_chart"), {"unit": "town", "code": TOWN})
    assert chart.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_office_template_is_checked_and_used(year_2026, town, client_for):
    from docx import Document

    office = town.user("town_office")
    with pytest.raises(DomainError) as err:
        upload_template(name="坏模板", content=b"not a docx", grid=town.town, by=office)
    assert err.value.field == "file"
    broken = Document(io.BytesIO(build_default_template()))
    broken.add_paragraph("{% for x in %}")
    out = io.BytesIO()
    broken.save(out)
    with pytest.raises(DomainError):
        upload_template(name="坏模板", content=out.getvalue(), grid=town.town, by=office)
    with pytest.raises(DomainError):
        upload_template(
            name="x", content=build_default_template(), grid=town.town, by=town.user("worker_a1")
        )
    own = Document(io.BytesIO(build_default_template()))
    own.add_paragraph("王村镇人民政府(盖章)")
    out = io.BytesIO()
    own.save(out)
    page = client_for("town_office").post(
        reverse("reports:summary_templates"),
        {
            "name": "王村镇模板",
            "grid": str(town.town.pk),
            "file": _upload("own.docx", out.getvalue()),
        },
    )
    assert page.status_code == 302
    unit = find_unit(None, "village", town.village_a.code)
    assert template_for(unit).name == "王村镇模板"  # inherited from the town
    text = _docx_text(export(summary_of(None, "town", TOWN, "2026"), "docx")[1])
    assert "王村镇人民政府(盖章)" in text
    assert "办结率达80.0%" in text
    bad = client_for("town_office").post(
        reverse("reports:summary_templates"),
        {"name": "坏", "grid": str(town.town.pk), "file": _upload("x.docx", b"zzz")},
    )
    assert bad.status_code == 400
    assert "docx" in bad.content.decode()


def _upload(name: str, content: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile(name, content)


def test_save_text_refuses_non_office_and_long_input(town):
    unit = find_unit(None, "town", TOWN)
    period = SummaryPeriod.parse("2026")
    with pytest.raises(DomainError):
        save_text(unit=unit, period=period, title="t", sections=[], by=town.user("worker_a1"))
    with pytest.raises(DomainError) as err:
        save_text(
            unit=unit,
            period=period,
            title="t",
            sections=[{"title": "x" * 121, "body": ""}],
            by=town.user("town_office"),
        )
    assert err.value.field == "sections.0.title"


@pytest.mark.parametrize(
    "url", ["/reports/summary/?unit=town&period=2026-Q1", "/reports/summary/templates/"]
)
def test_summary_pages_in_english(town, url):
    import html

    from django.test import Client

    from gridgov.hotline.tests.test_english import chinese_left

    client = Client()
    client.force_login(town.user("town_office"))
    client.cookies["django_language"] = "en"
    response = client.get(url)
    assert response.status_code == 200
    assert chinese_left(html.unescape(response.content.decode())) == []


def test_demo_summary_text_is_kept_once(town):
    from types import SimpleNamespace

    from gridgov.reports.summary_demo import seed_demo_summary

    demo = SimpleNamespace(root_code=TOWN)
    row = seed_demo_summary(summary=demo, today=dt.date(2026, 12, 6))
    assert row is not None
    assert (row.period, len(row.sections)) == ("2026", 5)
    assert seed_demo_summary(summary=demo, today=dt.date(2026, 12, 6)) is None
    text = _docx_text(export(summary_of(None, "town", TOWN, "2026"), "docx")[1])
    assert "二、强化队伍建设,为网格化管理提供人员保障" in text


def test_demo_summary_of_a_root_that_is_not_a_town_takes_the_first_town(town):
    from types import SimpleNamespace

    from gridgov.reports.summary_demo import seed_demo_summary

    row = seed_demo_summary(summary=SimpleNamespace(root_code="4101"), today=dt.date(2026, 1, 2))
    assert row is not None
    assert (row.unit_kind, row.unit_code) == ("town", TOWN)
