from __future__ import annotations

from pathlib import Path

import pytest

from bqlint.config import ConfigError, load_settings
from tests.cli.conftest import BROKEN


def test_pyproject_table_is_found_and_applied(project, invoke):
    project({"pyproject.toml": '[tool.bqlint]\nignore = ["BQL999"]\n', "bad.py": BROKEN})
    assert invoke("check").exit_code == 0


def test_config_is_found_walking_up_from_the_checked_path(project, invoke):
    project({"bqlint.toml": 'ignore = ["BQL999"]\n', "pkg/sub/bad.py": BROKEN})
    assert invoke("check", "pkg/sub/bad.py").exit_code == 0
    assert invoke("check", "pkg").exit_code == 0


def test_bqlint_toml_wins_over_pyproject_in_the_same_directory(project, invoke):
    project(
        {
            "bqlint.toml": 'ignore = ["BQL999"]\n',
            "pyproject.toml": '[tool.bqlint]\nselect = ["BQL999"]\n',
            "bad.py": BROKEN,
        }
    )
    assert invoke("check").exit_code == 0


def test_pyproject_without_bqlint_table_is_skipped(project, invoke):
    project(
        {
            "bqlint.toml": 'ignore = ["BQL999"]\n',
            "sub/pyproject.toml": "[project]\nname = 'x'\n",
            "sub/bad.py": BROKEN,
        }
    )
    assert invoke("check", "sub").exit_code == 0


def test_config_option_names_the_file(project, invoke):
    project({"other.toml": 'ignore = ["BQL999"]\n', "bad.py": BROKEN})
    assert invoke("check", "--config", "other.toml").exit_code == 0
    assert invoke("check").exit_code == 1


def test_missing_config_file_exits_2(project, invoke):
    project({"a.py": "x = 1\n"})
    result = invoke("check", "--config", "nope.toml")
    assert result.exit_code == 2
    assert "nope.toml" in result.stderr


def test_command_line_select_replaces_config_select(project, invoke):
    project({"pyproject.toml": '[tool.bqlint]\nselect = ["BQL001"]\n', "bad.py": BROKEN})
    assert invoke("check").exit_code == 0
    assert invoke("check", "--select", "BQL999").exit_code == 1
    assert invoke("check", "--extend-select", "BQL999").exit_code == 1


def test_per_file_ignores_apply_by_glob(project, invoke):
    project(
        {
            "pyproject.toml": '[tool.bqlint.per-file-ignores]\n"gen/*.py" = ["BQL999"]\n',
            "gen/bad.py": BROKEN,
            "src/bad.py": BROKEN,
        }
    )
    result = invoke("check", "--output-format", "concise")
    assert result.exit_code == 1
    assert "src/bad.py" in result.stdout
    assert "gen/bad.py" not in result.stdout


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ('colour = "red"', "colour"),
        ('select = "BQL002"', "select"),
        ('select = ["BQL777"]', "select"),
        ("select = []", "select"),
        ('ignore = ["E501"]', "ignore"),
        ("ignore = [1]", "ignore"),
        ('extend-select = ["nope"]', "extend-select"),
        ('exclude = "build"', "exclude"),
        ("extend-exclude = [true]", "extend-exclude"),
        ('device-bases = ["not a name"]', "device-bases"),
        ('cell-types = "pkg.Cell"', "cell-types"),
        ('unlock-points = ["pkg..run"]', "unlock-points"),
        ('init-methods = ["pkg.setup"]', "init-methods"),
        ('per-file-ignores = ["x"]', "per-file-ignores"),
        ('per-file-ignores = {"a.py" = ["BQL0000"]}', "per-file-ignores.a.py"),
        ('per-file-ignores = {"a.py" = "BQL001"}', "per-file-ignores.a.py"),
    ],
)
def test_every_config_mistake_exits_2_naming_file_and_key(project, invoke, table, key):
    root = project({"pyproject.toml": f"[tool.bqlint]\n{table}\n", "a.py": "x = 1\n"})
    result = invoke("check")
    assert result.exit_code == 2
    assert str(root / "pyproject.toml") in result.stderr
    assert f"`{key}`" in result.stderr
    assert "Traceback" not in result.output


def test_invalid_toml_exits_2_naming_the_file(project, invoke):
    root = project({"bqlint.toml": "select = [\n", "a.py": "x = 1\n"})
    result = invoke("check")
    assert result.exit_code == 2
    assert f"{root / 'bqlint.toml'}:1:11: invalid TOML" in result.stderr


def test_tool_bqlint_must_be_a_table(project, invoke):
    project({"pyproject.toml": '[tool]\nbqlint = "yes"\n', "a.py": "x = 1\n"})
    assert invoke("check").exit_code == 2


def test_semantic_keys_reach_the_settings(project):
    root = project(
        {
            "bqlint.toml": """
device-bases = ["socfw.peripheral.Peripheral"]
cell-types = ["socfw.cells.Register"]
unlock-points = ["qemu_host.run_on_cpu"]
init-methods = ["setup"]
exclude = ["gen"]
extend-exclude = ["vendor/"]
""",
        }
    )
    settings = load_settings(root)
    assert settings.root == root.resolve()
    assert settings.config_path == (root / "bqlint.toml").resolve()
    assert settings.device_bases == ("socfw.peripheral.Peripheral",)
    assert settings.cell_types == ("socfw.cells.Register",)
    assert settings.unlock_points == ("qemu_host.run_on_cpu",)
    assert settings.init_methods == ("setup",)
    assert settings.exclude == ("gen",)
    assert settings.extend_exclude == ("vendor/",)


def test_defaults_without_a_config_file(tmp_path: Path):
    settings = load_settings(tmp_path)
    assert settings.config_path is None
    assert settings.root == tmp_path.resolve()
    assert ".venv" in settings.exclude
    assert settings.is_enabled("BQL002", tmp_path / "a.py")


def test_prefixes_expand_against_the_registry(tmp_path: Path):
    (tmp_path / "bqlint.toml").write_text('select = ["BQL00"]\nignore = ["BQL002"]\n')
    settings = load_settings(tmp_path)
    assert settings.is_enabled("BQL001", tmp_path / "a.py")
    assert not settings.is_enabled("BQL002", tmp_path / "a.py")
    assert not settings.is_enabled("BQL999", tmp_path / "a.py")


def test_config_error_is_one_exception_type(tmp_path: Path):
    (tmp_path / "bqlint.toml").write_text("nope = 1\n")
    with pytest.raises(ConfigError, match="unknown key `nope`"):
        load_settings(tmp_path)
