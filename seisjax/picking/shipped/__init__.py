"""The shipped picker and polarity models: package data, no code.

picker.npz / polarity.npz hold the best weights of each member (float32,
flattened 'params/...' and 'batch_stats/...' keys, a leading member axis);
picker.json / polarity.json the training config, the data, the commit,
the command (python bench/ship_models.py) and the measured scores. Load
them with seisjax.picking.inference.load_shipped.
"""
