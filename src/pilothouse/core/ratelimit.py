"""Fixed-window rate limits per principal and app, in memory or in Redis (shared by processes).

Counting is the `limits` library's: its Redis fixed window is one atomic script, so any number
of server processes share one counter per key.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

from limits import RateLimitItemPerSecond
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

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

    def headers(self) -> dict[str, str]:
        return {
            "X-RateLimit-Limit": str(self.limit),
            "X-RateLimit-Remaining": str(self.remaining),
            "X-RateLimit-Reset": str(self.reset),
        }


class RateLimiter:
    """Counts hits per key in fixed windows; memory by default, Redis when given a URL."""

    def __init__(self, redis_url: str = "", *, key_prefix: str = "pilothouse") -> None:
        uri = redis_url or "memory://"
        options = {"key_prefix": key_prefix} if redis_url else {}
        self._storage = storage_from_string(uri, **options)
        self._strategy = FixedWindowRateLimiter(self._storage)

    def hit(self, key: str, *, limit: int, window_seconds: int) -> RateLimitState:
        """Count one request for `key`, and say whether it is within the limit."""
        item = RateLimitItemPerSecond(limit, window_seconds)
        allowed = self._strategy.hit(item, key)
        stats = self._strategy.get_window_stats(item, key)
        return RateLimitState(
            limit=limit,
            remaining=max(0, stats.remaining),
            reset_at=stats.reset_time,
            allowed=allowed,
        )

    def reset(self) -> None:
        """Forget every counter (tests and the CLI)."""
        self._storage.reset()
