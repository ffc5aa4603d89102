"""A Rasa server with the ``wechat`` (and ``rest``) channel for tests and load runs.

It serves the real channel code through Rasa's own ``configure_app``; the assistant behind
it is either a trained model (``--model``) or :class:`EchoAgent`, whose behaviour is chosen
by the message text, so the connector can be tested and measured without training:

- ``slow 6 你好``: answers after 6 s (a deliberately slow action)
- ``multi 3``: three messages in one turn
- ``long 5000``: one message of about 5,000 UTF-8 bytes in sentences
- ``buttons``: a message with two buttons; ``boom``: the assistant raises
- anything else: ``你说：<text>``

``--think S`` makes each turn wait S seconds; ``--busy S`` makes it hold the event loop
for S seconds of CPU first, as a model's inference does.

``--record FILE`` appends one JSON line per turn the agent runs (sender, text, message id,
process id), so tests can count turns across several server processes.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import time
from functools import partial
from typing import Any, List, Optional, Sequence, Tuple

from rasa.core.channels.channel import UserMessage
from sanic import Sanic

logger = logging.getLogger(__name__)


class EchoAgent:
    """Stands in for ``rasa.core.agent.Agent``: only ``handle_message`` is used by channels."""

    def __init__(self, think: float = 0.0, record: Optional[str] = None, busy: float = 0.0):
        self.think = think
        self.busy = busy
        self.record = record
        self.turns: List[Tuple[str, str]] = []

    def is_ready(self) -> bool:
        return True

    async def handle_message(self, message: UserMessage) -> None:
        text = message.text or ""
        self.turns.append((message.sender_id, text))
        if self.record:
            with open(self.record, "a", encoding="utf-8") as file:
                file.write(json.dumps({"sender": message.sender_id, "text": text, "message_id": message.message_id,
                                       "pid": os.getpid()}, ensure_ascii=False) + "\n")
        if self.busy:  # holds the event loop, as a model's inference does
            until = time.perf_counter() + self.busy
            while time.perf_counter() < until:
                pass
        if self.think:
            await asyncio.sleep(self.think)
        out, sender = message.output_channel, message.sender_id
        command, _, rest = text.partition(" ")
        if command == "slow":
            seconds, _, said = rest.partition(" ")
            await asyncio.sleep(float(seconds))
            await out.send_response(sender, {"text": f"慢慢答：{said}"})
        elif command == "multi":
            for i in range(1, int(rest or 2) + 1):
                await out.send_response(sender, {"text": f"第{i}条"})
        elif command == "long":
            sentence = "办理居民身份证需携带户口簿和近期照片。"  # 57 bytes
            count = max(1, int(rest or 5000) // len(sentence.encode("utf-8")))
            await out.send_response(sender, {"text": "".join(f"{i}{sentence}" for i in range(count))})
        elif command == "buttons":
            await out.send_response(sender, {"text": "请选择：", "buttons": [
                {"title": "办事指南", "payload": "/ask_guide"}, {"title": "预约办理", "payload": "/book_appointment"}]})
        elif command == "boom":
            raise RuntimeError("the assistant failed on purpose")
        else:
            await out.send_response(sender, {"text": f"你说：{text}"})


def build_app(channels: Sequence[Any], agent: Any = None) -> Sanic:
    """Rasa's own Sanic app with ``channels``; ``agent`` (if given) handles the messages."""
    import rasa.core.run

    app = rasa.core.run.configure_app(list(channels), enable_api=False)
    if agent is not None:
        app.ctx.agent = agent
    return app


def main(argv: Optional[Sequence[str]] = None) -> int:
    """``python -m connectors.wechat.testing.devserver --port P [--model M | --think S] [--record F]``."""
    from rasa.core.channels.rest import RestInput
    from rasa.core.run import load_agent_on_start
    from rasa.core.utils import AvailableEndpoints

    from connectors.wechat.channel import WeChatInput

    parser = argparse.ArgumentParser(prog="wechat-devserver")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=5005)
    parser.add_argument("--model", help="a trained model (.tar.gz); default: the echo agent")
    parser.add_argument("--endpoints", help="Rasa endpoints.yml for the model (action server, stores)")
    parser.add_argument("--think", type=float, default=0.0, help="echo agent: seconds each turn waits")
    parser.add_argument("--busy", type=float, default=0.0,
                        help="echo agent: seconds of CPU each turn spends holding the event loop (like inference)")
    parser.add_argument("--record", help="echo agent: append each turn to this file (JSON lines)")
    parser.add_argument("--key-prefix", help="storage key prefix (several test runs on one Redis)")
    args = parser.parse_args(argv)
    logging.basicConfig(level=os.environ.get("LOG_LEVEL", "WARNING"),
                        format="%(asctime)s %(process)d %(levelname)s %(name)s: %(message)s")
    channels = [WeChatInput.from_credentials({"key_prefix": args.key_prefix} if args.key_prefix else {}),
                RestInput()]
    if args.model:
        app = build_app(channels)
        endpoints = AvailableEndpoints.read_endpoints(args.endpoints) if args.endpoints else None
        app.register_listener(partial(load_agent_on_start, args.model, endpoints, None), "before_server_start")
    else:
        app = build_app(channels, EchoAgent(args.think, args.record, args.busy))
    app.run(host=args.host, port=args.port, access_log=False, workers=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
