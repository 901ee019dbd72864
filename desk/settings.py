"""Settings of the desk (environment prefix `DESK_`; the database URL is `DATABASE_URL`)."""

from __future__ import annotations

from datetime import time
from functools import lru_cache

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class DeskSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DESK_", extra="ignore")

    database_url: str = Field(
        default="sqlite:///var/desk.db", validation_alias=AliasChoices("DATABASE_URL", "DESK_DATABASE_URL")
    )
    # Handbook P1: human agents work 09:00–21:00 Beijing time, every day.
    timezone: str = "Asia/Shanghai"
    service_opens: time = time(9, 0)
    service_closes: time = time(21, 0)
    # Until agents sign in to a console, the expected wait uses these figures.
    agents_on_duty: int = Field(default=2, ge=1)
    minutes_per_customer: float = Field(default=6.0, gt=0)
    # Closed conversations idle longer than this are deleted by `python -m desk purge` (0: kept forever).
    retention_days: int = Field(default=365, ge=0)


@lru_cache(maxsize=1)
def get_settings() -> DeskSettings:
    return DeskSettings()
