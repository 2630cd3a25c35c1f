"""Load the starting catalogue of matters (cases/catalogue_seed.py: 9 classes, 45 items with
their time limits and department kinds per level). Reversible: removes the seeded rows that no
case refers to."""

from django.db import migrations


def load(apps, schema_editor):
    from gridgov.cases.catalogue_seed import CLASSES, ITEMS

    MatterClass = apps.get_model("cases", "MatterClass")
    MatterItem = apps.get_model("cases", "MatterItem")
    MatterRoute = apps.get_model("cases", "MatterRoute")
    classes = {}
    for order, (code, name) in enumerate(CLASSES, start=1):
        classes[code], _created = MatterClass.objects.get_or_create(
            code=code, defaults={"name": name, "order": order}
        )
    for order, (cls, code, name, days, urgent, emergency, on_spot, routes) in enumerate(ITEMS):
        item, created = MatterItem.objects.get_or_create(
            code=code,
            defaults={
                "matter_class": classes[cls],
                "name": name,
                "limit_days": days,
                "urgent_hours": urgent,
                "emergency_hours": emergency,
                "on_spot_allowed": on_spot,
                "order": order,
            },
        )
        if created:
            MatterRoute.objects.bulk_create(
                MatterRoute(item=item, level=level, department_kind=kind)
                for level, kind in routes.items()
            )


def unload(apps, schema_editor):
    from gridgov.cases.catalogue_seed import CLASSES, ITEMS

    MatterClass = apps.get_model("cases", "MatterClass")
    MatterItem = apps.get_model("cases", "MatterItem")
    MatterItem.objects.filter(code__in=[i[1] for i in ITEMS], cases__isnull=True).delete()
    MatterClass.objects.filter(code__in=[c[0] for c in CLASSES], items__isnull=True).delete()


class Migration(migrations.Migration):
    dependencies = [("cases", "0001_initial")]

    operations = [migrations.RunPython(load, unload)]
