"""WeChat webhook load benchmark: N concurrent citizens in multi-turn flows, webhook vs REST.

One run starts a Rasa server (``connectors.wechat.testing.devserver``: the ``wechat`` and ``rest``
channels on Rasa's own app) and a fake WeChat API, then plays the same flows with N concurrent
users through the REST channel and through the WeChat webhook exactly as WeChat delivers
(signed, ``--aes`` encrypted, 5 s timeout, 3 tries; a reply that comes back as ``success`` is
timed until its customer-service message reaches the fake API). By default (``--schedule
paired``) both channels run at the same time, half the users each, then swapped, so that both
meet the same load at every instant; ``--schedule alternate`` runs a round per channel, which
gives each channel's own server CPU per message.
Each citizen takes 1-3 s to type each message (``--typing``; ``0 0`` sends back to back).
It prints p50 / p95 / p99, messages per second, replies later than 5 s and the server's CPU
time per message, per channel. With ``--model`` it also starts the reference portal and the
action server, so the flows run against the real assistant.

Targets (issue #4): p50 through the webhook <= 1.10 x REST; no reply later than 5 s with 50
concurrent users on 2 cores. Only 127.0.0.1 is contacted; every loop is bounded by
``--rounds`` and ``--max-seconds``.

    .venv/bin/python benchmarks/wechat_load.py [--users 50] [--rounds 2] [--typing 1 3] [--aes]
        [--schedule paired|alternate] [--redis URL]
        [--model models/govbot.tar.gz [--endpoints FILE] | --think 0.1 --busy 0]
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Awaitable, Callable, Dict, List, Optional, Tuple

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import aiohttp  # noqa: E402
import yaml  # noqa: E402

from connectors.wechat.testing.fake_api import (  # noqa: E402
    DEMO_AES_KEY,
    DEMO_APP_ID,
    DEMO_APP_SECRET,
    DEMO_TOKEN,
    FakeState,
    FakeWeChat,
    FakeWeChatServer,
)
from connectors.wechat.testing.simulator import WeChatPeer  # noqa: E402
from console.db import create_engine, migrate  # noqa: E402
from govbot.keys import generate_secrets, with_keys_of  # noqa: E402
from govbot.processes import delete_prefix, free_port, start, stop, wait_until_up_async  # noqa: E402
from govbot.settings import Settings  # noqa: E402
from govbot.up import rasa_endpoints  # noqa: E402

LATE = 5.0
EARLY_SUCCESS = 3.5  # the server answers "success" at its 4 s deadline when a turn is slow
NO_REPLY_AFTER = 10.0  # after a "success", wait this long for the customer-service reply
# Multi-turn flows of the assistant's conversations (guides, booking, status, handoff). Each
# booking gets its own phone and a slot of its own turn (see ``plan_for``), so that every
# channel's bookings meet the same portal state instead of the slots the other one filled.
FLOWS: List[List[str]] = [
    ["你好", "补办身份证需要带什么材料", "要多少钱", "谢谢"],
    ["我想预约{day}去办护照", "市民服务中心", "{hour}", "张三", "{phone}", "确认"],
    ["我的营业执照申请办到哪一步了", "SQ20261118000123", "5678", "好的谢谢"],
    ["社保卡丢了怎么办", "在哪里办", "转人工"],
    ["在吗", "公积金怎么提取", "需要本人去吗", "再见"],
]


@dataclass
class Result:
    latencies: List[float] = field(default_factory=list)
    late: int = 0
    lost: int = 0  # no reply at all (REST: error; webhook: a late "success" and nothing pushed)
    empty: int = 0  # turns where the assistant said nothing (timed, but noted)
    wall: float = 0.0
    server_cpu: float = 0.0
    client_cpu: float = 0.0  # this load generator's own CPU (it shares the cores with the server)

    def summary(self) -> Dict[str, float]:
        ordered = sorted(self.latencies) or [float("nan")]

        def pct(p: float) -> float:
            return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))] * 1000

        return {"messages": len(self.latencies), "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
                "mean_ms": statistics.fmean(ordered) * 1000, "max_ms": ordered[-1] * 1000,
                "messages_per_s": len(self.latencies) / self.wall if self.wall else 0.0,
                "later_than_5s": self.late, "lost": self.lost, "empty": self.empty,
                "server_cpu_ms_per_message": self.server_cpu * 1000 / max(1, len(self.latencies)),
                "client_cpu_ms_per_message": self.client_cpu * 1000 / max(1, len(self.latencies))}


Step = Tuple[str, float]  # a message and the seconds the citizen takes before sending it


async def rest_user(session: aiohttp.ClientSession, url: str, sender: str, flow: List[Step], result: Result) -> None:
    for text, pause in flow:
        await asyncio.sleep(pause)
        started = time.monotonic()
        try:
            async with session.post(url, json={"sender": sender, "message": text},
                                    timeout=aiohttp.ClientTimeout(total=30)) as response:
                answer = await response.json(content_type=None) if response.status == 200 else None
                ok = answer is not None
                result.empty += ok and not answer
        except (aiohttp.ClientError, asyncio.TimeoutError):
            ok = False
        elapsed = time.monotonic() - started
        if not ok:
            result.lost += 1
            continue
        result.latencies.append(elapsed)
        result.late += elapsed > LATE


async def customer_messages(fake: FakeWeChat, openid: str, after: int, wait: float) -> List[Dict]:
    """Customer-service texts for ``openid`` after ``after``, read in-process from the fake."""
    deadline = time.monotonic() + wait
    while True:
        found = [m for m in fake.state.messages[after:] if m["openid"] == openid]
        if found or time.monotonic() >= deadline:
            return found
        await asyncio.sleep(0.02)


async def wechat_user(peer: WeChatPeer, fake: FakeWeChat, openid: str, flow: List[Step], result: Result) -> None:
    for text, pause in flow:
        await asyncio.sleep(pause)
        after = len(fake.state.messages)
        delivery = await peer.push(peer.text(openid, text))
        if delivery.reply is not None:
            elapsed = delivery.elapsed
        elif delivery.status == 200 and delivery.elapsed < EARLY_SUCCESS:
            elapsed = delivery.elapsed  # "success" long before the passive deadline: nothing to say
            result.empty += 1
        else:  # answered "success" (or timed out): the reply comes through the customer-service API
            started_wall = time.time() - delivery.elapsed
            messages = await customer_messages(fake, openid, after, wait=NO_REPLY_AFTER)
            if not messages:  # nothing pushed: a slow turn that said nothing, or a lost reply
                result.lost += 1
                continue
            elapsed = messages[0]["at"] - started_wall
        result.latencies.append(elapsed)
        result.late += elapsed > LATE


DAYS = ["明天", "后天"]
HOURS = ["上午九点", "上午十点", "上午十一点", "下午两点", "下午三点", "下午四点"]
CHANNEL_DIGIT = {"rest": "8", "wechat": "9"}  # the third digit of the phones each channel books with


def plan_for(users: int, rounds: int, typing: Tuple[float, float], first_round: int = 0) -> List[List[List[Step]]]:
    """The same flows and pauses for both channels: user i plays plan[round][i]. The k-th booking
    takes slot k of the 12 in turn (a slot holds 6 bookings) and phone 13{channel}RRUUUUUU."""
    rng = random.Random(42)
    bookings = 0
    plan = []
    for r in range(first_round, first_round + rounds):
        flows = []
        for i in range(users):
            flow = rng.choice(FLOWS)
            slot = bookings % (len(DAYS) * len(HOURS))
            bookings += "{day}" in flow[0]
            values = {"day": DAYS[slot // len(HOURS)], "hour": HOURS[slot % len(HOURS)],
                      "phone": f"13{{channel}}{r % 100:02d}{i:06d}"}
            flows.append([(text.format(**values), rng.uniform(*typing)) for text in flow])
        plan.append(flows)
    return plan


def for_channel(flow: List[Step], channel: str) -> List[Step]:
    return [(text.replace("{channel}", CHANNEL_DIGIT[channel]), pause) for text, pause in flow]


Play = Callable[[int, List[Step], Result], Awaitable[None]]


async def run_round(name: str, flows: List[List[Step]], plays: List[Tuple[Play, Result]], max_seconds: float,
                    cpu: "ServerCpu", shared: Result) -> None:
    """One flow per user, all users at once, user i through ``plays[i % len(plays)]``; the wall
    time and the CPU time of server and load generator go to ``shared``."""
    started, cpu_before, own_before = time.monotonic(), cpu.seconds(), time.process_time()
    users = [(i, flow, *plays[i % len(plays)]) for i, flow in enumerate(flows)]
    try:
        await asyncio.wait_for(asyncio.gather(*(play(i, flow, result) for i, flow, play, result in users)),
                               max_seconds)
    except asyncio.TimeoutError:
        sys.stderr.write(f"{name}: round stopped after {max_seconds:.0f}s (--max-seconds)\n")
    shared.wall += time.monotonic() - started
    shared.server_cpu += cpu.seconds() - cpu_before
    shared.client_cpu += time.process_time() - own_before


class ServerCpu:
    """CPU seconds used by the server process so far (Linux /proc; 0 elsewhere)."""

    def __init__(self, pid: int):
        self._stat = Path(f"/proc/{pid}/stat")

    def seconds(self) -> float:
        try:
            fields = self._stat.read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            return 0.0


async def main_async(args: argparse.Namespace) -> Dict[str, Dict[str, float]]:
    port = args.port or free_port()
    prefix = f"govbot-wechat-bench:{uuid.uuid4().hex[:8]}:"
    # The load generator shares 2 cores with the server: it reads the fake's deliveries in-process
    # and does not report quota windows (quota is not enforced here; tests cover it).
    async with FakeWeChatServer(FakeState(enforce_quota=False)) as fake:
        env = {**os.environ, "WECHAT_APP_ID": DEMO_APP_ID, "WECHAT_APP_SECRET": DEMO_APP_SECRET,
               "WECHAT_TOKEN": DEMO_TOKEN, "WECHAT_API_BASE_URL": fake.url, "PYTHONPATH": str(ROOT)}
        env.pop("REDIS_URL", None)
        env.pop("WECHAT_ENCODING_AES_KEY", None)
        # The flows end in 转人工: their handoffs go to this run's own console database, never to
        # the one `make run` shows staff (var/console.sqlite3 on embedded defaults).
        work = Path(tempfile.mkdtemp(prefix="wechat-load-"))
        env["CONSOLE_DATABASE_URL"] = await console_database(work)
        if args.redis:
            env["REDIS_URL"] = args.redis
        if args.aes:
            env["WECHAT_ENCODING_AES_KEY"] = DEMO_AES_KEY
        command = [sys.executable, "-m", "connectors.wechat.testing.devserver", "--port", str(port),
                   "--key-prefix", prefix]
        helpers: List[subprocess.Popen] = []
        keys = generate_secrets()  # this run's own keys, as govbot.stack does
        env = with_keys_of("rasa", env, keys)
        if args.model:
            endpoints = args.endpoints or await start_stack(helpers, args, keys, work, env["CONSOLE_DATABASE_URL"])
            command += ["--model", args.model, "--endpoints", endpoints]
        else:
            command += ["--think", str(args.think), "--busy", str(args.busy)]
        server = start(command, env, show_errors=args.verbose)
        helpers.append(server)
        try:
            base = f"http://127.0.0.1:{port}"
            await wait_until_up_async([base + "/webhooks/wechat/"], [server], 300)
            connector = aiohttp.TCPConnector(limit=0)
            async with aiohttp.ClientSession(connector=connector) as session:
                peer = WeChatPeer(base + "/webhooks/wechat/webhook", DEMO_TOKEN, DEMO_APP_ID,
                                  DEMO_AES_KEY if args.aes else None, session=session)
                run_id = uuid.uuid4().hex[:6]
                # Each round brings new citizens: a conversation that ended in 转人工 waits for
                # staff and would measure nothing in the next round.
                citizens = {"round": 90}  # the warm-up round; the measured ones are 0, 1, ...

                async def play_rest(i: int, flow: List[Step], result: Result) -> None:
                    sender = f"rest-{run_id}-{citizens['round']}-{i}"
                    await rest_user(session, base + "/webhooks/rest/webhook", sender, for_channel(flow, "rest"), result)

                async def play_wechat(i: int, flow: List[Step], result: Result) -> None:
                    openid = f"o{run_id}{citizens['round']:02d}{i:06d}benchmarkuser00000"[:28]
                    await wechat_user(peer, fake.fake, openid, for_channel(flow, "wechat"), result)


                cpu = ServerCpu(server.pid)
                warm = plan_for(min(args.users, 5), 1, (0.0, 0.0), first_round=90)[0]
                for play in (play_rest, play_wechat):
                    await run_round("warm-up", warm, [(play, Result())], args.max_seconds, cpu, Result())
                totals = {"rest": Result(), "wechat": Result()}
                rest, wechat = (play_rest, totals["rest"]), (play_wechat, totals["wechat"])
                for citizens["round"], flows in enumerate(plan_for(args.users, args.rounds, tuple(args.typing))):
                    if args.schedule == "paired":
                        # Both channels at once (half the users each, then swapped): every instant's
                        # load weighs on both alike; wall and CPU time are shared.
                        both = Result()
                        for plays in ([rest, wechat], [wechat, rest]):
                            await run_round("paired", flows, plays, args.max_seconds, cpu, both)
                        for total in totals.values():  # CPU: the mean of both channels' messages
                            total.wall += both.wall
                            total.server_cpu += both.server_cpu / 2
                            total.client_cpu += both.client_cpu / 2
                    else:  # one channel after the other: CPU per message of each channel alone
                        for play, total in (rest, wechat):
                            await run_round("alternate", flows, [(play, total)], args.max_seconds, cpu, total)
                results = {name: total.summary() for name, total in totals.items()}
        finally:
            stop(helpers)
            shutil.rmtree(work, ignore_errors=True)
            if args.redis:
                await delete_prefix(args.redis, prefix)
    return results


async def console_database(work: Path) -> str:
    """A migrated console database in ``work``: the channel asks it about every message of a
    conversation that may be with staff, as in production (the echo run starts no action server,
    which would migrate it)."""
    url = f"sqlite:///{work / 'console.sqlite3'}"
    engine = create_engine(url)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()
    return url


async def start_stack(processes: List[subprocess.Popen], args: argparse.Namespace, keys: Dict[str, str],
                      work: Path, console_database_url: str) -> str:
    """The reference portal and the action server, for ``--model``, on fresh SQLite files in
    ``work`` (the portal's, and the console's which the handoffs write), each with its keys;
    returns the endpoints file through which the Rasa server calls the actions."""
    settings = Settings(portal_port=free_port(), action_port=free_port())
    env = {**os.environ, "PYTHONPATH": str(ROOT), "DATABASE_URL": f"sqlite:///{work / 'portal.sqlite3'}",
           "CONSOLE_DATABASE_URL": console_database_url, "PORTAL_URL": settings.effective_portal_url}
    env.pop("PORTAL_WEBHOOK_URL", None)
    processes.append(start([sys.executable, "-m", "govbot", "portal", "--port", str(settings.portal_port)],
                           with_keys_of("portal", env, keys), show_errors=args.verbose))
    processes.append(start([sys.executable, "-m", "govbot.action_server", "--actions", "actions",
                            "--port", str(settings.action_port)], with_keys_of("actions", env, keys),
                           show_errors=args.verbose))
    await wait_until_up_async([f"{settings.effective_portal_url}/healthz", f"{settings.action_url}/health"],
                              processes, 300)
    endpoints = work / "endpoints.yml"
    # YAML, not JSON: Rasa expands ${ACTION_SERVER_SECRET} only in plain scalars
    endpoints.write_text(yaml.safe_dump({"action_endpoint": rasa_endpoints(settings)["action_endpoint"]}))
    return str(endpoints)


def report(results: Dict[str, Dict[str, float]], args: argparse.Namespace) -> bool:
    rest, wechat = results["rest"], results["wechat"]
    ratio = wechat["p50_ms"] / rest["p50_ms"] if rest["p50_ms"] else float("inf")
    assistant = f"model {args.model}" if args.model else (f"echo agent, {args.think * 1000:.0f} ms wait + "
                                                            f"{args.busy * 1000:.0f} ms CPU per turn")
    typing = f"{args.typing[0]:g}-{args.typing[1]:g} s typing before each message"
    lines = [f"{args.users} concurrent users x {args.rounds} flows ({typing}), {assistant}, "
             f"{'safe (AES)' if args.aes else 'plaintext'} mode, {'Redis' if args.redis else 'in-process'} storage, "
             f"{args.schedule} schedule, "
             f"{os.cpu_count()} cores",
             f"{'channel':8} {'msgs':>6} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8} {'max ms':>8} {'msg/s':>7} "
             f"{'>5 s':>5} {'lost':>5} {'empty':>6} {'srv cpu ms/msg':>15} {'load-gen cpu ms/msg':>20}"]
    for name, s in results.items():
        lines.append(f"{name:8} {s['messages']:6d} {s['p50_ms']:8.1f} {s['p95_ms']:8.1f} {s['p99_ms']:8.1f} "
                     f"{s['max_ms']:8.1f} {s['messages_per_s']:7.1f} {s['later_than_5s']:5d} {s['lost']:5d} "
                     f"{s['empty']:6d} {s['server_cpu_ms_per_message']:15.2f} {s['client_cpu_ms_per_message']:20.2f}")
    if args.schedule == "paired":
        lines.append("(paired schedule: both channels ran at once, so msg/s and the CPU columns are shared; "
                     "--schedule alternate gives each channel's own CPU per message)")
    met = ratio <= 1.10 and wechat["later_than_5s"] == 0
    lines.append(f"webhook p50 / REST p50 = {ratio:.2f} (target <= 1.10); replies later than 5 s through the "
                 f"webhook: {wechat['later_than_5s']} (target 0) -> {'targets met' if met else 'TARGETS MISSED'}")
    lines.append(f"turns without any reply: rest {rest['empty'] + rest['lost']}, "
                 f"webhook {wechat['empty'] + wechat['lost']} "
                 "(the assistant said nothing; a webhook turn that is also slow answers \"success\" at 4 s and "
                 "pushes nothing, so it shows as lost)")
    sys.stdout.write("\n".join(lines) + "\n")
    if args.json:
        Path(args.json).write_text(json.dumps({"results": results, "ratio_p50": ratio, "met": met}, indent=2))
    return met


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=2, help="flows per user")
    parser.add_argument("--think", type=float, default=0.1, help="echo agent: seconds each turn waits (no --model)")
    parser.add_argument("--busy", type=float, default=0.0,
                        help="echo agent: seconds of CPU each turn holds the event loop, as inference does")
    parser.add_argument("--typing", type=float, nargs=2, default=[1.0, 3.0], metavar=("MIN", "MAX"),
                        help="seconds a citizen takes before each message, drawn uniformly (0 0: back to back)")
    parser.add_argument("--model", help="a trained model instead of the echo agent")
    parser.add_argument("--endpoints", help="endpoints.yml for --model (default: start the reference portal "
                                            "on a fresh SQLite file and the action server)")
    parser.add_argument("--schedule", choices=("paired", "alternate"), default="paired",
                        help="paired: both channels at once, half the users each, then swapped (the fair "
                             "latency comparison); alternate: a round per channel (CPU per message per channel)")
    parser.add_argument("--aes", action="store_true", help="safe mode (encrypted pushes and replies)")
    parser.add_argument("--redis", help="REDIS_URL for the connector's storage (keys removed afterwards)")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--max-seconds", type=float, default=600, help="bound of each phase")
    parser.add_argument("--json", help="also write the figures to this file")
    parser.add_argument("--check", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument("--verbose", action="store_true", help="show the server's log")
    args = parser.parse_args(argv)
    if not 1 <= args.users <= 500 or not 1 <= args.rounds <= 20:
        parser.error("--users must be 1-500 and --rounds 1-20")
    met = report(asyncio.run(main_async(args)), args)
    return 0 if met or not args.check else 1


if __name__ == "__main__":
    raise SystemExit(main())
