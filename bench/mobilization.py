"""Mobilization figures of issue 4. Prints one JSON object. Never a test.

    .venv/bin/python bench/mobilization.py [--db sqlite|postgres|both] [--students 700000]

**Matching** (per database, fresh): `load_demo --students 100000 --no-history` (the
province shape), then every register entry is unlinked and varied the way real registers
differ from school records: 30 % lose their mã định danh, and of those a third are typed
without diacritics, a tenth have the birth date's day and month swapped, a tenth have
their middle names swapped. Then `manage.py match_residents --json` is timed (target
≤ 30 s) and its figures reported.

**Report** (per database, fresh): `load_demo --students N --no-history` (default 700,000),
then the province's mobilization report (`selectors.mobilization_report`) and its dropout
report (`enrollment.selectors.dropout_report`), median of 5 after one warm-up (target
≤ 2 s for both together).

Databases are made and dropped with bench/attendance.py's `Database` (SQLite file in a
temporary folder; PostgreSQL database `bench_mobil_<name>` on 127.0.0.1:5432).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import bench.attendance as att

att.PG_DB = "bench_mobil"
match_size = [100_000]  # students of the matching workload (--match-students)
TARGETS = {"match_s_max": 30, "report_s_max": 2}
SCHOOL_YEAR = 2026


def vary_register(db: att.Database) -> dict[str, int]:
    """Unlink the register and blur it (deterministic: by primary key)."""
    code = r"""
import json, unicodedata
from django.db import transaction
from dentruong.lib import vntext
from dentruong.people.models import ResidentChild
from dentruong.people.services import derived_name_fields

def plain(s):
    s = unicodedata.normalize("NFD", s.replace("Đ", "D").replace("đ", "d"))
    return "".join(c for c in s if not unicodedata.combining(c))

counts = {"unlinked": 0, "no_id": 0, "no_diacritics": 0, "date_swapped": 0, "middle_swapped": 0}
with transaction.atomic():
    counts["unlinked"] = ResidentChild.objects.filter(student__isnull=False).update(student=None)
    rows = []
    for c in ResidentChild.objects.filter(pk__in=ResidentChild.objects.all().values("pk")).only(
        "pk", "family_and_middle_name", "given_name", "birth_date", "national_id"
    ).iterator(chunk_size=5000):
        if c.pk % 10 >= 3 or not c.national_id:
            continue
        c.national_id = None
        counts["no_id"] += 1
        fam, given = c.family_and_middle_name, c.given_name
        if c.pk % 3 == 0:
            fam, given = plain(fam), plain(given)
            counts["no_diacritics"] += 1
        elif (c.pk % 10 == 1 and c.birth_date and c.birth_date.day <= 12
              and c.birth_date.day != c.birth_date.month):
            c.birth_date = c.birth_date.replace(month=c.birth_date.day, day=c.birth_date.month)
            counts["date_swapped"] += 1
        elif c.pk % 10 == 2 and len(fam.split()) >= 2:
            words = fam.split()
            fam = " ".join(reversed(words))
            counts["middle_swapped"] += 1
        for k, v in derived_name_fields(fam, given).items():
            setattr(c, k, v)
        rows.append(c)
    ResidentChild.objects.bulk_update(
        rows,
        ["national_id", "family_and_middle_name", "given_name", "sort_key", "search_name",
         "birth_date"],
        batch_size=2000,
    )
counts["register"] = ResidentChild.objects.count()
print(json.dumps(counts))
"""
    _, out = db.manage("shell", "-c", code)
    return dict(json.loads(out.strip().splitlines()[-1]))


def matching(kind: str, directory: str) -> dict[str, Any]:
    db = att.Database(kind, directory, "match", att.PG_ADMIN_URL)
    try:
        db.manage("migrate", "--verbosity", "0")
        load_s, _ = db.manage("load_demo", "--students", str(match_size[0]), "--no-history")
        varied = vary_register(db)
        seconds, out = db.manage("match_residents", "--json")
        figures = json.loads(out.strip().splitlines()[-1])
        _, counts = db.manage(
            "shell",
            "-c",
            "from dentruong.people.models import Student;print(Student.objects.count())",
        )
        return {
            "load_demo_s": round(load_s, 1),
            "students": int(counts.strip().splitlines()[-1]),
            "register": varied,
            "match": figures,
            "command_wall_s": round(seconds, 2),
            "meets_target": figures["seconds"] <= TARGETS["match_s_max"],
        }
    finally:
        db.drop()


def report(kind: str, directory: str, students: int) -> dict[str, Any]:
    db, built = att.province_database(
        kind, directory, "report", students, term=True, pg_admin_url=att.PG_ADMIN_URL
    )
    try:
        code = f"""
import datetime as dt, json, statistics, time
from django.db import connection, reset_queries
from django.conf import settings
from dentruong.orgs.models import OrgUnit
from dentruong.mobilization.selectors import mobilization_report
from dentruong.enrollment.selectors import dropout_report
province = OrgUnit.objects.get(kind="province", code="15")
on = dt.date(2026, 11, 20)
times = {{"mobilization": [], "dropouts": [], "both": []}}
for i in range(6):
    t0 = time.perf_counter()
    rep = mobilization_report(province.path, school_year={SCHOOL_YEAR}, on=on)
    t1 = time.perf_counter()
    drop = dropout_report(province.path, on=on, school_year={SCHOOL_YEAR})
    t2 = time.perf_counter()
    if i:
        times["mobilization"].append(t1 - t0)
        times["dropouts"].append(t2 - t1)
        times["both"].append(t2 - t0)
th = [lv for lv in rep.levels if lv.level == "TH"][0]
print(json.dumps({{
    "median_s": {{k: round(statistics.median(v), 3) for k, v in times.items()}},
    "enrolled": rep.enrolled,
    "primary_population": th.band.population,
    "primary_mobilization": th.band.mobilization,
    "six_year_olds_rate": rep.population.six_year_olds_rate,
    "dropouts_recorded": len(drop.recorded),
}}))
"""
        _, out = db.manage("shell", "-c", code)
        figures = json.loads(out.strip().splitlines()[-1])
        figures["province_rows"] = built
        figures["students"] = students
        figures["meets_target"] = figures["median_s"]["both"] <= TARGETS["report_s_max"]
        return figures
    finally:
        db.drop()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", choices=["sqlite", "postgres", "both"], default="both")
    parser.add_argument("--students", type=int, default=700_000)
    parser.add_argument("--skip", choices=["match", "report"], default=None)
    parser.add_argument("--match-students", type=int, default=match_size[0])
    args = parser.parse_args()
    match_size[0] = args.match_students
    kinds = ["sqlite", "postgres"] if args.db == "both" else [args.db]
    out: dict[str, Any] = {"targets": TARGETS}
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as directory:
        for kind in kinds:
            out[kind] = {}
            if args.skip != "match":
                out[kind]["matching"] = matching(kind, directory)
            if args.skip != "report":
                out[kind]["report"] = report(kind, directory, args.students)
    out["bench_s"] = round(time.perf_counter() - started, 1)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
