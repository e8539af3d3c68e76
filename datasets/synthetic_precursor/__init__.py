"""TFDS builder `synthetic_precursor`: planted precursors in seismic noise."""
