"""Configs: `get_config(arg)` of each study, for `--config=configs/x.py:arg`.

A package so that configs build on each other (`from configs import
precursor`) and tests and benchmarks import them, with no path tricks.
"""
