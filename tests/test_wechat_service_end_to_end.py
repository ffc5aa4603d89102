"""``HANDOFF_MODE=wechat`` through the processes of ``govbot up`` with the trained assistant: the
handoff and every later message are forwarded with WeChat's ``transfer_customer_service`` reply
(the assistant's words follow as customer-service messages), and once WeChat's customer service
closes the session the assistant answers again, a guide question with its real answer."""
from __future__ import annotations

from pathlib import Path
from typing import Iterator

import pytest

from connectors.wechat.transfer import BACK_TO_BOT
from connectors.wechat.turns import HOLDING
from govbot.stack import Stack, running_stack
from tests.citizens import WeChatCitizen
from tests.conversations.play import CLOCKS

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]
TRANSFERRED = "transfer_customer_service"


@pytest.fixture(scope="module")
def stack(trained_model: Path, tmp_path_factory) -> Iterator[Stack]:
    with pytest.MonkeyPatch.context() as env:  # every process reads it from the stack's environment
        env.setenv("HANDOFF_MODE", "wechat")
        with running_stack(trained_model, clock=CLOCKS["day"],
                           log_dir=tmp_path_factory.mktemp("wechat-service-logs")) as running:
            yield running


def test_wechat_s_customer_service_takes_the_conversation_and_gives_it_back(stack):
    citizen = WeChatCitizen(stack, aes=True)
    handoff = citizen.delivers(lambda peer: peer.text(citizen.openid, "转人工"))
    assert handoff.reply_type == TRANSFERRED
    assert "已为您转人工服务" in " ".join(m["text"] for m in citizen.receives(wait=10))
    assert citizen.delivers(lambda peer: peer.text(citizen.openid, "在吗")).reply_type == TRANSFERRED
    assert citizen.receives(wait=1) == []  # the assistant stayed out

    assert citizen.delivers(lambda peer: peer.kf_close_session(citizen.openid)).reply == BACK_TO_BOT
    answer = citizen.says("身份证丢了要带什么材料")
    assert "居民身份证补领" in answer and "需带材料" in answer and HOLDING not in answer
