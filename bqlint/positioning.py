"""Turn one module's findings into diagnostics: positioned, deduplicated, suppressed.

The last step of checking a file in the engine: rows and columns come from one codegen
pass per file (SourceFile.resolve_spans); suppression comments are applied last.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from bqlint.config import Settings
from bqlint.diagnostics import Diagnostic, Edit, Fix, Position, Related, Span
from bqlint.rules import all_rules

if TYPE_CHECKING:  # a file that is not parsed is positioned without libcst or the analysis
    import libcst as cst

    from bqlint.analysis.summaries import Link
    from bqlint.model.modules import ModuleInfo
    from bqlint.rules.context import Finding
    from bqlint.source_file import SourceFile


def position_findings(module: ModuleInfo, findings: list[Finding]) -> list[Diagnostic]:
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
    if not findings:
        return []  # (and no rule module, which would import the analysis, is loaded)
    prepare_positions([(module, findings)])
    names = {rule.code: rule.name for rule in all_rules()}
    out: list[Diagnostic] = []
    seen: set[tuple[str, int, str, int]] = set()
    for finding in findings:
        span = source.span(finding.node)
        # SPEC §3.1: one finding per primary location. Two on one row are two findings when
        # they say different things (`self.a = 1; self.b = 2`) or each has its fix (`--fix`
        # fixes both); the same thing said again on the row (a chain of `borrow()`
        # temporaries, one row in a loop) is one.
        column = span.start.column if finding.fix is not None else 0
        key = (finding.code, span.start.row, finding.message, column)
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


def prepare_positions(found: list[tuple[ModuleInfo, list[Finding]]]) -> None:
    """Compute, in one codegen pass per file, the spans that the findings of `found` name:
    their nodes, their fixes' nodes and their related locations, which may lie in any module
    of the group (a shared helper is positioned once, not once per module that calls it)."""
    by_file: dict[int, tuple[SourceFile, list[cst.CSTNode]]] = {}
    for module, findings in found:
        source = module.source
        for finding in findings:
            nodes = [finding.node]
            if finding.fix is not None:
                nodes.extend(fix_node for fix_node, _ in finding.fix.edits)
                nodes.extend(finding.fix.anchors)
            by_file.setdefault(id(source), (source, []))[1].extend(nodes)
            for link in finding.related:
                target = link.module.source
                by_file.setdefault(id(target), (target, []))[1].append(link.node)
    for target, nodes in by_file.values():
        target.resolve_spans(nodes)


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
    if plan.positioned is not None:
        later = plan.positioned()
        if later is None:
            return None
        edits.extend(later)
    return Fix(plan.message, plan.applicability, tuple(edits))


def suppress(path: Path, text: str, diagnostics: list[Diagnostic], settings: Settings) -> list[Diagnostic]:
    """Return `diagnostics` of the file at `path` without those its comments suppress."""
    try:
        from bqlint.suppression import apply_suppressions
    except ImportError:
        return diagnostics
    return apply_suppressions(path, text, diagnostics, settings)
