"""Suite-wide settings."""

import os

import pytest
import torch
from hypothesis import settings

# Property tests draw the same examples on every run (CI included): a failure found once is found
# again, and a green run is not luck. Set HYPOTHESIS_PROFILE=explore to draw new examples.
settings.register_profile("ci", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# `make test` runs two pytest workers on a 2-core machine: one torch thread each keeps them from
# fighting over the cores (measured: an EfficientNetV2-S forward took 50 s with 2 threads per worker
# against 2.5 s with 1 while the other core was busy).
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)


@pytest.fixture
def one_thread():
    """One intra-op thread for a test, restored after: tiny ops on a shared 2-core machine are faster
    without thread barriers (this also holds when the suite runs in a single process)."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
