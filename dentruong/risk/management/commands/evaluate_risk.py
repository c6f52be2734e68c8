"""`manage.py evaluate_risk`: forward-in-time validation of the learned model against the
rules (decision 0008). Train on earlier school years, test on a later one; print the
model card as JSON (precision/recall at capacity, ROC-AUC, PR-AUC, calibration, lead
time, per-group figures with warnings); `--register` stores the model and its card, and
the model becomes the unit's active one only if it beat the rules.

    manage.py evaluate_risk --unit 15/ --train 2024 2025 --test 2026 --register
    manage.py evaluate_risk --simulate --students 20000     # machinery test only

Simulated figures test the machinery; they are never the system's accuracy.
"""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from dentruong.risk import ml, services
from dentruong.risk.history import build_dataset
from dentruong.risk.management.commands.compute_risk import unit_path
from dentruong.risk.simulate import simulate
from dentruong.risk.training import train_and_validate


class Command(BaseCommand):
    help = "Train on earlier school years, test on a later one; the model beside the rules."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--unit", default="", help="Unit path (e.g. 15/) or code")
        parser.add_argument("--train", type=int, nargs="+", help="Start years to train on")
        parser.add_argument("--test", type=int, help="Start year to test on")
        parser.add_argument("--capacity", type=float, default=0.10, help="Share to visit")
        parser.add_argument("--kinds", nargs="+", default=list(ml.KINDS), choices=ml.KINDS)
        parser.add_argument("--register", action="store_true", help="Store model and card")
        parser.add_argument("--simulate", action="store_true", help="Simulated history")
        parser.add_argument("--students", type=int, default=20_000)
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        path = unit_path(options["unit"])
        if options["simulate"]:
            train = options["train"] or [2024, 2025]
            test = options["test"] or 2026
            years = sorted({*train, test})
            ds = simulate(
                seed=options["seed"],
                students=options["students"],
                start_year=years[0],
                years=years[-1] - years[0] + 1,
            )
        else:
            if not options["train"] or options["test"] is None:
                raise CommandError("give --train YEAR… and --test YEAR (or --simulate)")
            train, test = options["train"], options["test"]
            ds = build_dataset(path, sorted({*train, test}))
        if not (ds.year == test).any() or not ds.y[ds.year != test].any():
            raise CommandError("no rows to test on, or no dropout to learn from")
        built = time.perf_counter() - started
        try:
            card = train_and_validate(
                ds,
                train_years=train,
                test_year=test,
                kinds=options["kinds"],
                capacity_share=options["capacity"],
            )
        except ValueError as bad:
            raise CommandError(str(bad)) from None
        estimator = card.pop("_estimator")
        card["seconds"] = {
            "data": round(built, 1),
            "total": round(time.perf_counter() - started, 1),
        }
        if options["register"]:
            if ds.meta.get("simulated") and path:
                raise CommandError("a simulated model is never registered for a real unit")
            model = services.register_model(
                kind=card["kind"],
                unit_path=path,
                estimator_bytes=ml.dump_estimator(estimator),
                card=card,
                beats_rules=card["beats_rules"] and not ds.meta.get("simulated"),
                activate=not ds.meta.get("simulated"),
            )
            card["version"] = model.version
            card["active"] = model.active
        self.stdout.write(json.dumps(card, ensure_ascii=False, indent=1))
