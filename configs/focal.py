r"""Focal mechanisms from first-motion polarities, HASH's way (seisjax/focal).

  python -m seisjax.focal --config=configs/focal.py:example1 \
      --workdir=runs/focal_example1
  seisjax-focal --config=configs/focal.py:maacama --workdir=runs/focal_maacama
  seisjax-focal --config=configs/focal.py:kumamoto \
      --workdir=runs/focal_kumamoto
  seisjax-focal --config=configs/focal.py:kumamoto,polarities=cnn,\
polarity_workdir=runs/polarity_cpu --workdir=runs/focal_kumamoto_cnn
  seisjax-focal --config=configs/focal.py:quakeml \
      --config.quakeml.picks=picks.xml --config.quakeml.stations=st.xml \
      --config.quakeml.velocity_model=vz.model --workdir=runs/focal_mine

The variant after ':' is one of
  example1 .. example5  HASH v1.2's examples (examples/input/example<N>.inp
                        in `data_dir`, ../shared/data/focal/hash_v1.2 by
                        default), read and run as its drivers do, compared
                        with examples/output/example<N>.out;
  maacama               SKHASH's example: the polarities, takeoffs and
                        azimuths of OUT/out_polinfo.csv (perturbed by their
                        uncertainties), compared with OUT/out.csv;
  kumamoto              the two Hi-net Kumamoto events: the analysts'
                        polarities (polarities=analysts) or the polarity
                        CNN's on the records' windows at the analysts' P
                        (polarities=cnn, polarity_workdir=<a trained
                        configs/polarity.py run>), takeoffs from vz.iasp91,
                        compared with the catalogue's mechanisms;
  quakeml               QuakeML P picks with polarities (as seisjax-pick
                        writes them), stations (StationXML or a CSV of
                        network, station, latitude, longitude, elevation m)
                        and a velocity model (depth km, vp km/s per line).
Fields set to None take the source's value: the .inp's for the HASH
examples (with its driver's rules: dang at least 5; example 3 checks
neither npolmin nor the gaps and grades by probability and uncertainty
alone), HASH's defaults (seisjax/focal/inversion.py Options) otherwise.
The command writes mechanisms.csv, mechanisms.xml (QuakeML), rejected.csv,
figures/, summary.json and, with a reference, comparison.csv;
docs/focal.md has what each holds and the measured results.
"""

import ml_collections
from ml_collections import config_dict

from seisjax import seismo
from seisjax.engine import config_args

VARIANTS = ('example1', 'example2', 'example3', 'example4', 'example5',
            'maacama', 'kumamoto', 'quakeml')


def get_config(arg: str | None = None) -> ml_collections.ConfigDict:
  arg = config_args.parse_arg(arg, **dict.fromkeys(VARIANTS, False),
                              polarities='analysts', polarity_workdir='')
  chosen = [v for v in VARIANTS if arg[v]]
  if len(chosen) != 1:
    raise ValueError(f'configs/focal.py needs one variant of {VARIANTS}, '
                     f'got {chosen or "none"}.')
  variant = chosen[0]
  config = ml_collections.ConfigDict()
  config.variant = variant
  config.seed = 0  # Of the trials' draws: same seed, same mechanisms.
  # Trials of ray angles (HASH's nmc); None: the .inp's (30), else 30.
  config.n_trials = config_dict.placeholder(int)
  # Events per progress line (and per call of the inversion).
  config.progress_every = 64

  config.inversion = inv = ml_collections.ConfigDict()
  for name in ('dang', 'badfrac', 'qbadfac', 'cangle', 'prob_max',
               'max_agap', 'max_pgap'):
    setattr(inv, name, config_dict.placeholder(float))
  inv.maxout = config_dict.placeholder(int)
  inv.npolmin = config_dict.placeholder(int)
  # HASH v1.2 takes its misfit weights from a wrong mechanism (strike, dip
  # and rake in radians passed as degrees): True reproduces its mfrac,
  # stdr and so its letters (seisjax/focal/rating.py `misfit`).
  inv.hash_compat = config_dict.placeholder(bool)
  inv.rate_misfit = config_dict.placeholder(bool)  # Grade by mfrac, stdr.
  # Trimming the average to within cangle: 'hash' (drop the farthest one
  # at a time) or 'skhash' (SKHASH's default threshold passes).
  inv.trim = config_dict.placeholder(str)
  inv.chunk = 8  # Trials scored at once per event.
  inv.batch = 8  # Events per jitted call.

  # Takeoff tables of velocity models (HASH's grid by default).
  config.table = table = ml_collections.ConfigDict()
  table.max_distance_km = 200.0
  table.distance_step_km = 2.0
  table.max_depth_km = 39.0
  table.depth_step_km = 3.0

  config.outputs = ml_collections.ConfigDict()
  config.outputs.quakeml = True
  config.outputs.figures = True

  if variant.startswith('example'):
    config.source = 'hash'
    config.data_dir = str(seismo.SHARED_DATA / 'focal' / 'hash_v1.2')
    config.example = int(variant[-1])
    # The drivers' flat earth (111.2 km per degree), or 'geodetic'.
    config.distance_method = 'hash'
    # HASH v1.2's letters are what the examples reproduce.
    inv.hash_compat = True
  elif variant == 'maacama':
    config.source = 'skhash_polinfo'
    config.data_dir = str(seismo.SHARED_DATA / 'focal' / 'skhash_maacama')
    # control_file.txt's values where they are not HASH's defaults, and
    # SKHASH's default way of trimming the average (its `iterative_avg`).
    inv.prob_max = 0.2
    inv.trim = 'skhash'
  elif variant == 'kumamoto':
    config.source = 'kumamoto'
    config.data_dir = str(seismo.SHARED_DATA / 'picks' / 'kumamoto_hinet')
    config.kumamoto = ku = ml_collections.ConfigDict()
    if arg['polarities'] not in ('analysts', 'cnn'):
      raise ValueError("polarities must be 'analysts' or 'cnn', got "
                       f'{arg["polarities"]!r}.')
    ku.polarities = arg['polarities']
    ku.polarity_workdir = str(arg['polarity_workdir'])
    if ku.polarities == 'cnn' and not ku.polarity_workdir:
      raise ValueError('polarities=cnn needs polarity_workdir=<the workdir '
                       'of a trained configs/polarity.py run>.')
    ku.depth_sigma_km = 1.0
    ku.max_distance_km = config_dict.placeholder(float)
    table.max_distance_km = 410.0  # The farthest station is 405 km away.
  else:
    config.source = 'quakeml'
    config.data_dir = ''
    config.quakeml = qml = ml_collections.ConfigDict()
    qml.picks = ''  # QuakeML file (paths relative to data_dir if given).
    qml.stations = ''  # StationXML, or CSV (network, station, ...).
    qml.velocity_model = ''  # vz file: depth km, vp km/s.
    # 'time,latitude,longitude,depth_km' of events without an origin (the
    # picker writes none); '' refuses them.
    qml.origin = ''
    # Trial depth spread; None: the origin's uncertainty, else 1 km.
    qml.depth_sigma_km = config_dict.placeholder(float)
    qml.max_distance_km = config_dict.placeholder(float)
  return config
