from click.testing import CliRunner

from bqlint.cli import main


def test_unparsable_file_is_reported_as_bql999(tmp_path):
    (tmp_path / "bad.py").write_text("def f(:\n")
    (tmp_path / "good.py").write_text("x = 1\n")
    result = CliRunner().invoke(main, ["check", str(tmp_path)])
    assert result.exit_code == 1
    assert "BQL999" in result.output
