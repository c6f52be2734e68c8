"""Encryption at rest: the scheme (pure), the model field, bulk inserts, the data
migration's helper, key rotation and the system checks."""

from __future__ import annotations

import io
import json

import pytest
from django.core.checks import run_checks
from django.core.exceptions import FieldError
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from dentruong.bulk import insert_rows
from dentruong.imports.services import confirm_import
from dentruong.imports.tests.test_import import preview, tcvn3_file
from dentruong.lib import crypto
from dentruong.people.encryption import reencrypt_columns
from dentruong.people.models import SensitiveFacts, Student
from dentruong.people.services import SENSITIVE_FACT_FIELDS, sensitive_fact_row, update_student
from tests.cast import Cast

KEY_A, KEY_B = crypto.new_key(), crypto.new_key()
CTX = "people.sensitivefacts.poverty"


def ring(*keys: str) -> crypto.Keyring:
    return crypto.Keyring.from_keys([crypto.parse_key(k) for k in keys])


def raw_facts(student_id: int) -> tuple[str, str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT poverty, disability, health_notes FROM people_sensitivefacts "
            "WHERE student_id = %s",
            [student_id],
        )
        row = cursor.fetchone()
    return row[0], row[1], row[2]


# --- the scheme ------------------------------------------------------------------------


def test_round_trip_names_its_key_and_never_repeats() -> None:
    r = ring(KEY_A)
    one, two = r.encrypt("poor", CTX), r.encrypt("poor", CTX)
    assert one != two  # a random nonce per value
    assert one.startswith(f"enc1${crypto.key_id(crypto.parse_key(KEY_A))}$")
    assert "poor" not in one
    assert r.decrypt(one, CTX) == r.decrypt(two, CTX) == "poor"
    assert r.decrypt(r.encrypt("Khiếm thị nhẹ", CTX), CTX) == "Khiếm thị nhẹ"


def test_a_value_opens_only_in_its_own_column_and_unaltered() -> None:
    r = ring(KEY_A)
    stored = r.encrypt("poor", CTX)
    with pytest.raises(crypto.CryptoError):
        r.decrypt(stored, "people.sensitivefacts.disability")
    tampered = stored[:-3] + ("A" if stored[-3] != "A" else "B") + stored[-2:]
    with pytest.raises(crypto.CryptoError):
        r.decrypt(tampered, CTX)
    with pytest.raises(crypto.CryptoError, match="not encrypted"):
        r.decrypt("poor", CTX)


def test_rotation_keyring_reads_old_keys_and_writes_with_the_first() -> None:
    old = ring(KEY_A).encrypt("near_poor", CTX)
    rotated = ring(KEY_B, KEY_A)
    assert rotated.decrypt(old, CTX) == "near_poor"
    assert not rotated.is_current(old)
    assert rotated.is_current(rotated.encrypt("x", CTX))
    with pytest.raises(crypto.CryptoError, match="no key"):
        ring(KEY_B).decrypt(old, CTX)


def test_keys_must_be_32_bytes_of_base64() -> None:
    assert len(crypto.parse_key(KEY_A)) == 32
    assert crypto.parse_key(KEY_A.rstrip("=")) == crypto.parse_key(KEY_A)
    for bad in ("", "short", "!!!!" * 11, crypto.new_key()[:20]):
        with pytest.raises(crypto.InvalidKey):
            crypto.parse_key(bad)


def test_without_keys_the_development_key_comes_from_secret_key() -> None:
    dev = crypto.keyring_for([], "secret-1")
    assert dev.derived
    assert dev.primary == crypto.key_id(crypto.derived_key("secret-1"))
    assert crypto.keyring_for([], "secret-2").primary != dev.primary
    # Once keys are configured, what the development key wrote still opens.
    configured = crypto.keyring_for([KEY_A], "secret-1")
    assert not configured.derived
    assert configured.decrypt(dev.encrypt("poor", CTX), CTX) == "poor"


# --- the model field -------------------------------------------------------------------


def test_orm_writes_ciphertext_and_reads_plain(cast: Cast) -> None:
    update_student(student=cast.student, disability="Khiếm thị nhẹ", health_notes="Hen suyễn")
    poverty, disability, health = raw_facts(cast.student.pk)
    for stored in (poverty, disability, health):
        assert crypto.is_encrypted(stored)
    assert "Khiếm" not in disability and "poor" not in poverty
    facts = SensitiveFacts.objects.get(student=cast.student)
    assert (facts.poverty, facts.disability, facts.health_notes) == (
        "poor",
        "Khiếm thị nhẹ",
        "Hen suyễn",
    )
    assert facts.get_poverty_display() == "Hộ nghèo"
    # values_list runs from_db_value too (risk/history.py, mobilization/selectors.py)
    assert (
        dict(SensitiveFacts.objects.values_list("student_id", "poverty"))[cast.student.pk] == "poor"
    )


def test_encrypted_columns_cannot_be_compared_in_sql(cast: Cast) -> None:
    with pytest.raises(FieldError):
        list(SensitiveFacts.objects.filter(poverty="poor"))
    assert SensitiveFacts.objects.filter(poverty__isnull=False).count() == 3


def test_insert_rows_refuses_plain_text_and_takes_sensitive_fact_rows(cast: Cast) -> None:
    SensitiveFacts.objects.filter(student=cast.student_4a).delete()
    with pytest.raises(ValueError, match="encrypt"):
        insert_rows(SensitiveFacts, SENSITIVE_FACT_FIELDS, [(cast.student_4a.pk, "poor", "", "")])
    assert not SensitiveFacts.objects.filter(student=cast.student_4a).exists()
    row = sensitive_fact_row(student_id=cast.student_4a.pk, poverty="near_poor", disability="Câm")
    insert_rows(SensitiveFacts, SENSITIVE_FACT_FIELDS, [row])
    facts = SensitiveFacts.objects.get(student=cast.student_4a)
    assert (facts.poverty, facts.disability, facts.health_notes) == ("near_poor", "Câm", "")


def test_an_imported_students_facts_are_stored_encrypted(cast: Cast) -> None:
    """Imports write SensitiveFacts with plain-row inserts: still encrypted."""
    confirm_import(batch=preview(cast, tcvn3_file()), user=cast.teacher)
    tu = Student.objects.get(national_id="010218000123")
    raw = raw_facts(tu.pk)
    assert all(crypto.is_encrypted(v) for v in raw)
    assert "none" not in raw[0]
    assert SensitiveFacts.objects.get(student=tu).poverty == "none"


# --- the migration helper and the rotation -----------------------------------------------


def test_plaintext_rows_get_encrypted_by_the_migration_helper(cast: Cast) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE people_sensitivefacts SET poverty = 'near_poor', disability = 'Câm', "
            "health_notes = '' WHERE student_id = %s",
            [cast.student_4a.pk],
        )
    counts = reencrypt_columns(
        connection,
        table="people_sensitivefacts",
        columns=("poverty", "disability", "health_notes"),
        label="people.sensitivefacts",
        plaintext="encrypt",
        batch=2,
    )
    assert (counts.rows, counts.plaintext, counts.values, counts.current) == (3, 3, 3, 6)
    assert all(crypto.is_encrypted(v) for v in raw_facts(cast.student_4a.pk))
    assert SensitiveFacts.objects.get(student=cast.student_4a).disability == "Câm"


def rotate() -> dict[str, object]:
    out = io.StringIO()
    call_command("rotate_encryption_key", "--batch-size", "2", stdout=out)
    report: dict[str, object] = json.loads(out.getvalue())
    return report


def test_rotation_re_encrypts_every_row_once(cast: Cast) -> None:
    update_student(student=cast.student, disability="Khiếm thính")
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        first = rotate()
        tables = first["tables"]
        assert isinstance(tables, dict)
        assert tables["people.sensitivefacts"] == {
            "rows": 3,
            "reencrypted": 9,
            "already_current": 0,
            "plaintext_encrypted": 0,
        }
        assert first["key"] == crypto.key_id(crypto.parse_key(KEY_A))
        again = rotate()["tables"]
        assert isinstance(again, dict)
        assert again["people.sensitivefacts"]["already_current"] == 9  # type: ignore[index]
        assert again["people.sensitivefacts"]["reencrypted"] == 0  # type: ignore[index]
        assert raw_facts(cast.student.pk)[1].startswith(f"enc1${first['key']}$")
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B, KEY_A]):
        assert rotate()["tables"]["people.sensitivefacts"]["reencrypted"] == 9  # type: ignore[index]
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_B]):  # the old key can go now
        assert SensitiveFacts.objects.get(student=cast.student).disability == "Khiếm thính"


def test_new_key_prints_a_usable_key() -> None:
    out = io.StringIO()
    call_command("rotate_encryption_key", "--new-key", stdout=out)
    assert len(crypto.parse_key(out.getvalue().strip())) == 32


# --- system checks -----------------------------------------------------------------------


def ids(deploy: bool) -> set[str]:
    return {m.id for m in run_checks(include_deployment_checks=deploy) if m.id}


def test_check_deploy_refuses_the_development_key() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=[]):
        assert "privacy.E002" in ids(deploy=True)
        assert "privacy.E002" not in ids(deploy=False)
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A]):
        assert "privacy.E002" not in ids(deploy=True)


def test_a_malformed_key_is_an_error_always() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=["not-a-key"]):
        assert "privacy.E001" in ids(deploy=False)
    with override_settings(FIELD_ENCRYPTION_KEYS=[KEY_A, KEY_B]):
        assert "privacy.E001" not in ids(deploy=False)
