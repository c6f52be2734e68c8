"""A password rule Django lacks: not just the username or the phone number.

UserAttributeSimilarityValidator catches 'cuc2026' only when it is close enough as a
whole; this one catches any password that, once every copy of the username and of the
phone number (as 09…, 84… or +84…) is taken out, has no letter left: 'cuc@@cuc@@',
'0912345678!', 'Cuc1234567'. Case and Vietnamese accents do not matter ('Cúc' = 'cuc').
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from dentruong.lib import vntext

MIN_PART = 3  # shorter usernames ('an') are too common inside words to strip


def _folded(text: str) -> str:
    """Lower case, no accents, punctuation kept (vntext.fold drops it, which we must not)."""
    return "".join(vntext.fold(ch) or ch.lower() for ch in unicodedata.normalize("NFC", text))


def _phone_forms(raw: str) -> set[str]:
    digits = re.sub(r"\D", "", raw)
    if len(digits) < 8:
        return set()
    national = digits[2:] if digits.startswith("84") else digits.removeprefix("0")
    return {digits, "0" + national, "84" + national, national}


def identity_parts(username: str, phone: str) -> list[str]:
    parts = {_folded(username).strip()} | _phone_forms(phone) | _phone_forms(username)
    return sorted((p for p in parts if len(p) >= MIN_PART), key=len, reverse=True)


def only_identity(password: str, *, username: str, phone: str) -> bool:
    """True when the password is made of the username/phone plus digits and symbols."""
    rest = _folded(password)
    parts = identity_parts(username, phone)
    found = False
    for part in parts:
        if part in rest:
            found = True
            rest = rest.replace(part, " ")
    return found and not any(ch.isalpha() for ch in rest)


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's rule with our own message: Django 5.2 changed its msgid and its Vietnamese
    catalogue still has the old one, so the error came out in English."""

    def get_error_message(self) -> str:
        return ngettext(
            "This password is too short: it must have at least %(min_length)d character.",
            "This password is too short: it must have at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class NotOnlyUsernameOrPhoneValidator:
    def validate(self, password: str, user: Any = None) -> None:
        if user is None:
            return
        username = str(getattr(user, "username", "") or "")
        phone = str(getattr(user, "phone", "") or "")
        if only_identity(password, username=username, phone=phone):
            raise ValidationError(
                _("The password must not be just your username or phone number."),
                code="password_is_username_or_phone",
            )

    def get_help_text(self) -> str:
        return _(
            "Your password can’t be just your username or phone number with digits or symbols."
        )
