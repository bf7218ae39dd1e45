"""One run: choose and parse files, build the model, analyse, run rules, suppress, sort.

Only files that can matter are parsed with libcst: those that mention the runtime (or a
configured name), the project modules they import, and those that import a relevant module.
Any other reported file costs a read, a substring search and a syntax check (BQL999).
"""

from __future__ import annotations

import ast
import multiprocessing as mp
import os
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from bqlint.analysis.flow import FunctionFlow
from bqlint.analysis.interprocedural import analyze_project
from bqlint.analysis.summaries import Link
from bqlint.config import Settings
from bqlint.diagnostics import Diagnostic, Edit, Fix, Position, Related, Span
from bqlint.model.api import RUNTIME_PACKAGE, is_runtime_module
from bqlint.model.build import build_project
from bqlint.model.project import ModuleInfo, Project, collect_symbols, module_name_for
from bqlint.rules import Rule, all_rules
from bqlint.rules.context import Finding, RuleContext
from bqlint.source import SourceFile


@dataclass
class Report:
    """The outcome of one run, for the CLI and the renderers."""

    diagnostics: list[Diagnostic]
    # Text of every file that has a diagnostic (code frames, fixes), keyed like Diagnostic.path.
    sources: dict[Path, str] = field(default_factory=dict)
    files_checked: int = 0


def run(
    settings: Settings,
    files: Sequence[Path],
    *,
    context: Sequence[Path] = (),
    stdin: tuple[Path, str] | None = None,
) -> Report:
    """Check `files` (report on them), reading `context` files only for cross-module facts.

    `stdin` is (name, text) of a file read from standard input; it is reported under that name.
    Every reported file is at least syntax-checked (BQL999). Paths in the report are absolute.
    """
    reported: dict[Path, ModuleInfo] = {}
    modules: list[ModuleInfo] = []
    for path, text in _read(files, stdin):
        module = _module(path, text)
        reported[path] = module
        modules.append(module)
    for path, text in _read([c for c in context if c.resolve() not in reported], None):
        modules.append(_module(path, text))
    parsed = _parse_relevant(modules, settings)
    _check_syntax_many(
        [m.source for m in reported.values() if m.source.module is None and m.source.syntax_error is None]
    )
    project = build_project([m for m in parsed if m.source.module is not None], settings)
    functions = [
        fn
        for fn in project.functions
        if not is_runtime_module(fn.module.name) and fn.module.source.module is not None
    ]
    flows = analyze_project(functions)
    by_module: dict[int, list[FunctionFlow]] = {}
    for fn in functions:
        by_module.setdefault(id(fn.module), []).append(flows[id(fn)])
    # BQL100 and BQL999 are reported by suppression and parsing, not by a check.
    rules = [rule() for rule in all_rules() if rule.code not in ("BQL100", "BQL999")]
    diagnostics: list[Diagnostic] = []
    sources: dict[Path, str] = {}
    for path, module in reported.items():
        found = _check_module(project, module, by_module.get(id(module), []), rules)
        file_diagnostics = _diagnostics(module, found)
        file_diagnostics = [d for d in file_diagnostics if settings.is_enabled(d.code, d.path)]
        file_diagnostics = _suppress(path, module.source.text, file_diagnostics, settings)
        if file_diagnostics:
            sources[path] = module.source.text
            diagnostics.extend(file_diagnostics)
    diagnostics.sort(key=Diagnostic.sort_key)
    return Report(diagnostics, sources, len(reported))


def _read(files: Iterable[Path], stdin: tuple[Path, str] | None) -> Iterable[tuple[Path, str]]:
    for path in files:
        resolved = path.resolve()
        try:
            data = resolved.read_bytes()
        except OSError:
            continue
        yield resolved, _decode(data)
    if stdin is not None:
        yield stdin[0].resolve(), stdin[1]


def _decode(data: bytes) -> str:
    try:
        return data.decode("utf-8-sig")  # a byte-order mark is not part of the code
    except UnicodeDecodeError:
        return data.decode("latin-1")


def _module(path: Path, text: str) -> ModuleInfo:
    name, root = module_name_for(path)
    return ModuleInfo(name, root, SourceFile(path, text, name), path.name == "__init__.py")


def _trigger_words(settings: Settings) -> set[str]:
    words = {RUNTIME_PACKAGE}
    for dotted_name in (*settings.device_bases, *settings.cell_types, *settings.unlock_points):
        words.update(part for part in dotted_name.split(".") if part)
    return words


def _parse_relevant(modules: list[ModuleInfo], settings: Settings) -> list[ModuleInfo]:
    """Parse the modules that can matter and return them.

    Seeds are the modules that mention the runtime or a configured name. From every parsed
    module its imports are followed (helpers, register classes); from every module that is
    device-relevant (a seed, or one that imports a relevant module) the modules that import it
    are found, first by a substring search for its name, then confirmed by their imports.
    """
    words = _trigger_words(settings)
    by_name: dict[str, list[ModuleInfo]] = {}
    for module in modules:
        by_name.setdefault(module.name, []).append(module)
    parsed: dict[int, ModuleInfo] = {}
    relevant: set[int] = set()
    searched: set[str] = set()
    work = [m for m in modules if any(w in m.source.text for w in words)]
    relevant.update(id(m) for m in work)
    while work:
        module = work.pop()
        if id(module) not in parsed:
            parsed[id(module)] = module
            if not _parse(module):
                continue
            for imported in _imported_modules(module, by_name):
                if id(imported) not in parsed:
                    work.append(imported)
        if id(module) not in relevant or is_runtime_module(module.name):
            continue
        for name in {module.name.rsplit(".", 1)[-1], module.name.split(".")[0]} - searched:
            searched.add(name)
            for other in modules:
                if id(other) in relevant or name not in other.source.text:
                    continue
                if id(other) not in parsed:
                    parsed[id(other)] = other
                    if not _parse(other):
                        continue
                    work.extend(m for m in _imported_modules(other, by_name) if id(m) not in parsed)
                if any(id(m) in relevant for m in _imported_modules(other, by_name)):
                    relevant.add(id(other))
                    work.append(other)
    return list(parsed.values())


def _parse(module: ModuleInfo) -> bool:
    """Parse `module` and read its import table; False when it does not parse."""
    tree = module.source.parse()
    if tree is None:
        _fix_syntax_error_row(module.source)
        return False
    if not module.symbols:
        collect_symbols(module, tree)
    return True


def _imported_modules(module: ModuleInfo, by_name: dict[str, list[ModuleInfo]]) -> list[ModuleInfo]:
    """Return the checked modules that `module` imports (a dotted import may name a symbol)."""
    if is_runtime_module(module.name):
        return []
    found = []
    for imported in module.imported_modules:
        parts = imported.split(".")
        for i in range(len(parts), 0, -1):
            candidates = by_name.get(".".join(parts[:i]))
            if candidates:
                found.extend(candidates)
                break
    return found


def _syntax_error(text: str) -> tuple[str, int, int] | None:
    """Return (message, row, column) of the first syntax error in `text`, from Python's parser."""
    try:
        ast.parse(text)
    except SyntaxError as exc:
        return ((exc.msg or "invalid syntax").strip(), max(exc.lineno or 1, 1), max(exc.offset or 1, 1))
    except (ValueError, RecursionError, MemoryError) as exc:
        return (str(exc), 1, 1)
    return None


_PARALLEL_SYNTAX_CHECK = 64  # below this many files a process pool costs more than it saves


def _check_syntax_many(sources: list[SourceFile]) -> None:
    """Syntax-check files bqlint does not otherwise parse (BQL999), over all cores when many.

    Python's parser costs about 1/8 of libcst's; these files are only checked, not analysed.
    """
    texts = [s.text for s in sources]
    workers = min(os.cpu_count() or 1, 8)
    errors: list[tuple[str, int, int] | None]
    if len(texts) >= _PARALLEL_SYNTAX_CHECK and workers > 1 and "fork" in mp.get_all_start_methods():
        with mp.get_context("fork").Pool(workers) as pool:
            errors = pool.map(_syntax_error, texts, chunksize=16)
    else:
        errors = [_syntax_error(t) for t in texts]
    for source, error in zip(sources, errors):
        if error is not None:
            source.syntax_error = (error[0], Position(error[1], error[2]))


def _fix_syntax_error_row(source: SourceFile) -> None:
    """Take the row and column from Python's own parser: libcst's are sometimes one off."""
    try:
        ast.parse(source.text)
    except SyntaxError as exc:
        if source.syntax_error is not None and exc.lineno:
            source.syntax_error = (source.syntax_error[0], Position(exc.lineno, max(exc.offset or 1, 1)))
    except (ValueError, RecursionError):
        pass


def _check_module(
    project: Project, module: ModuleInfo, flows: list[FunctionFlow], rules: list[Rule]
) -> list[Finding]:
    if module.source.module is None or is_runtime_module(module.name):
        return []
    ctx = RuleContext(project, module, flows)
    found: list[Finding] = []
    for rule in rules:
        found.extend(rule.check(ctx))
    return found


def _diagnostics(module: ModuleInfo, findings: list[Finding]) -> list[Diagnostic]:
    """Position the findings of one module (one codegen pass per file) and deduplicate."""
    source = module.source
    if source.syntax_error is not None:
        message, pos = source.syntax_error
        end = Position(pos.row, pos.column + 1)
        return [
            Diagnostic(
                "BQL999", "syntax-error", f"cannot parse this file: {message}", Span(source.path, pos, end)
            )
        ]
    by_file: dict[int, tuple[SourceFile, list[cst.CSTNode]]] = {}
    for finding in findings:
        nodes = [finding.node, *(fix_node for fix_node, _ in (finding.fix.edits if finding.fix else ()))]
        by_file.setdefault(id(source), (source, []))[1].extend(nodes)
        for link in finding.related:
            target = link.module.source
            by_file.setdefault(id(target), (target, []))[1].append(link.node)
    for target, nodes in by_file.values():
        target.resolve_spans(nodes)
    names = {rule.code: rule.name for rule in all_rules()}
    out: list[Diagnostic] = []
    seen: set[tuple[str, int]] = set()
    for finding in findings:
        span = source.span(finding.node)
        key = (finding.code, span.start.row)
        if key in seen:
            continue
        seen.add(key)
        out.append(
            Diagnostic(
                finding.code,
                names[finding.code],
                finding.message,
                span,
                tuple(_related(link) for link in finding.related),
                finding.help,
                _fix(source, finding),
                finding.scope,
            )
        )
    return out


def _related(link: Link) -> Related:
    return Related(link.label, link.module.source.span(link.node))


def _fix(source: SourceFile, finding: Finding) -> Fix | None:
    plan = finding.fix
    if plan is None:
        return None
    edits = []
    for node, content in plan.edits:
        span = source.span(node)
        edits.append(Edit(content, span.start, span.end))
    edits.extend(plan.text_edits)
    return Fix(plan.message, plan.applicability, tuple(edits))


def _suppress(path: Path, text: str, diagnostics: list[Diagnostic], settings: Settings) -> list[Diagnostic]:
    try:
        from bqlint.suppression import apply_suppressions
    except ImportError:
        return diagnostics
    return apply_suppressions(path, text, diagnostics, settings)
