"""The reading phase of a run: every module's facts, from the cache or Python's parser.

Called by the engine before grouping (bqlint.groups); many files are read in worker
processes (bqlint.parallel).
"""

from __future__ import annotations

from collections.abc import Callable

from bqlint.cache import Cache, facts_key
from bqlint.facts import FileFacts, extract_facts, with_imports
from bqlint.model.modules import ModuleInfo
from bqlint.parallel import run_indexed
from bqlint.progress import Progress

_FACTS_CHUNK = 64


def collect_facts(
    modules: list[ModuleInfo],
    words: tuple[str, ...],
    jobs: int,
    cache: Cache | None,
    settings_digest: str,
    digests: list[str],
    progress: Progress,
    parallel_from: int,
    *,
    seeded: bool = False,
) -> list[FileFacts]:
    """Return every module's facts: from the cache, else from Python's parser (in workers when many).

    A file that mentions no word has its imports read only when some file of the run is a
    seed (a second pass): with no seed nothing is parsed, and a syntax check is enough.
    Workers are used from `parallel_from` files on. `seeded`: some other file of the run is
    a seed, so every file's imports are read.
    """
    progress.phase("reading", len(modules))
    out: list[FileFacts | None] = [None] * len(modules)
    keys: list[str] = []
    if cache is not None:
        keys = [facts_key(settings_digest, m.name, m.is_package, d) for m, d in zip(modules, digests)]
        out = [cache.facts(key) for key in keys]
    missing = [i for i, f in enumerate(out) if f is None]
    progress.advance(len(modules) - len(missing))

    def extract(i: int) -> FileFacts:
        m = modules[i]
        if m.source.io_error is not None:
            return FileFacts(False, (), None)  # reported as BQL998, never parsed
        return extract_facts(m.source.text, m.name, m.is_package, words, imports=False)

    def complete(i: int) -> FileFacts:
        m, known = modules[i], out[i]
        assert known is not None
        return with_imports(known, m.source.text, m.name, m.is_package, words)

    _fill(out, missing, extract, jobs, parallel_from, progress)
    changed = set(missing)
    if seeded or any(f is not None and f.seed for f in out):
        unread = [i for i, f in enumerate(out) if f is not None and f.imports is None]
        _fill(out, unread, complete, jobs, parallel_from, None)
        changed.update(unread)
    if cache is not None:
        for i in sorted(changed):
            cache.put_facts(keys[i], out[i])  # type: ignore[arg-type]
    return [f for f in out if f is not None]


def _fill(
    out: list[FileFacts | None],
    indices: list[int],
    compute: Callable[[int], FileFacts],
    jobs: int,
    parallel_from: int,
    progress: Progress | None,
) -> None:
    """Set `out[i] = compute(i)` for each index, in worker processes when there are many."""
    if jobs > 1 and len(indices) >= parallel_from:
        chunks = [indices[k : k + _FACTS_CHUNK] for k in range(0, len(indices), _FACTS_CHUNK)]
        done = run_indexed(
            lambda c: [compute(i) for i in chunks[c]],
            range(len(chunks)),
            jobs,
            lambda c: progress.advance(len(chunks[c])) if progress is not None else None,
            # A chunk whose worker died again on its own (killed): read here, as with --jobs 1.
            lambda c: [compute(i) for i in chunks[c]],
        )
        for c, chunk in enumerate(chunks):
            for i, facts in zip(chunk, done[c]):
                out[i] = facts
    else:
        for i in indices:
            out[i] = compute(i)
            if progress is not None:
                progress.advance()

