# Township duty lists (乡镇履职事项清单): PDFs in $(RAW) → Parquet tables in $(PROCESSED).
#
#   make all                          set up .venv (first time), build data/processed from data/raw
#   make all RAW=dir PROCESSED=dir    the same for any two folders
#   make all JOBS=2                   limit extraction to 2 processes (default: all cores)
#   make all FOLLOW_LINKS=1           also follow symbolic links leading out of the raw folder (default:
#                                     only links that stay inside it; the others get a note)
#   make all STRICT=1                 stop on any list problem and publish nothing (default: write what
#                                     was read, list the problems in the problems table, exit non-zero)
#   make all ENGINE=pdfplumber        read PDFs with pdfplumber, the reference (default: PDFium, faster)
#   make all PARTITION=province       write the item tables, bridges and duty_steps as datasets by province
#                                     (TABLE.parquet/province=…/; default auto: above 1,000,000 item rows)
#   make all DUTY_LANG=zh             the build's lines in Chinese (default: the locale's language)
#   make test                         run the tests (a representative part of the corpus runs)
#   make test-all                     run every test, whole corpora included
#   make lint                         ruff (style) and mypy (types) on the code
#   make notebooks                    run the notebooks headless on $(PROCESSED); HTML and figures in
#                                     reports/figures/ (REPORTS=dir for another folder), then make report
#   make report                       one self-contained HTML report in Chinese: $(REPORTS)/report.html
#                                     (first redraws any figure drawn from an earlier build)
#   make explain FILE=x.pdf [PAGE=3]  how a file is read, row by row (any format a build reads)
#   make explain ITEM=<item_id>       one item: its power type, departments, disposition, duty, page
#   make lab                          open JupyterLab
#   make benchmark                    time the build against bare pdfplumber (benchmarks/run.py)
#   make benchmark-ocr                pages per minute and peak memory of OCR on scans (benchmarks/ocr.py)
#   make benchmark-dask               extraction on a dask scheduler with 1, 2, 4 workers (benchmarks/dask_scaling.py)
#   make benchmark-noop [FILES=10000] the no-op build over a raw folder of FILES small PDFs (benchmarks/noop.py)
#   make benchmark-scale              everything issue 28 measures, one table after another: the Tuhulu and
#                                     scale ratios against bare pdfplumber, the dask rows, the no-op at
#                                     FILES files and stage x SIZES townships (hours at 40,000)
#   make benchmark-national           normalize and publish over 1,000 / 10,000 / 40,000 generated townships:
#                                     time and peak memory per stage and size (SIZES="1000 10000")
#
# Stages (one folder each under pipeline/, each runnable alone): extract → clean → normalize →
# publish, run in one process by pipeline/orchestrate/ when a raw file's content or the code changed;
# each stage caches per file (keyed by content hash) inside $(PROCESSED)/.build, so only new or
# changed files are read again.
# Paths must not contain spaces (refused up front with one line).

RAW ?= data/raw
PROCESSED ?= data/processed
JOBS ?=
DASK_SCHEDULER ?=
STRICT ?=
PARTITION ?=
FOLLOW_LINKS ?=
ENGINE ?= pdfium
REPORTS ?= reports
PYTHON ?= python3
# Language of the build's lines: zh or en (default: the locale, $LANG); the deliverables are Chinese.
DUTY_LANG ?=
export DUTY_LANG

# make splits words on spaces, so a path with one would become several targets: refuse it first.
ifneq ($(words $(RAW)) $(words $(PROCESSED)) $(words $(REPORTS)),1 1 1)
$(error paths with spaces are not supported (RAW="$(RAW)" PROCESSED="$(PROCESSED)" REPORTS="$(REPORTS)"); use a path without spaces, e.g. a symlink)
endif

# Relative paths given by the caller (RAW=, PROCESSED=, REPORTS=, FUZZ_OUT= on the command line
# or in the environment) name folders of the directory make was started from, also under
# `make -C project`: make changes into the project before reading this file (CURDIR is the
# project), but the calling shell's PWD, which make leaves alone, still names the caller's
# directory. A program that starts make in another directory without a shell should pass absolute
# paths (or set PWD). The defaults (data/raw, …) stay inside the project.
CALLER := $(or $(PWD),$(CURDIR))
from_caller = $(if $(filter file undefined default,$(origin $(1))),$($(1)),$(if $(filter /%,$($(1))),$($(1)),$(CALLER)/$($(1))))
override RAW := $(call from_caller,RAW)
override PROCESSED := $(call from_caller,PROCESSED)
override REPORTS := $(call from_caller,REPORTS)

VENV := .venv
PY := $(VENV)/bin/python
READY := $(VENV)/.requirements-installed

.PHONY: all test test-all lint format notebooks report lab benchmark clean-processed benchmark-ocr benchmark-dask benchmark-noop \
	score-pairs benchmark-national benchmark-scale

# One process (pipeline/orchestrate/) holds the processed folder's lock, finishes a publication a crash
# interrupted, decides from the raw files' content and the code whether anything changed (a no-op
# reads no PDF), runs extract → clean → normalize → publish, each skipping what its cache holds,
# and publishes the tables, codebook and exports as one set. Run a stage alone with
# python -m pipeline.<stage>.
all: $(READY)
	@FOLLOW_LINKS="$(FOLLOW_LINKS)" $(PY) -m pipeline.orchestrate --raw "$(RAW)" --processed "$(PROCESSED)" --engine $(ENGINE) \
		$(if $(JOBS),--jobs $(JOBS)) $(if $(DASK_SCHEDULER),--scheduler $(DASK_SCHEDULER)) \
		$(if $(filter-out 0,$(STRICT)),--strict) $(if $(PARTITION),--partition $(PARTITION))

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
	$(PY) -m pipeline.analysis.report --processed "$(PROCESSED)" --out "$(REPORTS)" --redraw

# make explain FILE=path [PAGE=n]: how a file (PDF, Word, Excel; a scan once built) is read, row by
# row; make explain ITEM=<item_id>: one item's decisions (power type, departments and the alias used,
# disposition, duty) and its page read row by row.
FILE ?=
PAGE ?=
ITEM ?=
.PHONY: explain
explain: $(READY)
	@$(PY) -m pipeline.clean --processed "$(PROCESSED)" --raw "$(RAW)" \
		$(if $(ITEM),--item "$(ITEM)",--explain "$(FILE)") $(if $(PAGE),--page $(PAGE))

benchmark: $(READY)
	$(PY) benchmarks/run.py

# Precision and recall of the duty matcher on labelled pairs (issue 27), per kind and list:
# make score-pairs PAIRS="tests/fixtures/duty_pairs/analyst_pairs.jsonl ../shared/corpus/duty_pairs/dev_pairs.jsonl"
PAIRS ?= tests/fixtures/duty_pairs/analyst_pairs.jsonl
score-pairs: $(READY)
	$(PY) -m pipeline.normalize.score_pairs $(PAIRS)

benchmark-ocr: $(READY)
	$(PY) benchmarks/ocr.py

# The later stages at national scale (issue 28): N generated townships through normalize and publish,
# time and peak memory per stage and size, growth between sizes (benchmarks/national.py; results in
# benchmarks/results/national.json). STAGES=normalize leaves publish out; PARTITION=province|none|auto.
SIZES ?= 1000 10000 40000
STAGES ?= normalize publish
benchmark-national: $(READY)
	$(PY) benchmarks/national.py --sizes $(SIZES) --stages $(STAGES) $(if $(PARTITION),--partition $(PARTITION))

# Extraction on a real dask scheduler with 1, 2 and 4 worker processes against a local build.
benchmark-dask: $(READY)
	$(PY) benchmarks/dask_scaling.py

# The no-op build over a raw folder of FILES small PDFs (built once, kept in the temporary folder).
FILES ?= 10000
benchmark-noop: $(READY)
	$(PY) benchmarks/noop.py --files $(FILES)

# One run of every scale measurement, in this order (each prints its own table).
benchmark-scale: benchmark benchmark-dask benchmark-noop benchmark-national

lab: $(READY)
	$(VENV)/bin/jupyter lab --notebook-dir=notebooks $(if $(filter 0,$(shell id -u)),--allow-root)

clean-processed:
	rm -rf "$(PROCESSED)"/*.parquet "$(PROCESSED)"/CODEBOOK.md "$(PROCESSED)"/datapackage.json \
		"$(PROCESSED)"/duty_lists.xlsx "$(PROCESSED)"/csv "$(PROCESSED)"/.build

# --- fuzzing (issue 13) --------------------------------------------------------------------------
# make fuzz N=1000 SEED=13: N seeded mutants of the fixture lists (byte flips, truncation, deleted
# objects, page-tree loops, rotations, bombs, odd names, ...) built in batches beside one good
# file through the real stages; summary table in $(FUZZ_OUT)/summary.md and .json (pipeline/fuzz/).
# make fuzz FAMILY=word (or excel, image, web, archive): mutants of Word, Excel, image files, web
# pages or zip archives instead (pipeline/fuzz/families.py), summary in $(FUZZ_OUT)/FAMILY/.
N ?= 1000
SEED ?= 13
FAMILY ?= pdf
FUZZ_OUT ?= $(REPORTS)/fuzz
override FUZZ_OUT := $(call from_caller,FUZZ_OUT)
.PHONY: fuzz
fuzz: $(READY)
	$(PY) -m pipeline.fuzz --family $(FAMILY) --n $(N) --seed $(SEED) \
		--out "$(FUZZ_OUT)$(if $(filter-out pdf,$(FAMILY)),/$(FAMILY))" --engine $(ENGINE) $(if $(JOBS),--jobs $(JOBS))
