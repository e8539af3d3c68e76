"""Two processes train as one run, and resume after being killed.

Two local processes (2 forced CPU devices each, coordinator on 127.0.0.1)
train `:tiny` on a ('member', 'data') mesh of 2 x 2 that spans both; each
reads only its half of every batch. Killed after the first checkpoint and
started again, they finish with the best weights of one process training
on 4 devices.
"""

import os
import signal
import socket
import subprocess
import sys
import time

import jax
import numpy as np
import orbax.checkpoint as ocp

from configs import precursor
from seisjax.engine import ensemble
from seisjax.engine import train
from seisjax.precursor import data as precursor_data
from seisjax.precursor import task
from tests import clitools

# SGD: Adam's first steps are ~lr * sign(grad), which turns the different
# order of the cross-process sums into visible differences.
ARGS = ('--config=configs/precursor.py:tiny', '--config.mesh.member=2',
        '--config.mesh.data=2', '--config.train.num_epochs=2',
        '--config.train.optimizer=sgd', '--config.train.learning_rate=0.01')


def _env(devices):
  return dict(os.environ, JAX_PLATFORMS='cpu',
              XLA_FLAGS=f'--xla_force_host_platform_device_count={devices}')


def _free_port() -> int:
  with socket.socket() as s:
    s.bind(('127.0.0.1', 0))
    return s.getsockname()[1]


def _start_pair(workdir, data_dir):
  port = _free_port()
  return [subprocess.Popen(
      [sys.executable, '-m', 'seisjax.main', *ARGS, f'--workdir={workdir}',
       f'--config.data.data_dir={data_dir}',
       f'--coordinator_address=127.0.0.1:{port}', '--num_processes=2',
       f'--process_id={i}'], cwd=clitools.ROOT, env=_env(2),
      stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
          for i in range(2)]


def _best(workdir):
  """The last checkpoint's step and best weights, on this one device."""
  with ocp.CheckpointManager(os.path.join(workdir, 'checkpoints')) as m:
    step = m.latest_step()
  config = precursor.get_config('tiny')
  mesh = ensemble.make_mesh(1, 1, devices=jax.devices()[:1])
  _, variables = train.load_best(config, task.TASK, workdir, mesh)
  return step, jax.tree.map(np.asarray, variables)


def test_two_processes_train_as_one_and_resume_after_a_kill(tmp_path,
                                                            data_dir):
  precursor_data.load_records(precursor.get_config('tiny').data, data_dir)
  single = str(tmp_path / 'single')
  done = subprocess.run(
      [sys.executable, '-m', 'seisjax.main', *ARGS, f'--workdir={single}',
       f'--config.data.data_dir={data_dir}'], cwd=clitools.ROOT,
      env=_env(4), capture_output=True, text=True, timeout=300)
  assert done.returncode == 0, done.stderr[-3000:]

  pair = str(tmp_path / 'pair')
  processes = _start_pair(pair, data_dir)
  first = os.path.join(pair, 'checkpoints', '9')  # The end of epoch 1.
  deadline = time.time() + 240
  while not os.path.isdir(first):
    assert all(p.poll() is None for p in processes), [
        p.stderr.read()[-3000:] for p in processes]
    assert time.time() < deadline
    time.sleep(0.2)
  for p in processes:
    p.send_signal(signal.SIGKILL)
    p.wait(60)
  assert not os.path.exists(os.path.join(pair, 'summary.json'))

  processes = _start_pair(pair, data_dir)
  for p in processes:
    assert p.wait(300) == 0, p.stderr.read()[-3000:]
  step_a, a = _best(single)
  step_b, b = _best(pair)
  assert step_a == step_b == 18
  jax.tree.map(lambda x, y: np.testing.assert_allclose(x, y, rtol=2e-4,
                                                       atol=1e-5), a, b)
  with open(os.path.join(pair, 'metrics.jsonl')) as f:
    epochs = [line for line in f if '"epoch"' in line]
  assert len(epochs) == 2  # One writer, no duplicates after the resume.
