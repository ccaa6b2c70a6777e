"""Exponential moving average of a model's weights."""

from __future__ import annotations

import copy
from typing import Any

import torch
from torch import nn


class EMA:
    """A frozen copy of ``model`` whose weights follow an exponential moving average.

    ``ema = decay * ema + (1 - decay) * weights`` after each :meth:`update`; the
    decay ramps up as ``min(decay, (1 + n) / (10 + n))`` over the first updates so
    that the average does not remember the random initialization. Floating-point
    buffers (BatchNorm running statistics) are averaged too, as in timm's
    ``ModelEmaV2``, so the statistics match the averaged weights; integer buffers
    are copied.

    Args:
        model: the model being trained (unwrapped, not DDP or compiled).
        decay: the decay, e.g. 0.999.
    """

    def __init__(self, model: nn.Module, decay: float) -> None:
        self.module = copy.deepcopy(model).eval().requires_grad_(False)
        self.decay = decay
        self.updates = 0

    @torch.no_grad()
    def update(self, model: nn.Module) -> None:
        """Move the average towards the current weights of ``model``."""
        self.updates += 1
        d = min(self.decay, (1 + self.updates) / (10 + self.updates))
        ema_t, cur_t = [], []
        for e, c in zip(self.module.state_dict().values(), model.state_dict().values()):
            if e.is_floating_point():
                ema_t.append(e)
                cur_t.append(c.detach())
            else:
                e.copy_(c)  # counters such as BatchNorm's num_batches_tracked
        torch._foreach_lerp_(ema_t, cur_t, 1 - d)

    def state_dict(self) -> dict[str, Any]:
        return {"module": self.module.state_dict(), "updates": self.updates, "decay": self.decay}

    def load_state_dict(self, state: dict[str, Any]) -> None:
        self.module.load_state_dict(state["module"])
        self.updates = int(state["updates"])
