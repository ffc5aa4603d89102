"""Issue 13 end to end, through the processes of ``govbot up`` (``govbot.stack``): a citizen in the
WeChat simulator asks for a person, a staff member signs in to the console in a real headless
Chromium, claims the conversation, reads it (with what the citizen and the bot said before), sees
a new message arrive live and answers; the citizen gets the answer as a customer-service message
of the fake WeChat API; staff hand back and the assistant answers the citizen's next question.

The stack runs at a daytime clock on a working day (staff hours, so the request queues rather than
becoming a ticket); the staff member is the demo supervisor ``govbot up`` makes on embedded defaults.
Screenshots: ``tests/artifacts/e2e-console-queue.png`` and ``e2e-console-conversation.png``.
"""
from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any, Iterator, Tuple

import pytest

from connectors.wechat.turns import HOLDING
from console.demo import demo_supervisor
from console.settings import ConsoleSettings
from govbot.stack import Stack, running_stack
from tests.citizens import WeChatCitizen
from tests.console.chromium import click, screenshot, wait_for
from tests.conversations.play import CLOCKS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
LIVE_SECONDS = 10.0  # what the browser and the citizen may wait for on two busy cores (the target is 1 s)
STAFF_REPLY = "您好，我是人工客服。护照可以在有效期不足半年时申请换发，请携带身份证和旧护照。"


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory) -> Iterator[Stack]:
    with running_stack(trained_model, clock=CLOCKS["day"],
                       log_dir=tmp_path_factory.mktemp("console-e2e-logs")) as running:
        yield running


@pytest.fixture(scope="module")
def supervisor(stack: Stack) -> Tuple[str, str]:
    """(login, password) of the demo supervisor, made in the stack's console database as ``govbot up`` does."""
    return asyncio.run(demo_supervisor(ConsoleSettings(database_url=stack.console_database_url)))


def test_staff_take_over_a_wechat_conversation_in_the_browser_and_hand_it_back(stack, supervisor, browser):
    citizen = WeChatCitizen(stack, aes=True)
    assert "120" in citizen.says("办护照要带什么") + citizen.says("要钱不")
    assert "已为您转接人工服务" in citizen.says("转人工")

    _sign_in(browser, stack.console_url, *supervisor)
    wait_for(browser, "table.rows", "转人工", LIVE_SECONDS)  # the citizen's last message, in the queue
    screenshot(browser, "e2e-console-queue")
    click(browser, "table.rows button.primary")  # 认领
    wait_for(browser, ".notice", "已认领", LIVE_SECONDS)
    wait_for(browser, "#messages", "转人工")
    history = _find(browser, "#messages .history").text  # what came before, from the bot's tracker
    assert "办护照要带什么" in history and "要钱不" in history and "120" in history

    assert citizen.sends("我的护照明年到期，现在能提前换吗") in (HOLDING, None)  # stored for staff; the bot is silent
    wait_for(browser, "#messages", "现在能提前换吗", LIVE_SECONDS)  # without a reload
    assert citizen.receives(wait=0) == []

    _reply(browser, STAFF_REPLY)
    screenshot(browser, "e2e-console-conversation")
    assert [m["text"] for m in citizen.receives(wait=LIVE_SECONDS)] == [STAFF_REPLY]

    click(browser, "form[action$='/hand_back'] button")
    wait_for(browser, ".notice", "已交还智能助手", LIVE_SECONDS)
    assert "人工服务已结束" in " ".join(m["text"] for m in citizen.receives(wait=LIVE_SECONDS))

    answer = citizen.says("身份证丢了要带什么材料")
    assert "居民身份证补领" in answer and "需带材料" in answer and HOLDING not in answer


def _sign_in(driver: Any, base: str, login: str, password: str) -> None:
    driver.get(f"{base}/queue")
    wait_for(driver, "input[name=login]").send_keys(login)
    _find(driver, "input[name=password]").send_keys(password)
    click(driver, ".signin button")


def _reply(driver: Any, text: str) -> None:
    box = _find(driver, "#reply textarea")
    box.clear()
    box.send_keys(text)
    click(driver, "#reply button[type=submit]")
    wait_for(driver, ".notice", "回复已发送", LIVE_SECONDS)
    wait_for(driver, "#messages", text)


def _find(driver: Any, css: str) -> Any:
    from selenium.webdriver.common.by import By

    return driver.find_element(By.CSS_SELECTOR, css)
