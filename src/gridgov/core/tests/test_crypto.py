"""Field encryption without the database: keys from the environment, rotation, tampering."""

from __future__ import annotations

import pytest
from cryptography.fernet import Fernet

from gridgov.core import crypto


@pytest.fixture
def two_keys(monkeypatch: pytest.MonkeyPatch) -> tuple[str, str]:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    monkeypatch.setenv(crypto.FIELD_KEYS_ENV, old)
    return old, new


def test_tokens_are_authenticated_and_not_deterministic(two_keys: tuple[str, str]) -> None:
    a, b = crypto.encrypt("13912345678"), crypto.encrypt("13912345678")
    assert a != b
    assert "13912345678" not in a
    assert crypto.decrypt(a) == "13912345678"
    tampered = a[:-6] + ("A" if a[-6] != "A" else "B") + a[-5:]
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(tampered)


def test_old_key_still_decrypts_after_a_new_key_is_put_first(
    two_keys: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    old, new = two_keys
    token = crypto.encrypt("370402198001011234")
    monkeypatch.setenv(crypto.FIELD_KEYS_ENV, f"{new},{old}")
    assert crypto.decrypt(token) == "370402198001011234"
    assert not crypto.is_under_newest_key(token)
    assert crypto.is_under_newest_key(crypto.encrypt("x"))
    monkeypatch.setenv(crypto.FIELD_KEYS_ENV, new)
    with pytest.raises(crypto.DecryptionError):
        crypto.decrypt(token)


def test_keys_are_not_derived_from_the_django_secret(settings: object) -> None:
    before = crypto.configured_field_keys()
    settings.SECRET_KEY = "another-secret"  # type: ignore[attr-defined]
    assert crypto.configured_field_keys() == before


def test_a_malformed_key_is_a_configuration_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.exceptions import ImproperlyConfigured

    monkeypatch.setenv(crypto.FIELD_KEYS_ENV, "not-a-key")
    with pytest.raises(ImproperlyConfigured):
        crypto.encrypt("x")


def test_blind_index_is_keyed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(crypto.INDEX_KEY_ENV, "k" * 40)
    first = crypto.blind_index("+8613912345678")
    monkeypatch.setenv(crypto.INDEX_KEY_ENV, "j" * 40)
    assert crypto.blind_index("+8613912345678") != first
    assert len(first) == 64
