"""Tests of the forward-only pass and of chunked, cache-free prediction."""

import warnings
from concurrent.futures import ThreadPoolExecutor

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn import config_context
from sklearn.exceptions import ConvergenceWarning

import sklstm._base
import sklstm._inference
from sklstm import LSTMClassifier, LSTMRegressor
from sklstm._inference import chunk_n_samples, dense_output, predict_logits
from sklstm._loss import Network, forward_logits
from sklstm._lstm import (
    final_states, kernel_layers, kernels_of_finite_views, lstm_backward, lstm_forward,
    lstm_predict,
)
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


@pytest.mark.parametrize("gate_variant", [None, "NOAF", "FGR"])
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("ragged", [False, True])
def test_predict_final_states_equal_those_of_the_training_cache(
    gate_variant, bidirectional, ragged
):
    """``return_final_states`` gives :func:`final_states` of the training
    pass, every layer and direction, sorted samples back in their order."""
    rng = np.random.default_rng(5)
    layout = ParamLayout(2, [3, 2], 1, gate_variant=gate_variant, bidirectional=bidirectional)
    layers = layout.unpack(rng.normal(scale=0.6, size=layout.size))[0]
    X = rng.normal(size=(len(LENGTHS), 9, 2))
    lengths = LENGTHS if ragged else None
    options = {"lengths": lengths, "gate_variant": gate_variant, "bidirectional": bidirectional}
    outputs, cache = lstm_forward(X, layers, **options)
    expected_h, expected_c = final_states(cache)
    for chunk_steps in [None, 1, 4]:
        got, (h, c) = lstm_predict(X, layers, chunk_steps=chunk_steps, return_final_states=True,
                                   **options)
        np.testing.assert_array_equal(got, outputs)
        assert len(h) == len(c) == len(layers)
        for got_state, expected in zip(h + c, expected_h + expected_c):
            np.testing.assert_array_equal(got_state, expected)
        # New arrays: another pass, which reuses the kernel's freed blocks,
        # leaves them as they were.
        kept = [state.copy() for state in h + c]
        lstm_predict(2 * X, layers, chunk_steps=chunk_steps, **options)
        for state, copy in zip(h + c, kept):
            np.testing.assert_array_equal(state, copy)


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


@pytest.mark.parametrize("gate_variant", [None, "FGR"])
def test_kernels_of_finite_views_equal_checked_kernels(gate_variant):
    """The training pass's unchecked kernels give the checked pass's outputs
    and gradients; a cast that overflows float32 is still refused."""
    rng = np.random.default_rng(4)
    layout = ParamLayout(2, [3, 2], 1, peephole=gate_variant is None, gate_variant=gate_variant,
                         bidirectional=True)
    theta = rng.normal(scale=0.6, size=layout.size)
    layers = layout.unpack(theta)[0]
    X = rng.normal(size=(len(LENGTHS), 9, 2))
    runs = {
        name: lstm_forward(X, given, lengths=LENGTHS, return_sequences=True,
                           gate_variant=gate_variant, bidirectional=True)
        for name, given in [
            ("checked", layers),
            ("trusted", kernels_of_finite_views(layers, X.dtype, gate_variant)),
        ]
    }
    np.testing.assert_array_equal(runs["trusted"][0], runs["checked"][0])
    d_out = rng.normal(size=runs["checked"][0].shape)
    grads = {name: lstm_backward(d_out, cache) for name, (_, cache) in runs.items()}
    for trusted, checked in zip(grads["trusted"]["layers"], grads["checked"]["layers"]):
        assert trusted.keys() == checked.keys()
        for key in checked:
            np.testing.assert_array_equal(trusted[key], checked[key])
    np.testing.assert_array_equal(grads["trusted"]["X"], grads["checked"]["X"])
    theta[0] = 1e39  # W of the first layer: finite in float64, beyond float32's range
    with pytest.raises(ValueError, match=r"layers\[0\]\['W'\] .* row 0, column 0.* \(in float32"):
        kernels_of_finite_views(layout.unpack(theta)[0], np.float32, gate_variant)


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


def test_many_to_one_memory_does_not_grow_with_steps(peak_bytes):
    """Many-to-one keeps O(batch x H) state per layer, whatever the number of steps."""
    rng = np.random.default_rng(1)
    layers = random_layers(rng, 3, (16, 16), False, False)
    peaks = {}
    # Both above 8,192 values: NumPy 1's sums buffer that many (64 kB) of X.
    for T in (100, 1000):
        X = rng.normal(size=(32, T, 3))
        peaks[T] = peak_bytes(lambda: lstm_predict(X, layers, chunk_steps=8))
    # The training cache of T=1000 would hold 2 layers x 1000 steps x ~100 rows x 32.
    assert peaks[1000] < 1.2 * peaks[100] + 4096, peaks


def test_many_to_many_keeps_only_the_top_layer_outputs(peak_bytes):
    rng = np.random.default_rng(2)
    layers = random_layers(rng, 3, (32, 32, 2), False, False)
    X = rng.normal(size=(16, 400, 3))
    out_bytes = 16 * 400 * 2 * 8
    peak = peak_bytes(lambda: lstm_predict(X, layers, return_sequences=True, chunk_steps=4))
    # The top states, the padded output array and its transpose copy, plus
    # a few steps of every layer; the cache of the lower 32-unit layers alone
    # would be over 30 times out_bytes.
    layer_states = 3 * 5 * (3 + 1 + 3 * 32) * 16 * 8
    assert peak < 4 * out_bytes + 4 * layer_states, (peak, out_bytes)


def _network(rng, peephole, coupled, return_sequences, dtype, n_outputs=2):
    hidden_sizes = (4, 3)
    layout = ParamLayout(2, list(hidden_sizes), n_outputs, peephole=peephole, coupled=coupled)
    theta = rng.normal(scale=0.5, size=layout.size).astype(dtype)
    return theta, Network(layout, return_sequences)


@pytest.mark.parametrize("peephole, coupled", VARIANTS)
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_chunked_logits_equal_forward_logits(peephole, coupled, return_sequences, dtype):
    rng = np.random.default_rng(7)
    theta, spec = _network(rng, peephole, coupled, return_sequences, dtype)
    X = rng.normal(size=(len(LENGTHS), 9, 2)).astype(dtype)
    for lengths in (None, LENGTHS):
        expected = forward_logits(theta, X, lengths, spec)[0]
        # one chunk: the same products, exactly; chunks of a few samples, and
        # of the fewest: to rounding (BLAS may sum fewer rows in another order)
        got = predict_logits(theta, X, lengths, spec)
        assert got.dtype == expected.dtype
        np.testing.assert_array_equal(got, expected)
        for working_memory in (1e-3, 1e-9):
            got = predict_logits(theta, X, lengths, spec, working_memory=working_memory)
            assert got.dtype == expected.dtype
            _assert_rounding(got, expected)


def _assert_rounding(got, expected):
    """Equal to the rounding of a few dozen operations in ``expected``'s dtype."""
    rtol = 1e-12 if expected.dtype == np.float64 else 1e-5
    np.testing.assert_allclose(got, expected, rtol=rtol, atol=rtol * np.abs(expected).max())


@pytest.mark.parametrize("n_outputs", [1, 2, 3, 26])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_each_rows_output_layer_logits_do_not_depend_on_its_batch(n_outputs, dtype):
    # BLAS summed a row of ``hidden @ coef`` in an order that depended on
    # the number of rows and the row's place (with one output in older
    # OpenBLAS, with any number in 0.3.31): the same sequence predicted in
    # another chunk or batch differed in its last bits.
    rng = np.random.default_rng(11)
    hidden = rng.normal(size=(103, 32)).astype(dtype)
    coef, intercept = rng.normal(size=(32, n_outputs)).astype(dtype), np.zeros(n_outputs, dtype)
    expected = dense_output(hidden, coef, intercept)
    for size in (1, 2, 3, 4, 7, 16, 33, 64):
        got = np.concatenate([dense_output(hidden[k:k + size], coef, intercept)
                              for k in range(0, len(hidden), size)])
        np.testing.assert_array_equal(got, expected)
    per_step = hidden.reshape(1, 103, 32)  # (N, T, H) of many-to-many logits
    np.testing.assert_array_equal(dense_output(per_step, coef, intercept)[0], expected)


@pytest.mark.parametrize("n_outputs", [1, 2, 3])
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_each_rows_logits_do_not_depend_on_its_batch_beyond_rounding(
        n_outputs, return_sequences, dtype):
    rng = np.random.default_rng(11)
    theta, spec = _network(rng, False, False, return_sequences, dtype, n_outputs=n_outputs)
    X = rng.normal(size=(103, 6, 2)).astype(dtype)
    expected = forward_logits(theta, X, None, spec)[0]
    for size in (1, 3, 4, 7):
        got = np.concatenate([predict_logits(theta, X[k:k + size], None, spec)
                              for k in range(0, len(X), size)])
        _assert_rounding(got, expected)
    for working_memory in (1e-3, 1e-9):
        _assert_rounding(
            predict_logits(theta, X, None, spec, working_memory=working_memory), expected)


def test_single_output_estimators_predict_the_same_in_any_batches():
    # To rounding: BLAS may sum the LSTM layers' products of fewer rows in
    # another order (the output layer's rows are exact, above).
    X = np.random.RandomState(0).normal(size=(200, 20, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        reg = LSTMRegressor((8,), patch_length=1, max_iter=3, random_state=0)
        clf = LSTMClassifier((8,), patch_length=1, max_iter=3, random_state=0)
        reg.fit(X, X[:, -1, 0])
        clf.fit(X, X[:, -1, 0] > 0)
    for predict in (reg.predict, clf.predict_proba):
        whole = predict(X)
        _assert_rounding(np.concatenate([predict(X[k:k + 3]) for k in range(0, 200, 3)]), whole)
        with config_context(working_memory=0.01):
            _assert_rounding(predict(X), whole)


def test_chunks_follow_sklearn_working_memory(monkeypatch):
    rng = np.random.default_rng(8)
    theta, spec = _network(rng, False, False, True, np.float64)
    X = rng.normal(size=(50, 100, 2))
    seen = []

    def recording(X, *args, **kwargs):
        seen.append(X.shape[0])
        return lstm_predict(X, *args, **kwargs)

    monkeypatch.setattr(sklstm._inference, "lstm_predict", recording)
    predict_logits(theta, X, None, spec)
    assert seen == [50]  # the default 1 GiB holds everything
    seen.clear()
    with config_context(working_memory=0.03):  # ~30 KiB: a few samples per chunk
        z = predict_logits(theta, X, None, spec)
    assert 1 < len(seen) < 50 and sum(seen) == 50
    np.testing.assert_array_equal(z, forward_logits(theta, X, None, spec)[0])


def test_chunks_cover_every_sample_once_with_at_least_two():
    from sklstm._inference import _chunks

    assert _chunks(5, 2) == [slice(0, 2), slice(2, 5)]
    assert _chunks(6, 2) == [slice(0, 2), slice(2, 4), slice(4, 6)]
    assert _chunks(1, 1) == [slice(0, 1)]
    assert _chunks(7, 100) == [slice(0, 7)]


def test_chunk_n_samples():
    assert chunk_n_samples(2**20, 100, working_memory=10) == 10
    assert chunk_n_samples(2**20, 5, working_memory=10) == 5
    assert chunk_n_samples(2**30, 5, working_memory=1) == 2  # never zero
    assert chunk_n_samples(2**30, 1, working_memory=1) == 1
    with config_context(working_memory=3):
        assert chunk_n_samples(2**20, 100) == 3
    # Budgets whose bytes overflow the number's type (NaN samples before).
    for budget in (1e308, np.float32(3e38), 10**400):
        assert chunk_n_samples(2**20, 100, working_memory=budget) == 100
    assert chunk_n_samples(2**20, 100, working_memory=np.float16(64)) == 64


def _today(self, theta, X, lengths, transform=None):
    """Prediction logits through the training forward pass, as before chunking
    (and before the outputs were post-processed chunk by chunk)."""
    z = forward_logits(theta, X, lengths, self)[0]
    return z if transform is None else transform(z)


def _ragged(rng, n=9, F=2, T=7):
    """Ragged sequences, as a list and as the equivalent NaN-padded array."""
    lengths = rng.integers(1, T + 1, size=n)
    lengths[0] = T
    X = rng.normal(size=(n, T, F))
    X[np.arange(T)[None, :] >= lengths[:, None]] = np.nan
    return [X[k, :m] for k, m in enumerate(lengths)], X


def _fitted(Estimator, seqs, return_sequences, dtype=np.float64):
    if return_sequences:
        y = [np.cumsum(s[:, 0]) for s in seqs]
    else:
        y = np.array([s[:, 0].sum() for s in seqs])
    if Estimator is LSTMClassifier:
        y = [t > 0 for t in y] if return_sequences else y > 0
    X = [s.astype(dtype) for s in seqs]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Estimator((4, 3), return_sequences=return_sequences, peephole=True,
                         max_iter=3, random_state=0).fit(X, y), y


def _outputs(model, X, y):
    out = [model.predict(X), model.score(X, y)]
    if isinstance(model, LSTMClassifier):
        out.append(model.predict_proba(X))
    return out


def _assert_same_outputs(a, b, rtol=0.0):
    """Equal outputs; to ``rtol`` where BLAS may sum other chunks' products in
    another order (sklstm._inference's module notes)."""
    def assert_close(u, v):
        if np.issubdtype(np.asarray(u).dtype, np.inexact):
            np.testing.assert_allclose(u, v, rtol=rtol, atol=0)
        else:  # labels
            np.testing.assert_array_equal(u, v)

    for u, v in zip(a, b, strict=True):
        for p, q in zip(u, v, strict=True) if isinstance(u, list) else [(u, v)]:
            assert_close(p, q)


@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_estimator_predictions_unchanged(Estimator, return_sequences, monkeypatch):
    """predict, predict_proba and score give what the training pass gives,
    for ragged lists and NaN-padded arrays, in one chunk or many."""
    rng = np.random.default_rng(11)
    seqs, padded = _ragged(rng)
    model, y = _fitted(Estimator, seqs, return_sequences)
    chunked = {}
    for X in (seqs, padded):
        chunked["one"] = _outputs(model, X, y)
        with config_context(working_memory=1e-6):  # the smallest chunks
            chunked["many"] = _outputs(model, X, y)
        with monkeypatch.context() as m:
            m.setattr(Network, "predict", _today)
            expected = _outputs(model, X, y)
        _assert_same_outputs(chunked["one"], expected)
        _assert_same_outputs(chunked["many"], expected, rtol=1e-14)


def test_concurrent_predictions_are_thread_safe():
    rng = np.random.default_rng(12)
    seqs, _ = _ragged(rng, n=40)
    model, _ = _fitted(LSTMClassifier, seqs, True)
    expected = model.predict_proba(seqs)

    def predict(k):
        # config_context is thread-local: each thread chunks differently.
        with config_context(working_memory=[1e-6, 1e-3, 1024][k % 3]):
            return model.predict_proba(seqs)

    with ThreadPoolExecutor(max_workers=6) as pool:
        results = list(pool.map(predict, range(24)))
    for got in results:
        np.testing.assert_array_equal(got, expected)


def test_float32_per_step_predictions_stay_float32():
    rng = np.random.default_rng(13)
    seqs, _ = _ragged(rng)
    model, _ = _fitted(LSTMRegressor, seqs, True, dtype=np.float32)
    X32 = [s.astype(np.float32) for s in seqs]
    pred = model.predict(X32)
    assert pred.dtype == np.float32
    padded_steps = np.arange(pred.shape[1])[None, :] >= np.array([len(s) for s in seqs])[:, None]
    assert np.isnan(pred[padded_steps]).all() and np.isfinite(pred[~padded_steps]).all()
    clf, _ = _fitted(LSTMClassifier, seqs, True, dtype=np.float32)
    assert clf.predict_proba(X32).dtype == np.float32


def test_outputs_are_post_processed_chunk_by_chunk(peak_bytes):
    # predict computed the softmax of every sample's 50 logits, or all 19
    # quantiles, before keeping one label or value per sample: 30 times X's
    # size at a working_memory of 4 MiB.
    rng = np.random.default_rng(15)
    X_train = rng.normal(size=(64, 5, 1))
    levels = tuple(np.round(np.linspace(0.05, 0.95, 19), 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        quantile = LSTMRegressor((4,), loss="quantile", quantiles=levels, max_iter=1,
                                 random_state=0).fit(X_train, X_train[:, -1, 0])
        classifier = LSTMClassifier((4,), max_iter=1, random_state=0).fit(
            X_train, np.arange(64) % 50)
    X = rng.normal(size=(100_000, 5, 1))  # 3.8 MiB; the logits of 50 classes, 38 MiB
    with config_context(working_memory=4):
        for predict in (quantile.predict, classifier.predict):
            assert peak_bytes(lambda: predict(X)) < 4 * 2**20 + 3 * X.nbytes
        # Each chunk's post-processing is the whole batch's, row by row.
        head = X[:500]
        assert_array_equal(classifier.predict(head),
                           classifier.classes_[classifier.predict_proba(head).argmax(axis=1)])
        middle = int(np.flatnonzero(np.isclose(quantile.quantiles_, 0.5))[0])
        assert_array_equal(quantile.predict(head), quantile.predict_quantiles(head)[:, middle])


def _layouts_of(X):
    """(name, input, data_format) of X's sequences in the containers predict
    reads, some of which reading copies (padding, a transposition)."""
    padded = X.copy()
    padded[::2, -3:] = np.nan
    return [
        ("3-D", X, None), ("NaN-padded", padded, None), ("list", list(X), None),
        ("channels first", np.ascontiguousarray(X.transpose(0, 2, 1)), "channels_first"),
        ("strided view", X[::1, ::1], None), ("float32", X.astype(np.float32), None),
    ]


def test_a_copy_made_by_reading_x_is_standardised_in_place(peak_bytes):
    # Standardising wrote a new array of X's size beside the copy that
    # reading a padded array, a list or channels-first X had made: 2.1
    # times X's size where a plain array took 1.2.
    rng = np.random.default_rng(16)
    X = rng.normal(size=(20_000, 20, 2))  # 6.1 MiB
    for name, given, data_format in _layouts_of(X):
        if name in ("strided view", "float32"):
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LSTMRegressor((4,), patch_length=1, max_iter=1, random_state=0,
                                  data_format=data_format).fit(given[:32], X[:32, -1, 0])
        with config_context(working_memory=2):
            peak = peak_bytes(lambda: model.predict(given))
        assert peak < 2 * 2**20 + 1.5 * X.nbytes, name


@pytest.mark.parametrize("ragged", [False, True])
def test_patches_that_need_zero_steps_are_made_a_chunk_at_a_time(ragged, peak_bytes):
    # With patch_length="auto" the steps are rarely a multiple of a patch:
    # the zero-completed patches of all of X were a second copy beside the
    # standardised one, 2.1 times X's size where whole patches took 1.1.
    rng = np.random.default_rng(18)
    X = rng.normal(size=(40_000, 20, 2))  # 12.2 MiB; patches of 3 steps need 1 zero step
    if ragged:
        X[::3, -4:] = np.nan
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMRegressor((4,), patch_length=3, max_iter=1, random_state=0).fit(
            X[:64], rng.normal(size=64))
    with config_context(working_memory=2):
        peak = peak_bytes(lambda: model.predict(X))
    assert peak < 2 * 2**20 + 1.5 * X.nbytes
    with config_context(working_memory=0.01):  # chunks of a few dozen samples
        chunked = model.predict(X[:300])
    # The chunks' patches are the whole batch's, rows for rows.
    network, theta = model._check_fitted_state()
    whole = sklstm._base.BaseLSTM._standardised(
        model._convert_X(X[:300], reset=False)[0], model.input_mean_, model.input_scale_,
        theta.dtype)
    patches = model._patched(whole, model.patch_length_, model._patch_alignment)
    expected = network.predict(theta, patches.values, patches.lengths)[:, 0]
    _assert_rounding(chunked, model.target_mean_[0] + model.target_scale_[0] * expected)


def test_prediction_leaves_every_container_of_x_unchanged():
    rng = np.random.default_rng(17)
    X = rng.normal(size=(30, 6, 2))
    for name, given, data_format in _layouts_of(X):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LSTMRegressor((4,), patch_length=1, max_iter=1, random_state=0,
                                  data_format=data_format).fit(given, X[:, -1, 0])
        kept = [np.array(a, copy=True) for a in (given if isinstance(given, list) else [given])]
        first = model.predict(given)
        after = given if isinstance(given, list) else [given]
        for before, now in zip(kept, after):
            assert_array_equal(now, before, err_msg=name)
        assert_array_equal(model.predict(given), first, err_msg=name)


@pytest.mark.parametrize("pass_states", [False, True])
def test_encoder_decoder_predicts_within_working_memory(pass_states, peak_bytes):
    """The encoder-decoder ran every sample through its training forward at
    once: its peak memory grew with the samples (60 times X's size), beyond
    any ``working_memory``, in predict and in the fit's first pass."""
    from sklstm import LSTMEncoderDecoderRegressor

    rng = np.random.default_rng(14)
    X, y = rng.normal(size=(40, 30, 2)), rng.normal(size=(40, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMEncoderDecoderRegressor(
            (16,), horizon=2, n_future_channels=1, max_iter=1, random_state=0,
            decoder_state="encoder" if pass_states else "zeros",
        ).fit(X, y)
    network, theta = model._check_fitted_state()
    X_large = rng.normal(size=(4000, 30, 2))  # about 1 MiB
    expected = network.forward(theta, X_large, None)[0]  # every sample at once
    whole = peak_bytes(lambda: network.forward(theta, X_large, None))
    with config_context(working_memory=2):
        peak = peak_bytes(lambda: model.predict(X_large))
        z = network.predict(theta, X_large, None)
    assert peak < 2 * 2**20 + 4 * X_large.nbytes < whole / 4
    _assert_rounding(z, expected)
    with config_context(working_memory=2):
        _assert_rounding(model.predict(X_large)[:40], model.predict(X_large[:40]))


@pytest.mark.parametrize("working_memory, exc, match", [
    (float("nan"), ValueError, r"scikit-learn's working_memory setting is NaN"),
    ("8", TypeError, r"working_memory setting must be a number of MiB, got '8'"),
    (True, TypeError, r"working_memory setting must be a number of MiB, got True"),
])
def test_a_working_memory_setting_that_is_no_number_is_named(working_memory, exc, match):
    # set_config takes any value: NaN and inf failed with "cannot convert
    # float NaN to integer", text with an unsupported operand for //.
    X = np.random.RandomState(0).normal(size=(20, 5, 1))
    model = LSTMRegressor((2,), max_iter=1).fit(X, X[:, 0, 0])
    with config_context(working_memory=working_memory):
        with pytest.raises(exc, match=match):
            model.predict(X)
        with pytest.raises(exc, match=match):
            LSTMRegressor((2,), solver="lbfgs", max_iter=1).fit(X, X[:, 0, 0])


def test_an_unbounded_working_memory_is_one_chunk():
    assert chunk_n_samples(10**6, 50, float("inf")) == 50
    assert chunk_n_samples(10**6, 50, 10**400) == 50  # beyond float: OverflowError in isnan
    assert chunk_n_samples(10**6, 50, -float("inf")) == 2  # no budget: two at a time
    X = np.random.RandomState(0).normal(size=(20, 5, 1))
    model = LSTMRegressor((2,), max_iter=1).fit(X, X[:, 0, 0])
    with config_context(working_memory=float("inf")):
        unbounded = model.predict(X)
    with config_context(working_memory=1e9):  # room for all 20 sequences
        assert_array_equal(model.predict(X), unbounded)
