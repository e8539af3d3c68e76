"""Orbax checkpoints of the stacked ensemble state and the grain iterator.

All Orbax calls live here. A checkpoint holds the training state of every
member, the best weights so far, and the position of the data iterator, so a
resumed run continues with exactly the batches it would have seen.
"""

import os

import grain
import jax
import orbax.checkpoint as ocp


class Checkpointer:
  """Saves and restores `(state, iterator)` pairs under `directory`."""

  def __init__(self, directory: str, max_to_keep: int = 2):
    self._manager = ocp.CheckpointManager(
        os.path.abspath(directory),
        options=ocp.CheckpointManagerOptions(max_to_keep=max_to_keep,
                                             create=True))

  def latest_step(self) -> int | None:
    return self._manager.latest_step()

  def save(self, step: int, state, iterator) -> None:
    self._manager.save(step, args=ocp.args.Composite(
        state=ocp.args.StandardSave(state),
        data=grain.checkpoint.CheckpointSave(iterator)))

  def restore(self, step: int, state_like, iterator=None):
    """Returns the state saved at `step`; `iterator` is moved in place.

    Args:
      step: the checkpoint's step.
      state_like: a state with the right structure and shardings (for
        example a freshly initialised one); its values are not used.
      iterator: the grain iterator to reposition, or None to restore the
        state alone (for evaluation).
    """
    items = {'state': ocp.args.StandardRestore(
        jax.tree.map(ocp.utils.to_shape_dtype_struct, state_like))}
    if iterator is not None:
      items['data'] = grain.checkpoint.CheckpointRestore(iterator)
    return self._manager.restore(step, args=ocp.args.Composite(**items))[
        'state']

  def restore_part(self, step: int, part_like):
    """Reads only the leaves of the saved state that `part_like` names.

    What inference needs: e.g. {'best': {'params', 'batch_stats'}}, read
    without the optimiser state or the data iterator, and so without
    building an optimiser to describe them. Call it on a Checkpointer that
    has not restored otherwise (Orbax fixes an item's handler on first use).

    Args:
      step: the checkpoint's step.
      part_like: a subtree of the saved state of arrays or
        `jax.ShapeDtypeStruct`s with shardings.
    """
    part = jax.tree.map(ocp.utils.to_shape_dtype_struct, part_like)
    return self._manager.restore(step, args=ocp.args.Composite(
        state=ocp.args.PyTreeRestore(
            item=part, restore_args=ocp.checkpoint_utils.construct_restore_args(
                part), partial_restore=True)))['state']

  def wait(self) -> None:
    self._manager.wait_until_finished()

  def close(self) -> None:
    self._manager.close()
