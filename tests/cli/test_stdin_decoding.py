"""The same bytes give the same finding whether they are a file or standard input (crash7 #6):
a byte-order mark with a contradicting coding cookie, an unknown or non-text codec, bytes
the cookie cannot decode. The reason is CPython's own where `tokenize` says less."""

from __future__ import annotations

import json

import pytest

CASES = {
    "bom-latin-1": (b"\xef\xbb\xbf# coding: latin-1\nimport bql\nx = 1\n", "encoding problem: iso-8859-1 with BOM"),
    "bom-latin-1-line-2": (
        b"\xef\xbb\xbf#!/usr/bin/env python\n# -*- coding: Latin_1 -*-\nimport bql\n",
        "encoding problem: iso-8859-1 with BOM",
    ),
    "bom-utf8-alias": (b"\xef\xbb\xbf# vim: set fileencoding=utf8 :\nimport bql\n", "encoding problem: utf8 with BOM"),
    "bom-unknown-codec": (b"\xef\xbb\xbf# coding: foobar\nimport bql\n", "encoding problem: foobar with BOM"),
    "unknown-codec": (b"# coding: foobar\nimport bql\nx = 1\n", "unknown encoding: foobar"),
    "not-a-text-codec": (
        b"# coding: hex\nimport bql\n",
        "the coding cookie names no text encoding: 'hex' is not a text encoding; "
        "use codecs.decode() to handle arbitrary codecs",
    ),
    "invalid-utf8": (b'import bql\nx = "\xff"\n', "byte 0xff on line 2 is not valid UTF-8"),
}


def _findings(result) -> list[tuple[str, str, int, int]]:  # type: ignore[no-untyped-def]
    assert result.exit_code == 1, result.output
    return [
        (f["code"], f["message"], f["location"]["row"], f["location"]["column"]) for f in json.loads(result.stdout)
    ]


@pytest.mark.parametrize("name", sorted(CASES))
def test_a_file_and_the_same_bytes_on_stdin_give_the_same_bql998(project, invoke, name):
    data, reason = CASES[name]
    root = project({"pyproject.toml": ""})
    (root / "s.py").write_bytes(data)
    expected = [("BQL998", f"cannot decode this file: {reason}", 1, 1)]
    common = ("check", "--no-cache", "--output-format", "json")
    assert _findings(invoke(*common, "s.py")) == expected
    assert _findings(invoke(*common, "-", input=data)) == expected
    assert _findings(invoke(*common, "--stdin-filename", "s.py", input=data)) == expected


@pytest.mark.parametrize("name", [n for n in sorted(CASES) if n.startswith("bom-")])
def test_the_reason_for_a_bom_with_another_cookie_is_cpythons(name):
    data, reason = CASES[name]
    with pytest.raises(SyntaxError) as raised:
        compile(data, "s.py", "exec", dont_inherit=True)
    assert raised.value.msg == reason


def test_undecodable_stdin_is_echoed_back_unchanged_by_fix(project, invoke):
    project({"pyproject.toml": ""})
    data = CASES["bom-latin-1"][0]
    result = invoke("check", "--no-cache", "--fix", "-", input=data)
    assert result.exit_code == 1
    assert result.stdout_bytes == data


def test_standard_input_drops_one_byte_order_mark_as_python_does(project, invoke):
    # crash14 #14: what the server now does with a document keeping U+FEFF, `check -` did
    # already; a second mark is a character CPython rejects, and so does bqlint.
    project({})
    source = b"import bql\nclass D(bql.SysBusDevice):\n    def m(self):\n        self.n = 1\n"
    args = ("check", "--no-cache", "--isolated", "--output-format", "concise", "-q", "-")
    once = invoke(*args, input=b"\xef\xbb\xbf" + source)
    assert (once.exit_code, once.stdout) == (1, invoke(*args, input=source).stdout)
    assert once.stdout.startswith("-:4:9: BQL001 ")
    twice = invoke(*args, input=b"\xef\xbb\xbf\xef\xbb\xbf" + source)
    assert (twice.exit_code, twice.stdout) == (
        1,
        "-:1:1: BQL999 cannot parse this file: invalid non-printable character U+FEFF\n",
    )
