"""``early_stopping="auto"``, the regressor's default: held-out samples choose
which epoch's weights are kept, while the training loss decides when to stop."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score

import sklstm._training
from sklstm import LSTMClassifier, LSTMEncoderDecoderRegressor, LSTMRegressor


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def noisy_mean(n_samples, seed, noise=2.0, n_steps=30):
    """Sequences whose target is five times their mean plus noise: ``(X, y,
    signal)``, the signal being the target without its noise."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_steps, 1))
    signal = 5 * X[:, :, 0].mean(axis=1)
    return X, signal + noise * rng.normal(size=n_samples), signal


def same_fit(a, b):
    return all(
        np.array_equal(a.coefs_[k][name], b.coefs_[k][name])
        for k in range(len(a.coefs_)) for name in a.coefs_[k]
    ) and np.array_equal(a.out_coef_, b.out_coef_)


def test_auto_is_the_regressors_default_only():
    assert LSTMRegressor().early_stopping == "auto"
    assert LSTMEncoderDecoderRegressor().early_stopping is False
    X, y, _ = noisy_mean(20, 0)
    with pytest.raises(TypeError, match="early_stopping must be True or False, got 'auto'"):
        LSTMEncoderDecoderRegressor(early_stopping="auto", horizon=1).fit(X, y)
    with pytest.raises(ValueError, match="early_stopping must be .*'auto'.*, got 'yes'"):
        LSTMRegressor(early_stopping="yes").fit(X, y)


def test_auto_keeps_the_weights_of_the_lowest_validation_loss():
    """The kept weights are those early_stopping=True keeps from the same
    random split and the same epochs (a patience it never reaches): the
    epoch of lowest validation loss, here well before the last."""
    X, y, _ = noisy_mean(150, 0)
    auto = LSTMRegressor((8,), max_iter=80, random_state=0).fit(X, y)
    curve = auto.validation_loss_curve_
    assert len(curve) == auto.n_iter_ and len(auto.validation_scores_) == auto.n_iter_
    assert auto.best_validation_loss_ == min(curve)
    best_epoch = int(np.argmin(curve))
    assert best_epoch < auto.n_iter_ - 10  # the noise was learnt after it
    explicit = LSTMRegressor(
        (8,), max_iter=auto.n_iter_, early_stopping=True, validation_split="shuffle",
        n_iter_no_change=auto.n_iter_, random_state=0,
    ).fit(X, y)
    assert explicit.validation_loss_curve_ == curve
    assert same_fit(auto, explicit)
    # Stopping ran on the training loss: early stopping with the default
    # patience stops soon after the best epoch, on the same trajectory.
    patient = LSTMRegressor((8,), max_iter=80, early_stopping=True,
                            validation_split="shuffle", random_state=0).fit(X, y)
    assert patient.n_iter_ == best_epoch + 1 + patient.n_iter_no_change + 1 < auto.n_iter_
    assert patient.loss_curve_ == auto.loss_curve_[: patient.n_iter_]


@pytest.mark.parametrize(("n_samples", "validation_fraction", "holds_out"), [
    (90, 0.1, False),  # 9 held-out samples: too few to choose by
    (91, 0.1, True),  # ceil(9.1) = 10
    (20, 0.5, True),
    (18, 0.5, False),
])
def test_auto_holds_out_at_least_ten_samples_or_none(n_samples, validation_fraction, holds_out):
    X, y, _ = noisy_mean(n_samples, 1, n_steps=4)
    params = dict(hidden_layer_sizes=(3,), max_iter=5, random_state=0,
                  validation_fraction=validation_fraction)
    auto = LSTMRegressor(**params).fit(X, y)
    off = LSTMRegressor(**params, early_stopping=False).fit(X, y)
    assert bool(auto.validation_scores_) is holds_out
    assert same_fit(auto, off) is not holds_out
    if not holds_out:
        assert auto.best_validation_loss_ is None


def test_auto_holds_nothing_out_for_partial_fit_scipy_or_a_weightless_part():
    X, y, _ = noisy_mean(120, 2, n_steps=4)
    params = dict(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
    for fit in (lambda m: m.partial_fit(X, y), lambda m: m.set_params(solver="lbfgs").fit(X, y)):
        auto, off = fit(LSTMRegressor(**params)), fit(LSTMRegressor(**params,
                                                                    early_stopping=False))
        assert same_fit(auto, off) and auto.validation_scores_ == []
    # Weight on one sample only: one part would have none (True raises there).
    weights = np.zeros(len(y))
    weights[7] = 1.0
    auto = LSTMRegressor(**params).fit(X, y, sample_weight=weights)
    off = LSTMRegressor(**params, early_stopping=False).fit(X, y, sample_weight=weights)
    assert same_fit(auto, off) and auto.validation_scores_ == []
    with pytest.raises(ValueError, match="all have zero weight"):
        LSTMRegressor(**params, early_stopping=True, validation_split="shuffle").fit(
            X, y, sample_weight=weights)


def test_numpy_bools_mean_what_python_bools_mean():
    X, y, _ = noisy_mean(40, 3, n_steps=4)
    params = dict(hidden_layer_sizes=(3,), max_iter=5, validation_split="shuffle",
                  random_state=0)
    with pytest.raises(ValueError, match="partial_fit does not support early_stopping=True"):
        LSTMRegressor(**params, early_stopping=np.True_).partial_fit(X, y)
    numpy_true = LSTMRegressor(**params, early_stopping=np.True_).fit(X, y)
    python_true = LSTMRegressor(**params, early_stopping=True).fit(X, y)
    assert numpy_true.validation_scores_ and same_fit(numpy_true, python_true)
    numpy_false = LSTMRegressor(**params, early_stopping=np.False_).fit(X, y)
    assert same_fit(numpy_false, LSTMRegressor(**params, early_stopping=False).fit(X, y))


@pytest.mark.slow
def test_the_default_does_not_learn_the_noise_of_noisy_targets():
    """A signal plus noise of about five times its variance: trained on every
    sample until the training loss levels off, the network learnt the noise
    and predicted new samples worse than their mean (R² -0.27 on seed 0);
    the default keeps the epoch before that (here its first). That too is
    worse than the mean here (-0.11; with patch_length=1, +0.04), but it
    has learnt far less of the noise."""
    X, y, signal = noisy_mean(300, 0)
    X_new, y_new, signal_new = noisy_mean(2000, 1000)
    default = LSTMRegressor(random_state=0).fit(X, y)
    off = LSTMRegressor(random_state=0, early_stopping=False).fit(X, y)
    learnt_noise = r2_score(y_new, off.predict(X_new))
    assert learnt_noise < 0  # what the default avoids
    assert r2_score(y_new, default.predict(X_new)) > learnt_noise + 0.1
    assert r2_score(signal_new, default.predict(X_new)) > r2_score(
        signal_new, off.predict(X_new)) + 1


def test_partial_fit_after_auto_starts_from_the_kept_epoch():
    """The optimizer's moments, the no-improvement count and the best
    training loss of the epochs after the kept one are dropped: SGD's
    adaptive rate was cut from 0.01 to 0.0004 by fifteen partial_fit calls
    that could not beat a later epoch's training loss."""
    X, y, _ = noisy_mean(300, 0, n_steps=8)
    params = dict(hidden_layer_sizes=(16,), solver="sgd", learning_rate="adaptive",
                  learning_rate_init=0.01, max_iter=200, random_state=0)
    auto = LSTMRegressor(**params).fit(X, y)
    kept = int(np.argmin(auto.validation_loss_curve_))
    assert kept < auto.n_iter_ - 1
    assert not hasattr(auto, "_optimizer")
    assert auto.best_loss_ == np.inf
    for _ in range(15):
        auto.partial_fit(X, y)
    assert auto._optimizer.learning_rate == 0.01


def test_divergence_names_the_kept_epoch():
    X, y, _ = noisy_mean(200, 4, n_steps=4)
    model = LSTMRegressor((4,), solver="sgd", learning_rate_init=1e4, alpha=1e3, max_iter=30,
                          random_state=0)
    with pytest.warns(ConvergenceWarning, match="diverged") as record:
        model.fit(X, y)
    message = next(str(w.message) for w in record if "diverged" in str(w.message))
    kept = int(np.argmin(model.validation_loss_curve_)) + 1
    if kept < model.n_iter_:
        assert f"kept the weights of epoch {kept} (the lowest validation loss)" in message
    else:
        assert f"kept the weights of epoch {kept}." in message


def test_a_non_finite_validation_loss_counts_as_the_worst(monkeypatch):
    # Weights diverging on the held-out samples give such losses; targets
    # that overflow the loss are refused before training, so it is forced.
    real = sklstm._training._validate
    calls = []

    def overflowing_at_the_first_and_fourth(*args):
        calls.append(1)
        loss, score = real(*args)
        return ({1: np.nan, 4: np.inf}.get(len(calls), loss), score)

    # A first NaN kept as the best would compare above no later loss: the
    # weights of the first epoch would be kept, best_validation_loss_ NaN.
    monkeypatch.setattr(sklstm._training, "_validate", overflowing_at_the_first_and_fourth)
    X, y, _ = noisy_mean(101, 5, n_steps=5)
    model = LSTMRegressor((3,), max_iter=5, validation_fraction=0.5, random_state=0).fit(X, y)
    curve = np.array(model.validation_loss_curve_)
    assert not np.isfinite(curve).all()  # the case under test
    assert model.best_validation_loss_ == np.where(np.isnan(curve), np.inf, curve).min()


def test_no_cap_warning_once_the_held_out_loss_has_stopped_improving():
    """More epochs cannot change weights chosen long before the cap, so
    "increase max_iter" would be bad advice; trained on every sample, the
    same fit warns."""
    from sklstm.exceptions import IterationLimitWarning

    X, y, _ = noisy_mean(150, 0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        auto = LSTMRegressor((8,), max_iter=60, random_state=0).fit(X, y)
    assert auto.n_iter_ == 60
    assert 60 - 1 - int(np.argmin(auto.validation_loss_curve_)) > auto.n_iter_no_change
    assert not [w for w in caught if issubclass(w.category, IterationLimitWarning)]
    with pytest.warns(IterationLimitWarning):
        LSTMRegressor((8,), max_iter=60, random_state=0, early_stopping=False).fit(X, y)


def test_auto_needs_ten_held_out_samples_of_positive_weight():
    X, y, _ = noisy_mean(200, 6, n_steps=4)
    weights = np.zeros(len(y))
    weights[:12] = 1.0  # a random 20 held out hold about one of them
    params = dict(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
    auto = LSTMRegressor(**params).fit(X, y, sample_weight=weights)
    off = LSTMRegressor(**params, early_stopping=False).fit(X, y, sample_weight=weights)
    assert same_fit(auto, off) and auto.validation_scores_ == []


def test_best_validation_score_is_the_restored_weights_score_on_the_held_out_tail():
    # MLP's attribute was missing: code ported from MLP raised AttributeError.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4, 1))
    y = (X[:, -1, 0] + 0.5 * rng.normal(size=200) > 0).astype(int)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMClassifier((4,), early_stopping=True, validation_split="tail",
                               max_iter=30, random_state=0).fit(X, y)
        plain = LSTMClassifier((4,), early_stopping=False, max_iter=2).fit(X, y)
    assert model.best_validation_score_ == pytest.approx(model.score(X[-20:], y[-20:]))
    assert model.best_validation_score_ == model.validation_scores_[
        int(np.argmin(model.validation_loss_curve_))]
    assert plain.best_validation_score_ is None
    assert not hasattr(LSTMClassifier(), "best_validation_score_")  # unfitted
