"""Our character transformer against PyTorch on the reference's `attention-step` workload.

    python tests/benchmarks/bench_attention.py --ref-python /root/refenv/bin/python [--rounds 3]

Runs ../shared/bench/torch_reference.py attention-step with the reference interpreter, and the
same workload with models.transformer in a process of its own, alternating `rounds` times:
vocab 27, block 16, 4 layers x 4 heads x 64 dims, batch 32 of random tokens, cross-entropy over
every position, AdamW (lr 5e-4, weight decay 0.01, betas 0.9/0.99, eps 1e-8), float32. Ours is
the step models.transformer_train.train takes: the batch split over TrainConfig.workers threads
(models.transformer_parallel), single-threaded BLAS in each; torch uses its default threads.
Each process reports the median over 5 rounds of 50 steps after a warm-up round, as the
reference does. Prints each side's median milliseconds per step and last
`ratio=<ours / reference>`.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
REFERENCE = Path(__file__).resolve().parents[3] / "shared" / "bench" / "torch_reference.py"
LINE = re.compile(r"attention-step: ([0-9.eE+-]+) ms per step")


def our_workload(rounds: int = 5, steps: int = 50) -> None:
    """attention_step() of the reference, with our model; prints the same line."""
    sys.path.insert(0, str(REPO))
    import numpy as np

    from models.transformer import GPT, GPTConfig
    from models.transformer_parallel import ParallelStep
    from models.transformer_train import TrainConfig, make_optimizer

    model = GPT(GPTConfig(vocab_size=27, block_size=16, n_layer=4, n_head=4, n_embd=64, seed=0))
    config = TrainConfig(lr=5e-4, weight_decay=0.01, beta2=0.99)
    opt = make_optimizer(model, config)
    forward_backward = ParallelStep(model, config.workers)
    rng = np.random.default_rng(2)
    times = []
    for r in range(rounds + 1):  # the first round is a warm-up
        xb = rng.integers(0, 27, (steps, 32, 16))
        yb = rng.integers(0, 27, (steps, 32, 16))
        t0 = time.perf_counter()
        for j in range(steps):
            loss = forward_backward(xb[j], yb[j])
            opt.step()
        if r:
            times.append((time.perf_counter() - t0) / steps * 1e3)
    forward_backward.close()
    print(f"attention-step: {statistics.median(times):.4g} ms per step (models.transformer, "
          f"{config.workers} threads, loss {loss:.3f})")


def run(cmd) -> float:
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    match = LINE.search(out)
    if not match:
        raise SystemExit(f"unexpected output from {cmd}: {out!r}")
    print("  " + out.strip().splitlines()[-1], flush=True)
    return float(match.group(1))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ref-python", default=os.environ.get("PLAYGROUND_REF_PYTHON"),
                        help="interpreter with torch==2.13.0 (env PLAYGROUND_REF_PYTHON)")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--ours", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.ours:
        return our_workload()
    if not args.ref_python:
        raise SystemExit("give --ref-python (an interpreter with torch==2.13.0)")
    ours, ref = [], []
    for _ in range(args.rounds):
        ref.append(run([args.ref_python, str(REFERENCE), "attention-step"]))
        ours.append(run([sys.executable, __file__, "--ours"]))
    print(f"torch 2.13.0:       median {statistics.median(ref):.4g} ms per step {sorted(ref)}")
    print(f"models.transformer: median {statistics.median(ours):.4g} ms per step {sorted(ours)}")
    print(f"ratio={statistics.median(ours) / statistics.median(ref):.4f}")


if __name__ == "__main__":
    main()
