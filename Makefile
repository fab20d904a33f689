# 方案助手 — developer entry points. `make run` and `make test` are the two README commands.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install run demo test test-fast lint bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --disable-pip-version-check -e ".[test]"
	touch $(STAMP)

# the main job on the embedded default: the chat UI, offline drafter + offline embeddings, no key, no network
run: install
	$(BIN)/planassist ui

# a demo draft from the built-in example, no UI
demo: install
	$(BIN)/planassist draft --example --out demo-plan.md

test: install
	$(BIN)/python -m pytest -q

# style and correctness lint (ruff, configured in pyproject.toml); CI runs it before the tests
lint: install
	$(BIN)/ruff check .

# the quick loop while editing (< 1 minute): everything but the tests marked slow (servers, subprocesses, whole plans)
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

bench: install
	$(BIN)/python evals/bench_offline.py
	-test -f evals/retrieval/bench.py && $(BIN)/python evals/retrieval/bench.py
	-test -f evals/bench_batch.py && $(BIN)/python evals/bench_batch.py
	-test -f evals/bench_drafting.py && $(BIN)/python evals/bench_drafting.py
	$(BIN)/python evals/intake/bench.py | tail -1

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
