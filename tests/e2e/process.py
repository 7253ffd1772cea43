"""`pilothouse serve` as a real process, the way a user starts it."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Served:
    base: str  # http://127.0.0.1:PORT
    token: str  # the owner's first token, read from the first-start output
    output: list[str] = field(default_factory=list)  # what the process printed
    exit_code: int | None = None


@contextmanager
def serve_process(data_dir: Path, **settings: str) -> Iterator[Served]:
    """Start `pilothouse serve` on SQLite in `data_dir` with extra PILOTHOUSE_* settings; wait
    until /healthz answers; stop it with SIGTERM (graceful) at the end."""
    port = free_port()
    env = {**os.environ, "PILOTHOUSE_DATA_DIR": str(data_dir)}
    env.pop("PILOTHOUSE_DATABASE_URL", None)
    env.update({f"PILOTHOUSE_{k.upper()}": v for k, v in settings.items()})
    process = subprocess.Popen(
        [sys.executable, "-m", "pilothouse", "serve", "--port", str(port)],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    served = Served(base=f"http://127.0.0.1:{port}", token="")
    try:
        while not served.token:
            line = process.stdout.readline()
            assert line, "the server stopped before printing its first token"
            served.output.append(line)
            found = re.search(r"token:\s+(phat_\S+)", line)
            served.token = found.group(1) if found else ""
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{served.base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield served
    finally:
        process.send_signal(signal.SIGTERM)
        served.exit_code = process.wait(timeout=20)
        served.output.append(process.stdout.read())
        process.stdout.close()
