"""The benchmarks' and the main example's command lines refuse what they
cannot run, by argparse and before any fit: an option another one ignores,
parameters an estimator refuses, a missing optional package."""

import importlib
import re
import runpy
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def bench():
    """``bench(name)``: the module ``benchmarks/<name>.py``."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        yield importlib.import_module
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))


def _refused(main, argv, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(argv)
    assert exit_.value.code == 2  # argparse's usage error
    return capsys.readouterr().err


@pytest.mark.parametrize("module, argv, message", [
    # A valid JSON object that no estimator takes failed after the header,
    # deep inside a backtest or scikit-learn's set_params.
    ("bench_forecasting", ["--params", '{"regressor__alpha": -1}'],
     r"argument --params: LSTMRegressor: alpha must be a number >= 0, got -1\. "
     r"\(for RecursiveForecaster\)"),
    ("bench_realdata", ["--lstm-params", '{"solverr": "lbfgs"}'],
     r"argument --lstm-params: no estimator of LSTMClassifier, LSTMRegressor takes solverr"),
    ("bench_future_covariates", ["--encoder-decoder-params", '{"solver": "foo"}'],
     r"argument --encoder-decoder-params: LSTMEncoderDecoderRegressor: unknown solver 'foo'"),
    # Options a mode ignores printed a table of other settings than asked for.
    ("bench_realdata", ["--tables", "--cv", "--lstm-params", '{"solver": "lbfgs"}'],
     r"--tables reads only --seed, not --cv, --lstm-params"),
    ("bench_realdata", ["--noisy", "--scale-y"], r"--noisy reads only --seed and "
                                                  r"--lstm-params, not --scale-y"),
    ("bench_realdata", ["--noisy", "--event-order"], r"are modes of their own: give one"),
    ("bench_realdata", ["--noisy", "--lstm-params", '{"class_weight": "balanced"}'],
     r"--noisy fits LSTMRegressor only, which takes no class_weight"),
    ("bench_forecasting", ["--quantiles", "--coverage", "0.8"],
     r"--quantiles scores quantiles by the pinball loss"),
    ("bench_forecasting", ["--params", '{"random_state": 1}'],
     r"--params: random_state is each of --seeds"),
    ("bench_forecasting", ["--params", '{"regressor__random_state": 1}'],
     r"--params: regressor__random_state is each of --seeds, which would all run alike"),
    ("bench_scaleout", ["--n-samples", "2"], r"--n-samples \(2\) must be at least --cv \(3\)"),
])
def test_a_benchmark_refuses_what_it_cannot_run(bench, module, argv, message, capsys):
    err = _refused(bench(module).main, argv, capsys)
    assert re.search(message, err), err


def test_parameters_of_one_estimator_reach_that_one(bench):
    # Each had to be taken by both: class_weight was refused for the classification sets.
    realdata = bench("bench_realdata")
    parse = realdata.estimator_params(realdata.LSTMClassifier, realdata.LSTMRegressor)
    params = parse('{"class_weight": "balanced", "scale_targets": false, "alpha": 0.1}')
    classifier = realdata.make_models("classification", params, False, 0)["LSTM"][0]
    regressor = realdata.make_models("regression", params, False, 0)["LSTM"][0]
    assert (classifier.class_weight, classifier.alpha) == ("balanced", 0.1)
    assert (regressor.scale_targets, regressor.alpha) == (False, 0.1)


def test_a_missing_sktime_is_named_and_the_bundled_series_need_none(bench, monkeypatch):
    forecasting = bench("bench_forecasting")
    monkeypatch.setitem(sys.modules, "sktime.datasets", None)  # import raises ImportError
    with pytest.raises(SystemExit, match=r"The series 'lynx' needs sktime .*: pip install "
                                         r"sktime"):
        forecasting.load_series("lynx")
    assert len(forecasting.load_series("co2")) > 400  # sklstm's own
    with pytest.raises(SystemExit, match=r"The UCR/UEA set 'ArrowHead' needs sktime"):
        bench("bench_realdata").load_set("ArrowHead")


@pytest.mark.parametrize("output, message", [
    ("plot", r"must name a \.png file, got 'plot'"),  # saved as plot.png, reported as plot
    ("missing/plot.png", r"its folder .*missing does not exist"),  # failed after the fits
])
def test_the_main_example_checks_its_output_before_fitting(output, message, tmp_path,
                                                          monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["forecast_dataframe.py", "--output", output])
    with pytest.raises(SystemExit):
        runpy.run_path(str(ROOT / "examples" / "forecast_dataframe.py"), run_name="__main__")
    assert re.search(message, capsys.readouterr().err)
