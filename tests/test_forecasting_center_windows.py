"""``center_windows``: windows read relative to their own level.

Known answers: on a straight line (or, with ``target_transform="log"``, an
exponential), every centered window looks the same and so does its centered
target, so a regressor that only learns the mean of its targets forecasts
the line exactly, beyond the range it was fitted on. Without centering the
same regressor forecasts the mean of the fit data.
"""

import pickle

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.dummy import DummyRegressor

from sklstm import LSTMEncoderDecoderRegressor, LSTMRegressor
from sklstm.forecasting import DirectForecaster, RecursiveForecaster, backtest
from sklstm.forecasting._windows import center_covariates, center_windows


def line(n, slope=2.0, intercept=5.0):
    index = pd.date_range("2024-01-01", periods=n, freq="D")
    return pd.Series(intercept + slope * np.arange(n), index=index, name="y")


def test_center_windows_subtracts_the_mean_of_the_window_steps_only():
    X = np.arange(2 * 5 * 3, dtype=float).reshape(2, 5, 3)
    centered, levels = center_windows(X, n_targets=2, window=3, names=("a", "b", "c"))
    assert_allclose(levels, X[:, :3, :2].mean(axis=1))
    assert_allclose(centered[:, :3, :2], X[:, :3, :2] - levels[:, None])
    # Steps after the window and the other channels are left alone.
    assert_array_equal(centered[:, 3:], X[:, 3:])
    assert_array_equal(centered[:, :, 2], X[:, :, 2])
    assert_array_equal(X, np.arange(30.0).reshape(2, 5, 3))  # not in place


@pytest.mark.parametrize("make", [
    lambda: DirectForecaster(DummyRegressor(), window=4, horizon=3),
    lambda: RecursiveForecaster(DummyRegressor(), window=4),
], ids=["direct", "recursive"])
def test_a_mean_regressor_continues_a_line_beyond_the_fit_range(make):
    series = line(40)
    centered = make().set_params(center_windows=True, calibration=None).fit(series)
    expected = 5.0 + 2.0 * np.arange(40, 43)
    assert_allclose(centered.predict(3).to_numpy(), expected, rtol=1e-12)
    # From a newer history, far above anything seen in fit.
    newer = line(100).iloc[60:]
    assert_allclose(centered.predict(3, history=newer).to_numpy(),
                    5.0 + 2.0 * np.arange(100, 103), rtol=1e-12)
    # Without centering, the same regressor forecasts the level it was fitted on.
    plain = make().set_params(center_windows=False, calibration=None).fit(series)
    assert np.abs(plain.predict(3).to_numpy() - expected).min() > 30


@pytest.mark.parametrize("make", [
    lambda: DirectForecaster(DummyRegressor(strategy="median"), window=4, horizon=3),
    lambda: RecursiveForecaster(DummyRegressor(strategy="median"), window=4),
], ids=["direct", "recursive"])
def test_windows_of_values_near_the_float64_limit_are_centred(make):
    """Their sums overflow, not their means: the level was inf, and the
    regressor then refused an infinity the data did not hold. (A median: the
    mean of 34 targets near 1e307 overflows inside DummyRegressor.)"""
    series = line(40) * 1e306  # up to 8.3e307: four of them sum beyond 1.8e308
    model = make().set_params(scale_target=False, calibration=None).fit(series)
    assert_allclose(model.predict(3).to_numpy(), 1e306 * (5.0 + 2.0 * np.arange(40, 43)),
                    rtol=1e-12)
    frame = pd.DataFrame({"y": line(40), "p": series})
    centred = make().set_params(target="y", past_covariates="p", center_covariates="p",
                                calibration=None)
    assert np.isfinite(centred.fit(frame).predict(1).to_numpy()).all()
    # Every window holds three of 1.7e308 and one of -1.7e308: that one less
    # the window's mean, 0.85e308, is beyond float64.
    frame["p"] = np.where(np.arange(40) % 4, 1.7e308, -1.7e308)
    with pytest.raises(ValueError, match=r"column 'p' less its mean over window 0 overflows "
                                         r"float64 when the windows are centred"):
        centred.fit(frame)


def test_with_log_the_level_is_geometric_and_growth_is_continued():
    index = pd.date_range("2024-01-01", periods=30, freq="D")
    series = pd.Series(3.0 * 1.1 ** np.arange(30), index=index, name="y")
    forecaster = RecursiveForecaster(
        DummyRegressor(), window=5, target_transform="log", center_windows=True,
        calibration=None,
    ).fit(series)
    assert_allclose(forecaster.predict(4).to_numpy(), 3.0 * 1.1 ** np.arange(30, 34),
                    rtol=1e-10)


def test_centering_covers_several_targets_and_future_covariates():
    # Two lines of different slopes, a future covariate that must stay as is.
    n = 50
    index = pd.date_range("2024-01-01", periods=n, freq="D")
    t = np.arange(n, dtype=float)
    df = pd.DataFrame({"a": 1 + t, "b": 100 - 3 * t, "f": np.sin(t)}, index=index)
    forecaster = DirectForecaster(
        DummyRegressor(), window=6, horizon=2, target=["a", "b"],
        future_covariates="f", center_windows=True, calibration=None,
    ).fit(df.iloc[:40])
    pred = forecaster.predict(future=df.iloc[40:42], history=df.iloc[:40])
    assert_allclose(pred.to_numpy(), df[["a", "b"]].iloc[40:42].to_numpy(), rtol=1e-12)


def test_in_sample_values_and_scores_use_the_centering():
    forecaster = DirectForecaster(
        DummyRegressor(), window=4, horizon=2, center_windows=True, calibration=None,
    ).fit(line(30))
    assert_allclose(forecaster.residuals_.to_numpy(), 0.0, atol=1e-10)
    assert forecaster.score(line(60).iloc[30:32]) == pytest.approx(0.0, abs=1e-10)


def test_center_windows_is_validated_and_saved():
    with pytest.raises(ValueError, match="center_windows must be True or False or one of 'auto'"):
        DirectForecaster(window=3, horizon=1, center_windows="yes").fit(line(20))
    with pytest.raises(TypeError, match="center_windows must be True or False"):
        DirectForecaster(window=3, horizon=1, center_windows=None).fit(line(20))
    forecaster = RecursiveForecaster(
        DummyRegressor(), window=4, center_windows=True, calibration=None,
    ).fit(line(30))
    loaded = pickle.loads(pickle.dumps(forecaster))
    assert loaded.get_params()["center_windows"] is True
    assert_array_equal(loaded.predict(3), forecaster.predict(3))


def test_forecasters_saved_before_center_windows_load_without_it():
    # As such forecasters were: windows not centred (the default since).
    forecaster = RecursiveForecaster(DummyRegressor(), window=4, calibration=None,
                                     center_windows=False).fit(line(30))
    state = forecaster.__getstate__()
    del state["center_windows"]
    del state["_setup"]["center_windows"]
    old = RecursiveForecaster.__new__(RecursiveForecaster)
    old.__setstate__(state)
    assert old.get_params()["center_windows"] is False
    assert_array_equal(old.predict(3), forecaster.predict(3))


class Recorder(DummyRegressor):
    """A mean regressor that keeps every X it is given."""

    def fit(self, X, y, sample_weight=None):
        self.seen_ = [np.array(X)]
        return super().fit(X, y, sample_weight)

    def predict(self, X, return_std=False):
        self.seen_.append(np.array(X))
        return super().predict(X)


class RecordingEncoderDecoder(LSTMEncoderDecoderRegressor):
    """The encoder-decoder (so the forecaster builds its appended layout),
    keeping every X it is given."""

    def fit(self, X, y, sample_weight=None):
        super().fit(X, y, sample_weight)
        self.seen_ = [np.array(X)]  # after fit, which replaces all fitted state
        return self

    def predict(self, X):
        self.seen_.append(np.array(X))
        return super().predict(X)


def _demand(n=60, shift=0.0):
    index = pd.date_range("2024-01-01", periods=n, freq="D")
    t = np.arange(n, dtype=float)
    return pd.DataFrame({
        "y": shift + 50 + 0.5 * t + 5 * np.sin(t / 2) + np.cos(t / 5),
        "past": np.sin(t / 3),
        "promo": (t % 7 == 0).astype(float),
    }, index=index)


@pytest.mark.parametrize("make", [
    lambda: DirectForecaster(Recorder(), window=5, horizon=3, target="y",
                             past_covariates="past", future_covariates="promo"),
    lambda: DirectForecaster(RecordingEncoderDecoder((2,), max_iter=2, random_state=0),
                             window=5, horizon=3, target="y", past_covariates="past",
                             future_covariates="promo"),
    lambda: RecursiveForecaster(Recorder(), window=5, target="y", future_covariates="promo"),
], ids=["direct", "encoder-decoder", "recursive"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_regressor_reads_target_channels_centered_and_the_rest_as_is(make):
    data = _demand()
    seen = {}
    for center in (False, True):
        forecaster = make().set_params(center_windows=center, calibration=None)
        forecaster.fit(data.iloc[:50]).predict(future=data.iloc[50:53])
        seen[center] = forecaster.regressor_.seen_  # the fit's X, then predict's
    window = 5
    for X, X_plain in zip(seen[True], seen[False]):
        assert X.shape == X_plain.shape
        level = X_plain[:, :window, 0].mean(axis=1, keepdims=True)
        assert_allclose(X[:, :window, 0], X_plain[:, :window, 0] - level, atol=1e-12)
        assert np.abs(level).max() > 0.1  # the check above is not vacuous
        assert_array_equal(X[:, :, 1:], X_plain[:, :, 1:])  # covariates as they were
        assert_array_equal(X[:, window:, 0], X_plain[:, window:, 0])  # appended steps


@pytest.mark.parametrize("make", [
    lambda: DirectForecaster(LSTMRegressor((3,), solver="lbfgs", max_iter=30, random_state=0),
                             window=6, horizon=3, target="y", future_covariates="promo"),
    lambda: DirectForecaster(window=6, horizon=3, target="y", future_covariates="promo",
                             random_state=0),  # the default encoder-decoder
    lambda: RecursiveForecaster(LSTMRegressor((3,), solver="lbfgs", max_iter=30,
                                              random_state=0), window=6, target="y"),
], ids=["direct LSTM", "encoder-decoder", "recursive LSTM"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_history_at_a_new_level_gets_the_same_forecasts_at_that_level(make):
    # Centered windows of a history lifted by 1000 are those of the history
    # itself, so the fitted network forecasts the same shape, 1000 higher,
    # however far that is from the levels it was fitted on.
    data = _demand()
    lifted = data.assign(y=data["y"] + 1000.0)
    future = data.iloc[50:53] if make().future_covariates else None
    centered = make().set_params(center_windows=True, calibration=None).fit(data.iloc[:50])
    base = centered.predict(future=future).to_numpy()
    moved = centered.predict(future=future, history=lifted.iloc[:50]).to_numpy()
    assert_allclose(moved - base, 1000.0, rtol=1e-9)
    # Without centering the network's bounded state cannot follow.
    plain = make().set_params(center_windows=False, calibration=None).fit(data.iloc[:50])
    base = plain.predict(future=future).to_numpy()
    moved = plain.predict(future=future, history=lifted.iloc[:50]).to_numpy()
    assert np.abs(moved - base - 1000.0).min() > 100.0


@pytest.mark.parametrize("transform, centred", [(None, True), ("log", True), ("diff", False)])
def test_auto_centres_the_windows_unless_the_targets_are_differenced(transform, centred):
    series = line(40) + np.sin(np.arange(40))  # positive, for "log"; uneven differences

    def fitted(center_windows):
        return RecursiveForecaster(
            Recorder(), window=4, target_transform=transform, center_windows=center_windows,
            calibration=None,
        ).fit(series)

    auto, same, other = fitted("auto"), fitted(centred), fitted(not centred)
    assert auto.get_params()["center_windows"] == "auto"
    assert_array_equal(auto.regressor_.seen_[0], same.regressor_.seen_[0])
    assert not np.array_equal(auto.regressor_.seen_[0], other.regressor_.seen_[0])
    assert_array_equal(auto.predict(3), same.predict(3))
    assert RecursiveForecaster(window=4).get_params()["center_windows"] == "auto"
    assert DirectForecaster(window=4, horizon=2).get_params()["center_windows"] == "auto"


# --------------------------------------------------------------------------
# center_covariates: named covariates read relative to their window's level
# --------------------------------------------------------------------------


def test_center_covariates_subtracts_each_window_level_from_its_own_channels():
    X = np.arange(2 * 5 * 4, dtype=float).reshape(2, 5, 4) ** 1.5
    X[:, 3:, :2] = 0.0  # appended steps: unknown target and past covariate
    names = ("y", "p", "q", "f")
    centered = center_covariates(X, 3, names, past_channels=(1,), future_channels=(3,))
    past_level = X[:, :3, 1].mean(axis=1)
    future_level = X[:, :3, 3].mean(axis=1)
    assert_allclose(centered[:, :3, 1], X[:, :3, 1] - past_level[:, None])
    assert_array_equal(centered[:, 3:, 1], 0.0)  # a past covariate's 0 stays
    assert_allclose(centered[:, :, 3], X[:, :, 3] - future_level[:, None])  # every step
    assert_array_equal(centered[:, :, [0, 2]], X[:, :, [0, 2]])
    assert not np.shares_memory(centered, X)
    assert center_covariates(X, 3, names) is X  # nothing named: nothing copied


@pytest.mark.parametrize("make, past, future, n_known", [
    # Future covariates shifted ahead by gap + horizon = 3: the first 2 of
    # the 5 steps hold values up to the origin.
    (lambda: DirectForecaster(Recorder(), window=5, horizon=3, target="y",
                              past_covariates="past", future_covariates="promo"), 1, 2, 2),
    # Appended after the window: all 5 window steps are up to the origin.
    (lambda: DirectForecaster(RecordingEncoderDecoder((2,), max_iter=2, random_state=0),
                              window=5, horizon=3, target="y", past_covariates="past",
                              future_covariates="promo"), 1, 2, 5),
    # Shifted ahead by gap + 1 = 1.
    (lambda: RecursiveForecaster(Recorder(), window=5, target="y",
                                 future_covariates=["past", "promo"]), None, 2, 4),
], ids=["direct", "encoder-decoder", "recursive"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_the_regressor_reads_the_named_covariates_centered(make, past, future, n_known):
    data = _demand()
    seen = {}
    for names in (None, ["past", "promo"]):
        forecaster = make().set_params(center_covariates=names, center_windows=False,
                                       calibration=None)
        forecaster.fit(data.iloc[:50]).predict(future=data.iloc[50:53])
        seen[names is not None] = forecaster.regressor_.seen_  # fit's X, then predict's
    window = 5
    for X, X_plain in zip(seen[True], seen[False]):
        level = X_plain[:, :n_known, future].mean(axis=1, keepdims=True)
        assert_allclose(X[:, :, future], X_plain[:, :, future] - level, atol=1e-12)
        assert np.abs(level).max() > 0.1  # the check above is not vacuous
        if past is not None:
            level = X_plain[:, :window, past].mean(axis=1, keepdims=True)
            assert_allclose(X[:, :window, past], X_plain[:, :window, past] - level, atol=1e-12)
            assert_array_equal(X[:, window:, past], X_plain[:, window:, past])  # 0 appended
        else:  # the recursive forecaster's "past" is a future covariate here
            level = X_plain[:, :n_known, 1].mean(axis=1, keepdims=True)
            assert_allclose(X[:, :, 1], X_plain[:, :, 1] - level, atol=1e-12)
        assert_array_equal(X[:, :, 0], X_plain[:, :, 0])  # the target as it was


def _priced(n=80, lift=0.0):
    # Sales that follow the price's changes; the price steps up over time.
    index = pd.date_range("2024-01-01", periods=n, freq="D")
    t = np.arange(n, dtype=float)
    price = 10.0 + 0.5 * (t // 9) - 1.5 * (t % 9 == 4)
    return pd.DataFrame({"y": 200 - 8 * (price - 10 - 0.5 * (t // 9)) + 3 * np.sin(t),
                         "price": price + lift}, index=index)


# The three model layouts, each reading the future covariate "price".
PRICED_MODELS = pytest.mark.parametrize("make", [
    lambda: DirectForecaster(LSTMRegressor((3,), solver="lbfgs", max_iter=30, random_state=0),
                             window=6, horizon=3, target="y", future_covariates="price"),
    lambda: DirectForecaster(window=6, horizon=3, target="y", future_covariates="price",
                             random_state=0),  # the default encoder-decoder
    lambda: RecursiveForecaster(LSTMRegressor((3,), solver="lbfgs", max_iter=30,
                                              random_state=0),
                                window=6, target="y", future_covariates="price"),
], ids=["direct LSTM", "encoder-decoder", "recursive LSTM"])


@PRICED_MODELS
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_covariate_at_a_new_level_gets_the_same_forecasts(make):
    # A centred covariate lifted by 50 reads as the same windows: the same
    # forecasts, however far the new prices are from those fitted on.
    data, lifted = _priced(), _priced(lift=50.0)
    centered = make().set_params(center_covariates="price", calibration=None).fit(data.iloc[:70])
    base = centered.predict(future=data.iloc[70:73]).to_numpy()
    moved = centered.predict(future=lifted.iloc[70:73], history=lifted.iloc[:70]).to_numpy()
    assert_allclose(moved, base, rtol=1e-9)
    plain = make().set_params(calibration=None).fit(data.iloc[:70])
    base = plain.predict(future=data.iloc[70:73]).to_numpy()
    moved = plain.predict(future=lifted.iloc[70:73], history=lifted.iloc[:70]).to_numpy()
    assert np.abs(moved - base).max() > 1.0


@PRICED_MODELS
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_a_centred_covariate_that_moves_after_the_origin_moves_the_forecast(make):
    # The level comes from values up to the origin only: prices raised at
    # the forecast steps read as raised, never as the window's new level.
    data = _priced()
    forecaster = make().set_params(center_covariates="price", calibration=None)
    forecaster.fit(data.iloc[:70])
    future = data.iloc[70:73]
    raised = future.assign(price=future["price"] + 5.0)
    base = forecaster.predict(future=future).to_numpy()
    assert np.abs(forecaster.predict(future=raised).to_numpy() - base).max() > 1e-3


@pytest.mark.parametrize("make, message", [
    (lambda: DirectForecaster(Recorder(), window=3, horizon=3, target="y",
                              future_covariates="price", center_covariates="price"),
     r"future covariate 'price', whose level in a window is its mean up to the window's "
     r"origin; but it enters each window shifted ahead by gap \+ 3 = 3 step\(s\) \(the 3 "
     r"step\(s\) the model predicts at once\), so a window of 3 holds no value before its "
     r"origin. Use window > 3\."),
    (lambda: RecursiveForecaster(Recorder(), window=2, gap=1, target="y",
                                 future_covariates="price", center_covariates="price"),
     r"shifted ahead by gap \+ 1 = 2 step\(s\) .* Use window > 2\."),
    (lambda: DirectForecaster(Recorder(), window=1, horizon=2, target="y",
                              past_covariates="price", center_covariates="price"),
     r"past covariate 'price', but windows of one step \(window=1\) centred on their level "
     r"are 0 everywhere"),
], ids=["direct", "recursive gap", "past window 1"])
def test_covariates_whose_windows_hold_no_level_are_refused(make, message):
    with pytest.raises(ValueError, match=message):
        make().set_params(calibration=None).fit(_priced())


@pytest.mark.parametrize("names, error, message", [
    ("y", ValueError, r"center_covariates names the target 'y'; targets are centred by "
                      r"center_windows"),
    (True, TypeError, r"center_covariates takes covariate names, not True; the targets are "
                      r"centred by center_windows"),
    ("cost", ValueError, r"center_covariates names 'cost', which is neither a past covariate "
                         r"\[\] nor a future covariate \['price'\]"),
    # A list was looked up as one label, and failed inside pandas.
    (["price", "cost"], ValueError, r"center_covariates names 'cost', which is neither"),
    ({"price"}, TypeError, r"center_covariates must be a column name or a list of names; "
                           r"got a set"),
    (["price", "price"], ValueError, r"column 'price' is listed twice in center_covariates"),
])
def test_center_covariates_names_covariates_and_a_failed_fit_changes_nothing(
        names, error, message):
    data = _priced()
    forecaster = DirectForecaster(Recorder(), window=6, horizon=2, target="y",
                                  future_covariates="price", center_covariates="price",
                                  calibration=None).fit(data.iloc[:60])
    before = pickle.dumps(forecaster)
    with pytest.raises(error, match=message):
        forecaster.set_params(center_covariates=names).fit(data)
    forecaster.set_params(center_covariates="price")
    assert pickle.dumps(forecaster) == before


def test_a_tuple_label_gets_the_advice_to_put_it_in_a_list():
    data = _priced()
    data.columns = pd.MultiIndex.from_tuples([("sales", "y"), ("cost", "price")])
    forecaster = DirectForecaster(Recorder(), window=6, horizon=2, target=[("sales", "y")],
                                  future_covariates=[("cost", "price")],
                                  center_covariates=("cost", "price"), calibration=None)
    with pytest.raises(ValueError, match=r"names 'cost', which is neither .* A tuple is read "
                                         r"as 2 names; .* center_covariates=\[\('cost', "
                                         r"'price'\)\]"):
        forecaster.fit(data)
    forecaster.set_params(center_covariates=[("cost", "price")]).fit(data)
    assert forecaster._setup.centered_future == (0,)


def test_backtest_names_a_generator_of_centred_covariates():
    forecaster = RecursiveForecaster(Recorder(), window=6, target="y", future_covariates="price",
                                     center_covariates=(name for name in ["price"]))
    with pytest.raises(TypeError, match=r"center_covariates must be a column name or a list "
                                        r"of names; got an iterator"):
        backtest(forecaster, _priced(), initial=50, horizon=1)


def test_center_covariates_is_saved_checked_on_load_and_absent_from_older_saves():
    data = _priced()
    forecaster = RecursiveForecaster(Recorder(), window=6, target="y", future_covariates="price",
                                     center_covariates=["price"],
                                     calibration=None).fit(data.iloc[:60])
    future = data.iloc[60:63]
    loaded = pickle.loads(pickle.dumps(forecaster))
    assert loaded.get_params()["center_covariates"] == ["price"]
    assert_array_equal(loaded.predict(3, future=future), forecaster.predict(3, future=future))
    # A damaged position is refused by name on load.
    state = forecaster.__getstate__()
    state["_setup"] = {**state["_setup"], "centered_future": (1,)}
    damaged = RecursiveForecaster.__new__(RecursiveForecaster)
    with pytest.raises(ValueError, match=r"_setup's centered_future must be a tuple of "
                                         r"increasing positions in future_covariates_ "
                                         r"\(0 to 0\), got \(1,\)"):
        damaged.__setstate__(state)
    # Saved before center_covariates existed: nothing centred, as then.
    plain = RecursiveForecaster(Recorder(), window=6, target="y", future_covariates="price",
                                calibration=None).fit(data.iloc[:60])
    state = plain.__getstate__()
    del state["center_covariates"]
    for field in ("centered_past", "centered_future"):
        del state["_setup"][field]
    old = RecursiveForecaster.__new__(RecursiveForecaster)
    old.__setstate__(state)
    assert old.get_params()["center_covariates"] is None
    assert_array_equal(old.predict(3, future=future), plain.predict(3, future=future))
