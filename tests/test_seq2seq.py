"""The LSTM encoder-decoder: exact gradients, causality, and its estimator."""

import copy
import pickle
import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklstm import LSTMEncoderDecoderRegressor

from sklstm._loss import Objective, loss_and_grad
from sklstm._lstm import draw_dropout_masks, final_states, lstm_forward
from sklstm._seq2seq import EncoderDecoder, EncoderDecoderLayout
from sklstm.core import GateInputOverflow
from sklstm.exceptions import DataLayoutWarning, IterationLimitWarning
from sklstm.forecasting import make_windows


def _random_network(rng, *, n_channels=3, n_future=2, sizes=(3, 2), n_step_outputs=2,
                    horizon=3, peephole=False, coupled=False, pass_states=False):
    layout = EncoderDecoderLayout(
        n_channels, n_future, sizes, n_step_outputs, peephole=peephole, coupled=coupled
    )
    # Random non-zero values everywhere, biases and peepholes included.
    theta = rng.uniform(-0.8, 0.8, size=layout.size)
    return EncoderDecoder(layout, horizon, pass_states), theta


GRADIENT_VARIANTS = [
    {},
    {"peephole": True},
    {"coupled": True, "peephole": True},
    {"sizes": (1,), "n_future": 0, "n_step_outputs": 1, "horizon": 1, "n_channels": 1},
    {"sizes": (2,), "n_future": 3, "n_channels": 3, "horizon": 2},
    {"pass_states": True},
    {"pass_states": True, "peephole": True, "coupled": True},
    {"pass_states": True, "sizes": (1,), "n_future": 0, "n_step_outputs": 1,
     "horizon": 1, "n_channels": 1},
]


def _variant_id(settings):
    """A test id that names the settings, usable with ``-k``:
    ``coupled-peephole``, ``sizes2-n_future3``, ``default``."""
    def word(key, value):
        if value is True:
            return key
        return key + ("x".join(map(str, value)) if isinstance(value, tuple) else str(value))
    return "-".join(word(key, value) for key, value in settings.items()) or "default"


# Every variant on a batch of 4; a batch of one sample (shapes of one row,
# where a squeeze would drop an axis) for the two variants of one unit, one
# channel and one step, with and without the states passed on, and for the
# default one.
@pytest.mark.parametrize("variant, n_samples", [
    *(pytest.param(variant, 4, id=f"{_variant_id(variant)}-batch4")
      for variant in GRADIENT_VARIANTS),
    *(pytest.param(GRADIENT_VARIANTS[k], 1, id=f"{_variant_id(GRADIENT_VARIANTS[k])}-batch1")
      for k in (0, 3, 7)),
])
def test_gradient_matches_central_differences(variant, n_samples, numerical_gradient):
    # Every parameter (encoder, decoder, head), through the one loss_and_grad,
    # with the L2 penalty and sample weights.
    rng = np.random.RandomState(0)
    network, theta = _random_network(rng, **variant)
    window = 4
    X = rng.normal(size=(n_samples, window + network.horizon, network.layout.n_channels))
    Y = rng.normal(size=(n_samples, network.horizon * network.layout.n_step_outputs))
    sw = rng.uniform(0.5, 2.0, size=n_samples)
    objective = Objective("squared_error", 0.3)

    def loss():
        return loss_and_grad(theta, X, Y, None, sw, network, objective)[0]

    _, grad = loss_and_grad(theta, X, Y, None, sw, network, objective)
    expected = numerical_gradient(loss, theta)
    # Differences are exact to ~1e-9 here (rounding / eps); a wrong term
    # would be off by the size of the gradient, ~1e-2.
    np.testing.assert_allclose(grad, expected, rtol=1e-5, atol=1e-8)


@pytest.mark.parametrize("pass_states", [False, True], ids=["no_pass_states", "pass_states"])
@pytest.mark.parametrize("sizes", [(3,), (3, 2)], ids=["sizes3", "sizes3x2"])
def test_gradient_with_fixed_dropout_masks_matches_central_differences(
    pass_states, sizes, numerical_gradient
):
    # With the masks held fixed, the loss is a smooth function of theta; the
    # decoder's first layer's input mask covers the covariates and the context.
    rng = np.random.RandomState(4)
    network, theta = _random_network(rng, sizes=sizes, pass_states=pass_states)
    X = rng.normal(size=(4, 4 + network.horizon, network.layout.n_channels))
    Y = rng.normal(size=(4, network.horizon * network.layout.n_step_outputs))
    masks = draw_dropout_masks(rng, 4, network.layout.layer_sizes, 0.3, 0.4, np.float64)
    assert len(masks) == 2 * len(sizes)
    objective = Objective("squared_error", 0.3)

    def loss():
        return loss_and_grad(theta, X, Y, None, None, network, objective, masks)[0]

    _, grad = loss_and_grad(theta, X, Y, None, None, network, objective, masks)
    np.testing.assert_allclose(grad, numerical_gradient(loss, theta), rtol=1e-5, atol=1e-8)
    # The masks change the loss: they are applied, not ignored.
    assert loss_and_grad(theta, X, Y, None, None, network, objective)[0] != loss()


def test_dropout_masks_split_between_encoder_and_decoder():
    # By hand: the encoder's layers take the first masks, the decoder's the rest.
    rng = np.random.RandomState(5)
    network, theta = _random_network(rng, sizes=(3,), pass_states=True)
    X = rng.normal(size=(5, 7, 3))
    masks = draw_dropout_masks(rng, 5, network.layout.layer_sizes, 0.5, 0.5, np.float64)
    layers, coef, intercept = network.layout.unpack(theta)
    seq, cache = lstm_forward(X[:, :4], layers[:1], dropout_masks=masks[:1],
                              return_sequences=True)
    h0, c0 = [seq[:, -1]], [final_states(cache)[1][0]]
    U = np.concatenate([X[:, 4:, 1:], np.repeat(seq[:, -1:], 3, axis=1)], axis=2)
    hidden, _ = lstm_forward(U, layers[1:], h0=h0, c0=c0, dropout_masks=masks[1:],
                             return_sequences=True)
    expected = np.einsum("bth,hk->btk", hidden, coef) + intercept
    z, _, _ = network.forward(theta, X, None, masks)
    np.testing.assert_allclose(z, expected.reshape(5, 6), rtol=1e-12)


def test_forward_matches_a_composition_of_the_core():
    # The documented composition, built by hand: the encoder's context next
    # to the future channels at every decoder step, a dense head per step.
    rng = np.random.RandomState(1)
    network, theta = _random_network(rng)
    X = rng.normal(size=(5, 7, 3))
    layers, coef, intercept = network.layout.unpack(theta)
    context, _ = lstm_forward(X[:, :4], layers[:2])
    U = np.concatenate([X[:, 4:, 1:], np.repeat(context[:, None], 3, axis=1)], axis=2)
    hidden, _ = lstm_forward(U, layers[2:], return_sequences=True)
    expected = np.einsum("bth,hk->btk", hidden, coef) + intercept
    z, _, _ = network.forward(theta, X, None)
    np.testing.assert_allclose(z, expected.reshape(5, 6), rtol=1e-12)


@pytest.mark.parametrize("pass_states", [False, True])
def test_non_finite_encoder_weights_give_a_nan_loss_not_an_error(pass_states):
    # A diverging solver may try such weights; NaN is how it learns of it.
    rng = np.random.RandomState(3)
    network, theta = _random_network(rng, pass_states=pass_states)
    X = rng.normal(size=(4, 7, 3))
    Y = rng.normal(size=(4, 6))
    theta[0] = np.nan  # an encoder weight
    loss, grad = loss_and_grad(theta, X, Y, None, None, network, Objective("squared_error", 0.1))
    assert np.isnan(loss) and np.isnan(grad).all()


def test_passed_states_are_the_encoders_final_states_layer_by_layer():
    # By hand: the decoder's layer l starts from the encoder's layer l's
    # final (h, c), read off a forward pass that returns every step.
    rng = np.random.RandomState(6)
    network, theta = _random_network(rng, pass_states=True)
    X = rng.normal(size=(5, 7, 3))
    layers, coef, intercept = network.layout.unpack(theta)
    lower_seq, lower_cache = lstm_forward(X[:, :4], layers[:1], return_sequences=True)
    top_seq, top_cache = lstm_forward(lower_seq, layers[1:2], return_sequences=True)
    h0 = [lower_seq[:, -1], top_seq[:, -1]]
    c0 = [final_states(lower_cache)[1][0], final_states(top_cache)[1][0]]
    U = np.concatenate([X[:, 4:, 1:], np.repeat(top_seq[:, -1:], 3, axis=1)], axis=2)
    hidden, _ = lstm_forward(U, layers[2:], h0=h0, c0=c0, return_sequences=True)
    expected = np.einsum("bth,hk->btk", hidden, coef) + intercept
    z, _, _ = network.forward(theta, X, None)
    np.testing.assert_allclose(z, expected.reshape(5, 6), rtol=1e-12)
    # Starting from zeros instead gives another forecast.
    zeros = EncoderDecoder(network.layout, network.horizon, pass_states=False)
    assert np.abs(zeros.forward(theta, X, None)[0] - z).min() > 0


@pytest.mark.parametrize("pass_states", [False, True])
@pytest.mark.parametrize("variant", [{}, {"peephole": True, "coupled": True}])
def test_predict_equals_forward_and_keeps_no_backward_cache(pass_states, variant, peak_bytes):
    rng = np.random.RandomState(8)
    network, theta = _random_network(rng, sizes=(16, 16), pass_states=pass_states, **variant)
    X = rng.normal(size=(1000, 43, 3))  # windows of 40 steps, a horizon of 3
    expected = network.forward(theta, X, None)[0]
    np.testing.assert_array_equal(network.predict(theta, X, None), expected)
    # Chunks of a few samples: the same to rounding (BLAS may sum fewer rows
    # in another order).
    got = network.predict(theta, X, None, working_memory=0.05)
    np.testing.assert_allclose(got, expected, rtol=1e-12, atol=1e-12)
    # Predicting keeps each layer's current step only: the training pass's
    # cache of every window step of every layer (about 80 MiB here) is
    # what set the peak when prediction ran through it.
    training = peak_bytes(lambda: network.forward(theta, X, None))
    predicting = peak_bytes(lambda: network.predict(theta, X, None, working_memory=1024))
    assert predicting < training / 5, (predicting, training)


@pytest.mark.parametrize("layer", [1, 3], ids=["decoder", "upper decoder layer"])
def test_weights_too_large_for_the_gates_give_the_models_own_error(layer):
    # The core's overflow error names the layers of one stack from 0 and its
    # input as "X": the decoder's first layer, coefs_[1], was "layers[0]".
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 10, 2)), rng.normal(size=(20, 3))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IterationLimitWarning)
        model = LSTMEncoderDecoderRegressor(
            (4, 3) if layer == 3 else (4,), horizon=3, n_future_channels=1, solver="lbfgs",
            max_iter=3, random_state=0,
        ).fit(X, y)
    model.coefs_[layer]["W"] = model.coefs_[layer]["W"] * 1e307
    before = copy.deepcopy(model.coefs_)
    source = "the decoder's input" if layer == 1 else "the output of coefs_[2] holds"
    with pytest.raises(GateInputOverflow) as caught:
        model.predict(X)
    message = str(caught.value)
    assert message.startswith(f"The gate inputs of coefs_[{layer}] may overflow float64")
    assert f"column of coefs_[{layer}]['W'] sums to" in message and source in message
    assert "layers[" not in message
    for kept, now in zip(before, model.coefs_):
        for name in kept:
            np.testing.assert_array_equal(kept[name], now[name])


@pytest.mark.parametrize("where", [(0, 2, 0), (0, 8, 1)], ids=["window", "future covariate"])
def test_inputs_too_large_for_the_gates_are_named_at_predict_and_fit(where):
    # Such values in float32 got "The network produced non-finite outputs for
    # this X" at predict, and "Training diverged" at fit when a zero weight
    # kept them from the input statistics.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 10, 2)).astype(np.float32)
    y = X[:, 6:7, 0] + X[:, 7:, 1]
    model = LSTMEncoderDecoderRegressor(
        (4,), horizon=3, n_future_channels=1, max_iter=5, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IterationLimitWarning)
        model.fit(X, y)
    expected = model.predict(X)
    huge = X.copy()
    huge[where] = 3e38
    part = "window of X" if where[1] < 7 else "decoder's input"
    with pytest.raises(GateInputOverflow, match=f"may overflow float32.*{part}"):
        model.predict(huge)
    np.testing.assert_array_equal(model.predict(X), expected)
    weights = np.ones(len(X))
    weights[0] = 0.0  # kept out of the input statistics, read by the network
    with pytest.raises(GateInputOverflow, match=f"may overflow float32.*{part}"):
        clone(model).fit(huge, y, sample_weight=weights)


def test_decoder_is_causal_and_reads_only_future_channels():
    rng = np.random.RandomState(2)
    network, theta = _random_network(rng)  # 3 channels, the last 2 future
    X = rng.normal(size=(2, 7, 3))
    z = network.forward(theta, X, None)[0].reshape(2, 3, 2)
    # Changing the covariates of decoder step 1 leaves step 0 unchanged.
    X1 = X.copy()
    X1[:, 5, 1:] += 1.0
    z1 = network.forward(theta, X1, None)[0].reshape(2, 3, 2)
    np.testing.assert_array_equal(z1[:, 0], z[:, 0])
    assert np.all(np.abs(z1[:, 1:] - z[:, 1:]) > 0)
    # The first channel is not read at decoder steps.
    X2 = X.copy()
    X2[:, 4:, 0] = 1e3
    np.testing.assert_array_equal(network.forward(theta, X2, None)[0], z.reshape(2, 6))
    # The encoder's steps reach every horizon step.
    X3 = X.copy()
    X3[:, 0, 0] += 1.0
    assert np.all(np.abs(network.forward(theta, X3, None)[0] - z.reshape(2, 6)) > 0)


def test_pack_unpack_round_trip():
    rng = np.random.RandomState(3)
    network, theta = _random_network(rng, peephole=True, coupled=True)
    layers, coef, intercept = network.layout.unpack(theta)
    np.testing.assert_array_equal(network.layout.pack(layers, coef, intercept), theta)


def test_ragged_sequences_are_refused():
    rng = np.random.RandomState(4)
    network, theta = _random_network(rng)
    with pytest.raises(ValueError, match="equal length"):
        network.forward(theta, rng.normal(size=(2, 7, 3)), np.array([7, 6]))


def test_a_nan_in_x_is_told_what_the_encoder_decoder_reads_not_padding():
    """Fixed bug: a NaN in the horizon's unread channels was told to become
    trailing padding, which the encoder-decoder then refused as padded."""
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(30, 7, 3)), rng.normal(size=(30, 3))
    model = LSTMEncoderDecoderRegressor((2,), horizon=3, n_future_channels=1, max_iter=2,
                                        random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(X, y)
    advice = (r"The encoder-decoder reads samples of window \+ horizon finite steps, with no "
              r"padding: give the channels it does not read in the horizon \(all but the last "
              r"n_future_channels\) any finite value")
    unread = X.copy()
    unread[:, 4:, :2] = np.nan
    padded = X.copy()
    padded[:, 4:] = np.nan
    for bad in (unread, padded):
        with pytest.raises(ValueError, match=r"contains NaN in sequence 0 \(step 4, channel 0\)"
                                             r"\. " + advice):
            model.predict(bad)
    with pytest.raises(ValueError, match=r"NaN inside sequence 0 \(step 4, channel 0\)\. "
                                         + advice):
        model.predict(list(unread))
    table = X.reshape(30, -1).copy()
    table[0, 5] = np.nan
    with pytest.raises(ValueError, match=r"NaN in sample 0, column 5\..*" + advice):
        LSTMEncoderDecoderRegressor((2,), horizon=3, n_future_channels=1, n_channels=3).fit(
            table, y)


# -- the estimator ------------------------------------------------------------

FAST_PARAMS = dict(hidden_layer_sizes=(4,), max_iter=100, learning_rate_init=0.05,
                   random_state=0)


# A 1-D y is one output of one step, so the checks (which pass 1-D y) run
# with horizon=1; the decoder then reads the last column of 2-D X, or not.
# The first instance trains with Adam, the second with L-BFGS. Weighted and
# repeated samples train to the same fit only once it has converged (to the
# checks' rtol=1e-7): the second instance has 8 units, with which it
# interpolates the weight check's 15 samples exactly enough.
@parametrize_with_checks([
    LSTMEncoderDecoderRegressor(**FAST_PARAMS),
    LSTMEncoderDecoderRegressor(**{**FAST_PARAMS, "hidden_layer_sizes": (8,)},
                                solver="lbfgs", n_future_channels=1),
])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.parametrize("horizon", [1, 2, 3])
def test_the_single_output_tag_says_whether_a_1d_y_fits(horizon):
    # The tag promised a 1-D y at every horizon; fit refuses one beyond a step.
    X = np.random.RandomState(0).normal(size=(12, 4 + horizon, 2))
    model = LSTMEncoderDecoderRegressor((2,), horizon=horizon, solver="lbfgs", max_iter=2)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", IterationLimitWarning)
            warnings.simplefilter("ignore", DataLayoutWarning)  # random horizon channels
            model.fit(X, X[:, -1, 0])
        fits = True
    except ValueError as error:
        assert f"not a multiple of horizon={horizon}" in str(error)
        fits = False
    assert model.__sklearn_tags__().target_tags.single_output is fits
    assert model.__sklearn_tags__().target_tags.multi_output  # horizon * outputs columns


def _covariate_problem(n=200, window=6, horizon=3, seed=0):
    """y at step k = the last observed value + that step's future covariate."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, window + horizon, 2))
    X[:, window:, 0] = 0.0  # not read by the decoder: filler
    y = X[:, window - 1 : window, 0] + X[:, window:, 1]
    return X, y


def _fitted(X, y, **params):
    params = {"hidden_layer_sizes": (8,), "horizon": 3, "n_future_channels": 1,
              "solver": "lbfgs", "max_iter": 150, "random_state": 0, **params}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IterationLimitWarning)
        return LSTMEncoderDecoderRegressor(**params).fit(X, y)


def test_learns_each_step_from_its_future_covariate():
    X, y = _covariate_problem()
    model = _fitted(X, y)
    X_test, y_test = _covariate_problem(n=100, seed=1)
    assert model.predict(X_test).shape == (100, 3)
    assert model.score(X_test, y_test) > 0.9
    # Without the future channel the steps cannot be told apart; the
    # covariates left unread at them are named.
    with pytest.warns(DataLayoutWarning, match=r"differ between samples in channel\(s\) 1, "):
        blind = _fitted(X, y, n_future_channels=0)
    assert blind.score(X_test, y_test) < model.score(X_test, y_test) - 0.2


def test_fillers_at_decoder_steps_change_nothing():
    # Channels the decoder does not read at its steps neither enter the
    # network nor the standardisation.
    X, y = _covariate_problem(n=60)
    other = X.copy()
    other[:, 6:, 0] = 1e3
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)  # fillers of one value
        a, b = _fitted(X, y, max_iter=20), _fitted(other, y, max_iter=20)
    np.testing.assert_array_equal(a.input_mean_, b.input_mean_)
    np.testing.assert_array_equal(a.predict(X), b.predict(other))


def test_a_lag_table_whose_newest_lags_the_decoder_drops_warns():
    # Given a plain lag table (sktime's make_reduction, skforecast), the
    # decoder's step held the newest lag, unread: R² -0.7 where MLP scored
    # 0.98, and not a word.
    rng = np.random.RandomState(0)
    lags = rng.normal(size=(80, 6))
    with pytest.warns(DataLayoutWarning, match=r"X's last horizon=1 step\(s\) hold values "
                                               r"that differ between samples in channel\(s\) 0"):
        _fitted(lags, lags[:, -1], horizon=1, n_future_channels=0, max_iter=5)
    # An exogenous column is held at every step, the window's included:
    # the encoder reads it, and nothing is dropped.
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        _fitted(np.c_[lags[:, :-1], np.zeros(len(lags)), lags[:, -1]], lags[:, 0], horizon=1,
                n_future_channels=0, n_exog=1, max_iter=5)


def test_windows_made_for_the_encoder_decoder_do_not_warn():
    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"y": rng.normal(size=60), "price": rng.normal(size=60)})
    windows = make_windows(frame, target="y", window=5, horizon=3, future_covariates="price",
                           future_layout="appended")
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataLayoutWarning)
        _fitted(windows.X, windows.y, max_iter=5)


def test_two_dimensional_layout_matches_three_dimensional():
    X, y = _covariate_problem(n=60)
    flat = X.reshape(len(X), -1)  # time-major columns
    a, b = _fitted(X, y, max_iter=20), _fitted(flat, y, max_iter=20, n_channels=2)
    np.testing.assert_allclose(a.predict(X), b.predict(flat), rtol=1e-12)


def test_predict_keeps_the_fitted_shape_and_takes_any_window():
    X, y = _covariate_problem(n=60)
    model = _fitted(X, y, max_iter=20)
    expected = model.predict(X)
    # The shape parameters are the fitted network's: predict refuses others.
    with pytest.raises(ValueError, match="fitted with horizon=3"):
        model.set_params(horizon=1).predict(X)
    np.testing.assert_array_equal(model.set_params(horizon=3).predict(X), expected)
    assert model.predict(X[:, 2:]).shape == (60, 3)  # a shorter window


@pytest.mark.parametrize(
    "change, params, match",
    [
        (lambda X, y: (X[:, :3], y), {}, "at least horizon \\+ 1 = 4 steps"),
        (lambda X, y: (X, y), {"n_future_channels": 3}, "n_future_channels=3"),
        (lambda X, y: (X, y[:, :2]), {}, "not a multiple of horizon=3"),
        (lambda X, y: (list(X[:, :8]) + list(X[:, :9]), y), {}, "equal length"),
    ],
)
def test_bad_shapes_raise_and_leave_the_model_unchanged(change, params, match):
    X, y = _covariate_problem(n=30)
    model = _fitted(X, y, max_iter=5)
    before = model.predict(X)
    bad_X, bad_y = change(X, y)
    if isinstance(bad_X, list):
        bad_y = np.vstack([y, y])
    original = model.get_params()
    with pytest.raises(ValueError, match=match):
        model.set_params(**params).fit(bad_X, bad_y)
    np.testing.assert_array_equal(model.set_params(**original).predict(X), before)


def test_two_layers_warm_start_and_partial_fit():
    X, y = _covariate_problem(n=60)
    model = _fitted(X, y, hidden_layer_sizes=(4, 3), max_iter=5)
    assert len(model.coefs_) == 4  # encoder then decoder
    assert model.coefs_[2]["W"].shape == (1 + 3, 16)  # future channel + context
    model.set_params(warm_start=True, max_iter=3)
    before = model.loss_curve_[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", IterationLimitWarning)
        model.fit(X, y)
    assert model.loss_curve_[-1] <= before
    adam = LSTMEncoderDecoderRegressor((4,), horizon=3, n_future_channels=1, random_state=0)
    adam.partial_fit(X, y).partial_fit(X, y)
    assert adam.n_iter_ == 2


def test_dropout_fits_are_reproducible_and_predict_uses_the_whole_network(
    assert_same_weights
):
    X, y = _covariate_problem()
    params = dict(solver="adam", max_iter=5, dropout=0.3, recurrent_dropout=0.3)
    a, b = _fitted(X, y, **params), _fitted(X, y, **params)
    assert_same_weights(a, b)
    # Predict applies no mask: the same weights without dropout predict the same.
    whole = copy.deepcopy(a).set_params(dropout=0.0, recurrent_dropout=0.0)
    np.testing.assert_array_equal(a.predict(X), whole.predict(X))
    other = _fitted(X, y, **{**params, "random_state": 1})
    assert not np.array_equal(other.coefs_[0]["W"], a.coefs_[0]["W"])
    plain = _fitted(X, y, solver="adam", max_iter=5)
    assert not np.array_equal(plain.coefs_[0]["W"], a.coefs_[0]["W"])


def test_dropout_with_a_scipy_solver_is_refused_and_keeps_the_fitted_model(
    assert_same_weights
):
    X, y = _covariate_problem(n=40)
    model = _fitted(X, y, max_iter=5)
    before = copy.deepcopy(model)
    model.set_params(recurrent_dropout=0.2)
    with pytest.raises(ValueError, match="recurrent_dropout=0.2 needs a stochastic solver"):
        model.fit(X, y)
    assert_same_weights(model, before)


def test_invalid_hyper_parameters_raise(invalid_params, error, match):
    """Every invalid value of INVALID_PARAMS (conftest.py), as for LSTMRegressor."""
    if not set(invalid_params) <= set(LSTMEncoderDecoderRegressor().get_params()):
        # gate_variant, bidirectional: not offered by the encoder-decoder
        with pytest.raises(TypeError, match="unexpected keyword"):
            LSTMEncoderDecoderRegressor(**invalid_params)
        return
    X, y = _covariate_problem(n=6)
    model = LSTMEncoderDecoderRegressor(horizon=3, **invalid_params)
    with pytest.raises(error, match=match):
        model.fit(X, y)
    assert not hasattr(model, "coefs_")


@pytest.mark.parametrize(
    "params, error, match",
    [
        ({"horizon": 0}, ValueError, "horizon must be an int >= 1"),
        ({"horizon": 1.5}, TypeError, "horizon must be an int >= 1"),
        ({"n_future_channels": -1}, ValueError, "n_future_channels must be an int >= 0"),
        ({"n_future_channels": "price"}, TypeError, "n_future_channels must be an int"),
        ({"decoder_state": "last"}, ValueError, "decoder_state must be one of 'encoder', 'zeros'"),
        ({"decoder_state": None}, TypeError, "decoder_state must be one of 'encoder', 'zeros'"),
    ],
)
def test_invalid_shape_parameters_raise(params, error, match):
    X, y = _covariate_problem(n=6)
    with pytest.raises(error, match=match):
        LSTMEncoderDecoderRegressor(**params).fit(X, y[:, 0])


def test_quantile_loss_gives_non_crossing_quantiles_per_step():
    X, y = _covariate_problem(n=80)
    X_noisy_y = y + np.random.RandomState(5).normal(scale=0.3, size=y.shape)
    model = _fitted(X, X_noisy_y, loss="quantile", quantiles=(0.1, 0.5, 0.9), max_iter=60)
    bands = model.predict_quantiles(X[:5])
    assert bands.shape == (5, 3, 3)  # samples, horizon steps, levels
    assert np.all(np.diff(bands, axis=-1) > 0)
    np.testing.assert_allclose(model.predict(X[:5]), bands[..., 1])


def test_decoder_state_is_kept_by_the_fitted_model_and_by_old_saves():
    X, y = _covariate_problem(n=40)
    model = _fitted(X, y, max_iter=5)
    assert model.decoder_state == "encoder"
    zeros = _fitted(X, y, max_iter=5, decoder_state="zeros")
    assert np.abs(model.predict(X) - zeros.predict(X)).max() > 1e-6
    with pytest.raises(ValueError, match="fitted with decoder_state='encoder'"):
        clone_of = pickle.loads(pickle.dumps(model))
        clone_of.set_params(decoder_state="zeros").predict(X)
    # A model saved before decoder_state existed started its decoder from zeros.
    state = copy.deepcopy(zeros.__getstate__())  # the live __dict__ otherwise
    del state["decoder_state"]
    state["_fitted_architecture"].pop("decoder_state")
    old = LSTMEncoderDecoderRegressor.__new__(LSTMEncoderDecoderRegressor)
    old.__setstate__(state)
    assert old.decoder_state == "zeros"
    np.testing.assert_array_equal(old.predict(X), zeros.predict(X))
    # ... and keeps it: its weights were trained with zero states.
    with pytest.raises(ValueError, match="fitted with decoder_state='zeros'"):
        old.set_params(decoder_state="encoder").predict(X)
    for very_old in (state, {k: v for k, v in state.items() if k != "_fitted_architecture"}):
        loaded = LSTMEncoderDecoderRegressor.__new__(LSTMEncoderDecoderRegressor)
        loaded.__setstate__(copy.deepcopy(very_old))
        with pytest.raises(ValueError, match="fitted with decoder_state='zeros'"):
            loaded.set_params(decoder_state="encoder").predict(X)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("change, match", [
    # The shapes were read back as another horizon or covariate count, and
    # predict ran silently: without reading the covariates, or as one step.
    (lambda m: m.coefs_[1].update(W=m.coefs_[1]["W"][1:]),
     r"coefs_\[1\]\['W'\] must have shape \(4, 12\) \(the decoder reads n_future_channels=1 "
     r"covariate\(s\) and the encoder's 3 units\), got \(3, 12\)"),
    (lambda m: m.coefs_[0].update(W=m.coefs_[0]["W"].T.copy()),
     r"coefs_\[0\]\['W'\] must have shape \(2, 12\) \(the encoder reads the 2 channel\(s\) of X\)"),
    (lambda m: (setattr(m, "out_coef_", np.c_[m.out_coef_, m.out_coef_]),
                setattr(m, "out_intercept_", np.zeros(2))),
     r"out_coef_ has 2 output column\(s\), but the fitted model has 1 \(n_outputs_=2 over "
     r"horizon=2\)"),
    (lambda m: m.coefs_.append(m.coefs_[1]),
     r"coefs_ must hold 2 dicts of weights \(the encoder's 1 layer\(s\), then the decoder's\)"),
])
def test_hand_set_weights_are_checked_against_the_fitted_horizon_and_covariates(change, match):
    rng = np.random.RandomState(0)
    model = LSTMEncoderDecoderRegressor(
        (3,), horizon=2, n_future_channels=1, max_iter=2, random_state=0
    ).fit(rng.normal(size=(8, 6, 2)), rng.normal(size=(8, 2)))
    change(model)
    with pytest.raises(ValueError, match=match):
        model.predict(rng.normal(size=(2, 6, 2)))


def test_statistics_and_a_constant_output_of_several_per_step():
    """The future channel is standardised by its values at every step, window
    and horizon (the window's alone would be 10 units off here); the past
    channels by the window's, which the encoder reads. An output constant
    over the training data is predicted exactly, also beside another output
    at each step (which head column serves which output of a step)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 8, 2))
    X[:, 5:, 1] += 10  # the horizon's covariates at another level than the window's
    y = X[:, -3:, 1]
    Y = np.stack([y, np.full_like(y, 5.0)], axis=2).reshape(30, -1)  # step-major
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMEncoderDecoderRegressor((4,), horizon=3, n_future_channels=1, max_iter=5,
                                            random_state=0).fit(X, Y)
    np.testing.assert_allclose(model.input_mean_, [X[:, :5, 0].mean(), X[:, :, 1].mean()],
                               rtol=1e-12)
    np.testing.assert_array_equal(model.predict(X)[:, 1::2], 5.0)
    assert np.ptp(model.predict(X)[:, 0::2]) > 0
