"""Unit tests for the data contracts: each broken rule is a problem of its own list, never of another."""

from __future__ import annotations

from pipeline.normalize.contracts import Contracts, violation


def row(seq: int, name: str = "做好宣传", township: str = "甲乡", kind: str = "basic", pages=(1,)) -> dict:
    """A cleaned row, as the clean stage writes it."""
    return {"list": kind, "township": township, "seq": seq, "name": name, "pages": list(pages)}


def tid(r: dict) -> str:
    return {"甲乡": "T1", "乙乡": "T2"}[r["township"]]


def seqs(rows: list[dict]) -> list[tuple[str, int]]:
    return [(r["township"], r["seq"]) for r in rows]


def test_clean_rows_pass_untouched():
    c = Contracts()
    a = [row(1), row(2), row(3), row(1, kind="reclaimed")]
    assert c.screen_file("a.pdf", a, tid) == a
    b = [row(1, township="乙乡"), row(2, township="乙乡")]
    assert c.screen_file("b.pdf", b, tid) == b
    assert c.finish() == []


def test_a_gap_is_written_as_read_and_named_with_its_page():
    c = Contracts()
    rows = [row(1), row(2), row(4, pages=(2, 3)), row(5, pages=(3,)), row(1, township="乙乡")]
    assert c.screen_file("a.pdf", rows, tid) == rows
    [p] = c.finish()
    assert (p.kind, p.source_file, p.township_id, p.list, p.seq, p.page) == (
        "numbering_gap",
        "a.pdf",
        "T1",
        "basic",
        4,
        2,
    )
    assert "jumps from 2 to 4: 3 missing" in p.message


def test_a_list_not_starting_at_one_and_a_longer_gap():
    c = Contracts()
    c.screen_file("a.pdf", [row(3), row(4), row(9)], tid)
    messages = [p.message for p in c.finish()]
    assert any("starts at 3: 1..2 missing" in m for m in messages)
    assert any("jumps from 4 to 9: 5..8 missing" in m for m in messages)


def test_a_repeated_number_keeps_the_first_item_so_keys_stay_unique():
    c = Contracts()
    first, second = row(2, "甲事项"), row(2, "乙事项", pages=(4,))
    kept = c.screen_file("a.pdf", [row(1), first, second, row(3)], tid)
    assert [r["name"] for r in kept] == ["做好宣传", "甲事项", "做好宣传"]
    [p] = c.finish()
    assert (p.kind, p.seq, p.page) == ("numbering_repeat", 2, 4)
    assert "乙事项" in p.message and "left out" in p.message


def test_an_empty_name_is_written_and_reported():
    c = Contracts()
    rows = [row(1), row(2, name=" "), row(3)]
    assert c.screen_file("a.pdf", rows, tid) == rows
    [p] = c.finish()
    assert (p.kind, p.seq) == ("empty_name", 2)


def test_the_same_list_in_two_files_is_kept_once_naming_both_files():
    c = Contracts()
    c.screen_file("a.pdf", [row(1), row(2)], tid)
    other = [row(1, township="乙乡")]
    kept = c.screen_file("b.pdf", [row(1), row(2), *other, row(1, kind="coordination")], tid)
    assert seqs(kept) == [("乙乡", 1), ("甲乡", 1)]  # b's own lists stay
    [p] = c.finish()
    assert (p.kind, p.source_file, p.list) == ("duplicate_list", "b.pdf", "basic")
    assert "already read from a.pdf" in p.message


def test_one_bad_list_costs_no_other_list():
    c = Contracts()
    rows = [row(1), row(3), row(1, kind="coordination"), row(2, kind="coordination"), row(1, township="乙乡")]
    assert c.screen_file("a.pdf", rows, tid) == rows
    assert [p.list for p in c.finish()] == ["basic"]


def test_repeated_output_key_is_left_out():
    c = Contracts()
    bridge = {"item_id": "T1-C001", "position": 1, "department_id": "D1"}
    out = c.check_file("a.pdf", {"coordination_departments": [bridge, dict(bridge)]})
    assert out["coordination_departments"] == [bridge]
    c.check_table("departments", [{"department_id": "D1"}])
    [p] = c.finish()
    assert p.kind == "duplicate_key" and "T1-C001" in p.message


def test_bridge_row_must_point_to_a_department():
    c = Contracts()
    c.check_file(
        "a.pdf", {"coordination_departments": [{"item_id": "T1-C001", "position": 1, "department_id": "D2"}]}
    )
    c.check_table("departments", [{"department_id": "D1"}])
    [p] = c.finish()
    assert p.kind == "unknown_department" and "refers to department D2" in p.message


def test_whole_build_tables_have_unique_keys():
    c = Contracts()
    assert c.check_table("departments", [{"department_id": "D1"}, {"department_id": "D1"}]) == [
        {"department_id": "D1"}
    ]
    [p] = c.finish()
    assert p.source_file is None and "departments: key" in p.message


def test_problem_keys_are_stable_and_distinct():
    def problems():
        c = Contracts()
        c.screen_file("a.pdf", [row(1), row(3), row(3, pages=(2,)), row(4, name="")], tid)
        return [p.row() for p in c.finish()]

    first = problems()
    assert first == problems()
    assert len({p["problem_id"] for p in first}) == len(first) == 3


def test_strict_message_names_every_problem():
    c = Contracts()
    c.screen_file("a.pdf", [row(1), row(3)], tid)
    text = str(violation(c.finish()))
    assert text.startswith("data contract broken") and "a.pdf, page 1, basic list, 序号 3" in text


def test_lists_claimed_ahead_decide_the_duplicate_whatever_order_files_are_screened_in():
    # normalize claims every file's lists in file order, then screens files on several processes:
    # b.pdf, screened first, still yields its copy of 甲乡's basic list to a.pdf, the earlier file.
    c = Contracts()
    a, b = [row(1), row(2)], [row(1), row(2), row(1, township="乙乡")]
    c.claim_lists("a.pdf", a, tid)
    c.claim_lists("b.pdf", b, tid)
    on_b, on_a = c.for_file(), c.for_file()
    assert seqs(on_b.screen_file("b.pdf", b, tid)) == [("乙乡", 1)]
    assert on_a.screen_file("a.pdf", a, tid) == a
    on_a.check_file(
        "a.pdf", {"coordination_departments": [{"item_id": "T1-C001", "position": 1, "department_id": "D2"}]}
    )
    assert c.problems == []  # a file's findings are its own until merged
    c.merge(on_a.findings())
    c.merge(on_b.findings())
    c.check_table("departments", [{"department_id": "D1"}])
    kinds = sorted((p.kind, p.source_file) for p in c.finish())
    assert kinds == [("duplicate_list", "b.pdf"), ("unknown_department", "a.pdf")]


def test_a_files_findings_carry_none_of_the_lists_every_file_shares():
    # A worker sends a file's findings back to the build's process: the lists claimed by every
    # file of the build stay behind (sent with each file, they made normalize quadratic).
    import pickle

    c = Contracts()
    c.claim_lists("a.pdf", [row(n, township=t) for n in (1, 2) for t in ("甲乡", "乙乡")], tid)
    one = c.for_file()
    one.screen_file("a.pdf", [row(1), row(3)], tid)
    found = one.findings()
    assert [p.kind for p in found.problems] == ["numbering_gap"]
    assert b"T2" not in pickle.dumps(found)  # 乙乡's list (T2) is not in them
    assert b"T2" in pickle.dumps(c._lists)  # where it is
