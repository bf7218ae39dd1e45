"""Glob patterns of `exclude`, `extend-exclude` and `per-file-ignores`: validated and rebased.

Patterns follow `.gitignore` syntax, relative to the folder of the file that wrote them: a
pattern without an inner `/` matches at any depth, one with a `/` is anchored to that folder.
Validation catches what pathspec would crash on or silently never match (issue 9).
`./gen`, `sub//x.py` and `sub/./x.py` are normalised first (`/gen`, `sub/x.py`): as in ruff,
which resolves a pattern against the project root, `.` is the folder itself (crash13 #19).
Every pattern (these and `.gitignore` lines) is compiled through `glob_spec`, which collapses
runs of `*` as git's wildmatch does: pathspec turns each `*` into its own `[^/]*`, which
backtracks exponentially in the run's length (crash6 #14).
"""

from __future__ import annotations

import fnmatch
import functools
import re
from collections.abc import Iterable
from pathlib import Path, PurePosixPath

import pathspec

# `C:\x`, `C:/x`: a Windows absolute path.
_DRIVE = re.compile(r"^[A-Za-z]:[\\/]")


def normalize_pattern(pattern: str) -> str:
    """Return `pattern` without `.` segments and empty inner ones: `./gen` is `/gen`,
    `sub//x.py` and `sub/./x.py` are `sub/x.py`, `gen/./` is `/gen/`.

    A pattern that had a `/` before its end stays anchored to its folder, as gitignore
    reads it; ruff reads `./gen` the same way, as the path `gen` below the project root.
    """
    negated = "!" if pattern.startswith("!") else ""
    body = pattern[len(negated) :]
    segments = body.split("/")
    kept = [segment for segment in segments if segment not in ("", ".")]
    if len(kept) == len(segments) - body.startswith("/") - body.endswith("/") or not kept:
        return pattern  # nothing to drop; or nothing left, which pattern_problem rejects
    normal = "/".join(kept)
    if body.startswith("/") or (is_anchored(body) and "/" not in normal):
        normal = "/" + normal
    if body.endswith("/"):
        normal += "/"
    return negated + normal


def pattern_problem(pattern: str, root: Path) -> str | None:
    """Return why `pattern` is not a usable glob (relative to `root`), or None when it is.

    `pattern` is judged as `normalize_pattern` leaves it, which is what is matched.
    """
    body = pattern[1:] if pattern.startswith("!") else pattern
    if not body.strip():
        return "an empty pattern matches nothing; remove it"
    segments = body.split("/")
    if "." in segments and all(segment in ("", ".") for segment in segments):
        return "`.` is the folder itself, not a file in it; write `*` to match everything"
    pattern = normalize_pattern(pattern)
    body = pattern[1:] if pattern.startswith("!") else pattern
    if "\0" in body:
        return "a pattern cannot contain a NUL character"
    trailing = len(body) - len(body.rstrip("\\"))
    if trailing % 2 == 1:
        return "a pattern cannot end with a lone backslash (write `\\\\` for a literal one)"
    if _has_unbalanced_bracket(body):
        return "`[` opens a character class that is never closed (write `[[]` for a literal `[`)"
    if body.startswith("~") or _DRIVE.match(body) or body.startswith("\\\\"):
        return f"patterns are relative to {root}; an absolute path never matches"
    root_text = root.as_posix().rstrip("/")
    if root_text and (body == root_text or body.startswith(root_text + "/")):
        relative = body[len(root_text) :].lstrip("/") or "*"
        return f"patterns are relative to {root}; write `{relative}` instead of the absolute path"
    if ".." in PurePosixPath(body.replace("\\", "/")).parts:
        return f"`..` cannot reach outside {root}; put the pattern in a configuration file higher up"
    try:
        pattern_spec(pattern)
    except Exception as exc:  # pathspec's own errors (GitIgnorePatternError and friends)
        return f"not a valid glob: {exc}"
    return None


@functools.lru_cache(maxsize=8192)
def pattern_spec(pattern: str) -> pathspec.GitIgnoreSpec:
    """Compile one pattern, once per process: a configuration's patterns are validated when
    it is read (and again when a file extending it is), then compiled for matching."""
    return glob_spec([pattern])


def glob_spec(lines: Iterable[str]) -> pathspec.GitIgnoreSpec:
    """Compile gitignore-style `lines` (see the module docstring)."""
    return pathspec.GitIgnoreSpec.from_lines(collapse_stars(line) for line in lines)


def collapse_stars(pattern: str) -> str:
    """Rewrite each run of `*` as git's wildmatch reads it: a run that is a whole path segment
    (`a/***/b`, `***/b`, `a/***`) is `**`, any other run (`x***y`) is one `*`. Escaped stars
    (`\\*`) and stars inside a `[...]` class are literal and kept."""
    body, negated = (pattern[1:], "!") if pattern.startswith("!") else (pattern, "")
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char == "\\":
            out.append(body[i : i + 2])
            i += 2
        elif char == "[":
            close = _class_end(body, i)
            out.append(body[i : close + 1] if close >= 0 else char)
            i = close + 1 if close >= 0 else i + 1
        elif char == "*":
            end = i
            while end < len(body) and body[end] == "*":
                end += 1
            whole_segment = (i == 0 or body[i - 1] == "/") and (end == len(body) or body[end] == "/")
            out.append("**" if whole_segment and end - i >= 2 else "*")
            i = end
        else:
            out.append(char)
            i += 1
    return negated + "".join(out)


def _class_end(pattern: str, start: int) -> int:
    """Return the index of the `]` closing the class opened at `start`, or -1."""
    first = start + 1
    if pattern[first : first + 1] in ("!", "^") and first < len(pattern):
        first += 1
    if pattern[first : first + 1] == "]":  # a `]` first in the class is a member
        first += 1
    return pattern.find("]", first)


def _has_unbalanced_bracket(pattern: str) -> bool:
    """Return whether a `[` opens a class that no `]` closes (escapes `\\[` skipped)."""
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            i += 2
            continue
        if char == "[":
            close = pattern.find("]", i + 2 if pattern[i + 1 : i + 2] in ("!", "^", "]") else i + 1)
            if close == -1:
                return True
            i = close + 1
            continue
        i += 1
    return False


def is_anchored(pattern: str) -> bool:
    """Return whether a gitignore pattern is anchored to its folder (a `/` before its end)."""
    body = pattern[1:] if pattern.startswith("!") else pattern
    return "/" in body.rstrip("/")


def rebase(pattern: str, old_root: Path, new_root: Path) -> tuple[str, ...]:
    """Return patterns relative to `new_root` that match, below it, exactly what `pattern`
    (relative to `old_root`) matches there: none when it can match nothing below `new_root`,
    `*` when it matches `new_root` itself or a folder above it (then everything below).
    Used for patterns inherited through `extend` and for the command line's.

    A pattern without an inner `/` matches at any depth and is kept as it is. Below the old
    root, the new root's own path is matched segment by segment: `**` may take any number of
    them, so `**/tests/*` rebased to `tests/` is `**/tests/*` (a deeper `tests/`) and `/*`
    (crash14 #5).
    """
    if old_root == new_root or not is_anchored(pattern):
        return (pattern,)
    negated = "!" if pattern.startswith("!") else ""
    body = (pattern[1:] if negated else pattern).lstrip("/")
    if old_root.is_relative_to(new_root):
        # The new root is higher up: anchor the pattern at the old root's place below it.
        below = old_root.relative_to(new_root).as_posix()
        return (negated + "/" + below + "/" + body,)
    try:
        prefix = new_root.relative_to(old_root).parts
    except ValueError:
        return ()  # anchored to a folder that does not contain the new root
    parts = body.split("/")
    # Positions in `parts` reached by the new root's path so far (a `**` there also stands
    # for the positions after it: it may match no segment).
    reached = {0}
    for step in prefix:
        states = _after_stars(parts, reached)
        if any(_matched_whole(parts, i) for i in states):
            return (negated + "*",)  # a folder above the new root matches: all below it does
        reached = {i for i in states if parts[i] == "**"}
        reached |= {i + 1 for i in states if parts[i] not in ("**", "") and fnmatch.fnmatchcase(step, parts[i])}
    if any(_matched_whole(parts, i) for i in _after_stars(parts, reached)):
        return (negated + "*",)
    rests = ("/".join(parts[i:]) for i in sorted(reached))
    return tuple(negated + (rest if rest.startswith("**/") else "/" + rest) for rest in rests)


def _after_stars(parts: list[str], states: set[int]) -> set[int]:
    """Add to `states` the positions reached by letting each `**` match no segment."""
    reached, todo = set(states), list(states)
    while todo:
        i = todo.pop()
        if i < len(parts) and parts[i] == "**" and i + 1 not in reached:
            reached.add(i + 1)
            todo.append(i + 1)
    return reached


def _matched_whole(parts: list[str], i: int) -> bool:
    """Whether position `i` has matched all of `parts` (a trailing `/` asks for a folder,
    which every segment of a root's path is)."""
    return i >= len(parts) or parts[i:] == [""]
