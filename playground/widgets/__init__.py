"""Reusable views: plots, heatmaps, forms and panels shared by the tabs."""
