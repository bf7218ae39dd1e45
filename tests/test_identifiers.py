"""bqlint.identifiers and SourceFile: names NFKC-normalised as Python's parser does, spans
still those of the text as written, and ASCII files left exactly as libcst parsed them."""

from __future__ import annotations

from pathlib import Path

import libcst as cst
import pytest

from bqlint.identifiers import normalise_names
from bqlint.source import walk
from bqlint.source_file import SourceFile


def _names(module: cst.Module) -> list[str]:
    return [node.value for node in walk(module) if isinstance(node, cst.Name)]


def test_non_ascii_names_are_normalised_and_everything_else_is_kept() -> None:
    written = cst.parse_module("self.ﬁeld = 'ﬁ'  # ﬁ\nimport 𝐛𝐪𝐥\nf(𝐤𝐞𝐲=1)\n")
    module, originals = normalise_names(written)
    assert _names(module) == ["self", "field", "bql", "f", "key"]
    assert module.code == "self.field = 'ﬁ'  # ﬁ\nimport bql\nf(key=1)\n"  # strings, comments as written
    assert written.code == "self.ﬁeld = 'ﬁ'  # ﬁ\nimport 𝐛𝐪𝐥\nf(𝐤𝐞𝐲=1)\n"
    assert all(id(node) not in originals for node in walk(written))
    # Subtrees without such a name are shared, not copied: `self` is the same node.
    assert module.body[0].body[0].targets[0].target.value is written.body[0].body[0].targets[0].target.value


def test_an_ascii_module_is_returned_as_it_is() -> None:
    written = cst.parse_module("self.field = 1\n")
    assert normalise_names(written) == (written, {})


def test_spans_after_a_normalised_name_are_columns_of_the_text_as_written() -> None:
    # `ﬁ` is one character as written and two once normalised: spans must not shift.
    source = SourceFile(Path("/x/a.py"), "self.ﬁeld = 1; self.y = 2\n")
    module = source.parse()
    assert module is not None
    names = [node for node in walk(module) if isinstance(node, cst.Name)]
    assert [node.value for node in names] == ["self", "field", "self", "y"]
    spans = [source.span(node) for node in names]
    assert [(s.start.column, s.end.column) for s in spans] == [(1, 5), (6, 10), (16, 20), (21, 22)]
    attribute = next(node for node in walk(module) if isinstance(node, cst.Attribute))
    assert (source.span(attribute).start.column, source.span(attribute).end.column) == (1, 10)


def test_a_deep_expression_with_a_non_ascii_name_is_normalised_without_recursion() -> None:
    written = cst.parse_module("x = " + " + ".join(["𝐚"] * 1200) + "\n")
    module, _ = normalise_names(written)
    assert set(_names(module)) == {"x", "a"}


def test_written_code_spells_names_as_the_file_does() -> None:
    source = SourceFile(Path("/x/a.py"), "self.ﬁeld = 𝐱 + y\n")
    module = source.parse()
    assert module is not None
    assign = next(node for node in walk(module) if isinstance(node, cst.Assign))
    plus = assign.value
    assert cst.Module([]).code_for_node(assign) == "self.field = x + y"
    assert (source.written_code(assign), source.written_code(plus)) == ("self.ﬁeld = 𝐱 + y", "𝐱 + y")
    assert source.written_code(assign.targets[0].target.value) == "self"  # shared, as written


def test_a_file_that_spells_bql_in_other_unicode_forms_is_checked(tmp_path: Path) -> None:
    # crash7 #3: `𝐛𝐪𝐥` is `bql` to Python; a comment mentioning "bql" used to change the result.
    from bqlint.cli import main

    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    device = "import 𝐛𝐪𝐥\n\n\nclass D(𝐛𝐪𝐥.SysBusDevice):\n    def m(self) -> None:\n        self.x = 1\n"
    (tmp_path / "d.py").write_text(device, encoding="utf-8")
    (tmp_path / "e.py").write_text(device.replace("import 𝐛𝐪𝐥\n", "import bql as 𝐛𝐪𝐥\n"), encoding="utf-8")
    out = tmp_path / "out.txt"
    with pytest.raises(SystemExit) as exited:
        main(["check", "--no-cache", "-q", "--output-format", "concise", "--output-file", str(out), str(tmp_path)])
    assert exited.value.code == 1
    rows = sorted(line.split(": ")[0] for line in out.read_text().splitlines())
    assert rows == [f"{tmp_path / 'd.py'}:6:9", f"{tmp_path / 'e.py'}:6:9"]
