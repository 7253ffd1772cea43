"""One uptime check of one URL: HTTP status, keyword, response time, and the TLS certificate.

No database here: `probe` takes a URL and answers a `CheckResult`. The whole check, redirects
included, has one deadline, so a hanging site costs at most the timeout.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any
from urllib.parse import urlsplit

import certifi
import httpx
from cryptography import x509
from cryptography.x509.oid import NameOID

from pilothouse.core.models import utcnow

__all__ = ["Certificate", "CheckResult", "probe", "ssl_context", "read_certificate"]

MAX_REDIRECTS = 5
# The keyword must appear in the first megabyte; a larger page is not read further.
MAX_BODY_BYTES = 1_000_000
USER_AGENT = "Pilothouse-Monitor/1.0 (uptime check)"
TLS_FAILED = "TLS certificate verification failed"


@dataclass(frozen=True, slots=True)
class Certificate:
    expires_at: datetime
    issuer: str
    verified: bool


@dataclass(slots=True)
class CheckResult:
    ok: bool
    checked_at: datetime = field(default_factory=utcnow)
    status_code: int | None = None
    response_ms: int | None = None
    error: str | None = None
    ip: str | None = None
    certificate: Certificate | None = None


@cache
def ssl_context(ca_file: str = "") -> ssl.SSLContext:
    """Verifying TLS context: the public CAs (certifi), plus `ca_file` when given."""
    context = ssl.create_default_context(cafile=certifi.where())
    if ca_file:
        context.load_verify_locations(cafile=ca_file)
    return context


def _issuer(cert: x509.Certificate) -> str:
    for oid in (NameOID.ORGANIZATION_NAME, NameOID.COMMON_NAME):
        values = cert.issuer.get_attributes_for_oid(oid)
        if values:
            return str(values[0].value)
    return cert.issuer.rfc4514_string()


def _certificate(ssl_object: Any, *, verified: bool) -> Certificate | None:
    der = ssl_object.getpeercert(binary_form=True) if ssl_object is not None else None
    if not der:
        return None
    cert = x509.load_der_x509_certificate(der)
    return Certificate(cert.not_valid_after_utc, _issuer(cert)[:500], verified)


async def read_certificate(url: str, *, timeout: float) -> Certificate | None:
    """The certificate a server presents, read without verifying it (to report a bad one)."""
    parts = urlsplit(url)
    if parts.scheme != "https" or not parts.hostname:
        return None
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        async with asyncio.timeout(timeout):
            _reader, writer = await asyncio.open_connection(
                parts.hostname, parts.port or 443, ssl=context, server_hostname=parts.hostname
            )
    except (OSError, TimeoutError, ValueError):
        return None
    try:
        return _certificate(writer.get_extra_info("ssl_object"), verified=False)
    finally:
        writer.close()
        with contextlib.suppress(OSError, TimeoutError):
            async with asyncio.timeout(1):
                await writer.wait_closed()


async def _read_body(response: httpx.Response) -> bytes:
    chunks, size = [], 0
    async for chunk in response.aiter_bytes():
        chunks.append(chunk)
        size += len(chunk)
        if size >= MAX_BODY_BYTES:
            break
    return b"".join(chunks)[:MAX_BODY_BYTES]


def _judge(result: CheckResult, body: bytes, keyword: str | None) -> None:
    status = result.status_code or 0
    if not 200 <= status < 300:
        result.error = f"HTTP {status}"
    elif keyword and keyword.encode() not in body:
        result.error = "Keyword not found"
    else:
        result.ok = True


async def _fetch(
    url: str, keyword: str | None, context: ssl.SSLContext, timeout: float
) -> CheckResult:
    result = CheckResult(ok=False)
    started = time.perf_counter()
    async with (
        httpx.AsyncClient(
            verify=context,
            timeout=timeout,
            follow_redirects=True,
            max_redirects=MAX_REDIRECTS,
            trust_env=False,
            headers={"User-Agent": USER_AGENT},
        ) as client,
        client.stream("GET", url) as response,
    ):
        body = await _read_body(response)
        result.response_ms = round((time.perf_counter() - started) * 1000)
        result.status_code = response.status_code
        stream = response.extensions.get("network_stream")
        if stream is not None:
            address = stream.get_extra_info("server_addr")
            result.ip = str(address[0]) if address else None
            result.certificate = _certificate(stream.get_extra_info("ssl_object"), verified=True)
    _judge(result, body, keyword)
    return result


def _describe(error: Exception, timeout: float) -> str:
    if isinstance(error, TimeoutError | httpx.TimeoutException):
        return f"Timed out after {timeout:g} s"
    if isinstance(error, httpx.TooManyRedirects):
        return f"More than {MAX_REDIRECTS} redirects"
    text = str(error)
    if "CERTIFICATE_VERIFY_FAILED" in text or isinstance(error, ssl.SSLError):
        return TLS_FAILED
    if isinstance(error, httpx.ConnectError):
        return "Connection failed"
    return f"Request failed ({type(error).__name__})"


async def probe(
    url: str, *, keyword: str | None, timeout: float, context: ssl.SSLContext
) -> CheckResult:
    """Fetch `url` once (redirects followed, at most MAX_REDIRECTS) and judge it."""
    try:
        async with asyncio.timeout(timeout):
            result = await _fetch(url, keyword, context, timeout)
    except (httpx.HTTPError, TimeoutError, OSError, ValueError) as error:
        result = CheckResult(ok=False, error=_describe(error, timeout))
    if result.error == TLS_FAILED:
        result.certificate = await read_certificate(url, timeout=timeout)
    return result
