"""Feature tests: one intra-op thread for each test."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _one_thread(one_thread):
    """Every feature test runs with the suite's ``one_thread`` fixture."""
