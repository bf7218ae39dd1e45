"""`bqlint clean` removes only what bqlint wrote (crash7 #2): never another tool's files in
the cache folder, never through a symbolic link, never a folder bqlint did not create.
`check` follows a `.bqlint_cache` link as ruff does, taking over only an empty target."""

from __future__ import annotations

import os
from pathlib import Path

from bqlint import cache as cache_module
from bqlint.cache_folder import ADOPTED_TAG, CREATED_TAG

DEVICE = "import bql\n\n\nclass D(bql.Device):\n    def m(self):\n        self.x = 1\n"


def _tree(folder: Path) -> dict[str, bytes | None]:
    """Every entry under `folder` (links not followed): file contents, None for folders/links."""
    found: dict[str, bytes | None] = {}
    for path in sorted(folder.rglob("*")):
        name = str(path.relative_to(folder))
        found[name] = path.read_bytes() if path.is_file() and not path.is_symlink() else None
    return found


def test_a_linked_cache_is_used_and_clean_keeps_the_link_the_target_and_its_other_files(
    project, invoke, tmp_path
):
    root = project({"pyproject.toml": "", "dev.py": DEVICE})
    shared = tmp_path / "shared"
    shared.mkdir()
    (root / ".bqlint_cache").symlink_to("../shared")
    result = invoke("check", "--jobs", "1", "dev.py")
    assert (result.exit_code, result.stderr) == (1, "")
    assert (shared / "CACHEDIR.TAG").read_text() == ADOPTED_TAG  # taken over, not made
    assert list(shared.glob("*/facts.json"))
    (shared / "report.html").write_text("other tool output\n")
    (shared / "photos").mkdir()
    (shared / "photos" / "a.jpg").write_text("x\n")

    cleaned = invoke("clean")
    assert cleaned.exit_code == 0
    assert cleaned.stderr == (
        f"Removed the bqlint cache in {root / '.bqlint_cache'}; kept the link (to ../shared) and "
        "the folder it points to; left 2 entries that bqlint did not write: photos, report.html\n"
    )
    assert os.readlink(root / ".bqlint_cache") == "../shared"
    assert _tree(shared) == {"photos": None, "photos/a.jpg": b"x\n", "report.html": b"other tool output\n"}
    # No longer a bqlint cache, and it holds other files: the next run does not take it over.
    again = invoke("check", "--jobs", "1", "dev.py")
    assert again.stderr == (
        f"warning: {root / '.bqlint_cache'} is not a bqlint cache (no CACHEDIR.TAG) and holds other "
        "files; the cache was not written (remove the folder, or set cache-dir)\n"
    )
    assert _tree(shared) == {"photos": None, "photos/a.jpg": b"x\n", "report.html": b"other tool output\n"}


def test_a_linked_cache_whose_target_is_then_empty_keeps_the_link_and_the_folder(project, invoke, tmp_path):
    root = project({"pyproject.toml": "", "dev.py": DEVICE})
    (tmp_path / "shared").mkdir()
    (root / ".bqlint_cache").symlink_to(tmp_path / "shared")
    invoke("check", "--jobs", "1", "-q", "dev.py")
    cleaned = invoke("clean")
    assert (cleaned.exit_code, cleaned.stderr) == (
        0,
        f"Removed the bqlint cache in {root / '.bqlint_cache'}; kept the link (to {tmp_path / 'shared'}) "
        "and the folder it points to\n",
    )
    assert (root / ".bqlint_cache").is_symlink()
    assert list((tmp_path / "shared").iterdir()) == []


def test_an_existing_cache_dir_keeps_its_other_files_and_the_folder(project, invoke):
    root = project({"pyproject.toml": '[tool.bqlint]\ncache-dir = "build"\n', "dev.py": DEVICE})
    (root / "build").mkdir()
    invoke("check", "--jobs", "1", "-q", "dev.py")
    assert (root / "build" / "CACHEDIR.TAG").read_text() == ADOPTED_TAG
    (root / "build" / "firmware.bin").write_bytes(b"\x7fELF")
    cleaned = invoke("clean")
    assert (cleaned.exit_code, cleaned.stderr) == (
        0,
        f"Removed the bqlint cache in {root / 'build'}; kept the folder, which bqlint did not create; "
        "left 1 entry that bqlint did not write: firmware.bin\n",
    )
    assert _tree(root / "build") == {"firmware.bin": b"\x7fELF"}


def test_an_existing_empty_cache_dir_is_emptied_not_removed(project, invoke):
    root = project({"pyproject.toml": '[tool.bqlint]\ncache-dir = "build"\n', "dev.py": DEVICE})
    (root / "build").mkdir()
    invoke("check", "--jobs", "1", "-q", "dev.py")
    cleaned = invoke("clean")
    assert (cleaned.exit_code, cleaned.stderr) == (
        0,
        f"Removed the bqlint cache in {root / 'build'}; kept the folder, which bqlint did not create\n",
    )
    assert (root / "build").is_dir() and list((root / "build").iterdir()) == []


def test_a_folder_bqlint_made_is_removed_only_when_nothing_else_is_in_it(project, invoke):
    root = project({"pyproject.toml": "", "dev.py": DEVICE})
    invoke("check", "--jobs", "1", "-q", "dev.py")
    directory = root / ".bqlint_cache"
    assert (directory / "CACHEDIR.TAG").read_text() == CREATED_TAG
    [build] = [p for p in directory.iterdir() if p.is_dir()]
    (directory / "notes.txt").write_text("mine\n")
    (build / "results" / "extra.txt").write_text("also mine\n")
    cleaned = invoke("clean")
    assert (cleaned.exit_code, cleaned.stderr) == (
        0,
        f"Removed the bqlint cache in {directory}; kept the folder; left 2 entries that bqlint did not "
        f"write: {build.name}/results/extra.txt, notes.txt\n",
    )
    assert _tree(directory) == {
        "notes.txt": b"mine\n",
        build.name: None,
        f"{build.name}/results": None,
        f"{build.name}/results/extra.txt": b"also mine\n",
    }
    # Its tag went with the rest: bqlint no longer claims the folder, so a later run that
    # finds it empty takes it over as a folder that existed.
    (directory / "notes.txt").unlink()
    (build / "results" / "extra.txt").unlink()
    invoke("check", "--jobs", "1", "-q", "dev.py")
    assert (directory / "CACHEDIR.TAG").read_text() == ADOPTED_TAG


def test_links_inside_the_cache_are_removed_never_followed(project, invoke, tmp_path):
    root = project({"pyproject.toml": "", "dev.py": DEVICE})
    invoke("check", "--jobs", "1", "-q", "dev.py")
    directory = root / ".bqlint_cache"
    [build] = [p for p in directory.iterdir() if p.is_dir()]
    outside = tmp_path / "outside"
    (outside / "results" / "ab").mkdir(parents=True)
    (outside / "facts.json").write_text("{}\n")
    (outside / "results" / "ab" / ("ab" * 32 + ".json")).write_text("[]\n")
    before = _tree(outside)
    (directory / "0.0.9-0123456789abcdef").symlink_to(outside)  # named like a build folder
    (build / "results" / "cd").symlink_to(outside / "results" / "ab")  # named like a bucket
    cleaned = invoke("clean")
    assert cleaned.exit_code == 0
    assert cleaned.stderr == (
        f"Removed the bqlint cache in {directory}; kept the folder; left 2 entries that bqlint did not "
        f"write: 0.0.9-0123456789abcdef, {build.name}/results/cd\n"
    )
    assert _tree(outside) == before
    assert (directory / "0.0.9-0123456789abcdef").is_symlink() and (build / "results" / "cd").is_symlink()


def test_pruning_never_deletes_another_files_json(tmp_path):
    directory = tmp_path / "cache"
    build = directory / "0.1.0-0123456789abcdef"
    (build / "results" / "00").mkdir(parents=True)
    ours = build / "results" / "00" / ("0" * 64 + ".json")
    ours.write_bytes(b"x" * 4000)
    os.utime(ours, (2000, 2000))
    foreign = [directory / "report.json", build / "notes.json", build / "results" / "00" / "other.json"]
    for path in foreign:
        path.write_bytes(b"y" * 4000)
        os.utime(path, (1000, 1000))  # older than bqlint's entry: pruned first if it counted
    cache_module.prune(directory, 1000)
    assert not ours.exists()
    assert all(path.read_bytes() == b"y" * 4000 for path in foreign)


def test_a_clean_that_fails_half_way_says_what_it_removed(project, invoke, monkeypatch):
    root = project({"pyproject.toml": "", "dev.py": DEVICE})
    invoke("check", "--jobs", "1", "-q", "dev.py")
    directory = root / ".bqlint_cache"
    real_unlink = os.unlink
    calls: list[str] = []

    def unlink_once(path, *args, **kwargs):  # the first file goes, then the disk turns read-only
        calls.append(str(path))
        if len(calls) > 1:
            raise OSError(30, "Read-only file system", str(path))
        return real_unlink(path, *args, **kwargs)

    with monkeypatch.context() as patched:
        patched.setattr(os, "unlink", unlink_once)
        result = invoke("clean")
    assert result.exit_code == 2
    assert result.stderr == (
        f"error: cannot remove all of the cache {directory}: Read-only file system; "
        "1 of its files was removed, the rest is still there\n"
    )
    assert cache_module.is_cache_directory(directory)  # the tag goes last: the next clean finishes
    assert invoke("clean").stderr == f"Removed {directory}\n"
    assert not directory.exists()
