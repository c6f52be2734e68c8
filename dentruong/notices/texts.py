"""What the notices say: short, Vietnamese (the default language, whatever the language
of the user whose action queued them), NFC. Pure functions: no database.

The SMS adapter folds the text to ASCII when NOTICE_SMS_UNICODE is off (adapters.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from dentruong.lib import vntext


@dataclass(frozen=True)
class Message:
    subject: str
    text: str


def _session_word(session: str) -> str:
    return _("afternoon") if session == "pm" else _("morning")


def absence_message(
    *,
    school: str,
    student: str,
    class_name: str,
    session: str,
    day: dt.date,
    teacher: str = "",
    teacher_phone: str = "",
) -> Message:
    """'Trường Tiểu học Bát Xát: em Đặng Thị Ánh (lớp 3A) vắng không phép buổi sáng
    ngày 17/03/2027. Xin liên hệ GVCN Vàng Thị Tâm, 0912345678.'"""
    with translation.override(settings.LANGUAGE_CODE):
        text = _(
            "%(school)s: %(student)s (class %(class)s) was absent without leave on the "
            "%(session)s of %(date)s."
        ) % {
            "school": school,
            "student": student,
            "class": class_name,
            "session": _session_word(session),
            "date": f"{day:%d/%m/%Y}",
        }
        if teacher:
            contact = f"{teacher}, {teacher_phone}" if teacher_phone else teacher
            text += " " + _("Please contact the homeroom teacher %(teacher)s.") % {
                "teacher": contact
            }
        subject = _("Absence of %(student)s, %(date)s") % {
            "student": student,
            "date": f"{day:%d/%m/%Y}",
        }
    return Message(subject=vntext.clean(subject), text=vntext.clean(text))


def reminder_message(*, classes: Sequence[tuple[str, str]], session: str, day: dt.date) -> Message:
    """`classes` = (school name, class name) pairs of one teacher."""
    with translation.override(settings.LANGUAGE_CODE):
        where = "; ".join(
            _("class %(class)s, %(school)s") % {"class": name, "school": school}
            for school, name in classes
        )
        text = _(
            "Đến Trường: the %(session)s roll call of %(date)s has not been taken yet: %(classes)s."
        ) % {"session": _session_word(session), "date": f"{day:%d/%m/%Y}", "classes": where}
        subject = _("Roll call reminder, %(date)s") % {"date": f"{day:%d/%m/%Y}"}
    return Message(subject=vntext.clean(subject), text=vntext.clean(text))
