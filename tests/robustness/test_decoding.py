"""Files are decoded exactly as Python decodes source (PEP 263 cookie, byte-order mark, UTF-8
default); what Python cannot decode is BQL998, never silently clean. The encoding is kept on
the SourceFile so that a fix can write the file back as it was stored."""

from __future__ import annotations

from pathlib import Path

import pytest

from bqlint.engine import _module
from bqlint.reading import DecodedSource, UnreadableSource, decode_source
from tests.robustness.conftest import DEVICE, messages, rows


def _write(tmp_path: Path, name: str, data: bytes) -> None:
    (tmp_path / name).write_bytes(data)


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"import bql\nx = '\xff'\n", "byte 0xff on line 2 is not valid UTF-8"),
        (b"x = '\xe9'  # bql\n", "byte 0xe9 on line 1 is not valid UTF-8"),
        (b"# bql\n\n\nx = '\xe9'\n", "byte 0xe9 on line 4 is not valid UTF-8"),
        (b"\xef\xbb\xbf# coding: latin-1\nimport bql\n", "encoding problem: iso-8859-1 with BOM"),
        (b"# coding: no-such-codec\nimport bql\n", "unknown encoding: no-such-codec"),
        (b"# coding: ascii\nx = 'caf\xc3\xa9'\n", "byte 0xc3 on line 2 is not valid ascii"),
        (
            b"# coding: hex\nimport bql\n",
            "the coding cookie names no text encoding: 'hex' is not a text encoding; "
            "use codecs.decode() to handle arbitrary codecs",
        ),
    ],
    ids=["invalid-byte-in-string", "invalid-byte-line-1", "cookie-too-late", "bom-contradicts-cookie",
         "unknown-codec", "cookie-contradicts-bytes", "not-a-text-codec"],
)
def test_undecodable_file_is_bql998_and_others_still_checked(tmp_path: Path, check, data, reason) -> None:
    _write(tmp_path, "bad.py", data)
    (tmp_path / "dev.py").write_text(DEVICE)
    report = check("bad.py", "dev.py")
    assert rows(report) == [("bad.py", "BQL998", 1, 1), ("dev.py", "BQL002", 12, 13)]
    assert messages(report)["bad.py"] == f"cannot decode this file: {reason}"


def test_python_rejects_what_bql998_reports() -> None:
    for data in (b"x = '\xff'\n", b"\xef\xbb\xbf# coding: latin-1\n", b"# coding: ascii\nx = '\xc3\xa9'\n"):
        with pytest.raises(SyntaxError):
            compile(data, "f.py", "exec", dont_inherit=True)
        with pytest.raises(UnreadableSource):
            decode_source(data)


def test_latin1_cookie_is_decoded_and_analysed(tmp_path: Path, check) -> None:
    text = "# -*- coding: latin-1 -*-\n" + DEVICE.replace("y = x", "y = 'é'")
    _write(tmp_path, "dev.py", text.encode("latin-1"))
    assert rows(check("dev.py")) == [("dev.py", "BQL002", 13, 13)]


def test_encoding_and_bom_are_kept_for_writing_back(tmp_path: Path) -> None:
    assert decode_source("# coding: latin-1\nx = 'é'\n".encode("latin-1")) == DecodedSource(
        "# coding: latin-1\nx = 'é'\n", "iso-8859-1", False
    )
    assert decode_source(b"\xef\xbb\xbfx = 1\r\n") == DecodedSource("x = 1\r\n", "utf-8-sig", True)
    assert decode_source(b"x = 1\n") == DecodedSource("x = 1\n", "utf-8", False)
    path = tmp_path / "bom.py"
    data = b"\xef\xbb\xbfimport bql\r\nx = 1\r\n"
    decoded = decode_source(data)
    module = _module(path, decoded)
    assert (module.source.encoding, module.source.bom) == ("utf-8-sig", True)
    assert module.source.text.encode(module.source.encoding) == data


def test_bom_file_with_a_finding_is_reported_at_the_right_column(tmp_path: Path, check) -> None:
    _write(tmp_path, "dev.py", b"\xef\xbb\xbf" + DEVICE.encode())
    assert rows(check("dev.py")) == [("dev.py", "BQL002", 12, 13)]


def test_code_frame_of_a_related_location_in_a_latin1_file_is_decoded(tmp_path: Path, cli) -> None:
    helper = "# -*- coding: latin-1 -*-\nimport bql\n\n\ndef slow():\n    bql.unlock()  # é\n"
    _write(tmp_path, "b.py", helper.encode("latin-1"))
    device = DEVICE.replace("import bql\n", "import bql\nfrom b import slow\n", 1)
    device = device.replace("bql.unlock()", "slow()")
    (tmp_path / "a.py").write_text(device)
    result = cli("a.py")
    assert result.exit_code == 1
    assert "6 |     bql.unlock()  # é" in result.stdout


def test_standard_input_is_decoded_as_python_decodes_source(tmp_path: Path) -> None:
    import subprocess
    import sys

    (tmp_path / "pyproject.toml").write_text("[tool.bqlint]\n")
    command = [sys.executable, "-m", "bqlint", "check", "--no-cache", "--output-format", "concise"]

    def check(data: bytes, *args: str) -> tuple[int, str]:
        done = subprocess.run([*command, *args], input=data, cwd=tmp_path, capture_output=True)
        return done.returncode, done.stdout.decode()

    code, out = check(b'import bql\nx = "\xff"\n', "-")
    assert code == 1
    assert out.splitlines()[0] == "-:1:1: BQL998 cannot decode this file: byte 0xff on line 2 is not valid UTF-8"
    latin1 = b'# -*- coding: latin-1 -*-\nimport bql\nx = "\xe9"\n'
    assert check(latin1, "--stdin-filename", "s.py") == (0, "All checks passed!\n")
