"""Inputs that once slipped through silently, checked at the one conversion point.

Every form of ``X`` and of per-step ``y`` goes through ``sklstm._validation``;
these tests hold each class of silent misreading to an error (or warning)
that names its place: the sample, step, channel, column or parameter.
"""

import pickle
import re
import warnings
from decimal import Decimal
from fractions import Fraction
from unittest import mock

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal
from sklearn.utils.multiclass import type_of_target

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm._validation import check_sequence_targets, check_sequences
from sklstm.exceptions import DataLayoutWarning

FAST = dict(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=3, random_state=0)
pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


# -- one conversion for every form of per-step targets ---------------------------------


def _ragged_X(lengths=(3, 5, 4)):
    return check_sequences([np.arange(n, dtype=float) for n in lengths])


@pytest.mark.parametrize(
    "bad_value, exc, match",
    [
        (1 + 2j, ValueError, "complex"),
        ("1.5", ValueError, "holds strings"),
        (10**400, ValueError, "too large for float64"),
    ],
)
def test_list_targets_are_checked_like_array_targets(bad_value, exc, match):
    """A list of per-step targets gets the checks (and messages) of an array."""
    seqs = _ragged_X()
    y = [np.zeros(3), np.zeros(5), np.zeros(4)]
    y[1] = [0.0, 0.0, bad_value, 0.0, 0.0]
    with pytest.raises(exc, match=match) as caught:
        check_sequence_targets(y, seqs, True, numeric=True)
    assert "y[1]" in str(caught.value)  # names the sequence


def test_list_targets_keep_their_values_exactly():
    seqs = _ragged_X()
    y = [np.arange(3.0), np.arange(5.0) + 10, np.arange(4.0) + 20]
    out = check_sequence_targets(y, seqs, True, numeric=True)
    for k, target in enumerate(y):
        assert_array_equal(out[k, : len(target), 0], target)


# -- numbers as text, datetimes, and other non-numeric columns -------------------------


@pytest.mark.parametrize(
    "make",
    [
        lambda X: X.astype(object).astype(str).astype(object),  # object array of text
        lambda X: [[str(v) for v in row] for row in X],  # nested lists of text
    ],
    ids=["object array", "nested list"],
)
def test_numbers_written_as_text_are_refused(make):
    X = np.arange(12.0).reshape(4, 3)
    with pytest.raises(ValueError, match="holds strings"):
        check_sequences(make(X))


def test_object_array_of_numbers_is_accepted_as_sklearn_does():
    X = np.arange(12.0).reshape(4, 3)
    assert_array_equal(check_sequences(X.astype(object)).values, check_sequences(X).values)


@pytest.mark.parametrize(
    "column, values, exc",
    [
        ("when", pd.date_range("2024-01-01", periods=4), TypeError),
        ("price", ["1.0", "2.0", "3.0", "4.0"], TypeError),
        ("kind", pd.Categorical(["a", "b", "a", "b"]), TypeError),
        ("on", pd.Categorical([True, False, True, False]), TypeError),  # pandas: a bool dtype
        ("level", pd.Categorical([1.0, 2.0, 1.0, 2.0]), TypeError),
        ("phase", np.array([1j, 2j, 3j, 4j]), ValueError),
    ],
)
def test_non_numeric_dataframe_column_is_named(column, values, exc):
    frame = pd.DataFrame({"lag_2": np.arange(4.0), column: values, "lag_1": np.ones(4)})
    with pytest.raises(exc, match=f"Column '{column}' of X"):
        check_sequences(frame)
    with pytest.raises(exc, match=f"Column '{column}' of X") as caught:
        LSTMRegressor(**FAST).fit(frame, np.arange(4.0))
    # A category column is told how to become numbers, not to convert it.
    categories = isinstance(values, pd.Categorical)
    assert (f"its codes (X['{column}'].cat.codes)" in str(caught.value)) == categories


def test_categories_are_refused_in_every_container_that_holds_numbers():
    """A DataFrame's category column was refused, but the same categories
    as a Series, a Categorical or a list of Series were read as quantities."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 5, 1)), rng.normal(size=20)
    codes = pd.Categorical(rng.choice([10115, 80331, 20095], size=20))
    fitted = LSTMRegressor(**FAST).fit(X, y)
    before = fitted.predict(X)
    calls = {
        "y": lambda: LSTMRegressor(**FAST).fit(X, pd.Series(codes)),
        "y ": lambda: LSTMRegressor(**FAST).fit(X, codes),
        "X[0]": lambda: LSTMRegressor(**FAST).fit(
            [pd.Series(pd.Categorical(row)) for row in X[:, :, 0]], y),
        # Of equal lengths, which np.asarray would make a table of values
        "X[0] ": lambda: LSTMRegressor(**FAST).fit(
            [pd.Categorical(row) for row in X[:, :, 0]], y),
        "sample_weight": lambda: fitted.fit(X, y, sample_weight=pd.Series(
            pd.Categorical(np.arange(20) % 3 + 1))),
        "X[1]": lambda: fitted.predict(
            [X[0, :, 0], pd.Series(pd.Categorical(X[1, :, 0]))]),
    }
    for name, call in calls.items():
        with pytest.raises(TypeError, match=re.escape(f"{name.strip()} has dtype category")):
            call()
    assert_array_equal(fitted.predict(X), before)
    # Labels may be categories: they name classes, not quantities.
    labels = pd.Series(pd.Categorical(np.arange(20) % 2))
    assert_array_equal(LSTMClassifier(**FAST).fit(X, labels).classes_, [0, 1])


@pytest.mark.parametrize(
    "X, what",
    [
        ({"a": [1.0, 2.0]}, "dict"),
        ((row for row in np.ones((3, 2))), "generator"),
        ("1,2,3", "str"),
        ({1.0, 2.0}, "set"),
    ],
)
def test_containers_that_are_not_arrays_are_named(X, what):
    with pytest.raises(TypeError, match=f"got a {what}"):
        check_sequences(X)


# -- NaN is padding only at the end of a 3-D array --------------------------------------


def test_nan_in_a_lag_table_is_a_missing_value_not_padding():
    """The newest lag of a table missing must not shorten the sequence silently."""
    X = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=["lag_3", "lag_2", "lag_1"])
    X.iloc[2, 2] = np.nan
    with pytest.raises(ValueError, match="NaN in sample 2, column 'lag_1'"):
        check_sequences(X)
    model = LSTMRegressor(**FAST).fit(X.fillna(0.0), np.arange(4.0))
    with pytest.raises(ValueError, match="NaN in sample 2, column 'lag_1'"):
        model.predict(X)


def test_nan_at_the_end_of_a_list_item_is_an_error():
    seqs = [np.arange(4.0), np.array([1.0, 2.0, np.nan])]
    with pytest.raises(ValueError, match="NaN inside sequence 1 \\(step 2, channel 0\\)"):
        check_sequences(seqs)


def test_trailing_nan_steps_of_a_3d_array_stay_padding():
    X = np.ones((2, 4, 1))
    X[1, 2:] = np.nan
    assert_array_equal(check_sequences(X).lengths, [4, 2])


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(1, 6), n_columns=st.integers(1, 6), data=st.data(),
    bad=st.sampled_from([np.nan, np.inf, -np.inf]),
)
def test_a_bad_table_cell_is_named(n, n_columns, data, bad):
    row = data.draw(st.integers(0, n - 1))
    col = data.draw(st.integers(0, n_columns - 1))
    X = np.zeros((n, n_columns))
    X[row, col] = bad
    kind = "NaN" if np.isnan(bad) else "infinity"
    with pytest.raises(ValueError, match=f"{kind} in sample {row}, column {col}\\."):
        check_sequences(X)


@settings(max_examples=40, deadline=None)
@given(n=st.integers(1, 5), T=st.integers(2, 6), C=st.integers(1, 3), data=st.data())
def test_nan_inside_a_3d_sequence_is_named(n, T, C, data):
    s = data.draw(st.integers(0, n - 1))
    t = data.draw(st.integers(0, T - 2))  # a later step stays real, so this is not padding
    c = data.draw(st.integers(0, C - 1))
    X = np.ones((n, T, C))
    X[s, t, c] = np.nan
    with pytest.raises(ValueError, match=f"inside sequence {s} \\(step {t}, channel {c}\\)"):
        check_sequences(X)


# -- names of the channels of a list of DataFrames ---------------------------------------


def _frames(columns, n=3, T=5):
    rng = np.random.RandomState(0)
    return [pd.DataFrame(rng.normal(size=(T, len(columns))), columns=columns) for _ in range(n)]


def test_list_of_dataframes_records_channel_names():
    assert check_sequences(_frames(["price", "load"])).channel_names == ("price", "load")


def test_list_of_dataframes_in_different_orders_is_refused():
    frames = _frames(["price", "load"])
    frames[2] = frames[2][["load", "price"]]
    with pytest.raises(ValueError, match="columns of sequence 2 of X"):
        check_sequences(frames)


def test_list_mixing_dataframes_and_arrays_is_refused():
    frames = _frames(["price", "load"])
    frames[1] = frames[1].to_numpy()
    with pytest.raises(ValueError, match="Sequence 1 of X is not a DataFrame"):
        check_sequences(frames)


@pytest.mark.parametrize("build", [
    lambda frame: frame,
    lambda frame: [frame, frame.iloc[:2]],  # a list of DataFrames, one per sequence
])
def test_repeated_column_names_are_refused_by_name(build):
    frame = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=["a", "b", "a"])
    with pytest.raises(ValueError, match=r"column names of X(\[0\])? repeat: 'a' \(2 times\)"):
        check_sequences(build(frame))
    unnamed = pd.DataFrame(np.arange(12.0).reshape(4, 3), columns=[np.nan, "b", np.nan])
    with pytest.raises(ValueError, match=r"repeat: nan \(2 times\)"):
        check_sequences(build(unnamed))


# -- labels that are no classes -------------------------------------------------------


@pytest.mark.parametrize("labels, match", [
    (np.array([0.0, 1.0, np.nan, 1.0]), r"Input y contains NaN \(sample 2\), which is not a class"),
    (np.array([0.0, 1.0, 0.0, np.inf]), r"Input y contains infinity \(sample 3\)"),
    (np.array(["a", None, "b", "a"], dtype=object), r"Input y contains None \(sample 1\)"),
    (pd.Series([1, 0, pd.NA, 1], dtype="Int64"), r"\(sample 2\), which is not a class"),
    # NaT passed as a date label (it was told apart as an unseen class, None)
    (np.array(["2020-01-01", "2020-01-02", "NaT", "2020-01-01"], dtype="datetime64[ns]"),
     r"Input y contains NaT \(sample 2\), which is not a class label"),
    (np.array([1, 2, "NaT", 1], dtype="timedelta64[s]"), r"Input y contains NaT \(sample 2\)"),
    (np.array([0, "a", 1, "b"], dtype=object),
     r"y mixes text and other labels: 'a' \(sample 1\) and 0 \(sample 0\)"),
])
def test_labels_that_are_no_classes_are_named(labels, match):
    X = np.random.RandomState(0).normal(size=(4, 3, 1))
    with pytest.raises(ValueError, match=match):
        LSTMClassifier(**FAST).fit(X, labels)


@pytest.mark.parametrize("estimator, bad", [(LSTMRegressor, np.nan), (LSTMClassifier, None)])
def test_a_bad_per_step_target_is_named_by_the_column_the_user_gave(estimator, bad):
    # With newest-first columns the model reads the steps reversed; the
    # message still names y's own column.
    X = np.random.RandomState(0).normal(size=(4, 5))
    y = np.where(X > 0, "up", "down").astype(object) if estimator is LSTMClassifier else X.copy()
    y[1, 0] = bad
    model = estimator(**FAST, return_sequences=True, newest_first=True)
    with pytest.raises(ValueError, match=r"Input y contains \w+ \(sample 1, step 0\)"):
        model.fit(X, y)


def test_hand_set_target_statistics_beyond_float64_are_an_error_not_inf():
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    model = LSTMRegressor(**FAST).fit(X, np.arange(6.0))
    before = model.predict(X)
    model.target_scale_ = np.array([1e308])
    model.out_intercept_ = model.out_intercept_ + 10.0
    with pytest.raises(ValueError, match="predictions are beyond float64 once mapped back"):
        model.predict(X)
    model.target_scale_ = np.array([1.0])
    assert np.all(np.isfinite(model.predict(X))) and model.predict(X).shape == before.shape


@pytest.mark.parametrize("loss, dtype", [
    ("quantile", np.float64), ("squared_error", np.float64), ("squared_error", np.float32)])
def test_targets_near_the_largest_float_are_refused_at_fit(loss, dtype):
    # Fitted, the model then refused to predict (at first blaming weights set
    # by hand) on its own training data, naming no sample.
    X = np.random.RandomState(0).normal(size=(20, 6, 2)).astype(dtype)
    largest = np.finfo(dtype).max
    for y, huge in [(np.r_[np.zeros(13), 0.85 * largest, np.zeros(6)], 13),
                    # far from their mean is the 0, near the edge the others
                    (np.r_[np.full(19, 0.85 * largest), 0.0], 0)]:
        model = LSTMRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=50, loss=loss,
                              random_state=0)
        with pytest.raises(ValueError, match=rf"^y holds a target too close to the largest "
                                             rf"{np.dtype(dtype).name} .* in sample {huge}, "
                                             r"output 0: predict would refuse .*Divide y by"):
            model.fit(X, y)
        assert not hasattr(model, "coefs_")
    y = np.r_[np.zeros(13), 0.85 * largest, np.zeros(6)]
    # Half of it fits, and predicts its training data; so does a sample of
    # weight 0 at 0.85 of the largest, which counts for nothing.
    assert np.all(np.isfinite(model.fit(X, y / 2).predict(X)))
    weights = (y == 0).astype(float)
    assert np.all(np.isfinite(model.fit(X, y, sample_weight=weights).predict(X)))


def test_masked_arrays_are_refused_rather_than_unmasked():
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    masked = np.ma.masked_greater(X, 1.0)
    with pytest.raises(TypeError, match="X is a masked array"):
        LSTMRegressor(**FAST).fit(masked, np.arange(6.0))
    with pytest.raises(TypeError, match=r"X\[0\] is a masked array"):
        LSTMRegressor(**FAST).fit([masked[0]] + list(X[1:]), np.arange(6.0))
    with pytest.raises(TypeError, match="y is a masked array"):
        LSTMRegressor(**FAST).fit(X, np.ma.masked_equal(np.arange(6.0), 3.0))


@pytest.mark.parametrize("as_list", [False, True], ids=["one step per row", "list of frames"])
def test_channels_shifted_by_one_are_refused(as_list):
    # Channels form no window: an id column dropped at fit and another at
    # predict shifted every channel by one, read as its neighbour.
    rng = np.random.RandomState(0)
    raw = [pd.DataFrame(rng.normal(size=(6, 4))) for _ in range(8)]
    table = pd.DataFrame(rng.normal(size=(8, 4)))
    fit_X = [f[[1, 2, 3]] for f in raw] if as_list else table[[1, 2, 3]]
    model = LSTMRegressor(**FAST, n_channels=1 if as_list else 3).fit(fit_X, np.arange(8.0))
    shifted = [f[[0, 1, 2]] for f in raw] if as_list else table[[0, 1, 2]]
    with pytest.raises(ValueError, match=r"Column 1 of X is 1, which was column 0 in fit"):
        model.predict(shifted)
    assert_array_equal(model.predict(fit_X), model.predict(
        [f.to_numpy() for f in fit_X] if as_list else fit_X.to_numpy()))


def test_the_next_window_of_a_lag_table_with_exogenous_columns_is_read():
    # The lags slide, the exogenous column keeps its place: two offsets,
    # which the label check refused as columns moved.
    rng = np.random.RandomState(0)

    def frame(n_rows, labels):
        return pd.DataFrame(rng.normal(size=(n_rows, len(labels))), columns=labels)

    model = LSTMRegressor(**FAST, n_exog=1).fit(frame(12, [0, 1, 2, 3, 99]), np.arange(12.0))
    window = frame(3, [1, 2, 3, 4, 99])
    assert_array_equal(model.predict(window), model.predict(window.to_numpy()))
    with pytest.raises(ValueError, match=r"Column 1 of X is 2, which was column 2 in fit"):
        model.predict(frame(3, [0, 2, 3, 4, 99]))  # a lag dropped and another added


def test_a_list_at_two_depths_is_ragged_not_nested_in_itself():
    row = [5.0]
    with pytest.raises(ValueError, match="y cannot be read as an array"):
        LSTMRegressor(**FAST).fit(np.zeros((2, 3, 1)), [row, [row, row]])


@pytest.mark.parametrize("values", [[1.0, 2.0], []])
def test_a_list_nested_in_itself_is_refused_not_walked_forever(values):
    # The walk for masked arrays revisited it without end; np.asarray then
    # built the shape of lists of lists of themselves, 64 levels deep.
    values.append(values)
    values.append(values)
    with pytest.raises(ValueError, match="y holds a list or tuple nested in itself"):
        LSTMRegressor(**FAST).fit(np.zeros((2, 3, 1)), values)


def _masked_first(values):
    return np.ma.masked_array(values, mask=np.arange(np.size(values)).reshape(np.shape(values))
                              == 0)


@pytest.mark.parametrize("model, X, y, place", [
    # Masks inside lists: np.asarray dropped them, so masked values trained
    # and scored as data.
    (LSTMRegressor(**FAST), "rows", "y", r"X\[0\]\[0\]"),
    (LSTMRegressor(**FAST), "X", "items", r"y\[0\]"),
    (LSTMClassifier(**FAST), "X", "label items", r"y\[0\]"),
    (LSTMRegressor(**FAST, return_sequences=True), "X", "per-step", r"y\[0\]"),
    (LSTMClassifier(**FAST, return_sequences=True), "X", "per-step labels", r"y\[0\]"),
])
@pytest.mark.parametrize("method", ["fit", "score"])
def test_masked_arrays_nested_in_lists_are_refused(model, X, y, place, method):
    rng = np.random.RandomState(0)
    X3 = rng.normal(size=(6, 3, 2))
    targets = {
        "y": rng.normal(size=6),
        "items": [_masked_first([v]) for v in rng.normal(size=6)],
        "label items": [_masked_first(v) for v in [0, 1] * 3],
        "per-step": [_masked_first(s[:, 0]) for s in X3],
        "per-step labels": [_masked_first((s[:, 0] > 0).astype(int)) for s in X3],
    }[y]
    X = [[_masked_first(row) for row in s] for s in X3] if X == "rows" else X3
    if method == "score":
        model.fit(X3, [np.asarray(t) for t in targets] if isinstance(targets, list) else targets)
    with pytest.raises(TypeError, match=place + r" is a masked array, whose mask sklstm would "
                                              r"lose. Pass " + place + r".filled\(value\)"):
        getattr(model, method)(X, targets)


@pytest.mark.parametrize("method", ["fit", "partial_fit", "score"])
@pytest.mark.parametrize("weights, match", [
    (np.ma.masked_equal([1.0, 1.0, -5.0, 1.0, 1.0, 1.0], -5.0),
     r"sample_weight is a masked array.*sample_weight.filled\(0\)"),
    (pd.date_range("2000", periods=6).to_numpy(), "not dates or durations"),
    (pd.to_timedelta(np.arange(6), "s").to_numpy(), "not dates or durations"),
    # The same among objects: durations were read in their own units (a day
    # and an hour both 1), dates in days or minutes since 1970.
    (np.array([np.timedelta64(1, "D"), np.timedelta64(1, "h")] * 3, dtype=object),
     r"holds a timedelta64 at sample_weight\[0\]"),
    (np.array([1.0, np.datetime64("2000-01-01")] * 3, dtype=object),
     r"holds a datetime64 at sample_weight\[1\]"),
])
def test_weights_that_are_no_numbers_are_refused(method, weights, match):
    # Masked weights were unmasked (the -5 read as a weight); dates were read
    # as nanoseconds since 1970.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    y = np.arange(6.0)
    model = LSTMRegressor(**dict(FAST, solver="adam")).fit(X, y)
    before = model.predict(X)
    with pytest.raises(TypeError, match=match):
        getattr(model, method)(X, y, sample_weight=weights)
    assert_array_equal(model.predict(X), before)


def test_weights_held_as_objects_weigh_as_the_same_numbers():
    """Integers beyond 2**53 weigh alike when float64 rounds them together
    (as int64 weights do); merging them is no harm to a weight."""
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    y = np.arange(6.0)
    fit = dict(FAST, solver="lbfgs")
    big = [2**60, 2**60 + 1] * 3
    as_objects = LSTMRegressor(**fit).fit(X, y, sample_weight=np.array(big, dtype=object))
    as_int64 = LSTMRegressor(**fit).fit(X, y, sample_weight=np.array(big, dtype=np.int64))
    assert_array_equal(as_objects.predict(X), as_int64.predict(X))


def test_class_weights_that_are_no_numbers_are_refused_by_class():
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    y = np.array(["a", "b"] * 3)
    durations = {"a": np.timedelta64(1, "D"), "b": np.timedelta64(1, "h")}
    with pytest.raises(TypeError, match=r"holds a timedelta64 at class_weight\['a'\]"):
        LSTMClassifier(**FAST, class_weight=durations).fit(X, y)


@pytest.mark.parametrize("weights", [
    np.array([np.longdouble(10) ** 400, 1.0] * 3),
    np.array([1.0, Decimal("1e400")] * 3, dtype=object),
    [1, 10**400] * 3,  # Python ints: a TypeError, "must hold numbers", where X's is this
], ids=["long double", "Decimal", "int"])
def test_weights_beyond_float64_are_named_too_large(weights):
    """Finite weights float64 cannot hold were reported as "inf: NaN or infinity"."""
    if isinstance(weights, np.ndarray) and weights.dtype != object \
            and np.finfo(weights.dtype).bits <= 64:
        pytest.skip("long double is float64 on this platform")
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    with pytest.raises(ValueError, match=r"too large for float64"):
        LSTMRegressor(**FAST).fit(X, np.arange(6.0), sample_weight=weights)
    with pytest.raises(ValueError, match=r"class_weight holds a number too large for float64"
                                         r": .* at class_weight\[1\]"):
        LSTMClassifier(**FAST, class_weight={0: 1, 1: 10**400}).fit(X, np.arange(6) % 2)


# Python refuses to write an int of more than 4300 digits, so quoting one
# raised its "Exceeds the limit" ValueError in place of the message.
_HUGE = 10**5000


def _object_with_huge(values, index):
    values = values.astype(object)
    values[index] = _HUGE
    return values


@pytest.mark.parametrize("fit, match", [
    (lambda X, y: LSTMRegressor(max_iter=_HUGE).fit(X, y), "max_iter must be an int >= 1"),
    (lambda X, y: LSTMRegressor(alpha=_HUGE).fit(X, y), "alpha must be a number >= 0"),
    (lambda X, y: LSTMRegressor(hidden_layer_sizes=(4, _HUGE)).fit(X, y),
     "hidden_layer_sizes holds"),
    (lambda X, y: LSTMRegressor(**FAST).fit(X, y, sample_weight=[_HUGE] + [1] * 5),
     r"sample_weight holds a number too large for float64: .* at sample_weight\[0\]"),
    (lambda X, y: LSTMClassifier(**FAST, class_weight={1: _HUGE}).fit(X, y % 2),
     r"class_weight holds a number too large .* at class_weight\[1\]"),
    (lambda X, y: LSTMRegressor(**FAST).fit(_object_with_huge(X, (2, 1, 0)), y),
     r"X holds a number too large for float64: .* at index \(2, 1, 0\)"),
    (lambda X, y: LSTMRegressor(**FAST).fit(X, _object_with_huge(y, 3)),
     r"y holds a number too large for float64: .* at index \(3,\)"),
    (lambda X, y: LSTMClassifier(**FAST).fit(X, _object_with_huge(np.array(list("abcabc")), 3)),
     r"y mixes text and other labels: .* \(sample 3\)"),
    (lambda X, y: LSTMRegressor(**FAST).fit(
        pd.DataFrame({"a": X[:, 0, 0], "b": X[:, 0, 0] + 1j}).set_axis(
            pd.Index([0, _HUGE], dtype=object), axis=1), y),
     r"Column <an int of 5001 digits> of X holds complex numbers"),
], ids=["max_iter", "alpha", "hidden_layer_sizes", "sample_weight", "class_weight", "X", "y",
        "labels", "X's column label"])
def test_ints_too_long_to_write_are_quoted_by_their_size(fit, match):
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    with pytest.raises(ValueError, match=match) as caught:
        fit(X, np.arange(6))
    assert "<an int of 5001 digits>" in str(caught.value)


def test_class_weight_keys_are_quoted_as_python_values():
    # A key taken from classes_ (np.int64) is written as the class, not np.int64(0).
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    with pytest.raises(ValueError, match=r"^class_weight\[0\] is -1\.0: negative"):
        LSTMClassifier(**FAST, class_weight={np.int64(0): -1.0, 1: 1.0}).fit(X, np.arange(6) % 2)


def test_ints_too_long_to_write_in_other_parameters_are_quoted_by_their_size():
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    y = np.arange(6.0)
    refused = [
        (LSTMRegressor(loss="quantile", quantiles=[0.1, _HUGE]), "quantiles must be in"),
        (LSTMRegressor(solver_options={"maxiter": _HUGE}), r"solver_options=\{'maxiter': "),
        (LSTMRegressor(hidden_layer_sizes=np.array([-_HUGE, 3], dtype=object)),
         r"hidden_layer_sizes must be > 0, got array\(\[<a negative int of 5001 digits>, 3\]"),
    ]
    for model, match in refused:
        with pytest.raises(ValueError, match=match) as caught:
            model.fit(X, y)
        assert "int of 5001 digits>" in str(caught.value)
    fitted = LSTMRegressor(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="n_channels is now <an int of 5001 digits>"):
        fitted.set_params(n_channels=_HUGE).predict(X)


@pytest.mark.parametrize("power", [40, 41, 512, 1024, 2048, 4299, 4300, 5000])
def test_quoted_counts_the_digits_of_ints_at_powers_of_ten(power):
    # log10 rounds below the true value at some powers of ten (10**512).
    from sklstm._checks import quoted

    for value, digits in ((10**power - 1, power), (10**power, power + 1),
                          (10**power + 1, power + 1)):
        long = digits > 40
        assert quoted(value) == (f"<an int of {digits} digits>" if long else repr(value))
        assert quoted(-value) == (f"<a negative int of {digits} digits>" if long
                                  else repr(-value))


def test_quoted_label_writes_numpy_scalars_as_a_user_wrote_them():
    # item() gave a datetime64[ns] as nanoseconds and a float32 as its binary value.
    from sklstm._checks import quoted_label

    labels = [np.int64(3), np.float32(0.1), np.datetime64("2020-01-01T00:00", "ns"),
              np.timedelta64(2, "h"), (np.int64(1), "a"), 10**5000]
    assert quoted_label(labels) == (  # NumPy's own repr of the dates: "numpy." before NumPy 2
        f"[3, 0.1, {labels[2]!r}, {labels[3]!r}, (1, 'a'), <an int of 5001 digits>]")
    assert "2020-01-01T00:00:00.000000000" in repr(labels[2])


def test_the_least_int64_is_an_int64_label():
    # -2**63 was called "beyond the range of int64", with advice to pass text.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    with pytest.raises(ValueError, match=r"object array holding int labels such as "
                                         r"-9223372036854775808.*y\.astype\(int\)"):
        LSTMClassifier(**FAST).fit(X, np.array([-2**63, 0] * 3, dtype=object))


def test_float_labels_beyond_int64_are_refused_without_numpys_warnings():
    # scikit-learn's cast of 1e308 to int warned twice, from inside NumPy,
    # beside the clear refusal.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match=r"y holds 1e\+308, a float label beyond the "
                                             r"range of int64"):
            LSTMClassifier(**FAST).fit(X, np.array([1e308, -1e308] * 3))


def test_missing_weights_of_pandas_nullable_dtypes_are_named_missing():
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    for weights in (pd.array([1.0, pd.NA, 1.0, 1.0, 1.0, 1.0], dtype="Float64"),
                    pd.Series([1, 1, 1, 1, 1, pd.NA], dtype="Int64")):
        where = int(np.flatnonzero(pd.isna(weights))[0])
        with pytest.raises(ValueError, match=rf"sample_weight\[{where}\] is <NA>: missing"):
            LSTMRegressor(**FAST).fit(X, np.arange(6.0), sample_weight=weights)


def test_score_holds_its_targets_to_the_rules_of_fit():
    """score once passed y as it came to scikit-learn's metrics: a masked y
    was scored on its masked values, text and dates on their numbers."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(8, 3, 1))
    y = X[:, -1, 0]
    regressor = LSTMRegressor(**FAST).fit(X, y)
    hidden = np.ma.array(np.r_[1e6, y[1:]], mask=[True] + [False] * 7)
    with pytest.raises(TypeError, match="y is a masked array"):
        regressor.score(X, hidden)
    with pytest.raises(ValueError, match="y holds strings"):
        regressor.score(X, y.astype(str))
    with pytest.raises(TypeError, match="dates or durations"):
        regressor.score(X, pd.date_range("2000", periods=8).to_numpy())
    with pytest.raises(ValueError, match=r"y contains NaN \(sample 2\)"):
        regressor.score(X, np.where(np.arange(8) == 2, np.nan, y))
    with pytest.raises(ValueError, match="y has 2 output.*n_outputs_=1"):
        regressor.score(X, np.c_[y, y])
    # Valid targets score as before, 1-D or as one column.
    expected = 1 - np.sum((y - regressor.predict(X)) ** 2) / np.sum((y - y.mean()) ** 2)
    assert regressor.score(X, y) == pytest.approx(expected, rel=1e-12)
    assert regressor.score(X, y[:, None]) == pytest.approx(expected, rel=1e-12)

    labels = np.where(y > 0, "up", "down")
    classifier = LSTMClassifier(**FAST).fit(X, labels)
    with pytest.raises(TypeError, match="y is a masked array"):
        classifier.score(X, np.ma.array(labels, mask=[True] + [False] * 7))
    with pytest.raises(ValueError, match=r"y contains None \(sample 3\)"):
        classifier.score(X, np.where(np.arange(8) == 3, None, labels.astype(object)))
    dates = np.array(["2020-01-01", "2020-01-02"], dtype="datetime64[ns]")[(y > 0).astype(int)]
    dated = LSTMClassifier(**FAST).fit(X, dates)
    dates[3] = np.datetime64("NaT")  # was scored as one more wrong prediction
    with pytest.raises(ValueError, match=r"y contains NaT \(sample 3\)"):
        dated.score(X, dates)
    expected = np.mean(classifier.predict(X) == labels)
    assert classifier.score(X, labels) == pytest.approx(expected)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a column vector scores without fit's warning
        assert classifier.score(X, labels[:, None]) == pytest.approx(expected)


@pytest.mark.parametrize("classes, exc, match", [
    (["a", 1, "b"], ValueError, r"classes mixes text and other labels: 'a' \(entry 0\) and 1"),
    (["a", "b", None], ValueError, r"classes contains None \(entry 2\)"),
    ([0.0, 1.0, np.nan], ValueError, r"classes contains NaN \(entry 2\)"),
    (np.array(["2020-01-01", "2020-01-02", "NaT"], dtype="datetime64[D]"), ValueError,
     r"classes contains NaT \(entry 2\)"),  # it became a class
    ("ab", TypeError, "classes must be a list or 1-D array"),
    ({"a", "b"}, TypeError, "classes must be a list or 1-D array"),
    ({"a": 0, "b": 1}, TypeError, "classes must be a list or 1-D array"),
    ({"a": 0, "b": 1}.keys(), TypeError, "classes must be a list or 1-D array"),
    ({0: "a", 1: "b"}.values(), TypeError, "classes must be a list or 1-D array"),
    ([0, 1, 2.5], ValueError, r"classes holds 2\.5 \(entry 2\), a continuous value"),
    ([], ValueError, "classes must name at least 2 classes"),
    (["a"], ValueError, "classes must name at least 2 classes"),
    (["b", "a", "b"], ValueError, r"classes holds 'b' twice \(entries 0 and 2\)"),
    ([["a", "b"]], ValueError, "classes must be 1-D"),
    (np.ma.array(["a", "b", "c"], mask=[0, 0, 1]), TypeError, "classes is a masked array"),
])
def test_declared_classes_are_held_to_the_rules_of_labels(classes, exc, match):
    # ["a", 1, "b"] once gave classes_ ['1', 'a', 'b'], a phantom class; the
    # others raised from NumPy or scikit-learn, blaming y or nothing.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    with pytest.raises(exc, match=match):
        LSTMClassifier(**dict(FAST, solver="adam")).partial_fit(X, ["a", "b"] * 3, classes=classes)


def test_sample_weights_given_third_to_partial_fit_are_refused_as_classes():
    # MLPClassifier's third argument is sample_weight; here, as in
    # SGDClassifier, it is classes. Weights of repeated values passed there
    # deduplicated into valid classes and weighed nothing.
    X = np.random.RandomState(0).normal(size=(8, 3, 1))
    y, weights = np.array([0, 1] * 4), np.array([1, 0, 0, 1] * 2)
    model = LSTMClassifier(**dict(FAST, solver="adam")).partial_fit(X, y, classes=[0, 1])
    before = model.predict_proba(X)
    with pytest.raises(ValueError, match=r"classes holds 0 twice \(entries 1 and 2\).*"
                                         r"sample_weight=\.\.\."):
        model.partial_fit(X, y, weights)
    # Weights of one value, or fractional ones, are no classes either.
    with pytest.raises(ValueError, match=r"at least 2 classes, got \[1\.0\].*sample_weight="):
        model.partial_fit(X, y, np.ones(8))
    with pytest.raises(ValueError, match=r"classes holds 0\.2 \(entry 0\).*sample_weight="):
        model.partial_fit(X, y, np.full(8, 0.2))
    assert_array_equal(model.predict_proba(X), before)


def test_labels_of_types_that_cannot_be_sorted_are_named_as_y():
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    with pytest.raises(TypeError, match=r"^y mixes labels of several types \(bytes, str\)"):
        LSTMClassifier(**FAST).fit(X, np.array(["a", b"b", "a"] * 2, dtype=object))
    with pytest.raises(TypeError, match=r"^y mixes labels of several types \(bytes, str\)"):
        LSTMClassifier(**FAST).fit(X, np.array([["a", b"b", "a"]] * 6, dtype=object))
    with pytest.raises(TypeError, match=r"^classes mixes labels of several types"):
        LSTMClassifier(**dict(FAST, solver="adam")).partial_fit(
            X, ["a", "b"] * 3, classes=np.array(["a", b"b"], dtype=object))


def test_a_memoryview_of_targets_is_read_as_their_array():
    # np.isscalar counts a memoryview as a scalar; it was refused as one.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    values = np.array([0.5, 1.0, 2.0, 3.0, 0.0, 1.5])
    from_view = LSTMRegressor(**FAST).fit(X, memoryview(values)).predict(X)
    assert_array_equal(from_view, LSTMRegressor(**FAST).fit(X, values).predict(X))
    labels = np.array([0, 1, 2] * 2)
    model = LSTMClassifier(**dict(FAST, solver="adam")).partial_fit(
        X, memoryview(labels), classes=memoryview(np.array([0, 1, 2])))
    assert_array_equal(model.classes_, [0, 1, 2])


def test_declared_classes_of_multilabel_targets_are_the_column_numbers():
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    Y = np.array([[0, 1, 1], [1, 0, 0]] * 3)
    model = LSTMClassifier(**dict(FAST, solver="adam"))
    assert_array_equal(model.partial_fit(X, Y, classes=[0, 1, 2]).classes_, [0, 1, 2])
    with pytest.raises(ValueError, match="multilabel indicator of 3 columns.*classes=\\[0, 1\\]"):
        LSTMClassifier(**dict(FAST, solver="adam")).partial_fit(X, Y, classes=[0, 1])


@pytest.mark.parametrize("params, exc, match", [
    # A Fraction or Decimal passed the table and failed inside NumPy's arithmetic.
    ({"beta_1": Fraction(9, 10)}, TypeError, r"beta_1 must be .*Fraction\(9, 10\) \(a Fraction; "),
    ({"alpha": Decimal("0.1")}, TypeError, r"alpha must be .*\(a Decimal; pass an int or a float\)"),
    # Ints beyond int64 raised NumPy's "Python int too large" or allocation errors.
    ({"max_iter": 10**30}, ValueError,
     r"max_iter must be an int >= 1, .*beyond what NumPy can hold"),
    ({"hidden_layer_sizes": (10**30,)}, ValueError, r"hidden_layer_sizes holds 10+: .*index"),
    ({"hidden_layer_sizes": (2**62,)}, ValueError, r"more numbers than NumPy can index"),
    ({"patch_length": 2**62}, ValueError, r"patch_length=4611686018427387904 is longer than the "
                                          r"longest training sequence \(3 steps\)"),
    ({"patch_length": 4}, ValueError, r"Use patch_length <= 3"),
    # random_state failed inside NumPy's or scikit-learn's seeding, after the
    # input was read, without naming the parameter.
    ({"random_state": -1}, ValueError, r"LSTMRegressor: random_state must be None or an int "
                                       r">= 0 and <= 4294967295 or a RandomState, got -1\."),
    ({"random_state": 2**32}, ValueError, r"random_state must be .*, got 4294967296\."),
    ({"random_state": 1.5}, TypeError, r"random_state must be .*, got 1\.5\."),
    ({"random_state": np.random.default_rng(0)}, TypeError, r"random_state must be .*Generator"),
])
def test_numbers_numpy_cannot_compute_with_are_refused_by_name(params, exc, match):
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    with pytest.raises(exc, match=match):
        LSTMRegressor(**{**FAST, "solver": "adam", **params}).fit(X, np.arange(6.0))


def test_patches_are_measured_on_the_real_steps_of_padded_sequences():
    X = np.random.RandomState(0).normal(size=(6, 40, 1))
    X[:, 20:] = np.nan  # padded to 40 steps; every sequence is 20 long
    with pytest.raises(ValueError, match=r"longer than the longest training sequence \(20 steps"):
        LSTMRegressor(**FAST, patch_length=30).fit(X, np.arange(6.0))
    # "auto" reads the 20 real steps as one patch, not the 40 of the array.
    assert LSTMRegressor(**FAST).fit(X, np.arange(6.0)).patch_length_ == 20


def test_the_too_large_note_is_given_only_when_true():
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    for params, note in (({"max_iter": 10**30}, True), ({"beta_1": 10**19}, False),
                         ({"alpha": -(10**20)}, False), ({"alpha": np.nan}, False)):
        with pytest.raises(ValueError) as caught:
            LSTMRegressor(**{**FAST, "solver": "adam", **params}).fit(X, np.arange(6.0))
        assert ("beyond what NumPy can hold" in str(caught.value)) == note, caught.value


def test_numbers_of_numpy_kinds_are_accepted():
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    params = dict(alpha=np.float32(0.1), max_iter=np.int64(2), patch_length=np.int32(3),
                  beta_1=0.9, learning_rate_init=1, random_state=np.uint32(2**32 - 1))
    model = LSTMRegressor(**{**FAST, "solver": "adam", **params}).fit(X, np.arange(6.0))
    assert model.n_iter_ == 2 and model.patch_length_ == 3


@pytest.mark.parametrize("kind", [np.uint8, np.int8, np.uint64, np.int16])
@pytest.mark.parametrize("cls", [LSTMRegressor, LSTMClassifier])
def test_count_parameters_of_narrow_numpy_ints_fit_as_python_ints(cls, kind):
    # batch_size, n_channels and n_exog entered the batches' and the table's
    # arithmetic as they came: "Python integer -120 out of bounds for uint8",
    # or, with a uint64 n_exog, an IndexError from NumPy's indexing.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 3 * 2 + 2))  # 3 steps of 2 channels, then 2 exogenous
    y = (X[:, 0] > 0).astype(int) if cls is LSTMClassifier else X[:, 0]
    counts = dict(batch_size=8, n_channels=2, n_exog=2)
    params = {**FAST, "solver": "adam", "max_iter": 2}
    expected = cls(**params, **counts).fit(X, y)
    model = cls(**params, **{name: kind(value) for name, value in counts.items()}).fit(X, y)
    assert_array_equal(model.predict(X), expected.predict(X))
    assert model.input_mean_.size == 4 and type(model.get_params()["batch_size"]) is kind


def test_a_list_mixing_text_and_numbers_is_refused_not_turned_into_text():
    # np.asarray([1, "a"]) is ["1", "a"]: the 1 would become a class "1".
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    with pytest.raises(ValueError, match=r"y mixes text and other labels: 'a' \(sample 1\)"):
        LSTMClassifier(**FAST).fit(X, [1, "a"] * 3)
    assert LSTMClassifier(**FAST).fit(X, ["1", "a"] * 3).classes_.tolist() == ["1", "a"]


@pytest.mark.parametrize("values", [(5, 7), (-1, 1), (0, 2)])
def test_two_valued_2d_labels_other_than_0_and_1_are_refused(values):
    # scikit-learn reads them as multilabel indicators; the log-loss would
    # then be trained on 5 and 7 themselves.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(12, 3, 1))
    Y = np.where(rng.uniform(size=(12, 2)) > 0.5, *values)
    Y[0], Y[1] = values[0], values[1]  # both values in each column
    with pytest.raises(ValueError, match=r"must be 0 or 1; y holds \[" + str(values[0])):
        LSTMClassifier(**FAST).fit(X, Y)
    indicators = (Y == values[1]).astype(int)
    assert LSTMClassifier(**FAST).fit(X, indicators).predict(X).shape == (12, 2)


def test_per_step_labels_are_checked_on_real_steps_only():
    X = np.random.RandomState(0).normal(size=(3, 4, 1))
    X[0, 3:] = np.nan  # sequence 0 ends after 3 steps
    y = np.array([["a", "b", "a", None], ["b", "a", "b", "a"], ["a", "a", "b", "b"]],
                 dtype=object)
    LSTMClassifier(**FAST, return_sequences=True).fit(X, y)  # None only at a padded step
    y[1, 2] = None
    with pytest.raises(ValueError, match=r"Input y contains None \(sample 1, step 2\)"):
        LSTMClassifier(**FAST, return_sequences=True).fit(X, y)


# -- channels first -----------------------------------------------------------------


def test_channels_first_is_read_as_its_transpose():
    X_last = np.random.RandomState(0).normal(size=(4, 30, 2))
    X_first = X_last.transpose(0, 2, 1)
    read = check_sequences(X_first, data_format="channels_first")
    assert_array_equal(read.values, check_sequences(X_last).values)
    items = check_sequences(list(X_first), data_format="channels_first")
    assert_array_equal(items.values, read.values)


def test_layers_too_large_to_allocate_name_hidden_layer_sizes_and_change_nothing():
    # NumPy's MemoryError ("Unable to allocate ... shape (100000, 100000)")
    # named an array, not the parameter that asked for it.
    X, y = np.zeros((4, 3, 1)), np.arange(4.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LSTMRegressor(**FAST).fit(X, y)
    before = model.predict(X)
    model.set_params(hidden_layer_sizes=(10**7,))
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(10000000,\) makes "
                                         r"400,000,[\d,]+ weights .* Use fewer units"):
        model.fit(X, y)
    assert_array_equal(model.set_params(hidden_layer_sizes=(3,)).predict(X), before)
    from sklstm import LSTMEncoderDecoderRegressor

    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(10000000,\) makes"):
        LSTMEncoderDecoderRegressor(hidden_layer_sizes=(10**7,), horizon=2).fit(
            X, np.c_[y, y])


def _small_fit_and_out_of_memory(reason="", patch_length=1):
    """A small fitted regressor, its X, y and predictions, and a stand-in for
    a NumPy allocation that fails with ``reason``."""
    X, y = np.zeros((4, 3, 1)), np.arange(4.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LSTMRegressor(**FAST, patch_length=patch_length).fit(X, y)

    def out_of_memory(*args, **kwargs):
        raise MemoryError(reason)

    return model, X, y, model.predict(X), out_of_memory


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("patch_length, steps, advice", [
    (1, "3 LSTM steps", r"fewer units, shorter sequences \(or a larger patch_length\)"),
    # "auto" reads the 3 steps as one patch: its states are one step's
    ("auto", "1 LSTM step", "fewer units"),
])
def test_running_out_of_memory_while_training_names_what_sets_the_size(
        monkeypatch, solver, patch_length, steps, advice):
    # Weights that fit but training state that does not (Adam's moments, the
    # kernels' packed copies, the states a pass keeps) raised NumPy's
    # MemoryError naming an array shape, or an empty reason.
    import sklstm._base

    model, X, y, before, out_of_memory = _small_fit_and_out_of_memory(
        patch_length=patch_length)
    monkeypatch.setattr(sklstm._base, "fit_stochastic", out_of_memory)
    monkeypatch.setattr(sklstm._base, "fit_scipy", out_of_memory)
    batch, smaller = (("mini-batches of up to 64 of the 4 sequences", "smaller batches")
                      if solver == "adam" else
                      ("all 4 sequences", "solver='adam', which reads mini-batches"))
    with pytest.raises(ValueError, match=r"^Training needs more memory than this machine can "
                       r"allocate: hidden_layer_sizes=\(3,\) makes [\d,]+ weights .*"
                       + batch + f" over {steps}\\. Use {advice} or " + smaller
                       + r"\. The model was left unchanged\.$"):
        model.set_params(solver=solver, warm_start=True).fit(X, y)
    assert_array_equal(model.predict(X), before)


@pytest.mark.parametrize("where", ["_convert_X", "_standardised", "_patched"])
def test_copies_of_x_too_large_for_memory_name_x(monkeypatch, where):
    # Reading, standardising or cutting X into patches raised NumPy's
    # MemoryError naming an array shape.
    from sklstm._base import BaseLSTM

    model, X, y, before, out_of_memory = _small_fit_and_out_of_memory(
        "Unable to allocate 80.0 GiB for an array with shape (10, 10)")
    monkeypatch.setattr(BaseLSTM, where, out_of_memory)
    with pytest.raises(ValueError, match=r"^Fitting makes copies of X larger than this machine "
                                         r"can allocate \(Unable to allocate 80\.0 GiB.*\): fit "
                                         r"on fewer or shorter sequences, or pass X as float32\. "
                                         r"The model was left unchanged\.$"):
        model.set_params(warm_start=True).fit(X, y)
    with pytest.raises(ValueError, match=r"^Predicting makes copies of X larger .*: predict on "
                                         r"fewer sequences at a time\.$"):
        model.predict(X)
    monkeypatch.undo()
    assert_array_equal(model.predict(X), before)


@pytest.mark.parametrize("method", ["predict", "score"])
def test_outputs_too_large_for_memory_name_x(monkeypatch, method):
    # The outputs of predicting (a buffer of every sample's, or what the
    # output's post-processing makes: all quantiles, the softmax) raised
    # NumPy's MemoryError naming an array shape.
    import sklstm._inference

    model, X, y, before, out_of_memory = _small_fit_and_out_of_memory(
        "Unable to allocate 2.95 GiB for an array with shape (20000, 200, 99)")
    monkeypatch.setattr(sklstm._inference, "dense_output", out_of_memory)
    call = model.predict if method == "predict" else lambda X: model.score(X, y)
    with pytest.raises(ValueError, match=r"^Predicting on X of shape \(4, 3, 1\) \(in the steps "
                                         r"the network reads\) makes outputs larger than this "
                                         r"machine can allocate \(Unable to allocate 2\.95 GiB.*"
                                         r"\): predict on fewer sequences at a time\.$"):
        call(X)
    monkeypatch.undo()
    assert_array_equal(model.predict(X), before)


def test_channels_first_leaves_one_dimensional_items_univariate():
    # data_format names the axes of 2-D items; 1-D items were transposed into
    # one step of T channels (equal lengths) or refused as channel counts.
    rng = np.random.RandomState(0)
    rows = list(rng.normal(size=(4, 6)))
    read = check_sequences(rows, data_format="channels_first")
    assert read.values.shape == (4, 6, 1)
    assert_array_equal(read.values, check_sequences(rows).values)
    ragged = [row[: 3 + k] for k, row in enumerate(rows)]
    assert_array_equal(check_sequences(ragged, data_format="channels_first").lengths,
                       [3, 4, 5, 6])


def test_big_endian_frame_columns_are_read_as_native_floats():
    # check_array kept the frame's '>f8' dtype, which the weights then refused
    # as "dtype must be float32 or float64".
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(8, 6)), rng.normal(size=8)
    for dtype in (">f8", ">f4"):
        frame = pd.DataFrame(X.astype(dtype))
        model = LSTMRegressor(**FAST).fit(frame, y)
        native = LSTMRegressor(**FAST).fit(X.astype(dtype[1:]), y)
        assert_array_equal(model.predict(frame), native.predict(X.astype(dtype[1:])))
        assert all(w.dtype.isnative for w in model.coefs_[0].values())


@pytest.mark.parametrize("convert, table", [
    (lambda X: X.astype(">f4"), False),
    (lambda X: list(X.astype(">f4")), False),
    (lambda X: [pd.DataFrame(seq).astype("Float32") for seq in X], False),
    (lambda X: pd.DataFrame(X[:, :, 0]).astype("Float32"), True),
    (lambda X: pd.DataFrame(X[:, :, 0]).astype({0: "Float32", 1: ">f4"}), True),
], ids=["big-endian", "list of big-endian", "Float32 items", "Float32 frame", "Float32 and >f4"])
def test_float32_of_any_container_trains_as_its_native_array(convert, table):
    # check_array read big-endian float32 arrays and nullable Float32 frames
    # as float64: a float64 model, where the native float32 array trains float32.
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(8, 6, 2)).astype(np.float32), rng.normal(size=8)
    given, native = convert(X), X[:, :, 0] if table else X
    model = LSTMRegressor(**FAST).fit(given, y)
    assert model.coefs_[0]["W"].dtype == np.float32
    reference = LSTMRegressor(**FAST).fit(native, y)
    assert_array_equal(model.predict(given), reference.predict(native))


@pytest.mark.parametrize("dtypes, expected", [
    (("float32", "float32"), np.float32), (("float32", "float64"), np.float64),
    (("float64", "float64"), np.float64), (("float16", "float32"), np.float32),
])
def test_frames_of_floats_are_read_as_their_arrays(dtypes, expected):
    """Frames of plain float columns take the arrays' checks (a list of
    4,000 small frames took 2.8 s, 0.5 s now): the same values and dtype as
    the frame's own array, whatever float widths its columns mix."""
    rng = np.random.RandomState(0)
    frames = [pd.DataFrame({c: rng.normal(size=5).astype(d) for c, d in zip("ab", dtypes)})
              for _ in range(3)]
    read = check_sequences(frames)
    assert read.values.dtype == expected
    assert_array_equal(read.values, np.stack([f.to_numpy().astype(expected) for f in frames]))
    assert read.channel_names == ("a", "b")
    with pytest.raises(ValueError, match=r"column names of X\[1\] repeat: 'a' \(2 times\)"):
        check_sequences([frames[0], frames[1].rename(columns={"b": "a"})])


def test_a_list_of_equal_shape_sparse_matrices_is_refused_as_sparse():
    sparse = pytest.importorskip("scipy.sparse")
    items = [sparse.csr_matrix(np.eye(5, 2)) for _ in range(4)]
    with pytest.raises(TypeError, match=r"Sparse data was passed for X\[0\].*toarray"):
        LSTMRegressor(**FAST).fit(items, np.arange(4.0))


@pytest.mark.parametrize("make", [lambda y: (v for v in y), lambda y: iter(list(y)),
                                  lambda y: dict(enumerate(y)).values(), set])
def test_an_iterator_or_set_of_targets_is_refused_by_type(make):
    X = np.random.RandomState(0).normal(size=(4, 5, 1))
    with pytest.raises(TypeError, match=r"y must be array-like with one entry per sample, "
                                        r"got a \w+\. Materialise iterators"):
        LSTMRegressor(**FAST).fit(X, make([0.5, 1.0, 2.0, 3.0]))
    with pytest.raises(TypeError, match="Materialise iterators"):
        LSTMClassifier(**FAST).fit(X, make([0, 1, 2, 3]))


def test_declared_classes_held_as_objects_get_the_advice_labels_get():
    X = np.random.RandomState(0).normal(size=(6, 5, 1))
    for classes in (np.array([0, 1, 2], dtype=object), pd.Series([0, 1, 2], dtype=object)):
        with pytest.raises(ValueError, match=r"classes is an object array holding int labels "
                                             r"such as 0.*classes\.astype\(int\)"):
            LSTMClassifier(**{**FAST, "solver": "adam"}).partial_fit(
                X, [0, 1, 2, 0, 1, 2], classes=classes)


@pytest.mark.parametrize("labels, kind", [
    (lambda up: pd.cut(up.astype(float), 2), "Interval"),
    (lambda up: pd.Series(pd.date_range("2020", periods=2, tz="UTC")[up]), "Timestamp"),
    (lambda up: pd.Series(pd.period_range("2020", periods=2, freq="M")[up]), "Period"),
])
def test_labels_of_pandas_scalar_types_are_named_with_the_remedy(labels, kind):
    """pd.cut's intervals, tz-aware dates and periods got scikit-learn's advice
    alone, which speaks of continuous regression targets."""
    X = np.random.RandomState(0).normal(size=(8, 5, 1))
    up = (X[:, -1, 0] > 0).astype(int)
    with pytest.raises(ValueError, match=rf"y holds {kind} labels such as .*y\.astype\(str\)"):
        LSTMClassifier(**FAST).fit(X, labels(up))
    LSTMClassifier(**FAST).fit(X, labels(up).astype(str))  # the remedy


def test_channels_first_frames_name_their_channels_by_row():
    # The columns (time steps) were taken as channel names: swapped channel
    # rows went unnoticed, and sequences of other lengths were refused.
    rng = np.random.RandomState(0)
    frames = [pd.DataFrame(rng.normal(size=(2, n)), index=["temp", "load"],
                           columns=[f"t{i}" for i in range(n)]) for n in (5, 6, 5, 7)]
    model = LSTMRegressor(**FAST, data_format="channels_first").fit(frames, np.arange(4.0))
    assert model.feature_names_in_.tolist() == ["temp", "load"]
    arrays = LSTMRegressor(**FAST, data_format="channels_first").fit(
        [f.to_numpy() for f in frames], np.arange(4.0))
    assert_array_equal(model.predict(frames), arrays.predict([f.to_numpy() for f in frames]))
    with pytest.raises(ValueError, match=r"The channel names of X, \['load', 'temp'\], differ "
                                         r"from those seen in fit, \['temp', 'load'\]"):
        model.predict([f.loc[["load", "temp"]] for f in frames])
    with pytest.raises(ValueError, match=r"The row labels of sequence 1 of X, \['load', 'temp'\], "
                                         r"differ from those of sequence 0"):
        model.predict([frames[0], frames[1].loc[["load", "temp"]]])
    # A model saved when the step columns were taken as channel names loads
    # without them, and predicts on its frames. (Saving checks the state as
    # loading does, and a live model holds no such names: the file is written
    # as that version wrote it, unchecked.)
    model.feature_names_in_ = np.array([f"t{i}" for i in range(5)], dtype=object)
    with mock.patch("sklstm._base.check_before_saving", lambda owner, check: None):
        saved = pickle.dumps(model)
    loaded = pickle.loads(saved)
    assert not hasattr(loaded, "feature_names_in_")
    with pytest.warns(UserWarning, match="fitted without them; channels are matched by position"):
        predicted = loaded.predict(frames)
    assert_array_equal(predicted, arrays.predict([f.to_numpy() for f in frames]))


@pytest.mark.parametrize("make_y, classes", [
    (lambda up: np.where(up, b"hi", b"lo"), None),
    (lambda up: [b"hi" if u else b"lo" for u in up], None),
    (lambda up: np.where(up, b"hi", b"lo"), [b"hi", b"lo"]),
])
def test_bytes_labels_are_refused_from_sklstm(make_y, classes):
    # scikit-learn's TypeError was raised from inside its type_of_target.
    try:
        type_of_target(np.array([b"hi", b"lo"]))
        pytest.skip("this scikit-learn reads bytes labels as classes")
    except TypeError:
        pass
    X = np.random.RandomState(0).normal(size=(12, 4, 1))
    model = LSTMClassifier(**{**FAST, "solver": "adam"})
    fit = model.fit if classes is None else (lambda X, y: model.partial_fit(X, y, classes))
    with pytest.raises(TypeError, match="labels represented as bytes is not supported") as info:
        fit(X, make_y(X[:, -1, 0] > 0))
    assert "sklstm" in str(info.traceback[-1].path)


def test_likely_transposed_input_warns_and_names_the_parameter():
    X = np.zeros((5, 1, 40))  # sktime's univariate numpy3D: 1 channel, 40 steps
    with pytest.warns(DataLayoutWarning, match="data_format='channels_first'"):
        check_sequences(X, fitting=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        check_sequences(X, data_format="channels_last", fitting=True)  # declared: no warning
        check_sequences(np.zeros((5, 40, 3)), fitting=True)  # plausible layout: no warning
    # After fit, the fitted channels decide: predict's refusal says to transpose
    # X; the warning also advised data_format, which a fitted model cannot take.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 10, 2))
    model = LSTMRegressor(**FAST).fit(X, X[:, -1, 0])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        with pytest.raises(ValueError, match=r"X\.transpose\(0, 2, 1\)"):
            model.predict(X.transpose(0, 2, 1))


def test_a_list_of_channels_first_sequences_warns_or_is_named_as_a_3d_array_is():
    # A list of (n_channels, n_timesteps) arrays was read as 12 channels of
    # 2 steps without the warning a 3-D array of that shape gets; ragged,
    # its error named two channel counts and no layout.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(10, 2, 12))
    y = X[:, 0, -1]
    with pytest.warns(DataLayoutWarning, match=re.escape(
            "The sequences of X are read as (n_timesteps, n_channels): 12 channels, and 2 "
            "time step(s) in its longest sequence. If they are channels first, "
            "(n_channels, n_timesteps) each, pass data_format='channels_first'")):
        LSTMRegressor(**FAST).fit(list(X), y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        for data_format in ["channels_first", "channels_last"]:
            LSTMRegressor(**FAST, data_format=data_format).fit(list(X), y)
        LSTMRegressor(**FAST).fit(list(X.transpose(0, 2, 1)), y)  # 12 steps of 2
    ragged = [x[:, : 12 - k % 3] for k, x in enumerate(X)]
    with pytest.raises(ValueError, match=re.escape(
            "sequence 0 has 12, sequence 1 has 11. Each has 2 along its other axis: if the "
            "sequences are (n_channels, n_timesteps_i), pass data_format='channels_first'.")):
        LSTMRegressor(**FAST).fit(ragged, y)
    first = LSTMRegressor(**FAST, data_format="channels_first").fit(ragged, y)
    with pytest.raises(ValueError, match=re.escape(
            "Each has 2 along its other axis: if the sequences are (n_timesteps_i, "
            "n_channels), do not pass data_format='channels_first'.")):
        LSTMRegressor(**FAST, data_format="channels_first").fit([x.T for x in ragged], y)
    # Frames name their channels by their columns: no warning.
    named = [pd.DataFrame(x, columns=list("abcdefghijkl")) for x in X]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        LSTMRegressor(**FAST).fit(named, y)
    # A channel missing from some sequences of many steps is no sign of
    # channels first: no advice to read them so.
    with pytest.raises(ValueError, match=r"sequence 0 has 3, sequence 1 has 4\.$"):
        LSTMRegressor(**FAST).fit([np.zeros((5, 3)), np.zeros((5, 4))] * 5, np.arange(10.0))
    # A channels-first model given a table is told the shape it reads.
    with pytest.raises(ValueError, match=re.escape(
            "pass 3-D X of shape (n_samples, 2, n_timesteps) instead.")):
        first.predict(X.reshape(10, -1))


def test_a_table_of_time_points_under_a_row_multiindex_warns_with_the_conversion():
    """sktime's 'pd-multiindex' layout (a row per instance and time point) was
    read as one-step samples, 50 predictions for 10 instances, silently."""
    rng = np.random.RandomState(0)
    X3 = rng.normal(size=(10, 5, 2))
    model = LSTMRegressor(**FAST).fit(X3, X3[:, -1, 0])
    index = pd.MultiIndex.from_product([range(10), range(5)], names=["instance", "timepoints"])
    panel = pd.DataFrame(X3.reshape(50, 2), index=index)
    with pytest.warns(DataLayoutWarning, match=re.escape(
            "X is a DataFrame whose rows have a 2-level MultiIndex ('instance', 'timepoints'); "
            "it is read as a 2-D table, one sample per row (50 samples). If it is sktime's "
            "'pd-multiindex' layout")):
        assert model.predict(panel).shape == (50,)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        sequences = [group.to_numpy() for _, group in panel.groupby(level=0, sort=False)]
        assert_array_equal(model.predict(sequences), model.predict(X3))
        model.predict(panel.reset_index(drop=True))  # rows as samples, declared
        # Rows of named lags are windows, whatever their index (sktime's
        # global reducers keep a panel's MultiIndex on them).
        windows = pd.DataFrame(X3[:, :, 0], index=index[::5],
                               columns=[f"y_lag_{k}" for k in range(5, 0, -1)])
        LSTMRegressor(**FAST).fit(windows, X3[:, -1, 0])
        # Nor are lags followed by declared exogenous values, whatever their names.
        lagged = pd.DataFrame(np.c_[X3[:, :2, 0], X3[:, 0, 1]], index=index[::5],
                              columns=["sales_lag_1", "sales_lag_2", "temp_lag_1"])
        LSTMRegressor(**FAST, newest_first=True, n_exog=1).fit(lagged, X3[:, -1, 0])
    # A lag and a value of each time point are no window: the panel warning stays.
    points = pd.DataFrame(X3.reshape(50, 2), index=index, columns=["sales_lag_1", "price"])
    with pytest.warns(DataLayoutWarning, match="rows have a 2-level MultiIndex"):
        model.predict(points)


@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
def test_a_long_panel_with_one_target_per_instance_is_named(Estimator):
    """sktime's 'pd-multiindex' panel (one row per instance and time point)
    with one target per instance: the error names the layout and the route,
    not just two counts."""
    rng = np.random.RandomState(0)
    index = pd.MultiIndex.from_product([range(12), range(5)], names=["instance", "time"])
    panel = pd.DataFrame(rng.normal(size=(60, 2)), index=index, columns=["a", "b"])
    y = np.arange(12) % 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DataLayoutWarning)  # the layout warning comes first
        with pytest.raises(ValueError, match=r"X has 60 rows under a 2-level MultiIndex of 12 "
                           r"instances, and y one target per instance \(12\): X is a long "
                           r"panel .*X\.groupby\(level=0, sort=False\)\] \(in the order the "
                           r"instances first appear, as y holds them\)"):
            Estimator(**FAST).fit(panel, y)
        # The route it names fits, one sequence of 5 steps per instance.
        model = Estimator(**FAST).fit(
            [g.to_numpy() for _, g in panel.groupby(level=0, sort=False)], y)
        assert model.n_features_in_ == 2
        # One target per row is a table of samples: no error.
        Estimator(**FAST).fit(panel, np.arange(60) % 2)


def test_the_long_panel_route_keeps_instances_in_the_order_of_y():
    # The advice's groupby sorted the instances: labels "case_1" .. "case_12"
    # came back as case_1, case_10, case_11, case_12, case_2, .., silently
    # out of line with y.
    rng = np.random.RandomState(0)
    X3 = rng.normal(size=(12, 5, 2))
    ids = [f"case_{i}" for i in range(1, 13)]
    panel = pd.concat({i: pd.DataFrame(x, columns=["a", "b"]) for i, x in zip(ids, X3)},
                      names=["instance", "time"])
    with pytest.raises(ValueError) as refused:
        LSTMRegressor(**FAST).fit(panel, X3[:, -1, 0])
    route = re.search(r"\[g\.to_numpy\(\) for _, g in X\.groupby\((.*?)\)\]",
                      str(refused.value)).group(1)
    sequences = [g.to_numpy() for _, g in eval(f"panel.groupby({route})")]
    assert_array_equal(np.stack(sequences), X3)
    with pytest.warns(DataLayoutWarning, match=re.escape(f"X.groupby({route})]")):
        LSTMRegressor(**FAST).fit(X3, X3[:, -1, 0]).predict(panel)


def _features_of_different_units(n=60, seed=0):
    """A table of features, not steps: spreads from 0.01 to 1000 (wine's range)."""
    rng = np.random.RandomState(seed)
    spreads = np.array([1000.0, 0.01, 3.0, 0.2, 50.0])
    X = pd.DataFrame(rng.normal(size=(n, 5)) * spreads,
                     columns=["proline", "hue", "ash", "phenols", "magnesium"])
    return X, (X["hue"] > 0).astype(int)


@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
def test_fitting_on_features_read_as_steps_warns_with_the_remedy(Estimator):
    X, y = _features_of_different_units()
    model = Estimator(**FAST)
    with pytest.warns(DataLayoutWarning,
                      match=r"5 time steps of n_channels=1 .* differ in spread by a factor of "
                            r"[\d.]+e\+05 \('proline' against 'hue'\).* pass n_channels=5"):
        model.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        model.predict(X)  # predicting reads the same table again: no second warning
        Estimator(**FAST, n_channels=5).fit(X, y)  # the remedy: one step of 5 channels
        Estimator(**FAST).fit((X - X.mean()) / X.std(), y)  # or scaled first


def test_the_spread_warning_counts_the_lag_columns_beside_exogenous_ones():
    # "The 4 columns of X" of a table of 6: the 4 are its lag columns.
    X, y = _features_of_different_units()
    X = X.assign(exog_1=0.5, exog_2=1.5)
    with pytest.warns(DataLayoutWarning, match=r"^The first 5 of the 7 columns of X are read "
                                               r"as 5 time steps"):
        LSTMRegressor(**FAST, n_exog=2).fit(X, y)


def test_lag_tables_of_real_series_do_not_warn():
    from sklstm.datasets import load_co2, load_sunspots

    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        for series in (load_co2(), load_sunspots()):
            values = series.select_dtypes("number").to_numpy()[:, 0]
            lags = np.lib.stride_tricks.sliding_window_view(values, 25)
            LSTMRegressor(**FAST).fit(lags[:, :-1], lags[:, -1])


def test_lags_of_a_persistent_series_with_a_forgotten_exogenous_column_warn():
    """Lags of a persistent series move together; one exogenous column of
    another unit beside them must still be warned about, whatever the lags'
    pairs say (a rule by the median correlation of neighbouring columns
    silenced it)."""
    rng = np.random.default_rng(0)
    series = np.zeros(300)
    for t in range(1, 300):
        series[t] = 0.95 * series[t - 1] + rng.normal()
    lags = np.lib.stride_tricks.sliding_window_view(series, 12)[:-1]
    temperature = 5000 + 1000 * rng.normal(size=len(lags))
    with pytest.warns(DataLayoutWarning, match=re.escape(
            "The first 12 are one series shifted (lags), the last 1 other values: if these "
            "are values of the predicted step (exogenous, as skforecast's rows put them after "
            "the lags), pass n_exog=1; if the columns are features rather than time steps, "
            "pass n_channels=13")):
        LSTMRegressor(**FAST).fit(np.c_[lags, temperature], series[12:])
    # Newest first, as skforecast's rows are, the advice says so.
    with pytest.warns(DataLayoutWarning, match=r"pass n_exog=1 and newest_first=True;"):
        LSTMRegressor(**FAST).fit(np.c_[lags[:, ::-1], temperature], series[12:])
    # The advice, followed, reads it without a warning.
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        LSTMRegressor(**FAST, n_exog=1).fit(np.c_[lags, temperature], series[12:])
    # A day's prices agree in spread as lags do, but are no series shifted:
    # the features advice comes first.
    close = 100 + np.cumsum(rng.normal(size=200))
    prices = np.c_[close + 0.5, close + 1.0, close - 1.0, close, 1e6 * np.exp(rng.normal(
        scale=0.3, size=200))]
    with pytest.warns(DataLayoutWarning, match=r"nearly constant to the network\. If the "
                                               r"columns are features"):
        LSTMRegressor(**FAST).fit(prices, close)
    # Nor are one-hot columns or small counts, whose rows repeat trivially.
    income = 1e5 * np.exp(rng.normal(size=200))
    for features in [np.eye(3)[rng.integers(0, 3, 200)], rng.poisson(0.1, (200, 4)) * 1.0]:
        with pytest.warns(DataLayoutWarning, match=r"nearly constant to the network\. If "
                                                   r"the columns are features"):
            LSTMRegressor(**FAST).fit(np.c_[features, income], close)
    # A feature table whose first columns differ in spread gets the features
    # advice first: wine's proline is its last column.
    wine = pytest.importorskip("sklearn.datasets").load_wine()
    with pytest.warns(DataLayoutWarning, match=r"narrow ones are nearly constant to the "
                                               r"network\. If the columns are features"):
        LSTMClassifier(**FAST).fit(wine.data, wine.target)


def test_named_lags_with_exogenous_columns_get_one_warning_with_the_layout_remedy():
    # Lags then an exogenous column of another unit, read as 4 steps: the
    # spread warning advised one step of 4 channels, against the names.
    rng = np.random.RandomState(3)
    lags = rng.normal(size=(40, 3))
    table = pd.DataFrame(np.c_[lags, 5000 + 1000 * rng.normal(size=40)],
                         columns=["y_lag_1", "y_lag_2", "y_lag_3", "temp"])
    with pytest.warns(DataLayoutWarning) as record:
        LSTMRegressor(**FAST).fit(table, lags[:, 0])
    assert [str(w.message) for w in record if w.category is DataLayoutWarning] == [
        "The columns of X are named as lags y_lag_1 .. y_lag_3 (newest first) followed by "
        "1 other column(s), but they are read as 4 steps of one channel "
        "(newest_first=False). Pass "
        "newest_first=True, n_exog=1 to read them as lags and values of the predicted step "
        "(exogenous values, window or calendar features)."
    ]
    # Other columns before the lags: no layout reads them, and the spread
    # warning still gives its remedy.
    first = table[["temp", "y_lag_1", "y_lag_2", "y_lag_3"]]
    with pytest.warns(DataLayoutWarning) as record:
        LSTMRegressor(**FAST).fit(first, lags[:, 0])
    messages = " ".join(str(w.message) for w in record)
    assert "before the lags" in messages and "pass n_channels=4" in messages
    # Unnamed, the spread warning names the exogenous route beside n_channels.
    with pytest.warns(DataLayoutWarning, match=r"pass n_channels=4 .* if only the last columns "
                                               r"are values of the predicted step \(exogenous\), "
                                               r"pass n_exog with their number"):
        LSTMRegressor(**FAST).fit(table.to_numpy(), lags[:, 0])


def test_spread_is_compared_within_each_channel():
    rng = np.random.RandomState(1)
    steps = rng.normal(size=(40, 6))
    channels = np.hstack([steps, 1000 * steps])  # channel_major: channel 1 is 1000x wider
    y = steps[:, -1]
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        LSTMRegressor(**FAST, n_channels=2, column_order="channel_major").fit(channels, y)
    channels[:, 8] *= 1e-3  # one step of channel 1 as narrow as channel 0
    with pytest.warns(DataLayoutWarning, match=r"columns of channel 1 differ in spread by a "
                      r"factor of [\d.]+e\+03 \(column \d+ against column 8\)"):
        LSTMRegressor(**FAST, n_channels=2, column_order="channel_major").fit(channels, y)


def test_spread_warning_points_at_the_callers_line_and_overflows_nothing():
    from sklstm import LSTMEncoderDecoderRegressor

    rng = np.random.RandomState(2)
    X = rng.normal(size=(40, 8)) * np.r_[[1000.0] * 4, [0.001] * 4]
    for model, y in [(LSTMRegressor(**FAST), X[:, 0]),
                     (LSTMEncoderDecoderRegressor(**{**FAST, "horizon": 2}), X[:, :2])]:
        with pytest.warns(DataLayoutWarning, match="differ in spread") as record:
            model.fit(X, y)
        assert record[0].filename == __file__  # the encoder-decoder's path is one call deeper
    # float32 spreads whose ratio is beyond float32: no RuntimeWarning, a finite factor
    tiny_and_huge = np.c_[rng.normal(size=(30, 2)) * 1e-21, rng.normal(size=(30, 2)) * 1e18]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.warns(DataLayoutWarning, match=r"factor of [\d.]+e\+39"):
            LSTMRegressor(**FAST).fit(tiny_and_huge.astype(np.float32), rng.normal(size=30))


@pytest.mark.parametrize("per_step", [False, True])
def test_targets_too_large_to_standardise_are_named_not_training_divergence(per_step):
    X = np.random.RandomState(0).normal(size=(40, 6, 2))
    y = np.where(np.arange(40) < 4, 1.7e308, -1.7e308)  # finite, but their spread is not
    y = np.repeat(y[:, None], 6, axis=1) if per_step else y
    model = LSTMRegressor(**{**FAST, "return_sequences": per_step})
    where = "sample 0, step 0, output 0" if per_step else "sample 0, output 0"
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match=f"y holds a value too large to standardise in "
                                             f"float64, in {where}"):
            model.fit(X, y)


@pytest.mark.parametrize("continue_by", ["partial_fit", "warm start", "unscaled"])
def test_targets_whose_squared_error_overflows_are_named_not_training_divergence(continue_by):
    """Fixed bug: a target of 1e300 in partial_fit or a warm start (scaled by
    the first fit's statistics) overflowed the loss, and the fit was told it
    diverged, with the advice to keep the scaling it had kept."""
    X = np.random.RandomState(0).normal(size=(40, 6, 2))
    y = X[:, -1, 0]
    far = y.copy()
    far[-1] = 1e300
    if continue_by == "unscaled":
        model = LSTMRegressor(**FAST, scale_targets=False)
        fixed = r"not standardised; keep scale_targets=True"
    else:
        model = LSTMRegressor(**{**FAST, "solver": "adam"},
                              warm_start=continue_by == "warm start").fit(X, y)
        fixed = r"scaled by the statistics of the fit it continues \(target_mean_"
    saved = pickle.dumps(model)
    fit = model.partial_fit if continue_by == "partial_fit" else model.fit
    with pytest.raises(ValueError, match=r"^y holds a value whose squared error would overflow "
                                         rf"float64, in sample 39, output 0: the targets are "
                                         rf"{fixed}"):
        fit(X, far)
    assert pickle.dumps(model) == saved


def test_a_far_target_of_weight_0_is_accepted_and_a_held_out_one_named():
    # A target of weight 0 enters no loss: the check above must not refuse
    # it. A held-out one made every validation loss infinite, and the fit
    # silently kept its first epoch's weights.
    X = np.random.RandomState(0).normal(size=(40, 6, 2))
    far = X[:, -1, 0].copy()
    far[5] = 1e200
    weights = np.ones(40)
    weights[5] = 0.0
    LSTMRegressor(**FAST).fit(X, far, sample_weight=weights)
    held_out = LSTMRegressor(**{**FAST, "solver": "adam"}, early_stopping=True,
                             validation_split="tail", validation_fraction=0.5)
    with pytest.raises(ValueError, match=r"in sample 35, output 0: the targets are far outside "
                                         r"the statistics of the training part .* held out by "
                                         r"early stopping"):
        held_out.fit(X, np.roll(far, 30))  # sample 35, of the held-out tail
    assert not hasattr(held_out, "coefs_")


# -- errors from below, in the user's terms ------------------------------------------


def _small_task():
    X = np.random.RandomState(0).normal(size=(12, 4, 1))
    return X, X.sum(axis=(1, 2))


@pytest.mark.parametrize("key", ["callback", "jac", "hessp", "bounds", "options"])
def test_solver_options_that_sklstm_sets_are_named(key):
    X, y = _small_task()
    model = LSTMRegressor(**{**FAST, "solver_options": {key: None}})
    with pytest.raises(ValueError, match=f"solver_options may not set '{key}'"):
        model.fit(X, y)


def test_a_solver_option_scipy_refuses_is_reported_as_ours():
    X, y = _small_task()
    model = LSTMRegressor(**{**FAST, "solver_options": {"gtol": "tight"}})
    with pytest.raises(TypeError, match=r"solver='L-BFGS-B': solver_options\['gtol'\] must be "
                                        r"a number >= 0, got 'tight'"):
        model.fit(X, y)


@pytest.mark.parametrize("solver", ["lbfgs", "BFGS", "TNC"])
def test_a_misspelt_solver_option_is_refused_and_the_model_kept(solver):
    X, y = _small_task()
    model = LSTMRegressor(**{**FAST, "solver": solver}).fit(X, y)
    before = model.predict(X)
    # scipy's own option is 'maxiter'; scipy would only warn and ignore this one.
    model.set_params(solver_options={"max_iter": 1})
    with pytest.raises(ValueError, match="solver_options holds 'max_iter', which no method of "
                                         "scipy.optimize.minimize knows.*Did you mean 'maxiter'"):
        model.fit(X, y)
    np.testing.assert_array_equal(model.predict(X), before)


def test_an_option_of_minimize_scalar_is_no_option_of_minimize():
    X, y = _small_task()
    model = LSTMRegressor(**{**FAST, "solver": "lbfgs"}, solver_options={"brack": (0, 1)})
    with pytest.raises(ValueError, match="solver_options holds 'brack', which no method of "
                                         "scipy.optimize.minimize knows"):
        model.fit(X, y)


@pytest.mark.parametrize("solver, options, exc, match", [
    ("BFGS", {"gtol": np.nan}, ValueError, r"solver_options\['gtol'\] must be a number >= 0, "
                                           r"got nan"),
    ("lbfgs", {"ftol": -1.0}, ValueError, r"solver_options\['ftol'\] must be a number >= 0"),
    ("lbfgs", {"maxcor": 0}, ValueError, r"solver_options\['maxcor'\] must be an int >= 1"),
    ("lbfgs", {"maxiter": 2.5}, TypeError, r"solver_options\['maxiter'\] must be an int"),
    ("lbfgs", {"maxiter": True}, TypeError, r"solver_options\['maxiter'\] must be an int"),
])
def test_solver_option_values_scipy_would_not_train_with_are_refused(
    solver, options, exc, match
):
    X, y = _small_task()
    model = LSTMRegressor(**{**FAST, "solver": solver}).fit(X, y)
    before = model.predict(X)
    with pytest.raises(exc, match=match):
        model.set_params(solver_options=options).fit(X, y)
    assert_array_equal(model.predict(X), before)


def test_an_l_bfgs_b_error_status_is_an_error_not_an_untrained_model(monkeypatch):
    # Past sklstm's own checks of option values, L-BFGS-B reports bad input
    # only in its message ("ERROR: ...") and returns the starting point.
    import sklstm._optimizers

    monkeypatch.setattr(sklstm._optimizers, "_check_option_values", lambda *a, **k: None)
    X, y = _small_task()
    with pytest.raises(ValueError, match=r"refused solver_options=\{'ftol': -1.0\}: ERROR"):
        LSTMRegressor(**{**FAST, "solver_options": {"ftol": -1.0}}).fit(X, y)


def test_invscaling_schedule_underflows_instead_of_overflowing():
    from sklstm._optimizers import SGDOptimizer

    opt = SGDOptimizer(3, 0.1, "invscaling", power_t=1e10)
    opt.iteration_ends(time_step=1000)  # (t + 1) ** power_t is beyond float range
    assert opt.learning_rate == 0.0
    # So is the exponent's logarithm for the largest power_t: quietly a rate of 0.
    opt = SGDOptimizer(3, 0.1, "invscaling", power_t=1e308)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        opt.iteration_ends(time_step=1000)
    assert opt.learning_rate == 0.0
    opt = SGDOptimizer(3, 0.1, "invscaling", power_t=0.5)
    opt.iteration_ends(time_step=99)
    assert opt.learning_rate == pytest.approx(0.1 / 10.0, rel=1e-12)


# -- the estimators: names, layouts and probes through fit and predict ----------------


def test_estimator_checks_channel_names_of_a_list_of_dataframes():
    frames = _frames(["price", "load"], n=8)
    model = LSTMRegressor(**FAST).fit(frames, np.arange(8.0))
    assert list(model.feature_names_in_) == ["price", "load"]
    with pytest.raises(ValueError, match="channel names of X, \\['load', 'price'\\]"):
        model.predict([f[["load", "price"]] for f in frames])
    with pytest.warns(UserWarning, match="does not have channel names"):
        model.predict([f.to_numpy() for f in frames])
    assert_array_equal(model.predict(frames), model.predict(np.stack([f.to_numpy() for f in frames])))
    # A table of one-step rows names its channels by its columns, checked alike.
    rows = pd.DataFrame(np.arange(6.0).reshape(3, 2), columns=["price", "load"])
    with pytest.raises(ValueError, match="channel names of X, \\['load', 'price'\\]"):
        model.predict(rows[["load", "price"]])
    assert_array_equal(model.predict(rows), model.predict(rows.to_numpy()[:, None, :]))


@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
@pytest.mark.parametrize("n_exog", [0, 1])
def test_a_model_fitted_on_one_step_rows_checks_the_channel_names_of_frames(Estimator, n_exog):
    # Fitted on a table of one column per channel, the column names are the
    # channel names: frames naming other channels were read by position.
    rows = pd.DataFrame(np.random.RandomState(0).normal(size=(12, 2)),
                        columns=["price", "volume"])
    y = np.arange(12) % 2
    model = Estimator(**{**FAST, "solver": "adam"}, n_channels=2 - n_exog, n_exog=n_exog)
    model.fit(rows, y)
    before = model.predict(rows)
    frames = _frames(["price", "temp"], n=12)
    with pytest.raises(ValueError, match=r"channel names of X, \['price', 'temp'\], differ "
                                         r"from those seen in fit, \['price', 'volume'\]: pass "
                                         r"frames whose channels are the fitted ones"):
        model.predict(frames)
    with pytest.raises(ValueError, match="channel names of X"):
        model.partial_fit(frames, y)
    assert_array_equal(model.predict(rows), before)
    same = [frame.set_axis(["price", "volume"], axis=1) for frame in frames]
    with pytest.warns(UserWarning, match="does not have channel names") as record:
        unnamed = model.predict([f.to_numpy() for f in same])
    assert record[0].filename == __file__  # the warning points at the caller's line
    assert_array_equal(model.predict(same), unnamed)


def test_a_table_of_reordered_channels_is_told_to_select_its_columns():
    # Fitted on frames, a table of one step per row with the channels in
    # another order was told [frame[...] for frame in X], which iterates a
    # frame's labels and failed.
    rng = np.random.RandomState(0)
    frames = _frames(["a", "b"], n=12)
    model = LSTMRegressor(**FAST).fit(frames, np.arange(12.0))
    X = pd.DataFrame(rng.normal(size=(3, 2)), columns=["b", "a"])
    with pytest.raises(ValueError, match=re.escape("pass the columns in the fitted order, "
                                                   "X[['a', 'b']].")):
        model.predict(X)
    assert_array_equal(model.predict(X[["a", "b"]]), model.predict(X[["a", "b"]].to_numpy()))


@pytest.mark.parametrize(
    "columns",
    [[0, 1, 2], [("a", 1), ("a", 2), ("b", 1)], list(pd.date_range("2020", periods=3))],
    ids=["integers", "tuples", "timestamps"],
)
@pytest.mark.parametrize("as_list", [False, True], ids=["table", "list of frames"])
def test_columns_reordered_are_refused_whatever_their_labels(columns, as_list):
    """scikit-learn checks string names only; reordered integer (or tuple,
    date) labelled columns were read by position, silently swapped."""
    rng = np.random.RandomState(0)
    labels = pd.MultiIndex.from_tuples(columns) if isinstance(columns[0], tuple) else columns

    def frame(n_rows):
        return pd.DataFrame(rng.normal(size=(n_rows, 3)) * [1, 10, 100], columns=labels)

    X = [frame(n) for n in (4, 5, 6, 7)] if as_list else frame(12)
    model = LSTMRegressor(**FAST).fit(X, np.arange(4.0 if as_list else 12.0))
    before = model.predict(X)
    reordered = [f.iloc[:, [2, 0, 1]] for f in X] if as_list else X.iloc[:, [2, 0, 1]]
    first = re.escape(f"in another order: column 0 is {columns[2]}, where fit had {columns[0]}")
    with pytest.raises(ValueError, match=first):
        model.predict(reordered)
    # Arrays, and frames of the fitted order, are read as before; a failed
    # call changed nothing, and the record survives pickling.
    as_arrays = [f.to_numpy() for f in X] if as_list else X.to_numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # "X does not have channel names"
        assert_array_equal(model.predict(as_arrays), before)
    loaded = pickle.loads(pickle.dumps(model))
    assert_array_equal(loaded.predict(X), before)
    with pytest.raises(ValueError, match="in another order"):
        loaded.predict(reordered)


@pytest.mark.parametrize("as_list", [False, True], ids=["table", "list of frames"])
def test_a_label_of_fit_at_another_position_is_refused(as_list):
    # Column 1 dropped and another appended: labels 0, 2, 3 against fit's
    # 0, 1, 2. Only exact reorderings were refused; this read column 2 as 1.
    rng = np.random.RandomState(0)

    def frame(n_rows, labels):
        return pd.DataFrame(rng.normal(size=(n_rows, 3)), columns=labels)

    X = [frame(n, [0, 1, 2]) for n in (4, 5, 6, 7)] if as_list else frame(12, [0, 1, 2])
    model = LSTMRegressor(**FAST).fit(X, np.arange(4.0 if as_list else 12.0))
    before = model.predict(X)
    shifted = [frame(5, [0, 2, 3])] * 2 if as_list else frame(5, [0, 2, 3])
    with pytest.raises(ValueError, match=r"Column 1 of X is 2, which was column 2 in fit \(X: "
                                         r"0, 2, 3; fit: 0, 1, 2\)"):
        model.predict(shifted)
    # Swapped or reversed beside a new label: refused too.
    for labels in ([1, 0, 3], [2, 1, 3]):
        moved = [frame(5, labels)] * 2 if as_list else frame(5, labels)
        with pytest.raises(ValueError, match=r"Column 0 of X is \d, which was column \d in fit"):
            model.predict(moved)
    # Labels fit never had, or a table's steps all moved by one offset (the
    # next or the previous window of a wide frame's columns), are read by
    # position; a list's channels form no window.
    for labels in ([1, 2, 3], [9, 0, 1]) if as_list else ():
        with pytest.raises(ValueError, match=r"which was column \d in fit"):
            model.predict([frame(5, labels)] * 2)
    for labels in ([7, 8, 9],) if as_list else ([7, 8, 9], [1, 2, 3], [9, 0, 1]):
        fresh = [frame(5, labels)] * 2 if as_list else frame(5, labels)
        as_arrays = [f.to_numpy() for f in fresh] if as_list else fresh.to_numpy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # "X does not have channel names"
            assert_array_equal(model.predict(fresh), model.predict(as_arrays))
    assert_array_equal(model.predict(X), before)


@pytest.mark.parametrize(
    "fit_labels, predict_labels",
    [([0, 1, 2], [0.0, 1.0, 2.0]), ([0, 1, 2], ["0", "1", "2"]), (["0", "1", "2"], [0, 1, 2]),
     ([0.1, 1.5, 2.5], list(np.array([0.1, 1.5, 2.5], dtype=np.float32))),
     ([0, 1, 2], [np.float32(0), -0.0 + 1, np.int8(2)])],
    ids=["int-float", "int-text", "text-int", "float64-float32", "numpy-scalars"],
    # float32 labels come back from pandas as the float64 of their values
    # (0.1 as 0.10000000149011612)
)
@pytest.mark.parametrize("as_list", [False, True], ids=["table", "list of frames"])
def test_columns_reordered_are_refused_when_labels_are_written_differently(
        fit_labels, predict_labels, as_list):
    """0, 0.0 and a CSV's "0" are one column; written differently at predict
    and reordered, the columns were read by position, silently swapped."""
    rng = np.random.RandomState(0)

    def frame(n_rows, labels):
        return pd.DataFrame(rng.normal(size=(n_rows, 3)) * [1, 10, 100], columns=labels)

    X = [frame(n, fit_labels) for n in (4, 5, 6, 7)] if as_list else frame(12, fit_labels)
    model = LSTMRegressor(**FAST).fit(X, np.arange(4.0 if as_list else 12.0))
    before = model.predict(X)

    def relabelled(order):
        frames = X if as_list else [X]
        out = [pd.DataFrame(f.to_numpy()[:, order],
                            columns=[predict_labels[k] for k in order]) for f in frames]
        return out if as_list else out[0]

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # names on one side only
        assert_array_equal(model.predict(relabelled([0, 1, 2])), before)
        with pytest.raises(ValueError, match="in another order: column 0 is "):
            model.predict(relabelled([2, 0, 1]))
    assert_array_equal(model.predict(X), before)


@pytest.mark.parametrize("bad_key", ["bogus", "alpha__x"])
def test_set_params_with_a_bad_key_changes_nothing(bad_key):
    """scikit-learn's set_params set the keys before the bad one: a fitted
    model was left with hidden_layer_sizes=(7,) and refused to predict."""
    X = np.random.RandomState(0).normal(size=(12, 4, 2))
    model = LSTMRegressor(**FAST).fit(X, X[:, -1, 0])
    before, params = model.predict(X), model.get_params()
    match = "Invalid parameter 'bogus' for estimator LSTMRegressor" if bad_key == "bogus" else (
        "Invalid parameter 'alpha__x' for LSTMRegressor: its parameters hold no estimator")
    with pytest.raises(ValueError, match=re.escape(match)):
        model.set_params(alpha=5.0, hidden_layer_sizes=(7,), **{bad_key: 1})
    assert model.get_params() == params
    assert_array_equal(model.predict(X), before)
    model.set_params(alpha=5.0)  # good keys are set
    assert model.alpha == 5.0


def test_many_reordered_columns_are_listed_in_short():
    X = pd.DataFrame(np.random.RandomState(0).normal(size=(12, 40)))
    model = LSTMRegressor(**FAST).fit(X, np.arange(12.0))
    with pytest.raises(ValueError, match=r"column 0 is 39, where fit had 0 \(X: 39, 38, 37, "
                                         r"36, 35, \.\.\. \(40 in all\); fit: 0, 1, 2, 3, "
                                         r"4, \.\.\. \(40 in all\)\)"):
        model.predict(X.iloc[:, ::-1])


def test_a_tampered_column_label_record_is_refused_at_load():
    X = pd.DataFrame(np.random.RandomState(0).normal(size=(12, 3)))
    state = LSTMRegressor(**FAST).fit(X, np.arange(12.0)).__getstate__()
    for labels, error in [(("0", "1"), ValueError), ((0, 1, 2), TypeError)]:
        with pytest.raises(error, match="_column_labels"):
            LSTMRegressor().__setstate__({**state, "_column_labels": labels})


def test_estimator_reads_channels_first():
    X = np.random.RandomState(0).normal(size=(10, 30, 2))
    y = X[:, -1, 0]
    last = LSTMRegressor(**FAST).fit(X, y)
    first = LSTMRegressor(**FAST, data_format="channels_first").fit(X.transpose(0, 2, 1), y)
    assert_array_equal(first.out_coef_, last.out_coef_)
    assert_array_equal(first.predict(X.transpose(0, 2, 1)), last.predict(X))
    with pytest.warns(DataLayoutWarning, match="data_format"):
        LSTMRegressor(**FAST).fit(X.transpose(0, 2, 1), y)


@pytest.mark.filterwarnings("ignore::sklstm.exceptions.DataLayoutWarning")
def test_a_sequence_model_reads_rows_of_n_features_in_columns_as_one_step():
    """MAPIE probes fitted models with predict(np.zeros((1, n_features_in_)))."""
    X = np.random.RandomState(0).normal(size=(10, 6, 3))
    model = LSTMRegressor(**FAST).fit(X, X[:, -1, 0])
    rows = np.random.RandomState(1).normal(size=(4, model.n_features_in_))
    assert_array_equal(model.predict(rows), model.predict(rows[:, None, :]))
    assert_array_equal(model.predict(rows.tolist()), model.predict(rows))  # nested lists too
    # With n_exog, which declares a table's layout, the exogenous channels
    # are among those columns: they were counted twice and refused. (The
    # declaration is refused unless it gives the sequences' 3 channels.)
    model = LSTMRegressor(**FAST, n_channels=2, n_exog=1).fit(X, X[:, -1, 0])
    assert_array_equal(model.predict(rows), model.predict(rows[:, None, :]))


# -- the fitted model is the truth --------------------------------------------------


@pytest.mark.parametrize(
    "name, value",
    [("hidden_layer_sizes", (4,)), ("return_sequences", True), ("peephole", True),
     ("coupled_gates", True)],
)
def test_changed_architecture_is_named_at_predict_and_warm_start(name, value):
    X, y = _small_task()
    model = LSTMRegressor(**FAST).fit(X, y)
    before = model.predict(X)
    model.set_params(**{name: value})
    with pytest.raises(ValueError, match=f"fitted with {name}=.*but {name} is now"):
        model.predict(X)
    with pytest.raises(ValueError, match=f"fitted with {name}="):
        model.set_params(warm_start=True).fit(X, y)
    model.set_params(**{name: LSTMRegressor().get_params()[name]}, warm_start=False)
    if name == "hidden_layer_sizes":
        model.set_params(hidden_layer_sizes=FAST["hidden_layer_sizes"])
    assert_array_equal(model.predict(X), before)  # nothing was changed by the failures


def _table_task():
    X = np.random.RandomState(0).normal(size=(12, 12))
    return X, X[:, -1]


# name, fitted value, value set after fit; each read of X is a valid one, so
# only the fitted model's record can tell that it is not the fitted one.
LAYOUT_CHANGES = [
    ("n_channels", 2, 3),
    ("column_order", "time_major", "channel_major"),
    ("newest_first", False, True),
    ("n_exog", 1, 2),
    ("data_format", "channels_first", None),
]


@pytest.mark.parametrize("name, fitted, changed", LAYOUT_CHANGES)
def test_a_layout_changed_after_fit_is_named_not_read(name, fitted, changed):
    """How the model reads X is fitted state: set_params cannot change it silently."""
    import pickle

    X, y = _table_task()
    if name == "data_format":
        X = X.reshape(12, 2, 6)  # channels first: 2 channels of 6 steps
    params = {**FAST, name: fitted}
    if name == "column_order":
        params["n_channels"] = 2
    model = LSTMRegressor(**params).fit(X, y)
    before, saved = model.predict(X), pickle.dumps(model)
    model.set_params(**{name: changed})
    for call in (model.predict, lambda X: model.set_params(warm_start=True).fit(X, y)):
        with pytest.raises(
            ValueError,
            match=f"fitted with {name}={fitted!r}, but {name} is now {changed!r} "
                  "\\(changed by set_params after fit\\?\\)",
        ):
            call(X)
    model.set_params(**{name: fitted}, warm_start=False)
    assert pickle.dumps(model) == saved  # the failures changed nothing
    assert_array_equal(model.predict(X), before)


@pytest.mark.parametrize("moment", ["preparing", "training"])
@pytest.mark.parametrize("name, fitted, changed", [
    *LAYOUT_CHANGES, ("peephole", False, True), ("hidden_layer_sizes", (3,), (4,)),
])
def test_a_parameter_changed_during_fit_is_named_not_read(name, fitted, changed, moment):
    # set_params from another thread while fit runs. Changed while it
    # trained, the fit read X with the layout it started with, and recorded
    # the changed one; changed after X was read, it built the network from
    # the new value and recorded the old one (a model that predicted other
    # numbers, or refused every predict even once set back).
    from sklstm import _base

    X, y = _table_task()
    if name == "data_format":
        X = X.reshape(12, 2, 6)
    params = {**FAST, name: fitted, "solver": "adam"}
    if name == "column_order":
        params["n_channels"] = 2
    model = LSTMRegressor(**params)

    def changed_meanwhile(step):
        def run(*args, **kwargs):
            done = step(*args, **kwargs)
            model.set_params(**{name: changed})
            return done
        return run

    where = {"preparing": (LSTMRegressor, "_prepare"),
             "training": (_base, "fit_stochastic")}[moment]
    with mock.patch.object(*where, changed_meanwhile(getattr(*where))):
        model.fit(X, y)
    with pytest.raises(ValueError, match=re.escape(
            f"fitted with {name}={fitted!r}, but {name} is now {changed!r} (changed by "
            "set_params after fit")):
        model.predict(X)
    reference = LSTMRegressor(**params).fit(X, y)
    assert_array_equal(model.set_params(**{name: fitted}).predict(X), reference.predict(X))


def test_n_channels_changed_after_fit_is_named_not_counted():
    """Not "X has 2 channels, but fitted with 1": the parameter changed, not X."""
    X, y = _table_task()
    model = LSTMRegressor(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="fitted with n_channels=1, but n_channels is now 2"):
        model.set_params(n_channels=2).predict(X)
    with pytest.raises(ValueError, match="X has 2 channels, but LSTMRegressor was fitted with 1"):
        model.set_params(n_channels=1).predict(X.reshape(12, 6, 2))  # X itself differs


def test_data_format_none_and_channels_last_read_alike_after_fit():
    X, y = _small_task()
    model = LSTMRegressor(**FAST).fit(X, y)
    assert_array_equal(model.set_params(data_format="channels_last").predict(X),
                       model.set_params(data_format=None).predict(X))


def test_a_model_saved_before_its_layout_was_recorded_keeps_reading_as_saved():
    """A save whose record of the fitted architecture lacks the layout loads,
    predicts as it was saved (with the layout parameters it holds), and from
    then on refuses another layout."""
    import copy

    X, y = _table_task()
    model = LSTMRegressor(**FAST, n_channels=2, newest_first=True).fit(X, y)
    state = copy.deepcopy(model.__getstate__())
    for name in ("n_channels", "column_order", "newest_first", "n_exog", "data_format"):
        del state["_fitted_architecture"][name]
    loaded = LSTMRegressor.__new__(LSTMRegressor)
    loaded.__setstate__(state)
    assert_array_equal(loaded.predict(X), model.predict(X))
    with pytest.raises(ValueError, match="fitted with newest_first=True"):
        loaded.set_params(newest_first=False).predict(X)


@pytest.mark.parametrize("changed", [dict(hidden_layer_sizes=(7, 3)), dict(peephole=True)])
def test_a_save_without_an_architecture_record_is_read_from_its_weights(changed):
    """A model saved before sklstm recorded its fitted architecture, whose
    parameters set_params changed after fit, loads with the architecture of
    its weights; predict names the changed parameter until it is set back."""
    import copy

    X, y = _small_task()
    model = LSTMRegressor(**FAST).fit(X, y)
    state = copy.deepcopy(model.__getstate__())
    del state["_fitted_architecture"]
    state.update(changed)
    loaded = LSTMRegressor.__new__(LSTMRegressor)
    loaded.__setstate__(state)
    name = next(iter(changed))
    fitted_value = model.get_params()[name]
    assert loaded._fitted_architecture[name] == fitted_value
    with pytest.raises(ValueError, match=rf"fitted with {name}={re.escape(repr(fitted_value))}"):
        loaded.predict(X)
    loaded.set_params(**{name: fitted_value})
    assert_array_equal(loaded.predict(X), model.predict(X))


# -- weights: every form through one check --------------------------------------------


def _labelled():
    X = np.random.RandomState(0).normal(size=(12, 4, 1))
    return X, np.array(["a", "b", "c"] * 4)


@pytest.mark.parametrize(
    "class_weight, exc, match",
    [
        ({"a": -1.0, "b": 1.0}, ValueError, "class_weight\\['a'\\] is -1.0: negative"),
        ({"a": 1.0, "b": np.nan}, ValueError, "class_weight\\['b'\\] is nan"),
        ({"a": np.inf}, ValueError, "class_weight\\['a'\\] is inf"),
        # A missing weight is quoted as given, not as the NaN it is read as.
        ({"a": None}, ValueError, "class_weight\\['a'\\] is None: missing"),
        ({"a": 1.0, "b": pd.NA}, ValueError, "class_weight\\['b'\\] is <NA>: missing"),
        ({"a": 1.0, "b": "2"}, TypeError,
         "class_weight must hold numbers, not text: class_weight\\['b'\\] is '2'"),
        # np.array read them as rows of weights, which failed in scikit-learn.
        ({"a": [2.0]}, TypeError, "class_weight\\['a'\\] must be a number, got list \\[2.0\\]"),
        ({"a": np.ones(1)}, TypeError, "class_weight\\['a'\\] must be a number, got ndarray"),
        ({"a": 1.0, "b": (1, 2)}, TypeError, "class_weight\\['b'\\] must be a number, got tuple"),
        ({"a": [[1], [1, 2]]}, TypeError, "class_weight\\['a'\\] must be a number, got list"),
        ({"z": 1.0}, ValueError, "class_weight names \\['z'\\], which are not classes"),
        ({"a": 0, "b": 0, "c": 0}, ValueError, "class_weight must sum to a positive number"),
        # Text of the right type that is no option, and a flag for a weight.
        ("heavy", ValueError, "class_weight must be 'balanced' \\(its only text\\), a dict"),
        ({"a": True, "b": 1.0}, TypeError, "class_weight\\['a'\\] must be a number, got bool"),
        (3.0, TypeError, "class_weight must be a dict"),
    ],
)
def test_bad_class_weight_names_its_class(class_weight, exc, match):
    from sklstm import LSTMClassifier

    X, y = _labelled()
    with pytest.raises(exc, match=match):
        LSTMClassifier(**FAST, class_weight=class_weight).fit(X, y)


@pytest.mark.parametrize("dates", [True, False], ids=["dates", "durations"])
def test_class_weight_names_date_and_duration_classes_as_they_are_written(dates):
    # The classes were matched as nanoseconds: no key (a Timestamp, a
    # datetime64 of any unit) named a class, and messages showed integers.
    from sklstm import LSTMClassifier

    X, letters = _labelled()
    if dates:
        first, second = np.datetime64("2020-01-01", "ns"), np.datetime64("2020-01-02", "ns")
        keys = [pd.Timestamp("2020-01-01"), np.datetime64("2020-01-02", "D")]
        stranger, shown = pd.Timestamp("2021-01-01"), "'2020-01-01T00:00:00.000000000'"
    else:
        first, second = np.timedelta64(1, "s").astype("m8[ns]"), np.timedelta64(2, "s")
        keys = [pd.Timedelta(seconds=1), np.timedelta64(2000, "ms")]
        stranger, shown = pd.Timedelta(hours=1), "'1000000000 nanoseconds'"
    y = np.array([first, second])[(letters == "a").astype(int)]
    weighted = LSTMClassifier(**FAST, class_weight=dict(zip(keys, [3.0, 0.5]))).fit(X, y)
    by_sample = LSTMClassifier(**FAST).fit(X, y, sample_weight=np.where(y == first, 3.0, 0.5))
    assert_array_equal(weighted.predict_proba(X), by_sample.predict_proba(X))
    with pytest.raises(ValueError, match=r"class_weight names \[.*\], which are not classes "
                                         rf"of y; they are \[{shown}, "):
        LSTMClassifier(**FAST, class_weight={stranger: 2.0}).fit(X, y)
    # Keys of any date type, and dates apart by nanoseconds (whose datetime64
    # hashes apart from the equal Timestamp), name their classes as well.
    if dates:
        import datetime

        keyed = LSTMClassifier(**FAST, class_weight={
            datetime.datetime(2020, 1, 1): 3.0, datetime.date(2020, 1, 2): 0.5}).fit(X, y)
        assert_array_equal(keyed.predict_proba(X), by_sample.predict_proba(X))
        with pytest.raises(ValueError, match=r"class_weight names one class twice: "
                                             r"datetime\.date\(2020, 1, 2\) and "):
            LSTMClassifier(**FAST, class_weight={
                datetime.date(2020, 1, 2): 0.5, np.datetime64("2020-01-02"): 3.0}).fit(X, y)
        close = pd.to_datetime(["2020-01-01 00:00:00.000000001",
                                "2020-01-01 00:00:00.000000002"])
        near = close.values[(letters == "a").astype(int)]
        weighted = LSTMClassifier(**FAST, class_weight={close[0]: 0.5, close[1]: 3.0})
        assert_array_equal(
            weighted.fit(X, near).predict_proba(X),
            LSTMClassifier(**FAST).fit(X, near, sample_weight=np.where(
                near == close.values[0], 0.5, 3.0)).predict_proba(X))
    streaming = LSTMClassifier(**{**FAST, "solver": "adam"}).partial_fit(X, y, np.unique(y))
    with pytest.raises(ValueError, match=rf"y contains classes \[.*\] that were not declared.*"
                                         rf"known classes are \[{shown}, "):
        streaming.partial_fit(X, y + np.timedelta64(5, "D"))


def test_many_unseen_classes_are_listed_by_the_first_few_and_their_count():
    from sklstm import LSTMClassifier

    X, _ = _labelled()
    model = LSTMClassifier(**{**FAST, "solver": "adam"}).partial_fit(X, [0, 1] * 6, [0, 1])
    with pytest.raises(ValueError, match=r"y contains classes \[2, 3, 4, 5, 6, \.\.\. \(10 in "
                                         r"all\)\] that were not declared"):
        model.partial_fit(X, np.arange(12))


def test_weights_whose_product_overflows_are_named():
    from sklstm import LSTMClassifier

    X, y = _labelled()
    model = LSTMClassifier(**FAST, class_weight={"a": 1e300, "b": 1.0, "c": 1.0})
    # The place is a sample's: "class_weight[0]" read as class 0's weight.
    with pytest.raises(ValueError, match=r"^\(sample_weight \* class_weight\)\[0\] is inf"):
        model.fit(X, y, sample_weight=np.full(12, 1e10))


# -- early-stopping splits in the user's terms ------------------------------------------


def test_stratified_split_names_the_rare_class_label():
    from sklstm import LSTMClassifier

    X = np.random.RandomState(0).normal(size=(12, 4, 1))
    y = np.array(["common"] * 11 + ["rare"])
    model = LSTMClassifier((2,), early_stopping=True, validation_split="stratified", max_iter=2)
    with pytest.raises(ValueError, match="class 'rare' has 1"):
        model.fit(X, y)


def test_stratified_split_too_small_for_the_classes_names_validation_fraction():
    from sklstm import LSTMClassifier

    X, y = _labelled()  # 3 classes; 10% of 12 samples is 2 validation samples
    model = LSTMClassifier((2,), early_stopping=True, validation_split="stratified", max_iter=2)
    with pytest.raises(ValueError, match="validation_fraction=0.1 splits the 12 samples"):
        model.fit(X, y)


def test_a_stratified_part_too_small_for_a_rare_class_is_not_told_to_stratify():
    # Its advice was "use validation_split='stratified'", the split it used.
    from sklstm import LSTMClassifier

    X = np.random.RandomState(0).normal(size=(40, 4, 1))
    y = np.array([0] * 18 + [1] * 18 + [2] * 4)
    model = LSTMClassifier((2,), early_stopping=True, validation_split="stratified",
                           validation_fraction=0.9, max_iter=2, random_state=0)
    with pytest.raises(ValueError, match=r"training part .* has no sample of the class 2.*even "
                                         r"stratified, .*validation_fraction towards 0\.5") as e:
        model.fit(X, y)
    assert "use validation_split='stratified'" not in str(e.value)


def test_a_class_at_zero_weight_in_the_training_part_is_told_so():
    # Its advice was to move validation_fraction, where the training part
    # held 16 samples of the class, all weighted zero.
    from sklstm import LSTMClassifier

    X = np.random.RandomState(0).normal(size=(60, 4, 1))
    y = np.array([0, 1, 2] * 20)
    weights = np.ones(60)
    weights[np.flatnonzero(y == 2)[1:]] = 0.0
    model = LSTMClassifier((2,), early_stopping=True, validation_split="stratified",
                           validation_fraction=0.2, max_iter=1, random_state=0)
    with pytest.raises(ValueError, match=r"no sample of the class 2.*holds them at zero weight "
                                         r"only: give them positive sample_weight"):
        model.fit(X, y, sample_weight=weights)


def test_a_held_out_part_that_class_weight_zeroes_names_class_weight():
    from sklstm import LSTMClassifier

    X = np.random.RandomState(0).normal(size=(40, 4, 1))
    y = np.array([0, 1] * 18 + [2] * 4)  # the tail held out is class 2
    model = LSTMClassifier((2,), early_stopping=True, class_weight={2: 0.0}, max_iter=2)
    with pytest.raises(ValueError, match=r"validation part all have zero weight .* give them "
                                         r"positive sample_weight or class_weight"):
        model.fit(X, y)


# -- dtypes stay the model's ----------------------------------------------------------


def test_padded_per_step_predictions_keep_float32():
    X = np.random.RandomState(0).normal(size=(6, 5, 1)).astype(np.float32)
    model = LSTMRegressor(**FAST, return_sequences=True).fit(X, X[:, :, 0])
    X[0, 3:] = np.nan  # padding
    pred = model.predict(X)
    assert pred.dtype == np.float32 and np.isnan(pred[0, 3:]).all()


def test_continuing_a_float64_model_on_float32_X_keeps_float64_targets():
    X, _ = _small_task()
    y = np.pi * 1e4 + np.arange(len(X)) / 3.0  # digits float32 would round away
    base = LSTMRegressor((3,), solver="adam", max_iter=2, random_state=0).fit(X, y)
    a = clone_fitted(base).partial_fit(X.astype(np.float32), y)
    b = clone_fitted(base).partial_fit(X.astype(np.float32).astype(np.float64), y)
    assert a.out_coef_.dtype == np.float64
    assert_array_equal(a.out_coef_, b.out_coef_)


@pytest.mark.parametrize("continue_by", ["partial_fit", "warm start"])
def test_continuing_a_float32_model_on_float64_X_standardises_as_predict_does(continue_by):
    """Fixed bug: a continued float32 model rounded float64 X to float32
    before standardising it, where predict standardises in float64 first:
    inputs of 1e5 ± 0.01 trained as 8 distinct values, and predict read 160."""
    rng = np.random.RandomState(0)
    X32 = (1e5 + 100 * rng.normal(size=(40, 4, 1))).astype(np.float32)
    base = LSTMRegressor((3,), solver="adam", max_iter=5, random_state=0,
                         warm_start=continue_by == "warm start")
    base.fit(X32, X32[:, -1, 0] - 1e5)
    Z, yz = 1e5 + 0.01 * rng.normal(size=(40, 4, 1)), rng.normal(size=40)
    # The same training on Z standardised as predict reads it, by a model
    # whose statistics are the identity.
    read = ((Z - base.input_mean_) / base.input_scale_).astype(np.float32)
    a, b = clone_fitted(base), clone_fitted(base)
    b.input_mean_, b.input_scale_ = np.zeros_like(a.input_mean_), np.ones_like(a.input_scale_)
    go_on = (lambda m, X: m.partial_fit(X, yz)) if continue_by == "partial_fit" else (
        lambda m, X: m.set_params(max_iter=1).fit(X, yz))
    go_on(a, Z)
    go_on(b, read)
    for layer_a, layer_b in zip(a.coefs_, b.coefs_):
        for key in layer_a:
            assert_array_equal(layer_a[key], layer_b[key])
    assert a.coefs_[0]["W"].dtype == np.float32


def clone_fitted(model):
    import copy

    return copy.deepcopy(model)


# -- loading checks what it loads -------------------------------------------------------


def test_a_state_loaded_as_another_class_is_refused():
    from sklstm import LSTMClassifier

    X, y = _small_task()
    state = LSTMRegressor(**FAST).fit(X, y).__getstate__()
    impostor = LSTMClassifier.__new__(LSTMClassifier)
    with pytest.raises(ValueError, match=r"not that of a fitted LSTMClassifier: it was saved "
                       r"from a LSTMRegressor\. Load it as that class\."):
        impostor.__setstate__(state)
    del state["_sklstm_class"]  # as saved before the class was recorded
    with pytest.raises(ValueError, match="not that of a fitted LSTMClassifier.*classes_"):
        impostor.__setstate__(state)
    clf_state = LSTMClassifier(**FAST).fit(X, y > np.median(y)).__getstate__()
    impostor = LSTMRegressor.__new__(LSTMRegressor)
    with pytest.raises(ValueError, match="not that of a fitted LSTMRegressor"):
        impostor.__setstate__(clf_state)


def test_a_skops_file_whose_type_was_swapped_is_refused(tmp_path):
    import json
    import zipfile

    sio = pytest.importorskip("skops.io")
    from sklstm.persistence import trusted_types

    X, y = _small_task()
    path = tmp_path / "model.skops"
    sio.dump(LSTMRegressor(**FAST).fit(X, y), path)
    with zipfile.ZipFile(path) as archive:
        files = {name: archive.read(name) for name in archive.namelist()}
    schema = json.loads(files["schema.json"])
    assert schema["__class__"] == "LSTMRegressor"
    schema["__class__"], schema["__module__"] = "LSTMClassifier", "sklstm._classifier"
    files["schema.json"] = json.dumps(schema).encode()
    swapped = tmp_path / "swapped.skops"
    with zipfile.ZipFile(swapped, "w") as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    with pytest.raises(ValueError, match="not that of a fitted LSTMClassifier"):
        sio.load(swapped, trusted=trusted_types())


def test_a_model_saved_before_a_parameter_existed_gets_its_default():
    X, y = _small_task()
    model = LSTMRegressor(**FAST).fit(X, y)
    state = dict(model.__getstate__())
    del state["data_format"]  # as saved by a version without the parameter
    loaded = LSTMRegressor.__new__(LSTMRegressor)
    loaded.__setstate__(state)
    assert loaded.data_format is None
    assert_array_equal(loaded.predict(X), model.predict(X))


# -- weights set by hand (PyTorch's layout) are checked at predict ----------------------


def _torch_shell(n_outputs=1, H=4, seed=1):
    """A fitted shell, as the README's PyTorch route makes it, and weights for it."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(6, 5, 1))
    y = X[:, -1, 0] if n_outputs == 1 else np.c_[X[:, -1, 0], -X[:, -1, 0]]
    shell = LSTMRegressor((H,), patch_length=1, standardize=False, scale_targets=False,
                          max_iter=1).fit(X, y)
    layer = {"W": rng.normal(size=(1, 4 * H)), "R": rng.normal(size=(H, 4 * H)),
             "b": rng.normal(size=4 * H)}
    return shell, layer, X


def _set(shell, **attributes):
    for name, value in attributes.items():
        setattr(shell, name, value)
    return shell


@pytest.mark.parametrize("case, exc, match", [
    ("head of 2 outputs in a 1-output shell", ValueError,
     r"out_coef_ has 2 output column\(s\), but the fitted model has 1 \(n_outputs_=1\)"),
    ("head of 1 output in a 2-output shell", ValueError,
     r"out_coef_ has 1 output column\(s\), but the fitted model has 2 \(n_outputs_=2\)"),
    ("R untransposed", ValueError,
     r"coefs_\[0\]\['R'\] must have shape \(4, 16\), got \(16, 4\).*weight_hh_l0"),
    ("W untransposed", ValueError,
     r"coefs_\[0\]\['W'\] must have shape \(1, 16\).*got \(16, 1\).*weight_ih_l0"),
    ("head float16", TypeError, r"out_coef_ must be a float32 or float64 NumPy array, got an "
                                r"array of dtype float16"),
    ("head complex", TypeError, r"out_coef_ must be a float32 or float64 .* dtype complex128"),
    ("head int", TypeError, r"out_coef_ must be a float32 or float64 .* dtype int64"),
    ("head list", TypeError, r"out_coef_ must be a float32 or float64 NumPy array, got list"),
    ("head 1-D", ValueError, r"out_coef_ must be 2-D.*\(4, 1\), got shape \(4,\)"),
    ("head untransposed", ValueError, r"out_coef_ must have shape \(4, 1\).*got \(1, 4\).*"
                                      r"Linear.weight"),
    ("intercept of 2", ValueError, r"out_intercept_ must have shape \(1,\)"),
    ("coefs_ empty", ValueError, r"coefs_ must hold one dict of weights per LSTM layer, got \[\]"),
    ("coefs_ of 2 layers", ValueError, r"coefs_ must hold 1 dict\(s\) of weights for "
                                       r"hidden_layer_sizes=\(4,\), got 2"),
    ("W a list", TypeError, r"coefs_\[0\]\['W'\] must be a float32 or float64 NumPy array, "
                            r"got list"),
    ("W complex", TypeError, r"coefs_\[0\]\['W'\] must be a float32 or float64"),
    ("b NaN", ValueError, r"coefs_\[0\]\['b'\] holds NaN or infinity"),
    ("H=8 weights in an H=4 shell", ValueError,
     r"coefs_\[0\]\['R'\] has shape \(8, 32\), the weights of a layer of 8 units, but the "
     r"model was fitted with hidden_layer_sizes=\(4,\)"),
    ("input_scale_ zero", ValueError, r"input_scale_ must be > 0"),
    ("target_mean_ of 2 outputs", ValueError, r"target_mean_ must have shape \(1,\)"),
    # Compared with the quantile levels asked for before the rest was
    # checked: an AttributeError ('list' object has no attribute 'shape').
    ("quantiles_ a list", TypeError, r"quantiles_ must be a float32 or float64 NumPy array, "
                                     r"got list"),
])
def test_weights_set_by_hand_are_checked_at_predict_naming_the_attribute(case, exc, match):
    """Each once predicted silently wrong (an output dropped or duplicated) or
    failed inside NumPy with a message that named X or another array."""
    shell, layer, X = _torch_shell(n_outputs=2 if "2-output shell" in case else 1)
    H = 4
    good = dict(coefs_=[layer], out_coef_=np.ones((H, 1)), out_intercept_=np.zeros(1))
    bad = {
        "head of 2 outputs in a 1-output shell": dict(out_coef_=np.ones((H, 2)),
                                                      out_intercept_=np.zeros(2)),
        "head of 1 output in a 2-output shell": {},
        "R untransposed": dict(coefs_=[{**layer, "R": layer["R"].T}]),
        "W untransposed": dict(coefs_=[{**layer, "W": layer["W"].T}]),
        "head float16": dict(out_coef_=np.ones((H, 1), np.float16)),
        "head complex": dict(out_coef_=np.ones((H, 1), complex)),
        "head int": dict(out_coef_=np.ones((H, 1), np.int64)),
        "head list": dict(out_coef_=[[1.0]] * H),
        "head 1-D": dict(out_coef_=np.ones(H)),
        "head untransposed": dict(out_coef_=np.ones((1, H))),
        "intercept of 2": dict(out_intercept_=np.zeros(2)),
        "coefs_ empty": dict(coefs_=[]),
        "coefs_ of 2 layers": dict(coefs_=[layer, layer]),
        "W a list": dict(coefs_=[{**layer, "W": layer["W"].tolist()}]),
        "W complex": dict(coefs_=[{**layer, "W": layer["W"] + 1j}]),
        "b NaN": dict(coefs_=[{**layer, "b": np.full(4 * H, np.nan)}]),
        "H=8 weights in an H=4 shell": dict(
            coefs_=[{"W": np.ones((1, 32)), "R": np.ones((8, 32)), "b": np.ones(32)}],
            out_coef_=np.ones((8, 1))),
        "input_scale_ zero": dict(input_scale_=np.zeros(1)),
        "target_mean_ of 2 outputs": dict(target_mean_=np.zeros(2)),
        "quantiles_ a list": dict(quantiles_=[0.1, 0.5, 0.9]),
    }[case]
    _set(shell, **{**good, **bad})
    with pytest.raises(exc, match=match):
        shell.predict(X)


def test_weights_set_by_hand_of_another_size_refuse_a_warm_start_and_keep_the_model():
    shell, _, X = _torch_shell()
    eight = [{"W": np.ones((1, 32)), "R": np.ones((8, 32)), "b": np.ones(32)}]
    _set(shell, coefs_=eight, out_coef_=np.ones((8, 1)), out_intercept_=np.zeros(1))
    shell.set_params(warm_start=True)
    with pytest.raises(ValueError, match=r"hidden_layer_sizes=\(4,\)"):
        shell.fit(X, X[:, -1, 0])
    assert shell.coefs_ is eight  # a failed call changes nothing


def test_valid_weights_set_by_hand_predict_in_their_dtype():
    shell, layer, X = _torch_shell()
    _set(shell, coefs_=[layer], out_coef_=np.ones((4, 1)), out_intercept_=np.zeros(1))
    assert shell.predict(X).shape == (6,)
    as32 = {k: v.astype(np.float32) for k, v in layer.items()}
    _set(shell, coefs_=[as32], out_coef_=np.ones((4, 1), np.float32),
         out_intercept_=np.zeros(1, np.float32))
    assert shell.predict(X.astype(np.float32)).dtype == np.float32


# -- classifier targets: one set of rules for fit, partial_fit and score -----------------

_Y_ML = np.array([[0, 1], [1, 0]] * 3)


@pytest.mark.parametrize("y, match", [
    # Each of these failed inside scikit-learn's label binarisation or checks.
    (np.array([[0, 2], [1, 3]] * 3), r"A 2-D y is read as multilabel indicators.*y holds "
                                     r"\[0, 1, 2, 3\]\. Several outputs of other classes"),
    (np.array([["a", "b"], ["b", "a"]] * 3), r"A 2-D y is read .*y holds \['a', 'b'\]"),
    (np.array([1j, 2j] * 3), r"y holds complex numbers, which are not class labels"),
    (np.zeros((6, 2, 2)), r"y must hold one label per sample, shape \(n_samples,\), or a "
                          r"multilabel indicator, shape \(n_samples, n_labels\); got shape "
                          r"\(6, 2, 2\)"),
])
def test_classifier_targets_of_no_supported_form_are_named(y, match):
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    with pytest.raises(ValueError, match=match):
        LSTMClassifier(**FAST).fit(X, y)


@pytest.mark.parametrize("dtype", ["Int64", "boolean"])
def test_nullable_indicator_frames_are_multilabel_targets(dtype):
    # DataFrame.to_numpy() of nullable columns is objects, which scikit-learn
    # calls an "unknown" label type.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    frame = pd.DataFrame(_Y_ML).astype(dtype)
    reference = LSTMClassifier(**FAST).fit(X, _Y_ML)
    model = LSTMClassifier(**FAST).fit(X, frame)
    assert model.classes_.tolist() == [0, 1]
    assert_array_equal(model.predict_proba(X), reference.predict_proba(X))
    one_column = pd.DataFrame({"label": pd.array([0, 1] * 3, dtype="Int64")})
    with pytest.warns(Warning, match="column-vector y"):
        assert LSTMClassifier(**FAST).fit(X, one_column).classes_.tolist() == [0, 1]


@pytest.mark.parametrize("fitted_y, y, match", [
    ([0, 1] * 3, ["a"] * 6, r"y holds text as labels, but the model's classes are numbers: "
                            r"\[0, 1\]"),
    (["a", "b"] * 3, [0] * 6, r"y holds numbers as labels, but the model's classes are text"),
    ([[0, 1, 1], [1, 0, 0]] * 3, _Y_ML, r"y has 2 labels, but the model was fitted with 3"),
    ([[0, 1, 1], [1, 0, 0]] * 3, [0, 1] * 3, r"y switches between multilabel and single-label "
                                             r"targets: the model was fitted on multilabel"),
    ([0, 1] * 3, _Y_ML, r"fitted on one label per sample"),
    # Dates against numbers failed inside NumPy's comparison; numbers against
    # durations were read as counts of their unit.
    (np.array(["2020-01-01", "2021-01-01"] * 3, dtype="datetime64[D]"), [0, 1] * 3,
     r"y holds numbers as labels, but the model's classes are dates: \['2020-01-01', "),
    ([0, 1] * 3, np.array(["2020-01-01", "2021-01-01"] * 3, dtype="datetime64[D]"),
     r"y holds dates as labels, but the model's classes are numbers: \[0, 1\]"),
    (np.array([1, 2] * 3, dtype="timedelta64[s]"), [1, 2] * 3,
     r"y holds numbers as labels, but the model's classes are durations"),
])
def test_classifier_score_checks_y_against_the_fitted_classes(fitted_y, y, match):
    # scikit-learn's metrics raised "Mix of label input types" and the like.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    model = LSTMClassifier(**FAST).fit(X, np.asarray(fitted_y))
    with pytest.raises(ValueError, match=match):
        model.score(X, np.asarray(y))
    # Labels never seen in fit are simply wrong predictions.
    if not model._multilabel and np.asarray(fitted_y).dtype.kind in "iu":
        assert model.score(X, np.full(6, 7)) == 0.0


@pytest.mark.parametrize("y, classes, match", [
    (np.array([1, 2] * 3, dtype="timedelta64[s]"), [1, 2],
     r"y holds durations as labels, but classes holds numbers: \[1, 2\]"),
    (np.array(["2020-01-01", "2021-01-01"] * 3, dtype="datetime64[D]"),
     ["2020-01-01", "2021-01-01"], r"y holds dates as labels, but classes holds text"),
])
def test_partial_fit_checks_y_against_the_declared_classes_kind(y, classes, match):
    """Fixed bug: durations against int classes fitted, and predict returned
    ints; dates against text classes were told they were not declared,
    listing the same values on both sides."""
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    model = LSTMClassifier(**{**FAST, "solver": "adam"})
    with pytest.raises(ValueError, match=match):
        model.partial_fit(X, y, classes=classes)
    assert not hasattr(model, "classes_")


def test_int_labels_beyond_int64_are_advised_text():
    # The advice was y.astype(int), which overflows.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    with pytest.raises(ValueError, match=r"y holds 1180591620717411303424, an int label beyond "
                                         r"the range of int64.*y\.astype\(str\), or renumber "
                                         r"them with LabelEncoder"):
        LSTMClassifier(**FAST).fit(X, [2**70, 2**70 + 1] * 3)


@pytest.mark.parametrize("class_weight, y, match", [
    ([{0: 1, 1: 2}], [0, 1] * 3, r"class_weight is a list of dicts, which is for multilabel "
                                 r"indicators.*pass one dict"),
    ({0: 1, 1: 2}, _Y_ML, r"y is a multilabel indicator of 2 labels: class_weight must be a list "
                          r"of as many dicts"),
    ([{0: 1, 1: 2}], _Y_ML, r"class_weight holds 1 dict\(s\); y is a multilabel indicator of 2 "
                            r"labels"),
    ([{0: 1, 1: 2}, {0: 1, 2: 3}], _Y_ML, r"class_weight\[1\] names \[2\], which are not "
                                          r"values of a label's column; they are \[0, 1\]"),
    ({0: 1, 5: 2}, [0, 1] * 3, r"class_weight names \[5\], which are not classes of y; they "
                               r"are \[0, 1\]"),
])
def test_class_weight_of_the_wrong_form_for_the_targets_is_named(class_weight, y, match):
    # A list for single labels got scikit-learn's "The classes, [0, 1], are not
    # in class_weight"; a dict for multilabel targets, its multi-output message.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    with pytest.raises(ValueError, match=match):
        LSTMClassifier(**FAST, class_weight=class_weight).fit(X, np.asarray(y))


def test_multilabel_class_weight_weighs_each_label_column():
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    weights = [{0: 1.0, 1: 2.0}, {0: 1.0, 1: 3.0}]
    model = LSTMClassifier(**FAST, class_weight=weights).fit(X, _Y_ML)
    # compute_sample_weight multiplies the weights of every label's value.
    expected = np.array([1.0 * 3.0, 2.0 * 1.0] * 3)
    reference = LSTMClassifier(**FAST).fit(X, _Y_ML, sample_weight=expected)
    assert_array_equal(model.predict_proba(X), reference.predict_proba(X))


def test_an_object_array_entry_that_is_no_number_is_named_by_index():
    X = np.random.RandomState(0).normal(size=(6, 3, 1)).astype(object)
    X[2, 1, 0] = np.array([1.0, 2.0])  # scikit-learn: "setting an array element with a sequence"
    with pytest.raises(TypeError, match=r"X must contain only numbers, one per entry .*, but "
                                        r"holds a ndarray at index \(2, 1, 0\)"):
        LSTMRegressor(**FAST).fit(X, np.arange(6.0))


@pytest.mark.parametrize("entry, kind", [({"a": 1.0}, "a dict"), ({1.0}, "a set"),
                                         (object(), "an object")])
def test_a_list_of_entries_that_are_no_numbers_names_them_before_its_shape(entry, kind):
    # A list of records read as a 1-D X was told to reshape, which cannot help.
    X = [1.0] * 5 + [entry] * 5
    with pytest.raises(TypeError, match=rf"X must contain only numbers.* holds {kind} at "
                                        r"index \(5,\)"):
        LSTMRegressor(**FAST).fit(X, np.arange(10.0))
    with pytest.raises(ValueError, match=r"Expected a 2-D or 3-D X, got a 1-D array"):
        LSTMRegressor(**FAST).fit([1.0, None] * 5, np.arange(10.0))  # numbers: the shape


@pytest.mark.parametrize("missing", [pd.NA, pd.NaT])
def test_pandas_missing_values_in_object_arrays_are_missing_like_none(missing):
    # pd.NA raised "float() argument must be ... not 'NAType'" where None is NaN.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    with_none, with_missing = X.astype(object), X.astype(object)
    with_none[0, 2], with_missing[0, 2] = None, missing  # a padded last step
    reference = LSTMRegressor(**FAST).fit(with_none, np.arange(6.0))
    model = LSTMRegressor(**FAST).fit(with_missing, np.arange(6.0))
    assert_array_equal(model.predict(with_missing), reference.predict(with_none))
    with_missing[1, 0] = missing  # not trailing: not padding
    with pytest.raises(ValueError, match=r"NaN inside sequence 1 \(step 0, channel 0\)"):
        LSTMRegressor(**FAST).fit(with_missing, np.arange(6.0))


def _frame_with(column_values):
    frame = pd.DataFrame(np.random.RandomState(0).normal(size=(8, 3)), columns=["a", "b", "c"])
    return frame.assign(b=column_values(frame["b"]))


@pytest.mark.parametrize("missing", [None, pd.NA, pd.NaT, np.nan])
@pytest.mark.parametrize("dtype", [object, "Float64"])
def test_a_missing_value_in_a_frame_column_is_named_by_sample_and_column(missing, dtype):
    # An object column's pd.NA was refused as "X must contain only numbers:
    # float() argument must be ... not 'NAType'", naming nothing.
    if dtype == "Float64" and missing is pd.NaT:
        pytest.skip("a Float64 column does not hold NaT")
    X = _frame_with(lambda b: pd.array([missing if i == 4 else v for i, v in enumerate(b)],
                                       dtype=dtype))
    with pytest.raises(ValueError, match=r"contains NaN in sample 4, column 'b'"):
        LSTMRegressor(**FAST).fit(X, np.arange(8.0))


def test_numbers_in_an_object_frame_column_are_read_as_floats():
    X = _frame_with(lambda b: pd.Series(list(b), dtype=object))
    reference = LSTMRegressor(**FAST).fit(X.astype(float), np.arange(8.0))
    model = LSTMRegressor(**FAST).fit(X, np.arange(8.0))
    assert_array_equal(model.predict(X), reference.predict(X.astype(float)))


@pytest.mark.parametrize("cell", [[1.0], np.array([1.0, 2.0]), {"a": 1.0}])
def test_a_frame_cell_that_is_no_number_is_named_by_column(cell):
    # A list in an object column failed inside NumPy ("setting an array
    # element with a sequence").
    X = _frame_with(lambda b: pd.Series([cell] + list(b[1:]), dtype=object))
    with pytest.raises(TypeError, match=r"Column 'b' of X must contain only numbers, one per "
                                        rf"entry .* but holds a {type(cell).__name__}"):
        LSTMRegressor(**FAST).fit(X, np.arange(8.0))


@pytest.mark.parametrize("cell, error, match", [
    (10**400, ValueError, r"X holds a number too large for float64"),  # OverflowError in pandas
    (np.timedelta64(1, "s"), TypeError, r"Column 'b' of X must contain only numbers.* "
                                        r"timedelta64"),  # was read as a count of seconds
])
def test_an_object_frame_cell_beyond_numbers_is_refused(cell, error, match):
    X = _frame_with(lambda b: pd.Series([cell] + list(b[1:]), dtype=object))
    with pytest.raises(error, match=match):
        LSTMRegressor(**FAST).fit(X, np.arange(8.0))


def test_a_pyarrow_column_pandas_cannot_classify_is_named():
    pa = pytest.importorskip("pyarrow")
    intervals = pd.arrays.ArrowExtensionArray(
        pa.array([(0, day, 0) for day in range(8)], pa.month_day_nano_interval())
    )
    X = _frame_with(lambda b: intervals)  # NotImplementedError inside pandas before
    with pytest.raises(TypeError, match=r"Column 'b' of X has dtype month_day_nano_interval"):
        LSTMRegressor(**FAST).fit(X, np.arange(8.0))


@pytest.mark.parametrize("estimator", [LSTMRegressor, LSTMClassifier])
@pytest.mark.parametrize("shape", [(6, 0), (6, 3, 0)])
def test_targets_without_outputs_are_named(estimator, shape):
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    params = {**FAST, "return_sequences": len(shape) == 3}
    with pytest.raises(ValueError, match=rf"y has shape {re.escape(str(shape))}: no target"):
        estimator(**params).fit(X, np.zeros(shape))


@pytest.mark.parametrize("sizes", [lambda: (n for n in [4, 3]), lambda: iter([4]),
                                   lambda: map(int, [4])])
def test_an_iterator_of_layer_sizes_is_refused(sizes):
    # Read once, it was empty the next time: "must hold at least one layer",
    # after the model had trained.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    with pytest.raises(TypeError, match=r"hidden_layer_sizes must be an int or a list or tuple "
                                        r"of ints.*got a (generator|list_iterator|map)"):
        LSTMRegressor(**{**FAST, "hidden_layer_sizes": sizes()}).fit(X, np.arange(6.0))
    assert LSTMRegressor(**{**FAST, "hidden_layer_sizes": range(2, 4)}).fit(
        X, np.arange(6.0)).coefs_[1]["R"].shape == (3, 12)


def test_targets_beyond_the_dtype_taken_from_x_are_named():
    # Cast to X's float32 they overflowed, and were called "not finite".
    X = np.random.RandomState(0).normal(size=(6, 3, 1)).astype(np.float32)
    y = np.array([1.0, 2.0, 1e300, 3.0, 4.0, 5.0])
    with pytest.raises(ValueError, match=r"y holds 1e\+300 \(sample 2\), beyond float32, the "
                                         r"dtype the model takes from X.*pass X as float64"):
        LSTMRegressor(**FAST).fit(X, y)
    assert LSTMRegressor(**FAST).fit(X.astype(np.float64), y).predict(X).dtype == np.float64


def test_input_statistics_of_different_shapes_name_both():
    X = np.random.RandomState(0).normal(size=(6, 3, 2))
    model = LSTMRegressor(**FAST).fit(X, np.arange(6.0))
    model.input_mean_ = np.zeros(3)  # the one set by hand
    with pytest.raises(ValueError, match=r"input_mean_ and input_scale_ must hold one value per "
                                         r"channel each, of the same shape; got \(3,\) and \(2,\)"):
        model.predict(X)


def test_object_arrays_of_numpy_scalars_are_numbers():
    # np.bool_ is no numbers.Number, and a 0-d array no scalar: both are
    # one number each, as float() reads them.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    objects = X.astype(object)
    objects[0, 0, 0], objects[1, 0, 0] = np.bool_(True), np.array(2.5)
    X[0, 0, 0], X[1, 0, 0] = 1.0, 2.5
    assert_array_equal(check_sequences(objects).values, check_sequences(X).values)


def test_class_weight_covers_every_known_class_in_any_batch():
    # scikit-learn refused a dict naming a class the batch lacked ("The
    # classes, ['a', 'b'], are not in class_weight"); unnamed classes weigh 1.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    labels = np.array(["a", "b"] * 3)
    params = {**FAST, "solver": "adam", "max_iter": 1}
    weighted = LSTMClassifier(**params, class_weight={"c": 2.0})
    weighted.partial_fit(X, labels, classes=["a", "b", "c"])
    plain = LSTMClassifier(**params).partial_fit(X, labels, classes=["a", "b", "c"])
    assert_array_equal(weighted.predict_proba(X), plain.predict_proba(X))
    # Multilabel: a label column without positives, weights named for 1 only.
    Y = np.array([[0, 1, 0], [1, 1, 0]] * 3)
    model = LSTMClassifier(**FAST, class_weight=[{1: 5.0}] * 3).fit(X, Y)
    expected = np.prod(np.where(Y == 1, 5.0, 1.0), axis=1)
    reference = LSTMClassifier(**FAST).fit(X, Y, sample_weight=expected)
    assert_array_equal(model.predict_proba(X), reference.predict_proba(X))


def test_indicators_held_as_objects_are_multilabel_targets():
    # "which must be 0 or 1; y holds [0, 1]": objects were not read as numbers.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    reference = LSTMClassifier(**FAST).fit(X, _Y_ML)
    for y in (_Y_ML.astype(object), pd.DataFrame(_Y_ML).astype(object)):
        model = LSTMClassifier(**FAST).fit(X, y)
        assert_array_equal(model.predict_proba(X), reference.predict_proba(X))


def test_targets_beyond_a_float32_model_continued_with_partial_fit_name_the_model():
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    model = LSTMRegressor(**{**FAST, "solver": "adam"}).fit(X.astype(np.float32), np.arange(6.0))
    with pytest.raises(ValueError, match=r"beyond float32, the dtype of the fitted model .*; "
                                         r"refit on float64 X"):
        model.partial_fit(X, np.full(6, 1e39))


# -- per-step targets ----------------------------------------------------------------

SEQ = {**FAST, "return_sequences": True}


@pytest.mark.parametrize("y", [
    [np.array([0, 1, 0]), np.array(["a", "b", "a", "b", "a"])],
    [[0, 1, 0], [1, "b", 1, 1, 0]],
])
def test_ragged_per_step_labels_mixing_text_and_numbers_are_refused(y):
    # A common dtype turned 0 into the class "0".
    seqs = [np.random.RandomState(0).normal(size=(n, 1)) for n in (3, 5)]
    with pytest.raises(ValueError, match=r"y mixes text and other labels"):
        LSTMClassifier(**SEQ).fit(seqs, y)


def test_per_sequence_targets_of_one_length_under_padded_x_are_read_per_sequence():
    # Refused ("y has 3 steps but the sequences in X have 5") when every
    # padded sequence had the same real length, as a CV fold may.
    rng = np.random.RandomState(0)
    X = np.full((4, 5, 1), np.nan)
    X[:, :3, 0] = rng.normal(size=(4, 3))
    per_sequence = [rng.normal(size=3) for _ in range(4)]
    padded = np.full((4, 5), np.nan)
    padded[:, :3] = per_sequence
    reference = LSTMRegressor(**SEQ).fit(X, padded)
    model = LSTMRegressor(**SEQ).fit(X, per_sequence)
    assert_array_equal(model.predict(X), reference.predict(X))
    assert model.score(X, per_sequence) == reference.score(X, padded)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_r2_of_constant_targets_is_scikit_learns(return_sequences):
    # Per-step weights of 1/3 left a total sum of squares of 1e-31 where it
    # is 0: R² was -6e31 where scikit-learn gives 0.
    from sklearn.metrics import r2_score

    rng = np.random.RandomState(0)
    X = rng.normal(size=(4, 3, 1))
    y = rng.normal(size=(4, 3)) if return_sequences else rng.normal(size=4)
    model = LSTMRegressor(**{**FAST, "return_sequences": return_sequences}).fit(X, y)
    constant = np.full_like(y, 7.0)
    weights = np.full(4, 1 / 3)  # their weighted mean of 7.0 is not 7.0
    predicted = model.predict(X)
    expected = r2_score(np.ravel(constant), np.ravel(predicted))  # 0: not a perfect fit
    assert model.score(X, constant) == expected == 0.0
    assert model.score(X, constant, sample_weight=weights) == 0.0
    # Non-constant targets are scored as scikit-learn scores them, bit for bit.
    mask, step_weights = np.ones(y.shape, bool), np.repeat(weights, 3) / 3
    if not return_sequences:
        mask, step_weights = np.ones(4, bool), weights
    assert model.score(X, y, sample_weight=weights) == r2_score(
        y[mask], predicted[mask], sample_weight=step_weights)


@pytest.mark.parametrize("y", [
    np.array([[0, 1, np.nan, np.nan], [1, 0, 1, 1], [0, 1, 1, np.nan]]),
    np.array([[0, 1, 0, 0], [1, 0, 1, 1], [0, 1, 1, 0]]),  # 0/1 per step: not indicators
])
def test_first_partial_fit_of_per_step_labels_asks_for_classes(y):
    # scikit-learn's type_of_target raised "Input contains NaN", or read 0/1
    # per-step labels as multilabel indicators.
    X = np.full((3, 4, 1), np.nan)
    for k, n in enumerate([2, 4, 3]):
        X[k, :n, 0] = np.random.RandomState(k).normal(size=n)
    with pytest.raises(ValueError, match=r"classes must be passed on the first call"):
        LSTMClassifier(**{**SEQ, "solver": "adam"}).partial_fit(X, y)


def test_per_step_sample_weight_is_named_as_one_weight_per_sequence():
    seqs = [np.random.RandomState(0).normal(size=(n, 1)) for n in (3, 5)]
    model = LSTMRegressor(**SEQ).fit(seqs, [s[:, 0] for s in seqs])
    with pytest.raises(ValueError, match=r"sample_weight holds one weight per sequence, shape "
                                         r"\(n_samples,\), also with per-step targets"):
        model.score(seqs, [s[:, 0] for s in seqs], sample_weight=[np.ones(3), np.ones(5)])


def test_one_column_of_labels_is_no_indicator_for_partial_fit():
    # partial_fit took a (n, 1) column of 0 and 1 for a multilabel indicator,
    # which names its classes, and skipped asking for them.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    params = {**FAST, "solver": "adam"}
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        LSTMClassifier(**params).partial_fit(X, np.array([[0], [1]] * 3))
    # Indicators of several columns name their classes, as objects too.
    for y in (_Y_ML, _Y_ML.astype(object)):
        assert LSTMClassifier(**params).partial_fit(X, y).classes_.tolist() == [0, 1]
    from scipy import sparse

    with pytest.raises(TypeError, match="Sparse data was passed for y"):
        LSTMClassifier(**params).partial_fit(X, sparse.csr_matrix(_Y_ML))


@pytest.mark.parametrize("levels", [np.array([0.1, 0.5, 0.9], dtype=np.float32),
                                    pd.array([0.1, 0.5, 0.9], dtype="Float32")])
def test_float32_quantile_levels_are_the_decimals_they_print_as(levels):
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    model = LSTMRegressor(**FAST, loss="quantile", quantiles=levels).fit(X, np.arange(6.0))
    assert model.quantiles_.tolist() == [0.1, 0.5, 0.9]
    # A model saved when they were read as 0.10000000149011612 ... continues.
    model.quantiles_ = np.asarray(levels, dtype=np.float32).astype(np.float64)
    model.set_params(solver="adam").partial_fit(X, np.arange(6.0))


def test_a_patch_longer_than_a_table_row_names_its_features():
    # scikit-learn's check_fit2d_1feature expects the feature count named.
    X = np.random.RandomState(0).normal(size=(6, 1))
    with pytest.raises(ValueError, match=r"longest training sequence \(1 steps \(X has 1 "
                                         r"feature\(s\), read as steps of n_channels=1\)\)"):
        LSTMRegressor(**FAST, patch_length=2).fit(X, np.arange(6.0))
    # The exogenous columns are set aside before the steps are counted.
    table = np.random.RandomState(0).normal(size=(6, 12))
    with pytest.raises(ValueError, match=r"\(10 steps \(X has 12 feature\(s\), 2 of them "
                                         r"exogenous, read as steps of n_channels=1\)\)"):
        LSTMRegressor(**FAST, patch_length=11, n_exog=2).fit(table, np.arange(6.0))


def test_a_patch_longer_than_the_training_sequences_says_which_do_not_train():
    """Only training sequences count; X's longer ones, held out for early
    stopping or of weight 0, went unmentioned, and the limit read as wrong."""
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(3, 1)) for _ in range(18)] + [rng.normal(size=(8, 1))] * 2
    y = np.arange(20.0)
    with pytest.raises(ValueError, match=r"sequence \(3 steps; X's longest, of 8 steps, is held "
                                         r"out for early stopping or weighs 0, and does not "
                                         r"train\).*patch_length <= 3"):
        LSTMRegressor((3,), max_iter=2, random_state=0, patch_length=5, early_stopping=True,
                      validation_split="tail").fit(X, y)  # Adam: the scipy solvers hold none out
    weights = np.r_[np.ones(18), 0.0, 0.0]
    with pytest.raises(ValueError, match=r"X's longest, of 8 steps, is held out"):
        LSTMRegressor(**FAST, patch_length=5).fit(X, y, sample_weight=weights)


def _records(kind, shape):
    """A structured (record) or raw-bytes array of ``shape``."""
    if kind == "dates":
        values = np.zeros(shape, dtype=[("t", "M8[D]")])
        values["t"] = np.datetime64("2020-01-01") + np.arange(np.prod(shape)).reshape(shape)
        return values
    if kind == "pairs":  # NumPy would keep the first of each cell's two values
        values = np.zeros(shape, dtype=[("v", "f8", (2,))])
        values["v"] = np.random.RandomState(0).normal(size=(*shape, 2))
        return values
    if kind == "fields":
        values = np.zeros(shape, dtype=[("a", "i8"), ("b", "f8")])
        values["a"] = np.arange(np.prod(shape)).reshape(shape) % 2
        return values
    return np.zeros(shape, dtype="V8")


@pytest.mark.parametrize("kind", ["dates", "pairs", "fields", "bytes"])
def test_record_arrays_are_refused_wherever_values_are_read(kind):
    """NumPy casts a record's first field (dates as days since 1970) and
    drops the others silently; raw bytes failed inside scikit-learn."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 6)), np.arange(20.0)
    fitted = LSTMRegressor(**FAST).fit(X, y)
    before = fitted.predict(X)
    calls = {
        "X": lambda: LSTMRegressor(**FAST).fit(_records(kind, (20, 6)), y),
        "X[0]": lambda: LSTMRegressor(**FAST).fit(list(_records(kind, (20, 6))), y),
        "y": lambda: LSTMRegressor(**FAST).fit(X, _records(kind, (20,))),
        "sample_weight": lambda: LSTMRegressor(**FAST).fit(
            X, y, sample_weight=_records(kind, (20,))),
        "labels": lambda: LSTMClassifier(**FAST).fit(X, _records(kind, (20,))),
        "classes": lambda: LSTMClassifier(**{**FAST, "solver": "adam"}).partial_fit(
            X, np.arange(20) % 2, classes=_records(kind, (2,))),
        "predict": lambda: fitted.predict(_records(kind, (20, 6))),
        # One-dimensional, as DataFrame.to_records() makes them: the
        # records, not the shape, are what to mend first.
        "X ": lambda: LSTMRegressor(**FAST).fit(_records(kind, (20,)), y),
    }
    for name, call in calls.items():
        argument = {"labels": "y", "predict": "X"}.get(name, name.strip())
        with pytest.raises(TypeError, match=re.escape(f"{argument} holds records or raw bytes")):
            call()
    assert_array_equal(fitted.predict(X), before)


@pytest.mark.parametrize("dtype_name", ["bfloat16", "float8_e4m3fn"])
def test_number_types_of_other_packages_are_told_the_cast(dtype_name):
    # ml_dtypes' types are NumPy's kind "V": they were called records or raw
    # bytes, and told to pick a field.
    ml_dtypes = pytest.importorskip("ml_dtypes")
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(20, 6, 1)), np.arange(20.0)
    fitted = LSTMRegressor(**FAST).fit(X, y)
    odd = X.astype(getattr(ml_dtypes, dtype_name))
    for argument, call in [("X", lambda: LSTMRegressor(**FAST).fit(odd, y)),
                           ("X", lambda: fitted.predict(odd)),
                           ("y", lambda: LSTMRegressor(**FAST).fit(X, odd[:, 0, 0]))]:
        with pytest.raises(TypeError, match=re.escape(
                f"{argument} has dtype {dtype_name}, a number type sklstm does not compute in: "
                f"pass np.asarray({argument}, dtype=np.float32).")):
            call()
    # Of a list (of arrays, or of lists), every sequence needs the cast, and
    # the advice names the argument: it is read.
    ragged = [odd[k, : 3 + k % 3] for k in range(20)]
    for sequences, argument, call in [
            (ragged, "X", lambda seqs: fitted.predict(seqs)),
            ([list(seq) for seq in ragged], "X", lambda seqs: fitted.predict(seqs)),
            ([seq[:, 0] for seq in ragged], "y", lambda seqs: LSTMRegressor(
                **FAST, return_sequences=True).fit(ragged_x, seqs))]:
        ragged_x = [seq.astype(np.float64) for seq in ragged]
        with pytest.raises(TypeError, match=re.escape(
                f"{argument}[0] has dtype {dtype_name}, a number type sklstm does not compute "
                f"in: pass every sequence as float32 ([np.asarray(s, dtype=np.float32) for s "
                f"in {argument}]).")):
            call(sequences)
        call([np.asarray(s, dtype=np.float32) for s in sequences])
    # A DataFrame's column: told the cast of that column, which the fit then
    # reads; in a forecaster's frame too.
    frame = pd.DataFrame({"a": odd[:, 0, 0], "b": y})
    with pytest.raises(TypeError, match=re.escape(
            f"Column 'a' of X has dtype {dtype_name}, a number type sklstm does not compute in: "
            "cast it with X.astype({'a': np.float32}).")):
        LSTMRegressor(**FAST).fit(frame, y)
    LSTMRegressor(**FAST).fit(frame.astype({"a": np.float32}), y)
    from sklstm.forecasting import make_windows

    history = frame.set_axis(pd.date_range("2020-01-01", periods=20))
    with pytest.raises(ValueError, match=re.escape(
            f"column 'a' has dtype {dtype_name}, a number type sklstm does not compute in: "
            "cast it with .astype({'a': np.float32}).")):
        make_windows(history, target="b", window=3, past_covariates=["a"])
    make_windows(history.astype({"a": np.float32}), target="b", window=3,
                 past_covariates=["a"])


def test_integer_labels_are_compared_exactly_with_declared_float_classes():
    # Both were promoted to float64, where 2**53 + 1 equals 2**53: the
    # undeclared label was accepted and trained as the class 2**53.
    X = np.random.RandomState(0).normal(size=(12, 4, 1))
    big = 2**53
    adam = {**FAST, "solver": "adam"}
    classes = np.array([big, big + 2], dtype=float)
    with pytest.raises(ValueError, match=r"y contains classes \[9007199254740993\] that were "
                                         r"not declared"):
        LSTMClassifier(**adam).partial_fit(X, np.array([big, big + 1] * 6), classes=classes)
    model = LSTMClassifier(**adam).partial_fit(X, np.array([big, big + 2] * 6), classes=classes)
    assert_array_equal(model.classes_, classes)


def test_integers_float64_would_merge_are_refused_by_place():
    # 2**60 + k for k = 0..119 became one value: a model of constant inputs,
    # or targets of two values, silently (as in scikit-learn).
    from sklstm.forecasting import make_windows

    big = (2**60 + np.arange(120, dtype=np.int64)).reshape(24, 5, 1)
    y = np.random.RandomState(0).normal(size=24)
    pair = r"holds the integers \d+ \({0}\) and \d+ \({1}\)"
    objects = big[:, :, 0].astype(object)
    objects[0, 0] = int(objects[0, 0])  # a Python int, beside NumPy's
    calls = [
        (lambda: LSTMRegressor(**FAST).fit(big, y),
         "X " + pair.format(r"index \[0, 0, 0\]", r"index \[0, 1, 0\]")),
        (lambda: LSTMRegressor(**FAST).fit(list(big), y),
         r"X\[0\] " + pair.format(r"index \[0, 0\]", r"index \[1, 0\]")),
        # Sequences of a list that merge only with each other: one value each,
        # as Python ints, or in two integer dtypes (each checked alone passed).
        (lambda: LSTMRegressor(**FAST).fit([row[:1] for row in big], y),
         "X " + pair.format("sequence 0, step 0, channel 0", "sequence 1, step 0, channel 0")),
        (lambda: LSTMRegressor(**FAST).fit(
            [[int(v)] * (1 + k % 2) for k, v in enumerate(big[:, 0, 0])], y),
         "X " + pair.format("sequence 0, step 0, channel 0", "sequence 1, step 0, channel 0")),
        (lambda: LSTMRegressor(**FAST).fit(
            [big[0, :1].astype(np.uint64)] + [row[:1] for row in big[1:]], y),
         "X " + pair.format("sequence 0, step 0, channel 0", "sequence 1, step 0, channel 0")),
        (lambda: LSTMRegressor(**FAST).fit(
            [pd.DataFrame(row[:1]) for row in big], y),
         "X " + pair.format("sequence 0, step 0, channel 0", "sequence 1, step 0, channel 0")),
        (lambda: LSTMRegressor(**FAST).fit(pd.DataFrame(big[:, :, 0]).astype("Int64"), y),
         "X " + pair.format("row 0, column 0", "row 0, column 1")),
        # A frame's integer columns are checked together, as its array would be.
        (lambda: LSTMRegressor(**FAST).fit(
            pd.DataFrame({"t0": big[:, 0, 0], "t1": big[:, 0, 0] + 1}), y),
         "X " + pair.format("row 0, column 't0'", "row 0, column 't1'")),
        # Integer columns of several dtypes, read a dtype at a time, keep their order.
        (lambda: LSTMRegressor(**FAST).fit(pd.DataFrame({
            "a": np.arange(24, dtype=np.int32), "b": np.arange(24, dtype=np.uint8),
            "c": pd.array(big[:, 2, 0], dtype="Int64"), "d": np.arange(24, dtype=np.int32),
            "e": big[:, 2, 0] + 1}), y),
         "X " + pair.format("row 0, column 'c'", "row 0, column 'e'")),
        (lambda: LSTMRegressor(**FAST).fit(objects, y),
         "X " + pair.format(r"index \[0, 0\]", r"index \[0, 1\]")),
        (lambda: LSTMRegressor(**FAST).fit(pd.DataFrame(objects), y),
         "Column 0 of X " + pair.format("row 0", "row 1")),
        (lambda: LSTMRegressor(**FAST).fit(np.ones((5, 3)), big[:5, 1, 0]),
         "y " + pair.format(r"index \[0\]", r"index \[1\]")),
        (lambda: make_windows(pd.DataFrame({"y": big[:, 1, 0]}), target="y", window=3),
         "column 'y' " + pair.format("row 0", "row 1")),
        # Integers of other types among objects: a Decimal, a 0-d array, a Fraction.
        (lambda: LSTMRegressor(**FAST).fit(
            np.array([[Decimal(2**60 + 1)], [np.array(2**60)]] * 3, dtype=object), y[:6]),
         "X " + pair.format(r"index \[0, 0\]", r"index \[1, 0\]")),
        (lambda: LSTMRegressor(**FAST).fit(
            np.array([[Fraction(2**60 + 1)], [2**60]] * 3, dtype=object), y[:6]),
         "X " + pair.format(r"index \[0, 0\]", r"index \[1, 0\]")),
        # 2**53 + 1 rounds onto 2**53, which float64 holds exactly.
        (lambda: LSTMRegressor(**FAST).fit(np.array([[2**53 + 1], [2**53]] * 3), y[:6]),
         "X " + pair.format(r"index \[0, 0\]", r"index \[1, 0\]")),
    ]
    for call, match in calls:
        with pytest.raises(ValueError, match=match + ", which float64 cannot tell apart"):
            call()
    # predict reads its input alike, and a fitted model is left as it was.
    fitted = LSTMRegressor(**FAST).fit([np.arange(3), np.arange(4)] * 12, y)
    before = fitted.predict([np.arange(3), np.arange(4)])
    with pytest.raises(ValueError, match="X " + pair.format(
            "sequence 1, step 0, channel 0", "sequence 2, step 0, channel 0")):
        fitted.predict([np.arange(3), big[0, :1], big[1, :1]])
    assert_array_equal(fitted.predict([np.arange(3), np.arange(4)]), before)
    # Just below 2**1024, float() overflows: too large, not an OverflowError.
    for huge in (2**1024 - 1, -(2**1024 - 2**970)):
        with pytest.raises(ValueError, match="X holds a number too large for float64"):
            LSTMRegressor(**FAST).fit(np.array([[huge, 1.0]] * 6, dtype=object), y[:6])


@pytest.mark.skipif(np.finfo(np.longdouble).nmant <= 52, reason="longdouble is float64 here")
def test_extended_precision_values_float64_merges_are_refused_by_place():
    """Fixed bug: np.longdouble targets 1e17 + 2k, or inputs 1e4 + 1e-13 z,
    were cast to float64 without a word: every prediction was one constant,
    every input one value."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6, 3, 1))
    targets = np.longdouble(1e17) + 2 * np.arange(6).astype(np.longdouble)
    with pytest.raises(ValueError, match=r"y holds the values 1e\+17 \(index \[0\]\) and "
                                         r"1\.00000000000000002e\+17 \(index \[1\]\), which "
                                         "float64 cannot tell apart: both would become 1e\\+17"):
        LSTMRegressor(**FAST).fit(X, targets)
    # Long double throughout: NumPy 1 cast a long double scalar times floats to float64.
    close = np.longdouble(1e4) + np.longdouble(1e-13) * rng.normal(size=(6, 3, 1)).astype(
        np.longdouble)
    with pytest.raises(ValueError, match=r"X holds the values .*\(index \[0, 0, 0\]\) and "
                                         r".*\(index \[0, 1, 0\]\), which float64 cannot"):
        LSTMRegressor(**FAST).fit(close, np.arange(6.0))
    # DataFrames' long double columns too, checked together.
    with pytest.raises(ValueError, match=r"X holds the values .*\(row 0, column 0\) and "
                                         r".*\(row 0, column 1\), which float64 cannot"):
        LSTMRegressor(**FAST).fit(pd.DataFrame(close[:, :, 0]), np.arange(6.0))
    with pytest.raises(ValueError, match=r"y holds the values 1e\+17 \(row 0, column 'y'\)"):
        LSTMRegressor(**FAST).fit(X, pd.DataFrame({"y": targets}))
    # Values float64 only rounds are read as the floats they become.
    thirds = np.arange(6).astype(np.longdouble) / 3
    assert not np.array_equal(thirds, thirds.astype(float))  # rounded, yet distinct
    model = LSTMRegressor(**FAST).fit(X.astype(np.longdouble) / 3, thirds)
    reference = LSTMRegressor(**FAST).fit((X.astype(np.longdouble) / 3).astype(float),
                                          thirds.astype(float))
    assert_array_equal(model.predict(X), reference.predict(X))


def test_large_integers_float64_keeps_apart_are_read_as_floats():
    # Nanosecond timestamps 37 ms apart round by at most 128 ns, but stay
    # distinct and in order: as ordinary as any float feature.
    stamps = pd.date_range("2024-01-01", periods=120, freq="37ms").asi8.reshape(24, 5, 1)
    y = np.random.RandomState(0).normal(size=24)
    for X in (stamps, stamps.astype(object), 2**60 * np.arange(1, 121).reshape(24, 5, 1)):
        model = LSTMRegressor(**FAST).fit(X, y)
        assert_array_equal(model.predict(X), model.predict(X.astype(float)))


def _with_object(X, value, where=(3, 2)):
    """``X`` as objects, ``value`` at ``where``."""
    X = X.astype(object)
    X[where] = value
    return X


def test_object_entries_are_refused_or_read_by_place():
    from sklstm.forecasting import make_windows

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(24, 6)), rng.normal(size=24)
    long_double = X.astype(np.longdouble)
    long_double[3, 2] = np.longdouble("1e400")
    refused = [
        # float() failed on them naming no place, or made inf, reported as infinity.
        (_with_object(X, 1 + 2j), r"X holds the complex number \(1\+2j\) at index \(3, 2\)"),
        (pd.DataFrame(_with_object(X, 1 + 2j)),
         r"Column 2 of X holds the complex number \(1\+2j\) at index \(3,\)"),
        (_with_object(X, Decimal("1e400")),
         r"X holds a number too large for float64: Decimal\('1E\+400'\) at index \(3, 2\)"),
        (long_double, r"X holds a number too large for float64: .*1e\+400.* at index \(3, 2\)"),
        # A signalling NaN: NumPy and pandas raised on it; now a NaN, named by place.
        (_with_object(X, Decimal("sNaN")), r"Input X contains NaN in sample 3, column 2"),
    ]
    for bad, match in refused:
        with pytest.raises(ValueError, match=match):
            LSTMRegressor(**FAST).fit(bad, y)
    labels = np.array([Decimal("sNaN")] + [Decimal(k % 2) for k in range(23)], dtype=object)
    with pytest.raises(ValueError, match=r"Input y contains Decimal\('sNaN'\) \(sample 0\)"):
        LSTMClassifier(**FAST).fit(X, labels)
    # pandas reads any array entry as present, a 0-d NaN too.
    arrays = np.empty(24, dtype=object)
    arrays[:] = [np.array(float(k % 2)) for k in range(24)]
    arrays[2] = np.array(np.nan)
    with pytest.raises(ValueError, match=r"Input y contains array\(nan\) \(sample 2\)"):
        LSTMClassifier(**FAST).fit(X, arrays)
    column = pd.DataFrame({"y": [Decimal("sNaN")] + [Decimal(k) for k in range(29)]})
    with pytest.raises(ValueError, match=r"column 'y' has 1 missing value\(s\) \(NaN\), the "
                                         r"first at label 0"):
        make_windows(column, target="y", window=3)
    # Decimals float64 holds are numbers, as before.
    fine = _with_object(X, Decimal("1.5"))
    assert_array_equal(LSTMRegressor(**FAST).fit(fine, y).predict(fine),
                       LSTMRegressor(**FAST).fit(fine.astype(float), y).predict(fine))


def test_weights_in_containers_numpy_reads_as_one_object_are_refused_by_name():
    from scipy import sparse

    X, y = np.random.RandomState(0).normal(size=(6, 4, 1)), np.arange(6.0)
    refused = [
        (sparse.csr_array(np.ones((1, 6))), TypeError,
         r"Sparse data was passed for sample_weight"),
        ((1.0 for _ in range(6)), TypeError, r"sample_weight must be an array-like of one "
                                             r"weight per sequence, got a generator"),
        (np.array([pd.NA] + [1.0] * 5, dtype=object), ValueError,
         r"sample_weight\[0\] is <NA>: missing"),
    ]
    for weights, exc, match in refused:
        with pytest.raises(exc, match=match):
            LSTMRegressor(**FAST).fit(X, y, sample_weight=weights)
    for missing, shown in ((pd.NA, "<NA>"), (None, "None")):
        with pytest.raises(ValueError, match=rf"class_weight\[1\] is {shown}: missing"):
            LSTMClassifier(**FAST, class_weight={0: 1, 1: missing}).fit(X, np.arange(6) % 2)


# NumPy's variable-width StringDType (kind "T") is text as "<U" is: its
# numbers were parsed silently (" 1_000 " read as 1000.0), and its labels
# refused by scikit-learn as no dtype of theirs.
_STRINGS = pytest.importorskip("numpy.dtypes").__dict__.get("StringDType")


@pytest.mark.skipif(_STRINGS is None, reason="NumPy before 2.0 has no StringDType")
def test_numbers_in_numpy_string_dtype_are_refused_as_text():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(8, 3, 2)), rng.normal(size=8)
    text = _STRINGS()
    refused = [
        (dict(X=X.astype(str).astype(text)), ValueError, r"X holds strings \(dtype StringDType"),
        (dict(X=np.array([[" 1_000 ", "2"]] * 8, dtype=text)), ValueError, "X holds strings"),
        (dict(X=np.array([["1", np.nan]] * 8, dtype=_STRINGS(na_object=np.nan))), ValueError,
         "X holds strings"),
        (dict(X=[x.astype(str).astype(text) for x in X]), ValueError, r"X\[0\] holds strings"),
        (dict(y=y.astype(str).astype(text)), ValueError, "y holds strings"),
        (dict(sample_weight=np.array(["1"] * 8, dtype=text)), TypeError,
         r"sample_weight must hold numbers, not text: sample_weight\[0\] is '1'"),
    ]
    for changed, exc, match in refused:
        args = {"X": X, "y": y, **changed}
        with pytest.raises(exc, match=match):
            LSTMRegressor(**FAST).fit(args.pop("X"), args.pop("y"), **args)


@pytest.mark.skipif(_STRINGS is None, reason="NumPy before 2.0 has no StringDType")
def test_labels_in_numpy_string_dtype_are_text_labels():
    X = np.random.RandomState(0).normal(size=(8, 3, 2))
    labels = np.array(list("abcaabcb"))
    expected = LSTMClassifier(**FAST).fit(X, labels)
    text = labels.astype(_STRINGS())
    model = LSTMClassifier(**FAST).fit(X, text)
    assert model.classes_.tolist() == ["a", "b", "c"]
    assert_array_equal(model.predict_proba(X), expected.predict_proba(X))
    assert model.score(X, text) == expected.score(X, labels)
    streamed = LSTMClassifier((3,), random_state=0).partial_fit(
        X, text, classes=np.unique(labels).astype(_STRINGS()))
    assert streamed.classes_.tolist() == ["a", "b", "c"]
    missing = text.astype(_STRINGS(na_object=None))
    missing[2] = None
    with pytest.raises(ValueError, match=r"y contains None \(sample 2\)"):
        LSTMClassifier(**FAST).fit(X, missing)


def test_per_step_int_labels_as_objects_are_advised_a_dtype_that_holds_padding():
    """The advice to a padded object array of ints was y.astype(int), which
    fails on the None of its padded steps."""
    X = np.random.RandomState(0).normal(size=(8, 4, 1))
    X[:3, 2:] = np.nan  # three sequences of two steps
    labels = np.tile(np.arange(8)[:, None] % 2, (1, 4)).astype(object)
    labels[:3, 2:] = None
    model = LSTMClassifier(**FAST, return_sequences=True, patch_length=1)
    with pytest.raises(ValueError, match=r"for example y\.astype\(float\) \(padded steps NaN\) "
                                         r"or y\.astype\(str\)"):
        model.fit(X, labels)
    assert model.fit(X, labels.astype(float)).classes_.tolist() == [0.0, 1.0]


def test_a_numpy_matrix_is_refused_with_its_remedy():
    X = np.random.RandomState(0).normal(size=(6, 4))
    with pytest.raises(TypeError, match=r"X is a np\.matrix, which sklstm does not read: pass "
                                        r"np\.asarray\(X\)\.$"):
        LSTMRegressor(**FAST).fit(np.matrix(X), np.arange(6.0))
    with pytest.raises(TypeError, match=r"y is a np\.matrix"):
        LSTMRegressor(**FAST).fit(X, np.matrix(np.arange(6.0)).T)
    # The classifier's labels and every other array input follow the same
    # rule (a matrix of labels was read as a multilabel indicator).
    onehot = np.eye(2)[np.arange(6) % 2]
    with pytest.raises(TypeError, match=r"y is a np\.matrix"):
        LSTMClassifier(**FAST).fit(X, np.matrix(onehot))
    with pytest.raises(TypeError, match=r"sample_weight is a np\.matrix"):
        LSTMRegressor(**FAST).fit(X, np.arange(6.0), sample_weight=np.matrix(np.ones(6)))
    with pytest.raises(TypeError, match=r"y holds a np\.matrix"):  # per-step targets
        LSTMRegressor(**FAST, return_sequences=True).fit(
            X[:, :, None], [np.matrix(row) for row in X])
    with pytest.raises(TypeError, match=r"classes is a np\.matrix"):
        LSTMClassifier(**{**FAST, "solver": "adam"}).partial_fit(
            X, np.arange(6) % 2, classes=np.matrix([0, 1]))


def test_a_sparse_integer_column_is_read_as_its_values():
    # NumPy's "Cannot interpret 'Sparse[int64, 0]' as a data type" (a
    # TypeError from inside the exact-integer check) where a sparse float
    # column was read.
    dense = pd.DataFrame({"a": [0, 1, 0, 2, 0, 3, 0, 4], "b": np.arange(8.0)})
    frame = dense.assign(a=pd.arrays.SparseArray(dense["a"].to_numpy()))
    y = np.arange(8.0)
    model = LSTMRegressor(**FAST).fit(frame, y)
    assert_array_equal(model.predict(frame), LSTMRegressor(**FAST).fit(dense, y).predict(dense))
    big = frame.assign(a=pd.arrays.SparseArray(np.r_[2**60, 2**60 + 1, np.zeros(6, int)]))
    with pytest.raises(ValueError, match=r"row 0, column 'a'\) and \d+ \(row 1, column 'a'\)"):
        LSTMRegressor(**FAST).fit(big, y)


def test_a_container_of_sequences_and_masked_list_items_get_advice_that_works():
    """An object array or a Series of sequences was told to reshape itself to
    one row, and a masked item of a list to mark its steps NaN: both advices
    led to another error."""
    sequences = [np.ones((n, 2)) for n in (3, 5, 4)]
    held = np.empty(3, dtype=object)
    held[:] = sequences
    y = np.arange(3.0)
    model = LSTMRegressor(**FAST)
    for container, remedy in ((held, "list(X)"), (pd.Series(sequences), "X.tolist()")):
        with pytest.raises(ValueError, match=rf"X is a 1-D container of 3 sequences \(dtype "
                           rf"object\); pass them as a list of sequences, {re.escape(remedy)}"):
            model.fit(container, y)
    assert model.fit(list(held), y).predict(pd.Series(sequences).tolist()).shape == (3,)
    masked = np.ma.masked_array(np.arange(4.0), [0, 0, 0, 1])
    with pytest.raises(TypeError, match=r"X\[0\] is a masked array.*drop their steps: a "
                       r"sequence of a list ends where its array ends"):
        model.fit([masked, np.ones(3), np.ones(2)], y)
    assert model.fit([masked.compressed(), np.ones(3), np.ones(2)], y).n_features_in_ == 1


@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
def test_a_flattened_table_for_a_model_fitted_on_3d_input_is_told_why(Estimator):
    """It was told "X has 1 channels", of the 12 columns it passed."""
    X = np.random.RandomState(0).normal(size=(20, 6, 2))
    model = Estimator(**FAST).fit(X, np.arange(20) % 2)
    with pytest.raises(ValueError, match=r"X has 1 channels, but .* fitted with 2 channels\. "
                       r"A 2-D X of 12 columns is read as steps of n_channels=1 channel\(s\) "
                       r"\(n_channels is fixed at fit\); pass 3-D X of shape \(n_samples, "
                       r"n_timesteps, 2\) instead\."):
        model.predict(X.reshape(20, -1))


def test_python_ints_beyond_float64_are_named_by_their_place_everywhere():
    """One classification of an object entry serves X, y and the weights:
    a Python int beyond float64 was named by place in none of them (X and y
    quoted only Python's "int too large to convert to float")."""
    X = np.random.RandomState(0).normal(size=(10, 3, 1))
    y = X[:, -1, 0]
    X_big = X.astype(object)
    X_big[2, 1, 0] = 10**400
    y_big = y.astype(object)
    y_big[3] = -(10**400)
    for args, match in (
        ((X_big, y), r"X holds a number too large for float64: <an int of 401 digits> at "
                     r"index \(2, 1, 0\)"),
        ((X, y_big), r"y holds a number too large for float64: <a negative int of 401 digits> "
                     r"at index \(3,\)"),
    ):
        with pytest.raises(ValueError, match=match):
            LSTMRegressor(**FAST).fit(*args)
