"""Quantile regression: the pinball loss, quantiles that cannot cross, predict_quantiles."""

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_pinball_loss, r2_score
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklstm import LSTMRegressor
from sklstm._loss import (
    Network, Objective, forward_logits, loss_and_grad, non_crossing_quantiles, sequence_loss,
)
from sklstm._params import ParamLayout

ignore_convergence = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
LEVELS = (0.1, 0.5, 0.9)


# -- the loss ------------------------------------------------------------------------


def quantile_problem(return_sequences, ragged, n_outputs=2, levels=LEVELS, seed=0):
    rng = np.random.default_rng(seed)
    n, T, F = 5, 4, 2
    layout = ParamLayout(F, (3, 2), n_outputs * len(levels), peephole=True)
    theta = rng.normal(scale=0.5, size=layout.size)
    X = rng.normal(size=(n, T, F))
    lengths = np.array([4, 2, 3, 1, 4]) if ragged else None
    y = rng.normal(size=((n, T) if return_sequences else (n,)) + (n_outputs,))
    if ragged and return_sequences:
        for s, length in enumerate(lengths):
            y[s, length:] = np.nan  # padded targets must be ignored
    spec = (Network(layout, return_sequences), Objective("quantile", 0.3, levels))
    return theta, X, y, lengths, rng.uniform(0.5, 2.0, size=n), spec


@pytest.mark.parametrize("levels", [LEVELS, (0.3,), (0.05, 0.2, 0.5, 0.95)],
                         ids=["three", "one", "four"])
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
@pytest.mark.parametrize("ragged", [False, True], ids=["full", "ragged"])
def test_pinball_gradient_matches_finite_differences(
    levels, return_sequences, ragged, assert_packed_gradient_exact
):
    problem = quantile_problem(return_sequences, ragged, levels=levels)
    assert_packed_gradient_exact(problem)
    theta, X, y, lengths, sw, spec = problem
    _, coef, intercept = spec[0].layout.unpack(loss_and_grad(theta, X, y, lengths, sw, *spec)[1])
    assert np.all(np.any(coef != 0, axis=0)) and np.all(intercept != 0)  # every quantile's column


def test_pinball_loss_against_sklearn():
    """The data loss is the sum over levels and outputs of sklearn's mean
    pinball loss (which is weighted like sklstm's)."""
    theta, X, y, lengths, sw, spec = quantile_problem(False, True)
    z, _, _ = forward_logits(theta, X, lengths, spec[0])
    q = non_crossing_quantiles(z, LEVELS).reshape(5, 2, 3)
    expected = sum(
        mean_pinball_loss(y[:, k], q[:, k, j], alpha=tau, sample_weight=sw)
        for k in range(2) for j, tau in enumerate(LEVELS)
    )
    assert sequence_loss(z, y, lengths, sw, spec[1]) == pytest.approx(expected, rel=1e-12)


def test_non_crossing_quantiles_by_hand_and_at_extremes():
    # base, then + softplus(0) = log 2 twice
    np.testing.assert_allclose(
        non_crossing_quantiles(np.array([[1.0, 0.0, 0.0]]), LEVELS),
        [[1.0, 1.0 + math.log(2), 1.0 + 2 * math.log(2)]], rtol=1e-15,
    )
    # two outputs side by side, each ordered whatever its logits
    z = np.random.default_rng(1).normal(scale=300.0, size=(50, 2 * 3))
    q = non_crossing_quantiles(z, LEVELS).reshape(50, 2, 3)
    assert np.all(np.isfinite(q)) and np.all(np.diff(q, axis=-1) >= 0)
    np.testing.assert_array_equal(q[..., 0], z.reshape(50, 2, 3)[..., 0])


def test_float32_quantile_loss_stays_float32():
    theta, X, y, lengths, sw, spec = quantile_problem(True, True)
    _, g64 = loss_and_grad(theta, X, y, lengths, sw, *spec)
    _, g32 = loss_and_grad(theta.astype(np.float32), X.astype(np.float32), y, lengths, sw, *spec)
    assert g32.dtype == np.float32
    np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-4 * np.abs(g64).max())


def test_objective_needs_quantiles_exactly_with_the_quantile_loss():
    with pytest.raises(ValueError, match="quantiles"):
        Objective("quantile", 0.0)
    with pytest.raises(ValueError, match="quantiles"):
        Objective("squared_error", 0.0, LEVELS)


# -- the estimator -------------------------------------------------------------------


def heteroscedastic(n, seed, n_steps=4):
    """y = x_T + 0.5 x_{T-1} + σ ε, with σ = 0.3 + 0.2 x_T known: the true
    τ-quantile is the mean plus σ Φ⁻¹(τ)."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n, n_steps, 1))
    sigma = 0.3 + 0.2 * X[:, -1, 0]
    return X, X[:, -1, 0] + 0.5 * X[:, -2, 0] + sigma * rng.normal(size=n), sigma


def assert_coverage(inside, nominal, n_train):
    """Empirical coverage within 3 binomial standard errors of the nominal,
    counting both the test sample's and the training sample's error."""
    n = inside.size
    se = math.sqrt(nominal * (1 - nominal) * (1 / n + 1 / n_train))
    assert abs(inside.mean() - nominal) < 3 * se, f"coverage {inside.mean():.3f}"


@ignore_convergence
def test_band_covers_the_nominal_share_where_the_noise_varies():
    X, y, _ = heteroscedastic(1000, seed=0)
    X_test, y_test, sigma = heteroscedastic(4000, seed=1)
    # batch_size=200: the setting the coverage below was measured with (at
    # this learning rate, batches of 32 take ~7x the steps and overfit).
    model = LSTMRegressor((8,), loss="quantile", quantiles=LEVELS, learning_rate_init=0.01,
                          batch_size=200, random_state=0).fit(X, 1000 + 500 * y)
    q = (model.predict_quantiles(X_test) - 1000) / 500
    assert q.shape == (4000, 3) and np.all(np.diff(q, axis=1) > 0)
    inside = (q[:, 0] <= y_test) & (y_test <= q[:, 2])
    assert_coverage(inside, 0.8, 1000)  # measured 0.774, 3 SE = 0.042
    # ... on the calm and on the noisy half alike: the band follows σ
    for part in (sigma < 0.3, sigma >= 0.3):
        assert_coverage(inside[part], 0.8, 1000 * part.mean())
    assert np.corrcoef(q[:, 2] - q[:, 0], sigma)[0, 1] > 0.9  # measured 0.97
    # the quantiles are close to the true ones
    true = X_test[:, -1, 0, None] + 0.5 * X_test[:, -2, 0, None] + sigma[:, None] * norm.ppf(LEVELS)
    assert np.mean(np.abs(q - true)) < 0.25 * sigma.mean()
    # predict is the median, score its R²
    np.testing.assert_array_equal(model.predict(X_test), model.predict_quantiles(X_test)[:, 1])
    assert model.score(X_test, y_test * 500 + 1000) == pytest.approx(
        r2_score(y_test * 500 + 1000, model.predict(X_test)), rel=1e-12
    )


@ignore_convergence
def test_per_step_quantiles_on_ragged_sequences():
    """With return_sequences each real step gets its quantiles; y_t = x_t + σ_t ε_t."""
    rng = np.random.RandomState(0)

    def sample(n):
        lengths = rng.randint(3, 8, size=n)
        X = [rng.uniform(-1, 1, size=(m, 1)) for m in lengths]
        sig = [0.3 + 0.2 * s[:, 0] for s in X]
        y = [s[:, 0] + g * rng.normal(size=len(s)) for s, g in zip(X, sig)]
        return X, y, lengths

    X, y, _ = sample(300)
    X_test, y_test, lengths = sample(500)
    model = LSTMRegressor((8,), return_sequences=True, loss="quantile", quantiles=LEVELS,
                          learning_rate_init=0.01, random_state=0).fit(X, y)
    q = model.predict_quantiles(X_test)
    T = lengths.max()
    assert q.shape == (500, T, 3)
    real = np.arange(T)[None, :] < lengths[:, None]
    assert np.all(np.isnan(q[~real])) and np.all(np.diff(q[real], axis=-1) > 0)
    truth = np.concatenate(y_test)
    inside = (q[real][:, 0] <= truth) & (truth <= q[real][:, 2])
    assert_coverage(inside, 0.8, sum(len(t) for t in y))  # measured 0.774, 3 SE = 0.039
    assert model.predict(X_test).shape == (500, T)
    np.testing.assert_array_equal(model.predict(X_test)[real], q[real][:, 1])


@ignore_convergence
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_quantile_shapes_with_several_outputs(return_sequences):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(12, 5, 2))
    y = rng.normal(size=(12, 5, 2) if return_sequences else (12, 2))
    model = LSTMRegressor((3,), return_sequences=return_sequences, loss="quantile",
                          quantiles=[0.25, 0.75], max_iter=3, random_state=0).fit(X, y)
    lead = (12, 5) if return_sequences else (12,)
    assert model.predict_quantiles(X).shape == lead + (2, 2)
    assert model.predict(X).shape == lead + (2,)
    assert model.out_coef_.shape == (3, 4) and model.n_outputs_ == 2
    np.testing.assert_array_equal(model.quantiles_, [0.25, 0.75])
    # of two levels equally near 0.5, predict gives the lower
    np.testing.assert_array_equal(model.predict(X), model.predict_quantiles(X)[..., 0])


@ignore_convergence
@pytest.mark.parametrize("levels, lower", [
    # ties in the user's decimals, not in binary (they failed before)
    ((0.3, 0.7), 0), ((0.1, 0.3, 0.7, 0.9), 1),
    # ties also in binary, the median itself, and no tie
    ((0.2, 0.8), 0), ((0.1, 0.5, 0.9), 1), ((0.1, 0.45, 0.6), 1),
])
def test_predict_gives_the_level_nearest_the_median_the_lower_of_a_tie(levels, lower):
    # 0.7 - 0.5 is a little less than 0.5 - 0.3 in binary; the tie is the user's.
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(12, 4, 1)), rng.normal(size=12)
    model = LSTMRegressor((2,), loss="quantile", quantiles=levels, max_iter=2,
                          random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.predict(X), model.predict_quantiles(X)[:, lower])


@ignore_convergence
def test_quantile_levels_may_be_any_1d_array_like():
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(12, 4, 1)), rng.normal(size=12)
    for levels in ([0.1, 0.9], (0.1, 0.9), np.array([0.1, 0.9]), pd.Series([0.1, 0.9])):
        model = LSTMRegressor((2,), loss="quantile", quantiles=levels, max_iter=2).fit(X, y)
        np.testing.assert_array_equal(model.quantiles_, [0.1, 0.9])


@ignore_convergence
def test_quantiles_follow_affine_target_maps():
    X, y, _ = heteroscedastic(40, seed=2)
    params = dict(hidden_layer_sizes=(3,), loss="quantile", max_iter=5, random_state=0)
    base = LSTMRegressor(**params).fit(X, y)
    moved = LSTMRegressor(**params).fit(X, 1000 + 500 * y)
    np.testing.assert_allclose(moved.predict_quantiles(X), 1000 + 500 * base.predict_quantiles(X),
                               rtol=1e-9)


@ignore_convergence
def test_float32_model_predicts_float32_quantiles():
    X, y, _ = heteroscedastic(20, seed=3)
    model = LSTMRegressor((2,), loss="quantile", max_iter=2, random_state=0)
    model.fit(X.astype(np.float32), y)
    assert model.predict_quantiles(X).dtype == np.float32
    assert model.predict(X).dtype == np.float32


@ignore_convergence
def test_partial_fit_continues_and_other_quantiles_are_refused():
    X, y, _ = heteroscedastic(20, seed=4)
    model = LSTMRegressor((2,), loss="quantile", max_iter=2, random_state=0).fit(X, y)
    model.partial_fit(X, y)
    assert model.n_iter_ == 3
    before = model.predict_quantiles(X)
    for change in (dict(quantiles=(0.2, 0.8)), dict(loss="squared_error")):
        with pytest.raises(ValueError, match=r"was fitted with loss='quantile'.*A warm start "
                                             r"uses the fitted model"):
            model.set_params(warm_start=True, **change).fit(X, y)
        model.set_params(loss="quantile", quantiles=LEVELS)
        np.testing.assert_array_equal(model.predict_quantiles(X), before)
    # partial_fit always continues, and fit under warm_start: both are told
    # to fit with warm_start=False.
    for warm_start in (False, True):
        model.set_params(warm_start=warm_start, quantiles=(0.2, 0.8))
        with pytest.raises(ValueError, match=r"partial_fit uses the fitted model: set them "
                                             r"back, or fit anew \(fit, with "
                                             r"warm_start=False\) to change them\.$"):
            model.partial_fit(X, y)
    # a fit from scratch may change them
    model.set_params(warm_start=False, quantiles=(0.2, 0.8)).fit(X, y)
    assert model.predict_quantiles(X).shape == (20, 2)


@ignore_convergence
def test_predict_quantiles_needs_the_quantile_loss():
    X, y, _ = heteroscedastic(20, seed=5)
    assert hasattr(LSTMRegressor(loss="quantile"), "predict_quantiles")  # not fitted: loss
    model = LSTMRegressor((2,), max_iter=2, random_state=0).fit(X, y)
    assert model.quantiles_ is None
    assert not hasattr(model, "predict_quantiles")
    model.set_params(loss="quantile")  # after a squared-error fit: the fit decides
    assert not hasattr(model, "predict_quantiles")
    with pytest.raises(AttributeError) as info:
        model.predict_quantiles(X)
    assert "fitted with loss='squared_error'" in str(info.value.__cause__)


@ignore_convergence
@pytest.mark.parametrize("estimator", ["LSTMRegressor", "LSTMEncoderDecoderRegressor"])
def test_a_fitted_quantile_model_refuses_another_loss_or_levels_until_refit(estimator):
    """After set_params(loss=...) or (quantiles=...), predict_quantiles kept
    returning the fitted levels, as many columns as those and not as the
    parameter says: like a changed architecture, it is refused by name."""
    import sklstm

    X, y, _ = heteroscedastic(20, seed=6)
    model = getattr(sklstm, estimator)((2,), loss="quantile", max_iter=2, random_state=0)
    model.fit(X, y)
    bands, point, score = model.predict_quantiles(X), model.predict(X), model.score(X, y)
    np.testing.assert_array_equal(point, bands[:, 1])  # the median of LEVELS
    for change, match in [
        (dict(quantiles=(0.2, 0.8)), r"fitted with loss='quantile', quantiles=\(0.1, 0.5, "
                                     r"0.9\), but loss and quantiles now ask for "
                                     r"loss='quantile', quantiles=\(0.2, 0.8\)"),
        (dict(loss="squared_error"), r"fitted with loss='quantile', quantiles=\(0.1, 0.5, "
                                     r"0.9\), but loss and quantiles now ask for "
                                     r"loss='squared_error'"),
    ]:
        model.set_params(**change)
        for method in (model.predict_quantiles, model.predict, lambda X: model.score(X, y)):
            with pytest.raises(ValueError, match=match):
                method(X)
        model.set_params(loss="quantile", quantiles=list(LEVELS))  # back: as fitted
        np.testing.assert_array_equal(model.predict_quantiles(X), bands)
        np.testing.assert_array_equal(model.predict(X), point)
        assert model.score(X, y) == score
    # Levels that go unused under the squared error are not compared.
    plain = getattr(sklstm, estimator)((2,), max_iter=2, random_state=0).fit(X, y)
    expected = plain.predict(X)
    np.testing.assert_array_equal(plain.set_params(quantiles=(0.3,)).predict(X), expected)
    model.set_params(loss="squared_error").fit(X, y)  # the new loss from the next fit
    assert model.quantiles_ is None and not hasattr(model, "predict_quantiles")
    # A save that recorded loss and quantiles with the architecture (a
    # development state) loads without them: the check reads quantiles_.
    import pickle

    expected = model.predict(X)
    model._fitted_architecture = {**model._fitted_architecture, "loss": "squared_error",
                                  "quantiles": None}
    loaded = pickle.loads(pickle.dumps(model))
    assert "loss" not in loaded._fitted_architecture
    np.testing.assert_array_equal(loaded.predict(X), expected)


# Each bad value is told which rule it breaks, not every rule of the parameter.
@pytest.mark.parametrize("params, error, match", [
    (dict(loss="huber"), ValueError, r"loss must be one of .*, got 'huber'\.$"),
    # Keras's and scikit-learn's metric names: told the loss that is
    (dict(loss="mse"), ValueError, r"got 'mse'\. The mean squared error is loss='squared_error'"),
    (dict(loss="MAE"), ValueError,
     r"got 'MAE'\. The absolute error is loss='quantile' with quantiles=\(0\.5,\)"),
    (dict(loss="quantile", quantiles=(0.5, 0.1)), ValueError,
     r"quantiles must be strictly increasing; got \(0.5, 0.1\)"),
    (dict(loss="quantile", quantiles=(0.0, 0.5)), ValueError,
     r"quantiles must be in \(0, 1\) exclusive; got 0.0\."),
    (dict(loss="quantile", quantiles=(0.5, 0.5)), ValueError,
     r"quantiles must be strictly increasing; got \(0.5, 0.5\)"),
    (dict(loss="quantile", quantiles=()), ValueError, "quantiles must hold at least one level"),
    (dict(loss="quantile", quantiles=0.5), TypeError,
     r"quantiles must be a 1-D sequence of numbers in \(0, 1\); got 0.5\."),
    (dict(loss="quantile", quantiles=("a", "b")), TypeError,
     r"quantiles must be numbers in \(0, 1\); got 'a'\."),
    (dict(loss="quantile", quantiles=[[0.1, 0.9]]), TypeError,
     r"quantiles must be a 1-D sequence of numbers in \(0, 1\); got \[\[0.1, 0.9\]\]\."),
    # pandas' nullable float32 levels: a missing one is refused as missing, not as NaN.
    (dict(loss="quantile", quantiles=pd.array([0.1, None, 0.9], dtype="Float32")), TypeError,
     r"quantiles must be numbers in \(0, 1\); got <NA>\."),
])
def test_invalid_loss_or_quantiles_raise(params, error, match):
    X, y, _ = heteroscedastic(10, seed=6)
    with pytest.raises(error, match=match):
        LSTMRegressor((2,), **params).fit(X, y)


# scikit-learn's checks pass for the quantile loss too, with no expected failures
# (early_stopping=False, as for the fast instances of tests/test_common.py)
@parametrize_with_checks([LSTMRegressor(hidden_layer_sizes=(4,), max_iter=100, loss="quantile",
                                        learning_rate_init=0.05, early_stopping=False,
                                        random_state=0)])
def test_quantile_regressor_is_a_sklearn_estimator(estimator, check):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        check(estimator)


@ignore_convergence
def test_quantile_model_round_trips_through_skops():
    sio = pytest.importorskip("skops.io")
    from sklstm.persistence import trusted_types

    X, y, _ = heteroscedastic(20, seed=7)
    model = LSTMRegressor((2,), loss="quantile", max_iter=2, random_state=0).fit(X, 5 + 3 * y)
    data = sio.dumps(model)
    assert set(sio.get_untrusted_types(data=data)) <= set(trusted_types())
    loaded = sio.loads(data, trusted=trusted_types())
    np.testing.assert_array_equal(loaded.predict_quantiles(X), model.predict_quantiles(X))
    np.testing.assert_array_equal(loaded.target_scale_, model.target_scale_)


@ignore_convergence
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_early_stopping_scores_the_median_of_a_first_fit_and_of_a_refit(n_outputs):
    # The validation score read n_outputs_ before fit had set it: a first fit
    # raised AttributeError, and a refit on another number of outputs read the
    # old one (a NumPy reshape error).
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 5, 2))
    y = X[:, -1, 0] + 0.1 * rng.normal(size=40)
    Y = y if n_outputs == 1 else np.c_[y, -y]
    # Every step on its own: a fit that runs its 30 epochs, the last the best.
    model = LSTMRegressor((4,), loss="quantile", early_stopping=True, max_iter=30,
                          patch_length=1, random_state=0)
    for targets in (np.c_[y, y, y], Y):  # a refit on another number of outputs, then Y
        model.fit(X, targets)
    # validation_split="tail": the last 4 samples. The last epoch's score is
    # the R² of the final model's median forecasts there.
    assert len(model.validation_scores_) == 30
    assert model.validation_scores_[-1] == pytest.approx(r2_score(Y[-4:], model.predict(X[-4:])))
