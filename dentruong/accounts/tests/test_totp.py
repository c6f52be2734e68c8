"""The TOTP module against RFC 4226 / RFC 6238 test vectors, and the QR code matrix."""

from __future__ import annotations

import importlib
from types import SimpleNamespace

import pytest
from django.db import connection

from dentruong.accounts import qr, totp
from dentruong.accounts.models import TOTPDevice
from dentruong.lib import crypto
from tests.cast import TOTP_SECRET, Cast

RFC4226_KEY = b"12345678901234567890"
RFC4226_CODES = [
    "755224",
    "287082",
    "359152",
    "969429",
    "338314",
    "254676",
    "287922",
    "162583",
    "399871",
    "520489",
]
# RFC 6238 appendix B: the seed is repeated to the digest's length.
SEEDS = {
    "sha1": b"12345678901234567890",
    "sha256": b"12345678901234567890123456789012",
    "sha512": b"1234567890123456789012345678901234567890123456789012345678901234",
}
RFC6238 = [
    (59, "94287082", "46119246", "90693936"),
    (1111111109, "07081804", "68084774", "25091201"),
    (1111111111, "14050471", "67062674", "99943326"),
    (1234567890, "89005924", "91819424", "93441116"),
    (2000000000, "69279037", "90698825", "38618901"),
    (20000000000, "65353130", "77737706", "47863826"),
]


@pytest.mark.parametrize("counter", range(10))
def test_hotp_rfc4226_vectors(counter: int) -> None:
    assert totp.hotp(RFC4226_KEY, counter) == RFC4226_CODES[counter]


@pytest.mark.parametrize(("at", "sha1", "sha256", "sha512"), RFC6238)
def test_totp_rfc6238_vectors(at: int, sha1: str, sha256: str, sha512: str) -> None:
    for digest, expected in (("sha1", sha1), ("sha256", sha256), ("sha512", sha512)):
        assert totp.totp(SEEDS[digest], at, digits=8, digest=digest) == expected


def test_six_digits_are_the_last_six_of_eight() -> None:
    assert totp.totp(SEEDS["sha1"], 1111111109) == "081804"


def test_match_step_allows_one_step_of_drift_either_way() -> None:
    key, at = SEEDS["sha1"], 1111111111.0
    now = totp.time_step(at)
    for step in (now - 1, now, now + 1):
        assert totp.match_step(key, totp.hotp(key, step), at) == step
    for step in (now - 2, now + 2):
        assert totp.match_step(key, totp.hotp(key, step), at) is None


def test_match_step_refuses_the_last_used_step_and_older() -> None:
    key, at = SEEDS["sha1"], 1111111111.0
    now = totp.time_step(at)
    code = totp.hotp(key, now)
    assert totp.match_step(key, code, at, after_step=now - 1) == now
    assert totp.match_step(key, code, at, after_step=now) is None  # replay
    assert totp.match_step(key, totp.hotp(key, now - 1), at, after_step=now) is None


def test_match_step_forgives_spaces_and_refuses_garbage() -> None:
    key, at = SEEDS["sha1"], 59.0
    code = totp.totp(key, at)
    assert totp.match_step(key, f"{code[:3]} {code[3:]}", at) is not None
    assert totp.match_step(key, "12345", at) is None
    assert totp.match_step(key, "abcdef", at) is None
    assert totp.match_step(key, "", at) is None


def test_secret_round_trip_and_display() -> None:
    secret = totp.new_secret()
    assert len(totp.secret_bytes(secret)) == totp.SECRET_BYTES
    assert len(secret) == 32 and set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
    assert totp.secret_bytes(totp.grouped(secret).lower()) == totp.secret_bytes(secret)
    assert totp.grouped("JBSWY3DPEHPK3PXP") == "JBSW Y3DP EHPK 3PXP"
    assert totp.new_secret() != secret


def test_otpauth_uri() -> None:
    uri = totp.otpauth_uri("JBSWY3DPEHPK3PXP", account="cuc", issuer="Đến Trường")
    assert uri.startswith("otpauth://totp/%C4%90%E1%BA%BFn%20Tr%C6%B0%E1%BB%9Dng:cuc?")
    assert "secret=JBSWY3DPEHPK3PXP" in uri
    assert "algorithm=SHA1&digits=6&period=30" in uri


def test_qr_matrix_has_the_finder_patterns() -> None:
    modules = qr.matrix("otpauth://totp/x:y?secret=JBSWY3DPEHPK3PXP")
    size = len(modules)
    assert (size - 17) % 4 == 0 and all(len(row) == size for row in modules)
    finder = [
        [True] * 7,
        [True, False, False, False, False, False, True],
        [True, False, True, True, True, False, True],
        [True, False, True, True, True, False, True],
        [True, False, True, True, True, False, True],
        [True, False, False, False, False, False, True],
        [True] * 7,
    ]
    for top, left in ((0, 0), (0, size - 7), (size - 7, 0)):
        assert [row[left : left + 7] for row in modules[top : top + 7]] == finder


def test_qr_svg_has_no_inline_style() -> None:
    svg = qr.svg("otpauth://totp/x:y?secret=A", label='a "key"')
    assert svg.startswith("<svg") and "style=" not in svg and "<script" not in svg
    assert "&quot;key&quot;" in svg


# --- the secret at rest --------------------------------------------------------------------


def stored_secret(device: TOTPDevice) -> str:
    table = connection.ops.quote_name(TOTPDevice._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT secret FROM {table} WHERE id = %s", [device.pk])
        return str(cursor.fetchone()[0])


def test_the_secret_is_encrypted_at_rest(cast: Cast) -> None:
    device = TOTPDevice.objects.get(user=cast.commune_officer)
    raw = stored_secret(device)
    assert crypto.is_encrypted(raw) and TOTP_SECRET not in raw
    assert device.secret == TOTP_SECRET


def test_the_migration_encrypts_secrets_stored_before(cast: Cast) -> None:
    from django.apps import apps

    migration = importlib.import_module("dentruong.accounts.migrations.0004_totp_secret_encrypted")
    device = TOTPDevice.objects.get(user=cast.commune_officer)
    table = connection.ops.quote_name(TOTPDevice._meta.db_table)
    with connection.cursor() as cursor:  # as it was stored before
        cursor.execute(f"UPDATE {table} SET secret = %s WHERE id = %s", [TOTP_SECRET, device.pk])
    editor = SimpleNamespace(connection=connection)
    migration.encrypt_secrets(apps, editor)
    migration.encrypt_secrets(apps, editor)  # twice: encrypted values are left alone
    assert crypto.is_encrypted(stored_secret(device))
    assert TOTPDevice.objects.get(pk=device.pk).secret == TOTP_SECRET
