# Two commands from a fresh clone: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
WORKDIR ?= runs/precursor_cpu
CONFIG ?= configs/precursor.py:cpu

.PHONY: run test figures picks bench clean

$(VENV)/.installed: pyproject.toml setup.py
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $@

run: $(VENV)/.installed
	$(PY) -m seisjax.main --config=$(CONFIG) --workdir=$(WORKDIR)

test: $(VENV)/.installed
	$(PY) -m pytest -q --durations=15 tests

# The paper's figures for the CPU run (trains first if needed; a finished
# run is only re-evaluated), copied to docs/figures for docs/precursor.md.
figures: run
	$(PY) -m seisjax.main --config=$(CONFIG) --workdir=$(WORKDIR) \
	  --config.mode=analyze
	mkdir -p docs/figures
	cp $(WORKDIR)/*.png $(WORKDIR)/analyses/*.png docs/figures/

# The leave-one-set-out picking tables on ../shared/data/picks (trains 5 CPU
# ensembles under runs/loso/ first, about 30 min on 2 cores, or reuses
# them): bench/results/picks.md.
picks: $(VENV)/.installed
	$(PY) bench/pick_results.py

bench: $(VENV)/.installed
	$(PY) bench/train_throughput.py
	$(PY) bench/pick_throughput.py

clean:
	rm -rf $(VENV) runs
