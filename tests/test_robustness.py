"""Bad input, divergence, threads and long sequences.

Every way of calling the estimators wrongly must end in a ``ValueError`` or
``TypeError`` whose message names the problem, never in an ``IndexError`` or
a traceback from deep inside NumPy; and an error must leave a fitted model
exactly as it was (the fit loop trains a staged copy).
"""

import copy
import pickle
import threading
import tracemalloc
import warnings
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from numpy.testing import assert_array_equal
from scipy import sparse
from scipy.special import log_softmax
from sklearn.exceptions import ConvergenceWarning, NotFittedError
from threadpoolctl import threadpool_info, threadpool_limits

from sklstm import LSTMClassifier, LSTMEncoderDecoderRegressor, LSTMRegressor
from sklstm._loss import OUTPUT_ACTIVATIONS
from sklstm._lstm import lstm_backward, lstm_forward

ESTIMATORS = [LSTMRegressor, LSTMClassifier]
FAST = dict(hidden_layer_sizes=(3,), max_iter=2, random_state=0)

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def _Xy(estimator, n=12, T=5, C=2, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, T, C))
    y = X[:, -1, 0] + 0.1 * rng.normal(size=n)
    if estimator is LSTMClassifier:
        y = np.array(["a", "b", "c"])[np.arange(n) % 3]
    return X, y


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_sparse_series_and_partly_sparse_frames_are_read_densely(estimator):
    # Only frames whose columns are all sparse are refused (pandas hands
    # those to SciPy); a sparse Series, or a frame mixing sparse and dense
    # columns, is read as its dense values, as scikit-learn reads them.
    X, y = _Xy(estimator)
    dense = estimator(**FAST).fit(X, y)
    as_series = estimator(**FAST).fit(X, pd.Series(y).astype(pd.SparseDtype(y.dtype)))
    assert_array_equal(as_series.predict(X), dense.predict(X))
    items = [pd.Series(seq[:, 0]).astype(pd.SparseDtype(float)) for seq in X]
    assert_array_equal(estimator(**FAST).fit(items, y).predict(X[:, :, :1]),
                       estimator(**FAST).fit(X[:, :, :1], y).predict(X[:, :, :1]))
    table = pd.DataFrame(X[:, :, 0])
    mixed = table.astype({0: pd.SparseDtype(float)})
    assert_array_equal(estimator(**FAST).fit(mixed, y).predict(table),
                       estimator(**FAST).fit(table, y).predict(table))


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_sample_weight_and_classes_whose_conversion_fails_are_named(estimator):
    X, y = _Xy(estimator)
    with pytest.raises(TypeError, match=r"sample_weight \(a _Unconvertible\) could not be "
                                        r"converted to a NumPy array: RuntimeError"):
        estimator(**FAST).fit(X, y, sample_weight=_Unconvertible(y))
    if estimator is LSTMClassifier:
        with pytest.raises(TypeError, match=r"classes \(a _Unconvertible\) could not be"):
            estimator(**{**FAST, "solver": "adam"}).partial_fit(
                X, y, classes=_Unconvertible(np.unique(y)))


def test_an_input_failing_for_its_own_reasons_keeps_its_error():
    # Only a refusal to convert (TypeError, RuntimeError) is named as one; an
    # I/O error of a lazy array is the caller's to handle, unchanged.
    class _Remote:
        def __array__(self, dtype=None, copy=None):
            raise OSError(5, "Input/output error")

    X, y = _Xy(LSTMRegressor)
    with pytest.raises(OSError, match="Input/output error"):
        LSTMRegressor(**FAST).fit(_Remote(), y)


class _Unconvertible:
    """Array data whose own conversion to NumPy fails, as a PyTorch tensor's
    does when it requires grad."""

    def __init__(self, values):
        self.shape = np.shape(values)

    def __array__(self, dtype=None, copy=None):
        raise RuntimeError("Can't call numpy() on a value that requires grad")


def _with(X, index, value):
    X = X.astype(float, copy=True)
    X[index] = value
    return X


def _object_with_string(X):
    X = X.astype(object)
    X[0, 0, 0] = "x"
    return X


# -- the catalogue of bad input -----------------------------------------------------

# name -> (make (X, y) from good (X, y), exception, message pattern)
BAD_FIT_INPUT = {
    "nan inside a sequence": (
        lambda X, y: (_with(X, (3, 1, 0), np.nan), y), ValueError, "NaN inside sequence 3"),
    "nan in one channel of the last step": (
        lambda X, y: (_with(X, (5, -1, 1), np.nan), y), ValueError, "NaN inside sequence 5"),
    "inf": (
        lambda X, y: (_with(X, (2, 2, 1), np.inf), y), ValueError,
        "infinity inside sequence 2 \\(step 2, channel 1\\)"),
    "-inf": (
        lambda X, y: (_with(X, (7, 0, 0), -np.inf), y), ValueError,
        "infinity inside sequence 7 \\(step 0, channel 0\\)"),
    "fewer y than X": (
        lambda X, y: (X, y[:7]), ValueError, "inconsistent numbers of samples: 12 and 7"),
    "fewer X than y": (
        lambda X, y: (X[:5], y), ValueError, "inconsistent numbers of samples: 5 and 12"),
    "empty 3-D": (
        lambda X, y: (X[:0], y[:0]), ValueError,
        "X has 0 sample\\(s\\) \\(shape=\\(0, 5, 2\\)\\): it holds no sequence"),
    "empty table": (
        lambda X, y: (X[:0, :, 0], y[:0]), ValueError, "X has 0 sample\\(s\\)"),
    "empty list": (
        lambda X, y: ([], []), ValueError, "empty 1-D array: no sequences"),
    "zero time steps": (
        lambda X, y: (X[:, :0], y), ValueError, "0 time steps"),
    "zero columns": (
        lambda X, y: (X[:, :0, 0], y), ValueError,
        "0 feature\\(s\\) \\(shape=\\(12, 0\\)\\).*Each row of a 2-D X is one sequence"),
    "zero channels": (
        lambda X, y: (X[:, :, :0], y), ValueError, "0 channels"),
    "1-D X": (
        lambda X, y: (X[:, 0, 0], y), ValueError, "got a 1-D array.*Reshape your data"),
    "scalar X": (
        lambda X, y: (1.5, y), ValueError, "got a scalar"),
    "4-D X": (
        lambda X, y: (X[:, :, :, None], y), ValueError, "got 4 dimensions"),
    "ragged, different channel counts": (
        lambda X, y: ([X[0], X[1, :3, :1]] + list(X[2:]), y), ValueError,
        "same number of channels: sequence 0 has 2, sequence 1 has 1"),
    "ragged, a 3-D item": (
        lambda X, y: ([X[0, :2], X[1:3]] + list(X[3:]), y), ValueError, "Sequence 1 of X has 3 dimensions"),
    "ragged, a scalar item": (
        lambda X, y: ([X[0, :2], 4.0] + list(X[2:]), y), ValueError, "Sequence 1 of X has 0 dimensions"),
    "ragged, an empty item": (
        lambda X, y: ([X[0, :2], np.empty((0, 2))] + list(X[2:]), y), ValueError,
        "Sequence 1 of X has no time steps"),
    "ragged, an item of no channels": (
        lambda X, y: ([X[0, :2], np.empty((3, 0))] + list(X[2:]), y), ValueError,
        "Sequence 1 of X has 0 channels \\(shape \\(3, 0\\)\\)"),
    "list of items of no channels": (
        lambda X, y: ([np.empty((3, 0))] * len(y), y), ValueError, "Sequence 0 of X has 0 channels"),
    "ragged, inf inside an item": (
        lambda X, y: ([X[0, :2], _with(X[1, :3], (1, 1), np.inf)] + list(X[2:]), y), ValueError,
        "X contains infinity inside sequence 1 \\(step 1, channel 1\\)"),
    "ragged, -inf at the end of an item": (
        lambda X, y: ([X[0, :2], _with(X[1, :3], (2, 0), -np.inf)] + list(X[2:]), y),
        ValueError, "X contains infinity inside sequence 1 \\(step 2, channel 0\\)"),
    "ragged, a non-rectangular item": (
        lambda X, y: ([[[1.0, 2.0], [3.0]]] + list(X[1:]), y), ValueError,
        "Sequence 0 of X is not rectangular"),
    "all padding": (
        lambda X, y: (_with(X, 4, np.nan), y), ValueError, "sequence 4 is all padding"),
    "strings": (
        lambda X, y: (X.astype(str), y), ValueError, "holds strings"),
    "numbers written as strings": (
        lambda X, y: (np.round(X).astype(int).astype(str), y), ValueError, "holds strings"),
    "object array holding strings": (
        lambda X, y: (_object_with_string(X), y), ValueError,
        "X holds strings \\(dtype object\\)"),
    "object array holding a dict": (
        lambda X, y: (np.array([[1.0, {}]] * len(y), dtype=object), y), TypeError,
        "X must contain only numbers.*argument must be"),
    "python int too large for float64": (
        lambda X, y: (np.array([[1, 10**400]] * len(y), dtype=object), y), ValueError,
        "too large for float64"),
    "complex": (
        lambda X, y: (X + 1j, y), ValueError, "Complex data not supported"),
    "sparse": (
        lambda X, y: (sparse.csr_matrix(X[:, :, 0]), y), TypeError,
        "Sparse data was passed for X.*needs dense sequences.*X\\.toarray\\(\\)"),
    "sparse item of a list": (
        lambda X, y: ([sparse.csr_matrix(X[0])] + list(X[1:, :3]), y), TypeError,
        "Sparse data was passed for X\\[0\\]"),
    # pandas hands a frame of sparse columns with a NaN fill to SciPy, which failed.
    "pandas sparse frame": (
        lambda X, y: (pd.DataFrame(X[:, :, 0]).astype(pd.SparseDtype(float)), y), TypeError,
        "Sparse data was passed for X.*X\\.sparse\\.to_dense\\(\\)"),
    "pandas sparse frame of zero fill": (
        lambda X, y: (pd.DataFrame(X[:, :, 0]).astype(pd.SparseDtype(float, 0.0)), y),
        TypeError, "Sparse data was passed for X.*X\\.sparse\\.to_dense\\(\\)"),
    "pandas sparse item of a list": (
        lambda X, y: ([pd.DataFrame(X[0]).astype(pd.SparseDtype(float))] + list(X[1:]), y),
        TypeError, "Sparse data was passed for X\\[0\\].*X\\[0\\]\\.sparse\\.to_dense"),
    # A tensor that requires grad raised from inside its own library.
    "X whose own conversion fails": (
        lambda X, y: (_Unconvertible(X), y), TypeError,
        "X \\(a _Unconvertible\\) could not be converted to a NumPy array: RuntimeError: "
        "Can't call numpy\\(\\) on a value that requires grad\\. Convert it"),
    "y whose own conversion fails": (
        lambda X, y: (X, _Unconvertible(y)), TypeError,
        "y \\(a _Unconvertible\\) could not be converted to a NumPy array"),
    "y is None": (
        lambda X, y: (X, None), ValueError, "requires y to be passed"),
    "y is a scalar": (
        lambda X, y: (X, 1.0), ValueError, "one entry per sample"),
    "y is sparse": (
        lambda X, y: (X, sparse.csr_matrix(np.ones((len(y), 1)))), TypeError, "Sparse data was passed for y"),
}

BAD_REGRESSION_TARGETS = {
    "nan in y": (lambda y: _with(y, 4, np.nan), "y contains NaN \\(sample 4\\)"),
    "inf in y": (lambda y: _with(y, 9, np.inf), "y contains infinity \\(sample 9\\)"),
    "strings in y": (lambda y: y.astype(str), "holds strings"),
    "complex y": (lambda y: y + 1j, "Complex data not supported"),
    "3-D y": (lambda y: y[:, None, None], "1-D or 2-D.*per step need return_sequences=True"),
}

BAD_CLASSIFICATION_TARGETS = {
    "nan in y": (lambda y: _with(np.arange(len(y)) % 2, 4, np.nan),
                 r"Input y contains NaN \(sample 4\)"),
    "one class": (lambda y: np.full(len(y), "a"), "only one class"),
    "continuous y": (lambda y: np.linspace(0, 1, len(y)), "Unknown label type: continuous"),
    "whole-number floats beyond int64": (
        lambda y: np.where(np.arange(len(y)) % 2, 2e19, 1e19),
        "Unknown label type: continuous.*y holds 1e\\+19, a float label beyond the range of "
        "int64.*y\\.astype\\(str\\)"),
    "fractional floats beside one beyond int64": (
        lambda y: np.where(np.arange(len(y)) % 2, 1e19, 0.5),
        r"^Unknown label type: continuous\. Maybe you are trying to fit a classifier, which "
        r"expects discrete classes on a regression target with continuous values\.$"),
    "tuples of labels": (
        lambda y: pd.Series([(k % 2,) for k in range(len(y))]),
        r"legacy multi-label data representation.*MultiLabelBinarizer[^.]*\.$"),
    "Decimal labels": (
        lambda y: np.array([Decimal(k % 2) for k in range(len(y))], dtype=object),
        "Unknown label type: unknown.*object array holding Decimal labels such as "
        "Decimal\\('0'\\).*y\\.astype\\(int\\)"),
    # Four classes in the object array, fewer in those NumPy makes of it: a
    # refusal that named no declared classes and listed 'a' twice.
    "a label with a trailing NUL": (
        lambda y: pd.Series(["a", "a\x00", "b", "c"] * (len(y) // 4) + ["a"] * (len(y) % 4)),
        r"y holds the label 'a\\x00', which ends with NUL characters: NumPy's strings drop "
        r"them, and would read it as 'a'"),
}


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("case", sorted(BAD_FIT_INPUT))
def test_bad_input_to_fit(estimator, case):
    make, exc, match = BAD_FIT_INPUT[case]
    X, y = make(*_Xy(estimator))
    with pytest.raises(exc, match=match):
        estimator(**FAST).fit(X, y)


@pytest.mark.parametrize("case", sorted(BAD_REGRESSION_TARGETS))
def test_bad_regression_targets(case):
    make, match = BAD_REGRESSION_TARGETS[case]
    X, y = _Xy(LSTMRegressor)
    with pytest.raises(ValueError, match=match):
        LSTMRegressor(**FAST).fit(X, make(y))


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning:sklearn")
@pytest.mark.parametrize("case", sorted(BAD_CLASSIFICATION_TARGETS))
def test_bad_classification_targets(case):
    make, match = BAD_CLASSIFICATION_TARGETS[case]
    X, y = _Xy(LSTMClassifier)
    with pytest.raises(ValueError, match=match):
        LSTMClassifier(**FAST).fit(X, make(y))


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize(
    "sample_weight, exc, match",
    [
        (-np.ones(12), ValueError, "sample_weight\\[0\\] is -1.0: negative"),
        (np.ones(5), ValueError, "sample_weight.shape == \\(5,\\), expected \\(12,\\)"),
        (np.r_[np.ones(3), np.nan, np.ones(8)], ValueError, "sample_weight\\[3\\] is nan"),
        (np.zeros(12), ValueError, "sum to a positive number"),
        (np.array(["w"] * 12), TypeError, "sample_weight must hold numbers, not text"),
        (np.array(["1.0"] * 12), TypeError, "sample_weight must hold numbers, not text"),
        (np.full(12, 1e308), ValueError, "sample_weight sums to more than float64 holds"),
        (np.full(12, 1e-320), ValueError,
         "sample_weight sums to 1.2e-319, less than the smallest normal float64"),
        # Read as "all weights are zero", which the weights given are not.
        (np.full(12, np.longdouble("1e-400")) if np.finfo(np.longdouble).tiny < 1e-400
         else np.full(12, Decimal("1e-400"), dtype=object), ValueError,
         r"sample_weight holds only weights below float64's smallest number, 0 in float64 "
         r"\(sample_weight\[0\] is (np\.longdouble\('1e-400'\)|Decimal\('1E-400'\))\)\. "
         r"Multiply the weights"),
    ],
)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bad_sample_weight(estimator, sample_weight, exc, match, return_sequences):
    """One check of sample_weight, in fit, partial_fit and score alike; score,
    which reads only the weights' ratios, takes sums beyond float64's normal
    range (see test_score_reads_only_the_weights_ratios)."""
    X, y = _Xy(estimator)
    if return_sequences:
        y = np.repeat(y[:, None], X.shape[1], axis=1)  # one target per step
    model = estimator(**FAST, return_sequences=return_sequences)
    with pytest.raises(exc, match=match):
        model.fit(X, y, sample_weight=sample_weight)
    classes = {"classes": np.unique(y)} if estimator is LSTMClassifier else {}
    with pytest.raises(exc, match=match):
        model.partial_fit(X, y, sample_weight=sample_weight, **classes)
    model.fit(X, y)
    if match.startswith("sample_weight sums to "):  # equal weights of any scale
        assert model.score(X, y, sample_weight=sample_weight) == pytest.approx(
            model.score(X, y), rel=1e-12)
        return
    with pytest.raises(exc, match=match):
        model.score(X, y, sample_weight=sample_weight)


def test_the_scale_of_sample_weight_is_the_strength_of_the_penalty():
    """What the overflow message advises is true: dividing sample_weight and
    alpha by one factor keeps the fit; dividing the weights alone does not."""
    X, y = _Xy(LSTMRegressor)
    w = np.random.RandomState(1).uniform(0.5, 2.0, size=len(y))
    params = dict(FAST, solver="lbfgs", max_iter=5)
    fit = LSTMRegressor(**params, alpha=1e-2).fit(X, y, sample_weight=w).predict(X)
    same = LSTMRegressor(**params, alpha=1e-2 / 1024).fit(X, y, sample_weight=w / 1024)
    assert_array_equal(same.predict(X), fit)
    other = LSTMRegressor(**params, alpha=1e-2).fit(X, y, sample_weight=w / 1024)
    assert not np.array_equal(other.predict(X), fit)
    with pytest.raises(ValueError, match="and alpha by the same factor to keep the fit") as caught:
        LSTMRegressor(**params).fit(X, y, sample_weight=np.full(len(y), 1e308))
    assert "ratios" not in str(caught.value)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("dtype, exponent", [(np.float64, -900), (np.float64, "largest"),
                                             (np.float32, "largest")])
def test_weights_in_any_units_fit_alike(solver, dtype, exponent):
    """sample_weight and alpha multiplied by one power of two train bit for bit
    alike. Fixed bug: weights whose sum neared the largest float (accepted:
    it is finite) overflowed the loss's weighted sum wherever the mean loss
    exceeded 2; L-BFGS stopped after 3 iterations at R² 0.40 reporting
    success, and Adam called it divergence. (Targets in natural units, not
    standardised, make the loss large here.)"""
    X, y = _Xy(LSTMRegressor, n=24)
    X, y = X.astype(dtype), 100 * y
    w = np.random.RandomState(1).uniform(0.5, 2.0, size=len(y))
    if exponent == "largest":  # the weights' sum within a factor 2 of the largest float
        exponent = np.finfo(dtype).maxexp - int(np.frexp(w.sum())[1])
    params = dict(FAST, solver=solver, max_iter=8, patch_length=1, scale_targets=False)
    unit = LSTMRegressor(**params, alpha=1e-3).fit(X, y, sample_weight=w)
    scaled = LSTMRegressor(**params, alpha=float(np.ldexp(1e-3, exponent))).fit(
        X, y, sample_weight=np.ldexp(w, exponent))
    assert unit.loss_ > 2
    assert scaled.n_iter_ == unit.n_iter_
    assert scaled.loss_ == unit.loss_
    assert_array_equal(scaled.predict(X), unit.predict(X))


def test_weights_too_small_for_the_dtype_of_the_fit_are_named():
    X, y = _Xy(LSTMRegressor)
    with pytest.raises(ValueError, match="sample_weight sums to .*smallest normal float32"):
        LSTMRegressor(**FAST).fit(X.astype(np.float32), y, sample_weight=np.full(len(y), 1e-100))
    with pytest.raises(ValueError, match="sample_weight sums to more than float32 holds"):
        LSTMRegressor(**FAST).fit(X.astype(np.float32), y, sample_weight=np.full(len(y), 1e38))
    model = LSTMRegressor(**FAST).fit(X, y)  # float64: the same weights are fine
    model.fit(X, y, sample_weight=np.full(len(y), 1e-100))


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_tiny_uniform_weights_name_the_penalty_they_make_huge():
    """Weights of 1e-200 make the L2 penalty alpha / sum(sample_weight) about
    1e195: a solver failure names it, not only the inputs."""
    X, y = _Xy(LSTMRegressor)
    model = LSTMRegressor(**FAST, solver="lbfgs").fit(X, y)
    before = pickle.dumps(model)
    with pytest.raises(ValueError, match="alpha / sum\\(sample_weight\\) is 8.33e\\+194 "
                                         "\\(sample_weight sums to 1.2e-199\\)"):
        model.fit(X, y, sample_weight=np.full(len(y), 1e-200))
    assert pickle.dumps(model) == before


def test_complex_sample_weight_is_rejected():
    X, y = _Xy(LSTMRegressor)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", np.exceptions.ComplexWarning)
        with pytest.raises(ValueError, match="[Cc]omplex"):
            LSTMRegressor(**FAST).fit(X, y, sample_weight=np.ones(12) + 1j)
        # NumPy's complex among objects: its imaginary part was dropped.
        objects = np.ones(12, dtype=object)
        objects[3] = np.complex64(1 + 2j)
        with pytest.raises(ValueError, match=r"sample_weight holds the complex number .* at "
                                             r"sample_weight\[3\]"):
            LSTMRegressor(**FAST).fit(X, y, sample_weight=objects)


@pytest.mark.parametrize("Model, early_stopping", [
    (LSTMRegressor, True), (LSTMRegressor, False), (LSTMRegressor, "auto"),
    (LSTMEncoderDecoderRegressor, True), (LSTMEncoderDecoderRegressor, False),
])
def test_stratified_split_is_refused_by_regressors(Model, early_stopping):
    # Refused even where nothing is held out: a regressor has no classes to
    # stratify by, and accepting it would let the setting mislead later.
    X, y = _Xy(LSTMRegressor)
    model = Model(**FAST, early_stopping=early_stopping, validation_split="stratified")
    with pytest.raises(ValueError, match=(
            f"{Model.__name__}: validation_split must be one of 'shuffle', 'tail', "
            "got 'stratified'")):
        model.fit(X, y)
    assert not hasattr(model, "n_iter_")


def test_unseen_classes_in_partial_fit():
    X, y = _Xy(LSTMClassifier)
    clf = LSTMClassifier(**FAST).partial_fit(X, y, classes=["a", "b", "c"])
    with pytest.raises(ValueError, match="classes \\[.*'d'.*\\] that were not declared"):
        clf.partial_fit(X, np.where(y == "a", "d", y))
    with pytest.raises(ValueError, match="differs from the classes of the first call"):
        clf.partial_fit(X, y, classes=["a", "b", "c", "d"])


def test_partial_fit_needs_classes_first():
    X, y = _Xy(LSTMClassifier)
    with pytest.raises(ValueError, match="classes must be passed on the first call"):
        LSTMClassifier(**FAST).partial_fit(X, y)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_bad_input_at_predict(estimator):
    X, y = _Xy(estimator, C=2)
    model = estimator(**FAST).fit(X, y)
    with pytest.raises(ValueError, match="X has 1 channels, but .* was fitted with 2 channels"):
        model.predict(X[:, :, :1])
    with pytest.raises(ValueError, match="X has 3 channels, but .* was fitted with 2 channels"):
        model.predict([np.ones((4, 3)), np.ones((2, 3))])
    with pytest.raises(ValueError, match="NaN inside sequence 1"):
        model.predict(_with(X, (1, 1, 1), np.nan))
    with pytest.raises(ValueError, match="infinity inside sequence 0 \\(step 0, channel 0\\)"):
        model.predict(_with(X, (0, 0, 0), np.inf))
    with pytest.raises(ValueError, match="infinity inside sequence 1 \\(step 2, channel 1\\)"):
        model.predict([X[0], _with(X[1, :3], (2, 1), np.inf)])  # not "too large to standardise"
    with pytest.raises(ValueError, match="X has 0 sample\\(s\\) \\(shape=\\(0, 5, 2\\)\\)"):
        model.predict(X[:0])
    with pytest.raises(ValueError, match="Sequence 0 of X has 0 channels"):
        model.predict([np.empty((3, 0))])
    with pytest.raises(ValueError, match="Reshape your data"):
        model.predict(X[0, :, 0])
    table = estimator(**FAST).fit(X[:, :, 0], y)
    with pytest.raises(ValueError, match="X has 4 features, but .* is expecting 5"):
        table.predict(X[:, :4, 0])
    with pytest.raises(ValueError, match="X has 0 feature\\(s\\) \\(shape=\\(12, 0\\)\\)"):
        table.predict(X[:, :0, 0])
    with pytest.raises(ValueError, match="infinity in sample 3, column 1\\. An LSTM reads finite"):
        table.predict(_with(X[:, :, 0], (3, 1), -np.inf))
    with pytest.raises(NotFittedError):
        estimator().predict(X)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_inputs_whose_conversion_fails_are_named_after_fit(estimator):
    # A model fitted on sequences asked np.ndim of X first, which raised the
    # array-like's own error; a classifier's partial_fit asked np.asarray of y.
    X, y = _Xy(estimator)
    model = estimator(**{**FAST, "solver": "adam"}).fit(X, y)
    for call in (model.predict, lambda X: model.score(X, y),
                 lambda X: model.partial_fit(X, y)):
        with pytest.raises(TypeError, match=r"X \(a _Unconvertible\) could not be converted"):
            call(_Unconvertible(X))
    classes = {"classes": np.unique(y)} if estimator is LSTMClassifier else {}
    with pytest.raises(TypeError, match=r"y \(a _Unconvertible\) could not be converted"):
        estimator(**{**FAST, "solver": "adam"}).partial_fit(X, _Unconvertible(y), **classes)


def _confident_classifier_probabilities():
    X = np.random.RandomState(0).normal(size=(100, 8, 1))
    y = np.digitize(X[:, -1, 0], [-0.5, 0.5])
    with np.errstate(all="warn"), warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LSTMClassifier((4,), max_iter=5, random_state=0).fit(X, y)
    model.out_coef_ = model.out_coef_ * 1e4  # a confident head, as loaded by hand
    return model.predict_proba(X[:2]), model.predict_log_proba(X[:2])


def _forecaster_interval_of_tiny_coverage():
    from sklstm.forecasting import RecursiveForecaster

    series = pd.Series(np.sin(np.arange(60) / 4), name="y")
    forecaster = RecursiveForecaster(LSTMRegressor((3,), solver="lbfgs", max_iter=5,
                                                   random_state=0),
                                     window=6, calibration_horizon=3).fit(series)
    return forecaster.predict_interval(3, coverage=1e-300)


def _float32_classifier_fit():
    X = np.random.RandomState(0).normal(size=(200, 12, 1)).astype(np.float32)
    return LSTMClassifier(random_state=0).fit(X, X[:, -3:, 0].sum(axis=1) > 0).predict_proba(X)


def _float32_saturated_gates_fit():
    X = np.random.RandomState(0).uniform(0, 100, size=(100, 12, 1)).astype(np.float32)
    return LSTMRegressor((8,), standardize=False, solver="lbfgs", max_iter=30,
                         random_state=0).fit(X, X[:, -3:, 0].sum(axis=1)).predict(X)


def _constant_quantiles():
    X = np.random.RandomState(0).uniform(-1, 1, size=(60, 4, 1))
    model = LSTMRegressor((4,), loss="quantile", max_iter=30, random_state=0)
    return model.fit(X, np.full(60, 3.0)).predict_quantiles(X[:2])


def _decaying_rate_fit():
    X = np.random.RandomState(0).normal(size=(100, 6, 1))
    return LSTMRegressor((3,), solver="sgd", learning_rate="invscaling", power_t=150,
                         max_iter=3, random_state=0).fit(X, X[:, -1, 0]).predict(X)


def _core_pass_of_tiny_weights():
    from sklstm.core import init_lstm_layers, init_output_layer, kernel_layers

    small = init_lstm_layers(2, (3,), np.random.default_rng(0), forget_bias=1e-50,
                             dtype=np.float32)
    init_output_layer(3, 1, np.random.default_rng(0), dtype=np.float32)
    layers = init_lstm_layers(2, (3,), np.random.default_rng(0))
    tiny = [{key: value * 1e-300 for key, value in layer.items()} for layer in layers]
    kernels = kernel_layers(tiny, np.float32)  # cast to float32: below its range
    out, cache = lstm_forward(np.ones((2, 4, 2), np.float32), kernels)
    return out, lstm_backward(np.ones_like(out), cache)["X"], small[0]["b"]


@pytest.mark.parametrize("workload", [
    _float32_classifier_fit, _float32_saturated_gates_fit,
    _confident_classifier_probabilities, _constant_quantiles, _decaying_rate_fit,
    _forecaster_interval_of_tiny_coverage, _core_pass_of_tiny_weights,
])
def test_a_callers_floating_point_traps_do_not_reach_underflow(workload):
    # np.seterr(all="raise") made FloatingPointError of sklstm's underflows
    # (saturated gates, Adam's squared gradients, exp of extreme logits,
    # casts, decaying rates): the same calls work, and give the same results.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # IterationLimitWarning of the short fits
        expected = workload()
        with np.errstate(all="raise"):
            trapped = workload()
    for a, b in zip(*(r if isinstance(r, tuple) else (r,) for r in (expected, trapped))):
        if isinstance(a, pd.DataFrame):
            pd.testing.assert_frame_equal(a, b)
        else:
            assert_array_equal(a, b)


@pytest.mark.parametrize("make, match", [
    # Refusals that the trap turned into FloatingPointError.
    (lambda X: LSTMClassifier((4,), solver="sgd", learning_rate_init=1e300, max_iter=5,
                              random_state=0).fit(X, np.digitize(X[:, -1, 0], [-0.5, 0.5])),
     "Training diverged"),
    (lambda X: LSTMRegressor((2,), max_iter=2).fit(X.astype(np.float32), X[:, -1, 0] * 1e-100),
     "finer than float32"),
])
def test_a_callers_floating_point_traps_keep_sklstms_refusals(make, match):
    X = np.random.RandomState(0).normal(size=(100, 8, 1))
    with np.errstate(all="raise"), pytest.raises(ValueError, match=match):
        make(X)


# -- property-based: any shape, dtype and values ---------------------------------------

_DTYPES = ["float32", "float64", "int64", "bool", "object"]
_SPECIAL = [np.nan, np.inf, -np.inf, 1e300, -1e300, 1e150, 0.0]


@st.composite
def _sequences(draw, max_samples=6, max_steps=6, max_channels=3):
    shape = (
        draw(st.integers(0, max_samples)),
        draw(st.integers(0, max_steps)),
        draw(st.integers(1, max_channels)),
    )
    dtype = draw(st.sampled_from(_DTYPES))
    if dtype in ("float32", "float64"):
        width = 32 if dtype == "float32" else 64
        elements = st.one_of(
            st.floats(-10, 10, width=width),
            st.floats(width=width),  # anything: NaN, inf, huge, subnormal
        )
        X = draw(hnp.arrays(dtype, shape, elements=elements))
    elif dtype == "int64":
        X = draw(hnp.arrays(dtype, shape, elements=st.integers(-(2**62), 2**62)))
    elif dtype == "bool":
        X = draw(hnp.arrays(dtype, shape))
    else:
        values = draw(hnp.arrays("float64", shape, elements=st.one_of(
            st.floats(-10, 10), st.sampled_from(_SPECIAL), st.integers(-5, 5))))
        X = values.astype(object)
    if draw(st.booleans()) and X.size and dtype in ("float32", "float64", "object"):
        # trailing padding of random length for each sequence
        for s in range(X.shape[0]):
            X[s, draw(st.integers(0, X.shape[1])) :] = np.nan
    return X


def _check_outcome(fit_predict):
    """Either a clean result or a ValueError/TypeError; never NaN output."""
    with warnings.catch_warnings():
        # Overflow RuntimeWarnings before a clean error are covered by the
        # tests of divergence below.
        warnings.simplefilter("ignore", RuntimeWarning)
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            out = fit_predict()
        except (ValueError, TypeError) as exc:
            assert str(exc), "errors must have a message"
            return None
    out = np.asarray(out, dtype=float)
    assert np.all(np.isfinite(out)), out
    return out


_PROPERTY = settings(
    max_examples=25, deadline=None, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@_PROPERTY
@given(
    X=_sequences(),
    X_new=_sequences(),
    solver=st.sampled_from(["adam", "lbfgs"]),
    standardize=st.booleans(),
    seed=st.integers(0, 2**16),
)
def test_regressor_any_input_fits_cleanly_or_raises(X, X_new, solver, standardize, seed):
    y = np.random.RandomState(seed).normal(size=X.shape[0])
    model = LSTMRegressor(hidden_layer_sizes=(2,), max_iter=2, random_state=seed,
                          solver=solver, standardize=standardize)
    if _check_outcome(lambda: model.fit(X, y).predict(X)) is not None:
        _check_outcome(lambda: model.predict(X_new))


@_PROPERTY
@given(
    X=_sequences(),
    X_new=_sequences(),
    n_classes=st.integers(1, 3),
    seed=st.integers(0, 2**16),
)
def test_classifier_any_input_fits_cleanly_or_raises(X, X_new, n_classes, seed):
    y = np.arange(X.shape[0]) % n_classes
    clf = LSTMClassifier(hidden_layer_sizes=(2,), max_iter=2, random_state=seed)
    proba = _check_outcome(lambda: clf.fit(X, y).predict_proba(X))
    if proba is not None:
        np.testing.assert_allclose(proba.sum(axis=1), 1.0)
        new = _check_outcome(lambda: clf.predict_proba(X_new))
        if new is not None:
            np.testing.assert_allclose(new.sum(axis=1), 1.0)


@_PROPERTY
@given(y=hnp.arrays("float64", st.integers(1, 8), elements=st.floats()))
def test_regressor_any_targets(y):
    X = np.random.RandomState(0).normal(size=(len(y), 4, 1))
    _check_outcome(lambda: LSTMRegressor(**FAST).fit(X, y).predict(X))


# -- nothing lost: errors leave a fitted model unchanged -----------------------------------


def _assert_same_state(a, b, path="model"):
    """Deep, exact comparison of fitted state (arrays bit-for-bit, NaN == NaN)."""
    assert type(a) is type(b), f"{path}: {type(a)} != {type(b)}"
    if isinstance(a, dict):
        assert a.keys() == b.keys(), f"{path}: keys {sorted(a)} != {sorted(b)}"
        for k in a:
            _assert_same_state(a[k], b[k], f"{path}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), f"{path}: lengths differ"
        for k, (u, v) in enumerate(zip(a, b)):
            _assert_same_state(u, v, f"{path}[{k}]")
    elif isinstance(a, np.ndarray):
        assert a.dtype == b.dtype and a.shape == b.shape, path
        assert_array_equal(a, b, err_msg=path, strict=True)
    elif isinstance(a, np.random.RandomState):
        _assert_same_state(a.get_state(legacy=False), b.get_state(legacy=False), path)
    elif hasattr(a, "__dict__"):
        _assert_same_state(vars(a), vars(b), path)
    elif isinstance(a, float) and np.isnan(a):
        assert np.isnan(b), path
    else:
        assert a == b, f"{path}: {a!r} != {b!r}"


def _fitted(estimator, solver="adam"):
    X, y = _Xy(estimator)
    model = estimator(**FAST, solver=solver)
    if solver == "lbfgs":
        return model.fit(X, y), X, y
    # two partial_fit calls give an optimizer state, an RNG and a loss curve
    kw = {"classes": ["a", "b", "c"]} if estimator is LSTMClassifier else {}
    model.partial_fit(X, y, **kw).partial_fit(X, y)
    return model, X, y


def _huge(y):
    return np.full(len(y), 1e200) if y.dtype.kind == "f" else y


# name -> (set_params before the call or None, call(model, X, y))
FAILING_CALLS = {
    "fit, NaN in X": (None, lambda m, X, y: m.fit(_with(X, (0, 1, 0), np.nan), y)),
    "partial_fit, NaN in X": (None, lambda m, X, y: m.partial_fit(_with(X, (0, 1, 0), np.nan), y)),
    "partial_fit, inf in X": (None, lambda m, X, y: m.partial_fit(_with(X, (3, 4, 1), np.inf), y)),
    "partial_fit, inf in a list item": (
        None, lambda m, X, y: m.partial_fit([X[0], _with(X[1], (1, 1), np.inf)] + list(X[2:]), y)),
    "partial_fit, no samples": (None, lambda m, X, y: m.partial_fit(X[:0], y[:0])),
    "partial_fit, subnormal sample_weight": (
        None, lambda m, X, y: m.partial_fit(X, y, sample_weight=np.full(len(y), 1e-320))),
    "partial_fit, layout changed": (dict(newest_first=True), lambda m, X, y: m.partial_fit(X, y)),
    "fit, ragged channels": (None, lambda m, X, y: m.fit([X[0], X[1, :, :1]] + list(X[2:]), y)),
    "fit, mismatched y": (None, lambda m, X, y: m.fit(X, y[:-1])),
    "partial_fit, mismatched y": (None, lambda m, X, y: m.partial_fit(X, y[:-1])),
    "partial_fit, y is None": (None, lambda m, X, y: m.partial_fit(X, None)),
    "fit, bad sample_weight": (None, lambda m, X, y: m.fit(X, y, sample_weight=-np.ones(len(y)))),
    "partial_fit, bad sample_weight": (
        None, lambda m, X, y: m.partial_fit(X, y, sample_weight=np.ones(3))),
    "partial_fit, zero sample_weight": (
        None, lambda m, X, y: m.partial_fit(X, y, sample_weight=np.zeros(len(y)))),
    "partial_fit, other channel count": (None, lambda m, X, y: m.partial_fit(X[:, :, :1], y)),
    "partial_fit, other column count": (
        dict(n_channels=2), lambda m, X, y: m.partial_fit(X[:, :, 0], y)),
    "fit, invalid alpha": (dict(alpha=-1.0), lambda m, X, y: m.fit(X, y)),
    "partial_fit, invalid hidden sizes": (dict(hidden_layer_sizes=(0,)), lambda m, X, y: m.partial_fit(X, y)),
    "fit, unknown solver": (dict(solver="newton"), lambda m, X, y: m.fit(X, y)),
    "fit, invalid validation_fraction": (
        dict(early_stopping=True, validation_fraction=2.0), lambda m, X, y: m.fit(X, y)),
    "warm start, other architecture": (
        dict(warm_start=True, hidden_layer_sizes=(5,)), lambda m, X, y: m.fit(X, y)),
    "warm start, peepholes added": (dict(warm_start=True, peephole=True), lambda m, X, y: m.fit(X, y)),
    "early stopping, too few samples": (
        dict(early_stopping=True), lambda m, X, y: m.fit(X[:1], y[:1])),
}
FAILING_REGRESSOR_CALLS = {
    "partial_fit, more outputs": (None, lambda m, X, y: m.partial_fit(X, np.c_[y, y])),
    "partial_fit, NaN in y": (None, lambda m, X, y: m.partial_fit(X, _with(y, 2, np.nan))),
    "fit, strings in y": (None, lambda m, X, y: m.fit(X, y.astype(str))),
    "partial_fit, diverges in the first epoch": (
        dict(learning_rate_init=1e300, solver="sgd"), lambda m, X, y: m.partial_fit(X * 0 + 1e10, _huge(y))),
}
FAILING_CLASSIFIER_CALLS = {
    "partial_fit, unseen class": (None, lambda m, X, y: m.partial_fit(X, np.where(y == "a", "z", y))),
    "partial_fit, other classes declared": (
        None, lambda m, X, y: m.partial_fit(X, y, classes=["a", "b"])),
    "fit, one class": (None, lambda m, X, y: m.fit(X, np.full(len(y), "a"))),
    "fit, continuous y": (None, lambda m, X, y: m.fit(X, np.linspace(0, 1, len(y)))),
    "fit, class weights all zero": (
        dict(class_weight={"a": 0, "b": 0, "c": 0}), lambda m, X, y: m.fit(X, y)),
    "partial_fit, multilabel after single-label": (
        None, lambda m, X, y: m.partial_fit(X, np.eye(3, dtype=int)[np.arange(len(y)) % 3])),
}


def _failing_cases():
    for est, table in [(LSTMRegressor, FAILING_CALLS), (LSTMClassifier, FAILING_CALLS),
                       (LSTMRegressor, FAILING_REGRESSOR_CALLS),
                       (LSTMClassifier, FAILING_CLASSIFIER_CALLS)]:
        for name in sorted(table):
            yield pytest.param(est, *table[name], id=f"{est.__name__}-{name}")


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("estimator, params, call", list(_failing_cases()))
def test_errors_leave_a_fitted_model_unchanged(estimator, params, call):
    model, X, y = _fitted(estimator)
    if params:
        model.set_params(**params)
    before = copy.deepcopy(model.__dict__)
    with pytest.raises((ValueError, TypeError)):
        call(model, X, y)
    _assert_same_state(before, model.__dict__)
    model.set_params(**estimator(**FAST).get_params())
    model.predict(X)  # still usable


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("shared", ["RandomState", "None"])
def test_a_fit_keeps_its_own_generator_never_the_callers(estimator, shared):
    X, y = _Xy(estimator)
    caller = np.random.RandomState(0) if shared == "RandomState" else None
    params = {**FAST, "batch_size": 5, "random_state": caller}
    model = estimator(**params).fit(X, y)
    assert model._rng is not (caller or np.random.mtrand._rand)
    # Successive fits from one generator still differ (scikit-learn's
    # convention), also when they run at the same time in threads.
    with ThreadPoolExecutor(2) as pool:
        models = list(pool.map(lambda _: estimator(**params).fit(X, y), range(4)))
    assert len({m.out_coef_.tobytes() for m in [model, *models]}) == 5
    # Later draws by the caller never reach the fitted model.
    twin = copy.deepcopy(model)
    (caller or np.random).normal(size=100)
    assert_array_equal(model.partial_fit(X, y).predict(X), twin.partial_fit(X, y).predict(X))
    # Nor does a failed refit, which draws its split before it fails (the
    # caller's generator, the random_state parameter, is the caller's).
    model.set_params(early_stopping=True, validation_split="shuffle", validation_fraction=0.5)
    before = copy.deepcopy({k: v for k, v in vars(model).items() if k != "random_state"})
    with pytest.raises(ValueError, match="all have zero weight"):
        model.fit(X, y, sample_weight=np.r_[1.0, np.zeros(len(y) - 1)])
    _assert_same_state(before, {k: v for k, v in vars(model).items() if k != "random_state"})


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_refused_state_leaves_the_model_as_it_was(estimator):
    model, X, y = _fitted(estimator)
    other, _, _ = _fitted(estimator)
    bad = other.__getstate__()
    bad["input_scale_"] = -bad["input_scale_"]
    bad["hidden_layer_sizes"] = (7,)
    before = copy.deepcopy(model.__dict__)
    with pytest.raises(ValueError, match="The loaded state is not that of a fitted"):
        model.__setstate__(bad)
    _assert_same_state(before, model.__dict__)


class _Tagged(LSTMRegressor):
    """A subclass whose __setstate__ sets an attribute before its parent's."""

    def __setstate__(self, state):
        state = dict(state)
        self.tag_note = state.pop("tag_note", "none")
        super().__setstate__(state)


def test_a_subclass_attribute_set_before_loading_survives_it():
    X, y = _Xy(LSTMRegressor)
    model = _Tagged(**FAST).fit(X, y)
    model.tag_note = "v1"
    assert pickle.loads(pickle.dumps(model)).tag_note == "v1"


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_new_fit_replaces_weights_set_wrongly_by_hand(estimator):
    # A new fit is no load: it must not refuse the state it replaces.
    model, X, y = _fitted(estimator)
    model.coefs_[0]["W"] = model.coefs_[0]["W"].T.copy()
    with pytest.raises(ValueError, match="looks transposed|must have shape"):
        model.predict(X)
    model.fit(X, y)
    assert np.isfinite(model.predict_proba(X) if estimator is LSTMClassifier
                       else model.predict(X)).all()


def test_a_class_weight_naming_every_class_may_name_absent_ones_too():
    # scikit-learn's rule: a fold that lacks a rare class still fits.
    X, y = _Xy(LSTMClassifier)
    weights = {"a": 1.0, "b": 2.0, "c": 1.0, "rare": 5.0}
    model = LSTMClassifier(**FAST, class_weight=weights).fit(X, y)
    plain = LSTMClassifier(**FAST, class_weight={"a": 1.0, "b": 2.0, "c": 1.0}).fit(X, y)
    assert_array_equal(model.out_coef_, plain.out_coef_)
    # With a class of y left unnamed, a name that is no class is most likely
    # misspelt: still refused.
    with pytest.raises(ValueError, match=r"class_weight names \['bb'\], which are not classes"):
        LSTMClassifier(**FAST, class_weight={"a": 1.0, "bb": 2.0}).fit(X, y)


@pytest.mark.filterwarnings("ignore:X does not have valid feature names")
def test_column_checks_are_raised_by_sklstm_in_scikit_learns_words():
    import traceback
    from pathlib import Path

    import pandas as pd

    X, y = _Xy(LSTMRegressor)
    table = pd.DataFrame(X[:, :, 0], columns=[f"lag_{k}" for k in range(5, 0, -1)])
    model = LSTMRegressor(**FAST).fit(table, y)
    for call, match in [
        (lambda: model.predict(table.rename(columns={"lag_1": "lag1"})), "feature names should match"),
        (lambda: model.predict(table.to_numpy()[:, :3]), "X has 3 features, but LSTMRegressor is expecting 5"),
    ]:
        with pytest.raises(ValueError, match=match) as raised:
            call()
        raised_in = Path(traceback.extract_tb(raised.value.__traceback__)[-1].filename)
        assert raised_in.parent.name == "sklstm", raised_in


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_state_comparison_sees_a_successful_update(estimator):
    # The check above would pass vacuously if it could not see a change.
    model, X, y = _fitted(estimator)
    before = copy.deepcopy(model.__dict__)
    _assert_same_state(before, copy.deepcopy(model.__dict__))
    model.partial_fit(X, y)
    with pytest.raises(AssertionError):
        _assert_same_state(before, model.__dict__)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_errors_leave_a_scipy_fitted_model_unchanged(estimator):
    model, X, y = _fitted(estimator, solver="lbfgs")
    before = copy.deepcopy(model.__dict__)
    for bad in (_with(X, (0, 1, 0), np.nan), X.astype(str), X[:, :, 0, None, None]):
        with pytest.raises(ValueError):
            model.fit(bad, y)
    with pytest.raises(ValueError, match="fitted with 2 channels"):
        model.set_params(warm_start=True).fit(X[:, :, :1], y)
    model.set_params(warm_start=False)
    if estimator is LSTMRegressor:
        with pytest.raises(ValueError, match="squared error would overflow float64"):
            model.set_params(scale_targets=False).fit(X, np.full(len(y), 1e200))
        model.set_params(scale_targets=True)
    _assert_same_state(before, model.__dict__)


# -- divergence and overflow -------------------------------------------------------------


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("learning_rate_init", [1e10, 1e300])
def test_huge_learning_rate_never_gives_nan_silently(estimator, learning_rate_init):
    X, y = _Xy(estimator)
    model = estimator(**dict(FAST, max_iter=5), solver="sgd", learning_rate_init=learning_rate_init)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            model.fit(X, y)
        except ValueError as exc:
            assert "diverged" in str(exc)
            return
    diverged = [w for w in caught if "diverged" in str(w.message)]
    if diverged:
        assert diverged[0].category is ConvergenceWarning
    assert np.all(np.isfinite(model.predict_proba(X) if estimator is LSTMClassifier else model.predict(X)))
    for layer in model.coefs_:
        for value in layer.values():
            assert np.all(np.isfinite(value))


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize("standardize", [True, False])
def test_huge_inputs_give_finite_predictions(estimator, solver, standardize):
    X, y = _Xy(estimator)
    model = estimator(**FAST, solver=solver, standardize=standardize).fit(X * 1e150, y)
    out = model.predict_proba(X * 1e150) if estimator is LSTMClassifier else model.predict(X * 1e150)
    assert np.all(np.isfinite(out))


def test_huge_targets_give_finite_predictions():
    X, y = _Xy(LSTMRegressor)
    assert np.all(np.isfinite(LSTMRegressor(**FAST).fit(X, y * 1e150).predict(X)))


@pytest.mark.parametrize("exponent", [-1000, -50, 50, 1000])
def test_data_in_any_units_fit_alike(exponent):
    """Inputs and targets multiplied by a power of two train bit for bit alike.

    Their statistics are computed on the values divided by a power of two, so
    neither tiny units (2**-50 is about 1e-15, once treated as constant) nor
    huge ones (2**1000 is about 1e301, once an overflow) change the fit.
    """
    X, y = _Xy(LSTMRegressor)
    unit = LSTMRegressor(**FAST).fit(X, y)
    scaled = LSTMRegressor(**FAST).fit(np.ldexp(X, exponent), np.ldexp(y, exponent))
    np.testing.assert_array_equal(scaled.input_scale_, np.ldexp(unit.input_scale_, exponent))
    np.testing.assert_array_equal(scaled.target_mean_, np.ldexp(unit.target_mean_, exponent))
    np.testing.assert_array_equal(scaled.loss_curve_, unit.loss_curve_)
    np.testing.assert_array_equal(
        scaled.predict(np.ldexp(X, exponent)), np.ldexp(unit.predict(X), exponent)
    )


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("factor", [1e-300, 1e-16, 1e300])
def test_inputs_in_extreme_units_are_standardised(estimator, factor):
    X, y = _Xy(estimator)
    model = estimator(**FAST).fit(X * factor, y)
    np.testing.assert_allclose(model.input_scale_ / factor, X.reshape(-1, 2).std(axis=0),
                               rtol=1e-12)
    reference = estimator(**FAST).fit(X, y)
    predict = "predict_proba" if estimator is LSTMClassifier else "predict"
    np.testing.assert_allclose(getattr(model, predict)(X * factor),
                               getattr(reference, predict)(X), rtol=1e-6)


@pytest.mark.parametrize("newest_first", [False, True])
def test_a_value_too_large_for_a_float32_model_is_named_at_predict(newest_first):
    """Steps are counted as X lays them out, newest first or not."""
    X, y = _Xy(LSTMRegressor)
    table = X[:, :, 0].astype(np.float32)
    model = LSTMRegressor(**FAST, newest_first=newest_first).fit(table, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="too large to standardise in float32, in "
                                             "sequence 4 \\(step 1, channel 0\\)"):
            model.predict(_with(X[:, :, 0], (4, 1), 1e300))


def test_a_held_out_value_beyond_the_training_parts_statistics_is_named_held_out():
    # Fitting on the same data without early stopping works: the refusal
    # said only "rescale the input", as if the value were too large for any fit.
    X, y = _Xy(LSTMRegressor)
    tiny = X * 1e-300
    tiny[-1] = X[-1] * 1e10  # in the tail that early stopping holds out
    params = dict(FAST, solver="adam", max_iter=2)
    with pytest.raises(ValueError, match=rf"too large to standardise in float64, in sequence "
                                         rf"{len(X) - 1} \(step \d, channel \d\); it is held "
                                         r"out by early stopping.*set early_stopping=False to "
                                         r"train on every sample\.$"):
        LSTMRegressor(**params, early_stopping=True).fit(tiny, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        assert np.isfinite(LSTMRegressor(**params, early_stopping=False).fit(tiny, y).loss_)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")
def test_targets_too_large_are_refused_with_a_clear_error():
    X, y = _Xy(LSTMRegressor)
    np.testing.assert_allclose(LSTMRegressor(**FAST).fit(X, y * 1e200).target_scale_,
                               [np.std(y) * 1e200], rtol=1e-12)
    for solver in ("adam", "lbfgs"):  # before training: not "diverged", nor scipy's
        with pytest.raises(ValueError, match=r"^y holds a value whose squared error would "
                                             r"overflow float64, in sample \d+"):
            LSTMRegressor(**FAST, solver=solver, scale_targets=False).fit(X, y * 1e200)
    # Targets at float64's edge leave predictions no room beyond them.
    with pytest.raises(ValueError, match=r"^y holds a target too close to the largest float64 "
                                         r"\(1.8e\+308\) .*Divide y by a power"):
        LSTMRegressor(**FAST, solver="lbfgs", scale_targets=False, loss="quantile").fit(
            X, np.sign(y) * 1.7e308)


# Overflow is expected when training diverges; it must be reported once, as
# the clean error or ConvergenceWarning, not also as numpy RuntimeWarnings
# (which pyproject.toml turns into errors for sklstm's modules).


def test_no_runtime_warning_for_huge_inputs():
    X, y = _Xy(LSTMRegressor)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        assert np.all(np.isfinite(LSTMRegressor(**FAST).fit(X * 1e160, y).predict(X * 1e160)))


@pytest.mark.parametrize("solver, scale_targets, match", [
    ("adam", False, "squared error would overflow"),
    ("lbfgs", False, "squared error would overflow"),
])
def test_no_runtime_warning_for_targets_too_large(solver, scale_targets, match):
    X, y = _Xy(LSTMRegressor)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match=match):
            LSTMRegressor(**FAST, solver=solver, scale_targets=scale_targets).fit(X, y * 1e160)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_no_runtime_warning_when_sgd_diverges(estimator):
    X, y = _Xy(estimator)
    model = estimator(**dict(FAST, max_iter=5), solver="sgd", learning_rate_init=1e300)
    # The regressor's kept weights predict beyond any target (an infinite
    # squared error), the classifier's have a log loss of 1e298: both refused.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="^Training diverged"):
            model.fit(X, y)


_EXTREME = np.array([1.7e308, -1.7e308, 1e300, -1e300, 745.0, -745.0, 40.0, -40.0, 0.0])


@pytest.mark.parametrize("coupled", [False, True])
@pytest.mark.parametrize("peephole", [False, True])
def test_lstm_gates_overflow_free(coupled, peephole):
    # Biases of ±1.7e308 drive every sigmoid and tanh to saturation.
    rng = np.random.RandomState(0)
    H, nb = 5, 3 if coupled else 4
    layer = {"W": rng.normal(size=(2, nb * H)), "R": rng.normal(size=(H, nb * H)),
             "b": rng.choice(_EXTREME, size=nb * H)}
    if peephole:
        layer["p"] = rng.choice(_EXTREME[2:], size=(nb - 1, H))
    X = rng.normal(size=(3, 4, 2))
    with np.errstate(all="raise"):
        out, cache = lstm_forward(X, [layer], lengths=[4, 2, 3], return_sequences=True)
        grads = lstm_backward(rng.normal(size=out.shape), cache)
    assert np.all(np.abs(out) <= 1)
    assert all(np.all(np.isfinite(g)) for g in grads["layers"][0].values())


def test_logistic_overflow_free():
    with np.errstate(all="raise"):
        p = OUTPUT_ACTIVATIONS["logistic"](_EXTREME)
    assert np.all((p >= 0) & (p <= 1))
    assert p[0] == 1 and p[1] == 0


# Underflow to 0 is the right answer for exp(-800); only overflow, invalid
# operations and division by zero would be wrong.
_NO_OVERFLOW = dict(over="raise", invalid="raise", divide="raise", under="ignore")


def test_softmax_overflow_free_for_realistic_logits():
    z = np.array([[800.0, -800.0, 0.0], [-1e5, 1e5, 3.0], [1e300, 1e300, -1e300]])
    with np.errstate(**_NO_OVERFLOW):
        p = OUTPUT_ACTIVATIONS["softmax"](z)
        log_p = log_softmax(z, axis=-1)
    assert np.all(np.isfinite(p)) and np.allclose(p.sum(axis=1), 1)
    assert not np.isnan(log_p).any()


def test_softmax_overflow_free_for_any_finite_logits():
    X, y = _Xy(LSTMClassifier)
    clf = LSTMClassifier(**FAST).fit(X, y)
    clf.out_coef_ = np.zeros_like(clf.out_coef_)
    clf.out_intercept_ = np.array([1.7e308, -1.7e308, 0.0])
    with np.errstate(**_NO_OVERFLOW):
        proba = clf.predict_proba(X)
        clf.predict_log_proba(X)
    assert_array_equal(proba[0], [1, 0, 0])


def test_binary_probabilities_overflow_free():
    X, y = _Xy(LSTMClassifier)
    y = y == "a"
    clf = LSTMClassifier(**FAST).fit(X, y)
    clf.out_coef_ = np.zeros_like(clf.out_coef_)
    for intercept in (1.7e308, -1.7e308):
        clf.out_intercept_ = np.array([intercept])
        with np.errstate(**_NO_OVERFLOW):
            proba = clf.predict_proba(X)
            log_proba = clf.predict_log_proba(X)
        assert np.all(np.isfinite(proba)) and not np.isnan(log_proba).any()


# -- threads ---------------------------------------------------------------------------------


def _blas_threads():
    return [info["num_threads"] for info in threadpool_info() if info["user_api"] == "blas"]


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_predict_from_eight_threads(estimator):
    rng = np.random.RandomState(0)
    X, y = _Xy(estimator, n=48, T=12)
    model = estimator(hidden_layer_sizes=(8, 8), max_iter=3, random_state=0).fit(X, y)
    method = model.predict_proba if estimator is LSTMClassifier else model.predict
    inputs = [rng.normal(size=(int(n), int(T), 2)) for n, T in rng.randint(1, 40, size=(8, 2))]
    inputs[3] = [rng.normal(size=(n, 2)) for n in (3, 17, 9)]  # one ragged batch
    serial = [method(x) for x in inputs]
    # Two BLAS threads, so that the core's switching to one thread for small
    # products is exercised concurrently too.
    with threadpool_limits(limits=2, user_api="blas"):
        before = _blas_threads()
        start = threading.Barrier(8)

        def work(k):
            start.wait()
            return [method(inputs[k]) for _ in range(5)]

        with ThreadPoolExecutor(max_workers=8) as pool:
            results = list(pool.map(work, range(8)))
        assert _blas_threads() == before  # the core restored BLAS's thread count
    for k, repeats in enumerate(results):
        for out in repeats:
            assert_array_equal(out, serial[k])


# -- long sequences ------------------------------------------------------------------------


@pytest.mark.slow
def test_ten_thousand_steps_train_and_predict():
    # A loop over time, not recursion: far beyond Python's recursion limit.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(2, 10_000, 1))
    y = X[:, -5:, 0].sum(axis=1)
    model = LSTMRegressor(hidden_layer_sizes=(4,), max_iter=2, random_state=0).fit(X, y)
    assert model.n_iter_ == 2 and np.all(np.isfinite(model.loss_curve_))
    assert np.all(np.isfinite(model.predict(X)))


def _peak_fit_memory(T):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(2, T, 1))
    y = rng.normal(size=2)
    model = LSTMRegressor(hidden_layer_sizes=(4,), max_iter=1, random_state=0)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        model.fit(X, y)
        return tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()


@pytest.mark.slow
def test_memory_grows_linearly_with_length():
    # Memory quadratic in T would give a ratio near 4; linear, at most 2
    # (less with the fixed overhead).
    small, large = _peak_fit_memory(500), _peak_fit_memory(1000)
    assert 1.0 < large / small < 2.6, (small, large)


@pytest.mark.parametrize("dtype, fit_bound, predict_bound", [
    (np.float64, 3.0, 1.6),
    (np.float32, 6.0, 2.5),  # the statistics read a float64 copy of X
])
def test_fit_and_predict_hold_few_copies_of_x(dtype, fit_bound, predict_bound, peak_bytes):
    # The input statistics took five copies of X (ten of a float32 X: its
    # float64 copy, |X|, the scaled values, their deviations, the squares),
    # standardising two more in float64, and whole patches a zero-padded one.
    # A small network and batch, so that X's copies set the peaks.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(6000, 64, 2)).astype(dtype)  # patches of 4 steps: whole
    model = LSTMRegressor((2,), max_iter=1, batch_size=64, patch_length=4, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        fitting = peak_bytes(lambda: model.fit(X, X[:, -1, 0]))
    predicting = peak_bytes(lambda: model.predict(X))
    assert fitting < fit_bound * X.nbytes, fitting / X.nbytes
    assert predicting < predict_bound * X.nbytes, predicting / X.nbytes


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("case", ["tiny sample_weight", "huge alpha"])
def test_an_overflowed_optimizer_moment_is_divergence_not_a_broken_model(estimator, case):
    # Finite weights with Adam's second moment at inf: the model could
    # neither predict nor be saved. The fit is refused as diverged, and a
    # partial_fit leaves a fitted model as it was.
    X, y = _Xy(estimator)
    params, weights = (({}, np.full(len(y), 1e-200)) if case == "tiny sample_weight"
                       else ({"alpha": 1e200}, None))
    with pytest.raises(ValueError, match="optimizer's moments became non-finite"):
        estimator(**FAST, **params).fit(X, y, sample_weight=weights)
    model, X, y = _fitted(estimator)
    before = copy.deepcopy(model.__dict__)
    model.set_params(**params)
    with pytest.raises(ValueError, match="Training diverged"):
        model.partial_fit(X, y, sample_weight=weights)
    model.set_params(**FAST, alpha=before["alpha"])
    _assert_same_state(before, model.__dict__)
    pickle.loads(pickle.dumps(model)).predict(X)


@pytest.mark.parametrize("estimator", ESTIMATORS)
def test_a_penalty_near_the_largest_float_is_divergence_not_a_broken_model(estimator):
    # With SGD and alpha near the largest float every batch loss is finite
    # (about 1e307); their weighted sum once overflowed, and loss_curve_ got
    # inf: the model could neither predict nor be saved. Batch weights are
    # now summed in units below 1, so the epoch loss is finite; the weights
    # still diverge, and the fit is refused, leaving a fitted model as it was.
    X, y = _Xy(estimator)
    with pytest.raises(ValueError, match="Training diverged"):
        estimator(**FAST, solver="sgd", alpha=1e308).fit(X, y)
    model, X, y = _fitted(estimator, solver="sgd")
    before = copy.deepcopy(model.__dict__)
    with pytest.raises(ValueError, match="Training diverged.*left unchanged"):
        model.set_params(alpha=1e308).partial_fit(X, y)
    model.set_params(alpha=before["alpha"])
    _assert_same_state(before, model.__dict__)
    pickle.loads(pickle.dumps(model)).predict(X)


@pytest.mark.parametrize("estimator", ESTIMATORS)
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_weights_grown_past_what_predict_takes_are_divergence_not_a_broken_model(
        estimator, solver):
    # A learning rate near the largest float makes one update so large that
    # the gate inputs may overflow: the fit kept those weights with a warning
    # (the loss of the epoch that made them is taken before its update), and
    # predict refused them. fit, a warm start and partial_fit now refuse them.
    X, y = _Xy(estimator)
    huge = dict(solver=solver, learning_rate_init=1e308)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # an error, not a warning that keeps
        with pytest.raises(ValueError, match="Training diverged: the weights it ended with .* "
                                             "overflow.*left unchanged"):
            estimator(**FAST, **huge).fit(X, y)
    kw = {"classes": ["a", "b", "c"]} if estimator is LSTMClassifier else {}
    with pytest.raises(ValueError, match="Training diverged: the weights it ended with"):
        estimator(**FAST, **huge).partial_fit(X, y, **kw)  # partial_fit keeps its optimizer
    model, X, y = _fitted(estimator, solver=solver)
    before = copy.deepcopy(model.__dict__)
    with pytest.raises(ValueError, match="Training diverged.*left unchanged"):
        model.set_params(warm_start=True, learning_rate_init=1e308).fit(X, y)
    model.set_params(learning_rate_init=before["learning_rate_init"], warm_start=False)
    _assert_same_state(before, model.__dict__)
    model.predict(X)


def test_weights_that_overflow_on_unstandardised_data_are_caught_in_continued_calls_too():
    # Values of 1e17 read as given (standardize=False) overflow float32 gates
    # with weights of 4e18, below any size check of the weights alone: a
    # first partial_fit and a warm start kept them without a word.
    rng = np.random.RandomState(0)
    X = (rng.normal(size=(20, 4, 2)) * 1e17).astype(np.float32)
    y = rng.normal(size=20).astype(np.float32)
    huge = dict(standardize=False, learning_rate_init=4e18, random_state=0)
    model = LSTMRegressor((3,), **huge)
    with pytest.raises(ValueError, match="Training diverged: the weights it ended with"):
        model.partial_fit(X, y)
    assert not hasattr(model, "coefs_")
    model = LSTMRegressor((3,), standardize=False, max_iter=2, random_state=0).fit(X, y)
    before = copy.deepcopy(model.__dict__)
    with pytest.raises(ValueError, match="Training diverged: the weights it ended with"):
        model.set_params(warm_start=True, learning_rate_init=4e18, max_iter=1).fit(X, y)
    model.set_params(warm_start=False, learning_rate_init=before["learning_rate_init"],
                     max_iter=2)
    _assert_same_state(before, model.__dict__)
    # Such weights set by hand are named at predict against X as given, not
    # as a standardised X it never was.
    model.coefs_[0]["W"][:] = np.float32(4e18)
    with pytest.raises(ValueError, match=r"gate inputs of coefs_\[0\] may overflow float32 "
                                         r".*: X holds values up to"):
        model.predict(X)
