"""Command line of the benchmark suite: ``python -m benchmarks`` or ``python benchmarks/run.py``.

    python -m benchmarks                      # everything, full repeats (several minutes)
    python -m benchmarks --quick              # fewer repeats, smaller sizes (about a minute)
    python -m benchmarks --only chain,mlp     # workloads whose name contains "chain" or "mlp"
    python -m benchmarks --list               # the workloads and what they measure
    python -m benchmarks --markdown           # tables as Markdown, for docs/performance.md
    python -m benchmarks --single-thread      # every library on one thread: less noise

Progress goes to stderr, the tables to stdout. NumPy and the peers are imported only after the
command line is read, so that ``--single-thread`` can set the thread-count variables first.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

if __package__ in (None, ""):  # run as a script: make the repository root importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

if TYPE_CHECKING:
    from benchmarks import core

# One thread for BLAS (OpenBLAS, MKL), OpenMP (PyTorch) and XLA's CPU backend.
SINGLE_THREAD_ENV = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
    "XLA_FLAGS": "--xla_cpu_multi_thread_eigen=false intra_op_parallelism_threads=1",
}


def _parse(argv: Sequence[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="Benchmark functrace against hand-written NumPy, JAX, autograd and PyTorch.",
    )
    p.add_argument(
        "--quick", action="store_true", help="fewer repeats and smaller sizes (about a minute)"
    )
    p.add_argument(
        "--only",
        metavar="NAMES",
        help="comma-separated workload names or substrings of names (includes workloads "
        "that --quick would leave out)",
    )
    p.add_argument("--list", action="store_true", help="list the workloads and exit")
    p.add_argument(
        "--single-thread",
        action="store_true",
        help="run every library on one thread (BLAS, OpenMP, XLA): fairer to pure-Python "
        "libraries and far less noisy on a busy machine",
    )
    p.add_argument("--markdown", action="store_true", help="print the tables as Markdown")
    p.add_argument("--json", metavar="PATH", help="also write the raw results as JSON to PATH")
    p.add_argument(
        "--traceback", action="store_true", help="print full tracebacks of ERROR rows to stderr"
    )
    p.add_argument(
        "--row-timeout",
        type=float,
        metavar="SECONDS",
        help="limit on each row's first call, on its warm-up and calibration, and on each of its "
        "timed repeats (default 120, quick 30)",
    )
    return p.parse_args(argv)


def select(only: str | None, quick: bool) -> list[core.Workload]:
    """The workloads to run, in registry order."""
    from benchmarks import core

    all_workloads = list(core.REGISTRY.values())
    if not only:
        return [w for w in all_workloads if w.in_quick or not quick]
    terms = [t.strip() for t in only.split(",") if t.strip()]
    chosen = [w for w in all_workloads if any(t == w.name or t in w.name for t in terms)]
    unknown = [t for t in terms if not any(t in w.name for w in all_workloads)]
    if unknown:
        raise SystemExit(
            f"no workload matches {', '.join(map(repr, unknown))}; see python -m benchmarks --list"
        )
    return chosen


def environment() -> dict[str, str]:
    from benchmarks import peers

    env = {
        "date": datetime.datetime.now().strftime("%Y-%m-%d %H:%M"),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": str(os.cpu_count()),
    }
    if hasattr(os, "getloadavg"):  # a busy machine makes every number noisier
        env["load"] = "{:.2f} {:.2f} {:.2f}".format(*os.getloadavg())
    env.update(peers.versions())
    threads = [f"{k}={os.environ[k]}" for k in SINGLE_THREAD_ENV if k in os.environ]
    env["threads"] = " ".join(threads) if threads else "library defaults"
    return env


def _list() -> str:
    from benchmarks import core

    width = max(len(n) for n in core.REGISTRY)
    lines = []
    for w in core.REGISTRY.values():
        flag = "" if w.in_quick else "  (not in --quick)"
        lines.append(f"{w.name.ljust(width)}  [{w.family}] {w.description}{flag}")
    return "\n".join(lines)


def _to_json(results: Sequence[core.WorkloadResult], env: dict[str, str]) -> dict[str, object]:
    out: list[dict[str, object]] = []
    for r in results:
        rows = []
        for row in r.rows:
            t = row.timing
            rows.append(
                {
                    "implementation": row.name,
                    "status": row.status,
                    "message": row.message,
                    "median_s": t.median if t else None,
                    "min_s": t.min if t else None,
                    "max_s": t.max if t else None,
                    "repeats": t.repeats if t else None,
                    "number": t.number if t else None,
                    "peak_bytes": row.peak_bytes,
                    "ratio_to_baseline": row.ratio,
                    "extra": row.extra,
                }
            )
        w = r.workload
        out.append(
            {
                "workload": w.name,
                "family": w.family,
                "description": w.description,
                "baseline": w.baseline,
                "extra_label": w.extra.label if w.extra else None,
                "error": r.error,
                "rows": rows,
            }
        )
    return {"environment": env, "results": out}


def _single_thread() -> None:
    if "numpy" in sys.modules:
        print(
            "warning: NumPy was imported before --single-thread could take effect; "
            f"set {', '.join(SINGLE_THREAD_ENV)} yourself",
            file=sys.stderr,
        )
    os.environ.update(SINGLE_THREAD_ENV)


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(argv)
    if args.single_thread:
        _single_thread()
    from benchmarks import core, report, workloads
    from benchmarks.timing import TimerConfig

    workloads.load()
    if args.list:
        print(_list())
        return 0
    chosen = select(args.only, args.quick)
    core.settle_allocator()
    config = core.Config(quick=args.quick)
    timer = TimerConfig.quick() if args.quick else TimerConfig()
    env = environment()
    row_timeout = args.row_timeout or (30.0 if args.quick else 120.0)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    given = sys.argv[1:] if argv is None else list(argv)
    command = " ".join(["python -m benchmarks", *given])
    log(f"running {len(chosen)} workload(s) ({'quick' if args.quick else 'full'} mode)")
    results: list[core.WorkloadResult] = []
    start = time.perf_counter()
    for w in chosen:
        log(f"[{w.name}]")
        t0 = time.perf_counter()
        results.append(
            core.run_workload(
                w,
                config,
                timer,
                log=log,
                verbose_errors=args.traceback,
                row_timeout=row_timeout,
            )
        )
        log(f"[{w.name}] done in {time.perf_counter() - t0:.1f} s")
    elapsed = time.perf_counter() - start

    env_line = ", ".join(f"{k} {v}" for k, v in env.items())
    if args.markdown:
        print(f"Command: `{command}`  \nEnvironment: {env_line}\n")
        print(report.markdown(results))
    else:
        print(f"# {command}\n# {env_line}\n")
        print(report.text(results))
    log(f"total {elapsed:.1f} s")
    if args.json:
        Path(args.json).write_text(json.dumps(_to_json(results, env), indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
