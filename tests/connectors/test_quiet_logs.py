"""Normal operation says nothing at WARNING or above (issue 12: each such line removed at its
cause): passive answers, which the turn writes into its waiting delivery's HTTP answer itself
(Sanic must not report a second response), WeChat's retries of a push, answers of several parts,
a slow turn answered "success" and then pushed, safe mode, and the access-token fetch behind them."""
from __future__ import annotations

import logging

import pytest

from tests.connectors.conftest import new_openid


@pytest.mark.parametrize("aes", [False, True], ids=["plaintext", "safe"])
async def test_normal_turns_log_no_warning_or_error(start_server, aes, caplog):
    # fully configured: the one start-up warning left is for an unset PORTAL_WEBHOOK_SECRET
    harness = await start_server(aes=aes, passive_timeout=0.5, portal_webhook_secret="q" * 32)
    peer, openid = harness.peer, new_openid()
    with caplog.at_level(logging.WARNING):
        assert (await peer.push(peer.text(openid, "你好"))).reply == "你说：你好"
        retried = peer.text(openid, "再说一次")
        assert [(await peer.push(retried)).reply for _ in range(2)] == ["你说：再说一次"] * 2
        assert (await peer.push(peer.text(openid, "multi 3"))).reply == "第1条"
        assert (await peer.push(peer.text(openid, "slow 1 好的"))).reply is None  # "success", then pushed
        texts, seq = [], 0
        for _ in range(10):  # bounded: the slow answer is pushed about a second later
            messages, seq = await peer.customer_messages(openid, seq, wait=1)
            texts += [m["text"] for m in messages]
            if "慢慢答：好的" in texts:
                break
        assert texts == ["第2条", "第3条", "慢慢答：好的"]
    assert [f"{r.name}: {r.getMessage()}" for r in caplog.records if r.levelno >= logging.WARNING] == []
