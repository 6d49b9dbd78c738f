"""Saving fitted models with skops, trusting sklstm's types by name.

Pickle and joblib files run arbitrary code when loaded. :mod:`skops.io`
files do not: ``skops.io.load`` rebuilds only types it trusts, and refuses
the others unless the caller names them in ``trusted=``. sklstm's estimators
hold a few types of their own (the estimator classes and the stochastic
optimizers, kept for ``partial_fit``), and a fitted forecaster is its class
around plain arrays, strings and its regressor; :func:`trusted_types` lists them, so
that loading can trust exactly these and nothing else. Check first, with
``skops.io.get_untrusted_types``, that a file holds no type beyond them. (A
forecaster fitted on a frequency with arguments other than numbers and
strings, a ``CustomBusinessDay`` with its holidays, keeps pandas' offset
object: skops lists its type, and ``datetime.timedelta``, too.)

Examples
--------
>>> import numpy as np
>>> import skops.io as sio
>>> from sklstm import LSTMRegressor
>>> from sklstm.persistence import trusted_types
>>> X = np.random.RandomState(0).normal(size=(20, 5, 1))
>>> model = LSTMRegressor(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=20,
...                       random_state=0).fit(X, X[:, -1, 0])
>>> data = sio.dumps(model)
>>> unknown = sio.get_untrusted_types(data=data)
>>> sorted(set(unknown) - set(trusted_types()))  # nothing unexpected in the file
[]
>>> loaded = sio.loads(data, trusted=unknown)
>>> bool(np.array_equal(loaded.predict(X), model.predict(X)))
True
"""

from ._classifier import LSTMClassifier
from ._encoder_decoder import LSTMEncoderDecoderRegressor
from ._optimizers import AdamOptimizer, SGDOptimizer
from ._regressor import LSTMRegressor
from .forecasting import DirectForecaster, RecursiveForecaster

__all__ = ["trusted_types"]

# Every sklstm type that a fitted estimator can hold.
_TYPES = (
    LSTMRegressor,
    LSTMClassifier,
    LSTMEncoderDecoderRegressor,
    AdamOptimizer,
    SGDOptimizer,
    DirectForecaster,
    RecursiveForecaster,
)


def trusted_types():
    """Names of sklstm's types, for ``skops.io.load(..., trusted=...)``.

    The names are derived from the classes, so they follow any move of a
    class to another module.

    Returns
    -------
    names : list of str
        Fully qualified names, such as ``"sklstm._regressor.LSTMRegressor"``.
    """
    return sorted(f"{cls.__module__}.{cls.__qualname__}" for cls in _TYPES)
