"""One set of converters for every settings class: blank is unset, malformed stops start-up naming it."""
from __future__ import annotations

import pytest

from actions.gov_api import GovApiSettings, GovApiSettingsError
from connectors.wechat.settings import WeChatSettings, WeChatSettingsError
from govbot import envsettings as read
from govbot.settings import Settings
from portal.settings import PortalSettings

WECHAT = {"WECHAT_APP_ID": "wx1", "WECHAT_APP_SECRET": "s", "WECHAT_TOKEN": "t"}


def test_blank_is_unset_and_spaces_are_trimmed():
    env = {"A": "  ", "B": " 42 ", "C": ""}
    assert read.text(env, "A") is None and read.text(env, "missing") is None
    assert read.whole(env, "B", 1) == 42 and read.whole(env, "C", 7) == 7
    assert read.number(env, "A", 2.5) == 2.5 and read.port(env, "C", 8080) == 8080


@pytest.mark.parametrize("convert, raw, says", [
    (lambda env: read.whole(env, "X", 1, minimum=1), "0", "X must be a whole number of at least 1"),
    (lambda env: read.whole(env, "X", 1), "-3", "X must be a whole number of at least 0"),
    (lambda env: read.whole(env, "X", 1), "2.5", "X must be a whole number"),
    (lambda env: read.number(env, "X", 1.0, minimum=1), "0.5", "X must be a number of at least 1"),
    (lambda env: read.number(env, "X", 1.0), "nan", "X must be a number"),
    (lambda env: read.number(env, "X", 1.0), "soon", "X must be a number"),
    (lambda env: read.port(env, "X", 1), "70000", "X must be a port number"),
    (lambda env: read.url(env, "X"), "localhost:8080", "X must be an http(s) URL"),
    (lambda env: read.url(env, "X", ("redis", "rediss")), "http://h", "X must be a redis:// or rediss:// URL"),
])
def test_malformed_values_are_refused_by_name(convert, raw, says):
    with pytest.raises(read.SettingError, match=says.replace("(", r"\(").replace(")", r"\)")):
        convert({"X": raw})


def test_every_settings_class_reads_through_the_same_converters():
    with pytest.raises(SystemExit, match="RASA_PORT must be a port number"):
        Settings.from_env({"RASA_PORT": "99999"})
    with pytest.raises(SystemExit, match="REDIS_URL must be a redis://"):
        Settings.from_env({"REDIS_URL": "localhost:6379"})
    with pytest.raises(read.SettingError, match="PORTAL_MAX_NO_SHOWS must be a whole number"):
        PortalSettings.from_env({"PORTAL_MAX_NO_SHOWS": "-1"})
    with pytest.raises(read.SettingError, match="PORTAL_REMINDER_INTERVAL must be a number of at least 1"):
        PortalSettings.from_env({"PORTAL_REMINDER_INTERVAL": "0"})
    with pytest.raises(WeChatSettingsError, match="REDIS_URL must be a redis://"):
        WeChatSettings.from_sources(env={**WECHAT, "REDIS_URL": "127.0.0.1:6379"})
    with pytest.raises(WeChatSettingsError, match="'api_timeout' in credentials.yml must be a number"):
        WeChatSettings.from_sources({"api_timeout": "fast"}, env=WECHAT)
    with pytest.raises(GovApiSettingsError, match="PORTAL_URL must be an http"):
        GovApiSettings.from_env({"PORTAL_URL": "portal:8080"})
    assert PortalSettings.from_env({"PORTAL_REMINDER_INTERVAL": " 30 "}).reminder_interval == 30.0
    assert WeChatSettings.from_sources({"passive_timeout": 3}, env={**WECHAT, "SANIC_WORKERS": "2"}).sanic_workers == 2
