"""Tests of the forward-only pass and of chunked, cache-free prediction."""

import tracemalloc

import numpy as np
import pytest

from sklstm._lstm import kernel_layers, lstm_forward, lstm_predict
from sklstm._params import ParamLayout

VARIANTS = [
    pytest.param(False, False, id="vanilla"),
    pytest.param(True, False, id="peephole"),
    pytest.param(False, True, id="cifg"),
    pytest.param(True, True, id="peephole-cifg"),
]



def random_layers(rng, n_features, hidden_sizes, peephole, coupled, dtype=np.float64):
    """Layers with random non-zero weights and biases, from a random packed vector."""
    layout = ParamLayout(n_features, list(hidden_sizes), 1, peephole=peephole, coupled=coupled)
    return layout.unpack(rng.normal(scale=0.6, size=layout.size).astype(dtype))[0]


LENGTHS = np.array([9, 3, 1, 9, 5, 2, 8])  # unsorted, with a full and a 1-step sequence


@pytest.mark.parametrize("peephole, coupled", VARIANTS)
@pytest.mark.parametrize("hidden_sizes", [(3,), (4, 2), (2, 3, 2)], ids=["depth1", "depth2", "depth3"])
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("ragged", [False, True])
def test_predict_equals_training_forward(peephole, coupled, hidden_sizes, return_sequences, dtype, ragged):
    """Same outputs as the training pass for every variant, layout and chunking."""
    rng = np.random.default_rng(len(hidden_sizes) + 10 * peephole + 100 * coupled)
    layers = random_layers(rng, 2, hidden_sizes, peephole, coupled, dtype=dtype)
    X = rng.normal(size=(len(LENGTHS), 9, 2)).astype(dtype)
    lengths = LENGTHS if ragged else None
    h0 = [rng.normal(size=(len(X), H)).astype(dtype) for H in hidden_sizes]
    c0 = [rng.normal(size=(len(X), H)).astype(dtype) for H in hidden_sizes]
    for states in [{}, {"h0": h0, "c0": c0}]:
        expected, _ = lstm_forward(X, layers, lengths=lengths, return_sequences=return_sequences, **states)
        for chunk_steps in [None, 1, 2, 4, 50]:
            got = lstm_predict(
                X, layers, lengths=lengths, return_sequences=return_sequences,
                chunk_steps=chunk_steps, **states,
            )
            assert got.dtype == dtype and got.shape == expected.shape
            # The same operations in the same order: equal, not merely close.
            np.testing.assert_array_equal(got, expected)


def test_predict_accepts_prepared_kernels():
    rng = np.random.default_rng(3)
    layers = random_layers(rng, 2, (3, 2), True, False)
    X = rng.normal(size=(4, 5, 2))
    kernels = kernel_layers(layers, X.dtype)
    np.testing.assert_array_equal(lstm_predict(X, kernels), lstm_predict(X, layers))
    np.testing.assert_array_equal(lstm_forward(X, kernels)[0], lstm_predict(X, layers))
    # kernels of another dtype are re-packed, not misused
    X32 = X.astype(np.float32)
    assert lstm_predict(X32, kernels).dtype == np.float32


def test_predict_rejects_bad_input():
    rng = np.random.default_rng(0)
    layers = random_layers(rng, 2, (3,), False, False)
    with pytest.raises(ValueError, match="n_timesteps"):
        lstm_predict(np.zeros((2, 3)), layers)
    with pytest.raises(TypeError, match="float32 or float64"):
        lstm_predict(np.zeros((2, 3, 2), dtype=int), layers)
    with pytest.raises(ValueError, match="expects 2 inputs"):
        lstm_predict(np.zeros((2, 3, 4)), layers)
    with pytest.raises(ValueError, match="lengths"):
        lstm_predict(np.zeros((2, 3, 2)), layers, lengths=[4, 1])


def _peak_bytes(fn):
    tracemalloc.start()
    try:
        fn()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return peak


def test_many_to_one_memory_does_not_grow_with_steps():
    """Many-to-one keeps O(batch x H) state per layer, whatever the number of steps."""
    rng = np.random.default_rng(1)
    layers = random_layers(rng, 3, (16, 16), False, False)
    peaks = {}
    for T in (20, 640):
        X = rng.normal(size=(32, T, 3))
        peaks[T] = _peak_bytes(lambda: lstm_predict(X, layers, chunk_steps=8))
    # The training cache of T=640 would hold 2 layers x 640 steps x ~100 rows x 32.
    assert peaks[640] < 1.2 * peaks[20] + 4096, peaks


def test_many_to_many_keeps_only_the_top_layer_outputs():
    rng = np.random.default_rng(2)
    layers = random_layers(rng, 3, (32, 32, 2), False, False)
    X = rng.normal(size=(16, 400, 3))
    out_bytes = 16 * 400 * 2 * 8
    peak = _peak_bytes(lambda: lstm_predict(X, layers, return_sequences=True, chunk_steps=4))
    # The top states, the padded output array and its transpose copy, plus
    # a few steps of every layer; the cache of the lower 32-unit layers alone
    # would be over 30 times out_bytes.
    layer_states = 3 * 5 * (3 + 1 + 3 * 32) * 16 * 8
    assert peak < 4 * out_bytes + 4 * layer_states, (peak, out_bytes)
