# Linli: two commands do everything.
#   make run   install what is missing, migrate, load the demo city, serve on http://127.0.0.1:8000
#   make test  the whole test suite: both database engines, the browser, the API fuzzing
SHELL := /bin/bash
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed
PWA_STAMP := pwa/dist/.built

# Debian packages: the SpatiaLite module for `run`; PostGIS and Chromium for `test`.
RUN_DEBS  := libsqlite3-mod-spatialite
TEST_DEBS := $(RUN_DEBS) postgresql-15-postgis-3 chromium fonts-noto-cjk
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help run test serve migrate demo lint typecheck bench bench-visits bench-sync bench-cases bench-boards pwa system-deps system-deps-test i18n clean

help:
	@echo "make run    install, migrate, load the demo city, serve API + PWA on http://127.0.0.1:8000"
	@echo "make test   run every test (SpatiaLite, PostGIS, headless Chromium, schemathesis)"
	@echo "make bench  benchmarks on a large generated city (prints figures)"
	@echo "make bench-visits  the weekly visit planner on a 5,000-household community"
	@echo "make bench-sync    phones syncing visit records in batches of 50 (PostGIS)"
	@echo "make bench-cases   1,000,000 service cases: inbox, office list, intake, deadline chore (PostGIS)"
	@echo "make bench-boards  a sub-district's year board over 1,000,000 cases (PostGIS)"
	@echo "make lint   ruff + mypy"

define install_debs
	@missing=""; for p in $(1); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq $$missing >/dev/null; \
	fi
endef

system-deps:
	$(call install_debs,$(RUN_DEBS))

system-deps-test:
	$(call install_debs,$(TEST_DEBS))

$(STAMP): pyproject.toml
	@[ -x $(PY) ] || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	@touch $@

$(PWA_STAMP): $(shell find pwa -path pwa/node_modules -prune -o -path pwa/dist -prune -o -type f -print 2>/dev/null)
	cd pwa && npm ci --no-audit --no-fund --loglevel=error && npm run build
	@touch $@

pwa: $(PWA_STAMP)

migrate: system-deps $(STAMP)
	$(VENV)/bin/linli migrate

demo: migrate
	$(VENV)/bin/linli demo

run: system-deps $(STAMP) $(PWA_STAMP)
	$(VENV)/bin/linli run

serve: $(STAMP)
	$(VENV)/bin/linli serve

test: system-deps-test $(STAMP) $(PWA_STAMP) lint
	cd pwa && npm run i18n-check && npm run size
	$(PY) -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check server tests grid_maps
	$(VENV)/bin/mypy

bench: system-deps-test $(STAMP)
	$(PY) -m tests.bench.run $(BENCH_ARGS)

bench-visits: $(STAMP)
	$(PY) -m tests.bench.visits_plan $(BENCH_ARGS)

bench-sync: system-deps-test $(STAMP)
	$(PY) -m tests.bench.visits_sync $(BENCH_ARGS)

bench-cases: system-deps-test $(STAMP)
	@command -v wrk >/dev/null || { echo "installing wrk"; $(SUDO) apt-get install -y -qq wrk >/dev/null; }
	$(PY) -m tests.bench.cases $(BENCH_ARGS)

bench-boards: system-deps-test $(STAMP)
	$(PY) -m tests.bench.boards $(BENCH_ARGS)

# Re-extract server messages and merge them into the three catalogs.
i18n: $(STAMP)
	$(VENV)/bin/pybabel extract -F babel.cfg -k N_ --no-location --omit-header --sort-output -o var/messages.pot .
	for l in zh_Hans zh_Hant en; do \
	  $(VENV)/bin/pybabel update -i var/messages.pot -d server/locale -l $$l --omit-header --ignore-obsolete -w 100; done

clean:
	rm -rf $(VENV) pwa/node_modules pwa/dist var/linli.sqlite3*
