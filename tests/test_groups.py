"""Which files are parsed and which analysed together, decided from facts alone (bqlint.groups)."""

from __future__ import annotations

from pathlib import Path

from bqlint.facts import extract_facts
from bqlint.groups import ModuleRef, analysis_groups, parsed_modules

WORDS = ("bql",)
SEED = "import bql\nLEVEL = bql.BqlCell(0)\n"  # uses the runtime: a seed


def _refs(files: dict[str, str]) -> list[ModuleRef]:
    refs = []
    for path, text in files.items():
        name = path.removesuffix(".py").removesuffix("/__init__").replace("/", ".")
        is_package = path.endswith("__init__.py")
        refs.append(
            ModuleRef(name, Path("/p") / path, is_package, extract_facts(text, name, is_package, WORDS))
        )
    return refs


def _named(refs: list[ModuleRef], groups: list[list[int]]) -> list[list[str]]:
    return [[refs[i].name for i in group] for group in groups]


def test_facts_record_imports_as_the_model_does_relative_ones_made_absolute():
    facts = extract_facts(
        "import a.b as c\nfrom . import x\nfrom ..up import y, z\nfrom .regs import *\n"
        "def f():\n    import inner\n",
        "pkg.sub.mod",
        False,
        WORDS,
    )
    assert facts.imports == (
        "a.b",
        "inner",
        "pkg.sub",
        "pkg.sub.regs",
        "pkg.sub.x",
        "pkg.up",
        "pkg.up.y",
        "pkg.up.z",
    )
    assert (facts.relevant, facts.syntax_error) == (False, None)


def test_a_syntax_error_is_recorded_with_its_row_and_no_imports():
    facts = extract_facts("import bql\ndef f(:\n", "m", False, WORDS)
    assert facts.relevant and facts.imports == ()
    assert facts.syntax_error is not None and facts.syntax_error[1] == 2


def test_relevance_follows_importers_up_and_parsing_follows_imports_down():
    refs = _refs(
        {
            "dev.py": SEED + "import helper\n",
            "helper.py": "import leaf\n",
            "leaf.py": "",
            "board.py": "import dev\n",
            "unrelated.py": "import os\n",
        }
    )
    assert [refs[i].name for i in parsed_modules(refs)] == ["dev", "helper", "leaf", "board"]


def test_importing_the_runtime_links_nothing_and_a_package_import_links_its_submodules():
    refs = _refs(
        {
            "a.py": SEED,
            "b.py": SEED,
            "pkg/__init__.py": "",
            "pkg/sub.py": SEED,
            "c.py": SEED + "import pkg\n",
        }
    )
    groups = analysis_groups(refs, parsed_modules(refs))
    assert _named(refs, groups) == [["a"], ["b"], ["pkg", "pkg.sub", "c"]]


def test_a_subclass_module_is_grouped_with_its_base_through_a_star_import():
    refs = _refs({"base.py": SEED, "child.py": "from base import *\n", "other.py": SEED})
    assert _named(refs, analysis_groups(refs, parsed_modules(refs))) == [["base", "child"], ["other"]]


def test_an_unused_bare_import_of_the_runtime_makes_no_seed():
    def relevant(text: str) -> bool:
        return extract_facts(text, "m", False, WORDS).relevant

    assert not relevant("import os\nimport bql\n")
    assert not relevant("import bql.lock\ndef f():\n    import bql\n    return 1\n")
    assert relevant("import bql\nx = bql.BqlCell(0)\n")
    assert relevant("import bql\ndef f(c: 'bql.BqlCell[int]') -> None: ...\n")  # in a string
    assert relevant("import bql  # bql is the runtime\n")  # mentioned again (a comment)
    assert relevant("import bql as b\n")  # aliased: its uses do not name the word
    assert relevant("import os, bql\n")
    assert relevant("from bql import BqlCell\n")  # names bound (and maybe re-exported)


def test_a_file_python_cannot_compile_makes_no_importer_relevant():
    refs = _refs({"broken.py": SEED + "def f(:\n", "user.py": "import broken\nimport helper\n", "helper.py": ""})
    assert [refs[i].name for i in parsed_modules(refs)] == []
