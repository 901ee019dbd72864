"""Production refuses placeholder secrets and a missing first-admin password; development runs as is."""

from __future__ import annotations

import pytest
from pydantic import SecretStr, ValidationError

from api.settings import AppSettings

REAL = {
    "environment": "production",
    "rasa_token": SecretStr("r" * 40),
    "action_token": SecretStr("a" * 40),
    "secret_key": SecretStr("s" * 48),
    "admin_password": SecretStr("a long admin password"),
}


def test_development_needs_no_secrets() -> None:
    settings = AppSettings(_env_file=None)  # type: ignore[call-arg]
    assert settings.environment == "development" and settings.cookies_secure is False


def test_production_with_real_secrets_starts_with_secure_cookies() -> None:
    assert AppSettings(**REAL).cookies_secure is True  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("secret_key", None, "APP_SECRET_KEY"),
        ("secret_key", SecretStr("short"), "APP_SECRET_KEY"),
        ("admin_password", None, "APP_ADMIN_PASSWORD"),
        ("admin_password", SecretStr("short"), "APP_ADMIN_PASSWORD"),
        ("action_token", None, "APP_ACTION_TOKEN"),
    ],
)
def test_production_refuses_missing_or_placeholder_secrets(field: str, value: SecretStr | None, message: str) -> None:
    values = {k: v for k, v in REAL.items() if k != field}
    if value is not None:
        values[field] = value
    with pytest.raises(ValidationError, match=message):
        AppSettings(**values)  # type: ignore[arg-type]
