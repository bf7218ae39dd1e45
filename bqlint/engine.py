"""One run: choose and parse files, build the model, analyse, run rules, suppress, sort.

Only files that can matter are parsed with libcst: those that mention the runtime (or a
configured name), the project modules they import, and those that import a relevant module.
Any other reported file costs a read, a substring search and a syntax check (BQL999).
"""

from __future__ import annotations

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
from bqlint.deepstack import on_deep_stack
from bqlint.diagnostics import Diagnostic, Edit, Fix, Position, Related, Span
from bqlint.isolation import describe, without_faulty
from bqlint.model.api import RUNTIME_PACKAGE, is_runtime_module
from bqlint.model.build import build_project
from bqlint.model.functions import FunctionInfo
from bqlint.model.project import ModuleInfo, Project, collect_symbols, module_name_for
from bqlint.reading import DecodedSource, UnreadableSource, decode_source, read_source_bytes, safe_resolve
from bqlint.rules import Rule, all_rules
from bqlint.rules.context import Finding, RuleContext
from bqlint.source import SourceFile
from bqlint.syntax import python_syntax_error


@dataclass
class Report:
    """The outcome of one run, for the CLI and the renderers."""

    diagnostics: list[Diagnostic]
    # Text of every file that has a diagnostic (code frames, fixes), keyed like Diagnostic.path.
    sources: dict[Path, str] = field(default_factory=dict)
    files_checked: int = 0
    # Files CPython accepts but libcst cannot parse (mixed tabs and spaces, `(x): int = 1`):
    # (path, why); not analysed, not BQL999.
    not_analysed: list[tuple[Path, str]] = field(default_factory=list)
    # Files whose analysis raised (a bug in bqlint): (path, `Type: message`); exit 2.
    internal_errors: list[tuple[Path, str]] = field(default_factory=list)


@on_deep_stack
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
    for path, decoded in _read(files, stdin):
        module = _module(path, decoded)
        reported[path] = module
        modules.append(module)
    for path, decoded in _read([c for c in context if safe_resolve(c) not in reported], None):
        if isinstance(decoded, DecodedSource):  # a context file that cannot be read is skipped
            modules.append(_module(path, decoded))
    _check_syntax_many([m.source for m in reported.values() if m.source.io_error is None])
    parsed = _parse_relevant(modules, settings)
    project = _build_isolated([m for m in parsed if m.source.module is not None], settings)
    functions = [
        fn
        for fn in project.functions
        if not is_runtime_module(fn.module.name) and fn.module.source.module is not None
    ]
    flows = _analyze_isolated(functions)
    by_module: dict[int, list[FunctionFlow]] = {}
    for fn in functions:
        if id(fn) in flows:  # not when its module's analysis raised
            by_module.setdefault(id(fn.module), []).append(flows[id(fn)])
    # BQL100, BQL998 and BQL999 are reported by suppression, reading and parsing, not by a check.
    rules = [rule() for rule in all_rules() if rule.code not in ("BQL100", "BQL998", "BQL999")]
    report = Report([], {}, len(reported))
    for path, module in reported.items():
        file_diagnostics: list[Diagnostic] = []
        try:
            file_diagnostics = _check_file(project, module, by_module.get(id(module), []), rules, settings)
        except Exception as exc:
            module.source.internal_error = describe(exc)
        if module.source.internal_error is not None:
            report.internal_errors.append((path, module.source.internal_error))
        elif module.source.parse_error is not None:
            report.not_analysed.append((path, module.source.parse_error))
        elif file_diagnostics:
            report.sources[path] = module.source.text
            report.diagnostics.extend(file_diagnostics)
    report.diagnostics.sort(key=Diagnostic.sort_key)
    return report


def _check_file(
    project: Project, module: ModuleInfo, flows: list[FunctionFlow], rules: list[Rule], settings: Settings
) -> list[Diagnostic]:
    """Return the diagnostics of one reported file: checked, positioned, selected, suppressed."""
    if module.source.internal_error is not None or module.source.parse_error is not None:
        return []
    found = _check_module(project, module, flows, rules)
    file_diagnostics = _diagnostics(module, found)
    file_diagnostics = [d for d in file_diagnostics if settings.is_enabled(d.code, d.path)]
    return _suppress(module.source.path, module.source.text, file_diagnostics, settings)


def _build_isolated(modules: list[ModuleInfo], settings: Settings) -> Project:
    """Build the project model; a module whose presence makes that raise is left out."""
    project, dropped = without_faulty(lambda kept: build_project(kept, settings), modules)
    for module, exc in dropped:
        module.source.internal_error = describe(exc)
    return project


def _analyze_isolated(functions: list[FunctionInfo]) -> dict[int, FunctionFlow]:
    """Analyse every function; the functions of a module that makes that raise are left out."""
    by_module: dict[int, list[FunctionInfo]] = {}
    for fn in functions:
        by_module.setdefault(id(fn.module), []).append(fn)
    owners = [group[0].module for group in by_module.values()]

    def analyze(kept: list[ModuleInfo]) -> dict[int, FunctionFlow]:
        return analyze_project([fn for module in kept for fn in by_module[id(module)]])

    flows, dropped = without_faulty(analyze, owners)
    for module, exc in dropped:
        module.source.internal_error = describe(exc)
    return flows


def _read(
    files: Iterable[Path], stdin: tuple[Path, str] | None
) -> Iterable[tuple[Path, DecodedSource | UnreadableSource]]:
    """Yield each file's resolved path and its text, or why it cannot be read or decoded."""
    for path in files:
        resolved = safe_resolve(path)
        try:
            yield resolved, decode_source(read_source_bytes(resolved))
        except UnreadableSource as exc:
            yield resolved, exc
    if stdin is not None:
        yield safe_resolve(stdin[0]), DecodedSource(stdin[1])


def _module(path: Path, decoded: DecodedSource | UnreadableSource | str) -> ModuleInfo:
    name, root = module_name_for(path)
    if isinstance(decoded, str):
        decoded = DecodedSource(decoded)
    if isinstance(decoded, UnreadableSource):
        source = SourceFile(path, "", name)
        source.io_error = str(decoded)
    else:
        source = SourceFile(path, decoded.text, name, encoding=decoded.encoding, bom=decoded.bom)
    return ModuleInfo(name, root, source, path.name == "__init__.py")


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
    """Parse `module` and read its import table; False when it does not parse.

    An internal error here is recorded against the module, which is then not analysed.
    """
    try:
        tree = module.source.parse()
        if tree is not None and not module.symbols:
            collect_symbols(module, tree)
    except Exception as exc:
        module.source.internal_error = describe(exc)
        module.source.module = None
        return False
    return tree is not None


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


_PARALLEL_SYNTAX_CHECK = 64  # below this many files a process pool costs more than it saves


def _check_syntax_many(sources: list[SourceFile]) -> None:
    """Ask CPython whether each reported file compiles (BQL999), over all cores when many.

    This runs before libcst: a file CPython rejects is not parsed. `compile()` costs about
    1/8 of libcst's parse.
    """
    texts = [s.text for s in sources]
    workers = min(os.cpu_count() or 1, 8)
    errors: list[tuple[str, Position] | None]
    if len(texts) >= _PARALLEL_SYNTAX_CHECK and workers > 1 and "fork" in mp.get_all_start_methods():
        with mp.get_context("fork").Pool(workers) as pool:
            errors = pool.map(python_syntax_error, texts, chunksize=16)
    else:
        errors = [python_syntax_error(t) for t in texts]
    for source, error in zip(sources, errors):
        source.syntax_error = error


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
    if source.io_error is not None:
        start = Position(1, 1)
        return [Diagnostic("BQL998", "io-error", source.io_error, Span(source.path, start, Position(1, 2)))]
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
