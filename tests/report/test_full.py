from __future__ import annotations

from dataclasses import replace

from bqlint.diagnostics import Diagnostic, Related
from bqlint.engine import Report
from bqlint.report import RenderOptions, render
from bqlint.report.full import build_frames
from tests.report.sample import BORROW_ACROSS_UNLOCK, CELL_REBINDING, DEV, OPTIONS, empty_report, sample_report, span


def test_full_matches_golden(golden):
    golden("full.txt", render("full", sample_report(), OPTIONS))


def test_full_with_colour_matches_golden(golden):
    golden("full_color.txt", render("full", sample_report(), replace(OPTIONS, color=True)))


def test_full_without_colour_has_no_escape_codes():
    assert "\x1b[" not in render("full", sample_report(), OPTIONS)


def test_clean_report_says_all_checks_passed():
    assert render("full", empty_report(), OPTIONS) == "All checks passed!"


def test_nearby_related_location_shares_the_primary_frame():
    frames = build_frames(BORROW_ACROSS_UNLOCK)
    assert [f.path.name for f in frames] == ["dev.py", "bus.py"]
    assert len(frames[0].annotations) == 2


def test_distant_related_location_in_the_same_file_gets_its_own_frame():
    far = replace(
        BORROW_ACROSS_UNLOCK, related=(replace(BORROW_ACROSS_UNLOCK.related[0], span=span(DEV, 1, 1, 1, 11)),)
    )
    assert len(build_frames(far)) == 2


def test_related_location_without_source_prints_its_label():
    d = BORROW_ACROSS_UNLOCK
    text = render("full", Report([d], {DEV: "\n" * 20}), OPTIONS)
    assert " ::: pkg/bus.py:5:5" in text
    assert "= `update()` calls `bql.unlock()` here" in text


def test_summary_counts_fixed_and_remaining():
    options = RenderOptions(cwd=OPTIONS.cwd, root=OPTIONS.root, fixed=2)
    assert render("full", sample_report(), options).endswith(
        "Found 5 errors (2 fixed, 3 remaining).\n[*] 1 fixable with the `--fix` option."
    )


def test_one_error_is_singular():
    report = Report([BORROW_ACROSS_UNLOCK], sample_report().sources)
    assert render("full", report, OPTIONS).endswith("Found 1 error.")


def test_zero_width_span_gets_one_caret():
    d = Diagnostic("BQL999", "syntax-error", "cannot parse", span(DEV, 2, 1, 2, 1))
    text = render("full", Report([d], {DEV: "x\n\n"}), OPTIONS)
    assert "  | ^\n" in text


def test_multiline_span_is_marked_to_the_end_of_its_first_row():
    d = Diagnostic("BQL002", "borrow-across-unlock", "m", span(DEV, 1, 5, 3, 2))
    text = render("full", Report([d], {DEV: "abc defgh\nx\ny\n"}), OPTIONS)
    assert "1 | abc defgh\n  |     ^^^^^\n" in text


def test_tabs_are_expanded_and_marks_stay_under_the_span():
    d = Diagnostic("BQL007", "cell-rebinding", "m", span(DEV, 1, 2, 1, 5))
    text = render("full", Report([d], {DEV: "\tabc = 1\n"}), OPTIONS)
    assert "1 |     abc = 1\n  |     ^^^\n" in text


def test_gap_of_more_than_three_rows_is_elided():
    d = Diagnostic(
        "BQL002",
        "borrow-across-unlock",
        "m",
        span(DEV, 8, 1, 8, 2),
        related=(Related("here", span(DEV, 2, 1, 2, 2)),),
    )
    text = render("full", Report([d], {DEV: "".join(f"line{n}\n" for n in range(1, 10))}), OPTIONS)
    assert "2 | line2\n  | - here\n...\n8 | line8\n" in text
    assert "line5" not in text


def test_fix_title_is_the_help_when_there_is_no_help():
    d = replace(CELL_REBINDING, help=None)
    text = render("full", Report([d], sample_report().sources), OPTIONS)
    assert "help: replace the assignment with `self.level.set(3)`" in text


def test_chain_across_files_is_shown_in_call_order_each_step_with_its_file():
    from tests.report.sample import BUS, SOURCES

    back_in_dev = Diagnostic(
        "BQL002",
        "borrow-across-unlock",
        "`self.regs` is still borrowed where `update()` may release the BQL",
        span(DEV, 14, 13, 14, 21),
        (
            Related("mutable borrow of `self.regs` starts here", span(DEV, 12, 14, 12, 36)),
            Related("`update()` calls `reset()` here", span(BUS, 5, 5, 5, 17)),
            Related("the BQL may be released here", span(DEV, 17, 9, 17, 19)),
        ),
    )
    text = render("full", Report([back_in_dev], dict(SOURCES)), OPTIONS)
    anchors = [line.strip() for line in text.splitlines() if line.strip().startswith(("-->", ":::"))]
    assert anchors == ["--> pkg/dev.py:14:13", "::: pkg/bus.py:5:5", "::: pkg/dev.py:17:9"]
    order = [text.index(label) for label in ("starts here", "calls `reset()` here", "may be released here")]
    assert order == sorted(order)


def test_marks_after_wide_characters_are_aligned_by_display_width():
    # `寄存器` takes six columns on a terminal: the carets start under `.set`, not two chars in.
    source = "\tself.寄存器.set(1)  # 値\n"
    d = Diagnostic("BQL006", "cell-access-without-bql", "m", span(DEV, 1, 10, 1, 17))
    text = render("full", Report([d], {DEV: source}), OPTIONS)
    assert "1 |     self.寄存器.set(1)  # 値\n  |                ^^^^^^^\n" in text


def test_marks_under_wide_characters_cover_two_columns_each():
    d = Diagnostic("BQL007", "cell-rebinding", "m", span(DEV, 1, 6, 1, 9))
    text = render("full", Report([d], {DEV: "self.寄存器 = 3\n"}), OPTIONS)
    assert "1 | self.寄存器 = 3\n  |      ^^^^^^\n" in text


def test_combining_marks_take_no_column_and_emoji_take_two():
    source = "s = 'e\u0301🙂'; self.x = 1\n"  # é written as e + COMBINING ACUTE ACCENT
    d = Diagnostic("BQL007", "cell-rebinding", "m", span(DEV, 1, 12, 1, 18))
    text = render("full", Report([d], {DEV: source}), OPTIONS)
    assert "1 | s = 'e\u0301🙂'; self.x = 1\n  |            ^^^^^^\n" in text


def test_control_characters_in_a_source_line_are_shown_as_pictures_and_keep_the_marks_aligned():
    source = "s = '\x1b[31m\x7f'; self.x = 1\n"
    d = Diagnostic("BQL007", "cell-rebinding", "m", span(DEV, 1, 14, 1, 20))
    text = render("full", Report([d], {DEV: source}), OPTIONS)
    assert "1 | s = '\u241b[31m\u2421'; self.x = 1\n  |              ^^^^^^\n" in text


def test_related_marks_after_wide_characters_are_aligned_too():
    source = "with self.寄存器.borrow_mut() as 甲:\n    bql.unlock()\n"
    d = Diagnostic(
        "BQL002",
        "borrow-across-unlock",
        "m",
        span(DEV, 2, 5, 2, 17),
        related=(Related("borrow starts here", span(DEV, 1, 6, 1, 27)),),
    )
    text = render("full", Report([d], {DEV: source}), OPTIONS)
    assert "1 | with self.寄存器.borrow_mut() as 甲:\n  |      ------------------------ borrow starts here\n" in text
