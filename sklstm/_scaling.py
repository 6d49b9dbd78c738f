"""Per-column standardisation statistics: the one home of the scaling rule.

The estimators standardise input channels (and regression targets), the
forecasters standardise target columns; all of them call
:func:`mean_and_scale`, so a constant column is treated alike everywhere.
"""

import numpy as np

__all__ = ["mean_and_scale", "CONSTANT_RELATIVE_TOL"]

# A column whose standard deviation is below this fraction of max(1, |mean|)
# is constant up to rounding: it is centred but not scaled (scale 1), as
# StandardScaler does, so that rounding noise is never blown up to unit size.
CONSTANT_RELATIVE_TOL = 10 * np.finfo(np.float64).eps


def mean_and_scale(values, weights=None, *, what="X"):
    """Weighted mean and standard deviation of each column of ``values``.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_columns)
        Rows to average over; NaN is not allowed.
    weights : ndarray of shape (n_rows,) or None
        Non-negative row weights with a positive sum; None weighs rows alike.
        Rows of weight zero (for example padded steps) do not count.
    what : str
        Name of the data in the error message.

    Returns
    -------
    mean, scale : ndarray of shape (n_columns,), float64
        ``scale`` is the standard deviation, or 1 for a constant column.

    Raises
    ------
    ValueError
        If the values are too large for their mean or variance to be finite.
    """
    values = np.asarray(values, dtype=np.float64)
    # Huge values overflow here; the check below turns that into a clear error.
    with np.errstate(over="ignore", invalid="ignore"):
        if weights is None:
            # NumPy's pairwise sums, as StandardScaler's: unweighted statistics
            # then agree with it to the last bit, not only to rounding.
            mean, var = values.mean(axis=0), values.var(axis=0)
        else:
            w = np.asarray(weights, dtype=np.float64)
            total = w.sum()
            mean = w @ values / total
            var = w @ (values - mean) ** 2 / total
    scale = np.sqrt(var)
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
        raise ValueError(
            f"{what} holds values too large to compute their mean and variance in "
            "float64; rescale them."
        )
    scale[scale <= CONSTANT_RELATIVE_TOL * np.maximum(1.0, np.abs(mean))] = 1.0
    return mean, scale
