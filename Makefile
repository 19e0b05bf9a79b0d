# The commands of the README: `make book`, `make test` and, for students, `make lab`.
# Each one creates .venv from the pinned requirements.txt when it is missing
# or when requirements.txt / pyproject.toml changed, then does its job.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# JupyterLab comes from requirements-lab.txt: `make lab` and the tests need it, `make book` does not.
LAB_STAMP := $(VENV)/.lab-installed
# The student's working folder: `make lab` releases the exercises into it, never over work already there.
WORK ?= my-exercises
BUILD  := _build
# The strict build re-executes every page from an empty cache: the normal
# cache keys on a page's text and would not notice a broken package import.
STRICT := $(BUILD)/strict
# The book shows the student version of each exercise, released from its source.
RELEASED := $(patsubst exercises/%,book/exercises/%,$(wildcard exercises/*.ipynb))

.PHONY: help book lab test unit notebooks strict-book site clean

help:
	@echo "make book   build the HTML book into $(BUILD)/html"
	@echo "make lab    copy the exercises into $(WORK)/ (keeping your work there) and open them in JupyterLab"
	@echo "make test   unit tests, exercise notebooks (nbval), a strict book build and its check in Chromium"
	@echo "make clean  remove build output (keeps .venv)"

$(STAMP): requirements.txt pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(LAB_STAMP): requirements-lab.txt $(STAMP)
	$(BIN)/python -m pip install --quiet -r requirements-lab.txt
	touch $@

book/exercises/%.ipynb: exercises/%.ipynb $(STAMP)
	$(BIN)/lstm-course release $< --out book/exercises

book: $(STAMP) $(RELEASED)
	$(BIN)/jupyter-book build . --path-output .
	@echo "Open the book: file://$(CURDIR)/$(BUILD)/html/index.html"

lab: $(LAB_STAMP)
	$(BIN)/lstm-course release exercises/*.ipynb --out $(WORK) --keep-existing
	$(BIN)/jupyter lab --ServerApp.root_dir=$(WORK)

test: unit notebooks strict-book site

# tests/exercises/test_lab.py opens an exercise in JupyterLab
unit: $(STAMP) $(LAB_STAMP)
	$(BIN)/python -m pytest tests lstm_course

notebooks: $(STAMP)
	$(BIN)/python -m pytest --nbval exercises -p no:cacheprovider

strict-book: $(STAMP) $(RELEASED)
	rm -rf $(STRICT)
	$(BIN)/jupyter-book build . --path-output $(STRICT) -W -n --keep-going

# Every page of the strict build opened in headless Chromium (screenshots in $(STRICT)/screenshots).
site: strict-book
	LSTM_COURSE_SITE=$(STRICT)/_build/html $(BIN)/python -m pytest tests/site -p no:cacheprovider

clean:
	rm -rf $(BUILD) .pytest_cache $(RELEASED)
