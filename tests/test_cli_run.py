import json

from typer.testing import CliRunner

from mtagbench.cli import app
from tests import tiny  # noqa: F401  (registers the test model and dataset)

runner = CliRunner()


def invoke(*args: str):
    from mtagbench.cli import main  # noqa: F401

    return runner.invoke(app, list(args), catch_exceptions=False, standalone_mode=True)


def run_cli(*args: str):
    """Run through ``main`` so that user errors become exit code 2 without a traceback."""
    import sys

    from mtagbench.cli import main

    old_argv = sys.argv
    sys.argv = ["mtagbench", *args]
    try:
        main()
    except SystemExit as exit_:
        return exit_.code
    finally:
        sys.argv = old_argv
    return 0


def test_run_trains_and_writes_folder(tmp_path):
    result = invoke(
        "run", "test-meanpool", "--dataset", "tiny", "--epochs", "2", "--batch-size", "8",
        "--device", "cpu", "--out", str(tmp_path / "run"), "--hidden", "4",
    )
    assert result.exit_code == 0, result.output
    assert "test" in result.output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["options"]["hidden"] == 4
    assert config["command"][:3] == ["mtagbench", "run", "test-meanpool"] or config["command"][0] == "mtagbench"
    assert json.loads((tmp_path / "run" / "results.json").read_text())["complete"] is True


def test_run_reader_option_reaches_reader(tmp_path):
    result = invoke(
        "run", "test-meanpool", "--dataset", "tiny", "--epochs", "1", "--device", "cpu",
        "--out", str(tmp_path / "run"), "--seed", "1", "--hidden", "4",
    )
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "run" / "config.json").read_text())
    assert config["dataset"]["options"] == {}


def test_unknown_model_exits_2(capsys):
    assert run_cli("run", "no-such-model", "--dataset", "tiny") == 2
    error = capsys.readouterr().err
    assert "unknown model 'no-such-model'" in error
    assert "Traceback" not in error


def test_unknown_option_exits_2(capsys, tmp_path):
    code = run_cli("run", "test-meanpool", "--dataset", "tiny", "--hiden", "4", "--out", str(tmp_path / "r"))
    assert code == 2
    error = capsys.readouterr().err
    assert "--hiden" in error
    assert "--hidden" in error


def test_invalid_option_value_exits_2(capsys, tmp_path):
    code = run_cli("run", "test-meanpool", "--dataset", "tiny", "--hidden", "four", "--out", str(tmp_path / "r"))
    assert code == 2
    assert "invalid value 'four'" in capsys.readouterr().err


def test_unknown_modality_exits_2(capsys, tmp_path):
    code = run_cli("run", "test-meanpool", "--dataset", "tiny", "--modalities", "text,smell", "--out", str(tmp_path / "r"))
    assert code == 2
    assert "smell" in capsys.readouterr().err


def test_models_lists_registered(capsys):
    assert run_cli("models") == 0
    assert "test-meanpool" in capsys.readouterr().out


def test_model_options_listed(capsys):
    assert run_cli("models", "test-meanpool") == 0
    output = capsys.readouterr().out
    assert "--hidden" in output
    assert "--dropout" in output


def test_recommended_setting_applied(tmp_path):
    result = invoke("run", "test-meanpool", "--dataset", "tiny-recommended", "--device", "cpu", "--out", str(tmp_path / "r"))
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["training"]["epochs"] == 2
    assert config["options"]["hidden"] == 5


def test_user_options_override_recommended(tmp_path):
    result = invoke(
        "run", "test-meanpool", "--dataset", "tiny-recommended", "--device", "cpu",
        "--out", str(tmp_path / "r"), "--epochs", "1", "--hidden", "3",
    )
    assert result.exit_code == 0, result.output
    config = json.loads((tmp_path / "r" / "config.json").read_text())
    assert config["training"]["epochs"] == 1
    assert config["options"]["hidden"] == 3


def test_misspelt_training_option_suggested(capsys, tmp_path):
    assert run_cli("run", "test-meanpool", "--dataset", "tiny", "--epoch", "2", "--out", str(tmp_path / "r")) == 2
    assert "Did you mean --epochs?" in " ".join(capsys.readouterr().err.split())


def test_repeated_modality_rejected(capsys, tmp_path):
    assert run_cli("run", "test-meanpool", "--dataset", "tiny", "--modalities", "text,text", "--out", str(tmp_path / "r")) == 2
    assert "more than once" in capsys.readouterr().err


def test_empty_modalities_rejected(capsys, tmp_path):
    assert run_cli("run", "test-meanpool", "--dataset", "tiny", "--modalities", "", "--out", str(tmp_path / "r")) == 2
    assert "invalid modalities []" in capsys.readouterr().err


def test_error_keeps_square_brackets(capsys):
    from mtagbench.errors import DataError

    def fail():
        raise DataError("sample 'WKA5OygbEKI[0]': label [nan] is not finite")

    import mtagbench.cli as cli

    original = cli.app
    cli.app = fail
    try:
        assert run_cli("models") == 2
    finally:
        cli.app = original
    assert "WKA5OygbEKI[0]" in capsys.readouterr().err
