"""Per-column standardisation statistics: the one home of the scaling rule.

The estimators standardise input channels (and regression targets), the
forecasters standardise target columns; all of them call
:func:`mean_and_scale`, so a constant column is treated alike everywhere.
"""

import math

import numpy as np

__all__ = ["column_statistics", "mean_and_scale", "unit_exponents", "CONSTANT_RELATIVE_TOL"]

# A column whose standard deviation is below this fraction of its largest
# absolute value is constant up to rounding: it is centred and scaled by its
# magnitude, not its spread, so that rounding noise is never blown up to unit
# size (nor, at scale 1, left at the size of a unit in the last place of
# 1e20, 16384). The bound is relative to the column's own magnitude, so that
# data in small units (1e-15, say) are scaled like the same data in large ones.
CONSTANT_RELATIVE_TOL = 10 * np.finfo(np.float64).eps


def _power_of_two_units(values, *, in_place=False):
    """``values`` divided by a power of two per column, and its exponents.

    Dividing by a power of two is exact, so statistics of the quotients,
    multiplied back, are bit for bit those of the values wherever these do
    not overflow or underflow; the quotients lie in (-1, 1), where neither
    happens.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_columns), float64 or float32
        At least one row; every value finite.
    in_place : bool, default=False
        Divide ``values`` itself (a float64 array the caller owns), not a copy.

    Returns
    -------
    units : ndarray of shape (n_rows, n_columns)
    exponents : ndarray of shape (n_columns,), int
    peaks : ndarray of shape (n_columns,)
        The largest absolute value of each column of ``units``.
    varies : ndarray of shape (n_columns,), bool
        Whether a column holds two different values.
    """
    # max |v| as the larger of max v and -min v: exact, and no copy of
    # |values| (the rows of a fit's X are many).
    exponents = np.frexp(_largest_magnitudes(values.max(axis=0), values.min(axis=0)))[1]
    # float64 quotients of float32 values too: both steps are exact.
    units = np.ldexp(values, -exponents, out=values if in_place else None, dtype=np.float64)
    highest, lowest = units.max(axis=0), units.min(axis=0)
    return units, exponents, _largest_magnitudes(highest, lowest), highest != lowest


def _largest_magnitudes(highest, lowest):
    """max(|v|) of columns whose largest values are ``highest``, smallest ``lowest``."""
    return np.maximum(np.maximum(highest, -lowest), 0.0)


def _is_one_float(a):
    """Whether ``a`` is one float32 or float64 number: a NumPy scalar or a
    plain 0-d array (not a masked one), which a Python float holds exactly."""
    if isinstance(a, (np.float32, np.float64)):
        return True
    return type(a) is np.ndarray and a.ndim == 0 and a.dtype in (np.float32, np.float64)


def unit_exponents(*arrays, axis=None):
    """The least integer ``e`` with every finite ``|value| / 2**e < 1``.

    Sums of squares or of many values overflow float64 beyond about 1e154
    and vanish below about 1e-162; values divided by ``2**e`` are below 1,
    so their squares and sums do not overflow, and those of values within
    about 1e-150 of the largest do not vanish. Dividing by a power of two
    is exact: ratios of such sums (R², say) are bit for bit those of the
    values wherever these do not overflow or underflow.

    Parameters
    ----------
    *arrays : ndarrays of one shape
    axis : int or None
        None: one exponent for all values; 0: one per column.

    Returns
    -------
    exponents : int, or ndarray of shape (n_columns,) with ``axis=0``
        0 where every value is 0 or not finite.
    """
    if axis is None and len(arrays) == 1 and _is_one_float(arrays[0]):
        # One number (a sum of weights, at every training step): the same
        # exponent, without the masked reductions' overhead.
        value = float(arrays[0])
        return math.frexp(value)[1] if math.isfinite(value) else 0
    peaks = [np.max(np.abs(a), axis=axis, initial=0.0, where=np.isfinite(a)) for a in arrays]
    return np.frexp(np.maximum.reduce(peaks))[1]


def mean_and_scale(values, weights=None, *, what="X"):
    """Weighted mean and scale of each column of ``values``: the standard
    deviation; for a column constant up to rounding, its largest absolute
    value, so that its rounding noise stays of relative size; 1 for a column
    that is exactly constant, or zero (see :func:`column_statistics`).

    Returns
    -------
    mean, scale : ndarray of shape (n_columns,), float64
    """
    mean, std, constant, magnitude = column_statistics(values, weights, what=what)
    return mean, np.where(constant, magnitude, std)


def column_statistics(values, weights=None, *, what="X"):
    """Weighted mean and standard deviation of each column of ``values``,
    and which columns are constant.

    The statistics are computed on the columns divided by a power of two near
    their largest absolute value, so that values of any finite magnitude
    (1e-300 or 1e300) give finite statistics. Unweighted, they are bit for bit
    NumPy's ``mean`` and ``std`` (as StandardScaler's) wherever those neither
    overflow nor underflow; weighted, they equal the direct computation's to
    rounding, on values shifted by the first counted row, so that a constant
    column's rounding never makes it look varying.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_columns)
        Rows to average over; every value must be finite.
    weights : ndarray of shape (n_rows,) or None
        Non-negative finite row weights with a positive sum; None weighs rows
        alike. Rows of weight zero (for example padded steps) do not count.
    what : str
        Name of the data in the error message.

    Returns
    -------
    mean, std : ndarray of shape (n_columns,), float64
    constant : ndarray of shape (n_columns,), bool
        Columns whose standard deviation is at most ``CONSTANT_RELATIVE_TOL``
        times their largest absolute value (or underflows to 0).
    magnitude : ndarray of shape (n_columns,), float64
        The largest absolute value of each column whose counted values
        differ, by rounding or more; 1 where they are all equal, or differ
        by a spread that underflows.

    Raises
    ------
    ValueError
        If a weight or a counted value is not finite, or no row counts.
    """
    given = values
    values = np.asarray(values)
    if values.dtype not in (np.float64, np.float32):  # float32 is read as it is
        values = values.astype(np.float64)
    if weights is not None:
        weights = np.asarray(weights, dtype=np.float64)
        if not np.all(np.isfinite(weights)):
            raise ValueError(f"The weights of {what} are not all finite.")
        # Rows of weight zero do not count, nor does their magnitude.
        counted = weights > 0
        if counted.all():
            # In C order, as the counted rows' copy is: BLAS sums a
            # column-major array's dot products in another order.
            values = np.ascontiguousarray(values)
        else:
            values, weights = values[counted], weights[counted]
    if not len(values):
        raise ValueError(f"{what} has no row of positive weight to compute statistics on.")
    if not np.all(np.isfinite(values)):
        raise ValueError(f"{what} holds values that are not finite; its statistics are undefined.")
    # A float64 copy made above (of the counted rows, say) is divided in place.
    units, exponents, peaks, varies = _power_of_two_units(
        values, in_place=values.dtype == np.float64 and not np.may_share_memory(values, given)
    )
    if weights is None:
        # NumPy's pairwise sums, as StandardScaler's: unweighted statistics
        # then agree with it to the last bit, not only to rounding.
        mean, var = units.mean(axis=0), units.var(axis=0)
    else:
        weights = _power_of_two_units(weights[:, None])[0][:, 0]
        # A BLAS dot product accumulates rounding over many rows; on values
        # less their first row, a constant column is exactly zero. The
        # deviations, and then their squares, overwrite the units: the one
        # array of X's size this needs (a fit's X has many rows).
        total = weights.sum()
        first = units[0].copy()
        deviations = units  # a new array, or the copy made above: ours to overwrite
        deviations -= first
        shift = weights @ deviations / total
        mean = first + shift
        deviations -= shift
        var = weights @ np.square(deviations, out=deviations) / total
    std = np.sqrt(var)
    scale = np.ldexp(std, exponents)
    # Constant up to rounding, or varying by so little (subnormal values)
    # that the scale underflows to 0.
    constant = (std <= CONSTANT_RELATIVE_TOL * peaks) | (scale == 0)
    # Values that differ by rounding keep it at rounding's relative size;
    # subnormal ones whose spread underflows are not scaled up to unit size.
    differ = varies & (scale > 0)
    magnitude = np.where(differ, np.ldexp(peaks, exponents), 1.0)
    return np.ldexp(mean, exponents), scale, constant, magnitude
