"""Rolling-origin backtests, score, tuning, and in-sample fitted values.

Each backtest fold is checked against the public path it replays: a clone
fitted on the rows up to the origin (or once, without refit) and its
``predict``.
"""

import itertools
import warnings

import numpy as np
import pandas as pd
import pytest
import sklearn
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import (
    GridSearchCV, TimeSeriesSplit, cross_validate, learning_curve,
)

from sklstm import LSTMEncoderDecoderRegressor, LSTMRegressor
from sklstm.exceptions import TooFewCalibrationErrors
from sklstm.forecasting import (
    BacktestResult,
    DirectForecaster,
    RecursiveForecaster,
    backtest,
    make_windows,
)
from sklstm.forecasting._base import _DEFAULT_LSTM_PARAMS

pytestmark = [
    pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning"),
]

FORECASTERS = [DirectForecaster, RecursiveForecaster]


@pytest.fixture
def make(flat_linear):
    """``make(cls, **params)``: a forecaster, by default on a flat linear regression."""

    def make(cls, **params):
        params.setdefault("regressor", flat_linear())
        if cls is DirectForecaster:
            params.setdefault("horizon", 3)
        return cls(**params)

    return make


def noisy(n=80, seed=0):
    t = np.arange(n)
    rng = np.random.RandomState(seed)
    return pd.DataFrame(
        {"y": 20 + np.sin(t / 2) + 0.3 * rng.normal(size=n), "f": np.cos(t / 3)},
        index=pd.date_range("2021-01-01", periods=n, freq="D"),
    )


# --------------------------------------------------------------------------
# backtest
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cls", FORECASTERS)
@pytest.mark.parametrize("refit", [True, False, 2])
def test_backtest_replays_fit_and_predict(cls, refit, make):
    df = noisy()
    forecaster = make(cls, window=5, target="y", future_covariates="f",
                      target_transform="diff")
    result = backtest(forecaster, df, initial=50, step=4, horizon=3, refit=refit)
    assert isinstance(result, BacktestResult)
    origins = list(range(49, 77, 4))  # the last origin leaves 3 rows to forecast
    assert list(result.errors.index) == list(df.index[origins])
    assert list(result.errors.columns) == [1, 2, 3]
    every = {True: 1, False: len(origins), 2: 2}[refit]
    for fold, origin in enumerate(origins):
        n_fit = 50 if refit is False else origins[fold - fold % every] + 1
        model = clone(forecaster).set_params(calibration=None).fit(df.iloc[:n_fit])
        forecast = model.predict(3, history=df.iloc[: origin + 1],
                                 future=df.iloc[origin + 1 :])
        rows = result.forecasts[result.forecasts["fold"] == fold]
        assert_allclose(rows["y_pred"], forecast.to_numpy(), rtol=1e-10)
        assert_array_equal(rows["y_true"], df["y"].iloc[origin + 1 : origin + 4])
        assert list(rows["time"]) == list(forecast.index)
        assert (rows["origin"] == df.index[origin]).all()
        assert_allclose(result.errors.iloc[fold], rows["y_true"] - rows["y_pred"])


@pytest.mark.parametrize("cls", FORECASTERS)
@pytest.mark.parametrize("refit", [False, True])
def test_backtest_scores_a_truth_the_target_transform_refuses_as_a_history(cls, refit, make):
    # The log transform ran over every row, truths after the last origin
    # too: a 0 there, only the last fold's truth, failed the whole backtest.
    y = pd.Series(np.linspace(1.0, 5.0, 40), name="y")
    forecaster = make(cls, window=3, target_transform="log", calibration=None)
    kw = dict(initial=25, step=3, horizon=3, refit=refit)  # the last fold ends at row 39
    positive = backtest(forecaster, y, **kw)
    ends_at_zero = y.copy()
    ends_at_zero.iloc[-1] = 0.0
    result = backtest(forecaster, ends_at_zero, **kw)
    assert_array_equal(result.forecasts["y_pred"], positive.forecasts["y_pred"])
    assert result.forecasts["time"].iloc[-1] == 39 and result.forecasts["y_true"].iloc[-1] == 0
    assert result.errors.iloc[-1, -1] == -result.forecasts["y_pred"].iloc[-1]
    assert_array_equal(result.errors.iloc[:-1], positive.errors.iloc[:-1])


def test_backtest_of_fewer_steps_than_a_direct_model_stops_where_its_covariates_end(make):
    # A direct model reads the future covariates of all its own steps: the
    # last origins, with data for the folds' steps but not for the model's,
    # were emitted with NaN forecasts, left out of any mean without a word.
    df = noisy()
    forecaster = make(DirectForecaster, window=5, horizon=4, target="y",
                      future_covariates="f")
    result = backtest(forecaster, df, initial=60, step=1, horizon=2)
    assert result.errors.index[-1] == df.index[75]  # 80 rows, 4 covariate steps after it
    assert not result.errors.isna().any().any()
    # Without future covariates the folds' own steps are the limit, as before.
    plain = backtest(make(DirectForecaster, window=5, horizon=4), df["y"], initial=60,
                     step=1, horizon=2)
    assert plain.errors.index[-1] == df.index[77]


def test_backtest_defaults_direct_horizon_and_non_overlapping_step(make):
    y = noisy()["y"]
    result = backtest(make(DirectForecaster, window=4, horizon=5), y, initial=60)
    assert list(result.errors.columns) == [1, 2, 3, 4, 5]
    assert list(result.errors.index) == list(y.index[[59, 64, 69, 74]])
    assert set(result.forecasts["target"]) == {"y"}


def test_backtest_direct_with_gap_forecasts_steps_after_the_gap(make):
    y = noisy()["y"]
    result = backtest(make(DirectForecaster, window=4, horizon=2, gap=1), y,
                      initial=60, step=5)
    assert list(result.errors.columns) == [2, 3]
    first = result.forecasts[result.forecasts["fold"] == 0]
    assert list(first["time"]) == list(y.index[[61, 62]])


def test_backtest_several_targets_and_coverage(make):
    df = noisy()
    df["z"] = 2 * df["f"] + 0.1 * np.arange(len(df))
    forecaster = make(DirectForecaster, window=5, target=["y", "z"], horizon=2)
    result = backtest(forecaster, df, initial=60, step=2, coverage=0.5)
    assert list(result.errors.columns) == [("y", 1), ("y", 2), ("z", 1), ("z", 2)]
    assert result.errors.columns.names == ["target", "step"]
    forecasts = result.forecasts
    assert {"lower", "upper", "covered"} <= set(forecasts.columns)
    assert ((forecasts["lower"] <= forecasts["y_pred"])
            & (forecasts["y_pred"] <= forecasts["upper"])).all()
    inside = (forecasts["lower"] <= forecasts["y_true"]) & (
        forecasts["y_true"] <= forecasts["upper"])
    assert_array_equal(forecasts["covered"], inside)


@pytest.mark.parametrize("coverage", [None, 0.5])
def test_backtest_frees_each_fold_model_before_the_next(make, monkeypatch, coverage):
    """Every fold's fitted forecaster was kept until the backtest returned:
    each holds arrays of its training history's size, so memory grew as
    folds times rows (260 MiB for 200 folds of 5,800 rows, 5 MiB now)."""
    import weakref

    alive = []
    original = DirectForecaster._origin_forecasts

    def recording(self, *args, **kwargs):
        alive.append(weakref.ref(self))
        assert sum(ref() is not None for ref in alive) == 1  # this fold's alone
        return original(self, *args, **kwargs)

    monkeypatch.setattr(DirectForecaster, "_origin_forecasts", recording)
    forecaster = make(DirectForecaster, window=5, horizon=2, target="y", calibration_size=6)
    result = backtest(forecaster, noisy(), initial=50, step=5, coverage=coverage)
    # Each fold's model also forecasts in its own fit (in-sample, calibration).
    assert result.errors.shape[0] > 3 and len(alive) > result.errors.shape[0]
    if coverage is not None:  # each fold's bounds come from its own model
        monkeypatch.setattr(DirectForecaster, "_origin_forecasts", original)
        first = clone(forecaster).fit(noisy().iloc[:50])
        bounds = first.predict_interval(2, coverage=0.5, history=noisy().iloc[:50])
        rows = result.forecasts[result.forecasts["fold"] == 0]
        assert_allclose(rows[["lower", "upper"]], bounds.to_numpy())


@pytest.mark.parametrize("n_targets", [1, 2])
def test_backtest_names_targets_labelled_by_tuples(make, n_targets):
    """MultiIndex columns name each column by a tuple: the forecasts table
    holds the tuples (np.asarray had read them as a 2-D array and failed)."""
    df = noisy()
    df["z"] = 2 * df["f"]
    df.columns = pd.MultiIndex.from_tuples([("y", "a"), ("f", "a"), ("z", "b")])
    targets = [("y", "a"), ("z", "b")][:n_targets]
    result = backtest(make(DirectForecaster, window=5, target=targets, horizon=2), df,
                      initial=60, step=2)
    forecasts = result.forecasts
    assert list(forecasts["target"].iloc[:n_targets]) == targets
    flat = df.copy()
    flat.columns = ["y_a", "f_a", "z_b"]
    reference = backtest(make(DirectForecaster, window=5, target=["y_a", "z_b"][:n_targets],
                              horizon=2), flat, initial=60, step=2).forecasts
    assert_allclose(forecasts["y_pred"], reference["y_pred"])
    if n_targets == 2:
        assert list(result.errors.columns.get_level_values("target").unique()) == targets


def test_backtest_does_not_change_the_forecaster(make):
    forecaster = make(RecursiveForecaster, window=3)
    y = noisy()["y"]
    fitted = clone(forecaster).fit(y.iloc[:40])
    before = fitted.predict(3)
    backtest(fitted, y, initial=50, horizon=3)
    pd.testing.assert_series_equal(fitted.predict(3), before)


def test_backtest_too_large_for_memory_names_its_origins(make, monkeypatch):
    # Its windows (every origin's at once) raised NumPy's MemoryError,
    # naming an array of (n_origins, window, n_channels).
    import sklstm.forecasting._backtest as backtest_module

    def out_of_memory(*args, **kwargs):
        raise MemoryError("Unable to allocate 194. MiB for an array with shape (397997, 64, 1)")

    forecaster = make(RecursiveForecaster, window=3)
    y = noisy()["y"]
    monkeypatch.setattr(backtest_module, "observed_targets", out_of_memory)
    with pytest.raises(ValueError, match=r"^backtest's 10 origins of 3 step\(s\) make arrays "
                                         r"larger than this machine can allocate \(Unable to "
                                         r"allocate 194\. MiB.*\): forecast from fewer origins "
                                         r"\(a larger step=\) or fewer steps\.$"):
        backtest(forecaster, y, initial=50, horizon=3)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"initial": 0, "horizon": 2}, ValueError, r"backtest: initial must be an int >= 1"),
        ({"initial": 10, "horizon": 2, "step": 0}, ValueError, r"step must be None or"),
        ({"initial": 10, "horizon": 2, "refit": 0}, ValueError, r"refit must be"),
        ({"initial": 10, "horizon": 2, "refit": "yes"}, TypeError, r"refit must be"),
        ({"initial": 10, "horizon": 2, "coverage": 2.0}, ValueError, r"coverage must be"),
        ({"initial": 10}, ValueError, r"needs horizon= for a RecursiveForecaster"),
        ({"initial": 79, "horizon": 2}, ValueError,
         r"data has 80 rows: after initial=79 rows there are 1, fewer than the 2 steps"),
        # named by the argument, not by the rows of the first fit
        ({"initial": 3, "horizon": 2}, ValueError,
         r"initial=3, but one training window needs window \+ gap \+ steps predicted at once "
         r"= 3 \+ 0 \+ 1"),
    ],
)
def test_backtest_invalid_arguments(kwargs, error, message, make):
    with pytest.raises(error, match=message):
        backtest(make(RecursiveForecaster, window=3), noisy()["y"], **kwargs)


def test_backtest_checks_the_forecaster_and_its_reach_before_any_fit(make):
    df = noisy()
    # The forecaster's own parameters are named; a bad horizon was compared
    # with backtest's and raised Python's TypeError.
    with pytest.raises(TypeError, match=r"DirectForecaster: horizon must be an int >= 1, got '3'"):
        backtest(make(DirectForecaster, window=3, horizon="3"), df["y"], initial=60, horizon=2)
    # A recursive forecast with past covariates reaches gap + 1 steps: the
    # folds raised IndexError from deep inside the forecast.
    recursive = make(RecursiveForecaster, window=3, target="y", past_covariates="f")
    with pytest.raises(ValueError, match=r"can reach at most gap \+ 1 = 1 step\(s\); got horizon=3"):
        backtest(recursive, df, initial=60, horizon=3)
    assert len(backtest(recursive, df, initial=60, horizon=1).errors) == 20
    # Its calibration_horizon only matters when backtest keeps calibration on.
    calibrated = make(RecursiveForecaster, window=3, target="y", past_covariates="f",
                      calibration_horizon=3)
    assert len(backtest(calibrated, df, initial=60, horizon=1).errors) == 20
    with pytest.raises(ValueError, match=r"calibration_horizon=3 is more than the gap \+ 1"):
        backtest(calibrated, df, initial=60, horizon=1, coverage=0.8)


def test_backtest_refit_given_as_a_numpy_bool(make):
    forecaster = make(RecursiveForecaster, window=3)
    y = noisy()["y"]
    for plain, numpy_bool in ((False, np.False_), (True, np.True_)):
        expected = backtest(forecaster, y, initial=60, horizon=2, refit=plain).errors
        pd.testing.assert_frame_equal(
            backtest(forecaster, y, initial=60, horizon=2, refit=numpy_bool).errors, expected
        )


def test_coverage_is_unknown_where_the_truth_or_the_forecast_is_missing(make):
    y = noisy()["y"]
    y.iloc[65] = np.nan  # a missing truth, and histories that hold it
    result = backtest(make(DirectForecaster, window=3, horizon=2), y, initial=50,
                      refit=False, coverage=0.5)
    forecasts = result.forecasts
    missing = forecasts["y_true"].isna() | forecasts["y_pred"].isna()
    assert missing.any() and (~missing).any()
    assert forecasts["covered"].dtype == "boolean"
    assert forecasts.loc[missing, "covered"].isna().all()
    judged = forecasts[~missing]
    inside = (judged["lower"] <= judged["y_true"]) & (judged["y_true"] <= judged["upper"])
    assert_array_equal(judged["covered"].to_numpy(bool), inside)
    # so that the mean is the coverage of the judged rows; it was diluted by False
    assert forecasts["covered"].mean() == pytest.approx(inside.mean())


def test_backtest_refuses_bad_data_and_non_forecasters(make):
    y = noisy()["y"]
    truth_only = y.copy()
    truth_only.iloc[78] = np.inf  # a row no fold fits on, only read as truth
    with pytest.raises(ValueError, match=r"'y' has 1 infinite value\(s\), the first at "
                       r"label 2021-03-20"):
        backtest(make(DirectForecaster, window=3), truth_only, initial=60, refit=False)
    with pytest.raises(ValueError, match="column 'f' given as future_covariates is not in"):
        backtest(make(DirectForecaster, window=3, target="y", future_covariates="f"),
                 noisy()[["y"]], initial=60)
    with pytest.raises(TypeError, match="backtest needs a DirectForecaster or "
                       "RecursiveForecaster; got LSTMRegressor"):
        backtest(LSTMRegressor(), y, initial=60, horizon=2)
    for cls in (DirectForecaster, LSTMRegressor):
        with pytest.raises(TypeError, match=rf"backtest needs a forecaster, not the class "
                           rf"{cls.__name__}: pass an instance"):
            backtest(cls, y, initial=60)


@pytest.mark.parametrize("cls", FORECASTERS)
def test_a_fold_fit_that_fails_is_named_by_its_origins_and_rows(cls, make):
    """With dropna=True a fold's rows can leave no complete window: the
    forecaster's own error said nothing of backtest or which fold."""
    y = noisy()["y"]
    y.iloc[3:12] = np.nan
    extra = {"horizon": 2} if cls is DirectForecaster else {}
    forecaster = make(cls, window=4, dropna=True, **extra)
    with pytest.raises(ValueError, match=r"backtest fits the model of the origins from label "
                       r"2021-01-12 00:00:00 on the rows up to label 2021-01-12 00:00:00: all "
                       r"\d+ windows include a NaN"):
        backtest(forecaster, y, initial=12, horizon=2)
    # with refit=k one model serves k folds: named by its first origin
    positive = noisy()["y"] + 10
    positive.iloc[30] = -1.0  # a log transform refuses it once a fit reads it
    logged = make(cls, window=4, target_transform="log", **extra)
    with pytest.raises(ValueError, match=r"backtest fits the model of the origins from label "
                       r"2021-02-0\d 00:00:00 on the rows up to label 2021-02-0\d"):
        backtest(logged, positive, initial=20, step=2, refit=2, horizon=2)


# --------------------------------------------------------------------------
# score and tuning
# --------------------------------------------------------------------------


@pytest.mark.parametrize("cls", FORECASTERS)
def test_score_is_negative_mae_of_the_next_rows(cls, make):
    df = noisy()
    forecaster = make(cls, window=5, target="y", future_covariates="f")
    forecaster.fit(df.iloc[:70])
    n_steps = 3 if cls is DirectForecaster else 10
    forecast = forecaster.predict(n_steps, future=df.iloc[70:])
    expected = -mean_absolute_error(df["y"].iloc[70 : 70 + n_steps], forecast)
    assert forecaster.score(df.iloc[70:]) == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match=r"score needs the rows right after the fit "
                       r"data, from 2021-03-12 00:00:00; data starts at 2021-03-13"):
        forecaster.score(df.iloc[71:])


@pytest.mark.parametrize("cls", FORECASTERS)
def test_a_splitter_gap_is_named_where_grid_search_quotes_the_error(cls, make):
    """GridSearchCV turns score's error into NaN scores: its warning must say
    why, or the search silently picks among NaNs."""
    df = noisy()[["y"]]
    search = GridSearchCV(make(cls, window=5, target="y"), {"window": [4, 5]},
                          cv=TimeSeriesSplit(n_splits=2, test_size=5, gap=2))
    with pytest.warns(UserWarning, match=r"(?s)data starts at .* Rows are left out between "
                      r"the fit data and the scored rows: a splitter's gap "
                      r"\(TimeSeriesSplit\(gap=...\)\) leaves them out"):
        search.fit(df)
    assert np.isnan(search.cv_results_["mean_test_score"]).all()
    # learning_curve fits on the first part of each fold: no gap, yet rows left out.
    # The message blamed a gap the splitter did not have.
    with pytest.raises(ValueError, match=r"so does learning_curve, which fits on the first "
                       r"part of each training fold: forecasters have no learning curve\.$"):
        learning_curve(make(cls, window=5, target="y"), df, None, train_sizes=[0.6, 1.0],
                       cv=TimeSeriesSplit(n_splits=2, test_size=5), error_score="raise")
    # Train scores score rows of the fit data, which had no hint.
    forecaster = make(cls, window=5, target="y").fit(df.iloc[:70])
    with pytest.raises(ValueError, match=r"data starts at 2021-03-11 00:00:00\. data holds "
                       r"rows the forecaster was fitted on: train scores"):
        forecaster.score(df.iloc[69:])
    with pytest.raises(ValueError, match=r"\(cross_validate\(return_train_score=True\), "
                       r"validation_curve\) score the fit data"):
        cross_validate(make(cls, window=5, target="y"), df, return_train_score=True,
                       cv=TimeSeriesSplit(n_splits=2, test_size=5), error_score="raise")


@pytest.mark.parametrize("cls", FORECASTERS)
def test_score_refuses_data_off_the_fitted_time_axis(cls, make):
    # Truth is read by position, so every row must be where its label says.
    df = noisy()
    forecaster = make(cls, window=5, target="y", future_covariates="f").fit(df.iloc[:70])
    before = forecaster.score(df.iloc[70:])
    gap = df.iloc[70:].drop(df.index[72])
    with pytest.raises(ValueError, match=r"data does not follow the freq 'D'.*after "
                       r"2021-03-13 00:00:00 comes 2021-03-15"):
        forecaster.score(gap)
    with pytest.raises(ValueError, match="data: the index is not sorted"):
        forecaster.score(df.iloc[70:].iloc[[0, 2, 1, 3, 4]])
    with pytest.raises(ValueError, match="data: the index has duplicated labels"):
        forecaster.score(pd.concat([df.iloc[70:71], df.iloc[70:]]))
    hourly = df.iloc[70:].set_axis(pd.date_range(df.index[70], periods=10, freq="h"))
    with pytest.raises(ValueError, match="after 2021-03-12 00:00:00 comes 2021-03-12 01:00"):
        forecaster.score(hourly)
    with pytest.raises(ValueError, match="data has timestamps in 'UTC'"):
        forecaster.score(df.iloc[70:].tz_localize("UTC"))
    with pytest.raises(ValueError, match=r"score needs the target column\(s\) \['y'\]"):
        forecaster.score(df.iloc[70:][["f"]])
    # Named as predict's, with predict's argument.
    with pytest.raises(ValueError, match=r"^score needs finite future covariates at .*Missing: "
                                         r"'f' \(no such column\) in data\.$"):
        forecaster.score(df.iloc[70:][["y"]])
    with pytest.raises(ValueError, match=r"^data has several columns named 'f'"):
        forecaster.score(pd.concat([df.iloc[70:], df.iloc[70:][["f"]]], axis=1))
    assert forecaster.score(df.iloc[70:]) == before


def test_grid_search_tunes_the_window_on_rolling_origins(flat_linear):
    # An AR(2) series: one lag cannot forecast it, two can.
    t = np.arange(200)
    y = pd.Series(np.sin(t / 3) + 0.01 * np.random.RandomState(0).normal(size=200),
                  name="y")
    search = GridSearchCV(
        RecursiveForecaster(flat_linear(), window=1, calibration=None),
        {"window": [1, 2, 4]},
        cv=TimeSeriesSplit(n_splits=4, test_size=10),
    ).fit(y)
    assert search.best_params_["window"] in (2, 4)
    assert search.cv_results_["mean_test_score"][0] < search.best_score_ < 0
    assert len(search.best_estimator_.predict(5)) == 5


@pytest.mark.parametrize("cls", FORECASTERS)
def test_forecasters_route_no_metadata(cls, make):
    # data is the forecaster's X, and no router passes predict's arguments:
    # neither may be offered as metadata (set_fit_request(data=True) was).
    forecaster = make(cls, window=2, calibration=None)
    assert forecaster.get_metadata_routing()._serialize() == {}
    assert [name for name in dir(forecaster) if name.startswith("set_")
            and name.endswith("_request")] == []
    y = noisy(60)["y"]
    with sklearn.config_context(enable_metadata_routing=True):
        scores = cross_validate(forecaster, y, cv=TimeSeriesSplit(2, test_size=5))
        assert np.isfinite(scores["test_score"]).all()
        with pytest.raises(TypeError, match=r"\{'sample_weight'\}.*not routed"):
            cross_validate(forecaster, y, cv=TimeSeriesSplit(2, test_size=5),
                           params={"sample_weight": np.ones(60)})


@pytest.mark.parametrize("gap, horizon", [(0, 3), (2, 3), (4, 1)])
def test_the_documented_splitter_gap_keeps_training_targets_before_each_test_origin(
        gap, horizon):
    # sklstm.forecasting._windows: TimeSeriesSplit(gap=G + horizon - 1) on
    # make_windows(gap=G); with gap=horizon - 1 alone, G > 0 leaked G rows.
    windows = make_windows(pd.DataFrame({"y": np.arange(40.0)}), target="y", window=3,
                           horizon=horizon, gap=gap)
    origins = np.asarray(windows.origins)
    for train, test in TimeSeriesSplit(n_splits=3, gap=gap + horizon - 1).split(windows.X):
        last_target = origins[train].max() + gap + horizon
        assert last_target <= origins[test].min()
        assert windows.y[train].max() == last_target  # the values are their own rows


def test_nested_set_params_reach_the_default_regressor():
    forecaster = clone(RecursiveForecaster(window=3, random_state=7))
    forecaster.set_params(regressor__max_iter=50)
    assert isinstance(forecaster.regressor, LSTMRegressor)
    expected = {**_DEFAULT_LSTM_PARAMS, "max_iter": 50, "random_state": 7}
    assert {k: forecaster.regressor.get_params()[k] for k in expected} == expected
    assert clone(forecaster).get_params()["regressor__max_iter"] == 50
    # Other keys are set first, so the default is seeded by the new seed.
    other = DirectForecaster(window=3, horizon=2).set_params(
        regressor__hidden_layer_sizes=(4,), random_state=3)
    assert other.regressor.random_state == 3
    assert other.regressor.hidden_layer_sizes == (4,)
    # A given regressor is left as it is.
    given = LSTMRegressor(max_iter=9)
    forecaster = DirectForecaster(given, window=3, horizon=2)
    forecaster.set_params(regressor__max_iter=11)
    assert forecaster.regressor is given and given.max_iter == 11
    # An unknown nested name leaves regressor=None as it was.
    forecaster = RecursiveForecaster(window=3)
    with pytest.raises(ValueError, match="Invalid parameter 'bogus'"):
        forecaster.set_params(regressor__bogus=1)
    assert forecaster.regressor is None


def test_grid_search_over_default_regressor_hidden_size():
    y = noisy(90)["y"]
    search = GridSearchCV(
        DirectForecaster(window=4, horizon=3, calibration=None, random_state=0),
        {"regressor__hidden_layer_sizes": [(2,), (4,)], "regressor__max_iter": [20]},
        cv=TimeSeriesSplit(n_splits=2, test_size=3),
    ).fit(y)
    best = search.best_estimator_
    assert best.regressor_.max_iter == 20
    assert best.regressor_.hidden_layer_sizes == search.best_params_[
        "regressor__hidden_layer_sizes"]
    assert np.isfinite(search.cv_results_["mean_test_score"]).all()


# --------------------------------------------------------------------------
# In-sample fitted values and residuals
# --------------------------------------------------------------------------


def test_direct_fitted_values_are_the_training_window_predictions(make):
    df = noisy()
    forecaster = make(DirectForecaster, window=5, target="y", future_covariates="f",
                      scale_target=False, center_windows=False).fit(df)
    w = make_windows(df, target="y", window=5, horizon=3, future_covariates="f")
    fitted = forecaster.fitted_values_
    assert fitted.shape == (len(w), 3)
    assert list(fitted.index) == list(w.origins) and fitted.index.name == "origin"
    assert list(fitted.columns) == [1, 2, 3]
    assert_allclose(fitted.to_numpy(), forecaster.regressor_.predict(w.X), rtol=1e-10)
    assert_allclose(forecaster.residuals_.to_numpy(), w.y - fitted.to_numpy())


def test_recursive_fitted_values_with_gap_are_indexed_by_the_history_end(make):
    y = noisy()["y"]
    forecaster = make(RecursiveForecaster, window=4, gap=2, scale_target=False,
                      center_windows=False).fit(y)
    w = make_windows(y, window=4, gap=2)
    fitted = forecaster.fitted_values_
    # The window ending at t forecasts t + 3; from the history up to t + 2,
    # that is the next step.
    assert list(fitted.index) == list(y.index[np.arange(len(w)) + 3 + 2])
    assert list(fitted.columns) == [1]
    assert_allclose(fitted[1], forecaster.regressor_.predict(w.X), rtol=1e-10)
    assert_allclose(forecaster.residuals_[1], w.y[:, 0] - fitted[1])


def test_fitted_values_skip_windows_with_nan(make):
    df = noisy()
    df.iloc[30, 0] = np.nan
    forecaster = make(RecursiveForecaster, window=3, target="y", dropna=True).fit(df)
    fitted = forecaster.fitted_values_[1]
    touched = fitted.index[(fitted.index >= df.index[30]) & (fitted.index <= df.index[32])]
    assert fitted[touched].isna().all() and len(touched) == 3
    assert fitted.drop(touched).notna().all()


@pytest.mark.parametrize("layout", ["shifted", "appended", "recursive"])
def test_fitted_values_are_nan_only_where_a_future_covariate_read_is(make, layout):
    """A NaN future covariate makes NaN exactly the fitted values of the
    origins whose windows read it, the windows make_windows(dropna=True)
    drops. They were NaN from the history's first row on: shifted windows
    read the covariates gap + horizon rows later, and appended ones skip the
    gap, so origins trained on got NaN too."""
    df = noisy()
    df.iloc[40, 1] = np.nan  # "f"
    kw = dict(window=4, gap=1, target="y", future_covariates="f", dropna=True,
              scale_target=False)
    if layout == "recursive":
        forecaster = make(RecursiveForecaster, **kw).fit(df)
        windows = dict(horizon=1)
    elif layout == "shifted":
        forecaster = make(DirectForecaster, horizon=3, **kw).fit(df)
        windows = dict(horizon=3)
    else:
        regressor = LSTMEncoderDecoderRegressor(hidden_layer_sizes=(2,), solver="lbfgs",
                                                max_iter=2, random_state=0)
        forecaster = DirectForecaster(regressor, horizon=3, **kw).fit(df)
        windows = dict(horizon=3, future_layout="appended")
    w = make_windows(df, window=4, gap=1, target="y", future_covariates="f", dropna=True,
                     **windows)
    fitted = forecaster.fitted_values_
    # A recursive forecast's origin is the end of its history, gap rows after
    # its first window's end.
    shift = 1 if layout == "recursive" else 0
    kept = df.index[df.index.get_indexer(w.origins) + shift]
    nan = fitted.index[fitted.isna().any(axis=1)]
    # as many origins as rows of "f" a window reads: 4, or 4 + 3 appended
    assert len(nan) == (7 if layout == "appended" else 4) and set(nan).isdisjoint(kept)
    assert set(fitted.index) - set(nan) == set(kept) & set(fitted.index)
    assert len(set(kept) - set(fitted.index)) == 0


def test_a_recursive_origin_keeps_the_steps_before_a_nan_it_reads_later(flat_linear):
    # Step k reads the covariate k rows ahead: a NaN at row 33 spoils steps
    # from it on. The origin's earlier steps were NaN too, and calibration
    # and backtests lost their errors.
    df = pd.DataFrame({"y": np.sin(np.arange(40) / 3) + 5, "f": np.cos(np.arange(40) / 5)})
    df.loc[33, "f"] = np.nan
    forecaster = RecursiveForecaster(flat_linear(), window=3, target="y",
                                     future_covariates="f", dropna=True, calibration=None)
    # NaN forecasts were returned without a word, and a mean of the errors
    # per step averaged different folds at each step.
    with pytest.warns(UserWarning, match=r"^backtest: \d+ of 24 forecasts are NaN") as caught:
        result = backtest(forecaster, df, initial=30, step=1, horizon=3)
    forecasts = result.forecasts.pivot(index="origin", columns="step", values="y_pred")
    per_step = forecasts.notna().sum(axis=0)
    assert (f"backtest: {int(forecasts.isna().to_numpy().sum())} of 24 forecasts are NaN"
            in str(caught[0].message))
    assert (f"averages {per_step.min()} to {per_step.max()} of the 8 folds"
            in str(caught[0].message))
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backtest(forecaster, df.fillna(0.0), initial=30, step=1, horizon=3)
    assert not [w for w in caught if "forecasts are NaN" in str(w.message)]
    reached = {30: 2, 31: 1, 32: 0}  # steps before the one reading row 33
    for origin, n_steps in reached.items():
        row = forecasts.loc[origin].to_numpy()
        assert np.isfinite(row[:n_steps]).all() and np.isnan(row[n_steps:]).all()
        if n_steps:
            fitted = clone(forecaster).fit(df.iloc[:30])
            expected = fitted.predict(n_steps, history=df.iloc[:origin + 1],
                                      future=df.iloc[origin + 1: origin + 1 + n_steps][["f"]])
            assert_allclose(row[:n_steps], expected.to_numpy(), rtol=1e-12)


class _NaNRecorder(RegressorMixin, BaseEstimator):
    """Predicts zeros and records which windows held a NaN: what a forecast
    really reads, independently of the forecaster's own bookkeeping."""

    def fit(self, X, y):
        self.n_outputs_ = 1 if np.ndim(y) == 1 else np.shape(y)[1]
        return self

    def predict(self, X):
        self.read_nan_ = getattr(self, "read_nan_", np.zeros(len(X), bool)) | np.isnan(
            X).any(axis=(1, 2))
        return np.zeros((len(X), self.n_outputs_)).squeeze(axis=1 if self.n_outputs_ == 1
                                                            else ())


@pytest.mark.parametrize("layout", ["shifted", "appended", "recursive"])
@pytest.mark.parametrize("transform", [None, "diff"])
def test_an_origin_is_complete_exactly_when_its_forecast_reads_no_nan(layout, transform):
    """For a NaN put in each row of each column (target, past and future
    covariates), the origins _complete_origins keeps are exactly those whose
    windows held no NaN when the model read them (and whose last target a
    differenced forecast adds up from is not NaN). It once checked every
    column over the whole history, so trained-on origins lost their fitted
    values, calibration residuals and backtest folds."""
    from sklstm.forecasting._columns import column_values

    n = 14
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"y": 50 + rng.normal(size=n).cumsum(), "p": rng.normal(size=n),
                          "f": rng.normal(size=n)})
    for window, gap, horizon in [(1, 0, 1), (3, 2, 2), (2, 1, 3)]:
        if transform and layout != "recursive":
            gap = 0  # a direct forecast cannot add up over the gap
        past = None if layout == "recursive" and gap == 0 else ["p"]
        kw = dict(window=window, gap=gap, target="y", future_covariates=["f"],
                  past_covariates=past, target_transform=transform, calibration=None)
        if layout == "recursive":
            model = RecursiveForecaster(_NaNRecorder(), **kw)
        elif layout == "shifted":
            model = DirectForecaster(_NaNRecorder(), horizon=horizon, **kw)
        else:
            model = DirectForecaster(LSTMEncoderDecoderRegressor(max_iter=1), horizon=horizon,
                                     **kw)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model.fit(frame)
        if layout == "appended":
            assert model._setup.future_layout == "appended"
            model.regressor_ = _NaNRecorder().fit(None, np.zeros((1, horizon)))
        setup = model._setup
        columns = model.targets_ + model.past_covariates_ + model.future_covariates_
        clean = column_values(frame, columns)
        origins = np.arange(setup.n_history_rows - 1, n)
        first = setup.transform.n_consumed
        reach = gap + 1 if layout == "recursive" and past else 3
        for n_steps in range(1, (horizon if layout != "recursive" else reach) + 1):
            n_lead = model._n_lead(n_steps, setup)
            for row, column in itertools.product(range(n), range(len(columns))):
                values = clean.copy()
                values[row, column] = np.nan
                complete = model._complete_origins(values, origins, n_steps)
                lookback = values[first:, :len(columns) - 1].copy()
                with np.errstate(all="ignore"):
                    lookback[:, :1] = model._to_model_units(values[:, :1], frame.index)
                lead = np.vstack([values[first:, -1:], np.full((n_lead, 1), np.nan)])
                model.regressor_.read_nan_ = np.zeros(len(origins), bool)
                model._forecast_model_units(lookback, lead, origins - first, n_steps)
                read_nan = model.regressor_.read_nan_
                if setup.transform.cumulative:
                    read_nan = read_nan | np.isnan(values[origins, 0])
                assert_array_equal(complete, ~read_nan, err_msg=str(
                    (window, gap, horizon, n_steps, row, columns[column])))


def test_predict_refuses_a_nan_only_where_the_forecast_reads_it(make):
    """A recursive forecast with gap=2 reads the last target of its history
    only from its third step on: a NaN there was refused for forecasts of one
    or two steps, which never read it."""
    df = noisy()[["y"]]
    forecaster = make(RecursiveForecaster, window=3, gap=2, target="y").fit(df)
    history = df.iloc[:60].copy()
    history.iloc[-1, 0] = np.nan
    filled = history.fillna(123.0)
    for horizon in (1, 2):
        assert_allclose(forecaster.predict(horizon, history=history),
                        forecaster.predict(horizon, history=filled))
    with pytest.raises(ValueError, match=r"column 'y' has 1 missing value\(s\) \(NaN\), the "
                                         r"first at label 2021-03-01 00:00:00.*history predict"):
        forecaster.predict(3, history=history)


def test_backtest_horizon_beyond_a_direct_forecasters_own(make):
    with pytest.raises(ValueError, match=r"horizon=4 is more than the 3 steps the "
                       r"DirectForecaster forecasts"):
        backtest(make(DirectForecaster, window=3), noisy()["y"], initial=50, horizon=4)


def test_too_few_calibration_errors_in_an_early_fold_are_named_with_the_fold(make):
    # The interval's refusal told the user to "raise calibration_size and
    # refit", as of a model they had fitted, with no word of backtest,
    # the fold or initial.
    forecaster = make(RecursiveForecaster, window=4, target="y", calibration_horizon=3)
    # Its own type still, for a caller to tell it apart from other refusals.
    with pytest.raises(TooFewCalibrationErrors, match=r"^backtest, with the model of the "
                                                      r"origins from label "
                                         r"2021-01-21 00:00:00 \(fitted on the rows up to label "
                                         r"2021-01-21 00:00:00\): coverage=0\.9 "
                                         r"needs at least 9 calibration errors.*raise "
                                         r"initial=21 to give the first folds more\.$"):
        backtest(forecaster, noisy(), initial=21, horizon=3, coverage=0.9)
    result = backtest(forecaster, noisy(), initial=60, horizon=3, coverage=0.8)
    assert np.isfinite(result.forecasts["lower"]).all()


class _NaNAboveTwo(RegressorMixin, BaseEstimator):
    """A flat linear model that forecasts NaN from windows holding a value above 2."""

    def fit(self, X, y):
        from sklearn.linear_model import Ridge

        self.ridge_ = Ridge().fit(X.reshape(len(X), -1), y)
        return self

    def predict(self, X):
        X = X.reshape(len(X), -1)
        predicted = self.ridge_.predict(X)
        predicted[X.max(axis=1) > 2] = np.nan
        return predicted


@pytest.mark.parametrize("refit, origin", [(False, "2024-01-30"), (True, "2024-02-21")])
def test_a_fold_whose_forecast_fails_is_named(refit, origin):
    """Fixed bug: a fold model that forecast NaN from an origin its fit never
    read raised the forecaster's bare message, naming neither backtest nor
    the fold."""
    y = pd.Series(np.sin(np.arange(70.0)), pd.date_range("2024-01-01", periods=70), name="y")
    y.iloc[50] = 5.0
    forecaster = DirectForecaster(_NaNAboveTwo(), window=4, horizon=2, calibration=None,
                                  scale_target=False, center_windows=False)
    with pytest.raises(ValueError, match=rf"^backtest forecasts from the origins from label "
                                         rf"{origin} 00:00:00 with the model fitted on the rows "
                                         r"up to label .*: The regressor _NaNAboveTwo forecast "
                                         r"nan for 'y'"):
        backtest(forecaster, y, initial=30, step=2, refit=refit)
