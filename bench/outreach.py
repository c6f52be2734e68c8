"""Outreach figures of issue 6. Prints one JSON object. Never a test.

    .venv/bin/python bench/outreach.py --db sqlite --students 20000          # a quick run
    .venv/bin/python bench/outreach.py --db sqlite                           # 700,000
    .venv/bin/python bench/outreach.py --db postgres

**Province**: a copy of the demo province with one term of roll calls
(`attendance.province_database`: `load_demo --students N --no-history` and `load_term`,
5 September 2026 – 16 January 2027, 0.3 % of the students stop coming in December),
built once and kept as a template under BENCH_TEMPLATES (SQLite) or as a template
database (PostgreSQL), shared with the other benches. On top, written in bulk: 20,000
open cases (random enrolled students, opened between 1 October and 31 December 2026,
with their steps and a homeroom-teacher assignee, nothing done since) and 2,000 closed
ones (half back in school, each with a visit and its causes, one in four with a bicycle
delivered during the case), so that "what works" has something to count.

Measured, on Tuesday 19 January 2027:
- the nightly job (`services.run_nightly`, every rule on: open cases for the absence
  streaks, dropouts, high risk and the register's out-of-school children; mark the late
  steps; write the assignees' alerts), in this process: seconds (target ≤ 60);
- through HTTP (gunicorn, 2 sync workers, a client on the same machine, logged in as an
  officer of the commune with the most open cases, with the authenticator's code): the
  commune's open-case list (first page) and its "what works" table, median ms of
  `--runs` after one warm-up (target ≤ 200 each); the province's "what works" too, for
  information (a province officer). The server keeps the real clock: the pages read no
  date but "today" for the late marks.
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

import attendance as att  # bench/attendance.py: province_database, Server, Client

TODAY = dt.date(2027, 1, 19)
OPEN_CASES = 20_000
CLOSED_CASES = 2_000
TARGETS = {"nightly_s": 60, "case_list_ms": 200, "what_works_ms": 200}


# --- cases on top ------------------------------------------------------------------------


def make_cases(seed: int = 6) -> dict[str, Any]:
    from django.db import connection

    from dentruong.enrollment.models import Enrollment
    from dentruong.outreach import rules
    from dentruong.outreach.models import (
        Case,
        CaseAssignment,
        CaseStep,
        HomeVisit,
        SupportDelivery,
        SupportProgramme,
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
        first_due = None
        for pos, kind in enumerate(rules.STEP_ORDER):
            done_on = done.get(kind, case.closed_on) if closed else None
            steps.append(
                CaseStep(case=case, kind=kind, position=pos, due=due[kind], done_on=done_on)
            )
            first_due = first_due or (None if done_on else due[kind])
        case.next_due = first_due
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
    Case.objects.bulk_update(cases, ["next_due"], batch_size=2000)
    CaseAssignment.objects.bulk_create(assigns, batch_size=5000)
    HomeVisit.objects.bulk_create(visits, batch_size=2000)
    VisitCause.objects.bulk_create(
        [VisitCause(visit=v, code=rnd.choice(["01", "02", "03"])) for v in visits],
        batch_size=5000,
    )
    closed_cases = [c for c in cases if c.status == "closed"][::4]
    programmes = {
        commune_id: SupportProgramme.objects.create(
            commune_id=commune_id,
            kind="bicycle",
            name="Xe đạp đến trường",
            measure="items",
            capacity=1000,
        )
        for commune_id in sorted({c.commune_id for c in closed_cases})
    }
    deliveries = [
        SupportDelivery(
            programme=programmes[c.commune_id],
            student_id=c.student_id,
            case=c,
            date=c.opened_on + dt.timedelta(days=10),
            amount=1,
            delivered_by="UBND xã",
        )
        for c in closed_cases
    ]
    SupportDelivery.objects.bulk_create(deliveries, batch_size=2000)
    for p in programmes.values():
        SupportProgramme.objects.filter(pk=p.pk).update(
            delivered=SupportDelivery.objects.filter(programme=p).count()
        )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
        else:
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
    return {
        "open": n_open,
        "closed": n_closed,
        "deliveries": len(deliveries),
        "seconds": round(time.perf_counter() - started, 1),
    }


def logins() -> dict[str, Any]:
    """An officer of the commune with the most open cases, and a province officer."""
    from django.db.models import Count

    from dentruong.accounts.models import Membership, Role, User
    from dentruong.orgs.models import OrgUnit
    from dentruong.outreach.models import Case

    top = (
        Case.objects.filter(status="open")
        .values("commune_id")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .first()
    )
    assert top is not None
    commune = OrgUnit.objects.get(pk=top["commune_id"])
    province = OrgUnit.objects.get(pk=commune.parent_id)
    officer = User.objects.create_user(username="bench.commune", password=att.PASSWORD)
    Membership.objects.create(user=officer, role=Role.COMMUNE_OFFICER, unit=commune)
    leader = User.objects.create_user(username="bench.province", password=att.PASSWORD)
    Membership.objects.create(user=leader, role=Role.PROVINCE_OFFICER, unit=province)
    for user in (officer, leader):  # officers log in with their authenticator's code
        att.give_authenticator(user)
    return {
        "commune_id": commune.pk,
        "province_id": province.pk,
        "commune_open_cases": top["n"],
    }


def nightly() -> dict[str, Any]:
    from unittest import mock

    from dentruong.outreach import rules, services

    with mock.patch("dentruong.outreach.services.local_today", return_value=TODAY):
        started = time.perf_counter()
        result = services.run_nightly(today=TODAY, cfg=rules.AutoRules())
        seconds = time.perf_counter() - started
    return {
        "nightly_s": round(seconds, 1),
        "nightly": {
            "opened": result.opened,
            "late_steps": result.late_steps,
            "alerts": result.alerts,
        },
    }


def median_ms(client: att.Client, path: str, runs: int) -> dict[str, Any]:
    status, body = client.get(path)  # warm-up
    if status != 200:
        raise SystemExit(f"GET {path}: {status}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        status, body = client.get(path)
        times.append(time.perf_counter() - started)
        assert status == 200, (path, status)
    return {
        "median_ms": round(statistics.median(times) * 1000, 1),
        "max_ms": round(max(times) * 1000, 1),
        "rows": body.count(b'data-testid="case-row"') + body.count(b'data-testid="works-row"'),
    }


def http(db: att.Database, ids: dict[str, Any], runs: int) -> dict[str, Any]:
    server = att.Server(db, ["--workers", "2"])
    try:
        commune = att.Client(server.port, "bench.commune", att.PASSWORD)
        listed = median_ms(commune, f"/outreach/units/{ids['commune_id']}/cases/", runs)
        works = median_ms(commune, f"/outreach/units/{ids['commune_id']}/what-works/", runs)
        province = att.Client(server.port, "bench.province", att.PASSWORD)
        works_province = median_ms(
            province, f"/outreach/units/{ids['province_id']}/what-works/", runs
        )
    finally:
        errors = server.stop()
    out = {
        "case_list_ms": listed["median_ms"],
        "what_works_ms": works["median_ms"],
        "province_what_works_ms": works_province["median_ms"],
        "detail": {
            "case_list": listed,
            "what_works": works,
            "province_what_works": works_province,
        },
    }
    if errors.strip():
        out["server_stderr"] = errors[-2000:]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--students", type=int, default=700_000)
    parser.add_argument("--pg-admin-url", default=att.PG_ADMIN_URL)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args()
    directory = tempfile.mkdtemp(prefix="bench_outreach_")
    out: dict[str, Any] = {"db": args.db, "students": args.students, "targets": TARGETS}
    db, out["province"] = att.province_database(
        args.db, directory, "outreach", args.students, term=True, pg_admin_url=args.pg_admin_url
    )
    try:
        out["engine"] = att.engine_version(db)
        db.django()
        out["cases"] = make_cases()
        ids = logins()
        out["commune_open_cases"] = ids["commune_open_cases"]
        out.update(nightly())
        att.close_django()
        out.update(http(db, ids, args.runs))
        out["target_met"] = {k: out[k] <= v for k, v in TARGETS.items()}
    finally:
        if "django" in sys.modules:
            att.close_django()
        db.drop()
        shutil.rmtree(directory, ignore_errors=True)
    out["load_average_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, ensure_ascii=False, default=str))


if __name__ == "__main__":
    main()
