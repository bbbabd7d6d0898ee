"""One folder per tab (tab.py, its pages, commands.py); playground/registry.py lists them in order."""
