"""Greff et al.'s LSTM variants in the core: exact gradients and known answers."""

import warnings

import numpy as np
import pytest
from lstm_reference import check_core_gradients, reference_forward
from sklearn.exceptions import ConvergenceWarning

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm.exceptions import NoRecurrenceWarning
from sklstm._loss import Network, Objective, training_masks

from sklstm._lstm import check_cell, gate_blocks, lstm_forward, lstm_predict, sigmoid_gates
from sklstm._params import ParamLayout, init_lstm_layers, layer_shapes

VARIANTS = [None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"]
WITH_COUPLED = [v for v in VARIANTS if v not in ("NIG", "NFG")]
# Every valid (gate_variant, coupled) pair.
CELLS = [pytest.param(v, False, id=str(v)) for v in VARIANTS] + [
    pytest.param(v, True, id=f"{v}-cifg") for v in WITH_COUPLED
]


def random_layers(rng, F, hidden_sizes, *, variant=None, peephole=True, coupled=False,
                  bidirectional=False, scale=0.6):
    """Random non-zero weights and biases of every array the variant has."""
    shapes = layer_shapes(F, hidden_sizes, peephole=peephole, coupled=coupled,
                          gate_variant=variant, bidirectional=bidirectional)
    return [{k: rng.normal(scale=scale, size=s) for k, s in d.items()} for d in shapes]


def problem(seed, hidden_sizes, *, B=3, T=4, F=2, bidirectional=False, **layer_kwargs):
    rng = np.random.default_rng(seed)
    layers = random_layers(rng, F, hidden_sizes, bidirectional=bidirectional, **layer_kwargs)
    X = rng.normal(size=(B, T, F))
    h0 = [rng.normal(size=(B, d["R"].shape[0])) for d in layers]
    c0 = [rng.normal(size=(B, d["R"].shape[0])) for d in layers]
    return rng, X, layers, h0, c0


# Every variant at depths 1 and 2 in both output modes, with peepholes (every
# gradient path); without peepholes once per variant.
GRADIENT_CASES = [
    pytest.param(v, sizes, rs, True, id=f"{v}-depth{len(sizes)}-{'many2many' if rs else 'many2one'}")
    for v in VARIANTS for sizes in [(2,), (3, 2)] for rs in (False, True)
] + [pytest.param(v, (3, 2), True, False, id=f"{v}-np") for v in VARIANTS]


@pytest.mark.parametrize("variant, hidden_sizes, return_sequences, peephole", GRADIENT_CASES)
def test_variant_gradients_variable_lengths(variant, hidden_sizes, return_sequences, peephole):
    rng, X, layers, h0, c0 = problem(
        len(hidden_sizes) + 7 * VARIANTS.index(variant), hidden_sizes, variant=variant,
        peephole=peephole,
    )
    lengths = np.array([2, 4, 3])
    num_X = check_core_gradients(X, layers, h0, c0, rng, lengths=lengths, gate_variant=variant,
                            return_sequences=return_sequences)
    for s, n in enumerate(lengths):
        assert np.all(num_X[s, n:] == 0)  # padding does not matter


@pytest.mark.parametrize("variant", WITH_COUPLED, ids=str)
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_variant_gradients_with_coupled_gate(variant, return_sequences):
    rng, X, layers, h0, c0 = problem(3, (3, 2), variant=variant, coupled=True)
    check_core_gradients(X, layers, h0, c0, rng, lengths=np.array([4, 1, 3]), gate_variant=variant,
                    return_sequences=return_sequences)


@pytest.mark.parametrize("variant, coupled", CELLS)
@pytest.mark.parametrize("peephole", [False, True], ids=["", "peephole"])
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_variant_matches_independent_transcription(variant, coupled, peephole, return_sequences):
    rng, X, layers, h0, c0 = problem(11, (3, 2), B=4, T=5, variant=variant, coupled=coupled,
                                     peephole=peephole)
    lengths = np.array([5, 2, 4, 1])
    out, _ = lstm_forward(X, layers, h0=h0, c0=c0, lengths=lengths, gate_variant=variant,
                          return_sequences=return_sequences)
    ref = reference_forward(X, layers, h0=h0, c0=c0, lengths=lengths, variant=variant,
                            coupled=coupled, return_sequences=return_sequences)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("variant, coupled", CELLS)
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_forward_only_pass_equals_training_pass(variant, coupled, return_sequences):
    """lstm_predict, in chunks of steps that split FGR's gate recurrence, gives
    exactly the training forward's outputs."""
    _, X, layers, h0, c0 = problem(12, (3, 2), B=5, T=7, variant=variant, coupled=coupled)
    kwargs = dict(h0=h0, c0=c0, lengths=np.array([7, 2, 5, 1, 6]), gate_variant=variant,
                  return_sequences=return_sequences)
    expected, _ = lstm_forward(X, layers, **kwargs)
    for chunk_steps in (None, 1, 3, 50):
        got = lstm_predict(X, layers, chunk_steps=chunk_steps, **kwargs)
        np.testing.assert_array_equal(got, expected)


def _saturate(layer, blocks, gate, H, sign=50.0):
    """Fix a gate at 1 (σ(50) rounds to 1.0 in float64): zero W, R and peephole, huge bias."""
    layer = {k: v.copy() for k, v in layer.items()}
    cols = slice(blocks.index(gate) * H, (blocks.index(gate) + 1) * H)
    layer["W"][:, cols] = 0
    layer["R"][:, cols] = 0
    layer["b"][cols] = sign
    if "p" in layer:
        layer["p"][[b for b in blocks if b != "g"].index(gate)] = 0
    return layer


@pytest.mark.parametrize(
    "variant, gate, coupled",
    [("NIG", "i", False), ("NFG", "f", False), ("NOG", "o", False), ("NOG", "o", True)],
)
@pytest.mark.parametrize("peephole", [False, True], ids=["", "peephole"])
def test_removed_gate_equals_saturated_gate(variant, gate, coupled, peephole):
    """NIG (NFG, NOG) equals the full cell with that gate held open at 1.

    The variant's weights are the full cell's with the gate's W, R, b (and
    peephole) removed: Greff et al.'s definition, i = 1 (f = 1, o = 1).
    """
    rng = np.random.default_rng(5)
    H, F = 3, 2
    full_blocks = gate_blocks(coupled)
    full = random_layers(rng, F, (H, H), peephole=peephole, coupled=coupled)
    full = [_saturate(layer, full_blocks, gate, H) for layer in full]
    small_blocks = gate_blocks(coupled, variant)
    keep_cols = np.concatenate(
        [np.arange(full_blocks.index(k) * H, (full_blocks.index(k) + 1) * H) for k in small_blocks]
    )
    keep_rows = [sigmoid_gates(coupled).index(k) for k in sigmoid_gates(coupled, variant)]
    reduced = []
    for layer in full:
        d = {"W": layer["W"][:, keep_cols], "R": layer["R"][:, keep_cols], "b": layer["b"][keep_cols]}
        if peephole:
            d["p"] = layer["p"][keep_rows]
        reduced.append(d)
    X = rng.normal(size=(3, 5, F))
    lengths = np.array([5, 3, 1])
    for rs in (False, True):
        expected, _ = lstm_forward(X, full, lengths=lengths, return_sequences=rs)
        got, _ = lstm_forward(X, reduced, lengths=lengths, return_sequences=rs,
                              gate_variant=variant)
        np.testing.assert_allclose(got, expected, rtol=1e-13, atol=1e-14)


def test_fgr_with_zero_gate_recurrence_is_the_plain_cell():
    rng = np.random.default_rng(2)
    layers = random_layers(rng, 2, (3, 2), variant="FGR")
    plain = [{k: v for k, v in d.items() if k != "Rg"} for d in layers]
    for d in layers:
        d["Rg"][...] = 0
    X = rng.normal(size=(2, 4, 2))
    a, _ = lstm_forward(X, layers, gate_variant="FGR", return_sequences=True)
    b, _ = lstm_forward(X, plain, return_sequences=True)
    np.testing.assert_array_equal(a, b)


def test_niaf_noaf_small_signal_limits():
    """NIAF and NOAF differ from the plain cell only through tanh: close for tiny inputs."""
    rng = np.random.default_rng(4)
    layers = random_layers(rng, 2, (3,), peephole=False, scale=1e-3)
    X = 1e-3 * rng.normal(size=(2, 3, 2))
    plain, _ = lstm_forward(X, layers, return_sequences=True)
    for variant in ("NIAF", "NOAF"):
        out, _ = lstm_forward(X, layers, return_sequences=True, gate_variant=variant)
        np.testing.assert_allclose(out, plain, rtol=1e-5)
        assert not np.array_equal(out, plain)


def test_fgr_has_nine_gate_recurrent_matrices():
    shapes = layer_shapes(2, (4,), gate_variant="FGR")[0]
    assert shapes["Rg"] == (12, 12)  # 3 x 3 blocks of (H, H): i, f, o -> i, f, o
    assert layer_shapes(2, (4,), gate_variant="FGR", coupled=True)[0]["Rg"] == (8, 8)


@pytest.mark.parametrize(
    "variant, coupled, blocks",
    [(None, False, "ifgo"), ("NIG", False, "fgo"), ("NFG", False, "igo"), ("NOG", False, "ifg"),
     ("NOG", True, "ig"), ("NIAF", True, "igo"), ("FGR", False, "ifgo")],
)
def test_gate_blocks_per_variant(variant, coupled, blocks):
    assert "".join(gate_blocks(coupled, variant)) == blocks


@pytest.mark.parametrize("variant", ["NIG", "NFG"])
def test_invalid_combination_names_both_parameters(variant):
    # Each caller's own names: the core's arguments, the estimators' parameters.
    with pytest.raises(ValueError, match=f"gate_variant='{variant}'.*with coupled=True"):
        gate_blocks(True, variant)
    with pytest.raises(ValueError, match=f"gate_variant='{variant}'.*with coupled=True"):
        init_lstm_layers(2, (3,), np.random.default_rng(0), coupled=True, gate_variant=variant)
    with pytest.raises(ValueError, match=f"gate_variant='{variant}'.*coupled_gates=True"):
        LSTMRegressor(gate_variant=variant, coupled_gates=True).fit(np.zeros((4, 3, 1)),
                                                                     np.zeros(4))
    with pytest.raises(ValueError, match="gate_variant must be one of"):
        check_cell("LSTM", False)


def test_ambiguous_or_wrong_shapes_are_refused():
    rng = np.random.default_rng(0)
    layers = random_layers(rng, 2, (3,))
    with pytest.raises(ValueError, match=r"R must have shape \(3, 9\) for gate_variant='NIG'"):
        lstm_forward(np.zeros((1, 2, 2)), layers, gate_variant="NIG")  # plain weights
    fgr = random_layers(rng, 2, (3,), variant="FGR")
    with pytest.raises(ValueError, match="Rg"):
        lstm_forward(np.zeros((1, 2, 2)), fgr)
    with pytest.raises(ValueError, match="Rg"):
        lstm_forward(np.zeros((1, 2, 2)), [{k: v for k, v in fgr[0].items() if k != "Rg"}],
                     gate_variant="FGR")


@pytest.mark.parametrize("variant", VARIANTS, ids=str)
def test_initialisation_per_variant(variant):
    rng = np.random.default_rng(0)
    layers = init_lstm_layers(3, (4, 2), rng, peephole=True, gate_variant=variant)
    layout = ParamLayout(3, (4, 2), 1, peephole=True, gate_variant=variant)
    theta = layout.pack(layers, np.zeros((2, 1)), np.zeros(1))
    assert theta.size == layout.size
    blocks = gate_blocks(False, variant)
    b = layers[0]["b"].reshape(len(blocks), 4)
    if "f" in blocks:
        np.testing.assert_array_equal(b[blocks.index("f")], 1.0)
    else:
        assert np.all(b == 0)
    if variant == "FGR":
        assert np.all(layers[0]["Rg"] == 0)  # starts as the plain cell
    lstm_forward(np.zeros((1, 2, 3)), layers, gate_variant=variant)


# -- through the estimators ------------------------------------------------------


def _fit_quietly(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return model.fit(X, y)


@pytest.mark.parametrize("variant", VARIANTS[1:], ids=str)
def test_estimators_fit_every_variant(variant):
    rng = np.random.default_rng(0)
    X = rng.normal(size=(16, 5, 2))
    y = X[:, :, 0].sum(axis=1)
    # patch_length=1: five steps of recurrence, as lstm_forward reads X
    reg = _fit_quietly(LSTMRegressor((3, 2), gate_variant=variant, peephole=True, max_iter=3,
                                     standardize=False, scale_targets=False, patch_length=1,
                                     random_state=0),
                       X, y)
    expected = layer_shapes(2, (3, 2), peephole=True, gate_variant=variant)
    assert [{k: v.shape for k, v in d.items()} for d in reg.coefs_] == expected
    hidden, _ = lstm_forward(X, reg.coefs_, gate_variant=variant)
    np.testing.assert_allclose(reg.predict(X), (hidden @ reg.out_coef_ + reg.out_intercept_)[:, 0],
                               rtol=1e-12)
    reg.set_params(gate_variant=None)
    with pytest.raises(ValueError, match=f"fitted with gate_variant={variant!r}"):
        reg.predict(X)
    clf = _fit_quietly(LSTMClassifier((3,), gate_variant=variant, max_iter=2, patch_length=1,
                                      random_state=0),
                       X, y > 0)
    assert clf.predict_proba(X).shape == (16, 2)


def test_loss_and_grad_of_every_feature_together(assert_packed_gradient_exact):
    """The packed gradient that every solver follows: FGR, CIFG, peepholes, two
    directions, two layers, many-to-many, ragged, weighted, penalised, masked."""
    rng = np.random.default_rng(1)
    layout = ParamLayout(2, (2, 2), 2, peephole=True, coupled=True, gate_variant="FGR",
                         bidirectional=True)
    network, objective = Network(layout, True), Objective("squared_error", 0.3)
    theta = rng.normal(scale=0.5, size=layout.size)
    X, y = rng.normal(size=(3, 4, 2)), rng.normal(size=(3, 4, 2))
    masks = training_masks(network, 3, 0.3, 0.3, np.random.RandomState(0), np.float64)
    assert_packed_gradient_exact(
        (theta, X, y, np.array([4, 2, 3]), np.array([1.0, 2.0, 0.5]), (network, objective, masks))
    )


def test_full_gate_recurrence_has_nothing_to_read_in_one_patch():
    """A sequence read as one patch is one LSTM step: FGR's gate recurrence
    reads only the zero initial state, and the fit is the vanilla one (as
    the patch_length docs say); read step by step it is not."""
    rng = np.random.default_rng(2)
    X = rng.normal(size=(24, 6, 1))
    y = X[:, -2:, 0].sum(axis=1)
    fits = {}
    for patch_length in ("auto", 1):
        for variant in (None, "FGR"):
            model = LSTMRegressor((3,), gate_variant=variant, max_iter=5,
                                  patch_length=patch_length, random_state=0)
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                fits[patch_length, variant] = model.fit(X, y).predict(X)
            said = any(issubclass(w.category, NoRecurrenceWarning) for w in caught)
            assert said == (patch_length == "auto" and variant == "FGR")
    np.testing.assert_array_equal(fits["auto", None], fits["auto", "FGR"])
    assert not np.allclose(fits[1, None], fits[1, "FGR"])
