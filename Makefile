# Township duty lists (乡镇履职事项清单): PDFs in $(RAW) → Parquet tables in $(PROCESSED).
#
#   make all                          set up .venv (first time), build data/processed from data/raw
#   make all RAW=dir PROCESSED=dir    the same for any two folders
#   make all JOBS=2                   limit extraction to 2 processes (default: all cores)
#   make test                         run the tests (a representative part of the corpus runs)
#   make test-all                     run every test, whole corpora included
#   make lint                         ruff (style) and mypy (types) on the code
#   make notebooks                    run the notebooks headless on $(PROCESSED); HTML and figures in
#                                     reports/figures/ (REPORTS=dir for another folder)
#   make lab                          open JupyterLab
#   make benchmark                    time the build against bare pdfplumber (benchmarks/run.py)
#   make benchmark-ocr                pages per minute and peak memory of OCR on scans (benchmarks/ocr.py)
#
# Stages (one folder each under pipeline/, each runnable alone): extract → clean → normalize. Make redoes a
# stage only when its inputs or its code changed; extraction also keeps a per-file cache keyed
# by content hash inside $(PROCESSED)/.build, so only new or changed PDFs are read again.
# Paths must not contain spaces.

RAW ?= data/raw
PROCESSED ?= data/processed
JOBS ?=
DASK_SCHEDULER ?=
REPORTS ?= reports
PYTHON ?= python3

VENV := .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.requirements-installed

BUILD := $(PROCESSED)/.build
EXTRACTED := $(BUILD)/extract.json
CLEANED := $(BUILD)/clean.json
OUTPUTS := townships basic_items coordination_items reclaimed_items departments \
	coordination_departments reclaimed_departments duty_steps source_files
# normalize writes all of these at once; a missing one makes it run again.
TABLES := $(foreach t,$(OUTPUTS),$(PROCESSED)/$(t).parquet) $(PROCESSED)/CODEBOOK.md $(PROCESSED)/datapackage.json

# A stage's code is its folder plus pipeline/common (and the rules files); its cache key in
# pipeline/common/storage.py:stage_version hashes the same folders, so the map exists once.
stage_code = pipeline/__init__.py $(wildcard pipeline/common/*.py pipeline/$(1)/*.py pipeline/$(1)/*.toml) \
	$(wildcard pipeline/rules/*.toml)
EXTRACT_CODE := $(call stage_code,extract)
CLEAN_CODE := $(call stage_code,clean)
NORMALIZE_CODE := $(call stage_code,normalize)

# Any raw file added, changed or removed since the last extraction (find also lists the folder
# itself when its listing changed).
RAW_CHANGED := $(shell [ -f "$(EXTRACTED)" ] && find "$(RAW)" -newer "$(EXTRACTED)" -print -quit 2>/dev/null)

.PHONY: all build test test-all lint format notebooks lab benchmark clean-processed FORCE benchmark-ocr

all: $(READY)
	@test -d "$(RAW)" || { echo "make: raw folder $(RAW) does not exist" >&2; exit 2; }
	@$(PY) -m pipeline.common.lock "$(PROCESSED)" $(MAKE) --no-print-directory --silent build \
		RAW="$(RAW)" PROCESSED="$(PROCESSED)" JOBS="$(JOBS)" DASK_SCHEDULER="$(DASK_SCHEDULER)"
	@$(PY) -m pipeline.common.report --processed "$(PROCESSED)"

build: $(TABLES)

$(EXTRACTED): $(EXTRACT_CODE) $(if $(RAW_CHANGED),FORCE) | $(READY)
	@$(PY) -m pipeline.extract --raw "$(RAW)" --processed "$(PROCESSED)" \
		$(if $(JOBS),--jobs $(JOBS)) $(if $(DASK_SCHEDULER),--scheduler $(DASK_SCHEDULER))

$(CLEANED): $(EXTRACTED) $(CLEAN_CODE)
	@$(PY) -m pipeline.clean --processed "$(PROCESSED)"

$(TABLES): $(CLEANED) $(NORMALIZE_CODE)
	@$(PY) -m pipeline.normalize --processed "$(PROCESSED)"

FORCE:

# --- environment -----------------------------------------------------------------------------

$(READY): requirements.txt
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@# Put the project on the venv's path, so notebooks and dask workers import pipeline from anywhere.
	$(PY) -c "import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()['purelib'], 'duty-lists.pth').write_text('$(CURDIR)\n')"
	$(PY) -m ipykernel install --sys-prefix --name duty-lists --display-name "Python (duty lists)" >/dev/null
	touch $@

# --- checks and analysis -----------------------------------------------------------------------

test: $(READY)
	$(PY) -m pytest -m "not slow"

test-all: $(READY)
	$(PY) -m pytest

lint: $(READY)
	$(PY) -m ruff check pipeline tests benchmarks notebooks
	$(PY) -m ruff format --check pipeline tests benchmarks notebooks
	$(PY) -m mypy

format: $(READY)
	$(PY) -m ruff format pipeline tests benchmarks notebooks

notebooks: $(READY)
	$(PY) -m pipeline.analysis.notebooks --processed "$(PROCESSED)" --out "$(REPORTS)"

benchmark: $(READY)
	$(PY) benchmarks/run.py

benchmark-ocr: $(READY)
	$(PY) benchmarks/ocr.py

lab: $(READY)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks

clean-processed:
	rm -rf "$(PROCESSED)"/*.parquet "$(PROCESSED)"/CODEBOOK.md "$(PROCESSED)"/datapackage.json "$(BUILD)"
