"""Remind the homeroom teachers whose classes have not taken the morning roll call today.

The notice worker (`manage.py run_notices`, started by `make demo`) does this by itself at
ROLL_CALL_REMINDER_TIME (default 08:30 Việt Nam time). Without the worker running all
day, or for the afternoon session, run this from cron or a systemd timer, for instance:

    30 8 * * 1-6  cd /srv/dentruong && .venv/bin/python manage.py remind_roll_call
    0 14 * * 1-6  cd /srv/dentruong && .venv/bin/python manage.py remind_roll_call --session pm

It prints one line per teacher (and one per class without a homeroom teacher), logs each
to the `dentruong.attendance.reminders` logger, and queues one reminder notice per teacher
(SMS to `User.phone`, else e-mail; at most one per teacher, day and session, however often
it runs), which the notice worker sends. --dry-run only prints.
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation
from django.utils.translation import gettext as _

from dentruong.attendance.selectors import ClassInfo, roll_call_completeness
from dentruong.attendance.services import VN_TZ, local_today
from dentruong.notices.services import queue_roll_call_reminders
from dentruong.orgs.models import OrgUnit, Session

logger = logging.getLogger("dentruong.attendance.reminders")


def reminder_time() -> dt.time:
    value = str(getattr(settings, "ROLL_CALL_REMINDER_TIME", "08:30"))
    try:
        return dt.datetime.strptime(value, "%H:%M").time()
    except ValueError:
        raise CommandError(
            f"ROLL_CALL_REMINDER_TIME must be HH:MM (Việt Nam time), not {value!r}"
        ) from None


class Command(BaseCommand):
    help = (
        "Remind the homeroom teachers whose classes have not taken the morning roll call "
        "today: print, log, and queue a reminder notice per teacher (sent by run_notices). "
        "For cron or a systemd timer at ROLL_CALL_REMINDER_TIME (default 08:30, Việt Nam time)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", type=dt.date.fromisoformat, help="YYYY-MM-DD (today)")
        parser.add_argument("--session", choices=Session.values, default=Session.MORNING)
        parser.add_argument("--unit", help="Only this unit: its id or path (e.g. 15/02683/)")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print only: queue no reminder notice"
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even before ROLL_CALL_REMINDER_TIME today",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        with translation.override(settings.LANGUAGE_CODE):
            self._handle(**options)

    def _handle(self, **options: Any) -> None:
        today = local_today()
        day: dt.date = options["date"] or today
        session: str = options["session"]
        at = reminder_time()
        if day > today:
            raise CommandError(f"{day} is in the future")
        if day == today and dt.datetime.now(VN_TZ).time() < at and not options["force"]:
            self.stdout.write(
                _("It is not %(time)s yet (ROLL_CALL_REMINDER_TIME): nobody to remind yet.")
                % {"time": at.strftime("%H:%M")}
            )
            return
        path = self._path(options["unit"])
        gaps = roll_call_completeness(path, day=day, session=session).classes
        missing = [g.info for g in gaps if g.session_missing]
        by_teacher: dict[int | None, list[ClassInfo]] = {}
        for info in missing:
            by_teacher.setdefault(info.teacher_id, []).append(info)
        label = Session(session).label
        self.stdout.write(
            _("Roll calls not taken — %(session)s, %(date)s:")
            % {"session": label, "date": f"{day:%d/%m/%Y}"}
        )
        for teacher_id, classes in sorted(
            by_teacher.items(), key=lambda kv: (kv[0] is None, kv[1][0].teacher_name)
        ):
            where = "; ".join(f"{c.school_name}: {c.name}" for c in classes)
            who = classes[0].teacher_name if teacher_id else _("(no homeroom teacher)")
            self.stdout.write(f"  {who} — {where}")
            logger.info(
                "roll call reminder date=%s session=%s teacher=%s classes=%s",
                day.isoformat(),
                session,
                teacher_id,
                ",".join(str(c.id) for c in classes),
            )
        teachers = sum(1 for key in by_teacher if key is not None)
        self.stdout.write(
            _("Classes without a roll call: %(classes)d; teachers to remind: %(teachers)d.")
            % {"classes": len(missing), "teachers": teachers}
        )
        if options["dry_run"] or not teachers:
            return
        reminders = queue_roll_call_reminders(day=day, session=session, path=path)
        self.stdout.write(
            _("Reminders queued for the notice worker: %(count)d.") % {"count": len(reminders)}
        )

    def _path(self, unit: str | None) -> str:
        if not unit:
            return ""
        found = (
            OrgUnit.objects.filter(pk=int(unit)).first()
            if unit.isdigit()
            else OrgUnit.objects.filter(path=unit).first()
        )
        if found is None:
            raise CommandError(f"No unit {unit!r}")
        return found.path
