"""Outreach figures of issue 6. Prints one JSON object. Never a test.

    .venv/bin/python bench/outreach.py --db sqlite
    .venv/bin/python bench/outreach.py --db postgres --students 700000

A fresh database (bench/attendance.py's `Database`), the province loaded with
`manage.py load_demo --students N --no-history` and one term of roll calls
(`attendance.load_term`); then 20,000 open cases (random enrolled students, opened
between 1 October and 31 December 2026, with their steps and a homeroom-teacher
assignee, written in bulk) and 2,000 closed ones (half back in school, with a visit and
its causes) so that "what works" has something to count. Measured, on 19 January 2027:
- the nightly job (`services.run_nightly`, every rule on): seconds (target ≤ 60);
- a commune officer's open-case list (`selectors.unit_cases` of the commune with the most
  cases) and the "what works" table of that commune: median ms of 5 after a warm-up
  (target ≤ 200 each).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import attendance as att  # bench/attendance.py: Database, load_term

TODAY = dt.date(2027, 1, 19)
OPEN_CASES = 20_000
CLOSED_CASES = 2_000
TARGETS = {"nightly_s": 60, "case_list_ms": 200, "what_works_ms": 200}


def make_cases(seed: int = 6) -> dict[str, Any]:
    from dentruong.enrollment.models import Enrollment
    from dentruong.outreach import rules
    from dentruong.outreach.models import (
        Case,
        CaseAssignment,
        CaseStep,
        HomeVisit,
        VisitCause,
    )

    rnd = random.Random(seed)
    started = time.perf_counter()
    rows = list(
        Enrollment.objects.current()
        .filter(school_class__homeroom_teacher__isnull=False)
        .values_list(
            "student_id", "student__village__parent_id", "school_class__homeroom_teacher_id"
        )
    )
    n_open = min(OPEN_CASES, len(rows) * 2 // 3)  # a small --students run still works
    n_closed = min(CLOSED_CASES, len(rows) - n_open)
    picked = rnd.sample(rows, n_open + n_closed)
    cases = []
    for i, (sid, commune_id, _t) in enumerate(picked):
        opened = dt.date(2026, 10, 1) + dt.timedelta(days=rnd.randrange(92))
        closed = i >= n_open
        cases.append(
            Case(
                student_id=sid,
                commune_id=commune_id,
                origin="absences",
                opened_on=opened,
                status="closed" if closed else "open",
                closed_on=TODAY - dt.timedelta(days=1) if closed else None,
                outcome=("back_in_school" if i % 2 else "not_back") if closed else "",
                not_back_reason="" if (not closed or i % 2) else "moved",
            )
        )
    Case.objects.bulk_create(cases, batch_size=2000)
    steps, assigns, visits = [], [], []
    for case, (_s, _c, teacher_id) in zip(cases, picked, strict=True):
        closed = case.status == "closed"
        done = {"back_in_school": case.opened_on + dt.timedelta(days=20)} if closed else {}
        due = rules.schedule(case.opened_on, rules.STEP_ORDER, rules.DEFAULT_DAYS, done)
        for pos, kind in enumerate(rules.STEP_ORDER):
            steps.append(
                CaseStep(
                    case=case,
                    kind=kind,
                    position=pos,
                    due=due[kind],
                    done_on=case.closed_on if closed else None,
                )
            )
        if not closed:
            assigns.append(
                CaseAssignment(
                    case=case, user_id=teacher_id, role="homeroom_teacher", start=case.opened_on
                )
            )
        else:
            visits.append(
                HomeVisit(case=case, date=case.opened_on, visitors="GVCN", met="bố", findings="x")
            )
    CaseStep.objects.bulk_create(steps, batch_size=5000)
    CaseAssignment.objects.bulk_create(assigns, batch_size=5000)
    HomeVisit.objects.bulk_create(visits, batch_size=2000)
    VisitCause.objects.bulk_create(
        [VisitCause(visit=v, code=rnd.choice(["01", "02", "03"])) for v in visits],
        batch_size=5000,
    )
    Case.objects.filter(status="open").update(next_due=dt.date(2026, 10, 3))
    return {
        "open": OPEN_CASES,
        "closed": CLOSED_CASES,
        "seconds": round(time.perf_counter() - started, 1),
    }


def median_ms(fn: Any, n: int = 5) -> float:
    fn()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return round(statistics.median(times) * 1000, 1)


def measure() -> dict[str, Any]:
    from django.db.models import Count

    from dentruong.outreach import rules, selectors, services
    from dentruong.outreach.access import cases_for_user
    from dentruong.outreach.models import Case

    top = (
        Case.objects.filter(status="open")
        .values("commune_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    assert top is not None
    from dentruong.accounts.models import Membership, Role, User
    from dentruong.orgs.models import OrgUnit

    commune = OrgUnit.objects.get(pk=top["commune_id"])
    officer = User.objects.create_user(username="bench_officer", password="x" * 20)
    Membership.objects.create(user=officer, role=Role.COMMUNE_OFFICER, unit=commune)
    visible = cases_for_user(officer)
    list_ms = median_ms(lambda: selectors.unit_cases(visible, commune, TODAY))
    works_ms = median_ms(lambda: selectors.what_works(visible, commune))
    started = time.perf_counter()
    result = services.run_nightly(today=TODAY, cfg=rules.AutoRules())
    nightly_s = round(time.perf_counter() - started, 1)
    return {
        "commune_open_cases": top["n"],
        "case_list_ms": list_ms,
        "what_works_ms": works_ms,
        "nightly_s": nightly_s,
        "nightly": {
            "opened": result.opened,
            "late_steps": result.late_steps,
            "alerts": result.alerts,
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--students", type=int, default=700_000)
    parser.add_argument("--pg-admin-url", default=att.PG_ADMIN_URL)
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="bench_outreach_")
    out: dict[str, Any] = {"db": args.db, "students": args.students, "targets": TARGETS}
    db = att.Database(args.db, directory, "outreach", args.pg_admin_url)
    try:
        load_s, _ = db.manage("migrate", "--noinput")
        load_s, _ = db.manage("load_demo", "--students", str(args.students), "--no-history")
        out["load_demo_s"] = round(load_s, 1)
        db.django()
        out["term"] = att.load_term()
        out["cases"] = make_cases()
        from unittest import mock

        with mock.patch("dentruong.outreach.services.local_today", return_value=TODAY):
            out.update(measure())
    finally:
        if "django" in sys.modules:
            att.close_django()
        db.drop()
        shutil.rmtree(directory, ignore_errors=True)
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
