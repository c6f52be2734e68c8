"""System checks of the encryption keys (Django's checks framework).

- Always: every configured key must be urlsafe base64 of 32 bytes (privacy.E001).
- `manage.py check --deploy`: a key must be configured; the key derived from SECRET_KEY
  is for development only (privacy.E002): changing SECRET_KEY would make every sensitive
  fact unreadable, and whoever has the SECRET_KEY has the data key.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core import checks

from dentruong.lib.crypto import InvalidKey, parse_key


@checks.register(checks.Tags.security)
def check_key_format(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    errors: list[checks.CheckMessage] = []
    for n, key in enumerate(getattr(settings, "FIELD_ENCRYPTION_KEYS", ()), start=1):
        try:
            parse_key(key)
        except InvalidKey as e:
            errors.append(
                checks.Error(
                    f"FIELD_ENCRYPTION_KEYS: key {n} is not a key ({e}).",
                    hint="Each key is urlsafe base64 of 32 random bytes: "
                    "`manage.py rotate_encryption_key --new-key` prints one.",
                    id="privacy.E001",
                )
            )
    return errors


@checks.register(checks.Tags.security, deploy=True)
def check_key_configured(app_configs: Any = None, **kwargs: Any) -> list[checks.CheckMessage]:
    if getattr(settings, "FIELD_ENCRYPTION_KEYS", ()):
        return []
    return [
        checks.Error(
            "FIELD_ENCRYPTION_KEYS is not set: sensitive facts are encrypted with a "
            "development key derived from SECRET_KEY.",
            hint="Set FIELD_ENCRYPTION_KEYS in production and run "
            "`manage.py rotate_encryption_key` (docs/decisions/0012-personal-data.md).",
            id="privacy.E002",
        )
    ]
