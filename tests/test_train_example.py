"""Runs examples/train_mlp.py briefly, as a user would, and checks what it prints."""

import importlib.util
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCRIPT = ROOT / "examples" / "train_mlp.py"
FINAL_LINE = re.compile(r"test accuracy: (\d{1,3}\.\d)%")


def run_example(cwd, *flags):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    return subprocess.run([sys.executable, str(SCRIPT), *flags], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def final_accuracy(result):
    assert result.returncode == 0, result.stderr
    last = result.stdout.strip().splitlines()[-1]
    match = FINAL_LINE.fullmatch(last)
    assert match, f"unexpected final line {last!r}"
    return float(match.group(1))


def test_two_epochs_with_defaults(tmp_path):
    plot = tmp_path / "curve.png"
    result = run_example(tmp_path, "--epochs", "2", "--plot", str(plot))
    assert final_accuracy(result) >= 85.0
    assert re.search(r"^train accuracy: \d{1,3}\.\d%$", result.stdout, re.MULTILINE)
    assert re.search(r"^wall time: \d+\.\d s", result.stdout, re.MULTILINE)
    assert plot.exists() == (importlib.util.find_spec("matplotlib") is not None)
    assert not (tmp_path / "training_curve.png").exists()


def test_flags_eager_and_other_optimizer(tmp_path):
    result = run_example(tmp_path, "--epochs", "1", "--no-jit", "--optimizer", "adamw",
                         "--activation", "tanh", "--hidden", "32", "16", "--batch-size", "128",
                         "--lr", "0.01", "--seed", "3", "--plot", "")
    assert final_accuracy(result) >= 50.0
    assert "MLP 64-32-16-10 (tanh), adamw lr 0.01, batch 128, 1 epochs, jit off" in result.stdout
    assert list(tmp_path.iterdir()) == []  # --plot '' saves nothing


@pytest.mark.parametrize("flags", [["--epochs", "0"], ["--hidden", "0"],
                                   ["--optimizer", "rmsprop"]])
def test_bad_flags_are_rejected(monkeypatch, capsys, flags):
    monkeypatch.syspath_prepend(str(SCRIPT.parent))
    spec = importlib.util.spec_from_file_location("train_mlp", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    with pytest.raises(SystemExit) as exit_info:
        module.parse_args(flags)
    assert exit_info.value.code == 2 and "error" in capsys.readouterr().err
