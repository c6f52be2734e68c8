"""Report figures of issue 7, measured in process. Prints one JSON object. Never a test.

    .venv/bin/python bench/reports.py --db sqlite
    .venv/bin/python bench/reports.py --db postgres --students 700000

A fresh database (bench/attendance.py's `Database`: a temporary SQLite file, or the
PostgreSQL database `bench_reports`, created and dropped), `load_demo --students N
--no-history`, one term of roll calls (bench/attendance.py's `load_term`). Then a weekly
schedule on the province (every commune reports every Monday by 10:00), for attendance
and for dropouts; every commune submits the week 4–10 January 2027 (due Monday 11
January 10:00; submitted at 09:00, from records). Measured (median of 5 after a warm-up):

- the province's report computed from records (attendance, dropouts);
- the deadline's completeness and roll-up of the communes' frozen figures
  (`selectors.deadline_status`);
- the official report of one commune as .docx and PDF.

Targets: province report with roll-up and completeness ≤ 2 s; .docx ≤ 1 s; PDF ≤ 3 s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import attendance as bench_attendance
from bench.attendance import close_django, engine_version, province_database

VN = bench_attendance.VN
DUE = dt.datetime(2027, 1, 11, 10, 0, tzinfo=VN)
WEEK = (dt.date(2027, 1, 4), dt.date(2027, 1, 10))
TODAY = dt.date(2027, 1, 19)
TARGETS = {"province_report_s_max": 2.0, "docx_s_max": 1.0, "pdf_s_max": 3.0}


def timed(fn: Callable[[], Any], runs: int = 5) -> tuple[dict[str, float], Any]:
    fn()  # warm-up
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    return {"median_s": round(statistics.median(times), 3), "max_s": round(max(times), 3)}, result


def workload() -> dict[str, Any]:
    from dentruong.accounts.models import User
    from dentruong.orgs.models import OrgUnit, UnitKind
    from dentruong.reports import documents, selectors, services
    from dentruong.reports.definitions import REGISTRY
    from dentruong.reports.models import Submission

    province = OrgUnit.objects.get(kind=UnitKind.PROVINCE, code="15")
    officer = User.objects.create_user(username="bench.reports", password="x", full_name="Bench")
    out: dict[str, Any] = {}
    for report in ("attendance", "dropouts"):
        schedule = services.create_schedule(
            by=officer,
            name=f"Bench {report}",
            report=report,
            unit=province,
            reporter_kind="commune",
            recurrence="weekly",
            weekday=0,
            due_time=dt.time(10, 0),
            start_date=dt.date(2026, 9, 7),
        )
        communes = list(selectors.reporters(schedule))
        started = time.perf_counter()
        for commune in communes:
            services.submit(
                schedule=schedule,
                unit=commune,
                due_at=DUE,
                by=officer,
                assessment="Bench",
                now=DUE - dt.timedelta(hours=1),
            )
        setup_s = time.perf_counter() - started
        compute, figures = timed(lambda r=report: REGISTRY[r].compute(province, *WEEK, TODAY))
        status_t, status = timed(
            lambda s=schedule: selectors.deadline_status(s, DUE, now=DUE + dt.timedelta(minutes=1))
        )
        rolled = status.rolled_up
        first = figures.sections[0].key
        out[report] = {
            "communes": len(communes),
            "submit_all_communes_s": round(setup_s, 1),
            "province_from_records": compute,
            "completeness_and_rollup": status_t,
            "counts": status.counts,
            "rollup_equals_province": rolled.section(first).total == figures.section(first).total,
            "province_total_s": round(compute["median_s"] + status_t["median_s"], 3),
        }
    sub = (
        Submission.objects.filter(report="attendance")
        .select_related("unit__parent", "schedule__unit", "submitted_by")
        .first()
    )
    assert sub is not None
    out["docx_one_commune"], docx = timed(lambda: documents.docx(sub))
    out["pdf_one_commune"], pdf = timed(lambda: documents.pdf(sub))
    out["docx_bytes"], out["pdf_bytes"] = len(docx), len(pdf)
    out["target_met"] = {
        "province_attendance": out["attendance"]["province_total_s"]
        <= TARGETS["province_report_s_max"],
        "province_dropouts": out["dropouts"]["province_total_s"]
        <= TARGETS["province_report_s_max"],
        "docx": out["docx_one_commune"]["median_s"] <= TARGETS["docx_s_max"],
        "pdf": out["pdf_one_commune"]["median_s"] <= TARGETS["pdf_s_max"],
    }
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--students", type=int, default=700_000)
    parser.add_argument("--pg-admin-url", default=bench_attendance.PG_ADMIN_URL)
    args = parser.parse_args()
    bench_attendance.PG_DB = "bench"  # → database bench_reports
    directory = tempfile.mkdtemp(prefix="bench_reports_")
    result: dict[str, Any] = {
        "db": args.db,
        "students": args.students,
        "cpus": os.cpu_count(),
        "targets": TARGETS,
    }
    db, result["province_rows"] = province_database(
        args.db, directory, "reports", args.students, term=True, pg_admin_url=args.pg_admin_url
    )
    try:
        result["engine"] = engine_version(db)
        db.django()
        result |= workload()
    finally:
        if "django" in sys.modules:
            close_django()
        db.drop()
        shutil.rmtree(directory, ignore_errors=True)
    result["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(result, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
