"""Many guards alive at once cost memory in proportion to them, not to their square.

One method takes N shared borrows into N names and then releases the BQL. Each borrow call
ends a CFG block; the dataflow kept one state per block, each holding every guard alive
there: N² (3,000 guards: 564 MB, 6,000: 2.2 GB, 12,000: MemoryError). Now straight-line
blocks share one stored state. The check runs in a child process under an address-space
limit that the old code overran at this size; no timing is measured.
"""

from __future__ import annotations

import resource
import subprocess
import sys
from pathlib import Path

GUARDS = 3000
LIMIT_BYTES = 450 * 1024 * 1024  # the new code peaks near 100 MB here, the old near 600 MB


def _many_guards() -> str:
    lines = [
        "import bql",
        "",
        "",
        "class Dev(bql.SysBusDevice):",
        "    def __init__(self) -> None:",
        "        super().__init__()",
        "        self.regs = bql.BqlRefCell(0)",
        "",
        "    def m(self):",
    ]
    lines += [f"        a{i} = self.regs.borrow()" for i in range(GUARDS)]
    lines += ["        bql.unlock()", ""]
    return "\n".join(lines)


def _limit() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (LIMIT_BYTES, LIMIT_BYTES))


def test_thousands_of_live_guards_fit_a_modest_memory_limit(tmp_path: Path) -> None:
    (tmp_path / "dev.py").write_text(_many_guards())
    done = subprocess.run(
        [sys.executable, "-m", "bqlint", "check", "--no-cache", "--output-format", "concise", "dev.py"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        preexec_fn=_limit,
        timeout=600,
    )
    assert done.stderr == ""
    assert done.returncode == 1
    row = 10 + GUARDS
    assert done.stdout.splitlines()[0] == (
        f"dev.py:{row}:9: BQL002 `self.regs` is still borrowed where `bql.unlock()` releases the BQL"
    )
