"""Class hierarchies: C3 order exactly as CPython's, and near-linear work on long chains.

No timing here: the chain tests count how often a class's bases are read. Before the fix a
chain of n classes in one file read them about n²/2 times (the C3 merge copied and scanned
each ancestor list per class, and `is_device` walked the whole MRO per class): 2,000
classes took 15-22 s.
"""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from bqlint.config import Settings
from bqlint.model import classes
from bqlint.model.build import build_project
from bqlint.model.project import ModuleInfo, Project
from bqlint.source import SourceFile
from tests.analysis.helpers import findings_of


def _project(text: str) -> Project:
    source = SourceFile(Path("/virtual/h.py"), text, "h")
    assert source.parse() is not None
    return build_project([ModuleInfo("h", Path("/virtual"), source, False)], Settings())


def _random_hierarchy(rng: random.Random, size: int) -> tuple[str, dict[str, type]]:
    """Return the source of `size` classes with random bases that CPython accepts, and the
    classes CPython made of it."""
    made: dict[str, type] = {"C0": type("C0", (), {})}
    lines = ["class C0: pass"]
    for i in range(1, size):
        while True:
            # Mostly the most derived first, sometimes shuffled: a lattice C3 may still reject.
            bases = sorted(rng.sample(range(i), rng.randint(1, min(i, 4))), reverse=True)
            if rng.random() < 0.3:
                rng.shuffle(bases)
            try:
                made[f"C{i}"] = type(f"C{i}", tuple(made[f"C{b}"] for b in bases), {})
            except TypeError:
                continue
            break
        lines.append(f"class C{i}({', '.join(f'C{b}' for b in bases)}): pass")
    return "\n".join(lines) + "\n", made


@pytest.mark.parametrize("seed", range(40))
def test_mro_is_pythons_c3_order(seed: int) -> None:
    text, made = _random_hierarchy(random.Random(seed), 14)
    project = _project(text)
    assert len(project.classes) == 14
    for cls in project.classes:
        assert [c.name for c in cls.mro()] == [c.__name__ for c in made[cls.name].__mro__[:-1]]


def test_inconsistent_hierarchy_falls_back_to_depth_first_without_repeats() -> None:
    text = "class X: pass\nclass Y: pass\nclass A(X, Y): pass\nclass B(Y, X): pass\nclass Z(A, B): pass\n"
    project = _project(text)
    z = next(c for c in project.classes if c.name == "Z")
    # The merge takes Z, A, B, then is stuck (X and Y each wait for the other): the rest of
    # A's order, then of B's, without repeats.
    assert [c.name for c in z.mro()] == ["Z", "A", "B", "X", "Y"]


@pytest.fixture
def base_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    count = [0]
    bases = classes.ClassInfo.bases

    def spy(self: classes.ClassInfo) -> list:  # type: ignore[type-arg]
        count[0] += 1
        return bases(self)

    monkeypatch.setattr(classes.ClassInfo, "bases", spy)
    return count


N = 1500


@pytest.mark.parametrize("shape", ["named", "rebound"])
def test_a_long_chain_of_device_classes_is_linear(tmp_path: Path, base_reads: list[int], shape: str) -> None:
    lines = ["import bql", "", "", "class K0(bql.Device):", "    pass"]
    for i in range(1, N):
        lines += [f"class K{i}(K{i - 1}):" if shape == "named" else "class K0(K0):", "    pass"]
    lines += [
        "class Last(K0):" if shape == "rebound" else f"class Last(K{N - 1}):",
        "    def m(self):",
        "        self.x = 1",
    ]
    found = findings_of(tmp_path, "\n".join(lines) + "\n")
    assert found == [("BQL001", len(lines))]
    assert base_reads[0] <= 20 * N  # about n²/2 = 1.1 million before
