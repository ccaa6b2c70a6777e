"""Learning-rate schedules as plain functions of the step: nothing to save but the step."""

from __future__ import annotations

import math


def lr_factor(
    step: int, total_steps: int, *, schedule: str = "cosine", warmup_steps: int = 0, final_fraction: float = 0.0
) -> float:
    """Multiplier of the peak learning rate at optimizer step ``step`` (0-based).

    Args:
        step: optimizer steps taken so far.
        total_steps: optimizer steps of the whole run.
        schedule: "cosine": linear warm-up from 0, then a half cosine down to
            ``final_fraction``; "onecycle": linear warm-up from 1/25 (as
            ``torch.optim.lr_scheduler.OneCycleLR``), then linear down to
            ``final_fraction``; "constant": linear warm-up from 0, then 1.
        warmup_steps: steps of the linear warm-up.
        final_fraction: multiplier at the last step.

    Returns:
        The multiplier, in [0, 1].
    """
    if total_steps <= 0:
        raise ValueError(f"total_steps must be > 0, got {total_steps}")
    step = min(max(step, 0), total_steps)
    start = 1 / 25 if schedule == "onecycle" else 0.0
    if step < warmup_steps:
        # +1: the first step already moves (a zero learning rate would waste it)
        return start + (1 - start) * (step + 1) / warmup_steps
    if schedule == "constant":
        return 1.0
    rest = max(total_steps - warmup_steps, 1)
    t = (step - warmup_steps) / rest  # 0 -> 1 over the decay phase
    if schedule == "cosine":
        return final_fraction + (1 - final_fraction) * 0.5 * (1 + math.cos(math.pi * t))
    if schedule == "onecycle":
        return final_fraction + (1 - final_fraction) * (1 - t)
    raise ValueError(f"unknown schedule {schedule!r}; expected cosine, onecycle or constant")
