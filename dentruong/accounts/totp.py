"""Time-based one-time passwords (RFC 6238 over RFC 4226), standard library only.

Pure functions, no database: what an authenticator app (Google Authenticator, Microsoft
Authenticator, FreeOTP…) computes from the shared secret — 6 digits, a new code every
30 seconds, HMAC-SHA-1 — and how the server checks one, allowing one step of clock drift
either way. Replay protection (a code is good once) is the caller's: `match_step` returns
the time step a code belongs to, which the caller stores and refuses at or below next time.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from urllib.parse import quote, urlencode

PERIOD = 30  # seconds per step
DIGITS = 6
DRIFT = 1  # steps accepted either side of now
SECRET_BYTES = 20  # 160 bits, the length RFC 4226 recommends for HMAC-SHA-1

_DIGESTS = {"sha1": hashlib.sha1, "sha256": hashlib.sha256, "sha512": hashlib.sha512}


def hotp(key: bytes, counter: int, *, digits: int = DIGITS, digest: str = "sha1") -> str:
    """RFC 4226 §5.3: HMAC of the 8-byte counter, dynamic truncation, last `digits` digits."""
    mac = hmac.new(key, struct.pack(">Q", counter), _DIGESTS[digest]).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def time_step(at: float, *, period: int = PERIOD) -> int:
    """RFC 6238 §4.2: T = floor((unix time − T0) / X), T0 = 0."""
    return int(at // period)


def totp(
    key: bytes, at: float, *, period: int = PERIOD, digits: int = DIGITS, digest: str = "sha1"
) -> str:
    return hotp(key, time_step(at, period=period), digits=digits, digest=digest)


def normalize_code(text: str) -> str:
    """What people type: '123 456', '123-456' → '123456'."""
    return "".join(ch for ch in text if not ch.isspace() and ch != "-")


def match_step(
    key: bytes, code: str, at: float, *, after_step: int | None = None, drift: int = DRIFT
) -> int | None:
    """The time step within `drift` of `at` whose code is `code`, or None.

    Steps at or below `after_step` (the last one used) never match: a code, once accepted,
    is refused for the rest of its window, and so is any older one.
    """
    code = normalize_code(code)
    if len(code) != DIGITS or not code.isdigit():
        return None
    now = time_step(at)
    for step in range(now - drift, now + drift + 1):
        if after_step is not None and step <= after_step:
            continue
        if hmac.compare_digest(hotp(key, step), code):
            return step
    return None


def new_secret() -> str:
    """A fresh shared secret, base32 without padding (what authenticator apps take)."""
    return base64.b32encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii").rstrip("=")


def secret_bytes(secret: str) -> bytes:
    """The key behind a base32 secret; spaces, case and missing padding forgiven."""
    text = "".join(secret.split()).upper()
    return base64.b32decode(text + "=" * (-len(text) % 8))


def grouped(secret: str, size: int = 4) -> str:
    """'JBSWY3DPEHPK3PXP' → 'JBSW Y3DP EHPK 3PXP': easier to type into an app by hand."""
    return " ".join(secret[i : i + size] for i in range(0, len(secret), size))


def otpauth_uri(secret: str, *, account: str, issuer: str) -> str:
    """The Key Uri Format authenticator apps read from a QR code or a link."""
    label = quote(f"{issuer}:{account}", safe=":@")
    query = urlencode(
        {
            "secret": secret,
            "issuer": issuer,
            "algorithm": "SHA1",
            "digits": DIGITS,
            "period": PERIOD,
        },
        quote_via=quote,
    )
    return f"otpauth://totp/{label}?{query}"
