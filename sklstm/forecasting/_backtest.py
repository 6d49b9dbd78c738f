"""Rolling-origin backtests: refit, forecast, compare with what happened.

A backtest replays the forecaster's life on a history: fit on the first
``initial`` rows, forecast ``horizon`` steps, move the origin ``step`` rows
on, refit (or not), forecast again, and so on to the end of the data, as
skforecast's ``backtesting_forecaster`` and sktime's ``evaluate`` do. Every
forecast is made from the rows up to its origin only; future covariates are
read from the data, as they are known in advance.

The same machinery calibrates prediction intervals inside ``fit`` (see
``_intervals``).
"""

from contextlib import contextmanager
from dataclasses import dataclass
from numbers import Integral, Real

import numpy as np
import pandas as pd
from sklearn.base import clone

from .._checks import arrays_fit_in_memory, quoted_label, underflow_is_zero
from .._param_validation import BOOLEAN, Interval, level_value, one_number, validate_params
from .._warnings import each_once, warn
from ..exceptions import TooFewCalibrationErrors
from ._columns import (
    _names, as_frame, check_finite, column_values, per_target_frame, resolve_roles, role_names,
)
from ._time import on_period_starts, time_freq
from ._windows import check_fit_length

__all__ = ["BacktestResult", "backtest", "rolling_forecasts"]

# A nominal coverage, for backtest and predict_interval.
COVERAGE_CONSTRAINT = Interval(Real, 0, 1, closed="neither")


def rolling_forecasts(forecaster, frame, folds, n_steps, fitted=None, summarize=None,
                      caller=None):
    """Forecasts from many origins, each by a model that did not see its targets.

    Parameters
    ----------
    forecaster : DirectForecaster or RecursiveForecaster
        Cloned and fitted once per fold (unless ``fitted`` is given).
    frame : DataFrame of n_rows rows
        The data; each fold's model is fitted on its leading rows.
    folds : list of (int, ndarray of int)
        Rows each model is fitted on, and the positions of the origins (last
        history rows) it forecasts from; origins are at or after the fit rows'
        end, so no model sees a target it forecasts.
    n_steps : int
        Steps forecast from each origin.
    fitted : forecaster or None
        If given, it forecasts every fold and nothing is fitted.
    summarize : callable or None
        ``summarize(model, forecasts)``, of each fold's model and its
        forecasts (n_fold_origins, n_steps, n_targets), is kept in place of
        the model, which is freed before the next fold: a fitted forecaster
        holds arrays of its training history's size, and keeping every
        fold's made a backtest's memory grow as folds times rows.
    caller : str or None
        The public function, named with the fold in a fold fit's error (the
        rows a fold fits on are chosen by its parameters, not the user).

    Returns
    -------
    forecasts : ndarray of shape (n_origins, n_steps, n_targets)
        In target units; NaN from the first step whose rows hold a NaN (see
        ``BaseForecaster._origin_forecasts``).
    summaries : list
        ``summarize``'s result for each fold; None for each without it.
    """
    parts, summaries = [], []
    for n_fit, origins in folds:
        # By labels: with refit=k one model serves k folds.
        first, last = frame.index[origins[0]], frame.index[n_fit - 1]
        model = fitted
        if model is None:
            with _named_fold(caller, f" fits the model of the origins from label {first} on "
                                     f"the rows up to label {last}"):
                model = clone(forecaster).fit(frame.iloc[:n_fit])
        with _named_fold(caller, f" forecasts from the origins from label {first} with the "
                                 f"model fitted on the rows up to label {last}"):
            part = model._origin_forecasts(frame, origins, n_steps)
        parts.append(part)
        with _named_fold(caller, f", with the model of the origins from label {first} "
                                 f"(fitted on the rows up to label {last})"):
            summaries.append(None if summarize is None else summarize(model, part))
        del model
    return np.concatenate(parts), summaries


@contextmanager
def _named_fold(caller, fold):
    """Re-raise a TypeError or ValueError with ``caller`` and then ``fold``
    (the text that names the fold) before its message: the rows a fold fits
    on are chosen by the caller's parameters, not the user. As it is when
    ``caller`` is None."""
    try:
        yield
    except (TypeError, ValueError) as exc:
        if caller is None:
            raise
        raise type(exc)(f"{caller}{fold}: {exc}") from exc


def forecast_errors(truth, pred, targets):
    """``truth - pred``, both (n_origins, n_steps, n_targets); NaN where either
    is missing. Raises if a difference of finite values overflows float64."""
    with np.errstate(over="ignore", invalid="ignore"):
        errors = truth - pred
    overflow = np.isinf(errors) & np.isfinite(truth) & np.isfinite(pred)
    if overflow.any():
        target = targets[np.argwhere(overflow)[0][2]]
        raise ValueError(
            f"the forecast errors (truth - forecast) of {quoted_label(target)} overflow float64: "
            "its values are too large to compare; divide the series by a power of ten first."
        )
    return errors


def observed_targets(frame, targets, origins, offsets):
    """Targets at ``origins + offsets``: (n_origins, len(offsets), n_targets)."""
    values = column_values(frame, targets)
    return values[origins[:, None] + offsets[None, :]]


@dataclass(frozen=True, eq=False)
class BacktestResult:
    """What :func:`backtest` returns.

    Attributes
    ----------
    forecasts : DataFrame
        One row per fold, step and target, with the columns ``fold``,
        ``origin`` (label of the last history row), ``step`` (steps after the
        origin), ``time`` (label of the forecast step), ``target``,
        ``y_true``, ``y_pred`` and, with ``coverage``, ``lower``, ``upper``
        and ``covered`` (pandas' nullable boolean, missing where the truth or
        the forecast is, so that ``covered.mean()`` counts only the rows it
        can judge; ``covered.fillna(False)`` counts them as misses).
    errors : DataFrame of shape (n_folds, n_steps) or (n_folds, n_targets * n_steps)
        ``y_true - y_pred``, indexed by the origins; one column per step,
        or a two-level column index (target, step) for several targets.
        ``errors.abs().mean()`` is the MAE of each step.
    """

    forecasts: pd.DataFrame
    errors: pd.DataFrame


def _origins(n_rows, initial, step, max_offset):
    """Origin positions ``initial - 1, initial - 1 + step, ...`` whose rows
    read after them (forecast steps, future covariates) are all in the data."""
    if initial > n_rows:
        raise ValueError(f"initial={initial} is more than the data's {n_rows} rows.")
    last = n_rows - 1 - max_offset
    if last < initial - 1:
        raise ValueError(
            f"data has {n_rows} rows: after initial={initial} rows there are "
            f"{n_rows - initial}, fewer than the {max_offset} steps one fold "
            f"forecasts or reads future covariates of."
        )
    return np.arange(initial - 1, last + 1, step)


def _folds(origins, initial, refit):
    """Fit rows and origins of each model: ``refit`` folds per model."""
    if refit is False:
        return [(initial, origins)]
    every = 1 if refit is True else int(refit)
    return [
        (int(block[0]) + 1, block)
        for block in np.split(origins, np.arange(every, len(origins), every))
    ]


_CONSTRAINTS = {
    "initial": [Interval(Integral, 1, None)],
    "step": [None, Interval(Integral, 1, None)],
    "horizon": [None, Interval(Integral, 1, None)],
    "refit": [BOOLEAN, Interval(Integral, 1, None)],
    "coverage": [None, COVERAGE_CONSTRAINT],
}


@underflow_is_zero
@each_once()  # the folds' fits would repeat the same warnings
def backtest(
    forecaster, data, *, initial, step=None, horizon=None, refit=True, coverage=None
):
    """Rolling-origin evaluation of a forecaster on a history.

    Fold ``i`` forecasts ``horizon`` steps from the origin at row
    ``initial - 1 + i * step`` (0-based), from the rows up to it, by a model
    fitted on rows ``0 .. initial - 1 + j * step`` for the latest refit fold
    ``j <= i``. Folds continue while every forecast step is in the data, and
    every future covariate the model reads (a direct model reads those of all
    its own steps, also when ``horizon`` is fewer, unless it is an
    :class:`~sklstm.LSTMEncoderDecoderRegressor`, whose decoder reads those
    of the forecast steps only).

    Parameters
    ----------
    forecaster : DirectForecaster or RecursiveForecaster
        Unfitted or fitted; it is cloned, never changed.
    data : DataFrame or Series of length n_rows
        The history, with every column the forecaster uses (future
        covariates included), indexed by time as for ``fit``.
    initial : int >= 1
        Rows of the first fit; the first origin is the last of them.
    step : int >= 1, default=None
        Rows between consecutive origins; None means ``horizon`` (folds that
        do not overlap).
    horizon : int >= 1, default=None
        Steps forecast from each origin; None means the ``horizon`` of a
        :class:`DirectForecaster` (required for a recursive one).
    refit : bool or int >= 1, default=True
        True refits at every fold, False fits once on the first ``initial``
        rows, and an int ``k`` refits every ``k`` folds.
    coverage : float in (0, 1), default=None
        If given, the forecasts also hold the ``predict_interval`` bounds of
        this coverage, and whether each truth fell inside. Without it, the
        forecaster's calibration is switched off (``calibration=None``) to
        save its extra fits.

    Returns
    -------
    result : BacktestResult
        ``result.forecasts`` (one row per fold, step and target) and
        ``result.errors`` (truth - forecast, one row per fold, one column
        per step). A fold whose history or future covariates hold a
        missing value in the rows a forecast reads forecasts NaN from the
        first step that reads it, and a UserWarning gives the counts.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklstm.forecasting import DirectForecaster, backtest
    >>> flat = make_pipeline(
    ...     FunctionTransformer(lambda X: X.reshape(len(X), -1)), LinearRegression())
    >>> y = pd.Series(np.arange(30.0) % 5, name="y")  # period 5: learnable
    >>> result = backtest(DirectForecaster(flat, window=5, horizon=2), y,
    ...                   initial=20, step=3)
    >>> result.errors.round(6).abs()
    step      1    2
    origin
    19      0.0  0.0
    22      0.0  0.0
    25      0.0  0.0
    >>> result.forecasts.columns.tolist()
    ['fold', 'origin', 'step', 'time', 'target', 'y_true', 'y_pred']
    """
    coverage = one_number(coverage)
    validate_params(
        {"initial": initial, "step": step, "horizon": horizon, "refit": refit,
         "coverage": coverage},
        _CONSTRAINTS,
        "backtest",
    )
    coverage = None if coverage is None else level_value(coverage)
    if isinstance(forecaster, type):
        raise TypeError(
            f"backtest needs a forecaster, not the class {forecaster.__name__}: pass an "
            "instance, e.g. DirectForecaster(regressor, window=..., horizon=...)."
        )
    if not hasattr(forecaster, "_origin_forecasts"):
        raise TypeError(
            f"backtest needs a DirectForecaster or RecursiveForecaster; got "
            f"{type(forecaster).__name__}. Wrap a regressor first, e.g. "
            f"DirectForecaster(regressor, window=..., horizon=...)."
        )
    if isinstance(refit, (bool, np.bool_)):
        refit = bool(refit)  # _folds tells True and False from ints by identity
    # The forecaster as backtest runs it: without calibration unless coverage
    # is asked. Its own parameters are checked first, so their errors name them
    # (the column names before the clone, which cannot copy an iterator).
    role_names(forecaster.target, forecaster.past_covariates, forecaster.future_covariates)
    _names(forecaster.center_covariates, "center_covariates")
    model = clone(forecaster)
    if coverage is None:
        model.set_params(calibration=None)
    setup = model._check_params()
    horizon = _backtest_horizon(forecaster, horizon)
    step = horizon if step is None else int(step)
    frame, target = as_frame(data, forecaster.target)
    # The folds read the frame as given, and label their messages and
    # results by its index; a PeriodIndex is validated as its start times.
    time_freq(on_period_starts(frame, "data", prefixed=False).index)
    # Every fold's fit checks its own rows; this also covers the rows only
    # read as truth or history. NaN is a missing value (an incomplete fold).
    roles = resolve_roles(
        frame, target, forecaster.past_covariates, forecaster.future_covariates
    )
    check_finite(column_values(frame, roles.columns), roles.columns, frame.index,
                 allow_nan=True)
    forecaster._check_reach(horizon, "horizon", setup.gap, roles.past)
    check_fit_length(int(initial), setup, described=f"initial={int(initial)}")
    model.set_params(target=target)  # a Series is now a frame
    if horizon > len(frame):  # before the offsets' array is made
        raise ValueError(f"horizon={horizon} is more steps than the data's {len(frame)} rows.")
    if coverage is not None:
        # Known before any fit: refused now, not after every fold's.
        if setup.calibration is None:
            raise ValueError(
                "backtest(coverage=...) reads the forecaster's calibrated intervals, but it "
                "has calibration=None."
            )
        if setup.calibration_steps < horizon:
            raise ValueError(
                f"backtest(coverage=...) forecasts {horizon} steps per fold, but the "
                f"forecaster calibrates {setup.calibration_steps}; "
                f"{model._calibration_hint(horizon)}"
            )
    offsets = model._forecast_offsets(horizon)
    # A direct model other than the encoder-decoder reads the future
    # covariates of all its own steps, also when the folds forecast fewer:
    # an origin without them forecasts NaN.
    reach = int(offsets[-1])
    if roles.future:
        reach = max(reach, model._n_lead(horizon, setup))
    origins = _origins(len(frame), int(initial), step, reach)
    folds = _folds(origins, int(initial), refit)
    if not setup.dropna:
        _refuse_missing_fit_rows(frame, list(roles.columns), folds)
    def summarize(fold_model, forecasts):
        """The fold model's targets, and its interval bounds of ``forecasts``."""
        bounds = None
        if coverage is not None:
            try:
                bounds = fold_model._interval_bounds(forecasts, coverage)
            except TooFewCalibrationErrors as exc:
                raise TooFewCalibrationErrors(
                    f"{exc} Here the fold's model is fitted on the rows before its "
                    f"origins: raise initial={int(initial)} to give the first folds more."
                ) from None
        return fold_model.targets_, bounds

    # A fold's windows, forecasts and the result tables grow with the
    # origins; NumPy's message names an array the caller never asked for.
    with arrays_fit_in_memory(f"backtest's {len(origins)} origins of {horizon} step(s) make "
                              "arrays", "forecast from fewer origins (a larger step=) or fewer "
                              "steps"):
        pred, summaries = rolling_forecasts(model, frame, folds, horizon, summarize=summarize,
                                            caller="backtest")
        targets = summaries[0][0]
        _warn_of_missing_forecasts(pred)
        truth = observed_targets(frame, targets, origins, offsets)
        bounds = None
        if coverage is not None:
            bounds = np.concatenate([fold_bounds for _, fold_bounds in summaries])
            bounds = bounds[..., 0], bounds[..., 1]
        return _result(frame.index, targets, origins, offsets, truth, pred, bounds)


def _warn_of_missing_forecasts(pred):
    """Warn, with counts, where folds could not forecast (NaN): their errors
    are NaN, and a mean of ``errors`` per step averages other folds at each.

    pred : ndarray of shape (n_origins, n_steps, n_targets)
    """
    missing = np.isnan(pred)
    if not missing.any():
        return
    per_step = (~missing.any(axis=2)).sum(axis=0)  # folds with a forecast, per step
    warn(
        f"backtest: {int(missing.sum())} of {missing.size} forecasts are NaN, from folds "
        "whose history or future covariates hold a missing value in the rows a forecast "
        "reads (a forecaster with dropna=True fits around them, but forecasts from whole "
        "windows only). Their errors are NaN: a mean of result.errors per step averages "
        f"{per_step.min()} to {per_step.max()} of the {len(pred)} folds. Fill the missing "
        "values to forecast from every origin.",
        UserWarning,
    )


def _refuse_missing_fit_rows(frame, columns, folds):
    """Raise, naming the fold, if a fold's fit rows hold a NaN: a forecaster
    with ``dropna=False`` refuses them, where a NaN read only as history or
    truth makes an incomplete fold."""
    values = column_values(frame, columns)
    missing_rows = np.flatnonzero(np.isnan(values).any(axis=1))
    if not len(missing_rows):
        return
    first = missing_rows[0]
    for fit, (n_fit, origins) in enumerate(folds):
        if n_fit > first:
            column = columns[np.flatnonzero(np.isnan(values[first]))[0]]
            # Fitting less often helps only where the first fit's rows are whole.
            fewer = "" if fit == 0 else (
                ", or refit less often (refit=False fits once, on the first initial rows)")
            # Named by labels, as rolling_forecasts names a fold's fit: with
            # refit=k one fit serves k folds, so its number is no fold's.
            raise ValueError(
                f"backtest fits the model of the origins from label {frame.index[origins[0]]} "
                f"on the rows up to label {frame.index[n_fit - 1]}, and column "
                f"{quoted_label(column)} is missing (NaN) at "
                f"label {frame.index[first]}; the forecaster refuses missing values in "
                "its fit data (dropna=False). Fill them, or pass dropna=True to the "
                f"forecaster to train on the windows that do not touch them{fewer}."
            )


def _backtest_horizon(forecaster, horizon):
    """Steps forecast per fold: ``horizon``, at most a direct forecaster's own."""
    own = forecaster.get_params(deep=False).get("horizon")
    if horizon is not None:
        if own is not None and horizon > own:
            raise ValueError(
                f"horizon={horizon} is more than the {own} steps the "
                f"{type(forecaster).__name__} forecasts."
            )
        return int(horizon)
    if own is not None:
        return int(own)
    raise ValueError(
        f"backtest needs horizon= for a {type(forecaster).__name__}, which has "
        f"no horizon of its own."
    )


def _result(index, targets, origins, offsets, truth, pred, bounds):
    """Assemble the long forecasts table and the wide errors table."""
    n_origins, n_steps, n_targets = pred.shape
    shape = (n_origins, n_steps, n_targets)
    grid = np.indices(shape)
    table = {
        "fold": grid[0].ravel(),
        "origin": index[origins][grid[0].ravel()],
        "step": offsets[grid[1].ravel()],
        "time": index[(origins[:, None] + offsets)[grid[0], grid[1]].ravel()],
        # Element by element: np.asarray would read tuple labels (MultiIndex
        # columns) as rows of a 2-D array.
        "target": np.fromiter(targets, dtype=object, count=len(targets))[grid[2].ravel()],
        "y_true": truth.ravel(),
        "y_pred": pred.ravel(),
    }
    if bounds is not None:
        table["lower"], table["upper"] = bounds[0].ravel(), bounds[1].ravel()
        inside = (table["lower"] <= table["y_true"]) & (table["y_true"] <= table["upper"])
        # Unknown where the truth or the interval is missing, so that
        # covered.mean() is the coverage of the rows that can be judged.
        known = ~np.isnan(table["y_true"]) & ~np.isnan(table["lower"]) & ~np.isnan(table["upper"])
        table["covered"] = pd.arrays.BooleanArray(inside & known, ~known)
    forecasts = pd.DataFrame(table)
    errors = forecast_errors(truth, pred, targets)
    origin_index = pd.Index(index[origins], name="origin")
    errors = per_target_frame(errors.transpose(0, 2, 1), origin_index, targets, offsets,
                              names=["target", "step"])
    return BacktestResult(forecasts, errors)
