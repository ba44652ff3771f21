# SalesStudio: `make run` sets everything up and starts the product; `make test` sets up and runs the suite.
# Every set-up step is idempotent and keyed on the file it depends on, so a second run starts in seconds.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip --disable-pip-version-check -q
APT_PACKAGES := espeak-ng sox libsox-fmt-all ffmpeg gettext
TEST_APT_PACKAGES := chromium fonts-noto-cjk
export PYTHONUNBUFFERED := 1

.PHONY: run test setup test-setup system-packages test-system-packages bench clean-venv

run: setup
	$(PY) manage.py migrate --noinput
	$(PY) manage.py prepare_models
	$(PY) manage.py bootstrap_demo
	$(PY) manage.py serve

test: test-setup
	$(PY) -m pytest $(PYTEST_ARGS)
	node --test tests/js/

setup: system-packages $(VENV)/.deps node_modules/.package-lock.json locale/zh_Hans/LC_MESSAGES/django.mo

test-setup: setup test-system-packages

# Debian packages: installed only when a command is missing (apt-get needs root, or sudo).
system-packages:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then echo "Installing Debian packages:$$missing"; \
	  SUDO=$$( [ $$(id -u) -eq 0 ] || echo sudo ); \
	  $$SUDO apt-get install -y -q $$missing || { $$SUDO apt-get update -q && $$SUDO apt-get install -y -q $$missing; }; fi

test-system-packages:
	@$(MAKE) --no-print-directory system-packages APT_PACKAGES="$(TEST_APT_PACKAGES)"

$(PY):
	$(PYTHON) -m venv $(VENV)

# The CPU build of torch goes first: anything that depends on torch must find it installed.
$(VENV)/.torch: | $(PY)
	$(PIP) install torch==2.13.0
	touch $@

$(VENV)/.deps: requirements.txt $(VENV)/.torch
	$(PIP) install --no-deps -r requirements.txt
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

locale/zh_Hans/LC_MESSAGES/django.mo: locale/zh_Hans/LC_MESSAGES/django.po $(VENV)/.deps
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules -v 0

bench: setup
	$(PY) bench/flows.py

clean-venv:
	rm -rf $(VENV) node_modules
