"""One module per tab; main_window.TABS lists them in order."""
