# edgeops.ecs_anywhere developer entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
PORT ?= 4566
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help venv prereqs test test-vagrant lint sanity unit integration package emulator images agents demo demo-down bench clean

help: ## list the targets
	@grep -hE '^[a-z][a-z_-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

venv: ## link .venv and .cache to the caches outside the checkout; build the venv when requirements-dev.txt is new
	@scripts/cache.sh link
	@scripts/cache.sh venv $(PYTHON)

prereqs: venv ## check what the suites need and say how to get what is missing
	@scripts/check-prereqs.sh

test: prereqs ## run every suite (SUITES=a,b or SKIP=a,b to select); ends with pytest's summary
	@pytest -p no:cacheprovider -x -s -q -o console_output_style=classic tests/suites

test-vagrant: prereqs ## only the Vagrant scenario (make test runs it too, beside the other suites; libvirt/QEMU; installs Vagrant, builds the box)
	@SUITES=vagrant pytest -p no:cacheprovider -x -s -q -o console_output_style=classic tests/suites

lint: venv ## yamllint + ansible-lint + argument specs
	@$(MAKE) --no-print-directory test SUITES=yamllint,ansible-lint,argument-specs

sanity: venv ## ansible-test sanity (all tests, offline)
	scripts/ansible-test.sh sanity --requirements

unit: venv ## unit tests of modules and module_utils
	pytest -q -n 2 tests/unit

integration: venv ## ansible-test integration targets against the emulator
	scripts/run-integration.sh

package: venv ## build the tarball and ansible-doc everything from an install of it
	scripts/check-package.sh

emulator: venv ## run the AWS emulator in the foreground on 127.0.0.1:$(PORT)
	python -m sandbox.emulator --port $(PORT)

images: venv ## build the edge host and nginx images locally (cached on their inputs)
	scripts/ensure-docker.sh
	sandbox/images/build.sh

agents: ## build AWS's agents from source (fetched at the pinned commits when not vendored), packaged and signed, into .cache/mirror (cached)
	scripts/build-sandbox.sh --mirror-only

demo: venv ## the quick start locally: emulator, two edge containers, site.yml, results
	sandbox/demo.sh

demo-down: ## remove everything `make demo` made
	sandbox/sandbox.sh down

bench: venv ## measure site.yml with 1, 4 and 16 edge hosts, the no-op re-run, a decommission and sliced runs
	python tests/bench/bench.py

clean: ## remove build and test output (keeps the caches: .venv and .cache, see scripts/cache.sh)
	rm -rf .tmp tests/output *.tar.gz
