"""Whole conversations that finish: the conversation suite (``tests/conversations/*.yml``) played
through the real portal, action server and Rasa server at a daytime clock over REST and at a
night-time clock (00:30 China time) through the WeChat webhook in safe mode.

Prints, per clock and in all: conversations finished as expected / total; the median number of
citizen messages per completed booking whose first message gives item, day and part of day
(``fast_path``); how many times any question was asked a third time in a row. Then every
conversation that did not finish, with its transcript. Targets (issue #10): >= 97 % finished,
median <= 4, third-time questions 0.

    .venv/bin/python benchmarks/conversations.py [--clock day night] [--file core.yml] [--json out.json]
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from pathlib import Path
from typing import Any, Dict, List, Optional, Sequence

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from govbot.settings import MODELS_DIR  # noqa: E402
from govbot.stack import running_stack  # noqa: E402
from tests.citizens import RestCitizen, WeChatCitizen  # noqa: E402
from tests.conversations.play import CLOCKS, Conversation, failures, load, play, report, today_of  # noqa: E402


def run_clock(clock: str, suite: List[Conversation], model: Path) -> Dict[str, Any]:
    """Plays the suite at one clock; returns its figures and the reports of what failed."""
    finished, messages, third_times, failed = 0, [], 0, []
    today = today_of(CLOCKS[clock])
    with running_stack(model, clock=CLOCKS[clock]) as stack:
        for conversation in suite:
            citizen = RestCitizen(stack) if clock == "day" else WeChatCitizen(stack, aes=True)
            outcome = play(conversation, stack, citizen, today)
            problems = failures(conversation, outcome, today)
            finished += not problems
            third_times += outcome.longest_repeat > 2
            if conversation.fast_path and conversation.books and not problems:
                messages.append(len(conversation.turns))
            if problems:
                failed.append(report(conversation, outcome, problems))
            print("." if not problems else "F", end="", flush=True)
    print()
    return {"clock": clock, "channel": "rest" if clock == "day" else "wechat-aes", "finished": finished,
            "total": len(suite), "booking_messages": messages, "third_time_questions": third_times,
            "failed": failed}


def summary(rounds: Sequence[Dict[str, Any]]) -> Dict[str, Any]:
    finished, total = sum(r["finished"] for r in rounds), sum(r["total"] for r in rounds)
    messages = [m for r in rounds for m in r["booking_messages"]]
    return {"finished": finished, "total": total, "share": finished / total if total else 0.0,
            "median_booking_messages": statistics.median(messages) if messages else None,
            "third_time_questions": sum(r["third_time_questions"] for r in rounds)}


def print_figures(rounds: Sequence[Dict[str, Any]], overall: Dict[str, Any]) -> None:
    print("\n| clock | channel | finished as expected | median citizen messages per fast booking | "
          "questions asked a third time |")
    print("|---|---|---|---|---|")
    for r in rounds:
        median = statistics.median(r["booking_messages"]) if r["booking_messages"] else "–"
        print(f"| {r['clock']} ({CLOCKS[r['clock']]}) | {r['channel']} | {r['finished']}/{r['total']} "
              f"({r['finished'] / max(r['total'], 1):.1%}) | {median} | {r['third_time_questions']} |")
    print(f"| all | | {overall['finished']}/{overall['total']} ({overall['share']:.1%}) | "
          f"{overall['median_booking_messages'] or '–'} | {overall['third_time_questions']} |")
    print("targets: >= 97 % finished, median <= 4 messages, 0 questions asked a third time")


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clock", nargs="+", choices=list(CLOCKS), default=list(CLOCKS))
    parser.add_argument("--file", nargs="*", default=[], help="only these files of tests/conversations/")
    parser.add_argument("--model", type=Path, default=MODELS_DIR / "govbot.tar.gz")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)
    suite = [c for c in load() if not args.file or c.source in args.file]
    rounds = [run_clock(clock, suite, args.model) for clock in args.clock]
    for r in rounds:
        for text in r["failed"]:
            print(f"\n[{r['clock']}] {text}")
    overall = summary(rounds)
    print_figures(rounds, overall)
    if args.json:
        args.json.write_text(json.dumps({"rounds": rounds, "overall": overall}, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
