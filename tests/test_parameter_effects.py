"""Every parameter of every estimator, forecaster and public forecasting
function changes what it does.

A parameter that is validated, stored and documented but never read is
silently ignored: ``nesterovs_momentum=True`` once trained exactly as
``False`` would have, and no test noticed. Here each parameter is changed,
alone, from a base setting under which it acts, and the fit must change:
its predictions, or what the parameter governs (the epochs run, what
``verbose`` prints). The cases must cover ``get_params()``, so a new
parameter needs a case too.
"""

import contextlib
import inspect
import io
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from sklstm import LSTMClassifier, LSTMEncoderDecoderRegressor, LSTMRegressor
from sklstm.forecasting import DirectForecaster, RecursiveForecaster, backtest, make_windows

# One step per LSTM step (patch_length), so that the recurrence and the
# forget gate act: "auto" reads these 8 steps of 2 channels as one.
BASE = dict(hidden_layer_sizes=(4,), max_iter=4, early_stopping=False, random_state=0,
            patch_length=1)
SGD = dict(solver="sgd", batch_size=8)
STOPPING = dict(tol=10.0, max_iter=50)  # an epoch that improves by less than 10 stops
HELD_OUT = dict(early_stopping=True, max_iter=8)
TABLE = dict(n_channels=2)  # 2-D X of 8 steps of 2 channels


def data(estimator_class, layout="sequences"):
    """``(X, y)``: 3-D sequences of 8 steps of 2 channels, or a 2-D table of
    the same values (step-major columns); y fits the estimator."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(48, 8, 2))
    signal = X[:, -1, 0] + 0.5 * X[:, :2, 1].sum(1)
    y = ((signal > 0).astype(int) + (signal > 1)) if estimator_class is LSTMClassifier else signal
    return (X.reshape(48, 16) if layout == "table" else X), y


# parameter -> (base settings under which it acts, its other value, what to
# compare: "predictions", "n_iter_" or "printed"; the layout of X)
COMMON = {
    "alpha": ({}, 30.0, "predictions", "sequences"),
    "batch_size": ({}, 8, "predictions", "sequences"),
    "beta_1": ({}, 0.5, "predictions", "sequences"),
    "beta_2": ({}, 0.5, "predictions", "sequences"),
    "clip_norm": ({}, 1e-3, "predictions", "sequences"),
    "column_order": (TABLE, "channel_major", "predictions", "table"),
    "coupled_gates": ({}, True, "predictions", "sequences"),
    "data_format": ({}, "channels_first", "predictions", "sequences"),
    "dropout": ({}, 0.3, "predictions", "sequences"),
    "early_stopping": ({"max_iter": 8}, True, "predictions", "sequences"),
    "epsilon": ({}, 0.5, "predictions", "sequences"),
    "forget_bias": ({}, 0.0, "predictions", "sequences"),
    "hidden_layer_sizes": ({}, (5,), "predictions", "sequences"),
    "learning_rate": ({**SGD, **STOPPING, "n_iter_no_change": 1}, "adaptive", "predictions",
                      "sequences"),
    "learning_rate_init": ({}, 0.05, "predictions", "sequences"),
    "max_fun": ({"solver": "lbfgs", "max_iter": 50}, 5, "predictions", "sequences"),
    "max_iter": ({}, 2, "predictions", "sequences"),
    "momentum": (SGD, 0.5, "predictions", "sequences"),
    "n_channels": (TABLE, 4, "predictions", "table"),
    "n_exog": (TABLE, 2, "predictions", "table"),
    "n_iter_no_change": (STOPPING, 3, "n_iter_", "sequences"),
    "nesterovs_momentum": (SGD, False, "predictions", "sequences"),
    "newest_first": (TABLE, True, "predictions", "table"),
    "peephole": ({}, True, "predictions", "sequences"),
    "power_t": ({**SGD, "learning_rate": "invscaling"}, 0.1, "predictions", "sequences"),
    "random_state": ({}, 1, "predictions", "sequences"),
    "recurrent_dropout": ({}, 0.3, "predictions", "sequences"),
    "shuffle": (SGD, False, "predictions", "sequences"),
    "solver": ({}, "sgd", "predictions", "sequences"),
    "solver_options": ({"solver": "lbfgs", "max_iter": 50}, {"maxcor": 2}, "predictions",
                       "sequences"),
    "standardize": ({}, False, "predictions", "sequences"),
    "tol": ({"max_iter": 50}, 10.0, "n_iter_", "sequences"),
    "validation_fraction": (HELD_OUT, 0.3, "predictions", "sequences"),
    "verbose": ({}, True, "printed", "sequences"),
    "warm_start": ({}, True, "predictions", "sequences"),
}
SEQUENCE_MODELS = {
    "bidirectional": ({}, True, "predictions", "sequences"),
    "gate_variant": ({}, "NIG", "predictions", "sequences"),
    "patch_length": ({}, 2, "predictions", "sequences"),
    # return_sequences changes what y is; tests/test_estimators.py fits it.
}
REGRESSION = {
    "loss": ({}, "quantile", "predictions", "sequences"),
    "quantiles": ({"loss": "quantile"}, (0.2, 0.5, 0.8), "predictions", "sequences"),
    "scale_targets": ({}, False, "predictions", "sequences"),
}
CASES = {
    LSTMRegressor: {**COMMON, **SEQUENCE_MODELS, **REGRESSION,
                    "validation_split": (HELD_OUT, "shuffle", "predictions", "sequences")},
    LSTMClassifier: {**COMMON, **SEQUENCE_MODELS,
                     "class_weight": ({}, "balanced", "predictions", "sequences"),
                     "validation_split": (HELD_OUT, "shuffle", "predictions", "sequences")},
    LSTMEncoderDecoderRegressor: {
        **COMMON, **REGRESSION,
        "decoder_state": ({}, "zeros", "predictions", "sequences"),
        "n_future_channels": ({}, 1, "predictions", "sequences"),
        "validation_split": (HELD_OUT, "shuffle", "predictions", "sequences"),
        # horizon changes what y is; tests/test_seq2seq.py fits it.
    },
}
# Parameters that change what y must be, fitted in their own tests.
CHANGE_Y = {LSTMRegressor: {"return_sequences"}, LSTMClassifier: {"return_sequences"},
            LSTMEncoderDecoderRegressor: {"horizon"}}


def _test_id(value):
    return value.__name__ if isinstance(value, type) else value


def assert_changed(before, after, parameter):
    """``after`` (arrays, or the message of the ValueError a call raised)
    differs from ``before`` (arrays): in a shape or beyond rounding; a
    refusal counts only where it names ``parameter``."""
    assert not isinstance(before, str), before
    if isinstance(after, str):  # dropna=False on a missing value: refused, by name
        assert parameter in after
        return
    assert any(np.shape(b) != np.shape(a)
               or not np.allclose(b, a, rtol=1e-9, atol=0, equal_nan=True)
               for b, a in zip(before, after))


@pytest.mark.parametrize("estimator_class", CASES, ids=_test_id)
def test_every_parameter_has_a_case(estimator_class):
    assert (set(CASES[estimator_class]) | CHANGE_Y[estimator_class]
            == set(estimator_class().get_params()))


def _outcome(model, X, y, what):
    printed = io.StringIO()
    with warnings.catch_warnings(), contextlib.redirect_stdout(printed):
        warnings.simplefilter("ignore")  # short fits, settings far from the defaults
        model.fit(X, y)
        if model.warm_start:  # a second fit continues the first
            model.fit(X, y)
    if what == "n_iter_":
        return model.n_iter_
    if what == "printed":
        return printed.getvalue()
    return [model.predict_proba(X) if hasattr(model, "predict_proba") else model.predict(X)]


@pytest.mark.parametrize("estimator_class, parameter", [
    (cls, parameter) for cls, cases in CASES.items() for parameter in cases
], ids=_test_id)
def test_each_parameter_changes_the_fit(estimator_class, parameter):
    settings, value, what, layout = CASES[estimator_class][parameter]
    X, y = data(estimator_class, layout)
    params = estimator_class().get_params()
    base = estimator_class(**{key: value for key, value in {**BASE, **settings}.items()
                              if key in params})
    assert base.get_params()[parameter] != value
    before = _outcome(base, X, y, what)
    after = _outcome(base.set_params(**{parameter: value}), X, y, what)
    if what == "predictions":
        assert_changed(before, after, parameter)
    else:
        assert before != after


# -- forecasters ---------------------------------------------------------------


def series():
    """Daily ``y`` driven by the past of ``a`` and the present of ``b``; the
    first value of ``a`` is missing (read by ``dropna``)."""
    rng = np.random.RandomState(0)
    index = pd.date_range("2024-01-01", periods=70, freq="D")
    a, b = rng.normal(size=70), rng.normal(size=70)
    y = np.sin(np.arange(70) / 3) + 0.5 * np.roll(a, 1) + 0.5 * b + 0.1 * rng.normal(size=70)
    frame = pd.DataFrame({"y": y, "a": a, "b": b}, index=index)
    frame.iloc[0, 1] = np.nan
    return frame


def reversed_series():
    """:func:`series`' values newest first, on the same dates."""
    frame = series()
    return frame.iloc[::-1].set_axis(frame.index)


def forecaster_outcome(forecaster):
    """The forecasts of 2 steps, and their 50 % intervals where calibrated; or
    the error a fit or forecast raised."""
    frame = series()
    kwargs = {} if hasattr(forecaster, "horizon") else {"horizon": 2}
    if forecaster.future_covariates is not None:
        index = pd.date_range(frame.index[-1], periods=4, freq="D")[1:]
        kwargs["future"] = pd.DataFrame({"b": [-1.0, 0.0, 1.0]}, index=index)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            forecaster.fit(frame)
            # The first 2 steps: horizon=3 forecasts one more.
            outcome = [forecaster.predict(**kwargs).to_numpy()[:2]]
            if forecaster.calibration is not None:
                # Not coverage=0.9, the largest of these 13 errors, which the
                # first of the backtest's refits shares with the holdout model.
                outcome.append(
                    forecaster.predict_interval(coverage=0.5, **kwargs).to_numpy()[:2])
    except ValueError as error:
        return str(error)
    return outcome


FORECASTER_BASE = dict(target="y", past_covariates="a", window=6, dropna=True,
                       center_windows=True, random_state=0)
FORECASTER_CASES = {
    "window": ({}, 4),
    "gap": ({}, 1),
    "target": ({}, "b"),
    "past_covariates": ({}, None),
    "future_covariates": ({}, "b"),
    "regressor": ({}, "five units"),
    "random_state": ({"regressor": None}, 1),  # it seeds the default LSTM only
    # An LSTM that standardises its targets itself makes the same forecasts.
    "scale_target": ({"regressor": "unscaled targets"}, False),
    "target_transform": ({}, "diff"),
    "center_windows": ({}, False),
    "center_covariates": ({}, "a"),
    "dropna": ({}, False),
    "calibration": ({}, "backtest"),
    "calibration_folds": ({"calibration": "backtest"}, 2),
    "calibration_size": ({}, 0.4),
}
FORECASTERS = {
    DirectForecaster: {**FORECASTER_CASES, "horizon": ({}, 3)},
    RecursiveForecaster: {**FORECASTER_CASES, "gap": ({}, 2),
                          "calibration_horizon": ({"gap": 2}, 3)},
}
# A recursive forecast of 2 steps: past covariates reach gap + 1 steps, and
# intervals calibration_horizon steps.
FORECASTER_REQUIRED = {DirectForecaster: {"horizon": 2},
                       RecursiveForecaster: {"gap": 1, "calibration_horizon": 2}}


def _regressor(units=4, **params):
    return LSTMRegressor((units,), max_iter=3, early_stopping=False, patch_length=1,
                         random_state=0, **params)


# Regressors by name, so that test ids stay readable.
REGRESSORS = {"five units": lambda: _regressor(5),
              "unscaled targets": lambda: _regressor(scale_targets=False)}


@pytest.mark.parametrize("forecaster_class", FORECASTERS, ids=_test_id)
def test_every_forecaster_parameter_has_a_case(forecaster_class):
    params = forecaster_class(window=3, **({"horizon": 2} if forecaster_class is
                                           DirectForecaster else {})).get_params(deep=False)
    assert set(FORECASTERS[forecaster_class]) == set(params)


@pytest.mark.parametrize("forecaster_class, parameter", [
    (cls, parameter) for cls, cases in FORECASTERS.items() for parameter in cases
], ids=_test_id)
def test_each_forecaster_parameter_changes_the_forecasts(forecaster_class, parameter):
    settings, value = FORECASTERS[forecaster_class][parameter]
    settings = {key: REGRESSORS[value]() if key == "regressor" and value in REGRESSORS
                else value for key, value in settings.items()}
    value = REGRESSORS[value]() if parameter == "regressor" else value
    base = forecaster_class(**{**FORECASTER_BASE, **FORECASTER_REQUIRED[forecaster_class],
                               "regressor": _regressor(), **settings})
    before = forecaster_outcome(base)
    after = forecaster_outcome(base.set_params(**{parameter: value}))
    if not isinstance(after, str):  # the same steps and columns: values must differ
        assert [np.shape(b) for b in before] == [np.shape(a) for a in after]
    assert_changed(before, after, parameter)


# -- functions -------------------------------------------------------------------

WINDOWS_BASE = dict(target="y", window=4, past_covariates="a", dropna=True)
WINDOWS_CASES = {
    "data": ({}, "reversed"),
    "target": ({}, "b"),
    "window": ({}, 5),
    "horizon": ({}, 2),
    "gap": ({}, 1),
    "stride": ({}, 2),
    "past_covariates": ({}, None),
    "future_covariates": ({}, "b"),
    "dropna": ({}, False),
    "future_layout": ({"future_covariates": "b"}, "appended"),
}


def windows_outcome(**kwargs):
    try:
        windows = make_windows(**kwargs)
    except ValueError as error:
        return str(error)
    return [windows.X, windows.y, windows.origins]


def test_every_make_windows_parameter_has_a_case():
    assert set(WINDOWS_CASES) == set(inspect.signature(make_windows).parameters)


@pytest.mark.parametrize("parameter", WINDOWS_CASES)
def test_each_make_windows_parameter_changes_the_windows(parameter):
    settings, value = WINDOWS_CASES[parameter]
    base = {"data": series(), **WINDOWS_BASE, **settings}
    if value == "reversed":
        value = reversed_series()
    assert_changed(windows_outcome(**base), windows_outcome(**{**base, parameter: value}),
                   parameter)


BACKTEST_CASES = {
    "forecaster": "another seed",
    "data": "reversed",
    "initial": 50,
    "step": 5,
    "horizon": 1,
    "refit": False,
    "coverage": 0.75,
}


def backtest_outcome(**kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        result = backtest(**kwargs)
    return [np.asarray(result.forecasts.select_dtypes("number"), dtype=float)]


def test_every_backtest_parameter_has_a_case():
    assert set(BACKTEST_CASES) == set(inspect.signature(backtest).parameters)


@pytest.mark.parametrize("parameter", BACKTEST_CASES)
def test_each_backtest_parameter_changes_the_forecasts(parameter):
    forecaster = DirectForecaster(target="y", past_covariates="a", window=6, horizon=2,
                                  dropna=True, regressor=_regressor())
    base = dict(forecaster=forecaster, data=series(), initial=40, step=10, horizon=2,
                refit=True, coverage=0.5)  # 7 calibration errors a step
    value = BACKTEST_CASES[parameter]
    if value == "another seed":
        value = clone(forecaster).set_params(regressor__random_state=1)
    elif value == "reversed":
        value = reversed_series()
    assert_changed(backtest_outcome(**base), backtest_outcome(**{**base, parameter: value}),
                   parameter)
