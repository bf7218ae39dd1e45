"""`per-file-ignores`: compiled once per configuration (crash14 #1), and a key starting with
`!` applies to every file not matching it, as in ruff (crash14 #11)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bqlint import file_patterns, patterns
from bqlint.config import load_settings
from tests.cli.conftest import BROKEN


def _many_patterns(count: int) -> str:
    lines = "".join(f'"gen{i}/*.py" = ["BQL001"]\n' for i in range(count))
    return "[tool.bqlint.per-file-ignores]\n" + lines


def test_each_pattern_is_compiled_once_however_many_findings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    # 300 patterns once missed a 256-entry cache on every call: each finding recompiled all.
    (tmp_path / "pyproject.toml").write_text(_many_patterns(300))
    compiled: list[list[str]] = []
    real = patterns.glob_spec

    def counting(lines):
        compiled.append(list(lines))
        return real(compiled[-1])

    monkeypatch.setattr(patterns, "glob_spec", counting)
    monkeypatch.setattr(file_patterns, "glob_spec", counting)
    patterns.pattern_spec.cache_clear()
    settings = load_settings(tmp_path)  # validating compiles each pattern: matching reuses it
    inside, outside = tmp_path / "gen299" / "x.py", tmp_path / "dev.py"
    for _ in range(1000):
        assert not settings.is_enabled("BQL001", inside)
        assert settings.is_enabled("BQL002", inside)
        assert settings.is_enabled("BQL001", outside)
    assert len(compiled) == 300
    assert compiled[0] == ["gen0/*.py"] and compiled[-1] == ["gen299/*.py"]


def test_many_patterns_still_select_by_glob(project, invoke):
    body = _many_patterns(300).replace('["BQL001"]', '["BQL999"]')
    project({"pyproject.toml": body, "gen299/bad.py": BROKEN, "gen7/bad.py": BROKEN, "src/bad.py": BROKEN})
    result = invoke("check", "--no-cache", "--output-format", "concise", "-q")
    assert result.exit_code == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()] == ["src/bad.py"]


def test_settings_with_compiled_patterns_compare_and_pickle_as_before(tmp_path: Path):
    import pickle

    (tmp_path / "pyproject.toml").write_text(_many_patterns(3))
    used, fresh = load_settings(tmp_path), load_settings(tmp_path)
    assert not used.is_enabled("BQL001", tmp_path / "gen1" / "a.py")
    assert used == fresh and hash(used) == hash(fresh) and repr(used) == repr(fresh)
    copy = pickle.loads(pickle.dumps(used))
    assert copy == used
    assert not copy.is_enabled("BQL001", tmp_path / "gen2" / "a.py")
    assert copy.is_enabled("BQL001", tmp_path / "gen3" / "a.py")


def test_a_negated_key_applies_to_every_file_not_matching(project, invoke):
    project(
        {
            "pyproject.toml": '[tool.bqlint.per-file-ignores]\n"!tests/*" = ["BQL999"]\n',
            "tests/bad.py": BROKEN,
            "src/bad.py": BROKEN,
            "bad.py": BROKEN,
        }
    )
    result = invoke("check", "--no-cache", "--output-format", "concise", "-q")
    assert result.exit_code == 1
    assert result.stdout == "tests/bad.py:3:7: BQL999 cannot parse this file: invalid syntax\n"


def test_a_negated_key_and_a_plain_key_add_up(tmp_path: Path):
    (tmp_path / "bqlint.toml").write_text(
        '[per-file-ignores]\n"!src/**" = ["BQL001"]\n"src/gen/*" = ["BQL002"]\n'
    )
    settings = load_settings(tmp_path)
    enabled = {
        name: sorted(code for code in ("BQL001", "BQL002") if settings.is_enabled(code, tmp_path / name))
        for name in ("a.py", "tests/t.py", "src/a.py", "src/gen/g.py")
    }
    assert enabled == {
        "a.py": ["BQL002"],
        "tests/t.py": ["BQL002"],
        "src/a.py": ["BQL001", "BQL002"],
        "src/gen/g.py": ["BQL001"],
    }
