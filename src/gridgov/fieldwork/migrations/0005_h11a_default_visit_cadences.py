"""Default visit cadences from seed 003 (每月至少上门联系1次重点户; 每季度至少上门联系1次普通户;
每季度至少向联系户开展1次微宣讲); each deployment edits them in the admin."""

from django.db import migrations

DEFAULTS = [
    ("key", 1, "seed 003: 每月至少上门联系1次重点户"),
    ("ordinary", 3, "seed 003: 每季度至少上门联系1次普通户"),
    ("policy_talk", 3, "seed 003: 每季度至少向联系户开展1次微宣讲"),
]


def add_defaults(apps, schema_editor):
    VisitCadence = apps.get_model("fieldwork", "VisitCadence")
    for kind, months, note in DEFAULTS:
        VisitCadence.objects.get_or_create(kind=kind, defaults={"months": months, "note": note})


def remove_defaults(apps, schema_editor):
    VisitCadence = apps.get_model("fieldwork", "VisitCadence")
    VisitCadence.objects.filter(kind__in=[kind for kind, _m, _n in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("fieldwork", "0004_h11a_visits_surveys"),
    ]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
