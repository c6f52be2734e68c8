"""Real servers for the reliability tests and bench/load.py, all on 127.0.0.1: gunicorn
serving dentruong as production does, a private PostgreSQL cluster that a test may
restart, and a small tmpfs that a test may fill. Each helper ends only what it started
(by process id or its own process group) and cleans up in `close()`/`stop()`.

Production layouts (Makefile `serve`, docs/decisions/0002): on SQLite one gunicorn process
with 8 threads (a single writer); on PostgreSQL 2 sync worker processes, one per core (the
layout bench/attendance.py measures as "gunicorn_sync_2_workers").
"""

from __future__ import annotations

import http.client
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.attendance import GUNICORN, PYTHON, ROOT, SERVERS, free_port

# The server's clock (bench/attendance.py's app factory moves it with time_machine): a
# Friday late in term 1 of the demo's school year, whatever day the tests run.
CLOCK = "2026-12-18T07:00:00+07:00"
SERVE_OPTIONS = {
    "sqlite": SERVERS["gunicorn_gthread_1_worker_8_threads"],
    "postgresql": SERVERS["gunicorn_sync_2_workers"],
}
PG_BIN = Path("/usr/lib/postgresql/15/bin")


def base_env() -> dict[str, str]:
    """This environment without any database setting, DEBUG off (as in production)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in ("DATABASE_URL", "SQLITE_PATH", "DEBUG", "DJANGO_SETTINGS_MODULE")
    }
    env["PYTHONUNBUFFERED"] = "1"
    return env


def sqlite_env(path: str | Path) -> dict[str, str]:
    return base_env() | {"SQLITE_PATH": str(path)}


def pg_env(url: str) -> dict[str, str]:
    return base_env() | {"DATABASE_URL": url}


def vendor_of(env: dict[str, str]) -> str:
    return "postgresql" if env.get("DATABASE_URL") else "sqlite"


def manage(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    done = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


# --- plain SQL on the server's database (the checks run beside the server) -------------


def query(env: dict[str, str], sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows of one statement, `?` placeholders on either database."""
    if vendor_of(env) == "sqlite":
        con = sqlite3.connect(env["SQLITE_PATH"], timeout=30)
        try:
            return list(con.execute(sql, tuple(params)).fetchall())
        finally:
            con.close()
    import psycopg

    with psycopg.connect(env["DATABASE_URL"], autocommit=True) as conn:
        cur = conn.execute(sql.replace("?", "%s"), tuple(params))  # type: ignore[arg-type]
        return list(cur.fetchall()) if cur.description else []


def pg_admin(url: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(re.sub(r"/[^/]*$", "/postgres", url), autocommit=True) as conn:
        conn.execute(sql)  # type: ignore[arg-type]


def pg_database(url: str, name: str, *, template: str | None = None) -> str:
    """A fresh database `name` beside `url` (a copy of `template` if given); its URL."""
    pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    pg_admin(url, f'CREATE DATABASE "{name}"' + (f' TEMPLATE "{template}"' if template else ""))
    return re.sub(r"/[^/]*$", f"/{name}", url)


def pg_drop(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    pg_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_copy(source: str | Path, target: str | Path) -> None:
    """A consistent copy of a SQLite database (the online backup API, WAL included)."""
    src = sqlite3.connect(str(source))
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


# --- gunicorn ----------------------------------------------------------------------------


class Gunicorn:
    """dentruong under gunicorn on 127.0.0.1:`port`, in its own process group so that
    `kill()` (SIGKILL to master and workers at once: a power cut for the app) and `stop()`
    reach exactly the processes it started. `start()` again brings it back on the same
    port; the log of every start is kept in `log_path`."""

    def __init__(
        self,
        env: dict[str, str],
        *,
        options: Sequence[str] | None = None,
        port: int | None = None,
        clock: str | None = CLOCK,
        log_dir: str | None = None,
    ) -> None:
        self.env = dict(env)
        if clock:
            self.env["BENCH_CLOCK"] = clock
        self.options = list(options or SERVE_OPTIONS[vendor_of(env)])
        self.port = port or free_port()
        self.log_path = Path(log_dir or tempfile.mkdtemp(prefix="gunicorn_")) / "gunicorn.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, wait: float = 60) -> Gunicorn:
        with open(self.log_path, "ab") as log:
            self.proc = subprocess.Popen(
                [
                    GUNICORN,
                    "bench.attendance:server_app()",
                    "--chdir",
                    str(ROOT),
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--log-level",
                    "warning",
                    "--timeout",
                    "120",
                    "--graceful-timeout",
                    "5",
                    *self.options,
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited ({self.proc.returncode}):\n{self.log()}")
            if self.answers():
                return self
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"gunicorn did not answer within {wait} s:\n{self.log()}")

    def answers(self) -> bool:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=5)
            conn.request("GET", "/login/")
            ok = conn.getresponse().status == 200
            conn.close()
            return ok
        except OSError:
            return False

    def _signal(self, sig: int) -> None:
        if self.proc is not None and self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, sig)  # the group this object started (its session)
            except ProcessLookupError:
                pass

    def kill(self) -> None:
        """SIGKILL to the master and every worker: nothing gets to clean up."""
        self._signal(signal.SIGKILL)
        if self.proc is not None:
            self.proc.wait(timeout=30)
        self._wait_port_free()

    def stop(self) -> None:
        self._signal(signal.SIGTERM)
        if self.proc is not None:
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._signal(signal.SIGKILL)
                self.proc.wait(timeout=30)
        # Workers of a killed master die on their own; make sure none is left behind.
        self._signal(signal.SIGKILL)

    def _wait_port_free(self) -> None:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and self.answers():
            time.sleep(0.05)

    def log(self) -> str:
        try:
            return self.log_path.read_text(errors="replace")
        except OSError:
            return ""

    def tracebacks(self) -> int:
        return self.log().count("Traceback (most recent call last)")


# --- a private PostgreSQL cluster ----------------------------------------------------------


def initdb_available() -> bool:
    return (PG_BIN / "initdb").exists() and shutil.which("runuser") is not None and os.getuid() == 0


class PrivatePostgres:
    """A throwaway cluster under a temporary directory owned by the postgres user, on a
    free port of 127.0.0.1, trust authentication. Never the machine's shared server.
    `remove()` stops it (immediate) and deletes the directory, whatever happened."""

    def __init__(self, *, data_dir: str | None = None) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="pg_private_"))
        self.data = Path(data_dir) if data_dir else self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log_file = self.root / "postgres.log"
        self.port = free_port()
        self.socket_dir.mkdir()
        self.data.mkdir(exist_ok=True)
        shutil.chown(self.root, "postgres", "postgres")
        shutil.chown(self.socket_dir, "postgres", "postgres")
        shutil.chown(self.data, "postgres", "postgres")
        os.chmod(self.data, 0o700)
        self._as_postgres(
            str(PG_BIN / "initdb"),
            "-D",
            str(self.data),
            "-U",
            "postgres",
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
        )

    def _as_postgres(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        done = subprocess.run(
            ["runuser", "-u", "postgres", "--", *args],
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check and done.returncode != 0:
            raise RuntimeError(f"{' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done

    def _pg_ctl(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        return self._as_postgres(str(PG_BIN / "pg_ctl"), "-D", str(self.data), *args, check=check)

    def start(self) -> PrivatePostgres:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1 "
            "-c max_connections=60 -c shared_buffers=32MB"
        )
        self._pg_ctl("-o", options, "-l", str(self.log_file), "-w", "-t", "60", "start")
        return self

    def restart(self) -> None:
        """A fast shutdown (open connections are cut, transactions roll back) and start."""
        # -l again: without it the new postmaster would write into (and hold) our pipe.
        self._pg_ctl("-m", "fast", "-l", str(self.log_file), "-w", "-t", "60", "restart")

    def stop(self, mode: str = "fast") -> None:
        self._pg_ctl("-m", mode, "-w", "-t", "60", "stop", check=False)

    def running(self) -> bool:
        return self._pg_ctl("status", check=False).returncode == 0

    def url(self, db: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{db}"

    def create_database(self, name: str) -> str:
        pg_admin(self.url(), f'CREATE DATABASE "{name}"')
        return self.url(name)

    def remove(self) -> None:
        if (self.data / "postmaster.pid").exists():
            self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


# --- a small file system -------------------------------------------------------------------


class Tmpfs:
    """A tmpfs of `size` bytes mounted on a new temporary directory (root only)."""

    def __init__(self, size: int) -> None:
        self.path = Path(tempfile.mkdtemp(prefix="tmpfs_"))
        self.mounted = False
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs", str(self.path)],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            self.path.rmdir()
            raise PermissionError(done.stderr.strip() or "mount refused")
        self.mounted = True

    def resize(self, size: int) -> None:
        subprocess.run(
            ["mount", "-o", f"remount,size={size}", str(self.path)], check=True, capture_output=True
        )

    def free(self) -> int:
        stat = os.statvfs(self.path)
        return stat.f_bavail * stat.f_frsize

    def used(self) -> int:
        stat = os.statvfs(self.path)
        return (stat.f_blocks - stat.f_bfree) * stat.f_frsize

    def unmount(self) -> None:
        if self.mounted:
            subprocess.run(["umount", "-l", str(self.path)], check=False, capture_output=True)
            self.mounted = False
        shutil.rmtree(self.path, ignore_errors=True)
