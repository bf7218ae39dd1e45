"""The install and CI recipes of the README work as written: the YAML parses, every bqlint
command in it is accepted by the real CLI parser, versions and tags agree."""

from __future__ import annotations

import importlib.metadata
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
import pytest
import yaml
from click.testing import CliRunner

import bqlint
from bqlint.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "docs" / "ci").glob("*.yml"))
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _strings(node: Any, in_command: bool = False) -> Iterator[str]:
    """Yield the shell commands of a workflow: the values of `run:` and `script:` keys."""
    if isinstance(node, str):
        if in_command:
            yield node
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _strings(value, in_command or key in ("run", "script", "before_script"))
    elif isinstance(node, list):
        for value in node:
            yield from _strings(value, in_command)


def bqlint_commands(document: Any) -> list[list[str]]:
    """Return the argument lists of every `bqlint ...` command in the YAML's strings."""
    found = []
    for text in _strings(document):
        for line in text.splitlines():
            for command in re.split(r"\$\(|\||&&|;|\)", line):
                command = command.strip()
                if command == "bqlint" or command.startswith("bqlint "):
                    found.append(shlex.split(command)[1:])
    return found


def parse_with_the_cli(args: list[str]) -> None:
    """Parse `args` as the real CLI would (types, choices, unknown options), without running."""
    if args in (["--version"], ["--help"]):
        return
    name, *rest = args
    command = main.get_command(click.Context(main), name)
    if command is None:
        raise click.UsageError(f"no subcommand {name!r}")
    command.make_context(name, rest)


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_ci_example_parses_and_uses_real_options(path: Path):
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    commands = bqlint_commands(document)
    assert commands, f"{path.name} runs no bqlint command"
    for args in commands:
        parse_with_the_cli(args)


def test_the_examples_cover_github_annotations_sarif_cache_and_gitlab():
    github = yaml.safe_load((ROOT / "docs" / "ci" / "github-actions.yml").read_text())
    steps = github["jobs"]["bqlint"]["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]
    assert {"actions/cache", "github/codeql-action/upload-sarif"} <= set(uses)
    formats = [args[args.index("--output-format") + 1] for args in bqlint_commands(github) if "--output-format" in args]
    assert sorted(formats) == ["github", "sarif"]
    gitlab = yaml.safe_load((ROOT / "docs" / "ci" / "gitlab-ci.yml").read_text())
    job = gitlab["bqlint"]
    assert job["artifacts"]["reports"]["codequality"] == "gl-code-quality-report.json"
    assert ["check", "--output-format", "gitlab", "--output-file", "gl-code-quality-report.json", "."] in (
        bqlint_commands(gitlab)
    )


def test_a_made_up_option_is_caught():
    with pytest.raises(click.UsageError):
        parse_with_the_cli(["check", "--output-format", "gitlab-ci"])
    with pytest.raises(click.UsageError):
        parse_with_the_cli(["check", "--no-such-option"])


@pytest.mark.parametrize("path", EXAMPLES, ids=[p.name for p in EXAMPLES])
def test_readme_shows_the_examples_as_committed(path: Path):
    assert path.read_text(encoding="utf-8").rstrip("\n") in README


def test_readme_pins_the_current_version_everywhere():
    version = bqlint.__version__
    assert re.findall(r"rev: (v[\d.]+)", README) == [f"v{version}"]
    assert f"git+https://github.com/qemu-bqlint/bqlint@v{version}" in README
    for path in EXAMPLES:
        pins = re.findall(r"qemu-bqlint==([\d.]+)|bqlint-([\d.]+)", path.read_text())
        assert pins and all(version in pin for pin in pins), path.name


def test_version_option_matches_the_distribution_metadata():
    result = CliRunner().invoke(main, ["--version"])
    assert result.stdout == f"bqlint, version {bqlint.__version__}\n"
    assert importlib.metadata.version("qemu-bqlint") == bqlint.__version__


def test_readme_bqlint_commands_use_real_options():
    commands, fenced = [], False
    for line in README.splitlines():
        if line.startswith("```"):
            fenced = not fenced
        elif fenced and line.startswith("bqlint ") and "[PATHS]" not in line:
            commands.append(shlex.split(line.split("#")[0])[1:])
    assert len(commands) >= 8
    for args in commands:
        parse_with_the_cli(args)


def test_readme_pre_commit_snippet_names_the_hook_this_repository_defines():
    hooks = yaml.safe_load((ROOT / ".pre-commit-hooks.yaml").read_text())
    snippet = re.search(r"```yaml\n(repos:.*?)```", README, flags=re.S)
    assert snippet is not None
    (repo,) = yaml.safe_load(snippet.group(1))["repos"]
    assert repo["repo"] == bqlint.REPOSITORY_URL
    assert [hook["id"] for hook in repo["hooks"]] == [hook["id"] for hook in hooks] == ["bqlint"]
