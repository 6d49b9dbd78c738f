"""Shared test helpers."""

import numpy as np
import pytest


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
