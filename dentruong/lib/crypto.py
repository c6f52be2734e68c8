"""Encryption of single values at rest (AES-256-GCM), with named keys for rotation.

A stored value is `enc1$<key id>$<base64url(nonce ‖ ciphertext ‖ tag)>`:

- the key id is the first 8 hex digits of a SHA-256 of the key, so a value names the key
  that can open it, and a key list can grow (rotation) without re-encrypting first;
- the nonce is 12 random bytes per value: the same plain text never gives the same
  stored text (nobody can tell two poor households apart from the column);
- `context` (for instance "people.sensitivefacts.poverty") is authenticated with the
  value: a value copied into another column does not open there.

Keys come from the `FIELD_ENCRYPTION_KEYS` setting (comma-separated urlsafe base64 of 32
bytes; the first encrypts, all decrypt). Without it, a development key is derived from
SECRET_KEY (`keyring().derived` is then True and `manage.py check --deploy` refuses it).
Why and how to rotate: docs/decisions/0012-personal-data.md. No database here.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import os
from collections.abc import Sequence
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings

PREFIX = "enc1$"
NONCE_BYTES = 12
KEY_BYTES = 32
_DERIVE_LABEL = b"dentruong field encryption, development key v1\x00"

log = logging.getLogger(__name__)


class CryptoError(Exception):
    """A stored value cannot be opened: unknown key, altered text, or not encrypted."""


class InvalidKey(ValueError):
    """A configured key is not urlsafe base64 of 32 bytes."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"dentruong key id\x00" + key).hexdigest()[:8]


def parse_key(text: str) -> bytes:
    """A key as configured (urlsafe base64, padding optional) → its 32 bytes."""
    raw = text.strip()
    try:
        key = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4))
    except (binascii.Error, ValueError):
        raise InvalidKey("not urlsafe base64") from None
    if len(key) != KEY_BYTES:
        raise InvalidKey(f"{len(key)} bytes, not {KEY_BYTES}")
    return key


def new_key() -> str:
    """A fresh random key in the configured form."""
    return base64.urlsafe_b64encode(os.urandom(KEY_BYTES)).decode()


def derived_key(secret: str) -> bytes:
    """The development key: a SHA-256 of SECRET_KEY under a fixed label."""
    return hashlib.sha256(_DERIVE_LABEL + secret.encode()).digest()


@dataclass(frozen=True)
class Keyring:
    """Keys by id; `primary` encrypts. `derived`: the development key from SECRET_KEY."""

    primary: str
    ciphers: dict[str, AESGCM] = field(repr=False)
    derived: bool = False

    @classmethod
    def from_keys(cls, keys: Sequence[bytes], *, derived: bool = False) -> Keyring:
        if not keys:
            raise InvalidKey("no key")
        ciphers: dict[str, AESGCM] = {}
        for key in keys:
            ciphers.setdefault(key_id(key), AESGCM(key))
        return cls(primary=key_id(keys[0]), ciphers=ciphers, derived=derived)

    def encrypt(self, plain: str, context: str) -> str:
        nonce = os.urandom(NONCE_BYTES)
        sealed = self.ciphers[self.primary].encrypt(nonce, plain.encode(), context.encode())
        return f"{PREFIX}{self.primary}${base64.urlsafe_b64encode(nonce + sealed).decode()}"

    def decrypt(self, stored: str, context: str) -> str:
        kid, body = split(stored)
        cipher = self.ciphers.get(kid)
        if cipher is None:
            raise CryptoError(f"no key {kid} in FIELD_ENCRYPTION_KEYS")
        try:
            blob = base64.urlsafe_b64decode(body)
            plain = cipher.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], context.encode())
        except (InvalidTag, binascii.Error, ValueError):
            raise CryptoError(f"value does not open with key {kid} in {context}") from None
        return plain.decode()

    def is_current(self, stored: str) -> bool:
        """Encrypted with the primary key (rotation leaves such values alone)."""
        return stored.startswith(f"{PREFIX}{self.primary}$")


def is_encrypted(value: object) -> bool:
    return isinstance(value, str) and value.startswith(PREFIX)


def split(stored: str) -> tuple[str, str]:
    """(key id, body) of a stored value; CryptoError for anything else."""
    if not stored.startswith(PREFIX):
        raise CryptoError("value is not encrypted")
    kid, sep, body = stored[len(PREFIX) :].partition("$")
    if not sep or len(kid) != 8:
        raise CryptoError("malformed encrypted value")
    return kid, body


_cache: dict[tuple[tuple[str, ...], str], Keyring] = {}


def keyring_for(configured: Sequence[str], secret: str) -> Keyring:
    """The keyring of a configuration (cached: building AESGCM objects is not free)."""
    cache_key = (tuple(configured), secret)
    ring = _cache.get(cache_key)
    if ring is None:
        keys = [parse_key(k) for k in configured if k.strip()]
        if keys:
            # The development key stays readable (never used to encrypt) so that data
            # written before keys were configured opens until `rotate_encryption_key`.
            ring = Keyring.from_keys([*keys, derived_key(secret)])
        else:
            ring = Keyring.from_keys([derived_key(secret)], derived=True)
            if getattr(settings, "PRODUCTION", False):
                log.warning(
                    "FIELD_ENCRYPTION_KEYS is not set in production: sensitive facts are "
                    "encrypted with a key derived from SECRET_KEY (`manage.py check --deploy`)"
                )
        _cache[cache_key] = ring
    return ring


def keyring() -> Keyring:
    """The keyring of the running settings."""
    return keyring_for(getattr(settings, "FIELD_ENCRYPTION_KEYS", ()), settings.SECRET_KEY)


def encrypt(plain: str, context: str) -> str:
    return keyring().encrypt(plain, context)


def decrypt(stored: str, context: str) -> str:
    return keyring().decrypt(stored, context)
