"""Exact sums of float64 values, so streamed and merged metrics equal one-shot ones bit for bit.

A float sum depends on the order of its additions; a metric summed per batch,
per process and then merged would differ from the one-shot value in the last
bits. Here every float64 is split into its integer mantissa and exponent and
the mantissas are added as integers, so the sum is exact: a Python ``int`` in
units of 2**-1074 (the smallest float64). Sums of shards add up to the same
integer in any order, and the final division rounds once, correctly.

The work is vectorised. Each value x is split, exactly, into ``hi`` (x with
the low 26 bits of its mantissa cleared, an integer view and a mask) and
``lo = x - hi``; both are summed per exponent of x with ``np.bincount``. Within
one exponent every ``hi`` is a multiple of the same power of two and below
2**27 of those units, every ``lo`` below 2**26 of a 26-times smaller unit, so
up to 2**26 of them add up in float64 without any rounding; longer inputs are
summed in rounds of 2**26. The per-exponent sums are then converted to exact
integers. Runs of equal exponents are spread over 8 interleaved bins per
exponent so the additions inside ``bincount`` do not wait on each other.
"""

from __future__ import annotations

import numpy as np

_N_EXP = 2048  # biased float64 exponents 0..2047 (2047, inf/nan, is rejected upstream)
_CHUNK = 1 << 16  # cache-sized pieces: fresh large temporaries cost page faults
_HALF = 26  # bits of the mantissa in lo
_HIGH_MASK = ~((1 << _HALF) - 1)
_MAX_EXACT = 1 << 26  # values per float64 accumulator (see the module notes)
_LANES = 8
_LANE_IDS = np.arange(_CHUNK, dtype=np.int64) % _LANES
_LIMB_BITS = 32
N_LIMBS = 70  # 70 * 32 bits cover 2**-1074 .. 2**1024 * 2**(64+)


def exact_sums(values: np.ndarray, groups: np.ndarray | None = None, n_groups: int = 1) -> list[int]:
    """Exact sums of finite float64 ``values`` per group, in units of 2**-1074.

    Args:
        values: (N,) finite floats (cast to float64).
        groups: (N,) ints in [0, n_groups), or None for one group.
        n_groups: number of groups.

    Returns:
        ``n_groups`` Python ints; ``total / 2**1074`` is the exact sum.
    """
    values = np.ascontiguousarray(values, dtype=np.float64).ravel()
    if groups is not None:
        groups = np.asarray(groups, dtype=np.int64).ravel()
    negative = np.signbit(values)
    if negative.any():  # rare: sum the magnitudes of both signs apart
        pos = exact_sums(values[~negative], None if groups is None else groups[~negative], n_groups)
        neg = exact_sums(-values[negative], None if groups is None else groups[negative], n_groups)
        return [p - q for p, q in zip(pos, neg)]
    # one ungrouped sum: 8 interleaved accumulators per exponent, so that runs of
    # values with the same exponent do not wait on one another inside bincount
    lanes = _LANES if n_groups == 1 else 1
    size = n_groups * _N_EXP * lanes
    totals = [0] * n_groups
    for big in range(0, values.size, _MAX_EXACT):
        # float64 sums per (group, exponent, lane) of the high and low halves: exact (see module notes)
        acc = np.zeros((2, size))
        for start in range(big, min(big + _MAX_EXACT, values.size), _CHUNK):
            stop = min(start + _CHUNK, big + _MAX_EXACT, values.size)
            _add_chunk(values[start:stop], None if groups is None else groups[start:stop], size, lanes, acc)
        sums = acc.reshape(2, n_groups, _N_EXP, lanes).sum(axis=-1)  # still exact: at most 2**26 values
        for half, gi, e in zip(*np.nonzero(sums)):
            totals[gi] += _units(float(sums[half, gi, e]))
    return totals


def _units(v: float) -> int:
    """A float64 multiple of 2**-1074 as the exact integer v * 2**1074."""
    num, den = v.as_integer_ratio()  # den is a power of two <= 2**1074
    return num * ((1 << 1074) // den)


def _add_chunk(x: np.ndarray, groups: np.ndarray | None, size: int, lanes: int, acc: np.ndarray) -> None:
    """Add the non-negative ``x`` into ``acc`` (see :func:`exact_sums`)."""
    bits = x.view(np.int64)
    if lanes == 1:
        key = bits >> 52  # the biased exponent
    else:  # exponent * 8 + lane
        key = bits >> 49
        key &= ~7
        key |= _LANE_IDS[: x.size]
    if groups is not None:
        key += groups * (_N_EXP * lanes)
    hi = (bits & _HIGH_MASK).view(np.float64)  # x with the low 26 mantissa bits cleared
    lo = x - hi  # exact: the low 26 bits
    acc[0] += np.bincount(key, weights=hi, minlength=size)
    acc[1] += np.bincount(key, weights=lo, minlength=size)


def to_float(total: int, denominator: int = 1) -> float:
    """``total * 2**-1074 / denominator`` rounded once to the nearest float64."""
    if denominator == 0:
        raise ZeroDivisionError("exact sum divided by zero")
    return total / (denominator << 1074)


def to_limbs(totals: list[int]) -> np.ndarray:
    """Exact sums as an (n, N_LIMBS) int64 array of 32-bit digits (two's complement top digit).

    Digit arrays of several processes can be added element-wise (an all-reduce)
    and turned back with :func:`from_limbs` without any loss.
    """
    out = np.zeros((len(totals), N_LIMBS), dtype=np.int64)
    mask = (1 << _LIMB_BITS) - 1
    for i, t in enumerate(totals):
        for j in range(N_LIMBS - 1):
            out[i, j] = (t >> (_LIMB_BITS * j)) & mask
        top = t >> (_LIMB_BITS * (N_LIMBS - 1))
        if not -(1 << 62) <= top < (1 << 62):
            raise OverflowError("exact sum out of range")
        out[i, -1] = top
    return out


def from_limbs(limbs: np.ndarray) -> list[int]:
    """Inverse of :func:`to_limbs` (digits may exceed 32 bits after an addition)."""
    limbs = np.asarray(limbs, dtype=np.int64).reshape(-1, N_LIMBS)
    return [sum(int(v) << (_LIMB_BITS * j) for j, v in enumerate(row)) for row in limbs]
