"""The things that learn, in plain NumPy. Nothing here imports Qt, pyqtgraph or playground."""
