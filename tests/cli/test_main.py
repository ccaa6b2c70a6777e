"""The command line: every command explains itself with an example; errors are one clear line."""

import argparse
import subprocess
import sys

import pytest

from vistakit.cli import build_parser, main


def _subcommands(parser, prefix=()):
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                yield prefix + (name,), sub
                yield from _subcommands(sub, prefix + (name,))


def test_every_command_has_help_with_an_example():
    parser = build_parser()
    assert "example" in parser.format_help()
    commands = list(_subcommands(parser))
    assert len(commands) >= 5
    for path, sub in commands:
        assert "example" in sub.format_help(), f"`vistakit {' '.join(path)} --help` shows no example"


def test_python_dash_m_and_version():
    out = subprocess.run([sys.executable, "-m", "vistakit", "--version"], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.startswith("vistakit ")


def test_unknown_model_is_a_clear_error(capsys):
    assert main(["models", "info", "resnet_18x"]) == 2
    err = capsys.readouterr().err
    assert "unknown model 'resnet_18x'" in err and "Traceback" not in err


@pytest.mark.needs_data
@pytest.mark.slow
def test_demo_runs(tmp_path, capsys):
    from pathlib import Path

    from vistakit.data import locate  # noqa: F401  (the demo needs Fashion-MNIST on disk)

    if not Path("/usr/share/datasets/fashion-mnist").is_dir():
        pytest.skip("Fashion-MNIST (Debian package dataset-fashion-mnist) is not installed")
    assert main(["demo", "--out", str(tmp_path), "--epochs", "1", "--quick"]) == 0
    captured = capsys.readouterr()
    out = captured.out
    assert "cross-entropy" in out and "demo finished" in out
    # a story of a few dozen lines: the steps, one epoch line of the training, the reports and tables;
    # the comparisons' runs train silently under one progress bar each (on stderr)
    assert [line[:6] for line in out.splitlines() if line.startswith("== ")] == [f"== {k}/5" for k in range(1, 6)]
    assert len(out.splitlines()) < 70, out
    assert [line for line in out.splitlines() if line.startswith("epoch ")] == [
        line for line in out.splitlines() if line.startswith("epoch 1/1 ")
    ]
    assert "phase" not in out + captured.err and captured.err.count("comparison:") >= 2
    assert "| from scratch |" in out and "macro avg" in out
    assert (tmp_path / "fashion-mnist-grid.png").stat().st_size > 1000
    assert (tmp_path / "fashion-mnist-fast" / "report.html").is_file()
    assert (tmp_path / "fashion-mnist-fast" / "summary.json").is_file()
