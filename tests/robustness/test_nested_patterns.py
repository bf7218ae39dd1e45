"""`case` patterns nested deep enough to make libcst's parser take exponential time (crash7
#1: 14 levels hung the CLI and the language server): such a file is not analysed, says why,
and every other file is still checked. Shallow patterns are analysed as usual."""

from __future__ import annotations

from pathlib import Path

from bqlint.parse_cost import too_slow_to_parse
from tests.robustness.conftest import rows

DEVICE = """import bql


class Dev(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell([0])

    def m(self, value: object) -> None:
        match value:
            case {pattern}:
                self.x = 1
"""


def nested(levels: int, wrap: str = "({},)") -> str:
    pattern = "x"
    for _ in range(levels):
        pattern = wrap.format(pattern)
    return pattern


def test_the_cost_counts_sequence_and_mapping_nesting_only() -> None:
    assert too_slow_to_parse(DEVICE.format(pattern=nested(9))) is None
    reason = too_slow_to_parse(DEVICE.format(pattern=nested(10)))
    assert reason == (
        "a `case` pattern on line 11 is nested 10 levels deep, which libcst's parser takes exponential time on"
    )
    assert too_slow_to_parse(DEVICE.format(pattern=nested(10, '{{"k": {}}}'))) is not None
    assert too_slow_to_parse(DEVICE.format(pattern=nested(30, "C(a={})"))) is None  # classes are cheap
    assert too_slow_to_parse(DEVICE.format(pattern=nested(30, "({} | 1)"))) is None
    # Many shallow patterns are fine; their costs add up only past the budget.
    many = DEVICE.replace("            case {pattern}:\n                self.x = 1\n", "".join(
        f"            case {nested(5)} if {i}:\n                pass\n" for i in range(50)
    ))
    assert too_slow_to_parse(many) is None
    assert too_slow_to_parse("x = 'match case'\n") is None


def test_a_file_with_a_deep_pattern_is_not_analysed_and_the_others_are(tmp_path: Path, check) -> None:
    (tmp_path / "deep.py").write_text(DEVICE.format(pattern=nested(14)))
    (tmp_path / "dev.py").write_text(DEVICE.format(pattern=nested(3)))
    report = check("deep.py", "dev.py")
    assert rows(report) == [("dev.py", "BQL001", 12, 17)]
    assert [(p.name, why.split(":")[0]) for p, why in report.not_analysed] == [
        ("deep.py", "libcst cannot parse it in reasonable time")
    ]


def test_a_deep_pattern_in_a_context_module_costs_nothing(tmp_path: Path, check) -> None:
    (tmp_path / "deep.py").write_text(DEVICE.format(pattern=nested(14)))
    (tmp_path / "dev.py").write_text("import deep\n" + DEVICE.format(pattern=nested(3)))
    report = check("dev.py", context=("deep.py",))
    assert rows(report) == [("dev.py", "BQL001", 13, 17)]


def test_a_file_with_old_mac_line_endings_is_measured_too() -> None:
    assert too_slow_to_parse(DEVICE.format(pattern=nested(12)).replace("\n", "\r")) is not None
