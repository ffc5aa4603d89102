"""The portal client's settings and how the actions get it (handed over at the action server's start)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from actions.gov_api import (
    DEFAULT_PORTAL_URL,
    GovApi,
    GovApiNotConfigured,
    GovApiSettings,
    GovApiSettingsError,
    gov_api,
    use_gov_api,
)

ROOT = Path(__file__).resolve().parents[2]


def test_settings_default_to_the_bundled_portal_and_read_the_key():
    assert GovApiSettings.from_env({}) == GovApiSettings(DEFAULT_PORTAL_URL, None)
    settings = GovApiSettings.from_env({"PORTAL_URL": " https://gov.example.cn/api ", "PORTAL_API_KEY": "k1"})
    assert settings == GovApiSettings("https://gov.example.cn/api", "k1")


@pytest.mark.parametrize("url", ["gov.example.cn", "ftp://gov.example.cn", "http://"])
def test_an_unusable_portal_url_is_named(url):
    with pytest.raises(GovApiSettingsError, match="PORTAL_URL must be an http\\(s\\) URL"):
        GovApiSettings.from_env({"PORTAL_URL": url})


async def test_actions_use_the_client_handed_to_them_and_none_before():
    use_gov_api(None)
    with pytest.raises(GovApiNotConfigured):
        gov_api()
    client = GovApi("http://127.0.0.1:9")
    use_gov_api(client)
    try:
        assert gov_api() is client
    finally:
        use_gov_api(None)
        await client.close()


@pytest.mark.slow  # starts the action server
def test_the_action_server_refuses_to_start_with_an_unusable_portal_url():
    result = subprocess.run([str(Path(sys.executable).parent / "govbot-actions"), "--port", "9"], cwd=ROOT,
                            env={"PATH": "/usr/bin:/bin", "PORTAL_URL": "portal:8080"},
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 2 and "PORTAL_URL must be an http(s) URL" in result.stderr
