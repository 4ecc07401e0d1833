"""The package layout: a module's folder says what it may import.

pipeline/common imports no stage; a stage (extract, clean, normalize) imports pipeline.common and
its own folder only; pipeline/analysis imports pipeline.common and itself; pipeline/orchestrate runs the
stages (their `run`) one after the other. So the data flows one way through files, never through
another stage's internals.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "pipeline"
ALLOWED = {
    "common": {"common"},
    "extract": {"common", "extract"},
    "clean": {"common", "clean"},
    "normalize": {"common", "normalize"},
    "analysis": {"common", "analysis"},
    "orchestrate": {
        "common",
        "extract",
        "clean",
        "normalize",
        "publish",
        "orchestrate",
    },  # the stages in one process
    "publish": {"common", "normalize", "publish"},
    "fuzz": {
        "common",
        "extract",
        "clean",
        "normalize",
        "fuzz",
    },  # builds mutants through the stages  # writes exports from normalize's tables and schema
}
# Single modules allowed more than their folder, each with its reason.
EXCEPTIONS = {
    # the debugging tool reads a PDF itself to draw its pages, and explains an item's later decisions
    "clean/explain.py": {"extract", "normalize"},
    "analysis/report.py": {"normalize"},  # names the build (version, date) as the schema records it
}


def _imported_parts(path: Path) -> set[str]:
    """The pipeline subpackages a module imports (pipeline.X... → X)."""
    parts = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = []
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module]
        for name in names:
            bits = name.split(".")
            if bits[0] == "pipeline" and len(bits) > 1:
                parts.add(bits[1])
    return parts


@pytest.mark.parametrize("folder", sorted(ALLOWED))
def test_a_folder_imports_only_what_it_may(folder):
    for module in sorted((PACKAGE / folder).glob("*.py")):
        allowed = ALLOWED[folder] | EXCEPTIONS.get(f"{folder}/{module.name}", set())
        wrong = _imported_parts(module) - allowed
        assert not wrong, f"{module.relative_to(PACKAGE.parent)} imports pipeline.{sorted(wrong)[0]}"


def test_every_module_lives_in_a_known_folder():
    loose = sorted(p.name for p in PACKAGE.glob("*.py") if p.name != "__init__.py")
    folders = sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists())
    assert loose == [] and folders == sorted(ALLOWED)
