"""Shared set-up for browser tests: Debian's chromium, driven by Playwright, phone-sized."""

from __future__ import annotations

import os

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made there
# by fixtures are still synchronous and safe.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 360, "height": 740}
# As root, without a sandbox; and no background traffic: this machine's network is closed.
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
