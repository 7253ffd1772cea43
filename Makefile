# Two commands set everything up: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test check bench fmt migrate clean

$(STAMP): pyproject.toml
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@$(BIN)/python -m pip install -q --disable-pip-version-check --upgrade pip
	@$(BIN)/python -m pip install -q --disable-pip-version-check -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $(STAMP)

run: $(STAMP)  ## install, migrate, start on 127.0.0.1:8000 with SQLite under ./var
	$(BIN)/pilothouse serve

migrate: $(STAMP)
	$(BIN)/pilothouse migrate

test: $(STAMP)  ## install the dev extras and run the suite (SQLite; + PostgreSQL/Redis when set)
	$(BIN)/pytest

check: $(STAMP)  ## lint, and prove models and migrations agree
	$(BIN)/ruff check src tests bench migrations
	$(BIN)/ruff format --check src tests bench migrations
	$(BIN)/mypy --strict src
	$(BIN)/pytest -q tests/core/test_migrations.py

bench: $(STAMP)  ## requests/s of the full stack beside a bare baseline in the same server
	$(BIN)/python bench/bench_auth_read.py

fmt: $(STAMP)
	$(BIN)/ruff format src tests bench migrations
	$(BIN)/ruff check --fix src tests bench migrations

clean:
	rm -rf $(VENV) var .pytest_cache
