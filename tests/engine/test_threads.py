"""The CPU thread policy (vistakit._threads): CPUs from affinity and cgroup files, load, the environment."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

import vistakit
from vistakit._threads import (
    OPENMP_WAIT_ENV,
    CpuTimes,
    ThreadTuner,
    allowed_cpus,
    auto_threads,
    busy_elsewhere,
    cgroup_cpu_quota,
    choose_threads,
    read_cpu_times,
    retune_threads,
    set_openmp_wait_env,
    share_cpu,
)
from vistakit.cli._main import apply_cpu_policy, build_parser


def _write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def _v2(tmp_path: Path, *, limits: dict[str, str], member: str = "/app/job") -> dict[str, Path]:
    """A cgroup v2 tree: ``limits`` maps a cgroup path ("" for the root) to its cpu.max."""
    root = tmp_path / "cgroup"
    for rel, text in limits.items():
        _write(root / rel.strip("/") / "cpu.max", text)
    _write(tmp_path / "proc_cgroup", f"0::{member}\n")
    return {"proc_cgroup": tmp_path / "proc_cgroup", "cgroup_root": root}


# ----------------------------------------------------------------------------- cgroup quota


def test_cgroup_v2_quota_is_quota_over_period(tmp_path):
    paths = _v2(tmp_path, limits={"/app/job": "150000 100000\n"})
    assert cgroup_cpu_quota(**paths) == pytest.approx(1.5)


def test_cgroup_v2_unlimited_is_none(tmp_path):
    paths = _v2(tmp_path, limits={"/app/job": "max 100000\n", "": "max 100000\n"})
    assert cgroup_cpu_quota(**paths) is None


def test_cgroup_v2_smallest_limit_of_the_ancestors_wins(tmp_path):
    paths = _v2(tmp_path, limits={"/app/job": "400000 100000", "/app": "50000 100000", "": "max 100000"})
    assert cgroup_cpu_quota(**paths) == pytest.approx(0.5)


def test_cgroup_v2_in_the_hybrid_layout_is_under_unified(tmp_path):
    root = tmp_path / "cgroup"
    _write(root / "unified" / "cpu.max", "200000 100000")
    _write(tmp_path / "proc_cgroup", "1:cpu,cpuacct:/\n0::/\n")
    assert cgroup_cpu_quota(proc_cgroup=tmp_path / "proc_cgroup", cgroup_root=root) == pytest.approx(2.0)


def test_cgroup_v1_cfs_quota(tmp_path):
    root = tmp_path / "cgroup"
    _write(root / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_quota_us", "300000\n")
    _write(root / "cpu,cpuacct" / "docker" / "abc" / "cpu.cfs_period_us", "100000\n")
    _write(tmp_path / "proc_cgroup", "4:memory:/docker/abc\n3:cpu,cpuacct:/docker/abc\n")
    assert cgroup_cpu_quota(proc_cgroup=tmp_path / "proc_cgroup", cgroup_root=root) == pytest.approx(3.0)


def test_cgroup_v1_quota_minus_one_is_unlimited(tmp_path):
    root = tmp_path / "cgroup"
    _write(root / "cpu" / "cpu.cfs_quota_us", "-1\n")
    _write(root / "cpu" / "cpu.cfs_period_us", "100000\n")
    _write(tmp_path / "proc_cgroup", "1:cpu:/\n")
    assert cgroup_cpu_quota(proc_cgroup=tmp_path / "proc_cgroup", cgroup_root=root) is None


def test_missing_or_garbled_cgroup_files_mean_no_limit(tmp_path):
    assert cgroup_cpu_quota(proc_cgroup=tmp_path / "absent", cgroup_root=tmp_path) is None
    paths = _v2(tmp_path, limits={"/app/job": "garbage"})
    assert cgroup_cpu_quota(**paths) is None


# ----------------------------------------------------------------------------- CPUs allowed


def test_allowed_cpus_is_the_affinity_capped_by_the_quota_rounded_up(tmp_path):
    none = {"proc_cgroup": tmp_path / "absent", "cgroup_root": tmp_path}
    assert allowed_cpus(affinity={0, 1, 2, 3}, **none) == 4
    assert allowed_cpus(affinity={0, 1, 2, 3}, **_v2(tmp_path / "a", limits={"/app/job": "150000 100000"})) == 2
    assert allowed_cpus(affinity={0, 1, 2, 3}, **_v2(tmp_path / "b", limits={"/app/job": "200000 100000"})) == 2
    assert allowed_cpus(affinity={5}, **_v2(tmp_path / "c", limits={"/app/job": "800000 100000"})) == 1
    assert allowed_cpus(affinity={0, 1}, **_v2(tmp_path / "d", limits={"/app/job": "10000 100000"})) == 1


def test_allowed_cpus_defaults_to_this_process_affinity():
    assert allowed_cpus(proc_cgroup="/nonexistent", cgroup_root="/nonexistent") == len(os.sched_getaffinity(0))


# ----------------------------------------------------------------------------- load elsewhere


def _proc_stat(path: Path, cpus: dict[int, tuple[int, ...]]) -> Path:
    """A /proc/stat with an aggregate line and one line per CPU: user nice system idle iowait irq softirq steal."""
    total = [sum(col) for col in zip(*cpus.values())]
    lines = ["cpu  " + " ".join(map(str, total)) + " 0 0"]
    lines += [f"cpu{c} " + " ".join(map(str, v)) + " 0 0" for c, v in cpus.items()]
    lines += ["intr 12345 0 0", "ctxt 999"]
    _write(path, "\n".join(lines) + "\n")
    return path


def _self_stat(path: Path, utime: int, stime: int) -> Path:
    # the command name may hold spaces and parentheses: fields are counted after the last ")"
    fields = ["S", "1", "1", "1", "0", "-1", "4194560", "100", "0", "0", "0", str(utime), str(stime), "0", "0"]
    _write(path, "4242 (python (x) y) " + " ".join(fields) + "\n")
    return path


@pytest.fixture
def not_niced(monkeypatch):
    """This process at niceness 0, whatever the suite runs at (niced, our user time counts as "nice")."""
    monkeypatch.setattr("vistakit._threads.os.getpriority", lambda which, who: 0)


def test_read_cpu_times_of_a_niced_process_counts_only_its_system_time_as_busy(tmp_path, monkeypatch):
    monkeypatch.setattr("vistakit._threads.os.getpriority", lambda which, who: 10)
    stat = _proc_stat(tmp_path / "stat", {0: (0, 7, 3, 10, 0, 0, 0, 0)})
    t = read_cpu_times(cpus={0}, proc_stat=stat, self_stat=_self_stat(tmp_path / "self", 7, 3))
    assert t == CpuTimes(busy=3, total=20, own=3, cpus=1)


def test_read_cpu_times_sums_the_watched_cpus_and_this_process(tmp_path, not_niced):
    stat = _proc_stat(
        tmp_path / "stat",
        {0: (10, 1, 4, 100, 5, 1, 1, 2), 1: (20, 0, 0, 50, 0, 0, 0, 0), 2: (999, 0, 0, 0, 0, 0, 0, 0)},
    )
    t = read_cpu_times(cpus={0, 1}, proc_stat=stat, self_stat=_self_stat(tmp_path / "self", 7, 3))
    # nice ticks (processes niced above 0, which yield) are not busy, but they are time
    assert t == CpuTimes(busy=(10 + 4 + 1 + 1 + 2) + 20, total=(19 + 105) + 70, own=10, cpus=2)


def test_read_cpu_times_names_a_missing_cpu(tmp_path):
    stat = _proc_stat(tmp_path / "stat", {0: (1, 0, 0, 1, 0, 0, 0, 0)})
    with pytest.raises(ValueError, match="cpu3"):
        read_cpu_times(cpus={0, 3}, proc_stat=stat, self_stat=_self_stat(tmp_path / "self", 0, 0))


def test_busy_elsewhere_is_others_cpu_time_over_one_cpus_time():
    before = CpuTimes(busy=1000, total=5000, own=300, cpus=2)
    # 200 ticks per CPU passed; 250 busy ticks of which 50 were ours: 200 / 200 = one CPU busy elsewhere
    assert busy_elsewhere(before, CpuTimes(busy=1250, total=5400, own=350, cpus=2)) == pytest.approx(1.0)
    # we used all of it ourselves: nothing elsewhere
    assert busy_elsewhere(before, CpuTimes(busy=1400, total=5400, own=700, cpus=2)) == pytest.approx(0.0)
    # no time passed
    assert busy_elsewhere(before, before) == 0.0
    # never more than the CPUs watched, never negative
    assert busy_elsewhere(before, CpuTimes(busy=2000, total=5400, own=300, cpus=2)) == 2.0
    assert busy_elsewhere(before, CpuTimes(busy=1010, total=5400, own=400, cpus=2)) == 0.0


@pytest.mark.parametrize(
    ("allowed", "busy", "threads"),
    [
        (2, 0.0, 2),
        (2, 0.3, 2),
        (2, 0.39, 2),
        (2, 0.4, 1),
        (2, 0.67, 1),
        (2, 1.0, 1),
        (2, 2.0, 1),
        (2, 5.0, 1),
        (8, 0.0, 8),
        (8, 3.0, 5),
        (8, 3.3, 5),
        (8, 3.5, 4),
        (1, 0.9, 1),
    ],
)
def test_choose_threads_leaves_the_busy_cpus_to_others(allowed, busy, threads):
    assert choose_threads(allowed=allowed, busy=busy) == threads


def test_auto_threads_samples_the_load_files(tmp_path, monkeypatch, not_niced):
    # two readings of fake files: the first read gives `before`, the second `after` (one CPU busy elsewhere)
    stats = [
        _proc_stat(tmp_path / "s0", {0: (0, 0, 0, 100, 0, 0, 0, 0), 1: (0, 0, 0, 100, 0, 0, 0, 0)}),
        _proc_stat(tmp_path / "s1", {0: (100, 0, 0, 100, 0, 0, 0, 0), 1: (0, 0, 0, 200, 0, 0, 0, 0)}),
    ]
    live = tmp_path / "stat"
    live.write_text(stats[0].read_text())
    monkeypatch.setattr("vistakit._threads.time.sleep", lambda s: live.write_text(stats[1].read_text()))
    threads, allowed, busy = auto_threads(
        affinity={0, 1},
        proc_cgroup=tmp_path / "none",
        cgroup_root=tmp_path,
        proc_stat=live,
        self_stat=_self_stat(tmp_path / "self", 5, 5),
    )
    assert (threads, allowed, busy) == (1, 2, pytest.approx(1.0))


def test_auto_threads_without_a_sample_or_readable_files_uses_every_allowed_cpu(tmp_path):
    none = {"proc_cgroup": tmp_path / "none", "cgroup_root": tmp_path}
    assert auto_threads(sample_seconds=0, affinity={0, 1, 2}, **none) == (3, 3, None)
    assert auto_threads(sample_seconds=0.01, affinity={0, 1}, proc_stat=tmp_path / "absent", **none) == (2, 2, None)


# ----------------------------------------------------------------------------- the environment


def test_wait_env_is_set_unless_the_user_chose_a_wait_policy():
    env: dict[str, str] = {"PATH": "/bin"}
    assert set_openmp_wait_env(env) == OPENMP_WAIT_ENV
    assert env == {"PATH": "/bin", **OPENMP_WAIT_ENV}
    for key in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT", "KMP_BLOCKTIME"):
        env = {key: "ACTIVE"}
        assert set_openmp_wait_env(env) == {}
        assert env == {key: "ACTIVE"}


def test_share_cpu_after_torch_sets_the_count_and_warns_the_wait_is_too_late():
    import torch  # the test process has torch: share_cpu can only change the count

    env: dict[str, str] = {}
    before = torch.get_num_threads()
    try:
        with pytest.warns(RuntimeWarning, match="after `import torch`"):
            policy = share_cpu(threads=1, environ=env)
        assert torch.get_num_threads() == 1
        assert policy.threads == 1 and not policy.wait_policy_active
        assert "OMP_NUM_THREADS" not in env and env.items() >= OPENMP_WAIT_ENV.items()
    finally:
        torch.set_num_threads(before)


def test_share_cpu_respects_omp_num_threads_and_a_chosen_wait_policy():
    import torch

    before = torch.get_num_threads()
    try:
        policy = share_cpu(environ={"OMP_NUM_THREADS": "1", "OMP_WAIT_POLICY": "PASSIVE"})
        assert policy.threads == 1 and policy.env == {} and policy.wait_policy_active
        assert share_cpu(threads=None, environ={"GOMP_SPINCOUNT": "0"}).threads is None
    finally:
        torch.set_num_threads(before)


def test_share_cpu_rejects_a_bad_thread_count():
    for bad in (0, -1, "many", 1.5):
        with pytest.raises(ValueError, match="threads"):
            share_cpu(threads=bad, environ={})


def _fresh(code: str, env: dict[str, str]) -> str:
    src = str(Path(vistakit.__file__).parent.parent)
    clean = {k: v for k, v in os.environ.items() if k not in ("OMP_NUM_THREADS", "OMP_WAIT_POLICY", *OPENMP_WAIT_ENV)}
    out = subprocess.run(
        [sys.executable, "-c", code],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
        env={**clean, "PYTHONPATH": src, **env},
    )
    return out.stdout.strip()


def test_share_cpu_before_torch_reaches_openmp_in_a_fresh_process():
    code = (
        "import os, vistakit; p = vistakit.share_cpu(threads=1)\n"
        "import sys; assert 'torch' not in sys.modules\n"
        "import torch; print(torch.get_num_threads(), os.environ['GOMP_SPINCOUNT'], p.wait_policy_active)"
    )
    assert _fresh(code, {}) == f"1 {OPENMP_WAIT_ENV['GOMP_SPINCOUNT']} True"


def test_cli_applies_the_policy_only_before_torch_is_loaded():
    args = build_parser().parse_args(["train", "--threads", "1", "--out", "x"])
    assert args.threads == 1
    assert apply_cpu_policy(args, environ={}) is None  # this test process has torch: nothing changes
    code = (
        "from vistakit.cli._main import apply_cpu_policy, build_parser\n"
        "env = {}; p = apply_cpu_policy(build_parser().parse_args(['train', '--threads', '1']), environ=env)\n"
        "print(p.threads, sorted(env))"
    )
    assert _fresh(code, {}) == "1 ['GOMP_SPINCOUNT', 'KMP_BLOCKTIME', 'OMP_NUM_THREADS']"


def test_cli_threads_option_takes_a_number_or_auto():
    parser = build_parser()
    assert parser.parse_args(["train"]).threads == "auto"
    assert parser.parse_args(["lr-find", "--threads", "auto"]).threads == "auto"
    with pytest.raises(SystemExit):
        parser.parse_args(["train", "--threads", "0"])


# ----------------------------------------------------------------------------- following the load


class _Machine:
    """Fake /proc/stat and /proc/self/stat on 2 CPUs whose counters advance on demand, and a clock."""

    def __init__(self, tmp_path: Path) -> None:
        self.stat, self.self_stat = tmp_path / "stat", tmp_path / "self"
        self.busy = [0, 0]
        self.idle = [0, 0]
        self.own = 0
        self.now = 0.0
        self.write()

    def write(self) -> None:
        _proc_stat(self.stat, {c: (self.busy[c], 0, 0, self.idle[c], 0, 0, 0, 0) for c in (0, 1)})
        _self_stat(self.self_stat, self.own, 0)

    def run(self, seconds: float, *, own: float, others: float) -> None:
        """``seconds`` pass with ``own`` and ``others`` CPUs busy (100 ticks per CPU-second)."""
        ticks = round(100 * seconds)
        used = round(ticks * (own + others))
        for c in (0, 1):
            self.busy[c] += used // 2
            self.idle[c] += ticks - used // 2
        self.own += round(ticks * own)
        self.now += seconds
        self.write()


def _tuner(machine: _Machine, applied: list[int], threads: int = 2) -> ThreadTuner:
    return ThreadTuner(
        allowed=2,
        cpus={0, 1},
        every_seconds=1.0,
        set_threads=applied.append,
        clock=lambda: machine.now,
        proc_stat=machine.stat,
        self_stat=machine.self_stat,
        threads=threads,
    )


def test_tuner_drops_a_thread_when_a_hog_arrives_and_gives_it_back_when_it_leaves(tmp_path, not_niced):
    m, applied = _Machine(tmp_path), []
    tune = _tuner(m, applied)
    m.run(1.5, own=2.0, others=0.0)  # alone: we use both CPUs
    assert tune() is None and applied == []
    m.run(1.5, own=1.33, others=0.67)  # a hog shares the machine with our two threads
    assert tune() == 1 and applied == [1]
    m.run(1.5, own=1.0, others=1.0)  # one thread: the hog has the other CPU
    assert tune() is None
    m.run(1.5, own=1.0, others=0.0)  # the hog left
    assert tune() == 2 and applied == [1, 2]


def test_tuner_looks_at_most_every_interval(tmp_path, not_niced):
    m, applied = _Machine(tmp_path), []
    tune = _tuner(m, applied)
    m.run(0.5, own=1.0, others=1.0)
    assert tune() is None  # 0.5 s after the first look: too early, nothing read
    m.run(0.6, own=1.0, others=1.0)
    assert tune() == 1  # the look covers both intervals (1.1 s, one CPU busy elsewhere)


def test_retune_threads_follows_only_a_count_that_share_cpu_chose(monkeypatch, tmp_path, not_niced):
    import vistakit._threads as threads_mod

    m, applied = _Machine(tmp_path), []
    monkeypatch.setattr(threads_mod, "_tuner", None)
    assert retune_threads() is None
    monkeypatch.setattr(threads_mod, "_tuner", _tuner(m, applied))
    m.run(2.0, own=1.0, others=1.0)
    assert retune_threads() == 1 and applied == [1]
    share_cpu(threads=None, environ={"OMP_WAIT_POLICY": "PASSIVE"})  # the user's choice: nothing to follow
    assert threads_mod._tuner is None


def test_share_cpu_auto_in_a_fresh_process_installs_the_tuner():
    code = (
        "import vistakit, vistakit._threads as t; p = vistakit.share_cpu()\n"
        "print(p.threads == t._tuner.threads, t._tuner.allowed == p.allowed_cpus)"
    )
    assert _fresh(code, {}) == "True True"
