"""Packages are found, not listed, so a new feature folder under models/ or playground/ needs no
line here; assets/ installs as the package playground_assets (see pyproject.toml)."""
from setuptools import find_packages, setup

setup(packages=find_packages(include=["models", "models.*", "playground", "playground.*"]) + ["playground_assets"])
