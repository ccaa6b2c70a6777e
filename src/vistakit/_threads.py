"""CPU thread policy: share the machine gracefully (bounded OpenMP spin-waiting, threads from the CPU available).

PyTorch's CPU kernels (ATen, MKL, oneDNN) run on one OpenMP team of
``torch.get_num_threads()`` threads. At the end of every parallel region a thread
that finished its share waits for the others; GNU OpenMP (the runtime in PyTorch's
pip wheels) busy-waits ("spins") for ``GOMP_SPINCOUNT`` iterations before sleeping,
300,000 by default (its own estimate: 3 ms). On an idle machine that is harmless.
Beside another CPU-heavy process it is a collapse: the descheduled thread of the team
makes every other thread spin for milliseconds at every one of the hundreds of
regions of a training step, and a thread that spins never sleeps, so the scheduler
does not favour it when its turn comes. ``vistakit train --recipe fast`` beside one
``while True: pass`` on a 2-core machine fell about 50x (see
``benchmarks/contention.py`` for the measurement and the fix).

The policy here, applied by the command line before PyTorch is imported and
available to scripts as :func:`share_cpu`:

* bounded spinning: ``GOMP_SPINCOUNT`` (GNU OpenMP) and ``KMP_BLOCKTIME`` (Intel
  OpenMP) from :data:`OPENMP_WAIT_ENV`, unless the environment already sets them or
  ``OMP_WAIT_POLICY``; a waiting thread sleeps after a few microseconds;
* the thread count from the CPU this process may actually use: its affinity mask
  (``os.sched_getaffinity``), the cgroup CPU quota (``cpu.max`` or
  ``cpu.cfs_quota_us``), less the CPUs other processes keep busy (sampled from
  ``/proc/stat`` at start, then followed by :func:`retune_threads`, which a training
  loop calls every step), unless ``OMP_NUM_THREADS`` is set.

OpenMP reads its environment once, when the runtime is loaded (at ``import
torch``): the wait settings must be in ``os.environ`` before that. This module
imports nothing of PyTorch at import time, so ``vistakit.share_cpu()`` can be the
first line of a script.
"""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from collections.abc import Callable, Collection, MutableMapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

# GOMP_SPINCOUNT counts pause-instruction loops: libgomp's default is 300,000 ("3 ms"),
# and it drops to 100 itself only when it sees more of its threads than CPUs in the
# affinity mask, which another process's load never triggers. KMP_BLOCKTIME is Intel
# OpenMP's equivalent in milliseconds (default 200). Measured with benchmarks/contention.py
# (2 threads, fast recipe, 2-core EPYC, 2026-12-08): beside a hog on the busy machine the
# default gave 338-702 images/s, 10,000 1,111, 3,000 1,527, 1,000 2,960-3,107. Alone, 1,000
# costs about 5% on the idle machine (0.94-1.02 of the default) and 9-12% with the
# benchmark's session boosted over other jobs (10,000: 1.00, 3,000: 0.93): a thread that
# sleeps sooner is woken more often. The protection falls faster than the cost: 1,000.
OPENMP_WAIT_ENV: dict[str, str] = {"GOMP_SPINCOUNT": "1000", "KMP_BLOCKTIME": "0"}
# Any of these set by the user means the user chose a wait policy: leave it.
_WAIT_KEYS = ("OMP_WAIT_POLICY", *OPENMP_WAIT_ENV)

Threads = int | Literal["auto"] | None


@dataclass(frozen=True)
class ThreadPolicy:
    """What :func:`share_cpu` decided.

    Attributes:
        threads: intra-op threads chosen (None: the count was left alone).
        allowed_cpus: CPUs the process may use (affinity mask and cgroup quota).
        busy_elsewhere: CPUs (of the allowed ones) kept busy by other processes when
            sampled; None when not sampled.
        env: OpenMP variables this call put into the environment.
        wait_policy_active: whether the bounded wait is in effect: set before the
            OpenMP runtime was loaded, or chosen by the user's environment.
    """

    threads: int | None
    allowed_cpus: int
    busy_elsewhere: float | None
    env: dict[str, str] = field(default_factory=dict)
    wait_policy_active: bool = True


# ----------------------------------------------------------------------------- CPUs allowed


def cgroup_cpu_quota(
    *, proc_cgroup: str | os.PathLike = "/proc/self/cgroup", cgroup_root: str | os.PathLike = "/sys/fs/cgroup"
) -> float | None:
    """CPUs' worth of time the process's cgroups allow (quota / period), or None when unlimited.

    Reads cgroup v2 ``cpu.max`` ("max 100000" or "150000 100000") and cgroup v1
    ``cpu.cfs_quota_us`` / ``cpu.cfs_period_us`` (quota -1: unlimited) of the process's
    cgroup and of every ancestor; the smallest limit wins.

    Args:
        proc_cgroup: the process's cgroup membership file.
        cgroup_root: where the cgroup file systems are mounted.
    """
    root = Path(cgroup_root)
    try:
        lines = Path(proc_cgroup).read_text().splitlines()
    except OSError:
        return None
    limits: list[float] = []
    for line in lines:
        parts = line.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, rel = parts
        rel = rel.strip().lstrip("/")
        if controllers == "":  # v2: "0::/path", mounted at the root or at root/unified (hybrid)
            for base in (root, root / "unified"):
                limits += _walk_up(base, rel, _read_cpu_max)
        elif "cpu" in controllers.split(","):
            for base in {root / controllers, root / "cpu"}:
                limits += _walk_up(base, rel, _read_cfs_quota)
    return min(limits) if limits else None


def _walk_up(base: Path, rel: str, read: Callable[[Path], float | None]) -> list[float]:
    """The limits ``read`` finds in the cgroup folder ``base/rel`` and in each of its ancestors."""
    found = []
    parts = [p for p in rel.split("/") if p]
    for depth in range(len(parts), -1, -1):
        value = read(base.joinpath(*parts[:depth]))
        if value is not None:
            found.append(value)
    return found


def _read_cpu_max(folder: Path) -> float | None:
    try:
        quota, period = (folder / "cpu.max").read_text().split()[:2]
    except (OSError, ValueError):
        return None
    if quota == "max" or float(period) <= 0:
        return None
    return float(quota) / float(period)


def _read_cfs_quota(folder: Path) -> float | None:
    try:
        quota = float((folder / "cpu.cfs_quota_us").read_text())
        period = float((folder / "cpu.cfs_period_us").read_text())
    except (OSError, ValueError):
        return None
    if quota <= 0 or period <= 0:
        return None
    return quota / period


def allowed_cpus(
    *,
    affinity: Collection[int] | None = None,
    proc_cgroup: str | os.PathLike = "/proc/self/cgroup",
    cgroup_root: str | os.PathLike = "/sys/fs/cgroup",
) -> int:
    """CPUs this process may use: its affinity mask, capped by the cgroup quota (rounded up), at least 1.

    A quota of 1.5 CPUs gives 2: both threads run and the cgroup is throttled as a whole,
    which costs nothing extra with the bounded wait.

    Args:
        affinity: the CPU numbers allowed; default ``os.sched_getaffinity(0)``.
        proc_cgroup: see :func:`cgroup_cpu_quota`.
        cgroup_root: see :func:`cgroup_cpu_quota`.
    """
    if affinity is None:
        affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    n = len(affinity)
    quota = cgroup_cpu_quota(proc_cgroup=proc_cgroup, cgroup_root=cgroup_root)
    if quota is not None:
        n = min(n, math.ceil(quota - 1e-9))
    return max(1, n)


# ----------------------------------------------------------------------------- CPUs busy elsewhere


@dataclass(frozen=True)
class CpuTimes:
    """Clock ticks at one moment: on the watched CPUs (busy, all) and of this process.

    Attributes:
        busy: ticks of the watched CPUs that a process of ours could not have had: user,
            system, irq, softirq and steal; not "nice", the time of processes niced above 0,
            which yield to ours (a background job at ``nice 19`` leaves the CPU to a run).
        total: all ticks of the watched CPUs (busy plus idle and iowait).
        own: this process's user + system ticks (all its threads).
        cpus: how many CPUs were watched.
    """

    busy: int
    total: int
    own: int
    cpus: int


def read_cpu_times(
    *,
    cpus: Collection[int] | None = None,
    proc_stat: str | os.PathLike = "/proc/stat",
    self_stat: str | os.PathLike = "/proc/self/stat",
) -> CpuTimes:
    """Read the tick counters of ``cpus`` (default: the affinity mask) and of this process.

    Raises:
        OSError: the files cannot be read (not Linux).
        ValueError: a watched CPU has no line in ``proc_stat``.
    """
    if cpus is None:
        cpus = os.sched_getaffinity(0)
    want = {f"cpu{c}" for c in cpus}
    busy = total = 0
    seen = set()
    for line in Path(proc_stat).read_text().splitlines():
        name, *values = line.split()
        if name not in want:
            continue
        v = [int(x) for x in values[:8]] + [0] * (8 - len(values[:8]))
        user, nice, system, idle, iowait, irq, softirq, steal = v
        b = user + system + irq + softirq + steal
        busy += b
        total += b + nice + idle + iowait
        seen.add(name)
    if seen != want:
        raise ValueError(f"{proc_stat}: no line for {', '.join(sorted(want - seen))}")
    stat = Path(self_stat).read_text()
    fields = stat[stat.rindex(")") + 2 :].split()  # after "pid (comm) ": state is field 0
    own = int(fields[11]) + int(fields[12])  # utime, stime
    if os.getpriority(os.PRIO_PROCESS, 0) > 0:  # our user time is counted as "nice", not in `busy`
        own = int(fields[12])
    return CpuTimes(busy=busy, total=total, own=own, cpus=len(want))


def busy_elsewhere(before: CpuTimes, after: CpuTimes) -> float:
    """CPUs kept busy by other processes between two readings (0 when no time passed).

    The watched CPUs' busy ticks, less this process's own, divided by the ticks one CPU
    had in the interval.
    """
    per_cpu = (after.total - before.total) / max(after.cpus, 1)
    if per_cpu <= 0:
        return 0.0
    others = (after.busy - before.busy) - (after.own - before.own)
    return min(float(after.cpus), max(0.0, others / per_cpu))


# A CPU counts as taken when other processes use this much of it or more: a team of threads
# waits for its slowest member at every barrier, so a thread that shares its core slows the
# whole team. Measured (benchmarks/contention.py, session boosted so that other jobs weigh
# little): beside a hog pinned to one of 2 cores, 2 threads ran at 0.31 of their alone speed,
# 1 thread (on the free core) at 0.71; alone, 2 threads were 1.4x faster than 1.
TAKEN_FRACTION = 0.4


def choose_threads(*, allowed: int, busy: float) -> int:
    """Threads for ``allowed`` CPUs of which ``busy`` are used by others: the CPUs not taken, >= 1.

    A CPU is taken from ``TAKEN_FRACTION`` (0.4) of it on: busy 0.3 of 2 CPUs gives 2
    threads, busy 0.4 or one hog (1.0) gives 1.
    """
    return max(1, min(allowed, allowed - math.floor(busy + 1 - TAKEN_FRACTION + 1e-9)))


def auto_threads(
    *,
    sample_seconds: float = 0.2,
    affinity: Collection[int] | None = None,
    proc_cgroup: str | os.PathLike = "/proc/self/cgroup",
    cgroup_root: str | os.PathLike = "/sys/fs/cgroup",
    proc_stat: str | os.PathLike = "/proc/stat",
    self_stat: str | os.PathLike = "/proc/self/stat",
) -> tuple[int, int, float | None]:
    """``(threads, allowed CPUs, CPUs busy elsewhere)``: the "auto" thread count.

    Samples ``/proc/stat`` for ``sample_seconds`` (0: no sample, all allowed CPUs);
    where it cannot be read, all allowed CPUs. The sample is of one moment, taken while
    this process idles: :func:`retune_threads` follows the load afterwards.
    """
    if affinity is None:
        affinity = os.sched_getaffinity(0) if hasattr(os, "sched_getaffinity") else range(os.cpu_count() or 1)
    allowed = allowed_cpus(affinity=affinity, proc_cgroup=proc_cgroup, cgroup_root=cgroup_root)
    if sample_seconds <= 0:
        return allowed, allowed, None
    try:
        before = read_cpu_times(cpus=affinity, proc_stat=proc_stat, self_stat=self_stat)
        time.sleep(sample_seconds)
        after = read_cpu_times(cpus=affinity, proc_stat=proc_stat, self_stat=self_stat)
    except (OSError, ValueError, IndexError):
        return allowed, allowed, None
    # others' load scaled to the CPUs we may use (a quota below the affinity mask shares it)
    busy = busy_elsewhere(before, after) * allowed / max(after.cpus, 1)
    return choose_threads(allowed=allowed, busy=busy), allowed, round(busy, 3)


# ----------------------------------------------------------------------------- following the load


class ThreadTuner:
    """Re-chooses the thread count from the CPU other processes used since its last look.

    Call it often (every training step): it reads ``/proc/stat`` at most every
    ``every_seconds`` and calls ``set_threads`` only when the count changes. While this
    process computes, "busy elsewhere" is what the others got beside it: a hog that
    arrives takes a thread away within ``every_seconds``, and gives it back when it
    leaves.

    Args:
        allowed: CPUs the process may use (:func:`allowed_cpus`).
        cpus: the CPU numbers to watch (the affinity mask).
        every_seconds: the shortest interval between two looks.
        set_threads: applies a count (default ``torch.set_num_threads``).
        clock: monotonic seconds (injectable for tests).
        proc_stat: see :func:`read_cpu_times`.
        self_stat: see :func:`read_cpu_times`.
        threads: the count in force now (None: unknown; the first look sets one).
    """

    def __init__(
        self,
        *,
        allowed: int,
        cpus: Collection[int],
        every_seconds: float = 1.0,
        set_threads: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        proc_stat: str | os.PathLike = "/proc/stat",
        self_stat: str | os.PathLike = "/proc/self/stat",
        threads: int | None = None,
    ) -> None:
        self.allowed, self.cpus, self.every = allowed, frozenset(cpus), every_seconds
        self.threads = threads
        self._set, self._clock = set_threads, clock
        self._paths = {"proc_stat": proc_stat, "self_stat": self_stat}
        self._last = read_cpu_times(cpus=self.cpus, **self._paths)
        self._t = clock()

    def __call__(self) -> int | None:
        """The new thread count when it changed now, else None."""
        t = self._clock()
        if t - self._t < self.every:
            return None
        try:
            now = read_cpu_times(cpus=self.cpus, **self._paths)
        except (OSError, ValueError, IndexError):
            return None
        busy = busy_elsewhere(self._last, now) * self.allowed / max(now.cpus, 1)
        self._last, self._t = now, t
        n = choose_threads(allowed=self.allowed, busy=busy)
        if n == self.threads:
            return None
        if self._set is None:
            import torch

            torch.set_num_threads(n)
        else:
            self._set(n)
        self.threads = n
        return n


_tuner: ThreadTuner | None = None  # set by share_cpu(threads="auto"); followed by retune_threads()


def retune_threads() -> int | None:
    """Follow the load: re-choose the "auto" thread count (cheap; call it every training step).

    Does something only after :func:`share_cpu` chose the count itself (``threads="auto"``
    without ``OMP_NUM_THREADS``, as every ``vistakit`` command does); a count chosen by the
    user is left alone. Looks at the load at most every second (:class:`ThreadTuner`).

    Returns:
        The new thread count when it changed now, else None.
    """
    return _tuner() if _tuner is not None else None


# ----------------------------------------------------------------------------- the policy


def set_openmp_wait_env(environ: MutableMapping[str, str] | None = None) -> dict[str, str]:
    """Put :data:`OPENMP_WAIT_ENV` into ``environ`` (default ``os.environ``) unless a wait policy is set.

    Returns:
        The variables set (empty when the environment already chose: ``OMP_WAIT_POLICY``,
        ``GOMP_SPINCOUNT`` or ``KMP_BLOCKTIME``).
    """
    env = os.environ if environ is None else environ
    if any(k in env for k in _WAIT_KEYS):
        return {}
    env.update(OPENMP_WAIT_ENV)
    return dict(OPENMP_WAIT_ENV)


def share_cpu(
    *, threads: Threads = "auto", sample_seconds: float = 0.2, environ: MutableMapping[str, str] | None = None
) -> ThreadPolicy:
    """Make PyTorch on the CPU share the machine gracefully; call it before ``import torch``.

    ``vistakit train`` (and every other command) does this itself. In a script, make it
    the first lines::

        import vistakit
        vistakit.share_cpu()          # before torch is imported
        import torch
        from vistakit.engine import fit

    Sets the bounded OpenMP wait (:data:`OPENMP_WAIT_ENV`, unless the environment has a
    wait policy) and the intra-op thread count: through ``OMP_NUM_THREADS`` before
    PyTorch is imported, ``torch.set_num_threads`` after. Called after ``import torch``,
    only the thread count takes effect (a RuntimeWarning says so): OpenMP has read its
    environment already.

    Args:
        threads: "auto" (the CPUs allowed less those busy elsewhere: :func:`auto_threads`,
            then followed by :func:`retune_threads`; ``OMP_NUM_THREADS``, when set, wins),
            a number, or None (leave the count alone).
        sample_seconds: how long "auto" watches the other processes' load.
        environ: the environment to change (default ``os.environ``).

    Returns:
        A :class:`ThreadPolicy`.
    """
    env = os.environ if environ is None else environ
    if threads is not None and threads != "auto" and not (isinstance(threads, int) and threads >= 1):
        raise ValueError(f"threads = {threads!r}: expected 'auto', a number >= 1 or None")
    torch_loaded = "torch" in sys.modules
    user_chose = any(k in env for k in _WAIT_KEYS)
    set_now = set_openmp_wait_env(env)
    active = user_chose or not torch_loaded
    if torch_loaded and set_now:
        warnings.warn(
            "share_cpu() was called after `import torch`: OpenMP has read its environment, so its "
            "threads still spin-wait; call vistakit.share_cpu() before importing torch, or set "
            f"{' '.join(f'{k}={v}' for k, v in OPENMP_WAIT_ENV.items())} in the environment",
            RuntimeWarning,
            stacklevel=2,
        )
    allowed = allowed_cpus()
    busy = None
    chosen: int | None = None
    if threads == "auto":
        if env.get("OMP_NUM_THREADS", "").isdigit() and int(env["OMP_NUM_THREADS"]) >= 1:
            chosen = int(env["OMP_NUM_THREADS"])
        else:
            chosen, allowed, busy = auto_threads(sample_seconds=sample_seconds)
    elif threads is not None:
        chosen = threads
    global _tuner
    _tuner = None
    if threads == "auto" and busy is not None:  # chosen from the load: follow it (retune_threads)
        try:
            _tuner = ThreadTuner(allowed=allowed, cpus=os.sched_getaffinity(0), threads=chosen)
        except (OSError, ValueError, IndexError):
            _tuner = None
    if chosen is not None:
        if torch_loaded:
            import torch

            torch.set_num_threads(chosen)
        else:
            env["OMP_NUM_THREADS"] = str(chosen)
            set_now["OMP_NUM_THREADS"] = str(chosen)
    return ThreadPolicy(
        threads=chosen, allowed_cpus=allowed, busy_elsewhere=busy, env=set_now, wait_policy_active=active
    )
