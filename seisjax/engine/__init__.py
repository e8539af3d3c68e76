"""The training engine, which names no study.

A study hands it a `task.Task` (data, model, loss, random streams,
validation score, evaluation); `train.train_and_evaluate` trains a seed
ensemble of it (ensemble.py), checkpoints and resumes (checkpointing.py),
batches window sources (data.py) and writes metrics, CSV and JSON
(writers.py). It imports nothing of seismo/ or of the studies.
"""
