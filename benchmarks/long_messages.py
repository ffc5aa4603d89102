"""Long messages against everyone else's replies (issue 9, point 5).

Three citizens each send one 60 KB text through the REST channel at the same moment; a fourth,
0.3 s later, says "你好". Prints how long the "你好" took and each long message's reply time and
first words, with the shipped bound (GOVBOT_MAX_MESSAGE_CHARS, default 300) and, with
``--unbounded``, with the bound lifted (what the issue measured: 26.6 s and a 503).
``--nlu`` instead times the model's NLU alone, in this process, on the whole text, its first
300 characters and what the bound lets through.

    .venv/bin/python benchmarks/long_messages.py [--unbounded] [--kb 60] [--senders 3] [--nlu]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import List, Optional

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govbot.message_bound import DEFAULT_MAX_CHARS, SETTING, first_part  # noqa: E402
from govbot.settings import MODELS_DIR  # noqa: E402
from govbot.stack import Stack, running_stack  # noqa: E402

OPENING = "我要预约办身份证。"
STORY = "上个月我的身份证在公交车上丢了，去派出所问了以后说要到大厅补办，我白天要上班，只能请假过去，所以想先约好时间。"
TIMEOUT = aiohttp.ClientTimeout(total=120)
UNBOUNDED = "100000000"


def long_text(kilobytes: int) -> str:
    """``OPENING`` then the story repeated, ``kilobytes`` of UTF-8 in all."""
    text = OPENING
    while len(text.encode("utf-8")) < kilobytes * 1024:
        text += STORY
    return text


@dataclass
class Figures:
    hello_seconds: float = 0.0
    hello_status: int = 0
    hello_reply: str = ""
    long_seconds: List[float] = field(default_factory=list)
    long_statuses: List[int] = field(default_factory=list)
    long_replies: List[str] = field(default_factory=list)


async def say(session: aiohttp.ClientSession, stack: Stack, text: str) -> tuple:
    """(seconds, HTTP status, reply texts joined) of one REST turn of a new sender."""
    started = time.perf_counter()
    body = {"sender": f"long_{uuid.uuid4().hex[:10]}", "message": text}
    async with session.post(f"{stack.rasa_url}/webhooks/rest/webhook", json=body) as response:
        raw = await response.read()
        status = response.status
    seconds = time.perf_counter() - started
    replies = json.loads(raw) if status == 200 else []
    return seconds, status, "\n".join(r.get("text", "") for r in replies)


async def measure(stack: Stack, kilobytes: int = 60, senders: int = 3, hello_after: float = 0.3) -> Figures:
    figures = Figures()
    async with aiohttp.ClientSession(timeout=TIMEOUT) as session:
        await say(session, stack, "你好")  # warm-up: the first turn loads lazily built parts
        longs = [asyncio.create_task(say(session, stack, long_text(kilobytes))) for _ in range(senders)]
        await asyncio.sleep(hello_after)
        figures.hello_seconds, figures.hello_status, figures.hello_reply = await say(session, stack, "你好")
        for seconds, status, reply in await asyncio.gather(*longs):
            figures.long_seconds.append(round(seconds, 2))
            figures.long_statuses.append(status)
            figures.long_replies.append(reply)
    figures.hello_seconds = round(figures.hello_seconds, 2)
    return figures


async def nlu_seconds(kilobytes: int) -> None:
    """NLU time alone: the whole text against what reaches NLU once bounded."""
    from rasa.core.agent import Agent

    agent = Agent.load(str(MODELS_DIR / "govbot.tar.gz"))
    await agent.parse_message("你好")
    text = long_text(kilobytes)
    for label, part in [(f"{kilobytes} KB", text), (f"first {DEFAULT_MAX_CHARS} chars", text[:DEFAULT_MAX_CHARS]),
                        ("bounded (opening sentence)", first_part(text, DEFAULT_MAX_CHARS) or text)]:
        started = time.perf_counter()
        parsed = await agent.parse_message(part)
        print(f"{label}: {len(part)} chars, NLU {time.perf_counter() - started:.2f} s, "
              f"intent {parsed['intent']['name']}")


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unbounded", action="store_true", help=f"lift the bound ({SETTING}={UNBOUNDED})")
    parser.add_argument("--kb", type=int, default=60, help="size of each long message in KB of UTF-8")
    parser.add_argument("--senders", type=int, default=3, help="citizens sending a long message at once")
    parser.add_argument("--nlu", action="store_true", help="time NLU alone, in this process")
    args = parser.parse_args(argv)
    if args.nlu:
        asyncio.run(nlu_seconds(args.kb))
        return 0
    if args.unbounded:
        os.environ[SETTING] = UNBOUNDED
    with running_stack() as stack:
        figures = asyncio.run(measure(stack, args.kb, args.senders))
    bound = os.environ.get(SETTING) or "default"
    print(f"{args.senders} x {args.kb} KB at once, {SETTING}={bound}")
    print(f"'你好' of another citizen: {figures.hello_seconds:.2f} s (HTTP {figures.hello_status})")
    for n, (seconds, status, reply) in enumerate(zip(figures.long_seconds, figures.long_statuses,
                                                     figures.long_replies, strict=True), start=1):
        print(f"long message {n}: {seconds:.2f} s (HTTP {status}) {reply[:60]!r}")
    print(json.dumps(asdict(figures), ensure_ascii=False)[:2000])
    return 0


if __name__ == "__main__":
    sys.exit(main())
