"""`manage.py check_headcounts`: every class and school where the head count does not
reconcile with the enrollment events (start + events ≠ now), with the students involved.

Exits with an error when any unit fails, so that a cron job notices.
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dentruong.attendance.services import local_today
from dentruong.enrollment.selectors import default_school_year, headcount_check
from dentruong.orgs.models import OrgUnit


def _date(value: str) -> dt.date:
    for fmt in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(value, fmt).date()
        except ValueError:
            pass
    raise CommandError(f"not a date (dd/mm/yyyy or yyyy-mm-dd): {value!r}")


class Command(BaseCommand):
    help = "List every class and school whose head count does not reconcile with its events."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", default="", help="Unit path (e.g. 15/02683/) or code")
        parser.add_argument("--from", dest="date_from", help="First day (default 1 August)")
        parser.add_argument("--to", dest="date_to", help="Last day (default today)")
        parser.add_argument("--school-year", type=int, help="Start year, e.g. 2026")

    def handle(self, *args: Any, **options: Any) -> None:
        unit = options["unit"]
        path = ""
        if unit:
            found = (
                OrgUnit.objects.filter(path=unit).first()
                or OrgUnit.objects.filter(code=unit).first()
            )
            if found is None:
                raise CommandError(f"no unit with path or code {unit!r}")
            path = found.path
        date_to = _date(options["date_to"]) if options["date_to"] else local_today()
        date_from = (
            _date(options["date_from"])
            if options["date_from"]
            else dt.date(default_school_year(date_to), 8, 1)
        )
        started = time.perf_counter()
        check = headcount_check(
            path, date_from=date_from, date_to=date_to, school_year=options["school_year"]
        )
        elapsed = time.perf_counter() - started
        for u in check.failing:
            b = u.balance
            self.stdout.write(
                f"{u.kind} {u.id} {u.name}"
                + (f" ({u.school_name})" if u.kind == "class" else "")
                + f": start {b.start} + in {sum(b.ins.values())} − out "
                f"{sum(b.outs.values()) + b.moved_out} = {b.expected}, enrolled {b.end}"
            )
            if u.kind == "class":
                for m in u.students:
                    self.stdout.write(f"    {m.student_id} {m.full_name}: {m.problem}")
        self.stdout.write(
            f"{len(check.classes)} classes and {len(check.schools)} schools checked "
            f"from {date_from:%d/%m/%Y} to {date_to:%d/%m/%Y} in {elapsed:.2f} s; "
            f"{len(check.failing)} do not reconcile."
        )
        if check.failing:
            raise CommandError(f"{len(check.failing)} units do not reconcile")
