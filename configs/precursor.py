r"""Precursor CNN (Ong et al.) trained as a seed ensemble.

Paper-sized run (meant for a GPU):
  python -m seisjax.main --config=configs/precursor.py --workdir=runs/precursor

Two-core CPU run, about 5-8 minutes (what `make run` does):
  python -m seisjax.main --config=configs/precursor.py:cpu \
      --workdir=runs/precursor_cpu
It prints the test accuracy of every member and of the ensemble (>= 0.9 on the
default synthetic data) and writes summary.json, tables and figures.

Arguments after ':' (comma-separated): `cpu` or `tiny` (smaller variants),
`snr=<float>` (precursor amplitude of the synthetic data; `snr=0` is the null
data set, where a correct pipeline scores about 0.5), `members=<int>`.
Any field can be overridden: `--config.train.num_epochs=3`.
"""

import ml_collections

from seisjax.engine import config_args


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  """Returns the config; `arg` is the string after ':' on the command line."""
  arg = config_args.parse_arg(arg, cpu=False, tiny=False, snr=2.0,
                              members=None)
  config = ml_collections.ConfigDict()
  config.task = 'precursor'
  config.mode = 'train'  # Or 'analyze' or 'permutation' (seisjax/main.py).
  config.seed = 0  # Member i is initialised from fold_in(seed, i).
  config.n_members = 5  # Section 5.2.1 uses 5 seeds.

  config.data = data = ml_collections.ConfigDict()
  data.name = 'synthetic_precursor'
  data.data_dir = ml_collections.FieldReference(None, field_type=str)
  data.n_events = 31  # Table 1, set A: 24 training + 7 test events.
  data.n_test_events = 7
  # Validation events come out of the training events (splits are by event);
  # the best weights per member are chosen on them, never on the test events.
  data.n_val_events = 4
  data.split = 'random'  # Or 'catalogue': its train/test column (real data).
  data.split_seed = 0
  # Section 7: set B, the verification records (Table 2: 32 events); 0: none.
  data.n_verify_events = 0
  data.pool_sets = False  # Section 7.2: split sets A and B pooled, at random.
  # Noise B: 1000 s windows far from any event, labelled noise (Section 5.1).
  data.n_noise_b = 0
  data.snr = arg['snr']
  data.generator_seed = 0
  data.onset_fraction = 0.3  # Precursor in the last 3 of the 10 hours.
  data.noise_files = ()  # Real noise (e.g. TA.O18A*.SAC) instead of Peterson.
  data.sampling_rate = 40.0
  # Section 4: 36 intervals of 40000 samples, 37 windows of 16384 samples
  # overlapping by 15374 (stride 1010); see seisjax/precursor/windowing.py.
  data.n_intervals = 36
  data.interval_samples = 40000
  data.window_samples = 16384
  data.window_stride = 1010
  data.windows_per_interval = 37
  data.noise_intervals = (1,)  # "noise A": the first interval, 10 h before.
  data.precursor_intervals = (36,)  # The last 1000 s before the origin time.
  # Repeat the rarer class's training spans until the classes are even.
  data.balance = False
  data.normalization = 'std'  # Joint over the 3 components; or 'max'.

  # Kernel sizes, widths, dilations and the dense width are not in the paper:
  # our choice. Filters grow to 256 in the last two blocks, dilation grows
  # with depth from block 3, and max-pools have stride 1 except in block 2.
  config.model = model = ml_collections.ConfigDict()
  model.name = 'precursor_cnn'
  model.filters = (16, 32, 64, 64, 128, 256, 256)
  model.kernel_sizes = (7, 7, 5, 5, 5, 3, 3)
  model.dilations = (1, 1, 2, 4, 8, 16, 32)
  model.pool_strides = (1, 2, 1, 1, 1, 1, 1)
  model.pool_size = 2
  model.bn_momentum = 0.99  # Of the running statistics (Keras's default).
  model.dense_units = 64
  model.dropout_rate = 0.02
  model.init_stddev = 0.05  # Random-normal kernels (Keras RandomNormal).
  model.random_input = True
  model.random_kernel_size = 9
  model.random_rms_range = (0.2, 0.3)
  model.remat = False  # True trades compute for memory (large ensembles).

  config.train = train = ml_collections.ConfigDict()
  train.batch_size = 32
  train.eval_batch_size = 64
  train.shuffle_seed = 0  # Batch order, shared by all members.
  train.optimizer = 'adam'  # Or 'sgd' (with momentum 0.9).
  train.learning_rate = 1e-3
  train.num_epochs = 30
  train.log_every_steps = 20
  train.max_checkpoints = 2
  # How the members run in one step ('auto': the fastest measured on this
  # backend, seisjax/engine/train.py::ensemble_way; or one of
  # seisjax/engine/ensemble.py::WAYS).
  train.ensemble_way = 'auto'
  # Gradient accumulation: the batch in this many parts, one after another
  # (the memory of one part; the paper-sized 5-member ensemble fits in
  # 24 GiB on a CPU with 4, see docs/scale.md).
  train.microbatches = 1

  # Section 6: what did the network see? Run on a trained workdir with
  # --config.mode=analyze; each entry is an evaluator
  # (seisjax/precursor/analyses/).
  # `max_windows` bounds the test windows a sweep filters (0: all of them).
  config.evals = ml_collections.ConfigDict({
      'sequential': {'type': 'sequential', 'event': 0, 'first_interval': 25},
      'time_occlusion': {'type': 'time_occlusion', 'mask': 400,
                         'stride': 400},
      'spectrogram': {'type': 'spectrogram', 'event': 0, 'n_windows': 6,
                      'window': 1000, 'stride': 500},
      'lowpass': {'type': 'frequency_sweep', 'btype': 'lowpass', 'step': 0.1,
                  'max_windows': 0},
      'highpass': {'type': 'frequency_sweep', 'btype': 'highpass',
                   'step': 0.1, 'max_windows': 0},
      'bandstop': {'type': 'frequency_sweep', 'btype': 'bandstop',
                   'step': 0.1, 'width': 0.1, 'max_windows': 0},
      'spectra': {'type': 'spectra', 'smooth_hz': 0.062},
  })

  # Event-level permutation test of the test accuracy
  # (seisjax/precursor/significance.py), run on a config with
  # --config.mode=permutation: the real ensemble and `n_null` null ensembles
  # of `members_per_null` members (0: n_members), trained `group_size`
  # members at a time (0: n_members); `seed` draws the label flips. p cannot
  # go below 1 / (1 + n_null).
  config.permutation = ml_collections.ConfigDict({
      'n_null': 19, 'members_per_null': 0, 'group_size': 0, 'seed': 0})

  # Mesh axes ('member', 'data'); -1 takes the remaining devices.
  config.mesh = ml_collections.ConfigDict({'member': 1, 'data': -1})

  if arg['cpu']:
    # Small enough for two CPU cores in minutes: narrower blocks and stride-2
    # pools shrink the time axis early (the paper keeps stride 1).
    config.n_members = 3
    model.filters = (8, 16, 16, 16, 32, 32, 32)
    model.dilations = (1, 1, 2, 2, 2, 2, 2)
    model.pool_strides = (4, 2, 2, 2, 2, 1, 1)
    model.bn_momentum = 0.9  # Running statistics settle within an epoch.
    train.num_epochs = 6
    for sweep in ('lowpass', 'highpass', 'bandstop'):
      config.evals[sweep].max_windows = 128  # ~1 min per sweep on 2 cores.
    train.log_every_steps = 10
  if arg['tiny']:
    # For tests: 51 s windows, 9 per interval, 28 short events; a run takes
    # about 20 s on two cores and still separates planted signal from null.
    config.n_members = 2
    data.n_events = 28
    data.n_test_events = 8
    data.n_val_events = 4
    data.interval_samples = 2000
    data.window_samples = 2048
    data.window_stride = 128
    data.windows_per_interval = 9
    model.filters = (8, 8, 16, 16, 16, 16, 16)
    model.kernel_sizes = (7, 5, 5, 3, 3, 3, 3)
    model.dilations = (1, 1, 2, 2, 2, 2, 2)
    model.pool_strides = (2, 2, 2, 1, 1, 1, 1)
    model.dense_units = 16
    model.bn_momentum = 0.8  # Running statistics settle within 10 steps.
    train.num_epochs = 8
    train.log_every_steps = 5
    config.evals.time_occlusion.update(mask=128, stride=128)
    config.evals.sequential.first_interval = 30
    config.evals.spectrogram.update(n_windows=4, window=256, stride=128)
    config.permutation.update(n_null=9, group_size=20)
  if arg['members'] is not None:
    config.n_members = arg['members']
  return config
