"""Which rules a configuration and the command line enable, resolved as ruff resolves them.

Each source of selectors (the configuration, `extend` already merged in, then the command
line) is one selection, applied in that order. Within a selection, selectors apply from the
least specific to the most specific (`ALL`, then `BQL`, `BQL0`, `BQL00`, then a whole code),
`select` and `extend-select` before `ignore` at each level: the more specific selector wins,
and a tie goes to `ignore` (`--ignore BQL --select BQL001` enables BQL001). A selection with a
`select` replaces what the earlier ones enabled (the command line's `--select BQL001`
enables BQL001 even where the configuration ignores it); one without only adds and removes
(crash14 #6).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class RuleSelection:
    """The selectors of one source; `select` None keeps what the earlier sources enabled."""

    select: Sequence[str] | None = None
    extend_select: Sequence[str] = ()
    ignore: Sequence[str] = ()


def specificity(selector: str) -> int:
    """Return how specific `selector` is: `ALL` least, then longer prefixes, a code most."""
    normal = selector.strip().upper()
    return 0 if normal == "ALL" else len(normal)


def selected_codes(selector: str, codes: Iterable[str]) -> list[str]:
    """Return the codes among `codes` that `selector` (a code, a prefix or `ALL`) names."""
    normal = selector.strip().upper()
    if normal == "ALL":
        return list(codes)
    return [code for code in codes if normal and code.startswith(normal)]


def enabled_codes(selections: Sequence[RuleSelection], codes: Sequence[str]) -> tuple[frozenset[str], frozenset[str]]:
    """Return the codes `selections` leave enabled, starting from every code of `codes`, and
    the codes an `ignore` turned off (and nothing enabled again)."""
    enabled, ignored = set(codes), set[str]()
    for selection in selections:
        chosen = [*(selection.select or ()), *selection.extend_select]
        updates: dict[str, bool] = {}
        for level in sorted({specificity(s) for s in (*chosen, *selection.ignore)}):
            for selectors, on in ((chosen, True), (selection.ignore, False)):
                for selector in selectors:
                    if specificity(selector) == level:
                        updates.update((code, on) for code in selected_codes(selector, codes))
        ons = {code for code, on in updates.items() if on}
        offs = set(updates) - ons
        if selection.select is not None:
            enabled, ignored = ons, offs
        else:
            enabled, ignored = (enabled | ons) - offs, (ignored | offs) - ons
    return frozenset(enabled), frozenset(ignored)
