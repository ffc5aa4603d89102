"""The one process harness: free ports, starting the project's own servers, waiting until they
answer their health URL, stopping them (SIGTERM, then SIGKILL) and removing a run's Redis keys.

``govbot.stack`` (the whole assistant for the end-to-end tests and benchmarks), the WeChat load
benchmark and the connector tests start their servers through it; ``govbot up`` checks its
ports with it (its processes run under ``govbot.supervisor``, which also restarts them).
"""
from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import subprocess
import time
import urllib.request
from pathlib import Path
from typing import Iterator, List, Mapping, Optional, Sequence

from govbot.settings import LOOPBACK, ROOT

STOP_GRACE_SECONDS = 15.0


def free_port() -> int:
    """A port nothing listens on now (the system's pick)."""
    with socket.socket() as probe:
        probe.bind((LOOPBACK, 0))
        return probe.getsockname()[1]


def port_is_free(port: int, host: str = LOOPBACK) -> bool:
    """Whether a server could listen on ``port`` now; errors other than "in use" are raised."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as error:
            if error.errno == errno.EADDRINUSE:
                return False
            raise
    return True


def start(command: Sequence[str], env: Mapping[str, str], log: Optional[Path] = None, cwd: Path = ROOT,
          show_errors: bool = False) -> "subprocess.Popen[bytes]":
    """One server process; its output goes to ``log`` (both streams), else nowhere but, with
    ``show_errors``, its standard error to ours."""
    if log is not None:
        return subprocess.Popen(list(command), cwd=cwd, env=dict(env), stdout=log.open("w"),
                                stderr=subprocess.STDOUT)
    return subprocess.Popen(list(command), cwd=cwd, env=dict(env), stdout=subprocess.DEVNULL,
                            stderr=None if show_errors else subprocess.DEVNULL)


def wait_until_up(urls: Sequence[str], processes: Sequence["subprocess.Popen[bytes]"], seconds: float,
                  where: str = "") -> None:
    """Returns once every URL answers 200; fails at once when one of ``processes`` exits, and after
    ``seconds``. ``where`` tells the reader where the logs are. URLs are shown without a query
    (which may hold a token)."""
    deadline = time.monotonic() + seconds
    pending: List[str] = list(urls)
    while pending and time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            raise RuntimeError(f"a server process exited during start-up{where}")
        if _answers(pending[0]):
            pending.pop(0)
            continue
        time.sleep(0.3)
    if pending:
        shown = [url.split("?", 1)[0] for url in pending]
        raise TimeoutError(f"not up after {seconds:.0f} s: {shown}{where}")


async def wait_until_up_async(urls: Sequence[str], processes: Sequence["subprocess.Popen[bytes]"],
                              seconds: float, where: str = "") -> None:
    """``wait_until_up`` for asyncio code: the polling runs in a thread, the loop stays free."""
    await asyncio.to_thread(wait_until_up, urls, processes, seconds, where)


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # nosec B310  # our own loopback health URLs
            return response.status == 200
    except OSError:
        return False


def stop(processes: Sequence["subprocess.Popen[bytes]"], grace: float = STOP_GRACE_SECONDS) -> None:
    """SIGTERM to all, then SIGKILL to any still running after ``grace`` seconds."""
    for process in processes:
        if process.poll() is None:
            process.terminate()
    deadline = time.monotonic() + grace
    for process in processes:
        try:
            process.wait(timeout=max(0.1, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@contextlib.contextmanager
def stopped_at_exit(processes: List["subprocess.Popen[bytes]"]) -> Iterator[List["subprocess.Popen[bytes]"]]:
    """Stops every process in ``processes`` (also ones appended inside the block) on leaving it."""
    try:
        yield processes
    finally:
        stop(processes)


async def delete_prefix(redis_url: str, prefix: str) -> None:
    """Removes a run's own keys (``prefix*``) from Redis, and nothing else."""
    import redis.asyncio as aioredis

    client = aioredis.from_url(redis_url)
    try:
        async for key in client.scan_iter(match=prefix + "*", count=500):
            await client.delete(key)
    finally:
        await client.close()
