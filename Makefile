# Encore. `make run` serves the app on the embedded defaults; `make test` runs the suite.
VENV    ?= .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app app:create_app
HASH    := $(shell sha1sum pyproject.toml | cut -c1-12)
STAMP   := $(VENV)/.installed-dev-$(HASH)
RUNTIME_STAMP := $(VENV)/.installed-runtime-$(HASH)
PYTEST_ARGS ?=
# The browser and deploy tests need these Debian packages; `make test` installs them when it can.
BROWSER_PACKAGES := chromium fonts-noto-cjk janus nginx

.PHONY: run test test-realtime lint format install install-runtime system-packages vendor bench clean messages

# Everything the tests, lint and benchmarks need (the development toolchain).
$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP) $(RUNTIME_STAMP)

# Only what serving needs; a development install already contains it.
$(RUNTIME_STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e .
	touch $(RUNTIME_STAMP)

install: $(STAMP)

install-runtime: $(RUNTIME_STAMP)

# Chromium, a Korean font and Janus (the media server) for the browser tests, from the OS packages as .ci/run does:
# installed when missing and we are root with apt, otherwise stop at once and say how.
system-packages:
	@if command -v chromium >/dev/null 2>&1 && command -v janus >/dev/null 2>&1 && command -v nginx >/dev/null 2>&1 && fc-list 2>/dev/null | grep -qi "Noto Sans CJK"; then \
		exit 0; \
	elif [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
		echo "installing $(BROWSER_PACKAGES) for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(BROWSER_PACKAGES) >/dev/null; \
	else \
		echo "The browser tests need Chromium, the Noto CJK font, Janus and nginx. Install them with:"; \
		echo "    sudo apt-get install -y $(BROWSER_PACKAGES)"; \
		echo "or run everything else: make test PYTEST_ARGS=\"-m 'not e2e'\" BROWSER=skip"; \
		exit 1; \
	fi

# The browser builds are committed; this refreshes them from the pinned npm packages.
vendor:
	npm install --no-audit --no-fund --silent
	cp node_modules/htmx.org/dist/htmx.min.js app/static/vendor/htmx-2.0.11.min.js
	cp node_modules/socket.io-client/dist/socket.io.min.js app/static/vendor/socket.io-4.8.4.min.js
	sed -i 's|//# sourceMappingURL=.*||' app/static/vendor/socket.io-4.8.4.min.js
	cp node_modules/janus-gateway/src/janus.js app/static/vendor/janus-1.1.4.js
	cp node_modules/webrtc-adapter/out/adapter.js app/static/vendor/webrtc-adapter-8.2.2.js

node_modules/axe-core/axe.min.js: package.json
	@if command -v npm >/dev/null; then npm install --no-audit --no-fund --silent; \
	else echo "npm not found: browser accessibility checks will be skipped"; fi

run: install-runtime
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "Encore is on http://127.0.0.1:$${PORT:-5000} (demo password: encore-demo)"
	$(PY) wsgi.py

test: install $(if $(filter skip,$(BROWSER)),,system-packages) node_modules/axe-core/axe.min.js
	$(VENV)/bin/pytest $(PYTEST_ARGS)

test-realtime: install
	$(VENV)/bin/pytest -m realtime $(PYTEST_ARGS)

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

bench: install
	$(PY) -m bench.run_all

clean:
	rm -rf $(VENV) node_modules .pytest_cache .ruff_cache instance

# Extract every translatable string into the template, merge it into the Korean and English
# catalogues and compile them. The compiled .mo files are committed, so a fresh clone (and
# the Docker image) serves Korean without this step; tests/unit/test_catalogue.py checks that
# the .pot, the .po files and the .mo files agree.
TRANSLATIONS := app/translations
messages: install
	$(VENV)/bin/pybabel extract -F babel.cfg -k _l -k lazy_gettext -k lazy_ngettext:1,2 \
		--no-location --sort-output --project=Encore -o $(TRANSLATIONS)/messages.pot .
	$(VENV)/bin/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) \
		--ignore-obsolete --no-fuzzy-matching
	$(VENV)/bin/pybabel compile -d $(TRANSLATIONS) --statistics
