"""LSTMRegressor standardises its targets (``scale_targets``) and predicts in their units."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import r2_score

from sklstm import LSTMRegressor

ignore_convergence = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")


def last_two(n_samples, n_steps=8, seed=0):
    """``y = x_T + 0.5 x_{T-1}``: the default model learns it to R² ≈ 0.99."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n_samples, n_steps, 1))
    return X, X[:, -1, 0] + 0.5 * X[:, -2, 0]


def ragged_per_step(n_samples=12, seed=0):
    """Sequences of 2 to 6 steps with two per-step targets in very different units."""
    rng = np.random.RandomState(seed)
    lengths = rng.randint(2, 7, size=n_samples)
    X = [rng.normal(size=(n, 2)) for n in lengths]
    y = [np.c_[1000 + 500 * np.cumsum(s[:, 0]), 0.01 * s[:, 1]] for s in X]
    return X, y, lengths, rng.uniform(0.2, 3.0, size=n_samples)


def ragged_targets(return_sequences, seed):
    """:func:`ragged_per_step`'s sequences, with per-step or last-step targets."""
    X, y, _, _ = ragged_per_step(seed=seed)
    return X, y if return_sequences else np.array([t[-1] for t in y])


def test_natural_units_train_as_well_as_standardised_targets():
    X, y = last_two(200)
    X_test, y_test = last_two(200, seed=1)
    mean, std = y.mean(), y.std()
    standard = LSTMRegressor(random_state=0).fit(X, (y - mean) / std)
    natural = LSTMRegressor(random_state=0).fit(X, 1000 + 500 * y)
    r2_standard = standard.score(X_test, (y_test - mean) / std)
    r2_natural = natural.score(X_test, 1000 + 500 * y_test)
    assert r2_standard > 0.95  # measured 0.99
    assert r2_natural == pytest.approx(r2_standard, abs=0.01)
    # the same fit without target scaling does not learn (measured R² ≈ -3.9)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        raw = LSTMRegressor(random_state=0, max_iter=100, scale_targets=False)
        raw.fit(X, 1000 + 500 * y)
    assert raw.score(X_test, 1000 + 500 * y_test) < 0.5


@ignore_convergence
def test_fit_is_equivariant_under_affine_target_maps():
    """Targets a*y + b (per column) give a*prediction + b and the same loss curve."""
    X, y = last_two(40, n_steps=4)
    Y = np.c_[y, y**2]
    a, b = np.array([500.0, 1e-3]), np.array([1000.0, -7.0])
    params = dict(hidden_layer_sizes=(3,), max_iter=5, random_state=0)
    base = LSTMRegressor(**params).fit(X, Y)
    moved = LSTMRegressor(**params).fit(X, a * Y + b)
    np.testing.assert_allclose(moved.predict(X), a * base.predict(X) + b, rtol=1e-9)
    np.testing.assert_allclose(moved.target_mean_, a * base.target_mean_ + b, rtol=1e-12)
    np.testing.assert_allclose(moved.target_scale_, a * base.target_scale_, rtol=1e-12)
    # the loss is reported in standardised units
    np.testing.assert_allclose(moved.loss_curve_, base.loss_curve_, rtol=1e-9)


def test_target_statistics_many_to_one_are_weighted_like_the_loss():
    X, y = last_two(30, n_steps=3)
    Y = np.c_[1000 + 500 * y, y]
    sw = np.random.RandomState(2).uniform(0, 3, size=30)
    model = LSTMRegressor((2,), max_iter=1, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, Y, sample_weight=sw)
    mean = np.average(Y, axis=0, weights=sw)
    std = np.sqrt(np.average((Y - mean) ** 2, axis=0, weights=sw))
    np.testing.assert_allclose(model.target_mean_, mean, rtol=1e-13)
    np.testing.assert_allclose(model.target_scale_, std, rtol=1e-12)


@ignore_convergence
def test_per_step_statistics_count_real_steps_weighted_like_the_loss():
    """Each real step weighs its sequence's weight over its length; padded
    steps (here NaN) do not count."""
    X, y, lengths, sw = ragged_per_step()
    model = LSTMRegressor((2,), return_sequences=True, max_iter=1, random_state=0)
    model.fit(X, y, sample_weight=sw)
    rows = np.concatenate(y)
    weights = np.concatenate([np.full(n, w / n) for n, w in zip(lengths, sw)])
    mean = rows.T @ weights / weights.sum()
    std = np.sqrt(((rows - mean) ** 2).T @ weights / weights.sum())
    np.testing.assert_allclose(model.target_mean_, mean, rtol=1e-13)
    np.testing.assert_allclose(model.target_scale_, std, rtol=1e-12)


def test_first_epoch_loss_of_a_zero_network_is_one_half():
    """A network of zero weights predicts the (weighted) target mean, so its
    loss in standardised units is half the weighted variance over itself: ½,
    whatever the targets' units, if and only if the statistics weigh each
    step as the loss does."""
    X, y, _, sw = ragged_per_step(seed=3)
    model = LSTMRegressor((2,), return_sequences=True, alpha=0.0, solver="sgd", max_iter=1,
                          random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y, sample_weight=sw)
    for layer in model.coefs_:
        for array in layer.values():
            array[...] = 0.0
    model.out_coef_[...] = 0.0
    model.out_intercept_[...] = 0.0
    model.partial_fit(X, y, sample_weight=sw)  # one full batch: loss taken before the step
    assert model.loss_curve_[-1] == pytest.approx(2 * 0.5, rel=1e-12)  # two outputs


@ignore_convergence
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_unit_weights_are_bit_identical_to_none(return_sequences):
    X, y = ragged_targets(return_sequences, seed=4)
    params = dict(hidden_layer_sizes=(2,), return_sequences=return_sequences, max_iter=3,
                  random_state=0)
    a = LSTMRegressor(**params).fit(X, y)
    b = LSTMRegressor(**params).fit(X, y, sample_weight=np.ones(len(X)))
    np.testing.assert_array_equal(a.target_mean_, b.target_mean_)
    np.testing.assert_array_equal(a.target_scale_, b.target_scale_)
    np.testing.assert_array_equal(a.predict(X), b.predict(X))


@ignore_convergence
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_integer_weights_equal_repeated_samples(return_sequences):
    X, y = ragged_targets(return_sequences, seed=5)
    counts = np.random.RandomState(1).randint(0, 4, size=len(X))
    counts[0] = 2
    rep = np.repeat(np.arange(len(X)), counts)
    params = dict(hidden_layer_sizes=(2,), return_sequences=return_sequences,
                  solver="lbfgs", max_iter=10, random_state=0)
    weighted = LSTMRegressor(**params).fit(X, y, sample_weight=counts)
    repeated = LSTMRegressor(**params).fit([X[k] for k in rep], [y[k] for k in rep])
    np.testing.assert_allclose(weighted.target_mean_, repeated.target_mean_, rtol=1e-13)
    np.testing.assert_allclose(weighted.target_scale_, repeated.target_scale_, rtol=1e-13)
    pw, pr = weighted.predict(X), repeated.predict(X)
    np.testing.assert_allclose(pw, pr, rtol=1e-9, atol=1e-9 * np.nanmax(np.abs(pr)))


@ignore_convergence
def test_statistics_come_from_the_training_part_of_an_early_stopping_split():
    X, y = last_two(40, n_steps=3)
    y = y + 100 * (np.arange(40) >= 36)  # the held-out tail is far off
    model = LSTMRegressor((2,), early_stopping=True, max_iter=2, random_state=0).fit(X, y)
    assert model.target_mean_[0] == pytest.approx(y[:36].mean(), rel=1e-12)
    assert model.target_scale_[0] == pytest.approx(y[:36].std(), rel=1e-12)


@ignore_convergence
def test_partial_fit_and_warm_start_keep_the_first_statistics():
    X, y = last_two(30, n_steps=3)
    model = LSTMRegressor((2,), max_iter=2, random_state=0).fit(X, y)
    mean, scale = model.target_mean_.copy(), model.target_scale_.copy()
    model.partial_fit(X, 50 + 3 * y)
    model.set_params(warm_start=True, scale_targets=False).fit(X, -y)
    np.testing.assert_array_equal(model.target_mean_, mean)
    np.testing.assert_array_equal(model.target_scale_, scale)
    # a new fit computes new ones
    model.set_params(warm_start=False, scale_targets=True).fit(X, 50 + 3 * y)
    np.testing.assert_allclose(model.target_mean_, 50 + 3 * mean, rtol=1e-12)


@ignore_convergence
def test_scaling_off_keeps_the_targets_as_they_are():
    X, y = last_two(20, n_steps=3)
    model = LSTMRegressor((2,), max_iter=2, scale_targets=False, random_state=0).fit(X, y)
    np.testing.assert_array_equal(model.target_mean_, [0.0])
    np.testing.assert_array_equal(model.target_scale_, [1.0])


@ignore_convergence
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_predictions_keep_the_model_dtype(return_sequences):
    X, y = ragged_targets(return_sequences, seed=6)
    X = [s.astype(np.float32) for s in X]
    model = LSTMRegressor((2,), return_sequences=return_sequences, max_iter=2,
                          random_state=0).fit(X, y)
    assert model.out_coef_.dtype == np.float32
    pred = model.predict(X)
    assert pred.dtype == np.float32
    assert np.nanmean(pred[..., 0]) == pytest.approx(1000, rel=0.5)  # in the targets' units


def test_constant_target_is_centred_not_scaled():
    X, _ = last_two(20, n_steps=3)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMRegressor((2,), max_iter=2, random_state=0).fit(X, np.full(20, 7.0))
    assert model.target_scale_[0] == 1.0 and model.target_mean_[0] == 7.0
    np.testing.assert_array_equal(model.predict(X), 7.0)


@pytest.mark.parametrize("first", [0.01, 1e-4, -0.5])
def test_a_stream_that_starts_with_one_row_learns(first):
    """partial_fit keeps the first batch's statistics: a first batch of one
    row has one value per column, which must not become the scale of every
    later batch (scaled by 0.01, the stream below learned nothing)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(300, 1, 3))  # one step: the first row's channels are constant too
    X[0, 0] = [first, -1.2, 0.02]
    y = 5 * X[:, 0, 0] - X[:, 0, 1]
    y[0] = first
    model = LSTMRegressor((8,), learning_rate_init=0.01, data_format="channels_last",
                          random_state=0)
    # Two passes: a relative error of 0.02 to 0.03 here, of 0.49 to 1.0 with
    # the one-row scale (the third pass only took it to 0.24 at first=-0.5).
    for _ in range(2):
        for k in range(len(X)):
            model.partial_fit(X[k:k + 1], y[k:k + 1])
    assert model.target_scale_[0] == 1.0 and np.all(model.input_scale_ == 1.0)
    assert np.mean((model.predict(X[1:]) - y[1:]) ** 2) < 0.2 * np.var(y[1:])


def one_ulp_apart(value, n):
    """``value``, and one unit in the last place above it at every fifth sample."""
    return np.where(np.arange(n) % 5 == 0, np.nextafter(value, np.inf), value)


@ignore_convergence
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
@pytest.mark.parametrize(
    "value, scale_targets",
    # unscaled, -2e300's squared error overflows: refused before training
    [(1e-5, True), (1e-5, False), (3.0, True), (3.0, False), (101325.0, True),
     (101325.0, False), (-2e300, True)],
)
def test_targets_constant_over_the_training_data_are_predicted_exactly(
    value, scale_targets, solver
):
    """Training alone stops about 0.1 standardised units from a constant (a
    target of 1e-5 was predicted 0.05 off, 101325 up to 5 % off): the head
    is set to the loss's exact minimum instead."""
    X, _ = last_two(60, n_steps=5)
    X_new, _ = last_two(30, n_steps=7, seed=1)
    for y in (np.full(60, value), one_ulp_apart(value, 60)):
        model = LSTMRegressor((4,), solver=solver, scale_targets=scale_targets,
                              max_iter=30, random_state=0).fit(X, y)
        np.testing.assert_array_equal(model.out_coef_, 0.0)
        np.testing.assert_allclose(model.predict(X_new), np.mean(y), rtol=1e-15)


@ignore_convergence
def test_a_constant_output_is_settled_and_the_others_still_learn():
    X, y = last_two(200)
    X_test, y_test = last_two(100, seed=1)
    model = LSTMRegressor(random_state=0).fit(X, np.c_[1000 + 500 * y, np.full(200, -4.5)])
    np.testing.assert_array_equal(model.out_coef_[:, 1], 0.0)
    assert np.all(model.out_coef_[:, 0] != 0)
    pred = model.predict(X_test)
    np.testing.assert_array_equal(pred[:, 1], -4.5)
    assert r2_score(1000 + 500 * y_test, pred[:, 0]) > 0.95  # measured 0.99


@ignore_convergence
def test_constant_per_step_targets_over_ragged_sequences_are_predicted_exactly():
    X, y, lengths, weights = ragged_per_step()
    # constant over the real steps; the rest of the second column varies
    y = [np.c_[np.full(len(t), 0.25), t[:, 1]] for t in y]
    model = LSTMRegressor((4,), return_sequences=True, max_iter=30, random_state=0)
    model.fit(X, y, sample_weight=weights)
    pred = model.predict(X)
    for k, n in enumerate(lengths):
        np.testing.assert_array_equal(pred[k, :n, 0], 0.25)
    assert np.all(model.out_coef_[:, 1] != 0)


@ignore_convergence
def test_only_the_targets_training_reads_decide_whether_they_are_constant():
    """Samples of weight zero and the held-out part do not count; a warm start
    on constant targets settles them in the first fit's units."""
    X, y = last_two(60, n_steps=4)
    weighted = np.where(np.arange(60) % 4 == 0, 100.0, 2.0)
    model = LSTMRegressor((4,), max_iter=20, random_state=0)
    model.fit(X, weighted, sample_weight=(weighted == 2.0).astype(float))
    np.testing.assert_array_equal(model.predict(X), 2.0)
    held_out = np.where(np.arange(60) >= 54, 100.0, 2.0)  # the tail is held out
    model.set_params(early_stopping=True).fit(X, held_out)
    np.testing.assert_array_equal(model.predict(X), 2.0)
    # held out, the varying tail is not constant over what training reads
    model.set_params(early_stopping=False).fit(X, held_out)
    assert np.any(model.out_coef_ != 0)
    model.set_params(warm_start=True).fit(X, np.full(60, 9.0))
    np.testing.assert_allclose(model.predict(X), 9.0, rtol=1e-15)
    assert model.target_mean_[0] != 9.0  # the first fit's statistics


@ignore_convergence
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("value", [0.0, 1e-5, 3.0, 101325.0], ids=str)
def test_quantiles_of_a_constant_target_are_that_constant(value, dtype):
    """Every level, exactly: increments of one epsilon in standardised units
    would put 1e-5's upper levels 2 % above it in float32 (its scale is 1)."""
    X = last_two(60, n_steps=4)[0].astype(dtype)
    model = LSTMRegressor((4,), loss="quantile", quantiles=(0.1, 0.5, 0.9), max_iter=30,
                          random_state=0)
    np.testing.assert_array_equal(model.fit(X, np.full(60, value)).predict_quantiles(X),
                                  dtype(value))
    jittered = one_ulp_apart(value, 60)
    bands = model.fit(X.astype(np.float64), jittered).predict_quantiles(X.astype(np.float64))
    np.testing.assert_allclose(bands, np.mean(jittered), rtol=1e-15)


@ignore_convergence
@pytest.mark.parametrize("loss", ["squared_error", "quantile"])
def test_partial_fit_on_varying_targets_restarts_a_settled_head(loss):
    """Zero head weights pass the layers no gradient, and settled increments
    have none: partial_fit restarts them when the targets vary, keeps them
    when they do not (the lowest level then trains on, from a tie)."""
    X, y = last_two(60, n_steps=4)
    model = LSTMRegressor((4,), loss=loss, max_iter=20, random_state=0)
    model.fit(X, np.full(60, 2.0)).partial_fit(X, np.full(60, 2.0))
    kept = model.out_coef_ if loss == "squared_error" else model.out_coef_[:, 1:]
    np.testing.assert_array_equal(kept, 0.0)
    model.partial_fit(X, y)
    assert np.all(model.out_coef_ != 0)
    if loss == "quantile":
        bands = model.predict_quantiles(X)
        assert np.all(bands[:, 2] - bands[:, 0] > 0.1)  # restarted: about 1.3 wide


@ignore_convergence
@pytest.mark.parametrize("loss", ["squared_error", "quantile"])
@pytest.mark.parametrize("how", ["partial_fit", "warm_start"])
def test_a_restarted_head_keeps_the_fitted_level(how, loss):
    """A restart re-drew the settled intercepts too: in natural units
    (scale_targets=False) a level of 1e6 became about 0, and the model
    continued from R² -1e12, with no more than an iteration warning."""
    X, y = last_two(60, n_steps=4)
    model = LSTMRegressor((4,), loss=loss, scale_targets=False, max_iter=20, random_state=0,
                          warm_start=how == "warm_start").fit(X, np.full(60, 1e6))
    varying = 1e6 + y
    getattr(model, "fit" if how == "warm_start" else how)(X, varying)
    assert np.all(model.out_coef_ != 0)  # restarted
    # Within y's spread of the level (y spans ±1.3): the lost level was 1e6 off.
    assert np.abs(model.predict(X) - varying).max() < 2 * np.abs(y).max()
    if loss == "quantile":  # the increments restart from their flat logit
        assert np.all(model.predict_quantiles(X)[:, 2] > model.predict_quantiles(X)[:, 0])


def test_float32_refusal_spares_constants_and_small_batches_of_a_fitted_model():
    # A constant float64 y has a std of about 1e-17, which its float32
    # rounding exceeded; a partial_fit batch of two prices a cent apart was
    # measured against its own spread, not the model's target_scale_.
    X = np.random.RandomState(0).normal(size=(200, 5, 1)).astype(np.float32)
    for constant in (0.1, 3.7, 100.1):
        LSTMRegressor((2,), max_iter=1).fit(X[:30], np.full(30, constant))
    y = np.round(10000 + 100 * X[:, -1, 0], 2)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMRegressor((2,), max_iter=2, random_state=0).fit(X, y)
        model.partial_fit(X[:2], np.array([10000.12, 10000.13]))


def test_float32_refusal_measures_the_rows_that_count_and_a_continuation_fairly():
    """Three classes of false refusal: a continued model with target_scale_ 1
    (scale_targets=False, or a constant column) measured its rounding
    against an absolute 0.01, refusing the data it had just been fitted on;
    rows of weight 0 counted in the spread."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 5, 1)).astype(np.float32)
    y = 1e6 + 1e5 * rng.normal(size=60)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        raw = LSTMRegressor((2,), max_iter=2, scale_targets=False, random_state=0).fit(X, y)
        raw.partial_fit(X, y)
        raw.set_params(warm_start=True).fit(X, y)
        Y = np.column_stack([rng.normal(size=60), np.full(60, 1234567.1)])
        model = LSTMRegressor((2,), max_iter=2, random_state=0).fit(X, Y)
        assert model.target_scale_[1] == 1.0  # constant
        model.partial_fit(X, Y)
        # 10 rows of weight 1 spread by 1e4 around 1e9, and 1990 of weight 0
        # at one value: the spread that counts is 1e4, which float32 holds
        X_many = rng.normal(size=(2000, 3, 1)).astype(np.float32)
        y_many = np.full(2000, 1e9 + 17)
        y_many[:10] += 1e4 * rng.normal(size=10)
        weights = np.r_[np.ones(10), np.zeros(1990)]
        LSTMRegressor((2,), max_iter=1).fit(X_many, y_many, sample_weight=weights)
        # 20,000 equal targets, alone or beside a varying column: their
        # weighted mean's rounding once made them "vary" by 2e-14
        X_long = rng.normal(size=(20000, 2, 1)).astype(np.float32)
        for Y in (np.full(20000, 3.3), np.column_stack([X_long[:, -1, 0], np.full(20000, 3.3)])):
            fitted = LSTMRegressor((1,), solver="lbfgs", max_iter=1).fit(X_long, Y)
            assert fitted.target_scale_[-1] == 1.0
        # ... and refused when the counted rows vary by less than float32's step
        y_many[:10] = 1e9 + 2 * rng.normal(size=10)
        refused = r"y's output 0 varies by \d\.\d+ \(standard deviation\) around 1e\+09"
        with pytest.raises(ValueError, match=refused):
            LSTMRegressor((2,), max_iter=1).fit(X_many, y_many, sample_weight=weights)


@pytest.mark.parametrize("return_sequences", [False, True])
def test_targets_whose_spread_float32_cannot_hold_are_refused(return_sequences):
    # float32 spaces 1e9 by 64: 1e9 + x rounded to one constant, and the
    # model learned nothing without a word.
    X, y = ragged_targets(return_sequences, seed=6)
    X32 = [s.astype(np.float32) for s in X]
    blurred = [1e9 + t for t in y] if return_sequences else 1e9 + y
    with pytest.raises(ValueError, match=r"y's output 0 varies by .* around 1e\+09, finer "
                                         r"than float32, the dtype the model takes from X"):
        LSTMRegressor((2,), return_sequences=return_sequences, max_iter=2).fit(X32, blurred)
    # float64 holds them; float32 holds a spread of 1000 around 1000
    LSTMRegressor((2,), return_sequences=return_sequences, max_iter=2).fit(X, blurred)
    model = LSTMRegressor((2,), return_sequences=return_sequences, max_iter=2).fit(X32, y)
    before = model.predict(X32)
    with pytest.raises(ValueError, match=r"the dtype of the fitted model.*Refit on float64 X "
                                         r"\(fit, with warm_start=False\)"):
        model.partial_fit(X32, blurred)
    np.testing.assert_array_equal(model.predict(X32), before)
    # The remedy, as a warm start reads it: fit alone continued the float32 model.
    model.set_params(warm_start=True)
    with pytest.raises(ValueError, match="the dtype of the fitted model"):
        model.fit(X, blurred)
    model.set_params(warm_start=False).fit(X, blurred)


@pytest.mark.parametrize("factor", [1e-100, 1e-200, 1e-300])
def test_targets_that_vanish_in_float32_are_refused(factor):
    """float32 holds nothing below 1e-45: the targets became zeros. From
    1e-170 the check's squared error underflowed to 0 too, and the model
    fitted a constant without a word."""
    X, y = last_two(20, n_steps=3)
    # Its advice was to subtract a constant from targets centred near 0.
    with pytest.raises(ValueError, match=r"y's output 0 varies by .* finer than float32.* Pass "
                                         r"X as float64, or multiply y by a power of ten before"):
        LSTMRegressor((2,), max_iter=2).fit(X.astype(np.float32), y * factor)
    LSTMRegressor((2,), max_iter=2).fit(X, y * factor)  # float64 holds them
    with pytest.raises(ValueError, match=r"finer than float32.* or subtract a constant from y"):
        LSTMRegressor((2,), max_iter=2).fit(X.astype(np.float32), 1e9 + y)
    # Tiny and offset: subtracting would leave a spread float32 cannot resolve
    # (below its smallest normal number); above it, subtracting is the remedy.
    with pytest.raises(ValueError, match=r"finer than float32.* or multiply y by a power of ten"):
        LSTMRegressor((2,), max_iter=2).fit(X.astype(np.float32), 1e-44 * (5 + y))
    offset = 1e-20 + 1e-33 * y
    with pytest.raises(ValueError, match=r"finer than float32.* or subtract a constant from y"):
        LSTMRegressor((2,), max_iter=2).fit(X.astype(np.float32), offset)
    LSTMRegressor((2,), max_iter=2).fit(X.astype(np.float32), offset - 1e-20)
    # A sample of weight 0 counts for nothing, however large its target: it
    # set the unit of the check, and the vanished targets passed.
    weights = np.r_[np.ones(len(y) - 1), 0.0]
    with pytest.raises(ValueError, match=r"y's output 0 varies by .* finer than float32"):
        LSTMRegressor((2,), max_iter=2).fit(X.astype(np.float32), np.r_[y[:-1] * factor, 1e38],
                                            sample_weight=weights)


@ignore_convergence
@pytest.mark.parametrize("return_sequences", [False, True])
def test_r2_counts_no_sample_of_weight_zero(return_sequences):
    """A sample of weight 0 set the unit of the sums (1e300: R² 1.0) and
    which outputs are constant (-3e31 where 0 is due)."""
    X, y = last_two(12, n_steps=3)
    Y = np.repeat(y[:, None], 3, axis=1) if return_sequences else y
    model = LSTMRegressor((2,), return_sequences=return_sequences, max_iter=3,
                          random_state=0).fit(X, Y)
    weights = np.random.RandomState(1).uniform(0.05, 1.0, size=12)
    weights[-1] = 0.0
    for far in (1e300, 99.0):
        targets = Y.copy()
        targets[-1] = far
        expected = model.score(X[:-1], targets[:-1], sample_weight=weights[:-1])
        assert model.score(X, targets, sample_weight=weights) == expected
    constant = np.full_like(Y, 5.680445610939323)
    constant[-1] = 99.0
    assert model.score(X, constant, sample_weight=weights) == model.score(
        X[:-1], constant[:-1], sample_weight=weights[:-1]) == 0.0


def test_r2_with_zero_weights_is_scikit_learns():
    """Rows of weight 0 were dropped before scikit-learn's score: one row of
    positive weight left scored NaN ("fewer than two samples") where
    scikit-learn gives 0 or 1, and the sums of the rest were added in
    another order."""
    from sklstm._regressor import _r2

    Y = np.array([[1.0], [2.0], [3.0]])
    weights = np.array([1.0, 0.0, 0.0])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert _r2(Y, Y + [[0.5], [0.0], [0.0]], weights) == 0.0
        assert _r2(Y, Y + [[0.0], [7.0], [7.0]], weights) == 1.0
    rng = np.random.RandomState(0)
    for _ in range(300):
        n, k = rng.randint(2, 40), rng.randint(1, 3)
        Y = rng.normal(size=(n, k))
        predicted = Y + rng.normal(size=(n, k)) * rng.uniform(0, 2)
        weights = rng.uniform(0, 1, n) * (rng.uniform(size=n) > 0.4)
        if (weights > 0).sum() >= 2:
            assert _r2(Y, predicted, weights) == r2_score(Y, predicted, sample_weight=weights)


def test_r2_arithmetic_is_scikit_learns_bit_for_bit():
    """The per-epoch R² is computed without scikit-learn's input checks; it
    must still be its score exactly: weighted or not, several outputs,
    constant or perfectly predicted ones, sums long enough to be pairwise."""
    from sklstm._regressor import _r2_score_of_floats

    rng = np.random.RandomState(1)
    for case in range(400):
        n, k = rng.randint(2, 300), rng.randint(1, 4)
        Y = rng.normal(size=(n, k)) * 10.0 ** rng.uniform(-3, 3, size=k)
        predicted = Y + rng.normal(size=(n, k)) * rng.uniform(0, 2)
        if case % 5 == 0:
            Y[:, 0] = Y[0, 0]  # a constant output
        if case % 7 == 0:
            predicted[:, -1] = Y[:, -1]  # a perfect one
        weights = None if case % 2 else rng.uniform(0, 3, n) * (rng.uniform(size=n) > 0.3)
        if weights is not None and weights.sum() == 0:
            continue
        expected = r2_score(Y, predicted, sample_weight=weights)
        assert _r2_score_of_floats(Y, predicted, weights) == expected, case


@ignore_convergence
@pytest.mark.parametrize("factor", [1e-300, 1e300])
def test_targets_in_extreme_units_train_as_in_unit_ones(factor):
    X, y = last_two(20, n_steps=3)
    reference = LSTMRegressor((2,), max_iter=3, random_state=0).fit(X, y)
    model = LSTMRegressor((2,), max_iter=3, random_state=0).fit(X, y * factor)
    np.testing.assert_allclose(model.target_scale_, reference.target_scale_ * factor, rtol=1e-12)
    np.testing.assert_allclose(model.loss_curve_, reference.loss_curve_, rtol=1e-9)
    np.testing.assert_allclose(model.predict(X), reference.predict(X) * factor, rtol=1e-9)


@ignore_convergence
@pytest.mark.parametrize("factors", [(1e-300,), (1e-170,), (1e160,), (1e300,), (1e300, 1e-300)])
def test_r2_is_that_of_unit_targets_in_any_units(factors):
    # Sums of squares overflowed (R² NaN near 1e160) or vanished (a false
    # 1.0 near 1e-170); each output is scored in its own units.
    X, y = last_two(20, n_steps=3)
    Y = np.column_stack([y * (k + 1) for k in range(len(factors))])
    reference = LSTMRegressor((2,), max_iter=3, random_state=0).fit(X, Y)
    expected = reference.score(X, Y)
    assert expected == r2_score(Y, reference.predict(X).reshape(Y.shape))  # bit for bit
    model = LSTMRegressor((2,), max_iter=3, random_state=0).fit(X, Y * factors)
    assert model.score(X, Y * factors) == pytest.approx(expected, rel=1e-9)


@ignore_convergence
@pytest.mark.parametrize("factor", [1e100, 1e165, 1e-100])
def test_r2_of_predictions_far_from_the_targets_scale_is_scikit_learns(factor):
    # Scaled by the predictions' magnitude, targets 1e165 times smaller
    # vanished, and a useless model scored 0.0 where scikit-learn gives -inf.
    X, y = last_two(20, n_steps=3)
    model = LSTMRegressor((2,), max_iter=3, random_state=0).fit(X, y * factor)
    expected = r2_score(y, model.predict(X))
    assert model.score(X, y) == expected
    assert expected < -1e10 if factor > 1 else -1 < expected < 1


@ignore_convergence
def test_r2_of_predictions_beyond_float64_of_the_targets_scale_is_minus_inf():
    # Scaled to the targets' magnitude, predictions 1e400 times larger
    # overflowed, and scikit-learn's input check raised on the inf.
    from sklstm._regressor import _r2

    X, y = last_two(20, n_steps=3)
    for fitted, scored in ((1e200, 1e-200), (1.0, 1e-310)):
        model = LSTMRegressor((2,), max_iter=3, random_state=0).fit(X, y * fitted)
        assert model.score(X, y * scored) == -np.inf
    # A sample of zero weight counts for nothing, overflowed or not.
    Y = np.array([[1e-300], [2e-300], [4e-300]])
    predicted = np.array([[1.5e-300], [2e-300], [1e100]])
    weights = np.array([1.0, 1.0, 0.0])
    assert _r2(Y, predicted, weights) == pytest.approx(r2_score(Y[:2] * 1e300,
                                                                predicted[:2] * 1e300))
    assert _r2(Y, predicted, None) == -np.inf


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_r2_whose_sums_of_squares_overflow_is_the_true_value():
    """Residuals near 1e154 or weights near the largest float overflowed the
    sums inside scikit-learn: -inf or NaN (and NumPy's RuntimeWarning) where
    R² is a float."""
    from decimal import Decimal, localcontext

    from sklstm._regressor import _r2

    rng = np.random.RandomState(0)
    y = rng.normal(size=1000)
    predicted = y + 0.1 * rng.normal(size=1000)
    predicted[0] = 3e154  # its square alone is beyond float64
    with localcontext() as exact:  # an independent transcription, in decimals
        exact.prec = 60
        targets, guesses = [Decimal(v) for v in y], [Decimal(v) for v in predicted]
        mean = sum(targets) / len(targets)
        expected = 1 - sum((t - g) ** 2 for t, g in zip(targets, guesses)) / sum(
            (t - mean) ** 2 for t in targets)
    assert -1e308 < float(expected) < -1e305  # finite, though its sums are not
    assert _r2(y[:, None], predicted[:, None], None) == pytest.approx(float(expected),
                                                                       rel=1e-12)
    predicted[0] = 3e160  # beyond every float: -inf, without a warning
    assert _r2(y[:, None], predicted[:, None], None) == -np.inf
    # Equal weights near the largest float score as no weights.
    predicted[0] = y[0]
    weights = np.full(1000, 1.5e308)
    assert _r2(y[:, None], predicted[:, None], weights) == pytest.approx(
        r2_score(y, predicted), rel=1e-12)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_r2_of_float32_targets_far_from_zero_is_summed_in_float64(dtype):
    """float32 sums rounded the targets' mean: a constant prediction of
    targets 1e8 ± 8 scored 0.94, where scikit-learn gives -0.0067 in float64."""
    from sklstm._regressor import _r2

    y = (1e8 + np.array([-8.0, 0.0, 8.0] * 17)[:50]).astype(dtype)
    predicted = np.full(50, 1e8, dtype=dtype)
    expected = r2_score(y.astype(np.float64), predicted.astype(np.float64))
    assert expected < 0
    assert _r2(y[:, None], predicted[:, None], None) == expected


@ignore_convergence
def test_r2_of_the_encoder_decoder_in_tiny_units():
    from sklstm import LSTMEncoderDecoderRegressor

    X, _ = last_two(20, n_steps=4)
    Y = X[:, -2:, 0]
    params = dict(hidden_layer_sizes=(3,), max_iter=3, horizon=2, random_state=0)
    expected = LSTMEncoderDecoderRegressor(**params).fit(X, Y).score(X, Y)
    model = LSTMEncoderDecoderRegressor(**params).fit(X, Y * 1e-170)
    assert model.score(X, Y * 1e-170) == pytest.approx(expected, rel=1e-9)


@pytest.mark.parametrize("value, error", [("yes", TypeError), (1, TypeError)])
def test_scale_targets_is_checked(value, error):
    X, y = last_two(10, n_steps=3)
    with pytest.raises(error, match="scale_targets must be True or False"):
        LSTMRegressor(scale_targets=value).fit(X, y)


@ignore_convergence
def test_r2_of_validation_is_that_of_the_natural_units():
    X, y = last_two(40, n_steps=3)
    model = LSTMRegressor((3,), early_stopping=True, max_iter=3, random_state=0)
    model.fit(X, 1000 + 500 * y)
    tail, best = slice(36, 40), int(np.argmin(model.validation_loss_curve_))
    assert model.validation_scores_[best] == pytest.approx(
        r2_score(1000 + 500 * y[tail], model.predict(X[tail])), rel=1e-9
    )


@ignore_convergence
def test_models_saved_without_target_scaling_load_as_raw_target_models():
    """The state of a model saved before scale_targets, loss and quantiles
    existed: it trained on raw targets, and must predict as it did."""
    X, y = last_two(20, n_steps=3)
    model = LSTMRegressor((2,), max_iter=2, scale_targets=False, random_state=0).fit(X, 5 + y)
    state = dict(model.__getstate__())  # a copy: it may be the __dict__ itself
    for name in ("scale_targets", "loss", "quantiles", "target_mean_", "target_scale_",
                 "quantiles_"):
        del state[name]
    old = LSTMRegressor.__new__(LSTMRegressor)
    old.__setstate__(state)
    np.testing.assert_array_equal(old.predict(X), model.predict(X))
    assert old.get_params() == LSTMRegressor((2,), max_iter=2, random_state=0).get_params()


@ignore_convergence
@pytest.mark.parametrize("solver", ["adam", "lbfgs"])
def test_a_warm_start_widens_quantiles_settled_at_a_constant(solver):
    """Settled levels are equal to rounding, where softplus' slope is too: a
    warm start on varying targets kept the 10-90 % band about 5e-16 wide
    (covering none of them) until it restarted those increments."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(120, 8, 2))
    y = X[:, -1, 0] + X[:, -2, 1] + 0.3 * rng.normal(size=120)
    # Every step on its own: one patch of 16 values lets L-BFGS interpolate
    # the 120 targets, whose in-sample bands then cover all of them.
    model = LSTMRegressor(loss="quantile", quantiles=(0.1, 0.5, 0.9), solver=solver,
                          patch_length=1, random_state=0).fit(X, np.full(120, 3.0))
    model.set_params(warm_start=True).fit(X, y)
    bands = model.predict_quantiles(X)
    covered = np.mean((bands[:, 0] <= y) & (y <= bands[:, 2]))
    assert 0.7 < covered < 0.95  # nominal 0.8; measured 0.88 (adam), 0.86 (lbfgs)
