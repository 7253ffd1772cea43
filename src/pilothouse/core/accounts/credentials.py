"""Secrets and their hashes: API token secrets, argon2 passwords, and HS256 JWTs."""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

__all__ = [
    "TOKEN_PREFIX",
    "new_token_secret",
    "hash_token",
    "hash_password",
    "verify_password",
    "burn_password_check",
    "issue_jwt",
    "decode_jwt",
    "looks_like_jwt",
]

# Recognisable in logs and by secret scanners ("ph" for Pilothouse, "at" for API token).
TOKEN_PREFIX = "phat_"
_hasher = PasswordHasher()
# Hashed for unknown emails, so a failed login costs the same whether the account exists or not.
_DUMMY_HASH = _hasher.hash("pilothouse-dummy-password")


def new_token_secret() -> str:
    """A new API token secret: the prefix and 256 random bits, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def hash_token(secret: str) -> str:
    """The stored form of a token secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def hash_password(password: str) -> str:
    """An argon2id hash of `password`."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """Whether `password` matches; constant time in the hash library."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def burn_password_check(password: str) -> None:
    """Spend the time of one password check (for unknown accounts)."""
    verify_password(_DUMMY_HASH, password)


def issue_jwt(
    secret: str, *, user_id: int, organization_id: int, scopes: frozenset[str], ttl_seconds: int
) -> tuple[str, datetime]:
    """A signed HS256 JWT for a user in one organization, and when it expires."""
    now = datetime.now(UTC)
    expires = now + timedelta(seconds=ttl_seconds)
    claims = {
        "sub": str(user_id),
        "org": organization_id,
        "scope": " ".join(sorted(scopes)),
        "iat": int(now.timestamp()),
        "exp": int(expires.timestamp()),
        "iss": "pilothouse",
    }
    return jwt.encode(claims, secret, algorithm="HS256"), expires


def decode_jwt(secret: str, token: str) -> dict[str, Any] | None:
    """The claims of a valid, unexpired token signed by us; None for anything else."""
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            secret,
            algorithms=["HS256"],
            issuer="pilothouse",
            options={"require": ["exp", "sub", "org"]},
        )
    except jwt.PyJWTError:
        return None
    return claims


def looks_like_jwt(token: str) -> bool:
    """JWTs have three dot-separated parts; our API tokens have none."""
    return token.count(".") == 2
