"""Fixed-window rate limits per principal and app, in memory or in Redis (shared by processes).

With Redis, counting is the `limits` library's async storage: its `incr` is one atomic script
(count and first-hit expiry together), so any number of server processes share one counter per
key, and the event loop never waits on a blocking socket.

In memory (one process), a window is a dict entry counted on the event loop: `limits`' async
memory storage would start an expiry task on every hit (~15 µs a request here, measured).
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.aio.storage import RedisStorage, Storage
from redis.asyncio import ConnectionPool

__all__ = ["RateLimitState", "RateLimiter"]


@dataclass(frozen=True, slots=True)
class RateLimitState:
    limit: int
    remaining: int
    reset_at: float  # unix time at which the window starts afresh
    allowed: bool

    @property
    def reset(self) -> int:
        return math.ceil(self.reset_at)

    @property
    def retry_after(self) -> int:
        """Whole seconds until the window resets (at least 1)."""
        return max(1, math.ceil(self.reset_at - time.time()))

    def raw_headers(self) -> list[tuple[bytes, bytes]]:
        """`X-RateLimit-Limit`, `-Remaining` and `-Reset` as ASGI writes them (names in lower
        case, as every response sends them, and bytes)."""
        return [
            (b"x-ratelimit-limit", b"%d" % self.limit),
            (b"x-ratelimit-remaining", b"%d" % self.remaining),
            (b"x-ratelimit-reset", b"%d" % self.reset),
        ]

    def headers(self) -> dict[str, str]:
        """The same headers, for an error response."""
        return {name.decode(): value.decode() for name, value in self.raw_headers()}


class _MemoryWindows:
    """Fixed windows in this process: key → [count, end of window]. Only the event loop
    touches it, between awaits, so no lock is needed."""

    # Windows that ended are dropped once the table holds this many keys.
    SWEEP_AT = 10_000

    def __init__(self) -> None:
        self._windows: dict[str, list[float]] = {}

    def incr(self, key: str, window_seconds: int) -> tuple[int, float]:
        now = time.time()
        window = self._windows.get(key)
        if window is None or window[1] <= now:
            if len(self._windows) >= self.SWEEP_AT:
                self._windows = {k: w for k, w in self._windows.items() if w[1] > now}
            window = self._windows[key] = [0, now + window_seconds]
        window[0] += 1
        return int(window[0]), window[1]


class RateLimiter:
    """Counts hits per key in fixed windows; memory by default, Redis when given a URL."""

    def __init__(self, redis_url: str = "", *, key_prefix: str = "pilothouse") -> None:
        self._storage: Storage | None = None
        self._memory: _MemoryWindows | None = None
        self._pool: ConnectionPool | None = None
        if redis_url:
            self._pool = ConnectionPool.from_url(redis_url)
            self._storage = RedisStorage(
                "async+" + redis_url,
                implementation="redispy",
                key_prefix=key_prefix,
                connection_pool=self._pool,  # type: ignore[arg-type]  # passed to redis as is
            )
        else:
            self._memory = _MemoryWindows()

    async def hit(self, key: str, *, limit: int, window_seconds: int) -> RateLimitState:
        """Count one request for `key`, and say whether it is within the limit."""
        if self._memory is not None:
            count, reset_at = self._memory.incr(f"{key}/{window_seconds}", window_seconds)
        else:
            assert self._storage is not None
            item = RateLimitItemPerSecond(limit, window_seconds)
            storage_key = item.key_for(key)
            count = await self._storage.incr(storage_key, item.get_expiry())
            reset_at = await self._storage.get_expiry(storage_key)
        return RateLimitState(
            limit=limit,
            remaining=max(0, limit - count),
            reset_at=reset_at,
            allowed=count <= limit,
        )

    async def aclose(self) -> None:
        """Close the Redis connections, if any."""
        if self._pool is not None:
            await self._pool.aclose()
