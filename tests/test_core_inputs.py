"""Bad input to the public core (``sklstm.core``) is refused by name.

The rule: a TypeError or ValueError whose message names the argument (and
the layer, key, sample, step or unit where it applies), never an error from
inside NumPy, and never a silently wrong result.
"""

import pickle
import re
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy import sparse
from numpy.testing import assert_array_equal

from sklstm._checks import first_non_finite
from sklstm.core import (
    GateInputOverflow,
    largest_safe_input,
    draw_dropout_masks,
    final_states,
    gate_blocks,
    init_lstm_layers,
    init_output_layer,
    kernel_layers,
    layer_shapes,
    lstm_backward,
    lstm_forward,
    lstm_predict,
)


def _problem(hidden=(4,), bidirectional=False, peephole=False, n_samples=3, seed=0):
    rng = np.random.default_rng(seed)
    layers = init_lstm_layers(2, hidden, rng, bidirectional=bidirectional, peephole=peephole)
    for layer in layers:  # non-zero biases and peepholes, as the gradient tests use
        for v in layer.values():
            v += 0.1 * rng.normal(size=v.shape)
    return layers, rng.normal(size=(n_samples, 5, 2))


# -- 1. d_outputs and the cache of lstm_backward -------------------------------


@pytest.mark.parametrize("return_sequences, bidirectional, shape", [
    (False, False, (3, 9)),      # extra columns were dropped silently
    (False, False, (2, 4)),      # wrong number of samples
    (False, False, (3, 5, 4)),   # 3-D for many-to-one
    (True, False, (3, 8, 7)),    # longer and wider, were cut silently
    (True, False, (3, 4, 4)),    # fewer steps
    (True, False, (3, 4)),       # 2-D for many-to-many
    (False, True, (3, 4)),       # one direction's width for [h->; h<-]
])
def test_d_outputs_of_the_wrong_shape_are_refused(return_sequences, bidirectional, shape):
    layers, X = _problem(bidirectional=bidirectional)
    out, cache = lstm_forward(
        X, layers, return_sequences=return_sequences, bidirectional=bidirectional
    )
    expected = str(out.shape).replace("(", r"\(").replace(")", r"\)")
    with pytest.raises(ValueError, match=f"d_outputs must have the shape .*{expected}"):
        lstm_backward(np.ones(shape), cache)


def test_d_outputs_of_the_outputs_shape_still_work_with_ragged_lengths():
    layers, X = _problem()
    out, cache = lstm_forward(X, layers, lengths=[5, 2, 4], return_sequences=True)
    grads = lstm_backward(np.ones_like(out), cache)
    assert grads["X"].shape == X.shape


def test_complex_d_outputs_are_refused():
    layers, X = _problem()
    out, cache = lstm_forward(X, layers)
    with pytest.raises(TypeError, match="d_outputs must hold real numbers"):
        lstm_backward(np.ones_like(out) + 1j, cache)


@pytest.mark.parametrize("cache, error, match", [
    (None, TypeError, "cache must be the dict returned by lstm_forward, got NoneType"),
    ({}, ValueError, "cache must be the dict returned by lstm_forward; it lacks"),
    ([1, 2], TypeError, "cache must be the dict returned by lstm_forward, got list"),
])
def test_something_else_than_a_cache_is_refused(cache, error, match):
    with pytest.raises(error, match=match):
        lstm_backward(np.ones((3, 4)), cache)
    with pytest.raises(error, match=match):
        final_states(cache)


@pytest.mark.parametrize("lengths, error, message", [
    ([4.0, 2.0], TypeError,
     r"lengths must be an integer array of shape \(2,\), got dtype float64\.$"),
    # pandas' nullable ints arrive as float64 NaN where one is missing.
    (pd.array([4, None], dtype="Int64"), TypeError,
     r"got dtype float64, with a missing value at index 1\.$"),
    ([4, None], TypeError, r"got dtype object, with a missing value at index 1\.$"),
    # An array among them is no missing value (NumPy's "truth value ... ambiguous").
    (np.array([np.array([4, 2]), 3], dtype=object), TypeError, r"got dtype object\.$"),
    (np.array([[[4, 2], [3]], 3], dtype=object), TypeError, r"got dtype object\.$"),
    # NumPy read True as the length 1.
    ([True, 2], TypeError, r"lengths must be an integer array of shape \(2,\), got \[True, 2\], "
                           r"which holds a bool"),
    (np.array([True, True]), TypeError, r"got dtype bool"),
    ([[4, 2]], ValueError, r"lengths must be an integer array of shape \(2,\), got shape \(1, 2\)"),
    ([4], ValueError, r"got shape \(1,\)"),
    ([0, 2], ValueError, r"lengths must lie in \[1, 5\]"),
    # Ints beyond int64 were called a dtype problem ("got dtype object").
    ([2**70, 2], ValueError, r"lengths must lie in \[1, 5\]"),
    # NumPy counts timedelta64 as an integer type; ragged lengths failed inside it.
    (np.array([4, 2], dtype="m8[s]"), TypeError, r"got dtype timedelta64\[s\]"),
    ([[4, 2], [3]], ValueError, r"lengths must be a rectangular array"),
    # Read by NumPy as one object: "got dtype object".
    ((n for n in (4, 2)), TypeError, r"lengths is an iterator \(generator\); pass list"),
    (sparse.csr_array(np.array([[4, 2]])), TypeError, r"lengths is a sparse matrix"),
])
def test_bad_lengths_are_refused_by_kind_then_by_value(lengths, error, message):
    layers, X = _problem(n_samples=2)
    for run in (lstm_forward, lstm_predict):
        with pytest.raises(error, match=message):
            run(X, layers, lengths=lengths)


def test_lengths_of_python_ints_in_an_object_array_are_read_as_ints():
    # A pandas object column of lengths was refused as "got dtype object".
    layers, X = _problem(n_samples=2)
    for run in (lstm_forward, lstm_predict):
        as_objects = run(X, layers, lengths=np.array([4, 2], dtype=object))[0]
        np.testing.assert_array_equal(as_objects, run(X, layers, lengths=np.array([4, 2]))[0])


def test_sparse_x_and_nullable_pandas_states_are_refused_with_their_remedy():
    layers, X = _problem()
    with pytest.raises(TypeError, match=r"X is a sparse matrix; pass its \.toarray\(\)"):
        lstm_forward(sparse.csr_array(X[:, :, 0]), layers)
    h0 = pd.DataFrame(np.zeros((3, 4))).astype("Float64")
    with pytest.raises(TypeError, match=r"got dtype object\. A pandas DataFrame of nullable "
                                        r"columns becomes objects: pass its \.to_numpy"):
        lstm_forward(X, layers, h0=[h0])
    # Text is not nullable numbers: no remedy that would fail.
    with pytest.raises(TypeError, match=r"got dtype object\.$"):
        lstm_forward(X, layers, h0=[h0.astype(str).astype(object)])
    outputs = lstm_forward(X, layers, h0=[h0.to_numpy(dtype=float)])[0]
    assert_array_equal(outputs, lstm_forward(X, layers)[0])


# -- 2. non-finite X, states and padding ---------------------------------------


def test_nan_in_padding_is_refused_naming_sample_step_and_feature():
    layers, X = _problem(n_samples=2)
    X = X[:, :4]
    X[1, 2:] = np.nan
    for run in (lstm_forward, lstm_predict):
        with pytest.raises(ValueError, match="X contains NaN at sample 1, step 2, feature 0.*"
                                             "padding included"):
            run(X, layers, lengths=[4, 2])
    # the refused case's remedy: zero padding gives finite gradients, and the
    # real steps' outputs do not depend on what the padding held
    X0 = np.nan_to_num(X, nan=0.0)
    out, cache = lstm_forward(X0, layers, lengths=[4, 2])
    grads = lstm_backward(np.ones_like(out), cache)
    assert all(np.isfinite(g).all() for layer in grads["layers"] for g in layer.values())
    X1 = np.where(np.isnan(X), 7.0, X)
    out1, cache1 = lstm_forward(X1, layers, lengths=[4, 2])
    grads1 = lstm_backward(np.ones_like(out1), cache1)
    assert_array_equal(out, out1)
    assert_array_equal(grads["layers"][0]["R"], grads1["layers"][0]["R"])


@pytest.mark.parametrize(
    "value, word", [(np.nan, "NaN"), (np.inf, "infinity"), (-np.inf, "infinity")]
)
def test_non_finite_X_is_refused_by_forward_and_predict(value, word):
    layers, X = _problem()
    X[2, 3, 1] = value
    for run in (lstm_forward, lstm_predict):
        with pytest.raises(ValueError, match=f"X contains {word} at sample 2, step 3, feature 1"):
            run(X, layers)


def test_huge_finite_X_is_not_mistaken_for_infinity():
    layers, _ = _problem()
    X = np.full((400, 20, 2), 3e34, dtype=np.float32)  # their sum overflows float32
    out, _ = lstm_forward(X, kernel_layers(layers, np.float32))
    assert out.shape == (400, 4) and np.isfinite(out).all()


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("variant", [None, "FGR"])
def test_largest_safe_input_is_where_the_refusal_begins(dtype, bidirectional, variant):
    layers = init_lstm_layers(3, (4, 5), np.random.default_rng(0), bidirectional=bidirectional,
                              gate_variant=variant)
    largest = largest_safe_input(layers, dtype, gate_variant=variant,
                                 bidirectional=bidirectional)
    X = np.zeros((2, 3, 3), dtype)
    X[1, 1, 2] = -largest
    lstm_forward(X, layers, gate_variant=variant, bidirectional=bidirectional)  # accepted
    X[1, 1, 2] = -np.nextafter(dtype(largest), dtype(np.inf))
    with pytest.raises(GateInputOverflow):
        lstm_forward(X, layers, gate_variant=variant, bidirectional=bidirectional)
    # Weights that overflow whatever x: every input refused. Small ones: none.
    deep = [dict(layer) for layer in layers]
    deep[-1]["R"] = np.full_like(deep[-1]["R"], np.finfo(dtype).max / 4)
    assert largest_safe_input(deep, dtype, gate_variant=variant,
                              bidirectional=bidirectional) == -1.0
    tiny = [{key: value * 1e-300 for key, value in layer.items()} for layer in layers]
    assert largest_safe_input(tiny, np.float32, gate_variant=variant,
                              bidirectional=bidirectional) == np.finfo(np.float32).max
    with pytest.raises(ValueError, match="NOAF"):
        largest_safe_input(layers, dtype, gate_variant="NOAF")


def test_an_overflow_message_states_the_limit_it_holds_sums_to_and_a_remedy_that_works():
    # It quoted sums of 9.99e36 against "largest 3.4e+38", below it, and
    # advised a fitted float32 estimator to "run in float64", which its
    # predict cannot: the model's dtype, not X's, is the pass's.
    from sklstm import LSTMRegressor

    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 5, 2))
    model = LSTMRegressor((3,), max_iter=2, random_state=0).fit(X.astype(np.float32), X[:, -1, 0])
    with pytest.raises(GateInputOverflow, match=re.escape(
            "may overflow float32 (held to 3.32e+35, its largest value 3.4e+38 less a margin "
            "of 2**10)") + ".* or run in float64 \\(a fitted estimator: refit it on float64 "
                           "X\\)\\.$"):
        model.predict(X * 1e37)
    refit = LSTMRegressor((3,), max_iter=2, random_state=0).fit(X, X[:, -1, 0])
    assert np.isfinite(refit.predict(X * 1e37)).all()


@pytest.mark.parametrize("run", [lstm_forward, lstm_predict])
@pytest.mark.parametrize("peephole", [False, True])
def test_a_niaf_cell_state_that_may_overflow_is_refused(run, peephole):
    # Under NIAF each step adds a block input unsquashed: X of 2e38 in
    # float32, a gate input the bound accepts, summed over 3 steps to an
    # infinite cell state, NaN gradients, and with peepholes NaN outputs.
    layer = {"W": [[0.0, 0.0, 1.0, 0.0]], "R": np.zeros((1, 4)), "b": [30.0, 30.0, 0.0, 30.0]}
    if peephole:
        layer["p"] = np.zeros((3, 1))
    X = np.full((1, 3, 1), 2e38, np.float32)
    with pytest.raises(GateInputOverflow, match=r"The cell state of layers\[0\] may overflow "
                                                r"float32 .*under NIAF .*; X holds values up to "
                                                r"2e\+38 in magnitude, and 3 steps of them may "
                                                r"sum to 6e\+38"):
        run(X, [layer], gate_variant="NIAF")
    out = run(X[:, :1] * 1e-3, [layer], gate_variant="NIAF")  # one step, far below: accepted
    assert np.isfinite(out[0] if isinstance(out, tuple) else out).all()
    with pytest.raises(ValueError, match="NIAF's grows with the number of steps"):
        largest_safe_input([layer], np.float32, gate_variant="NIAF")


@pytest.mark.parametrize("bidirectional", [False, True])
def test_huge_finite_padding_is_not_taken_for_an_overflowing_input(bidirectional):
    """Fixed bug: the gates' overflow bound read X's largest value over the
    longest sequence's steps, a shorter one's padding included, which enters
    no gate: 1e37 there refused the call (float32)."""
    layers, X = _problem(bidirectional=bidirectional)
    X = X.astype(np.float32)
    lengths = [5, 2, 3]
    expected = lstm_forward(X, layers, lengths=lengths, bidirectional=bidirectional)[0]
    X[1, 2:] = 1e37
    for run in (lstm_forward, lstm_predict):
        out = run(X, layers, lengths=lengths, bidirectional=bidirectional)
        np.testing.assert_array_equal(out[0] if run is lstm_forward else out, expected)
    X[2, 2, 0] = 1e37  # a real step: refused
    with pytest.raises(GateInputOverflow, match=r"X holds values up to 1e\+37"):
        lstm_forward(X, layers, lengths=lengths, bidirectional=bidirectional)


def test_a_gate_overflow_names_layers_as_its_caller_does_and_pickles():
    """A stack that is part of a larger model (the encoder-decoder's decoder)
    renames its layers and input; the error survives pickling (joblib's
    workers send it back) and the one-message form its callers re-raise."""
    layers = init_lstm_layers(2, (3, 3), np.random.default_rng(0))
    layers[1]["W"] = layers[1]["W"] * 1e307
    with pytest.raises(GateInputOverflow) as caught:
        lstm_forward(np.ones((1, 2, 2)), layers)
    error = caught.value
    assert str(error).startswith("The gate inputs of layers[1] may overflow float64")
    assert "the output of layers[0] holds values up to 1 in magnitude" in str(error)
    renamed = error.renamed(lambda index: f"coefs_[{index + 2}]", "U")
    assert isinstance(renamed, GateInputOverflow)
    assert str(renamed).startswith("The gate inputs of coefs_[3] may overflow float64")
    assert "the output of coefs_[2] holds" in str(renamed) and "layers[" not in str(renamed)
    for copy in (pickle.loads(pickle.dumps(error)), pickle.loads(pickle.dumps(renamed))):
        assert type(copy) is GateInputOverflow
    assert str(pickle.loads(pickle.dumps(error))) == str(error)
    assert str(pickle.loads(pickle.dumps(renamed))) == str(renamed)
    plain = GateInputOverflow(f"In the decoder: {error} {{braces}}")
    assert str(plain) == f"In the decoder: {error} {{braces}}"


@pytest.mark.parametrize("dtype, value", [(np.float32, 3e38), (np.float64, 1.5e308)])
@pytest.mark.parametrize("run", [lstm_forward, lstm_predict])
def test_gate_inputs_that_may_overflow_are_refused(dtype, value, run):
    """BLAS summed x w + x (-w) of equal huge x to an infinite gate input, not
    0: a saturated gate and a finite, wrong output (0.23 where 0 is exact)."""
    layers = init_lstm_layers(2, (1,), np.random.default_rng(0))
    layers[0]["W"][:] = [[2.0], [-2.0]]
    layers[0]["R"][:] = 0
    X = np.full((1, 1, 2), value, dtype=dtype)
    # A ValueError, and by its own class, public in sklstm.core as documented.
    assert issubclass(GateInputOverflow, ValueError)
    with pytest.raises(GateInputOverflow, match=rf"The gate inputs of layers\[0\] may overflow "
                                                rf"{np.dtype(dtype).name} .*X holds values up "
                                                r"to .* layers\[0\]\['W'\] sums to 4 in "
                                                r"magnitude"):
        run(X, layers)
    out = run(X / 2.0**20, layers)  # within the headroom: exact
    h = out[0] if run is lstm_forward else out
    expected = lstm_forward(np.zeros_like(X), layers)[0]  # x w - x w = 0: the bias alone
    np.testing.assert_allclose(h, expected, rtol=1e-6)


def _cancelling_column(big, dtype):
    """A weight column ``[big, -big]``: against two equal values its sum is 0,
    exactly in floating point too, and BLAS's partial sum overflows."""
    return np.array([big, -big], dtype=dtype)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("run", [lstm_forward, lstm_predict])
@pytest.mark.parametrize("where", ["R of layer 0", "W of layer 1"])
def test_gate_inputs_beyond_the_first_layers_W_are_bounded_too(where, dtype, run):
    """Both units are equal (equal weights, equal inputs), so a column of
    +big and -big weights over them sums to 0 exactly. BLAS
    overflowed it instead: a saturated gate and a finite, wrong output."""
    # A power of two: h * big is then exact, and so is an FMA's cancellation.
    H, big = 2, 2.0 ** (np.finfo(dtype).maxexp - 1)
    # Every other term of the input gates (the first H columns) is 0, so
    # that no small term is lost beside the large ones: the exact sum is 0.
    bias = np.ones(4 * H)
    bias[:H] = 0
    layers = [{"W": np.zeros((n_in, 4 * H)), "R": np.zeros((H, 4 * H)), "b": bias}
              for n_in in ((1, H) if where == "W of layer 1" else (1,))]
    layers = [{k: v.astype(dtype) for k, v in layer.items()} for layer in layers]
    key = where[0]
    layers[-1][key][:, 0] = _cancelling_column(big, dtype)  # unit 0's input gate
    X = np.ones((2, 3, 1), dtype=dtype)
    with pytest.raises(ValueError, match=rf"The gate inputs of layers\[{len(layers) - 1}\] may "
                                         rf"overflow {np.dtype(dtype).name}"):
        run(X, layers)
    scaled = [dict(layer) for layer in layers]
    scaled[-1][key] = layers[-1][key] / 2.0**20  # within the headroom: exact
    exact = [dict(layer) for layer in layers]
    exact[-1][key] = layers[-1][key].copy()
    exact[-1][key][:, 0] = 0
    out, expected = run(X, scaled), run(X, exact)
    np.testing.assert_array_equal(out[0] if run is lstm_forward else out,
                                  expected[0] if run is lstm_forward else expected)


def test_the_bound_of_the_gate_inputs_counts_the_dropout_masks():
    """Inverted dropout scales the inputs by 1 / (1 - rate): 2**20 at a
    rate of 1 - 2**-20, beyond what any fixed margin covers."""
    layers = init_lstm_layers(2, (1,), np.random.default_rng(0))
    layers[0]["W"][:] = [[1.0], [-1.0]]
    layers[0]["R"][:] = 0
    X = np.full((1, 1, 2), 2.0**100, dtype=np.float32)
    lstm_forward(X, layers)  # 2**101 at most: far from float32's 2**128
    masks = [(np.full((1, 2), 2.0**20, dtype=np.float32), None)]
    with pytest.raises(ValueError, match=r"layers\[0\] may overflow float32.*dropout masks "
                                         r"scale them by up to 1\.05e\+06"):
        lstm_forward(X, layers, dropout_masks=masks)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_one_huge_term_of_a_gate_input_is_not_refused(dtype):
    """Alone, a term near the dtype's largest value (a bias of 1e308, say)
    cannot cancel: whatever BLAS does, the gate saturates as it should."""
    rng = np.random.default_rng(0)
    layers = init_lstm_layers(2, (3,), rng)
    layers[0]["b"][:] = np.finfo(dtype).max * np.sign(rng.normal(size=12))
    X = rng.normal(size=(4, 5, 2)).astype(dtype)
    out = lstm_predict(X, layers)
    gates = np.sign(layers[0]["b"]).reshape(4, 3) > 0  # i, f, g, o saturated at 1 or 0 (-1)
    i, f, g, o = gates
    g_value = np.where(g, 1.0, -1.0)
    # c grows by i g each step (f c kept or dropped), h = o tanh(c)
    c = np.zeros(3)
    for _ in range(5):
        c = f * c + i * g_value
    np.testing.assert_allclose(out[0], o * np.tanh(c), rtol=1e-6)


def test_the_bound_of_noaf_grows_with_the_steps_but_spares_ordinary_weights():
    """Under NOAF h = o c, and c grows by up to 1 a step: the bound is
    counted in steps, so moderate weights over many steps still run."""
    rng = np.random.default_rng(0)
    layers = init_lstm_layers(2, (4, 4), rng, gate_variant="NOAF")
    X = rng.normal(size=(3, 2000, 2))
    out, _ = lstm_forward(X, layers, gate_variant="NOAF")
    assert np.isfinite(out).all()
    # 1e33 and -1e33 against a recurrent state of up to 2000 (c0 = 0) exceed
    # float32's headroom (3.4e38 / 1024); against 1, as without NOAF, not.
    layers[1]["R"][:2, 0] = [1e33, -1e33]
    with pytest.raises(ValueError, match=r"layers\[1\] may overflow float32.*the recurrent "
                                         r"state may reach 2e\+03"):
        lstm_forward(X.astype(np.float32), layers, gate_variant="NOAF")
    lstm_forward(X.astype(np.float32)[:, :20], layers, gate_variant=None)


def test_first_non_finite_finds_the_first_bad_value_in_c_order():
    arr = np.zeros((3, 4, 2), dtype=np.float32)
    assert first_non_finite(arr) is None
    arr[0, 0, 0] = arr[1, 0, 0] = 3e38  # the sum overflows; the values are finite
    assert first_non_finite(arr) is None
    arr[2, 1, 0], arr[1, 3, 1] = np.nan, -np.inf
    assert first_non_finite(arr) == ((1, 3, 1), "infinity")
    # Only the positions ``where`` marks are read (padded steps may hold NaN).
    real = np.ones((3, 4, 1), dtype=bool)
    real[1, 3] = False
    assert first_non_finite(arr, real) == ((2, 1, 0), "NaN")
    real[2] = False
    assert first_non_finite(arr, real) is None


@pytest.mark.parametrize("name", ["h0", "c0"])
@pytest.mark.parametrize("value, word", [(np.nan, "NaN"), (np.inf, "infinity")])
def test_non_finite_initial_states_are_refused(name, value, word):
    layers, X = _problem(hidden=(4, 3))
    states = [np.zeros((3, 4)), np.zeros((3, 3))]
    states[1][2, 1] = value
    for run in (lstm_forward, lstm_predict):
        with pytest.raises(ValueError, match=rf"{name}\[1\], contains {word} at sample 2, unit 1"):
            run(X, layers, **{name: states})


# -- 3. final_states returns independent arrays --------------------------------


@pytest.mark.parametrize("n_samples, lengths", [(1, None), (3, None), (3, [5, 2, 4])])
def test_final_states_are_copies_not_views_of_the_cache(n_samples, lengths):
    layers, X = _problem(hidden=(4, 3), peephole=True, n_samples=n_samples)
    out, cache = lstm_forward(X, layers, lengths=lengths)
    before = lstm_backward(np.ones_like(out), cache)
    h, c = final_states(cache)
    for a in h + c:
        assert not any(
            np.shares_memory(a, arr) for layer in cache["layers"] for arr in layer.values()
        )
        a += 1.0  # the caller edits "their" states
    after = lstm_backward(np.ones_like(out), cache)
    for g0, g1 in zip(before["layers"], after["layers"]):
        for key in g0:
            assert_array_equal(g0[key], g1[key])
    h2, c2 = final_states(cache)
    assert_array_equal(h2[0] + 1.0, h[0])
    assert_array_equal(c2[1] + 1.0, c[1])


# -- 4. dropout masks ------------------------------------------------------------


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(dropout=1.0), ValueError, r"dropout must lie in \[0, 1\), got 1.0"),
    (dict(dropout=-0.5), ValueError, r"dropout must lie in \[0, 1\), got -0.5"),
    (dict(recurrent_dropout=1.5), ValueError, r"recurrent_dropout must lie in \[0, 1\)"),
    (dict(dropout="0.5"), TypeError, r"dropout must be a float in \[0, 1\)"),
    (dict(dtype=np.int64), TypeError, "dtype must be float32 or float64"),
    (dict(dtype=np.complex128), TypeError, "dtype must be float32 or float64"),
    (dict(dtype=None), TypeError, "dtype must be float32 or float64, got None"),
    (dict(rng=0), TypeError, "rng must be a numpy.random.Generator or .*RandomState, got int"),
    (dict(rng=None), TypeError, "rng must be a numpy.random.Generator"),
    (dict(n_samples=0), ValueError, "n_samples must be an int >= 1"),
    (dict(n_samples=2.0), TypeError, "n_samples must be an int"),
    (dict(layer_sizes=(2, 4)), ValueError, r"layer_sizes\[0\] must be a pair"),
    # A 0-d array has a __len__ that raises; a set's order is arbitrary.
    (dict(layer_sizes=[np.array(1)]), ValueError, r"layer_sizes\[0\] must be a pair"),
    (dict(layer_sizes=[{2, 4}]), ValueError, r"layer_sizes\[0\] must be a pair"),
    (dict(layer_sizes=[(2, -4)]), ValueError, r"layer_sizes\[0\]\[1\] must be an int >= 1"),
])
def test_draw_dropout_masks_refuses_bad_arguments(kwargs, error, match):
    args = dict(rng=np.random.default_rng(0), n_samples=2, layer_sizes=[(2, 4)],
                dropout=0.5, recurrent_dropout=0.2, dtype=np.float64)
    args.update(kwargs)
    with pytest.raises(error, match=match):
        draw_dropout_masks(**args)


def test_draw_dropout_masks_accepts_a_random_state_and_zero_rates():
    masks = draw_dropout_masks(np.random.RandomState(0), 2, [(2, 4)], 0.0, 0.25, np.float32)
    assert masks[0][0] is None
    assert set(np.unique(masks[0][1])) <= {0.0, np.float32(1 / 0.75)}


def _masks(rng, n_samples):
    return draw_dropout_masks(rng, n_samples, [(2, 4)], 0.5, 0.5, np.float64)


@pytest.mark.parametrize("edit, error, match", [
    (lambda m: [(m[0][0], m[0][1], None)], ValueError, r"dropout_masks\[0\] must be a pair"),
    (lambda m: [np.array(1)], ValueError, r"dropout_masks\[0\] must be a pair"),
    (lambda m: m[0], ValueError, "one pair per layer dict"),
    (lambda m: {"x": m[0][0]}, TypeError, "dropout_masks must be a list"),
    (lambda m: [(np.full_like(m[0][0], np.nan), m[0][1])], ValueError,
     "input dropout mask of layer 0 contains NaN at sample 0, unit 0"),
    (lambda m: [(m[0][0], m[0][1] * 1j)], TypeError,
     "recurrent dropout mask of layer 0 must hold real numbers"),
    (lambda m: [(m[0][0], m[0][1][:, :2])], ValueError,
     r"recurrent dropout mask of layer 0 must have shape \(3, 4\)"),
])
def test_lstm_forward_refuses_bad_dropout_masks(edit, error, match):
    layers, X = _problem()
    masks = _masks(np.random.default_rng(1), len(X))
    with pytest.raises(error, match=match):
        lstm_forward(X, layers, dropout_masks=edit(masks))


# -- 5. initialisation and layer shapes ----------------------------------------


@pytest.mark.parametrize("args, kwargs, error, match", [
    ((2, (4,)), dict(dtype=np.int64), TypeError, "dtype must be float32 or float64"),
    ((2, (4,)), dict(dtype=str), TypeError, "dtype must be float32 or float64"),
    ((2, (4,)), dict(dtype=np.complex128), TypeError, "dtype must be float32 or float64"),
    # np.dtype(None) is float64: None was run in float64
    ((2, (4,)), dict(dtype=None), TypeError, "dtype must be float32 or float64, got None"),
    ((2, (0,)), {}, ValueError, r"hidden_sizes\[0\] must be an int >= 1, got 0"),
    ((2, (4, -3)), {}, ValueError, r"hidden_sizes\[1\] must be an int >= 1, got -3"),
    ((2, (2.0,)), {}, TypeError, r"hidden_sizes\[0\] must be an int"),
    ((2, 4), {}, TypeError, r"hidden_sizes must be a list or tuple with the units of each layer"),
    ((2, ()), {}, ValueError, "hidden_sizes must hold at least one layer"),
    ((-1, (4,)), {}, ValueError, "n_features must be an int >= 1, got -1"),
    ((2.5, (4,)), {}, TypeError, "n_features must be an int"),
    ((2, (4,)), dict(rng=None), TypeError, "rng must be a numpy.random.Generator"),
    ((2, (4,)), dict(rng=0), TypeError, "rng must be a numpy.random.Generator"),
])
def test_init_lstm_layers_refuses_bad_arguments(args, kwargs, error, match):
    rng = kwargs.pop("rng", np.random.default_rng(0))
    with pytest.raises(error, match=match):
        init_lstm_layers(*args, rng, **kwargs)


@pytest.mark.parametrize("args, error, match", [
    ((2.5, (-1,)), TypeError, "n_features must be an int"),
    ((2, (-1,)), ValueError, r"hidden_sizes\[0\] must be an int >= 1"),
    ((2, 3), TypeError, "hidden_sizes must be a list"),
    ((True, (3,)), TypeError, "n_features must be an int"),
])
def test_layer_shapes_refuses_bad_sizes(args, error, match):
    with pytest.raises(error, match=match):
        layer_shapes(*args)


def test_init_accepts_numpy_integers_and_float32():
    layers = init_lstm_layers(np.int64(2), [np.int32(3)], np.random.RandomState(0),
                              dtype=np.float32)
    assert layers[0]["W"].dtype == np.float32 and np.any(layers[0]["W"] != 0)


@pytest.mark.parametrize("args, error, match", [
    ((0, 2), ValueError, "n_in must be an int >= 1"),
    ((3, 2.0), TypeError, "n_outputs must be an int"),
])
def test_init_output_layer_refuses_bad_sizes(args, error, match):
    with pytest.raises(error, match=match):
        init_output_layer(*args, np.random.default_rng(0))
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        init_output_layer(3, 2, np.random.default_rng(0), dtype=int)


@pytest.mark.parametrize("dtype", [int, np.int64, "U3", np.complex64, None])
def test_kernel_layers_refuses_a_non_float_dtype(dtype):
    layers, _ = _problem()
    with pytest.raises(TypeError, match="dtype must be float32 or float64"):
        kernel_layers(layers, dtype)


def test_kernels_pass_through_as_made_and_their_variant_is_still_checked():
    # Kernels given back are used as they are (every training and predict
    # pass gives them), whatever the dtype's spelling.
    layers, _ = _problem()
    kernels = kernel_layers(layers, np.float64)
    for dtype in (np.float64, np.dtype("float64"), "float64"):
        again = kernel_layers(kernels, dtype)
        assert again is not kernels and all(a is b for a, b in zip(again, kernels))
    # Another dtype makes new kernels of it.
    assert all(k.WbR.dtype == np.float32 for k in kernel_layers(kernels, np.float32))
    # A variant that compares equal to the kernels' without being one.
    fgr = kernel_layers(init_lstm_layers(2, (3,), np.random.RandomState(0),
                                         gate_variant="FGR"), np.float64, gate_variant="FGR")
    for variant, error in ((np.array(["FGR"]), TypeError), (pd.NA, TypeError),
                           (np.str_("FGR"), None)):
        for dtype in (np.float64, np.dtype("float64")):  # as given, and as a pass gives it
            if error is None:
                assert all(a is b for a, b in zip(kernel_layers(fgr, dtype, variant), fgr))
            else:
                with pytest.raises(error, match="gate_variant must be one of"):
                    kernel_layers(fgr, dtype, variant)


# -- 6. weights and states given to the passes ---------------------------------


def _replace(layers, depth, key, value):
    out = [dict(layer) for layer in layers]
    if value is None:
        del out[depth][key]
    else:
        out[depth][key] = value
    return out


@pytest.mark.parametrize("key", ["W", "R", "b", "p"])
def test_complex_weights_are_refused_by_layer_and_key(key):
    layers, X = _problem(hidden=(4, 3), peephole=True)
    bad = _replace(layers, 1, key, layers[1][key] + 5j)
    for run in (lstm_forward, lstm_predict):
        with pytest.raises(TypeError, match=rf"layers\[1\]\['{key}'\] must hold real numbers"):
            run(X, bad)


@pytest.mark.parametrize("key", ["W", "R", "b", "p"])
def test_weights_as_lists_work_as_arrays(key):
    layers, X = _problem(peephole=True)
    listed = _replace(layers, 0, key, layers[0][key].tolist())
    assert_array_equal(lstm_forward(X, listed)[0], lstm_forward(X, layers)[0])


@pytest.mark.parametrize("key", ["W", "R", "b"])
def test_a_missing_key_is_named(key):
    layers, X = _problem(hidden=(4, 3))
    with pytest.raises(ValueError, match=rf"layers\[1\] must have the keys .*missing \['{key}'\]"):
        lstm_forward(X, _replace(layers, 1, key, None))


def test_an_unknown_key_is_named():
    layers, X = _problem()
    with pytest.raises(ValueError, match=r"layers\[0\] must have the keys .*unknown \['bias'\]"):
        lstm_forward(X, _replace(layers, 0, "bias", layers[0]["b"]))


def test_a_wrong_shape_names_the_layer_and_key():
    layers, X = _problem(hidden=(4, 3))
    with pytest.raises(ValueError, match=r"layers\[1\]: W must have shape \(n_in, 12\)"):
        lstm_forward(X, _replace(layers, 1, "W", layers[1]["W"][:, :5]))


def test_a_ragged_weight_list_is_refused_by_name():
    layers, X = _problem()
    ragged = [[0.0] * 16, [0.0] * 15]
    with pytest.raises(ValueError, match=r"layers\[0\]\['W'\] must be a rectangular array"):
        lstm_forward(X, _replace(layers, 0, "W", ragged))


@pytest.mark.parametrize("layers_of, error, match", [
    (lambda L: L[0], TypeError, "layers must be a list or tuple with one dict of weights per layer"),
    (lambda L: [L[0]["W"]], TypeError, r"layers\[0\] must be a dict with 'W', 'R', 'b'"),
    (lambda L: "W", TypeError, "layers must be a list"),
    (lambda L: [], ValueError, "layers must hold at least one layer"),
])
def test_layers_that_are_not_a_list_of_dicts_are_refused(layers_of, error, match):
    layers, X = _problem()
    with pytest.raises(error, match=match):
        lstm_forward(X, layers_of(layers))


@pytest.mark.parametrize("name", ["h0", "c0"])
def test_initial_states_need_one_real_array_per_layer_dict(name):
    layers, X = _problem(hidden=(4, 3))
    states = [np.zeros((3, 4)), np.zeros((3, 3))]
    count = rf"{name} needs one state per layer dict \(2\), got"
    for run in (lstm_forward, lstm_predict):
        with pytest.raises(ValueError, match=f"{count} 1"):
            run(X, layers, **{name: states[:1]})
        with pytest.raises(ValueError, match=f"{count} 3"):
            run(X, layers, **{name: states + [np.zeros((3, 3))]})
        with pytest.raises(TypeError, match=rf"{name} must be a list"):
            run(X, layers, **{name: np.zeros((3, 4))})  # one array, not a list
        with pytest.raises(TypeError, match=rf"{name}\[0\], must hold real numbers"):
            run(X, layers, **{name: [states[0] * 1j, states[1]]})
        with pytest.raises(ValueError, match=rf"{name}\[1\], must have shape \(3, 3\), got"):
            run(X, layers, **{name: [states[0], np.zeros((3, 4))]})


def test_a_none_initial_state_entry_means_zeros():
    layers, X = _problem(hidden=(4, 3))
    zeros = [np.zeros((3, 4)), np.zeros((3, 3))]
    expected = lstm_forward(X, layers, h0=zeros)[0]
    assert_array_equal(lstm_forward(X, layers, h0=[None, zeros[1]])[0], expected)
    assert_array_equal(lstm_predict(X, layers, h0=[zeros[0], None])[0], expected[0])


def test_complex_d_final_states_are_refused():
    layers, X = _problem()
    out, cache = lstm_forward(X, layers)
    h, c = final_states(cache)
    with pytest.raises(TypeError, match=r"d_final_states dh\[0\] must hold real numbers"):
        lstm_backward(out, cache, d_final_states=([h[0] * 1j], c))
    with pytest.raises(TypeError, match="d_final_states must be a list"):
        lstm_backward(out, cache, d_final_states={"dh": h, "dc": c})


@pytest.mark.parametrize("chunk_steps, error", [(0, ValueError), (2.5, TypeError)])
def test_lstm_predict_refuses_a_bad_chunk(chunk_steps, error):
    layers, X = _problem()
    with pytest.raises(error, match="chunk_steps must"):
        lstm_predict(X, layers, chunk_steps=chunk_steps)


# -- flags are bools, not truthy values ----------------------------------------------


@pytest.mark.parametrize("call, name", [
    (lambda X, L: lstm_forward(X, L, return_sequences="no"), "return_sequences"),
    (lambda X, L: lstm_predict(X, L, return_sequences="no"), "return_sequences"),
    (lambda X, L: lstm_forward(X, L, bidirectional="yes"), "bidirectional"),
    (lambda X, L: lstm_backward(np.ones((3, 4)), lstm_forward(X, L)[1], input_grad="no"),
     "input_grad"),
    (lambda X, L: init_lstm_layers(2, (4,), np.random.default_rng(0), peephole="no"), "peephole"),
    (lambda X, L: init_lstm_layers(2, (4,), np.random.default_rng(0), coupled=1), "coupled"),
    (lambda X, L: layer_shapes(2, (4,), bidirectional=0), "bidirectional"),
])
def test_a_flag_that_is_not_a_bool_is_refused(call, name):
    # Read by truthiness, "no" would switch the option on.
    layers, X = _problem()[:2]
    with pytest.raises(TypeError, match=f"{name} must be True or False"):
        call(X, layers)


@pytest.mark.parametrize("forget_bias, dtype, error", [
    (np.nan, np.float64, ValueError), (1e300, np.float32, ValueError), ("1", np.float64, TypeError),
    (10**400, np.float64, ValueError),  # an int beyond float64: NumPy's OverflowError
])
def test_a_forget_bias_the_dtype_cannot_hold_is_refused(forget_bias, dtype, error):
    with pytest.raises(error, match="forget_bias must be a"):
        init_lstm_layers(2, (4,), np.random.default_rng(0), forget_bias=forget_bias, dtype=dtype)
    layers = init_lstm_layers(2, (4,), np.random.default_rng(0), forget_bias=np.float32(2))
    assert layers[0]["b"].max() == 2.0


# -- weights, states and masks: finite in the dtype the pass runs in -------------------


def _core_problem(dtype=np.float64):
    rng = np.random.default_rng(0)
    return rng.normal(size=(4, 5, 2)).astype(dtype), init_lstm_layers(2, (3,), rng)


@pytest.mark.parametrize("key, position, value, match", [
    # They ran to NaN outputs and gradients silently.
    ("W", (1, 5), np.nan, r"layers\[0\]\['W'\] contains NaN at row 1, column 5"),
    ("b", (7,), np.inf, r"layers\[0\]\['b'\] contains infinity at entry 7"),
])
def test_non_finite_weights_are_refused_by_place(key, position, value, match):
    X, layers = _core_problem()
    layers[0][key][position] = value
    for run in (lstm_forward, lstm_predict):
        with pytest.raises(ValueError, match=match):
            run(X, layers)


@pytest.mark.parametrize("case", ["weights", "h0", "c0", "mask"])
def test_values_beyond_float32_are_refused_where_the_pass_runs_in_float32(case):
    # Finite in float64, they became inf in the cast to X's float32 (with a
    # NumPy overflow warning) and the outputs NaN.
    X, layers = _core_problem(np.float32)
    big = np.full((4, 3), 1e39)
    kwargs = {"h0": {"h0": [big]}, "c0": {"c0": [big]},
              "mask": {"dropout_masks": [(np.full((4, 2), 1e39), None)]}}.get(case, {})
    if case == "weights":
        layers[0]["W"] = layers[0]["W"] * 1e39
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no NumPy overflow warning either
        with pytest.raises(ValueError, match=r"contains infinity at .* \(in float32, the dtype "
                                             r"of X: a value beyond its range became infinite\)"):
            lstm_forward(X, layers, **kwargs)
    # The same values are fine where the pass runs in float64.
    assert np.isfinite(lstm_forward(X.astype(np.float64), layers, **kwargs)[0]).all()


@pytest.mark.parametrize("key", ["W", "R"])
def test_a_weight_set_to_none_is_missing(key):
    X, layers = _core_problem()
    layers[0][key] = None  # a KeyError came from inside the shape check
    with pytest.raises(ValueError, match=rf"missing \['{key}'\]"):
        lstm_forward(X, layers)


@pytest.mark.parametrize("call, exc, match", [
    (lambda: gate_blocks("no"), TypeError, r"coupled must be True or False, got 'no'"),
    (lambda: gate_blocks(False, ["NIG"]), TypeError, r"gate_variant must be one of"),
    (lambda: layer_shapes(2, (3,), gate_variant=["NIG"]), TypeError, r"gate_variant must be"),
])
def test_gate_layout_arguments_are_checked_before_the_cache(call, exc, match):
    # "no" was read as True (the coupled layout); a list failed in lru_cache.
    with pytest.raises(exc, match=match):
        call()
    assert gate_blocks(np.True_) == ("i", "g", "o")


def test_big_endian_input_runs_as_native():
    X, layers = _core_problem()
    assert_array_equal(lstm_forward(X.astype(">f8"), layers)[0], lstm_forward(X, layers)[0])


def test_a_ragged_X_is_named():
    layers, X = _problem()
    for run in (lstm_forward, lstm_predict):
        with pytest.raises(ValueError, match=r"X must be a rectangular array"):
            run([X[0], X[1, :2]], layers)


@pytest.mark.parametrize("gradient", ["d_outputs", "d_final_states"])
def test_a_finite_gradient_beyond_float32_is_refused_where_the_pass_runs_in_float32(gradient):
    # The cast to float32 made it inf, with a NumPy warning, and the gradients NaN.
    X, layers = _core_problem(np.float32)
    outputs, cache = lstm_forward(X, layers)
    big = np.full(outputs.shape, 1e39)
    args = ((big,), {}) if gradient == "d_outputs" else (
        (np.zeros_like(outputs),), {"d_final_states": ([big], [None])}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(ValueError, match=r"holds 1e\+39 at sample 0, unit 0, beyond the "
                                             r"range of float32"):
            lstm_backward(*args[0], cache, **args[1])
    # At a padded step, which the pass does not read, it is no error.
    outputs, cache = lstm_forward(X, layers, lengths=[5, 2, 5, 3], return_sequences=True)
    d_outputs = np.zeros(outputs.shape)
    d_outputs[1, 3] = 1e39
    assert np.isfinite(lstm_backward(d_outputs, cache)["layers"][0]["W"]).all()
    d_outputs[1, 1] = 1e39
    with pytest.raises(ValueError, match=r"at sample 1, step 1, unit 0"):
        lstm_backward(d_outputs, cache)
    outputs, cache = lstm_forward(X, layers)
    # Non-finite gradients still pass through, as before.
    assert np.isnan(lstm_backward(np.full(outputs.shape, np.inf), cache)["layers"][0]["b"]).all()


@pytest.mark.parametrize("kernels", [True, False])
def test_weights_changed_in_place_after_a_pass_do_not_reach_it(kernels):
    # Kernel layers, and a forward pass's cache, held the caller's peepholes:
    # an in-place update between calls gave gradients of neither the old nor
    # the new weights (every key's wrong by up to 0.5).
    rng = np.random.default_rng(0)
    layers = init_lstm_layers(2, (3,), rng, peephole=True)
    X = rng.normal(size=(4, 5, 2))
    fresh = [{key: value.copy() for key, value in layer.items()} for layer in layers]
    expected = lstm_backward(np.ones((4, 3)), lstm_forward(X, fresh)[1])
    given = kernel_layers(layers, np.float64) if kernels else layers
    outputs, cache = lstm_forward(X, given)
    for value in layers[0].values():
        value += 1.0  # an optimizer's in-place step
    if kernels:
        outputs, cache = lstm_forward(X, given)
        # Run in another dtype, the kernels re-pack the weights they were made from.
        assert_array_equal(lstm_forward(X.astype(np.float32), given)[0],
                           lstm_forward(X.astype(np.float32), fresh)[0])
    grads = lstm_backward(np.ones_like(outputs), cache)
    for key, value in expected["layers"][0].items():
        assert_array_equal(grads["layers"][0][key], value)


# -- masked arrays: their masked values are not data ----------------------------


def _masked(values):
    masked = np.ma.masked_array(np.array(values, dtype=float), mask=False)
    masked.mask.flat[0] = True
    return masked


@pytest.mark.parametrize("argument", ["X", "lengths", "h0", "W", "d_outputs"])
def test_masked_arrays_are_refused_naming_the_argument(argument):
    # np.asarray dropped the mask: the hidden values ran as data.
    layers, X = _problem()
    kwargs = {}
    if argument == "X":
        X = _masked(X)
    elif argument == "lengths":
        kwargs["lengths"] = np.ma.masked_array([5, 5, 5], mask=[True, False, False])
    elif argument == "h0":
        kwargs["h0"] = [_masked(np.zeros((3, 4)))]
    elif argument == "W":
        layers[0]["W"] = _masked(layers[0]["W"])
    name = {"W": r"layers\[0\]\['W'\]"}.get(argument, argument)
    with pytest.raises(TypeError, match=f"{name}.* is a masked array"):
        out, cache = lstm_forward(X, layers, **kwargs)
        lstm_backward(_masked(np.ones_like(out)), cache)


def test_a_masked_array_named_by_a_phrase_is_told_to_fill_it():
    # "Pass The input dropout mask of layer 0.filled(value)": no expression.
    layers, X = _problem()
    masks = [(_masked(np.ones((3, 2))), None)]
    with pytest.raises(TypeError, match=r"^The input dropout mask of layer 0 is a masked array, "
                                        r"whose mask sklstm would lose\. Pass it\.filled\(value\)"):
        lstm_forward(X, layers, dropout_masks=masks)


def test_masked_weights_set_on_a_fitted_estimator_are_refused():
    from sklstm import LSTMRegressor

    layers, X = _problem()
    model = LSTMRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=3,
                          random_state=0).fit(X, X[:, -1, 0])
    expected = model.predict(X)
    model.coefs_[0]["W"] = _masked(model.coefs_[0]["W"])
    with pytest.raises(TypeError, match=r"coefs_\[0\]\['W'\] is a masked array"):
        model.predict(X)
    model.coefs_[0]["W"] = model.coefs_[0]["W"].filled(0.0)  # the values meant
    assert model.predict(X).shape == expected.shape


@pytest.mark.filterwarnings("ignore::sklstm.exceptions.IterationLimitWarning")
def test_hand_set_float64_weights_beyond_a_float32_model_are_named():
    """Fixed bug: on a model fitted in float32, a float64 weight of 1e39 set
    by hand became inf in the cast, and predict reported only 'non-finite
    outputs'; the core names the array, and so does the estimator now."""
    from sklstm import LSTMRegressor

    _, X = _problem()
    X = X.astype(np.float32)
    model = LSTMRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=3,
                          random_state=0).fit(X, X[:, -1, 0])
    expected = model.predict(X)
    layers = [{name: array.astype(np.float64) for name, array in layer.items()}
              for layer in model.coefs_]
    model.coefs_ = layers
    assert_array_equal(model.predict(X), expected)  # float64 copies of the same values
    layers[0]["W"][1, 2] = 1e39
    with pytest.raises(ValueError, match=r"coefs_\[0\]\['W'\] contains infinity at row 1, "
                                         r"column 2\. .*in float32"):
        model.predict(X)
    layers[0]["W"][1, 2] = 0.0
    model.out_intercept_ = np.array([-1e300])
    with pytest.raises(ValueError, match=r"out_intercept_ contains infinity at index 0"):
        model.predict(X)


# -- sizes beyond what NumPy can index or memory can hold ------------------------


@pytest.mark.parametrize("make, match", [
    (lambda rng: layer_shapes(2, (2**62,)),
     r"layers\[0\]\['W'\] would have shape \(2, 18446744073709551616\): more bytes than "
     r"NumPy can address"),
    (lambda rng: init_lstm_layers(2, (2**62,), rng), r"layers\[0\]\['W'\] would have shape"),
    (lambda rng: init_lstm_layers(2, (10**7,), rng),
     r"The weights of n_features=2 and hidden_sizes=\[10000000\] \(2.91e\+03 TiB\) do not "
     r"fit in memory"),
    (lambda rng: init_lstm_layers(2**33, (4,), rng),
     r"The weights of n_features=8589934592 and hidden_sizes=\[4\] \(1 TiB\) do not fit"),
    # beyond NumPy's bytes, though not its count of numbers
    (lambda rng: init_lstm_layers(2**60, (1,), rng), r"layers\[0\]\['W'\] would have shape"),
    (lambda rng: init_output_layer(2**61, 2, rng), r"more bytes than NumPy can address"),
    (lambda rng: init_output_layer(2**62, 2**62, rng),
     r"The output layer's coef would have shape"),
    (lambda rng: init_output_layer(10**6, 10**6, rng),
     r"The output layer's weights \(1000000 x 1000000, 7.28 TiB\) do not fit in memory"),
    (lambda rng: draw_dropout_masks(rng, 2**62, [(2, 3)], 0.5, 0.0, np.float64),
     r"layer 0's input dropout mask would have shape \(4611686018427387904, 2\)"),
    (lambda rng: draw_dropout_masks(rng, 10**7, [(2, 10**6)], 0.0, 0.5, np.float64),
     r"Dropout masks for 10000000 samples do not fit in memory"),
])
def test_sizes_beyond_numpy_or_memory_are_refused_by_name(make, match):
    """NumPy said 'array is too big', 'Maximum allowed dimension exceeded' or
    'Unable to allocate 728. TiB' from inside its random module."""
    rng = np.random.RandomState(0)
    with pytest.raises(ValueError, match=match):
        make(rng)
    # Refused before any draw, so at once: it drew the first layer's 80 million
    # weights first, for seconds, and left the caller's generator moved.
    np.testing.assert_equal(rng.get_state(), np.random.RandomState(0).get_state())


@pytest.mark.parametrize("call, match", [
    # A duration is a NumPy integer to NumPy's type tree: it was read as its
    # count (3 days, a forget bias of 3), or failed inside int().
    (lambda rng: init_lstm_layers(2, (3,), rng, forget_bias=np.timedelta64(3, "D")),
     "forget_bias must be a real number"),
    (lambda rng: layer_shapes(np.timedelta64(3, "s"), (3,)), "n_features must be an int >= 1"),
    (lambda rng: layer_shapes(np.timedelta64(3, "D"), (3,)), "n_features must be an int >= 1"),
    (lambda rng: draw_dropout_masks(rng, np.timedelta64(3, "s"), [(2, 3)], 0.5, 0.5,
                                    np.float64), "n_samples must be an int >= 1"),
    (lambda rng: draw_dropout_masks(rng, 3, [(2, 3)], np.timedelta64(1, "s"), 0.5, np.float64),
     r"dropout must be a float in \[0, 1\)"),
    (lambda rng: lstm_predict(np.zeros((2, 3, 2)), init_lstm_layers(2, (3,), rng),
                              chunk_steps=np.timedelta64(2, "ms")), "chunk_steps must be an int"),
])
def test_durations_are_no_numbers(call, match):
    with pytest.raises(TypeError, match=match):
        call(np.random.default_rng(0))


def test_a_float_dtype_of_another_byte_order_is_its_float():
    # '>f8' was refused as "dtype must be float32 or float64", where X,
    # weights and states of that dtype are read as float64.
    rng = np.random.default_rng(0)
    layers = init_lstm_layers(2, (3,), rng, dtype=np.dtype(">f8"))
    assert layers[0]["W"].dtype == np.float64 and layers[0]["W"].dtype.isnative
    coef, _ = init_output_layer(3, 1, rng, dtype=np.dtype(">f4"))
    assert coef.dtype == np.float32 and coef.dtype.isnative


def test_the_core_passes_take_their_arguments_by_keyword():
    rng = np.random.default_rng(0)
    layers = init_lstm_layers(3, (4,), rng)
    X = rng.normal(size=(2, 5, 3))
    out, cache = lstm_forward(X=X, layers=layers)
    assert_array_equal(lstm_predict(X=X, layers=layers), out)
    grads = lstm_backward(d_outputs=np.ones_like(out), cache=cache)
    assert grads["X"].shape == X.shape


def test_a_pass_whose_arrays_do_not_fit_in_memory_is_refused_by_name(monkeypatch):
    # NumPy's MemoryError named a flat block of a size and shape the caller
    # never gave ("Unable to allocate 42.7 GiB ... shape (11470416416,)").
    import sklstm._kernel
    import sklstm._lstm

    rng = np.random.RandomState(0)
    layers = init_lstm_layers(2, (3,), rng)
    X = rng.normal(size=(4, 5, 2))
    out, cache = lstm_forward(X, layers)

    def too_large(*args):
        raise MemoryError("Unable to allocate 42.7 GiB for an array with shape (11470416416,)")

    monkeypatch.setattr(sklstm._kernel._POOL, "take", too_large)  # the passes' blocks
    monkeypatch.setattr(sklstm._lstm, "_layer_backward", too_large)  # and the gradients'
    for call, name, shape in [(lambda: lstm_forward(X, layers), "lstm_forward", X.shape),
                              (lambda: lstm_forward(X=X, layers=layers), "lstm_forward",
                               X.shape),
                              (lambda: lstm_predict(X, layers), "lstm_predict", X.shape),
                              (lambda: lstm_backward(np.ones_like(out), cache), "lstm_backward",
                               out.shape)]:
        with pytest.raises(ValueError, match=re.escape(
                f"The arrays of {name} on an input of shape {shape} do not fit in memory: "
                "pass fewer or shorter sequences at a time")):
            call()


def test_largest_safe_input_checks_the_stack_as_lstm_forward_does():
    """It returned a bound for a flag of 'no' and for an odd bidirectional stack."""
    rng = np.random.RandomState(0)
    two_layers = init_lstm_layers(2, (3, 4), rng)
    with pytest.raises(TypeError, match="bidirectional must be True or False, got 'no'"):
        largest_safe_input(two_layers, np.float32, bidirectional="no")
    with pytest.raises(ValueError, match="needs an even number of layer dicts, got 1"):
        largest_safe_input(init_lstm_layers(2, (3,), rng), np.float32, bidirectional=True)
    # A plain stack read as one bidirectional layer: its second dict is the
    # backward twin of the first (the message named no reason).
    with pytest.raises(ValueError, match=r"layers\[1\] expects 3 inputs, got 2 \(with "
                       r"bidirectional=True, layers\[1\] is the backward direction of "
                       r"layers\[0\] and reads its inputs: give two layer dicts per layer"):
        largest_safe_input(two_layers, np.float32, bidirectional=True)
    with pytest.raises(ValueError, match=r"layers\[1\] expects 3 inputs, got 2 \(with "):
        lstm_forward(rng.normal(size=(2, 4, 2)), two_layers, bidirectional=True)


def test_kernels_made_for_another_variant_are_named_with_the_remedy():
    rng = np.random.RandomState(0)
    layers = init_lstm_layers(2, (3,), rng)
    kernels = kernel_layers(layers, np.float64)
    X = rng.normal(size=(2, 4, 2))
    with pytest.raises(ValueError, match=r"layers\[0\] is a kernel layer of gate_variant=None, "
                       r"which cannot run as gate_variant='NIAF': pass gate_variant=None, or "
                       r"make kernels of 'NIAF' from the layer dicts with kernel_layers\(dicts, "
                       r"dtype, gate_variant='NIAF'\)"):
        lstm_forward(X, kernels, gate_variant="NIAF")
    # Either remedy, followed, runs (NIAF reads the same arrays).
    np.testing.assert_array_equal(lstm_forward(X, kernels)[0], lstm_forward(X, layers)[0])
    out, _ = lstm_forward(X, kernel_layers(layers, np.float64, gate_variant="NIAF"),
                          gate_variant="NIAF")
    np.testing.assert_array_equal(out, lstm_forward(X, layers, gate_variant="NIAF")[0])


@pytest.mark.parametrize("sign", [1.0, -1.0])
def test_peepholes_on_a_cell_state_near_the_largest_float_saturate_without_a_warning(sign):
    """``p c`` overflows to ±inf where ``c0`` nears the largest float: the
    gates take their exact saturated limits, as from a state that does not
    overflow (1e300, whose products already saturate), and NumPy's overflow
    warning stayed out of the result."""
    rng = np.random.default_rng(0)
    layers = init_lstm_layers(3, [4], rng, peephole=True)
    layers[0]["p"][:] = 10.0
    X = rng.normal(size=(2, 5, 3))

    def run(c0):
        outputs, cache = lstm_forward(X, layers, c0=[np.full((2, 4), sign * c0)])
        return outputs, lstm_predict(X, layers, c0=[np.full((2, 4), sign * c0)]), cache

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        outputs, predicted, cache = run(1e308)
        grads = lstm_backward(np.ones_like(outputs), cache)
    expected, _, _ = run(1e300)
    assert_array_equal(outputs, expected)
    assert_array_equal(predicted, expected)
    assert all(np.isfinite(g).all() for g in grads["layers"][0].values())


@pytest.mark.parametrize("gate_variant", [
    np.array(["NIG"]), np.array(["NIG", "NFG"]), np.array([None]), pd.NA, 10**5000,
], ids=["one-element array", "array", "array of None", "pd.NA", "huge int"])
def test_a_gate_variant_that_is_no_name_is_refused_by_name(gate_variant):
    # `in` compares an array element-wise: a one-element array passed the
    # check and failed at a cache lookup ("unhashable type"), a longer one
    # and pd.NA failed on their truth value.
    rng = np.random.default_rng(0)
    layers = init_lstm_layers(2, [3], rng)
    X = rng.normal(size=(2, 4, 2))
    for call in (lambda: lstm_forward(X, layers, gate_variant=gate_variant),
                 lambda: largest_safe_input(layers, np.float64, gate_variant=gate_variant),
                 lambda: gate_blocks(False, gate_variant)):
        with pytest.raises(TypeError, match=r"^gate_variant must be one of \(None, 'NIG'"):
            call()


def test_ints_too_long_to_write_are_quoted_by_the_cores_checks():
    # Python refuses to write an int beyond 4300 digits: quoting one replaced
    # the message with its own "Exceeds the limit".
    rng = np.random.default_rng(0)
    layers = init_lstm_layers(2, [3], rng)
    X = rng.normal(size=(2, 4, 2))
    huge = 10**5000
    refused = [
        (lambda: lstm_forward(X, layers, return_sequences=huge), TypeError, "return_sequences"),
        (lambda: draw_dropout_masks(rng, 2, [(2, 3)], huge, 0.0, np.float64), ValueError,
         "dropout must lie in"),
        (lambda: init_lstm_layers(2, [3], rng, dtype=huge), TypeError, "dtype must be float32"),
        (lambda: init_lstm_layers(2, [3], rng, forget_bias=huge), ValueError,
         "forget_bias must be a finite float64"),
    ]
    for call, error, match in refused:
        with pytest.raises(error, match=match) as caught:
            call()
        assert "<an int of 5001 digits>" in str(caught.value)
