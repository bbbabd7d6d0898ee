"""The Bengio-2003 character MLP for names (flat, deep stack, batch norm, WaveNet) on the model
contract: model.py (NamesModel, registered with checkpoint), data.py (examples and splits),
train.py (NamesTrainConfig, train() yielding Reports, snapshot()), diagnostics.py (health of a
step), lr_finder.py (the learning-rate sweep), experiments.py (the initialisation lessons)."""
