"""Turn latency through the REST channel with the real portal, action server and Rasa server.

Each simulated citizen runs real multi-turn flows (guide question and follow-ups, a status
query with verification, a booking up to the read-back), pausing between messages as a
person reading the reply and typing on a phone does (uniform --think seconds, seeded).
Prints p50 / p95 / p99 per turn for 1 and for 20 concurrent conversations, then the same
with no pause at all (every citizen fires the next message the instant a reply arrives: a
saturation figure, not a realistic one). Target (issue #3): p99 <= 1 s at 20 concurrent on 2 cores.

    .venv/bin/python benchmarks/turn_latency.py [--concurrency 1 20] [--rounds 2] [--think 1.5 4]
"""
from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import time
import uuid
from pathlib import Path
from typing import List, Tuple

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govbot.stack import running_stack  # noqa: E402

FLOWS = [
    ["你好", "身份证丢了要带什么材料", "那要多少钱", "在哪里办", "谢谢"],
    ["帮我查一下SQ20261118000123办到哪了", "5678"],
    ["我想预约补办身份证", "1", "1", "1", "王建国", "13812345678", "取消"],
    ["公积金怎么提取", "网上能办吗", "驾照到期了怎么换", "满意"],
]
TURN_TIMEOUT = aiohttp.ClientTimeout(total=30)


async def citizen(session: aiohttp.ClientSession, url: str, rounds: int, samples: List[float],
                  think: Tuple[float, float], rng: random.Random) -> None:
    sender = f"bench_{uuid.uuid4().hex[:10]}"
    for _ in range(rounds):
        for flow in FLOWS:
            for text in flow:
                await asyncio.sleep(rng.uniform(*think))
                started = time.perf_counter()
                async with session.post(url, json={"sender": sender, "message": text}) as response:
                    await response.read()
                    response.raise_for_status()
                samples.append(time.perf_counter() - started)


async def measure(url: str, concurrency: int, rounds: int, think: Tuple[float, float]) -> List[float]:
    samples: List[float] = []
    rng = random.Random(2026)
    async with aiohttp.ClientSession(timeout=TURN_TIMEOUT) as session:
        await citizen(session, url, 1, [], (0, 0), rng)  # warm-up
        await asyncio.gather(*(citizen(session, url, rounds, samples, think, rng) for _ in range(concurrency)))
    return sorted(samples)


def percentile(samples: List[float], p: float) -> float:
    return samples[min(len(samples) - 1, int(round(p / 100 * len(samples))) - 1)] * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 20])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--think", type=float, nargs=2, default=[1.5, 4.0], metavar=("MIN", "MAX"))
    args = parser.parse_args()
    with running_stack() as stack:
        url = f"{stack.rasa_url}/webhooks/rest/webhook"
        for think in (tuple(args.think), (0.0, 0.0)):
            print(f"pause between messages: {think[0]:g}-{think[1]:g} s")
            for concurrency in args.concurrency:
                samples = asyncio.run(measure(url, concurrency, args.rounds, think))
                print(f"{concurrency:3d} concurrent: {len(samples)} turns, p50 {percentile(samples, 50):.0f} ms, "
                      f"p95 {percentile(samples, 95):.0f} ms, p99 {percentile(samples, 99):.0f} ms, "
                      f"mean {statistics.mean(samples) * 1000:.0f} ms")
    print("target: p99 <= 1000 ms at 20 concurrent")


if __name__ == "__main__":
    main()
