"""P-wave picking and first-motion polarity (Ross, Meier & Hauksson 2018).

picker.py and polarity.py are the two tasks the engine trains, on the
windows of data.py from records (records.py, readers.py, synthetic.py,
and semisynthetic.py: real P signals in real noise);
baselines.py, scoring.py and evaluation.py compare them with ObsPy's
pickers; inference.py, stream.py and the pick and evaluate commands use a
trained ensemble, or the shipped one (shipped/: package data). See
docs/picking.md.
"""
