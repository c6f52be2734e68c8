"""Backup and restore of the whole database, online, with a manifest to check against.

- SQLite: the online backup API (`sqlite3.Connection.backup`) copies a consistent
  snapshot while the server keeps serving (WAL readers and the writer are not stopped);
  the copy is checked with `PRAGMA integrity_check` before it counts as a backup.
- PostgreSQL: `pg_dump --format=custom` (a consistent snapshot by itself), restored with
  `pg_restore --clean --if-exists --no-owner` into the configured database.

Every backup is a directory holding the data file and `manifest.json`: when, which
engine, the applied migrations, the row count of every table and the file's SHA-256.
`restore_backup` refuses a file whose hash does not match, and after restoring compares
every table's row count with the manifest: a restore that lost a row is an error.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import connection, connections
from django.db.migrations.recorder import MigrationRecorder
from django.utils import timezone

MANIFEST = "manifest.json"
SQLITE_FILE = "db.sqlite3"
PG_FILE = "db.pgdump"


class BackupError(Exception):
    """A backup or restore that cannot be trusted; nothing was replaced."""


@dataclass(frozen=True)
class Manifest:
    created_at: str
    engine: str
    database: str
    file: str
    sha256: str
    migrations: dict[str, str]
    counts: dict[str, int]

    @classmethod
    def read(cls, folder: Path) -> Manifest:
        try:
            data = json.loads((folder / MANIFEST).read_text(encoding="utf-8"))
            return cls(**data)
        except (OSError, ValueError, TypeError) as error:
            raise BackupError(f"{folder}: no readable {MANIFEST} ({error})") from None


def table_counts(alias: str = "default") -> dict[str, int]:
    """Row count of every table of the database (Django's and ours)."""
    conn = connections[alias]
    with conn.cursor() as cursor:
        tables = sorted(conn.introspection.table_names(cursor))
        return {
            table: int(
                cursor.execute(f"SELECT COUNT(*) FROM {conn.ops.quote_name(table)}").fetchone()[0]
            )
            for table in tables
        }


def _migrations(alias: str) -> dict[str, str]:
    """The last migration applied per app."""
    applied: dict[str, str] = {}
    for app, name in MigrationRecorder(connections[alias]).applied_migrations():
        applied[app] = max(applied.get(app, ""), name)
    return dict(sorted(applied.items()))


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _regexp(pattern: str | None, value: str | None) -> bool:
    return pattern is not None and value is not None and re.search(pattern, value) is not None


def _pg_env(settings: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    args = ["--dbname", settings["NAME"]]
    if settings.get("HOST"):
        args += ["--host", str(settings["HOST"])]
    if settings.get("PORT"):
        args += ["--port", str(settings["PORT"])]
    if settings.get("USER"):
        args += ["--username", str(settings["USER"])]
    env = dict(os.environ)
    if settings.get("PASSWORD"):
        env["PGPASSWORD"] = str(settings["PASSWORD"])
    return args, env


def _run(command: list[str], env: dict[str, str]) -> None:
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed ({done.returncode}): {done.stderr.strip()}")


def create_backup(*, folder: Path, alias: str = "default") -> Manifest:
    """Write a backup of the database into `folder` (created; must not hold a backup)."""
    conn = connections[alias]
    folder.mkdir(parents=True, exist_ok=True)
    if (folder / MANIFEST).exists():
        raise BackupError(f"{folder} already holds a backup")
    counts = table_counts(alias)  # before the copy: rows written since are a bonus
    if conn.vendor == "sqlite":
        target = folder / SQLITE_FILE
        conn.ensure_connection()
        with sqlite3.connect(target) as copy:
            conn.connection.backup(copy)
        with sqlite3.connect(target) as copy:
            # CHECK constraints use Django's REGEXP function (e.g. E.164 phones).
            copy.create_function("REGEXP", 2, _regexp, deterministic=True)
            status = copy.execute("PRAGMA integrity_check").fetchone()[0]
        copy.close()
        if status != "ok":
            target.unlink()
            raise BackupError(f"the copy failed its integrity check: {status}")
    elif conn.vendor == "postgresql":
        target = folder / PG_FILE
        args, env = _pg_env(conn.settings_dict)
        _run(["pg_dump", "--format=custom", "--no-owner", "--file", str(target), *args], env)
    else:
        raise BackupError(f"no backup for the {conn.vendor} engine")
    manifest = Manifest(
        created_at=timezone.now().isoformat(timespec="seconds"),
        engine=conn.vendor,
        database=str(conn.settings_dict["NAME"]),
        file=target.name,
        sha256=_sha256(target),
        migrations=_migrations(alias),
        counts=counts,
    )
    (folder / MANIFEST).write_text(
        json.dumps(manifest.__dict__, indent=2, ensure_ascii=False), encoding="utf-8"
    )
    return manifest


def restore_backup(*, folder: Path, alias: str = "default") -> dict[str, int]:
    """Replace the database's content with the backup in `folder`; return the counts.

    Refused before anything changes when the manifest or the file's hash is wrong, or
    the engine differs. After the restore, every table must hold at least the rows the
    manifest counted (a backup taken online may hold rows written during the copy)."""
    manifest = Manifest.read(folder)
    conn = connections[alias]
    source = folder / manifest.file
    if not source.is_file():
        raise BackupError(f"{source} is missing")
    if _sha256(source) != manifest.sha256:
        raise BackupError(f"{source} does not match its manifest (SHA-256): damaged?")
    if manifest.engine != conn.vendor:
        raise BackupError(f"a {manifest.engine} backup cannot be restored into {conn.vendor}")
    if conn.vendor == "sqlite":
        conn.close()
        conn.ensure_connection()
        with sqlite3.connect(f"file:{source}?mode=ro", uri=True) as backup:
            backup.backup(conn.connection)
    else:
        args, env = _pg_env(conn.settings_dict)
        conn.close()
        _run(
            ["pg_restore", "--clean", "--if-exists", "--no-owner", "--single-transaction"]
            + args
            + [str(source)],
            env,
        )
    counts = table_counts(alias)
    short = {
        table: (expected, counts.get(table, 0))
        for table, expected in manifest.counts.items()
        if counts.get(table, 0) < expected
    }
    if short:
        raise BackupError(f"restored tables hold fewer rows than the backup: {short}")
    return counts


def default_folder(root: Path) -> Path:
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    return root / f"dentruong-{connection.vendor}-{stamp}"
