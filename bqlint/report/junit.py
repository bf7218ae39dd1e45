"""`junit`: JUnit XML for CI dashboards, one testsuite per file and one testcase per finding.

A clean run emits a single passing testcase, so dashboards show that the check ran.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from bqlint.diagnostics import Diagnostic
from bqlint.report import RenderOptions, display_path
from bqlint.terminal import printable

if TYPE_CHECKING:
    from bqlint.engine import Report


def render(report: Report, options: RenderOptions) -> str:
    by_file: dict[Path, list[Diagnostic]] = defaultdict(list)
    for d in report.diagnostics:
        by_file[d.path].append(d)
    total = max(len(report.diagnostics), 1)
    suites = ET.Element(
        "testsuites", name="bqlint", tests=str(total), failures=str(len(report.diagnostics)), errors="0"
    )
    if not by_file:
        suite = ET.SubElement(
            suites, "testsuite", name="bqlint", tests="1", failures="0", errors="0", skipped="0"
        )
        ET.SubElement(suite, "testcase", name="bqlint", classname="bqlint")
    for path in sorted(by_file):
        # XML 1.0 cannot hold most control characters, even as references: escape them.
        shown = printable(display_path(path, options.cwd))
        findings = by_file[path]
        suite = ET.SubElement(
            suites,
            "testsuite",
            name=shown,
            tests=str(len(findings)),
            failures=str(len(findings)),
            errors="0",
            skipped="0",
        )
        for d in findings:
            start = d.span.start
            case = ET.SubElement(
                suite,
                "testcase",
                name=f"bqlint.{d.code}",
                classname=shown,
                file=shown,
                line=str(start.row),
                column=str(start.column),
            )
            failure = ET.SubElement(case, "failure", message=d.message, type=d.name)
            failure.text = f"{shown}:{start.row}:{start.column}: {d.code} {d.message}"
    ET.indent(suites)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")
