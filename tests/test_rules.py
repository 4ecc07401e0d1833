"""The rules files: each has a declared shape, is checked when loaded, and every key is read."""

from __future__ import annotations

from pathlib import Path
import re

import pytest

from pipeline.common.rules import RULES_DIR, SHAPES, RulesError, load, load_file

ROOT = Path(__file__).resolve().parent.parent


def test_every_rules_file_has_a_shape_and_loads():
    files = sorted(p.stem for p in RULES_DIR.glob("*.toml"))
    assert files == sorted(SHAPES)
    for name in files:
        assert load(name)


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "power_types.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    "text, message",
    [
        (
            'fallback = "其他"\n[[rules]]\npower_type = "行政处罚"\nkeyword = ["处罚"]\n',
            "unknown key 'keyword'",
        ),
        ('[[rules]]\npower_type = "行政处罚"\nkeywords = ["处罚"]\n', "fallback: missing"),
        ('fallback = "其他"\n[[rules]]\npower_type = "行政处罚"\nkeywords = "处罚"\n', "rules[0].keywords"),
        ("fallback = 3\nrules = []\n", "fallback: expected str"),
        ('fallback = "其他"\nrules = [\n', "not valid TOML"),
    ],
)
def test_a_mistyped_rules_file_names_the_file_and_key(tmp_path, text, message):
    path = _write(tmp_path, text)
    with pytest.raises(RulesError) as err:
        load_file(path, SHAPES["power_types"])
    assert str(path) in str(err.value) and message in str(err.value)


def test_a_broken_regular_expression_is_an_error(tmp_path):
    path = tmp_path / "text.toml"
    text = (RULES_DIR / "text.toml").read_text(encoding="utf-8")
    path.write_text(text.replace("heading_end = ['[：:]$']", "heading_end = ['[：:$']"), encoding="utf-8")
    with pytest.raises(RulesError, match=r"paragraph\.heading_end\[0\]: not a valid regular expression"):
        load_file(path, SHAPES["text"])


def _fixed_keys(shape, prefix="") -> list[str]:
    """Every key name a shape fixes (tables with free keys contribute their value's keys)."""
    keys: list[str] = []
    if isinstance(shape, list) and shape and isinstance(shape[0], dict):
        keys += _fixed_keys(shape[0], prefix)
    elif isinstance(shape, dict):
        for k, v in shape.items():
            if k != "*":
                keys.append(k.rstrip("?"))
            keys += _fixed_keys(v, prefix)
    return keys


def test_every_key_of_every_rules_file_is_read_somewhere():
    """A key no code names is dead data (it reads as nothing, whatever a person writes there)."""
    code = "\n".join(
        p.read_text(encoding="utf-8") for p in (ROOT / "pipeline").rglob("*.py") if p.name != "rules.py"
    )
    for name, shape in SHAPES.items():
        for key in _fixed_keys(shape):
            assert re.search(rf"""["']{re.escape(key)}["']""", code), f"{name}.toml: {key} is never read"


def test_derived_data_is_made_once_per_inputs_and_again_when_they_change(tmp_path, monkeypatch):
    import pipeline.common.rules as rules

    monkeypatch.setenv("DUTY_LISTS_CACHE", str(tmp_path / "cache"))
    calls = []

    def make(value):
        def run():
            calls.append(value)
            return {"value": value}

        return run

    assert rules.derived("probe", b"one", make(1)) == {"value": 1}
    assert rules.derived("probe", b"one", make(2)) == {"value": 1}  # kept: not made again
    assert calls == [1]
    assert rules.derived("probe", b"two", make(3)) == {"value": 3}  # other inputs: made again
    assert calls == [1, 3]
    kept = sorted(p.name for p in (tmp_path / "cache").iterdir())
    assert len(kept) == 1 and kept[0].startswith("probe."), kept  # the stale one is removed
    assert (tmp_path / "cache").stat().st_mode & 0o777 == 0o700
    (tmp_path / "cache" / kept[0]).write_bytes(b"not a pickle")
    assert rules.derived("probe", b"two", make(4)) == {"value": 4}  # unreadable: made again


def test_derived_data_is_made_again_when_the_module_that_makes_it_changes(tmp_path, monkeypatch):
    import importlib.util

    import pipeline.common.rules as rules

    monkeypatch.setenv("DUTY_LISTS_CACHE", str(tmp_path / "cache"))
    source = tmp_path / "maker.py"

    def maker(body: str):
        source.write_text(f"def make():\n    return {body}\n")
        spec = importlib.util.spec_from_file_location("maker", source)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        return module.make

    assert rules.derived("probe", b"same", maker("1")) == 1
    assert rules.derived("probe", b"same", maker("1")) == 1
    assert rules.derived("probe", b"same", maker("2")) == 2  # its check changed: made again


def test_derived_data_without_a_writable_folder_is_made_each_time(tmp_path, monkeypatch):
    import pipeline.common.rules as rules

    monkeypatch.setenv("DUTY_LISTS_CACHE", str(tmp_path / "missing" / "cache"))  # cannot be made
    (tmp_path / "missing").write_text("a file, not a folder")
    calls = []
    for _ in range(2):
        assert rules.derived("probe", b"x", lambda: calls.append(1) or 7) == 7
    assert calls == [1, 1]


def test_derived_data_is_never_loaded_from_a_folder_others_can_write(tmp_path, monkeypatch):
    """A pickle runs code when loaded: one planted in a folder others can write is ignored."""
    import pickle

    import pipeline.common.rules as rules

    folder = tmp_path / "cache"
    monkeypatch.setenv("DUTY_LISTS_CACHE", str(folder))
    assert rules.derived("probe", b"x", lambda: 1) == 1
    (kept,) = folder.iterdir()
    kept.write_bytes(pickle.dumps(666))  # what an attacker would plant
    folder.chmod(0o777)
    assert rules.derived("probe", b"x", lambda: 2) == 2  # the planted value is not loaded
    folder.chmod(0o700)
    kept.chmod(0o666)
    assert rules.derived("probe", b"x", lambda: 3) == 3  # nor from a file others can write


def test_the_source_tree_holds_no_derived_data():
    import pipeline.common.rules as rules

    rules.load("lists")
    assert not list(rules.RULES_DIR.glob("__pycache__/*.pickle"))
    assert rules.RULES_DIR not in rules.cache_dir().parents


def test_a_rules_file_that_fails_its_check_is_not_kept(tmp_path, monkeypatch):
    import pipeline.common.rules as rules

    monkeypatch.setattr(rules, "RULES_DIR", tmp_path)
    monkeypatch.setenv("DUTY_LISTS_CACHE", str(tmp_path / "cache"))
    (tmp_path / "duties.toml").write_text("[matching]\nngram = 'three'\n", encoding="utf-8")
    rules.load.cache_clear()
    try:
        with pytest.raises(RulesError):
            rules.load("duties")
        assert not list(tmp_path.glob("cache/duties.*.pickle"))
    finally:
        rules.load.cache_clear()
