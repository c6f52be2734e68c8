from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, sync_playwright

from tests.browser import CHROMIUM, FLAGS, api_down


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    """One Debian chromium for every browser test of the run."""
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        yield b
        b.close()


@pytest.fixture(autouse=True)
def _network_back_up() -> Iterator[None]:
    """A browser test that failed with the network down must not leave it down."""
    yield
    api_down.clear()
