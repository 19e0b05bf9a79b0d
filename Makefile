# The two commands of the README: `make book` and `make test`.
# Each one creates .venv from the pinned requirements.txt when it is missing
# or when requirements.txt / pyproject.toml changed, then does its job.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
BUILD  := _build
# The strict build re-executes every page from an empty cache: the normal
# cache keys on a page's text and would not notice a broken package import.
STRICT := $(BUILD)/strict
# The book shows the student version of each exercise, released from its source.
RELEASED := $(patsubst exercises/%,book/exercises/%,$(wildcard exercises/*.ipynb))

.PHONY: help book test unit notebooks strict-book site clean

help:
	@echo "make book   build the HTML book into $(BUILD)/html"
	@echo "make test   unit tests, exercise notebooks (nbval), a strict book build and its check in Chromium"
	@echo "make clean  remove build output (keeps .venv)"

$(STAMP): requirements.txt pyproject.toml
	rm -rf $(VENV)
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

book/exercises/%.ipynb: exercises/%.ipynb $(STAMP)
	$(BIN)/lstm-course release $< --out book/exercises

book: $(STAMP) $(RELEASED)
	$(BIN)/jupyter-book build . --path-output .
	@echo "Open the book: file://$(CURDIR)/$(BUILD)/html/index.html"

test: unit notebooks strict-book site

unit: $(STAMP)
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
