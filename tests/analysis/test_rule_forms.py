"""Each rule across the forms Python offers for it, one generated device per form: the
finding is on the row marked `# X` (SPEC §3.1 primary locations) and nothing else is
reported. BQL002: unlock points (bql.unlock, `with bql.unlocked()`, @releases_bql functions
and methods, a helper that unlocks, await, a @without_bql call) under each way of holding a
borrow. BQL004/BQL005: writes through and escapes of guards. BQL006: cell operations in
threads, timers, @without_bql code and unlocked regions. BQL001/BQL007: field mutations.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.analysis.helpers import findings_of

UNLOCK_TEMPLATE = '''import asyncio
import threading

import bql


class Regs:
    def __init__(self) -> None:
        self.n = 0


@bql.releases_bql
def slow_io() -> None:
    pass


@bql.without_bql
def worker() -> None:
    pass


class Dev(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())

    @bql.releases_bql
    def flush(self) -> None:
        pass

    def helper(self) -> None:
        bql.unlock()
        bql.lock()

    async def method(self) -> int:
{hold}
        return 0
'''

BORROWS = {
 "with": "        with self.regs.borrow_mut() as regs:\n            regs.n = 1\n            {call}",
 "named": "        g = self.regs.borrow_mut()\n        g.n = 1\n        {call}\n        g.release()",
 "shared": "        with self.regs.borrow() as regs:\n            print(regs.n)\n            {call}",
 "try_except": "        with self.regs.borrow_mut() as regs:\n            try:\n                regs.n = 1\n            except ValueError:\n                {call}",
 "loop": "        with self.regs.borrow_mut() as regs:\n            for i in range(3):\n                regs.n = i\n                {call}",
}

UNLOCKS = {
 "unlock": "bql.unlock()  # X",
 "unlocked_with": "with bql.unlocked():  # X\n                pass",
 "releases_fn": "slow_io()  # X",
 "releases_method": "self.flush()  # X",
 "helper_chain": "self.helper()  # X",
 "await": "await asyncio.sleep(0)  # X",
 "without_bql_call": "worker()  # X",
}

GUARD_TEMPLATE = '''import bql

SAVED = []


class Regs:
    def __init__(self) -> None:
        self.n = 0
        self.fifo = [0, 0]
        self.meta = {}

    def bump(self) -> None:
        self.n += 1


class Dev(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())
        self.keep = None

    def method(self):
{body}
        return 0
'''

GUARD_CASES = {
 # BQL004 (shared guard writes)
 "attr": ("BQL004", "        with self.regs.borrow() as r:\n            r.n = 1  # X"),
 "item": ("BQL004", "        with self.regs.borrow() as r:\n            r.fifo[0] = 1  # X"),
 "aug": ("BQL004", "        with self.regs.borrow() as r:\n            r.n += 1  # X"),
 "del_attr": ("BQL004", "        with self.regs.borrow() as r:\n            del r.n  # X"),
 "append": ("BQL004", "        with self.regs.borrow() as r:\n            r.fifo.append(1)  # X"),
 "dict_update": ("BQL004", "        with self.regs.borrow() as r:\n            r.meta.update(a=1)  # X"),
 "setattr": ("BQL004", "        with self.regs.borrow() as r:\n            setattr(r, 'n', 1)  # X"),
 "method_mutates": ("BQL004", "        with self.regs.borrow() as r:\n            r.bump()  # X"),
 "named_guard": ("BQL004", "        g = self.regs.borrow()\n        g.n = 1  # X\n        g.release()"),
 "temp": ("BQL004", "        self.regs.borrow().n = 1  # X"),
 "read_ok": (None, "        with self.regs.borrow() as r:\n            x = r.fifo[0] + len(r.meta)"),
 "copy_then_write": (None, "        with self.regs.borrow() as r:\n            fifo = list(r.fifo)\n            fifo.append(1)"),
 # BQL005
 "return": ("BQL005", "        g = self.regs.borrow()\n        return g  # X"),
 "return_tuple": ("BQL005", "        g = self.regs.borrow()\n        return (g, 1)  # X"),
 "store_self": ("BQL001+BQL005", "        g = self.regs.borrow()\n        self.keep = g  # X\n        g.release()"),
 "store_global": ("BQL005", "        g = self.regs.borrow()\n        SAVED.append(g)  # X\n        g.release()"),
 "use_after_release": ("BQL005", "        g = self.regs.borrow()\n        g.release()\n        print(g.n)  # X"),
 "use_after_with": ("BQL005", "        with self.regs.borrow() as r:\n            pass\n        print(r.n)  # X"),
 "with_value_return": ("BQL005", "        with self.regs.borrow() as r:\n            return r  # X"),
 "return_value_ok": (None, "        with self.regs.borrow() as r:\n            return r.n"),
 "rebind_ok": (None, "        g = self.regs.borrow()\n        g.release()\n        g = None\n        print(g)"),
}

NO_BQL_TEMPLATE = '''import functools
import threading

import bql


class Regs:
    def __init__(self) -> None:
        self.n = 0


@bql.requires_bql
def needs(dev: "Dev") -> None:
    pass


class Dev(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(Regs())
        self.count = bql.BqlCell(0)
        self.irq = bql.InterruptSource()

    def start(self) -> None:
{start}

{ctx}
'''

NO_BQL_CONTEXTS = {
 "thread_target": ("        threading.Thread(target=self.work).start()", "    def work(self) -> None:\n        {op}"),
 "thread_partial": ("        threading.Thread(target=functools.partial(self.work, 1)).start()", "    def work(self, n: int) -> None:\n        {op}"),
 "timer": ("        threading.Timer(1.0, self.work).start()", "    def work(self) -> None:\n        {op}"),
 "without_bql": ("        pass", "    @bql.without_bql\n    def work(self) -> None:\n        {op}"),
 "after_unlock": ("        pass", "    def work(self) -> None:\n        bql.unlock()\n        {op}\n        bql.lock()"),
 "unlocked_block": ("        pass", "    def work(self) -> None:\n        with bql.unlocked():\n            {op}"),
 "thread_kw_args": ("        threading.Thread(name='w', target=self.work, daemon=True).start()", "    def work(self) -> None:\n        {op}"),
}

NEEDS_BQL = {
 "get": "x = self.count.get()  # X",
 "set": "self.count.set(1)  # X",
 "borrow": "x = self.regs.borrow().n  # X",
 "irq": "self.irq.raise_()  # X",
 "requires": "needs(self)  # X",
}

MUTATION_TEMPLATE = '''import bql


class Dev(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.x = 0
        self.a = 0
        self.b = 0
        self.items = [0]
        self.table = {}
        self.obj = object()
        self.count = bql.BqlCell(0)
        self.f = None
        self.i = 0

    def method(self) -> None:
{body}
'''

MUTATION_CASES = {
 "assign": ("BQL001", "        self.x = 1  # X"),
 "aug": ("BQL001", "        self.x += 1  # X"),
 "del": ("BQL001", "        del self.x  # X"),
 "item": ("BQL001", "        self.items[0] = 1  # X"),
 "append": ("BQL001", "        self.items.append(1)  # X"),
 "dict_update": ("BQL001", "        self.table.update(a=1)  # X"),
 "setattr": ("BQL001", "        setattr(self, 'x', 1)  # X"),
 "tuple": ("BQL001+BQL001", "        self.a, self.b = 1, 2  # X"),  # one per target (SPEC §3.1)
 "for_target": ("BQL001", "        for self.i in range(3):  # X\n            pass"),
 "with_target": ("BQL001", "        with open('f') as self.f:  # X\n            pass"),
 "ann": ("BQL001", "        self.x: int = 1  # X"),
 "object_setattr": ("BQL001", "        object.__setattr__(self, 'x', 1)  # X"),
 "starred": ("BQL001+BQL001", "        self.a, *self.items = 1, 2, 3  # X"),
 "cell_rebind": ("BQL007", "        self.count = bql.BqlCell(1)  # X"),
 "cell_assign_int": ("BQL007", "        self.count = 5  # X"),
 "cell_aug": ("BQL007", "        self.count += 1  # X"),
 "cell_del": ("BQL007", "        del self.count  # X"),
 "cell_set_ok": (None, "        self.count.set(self.count.get() + 1)"),
 "local_ok": (None, "        x = self.x\n        x += 1\n        items = list(self.items)\n        items.append(x)"),
 "other_obj_ok": (None, "        other = Dev.__new__(Dev)\n        print(other)"),
}


def _check(tmp_path: Path, text: str, code: str | None) -> None:
    """`code` is reported on every row marked `# X` (`A+B`: both there), and nothing else."""
    rows = [row for row, line in enumerate(text.splitlines(), 1) if "# X" in line]
    want = [(each, row) for row in rows for each in code.split("+")] if code else []
    assert findings_of(tmp_path, text) == want


@pytest.mark.parametrize("hold", sorted(BORROWS))
@pytest.mark.parametrize("unlock", sorted(UNLOCKS))
def test_every_unlock_point_under_every_borrow_form_is_bql002(tmp_path: Path, hold: str, unlock: str) -> None:
    holding = BORROWS[hold]
    indent = holding.split("{call}")[0].rsplit("\n", 1)[1]
    call = UNLOCKS[unlock].replace("\n                pass", "\n" + indent + "    pass")
    _check(tmp_path, UNLOCK_TEMPLATE.replace("{hold}", holding.replace("{call}", call)), "BQL002")


@pytest.mark.parametrize("name", sorted(GUARD_CASES))
def test_guard_writes_and_escapes(tmp_path: Path, name: str) -> None:
    code, body = GUARD_CASES[name]
    _check(tmp_path, GUARD_TEMPLATE.replace("{body}", body), code)


@pytest.mark.parametrize("context", sorted(NO_BQL_CONTEXTS))
@pytest.mark.parametrize("op", sorted(NEEDS_BQL))
def test_cell_operations_without_the_bql(tmp_path: Path, context: str, op: str) -> None:
    start, method = NO_BQL_CONTEXTS[context]
    text = NO_BQL_TEMPLATE.replace("{start}", start).replace("{ctx}", method.replace("{op}", NEEDS_BQL[op]))
    _check(tmp_path, text, "BQL006")


@pytest.mark.parametrize("name", sorted(MUTATION_CASES))
def test_field_mutations(tmp_path: Path, name: str) -> None:
    code, body = MUTATION_CASES[name]
    _check(tmp_path, MUTATION_TEMPLATE.replace("{body}", body), code)
