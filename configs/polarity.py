r"""First-motion polarity classifier of Ross et al. (2018), seed ensemble.

Paper-sized run on the embedded synthetic data (meant for a GPU):
  python -m seisjax.main --config=configs/polarity.py --workdir=runs/polarity

Two-core CPU run (a few minutes):
  python -m seisjax.main --config=configs/polarity.py:cpu \
      --workdir=runs/polarity_cpu
It prints precision and recall of up, down and unknown on the test events
for each member and the ensemble, with pk_baer's first motions on the same
windows, and writes summary.json, results.md and figures.

The same network as the picker (configs/picker.py, whose arguments it takes)
with a 3-way softmax (down, up, unknown) and cross-entropy; the classes of
the training and validation sets are balanced by drawing each class down to
the size of the smallest, as in the paper. Early stopping on the validation
loss with patience 5.
"""

import ml_collections

from configs import picker


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  config = picker.base_config(arg, 'polarity')
  config.baselines = ('pk_baer',)  # The one baseline with a first motion.
  return config
