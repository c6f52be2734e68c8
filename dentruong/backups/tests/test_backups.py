"""Back up, damage the data, restore: every record is back (SQLite and PostgreSQL)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from dentruong.backups.services import (
    MANIFEST,
    BackupError,
    create_backup,
    restore_backup,
    table_counts,
)
from dentruong.people.models import Guardian, Student
from tests.cast import build_cast

pytestmark = pytest.mark.django_db(transaction=True)


def test_restore_brings_back_every_record(tmp_path: Path) -> None:
    cast = build_cast()
    before = table_counts()
    names = sorted(Student.objects.values_list("national_id", "given_name"))
    manifest = create_backup(folder=tmp_path / "b")
    assert manifest.counts == before
    assert manifest.counts["people_student"] == len(names) > 0
    assert "people" in manifest.migrations

    # Damage: a student's name changed, guardians deleted, a stray student added.
    Student.objects.filter(pk=cast.student.pk).update(given_name="Sai")
    Guardian.objects.all().delete()

    counts = restore_backup(folder=tmp_path / "b")

    assert counts == before
    assert table_counts() == before
    assert sorted(Student.objects.values_list("national_id", "given_name")) == names
    assert Guardian.objects.count() == before["people_guardian"]


def test_a_damaged_backup_is_refused_and_nothing_changes(tmp_path: Path) -> None:
    build_cast()
    manifest = create_backup(folder=tmp_path / "b")
    Guardian.objects.all().delete()
    after_damage = table_counts()
    data = tmp_path / "b" / manifest.file
    data.write_bytes(data.read_bytes()[:-10] + b"0123456789")

    with pytest.raises(BackupError, match="SHA-256"):
        restore_backup(folder=tmp_path / "b")
    assert table_counts() == after_damage


def test_a_backup_of_another_engine_is_refused(tmp_path: Path) -> None:
    build_cast()
    manifest = create_backup(folder=tmp_path / "b")
    meta = json.loads((tmp_path / "b" / MANIFEST).read_text())
    meta["engine"] = "oracle" if manifest.engine != "oracle" else "sqlite"
    (tmp_path / "b" / MANIFEST).write_text(json.dumps(meta))
    with pytest.raises(BackupError, match="cannot be restored"):
        restore_backup(folder=tmp_path / "b")


def test_commands(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    build_cast()
    call_command("backup", "--to", str(tmp_path))
    folder = Path(capsys.readouterr().out.split()[0])
    assert (folder / MANIFEST).is_file()
    with pytest.raises(CommandError, match="--yes"):
        call_command("restore", str(folder))
    with pytest.raises(BackupError, match="already holds a backup"):
        create_backup(folder=folder)
    call_command("restore", str(folder), "--yes")
    assert "restored" in capsys.readouterr().out
    with pytest.raises(CommandError, match="manifest"):
        call_command("restore", str(tmp_path / "nothing-here"), "--yes")
