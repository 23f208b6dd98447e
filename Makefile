# The doors: make demo, make test, make lint, make bench.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
HOST ?= 127.0.0.1
PORT ?= 8000
# Production settings checked by `make lint` (dummy values: nothing is served with them).
DEPLOY_ENV := DJANGO_SETTINGS_MODULE=config.settings.production SECRET_KEY=lint-only-$(shell echo x | sha256sum | cut -c1-50) ALLOWED_HOSTS=trial.example.org DATABASE_URL=sqlite:///:memory:

.PHONY: demo cohort test test-sqlite test-pg test-browser lint format bench venv core-venv clean serve

venv: $(STAMP)
$(STAMP): requirements.txt requirements-dev.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $(STAMP)

demo: venv  ## Migrate, load the protocol and CTCAE, create demo users and patients, serve on 127.0.0.1:8000
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_protocol
	$(BIN)/python manage.py load_ctcae
	$(BIN)/python manage.py demo_setup
	$(BIN)/python manage.py demo_dosing
	$(BIN)/python manage.py runserver $(HOST):$(PORT)

cohort: venv  ## The reference cohort (110 synthetic patients matching the paper's Table 2) at site REF, on a fresh database
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_protocol
	$(BIN)/python manage.py load_ctcae
	$(BIN)/python manage.py reference_cohort

TEST_WORKERS ?= 2
test: venv  ## The whole suite in $(TEST_WORKERS) processes (SQLite by default; PostgreSQL when DATABASE_URL points there)
	$(BIN)/python -m pytest -n $(TEST_WORKERS)

test-browser: venv
	bash scripts/ensure-chromium.sh
	$(BIN)/python -m pytest -m browser

lint: venv  ## ruff, the import graph (lower apps never import higher ones), migrations up to date, deploy checks
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	DATABASE_URL= $(BIN)/python manage.py makemigrations --check --dry-run
	$(DEPLOY_ENV) $(BIN)/python manage.py check --deploy --fail-level WARNING
	bash scripts/check-compose.sh

format: venv
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# On PostgreSQL: make bench BENCH_DATABASE_URL=postgres://postgres@127.0.0.1:5432/bench_x. The sweep, the
# dashboards (sizes in BENCH_DASHBOARD_SIZES, default 1000,10000) and the exports (BENCH_EXPORT_SIZES, default
# 100000,1000000 administrations) use their own databases, bench_x_sweep, bench_x_dashboards and bench_x_exports,
# created if missing; the dashboards' and the exports' are topped up (not emptied) when run again.
bench: venv  ## Benchmarks (timings live here, never in the test suite)
	$(BIN)/python -m bench
	BENCH_DATABASE_URL=$(if $(BENCH_DATABASE_URL),$(BENCH_DATABASE_URL)_sweep) $(BIN)/python -m bench.sweep
	BENCH_DATABASE_URL=$(if $(BENCH_DATABASE_URL),$(BENCH_DATABASE_URL)_dashboards) $(BIN)/python -m bench.dashboards
	BENCH_DATABASE_URL=$(if $(BENCH_DATABASE_URL),$(BENCH_DATABASE_URL)_exports) $(BIN)/python -m bench.exports

core-venv:  ## CDISC CORE (cdisc-rules-engine) in its own Python 3.12 environment, .venv-core, for the SDTM checks
	bash scripts/cdisc-core-venv.sh

clean:
	rm -rf $(VENV) staticfiles .pytest_cache db.sqlite3
