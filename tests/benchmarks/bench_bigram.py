"""The bigram model against the lectures' PyTorch code: counting 32k names, one training step.

    python tests/benchmarks/bench_bigram.py --ref-python /root/refenv/bin/python [--rounds 3]

../shared/bench/ has no bigram workload, so the reference is the lecture notebook's own code,
run by this script with the reference interpreter (torch 2.13.0, CPU) in a process of its own:
- count: the 27x27 count matrix of the 32,033 names of assets/names/names.txt. Reference: the
  notebook's loop (`N[ix1, ix2] += 1` on a torch tensor, pair by pair); ours: models.bigram.counts
  (Vocab + count_bigrams, vectorised). The issue asks for under 20 ms.
- step: one full-batch gradient-descent step of the neural bigram on all 228,602 pairs, float32.
  Reference: the notebook's `F.one_hot(xs).float() @ W`, softmax by exp/sum, NLL + 0.01 mean(W^2),
  `loss.backward()`, `W.data += -50 * W.grad`; ours: NeuralBigram forward/backward (W[x]
  indexing, hand-written gradient) and SGD, as models.bigram.train runs it.
Each process reports the median of 7 timed repetitions after a warm-up; the sides alternate
`rounds` times. Prints each side's medians and, last, `ratio=<ours / reference>` of the step.
"""
from __future__ import annotations

import argparse
import os
import re
import statistics
import sys
import time

import benchlib
from benchlib import REPO

NAMES = REPO / "assets" / "names" / "names.txt"
LINE = re.compile(r"count ([0-9.eE+-]+) ms, step ([0-9.eE+-]+) ms")
REPEATS = 7


def median_ms(fn, repeats: int = REPEATS) -> float:
    fn()  # warm-up
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1e3)
    return statistics.median(times)


def reference_workload() -> None:
    """The lecture's code, for the reference interpreter (torch); imports nothing of ours."""
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(int(os.environ.get("OMP_NUM_THREADS", torch.get_num_threads())))
    words = NAMES.read_text().split()
    chars = sorted(set("".join(words)))
    stoi = {s: i + 1 for i, s in enumerate(chars)}
    stoi["."] = 0

    def count():
        N = torch.zeros((27, 27), dtype=torch.int32)
        for w in words:
            chs = ["."] + list(w) + ["."]
            for ch1, ch2 in zip(chs, chs[1:]):
                N[stoi[ch1], stoi[ch2]] += 1
        return N

    xs_list, ys_list = [], []
    for w in words:
        chs = ["."] + list(w) + ["."]
        for ch1, ch2 in zip(chs, chs[1:]):
            xs_list.append(stoi[ch1])
            ys_list.append(stoi[ch2])
    xs, ys = torch.tensor(xs_list), torch.tensor(ys_list)
    g = torch.Generator().manual_seed(2147483647)
    W = torch.randn((27, 27), generator=g, requires_grad=True)
    num = xs.nelement()

    def step():
        xenc = F.one_hot(xs, num_classes=27).float()
        logits = xenc @ W
        counts = logits.exp()
        probs = counts / counts.sum(1, keepdims=True)
        loss = -probs[torch.arange(num), ys].log().mean() + 0.01 * (W ** 2).mean()
        W.grad = None
        loss.backward()
        W.data += -50 * W.grad

    count_ms = median_ms(count, repeats=3)  # the loop takes seconds
    print(f"torch 2.13.0 lecture code: count {count_ms:.4g} ms, step {median_ms(step):.4g} ms")


def our_workload() -> None:
    sys.path.insert(0, str(REPO))
    import numpy as np

    from models.bigram.counts import bigram_pairs, count_bigrams
    from models.bigram.neural import NeuralBigram
    from models.core.data import Vocab, load_words
    from models.core.optim import SGD

    words = load_words(NAMES)
    count_ms = median_ms(lambda: count_bigrams(words, Vocab.from_words(words)), repeats=21)
    vocab = Vocab.from_words(words)
    xs, ys = bigram_pairs(words, vocab)
    order = np.argsort(xs, kind="stable")  # as train() does once before its steps
    xs, ys = xs[order], ys[order]
    model = NeuralBigram(vocab.size)
    opt = SGD([model.W], [model.grads["W"]], lr=50.0, weight_decay=2 * 0.01 / model.W.size)

    def step():
        model.forward(xs, ys)
        model.backward()
        opt.step()

    print(f"models.bigram (OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS', 'default')}): "
          f"count {count_ms:.4g} ms, step {median_ms(step):.4g} ms")


def main():
    p = benchlib.parser(__doc__)
    p.add_argument("--side", choices=("ours", "reference"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.side == "ours":
        return our_workload()
    if args.side == "reference":
        return reference_workload()
    ref, ours = benchlib.alternate(args, [__file__, "--side", "reference"], [__file__, "--side", "ours"], LINE)
    ref = [(float(m.group(1)), float(m.group(2))) for m in ref]
    ours = [(float(m.group(1)), float(m.group(2))) for m in ours]
    for name, index, unit in (("count", 0, "ms for 32,033 names"), ("step", 1, "ms per full-batch step")):
        r = statistics.median(v[index] for v in ref)
        o = statistics.median(v[index] for v in ours)
        print(f"{name}: torch lecture code median {r:.4g} {unit}; models.bigram median {o:.4g} "
              f"{unit} (ours/reference {o / r:.4f})")
    print(f"ratio={statistics.median(v[1] for v in ours) / statistics.median(v[1] for v in ref):.4f}")


if __name__ == "__main__":
    main()
