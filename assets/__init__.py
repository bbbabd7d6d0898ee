"""Shipped data and weights. Installed as the package `playground_assets` (see pyproject.toml)."""
