"""Issue 10: the contact_phone column becomes an EncryptedTextField; rows stored in clear are encrypted
in place (and indexed) by the data step. Reversible: going back decrypts them first."""

from django.db import migrations

import gridgov.core.crypto


def encrypt_existing(apps, schema_editor):
    from gridgov.core.crypto import encrypt_column_in_place
    from gridgov.core.masking import normalise_phone_lenient

    model = apps.get_model("cases", "Case")
    encrypt_column_in_place(
        schema_editor, model, "contact_phone", "contact_phone_index", normalise_phone_lenient
    )


def decrypt_existing(apps, schema_editor):
    from gridgov.core.crypto import decrypt_column_in_place

    decrypt_column_in_place(schema_editor, apps.get_model("cases", "Case"), "contact_phone")


class Migration(migrations.Migration):
    dependencies = [("cases", "0003_step_clocks_task_flags_received_at")]

    operations = [
        migrations.AddField(
            model_name="case",
            name="contact_phone_index",
            field=gridgov.core.crypto.BlindIndexField(
                blank=True, db_index=True, null=True, source="contact_phone"
            ),
        ),
        migrations.AlterField(
            model_name="case",
            name="contact_phone",
            field=gridgov.core.crypto.EncryptedTextField(blank=True, verbose_name="联系电话"),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
