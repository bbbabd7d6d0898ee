"""Our character transformer against PyTorch on the reference's `attention-step` workload.

    python tests/benchmarks/bench_attention.py --ref-python /root/refenv/bin/python [--rounds 3] [--threads N] [--workers W]

Runs ../shared/bench/torch_reference.py attention-step with the reference interpreter, and the
same workload with models.attention.model in a process of its own, alternating `rounds` times:
vocab 27, block 16, 4 layers x 4 heads x 64 dims, batch 32 of random tokens, cross-entropy over
every position, AdamW (lr 5e-4, weight decay 0.01, betas 0.9/0.99, eps 1e-8), float32. Ours is
the step models.attention.train.train takes: the batch split over TrainConfig.workers processes
(models.attention.parallel; --workers W to change it, e.g. 1 for one core against one core on a
busy machine), single-threaded BLAS in each; torch uses its default threads.
Each process reports the median over 5 rounds of 50 steps after a warm-up round, as the
reference does. First checks that both compute the same thing (the reference's GPT
given our weights: same loss, same gradients). Prints each side's median milliseconds per step
and last `ratio=<ours / reference>`.
"""
from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

import benchlib
from benchlib import REPO, TORCH_REFERENCE as REFERENCE

LINE = re.compile(r"attention-step: ([0-9.eE+-]+) ms per step")


def our_workload(rounds: int = 5, steps: int = 50, workers: int | None = None) -> None:
    """attention_step() of the reference, with our model; prints the same line."""
    sys.path.insert(0, str(REPO))
    import numpy as np

    from models.attention.model import GPT, GPTConfig
    from models.attention.parallel import ParallelStep
    from models.attention.train import AttentionTrainConfig, make_optimizer

    model = GPT(GPTConfig(vocab_size=27, block_size=16, n_layer=4, n_head=4, n_embd=64, seed=0))
    config = AttentionTrainConfig(lr=5e-4, weight_decay=0.01, beta2=0.99)
    config.workers = workers or config.workers
    forward_backward = ParallelStep(model, config.workers)
    opt = make_optimizer(model, config, forward_backward)  # stepped in parts by the same processes
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
    print(f"attention-step: {statistics.median(times):.4g} ms per step (models.attention.model, "
          f"{config.workers} processes, loss {loss:.3f})")


TORCH_SIDE = r"""
import sys, numpy as np, torch, torch.nn.functional as F
sys.path.insert(0, sys.argv[2])
from torch_reference import GPT
d = np.load(sys.argv[1])
g = GPT()
P = lambda k: torch.tensor(d["p." + k])
pairs = [(g.tok.weight, "embed.wte", False), (g.pos.weight, "embed.wpe", False),
         (g.ln.weight, "ln_f.g", False), (g.ln.bias, "ln_f.b", False), (g.head.weight, "head.W", True)]
for i, b in enumerate(g.blocks):
    pre = f"blocks.{i}."
    pairs += [(b.ln1.weight, pre + "ln1.g", False), (b.ln1.bias, pre + "ln1.b", False),
              (b.qkv.weight, pre + "attn.qkv.W", True), (b.qkv.bias, pre + "attn.qkv.b", False),
              (b.proj.weight, pre + "attn.proj.W", True), (b.proj.bias, pre + "attn.proj.b", False),
              (b.ln2.weight, pre + "ln2.g", False), (b.ln2.bias, pre + "ln2.b", False),
              (b.fc.weight, pre + "fc.W", True), (b.fc.bias, pre + "fc.b", False),
              (b.fc_out.weight, pre + "fc_out.W", True), (b.fc_out.bias, pre + "fc_out.b", False)]
with torch.no_grad():
    for t, k, transposed in pairs:
        t.copy_(P(k).T if transposed else P(k))
x, y = torch.tensor(d["x"]), torch.tensor(d["y"])
loss = F.cross_entropy(g(x).view(-1, 27), y.view(-1), ignore_index=-1)
loss.backward()
worst = 0.0
for t, k, transposed in pairs:
    ref = (t.grad.T if transposed else t.grad).numpy()
    worst = max(worst, float(abs(ref - d["g." + k]).max() / max(abs(ref).max(), 1e-12)))
print(f"{loss.item():.7f} {worst:.3g}")
"""


def cross_check(ref_python: str) -> None:
    """Same weights and batch in both: the losses and every gradient must agree."""
    sys.path.insert(0, str(REPO))
    import tempfile

    import numpy as np

    from models.attention.model import GPT, GPTConfig

    model = GPT(GPTConfig(seed=3))
    rng = np.random.default_rng(0)
    for flat in model.flat_params.values():  # away from the initial point
        flat += rng.standard_normal(flat.shape).astype(np.float32) * 0.05
    x, y = rng.integers(0, 27, (8, 16)), rng.integers(0, 27, (8, 16))
    y[:, 12:] = -1
    _, loss = model.forward(x, y)
    model.backward()
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "same.npz"
        np.savez(path, x=x, y=y, **{"p." + k: v for k, v in model.state_dict().items()},
                 **{"g." + k: model.grad(k) for k in model.shapes()})
        out = subprocess.run([ref_python, "-c", TORCH_SIDE, str(path), str(REFERENCE.parent)],
                             capture_output=True, text=True, check=True).stdout.split()
    print(f"same weights and batch: loss {loss:.7f} (torch {out[0]}), largest gradient difference "
          f"{out[1]} of the largest gradient")


def main():
    parser = benchlib.parser(__doc__)
    parser.add_argument("--ours", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--workers", type=int, help="processes our step is split over (default: the training default)")
    args = parser.parse_args()
    if args.ours:
        return our_workload(workers=args.workers)
    if not args.ref_python:
        raise SystemExit("give --ref-python (an interpreter with torch==2.13.0)")
    cross_check(args.ref_python)
    ref, ours = benchlib.alternate(args, [REFERENCE, "attention-step"], [__file__, "--ours", *(["--workers", args.workers] if args.workers else [])], LINE)
    ref = [float(m.group(1)) for m in ref]
    ours = [float(m.group(1)) for m in ours]
    benchlib.report("models.attention.model", ref, ours, "ms per step")


if __name__ == "__main__":
    main()
