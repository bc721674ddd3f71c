# The two commands of the README: `make demo` and `make test`. Both create/refresh .venv first (idempotent).
PYTHON_VENV := .venv/bin/python
PYTEST_ARGS ?=

.PHONY: env demo test test-fast

env:
	bash tools/setup_env.sh

demo: env
	$(PYTHON_VENV) tools/run_demo.py

test: env
	$(PYTHON_VENV) -m pytest tests $(PYTEST_ARGS)

test-fast: env
	$(PYTHON_VENV) -m pytest tests -m "not slow" $(PYTEST_ARGS)
