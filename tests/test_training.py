"""The fit loop: partial_fit, warm_start, early stopping, verbose, divergence."""

import pickle
import re
import warnings
from fractions import Fraction

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score

import sklstm._base
import sklstm._training
from sklstm import LSTMClassifier, LSTMEncoderDecoderRegressor, LSTMRegressor
from sklstm.exceptions import IterationLimitWarning
from sklstm._loss import Network, Objective, forward_logits, loss_and_grad, sequence_loss
from sklstm._optimizers import AdamOptimizer, SGDOptimizer, copy_optimizer
from sklstm._params import ParamLayout

ignore_convergence = pytest.mark.filterwarnings(
    "ignore::sklearn.exceptions.ConvergenceWarning"
)


def sum_of_last_two(n_samples=20, n_steps=4, seed=0, noise=0.0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n_samples, n_steps, 1))
    return X, X[:, -2:, 0].sum(axis=1) + noise * rng.normal(size=n_samples)


def packed(model):
    """(theta, layout) of a fitted many-to-one model."""
    sizes = [layer["R"].shape[0] for layer in model.coefs_]
    layout = ParamLayout(model.coefs_[0]["W"].shape[0], sizes, model.n_outputs_,
                         peephole=model.peephole, coupled=model.coupled_gates)
    return layout.pack(model.coefs_, model.out_coef_, model.out_intercept_), layout


# -- partial_fit ---------------------------------------------------------------


@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
def test_partial_fit_exists_only_for_stochastic_solvers(Estimator):
    assert hasattr(Estimator(solver="adam"), "partial_fit")
    assert hasattr(Estimator(solver="sgd"), "partial_fit")
    for solver in ("lbfgs", "L-BFGS-B", "BFGS", "trust-ncg"):
        assert not hasattr(Estimator(solver=solver), "partial_fit")
    with pytest.raises(AttributeError) as error:
        getattr(Estimator(solver="lbfgs"), "partial_fit")
    assert "only available for stochastic solvers" in str(error.value.__cause__)


@ignore_convergence
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_partial_fit_calls_equal_fit_epochs(solver, assert_same_weights):
    """k calls of partial_fit run the same k epochs as fit(max_iter=k)."""
    X, y = sum_of_last_two()
    params = dict(solver=solver, batch_size=8, learning_rate_init=0.05, random_state=0)
    fitted = LSTMRegressor((3,), max_iter=3, **params).fit(X, y)
    model = LSTMRegressor((3,), **params)
    for k in range(3):
        model.partial_fit(X, y)
        assert model.n_iter_ == k + 1
        assert model.t_ == (k + 1) * len(X)
    assert_same_weights(model, fitted)
    assert model.loss_curve_ == fitted.loss_curve_


@ignore_convergence
def test_partial_fit_continues_a_fit():
    X, y = sum_of_last_two()
    model = LSTMRegressor((3,), max_iter=2, random_state=0).fit(X, y)
    before = model.out_coef_.copy()
    model.partial_fit(X, y)
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 3
    assert not np.array_equal(model.out_coef_, before)


def test_classifier_partial_fit_needs_classes_first():
    X, y = sum_of_last_two()
    labels = np.where(y > 0, "up", "down")
    clf = LSTMClassifier((2,), random_state=0)
    with pytest.raises(ValueError, match="classes must be passed"):
        clf.partial_fit(X, labels)
    assert not hasattr(clf, "coefs_")
    # the first batch holds one class only; classes declares all three
    clf.partial_fit(X[:5], np.full(5, "down"), classes=["up", "down", "flat"])
    np.testing.assert_array_equal(clf.classes_, ["down", "flat", "up"])
    assert clf.out_coef_.shape == (2, 3)
    clf.partial_fit(X, labels)  # classes may be left out later
    with pytest.raises(ValueError, match=r"classes \['sideways'\]"):
        clf.partial_fit(X[:2], ["up", "sideways"])
    with pytest.raises(ValueError, match="differs from the classes"):
        clf.partial_fit(X, labels, classes=["up", "down"])
    assert clf.n_iter_ == 2  # the failed calls changed nothing


def test_partial_fit_rejects_balanced_class_weight():
    """'balanced' would weigh each call's batch differently (fixed bug: it did)."""
    X, y = sum_of_last_two()
    labels = np.where(y > 0.5, "a", "b")
    clf = LSTMClassifier((2,), class_weight="balanced")
    # Not offered at all (as with a scipy solver), so that scikit-learn's
    # checks and meta-estimators see no partial_fit that always raises.
    assert not hasattr(clf, "partial_fit")
    with pytest.raises(AttributeError) as caught:
        clf.partial_fit(X, labels, classes=["a", "b"])
    # scikit-learn's available_if chains the reason.
    assert "partial_fit is not available with class_weight='balanced'" in str(
        caught.value.__cause__)
    # a dict is consistent from call to call, and is accepted
    LSTMClassifier((2,), class_weight={"a": 2.0, "b": 1.0}).partial_fit(
        X, labels, classes=["a", "b"]
    )


# -- mini-batches ----------------------------------------------------------------


@pytest.mark.parametrize("batch_size", [1, 3, 7, 32, 200])
def test_batch_bounds_are_near_equal_and_cover_the_epoch(batch_size):
    for n in range(1, 150):
        bounds = sklstm._training.batch_bounds(n, batch_size)
        sizes = [end - begin for begin, end in bounds]
        assert len(bounds) == -(-n // batch_size)
        assert bounds[0][0] == 0 and bounds[-1][1] == n
        assert all(prev[1] == nxt[0] for prev, nxt in zip(bounds, bounds[1:]))
        assert max(sizes) <= batch_size and max(sizes) - min(sizes) <= 1


@pytest.mark.parametrize("n, batch_size", [(0, 32), (5, 0)])
def test_batch_bounds_refuse_empty_epochs_and_batches(n, batch_size):
    with pytest.raises(ValueError, match="needs n_samples >= 1 and batch_size >= 1"):
        sklstm._training.batch_bounds(n, batch_size)


@ignore_convergence
@pytest.mark.parametrize("shuffle", [False, True])
def test_an_epoch_has_no_small_remainder_batch(shuffle, monkeypatch):
    """67 samples in batches of at most 32 make 22, 22 and 23, not 32, 32
    and 3, and every sample is seen once an epoch."""
    seen = []
    original = sklstm._training._batch_step

    def recording(theta, optimizer, batch, *args):
        seen.append(batch.seqs.values[:, 0, 0].copy())
        return original(theta, optimizer, batch, *args)

    monkeypatch.setattr(sklstm._training, "_batch_step", recording)
    X, y = sum_of_last_two(n_samples=67)
    LSTMRegressor((3,), max_iter=2, batch_size=32, shuffle=shuffle, standardize=False,
                  random_state=0).fit(X, y)
    assert [len(batch) for batch in seen] == [22, 22, 23] * 2
    for epoch in (seen[:3], seen[3:]):
        np.testing.assert_array_equal(np.sort(np.concatenate(epoch)), np.sort(X[:, 0, 0]))
    if not shuffle:
        np.testing.assert_array_equal(seen[0], X[:22, 0, 0])


# -- warm_start ------------------------------------------------------------------


@ignore_convergence
def test_warm_start_takes_one_adam_step_from_overwritten_weights():
    """Warm start starts from whatever is in coefs_, out_coef_, out_intercept_,
    with a fresh optimizer: the first Adam step is lr * g / (|g| + eps')."""
    X, y = sum_of_last_two(n_samples=12)
    model = LSTMRegressor((3,), standardize=False, scale_targets=False, batch_size=12,
                          shuffle=False, alpha=0.01, learning_rate_init=0.01, max_iter=5,
                          patch_length=1, random_state=0).fit(X, y)
    rng = np.random.RandomState(42)
    for layer in model.coefs_:
        for name in layer:
            layer[name] = rng.normal(size=layer[name].shape)
    model.out_coef_ = rng.normal(size=model.out_coef_.shape)
    model.out_intercept_ = np.array([0.3])
    theta0, layout = packed(model)
    _, g = loss_and_grad(theta0, X, y[:, None], None, None,
                         Network(layout, False), Objective("squared_error", 0.01))
    lr, beta_1, beta_2, eps = 0.01, 0.9, 0.999, 1e-8
    m, v = (1 - beta_1) * g, (1 - beta_2) * g**2
    expected = theta0 - lr * np.sqrt(1 - beta_2) / (1 - beta_1) * m / (np.sqrt(v) + eps)

    model.set_params(warm_start=True, max_iter=1).fit(X, y)
    np.testing.assert_allclose(packed(model)[0], expected, rtol=1e-12, atol=1e-15)
    assert model.n_iter_ == 6  # epochs accumulate, as in MLPRegressor


@ignore_convergence
def test_warm_start_uses_the_new_learning_rate():
    """Fixed bug: a warm-started fit reused the old optimizer, and with it
    the old learning rate, momentum and moments, ignoring set_params."""
    X, y = sum_of_last_two()
    model = LSTMRegressor((3,), solver="sgd", learning_rate_init=0.1, max_iter=5,
                          random_state=0).fit(X, y)
    before = packed(model)[0]
    model.set_params(warm_start=True, learning_rate_init=1e-300, max_iter=2).fit(X, y)
    np.testing.assert_array_equal(packed(model)[0], before)


@ignore_convergence
def test_without_warm_start_fit_starts_afresh(assert_same_weights):
    X, y = sum_of_last_two()
    model = LSTMRegressor((3,), max_iter=3, random_state=0).fit(X, y)
    model.out_coef_ = model.out_coef_ + 5.0
    model.fit(X, y)
    assert_same_weights(model, LSTMRegressor((3,), max_iter=3, random_state=0).fit(X, y))
    assert model.n_iter_ == 3


@ignore_convergence
def test_warm_start_with_other_sizes_raises_and_keeps_the_model():
    X, y = sum_of_last_two()
    model = LSTMRegressor((3,), max_iter=2, random_state=0).fit(X, y)
    kept = packed(model)[0]
    model.set_params(warm_start=True, hidden_layer_sizes=(4,))
    with pytest.raises(ValueError, match=r"fitted with hidden_layer_sizes=\(3,\), but hidden_layer_sizes is now \(4,\)"):
        model.fit(X, y)
    np.testing.assert_array_equal(packed(model)[0], kept)


@ignore_convergence
@pytest.mark.parametrize("continued", ["warm_start", "partial_fit"])
def test_each_fits_y_decides_the_shape_of_the_predictions(continued):
    """A continued model kept its first y's shape: fitted on (n, 1), then on
    (n,), it predicted (n, 1), whose errors against y broadcast to (n, n)."""
    X, y = sum_of_last_two()
    for first, then in ((y[:, None], y), (y, y[:, None])):
        model = LSTMRegressor((3,), max_iter=2, warm_start=True, random_state=0)
        fit = model.partial_fit if continued == "partial_fit" else model.fit
        fit(X, first)
        fit(X, then)
        assert model.predict(X).shape == then.shape
        assert model.score(X, then) == r2_score(then, model.predict(X))
        # A refused call keeps the shape it found.
        with pytest.raises(ValueError, match="output"):
            fit(X, np.c_[y, y])
        assert model.predict(X).shape == then.shape


# -- early stopping --------------------------------------------------------------


def early_stopping_model(**params):
    # patch_length=1: validation_loss (below) reads X step by step.
    defaults = dict(early_stopping=True, learning_rate_init=0.1, batch_size=8,
                    n_iter_no_change=4, max_iter=60, patch_length=1, random_state=0)
    return LSTMRegressor((4,), **{**defaults, **params})


def validation_loss(model, X, y):
    """Loss without penalty of a fitted model on (X, y), as early stopping sees
    it: inputs and targets standardised."""
    theta, layout = packed(model)
    Xs = (X - model.input_mean_) / model.input_scale_
    ys = (y[:, None] - model.target_mean_) / model.target_scale_
    z, _, _ = forward_logits(theta, Xs, None, Network(layout, False))
    return sequence_loss(z, ys, None, None, Objective("squared_error", 0.0))


@ignore_convergence
def test_early_stopping_holds_out_the_tail_and_restores_the_best_epoch():
    X, y = sum_of_last_two(n_samples=40, noise=0.3)
    model = early_stopping_model().fit(X, y)
    curve = model.validation_loss_curve_
    best = int(np.argmin(curve))
    assert best < len(curve) - 1, "the test needs the best epoch before the last"
    assert len(model.loss_curve_) == len(curve) == len(model.validation_scores_) == model.n_iter_
    assert model.best_validation_loss_ == curve[best]
    # the held-out samples are the last 10 % (4 of 40), in time order
    tail = slice(36, 40)
    assert validation_loss(model, X[tail], y[tail]) == pytest.approx(curve[best], rel=1e-12)
    assert model.validation_scores_[best] == pytest.approx(
        r2_score(y[tail], model.predict(X[tail])), rel=1e-12
    )
    # the same run cut off at the best epoch ends with the same weights
    at_best = early_stopping_model(max_iter=best + 1).fit(X, y)
    np.testing.assert_array_equal(at_best.predict(X), model.predict(X))
    assert at_best.validation_loss_curve_ == curve[: best + 1]


@pytest.mark.parametrize("split", ["shuffle", "stratified"])
def test_random_validation_splits(split, monkeypatch):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 3, 1))
    labels = np.array(["a"] * 30 + ["b"] * 10)  # sorted: the tail is all "b"
    held_out = []
    real = sklstm._base.train_test_split

    def recording(*args, **kwargs):
        train, val = real(*args, **kwargs)
        held_out.append(val)
        return train, val

    monkeypatch.setattr(sklstm._base, "train_test_split", recording)
    clf = LSTMClassifier((2,), early_stopping=True, validation_split=split,
                         validation_fraction=0.2, n_iter_no_change=2, max_iter=8,
                         random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        clf.fit(X, labels)
    (val,) = held_out
    assert len(val) == 8 and not np.array_equal(np.sort(val), np.arange(32, 40))
    if split == "stratified":
        assert np.sum(labels[val] == "b") == 2  # 25 % of 8, as in the data
    # the recorded samples are those early stopping scored: accuracy of the
    # restored (best) model on them is the score of the best epoch
    best = int(np.argmin(clf.validation_loss_curve_))
    assert clf.score(X[val], labels[val]) == pytest.approx(clf.validation_scores_[best])


def test_standardisation_ignores_the_validation_part():
    """With early stopping, input statistics come from the training part only."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 3, 2))
    X[-5:] += 100.0  # the tail, held out for validation, is far off
    y = X[:, -1, 0]
    model = LSTMRegressor((2,), early_stopping=True, validation_fraction=0.25,
                          max_iter=2, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    train = X[:15].reshape(-1, 2)
    np.testing.assert_allclose(model.input_mean_, train.mean(axis=0), rtol=1e-12)
    np.testing.assert_allclose(model.input_scale_, train.std(axis=0), rtol=1e-12)


@ignore_convergence
def test_early_stopping_split_errors():
    X, y = sum_of_last_two()
    # the advice says which way the fraction must move, if any can work
    with pytest.raises(ValueError, match="at least one training and two validation samples: "
                                         r"3 samples .* hold out 3\. Lower validation_fraction "
                                         "to at most 2/3"):
        LSTMRegressor((2,), early_stopping=True, validation_fraction=0.99).fit(X[:3], y[:3])
    with pytest.raises(ValueError, match="No validation_fraction can: add data"):
        LSTMRegressor((2,), early_stopping=True, validation_fraction=0.5).fit(X[:2], y[:2])
    # one validation sample: its R² is undefined, and sklearn's r2_score
    # warned at every epoch while validation_scores_ filled with NaN
    with pytest.raises(ValueError, match=r"10 samples with validation_fraction=0\.1 hold out 1\. "
                                         r"Raise validation_fraction above 1/10, add data"):
        LSTMRegressor((2,), early_stopping=True).fit(X[:10], y[:10])
    # the fractions advised work
    for n, fraction in ((3, 2 / 3), (10, 0.1 + 1e-9)):
        LSTMRegressor((2,), max_iter=2, early_stopping=True,
                      validation_fraction=fraction).fit(X[:n], y[:n])


@ignore_convergence
def test_early_stopping_refuses_a_training_part_without_a_class():
    """Fixed bug: samples ordered by class left the last class in the tail,
    and the classifier trained on the others and was scored on it, silently."""
    X = np.random.RandomState(0).normal(size=(20, 3, 1))
    params = dict(hidden_layer_sizes=(2,), max_iter=2, early_stopping=True, random_state=0)
    ordered = np.array(["a"] * 16 + ["b"] * 4)
    match = (r"training part of validation_split='tail' \(validation_fraction=0\.2\) has "
             r"no sample of the class 'b', which the validation part holds, .*'stratified'.* "
             r"or set early_stopping=False")
    with pytest.raises(ValueError, match=match):
        LSTMClassifier(**params, validation_fraction=0.2).fit(X, ordered)
    # Three classes, two of them only in the tail; a zero weight hides one.
    three = np.array(["a"] * 14 + ["b"] * 2 + ["c"] * 4)
    with pytest.raises(ValueError, match=r"of the class 'b', class 'c', which .* learn them"):
        LSTMClassifier(**params, validation_fraction=0.3).fit(X, three)
    weights = np.where(three == "b", 0.0, 1.0)
    weights[-1] = 1.0
    with pytest.raises(ValueError, match=r"no sample of the class 'c'"):
        LSTMClassifier(**params, validation_fraction=0.2).fit(X, three, sample_weight=weights)
    # A tail of labels ordered by class that lacks a class is refused too: its
    # loss, of the last class only, stopped BasicMotions' fit after 12 epochs at
    # 0.08 test accuracy (sktime's loaders order it by class).
    with pytest.raises(ValueError, match=r"y is ordered by class .* holds only class 'a', of "
                                         r"the 2 classes: .*validation_split='stratified'"):
        LSTMClassifier(**params, validation_fraction=0.2).fit(X, ordered[::-1])
    # Random and stratified splits of ordered classes, and interleaved classes,
    # are fine.
    LSTMClassifier(**params, validation_split="stratified").fit(X, ordered)
    LSTMClassifier(**params, validation_split="shuffle").fit(X, ordered[::-1])
    LSTMClassifier(**params).fit(X, np.tile(["a", "b"], 10))
    # Multilabel targets: a label never 1, or never 0, before the tail.
    Y = np.zeros((20, 2), dtype=int)
    Y[::2, 0] = 1
    Y[17:, 1] = 1
    with pytest.raises(ValueError, match=r"no sample of the label 1 = 1,"):
        LSTMClassifier(**params, validation_fraction=0.2).fit(X, Y)
    with pytest.raises(ValueError, match=r"no sample of the label 1 = 0,"):
        LSTMClassifier(**params, validation_fraction=0.2).fit(X, 1 - Y)
    # Per-step labels: their real steps count, not padding.
    steps = np.where(np.arange(20)[:, None] < 18, 0, 1) * np.ones((20, 3), dtype=int)
    with pytest.raises(ValueError, match=r"no step of the class 1,"):
        LSTMClassifier(**params, return_sequences=True).fit(X, steps)
    # A random split that holds out a rare class says so, and what to change;
    # dates are named as dates.
    dates = np.array(["2020-01-01", "2020-01-02", "2020-01-03"], dtype="datetime64[ns]")
    rare = dates[np.r_[np.tile([0, 1], 9), [0, 2]]]
    failed = 0
    for seed in range(10):
        try:
            LSTMClassifier(**{**params, "random_state": seed}, validation_split="shuffle",
                           validation_fraction=0.1).fit(X, rare)
        except ValueError as error:
            failed += 1
            assert re.search(r"no sample of the class '2020-01-03T00:00:00\.000000000', "
                             r".*random split held out all of them: .*another random_state",
                             str(error))
    assert 0 < failed < 10


@pytest.mark.parametrize("zero", ["training", "validation"])
def test_early_stopping_with_a_weightless_part_raises(zero):
    """Fixed bug: zero weight on every training sample crashed with
    ZeroDivisionError; on every validation sample, it gave NaN scores."""
    X, y = sum_of_last_two()
    sample_weight = np.ones(20)
    sample_weight[slice(0, 18) if zero == "training" else slice(18, 20)] = 0.0
    with pytest.raises(ValueError, match=f"the {zero} part all have zero weight"):
        LSTMRegressor((2,), early_stopping=True, max_iter=2).fit(X, y, sample_weight)


def test_early_stopping_with_one_weighted_validation_sample_raises():
    # As two unweighted ones are asked for: one sample's R² is undefined,
    # and validation_scores_ read 0.0 at every epoch.
    X, y = sum_of_last_two()
    sample_weight = np.ones(20)
    sample_weight[19] = 0.0  # the tail's two: one left of positive weight
    with pytest.raises(ValueError, match=r"the samples of the validation part hold 1 of "
                                         r"positive weight, where it needs 2"):
        LSTMRegressor((2,), early_stopping=True, validation_split="tail",
                      validation_fraction=0.1, max_iter=2).fit(X, y, sample_weight)


# -- verbose ---------------------------------------------------------------------

LINE = re.compile(
    r"Iteration (\d+), loss = ([0-9.e+-]+)(?:, validation loss = ([0-9.e+-]+))?, "
    r"elapsed ([0-9.]+) s$"
)


@pytest.mark.parametrize("early_stopping", [False, True])
def test_verbose_prints_one_line_per_epoch(early_stopping, capsys):
    X, y = sum_of_last_two(n_samples=40, noise=0.3)
    model = early_stopping_model(early_stopping=early_stopping, verbose=1, max_iter=50)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    epochs = [LINE.match(line) for line in lines if line.startswith("Iteration")]
    assert len(epochs) == model.n_iter_ and all(epochs)
    assert [int(m[1]) for m in epochs] == list(range(1, model.n_iter_ + 1))
    # printed with 8 decimals
    np.testing.assert_allclose([float(m[2]) for m in epochs], model.loss_curve_, atol=6e-9)
    if early_stopping:
        np.testing.assert_allclose(
            [float(m[3]) for m in epochs], model.validation_loss_curve_, atol=6e-9
        )
    else:
        assert all(m[3] is None for m in epochs)
    elapsed = [float(m[4]) for m in epochs]
    assert elapsed == sorted(elapsed)
    if model.n_iter_ < 50:  # stopped early: one more line says why
        assert "did not improve" in lines[-1] and len(lines) == model.n_iter_ + 1


def test_not_verbose_prints_nothing(capsys):
    X, y = sum_of_last_two()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        early_stopping_model(max_iter=5).fit(X, y)
    assert capsys.readouterr().out == ""


# -- divergence ------------------------------------------------------------------


def test_divergence_in_the_first_epoch_raises_and_keeps_the_model():
    X, y = sum_of_last_two()
    model = LSTMRegressor((3,), solver="sgd", learning_rate_init=1e10, batch_size=1,
                          max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # no overflow noise either
        with pytest.raises(ValueError, match="Training diverged.*first epoch"):
            model.fit(X, y)
    assert not hasattr(model, "coefs_")
    # a fitted model stays exactly as it was, whether fit or partial_fit fails
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.set_params(learning_rate_init=0.01).fit(X, y)
    kept, n_iter = packed(model)[0], model.n_iter_
    model.set_params(learning_rate_init=1e10, warm_start=True)
    with pytest.raises(ValueError, match="diverged"):
        model.fit(X, y)
    # partial_fit keeps its optimizer's learning rate; targets whose loss
    # would overflow are refused before it trains
    with pytest.raises(ValueError, match="squared error would overflow"):
        model.partial_fit(X, y * 1e300)
    np.testing.assert_array_equal(packed(model)[0], kept)
    assert model.n_iter_ == n_iter


def test_divergence_later_keeps_the_last_finite_epoch(monkeypatch, assert_same_weights):
    X, y = sum_of_last_two()
    real = sklstm._training.loss_and_grad
    calls = []

    def nan_from_the_seventh_call(*args, **kwargs):
        calls.append(1)
        loss, grad = real(*args, **kwargs)
        return (np.nan, grad) if len(calls) >= 7 else (loss, grad)

    params = dict(batch_size=10, learning_rate_init=0.05, random_state=0)  # 2 batches/epoch
    monkeypatch.setattr(sklstm._training, "loss_and_grad", nan_from_the_seventh_call)
    model = LSTMRegressor((3,), max_iter=10, **params)
    with pytest.warns(ConvergenceWarning, match="diverged in epoch 4.*weights of epoch 3"):
        model.fit(X, y)
    monkeypatch.undo()
    assert model.n_iter_ == 3 and len(model.loss_curve_) == 3
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        three_epochs = LSTMRegressor((3,), max_iter=3, **params).fit(X, y)
    assert_same_weights(model, three_epochs)
    assert np.all(np.isfinite(model.predict(X)))


def test_divergence_after_the_loss_exploded_is_refused(monkeypatch):
    # The last finite epoch's weights, after a loss that rose a
    # hundredfold, were kept with a warning, where the same loss staying
    # finite to the end is refused.
    X, y = sum_of_last_two()
    real = sklstm._training._run_epoch
    calls = []

    def exploding_then_nan(*args, **kwargs):
        calls.append(1)
        run = real(*args, **kwargs)
        if len(calls) == 3:
            return None
        return run if len(calls) == 1 else (run[0] * 100, run[1])

    monkeypatch.setattr(sklstm._training, "_run_epoch", exploding_then_nan)
    model = LSTMRegressor((3,), max_iter=10, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        with pytest.raises(ValueError, match=r"training loss rose from .* \(the first epoch\) "
                                             r"to .* in the last epoch\. The model was left"):
            model.fit(X, y)
    assert not hasattr(model, "coefs_")


def test_weights_kept_after_a_divergence_are_scored_against_the_start():
    """With one batch an epoch, epoch 1's weights are those whose loss then
    overflowed: a step size of 1e300 kept them, predicting 1e300, with
    loss_curve_ showing the random weights' loss and no word that the fit
    ended worse than it started. Weights whose training loss is infinite
    are refused, as scikit-learn's MLP refuses non-finite weights."""
    X, y = sum_of_last_two()
    model = LSTMRegressor((3,), learning_rate_init=1e300, random_state=0)
    with pytest.raises(ValueError, match=r"Training diverged: the training loss of the weights "
                                         r"it ended with is inf.*left unchanged"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, y)
    assert not hasattr(model, "coefs_")


@pytest.mark.parametrize("continue_by", ["partial_fit", "warm start"])
def test_a_continued_call_ending_at_absurd_weights_is_refused_or_warned(continue_by):
    """Fixed bug: partial_fit or a warm start with one batch an epoch and a
    step of 1e300 kept weights predicting 1e299, with no warning (a
    continued call measured its final loss only where gates may overflow,
    and never compared it); score was -inf, loss_ the earlier loss."""
    X, y = sum_of_last_two(n_samples=40)
    for estimator, target in [(LSTMRegressor, y), (LSTMClassifier, y > 0)]:
        model = estimator((4,), max_iter=3, random_state=0,
                          warm_start=continue_by == "warm start")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.fit(X, target)
        expected = model.predict_proba(X) if estimator is LSTMClassifier else model.predict(X)
        model.set_params(solver="sgd", learning_rate_init=1e300)
        go_on = model.partial_fit if continue_by == "partial_fit" else model.fit
        if estimator is LSTMRegressor:  # a squared error of 1e299: infinite
            with pytest.raises(ValueError, match=r"training loss of the weights it ended "
                                                 r"with is inf.*left unchanged"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    go_on(X, target)
            np.testing.assert_array_equal(model.predict(X), expected)
        elif continue_by == "warm start":
            # A log loss of 1e298 is finite, and 1e298 times where the call
            # started: refused, as an infinite one (it warned and kept them).
            with pytest.raises(ValueError, match=r"Training diverged: the training loss rose "
                               r"from .* to .*e\+\d+ at the weights it ended with\. The model "
                               r"was left unchanged"):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", ConvergenceWarning)
                    go_on(X, target)
            np.testing.assert_array_equal(model.predict_proba(X), expected)
        else:  # partial_fit's batch may raise the loss: one warning, and the stream goes on
            with pytest.warns(ConvergenceWarning) as record:
                go_on(X, target)
            assert len(record) == 1
            assert re.search(r"^Training diverged: the training loss rose from .* to .*e\+\d+ "
                             r"at the weights it ended with\.", str(record[0].message))


def test_divergence_mid_epoch_rolls_back_the_optimizer_too(monkeypatch, assert_same_weights):
    """A diverged epoch's first updates must not linger in Adam's moments."""
    X, y = sum_of_last_two()
    real = sklstm._training.loss_and_grad
    calls = []

    def nan_from_the_eighth_call(*args, **kwargs):
        calls.append(1)
        loss, grad = real(*args, **kwargs)
        return (np.nan, grad) if len(calls) >= 8 else (loss, grad)  # 2nd batch of epoch 4

    params = dict(batch_size=10, learning_rate_init=0.05, random_state=0)
    monkeypatch.setattr(sklstm._training, "loss_and_grad", nan_from_the_eighth_call)
    model = LSTMRegressor((3,), max_iter=10, **params)
    with pytest.warns(ConvergenceWarning, match="diverged in epoch 4"):
        model.fit(X, y)
    monkeypatch.undo()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        three_epochs = LSTMRegressor((3,), max_iter=3, **params).fit(X, y)
    assert_same_weights(model, three_epochs)
    assert model._optimizer.t == three_epochs._optimizer.t == 6
    np.testing.assert_array_equal(model._optimizer.first_moment, three_epochs._optimizer.first_moment)
    np.testing.assert_array_equal(
        model._optimizer.second_moment, three_epochs._optimizer.second_moment
    )


@pytest.mark.parametrize("make", [
    lambda: AdamOptimizer(6, 0.01),
    lambda: SGDOptimizer(6, 0.01, "adaptive", momentum=0.9),
], ids=["adam", "sgd"])
def test_a_copied_optimizer_is_independent_of_its_original(make):
    """The per-epoch snapshot must not move when the original steps, nor the
    original when the copy does (its moments, step count or rate)."""
    rng = np.random.default_rng(0)
    theta = rng.normal(size=6)
    original = make()
    original.update_params(theta, rng.normal(size=6))
    twin = copy_optimizer(original)
    before = {name: values.copy() for name, values in original.moments().items()}
    state = {k: v for k, v in vars(original).items() if k not in before}
    twin.update_params(theta.copy(), rng.normal(size=6))
    twin.trigger_stopping("", verbose=False)
    assert {k: v for k, v in vars(original).items() if k not in before} == state
    for name, values in original.moments().items():
        np.testing.assert_array_equal(values, before[name])
        assert not np.array_equal(twin.moments()[name], values)
    assert type(twin) is type(original)


def test_weights_whose_gate_inputs_may_overflow_are_divergence_not_an_error_about_X():
    """The core refuses gate inputs that may overflow; in training that means
    the weights grew beyond the data's scale, and is reported as divergence.
    The weights it would keep (the last epoch's, already that large) are
    refused at fit: kept with a warning, predict refused them."""
    X = np.random.RandomState(0).normal(size=(60, 8, 2)).astype(np.float32)
    y = X[:, -1, 0]
    model = LSTMRegressor((3,), learning_rate_init=1e35, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)  # no warning that keeps them
        with pytest.raises(ValueError, match=r"Training diverged: the weights it ended with are "
                                             r"so large that the gates' inputs overflow"):
            model.fit(X, y)
    assert not hasattr(model, "coefs_")
    # Weights that large, set by hand, are named as the estimator's own at
    # predict (the core's message calls them layers[i], and their input X,
    # where it is the standardised X).
    model.set_params(learning_rate_init=1e-3, max_iter=1).fit(X, y)
    model.coefs_[0]["W"] *= np.float32(1e37)
    with pytest.raises(ValueError, match=r"gate inputs of coefs_\[0\] may overflow float32 .*: "
                                         r"X \(standardised\) holds values"):
        model.predict(X)


@pytest.mark.parametrize("cls, rate", [
    (LSTMRegressor, 1e37), (LSTMEncoderDecoderRegressor, 1e36),
])
def test_weights_that_overflow_on_the_held_out_part_are_divergence_too(cls, rate):
    # The held-out samples' forward pass raised the core's overflow error out
    # of fit ("Scale X or the weights down"; the encoder-decoder's NaN logits
    # failed inside scikit-learn's R²), where the training pass reads the
    # same as divergence.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 8, 2)).astype(np.float32)
    extra = dict(horizon=3) if cls is LSTMEncoderDecoderRegressor else {}
    y = rng.normal(size=(40, 3) if extra else 40).astype(np.float32)
    model = cls((3,), solver="sgd", momentum=0, learning_rate_init=rate, early_stopping=True,
                batch_size=64, max_iter=3, random_state=0, **extra)
    # Divergence, whose weights (too large for the training part's gates too)
    # are refused rather than kept.
    with pytest.raises(ValueError, match="Training diverged: the weights it ended with"):
        model.fit(X, y)


def test_a_held_out_sample_too_large_for_the_gates_is_named_not_taken_for_divergence():
    # Its values, kept out of the input statistics, overflow where the
    # training part does not: an error about X, not NaN validation scores.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 8, 2)).astype(np.float32)
    y = X[:, -1, 0]
    X[-1, 3, 0] = 3e38  # in the tail, which early stopping holds out
    model = LSTMRegressor((3,), early_stopping=True, max_iter=30, random_state=0)
    with pytest.raises(ValueError, match=r"gate inputs of coefs_\[0\] may overflow float32 .*"
                                         r"X \(standardised\) holds values up to 3"):
        model.fit(X, y)
    assert not hasattr(model, "coefs_")


@pytest.mark.parametrize("cls", [LSTMRegressor, LSTMClassifier, LSTMEncoderDecoderRegressor])
@pytest.mark.parametrize("call", ["partial_fit", "warm start"])
def test_continued_training_on_values_too_large_for_the_gates_names_them(cls, call):
    # Their first batch overflowed at the weights continued, which was read
    # as divergence ("Lower learning_rate_init ..."), where predict on the
    # same X names X.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(12, 4, 2))
    extra = dict(horizon=2) if cls is LSTMEncoderDecoderRegressor else {}
    y = rng.normal(size=(12, 2) if extra else 12)
    y = y > 0 if cls is LSTMClassifier else y
    model = cls((3,), max_iter=2, random_state=0, **extra)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    before = pickle.dumps(model)
    with pytest.raises(ValueError, match=r"gate inputs of coefs_\[0\] may overflow float64"):
        model.predict(X * 1e307)
    with pytest.raises(ValueError, match=r"gate inputs of coefs_\[0\] may overflow float64"):
        if call == "partial_fit":
            model.partial_fit(X * 1e307, y)
        else:
            model.set_params(warm_start=True).fit(X * 1e307, y)
    assert pickle.dumps(model.set_params(warm_start=False)) == before


def test_diverging_weights_on_a_held_out_part_of_larger_values_are_divergence():
    # The held-out tail, standardised by the training part's statistics,
    # holds values ten times larger: diverged weights overflowed there first,
    # and the fit raised the error about X that belongs to held-out values
    # too large at the starting weights.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 8, 2)).astype(np.float32)
    X[-4:] *= 10
    y = rng.normal(size=40).astype(np.float32)
    # The weights it kept predict 1e33, whose squared error overflows float32:
    # refused as divergence, not as X.
    model = LSTMRegressor((3,), learning_rate_init=1e34, early_stopping=True, max_iter=20,
                          patch_length=1, random_state=0)
    with pytest.raises(ValueError, match="^Training diverged: the training loss of the weights"):
        model.fit(X, y)


def test_inputs_too_large_for_the_gates_name_the_estimators_weights_at_fit_and_predict():
    # The core's message named layers[0] and "X", the standardised values.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 10, 2)).astype(np.float32)
    y = X[:, -1, 0]
    huge = X.copy()
    huge[0, 2, 0] = 3e38
    weights = np.ones(len(X))
    weights[0] = 0.0  # kept out of the input statistics, read by the network
    named = (r"The gate inputs of coefs_\[0\] may overflow float32 .*: X \(standardised\) "
             r"holds values up to 3.*e\+38")
    model = LSTMRegressor((3,), max_iter=2, random_state=0)
    with pytest.raises(ValueError, match=named):
        model.fit(huge, y, sample_weight=weights)
    assert not hasattr(model, "coefs_")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    with pytest.raises(ValueError, match=named):
        model.predict(huge)


def test_a_warm_start_judges_its_own_epochs_not_the_earlier_fits_best_loss():
    # After a larger alpha, no epoch beat the earlier fits' best loss: the
    # warm start stopped after n_iter_no_change + 1 epochs, its loss falling.
    X, y = sum_of_last_two()
    model = LSTMRegressor((4,), max_iter=30, warm_start=True, n_iter_no_change=5, tol=0,
                          early_stopping=False, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        model.set_params(alpha=10.0).fit(X, y)
    continued = model.loss_curve_[30:]
    assert len(continued) > 6
    assert min(continued) > model.loss_curve_[29]  # never below the first fit's best
    # partial_fit counts against best_loss_, the lowest loss of all calls,
    # which its larger penalty's epoch does not improve on.
    count = model._no_improvement_count
    model.partial_fit(X, y)
    assert model.loss_curve_[-1] > model.best_loss_
    assert model._no_improvement_count == count + 1


def test_warm_start_keeps_the_model_dtype():
    X, y = sum_of_last_two()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMRegressor((3,), max_iter=2, warm_start=True, random_state=0).fit(X, y)
        model.fit(X.astype(np.float32), y)
    assert model.out_coef_.dtype == np.float64
    assert all(v.dtype == np.float64 for layer in model.coefs_ for v in layer.values())
    assert model.predict(X).dtype == np.float64


def test_overflowing_sgd_is_refused_without_runtime_warnings():
    # The weights kept before the overflow predict up to 1e155, for targets
    # of about 1: their squared error is infinite, and the fit refused.
    X, y = sum_of_last_two()
    model = LSTMRegressor((3,), solver="sgd", learning_rate_init=1e10, n_iter_no_change=100,
                          max_iter=40, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        with pytest.raises(ValueError, match="^Training diverged: the training loss of the "
                                             "weights it ended with is inf"):
            model.fit(X, y)
    assert not hasattr(model, "coefs_")


@pytest.mark.parametrize("rate", [1e10, 1e300])
@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
def test_exploding_but_finite_loss_is_divergence(Estimator, rate):
    """Fixed bugs: with learning_rate_init=1e10 the loss grew a hundredfold
    orders of magnitude without overflowing, stopped "improving", and the fit
    ended silently as if it had converged; then it warned, and replaced a
    fitted model with one predicting 1e100, where a loss that overflowed
    left the model unchanged. At 1e300 the classifier's second epoch
    overflowed, and it kept the first's weights, of a log loss of 1e299, with
    a warning: an epoch's loss is taken before its steps, so only the kept
    weights' own loss shows them."""
    X, y = sum_of_last_two()
    target = y if Estimator is LSTMRegressor else y > 0
    model = Estimator((3,), max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, target)
    before = pickle.dumps(model)
    model.set_params(solver="sgd", learning_rate_init=rate, max_iter=200)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        # (the regressor's squared error at 1e300 overflows: "is inf")
        with pytest.raises(ValueError, match=r"^Training diverged: the training loss (rose from "
                                             r".* \(the first epoch\) to .* (in the last epoch|at "
                                             r"the weights it ended with)|of the weights it ended "
                                             r"with is inf.*)\. The model was left unchanged\."):
            model.fit(X, target)
    assert pickle.dumps(model.set_params(solver="adam", learning_rate_init=2e-3,
                                         max_iter=5)) == before


@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_a_continued_fit_whose_loss_explodes_warns_or_is_refused(Estimator, how):
    """Fixed bug: the reference of a warm start or partial_fit included its
    own first epoch, so partial_fit (one epoch, its own reference) never
    warned, nor a warm start that exploded in its first epoch: R² fell from
    0.19 to -1e26 without a word. A warm start is refused, as a fresh fit
    is (it had only warned, and kept the exploded weights)."""
    X, y = sum_of_last_two(n_samples=32)
    target = y if Estimator is LSTMRegressor else y > 0
    model = Estimator((4,), max_iter=30, batch_size=8, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, target)
        for _ in range(3):  # continuing at the fitted rate: quiet
            with warnings.catch_warnings():
                warnings.simplefilter("error", ConvergenceWarning)
                model.partial_fit(X, target)
    earlier = max(model.loss_curve_)
    rose = r"Training diverged: the training loss rose from .* \(this call's start and the " \
           r"earlier fits\)"
    if how == "warm_start":
        before, params = pickle.dumps(model), model.get_params()
        model.set_params(warm_start=True, learning_rate_init=1e10, max_iter=5)
        with pytest.raises(ValueError, match=rose + r" to .* The model was left unchanged"):
            model.fit(X, target)
        assert pickle.dumps(model.set_params(**params)) == before
        return
    # Warned, not refused: a stream's batch may raise its loss as much (see
    # the next test).
    model.set_params(solver="sgd", learning_rate_init=1e4)
    with pytest.warns(ConvergenceWarning, match=rose):
        model.partial_fit(X, target)
    assert model.loss_curve_[-1] > 10 * earlier


@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_a_stream_batch_with_an_outlier_trains(how):
    # The first mini-batch of the batch missed the outlier: its loss, the
    # reference, was ten times below the epoch's. Refused, the stream could
    # not get past that batch.
    rng = np.random.RandomState(0)
    model = LSTMRegressor((8,), random_state=0, batch_size=20, max_iter=3,
                          warm_start=how == "warm_start")
    fit = model.partial_fit if how == "partial_fit" else model.fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for batch in range(5):
            X = rng.randn(200, 5, 1)
            y = X[:, -1, 0] + 0.1 * rng.randn(200)
            if batch == 3:
                y[7] = 300.0
            fit(X, y)
    assert np.isfinite(model.predict(X)).all()


def test_a_continued_fit_whose_objective_or_data_changed_is_not_called_diverged():
    """The reference of a continued fit is its own start: a warm start up
    the regularisation path (loss 0.57 -> 11, then falling) and a stream
    of heavy-tailed batches are no divergence."""
    X, y = sum_of_last_two(n_samples=64)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMRegressor((4,), max_iter=30, random_state=0).fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", IterationLimitWarning)  # checked first
        model.set_params(warm_start=True, alpha=100.0, max_iter=5).fit(X, y)
        assert model.loss_curve_[-1] > 10 * max(model.loss_curve_[:30])
        rng = np.random.RandomState(0)
        model.set_params(alpha=1e-4)
        for _ in range(50):  # batches with outliers of up to a thousand times the spread
            batch = rng.randint(0, 64, size=16)
            model.partial_fit(X[batch], y[batch] + rng.standard_t(1.5, size=16))


@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
def test_a_fit_that_ends_worse_than_it_started_warns(Estimator):
    """Fixed bug: Adam with learning_rate_init=100 blew the loss up within its
    first epoch; every later epoch then "improved" on that one, and the fit
    stopped without a word, far worse than its random starting weights."""
    X, y = sum_of_last_two(n_samples=50)
    target = y if Estimator is LSTMRegressor else y > 0
    # two steps an epoch: the first epoch's blow-up, then "improving" epochs
    model = Estimator((4,), learning_rate_init=100, n_iter_no_change=2, max_iter=50,
                      batch_size=25, patch_length=1, random_state=0)
    with pytest.warns(ConvergenceWarning, match="Training ended worse than it started: the "
                                               "training loss of the final weights is"):
        model.fit(X, target)
    start = Estimator((4,), max_iter=1, learning_rate_init=1e-12, patch_length=1,
                      random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        start.fit(X, target)
    # the warning tells the truth: the fitted model is worse than untrained
    assert model.score(X, target) < start.score(X, target)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", IterationLimitWarning)
        Estimator((4,), max_iter=50, patch_length=1, random_state=0).fit(X, target)  # quiet


def test_a_warm_start_up_the_regularisation_path_is_not_called_worse():
    X, y = sum_of_last_two(n_samples=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMRegressor((4,), max_iter=100, random_state=0).fit(X, y)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.set_params(warm_start=True, max_iter=20, alpha=50.0).fit(X, y)
    assert not any("ended worse" in str(w.message) for w in caught)


@pytest.mark.slow
def test_a_warm_start_that_wobbles_is_not_called_divergent():
    """A fresh Adam's first steps have size lr whatever the gradient: from a
    near-perfect fit the loss rises a hundredfold, then falls back. The
    divergence check compares with the losses of the earlier fit too."""
    X, y = sum_of_last_two()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMRegressor((3,), solver="lbfgs", alpha=0.0, max_iter=300, tol=1e-8,
                              random_state=0).fit(X, y)
    first = len(model.loss_curve_)
    model.set_params(solver="adam", warm_start=True, learning_rate_init=0.02, max_iter=3)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    assert model.loss_curve_[-1] > 10 * model.loss_curve_[first]  # it did wobble
    assert not any("diverged" in str(w.message) or "ended worse" in str(w.message)
                   for w in caught)


def test_non_finite_initial_loss_of_scipy_solvers_raises(monkeypatch):
    """The guard before scipy runs. The input checks leave no way to reach it
    from the estimator: the pinball loss of targets near the largest float
    once summed beyond it, until the weights were summed in units below 1
    (sklstm._loss.unit_scaled)."""
    X, y = sum_of_last_two()
    real = sklstm._training.full_batch_loss_and_grad

    def infinite(*args, **kwargs):
        loss, grad = real(*args, **kwargs)
        return np.inf, grad

    monkeypatch.setattr(sklstm._training, "full_batch_loss_and_grad", infinite)
    with pytest.raises(ValueError, match="non-finite at the initial weights.*left unchanged"):
        LSTMRegressor((2,), solver="lbfgs").fit(X, y)


# -- determinism -----------------------------------------------------------------


def test_a_failed_fit_leaves_a_random_state_generator_as_it_was(assert_same_weights):
    """Fixed bug: a fit that failed in training (here divergence) had drawn
    its seed from the RandomState passed as random_state, so the model's
    pickle changed and the next fit differed from one made without it."""
    X, y = sum_of_last_two(n_samples=40)
    made = []
    for fail_first in (False, True):
        model = LSTMRegressor((3,), max_iter=3, random_state=np.random.RandomState(0))
        if fail_first:
            generator = model.random_state.get_state()
            with pytest.raises(ValueError, match="Training diverged.*first epoch"):
                model.set_params(solver="sgd", learning_rate_init=1e10, batch_size=1).fit(X, y)
            after = model.random_state.get_state()
            assert all(np.array_equal(a, b) for a, b in zip(generator, after))
            model.set_params(solver="adam", learning_rate_init=2e-3, batch_size="auto")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            made.append(model.fit(X, y))
    assert_same_weights(*made)


def test_a_failed_fit_with_random_state_none_leaves_numpys_global_generator_as_it_was():
    # None draws the seed from NumPy's global generator, which a failed fit
    # moved while a RandomState passed in was put back.
    X, y = sum_of_last_two(n_samples=40)
    failing = dict(solver="sgd", learning_rate_init=1e10, batch_size=1, max_iter=3)
    np.random.seed(5)
    before = np.random.get_state()
    with pytest.raises(ValueError, match="Training diverged"):
        LSTMRegressor((3,), **failing).fit(X, y)
    assert all(np.array_equal(a, b) for a, b in zip(before, np.random.get_state()))
    with warnings.catch_warnings():  # a fit that succeeds draws once, as scikit-learn's do
        warnings.simplefilter("ignore", ConvergenceWarning)
        LSTMRegressor((3,), max_iter=2).fit(X, y)
    after_fit = np.random.get_state()
    np.random.set_state(before)
    np.random.randint(np.iinfo(np.int32).max)
    assert all(np.array_equal(a, b) for a, b in zip(after_fit, np.random.get_state()))


def test_a_failed_fit_leaves_a_random_state_drawn_from_since_as_it_is(monkeypatch):
    """A generator shared with a fit in another thread, which drew from it
    while this one ran: putting it back undid that draw, and the next fit
    came out the same as that one."""
    X, y = sum_of_last_two(n_samples=40)
    shared = np.random.RandomState(0)
    model = LSTMRegressor((3,), solver="sgd", learning_rate_init=1e10, batch_size=1,
                          max_iter=3, random_state=shared)
    fit_stochastic = sklstm._base.fit_stochastic

    def another_fit_draws(*args, **kwargs):
        shared.randint(10)
        return fit_stochastic(*args, **kwargs)

    monkeypatch.setattr(sklstm._base, "fit_stochastic", another_fit_draws)
    with pytest.raises(ValueError, match="Training diverged"):
        model.fit(X, y)
    expected = np.random.RandomState(0)
    expected.randint(np.iinfo(np.int32).max), expected.randint(10)
    assert all(np.array_equal(a, b) for a, b in zip(shared.get_state(), expected.get_state()))


@ignore_convergence
@pytest.mark.parametrize("params", [
    dict(solver="adam", early_stopping=True, validation_split="shuffle"),
    dict(solver="sgd", shuffle=True),
    dict(solver="lbfgs"),
], ids=["adam", "sgd", "lbfgs"])
def test_same_random_state_gives_bit_identical_weights(params, assert_same_weights):
    X, y = sum_of_last_two()
    a = LSTMRegressor((3,), max_iter=4, random_state=7, **params).fit(X, y)
    b = LSTMRegressor((3,), max_iter=4, random_state=7, **params).fit(X, y)
    assert_same_weights(a, b)
    c = LSTMRegressor((3,), max_iter=4, random_state=8, **params).fit(X, y)
    assert not np.array_equal(a.out_coef_, c.out_coef_)


@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_the_iteration_cap_warns_with_its_remedy(solver):
    # The remedy is max_iter, or filtering a deliberate cap; inputs and
    # targets are already scaled by default, so scaling is not advised.
    from sklstm.exceptions import IterationLimitWarning

    X = np.random.RandomState(0).normal(size=(12, 4, 1))
    with pytest.warns(IterationLimitWarning) as caught:
        LSTMRegressor((3,), solver=solver, max_iter=1, random_state=0).fit(X, X[:, -1, 0])
    message = str(caught[0].message)
    assert "Increase max_iter, or filter sklstm.exceptions.IterationLimitWarning" in message
    assert "scale" not in message


@pytest.mark.parametrize("params, cap", [
    (dict(solver="lbfgs", max_fun=3), "max_fun"),
    (dict(solver="lbfgs", solver_options={"maxfun": 3}), r"solver_options\['maxfun'\]"),
    (dict(solver="bfgs", solver_options={"maxiter": 1}), r"solver_options\['maxiter'\]"),
], ids=["max_fun", "maxfun", "maxiter"])
def test_the_cap_warning_names_the_cap_that_stopped_the_solver(params, cap):
    # L-BFGS-B stopped by max_fun was told to increase max_iter, which does nothing.
    from sklstm.exceptions import IterationLimitWarning

    X = np.random.RandomState(0).normal(size=(12, 4, 1))
    with pytest.warns(IterationLimitWarning, match=rf"Increase {cap}, or filter"):
        LSTMRegressor((3,), max_iter=100, random_state=0, **params).fit(X, X[:, -1, 0])


@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
def test_partial_fit_refuses_early_stopping_and_keeps_the_fit(Estimator):
    # partial_fit trained on every sample, silently, and erased the
    # validation record of the fit before it (MLP's partial_fit refuses).
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 5, 2))
    y = X[:, -1, 0] + X[:, -2, 1]
    extra = {}
    if Estimator is LSTMClassifier:
        y = (y > 0).astype(int)
        extra = {"classes": [0, 1]}
    model = Estimator(hidden_layer_sizes=(3,), max_iter=5, random_state=0,
                      early_stopping=True)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        model.partial_fit(X, y, **extra)
    assert not hasattr(model, "coefs_")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IterationLimitWarning)
        model.fit(X, y)
    before = (model.predict(X), model.best_validation_loss_, list(model.validation_scores_))
    with pytest.raises(ValueError, match="Set early_stopping=False, or use fit"):
        model.partial_fit(X, y, **extra)
    np.testing.assert_array_equal(model.predict(X), before[0])
    assert (model.best_validation_loss_, model.validation_scores_) == before[1:]
    assert len(model.validation_scores_) == model.n_iter_ == 5


def test_a_fit_whose_loss_exploded_is_not_also_told_to_train_longer():
    """A fit that reached max_iter with its loss a thousand million times
    its first epoch's was warned twice: that it diverged, and that more
    iterations (IterationLimitWarning's "Increase max_iter") would help."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 6, 2))
    y = X[:, -2:, 0].sum(axis=1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match="Training diverged: the training loss rose"):
            LSTMRegressor((3,), learning_rate_init=1e30, max_iter=5, random_state=0).fit(X, y)
    assert caught == [], [str(w.message) for w in caught]
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LSTMRegressor((3,), max_iter=5, random_state=0).fit(X, y)
    assert [w.category for w in caught] == [IterationLimitWarning]


@pytest.mark.parametrize("solver, params", [
    ("adam", dict(learning_rate_init=1e-300)),
    ("sgd", dict(learning_rate_init=1e-300, momentum=0.0)),
])
def test_partial_fit_takes_the_optimizer_parameters_set_since_the_last_call(solver, params):
    """partial_fit continued the first call's optimizer with the first
    call's rate and betas: set_params between calls changed nothing, while
    get_params reported the new values. A rate of 1e-300 (and no momentum)
    steps no weight; the optimizer's state still advances."""
    X, y = sum_of_last_two(n_samples=32)
    model = LSTMRegressor((4,), solver=solver, batch_size=8, random_state=0)
    for _ in range(2):
        model.partial_fit(X, y)
    before = model.coefs_[0]["W"].copy(), model.out_coef_.copy()
    model.set_params(**params).partial_fit(X, y)
    np.testing.assert_array_equal(model.coefs_[0]["W"], before[0])
    np.testing.assert_array_equal(model.out_coef_, before[1])
    assert model._optimizer.learning_rate_init == 1e-300
    # Back at the earlier rate, training moves the weights again.
    model.set_params(learning_rate_init=1e-3).partial_fit(X, y)
    assert not np.array_equal(model.out_coef_, before[1])


def test_partial_fit_that_blows_the_model_up_warns_with_one_step_or_at_its_first_call():
    """Silent before: an epoch of one mini-batch takes its loss before its
    only step, so no epoch loss showed what the step did (ten calls took
    the loss from 1 to 6e17, R² -1.5e20, without a word); and the first call
    was never compared with its random starting weights."""
    X, y = sum_of_last_two(n_samples=30)
    first = LSTMRegressor((4,), solver="sgd", learning_rate_init=1e6, patch_length=1,
                          random_state=0)
    with pytest.warns(ConvergenceWarning, match=r"Training diverged: the training loss rose "
                      r"from .* to .* at the weights it ended with"):
        first.partial_fit(X, y)
    assert first.score(X, y) < -1e6
    model = LSTMRegressor((4,), solver="sgd", learning_rate_init=1e-2, patch_length=1,
                          random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        for _ in range(3):  # a sane rate: quiet
            model.partial_fit(X, y)
        model.set_params(learning_rate_init=50.0)
        with pytest.raises(ConvergenceWarning, match=r"Training diverged: the training loss "
                           r"rose from .* \(this call's start and the earlier fits\) to .* at "
                           r"the weights it ended with"):
            for _ in range(10):
                model.partial_fit(X, y)


@pytest.mark.parametrize("change, ratio", [
    (dict(learning_rate_init=0.05), 0.5),
    (dict(power_t=0.25), 1601 ** 0.25),  # 1600 samples seen: rate * 1601 ** -power_t
])
def test_a_new_initial_rate_under_invscaling_decays_to_the_samples_seen(change, ratio):
    """retune set the current rate to the new initial one: halving an
    invscaling stream's learning_rate_init after 1600 samples made its next
    step 20 times larger, not half as large. With no momentum a step is
    -rate * gradient, the same gradient in both models here."""
    X, y = sum_of_last_two(n_samples=32)
    steps = []
    for params in ({}, change):
        model = LSTMRegressor((4,), solver="sgd", learning_rate="invscaling",
                              learning_rate_init=0.1, momentum=0.0, nesterovs_momentum=False,
                              random_state=0)
        for _ in range(50):
            model.partial_fit(X, y)
        model.set_params(**params).partial_fit(X, y)
        steps.append(model._optimizer.velocity)
    np.testing.assert_allclose(steps[1], ratio * steps[0], rtol=1e-9)


@pytest.mark.parametrize("nesterov", [True, False])
def test_sgd_steps_are_momentum_or_nesterov_as_written(nesterov):
    """Three steps against a transcription of the update: v <- mu v - lr g,
    then theta += mu v - lr g (Nesterov's, as MLPRegressor's) or theta += v.
    The update with plain momentum in place of Nesterov's passed every test:
    the one that set nesterovs_momentum had no momentum (that the estimator
    passes it on: tests/test_parameter_effects.py)."""
    rng = np.random.RandomState(0)
    theta, grads = rng.normal(size=5), rng.normal(size=(3, 5))
    optimizer = SGDOptimizer(5, 0.1, momentum=0.9, nesterov=nesterov)
    expected, velocity = theta.copy(), np.zeros(5)
    for grad in grads:
        optimizer.update_params(theta, grad)
        velocity = 0.9 * velocity - 0.1 * grad
        expected += 0.9 * velocity - 0.1 * grad if nesterov else velocity
        np.testing.assert_allclose(theta, expected, rtol=1e-12, atol=1e-12)
    # The momentum mattered: the optimizer's velocity is not the last step alone.
    assert not np.allclose(optimizer.velocity, -0.1 * grads[-1])


def test_a_warm_start_on_data_with_an_outlier_is_no_divergence():
    """A warm start's reference is its data's loss at the weights it
    continues, not only its first mini-batch's: an outlier that batch missed
    raises every epoch's loss tenfold, and was refused as divergence."""
    rng = np.random.RandomState(0)
    X = rng.randn(200, 5, 1)
    y = X[:, -1, 0] + 0.1 * rng.randn(200)
    model = LSTMRegressor((8,), batch_size=20, max_iter=3, early_stopping=False,
                          shuffle=False, warm_start=True, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
        y[150] = 300.0  # in a later mini-batch than the first (samples 0 to 19)
        model.fit(X, y)
    assert model.n_iter_ == 6 and np.isfinite(model.predict(X)).all()


@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
def test_n_iter_no_change_of_infinity_runs_every_epoch(Estimator):
    # MLP's constraint takes np.inf; sklstm refused it as "must be an int".
    X, y = sum_of_last_two(n_samples=32)
    target = y if Estimator is LSTMRegressor else y > 0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = Estimator((3,), n_iter_no_change=np.inf, tol=1e9, max_iter=20,
                          early_stopping=False, random_state=0).fit(X, target)
        stopped = Estimator((3,), tol=1e9, max_iter=20, early_stopping=False,
                            random_state=0).fit(X, target)
    # tol=1e9: after the first epoch none improves; the default of 10
    # stops at the 11th such epoch, the 12th in all.
    assert model.n_iter_ == 20 and stopped.n_iter_ == 12
    # Other numbers than ints and float infinity keep their TypeError (True
    # had become "too large for NumPy").
    for value in (True, Fraction(3)):
        with pytest.raises(TypeError, match=r"n_iter_no_change must be an int >= 1 or one of "
                                            r"inf, got (True|Fraction\(3, 1\))"):
            Estimator(n_iter_no_change=value).fit(X, target)


def test_recorded_losses_are_python_floats():
    """Weighted epoch sums in units of a power of two made them NumPy floats:
    their overflow then warned from inside NumPy, and the curve's check took
    its slow path."""
    X, y = sum_of_last_two()
    weights = np.random.RandomState(0).uniform(0.5, 2.0, size=len(y))
    model = LSTMRegressor((2,), max_iter=3, random_state=0).fit(X, y, sample_weight=weights)
    model.partial_fit(X, y, sample_weight=weights)
    assert all(type(v) is float for v in [*model.loss_curve_, model.loss_, model.best_loss_])
