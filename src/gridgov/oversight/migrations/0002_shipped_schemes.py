"""The shipped schemes sheet100 (seed 002), sheet1000 (seed 003) and gbt30428."""

from django.db import migrations


def forwards(apps, schema_editor):
    from gridgov.oversight.schemes_seed import load

    load(apps.get_model("oversight", "Scheme"), apps.get_model("oversight", "SchemeItem"))


def backwards(apps, schema_editor):
    Scheme = apps.get_model("oversight", "Scheme")
    Scheme.objects.filter(code__in=["sheet100", "sheet1000", "gbt30428"], version=1).delete()


class Migration(migrations.Migration):
    dependencies = [("oversight", "0001_assessment")]
    operations = [migrations.RunPython(forwards, backwards)]
