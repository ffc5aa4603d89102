"""``govbot up``'s process supervisor: a process that exits is restarted after a back-off while
the others keep running; SIGINT / SIGTERM stop them all.

honcho's ``Manager`` stops every process when one exits, and that rule sits in the middle of its
``loop``, so only its loop is replaced here: honcho's ``Process`` (output relay), ``Printer``
(console format) and ``ProcessManager`` (signals to each process group) are reused as they are.
"""
from __future__ import annotations

import datetime
import os
import queue
import signal
import sys
import threading
import time
from dataclasses import dataclass
from typing import Any, Callable, Dict, Optional, TextIO

from honcho.colour import get_colours
from honcho.compat import ProcessManager
from honcho.printer import Message, Printer
from honcho.process import Process

from govbot.clock import china_now

KILL_WAIT_SECONDS = 5.0  # after SIGTERM, as honcho: then SIGKILL
SIGNAL_EXIT_CODES = {signal.SIGINT: 130, signal.SIGTERM: 143}
SYSTEM = "system"


@dataclass
class Backoff:
    """Delay before a restart: ``first``, doubling to ``longest`` while the process keeps exiting;
    back to ``first`` once it has stayed up ``stable_after`` seconds."""

    first: float = 1.0
    longest: float = 30.0
    stable_after: float = 60.0
    _next: Optional[float] = None

    def after_exit(self, uptime: float) -> float:
        if self._next is None or uptime >= self.stable_after:
            self._next = self.first
        delay = self._next
        self._next = min(self.longest, delay * 2)
        return delay


class Console:
    """The supervisor's output, which never raises: under ``make run | tee log`` Ctrl-C ends ``tee``
    first, and a write to the broken pipe must not stop the supervisor before it stops the servers
    (their own process groups do not get the terminal's SIGINT). Output is dropped from then on."""

    def __init__(self, stream: TextIO):
        self._stream: Optional[TextIO] = stream

    def write(self, text: str) -> int:
        return self._guarded(lambda stream: stream.write(text)) or 0

    def flush(self) -> None:
        self._guarded(lambda stream: stream.flush())

    def isatty(self) -> bool:
        return bool(self._guarded(lambda stream: stream.isatty()))

    def _guarded(self, use: Callable[[TextIO], Any]) -> Any:
        if self._stream is None:
            return None
        try:
            return use(self._stream)
        except (BrokenPipeError, OSError, ValueError):  # ValueError: the stream was closed
            self._drop_output()
            return None

    def _drop_output(self) -> None:
        """No more writes here, and the stream's descriptor points at /dev/null so that the
        interpreter's own flush at exit does not fail either."""
        stream, self._stream = self._stream, None
        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), stream.fileno())  # type: ignore[union-attr]
        except (OSError, ValueError, AttributeError):
            pass


@dataclass
class _Child:
    process: Process
    backoff: Backoff
    pid: Optional[int] = None
    running: bool = False
    started_at: float = 0.0
    restart_at: Optional[float] = None
    exits: int = 0


class Supervisor:
    def __init__(self, printer: Optional[Printer] = None, backoff: Callable[[], Backoff] = Backoff,
                 clock: Callable[[], float] = time.monotonic):
        self._events: "queue.Queue[Message]" = queue.Queue()
        self._printer = printer or Printer(sys.stdout)
        self._printer.output = Console(self._printer.output)
        self._printer.width = len(SYSTEM)
        self._colours = get_colours()
        self._signals = ProcessManager()
        self._new_backoff = backoff
        self._clock = clock
        self._children: Dict[str, _Child] = {}
        self._stopping_since: Optional[float] = None
        self._killed = False
        self.returncode = 0

    def add_process(self, name: str, command: str, env: Dict[str, str], cwd: Optional[str] = None) -> None:
        process = Process(command, name=name, colour=next(self._colours), env=env, cwd=cwd)
        self._children[name] = _Child(process, self._new_backoff())
        self._printer.width = max(self._printer.width, len(name))

    def loop(self) -> int:
        """Runs until SIGINT or SIGTERM, then until every process has stopped; returns 130 / 143."""
        signal.signal(signal.SIGTERM, self._on_signal)
        signal.signal(signal.SIGINT, self._on_signal)
        for name in self._children:
            self._start(name)
        while not (self._stopping_since is not None and not any(c.running for c in self._children.values())):
            try:
                self._handle(self._events.get(timeout=0.1))
            except queue.Empty:
                pass
            self._restart_due()
            if (self._stopping_since is not None and not self._killed
                    and self._clock() - self._stopping_since > KILL_WAIT_SECONDS):
                self._killed = True
                self._signal_running(force=True)
        return self.returncode

    def stop(self, returncode: int = 0) -> None:
        """Stops every process (pending restarts are dropped); ``loop`` returns once all are down."""
        if self._stopping_since is not None:
            return
        self._stopping_since = self._clock()
        self.returncode = returncode
        for child in self._children.values():
            child.restart_at = None
        self._signal_running(force=False)

    def _on_signal(self, signum: int, _frame: object) -> None:
        self._say(f"{signal.Signals(signum).name} received: stopping every process")
        self.stop(SIGNAL_EXIT_CODES.get(signal.Signals(signum), 1))

    def _start(self, name: str) -> None:
        child = self._children[name]
        child.running, child.pid, child.restart_at, child.started_at = True, None, None, self._clock()
        threading.Thread(target=child.process.run, args=(self._events, False), name=f"relay-{name}",
                         daemon=True).start()

    def _handle(self, message: Message) -> None:
        child = self._children[message.name]
        if message.type == "line":
            self._printer.write(message)
        elif message.type == "start":
            child.pid = message.data["pid"]
            self._say(f"{message.name} started (pid={child.pid})")
            if self._stopping_since is not None:  # started while stopping: it missed the SIGTERM
                self._signals.terminate(child.pid)
        elif message.type == "stop":
            child.running = False
            code = message.data["returncode"]
            if self._stopping_since is not None:
                self._say(f"{message.name} stopped (rc={code})")
                return
            child.exits += 1
            delay = child.backoff.after_exit(self._clock() - child.started_at)
            child.restart_at = self._clock() + delay
            when = (china_now() + datetime.timedelta(seconds=delay)).strftime("%H:%M:%S")
            self._say(f"{message.name} {_exit_reason(code)}; restarting in {delay:g} s (at {when}), "
                      "the other processes keep running")

    def _restart_due(self) -> None:
        now = self._clock()
        for name, child in self._children.items():
            if child.restart_at is not None and now >= child.restart_at and self._stopping_since is None:
                self._say(f"restarting {name} (restart {child.exits})")
                self._start(name)

    def _signal_running(self, force: bool) -> None:
        for name, child in self._children.items():
            if child.running and child.pid is not None:
                self._say(f"sending {'SIGKILL' if force else 'SIGTERM'} to {name} (pid {child.pid})")
                (self._signals.kill if force else self._signals.terminate)(child.pid)

    def _say(self, text: str) -> None:
        self._printer.write(Message(type="line", data=text + "\n", time=china_now(), name=SYSTEM,
                                    colour=None))


def _exit_reason(code: int) -> str:
    if code < 0:
        return f"was killed by {signal.Signals(-code).name}"
    return f"exited with code {code}"
