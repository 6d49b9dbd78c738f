"""Gradient checks of the packed loss-and-gradient function every solver uses."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklstm._loss import (
    Network, Objective, constant_loss, forward_logits, full_batch_loss_and_grad, loss_and_grad,
    sequence_loss,
)
from sklstm._params import ParamLayout


def make_problem(loss, return_sequences, ragged, *, peephole=True, coupled=False, seed=0):
    rng = np.random.default_rng(seed)
    n, T, F, K = 5, 4, 2, 3
    layout = ParamLayout(F, (3, 2), K if loss != "log_loss" else 2, peephole=peephole, coupled=coupled)
    theta = rng.normal(scale=0.5, size=layout.size)
    X = rng.normal(size=(n, T, F))
    lengths = np.array([4, 2, 3, 1, 4]) if ragged else None
    shape = (n, T) if return_sequences else (n,)
    k = 2 if loss == "log_loss" else K
    if loss == "squared_error":
        y = rng.normal(size=shape + (k,))
    elif loss == "multinomial":
        y = np.eye(k)[rng.integers(0, k, size=shape)]
    else:
        y = rng.integers(0, 2, size=shape + (k,)).astype(float)
    if ragged and return_sequences:
        for s, length in enumerate(lengths):
            y[s, length:] = np.nan  # padded targets must be ignored
    sample_weight = rng.uniform(0.5, 2.0, size=n)
    spec = (Network(layout, return_sequences), Objective(loss, alpha=0.3))
    return theta, X, y, lengths, sample_weight, spec


@pytest.mark.parametrize("loss", ["squared_error", "log_loss", "multinomial"])
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
@pytest.mark.parametrize("ragged", [False, True], ids=["full", "ragged"])
def test_packed_gradient_matches_finite_differences(
    loss, return_sequences, ragged, assert_packed_gradient_exact
):
    assert_packed_gradient_exact(make_problem(loss, return_sequences, ragged))


@pytest.mark.parametrize("coupled", [False, True])
@pytest.mark.parametrize("peephole", [False, True])
def test_packed_gradient_variants(peephole, coupled, assert_packed_gradient_exact):
    problem = make_problem("multinomial", False, True, peephole=peephole, coupled=coupled, seed=3)
    assert_packed_gradient_exact(problem)


def test_squared_error_value_against_hand_computation():
    theta, X, y, lengths, sw, spec = make_problem("squared_error", False, False, peephole=False)
    z, _, _ = forward_logits(theta, X, lengths, spec[0])
    data = np.sum(sw * 0.5 * np.sum((z - y) ** 2, axis=1)) / sw.sum()
    layers, coef, _ = spec[0].layout.unpack(theta)
    weights = sum(np.sum(layer[k] ** 2) for layer in layers for k in ("W", "R")) + np.sum(coef**2)
    expected = data + 0.5 * spec[1].alpha / sw.sum() * weights
    value, _ = loss_and_grad(theta, X, y, lengths, sw, *spec)
    assert value == pytest.approx(expected, rel=1e-12)


def test_biases_are_not_penalised():
    theta, X, y, lengths, sw, spec = make_problem("squared_error", False, False, peephole=False)
    no_penalty = (spec[0], Objective(spec[1].loss, 0.0))
    _, g_pen = loss_and_grad(theta, X, y, lengths, sw, *spec)
    _, g_free = loss_and_grad(theta, X, y, lengths, sw, *no_penalty)
    layers, _, intercept = spec[0].layout.unpack(g_pen - g_free)
    assert np.all(intercept == 0)
    assert all(np.all(layer["b"] == 0) for layer in layers)
    assert all(np.any(layer["W"] != 0) for layer in layers)


def test_multinomial_value_against_hand_computation():
    theta, X, y, lengths, sw, spec = make_problem("multinomial", True, True, peephole=False)
    z, _, _ = forward_logits(theta, X, lengths, spec[0])
    log_p = z - np.log(np.exp(z).sum(axis=-1, keepdims=True))
    total = 0.0
    for s, length in enumerate(lengths):
        total += sw[s] * np.mean(-np.sum(y[s, :length] * log_p[s, :length], axis=-1))
    assert sequence_loss(z, y, lengths, sw, spec[1]) == pytest.approx(total / sw.sum(), rel=1e-12)


@pytest.mark.parametrize("loss", ["squared_error", "log_loss", "multinomial"])
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_weights_near_the_largest_float_give_the_unit_loss(loss, return_sequences, dtype):
    """sample_weight and alpha multiplied by one power of two give the same loss
    and gradient, bit for bit, up to weights summing to near the largest
    float. Fixed bug: Σ weight × term overflowed to inf there, which L-BFGS
    read as a failed step (and stopped, reporting success)."""
    theta, X, y, lengths, w, (network, objective) = make_problem(loss, return_sequences, True)
    theta, X = (theta * 4).astype(dtype), X.astype(dtype)  # confident: large loss terms
    if loss == "squared_error":
        y = y * 100
    # The weights' sum in [largest / 2, largest): a mean term above 2 overflowed.
    exponent = np.finfo(dtype).maxexp - int(np.frexp(w.sum())[1])
    heavy = Objective(loss, alpha=float(np.ldexp(objective.alpha, exponent)))
    unit_loss, unit_grad = loss_and_grad(theta, X, y, lengths, w.astype(dtype), network, objective)
    assert unit_loss > 2
    heavy_w = np.ldexp(w, exponent).astype(dtype)
    heavy_loss, heavy_grad = loss_and_grad(theta, X, y, lengths, heavy_w, network, heavy)
    assert heavy_loss == unit_loss
    np.testing.assert_array_equal(heavy_grad, unit_grad)
    z, _, _ = forward_logits(theta, X, lengths, network)
    assert (sequence_loss(z, y, lengths, heavy_w, heavy)
            == sequence_loss(z, y, lengths, w.astype(dtype), objective))


def test_integer_weights_equal_repeated_samples():
    theta, X, y, lengths, _, spec = make_problem("log_loss", False, True)
    counts = np.array([1, 3, 0, 2, 1])
    weighted = loss_and_grad(theta, X, y, lengths, counts.astype(float), *spec)
    rep = np.repeat(np.arange(5), counts)
    repeated = loss_and_grad(theta, X[rep], y[rep], lengths[rep], None, *spec)
    assert weighted[0] == pytest.approx(repeated[0], rel=1e-12)
    np.testing.assert_allclose(weighted[1], repeated[1], rtol=1e-10, atol=1e-14)


def test_float32_loss_and_grad():
    theta, X, y, lengths, sw, spec = make_problem("squared_error", True, True)
    v64, g64 = loss_and_grad(theta, X, y, lengths, sw, *spec)
    v32, g32 = loss_and_grad(theta.astype(np.float32), X.astype(np.float32), y, lengths, sw, *spec)
    assert g32.dtype == np.float32
    assert v32 == pytest.approx(v64, rel=1e-5)
    np.testing.assert_allclose(g32, g64, rtol=1e-3, atol=1e-4 * np.abs(g64).max())


@pytest.mark.parametrize("loss", ["squared_error", "log_loss", "multinomial"])
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
@pytest.mark.parametrize("ragged", [False, True], ids=["full", "ragged"])
def test_full_batch_objective_in_chunks_adds_up_to_the_whole_batch(
    loss, return_sequences, ragged
):
    # The scipy solvers' objective runs over chunks of samples within
    # working_memory; the chunks' weighted sums, the penalty added once,
    # are the whole batch's loss and gradient (padded targets NaN, weights).
    theta, X, y, lengths, sample_weight, (network, objective) = make_problem(
        loss, return_sequences, ragged
    )
    args = (X, y, lengths, sample_weight, network, objective)
    expected_loss, expected_grad = loss_and_grad(theta, *args)
    # one chunk: the same computation, to the bit
    got_loss, got_grad = full_batch_loss_and_grad(theta, *args)
    assert got_loss == expected_loss
    np.testing.assert_array_equal(got_grad, expected_grad)
    # chunks of two samples (and a last one of three)
    got_loss, got_grad = full_batch_loss_and_grad(theta, *args, working_memory=1e-9)
    np.testing.assert_allclose(got_loss, expected_loss, rtol=1e-13)
    np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-11,
                               atol=1e-13 * np.abs(expected_grad).max())
    # weights per chunk, not per batch, would move the loss: the check can fail
    first_two = loss_and_grad(theta, X[:2], y[:2], None if lengths is None else lengths[:2],
                              sample_weight[:2], network, objective)[0]
    assert abs(first_two - expected_loss) > 1e-6


def test_full_batch_objective_in_chunks_of_the_encoder_decoder():
    from sklstm._seq2seq import EncoderDecoder, EncoderDecoderLayout

    rng = np.random.default_rng(3)
    layout = EncoderDecoderLayout(3, 2, (4,), 2)
    network = EncoderDecoder(layout, 3, pass_states=True)
    theta = rng.uniform(-0.8, 0.8, size=layout.size)
    X, Y = rng.normal(size=(7, 8, 3)), rng.normal(size=(7, 6))
    args = (X, Y, None, rng.uniform(0.5, 2, 7), network, Objective("squared_error", alpha=0.2))
    expected_loss, expected_grad = loss_and_grad(theta, *args)
    got_loss, got_grad = full_batch_loss_and_grad(theta, *args, working_memory=1e-9)
    np.testing.assert_allclose(got_loss, expected_loss, rtol=1e-13)
    np.testing.assert_allclose(got_grad, expected_grad, rtol=1e-11,
                               atol=1e-13 * np.abs(expected_grad).max())


def test_scipy_fits_keep_their_training_cache_within_working_memory(peak_bytes):
    # The full batch's cache (every step of every sample, about 32 KB a
    # sample here, every step read on its own: 64 MiB) set the peak of an
    # L-BFGS fit, beyond any working_memory; in chunks the fit is the same to
    # rounding.
    import warnings

    from sklearn import config_context

    from sklstm import LSTMRegressor
    from sklstm.exceptions import IterationLimitWarning

    rng = np.random.RandomState(0)
    X = rng.normal(size=(2000, 16, 1))
    fits = {}
    for working_memory in (1024, 4):
        model = LSTMRegressor((32,), solver="lbfgs", max_iter=3, patch_length=1,
                              random_state=0)
        with config_context(working_memory=working_memory), warnings.catch_warnings():
            warnings.simplefilter("ignore", IterationLimitWarning)
            fits[working_memory] = peak_bytes(lambda: model.fit(X, X[:, -1, 0])), model.loss_
    assert fits[4][0] < 6 * 2**20 < 50 * 2**20 < fits[1024][0], fits
    np.testing.assert_allclose(fits[4][1], fits[1024][1], rtol=1e-10)


def test_full_batch_objective_refused_in_one_chunk_is_refused_whole():
    # Weights so large that one chunk's gate inputs may overflow refuse the
    # whole batch (NaN, how a solver learns of divergence), as one pass
    # does, even where that chunk's samples weigh nothing: their NaN
    # gradient came with a finite loss.
    rng = np.random.default_rng(0)
    layout = ParamLayout(1, (2,), 1)
    theta = rng.normal(scale=0.3, size=layout.size)
    layers, _, _ = layout.unpack(theta)
    layers[0]["W"][...] = 1e300  # views of theta
    layers[0]["b"][...] = 1e306
    X, y = rng.normal(size=(6, 4, 1)), rng.normal(size=(6, 1))
    X[5] = 1e6  # the last chunk's samples: a huge input, weight 0
    args = (X, y, None, np.array([1, 1, 1, 1, 0, 0.0]), Network(layout, False),
            Objective("squared_error", alpha=0.0))
    for working_memory in (None, 1e-9):
        loss, grad = full_batch_loss_and_grad(theta, *args, working_memory=working_memory)
        assert np.isnan(loss) and np.isnan(grad).all()


# -- the loss of a constant prediction ---------------------------------------------


def _real_terms(y, lengths, w):
    """Targets of the real terms (m, k) and each one's weight, by hand."""
    if y.ndim == 2:
        return y, w
    rows = [(y[s, t], w[s] / lengths[s]) for s in range(len(y)) for t in range(lengths[s])]
    return np.array([r[0] for r in rows]), np.array([r[1] for r in rows])


@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_constant_loss_against_hand_computation(return_sequences):
    """The mean's squared error is half the weighted variance; the classes'
    frequencies' log loss is their entropy; the sample quantiles' pinball
    loss is summed over levels. Padded steps count for nothing."""
    tau = (0.1, 0.5, 0.9)
    for loss in ["squared_error", "log_loss", "multinomial", "quantile"]:
        name = "squared_error" if loss == "quantile" else loss
        _, _, y, lengths, w, _ = make_problem(name, return_sequences, True)
        Y, tw = _real_terms(y, lengths, w)
        p = (tw[:, None] * Y).sum(0) / tw.sum()
        if loss == "squared_error":
            expected = 0.5 * np.sum(tw[:, None] * (Y - p) ** 2) / tw.sum()
        elif loss == "log_loss":
            expected = -np.sum(p * np.log(p) + (1 - p) * np.log(1 - p))
        elif loss == "multinomial":  # a class that never occurs costs nothing
            expected = -np.sum(p[p > 0] * np.log(p[p > 0]))
        else:
            q = np.quantile(Y, tau, axis=0).T  # (k, Q), by NumPy's default rule
            r = Y[:, :, None] - q
            pinball = np.maximum(np.asarray(tau) * r, (np.asarray(tau) - 1) * r)
            expected = np.sum(tw * pinball.sum(axis=(1, 2))) / tw.sum()
        objective = Objective(loss, alpha=0.3, quantiles=tau if loss == "quantile" else None)
        got = constant_loss(y, lengths, w, objective)
        assert got == pytest.approx(expected, rel=1e-12), loss


def test_constant_logits_predict_the_constant():
    """Through each output activation, the logits give the mean, the
    frequencies, or the quantiles (the inverse of the non-crossing map)."""
    rng = np.random.default_rng(3)
    y = rng.normal(size=(50, 2)) * [1.0, 1e4]
    w = rng.uniform(0.1, 1.0, size=50)
    mean = (w[:, None] * y).sum(0) / w.sum()
    assert_allclose(Objective("squared_error", 0.0).constant_logits(y, w), mean, rtol=1e-12)
    labels = np.eye(3)[rng.integers(0, 3, size=50)]
    frequencies = (w[:, None] * labels).sum(0) / w.sum()
    objective = Objective("multinomial", 0.0)
    assert_allclose(objective.activation(objective.constant_logits(labels, w)), frequencies,
                    rtol=1e-12)
    objective = Objective("log_loss", 0.0)
    assert_allclose(objective.activation(objective.constant_logits(labels[:, :2], w)),
                    frequencies[:2], rtol=1e-12)
    tau = (0.05, 0.5, 0.95)
    objective = Objective("quantile", 0.0, quantiles=tau)
    q = objective.activation(objective.constant_logits(y, w)).reshape(2, 3)
    assert_allclose(q, np.quantile(y, tau, axis=0).T, rtol=1e-9)


def test_the_constant_loss_of_targets_of_one_value_is_zero():
    """A constant predicts them exactly: the log losses' infimum, 0, not the
    1e-12 that the probabilities' margin leaves (a classifier fitted on one
    class by its weights was told it had learned nothing)."""
    labels = np.array([[1.0], [1.0], [1.0], [0.0]])
    weights = np.array([1.0, 2.0, 1.0, 0.0])  # the one 0 weighs nothing
    assert constant_loss(labels, None, weights, Objective("log_loss", 0.0)) == 0.0
    assert constant_loss(np.full((4, 1), 3.0), None, None, Objective("squared_error", 0.0)) == 0.0
    assert constant_loss(labels, None, None, Objective("log_loss", 0.0)) > 0.5


def test_the_constant_loss_in_chunks_is_that_of_the_whole_batch(monkeypatch):
    """Several outputs and levels per step, ragged per-step targets (NaN at
    padded steps), weights: the chunked sums add up to one pass's loss."""
    import sklstm._loss

    _, _, y, lengths, w, _ = make_problem("squared_error", True, True)
    objective = Objective("quantile", 0.0, quantiles=(0.2, 0.5, 0.8))
    whole = constant_loss(y, lengths, w, objective)
    monkeypatch.setattr(sklstm._loss, "_CONSTANT_LOSS_CHUNK", 1)  # one sample a chunk
    assert constant_loss(y, lengths, w, objective) == pytest.approx(whole, rel=1e-13, abs=0)
    Y, tw = _real_terms(y, lengths, w)
    tau = np.array([0.2, 0.5, 0.8])
    r = Y[:, :, None] - np.quantile(Y, tau, axis=0).T
    expected = np.sum(tw * np.maximum(tau * r, (tau - 1) * r).sum(axis=(1, 2))) / tw.sum()
    assert whole == pytest.approx(expected, rel=1e-12, abs=0)
