"""Bidirectional stacks in the core: PyTorch's layout and conventions, exact gradients."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from lstm_reference import check_core_gradients, reference_forward, sigmoid

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm._lstm import lstm_forward, lstm_predict
from sklstm._params import init_lstm_layers, layer_shapes

VARIANTS = [None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"]
LENGTHS = np.array([5, 2, 4, 1])


def random_layers(rng, F, hidden_sizes, variant=None, peephole=True, coupled=False, scale=0.6):
    shapes = layer_shapes(F, hidden_sizes, peephole=peephole, coupled=coupled,
                          gate_variant=variant, bidirectional=True)
    return [{k: rng.normal(scale=scale, size=s) for k, s in d.items()} for d in shapes]


def problem(seed, hidden_sizes=(3, 2), variant=None, B=4, T=5, F=2, **kwargs):
    rng = np.random.default_rng(seed)
    layers = random_layers(rng, F, hidden_sizes, variant, **kwargs)
    X = rng.normal(size=(B, T, F))
    h0 = [rng.normal(size=(B, d["R"].shape[0])) for d in layers]
    c0 = [rng.normal(size=(B, d["R"].shape[0])) for d in layers]
    return rng, X, layers, h0, c0


@pytest.mark.parametrize("variant", VARIANTS, ids=str)
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_matches_independent_transcription(variant, return_sequences):
    _, X, layers, h0, c0 = problem(1, variant=variant)
    kwargs = dict(h0=h0, c0=c0, lengths=LENGTHS, return_sequences=return_sequences)
    out, _ = lstm_forward(X, layers, gate_variant=variant, bidirectional=True, **kwargs)
    ref = reference_forward(X, layers, variant=variant, bidirectional=True, **kwargs)
    assert out.shape == ((4, 5, 4) if return_sequences else (4, 4))  # 2H of the top layer
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    # The forward-only pass gives the same outputs, for every variant.
    pred = lstm_predict(X, layers, gate_variant=variant, bidirectional=True, **kwargs)
    np.testing.assert_array_equal(pred, out)


@pytest.mark.parametrize("coupled", [False, True], ids=["", "cifg"])
@pytest.mark.parametrize("peephole", [False, True], ids=["", "peephole"])
def test_coupled_and_peephole_match_transcription(coupled, peephole):
    _, X, layers, _, _ = problem(2, hidden_sizes=(2, 3, 2), coupled=coupled, peephole=peephole)
    out, _ = lstm_forward(X, layers, lengths=LENGTHS, bidirectional=True, return_sequences=True)
    ref = reference_forward(X, layers, lengths=LENGTHS, coupled=coupled, bidirectional=True,
                            return_sequences=True)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize(
    "variant, return_sequences",
    # The directions' wiring is the same for every variant (each variant's
    # own gradients are checked in test_variants.py): both output modes for
    # the plain cell, and the variants with extra arrays or absent blocks.
    [(None, False), (None, True), ("FGR", False), ("NOG", True), ("NOAF", True)],
)
def test_gradients_match_finite_differences(variant, return_sequences):
    rng, X, layers, h0, c0 = problem(3 + VARIANTS.index(variant), hidden_sizes=(2, 2),
                                     variant=variant, B=3, T=4)
    check_core_gradients(X, layers, h0, c0, rng, lengths=np.array([2, 4, 3]),
                         gate_variant=variant, bidirectional=True,
                         return_sequences=return_sequences)


def test_many_to_one_follows_pytorch_convention():
    """Forward state at each sequence's last real step, backward state after step 0."""
    _, X, layers, _, _ = problem(4)
    seq, _ = lstm_forward(X, layers, lengths=LENGTHS, bidirectional=True, return_sequences=True)
    last, _ = lstm_forward(X, layers, lengths=LENGTHS, bidirectional=True)
    H = 2
    for s, n in enumerate(LENGTHS):
        np.testing.assert_array_equal(last[s, :H], seq[s, n - 1, :H])
        np.testing.assert_array_equal(last[s, H:], seq[s, 0, H:])


def test_backward_direction_starts_at_last_real_step():
    """The padding's values never reach the outputs: each sequence alone gives the same."""
    rng, X, layers, _, _ = problem(5)
    out, _ = lstm_forward(X, layers, lengths=LENGTHS, bidirectional=True, return_sequences=True)
    X2 = X.copy()
    for s, n in enumerate(LENGTHS):
        X2[s, n:] = rng.normal(scale=100, size=X2[s, n:].shape)
        alone, _ = lstm_forward(X[s : s + 1, :n], layers, bidirectional=True,
                                return_sequences=True)
        np.testing.assert_allclose(out[s, :n], alone[0], rtol=1e-13, atol=1e-15)
        assert np.all(out[s, n:] == 0)
    out2, _ = lstm_forward(X2, layers, lengths=LENGTHS, bidirectional=True, return_sequences=True)
    np.testing.assert_array_equal(out2, out)


def test_layers_must_come_in_direction_pairs():
    rng = np.random.default_rng(0)
    layers = init_lstm_layers(2, (3,), rng)
    with pytest.raises(ValueError, match="even number of layer dicts"):
        lstm_forward(np.zeros((1, 2, 2)), layers, bidirectional=True)
    two = init_lstm_layers(2, (3, 3), rng, bidirectional=True)
    assert [d["W"].shape[0] for d in two] == [2, 2, 6, 6]  # layer 1 reads [h→; h←]
    with pytest.raises(ValueError, match=r"layers\[2\] expects 3 inputs, got 6"):
        lstm_forward(np.zeros((1, 2, 2)), two[:2] + init_lstm_layers(3, (3,), rng) * 2,
                     bidirectional=True)


def to_pytorch(layers, num_layers):
    """PyTorch's state_dict names of a bidirectional nn.LSTM for ``layers``.

    ``layers[2k]`` is layer k forward, ``layers[2k + 1]`` its ``_reverse``:
    ``weight_ih = W.T``, ``weight_hh = R.T``; ``b`` may split in any way
    between ``bias_ih`` and ``bias_hh`` (their sum is what counts).
    """
    state = {}
    for k in range(num_layers):
        for j, suffix in ((2 * k, ""), (2 * k + 1, "_reverse")):
            d = layers[j]
            state[f"weight_ih_l{k}{suffix}"] = d["W"].T.copy()
            state[f"weight_hh_l{k}{suffix}"] = d["R"].T.copy()
            state[f"bias_ih_l{k}{suffix}"] = 0.25 * d["b"]
            state[f"bias_hh_l{k}{suffix}"] = 0.75 * d["b"]
    return state


def pytorch_equations(X, lengths, state, num_layers):
    """PyTorch's documented bidirectional LSTM, transcribed on its own layout.

    Returns the padded output sequence (B, T, 2H) and h_n (2 num_layers, B, H).
    """
    B, T, _ = X.shape
    h_n = []
    inp = X
    for k in range(num_layers):
        outs = []
        for suffix in ("", "_reverse"):
            w_ih, w_hh = state[f"weight_ih_l{k}{suffix}"], state[f"weight_hh_l{k}{suffix}"]
            bias = state[f"bias_ih_l{k}{suffix}"] + state[f"bias_hh_l{k}{suffix}"]
            H = w_hh.shape[1]
            seq_out, last = np.zeros((B, T, H)), np.zeros((B, H))
            for s in range(B):
                h, c = np.zeros(H), np.zeros(H)
                steps = range(lengths[s]) if suffix == "" else range(lengths[s] - 1, -1, -1)
                for t in steps:
                    i, f, g, o = np.split(w_ih @ inp[s, t] + w_hh @ h + bias, 4)
                    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
                    h = sigmoid(o) * np.tanh(c)
                    seq_out[s, t] = h
                last[s] = h
            outs.append(seq_out)
            h_n.append(last)
        inp = np.concatenate(outs, axis=2)
    return inp, np.array(h_n)


def test_pytorch_layout_by_transcription():
    """Without torch: PyTorch's documented equations on its layout equal sklstm's."""
    rng = np.random.default_rng(6)
    layers = random_layers(rng, 3, (4, 4), peephole=False)
    X = rng.normal(size=(4, 5, 3))
    out_pt, h_n = pytorch_equations(X, LENGTHS, to_pytorch(layers, 2), 2)
    seq, _ = lstm_forward(X, layers, lengths=LENGTHS, bidirectional=True, return_sequences=True)
    last, _ = lstm_forward(X, layers, lengths=LENGTHS, bidirectional=True)
    np.testing.assert_allclose(seq, out_pt, rtol=1e-12, atol=1e-13)
    np.testing.assert_allclose(last, np.concatenate([h_n[-2], h_n[-1]], axis=1), rtol=1e-12)


def test_loaded_pytorch_model_matches():
    """A torch.nn.LSTM(bidirectional=True) with packed variable lengths, weights loaded."""
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(7)
    layers = random_layers(rng, 3, (4, 4), peephole=False)
    X = rng.normal(size=(4, 5, 3))
    net = torch.nn.LSTM(3, 4, num_layers=2, bidirectional=True, batch_first=True).double()
    net.load_state_dict({k: torch.from_numpy(v) for k, v in to_pytorch(layers, 2).items()})
    packed = torch.nn.utils.rnn.pack_padded_sequence(
        torch.from_numpy(X), torch.from_numpy(LENGTHS), batch_first=True, enforce_sorted=False
    )
    with torch.no_grad():
        out, (h_n, _) = net(packed)
    out, _ = torch.nn.utils.rnn.pad_packed_sequence(out, batch_first=True, total_length=5)
    out, h_n = out.numpy(), h_n.numpy()
    # The independent transcription of PyTorch's equations agrees with torch itself ...
    ref_out, ref_h_n = pytorch_equations(X, LENGTHS, to_pytorch(layers, 2), 2)
    np.testing.assert_allclose(out, ref_out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(h_n, ref_h_n, rtol=1e-10, atol=1e-12)
    # ... and so does sklstm, in both output modes.
    seq, _ = lstm_forward(X, layers, lengths=LENGTHS, bidirectional=True, return_sequences=True)
    last, _ = lstm_forward(X, layers, lengths=LENGTHS, bidirectional=True)
    np.testing.assert_allclose(seq, out, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(last, np.concatenate([h_n[-2], h_n[-1]], axis=1), rtol=1e-10)


# -- through the estimators ------------------------------------------------------


def _shell(Estimator, X, y, **params):
    """A briefly fitted bidirectional model (standardize=False, every step read
    on its own as PyTorch reads), to load weights into."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return Estimator((4, 4), bidirectional=True, standardize=False, max_iter=1,
                         patch_length=1, random_state=0, **params).fit(X, y)


def test_estimator_layout_and_prediction():
    rng = np.random.default_rng(8)
    X = rng.normal(size=(12, 5, 3))
    labels = np.array(["a", "b", "c"])[np.arange(12) % 3]
    clf = _shell(LSTMClassifier, X, labels)
    assert [d["W"].shape for d in clf.coefs_] == [(3, 16), (3, 16), (8, 16), (8, 16)]
    assert clf.out_coef_.shape == (8, 3)
    hidden, _ = lstm_forward(X, clf.coefs_, bidirectional=True)
    z = hidden @ clf.out_coef_ + clf.out_intercept_
    np.testing.assert_array_equal(clf.predict(X), clf.classes_[z.argmax(axis=1)])


def _load_pytorch(model, state, weight, bias, num_layers):
    """Load PyTorch's bidirectional state_dict and a Linear head into a fitted model."""
    model.coefs_ = [
        {"W": state[f"weight_ih_l{k}{s}"].T.copy(), "R": state[f"weight_hh_l{k}{s}"].T.copy(),
         "b": state[f"bias_ih_l{k}{s}"] + state[f"bias_hh_l{k}{s}"]}
        for k in range(num_layers) for s in ("", "_reverse")
    ]
    model.out_coef_, model.out_intercept_ = weight.T.copy(), bias.copy()


@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_estimator_predicts_with_pytorch_weights(return_sequences):
    """PyTorch's bidirectional weights, loaded by name, give its documented outputs."""
    rng = np.random.default_rng(9)
    seqs = [rng.normal(size=(n, 3)) for n in LENGTHS]
    y = [rng.normal(size=n) for n in LENGTHS] if return_sequences else rng.normal(size=4)
    reg = _shell(LSTMRegressor, seqs, y, return_sequences=return_sequences, scale_targets=False)
    state = to_pytorch(random_layers(rng, 3, (4, 4), peephole=False), 2)
    weight, bias = rng.normal(size=(1, 8)), rng.normal(size=1)
    _load_pytorch(reg, state, weight, bias, 2)
    X = np.zeros((4, 5, 3))
    for s, seq in enumerate(seqs):
        X[s, : len(seq)] = seq
    out, h_n = pytorch_equations(X, LENGTHS, state, 2)
    pred = reg.predict(seqs)
    if return_sequences:
        for s, n in enumerate(LENGTHS):
            np.testing.assert_allclose(pred[s, :n], (out[s, :n] @ weight.T + bias)[:, 0],
                                       rtol=1e-12)
    else:
        last = np.concatenate([h_n[-2], h_n[-1]], axis=1)
        np.testing.assert_allclose(pred, (last @ weight.T + bias)[:, 0], rtol=1e-12)
