import pytest

from bot.config import ConfigError, load_settings, to_driver_url


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch, tmp_path):
    for name in ["DATABASE_URL", "ADMIN_IDS", "PORT", "LOG_LEVEL", "TELEGRAM_BOT_TOKEN"]:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)  # no stray .env


@pytest.mark.parametrize(
    ("written", "used"),
    [
        ("sqlite:///bot.db", "sqlite+pysqlite:///bot.db"),
        ("postgresql://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgres://u@h/db", "postgresql+psycopg://u@h/db"),
        ("postgresql+psycopg2://u@h/db", "postgresql+psycopg://u@h/db"),
    ],
)
def test_database_url_picks_the_async_driver(written, used):
    assert to_driver_url(written) == used


def test_default_database_is_a_sqlite_file():
    assert load_settings().database_url.startswith("sqlite+pysqlite:///")


def test_bad_database_url_names_the_variable(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "mysql://x")
    with pytest.raises(ConfigError, match=r"^DATABASE_URL: unsupported database 'mysql'"):
        load_settings()


def test_bad_port_names_the_variable(monkeypatch):
    monkeypatch.setenv("PORT", "eighty")
    with pytest.raises(ConfigError, match=r"^PORT: "):
        load_settings()


def test_admin_ids_are_a_comma_separated_list(monkeypatch):
    monkeypatch.setenv("ADMIN_IDS", "telegram:1, slack:U2")
    assert load_settings().admin_ids == ["telegram:1", "slack:U2"]


def test_bad_admin_id_names_the_variable(monkeypatch):
    monkeypatch.setenv("ADMIN_IDS", "bob")
    with pytest.raises(ConfigError, match=r"^ADMIN_IDS: "):
        load_settings()


def test_env_file_is_read(tmp_path):
    (tmp_path / ".env").write_text("LOG_LEVEL=debug\n")
    assert load_settings().log_level == "DEBUG"


def test_tokens_are_hidden_in_repr(monkeypatch):
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:SECRET")
    assert "SECRET" not in repr(load_settings())
