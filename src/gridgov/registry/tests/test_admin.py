"""The registry in the Django admin: every page opens, nothing is editable but the code tables,
and no ID number or phone appears in clear."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib import admin

from gridgov.core.masking import mask_id_number
from gridgov.core.testing.town import UNIT_A1
from gridgov.registry.models import AccessLog, CodeItem, LedgerUpload, Person
from gridgov.registry.tests.conftest import make_id

NUMBER = make_id(5, dt.date(1975, 3, 4))
PHONE = "+8613912345678"


@pytest.fixture
def person(town) -> Person:
    return Person.objects.create(
        grid=town.grid(UNIT_A1), name="张三", id_number=NUMBER, phone=PHONE
    )


def registry_models() -> list[type]:
    return [m for m in admin.site._registry if m._meta.app_label == "registry"]


def test_every_registry_admin_page_opens_masked(client_for, town, person) -> None:
    LedgerUpload.objects.create(
        kind="persons", file_name="a.csv", content=b"secret", uploaded_by=town.user("admin")
    )
    client = client_for("admin")
    pages = []
    for model in registry_models():
        base = f"/admin/registry/{model._meta.model_name}/"
        response = client.get(base)
        assert response.status_code == 200, base
        pages.append(response.content.decode())
        row = model.objects.first()
        if row is not None:
            detail = client.get(f"{base}{row.pk}/change/")
            assert detail.status_code == 200, base
            pages.append(detail.content.decode())
        if model is not CodeItem:
            assert client.get(f"{base}add/").status_code == 403, base
    text = "\n".join(pages)
    assert mask_id_number(NUMBER) in text
    assert "139****5678" in text
    assert NUMBER not in text
    assert "13912345678" not in text
    assert person.id_number_index not in text  # no blind index either


def test_only_code_tables_are_editable(client_for, person) -> None:
    client = client_for("admin")
    item = CodeItem.objects.first()
    assert client.get(f"/admin/registry/codeitem/{item.pk}/change/").status_code == 200
    response = client.post(f"/admin/registry/person/{person.pk}/change/", {"name": "改"})
    assert response.status_code == 403
    person.refresh_from_db()
    assert person.name == "张三"
    assert (
        client.post(f"/admin/registry/person/{person.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert Person.objects.filter(pk=person.pk).exists()
    assert not AccessLog.objects.exists()
