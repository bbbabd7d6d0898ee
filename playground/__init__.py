"""Playground: see neural networks learn, from one scalar gradient up to attention."""
__version__ = "0.1.0"
