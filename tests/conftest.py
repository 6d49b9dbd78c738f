"""Shared test helpers."""

import sys
import tracemalloc
from pathlib import Path

import numpy as np
import pytest

from sklstm._loss import loss_and_grad

# Test modules import plain helper modules of this folder (``lstm_reference``):
# the importlib import mode does not put the folder on the path itself.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lstm_reference import central_difference_gradient  # noqa: E402
from lstm_reference import reference_forward as reference_forward_transcription  # noqa: E402


@pytest.fixture
def numerical_gradient():
    return central_difference_gradient


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


def _peak_bytes(fn):
    """The ``tracemalloc`` peak of ``fn()``, in bytes."""
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture
def peak_bytes():
    return _peak_bytes


@pytest.fixture
def reference_forward():
    """The one reference transcription of the tests (``lstm_reference.reference_forward``)."""
    return reference_forward_transcription


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
    (dict(hidden_layer_sizes={4, 8}), TypeError, "one per layer .* got a set"),
    (dict(hidden_layer_sizes={4: 1}), TypeError, "one per layer .* got a dict"),
    (dict(alpha=-1.0), ValueError, "alpha must be a number >= 0"),
    (dict(alpha="strong"), TypeError, "alpha must be a number >= 0, got 'strong'"),
    (dict(alpha=np.inf), ValueError, "alpha must be a number >= 0, got inf"),
    (dict(alpha=np.nan), ValueError, "alpha must be a number >= 0, got nan"),
    (dict(forget_bias="high"), TypeError, "forget_bias must be a finite number"),
    (dict(gate_variant="LSTM"), ValueError, "gate_variant must be None or one of 'FGR'"),
    (dict(gate_variant=1), TypeError, "gate_variant must be None or one of"),
    (dict(gate_variant="NIG", coupled_gates=True), ValueError,
     "gate_variant='NIG' cannot be combined with coupled_gates=True"),
    (dict(gate_variant="NFG", coupled_gates=True), ValueError,
     "gate_variant='NFG' cannot be combined with coupled_gates=True"),
    (dict(bidirectional="yes"), TypeError, "bidirectional must be True or False"),
    (dict(dropout=1.0), ValueError, "dropout must be a number >= 0 and < 1, got 1.0"),
    (dict(dropout=-0.1), ValueError, "dropout must be a number >= 0 and < 1"),
    (dict(recurrent_dropout="half"), TypeError, "recurrent_dropout must be a number"),
    (dict(dropout=0.2, solver="lbfgs"), ValueError,
     "dropout=0.2 needs a stochastic solver.*solver='lbfgs'"),
    (dict(recurrent_dropout=0.2, solver="trust-ncg"), ValueError,
     "recurrent_dropout=0.2 needs a stochastic solver.*solver='trust-ncg'"),
    (dict(learning_rate_init=0.0), ValueError, "learning_rate_init must be a number > 0"),
    (dict(max_iter=0), ValueError, "max_iter must be an int >= 1"),
    (dict(max_iter=2.5), TypeError, "max_iter must be an int >= 1, got 2.5"),
    # A NumPy integer to NumPy's type tree, but a duration: read as its count.
    # NumPy 1 writes its scalars "numpy.timedelta64(3,'s')", NumPy 2 "np.timedelta64(...)".
    (dict(max_iter=np.timedelta64(3, "s")), TypeError, "max_iter must be an int >= 1, got "
     r"(np|numpy)\.timedelta64"),
    (dict(alpha=np.timedelta64(3, "D")), TypeError, "alpha must be a number >= 0, got "
     r"(np|numpy)\.timedelta64"),
    (dict(forget_bias=np.timedelta64(3, "D")), TypeError, "forget_bias must be a finite number"),
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
    # Keras's names for a fraction and a step size: told the parameter that holds them
    (dict(validation_split=0.3), TypeError, r"validation_split must be one of .*, got 0\.3\. "
     r"Keras's validation_split=0\.3 is validation_fraction=0\.3 here"),
    (dict(validation_split=0.0), TypeError, r"Keras's validation_split=0\.0 is "
     r"early_stopping=False here \(nothing held out\)"),
    (dict(validation_split=1.5), TypeError, r"Keras's validation_split=1\.5 is "
     r"validation_fraction here, a number > 0 and < 1;"),
    (dict(learning_rate=0.01), TypeError, r"learning_rate must be one of .*, got 0\.01\. The "
     r"step size is learning_rate_init=0\.01"),
    (dict(column_order="rows"), ValueError, "column_order must be one of"),
    (dict(solver="bogus"), ValueError, "unknown solver 'bogus'"),
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
