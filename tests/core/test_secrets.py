"""Third-party secrets are stored encrypted and read back only with the server's secret."""

from __future__ import annotations

import pytest

from pilothouse.core.secrets import SecretBox, SecretUnreadable


def test_round_trip_and_ciphertext_hides_the_value() -> None:
    box = SecretBox("server-secret-one")
    sealed = box.seal("agent-private-key-123")
    assert "agent-private-key-123" not in sealed
    assert sealed != box.seal("agent-private-key-123")  # random IV
    assert box.open(sealed) == "agent-private-key-123"


def test_another_server_secret_cannot_open() -> None:
    sealed = SecretBox("server-secret-one").seal("x")
    with pytest.raises(SecretUnreadable):
        SecretBox("server-secret-two").open(sealed)
    with pytest.raises(SecretUnreadable):
        SecretBox("server-secret-one").open(sealed[:-4] + "AAAA")
