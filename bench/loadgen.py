"""A small, fast HTTP/1.1 load generator: N keep-alive connections on loopback, fixed duration.

Runs in its own process so the server under test has the other core. Bounded: it stops by
itself after `duration` seconds and only ever connects to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass


@dataclass
class LoadResult:
    requests: int
    errors: int
    seconds: float
    statuses: dict[int, int]

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0


async def _worker(port: int, request: bytes, stop_at: float, result: LoadResult) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while time.perf_counter() < stop_at:
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            result.requests += 1
            result.statuses[status] = result.statuses.get(status, 0) + 1
    except (OSError, asyncio.IncompleteReadError):
        result.errors += 1
    finally:
        writer.close()


async def _run(port: int, path: str, headers: dict[str, str], connections: int, duration: float):
    lines = [f"GET {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: application/json"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    request = ("\r\n".join(lines) + "\r\n\r\n").encode()
    result = LoadResult(0, 0, 0.0, {})
    started = time.perf_counter()
    stop_at = started + duration
    await asyncio.gather(*(_worker(port, request, stop_at, result) for _ in range(connections)))
    result.seconds = time.perf_counter() - started
    return result


def load(
    port: int, path: str, headers: dict[str, str], *, connections: int = 32, duration: float = 5.0
) -> LoadResult:
    """Hammer http://127.0.0.1:port/path for `duration` seconds; count answers by status."""
    import uvloop

    return uvloop.run(_run(port, path, headers, connections, duration))
