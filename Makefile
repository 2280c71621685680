# Two entry points; each installs everything it needs first (a venv with the pins of envs/requirements.txt).
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
CORES ?= 8

.PHONY: reproduce test smoke lint

$(VENV)/.installed: envs/requirements.txt pyproject.toml
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r envs/requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

reproduce: $(VENV)/.installed  ## install, then the whole default-scale reproduction
	$(BIN)/snakemake --cores $(CORES)
	$(BIN)/snakemake --report results/report.html

test: $(VENV)/.installed  ## install, then every test (unit, property, gradient, DAG smoke)
	$(BIN)/python -m pytest

smoke: $(VENV)/.installed  ## every rule on tiny data
	$(BIN)/snakemake --cores 2 --config scale=smoke

lint: $(VENV)/.installed
	$(BIN)/snakemake --lint
