"""Every input convention of ``X`` (and of per-step ``y``) reaches the same model.

The conventions are converted once, by ``sklstm._validation.check_sequences``.
The tests check the conversion itself on tiny arrays whose values encode
their position (channel ``c`` at step ``t`` holds ``10 c + t``), then that
the estimators see the same sequences whichever way they are passed: fitting
on two conventions of the same data gives bit-for-bit the same weights, and
predicting on them the same outputs.
"""

import functools
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import ConvergenceWarning

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm._validation import check_sequence_targets, check_sequences
from sklstm.exceptions import DataLayoutWarning

# Small and fast: lbfgs is deterministic full-batch training.
FAST = dict(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5, random_state=0)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _coded(n_samples, n_steps, n_channels):
    """(n, T, C) array with ``100 s + 10 c + t`` at sample s, step t, channel c."""
    s, t, c = np.meshgrid(
        np.arange(n_samples), np.arange(n_steps), np.arange(n_channels), indexing="ij"
    )
    return (100.0 * s + 10.0 * c + t).astype(np.float64)


def _data(n=10, T=6, C=1, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, T, C))
    y = X[:, -2:, 0].sum(axis=1) + 0.1 * rng.normal(size=n)
    return X, y


def _assert_same_model(a, b):
    for la, lb in zip(a.coefs_, b.coefs_):
        assert la.keys() == lb.keys()
        for name in la:
            assert_array_equal(la[name], lb[name])
    assert_array_equal(a.out_coef_, b.out_coef_)
    assert_array_equal(a.out_intercept_, b.out_intercept_)
    assert_array_equal(a.input_mean_, b.input_mean_)
    assert_array_equal(a.input_scale_, b.input_scale_)


# -- 3-D, the native form --------------------------------------------------------


def test_3d_is_native():
    X = _coded(3, 4, 2)
    seqs = check_sequences(X)
    assert seqs.lengths is None and seqs.n_columns is None
    assert_array_equal(seqs.values, X)
    assert seqs.values.flags.c_contiguous


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_float_dtypes_are_kept(dtype):
    assert check_sequences(_coded(2, 3, 1).astype(dtype)).values.dtype == dtype


@pytest.mark.parametrize("dtype", [np.int64, np.int32, bool, np.float16, object])
def test_other_numeric_dtypes_become_float64(dtype):
    X = _coded(2, 3, 1).astype(dtype)
    seqs = check_sequences(X)
    assert seqs.values.dtype == np.float64
    assert_array_equal(seqs.values, X.astype(np.float64))


def test_3d_fit_predict_shapes_and_features():
    X, y = _data(C=2)
    model = LSTMRegressor(**FAST).fit(X, y)
    assert model.n_features_in_ == 2
    assert not hasattr(model, "feature_names_in_")
    assert model.predict(X).shape == (10,)


# -- 2-D tables: one sequence per row --------------------------------------------


def test_2d_rows_are_univariate_sequences_oldest_first():
    X2 = _coded(3, 5, 1)[:, :, 0]  # row s: 100 s + [0, 1, 2, 3, 4]
    seqs = check_sequences(X2)
    assert seqs.values.shape == (3, 5, 1)
    assert_array_equal(seqs.values[1, :, 0], [100, 101, 102, 103, 104])
    assert seqs.n_columns == 5


def test_2d_newest_first_reverses_the_columns():
    X2 = np.array([[4.0, 3.0, 2.0, 1.0]])  # lag_1 (newest) ... lag_4 (oldest)
    seqs = check_sequences(X2, newest_first=True)
    assert_array_equal(seqs.values[0, :, 0], [1, 2, 3, 4])


@pytest.mark.parametrize(
    "column_order, newest_first, row",
    [
        # channel c at step t holds 10 c + t; three steps, two channels
        ("time_major", False, [0, 10, 1, 11, 2, 12]),
        ("channel_major", False, [0, 1, 2, 10, 11, 12]),
        ("time_major", True, [2, 12, 1, 11, 0, 10]),
        ("channel_major", True, [2, 1, 0, 12, 11, 10]),
    ],
)
def test_2d_multichannel_layouts(column_order, newest_first, row):
    seqs = check_sequences(
        np.array([row], dtype=float), n_channels=2, column_order=column_order,
        newest_first=newest_first,
    )
    assert_array_equal(seqs.values[0], _coded(1, 3, 2)[0])


@pytest.mark.parametrize(
    "column_order, newest_first",
    [("time_major", False), ("channel_major", False), ("time_major", True), ("channel_major", True)],
)
def test_2d_layouts_train_the_same_model_as_3d(column_order, newest_first):
    X3, y = _data(C=2)
    X2 = X3[:, ::-1] if newest_first else X3
    X2 = X2.reshape(10, -1) if column_order == "time_major" else X2.transpose(0, 2, 1).reshape(10, -1)
    layout = dict(n_channels=2, column_order=column_order, newest_first=newest_first)
    m2 = LSTMRegressor(**FAST, **layout).fit(X2, y)
    m3 = LSTMRegressor(**FAST).fit(X3, y)
    _assert_same_model(m2, m3)
    assert m2.n_features_in_ == 12  # columns of the table, as sklearn counts them
    assert_array_equal(m2.predict(X2), m3.predict(X3))
    # The 2-D model also reads 3-D input: the layout only concerns tables.
    assert_array_equal(m2.predict(X3), m3.predict(X3))


@pytest.mark.parametrize("newest_first", [False, True])
def test_exogenous_columns_are_channels_after_the_lags(newest_first):
    """skforecast's rows ``lag_1 .. lag_p, exog_1 .. exog_m``: each trailing
    column becomes a channel after the lags' that holds its value at every
    step. Exogenous channels placed before the lags' passed every input test
    (only a skforecast integration test, skipped without it, saw them)."""
    rng = np.random.RandomState(0)
    lags, exog = rng.normal(size=(10, 4)), rng.normal(size=(10, 2))
    X2 = np.hstack([lags, exog])
    oldest_first = lags[:, ::-1] if newest_first else lags
    expected = np.concatenate([oldest_first[:, :, None],
                               np.repeat(exog[:, None, :], 4, axis=1)], axis=2)
    seqs = check_sequences(X2, n_exog=2, newest_first=newest_first)
    assert_array_equal(seqs.values, expected)


@pytest.mark.parametrize("n_columns, n_channels", [(5, 2), (7, 3), (3, 4)])
def test_column_count_not_fitting_the_layout(n_columns, n_channels):
    X = np.ones((4, n_columns))
    msg = f"{n_columns} columns.*n_channels={n_channels}.*multiple of {n_channels}"
    with pytest.raises(ValueError, match=msg):
        check_sequences(X, n_channels=n_channels)
    with pytest.raises(ValueError, match=msg):
        LSTMRegressor(**FAST, n_channels=n_channels).fit(X, np.ones(4))


def test_dataframe_same_as_array_and_sets_feature_names():
    X3, y = _data()
    df = pd.DataFrame(X3[:, :, 0], columns=[f"t-{k}" for k in range(5, -1, -1)])
    m_df = LSTMRegressor(**FAST).fit(df, y)
    m_np = LSTMRegressor(**FAST).fit(X3, y)
    _assert_same_model(m_df, m_np)
    assert_array_equal(m_df.feature_names_in_, df.columns)
    assert m_df.n_features_in_ == 6
    assert_array_equal(m_df.predict(df), m_np.predict(X3))


def test_dataframe_with_other_columns_at_predict():
    X3, y = _data()
    df = pd.DataFrame(X3[:, :, 0], columns=[f"lag{k}" for k in range(6)])
    model = LSTMRegressor(**FAST).fit(df, y)
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(df.rename(columns={"lag0": "other"}))
    with pytest.raises(ValueError, match="same order"):
        model.predict(df[df.columns[::-1]])
    with pytest.raises(ValueError, match="unseen at fit time:\n- extra"):
        model.predict(df.assign(extra=1.0))
    with (
        pytest.raises(ValueError, match="X has 7 features, but LSTMRegressor is expecting 6"),
        pytest.warns(UserWarning, match="does not have valid feature names"),
    ):
        model.predict(df.assign(extra=1.0).to_numpy())
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        model.predict(df.to_numpy())


def test_dataframe_at_predict_after_fit_on_array_warns():
    X3, y = _data()
    model = LSTMRegressor(**FAST).fit(X3[:, :, 0], y)
    with pytest.warns(UserWarning, match="has feature names, but LSTMRegressor was fitted without"):
        model.predict(pd.DataFrame(X3[:, :, 0], columns=list("abcdef")))


def test_refit_on_3d_forgets_feature_names():
    X3, y = _data()
    model = LSTMRegressor(**FAST).fit(pd.DataFrame(X3[:, :, 0], columns=list("abcdef")), y)
    model.fit(X3, y)
    assert not hasattr(model, "feature_names_in_")
    assert model.n_features_in_ == 1


# -- ragged lists and NaN padding --------------------------------------------------


def _ragged(univariate=False):
    rng = np.random.RandomState(1)
    lengths = [5, 2, 7, 1, 7, 3]
    seqs = [rng.normal(size=(n, 2)) for n in lengths]
    if univariate:
        seqs = [s[:, 0] for s in seqs]
    return seqs, lengths


def _pad(seqs):
    T = max(len(s) for s in seqs)
    C = 1 if np.ndim(seqs[0]) == 1 else seqs[0].shape[1]
    X = np.full((len(seqs), T, C), np.nan)
    for k, s in enumerate(seqs):
        X[k, : len(s)] = np.reshape(s, (len(s), C))
    return X


@pytest.mark.parametrize("univariate", [False, True])
def test_ragged_list_becomes_padded(univariate):
    seqs, lengths = _ragged(univariate)
    out = check_sequences(seqs)
    assert_array_equal(out.lengths, lengths)
    assert out.values.shape == (6, 7, 1 if univariate else 2)
    mask = out.step_mask()
    assert_array_equal(out.values[~mask], 0.0)  # padding is zero, never NaN
    assert_array_equal(out.values[mask], np.concatenate(seqs).reshape(-1, out.n_channels))


def test_ragged_list_of_series_and_dataframes():
    seqs, _ = _ragged()
    as_series = [pd.Series(s[:, 0]) for s in seqs]
    as_frames = [pd.DataFrame(s, columns=["a", "b"]) for s in seqs]
    assert_array_equal(check_sequences(as_series).values, check_sequences([s[:, 0] for s in seqs]).values)
    assert_array_equal(check_sequences(as_frames).values, check_sequences(seqs).values)


def test_trailing_nan_steps_are_padding():
    X = _coded(3, 5, 2)
    X[0, 3:] = np.nan
    X[2, 1:] = np.nan
    out = check_sequences(X)
    assert_array_equal(out.lengths, [3, 5, 1])
    assert not np.isnan(out.values).any()


def test_padding_shared_by_all_sequences_keeps_every_step():
    """Steps that pad every sequence stay, so per-step y and predictions align with X."""
    X = _coded(2, 6, 1)
    X[:, 4:] = np.nan
    out = check_sequences(X)
    assert out.values.shape == (2, 6, 1)
    np.testing.assert_array_equal(out.lengths, [4, 4])
    assert np.all(out.values[:, 4:] == 0)


def test_per_step_targets_must_cover_every_step_of_X():
    X = _coded(4, 3, 1)
    with pytest.raises(ValueError, match="y has 5 steps but the sequences in X have 3"):
        LSTMRegressor(return_sequences=True, max_iter=1).fit(X, np.ones((4, 5)))
    # The shape asked for is the estimator's own: a classifier takes no n_outputs axis.
    with pytest.raises(ValueError, match=r"shape \(n_samples, n_timesteps\[, n_outputs\]\)"):
        LSTMRegressor(return_sequences=True, max_iter=1).fit(X, np.ones(4))
    with pytest.raises(ValueError, match=r"shape \(n_samples, n_timesteps\), one label per "
                                         r"step, got \(4,\)"):
        LSTMClassifier(return_sequences=True, max_iter=1).fit(X, np.arange(4) % 2)


def test_per_step_predictions_keep_the_width_of_padded_X():
    X = _coded(4, 5, 1)
    X[:, 3:] = np.nan  # the last two steps pad every sequence
    y = np.where(np.isnan(X[:, :, 0]), np.nan, 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMRegressor((2,), return_sequences=True, max_iter=2, random_state=0).fit(X, y)
    pred = model.predict(X)
    assert pred.shape == (4, 5)
    assert np.all(np.isnan(pred[:, 3:])) and np.all(np.isfinite(pred[:, :3]))


@pytest.mark.parametrize("return_sequences", [False, True])
def test_ragged_and_padded_give_identical_models_and_predictions(return_sequences):
    seqs, _ = _ragged()
    X_pad = _pad(seqs)
    if return_sequences:
        y_ragged = [s.sum(axis=1) for s in seqs]
        y = np.full(X_pad.shape[:2], np.nan)  # NaN at padded steps is ignored
        for k, t in enumerate(y_ragged):
            y[k, : len(t)] = t
    else:
        y_ragged = y = np.array([s[-1].sum() for s in seqs])
    kw = dict(FAST, return_sequences=return_sequences)
    m_ragged = LSTMRegressor(**kw).fit(seqs, y_ragged)
    m_pad = LSTMRegressor(**kw).fit(X_pad, y)
    _assert_same_model(m_ragged, m_pad)
    assert_array_equal(m_pad.predict(seqs), m_pad.predict(X_pad))


@pytest.mark.parametrize("return_sequences", [False, True])
def test_padded_batch_matches_each_sequence_alone(return_sequences):
    seqs, lengths = _ragged()
    X_pad = _pad(seqs)
    y = np.array([s[-1].sum() for s in seqs])
    if return_sequences:
        y = np.nan_to_num(X_pad.sum(axis=2))
    model = LSTMRegressor(**FAST, return_sequences=return_sequences).fit(X_pad, y)
    batch = model.predict(X_pad)
    for k, s in enumerate(seqs):
        alone = model.predict(s[None])
        if return_sequences:
            assert_allclose(batch[k, : lengths[k]], alone[0], rtol=1e-12, atol=1e-12)
            assert np.isnan(batch[k, lengths[k] :]).all()  # padded steps have no prediction
        else:
            assert_allclose(batch[k], alone[0], rtol=1e-12, atol=1e-12)


def test_classifier_ragged_against_padded():
    seqs, _ = _ragged()
    labels = np.array(["up", "down", "up", "down", "down", "up"])
    clf_r = LSTMClassifier(**FAST).fit(seqs, labels)
    clf_p = LSTMClassifier(**FAST).fit(_pad(seqs), labels)
    _assert_same_model(clf_r, clf_p)
    assert_array_equal(clf_r.predict_proba(seqs), clf_p.predict_proba(_pad(seqs)))


def test_classifier_per_step_labels_as_ragged_list():
    seqs, lengths = _ragged()
    y = [np.where(s[:, 0] > 0, "pos", "neg") for s in seqs]
    clf = LSTMClassifier(**FAST, return_sequences=True).fit(seqs, y)
    pred = clf.predict(seqs)
    assert [len(p) for p in pred] == lengths


@pytest.mark.parametrize("estimator", [LSTMRegressor, LSTMClassifier])
def test_ragged_targets_must_match_sequence_lengths(estimator):
    # Regression test: a per-step label list shorter than its sequence was
    # padded with the first label, so real steps got invented labels.
    seqs, lengths = _ragged()
    y = [np.arange(n) % 2 for n in lengths]
    y[2] = y[2][:-1]
    with pytest.raises(ValueError, match=r"y\[2\] has 6 steps, but sequence 2 of X has 7"):
        estimator(**FAST, return_sequences=True).fit(seqs, y)


@pytest.mark.parametrize("estimator", [LSTMRegressor, LSTMClassifier])
@pytest.mark.parametrize("method", ["fit", "score", "partial_fit"])
def test_ragged_targets_as_long_as_the_longest_sequence_are_refused(estimator, method):
    # Regression test: items all as long as the longest sequence were read as
    # padded rows, so a shorter sequence's extra targets (unseen labels too)
    # were dropped without a word.
    seqs, lengths = _ragged()
    longest = max(lengths)
    y = [np.arange(longest) % 2 for _ in lengths]
    model = estimator(**{**FAST, "solver": "adam"}, return_sequences=True)
    if method == "score":
        model.fit(seqs, [np.arange(n) % 2 for n in lengths])
    call = model.fit if method == "fit" else getattr(model, method)
    if method == "partial_fit" and estimator is LSTMClassifier:
        call = functools.partial(call, classes=[0, 1])
    with pytest.raises(ValueError, match=r"y\[0\] has 7 steps, but sequence 0 of X has 5.*"
                                         r"Padded targets.*as an array"):
        call(seqs, y)
    # The same rows as an array are padded targets, read up to each end.
    padded = np.array(y)
    estimator(**FAST, return_sequences=True).fit(seqs, padded)


def test_empty_per_step_targets():
    # Regression test: an empty target array first in the list raised IndexError.
    seqs, lengths = _ragged()
    y = [np.arange(n, dtype=float) for n in lengths]
    y[0] = np.array([])
    with pytest.raises(ValueError, match=r"y\[0\] has 0 steps, but sequence 0 of X has 5"):
        LSTMRegressor(**FAST, return_sequences=True).fit(seqs, y)


def test_ragged_targets_against_x():
    seqs, lengths = _ragged()
    out = check_sequence_targets(
        [np.arange(n, dtype=float) for n in lengths], check_sequences(seqs), True, numeric=True
    )
    assert out.shape == (6, 7, 1)
    assert_array_equal(out[2, :, 0], np.arange(7.0))
    assert_array_equal(out[1, 2:, 0], 0.0)  # padding, ignored by the loss
    with pytest.raises(ValueError, match="inconsistent numbers of samples: 6 and 5"):
        check_sequence_targets(
            [np.arange(n, dtype=float) for n in lengths[:5]], check_sequences(seqs), True, numeric=True
        )


# -- NaN that is not padding ----------------------------------------------------------


@pytest.mark.parametrize(
    "where, message",
    [
        ((2, 1, 0), "inside sequence 2 \\(step 1, channel 0\\)"),  # in the middle
        ((3, 0, 1), "inside sequence 3 \\(step 0, channel 1\\)"),  # leading
        ((1, 4, 1), "inside sequence 1 \\(step 4, channel 1\\)"),  # last step, one channel only
    ],
)
def test_nan_other_than_trailing_steps_is_an_error(where, message):
    X = _coded(4, 5, 2)
    X[where] = np.nan
    with pytest.raises(ValueError, match=message):
        check_sequences(X)
    with pytest.raises(ValueError, match=message):
        LSTMRegressor(**FAST).fit(X, np.ones(4))


def test_nan_before_a_sequences_start_is_told_to_pad_after_its_end():
    # Keras's pad_sequences pads before each start by default.
    X = _coded(4, 5, 2)
    X[2, :2] = np.nan
    with pytest.raises(ValueError, match=r"inside sequence 2 \(step 0, channel 0\)\. NaN is "
                                         r"only allowed as padding: .* Sequence 2 starts with 2 "
                                         r"all-NaN step\(s\), padding before its start .* pad "
                                         r"after each end instead \(padding='post'\)"):
        check_sequences(X)
    X[2, :2, 0] = 0.0  # one channel missing is no padding: told only where it is
    with pytest.raises(ValueError, match=r"step 0, channel 1\)\. NaN is only allowed as padding: "
                                         r"whole trailing steps after a sequence's end\.$"):
        check_sequences(X)


def test_nan_inside_a_ragged_sequence_names_it():
    seqs, _ = _ragged()
    seqs[4] = seqs[4].copy()
    seqs[4][2, 0] = np.nan
    with pytest.raises(ValueError, match="inside sequence 4"):
        check_sequences(seqs)


@pytest.mark.parametrize(
    "how, message",
    [
        ("3d", "sequence 1 is all padding"),
        # A list's sequences end where their arrays end: NaN in one is missing data.
        ("ragged", "NaN inside sequence 1 \\(step 0, channel 0\\)"),
    ],
)
def test_all_nan_sequence_is_an_error(how, message):
    X = _coded(3, 4, 1)
    X[1] = np.nan
    if how == "ragged":
        X = [X[0, :2], X[1], X[2, :3]]
    with pytest.raises(ValueError, match=message):
        LSTMRegressor(**FAST).fit(X, np.ones(3))


# -- other lengths at predict time ---------------------------------------------------


@pytest.mark.parametrize("estimator", [LSTMRegressor, LSTMClassifier])
def test_predict_on_other_lengths(estimator):
    X, y = _data(T=6, C=2)
    if estimator is LSTMClassifier:
        y = y > np.median(y)
    model = estimator(**FAST).fit(X, y)
    rng = np.random.RandomState(3)
    for T in (1, 3, 11):
        assert model.predict(rng.normal(size=(4, T, 2))).shape == (4,)
    ragged = [rng.normal(size=(n, 2)) for n in (1, 9, 4)]
    assert model.predict(ragged).shape == (3,)


def test_predict_other_lengths_many_to_many():
    X, _ = _data(T=6)
    model = LSTMRegressor(**FAST, return_sequences=True).fit(X, X[:, :, 0])
    assert model.predict(np.ones((2, 13, 1))).shape == (2, 13)
    out = model.predict([np.ones(3), np.ones(8)])
    assert out.shape == (2, 8)
    assert np.isnan(out[0, 3:]).all() and not np.isnan(out[1]).any()


def test_newest_first_per_step_targets_follow_the_columns():
    """With lag columns newest first, per-step y and predictions follow the columns."""
    rng = np.random.RandomState(0)
    X_old = rng.normal(size=(20, 5))  # oldest first
    y_old = np.cumsum(X_old, axis=1)
    params = dict(return_sequences=True, solver="lbfgs", max_iter=20, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        old = LSTMRegressor((3,), **params).fit(X_old, y_old)
        new = LSTMRegressor((3,), newest_first=True, **params).fit(X_old[:, ::-1], y_old[:, ::-1])
    for a, b in zip(old.coefs_, new.coefs_):
        for name in a:
            assert_array_equal(a[name], b[name])
    assert_allclose(new.predict(X_old[:, ::-1]), old.predict(X_old)[:, ::-1], rtol=1e-12)
    assert new.score(X_old[:, ::-1], y_old[:, ::-1]) == pytest.approx(old.score(X_old, y_old))


@pytest.mark.parametrize("layout, named", [
    (dict(n_channels=2), "n_channels=2 describes"),
    (dict(newest_first=True), "newest_first=True describes"),
    (dict(column_order="channel_major", n_exog=1), "column_order='channel_major', n_exog=1 "
                                                   "describe"),
])
def test_a_list_of_rows_is_refused_when_a_table_layout_is_declared(layout, named):
    # list(table) is a list of 1-D arrays, read as univariate sequences: a
    # declared table layout was ignored without a word (the newest lag read
    # as the oldest, two channels as one).
    rng = np.random.RandomState(0)
    table = rng.normal(size=(12, 4))
    with pytest.raises(ValueError, match=rf"list of 1-D arrays of equal length, .* {named} the columns of a "
                                         r"2-D table.*np\.asarray\(X\)"):
        check_sequences(list(table), **layout)
    model = LSTMRegressor((2,), max_iter=2, random_state=0, **layout).fit(table, table[:, 0])
    before = model.predict(table)
    with pytest.raises(ValueError, match=named):
        model.predict(list(table))
    assert_allclose(model.predict(table.tolist()), before)  # nested lists are a table
    # A list of 2-D sequences (n_timesteps, n_channels) is still read as sequences.
    if "n_channels" in layout:
        assert_allclose(model.predict([row.reshape(2, 2) for row in table]), before)


@pytest.mark.parametrize("as_list", [False, True], ids=["3-D", "list"])
def test_sequences_of_other_channels_than_a_declared_table_layout_are_refused_at_fit(as_list):
    # sktime's channels-first windows (n, 3, 4) with n_channels=3 declared
    # were read as 3 steps of 4 channels: the declaration was ignored.
    rng = np.random.RandomState(0)
    windows = rng.normal(size=(30, 3, 4))  # 3 channels of 4 steps, channels first
    y = windows[:, 0, -1]
    X = list(windows) if as_list else windows
    kind = "a list" if as_list else r"3-D, of shape \(30, 3, 4\),"
    with pytest.raises(ValueError, match=rf"n_channels=3 describes 2-D tables of 3 channel\(s\) "
                                         rf"per step, but X is {kind} read as .* with 4 "
                                         r"channel\(s\)\. Sequences carry their channels: leave "
                                         r"n_channels and n_exog at their defaults.*pass "
                                         r"data_format='channels_first' and "
                                         r"column_order='channel_major'\.$"):
        LSTMRegressor(**FAST, n_channels=3).fit(X, y)
    # The advice as written (channels_first alone is refused for n_channels > 1).
    LSTMRegressor(**FAST, n_channels=3, data_format="channels_first",
                  column_order="channel_major").fit(X, y)
    with pytest.raises(ValueError, match=r"n_channels=2 and n_exog=1 describe 2-D tables of 3"):
        LSTMRegressor(**FAST, n_channels=2, n_exog=1).fit(X, y)
    # Already read channels first, the message says so and does not advise it.
    with pytest.raises(ValueError, match=r"read as \(n_samples, n_channels, n_timesteps\) with "
                                         r"3 channel\(s\)\. .*\(n_channels \+ n_exog = 3\)\.$"):
        LSTMRegressor(**FAST, n_channels=4, column_order="channel_major",
                      data_format="channels_first").fit(X, y)
    # Read channels first, the declaration holds: tables of its layout then
    # predict as the sequences they flatten.
    model = LSTMRegressor(**FAST, n_channels=3, column_order="channel_major",
                          data_format="channels_first").fit(X, y)
    assert model.input_mean_.size == 3
    assert_allclose(model.predict(windows.reshape(30, -1)), model.predict(X), rtol=1e-12)
    # Declared as they are read, or not at all, sequences fit as before.
    assert LSTMRegressor(**FAST, n_channels=4).fit(X, y).input_mean_.size == 4
    assert LSTMRegressor(**FAST).fit(X, y).input_mean_.size == 4


@pytest.mark.parametrize("as_table", [True, False], ids=["table", "3-D"])
def test_channels_first_with_time_major_channels_is_refused_at_fit(as_table):
    # data_format was ignored on tables: rows of C channels declared in
    # time-major blocks were read so, at fit or, after a 3-D fit, at predict
    # (sktime's flattened panels hold each channel's steps in turn).
    rng = np.random.RandomState(0)
    panel = rng.normal(size=(30, 2, 5))
    rows, y = panel.reshape(30, -1), panel[:, 0, -1]  # each channel's steps in a block
    X = rows if as_table else panel
    with pytest.raises(ValueError, match=r"data_format='channels_first' with n_channels=2 and "
                                         r"column_order='time_major'.*pass "
                                         r"column_order='channel_major'"):
        LSTMRegressor(**FAST, data_format="channels_first", n_channels=2).fit(X, y)
    declared = LSTMRegressor(**FAST, data_format="channels_first", n_channels=2,
                             column_order="channel_major").fit(X, y)
    assert_allclose(declared.predict(rows), declared.predict(panel), rtol=1e-12)
    # One channel has no block order: a univariate table fits with it, as
    # a model that also reads channels-first sequences may.
    univariate = LSTMRegressor(**FAST, data_format="channels_first").fit(rows, y)
    assert_allclose(univariate.predict(rows), univariate.predict(rows[:, None, :]), rtol=1e-12)


def test_univariate_histories_of_different_lengths_are_sequences_whatever_the_layout():
    # Not a table's rows: only a list of equal-length 1-D arrays is refused.
    rng = np.random.RandomState(0)
    table = rng.normal(size=(12, 4))
    model = LSTMRegressor((2,), max_iter=2, random_state=0, newest_first=True)
    model.fit(table, table[:, 0])
    histories = [rng.normal(size=3), rng.normal(size=5)]
    assert_allclose(model.predict(histories),
                    model.predict([h[:, None] for h in histories]))


def test_a_pyarrow_tables_column_names_are_checked_at_predict():
    # The column count check read the table converted to an array, without
    # its names: swapped columns predicted silently.
    pa = pytest.importorskip("pyarrow")
    rng = np.random.RandomState(0)
    table = pa.table({name: rng.normal(size=8) for name in ("x0", "x1", "x2")})
    model = LSTMRegressor((2,), max_iter=2, random_state=0).fit(table, np.arange(8.0))
    with pytest.raises(ValueError, match="feature names should match"):
        model.predict(table.select(["x2", "x1", "x0"]))


@pytest.mark.parametrize("layout", [dict(n_exog=1), dict(n_channels=2)])
@pytest.mark.parametrize("n_columns", [1, 3])
def test_a_table_of_another_width_is_named_by_its_feature_count(layout, n_columns):
    # The layout was checked first: "n_exog=1 leaves no lag columns", "X has
    # 3 columns, which cannot hold n_channels=2 channels", never the count.
    table = np.random.RandomState(0).normal(size=(12, 4))
    model = LSTMRegressor((2,), max_iter=2, random_state=0, **layout).fit(table, table[:, 0])
    with pytest.raises(ValueError, match=f"X has {n_columns} features, but LSTMRegressor is "
                                         "expecting 4 features as input"):
        model.predict(table[:, :n_columns])
    with pytest.raises(ValueError, match=f"X has {n_columns} features"):
        model.predict(table[:, :n_columns].tolist())


def test_a_list_of_equal_length_arrays_holds_sequences_not_table_rows():
    rng = np.random.RandomState(0)
    seqs = [rng.normal(size=6) for _ in range(10)]
    y = rng.normal(size=10)
    out = check_sequences(seqs)
    assert out.values.shape == (10, 6, 1) and out.n_columns is None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        from_list = LSTMRegressor((3,), max_iter=2, random_state=0).fit(seqs, y)
        from_3d = LSTMRegressor((3,), max_iter=2, random_state=0).fit(np.stack(seqs)[:, :, None], y)
    assert_allclose(from_list.predict(seqs), from_3d.predict(np.stack(seqs)[:, :, None]))
    assert from_list.predict([seqs[0], seqs[1][:4]]).shape == (2,)  # ragged later: fine


def _frame_of_series(sequences, columns, as_series=True):
    """sktime's nested_univ panel of ``sequences`` (n_timesteps_i, n_channels)."""
    cell = pd.Series if as_series else np.asarray
    return pd.DataFrame({name: [cell(seq[:, c]) for seq in sequences]
                         for c, name in enumerate(columns)})


@pytest.mark.parametrize("as_series", [True, False])
def test_a_frame_of_series_is_the_list_of_its_rows(as_series):
    # sktime's loaders give this layout by default; it was refused ("holds
    # a Series at index (0,)").
    ragged = [_coded(1, n, 2)[0] + 1000 * k for k, n in enumerate([3, 5, 4])]
    seqs = check_sequences(_frame_of_series(ragged, ["a", "b"], as_series))
    expected = check_sequences(ragged)
    assert_array_equal(seqs.values, expected.values)
    assert_array_equal(seqs.lengths, expected.lengths)
    assert seqs.channel_names == ("a", "b")
    # The estimators see the same sequences, bit for bit.
    y = np.array([0.5, -1.0, 2.0] * 4)
    X = [_coded(1, n, 2)[0] * (k + 1) for k, n in enumerate([3, 5, 4] * 4)]
    frame = _frame_of_series(X, ["a", "b"], as_series)
    from_list = LSTMRegressor(**FAST).fit(X, y)
    from_frame = LSTMRegressor(**FAST).fit(frame, y)
    assert_array_equal(from_frame.loss_curve_, from_list.loss_curve_)
    assert_array_equal(from_frame.predict(frame), from_list.predict(X))
    assert_array_equal(from_frame.feature_names_in_, ["a", "b"])
    with pytest.raises(ValueError, match=r"channel names of X, \['b', 'a'\], differ"):
        from_frame.predict(frame[["b", "a"]])


def test_a_frame_of_series_classified_with_its_index_and_labels():
    rng = np.random.RandomState(0)
    X = [rng.normal(size=(rng.randint(5, 9), 1)) + (k % 2) for k in range(20)]
    frame = _frame_of_series(X, ["dim_0"]).set_axis([f"case{k}" for k in range(20)])
    labels = pd.Series(np.where(np.arange(20) % 2, "up", "down"), index=frame.index)
    model = LSTMClassifier(**FAST).fit(frame, labels)
    assert model.predict_proba(frame).shape == (20, 2)
    assert 0 <= model.score(frame, labels) <= 1


def test_a_frame_of_series_with_a_bad_cell_names_it():
    X = [np.arange(4.0)[:, None], np.arange(3.0)[:, None], np.arange(5.0)[:, None]]
    frame = _frame_of_series(X, ["a"]).set_axis([10, 20, 30])
    bad_cells = [
        (7.0, TypeError, r"X.loc\[20, 'a'\] holds a float: every cell must hold one"),
        (np.ones((3, 2)), TypeError, r"X.loc\[20, 'a'\] holds an array of shape \(3, 2\)"),
        (pd.Series(pd.date_range("2020-01-01", periods=3)), TypeError,
         r"X.loc\[20, 'a'\] holds dates or durations"),
        (pd.Series([1, 2, 0]).astype("category"), TypeError,
         r"X.loc\[20, 'a'\] has dtype category"),
        (pd.Series(["1", "2", "3"]), ValueError, r"X.loc\[20, 'a'\] holds strings"),
        (pd.Series([1.0, np.nan, 3.0]), ValueError,
         r"X.loc\[20, 'a'\] holds NaN at step 1. It is before the row's last real step"),
        (pd.Series([1.0, np.inf]), ValueError,
         r"X contains infinity at X.loc\[20, 'a'\], step 1. An LSTM reads finite values"),
        (pd.Series([np.nan, np.nan]), ValueError, r"Row 20 of X holds only NaN"),
        (pd.Series([], dtype=float), ValueError, r"Row 20 of X holds no steps"),
        (pd.Series([2**60, 2**60 + 1, 3]), ValueError, r"X.loc\[20, 'a'\] holds the integers"),
    ]
    for cell, error, message in bad_cells:
        frame.loc[20, "a"] = None
        frame.at[20, "a"] = cell
        with pytest.raises(error, match=message):
            check_sequences(frame)
    # Most cells decide, not the first: a frame of series with a bad first
    # cell is named as such; a table with a stray array is a table (its
    # message is test_input_safety's), as is a frame of 0-d arrays.
    frame = _frame_of_series(X, ["a"])
    frame.at[0, "a"] = None
    with pytest.raises(TypeError, match=r"X.loc\[0, 'a'\] holds None"):
        check_sequences(frame)
    with pytest.raises(TypeError, match=r"X.loc\[0, 'static'\] holds a float"):
        check_sequences(_frame_of_series(X, ["a"]).assign(static=1.0))
    scalars = pd.DataFrame({"a": [np.array(1.0), np.array(2.0)]}, dtype=object)
    assert_array_equal(check_sequences(scalars).values, [[[1.0]], [[2.0]]])
    # Half the cells are enough, and an array of another shape is named.
    for frame, message in [
        (pd.DataFrame({"a": [pd.Series([1.0, 2.0]), None]}), r"X.loc\[1, 'a'\] holds None"),
        (pd.DataFrame({"a": [pd.Series([1.0]), pd.Series([2.0])], "b": ["x", "y"]}),
         r"X.loc\[0, 'b'\] holds a str"),
        (pd.DataFrame({"a": [np.ones((3, 2)), np.ones((4, 2))]}),
         r"X.loc\[0, 'a'\] holds an array of shape \(3, 2\)"),
    ]:
        with pytest.raises(TypeError, match=message):
            check_sequences(frame)
    dated = _frame_of_series(X, ["a"]).set_axis(pd.date_range("2020-01-01", periods=3))
    dated.at[dated.index[1], "a"] = pd.Series([1.0, np.nan, 2.0])
    with pytest.raises(ValueError, match=r"X.loc\[Timestamp\('2020-01-02 00:00:00'\), 'a'\]"):
        check_sequences(dated)
    two = pd.DataFrame({"a": [pd.Series(np.ones(4))], "b": [pd.Series(np.ones(3))]})
    with pytest.raises(ValueError, match=r"Row 0 of X holds series of different lengths "
                                         r"\('a' 4, 'b' 3 steps\)"):
        check_sequences(two)
    with pytest.raises(ValueError, match=r"The column names of X repeat: 'a' \(2 times\)"):
        check_sequences(pd.DataFrame([[pd.Series(np.ones(4))] * 2], columns=["a", "a"]))
    # Distinct integers of one channel in two rows, which float64 would merge.
    wide = _frame_of_series([np.array([[2**60], [3]]), np.array([[2**60 + 1], [3]])], ["a"])
    with pytest.raises(ValueError, match=r"\(X.loc\[0, 'a'\], step 0\) and .*\(X.loc\[1, "
                                         r"'a'\], step 0\)"):
        check_sequences(wide)


def test_a_frame_of_series_padded_with_nan_reads_as_the_padded_array():
    # sktime pads series of unequal length with trailing NaN in every channel.
    rng = np.random.RandomState(0)
    padded = rng.normal(size=(6, 7, 2))
    padded[1, 4:] = np.nan
    padded[3, 6:] = np.nan
    frame = _frame_of_series(list(padded), ["a", "b"])
    seqs, expected = check_sequences(frame), check_sequences(padded)
    assert_array_equal(seqs.values, expected.values)
    assert_array_equal(seqs.lengths, [7, 4, 7, 6, 7, 7])
    y = rng.normal(size=6)
    model = LSTMRegressor(**FAST).fit(frame, y)
    assert_array_equal(model.predict(frame), LSTMRegressor(**FAST).fit(padded, y).predict(padded))
    with pytest.raises(ValueError, match=r"pass the columns in the fitted order, X\[\['a', "
                                         r"'b'\]\]"):
        model.predict(frame[["b", "a"]])
    with pytest.raises(ValueError, match=r"pass a DataFrame whose columns are the fitted ones"):
        model.predict(frame.rename(columns={"b": "c"}))


def test_a_frame_of_series_for_a_model_without_padding_refuses_every_nan():
    # The encoder-decoder reads no padding: trailing NaN were cut as padding
    # and its advice (what to put at the steps it does not read) was lost.
    from sklstm import LSTMEncoderDecoderRegressor

    rng = np.random.RandomState(0)
    X = rng.normal(size=(8, 6, 2))
    X[0, -1] = np.nan
    frame = _frame_of_series(list(X), ["a", "b"])
    model = LSTMEncoderDecoderRegressor(**FAST, horizon=2, n_future_channels=1)
    with pytest.raises(ValueError, match=r"X.loc\[0, 'a'\] holds NaN at step 5. The "
                                         r"encoder-decoder reads .* with no padding"):
        model.fit(frame, rng.normal(size=(8, 2)))


def test_sktime_loaders_default_layout_fits():
    datasets = pytest.importorskip("sktime.datasets")
    X, y = datasets.load_UCR_UEA_dataset("UnitTest", split="train")
    assert isinstance(X.iat[0, 0], pd.Series)  # the nested_univ layout
    model = LSTMClassifier(**FAST).fit(X, y)
    X3 = np.stack([np.column_stack([cell.to_numpy() for cell in row])
                   for row in X.itertuples(index=False)])
    with pytest.warns(UserWarning, match="X does not have channel names"):
        assert_array_equal(model.predict_proba(X), model.predict_proba(X3))


def _wide_panel(X3, time_major=False):
    """sktime's 'pd-wide' panel of ``X3`` (n, T, C): columns ``dim_<c>__<t>``,
    each variable's time points in a block (or each point's variables)."""
    n, T, C = X3.shape
    places = [(c, t) for t in range(T) for c in range(C)] if time_major else [
        (c, t) for c in range(C) for t in range(T)]
    return pd.DataFrame({f"dim_{c}__{t}": X3[:, t, c] for c, t in places})


@pytest.mark.parametrize("order", ["channel_major", "time_major"])
def test_a_wide_panel_read_as_one_channel_warns_with_its_layout(order):
    # Read by default, as one channel, sktime's pd-wide panel put each
    # variable's steps after the last variable's, silently.
    rng = np.random.RandomState(0)
    X3, y = rng.normal(size=(10, 5, 3)), rng.normal(size=10)
    wide = _wide_panel(X3, time_major=order == "time_major")
    with pytest.warns(DataLayoutWarning, match=re.escape(
            "named as sktime's 'pd-wide' panel, 5 time points of each of 3 variables (")
            + ".*" + re.escape(f"read as 15 steps of one channel (newest_first=False). Pass "
                               f"n_channels=3, column_order='{order}', newest_first=False")):
        LSTMRegressor(**FAST).fit(wide, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        advised = LSTMRegressor(**FAST, n_channels=3, column_order=order).fit(wide, y)
    native = LSTMRegressor(**FAST).fit(X3, y)
    assert_array_equal(advised.predict(wide), native.predict(X3))
    # One variable read newest first is read backwards.
    with pytest.warns(DataLayoutWarning, match=re.escape(
            "the time points dim_0__0 .. dim_0__4 of one variable, but they are read as 5 "
            "steps of one channel (newest_first=True). Pass newest_first=False")):
        LSTMRegressor(**FAST, newest_first=True).fit(_wide_panel(X3[:, :, :1]), y)


@pytest.mark.parametrize("columns", [
    ["dim_0__0", "dim_0__1", "dim_0__2", "dim_0__3"],  # one variable, read as it is
    ["num__0", "num__1", "cat__2", "cat__3"],  # ColumnTransformer's outputs
    ["a__0", "a__2", "b__0", "b__2"],  # time points that skip
    ["a__0", "a__1", "b__0", "b__1", "c"],  # a column named otherwise
    ["a__0", "b__0", "c__0", "d__0"],  # one time point: features
    ["a__5", "a__6", "b__5", "b__6"],  # sktime numbers points from 0
])
def test_names_that_are_no_wide_panel_read_otherwise_do_not_warn(columns):
    rng = np.random.RandomState(0)
    table = pd.DataFrame(rng.normal(size=(10, len(columns))), columns=columns)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        LSTMRegressor(**FAST).fit(table, rng.normal(size=10))


def test_a_wide_panel_declared_as_features_does_not_warn():
    # n_channels=X.shape[1] reads every column as a feature of one step: a
    # deliberate declaration, which only a filter could silence before.
    rng = np.random.RandomState(0)
    for columns in [[f"{s}__{k}" for s in ("accel", "gyro") for k in range(3)],
                    pd.MultiIndex.from_product([["accel", "gyro"], range(3)])]:
        table = pd.DataFrame(rng.normal(size=(10, 6)), columns=columns)
        with warnings.catch_warnings():
            warnings.simplefilter("error", DataLayoutWarning)
            LSTMRegressor(**FAST, n_channels=6).fit(table, rng.normal(size=10))


def _warns_and_reads_as_advised(table, X3, y, warning, advice, quiet=()):
    """``table`` (X3's values laid out as its names say) warns ``warning``
    read as one channel; read with ``advice`` it warns nothing and predicts
    as the fit of X3 itself. Each table of ``quiet`` (names of no such
    layout) fits without a warning."""
    with pytest.warns(DataLayoutWarning, match=re.escape(warning)):
        LSTMRegressor(**FAST).fit(table, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        advised = LSTMRegressor(**FAST, **advice).fit(table, y)
        for other in quiet:
            LSTMRegressor(**FAST).fit(other, y)
    assert_array_equal(advised.predict(table), LSTMRegressor(**FAST).fit(X3, y).predict(X3))


def test_a_panel_of_variable_and_time_point_columns_warns_with_its_layout():
    # A pivot of (variable, time point) columns was read as one channel of
    # both variables' steps, silently.
    rng = np.random.RandomState(0)
    X3, y = rng.normal(size=(10, 5, 2)), rng.normal(size=10)
    columns = pd.MultiIndex.from_product([["temp", "press"], range(5)])
    panel = pd.DataFrame(X3.transpose(0, 2, 1).reshape(10, -1), columns=columns)
    # Pairs of a text, or of one time point, are no panel of steps.
    others = [pd.MultiIndex.from_product([["temp", "press"], ["min", "max"]]),
              pd.MultiIndex.from_product([["temp", "press", "wind"], [0]])]
    _warns_and_reads_as_advised(
        panel, X3, y,
        "named as a panel of (variable, time point) columns, 5 time points of each of 2 "
        "variables (('temp', 0) .. ('temp', 4), ('press', 0) .. ('press', 4)), but they "
        "are read as 10 steps of one channel",
        dict(n_channels=2, column_order="channel_major"),
        quiet=[pd.DataFrame(rng.normal(size=(10, len(other))), columns=other)
               for other in others])


def test_series_to_supervised_names_are_read_as_lags():
    # var1(t-3), var2(t-3), .., var2(t-1): the widely copied recipe's lag
    # columns, each step's variables side by side, were read as one channel.
    rng = np.random.RandomState(0)
    X3, y = rng.normal(size=(10, 3, 2)), rng.normal(size=10)
    table = pd.DataFrame(X3.reshape(10, -1),
                         columns=[f"var{j}(t-{k})" for k in range(3, 0, -1) for j in (1, 2)])
    _warns_and_reads_as_advised(
        table, X3, y,
        "named as the same 3 lags of 2 variables (var1(t-3), var2(t-3), ..: each step's "
        "2 variables side by side), but they are read as 6 steps of one channel "
        "(newest_first=False). Pass n_channels=2, column_order='time_major', "
        "newest_first=False",
        dict(n_channels=2), quiet=[pd.DataFrame({"f(t)": y})])  # one step: a feature
    # With a space before the bracket too; only a bare "(t)" may be a unit.
    spaced = table.set_axis([f"var{j} (t-{k})" for k in range(3, 0, -1) for j in (1, 2)],
                            axis=1)
    with pytest.warns(DataLayoutWarning, match=r"named as the same 3 lags of 2 variables"):
        LSTMRegressor(**FAST).fit(spaced, y)
    # "Price (t)" beside lags of Price is its lag 0, not another column.
    current = pd.DataFrame(X3[:, :, 0], columns=["Price (t-2)", "Price (t-1)", "Price (t)"])
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        LSTMRegressor(**FAST).fit(current, y)
    one = pd.DataFrame(X3[:, :, 0], columns=["y(t-3)", "y(t-2)", "y(t-1)"])
    with pytest.warns(DataLayoutWarning, match=re.escape(
            "named as lags y(t-3) .. y(t-1) (oldest first), but they are read as 3 steps of "
            "one channel (newest_first=True). Pass newest_first=False")):
        LSTMRegressor(**FAST, newest_first=True).fit(one, y)


@pytest.mark.parametrize("names", [
    ["lag1", "lag2", "lag3"], ["Lag 1", "Lag 2", "Lag 3"], ["LAG_1", "LAG_2", "LAG_3"],
    ["shift_1", "shift_2", "shift_3"], ["y_lag1", "y_lag2", "y_lag3"],
])
def test_lags_named_by_hand_read_oldest_first_warn(names):
    # pd.concat({f"lag{k}": s.shift(k) for k in (1, 2, 3)}, axis=1): newest
    # first, read oldest first without a word.
    rng = np.random.RandomState(0)
    X3, y = rng.normal(size=(10, 3, 1)), rng.normal(size=10)
    table = pd.DataFrame(X3[:, ::-1, 0], columns=names)
    # Names where "lag" is part of a word name no lag, nor do a unit in
    # brackets (tonnes) or a work shift.
    others = [["flag_1", "collagen_2", "blag3"], ["Load (t)", "Mass (t)", "Cap (t)"],
              ["Shift 1", "Shift 2", "Shift 3"]]
    _warns_and_reads_as_advised(
        table, X3, y,
        f"named as lags {names[0]} .. {names[2]} (newest first), but they are read as 3 "
        "steps of one channel (newest_first=False). Pass newest_first=True",
        dict(newest_first=True), quiet=[table.set_axis(other, axis=1) for other in others])


def test_sktime_wide_panel_read_as_advised_equals_its_nested_frame():
    datasets = pytest.importorskip("sktime.datasets")
    wide, y = datasets.load_basic_motions(split="train", return_type="pd-wide")
    nested, _ = datasets.load_basic_motions(split="train", return_type="nested_univ")
    with pytest.warns(DataLayoutWarning, match="Pass n_channels=6, column_order='channel_major'"):
        LSTMClassifier(**FAST).fit(wide, y)
    advised = LSTMClassifier(**FAST, n_channels=6, column_order="channel_major").fit(wide, y)
    from_nested = LSTMClassifier(**FAST).fit(nested, y)
    assert_array_equal(advised.predict_proba(wide), from_nested.predict_proba(nested))


def test_channels_on_the_other_axis_at_predict_are_named_with_the_transpose():
    # Fit on sktime's nested frames, predict on its numpy3D: the channel
    # count differed with no hint that the axes were swapped.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(12, 9, 3))
    model = LSTMRegressor(**FAST).fit(X, rng.normal(size=12))
    transposed = X.transpose(0, 2, 1)
    with pytest.raises(ValueError, match=r"X has 9 channels, but LSTMRegressor was fitted with "
                                         r"3 channels. Its axis 1 holds 3: .* pass "
                                         r"X.transpose\(0, 2, 1\)"):
        model.predict(transposed)
    assert_array_equal(model.predict(np.ascontiguousarray(transposed.transpose(0, 2, 1))),
                       model.predict(X))
    # A frame of series is no table: no advice on a table's columns.
    first = LSTMRegressor(**FAST, data_format="channels_first").fit(transposed, np.arange(12.0))
    # A list of sequences the other way round (sktime's df-list, time by
    # variable, for a channels-first model) gets the hint too.
    frames = [pd.DataFrame(x) for x in X]  # 9 steps of 3 channels each
    with pytest.raises(ValueError, match=r"X has 9 channels, .* fitted with 3 channels\. Each of "
                                         r"its sequences has 3 along its other axis, as many as "
                                         r"the model was fitted with: .* pass "
                                         r"\[x\.T for x in X\]\.$"):
        first.predict(frames)
    assert_array_equal(first.predict([x.T for x in frames]), first.predict(transposed))
    # Nor for 5 steps of 3 channels, read as 3 steps of 5: too few to tell.
    with pytest.raises(ValueError, match=r"X has 5 channels, .* fitted with 3 channels\.$"):
        first.predict([pd.DataFrame(x) for x in X[:, :5]])
    # Ragged, as a df-list usually is, it is told the same.
    ragged = [x[:k] for k, x in zip((7, 8, 9), X[:3])]  # (n_timesteps_i, 3) each
    with pytest.raises(ValueError, match=r"sequence 0 has 7, sequence 1 has 8\. Each of its "
                                         r"sequences has 3 along its other axis, as many as the "
                                         r"model was fitted with: .* pass "
                                         r"\[x\.T for x in X\]\.$"):
        first.predict(ragged)
    assert_array_equal(first.predict([x.T for x in ragged])[0],
                       first.predict(transposed[:1, :, :7])[0])
    # Sequences of 3 steps of 3 and 4 channels are no sign of it.
    with pytest.raises(ValueError, match=r"sequence 0 has 3, sequence 1 has 4\.$"):
        LSTMRegressor(**FAST).fit(X, np.arange(12.0)).predict(
            [rng.normal(size=(3, c)) for c in (3, 4)])
    frame = _frame_of_series(list(X[:, :, :2]), ["a", "b"])
    with pytest.raises(ValueError, match=r"X has 2 channels, .* fitted with 3 channels\.$"):
        first.predict(frame)


def test_pytorchs_habits_are_told_the_layout_sklstm_reads():
    # A PackedSequence (a named tuple of 4 fields) predicted 4 values, one per
    # field; time-major X was told only that the sample counts differ.
    from collections import namedtuple

    rng = np.random.RandomState(0)
    seqs = [rng.normal(size=(n, 2)) for n in (5, 3, 4, 2)]
    model = LSTMRegressor((3,), solver="lbfgs", max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(seqs, np.arange(4.0))
    # torch.nn.utils.rnn.PackedSequence's fields, as pack_sequence fills them
    packed_sequence = namedtuple("PackedSequence",
                                 "data batch_sizes sorted_indices unsorted_indices")
    packed = packed_sequence(np.concatenate(seqs), np.array([4, 4, 3, 2, 1]),
                             np.array([0, 2, 1, 3]), np.array([0, 2, 1, 3]))
    for call in (model.predict, lambda X: model.fit(X, np.arange(4.0))):
        with pytest.raises(TypeError, match=re.escape(
                "X is a PackedSequence, a named tuple whose 4 fields would read as 4 "
                "sequences. Unpack it with torch.nn.utils.rnn.pad_packed_sequence(X, "
                "batch_first=True, padding_value=float('nan'))")):
            call(packed)
    with pytest.raises(TypeError, match=r"X is a Pair, a named tuple whose 2 fields would read "
                                        r"as 2 sequences\. Pass its sequences as a list"):
        model.predict(namedtuple("Pair", "first second")(*seqs[:2]))
    # The advice: NaN after each end, as pad_packed_sequence's padding_value gives.
    padded = np.full((4, 5, 2), np.nan)
    for k, seq in enumerate(seqs):
        padded[k, :len(seq)] = seq
    assert_array_equal(model.predict(padded), model.predict(seqs))
    # Time-major (PyTorch's batch_first=False): steps first, then samples.
    X = rng.normal(size=(30, 6, 2))
    for time_major in (X.swapaxes(0, 1), X[:, :, 0].T):
        with pytest.raises(ValueError, match=r"inconsistent numbers of samples: 6 and 30\. X "
                                             r"reads as 6 sequences of 30 steps: if its first "
                                             r"two axes are steps then samples .* pass "
                                             r"X\.swapaxes\(0, 1\)\."):
            LSTMRegressor().fit(time_major, X[:, -1, 0])
