"""Default warning rules (the office edits them as new versions)."""

from django.db import migrations

RULES = [
    (
        "same_class_7d",
        "7天内同一网格同类案件集中发生",
        "cluster",
        {"days": 7, "levels": {"blue": 3, "yellow": 5, "orange": 8}},
    ),
    (
        "overdue_backlog",
        "网格超期案件积压",
        "overdue",
        {"levels": {"blue": 3, "yellow": 5, "orange": 8, "red": 12}},
    ),
    (
        "hotline_surge",
        "网格热线诉求激增",
        "surge",
        {
            "days": 7,
            "baseline_days": 56,
            "min_count": 3,
            "levels": {"blue": 1.5, "yellow": 2, "orange": 3, "red": 4},
        },
    ),
]


def forwards(apps, schema_editor):
    WarningRule = apps.get_model("oversight", "WarningRule")
    for code, name, kind, params in RULES:
        if not WarningRule.objects.filter(code=code).exists():
            WarningRule.objects.create(code=code, name=name, kind=kind, params=params)


def backwards(apps, schema_editor):
    apps.get_model("oversight", "WarningRule").objects.filter(
        code__in=[r[0] for r in RULES], version=1
    ).delete()


class Migration(migrations.Migration):
    dependencies = [("oversight", "0003_warnings_bulletins")]
    operations = [migrations.RunPython(forwards, backwards)]
