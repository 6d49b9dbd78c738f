"""Shared test helpers."""

import sys
from pathlib import Path

import numpy as np
import pytest

# Test modules import plain helper modules of this folder (``lstm_reference``):
# the importlib import mode does not put the folder on the path itself.
sys.path.insert(0, str(Path(__file__).resolve().parent))

from lstm_reference import central_difference_gradient  # noqa: E402


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
