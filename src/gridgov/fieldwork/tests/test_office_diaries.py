"""The office's diary page (/fieldwork/diaries/, issue 11): entries of the viewer's subtree
filtered by period, grid, worker, tag and kind, linked households masked, photos behind the
entry's visibility, counts per person for the period and the Excel export of the filter."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from PIL import Image

from gridgov.cases.attachments import check_photo
from gridgov.fieldwork.models import Diary
from gridgov.fieldwork.records import _store_diary_photos
from gridgov.registry.models import Household, Person

pytestmark = pytest.mark.django_db
PAGE = "/fieldwork/diaries/"
PERIOD = {"start": "2026-05-01", "end": "2026-05-31"}


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def png() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (30, 120, 200)).save(buffer, format="PNG")
    buffer.name = "site.png"
    buffer.seek(0)
    return buffer


@pytest.fixture
def entries(town):
    home = Household.objects.create(grid=town.a1, number="D1")
    home.head = Person.objects.create(grid=town.a1, household=home, name="张三丰")
    home.save(update_fields=["head"])

    def write(username, kind, day, text, *, grid, tags=""):
        return Diary.objects.create(
            user=town.user(username),
            kind=kind,
            day=dt.date.fromisoformat(day),
            grid=grid,
            text=text,
            tags=tags,
        )

    a = write(
        "worker_a1",
        "people",
        "2026-05-12",
        "走访D1,反映路灯不亮",
        grid=town.a1,
        tags="安全,矛盾纠纷",
    )
    a.households.set([home])
    _store_diary_photos(a, [check_photo(png())])
    write("worker_a1", "people", "2026-05-13", "巡查河道", grid=town.a1, tags="环境")
    write("env_handler", "work", "2026-05-15", "下沉王村,协调环保整改", grid=town.village_a)
    write("worker_b1", "people", "2026-05-12", "李村日志", grid=town.b1)
    write("worker_a1", "people", "2026-04-20", "上月日志", grid=town.a1)
    return a


def listed(response) -> list[str]:
    return [d.text for d, _tags, _homes in response.context["rows"]]


def test_the_village_office_reads_its_subtree_with_counts_per_person(client_for, entries):
    page = client_for("village_a").get(PAGE, PERIOD)
    assert page.status_code == 200
    assert listed(page) == ["下沉王村,协调环保整改", "巡查河道", "走访D1,反映路灯不亮"]
    counts = {(r.username, r.name): (r.people, r.work) for r in page.context["counts"].rows}
    assert counts == {("worker_a1", "李娜"): (2, 0), ("env_handler", "陈刚"): (0, 1)}
    assert page.context["counts"].total == 3
    whole_town = client_for("town_office").get(PAGE, PERIOD)
    assert whole_town.context["counts"].total == 4
    year = client_for("town_office").get(PAGE, {"start": "2026-01-01", "end": "2026-12-31"})
    assert year.context["counts"].total == 5


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({"kind": "work"}, ["下沉王村,协调环保整改"]),
        ({"tag": "矛盾"}, ["走访D1,反映路灯不亮"]),
        ({"user": "worker_a1"}, ["巡查河道", "走访D1,反映路灯不亮"]),
        ({"grid": "410182100201001"}, ["巡查河道", "走访D1,反映路灯不亮"]),
        ({"start": "2026-05-13", "end": "2026-05-14"}, ["巡查河道"]),
        ({"end": "2026-05-13", "start": "2026-05-14"}, ["巡查河道"]),  # a reversed period
    ],
)
def test_filters(client_for, entries, query, expected):
    page = client_for("village_a").get(PAGE, {**PERIOD, **query})
    assert listed(page) == expected
    assert page.context["counts"].total == len(expected)


def test_a_grid_outside_the_subtree_is_a_404_and_workers_have_no_office_page(client_for, entries):
    assert client_for("village_a").get(PAGE, {"grid": "410182100202001"}).status_code == 404
    assert client_for("worker_a1").get(PAGE).status_code == 403


def test_households_are_masked_and_photos_open_behind_the_entrys_visibility(client_for, entries):
    office = client_for("village_a")
    text = office.get(PAGE, PERIOD).content.decode()
    assert "D1 张**" in text
    assert "张三丰" not in text
    photo = entries.photos.get()
    url = f"/api/v1/fieldwork/diaries/{entries.pk}/photos/{photo.pk}"
    assert f'src="{url}"' in text
    opened = office.get(url)
    assert opened.status_code == 200
    assert opened["Content-Type"] == "image/png"
    assert client_for("worker_b1").get(url).status_code == 404


def test_the_export_is_the_filtered_list_with_counts(client_for, entries):
    response = client_for("village_a").get(PAGE, {**PERIOD, "kind": "people", "format": "xlsx"})
    assert response.status_code == 200
    wb = load_workbook(io.BytesIO(response.content))
    rows = list(wb.worksheets[0].values)
    assert [r[4] for r in rows[1:]] == ["巡查河道", "走访D1,反映路灯不亮"]
    assert rows[2][5] == "安全、矛盾纠纷"
    assert rows[2][6] == "D1 张**"
    assert rows[2][8] == 1
    assert "张三丰" not in str(rows)
    counts = list(wb.worksheets[1].values)
    assert counts[1] == ("李娜", "worker_a1", 2, 0, 2)


def test_the_page_reads_in_a_fixed_number_of_queries(
    client_for, town, entries, django_assert_max_num_queries
):
    for n in range(30):
        Diary.objects.create(
            user=town.user("worker_a1"),
            kind="people",
            day=dt.date(2026, 5, 20),
            grid=town.a1,
            text=f"日志{n}",
        )
    office = client_for("village_a")
    with django_assert_max_num_queries(25):
        assert office.get(PAGE, PERIOD).status_code == 200


def test_the_office_navigation_links_the_page(client_for, entries):
    home = client_for("village_a").get("/fieldwork/visits/").content.decode()
    assert f'href="{PAGE}"' in home


def test_the_page_speaks_english(client_for, entries):
    import re

    from gridgov.grids.models import Grid

    cjk = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
    client = client_for("village_a")
    client.cookies["django_language"] = "en"
    text = client.get(PAGE, PERIOD).content.decode()
    assert "Daily and work diaries" in text
    text = re.sub(r"<script[^>]*>.*?</script>", "", text, flags=re.S)
    data = {d.text for d in Diary.objects.all()} | {"安全", "矛盾纠纷", "环境", "张**", "中文"}
    data |= {"王建国", "李娜", "陈刚", "赵强"} | set(Grid.objects.values_list("name", flat=True))
    for value in sorted(data, key=len, reverse=True):
        text = text.replace(value, "")
    assert not sorted(set(cjk.findall(text)))
