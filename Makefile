# minqing — 民情流水线. Two commands: `make run` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.lock 2>/dev/null | cut -c1-12)
DEV_STAMP := $(VENV)/.installed-dev-$(shell sha1sum requirements-dev.lock 2>/dev/null | cut -c1-12)
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test lint lock browser serve-only clean wheelhouse

# The runtime (requirements.lock) for make run; the runtime plus test, lint and type-check tools
# (requirements-dev.lock, the same versions) for make test.
$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements.lock
	find $(VENV) -maxdepth 1 -name '.installed-*' ! -name '.installed-dev-*' -delete && touch $(STAMP)

$(DEV_STAMP): requirements-dev.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --require-hashes -r requirements-dev.lock
	rm -f $(VENV)/.installed-dev-* && touch $(DEV_STAMP)

## make run: environment, database, demo district; then web server, task worker and deadline sweep
## together on http://127.0.0.1:8000 (Ctrl-C stops all three)
# Links in the demo's SMS point at the address it serves on (set MINQING_PUBLIC_URL to override).
run: export MINQING_PUBLIC_URL ?= http://$(HOST):$(PORT)
run: $(STAMP)
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py demo --if-empty
	-$(BIN)/python manage.py triage train --if-needed
	@echo "民情流水线已启动： http://$(HOST):$(PORT)/   群众端： http://$(HOST):$(PORT)/r/   （Ctrl-C 全部停止）"
	@bash -c 'trap "trap - EXIT INT TERM; kill 0 2>/dev/null" EXIT INT TERM; \
		$(BIN)/python manage.py db_worker --no-reload --interval 2 & \
		$(BIN)/python manage.py loop & \
		$(BIN)/python manage.py runserver --noreload $(HOST):$(PORT) & \
		wait -n'

## make test: lint, type check, migration check, the whole suite (browser tests included)
test: $(DEV_STAMP) browser lint
	$(BIN)/python manage.py makemigrations --check --dry-run > /dev/null
	$(BIN)/python -m pytest

## make lint: ruff over everything, mypy over the core packages (pyproject.toml [tool.mypy])
lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

## Debian's Chromium and CJK fonts for the browser tests (Playwright's own download does not work offline)
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		echo "Installing chromium and fonts-noto-cjk with apt-get"; \
		SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
		$$SUDO apt-get install -y -q chromium fonts-noto-cjk > /dev/null || \
		{ $$SUDO apt-get update -q > /dev/null && $$SUDO apt-get install -y -q chromium fonts-noto-cjk > /dev/null; }; \
	fi

## make lock: re-resolve requirements/runtime.in and requirements/dev.in into the hashed lock files
lock:
	$(BIN)/python -m pip install --quiet pip-tools
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe -o requirements.lock requirements/runtime.in
	$(BIN)/pip-compile --quiet --generate-hashes --strip-extras --allow-unsafe -o requirements-dev.lock requirements/dev.in

## make wheelhouse: every locked package as a wheel in wheelhouse/, to carry onto an intranet machine;
## there: python3.11 -m venv .venv && .venv/bin/pip install --no-index --find-links wheelhouse --require-hashes -r requirements.lock
wheelhouse: $(STAMP)
	$(BIN)/python -m pip download --quiet --disable-pip-version-check --require-hashes --only-binary=:all: \
		--dest wheelhouse -r requirements.lock
	@echo "wheelhouse/ 已就绪：$$(ls wheelhouse | wc -l) 个文件"

clean:
	rm -rf $(VENV) var .pytest_cache
