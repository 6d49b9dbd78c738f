"""Inputs that once slipped through silently, checked at the one conversion point.

Every form of ``X`` and of per-step ``y`` goes through ``sklstm._validation``;
these tests hold each class of silent misreading to an error (or warning)
that names its place: the sample, step, channel, column or parameter.
"""

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from numpy.testing import assert_array_equal

from sklstm import LSTMRegressor
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
        ("phase", np.array([1j, 2j, 3j, 4j]), ValueError),
    ],
)
def test_non_numeric_dataframe_column_is_named(column, values, exc):
    frame = pd.DataFrame({"lag_2": np.arange(4.0), column: values, "lag_1": np.ones(4)})
    with pytest.raises(exc, match=f"Column '{column}' of X"):
        check_sequences(frame)
    with pytest.raises(exc, match=f"Column '{column}' of X"):
        LSTMRegressor(**FAST).fit(frame, np.arange(4.0))


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


# -- channels first -----------------------------------------------------------------


def test_channels_first_is_read_as_its_transpose():
    X_last = np.random.RandomState(0).normal(size=(4, 30, 2))
    X_first = X_last.transpose(0, 2, 1)
    read = check_sequences(X_first, data_format="channels_first")
    assert_array_equal(read.values, check_sequences(X_last).values)
    items = check_sequences(list(X_first), data_format="channels_first")
    assert_array_equal(items.values, read.values)


def test_likely_transposed_input_warns_and_names_the_parameter():
    X = np.zeros((5, 1, 40))  # sktime's univariate numpy3D: 1 channel, 40 steps
    with pytest.warns(DataLayoutWarning, match="data_format='channels_first'"):
        check_sequences(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        check_sequences(X, data_format="channels_last")  # declared: no warning
        check_sequences(np.zeros((5, 40, 3)))  # plausible layout: no warning


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
    with pytest.raises(ValueError, match="refused solver_options=\\{'gtol': 'tight'\\}"):
        model.fit(X, y)


def test_invscaling_schedule_underflows_instead_of_overflowing():
    from sklstm._optimizers import SGDOptimizer

    opt = SGDOptimizer(3, 0.1, "invscaling", power_t=1e10)
    opt.iteration_ends(time_step=1000)  # (t + 1) ** power_t is beyond float range
    assert opt.learning_rate == 0.0
    opt = SGDOptimizer(3, 0.1, "invscaling", power_t=0.5)
    opt.iteration_ends(time_step=99)
    assert opt.learning_rate == pytest.approx(0.1 / 10.0, rel=1e-12)
