"""Every script of examples/ runs to its end, as a newcomer would run it."""

import os
import re
import runpy
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).resolve().parents[1] / "examples").glob("*.py"))


def test_the_examples_are_found():
    # The README's Quick start runs forecast_dataframe.py.
    assert "forecast_dataframe.py" in {path.name for path in EXAMPLES}


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
@pytest.mark.parametrize("argv, code", [(["--help"], 0), (["--no-such-option"], 2)])
def test_an_example_reads_its_command_line_before_it_starts(
        script, argv, code, capsys, monkeypatch, tmp_path):
    # --help describes the example without running it, and an unknown option
    # is refused by name, not ignored while the example runs for minutes.
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.argv", [str(script), *argv])
    with pytest.raises(SystemExit) as stopped:
        runpy.run_path(str(script), run_name="__main__")
    assert stopped.value.code == code
    printed = capsys.readouterr()
    summary = script.read_text().split('"""')[1].split("\n")[0]
    if code == 0:
        assert printed.out.startswith("usage:") and summary in printed.out
    else:
        assert "unrecognized arguments: --no-such-option" in printed.err
    assert not list(tmp_path.iterdir()), "the example started its work"


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=lambda path: path.name)
def test_example_runs(script, tmp_path):
    # From an empty folder, so that an example reads only what it ships with
    # (and a plot it saves lands there); without a display.
    env = {**os.environ, "MPLBACKEND": "Agg", "OMP_NUM_THREADS": "1"}
    done = subprocess.run(
        [sys.executable, str(script)], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=600,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "Traceback" not in done.stderr
    assert done.stdout.strip(), "the example printed nothing"
    if script.name == "forecast_dataframe.py":
        _check_readme_table(done.stdout)


def _check_readme_table(printed):
    """The README's CO2 table shows what forecast_dataframe.py prints."""
    readme = (Path(__file__).resolve().parents[1] / "README.md").read_text()
    table = readme[readme.index("| forecast | MAE (ppm) | MAPE (%) |"):].split("\n\n")[0]
    rows = re.findall(r"^\| ([^|]+?) \| ([\d.]+) \| ([\d.]+) \|$", table, flags=re.M)
    assert len(rows) == 5
    printed_mae = {}
    for name, mae, mape in rows:
        line = re.search(rf"^{re.escape(name)}\s+([\d.]+)\s+([\d.]+)", printed, flags=re.M)
        assert line, f"the example prints no row {name!r}"
        # To the printed rounding, give or take a last digit; an LSTM's fit
        # amplifies the last bits of rounding (another BLAS, a reordered sum)
        # by up to a few tens of percent, so its rows are held within 40 %.
        for printed_value, shown in ((line[1], mae), (line[2], mape)):
            if name.startswith("LSTM"):
                assert abs(float(printed_value) / float(shown) - 1) <= 0.4, (name, printed_value)
            else:
                assert abs(float(printed_value) - float(shown)) <= 0.002, (name, printed_value)
        printed_mae[name] = float(line[1])
    # What the table shows: both LSTMs ahead of seasonal naive and of both ridges.
    for lstm in ("LSTM direct", "LSTM recursive"):
        assert printed_mae[lstm] < min(printed_mae["Ridge direct"], printed_mae["Ridge recursive"],
                                       printed_mae["seasonal naive"]), printed_mae
