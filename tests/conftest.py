"""Suite-wide settings."""

import os

import torch

# `make test` runs two pytest workers on a 2-core machine: one torch thread each keeps them from
# fighting over the cores (measured: an EfficientNetV2-S forward took 50 s with 2 threads per worker
# against 2.5 s with 1 while the other core was busy).
if os.environ.get("PYTEST_XDIST_WORKER"):
    torch.set_num_threads(1)
