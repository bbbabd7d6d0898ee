"""The Bengio-2003 character MLP (flat, batch norm, WaveNet), its training and health diagnostics."""
