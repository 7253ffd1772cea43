"""One holder at a time per lease name; renewal by the holder; takeover once expired."""

from __future__ import annotations

import time

from pilothouse.core.leases import acquire_lease, release_lease


class TestLeases:
    def test_one_holder_at_a_time(self, runtime) -> None:
        engine = runtime.engine
        assert acquire_lease(engine, "job", "a", ttl=30)
        assert not acquire_lease(engine, "job", "b", ttl=30)
        assert acquire_lease(engine, "job", "a", ttl=30)  # renewal
        assert acquire_lease(engine, "other-job", "b", ttl=30)

    def test_expired_lease_is_taken_over(self, runtime) -> None:
        assert acquire_lease(runtime.engine, "job", "a", ttl=0.05)
        time.sleep(0.1)
        assert acquire_lease(runtime.engine, "job", "b", ttl=30)
        assert not acquire_lease(runtime.engine, "job", "a", ttl=30)

    def test_release(self, runtime) -> None:
        assert acquire_lease(runtime.engine, "job", "a", ttl=30)
        release_lease(runtime.engine, "job", "b")  # not the holder: no effect
        assert not acquire_lease(runtime.engine, "job", "b", ttl=30)
        release_lease(runtime.engine, "job", "a")
        assert acquire_lease(runtime.engine, "job", "b", ttl=30)
