"""Build the model of a small source text and return one function's CFG or flow."""

from __future__ import annotations

import textwrap
from pathlib import Path

from bqlint.analysis.cfg import CFG, CFGBuilder
from bqlint.analysis.flow import FunctionFlow
from bqlint.analysis.interprocedural import analyze_project
from bqlint.analysis.scope import FunctionScope
from bqlint.config import Settings
from bqlint.engine import run
from bqlint.model.build import build_project
from bqlint.model.project import ModuleInfo, Project
from bqlint.source import SourceFile

PRELUDE = """\
import bql


class Regs:
    def touch(self) -> None:
        self.x = 1


class Dev(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())
        self.level = bql.BqlCell(0)

"""


def project_of(body: str) -> Project:
    text = PRELUDE + textwrap.indent(textwrap.dedent(body), "    ")
    source = SourceFile(Path("/virtual/dev.py"), text, "dev")
    assert source.parse() is not None
    return build_project([ModuleInfo("dev", Path("/virtual"), source, False)], Settings())


def cfg_of(body: str, name: str) -> CFG:
    project = project_of(body)
    fn = next(f for f in project.functions if f.name == name)
    return CFGBuilder(FunctionScope(fn)).build()


def flow_of(body: str, name: str) -> FunctionFlow:
    project = project_of(body)
    flows = analyze_project(project.functions)
    return next(flows[id(f)] for f in project.functions if f.name == name)


def findings_of(folder: Path, text: str) -> list[tuple[str, int]]:
    """Check `text` as `folder/dev.py`; return (code, row) of every diagnostic."""
    path = folder / "dev.py"
    path.write_text(text)
    return [(d.code, d.span.start.row) for d in run(Settings(root=folder), [path]).diagnostics]
