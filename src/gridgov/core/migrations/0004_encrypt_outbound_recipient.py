"""Outbound messages keep the staff member's phone encrypted like every other phone (issue 10:
no phone in clear in the database). Rows stored in clear are encrypted in place; reversible."""

from django.db import migrations

import gridgov.core.crypto


def encrypt_existing(apps, schema_editor):
    from gridgov.core.crypto import encrypt_column_in_place

    model = apps.get_model("core", "OutboundMessage")
    encrypt_column_in_place(schema_editor, model, "recipient")


def decrypt_existing(apps, schema_editor):
    from gridgov.core.crypto import decrypt_column_in_place

    decrypt_column_in_place(schema_editor, apps.get_model("core", "OutboundMessage"), "recipient")


class Migration(migrations.Migration):
    dependencies = [("core", "0003_notification_translations")]

    operations = [
        migrations.AlterField(
            model_name="outboundmessage",
            name="recipient",
            field=gridgov.core.crypto.EncryptedTextField(blank=True, verbose_name="接收号码"),
        ),
        migrations.RunPython(encrypt_existing, decrypt_existing),
    ]
