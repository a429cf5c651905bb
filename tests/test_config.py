import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

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


SETTINGS_FUZZ = settings(
    max_examples=80,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)


@SETTINGS_FUZZ
@given(
    name=st.sampled_from(["DATABASE_URL", "PORT", "ADMIN_IDS", "LOG_LEVEL", "DAILY_GRACE_HOURS"]),
    value=st.text(
        alphabet=st.characters(
            codec="utf-8", exclude_categories=("Cs",), exclude_characters="\x00"
        ),
        max_size=200,
    ),
)
def test_any_setting_value_loads_or_fails_in_one_line_naming_it(monkeypatch, name, value):
    with monkeypatch.context() as patched:
        patched.setenv(name, value)
        try:
            load_settings()
        except ConfigError as error:
            message = str(error)
            assert message.startswith(f"{name}: ") and "\n" not in message
