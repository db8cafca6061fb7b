# Two commands a newcomer needs: `make run` and `make test`.
# Each creates .venv when missing and (re)installs the project when pyproject.toml changes.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
RUN_STAMP := $(VENV)/.stamp-run
TEST_STAMP := $(VENV)/.stamp-test

.PHONY: run test bench fuzz soak clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/lrtui $(ARGS)

# One BLAS thread (tests/conftest.py says why).
THREADS := OPENBLAS_NUM_THREADS=1 OMP_NUM_THREADS=1 MKL_NUM_THREADS=1

# The tests timed against the wall clock alone, then the rest on both cores (tests/conftest.py lists which).
test: $(TEST_STAMP)
	$(THREADS) $(BIN)/python -m pytest -m serial
	$(THREADS) $(BIN)/python -m pytest -m "not serial" -n 2

# Performance targets (issue 7) and the diagnostics' confusion matrix. The torch baselines need an
# interpreter with torch: make bench TORCH_PYTHON=/path/to/torch-venv/bin/python (else they are skipped).
bench: $(TEST_STAMP)
	$(BIN)/python -m benchmarks.run $(if $(TORCH_PYTHON),--torch-python $(TORCH_PYTHON))
	$(BIN)/python benchmarks/diagnostics.py
	$(BIN)/python -m benchmarks.diagcases.score --file benchmarks/diagcases/cases_fresh9.jsonl --split all --jobs 2
	$(BIN)/python -m benchmarks.diagcases.score --file benchmarks/diagcases/cases_fresh10.jsonl --split all --jobs 2
	$(BIN)/python -m benchmarks.diagcases.score --file benchmarks/diagcases/cases_fresh11.jsonl --split all --jobs 2
	$(BIN)/python -m benchmarks.edge_of_stability
	$(BIN)/python -m benchmarks.log_grading --phase5

# 8 runs x 1,000,000 steps: memory must stay flat after warm-up (about a minute).
soak: $(RUN_STAMP)
	$(BIN)/python -m benchmarks.soak

# The fuzz tests with FUZZ_EXAMPLES random cases each instead of a few fixed ones; prints how many ran.
FUZZ_EXAMPLES ?= 2000
fuzz: $(TEST_STAMP)
	$(THREADS) LRTUI_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) $(BIN)/python -m pytest tests/fuzz

clean:
	rm -rf $(VENV) build *.egg-info
