"""Production refuses missing secrets and a missing first-admin password; development runs as is, with
random secrets for what is not set (never a well-known placeholder)."""

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


def test_unset_secrets_are_random_for_each_process_never_a_known_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("APP_RASA_TOKEN", "APP_ACTION_TOKEN", "APP_SECRET_KEY"):
        monkeypatch.delenv(variable, raising=False)
    first, second = AppSettings(), AppSettings()
    for name in ("rasa_token", "action_token", "secret_key"):
        value = getattr(first, name).get_secret_value()
        assert len(value) >= 32 and value != getattr(second, name).get_secret_value(), name
    assert first.generated_secrets == ["APP_RASA_TOKEN", "APP_ACTION_TOKEN", "APP_SECRET_KEY"]


def test_secrets_from_the_environment_are_used_as_given(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ACTION_TOKEN", "shared-with-rasa")
    settings = AppSettings()
    assert settings.action_token.get_secret_value() == "shared-with-rasa"
    assert "APP_ACTION_TOKEN" not in settings.generated_secrets


@pytest.mark.parametrize("field", ["rasa_token", "action_token", "secret_key"])
def test_an_empty_secret_is_refused_even_in_development(field: str) -> None:
    with pytest.raises(ValidationError, match="must not be empty"):
        AppSettings(**{field: SecretStr(" ")})  # type: ignore[arg-type]


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
        ("rasa_token", None, "APP_RASA_TOKEN"),
    ],
)
def test_production_refuses_missing_or_placeholder_secrets(field: str, value: SecretStr | None, message: str) -> None:
    values = {k: v for k, v in REAL.items() if k != field}
    if value is not None:
        values[field] = value
    with pytest.raises(ValidationError, match=message):
        AppSettings(**values)  # type: ignore[arg-type]


def test_one_process_keeps_everything_in_memory_by_default(monkeypatch: pytest.MonkeyPatch) -> None:
    for variable in ("APP_REDIS_URL", "APP_RATE_LIMIT_STORAGE"):
        monkeypatch.delenv(variable, raising=False)
    settings = AppSettings()
    assert settings.redis_url is None and settings.rate_limit_storage == "memory://"


def test_the_replicas_redis_holds_the_rate_limits_unless_they_are_set_apart(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("APP_RATE_LIMIT_STORAGE", raising=False)
    monkeypatch.setenv("APP_REDIS_URL", "redis://redis.internal:6379/0")
    assert AppSettings().rate_limit_storage == "redis://redis.internal:6379/0"
    monkeypatch.setenv("APP_RATE_LIMIT_STORAGE", "redis://limits.internal:6379/1")
    assert AppSettings().rate_limit_storage == "redis://limits.internal:6379/1"


@pytest.mark.parametrize("url", ["memory://", "localhost:6379", "http://redis:6379"])
def test_the_redis_url_must_be_one(url: str) -> None:
    with pytest.raises(ValidationError, match="Redis URL"):
        AppSettings(redis_url=url)
