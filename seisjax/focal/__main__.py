"""`python -m seisjax.focal`: the focal command (seisjax/focal/cli.py)."""

from seisjax.focal import cli

if __name__ == '__main__':
  cli.cli()
