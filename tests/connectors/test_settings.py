"""Settings: loud failure on missing credentials, env fallback, and loading by module path as Rasa does."""
from __future__ import annotations

import pytest
from rasa.core.run import create_http_input_channels

from connectors.wechat.channel import WeChatInput
from connectors.wechat.settings import WeChatSettings, WeChatSettingsError
from connectors.wechat.templates import Templates
from connectors.wechat.testing.fake_api import DEMO_AES_KEY
from govbot.logmask import mask_openid, redact

ENV = {"WECHAT_APP_ID": "wx1", "WECHAT_APP_SECRET": "s", "WECHAT_TOKEN": "t"}


def test_missing_credentials_name_what_is_missing():
    with pytest.raises(WeChatSettingsError) as raised:
        WeChatSettings.from_sources({}, {"WECHAT_APP_ID": "wx1"})
    assert "WECHAT_APP_SECRET" in str(raised.value) and "WECHAT_TOKEN" in str(raised.value)
    assert "WECHAT_APP_ID" not in str(raised.value)


def test_credentials_win_over_environment_and_defaults_apply():
    settings = WeChatSettings.from_sources({"app_id": "wx-from-file", "passive_timeout": "3.5"}, ENV)
    assert settings.app_id == "wx-from-file" and settings.token == "t"
    assert settings.passive_timeout == 3.5
    assert settings.api_base_url == "https://api.weixin.qq.com/"
    assert not settings.safe_mode and settings.redis_url is None


@pytest.mark.parametrize("env, message", [
    ({"WECHAT_ENCODING_AES_KEY": "short"}, "43-character"),
    ({"WECHAT_ENCODING_AES_KEY": "!" * 43}, "43-character"),
    ({"WECHAT_API_BASE_URL": "ftp://x"}, "http(s)"),
    ({"REDIS_URL": "http://x"}, "redis://"),
    ({"WECHAT_ENCRYPT_MODE": "loose"}, "safe"),
])
def test_malformed_settings_are_refused(env, message):
    with pytest.raises(WeChatSettingsError, match=message.replace("(", r"\(").replace(")", r"\)")):
        WeChatSettings.from_sources({}, {**ENV, **env})


def test_safe_mode_and_base_url_slash():
    settings = WeChatSettings.from_sources({}, {**ENV, "WECHAT_ENCODING_AES_KEY": DEMO_AES_KEY,
                                               "WECHAT_API_BASE_URL": "http://127.0.0.1:8011"})
    assert settings.safe_mode and settings.api_base_url == "http://127.0.0.1:8011/"


@pytest.mark.parametrize("extra, mode", [({}, "plaintext"), ({"WECHAT_ENCODING_AES_KEY": DEMO_AES_KEY}, "safe"),
                                          ({"WECHAT_ENCODING_AES_KEY": DEMO_AES_KEY,
                                            "WECHAT_ENCRYPT_MODE": "compatible"}, "compatible")])
def test_the_mode_is_named_as_wechat_names_it(extra, mode):
    """The start-up line and the health answer say the mode the account really runs in."""
    assert WeChatSettings.from_sources({}, {**ENV, **extra}).mode == mode


def test_rasa_loads_the_channel_by_module_path(tmp_path, monkeypatch):
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    credentials = tmp_path / "credentials.yml"
    credentials.write_text("rest:\nconnectors.wechat.channel.WeChatInput:\n")
    channels = create_http_input_channels(None, str(credentials))
    wechat = [c for c in channels if isinstance(c, WeChatInput)]
    assert len(wechat) == 1 and wechat[0].name() == "wechat" and wechat[0].url_prefix() == "wechat"


def test_rasa_start_fails_loudly_without_credentials(tmp_path, monkeypatch):
    for name in ENV:
        monkeypatch.delenv(name, raising=False)
    credentials = tmp_path / "credentials.yml"
    credentials.write_text("connectors.wechat.channel.WeChatInput:\n")
    with pytest.raises(WeChatSettingsError, match="WECHAT_APP_ID"):
        create_http_input_channels(None, str(credentials))


def test_personal_data_is_masked_for_logs():
    assert mask_openid("oyORnuP8q7ou2gfYjqLzSIWZf0rs") == "oyOR…f0rs"
    text = redact("我的手机13812345678，身份证11010519491231002X")
    assert "13812345678" not in text and "138****5678" in text
    assert "11010519491231002X" not in text and "110105********002X" in text


def test_demo_environment_only_without_a_real_account():
    from connectors.wechat.testing.fake_api import demo_environment

    demo = demo_environment({}, fake_port=8011)
    settings = WeChatSettings.from_sources({}, demo)
    assert settings.api_base_url == "http://127.0.0.1:8011/"
    assert settings.safe_mode and settings.encrypt_mode == "compatible"
    assert demo_environment({"WECHAT_APP_ID": "wxreal"}) == {}


def test_the_account_id_and_content_limit_settings():
    from connectors.wechat.testing.fake_api import DEMO_ACCOUNT, demo_environment

    settings = WeChatSettings.from_sources({"max_content_chars": "500"}, {**ENV, "WECHAT_ACCOUNT_ID": "gh_abc123"})
    assert settings.account_id == "gh_abc123" and settings.max_content_chars == 500
    assert WeChatSettings.from_sources({}, ENV).account_id is None  # unset: not checked
    assert WeChatSettings.from_sources({}, ENV).max_content_chars == 2000
    with pytest.raises(WeChatSettingsError, match="original id"):
        WeChatSettings.from_sources({}, {**ENV, "WECHAT_ACCOUNT_ID": "wx1"})  # the AppID by mistake
    with pytest.raises(WeChatSettingsError, match="max_content_chars"):
        WeChatSettings.from_sources({"max_content_chars": "0"}, ENV)
    demo = WeChatSettings.from_sources({}, demo_environment({}))
    assert demo.account_id == DEMO_ACCOUNT  # the simulator's ToUserName, so the demo keeps working


def test_template_ids_and_workers_are_settings():
    settings = WeChatSettings.from_sources({}, {**ENV, "WECHAT_TEMPLATE_BOOKING_CONFIRMED": " tpl-own ",
                                                "WECHAT_TEMPLATE_": "ignored", "SANIC_WORKERS": "3"})
    assert settings.template_ids == {"booking_confirmed": "tpl-own"} and settings.sanic_workers == 3
    templates = Templates.load(template_ids=settings.template_ids)
    assert templates["booking_confirmed"].template_id == "tpl-own"
    assert templates["booking_reminder"].template_id == Templates.load()["booking_reminder"].template_id
    with pytest.raises(WeChatSettingsError, match="SANIC_WORKERS must be a whole number"):
        WeChatSettings.from_sources({}, {**ENV, "SANIC_WORKERS": "many"})
