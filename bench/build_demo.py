"""Time `manage.py load_demo` on a fresh database and compare with the machine's raw
insert speed measured in the same run. Prints one JSON object.

    .venv/bin/python bench/build_demo.py --students 700000 --db sqlite
    .venv/bin/python bench/build_demo.py --students 700000 --db postgres

sqlite: a temporary file (removed afterwards). postgres: a fresh database `bench_demo`
on 127.0.0.1:5432 as user postgres (dropped afterwards; override with --pg-url).

The build runs in a subprocess; its wall time and peak RSS (os.wait4 rusage of that
process alone) are reported. `rows_written` counts every row in the tables the build
fills. The baseline inserts the same number of plain 8-column rows (ints, short text,
a date, a bool; no secondary index) in one transaction: sqlite3 `executemany` for
SQLite, psycopg `COPY … FROM STDIN` (`write_row`) for PostgreSQL, i.e. the ceiling of
the engine on this machine; `ratio` = build rows/s ÷ baseline rows/s.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python")
PG_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"
PG_DB = "bench_demo"
TARGET_SECONDS = 180
TARGET_RSS_MB = 2048
TABLES = (
    "orgs_orgunit",
    "orgs_school",
    "orgs_schoolclass",
    "accounts_user",
    "accounts_membership",
    "people_household",
    "people_guardian",
    "people_student",
    "people_sensitivefacts",
    "people_nametoken",
    "people_residentchild",
    "enrollment_enrollment",
    "enrollment_enrollmentevent",
)
CHUNK = 100_000


def run(cmd: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Run `cmd`; (wall seconds, peak RSS in KiB of that process, stdout)."""
    started = time.perf_counter()
    with tempfile.TemporaryFile("w+") as out:
        proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        out.seek(0)
        text = out.read()
    if proc.returncode != 0:
        sys.stderr.write(text)
        raise SystemExit(f"{' '.join(cmd)} failed ({proc.returncode})")
    return seconds, usage.ru_maxrss, text


def baseline_rows(n: int) -> Iterator[list[tuple[Any, ...]]]:
    """Plain rows of about the width of a student row, in chunks (built before timing)."""
    day = dt.date(2015, 1, 1)
    for start in range(0, n, CHUNK):
        yield [
            (
                i,
                f"Nguyễn Văn {i % 977}",
                f"nguyen van {i % 977}",
                day + dt.timedelta(days=i % 3000),
                i % 54,
                i // 7,
                f"{i:012d}",
                bool(i & 1),
            )
            for i in range(start + 1, min(n, start + CHUNK) + 1)
        ]


BASE_DDL = (
    "CREATE TABLE bench_base (id bigint PRIMARY KEY, a varchar(100), b varchar(160), "
    "d date, e smallint, f bigint, g varchar(12), h boolean)"
)


def sqlite_baseline(n: int, directory: str) -> float:
    path = os.path.join(directory, "baseline.sqlite3")
    db = sqlite3.connect(path, isolation_level=None)
    db.executescript(
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA temp_store=MEMORY;"
        "PRAGMA cache_size=-65536;"
    )
    db.execute(BASE_DDL.replace("id bigint PRIMARY KEY", "id integer PRIMARY KEY"))
    spent = 0.0
    db.execute("BEGIN")
    for rows in baseline_rows(n):
        rows_iso = [(r[0], r[1], r[2], r[3].isoformat(), *r[4:]) for r in rows]
        t = time.perf_counter()
        db.executemany("INSERT INTO bench_base VALUES (?,?,?,?,?,?,?,?)", rows_iso)
        spent += time.perf_counter() - t
    t = time.perf_counter()
    db.execute("COMMIT")
    spent += time.perf_counter() - t
    db.close()
    return n / spent


def pg_baseline(n: int, url: str) -> float:
    import psycopg

    with psycopg.connect(url) as conn:
        conn.execute("DROP TABLE IF EXISTS bench_base")
        conn.execute(BASE_DDL)
        conn.commit()
        spent = 0.0
        with conn.cursor() as cur:
            for rows in baseline_rows(n):
                t = time.perf_counter()
                with cur.copy("COPY bench_base FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
                spent += time.perf_counter() - t
        t = time.perf_counter()
        conn.commit()
        spent += time.perf_counter() - t
        conn.execute("DROP TABLE bench_base")
        conn.commit()
    return n / spent


def count_rows(db: str, where: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    if db == "sqlite":
        con = sqlite3.connect(where)
        for table in TABLES:
            counts[table] = con.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0]
        con.close()
    else:
        import psycopg

        with psycopg.connect(where) as conn:
            for table in TABLES:
                row = conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()
                counts[table] = int(row[0]) if row else 0
    return counts


def pg_admin(sql: str, url: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--students", type=int, default=700_000)
    parser.add_argument("--db", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--pg-admin-url", default=PG_ADMIN_URL)
    args = parser.parse_args()

    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "SQLITE_PATH")}
    env["PYTHONUNBUFFERED"] = "1"
    directory = tempfile.mkdtemp(prefix="bench_demo_")
    pg_url = re.sub(r"/[^/]*$", f"/{PG_DB}", args.pg_admin_url)
    try:
        if args.db == "sqlite":
            where = os.path.join(directory, "demo.sqlite3")
            env["SQLITE_PATH"] = where
        else:
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)", args.pg_admin_url)
            pg_admin(f"CREATE DATABASE {PG_DB}", args.pg_admin_url)
            where = pg_url
            env["DATABASE_URL"] = pg_url
        run([PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"], env)
        seconds, rss_kib, output = run(
            [
                PYTHON,
                "manage.py",
                "load_demo",
                "--students",
                str(args.students),
                "--seed",
                str(args.seed),
            ],
            env,
        )
        built = re.search(r"Demo built in ([0-9.]+) s", output)
        counts = count_rows(args.db, where)
        rows = sum(counts.values())
        if args.db == "sqlite":
            db_bytes = os.path.getsize(where)
            baseline = sqlite_baseline(rows, directory)
        else:
            db_bytes = 0
            import psycopg

            with psycopg.connect(pg_url) as conn:
                row = conn.execute("SELECT pg_database_size(current_database())").fetchone()
                db_bytes = int(row[0]) if row else 0
            baseline = pg_baseline(rows, pg_url)
    finally:
        shutil.rmtree(directory, ignore_errors=True)
        if args.db == "postgres":
            pg_admin(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)", args.pg_admin_url)

    rate = rows / seconds
    peak_mb = rss_kib / 1024
    print(
        json.dumps(
            {
                "students": args.students,
                "db": args.db,
                "seconds": round(seconds, 1),
                "build_seconds": float(built.group(1)) if built else None,
                "peak_rss_mb": round(peak_mb, 1),
                "rows_written": rows,
                "rows_by_table": counts,
                "db_size_mb": round(db_bytes / 2**20, 1),
                "rows_per_s": round(rate),
                "raw_baseline_rows_per_s": round(baseline),
                "ratio": round(rate / baseline, 3),
                "target_met": seconds <= TARGET_SECONDS and peak_mb <= TARGET_RSS_MB,
            },
            ensure_ascii=False,
        )
    )


if __name__ == "__main__":
    main()
