"""Saving fitted forecasters: skops and pickle round trips, and their size.

A fitted forecaster saves its class around plain values only (arrays,
numbers, strings, its regressor), so that ``skops.io`` can load it trusting
:func:`sklstm.persistence.trusted_types` and nothing else.
"""

import pickle
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm.forecasting import DirectForecaster, RecursiveForecaster
from sklstm.persistence import trusted_types

# skops is an extra (".[skops]"); the suite runs without it, as ".[test]" may not be used.
sio = pytest.importorskip("skops.io")

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def small_lstm():
    return LSTMRegressor(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=5,
                         random_state=0)


def frame(n=60, index="datetime"):
    t = np.arange(n)
    df = pd.DataFrame({"y": 30 + 5 * np.sin(t / 3) + 0.2 * t, "f": np.cos(t / 4),
                       "p": (t % 5).astype(float)})
    if index == "datetime":
        df.index = pd.date_range("2022-01-03", periods=n, freq="W-MON", name="week")
    elif index == "tz":
        df.index = pd.date_range("2022-01-01", periods=n, freq="h", tz="Europe/Paris")
    elif index == "period":
        df.index = pd.period_range("2010-01", periods=n, freq="M", name="month")
    return df


CASES = {
    "direct diff": (DirectForecaster, dict(horizon=3, target_transform="diff",
                                           future_covariates="f"), "datetime"),
    "direct two targets": (DirectForecaster, dict(horizon=2, target=["y", "f"]), "range"),
    "recursive log": (RecursiveForecaster, dict(target_transform="log",
                                                calibration_horizon=3), "tz"),
    "direct centered": (DirectForecaster, dict(horizon=3, center_windows=True,
                                               future_covariates="f"), "datetime"),
    "recursive past": (RecursiveForecaster, dict(past_covariates="p", gap=1,
                                                 calibration="backtest",
                                                 calibration_horizon=2), "datetime"),
    "direct centred covariates": (DirectForecaster, dict(
        horizon=2, past_covariates="p", future_covariates="f", center_covariates=["f", "p"]),
        "datetime"),
    "direct periods": (DirectForecaster, dict(horizon=3, future_covariates="f"), "period"),
}


def fitted(case, regressor):
    cls, params, index = CASES[case]
    params = {"target": "y", **params}
    return cls(regressor, window=4, random_state=0, **params).fit(frame(index=index))


@pytest.mark.parametrize("case", list(CASES))
def test_skops_round_trip_predicts_identically(case):
    _assert_skops_round_trip(fitted(case, small_lstm()))


def test_skops_round_trip_with_the_default_regressor():
    cls, params, index = CASES["recursive log"]
    model = cls(window=4, target="y", random_state=0, **params)
    _assert_skops_round_trip(model.fit(frame(60, index=index)))


@pytest.mark.parametrize("names", ["index", "series"])
def test_names_given_as_pandas_objects_round_trip_through_skops(names):
    """target=df.columns fitted and pickled, but skops could not save the
    Index ('no default __reduce__'), and a Series of names saved to a file
    skops could not load; both are saved as lists of the names."""
    df = frame()
    columns = {"index": pd.Index, "series": pd.Series}[names]
    model = DirectForecaster(small_lstm(), window=4, horizon=2, random_state=0,
                             target=columns(["y"]), future_covariates=columns(["f"]),
                             center_covariates=columns(["f"]))
    unfitted = sio.loads(sio.dumps(model), trusted=trusted_types())
    assert unfitted.get_params()["target"] == ["y"]
    assert unfitted.get_params()["center_covariates"] == ["f"]
    model.fit(df)
    _assert_skops_round_trip(model)
    assert isinstance(model.target, columns)  # the forecaster itself is not changed


@pytest.mark.parametrize("label", [
    pd.Timestamp("2021-05-01"), pd.Timestamp("2021-05-01 12:00", tz="Europe/Paris"),
    pd.Timedelta("3h"), pd.Period("2021-05", "M"), ("sales", pd.Timestamp("2021-05-01")),
    # Beyond nanoseconds' range (1677 to 2262, 292 years): pickle failed.
    pd.Timestamp("1500-01-01"), pd.Timestamp("1500-01-01 12:00", tz="UTC"),
    pd.Timedelta(np.timedelta64(400 * 365, "D")),
], ids=["timestamp", "aware timestamp", "timedelta", "period", "tuple of a timestamp",
        "year 1500", "aware year 1500", "400 years"])
@pytest.mark.parametrize("cls", [DirectForecaster, RecursiveForecaster])
def test_columns_labelled_by_time_round_trip_through_skops(label, cls):
    """A pivot by date labels columns by Timestamps: fit and pickle worked,
    but skops rebuilds them without pandas' own functions and failed to load
    ("function missing required argument 'year'")."""
    df = frame()[["y", "f"]]
    df.columns = (pd.MultiIndex.from_tuples([label, ("other", "f")])
                  if isinstance(label, tuple) else [label, "f"])
    # The recursive forecaster forecasts its covariates too: a target each.
    roles = (dict(horizon=2, past_covariates=[df.columns[1]]) if cls is DirectForecaster
             else dict(calibration_horizon=2, past_covariates=None))
    model = cls(small_lstm(), window=4, random_state=0, target=[label], **roles)
    unfitted = sio.loads(sio.dumps(model), trusted=trusted_types())
    assert unfitted.get_params()["target"] == [label]
    model.fit(df)
    _assert_skops_round_trip(model)
    loaded = sio.loads(sio.dumps(model), trusted=trusted_types())
    assert loaded.targets_ == (label,) and loaded.channels_ == model.channels_
    assert loaded.predict(2).name == label
    assert pickle.loads(pickle.dumps(model)).targets_ == (label,)


@pytest.mark.parametrize("label", [pd.Timestamp("2021-05-01"), pd.Period("2021-05", "M")],
                         ids=["timestamp", "period"])
def test_centred_covariates_labelled_by_time_round_trip_through_skops(label):
    df = frame()[["y", "f"]]
    df.columns = ["y", label]
    model = DirectForecaster(small_lstm(), window=4, horizon=2, random_state=0, target="y",
                             past_covariates=[label], center_covariates=[label])
    unfitted = sio.loads(sio.dumps(model), trusted=trusted_types())
    assert unfitted.get_params()["center_covariates"] == [label]
    _assert_skops_round_trip(model.fit(df))


def _assert_skops_round_trip(model):
    data = sio.dumps(model)
    untrusted = sio.get_untrusted_types(data=data)
    assert set(untrusted) <= set(trusted_types())
    loaded = sio.loads(data, trusted=trusted_types())
    _assert_same(model, loaded)


@pytest.mark.parametrize("case", list(CASES))
def test_pickle_round_trip_predicts_identically(case):
    model = fitted(case, small_lstm())
    _assert_same(model, pickle.loads(pickle.dumps(model)))


def _assert_same(model, loaded):
    steps = 2
    future = None
    if model.future_covariates_:
        future = frame(80, index="period" if model.period_freq_ else "datetime").iloc[60:]
    for method in ("predict", "predict_interval", "predict_quantiles"):
        a = getattr(model, method)(steps, future=future)
        b = getattr(loaded, method)(steps, future=future)
        if isinstance(a, pd.Series):
            pd.testing.assert_series_equal(a, b)
        else:
            pd.testing.assert_frame_equal(a, b)
    pd.testing.assert_frame_equal(model.last_window_, loaded.last_window_,
                                  check_dtype=False)
    pd.testing.assert_frame_equal(model.fitted_values_, loaded.fitted_values_)
    assert_array_equal(model.calibration_residuals_, loaded.calibration_residuals_)
    assert loaded.freq_ == model.freq_ and loaded.period_freq_ == model.period_freq_
    # The loaded forecaster refits and clones as the original.
    assert clone(loaded).get_params(deep=False).keys() == model.get_params(deep=False).keys()


def test_saving_does_not_change_the_forecaster():
    model = fitted("direct diff", small_lstm())
    window = model.last_window_
    sio.dumps(model)
    pickle.dumps(model)
    assert model.last_window_ is window
    assert model.freq_ == pd.offsets.Week(weekday=0)


@pytest.mark.parametrize("case", list(CASES))
def test_pickles_hold_the_model_and_no_training_data(case):
    model = fitted(case, small_lstm())
    size = len(pickle.dumps(model))
    # The regressor, the kept residual arrays and a little bookkeeping: no
    # copy of the training windows (window times the fit data).
    arrays = (
        model.calibration_residuals_.nbytes
        + model._in_sample["fitted"].nbytes
        + model._in_sample["residuals"].nbytes
        + model._in_sample["origins"]["values"].nbytes
    )
    bound = len(pickle.dumps(model.regressor_)) + arrays + 6_000
    assert size < bound, (size, bound)
    # Twice the data grows the file by the in-sample arrays only.
    cls, params, index = CASES[case]
    longer = cls(small_lstm(), window=4, random_state=0, **{"target": "y", **params})
    longer.fit(frame(120, index=index))
    growth = len(pickle.dumps(longer)) - size
    grown_arrays = (
        longer.calibration_residuals_.nbytes - model.calibration_residuals_.nbytes
        + 2 * (longer._in_sample["fitted"].nbytes - model._in_sample["fitted"].nbytes)
        + longer._in_sample["origins"]["values"].nbytes
        - model._in_sample["origins"]["values"].nbytes
    )
    assert growth < grown_arrays + 1_000, (growth, grown_arrays)


def test_unfitted_forecaster_round_trips():
    model = RecursiveForecaster(window=3, calibration=None)
    loaded = sio.loads(sio.dumps(model), trusted=trusted_types())
    assert loaded.get_params() == model.get_params()


def test_offsets_and_time_units_survive_saving(flat_linear):
    # A custom business day's holidays are not in its string: it is kept as
    # an object (pickle keeps it). An index in seconds keeps its instants.
    holidays = ["2024-01-15"]
    freq = pd.offsets.CustomBusinessDay(holidays=holidays)
    index = pd.date_range("2024-01-01", periods=30, freq=freq)
    y = pd.Series(np.sin(np.arange(30.0)), index=index, name="y")
    model = RecursiveForecaster(flat_linear(), window=3, calibration=None).fit(y)
    loaded = pickle.loads(pickle.dumps(model))
    assert loaded.freq_ == freq
    pd.testing.assert_series_equal(loaded.predict(3), model.predict(3))
    seconds = y.copy()
    seconds.index = pd.date_range("2024-01-01", periods=30, freq="D").as_unit("s")
    model = RecursiveForecaster(small_lstm(), window=3).fit(seconds)
    loaded = sio.loads(sio.dumps(model), trusted=trusted_types())
    pd.testing.assert_series_equal(loaded.predict(2), model.predict(2), check_index_type=False)
    assert list(loaded.predict(2).index) == list(model.predict(2).index)


@pytest.mark.parametrize("freq", [
    pd.DateOffset(months=1), pd.offsets.Easter(), pd.offsets.LastWeekOfMonth(weekday=2),
], ids=["DateOffset(months=1)", "Easter", "LastWeekOfMonth"])
def test_offsets_pandas_cannot_read_from_their_string_survive_saving(freq):
    # Their strings do not read back (pandas raises "Invalid frequency"), so
    # they are saved as their class and plain arguments, which skops trusts.
    y = pd.Series(np.sin(np.arange(60.0)), pd.date_range("2020", periods=60, freq=freq),
                  name="y")
    model = RecursiveForecaster(small_lstm(), window=3, calibration_size=30,
                                calibration_horizon=2).fit(y)
    _assert_skops_round_trip(model)
    _assert_same(model, pickle.loads(pickle.dumps(model)))
    assert pickle.loads(pickle.dumps(model)).freq_ == freq
    model.fit(y)  # a refit stages a copy of the forecaster, through its saved state


def test_fixed_offset_time_zones_survive_saving_and_unnamed_zones_are_refused():
    import datetime

    import dateutil.tz
    import pytz

    utc = pd.date_range("2020", periods=30, freq="D", tz="UTC")
    for zone in [dateutil.tz.tzutc(), pytz.FixedOffset(90), dateutil.tz.tzoffset("X", 3600),
                 datetime.timezone(datetime.timedelta(hours=1), "named otherwise")]:
        y = pd.Series(np.sin(np.arange(30.0)), utc.tz_convert(zone), name="y")
        model = RecursiveForecaster(small_lstm(), window=3, calibration=None).fit(y)
        loaded = sio.loads(sio.dumps(model), trusted=trusted_types())
        assert_array_equal(loaded.predict(2), model.predict(2))
        assert (loaded.predict(2).index == model.predict(2).index).all()  # the same instants
        # The loaded model reads a history in the zone it was fitted in.
        assert_array_equal(loaded.predict(2, history=y), model.predict(2))
    # A zone known only as a file has no name to rebuild it from.
    y = pd.Series(np.sin(np.arange(30.0)), utc.tz_convert(dateutil.tz.gettz("Europe/Paris")),
                  name="y")
    with pytest.raises(ValueError, match="has no name pandas can rebuild it from"):
        RecursiveForecaster(small_lstm(), window=3, calibration=None).fit(y)


@pytest.mark.parametrize("zone", ["zoneinfo", "pytz", "pytz fixed offset"])
def test_a_named_zone_comes_back_as_the_same_kind_of_zone(zone):
    """A zoneinfo zone was rebuilt from its name as a pytz zone (and under
    pandas 3 a pytz zone as zoneinfo), pytz.FixedOffset(90) as a
    datetime.timezone: fitted values, and forecasts after saving, had
    another index dtype than the data, and joined with it only as UTC or
    object labels."""
    import zoneinfo

    if zone == "pytz":
        tz = pytest.importorskip("pytz").timezone("Europe/Paris")  # optional in pandas 3
    elif zone == "pytz fixed offset":
        tz = pytest.importorskip("pytz").FixedOffset(90)
    else:
        tz = zoneinfo.ZoneInfo("Europe/Paris")
    index = pd.date_range("2024-03-20", periods=30, freq="D", tz=tz)  # across a DST change
    y = pd.Series(np.sin(np.arange(30.0)), index, name="y")
    model = RecursiveForecaster(small_lstm(), window=3).fit(y)
    assert model.fitted_values_.index.dtype == y.index.dtype
    assert type(model.fitted_values_.index.tz) is type(tz)
    forecast = model.predict(2)
    for loaded in (pickle.loads(pickle.dumps(model)),
                   sio.loads(sio.dumps(model), trusted=trusted_types())):
        assert loaded.predict(2).index.equals(forecast.index)
        assert pd.concat([y, loaded.predict(2)]).index.dtype == y.index.dtype


def _tampered(state, key, value):
    """A copy of a saved forecaster state, ``key`` ("a.b" for nested) set to ``value``."""
    state = {k: (dict(v) if isinstance(v, dict) else v) for k, v in state.items()}
    outer, _, inner = key.partition(".")
    if inner:
        state[outer][inner] = value
    elif value is None:
        del state[outer]
    else:
        state[outer] = value
    return state


@pytest.mark.parametrize("key, value, exc, match", [
    # Each loaded silently and forecast wrong, or failed inside pandas or NumPy.
    ("_setup.window", 3, ValueError, r"_setup's n_history_rows is 5, but its window, gap and "
                                     r"target_transform read 3\."),
    ("_setup.transform", "sqrt", ValueError, r"_setup names an unknown target_transform, 'sqrt'"),
    ("_setup.gap", -1, ValueError, r"_setup: gap must be an int >= 0, got -1"),
    ("target_scale_", "x", TypeError, r"target_scale_ must be a float32 or float64 NumPy array"),
    ("target_scale_", np.zeros(1), ValueError, r"target_scale_ must be > 0 everywhere"),
    ("target_mean_", np.full(1, np.nan), ValueError, r"target_mean_ holds NaN or infinity"),
    ("target_mean_", np.zeros(2), ValueError, r"target_mean_ must have shape \(1,\) \(one per "
                                              r"target\), got \(2,\)"),
    ("calibration_residuals_", np.full((3, 2, 1), "a"), TypeError,
     r"calibration_residuals_ must be a float32 or float64 NumPy array"),
    ("calibration_residuals_", np.zeros((3, 2)), ValueError,
     r"calibration_residuals_ must have shape \(n_origins, n_steps, 1\), got \(3, 2\)"),
    ("last_window_.values", np.zeros((3, 1)), ValueError,
     r"last_window_'s values must have one row per label of its index"),
    ("last_window_.columns_dtype", "datetime64[ns]", ValueError,
     r"last_window_'s columns are no Index of 'datetime64\[ns\]'"),
    ("last_window_.columns", [{"timestamp": 1}], ValueError, r"a column label: "),
    ("freq_", "D", ValueError, r"last_window_'s index is not on the grid of freq_ <Day>"),
    ("freq_", {"offset": "Nope"}, ValueError, r"freq_ is no frequency pandas can rebuild"),
    ("_setup.dropna", "no", TypeError, r"_setup: dropna must be True or False, got 'no'"),
    ("_setup.calibration", "bogus", ValueError, r"_setup: calibration must be None or one of"),
    ("_setup.extra", 1, TypeError, r"_setup must be a dict of the fields"),
    ("_in_sample", {"fitted": np.zeros((1, 1, 1))}, TypeError,
     r"_in_sample must be a dict of 'origins', 'fitted' and 'residuals'"),
    ("target_mean_", None, ValueError, r"it lacks the fitted attributes \['target_mean_'\]"),
    ("regressor_", "lstm", TypeError, r"regressor_ must be a fitted regressor, got str"),
    ("targets_", ["y"], TypeError, r"targets_, past_covariates_ and future_covariates_ must be "
                                   r"tuples"),
])
def test_a_tampered_forecaster_state_is_refused_at_load_naming_it(key, value, exc, match,
                                                                 flat_linear):
    model = RecursiveForecaster(flat_linear(), window=5, target="y").fit(frame())
    state = _tampered(model.__getstate__(), key, value)
    shell = RecursiveForecaster.__new__(RecursiveForecaster)
    with pytest.raises(exc, match=r"The loaded state is not that of a fitted "
                                  r"RecursiveForecaster: .*" + match):
        shell.__setstate__(state)


def test_a_file_of_another_class_is_refused_as_a_forecaster(tmp_path):
    # An LSTMRegressor's state under DirectForecaster's name loaded, and its
    # predict raised AttributeError ('_setup').
    X = np.random.RandomState(0).normal(size=(8, 4, 1))
    regressor_state = small_lstm().fit(X, X[:, -1, 0]).__getstate__()
    shell = DirectForecaster.__new__(DirectForecaster)
    with pytest.raises(ValueError, match=r"The loaded state is not that of a fitted "
                                         r"DirectForecaster: it was saved from a "
                                         r"LSTMRegressor\. Load it as that class\."):
        shell.__setstate__(regressor_state)


@pytest.mark.parametrize("saved, loaded", [
    (RecursiveForecaster, DirectForecaster), (DirectForecaster, RecursiveForecaster),
    (DirectForecaster, LSTMRegressor), (LSTMClassifier, LSTMRegressor),
])
def test_a_state_of_another_class_is_refused_at_load(saved, loaded):
    """Each loaded, and failed later (AttributeError from get_params, a
    misleading forecast-size error, NotFittedError), far from the cause."""
    X = np.random.RandomState(0).normal(size=(8, 4, 1))
    if saved is LSTMClassifier:
        model = saved((2,), max_iter=2).fit(X, np.arange(8) % 2)
    else:
        extra = {"horizon": 2} if saved is DirectForecaster else {}
        model = saved(small_lstm(), window=5, target="y", **extra).fit(frame())
    shell = loaded.__new__(loaded)
    with pytest.raises(ValueError, match=rf"not that of a fitted {loaded.__name__}: it was "
                                         rf"saved from a {saved.__name__}\."):
        shell.__setstate__(model.__getstate__())
    assert not vars(shell)


@pytest.mark.parametrize("make", [
    lambda: RecursiveForecaster(small_lstm(), window=5, target="y").fit(frame()),
    lambda: LSTMRegressor((2,), max_iter=2).fit(np.ones((4, 3, 1)), np.arange(4.0)),
])
def test_attributes_a_user_adds_survive_copies_and_saves(make):
    import copy

    sio = pytest.importorskip("skops.io")
    model = make()
    model.note = "trained on the March export"
    for restored in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model),
                     sio.loads(sio.dumps(model), trusted=trusted_types())):
        assert restored.note == model.note


def test_a_tampered_state_is_refused_through_skops_too(flat_linear):
    model = RecursiveForecaster(small_lstm(), window=5, target="y").fit(frame())
    tampered = RecursiveForecaster.__new__(RecursiveForecaster)
    tampered.__dict__.update(model.__dict__)
    tampered.target_scale_ = -np.ones(1)  # forecast 70.2 where 63.0 was right
    with pytest.raises(ValueError, match=r"Cannot save this RecursiveForecaster, as loading would "
                                         r"refuse its state: target_scale_ must be > 0"):
        sio.dumps(tampered)
    # As a file edited after saving holds it:
    with mock.patch("sklstm.forecasting._base.check_before_saving", lambda owner, check: None):
        data = sio.dumps(tampered)
    with pytest.raises(ValueError, match=r"fitted RecursiveForecaster: target_scale_ must be > 0"):
        sio.loads(data, trusted=trusted_types())


def test_statistics_set_by_hand_are_checked_at_predict(flat_linear):
    model = RecursiveForecaster(flat_linear(), window=5, target="y").fit(frame())
    model.target_scale_ = -model.target_scale_  # forecast silently wrong before
    with pytest.raises(ValueError, match=r"target_scale_ must be > 0 everywhere"):
        model.predict(2)


class _Unreadable(np.ndarray):
    """An array that fails any check reading its values."""

    def __array_function__(self, func, types, args, kwargs):
        raise AssertionError(f"read by {func.__name__}")

    def __array_ufunc__(self, ufunc, method, *inputs, **kwargs):
        raise AssertionError(f"read by {ufunc.__name__}")


def test_a_point_forecast_reads_no_array_of_the_training_history(flat_linear):
    """predict checked the in-sample forecasts and calibration errors, of the
    size of the training history, at every call: 18 of its 19 ms at 320,000
    training rows. They are checked where they are read, and at load."""
    model = RecursiveForecaster(flat_linear(), window=5, target="y", calibration_size=8,
                                calibration="holdout").fit(frame())
    expected = model.predict(3)
    saved = dict(model._in_sample), model.calibration_residuals_
    for key in ("fitted", "residuals"):
        model._in_sample[key] = np.zeros((2, 2, 1)).view(_Unreadable)
    model.calibration_residuals_ = np.zeros((2, 2, 1)).view(_Unreadable)
    pd.testing.assert_series_equal(model.predict(3), expected)
    model._in_sample, model.calibration_residuals_ = saved
    # Set by hand to what no forecast can use: refused where read.
    model._in_sample["fitted"] = np.full((2, 3, 1), np.inf)
    with pytest.raises(ValueError, match="the in-sample fitted holds"):
        model.fitted_values_
    model.calibration_residuals_ = np.zeros((3, 2))
    with pytest.raises(ValueError, match=r"calibration_residuals_ must have shape"):
        model.predict_interval(2)

