"""Default patrol standards from the seeds; each deployment edits them in the admin. The seeds
give frequencies, not amounts, so the minimum duration, mileage and coverage start at zero (any
recorded patrol day counts) until an office sets them."""

from django.db import migrations

DEFAULTS = [
    # (name, post_kind, level_depth, period, active, note)
    ("专职网格员每日巡查", "worker_full", None, "daily", True, "seed 001: 网格员每日巡查"),
    ("兼职网格员每日巡查", "worker_part", None, "daily", True, "seed 001: 网格员每日巡查"),
    ("网格长每日巡查", "grid_leader", None, "daily", True, "seed 001: 网格员每日巡查"),
    ("下沉人员每周到社区巡查", "embedded_officer", None, "weekly", True, "seed 002: 下沉人员每周"),
    (
        "二级环境网格每月巡查",
        "",
        2,
        "monthly",
        False,
        "seed 003: 环境网格二级每月(用于环境网格部署时启用)",
    ),
    (
        "三级环境网格每周巡查",
        "",
        3,
        "weekly",
        False,
        "seed 003: 环境网格三级每周(用于环境网格部署时启用)",
    ),
]


def add_defaults(apps, schema_editor):
    PatrolStandard = apps.get_model("fieldwork", "PatrolStandard")
    for name, post_kind, depth, period, active, note in DEFAULTS:
        PatrolStandard.objects.get_or_create(
            name=name,
            defaults={
                "post_kind": post_kind,
                "level_depth": depth,
                "period": period,
                "is_active": active,
                "note": note,
            },
        )


def remove_defaults(apps, schema_editor):
    PatrolStandard = apps.get_model("fieldwork", "PatrolStandard")
    PatrolStandard.objects.filter(name__in=[row[0] for row in DEFAULTS]).delete()


class Migration(migrations.Migration):
    dependencies = [("fieldwork", "0002_standards_days_diaries_attendance")]

    operations = [migrations.RunPython(add_defaults, remove_defaults)]
