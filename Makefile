# The two commands of the README: `make demo` and `make test`. Both create/refresh .venv first (idempotent).
PYTHON_VENV := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: env demo test test-fast lint lock

env:
	bash tools/setup_env.sh

demo: env
	$(PYTHON_VENV) demo/run_demo.py

test: env
	$(PYTHON_VENV) -m pytest tests $(PYTEST_ARGS)

test-fast: env
	$(PYTHON_VENV) -m pytest tests -m "not slow" $(PYTEST_ARGS)

# ruff (pinned in requirements/tests.txt; settings in pyproject.toml): pyflakes, pycodestyle, import order.
lint: env
	$(PYTHON_VENV) -m ruff check .

# requirements/lock.txt from the working .venv (see its header): every installed package but pip and mmkd itself.
lock:
	{ sed -n '/^#/p' requirements/lock.txt; \
	  $(PYTHON_VENV) -m pip freeze --all --exclude-editable | grep -v '^pip==\|^#\|^-e' \
	  | sed 's/^torch==\([0-9.]*\)+cpu$$/torch==\1/'; } > requirements/lock.txt.new
	mv requirements/lock.txt.new requirements/lock.txt
