"""Seed the official calendar 2004–2026 from chinesecalendar (pinned 1.11.0).

Self-contained on purpose: a migration must keep producing the same rows whatever later code
does. Reversing removes only the rows this seed wrote (source "chinesecalendar")."""

import uuid

from django.db import migrations

SOURCE = "chinesecalendar"
NAMES_ZH = {
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利70周年纪念日",
}


def seed(apps, schema_editor):
    from chinese_calendar import constants

    Day = apps.get_model("core", "WorkCalendarDay")
    Year = apps.get_model("core", "WorkCalendarYear")
    Revision = apps.get_model("core", "CalendarRevision")
    rows = {}
    for day, name in constants.holidays.items():
        rows[day] = Day(
            date=day, is_workday=False, name=NAMES_ZH.get(str(name), str(name)), source=SOURCE
        )
    for day, name in constants.workdays.items():
        rows[day] = Day(
            date=day,
            is_workday=True,
            name=NAMES_ZH.get(str(name), str(name)) + "调休上班",
            source=SOURCE,
        )
    existing = set(Day.objects.filter(date__in=list(rows)).values_list("date", flat=True))
    Day.objects.bulk_create(
        [r for d, r in sorted(rows.items()) if d not in existing], batch_size=500
    )
    years = sorted({d.year for d in rows})
    have = set(Year.objects.values_list("year", flat=True))
    Year.objects.bulk_create(
        [
            Year(year=y, source=SOURCE, note="chinesecalendar 1.11.0")
            for y in range(years[0], years[-1] + 1)
            if y not in have
        ]
    )
    revision, _ = Revision.objects.get_or_create(pk=1)
    revision.revision += 1
    revision.token = uuid.uuid4()
    revision.save()


def unseed(apps, schema_editor):
    apps.get_model("core", "WorkCalendarDay").objects.filter(source=SOURCE).delete()
    apps.get_model("core", "WorkCalendarYear").objects.filter(source=SOURCE).delete()


class Migration(migrations.Migration):
    dependencies = [("core", "0001_calendar_and_inbox")]

    operations = [migrations.RunPython(seed, unseed)]
