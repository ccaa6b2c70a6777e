"""Exact sums of float64 values, so streamed and merged metrics equal one-shot ones bit for bit.

A float sum depends on the order of its additions; a metric summed per batch,
per process and then merged would differ from the one-shot value in the last
bits. Here every float64 is split into its integer mantissa and exponent and
the mantissas are added as integers, so the sum is exact: a Python ``int`` in
units of 2**-1074 (the smallest float64). Sums of shards add up to the same
integer in any order, and the final division rounds once, correctly.

The work is vectorised: the bits are read with integer views, the mantissa is
cut in two 26-bit halves and both halves are summed per exponent with
``np.bincount`` (float64 sums of integers below 2**53 are exact, which holds
for up to 2**26 values per call; longer inputs are done in chunks).
"""

from __future__ import annotations

import numpy as np

_N_EXP = 2048  # biased float64 exponents 0..2047 (2047, inf/nan, is rejected upstream)
_CHUNK = 1 << 20  # cache-sized pieces; exactness needs at most 2**26
_HALF = 26
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
    size = n_groups * _N_EXP
    # per (group, exponent): sums of the two halves of the stored mantissa and
    # the count of values (for the implicit leading bit), exact in int64
    acc = np.zeros((3, size), dtype=np.int64)
    for start in range(0, values.size, _CHUNK):
        _add_chunk(values[start : start + _CHUNK], None if groups is None else groups[start : start + _CHUNK], size, acc)
    totals = [0] * n_groups
    s_hi, s_lo, count = (a.reshape(n_groups, _N_EXP) for a in acc)
    count[:, 0] = 0  # exponent 0 (zeros, subnormals) has no implicit bit
    for gi, e in zip(*np.nonzero(s_hi | s_lo | count)):
        mant = (int(s_hi[gi, e]) << _HALF) + int(s_lo[gi, e]) + (int(count[gi, e]) << 52)
        totals[gi] += mant << max(int(e) - 1, 0)
    return totals


def _add_chunk(x: np.ndarray, groups: np.ndarray | None, size: int, acc: np.ndarray) -> None:
    """Add the non-negative ``x`` into ``acc`` (see :func:`exact_sums`)."""
    bits = x.view(np.int64)
    # x = (2**52 * [key > 0] + frac) * 2**(max(key, 1) - 1) units of 2**-1074
    key = bits >> 52
    frac = bits & ((1 << 52) - 1)
    hi = (frac >> _HALF).astype(np.float64)
    frac &= (1 << _HALF) - 1
    lo = frac.astype(np.float64)
    if groups is not None:
        key += groups * _N_EXP
    acc[0] += np.bincount(key, weights=hi, minlength=size).astype(np.int64)
    acc[1] += np.bincount(key, weights=lo, minlength=size).astype(np.int64)
    acc[2] += np.bincount(key, minlength=size)


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
