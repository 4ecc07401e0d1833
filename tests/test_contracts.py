"""Unit tests for the data contracts: each broken rule stops the build and names the rows."""

from __future__ import annotations

import pytest

from pipeline.normalize.contracts import Contracts, ContractViolation


def item(seq: int, name: str = "做好宣传", township: str = "T1", source: str = "a.pdf") -> dict:
    return {
        "item_id": f"{township}-B{seq:03d}",
        "township_id": township,
        "township": "甲乡",
        "seq": seq,
        "name": name,
        "category": "党建",
        "source_file": source,
    }


def test_clean_rows_pass():
    c = Contracts()
    c.add_file("a.pdf", {"basic_items": [item(1), item(2), item(3)]})
    c.add_file(
        "b.pdf",
        {"basic_items": [item(1, township="T2", source="b.pdf"), item(2, township="T2", source="b.pdf")]},
    )
    c.check()


def test_the_same_list_in_two_files_names_both():
    c = Contracts()
    c.add_file("a.pdf", {"basic_items": [item(1), item(2)]})
    c.add_file("b.pdf", {"basic_items": [item(1, source="b.pdf"), item(2, source="b.pdf")]})
    with pytest.raises(ContractViolation, match=r"T1-….*appears twice \(a\.pdf; b\.pdf\)"):
        c.check()


def test_repeated_key_within_a_file():
    c = Contracts()
    c.add_file("a.pdf", {"coordination_departments": [{"item_id": "T1-C001", "position": 1}] * 2})
    with pytest.raises(ContractViolation, match=r"T1-C001.*appears twice in a\.pdf"):
        c.check()


def test_gap_in_numbering_names_the_township_and_the_missing_numbers():
    c = Contracts()
    c.add_file("a.pdf", {"basic_items": [item(1), item(2), item(4)]})
    with pytest.raises(ContractViolation, match=r"T1 \(a\.pdf\) numbers its items 1\.\.4.*missing \[3\]"):
        c.check()


def test_empty_name_is_a_violation():
    c = Contracts()
    c.add_file("a.pdf", {"basic_items": [item(1, name=" ")]})
    with pytest.raises(ContractViolation, match=r"T1-B001 \(a\.pdf\) has an empty name"):
        c.check()


def test_bridge_row_must_point_to_a_department():
    c = Contracts()
    c.add_file(
        "a.pdf", {"coordination_departments": [{"item_id": "T1-C001", "position": 1, "department_id": "D2"}]}
    )
    c.add_table("departments", [{"department_id": "D1"}])
    with pytest.raises(ContractViolation, match="refers to department D2, which departments lacks"):
        c.check()


def test_whole_build_tables_have_unique_keys():
    c = Contracts()
    c.add_table("departments", [{"department_id": "D1"}, {"department_id": "D1"}])
    with pytest.raises(ContractViolation, match="departments: key .*D1.* appears twice"):
        c.check()
