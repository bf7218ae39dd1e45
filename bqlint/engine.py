"""One run: choose and parse files, build the model, analyse, run rules, suppress, sort.

Only files that can matter are parsed with libcst: those that mention the runtime (or a
configured name), the project modules they import, and those that import a relevant module,
decided from per-file facts (bqlint.facts, bqlint.groups). Any other reported file costs a
read and a syntax check with Python's own parser (BQL999).
"""

from __future__ import annotations

import os

from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bqlint.cache import Cache, analysis_key, content_digest, group_key
from bqlint.collector import Pause, collector_paused
from bqlint.config import Settings
from bqlint.deepstack import on_deep_stack
from bqlint.diagnostics import Diagnostic, Position
from bqlint.fact_reading import collect_facts
from bqlint.facts import FileFacts, trigger_words
from bqlint.groups import ModuleRef, analysis_groups, imported_among, parsed_modules
from bqlint.isolation import describe, without_faulty
from bqlint.model.api import is_runtime_module
from bqlint.model.modules import ModuleInfo, module_name_for, names_found_as
from bqlint.parallel import run_indexed
from bqlint.paths import forget as forget_folders
from bqlint.positioning import position_findings, prepare_positions, suppress
from bqlint.progress import Progress
from bqlint.reading import (
    DecodedSource,
    UnreadableSource,
    decode_source,
    read_source_bytes,
    safe_resolve,
    stdin_source,
)
from bqlint.rules import Rule, all_rules
from bqlint.source_file import SourceFile

# libcst and the analysis are imported where a group is analysed, so that a run whose files
# mention no device code (each costs a read and a compile()) never loads them.
if TYPE_CHECKING:
    from bqlint.analysis.cfg import CFG
    from bqlint.analysis.flow import FunctionFlow
    from bqlint.model.functions import FunctionInfo
    from bqlint.model.project import Project
    from bqlint.rules.context import Finding


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
    # Functions left unanalysed (past a bound, SPEC §3.1.2): (path, which and why).
    skipped: list[tuple[Path, str]] = field(default_factory=list)
    # Files reported under the symlink they were given by: {that name: the file analysed}.
    analysed_paths: dict[Path, Path] = field(default_factory=dict)
    # Context files that could not be read or decoded: (path, why); findings through them are missing.
    unread_context: list[tuple[Path, str]] = field(default_factory=list)


@dataclass
class GroupResult:
    """What one analysis group yields: plain data, returned by a worker process."""

    diagnostics: list[Diagnostic] = field(default_factory=list)
    not_analysed: list[tuple[Path, str]] = field(default_factory=list)
    internal_errors: list[tuple[Path, str]] = field(default_factory=list)
    skipped: list[tuple[Path, str]] = field(default_factory=list)


@on_deep_stack
def run(
    settings: Settings,
    files: Sequence[Path],
    *,
    context: Sequence[Path] = (),
    stdin: tuple[Path, str] | None = None,
    jobs: int = 1,
    cache: Cache | None = None,
    progress: Progress | None = None,
    touching: Collection[Path] = (),
    stdin_as_context: bool = False,
    settings_for: Callable[[Path], Settings] | None = None,
    edited: Mapping[Path, DecodedSource] | None = None,
    excluded: Callable[[Iterable[str]], list[Path]] | None = None,
) -> Report:
    """Check `files` (report on them), reading `context` files only for cross-module facts.

    `stdin` is (name, text) of a file read from standard input; it is reported under that name.
    Every reported file is at least syntax-checked (BQL999). Paths in the report are absolute.
    A finding in a context file is reported when one of its related locations lies in a
    reported file (SPEC §3.2): the callee that now releases the BQL blocks its caller.
    With a `cache` or `jobs` > 1 the parsed modules are analysed in independent groups
    (bqlint.groups), cached and spread over worker processes; the findings are the same.
    `touching`: files reported by other runs of the same check (other configurations); a
    context file's finding with a related location in one is reported too. With
    `stdin_as_context` the standard-input file is read as context, not reported.
    Modules are analysed in path order, whichever of them are reported, so that a file's
    findings never depend on which files were given; import groups that hold no reported or
    touching file are not analysed (none of their findings could be kept).
    `settings_for(path)`: the settings that select and suppress the findings of the file at
    `path` (default `settings`); the analysis itself runs under `settings`, so one pass
    serves every configuration that differs from it only in what it reports.
    `edited`: {resolved path: text} read instead of those files (`--diff` re-checks its
    fixes without writing them).
    `excluded(names)`: the files discovery left out (excluded, git-ignored) that imports of
    `names` load (`discovery.ExcludedModules`); those the files read import, transitively,
    are read as context too, and no finding located in them is reported, whatever it
    touches (README "Configuration").
    """
    settings_for = settings_for or (lambda path: settings)
    progress = progress or Progress(None)
    forget_folders()  # what the file system said before this run may have changed
    read: dict[Path, tuple[DecodedSource | UnreadableSource, bool]] = {}
    edited = edited or {}
    for path, decoded in _read(files, None if stdin_as_context else stdin, edited):
        read[path] = (decoded, True)
    extra = [(stdin[0], stdin_source(stdin[1]))] if stdin is not None and stdin_as_context else []
    unread: dict[Path, UnreadableSource] = {}
    for path, decoded in [*_read([c for c in context if safe_resolve(c) not in read], None, edited), *extra]:
        if isinstance(decoded, DecodedSource):  # a context file that cannot be read is skipped
            read[safe_resolve(path)] = (decoded, False)
        else:
            unread[safe_resolve(path)] = decoded
    links = _found_through_links([*files, *context])
    modules = [_module(path, read[path][0], links.get(path, ())) for path in sorted(read)]
    settings_digest = analysis_key(settings) if cache is not None else ""
    digests = [content_digest(_bytes(m.source.text)) for m in modules] if cache is not None else []
    words = trigger_words(settings)
    with collector_paused():  # Python's ASTs hold no cycles: a collection would only walk them
        facts = collect_facts(modules, words, jobs, cache, settings_digest, digests, progress, _PARALLEL_FACTS)
    hidden: set[Path] = set()
    if excluded is not None:
        modules, facts, digests, hidden = _with_excluded(
            modules, facts, digests, excluded, read, unread, words, jobs, cache, settings_digest
        )
    reported = {m.source.path: i for i, m in enumerate(modules) if read[m.source.path][1]}
    judged = {*reported, *(safe_resolve(p) for p in touching)}
    refs = [ModuleRef(m.name, m.source.path, m.is_package, f, m.found_as) for m, f in zip(modules, facts)]
    # ... and said on stderr when a module read imports it: findings through it are lost (crash7 #3).
    unread_refs = [
        ModuleRef(m.name, m.source.path, m.is_package, FileFacts(False, (), None), m.found_as)
        for m in (_module(path, problem, links.get(path, ())) for path, problem in sorted(unread.items()))
    ]
    imported_unread = [unread_refs[i].path for i in imported_among(refs, unread_refs)]
    parsed = [i for i in parsed_modules(refs) if modules[i].source.io_error is None]
    # Only the groups that hold a reported (or touching) file can yield a finding this run
    # keeps: a finding's related locations lie in its own group (bqlint.groups).
    wanted = {i for i, m in enumerate(modules) if m.source.path in judged}
    groups = [g for g in analysis_groups(refs, parsed) if not wanted.isdisjoint(g)]
    if cache is None and jobs <= 1:  # the reference: every kept module analysed as one project
        groups = [sorted(i for g in groups for i in g)] if groups else []
    found = _analyse_groups(modules, facts, groups, settings, jobs, cache, settings_digest, digests, progress)
    report = Report([], {}, len(reported), unread_context=[(p, str(unread[p])) for p in imported_unread])
    in_groups = set(parsed)
    for path, index in reported.items():
        if index not in in_groups:
            report.diagnostics.extend(_unparsed_diagnostics(modules[index], facts[index], settings_for(path)))
    texts = {m.source.path: m.source.text for m in modules}
    for group, result in zip(groups, found):
        errors = {path for path, _ in (*result.internal_errors, *result.not_analysed)}
        checked = [p for p in (modules[i].source.path for i in group) if p not in errors]
        report.diagnostics.extend(_reported(result, checked, texts, settings_for, reported, judged, hidden))
        report.not_analysed.extend(item for item in result.not_analysed if item[0] in reported)
        report.internal_errors.extend(item for item in result.internal_errors if item[0] in reported)
        report.skipped.extend(item for item in result.skipped if item[0] in reported)
    progress.finish()
    report.diagnostics.sort(key=Diagnostic.sort_key)
    report.not_analysed.sort()
    report.internal_errors.sort()
    report.skipped.sort()
    report.sources = {d.path: texts[d.path] for d in report.diagnostics if d.path in texts}
    return report


def _with_excluded(
    modules: list[ModuleInfo],
    facts: list[FileFacts],
    digests: list[str],
    excluded: Callable[[Iterable[str]], list[Path]],
    read: dict[Path, tuple[DecodedSource | UnreadableSource, bool]],
    unread: dict[Path, UnreadableSource],
    words: tuple[str, ...],
    jobs: int,
    cache: Cache | None,
    settings_digest: str,
) -> tuple[list[ModuleInfo], list[FileFacts], list[str], set[Path]]:
    """Add the excluded modules that the modules read import, transitively, as context.

    They are found by import name (`excluded`), read and given facts as
    any context file (from the cache, else Python's parser), then everything is put back in
    path order: the same modules in the same order, whatever `jobs` and the cache. Return
    the modules, their facts and digests, and the paths of the excluded ones read (or not
    readable: those go into `unread`, named in a warning when imported).
    """
    seeded = any(f.seed for f in facts)
    asked: set[str] = set()
    batch = list(range(len(modules)))
    hidden: set[Path] = set()
    while batch:
        names = {name for i in batch for name in facts[i].imports or ()} - asked
        asked |= names
        new: list[ModuleInfo] = []
        for path in excluded(sorted(names)):
            resolved = safe_resolve(path)
            if resolved in read or resolved in unread:
                continue
            hidden.add(resolved)
            decoded = next(iter(_read([path], None, {})))[1]
            if isinstance(decoded, UnreadableSource):
                unread[resolved] = decoded
                continue
            read[resolved] = (decoded, False)
            found_as = {Path(os.path.abspath(path))} - {resolved}
            new.append(_module(resolved, decoded, found_as))
        if not new:
            break
        new_digests = [content_digest(_bytes(m.source.text)) for m in new] if cache is not None else []
        with collector_paused():
            new_facts = collect_facts(
                new, words, jobs, cache, settings_digest, new_digests, Progress(None), _PARALLEL_FACTS,
                seeded=seeded,
            )
        seeded = seeded or any(f.seed for f in new_facts)
        batch = list(range(len(modules), len(modules) + len(new)))
        modules, facts, digests = [*modules, *new], [*facts, *new_facts], [*digests, *new_digests]
    if not hidden:
        return modules, facts, digests, hidden
    order = sorted(range(len(modules)), key=lambda i: modules[i].source.path)
    return (
        [modules[i] for i in order],
        [facts[i] for i in order],
        [digests[i] for i in order] if digests else [],
        hidden,
    )


def _reported(
    result: GroupResult,
    checked: list[Path],
    texts: dict[Path, str],
    settings_for: Callable[[Path], Settings],
    reported: Collection[Path],
    judged: Collection[Path],
    hidden: Collection[Path] = (),
) -> list[Diagnostic]:
    """Return the findings of one group that this run reports: each checked file's findings
    selected and suppressed under its own settings, kept when the file is reported or the
    finding touches a judged file (a file none of whose findings can be kept is skipped).
    Nothing located in a `hidden` file (excluded, read as context) is kept, whatever it
    touches. A file whose suppressions raise is an internal error of `result`."""
    by_path: dict[Path, list[Diagnostic]] = {path: [] for path in checked if path not in hidden}
    for d in result.diagnostics:
        if d.path not in hidden:
            by_path.setdefault(d.path, []).append(d)
    kept: list[Diagnostic] = []
    for path, diagnostics in by_path.items():
        if path not in reported and not any(_touches(d, judged) for d in diagnostics):
            continue
        settings = settings_for(path)
        try:
            enabled = [d for d in diagnostics if settings.is_enabled(d.code, d.path)]
            shown = suppress(path, texts[path], enabled, settings)
        except Exception as exc:
            result.internal_errors.append((path, describe(exc)))
            continue
        kept.extend(d for d in shown if d.path in reported or _touches(d, judged))
    return kept


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")


_PARALLEL_FACTS = 256  # below this many files a process pool costs more than it saves


def _analyse_groups(
    modules: list[ModuleInfo],
    facts: list[FileFacts],
    groups: list[list[int]],
    settings: Settings,
    jobs: int,
    cache: Cache | None,
    settings_digest: str,
    digests: list[str],
    progress: Progress,
) -> list[GroupResult]:
    """Return the findings of each group (all its members, before subset filtering)."""
    progress.phase("checking", sum(len(g) for g in groups))
    found: dict[int, GroupResult] = {}
    keys: list[str] = []
    if cache is not None:
        for g, group in enumerate(groups):
            members = [
                (
                    cache.name_of(modules[i].source.path),
                    _names_key(modules[i]),
                    modules[i].is_package,
                    digests[i],
                )
                for i in group
            ]
            keys.append(group_key(settings_digest, members))
            hit = cache.results(keys[g])
            if hit is not None:
                found[g] = GroupResult(hit)
                progress.advance(len(group))
    todo = sorted((g for g in range(len(groups)) if g not in found), key=lambda g: -len(groups[g]))
    work = sum(len(groups[g]) for g in todo)
    pool = jobs if work >= _PARALLEL_ANALYSIS else 1
    fresh = run_indexed(
        lambda g: analyse_group([modules[i] for i in groups[g]], [facts[i] for i in groups[g]], settings),
        todo,
        pool,
        lambda g: progress.advance(len(groups[g])),
        lambda g: GroupResult(internal_errors=[(modules[i].source.path, _WORKER_DIED) for i in groups[g]]),
    )
    for g, result in fresh.items():
        found[g] = result
        if cache is not None and not result.not_analysed and not result.internal_errors and not result.skipped:
            cache.put_results(keys[g], result.diagnostics)
    return [found[g] for g in range(len(groups))]


_PARALLEL_ANALYSIS = 8  # modules; fewer are analysed in process
_WORKER_DIED = "the worker process checking it died (killed, or out of memory)"


def analyse_group(members: list[ModuleInfo], facts: list[FileFacts], settings: Settings) -> GroupResult:
    """Parse and analyse `members` as one project; return the findings of every member.

    Each call parses afresh, so nothing of one group (trees, caches) outlives its analysis. A
    file CPython rejects (its facts say why) is BQL999 and not parsed; a module whose analysis
    raises is reported as an internal error, and the others are still checked.
    """
    with collector_paused() as pause:
        return _analyse_group(members, facts, settings, pause)


def _analyse_group(
    members: list[ModuleInfo], facts: list[FileFacts], settings: Settings, pause: Pause
) -> GroupResult:
    fresh = [
        ModuleInfo(m.name, m.root, _copy_source(m.source), m.is_package, found_as=m.found_as)
        for m in members
    ]
    for module, file_facts in zip(fresh, facts):
        if file_facts.syntax_error is not None:
            message, row, column = file_facts.syntax_error
            module.source.syntax_error = (message, Position(row, column))
        _parse(module)
    pause.set_aside_live_objects()  # the trees: no cycles among them (bqlint.collector)
    project = _build_isolated([m for m in fresh if m.source.module is not None], settings)
    functions = [
        fn
        for fn in project.functions
        if not is_runtime_module(fn.module.name) and fn.module.source.module is not None
    ]
    flows = _analyze_isolated(functions)
    from bqlint.rules.context import function_name

    result = GroupResult()
    for fn in functions:
        if fn.not_analysed is not None:
            why = f"`{function_name(fn)}` was not analysed: {fn.not_analysed}; calls to it are assumed to do nothing"
            result.skipped.append((fn.module.source.path, why))
    by_module: dict[int, list[FunctionFlow]] = {}
    for fn in functions:
        if id(fn) in flows:  # not when its module's analysis raised
            by_module.setdefault(id(fn.module), []).append(flows[id(fn)])
    # BQL100, BQL998 and BQL999 are reported by suppression, reading and parsing, not by a check.
    rules = [rule() for rule in all_rules() if rule.code not in ("BQL100", "BQL998", "BQL999")]
    found: dict[int, list[Finding]] = {}
    for module in fresh:
        if module.source.internal_error is None and module.source.parse_error is None:
            try:
                found[id(module)] = _check_module(project, module, by_module.get(id(module), []), rules)
            except Exception as exc:
                module.source.internal_error = describe(exc)
    prepare_positions([(m, found[id(m)]) for m in fresh if id(m) in found])
    for module in fresh:
        path = module.source.path
        file_diagnostics: list[Diagnostic] = []
        try:
            if id(module) in found:  # selected and suppressed by `run`, under the file's settings
                file_diagnostics = position_findings(module, found[id(module)])
        except Exception as exc:
            module.source.internal_error = describe(exc)
        if module.source.internal_error is not None:
            result.internal_errors.append((path, module.source.internal_error))
        elif module.source.parse_error is not None:
            result.not_analysed.append((path, module.source.parse_error))
        else:
            result.diagnostics.extend(file_diagnostics)
    return result


def _copy_source(source: SourceFile) -> SourceFile:
    """Return an unparsed copy of `source` (text and how it was stored)."""
    return SourceFile(source.path, source.text, source.module_name, encoding=source.encoding, bom=source.bom)


def _unparsed_diagnostics(module: ModuleInfo, facts: FileFacts, settings: Settings) -> list[Diagnostic]:
    """Findings of a reported file bqlint does not analyse: why it cannot be read or parsed,
    unused suppressions."""
    if facts.syntax_error is not None and module.source.io_error is None:
        message, row, column = facts.syntax_error
        module.source.syntax_error = (message, Position(row, column))
    found = [d for d in position_findings(module, []) if settings.is_enabled(d.code, d.path)]
    return suppress(module.source.path, module.source.text, found, settings)


def _touches(diagnostic: Diagnostic, reported: Collection[Path]) -> bool:
    """Return whether a related location of `diagnostic` lies in one of the `reported` files."""
    return any(r.span.path in reported for r in diagnostic.related)


def _build_isolated(modules: list[ModuleInfo], settings: Settings) -> Project:
    """Build the project model; a module whose presence makes that raise is left out."""
    from bqlint.model.build import build_project

    project, dropped = without_faulty(lambda kept: build_project(kept, settings), modules)
    for module, exc in dropped:
        module.source.internal_error = describe(exc)
    return project


def _analyze_isolated(functions: list[FunctionInfo]) -> dict[int, FunctionFlow]:
    """Analyse every function; the functions of a module that makes that raise are left out.

    CFGs are built one function at a time, so a module whose CFG construction raises is left
    out at once; only a fault in the fixed point (which mixes modules) is found by bisection.
    """
    from bqlint.analysis.interprocedural import analyze_project, build_cfg

    by_module: dict[int, list[FunctionInfo]] = {}
    cfgs: dict[int, CFG] = {}
    for fn in functions:
        module = fn.module
        if module.source.internal_error is not None:
            continue
        try:
            cfgs[id(fn)] = build_cfg(fn)
        except Exception as exc:
            module.source.internal_error = describe(exc)
            continue
        by_module.setdefault(id(module), []).append(fn)
    owners = [group[0].module for group in by_module.values() if group[0].module.source.internal_error is None]

    def analyze(kept: list[ModuleInfo]) -> dict[int, FunctionFlow]:
        return analyze_project([fn for module in kept for fn in by_module[id(module)]], cfgs)

    flows, dropped = without_faulty(analyze, owners)
    for module, error in dropped:
        module.source.internal_error = describe(error)
    return flows


def _read(
    files: Iterable[Path], stdin: tuple[Path, str] | None, edited: Mapping[Path, DecodedSource]
) -> Iterable[tuple[Path, DecodedSource | UnreadableSource]]:
    """Yield each file's resolved path and its text (from `edited` if there), or why it
    cannot be read or decoded."""
    for path in files:
        resolved = safe_resolve(path)
        if resolved in edited:
            yield resolved, edited[resolved]
            continue
        try:
            yield resolved, decode_source(read_source_bytes(resolved))
        except UnreadableSource as exc:
            yield resolved, exc
    if stdin is not None:
        yield safe_resolve(stdin[0]), stdin_source(stdin[1])


def _names_key(module: ModuleInfo) -> str:
    """The module's names for a cache key: its own, then those of links to it."""
    return " ".join((module.name, *module.found_as))


def _found_through_links(paths: Iterable[Path]) -> dict[Path, set[Path]]:
    """Return {resolved path: the other absolute paths it was found or named by}: a symlinked
    module is imported by Python under the name of its own path, not its target's."""
    links: dict[Path, set[Path]] = {}
    for path in paths:
        absolute, resolved = Path(os.path.abspath(path)), safe_resolve(path)
        if absolute != resolved:
            links.setdefault(resolved, set()).add(absolute)
    return links


def _module(
    path: Path, decoded: DecodedSource | UnreadableSource | str, found_as: Iterable[Path] = ()
) -> ModuleInfo:
    name, root = module_name_for(path)
    if isinstance(decoded, str):
        decoded = DecodedSource(decoded)
    if isinstance(decoded, UnreadableSource):
        source = SourceFile(path, "", name)
        source.io_error = str(decoded)
    else:
        source = SourceFile(path, decoded.text, name, encoding=decoded.encoding, bom=decoded.bom)
    others = tuple(n for n in names_found_as(found_as) if n != name)
    return ModuleInfo(name, root, source, path.name == "__init__.py", found_as=others)


def _parse(module: ModuleInfo) -> bool:
    """Parse `module` and read its import table; False when it does not parse.

    An internal error here is recorded against the module, which is then not analysed.
    """
    from bqlint.model.project import collect_symbols

    try:
        tree = module.source.parse()
        if tree is not None and not module.symbols:
            collect_symbols(module, tree)
    except Exception as exc:
        module.source.internal_error = describe(exc)
        module.source.module = None
        return False
    return tree is not None


def _check_module(
    project: Project, module: ModuleInfo, flows: list[FunctionFlow], rules: list[Rule]
) -> list[Finding]:
    from bqlint.rules.context import RuleContext

    if module.source.module is None or is_runtime_module(module.name):
        return []
    ctx = RuleContext(project, module, flows)
    found: list[Finding] = []
    for rule in rules:
        found.extend(rule.check(ctx))
    return found
