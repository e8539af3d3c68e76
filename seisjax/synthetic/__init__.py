"""Synthetic seismograms: background noise and planted precursors."""
