"""bqlint.parsing: the trees are libcst's, node for node; only the re-check is skipped."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from bqlint.parsing import parse_module

ROOT = Path(__file__).resolve().parent.parent
SOURCES = sorted([*(ROOT / "fixtures").rglob("*.py"), *(ROOT / "runtime").rglob("*.py"), *(ROOT / "bqlint").rglob("*.py")])


def test_every_fixture_and_source_parses_to_the_same_tree():
    compared = 0
    for path in SOURCES:
        text = path.read_text(encoding="utf-8")
        try:
            expected = cst.parse_module(text)
        except cst.ParserSyntaxError:
            with pytest.raises(cst.ParserSyntaxError):
                parse_module(text)
            continue
        got = parse_module(text)
        assert got.deep_equals(expected), path
        assert got.code == text, path
        compared += 1
    assert compared > 300


def test_nodes_are_checked_again_after_a_parse_and_after_a_failed_one():
    parse_module("x = 1\n")
    with pytest.raises(cst.ParserSyntaxError):
        parse_module("def (:\n")
    with pytest.raises(cst.CSTValidationError):
        cst.Name("not a name")  # libcst's own check is back for trees built by hand
