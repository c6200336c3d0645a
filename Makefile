# Encore. `make run` serves the app on the embedded defaults; `make test` runs the suite.
VENV    ?= .venv
PY      := $(VENV)/bin/python
FLASK   := $(VENV)/bin/flask --app app:create_app
STAMP   := $(VENV)/.installed-$(shell sha1sum pyproject.toml | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: run test test-realtime lint format install vendor bench clean messages

$(STAMP): pyproject.toml
	test -x $(PY) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-*
	touch $(STAMP)

install: $(STAMP)

# The browser builds are committed; this refreshes them from the pinned npm packages.
vendor:
	npm install --no-audit --no-fund --silent
	cp node_modules/htmx.org/dist/htmx.min.js app/static/vendor/htmx-2.0.11.min.js
	cp node_modules/socket.io-client/dist/socket.io.min.js app/static/vendor/socket.io-4.8.4.min.js
	sed -i 's|//# sourceMappingURL=.*||' app/static/vendor/socket.io-4.8.4.min.js

node_modules/axe-core/axe.min.js: package.json
	@if command -v npm >/dev/null; then npm install --no-audit --no-fund --silent; \
	else echo "npm not found: browser accessibility checks will be skipped"; fi

run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo
	@echo "Encore is on http://127.0.0.1:$${PORT:-5000} (demo password: encore-demo)"
	$(PY) wsgi.py

test: install node_modules/axe-core/axe.min.js
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
