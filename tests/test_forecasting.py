"""Tests of sklstm.forecasting: exact windows, alignment, errors, round trips.

Expected arrays are written out by hand from tiny frames whose values encode
their position (``y[i] = i``, ``p[i] = 10 + i``, ...), so a shift by one step
shows up as a wrong number. The forecasters are tested with sklearn stand-ins
for the LSTM: a flattening ridge regression, and regressors whose answer is
known exactly.
"""

import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklstm import LSTMRegressor
from sklstm.exceptions import CalibrationWarning, IterationLimitWarning
from sklstm.forecasting import (
    DirectForecaster,
    RecursiveForecaster,
    Windows,
    make_windows,
)
from sklstm.forecasting._base import _DEFAULT_LSTM_PARAMS


def _flatten(X):
    # Module level, so that fitted forecasters pickle.
    return X.reshape(len(X), -1)


def flat_ridge(alpha=1.0):
    return make_pipeline(FunctionTransformer(_flatten), Ridge(alpha=alpha))


def flat_linear():
    return make_pipeline(FunctionTransformer(_flatten), LinearRegression())


class LastValue(RegressorMixin, BaseEstimator):
    """Predicts, for every output, the window's last value of channel 0."""

    def fit(self, X, y):
        self.n_outputs_ = 1 if np.ndim(y) == 1 else np.shape(y)[1]
        return self

    def predict(self, X):
        last = np.asarray(X)[:, -1, 0]
        if self.n_outputs_ == 1:
            return last
        return np.repeat(last[:, None], self.n_outputs_, axis=1)


class MeanPlusOffset(RegressorMixin, BaseEstimator):
    """Predicts the mean of its fit targets plus ``offset``: a regressor whose
    error is a fixed amount in the units it is fitted in (as an MLP's,
    which stops a few hundredths from a constant)."""

    def __init__(self, offset=0.03):
        self.offset = offset

    def fit(self, X, y):
        self.mean_ = np.mean(y, axis=0)
        return self

    def predict(self, X):
        return np.broadcast_to(self.mean_ + self.offset, (len(X),) + np.shape(self.mean_))


def ramp(n, start=0, **columns):
    """Frame with y = 0, 1, ..., n-1 and extra columns ``name=offset``."""
    data = {"y": np.arange(n, dtype=float)}
    data.update(
        {name: offset + np.arange(n, dtype=float) for name, offset in columns.items()}
    )
    return pd.DataFrame(data, index=pd.RangeIndex(start, start + n))


# --------------------------------------------------------------------------
# make_windows: exact windows
# --------------------------------------------------------------------------


def test_basic_window():
    df = pd.DataFrame({"y": [10.0, 11, 12, 13, 14, 15]})
    w = make_windows(df, target="y", window=3)
    assert isinstance(w, Windows)
    assert w.X.dtype == np.float64 and w.y.dtype == np.float64
    assert_array_equal(
        w.X, [[[10], [11], [12]], [[11], [12], [13]], [[12], [13], [14]]]
    )
    assert_array_equal(w.y, [[13], [14], [15]])
    assert list(w.origins) == [2, 3, 4]
    assert w.channels == ("y",)
    assert w.target_names == ("y_t+1",)
    assert len(w) == 3


def test_gap():
    w = make_windows(ramp(7), target="y", window=2, gap=2)
    assert_array_equal(w.X[:, :, 0], [[0, 1], [1, 2], [2, 3]])
    assert_array_equal(w.y, [[4], [5], [6]])
    assert list(w.origins) == [1, 2, 3]
    assert w.target_names == ("y_t+3",)


def test_stride_keeps_latest_window():
    w = make_windows(ramp(10), target="y", window=2, stride=3)
    # Origins counted back from the latest (8): 8, 5, 2; origin 1 is skipped.
    assert list(w.origins) == [2, 5, 8]
    assert_array_equal(w.X[:, :, 0], [[1, 2], [4, 5], [7, 8]])
    assert_array_equal(w.y, [[3], [6], [9]])


def test_target_names_stay_unique_where_targets_print_alike():
    # Targets 1 and "1" both became "1_t+1": a frame of y's columns had two
    # of one name.
    df = ramp(6, b=100).set_axis([1, "1"], axis=1)
    w = make_windows(df, target=[1, "1"], window=2, horizon=2)
    assert w.target_names == ("1_t+1", "'1'_t+1", "1_t+2", "'1'_t+2")
    assert make_windows(df, target=[1], window=2).target_names == ("1_t+1",)


def test_horizon_and_multiple_targets_step_major():
    df = ramp(6, b=100)
    w = make_windows(df, target=["y", "b"], window=2, horizon=2)
    assert w.channels == ("y", "b")
    assert w.target_names == ("y_t+1", "b_t+1", "y_t+2", "b_t+2")
    assert list(w.origins) == [1, 2, 3]
    assert_array_equal(
        w.X,
        [
            [[0, 100], [1, 101]],
            [[1, 101], [2, 102]],
            [[2, 102], [3, 103]],
        ],
    )
    assert_array_equal(w.y, [[2, 102, 3, 103], [3, 103, 4, 104], [4, 104, 5, 105]])


def test_past_and_future_covariates_alignment():
    # Column order in the frame differs from the role order on purpose.
    df = ramp(8, f=20, p=10)[["f", "p", "y"]]
    w = make_windows(
        df,
        target="y",
        window=2,
        gap=1,
        horizon=2,
        past_covariates="p",
        future_covariates="f",
    )
    assert w.channels == ("y", "p", "f")
    assert w.target_names == ("y_t+2", "y_t+3")
    # Last origin is 8 - 1 - gap - horizon = 4.
    assert list(w.origins) == [1, 2, 3, 4]
    # y and p at t-1, t; f shifted by gap + horizon = 3: at t+2, t+3, which
    # are exactly the target times.
    assert_array_equal(
        w.X,
        [
            [[0, 10, 23], [1, 11, 24]],
            [[1, 11, 24], [2, 12, 25]],
            [[2, 12, 25], [3, 13, 26]],
            [[3, 13, 26], [4, 14, 27]],
        ],
    )
    assert_array_equal(w.y, [[3, 4], [4, 5], [5, 6], [6, 7]])


def test_datetime_index_with_freq():
    index = pd.date_range("2024-03-01", periods=5, freq="D")
    df = pd.DataFrame({"y": [1.0, 2, 3, 4, 5]}, index=index)
    w = make_windows(df, target="y", window=2, horizon=2)
    expected = pd.DatetimeIndex(["2024-03-02", "2024-03-03"])
    pd.testing.assert_index_equal(w.origins, expected, check_names=False)
    assert w.origins.freq == pd.offsets.Day()
    assert_array_equal(w.y, [[3, 4], [4, 5]])


def test_datetime_index_with_inferable_unset_freq():
    index = pd.DatetimeIndex(
        ["2021-01-01", "2021-02-01", "2021-03-01", "2021-04-01", "2021-05-01"]
    )
    assert index.freq is None
    df = pd.DataFrame({"y": [1.0, 2, 3, 4, 5]}, index=index)
    # Inferred without a warning: pandas 3 warns at each infer_freq that it
    # will return an offset, unless asked for one.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        w = make_windows(df, target="y", window=3)
    assert list(w.origins) == [pd.Timestamp("2021-03-01"), pd.Timestamp("2021-04-01")]
    assert_array_equal(w.X[:, :, 0], [[1, 2, 3], [2, 3, 4]])
    assert_array_equal(w.y, [[4], [5]])
    # The origins carry the frequency read, as a set one's do (times stride).
    assert w.origins.freq == pd.offsets.MonthBegin()
    strided = make_windows(df, target="y", window=1, stride=2)
    assert strided.origins.freq == 2 * pd.offsets.MonthBegin()


def test_a_missing_timestamp_is_named_without_a_pandas_warning():
    index = pd.date_range("2021-01-01", periods=8, freq="D").delete(4)
    df = pd.DataFrame({"y": np.arange(7.0)}, index=pd.DatetimeIndex(list(index)))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match="2021-01-05"):
            make_windows(df, target="y", window=3)


def test_range_and_integer_index():
    w = make_windows(ramp(5, start=100), target="y", window=2)
    assert list(w.origins) == [101, 102, 103]
    df = pd.DataFrame({"y": [5.0, 6, 7, 8]}, index=pd.Index([3, 4, 5, 6]))
    w = make_windows(df, target="y", window=3)
    assert list(w.origins) == [5]
    assert_array_equal(w.X, [[[5], [6], [7]]])
    assert_array_equal(w.y, [[8]])


def test_series_input():
    w = make_windows(pd.Series([1.0, 2, 3, 4], name="load"), window=2)
    assert w.channels == ("load",)
    assert w.target_names == ("load_t+1",)
    assert_array_equal(w.y, [[3], [4]])
    w = make_windows(pd.Series([1.0, 2, 3, 4]), window=3)
    assert w.channels == ("y",) and w.target_names == ("y_t+1",)
    assert_array_equal(w.X, [[[1], [2], [3]]])
    with pytest.raises(ValueError, match="does not match the Series"):
        make_windows(pd.Series([1.0, 2, 3], name="load"), target="sales", window=1)


def test_number_of_windows_formula():
    for n, window, gap, horizon, stride in [
        (20, 3, 0, 1, 1),
        (20, 4, 2, 3, 2),
        (11, 5, 1, 5, 7),
    ]:
        w = make_windows(
            ramp(n), target="y", window=window, gap=gap, horizon=horizon, stride=stride
        )
        assert len(w) == (n - window - gap - horizon) // stride + 1
        assert w.origins[-1] == n - 1 - gap - horizon


# --------------------------------------------------------------------------
# make_windows: NaN handling and errors
# --------------------------------------------------------------------------


def test_nan_raises_naming_column_and_label():
    index = pd.date_range("2024-01-01", periods=6, freq="D")
    df = pd.DataFrame(
        {"y": [0.0, 1, 2, np.nan, 4, 5], "x": np.arange(6.0)}, index=index
    )
    with pytest.raises(ValueError, match=r"'y'.*2024-01-04.*dropna=True"):
        make_windows(df, target="y", window=2, past_covariates="x")


def test_dropna_drops_exactly_the_touching_windows():
    df = ramp(8)
    df.loc[3, "y"] = np.nan
    w = make_windows(df, target="y", window=2, dropna=True)
    # Origins 1..6; row 3 is an input of origins 3, 4 and the target of 2.
    assert list(w.origins) == [1, 5, 6]
    assert_array_equal(w.X[:, :, 0], [[0, 1], [4, 5], [5, 6]])
    assert_array_equal(w.y, [[2], [6], [7]])


def test_dropna_uses_shifted_future_covariates():
    df = ramp(8, f=20)
    df.loc[5, "f"] = np.nan
    w = make_windows(df, target="y", window=2, future_covariates="f", dropna=True)
    # f enters shifted by 1: window at origin t reads f at t and t+1, so
    # row 5 is touched by origins 4 and 5 only.
    assert list(w.origins) == [1, 2, 3, 6]
    assert_array_equal(w.X[-1], [[5, 26], [6, 27]])


def test_dropna_everything_dropped():
    df = ramp(4)
    df.loc[1, "y"] = np.nan
    with pytest.raises(ValueError, match="all 2 windows include a NaN"):
        make_windows(df, target="y", window=2, dropna=True)


def test_inf_always_raises():
    df = ramp(5)
    df.loc[2, "y"] = np.inf
    with pytest.raises(ValueError, match="'y'.*label 2"):
        make_windows(df, target="y", window=2, dropna=True)


def test_missing_timestamps():
    index = pd.date_range("2024-01-01", periods=8, freq="D").delete(4)
    df = pd.DataFrame({"y": np.arange(7.0)}, index=index)
    with pytest.raises(
        ValueError, match=r"missing 1 timestamp.*2024-01-05.*asfreq\('D'\)"
    ):
        make_windows(df, target="y", window=2)


def test_missing_business_days_are_named_on_the_business_day_grid():
    # Business days also lie on the daily grid, which misses every weekend:
    # the grid that misses fewest (the one holiday) is the data's.
    index = pd.bdate_range("2024-01-01", periods=40).drop(pd.Timestamp("2024-01-15"))
    df = pd.DataFrame({"y": np.arange(39.0)}, index=index)
    with pytest.raises(ValueError, match=r"missing 1 timestamp\(s\) for its frequency 'B': "
                                         r"2024-01-15 00:00:00\. Insert them with "
                                         r"df\.asfreq\('B'\)"):
        make_windows(df, target="y", window=2)


def test_missing_integer_labels():
    df = pd.DataFrame({"y": np.arange(5.0)}, index=[0, 1, 2, 4, 5])
    with pytest.raises(ValueError, match="step 1; labels 3 are missing"):
        make_windows(df, target="y", window=2)


@pytest.mark.parametrize("index, steps", [(pd.RangeIndex(0, 60, 2), "0 to 58 in steps of 2"),
                                          (pd.Index(range(1900, 2200, 10)),
                                           "1900 to 2190 in steps of 10")])
def test_evenly_stepped_integer_labels_are_named_by_their_step_not_as_holes(index, steps):
    # The labels between were listed as missing, with the advice to insert
    # them: every other row, or nine in ten, a row of NaN.
    series = pd.Series(np.arange(30.0), index=index, name="y")
    with pytest.raises(ValueError, match=rf"step 1; its labels run from {steps}\. "):
        make_windows(series.to_frame(), target="y", window=2)


def test_unsorted_and_duplicated_index():
    df = pd.DataFrame({"y": np.arange(4.0)}, index=[0, 2, 1, 3])
    with pytest.raises(ValueError, match=r"not sorted.*sort_index"):
        make_windows(df, target="y", window=2)
    df = pd.DataFrame({"y": np.arange(4.0)}, index=[0, 1, 1, 2])
    with pytest.raises(ValueError, match="duplicated labels"):
        make_windows(df, target="y", window=2)


def test_no_inferable_frequency():
    index = pd.DatetimeIndex(
        ["2024-01-01", "2024-01-03", "2024-01-04", "2024-01-10 05:00"]
    )
    df = pd.DataFrame({"y": np.arange(4.0)}, index=index)
    with pytest.raises(ValueError, match="no freq and none can be inferred"):
        make_windows(df, target="y", window=2)


def test_unsupported_index_type():
    df = pd.DataFrame({"y": np.arange(4.0)}, index=list("abcd"))
    with pytest.raises(TypeError, match="DatetimeIndex, a PeriodIndex or an integer index"):
        make_windows(df, target="y", window=2)


def test_window_longer_than_data():
    with pytest.raises(ValueError, match=r"4 rows.*3 \+ 1 \+ 1 = 5 rows"):
        make_windows(ramp(4), target="y", window=3, gap=1)


def test_unknown_column_and_two_roles():
    df = ramp(6, x=10)
    with pytest.raises(
        ValueError, match=r"'nope' given as past_covariates is not in data"
    ):
        make_windows(df, target="y", window=2, past_covariates=["x", "nope"])
    with pytest.raises(
        ValueError, match=r"'x' is given both as past_covariates and as future"
    ):
        make_windows(
            df, target="y", window=2, past_covariates="x", future_covariates="x"
        )
    with pytest.raises(ValueError, match=r"'y' is given both as target and as past"):
        make_windows(df, target="y", window=2, past_covariates="y")
    with pytest.raises(ValueError, match="listed twice"):
        make_windows(df, target="y", window=2, future_covariates=["x", "x"])
    # The columns to choose from are named.
    with pytest.raises(ValueError, match=r"target is required when data is a DataFrame: name "
                                         r"the column\(s\) to forecast among 'y', 'x'\."):
        make_windows(df, window=2)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"window": 0}, ValueError, "make_windows: window must be an int >= 1, got 0"),
        ({"window": 2.0}, TypeError, "window must be an int >= 1, got 2.0"),
        ({"window": 2, "horizon": 0}, ValueError, "horizon must be an int >= 1"),
        ({"window": 2, "gap": -1}, ValueError, "gap must be an int >= 0"),
        ({"window": 2, "stride": True}, TypeError, "stride must be an int >= 1"),
        ({"window": "2"}, TypeError, "window must be"),
    ],
)
def test_invalid_sizes(kwargs, error, message):
    with pytest.raises(error, match=message):
        make_windows(ramp(10), target="y", **kwargs)


def test_non_numeric_column():
    df = ramp(5)
    df["day"] = list("abcde")
    with pytest.raises(ValueError, match="'day' has non-numeric dtype"):
        make_windows(df, target="y", window=2, future_covariates="day")


# --------------------------------------------------------------------------
# Forecasters
# --------------------------------------------------------------------------


def covariate_frame(n=30):
    """Daily frame: y depends on its past, a past covariate and a future one."""
    rng = np.random.default_rng(0)
    index = pd.date_range("2023-01-01", periods=n + 5, freq="D")
    f = rng.normal(size=n + 5)
    p = rng.normal(size=n + 5)
    y = np.cumsum(rng.normal(size=n + 5)) + 2 * f
    df = pd.DataFrame({"y": y, "p": p, "f": f}, index=index)
    return df.iloc[:n], df.iloc[n:]


def test_direct_matches_independent_computation():
    history, future = covariate_frame()
    window, horizon = 4, 3
    model = DirectForecaster(
        flat_ridge(),
        window=window,
        horizon=horizon,
        target="y",
        past_covariates="p",
        future_covariates="f",
        scale_target=False,
        center_windows=False,
    ).fit(history)
    forecast = model.predict(future=future)

    w = make_windows(
        history,
        target="y",
        window=window,
        horizon=horizon,
        past_covariates="p",
        future_covariates="f",
    )
    reference = clone(flat_ridge()).fit(w.X, w.y)
    # Last window by hand: y, p at the last 4 days; f shifted by 3 days.
    f_all = np.concatenate([history["f"].to_numpy(), future["f"].to_numpy()])
    n = len(history)
    x_last = np.column_stack(
        [
            history["y"].to_numpy()[-window:],
            history["p"].to_numpy()[-window:],
            f_all[n - window + horizon : n + horizon],
        ]
    )[None]
    assert_allclose(forecast.to_numpy(), reference.predict(x_last)[0], rtol=1e-12)

    assert isinstance(forecast, pd.Series) and forecast.name == "y"
    expected_index = pd.date_range("2023-01-31", periods=3, freq="D")
    pd.testing.assert_index_equal(forecast.index, expected_index)
    assert forecast.index.freq == pd.offsets.Day()
    # A shorter horizon returns the first steps of the same forecast.
    assert_allclose(model.predict(2, future=future).to_numpy(), forecast.to_numpy()[:2])


def test_direct_gap_index_and_multiple_targets():
    df = ramp(20, b=100)
    model = DirectForecaster(
        flat_linear(), window=3, horizon=2, gap=2, target=["y", "b"]
    ).fit(df)
    forecast = model.predict()
    assert isinstance(forecast, pd.DataFrame)
    assert list(forecast.columns) == ["y", "b"]
    # History ends at 19; gap 2 skips 20, 21.
    pd.testing.assert_index_equal(forecast.index, pd.RangeIndex(22, 24))
    assert_allclose(forecast.to_numpy(), [[22, 122], [23, 123]], atol=1e-9)


def test_direct_horizon_too_large():
    model = DirectForecaster(flat_ridge(), window=3, horizon=2, target="y").fit(
        ramp(20)
    )
    with pytest.raises(ValueError, match="horizon=3 is more than the 2 steps"):
        model.predict(3)


def hand_rolled_recursive(history, future, window, horizon, ridge):
    """One-step model rolled forward with the future covariate shifted by one."""
    y = list(history["y"].to_numpy())
    f = np.concatenate([history["f"].to_numpy(), future["f"].to_numpy()])
    n = len(history)
    out = []
    for k in range(horizon):
        end = n + k  # index of the step being predicted
        x = np.column_stack([y[end - window : end], f[end - window + 1 : end + 1]])
        value = ridge.predict(x[None])[0]
        out.append(value)
        y.append(value)
    return np.array(out)


def test_recursive_equals_hand_rolled_loop():
    history, future = covariate_frame()
    window, horizon = 3, 5
    model = RecursiveForecaster(
        flat_ridge(),
        window=window,
        target="y",
        future_covariates="f",
        scale_target=False,
        center_windows=False,
    ).fit(history)
    forecast = model.predict(horizon, future=future)

    w = make_windows(history, target="y", window=window, future_covariates="f")
    ridge = clone(flat_ridge()).fit(w.X, w.y[:, 0])
    expected = hand_rolled_recursive(history, future, window, horizon, ridge)
    assert_allclose(forecast.to_numpy(), expected, rtol=1e-12)
    pd.testing.assert_index_equal(
        forecast.index, pd.date_range("2023-01-31", periods=horizon, freq="D")
    )


def test_recursive_with_scaling_equals_hand_rolled_loop():
    history, future = covariate_frame()
    history = history.assign(y=history["y"] * 50 + 1000)
    window, horizon = 3, 4
    model = RecursiveForecaster(
        flat_ridge(),
        window=window,
        target="y",
        future_covariates="f",
        center_windows=False,
    ).fit(history)
    mean, std = history["y"].mean(), history["y"].std(ddof=0)
    assert_allclose(model.target_mean_, [mean])
    assert_allclose(model.target_scale_, [std])

    scaled = history.assign(y=(history["y"] - mean) / std)
    w = make_windows(scaled, target="y", window=window, future_covariates="f")
    ridge = clone(flat_ridge()).fit(w.X, w.y[:, 0])
    expected = (
        hand_rolled_recursive(scaled, future, window, horizon, ridge) * std + mean
    )
    assert_allclose(
        model.predict(horizon, future=future).to_numpy(), expected, rtol=1e-12
    )


def test_recursive_gap_on_linear_series():
    df = ramp(15, start=10)
    model = RecursiveForecaster(flat_linear(), window=3, gap=1, target="y").fit(df)
    assert model.last_window_.shape == (4, 1)  # window + gap rows
    forecast = model.predict(4)
    pd.testing.assert_index_equal(forecast.index, pd.RangeIndex(25, 29))
    assert_allclose(forecast.to_numpy(), [15, 16, 17, 18], atol=1e-9)


def test_recursive_past_covariates_horizon_limit():
    history, _ = covariate_frame()
    model = RecursiveForecaster(
        flat_ridge(), window=3, target="y", past_covariates="p"
    ).fit(history)
    assert model.predict(1).shape == (1,)
    with pytest.raises(
        ValueError, match=r"at most gap \+ 1 = 1 step.*future_covariates"
    ):
        model.predict(2)
    model = RecursiveForecaster(
        flat_ridge(), window=3, gap=1, target="y", past_covariates="p"
    ).fit(history)
    assert model.predict(2).shape == (2,)


@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
def test_missing_future_covariates_at_predict(cls):
    history, future = covariate_frame()
    extra = {"horizon": 3} if cls is DirectForecaster else {}
    model = cls(
        flat_ridge(), window=3, target="y", future_covariates=["f", "p"], **extra
    ).fit(history)
    with pytest.raises(ValueError, match=r"\['f', 'p'\].*2023-01-31.*predict\(future="):
        model.predict(3)
    with pytest.raises(ValueError, match=r"'p' \(no such column\)"):
        model.predict(3, future=future[["f"]])
    partial = future.drop(future.index[1])
    with pytest.raises(ValueError, match=r"'f' at 2023-02-01.*'p' at 2023-02-01"):
        model.predict(3, future=partial)
    nan_future = future.copy()
    nan_future.iloc[2, nan_future.columns.get_loc("p")] = np.nan
    with pytest.raises(ValueError, match=r"Missing.*'p' at 2023-02-02 00:00:00 \(row absent"):
        model.predict(3, future=nan_future)
    inf_future = future.copy()
    inf_future.iloc[1, inf_future.columns.get_loc("f")] = -np.inf
    with pytest.raises(ValueError, match=r"'f' at 2023-02-01 00:00:00 \(infinite\)"):
        model.predict(3, future=inf_future)
    with pytest.raises(ValueError, match="future has an integer index, but fit saw timestamps"):
        model.predict(3, future=future.reset_index(drop=True))
    with pytest.raises(ValueError, match="future has timestamps in 'UTC'.*no time zone"):
        model.predict(3, future=future.tz_localize("UTC"))
    with pytest.raises(ValueError, match="future: the index has duplicated labels"):
        model.predict(3, future=pd.concat([future, future.iloc[:1]]).sort_index())
    # Extra rows and columns, and rows in any order, are fine.
    assert model.predict(3, future=future.assign(other=1.0)).shape == (3,)
    pd.testing.assert_series_equal(model.predict(3, future=future.iloc[::-1]),
                                   model.predict(3, future=future))


def test_predict_from_newer_history():
    df = ramp(30)
    model = DirectForecaster(LastValue(), window=3, horizon=2, target="y").fit(
        df.iloc[:20]
    )
    assert_allclose(model.predict().to_numpy(), [19, 19])
    forecast = model.predict(history=df)
    assert_allclose(forecast.to_numpy(), [29, 29])
    pd.testing.assert_index_equal(forecast.index, pd.RangeIndex(30, 32))
    with pytest.raises(
        ValueError, match="history has 2 rows; predict needs the last 3"
    ):
        model.predict(history=df.iloc[:2])
    dated = df.set_index(pd.date_range("2020-01-01", periods=30, freq="D"))
    with pytest.raises(
        ValueError, match=r"history has timestamps \(a DatetimeIndex\), but fit saw an integer index"
    ):
        model.predict(history=dated)


def test_history_must_continue_the_fitted_time_axis():
    df = ramp(30).set_index(pd.date_range("2020-01-01", periods=30, freq="D"))
    model = DirectForecaster(LastValue(), window=2, horizon=2, target="y").fit(df.iloc[:20])
    # As short as the window, with no freq to infer: the fitted freq serves.
    short = df.iloc[[27, 28]].copy()
    short.index = pd.DatetimeIndex(list(short.index))  # freq=None
    forecast = model.predict(history=short)
    assert_allclose(forecast.to_numpy(), [28, 28])
    assert list(forecast.index) == list(pd.date_range("2020-01-30", periods=2, freq="D"))
    with pytest.raises(ValueError, match="history has timestamps in 'Asia/Tokyo', but fit "
                       "saw timestamps of freq 'D' and no time zone"):
        model.predict(history=df.tz_localize("Asia/Tokyo"))
    with pytest.raises(ValueError, match=r"history does not follow the freq 'D'.*after "
                       r"2020-01-28 00:00:00 comes 2020-01-30"):
        model.predict(history=df.drop(df.index[28]))
    # Only the rows the forecast reads must be consecutive.
    pd.testing.assert_series_equal(model.predict(history=df.drop(df.index[5])),
                                   model.predict(history=df))
    hourly = df.set_axis(pd.date_range("2020-01-01", periods=30, freq="h"))
    with pytest.raises(ValueError, match="history does not follow the freq 'D'"):
        model.predict(history=hourly)
    aware = DirectForecaster(LastValue(), window=2, horizon=2, target="y").fit(
        df.tz_localize("UTC"))
    with pytest.raises(ValueError, match=r"history has naive timestamps.*tz_localize"):
        aware.predict(history=df)
    with pytest.raises(ValueError, match=r"in 'Asia/Tokyo'.*time zone 'UTC'; use .tz_convert"):
        aware.predict(history=df.tz_localize("UTC").tz_convert("Asia/Tokyo"))
    monthly = df.set_axis(pd.date_range("2000-01-01", periods=30, freq="MS"))
    model = DirectForecaster(LastValue(), window=2, horizon=2, target="y").fit(monthly)
    with pytest.raises(ValueError, match="label 2002-05-15 00:00:00 is not on that grid"):
        model.predict(history=monthly.set_axis(monthly.index + pd.Timedelta("14D")))


def test_history_off_the_grid_gets_advice_that_mends_it():
    """Labels off the fitted grid must be moved, which .asfreq cannot do
    (it would make those rows NaN); missing rows are what .asfreq inserts.
    Each message gives the advice that fits, and that advice works."""
    monthly = pd.DataFrame({"y": np.arange(30.0)},
                           index=pd.date_range("2000-01-01", periods=30, freq="MS"))
    model = DirectForecaster(LastValue(), window=3, horizon=2, target="y").fit(monthly)
    month_ends = monthly.set_axis(monthly.index + pd.offsets.MonthEnd(0))
    with pytest.raises(ValueError, match=r"Move its labels onto the grid of 'MS'") as error:
        model.predict(history=month_ends)
    assert "Insert the missing rows" not in str(error.value)
    assert month_ends.asfreq("MS")["y"].isna().all()  # what the former advice gave
    moved = month_ends.set_axis(month_ends.index.to_period("M").to_timestamp())
    pd.testing.assert_series_equal(model.predict(history=moved),
                                   model.predict(history=monthly))
    gap = monthly.drop(monthly.index[28])
    with pytest.raises(ValueError, match=r"Insert the missing rows first, e\.g\. with "
                       r"\.asfreq\('MS'\)") as error:
        model.predict(history=gap)
    assert "Move its labels" not in str(error.value)
    daily = monthly.set_axis(pd.date_range("2000-01-01", periods=30, freq="D"))
    hourly = daily.set_axis(pd.date_range("2000-01-01", periods=30, freq="h"))
    model = DirectForecaster(LastValue(), window=3, horizon=2, target="y").fit(daily)
    with pytest.raises(ValueError, match=r"Move its labels onto the grid of 'D'.*resample"):
        model.predict(history=hourly)


@pytest.mark.parametrize("freq, first, moved", [
    ("D", "2020-03-01 12:00", "12h"),  # local time against UTC, noon against midnight
    ("h", "2020-03-01 00:30", "30min"),
    ("MS", "2020-03-01 12:00", "12h"),  # a calendar step: its time of day
    ("bh", "2020-03-02 09:30", "30min"),  # business hours: minutes past the hour
])
def test_history_off_the_fitted_grid_by_a_time_of_day_is_refused(freq, first, moved):
    """Labels a step apart but off the fitted grid were accepted, and the
    forecasts were labelled on the history's grid. The message says how
    to move them, and that advice, followed, gives the fitted grid's forecast."""
    index = pd.date_range("2020-01-01", periods=30, freq=freq)
    df = ramp(30).set_index(index)
    model = DirectForecaster(LastValue(), window=2, horizon=2, target="y").fit(df)
    history = df.iloc[:10].set_axis(pd.date_range(first, periods=10, freq=freq))
    with pytest.raises(ValueError, match=r"history's label .* is not on the grid of freq "
                       rf"'{freq}' that fit saw, which runs through its label "
                       rf"{index[-1]}") as error:
        model.predict(history=history)
    advice = re.search(r"e\.g\. (history\.set_axis\(.*\))\.$", str(error.value)).group(1)
    assert f"- pd.Timedelta('{pd.Timedelta(moved)}')" in advice
    forecast = model.predict(history=eval(advice, {"pd": pd, "history": history}))
    assert_array_equal(forecast.to_numpy(), model.predict(history=df.iloc[:10]).to_numpy())
    on_grid = pd.date_range(pd.Timestamp(first) - pd.Timedelta(moved), periods=12, freq=freq)
    assert_array_equal(forecast.index, on_grid[10:])
    # On the grid, before the fit data as after it, the history is read.
    earlier = df.iloc[:10].set_axis(pd.date_range("2019-01-01", periods=10, freq=freq))
    assert model.predict(history=earlier).index[0] == earlier.index[-1] + index.freq


@pytest.mark.parametrize("freq, start, off, on", [
    # is_on_offset holds every day of '2D', every Sunday of '2W', every
    # month start of '2MS', every business day of '2B': one step of the
    # base offset off the fitted grid was read.
    ("2D", "2020-01-01", "2020-06-02", "2020-06-03"),
    ("2W", "2020-01-05", "2020-06-14", "2020-06-21"),
    ("2MS", "2020-01-01", "2021-02-01", "2021-03-01"),
    ("2B", "2020-01-01", "2020-06-02", "2020-06-03"),
    ("2bh", "2020-01-06 09:00", "2020-01-06 10:00", "2020-01-06 11:00"),
    # is_on_offset holds every day of an undated Week and of DateOffset(days=2).
    (pd.offsets.Week(), "2021-02-10", "2021-03-13", "2021-03-10"),
    (pd.DateOffset(days=2), "2021-02-10", "2021-03-13", "2021-03-14"),
])
def test_history_a_base_step_off_a_multiple_frequency_is_refused(freq, start, off, on):
    df = ramp(30).set_index(pd.date_range(start, periods=30, freq=freq))
    model = DirectForecaster(LastValue(), window=2, horizon=2, target="y").fit(df)
    history = df.iloc[:6]
    with pytest.raises(ValueError, match=r"is not on the grid of freq "):
        model.predict(history=history.set_axis(pd.date_range(off, periods=6, freq=freq)))
    on_grid = history.set_axis(pd.date_range(on, periods=6, freq=freq))
    assert_array_equal(model.predict(history=on_grid).to_numpy(), [5.0, 5.0])


def test_history_on_business_hours_of_half_hour_days_is_read():
    """Hours from 09:30 to 16:00 step from 15:30 to 10:00 next day: fitted
    labels at :30 one day and :00 the next. Comparing minutes past the hour
    refused the fit's own rows as a history."""
    hours = pd.offsets.BusinessHour(start="09:30", end="16:00")
    df = ramp(34).set_index(pd.date_range("2020-01-06 09:30", periods=34, freq=hours))
    model = DirectForecaster(LastValue(), window=2, horizon=2, target="y").fit(df)
    for rows in (slice(0, 6), slice(5, 12), slice(20, 34)):
        forecast = model.predict(history=df.iloc[rows])
        assert forecast.iloc[0] == df["y"].iloc[rows].iloc[-1]


def _history_error(model, history):
    with pytest.raises(ValueError, match="history does not follow the freq") as error:
        model.predict(2, history=history)
    return str(error.value)


def test_history_grid_advice_in_a_time_zone_outside_nanoseconds_and_far_apart():
    """The advice is decided label by label: across a DST change (where a
    grid of pandas' own raised pytz's errors), for dates beyond the
    nanosecond range, and for a mistyped last label years after the others
    (a grid to it would hold billions of labels)."""
    berlin = pd.date_range("2021-03-01 02:30", "2021-03-27 02:30", freq="D", tz="Europe/Berlin")
    model = RecursiveForecaster(LastValue(), window=4, calibration=None, target="y").fit(
        pd.DataFrame({"y": np.arange(27.0)}, index=berlin))
    across = pd.DatetimeIndex([pd.Timestamp(f"2021-03-{day} 02:30", tz="Europe/Berlin")
                               for day in (20, 22, 23, 24, 25, 29)])
    assert "Insert the missing rows" in _history_error(
        model, pd.DataFrame({"y": np.arange(6.0)}, index=across))

    far = pd.date_range("2300-01-01", periods=40, freq="MS", unit="s")
    frame = pd.DataFrame({"y": np.arange(40.0)}, index=far)
    model = RecursiveForecaster(LastValue(), window=4, calibration=None, target="y").fit(frame)
    gap = frame.drop(frame.index[-2])
    assert "Insert the missing rows first, e.g. with .asfreq('MS')" in _history_error(model, gap)
    assert gap.asfreq("MS")["y"].isna().sum() == 1  # the advice mends it

    seconds = pd.date_range("2024-01-01", periods=200, freq="s")
    frame = pd.DataFrame({"y": np.arange(200.0)}, index=seconds)
    model = RecursiveForecaster(LastValue(), window=8, calibration=None, target="y").fit(frame)
    mistyped = frame.set_axis(seconds[:-1].append(
        pd.DatetimeIndex([seconds[-1] + pd.Timedelta("3650D")])))
    assert "Insert the missing rows" in _history_error(model, mistyped)
    off_phase = frame.set_axis(seconds[:-1].append(
        pd.DatetimeIndex([seconds[-1] + pd.Timedelta("1500ms")])))
    message = _history_error(model, off_phase)
    assert "index.floor('s')" in message
    moved = off_phase.set_axis(off_phase.index.floor("s"))
    assert "history does not follow" not in str(model.predict(2, history=moved.iloc[:-1]))


def test_fit_rejects_nan():
    df = ramp(10)
    df.loc[4, "y"] = np.nan
    with pytest.raises(ValueError, match="'y' has 1 missing.*label 4"):
        DirectForecaster(flat_ridge(), window=2, horizon=1, target="y").fit(df)


# --------------------------------------------------------------------------
# Target transforms and scaling round trips
# --------------------------------------------------------------------------


@pytest.mark.parametrize("transform", [None, "log", "diff"])
@pytest.mark.parametrize("scale", [False, True])
@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
def test_round_trip_with_last_value_regressor(transform, scale, cls):
    # In model units LastValue repeats the last window value, so the exact
    # forecast in original units is known for each transform.
    y = np.array([3.0, 5.0, 4.0, 8.0, 6.0, 9.0, 7.0, 12.0])
    df = pd.DataFrame({"y": y}, index=pd.date_range("2020-01-01", periods=8, freq="MS"))
    extra = {"horizon": 3} if cls is DirectForecaster else {}
    model = cls(
        LastValue(),
        window=2,
        target="y",
        target_transform=transform,
        scale_target=scale,
        **extra,
    ).fit(df)
    forecast = model.predict(3)
    if transform == "diff":
        expected = 12.0 + 5.0 * np.arange(1, 4)  # last diff 12 - 7 accumulated
    else:
        expected = np.full(3, 12.0)  # exp(log(12)), or (12 - m) / s * s + m
    assert_allclose(forecast.to_numpy(), expected, rtol=1e-13)
    pd.testing.assert_index_equal(
        forecast.index, pd.date_range("2020-09-01", periods=3, freq="MS")
    )


@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
@pytest.mark.parametrize(
    "transform, values, expected",
    [
        # Linear in model units, so a linear regression is exact.
        (None, 1000.0 + 5.0 * np.arange(12), 1000.0 + 5.0 * np.arange(12, 15)),
        ("log", 3.0 * 1.5 ** np.arange(12), 3.0 * 1.5 ** np.arange(12, 15)),
        ("diff", np.arange(12.0) ** 2, np.arange(12.0, 15.0) ** 2),
    ],
)
def test_exact_forecast_of_series_linear_in_model_units(
    cls, transform, values, expected
):
    df = pd.DataFrame({"y": values})
    extra = {"horizon": 3} if cls is DirectForecaster else {}
    model = cls(
        flat_linear(), window=3, target="y", target_transform=transform, **extra
    ).fit(df)
    assert_allclose(model.predict(3).to_numpy(), expected, rtol=1e-9)


def test_scaling_statistics_and_constant_target():
    df = pd.DataFrame({"y": [2.0, 4.0, 6.0, 8.0, 10.0]})
    model = DirectForecaster(LastValue(), window=2, horizon=1, target="y").fit(df)
    assert_allclose(model.target_mean_, [6.0])
    assert_allclose(model.target_scale_, [np.std([2, 4, 6, 8, 10])])
    model = DirectForecaster(
        LastValue(), window=2, horizon=1, target="y", target_transform="diff"
    ).fit(df)
    assert_allclose(model.target_mean_, [2.0])
    assert_allclose(model.target_scale_, [1.0])  # constant differences: min(1, their size)
    assert_allclose(model.predict().to_numpy(), [12.0])


@pytest.mark.parametrize("cls", [RecursiveForecaster, DirectForecaster])
@pytest.mark.parametrize("level", [1e-5, 0.5, -3.0, 101325.0])
@pytest.mark.parametrize("transform", [None, "log"])
def test_a_regressors_error_on_a_constant_series_stays_within_its_size(cls, level, transform):
    """A regressor 0.03 off in model units was 0.03 off in the series' units
    at scale 1: 3000 times the size of a series at 1e-5. A constant series is
    scaled by the smaller of 1 and its size (after the transform: a log
    error is relative already), as the same series one ulp apart in places
    is by its size where that is below 1."""
    if transform == "log" and level < 0:
        pytest.skip("log needs positive targets")
    extra = {"horizon": 3} if cls is DirectForecaster else {}
    exact = pd.Series(np.full(40, level), name="y")
    forecast = cls(MeanPlusOffset(), window=4, center_windows=False, target_transform=transform,
                   **extra).fit(exact).predict(3).to_numpy()
    if transform is None:
        assert_allclose(forecast, level + 0.03 * min(1.0, abs(level)), rtol=1e-12)
    else:  # an error of 0.03 * min(1, |log c|) in log units
        assert_allclose(forecast, level * np.exp(0.03 * min(1.0, abs(np.log(level)))),
                        rtol=1e-12)
    if transform is None and abs(level) < 1:
        rounded = exact.where(np.arange(40) % 5 > 0, np.nextafter(level, np.inf))
        assert_allclose(cls(MeanPlusOffset(), window=4, center_windows=False, **extra)
                        .fit(rounded).predict(3).to_numpy(), forecast, rtol=1e-12)
    # A series of zeros keeps scale 1.
    zeros = cls(MeanPlusOffset(), window=4, **extra).fit(exact * 0.0)
    assert zeros.target_scale_[0] == 1.0


@pytest.mark.parametrize("cls", [RecursiveForecaster, DirectForecaster])
def test_a_constant_series_with_a_varying_covariate_is_forecast_as_that_constant(cls):
    """The covariate moves the hidden state, which training alone leaves
    feeding the forecast (3.0 was forecast up to 0.6 % off): the regressor
    settles the head of a constant target at that constant instead."""
    rng = np.random.RandomState(0)
    index = pd.date_range("2024-01-01", periods=84)
    extra = {"horizon": 4} if cls is DirectForecaster else {}
    for value in (3.0, 101325.0):
        df = pd.DataFrame({"y": value, "price": rng.normal(size=84)}, index=index)
        model = cls(window=6, target="y", future_covariates=["price"], random_state=0,
                    **extra).fit(df[:80])
        assert_array_equal(model.predict(4, future=df[80:][["price"]]).to_numpy(), value)


def test_log_needs_positive_targets():
    df = pd.DataFrame({"y": [1.0, 2.0, 0.0, 4.0, 5.0]})
    with pytest.raises(
        ValueError, match=r"'log' needs positive targets.*'y' has 0.0 at label 2"
    ):
        RecursiveForecaster(
            LastValue(), window=2, target="y", target_transform="log"
        ).fit(df)


@pytest.mark.parametrize(
    "cls, params, error, message",
    [
        (DirectForecaster, {"target_transform": "sqrt"}, ValueError,
         "DirectForecaster: target_transform must be None or one of 'diff', 'log'"),
        (RecursiveForecaster, {"target_transform": 1}, TypeError,
         "target_transform must be None or one of"),
        (DirectForecaster, {"gap": 1, "target_transform": "diff"}, ValueError,
         "'diff' needs gap=0"),
        (RecursiveForecaster, {"scale_target": "yes"}, TypeError,
         "RecursiveForecaster: scale_target must be True or False"),
        (RecursiveForecaster, {"dropna": "yes"}, TypeError, "dropna must be True or"),
        (RecursiveForecaster, {"window": 0}, ValueError, "window must be an int >= 1"),
        (DirectForecaster, {"window": 2.0}, TypeError, "window must be an int >= 1"),
        (DirectForecaster, {"horizon": 0}, ValueError, "horizon must be an int >= 1"),
        (DirectForecaster, {"horizon": None}, TypeError, "horizon must be an int"),
        (RecursiveForecaster, {"gap": -1}, ValueError, "gap must be an int >= 0"),
        (RecursiveForecaster, {"gap": np.float64(1)}, TypeError, "gap must be an int"),
        (DirectForecaster, {"regressor": "ridge"}, TypeError,
         r"DirectForecaster: regressor must be None or an object with fit and predict"),
        (RecursiveForecaster, {"regressor": LastValue}, TypeError,
         r"regressor must be None or an object with fit and predict methods \(an estimator "
         r"instance\), got <class"),
        (DirectForecaster, {"target": {"y"}}, TypeError,
         "target must be a column name or a list of names; got a set"),
        (RecursiveForecaster, {"target": {"y": 1}}, TypeError, "got a dict"),
        (RecursiveForecaster, {"past_covariates": frozenset({"y"})}, TypeError,
         "past_covariates must be a column name or a list"),
    ],
)
def test_invalid_forecaster_params(cls, params, error, message):
    params = {"window": 2, "target": "y", **params}
    regressor = params.pop("regressor", LastValue())
    if cls is DirectForecaster:
        params.setdefault("horizon", 1)
    with pytest.raises(error, match=message):
        cls(regressor, **params).fit(ramp(10))


@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
def test_infinite_values_are_not_missing_values(cls):
    # dropna=True skips NaN; inf is an error whose advice is not dropna.
    extra = {"horizon": 2} if cls is DirectForecaster else {}
    df = ramp(20, x=1)
    df.loc[7, "x"] = np.inf
    model = cls(flat_linear(), window=2, target="y", past_covariates="x", dropna=True, **extra)
    with pytest.raises(ValueError, match=r"column 'x' has 1 infinite value\(s\), the first at "
                       r"label 7; replace them with finite values\.$"):
        model.fit(df)
    df.loc[7, "x"] = np.nan
    assert model.fit(df).n_windows_ > 0


@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
def test_invalid_predict_horizon(cls):
    extra = {"horizon": 2} if cls is DirectForecaster else {}
    model = cls(LastValue(), window=2, target="y", **extra).fit(ramp(10))
    with pytest.raises(TypeError, match=rf"{cls.__name__}.predict: horizon must be"):
        model.predict(1.5)
    with pytest.raises(ValueError, match="horizon must be an int >= 1, got 0"):
        model.predict(0)


@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
def test_failed_fit_leaves_a_fitted_forecaster_unchanged(cls):
    extra = {"horizon": 2} if cls is DirectForecaster else {}
    model = cls(flat_linear(), window=2, target="y", **extra).fit(ramp(12))
    before = model.predict(2)
    bad = ramp(20)
    bad.loc[15, "y"] = np.nan
    model.set_params(window=5, target_transform="diff")
    with pytest.raises(ValueError, match=r"missing value\(s\) \(NaN\)"):
        model.fit(bad)
    assert model.n_windows_ == (12 - 2 - 2 + 1 if extra else 12 - 2 - 1 + 1)
    with pytest.raises(ValueError, match="fitted with window=2, but window is now 5"):
        model.predict(2)
    model.set_params(window=2, target_transform=None)
    pd.testing.assert_series_equal(model.predict(2), before)


def _same_state(generator, other):
    return all(np.array_equal(a, b) for a, b in zip(generator.get_state(), other.get_state()))


@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
def test_failed_fit_puts_back_the_generator_passed_as_random_state(cls):
    """Fixed bug: the default LSTM drew its seed from the forecaster's
    RandomState, and a fit failing after it (a CalibrationWarning turned into
    an error) left the generator moved on: the forecaster pickled otherwise,
    and the next fit was not the one that would have followed."""
    values = np.sin(np.arange(40) / 3) + 2
    values[[3, 8, 13, 18, 23]] = np.nan  # the calibration part holds no complete window
    data = pd.DataFrame({"y": values}, index=pd.date_range("2024-01-01", periods=40))
    extra = {"horizon": 1} if cls is DirectForecaster else {}
    params = dict(window=4, target="y", dropna=True, calibration_size=0.4, **extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = cls(random_state=np.random.RandomState(0), **params).fit(data)
    twin = pickle.loads(pickle.dumps(model))
    saved = pickle.dumps(model)
    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        with pytest.raises(CalibrationWarning, match="without calibrated intervals"):
            model.fit(data)
    assert pickle.dumps(model) == saved
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert_allclose(model.fit(data).predict(1), twin.fit(data).predict(1), rtol=0)
    # The fitted regressor holds its own generator, not the caller's.
    assert model.regressor_.random_state is not model.random_state
    # A given regressor keeps its own random_state: the forecaster's is not drawn from.
    generator = np.random.RandomState(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cls(LSTMRegressor((2,), max_iter=2, random_state=1), random_state=generator,
            **params).fit(data)
    assert _same_state(generator, np.random.RandomState(0))


@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
@pytest.mark.parametrize("transform", [None, "diff", "log"])
@pytest.mark.parametrize("factor", [1e-300, 1e154])
def test_targets_in_extreme_units_forecast_as_in_unit_ones(cls, transform, factor):
    # Squared deviations of targets near 1e154 overflow float64, and those of
    # targets near 1e-300 underflow; the statistics are computed without either.
    df = pd.DataFrame({"y": np.exp(np.arange(12.0) / 3)})
    extra = {"horizon": 2} if cls is DirectForecaster else {}
    forecasts = [
        cls(LastValue(), window=2, target="y", target_transform=transform, **extra)
        .fit(df * scale).predict(2).to_numpy()
        for scale in (1.0, factor)
    ]
    assert_allclose(forecasts[1], forecasts[0] * factor, rtol=1e-9)


def test_target_transforms_invert_their_transform():
    from sklstm.forecasting._target_transforms import TARGET_TRANSFORMS

    raw = np.exp(np.random.default_rng(0).normal(size=(8, 2)))
    assert set(TARGET_TRANSFORMS) == {None, "diff", "log"}
    for name, transform in TARGET_TRANSFORMS.items():
        assert transform.name == name
        values = transform.transform(raw, np.arange(8), ("a", "b"))
        assert values.shape == (8 - transform.n_consumed, 2)
        # The forecasts of rows 5.. from the raw values up to row 4.
        future = values[5 - transform.n_consumed :]
        assert_allclose(transform.inverse(future, last_raw=raw[4]), raw[5:])
        # Only a cumulative inverse needs the last raw values.
        shifted = transform.inverse(future, last_raw=raw[4] + 1.0)
        assert np.allclose(shifted, raw[5:]) != transform.cumulative


# --------------------------------------------------------------------------
# Estimator conventions
# --------------------------------------------------------------------------


def seasonal_frame(n=96, period=12, seed=0):
    """Monthly frame: a noisy seasonal wave on a trend, and a calendar covariate."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    y = 10 + 0.05 * t + np.sin(2 * np.pi * t / period) + 0.05 * rng.normal(size=n)
    index = pd.date_range("2010-01-01", periods=n, freq="MS")
    return pd.DataFrame({"y": y, "month": np.cos(2 * np.pi * t / period)}, index=index)


@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
def test_default_regressor_is_a_small_lbfgs_lstm(cls):
    from sklstm import LSTMRegressor

    df = seasonal_frame()
    train, test = df.iloc[:-6], df.iloc[-6:]
    extra = {"horizon": 6} if cls is DirectForecaster else {}
    model = cls(window=12, target="y", target_transform="diff", random_state=0, **extra)
    with warnings.catch_warnings():
        # Whether the capped run warns is test_default_regressor_cap_is_silent's.
        warnings.simplefilter("ignore", ConvergenceWarning)
        forecast = model.fit(train).predict(6)
    assert model.regressor is None
    assert isinstance(model.regressor_, LSTMRegressor)
    params = model.regressor_.get_params()
    assert {k: params[k] for k in _DEFAULT_LSTM_PARAMS} == _DEFAULT_LSTM_PARAMS
    assert params["random_state"] == 0
    assert model.regressor_.n_iter_ <= _DEFAULT_LSTM_PARAMS["max_iter"]
    pd.testing.assert_index_equal(forecast.index, test.index)
    assert forecast.name == "y"
    # It learns the season: far better than repeating the last value.
    mae = np.abs(forecast - test["y"]).mean()
    naive = np.abs(train["y"].iloc[-1] - test["y"]).mean()
    assert mae < 0.3 * naive
    # Deterministic with random_state.
    again = clone(model).fit(train).predict(6)
    pd.testing.assert_series_equal(forecast, again)


def _cap_warns_iteration_limit():
    """Whether LSTMRegressor reports a reached max_iter as IterationLimitWarning."""
    from sklstm import LSTMRegressor

    X = np.random.default_rng(0).normal(size=(6, 3, 1))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LSTMRegressor(
            hidden_layer_sizes=(2,), solver="lbfgs", max_iter=1, random_state=0
        ).fit(X, X[:, -1, 0])
    return any(issubclass(w.category, IterationLimitWarning) for w in caught)


def ar1_series(n, seed, phi=0.5, level=10.0):
    """A stationary AR(1) series: ``y_t - level = phi (y_{t-1} - level) + N(0, 1)``."""
    noise = np.random.default_rng(seed).normal(size=n)
    y = np.zeros(n)
    for t in range(1, n):
        y[t] = phi * y[t - 1] + noise[t]
    return pd.Series(y + level, name="y")


@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
def test_default_regressor_does_not_fit_the_noise_of_a_short_series(cls):
    """On 120 rows of AR(1) noise, the default forecasters err little more
    than the forecast that knows the process, ``level + phi^k (y_o - level)``.
    Without the default LSTM's penalty and the centred windows they erred
    1.4 to 1.6 times as much (``benchmarks/bench_forecasting.py`` saw the
    same on real series: worse than naive)."""
    from sklstm.forecasting import backtest

    n_fit, horizon, phi = 120, 4, 0.5
    extra = {"horizon": horizon} if cls is DirectForecaster else {}
    ratios = []
    for draw in range(4):
        y = ar1_series(n_fit + 40, draw, phi)
        model = cls(window=8, random_state=0, calibration=None, **extra)
        result = backtest(model, y, initial=n_fit, step=1, horizon=horizon, refit=False)
        origins = np.arange(n_fit - 1, len(y) - horizon)
        truth = np.stack([y.to_numpy()[o + 1 : o + 1 + horizon] for o in origins])
        known = 10.0 + (y.to_numpy()[origins, None] - 10.0) * phi ** np.arange(1, horizon + 1)
        ratios.append(np.abs(result.errors.to_numpy()).mean() / np.abs(truth - known).mean())
    assert np.mean(ratios) < 1.35, ratios


@pytest.mark.xfail(
    not _cap_warns_iteration_limit(),
    reason="LSTMRegressor does not yet report max_iter as IterationLimitWarning",
    strict=True,
)
@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
def test_default_regressor_cap_is_silent(cls):
    extra = {"horizon": 6} if cls is DirectForecaster else {}
    model = cls(window=12, target="y", target_transform="diff", random_state=0, **extra)
    with warnings.catch_warnings():
        # The capped L-BFGS run must not warn: its budget is deliberate.
        warnings.simplefilter("error", ConvergenceWarning)
        model.fit(seasonal_frame().iloc[:-6])
    assert model.regressor_.n_iter_ == _DEFAULT_LSTM_PARAMS["max_iter"]


@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
def test_default_cap_stays_silent_when_regressor_keys_set_other_parameters(cls):
    """regressor__ keys turn regressor=None into the default LSTM with those
    parameters: its cap is still the default's deliberate one (a grid search
    over regressor__alpha warned at every fit). A cap of the user's own
    still warns."""
    from sklstm import LSTMRegressor

    extra = {"horizon": 6} if cls is DirectForecaster else {}
    model = cls(window=12, target="y", target_transform="diff", random_state=0, **extra)
    data = seasonal_frame().iloc[:-6]
    tuned = clone(model).set_params(regressor__alpha=1.0, regressor__hidden_layer_sizes=(4,))
    recipe = clone(model).set_params(
        regressor=LSTMRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=100))
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for quiet in (tuned, recipe, clone(tuned)):
            quiet.fit(data)
            assert quiet.regressor_.n_iter_ == _DEFAULT_LSTM_PARAMS["max_iter"]
    with pytest.warns(IterationLimitWarning):
        clone(model).set_params(regressor__max_iter=3).fit(data)
    # The same class and cap, built otherwise, is no longer the recipe: it warns.
    with pytest.warns(IterationLimitWarning):
        clone(model).set_params(regressor=LSTMRegressor(
            hidden_layer_sizes=(8,), solver="lbfgs", max_iter=100, alpha=10.0, tol=0.0,
            solver_options={"gtol": 0.0}, random_state=0)).fit(data)


def test_a_slow_encoder_decoder_of_ones_own_keeps_its_cap_warning():
    """The default for future covariates is the encoder-decoder with its
    class's own solver and epochs: one passed by hand with another learning
    rate must still say that it stopped at its cap."""
    from sklstm import LSTMEncoderDecoderRegressor

    df = seasonal_frame(n=60)
    df["f"] = np.sin(np.arange(60))
    common = dict(window=6, horizon=3, target="y", future_covariates="f", calibration=None,
                  random_state=0)
    slow = LSTMEncoderDecoderRegressor(hidden_layer_sizes=(4,), learning_rate_init=1e-5,
                                       tol=0.0, random_state=0)
    with pytest.warns(IterationLimitWarning):
        DirectForecaster(slow, **common).fit(df)
    with warnings.catch_warnings():
        warnings.simplefilter("error", IterationLimitWarning)
        DirectForecaster(**common).set_params(regressor__alpha=1e-3).fit(df)


def test_default_regressor_silences_only_its_cap(monkeypatch):
    from sklstm import LSTMRegressor
    from sklstm._training import _warn_at_the_cap
    from sklstm.forecasting import _base

    class WarningLSTM(LSTMRegressor):
        def fit(self, X, y):
            _warn_at_the_cap("any wording")  # how sklstm's solvers report the cap
            warnings.warn("did not converge: line search failed", ConvergenceWarning)
            return super().fit(X, y)

    monkeypatch.setattr(_base, "LSTMRegressor", WarningLSTM)
    model = RecursiveForecaster(window=3, target="y", random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(ramp(12))
    messages = [str(w.message) for w in caught]
    assert not any(m.startswith("any wording") for m in messages)
    assert "did not converge: line search failed" in messages
    assert isinstance(model.regressor_, WarningLSTM)
    with pytest.warns(IterationLimitWarning, match="any wording"):
        WarningLSTM(max_iter=1).fit(np.zeros((4, 3, 1)), np.arange(4.0))  # outside: warns


def test_forecasters_fitted_in_threads_leave_the_warning_filters_alone():
    # warnings.catch_warnings, which silenced the cap, changes the filters of
    # the whole process: fits in threads left an "ignore IterationLimitWarning"
    # behind, and every later fit that hit its cap was silent.
    from concurrent.futures import ThreadPoolExecutor

    from sklstm import LSTMRegressor

    before = list(warnings.filters)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda seed: RecursiveForecaster(
            window=4, target="y", calibration=None, random_state=seed).fit(ramp(30)), range(8)))
    assert warnings.filters == before
    X = np.random.RandomState(0).normal(size=(20, 4, 1))
    with pytest.warns(IterationLimitWarning):
        LSTMRegressor((2,), max_iter=2, random_state=0).fit(X, X[:, -1, 0])


def test_default_regressor_with_covariates_and_two_targets():
    df = seasonal_frame(n=60)
    df["z"] = -2.0 * df["y"]
    history, future = df.iloc[:-3], df.iloc[-3:]
    model = DirectForecaster(
        window=6,
        horizon=3,
        target=["y", "z"],
        future_covariates="month",
        random_state=0,
    ).fit(history)
    assert model.regressor_.n_outputs_ == 6  # 3 steps x 2 targets
    forecast = model.predict(future=future[["month"]])
    assert list(forecast.columns) == ["y", "z"]
    pd.testing.assert_index_equal(forecast.index, future.index)
    assert np.isfinite(forecast.to_numpy()).all()


def test_given_regressor_keeps_its_settings_and_warnings():
    from sklstm import LSTMRegressor

    lstm = LSTMRegressor(
        hidden_layer_sizes=(3,), solver="lbfgs", max_iter=2, random_state=7
    )
    model = RecursiveForecaster(lstm, window=4, target="y", random_state=0)
    with pytest.warns(ConvergenceWarning):
        model.fit(seasonal_frame(n=30))
    assert model.regressor_.random_state == 7
    assert model.regressor_.hidden_layer_sizes == (3,)
    assert lstm.random_state == 7 and not hasattr(lstm, "coefs_")  # cloned


# --------------------------------------------------------------------------
# dropna: NaN in the fit data
# --------------------------------------------------------------------------


def test_forecaster_nan_error_suggests_dropna():
    df = ramp(12)
    df.loc[5, "y"] = np.nan
    with pytest.raises(ValueError, match="'y' has 1 missing.*label 5.*dropna=True"):
        RecursiveForecaster(flat_linear(), window=2, target="y").fit(df)


@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
def test_dropna_trains_on_the_windows_without_nan(cls):
    df = ramp(20, p=10)
    df.loc[8, "y"] = np.nan
    df.loc[3, "p"] = np.nan
    extra = {"horizon": 2} if cls is DirectForecaster else {}
    model = cls(
        flat_linear(), window=3, target="y", past_covariates="p", dropna=True, **extra
    ).fit(df)
    expected = make_windows(
        df,
        target="y",
        window=3,
        past_covariates="p",
        dropna=True,
        horizon=extra.get("horizon", 1),
    )
    assert model.n_windows_ == len(expected)
    # Scaling statistics skip the NaN.
    y = df["y"].to_numpy()
    assert_allclose(model.target_mean_, [np.nanmean(y)])
    assert_allclose(model.target_scale_, [np.nanstd(y)])
    # Still a linear series: the forecast is exact.
    steps = 2 if cls is DirectForecaster else 1
    assert_allclose(
        model.predict(steps).to_numpy(), np.arange(20, 20 + steps), atol=1e-8
    )


def test_dropna_with_diff_and_missing_timestamps():
    # Holes in a DatetimeIndex: asfreq inserts NaN rows, dropna skips them.
    index = pd.date_range("2021-01-01", periods=40, freq="D")
    df = pd.DataFrame({"y": np.arange(40.0) ** 2}, index=index).drop(index[[10, 25]])
    with pytest.raises(ValueError, match="missing 2 timestamp.*pass dropna=True"):
        RecursiveForecaster(flat_linear(), window=3, target="y").fit(df)
    full = df.asfreq("D")
    model = RecursiveForecaster(
        flat_linear(), window=3, target="y", target_transform="diff", dropna=True
    ).fit(full)
    # Each NaN spoils two differences; a window of 3 differences plus its target
    # touches them from 5 origins each.
    all_windows = len(full) - 1 - 3
    assert model.n_windows_ == all_windows - 2 * 5
    assert_allclose(model.predict(3).to_numpy(), np.arange(40.0, 43.0) ** 2, rtol=1e-9)


def test_dropna_with_log_transform():
    df = pd.DataFrame({"y": 2.0 ** np.arange(20)})
    df.loc[7, "y"] = np.nan
    model = RecursiveForecaster(
        flat_linear(), window=2, target="y", target_transform="log", dropna=True
    ).fit(df)
    assert model.n_windows_ == 18 - 3  # origins 6, 7 and 8 touch row 7
    assert_allclose(model.predict(2).to_numpy(), 2.0 ** np.arange(20, 22), rtol=1e-9)


def test_dropna_still_needs_a_complete_history_and_some_target():
    df = ramp(12)
    df.loc[11, "y"] = np.nan
    model = RecursiveForecaster(flat_linear(), window=2, target="y", dropna=True)
    model.fit(df)
    # The message said what was wrong, not what to do.
    with pytest.raises(ValueError, match=r"'y' has 1 missing.*history predict starts from: a "
                                         r"forecast reads whole windows\. Fill it \(predict\("
                                         r"history="):
        model.predict()
    # score has no history=: it forecasts from the end of the fit data.
    with pytest.raises(ValueError, match=r"history score starts from: a forecast reads whole "
                                         r"windows\. score forecasts from the end of the fit "
                                         r"data: fill it there and refit\."):
        model.score(ramp(14).iloc[12:])
    assert_allclose(model.predict(history=df.iloc[:11]).to_numpy(), [11.0], atol=1e-8)
    df["y"] = np.nan
    with pytest.raises(ValueError, match="target 'y' has no value to learn from"):
        model.fit(df)


_RECIPE_CHANGES = [
    ("window", 4), ("gap", 1), ("target_transform", "diff"), ("scale_target", False),
    ("dropna", True), ("center_windows", False), ("calibration_size", 0.3),
    ("calibration", None), ("target", "p"), ("target", None),
    ("future_covariates", None), ("center_covariates", "f"),
]


@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
def test_every_parameter_fit_read_is_refused_once_changed(cls):
    """Forecasts come from the fitted setup: a recipe parameter changed after
    fit was shown by repr and silently ignored (LSTM estimators refuse it)."""
    history, future = covariate_frame(60)
    own = ([("horizon", 3), ("past_covariates", None)] if cls is DirectForecaster
           else [("calibration_horizon", 2), ("past_covariates", "p")])
    model = cls(flat_ridge(), window=3, target="y", future_covariates="f",
                past_covariates="p" if cls is DirectForecaster else None,
                **({"horizon": 2} if cls is DirectForecaster else {})).fit(history)
    n_steps = 2 if cls is DirectForecaster else 1
    calls = {
        "predict": lambda m: m.predict(n_steps, future=future),
        "predict_interval": lambda m: m.predict_interval(n_steps, future=future),
        "predict_quantiles": lambda m: m.predict_quantiles(n_steps, future=future),
        "score": lambda m: m.score(future),
    }
    before = {name: call(model) for name, call in calls.items()}
    for name, value in _RECIPE_CHANGES + own:
        changed = pickle.loads(pickle.dumps(model))
        changed.set_params(**{name: value})
        for method, call in calls.items():
            with pytest.raises(ValueError, match=rf"{cls.__name__} was fitted with {name}=.*"
                               rf"but {name} is now .*\. {method} uses the fitted model"):
                call(changed)
    # values that ask for what was fitted, parameters that only train, and
    # calibration folds that a holdout calibration never read
    for name, value in [("window", np.int64(3)), ("target", ["y"]), ("future_covariates", ["f"]),
                        ("center_windows", "auto"), ("random_state", 7),
                        ("regressor", flat_linear()), ("calibration_folds", 4)]:
        same = pickle.loads(pickle.dumps(model)).set_params(**{name: value})
        for method, call in calls.items():
            result = call(same)
            if method == "score":
                assert result == before[method]
            else:
                pd.testing.assert_frame_equal(pd.DataFrame(result), pd.DataFrame(before[method]))


@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
def test_calibration_settings_are_compared_only_where_fit_read_them(cls):
    history, _ = covariate_frame(60)
    extra = {"horizon": 2} if cls is DirectForecaster else {}
    backtested = cls(flat_ridge(), window=3, target="y", calibration="backtest",
                     **extra).fit(history)
    with pytest.raises(ValueError, match="fitted with calibration_folds=3, but "
                       "calibration_folds is now 4"):
        backtested.set_params(calibration_folds=4).predict(1)
    uncalibrated = cls(flat_ridge(), window=3, target="y", calibration=None,
                       **extra).fit(history)
    expected = uncalibrated.predict(1)
    changes = {"calibration_size": 0.3, "calibration_folds": 4}
    if cls is RecursiveForecaster:
        changes["calibration_horizon"] = 3
    pd.testing.assert_series_equal(uncalibrated.set_params(**changes).predict(1), expected)
    with pytest.raises(ValueError, match="fitted with calibration=None, but calibration is "
                       "now 'holdout'"):
        uncalibrated.set_params(calibration="holdout").predict(1)


def test_a_tuple_target_is_compared_as_fit_reads_it():
    """fit reads a tuple as names, not as one MultiIndex label: the check
    let target=("a", "x") pass, which a refit refuses."""
    columns = pd.MultiIndex.from_tuples([("a", "x"), ("b", "y")])
    df = pd.DataFrame(np.random.RandomState(0).normal(size=(40, 2)), columns=columns)
    model = RecursiveForecaster(flat_ridge(), window=3, target=[("a", "x")]).fit(df)
    with pytest.raises(ValueError, match=r"fitted with target=\[\('a', 'x'\)\], but target "
                       r"is now \('a', 'x'\)"):
        model.set_params(target=("a", "x")).predict(2)
    assert model.set_params(target=[("a", "x")]).predict(2).shape == (2,)


def test_parameters_that_no_longer_pass_fit_say_they_were_changed():
    history, _ = covariate_frame(60)
    model = DirectForecaster(flat_ridge(), window=3, horizon=2, target="y",
                             target_transform="diff").fit(history)
    with pytest.raises(ValueError, match=r"DirectForecaster's parameters no longer pass fit's "
                       r"checks \(changed by set_params after fit\?\): .*gap=0.* predict uses "
                       "the fitted model"):
        model.set_params(gap=1).predict()


def test_a_changed_column_is_named_before_the_checks_it_fails():
    """A covariate set after fit can make another parameter fail fit's
    checks: the message named calibration_horizon, which the user had not
    changed, instead of past_covariates."""
    history, _ = covariate_frame(60)
    model = RecursiveForecaster(flat_ridge(), window=3, target="y",
                                calibration_horizon=3).fit(history)
    with pytest.raises(ValueError, match=r"fitted with past_covariates=None, but "
                       r"past_covariates is now 'p'"):
        model.set_params(past_covariates="p").predict(1)
    # A column parameter fit refuses outright is reported as such.
    with pytest.raises(ValueError, match=r"parameters no longer pass fit's checks .*"
                       r"center_covariates"):
        model.set_params(past_covariates=None, center_covariates=True).predict(1)


@pytest.mark.parametrize("fitted_target", [None, "y"])
def test_a_series_fit_reads_target_none_and_its_name_alike(fitted_target):
    """fit reads a Series' name as its target whether target is None or that
    name: either may be set after fit. A DataFrame fit refuses None."""
    series = pd.Series(np.sin(np.arange(40.0)), name="y")
    model = RecursiveForecaster(flat_ridge(), window=3, target=fitted_target).fit(series)
    expected = model.predict(2)
    for target in (None, "y", ["y"]):
        pd.testing.assert_series_equal(model.set_params(target=target).predict(2), expected)
    with pytest.raises(ValueError, match=r"fitted with target=\['y'\], but target is now 'p'"):
        model.set_params(target="p").predict(2)


def test_forecasters_saved_before_the_setup_held_scale_target_still_check_the_rest():
    history, future = covariate_frame()
    model = DirectForecaster(flat_ridge(), window=3, horizon=2, target="y",
                             future_covariates="f").fit(history)
    state = model.__getstate__()
    del state["_setup"]["scale_target"], state["_setup"]["target_required"]
    old = DirectForecaster.__new__(DirectForecaster)
    old.__setstate__(state)
    assert old._setup.scale_target is None and old._setup.target_required is None
    pd.testing.assert_series_equal(old.predict(future=future), model.predict(future=future))
    # Whether fit was given a target is unknown: None is not compared.
    pd.testing.assert_series_equal(old.set_params(target=None).predict(future=future),
                                   model.predict(future=future))
    old.set_params(target="y")
    with pytest.raises(ValueError, match="fitted with window=3, but window is now 4"):
        old.set_params(window=4).predict(future=future)


def test_params_clone_and_pickle():
    params = dict(window=3, horizon=2, target="y", future_covariates="f", gap=1)
    model = DirectForecaster(flat_ridge(), **params)
    assert {k: model.get_params()[k] for k in params} == params
    assert clone(model).get_params()["window"] == 3
    assert not hasattr(model, "regressor_")  # __init__ stores only

    history, future = covariate_frame()
    model.fit(history)
    restored = pickle.loads(pickle.dumps(model))
    pd.testing.assert_series_equal(
        restored.predict(future=future), model.predict(future=future)
    )
    # set_params after fit is refused where the fitted model is used, not
    # silently ignored while repr shows the new value.
    before = model.predict(future=future)
    model.set_params(window=5)
    with pytest.raises(ValueError, match=r"DirectForecaster was fitted with window=3, but "
                       r"window is now 5 \(changed by set_params after fit\?\)\. predict "
                       "uses the fitted model"):
        model.predict(future=future)
    model.set_params(window=3)
    pd.testing.assert_series_equal(model.predict(future=future), before)
