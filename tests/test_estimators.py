"""LSTMRegressor and LSTMClassifier as scikit-learn estimators.

Fitted attributes, targets of every kind, sample and class weights, weights
set by hand or copied from PyTorch's layout against an independent NumPy
transcription of the equations, parameter validation, and the model
selection tools, in one process and across processes.
"""

import math
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import expit, log_softmax, softmax
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.class_weight import compute_sample_weight

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm.core import lstm_forward
from sklstm._weights import balanced_sample_weight

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


def sequences(n_samples=30, n_steps=5, n_channels=1, seed=0):
    return np.random.RandomState(seed).normal(size=(n_samples, n_steps, n_channels))


def ragged(n_samples=24, seed=0, max_len=6):
    rng = np.random.RandomState(seed)
    lengths = rng.randint(1, max_len + 1, size=n_samples)
    lengths[0] = max_len
    return [rng.normal(size=(n, 1)) for n in lengths], lengths


def padded(seqs):
    """NaN-padded 3-D array of a list of (n_i, c) arrays."""
    T = max(len(s) for s in seqs)
    out = np.full((len(seqs), T, seqs[0].shape[1]), np.nan)
    for k, s in enumerate(seqs):
        out[k, : len(s)] = s
    return out


# -- fitted attributes -------------------------------------------------------------


@ignore_convergence
@pytest.mark.parametrize(
    "peephole, coupled, blocks, peep_rows",
    [(False, False, 4, None), (True, False, 4, 3), (True, True, 3, 2)],
    ids=["plain", "peephole", "coupled-peephole"],
)
def test_fitted_attributes_have_the_documented_shapes(peephole, coupled, blocks, peep_rows):
    X = sequences(n_channels=2)
    y = np.c_[X[:, -1].sum(axis=1), X[:, 0, 0], X[:, 2, 1]]
    model = LSTMRegressor((4, 3), peephole=peephole, coupled_gates=coupled, max_iter=3,
                          random_state=0).fit(X, y)
    assert isinstance(model.coefs_, list) and len(model.coefs_) == 2
    # 5 steps of 2 channels are one patch of 10 values: the first layer reads
    # patch_length_ * n_channels inputs.
    assert model.patch_length_ == 5
    for layer, n_in, H in zip(model.coefs_, (10, 4), (4, 3)):
        assert set(layer) == ({"W", "R", "b", "p"} if peephole else {"W", "R", "b"})
        assert layer["W"].shape == (n_in, blocks * H)
        assert layer["R"].shape == (H, blocks * H)
        assert layer["b"].shape == (blocks * H,)
        if peephole:
            assert layer["p"].shape == (peep_rows, H)
    assert model.out_coef_.shape == (3, 3) and model.out_intercept_.shape == (3,)
    assert model.n_outputs_ == 3 and model.n_features_in_ == 2
    assert model.input_mean_.shape == model.input_scale_.shape == (2,)
    assert not hasattr(model, "feature_names_in_")
    assert model.n_iter_ == len(model.loss_curve_) == 3
    assert model.t_ == 3 * len(X)
    assert isinstance(model.loss_, float) and model.loss_ == model.loss_curve_[-1]
    assert model.best_loss_ == min(model.loss_curve_)
    assert model.validation_loss_curve_ == [] and model.best_validation_loss_ is None
    assert model.predict(X).shape == (30, 3)


@ignore_convergence
def test_dataframe_input_sets_feature_names():
    X = sequences(n_steps=4)[:, :, 0]
    frame = pd.DataFrame(X, columns=["lag_4", "lag_3", "lag_2", "lag_1"])
    y = X[:, -2:].sum(axis=1)
    model = LSTMRegressor((2,), solver="lbfgs", max_iter=3, random_state=0).fit(frame, y)
    np.testing.assert_array_equal(model.feature_names_in_, frame.columns)
    assert model.n_features_in_ == 4
    with pytest.warns(UserWarning, match="does not have valid feature names"):
        np.testing.assert_array_equal(model.predict(frame), model.predict(X))
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame.rename(columns={"lag_1": "lag_0"}))
    model.fit(X, y)  # refitting without names forgets them
    assert not hasattr(model, "feature_names_in_")


@ignore_convergence
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
def test_float32_input_trains_in_float32(Estimator, solver):
    X = sequences(n_samples=12)
    y = X[:, -2:, 0].sum(axis=1)
    y = y if Estimator is LSTMRegressor else y > 0
    model = Estimator((3,), solver=solver, max_iter=3, random_state=0)
    model.fit(X.astype(np.float32), y)
    arrays = [v for layer in model.coefs_ for v in layer.values()]
    assert all(a.dtype == np.float32 for a in arrays + [model.out_coef_, model.out_intercept_])
    out = model.predict(X) if Estimator is LSTMRegressor else model.predict_proba(X)
    assert out.dtype == np.float32
    assert isinstance(model.loss_, float)
    model64 = Estimator((3,), solver=solver, max_iter=3, random_state=0).fit(X, y)
    assert model64.out_coef_.dtype == np.float64


# -- outputs -----------------------------------------------------------------------


@ignore_convergence
def test_single_and_multi_output_regression():
    X = sequences(n_samples=16)
    fit = dict(hidden_layer_sizes=(2,), max_iter=2, random_state=0)
    assert LSTMRegressor(**fit).fit(X, X[:, -1, 0]).predict(X).shape == (16,)
    assert LSTMRegressor(**fit).fit(X, X[:, -1:, 0]).predict(X).shape == (16, 1)
    assert LSTMRegressor(**fit).fit(X, X[:, -3:, 0]).predict(X).shape == (16, 3)


@ignore_convergence
def test_multi_output_regression_learns_each_output():
    X = sequences(n_samples=40, n_steps=4)
    Y = np.c_[X[:, -1, 0], X[:, -2, 0] - X[:, -1, 0]]
    model = LSTMRegressor((4,), solver="lbfgs", max_iter=100, random_state=0).fit(X, Y)
    pred = model.predict(X)
    assert pred.shape == (40, 2)
    # measured 0.997 and 0.99
    assert np.corrcoef(pred[:, 0], Y[:, 0])[0, 1] > 0.95
    assert np.corrcoef(pred[:, 1], Y[:, 1])[0, 1] > 0.95


@pytest.mark.slow
@ignore_convergence
def test_many_to_many_regression_on_ragged_sequences(assert_same_weights):
    seqs, lengths = ragged()
    targets = [np.cumsum(s[:, 0]) for s in seqs]  # running sum, one target per step
    model = LSTMRegressor((3,), return_sequences=True, solver="lbfgs", max_iter=60,
                          random_state=0).fit(seqs, targets)
    pred = model.predict(seqs)
    T = lengths.max()
    assert pred.shape == (len(seqs), T)
    real = np.arange(T)[None, :] < lengths[:, None]
    assert np.all(np.isfinite(pred[real])) and np.all(np.isnan(pred[~real]))
    assert model.score(seqs, targets) > 0.97  # measured 0.997
    # the same data as NaN-padded arrays trains bit-identically; NaN targets
    # at padded steps are ignored
    padded_targets = padded([t[:, None] for t in targets])[..., 0]  # (n, T), NaN-padded
    same = LSTMRegressor((3,), return_sequences=True, solver="lbfgs", max_iter=60,
                         random_state=0).fit(padded(seqs), padded_targets)
    assert_same_weights(model, same)
    # a per-step multi-output target
    Y = np.stack([padded_targets, 2 * padded_targets], axis=-1)
    two = LSTMRegressor((2,), return_sequences=True, max_iter=2, random_state=0).fit(seqs, Y)
    assert two.predict(seqs).shape == (len(seqs), T, 2)


@pytest.mark.slow
@ignore_convergence
def test_many_to_many_classification():
    seqs, lengths = ragged(n_samples=30)
    labels = [np.where(np.cumsum(s[:, 0]) > 0, "pos", "neg") for s in seqs]
    clf = LSTMClassifier((3,), return_sequences=True, solver="lbfgs", max_iter=60,
                         random_state=0).fit(seqs, labels)
    pred = clf.predict(seqs)
    assert isinstance(pred, list) and [len(p) for p in pred] == list(lengths)
    assert clf.score(seqs, labels) > 0.9  # measured 1.0
    proba = clf.predict_proba(seqs)
    real = np.arange(lengths.max())[None, :] < lengths[:, None]
    assert proba.shape == (30, lengths.max(), 2)
    np.testing.assert_allclose(proba[real].sum(axis=-1), 1.0)
    assert np.all(np.isnan(proba[~real]))
    # equal lengths: one array
    X = sequences(n_samples=10, n_steps=4)
    y = np.where(np.cumsum(X[..., 0], axis=1) > 0, 1, 0)
    fixed = LSTMClassifier((2,), return_sequences=True, max_iter=2, random_state=0).fit(X, y)
    assert isinstance(fixed.predict(X), np.ndarray) and fixed.predict(X).shape == (10, 4)


@ignore_convergence
def test_per_step_classification_takes_one_label_per_step():
    """Several labels per step (per-step multilabel) are refused by name, as
    the docstrings say; the fitted model stays as it was."""
    X = sequences(n_samples=10, n_steps=4)
    y = (X[..., 0] > 0).astype(int)
    clf = LSTMClassifier((2,), return_sequences=True, max_iter=2, random_state=0).fit(X, y)
    before = clf.predict_proba(X)
    with pytest.raises(ValueError, match=r"one label per step.*\(10, 4, 2\)"):
        clf.fit(X, np.stack([y, 1 - y], axis=-1))
    np.testing.assert_array_equal(clf.predict_proba(X), before)
    assert "one label per step" in " ".join(LSTMClassifier.__doc__.split())
    assert "one label per step" in " ".join(LSTMClassifier.fit.__doc__.split())


LABELS = {
    "strings": np.array(["down", "up"]),
    "ints": np.array([3, 7]),
    "negative-ints": np.array([-1, 1]),
    "three-strings": np.array(["a", "b", "c"]),
    "three-negative-ints": np.array([-5, -4, -3]),
}


@pytest.mark.slow
@ignore_convergence
@pytest.mark.parametrize("kind", LABELS)
def test_classification_with_labels_of_any_type(kind):
    X = sequences(n_samples=40)
    s = X[:, :3, 0].sum(axis=1)  # the class depends on the first three steps
    values = LABELS[kind]
    y = values[np.digitize(s, [0]) if len(values) == 2 else np.digitize(s, [-1, 1])]
    # learning is the same whatever the labels: train fully in two cases only
    learn = kind in ("strings", "three-negative-ints")
    clf = LSTMClassifier((4,), solver="lbfgs", max_iter=60 if learn else 3, random_state=0)
    clf.fit(X, y)
    np.testing.assert_array_equal(clf.classes_, np.sort(values))
    pred = clf.predict(X)
    assert pred.dtype == y.dtype and set(pred) <= set(values)
    if learn:
        assert clf.score(X, y) > 0.9  # measured 1.0
    proba = clf.predict_proba(X)
    assert proba.shape == (40, len(values)) and np.all(proba >= 0)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
    np.testing.assert_array_equal(pred, clf.classes_[proba.argmax(axis=1)])
    # exp, not log: log(p) of a p near 1 has lost the precision log_proba keeps
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)


@pytest.mark.parametrize("n_classes", [2, 3, "multilabel"])
def test_predict_is_the_argmax_of_predict_proba_where_logits_round_to_a_tie(n_classes):
    """Fixed bug: predict decided on the logits, predict_proba rounded them
    to float32 probabilities that tie: logits of 1e-9 (binary, multilabel)
    or differing by 1e-8 gave [0.5, 0.5] or three of 1/3, and predict chose
    the other class than predict_proba's argmax, on every sample."""
    X = sequences(n_samples=6).astype(np.float32)
    multilabel = n_classes == "multilabel"
    y = (np.stack([np.arange(6) % 2, np.arange(6) // 3], axis=1) if multilabel
         else np.arange(6) % n_classes)
    clf = LSTMClassifier((2,), solver="lbfgs", max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    clf.out_coef_ = np.zeros_like(clf.out_coef_)
    clf.out_intercept_ = np.full(clf.out_intercept_.shape, 1e-9, np.float32)
    if n_classes == 3:
        clf.out_intercept_[0] = 0.0  # class 0 below the others by 1e-9: tied in float32
    proba = clf.predict_proba(X)
    if multilabel:
        assert np.all(proba == 0.5)
        np.testing.assert_array_equal(clf.predict(X), (proba > 0.5).astype(int))
        return
    assert np.all(proba == proba[:, :1])  # tied
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[proba.argmax(axis=1)])
    assert clf.score(X, clf.predict(X)) == 1.0


@pytest.mark.parametrize("n_classes", [2, 3], ids=["binary", "multiclass"])
def test_probabilities_of_extreme_logits(n_classes):
    """predict_proba == exp(predict_log_proba) to full precision, also for
    probabilities near 0 (fixed bug: binary ones were 1 - p, which lost
    their relative precision: 1e-3 at logit 30, all of it beyond 37)."""
    X = sequences(n_samples=6)
    y = np.arange(6) % n_classes
    clf = LSTMClassifier((2,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, y)
    clf.out_coef_ = np.zeros_like(clf.out_coef_)
    logits = np.array([30.0] if n_classes == 2 else [30.0, 0.0, -30.0])
    for scale in (1.0, 25.0):  # logits of ±30 and ±750
        clf.out_intercept_ = scale * logits
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            proba, log_proba = clf.predict_proba(X), clf.predict_log_proba(X)
        z = scale * logits
        expected = (log_softmax(z) if n_classes == 3
                    else np.array([-np.logaddexp(0, z[0]), -np.logaddexp(0, -z[0])]))
        np.testing.assert_allclose(log_proba, np.tile(expected, (6, 1)), rtol=1e-12)
        assert np.all(np.isfinite(log_proba))
        np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-12)
        if scale == 1.0:
            assert np.all(proba > 0)
            np.testing.assert_allclose(proba, np.exp(log_proba), rtol=1e-13)


@ignore_convergence
def test_multilabel_classification():
    X = sequences(n_samples=40)
    Y = np.c_[X[:, :3, 0].sum(axis=1) > 0, X[:, -1, 0] > 0].astype(int)
    clf = LSTMClassifier((4,), solver="lbfgs", max_iter=60, random_state=0).fit(X, Y)
    np.testing.assert_array_equal(clf.classes_, [0, 1])
    pred = clf.predict(X)
    assert pred.shape == (40, 2) and set(np.unique(pred)) <= {0, 1}
    assert clf.score(X, Y) > 0.9  # subset accuracy, measured 1.0
    proba = clf.predict_proba(X)
    assert proba.shape == (40, 2) and np.all((proba >= 0) & (proba <= 1))
    assert not np.allclose(proba.sum(axis=1), 1.0)  # independent labels
    np.testing.assert_array_equal(pred, (proba > 0.5).astype(int))
    np.testing.assert_allclose(np.exp(clf.predict_log_proba(X)), proba, rtol=1e-12)


# -- sample and class weights ------------------------------------------------------


@ignore_convergence
@pytest.mark.parametrize("params", [
    dict(solver="adam", batch_size=7, early_stopping=True),
    dict(solver="lbfgs"),
], ids=["adam-early-stopping", "lbfgs"])
def test_unit_sample_weights_give_exactly_the_unweighted_fit(params, assert_same_weights):
    X = sequences(n_samples=20)
    y = X[:, -2:, 0].sum(axis=1)
    a = LSTMRegressor((3,), max_iter=5, random_state=0, **params).fit(X, y)
    b = LSTMRegressor((3,), max_iter=5, random_state=0, **params).fit(X, y, np.ones(20))
    assert_same_weights(a, b)
    labels = y > 0
    c = LSTMClassifier((3,), max_iter=5, random_state=0, **params).fit(X, labels)
    d = LSTMClassifier((3,), max_iter=5, random_state=0, **params).fit(X, labels, [1] * 20)
    assert_same_weights(c, d)


@ignore_convergence
def test_integer_sample_weights_equal_repeated_samples():
    X = sequences(n_samples=20)
    y = X[:, -2:, 0].sum(axis=1)
    counts = np.random.RandomState(1).randint(1, 4, size=20)
    fit = dict(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=20, random_state=0)
    weighted = LSTMRegressor(**fit).fit(X, y, sample_weight=counts)
    repeated = LSTMRegressor(**fit).fit(np.repeat(X, counts, axis=0), np.repeat(y, counts))
    # equal up to summation order: 20 L-BFGS iterations amplify it to ~1e-12
    np.testing.assert_allclose(weighted.predict(X), repeated.predict(X), rtol=0, atol=1e-9)
    # a mean near 0 of values near 1: equal to the values' rounding
    np.testing.assert_allclose(weighted.input_mean_, repeated.input_mean_, rtol=0, atol=1e-14)


@ignore_convergence
def test_zero_sample_weight_equals_removal():
    seqs, _ = ragged(n_samples=20)  # sample 0 is the longest
    y = np.array([s[-2:, 0].sum() for s in seqs])
    weights = np.ones(20)
    weights[[0, 5]] = 0.0
    keep = weights > 0
    fit = dict(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=20, random_state=0)
    weighted = LSTMRegressor(**fit).fit(seqs, y, sample_weight=weights)
    removed = LSTMRegressor(**fit).fit([s for s, k in zip(seqs, keep) if k], y[keep])
    np.testing.assert_allclose(weighted.predict(seqs), removed.predict(seqs), rtol=0, atol=1e-9)


@ignore_convergence
@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
def test_a_long_sequence_of_zero_weight_does_not_set_the_patches(Estimator):
    """A sequence of weight 0 set the automatic patch length (the longest
    sequence's), and with it every prediction: 0.57 apart from the model
    fitted without it. So did a validation sequence of early stopping."""
    rng = np.random.RandomState(0)
    seqs = [rng.normal(size=(40, 1))] + [rng.normal(size=(4, 1)) for _ in range(19)]
    target = np.array([s[-2:, 0].sum() for s in seqs])
    y = target if Estimator is LSTMRegressor else target > 0
    fit = dict(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=5, random_state=0)
    weights = np.r_[0.0, np.ones(19)]
    weighted = Estimator(**fit).fit(seqs, y, sample_weight=weights)
    removed = Estimator(**fit).fit(seqs[1:], y[1:])
    assert weighted.patch_length_ == removed.patch_length_ < 40  # 40: the zero-weight one's
    predict = "predict" if Estimator is LSTMRegressor else "predict_proba"
    np.testing.assert_allclose(getattr(weighted, predict)(seqs[1:]),
                               getattr(removed, predict)(seqs[1:]), rtol=0, atol=1e-9)
    # Early stopping: the last sequence, held out by the tail split, is the long one.
    early = Estimator(hidden_layer_sizes=(3,), max_iter=2, early_stopping=True,
                      validation_split="tail", validation_fraction=0.1, random_state=0)
    assert early.fit(seqs[::-1], y[::-1]).patch_length_ == removed.patch_length_


@pytest.mark.parametrize("sample_weight, error", [
    (-np.ones(10), "non-negative"),
    (np.ones(9), "shape"),
    (np.zeros(10), "sum to a positive"),
    (np.r_[np.nan, np.ones(9)], "NaN"),
])
def test_invalid_sample_weight_raises(sample_weight, error):
    X = sequences(n_samples=10)
    with pytest.raises(ValueError, match=error):
        LSTMRegressor((2,)).fit(X, X[:, -1, 0], sample_weight=sample_weight)


@ignore_convergence
@pytest.mark.parametrize("class_weight", ["balanced", {"a": 3.0, "b": 0.5}])
def test_class_weight_multiplies_sample_weight(class_weight, assert_same_weights):
    X = sequences(n_samples=24)
    labels = np.where(X[:, :3, 0].sum(axis=1) > 1.0, "a", "b")  # imbalanced
    sample_weight = np.random.RandomState(2).uniform(0.5, 2.0, size=24)
    fit = dict(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=5, random_state=0)
    by_class = LSTMClassifier(class_weight=class_weight, **fit).fit(X, labels, sample_weight)
    if class_weight == "balanced":
        # Each class's total weight after balancing is sum(sample_weight) / 2.
        totals = {c: sample_weight[labels == c].sum() for c in ("a", "b")}
        per_class = np.array([sample_weight.sum() / (2 * totals[c]) for c in labels])
        expected = sample_weight * per_class
    else:
        expected = sample_weight * compute_sample_weight(class_weight, labels)
    by_sample = LSTMClassifier(**fit).fit(X, labels, expected)
    assert_same_weights(by_class, by_sample)
    plain = LSTMClassifier(**fit).fit(X, labels, sample_weight)
    assert not np.array_equal(plain.out_coef_, by_class.out_coef_)


@ignore_convergence
@pytest.mark.parametrize("multilabel", [False, True])
def test_balanced_class_weight_counts_a_weight_of_k_as_k_copies(multilabel):
    # Balancing by label counts made integer weights differ from repeated
    # samples (and failed scikit-learn's sample-weight equivalence check).
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 4, 1))
    labels = (X[:, :2, 0].sum(axis=1) > 0.5).astype(int)
    if multilabel:
        labels = np.column_stack([labels, (X[:, 2:, 0].sum(axis=1) > -0.5).astype(int)])
    sample_weight = rng.randint(0, 4, size=20)
    sample_weight[np.flatnonzero(labels.reshape(20, -1)[:, 0] == 1)[0]] = 0  # one dropped
    repeated = np.repeat(np.arange(20), sample_weight)
    fit = dict(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=5, random_state=0,
               class_weight="balanced")
    weighted = LSTMClassifier(**fit).fit(X, labels, sample_weight)
    copies = LSTMClassifier(**fit).fit(X[repeated], labels[repeated])
    np.testing.assert_allclose(weighted.predict_proba(X), copies.predict_proba(X),
                               rtol=1e-7, atol=1e-10)
    unbalanced = LSTMClassifier(**{**fit, "class_weight": None}).fit(X, labels, sample_weight)
    assert not np.allclose(unbalanced.predict_proba(X), weighted.predict_proba(X), atol=1e-6)


@ignore_convergence
def test_balanced_class_weights_as_extreme_as_the_sample_weights_they_balance_fit():
    # Alone they exceeded float32 and were refused, with advice that cannot
    # work; their product with sample_weight is 5e9 per sample.
    X = np.random.RandomState(0).normal(size=(10, 3, 1)).astype(np.float32)
    y = np.repeat([0, 1], 5)
    sample_weight = np.repeat([1e-30, 1e10], 5)
    model = LSTMClassifier((2,), max_iter=2, class_weight="balanced").fit(X, y, sample_weight)
    assert np.isfinite(model.predict_proba(X)).all()


def test_balanced_weights_without_sample_weight_are_scikit_learns():
    rng = np.random.RandomState(1)
    labels = rng.choice(["x", "y", "z"], p=[0.6, 0.3, 0.1], size=50)
    indicators = (rng.uniform(size=(50, 3)) > [0.2, 0.5, 0.9]).astype(int)
    for y in (labels, indicators):
        np.testing.assert_array_equal(balanced_sample_weight(y),
                                      compute_sample_weight("balanced", y))
    # A class whose samples all weigh 0 is not counted: two classes remain.
    weights = balanced_sample_weight(np.array([0, 0, 1, 2]), np.array([1.0, 3.0, 2.0, 0.0]))
    np.testing.assert_array_equal(weights, [6 / (2 * 4), 6 / (2 * 4), 6 / (2 * 2), 0.0])


def test_class_weight_with_per_step_labels_raises():
    X = sequences(n_samples=6, n_steps=3)
    with pytest.raises(ValueError, match="class_weight .* not supported with return_sequences"):
        LSTMClassifier((2,), return_sequences=True, class_weight="balanced").fit(
            X, np.arange(18).reshape(6, 3) % 2
        )


# -- weights from elsewhere, against an independent transcription -------------------


def torch_to_sklstm(layers):
    """PyTorch-layout layers as sklstm's (``W = w_ih.T``, ``R = w_hh.T``,
    ``b = b_ih + b_hh``), for the reference transcription in conftest.py."""
    return [
        {"W": layer["w_ih"].T, "R": layer["w_hh"].T, "b": layer["b_ih"] + layer["b_hh"],
         **({"p": layer["p"]} if "p" in layer else {})}
        for layer in layers
    ]


def torch_like_layers(rng, n_in, sizes, blocks=4, peephole=False):
    layers = []
    for H in sizes:
        bound = 1.0 / math.sqrt(H)  # PyTorch's initialisation range
        layer = {
            "w_ih": rng.uniform(-bound, bound, size=(blocks * H, n_in)),
            "w_hh": rng.uniform(-bound, bound, size=(blocks * H, H)),
            "b_ih": rng.uniform(-bound, bound, size=blocks * H),
            "b_hh": rng.uniform(-bound, bound, size=blocks * H),
        }
        if peephole:
            layer["p"] = rng.uniform(-1, 1, size=(blocks - 1, H))
        layers.append(layer)
        n_in = H
    return layers


def load_torch_layout(model, layers, linear_weight, linear_bias):
    """Copy PyTorch-layout arrays into a fitted sklstm model."""
    model.coefs_ = [
        {"W": layer["w_ih"].T.copy(), "R": layer["w_hh"].T.copy(),
         "b": layer["b_ih"] + layer["b_hh"], **({"p": layer["p"]} if "p" in layer else {})}
        for layer in layers
    ]
    model.out_coef_ = linear_weight.T.copy()
    model.out_intercept_ = linear_bias.copy()


def fitted_shell(Estimator, X, y, sizes, **params):
    """A model fitted briefly (standardize=False, patch_length=1 as PyTorch
    reads, and for a regressor scale_targets=False), only to be overwritten."""
    params.setdefault("patch_length", 1)
    if Estimator is LSTMRegressor:
        params.setdefault("scale_targets", False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Estimator(sizes, standardize=False, max_iter=1, random_state=0,
                         **params).fit(X, y)


def test_hand_computed_single_unit_single_step():
    """H = 1, one step, one channel, every number written out."""
    X = np.array([[[0.5]], [[-2.0]]])
    model = fitted_shell(LSTMRegressor, X, [0.0, 1.0], (1,))
    #                  i     f     g     o
    W = np.array([[0.3, -0.2, 0.8, 0.5]])
    R = np.array([[0.7, 0.1, -0.4, 0.2]])  # h0 = 0: R has no effect on one step
    b = np.array([0.1, 1.0, -0.3, 0.2])
    model.coefs_ = [{"W": W, "R": R, "b": b}]
    model.out_coef_ = np.array([[1.5]])
    model.out_intercept_ = np.array([-0.25])

    def by_hand(x):
        sigma = lambda a: 1.0 / (1.0 + math.exp(-a))  # noqa: E731
        i = sigma(0.3 * x + 0.1)
        g = math.tanh(0.8 * x - 0.3)
        o = sigma(0.5 * x + 0.2)
        c = i * g  # c0 = 0, so the forget gate has nothing to forget
        return 1.5 * o * math.tanh(c) - 0.25

    np.testing.assert_allclose(model.predict(X), [by_hand(0.5), by_hand(-2.0)], rtol=1e-14)
    assert by_hand(0.5) == pytest.approx(-0.19873155, abs=1e-8)  # the arithmetic itself


@pytest.mark.parametrize("route", ["scale_targets=False", "unit target scaling"])
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_pytorch_layout_weights_reproduce_the_reference(return_sequences, route,
                                                        reference_forward):
    """Both documented routes: a shell fitted with scale_targets=False, or
    one fitted with target scaling whose target_mean_/target_scale_ are
    then set to zeros and ones."""
    rng = np.random.RandomState(0)
    seqs, lengths = ragged(n_samples=7, max_len=5, seed=3)
    seqs = [np.c_[s, rng.normal(size=len(s))] for s in seqs]  # two channels
    n_out = 2
    y = ([5 + rng.normal(size=(len(s), n_out)) for s in seqs] if return_sequences
         else 5 + rng.normal(size=(7, n_out)))
    model = fitted_shell(LSTMRegressor, seqs, y, (3, 2), return_sequences=return_sequences,
                         scale_targets=route != "scale_targets=False")
    if route == "unit target scaling":
        assert np.all(model.target_mean_ > 4)  # the shell did scale its targets
        model.target_mean_, model.target_scale_ = np.zeros(n_out), np.ones(n_out)
    layers = torch_like_layers(rng, 2, (3, 2))
    weight, bias = rng.normal(size=(n_out, 2)), rng.normal(size=n_out)
    load_torch_layout(model, layers, weight, bias)
    pred = model.predict(seqs)
    for s, seq in enumerate(seqs):
        hidden = reference_forward(seq[None], torch_to_sklstm(layers), return_sequences=True)[0]
        states = hidden @ weight.T + bias  # (n_steps, n_out)
        if return_sequences:
            np.testing.assert_allclose(pred[s, : lengths[s]], states, rtol=1e-12, atol=1e-14)
            assert np.all(np.isnan(pred[s, lengths[s]:]))
        else:
            np.testing.assert_allclose(pred[s], states[-1], rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("coupled", [False, True], ids=["peephole", "coupled-peephole"])
def test_peephole_and_coupled_weights_reproduce_the_reference(coupled, reference_forward):
    rng = np.random.RandomState(1)
    X = rng.normal(size=(5, 6, 1))
    labels = np.array(["x", "y", "z", "x", "y"])
    clf = fitted_shell(LSTMClassifier, X, labels, (3,), peephole=True, coupled_gates=coupled)
    blocks = 3 if coupled else 4
    layers = torch_like_layers(rng, 1, (3,), blocks=blocks, peephole=True)
    weight, bias = rng.normal(size=(3, 3)), rng.normal(size=3)
    load_torch_layout(clf, layers, weight, bias)
    logits = reference_forward(X, torch_to_sklstm(layers)) @ weight.T + bias
    np.testing.assert_allclose(clf.predict_proba(X), softmax(logits, axis=1), rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[logits.argmax(axis=1)])


def test_binary_classifier_uses_one_logistic_output(reference_forward):
    rng = np.random.RandomState(2)
    X = rng.normal(size=(4, 3, 1))
    clf = fitted_shell(LSTMClassifier, X, ["no", "yes", "no", "yes"], (2,))
    layers = torch_like_layers(rng, 1, (2,))
    weight, bias = rng.normal(size=(1, 2)), rng.normal(size=1)
    load_torch_layout(clf, layers, weight, bias)
    z = (reference_forward(X, torch_to_sklstm(layers)) @ weight.T + bias)[:, 0]
    np.testing.assert_allclose(clf.predict_proba(X)[:, 1], expit(z), rtol=1e-12)
    np.testing.assert_array_equal(clf.predict(X), np.where(z > 0, "yes", "no"))


def test_a_two_logit_softmax_head_is_refused_with_the_conversion_that_loads_it(
        reference_forward):
    """PyTorch's usual binary head (two logits, CrossEntropyLoss) was refused
    with advice no binary fit can follow ("fit the shell on targets of as
    many outputs"); the advised difference of the logits reproduces its
    softmax probabilities."""
    rng = np.random.RandomState(3)
    X = rng.normal(size=(6, 3, 1))
    clf = fitted_shell(LSTMClassifier, X, ["no", "yes"] * 3, (2,))
    layers = torch_like_layers(rng, 1, (2,))
    weight, bias = rng.normal(size=(2, 2)), rng.normal(size=2)  # Linear(2 units, 2 logits)
    load_torch_layout(clf, layers, weight, bias)
    with pytest.raises(ValueError, match=re.escape(
            "out_coef_ = (weight[1] - weight[0])[:, None] and out_intercept_ = "
            "np.array([bias[1] - bias[0]])")):
        clf.predict(X)
    # The advice as written (its list was refused: the intercept is an array).
    clf.out_coef_ = (weight[1] - weight[0])[:, None]
    clf.out_intercept_ = np.array([bias[1] - bias[0]])
    logits = reference_forward(X, torch_to_sklstm(layers)) @ weight.T + bias
    np.testing.assert_allclose(clf.predict_proba(X), softmax(logits, axis=1), rtol=1e-12)


@pytest.mark.parametrize("index, torch_name", [(0, "weight_hh_l0"), (1, "weight_hh_l0_reverse"),
                                               (2, "weight_hh_l1"), (3, "weight_hh_l1_reverse")])
def test_a_bidirectional_models_transposed_matrix_is_named_as_pytorch_names_it(index,
                                                                              torch_name):
    # coefs_[1] is layer 0's backward direction, weight_hh_l0_reverse, not l1.
    X = np.random.RandomState(0).normal(size=(6, 3, 1))
    model = LSTMRegressor((3, 3), bidirectional=True, solver="lbfgs", max_iter=2,
                          random_state=0).fit(X, np.arange(6.0))
    model.coefs_[index]["R"] = model.coefs_[index]["R"].T.copy()
    with pytest.raises(ValueError, match=re.escape(f"It looks transposed: PyTorch's "
                                                   f"{torch_name} is (4H, H)")):
        model.predict(X)


@pytest.mark.parametrize("key", ["W", "R"])
def test_the_core_names_a_matrix_in_pytorchs_untransposed_layout(key):
    rng = np.random.RandomState(0)
    layer = torch_to_sklstm(torch_like_layers(rng, 2, (3,)))[0]
    layer[key] = layer[key].T
    torch_name = {"W": "weight_ih_l0", "R": "weight_hh_l0"}[key]
    with pytest.raises(ValueError, match=f"It looks transposed, as PyTorch's {torch_name}"):
        lstm_forward(rng.normal(size=(2, 4, 2)), [layer])


# -- hyper-parameter validation ------------------------------------------------------


@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
def test_invalid_hyper_parameters_raise(Estimator, invalid_params, error, match):
    """Every invalid value of INVALID_PARAMS (conftest.py), through fit and partial_fit."""
    X = sequences(n_samples=6, n_steps=3)
    y = np.arange(6) % 2
    model = Estimator(**invalid_params)
    with pytest.raises(error, match=match) as caught:
        model.fit(X, y)
    assert not hasattr(model, "coefs_")
    # Named as scikit-learn's own parameter checks name them: by their owner.
    assert str(caught.value).startswith(f"{Estimator.__name__}: "), caught.value
    if model.solver in ("adam", "sgd"):
        with pytest.raises(error, match=match):
            model.partial_fit(X, y, **({"classes": [0, 1]} if Estimator is LSTMClassifier else {}))


@ignore_convergence
@pytest.mark.parametrize("other", [[0] * 12, [0, 1] * 6, [3, 4, 5] * 4],
                         ids=["one class", "some classes", "other classes"])
def test_a_warm_start_fits_only_on_the_fitted_classes_as_mlp(other):
    # One class trained a three-class model towards it without a word, where
    # a fresh fit and MLPClassifier's warm start refuse it.
    X = np.random.RandomState(0).normal(size=(12, 4, 1))
    model = LSTMClassifier((2,), max_iter=2, random_state=0, warm_start=True)
    model.fit(X, np.arange(12) % 3)
    before = model.predict_proba(X)
    # partial_fit is advised for some of the classes only: it refuses others.
    advice = ("Use partial_fit" if other != [3, 4, 5] * 4
              else "Set warm_start=False to fit anew\\.$")
    with pytest.raises(ValueError, match=r"A warm start continues the fit on y of the same "
                                         rf"classes: y holds {re.escape(str(sorted(set(other))))}"
                                         r", the model's classes are \[0, 1, 2\]\. " + advice):
        model.fit(X, other)
    np.testing.assert_array_equal(model.predict_proba(X), before)
    model.fit(X, np.arange(12)[::-1] % 3)  # the same classes: continued
    assert model.n_iter_ == 4 and len(model.loss_curve_) == 4
    model.partial_fit(X, [0, 1] * 6)  # a batch of some classes: as documented
    # L-BFGS has no partial_fit to offer.
    lbfgs = LSTMClassifier((2,), solver="lbfgs", max_iter=2, random_state=0, warm_start=True)
    with pytest.raises(ValueError, match=r"\[0, 1, 2\]\. Set warm_start=False to fit anew\.$"):
        lbfgs.fit(X, np.arange(12) % 3).fit(X, other)


@ignore_convergence
@pytest.mark.parametrize("first, then", [(True, False), (False, True)])
def test_a_warm_start_keeps_the_first_fits_input_statistics(first, then):
    # As documented: the weights were learnt on inputs scaled by them.
    X = np.random.RandomState(0).normal(5.0, 3.0, size=(12, 4, 2))
    model = LSTMRegressor((2,), max_iter=2, random_state=0, warm_start=True, standardize=first)
    model.fit(X, X.sum(axis=(1, 2)))
    mean, scale = model.input_mean_.copy(), model.input_scale_.copy()
    model.set_params(standardize=then).fit(X[::-1], X[::-1].sum(axis=(1, 2)))
    np.testing.assert_array_equal(model.input_mean_, mean)
    np.testing.assert_array_equal(model.input_scale_, scale)
    assert (mean != 0).all() == first
