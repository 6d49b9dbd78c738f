"""sklstm inside other forecasting libraries, and their 2-D lag-table layouts.

Each library flattens lag windows into a 2-D table in its own column order.
For each one this file shows, with a regressor that records what it is given,
the order the library really uses, and that ``LSTMRegressor`` with the
matching parameters reads the table as the same sequences as the 3-D windows
of :func:`sklstm.forecasting.make_windows`:

=============== ================================ ==================================
library         columns of one row               LSTMRegressor parameters
=============== ================================ ==================================
sktime          ``y(t-k), ..., y(t-1)``          the defaults (oldest first)
sktime with X   ``y(t-k..t-1), x(t-k..t-1)``     ``n_channels=2``,
                                                 ``column_order="channel_major"``
skforecast      ``lag_1 = y(t-1), ..., lag_k``   ``newest_first=True``
skforecast,     ``lag_1 .. lag_k, e_1(t) ..``    ``newest_first=True, n_exog=m``
exog                                             (each exog value a channel over all
                                                 steps; window and calendar features
                                                 count in ``m``)
darts           ``x0(t-k), x1(t-k), x0(t-k+1)``  ``n_channels=C`` (time-major)
=============== ================================ ==================================

Then an LSTM forecaster built with sktime's and skforecast's own reduction
must beat the naive forecasts on the held-out end of the bundled sunspot
series. The LSTMs are small and trained by L-BFGS with a capped number of
iterations, so they fit in about a second.
"""

import re
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.compose import TransformedTargetRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_absolute_error
from sklearn.preprocessing import StandardScaler

from sklstm.exceptions import DataLayoutWarning
from sklstm import LSTMClassifier, LSTMRegressor
from sklstm.datasets import load_sunspots
from sklstm.forecasting import RecursiveForecaster, make_windows
from sklstm.forecasting._base import _DEFAULT_LSTM_PARAMS

pytestmark = [
    # The capped L-BFGS runs stop on max_iter by design.
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
    # sktime 1.2 announces a change of its remember_data default on every fit.
    pytest.mark.filterwarnings("ignore:The default of config:FutureWarning"),
    # skforecast bins in-sample residuals, which are constant for Recorder.
    pytest.mark.filterwarnings("ignore:The number of bins has been reduced"),
]

N_TEST = 20  # sunspot years held out
SEASON = 11  # the solar cycle, in years


class Recorder(RegressorMixin, BaseEstimator):
    """Records a copy of every X it is given; predicts zeros."""

    def fit(self, X, y):
        self.fit_X_ = np.array(X, dtype=float)
        self.fit_y_ = np.array(y, dtype=float)
        self.predict_X_ = []
        return self

    def predict(self, X):
        # Copy: skforecast refills one buffer between recursive steps.
        self.predict_X_.append(np.array(X, dtype=float))
        return np.zeros(len(X))


def small_lstm(**params):
    """The forecasters' default LSTM (8 units, 100 L-BFGS iterations, its L2
    penalty), as a user passes it to another library's forecaster."""
    return LSTMRegressor(**_DEFAULT_LSTM_PARAMS, random_state=0, **params)


def ramp(n=30):
    """A series whose values are their positions plus 100: shifts show."""
    return pd.Series(100.0 + np.arange(n), name="y")


def sunspots():
    y = load_sunspots()["sunspots"]
    return y.iloc[:-N_TEST], y.iloc[-N_TEST:]


def sktime_forecast(forecaster, y, fh):
    """``forecaster.fit(y).predict(fh)``, keeping this file's warning filters.

    sktime 1.2's fit leaves a global "default" filter for FutureWarning in
    front of all others (``_SuppressWarningPattern.__exit__``); the next
    forecaster's reset would then show sktime's remember_data FutureWarning.
    """
    with warnings.catch_warnings():  # restores the filters on exit
        return forecaster.fit(y).predict(fh)


def mae(truth, forecast):
    return mean_absolute_error(np.asarray(truth), np.asarray(forecast))


def lstm_reads_table_as_windows(table, windows, **params):
    """An LSTM fitted on 3-D windows predicts the same from the 2-D table."""
    target = windows[:, -1, 0] - windows[:, 0, 0] + np.sin(windows[:, -2, 0])
    model = LSTMRegressor(
        hidden_layer_sizes=(3,), solver="lbfgs", max_iter=5, random_state=0, **params
    ).fit(windows, target)
    assert_allclose(model.predict(table), model.predict(windows), rtol=1e-12)


# --------------------------------------------------------------------------
# sktime: make_reduction passes columns oldest to newest
# --------------------------------------------------------------------------


@pytest.mark.slow
def test_sktime_make_reduction_columns_are_oldest_first():
    # sktime/forecasting/compose/_reduce.py, _sliding_window_transform_local:
    #     for k in range(effective_window_length + 1):
    #         i = effective_window_length - k
    #         ...
    #         Zt[i:j, :, k] = z          # k grows with time
    #     Xt = Zt[:, :, :window_length]
    # then Xt.reshape(n, -1): per variable, oldest lag first.
    make_reduction = pytest.importorskip("sktime.forecasting.compose").make_reduction
    y = ramp()
    forecaster = make_reduction(Recorder(), window_length=5, strategy="recursive")
    forecaster.fit(y)
    recorder = forecaster.estimator_
    w = make_windows(y, window=5)
    assert recorder.fit_X_.shape == (25, 5)
    assert_array_equal(recorder.fit_X_, w.X[:, :, 0])  # y(t-4), ..., y(t)
    assert_array_equal(recorder.fit_y_, w.y[:, 0])
    assert_array_equal(recorder.fit_X_[0], [100, 101, 102, 103, 104])

    forecaster.predict(fh=[1, 2])
    first, second = recorder.predict_X_
    assert_array_equal(first, [[125, 126, 127, 128, 129]])
    assert_array_equal(second, [[126, 127, 128, 129, 0]])  # 0: Recorder's forecast

    lstm_reads_table_as_windows(recorder.fit_X_, w.X)


def test_sktime_make_reduction_with_exogenous_is_channel_major():
    # The same code reshapes Xt of shape (n, n_variables, window_length):
    # all lags of y, then all lags of each exogenous column, oldest first.
    make_reduction = pytest.importorskip("sktime.forecasting.compose").make_reduction
    df = pd.DataFrame({"y": ramp(12), "x": 500.0 + np.arange(12)})
    forecaster = make_reduction(Recorder(), window_length=3, strategy="recursive")
    forecaster.fit(df["y"], X=df[["x"]])
    recorder = forecaster.estimator_
    assert_array_equal(recorder.fit_X_[0], [100, 101, 102, 500, 501, 502])
    w = make_windows(df, target="y", past_covariates="x", window=3)
    assert_array_equal(recorder.fit_X_, w.X.transpose(0, 2, 1).reshape(len(w), -1))
    lstm_reads_table_as_windows(
        recorder.fit_X_, w.X, n_channels=2, column_order="channel_major"
    )


@pytest.mark.slow
def test_sktime_recursive_lstm_beats_naive_on_sunspots():
    compose = pytest.importorskip("sktime.forecasting.compose")
    naive = pytest.importorskip("sktime.forecasting.naive")
    train, test = sunspots()
    # sktime 1.2's seasonal NaiveForecaster cannot pivot a year-start
    # DatetimeIndex; a PeriodIndex is sktime's native yearly index.
    train, test = train.to_period("Y"), test.to_period("Y")
    fh = np.arange(1, N_TEST + 1)

    # LSTMRegressor standardises its inputs, not y: the scaler does that.
    lstm = TransformedTargetRegressor(small_lstm(), transformer=StandardScaler())
    forecaster = compose.make_reduction(
        lstm, window_length=SEASON, strategy="recursive"
    )
    forecast = sktime_forecast(forecaster, train, fh)
    pd.testing.assert_index_equal(forecast.index, test.index, check_names=False)
    last = sktime_forecast(naive.NaiveForecaster(strategy="last"), train, fh)
    seasonal = sktime_forecast(
        naive.NaiveForecaster(strategy="last", sp=SEASON), train, fh
    )
    scores = {
        "lstm": mae(test, forecast),
        "last": mae(test, last),
        "seasonal": mae(test, seasonal),
    }
    # Measured: lstm 9.9, seasonal 34.1, last 51.9 (sunspot number).
    assert scores["lstm"] < 0.6 * min(scores["last"], scores["seasonal"]), scores


# --------------------------------------------------------------------------
# skforecast: ForecasterRecursive passes lag_1 (newest) first
# --------------------------------------------------------------------------


def test_skforecast_lags_are_newest_first():
    # skforecast/recursive/_forecaster_recursive.py, ForecasterRecursive._create_lags:
    #     "the returned matrix X_data contains the lag 1 in the first column"
    #     X_data = y_strided[:, self.window_size - self.max_lag:][:, ::-1]
    # and _recursive_predict: X[:n_lags] = last_window[...][::-1]
    recursive = pytest.importorskip("skforecast.recursive")
    y = ramp()
    forecaster = recursive.ForecasterRecursive(Recorder(), lags=5)
    forecaster.fit(y)
    assert forecaster.X_train_features_names_out_ == [f"lag_{k}" for k in range(1, 6)]
    recorder = forecaster.estimator
    w = make_windows(y, window=5)
    assert_array_equal(recorder.fit_X_, w.X[:, ::-1, 0])  # y(t), ..., y(t-4)
    assert_array_equal(recorder.fit_y_, w.y[:, 0])
    assert_array_equal(recorder.fit_X_[0], [104, 103, 102, 101, 100])

    n_before = len(recorder.predict_X_)  # fit may predict in-sample residuals
    forecaster.predict(steps=2)
    first, second = recorder.predict_X_[n_before:]
    assert_array_equal(first, [[129, 128, 127, 126, 125]])
    assert_array_equal(second, [[0, 129, 128, 127, 126]])

    lstm_reads_table_as_windows(recorder.fit_X_, w.X, newest_first=True)


@pytest.mark.slow
def test_skforecast_recursive_lstm_beats_naive_and_matches_sklstm():
    recursive = pytest.importorskip("skforecast.recursive")
    train, test = sunspots()
    forecaster = recursive.ForecasterRecursive(
        small_lstm(newest_first=True), lags=SEASON, transformer_y=StandardScaler()
    )
    forecaster.fit(train)
    forecast = forecaster.predict(steps=N_TEST)
    pd.testing.assert_index_equal(forecast.index, test.index, check_names=False)

    scores = {
        "lstm": mae(test, forecast),
        "last": mae(test, np.full(N_TEST, train.iloc[-1])),
        "seasonal": mae(test, np.resize(train.iloc[-SEASON:].to_numpy(), N_TEST)),
    }
    # Measured: lstm 9.9, seasonal 34.1, last 51.9 (sunspot number).
    assert scores["lstm"] < 0.6 * min(scores["last"], scores["seasonal"]), scores

    # The same recipe in sklstm: standardised target, windows of 11 years,
    # one-step model rolled forward. Same windows, same network, same forecast.
    own = RecursiveForecaster(small_lstm(), window=SEASON, center_windows=False).fit(train)
    assert_allclose(own.predict(N_TEST).to_numpy(), forecast.to_numpy(), rtol=1e-6)


# --------------------------------------------------------------------------
# darts-style multichannel tables, channel-major tables, newest first
# --------------------------------------------------------------------------


def multichannel_windows(n=40, steps=5):
    """Windows (n, steps, 2) whose values encode sample, step and channel."""
    x0 = np.arange(n)[:, None] * 10.0 + np.arange(steps)
    return np.stack([x0, 1000.0 + x0], axis=2)


def darts_table(X3):
    """The 2-D table darts' tabularization builds from target components.

    darts/utils/data/tabularization.py, create_lagged_component_names:
        [f"{name}_{variate_type}_lag{lag}" for lag in variate_lags
                                           for name in components]
    with lags -k, ..., -1: lag-major (time-major), oldest first.
    """
    _, steps, n_channels = X3.shape
    columns = {
        f"c{c}_target_lag{lag}": X3[:, steps + lag, c]
        for lag in range(-steps, 0)
        for c in range(n_channels)
    }
    return pd.DataFrame(columns)


def test_darts_table_is_time_major():
    X3 = multichannel_windows()
    table = darts_table(X3)
    assert list(table.columns[:4]) == [
        "c0_target_lag-5",
        "c1_target_lag-5",
        "c0_target_lag-4",
        "c1_target_lag-4",
    ]
    assert_array_equal(table.to_numpy(), X3.reshape(len(X3), -1))


TABLES = {
    # layout -> (2-D table from 3-D windows, LSTMRegressor parameters)
    "darts time-major": (lambda X3: darts_table(X3).to_numpy(), {"n_channels": 2}),
    "channel-major": (
        lambda X3: X3.transpose(0, 2, 1).reshape(len(X3), -1),
        {"n_channels": 2, "column_order": "channel_major"},
    ),
    "time-major newest first": (
        lambda X3: X3[:, ::-1].reshape(len(X3), -1),
        {"n_channels": 2, "newest_first": True},
    ),
    "channel-major newest first": (
        lambda X3: X3[:, ::-1].transpose(0, 2, 1).reshape(len(X3), -1),
        {"n_channels": 2, "column_order": "channel_major", "newest_first": True},
    ),
}


@pytest.mark.parametrize("layout", list(TABLES))
def test_2d_layout_predicts_as_3d(layout):
    X3 = multichannel_windows()
    make_table, params = TABLES[layout]
    table = make_table(X3)
    y = np.tanh(X3[:, -1, 0] / 100.0) + X3[:, 0, 1] / 1000.0
    lstm = {"hidden_layer_sizes": (3,), "solver": "lbfgs", "max_iter": 5}
    on_table = LSTMRegressor(**lstm, **params, random_state=0).fit(table, y)
    on_windows = LSTMRegressor(**lstm, random_state=0).fit(X3, y)
    # Same sequences, so the same training run and the same predictions.
    assert_allclose(on_table.out_coef_, on_windows.out_coef_, rtol=1e-12)
    assert_allclose(on_table.predict(table), on_windows.predict(X3), rtol=1e-12)
    # A fitted 3-D model with the layout's parameters reads the table too.
    lstm_reads_table_as_windows(table, X3, **params)
    # And the layout matters: read as another layout, the table differs.
    for other, (_, other_params) in TABLES.items():
        if other != layout:
            with pytest.raises(AssertionError):
                lstm_reads_table_as_windows(table, X3, **other_params)


# --------------------------------------------------------------------------
# Exogenous layouts: skforecast's lags + exog, sktime's make_reduction with X
# --------------------------------------------------------------------------


def exog_frame(n=12):
    """Target 100 + t and two exogenous columns 500 + t, 900 + t: positions show."""
    t = np.arange(n, dtype=float)
    return pd.DataFrame({"y": 100.0 + t, "a": 500.0 + t, "b": 900.0 + t})


def test_skforecast_recursive_exog_layout():
    # skforecast/recursive/_forecaster_recursive.py, _create_train_X_y:
    #     exog = exog[self.window_size:, ]          # rows of the target times
    #     X_train = np.concatenate([X_train_lags, ..., exog], axis=1)
    # and fit passes that ndarray (no column names) to estimator.fit; predict
    # fills X[exog_start:exog_end] = exog_values[i] and passes X.reshape(1, -1).
    recursive = pytest.importorskip("skforecast.recursive")
    df = exog_frame()
    forecaster = recursive.ForecasterRecursive(Recorder(), lags=3)
    forecaster.fit(df["y"], exog=df[["a", "b"]])
    assert forecaster.X_train_features_names_out_ == ["lag_1", "lag_2", "lag_3", "a", "b"]
    recorder = forecaster.estimator
    # Target y(t) = 100 + t: lags y(t-1), y(t-2), y(t-3), then exog at t itself.
    assert_array_equal(recorder.fit_X_[0], [102, 101, 100, 503, 903])
    assert_array_equal(recorder.fit_y_[0], 103)
    n_before = len(recorder.predict_X_)
    future = pd.DataFrame({"a": [512.0, 513.0], "b": [912.0, 913.0]},
                          index=pd.RangeIndex(12, 14))
    forecaster.predict(steps=2, exog=future)
    first, second = recorder.predict_X_[n_before:]
    assert_array_equal(first, [[111, 110, 109, 512, 912]])
    assert_array_equal(second, [[0, 111, 110, 513, 913]])  # 0: Recorder's forecast


def test_skforecast_multiseries_level_column_is_numbers_or_refused_with_the_encoding():
    # Its category column (encoding='ordinal_category') was refused with
    # "Convert it explicitly ... or drop it", which a skforecast user cannot.
    recursive = pytest.importorskip("skforecast.recursive")
    t = np.arange(80)
    series = pd.DataFrame({"s1": np.sin(t / 5), "s2": np.cos(t / 4)})
    lstm = LSTMRegressor((3,), newest_first=True, n_exog=1, max_iter=3, random_state=0)
    categories = recursive.ForecasterRecursiveMultiSeries(lstm, lags=5,
                                                           encoding="ordinal_category")
    with pytest.raises(TypeError, match=r"Column '_level_skforecast' .* dtype category.*"
                                        r"pass encoding='ordinal'"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            categories.fit(series)
    ordinal = recursive.ForecasterRecursiveMultiSeries(lstm, lags=5, encoding="ordinal")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        ordinal.fit(series)
    assert np.isfinite(ordinal.predict(steps=3)["pred"]).all()


def test_skforecast_direct_exog_layout():
    # skforecast/direct/_forecaster_direct.py: one estimator per step; the
    # exog block of step k (columns "{name}_step_{k}") is cut out of the wide
    # table by filter_train_X_y_for_step, so estimator k reads
    # lag_1 .. lag_p, then each exog at the target time of step k.
    direct = pytest.importorskip("skforecast.direct")
    df = exog_frame()
    forecaster = direct.ForecasterDirect(Recorder(), lags=3, steps=2)
    forecaster.fit(df["y"], exog=df[["a", "b"]])
    first, second = forecaster.estimators_[1], forecaster.estimators_[2]
    # Origin y(2) = 102: step 1 targets t = 3, step 2 targets t = 4.
    assert_array_equal(first.fit_X_[0], [102, 101, 100, 503, 903])
    assert_array_equal(second.fit_X_[0], [102, 101, 100, 504, 904])
    assert_array_equal(second.fit_y_[0], 104)
    wide, _ = forecaster.create_train_X_y(df["y"], exog=df[["a", "b"]])
    assert list(wide.columns) == [
        "lag_1", "lag_2", "lag_3", "a_step_1", "b_step_1", "a_step_2", "b_step_2",
    ]


def skforecast_table_as_windows(table, n_lags):
    """The 3-D windows a lags + exog table stands for.

    Channel 0 holds the lags oldest first; each exogenous column (a value at
    the target time) is one more channel holding that value at every step.
    """
    table = np.asarray(table, dtype=float)
    lags = table[:, n_lags - 1 :: -1]  # lag_p, ..., lag_1: oldest first
    exog = np.repeat(table[:, None, n_lags:], n_lags, axis=1)
    return np.concatenate([lags[:, :, None], exog], axis=2)


def test_skforecast_exog_windows_match_make_windows():
    # The reference reading agrees with sklstm's own windows: the lag channel
    # is make_windows' target channel, and each exog channel's last step is
    # the future covariate at the target time, as make_windows puts it there.
    recursive = pytest.importorskip("skforecast.recursive")
    df = exog_frame(20)
    forecaster = recursive.ForecasterRecursive(Recorder(), lags=4)
    table, _ = forecaster.create_train_X_y(df["y"], exog=df[["a", "b"]])
    X3 = skforecast_table_as_windows(table, n_lags=4)
    w = make_windows(df, target="y", window=4, future_covariates=["a", "b"])
    assert_array_equal(X3[:, :, 0], w.X[:, :, 0])
    assert_array_equal(X3[:, -1, 1:], w.X[:, -1, 1:])
    assert (X3[:, :, 1:] == X3[:, -1:, 1:]).all()  # constant over the steps


def _lags_exog_data(n=60, seed=0):
    rng = np.random.RandomState(seed)
    df = pd.DataFrame({"y": rng.normal(size=n).cumsum(), "a": rng.normal(size=n),
                       "b": rng.normal(size=n)})
    return df["y"] + df["a"], df[["a", "b"]]


def test_skforecast_named_lags_exog_table_warns_unless_declared():
    """skforecast's fit passes bare ndarrays, so the layout is declared with
    newest_first and n_exog; a table named lag_1 .. lag_p read otherwise warns."""
    recursive = pytest.importorskip("skforecast.recursive")
    y, exog = _lags_exog_data()
    forecaster = recursive.ForecasterRecursive(Recorder(), lags=5)
    table, target = forecaster.create_train_X_y(y, exog=exog)  # DataFrame, named
    X3 = skforecast_table_as_windows(table, n_lags=5)
    lstm = {"hidden_layer_sizes": (3,), "solver": "lbfgs", "max_iter": 5, "random_state": 0}
    with pytest.warns(DataLayoutWarning, match="Pass newest_first=True, n_exog=2"):
        LSTMRegressor(**lstm).fit(table, target)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        on_table = LSTMRegressor(newest_first=True, n_exog=2, **lstm).fit(table, target)
    on_windows = LSTMRegressor(**lstm).fit(X3, target)
    assert_allclose(on_table.predict(table), on_windows.predict(X3), rtol=1e-12)
    # skforecast predicts from a bare ndarray: positions keep the reading.
    assert_allclose(on_table.predict(table.to_numpy()), on_windows.predict(X3), rtol=1e-12)


class NamedRecorder(Recorder):
    """A Recorder that also keeps the column names of the tables it is given."""

    def fit(self, X, y):
        self.fit_columns_ = list(getattr(X, "columns", []))
        return super().fit(X, y)


def test_skforecast_window_features_count_as_columns_after_the_lags():
    # skforecast puts window features between the lags and exog: lag_1 ..
    # lag_p, roll_*, exog. Declared as n_exog = features + exog, each is a
    # channel holding its value at every step; the warning counts them too.
    recursive = pytest.importorskip("skforecast.recursive")
    RollingFeatures = pytest.importorskip("skforecast.preprocessing").RollingFeatures
    y, exog = _lags_exog_data()
    forecaster = recursive.ForecasterRecursive(
        Recorder(), lags=3, window_features=RollingFeatures(stats=["mean"], window_sizes=4))
    table, target = forecaster.create_train_X_y(y, exog=exog)
    assert list(table.columns) == ["lag_1", "lag_2", "lag_3", "roll_mean_4", "a", "b"]
    lstm = {"hidden_layer_sizes": (3,), "solver": "lbfgs", "max_iter": 5, "random_state": 0}
    with pytest.warns(DataLayoutWarning, match="followed by 3 other column.*Pass "
                                               "newest_first=True, n_exog=3"):
        LSTMRegressor(**lstm).fit(table, target)
    with pytest.warns(DataLayoutWarning, match="Pass n_exog=3 to"):
        LSTMRegressor(newest_first=True, n_exog=2, **lstm).fit(table, target)
    values = table.to_numpy()
    windows = np.concatenate([values[:, 2::-1, None],
                              np.repeat(values[:, None, 3:], 3, axis=1)], axis=2)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        on_table = LSTMRegressor(newest_first=True, n_exog=3, **lstm).fit(table, target)
    on_windows = LSTMRegressor(**lstm).fit(windows, target)
    assert_allclose(on_table.predict(values), on_windows.predict(windows), rtol=1e-12)


def test_sktime_reducers_newest_first_lag_names_warn_unless_declared():
    # DirectReductionForecaster names its columns lag_0__y, lag_1__y, ...:
    # newest first, which the defaults read as oldest first.
    compose = pytest.importorskip("sktime.forecasting.compose")
    with warnings.catch_warnings():
        forecaster = compose.DirectReductionForecaster(NamedRecorder(), window_length=4)
        forecaster.fit(ramp(20), fh=[1])
    recorder = forecaster.estimators_[0]
    table = pd.DataFrame(recorder.fit_X_, columns=recorder.fit_columns_)
    assert recorder.fit_columns_ == ["lag_0__y", "lag_1__y", "lag_2__y", "lag_3__y"]
    assert_array_equal(table.iloc[-1], [118, 117, 116, 115])  # newest first
    target = recorder.fit_y_
    lstm = {"hidden_layer_sizes": (3,), "solver": "lbfgs", "max_iter": 3, "random_state": 0}
    with pytest.warns(DataLayoutWarning, match=r"lag_0__y \.\. lag_3__y \(newest first\).*"
                                               "Pass newest_first=True to read them"):
        LSTMRegressor(**lstm).fit(table, target)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        LSTMRegressor(newest_first=True, **lstm).fit(table, target)


def test_sktime_global_reduction_names_lags_newest_first_then_exogenous():
    # make_reduction(pooling="global") names its columns y_lag_1 .. y_lag_w
    # (newest first), then X's columns at the target time: skforecast's
    # layout. Read with the defaults, the exogenous value became the newest
    # lag and the lags ran backwards, silently.
    make_reduction = pytest.importorskip("sktime.forecasting.compose").make_reduction
    rng = np.random.RandomState(0)
    y = pd.Series(rng.normal(size=40).cumsum(), name="sales")
    exog = pd.DataFrame({"temp": 20 + 5 * rng.normal(size=40)})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sktime's notes on global pooling
        forecaster = make_reduction(NamedRecorder(), window_length=3, pooling="global")
        forecaster.fit(y, X=exog, fh=[1])
    recorder = forecaster.estimator_
    assert recorder.fit_columns_ == ["sales_lag_1", "sales_lag_2", "sales_lag_3", "temp"]
    table = pd.DataFrame(recorder.fit_X_, columns=recorder.fit_columns_)
    assert_array_equal(table.iloc[0], [y[2], y[1], y[0], exog["temp"][3]])
    lstm = {"hidden_layer_sizes": (3,), "solver": "lbfgs", "max_iter": 5, "random_state": 0}
    with pytest.warns(DataLayoutWarning, match=r"sales_lag_1 \.\. sales_lag_3 \(newest "
                                               r"first\) followed by 1 other.*Pass "
                                               r"newest_first=True, n_exog=1"):
        LSTMRegressor(**lstm).fit(table, recorder.fit_y_)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        declared = LSTMRegressor(newest_first=True, n_exog=1, **lstm).fit(
            table, recorder.fit_y_)
    on_windows = LSTMRegressor(**lstm).fit(
        skforecast_table_as_windows(table, 3), recorder.fit_y_)
    assert_allclose(declared.out_coef_, on_windows.out_coef_, rtol=1e-12)


def test_sktime_recursive_reducer_with_exogenous_columns_first_warns():
    # RecursiveReductionForecaster puts X's columns before the lags
    # (lag_1__lag_0__y: lag 1 of lag 0), which no declaration can read.
    compose = pytest.importorskip("sktime.forecasting.compose")
    df = pd.DataFrame({"y": ramp(20), "x": 500.0 + np.arange(20)})
    with warnings.catch_warnings():
        forecaster = compose.RecursiveReductionForecaster(NamedRecorder(), window_length=3)
        forecaster.fit(df["y"], X=df[["x"]], fh=[1])
    recorder = forecaster.estimator_
    assert recorder.fit_columns_[0] == "x"
    table = pd.DataFrame(recorder.fit_X_, columns=recorder.fit_columns_)
    with pytest.warns(DataLayoutWarning, match="put 1 other column.*before the lags"):
        LSTMRegressor(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=3).fit(
            table, recorder.fit_y_)


def test_lag_names_of_several_channels_are_left_to_their_declaration():
    cols = ["lag_3", "lag_2", "lag_1", "temp_lag_3", "temp_lag_2", "temp_lag_1"]
    table = pd.DataFrame(np.random.RandomState(0).normal(size=(30, 6)), columns=cols)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        LSTMRegressor((2,), solver="lbfgs", max_iter=1, n_channels=2,
                      column_order="channel_major").fit(table, np.arange(30.0))


@pytest.mark.parametrize("columns, exog, order", [
    (["s1_lag_1", "s1_lag_2", "s1_lag_3", "s2_lag_1", "s2_lag_2", "s2_lag_3"], [],
     "channel_major"),
    (["lag_0__y", "lag_1__y", "lag_0__x", "lag_1__x"], ["promo"], "channel_major"),
    # A step's variables side by side, as lags built lag by lag.
    (["s1_lag_1", "s2_lag_1", "s1_lag_2", "s2_lag_2", "s1_lag_3", "s2_lag_3"], [],
     "time_major"),
    (["lag_1__y", "lag_1__x", "lag_2__y", "lag_2__x"], ["promo"], "time_major"),
])
def test_the_same_lags_of_several_variables_are_advised_as_channels(columns, exog, order):
    """skforecast's multivariate tables (and sktime's names) hold each
    variable's lags in turn, or each lag's variables in turn: read with the
    defaults, one channel's steps ran through every variable, silently."""
    rng = np.random.RandomState(0)
    table = pd.DataFrame(rng.normal(size=(30, len(columns) + len(exog))),
                         columns=columns + exog)
    target = rng.normal(size=30)
    kw = dict(hidden_layer_sizes=(2,), solver="lbfgs", max_iter=3, random_state=0)
    advice = dict(n_channels=2, column_order=order, newest_first=True, n_exog=len(exog))
    text = ", ".join(f"{k}={v!r}" for k, v in advice.items() if k != "n_exog" or exog)
    with pytest.warns(DataLayoutWarning, match=re.escape(f"Pass {text} to read each")):
        LSTMRegressor(**kw).fit(table, target)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        advised = LSTMRegressor(**advice, **kw).fit(table, target)
    # Read as advised: each variable a channel, oldest lag first, its columns
    # found by name.
    n_lags = len(columns) // 2
    values = table.to_numpy()
    of = [c.split("__")[-1] if "__" in c else c.rpartition("_lag_")[0] for c in columns]
    steps = np.stack([values[:, [k for k, v in enumerate(of) if v == variable][::-1]]
                      for variable in dict.fromkeys(of)], 2)
    assert steps.shape == (30, n_lags, 2)
    if exog:
        steps = np.concatenate([steps, np.repeat(values[:, None, -1:], n_lags, 1)], axis=2)
    on_steps = LSTMRegressor(**kw).fit(steps, target)
    assert_allclose(advised.predict(table), on_steps.predict(steps), rtol=1e-10)


def test_skforecast_multivariate_tables_are_advised_as_channels():
    direct = pytest.importorskip("skforecast.direct")
    index = pd.date_range("2020-01-01", periods=40, freq="D")
    series = pd.DataFrame({"s1": np.sin(np.arange(40) / 3), "s2": np.cos(np.arange(40) / 4)},
                          index=index)
    forecaster = direct.ForecasterDirectMultiVariate(
        LSTMRegressor(), level="s1", lags=3, steps=2)
    table, targets = forecaster.create_train_X_y(series)
    table, target = forecaster.filter_train_X_y_for_step(step=1, X_train=table,
                                                         y_train=targets)
    with pytest.warns(DataLayoutWarning, match="Pass n_channels=2, column_order="
                                               "'channel_major', newest_first=True to read"):
        LSTMRegressor(hidden_layer_sizes=(2,), solver="lbfgs", max_iter=2).fit(table, target)


@pytest.mark.parametrize("columns, quiet", [
    (["lag_3", "lag_2", "lag_1"], {}),                                # oldest first
    (["lag_1", "a"], {"n_exog": 1}),
    # Declared exogenous columns, whatever their names (skforecast's exog).
    (["lag_1", "lag_2", "lag_3", "x", "temp_lag_1"], {"newest_first": True, "n_exog": 2}),
    (["price", "temp", "temp_lag_1"], {"n_channels": 3}),  # one step of features
    (["lag_" + "1" * 5000, "y"], {}),  # no lag number int() would refuse to read
    (["lag_x", "lags_2", "y"], {}),                                   # not lag names
    (["x_lag_\u00b2", "lag_\u00b2", "y"], {}),       # superscript digits: not lag numbers
])
def test_lag_names_warn_only_when_read_otherwise(columns, quiet):
    table = pd.DataFrame(np.random.RandomState(0).normal(size=(6, len(columns))),
                         columns=columns)
    target = np.arange(6.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        LSTMRegressor(hidden_layer_sizes=(2,), solver="lbfgs", max_iter=2, **quiet).fit(
            table, target)
    flipped = {"newest_first": not quiet.get("newest_first", False)}
    if len(columns) == 3 and columns[0].startswith("lag_") and columns[0][4:].isdigit():
        with pytest.warns(DataLayoutWarning, match="Pass newest_first="):
            LSTMRegressor(hidden_layer_sizes=(2,), solver="lbfgs", max_iter=2,
                          **flipped).fit(table, target)


def test_lags_that_skip_steps_warn_in_the_layout_that_reads_them():
    """Fixed bug: skforecast's lags=[1, 2, 7], read newest first as named, were
    three consecutive steps without a word (the warning for the other order
    said so, and advised newest_first=True, which then read them silently)."""
    table = pd.DataFrame(np.random.RandomState(0).normal(size=(6, 3)),
                         columns=["lag_1", "lag_2", "lag_7"])
    params = dict(hidden_layer_sizes=(2,), solver="lbfgs", max_iter=2)
    with pytest.warns(DataLayoutWarning, match=r"named as the lags 1, 2, 7 of one variable: they "
                                               r"are read as 3 consecutive steps.*lags=7 rather"):
        LSTMRegressor(**params, newest_first=True).fit(table, np.arange(6.0))
    with pytest.warns(DataLayoutWarning, match="not consecutive.*Pass newest_first=True"):
        LSTMRegressor(**params).fit(table, np.arange(6.0))
    # Two variables with the same gapped lags, read one after the other.
    table = pd.DataFrame(np.ones((6, 4)), columns=["a_lag_1", "a_lag_3", "b_lag_1", "b_lag_3"])
    with pytest.warns(DataLayoutWarning, match="named as the lags 1, 3 of each variable"):
        LSTMRegressor(**params, **READ_AS_SKFORECAST_MULTIVARIATE).fit(table, np.arange(6.0))


READ_AS_SKFORECAST_MULTIVARIATE = dict(n_channels=2, column_order="channel_major",
                                      newest_first=True)


@pytest.mark.parametrize("columns, declared, why", [
    # skforecast's multivariate rows with window_features: each series'
    # rolling mean stands between the series' lags, read as its oldest step.
    (["a_lag_1", "a_lag_2", "a_lag_3", "a_roll_mean_4",
      "b_lag_1", "b_lag_2", "b_lag_3", "b_roll_mean_4"], READ_AS_SKFORECAST_MULTIVARIATE,
     r"a_roll_mean_4 name\(s\) no lag but stand between lag columns"),
    # lags={"a": [1, 3], "b": [1, 2]}: a_lag_3 was read beside b_lag_2.
    (["a_lag_1", "a_lag_3", "b_lag_1", "b_lag_2"], READ_AS_SKFORECAST_MULTIVARIATE,
     r"the variables have different lags \(a: 1, 3; b: 1, 2\)"),
    (["lag_0__y1", "lag_1__y2", "lag_0__y2"], {},
     r"the variables have different lags \(y1: 0; y2: 1, 0\)"),
    # A ColumnTransformer's output (set_output(transform="pandas")): its
    # transformers were named s_ and remainder_.
    (["s__lag_4", "s__lag_5", "remainder__lag_1", "remainder__lag_2", "remainder__lag_3"],
     {"newest_first": True}, r"the variables have different lags \(s: 4, 5; remainder: 1, 2, "
                             r"3\)"),
    (["lag_1", "lag_3", "lag_2"], {"newest_first": True},
     r"lags run in neither direction \(unnamed: 1, 3, 2\)"),
    (["x", "a_lag_1", "a_lag_2", "b_lag_2", "b_lag_1"], {},
     r"1 other column\(s\) come before the lags, and the variables' lags come in different "
     r"orders \(a: 1, 2; b: 2, 1\)"),
    (["lag_1", "lag_01", "x"], {"n_exog": 1}, r"a variable repeats a lag \(unnamed: 1, 1\)"),
    (["a_lag_1", "b_lag_1", "b_lag_2", "a_lag_2"], {},
     r"the variables' columns are neither in blocks of one variable each nor each step's "
     r"variables side by side \(a: 1, 2; b: 1, 2\)"),
    # An exogenous column named as a lag, undeclared: the remedy is n_exog.
    (["lag_1", "lag_2", "lag_3", "x", "temp_lag_1"], {"newest_first": True},
     r"x name\(s\) no lag but stand between lag columns\. They are read as 5 steps of one "
     r"channel \(newest_first=True\)\..*declare those with n_exog, whatever their names"),
])
def test_lag_names_that_no_layout_reads_warn_whatever_the_declaration(columns, declared, why):
    """Were read silently: names of several variables were checked only
    when read as one channel, and only for a layout they fit."""
    table = pd.DataFrame(np.random.RandomState(0).normal(size=(12, len(columns))),
                         columns=columns)
    with pytest.warns(DataLayoutWarning, match="no layout of n_channels, column_order, "
                      "newest_first and n_exog reads them as sequences: " + why):
        LSTMRegressor(hidden_layer_sizes=(2,), solver="lbfgs", max_iter=2, **declared).fit(
            table, np.arange(12.0))


@pytest.mark.parametrize("columns, declared, advice, advised", [
    (["s1_lag_1", "s1_lag_2", "s2_lag_1", "s2_lag_2"],
     dict(n_channels=2, column_order="time_major", newest_first=True),
     "read as 2 steps of n_channels=2 (column_order='time_major', newest_first=True). Pass "
     "n_channels=2, column_order='channel_major', newest_first=True to read each variable",
     dict(n_channels=2, column_order="channel_major", newest_first=True)),
    (["lag_1", "lag_2", "lag_3", "lag_4"], dict(n_channels=2, newest_first=True),
     "read as 2 steps of n_channels=2 (column_order='time_major', newest_first=True). "
     "Pass n_channels=1 to read them as lags.",
     dict(newest_first=True)),
    (["s1_lag_1", "s2_lag_1", "promo"], {},
     "named as the same lag of 2 variables (s1_lag_1, s2_lag_1) followed by 1 other "
     "column(s), but they are read as 3 steps of one channel (newest_first=False). Pass "
     "n_channels=2, n_exog=1 to read each variable",
     dict(n_channels=3)),  # one step: every column a channel of it
    # A stale n_exog copies the oldest lag to every step as an exogenous value...
    (["lag_1", "lag_2", "lag_3"], dict(newest_first=True, n_exog=1),
     "read as 2 steps of one channel (newest_first=True, n_exog=1). Pass n_exog=0 to read",
     dict(newest_first=True)),
    (["lag_1", "lag_2"], dict(n_exog=1), "Pass newest_first=True, n_exog=0 to read",
     dict(newest_first=True)),
    # ... but an exogenous column named as a lag of another variable is one.
    (["lag_1", "lag_2", "temp_lag_1"], dict(n_channels=2, n_exog=1),
     "read as 1 step of n_channels=2 (column_order='time_major', newest_first=False, "
     "n_exog=1). Pass n_channels=1, newest_first=True to read",
     dict(newest_first=True, n_exog=1)),
    # A stale n_exog makes a window of two steps one step of four channels.
    (["a_lag_1", "a_lag_2", "b_lag_1", "b_lag_2"],
     dict(n_channels=2, column_order="channel_major", newest_first=True, n_exog=2),
     "Pass n_channels=2, column_order='channel_major', newest_first=True, n_exog=0 to read",
     dict(n_channels=2, column_order="channel_major", newest_first=True)),
])
def test_lag_names_read_in_another_layout_of_channels_warn_with_the_layout(
        columns, declared, advice, advised):
    """Names were not checked at all when the table was read as several
    channels, nor when the variables had one lag each."""
    table = pd.DataFrame(np.random.RandomState(0).normal(size=(12, len(columns))),
                         columns=columns)
    kw = dict(hidden_layer_sizes=(2,), solver="lbfgs", max_iter=2)
    with pytest.warns(DataLayoutWarning, match=re.escape(advice)):
        LSTMRegressor(**kw, **declared).fit(table, np.arange(12.0))
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        LSTMRegressor(**kw, **advised).fit(table, np.arange(12.0))


def test_a_lag_beyond_a_gap_declared_exogenous_is_trusted():
    """Fixed bug: a seasonal lag passed as exogenous (y_lag_7 after lags 1
    to 3, sktime's X) was taken for a stale n_exog, with the advice to read
    it as a fourth step after lag 3. The next lag (y_lag_4) still is stale."""
    kw = dict(hidden_layer_sizes=(2,), solver="lbfgs", max_iter=2, newest_first=True, n_exog=1)
    rng = np.random.RandomState(0)
    seasonal = pd.DataFrame(rng.normal(size=(12, 4)),
                            columns=["y_lag_1", "y_lag_2", "y_lag_3", "y_lag_7"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        LSTMRegressor(**kw).fit(seasonal, np.arange(12.0))
        # One lag then a seasonal one: no spacing to continue.
        LSTMRegressor(**kw).fit(seasonal[["y_lag_1", "y_lag_7"]], np.arange(12.0))
    # The next lag, or the next of evenly spaced ones, is a stale n_exog's.
    for renamed in ({"y_lag_7": "y_lag_4"},
                    {"y_lag_1": "y_lag_7", "y_lag_2": "y_lag_14", "y_lag_3": "y_lag_21",
                     "y_lag_7": "y_lag_28"}):
        with pytest.warns(DataLayoutWarning, match=r"Pass n_exog=0 to read them as lags"):
            LSTMRegressor(**kw).fit(seasonal.rename(columns=renamed), np.arange(12.0))


def test_lag_names_advise_only_a_fit_of_a_declaration_that_fits_the_columns():
    kw = dict(hidden_layer_sizes=(2,), solver="lbfgs", max_iter=2)
    table = pd.DataFrame(np.random.RandomState(0).normal(size=(12, 3)),
                         columns=["lag_1", "lag_2", "lag_3"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        with pytest.raises(ValueError, match="cannot hold n_channels=2"):
            LSTMRegressor(**kw, n_channels=2).fit(table, np.arange(12.0))
        # At predict the model's reading is fixed: no advice of parameters.
        steps = table.to_numpy()[:, None, :]
        model = LSTMRegressor(**kw, data_format="channels_last").fit(steps, np.arange(12.0))
        assert_array_equal(model.predict(table), model.predict(steps))


def test_skforecast_multivariate_window_features_warn_that_no_layout_reads_them():
    direct = pytest.importorskip("skforecast.direct")
    preprocessing = pytest.importorskip("skforecast.preprocessing")
    index = pd.date_range("2020-01-01", periods=40, freq="D")
    series = pd.DataFrame({"a": np.sin(np.arange(40) / 3), "b": np.cos(np.arange(40) / 4)},
                          index=index)
    forecaster = direct.ForecasterDirectMultiVariate(
        LSTMRegressor(), level="a", lags=3, steps=1,
        window_features=preprocessing.RollingFeatures(stats=["mean"], window_sizes=4))
    table, target = forecaster.filter_train_X_y_for_step(
        1, *forecaster.create_train_X_y(series))
    assert list(table.columns)[3] == "a_roll_mean_4"
    with pytest.warns(DataLayoutWarning, match="no layout .* reads them as sequences: "
                                               "a_roll_mean_4"):
        LSTMRegressor(hidden_layer_sizes=(2,), solver="lbfgs", max_iter=2,
                      **READ_AS_SKFORECAST_MULTIVARIATE).fit(table, target)


def test_sktime_global_pooling_on_a_panel_reads_windows_without_the_panel_warning():
    """Its rows of named lags keep the panel's MultiIndex: they were warned
    about as time points, with advice that would have broken the windows."""
    make_reduction = pytest.importorskip("sktime.forecasting.compose").make_reduction
    rng = np.random.RandomState(0)
    index = pd.MultiIndex.from_product([["i0", "i1", "i2"], pd.RangeIndex(20)],
                                       names=["instance", "time"])
    y = pd.DataFrame({"sales": rng.normal(size=60).cumsum()}, index=index)
    lstm = LSTMRegressor((3,), solver="lbfgs", max_iter=3, random_state=0, newest_first=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # sktime's own notes
        warnings.simplefilter("error", DataLayoutWarning)
        forecaster = make_reduction(lstm, window_length=3, pooling="global")
        forecast = forecaster.fit(y, fh=[1, 2]).predict(fh=[1, 2])
    assert forecast.shape == (6, 1) and np.isfinite(forecast.to_numpy()).all()


def test_sktime_classifier_pipeline_rows_read_channel_major_are_the_panel():
    # SklearnClassifierPipeline flattens sktime's channels-first panel
    # channel by channel; read time-major, the rows mixed the channels.
    compose = pytest.importorskip("sktime.classification.compose")
    Id = pytest.importorskip("sktime.transformations.compose").Id
    rng = np.random.RandomState(0)
    panel = rng.normal(size=(60, 2, 8))  # (instances, channels, time points)
    labels = np.where(panel[:, 0, -1] + panel[:, 1, -2] > 0, "up", "down")
    kw = dict(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=5, random_state=0)
    pipeline = compose.SklearnClassifierPipeline(
        LSTMClassifier(**kw, n_channels=2, column_order="channel_major"), [Id()])
    pipeline.fit(panel[:40], labels[:40])
    direct = LSTMClassifier(**kw, data_format="channels_first").fit(panel[:40], labels[:40])
    assert_allclose(pipeline.predict_proba(panel[40:]), direct.predict_proba(panel[40:]),
                    rtol=1e-10)


def test_sktime_time_series_regressor_reduction_reads_channels_first_windows():
    make_reduction = pytest.importorskip("sktime.forecasting.compose").make_reduction
    rng = np.random.RandomState(1)
    exog = pd.DataFrame(rng.normal(size=(43, 2)), columns=["x1", "x2"])
    y = pd.Series(np.sin(np.arange(40) / 3) + 0.5 * exog["x1"][:40], name="y")
    kw = dict(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=5, random_state=0)
    fh = [1, 2, 3]
    forecasts = []
    for lstm, scitype in [
            (LSTMRegressor(**kw, n_channels=3, column_order="channel_major"), "tabular-regressor"),
            (LSTMRegressor(**kw, data_format="channels_first"), "time-series-regressor")]:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # sktime's own notes
            forecaster = make_reduction(lstm, window_length=4, strategy="direct",
                                        scitype=scitype)
            forecaster.fit(y, X=exog[:40], fh=fh)
            forecasts.append(forecaster.predict(fh, X=exog[40:]).to_numpy())
    assert_allclose(forecasts[1], forecasts[0], rtol=1e-10)


def test_skforecast_recursive_with_exog_fits_lstm_as_3d():
    recursive = pytest.importorskip("skforecast.recursive")
    y, exog = _lags_exog_data()
    lstm = {"hidden_layer_sizes": (3,), "solver": "lbfgs", "max_iter": 5, "random_state": 0}
    forecaster = recursive.ForecasterRecursive(
        LSTMRegressor(newest_first=True, n_exog=2, **lstm), lags=5
    )
    forecaster.fit(y, exog=exog)
    table, target = forecaster.create_train_X_y(y, exog=exog)
    on_windows = LSTMRegressor(**lstm).fit(skforecast_table_as_windows(table, 5), target)
    assert_allclose(forecaster.estimator.out_coef_, on_windows.out_coef_, rtol=1e-12)
    steps = forecaster.predict(steps=3, exog=exog.iloc[:3].set_axis(
        pd.RangeIndex(len(y), len(y) + 3)))
    assert steps.shape == (3,) and np.isfinite(steps).all()


@pytest.mark.parametrize("strategy", ["recursive", "direct"])
def test_sktime_make_reduction_exog_layout_two_columns(strategy):
    # sktime/forecasting/compose/_reduce.py, _sliding_window_transform_local:
    #     z = _concat_y_X(y, X)              # variables: y, then X's columns
    #     Xt = Zt[:, :, :window_length]      # (n, n_variables, window_length)
    # "This excludes contemporaneous values of the exogenous variables": the
    # exog enter as lags at the same times as y's, i.e. past covariates.
    make_reduction = pytest.importorskip("sktime.forecasting.compose").make_reduction
    df = exog_frame()
    forecaster = make_reduction(Recorder(), window_length=3, strategy=strategy)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        forecaster.fit(df["y"], X=df[["a", "b"]], fh=[1, 2])
        recorder = (forecaster.estimator_ if strategy == "recursive"
                    else forecaster.estimators_[0])
        assert_array_equal(recorder.fit_X_[0], [100, 101, 102, 500, 501, 502,
                                                900, 901, 902])
        w = make_windows(df, target="y", past_covariates=["a", "b"], window=3,
                         horizon=1 if strategy == "recursive" else 2)
        table = w.X.transpose(0, 2, 1).reshape(len(w), -1)  # channel-major
        assert_array_equal(recorder.fit_X_, table)
        # Predict reads the last window of y and X; X's new rows are not used
        # for the first step (no contemporaneous exog).
        future = pd.DataFrame({"a": [512.0, 513.0], "b": [912.0, 913.0]},
                              index=[12, 13])
        forecaster.predict(fh=[1, 2], X=future)
    assert_array_equal(recorder.predict_X_[0][0],
                       [109, 110, 111, 509, 510, 511, 909, 910, 911])
    lstm_reads_table_as_windows(
        recorder.fit_X_, w.X, n_channels=3, column_order="channel_major"
    )
