"""`manage.py compute_risk`: every enrolled student's level and reasons as of a date
(default today), nightly from cron; `--incremental` after a morning's roll calls: only
the students whose marks changed (decision 0008). Prints one JSON line.

    manage.py compute_risk                         # the whole system, today
    manage.py compute_risk --unit 15/02683/ --date 2027-03-17
    manage.py compute_risk --incremental --since 06:30
"""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dentruong.notices.services import VN_TZ, local_today
from dentruong.orgs.models import OrgUnit
from dentruong.risk import services


def parse_date(value: str) -> dt.date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            pass
    raise CommandError(f"not a date (dd/mm/yyyy or yyyy-mm-dd): {value!r}")


def unit_path(unit: str) -> str:
    if not unit:
        return ""
    found = OrgUnit.objects.filter(path=unit).first() or OrgUnit.objects.filter(code=unit).first()
    if found is None:
        raise CommandError(f"no unit with path or code {unit!r}")
    return found.path


class Command(BaseCommand):
    help = "Compute every enrolled student's dropout risk (levels and reasons) as of a date."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", default="", help="Unit path (e.g. 15/02683/) or code")
        parser.add_argument("--date", help="As of this day (default today)")
        parser.add_argument(
            "--incremental",
            action="store_true",
            help="Only students marked absent that day or already at risk in a class "
            "whose roll call was written",
        )
        parser.add_argument("--since", help="With --incremental: roll calls written from HH:MM")
        parser.add_argument("--no-notify", action="store_true", help="Tell no teacher")

    def handle(self, *args: Any, **options: Any) -> None:
        path = unit_path(options["unit"])
        day = parse_date(options["date"]) if options["date"] else local_today()
        notify = False if options["no_notify"] else None
        started = time.perf_counter()
        if options["incremental"]:
            since = None
            if options["since"]:
                try:
                    clock = dt.time.fromisoformat(options["since"])
                except ValueError:
                    raise CommandError(f"not a time (HH:MM): {options['since']!r}") from None
                since = dt.datetime.combine(day, clock, tzinfo=VN_TZ)
            result = services.update_after_roll_calls(
                path=path, day=day, since=since, notify=notify
            )
        else:
            result = services.compute_risk(path=path, day=day, notify=notify)
        out = {
            "unit": path or "(all)",
            "date": day.isoformat(),
            "incremental": bool(options["incremental"]),
            **result.as_dict(),
            "seconds": round(time.perf_counter() - started, 2),
        }
        self.stdout.write(json.dumps(out, ensure_ascii=False))
