"""One run: choose and parse files, build the model, analyse, run rules, suppress, sort.

Only files that can matter are parsed with libcst: those that mention the runtime (or a
configured name), the project modules they import, and those that import a relevant module,
decided from per-file facts (bqlint.facts, bqlint.groups). Any other reported file costs a
read and a syntax check with Python's own parser (BQL999).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import libcst as cst

from bqlint.analysis.flow import FunctionFlow
from bqlint.analysis.interprocedural import analyze_project
from bqlint.analysis.summaries import Link
from bqlint.cache import Cache, content_digest, facts_key, group_key, settings_key
from bqlint.config import Settings
from bqlint.diagnostics import Diagnostic, Edit, Fix, Position, Related, Span
from bqlint.facts import FileFacts, extract_facts, trigger_words
from bqlint.groups import ModuleRef, analysis_groups, parsed_modules
from bqlint.model.api import is_runtime_module
from bqlint.model.build import build_project
from bqlint.model.project import ModuleInfo, Project, collect_symbols, module_name_for
from bqlint.parallel import run_indexed
from bqlint.progress import Progress
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
    jobs: int = 1,
    cache: Cache | None = None,
    progress: Progress | None = None,
) -> Report:
    """Check `files` (report on them), reading `context` files only for cross-module facts.

    `stdin` is (name, text) of a file read from standard input; it is reported under that name.
    Every reported file is at least syntax-checked (BQL999). Paths in the report are absolute.
    A finding in a context file is reported when one of its related locations lies in a
    reported file (SPEC §3.2): the callee that now releases the BQL blocks its caller.
    With a `cache` or `jobs` > 1 the parsed modules are analysed in independent groups
    (bqlint.groups), cached and spread over worker processes; the findings are the same.
    """
    progress = progress or Progress(None)
    modules: list[ModuleInfo] = []
    reported: dict[Path, int] = {}
    for path, text in _read(files, stdin):
        reported[path] = len(modules)
        modules.append(_module(path, text))
    for path, text in _read([c for c in context if c.resolve() not in reported], None):
        modules.append(_module(path, text))
    settings_digest = settings_key(settings) if cache is not None else ""
    digests = [content_digest(_bytes(m.source.text)) for m in modules] if cache is not None else []
    facts = _facts(modules, trigger_words(settings), jobs, cache, settings_digest, digests, progress)
    refs = [ModuleRef(m.name, m.source.path, m.is_package, f) for m, f in zip(modules, facts)]
    parsed = parsed_modules(refs)
    whole = cache is None and jobs <= 1
    groups = ([parsed] if parsed else []) if whole else analysis_groups(refs, parsed)
    found = _analyse_groups(modules, groups, settings, jobs, cache, settings_digest, digests, progress)
    diagnostics: list[Diagnostic] = []
    in_groups = set(parsed)
    for path, index in reported.items():
        if index not in in_groups:
            diagnostics.extend(_unparsed_diagnostics(modules[index], facts[index], settings))
    for group_found in found:
        diagnostics.extend(d for d in group_found if d.path in reported or _touches(d, reported))
    progress.finish()
    diagnostics.sort(key=Diagnostic.sort_key)
    texts = {m.source.path: m.source.text for m in modules}
    sources = {d.path: texts[d.path] for d in diagnostics if d.path in texts}
    return Report(diagnostics, sources, len(reported))


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


_PARALLEL_FACTS = 256  # below this many files a process pool costs more than it saves
_FACTS_CHUNK = 64


def _facts(
    modules: list[ModuleInfo],
    words: tuple[str, ...],
    jobs: int,
    cache: Cache | None,
    settings_digest: str,
    digests: list[str],
    progress: Progress,
) -> list[FileFacts]:
    """Return every module's facts: from the cache, else from Python's parser (in workers when many)."""
    progress.phase("reading", len(modules))
    out: list[FileFacts | None] = [None] * len(modules)
    keys: list[str] = []
    if cache is not None:
        keys = [facts_key(settings_digest, m.name, m.is_package, d) for m, d in zip(modules, digests)]
        out = [cache.facts(key) for key in keys]
    missing = [i for i, f in enumerate(out) if f is None]
    progress.advance(len(modules) - len(missing))

    def extract(i: int) -> FileFacts:
        m = modules[i]
        return extract_facts(m.source.text, m.name, m.is_package, words)

    if jobs > 1 and len(missing) >= _PARALLEL_FACTS:
        chunks = [missing[k : k + _FACTS_CHUNK] for k in range(0, len(missing), _FACTS_CHUNK)]
        done = run_indexed(
            lambda c: [extract(i) for i in chunks[c]],
            range(len(chunks)),
            jobs,
            lambda c: progress.advance(len(chunks[c])),
        )
        for c, chunk in enumerate(chunks):
            for i, facts in zip(chunk, done[c]):
                out[i] = facts
    else:
        for i in missing:
            out[i] = extract(i)
            progress.advance()
    if cache is not None:
        for i in missing:
            cache.put_facts(keys[i], out[i])  # type: ignore[arg-type]
    return [f for f in out if f is not None]


def _analyse_groups(
    modules: list[ModuleInfo],
    groups: list[list[int]],
    settings: Settings,
    jobs: int,
    cache: Cache | None,
    settings_digest: str,
    digests: list[str],
    progress: Progress,
) -> list[list[Diagnostic]]:
    """Return the findings of each group (all its members, before subset filtering)."""
    progress.phase("checking", sum(len(g) for g in groups))
    found: dict[int, list[Diagnostic]] = {}
    keys: list[str] = []
    if cache is not None:
        for g, group in enumerate(groups):
            members = [
                (cache.name_of(modules[i].source.path), modules[i].name, modules[i].is_package, digests[i])
                for i in group
            ]
            keys.append(group_key(settings_digest, members))
            hit = cache.results(keys[g])
            if hit is not None:
                found[g] = hit
                progress.advance(len(group))
    todo = sorted((g for g in range(len(groups)) if g not in found), key=lambda g: -len(groups[g]))
    work = sum(len(groups[g]) for g in todo)
    pool = jobs if work >= _PARALLEL_ANALYSIS else 1
    fresh = run_indexed(
        lambda g: analyse_group([modules[i] for i in groups[g]], settings),
        todo,
        pool,
        lambda g: progress.advance(len(groups[g])),
    )
    for g, diagnostics in fresh.items():
        found[g] = diagnostics
        if cache is not None:
            cache.put_results(keys[g], diagnostics)
    return [found[g] for g in range(len(groups))]


_PARALLEL_ANALYSIS = 8  # modules; fewer are analysed in process


def analyse_group(members: list[ModuleInfo], settings: Settings) -> list[Diagnostic]:
    """Parse and analyse `members` as one project; return the findings of every member.

    Each call parses afresh, so nothing of one group (trees, caches) outlives its analysis.
    """
    fresh = [
        ModuleInfo(m.name, m.root, SourceFile(m.source.path, m.source.text, m.name), m.is_package)
        for m in members
    ]
    for module in fresh:
        _parse(module)
    project = build_project([m for m in fresh if m.source.module is not None], settings)
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
    for module in fresh:
        found = _check_module(project, module, by_module.get(id(module), []), rules)
        file_diagnostics = _diagnostics(module, found)
        file_diagnostics = [d for d in file_diagnostics if settings.is_enabled(d.code, d.path)]
        diagnostics.extend(_suppress(module.source.path, module.source.text, file_diagnostics, settings))
    return diagnostics


def _unparsed_diagnostics(module: ModuleInfo, facts: FileFacts, settings: Settings) -> list[Diagnostic]:
    """Findings of a reported file bqlint does not analyse: its syntax error, unused suppressions."""
    if facts.syntax_error is not None:
        message, row, column = facts.syntax_error
        module.source.syntax_error = (message, Position(row, column))
    found = [d for d in _diagnostics(module, []) if settings.is_enabled(d.code, d.path)]
    return _suppress(module.source.path, module.source.text, found, settings)


def _touches(diagnostic: Diagnostic, reported: dict[Path, int]) -> bool:
    """Return whether a related location of `diagnostic` lies in a reported file."""
    return any(r.span.path in reported for r in diagnostic.related)


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


def _parse(module: ModuleInfo) -> bool:
    """Parse `module` and read its import table; False when it does not parse."""
    tree = module.source.parse()
    if tree is None:
        _fix_syntax_error_row(module.source)
        return False
    if not module.symbols:
        collect_symbols(module, tree)
    return True


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
    return Fix(plan.message, plan.applicability, tuple(edits))


def _suppress(path: Path, text: str, diagnostics: list[Diagnostic], settings: Settings) -> list[Diagnostic]:
    try:
        from bqlint.suppression import apply_suppressions
    except ImportError:
        return diagnostics
    return apply_suppressions(path, text, diagnostics, settings)
