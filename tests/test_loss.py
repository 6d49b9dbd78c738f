"""Gradient checks of the packed loss-and-gradient function every solver uses."""

import numpy as np
import pytest

from sklstm._loss import Network, Objective, forward_logits, loss_and_grad, sequence_loss
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
