"""Nightly: open cases by the rules, mark late steps and alert their assignees.

Rules: settings.OUTREACH_RULES (a dict of `rules.AutoRules` fields) then the options."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from dentruong.attendance.services import local_today
from dentruong.outreach import rules, services


class Command(BaseCommand):
    help = "Open outreach cases by the rules, mark late steps, alert the assignees."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="YYYY-MM-DD (default: today in Việt Nam)")
        parser.add_argument("--absences", type=int, help="N consecutive unexcused (0: off)")
        parser.add_argument("--no-dropout", action="store_true")
        parser.add_argument("--no-risk", action="store_true")
        parser.add_argument("--no-register", action="store_true")

    def handle(self, *args: Any, **opts: Any) -> None:
        cfg = dataclasses.replace(rules.AutoRules(), **getattr(settings, "OUTREACH_RULES", {}))
        if opts["absences"] is not None:
            cfg = dataclasses.replace(cfg, absences=opts["absences"])
        if opts["no_dropout"]:
            cfg = dataclasses.replace(cfg, dropout=False)
        if opts["no_risk"]:
            cfg = dataclasses.replace(cfg, high_risk=False)
        if opts["no_register"]:
            cfg = dataclasses.replace(cfg, not_enrolled=False)
        today = dt.date.fromisoformat(opts["date"]) if opts["date"] else local_today()
        result = services.run_nightly(today=today, cfg=cfg)
        self.stdout.write(json.dumps(dataclasses.asdict(result)))
