# Township duty lists (乡镇履职事项清单): PDFs in $(RAW) → Parquet tables in $(PROCESSED).
#
#   make all                          set up .venv (first time), build data/processed from data/raw
#   make all RAW=dir PROCESSED=dir    the same for any two folders
#   make all JOBS=2                   limit extraction to 2 processes (default: all cores)
#   make all STRICT=1                 stop on any list problem and publish nothing (default: write what
#                                     was read, list the problems in the problems table, exit non-zero)
#   make all ENGINE=pdfium            read PDFs with PDFium (faster; see README) instead of pdfplumber
#   make test                         run the tests (a representative part of the corpus runs)
#   make test-all                     run every test, whole corpora included
#   make lint                         ruff (style) and mypy (types) on the code
#   make notebooks                    run the notebooks headless on $(PROCESSED); HTML and figures in
#                                     reports/figures/ (REPORTS=dir for another folder), then make report
#   make report                       one self-contained HTML report in Chinese: $(REPORTS)/report.html
#   make lab                          open JupyterLab
#   make benchmark                    time the build against bare pdfplumber (benchmarks/run.py)
#   make benchmark-ocr                pages per minute and peak memory of OCR on scans (benchmarks/ocr.py)
#
# Stages (one folder each under pipeline/, each runnable alone): extract → clean → normalize, run
# in one process by pipeline/build/ when an input or the code changed; each stage caches per
# file (keyed by content hash) inside $(PROCESSED)/.build, so only new or changed PDFs are read again.
# pipeline/publish then writes the workbook, CSVs and datapackage from the tables.
# Paths must not contain spaces (refused up front with one line).

RAW ?= data/raw
PROCESSED ?= data/processed
JOBS ?=
DASK_SCHEDULER ?=
STRICT ?=
ENGINE ?= pdfplumber
REPORTS ?= reports
PYTHON ?= python3

# make splits words on spaces, so a path with one would become several targets: refuse it first.
ifneq ($(words $(RAW)) $(words $(PROCESSED)) $(words $(REPORTS)),1 1 1)
$(error paths with spaces are not supported (RAW="$(RAW)" PROCESSED="$(PROCESSED)" REPORTS="$(REPORTS)"); use a path without spaces, e.g. a symlink)
endif

VENV := .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.requirements-installed

BUILD := $(PROCESSED)/.build
EXTRACTED := $(BUILD)/extract.json
OUTPUTS := townships basic_items coordination_items reclaimed_items departments \
	coordination_departments reclaimed_departments duty_steps source_files problems duties changes
# normalize writes all of these at once; a missing one makes the build run again.
TABLES := $(foreach t,$(OUTPUTS),$(PROCESSED)/$(t).parquet) $(PROCESSED)/CODEBOOK.md
MISSING := $(filter-out $(wildcard $(TABLES)),$(TABLES))
BUILT := $(BUILD)/build.done
# pipeline/publish writes these from the tables: workbook, BOM CSVs, the datapackage describing the CSVs.
EXPORTS := $(PROCESSED)/duty_lists.xlsx $(PROCESSED)/datapackage.json \
	$(foreach t,$(OUTPUTS),$(PROCESSED)/csv/$(t).csv)

# A stage's code is its folder plus pipeline/common (and the rules files); its cache key in
# pipeline/common/storage.py:stage_version hashes the same folders, so the map exists once.
stage_code = pipeline/__init__.py $(wildcard pipeline/common/*.py pipeline/$(1)/*.py pipeline/$(1)/*.toml) \
	$(wildcard pipeline/rules/*.toml)
EXTRACT_CODE := $(call stage_code,extract)
CLEAN_CODE := $(call stage_code,clean)
NORMALIZE_CODE := $(call stage_code,normalize)
PUBLISH_CODE := $(NORMALIZE_CODE) $(wildcard pipeline/publish/*.py)

# Any raw file added, changed or removed since the last extraction (find also lists the folder
# itself when its listing changed). A processed folder inside the raw folder is not input.
RAW_CHANGED := $(shell [ -f "$(EXTRACTED)" ] && find "$(abspath $(RAW))" -path "$(abspath $(PROCESSED))" -prune \
	-o -newer "$(EXTRACTED)" -print -quit 2>/dev/null)

# The last extraction used another PDF reader (the manifest names it).
ENGINE_CHANGED := $(shell grep -qs '"engine": "$(ENGINE)"' "$(EXTRACTED)" || echo yes)

.PHONY: all build test test-all lint format notebooks report lab benchmark clean-processed FORCE benchmark-ocr

all: $(READY)
	@test -d "$(RAW)" || { echo "make: raw folder $(RAW) does not exist" >&2; exit 2; }
	@$(PY) -m pipeline.common.lock "$(PROCESSED)" $(MAKE) --no-print-directory --silent build \
		RAW="$(RAW)" PROCESSED="$(PROCESSED)" JOBS="$(JOBS)" DASK_SCHEDULER="$(DASK_SCHEDULER)" \
		ENGINE="$(ENGINE)" STRICT="$(STRICT)"
	@$(PY) -m pipeline.common.report --processed "$(PROCESSED)"

build: $(BUILT) $(EXPORTS)

# One process runs the three stages (pipeline/build/), so Python starts and pyarrow loads once;
# each stage skips what its cache holds (a change to clean's code re-extracts nothing). Run a
# stage alone with python -m pipeline.<stage>. A strict build always checks again: tables
# published by a lenient build may hold problems.
STRICT_ON := $(filter-out 0,$(STRICT))
$(BUILT): $(EXTRACT_CODE) $(CLEAN_CODE) $(NORMALIZE_CODE) $(wildcard pipeline/build/*.py) \
		$(if $(RAW_CHANGED)$(ENGINE_CHANGED)$(MISSING)$(STRICT_ON),FORCE) | $(READY)
	@$(PY) -m pipeline.build --raw "$(RAW)" --processed "$(PROCESSED)" --engine $(ENGINE) \
		$(if $(JOBS),--jobs $(JOBS)) $(if $(DASK_SCHEDULER),--scheduler $(DASK_SCHEDULER)) $(if $(STRICT_ON),--strict)
	@touch "$@"

$(EXPORTS): $(BUILT) $(PUBLISH_CODE)
	@$(PY) -m pipeline.publish --processed "$(PROCESSED)"

FORCE:

# --- environment -----------------------------------------------------------------------------

$(READY): requirements.txt
	@echo "setting up .venv (first run, about a minute)"
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	@# Put the project on the venv's path, so notebooks and dask workers import pipeline from anywhere.
	@$(PY) -c "import pathlib, sysconfig; pathlib.Path(sysconfig.get_paths()['purelib'], 'duty-lists.pth').write_text('$(CURDIR)\n')"
	@$(PY) -m ipykernel install --sys-prefix --name duty-lists --display-name "Python (duty lists)" >/dev/null
	@touch $@

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
	$(PY) -m pipeline.analysis.report --processed "$(PROCESSED)" --out "$(REPORTS)"

report: $(READY)
	$(PY) -m pipeline.analysis.report --processed "$(PROCESSED)" --out "$(REPORTS)"

benchmark: $(READY)
	$(PY) benchmarks/run.py

benchmark-ocr: $(READY)
	$(PY) benchmarks/ocr.py

lab: $(READY)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

clean-processed:
	rm -rf "$(PROCESSED)"/*.parquet "$(PROCESSED)"/CODEBOOK.md "$(PROCESSED)"/datapackage.json \
		"$(PROCESSED)"/duty_lists.xlsx "$(PROCESSED)"/csv "$(BUILD)"

# --- fuzzing (issue 13) --------------------------------------------------------------------------
# make fuzz N=1000 SEED=13: N seeded mutants of the fixture lists (byte flips, truncation, deleted
# objects, page-tree loops, rotations, bombs, odd names, ...) built in batches beside one good
# file through the real stages; summary table in $(FUZZ_OUT)/summary.md and .json (pipeline/fuzz/).
N ?= 1000
SEED ?= 13
FUZZ_OUT ?= $(REPORTS)/fuzz
.PHONY: fuzz
fuzz: $(READY)
	$(PY) -m pipeline.fuzz --n $(N) --seed $(SEED) --out "$(FUZZ_OUT)" --engine $(ENGINE) $(if $(JOBS),--jobs $(JOBS))
