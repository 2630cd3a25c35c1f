"""Load the national code tables (fixtures/code_tables.json): each row records its standard."""

import json
from pathlib import Path

from django.db import migrations

FIXTURE = Path(__file__).resolve().parent.parent / "fixtures" / "code_tables.json"


def load(apps, schema_editor):
    CodeItem = apps.get_model("registry", "CodeItem")
    rows = json.loads(FIXTURE.read_text(encoding="utf-8"))
    for row in rows:
        fields = row["fields"]
        CodeItem.objects.update_or_create(
            table=fields["table"],
            code=fields["code"],
            defaults={"name": fields["name"], "standard": fields["standard"]},
        )


def unload(apps, schema_editor):
    apps.get_model("registry", "CodeItem").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("registry", "0001_registry")]

    operations = [migrations.RunPython(load, unload)]
