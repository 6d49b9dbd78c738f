"""DirectForecaster with future covariates: the encoder-decoder and its windows."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

from sklstm import LSTMEncoderDecoderRegressor, LSTMRegressor
from sklstm.exceptions import IterationLimitWarning
from sklstm.forecasting import (
    DirectForecaster, RecursiveForecaster, backtest, make_windows,
)


def _frame(n=60):
    t = np.arange(n, dtype=float)
    return pd.DataFrame(
        {"sales": 10 * t + np.sin(t), "stock": 100 + t, "promo": (t % 5 == 0) * 1.0},
        index=pd.date_range("2024-01-01", periods=n, freq="D"),
    )


def test_appended_layout_known_answer():
    df = _frame(10)
    w = make_windows(df, target="sales", window=3, gap=1, horizon=2, past_covariates="stock",
                     future_covariates="promo", future_layout="appended")
    assert w.X.shape == (5, 3 + 2, 3) and w.channels == ("sales", "stock", "promo")
    values = df.to_numpy()
    t = 2  # the first origin
    expected = np.vstack([
        values[t - 2 : t + 1],  # every channel at its own time
        [[0.0, 0.0, values[t + 2, 2]], [0.0, 0.0, values[t + 3, 2]]],  # promo at t+2, t+3
    ])
    np.testing.assert_array_equal(w.X[0], expected)
    np.testing.assert_array_equal(w.y[0], values[[t + 2, t + 3], 0])
    shifted = make_windows(df, target="sales", window=3, gap=1, horizon=2,
                           past_covariates="stock", future_covariates="promo")
    np.testing.assert_array_equal(shifted.y, w.y)
    np.testing.assert_array_equal(shifted.X[:, :, :2], w.X[:, :3, :2])


def test_bad_future_layout_raises():
    with pytest.raises(ValueError, match="future_layout must be one of"):
        make_windows(_frame(10), target="sales", window=3, future_layout="ahead")


def _fit(forecaster, data):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IterationLimitWarning)
        return forecaster.fit(data)


def test_default_regressor_is_the_encoder_decoder_with_future_covariates():
    df = _frame()
    params = dict(window=7, horizon=3, target="sales", calibration=None, random_state=0)
    f = _fit(DirectForecaster(future_covariates="promo", past_covariates="stock", **params),
             df)
    assert isinstance(f.regressor_, LSTMEncoderDecoderRegressor)
    assert f.regressor_.horizon == 3 and f.regressor_.n_future_channels == 1
    assert f.regressor_.n_features_in_ == 3
    # Adam with recurrent dropout, as documented (chosen on validation days).
    assert f.regressor_.solver == "adam" and f.regressor_.recurrent_dropout == 0.2
    # Without future covariates the default stays the plain LSTM.
    plain = _fit(DirectForecaster(**params), df)
    assert type(plain.regressor_) is LSTMRegressor
    # A given LSTMRegressor reads the shifted windows, as before.
    shifted = _fit(DirectForecaster(LSTMRegressor((2,), solver="lbfgs", max_iter=5),
                                    future_covariates="promo", **params), df)
    assert shifted.regressor_.n_features_in_ == 2


def test_forecast_step_reads_its_own_future_covariates():
    df = _frame()
    f = _fit(DirectForecaster(window=7, horizon=3, target="sales", future_covariates="promo",
                              calibration=None, random_state=0), df)
    future = pd.DataFrame({"promo": [0.0, 0.0, 0.0]},
                          index=pd.date_range(df.index[-1], periods=4, freq="D")[1:])
    base = f.predict(future=future)
    changed = future.copy()
    changed.iloc[1, 0] = 1.0  # the second forecast day becomes a promotion
    moved = f.predict(future=changed)
    assert list(base.index) == list(future.index)
    assert moved.iloc[0] == base.iloc[0]  # the decoder is causal
    assert (moved.iloc[1:] != base.iloc[1:]).all()


def test_predict_needs_no_future_covariates_in_the_gap():
    # The decoder reads the covariates of the forecast steps, not the gap's
    # before them: predict refused a future without the gap rows.
    df = _frame()
    f = _fit(DirectForecaster(LSTMEncoderDecoderRegressor(max_iter=2, random_state=0),
                              window=5, horizon=2, gap=2, target="sales",
                              future_covariates="promo", calibration=None), df)
    future = pd.DataFrame({"promo": [1.0, 0.0, 1.0, 0.0]},
                          index=pd.date_range(df.index[-1], periods=5, freq="D")[1:])
    expected = f.predict(future=future)
    pd.testing.assert_series_equal(f.predict(future=future.iloc[2:]), expected)
    with pytest.raises(ValueError, match=r"Missing: 'promo' at .* \(row absent or NaN\)"):
        f.predict(future=future.iloc[:3])


def _days_after(index, n):
    return pd.date_range(index[-1], periods=n + 1, freq="D")[1:]


def test_fewer_steps_need_only_their_own_future_covariates():
    # The decoder is causal: the first k forecasts read the covariates of
    # steps gap + 1 .. gap + k only, so predict(k) asks for no more, and
    # forecasts those steps exactly as a forecast of all the steps does.
    df = _frame(100)
    f = _fit(DirectForecaster(LSTMEncoderDecoderRegressor((3,), max_iter=3, random_state=0),
                              window=5, horizon=4, gap=1, target="sales",
                              future_covariates="promo"), df)
    future = pd.DataFrame({"promo": [9.0, 1.0, 0.0, 1.0, 1.0]},
                          index=_days_after(df.index, 5))
    full = f.predict(future=future)
    for k in (1, 2, 3):
        pd.testing.assert_series_equal(f.predict(k, future=future.iloc[1 : 1 + k]),
                                       full.iloc[:k])
        pd.testing.assert_series_equal(f.predict(k, future=future), full.iloc[:k])
        interval = f.predict_interval(k, future=future.iloc[1 : 1 + k])
        assert len(interval) == k
        assert ((interval["lower"] <= full.iloc[:k]) & (full.iloc[:k] <= interval["upper"])).all()
    label = future.index[3].strftime("%Y-%m-%d")
    with pytest.raises(ValueError, match=rf"Missing: 'promo' at {label}"):
        f.predict(3, future=future.iloc[:3])


def test_a_model_of_shifted_windows_still_needs_every_steps_covariates():
    df = _frame()
    f = _fit(DirectForecaster(LSTMRegressor((2,), solver="lbfgs", max_iter=3, random_state=0),
                              window=5, horizon=3, target="sales", future_covariates="promo",
                              calibration=None), df)
    future = pd.DataFrame({"promo": [1.0, 0.0, 1.0]}, index=_days_after(df.index, 3))
    f.predict(1, future=future)
    with pytest.raises(ValueError, match=r"Missing: 'promo' at .* \(row absent or NaN\)"):
        f.predict(1, future=future.iloc[:1])


def test_score_and_backtest_of_fewer_steps_than_the_encoder_decoder_forecasts():
    df = _frame(70)
    f = _fit(DirectForecaster(LSTMEncoderDecoderRegressor((3,), max_iter=3, random_state=0),
                              window=5, horizon=4, target="sales",
                              future_covariates="promo", calibration=None), df.iloc[:-2])
    # Two rows of data after the fit data: a score of the first two steps.
    data = df.iloc[-2:]
    forecast = f.predict(2, future=data)
    assert f.score(data) == -np.mean(np.abs(data["sales"] - forecast))
    # A backtest of two steps reads no covariates beyond them: its last fold
    # ends with the data, where it stopped two rows before.
    result = backtest(f, df, initial=50, step=2, horizon=2, refit=False)
    assert result.errors.index[-1] == df.index[-3]
    assert np.isfinite(result.errors.to_numpy()).all()


def test_given_encoder_decoder_is_configured_and_nested_params_work():
    df = _frame()
    given = LSTMEncoderDecoderRegressor((3,), horizon=9, solver="lbfgs", max_iter=5)
    f = _fit(DirectForecaster(given, window=5, horizon=2, target="sales",
                              future_covariates="promo", calibration=None), df)
    assert f.regressor_.horizon == 2 and f.regressor_.n_future_channels == 1
    assert given.horizon == 9  # the given estimator is not changed
    f2 = clone(DirectForecaster(window=5, horizon=2, target="sales", future_covariates="promo",
                                calibration=None, random_state=0))
    f2.set_params(regressor__max_iter=3)
    assert isinstance(f2.regressor, LSTMEncoderDecoderRegressor)
    assert _fit(f2, df).regressor_.n_iter_ <= 3


def test_intervals_and_in_sample_values_work_with_the_encoder_decoder():
    df = _frame(80)
    f = _fit(DirectForecaster(window=7, horizon=3, target="sales", future_covariates="promo",
                              random_state=0), df.iloc[:-3])
    interval = f.predict_interval(future=df.iloc[-3:])
    assert (interval["lower"] <= interval["upper"]).all()
    assert f.fitted_values_.shape[1] == 3


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_scipy_solver_set_on_the_default_switches_its_dropout_off():
    # The default encoder-decoder's recurrent dropout is part of its Adam
    # recipe; the scipy solvers refuse dropout.
    df = _frame()
    f = DirectForecaster(window=5, horizon=2, target="sales", future_covariates="promo",
                         calibration=None, random_state=0)
    f.set_params(regressor__solver="lbfgs", regressor__max_iter=3)
    assert f.regressor.recurrent_dropout == 0.0 and f.regressor.dropout == 0.0
    assert _fit(f, df).regressor_.n_iter_ <= 3
    # Set explicitly, the dropout stays, and the solver refuses it by name.
    g = clone(f).set_params(regressor=None).set_params(
        regressor__solver="lbfgs", regressor__recurrent_dropout=0.2
    )
    with pytest.raises(ValueError, match="recurrent_dropout=0.2 needs a stochastic solver"):
        g.fit(df)
    # With Adam the default keeps its dropout.
    h = clone(f).set_params(regressor=None).set_params(regressor__solver="adam")
    assert h.regressor.recurrent_dropout == 0.2


def test_docstring_describes_the_encoder_decoder_not_the_plain_regressor():
    # The docstring is LSTMRegressor's, edited: each edit must have applied.
    doc = LSTMEncoderDecoderRegressor.__doc__
    assert "MAPIE probes" not in doc  # a one-step row is too short for it
    assert "out_coef_ : ndarray of shape (H_last, n_step_logits)" in doc
    assert "Columns of ``y``: ``horizon * n_step_outputs``." in doc
    assert doc.count("n_outputs_ : int") == 1 and doc.count("out_coef_ :") == 1
    assert "The encoder's layers, then the decoder's" in doc


def test_forecaster_docstrings_say_which_one_takes_the_encoder_decoder():
    # The parameters' text is shared: each forecaster must get its own part.
    recursive, direct = RecursiveForecaster.__doc__, DirectForecaster.__doc__
    assert "appended after" not in recursive
    assert "LSTMEncoderDecoderRegressor` is refused" in recursive
    assert "appended after\n        the window for an" in direct
    assert "is refused" not in direct


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_constant_targets_are_forecast_exactly_by_the_shared_head():
    """One head serves every decoder step: settled when each step's column is
    constant (standardised, each is zero), left to training when unscaled
    steps ask for different constants."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 9, 2))
    steps = np.tile([4.0, 5.0, 6.0], (80, 1))
    model = LSTMEncoderDecoderRegressor(
        (4,), horizon=3, n_future_channels=1, max_iter=20, random_state=0
    ).fit(X, steps)
    np.testing.assert_array_equal(model.out_coef_, 0.0)
    np.testing.assert_array_equal(model.predict(X), steps)
    model.set_params(scale_targets=False).fit(X, steps)
    assert np.all(model.out_coef_ != 0)
    model.fit(X, np.full((80, 3), 4.0))
    np.testing.assert_array_equal(model.predict(X), 4.0)


def test_an_output_constant_at_some_steps_only_is_left_to_training_as_documented():
    # The class docstring once promised every constant target exactly, the
    # rule of LSTMRegressor, whose head has a column per target.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(80, 9, 2))
    y = X[:, 5:6, 0] + X[:, 6:, 1]
    y[:, 1] = 4.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IterationLimitWarning)
        model = LSTMEncoderDecoderRegressor(
            (4,), horizon=3, n_future_channels=1, max_iter=5, random_state=0).fit(X, y)
    assert np.all(model.out_coef_ != 0)
    assert np.abs(model.predict(X)[:, 1] - 4.0).max() > 1e-6
    doc = " ".join(LSTMEncoderDecoderRegressor.__doc__.split())
    assert ("as one head serves every step, not where the output is constant at some steps "
            "only, nor, with ``scale_targets=False``, where the steps' constants differ") in doc
    assert "predicts a target constant over the training part" not in doc


@pytest.mark.parametrize("method", ["fit", "partial_fit", "predict"])
def test_method_docstrings_describe_the_encoder_decoders_own_layouts(method):
    # They were LSTMRegressor's: ragged lists, NaN padding and per-step
    # outputs with return_sequences, which this model refuses or lacks.
    doc = " ".join(getattr(LSTMEncoderDecoderRegressor, method).__doc__.split())
    for promise in ("return_sequences", "may hold sequences of different lengths",
                    "padded steps", "are padding"):
        assert promise not in doc, promise
    assert "horizon * n_step_outputs" in doc


def test_targets_with_an_axis_per_step_get_the_step_major_layout():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 10, 2))
    y = np.stack([X[:, 7:, 1], -X[:, 7:, 1]], axis=2)  # (n, horizon, n_step_outputs)
    model = LSTMEncoderDecoderRegressor((4,), horizon=3, n_future_channels=1, max_iter=2)
    with pytest.raises(ValueError, match=r"got shape \(40, 3, 2\)\. The encoder-decoder's "
                       r"targets are step-major.*y\.reshape\(len\(y\), -1\)"):
        model.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IterationLimitWarning)
        model.fit(X, y.reshape(len(y), -1))
    with pytest.raises(ValueError, match="step-major"):
        model.score(X, y)


def test_partial_fit_is_offered_with_the_stochastic_solvers_only():
    # As LSTMRegressor's, whose method the encoder-decoder's documents anew.
    assert hasattr(LSTMEncoderDecoderRegressor(solver="adam"), "partial_fit")
    assert not hasattr(LSTMEncoderDecoderRegressor(solver="lbfgs"), "partial_fit")
