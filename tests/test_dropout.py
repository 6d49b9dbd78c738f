"""Variational dropout in the core: masks, their effect, and exact gradients with a fixed mask."""

import warnings

import numpy as np
import pytest
from sklearn.exceptions import ConvergenceWarning
from lstm_reference import check_core_gradients, reference_forward

from sklstm import LSTMRegressor
from sklstm._lstm import draw_dropout_masks, lstm_forward, lstm_predict
from sklstm._params import layer_shapes

LENGTHS = np.array([4, 2, 3])


def setup(seed, hidden_sizes=(3, 2), variant=None, bidirectional=False, rates=(0.3, 0.4)):
    rng = np.random.default_rng(seed)
    shapes = layer_shapes(2, hidden_sizes, peephole=True, gate_variant=variant,
                          bidirectional=bidirectional)
    layers = [{k: rng.normal(scale=0.6, size=s) for k, s in d.items()} for d in shapes]
    X = rng.normal(size=(3, 4, 2))
    sizes = [(d["W"].shape[0], d["R"].shape[0]) for d in layers]
    masks = draw_dropout_masks(rng, 3, sizes, *rates, np.float64)
    return rng, X, layers, masks


@pytest.mark.parametrize("variant", [None, "NOG", "FGR"], ids=str)
@pytest.mark.parametrize("bidirectional", [False, True], ids=["uni", "bi"])
@pytest.mark.parametrize("return_sequences", [False, True], ids=["many2one", "many2many"])
def test_masked_forward_matches_transcription(variant, bidirectional, return_sequences):
    """Input mask on x_t, recurrent mask on the h_{t-1} the gates read; the output is h itself."""
    _, X, layers, masks = setup(1, variant=variant, bidirectional=bidirectional)
    kwargs = dict(lengths=LENGTHS, return_sequences=return_sequences)
    out, _ = lstm_forward(X, layers, gate_variant=variant, bidirectional=bidirectional,
                          dropout_masks=masks, **kwargs)
    ref = reference_forward(X, layers, variant=variant, bidirectional=bidirectional,
                            masks=masks, **kwargs)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-12)
    plain, _ = lstm_forward(X, layers, gate_variant=variant, bidirectional=bidirectional, **kwargs)
    assert not np.allclose(out, plain)


@pytest.mark.parametrize(
    "bidirectional, return_sequences, rates",
    [(False, False, (0.3, 0.4)), (False, True, (0.3, 0.4)), (True, False, (0.5, 0.0)),
     (True, True, (0.0, 0.5))],
)
def test_gradients_with_fixed_masks(bidirectional, return_sequences, rates):
    rng, X, layers, masks = setup(2, bidirectional=bidirectional, rates=rates)
    h0 = [rng.normal(size=(3, d["R"].shape[0])) for d in layers]
    c0 = [rng.normal(size=(3, d["R"].shape[0])) for d in layers]
    check_core_gradients(X, layers, h0, c0, rng, lengths=LENGTHS,
                         return_sequences=return_sequences, bidirectional=bidirectional,
                         dropout_masks=masks)


def test_masks_are_inverted_and_seeded():
    layers = [(5, 400)]
    a = draw_dropout_masks(np.random.RandomState(0), 50, layers, 0.25, 0.5, np.float32)
    b = draw_dropout_masks(np.random.RandomState(0), 50, layers, 0.25, 0.5, np.float32)
    (mx, mh), = a
    assert mx.shape == (50, 5) and mh.shape == (50, 400) and mh.dtype == np.float32
    assert set(np.unique(mh)) == {0.0, 2.0}  # kept units scale by 1 / (1 - 0.5)
    assert set(np.unique(mx)) <= {0.0, np.float32(1 / 0.75)}
    assert abs(mh.mean() - 1.0) < 0.02  # the expected value is unchanged
    np.testing.assert_array_equal(a[0][1], b[0][1])
    none = draw_dropout_masks(np.random.RandomState(0), 50, layers, 0.0, 0.0, np.float32)
    assert none == [(None, None)]


def test_one_mask_for_every_step():
    """A dropped input channel is dropped at every step: the output ignores it."""
    _, X, layers, _ = setup(3, hidden_sizes=(3,))
    mask_x = np.ones((3, 2))
    mask_x[:, 1] = 0
    out, _ = lstm_forward(X, layers, dropout_masks=[(mask_x, None)], return_sequences=True)
    X2 = X.copy()
    X2[:, :, 1] = 7.0
    out2, _ = lstm_forward(X2, layers, dropout_masks=[(mask_x, None)], return_sequences=True)
    np.testing.assert_array_equal(out, out2)
    ones, _ = lstm_forward(X, layers, dropout_masks=[(np.ones((3, 2)), np.ones((3, 3)))],
                           return_sequences=True)
    np.testing.assert_array_equal(ones, lstm_predict(X, layers, return_sequences=True))


def test_masks_follow_their_samples_when_sorted_by_length():
    """Ragged batches are sorted inside the core; each sample keeps its own mask."""
    _, X, layers, masks = setup(4)
    full, _ = lstm_forward(X, layers, lengths=LENGTHS, dropout_masks=masks)
    for s in range(3):
        one = [tuple(None if m is None else m[s : s + 1] for m in pair) for pair in masks]
        alone, _ = lstm_forward(X[s : s + 1, : LENGTHS[s]], layers, dropout_masks=one)
        np.testing.assert_allclose(full[s], alone[0], rtol=1e-13)


def test_mask_shapes_are_checked():
    _, X, layers, masks = setup(5)
    with pytest.raises(ValueError, match="one pair per layer dict"):
        lstm_forward(X, layers, dropout_masks=masks[:1])
    bad = [(masks[0][0][:, :1], masks[0][1]), masks[1]]
    with pytest.raises(ValueError, match="input dropout mask of layer 0 must have shape"):
        lstm_forward(X, layers, dropout_masks=bad)


# -- through the estimators ------------------------------------------------------


def _data():
    rng = np.random.default_rng(6)
    X = rng.normal(size=(30, 5, 2))
    return X, X[:, :, 0].sum(axis=1)


def _fit(**params):
    X, y = _data()
    # Every step on its own, so that coefs_ apply to X as it is.
    params = {"max_iter": 4, "batch_size": 8, "random_state": 0, "standardize": False,
              "scale_targets": False, "patch_length": 1, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        return LSTMRegressor((4,), **params).fit(X, y)


@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_dropout_fits_are_reproducible(solver, assert_same_weights):
    a = _fit(solver=solver, dropout=0.3, recurrent_dropout=0.3)
    b = _fit(solver=solver, dropout=0.3, recurrent_dropout=0.3)
    assert_same_weights(a, b)
    plain = _fit(solver=solver)
    assert not np.array_equal(a.coefs_[0]["W"], plain.coefs_[0]["W"])
    other = _fit(solver=solver, dropout=0.3, recurrent_dropout=0.3, random_state=1)
    assert not np.array_equal(a.coefs_[0]["W"], other.coefs_[0]["W"])


def test_prediction_uses_the_whole_network():
    """Inverted scaling: predict needs no masks and no change, and is deterministic."""
    model = _fit(dropout=0.5, recurrent_dropout=0.5)
    X, _ = _data()
    hidden, _ = lstm_forward(X, model.coefs_)
    expected = (hidden @ model.out_coef_ + model.out_intercept_)[:, 0]
    np.testing.assert_allclose(model.predict(X), expected, rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X), model.predict(X))


def test_dropout_with_partial_fit_and_every_feature():
    X, y = _data()
    model = LSTMRegressor((3, 2), dropout=0.2, recurrent_dropout=0.2, bidirectional=True,
                          gate_variant="NOAF", peephole=True, patch_length=1, random_state=0)
    for _ in range(2):
        model.partial_fit(X, y)
    assert np.isfinite(model.loss_)
    assert model.predict(X).shape == (30,)


def test_refused_dropout_keeps_the_fitted_model(assert_same_weights):
    model = _fit(solver="lbfgs")
    before = LSTMRegressor().set_params(**model.get_params())
    before.__dict__.update({k: v for k, v in vars(model).items() if k.endswith("_")})
    model.set_params(dropout=0.1)
    with pytest.raises(ValueError, match="dropout=0.1 needs a stochastic solver"):
        model.fit(*_data())
    assert_same_weights(model, before)
