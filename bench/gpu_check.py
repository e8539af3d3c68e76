r"""The one GPU check: ensemble throughput, memory, MFU, picking, focal.

  bash bench/gpu_check.sh                 # on a machine with one GPU
  python -m bench.gpu_check --smoke       # the same code, tiny sizes, a CPU

Prints one JSON object:
- `precursor`: the paper-sized precursor CNN (configs/precursor.py), train
  steps of N = 1, 5 and 16 vmapped members on one batch: member-windows per
  second, the ratio to N runs of one member one after another (the 1-member
  rate), peak device memory, and the MFU estimate: the compiled step's
  FLOPs (XLA's cost analysis) per second over the device's peak;
- `picker`: inference windows per second of the paper-sized picker
  ensemble (configs/picker.py) on random windows;
- `focal`: events per second of the focal-mechanism inversion on 1,000
  synthetic events of 40 polarities, 30 trials, grid 5 degrees.
Each part reports its error instead of its numbers if it fails, so one
failure does not cost the others. Meant to finish within 8 minutes.
"""

import json
import sys
import time
import traceback

from absl import app
from absl import flags
import jax
import jax.numpy as jnp
import numpy as np

from configs import picker as picker_config
from configs import precursor as precursor_config
from seisjax import registry
from seisjax.engine import ensemble
from seisjax.engine import train
from seisjax.focal import inversion
from tests.focal import synthetic as focal_synthetic

flags.DEFINE_bool('smoke', False, 'Tiny sizes: check the script on a CPU.')
FLAGS = flags.FLAGS

# Dense peak FLOP/s by device kind: (float32, tf32 or bf16 tensor cores).
PEAK_FLOPS = {'H200': (67e12, 989e12), 'H100': (67e12, 989e12),
              'A100': (19.5e12, 312e12), 'L4': (30e12, 121e12)}


def _peak(device) -> tuple[float, float] | None:
  kind = getattr(device, 'device_kind', '')
  return next((v for k, v in PEAK_FLOPS.items() if k in kind), None)


def _memory(device) -> dict:
  stats = device.memory_stats() or {}
  return {k: stats.get(k) for k in ('peak_bytes_in_use', 'bytes_limit')}


def precursor_part(smoke: bool) -> dict:
  config = precursor_config.get_config('tiny' if smoke else None)
  task = registry.get_task('precursor')
  shape = task.input_shape(config)
  rng = np.random.default_rng(0)
  b = config.train.batch_size
  batch = {'x': rng.normal(size=(b, *shape)).astype(np.float32),
           'label': rng.integers(0, 2, b).astype(np.int32)}
  mesh = ensemble.make_mesh(1, -1)
  runs, single = [], None
  for n in ((1, 2) if smoke else (1, 5, 16)):
    with config.unlocked():
      config.n_members = n
    state = ensemble.create_ensemble(
        task.make_model(config), train.make_optimizer(config.train), shape,
        ensemble.member_seeds(0, n), mesh)
    step = ensemble.jit_ensemble_step(train.make_train_step(task, config),
                                      mesh, way='vmap')
    epoch = jnp.int32(0)
    flops = (step.lower(state, batch, epoch).compile().cost_analysis() or
             {}).get('flops')
    state, out = step(state, batch, epoch)
    jax.block_until_ready(out)
    steps = 2 if smoke else 10
    start = time.perf_counter()
    for _ in range(steps):
      state, out = step(state, batch, epoch)
    jax.block_until_ready(out)
    seconds = (time.perf_counter() - start) / steps
    rate = n * b / seconds
    single = single or rate
    run = {'members': n, 'member_windows_per_s': rate,
           'vs_n_single_runs': rate / single, 'step_s': seconds,
           'flops_per_step': flops, **_memory(jax.devices()[0])}
    peak = _peak(jax.devices()[0])
    if flops and peak:
      run['mfu_fp32'] = flops / seconds / peak[0]
      run['mfu_tensor_core'] = flops / seconds / peak[1]
    runs.append(run)
    del state
  return {'window_samples': shape[0], 'batch_size': b, 'runs': runs}


def picker_part(smoke: bool) -> dict:
  config = picker_config.get_config('tiny' if smoke else None)
  task = registry.get_task('picker')
  mesh = ensemble.make_mesh(1, -1)
  model = task.make_model(config)
  state = ensemble.create_ensemble(
      model, train.make_optimizer(config.train), task.input_shape(config),
      ensemble.member_seeds(0, config.n_members), mesh)
  predict = ensemble.jit_ensemble_predict(task.make_predict(model), mesh)
  variables = {'params': state.params, 'batch_stats': state.batch_stats}
  b = config.train.eval_batch_size
  x = np.random.default_rng(0).normal(
      size=(b, *task.input_shape(config))).astype(np.float32)
  jax.block_until_ready(predict(variables, x))
  calls = 3 if smoke else 200
  start = time.perf_counter()
  for _ in range(calls):
    out = predict(variables, x)
  jax.block_until_ready(out)
  rate = calls * b / (time.perf_counter() - start)
  return {'members': config.n_members, 'batch_size': b,
          'windows_per_s': rate, 'member_windows_per_s':
          rate * config.n_members}


def focal_part(smoke: bool) -> dict:
  n = 20 if smoke else 1000
  rng = np.random.default_rng(0)
  events = [focal_synthetic.event(rng, focal_synthetic.random_mechanism(rng),
                                  n_stations=40, n_trials=30,
                                  event_id=f'syn{i}')[0] for i in range(n)]
  options = inversion.Options()
  inversion.invert(events[:8], options)  # Compiles.
  start = time.perf_counter()
  inversion.invert(events, options)
  seconds = time.perf_counter() - start
  return {'events': n, 'polarities': 40, 'trials': 30,
          'events_per_s': n / seconds}


def main(argv):
  del argv
  out = {'device': str(jax.devices()[0]), 'backend': jax.default_backend(),
         'device_kind': getattr(jax.devices()[0], 'device_kind', ''),
         'jax': jax.__version__, 'smoke': FLAGS.smoke}
  for name, part in (('precursor', precursor_part), ('picker', picker_part),
                     ('focal', focal_part)):
    start = time.perf_counter()
    try:
      out[name] = part(FLAGS.smoke)
    except Exception as e:  # pylint: disable=broad-except
      out[name] = {'error': f'{type(e).__name__}: {e}',
                   'traceback': traceback.format_exc()[-2000:]}
    out[name]['seconds'] = time.perf_counter() - start
  json.dump(out, sys.stdout, indent=2, default=float)
  print()


if __name__ == '__main__':
  app.run(main)
