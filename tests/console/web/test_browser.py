"""One staff member in a real headless Chromium (Debian's ``chromium`` and ``chromium-driver``):
signs in, sees the queue, claims, opens the conversation, sees a citizen message arrive without
reloading, and sends a reply that reaches the sender. Screenshots of the queue and the
conversation view go to ``tests/artifacts/``.

Selenium is synchronous: it runs in a thread while the console serves on this test's loop.
"""
from __future__ import annotations

import asyncio

import pytest

from console.messages import Direction
from tests.console.chromium import ARTIFACTS, screenshot, wait_for
from tests.console.conftest import PASSWORD
from tests.console.web.conftest import OPENID

pytestmark = [pytest.mark.slow, pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)]


def _sign_in_and_claim(driver, base: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/queue")
    wait_for(driver, "input[name=login]").send_keys("wang")
    driver.find_element(By.CSS_SELECTOR, "input[name=password]").send_keys(PASSWORD)
    driver.find_element(By.CSS_SELECTOR, ".signin button").click()
    wait_for(driver, "table.rows", "护照办理")
    screenshot(driver, "console-queue")
    driver.find_element(By.CSS_SELECTOR, "table.rows button.primary").click()
    wait_for(driver, "#messages", "护照要带什么材料")


def _reply(driver, text: str) -> None:
    from selenium.webdriver.common.by import By

    driver.find_element(By.CSS_SELECTOR, "#reply .quick button").click()  # a quick reply fills the box
    box = driver.find_element(By.CSS_SELECTOR, "#reply textarea")
    assert "人工客服" in box.get_attribute("value")
    box.clear()
    box.send_keys(text)
    driver.find_element(By.CSS_SELECTOR, "#reply button[type=submit]").click()
    wait_for(driver, ".notice", "回复已发送")
    wait_for(driver, "#messages", text)
    screenshot(driver, "console-conversation")


async def test_a_staff_member_answers_in_the_browser(browser, console, sessions, transcripts, team, sender):
    session = await sessions.open("wechat", OPENID, "user_request", "护照办理")
    await transcripts.add(session.id, Direction.CITIZEN, text="护照要带什么材料")
    base = str(console.make_url("/")).rstrip("/")
    await asyncio.to_thread(_sign_in_and_claim, browser, base)
    await transcripts.add(session.id, Direction.CITIZEN, text="还有照片要求吗")  # arrives without a reload
    await asyncio.to_thread(wait_for, browser, "#messages", "还有照片要求吗", 2.0)
    await asyncio.to_thread(_reply, browser, "请携带身份证和近期白底照片。")
    assert sender.sent == [("wechat", OPENID, "请携带身份证和近期白底照片。", None)]
    assert (ARTIFACTS / "console-queue.png").stat().st_size > 0


def _type_closing_note(driver, note: str) -> None:
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.CSS_SELECTOR, "form.close textarea")
    box.send_keys(note)
    driver.find_element(By.CSS_SELECTOR, "form.close input[name=ask_rating]").click()  # untick


def _closing_form(driver) -> tuple:
    from selenium.webdriver.common.by import By

    box = driver.find_element(By.CSS_SELECTOR, "form.close textarea")
    tick = driver.find_element(By.CSS_SELECTOR, "form.close input[name=ask_rating]")
    return box.get_attribute("value"), tick.is_selected()


async def test_live_updates_keep_what_staff_have_typed(browser, console, sessions, transcripts, team, sender):
    """A message arriving re-reads the conversation's parts; the closing form, unchanged on the
    server, stays as the staff member left it (a half-written note is not wiped every update);
    a move made elsewhere changes the status and the moves without a reload."""
    session = await sessions.open("wechat", OPENID, "user_request", "护照办理")
    await transcripts.add(session.id, Direction.CITIZEN, text="护照要带什么材料")
    base = str(console.make_url("/")).rstrip("/")
    await asyncio.to_thread(_sign_in_and_claim, browser, base)
    await asyncio.to_thread(_type_closing_note, browser, "已电话告知材料清单")
    await transcripts.add(session.id, Direction.CITIZEN, text="好的谢谢")
    await asyncio.to_thread(wait_for, browser, "#messages", "好的谢谢", 2.0)
    await asyncio.sleep(0.5)  # the status and closing parts are re-read with the messages
    assert await asyncio.to_thread(_closing_form, browser) == ("已电话告知材料清单", False)
    await sessions.release(session.id, team.zhao)  # the supervisor, in another browser
    await asyncio.to_thread(wait_for, browser, "#status .state", "排队中", 2.0)
    await asyncio.to_thread(wait_for, browser, "#moves", "认领", 2.0)
    assert "好的谢谢" in await asyncio.to_thread(lambda: browser.find_element("id", "messages").text)
