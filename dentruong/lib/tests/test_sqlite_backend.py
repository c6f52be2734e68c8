"""The SQLite backend's in-process write queue (dentruong/lib/sqlite): held from BEGIN to
COMMIT or ROLLBACK (or a close), and a second thread's write transaction waits on it,
then runs. On a database file of its own, as a server uses one (the tests' in-memory
database shares a cache, whose locks behave otherwise)."""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from dentruong.lib.sqlite.base import DatabaseWrapper, _lock_for

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's backend")


@pytest.fixture
def database(tmp_path: Path, django_db_blocker: Any) -> Iterator[dict[str, Any]]:
    django_db_blocker.unblock()  # its own file, not the test database
    settings = {**connection.settings_dict, "NAME": str(tmp_path / "queue.sqlite3")}
    settings["OPTIONS"] = {**settings["OPTIONS"], "timeout": 5}
    setup = DatabaseWrapper(settings, alias="queue")
    with setup.cursor() as cursor:
        cursor.execute("CREATE TABLE t (n integer)")
    setup.close()
    yield settings
    django_db_blocker.restore()


def wrapper(settings: dict[str, Any]) -> DatabaseWrapper:
    return DatabaseWrapper(settings, alias="queue")


def insert(db: DatabaseWrapper, n: int) -> None:
    with db.cursor() as cursor:
        cursor.execute("INSERT INTO t (n) VALUES (%s)", [n])


def rows(settings: dict[str, Any]) -> list[int]:
    db = wrapper(settings)
    with db.cursor() as cursor:
        cursor.execute("SELECT n FROM t ORDER BY n")
        found = [r[0] for r in cursor.fetchall()]
    db.close()
    return found


def test_held_from_begin_to_commit_or_rollback(database: dict[str, Any]) -> None:
    lock = _lock_for(database["NAME"])
    db = wrapper(database)
    db.ensure_connection()
    db._start_transaction_under_autocommit()
    insert(db, 1)
    assert lock.locked()
    db.commit()
    assert not lock.locked()
    db._start_transaction_under_autocommit()
    insert(db, 2)
    db.rollback()
    assert not lock.locked()
    db._start_transaction_under_autocommit()
    db.close()  # a worker dropping a broken connection
    assert not lock.locked()
    assert rows(database) == [1]


def test_a_second_writer_waits_its_turn_then_writes(database: dict[str, Any]) -> None:
    first = wrapper(database)
    first.ensure_connection()
    first._start_transaction_under_autocommit()
    insert(first, 1)
    began = threading.Event()

    def second() -> None:
        db = wrapper(database)
        db.ensure_connection()
        db._start_transaction_under_autocommit()
        began.set()
        insert(db, 2)
        db.commit()
        db.close()

    thread = threading.Thread(target=second)
    thread.start()
    thread.join(0.3)
    assert thread.is_alive() and not began.is_set()  # queued, not failing
    # ... on the queue (its innermost Python frame is ours, blocked in acquire), not in
    # SQLite's busy handler (which would be inside Django's BEGIN).
    waiting = sys._current_frames()[thread.ident or 0]
    assert waiting.f_code.co_filename.endswith(str(Path("lib", "sqlite", "base.py")))
    first.commit()
    thread.join(10)
    assert began.is_set() and not thread.is_alive()
    first.close()
    assert rows(database) == [1, 2]
