"""The console's settings: defaults, each variable read, malformed values refused naming them."""
from __future__ import annotations

from datetime import time, timedelta

import pytest

from console.settings import ConsoleSettings
from govbot.envsettings import SettingError


def test_defaults():
    settings = ConsoleSettings.from_env({})
    assert settings.database_url == "sqlite:///var/console.sqlite3"
    assert settings.staff_hours == ((time(9), time(17)),)
    assert settings.session_lifetime == timedelta(hours=8)
    assert settings.idle_lifetime == timedelta(minutes=30)
    assert (settings.host, settings.port) == ("127.0.0.1", 8090)


def test_every_variable_is_read():
    settings = ConsoleSettings.from_env({
        "CONSOLE_DATABASE_URL": "postgresql://postgres@127.0.0.1:5432/govbot",
        "CONSOLE_STAFF_HOURS": " 08:30-12:00, 13:00-17:30 ", "CONSOLE_SESSION_MINUTES": "30",
        "CONSOLE_IDLE_MINUTES": "45",
        "CONSOLE_HOST": "10.0.0.5", "CONSOLE_PORT": "9000"})
    assert settings.database_url == "postgresql://postgres@127.0.0.1:5432/govbot"
    assert settings.staff_hours == ((time(8, 30), time(12)), (time(13), time(17, 30)))
    assert settings.session_lifetime == timedelta(minutes=30)
    assert settings.idle_lifetime == timedelta(minutes=30)  # never longer than the sign-in itself
    assert (settings.host, settings.port) == ("10.0.0.5", 9000)


@pytest.mark.parametrize("name, value", [
    ("CONSOLE_STAFF_HOURS", "17:00-09:00"),           # ends before it starts
    ("CONSOLE_STAFF_HOURS", "9-5"),
    ("CONSOLE_STAFF_HOURS", "09:00-13:00,12:00-17:00"),  # overlapping
    ("CONSOLE_STAFF_HOURS", "13:00-17:00,09:00-12:00"),  # out of order
    ("CONSOLE_DATABASE_URL", "mysql://db/govbot"),
    ("CONSOLE_SESSION_MINUTES", "0"),
    ("CONSOLE_IDLE_MINUTES", "none"),
    ("CONSOLE_PORT", "70000"),
])
def test_malformed_values_are_refused_by_name(name, value):
    with pytest.raises(SettingError, match=name):
        ConsoleSettings.from_env({name: value})
