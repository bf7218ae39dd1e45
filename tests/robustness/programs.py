"""Hypothesis strategies for the fuzz harness: random device projects whose calls recurse
through fields (`self.next.m()` inside `m`), across modules and classes, and through cycles
of chardev handlers (`accept_input()` / `write_all()` re-enter the handlers)."""

from __future__ import annotations

from dataclasses import dataclass

from hypothesis import strategies as st

HANDLERS = ("can_receive", "receive", "event")


@dataclass(frozen=True)
class Shape:
    """How many modules, classes per module and methods per class a project has."""

    modules: int
    classes: int
    methods: int

    def class_names(self) -> list[tuple[int, str]]:
        return [(m, f"Dev{m}_{c}") for m in range(self.modules) for c in range(self.classes)]


def _call_targets(shape: Shape, module: int) -> st.SearchStrategy[str]:
    """A call that may recurse: through a field, to self, to a module function, to the chardev."""
    method = st.integers(0, shape.methods - 1).map(lambda k: f"m{k}")
    other_module = st.integers(0, shape.modules - 1)
    return st.one_of(
        method.map(lambda m: f"self.{m}()"),
        method.map(lambda m: f"self.next.{m}()"),
        method.map(lambda m: f"self.peer.{m}()"),
        method.map(lambda m: f"self.next.next.peer.{m}()"),
        st.sampled_from(HANDLERS[1:]).map(
            lambda h: f"self.next.{h}(b'x')" if h == "receive" else f"self.{h}(1)"
        ),
        st.tuples(other_module, st.integers(0, 1)).map(lambda t: f"mod{t[0]}.func{t[1]}(self)"),
        st.just("self.chr.accept_input()"),
        st.just("self.chr.write_all(b'x')"),
        st.just("self.acknowledge()"),
        st.just("self.slave.acknowledge()"),
    )


def _simple(shape: Shape, module: int) -> st.SearchStrategy[str]:
    return st.one_of(
        _call_targets(shape, module),
        st.just("self.level.set(self.level.get() + 1)"),
        st.just("bql.unlock()\nbql.lock()"),
        st.just("self.irq.raise_()"),
        st.just("regs = self.regs.borrow_mut()\nregs.value += 1\nregs.release()"),
        st.just("self.count = 1"),
    )


def _block(shape: Shape, module: int, depth: int) -> st.SearchStrategy[list[str]]:
    """A list of lines (relative indentation kept) for a statement sequence."""
    if depth == 0:
        leaf = _simple(shape, module).map(lambda s: s.splitlines())
        return st.lists(leaf, min_size=1, max_size=3).map(lambda ls: [line for lines in ls for line in lines])

    def nest(head: str) -> st.SearchStrategy[list[str]]:
        return _block(shape, module, depth - 1).map(lambda body: [head] + ["    " + b for b in body])

    compound = st.one_of(
        nest("with self.regs.borrow_mut() as regs:"),
        nest("with self.regs.borrow() as regs:"),
        nest("with bql.unlocked():"),
        nest("if self.level.get():"),
        nest("for _ in range(2):"),
        nest("while self.level.get() > 3:"),
        nest("try:").map(lambda lines: lines + ["finally:", "    pass"]),
    )
    item = st.one_of(_simple(shape, module).map(lambda s: s.splitlines()), compound)
    return st.lists(item, min_size=1, max_size=3).map(lambda ls: [line for lines in ls for line in lines])


def _method(shape: Shape, module: int, name: str, params: str) -> st.SearchStrategy[str]:
    return _block(shape, module, 2).map(
        lambda body: f"    def {name}(self{params}):\n" + "".join(f"        {line}\n" for line in body)
    )


@st.composite
def device_projects(draw: st.DrawFn) -> dict[str, str]:
    """Return {relative path: source} of a package `pkg` with 1-3 mutually importing modules."""
    shape = Shape(draw(st.integers(1, 3)), draw(st.integers(1, 2)), draw(st.integers(1, 3)))
    names = shape.class_names()
    files = {"pkg/__init__.py": ""}
    for module in range(shape.modules):
        imports = "".join(f"from pkg import mod{m}\n" for m in range(shape.modules))
        parts = [f'"""Generated module {module}."""\n\nimport bql\nimport bql.chardev\n{imports}\n']
        for _, cls in [n for n in names if n[0] == module]:
            nxt = draw(st.sampled_from(names))
            peer = draw(st.sampled_from(names))
            parts.append(
                f"\nclass {cls}(bql.Device):\n"
                f"    def __init__(self, nxt: mod{nxt[0]}.{nxt[1]}, peer: mod{peer[0]}.{peer[1]},"
                f" slave: {cls}, chardev: object = None) -> None:\n"
                "        super().__init__()\n"
                "        self.regs = bql.BqlRefCell(Regs())\n"
                "        self.level = bql.BqlCell(0)\n"
                "        self.irq = bql.InterruptSource()\n"
                "        self.chr = bql.chardev.CharFrontend(chardev)\n"
                f"        self.next: mod{nxt[0]}.{nxt[1]} = nxt\n"
                f"        self.peer: mod{peer[0]}.{peer[1]} = peer\n"
                f"        self.slave: {cls} = slave\n"
                "        self.count = 0\n\n"
                "    def realize(self) -> None:\n"
                "        self.chr.enable_handlers(self.can_receive, self.receive, self.event)\n\n"
            )
            for k in range(shape.methods):
                parts.append(draw(_method(shape, module, f"m{k}", "")) + "\n")
            parts.append(draw(_method(shape, module, "acknowledge", "")) + "\n")
            parts.append(draw(_method(shape, module, "can_receive", "")) + "        return 1\n\n")
            parts.append(draw(_method(shape, module, "receive", ", data: bytes")) + "\n")
            parts.append(draw(_method(shape, module, "event", ", e: int")) + "\n")
        parts.append("\nclass Regs:\n    value = 0\n")
        for k in range(2):
            callee = draw(st.sampled_from(names))
            method = draw(st.integers(0, shape.methods - 1))
            other = draw(st.integers(0, shape.modules - 1))
            parts.append(
                f"\n\ndef func{k}(dev: mod{callee[0]}.{callee[1]}) -> None:\n"
                f"    dev.m{method}()\n"
                f"    mod{other}.func{1 - k}(dev)\n"
            )
        files[f"pkg/mod{module}.py"] = "".join(parts)
    return files


ACKNOWLEDGE = '''"""The device of issue 9: a method calling itself through a field of the same class."""

import bql


class Dev(bql.Device):
    def __init__(self, slave: "Dev") -> None:
        super().__init__()
        self.regs = bql.BqlRefCell(0)
        self.slave: Dev = slave

    def acknowledge(self) -> None:
        with self.regs.borrow_mut() as regs:
            regs.state = 0
        self.slave.acknowledge()
'''


@st.composite
def parameter_webs(draw: st.DrawFn) -> str:
    """Return a module of functions that borrow through a parameter and pass fields of all
    their parameters, permuted and one field deeper, to each other, then all of them rotated
    (crash11 #2: the access paths a summary names grew like parameters x fields ^ length:
    a 37-line file took 87 s)."""
    functions = draw(st.integers(3, 5))
    params = draw(st.integers(12, 24))
    names = [f"p{i}" for i in range(params)]
    lines = ["import bql", ""]
    for f in range(functions):
        lines.append(f"def f{f}({', '.join(names)}):")
        lines.append(f"    g = p{f % params}.regs.borrow_mut()")
        for _ in range(draw(st.integers(3, 4))):
            order = draw(st.permutations(names))
            args = [f"{p}.{draw(st.sampled_from(('a', 'b', 'nxt')))}" for p in order]
            lines.append(f"    f{draw(st.integers(0, functions - 1))}({', '.join(args)})")
        lines.append(f"    f{(f + 1) % functions}({', '.join(names[-1:] + names[:-1])})")
        if draw(st.booleans()):
            lines.append("    bql.unlock()")
    return "\n".join(lines) + "\n"


HIERARCHY_ROOT = """import bql


class Root(bql.SysBusDevice):
    def __init__(self) -> None:
        super().__init__()
        self.regs = bql.BqlRefCell([0])

    def m(self) -> None:
        with self.regs.borrow():
            self.n()

    def n(self) -> None:
        pass
"""


def class_lattice(layers: int) -> str:
    """Layers of two classes, each deriving from both classes of the layer above (crash12
    #1: the subclasses were walked along every path, doubling per layer: 26 layers, 55 s)."""
    lines = [HIERARCHY_ROOT, "class A0(Root): pass", "class B0(Root): pass"]
    for i in range(1, layers):
        lines += [f"class A{i}(A{i - 1}, B{i - 1}): pass", f"class B{i}(A{i - 1}, B{i - 1}): pass"]
    return "\n".join(lines) + "\n"


def mixin_chain(length: int) -> str:
    """A chain `C_i(M_i, C_{i-1})` whose classes read `self.regs` (crash12 #2: looking up a
    name along the MRO at every read was cubic: 800 classes, 139 s)."""
    lines = [HIERARCHY_ROOT, "class C0(Root): pass"]
    for i in range(1, length):
        lines += [f"class M{i}: pass", f"class C{i}(M{i}, C{i - 1}):"]
        lines += ["    def go(self) -> None:", "        self.regs.borrow()"]
    return "\n".join(lines) + "\n"
