"""Flax models, built from `config.model` by `get_model`."""

from seisjax.models.picker_cnn import PickerCNN
from seisjax.models.precursor_cnn import PrecursorCNN

_MODELS = {'precursor_cnn': PrecursorCNN, 'picker_cnn': PickerCNN}


def get_model(model_config):
  """Builds the model named by `model_config.name` with its other fields."""
  fields = dict(model_config)
  name = fields.pop('name')
  if name not in _MODELS:
    raise ValueError(f'Unknown model {name!r}; known: {sorted(_MODELS)}.')
  return _MODELS[name](**fields)
