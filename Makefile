# Support Ops Pipelines — every set-up step lives here, so a clean clone needs nothing else.
#   make demo   run every pipeline once against the embedded sandbox
#   make test   ruff (with Airflow's AIR rules) and the whole pytest suite
#   make up / make down   Airflow standalone (UI on 127.0.0.1, port AIRFLOW_PORT, default 8080) + sandbox
#   make bench  benchmarks (figures and ratios)
#   eval "$$(make -s env)"   prepare a shell: venv, Airflow home, sandbox connections

SHELL := /bin/bash
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
RUN := $(CURDIR)/.airflow/run

export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW__CORE__DAGS_FOLDER := $(CURDIR)/dags
export AIRFLOW__CORE__PLUGINS_FOLDER := $(CURDIR)/plugins
export AIRFLOW__CORE__LOAD_EXAMPLES := False
export AIRFLOW__DATABASE__SQL_ALCHEMY_CONN := sqlite:///$(CURDIR)/.airflow/airflow.db
export AIRFLOW__CORE__EXECUTOR := LocalExecutor
export AIRFLOW__CORE__PARALLELISM := 4
export AIRFLOW__SCHEDULER__MIN_FILE_PROCESS_INTERVAL := 30
export AIRFLOW__CORE__DAGS_ARE_PAUSED_AT_CREATION := False
export SUPPORT_OPS_DATA_DIR ?= $(CURDIR)/data
export SANDBOX_DIR ?= $(CURDIR)/data/sandbox
export PYTHONUNBUFFERED := 1

.PHONY: install demo test lint up down env bench sandbox sandbox-stop sandbox-reset airflow-init connections check-up lock clean

install: $(STAMP)

# pip's own output condensed to a few progress lines (a first install takes a few minutes).
PIP_PROGRESS := awk '/^Collecting /{n++; if (n % 25 == 1) {printf "    resolving: %d packages so far\n", n; fflush()}} \
  /^Requirement already satisfied/{ok++} /^Installing collected packages/{printf "    installing %d packages...\n", n; fflush()} \
  /^Successfully installed/{done=NF-2} /^(ERROR|error|WARNING: )/{print; fflush()} \
  END{printf "    %d installed, %d already there\n", done, ok}'

$(STAMP): requirements.txt requirements-dev.txt requirements-sandbox.txt constraints.txt pyproject.toml sandbox/pyproject.toml
	@test -x $(BIN)/python || { echo "==> install: creating the virtual environment $(VENV)"; $(PYTHON) -m venv $(VENV); }
	@echo "==> install: upgrading pip"
	@$(BIN)/python -m pip install --quiet --upgrade pip
	@echo "==> install: requirements.txt (the Airflow image's) + requirements-dev.txt (development, tests, sandbox), pinned"
	@set -o pipefail; $(BIN)/python -m pip install --progress-bar off -r requirements.txt -r requirements-dev.txt | $(PIP_PROGRESS)
	@echo "==> install: the project and the sandbox (sandbox/, its own package), editable"
	@$(BIN)/python -m pip install --quiet --no-deps -e . -e sandbox
	@test -x $(BIN)/sandbox || $(BIN)/python -m pip install --quiet --no-deps --force-reinstall -e sandbox
	@touch $@
	@echo "==> install: done"

airflow-init: install
	@mkdir -p $(AIRFLOW_HOME) $(RUN)
	@$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || (cat $(AIRFLOW_HOME)/db-migrate.log; exit 1)
	@echo "airflow: metadata DB ready ($(AIRFLOW_HOME)/airflow.db)"

## The sandbox in the background (PID file), and the Airflow connections pointing at it.
sandbox: install
	@scripts/sandbox_up.sh

sandbox-stop:
	@scripts/stop_pidfile.sh $(RUN)/sandbox.pid sandbox

sandbox-reset: install
	$(BIN)/sandbox reset

connections: airflow-init
	@scripts/connections.sh

demo: airflow-init
	@scripts/demo.sh

test: install
	@scripts/system_deps.sh
	@scripts/test.sh

## The fast loop: unit tests without the `slow` ones (tests/conftest.py marks them); no services.
.PHONY: test-fast
test-fast: install
	$(BIN)/pytest -q -p no:cacheprovider -m "not slow" $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

# AIRFLOW_EXECUTOR=CeleryExecutor: the distributed mode (PostgreSQL, Redis, separate components);
# scripts/up.sh migrates its PostgreSQL metadata DB, so the SQLite one is not prepared for it.
UP_PREREQ := $(if $(filter CeleryExecutor,$(AIRFLOW_EXECUTOR)),install,airflow-init)

up: $(UP_PREREQ)
	@scripts/up.sh

# Stops whichever mode runs: standalone's process group, or each distributed component's.
down:
	@scripts/stop_pidfile.sh $(RUN)/airflow.pid airflow
	@for f in $(RUN)/airflow-worker-*.pid $(RUN)/airflow-{triggerer,scheduler,dag-processor,api-server}.pid; do \
	  [ ! -f "$$f" ] || scripts/stop_pidfile.sh "$$f" "$$(basename "$$f" .pid)"; done
	@scripts/stop_pidfile.sh $(RUN)/sandbox.pid sandbox

check-up: $(UP_PREREQ)
	@scripts/check_up.sh

env:
	@scripts/env.sh

bench: install
	@scripts/bench.sh

lock:
	$(BIN)/python -m pip freeze --exclude-editable > constraints.txt

clean: down
	rm -rf $(AIRFLOW_HOME) data

## Independent Zendesk clients (tap-zendesk, from PyPI, in its own venv) against the sandbox,
## through a TLS front on https://sandbox.zendesk.com (needs root: hosts entry, port 443).
.PHONY: conformance
CONFORMANCE_DIR := $(CURDIR)/.conformance
TAP_ZENDESK_VENV := $(CONFORMANCE_DIR)/tap-zendesk

$(TAP_ZENDESK_VENV)/.installed: conformance/requirements-tap-zendesk.txt
	@test -x $(TAP_ZENDESK_VENV)/bin/python || $(PYTHON) -m venv $(TAP_ZENDESK_VENV)
	$(TAP_ZENDESK_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(TAP_ZENDESK_VENV)/bin/python -m pip install --quiet -r conformance/requirements-tap-zendesk.txt
	@touch $@

conformance: install $(TAP_ZENDESK_VENV)/.installed
	@conformance/run.sh
