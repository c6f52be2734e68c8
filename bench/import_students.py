"""Import of a 50,000-student .xlsx (a school's student records, kind "students"): time
and peak memory of the full import (parse + validate + preview batch + confirm + write)
on a fresh SQLite and a fresh PostgreSQL database, against a raw openpyxl read of the
same file measured in the same run. Prints one JSON object.

    .venv/bin/python bench/import_students.py [--students 50000] [--db sqlite,postgres]

The file: realistic names (dentruong/demo/names.py, by ethnic group), a title row above
the header, text dates dd/mm/yyyy, mã định danh as text, villages by name, class names,
guardian and phone. Each import runs in its own subprocess on a fresh database
(SQLite: a temporary file; PostgreSQL: database `bench_import` on 127.0.0.1:5432, created
and dropped); its wall time and peak RSS (os.wait4 rusage of that process alone) are
reported, with the split parse+validate (preview) / write (confirm) timed inside it.
The raw read (openpyxl read_only, values_only, every row) also runs in a subprocess.
Targets: ≤ 30 s and ≤ 1 GB per import.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "bench_import"
TARGET_SECONDS = 30
TARGET_RSS_MB = 1024
CLASS_SIZE = 35
VILLAGES = 24
HEADER = [
    "STT", "Mã định danh", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc",
    "Thôn/Bản/Tổ dân phố", "Lớp", "Họ tên cha/mẹ/người giám hộ", "Số điện thoại",
]  # fmt: skip


def village_names() -> list[str]:
    from dentruong.demo.names import VILLAGE_NAMES

    names = [n for group in VILLAGE_NAMES.values() for n in group]
    return sorted(set(names))[:VILLAGES]


def class_names(students: int) -> list[tuple[int, str]]:
    classes = -(-students // CLASS_SIZE)
    return [(1 + i % 5, f"{1 + i % 5}A{i // 5 + 1}") for i in range(classes)]


def make_file(path: str, students: int, seed: int) -> None:
    """Write the spreadsheet (openpyxl write_only, as a school's software would)."""
    from openpyxl import Workbook

    from dentruong.demo.names import POOLS
    from dentruong.lib.national_id import make_national_id

    rng = random.Random(seed)
    pools = list(POOLS.values())
    villages = village_names()
    classes = class_names(students)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("Học sinh")
    ws.append(["TRƯỜNG PHỔ THÔNG BENCH · DANH SÁCH HỌC SINH NĂM HỌC 2026–2027"])
    ws.append(HEADER)
    serials: dict[tuple[int, str], int] = {}
    for i in range(students):
        grade, class_name = classes[i // CLASS_SIZE]
        year = 2026 - 5 - grade
        gender = "F" if rng.random() < 0.49 else "M"
        pool = rng.choice(pools)
        serial = serials[(year, gender)] = serials.get((year, gender), 0) + 1
        day, month = rng.randint(1, 28), rng.randint(1, 12)
        family = pool.family(rng)
        ws.append(
            [
                i + 1,
                make_national_id(province=10, birth_year=year, gender=gender, serial=serial),
                pool.full_name(rng, gender, family),
                f"{day:02d}/{month:02d}/{year}",
                "Nữ" if gender == "F" else "Nam",
                pool.group if pool.group != "Xá Phó" else "Phù Lá",
                rng.choice(villages),
                class_name,
                f"{family} Văn {pool.given(rng, 'M')}",
                f"09{rng.randint(10_000_000, 99_999_999)}",
            ]
        )
    wb.save(path)


def raw_read(path: str) -> None:
    import openpyxl

    wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    n = 0
    for ws in wb.worksheets:
        for _row in ws.iter_rows(values_only=True):
            n += 1
    wb.close()
    print(json.dumps({"rows": n}))


def worker(path: str, students: int) -> None:
    """In a fresh database: the school, its year, villages and classes; then the import."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dentruong.settings")
    django.setup()
    from django.db import connection

    from dentruong.imports.services import Target, confirm_import, preview_import
    from dentruong.orgs.models import CodeSet, OrgUnit, School, SchoolClass, SchoolYear, UnitKind

    def unit(kind: str, code: str, name: str, parent: OrgUnit | None, cs: str) -> OrgUnit:
        node = OrgUnit.child_of(parent, kind=kind, code=code, code_set=cs, name=name)
        node.save()
        return node

    province = unit(UnitKind.PROVINCE, "15", "Tỉnh Lào Cai", None, CodeSet.GSO_2025)
    commune = unit(UnitKind.COMMUNE, "02683", "Xã Bát Xát", province, CodeSet.GSO_2025)
    for k, name in enumerate(village_names()):
        unit(UnitKind.VILLAGE, f"V{k:02d}", name, commune, CodeSet.LOCAL)
    node = unit(UnitKind.SCHOOL, "BENCH", "Trường bench", commune, CodeSet.MOET)
    school = School.objects.create(unit=node, commune=commune, name="Trường bench", levels="TH")
    year = SchoolYear.objects.create(start_year=2026)
    SchoolClass.objects.bulk_create(
        SchoolClass(school=school, school_year=year, grade=g, name=n)
        for g, n in class_names(students)
    )
    data = Path(path).read_bytes()
    started = time.perf_counter()
    batch = preview_import(
        target=Target(kind="students", school=school, school_year=year),
        data=data,
        file_name="hoc-sinh.xlsx",
        user=None,
    )
    previewed = time.perf_counter()
    assert batch.problems == [], batch.problems[:5]
    confirm_import(batch=batch, user=None)
    done = time.perf_counter()
    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM people_student")
        written = cur.fetchone()[0]
        cur.execute("SELECT count(*) FROM enrollment_enrollment")
        enrolled = cur.fetchone()[0]
    print(
        json.dumps(
            {
                "preview_seconds": round(previewed - started, 2),
                "confirm_seconds": round(done - previewed, 2),
                "import_seconds": round(done - started, 2),
                "students_written": written,
                "enrollments_written": enrolled,
                "created": batch.summary["create"],
            }
        )
    )


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run `cmd`; (wall seconds, peak RSS in KiB of that process, stdout)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        code = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read()
    if code != 0:
        sys.stderr.write(text)
        raise SystemExit(f"{' '.join(cmd)} failed ({code})")
    return seconds, usage.ru_maxrss, text


def last_json(text: str) -> dict[str, Any]:
    result: dict[str, Any] = json.loads(text.strip().splitlines()[-1])
    return result


def pg_admin(sql: str, url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=50_000)
    parser.add_argument("--db", default="sqlite,postgres")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--raw", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args.worker, args.students)
    if args.raw:
        return raw_read(args.raw)

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env["DJANGO_SETTINGS_MODULE"] = "dentruong.settings"
    directory = tempfile.mkdtemp(prefix="bench_import_")
    path = os.path.join(directory, "hoc-sinh.xlsx")
    out: dict[str, Any] = {"students": args.students}
    try:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dentruong.settings")
        django.setup()
        t = time.perf_counter()
        make_file(path, args.students, args.seed)
        out["file_mb"] = round(os.path.getsize(path) / 2**20, 2)
        out["generate_seconds"] = round(time.perf_counter() - t, 1)
        raw_seconds, raw_rss, _ = run([PYTHON, __file__, "--raw", path], env)
        out["raw_openpyxl_read_seconds"] = round(raw_seconds, 2)
        out["raw_openpyxl_peak_rss_mb"] = round(raw_rss / 1024, 1)
        for db in args.db.split(","):
            db_env = dict(env)
            pg_url = re.sub(r"/[^/]*$", f"/{PG_DB}", args.pg_admin_url)
            if db == "sqlite":
                db_env["SQLITE_PATH"] = os.path.join(directory, "bench.sqlite3")
            else:
                pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)", args.pg_admin_url)
                pg_admin(f"CREATE DATABASE {PG_DB}", args.pg_admin_url)
                db_env["DATABASE_URL"] = pg_url
            try:
                run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], db_env)
                seconds, rss, text = run(
                    [PYTHON, __file__, "--worker", path, "--students", str(args.students)],
                    db_env,
                )
            finally:
                if db == "postgres":
                    pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)", args.pg_admin_url)
            inner = last_json(text)
            peak_mb = round(rss / 1024, 1)
            out[db] = {
                **inner,
                "process_seconds": round(seconds, 2),
                "peak_rss_mb": peak_mb,
                "rows_per_s": round(args.students / inner["import_seconds"]),
                "ratio_to_raw_read": round(inner["import_seconds"] / raw_seconds, 1),
                "target_met": inner["import_seconds"] <= TARGET_SECONDS
                and peak_mb <= TARGET_RSS_MB,
            }
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    print(json.dumps(out, ensure_ascii=False))


if __name__ == "__main__":
    main()
