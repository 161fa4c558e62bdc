"""The browser suite's shared fixtures: a server for each test module, and fresh browsers for each
test (the helpers they use are in `harness.py`)."""

import pytest

from harness import Server, browser


@pytest.fixture(scope="module")
def server():
    """A `medloop serve` of the module's own on a fresh database, stopped and removed after it."""
    running = Server()
    yield running
    running.stop()
    running.clean()


@pytest.fixture
def driver():
    """A headless Chromium at phone width, for one test."""
    session = browser()
    yield session
    session.quit()


@pytest.fixture
def second():
    """Another headless Chromium at phone width, for a second person in the same test."""
    session = browser()
    yield session
    session.quit()
