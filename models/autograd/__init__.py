"""The scalar autograd engine (micrograd-style `Value`, engine.py), its expression parser and
graph layout, and the tiny MLP of Values that learns points of the plane: model.py (PlaneMLP and
its NumPy twin), features.py, toy_data.py, train.py, plane.py (grids and heatmaps) and
bridge.py (one neuron or one point's loss as a Value graph)."""
