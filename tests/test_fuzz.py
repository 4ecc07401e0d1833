"""The fuzzer in the test suite: a few dozen seeded mutants beside a good file, through the real
stages (`make fuzz N=1000` runs the deep version). Budgets are small here so bombs stop fast."""

from __future__ import annotations

import json

import pytest

from pipeline.fuzz.families import FAMILIES, family_mutant
from pipeline.fuzz.mutate import OPERATIONS, mutant
from pipeline.fuzz.run import Config, bases, run

SEED = 25  # its first 30 mutants cover 15 of the 16 operations (bombs and odd names included)


def assert_one_clean_batch(summary: dict) -> None:
    """One batch, its good file intact, no traceback and no failed batch or mutant."""
    checks = summary["checks"]
    assert checks["batches_good_file_intact"] == checks["batches"] == 1
    assert checks["tracebacks"] == 0 and checks["batch_failures"] == 0
    assert checks["mutant_failures"] == 0, json.dumps(summary["failures"], ensure_ascii=False)[:2000]


def test_a_few_dozen_mutants_keep_the_good_file_and_each_get_one_line(tmp_path):
    config = Config(
        seed=SEED, n=30, batch=30, jobs=2, engine="pdfplumber", budget_seconds=5, budget_memory_mb=400
    )
    summary = run(config, tmp_path / "fuzz", log=lambda *a: None)
    assert_one_clean_batch(summary)
    outcomes = {o["operation"]: o for o in summary["operations"]}
    assert sum(o["rejected"] for o in outcomes.values()) > 0 and sum(o["read"] for o in outcomes.values()) > 0
    saved = json.loads((tmp_path / "fuzz" / "summary.json").read_text(encoding="utf-8"))
    assert saved["seed"] == SEED and (tmp_path / "fuzz" / "summary.md").read_text(
        encoding="utf-8"
    ).startswith(f"# Fuzz run: seed {SEED}, 30 mutants")


def test_mutants_are_made_again_from_their_seed_and_index():
    files = bases()
    assert mutant(SEED, 7, files) == mutant(SEED, 7, files)
    assert (
        mutant(SEED, 7, files).data != mutant(SEED + 1, 7, files).data
        or mutant(SEED, 7, files).op == "bad_name"
    )
    made = {mutant(SEED, i, files).op.split(":")[0] for i in range(400)}
    assert made == set(OPERATIONS)  # every operation occurs in a run of a few hundred


# --- families beyond PDF (pipeline/fuzz/families.py) -------------------------------------------------


@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_mutants_are_made_again_from_their_seed_and_index(name, tmp_path):
    family = FAMILIES[name]
    files = family.bases(tmp_path / "bases")
    assert files and all(p.exists() for p in files)
    assert family_mutant(family, SEED, 3, files) == family_mutant(family, SEED, 3, files)
    assert family_mutant(family, SEED, 3, files) != family_mutant(family, SEED + 1, 3, files)


@pytest.mark.slow  # zip bombs and many-frame TIFFs take a while to make
@pytest.mark.parametrize("name", sorted(FAMILIES))
def test_family_mutants_cover_their_operations(name, tmp_path):
    family = FAMILIES[name]
    files = family.bases(tmp_path / "bases")
    made = [family_mutant(family, SEED, i, files) for i in range(150)]
    assert {m.op for m in made} == set(family.operations)
    assert all(b"/" not in m.name for m in made)  # one file each, in the batch's raw folder


@pytest.mark.slow
@pytest.mark.parametrize("name", ["word", "excel"])
def test_office_mutants_keep_the_good_file_and_each_get_one_line(name, tmp_path):
    config = Config(SEED, 24, 24, 2, "pdfium", budget_seconds=10, budget_memory_mb=600, family=name)
    summary = run(config, tmp_path / "fuzz", log=lambda *a: None)
    assert_one_clean_batch(summary)


@pytest.mark.parametrize("name", ["web", "archive"])
def test_web_and_archive_mutants_keep_the_good_file_and_each_get_one_line(name, tmp_path):
    """A dozen mutants (bombs, broken tags and boundaries, traversal names, payloads) beside the
    good file: an unpacked archive counts by its members, and every valid mutant is read."""
    config = Config(SEED, 12, 12, 1, "pdfium", budget_seconds=10, budget_memory_mb=600, family=name)
    summary = run(config, tmp_path / "fuzz", log=lambda *a: None)
    assert_one_clean_batch(summary)
    ops = {o["operation"]: o for o in summary["operations"]}
    assert ops["payload"]["read"] == ops["payload"]["mutants"] > 0  # hostile text in a valid file: read
    assert len(ops) >= 6  # bombs, broken structure and odd names, not only valid files
