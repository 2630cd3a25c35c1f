"""Issue 10: the phone column becomes an EncryptedTextField; rows stored in clear are encrypted
in place (and indexed) by the data step. Reversible: going back decrypts them first."""

from django.db import migrations

import gridgov.core.crypto


def encrypt_existing(apps, schema_editor):
    from gridgov.core.crypto import encrypt_column_in_place
    from gridgov.core.masking import normalise_phone_lenient

    model = apps.get_model("people", "Staff")
    encrypt_column_in_place(schema_editor, model, "phone", "phone_index", normalise_phone_lenient)


def decrypt_existing(apps, schema_editor):
    from gridgov.core.crypto import decrypt_column_in_place

    decrypt_column_in_place(schema_editor, apps.get_model("people", "Staff"), "phone")


class Migration(migrations.Migration):
    dependencies = [("people", "0004_h10_registry_roles")]

    operations = [
        migrations.AddField(
            model_name="staff",
            name="phone_index",
            field=gridgov.core.crypto.BlindIndexField(
                blank=True, db_index=True, null=True, source="phone"
            ),
        ),
        migrations.AlterField(
            model_name="staff",
            name="phone",
            field=gridgov.core.crypto.EncryptedTextField(blank=True, verbose_name="电话"),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
