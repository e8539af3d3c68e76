"""Finds the packages; everything else is in pyproject.toml.

`datasets/` (the TFDS builders) is installed as `seisjax_datasets`, which
`[tool.setuptools.packages.find]` cannot express: it finds folders under
their own names.
"""

import setuptools

setuptools.setup(
    packages=(setuptools.find_packages(include=['seisjax', 'seisjax.*',
                                                'configs'])
              + ['seisjax_datasets']
              + ['seisjax_datasets.' + name
                 for name in setuptools.find_packages('datasets')]),
    package_dir={'seisjax_datasets': 'datasets'},
)
