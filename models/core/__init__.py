"""What every model shares: the layer base, the training protocol (config, report, schedules),
optimisers, checkpoints, sampling, data files and the finite-difference yardstick."""
