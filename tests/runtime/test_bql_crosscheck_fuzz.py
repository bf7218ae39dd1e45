"""Generated device programs: every run-time twin is reported by bqlint at the same row.

A hypothesis strategy writes small devices whose methods borrow, call each other (without
cycles), register chardev handlers, write to an echoing backend, drive an interrupt and
release the BQL. Each program runs under the runtime (every method and handler called once,
under the BQL, with input pending so that `accept_input()` re-enters), then bqlint checks
its file. The programs have no branches, so a program that runs clean ran every line. Soundness on what runs: each twin error is a static
finding of the same rule at the same row. For programs that run clean, the static
findings are counted (an estimate of false positives, printed with ``-s``).

Bounded for CI; ``BQL_FUZZ_EXAMPLES=500`` runs more. Calls inside ``bql.unlocked()`` are
generated too: both checkers report BQL006 through a call at the call in the function that
released the BQL.
"""

from __future__ import annotations

import importlib.util
import os
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

import bql
from bql.crosscheck import static_findings
from bql.lock import reset_for_tests
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

EXAMPLES = int(os.environ.get("BQL_FUZZ_EXAMPLES", "12"))
METHODS = 3

Stmt = tuple[str, object]


def statements(depth: int, method: int | None, handler: bool) -> st.SearchStrategy[list[Stmt]]:
    """Statement lists for method `method` (None: a handler, which calls nothing)."""
    simple: list[st.SearchStrategy[Stmt]] = [
        st.just(("op", None)),
        st.just(("irq", None)),
    ]
    if method is not None and method + 1 < METHODS:
        simple.append(st.integers(method + 1, METHODS - 1).map(lambda k: ("call", k)))
    if not handler:
        simple += [st.just(("write_all", None)), st.just(("accept", None))]
    leaf = st.one_of(simple)
    if depth == 0:
        return st.lists(leaf, min_size=1, max_size=3)
    inner = statements(depth - 1, method, handler)
    in_unlocked: list[st.SearchStrategy[Stmt]] = [st.sampled_from([("op", None), ("pass", None)])]
    if method is not None and method + 1 < METHODS:
        # BQL006 through a call: both checkers report the call in the function that released.
        in_unlocked.append(st.integers(method + 1, METHODS - 1).map(lambda k: ("call", k)))
    unlocked_body = st.lists(st.one_of(in_unlocked), min_size=1, max_size=2)
    blocks = st.one_of(
        leaf,
        st.tuples(st.just("borrow_mut"), inner.map(lambda b: [("write", None), *b])),
        st.tuples(st.just("borrow"), inner),
        st.tuples(st.just("borrow"), inner.map(lambda b: [("write", None), *b])),
        st.tuples(st.just("unlocked"), unlocked_body),
    )
    return st.lists(blocks, min_size=1, max_size=3)


def render(body: list[Stmt], indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    for kind, arg in body:
        if kind == "op":
            lines.append(f"{pad}self.level.set(self.level.get() + 1)")
        elif kind == "irq":
            lines.append(f"{pad}self.irq.pulse()")
        elif kind == "call":
            lines.append(f"{pad}self.m{arg}()")
        elif kind == "write_all":
            lines.append(f'{pad}self.chr.write_all(b"a")')
        elif kind == "accept":
            lines.append(f"{pad}self.chr.accept_input()")
        elif kind == "write":
            lines.append(f"{pad}r.x = 1")
        elif kind == "pass":
            lines.append(f"{pad}pass")
        elif kind in ("borrow_mut", "borrow"):
            lines.append(f"{pad}with self.regs.{kind}() as r:")
            lines += render(arg, indent + 4)  # type: ignore[arg-type]
        elif kind == "unlocked":
            lines.append(f"{pad}with bql.unlocked():")
            lines += render(arg, indent + 4)  # type: ignore[arg-type]
    return lines


@dataclass(frozen=True)
class Program:
    methods: tuple[list[Stmt], ...]
    can_receive: list[Stmt]
    receive: list[Stmt]
    register: bool

    def source(self) -> str:
        lines = [
            "import bql",
            "from bql.chardev import CharFrontend, MemoryChardev",
            "",
            "",
            "class Regs:",
            "    def __init__(self) -> None:",
            "        self.x = 0",
            "",
            "",
            "class Dev(bql.SysBusDevice):",
            "    def __init__(self) -> None:",
            "        super().__init__()",
            "        self.regs = bql.BqlRefCell(Regs())",
            "        self.level = bql.BqlCell(0)",
            "        self.irq = bql.InterruptSource()",
            "        self.chr = CharFrontend(MemoryChardev(echo=True))",
            "",
            "    def realize(self) -> None:",
            "        super().realize()",
        ]
        if self.register:
            lines.append("        self.chr.enable_handlers(self.can_receive, self.receive)")
        lines += ["", "    def can_receive(self) -> int:", *render(self.can_receive, 8), "        return 1"]
        lines += ["", "    def receive(self, data: bytes) -> None:", *render(self.receive, 8)]
        for n, body in enumerate(self.methods):
            lines += ["", f"    def m{n}(self) -> None:", *render(body, 8)]
        return "\n".join(lines) + "\n"


programs = st.builds(
    Program,
    st.tuples(*(statements(2, n, False) for n in range(METHODS))),
    statements(1, None, True),
    statements(1, None, True),
    st.booleans(),
)


def run_program(path: Path) -> set[tuple[str, str, int]]:
    """Run every method of the program at `path` once, under the BQL; return the twins seen."""
    seen: set[tuple[str, str, int]] = set()

    def record(error: bql.BqlError, _frame: object) -> None:
        if error.rule is not None and error.path is not None and error.row is not None:
            seen.add((error.rule, error.path, error.row))

    stop = bql.twins.on_twin(record)
    name = f"fuzz_{path.parent.name}"
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    calls = [(f"m{n}", ()) for n in range(METHODS)] + [("can_receive", ()), ("receive", (b"a",))]
    try:
        for method, args in calls:
            reset_for_tests()
            bql.lock()
            try:
                device = module.Dev()
                device.connect_irq(0, bql.IRQLine())
                device.realize()
                # One byte is delivered now (if handlers are registered), one waits for
                # accept_input(), so that re-entry through it is exercised too.
                device.chr.backend.feed(b"zz")
                getattr(device, method)(*args)
            except bql.BqlError:
                pass  # recorded
            finally:
                reset_for_tests()
    finally:
        stop()
        sys.modules.pop(name, None)
    return seen


TALLY = {"programs": 0, "twins": 0, "clean": 0, "clean_findings": 0}
CLEAN_FINDINGS: list[str] = []


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(programs)
def test_every_run_time_twin_is_a_static_finding_at_the_same_row(program: Program) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "dev.py"
        path.write_text(program.source())
        twins = run_program(path)
        findings = static_findings([str(path)])
    missed = twins - findings
    assert not missed, f"bqlint missed {sorted(missed)} in:\n{program.source()}"
    TALLY["programs"] += 1
    TALLY["twins"] += len(twins)
    if not twins:
        TALLY["clean"] += 1
        TALLY["clean_findings"] += len(findings)
        CLEAN_FINDINGS.extend(f"{rule} at row {row} of:\n{program.source()}" for rule, _, row in findings)


def test_zz_report_the_figures() -> None:
    """Print soundness and the false-positive estimate of the generated programs (``-s``)."""
    print(
        f"\ngenerated programs: {TALLY['programs']}, run-time twins: {TALLY['twins']} "
        f"(all reported statically at the same row); programs that ran clean: {TALLY['clean']}, "
        f"static findings in them: {TALLY['clean_findings']}"
    )
    for finding in CLEAN_FINDINGS[:3]:
        print(f"static finding in a program that ran clean: {finding}")
