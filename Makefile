PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint screenshot clean

$(STAMP): pyproject.toml setup.py $(wildcard reuse/*.c reuse/*/*.c)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev,bench,spark]'
	$(BIN)/python -m compileall -q reuse
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/reuse run seeds --out reports/seeds

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/pytest -q

screenshot: $(STAMP)
	$(BIN)/python scripts/screenshot.py

lint: $(STAMP)
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) reports/seeds
