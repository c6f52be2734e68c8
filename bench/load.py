"""Load of issue 8: many homeroom teachers submitting roll calls at once, against the real
server (gunicorn on 127.0.0.1, the production layout of the database: tests/servers.py),
and afterwards a count in the database of what the clients were told was saved.
Prints one JSON object. Never a test (tests/test_faults.py runs the same machinery small).

    .venv/bin/python bench/load.py --db sqlite --seconds 60 --clients 50
    .venv/bin/python bench/load.py --db postgresql --pg-db h_reliab_load

The world: the demo (`load_demo --students 2000 --no-history`: Xã Bát Xát and Xã Y Tý,
about 100 classes, each with its homeroom teacher), migrated into a fresh database (a
temporary SQLite file, or a PostgreSQL database created beside --pg-url) or, with
--reuse, the one left by an earlier run (its roll calls cleared). The server's clock is
Friday 18 December 2026, 07:00 (tests/servers.py CLOCK), so every client has the school
days of term 1 so far to fill whatever the date of the run.

Each client is a real homeroom teacher logged in through the login page, on its own
keep-alive connection, submitting the roll calls of its class day after day (each
session the class holds), about one in ten followed by a correction (a new client id,
`base_version`); when the days run out it starts over (corrections). Every submission
has a client-generated id; on a connection error or a 5xx the client sends the same
payload again (same id) until the server answers (backoff 50 ms doubling to 1 s).

Afterwards, in the database: every acknowledged submission is a revision (lost = 0), no
revision that no client sent, one roll call per class-session, versions = revisions,
every summary row equal to its absences, and each class-session holding the marks of its
last acknowledged submission. Reported with the requests, statuses, throughput, latency
percentiles, the load average, and the raw insert rate of the same database in the same
run (bench/attendance.py `baseline`) for scale.
"""

from __future__ import annotations

import argparse
import datetime as dt
import http.client
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.attendance import PYTHON, Client, baseline, ms, percentile  # noqa: E402
from tests.servers import (  # noqa: E402
    CLOCK,
    Gunicorn,
    manage,
    pg_database,
    pg_env,
    query,
    sqlite_env,
    vendor_of,
)

PASSWORD = "Bench-TaiTai-2026!"
SEED = 20261218
API = "/api/v1/roll-calls"
CORRECTION_SHARE = 0.1
ABSENT = 0.06


# --- the world (run inside a Django process on the target database) ----------------------


def build(students: int, teachers: int, reuse: bool) -> dict[str, Any]:
    """The demo, `teachers` homeroom teachers with a known password, their rosters and
    school days up to CLOCK. Called in a subprocess whose environment names the DB."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dentruong.settings")
    django.setup()
    from django.contrib.auth.hashers import make_password

    from bench.attendance import clear_roll_calls
    from dentruong.accounts.models import User
    from dentruong.demo.builder import build_demo, demo_loaded
    from dentruong.enrollment.models import Enrollment
    from dentruong.orgs.calendar import calendar_for_class
    from dentruong.orgs.models import OrgUnit, SchoolClass, UnitKind

    if reuse and demo_loaded():
        clear_roll_calls()
    else:
        build_demo(seed=1, students=students, stdout=open(os.devnull, "w"), history=False)
    today = dt.datetime.fromisoformat(CLOCK).date()
    classes = list(
        SchoolClass.objects.filter(homeroom_teacher__isnull=False, school_year__start_year=2026)
        .select_related("homeroom_teacher", "school__unit", "school__commune")
        .order_by("pk")
    )
    out: list[dict[str, Any]] = []
    password = make_password(PASSWORD)  # one hash (the production hasher is slow on purpose)
    for school_class in classes:
        spec = calendar_for_class(school_class)
        days = spec.school_days(spec.term1[0], today)
        if not days:
            continue
        roster = set(
            Enrollment.objects.on(days[0])
            .filter(school_class=school_class)
            .values_list("student_id", flat=True)
        ) & set(
            Enrollment.objects.on(days[-1])
            .filter(school_class=school_class)
            .values_list("student_id", flat=True)
        )
        if len(roster) < 3:
            continue
        teacher = school_class.homeroom_teacher
        assert teacher is not None
        villages = OrgUnit.objects.filter(
            kind=UnitKind.VILLAGE, path__startswith=school_class.school.commune.path
        ).order_by("pk")
        out.append(
            {
                "username": teacher.username,
                "class_id": school_class.pk,
                "villages": list(villages.values_list("name", flat=True)[:3]),
                "sessions": school_class.sessions,
                "students": sorted(roster),
                "days": [d.isoformat() for d in days],
            }
        )
        if len(out) == teachers:
            break
    User.objects.filter(username__in=[t["username"] for t in out]).update(password=password)
    return {"teachers": out, "password": PASSWORD}


def prepare(env: dict[str, str], *, students: int, teachers: int, reuse: bool) -> dict[str, Any]:
    """Migrate the database of `env` and build the world there (subprocesses)."""
    manage(env, "migrate", "--noinput", "-v", "0")
    args = ["--build", "--students", str(students), "--clients", str(teachers)]
    done = subprocess.run(
        [PYTHON, str(Path(__file__)), *args, *(["--reuse"] if reuse else [])],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        raise RuntimeError(f"building the world failed:\n{done.stdout}\n{done.stderr}")
    world: dict[str, Any] = json.loads(done.stdout)
    if len(world["teachers"]) < teachers:
        raise RuntimeError(f"only {len(world['teachers'])} classes for {teachers} clients")
    return world


# --- clients ---------------------------------------------------------------------------------


@dataclass
class Sent:
    """One submission as the client made it, and what the server said in the end."""

    client_id: str
    key: tuple[int, str, str]  # class id, date, session
    marks: dict[int, str]  # student id → code
    status: int | None = None  # the final answer; None: never answered
    duplicate: bool = False
    version: int | None = None
    attempts: int = 0


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    times: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    sent: list[list[Sent]] = field(default_factory=list)  # per client, in its order

    def record(self, status: str, seconds: float | None) -> None:
        with self.lock:
            self.statuses[status] += 1
            if seconds is not None:
                self.times.append(seconds)


def retryable(status: int) -> bool:
    return status >= 500


def login(port: int, username: str, password: str, deadline: float) -> Client:
    """A logged-in bench client, retried while the server is unreachable."""
    pause = 0.05
    while True:
        try:
            return Client(port, username, password)
        except (OSError, http.client.HTTPException, KeyError, SystemExit):
            if time.monotonic() > deadline:
                raise
            time.sleep(pause)
            pause = min(pause * 2, 1.0)


def send(client: Client, sent: Sent, payload: dict[str, Any], stats: Stats, hard: float) -> None:
    """POST until the server answers something other than a 5xx (the same client id each
    time), or until `hard` (monotonic) passes: then `sent.status` stays None."""
    pause = 0.05
    while time.monotonic() < hard:
        sent.attempts += 1
        started = time.perf_counter()
        try:
            status, body = client.post_json(API, payload)
        except (OSError, http.client.HTTPException):
            client.conn.close()
            stats.record("connection_error", None)
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
            continue
        stats.record(str(status), time.perf_counter() - started)
        if retryable(status):
            time.sleep(pause)
            pause = min(pause * 2, 1.0)
            continue
        sent.status = status
        if status in (200, 201):
            data = json.loads(body)
            sent.duplicate = bool(data["duplicate"])
            sent.version = int(data["roll_call"]["version"])
        return


def teacher_loop(
    port: int,
    teacher: dict[str, Any],
    password: str,
    stats: Stats,
    stop: threading.Event,
    hard: float,
    seed: int,
    ready: threading.Barrier,
) -> None:
    rng = random.Random(seed)
    mine: list[Sent] = []
    with stats.lock:
        stats.sent.append(mine)
    client = login(port, teacher["username"], password, hard)
    ready.wait()  # the clock starts once every teacher is logged in
    slots = [(d, s) for d in teacher["days"] for s in teacher["sessions"]]
    i = 0
    while not stop.is_set() and time.monotonic() < hard:
        day, session = slots[i % len(slots)]
        i += 1
        version: int | None = None
        for correcting in (False, True):
            if correcting and rng.random() >= CORRECTION_SHARE:
                break
            marks = {s: rng.choice("PKT") for s in teacher["students"] if rng.random() < ABSENT}
            sent = Sent(
                client_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                key=(teacher["class_id"], day, session),
                marks=marks,
            )
            mine.append(sent)
            payload = {
                "class_id": teacher["class_id"],
                "date": day,
                "session": session,
                "client_id": sent.client_id,
                "base_version": version,
                "marks": [{"student_id": s, "code": c} for s, c in sorted(marks.items())],
            }
            send(client, sent, payload, stats, hard)
            if sent.status not in (200, 201):
                break
            version = sent.version


@dataclass
class Run:
    stats: Stats
    seconds: float
    threads: list[threading.Thread]
    stop: threading.Event

    def all_sent(self) -> list[Sent]:
        return [s for mine in self.stats.sent for s in mine]


def start_clients(
    port: int, world: dict[str, Any], clients: int, *, hard_seconds: float, seed: int = SEED
) -> tuple[Stats, threading.Event, list[threading.Thread]]:
    """Log `clients` teachers in, start them all at once; returns when they are sending."""
    stats = Stats()
    stop = threading.Event()
    hard = time.monotonic() + hard_seconds
    teachers = world["teachers"][:clients]
    ready = threading.Barrier(len(teachers) + 1, timeout=hard_seconds)
    threads = [
        threading.Thread(
            target=teacher_loop,
            args=(port, teacher, world["password"], stats, stop, hard, seed + n, ready),
            daemon=True,
        )
        for n, teacher in enumerate(teachers)
    ]
    for t in threads:
        t.start()
    ready.wait()
    return stats, stop, threads


def run_clients(
    port: int, world: dict[str, Any], clients: int, seconds: float, *, seed: int = SEED
) -> Run:
    """`clients` teachers for `seconds` (then each finishes the submission in hand)."""
    stats, stop, threads = start_clients(
        port, world, clients, hard_seconds=seconds + 120, seed=seed
    )
    started = time.perf_counter()
    time.sleep(seconds)
    stop.set()
    for t in threads:
        t.join()
    return Run(stats, time.perf_counter() - started, threads, stop)


# --- the count afterwards -------------------------------------------------------------------


def _hex(value: Any) -> str:
    return uuid.UUID(str(value)).hex


def verify(env: dict[str, str], sent: list[Sent], class_ids: list[int]) -> dict[str, Any]:
    """What the database holds against what the clients were told (see the module doc)."""
    marks_ids = ",".join(str(int(c)) for c in class_ids) or "0"
    roll_calls = {
        row[0]: (int(row[1]), str(row[2]), str(row[3]), int(row[4]))
        for row in query(
            env,
            "SELECT id, school_class_id, date, session, version FROM attendance_rollcall "
            f"WHERE school_class_id IN ({marks_ids})",
        )
    }
    revisions: Counter[str] = Counter()
    per_roll_call: Counter[int] = Counter()
    for client_id, roll_call_id in query(
        env,
        "SELECT r.client_id, r.roll_call_id FROM attendance_rollcallrevision r "
        "JOIN attendance_rollcall c ON c.id = r.roll_call_id "
        f"WHERE c.school_class_id IN ({marks_ids})",
    ):
        revisions[_hex(client_id)] += 1
        per_roll_call[roll_call_id] += 1
    absences: dict[int, dict[int, str]] = defaultdict(dict)
    for roll_call_id, student_id, code in query(
        env,
        "SELECT a.roll_call_id, a.student_id, a.code FROM attendance_absence a "
        "JOIN attendance_rollcall c ON c.id = a.roll_call_id "
        f"WHERE c.school_class_id IN ({marks_ids})",
    ):
        absences[roll_call_id][int(student_id)] = str(code)
    summaries = {
        row[0]: row[1:]
        for row in query(
            env,
            "SELECT roll_call_id, enrolled, present, late, excused, unexcused "
            f"FROM attendance_classdaysummary WHERE school_class_id IN ({marks_ids})",
        )
    }
    acked = [s for s in sent if s.status in (200, 201)]
    acked_ids = {uuid.UUID(s.client_id).hex for s in acked}
    tried_ids = {uuid.UUID(s.client_id).hex for s in sent}
    unanswered = {uuid.UUID(s.client_id).hex for s in sent if s.status is None}
    last: dict[tuple[int, str, str], Sent] = {}
    for s in sent:  # each class has one client, in order
        if s.status in (200, 201):
            last[s.key] = s
    by_key = {(c, d, s): pk for pk, (c, d, s, _v) in roll_calls.items()}
    wrong_state = sum(
        1
        for key, s in last.items()
        if key not in by_key or absences.get(by_key[key], {}) != s.marks
    )
    bad_summaries = 0
    for pk in roll_calls:
        summary = summaries.get(pk)
        codes = Counter(absences.get(pk, {}).values())
        if summary is None:
            bad_summaries += 1
            continue
        enrolled, present, late, excused, unexcused = summary
        if (excused, unexcused, late) != (codes["P"], codes["K"], codes["T"]) or present != (
            enrolled - excused - unexcused
        ):
            bad_summaries += 1
    keys = Counter((c, d, s) for c, d, s, _v in roll_calls.values())
    # The whole-term roll-ups (decision 0014) against the rows they add up: per class, the
    # term summaries' sums equal the day summaries'; per student and class, the tallies
    # equal the absences.
    days: dict[int, list[int]] = defaultdict(lambda: [0] * 6)
    for pk, (class_id, _d, _s, _v) in roll_calls.items():
        summary = summaries.get(pk)
        if summary is not None:
            for i, value in enumerate((1, *summary)):
                days[class_id][i] += int(value)
    terms: dict[int, list[int]] = defaultdict(lambda: [0] * 6)
    for class_id, *sums in query(
        env,
        "SELECT school_class_id, roll_calls, enrolled, present, late, excused, unexcused "
        f"FROM attendance_classtermsummary WHERE school_class_id IN ({marks_ids})",
    ):
        for i, value in enumerate(sums):
            terms[int(class_id)][i] += int(value)
    counted: Counter[tuple[int, int, str]] = Counter()
    for pk, marks in absences.items():
        for student_id, code in marks.items():
            counted[(student_id, roll_calls[pk][0], code)] += 1
    tallied: Counter[tuple[int, int, str]] = Counter()
    for student_id, class_id, excused, unexcused, late in query(
        env,
        "SELECT student_id, school_class_id, excused, unexcused, late "
        f"FROM attendance_absencetally WHERE school_class_id IN ({marks_ids})",
    ):
        for code, n in (("P", excused), ("K", unexcused), ("T", late)):
            if int(n):
                tallied[(int(student_id), int(class_id), code)] += int(n)
    return {
        "acknowledged": len(acked),
        "acknowledged_as_duplicate": sum(1 for s in acked if s.duplicate),
        "lost": len(acked_ids - set(revisions)),
        "duplicated": sum(n - 1 for n in revisions.values() if n > 1)
        + sum(n - 1 for n in keys.values() if n > 1),
        "unexpected_writes": len(set(revisions) - tried_ids),
        "unanswered": len(unanswered),
        "unanswered_but_saved": len(unanswered & set(revisions)),
        "refused": sum(1 for s in sent if s.status is not None and s.status not in (200, 201)),
        "roll_calls": len(roll_calls),
        "revisions": sum(revisions.values()),
        "versions_not_matching_revisions": sum(
            1 for pk, (_c, _d, _s, v) in roll_calls.items() if per_roll_call[pk] != v
        ),
        "summaries_not_matching_absences": bad_summaries,
        "term_summaries_not_matching_days": sum(
            1 for c in set(days) | set(terms) if days.get(c) != terms.get(c)
        ),
        "tallies_not_matching_absences": sum(
            1 for k in set(counted) | set(tallied) if counted[k] != tallied[k]
        ),
        "class_sessions_not_in_last_acknowledged_state": wrong_state,
    }


def figures(run: Run) -> dict[str, Any]:
    stats = run.stats
    times = stats.times or [0.0]
    statuses = dict(sorted(stats.statuses.items()))
    ok = sum(n for k, n in statuses.items() if k in ("200", "201"))
    acked = sum(1 for s in run.all_sent() if s.status in (200, 201))
    return {
        "requests": sum(statuses.values()),
        "ok": ok,
        "statuses": statuses,
        "server_errors_5xx": sum(n for k, n in statuses.items() if k.startswith("5")),
        "seconds": round(run.seconds, 2),
        "acknowledged_per_s": round(acked / run.seconds, 1),
        "p50_ms": ms(statistics.median(times)),
        "p95_ms": ms(percentile(times, 0.95)),
        "p99_ms": ms(percentile(times, 0.99)),
        "max_ms": ms(max(times)),
    }


# --- main ---------------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql"], default="sqlite")
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--students", type=int, default=2000)
    parser.add_argument("--reuse", action="store_true", help="keep the database between runs")
    parser.add_argument("--sqlite-path", default=str(ROOT / "var" / "bench_load.sqlite3"))
    parser.add_argument("--pg-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--pg-db", default="bench_load")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--build", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.build:  # the world, inside a Django process (prepare() calls this)
        print(json.dumps(build(args.students, args.clients, args.reuse)))
        return

    directory = tempfile.mkdtemp(prefix="bench_load_")
    if args.db == "sqlite":
        path = args.sqlite_path if args.reuse else os.path.join(directory, "load.sqlite3")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        env = sqlite_env(path)
    else:
        import re

        url = re.sub(r"/[^/]*$", f"/{args.pg_db}", args.pg_url)
        if not args.reuse:
            url = pg_database(args.pg_url, args.pg_db)
        env = pg_env(url)
    result: dict[str, Any] = {
        "db": vendor_of(env),
        "clients": args.clients,
        "seconds_asked": args.seconds,
        "cpus": os.cpu_count(),
        "load_average_1m_before": round(os.getloadavg()[0], 2),
    }
    server: Gunicorn | None = None
    try:
        started = time.perf_counter()
        world = prepare(env, students=args.students, teachers=args.clients, reuse=args.reuse)
        result["setup_seconds"] = round(time.perf_counter() - started, 1)
        server = Gunicorn(env, log_dir=directory).start()
        result["server"] = "gunicorn " + " ".join(server.options) + f" (clock {CLOCK})"
        run = run_clients(server.port, world, args.clients, args.seconds)
        result["load_average_1m"] = round(os.getloadavg()[0], 2)
        result |= figures(run)
        server.stop()
        result["server_tracebacks"] = server.tracebacks()
        server = None
        class_ids = [t["class_id"] for t in world["teachers"][: args.clients]]
        result["database"] = verify(env, run.all_sent(), class_ids)
        if not args.no_baseline:
            kind = "sqlite" if args.db == "sqlite" else "postgres"
            where = env.get("SQLITE_PATH") or env["DATABASE_URL"]
            result["raw_baseline"] = baseline(SimpleNamespace(kind=kind, where=where))
    finally:
        if server is not None:
            server.stop()
        if not args.reuse:
            if args.db == "postgresql":
                from tests.servers import pg_drop

                pg_drop(env["DATABASE_URL"])
            shutil.rmtree(directory, ignore_errors=True)
    db = result["database"]
    result["lost"] = db["lost"]
    result["duplicated"] = db["duplicated"]
    result["held"] = (
        db["lost"] == 0
        and db["duplicated"] == 0
        and db["unexpected_writes"] == 0
        and db["summaries_not_matching_absences"] == 0
        and db["term_summaries_not_matching_days"] == 0
        and db["tallies_not_matching_absences"] == 0
        and db["class_sessions_not_in_last_acknowledged_state"] == 0
        and result["server_errors_5xx"] == 0
    )
    print(json.dumps(result, ensure_ascii=False))


if __name__ == "__main__":
    main()
