"""The Names MLP tab: training, health and weight diagnostics, initialisation experiments, a
learning-rate finder, sampling with memorisation marks, and gradient checks. tab.py wires the
pages; state.py holds the one-shot jobs; commands.py the `train names` / `eval names` CLI."""
