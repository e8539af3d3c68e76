"""TFDS builder; see the *_dataset_builder.py module."""
