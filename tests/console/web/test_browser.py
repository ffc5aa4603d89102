"""One staff member in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``):
signs in, sees the queue, claims, opens the conversation, sees a citizen message arrive without
reloading, and sends a reply that reaches the sender. Screenshots of the queue and the
conversation view go to ``tests/artifacts/``.

Selenium is synchronous: it runs in a thread while the console serves on this test's loop.
"""
from __future__ import annotations

import asyncio
import os
import shutil
from pathlib import Path

import pytest

from console.messages import Direction
from tests.console.conftest import PASSWORD
from tests.console.web.conftest import OPENID

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]
ARTIFACTS = Path(__file__).resolve().parents[2] / "artifacts"
CHROMIUM, DRIVER = shutil.which("chromium"), shutil.which("chromedriver")


@pytest.fixture
def browser():
    if not (CHROMIUM and DRIVER):
        missing = "Debian's chromium and chromium-driver are not installed"
        if os.environ.get("GOVBOT_REQUIRE_BROWSER"):  # CI installs them: there a skip would hide a failure
            pytest.fail(missing)
        pytest.skip(missing)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,800",
                     "--lang=zh-CN"):
        options.add_argument(argument)
    driver = webdriver.Chrome(service=Service(DRIVER), options=options)
    driver.implicitly_wait(0)
    yield driver
    driver.quit()


def _wait_for(driver, css: str, text: str = "", seconds: float = 5.0):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as shown
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, seconds)
    if text:
        wait.until(shown.text_to_be_present_in_element((By.CSS_SELECTOR, css), text))
    return wait.until(shown.visibility_of_element_located((By.CSS_SELECTOR, css)))


def _sign_in_and_claim(driver, base: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/queue")
    _wait_for(driver, "input[name=login]").send_keys("wang")
    driver.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, ".signin button").click()
    _wait_for(driver, "table.rows", "护照办理")
    ARTIFACTS.mkdir(exist_ok=True)
    driver.save_screenshot(str(ARTIFACTS / "console-queue.png"))
    driver.find_element(By.CSS_SELECTOR, "table.rows button.primary").click()
    _wait_for(driver, "#messages", "护照要带什么材料")


def _reply(driver, text: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "#reply .quick button").click()  # a quick reply fills the box
    box = driver.find_element(By.CSS_SELECTOR, "#reply textarea")
    assert "人工客服" in box.get_attribute("value")
    box.clear()
    box.send_keys(text)
    driver.find_element(By.CSS_SELECTOR, "#reply button[type=submit]").click()
    _wait_for(driver, ".notice", "回复已发送")
    _wait_for(driver, "#messages", text)
    driver.save_screenshot(str(ARTIFACTS / "console-conversation.png"))


async def test_a_staff_member_answers_in_the_browser(browser, console, sessions, transcripts, team, sender):
    session = await sessions.open("wechat", OPENID, "user_request", "护照办理")
    await transcripts.add(session.id, Direction.CITIZEN, text="护照要带什么材料")
    base = str(console.make_url("/")).rstrip("/")
    await asyncio.to_thread(_sign_in_and_claim, browser, base)
    await transcripts.add(session.id, Direction.CITIZEN, text="还有照片要求吗")  # arrives without a reload
    await asyncio.to_thread(_wait_for, browser, "#messages", "还有照片要求吗", 2.0)
    await asyncio.to_thread(_reply, browser, "请携带身份证和近期白底照片。")
    assert sender.sent == [("wechat", OPENID, "请携带身份证和近期白底照片。", None)]
    assert (ARTIFACTS / "console-queue.png").stat().st_size > 0
