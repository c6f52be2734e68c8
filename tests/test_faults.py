"""Faults against the real server (gunicorn on 127.0.0.1, tests/servers.py), with the
teacher clients of bench/load.py: every submission carries its client id and is sent
again, unchanged, on a connection error or a 5xx until the server answers.

After each fault the database is counted against what the clients were told
(bench/load.py `verify`): every acknowledged roll call is there exactly once, no write
that no client sent, versions = revisions, every ClassDaySummary equal to its absences,
every class-session holding its last acknowledged marks; and every client's retries
ended in an answer. The server's database is a copy of a template built once (the demo,
300 students): SQLite, or PostgreSQL beside DATABASE_URL when the suite runs there. The
PostgreSQL restart uses a private cluster (never the machine's shared server); the full
disk is a small tmpfs, under the SQLite file or under a private cluster's whole data
directory (tables and write-ahead log).
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from bench.attendance import Client
from bench.load import Run, Stats, prepare, run_clients, start_clients, verify
from dentruong.lib.national_id import make_national_id
from tests.servers import (
    Gunicorn,
    PrivatePostgres,
    Tmpfs,
    initdb_available,
    pg_admin,
    pg_database,
    pg_drop,
    pg_env,
    query,
    sqlite_copy,
    sqlite_env,
)

pytestmark = pytest.mark.faults

STUDENTS = 300  # the demo's smallest useful size: 41 classes, 7 or so students each
CLIENTS = 10
PG_URL = os.environ.get("DATABASE_URL", "")


# --- templates and copies ---------------------------------------------------------------


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    path = tmp_path_factory.mktemp("faults") / "template.sqlite3"
    world = prepare(sqlite_env(path), students=STUDENTS, teachers=CLIENTS, reuse=False)
    return path, world


@pytest.fixture(scope="session")
def pg_template() -> Iterator[tuple[str, dict[str, Any]]]:
    name = PG_URL.rsplit("/", 1)[1] + "_faults_tpl"
    url = pg_database(PG_URL, name)
    try:
        world = prepare(pg_env(url), students=STUDENTS, teachers=CLIENTS, reuse=False)
        yield name, world
    finally:
        pg_drop(url)


@pytest.fixture
def served(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[dict[str, str], dict[str, Any]]]:
    """A fresh copy of the template database of this run's vendor, and its world."""
    if PG_URL:
        name, world = request.getfixturevalue("pg_template")
        url = pg_database(PG_URL, PG_URL.rsplit("/", 1)[1] + "_faults_srv", template=name)
        try:
            yield pg_env(url), world
        finally:
            pg_drop(url)
    else:
        path, world = request.getfixturevalue("sqlite_template")
        sqlite_copy(path, tmp_path / "server.sqlite3")
        yield sqlite_env(tmp_path / "server.sqlite3"), world


def class_ids(world: dict[str, Any], n: int = CLIENTS) -> list[int]:
    return [t["class_id"] for t in world["teachers"][:n]]


def finish(stats: Stats, stop: threading.Event, threads: list[threading.Thread]) -> Run:
    stop.set()
    for t in threads:
        t.join(timeout=90)
    assert not any(t.is_alive() for t in threads), "a client never got its answer"
    return Run(stats, 0.0, threads, stop)


def assert_nothing_lost(db: dict[str, Any]) -> None:
    assert db["acknowledged"] > 0
    assert db["lost"] == 0
    assert db["duplicated"] == 0
    assert db["unexpected_writes"] == 0
    assert db["unanswered"] == 0  # every retry ended in an answer
    assert db["refused"] == 0
    assert db["versions_not_matching_revisions"] == 0
    assert db["summaries_not_matching_absences"] == 0
    assert db["term_summaries_not_matching_days"] == 0
    assert db["tallies_not_matching_absences"] == 0
    assert db["class_sessions_not_in_last_acknowledged_state"] == 0


def report(test: str, run: Run, db: dict[str, Any]) -> None:
    """One JSON line for the figures (seen with `pytest -s`)."""
    statuses = dict(sorted(run.stats.statuses.items()))
    print(json.dumps({"test": test, "statuses": statuses, "database": db}))


def assert_survived(
    test: str, run: Run, server: Gunicorn, env: dict[str, str], world: dict[str, Any], clients: int
) -> None:
    """After a fault the database caused: its absence was a retryable 503 (with a JSON
    body), never another 5xx; nothing acknowledged is lost; no traceback in the log."""
    server.stop()
    statuses = dict(run.stats.statuses)
    assert not {k for k in statuses if k.startswith("5")} - {"503"}, (statuses, server.log())
    db = verify(env, run.all_sent(), class_ids(world, clients))
    report(test, run, db)
    assert_nothing_lost(db)
    assert server.tracebacks() == 0, server.log()


def wait_for(condition: Any, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def acknowledged(stats: Stats) -> int:
    with stats.lock:
        return stats.statuses["200"] + stats.statuses["201"]


# --- load, small --------------------------------------------------------------------------


def test_ten_teachers_for_five_seconds_nothing_lost(
    served: tuple[dict[str, str], dict[str, Any]], tmp_path: Path
) -> None:
    env, world = served
    server = Gunicorn(env, log_dir=str(tmp_path)).start()
    try:
        run = run_clients(server.port, world, CLIENTS, 5)
    finally:
        server.stop()
    statuses = dict(run.stats.statuses)
    assert set(statuses) <= {"200", "201"}, statuses  # no 5xx, no refusal
    db = verify(env, run.all_sent(), class_ids(world))
    report("load_10_clients_5_s", run, db)
    assert_nothing_lost(db)
    assert db["acknowledged"] == statuses.get("200", 0) + statuses.get("201", 0)
    assert db["revisions"] == db["acknowledged"]
    assert server.tracebacks() == 0, server.log()


# --- the server killed ----------------------------------------------------------------------


def test_server_killed_during_a_burst_of_roll_calls(
    served: tuple[dict[str, str], dict[str, Any]], tmp_path: Path
) -> None:
    env, world = served
    server = Gunicorn(env, log_dir=str(tmp_path)).start()
    stats, stop, threads = start_clients(server.port, world, 8, hard_seconds=90)
    try:
        wait_for(lambda: acknowledged(stats) >= 40, 30, "the burst to get going")
        server.kill()  # SIGKILL, master and workers, requests in flight
        killed_at = acknowledged(stats)
        time.sleep(1.0)  # clients meet refused connections and keep retrying
        assert acknowledged(stats) == killed_at
        server.start()  # the same port
        wait_for(lambda: acknowledged(stats) >= killed_at + 40, 30, "the clients to resume")
    finally:
        run = finish(stats, stop, threads)
        server.stop()
    assert run.stats.statuses["connection_error"] > 0  # the fault did reach the clients
    assert not [k for k in run.stats.statuses if k.startswith("5")], run.stats.statuses
    db = verify(env, run.all_sent(), class_ids(world, 8))
    report("server_killed_during_burst", run, db)
    assert_nothing_lost(db)


FAMILIES = ("Lò Văn", "Vàng Thị", "Giàng A", "Sùng Thị", "Hoàng Văn", "Lý Thị")
GIVEN = ("Tú", "Mai", "Páo", "Sinh", "Hoa", "Lan", "Dế", "Chứ", "Vần", "Mỷ")


def class_list(rows: int, village: str, serial_from: int) -> bytes:
    """A class list of `rows` new students, each with its own mã định danh."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.append(["STT", "Họ và tên", "Ngày sinh", "Giới tính", "Dân tộc", "Thôn", "Mã định danh"])
    for n in range(rows):
        family = FAMILIES[n % len(FAMILIES)]
        gender = "F" if "Thị" in family else "M"
        ws.append(
            [
                n + 1,
                f"{family} {GIVEN[n // len(FAMILIES) % len(GIVEN)]}",
                f"{1 + n % 28:02d}/{1 + n // 28 % 12:02d}/2016",
                "Nữ" if gender == "F" else "Nam",
                "Kinh",
                village,
                make_national_id(
                    province=15, birth_year=2016, gender=gender, serial=serial_from + n
                ),
            ]
        )
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def upload(client: Client, class_id: int, data: bytes) -> dict[str, Any]:
    boundary = uuid.uuid4().hex
    parts = []
    for name, value in (("kind", "class_list"), ("target_id", str(class_id))):
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'
        )
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
        f'filename="lop.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\n'
    )
    body = "".join(parts).encode() + head.encode() + data + f"\r\n--{boundary}--\r\n".encode()
    status, answer = client._request(
        "POST",
        "/api/v1/imports",
        body,  # type: ignore[arg-type]
        {"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert status == 201, answer[:500]
    return dict(json.loads(answer))


def writing(env: dict[str, str]) -> bool:
    """A write transaction is open on the server's database right now."""
    if "SQLITE_PATH" in env:
        probe = sqlite3.connect(env["SQLITE_PATH"], timeout=0, isolation_level=None)
        try:
            probe.execute("BEGIN IMMEDIATE")
            probe.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as e:
            assert "locked" in str(e) or "busy" in str(e), e
            return True
        finally:
            probe.close()
    rows = query(
        env,
        "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
        "AND backend_xid IS NOT NULL AND pid <> pg_backend_pid()",
    )
    return bool(rows[0][0])


def import_state(env: dict[str, str], batch: int, class_id: int) -> tuple[str, int, int]:
    """The batch's status, the number of students, the enrolments of the class."""
    status = query(env, "SELECT status FROM imports_importbatch WHERE id = ?", [batch])[0][0]
    students = query(env, "SELECT count(*) FROM people_student")[0][0]
    enrolled = query(
        env, "SELECT count(*) FROM enrollment_enrollment WHERE school_class_id = ?", [class_id]
    )[0][0]
    return str(status), int(students), int(enrolled)


def test_server_killed_in_the_middle_of_an_import(
    served: tuple[dict[str, str], dict[str, Any]], tmp_path: Path
) -> None:
    env, world = served
    teacher = world["teachers"][0]
    rows = 3000
    data = class_list(rows, teacher["villages"][0], serial_from=700_000)
    server = Gunicorn(env, log_dir=str(tmp_path)).start()
    try:
        client = Client(server.port, teacher["username"], world["password"])
        batch = upload(client, teacher["class_id"], data)
        assert batch["create"] == rows and batch["problems"] == []
        before = import_state(env, batch["id"], teacher["class_id"])
        assert before[0] == "previewed"

        answer: list[Any] = []

        def confirm() -> None:
            try:
                answer.append(client.post_json(f"/api/v1/imports/{batch['id']}/confirm", {}))
            except (OSError, http.client.HTTPException) as e:  # the server died under it
                answer.append(e)

        confirming = threading.Thread(target=confirm)
        confirming.start()
        wait_for(lambda: writing(env), 60, "the confirmation to start writing")
        server.kill()
        confirming.join(timeout=30)
        assert answer and not isinstance(answer[0], tuple), answer  # no answer came
        # All or nothing: nothing, and the batch still waits for confirmation.
        assert import_state(env, batch["id"], teacher["class_id"]) == before

        server.start()
        client.conn.close()
        status, body = client.post_json(f"/api/v1/imports/{batch['id']}/confirm", {})
        assert status == 200, body[:500]
        after = import_state(env, batch["id"], teacher["class_id"])
        assert after == ("confirmed", before[1] + rows, before[2] + rows)

        again = upload(client, teacher["class_id"], data)  # the same file once more
        assert (again["create"], again["update"], again["unchanged"]) == (0, 0, rows)
        status, body = client.post_json(f"/api/v1/imports/{again['id']}/confirm", {})
        assert status == 200, body[:500]
        assert import_state(env, again["id"], teacher["class_id"]) == after
    finally:
        server.stop()
    assert server.tracebacks() == 0, server.log()


# --- PostgreSQL restarted -------------------------------------------------------------------


@pytest.mark.skipif(not initdb_available(), reason="needs root and PostgreSQL 15's initdb")
def test_postgresql_restarted_during_a_burst(tmp_path: Path) -> None:
    cluster = PrivatePostgres()
    server: Gunicorn | None = None
    try:
        cluster.start()
        env = pg_env(cluster.create_database("faults"))
        world = prepare(env, students=STUDENTS, teachers=6, reuse=False)
        server = Gunicorn(env, log_dir=str(tmp_path)).start()
        stats, stop, threads = start_clients(server.port, world, 6, hard_seconds=90)
        try:
            wait_for(lambda: acknowledged(stats) >= 30, 30, "the burst to get going")
            cluster.restart()  # fast: connections cut, open transactions rolled back
            restarted_at = acknowledged(stats)
            wait_for(lambda: acknowledged(stats) >= restarted_at + 30, 30, "the clients to resume")
        finally:
            run = finish(stats, stop, threads)
        assert_survived("postgresql_restarted_during_burst", run, server, env, world, 6)
    finally:
        if server is not None:
            server.stop()
        cluster.remove()


# --- the disk full --------------------------------------------------------------------------


@pytest.fixture
def small_disk(sqlite_template: tuple[Path, dict[str, Any]]) -> Iterator[Tmpfs]:
    size = os.path.getsize(sqlite_template[0])
    try:
        disk = Tmpfs(size + 1536 * 1024)
    except PermissionError as e:
        pytest.skip(f"cannot mount a tmpfs here: {e}")
    try:
        yield disk
    finally:
        disk.unmount()


def test_disk_full_while_writing_roll_calls(
    sqlite_template: tuple[Path, dict[str, Any]], small_disk: Tmpfs, tmp_path: Path
) -> None:
    template, world = sqlite_template
    path = small_disk.path / "server.sqlite3"
    sqlite_copy(template, path)
    env = sqlite_env(path)
    server = Gunicorn(env, log_dir=str(tmp_path)).start()
    stats, stop, threads = start_clients(server.port, world, 4, hard_seconds=90)
    try:
        wait_for(lambda: stats.statuses["503"] >= 5, 60, "the disk to fill up")
        assert server.answers()  # still serving: the error is an answer, not a crash
        full_at = acknowledged(stats)
        small_disk.resize(64 * 2**20)
        wait_for(lambda: acknowledged(stats) >= full_at + 20, 30, "the retries to go through")
    finally:
        run = finish(stats, stop, threads)
        server.stop()
    assert_survived("disk_full", run, server, env, world, 4)
    con = sqlite3.connect(path)
    # Django's REGEXP, which some CHECK constraints use (integrity_check evaluates them).
    con.create_function("REGEXP", 2, lambda p, s: s is not None and re.search(p, s) is not None)
    try:
        assert con.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        con.close()


def serving_again(cluster: PrivatePostgres, timeout: float = 60) -> bool:
    """Wait until the cluster accepts connections, starting it if it stopped (a write-ahead
    log it could not extend stops it, at once or after a failed crash recovery). Returns
    whether it had to be started."""
    started = False
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not cluster.running():
            cluster.start()
            started = True
        try:
            pg_admin(cluster.url(), "SELECT 1")
            return started
        except Exception:
            time.sleep(0.2)
    raise AssertionError(f"the cluster did not come back:\n{cluster.log_file.read_text()}")


@pytest.mark.skipif(not initdb_available(), reason="needs root and PostgreSQL 15's initdb")
def test_postgresql_disk_full_while_writing_roll_calls(tmp_path: Path) -> None:
    """A private cluster whose whole data directory is on a tmpfs, shrunk to a few MB
    above what it holds once the world is loaded. PostgreSQL then fails the writes that
    need space, or stops on a write-ahead log it cannot extend; the server answers 503
    meanwhile. The disk grows again (and the cluster is started if it stopped): the
    clients' retries go through and nothing acknowledged is missing."""
    try:
        disk = Tmpfs(1024 * 2**20)
    except PermissionError as e:
        pytest.skip(f"cannot mount a tmpfs here: {e}")
    cluster: PrivatePostgres | None = None
    server: Gunicorn | None = None
    try:
        cluster = PrivatePostgres(data_dir=str(disk.path / "data"))
        cluster.start()
        env = pg_env(cluster.create_database("faults"))
        world = prepare(env, students=STUDENTS, teachers=4, reuse=False)
        disk.resize(disk.used() + 3 * 2**20)
        server = Gunicorn(env, log_dir=str(tmp_path)).start()
        stats, stop, threads = start_clients(server.port, world, 4, hard_seconds=150)
        try:
            wait_for(lambda: stats.statuses["503"] >= 5, 90, "the disk to fill up")
            full_at = acknowledged(stats)
            disk.resize(1024 * 2**20)
            stopped = serving_again(cluster)
            log = cluster.log_file.read_text(errors="replace")
            print(json.dumps({"cluster_stopped": stopped, "no_space": log.count("No space left")}))
            wait_for(lambda: acknowledged(stats) >= full_at + 20, 60, "the retries to go through")
        finally:
            run = finish(stats, stop, threads)
        assert_survived("postgresql_disk_full", run, server, env, world, 4)
    finally:
        if server is not None:
            server.stop()
        if cluster is not None:
            cluster.remove()
        disk.unmount()
