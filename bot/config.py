"""Settings from environment variables and an optional `.env`, read only when asked for."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

import platformdirs
from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

__all__ = ["ConfigError", "Settings", "default_content_dir", "load_settings", "to_driver_url"]

# Synchronous drivers: a unit of work runs as one plain function (see bot.store.database).
_DRIVERS = {
    "sqlite": "sqlite+pysqlite",
    "postgres": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
}


class ConfigError(Exception):
    """A setting has a value the bot cannot use; the message names the variable."""


def default_content_dir() -> Path:
    """Content shipped inside the wheel (`bot/content`), else the source tree's `content/`."""
    package_dir = Path(__file__).resolve().parent
    installed = package_dir / "content"
    return installed if installed.is_dir() else package_dir.parent / "content"


def default_database_url() -> str:
    data_dir = Path(platformdirs.user_data_dir("revision-bot", appauthor=False))
    return f"sqlite:///{data_dir / 'revision-bot.db'}"


def to_driver_url(url: str) -> str:
    """Accept what people write (`sqlite:///x.db`, `postgresql://...`) and pick the driver."""
    scheme, separator, rest = url.partition("://")
    if not separator:
        raise ValueError("expected a URL such as sqlite:///path.db or postgresql://user@host/db")
    base = scheme.split("+", 1)[0].lower()
    if base not in _DRIVERS:
        raise ValueError(f"unsupported database {base!r}; use sqlite:/// or postgresql://")
    return f"{_DRIVERS[base]}://{rest}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", extra="ignore", case_sensitive=False)

    database_url: str = Field(default_factory=default_database_url)
    telegram_bot_token: SecretStr | None = None
    telegram_api_url: str = "https://api.telegram.org/bot"
    telegram_webhook_url: str | None = None
    telegram_webhook_secret: SecretStr | None = None
    telegram_paid_broadcast: bool = False
    slack_bot_token: SecretStr | None = None
    slack_signing_secret: SecretStr | None = None
    slack_app_token: SecretStr | None = None
    slack_api_url: str = "https://slack.com/api/"
    host: str = "0.0.0.0"
    port: int = Field(default=8080, ge=0, le=65535)
    content_dir: Path = Field(default_factory=default_content_dir)
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["text", "json"] = "text"
    admin_ids: Annotated[list[str], NoDecode] = Field(default_factory=list)
    daily_grace_hours: float = Field(default=6.0, gt=0, le=23)
    daily_tick_seconds: int = Field(default=60, ge=1, le=60)
    # Telegram's open_period allows 5 to 600 seconds.
    interview_seconds: int = Field(default=60, ge=5, le=600)
    interview_tick_seconds: float = Field(default=2.0, gt=0, le=30)

    @field_validator("database_url")
    @classmethod
    def _database_url_is_usable(cls, value: str) -> str:
        return to_driver_url(value.strip())

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_log_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("log_format", mode="before")
    @classmethod
    def _lower_log_format(cls, value: object) -> object:
        return value.lower() if isinstance(value, str) else value

    @field_validator("admin_ids", mode="before")
    @classmethod
    def _split_admin_ids(cls, value: object) -> object:
        if isinstance(value, str):
            return [part.strip() for part in value.split(",") if part.strip()]
        return value

    @field_validator("admin_ids")
    @classmethod
    def _admin_ids_are_platform_ids(cls, value: list[str]) -> list[str]:
        for item in value:
            platform, _, ident = item.partition(":")
            if platform not in {"telegram", "slack", "console"} or not ident:
                raise ValueError(f"{item!r} is not platform:id (telegram:123, slack:U123)")
        return value

    def secret_values(self) -> list[str]:
        """Every configured secret, for the log scrubber."""
        secrets = [
            self.telegram_bot_token,
            self.telegram_webhook_secret,
            self.slack_bot_token,
            self.slack_signing_secret,
            self.slack_app_token,
        ]
        values = [s.get_secret_value() for s in secrets if s is not None]
        if self.telegram_bot_token is not None:
            # the part after the colon is the secret half of a Telegram token
            values.append(self.telegram_bot_token.get_secret_value().partition(":")[2])
        return values

    @property
    def telegram_enabled(self) -> bool:
        return self.telegram_bot_token is not None

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None and self.slack_signing_secret is not None


def load_settings(**overrides: object) -> Settings:
    """Build the settings; a bad value raises ConfigError with one line naming the variable."""
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as error:
        first = error.errors()[0]
        variable = str(first["loc"][0]).upper() if first["loc"] else "configuration"
        message = first["msg"].removeprefix("Value error, ")
        raise ConfigError(f"{variable}: {message}") from None
