# Cloudivize backend. Every target builds the virtual environment it needs (.venv) first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Python 3.12 (the Lambda runtime) when the machine has it, else the machine's 3.11.
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 python3.11 python3; do \
	"$$p" -c 'import sys' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
ARGS ?=
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION := 20
export PYTHONDONTWRITEBYTECODE := 1

.PHONY: install run test unit integration infra security lint synth openapi clean

install: $(STAMP)

$(VENV): $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@touch $(STAMP)

## Local stack: embedded AWS emulator + the API, demo user included (Ctrl-C stops it).
run: $(STAMP)
	$(PY) -m infrastructure.local run $(ARGS)

## The whole suite (what CI runs), on every core.
test: $(STAMP)
	$(PY) -m pytest -n auto $(ARGS)

unit: $(STAMP)
	$(PY) -m pytest tests/unit $(ARGS)

integration: $(STAMP)
	$(PY) -m pytest tests/integration $(ARGS)

infra: $(STAMP)
	$(PY) -m pytest tests/infrastructure $(ARGS)

security: $(STAMP)
	$(PY) -m pytest tests/security $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .

## Synthesize the CloudFormation template into cdk.out/ (no Docker needed).
synth: $(STAMP)
	CDK_OUTDIR=cdk.out $(PY) app.py

## The OpenAPI 3 document generated from the handlers.
openapi: $(STAMP)
	$(PY) -c 'from infrastructure.local.gateway.docs import openapi_document; print(openapi_document())' > openapi.json
	@echo "wrote openapi.json"

clean:
	rm -rf $(VENV) cdk.out .pytest_cache .ruff_cache
