"""Shared test helpers."""

import numpy as np
import pytest

from sklstm._loss import loss_and_grad


def central_difference_gradient(loss, arr, eps=1e-6):
    """Central finite differences of ``loss()`` with respect to ``arr``.

    ``arr`` is perturbed in place, one entry at a time, and restored.
    """
    grad = np.zeros_like(arr)
    flat, gflat = arr.reshape(-1), grad.reshape(-1)
    for k in range(flat.size):
        orig = flat[k]
        flat[k] = orig + eps
        plus = loss()
        flat[k] = orig - eps
        minus = loss()
        flat[k] = orig
        gflat[k] = (plus - minus) / (2 * eps)
    return grad


@pytest.fixture
def numerical_gradient():
    return central_difference_gradient


def _reference_forward(X, layers, h0=None, c0=None, return_sequences=False):
    """Direct, unoptimised transcription of the equations, one sample at a time.

    Written independently of the kernel (public gate order, explicit
    sigmoid, no reordering or scaling tricks) to pin down the forward pass.
    The one reference transcription of the tests.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_features)
    layers : list of dict
        sklstm's layout: ``W`` (n_in, nb*H), ``R`` (H, nb*H), ``b`` (nb*H,)
        and optionally ``p`` (nb-1, H); nb = 3 for coupled gates, else 4.
    h0, c0 : list of ndarray of shape (n_samples, H), or None for zeros
    return_sequences : bool

    Returns
    -------
    out : ndarray of shape (n_samples, H_last), or (n_samples, n_timesteps, H_last)
    """

    def sigmoid(z):
        return 1.0 / (1.0 + np.exp(-z))

    outputs = []
    for s in range(X.shape[0]):
        seq = X[s]
        for depth, layer in enumerate(layers):
            W, R, b, p = layer["W"], layer["R"], layer["b"], layer.get("p")
            H = R.shape[0]
            coupled = R.shape[1] == 3 * H
            h = np.zeros(H) if h0 is None else h0[depth][s].copy()
            c = np.zeros(H) if c0 is None else c0[depth][s].copy()
            hs = []
            for x in seq:
                a = x @ W + h @ R + b
                if coupled:
                    a_i, a_g, a_o = a[:H], a[H : 2 * H], a[2 * H :]
                    p_i, p_o = (p[0], p[1]) if p is not None else (0.0, 0.0)
                    i = sigmoid(a_i + p_i * c)
                    f = 1.0 - i
                else:
                    a_i, a_f, a_g, a_o = a[:H], a[H : 2 * H], a[2 * H : 3 * H], a[3 * H :]
                    p_i, p_f, p_o = (p[0], p[1], p[2]) if p is not None else (0.0, 0.0, 0.0)
                    i = sigmoid(a_i + p_i * c)
                    f = sigmoid(a_f + p_f * c)
                g = np.tanh(a_g)
                c = f * c + i * g
                o = sigmoid(a_o + p_o * c)
                h = o * np.tanh(c)
                hs.append(h)
            seq = np.array(hs)
        outputs.append(seq if return_sequences else seq[-1])
    return np.array(outputs)


def _assert_packed_gradient_exact(problem):
    """Assert ``loss_and_grad``'s gradient equals central differences, and
    reaches every block of the packed vector.

    ``problem`` is ``(theta, X, y, lengths, sample_weight, (network, objective))``.
    """
    theta, X, y, lengths, sw, spec = problem
    value, grad = loss_and_grad(theta, X, y, lengths, sw, *spec)
    assert np.isfinite(value) and grad.shape == theta.shape

    def loss():
        return loss_and_grad(theta, X, y, lengths, sw, *spec)[0]

    numeric = central_difference_gradient(loss, theta)
    err = np.abs(numeric - grad).max() / np.abs(numeric).max()
    assert err < 1e-6, f"relative error {err:.2e}"
    # every block of the packed vector is checked, so each must see gradient
    layers, coef, intercept = spec[0].layout.unpack(grad)
    assert all(np.any(v != 0) for layer in layers for v in layer.values())
    assert np.any(coef != 0) and np.any(intercept != 0)


@pytest.fixture
def assert_packed_gradient_exact():
    return _assert_packed_gradient_exact


@pytest.fixture
def reference_forward():
    return _reference_forward


def _assert_same_weights(a, b):
    """Assert two fitted estimators hold bit-identical weights."""
    for la, lb in zip(a.coefs_, b.coefs_, strict=True):
        assert la.keys() == lb.keys()
        for name in la:
            np.testing.assert_array_equal(la[name], lb[name])
    np.testing.assert_array_equal(a.out_coef_, b.out_coef_)
    np.testing.assert_array_equal(a.out_intercept_, b.out_intercept_)


@pytest.fixture
def assert_same_weights():
    return _assert_same_weights


# -- the one table of invalid hyper-parameters --------------------------------------
# (parameters, exception, message pattern). TypeError for a value of the wrong
# type, ValueError for a value of the right type out of range.
INVALID_PARAMS = [
    (dict(hidden_layer_sizes=0), ValueError, "hidden_layer_sizes must be > 0"),
    (dict(hidden_layer_sizes=(0,)), ValueError, "hidden_layer_sizes must be > 0"),
    (dict(hidden_layer_sizes=(4, -1)), ValueError, "hidden_layer_sizes must be > 0"),
    (dict(hidden_layer_sizes=()), ValueError, "at least one layer"),
    (dict(hidden_layer_sizes=(4.5,)), TypeError, "hidden_layer_sizes must hold ints"),
    (dict(hidden_layer_sizes=None), TypeError, "hidden_layer_sizes"),
    (dict(alpha=-1.0), ValueError, "alpha must be a number >= 0"),
    (dict(alpha="strong"), TypeError, "alpha must be a number >= 0, got 'strong'"),
    (dict(alpha=np.inf), ValueError, "alpha must be a number >= 0, got inf"),
    (dict(alpha=np.nan), ValueError, "alpha must be a number >= 0, got nan"),
    (dict(forget_bias="high"), TypeError, "forget_bias must be a finite number"),
    (dict(learning_rate_init=0.0), ValueError, "learning_rate_init must be a number > 0"),
    (dict(max_iter=0), ValueError, "max_iter must be an int >= 1"),
    (dict(max_iter=2.5), TypeError, "max_iter must be an int >= 1, got 2.5"),
    (dict(batch_size=0), ValueError, "batch_size must be one of 'auto' or an int >= 1"),
    (dict(batch_size="large"), ValueError, "batch_size must be one of 'auto' or an int"),
    (dict(batch_size=2.0), TypeError, "batch_size must be one of 'auto' or an int"),
    (dict(early_stopping=True, validation_fraction=0.0), ValueError,
     "validation_fraction must be a number > 0 and < 1"),
    (dict(validation_fraction=1.0), ValueError, "validation_fraction must be a number > 0 and < 1"),
    (dict(validation_fraction=1.5), ValueError, "validation_fraction must be a number > 0 and < 1"),
    (dict(momentum=1.5), ValueError, "momentum must be a number >= 0 and <= 1"),
    (dict(beta_1=1.0), ValueError, "beta_1 must be a number >= 0 and < 1"),
    (dict(beta_2=-0.1), ValueError, "beta_2 must be a number >= 0 and < 1"),
    (dict(epsilon=0.0), ValueError, "epsilon must be a number > 0"),
    (dict(tol=-1e-3), ValueError, "tol must be a number >= 0"),
    (dict(power_t=-0.5), ValueError, "power_t must be a number >= 0"),
    (dict(n_iter_no_change=0), ValueError, "n_iter_no_change must be an int >= 1"),
    (dict(max_fun=0), ValueError, "max_fun must be an int >= 1"),
    (dict(clip_norm=0.0), ValueError, "clip_norm must be None or a number > 0"),
    (dict(clip_norm="big"), TypeError, "clip_norm must be None or a number > 0"),
    (dict(n_channels=0), ValueError, "n_channels must be an int >= 1"),
    (dict(learning_rate="fast"), ValueError, "learning_rate must be one of"),
    (dict(validation_split="random"), ValueError, "validation_split must be one of"),
    (dict(column_order="rows"), ValueError, "column_order must be one of"),
    (dict(solver="bogus"), ValueError, "Unknown solver 'bogus'"),
    (dict(solver="Nelder-Mead"), ValueError, "derivative-free"),
    (dict(solver="dogleg"), ValueError, "full Hessian"),
    (dict(solver=3), TypeError, "solver must be a str"),
    (dict(solver_options="fast"), TypeError, "solver_options must be None or a dict"),
    (dict(shuffle="yes"), TypeError, "shuffle must be True or False"),
    (dict(early_stopping=1), TypeError, "early_stopping must be True or False"),
    (dict(verbose="loud"), TypeError, "verbose must be True or False or an int"),
]


def pytest_generate_tests(metafunc):
    """Drive every test that asks for ``invalid_params`` from INVALID_PARAMS."""
    if "invalid_params" in metafunc.fixturenames:
        metafunc.parametrize(
            "invalid_params, error, match", INVALID_PARAMS,
            ids=[str(params) for params, _, _ in INVALID_PARAMS],
        )


def _flatten(X):
    return X.reshape(len(X), -1)


@pytest.fixture
def flat_linear():
    """Factory of a linear regression on flattened windows: a fast and exact
    stand-in for a sequence regressor in forecasting tests."""
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    return lambda: make_pipeline(FunctionTransformer(_flatten), LinearRegression())
