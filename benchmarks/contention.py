"""Training throughput beside a CPU hog: the old thread policy against vistakit's (issue 20).

Trains the fast recipe (``get_recipe("fast")``, what ``vistakit train --recipe fast`` runs)
for a fixed number of steps on Fashion-MNIST and reports images/s, in these scenarios:

* ``alone``: nothing else started by the benchmark (the machine may still be busy);
* ``hog``: beside one ``python -c "while True: pass"``, unpinned;
* ``hog-pinned``: beside the same hog pinned (``os.sched_setaffinity``) to the last CPU;

and these thread policies, each in a fresh subprocess so that OpenMP reads its environment anew:

* ``old``: PyTorch's defaults (threads = CPUs, GNU OpenMP spins ~300,000 loops at each wait);
* ``new``: ``vistakit.share_cpu()`` before ``import torch``, as the CLI does (bounded wait,
  threads from the CPUs allowed less those busy elsewhere at start);
* ``follow``: ``new``, and ``vistakit.retune_threads()`` after every epoch (of
  ``--epoch-steps`` steps), as a training loop calling it every step would: the thread count
  follows the load;
* ``wait``: only the bounded wait (``share_cpu(threads=None)``), threads as PyTorch's default;
* ``passive``: ``OMP_WAIT_POLICY=PASSIVE`` (never spin), for comparison;
* ``spinN`` (``spin10000``...): ``wait`` with ``GOMP_SPINCOUNT=N`` instead of vistakit's value.

Each run trains one warm-up epoch then ``--steps`` measured steps in epochs of
``--epoch-steps`` steps (each epoch's images/s is printed by the child as it finishes, so a
run cut by ``--timeout`` still reports what it measured). Alone runs are repeated
``--reps`` times in alternating order (the median is reported); contended runs once each.
Prints a table and the ratios (beside the hog / alone, per policy; new / old, per
scenario) and saves JSON under benchmarks/results/.

    python benchmarks/contention.py [--steps 80] [--policies old,new,wait] [--scenarios alone,hog,hog-pinned]
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

DATA_ROOT = "/usr/share/datasets/fashion-mnist"
POLICIES = ("old", "new", "follow", "wait", "passive")
SCENARIOS = ("alone", "hog", "hog-pinned")
HOG = "while True: pass"


# ----------------------------------------------------------------------------- one run (child process)


def child(policy: str, *, steps: int, epoch_steps: int, data_root: str) -> None:
    """Train and print one JSON line per epoch; the first line says threads and environment."""
    env_before = dict(os.environ)
    if policy in ("new", "follow"):
        import vistakit

        vistakit.share_cpu()
    elif policy == "wait":
        import vistakit

        vistakit.share_cpu(threads=None)
    elif policy == "passive":
        os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    elif policy.startswith("spin"):
        os.environ["GOMP_SPINCOUNT"] = str(int(policy[4:]))
    import torch
    from torch.utils.data import TensorDataset

    from vistakit.data import load_dataset
    from vistakit.engine import fit, get_recipe
    from vistakit.models import create_model

    set_env = {k: v for k, v in os.environ.items() if env_before.get(k) != v}
    rec = get_recipe("fast")
    train = load_dataset("fashion-mnist", "train", root=data_root)
    print(json.dumps({"threads": torch.get_num_threads(), "env": set_env, "ready": time.time()}), flush=True)
    n = epoch_steps * rec.options["batch_size"]
    images = train.data[:n]
    images = images[:, None] if images.ndim == 3 else images
    data = TensorDataset(images, torch.as_tensor(train.targets)[:n])
    epochs = 1 + steps // epoch_steps  # the first is a warm-up (oneDNN primitives, allocator)
    cfg = rec.config(epochs=epochs, seed=0)
    cpu = [time.process_time()]

    def on_epoch(record: dict, _model: torch.nn.Module) -> None:
        now = time.process_time()
        print(
            json.dumps(
                {
                    "epoch": record["epoch"],
                    "seconds": record["seconds"],
                    "time": time.time(),
                    "images": round(record["images_per_second"] * record["seconds"]),
                    "cpu_seconds": now - cpu[0],
                    "threads": torch.get_num_threads(),
                }
            ),
            flush=True,
        )
        cpu[0] = now
        if policy == "follow":
            import vistakit

            vistakit.retune_threads()

    fit(create_model(rec.model, num_classes=10, in_chans=1), data, None, cfg, progress=False, on_epoch=on_epoch)


# ----------------------------------------------------------------------------- the driver


def _niceness(nice: int) -> list[str]:
    """The command prefix that runs a process at this niceness (0: none)."""
    return ["nice", "-n", str(nice)] if nice else []


def start_hog(pinned: bool, *, nice: int = 0) -> subprocess.Popen:
    """One busy-looping Python process; pinned to the last CPU of ours when ``pinned``."""
    code = HOG
    if pinned:
        cpu = max(os.sched_getaffinity(0))
        code = f"import os; os.sched_setaffinity(0, {{{cpu}}})\n{HOG}"
    return subprocess.Popen([*_niceness(nice), sys.executable, "-c", code])


def run_one(policy: str, *, steps: int, epoch_steps: int, data_root: str, timeout: float, nice: int = 0) -> dict:
    """Run the child; images/s over the measured epochs (the warm-up epoch left out)."""
    cmd = [
        *_niceness(nice),
        sys.executable,
        __file__,
        "--child",
        policy,
        "--steps",
        str(steps),
        "--epoch-steps",
        str(epoch_steps),
        "--data-root",
        data_root,
    ]
    load = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"})
    timed_out = False
    try:
        out, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
        timed_out = True
    end = time.time()
    lines = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    head = lines[0] if lines else {}
    epochs = [r for r in lines[1:] if r["epoch"] > 1]
    seconds = sum(r["seconds"] for r in epochs)
    images = sum(r["images"] for r in epochs)
    bound = None
    if timed_out and not epochs and "ready" in head:  # not one measured epoch: at most one more epoch was done
        done = sum(r["images"] for r in lines[1:]) + epoch_steps * 128
        bound = round(done / max(end - head["ready"], 1e-9), 1)
    return {
        "policy": policy,
        "threads": head.get("threads"),
        "env": head.get("env"),
        "threads_per_epoch": [r.get("threads") for r in lines[1:]],
        "images_per_second": round(images / seconds, 1) if seconds else None,
        "images_per_second_at_most": bound,
        "measured_steps": sum(1 for _ in epochs) * epoch_steps,
        "seconds": round(seconds, 2),
        "cpu_per_second": round(sum(r["cpu_seconds"] for r in epochs) / seconds, 2) if seconds else None,
        "timed_out": timed_out,
        "returncode": proc.returncode,
        "loadavg_1min_before": load,
        "wall_seconds": round(time.perf_counter() - t0, 1),
    }


def _measure(args: argparse.Namespace, policies: list[str], scenarios: list[str]) -> list[dict]:
    """Every run, scenario by scenario (the hog started before and killed after each scenario's runs)."""
    runs: list[dict] = []
    for scenario in scenarios:
        hog = None if scenario == "alone" else start_hog(pinned=scenario == "hog-pinned", nice=args.nice)
        try:
            time.sleep(0.5 if hog else 0.0)
            reps = args.reps if scenario == "alone" else 1
            for rep in range(reps):  # alternate the order: drifting load falls on every policy alike
                for policy in policies if rep % 2 == 0 else policies[::-1]:
                    r = run_one(
                        policy,
                        steps=args.steps,
                        epoch_steps=args.epoch_steps,
                        data_root=args.data_root,
                        timeout=args.timeout,
                        nice=args.nice,
                    )
                    r["scenario"] = scenario
                    runs.append(r)
                    seen = [t for t in r["threads_per_epoch"] if t is not None]
                    counts = f"{r['threads']}" + (f"->{seen[-1]}" if seen and seen[-1] != r["threads"] else "")
                    print(
                        f"{scenario:10s} {policy:8s} threads {counts:4s}  {_speed(r):>10s} images/s over "
                        f"{r['measured_steps']} steps  {r['cpu_per_second'] or 0:.2f} CPU-s/s  "
                        f"load {r['loadavg_1min_before']:.1f}{'  (cut at the timeout)' if r['timed_out'] else ''}",
                        flush=True,
                    )
        finally:
            if hog is not None:
                hog.kill()
                hog.wait()
    return runs


def _set_autogroup_nice(nice: int) -> int | None:
    """Set this session's autogroup niceness; returns the one before (None: no autogroups here)."""
    path = Path("/proc/self/autogroup")
    try:
        before = int(path.read_text().split("nice")[1])
        path.write_text(str(nice))
    except (OSError, IndexError, ValueError):
        return None
    return before


def _speed(r: dict) -> str:
    if r["images_per_second"]:
        return f"{r['images_per_second']:,.0f}"
    return f"<= {r['images_per_second_at_most']:,.0f}" if r["images_per_second_at_most"] else "n/a"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=100, help="measured training steps per run (default 100)")
    parser.add_argument("--epoch-steps", type=int, default=5, help="steps per epoch (default 5)")
    parser.add_argument("--reps", type=int, default=2, help="alone runs per policy (default 2)")
    parser.add_argument(
        "--policies", default="old,new,follow", help=f"comma-separated, of {', '.join(POLICIES)}, spinN"
    )
    parser.add_argument("--scenarios", default=",".join(SCENARIOS), help=f"comma-separated, of {', '.join(SCENARIOS)}")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds per run at most (default 30)")
    parser.add_argument(
        "--nice",
        type=int,
        default=0,
        help="niceness of the runs and the hog, and of this session's autogroup where the kernel "
        "groups tasks by session (/proc/self/autogroup; a process's own niceness then counts "
        "only inside its group), restored at the end; negative needs root. On a machine that "
        "other jobs share, -20 puts the benchmark ahead of them, so 'alone' comes close to an "
        "idle machine and the hog is the competitor that counts (default 0: unchanged)",
    )
    parser.add_argument("--data-root", default=DATA_ROOT)
    parser.add_argument("--json", help="where to save (default benchmarks/results/contention_DATE.json)")
    args = parser.parse_args()
    if args.child:
        child(args.child, steps=args.steps, epoch_steps=args.epoch_steps, data_root=args.data_root)
        return

    from vistakit.engine._benchmark import cpu_model

    policies = args.policies.split(",")
    scenarios = args.scenarios.split(",")
    for name in policies + scenarios:
        if name not in POLICIES + SCENARIOS and not (name.startswith("spin") and name[4:].isdigit()):
            parser.error(f"unknown policy or scenario {name!r}")
    t_start = time.perf_counter()
    autogroup = _set_autogroup_nice(args.nice) if args.nice else None
    try:
        runs = _measure(args, policies, scenarios)
    finally:
        if autogroup is not None:
            _set_autogroup_nice(autogroup)
    table: dict[str, dict[str, float | None]] = {}
    for scenario in scenarios:
        for policy in policies:
            mine = [r for r in runs if r["scenario"] == scenario and r["policy"] == policy]
            vals = [r["images_per_second"] for r in mine if r["images_per_second"]]
            # a run cut before one measured epoch counts with its upper bound (ratios with it are "at most")
            vals = vals or [r["images_per_second_at_most"] for r in mine if r["images_per_second_at_most"]]
            table.setdefault(scenario, {})[policy] = round(statistics.median(vals), 1) if vals else None

    def ratio(a: float | None, b: float | None) -> float | None:
        return round(a / b, 3) if a and b else None

    ratios = {}
    print("\nimages/s (median)        " + "".join(f"{p:>10s}" for p in policies))
    for scenario in scenarios:
        print(
            f"{scenario:24s} "
            + "".join(f"{table[scenario][p]:10,.0f}" if table[scenario][p] else f"{'n/a':>10s}" for p in policies)
        )
    if "alone" in scenarios:
        for scenario in scenarios[1:] if scenarios[0] == "alone" else [s for s in scenarios if s != "alone"]:
            for p in policies:
                ratios[f"{scenario}/alone {p}"] = ratio(table[scenario][p], table["alone"][p])
    if "old" in policies:
        for scenario in scenarios:
            for p in policies:
                if p != "old":
                    ratios[f"{scenario} {p}/old"] = ratio(table[scenario][p], table[scenario]["old"])
    print()
    for k, v in ratios.items():
        print(f"{k:32s} {v if v is not None else 'n/a'}")

    import torch

    result = {
        "benchmark": "fast recipe beside a CPU hog (benchmarks/contention.py)",
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "cpu": cpu_model(),
        "cpus_in_affinity": len(os.sched_getaffinity(0)),
        "torch": torch.__version__,
        "steps": args.steps,
        "epoch_steps": args.epoch_steps,
        "batch_size": 128,
        "nice": args.nice,
        "autogroup_nice_before": autogroup,
        "note": "'alone' means no hog started by the benchmark; loadavg_1min_before shows what else ran",
        "images_per_second": table,
        "ratios": ratios,
        "runs": runs,
        "total_seconds": round(time.perf_counter() - t_start, 1),
    }
    path = (
        Path(args.json)
        if args.json
        else (Path(__file__).parent / "results" / f"contention_{dt.date.today().isoformat()}.json")
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=2) + "\n")
    print(f"\n{result['total_seconds']:.0f} s; saved {path}")


if __name__ == "__main__":
    main()
