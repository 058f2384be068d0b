# edgeops.ecs_anywhere developer entry points. `make help` lists them.
SHELL := /bin/bash
.DEFAULT_GOAL := help
PYTHON ?= python3
VENV := .venv
VENV_STAMP := $(VENV)/.requirements-$(shell sha256sum requirements-dev.txt | cut -c1-16)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

.PHONY: help venv
help: ## list the targets
	@grep -hE '^[a-z][a-z_-]*:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-16s %s\n", $$1, $$2}'

venv: $(VENV_STAMP) ## create .venv from requirements-dev.txt (no-op when unchanged)

$(VENV_STAMP): requirements-dev.txt
	@echo "==> creating $(VENV) from requirements-dev.txt"
	@rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip
	$(VENV)/bin/pip install -q -r requirements-dev.txt
	@touch $@
