"""bqlint on code no one here wrote: the Python standard library has no device code, so
bqlint must never crash on it and must report nothing but real syntax errors."""

from __future__ import annotations

import sys
from pathlib import Path

from bqlint.analysis.interprocedural import analyze_project
from bqlint.config import Settings
from bqlint.engine import _check_module, _module, run
from bqlint.model.build import build_project
from bqlint.rules import all_rules

STDLIB = Path(sys.base_prefix) / "lib" / f"python{sys.version_info[0]}.{sys.version_info[1]}"


def _files(limit: int, skip: int = 0) -> list[Path]:
    files = [p for p in sorted(STDLIB.rglob("*.py")) if "site-packages" not in p.parts and "test" not in p.parts]
    return files[skip : skip + limit]


def test_stdlib_is_quiet_apart_from_syntax_errors() -> None:
    report = run(Settings(root=STDLIB), _files(100000))
    assert report.files_checked > 500
    assert {d.code for d in report.diagnostics} <= {"BQL999"}


def test_full_analysis_of_stdlib_modules_finds_nothing_and_does_not_crash() -> None:
    # Force what the pre-filter would skip: model, CFG, flow and every rule on real code.
    modules = []
    for path in _files(120, skip=40):
        module = _module(path, path.read_text(encoding="utf-8", errors="replace"))
        if module.source.parse() is not None:
            modules.append(module)
    project = build_project(modules, Settings())
    flows = analyze_project(project.functions)
    rules = [rule() for rule in all_rules()]
    by_module: dict[int, list] = {}
    for fn in project.functions:
        by_module.setdefault(id(fn.module), []).append(flows[id(fn)])
    findings = [f for m in modules for f in _check_module(project, m, by_module.get(id(m), []), rules)]
    assert len(project.functions) > 1000
    assert findings == []
