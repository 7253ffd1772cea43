"""Encryption at rest for third-party secrets we must be able to read back (agent keys, OAuth
client secrets, refresh tokens): Fernet (AES-128-CBC + HMAC-SHA256) with a key derived from the
server secret by HKDF, so the database alone never reveals them."""

from __future__ import annotations

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

__all__ = ["SecretBox", "SecretUnreadable"]


class SecretUnreadable(Exception):
    """The stored value was not sealed with this server's secret (or was altered)."""


class SecretBox:
    """Seals and opens short secrets with a key derived from the server secret."""

    def __init__(self, server_secret: str, *, purpose: str = "secrets-at-rest") -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=purpose.encode()).derive(
            server_secret.encode()
        )
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def seal(self, plaintext: str) -> str:
        """The encrypted, authenticated form of `plaintext` (ASCII, safe to store)."""
        return self._fernet.encrypt(plaintext.encode()).decode()

    def open(self, sealed: str) -> str:
        """The plaintext of a sealed value; SecretUnreadable if it was not sealed by us."""
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as error:
            raise SecretUnreadable("stored secret cannot be decrypted") from error
