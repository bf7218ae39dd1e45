"""What a rule sees (one analysed module) and what it yields (findings with CST nodes).

Findings name CST nodes; the engine turns them into positioned Diagnostics in one codegen
pass per file, so rules never compute positions.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import libcst as cst

from bqlint.analysis.events import Borrow, key_text
from bqlint.analysis.flow import FunctionFlow, Hazard
from bqlint.analysis.scope import FunctionScope
from bqlint.analysis.summaries import Link
from bqlint.diagnostics import Applicability, Edit
from bqlint.model.classes import ClassInfo, FieldType, Instance
from bqlint.model.functions import FunctionInfo
from bqlint.model.mutations import Mutation, lambda_mutations, self_mutations
from bqlint.model.project import ModuleInfo, Project

# Mutation kinds that replace or remove a field (the rest change what the field holds).
REBINDING = ("assign", "augassign", "delete")


@dataclass(frozen=True, slots=True)
class FixPlan:
    message: str
    applicability: Applicability
    edits: tuple[tuple[cst.CSTNode, str], ...]  # replace each node's span by the text
    # Edits already positioned by the fix builder (a re-indented block of lines).
    text_edits: tuple[Edit, ...] = ()
    # Edits made from positions, once the findings' codegen pass has placed `anchors` (no
    # codegen of its own per fix); a None from `positioned` means the fix does not apply.
    anchors: tuple[cst.CSTNode, ...] = ()
    positioned: Callable[[], tuple[Edit, ...] | None] | None = None


@dataclass(frozen=True, slots=True)
class Finding:
    code: str
    node: cst.CSTNode
    module: ModuleInfo
    message: str
    related: tuple[Link, ...] = ()
    help: str | None = None
    scope: str = ""
    fix: FixPlan | None = None


@dataclass
class RuleContext:
    project: Project
    module: ModuleInfo
    flows: list[FunctionFlow]
    _scopes: dict[int, FunctionScope] = field(default_factory=dict)

    def scope(self, fn: FunctionInfo) -> FunctionScope:
        """Return the names and types of `fn` (built once per function)."""
        if id(fn) not in self._scopes:
            self._scopes[id(fn)] = FunctionScope(fn)
        return self._scopes[id(fn)]

    def hazards(self, code: str) -> Iterator[tuple[FunctionInfo, Hazard]]:
        for flow in self.flows:
            for hazard in flow.hazards:
                if hazard.code == code:
                    yield flow.fn, hazard

    def device_methods(self) -> Iterator[FunctionInfo]:
        """Yield the functions of this module that belong to a device class, outside construction."""
        for flow in self.flows:
            fn = flow.fn
            if fn.cls is not None and fn.cls.is_device() and not fn.is_construction():
                yield fn

    def device_mutations(self) -> Iterator[tuple[FunctionInfo, Mutation, FieldType | None]]:
        """Yield (method, mutation of its self, the field's type) in device methods outside
        construction. Assigning a property (or a data descriptor) runs its setter: that is a
        call, not a mutation."""
        for fn in self.device_methods():
            assert fn.cls is not None
            for mutation in [*self_mutations(fn), *lambda_mutations(fn)]:
                if mutation.kind in (*REBINDING, "setattr", "delattr") and _intercepted(fn.cls, mutation.field):
                    continue
                if self.is_property_store(fn, mutation):
                    continue
                yield fn, mutation, fn.cls.cell_field(mutation.field)

    def is_property_store(self, fn: FunctionInfo, mutation: Mutation) -> bool:
        """`self.clock.hz = v` where `hz` is a property of the field's class runs its setter
        (SPEC §3.1.2): a call, not a mutation of the field."""
        target = mutation.node
        if mutation.kind != "item" or not isinstance(target, cst.Attribute):
            return False
        scope = self.scope(fn)
        key = scope.key_of(target.value)
        typed = scope.type_of_key(key) if key is not None else None
        return isinstance(typed, Instance) and _intercepted(typed.cls, target.attr.value)


def _intercepted(cls: ClassInfo, name: str) -> bool:
    """Whether storing or deleting attribute `name` of an instance of `cls` runs code instead
    of binding a field: a property, or a data descriptor (its class defines `__set__` or
    `__delete__`)."""
    if cls.is_property(name):
        return True
    return cls.descriptor_method(name, "setter") is not None or cls.descriptor_method(name, "deleter") is not None


def call_text(node: cst.Call) -> str:
    """Return `a.b()` for a call, on one line whatever its layout."""
    return "".join(_EMPTY.code_for_node(node.func).split()) + "()"


_EMPTY = cst.Module([])


def borrow_label(borrow: Borrow, module: ModuleInfo, self_name: str | None = "self") -> Link:
    """The related location of a borrow: "mutable borrow of `self.regs` starts here"."""
    kind = "mutable borrow" if borrow.mut else "shared borrow"
    return Link(borrow.node, module, f"{kind} of `{key_text(borrow.key, self_name)}` starts here")


def function_name(fn: FunctionInfo) -> str:
    """Name a function as its `__qualname__` does: `Uart.write()`; a nested one under its
    parent, `Uart.write.<locals>.inner()` (it is no method of the class)."""
    if fn.parent is not None:
        return f"{function_name(fn.parent)[:-2]}.<locals>.{fn.name}()"
    return f"{fn.cls.name}.{fn.name}()" if fn.cls is not None else f"{fn.name}()"
