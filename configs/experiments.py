r"""The experiments of Ong et al. (Sections 5 and 7), each one command.

  python -m seisjax.main --config=configs/experiments.py:exp=5.1 \
      --workdir=runs/exp_5.1

Every experiment is a seed ensemble of the precursor CNN (configs/precursor.py,
whose arguments `cpu`, `tiny`, `snr=` and `members=` it takes) and writes the
precursor report (summary.json, confusion matrices, per-event tables,
interval fractions) in the workdir:

  exp=5.1    set A with noise A (interval 1) and noise B (1000 s windows far
             from any event) against the precursor interval: accuracy f,
             confusion matrices, per-event table.
  exp=5.2.1  interval 1 noise, intervals 2-36 precursor (classes balanced),
             5 seeds: fraction called precursor per interval of the test
             events (interval_fractions.csv/png: mean, std, onset).
  exp=5.2.2  intervals 1 and 36 for training, every interval tested.
  exp=7.1    trained on set A, verified on set B (32 events): per-event
             accuracy table and distribution (per_event_verify.*).
  exp=7.2    sets A and B pooled, 10 random event splits x 10 seeds = 100
             training cycles (seisjax/precursor/cycles.py): cycles.csv/md/png.
  exp=fake   the fake-event control: exp 5.1 on records that end where no
             Mw >= 6 event follows (synthetic: no precursor, snr 0; real:
             the `fake` records of the japan_precursor builder). A sound
             pipeline scores about 50 % here.
  exp=detect (beyond the paper) detectability: the CNN and a band-power
             logistic regression at planted SNRs 0-2 on the same windows,
             accuracy, CI, event-swap p-value, the smallest significant SNR
             and the analyses there (seisjax/precursor/detectability.py):
             detectability.csv/json/png. Synthetic data only.

`data=synthetic` (default) runs on the embedded generator; `data=japan` on
the real IU.MAJO records (docs/precursor.md, "The real Japan data set"),
with `waveforms=<MiniSEED cache or manual folder>`,
`client=<FDSN name, or '' offline>` and the paper's 63 events (Tables 1
and 2, seisjax/precursor/ong_tables.csv), or `catalogue=<csv>` for others
(the tables' columns, or those of seisjax/seismo/catalogue.py plus set,
split, station). On real data set A's train/test split is the
catalogue's (the paper's: 24 training, 7 test events, one of them recorded
at IU.MA2), and set B (32 events) is 7.1's verification set:

  python -m seisjax.main --workdir=runs/exp_7.1_japan \
      --config=configs/experiments.py:exp=7.1,data=japan,waveforms=cache/
"""

import ml_collections

from configs import precursor
from seisjax.engine import config_args
from seisjax.precursor import paper_catalogue

EXPERIMENTS = ('5.1', '5.2.1', '5.2.2', '7.1', '7.2', 'fake', 'detect')
# The detectability sweep's planted SNRs (0 is the null data set).
DETECT_SNRS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.75, 1.0, 2.0)
N_SET_B = 32  # Table 2.


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  """The config of one experiment; `arg` as in the module docstring."""
  arg = config_args.parse_arg(
      arg, exp=None, data='synthetic', catalogue='', waveforms='',
      client='EARTHSCOPE', cpu=False, tiny=False, snr=None, members=None)
  exp = str(arg['exp'])
  if exp not in EXPERIMENTS:
    raise ValueError(f'exp={arg["exp"]!r}: choose one of {EXPERIMENTS}.')
  base = {k: arg[k] for k in ('cpu', 'tiny', 'snr', 'members')
          if arg[k] not in (None, False)}
  if exp == 'fake' and arg['data'] == 'synthetic':
    base['snr'] = 0.0  # Nothing precedes a time no event follows.
  config = precursor.get_config(','.join(
      k if v is True else f'{k}={v}' for k, v in base.items()))
  config.experiment = exp
  data, tiny = config.data, arg['tiny']

  if arg['data'] == 'japan':
    data.name = 'japan_precursor'
    data.split = 'catalogue'  # Table 1's 24 training and 7 test events.
    data.catalogue = arg['catalogue'] or paper_catalogue.PATH
    data.waveform_dir = arg['waveforms']
    data.client = arg['client']
    data.fake = exp == 'fake'
    data.n_fake = data.n_events  # Fake records, as many as set A's.
    data.noise_seed = 0
    if data.fake:
      data.split = 'random'
  elif arg['data'] != 'synthetic':
    raise ValueError(f"data={arg['data']!r}: 'synthetic' or 'japan'.")

  if exp in ('5.1', 'fake'):
    data.n_noise_b = data.n_events  # As many noise B windows as records.
    data.balance = True
  elif exp == '5.2.1':
    data.precursor_intervals = tuple(range(2, data.n_intervals + 1))
    data.balance = True
    if arg['members'] is None:
      config.n_members = 5  # "over 5 seeds"
  elif exp in ('7.1', '7.2'):
    data.n_verify_events = 8 if tiny else N_SET_B
  if exp == 'detect':
    if arg['data'] != 'synthetic':
      raise ValueError('exp=detect plants precursors: data=synthetic only.')
    config.mode = 'detectability'
    config.detectability = ml_collections.ConfigDict({
        'snrs': (0.0, 2.0) if tiny else DETECT_SNRS,
        'alpha': 0.05,  # Significance level of the event-swap test.
        # The section-6 analyses at the CNN's smallest significant SNR.
        'analyses_at_threshold': not tiny})
  if exp == '7.2':
    config.mode = 'cycles'
    data.pool_sets = True
    config.cycles = ml_collections.ConfigDict(
        {'n_splits': 2 if tiny else 10})
    if arg['members'] is None:
      config.n_members = 2 if tiny else 10
    if not tiny and arg['data'] == 'synthetic':
      data.n_events = 31  # Pooled with set B: 63 events, as A + B.
  return config
