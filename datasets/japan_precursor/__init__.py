"""TFDS builder `japan_precursor`: IU.MAJO records before Mw>=6 events."""
