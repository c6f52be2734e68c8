"""Django's SQLite backend, with the writers of one process taking turns.

A write transaction here is BEGIN IMMEDIATE (settings): it takes the database's write
lock, or waits for it in SQLite's busy handler, which sleeps between tries (1, 2, 5, …
up to 100 ms). In a server process with threads (gunicorn gthread: `make demo`), a burst
of roll calls then leaves threads asleep while the lock is free: a morning burst of 8
clients measured p95 190 ms, p99 950 ms (bench/attendance.py --workload province,
1 worker × 8 threads). So the threads of a process first queue on a lock of their own,
one per database file, held from BEGIN to COMMIT or ROLLBACK: the next writer starts as
soon as the last one ends. Other processes still meet the busy handler; a thread that
waited the whole busy timeout here goes on to BEGIN and SQLite's own timeout, as before.
"""

from __future__ import annotations

import threading

from django.db.backends.sqlite3 import base

_locks: dict[str, threading.Lock] = {}
_locks_guard = threading.Lock()


def _lock_for(name: str) -> threading.Lock:
    with _locks_guard:
        return _locks.setdefault(name, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    _holds_write_lock = False

    def _write_lock(self) -> threading.Lock | None:
        if getattr(self, "transaction_mode", None) not in ("IMMEDIATE", "EXCLUSIVE"):
            return None  # DEFERRED transactions start as readers: nothing to queue for
        return _lock_for(str(self.settings_dict["NAME"]))

    def _start_transaction_under_autocommit(self) -> None:
        lock = self._write_lock()
        timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
        held = lock is not None and lock.acquire(timeout=timeout)
        try:
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            if held and lock is not None:
                lock.release()
            raise
        self._holds_write_lock = held

    def _release_write_lock(self) -> None:
        if self._holds_write_lock:
            self._holds_write_lock = False
            lock = self._write_lock()
            if lock is not None:
                lock.release()

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release_write_lock()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release_write_lock()
