"""Early-warning figures of issue 5. Prints one JSON object. Never a test.

    .venv/bin/python bench/risk.py                      # sqlite + postgres + training
    .venv/bin/python bench/risk.py --db sqlite --students 100000 --skip-training

**Province** (per database): a fresh database (`bench/attendance.py`'s `Database`,
PostgreSQL database `bench_risk`, created and dropped here), `load_demo --students N
--no-history`, one term of roll calls (`load_term`, the attendance bench's loader), then
`compute_risk` for the whole province as of Friday 15 January 2027 (indicators, rule
levels, reasons, assessment rows written; target ≤ 60 s), then one morning of roll calls
for every class (Monday 18 January 2027, the demo history generator) and the incremental
update after it (target ≤ 5 s).

**Training**: three simulated school years of the province (`dentruong.risk.simulate`,
machinery only: never the system's accuracy), trained on the first two, validated on the
third (target ≤ 10 minutes, ≤ 4 GB peak memory of this process).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import attendance as att  # bench/attendance.py: Database, load_term

att.PG_DB = "bench"  # Database(name="risk") → PostgreSQL database bench_risk
AS_OF = dt.date(2027, 1, 15)
MORNING = dt.date(2027, 1, 18)
TARGETS = {"province_seconds_max": 60, "incremental_seconds_max": 5, "training_seconds_max": 600}


def peak_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def province(kind: str, students: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-risk-") as tmp:
        db, built = att.province_database(
            kind, tmp, "risk", students, term=True, pg_admin_url=att.PG_ADMIN_URL
        )
        try:
            db.django()
            from dentruong.demo.history import load_roll_calls
            from dentruong.risk import services
            from dentruong.risk.models import RiskAssessment

            started = time.perf_counter()
            full = services.compute_risk(path="", day=AS_OF, notify=False)
            full_seconds = time.perf_counter() - started
            levels = {
                lv: RiskAssessment.objects.filter(valid_until__isnull=True, level=lv).count()
                for lv in ("low", "medium", "high")
            }
            morning_started = time.perf_counter()
            morning = load_roll_calls(
                seed=att.SEED + 7, start=MORNING, end=MORNING, revisions=False
            )
            morning_load = time.perf_counter() - morning_started
            started = time.perf_counter()
            inc = services.update_after_roll_calls(path="", day=MORNING, notify=False)
            inc_seconds = time.perf_counter() - started
            att.close_django()
            return {
                "database": att.engine_version(db),
                "students": students,
                "province_rows": built,
                "as_of": AS_OF.isoformat(),
                "province": {
                    **full.as_dict(),
                    "seconds": round(full_seconds, 1),
                    "rows_in_force_by_level": levels,
                },
                "morning": {
                    "date": MORNING.isoformat(),
                    "roll_calls_loaded": morning,
                    "load_seconds": round(morning_load, 1),
                    "incremental": {**inc.as_dict(), "seconds": round(inc_seconds, 2)},
                },
                "target_met": {
                    "province": full_seconds <= TARGETS["province_seconds_max"],
                    "incremental": inc_seconds <= TARGETS["incremental_seconds_max"],
                },
            }
        finally:
            att.close_django()
            db.drop()


def training(students: int) -> dict[str, Any]:
    import os

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dentruong.settings")
    import django

    django.setup()
    from dentruong.risk.simulate import simulate
    from dentruong.risk.training import train_and_validate

    started = time.perf_counter()
    ds = simulate(students=students, years=3, start_year=2024)
    sim_seconds = time.perf_counter() - started
    card = train_and_validate(ds, train_years=[2024, 2025], test_year=2026)
    card.pop("_estimator")
    total = time.perf_counter() - started
    test = card["test"]
    return {
        "simulated": "machinery test only; not the system's accuracy",
        "students": students,
        "rows": int(len(ds.y)),
        "positives_by_year": {int(y): int(ds.y[ds.year == y].sum()) for y in (2024, 2025, 2026)},
        "simulate_seconds": round(sim_seconds, 1),
        "train_validate_seconds": round(total - sim_seconds, 1),
        "total_seconds": round(total, 1),
        "peak_memory_mb": peak_mb(),
        "train_rows": card["train_rows"],
        "candidates": {
            k: {m: v[m] for m in ("roc_auc", "pr_auc", "brier", "at_capacity", "fit_seconds")}
            for k, v in card["candidates"].items()
        },
        "rules": {m: test["rules"][m] for m in ("roc_auc", "pr_auc", "at_capacity")},
        "comparison": test["comparison"],
        "per_date": test["per_date"],
        "lead_time": test.get("lead_time"),
        "group_warnings": {a: g["warnings"][:5] for a, g in test["groups"].items()},
        "target_met": {
            "time": total <= TARGETS["training_seconds_max"],
            "memory": peak_mb() <= 4096,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--students", type=int, default=700_000)
    parser.add_argument("--sim-students", type=int, default=700_000)
    parser.add_argument("--skip-province", action="store_true")
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    out: dict[str, Any] = {"targets": TARGETS}
    parts: list[list[str]] = []
    if not args.skip_province:
        kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
        parts += [["--db", k, "--skip-training"] for k in kinds]
    if not args.skip_training:
        parts.append(["--skip-province"])
    if len(parts) > 1:  # each part in its own process: one Django setup per database
        for part in parts:
            done = subprocess.run(
                [
                    att.PYTHON,
                    __file__,
                    *part,
                    "--students",
                    str(args.students),
                    "--sim-students",
                    str(args.sim_students),
                ],
                cwd=att.ROOT,
                capture_output=True,
                text=True,
            )
            sys.stderr.write(done.stderr)
            if done.returncode != 0:
                raise SystemExit(f"bench part {part} failed")
            out |= {k: v for k, v in json.loads(done.stdout).items() if k != "targets"}
    elif not args.skip_province:
        out[args.db] = province(args.db, args.students)
    elif not args.skip_training:
        out["training"] = training(args.sim_students)
    print(json.dumps(out, indent=1, ensure_ascii=False))


if __name__ == "__main__":
    main()
