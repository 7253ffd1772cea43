"""Requests per second of an authenticated, rate-limited JSON endpoint reading one row through
the full stack, beside a bare baseline served by the same server process in the same run.

    make bench            (or: python bench/bench_auth_read.py [--seconds 5] [--rounds 3])

The server (bench/server.py) runs in its own process on SQLite, one uvicorn worker; the load
generator (bench/loadgen.py) runs in this process: 32 keep-alive connections on 127.0.0.1.
Rounds alternate the targets so machine noise hits all; medians are compared:

    baseline        bare Starlette route: token hash lookup + one row, stdlib sqlite3
    plain FastAPI   the same two reads in a mounted FastAPI app (the framework's own cost)
    full stack      1Pilot's GET /sites/{id} (auth, rate limit, site + tags + uptime) and
                    GET /ping (auth and rate limit only)
"""

from __future__ import annotations

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from loadgen import load  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def cli(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "pilothouse", *args],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    return done.stdout.strip()


def wait_ready(base: str) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.2)
    raise SystemExit("server did not start")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=4.0)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    data = tempfile.mkdtemp(prefix="pilothouse-bench-")
    env = {
        **os.environ,
        "PILOTHOUSE_DATA_DIR": data,
        # Limits stay on (every request is counted); the window is just wide enough for a run.
        "PILOTHOUSE_RATELIMIT_STANDARD": "1000000000",
        "PILOTHOUSE_MONITOR_ENABLED": "false",
    }
    env.pop("PILOTHOUSE_DATABASE_URL", None)
    env.pop("PILOTHOUSE_REDIS_URL", None)
    cli(env, "migrate")
    cli(env, "user", "create", "--email", "bench@pilothouse.local", "--password", "benchmark!")
    token = cli(
        env, "token", "create", "--email", "bench@pilothouse.local", "--name", "bench", "--write"
    )
    headers = {"Authorization": f"Bearer {token}"}

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(Path(data) / "server.log", "w")  # noqa: SIM115
    server = subprocess.Popen(
        [sys.executable, str(ROOT / "bench" / "server.py"), str(port)],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_ready(base)
        site = httpx.post(
            f"{base}/onepilot/api/v1/sites",
            headers=headers,
            json={"name": "Bench", "url": "https://bench.example.org", "notes": "benchmark row"},
        ).json()["data"]
        targets = {
            "baseline  (Starlette + sqlite3)": f"/baseline/sites/{site['id']}",
            "plain FastAPI (same reads)": f"/fastapi/sites/{site['id']}",
            "full stack GET /sites/{id}": f"/onepilot/api/v1/sites/{site['id']}",
            "full stack GET /ping": "/onepilot/api/v1/ping",
        }
        for path in targets.values():  # warm up, and prove each answers 200
            result = load(port, path, headers, connections=4, duration=0.5)
            assert set(result.statuses) == {200}, (path, result.statuses)
        figures: dict[str, list[float]] = {name: [] for name in targets}
        for round_number in range(1, args.rounds + 1):
            for name, path in targets.items():
                result = load(
                    port, path, headers, connections=args.connections, duration=args.seconds
                )
                assert set(result.statuses) == {200}, (path, result.statuses)
                figures[name].append(result.rps)
            print(
                f"round {round_number}/{args.rounds}: "
                + ", ".join(f"{n.split('(')[0].strip()} {v[-1]:,.0f}" for n, v in figures.items()),
                file=sys.stderr,
                flush=True,
            )
    finally:
        server.terminate()
        server.wait(timeout=20)
        log.close()

    medians = {name: statistics.median(values) for name, values in figures.items()}
    baseline = medians["baseline  (Starlette + sqlite3)"]
    fastapi = medians["plain FastAPI (same reads)"]
    print(
        f"\nrequests/s, median of {args.rounds} x {args.seconds:g}s, "
        f"{args.connections} connections, 1 server process, SQLite"
    )
    for name, value in medians.items():
        print(
            f"  {name:<34} {value:>9,.0f} req/s   ratio to baseline {value / baseline:.2f}"
            f"   to plain FastAPI {value / fastapi:.2f}"
        )


if __name__ == "__main__":
    main()
