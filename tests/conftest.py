"""Suite-wide settings."""

import os

import pytest
import torch

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
