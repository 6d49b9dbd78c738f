"""Prediction intervals and quantiles: split-conformal, calibrated per horizon step.

:class:`IntervalsMixin` gives the forecasters their calibration step in
``fit`` and :meth:`predict_interval` / :meth:`predict_quantiles`; the
functions below it are the order-statistic arithmetic, on plain arrays.

How intervals are calibrated
----------------------------
``fit`` keeps the out-of-sample errors of forecasts made by models that
did not see their targets (``calibration_residuals_``, of shape
(n_origins, n_steps, n_targets), truth minus forecast in target units):

- ``calibration="holdout"`` (the default): one model is fitted on the
  history less its last ``calibration_size`` rows, and forecasts from every
  origin in those rows whose steps are all observed;
- ``calibration="backtest"``: the same origins, split into
  ``calibration_folds`` consecutive blocks; each block is forecast by a
  model refitted on all rows before it (rolling origin), so later errors
  come from models trained on more data, as the final one is;
- ``calibration=None``: no calibration, and no extra fit.

The forecaster is then fitted on the whole history; its errors are assumed
to be distributed as the calibration errors of the same step.

For a coverage ``c`` and step ``k`` with ``n`` calibration errors ``e``,
:meth:`predict_interval` returns ``forecast -+ w``, where the half-width
``w`` is the ``ceil((n + 1) c)``-th smallest ``|e|`` (split-conformal;
Vovk et al. 2005, Lei et al. 2018). The interval is symmetric, so it always
contains the point forecast, and its width follows the errors of its own
step: it grows with the horizon where the errors do.
:meth:`predict_quantiles` gives the same bounds as levels: the quantile of
level ``p`` is the forecast plus or minus that half-width at coverage
``|2 p - 1|``. With ``symmetric=False`` it adds to the forecast the order
statistics of the signed errors instead, at rank ``ceil((n + 1) p)`` for
``p >= 0.5`` and ``floor((n + 1) p)`` below, so skewed errors give skewed
quantiles. Quantiles never cross.

Coverage is exact when the errors of the forecast and of the calibration
forecasts are exchangeable. Residuals of consecutive origins overlap and a
series may drift, so measure it: :func:`~sklstm.forecasting.backtest` with
``coverage=`` reports whether each truth fell inside its interval.
"""

import functools
import math
from numbers import Integral, Real

import numpy as np
from sklearn.base import clone

from .._checks import check_flag, quoted_label, underflow_is_zero
from .._fitted_state import check_float_array, reads_one_state
from .._param_validation import (
    Interval, Options, level_value, one_number, quantile_levels, validate_params,
)
from ..exceptions import TooFewCalibrationErrors
from ._backtest import COVERAGE_CONSTRAINT, forecast_errors, observed_targets, rolling_forecasts
from ._columns import per_target_frame

__all__ = ["CALIBRATION_CONSTRAINTS", "IntervalsMixin", "calibration_folds", "check_step_array"]

CALIBRATION_CONSTRAINTS = {
    "calibration": [None, Options(str, ["holdout", "backtest"])],
    "calibration_size": [
        Interval(Real, 0, 1, closed="neither"),
        Interval(Integral, 1, None),
    ],
    "calibration_folds": [Interval(Integral, 2, None)],
}

# More calibration errors than any history holds: a level that needs them
# is refused without counting how many exactly.
_MOST_ERRORS = 1e12

# Real ranks within this of an integer are that integer (float rounding).
_ROUNDING = 1e-9


def calibration_folds(n_rows, n_min_rows, max_offset, method, size, n_folds):
    """The calibration folds of a history, or why there are none.

    Parameters
    ----------
    n_rows : int
        Rows of the fit data.
    n_min_rows : int
        Fewest rows a model can be fitted on.
    max_offset : int
        Steps after its origin of the last calibrated forecast step.
    method : {"holdout", "backtest"}
    size : float in (0, 1) or int
        ``calibration_size``.
    n_folds : int
        ``calibration_folds``, read for "backtest".

    Returns
    -------
    folds : list of (int, ndarray of int) or str
        For each fit, the number of leading rows it is fitted on and the
        positions of the origins it forecasts from (the last row of each
        history); a sentence saying why calibration is impossible otherwise.
    """
    n_cal = int(round(size * n_rows)) if isinstance(size, float) else int(size)
    n_train = n_rows - n_cal
    first, last = n_train - 1, n_rows - 1 - max_offset
    if n_train < n_min_rows or last < first:
        most = n_rows - n_min_rows  # the most rows a calibration fit leaves
        if most >= max_offset:
            remedy = (f"; pass calibration_size={max_offset} to {most} (rows held out: "
                      f"{max_offset} give one calibration error per step and each further row "
                      f"one more; the default coverage=0.9 needs "
                      f"{_needed_count(0.9, up=True)})")
        else:
            remedy = (f"; no calibration_size gives both from {n_rows} rows: calibrate "
                      "fewer steps, fit a shorter window, or fit on more rows")
        return (
            f"calibration_size={size!r} holds out {n_cal} of the {n_rows} fit "
            f"rows; calibration needs at least {n_min_rows} rows to fit on and "
            f"{max_offset} held-out rows to forecast{remedy}"
        )
    origins = np.arange(first, last + 1)
    if method == "holdout":
        return [(n_train, origins)]
    blocks = np.array_split(origins, min(n_folds, len(origins)))
    return [(int(block[0]) + 1, block) for block in blocks]


def _sorted_errors(residuals, n_steps, absolute):
    """The errors of the first ``n_steps`` steps, absolute or signed, sorted
    along the origins (NaN last), and the count of finite ones of each step
    and target: ``(ordered, counts)``, of shapes (n_origins, n_steps,
    n_targets) and (n_steps, n_targets)."""
    errors = residuals[:, :n_steps]
    if absolute:
        errors = np.abs(errors)
    return np.sort(errors, axis=0), np.sum(~np.isnan(errors), axis=0)


def _order_statistic(ordered, ranks):
    """The ``ranks``-th smallest (1-based) of ``ordered`` errors, per step
    and target; ``ranks`` (n_steps, n_targets) of ints, valid for the counts."""
    return np.take_along_axis(ordered, ranks[None] - 1, axis=0)[0]


def _half_width(ordered, counts, coverage, level, what):
    """The split-conformal half-width at ``coverage``: the ``ceil((n + 1)
    coverage)``-th smallest of the ``n`` absolute errors of each step, sorted
    in ``ordered``. A ValueError names ``what=level`` if a step has too few."""
    ranks = _rank((counts + 1) * coverage, up=True)
    _check_ranks(ranks, counts, level, what, up=True, ranked_level=coverage)
    return _order_statistic(ordered, ranks)


def _needed_count(level, up):
    """The fewest calibration errors for which ``level``'s rank is in range.

    Found with :func:`_rank` itself, so that the count an error message asks
    for is the one the check accepts, float rounding included.
    """
    if not 0 < level < 1:  # a symmetric quantile of 1e-300 ranks at coverage 1.0
        return None
    # About level / (1 - level) rounded up (or (1 - level) / level rounded
    # down); the search settles the rounding.
    ratio = level / (1 - level) if up else (1 - level) / level
    if not ratio < _MOST_ERRORS:  # inf for a level of 5e-324, say
        return None
    count = max(1, math.floor(ratio) - 2)
    while not 1 <= _rank(np.array((count + 1) * level), up) <= count:
        count += 1
    return count


def _check_ranks(ranks, counts, level, what, up, ranked_level=None):
    """Raise unless each rank (rounded ``up`` or down) is within 1 .. count
    of its step. The ranks are those of ``ranked_level`` (by default
    ``level``); the message names ``what=level``."""
    bad = (ranks < 1) | (ranks > counts)
    if bad.any():
        where = tuple(np.argwhere(bad)[0])
        need = _needed_count(level if ranked_level is None else ranked_level, up)
        need = f"at least {need}" if need is not None else f"more than {_MOST_ERRORS:.0e}"
        raise TooFewCalibrationErrors(
            f"{what}={level!r} needs {need} calibration errors per "
            f"step; step {where[0] + 1} has {int(counts[where])}. Use a level "
            f"closer to 0.5, or raise calibration_size and refit."
        )


def errors_needed(coverage=None, levels=(), symmetric=True):
    """The fewest calibration errors per step that give the interval at
    ``coverage``, or the quantiles at ``levels``, as :func:`conformal_bounds`
    and :func:`conformal_quantiles` rank them; None where no count below
    the largest checked does."""
    needs = []
    if coverage is not None:
        needs.append(_needed_count(coverage, up=True))
    for q in levels:
        if not symmetric:
            needs.append(_needed_count(q, up=q >= 0.5))
        else:
            needs.append(1 if q == 0.5 else _needed_count(abs(2 * q - 1), up=True))
    return None if None in needs else max(needs, default=1)


def _rank(scaled, up):
    """Integer rank of a real rank ``scaled`` >= 0: rounded up, or down,
    without letting float rounding (10 * 0.9 = 9.000000000000002) move it.
    Below 1 the allowance shrinks with the rank: a whole one would take a
    rank of 1.1e-11 (coverage 1e-12) to 0."""
    allowance = _ROUNDING * np.minimum(scaled, 1.0)
    if up:
        return np.ceil(scaled - allowance).astype(int)
    return np.floor(scaled + allowance).astype(int)


def conformal_bounds(point, residuals, coverage):
    """Symmetric split-conformal interval around point forecasts.

    Parameters
    ----------
    point : ndarray of shape (..., n_steps, n_targets)
        Point forecasts; leading axes index forecast origins.
    residuals : ndarray of shape (n_origins, n_calibrated, n_targets)
        Calibration errors (truth - forecast), NaN where unobserved;
        ``n_calibrated >= n_steps``.
    coverage : float in (0, 1)

    Returns
    -------
    lower, upper : ndarray of the shape of ``point``
    """
    ordered, counts = _sorted_errors(residuals, point.shape[-2], absolute=True)
    half = _half_width(ordered, counts, coverage, coverage, "coverage")
    with np.errstate(over="ignore"):  # refused by check_bounds_finite
        return point - half, point + half


def conformal_quantiles(point, residuals, levels, symmetric=True):
    """Quantile forecasts: point forecasts plus order statistics of the errors.

    Symmetric quantiles read the absolute errors: level ``q`` is the point
    forecast plus (``q > 0.5``) or minus (``q < 0.5``) the half-width of
    :func:`conformal_bounds` at coverage ``|2 q - 1|``, and ``q = 0.5`` is
    the point forecast. So levels ``(1 - c) / 2`` and ``(1 + c) / 2`` are
    the interval of coverage ``c`` (to the bit, but where ``(n + 1) c`` lies
    within 1e-9 of an integer and rounding ``(1 -+ c) / 2`` moves the rank;
    see :func:`_rank`). Signed quantiles add the
    order statistic of rank ``ceil((n + 1) q)`` of the signed errors
    (``floor`` for ``q < 0.5``): they follow the errors' skew, and the bias
    of the model that made them.

    Parameters
    ----------
    point : ndarray of shape (n_steps, n_targets)
    residuals : ndarray of shape (n_origins, n_calibrated, n_targets)
    levels : sequence of float in (0, 1), increasing
    symmetric : bool, default=True

    Returns
    -------
    quantiles : ndarray of shape (n_steps, n_targets, n_levels)
    """
    ordered, counts = _sorted_errors(residuals, point.shape[0], absolute=symmetric)
    offsets = []
    for q in levels:
        if not symmetric:
            rank = _rank((counts + 1) * q, up=q >= 0.5)
            _check_ranks(rank, counts, q, "quantile", up=q >= 0.5)
            offsets.append(_order_statistic(ordered, rank))
        elif q == 0.5:
            # The point forecast (-0.0 keeps a forecast of -0.0 as it is),
            # refused where a step has no error, as the signed median is.
            _check_ranks(np.ones_like(counts), counts, q, "quantile", up=True)
            offsets.append(np.full(counts.shape, -0.0))
        else:
            half = _half_width(ordered, counts, abs(2 * q - 1), q, "quantile")
            offsets.append(half if q > 0.5 else -half)
    with np.errstate(over="ignore"):  # refused by check_bounds_finite
        return point[..., None] + np.stack(offsets, axis=-1)


def check_bounds_finite(values, targets):
    """Raise if a bound or quantile (..., n_targets, n_labels) overflowed
    float64: the forecasts and errors are finite, so an infinity is one."""
    overflow = np.isinf(values)
    if overflow.any():
        target = targets[np.argwhere(overflow)[0][-2]]
        raise ValueError(
            f"The intervals of {quoted_label(target)} reach beyond float64: its forecasts plus "
            "their calibration errors overflow. Divide the series by a power of ten "
            "first."
        )
    return values


def check_levels(quantiles):
    """``quantiles``, one level or a sequence of them, as a tuple of
    increasing floats in (0, 1) (:func:`~sklstm._param_validation.quantile_levels`)."""
    quantiles = one_number(quantiles)
    if isinstance(quantiles, Real) and not isinstance(quantiles, (bool, np.bool_)):
        quantiles = (quantiles,)
    return quantile_levels(quantiles)


def interval_frame(values, index, targets, labels):
    """Interval or quantile forecasts as a DataFrame.

    ``values`` has shape (n_steps, n_targets, n_labels). One target gives
    the columns ``labels``; several give a two-level column index
    (target, label).
    """
    return per_target_frame(values, index, targets, labels)


class IntervalsMixin:
    """Calibration in ``fit``, and the interval methods of the forecasters.

    It reads the forecaster's ``_setup``, ``targets_``, ``_forecast_offsets``
    and ``_point_forecast``.
    """

    def _calibrate(self, frame, setup):
        """Set ``calibration_residuals_`` from models fitted on parts of ``frame``.

        Returns the reason a calibration fit failed (for ``fit`` to warn of,
        once it has succeeded), or None.
        """
        self.calibration_residuals_, self._calibration_note = None, None
        n_min_rows = setup.window + setup.gap + setup.horizon + setup.transform.n_consumed
        # The most rows a calibration fit can hold out, for the intervals' advice.
        self._calibration_room = len(frame) - n_min_rows
        if setup.calibration is None:
            self._calibration_note = "it was fitted with calibration=None"
            return
        if setup.calibration_steps >= len(frame):  # before the offsets' array is made
            self._calibration_note = (
                f"it calibrates {setup.calibration_steps} steps, more than its "
                f"{len(frame)} fit rows can reach"
            )
            return
        offsets = self._forecast_offsets(setup.calibration_steps)
        folds = calibration_folds(
            len(frame),
            n_min_rows,
            int(offsets[-1]),
            setup.calibration,
            setup.calibration_size,
            setup.calibration_folds,
        )
        if isinstance(folds, str):
            self._calibration_note = folds
            return
        # The frame's target names: a Series was fitted with target=None.
        sub = clone(self).set_params(calibration=None, target=list(self.targets_))
        try:
            pred, _ = rolling_forecasts(sub, frame, folds, setup.calibration_steps)
        except ValueError as error:
            # A part of the history can fail where the whole does not (with
            # dropna=True, a part may hold no complete window): the point
            # forecasts stand, and the interval methods report this.
            self._calibration_note = f"its calibration fit failed: {error}"
            return self._calibration_note
        origins = np.concatenate([block for _, block in folds])
        truth = observed_targets(frame, self.targets_, origins, offsets)
        self.calibration_residuals_ = forecast_errors(truth, pred, self.targets_)

    def _checked_calibration_residuals(self):
        """``calibration_residuals_``, checked; None where there are none."""
        residuals = self.calibration_residuals_
        if residuals is None:
            return None
        return check_step_array(residuals, "calibration_residuals_", len(self.targets_))

    def _calibration_residuals(self, n_steps):
        """Calibration errors of the first ``n_steps`` steps, or a clear error."""
        residuals = self._checked_calibration_residuals()
        if residuals is None:
            raise TooFewCalibrationErrors(
                f"this {type(self).__name__} has no calibrated intervals: "
                f"{self._calibration_note}."
            )
        n_calibrated = residuals.shape[1]
        if n_steps > n_calibrated:
            raise ValueError(
                f"intervals are calibrated for {n_calibrated} step(s), not "
                f"{n_steps}; {self._calibration_hint(n_steps)}"
            )
        return residuals

    def _calibration_hint(self, n_steps):
        """How to calibrate ``n_steps`` steps."""
        return "refit with a larger horizon."

    @underflow_is_zero
    @reads_one_state
    def predict_interval(self, horizon=None, *, coverage=0.9, future=None, history=None):
        """Forecast with a split-conformal prediction interval per step.

        The interval of step ``k`` is the point forecast of :meth:`predict`
        plus or minus the ``coverage`` conformal quantile of the absolute
        calibration errors of step ``k`` (see ``calibration``), so it always
        contains the forecast and widens where the errors of later steps do.
        It is the band between :meth:`predict_quantiles`' levels ``(1 -
        coverage) / 2`` and ``(1 + coverage) / 2`` (with their default
        ``symmetric=True``).

        Parameters
        ----------
        horizon, future, history
            As for :meth:`predict`.
        coverage : float in (0, 1), default=0.9
            Nominal probability that the truth falls inside. It needs at
            least ``coverage / (1 - coverage)`` calibration errors per step.

        Returns
        -------
        interval : DataFrame of shape (n_steps, 2) or (n_steps, 2 * n_targets)
            Indexed as :meth:`predict`'s forecast, with the columns
            ``lower`` and ``upper``; a two-level column index (target,
            ``lower``/``upper``) for several targets.
        """
        coverage = one_number(coverage)
        validate_params(
            {"coverage": coverage},
            {"coverage": [COVERAGE_CONSTRAINT]},
            f"{type(self).__name__}.predict_interval",
        )
        coverage = level_value(coverage)
        point, index = self._point_forecast(
            horizon, future, history, "predict_interval",
            check_steps=functools.partial(self._refuse_uncalibrated, coverage=coverage),
        )
        bounds = self._interval_bounds(point, coverage)
        return interval_frame(bounds, index, self.targets_, ("lower", "upper"))

    @underflow_is_zero
    @reads_one_state
    def predict_quantiles(
        self, horizon=None, *, quantiles=(0.1, 0.5, 0.9), symmetric=True, future=None,
        history=None,
    ):
        """Forecast quantiles of each step from its calibration errors.

        By default the quantiles are symmetric about the point forecast of
        :meth:`predict`: level ``q`` adds (``q > 0.5``) or subtracts
        (``q < 0.5``) the split-conformal half-width of step ``k`` at
        coverage ``|2 q - 1|``, and the 0.5 quantile is the point forecast.
        Levels ``(1 - c) / 2`` and ``(1 + c) / 2`` are then exactly
        :meth:`predict_interval`'s bounds at coverage ``c`` (but where
        ``(n + 1) c``, for ``n`` errors, lies within 1e-9 of an integer, and
        rounding moves the rank).

        ``symmetric=False`` adds instead the order statistic of rank
        ``ceil((n + 1) q)`` (``floor`` for ``q < 0.5``) of the ``n`` signed
        calibration errors of step ``k``: the quantiles follow the errors'
        skew, but also the bias of the models that made them, fitted on
        less of the history than the final one. Scored by the pinball loss
        on the validation parts of twelve real series
        (``benchmarks/bench_forecasting.py --quantiles --tune``), symmetric
        quantiles were the more accurate by 2 to 3 % on average, and signed
        ones on four or five of the series. Either way the quantiles never
        cross.

        Parameters
        ----------
        horizon, future, history
            As for :meth:`predict`.
        quantiles : float or sequence of float in (0, 1), default=(0.1, 0.5, 0.9)
            Strictly increasing levels. A symmetric level ``q`` needs at
            least ``max(1, c / (1 - c))`` calibration errors per step, with
            ``c = |2 q - 1|`` (4 for 0.1 and 0.9), a signed one about
            ``max(q, 1 - q) / min(q, 1 - q)`` (9).
        symmetric : bool, default=True
            Whether the quantiles read the absolute errors (symmetric about
            the forecast) or the signed ones.

        Returns
        -------
        quantiles : DataFrame of shape (n_steps, n_levels) or (n_steps, n_targets * n_levels)
            Indexed as :meth:`predict`'s forecast, one column per level (the
            level as a float; a float32 level as the decimal it prints as,
            ``np.float32(0.1)`` as 0.1); a two-level column index (target,
            level) for several targets.
        """
        levels = check_levels(quantiles)
        symmetric = check_flag(symmetric, "symmetric")
        point, index = self._point_forecast(
            horizon, future, history, "predict_quantiles",
            check_steps=functools.partial(self._refuse_uncalibrated, levels=levels,
                                          symmetric=symmetric),
        )
        residuals = self._calibration_residuals(len(point))
        values = conformal_quantiles(point, residuals, levels, symmetric)
        return interval_frame(check_bounds_finite(values, self.targets_), index,
                              self.targets_, levels)

    def _refuse_uncalibrated(self, n_steps, coverage=None, levels=None, symmetric=True):
        """Raise if the calibration cannot give the interval at ``coverage``
        (or the quantiles at ``levels``) of ``n_steps`` steps: there is none,
        it has fewer steps, or too few errors. Run before the forecast, which
        a recursive forecaster of many steps takes long to make."""
        residuals = self._calibration_residuals(n_steps)
        placeholder = np.zeros((n_steps, len(self.targets_)))  # n_steps is calibrated: few
        try:
            if levels is None:
                conformal_bounds(placeholder, residuals, coverage)
            else:
                conformal_quantiles(placeholder, residuals, levels, symmetric)
        except TooFewCalibrationErrors as error:
            needed = errors_needed(coverage, levels or (), symmetric)
            if needed is None:
                raise
            raise TooFewCalibrationErrors(
                f"{error} {self._calibration_advice(residuals[:, :n_steps], needed)}") from None

    def _calibration_advice(self, residuals, needed):
        """How many rows to hold out for ``needed`` errors at every step of
        ``residuals`` (n_origins, n_steps, n_targets), or that the fit rows
        cannot."""
        # Each origin is one error per step, and the held-out rows hold the
        # origins and the steps after the last.
        reach = int(self._forecast_offsets(self.calibration_residuals_.shape[1])[-1])
        have = int(np.sum(~np.isnan(residuals), axis=0).min())
        rows = len(residuals) + reach - 1 + needed - have
        room = getattr(self, "_calibration_room", None)  # None: saved before it was kept
        if room is not None and rows > room:
            return (f"These fit rows leave at most {room} to hold out, and it needs {rows}: "
                    "fit on more rows, or calibrate fewer steps.")
        # Origins whose rows hold a missing value give no error.
        more = (", more where missing values leave origins without errors"
                if np.isnan(residuals).any() else "")
        fits = "." if room is not None else ", where the fit rows leave enough to fit on."
        return f"calibration_size={rows} (rows held out) or more gives them{more}{fits}"

    def _interval_bounds(self, point, coverage):
        """predict_interval's bounds of forecasts (..., n_steps, n_targets), as
        (..., n_steps, n_targets, 2): lower, upper; a ValueError if they
        overflow float64."""
        residuals = self._calibration_residuals(point.shape[-2])
        bounds = np.stack(conformal_bounds(point, residuals, coverage), axis=-1)
        return check_bounds_finite(bounds, self.targets_)


def check_step_array(values, name, n_targets):
    """A float array of shape (n_origins, n_steps, n_targets); NaN allowed
    (missing truths or histories), infinity not."""
    values = check_float_array(values, name, allow_nan=True)
    if values.ndim != 3 or values.shape[2] != n_targets:
        raise ValueError(
            f"{name} must have shape (n_origins, n_steps, {n_targets}), got {values.shape}."
        )
    return values
