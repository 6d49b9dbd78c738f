"""Forecasting inputs: numeric safety and messages that name the problem.

Each test pins one defect at the place that owns it: the dtype check of a
used column (``_columns.column_values``), the time-axis check
(``_time.time_freq``), the length check of the fit data
(``_base._check_fit_length``) and the reading of a newer history
(``BaseForecaster._history_frame``).
"""

import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from pandas.tseries.frequencies import to_offset

from sklstm.forecasting import DirectForecaster, RecursiveForecaster, backtest, make_windows

FORECASTERS = [DirectForecaster, RecursiveForecaster]


@pytest.fixture
def make(flat_linear):
    """``make(cls, **params)``: a forecaster, by default on a flat linear regression."""

    def make(cls, **params):
        if cls is DirectForecaster:
            params.setdefault("horizon", 2)
        return cls(flat_linear(), **params)

    return make


@pytest.mark.parametrize("role", ["target", "past_covariates", "future_covariates"])
def test_complex_column_is_refused_naming_it(role, make):
    df = pd.DataFrame(
        {"y": np.arange(12.0), "c": np.arange(12.0) + 1j * np.arange(12.0)}
    )
    roles = {"target": "y", role: "c"} if role != "target" else {"target": ["y", "c"]}
    with pytest.raises(ValueError, match=r"column 'c' holds complex numbers \(dtype complex128\)"):
        make_windows(df, window=3, **roles)
    with pytest.raises(ValueError, match=r"column 'c' holds complex numbers"):
        make(DirectForecaster, window=3, **roles).fit(df)


def test_complex_column_with_zero_imaginary_part_is_still_refused(make):
    # Refused by dtype, not by value: a value check would pass this column
    # today and drop a non-zero imaginary part tomorrow.
    df = pd.DataFrame({"y": np.arange(12.0) + 0j})
    with pytest.raises(ValueError, match=r"column 'y' holds complex numbers"):
        make(RecursiveForecaster, window=3, target="y").fit(df)


@pytest.mark.parametrize("cls", FORECASTERS)
def test_diff_too_short_reports_the_raw_row_count(cls, make):
    # window 3 + horizon 2 (direct) or 1 (recursive) + 1 row consumed by diff.
    needed = 6 if cls is DirectForecaster else 5
    y = pd.Series(np.arange(needed - 1.0), name="y")
    forecaster = make(cls, window=3, target_transform="diff")
    with pytest.raises(
        ValueError,
        match=rf"data has {needed - 1} rows, .* \+ 1 \(consumed by "
        rf"target_transform='diff'\) = {needed} rows",
    ):
        forecaster.fit(y)
    # One more row is enough: the count in the message is the true need.
    y = pd.Series(np.arange(float(needed)), name="y")
    forecaster.fit(y)


@pytest.mark.parametrize("cls", FORECASTERS)
def test_too_short_without_transform_counts_window_gap_horizon(cls, make):
    needed = 3 + 1 + (2 if cls is DirectForecaster else 1)
    y = pd.Series(np.arange(needed - 1.0), name="y")
    with pytest.raises(
        ValueError, match=rf"data has {needed - 1} rows, .* = {needed} rows\."
    ):
        make(cls, window=3, gap=1).fit(y)


@pytest.mark.parametrize("position", [0, 4, 9])
def test_nat_in_index_is_reported_as_nat_with_its_position(position, make):
    index = pd.date_range("2024-01-01", periods=10, freq="D").to_series()
    index.iloc[position] = pd.NaT
    df = pd.DataFrame({"y": np.arange(10.0)}, index=pd.DatetimeIndex(index))
    message = re.escape(f"missing timestamp(s) (NaT), at position(s) {position};")
    with pytest.raises(ValueError, match=message):
        make_windows(df, target="y", window=2)
    with pytest.raises(ValueError, match=message):
        make(RecursiveForecaster, window=2, target="y").fit(df)


def test_na_in_a_nullable_integer_index_is_reported_with_its_position(make):
    index = pd.Index(list(range(9)) + [pd.NA], dtype="Int64")
    df = pd.DataFrame({"y": np.arange(10.0)}, index=index)
    with pytest.raises(ValueError, match=re.escape("missing label(s) (NA), at position(s) 9;")):
        make(RecursiveForecaster, window=2, target="y").fit(df)


def test_a_series_named_with_a_tuple_is_refused(make):
    y = pd.Series(np.arange(20.0), name=("sales", "eu"))
    with pytest.raises(ValueError, match=r"named with a tuple, \('sales', 'eu'\).*'sales_eu'"):
        make(RecursiveForecaster, window=2).fit(y)


def test_several_nat_are_listed():
    index = pd.DatetimeIndex(
        ["2024-01-01", None, "2024-01-03", None, "2024-01-05", "2024-01-06"]
    )
    df = pd.DataFrame({"y": np.arange(6.0)}, index=index)
    with pytest.raises(ValueError, match=r"2 missing timestamp\(s\) \(NaT\), at "
                       r"position\(s\) 1, 3;"):
        make_windows(df, target="y", window=2)


def test_nat_in_predict_history_is_reported(make):
    y = pd.Series(np.arange(20.0), name="y",
                  index=pd.date_range("2024-01-01", periods=20, freq="D"))
    forecaster = make(RecursiveForecaster, window=3).fit(y)
    history = y.copy()
    history.index = pd.DatetimeIndex(history.index.to_series().where(
        np.arange(20) != 18))
    with pytest.raises(ValueError, match=r"\(NaT\), at position\(s\) 18;"):
        forecaster.predict(history=history)


@pytest.mark.parametrize("cls", FORECASTERS)
def test_series_fitted_forecaster_reads_one_column_frame_history(cls, make):
    y = pd.Series(3.0 * np.arange(20.0) + 1, name="load")
    forecaster = make(cls, window=3).fit(y)
    newer = pd.Series(3.0 * np.arange(30.0) + 1, name="load")
    from_series = forecaster.predict(history=newer)
    from_frame = forecaster.predict(history=newer.to_frame())
    assert_array_equal(from_frame.to_numpy(), from_series.to_numpy())
    assert from_frame.index.equals(from_series.index)
    # A one-column frame named otherwise lacks the target, and says so.
    with pytest.raises(ValueError, match=r"history lacks the column\(s\) \['load'\]"):
        forecaster.predict(history=newer.to_frame("other"))


def test_frame_fitted_forecaster_reads_series_history_named_like_target(make):
    df = pd.DataFrame({"load": 2.0 * np.arange(20.0)})
    forecaster = make(RecursiveForecaster, window=3, target="load").fit(df)
    assert_array_equal(
        forecaster.predict(history=df["load"]).to_numpy(),
        forecaster.predict(history=df).to_numpy(),
    )


@pytest.mark.parametrize("cls", FORECASTERS)
@pytest.mark.parametrize("method", ["predict", "predict_interval", "predict_quantiles"])
def test_future_without_future_covariates_is_refused(cls, method, make):
    df = pd.DataFrame({"y": np.arange(60.0), "promo": np.arange(60.0) % 2})
    steps = {"calibration_horizon": 2} if cls is RecursiveForecaster else {}
    forecaster = make(cls, window=3, target="y", calibration_size=30, **steps).fit(df)
    future = pd.DataFrame({"promo": [1.0, 0.0]}, index=[60, 61])
    with pytest.raises(ValueError, match=r"future is given, but this \w+Forecaster was fitted "
                                         r"without future_covariates"):
        getattr(forecaster, method)(2, future=future)
    getattr(forecaster, method)(2)  # the same call without future answers


@pytest.mark.parametrize("cls", FORECASTERS)
def test_a_forecast_beyond_float64_after_the_log_is_inverted_is_an_error(cls, make):
    # Targets up to 1e304 are finite, and so are their logs; a forecast that
    # continues their growth is not, once exponentiated.
    y = pd.Series(np.exp(np.linspace(1.0, 700.0, 40)), name="y")
    forecaster = make(cls, window=3, target_transform="log", center_windows=True,
                      calibration=None).fit(y)
    with pytest.raises(ValueError, match=r"The forecast of 'y' at step \d+ is beyond float64"):
        forecaster.predict(2)


def test_a_name_that_selects_several_columns_is_refused(make):
    columns = pd.MultiIndex.from_tuples([("y", "a"), ("y", "b")])
    data = pd.DataFrame(np.arange(60.0).reshape(30, 2), columns=columns)
    with pytest.raises(ValueError, match=r"column 'y' selects 2 columns of data, \['a', 'b'\]"):
        make(RecursiveForecaster, window=3, target="y").fit(data)


def test_a_horizon_past_the_last_timestamp_pandas_holds_is_refused_before_forecasting(make):
    # In nanoseconds (pandas 3 infers coarser units, which hold such dates).
    dates = pd.date_range("2262-03-01", periods=30, unit="ns")
    y = pd.Series(np.sin(np.arange(30.0)), dates, name="y")
    forecaster = make(RecursiveForecaster, window=3, calibration=None).fit(y)
    with pytest.raises(ValueError, match=r"50 step\(s\) of freq 'D' after 2262-03-30 .* run past"):
        forecaster.predict(50)
    assert len(forecaster.predict(5)) == 5
    # Dates in seconds hold those steps: the same horizon is forecast.
    y.index = dates.as_unit("s")
    forecast = make(RecursiveForecaster, window=3, calibration=None).fit(y).predict(50)
    assert forecast.index[-1] == pd.Timestamp("2262-05-19")
    assert forecast.index.dtype == "datetime64[s]"


@pytest.mark.parametrize("cls", FORECASTERS)
def test_huge_targets_forecast_in_their_units(cls, make):
    # Near 1e154 their squared deviations overflow float64; the statistics
    # are computed without that, and a ramp is continued.
    df = pd.DataFrame({"y": 1e154 * (1.0 + np.arange(12.0))})
    forecast = make(cls, window=3, target="y").fit(df).predict(2).to_numpy()
    np.testing.assert_allclose(forecast, [13e154, 14e154], rtol=1e-9)
    # A ramp whose next steps lie beyond float64 is refused, naming the target.
    df = pd.DataFrame({"y": 1.4e307 * (1.0 + np.arange(12.0))})
    with pytest.raises(ValueError, match=r"forecast of 'y' at step 1 is beyond float64"):
        make(cls, window=3, target="y").fit(df).predict(2)


@pytest.mark.parametrize("dropna", ["False", 1, None])
def test_make_windows_checks_dropna(dropna):
    # "False" was read as true and dropped windows instead of refusing the NaN.
    df = pd.DataFrame({"y": [1.0, 2.0, np.nan, 4.0, 5.0, 6.0, 7.0]})
    with pytest.raises(TypeError, match="make_windows: dropna must be True or False"):
        make_windows(df, target="y", window=2, dropna=dropna)


class _ConstantRegressor:
    """A regressor of windows whose every forecast is ``value``."""

    value = None

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.full(len(X), self.value)

    def get_params(self, deep=True):
        return {}

    def set_params(self, **params):
        return self


@pytest.mark.parametrize("cls", FORECASTERS)
@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_a_regressor_forecasting_non_finite_values_is_named(cls, value):
    # They were reported as forecasts "beyond float64", blaming the data.
    regressor = type("_Bad", (_ConstantRegressor,), {"value": value})()
    forecaster = cls(regressor, window=2, target="y",
                     **({"horizon": 1} if cls is DirectForecaster else {}))
    # Already in fit, whose calibration and in-sample values forecast; the
    # failed fit does not also warn of its calibration.
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        with pytest.raises(ValueError, match=rf"The regressor _Bad forecast {value} for 'y' at "
                                             rf"step 1\.$"):
            forecaster.fit(pd.DataFrame({"y": np.arange(10.0)}))


@pytest.mark.parametrize("cls", FORECASTERS)
def test_a_regressor_forecasting_text_is_named(cls):
    regressor = type("_Text", (_ConstantRegressor,), {"value": "high"})()
    forecaster = cls(regressor, window=2, target="y",
                     **({"horizon": 1} if cls is DirectForecaster else {}))
    with pytest.raises(TypeError, match=r"the regressor _Text predicted values that are not "
                                        r"numbers \(dtype <U4\)"):
        forecaster.fit(pd.DataFrame({"y": np.arange(10.0)}))


class _TransposedOutput(_ConstantRegressor):
    """Forecasts the window's last value for every output, but returns the
    outputs as rows: (n_outputs, n_windows)."""

    def fit(self, X, y):
        self.n_outputs_ = np.shape(y)[1] if np.ndim(y) == 2 else 1
        return self

    def predict(self, X):
        return np.tile(X[:, -1, 0], (self.n_outputs_, 1))


class _OneRowShort(_TransposedOutput):
    def predict(self, X):
        return X[:-1, -1, 0]


class _LastValueAsColumn(_TransposedOutput):
    def predict(self, X):
        return X[:, -1, :1]


class _Squeezed(_TransposedOutput):
    """np.squeeze's output: one window's values lose their window axis."""

    def predict(self, X):
        return np.squeeze(np.repeat(X[:, -1, :1], self.n_outputs_, axis=1))


def test_a_regressor_output_of_another_layout_is_refused():
    """Right-sized outputs of another layout were reshaped into the values
    of other windows: fitted values, calibration errors and backtests were
    silently wrong (a single window's forecast was right)."""
    series = pd.Series(np.arange(40.0), name="y")
    direct = DirectForecaster(_TransposedOutput(), window=3, horizon=2, calibration=None,
                              center_windows=False, scale_target=False)
    with pytest.raises(ValueError, match=r"the regressor _TransposedOutput predicted an array "
                       r"of shape \(2, 36\) for 36 windows; expected \(36, 2\)"):
        direct.fit(series)
    # The count was pred.size // n_windows: "predicted 0 values for one window".
    with pytest.raises(ValueError, match=r"the regressor _OneRowShort predicted an array of "
                       r"shape \(36,\) for 37 windows; expected \(37,\) or \(37, 1\)"):
        RecursiveForecaster(_OneRowShort(), window=3).fit(series)
    # One output as a column (n, 1) is read, as a flat (n,) is.
    fitted = RecursiveForecaster(_LastValueAsColumn(), window=3, calibration=None,
                                 center_windows=False).fit(series).fitted_values_
    np.testing.assert_allclose(fitted[1].to_numpy(), series.to_numpy()[2:-1])  # origin t: t
    assert_array_equal(fitted.index, series.index[2:-1])
    # One window's values in any shape (0-d, or (horizon,)) are read.
    for forecaster in (RecursiveForecaster(_Squeezed(), window=3, calibration=None),
                       DirectForecaster(_Squeezed(), window=3, horizon=2, calibration=None)):
        forecast = forecaster.fit(series).predict()
        np.testing.assert_allclose(forecast.to_numpy(), 39.0)


def _daily(n=40, name="y"):
    return pd.Series(np.sin(np.arange(n) / 3.0), pd.date_range("2020-01-01", periods=n),
                     name=name)


def test_recursive_forecaster_refuses_an_encoder_decoder():
    # It read the newest row of every window as a decoder step, so the
    # forecast ignored the last observation.
    from sklstm import LSTMEncoderDecoderRegressor

    forecaster = RecursiveForecaster(LSTMEncoderDecoderRegressor((2,), max_iter=1), window=4)
    with pytest.raises(TypeError, match=r"Use DirectForecaster\(regressor, horizon=\.\.\.\)"):
        forecaster.fit(_daily())


def _wrappers(model):
    from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
    from sklearn.pipeline import make_pipeline

    return {"Pipeline": make_pipeline(model),
            "GridSearchCV": GridSearchCV(model, {"alpha": [1e-4]}, cv=TimeSeriesSplit(2))}


@pytest.mark.parametrize("wrapper", ["Pipeline", "GridSearchCV"])
def test_a_wrapped_encoder_decoder_is_refused_not_misread(wrapper):
    # The forecaster configures an encoder-decoder only when it is the
    # regressor itself: wrapped, it kept horizon=1 and read the newest row of
    # every window as its decoder step, ignoring the last observation.
    from sklstm import LSTMEncoderDecoderRegressor

    regressor = _wrappers(LSTMEncoderDecoderRegressor((2,), max_iter=1))[wrapper]
    df = _daily().to_frame().assign(x=np.arange(40.0))
    direct = DirectForecaster(regressor, window=4, horizon=2, target="y", future_covariates="x")
    with pytest.raises(TypeError, match=rf"only when it is the regressor itself, not inside a "
                                        rf"{wrapper}\. Pass it directly"):
        direct.fit(df)
    with pytest.raises(TypeError, match=r"Use DirectForecaster\(regressor, horizon=\.\.\.\) for "
                                        r"it, unwrapped"):
        RecursiveForecaster(regressor, window=4).fit(_daily())


@pytest.mark.parametrize("wrapper", [None, "Pipeline", "GridSearchCV", "after a step",
                                     "VotingRegressor"])
@pytest.mark.parametrize("cls", FORECASTERS)
def test_a_channels_first_lstm_is_refused_by_the_forecaster(cls, wrapper, make):
    # Windows are (windows, steps, channels): the LSTM read each transposed.
    # Refused anywhere: whether a step before it transposes cannot be told.
    from sklearn.ensemble import VotingRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from sklstm import LSTMRegressor

    lstm = LSTMRegressor((2,), max_iter=1, data_format="channels_first")
    regressor = {
        None: lstm,
        "after a step": make_pipeline(FunctionTransformer(lambda X: X * 1.0), lstm),
        "VotingRegressor": VotingRegressor([("lstm", lstm)]),
    }.get(wrapper) or _wrappers(lstm)[wrapper]
    params = {"horizon": 2} if cls is DirectForecaster else {}
    with pytest.raises(ValueError, match=r"windows of shape \(windows, steps, channels\); "
                                         r"LSTMRegressor\(data_format='channels_first'\) would "
                                         r"read them transposed, and is refused anywhere"):
        cls(regressor, window=4, **params).fit(_daily())


@pytest.mark.parametrize("names", [
    pd.Index(["x", "z"]), np.array(["x", "z"]), pd.Index(["x"]), np.array(["x"]),
])
def test_recursive_past_covariates_as_an_index_or_array(names, flat_linear):
    # NumPy's "truth value of an array is ambiguous" (pandas' "Shapes must
    # match" for one name), where DirectForecaster and make_windows read them.
    rng = np.random.RandomState(0)
    df = pd.DataFrame(rng.normal(size=(40, 3)).cumsum(0), columns=["y", "x", "z"])
    fitted = RecursiveForecaster(flat_linear(), window=3, target="y",
                                 past_covariates=names).fit(df)
    reference = RecursiveForecaster(flat_linear(), window=3, target="y",
                                    past_covariates=list(names)).fit(df)
    assert_array_equal(fitted.predict_interval(1, coverage=0.5),
                       reference.predict_interval(1, coverage=0.5))


@pytest.mark.parametrize("cls", FORECASTERS)
def test_fit_with_a_y_says_the_targets_are_columns(cls, make):
    # cross_val_score(forecaster, df, df["y"]) failed inside scikit-learn with
    # "fit() takes 2 positional arguments but 3 were given".
    from sklearn.model_selection import TimeSeriesSplit, cross_val_score

    df = _daily().to_frame()
    forecaster = make(cls, window=3, target="y")
    with pytest.raises(TypeError, match=r"fit reads its targets from the columns of data "
                                        r"\(target='y'\); y must be None"):
        cross_val_score(forecaster, df, df["y"], cv=TimeSeriesSplit(2, test_size=2),
                        error_score="raise")
    scores = cross_val_score(forecaster, df, cv=TimeSeriesSplit(2, test_size=2))
    assert scores.shape == (2,) and np.all(scores < 0)
    fitted = make(cls, window=3, target="y").fit(df[:-2])
    with pytest.raises(TypeError, match=r"score reads its targets from the columns of data"):
        fitted.score(df[-2:], df["y"][-2:])


@pytest.mark.parametrize("size", [np.float32(0.25), np.float16(0.25), np.float64(0.25)])
def test_a_numpy_float_calibration_size_is_a_fraction(size, make):
    # np.float32(0.3) was cut to the row count 0, switching calibration off.
    reference = make(DirectForecaster, window=3, calibration_size=0.25).fit(_daily())
    forecaster = make(DirectForecaster, window=3, calibration_size=size).fit(_daily())
    assert forecaster.calibration_residuals_.shape == reference.calibration_residuals_.shape
    assert_array_equal(forecaster.predict_interval(coverage=0.5),
                       reference.predict_interval(coverage=0.5))


@pytest.mark.parametrize("cls", FORECASTERS)
def test_timestamps_before_1677_keep_their_unit(cls, make):
    # pandas' nanoseconds end at 1677 and 2262; the index was forced into them.
    index = pd.date_range("1600-01-01", periods=30, freq="YS", unit="s")
    y = pd.Series(np.arange(30.0) % 4, index, name="y")
    forecaster = make(cls, window=4).fit(y)
    forecast = forecaster.predict(2) if cls is RecursiveForecaster else forecaster.predict()
    assert list(forecast.index.year) == [1630, 1631]
    assert forecast.index.unit == "s"
    assert forecaster.fitted_values_.index[0] == pd.Timestamp("1603-01-01")
    copied = pickle.loads(pickle.dumps(forecaster))
    assert_array_equal(copied.predict_interval(coverage=0.5),
                       forecaster.predict_interval(coverage=0.5))
    result = backtest(make(cls, window=4), y, initial=20, horizon=2)
    assert result.forecasts["time"].iloc[0] == pd.Timestamp("1620-01-01")  # origin 1619


@pytest.mark.parametrize("unit, horizon, message", [
    ("ns", 10**6, r"run past 2262-04-11 23:47:16\.854775807, the last timestamp pandas can "
                  r"hold in datetime64\[ns\]"),
    # pandas 3's unit for such dates, whose last timestamp pandas cannot print
    ("us", 10**7, r"10000000 step\(s\) of freq 'MS' after 2257-06-01 00:00:00 run past the "
                  r"last time pandas can hold in datetime64\[us\]"),
])
def test_labels_past_what_the_unit_holds_are_refused(unit, horizon, message, make):
    dates = pd.date_range("2255-01-01", periods=30, freq="MS", unit=unit)
    forecaster = make(RecursiveForecaster, window=3).fit(pd.Series(np.arange(30.0), dates))
    with pytest.raises(ValueError, match=message):
        forecaster.predict(horizon)


def test_a_horizon_too_long_for_memory_is_refused(make):
    forecaster = make(RecursiveForecaster, window=3).fit(_daily().reset_index(drop=True))
    with pytest.raises(ValueError, match=r"a forecast of 1000000000000 steps does not fit in "
                                         r"memory: ask for fewer"):
        forecaster.predict(10**12)


@pytest.mark.parametrize("cls", FORECASTERS)
@pytest.mark.parametrize("random_state", [-1, 2**32, 1.5, "0", np.random.default_rng(0)])
def test_random_state_is_checked_by_name(cls, random_state, make):
    forecaster = make(cls, window=3, random_state=random_state)
    with pytest.raises((TypeError, ValueError), match=rf"{cls.__name__}: random_state must be "
                                                      r"None or an int >= 0"):
        forecaster.fit(_daily())


def test_backtest_names_the_fold_whose_refit_meets_a_missing_value(make):
    y = _daily()
    y.iloc[33] = np.nan
    # Read only as history or truth, the NaN makes incomplete folds.
    kept = backtest(make(DirectForecaster, window=4), y, initial=30, refit=False)
    assert kept.errors.isna().to_numpy().any() and kept.errors.notna().to_numpy().any()
    # Origins at rows 29, 31, 33...: the third fold is fitted on rows 0 to 33.
    with pytest.raises(ValueError, match=r"backtest fits the model of the origins from label "
                                         r"2020-02-03 00:00:00 on the rows up to label "
                                         r"2020-02-03 00:00:00, and column 'y' is missing \(NaN\) "
                                         r"at label 2020-02-03 00:00:00.*, or refit less often "
                                         r"\(refit=False"):
        backtest(make(DirectForecaster, window=4), y, initial=30, step=2, refit=True)
    # With refit=3 the second fit serves the fourth and fifth folds (rows 35
    # and 37): it was named "fold 1", the number of no fold.
    with pytest.raises(ValueError, match=r"backtest fits the model of the origins from label "
                                         r"2020-02-05 00:00:00 on the rows up to label "
                                         r"2020-02-05 00:00:00, and column 'y'"):
        backtest(make(DirectForecaster, window=4), y, initial=30, step=2, refit=3)
    # In the first fold's fit rows, refit=False fits on them too: not advised.
    early = y.copy()
    early.iloc[10] = np.nan
    for refit in (True, False):
        with pytest.raises(ValueError, match=r"backtest fits the model of the origins from "
                                             r"label 2020-01-30 .*touch them\.$"):
            backtest(make(DirectForecaster, window=4), early, initial=30, refit=refit)
    dropped = backtest(make(DirectForecaster, window=4, dropna=True), y, initial=30, step=2)
    assert len(dropped.errors) == 5  # origins 29 to 37


@pytest.mark.parametrize("name, described", [(None, r"an unnamed Series \(read as 'y'\)"),
                                             ("sales", "a Series named 'sales'")])
def test_a_series_named_unlike_the_fitted_target_is_named(name, described, make):
    forecaster = make(RecursiveForecaster, window=3).fit(_daily(name="load"))
    other = _daily(name=name)
    with pytest.raises(ValueError, match=rf"history is {described}, but the forecaster was "
                                         r"fitted on the target\(s\) \['load'\]: rename it, "
                                         r"e\.g\. history\.rename\('load'\)"):
        forecaster.predict(history=other)
    with pytest.raises(ValueError, match=rf"data is {described}"):
        forecaster.score(other.iloc[:3])


@pytest.mark.parametrize("convert", [lambda f: f.set_axis(f.index.astype(str)),
                                     lambda f: f.set_axis(f.index.astype(str)).reset_index(drop=True).set_axis([0.0, 1.0, 2.0])])
def test_a_future_frame_of_another_index_type_is_named(convert, make):
    df = _daily().to_frame().assign(f=1.0)
    forecaster = make(DirectForecaster, window=4, horizon=3, target="y",
                      future_covariates="f").fit(df.iloc[:30])
    with pytest.raises(TypeError, match=r"future: the index must be a DatetimeIndex, a "
                                        r"PeriodIndex or an integer index"):
        forecaster.predict(future=convert(df.iloc[30:33]))


def test_future_columns_are_read_by_name_and_unread_duplicates_ignored(make):
    # "other columns are ignored": a repeated column the forecast does not
    # read was refused, naming none.
    df = _daily().to_frame().assign(f=np.arange(40.0) % 3)
    forecaster = make(DirectForecaster, window=4, horizon=3, target="y",
                      future_covariates="f").fit(df.iloc[:30])
    ahead = df.iloc[30:33]
    expected = forecaster.predict(future=ahead)
    extra = pd.concat([ahead, ahead[["y"]]], axis=1)
    pd.testing.assert_series_equal(forecaster.predict(future=extra), expected)
    with pytest.raises(ValueError, match=r"future has several columns named 'f', a future "
                                         r"covariate"):
        forecaster.predict(future=pd.concat([ahead, ahead[["f"]]], axis=1))
    # A column of future that pandas cannot select whole is named as future's.
    nested = ahead[["f"]].set_axis(pd.MultiIndex.from_tuples([("f", "x")]), axis=1)
    with pytest.raises(ValueError, match=r"column 'f' is part of the label \('f', 'x'\) of "
                                         r"future's MultiIndex columns"):
        forecaster.predict(future=nested)


def test_predict_asks_only_for_the_future_rows_the_windows_read(make):
    """Fixed bug: windows of 2 steps shifted ahead by a lead of 4 read the
    future covariates of the last 2 rows only, yet predict refused a future
    without the first 2 (which backtest, reading the same rows, did not)."""
    df = _daily().to_frame().assign(f=np.arange(40.0) % 5)
    # The model cannot see the covariates of its first 2 steps, and is told so.
    with pytest.warns(UserWarning, match=r"window=2 is shorter than horizon=4: .* the first 2 "
                                         r"forecast step\(s\) see no covariates of their own"):
        forecaster = make(DirectForecaster, window=2, horizon=4, target="y",
                          future_covariates="f").fit(df.iloc[:30])
    ahead = df.iloc[30:34]
    expected = forecaster.predict(future=ahead)
    pd.testing.assert_series_equal(forecaster.predict(future=ahead.iloc[2:]), expected)
    changed = ahead.assign(f=[1e6, np.nan, *ahead["f"].iloc[2:]])
    pd.testing.assert_series_equal(forecaster.predict(future=changed), expected)
    with pytest.raises(ValueError, match=rf"at {ahead.index[2]}, {ahead.index[3]}, 2 of the 4 "
                                         rf"step\(s\) after the history\. Missing: 'f' at "
                                         rf"{ahead.index[3]} \(row absent or NaN\)"):
        forecaster.predict(future=ahead.iloc[:3])


@pytest.mark.parametrize("cls, params", [
    (DirectForecaster, dict(window=3, horizon=3, gap=4)),  # gap rows: no forecast steps
    (RecursiveForecaster, dict(window=2, gap=3)),  # one step at once: always in its window
])
def test_windows_that_hold_every_forecast_steps_covariates_do_not_warn(cls, params, make):
    df = _daily().to_frame().assign(f=np.arange(40.0) % 5)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        make(cls, target="y", future_covariates="f", **params).fit(df)


def test_score_asks_for_the_future_covariates_of_every_forecast_step(make):
    df = _daily().to_frame().assign(f=1.0)
    forecaster = make(DirectForecaster, window=4, horizon=3, target="y",
                      future_covariates="f").fit(df.iloc[:30])
    with pytest.raises(ValueError, match=r"score forecasts from the end of the fit data, which "
                                         r"reads the future covariates \['f'\] at the 3 step\(s\) "
                                         r"after it; data holds 1 row\(s\)\. Pass at least 3\."):
        forecaster.score(df.iloc[30:31])
    ahead = df.iloc[30:33]
    error = np.abs(ahead["y"].to_numpy() - forecaster.predict(future=ahead).to_numpy())
    assert forecaster.score(ahead) == pytest.approx(-error.mean())


@pytest.mark.parametrize("name", [True, np.False_])
def test_boolean_column_names_are_refused(name, make):
    # pandas reads a list of booleans as a mask when selecting columns.
    df = pd.DataFrame({name: np.arange(20.0), "x": np.arange(20.0)})
    with pytest.raises(ValueError, match=rf"target holds the column name {bool(name)}, a boolean"):
        make(DirectForecaster, window=3, target=name).fit(df)
    with pytest.raises(ValueError, match=rf"past_covariates holds the column name {bool(name)}"):
        make_windows(df, target="x", past_covariates=[name], window=3)
    with pytest.raises(ValueError, match=r"the Series is named True, a boolean"):
        make(DirectForecaster, window=3).fit(df["x"].rename(True))


@pytest.mark.parametrize("name", [np.nan, np.float32("nan")])
def test_nan_column_names_are_refused(name, make):
    # nan != nan: a saved forecaster fitted on a column named NaN could not
    # find it again, and every predict failed on its own fitted-state check.
    df = pd.DataFrame({"x": np.arange(20.0)})
    df[name] = np.arange(20.0)
    with pytest.raises(ValueError, match=r"target holds the column name nan, "
                                         "with a NaN, which is not equal to itself"):
        make(DirectForecaster, window=3, target=name).fit(df)
    with pytest.raises(ValueError, match=r"future_covariates holds the column name .*nan"):
        make_windows(df, target="x", future_covariates=[name], window=3)
    with pytest.raises(ValueError, match=r"the Series is named .*nan.*, a NaN"):
        make(RecursiveForecaster, window=3).fit(df["x"].rename(name))
    # A MultiIndex label with a NaN level (a pivot with dropna=False) too.
    df.columns = pd.MultiIndex.from_tuples([("x", "a"), ("y", name)])
    with pytest.raises(ValueError, match=r"target holds the column name \('y', .*nan.*\), with"):
        make(DirectForecaster, window=3, target=[("y", name)]).fit(df)


@pytest.mark.parametrize("name, error, message", [
    (np.array("y"), TypeError, r"holds array\('y', dtype='<U1'\), of type ndarray, which cannot "
                               r"name a column: column labels are hashable \(pass the name it "
                               r"holds, array.item\(\)\)"),
    (["y"], TypeError, r"holds \['y'\], of type list, which cannot name a column"),
    (10**5000, ValueError, r"holds the column name <an int of 5001 digits>, an int beyond "
                           r"float64, by which pandas cannot select columns"),
], ids=["0-d array", "list", "int beyond float64"])
def test_names_that_cannot_label_a_column_are_refused_by_role(name, error, message, make):
    # pandas labels are hashable, and it selects no column by an int beyond
    # float64 in a list (its own OverflowError), whatever the frame holds.
    df = pd.DataFrame({"y": np.arange(20.0), "x": np.arange(20.0)})
    with pytest.raises(error, match="target " + message):
        make(RecursiveForecaster, window=3, target=[name]).fit(df)
    if not isinstance(name, list):  # one name, given alone
        with pytest.raises(error, match="target " + message):
            make(DirectForecaster, window=3, target=name).fit(df)
    with pytest.raises(error, match="past_covariates " + message):
        make_windows(df, target="x", past_covariates=[name], window=3)


def test_labels_are_quoted_as_python_values_in_messages(make):
    # An int64 Index's labels are np.int64, written "np.int64(1)" by repr; an
    # int beyond 4300 digits could not be written at all.
    df = pd.DataFrame(np.zeros((20, 2)), columns=pd.Index([np.int64(0), 10**5000], dtype=object))
    with pytest.raises(ValueError, match=r"column 1 given as target is not in data; its columns "
                                         r"are \[0, <an int of 5001 digits>\]\.$"):
        make(DirectForecaster, window=3, target=np.int64(1)).fit(df)
    df = pd.DataFrame({0: np.arange(20.0), 1: np.full(20, np.inf)})
    with pytest.raises(ValueError, match=r"^column 1 has 20 infinite value\(s\)"):
        make(DirectForecaster, window=3, target=df.columns[0],
             past_covariates=[df.columns[1]]).fit(df)


@pytest.mark.parametrize("name", [None, pd.NaT])
def test_singleton_missing_labels_name_columns(name, make):
    # None and NaT are themselves after pickling: they name a column as any label
    # (of an object Index, which keeps them; pandas 3 makes df[None] = ... a text one).
    df = pd.DataFrame(np.column_stack([np.arange(20.0), np.sin(np.arange(20.0))]),
                      columns=pd.Index(["x", name], dtype=object))
    forecaster = make(RecursiveForecaster, window=3, target=[name]).fit(df)
    loaded = pickle.loads(pickle.dumps(forecaster))
    assert loaded.predict(2).name is name
    assert_array_equal(loaded.predict(2), forecaster.predict(2))


@pytest.mark.parametrize("name", [None, pd.NaT, pd.NA])
@pytest.mark.parametrize("missing_label", [np.nan, pd.NA])
def test_a_text_index_missing_label_is_refused_unless_named_by_itself(name, missing_label,
                                                                       make):
    # A text Index keeps a missing label as NaN (pandas 3's df[None] = ...) or
    # pd.NA (dtype "string"). pandas finds it by any missing name in df[name],
    # by its own only in df[[name]]: fit accepted None, then failed in pandas.
    columns = pd.Index(["x", missing_label], dtype="string")
    df = pd.DataFrame(np.column_stack([np.arange(20.0), np.sin(np.arange(20.0))]),
                      columns=columns)
    label = columns[1]
    try:  # pandas 2.2.0 finds no missing label by another missing name; newer ones do
        df[name]
        matched = True
    except KeyError:
        matched = False
    if name is label:  # pd.NA naming its own label: read throughout
        forecaster = make(RecursiveForecaster, window=3, target=[name]).fit(df)
        loaded = pickle.loads(pickle.dumps(forecaster))
        assert loaded.predict(2).name is name
        assert_array_equal(loaded.predict(2), forecaster.predict(2))
    elif matched:
        with pytest.raises(ValueError, match=rf"column {name!r} given as target is matched "
                                             rf"by pandas to the missing label {label!r} of "
                                             r"data's string columns.*df.columns = "):
            make(RecursiveForecaster, window=3, target=[name]).fit(df)
    else:
        with pytest.raises(ValueError, match=rf"column {name!r} given as target is not in data"):
            make(RecursiveForecaster, window=3, target=[name]).fit(df)
    # Two missing labels are two columns that no name tells apart.
    df.columns = pd.Index(["x", missing_label, missing_label], dtype="string")[1:]
    refusal = "selects 2 columns of data" if matched or name is label else "is not in data"
    with pytest.raises(ValueError, match=refusal):
        make(RecursiveForecaster, window=3, target=[name]).fit(df)


def test_a_name_pandas_matches_to_another_label_is_refused(make):
    # A DatetimeIndex of columns matches the text '2020-01-01' to the label
    # Timestamp('2020-01-01'): fit accepted it, and every later call failed.
    df = pd.DataFrame(np.random.RandomState(0).rand(30, 2),
                      columns=pd.to_datetime(["2020-01-01", "2020-01-02"]))
    with pytest.raises(ValueError, match=r"column '2020-01-01' given as target is matched by "
                                         r"pandas to the column labelled Timestamp\('2020-01-01 "
                                         r"00:00:00'\)"):
        make(RecursiveForecaster, window=3, target="2020-01-01").fit(df)
    # A part of several labels: pandas found it, then failed to select by it.
    with pytest.raises(ValueError, match=r"column '2020-01' is part of several labels"):
        make(RecursiveForecaster, window=3, target="2020-01").fit(df)
    forecaster = make(RecursiveForecaster, window=3, target=df.columns[0]).fit(df)
    assert forecaster.predict(2).name == df.columns[0]
    # Equal labels of other types name the same column: 1 and 1.0.
    ones = pd.DataFrame({1.0: np.arange(20.0)})
    assert make(RecursiveForecaster, window=3, target=1).fit(ones).predict(1).name == 1


def test_a_bytes_column_name_is_one_name(make):
    # bytes are iterable: b"ab" was read as the names 97 and 98, other columns.
    df = pd.DataFrame({"y": np.sin(np.arange(30.0)), 97: 1.0, 98: 2.0, b"ab": 3.0})
    assert make_windows(df, target="y", past_covariates=b"ab", window=3).channels == ("y", b"ab")
    forecaster = make(DirectForecaster, window=3, target="y", past_covariates=b"ab").fit(df)
    assert forecaster.past_covariates_ == (b"ab",)
    renamed = df.rename(columns={"y": b"y"})
    assert make_windows(renamed, target=b"y", window=3).channels == (b"y",)
    with pytest.raises(ValueError, match=r"column b'ab' given as past_covariates is not in data"):
        make_windows(df.drop(columns=[b"ab"]), target="y", past_covariates=b"ab", window=3)


@pytest.mark.parametrize("names", [lambda: (c for c in ["y"]), lambda: iter(["y"])])
def test_an_iterator_of_column_names_is_refused(names, make):
    # Read once, it was empty the next time (and clone could not copy it).
    df = _daily().to_frame()
    message = r"target must be a column name or a list of names; got an iterator"
    with pytest.raises(TypeError, match=message):
        make(DirectForecaster, window=3, target=names()).fit(df)
    with pytest.raises(TypeError, match=message):
        backtest(make(DirectForecaster, window=3, target=names()), df, initial=30)


def test_forecast_errors_that_overflow_float64_are_refused_at_fit(make):
    # fit kept an infinite in-sample error, and every predict then failed.
    y = pd.Series(np.random.default_rng(0).uniform(-1, 1, 100) * 1.5e308, name="y")
    with pytest.raises(ValueError, match=r"the forecast errors \(truth - forecast\) of 'y' "
                                         r"overflow float64"):
        make(DirectForecaster, window=4).fit(y)


def test_horizons_beyond_the_data_are_refused_before_any_array_is_made(make):
    # np.arange(10**13) raised NumPy's MemoryError.
    y = _daily()
    model = make(RecursiveForecaster, window=4, calibration_horizon=10**13).fit(y)
    with pytest.raises(ValueError, match=r"it calibrates 10000000000000 steps, more than its "
                                         r"40 fit rows can reach"):
        model.predict_interval()
    with pytest.raises(ValueError, match=r"horizon=10000000000000 is more steps than the data's "
                                         r"40 rows"):
        backtest(make(RecursiveForecaster, window=4), y, initial=30, horizon=10**13)
    with pytest.raises(ValueError, match=r"initial=50 is more than the data's 40 rows"):
        backtest(make(DirectForecaster, window=4), y, initial=50)


def test_horizons_beyond_any_address_space_are_refused_in_sklstm_terms(make):
    # Beyond 2**60 steps NumPy raised its own "array is too big" ValueError,
    # where fewer (but still too many) steps got the message below.
    y = pd.Series(np.sin(np.arange(40) / 3.0), name="y")  # integer labels reach 2**62
    model = make(RecursiveForecaster, window=4, calibration=None).fit(y)
    for n_steps in (2**40, 2**62):
        with pytest.raises(ValueError, match=f"a forecast of {n_steps} steps does not "
                                             "fit in memory: ask for fewer"):
            model.predict(n_steps)
        # Intervals need a calibration first, and say so before allocating anything.
        with pytest.raises(ValueError, match=f"a forecast of {n_steps} steps does not fit"
                           if n_steps > 2**57 else "no calibrated intervals"):
            model.predict_interval(n_steps)


class _CountingRegressor(_ConstantRegressor):
    value = 0.0
    fits = 0

    def fit(self, X, y):
        type(self).fits += 1
        return self


@pytest.mark.parametrize("cls, params, match", [
    (DirectForecaster, {"horizon": 2, "calibration": None},
     r"reads the forecaster's calibrated intervals, but it has calibration=None"),
    (RecursiveForecaster, {}, r"forecasts 3 steps per fold, but the forecaster calibrates 1; "
                              r"refit with calibration_horizon=3"),
])
def test_backtest_refuses_intervals_it_cannot_have_before_fitting(cls, params, match):
    # They were refused after every fold had been fitted.
    _CountingRegressor.fits = 0
    forecaster = cls(_CountingRegressor(), window=4, target="y", **params)
    with pytest.raises(ValueError, match=match):
        backtest(forecaster, _daily(), initial=30, horizon=3 if cls is RecursiveForecaster
                 else None, coverage=0.8)
    assert _CountingRegressor.fits == 0


def test_float32_quantile_levels_label_columns_as_written(make):
    model = make(DirectForecaster, window=4).fit(_daily())
    levels = np.array([0.3, 0.7], dtype=np.float32)
    quantiles = model.predict_quantiles(quantiles=levels)
    assert quantiles.columns.tolist() == [0.3, 0.7]  # not 0.30000001192092896
    assert_array_equal(quantiles, model.predict_quantiles(quantiles=(0.3, 0.7)))


@pytest.mark.parametrize("method", ["predict", "predict_interval", "predict_quantiles"])
def test_a_bad_horizon_names_the_method_it_was_given_to(method, make):
    model = make(DirectForecaster, window=3).fit(_daily())
    with pytest.raises(ValueError, match=rf"DirectForecaster\.{method}: horizon must be an int "
                                         r">= 1, got 0"):
        getattr(model, method)(0)


@pytest.mark.parametrize("cls", FORECASTERS)
def test_a_regressor_refusing_3d_windows_is_named_with_the_flattening_advice(cls):
    from sklearn.linear_model import Ridge

    series = pd.Series(np.sin(np.arange(40) / 3), name="y")
    params = {"horizon": 2} if cls is DirectForecaster else {}
    forecaster = cls(Ridge(), window=5, calibration=None, **params)
    with pytest.raises(ValueError) as raised:
        forecaster.fit(series)
    message = str(raised.value)
    assert message.startswith(f"{cls.__name__}: the regressor Ridge failed to fit")
    assert "(X of shape (" in message and ", 5, 1)" in message
    assert "dim 3" in message  # the regressor's own reason is kept
    assert "FunctionTransformer(lambda X: X.reshape(len(X), -1))" in message
    assert not hasattr(forecaster, "regressor_")


def test_a_regressor_type_error_keeps_its_type():
    class Refuses:
        def get_params(self, deep=True):
            return {}

        def fit(self, X, y):
            raise TypeError("no windows today")

        def predict(self, X):  # pragma: no cover - never fitted
            return X

    series = pd.Series(np.arange(30.0), name="y")
    with pytest.raises(TypeError, match="the regressor Refuses failed to fit.*no windows today"):
        RecursiveForecaster(Refuses(), window=4, calibration=None).fit(series)


@pytest.mark.parametrize("cls", FORECASTERS)
@pytest.mark.parametrize("attribute", ["residuals_", "fitted_values_"])
def test_editing_the_in_sample_frames_never_reaches_the_forecaster(cls, attribute, make):
    series = pd.Series(np.sin(np.arange(40) / 3), name="y")
    forecaster = make(cls, window=5, calibration=None).fit(series)
    before = pickle.dumps(forecaster)
    frame = getattr(forecaster, attribute)
    frame.iloc[0, 0] = np.inf
    values = frame.to_numpy()
    if values.flags.writeable:  # a view of the frame's memory (read-only in pandas 3)
        values[1, 0] = np.inf
    assert pickle.dumps(forecaster) == before
    assert np.isfinite(getattr(forecaster, attribute).to_numpy()).all()


@pytest.mark.parametrize("cls", FORECASTERS)
def test_set_params_during_fit_is_kept_and_refused_by_predict(cls, make):
    # set_params from another thread while fit ran was undone by the fit's
    # commit, which swapped in the copy it staged, parameters included.
    from unittest import mock

    y = pd.Series(np.sin(np.arange(40.0)), name="y")
    forecaster = make(cls, window=5)
    store_in_sample = cls._store_in_sample

    def changed_while_fitting(staged, frame):
        forecaster.set_params(window=7)
        return store_in_sample(staged, frame)

    with mock.patch.object(cls, "_store_in_sample", changed_while_fitting):
        forecaster.fit(y)
    assert forecaster.window == 7
    with pytest.raises(ValueError, match=r"window is now 7 \(changed by set_params after fit"):
        forecaster.predict()
    reference = make(cls, window=5).fit(y)
    pd.testing.assert_series_equal(forecaster.set_params(window=5).predict(), reference.predict())


@pytest.mark.parametrize("cls", FORECASTERS)
def test_set_params_with_an_unknown_default_regressor_name_changes_nothing(cls):
    params = {"horizon": 2} if cls is DirectForecaster else {}
    forecaster = cls(window=5, **params)
    with pytest.raises(ValueError, match=r"Invalid parameter 'max_iters' for the default "
                                         r"regressor of \w+Forecaster \(LSTMRegressor"):
        forecaster.set_params(window=9, regressor__max_iters=50)
    assert forecaster.window == 5 and forecaster.regressor is None
    forecaster.set_params(window=9, regressor__max_iter=50)
    assert forecaster.window == 9 and forecaster.regressor.max_iter == 50


@pytest.mark.parametrize("cls", FORECASTERS)
def test_set_params_with_an_unknown_name_changes_neither_forecaster_nor_regressor(cls, make):
    """scikit-learn's set_params sets the keys before an unknown one: the
    regressor passed in kept the settings of a call that failed."""
    forecaster = make(cls, window=5)
    regressor = forecaster.regressor
    before = pickle.dumps(forecaster)
    with pytest.raises(ValueError, match=r"Invalid parameter 'bogus' for estimator Pipeline"):
        forecaster.set_params(window=9, regressor__linearregression__fit_intercept=False,
                              regressor__bogus=1)
    with pytest.raises(ValueError, match=r"(?s)Invalid parameter 'bogus' for estimator "
                                         r"\w+Forecaster\(.*window=5\)"):
        forecaster.set_params(window=9, bogus=1)
    assert pickle.dumps(forecaster) == before and forecaster.regressor is regressor
    forecaster.set_params(window=9, regressor__linearregression__fit_intercept=False)
    assert forecaster.window == 9 and not regressor[-1].fit_intercept
    # A step replaced in the same call takes its own keys, as in a grid of models.
    from sklearn.linear_model import Ridge
    forecaster.set_params(regressor__linearregression=Ridge(), regressor__linearregression__alpha=3)
    assert forecaster.regressor[-1].alpha == 3


@pytest.mark.parametrize("cls", FORECASTERS)
def test_a_refused_state_leaves_the_forecaster_as_it_was(cls, make):
    series = pd.Series(np.sin(np.arange(40) / 3), name="y")
    forecaster = make(cls, window=5, calibration=None).fit(series)
    other = make(cls, window=7, calibration=None).fit(series)
    bad = other.__getstate__()
    bad["target_scale_"] = np.array([-1.0])
    before = pickle.dumps(forecaster)
    with pytest.raises(ValueError, match="target_scale_ must be > 0"):
        forecaster.__setstate__(bad)
    assert pickle.dumps(forecaster) == before


def test_a_regressor_error_unrelated_to_dimensions_gets_no_flattening_advice():
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    class FitFailed(ValueError):  # an error class that needs two arguments
        def __init__(self, stage, detail):
            super().__init__(f"{stage}: {detail}")

    class Fails(Ridge):
        def fit(self, X, y):
            raise FitFailed("solver", "did not start")

    series = pd.Series(np.sin(np.arange(40) / 3), name="y")
    flat = FunctionTransformer(lambda X: X.reshape(len(X), -1))
    for regressor, reason in [(make_pipeline(flat, Ridge(alpha=-1.0)), "'alpha' parameter"),
                              (Fails(), "solver: did not start")]:
        with pytest.raises(ValueError, match="failed to fit on the training windows") as raised:
            RecursiveForecaster(regressor, window=4, calibration=None).fit(series)
        assert reason in str(raised.value)
        assert "flattened" not in str(raised.value)


def test_a_regressor_that_makes_its_targets_nan_is_told_they_are_the_forecasters_units():
    # TransformedTargetRegressor(func=np.log) met standardised targets, about
    # half of them negative, and failed with "Input contains NaN" alone.
    from sklearn.compose import TransformedTargetRegressor
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    series = pd.Series(10 + np.sin(np.arange(60) / 5), name="y")  # positive
    flat = make_pipeline(FunctionTransformer(lambda X: X.reshape(len(X), -1)), Ridge())
    logged = TransformedTargetRegressor(flat, func=np.log, inverse_func=np.exp)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's log of negatives
        with pytest.raises(ValueError, match=r"Input (y )?contains NaN.*made its input NaN or "
                                             r"infinite\. Its targets are the forecaster's.*"
                                             r"target_transform='log'"):
            DirectForecaster(logged, window=6, horizon=2, calibration=None).fit(series)
    # A step that makes X NaN is not told about targets.
    logged_windows = make_pipeline(
        FunctionTransformer(lambda X: np.log(X - 100.0).reshape(len(X), -1)), Ridge())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        with pytest.raises(ValueError, match=r"(?s)X contains NaN.*made its input NaN "
                                             r"or infinite\.$"):
            DirectForecaster(logged_windows, window=6, horizon=2, calibration=None).fit(series)
    # The route it names: the same model, the log taken by the forecaster.
    forecaster = DirectForecaster(flat, window=6, horizon=2, calibration=None,
                                  target_transform="log").fit(series)
    assert np.isfinite(forecaster.predict().to_numpy()).all()


def test_a_grid_far_finer_than_the_data_is_not_built():
    # Three stamps 1 ms apart in an hourly series: filling the millisecond
    # grid would take gigabytes; the index is reported as irregular instead.
    ms = np.r_[0, 1, 2, 3_600_000 * np.arange(1, 58)]
    index = pd.DatetimeIndex(pd.Timestamp("2024-01-01") + pd.to_timedelta(ms, unit="ms"))
    series = pd.Series(np.sin(np.arange(len(index)) / 4), index=index, name="y")
    with pytest.raises(ValueError, match="no freq and none can be inferred"):
        RecursiveForecaster(window=3, calibration=None).fit(series)


def test_epoch_times_as_integer_labels_are_named_without_listing_the_gaps():
    labels = 1_700_000_000_000 + 86_400_000 * np.arange(60)
    series = pd.Series(np.sin(np.arange(60) / 4), index=pd.Index(labels), name="y")
    with pytest.raises(ValueError, match=r"run from 1700000000000 to 1705097600000 in steps "
                                         r"of 86400000.*pd.to_datetime"):
        RecursiveForecaster(window=3, calibration=None).fit(series)
    # A few holes are still listed.
    holes = pd.Series(np.arange(10.0), index=pd.Index([0, 1, 2, 4, 5, 6, 7, 8, 9, 11]), name="y")
    with pytest.raises(ValueError, match="labels 3, 10 are missing"):
        RecursiveForecaster(window=3, calibration=None).fit(holes)


@pytest.mark.parametrize("coverage", [1e-12, 1e-300])
def test_a_tiny_coverage_is_a_narrow_interval(coverage, make):
    series = pd.Series(np.sin(np.arange(60) / 4), name="y")
    forecaster = make(RecursiveForecaster, window=6, calibration_horizon=3).fit(series)
    interval = forecaster.predict_interval(3, coverage=coverage)
    point = forecaster.predict(3)
    # The smallest calibration error's rank: an interval about the point.
    assert (interval["lower"] <= point).all() and (point <= interval["upper"]).all()


def _zero_regressor():
    """A regressor forecasting 0 in model units: the targets' mean, once scaled back."""
    return type("_Zero", (_ConstantRegressor,), {"value": 0.0})()


def test_score_of_errors_near_float64_max_is_their_mean():
    # Errors of ±1e308 each: their sum overflowed, and score was -inf.
    y = pd.Series(np.where(np.arange(40) % 2, 1e308, -1e308), name="y")
    model = RecursiveForecaster(_zero_regressor(), window=2, calibration=None,
                                center_windows=False).fit(y[:36])
    errors = np.abs(y[36:].to_numpy() - model.predict(4).to_numpy())
    assert np.all(errors > 0.9e308)
    assert model.score(y[36:]) == -(errors / 4).sum()


class _Persistence(_ConstantRegressor):
    """Forecasts the newest value of each window's first channel."""

    def predict(self, X):
        return X[:, -1, 0]


@pytest.mark.parametrize("method", ["predict_interval", "predict_quantiles", "backtest"])
def test_intervals_beyond_float64_are_refused_naming_the_target(method):
    # Forecasts of 1.75e308 plus errors of 1.75e308: the upper bounds were inf.
    y = pd.Series(np.where(np.arange(59) % 3 == 2, 0.0, 1.75e308), name="sales")
    model = RecursiveForecaster(_Persistence(), window=2, calibration_horizon=3)
    message = r"The intervals of 'sales' reach beyond float64"
    with pytest.raises(ValueError, match=message) as caught:
        if method == "backtest":
            backtest(model, y, initial=40, horizon=3, coverage=0.8)
        else:
            getattr(model.fit(y), method)(3)
    assert "raise initial" not in str(caught.value)  # the advice for too few errors


def test_integer_labels_past_int64_are_refused_not_wrapped():
    # The forecast's labels ran past 2**63 - 1 and wrapped to negative ones
    # once concatenated with the history.
    start = np.iinfo(np.int64).max - 41
    y = pd.Series(np.sin(np.arange(40) / 3.0), index=pd.Index(start + np.arange(40)), name="y")
    model = RecursiveForecaster(_zero_regressor(), window=2, calibration=None).fit(y)
    assert model.predict(2).index.tolist() == [start + 40, start + 41]
    with pytest.raises(ValueError, match=r"3 step\(s\) after the integer label "
                                         rf"{start + 39} run past {start + 41}"):
        model.predict(3)


def test_differences_beyond_float64_are_named_by_column_and_label():
    # ±1e308 alternate: every difference overflows, which was reported as
    # "values that are not finite" although every value is.
    y = pd.Series(np.where(np.arange(20) % 2, 1e308, -1e308), name="load")
    with pytest.raises(ValueError, match=r"target_transform='diff': the difference of column "
                                         r"'load' at label 1 overflows float64"):
        RecursiveForecaster(_zero_regressor(), window=2, target_transform="diff").fit(y)


@pytest.mark.parametrize("cls", FORECASTERS)
def test_uint64_labels_past_int64_are_refused_at_fit_naming_them(cls, make):
    # They wrapped to negative labels: in fitted_values_ and in the forecast
    # of a pickled copy, while the fit was accepted.
    labels = np.arange(2**63 - 2, 2**63 + 18, dtype=np.uint64)
    y = pd.Series(np.sin(np.arange(20) / 3.0), index=pd.Index(labels), name="y")
    with pytest.raises(ValueError, match=r"holds 18 label\(s\) above 9223372036854775807.*"
                                         r": 9223372036854775808, 9223372036854775809"):
        make(cls, window=3, calibration=None).fit(y)
    # In steps of 2 too (pandas' OverflowError, building the missing labels).
    every_other = y.set_axis(pd.Index(2**63 + 10 + 2 * np.arange(20, dtype=np.uint64)))
    with pytest.raises(ValueError, match=r"holds 20 label\(s\) above"):
        make(cls, window=3, calibration=None).fit(every_other)
    # A fitted forecaster stays as it was.
    good = pd.Series(np.arange(20.0), name="y")
    model = make(cls, window=3, calibration=None).fit(good)
    before = model.predict(2)
    with pytest.raises(ValueError, match="above 9223372036854775807"):
        model.fit(y)
    pd.testing.assert_series_equal(model.predict(2), before)
    with pytest.raises(ValueError, match="history: the integer index holds 18 label"):
        model.predict(2, history=y)


def test_uint64_labels_within_int64_keep_their_values(make):
    labels = np.arange(2**62, 2**62 + 20, dtype=np.uint64)
    y = pd.Series(np.sin(np.arange(20) / 3.0), index=pd.Index(labels), name="y")
    model = make(RecursiveForecaster, window=3, calibration=None).fit(y)
    copy = pickle.loads(pickle.dumps(model))
    assert model.fitted_values_.index.min() >= 2**62
    assert copy.predict(2).index.tolist() == [2**62 + 20, 2**62 + 21]


@pytest.mark.parametrize("dtype", ["uint8", "int8"])
def test_a_hole_in_a_small_integer_dtype_index_is_named(dtype, make):
    # 255 + 1 wrapped to 0 in uint8: "labels  are missing ... range(215, 0)".
    top = 255 if dtype == "uint8" else 127
    labels = [label for label in range(top - 40, top + 1) if label != top - 15]
    y = pd.Series(np.arange(40.0), index=pd.Index(labels, dtype=dtype), name="y")
    with pytest.raises(ValueError, match=rf"labels {top - 15} are missing\. Insert them with "
                                         rf"df\.reindex\(range\({top - 40}, {top + 1}\)\)"):
        make(RecursiveForecaster, window=3, calibration=None).fit(y)


_DST_CASES = {
    # Daily at midnight in Havana: clocks jump from 00:00 to 01:00 on 2026-03-08.
    "skipped": (pd.date_range("2026-02-01", "2026-03-07", freq="D", tz="America/Havana"),
                r"meet 2026-03-08 00:00:00, a wall-clock time that does not exist in time "
                r"zone 'America/Havana'"),
    # Daily at 02:30 in Berlin: 02:30 comes twice on 2026-10-25.
    "repeated": (pd.date_range("2026-09-20 02:30", "2026-10-24 02:30", freq="D",
                               tz="Europe/Berlin"),
                 r"meet 2026-10-25 02:30:00, a wall-clock time that occurs twice in time "
                 r"zone 'Europe/Berlin'"),
}


@pytest.mark.parametrize("case", sorted(_DST_CASES))
@pytest.mark.parametrize("call", ["predict", "predict_interval", "score", "history", "future"])
def test_a_forecast_label_in_a_dst_change_is_a_value_error_naming_it(case, call, make):
    # pandas raised pytz's NonExistentTimeError / AmbiguousTimeError, which
    # are not ValueErrors, from deep inside pd.date_range.
    index, message = _DST_CASES[case]
    df = pd.DataFrame({"y": np.sin(np.arange(len(index)) / 3.0),
                       "f": np.arange(len(index)) % 7.0}, index=index)
    params = {"future_covariates": "f"} if call == "future" else {}
    model = make(RecursiveForecaster, window=3, target="y", calibration_horizon=2,
                 **params).fit(df)
    run = {
        "predict": lambda: model.predict(2),
        "predict_interval": lambda: model.predict_interval(2),
        "score": lambda: model.score(df.iloc[:0]),
        "history": lambda: model.predict(2, history=df.iloc[:-1]),
        "future": lambda: model.predict(1, future=df[["f"]]),
    }[call]
    with pytest.raises(ValueError, match=message + r".*df\.tz_localize\(None\)"):
        run()
    # The advice works: the same wall-clock times without a zone forecast.
    naive = make(RecursiveForecaster, window=3, target="y", calibration=None).fit(
        df[["y"]].tz_localize(None))
    assert naive.predict(1).index[0] == index[-1].tz_localize(None) + pd.Timedelta(days=1)


def test_guessing_the_grid_of_a_gappy_index_across_a_dst_change_is_a_value_error(make):
    # Guessing the daily grid of this index built it through the midnight
    # Havana skips, and fit raised pytz's NonExistentTimeError.
    index = pd.date_range("2026-02-01", "2026-03-20", freq="D", tz="America/Havana",
                          nonexistent="shift_forward").delete(5)
    y = pd.Series(np.arange(len(index), dtype=float), index=index, name="y")
    with pytest.raises(ValueError, match="the DatetimeIndex has no freq"):
        make(RecursiveForecaster, window=3, calibration=None).fit(y)


@pytest.mark.parametrize("cls", FORECASTERS)
def test_guessing_a_calendar_grid_that_ends_next_to_a_dst_change_is_a_value_error(cls, make):
    # Quarter ends at midnight UTC are 02:00 in Paris in summer and 01:00 in
    # winter: no grid. Guessing the quarterly one from 2024-03-31 01:00, the
    # last label, pandas 2 also localized the step after it, 02:00 that day,
    # which Paris skips: pytz's NonExistentTimeError, not a ValueError.
    utc = pd.date_range("2020-03-31", periods=17, freq="QE", tz="UTC")
    y = pd.Series(np.arange(17.0), index=pd.DatetimeIndex(list(utc.tz_convert("Europe/Paris"))),
                  name="y")
    message = "has no freq and none can be inferred .* wall-clock time of 'Europe/Paris'"
    with pytest.raises(ValueError, match=message):
        make(cls, window=3, calibration=None).fit(y)
    with pytest.raises(ValueError, match=message):
        make_windows(y, window=3)


@pytest.mark.parametrize("freq", ["W-WED", "2D"])
@pytest.mark.parametrize("cls", FORECASTERS)
def test_a_freq_the_wall_clock_labels_do_not_follow_is_not_trusted(cls, freq, make):
    # pandas 2 keeps a calendar freq through tz_convert: weekly on Wednesdays
    # at midnight UTC is Tuesdays at 19:00 or 20:00 in New York, where a
    # step of W-WED is a Wednesday. Forecasts were labelled on Wednesdays,
    # and predict(history=<the fit data>) refused the data fit had taken.
    utc = pd.date_range("2022-01-05", periods=40, freq=freq, tz="UTC")
    local = utc.tz_convert("America/New_York")
    y = pd.Series(np.sin(np.arange(38.0)), index=local[:38], name="y")
    model = make(cls, window=2, calibration=None).fit(y)
    assert model.predict(2).index.equals(pd.DatetimeIndex(list(local[38:])))
    assert_array_equal(model.predict(2, history=y).to_numpy(), model.predict(2).to_numpy())


def test_a_set_freq_the_labels_do_not_follow_is_named_when_none_can_be_inferred():
    # The same kept freq on labels of no grid (the quarter ends of the test
    # above): the error names the freq the index has and where it breaks.
    utc = pd.date_range("2020-03-31", periods=9, freq="QE", tz="UTC")
    local = utc.tz_convert("Europe/Paris")
    if local.freq is None:
        pytest.skip("this pandas drops the freq in tz_convert")
    with pytest.raises(ValueError, match=r"the DatetimeIndex does not follow its freq 'QE-DEC' "
                                         r"in the wall-clock time of 'Europe/Paris' \(after 2020-09-30 "
                                         r"02:00:00 comes 2020-12-31 01:00:00, not 2020-12-31 "
                                         r"02:00:00\)"):
        make_windows(pd.Series(np.arange(9.0), index=local), window=3)


@pytest.mark.parametrize("cls", FORECASTERS)
def test_target_names_mixing_tuples_and_scalars_label_every_output(cls, make):
    # pandas 3 warned (a Pandas4Warning, to raise in pandas 4) as the two-level
    # columns of intervals, quantiles and in-sample forecasts sorted the
    # target names ('x' against ('a', 'b')) by way of a padded frame.
    n = 40
    df = pd.DataFrame({0: np.sin(np.arange(n)), 1: np.cos(np.arange(n))},
                      index=pd.date_range("2020-01-01", periods=n, freq="D"))
    df.columns = pd.Index([("a", "b"), "x"], tupleize_cols=False)
    targets = [("a", "b"), "x"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = make(cls, window=3, target=targets).fit(df)
        interval = model.predict_interval(coverage=0.5)
        quantiles = model.predict_quantiles(quantiles=[0.25, 0.75])
        fitted = model.fitted_values_
    assert list(interval.columns) == [(t, b) for t in targets for b in ("lower", "upper")]
    assert list(quantiles.columns) == [(t, q) for t in targets for q in (0.25, 0.75)]
    assert list(fitted.columns) == [(t, step) for t in targets for step in fitted.columns.levels[1]]
    point = model.predict().to_numpy()
    bounds = interval.to_numpy().reshape(len(point), len(targets), 2)
    assert (bounds[..., 0] <= point).all() and (point <= bounds[..., 1]).all()


@pytest.mark.parametrize("cls", FORECASTERS)
def test_a_tz_aware_grid_evenly_spaced_across_dst_keeps_its_step_without_freq(cls, make):
    # 24 h apart in absolute time, 23 h or 25 h apart in wall-clock time
    # across the change: infer_freq finds nothing, and fit said the index
    # needed "at least 3 evenly spaced timestamps", which it has.
    grid = pd.date_range("2026-03-20", periods=31, freq="24h", tz="Europe/Berlin")
    y = pd.Series(np.sin(np.arange(31) / 3.0), index=pd.DatetimeIndex(list(grid)), name="y")
    assert y.index.freq is None
    model = make(cls, window=3, calibration=None).fit(y[:29])
    assert model.freq_ == pd.Timedelta(hours=24)
    # After the change the labels keep the 24 h step (01:00 summer time), as the data does.
    assert model.predict(2).index.equals(pd.DatetimeIndex(grid[29:], freq="24h"))
    copy = pickle.loads(pickle.dumps(model))
    assert copy.predict(1, history=y[:30]).index[0] == grid[30]


@pytest.mark.parametrize("start", ["2026-03-28 12:00", "2026-10-24 12:00"],
                         ids=["clocks skip an hour", "clocks repeat an hour"])
@pytest.mark.parametrize("step", ["h", "30min", "3h"])
def test_a_fixed_step_across_dst_is_inferred_in_absolute_time(start, step, make):
    # infer_freq names the step ('h'), which pandas takes in absolute time in
    # a time zone; its grid was compared in wall-clock time, where 01:00 is
    # followed by 03:00 on the spring change, and fit called the data holed.
    grid = pd.date_range(start, periods=60, freq=step, tz="Europe/Berlin")
    y = pd.Series(np.sin(np.arange(60) / 5.0), index=pd.DatetimeIndex(list(grid)), name="y")
    assert y.index.freq is None
    model = make(RecursiveForecaster, window=3, calibration=None).fit(y[:58])
    assert model.freq_ == to_offset(step)
    assert model.predict(2).index.equals(grid[58:])
    assert make_windows(y, window=3).origins.equals(grid[2:-1])
    with pytest.raises(ValueError, match=r"missing 1 timestamp\(s\)"):
        make_windows(y.drop(y.index[30]), window=3)


def test_an_index_with_no_freq_is_described_truly():
    # A hole in a 24 h grid across the DST change: not the calendar grid 'D' either.
    uneven = pd.date_range("2026-03-26", periods=8, freq="24h", tz="Europe/Berlin").delete(5)
    y = pd.Series(np.arange(7.0), index=uneven, name="y")
    with pytest.raises(ValueError, match=r"no freq and none can be inferred \(its timestamps "
                                         r"are not evenly spaced: steps of 1 days 00:00:00, "
                                         r"2 days 00:00:00 in absolute time"):
        make_windows(y, window=2)
    with pytest.raises(ValueError, match=r"at least 3 timestamps to infer one; the index has 2"):
        make_windows(y[:2], window=1)


def test_months_on_the_30th_are_advised_a_grid_that_keeps_their_values():
    """Fixed advice: a month's 30th, which February lacks, was told to use
    asfreq(pd.DateOffset(months=1)), whose grid slides to February's last day
    and leaves 1 of 11 values."""
    dates = pd.DatetimeIndex([f"2020-{m:02d}-30" for m in [1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12]])
    y = pd.Series(np.arange(11.0), index=dates, name="v")
    with pytest.raises(ValueError, match=r"up to the 28th: .*with a later day that grid slides "
                                         r"to February's last and loses the values: resample "
                                         r"to 'MS'"):
        make_windows(y, window=2)
    assert y.asfreq(pd.DateOffset(months=1)).notna().sum() == 1  # what the old advice kept
    resampled = y.resample("MS").mean()  # every value kept; February missing, as it was
    assert resampled.notna().sum() == 11
    assert len(make_windows(resampled, window=2, dropna=True).y) == 12 - 2 - 2


@pytest.mark.parametrize("cls", FORECASTERS)
@pytest.mark.parametrize("months, day", [(1, 15), (3, 10), (12, 20)])
def test_a_month_grid_on_any_day_is_its_frequency(make, cls, months, day):
    # pandas infers month grids on their first or last day only: data dated
    # on the 15th, its freq lost in a file, was refused, with the advice to
    # resample it onto another day.
    grid = pd.date_range(f"2001-01-{day}", periods=30, freq=pd.DateOffset(months=months))
    y = pd.Series(np.arange(30.0) % 4, index=pd.DatetimeIndex(list(grid)), name="y")
    assert y.index.freq is None
    forecast = make(cls, window=4).fit(y).predict(2)
    expected = pd.date_range(grid[-1], periods=3, freq=pd.DateOffset(months=months))[1:]
    assert_array_equal(forecast.index, expected)
    assert make_windows(y, window=4).origins.equals(y.index[3:-1])
    # One day off the grid is no month grid.
    uneven = y.index.delete(7).insert(7, y.index[7] + pd.Timedelta("1D"))
    with pytest.raises(ValueError, match="no freq and none can be inferred"):
        make(cls, window=4).fit(y.set_axis(uneven))


def test_a_month_grid_after_the_28th_is_no_frequency_and_advice_runs(make):
    # From the 30th pandas steps to February's 28th and stays there: the
    # forecast labels were the 28th from then on.
    days30 = pd.DatetimeIndex([f"2001-{month:02d}-30" for month in range(3, 13)])
    with pytest.raises(ValueError, match=r"none can be inferred.*df\.asfreq\(pd\.DateOffset\("
                                         r"months=1\)\)"):
        make(RecursiveForecaster, window=3).fit(pd.Series(np.arange(10.0), index=days30))
    grid = pd.DatetimeIndex(list(pd.date_range("2001-01-15", periods=30,
                                               freq=pd.DateOffset(months=1))))
    y = pd.Series(np.arange(30.0) % 4, index=grid, name="y")
    model = make(RecursiveForecaster, window=3).fit(y.iloc[:24])
    # The advice is code pandas runs: '<DateOffset: months=1>' is no frequency string.
    with pytest.raises(ValueError, match=r"Insert the missing rows first, e\.g\. with "
                                         r"\.asfreq\(pd\.DateOffset\(months=1\)\)"):
        model.predict(1, history=y.drop(y.index[28]))
    moved = y.index[:-1].append(pd.DatetimeIndex([y.index[-1] + pd.Timedelta("1D")]))
    with pytest.raises(ValueError, match=r"Move its labels onto the grid .*replace\(day=15\)"):
        model.predict(1, history=y.set_axis(moved))
    assert y.drop(y.index[28]).asfreq(pd.DateOffset(months=1)).index.equals(y.index)


def _with_blank_second_level(frame):
    """``frame`` with columns ('y', ''), ('c', ''), ...: as after a pivot or an agg."""
    return frame.set_axis(pd.MultiIndex.from_tuples([(c, "") for c in frame.columns]), axis=1)


_PART_OF_A_LABEL = (r"column '(y|f)' is part of the label \('(y|f)', ''\) of "
                    r"(data|history|future)'s MultiIndex columns.*"
                    r"df\.columns = df\.columns\.get_level_values\(0\)")


@pytest.mark.parametrize("cls", FORECASTERS)
def test_a_name_that_is_part_of_a_multiindex_column_label_is_refused(cls, make):
    # df["y"] selects ('y', ''), so fit was accepted; last_window_ kept the
    # tuple columns and every predict then failed on the fitted state, and
    # a refit this way replaced a good model by a broken one.
    n = 30
    flat = pd.DataFrame({"y": np.sin(np.arange(n) / 3.0), "c": np.arange(n) % 7.0,
                         "f": np.arange(n) % 5.0})
    nested = _with_blank_second_level(flat)
    params = dict(window=3, target="y", past_covariates=["c"], future_covariates=["f"],
                  calibration=None)
    if cls is RecursiveForecaster:
        params.pop("past_covariates")
    model = make(cls, **params).fit(flat[:-2])
    before = model.predict(2, future=flat[["f"]])
    with pytest.raises(ValueError, match=_PART_OF_A_LABEL):
        model.fit(nested)
    pd.testing.assert_series_equal(model.predict(2, future=flat[["f"]]), before)
    with pytest.raises(ValueError, match=_PART_OF_A_LABEL):
        model.predict(2, history=nested[:-2], future=flat[["f"]])
    with pytest.raises(ValueError, match=_PART_OF_A_LABEL):
        model.predict(2, future=_with_blank_second_level(flat[["f"]]))
    with pytest.raises(ValueError, match=_PART_OF_A_LABEL):
        model.score(nested[-2:])
    with pytest.raises(ValueError, match=_PART_OF_A_LABEL):
        backtest(make(cls, **params), nested, initial=20, horizon=2)
    with pytest.raises(ValueError, match=_PART_OF_A_LABEL):
        make_windows(nested, target="y", window=3)
    # The advice works, and a whole label (in a list) is still read.
    flattened = nested.set_axis(nested.columns.get_level_values(0), axis=1)
    refit = make(cls, **params).fit(flattened[:-2])
    pd.testing.assert_series_equal(refit.predict(2, future=flat[["f"]]), before)
    whole = make(cls, **{**params, "target": [("y", "")], "future_covariates": [("f", "")],
                         **({"past_covariates": [("c", "")]} if "past_covariates" in params
                            else {})}).fit(nested[:-2])
    assert_array_equal(whole.predict(2, future=nested[[("f", "")]]).to_numpy(),
                       before.to_numpy())


def _with_covariate(values):
    frame = _daily().to_frame()
    column = values(np.arange(len(frame)) % 7 * 1.0)
    if isinstance(column, pd.Series):
        column.index = frame.index  # assign aligns by label
    return frame.assign(c=column)


def _covariate_forecaster():
    from sklstm import LSTMRegressor

    return DirectForecaster(LSTMRegressor((2,), max_iter=2, random_state=0), window=3,
                            horizon=2, target="y", past_covariates="c", calibration=None)


def test_numbers_in_an_object_column_are_read_as_the_estimators_read_them():
    # Refused as "non-numeric dtype object", where the estimators read them.
    floats = _covariate_forecaster().fit(_with_covariate(lambda c: c)).predict()
    objects = _covariate_forecaster().fit(
        _with_covariate(lambda c: pd.Series(list(c), dtype=object))
    ).predict()
    assert_array_equal(objects.to_numpy(), floats.to_numpy())


@pytest.mark.parametrize("cell, error, match", [
    ("x", ValueError, r"column 'c' has non-numeric dtype object"),
    ([1.0], TypeError, r"column 'c' must contain only numbers, one per entry .* holds a list"),
    (10**400, ValueError, r"column 'c' holds a number too large for float64"),
    (pd.NA, ValueError, r"column 'c' has 1 missing value\(s\) \(NaN\), the first at label"),
    # Their imaginary part was dropped with only NumPy's ComplexWarning.
    (np.complex128(2 + 3j), ValueError, r"column 'c' holds complex numbers \(dtype object\)"),
    (1 + 1j, ValueError, r"column 'c' holds complex numbers"),
])
def test_an_object_column_cell_that_is_no_number_is_named(cell, error, match):
    def with_cell(c):
        values = pd.Series(list(c), dtype=object)
        values[3] = cell
        return values

    with pytest.raises(error, match=match):
        _covariate_forecaster().fit(_with_covariate(with_cell))


def test_a_long_double_column_beyond_float64_is_named_too_large():
    """It was reported as "1 infinite value(s)", a value the column does not hold."""
    if np.finfo(np.longdouble).bits <= 64:
        pytest.skip("long double is float64 on this platform")

    def with_huge(c):
        values = np.asarray(c, dtype=np.longdouble)
        values[3] = np.longdouble(10) ** 400
        return values

    with pytest.raises(ValueError, match=r"column 'c' holds a number too large for float64: "
                                         r".*1e\+400.* at row 3"):
        _covariate_forecaster().fit(_with_covariate(with_huge))


def test_columns_that_are_not_real_numbers_are_refused_as_by_the_estimators():
    # Categories of booleans were read as numbers (pandas calls them bool).
    with pytest.raises(ValueError, match=r"column 'c' has non-numeric dtype category"):
        _covariate_forecaster().fit(_with_covariate(lambda c: pd.Categorical(c > 2)))
    pa = pytest.importorskip("pyarrow")
    intervals = pd.arrays.ArrowExtensionArray(
        pa.array([(0, int(day), 0) for day in range(40)], pa.month_day_nano_interval())
    )
    with pytest.raises(ValueError, match=r"column 'c' has non-numeric dtype month_day_nano"):
        _covariate_forecaster().fit(_with_covariate(lambda c: intervals))  # pandas raised


def _last_fridays(n):
    """The last Friday of n months, without a freq (as read from a CSV)."""
    dates = pd.date_range("2022-01-01", periods=n, freq=pd.offsets.LastWeekOfMonth(weekday=4))
    return pd.Series(np.sin(np.arange(n) / 3.0), pd.DatetimeIndex(list(dates)), name="y")


@pytest.mark.parametrize("cls", FORECASTERS)
def test_a_frequency_pandas_infers_wrongly_is_refused_and_a_set_one_is_used(cls, make):
    """pandas infers the last Friday of each month as the fourth Friday
    (WOM-4FRI): forecasts were labelled on days the series does not have."""
    series = _last_fridays(30)
    assert series.index.freq is None and pd.infer_freq(series.index) == "WOM-4FRI"
    with pytest.raises(ValueError, match=r"infers, 'WOM-4FRI', does not fit it: after "
                                         r"2022-03-25 00:00:00 comes 2022-04-29.*asfreq"):
        make(cls, window=3).fit(series[:24])
    on_grid = series.asfreq(pd.offsets.LastWeekOfMonth(weekday=4))
    model = make(cls, window=3).fit(on_grid[:24])
    expected = pd.DatetimeIndex(["2024-01-26", "2024-02-23"])
    assert model.predict(2).index.equals(expected)
    assert model.predict(2, history=series[:24]).index.equals(expected)
    assert np.isfinite(model.score(series[24:]))


def test_an_inferred_daily_grid_across_a_dst_change_is_accepted(make):
    """The check of an inferred frequency compares wall-clock times: a daily
    series at 02:30 in Berlin, which keeps one of October's two 02:30s, is on
    pandas' 'D' grid, as it is with freq='D' set."""
    days = pd.date_range("2023-10-10 02:30", periods=30, freq="D", tz="Europe/Berlin",
                         ambiguous=True)
    series = pd.Series(np.sin(np.arange(30) / 3.0), pd.DatetimeIndex(list(days)), name="y")
    assert series.index.freq is None and pd.infer_freq(series.index) == "D"
    forecast = make(RecursiveForecaster, window=3).fit(series[:25]).predict(2)
    assert forecast.index.equals(days[25:27])


@pytest.mark.parametrize("dtype", [np.float32, np.float16])
def test_a_float32_coverage_is_the_level_as_written(dtype, make):
    """np.float32(0.8) is 0.800000011920929, which took the next conformal
    rank with 9 calibration errors (0.9's interval) and asked for 5 errors
    where 0.8 needs 4."""
    series = _daily(60)
    model = make(RecursiveForecaster, window=4, calibration_size=9).fit(series)
    widths = {
        level: model.predict_interval(1, coverage=level).diff(axis=1)["upper"].iloc[0]
        for level in (0.8, dtype(0.8), 0.9)
    }
    assert widths[dtype(0.8)] == widths[0.8] < widths[0.9]
    assert_array_equal(
        backtest(model, series, initial=40, horizon=1, coverage=dtype(0.8)).forecasts,
        backtest(model, series, initial=40, horizon=1, coverage=0.8).forecasts,
    )
    few = make(RecursiveForecaster, window=4, calibration_size=4).fit(series)
    assert_array_equal(few.predict_interval(1, coverage=dtype(0.8)),
                       few.predict_interval(1, coverage=0.8))


def test_history_is_named_history_in_messages(make):
    series = _daily()
    model = make(RecursiveForecaster, window=3).fit(series)
    with pytest.raises(TypeError, match="^history must be a pandas DataFrame"):
        model.predict(2, history=series.to_numpy())
    with pytest.raises(ValueError, match="^history has several columns named 'y'"):
        model.predict(2, history=pd.concat([series, series], axis=1))
    pivoted = series.to_frame()
    pivoted.columns = pd.MultiIndex.from_tuples([("y", "sales")])
    with pytest.raises(ValueError, match=r"column 'y' is part of the label \('y', 'sales'\) of "
                                         r"history's MultiIndex columns"):
        model.predict(2, history=pivoted)


def test_a_tuple_naming_one_multiindex_column_says_to_put_it_in_a_list(make):
    frame = pd.DataFrame({("a", "y"): np.sin(np.arange(40.0)), ("a", "x"): 1.0},
                         index=pd.date_range("2024-01-01", periods=40))
    with pytest.raises(ValueError, match=re.escape(
            "A tuple is read as 2 names; to name the column labelled ('a', 'y'), put it in "
            "a list: target=[('a', 'y')].")):
        make(RecursiveForecaster, window=3, target=("a", "y")).fit(frame)
    forecast = make(RecursiveForecaster, window=3, target=[("a", "y")]).fit(frame).predict(2)
    assert forecast.name == ("a", "y") and np.isfinite(forecast).all()


def test_repeated_labels_compare_names_only_where_labels_repeat():
    """Repeated names were found by comparing every column with each name in
    turn: thousands of named columns took seconds (quadratic). Unique labels
    repeat no name, and pandas' hash table says so in one pass."""
    from sklstm.forecasting._columns import repeated_labels

    columns = pd.Index(["a", 1, "b", 1.0, "a"], dtype=object)
    assert repeated_labels(columns, ["b", 1, "a", "z"]) == [1, "a"]
    assert repeated_labels(pd.Index(["x", "y"]), ["x", "y"]) == []
    many = pd.Index([f"c{j}" for j in range(3000)])
    calls = []
    original = pd.Index.__eq__
    try:
        pd.Index.__eq__ = lambda self, other: calls.append(other) or original(self, other)
        assert repeated_labels(many, list(many)) == []
    finally:
        pd.Index.__eq__ = original
    assert calls == []
    # An unhashable label among the columns: compared, not a TypeError.
    assert repeated_labels(pd.Index(["a", ["x"], "a"], dtype=object), ["a"]) == ["a"]


def _grid_as_pandas_builds_it(labels, freq):
    """Where labels leave pandas' own grid of ``freq``: an independent reading."""
    grid = pd.date_range(labels[0], periods=len(labels), freq=freq, unit=labels.unit)
    wrong = np.flatnonzero(labels != grid)
    if not len(wrong):
        return None
    i = wrong[0]
    if i == 0:
        return f"label {labels[0]} is not on that grid"
    return f"after {labels[i - 1]} comes {labels[i]}, not {grid[i]}"


@pytest.mark.parametrize("freq", ["B", "MS", "ME", "W-WED", "WOM-4FRI", "QS-JAN", "YE", "BMS",
                                  "SME", "C", "2B", "3MS", "D", "h",
                                  pd.offsets.BDay(normalize=True), pd.offsets.MonthBegin(normalize=True)])
def test_grid_check_reads_labels_as_pandas_grid_does(freq):
    """The check of an inferred or fitted frequency built pandas' grid, in
    Python for calendar steps (about 10 us a label: 1.5 s per fit of 40,000
    business days, 42 s for a backtest of 50 folds); each label is now its
    predecessor plus one step, and says the same."""
    from sklstm.forecasting._time import _grid_break

    offset = to_offset(freq)
    rng = np.random.RandomState(0)
    for _ in range(30):
        start = pd.Timestamp("2001-01-01") + pd.Timedelta(days=int(rng.randint(3000)),
                                                          hours=int(rng.choice([0, 9])))
        labels = pd.date_range(start, periods=rng.randint(3, 40), freq=offset)
        k = rng.randint(len(labels))
        labels = [labels,  # on the grid
                  labels.delete(k),  # a label missing
                  labels[:k].append(labels[k:] + pd.Timedelta(days=1)),  # moved
                  (labels[:1] + pd.Timedelta(hours=5)).append(labels[1:])][rng.randint(4)]
        if len(labels) > 1:
            assert _grid_break(labels, offset) == _grid_as_pandas_builds_it(labels, offset)


def test_grid_check_of_business_days_builds_no_calendar_grid(monkeypatch):
    from sklstm.forecasting import _time

    monkeypatch.setattr(pd, "date_range", lambda *a, **k: pytest.fail("built a grid"))
    labels = pd.bdate_range("2000-01-03", periods=2000)._with_freq(None)
    assert _time._grid_break(labels, to_offset("B")) is None
    assert _time._grid_break(labels.delete(7), to_offset("B")) == (
        "after 2000-01-11 00:00:00 comes 2000-01-13 00:00:00, not 2000-01-12 00:00:00")


@pytest.mark.parametrize("freq", [
    pd.DateOffset(months=1, days=1),  # pandas' own grid of it from a later label is short
    pd.offsets.WeekOfMonth(week=2, weekday=4),
    pd.offsets.CustomBusinessDay(weekmask="Tue Thu"),
    pd.offsets.MonthEnd(),  # one pandas adds to a whole index at once
])
def test_data_on_the_fitted_grid_is_read_after_the_fit_for_every_offset(freq):
    # The labels after a fit are checked by adding one step to each, as
    # pandas does for these offsets; a grid built from the first of them
    # held fewer labels than asked for DateOffset(months=1, days=1), and
    # the check failed with "Lengths must match to compare".
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    index = pd.date_range("2020-01-31", periods=60, freq=freq)  # 59 for the first one
    series = pd.Series(np.sin(np.arange(len(index), dtype=float)), index=index, name="y")
    flat = make_pipeline(FunctionTransformer(lambda X: X.reshape(len(X), -1)), Ridge())
    model = RecursiveForecaster(flat, window=3).fit(series.iloc[:30])
    assert np.isfinite(model.score(series.iloc[30:]))
    # a label off the grid is still refused, naming it
    moved = series.iloc[30:].rename(index={index[40]: index[40] + pd.Timedelta(hours=1)})
    with pytest.raises(ValueError, match="does not follow the freq"):
        model.score(moved)


def test_a_label_a_clock_change_moved_gets_advice_that_works(flat_linear):
    """Daily 02:30 in Paris is 03:00 on the day the clocks skip 02:00-03:00:
    the advice, df.asfreq('D'), failed on that wall-clock time in pandas."""
    index = pd.date_range("2024-03-01 02:30", periods=60, freq="D")
    series = pd.Series(np.sin(np.arange(60.0)), name="y",
                       index=index.tz_localize("Europe/Paris", nonexistent="shift_forward"))
    advice = re.escape("first label the data in UTC for steps of hours or less "
                       "(df.tz_convert('UTC').asfreq(...)), or without its zone for days or "
                       "longer (df.tz_localize(None).asfreq(...))")
    with pytest.raises(ValueError, match=advice):
        RecursiveForecaster(flat_linear(), window=5).fit(series)
    gridded = series.tz_localize(None).asfreq("D").interpolate()
    assert len(RecursiveForecaster(flat_linear(), window=5).fit(gridded).predict(2)) == 2


def test_an_object_that_is_no_number_is_named_by_its_row_label(flat_linear):
    """It was named by its position, "at index (3,)", where every other
    message of a forecaster quotes the row's label."""
    index = pd.date_range("2024-01-01", periods=30)
    values = pd.Series([1.0] * 30, index=index, dtype=object)
    values.iloc[3] = pd.Timestamp("2020-01-01")
    with pytest.raises(TypeError, match=r"column 'y' must contain only numbers.*but holds a "
                       r"Timestamp at label 2024-01-04 00:00:00"):
        RecursiveForecaster(flat_linear(), window=3, target="y").fit(values.to_frame("y"))


def test_a_long_history_or_future_is_not_read_whole(make, peak_bytes):
    # predict reads the last window of a history and the forecast steps'
    # rows of a future. It copied every row of both, and checked the labels'
    # uniqueness with a hash table of all of them (kept on the index): 2.6
    # times a long history's size.
    n = 200_000
    t = np.arange(float(n))
    frame = pd.DataFrame({"y": np.sin(t / 7), "p": np.cos(t / 3)},
                         index=pd.date_range("2000-01-01", periods=n, freq="h"))
    model = make(DirectForecaster, window=10, target="y", future_covariates="p")
    model.fit(frame.iloc[:300])
    history = frame.iloc[300:-10].copy()  # fresh labels: no table of an earlier check
    history.index = pd.DatetimeIndex(history.index.to_numpy())
    future = frame.iloc[-10:]
    expected = model.predict(history=history.iloc[-10:], future=future)
    peak = peak_bytes(lambda: pd.testing.assert_series_equal(
        model.predict(history=history, future=future), expected))
    assert peak < 0.2 * history.memory_usage().sum()
    after = model.predict(history=history.iloc[:-5], future=frame.iloc[-15:])
    long_future = frame.iloc[len(frame) - 15 - n // 2:].copy()
    long_future.index = pd.DatetimeIndex(long_future.index.to_numpy())
    peak = peak_bytes(lambda: pd.testing.assert_series_equal(
        model.predict(history=history.iloc[:-5], future=long_future), after))
    assert peak < 0.2 * long_future.memory_usage().sum()


@pytest.mark.parametrize("order", ["sorted", "reversed", "shuffled"])
def test_rows_of_a_future_outside_the_forecast_are_ignored_in_any_order(make, order):
    # Only the sorted frame's were: an unsorted one was checked whole, so a
    # row long before the forecast refused it or not by the rows' order.
    frame = _daily(60).to_frame().assign(p=np.arange(60.0))
    model = make(DirectForecaster, window=5, target="y", future_covariates="p")
    model.fit(frame.iloc[:50])
    future = frame.iloc[50:]
    expected = model.predict(future=future)
    # rows never read: a repeated label, a missing value and text, out of the span
    junk = frame.iloc[[3, 3, 4, 5]][["p"]].astype(object)
    junk.iloc[1:3, 0] = [np.nan, "n/a"]
    given = pd.concat([junk, frame[["p"]].iloc[6:]])
    rows = {"sorted": np.arange(len(given)), "reversed": np.arange(len(given))[::-1],
            "shuffled": np.random.default_rng(0).permutation(len(given))}[order]
    pd.testing.assert_series_equal(model.predict(future=given.iloc[rows]), expected)
    with pytest.raises(ValueError, match="future: the index has duplicated labels"):
        model.predict(future=pd.concat([given.iloc[rows], future.iloc[:1]]))


def test_a_future_series_of_another_name_is_told_to_take_the_covariates(make):
    frame = _daily(60).to_frame().assign(p=np.arange(60.0))
    model = make(DirectForecaster, window=5, target="y", future_covariates="p")
    model.fit(frame.iloc[:50])
    expected = model.predict(future=frame.iloc[50:])
    # A Series is the column of its name; one of another name, or none, was
    # told only that 'p' was no such column.
    for name, called in [(None, "an unnamed Series"), ("price", "a Series named 'price'")]:
        with pytest.raises(ValueError, match=re.escape(
                f"'p' (no such column: future is {called}; name it with .rename('p'))")):
            model.predict(future=frame["p"].iloc[50:].rename(name))
    pd.testing.assert_series_equal(model.predict(future=frame["p"].iloc[50:]), expected)


def _unset_freq(series):
    """``series`` whose DatetimeIndex has no ``freq`` set, as read_csv gives."""
    return series.set_axis(pd.DatetimeIndex(series.index.to_numpy()))


def test_forecasting_sets_no_pandas_option(make, monkeypatch):
    # pandas' options are the process's: one set for a call (the frequency's
    # inference, under pandas 3) was set for every thread meanwhile, and a
    # call in another thread restored it under this one's, which then failed.
    def refuse(*args, **kwargs):
        raise AssertionError(f"a pandas option was set: {args}")

    monkeypatch.setattr(pd, "option_context", refuse)
    monkeypatch.setattr(pd, "set_option", refuse)
    series = _unset_freq(_daily(60))
    windows = make_windows(series.to_frame(), window=5, target="y")
    assert windows.origins.freqstr == "D"
    model = make(RecursiveForecaster, window=5, target="y").fit(series)
    assert model.freq_ == "D"
    assert backtest(model, series, initial=40, step=10, horizon=3).forecasts.size


def test_frequencies_are_inferred_in_threads_at_once():
    from concurrent.futures import ThreadPoolExecutor

    def option():  # pandas >= 3.1's, which its infer_freq reads
        try:
            return pd.get_option("future.infer_freq_returns_offset")
        except pd.errors.OptionError:
            return "no such option"

    frame = _unset_freq(_daily(60)).to_frame()
    before = option()
    with ThreadPoolExecutor(4) as pool:
        windows = list(pool.map(lambda _: make_windows(frame, window=3, target="y"),
                                range(200)))
    freqs = [each.origins.freqstr for each in windows]
    assert freqs == ["D"] * 200
    assert option() == before


# -- a PeriodIndex: sktime's forecasting sets -----------------------------------


def _monthly(n=48):
    """Sales and a planned price, monthly, labelled by periods."""
    t = np.arange(n)
    return pd.DataFrame({"sales": 10 + np.sin(t / 2.0) + t / 20, "price": (t % 5) / 4.0},
                        index=pd.period_range("2001-01", periods=n, freq="M", name="month"))


@pytest.mark.parametrize("cls", [RecursiveForecaster, DirectForecaster])
def test_a_period_index_forecasts_as_its_start_times_labelled_by_periods(cls, make):
    # A PeriodIndex (sktime's load_airline, say) was refused with a TypeError.
    df = _monthly()
    starts = df.to_timestamp()
    params = dict(window=6, target="sales")
    params.update(dict(horizon=3, future_covariates="price") if cls is DirectForecaster
                  else dict(calibration_horizon=3))
    on_periods = make(cls, **params).fit(df.iloc[:40])
    on_starts = make(cls, **params).fit(starts.iloc[:40])
    assert on_periods.period_freq_ == "M" and on_starts.period_freq_ is None
    ahead = pd.period_range("2004-05", periods=3, freq="M", name="month")
    future = df.iloc[40:43] if cls is DirectForecaster else None
    future_starts = starts.iloc[40:43] if cls is DirectForecaster else None
    forecast = on_periods.predict(3, future=future)
    pd.testing.assert_index_equal(forecast.index, ahead)
    assert_array_equal(forecast, on_starts.predict(3, future=future_starts))
    intervals = on_periods.predict_interval(3, coverage=0.5, future=future)
    pd.testing.assert_index_equal(intervals.index, ahead)
    assert_array_equal(intervals, on_starts.predict_interval(3, coverage=0.5,
                                                             future=future_starts))
    pd.testing.assert_index_equal(
        on_periods.predict_quantiles(3, quantiles=[0.5], future=future).index, ahead)
    # A history of periods, and the in-sample frames.
    direct = cls is DirectForecaster
    assert_array_equal(
        on_periods.predict(3, history=df.iloc[:30], future=df.iloc[30:33] if direct else None),
        on_starts.predict(3, history=starts.iloc[:30],
                          future=starts.iloc[30:33] if direct else None))
    fitted = on_periods.fitted_values_
    assert fitted.index.dtype == pd.PeriodDtype("M") and fitted.index.name == "origin"
    assert_array_equal(fitted, on_starts.fitted_values_)
    assert_array_equal(on_periods.residuals_, on_starts.residuals_)
    assert on_periods.score(df.iloc[40:]) == on_starts.score(starts.iloc[40:])
    # Saved and loaded, it still labels its forecasts by periods.
    loaded = pickle.loads(pickle.dumps(on_periods))
    pd.testing.assert_series_equal(loaded.predict(3, future=future), forecast)


def test_a_period_index_backtests_and_windows_with_periods(make):
    df = _monthly()
    starts = df.to_timestamp()
    model = make(RecursiveForecaster, window=6, target="sales")
    result = backtest(model, df, initial=30, horizon=2, step=6)
    on_starts = backtest(model, starts, initial=30, horizon=2, step=6)
    assert result.forecasts["origin"].dtype == pd.PeriodDtype("M")
    assert_array_equal(result.forecasts["origin"], on_starts.forecasts["origin"].dt.to_period("M"))
    assert_array_equal(result.forecasts["time"], on_starts.forecasts["time"].dt.to_period("M"))
    assert_array_equal(result.forecasts["y_pred"], on_starts.forecasts["y_pred"])
    assert list(result.errors.index.astype(str)) == ["2003-06", "2003-12", "2004-06"]
    windows = make_windows(df, target="sales", window=6)
    pd.testing.assert_index_equal(windows.origins, df.index[5:-1])
    assert_array_equal(windows.X, make_windows(starts, target="sales", window=6).X)


def test_another_kind_of_index_than_fit_saw_is_refused_by_kind(make):
    df = _monthly()
    on_periods = make(DirectForecaster, window=6, target="sales", horizon=2,
                      future_covariates="price").fit(df.iloc[:40])
    future = df.iloc[40:42]
    for other, got in [(future.to_timestamp(), r"timestamps \(a DatetimeIndex\)"),
                       (future.reset_index(drop=True), "an integer index"),
                       (future.set_axis(future.index.asfreq("Q")),
                        r"periods of freq 'Q-DEC' \(a PeriodIndex\)")]:
        message = rf"future has {got}, but fit saw periods of freq 'M' \(a PeriodIndex\)\."
        with pytest.raises(ValueError, match=message):
            on_periods.predict(future=other)
        with pytest.raises(ValueError, match=message.replace("future", "history")):
            on_periods.predict(history=other.assign(sales=1.0), future=future)
    with pytest.raises(TypeError, match=r"future: the index must be a DatetimeIndex, a "
                                        r"PeriodIndex or an integer index"):
        on_periods.predict(future=future.set_axis(future.index.astype(str)))
    on_starts = make(DirectForecaster, window=6, target="sales", horizon=2,
                     future_covariates="price").fit(df.iloc[:40].to_timestamp())
    with pytest.raises(ValueError, match=r"future has periods of freq 'M' \(a PeriodIndex\), "
                                         r"but fit saw timestamps of freq 'MS' and no time "
                                         r"zone\."):
        on_starts.predict(future=future)
    with pytest.raises(ValueError, match=r"score needs the rows right after the fit data, "
                                         r"from 2004-05; data starts at 2004-06\."):
        on_periods.score(df.iloc[41:44])


def test_missing_periods_are_named_with_a_period_remedy(make):
    df = _monthly().drop(pd.Period("2002-03", "M"))
    model = make(RecursiveForecaster, window=6, target="sales")
    advice = ("data's PeriodIndex is missing 1 period(s) of its freq 'M': 2002-03. Insert "
              "them with df.reindex(pd.period_range(df.index[0], df.index[-1], freq='M')), "
              "then fill the NaN rows this creates (or pass dropna=True to drop the windows "
              "that touch them).")
    with pytest.raises(ValueError, match=re.escape(advice)):
        model.fit(df)
    # The remedy as given works.
    mended = df.reindex(pd.period_range(df.index[0], df.index[-1], freq="M")).interpolate()
    assert model.fit(mended).predict(1).index[0] == pd.Period("2005-01", "M")
    # A history is checked on the rows its forecast reads only.
    assert model.predict(1, history=df).index[0] == pd.Period("2005-01", "M")


def test_a_forecaster_saved_before_periods_were_read_loads_as_fitted_on_timestamps(make):
    model = make(RecursiveForecaster, window=6, target="sales").fit(_monthly().to_timestamp())
    state = model.__getstate__()
    del state["period_freq_"]
    loaded = RecursiveForecaster.__new__(RecursiveForecaster)
    loaded.__setstate__(state)
    assert loaded.period_freq_ is None
    pd.testing.assert_series_equal(loaded.predict(2), model.predict(2))
    state["period_freq_"] = "not a frequency"
    with pytest.raises(ValueError, match="period_freq_ is no period frequency pandas reads"):
        RecursiveForecaster.__new__(RecursiveForecaster).__setstate__(state)


def test_sktime_airline_forecasts_its_next_months(make):
    datasets = pytest.importorskip("sktime.datasets")
    y = datasets.load_airline()  # monthly, PeriodIndex
    model = make(RecursiveForecaster, window=12, target_transform="log").fit(y.iloc[:-12])
    forecast = model.predict(12)
    pd.testing.assert_index_equal(forecast.index, y.index[-12:])
    assert np.abs(forecast - y.iloc[-12:]).mean() < np.abs(y.iloc[-24:-12].to_numpy()
                                                            - y.iloc[-12:].to_numpy()).mean()


@pytest.mark.parametrize("n_levels", [2, 3])
def test_a_panel_of_series_is_refused_with_a_route_per_series(n_levels, make):
    # The advice was df.reset_index(drop=True), which joins the series end
    # to end into one (store_b's first day read as the day after store_a's last).
    series = _daily()
    parts = {("north",) * (n_levels - 2) + (store,): series * scale
             for store, scale in [("store_a", 1.0), ("store_b", 10.0)]}
    df = pd.concat(parts, names=[f"level_{k}" for k in range(n_levels - 1)] + ["day"])
    forecaster = make(RecursiveForecaster, window=4)
    for call in [forecaster.fit, lambda data: make_windows(data, window=4),
                 lambda data: backtest(forecaster, data, initial=20, horizon=2)]:
        with pytest.raises(TypeError, match=rf"the index is a MultiIndex of {n_levels} levels: "
                                            r"a panel of several series") as refused:
            call(df)
    route = re.search(r"e\.g\. parts = (\{.*\}) where", str(refused.value)).group(1)
    split = eval(route, {"df": df})
    assert list(split) == (list(parts) if n_levels > 2 else [key[0] for key in parts])
    for key, part in split.items():
        alone = parts[key if n_levels > 2 else (key,)]
        pd.testing.assert_series_equal(part, alone, check_names=False)
        assert_array_equal(forecaster.fit(part).predict(2), forecaster.fit(alone).predict(2))


def test_periods_edge_cases_read_as_their_start_times(make):
    df = _monthly()
    model = make(DirectForecaster, window=6, target="sales", horizon=2,
                 future_covariates="price").fit(df.iloc[:40])
    # score reads the rows it compares (as for timestamps): a text far after
    # them is never read.
    bad = df.iloc[40:].astype({"price": object})
    bad.iloc[-1, 1] = "oops"
    assert model.score(bad) == model.score(df.iloc[40:])
    # last_window_ is labelled as the fit data, and is a history.
    assert model.last_window_.index.equals(df.index[34:40])
    pd.testing.assert_series_equal(
        model.predict(history=model.last_window_, future=df.iloc[40:42]),
        model.predict(future=df.iloc[40:42]))
    # Two periods have a freq; their start times alone would not.
    two = pd.Series([1.0, 2.0], pd.period_range("2024-01", periods=2, freq="M"), name="y")
    assert make(RecursiveForecaster, window=1).fit(two).predict(1).index[0] == pd.Period(
        "2024-03", "M")
    # Periods one month apart under a freq of two: no period is missing.
    doubled = pd.Series(np.arange(24.0), pd.period_range("2000-01", periods=24, freq="M")
                        .asfreq("2M"), name="y")
    with pytest.raises(ValueError, match=re.escape(
            "data's PeriodIndex has freq '2M', but its periods 2000-01 and 2000-02 are 1 'M' "
            "apart, not a multiple of 2: give the index the freq its periods follow, e.g. "
            "df.set_axis(df.index.asfreq('M')).")):
        make(RecursiveForecaster, window=3).fit(doubled)
    mended = doubled.set_axis(doubled.index.asfreq("M"))
    assert make(RecursiveForecaster, window=3).fit(mended).period_freq_ == "M"


def test_a_saved_period_freq_that_does_not_label_the_window_is_refused(make):
    model = make(RecursiveForecaster, window=6, target="sales").fit(_monthly())
    state = model.__getstate__()
    loaded = RecursiveForecaster.__new__(RecursiveForecaster)
    loaded.__setstate__(dict(state))
    pd.testing.assert_frame_equal(loaded.last_window_, model.last_window_)
    for other in ["Q", "D"]:
        with pytest.raises(ValueError, match=f"period_freq_ '{other}' does not label "
                                             "last_window_'s index"):
            RecursiveForecaster.__new__(RecursiveForecaster).__setstate__(
                {**state, "period_freq_": other})
    on_integers = make(RecursiveForecaster, window=6, target="sales").fit(
        _monthly().reset_index(drop=True))
    with pytest.raises(ValueError, match="period_freq_ 'M' does not label"):
        RecursiveForecaster.__new__(RecursiveForecaster).__setstate__(
            {**on_integers.__getstate__(), "period_freq_": "M"})


def test_messages_name_rows_by_their_periods(make):
    # They named them by their start times: "label 2001-08-01 00:00:00".
    df = _monthly()
    gap = df.assign(sales=df["sales"].where(df.index != pd.Period("2001-08", "M")))
    model = make(RecursiveForecaster, window=6, target="sales")
    with pytest.raises(ValueError, match=r"the first at label 2001-08; fill"):
        model.fit(gap)
    with pytest.raises(ValueError, match=r"the first at label 2001-08; fill"):
        make_windows(gap, target="sales", window=6)
    with pytest.raises(ValueError, match=r"needs positive targets; column 'sales' has -\S+ at "
                                         r"label 2001-01\."):
        make(RecursiveForecaster, window=6, target="sales",
             target_transform="log").fit(df.assign(sales=df["sales"] - 20))
    repeated = pd.concat([df.iloc[:8], df.iloc[7:8], df.iloc[8:]])
    with pytest.raises(ValueError, match=r"^the index has duplicated labels \(2001-08\); "):
        model.fit(repeated)
    # A slice of a frame with duplicates is unique, whatever pandas remembers
    # of the frame it was cut from (its "not unique", once asked).
    for index in [df.index, pd.date_range("2001-01-01", periods=len(df), freq="D"),
                  pd.RangeIndex(len(df))]:
        whole = df.set_axis(index[:-1].append(index[-2:-1]))
        with pytest.raises(ValueError, match="duplicated labels"):
            model.fit(whole)
        head = whole.iloc[:30]
        assert model.fit(head).n_windows_ == 30 - 6
        assert len(make_windows(head, target="sales", window=6)) == 30 - 6
        assert len(backtest(model, head, initial=20, horizon=2).errors) == 5
    with pytest.raises(ValueError, match=r"missing period\(s\) \(NaT\), at position\(s\) 3"):
        model.fit(df.set_axis(df.index.insert(3, pd.NaT)[:len(df)]))
    fitted = model.fit(df)
    with pytest.raises(ValueError, match=r"at label 2001-08 in the history predict starts from"):
        fitted.predict(1, history=gap.iloc[:10])
    with pytest.raises(ValueError, match=r"up to label 2002-06, .* at label 2001-08;"):
        backtest(model, gap, initial=18, horizon=2)


def test_windows_name_each_column_as_the_frame_labels_it():
    """Fixed: a name equal to a label but of another type (1.0 for the label 1,
    NumPy's int64 or str) was kept as given, against the docstring's "as the
    frame gives it": the target's windows were named '1.0_t+1'."""
    frame = pd.DataFrame({1: np.arange(6.0), "x": np.arange(6.0)})
    windows = make_windows(frame, target=1.0, past_covariates=np.array(["x"]), window=2)
    assert [type(label) for label in windows.channels] == [int, str]
    assert windows.channels == (1, "x") and windows.target_names == ("1_t+1",)


def test_a_name_that_pandas_matches_to_a_boolean_label_is_refused():
    """1 finds the label True in an object Index; named by its label, the
    column was then selected as a one-element mask (an IndexError inside
    pandas)."""
    frame = pd.DataFrame({True: np.arange(20.0), "x": np.arange(20.0)})
    for target in (1, 1.0, np.int64(1)):
        with pytest.raises(ValueError, match=r"matched by pandas to the boolean label True of "
                                             r"data, which pandas reads as a mask"):
            make_windows(frame, target=target, window=2)
