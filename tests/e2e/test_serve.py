"""`pilothouse serve` as a user runs it: first start prints the owner's token; it works; the
server stops cleanly on SIGTERM."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_first_start_prints_a_working_token(tmp_path: Path) -> None:
    port = free_port()
    env = {**os.environ, "PILOTHOUSE_DATA_DIR": str(tmp_path / "var")}
    env.pop("PILOTHOUSE_DATABASE_URL", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "pilothouse", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    output = ""
    try:
        deadline = time.monotonic() + 30
        base = f"http://127.0.0.1:{port}"
        while time.monotonic() < deadline:
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        token = None
        while token is None:
            line = process.stdout.readline()
            output += line
            found = re.search(r"token:\s+(phat_\S+)", line)
            token = found.group(1) if found else None
        ping = f"{base}/onepilot/api/v1/ping"
        ok = httpx.get(
            ping, headers={"Authorization": f"Bearer {token}", "Accept": "application/json"}
        )
        assert ok.status_code == 200 and ok.json() == {"message": "pong"}
        denied = httpx.get(ping)
        assert denied.status_code == 401 and denied.json() == {"message": "Unauthenticated."}
        assert (tmp_path / "var" / "pilothouse.db").exists()
        assert (tmp_path / "var" / "secret_key").stat().st_mode & 0o077 == 0
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=20)
        output += process.stdout.read()
        process.stdout.close()
    # uvicorn finishes in-flight requests and the lifespan, then re-raises SIGTERM to exit.
    assert code in (0, -signal.SIGTERM)
    assert "Traceback" not in output
    assert "password:" in output
