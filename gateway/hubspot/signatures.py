"""HubSpot request signatures (v1, v2, v3): compute and verify, stdlib only."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re

MAX_AGE_SECONDS = 300
"""HubSpot: reject a v3 request whose timestamp is older than 5 minutes."""

_PERCENT = re.compile(r"%([0-9A-Fa-f]{2})")


def _b(value: str | bytes) -> bytes:
    return value if isinstance(value, bytes) else value.encode("utf-8")


def sign_v1(secret: str, body: bytes | str) -> str:
    """Hex SHA-256 of ``client_secret + body`` (Webhooks API, ``X-HubSpot-Signature``)."""
    return hashlib.sha256(_b(secret) + _b(body)).hexdigest()


def sign_v2(secret: str, method: str, uri: str, body: bytes | str) -> str:
    """Hex SHA-256 of ``client_secret + method + uri + body`` (CRM cards, workflow actions)."""
    return hashlib.sha256(_b(secret) + _b(method) + _b(uri) + _b(body)).hexdigest()


def sign_v3(
    secret: str, method: str, uri: str, body: bytes | str, timestamp_ms: str | int
) -> str:
    """Base64 HMAC-SHA256 keyed by the client secret over ``method + uri + body + timestamp``."""
    message = _b(method) + _b(uri) + _b(body) + _b(str(timestamp_ms))
    digest = hmac.new(_b(secret), message, hashlib.sha256).digest()
    return base64.b64encode(digest).decode("ascii")


def decode_uri(uri: str) -> str:
    """Percent-decode ``uri`` except an encoded ``?`` (``%3F``), as HubSpot's v3 docs describe.

    UNCONFIRMED: HubSpot lists the characters to decode in a table not reproduced in
    HUBSPOT.md; this decodes every escape except ``%3F`` so the query separator stays unique.
    """

    def _one(match: re.Match[str]) -> str:
        char = chr(int(match.group(1), 16))
        return match.group(0) if char == "?" else char

    return _PERCENT.sub(_one, uri)


def _same(expected: str, given: str) -> bool:
    return hmac.compare_digest(_b(expected), _b(given))


def verify_v1(secret: str, body: bytes | str, signature: str) -> bool:
    """True if ``signature`` is the v1 signature of ``body`` (constant-time compare)."""
    return _same(sign_v1(secret, body), signature.strip().lower())


def verify_v2(secret: str, method: str, uri: str, body: bytes | str, signature: str) -> bool:
    """True if ``signature`` is the v2 signature of the request (constant-time compare)."""
    return _same(sign_v2(secret, method, uri, body), signature.strip().lower())


def timestamp_fresh(timestamp_ms: str | int, now: float, max_age: float = MAX_AGE_SECONDS) -> bool:
    """True if ``timestamp_ms`` (Unix ms) lies within ``max_age`` seconds of ``now``, either way.

    HubSpot's own client only rejects old timestamps; this also rejects ones from the future.
    """
    try:
        ts = int(str(timestamp_ms).strip())
    except ValueError:
        return False
    return abs(now - ts / 1000.0) <= max_age


def verify_v3(
    secret: str,
    method: str,
    uri: str,
    body: bytes | str,
    signature: str,
    timestamp_ms: str | int,
    now: float,
    max_age: float = MAX_AGE_SECONDS,
) -> bool:
    """True if ``signature`` (``X-HubSpot-Signature-v3``) is valid and the timestamp is fresh.

    ``uri`` is the full public URL HubSpot called (scheme, host, path, query). The raw URI
    is tried first, then the percent-decoded form (:func:`decode_uri`).
    """
    if not signature or not timestamp_fresh(timestamp_ms, now, max_age):
        return False
    ts = str(timestamp_ms).strip()
    candidates = [uri]
    decoded = decode_uri(uri)
    if decoded != uri:
        candidates.append(decoded)
    given = signature.strip()
    return any(_same(sign_v3(secret, method.upper(), u, body, ts), given) for u in candidates)
