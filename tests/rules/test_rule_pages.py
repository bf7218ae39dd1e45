"""docs/rules/ is generated from the rule docstrings and in sync; every `url` points at a page."""

from __future__ import annotations

import json

from click.testing import CliRunner

from bqlint import REPOSITORY_URL
from bqlint.cli import main
from bqlint.rule_docs import DOCS, expected_pages
from bqlint.rules import all_rules


def test_rule_pages_are_in_sync_with_the_docstrings():
    expected = expected_pages()
    on_disk = {path.name: path.read_text(encoding="utf-8") for path in DOCS.glob("*.md")}
    stale = sorted(name for name in expected if on_disk.get(name) != expected[name])
    extra = sorted(set(on_disk) - set(expected))
    assert (stale, extra) == ([], []), "run `python -m bqlint.rule_docs` and commit docs/rules/"


def test_every_rule_url_points_at_its_page_in_the_repository():
    for rule in all_rules():
        assert rule.url() == f"{REPOSITORY_URL}/blob/main/docs/rules/{rule.code}.md"
        page = DOCS / f"{rule.code}.md"
        assert page.is_file()
        assert page.read_text(encoding="utf-8").splitlines()[1] == f"# {rule.code} {rule.name}"


def test_rules_json_lists_the_page_urls():
    rows = json.loads(CliRunner().invoke(main, ["rules", "--output-format", "json"]).stdout)
    assert [row["url"] for row in rows] == [rule.url() for rule in all_rules()]
