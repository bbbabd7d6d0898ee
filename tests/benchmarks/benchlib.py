"""What every tests/benchmarks/bench_<name>.py shares: the calling convention of
../shared/bench/README.md (--ref-python, alternating rounds, `ratio=` last)."""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SHARED_BENCH = REPO.parent / "shared" / "bench"
TORCH_REFERENCE = SHARED_BENCH / "torch_reference.py"
MICROGRAD_REFERENCE = SHARED_BENCH / "micrograd_reference.py"
THREAD_VARS = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def parser(doc: str, needs: str = "torch==2.13.0") -> argparse.ArgumentParser:
    """An argument parser with --ref-python (env PLAYGROUND_REF_PYTHON), --rounds and --threads."""
    p = argparse.ArgumentParser(description=doc.splitlines()[0])
    p.add_argument("--ref-python", default=os.environ.get("PLAYGROUND_REF_PYTHON"),
                   help=f"interpreter with {needs} (env PLAYGROUND_REF_PYTHON)")
    p.add_argument("--rounds", type=int, default=3, help="how many times each side runs, alternating")
    p.add_argument("--threads", type=int, help="limit both sides to N BLAS/OpenMP threads (default: each "
                   "library's own); on a loaded machine spinning threads make both erratic")
    return p


def thread_env(threads: int | None) -> dict | None:
    return dict(os.environ, **{k: str(threads) for k in THREAD_VARS}) if threads else None


def run(cmd, pattern: re.Pattern, env=None) -> re.Match:
    """Run a side in a process of its own; print its last line; return the pattern's match."""
    out = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, check=True, env=env).stdout
    match = pattern.search(out)
    if not match:
        raise SystemExit(f"unexpected output from {cmd}: {out!r}")
    print("  " + out.strip().splitlines()[-1], flush=True)
    return match


def alternate(args, reference_cmd, ours_cmd, pattern: re.Pattern) -> tuple[list[re.Match], list[re.Match]]:
    """Both sides `args.rounds` times, reference first, alternating so drifting load hits both."""
    if not args.ref_python:
        raise SystemExit("give --ref-python (see ../shared/bench/README.md)")
    env = thread_env(args.threads)
    ref, ours = [], []
    for _ in range(args.rounds):
        ref.append(run([args.ref_python, *reference_cmd], pattern, env))
        ours.append(run([sys.executable, *ours_cmd], pattern, env))
    return ref, ours


def report(ours_name: str, ref: list[float], ours: list[float], unit: str,
           ref_name: str = "torch 2.13.0") -> None:
    """Each side's median (and every round), then, last, ratio=<ours / reference>."""
    width = max(len(ref_name), len(ours_name)) + 1
    print(f"{ref_name + ':':{width}} median {statistics.median(ref):.4g} {unit} {sorted(ref)}")
    print(f"{ours_name + ':':{width}} median {statistics.median(ours):.4g} {unit} {sorted(ours)}")
    print(f"ratio={statistics.median(ours) / statistics.median(ref):.4f}")
