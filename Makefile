# 方案助手 — developer entry points. `make run` and `make test` are the two README commands.
# Needs Python 3.11, 3.12 or 3.13 and make; everything else is installed into .venv/ from pyproject.toml.
SHELL := /bin/bash
.SHELLFLAGS := -eo pipefail -c
VENV  := .venv
BIN   := $(VENV)/bin
STAMP := $(VENV)/.installed
SUITABLE := import sys; sys.exit(not ((3, 11) <= sys.version_info[:2] <= (3, 13)))
# the first suitable interpreter: $(PYTHON) if given, else python3, python3.13, python3.12, python3.11 on PATH
PYTHON ?= $(shell for p in python3 python3.13 python3.12 python3.11; do \
            command -v $$p >/dev/null 2>&1 && $$p -c '$(SUITABLE)' 2>/dev/null && { command -v $$p; break; }; done)

.PHONY: install run demo test test-fast lint bench clean

install: $(STAMP)

# a .venv made by an unsuitable or missing interpreter (or a failed install) is rebuilt, never reused
$(STAMP): pyproject.toml
	@if [ -z "$(PYTHON)" ] || ! "$(PYTHON)" -c '$(SUITABLE)' 2>/dev/null; then \
	  echo "需要 Python 3.11、3.12 或 3.13（$(if $(PYTHON),$(PYTHON) 不是,PATH 上没有找到)）。可用 make PYTHON=/path/to/python3.12 指定。" >&2; \
	  exit 1; fi
	@if [ -d $(VENV) ] && ! $(BIN)/python -c '$(SUITABLE)' 2>/dev/null; then \
	  echo "现有 $(VENV)/ 不是由 Python 3.11–3.13 创建的（或已损坏），重新创建……"; rm -rf $(VENV); fi
	@if [ ! -x $(BIN)/python ]; then echo "用 $$($(PYTHON) --version) 创建 $(VENV)/ ……"; $(PYTHON) -m venv $(VENV); fi
	@echo "安装依赖到 $(VENV)/（首次约 3 分钟，之后只在 pyproject.toml 变化时重装）……"
	@rm -f $(STAMP)
	@if ! $(BIN)/python -m pip install --disable-pip-version-check -e ".[test]" 2>&1 | tee $(VENV)/install.log \
	  | { n=0; while IFS= read -r line; do case "$$line" in \
	        "Collecting "*) n=$$((n + 1)); set -f -- $$line; echo "  [$$n] $$2";; \
	        "Installing collected"*) echo "  正在安装已下载的包（约 1 分钟）……";; esac; done; }; then \
	  echo "安装失败，最后几行（完整日志见 $(VENV)/install.log）：" >&2; tail -n 15 $(VENV)/install.log >&2; exit 1; fi
	@touch $(STAMP)
	@echo "依赖已装好（$$($(BIN)/python --version)）。"

# the main job on the embedded default: the chat UI, offline drafter + offline embeddings, no key, no network
run: install
	$(BIN)/planassist ui

# a demo draft from the built-in example, no UI (written under out/, which git ignores)
demo: install
	$(BIN)/planassist draft --example --out out/demo-plan.md

test: install
	$(BIN)/python -m pytest -q

# style and correctness lint (ruff, configured in pyproject.toml); CI runs it before the tests
lint: install
	$(BIN)/ruff check .

# the quick loop while editing (< 1 minute): everything but the tests marked slow (servers, subprocesses, whole plans)
test-fast: install
	$(BIN)/python -m pytest -q -m "not slow"

BENCHES ?= $(sort $(wildcard evals/bench_*.py evals/*/bench.py))  # every benchmark script, found by name
bench: install
	@echo "make bench：依次运行 $(words $(BENCHES)) 个性能基准（只打印数字，不判定通过与否），共需几分钟，每个结束时报用时……"
	@start=$$(date +%s); for b in $(BENCHES); do \
	  [ -f $$b ] || continue; echo "== $$b"; t=$$(date +%s); $(BIN)/python $$b; echo "   （$$b 用时 $$(( $$(date +%s) - t )) 秒）"; done; \
	  echo "make bench 完成，共用时 $$(( $$(date +%s) - start )) 秒"

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
