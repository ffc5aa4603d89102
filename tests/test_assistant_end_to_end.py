"""The whole assistant, as ``make run`` starts it: real portal, action server, Rasa server and
fake WeChat API; every conversation is held through the REST channel and through the WeChat
webhook exactly as WeChat delivers it (signed; plaintext and safe mode).

Slow: trains the model when it is out of date (``govbot train``), then starts the processes.
"""
from __future__ import annotations

import secrets
import socket
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest
import requests

from connectors.wechat.turns import HOLDING
from govbot.settings import MODELS_DIR, ROOT
from govbot.stack import Stack
from govbot.train import train
from tests.citizens import RestCitizen, WeChatCitizen

pytestmark = [pytest.mark.slow, pytest.mark.timeout(1800)]  # training the model runs in a fixture
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def model() -> Path:
    assert train() == 0, "training failed"
    return MODELS_DIR / "govbot.tar.gz"


@pytest.fixture(scope="module")
def stack(model, live_stack) -> Stack:
    """The session's stack (tests/conftest.py): started once for these tests and the server probes."""
    return live_stack


@pytest.fixture(params=["rest", "wechat", "wechat-aes"])
def new_citizen(request, stack):
    """Makes citizens who talk through one channel: REST, or WeChat in plaintext or safe mode."""
    if request.param == "rest":
        return lambda: RestCitizen(stack)
    return lambda: WeChatCitizen(stack, aes=request.param == "wechat-aes")


def test_rasa_data_is_valid():
    result = subprocess.run([str(BIN / "rasa"), "data", "validate", "--config", "config.yml", "--domain",
                             "bot/domain", "--data", "nlu_data", "bot/data"], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]


def test_conversation_stories_predict_without_errors(model, tmp_path):
    result = subprocess.run([str(BIN / "rasa"), "test", "core", "--model", str(model), "--stories", "tests/stories",
                             "--fail-on-prediction-errors", "--out", str(tmp_path)],
                            cwd=ROOT, capture_output=True, text=True)
    failed = (tmp_path / "failed_test_stories.yml")
    assert result.returncode == 0, failed.read_text() if failed.exists() else result.stdout[-3000:]


def test_portal_answers_chinese_typed_raw_into_the_url(stack):
    """What `curl 'http://.../guides/search?q=身份证丢了'` sends: unescaped UTF-8 in the request line."""
    host, port = stack.portal_url.split("//")[1].split(":")
    with socket.create_connection((host, int(port)), timeout=10) as conn:
        conn.sendall(f"GET /api/v1/guides/search?q=身份证丢了 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n"
                     f"Authorization: {stack.portal_bot_headers['Authorization']}\r\n\r\n".encode())
        response = b"".join(iter(lambda: conn.recv(65536), b""))
    assert response.startswith(b"HTTP/1.1 200") and "居民身份证补领".encode() in response


def test_guide_question_and_follow_up(new_citizen):
    citizen = new_citizen()
    answer = citizen.says("身份证丢了要带什么材料")
    assert "居民身份证补领" in answer and "需带材料" in answer
    assert "费用" in citizen.says("那要多少钱")


def _relative_day(first_free: date) -> str:
    today = datetime.now(timezone(timedelta(hours=8))).date()  # the assistant counts days in China time
    if first_free == today + timedelta(days=1):
        return "明天"
    if first_free == today + timedelta(days=2):
        return "后天"
    return f"{first_free.month}月{first_free.day}号"


def test_book_list_and_cancel(stack, new_citizen):
    slots = requests.get(f"{stack.portal_url}/api/v1/slots", params={"item_code": "GA-0003", "hall_code": "SMZX"},
                         headers=stack.portal_bot_headers, timeout=5).json()["slots"]
    first = date.fromisoformat(next(s["date"] for s in slots if s["available"]))
    citizen = new_citizen()
    reply = citizen.says(f"我想预约{_relative_day(first)}上午去补办身份证")
    assert "大厅" in reply  # two halls offer it: a numbered choice
    reply = citizen.says("1")
    if "日期" in reply:  # the relative day was not bookable in that hall: pick from the list
        reply = citizen.says("1")
    if "时段" in reply:
        reply = citizen.says("1")
    assert "姓名" in reply
    assert "手机" in citizen.says("王建国")
    assert "请核对" in citizen.says("13812345678")
    booked = citizen.says("确认")
    assert "预约成功" in booked and "YY" in booked
    assert "预约号" in citizen.says("我约的是哪天来着")
    assert "确定要取消" in citizen.says("帮我把预约取消了")
    assert "保留不变" in citizen.says("哎先别取消了，我还要去的")  # a no that names the action keeps it
    assert "预约号" in citizen.says("我约的是哪天来着")
    assert "确定要取消" in citizen.says("还是帮我取消吧")
    assert "已为您取消" in citizen.says("确认")


def test_giving_up_a_booking_halfway_books_nothing(new_citizen):
    citizen = new_citizen()
    assert "大厅" in citizen.says("我想预约去补办身份证")
    stopped = citizen.says("那就不约了吧")  # NLU reads it as another intent; the form still ends
    assert "已停止本次预约" in stopped and "没太明白" not in stopped
    assert "没有待办理" in citizen.says("我约的是哪天来着")


def test_status_after_verification_only(new_citizen):
    citizen = new_citizen()
    asked = citizen.says("帮我查一下SQ20261118000123办到哪了")
    assert "后四位" in asked and "审核中" not in asked
    assert "审核中" in citizen.says("5678")


def test_complaint_rating_and_human(new_citizen):
    citizen = new_citizen()
    citizen.says("我要投诉")
    assert "手机号" in citizen.says("东城区大厅窗口工作人员态度很差，让我跑了三趟")
    assert "TS" in citizen.says("不用了")
    assert "已记录" in citizen.says("非常满意")
    assert "人工" in citizen.says("转人工")


def test_a_citizen_waiting_for_staff_is_told_the_message_arrived_not_left_in_silence(stack):
    citizen = WeChatCitizen(stack, aes=False)
    assert "人工" in citizen.says("转人工")
    assert citizen.says("请问大概要等多久") == HOLDING
    assert citizen.says("我再补充一句") == ""  # told once; every message waits for the staff


def test_a_returning_citizen_books_again_with_the_stored_contact(stack, new_citizen):
    """The second booking offers the first one's contact masked (王*国，手机139****….); the bot books
    it by the portal's handle and its read-back shows only the masked phone."""
    phone = f"139{secrets.randbelow(10**8):08d}"
    masked = f"{phone[:3]}****{phone[-4:]}"
    slots = requests.get(f"{stack.portal_url}/api/v1/slots", params={"item_code": "GA-0003", "hall_code": "SMZX"},
                         timeout=5).json()["slots"]
    days = sorted({s["date"] for s in slots if s["available"]})[:2]
    citizen = new_citizen()
    for n, day in enumerate(days):
        reply = citizen.says(f"我想预约{_relative_day(date.fromisoformat(day))}上午去补办身份证")
        assert "大厅" in reply
        reply = citizen.says("1")
        if "日期" in reply:
            reply = citizen.says(str(n + 1))
        if "时段" in reply:
            reply = citizen.says("1")
        if n == 0:
            assert "姓名" in reply
            assert "手机" in citizen.says("王建国")
            reply = citizen.says(phone)
        else:
            assert f"王*国，手机{masked}" in reply and phone not in reply
            reply = citizen.says("是的")
        assert "请核对" in reply and f"手机：{masked}" in reply
        assert "预约成功" in citizen.says("确认")
