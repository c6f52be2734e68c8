"""Production settings: `manage.py check --deploy` is clean, and the settings refuse to
start with the development key, without a key, with DEBUG, without ALLOWED_HOSTS."""

from __future__ import annotations

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)


def production_env(**overrides: str) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("DJANGO_", "SECURE_", "SESSION_")) and k not in ("DEBUG",)
    }
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY=secrets.token_urlsafe(64),
        ALLOWED_HOSTS="dentruong.example.vn",
        FIELD_ENCRYPTION_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        PYTHONWARNINGS="ignore",
    )
    env.update(overrides)
    return env


def manage(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_is_clean_with_production_settings() -> None:
    done = manage("check", "--deploy", "--fail-level", "WARNING", env=production_env())
    assert done.returncode == 0, done.stdout + done.stderr
    assert "WARNINGS" not in done.stderr and "issues" in done.stdout
    assert "no issues" in done.stdout


def test_production_enforces_https() -> None:
    code = (
        "from django.conf import settings as s;"
        "print(s.SECURE_SSL_REDIRECT, s.SECURE_HSTS_SECONDS, s.SESSION_COOKIE_SECURE,"
        " s.CSRF_COOKIE_SECURE, s.SECURE_HSTS_INCLUDE_SUBDOMAINS,"
        " getattr(s, 'SECURE_PROXY_SSL_HEADER', None))"
    )
    done = manage("shell", "-v", "0", "-c", code, env=production_env())
    assert done.stdout.split() == ["True", "31536000", "True", "True", "True", "None"], done.stderr
    behind_proxy = production_env(SECURE_PROXY_SSL_HEADER="X-Forwarded-Proto")
    done = manage("shell", "-v", "0", "-c", code, env=behind_proxy)
    assert "('HTTP_X_FORWARDED_PROTO', 'https')" in done.stdout, done.stderr


@pytest.mark.parametrize(
    ("overrides", "says"),
    [
        ({"SECRET_KEY": "dev-only-insecure-key-not-for-production"}, "SECRET_KEY"),
        ({"SECRET_KEY": ""}, "SECRET_KEY"),
        ({"SECRET_KEY": "short"}, "SECRET_KEY"),
        ({"DEBUG": "1"}, "DEBUG"),
        ({"ALLOWED_HOSTS": ""}, "ALLOWED_HOSTS"),
        ({"DJANGO_ENV": "", "DENTRUONG_DEV": "0", "SECRET_KEY": ""}, "SECRET_KEY"),
    ],
)
def test_production_refuses_to_start(overrides: dict[str, str], says: str) -> None:
    done = manage("check", env=production_env(**overrides))
    assert done.returncode != 0
    assert "ImproperlyConfigured" in done.stderr and says in done.stderr


def test_development_still_starts_without_a_key() -> None:
    env = production_env(DJANGO_ENV="", SECRET_KEY="", ALLOWED_HOSTS="")
    done = manage("check", env=env)
    assert done.returncode == 0, done.stderr


# What a secret committed by mistake looks like (the development key is not one).
SECRET_PATTERNS = [
    re.compile(r"-----BEGIN (?:RSA |EC |OPENSSH )?PRIVATE KEY-----"),
    re.compile(r"django-insecure-"),
    re.compile(r"\bAKIA[0-9A-Z]{16}\b"),
    re.compile(r"""(?i)\b(?:SECRET_KEY|PASSWORD|TOKEN|API_KEY)\s*=\s*["'][^"'\s]{24,}["']"""),
]
SCANNED = (".py", ".toml", ".txt", ".cfg", ".ini", ".env", ".json", ".yml", ".yaml", ".md")


def test_no_secret_in_the_repository() -> None:
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert not [p for p in listed if Path(p).name in (".env", ".env.production")]
    for name in listed:
        path = ROOT / name
        if path.suffix not in SCANNED or not path.is_file() or "/tests/" in f"/{name}":
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for pattern in SECRET_PATTERNS:
            found = pattern.search(text)
            assert found is None, f"{name}: {found and found.group(0)[:40]}"
