"""The Names MLP tab: training, health diagnostics, sampling and gradient checks."""
