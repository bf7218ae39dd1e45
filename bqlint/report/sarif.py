"""`sarif`: SARIF 2.1.0 for GitHub code scanning (SPEC §3.2).

URIs are relative to `%SRCROOT%`, the project root; columns count Unicode code points
(`columnKind`), as the diagnostics do. `primaryLocationLineHash` hashes the code and the
line's collapsed text, numbered by occurrence, so it survives edits elsewhere in the file.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

import bqlint
from bqlint.diagnostics import Diagnostic, Position, Span
from bqlint.report import RenderOptions
from bqlint.rules import all_rules
from bqlint.source_file import python_lines

if TYPE_CHECKING:
    from bqlint.engine import Report

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
INFORMATION_URI = bqlint.REPOSITORY_URL


def _description(doc: str, summary: str) -> str:
    """Return the documentation's first paragraph after the title line."""
    paragraphs = [p.strip() for p in doc.split("\n\n")[1:] if p.strip()]
    return " ".join(paragraphs[0].split()) if paragraphs else summary


def rule_descriptors() -> list[dict[str, Any]]:
    """Return `tool.driver.rules`: every rule, in registry order."""
    return [
        {
            "id": rule.code,
            "name": rule.name,
            "shortDescription": {"text": rule.summary},
            "fullDescription": {"text": _description(rule.doc(), rule.summary)},
            "help": {"text": rule.doc()},
            "helpUri": rule.url(),
            "defaultConfiguration": {"level": "error"},
        }
        for rule in all_rules()
    ]


def _artifact(path: Path, root: Path) -> dict[str, str]:
    try:
        # The bytes of the name: a byte that is not UTF-8 is percent-encoded as it is (`%E9`).
        return {"uri": quote(os.fsencode(path.relative_to(root).as_posix())), "uriBaseId": "%SRCROOT%"}
    except ValueError:
        return {"uri": path.as_uri()}


def _region(start: Position, end: Position) -> dict[str, int]:
    return {"startLine": start.row, "startColumn": start.column, "endLine": end.row, "endColumn": end.column}


def _physical(span: Span, root: Path) -> dict[str, Any]:
    return {"artifactLocation": _artifact(span.path, root), "region": _region(span.start, span.end)}


def _line_hash(d: Diagnostic, sources: dict[Path, str]) -> str:
    lines = python_lines(sources.get(d.path) or "")
    row = d.span.start.row
    text = " ".join(lines[row - 1].split()) if 0 < row <= len(lines) else ""
    return hashlib.sha256(f"{d.code}\0{text}".encode("utf-8", "surrogateescape")).hexdigest()[:16]


# Rules whose related locations are a chain: the borrow first, then (after the primary
# location, in the function holding the borrow) each call, then the unlock or second borrow.
_CHAIN_CODES = frozenset({"BQL002", "BQL003"})


def _code_flow(d: Diagnostic, root: Path) -> dict[str, Any] | None:
    """Return the chain of `d` as one SARIF thread flow, in execution order, or None."""
    if d.code not in _CHAIN_CODES or not d.related:
        return None
    borrow, *rest = d.related
    steps = [(borrow.message, borrow.span), (d.message, d.span), *((r.message, r.span) for r in rest)]
    locations = [
        {
            "location": {"physicalLocation": _physical(span, root), "message": {"text": message}},
            "executionOrder": order,
            "importance": "essential" if span is d.span else "important",
        }
        for order, (message, span) in enumerate(steps, start=1)
    ]
    return {"threadFlows": [{"locations": locations}]}


def _result(d: Diagnostic, index: int, fingerprint: str, root: Path) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": d.code,
        "ruleIndex": index,
        "level": "error",
        "message": {"text": d.message},
        "locations": [{"physicalLocation": _physical(d.span, root)}],
        "partialFingerprints": {"primaryLocationLineHash": fingerprint},
    }
    if d.related:
        result["relatedLocations"] = [
            {"id": n, "message": {"text": r.message}, "physicalLocation": _physical(r.span, root)}
            for n, r in enumerate(d.related, start=1)
        ]
    flow = _code_flow(d, root)
    if flow is not None:
        result["codeFlows"] = [flow]
    if d.fix is not None and d.fix.edits:
        replacements = [
            {"deletedRegion": _region(e.start, e.end), "insertedContent": {"text": e.content}}
            for e in d.fix.edits
        ]
        result["fixes"] = [
            {
                "description": {"text": d.fix.message},
                "artifactChanges": [
                    {"artifactLocation": _artifact(d.path, root), "replacements": replacements}
                ],
            }
        ]
    return result


def render(report: Report, options: RenderOptions) -> str:
    root = options.root
    descriptors = rule_descriptors()
    index = {descriptor["id"]: n for n, descriptor in enumerate(descriptors)}
    seen: Counter[tuple[Path, str]] = Counter()
    results = []
    for d in sorted(report.diagnostics, key=Diagnostic.sort_key):
        line_hash = _line_hash(d, report.sources)
        seen[(d.path, line_hash)] += 1
        results.append(_result(d, index.get(d.code, -1), f"{line_hash}:{seen[(d.path, line_hash)]}", root))
    document = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "bqlint",
                        "version": bqlint.__version__,
                        "informationUri": INFORMATION_URI,
                        "rules": descriptors,
                    }
                },
                "originalUriBaseIds": {"%SRCROOT%": {"uri": root.as_uri().rstrip("/") + "/"}},
                "columnKind": "unicodeCodePoints",
                "results": results,
            }
        ],
    }
    return json.dumps(document, indent=2, ensure_ascii=False)
