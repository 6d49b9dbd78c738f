"""Target transforms: invertible maps between raw targets and model units.

A forecaster models its targets in *model units*: the raw targets mapped by a
target transform (``target_transform``), then standardised per column
(``scale_target``). Each transform is one stateless object that knows

- how many leading history rows it consumes (``n_consumed``: one for "diff",
  whose first difference needs the row before it);
- how to transform a block of raw targets (:meth:`TargetTransform.transform`);
- how to invert forecasts given the last raw values
  (:meth:`TargetTransform.inverse`), and whether that inversion accumulates
  the forecasts step by step (``cumulative``), so that the forecast steps
  must follow the history without a gap.

The forecasters use the transform through these names only, so a new
transform is one new class and one entry in :data:`TARGET_TRANSFORMS`.

>>> import numpy as np
>>> diff = TARGET_TRANSFORMS["diff"]
>>> raw = np.array([[1.0], [3.0], [6.0]])
>>> diff.transform(raw, index=[0, 1, 2], names=("y",))
array([[2.],
       [3.]])
>>> diff.inverse(np.array([[4.0], [5.0]]), last_raw=raw[-1])
array([[10.],
       [15.]])
"""

import numpy as np

from .._checks import quoted_label
from .._scaling import mean_and_scale

__all__ = ["TargetTransform", "TARGET_TRANSFORMS", "target_scaling"]


class TargetTransform:
    """The identity; the base of every target transform.

    Attributes
    ----------
    name : str or None
        The value of ``target_transform`` that selects this transform.
    n_consumed : int
        Leading rows of a block that produce no transformed row.
    cumulative : bool
        True if :meth:`inverse` accumulates the forecasts from the last raw
        value, so that only steps right after the history can be inverted.
    """

    name = None
    n_consumed = 0
    cumulative = False

    def transform(self, raw, index, names):
        """Map raw targets to transformed units.

        Parameters
        ----------
        raw : ndarray of shape (n_rows, n_targets)
            Consecutive raw targets; NaN stays NaN.
        index : sequence of length n_rows
            Row labels, for error messages.
        names : tuple of length n_targets
            Target names, for error messages.

        Returns
        -------
        values : ndarray of shape (n_rows - n_consumed, n_targets)
            Transformed targets of rows ``n_consumed ..``.
        """
        return raw.copy()

    def inverse(self, values, last_raw):
        """Map forecasts in transformed units back to raw units.

        Parameters
        ----------
        values : ndarray of shape (..., n_steps, n_targets)
            Forecasts of the consecutive steps after the history; leading
            axes, if any, index histories (forecast origins).
        last_raw : ndarray of shape (..., n_targets)
            The last raw targets of each history.

        Returns
        -------
        raw : ndarray of shape (..., n_steps, n_targets)
        """
        return values

    def __repr__(self):
        return f"{type(self).__name__}()"


class Difference(TargetTransform):
    """First differences, inverted by a cumulative sum from the last raw value."""

    name = "diff"
    n_consumed = 1
    cumulative = True

    def transform(self, raw, index, names):
        with np.errstate(over="ignore"):  # reported below, by place
            differences = np.diff(raw, axis=0)
        overflow = np.isinf(differences) & np.isfinite(raw[1:]) & np.isfinite(raw[:-1])
        if overflow.any():
            row, col = np.argwhere(overflow)[0]
            raise ValueError(
                f"target_transform='diff': the difference of column {quoted_label(names[col])} at "
                f"label {index[row + 1]} overflows float64; divide the series by a "
                "power of ten first."
            )
        return differences

    def inverse(self, values, last_raw):
        return last_raw[..., None, :] + np.cumsum(values, axis=-2)


class Log(TargetTransform):
    """Natural logarithm of positive targets, inverted by the exponential."""

    name = "log"

    def transform(self, raw, index, names):
        bad = raw <= 0
        if bad.any():
            row, col = np.argwhere(bad)[0]
            raise ValueError(
                f"target_transform='log' needs positive targets; column "
                f"{quoted_label(names[col])} has {float(raw[row, col])!r} at label "
                f"{index[row]}."
            )
        return np.log(raw)

    def inverse(self, values, last_raw):
        return np.exp(values)


# The values target_transform accepts, each with its transform.
TARGET_TRANSFORMS = {t.name: t for t in (TargetTransform(), Difference(), Log())}


def target_scaling(values, names, transform, *, scale):
    """Mean and scale of each column of transformed targets, skipping NaN.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_targets)
        Transformed targets; NaN marks rows left out (``dropna=True``).
    names : tuple of length n_targets
        Target names, for error messages.
    transform : TargetTransform
        The transform that made ``values``, for error messages.
    scale : bool
        If False, return mean 0 and scale 1 (after the checks).

    Returns
    -------
    mean, scale : ndarray of shape (n_targets,)

    Raises
    ------
    ValueError
        If a column has no value.
    """
    observed = ~np.isnan(values)
    empty = ~observed.any(axis=0)
    if empty.any():
        raise ValueError(
            f"target {quoted_label(names[int(np.argmax(empty))])} has no value to learn from "
            f"(all NaN after target_transform={transform.name!r})."
        )
    n_targets = values.shape[1]
    if not scale:
        return np.zeros(n_targets), np.ones(n_targets)
    # Per column, since NaN (dropna=True) leaves out different rows in each.
    columns = [values[observed[:, j], j] for j in range(len(names))]
    stats = [mean_and_scale(column[:, None], what=f"target {quoted_label(name)}")
             for column, name in zip(columns, names)]
    mean = np.concatenate([mean for mean, _ in stats])
    scale = np.concatenate([std for _, std in stats])
    # Any scale standardises a column of one value (to zeros), and a
    # regressor's error in model units (an MLP stops a few hundredths off a
    # constant) is that error times the scale in the target's units: at
    # mean_and_scale's 1 a series at 1e-5 was forecast 3000 times its size
    # off. The smaller of 1 and the value's size keeps that error within
    # both the unit and the series' size. (An estimator keeps 1: its first
    # batch's statistics scale later ones, where a forecaster's train no
    # later data.)
    for j, column in enumerate(columns):
        size = abs(column[0])
        if column.min() == column.max() and size >= np.finfo(np.float64).tiny:
            scale[j] = min(1.0, size)
    return mean, scale
