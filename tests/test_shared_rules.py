"""Each rule that several places need has one home; these tests go through
every public path that uses it.

- per-step weights: ``_loss.step_weights`` (training loss, early-stopping
  score, ``score``);
- logits to probabilities: ``_loss.class_probabilities`` (``predict_proba``,
  ``predict_log_proba``; training uses the same activations);
- the standardisation rule: ``_scaling.mean_and_scale`` (``fit``, the first
  ``partial_fit``, early stopping's training part);
- the commit of fitted state: ``BaseLSTM._commit`` (``fit``, ``partial_fit``,
  warm start).
"""


import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import accuracy_score, r2_score

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm._loss import OUTPUT_ACTIVATIONS, class_probabilities
from sklstm._scaling import mean_and_scale, unit_exponents

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
FAST = dict(hidden_layer_sizes=(3,), max_iter=3, random_state=0)


def ragged_problem(seed=0, n=10):
    """Sequences of 2..5 steps, 2 channels, per-step targets, sample weights."""
    rng = np.random.RandomState(seed)
    lengths = rng.randint(2, 6, size=n)
    X = [rng.normal(size=(k, 2)) for k in lengths]
    y = [x[:, 0] + 0.1 * rng.normal(size=len(x)) for x in X]
    return X, y, rng.uniform(0.5, 2.0, size=n), lengths


def per_step_weights(sample_weight, lengths):
    """Each real step weighs its sequence's weight over its length, written out."""
    return np.concatenate([np.full(k, w / k) for w, k in zip(sample_weight, lengths)])


# -- per-step weights --------------------------------------------------------------


def test_per_step_weights_in_regressor_score():
    X, y, sw, lengths = ragged_problem()
    model = LSTMRegressor(**FAST, return_sequences=True).fit(X, y, sample_weight=sw)
    pred = np.concatenate([p[:k] for p, k in zip(model.predict(X), lengths)])
    expected = r2_score(np.concatenate(y), pred, sample_weight=per_step_weights(sw, lengths))
    assert model.score(X, y, sample_weight=sw) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
@pytest.mark.parametrize("power", [1018, -1040])
def test_score_reads_only_the_weights_ratios(Estimator, power):
    """Weights whose sum overflows float64, or lies below its normal range,
    score as the same weights times a power of two; a fit needs their scale
    (its L2 penalty is alpha / sum(weights)) and refuses them, score did too."""
    X, y, _, _ = ragged_problem(2, n=20)
    targets = np.array([t[-1] for t in y])
    y = targets if Estimator is LSTMRegressor else targets > 0
    model = Estimator(**FAST).fit(X, y)
    weights = np.arange(1.0, 21.0)
    scaled = np.ldexp(weights, power)  # exact, subnormal ones too
    limits = np.finfo(np.float64)
    assert not limits.tiny <= scaled.sum() <= limits.max
    assert model.score(X, y, sample_weight=scaled) == model.score(X, y, sample_weight=weights)
    with pytest.raises(ValueError, match="sample_weight sums to"):
        Estimator(**FAST).fit(X, y, sample_weight=scaled)


def test_per_step_weights_in_classifier_score_and_early_stopping():
    X, y, sw, lengths = ragged_problem(1, n=20)
    labels = [np.where(t > 0, "up", "down") for t in y]
    clf = LSTMClassifier(**FAST, return_sequences=True, early_stopping=True,
                         validation_fraction=0.25).fit(X, labels, sample_weight=sw)
    pred = np.concatenate(clf.predict(X))
    expected = accuracy_score(np.concatenate(labels), pred,
                              sample_weight=per_step_weights(sw, lengths))
    assert clf.score(X, labels, sample_weight=sw) == pytest.approx(expected, rel=1e-12)
    # early stopping scored the tail (last 5 sequences) by the same rule; the
    # weights kept are those of the first epoch of least validation loss
    val = slice(15, 20)
    val_score = accuracy_score(
        np.concatenate(labels[val]), np.concatenate(clf.predict(X[val])),
        sample_weight=per_step_weights(sw[val], lengths[val]),
    )
    best = int(np.argmin(clf.validation_loss_curve_))
    assert clf.validation_scores_[best] == pytest.approx(val_score, rel=1e-12)


def test_sequence_weights_in_classifier_score_and_early_stopping():
    """With one label per sequence too: score ignored sample_weight (plain
    accuracy), and so did early stopping's validation score; the per-step
    test above takes the other branch."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 5, 2))
    y = np.where(X[:, -1, 0] + 0.5 * rng.normal(size=40) > 0, "up", "down")
    sw = np.arange(1.0, 41.0)
    clf = LSTMClassifier(**FAST, early_stopping=True, validation_fraction=0.25).fit(
        X, y, sample_weight=sw)
    pred = clf.predict(X)
    # Weights that make plain and weighted accuracy far apart.
    w = np.where(pred == y, 1.0, 10.0)
    assert clf.score(X, y, sample_weight=w) == pytest.approx(
        accuracy_score(y, pred, sample_weight=w), rel=1e-12)
    assert accuracy_score(y, pred, sample_weight=w) != pytest.approx(accuracy_score(y, pred))
    # The held-out tail (the last 10 sequences), scored with its weights.
    best = int(np.argmin(clf.validation_loss_curve_))
    val = slice(30, 40)
    assert clf.validation_scores_[best] == pytest.approx(
        accuracy_score(y[val], pred[val], sample_weight=sw[val]), rel=1e-12)


def test_per_step_weights_in_the_training_loss():
    """With all weights zero the network predicts 0 at every step, so the
    loss of one full-batch epoch (taken before its update) is the per-step
    weighted mean of ½ y²."""
    X, y, sw, lengths = ragged_problem(2)
    model = LSTMRegressor(**FAST, return_sequences=True, alpha=0.0, solver="sgd",
                          scale_targets=False)
    model.fit(X, y, sample_weight=sw)
    for layer in model.coefs_:
        for name in layer:
            layer[name][...] = 0.0
    model.out_coef_[...] = 0.0
    model.out_intercept_[...] = 0.0
    model.partial_fit(X, y, sample_weight=sw)  # one batch: batch_size "auto" is n
    w = per_step_weights(sw, lengths)
    expected = np.sum(w * 0.5 * np.concatenate(y) ** 2) / w.sum()
    assert model.loss_curve_[-1] == pytest.approx(expected, rel=1e-12)


# -- logits to probabilities -------------------------------------------------------


@pytest.mark.parametrize("kind", ["binary", "multiclass", "multilabel"])
def test_probabilities_of_every_classifier_kind(kind):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 4, 1))
    s = X[:, :, 0].sum(axis=1)
    y = {"binary": s > 0, "multiclass": np.digitize(s, [-1, 1]),
         "multilabel": np.c_[s > 0, X[:, -1, 0] > 0].astype(int)}[kind]
    clf = LSTMClassifier(**FAST).fit(X, y)
    z, _ = clf._logits(X)
    multilabel = kind == "multilabel"
    proba = clf.predict_proba(X)
    np.testing.assert_array_equal(proba, class_probabilities(z, multilabel=multilabel))
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)
    # training's output activation gives the same probabilities
    activation = OUTPUT_ACTIVATIONS["softmax" if kind == "multiclass" else "logistic"]
    np.testing.assert_array_equal(activation(z), proba if kind != "binary" else proba[:, 1:])


# -- the standardisation rule ------------------------------------------------------


def expected_statistics(X, sample_weight):
    rows = np.concatenate(X)
    weights = np.concatenate([np.full(len(x), w) for x, w in zip(X, sample_weight)])
    return mean_and_scale(rows, weights)


@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
def test_input_statistics_follow_the_one_rule(Estimator):
    X, y, sw, _ = ragged_problem(3)
    X = [np.c_[x, np.full(len(x), 7.0)] for x in X]  # a constant third channel
    y = np.array([t[-1] for t in y])
    if Estimator is LSTMClassifier:
        y = y > 0
    mean, scale = expected_statistics(X, sw)
    assert scale[2] == 1.0  # the constant channel is centred, not scaled
    for model in (
        Estimator(**FAST).fit(X, y, sample_weight=sw),
        Estimator(**FAST).partial_fit(
            X, y, sample_weight=sw, **({"classes": [False, True]} if y.dtype == bool else {})
        ),
    ):
        np.testing.assert_allclose(model.input_mean_, mean, rtol=1e-12)
        np.testing.assert_allclose(model.input_scale_, scale, rtol=1e-12)
    # early stopping: the statistics of the training part (the head) only
    early = Estimator(**FAST, early_stopping=True, validation_fraction=0.3)
    early.fit(X, y, sample_weight=sw)
    mean, scale = expected_statistics(X[:7], sw[:7])
    np.testing.assert_allclose(early.input_mean_, mean, rtol=1e-12)
    np.testing.assert_allclose(early.input_scale_, scale, rtol=1e-12)


def test_statistics_are_those_of_numpy_and_scale_free():
    rng = np.random.RandomState(0)
    values = rng.normal(loc=3.0, size=(50, 3))
    weights = rng.uniform(size=50)
    mean, scale = mean_and_scale(values)
    np.testing.assert_array_equal(mean, values.mean(axis=0))  # unweighted: to the bit
    np.testing.assert_array_equal(scale, values.std(axis=0))
    mean, scale = mean_and_scale(values, weights)
    np.testing.assert_allclose(mean, np.average(values, axis=0, weights=weights), rtol=1e-13)
    np.testing.assert_allclose(
        scale, np.sqrt(np.average((values - mean) ** 2, axis=0, weights=weights)), rtol=1e-13
    )
    # Rows of weight zero count for nothing, not even their magnitude.
    padded = np.r_[values, np.full((5, 3), 1e300)]
    np.testing.assert_array_equal(mean_and_scale(padded, np.r_[weights, np.zeros(5)])[1], scale)
    for factor in (1e-300, 1e-16, 1e300):
        np.testing.assert_allclose(mean_and_scale(values * factor, weights)[1], scale * factor,
                                   rtol=1e-13)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("weighted", ["none", "positive", "some zero"])
def test_statistics_leave_their_input_as_it_was(dtype, weighted):
    # They overwrite their own float64 copy (of a float32 input, or of the
    # rows of positive weight), never the caller's values or weights.
    rng = np.random.RandomState(1)
    values = rng.normal(loc=2.0, size=(30, 3)).astype(dtype)
    weights = {"none": None, "positive": rng.uniform(0.5, 2, 30),
               "some zero": rng.uniform(0.5, 2, 30) * (np.arange(30) % 3 > 0)}[weighted]
    kept = [values.copy(), None if weights is None else weights.copy()]
    mean, scale = mean_and_scale(values, weights)
    np.testing.assert_array_equal(values, kept[0])
    if weights is not None:
        np.testing.assert_array_equal(weights, kept[1])
    as_float64 = values.astype(np.float64)
    np.testing.assert_allclose(mean, np.average(as_float64, axis=0, weights=weights), rtol=1e-13)
    np.testing.assert_allclose(
        scale, np.sqrt(np.average((as_float64 - mean) ** 2, axis=0, weights=weights)),
        rtol=1e-12,
    )


def test_a_column_constant_up_to_rounding_keeps_its_noise_at_rounding_size():
    """At any level, rounding noise is neither blown up to unit size nor, at
    scale 1, left at its absolute size (16384 around 1e20, where a fit's
    score fell from 0.99 to 0.02); a variation of 1e-6 is data."""
    z = np.random.RandomState(0).normal(size=20)
    for level in (0.1, 1.0, 7.0, 1e-200, 1e20, 1e200):
        unit = np.c_[np.ones(20), 1 + np.finfo(float).eps * z, 1 + 1e-6 * z]
        values = level * unit
        mean, scale = mean_and_scale(values)
        np.testing.assert_allclose(mean, level * unit.mean(axis=0), rtol=1e-15)
        assert scale[0] == 1.0  # exactly constant: centred to zeros
        assert scale[1] == np.abs(values[:, 1]).max()
        assert np.abs((values[:, 1] - mean[1]) / scale[1]).max() < 1e-14
        np.testing.assert_allclose(scale[2], level * unit[:, 2].std(), rtol=1e-9)
    mean, scale = mean_and_scale(np.zeros((4, 1)))
    assert mean == 0.0 and scale == 1.0


def test_a_channel_constant_up_to_rounding_fits_as_the_exact_constant():
    """Around 1e20 its rounding noise entered the network at 16384 a unit in
    the last place, and the score fell from 0.99 to 0.02 without a word."""
    rng = np.random.RandomState(0)
    X = rng.uniform(size=(40, 6, 2))
    y = X[:, -2:, 0].sum(axis=1)
    exact, rounded = X.copy(), X.copy()
    exact[:, :, 1] = 1e20
    rounded[:, :, 1] = 1e20 * (1 + 4 * np.finfo(float).eps * rng.randint(-3, 4, size=(40, 6)))
    assert np.unique(rounded[:, :, 1]).size > 1
    kw = dict(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=30, random_state=0)
    on_exact = LSTMRegressor(**kw).fit(exact, y)  # ConvergenceWarning filtered above
    on_rounded = LSTMRegressor(**kw).fit(rounded, y)
    np.testing.assert_allclose(on_rounded.predict(rounded), on_exact.predict(exact), rtol=1e-9)
    assert on_rounded.score(rounded, y) > 0.9


@pytest.mark.parametrize("level", [0.001, 0.7, 123.456])
def test_a_constant_column_of_many_weighted_rows_stays_constant(level):
    # A BLAS dot product over 1e5 rows once left a rounding spread of about
    # 1e-16 * level, read as a varying column and scaled up by 1e16.
    n = 100_000
    weights = np.r_[np.ones(n // 2), np.random.RandomState(0).uniform(size=n - n // 2)]
    mean, scale = mean_and_scale(np.full((n, 1), level), weights)
    assert scale[0] == 1.0
    np.testing.assert_allclose(mean, level, rtol=1e-15)


def test_a_column_whose_scale_underflows_is_constant():
    # Its standard deviation, 2.5e-324 once scaled back, rounds to 0.
    for weights in (None, np.ones(2)):
        assert mean_and_scale(np.array([[5e-324], [0.0]]), weights)[1][0] == 1.0
    # A spread that is subnormal but not 0 is still data, and scaled.
    unit = 1 + 1e-9 * np.random.RandomState(0).normal(size=(50, 1))
    np.testing.assert_allclose(mean_and_scale(1e-300 * unit)[1], 1e-300 * unit.std(), rtol=1e-6)


def test_statistics_of_no_rows_are_refused():
    with pytest.raises(ValueError, match="y has no row of positive weight"):
        mean_and_scale(np.ones((3, 1)), np.zeros(3), what="y")


def test_statistics_of_non_finite_values_are_refused():
    with pytest.raises(ValueError, match="X holds values that are not finite"):
        mean_and_scale(np.array([[1.0], [np.inf]]))
    with pytest.raises(ValueError, match="The weights of y are not all finite"):
        mean_and_scale(np.ones((2, 1)), np.array([1.0, np.nan]), what="y")


# -- committing fitted state -------------------------------------------------------


def test_fit_replaces_all_fitted_state():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 3))
    y = X.sum(axis=1)
    model = LSTMRegressor(**FAST).fit(pd.DataFrame(X, columns=["a", "b", "c"]), y)
    assert hasattr(model, "feature_names_in_") and hasattr(model, "_optimizer")
    model.set_params(solver="lbfgs").fit(X, y)  # no names, no stochastic optimizer
    assert not hasattr(model, "feature_names_in_")
    assert not hasattr(model, "_optimizer")
    assert model.validation_loss_curve_ == [] and model.best_validation_loss_ is None


def test_warm_start_and_partial_fit_keep_the_history():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 4, 1))
    y = X[:, -1, 0]
    model = LSTMRegressor(**FAST).fit(X, y)
    curve, t = list(model.loss_curve_), model.t_
    model.partial_fit(X, y)
    assert model.loss_curve_[:3] == curve and model.n_iter_ == 4 and model.t_ == t + 20
    model.set_params(warm_start=True).fit(X, y)
    assert model.loss_curve_[:4] == curve + model.loss_curve_[3:4] and model.n_iter_ == 7


def test_commit_refuses_an_undeclared_name():
    model = LSTMRegressor()
    with pytest.raises(RuntimeError, match="_scratch"):
        model._commit({"coefs_": [], "_scratch": 1})
    assert "coefs_" not in vars(model)


@pytest.mark.parametrize("n_rows", [1000, 4097])
def test_weighted_statistics_do_not_depend_on_the_memory_layout(n_rows):
    # A column-major table (a DataFrame of targets built from columns)
    # gave BLAS's dot products another order of summation: the last bits
    # of target_mean_ and target_scale_ depended on how y was laid out.
    from sklstm._scaling import column_statistics

    rng = np.random.default_rng(1)
    values = rng.normal(3.0, 2.0, size=(n_rows, 7)) * rng.uniform(0.1, 100, size=7)
    weights = rng.uniform(0.5, 2.0, size=n_rows)
    by_rows = column_statistics(np.ascontiguousarray(values), weights)
    by_columns = column_statistics(np.asfortranarray(values), weights)
    for a, b in zip(by_rows, by_columns):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("values_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("statistics_dtype", [np.float32, np.float64])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("chunk_mib", [1, 1e-3], ids=["one chunk", "chunks of 13"])
def test_standardising_is_numpys_expression_rounded_once(
    values_dtype, statistics_dtype, dtype, chunk_mib, monkeypatch
):
    # (X - mean) / scale in NumPy's dtype for the three, then rounded to the
    # network's dtype, whichever of them is float32 (statistics set by hand
    # may be); in place or in chunks, never another rounding. Padding: zero.
    import sklstm._base
    from sklstm._base import BaseLSTM
    from sklstm._validation import Sequences

    monkeypatch.setattr(sklstm._base, "_STANDARDISE_CHUNK_MIB", chunk_mib)
    rng = np.random.default_rng(2)
    X = rng.normal(3.0, 7.0, size=(300, 5, 2)).astype(values_dtype)
    X[0, 3:] = 0.0
    mean = rng.normal(size=2).astype(statistics_dtype)
    scale = rng.uniform(0.5, 3, size=2).astype(statistics_dtype)
    seqs = Sequences(X, np.r_[3, np.full(299, 5)], None)
    expected = ((X - mean) / scale).astype(dtype)
    expected[0, 3:] = 0.0
    got = BaseLSTM._standardised(seqs, mean, scale, dtype).values
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, expected)
    np.testing.assert_array_equal(seqs.values, X)  # the input stays as it was


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_the_exponent_of_one_number_is_that_of_an_array_holding_it(dtype):
    # unit_exponents reads a 0-d array (a sum of weights, at every training
    # step) without the reductions; a 1-element array takes the general rule.
    info = np.finfo(dtype)
    values = [0.0, -0.0, 1.0, 0.5, -0.75, 3.0, float(info.tiny), float(info.smallest_subnormal),
              float(info.max), -float(info.max), np.inf, -np.inf, np.nan]
    values += list(np.random.default_rng(0).standard_normal(200) * 10.0 ** np.arange(-20, 20, 0.2))
    for value in np.array(values, dtype=dtype):
        expected = unit_exponents(value.reshape(1))
        assert unit_exponents(np.asarray(value)) == expected, value
        assert unit_exponents(value) == expected, value  # a NumPy scalar


def test_the_exponent_of_a_wider_number_is_its_own():
    # Numbers a Python float does not hold take the array rule: 2**2000 in
    # an extended long double has exponent 2001, where float() would be inf.
    if np.finfo(np.longdouble).maxexp <= 1024:
        pytest.skip("long double is float64 on this platform")
    assert unit_exponents(np.longdouble(2) ** 2000) == 2001
    assert unit_exponents(np.asarray(np.longdouble(2) ** -2000)) == -1999
