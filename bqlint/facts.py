"""Per-file facts as plain data: relevance, imports and syntax status, from Python's own parser.

They are cheap (no libcst: CPython's `compile()` decides BQL999, its `ast` gives the imports),
cacheable by content, and enough to decide which files must be parsed with libcst and which
modules can affect each other (bqlint.groups), before any of them is parsed. The imports are the dotted names `collect_symbols` records for the same file.
"""

from __future__ import annotations

import ast
import unicodedata
import warnings
from dataclasses import dataclass

from bqlint.config import Settings
from bqlint.model.api import RUNTIME_PACKAGE, is_runtime_module
from bqlint.syntax import python_syntax_error

_BODIES = ("body", "orelse", "finalbody", "handlers", "cases")


@dataclass(frozen=True, slots=True)
class FileFacts:
    """What a run needs to know about one file before parsing it with libcst."""

    # The file mentions the runtime or a configured name (a seed of the relevance closure),
    # other than in an `import bql` it never uses.
    relevant: bool
    # Modules and names it imports, at any depth, relative imports made absolute (sorted);
    # None when not read: they matter only once some file of the run is a seed.
    imports: tuple[str, ...] | None
    # (message, row, column) of the reason CPython's compile() rejects the file, else None.
    syntax_error: tuple[str, int, int] | None

    @property
    def seed(self) -> bool:
        """Whether the file starts the relevance closure: relevant, and Python compiles it."""
        return self.relevant and self.syntax_error is None


def trigger_words(settings: Settings) -> tuple[str, ...]:
    """Return the words whose presence makes a file a seed: `bql` and the configured names' parts."""
    words = {RUNTIME_PACKAGE}
    for dotted_name in (*settings.device_bases, *settings.cell_types, *settings.unlock_points):
        words.update(part for part in dotted_name.split(".") if part)
    return tuple(sorted(words))


def extract_facts(
    text: str, module_name: str, is_package: bool, words: tuple[str, ...], *, imports: bool = True
) -> FileFacts:
    """Return the facts of one file (`module_name` makes its relative imports absolute).

    With `imports` false, the imports of a file that mentions no word are not read (the
    file's `ast` is not built): `with_imports` reads them when a run needs them.
    """
    names = _as_names(text)
    relevant = any(word in names for word in words)
    error = python_syntax_error(text)  # BQL999 exactly when CPython's compile() rejects the file
    if error is not None:
        message, position = error
        return FileFacts(relevant, (), (message, position.row, position.column))
    facts = FileFacts(relevant, None, None)
    return with_imports(facts, text, module_name, is_package, words) if relevant or imports else facts


def with_imports(
    facts: FileFacts, text: str, module_name: str, is_package: bool, words: tuple[str, ...]
) -> FileFacts:
    """Return `facts` with the imports read (from Python's `ast`), if they were not."""
    if facts.imports is not None:
        return facts
    try:
        tree = _parse_ast(text)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return FileFacts(facts.relevant, (), None)  # compiles, yet too deep for the AST
    package = module_name if is_package else module_name.rpartition(".")[0]
    bare: list[ast.Import] = []
    found = _imports(tree, package, bare)
    relevant = facts.relevant
    if relevant and bare:
        relevant = _mentioned_beyond(_as_names(text), words, bare)
    return FileFacts(relevant, tuple(sorted(found)), None)


def _as_names(text: str) -> str:
    """`text` with its names as Python reads them: `𝐛𝐪𝐥` is `bql` (NFKC, PEP 3131)."""
    return text if text.isascii() else unicodedata.normalize("NFKC", text)


def _mentioned_beyond(text: str, words: tuple[str, ...], statements: list[ast.Import]) -> bool:
    """Return whether a word occurs in `text` outside the bare runtime imports `statements`.

    `import bql` alone binds a name; a file that never mentions it again (in code, strings or
    comments) cannot create a cell, borrow or device through it, so it is not a seed. Such a
    statement is `import` and dotted names only, so its mentions are those of its names.
    """
    names = [alias.name for statement in statements for alias in statement.names]
    return any(text.count(word) > sum(name.count(word) for name in names) for word in words)


# CPython 3.11 keeps the AST builder's depth counter in interpreter-wide state: another thread
# that builds an AST meanwhile (traceback's caret lines do) can make a correct parse fail with
# "SystemError: AST constructor recursion depth mismatch". Such a failure says nothing about
# the file, so the parse is tried again.
_AST_TRIES = 3


def _parse_ast(text: str) -> ast.Module:
    for attempt in range(_AST_TRIES):
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # SyntaxWarning (invalid escapes) is not ours to print
                return ast.parse(text)
        except SystemError:
            if attempt == _AST_TRIES - 1:
                raise
    raise AssertionError("unreachable")


def _imports(tree: ast.Module, package: str, bare: list[ast.Import]) -> set[str]:
    """Return the imported names, as `bqlint.model.project.collect_symbols` records them.

    Append to `bare` each `import bql[.sub]` statement that imports only the runtime, unaliased.
    """
    found: set[str] = set()
    stack: list[list[ast.stmt]] = [tree.body]
    while stack:
        for node in stack.pop():
            kind = type(node)
            if kind is ast.Import:
                names = node.names  # type: ignore[attr-defined]
                found.update(alias.name for alias in names)
                if all(alias.asname is None and is_runtime_module(alias.name) for alias in names):
                    bare.append(node)  # type: ignore[arg-type]
            elif kind is ast.ImportFrom:
                _import_from(node, package, found)  # type: ignore[arg-type]
            elif kind in _COMPOUND:
                for name in _BODIES:
                    value = getattr(node, name, None)
                    if value:
                        if name in ("handlers", "cases"):
                            stack.extend(part.body for part in value)
                        else:
                            stack.append(value)
    return found


def _import_from(node: ast.ImportFrom, package: str, found: set[str]) -> None:
    base = node.module or ""
    if node.level:
        prefix = package
        for _ in range(node.level - 1):
            prefix = prefix.rpartition(".")[0]
        base = f"{prefix}.{base}" if base and prefix else (base or prefix)
    if not base:
        return
    found.add(base)
    if not (len(node.names) == 1 and node.names[0].name == "*"):
        found.update(f"{base}.{alias.name}" for alias in node.names)


# Statements with bodies: everything an import can be nested in.
_COMPOUND = frozenset(
    getattr(ast, name)
    for name in (
        "FunctionDef",
        "AsyncFunctionDef",
        "ClassDef",
        "If",
        "For",
        "AsyncFor",
        "While",
        "With",
        "AsyncWith",
        "Try",
        "TryStar",
        "Match",
    )
    if hasattr(ast, name)
)
