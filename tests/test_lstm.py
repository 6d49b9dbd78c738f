"""Tests of the NumPy LSTM core: exact gradients, variants, ragged batches."""

import itertools
import os
import threading

import numpy as np
import pytest
import threadpoolctl

from numpy.testing import assert_allclose

from sklstm import _kernel
from sklstm._lstm import final_states, gate_blocks, lstm_backward, lstm_forward
from sklstm._params import ParamLayout, init_lstm_layers, init_output_layer

VARIANTS = [
    pytest.param(False, False, id="vanilla"),
    pytest.param(True, False, id="peephole"),
    pytest.param(False, True, id="cifg"),
    pytest.param(True, True, id="peephole-cifg"),
]


def random_layers(rng, n_features, hidden_sizes, peephole, coupled, scale=0.6, dtype=np.float64):
    """Layers with random non-zero weights *and biases* (numpy-ml bug #42)."""
    nb = len(gate_blocks(coupled))
    layers, n_in = [], n_features
    for H in hidden_sizes:
        layer = {
            "W": rng.normal(scale=scale, size=(n_in, nb * H)),
            "R": rng.normal(scale=scale, size=(H, nb * H)),
            "b": rng.normal(scale=scale, size=nb * H),
        }
        if peephole:
            layer["p"] = rng.normal(scale=scale, size=(nb - 1, H))
        layers.append({k: v.astype(dtype) for k, v in layer.items()})
        n_in = H
    return layers


def assert_gradient_close(numeric, analytic, what, rtol=1e-6):
    scale = max(np.abs(numeric).max(), np.abs(analytic).max(), 1e-12)
    err = np.abs(numeric - analytic).max() / scale
    assert err <= rtol, f"{what}: relative error {err:.2e}"
    # Guard against a vacuous pass: the check must see real gradient.
    assert np.abs(numeric).max() > 1e-8, f"{what}: gradient is identically zero"


def check_all_gradients(X, layers, h0, c0, lengths, return_sequences, rng, numerical_gradient):
    out, cache = lstm_forward(
        X, layers, h0=h0, c0=c0, lengths=lengths, return_sequences=return_sequences
    )
    weights = rng.normal(size=out.shape)  # loss = <weights, outputs>

    def loss():
        o, _ = lstm_forward(
            X, layers, h0=h0, c0=c0, lengths=lengths, return_sequences=return_sequences
        )
        return float(np.sum(o * weights))

    grads = lstm_backward(weights, cache)
    for depth, (layer, glayer) in enumerate(zip(layers, grads["layers"])):
        assert set(layer) == set(glayer)
        for name in layer:
            assert glayer[name].shape == layer[name].shape
            assert_gradient_close(
                numerical_gradient(loss, layer[name]), glayer[name], f"layer {depth} {name}"
            )
    num_X = numerical_gradient(loss, X)
    assert_gradient_close(num_X, grads["X"], "X")
    for depth in range(len(layers)):
        assert_gradient_close(numerical_gradient(loss, h0[depth]), grads["h0"][depth], f"h0[{depth}]")
        assert_gradient_close(numerical_gradient(loss, c0[depth]), grads["c0"][depth], f"c0[{depth}]")
    return grads, num_X


def random_problem(rng, B, T, F, hidden_sizes, peephole, coupled):
    layers = random_layers(rng, F, hidden_sizes, peephole, coupled)
    X = rng.normal(size=(B, T, F))
    h0 = [rng.normal(size=(B, H)) for H in hidden_sizes]
    c0 = [rng.normal(size=(B, H)) for H in hidden_sizes]
    return X, layers, h0, c0


@pytest.mark.parametrize("peephole, coupled", VARIANTS)
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
@pytest.mark.parametrize("hidden_sizes", [(3,), (3, 2), (2, 3, 2)], ids=["depth1", "depth2", "depth3"])
def test_gradients_match_finite_differences(
    peephole, coupled, return_sequences, hidden_sizes, numerical_gradient
):
    rng = np.random.default_rng(hash((peephole, coupled, return_sequences, len(hidden_sizes))) % 2**32)
    X, layers, h0, c0 = random_problem(rng, 2, 4, 2, hidden_sizes, peephole, coupled)
    check_all_gradients(X, layers, h0, c0, None, return_sequences, rng, numerical_gradient)


@pytest.mark.parametrize("peephole, coupled", VARIANTS)
@pytest.mark.parametrize(
    "B, T, F, H",
    [(1, 3, 2, 2), (3, 1, 2, 2), (2, 3, 2, 1), (2, 3, 1, 2), (1, 1, 1, 1)],
    ids=["batch1", "step1", "unit1", "feature1", "all1"],
)
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_gradients_edge_shapes(
    peephole, coupled, B, T, F, H, return_sequences, numerical_gradient
):
    rng = np.random.default_rng(B * 1000 + T * 100 + F * 10 + H)
    X, layers, h0, c0 = random_problem(rng, B, T, F, (H, H), peephole, coupled)
    check_all_gradients(X, layers, h0, c0, None, return_sequences, rng, numerical_gradient)


@pytest.mark.parametrize("peephole, coupled", VARIANTS)
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_gradients_variable_length(peephole, coupled, return_sequences, numerical_gradient):
    rng = np.random.default_rng(7)
    X, layers, h0, c0 = random_problem(rng, 4, 5, 2, (3, 2), peephole, coupled)
    lengths = np.array([2, 5, 1, 4])
    _, num_X = check_all_gradients(
        X, layers, h0, c0, lengths, return_sequences, rng, numerical_gradient
    )
    # Padded steps must receive exactly zero gradient (and truly not matter).
    for s, n in enumerate(lengths):
        assert np.all(num_X[s, n:] == 0)


@pytest.mark.parametrize("peephole, coupled", VARIANTS)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_forward_matches_reference_transcription(
    peephole, coupled, return_sequences, reference_forward
):
    rng = np.random.default_rng(3)
    X, layers, h0, c0 = random_problem(rng, 3, 6, 2, (4, 3), peephole, coupled)
    out, _ = lstm_forward(X, layers, h0=h0, c0=c0, return_sequences=return_sequences)
    expected = reference_forward(X, layers, h0, c0, return_sequences)
    np.testing.assert_allclose(out, expected, rtol=1e-12, atol=1e-13)


def test_zero_initial_state_is_default():
    rng = np.random.default_rng(0)
    X, layers, _, _ = random_problem(rng, 2, 3, 2, (3, 2), False, False)
    zeros = [np.zeros((2, 3)), np.zeros((2, 2))]
    np.testing.assert_array_equal(
        lstm_forward(X, layers)[0], lstm_forward(X, layers, h0=zeros, c0=zeros)[0]
    )


@pytest.mark.parametrize("peephole, coupled", VARIANTS)
def test_batched_equals_sequential(peephole, coupled):
    rng = np.random.default_rng(11)
    X, layers, h0, c0 = random_problem(rng, 5, 7, 3, (4, 3), peephole, coupled)
    d_out = rng.normal(size=(5, 7, 3))
    out, cache = lstm_forward(X, layers, h0=h0, c0=c0, return_sequences=True)
    grads = lstm_backward(d_out, cache)
    summed = None
    for s in range(5):
        hs = [h[s : s + 1] for h in h0]
        cs = [c[s : s + 1] for c in c0]
        out_s, cache_s = lstm_forward(X[s : s + 1], layers, h0=hs, c0=cs, return_sequences=True)
        np.testing.assert_allclose(out_s[0], out[s], rtol=1e-12, atol=1e-14)
        g = lstm_backward(d_out[s : s + 1], cache_s)
        np.testing.assert_allclose(g["X"][0], grads["X"][s], rtol=1e-10, atol=1e-13)
        np.testing.assert_allclose(g["h0"][0][0], grads["h0"][0][s], rtol=1e-10, atol=1e-13)
        layer_grads = [{k: v.copy() for k, v in gl.items()} for gl in g["layers"]]
        if summed is None:
            summed = layer_grads
        else:
            for acc, gl in zip(summed, layer_grads):
                for k in acc:
                    acc[k] += gl[k]
    for acc, gl in zip(summed, grads["layers"]):
        for k in acc:
            np.testing.assert_allclose(acc[k], gl[k], rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("peephole, coupled", VARIANTS)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_padded_equals_unpadded(peephole, coupled, return_sequences):
    """A padded batch gives each sequence's own outputs and gradients."""
    rng = np.random.default_rng(5)
    lengths = np.array([3, 6, 1, 6, 4])
    B, T, F = len(lengths), 6, 2
    layers = random_layers(rng, F, (3, 2), peephole, coupled)
    X = rng.normal(size=(B, T, F))
    for s, n in enumerate(lengths):
        X[s, n:] = rng.normal(size=(T - n, F)) * 100  # padding content must not matter
    out, cache = lstm_forward(X, layers, lengths=lengths, return_sequences=return_sequences)
    d_out = rng.normal(size=out.shape)
    grads = lstm_backward(d_out, cache)
    summed = [{k: np.zeros_like(v) for k, v in layer.items()} for layer in layers]
    for s, n in enumerate(lengths):
        out_s, cache_s = lstm_forward(X[s : s + 1, :n], layers, return_sequences=return_sequences)
        if return_sequences:
            np.testing.assert_allclose(out[s, :n], out_s[0], rtol=1e-12, atol=1e-14)
            assert np.all(out[s, n:] == 0)
            d_s = d_out[s : s + 1, :n]
        else:
            np.testing.assert_allclose(out[s], out_s[0], rtol=1e-12, atol=1e-14)
            d_s = d_out[s : s + 1]
        g = lstm_backward(d_s, cache_s)
        np.testing.assert_allclose(grads["X"][s, :n], g["X"][0], rtol=1e-10, atol=1e-13)
        assert np.all(grads["X"][s, n:] == 0)
        for acc, gl in zip(summed, g["layers"]):
            for k in acc:
                acc[k] += gl[k]
    for acc, gl in zip(summed, grads["layers"]):
        for k in acc:
            np.testing.assert_allclose(acc[k], gl[k], rtol=1e-10, atol=1e-12)


def test_full_lengths_equal_no_lengths():
    rng = np.random.default_rng(2)
    X, layers, _, _ = random_problem(rng, 3, 4, 2, (3,), True, False)
    a, _ = lstm_forward(X, layers, return_sequences=True)
    b, _ = lstm_forward(X, layers, lengths=np.full(3, 4), return_sequences=True)
    np.testing.assert_array_equal(a, b)


def test_backward_does_not_mutate_cache():
    rng = np.random.default_rng(4)
    X, layers, h0, c0 = random_problem(rng, 3, 5, 2, (3, 2), True, False)
    out, cache = lstm_forward(X, layers, h0=h0, c0=c0, lengths=np.array([5, 2, 3]))
    d = rng.normal(size=out.shape)
    g1 = lstm_backward(d, cache)
    g2 = lstm_backward(d, cache)
    for a, b in zip(g1["layers"], g2["layers"]):
        for k in a:
            np.testing.assert_array_equal(a[k], b[k])
    np.testing.assert_array_equal(g1["X"], g2["X"])


@pytest.mark.parametrize("peephole, coupled", VARIANTS)
@pytest.mark.parametrize("return_sequences", [False, True])
def test_float32_agrees_with_float64(peephole, coupled, return_sequences):
    rng = np.random.default_rng(9)
    X, layers, _, _ = random_problem(rng, 8, 12, 3, (16, 8), peephole, coupled)
    lengths = np.array([12, 3, 7, 12, 1, 9, 12, 5])
    out64, cache64 = lstm_forward(X, layers, lengths=lengths, return_sequences=return_sequences)
    X32 = X.astype(np.float32)
    layers32 = [{k: v.astype(np.float32) for k, v in layer.items()} for layer in layers]
    out32, cache32 = lstm_forward(X32, layers32, lengths=lengths, return_sequences=return_sequences)
    assert out32.dtype == np.float32
    np.testing.assert_allclose(out32, out64, rtol=1e-4, atol=1e-5)
    d = rng.normal(size=out64.shape)
    g64 = lstm_backward(d, cache64)
    g32 = lstm_backward(d.astype(np.float32), cache32)
    for a, b in zip(g32["layers"], g64["layers"]):
        for k in a:
            assert a[k].dtype == np.float32
            scale = np.abs(b[k]).max()
            np.testing.assert_allclose(a[k], b[k], rtol=1e-4, atol=1e-4 * scale)
    scale = np.abs(g64["X"]).max()
    np.testing.assert_allclose(g32["X"], g64["X"], rtol=1e-4, atol=1e-4 * scale)


def test_long_lag_gradient_reaches_first_step():
    """Adding problem at T = 200: the cell highway carries gradient to step 0."""
    rng = np.random.default_rng(0)
    T, B, H = 200, 8, 16
    X = np.zeros((B, T, 2))
    X[:, :, 0] = rng.uniform(size=(B, T))
    X[:, 0, 1] = 1.0  # the first marked element lies at the very first step
    X[np.arange(B), rng.integers(T // 2, T, size=B), 1] = 1.0
    target = (X[:, :, 0] * X[:, :, 1]).sum(axis=1)
    layers = init_lstm_layers(2, (H,), rng, forget_bias=1.0)
    coef, intercept = init_output_layer(H, 1, rng)
    h, cache = lstm_forward(X, layers)
    residual = (h @ coef + intercept)[:, 0] - target
    d_h = (residual[:, None] * coef.T) / B
    grads = lstm_backward(d_h, cache)
    g0 = np.abs(grads["X"][:, 0, :])
    assert np.all(np.isfinite(grads["X"]))
    assert g0.max() > 1e-12, "gradient vanished before reaching step 0"


def test_matches_pytorch_layout_by_transpose():
    """W, R, b are PyTorch's weight_ih.T, weight_hh.T and the summed biases.

    PyTorch need not be installed: its documented equations (gate order i, f,
    g, o in the rows of ``weight_ih``) are transcribed here on arrays laid
    out as PyTorch stores them.
    """
    rng = np.random.default_rng(1)
    F, H = 3, 4
    weight_ih = rng.normal(size=(4 * H, F))
    weight_hh = rng.normal(size=(4 * H, H))
    bias_ih, bias_hh = rng.normal(size=4 * H), rng.normal(size=4 * H)
    x = rng.normal(size=(2, 5, F))
    h = np.zeros((2, H))
    c = np.zeros((2, H))
    for t in range(5):
        gates = x[:, t] @ weight_ih.T + bias_ih + h @ weight_hh.T + bias_hh
        i, f, g, o = np.split(gates, 4, axis=1)
        i, f, o = (1 / (1 + np.exp(-z)) for z in (i, f, o))
        c = f * c + i * np.tanh(g)
        h = o * np.tanh(c)
    layers = [{"W": weight_ih.T, "R": weight_hh.T, "b": bias_ih + bias_hh}]
    np.testing.assert_allclose(lstm_forward(x, layers)[0], h, rtol=1e-12)


@pytest.mark.parametrize("dtype, atol", [(np.float64, 4.5e-16), (np.float32, 1.2e-7)])
def test_gate_nonlinearities_match_tanh_and_the_logistic_function(dtype, atol):
    # float64 computes both from one exp (see _kernel._activate): it must
    # agree with NumPy's tanh and an independent logistic function to
    # rounding, saturate exactly, propagate NaN and raise no FP flag.
    from scipy.special import expit

    H = 5
    values = np.concatenate([np.linspace(-50, 50, 2001), [0.0, 1e-300, -1e-300, 1e-9,
                                                         1e300, -1e300, 19.5, -20.5]])
    x = np.tile(values.astype(dtype), (4, 1))  # one block g and three sigmoid blocks
    x = np.repeat(x, H, axis=0)
    a = x.copy()
    with np.errstate(all="raise"):
        _kernel._activate(a, H)
        tanh_out = np.empty_like(x[:H])
        _kernel._tanh(x[:H], tanh_out)
    assert a.dtype == dtype and tanh_out.dtype == dtype
    assert_allclose(a[:H], np.tanh(x[:H]), rtol=0, atol=atol)
    assert_allclose(tanh_out, np.tanh(x[:H]), rtol=0, atol=atol)
    # The sigmoid blocks' pre-activations are halved: they give σ(2u).
    assert_allclose(a[H:], expit(2 * x[H:].astype(np.float64)), rtol=0, atol=atol)
    assert np.all(a[:H][:, values > 25] == 1) and np.all(a[:H][:, values < -25] == -1)
    assert np.all(a[H:][:, values > 25] == 1) and np.all(a[H:][:, values < -25] == 0)
    assert np.all(a >= -1) and np.all(a <= 1) and np.all(a[H:] >= 0)
    nan = np.full((2 * H, 3), np.nan, dtype=dtype)
    _kernel._activate(nan, H)
    assert np.all(np.isnan(nan))


def test_sigmoid_gates_do_not_overflow():
    rng = np.random.default_rng(0)
    layers = random_layers(rng, 2, (3,), True, False)
    X = np.full((2, 4, 2), 1e150)
    X[1] *= -1
    with np.errstate(all="raise"):
        out, cache = lstm_forward(X, layers, return_sequences=True)
        grads = lstm_backward(np.ones_like(out), cache)
    assert np.all(np.isfinite(out))
    assert all(np.all(np.isfinite(v)) for v in grads["layers"][0].values())


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(X=np.zeros((2, 3))), "n_samples, n_timesteps, n_features"),
        (dict(X=np.zeros((2, 3, 2), dtype=int)), "float32 or float64"),
        (dict(lengths=np.array([0, 3])), r"lengths must lie in \[1, 3\]"),
        (dict(lengths=np.array([1.5, 3])), "integer array"),
        (dict(lengths=np.array([3])), "integer array of shape"),
        (dict(h0=[np.zeros((3, 3))]), "Initial state of layer 0"),
        (dict(X=np.zeros((0, 3, 2))), "at least one sample and one step"),
    ],
)
def test_forward_rejects_bad_input(kwargs, match):
    rng = np.random.default_rng(0)
    layers = random_layers(rng, 2, (3,), False, False)
    X = kwargs.pop("X", rng.normal(size=(2, 3, 2)))
    with pytest.raises((ValueError, TypeError), match=match):
        lstm_forward(X, layers, **kwargs)


def test_forward_rejects_mismatched_layers():
    rng = np.random.default_rng(0)
    layers = random_layers(rng, 2, (3,), False, False)
    with pytest.raises(ValueError, match=r"layers\[0\] expects 2 inputs, got 5"):
        lstm_forward(np.zeros((1, 2, 5)), layers)
    bad = dict(layers[0], b=np.zeros(5))
    with pytest.raises(ValueError, match="b must have shape"):
        lstm_forward(np.zeros((1, 2, 2)), [bad])


# -- initialisation and packing ------------------------------------------------


@pytest.mark.parametrize("coupled", [False, True])
@pytest.mark.parametrize("peephole", [False, True])
def test_initialisation(coupled, peephole):
    rng = np.random.default_rng(0)
    layers = init_lstm_layers(
        3, (5, 4), rng, peephole=peephole, coupled=coupled, forget_bias=1.0, dtype=np.float32
    )
    blocks = gate_blocks(coupled)
    for layer, (n_in, H) in zip(layers, [(3, 5), (5, 4)]):
        assert all(v.dtype == np.float32 for v in layer.values())
        assert layer["W"].shape == (n_in, len(blocks) * H)
        assert np.abs(layer["W"]).max() <= np.sqrt(6 / (n_in + H))
        for k in range(len(blocks)):
            block = layer["R"][:, k * H : (k + 1) * H].astype(np.float64)
            np.testing.assert_allclose(block.T @ block, np.eye(H), atol=1e-5)
        b = layer["b"].reshape(len(blocks), H)
        if coupled:
            # f = 1 - i: an input-gate bias of -1 gives f = sigmoid(1) at the start.
            np.testing.assert_array_equal(b[blocks.index("i")], -1.0)
            assert np.all(b[[blocks.index("g"), blocks.index("o")]] == 0)
        else:
            np.testing.assert_array_equal(b[blocks.index("f")], 1.0)
            assert np.all(np.delete(b, blocks.index("f"), axis=0) == 0)
        assert ("p" in layer) == peephole


@pytest.mark.parametrize("make_rng", [np.random.default_rng, np.random.RandomState])
def test_initialisation_is_seeded(make_rng):
    a = init_lstm_layers(2, (3,), make_rng(42))
    b = init_lstm_layers(2, (3,), make_rng(42))
    c = init_lstm_layers(2, (3,), make_rng(43))
    np.testing.assert_array_equal(a[0]["W"], b[0]["W"])
    np.testing.assert_array_equal(a[0]["R"], b[0]["R"])
    assert not np.array_equal(a[0]["W"], c[0]["W"])


def test_param_layout_pack_unpack_round_trip():
    rng = np.random.default_rng(0)
    layout = ParamLayout(3, (4, 2), 5, peephole=True, coupled=False)
    layers = random_layers(rng, 3, (4, 2), True, False)
    coef, intercept = rng.normal(size=(2, 5)), rng.normal(size=5)
    theta = layout.pack(layers, coef, intercept)
    expected_size = sum(v.size for layer in layers for v in layer.values()) + coef.size + intercept.size
    assert layout.size == theta.size == expected_size
    u_layers, u_coef, u_intercept = layout.unpack(theta)
    for a, b in zip(u_layers, layers):
        for k in b:
            np.testing.assert_array_equal(a[k], b[k])
    np.testing.assert_array_equal(u_coef, coef)
    # unpack gives views: writing through them writes theta
    u_intercept[:] = 7.0
    assert np.all(theta[-5:] == 7.0)


def test_param_layout_rejects_wrong_shapes():
    layout = ParamLayout(3, (4,), 1)
    layers = init_lstm_layers(3, (4,), np.random.default_rng(0))
    with pytest.raises(ValueError, match=r"coefs_\[0\]\['W'\] must have shape \(3, 16\)"):
        layout.pack([dict(layers[0], W=np.zeros((2, 16)))], np.zeros((4, 1)), np.zeros(1))
    with pytest.raises(ValueError, match="must have the arrays"):
        layout.pack([dict(layers[0], p=np.zeros((3, 4)))], np.zeros((4, 1)), np.zeros(1))
    with pytest.raises(ValueError, match="theta must have shape"):
        layout.unpack(np.zeros(3))


def test_blas_thread_limit_holds_until_the_last_overlapping_caller_leaves(monkeypatch):
    """Thread counts are process-wide: overlapping callers share one limit."""
    from sklstm._blas import _SingleBlasThread

    class FakeBlas:
        def __init__(self):
            self.threads = 2

        def get_num_threads(self):
            return self.threads

        def set_num_threads(self, n):
            self.threads = n

    blas = FakeBlas()
    monkeypatch.setattr(_SingleBlasThread, "_libs", [blas])
    first, second = _SingleBlasThread(), _SingleBlasThread()
    first.__enter__()
    assert blas.threads == 1
    second.__enter__()
    first.__exit__(None, None, None)
    assert blas.threads == 1  # the second caller is still in its time loop
    second.__exit__(None, None, None)
    assert blas.threads == 2


class _InterruptibleBlas:
    """A BLAS library whose ``set_num_threads`` raises KeyboardInterrupt at
    the calls numbered in ``interrupt_after`` (counted over all libraries)
    once it has set the count, and at those in ``interrupt_before`` without
    setting it (a signal delivered before the C call)."""

    calls = 0
    interrupt_after = ()
    interrupt_before = ()

    def __init__(self, threads):
        self.threads = threads

    def get_num_threads(self):
        return self.threads

    def set_num_threads(self, n):
        cls = type(self)
        cls.calls += 1
        if cls.calls in cls.interrupt_before:
            raise KeyboardInterrupt
        self.threads = n
        if cls.calls in cls.interrupt_after:
            raise KeyboardInterrupt


@pytest.fixture
def interruptible_blas(monkeypatch):
    """Two fake libraries on 2 and 4 threads in place of the process's."""
    from sklstm._blas import _SingleBlasThread

    libs = [_InterruptibleBlas(2), _InterruptibleBlas(4)]
    monkeypatch.setattr(_SingleBlasThread, "_libs", libs)
    monkeypatch.setattr(_SingleBlasThread, "_pending", [], raising=False)
    monkeypatch.setattr(_InterruptibleBlas, "calls", 0)

    def interrupt(after=(), before=()):
        monkeypatch.setattr(_InterruptibleBlas, "calls", 0)
        monkeypatch.setattr(_InterruptibleBlas, "interrupt_after", after)
        monkeypatch.setattr(_InterruptibleBlas, "interrupt_before", before)

    return libs, interrupt


def _fit_mid_sized_model():
    """The three passes of a layer whose products run under the one-thread
    limit (2**18 to 2**23 multiply-adds a step), in the main thread."""
    from sklstm._lstm import lstm_predict

    X = np.random.RandomState(0).normal(size=(64, 6, 2))
    layers = init_lstm_layers(2, (64,), np.random.default_rng(0))
    outputs, cache = lstm_forward(X, layers)
    lstm_backward(np.ones_like(outputs), cache)
    lstm_predict(X, layers)


@pytest.mark.parametrize("when", [
    dict(after=(1,)), dict(after=(2,)), dict(after=(3,)), dict(after=(4,)),
    dict(before=(3,)), dict(before=(3, 4)), dict(before=(4, 5)),
])
def test_blas_thread_counts_survive_an_interrupt_at_any_call(interruptible_blas, when):
    """A KeyboardInterrupt delivered as the limit set or restored a count
    (in ``__enter__``, so no ``__exit__`` ran, or within ``__exit__``) left
    the process on one BLAS thread for good: later fits saved the limit as
    the counts to restore. Calls 1-2 limit the two libraries, 3-4 restore
    them, and a restore interrupted before it took effect is repeated."""
    from sklstm._blas import _SingleBlasThread

    libs, interrupt = interruptible_blas
    _fit_mid_sized_model()
    assert _InterruptibleBlas.calls > 0 and [lib.threads for lib in libs] == [2, 4]
    interrupt(**when)
    with pytest.raises(KeyboardInterrupt):
        _fit_mid_sized_model()
    assert [lib.threads for lib in libs] == [2, 4]
    assert _SingleBlasThread._depth == 0 and _SingleBlasThread._pending == []


def test_blas_thread_counts_survive_an_interrupt_as_exit_starts(interruptible_blas, monkeypatch):
    """An interrupt delivered as ``__exit__`` starts, before any of its
    code, left the context open for good."""
    from sklstm._blas import _SingleBlasThread

    libs, _ = interruptible_blas
    original_exit = _SingleBlasThread.__exit__

    def interrupted_exit(self, *exc):
        monkeypatch.setattr(_SingleBlasThread, "__exit__", original_exit)
        raise KeyboardInterrupt

    monkeypatch.setattr(_SingleBlasThread, "__exit__", interrupted_exit)
    with pytest.raises(KeyboardInterrupt):
        _fit_mid_sized_model()
    assert [lib.threads for lib in libs] == [2, 4] and _SingleBlasThread._depth == 0
    _fit_mid_sized_model()  # limits and restores as before
    assert [lib.threads for lib in libs] == [2, 4]


def test_blas_thread_limit_respects_counts_set_after_an_interrupt(interruptible_blas):
    """A count set by the caller after an interrupted fit (``threadpool_limits(1)``,
    say) is the one a later fit saves and restores, never overridden."""
    libs, interrupt = interruptible_blas
    interrupt(after=(3,))
    with pytest.raises(KeyboardInterrupt):
        _fit_mid_sized_model()
    libs[0].threads = 1
    interrupt()
    _fit_mid_sized_model()
    assert [lib.threads for lib in libs] == [1, 4]


@pytest.fixture
def threaded_blas():
    """The process's BLAS libraries, if one runs on several threads (else the
    test is skipped): only then does the limit change a count to observe."""
    blas = threadpoolctl.ThreadpoolController().select(user_api="blas").lib_controllers
    if max((lib.get_num_threads() or 1 for lib in blas), default=1) < 2:
        pytest.skip("BLAS runs on one thread: there is no limit to observe")
    return blas


def test_other_threads_can_limit_blas_after_the_main_thread_was_limited(threaded_blas):
    """threadpoolctl (3.8 and later) lets one thread at a time set the counts
    of a pthreads OpenBLAS: a limit that kept that role for the main thread
    made every other thread's ``threadpool_limits`` do nothing, for the rest
    of the process."""
    _fit_mid_sized_model()  # limits BLAS in the main thread, three times
    seen = []

    def limit_in_a_thread():
        with threadpoolctl.threadpool_limits(1, user_api="blas"):
            seen.append([lib.get_num_threads() for lib in threaded_blas])

    worker = threading.Thread(target=limit_in_a_thread)
    worker.start()
    worker.join()
    assert seen == [[1] * len(threaded_blas)]


def test_a_limit_of_the_callers_own_keeps_its_role_across_sklstm_calls(threaded_blas):
    """The limit gives threadpoolctl's role back as it ends, but not from
    within a ``threadpool_limits`` of the main thread's own, whose limit
    other threads must not undo (threadpoolctl's rule for nested contexts)."""
    seen = []

    def unlimit_in_a_thread():
        with threadpoolctl.threadpool_limits(2, user_api="blas"):
            seen.append([lib.get_num_threads() for lib in threaded_blas])

    with threadpoolctl.threadpool_limits(1, user_api="blas"):
        _fit_mid_sized_model()
        worker = threading.Thread(target=unlimit_in_a_thread)
        worker.start()
        worker.join()
        assert [lib.get_num_threads() for lib in threaded_blas] == [1] * len(threaded_blas)
    assert seen == [[1] * len(threaded_blas)]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_during_a_limit_does_not_wait_for_threadpoolctls_lock(threaded_blas):
    """A child forked while another thread of the parent held threadpoolctl's
    lock (briefly, as it takes or gives back its role) inherits it held: the
    hook that restores the counts in the child must not take it."""
    import time

    from sklstm._blas import _SingleBlasThread

    state = getattr(threadpoolctl.OpenBLASController, "_SHARED_STATE", None)
    if state is None:
        pytest.skip("needs threadpoolctl's role of setting OpenBLAS's counts")
    held, release, pids = threading.Event(), threading.Event(), []

    def hold_the_lock():
        with state.lock:
            held.set()
            release.wait()

    def fork():
        pid = os.fork()
        if pid == 0:
            os._exit(0)  # past the at-fork hooks
        pids.append(pid)

    with _SingleBlasThread():
        holder = threading.Thread(target=hold_the_lock)
        holder.start()
        held.wait()
        forker = threading.Thread(target=fork)
        forker.start()
        forker.join()
        release.set()
        holder.join()
    for _ in range(100):
        done, status = os.waitpid(pids[0], os.WNOHANG)
        if done:
            break
        time.sleep(0.05)
    else:
        os.kill(pids[0], 9)
        os.waitpid(pids[0], 0)
        pytest.fail("the forked child waited for a lock no thread of it will release")
    assert status == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs os.fork")
def test_a_child_forked_during_a_limit_restores_the_counts(interruptible_blas):
    """A child forked (by another thread) while the main thread is limited
    has no main-thread context to end the limit: it kept one BLAS thread,
    and the depth of the limit, for good."""
    from sklstm._blas import _SingleBlasThread

    libs, _ = interruptible_blas
    read_end, write_end = os.pipe()

    def fork():
        pid = os.fork()
        if pid == 0:
            state = [lib.threads for lib in libs] + [_SingleBlasThread._depth]
            os.write(write_end, bytes(state))
            os._exit(0)
        os.waitpid(pid, 0)

    with _SingleBlasThread():
        assert [lib.threads for lib in libs] == [1, 1]
        forker = threading.Thread(target=fork)
        forker.start()
        forker.join()
    assert list(os.read(read_end, 3)) == [2, 4, 0]
    os.close(read_end)
    os.close(write_end)
    assert [lib.threads for lib in libs] == [2, 4]  # the parent's limit ended as before


# --------------------------------------------------------------------------
# Final states passed on (an encoder's h_T, c_T as a decoder's h0, c0)
# --------------------------------------------------------------------------


def _final_state_cases():
    """Every combination of direction, lengths and output mode, each with one
    cell variant, so that each variant meets each level of every other
    factor; and the coupled-gate variants once more bidirectional on
    variable lengths, which no other gradient test checks together.
    """
    variable = [2, 5, 1, 4]
    cases = []
    for k, (bidirectional, lengths, return_sequences) in enumerate(itertools.product(
            [False, True], [None, variable], [False, True])):
        # The uni cases take the variants in order, the bi ones in reverse
        # ((k % 4) ^ 3): each variant once in each direction, with equal
        # lengths once and variable once, many-to-one once and many-to-many once.
        cases.append((VARIANTS[(k % 4) ^ (3 * bidirectional)], lengths, return_sequences,
                      bidirectional))
    cases += [(VARIANTS[2], variable, True, True), (VARIANTS[3], variable, False, True)]
    return [pytest.param(*variant.values, lengths, return_sequences, bidirectional,
                         id="-".join([("bi" if bidirectional else "uni"),
                                      ("variable" if lengths else "equal"),
                                      ("many2many" if return_sequences else "many2one"),
                                      variant.id]))
            for variant, lengths, return_sequences, bidirectional in cases]


@pytest.mark.parametrize("peephole, coupled, lengths, return_sequences, bidirectional",
                         _final_state_cases())
def test_gradients_of_final_states_match_finite_differences(
    peephole, coupled, lengths, return_sequences, bidirectional, numerical_gradient
):
    rng = np.random.default_rng(11)
    hidden = (3, 2)
    per_dir = [H for H in hidden for _ in range(2 if bidirectional else 1)]
    n_in = 2
    layers = []
    for depth, H in enumerate(per_dir):
        layers += random_layers(rng, n_in, (H,), peephole, coupled)
        if not bidirectional or depth % 2 == 1:
            n_in = H * (2 if bidirectional else 1)
    X = rng.normal(size=(4, 5, 2))
    h0 = [rng.normal(size=(4, H)) for H in per_dir]
    c0 = [rng.normal(size=(4, H)) for H in per_dir]
    kwargs = dict(h0=h0, c0=c0, lengths=lengths, return_sequences=return_sequences,
                  bidirectional=bidirectional)
    out, cache = lstm_forward(X, layers, **kwargs)
    h_final, c_final = final_states(cache)
    w_out = rng.normal(size=out.shape)
    w_h = [rng.normal(size=h.shape) for h in h_final]
    w_c = [rng.normal(size=c.shape) for c in c_final]

    def loss():
        o, cache = lstm_forward(X, layers, **kwargs)
        h, c = final_states(cache)
        return float(np.sum(o * w_out) + sum(np.sum(a * w) for a, w in zip(h + c, w_h + w_c)))

    grads = lstm_backward(w_out, cache, d_final_states=(w_h, w_c))
    for depth, (layer, glayer) in enumerate(zip(layers, grads["layers"])):
        for name in layer:
            assert_gradient_close(
                numerical_gradient(loss, layer[name]), glayer[name], f"layer {depth} {name}"
            )
    assert_gradient_close(numerical_gradient(loss, X), grads["X"], "X")
    for depth in range(len(layers)):
        assert_gradient_close(numerical_gradient(loss, h0[depth]), grads["h0"][depth], "h0")
        assert_gradient_close(numerical_gradient(loss, c0[depth]), grads["c0"][depth], "c0")


def test_final_states_are_the_states_after_each_real_step():
    rng = np.random.default_rng(3)
    layers = random_layers(rng, 2, (3, 2), False, False)
    X = rng.normal(size=(3, 4, 2))
    lengths = [4, 2, 3]
    top, cache = lstm_forward(X, layers, lengths=lengths)
    h, c = final_states(cache)
    assert_allclose(h[-1], top)  # many-to-one output is the top layer's final h
    for s, n in enumerate(lengths):
        # The same sequence alone, cut at its length, ends in the same states.
        _, alone = lstm_forward(X[s : s + 1, :n], layers)
        h_alone, c_alone = final_states(alone)
        for depth in range(2):
            assert_allclose(h[depth][s], h_alone[depth][0], rtol=1e-12)
            assert_allclose(c[depth][s], c_alone[depth][0], rtol=1e-12)


@pytest.mark.parametrize("d_final, match", [
    (lambda h, c: (h,), "must be a pair"),
    (lambda h, c: (h, c, c), "must be a pair"),
    (lambda h, c: (h[:1], c), "one gradient per layer dict"),
    (lambda h, c: ([h[0][:1], h[1]], c), r"dh\[0\] must have shape \(2, 3\), got \(1, 3\)"),
    (lambda h, c: (h, [c[0], c[1][:, :1]]), r"dc\[1\] must have shape \(2, 2\), got \(2, 1\)"),
    (lambda h, c: (h, [c[0][0], None]), r"dc\[0\] must have shape"),
])
def test_bad_d_final_states_are_refused_by_name(d_final, match):
    rng = np.random.default_rng(0)
    layers = random_layers(rng, 2, (3, 2), False, False)
    out, cache = lstm_forward(rng.normal(size=(2, 3, 2)), layers, lengths=[3, 2])
    h, c = final_states(cache)
    with pytest.raises(ValueError, match=match):
        lstm_backward(out, cache, d_final_states=d_final(h, c))


def test_bidirectional_final_states_are_each_directions_state_after_the_sequence():
    rng = np.random.default_rng(4)
    forward_dir, backward_dir = (random_layers(rng, 2, (3,), True, False) for _ in range(2))
    X = rng.normal(size=(3, 5, 2))
    lengths = [5, 2, 4]
    _, cache = lstm_forward(X, forward_dir + backward_dir, lengths=lengths,
                            bidirectional=True)
    h, c = final_states(cache)
    for s, n in enumerate(lengths):
        # Forward: the state after step n-1; backward: after reading n-1 .. 0.
        _, ahead = lstm_forward(X[s : s + 1, :n], forward_dir)
        _, behind = lstm_forward(X[s : s + 1, :n][:, ::-1].copy(), backward_dir)
        for direction, alone in enumerate((ahead, behind)):
            h_alone, c_alone = final_states(alone)
            assert_allclose(h[direction][s], h_alone[0][0], rtol=1e-12)
            assert_allclose(c[direction][s], c_alone[0][0], rtol=1e-12)


def test_final_states_and_their_gradients_keep_float32():
    rng = np.random.default_rng(5)
    layers = random_layers(rng, 2, (3,), False, False, dtype=np.float32)
    X = rng.normal(size=(2, 4, 2)).astype(np.float32)
    out, cache = lstm_forward(X, layers)
    h, c = final_states(cache)
    assert h[0].dtype == c[0].dtype == np.float32
    grads = lstm_backward(out, cache, d_final_states=(h, c))
    grads64 = lstm_backward(
        out.astype(np.float64),
        lstm_forward(X.astype(np.float64),
                     [{k: v.astype(np.float64) for k, v in lay.items()} for lay in layers])[1],
        d_final_states=([h[0].astype(np.float64)], [c[0].astype(np.float64)]),
    )
    assert grads["layers"][0]["W"].dtype == np.float32
    assert_allclose(grads["layers"][0]["W"], grads64["layers"][0]["W"], rtol=1e-4, atol=1e-5)


def test_cache_memory_is_reused_only_when_no_array_uses_it(monkeypatch):
    monkeypatch.setattr(_kernel, "_POOL", _kernel._BlockPool())

    def block_span(array):
        block = array.base
        start = block.__array_interface__["data"][0]
        return start, start + block.nbytes

    def inside(array, span):
        return span[0] <= array.__array_interface__["data"][0] < span[1]

    shapes = [(3, 4), (5,)]
    first = _kernel._empty_arrays(np.float64, *shapes)
    first_span = block_span(first[0])
    second = _kernel._empty_arrays(np.float64, *shapes)  # first is alive: new memory
    assert not inside(second[0], first_span)
    kept = first[1][1:]  # a view of a view still holds the block
    del first
    third = _kernel._empty_arrays(np.float64, *shapes)
    assert not inside(third[0], first_span) and not np.shares_memory(third[0], second[0])
    del kept
    fourth = _kernel._empty_arrays(np.float64, (2, 2))  # now free: reused
    assert inside(fourth[0], first_span)
    assert not inside(_kernel._empty_arrays(np.float32, (2,))[0], first_span)  # other dtype


def test_caches_alive_together_stay_intact():
    # Two caches alive at once (an encoder and a decoder) must not share
    # memory; the first one's gradients equal those of a fresh pass.
    rng = np.random.default_rng(0)
    layers = init_lstm_layers(3, (5, 4), rng)
    X1, X2 = rng.normal(size=(6, 7, 3)), rng.normal(size=(6, 7, 3))
    out1, cache1 = lstm_forward(X1, layers)
    out2, cache2 = lstm_forward(X2, layers)
    d_out = rng.normal(size=out1.shape)
    late = lstm_backward(d_out, cache1, input_grad=True)
    fresh = lstm_backward(d_out, lstm_forward(X1, layers)[1], input_grad=True)
    assert_allclose(late["X"], fresh["X"], rtol=0, atol=0)
    for got, want in zip(late["layers"], fresh["layers"]):
        for name in want:
            assert_allclose(got[name], want[name], rtol=0, atol=0)
    assert_allclose(out2, lstm_forward(X2, layers)[0], rtol=0, atol=0)
