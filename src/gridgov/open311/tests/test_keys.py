"""`gridgov open311-key create|list|revoke` and the admin page of keys and their use."""

from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from gridgov.core.testing.town import UNIT_A2
from gridgov.open311 import services
from gridgov.open311.models import ApiKey

pytestmark = pytest.mark.django_db


def test_create_prints_the_key_alone_on_its_last_line(capsys):
    # `gridgov open311-key …` is this command (cli.py maps the hyphen); run in-process here,
    # since run_from_argv would close the test's database connection.
    call_command("open311_key", "create", "随手拍", "--scope", UNIT_A2)
    lines = capsys.readouterr().out.strip().splitlines()
    raw = lines[-1]
    assert raw.startswith("o311_")
    assert " " not in raw
    key = services.authenticate(raw)
    assert key is not None
    assert key.name == "随手拍"
    assert key.scope.code == UNIT_A2
    assert raw not in str(ApiKey.objects.values_list())


def test_list_and_revoke(capsys):
    _row, raw = services.create_key(name="city-app")
    services.authenticate(raw)
    call_command("open311_key", "list")
    out = capsys.readouterr().out
    assert "city-app" in out
    assert "uses=1" in out
    assert raw not in out
    call_command("open311_key", "revoke", "city-app")
    assert services.authenticate(raw) is None
    call_command("open311_key", "list")
    assert "revoked" in capsys.readouterr().out


@pytest.mark.parametrize(
    "args",
    [
        ["create", "city-app"],  # the name is taken
        ["create", "new-app", "--scope", "999"],  # no such grid
        ["revoke", "nobody"],
    ],
)
def test_command_errors(args):
    services.create_key(name="city-app")
    with pytest.raises(CommandError):
        call_command("open311_key", *args)


def test_admin_lists_keys_with_their_use_and_cannot_add(client_for):
    _row, raw = services.create_key(name="city-app")
    for _ in range(3):
        services.authenticate(raw)
    admin = client_for("admin")
    page = admin.get("/admin/open311/apikey/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "city-app" in text
    assert ">3<" in text
    assert raw not in text
    assert admin.get("/admin/open311/apikey/add/").status_code == 403
    key = ApiKey.objects.get()
    answer = admin.post(
        "/admin/open311/apikey/",
        {"action": "revoke", "_selected_action": [key.pk]},
    )
    assert answer.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None
    assert admin.get("/admin/open311/submission/").status_code == 200


def test_admin_edits_an_items_questions(client_for, attributes):
    from gridgov.cases.models import MatterItem

    item = MatterItem.objects.get(code="0401")
    page = client_for("admin").get(f"/admin/cases/matteritem/{item.pk}/change/")
    assert page.status_code == 200
    assert "气味程度" in page.content.decode()


def test_attribute_options_are_checked():
    from django.core.exceptions import ValidationError

    from gridgov.cases.models import AttributeDatatype, MatterAttribute, MatterItem

    item = MatterItem.objects.get(code="0401")
    bad = [
        MatterAttribute(item=item, code="a", description="q", datatype=AttributeDatatype.SINGLE),
        MatterAttribute(item=item, code="b", description="q", values=[{"key": "x", "name": "X"}]),
        MatterAttribute(
            item=item, code="c", description="q", datatype=AttributeDatatype.MULTI, values=["x"]
        ),
    ]
    for attribute in bad:
        with pytest.raises(ValidationError):
            attribute.clean()
    MatterAttribute(
        item=item,
        code="d",
        description="q",
        datatype=AttributeDatatype.MULTI,
        values=[{"key": "x", "name": "X"}],
    ).clean()
