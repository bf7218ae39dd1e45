"""`bqlint server`: a Language Server on stdio (SPEC §3.2), built on pygls.

Each open document is checked as the CLI checks a file named alone: with the configuration
that governs it and the project's other files read from disk as context; an unsaved buffer
(`untitled:`) is checked alone, with the default configuration. Diagnostics are
published on open and change, with the call chain as `relatedInformation`; code actions
offer each finding's fix and a suppression comment, as edits of just what they change. Only
documents whose language is Python are checked.

A save re-checks every open document, since a saved callee can change what its callers
report. Changes and saves are coalesced: a save that leaves the file as it was on disk
re-checks nothing, and the checks run one document at a time while no message waits
(`lsp_loop`), each open document at most once per burst of keystrokes or saves (the changed
document first; a code action for it checks its latest text first).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import os
import sys
import tempfile
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, unquote_to_bytes, urlsplit

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method
from pygls.io_ import StdoutWriter
from pygls.uris import from_fs_path, to_fs_path

import bqlint
from bqlint.cache import Cache, cache_directory, may_hold_cache
from bqlint.config import ConfigError, Settings
from bqlint.config_tree import Configurations
from bqlint.diagnostics import NOT_ANALYSED_CODES, Diagnostic, Edit, Position
from bqlint.discovery import discover, find_project_root
from bqlint.engine import run
from bqlint.fixes import UnparsableFix, add_noqa, edits_fit, is_applicable, noqa_edit, offsets
from bqlint.lsp_framing import MAX_MESSAGE_BYTES, FrameReader
from bqlint.lsp_loop import serve_frames
from bqlint.lsp_text import apply_change, code_units
from bqlint.reading import UnreadableSource, decode_source, read_source_bytes
from bqlint.runs import check_files
from bqlint.suppression import parse_suppressions

SOURCE = "bqlint"
PYTHON = "python"
logger = logging.getLogger(__name__)


@dataclass
class Checked:
    """The last result for one document: the text it was computed from and its findings."""

    text: str
    diagnostics: list[Diagnostic] = field(default_factory=list)
    # The URI of an unsaved buffer (`untitled:`), which its findings' own locations name.
    virtual: str | None = None


class BqlintProtocol(LanguageServerProtocol):
    """pygls's protocol, except for how a change is applied: one to a document that is not
    open (never opened, or closed) is ignored, as LSP has the client send changes only between
    open and close, and positions follow LSP's rules (`lsp_text`)."""

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(self, params: types.DidChangeTextDocumentParams) -> Any:
        document = self.workspace.text_documents.get(unquote(params.text_document.uri))
        if document is None:
            return
        encoding = str(self.workspace.position_encoding or types.PositionEncodingKind.Utf16)
        text = document.source
        for change in params.content_changes:
            text = apply_change(text, change, encoding)
        self.workspace.put_text_document(
            types.TextDocumentItem(
                uri=document.uri,
                language_id=document.language_id or "",
                version=params.text_document.version,
                text=text,
            )
        )
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None


class BqlintServer(LanguageServer):
    """The server's state: the last result per open Python document's URI, and the re-checks
    saves have queued."""

    def __init__(self) -> None:
        super().__init__("bqlint", bqlint.__version__, protocol_cls=BqlintProtocol)
        self.results: dict[str, Checked] = {}
        # The position encoding agreed at initialize (pygls takes the client's first choice).
        self.encoding: str = types.PositionEncodingKind.Utf16
        # Open documents that are not Python: not checked.
        self.ignored: set[str] = set()
        # Open documents to re-check, in order (a dict as an ordered set).
        self.pending: dict[str, None] = {}
        # Per saved (or opened) URI, a digest of its file as the open documents were last
        # checked (or queued) against it.
        self.on_disk: dict[str, bytes | None] = {}
        self.shutdown_received = False
        self.exit_code = 0

    def start_io(self, stdin: Any | None = None, stdout: Any | None = None) -> None:
        """Serve on standard input and output (`lsp_loop`) until `exit` or the input ends;
        `exit_code` is then 0, or 1 for an `exit` without `shutdown` first (LSP)."""
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))
        # os.read holds no lock, so the reader thread never blocks the interpreter's exit.
        descriptor = (stdin or sys.stdin.buffer).fileno()
        frames = FrameReader(lambda size: os.read(descriptor, size)).frames()
        try:
            asyncio.run(serve_frames(self, frames))
        except BrokenPipeError:
            logger.error("the client closed its end: stopping")
        except SystemExit as exc:  # pygls's `exit` handler
            self.exit_code = exc.code if isinstance(exc.code, int) else 1
        except KeyboardInterrupt:
            pass
        finally:
            self.shutdown()  # type: ignore[no-untyped-call]

    def stopped(self) -> bool:
        return self._stop_event is not None and self._stop_event.is_set()

    def shut_down(self) -> bool:
        return self.shutdown_received

    def idle(self) -> bool:
        """Re-check the next queued document, if any (see the module docstring)."""
        if not self.pending:
            return False
        uri = next(iter(self.pending))
        del self.pending[uri]
        if uri in self.results:  # still open
            try:
                publish(self, uri)
            except Exception as exc:
                logger.exception("re-checking %s failed", uri)
                self.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"bqlint: {exc}"))
        return True

    def refused(self, length: int) -> None:
        message = (
            f"bqlint: refused a message of {length} bytes (the limit is {MAX_MESSAGE_BYTES}); "
            "its bytes are skipped"
        )
        logger.error("%s", message)
        self.window_log_message(types.LogMessageParams(types.MessageType.Error, message))


def create_server() -> BqlintServer:
    """Return a server with every feature registered."""
    server = BqlintServer()

    @server.feature(types.INITIALIZE)
    def initialize(ls: BqlintServer, params: types.InitializeParams) -> None:
        ls.encoding = str(ls.workspace.position_encoding or types.PositionEncodingKind.Utf16)

    @server.feature(types.SHUTDOWN)
    def shutdown(ls: BqlintServer, params: None) -> None:
        ls.shutdown_received = True
        ls.pending.clear()

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: BqlintServer, params: types.DidOpenTextDocumentParams) -> None:
        uri = params.text_document.uri
        if params.text_document.language_id != PYTHON:
            ls.ignored.add(uri)
            return
        ls.ignored.discard(uri)
        ls.on_disk[uri] = disk_digest(uri)
        publish(ls, uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: BqlintServer, params: types.DidChangeTextDocumentParams) -> None:
        # Checked once no message waits (`idle`): a burst of keystrokes costs one check, of
        # the latest text, and a request sent meanwhile is not kept waiting behind them.
        uri = params.text_document.uri
        if uri not in ls.ignored:
            ls.pending = {uri: None, **ls.pending}

    @server.feature(types.TEXT_DOCUMENT_DID_SAVE)
    def did_save(ls: BqlintServer, params: types.DidSaveTextDocumentParams) -> None:
        # A saved callee (or configuration) can change what the open files report: queue a
        # re-check of each, unless the file is as the open files were last checked against.
        uri = params.text_document.uri
        digest = disk_digest(uri)
        if digest is not None and ls.on_disk.get(uri) == digest:
            return
        ls.on_disk[uri] = digest
        first = {uri: None} if uri in ls.results else {}
        ls.pending = {**first, **ls.pending, **dict.fromkeys(ls.results)}  # the saved file first

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: BqlintServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        ls.pending.pop(uri, None)
        if uri in ls.ignored:
            ls.ignored.discard(uri)
            return
        ls.results.pop(uri, None)
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix]),
    )
    def code_action(ls: BqlintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        return code_actions(ls, params)

    return server


def publish(ls: BqlintServer, uri: str) -> None:
    """Check the document at `uri` and publish its diagnostics (with their positions in the
    text checked: a change that arrived meanwhile is checked next)."""
    ls.pending.pop(uri, None)
    document = ls.workspace.get_text_document(uri)
    path = file_path(uri)
    text = document.source
    if path is None and uri.startswith("untitled:"):  # an unsaved buffer: checked alone
        found, name = check_untitled(strip_bom(text))
    elif path is None:  # another scheme, a folder: nothing to check, nothing to walk
        ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri=uri, diagnostics=[]))
        return
    else:
        name = Path(os.path.abspath(path))  # as `check_files` names it: not resolved
        try:
            found = check_text(Path(path), strip_bom(text))
        except ConfigError as exc:
            ls.window_show_message(types.ShowMessageParams(types.MessageType.Error, f"bqlint: {exc}"))
            found = []
    found = [d for d in found if d.path == name]
    ls.results[uri] = Checked(text, found, uri if path is None else None)
    texts = Texts(text)
    lsp = [to_lsp(ls, d, texts, ls.results[uri].virtual) for d in found]
    ls.text_document_publish_diagnostics(
        types.PublishDiagnosticsParams(uri=uri, diagnostics=lsp, version=document.version)
    )


def file_path(uri: str) -> Path | None:
    """Return the file `uri` names, or None when it names no file: another scheme, or a
    folder (`file:///`, which would make the whole file system the project).

    Percent-escapes are bytes of the file's name (`n%FF` is the folder `n\\xff`), decoded
    as Python decodes file names, not as UTF-8.
    """
    if not uri.startswith("file:"):
        return None
    if os.name == "nt":
        path = to_fs_path(uri)
    else:
        parsed = urlsplit(uri)
        path = os.fsdecode(unquote_to_bytes(parsed.path)) if parsed.netloc in ("", "localhost") else None
    if path is None or not path or "\0" in path:
        return None
    if path.endswith(("/", os.sep)) or os.path.isdir(path) or not Path(os.path.abspath(path)).name:
        return None
    return Path(path)


def disk_digest(uri: str) -> bytes | None:
    """Return a digest of the file `uri` names as it is on disk; None when it cannot be read."""
    path = file_path(uri)
    if path is None:
        return None
    try:  # a regular file only: a FIFO or a device named by the client is never read
        return hashlib.sha256(read_source_bytes(path)).digest()
    except UnreadableSource:
        return None


def check_text(path: Path, text: str) -> list[Diagnostic]:
    """Return the findings for `text` as the file at `path`, with its project as context."""
    absolute = Path(os.path.abspath(path))
    configs = Configurations(find_project_root(absolute))
    settings = configs.for_path(absolute)
    if settings.is_excluded(absolute):
        return []
    found = discover([], configs, stdin_name=absolute)
    # The project's unchanged files come from the cache the CLI shares (keyed by content).
    directory = cache_directory(settings)
    cache = Cache(directory, settings.root) if may_hold_cache(directory, settings) else None
    # As the CLI does: each context file is analysed under its own configuration.
    report = check_files(configs, found, (absolute, text), cache=cache)
    if cache is not None:
        cache.flush()
    return report.diagnostics


def check_untitled(text: str) -> tuple[list[Diagnostic], Path]:
    """Check an unsaved buffer as `bqlint check -` does in an empty folder: alone, with the
    default configuration; return its findings and the name they carry."""
    with tempfile.TemporaryDirectory(prefix="bqlint-untitled-") as folder:
        name = Path(folder).resolve() / "untitled.py"
        report = run(Settings(root=name.parent), [], stdin=(name, text))
    return report.diagnostics, name


class Texts:
    """The rows of the open document and of the files its findings point into, each split
    once (a publish or a request converts every position of its findings through them)."""

    def __init__(self, document: str) -> None:
        self.document = DocumentRows(_lines(strip_bom(document)))
        self.document.lead = document[: len(document) - len(strip_bom(document))]
        self.files: dict[Path, list[str] | None] = {}

    def rows(self, path: Path, document: Path) -> list[str] | None:
        """Return the rows positions in `path` refer to: the open document's, or the file's
        as Python decodes it (its coding cookie), as the analysis read it."""
        if path == document:
            return self.document
        if path not in self.files:
            try:
                self.files[path] = _lines(decode_source(read_source_bytes(path)).text)
            except UnreadableSource:
                self.files[path] = None
        return self.files[path]


def to_lsp(ls: BqlintServer, diagnostic: Diagnostic, texts: Texts, virtual: str | None = None) -> types.Diagnostic:
    """Return `diagnostic` as an LSP diagnostic; the chain becomes related information.

    `virtual`: the URI of the unsaved buffer `diagnostic` was found in, for its own locations.
    """
    related = [
        types.DiagnosticRelatedInformation(
            location=types.Location(
                uri=virtual if virtual is not None and r.span.path == diagnostic.path else file_uri(r.span.path),
                range=_range(ls, r.span.start, r.span.end, texts.rows(r.span.path, diagnostic.path)),
            ),
            message=r.message,
        )
        for r in diagnostic.related
    ]
    message = diagnostic.message + (f"\nhelp: {diagnostic.help}" if diagnostic.help else "")
    return types.Diagnostic(
        range=_range(ls, diagnostic.span.start, diagnostic.span.end, texts.document),
        message=message,
        severity=types.DiagnosticSeverity.Error,
        code=diagnostic.code,
        code_description=types.CodeDescription(href=_url(diagnostic.code)),
        source=SOURCE,
        related_information=related or None,
    )


def code_actions(ls: BqlintServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    """Offer, for each finding in the requested range, its fix and a suppression comment.

    Each action edits only what it changes (the fix's own edits, the noqa row), and the
    text is split, tokenized and parsed once per request, not once per finding.
    """
    uri = params.text_document.uri
    checked = ls.results.get(uri)
    if checked is not None and checked.text != ls.workspace.get_text_document(uri).source:
        publish(ls, uri)  # changed since it was checked: the actions are for the text shown
        checked = ls.results.get(uri)
    if checked is None:
        return []
    first, last = params.range.start.line + 1, params.range.end.line + 1
    chosen = [
        d
        for d in checked.diagnostics
        if first <= d.span.start.row <= last and d.code not in NOT_ANALYSED_CODES
    ]
    texts = Texts(checked.text)
    analysed = strip_bom(checked.text)  # the text positions and edits refer to
    starts = offsets(analysed)
    noqa = _noqa_edits(analysed, texts.document, [d for d in chosen if d.code != "BQL100"])
    actions: list[types.CodeAction] = []
    for diagnostic in chosen:
        lsp = to_lsp(ls, diagnostic, texts, checked.virtual)
        fix = diagnostic.fix
        # Edits that do not fit the text (a damaged cache entry) are not offered.
        if fix is not None and edits_fit(starts, analysed, fix.edits):
            preferred = is_applicable(diagnostic, unsafe=False)
            title = fix.message + ("" if preferred else " (unsafe)")
            actions.append(_action(ls, title, uri, fix.edits, texts.document, lsp, preferred))
        edit = noqa.get(id(diagnostic))
        if edit is not None:
            title = f"Suppress {diagnostic.code} on this line"
            actions.append(_action(ls, title, uri, (edit,), texts.document, lsp, False))
    return actions


def _noqa_edits(text: str, rows: list[str], diagnostics: list[Diagnostic]) -> dict[int, Edit]:
    """Return, by id of each diagnostic, the edit that suppresses it on its noqa row, for those
    whose suppressed text still parses (checked for all of them at once: a comment on one
    row changes no other; only when that fails, one by one)."""
    if not diagnostics:
        return {}
    suppressions = parse_suppressions(text)
    edits = {id(d): e for d in diagnostics if (e := noqa_edit(rows, suppressions, d)) is not None}
    try:
        add_noqa(text, diagnostics)
        return edits
    except UnparsableFix:
        pass
    kept: dict[int, Edit] = {}
    for diagnostic in diagnostics:
        try:
            add_noqa(text, [diagnostic])
        except UnparsableFix:
            continue
        if id(diagnostic) in edits:
            kept[id(diagnostic)] = edits[id(diagnostic)]
    return kept


def _action(
    ls: BqlintServer,
    title: str,
    uri: str,
    edits: Sequence[Edit],
    rows: list[str],
    diagnostic: types.Diagnostic,
    preferred: bool,
) -> types.CodeAction:
    """Return a quick fix that makes `edits` (positions in the document's `rows`)."""
    text_edits = [types.TextEdit(range=_range(ls, e.start, e.end, rows), new_text=e.content) for e in edits]
    return types.CodeAction(
        title=title,
        kind=types.CodeActionKind.QuickFix,
        diagnostics=[diagnostic],
        is_preferred=preferred or None,
        edit=types.WorkspaceEdit(changes={uri: text_edits}),
    )


def _range(ls: BqlintServer, start: Position, end: Position, lines: list[str] | None) -> types.Range:
    lines = lines or []
    return types.Range(_position(ls, start, lines), _position(ls, end, lines))


def _position(ls: BqlintServer, position: Position, lines: list[str]) -> types.Position:
    """Convert a 1-based (row, character column) to LSP's 0-based line and code units."""
    line, column = position.row - 1, position.column - 1
    if 0 <= line < len(lines):
        lead = lines.lead if line == 0 and isinstance(lines, DocumentRows) else ""
        column = code_units(lead + lines[line][:column], ls.encoding)
    return types.Position(line=max(line, 0), character=max(column, 0))


def file_uri(path: Path) -> str:
    """Return the `file:` URI of an absolute path; a name's bytes that are not UTF-8 are
    percent-escaped as bytes (the inverse of `file_path`)."""
    if os.name != "nt" and path.is_absolute():
        return path.as_uri()
    return from_fs_path(str(path)) or str(path)


def _url(code: str) -> str:
    from bqlint.rules import all_rules

    for rule in all_rules():
        if rule.code == code:
            return rule.url()
    return ""


class DocumentRows(list[str]):
    """The rows of an open document as analysed, and what its first row starts with that the
    analysis did not see (a byte-order mark a client kept as U+FEFF): LSP positions count it."""

    lead = ""


def strip_bom(text: str) -> str:
    """Return a document's text as Python reads it: without one leading U+FEFF (crash14 #14)."""
    return text[1:] if text.startswith("\ufeff") else text


def _lines(text: str) -> list[str]:
    """Split at Python's line breaks only (\n, \r\n, \r), as the analysis counts rows."""
    return text.replace("\r\n", "\n").replace("\r", "\n").split("\n")


def serve() -> int:
    """Run the server on standard input and output until the client exits; return the exit
    status LSP asks for."""
    server = create_server()
    server.start_io()
    return server.exit_code
