"""`manage.py load_demo [--seed N] [--students N] [--fresh]`: the demo world.

See dentruong/demo/builder.py for what is built. Prints the demo logins at the end.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from dentruong.demo.builder import (
    DEMO_TOTP_SECRET,
    MAX_STUDENTS,
    MIN_STUDENTS,
    DemoLogin,
    RefuseFresh,
    build_demo,
)


class Command(BaseCommand):
    help = (
        "Load deterministic demo data: Tỉnh Lào Cai → Xã Bát Xát (default 4,000 students) "
        "or the whole province (more than 20,000 students), and print the demo logins."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("--seed", type=int, default=1, help="Random seed (default 1).")
        parser.add_argument(
            "--students",
            type=int,
            default=4000,
            help=f"Number of students, {MIN_STUDENTS:,}–{MAX_STUDENTS:,} (default 4,000).",
        )
        parser.add_argument(
            "--fresh",
            action="store_true",
            help="Delete a previously loaded demo first (refuses if non-demo users work "
            "in the province).",
        )
        parser.add_argument(
            "--no-history",
            action="store_true",
            help="Only the registers: no roll calls up to yesterday, no dropouts or transfers "
            "(benchmarks write their own).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        students: int = options["students"]
        if not MIN_STUDENTS <= students <= MAX_STUDENTS:
            raise CommandError(
                f"--students must be between {MIN_STUDENTS:,} and {MAX_STUDENTS:,} "
                f"(got {students:,})."
            )
        try:
            result = build_demo(
                seed=options["seed"],
                students=students,
                stdout=self.stdout,
                fresh=options["fresh"],
                history=not options["no_history"],
            )
        except RefuseFresh as exc:
            raise CommandError(f"--fresh: {exc}") from exc
        if result.incomplete:
            raise CommandError(result.message)
        style = self.style.SUCCESS if result.created else self.style.WARNING
        self.stdout.write(style(result.message))
        if result.logins:
            self.stdout.write(self._table(result.logins))
            self.stdout.write(
                "Officers (province, commune, admin) also enter a code: "
                f"authenticator key {DEMO_TOTP_SECRET}, or `manage.py demo_code <username>`."
            )

    @staticmethod
    def _table(logins: list[DemoLogin]) -> str:
        header = ("username", "password", "role", "scope")
        rows = [(x.username, x.password, x.role, x.scope) for x in logins]
        widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
        lines = ["", "Demo logins:"]
        for r in [header, *rows]:
            lines.append("  " + "  ".join(r[i].ljust(widths[i]) for i in range(3)) + "  " + r[3])
        return "\n".join(lines)
