# Two entry points for a fresh machine: `make demo` and `make test` (see README.md).
# Both create .venv/ on first use; re-running is quick because the install is stamped.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.synapse_nb-installed

.PHONY: install demo test test-fast notebooks bench browser clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --disable-pip-version-check --upgrade pip wheel setuptools
	# torch + torchvision first, pinned to the builds on this machine's disk, so nothing
	# later can make pip fetch a multi-GB CUDA build from the registry.
	$(PY) -m pip install -q --disable-pip-version-check torch==2.14.1 torchvision==0.29.1
	$(PY) -m pip install -q --disable-pip-version-check -e ".[dev]"
	$(PY) -c "import synapse_nb, torch, torchvision, ultralytics, ray"
	touch $(STAMP)

install: $(STAMP)

# Debian's Chromium for the one real-browser test; Playwright uses it through
# executable_path and never downloads a browser of its own.
browser:
	@if [ -x /usr/bin/chromium ]; then echo "chromium present"; \
	else SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  ( $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq chromium >/dev/null ) \
	  || echo "chromium could not be installed: the browser test will be skipped"; fi

demo: $(STAMP)
	$(PY) -m synapse_nb.demo

NBVAL := --nbval --nbval-current-env --nbval-sanitize-with notebooks/sanitize.cfg --nbval-cell-timeout 900

# The docstring examples are part of the suite: every public function shows a true one.
test: $(STAMP) browser
	$(PY) -m pytest tests -p no:cacheprovider
	SYNAPSE_NB_HOME=$$(mktemp -d) $(PY) -m pytest --doctest-modules synapse_nb -p no:cacheprovider
	$(PY) -m pytest $(NBVAL) notebooks -p no:cacheprovider

notebooks: $(STAMP)
	$(PY) -m pytest $(NBVAL) notebooks -p no:cacheprovider

test-fast: $(STAMP)
	$(PY) -m pytest tests -m "not slow and not browser" -p no:cacheprovider
	SYNAPSE_NB_HOME=$$(mktemp -d) $(PY) -m pytest --doctest-modules synapse_nb -p no:cacheprovider

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache build *.egg-info
