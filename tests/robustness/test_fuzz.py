"""The fuzz harness that keeps issue 9 fixed: no crash (no internal error) on generated Python,
also spliced into a device method and a borrow block, with BQL998/BQL999 exactly as Python
decides; and every generated device project with recursion through fields, modules, classes
and handler cycles is analysed well inside a time limit (a watchdog turns a hang into a
failure with every thread's stack).

Bounded for CI; set BQLINT_FUZZ_EXAMPLES for long runs (e.g. 2000).
"""

from __future__ import annotations

import faulthandler
import importlib.util
import os
import tempfile
import textwrap
import threading
import warnings
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bqlint.config import Settings
from bqlint.engine import Report, run
from tests.robustness.programs import ACKNOWLEDGE, class_lattice, device_projects, mixin_chain, parameter_webs

EXAMPLES = int(os.environ.get("BQLINT_FUZZ_EXAMPLES", "8"))
# Far above what a run takes (well under a second); a hang is what it catches.
TIME_LIMIT = float(os.environ.get("BQLINT_FUZZ_TIME_LIMIT", "60"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)

# Grammar-driven text (may not compile) and libcst-node-driven programs (larger, valid).
PROGRAMS = st.one_of(hypothesmith.from_grammar(), hypothesmith.from_node())
METHOD = """import bql


class Dev(bql.Device):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(0)

    def m(self, x):
{body}
"""


def run_watched(root: Path, files: list[Path]) -> Report:
    """Run the engine on a thread; fail with every thread's stack if it outlives TIME_LIMIT."""
    outcome: list[Report] = []
    failure: list[BaseException] = []

    def target() -> None:
        try:
            outcome.append(run(Settings(root=root), files))
        except BaseException as exc:
            failure.append(exc)

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(TIME_LIMIT)
    if thread.is_alive():
        faulthandler.dump_traceback(all_threads=True)
        pytest.fail(f"bqlint did not finish within {TIME_LIMIT} s on {[str(f) for f in files]}")
    if failure:
        raise failure[0]
    return outcome[0]


def expected_codes(data: bytes) -> set[str]:
    """What Python decides: BQL998 if it cannot decode the bytes, BQL999 if it cannot compile."""
    try:
        importlib.util.decode_source(data)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return {"BQL998"}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # The bytes, as an import compiles them (decode_source's newline translation
            # would reject a backslash before a final CRLF, which compile() accepts).
            compile(data, "f.py", "exec", dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError, OverflowError):
        return {"BQL999"}
    return set()


def check_source(text: str) -> None:
    data = text.encode("utf-8", "surrogatepass")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "gen.py"
        path.write_bytes(data)
        report = run_watched(Path(tmp), [path])
    assert report.internal_errors == []
    found = {d.code for d in report.diagnostics} & {"BQL998", "BQL999"}
    assert found == expected_codes(data)


def splice(program: str, prefix: str, indent: str) -> str:
    body = textwrap.indent(program, indent, lambda line: True) or indent + "pass\n"
    return METHOD.format(body=prefix + body + "\n" + indent + "pass")


@FUZZ
@given(PROGRAMS)
def test_generated_module_never_crashes(program: str) -> None:
    check_source("import bql\n" + program)


@FUZZ
@given(PROGRAMS)
def test_generated_code_in_a_device_method_never_crashes(program: str) -> None:
    check_source(splice(program, "", " " * 8))


@FUZZ
@given(PROGRAMS)
def test_generated_code_in_a_borrow_block_never_crashes(program: str) -> None:
    check_source(splice(program, "        with self.regs.borrow_mut() as regs:\n", " " * 12))


@settings(FUZZ, max_examples=max(EXAMPLES // 4, 2))  # a project takes one to four seconds
@given(device_projects())
def test_generated_device_projects_finish_in_time(files: dict[str, str]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        paths = []
        for name, text in files.items():
            compile(text, name, "exec", dont_inherit=True)  # the generator writes valid Python
            (root / name).parent.mkdir(parents=True, exist_ok=True)
            (root / name).write_text(text)
            paths.append(root / name)
        (root / "pyproject.toml").write_text("")
        report = run_watched(root, paths)
    assert report.internal_errors == [] and report.not_analysed == []
    assert not {d.code for d in report.diagnostics} & {"BQL998", "BQL999"}


@settings(FUZZ, max_examples=max(EXAMPLES // 2, 2))
@given(parameter_webs())
def test_functions_passing_fields_of_many_parameters_to_each_other_finish_in_time(text: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "web.py").write_text(text)
        (root / "pyproject.toml").write_text("")
        report = run_watched(root, [root / "web.py"])
    assert report.internal_errors == [] and report.not_analysed == []


def test_recursive_acknowledge_through_a_same_class_field_finishes(tmp_path: Path) -> None:
    (tmp_path / "dev.py").write_text(ACKNOWLEDGE)
    report = run_watched(tmp_path, [tmp_path / "dev.py"])
    assert report.diagnostics == [] and report.internal_errors == []


@pytest.mark.parametrize("text", [class_lattice(30), mixin_chain(300)], ids=["lattice", "mixin-chain"])
def test_wide_and_deep_class_hierarchies_finish_in_time(tmp_path: Path, text: str) -> None:
    (tmp_path / "dev.py").write_text(text)
    report = run_watched(tmp_path, [tmp_path / "dev.py"])
    assert report.internal_errors == [] and report.not_analysed == []


def test_a_cycle_of_aliases_in_an_annotation_is_no_internal_error(tmp_path: Path) -> None:
    # crash12 #4: `X = Y; Y = X` then `def f() -> X:` recursed without end asking whether
    # `f` never returns.
    text = "import bql\nX = Y\nY = X\n\n\ndef f() -> X:\n    raise SystemExit\n\n\ndef m() -> None:\n    f()\n"
    (tmp_path / "dev.py").write_text(text)
    report = run_watched(tmp_path, [tmp_path / "dev.py"])
    assert report.internal_errors == [] and report.diagnostics == []

