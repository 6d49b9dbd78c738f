"""The LSTM encoder-decoder: exact gradients, causality, and its estimator."""

import numpy as np
import pytest

from sklstm._loss import Objective, loss_and_grad
from sklstm._lstm import lstm_forward
from sklstm._seq2seq import EncoderDecoder, EncoderDecoderLayout


def _random_network(rng, *, n_channels=3, n_future=2, sizes=(3, 2), n_step_outputs=2,
                    horizon=3, peephole=False, coupled=False):
    layout = EncoderDecoderLayout(
        n_channels, n_future, sizes, n_step_outputs, peephole=peephole, coupled=coupled
    )
    # Random non-zero values everywhere, biases and peepholes included.
    theta = rng.uniform(-0.8, 0.8, size=layout.size)
    return EncoderDecoder(layout, horizon), theta


@pytest.mark.parametrize(
    "variant",
    [
        {},
        {"peephole": True},
        {"coupled": True, "peephole": True},
        {"sizes": (1,), "n_future": 0, "n_step_outputs": 1, "horizon": 1, "n_channels": 1},
        {"sizes": (2,), "n_future": 3, "n_channels": 3, "horizon": 2},
    ],
)
@pytest.mark.parametrize("n_samples", [1, 4])
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


def test_pack_unpack_round_trip_and_from_weights():
    rng = np.random.RandomState(3)
    network, theta = _random_network(rng, peephole=True, coupled=True)
    layers, coef, intercept = network.layout.unpack(theta)
    np.testing.assert_array_equal(network.layout.pack(layers, coef, intercept), theta)
    rebuilt = EncoderDecoder.from_weights(layers, coef, n_outputs=3 * 2)
    assert rebuilt.horizon == 3
    assert rebuilt.layout.n_future == 2 and rebuilt.layout.n_channels == 3
    assert rebuilt.layout.peephole and rebuilt.layout.coupled
    assert rebuilt.layout.size == network.layout.size


def test_ragged_sequences_are_refused():
    rng = np.random.RandomState(4)
    network, theta = _random_network(rng)
    with pytest.raises(ValueError, match="equal length"):
        network.forward(theta, rng.normal(size=(2, 7, 3)), np.array([7, 6]))
