"""Shared set-up for browser tests: Debian's chromium, driven by Playwright, phone-sized."""

from __future__ import annotations

import os
from typing import Any

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

# The page's writes while "offline" (the offline pages POST to the JSON API).
API_WRITES = "**/api/v1/**"


def network_down(context: Any) -> None:
    """Cut the phone's network. Chromium's offline emulation alone has let a request of
    a document just opened from the service worker through (seen once in CI): the API is
    also refused at the request level, as a dead network would."""
    context.route(API_WRITES, lambda route: route.abort("internetdisconnected"))
    context.set_offline(True)


def network_up(context: Any) -> None:
    context.set_offline(False)
    context.unroute(API_WRITES)
