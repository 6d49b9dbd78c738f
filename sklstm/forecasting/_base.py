"""The shared forecaster base: parameters, fit, and the arrays predict reads.

A subclass sets the strategy: how many steps its model predicts at once
(``_model_horizon``), how many rows before the end of the history its first
window starts (``_window_span``), and ``predict``. Everything else, from the
column roles to the fitted regressor, is shared here, and so are the
parameter docs, formatted into both docstrings.
"""

import warnings
from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, clone

from .._param_validation import BOOLEAN, Interval, Options, validate_params
from .._regressor import LSTMRegressor
from ..exceptions import IterationLimitWarning
from ._columns import as_frame, check_finite, column_values, listed, resolve_roles
from ._target_transforms import TARGET_TRANSFORMS, target_scaling
from ._time import check_same_freq, future_labels, time_freq
from ._windows import WINDOW_CONSTRAINTS, make_windows

# The LSTM that the forecasters fit when regressor=None. Measured on the
# bundled series (examples/forecast_dataframe.py, co2 and sunspots, 3 seeds):
# full-batch L-BFGS fits a few hundred windows in seconds and beats the
# seasonal-naive forecast on both, where Adam with LSTMRegressor's own
# defaults (200 epochs at learning rate 1e-3) took several times longer and
# forecast worse. Capping L-BFGS at 100 iterations of a small network acts as
# early stopping: more iterations or units overfit these short histories.
_DEFAULT_LSTM_PARAMS = {"hidden_layer_sizes": (8,), "solver": "lbfgs", "max_iter": 100}

# Shared parameter documentation, formatted into both forecasters' docstrings
# with PARAMETERS_DOC.format(horizon=..., gap=..., diff=...).
PARAMETERS_DOC = """
    regressor : estimator or None, default=None
        Regressor whose ``fit(X, y)`` and ``predict(X)`` take ``X`` of shape
        (n_windows, window, n_channels), with ``y`` 1-D for one output and
        2-D for several. It is cloned in ``fit``. None means
        ``sklstm.LSTMRegressor(hidden_layer_sizes=(8,), solver="lbfgs",
        max_iter=100, random_state=random_state)``: a small network trained
        on the full batch, whose iteration cap acts as early stopping on short
        histories (so its IterationLimitWarning is silenced; any other
        ConvergenceWarning is not). Pass your own for long or multivariate
        series.
    window : int >= 1
        Number of input steps of each window.{horizon}
    target : str or list of str, default=None
        Column(s) to forecast (input channels too). None is only allowed for a
        Series, whose values are the target.
    past_covariates : str or list of str, default=None
        Columns known only up to the forecast origin; input channels as their
        lookback.
    future_covariates : str or list of str, default=None
        Columns known in advance; input channels shifted ahead as in
        :func:`make_windows`. ``predict`` needs their values after the history
        in ``future``.
    gap : int >= 0, default=0
        {gap}
    target_transform : {{None, "diff", "log"}}, default=None
        Applied to the targets (inputs and outputs) before scaling. "log"
        needs positive targets. "diff" models first differences and is
        inverted by a cumulative sum from the last observed value{diff}.
    scale_target : bool, default=True
        Standardise each target column (after ``target_transform``) with the
        mean and standard deviation of the fit data. Forecasts are returned
        in original units. Covariates are never rescaled: scale them first.
    dropna : bool, default=False
        If False, NaN in a used column of the fit data raises. If True, train
        on the windows that do not touch a NaN (as :func:`make_windows` with
        ``dropna=True``); scaling statistics skip NaN. The rows ``predict``
        starts from must still be complete.
    random_state : int, RandomState instance or None, default=None
        Seeds the default LSTM when ``regressor`` is None; ignored otherwise
        (a given regressor keeps its own ``random_state``).
"""

# Shared attribute documentation, formatted with ATTRIBUTES_DOC.format(rows=...).
ATTRIBUTES_DOC = """
    regressor_ : estimator
        The fitted clone of ``regressor``.
    targets_, past_covariates_, future_covariates_ : tuple
        Column names in each role.
    channels_ : tuple of str
        Names of the input channels, in order.
    freq_ : pandas.DateOffset or None
        Frequency of the time axis; None for an integer index.
    target_mean_, target_scale_ : ndarray of shape (n_targets,)
        Scaling of the transformed targets (0 and 1 if not ``scale_target``).
    n_windows_ : int
        Number of training windows.
    last_window_ : DataFrame
        The last {rows} (+1 for "diff") rows of the fit data, from
        which ``predict`` forecasts when no ``history`` is given.
"""


@dataclass(frozen=True)
class _Setup:
    """The checked parameters a fit used; ``predict`` reads these, not the
    parameters, so that ``set_params`` after ``fit`` cannot desync it."""

    window: int
    gap: int
    horizon: int  # steps the model predicts at once
    dropna: bool
    transform: object  # a TargetTransform
    n_history_rows: int  # rows of history predict reads


def _check_fit_length(n_rows, setup):
    """Raise unless ``n_rows`` of fit data make at least one training window.

    Counted here, on the raw rows, because the windows are cut after the
    target transform has consumed its leading rows.
    """
    needed = setup.window + setup.gap + setup.horizon
    terms = f"window + gap + horizon = {setup.window} + {setup.gap} + {setup.horizon}"
    if setup.transform.n_consumed:
        needed += setup.transform.n_consumed
        terms += (
            f" + {setup.transform.n_consumed} (consumed by "
            f"target_transform={setup.transform.name!r})"
        )
    if n_rows < needed:
        raise ValueError(
            f"data has {n_rows} rows, but one training window needs {terms} "
            f"= {needed} rows."
        )


class BaseForecaster(BaseEstimator):
    """Shared fit / predict machinery; subclasses set the strategy."""

    _parameter_constraints = {
        "window": WINDOW_CONSTRAINTS["window"],
        "gap": WINDOW_CONSTRAINTS["gap"],
        "target_transform": [
            None,
            Options(str, [name for name in TARGET_TRANSFORMS if name is not None]),
        ],
        "scale_target": [BOOLEAN],
        "dropna": [BOOLEAN],
    }

    def _model_horizon(self):
        """Steps the model predicts at once."""
        raise NotImplementedError

    def _window_span(self, window, gap):
        """Rows from the start of predict's first window to the end of the history."""
        raise NotImplementedError

    def _check_params(self):
        """Validate the parameters; return them as a ``_Setup``."""
        validate_params(
            self.get_params(deep=False), self._parameter_constraints, type(self).__name__
        )
        window, gap = int(self.window), int(self.gap)
        transform = TARGET_TRANSFORMS[self.target_transform]
        return _Setup(
            window=window,
            gap=gap,
            horizon=self._model_horizon(),
            dropna=bool(self.dropna),
            transform=transform,
            n_history_rows=self._window_span(window, gap) + transform.n_consumed,
        )

    def _check_predict_horizon(self, horizon, default):
        """``horizon`` given to predict, as an int; None means ``default``."""
        if horizon is None:
            return default
        validate_params(
            {"horizon": horizon},
            {"horizon": WINDOW_CONSTRAINTS["horizon"]},
            f"{type(self).__name__}.predict",
        )
        return int(horizon)

    # -- model units -------------------------------------------------------------

    def _to_model_units(self, raw, index):
        """Raw targets (n_rows, n_targets) labelled by ``index`` -> model units,
        of shape (n_rows - n_consumed, n_targets)."""
        values = self._setup.transform.transform(raw, index, self.targets_)
        return (values - self.target_mean_) / self.target_scale_

    def _from_model_units(self, pred, last_raw):
        """Model-unit forecasts (n_steps, n_targets) of the steps right after
        the history -> original units, given its last raw targets (n_targets,)."""
        pred = pred * self.target_scale_ + self.target_mean_
        return self._setup.transform.inverse(pred, last_raw)

    # -- fit -------------------------------------------------------------------

    def fit(self, data):
        """Fit the regressor on the windows of a history.

        Parameters
        ----------
        data : DataFrame or Series of length n_rows
            History indexed by time, as for :func:`make_windows`. Every
            target, past covariate and future covariate column must be in it.
            NaN is an error unless ``dropna=True``.

        Returns
        -------
        self : object
            The fitted forecaster.
        """
        setup = self._check_params()
        frame, roles, freq, values = self._read_fit_data(data, setup)
        n_targets = len(roles.targets)
        transform = setup.transform
        model_targets = transform.transform(
            values[:, :n_targets], frame.index, roles.targets
        )
        mean, scale = target_scaling(
            model_targets, roles.targets, transform, scale=self.scale_target
        )
        model_frame = frame.loc[:, list(roles.columns)].iloc[transform.n_consumed :]
        model_frame = model_frame.copy()
        model_frame[list(roles.targets)] = (model_targets - mean) / scale
        windows = make_windows(
            model_frame,
            target=list(roles.targets),
            window=setup.window,
            horizon=setup.horizon,
            gap=setup.gap,
            past_covariates=list(roles.past),
            future_covariates=list(roles.future),
            dropna=setup.dropna,
        )
        y = windows.y[:, 0] if windows.y.shape[1] == 1 else windows.y
        regressor = self._fit_regressor(windows.X, y)

        # Committed only now: a failed fit leaves a fitted forecaster as it was.
        self._setup = setup
        self.targets_, self.past_covariates_ = roles.targets, roles.past
        self.future_covariates_ = roles.future
        self.freq_ = freq
        self.target_mean_, self.target_scale_ = mean, scale
        self.channels_ = windows.channels
        self.n_windows_ = len(windows)
        self.regressor_ = regressor
        self.last_window_ = frame.loc[:, list(roles.columns)].iloc[
            -setup.n_history_rows :
        ]
        return self

    def _read_fit_data(self, data, setup):
        """Check the fit data; return its frame, roles, freq and used values."""
        frame, target = as_frame(data, self.target)
        roles = resolve_roles(
            frame, target, self.past_covariates, self.future_covariates
        )
        freq = time_freq(frame.index)
        _check_fit_length(len(frame), setup)
        values = column_values(frame, roles.columns)
        check_finite(
            values,
            roles.columns,
            frame.index,
            allow_nan=setup.dropna,
            hint=(
                "; fill or drop it first, or pass dropna=True to train only on "
                "the windows that do not touch it."
            ),
        )
        return frame, roles, freq, values

    def _fit_regressor(self, X, y):
        """Fit and return a clone of ``regressor``, or the default LSTM."""
        if self.regressor is not None:
            return clone(self.regressor).fit(X, y)
        regressor = LSTMRegressor(**_DEFAULT_LSTM_PARAMS, random_state=self.random_state)
        with warnings.catch_warnings():
            # The iteration cap is deliberate (see _DEFAULT_LSTM_PARAMS), so
            # "increase max_iter" would be bad advice. Filtered by category,
            # so that every other convergence problem still warns.
            warnings.simplefilter("ignore", IterationLimitWarning)
            regressor.fit(X, y)
        return regressor

    # -- predict ---------------------------------------------------------------

    def _history_frame(self, history):
        """The last rows of ``history`` (None: of the fit data) predict reads."""
        if history is None:
            return self.last_window_
        # The fitted names, not the target parameter: a forecaster fitted on
        # a Series also reads a one-column DataFrame named like its target.
        frame, _ = as_frame(history, self.targets_)
        columns = self.targets_ + self.past_covariates_ + self.future_covariates_
        missing = [name for name in columns if name not in frame.columns]
        if missing:
            raise ValueError(f"history lacks the column(s) {missing} seen in fit.")
        resolve_roles(
            frame, self.targets_, self.past_covariates_, self.future_covariates_
        )
        check_same_freq(time_freq(frame.index), self.freq_, "history")
        n_needed = self._setup.n_history_rows
        if len(frame) < n_needed:
            raise ValueError(
                f"history has {len(frame)} rows; predict needs the last {n_needed}."
            )
        return frame.loc[:, list(columns)].iloc[-n_needed:]

    def _future_values(self, future, index, n_steps):
        """Future covariates at the ``n_steps`` labels after ``index``.

        Returns an array of shape (n_steps, n_future_covariates).
        """
        columns = self.future_covariates_
        if not columns or n_steps == 0:
            return np.empty((n_steps, len(columns)))
        labels = future_labels(index, self.freq_, 0, n_steps)
        span = f"the {n_steps} step(s) after the history, {listed(labels)}"
        if future is None:
            raise ValueError(
                f"predict needs the future covariates {list(columns)} at {span}; "
                f"pass them as predict(future=DataFrame indexed by those labels)."
            )
        if isinstance(future, pd.Series):
            future = future.to_frame()
        if not isinstance(future, pd.DataFrame):
            raise TypeError(f"future must be a DataFrame; got {type(future).__name__}.")
        if isinstance(future.index, pd.DatetimeIndex) != (self.freq_ is not None):
            raise ValueError(
                f"future is indexed by {type(future.index).__name__}, but the "
                f"history by {type(index).__name__}; predict needs future "
                f"covariates {list(columns)} at {span}."
            )
        if not future.index.is_unique or not future.columns.is_unique:
            raise ValueError("future has duplicated index labels or column names.")
        problems = []
        blocks = []
        for name in columns:
            if name not in future.columns:
                problems.append(f"{name!r} (no such column)")
                continue
            block = column_values(future, [name])
            block = pd.Series(block[:, 0], index=future.index).reindex(labels)
            absent = labels[block.isna().to_numpy()]
            if len(absent):
                problems.append(f"{name!r} at {listed(absent)}")
            blocks.append(block.to_numpy())
        if problems:
            raise ValueError(
                f"predict needs the future covariates at {span}. Missing (row "
                f"absent or NaN): {'; '.join(problems)}."
            )
        return np.column_stack(blocks)

    def _model_arrays(self, history, future, n_lead):
        """Arrays in model units for the windows of ``predict``.

        Returns lookback (n_rows, n_lookback), lead (n_rows + n_lead,
        n_future) and the last raw targets (n_targets,), where ``n_rows`` is
        the history's length less the rows the target transform consumes.
        """
        n_targets = len(self.targets_)
        n_lookback = n_targets + len(self.past_covariates_)
        columns = self.targets_ + self.past_covariates_ + self.future_covariates_
        values = column_values(history, columns)
        check_finite(
            values, columns, history.index, hint=" in the history predict starts from."
        )
        first = self._setup.transform.n_consumed
        raw = values[:, :n_targets]
        lookback = values[first:, :n_lookback].copy()
        lookback[:, :n_targets] = self._to_model_units(raw, history.index)
        lead = np.vstack(
            [values[first:, n_lookback:], self._future_values(future, history.index, n_lead)]
        )
        return lookback, lead, raw[-1]

    def _predict_one(self, X, n_values, what):
        """Regressor output for one window X (1, window, n_channels), flattened
        to its ``n_values`` values (``what`` names that count in the error)."""
        pred = np.asarray(self.regressor_.predict(X), dtype=np.float64).reshape(-1)
        if pred.size != n_values:
            raise ValueError(
                f"the regressor predicted {pred.size} values for one window; "
                f"expected {what} = {n_values}."
            )
        return pred

    def _to_output(self, pred, index):
        """Forecasts (n_steps, n_targets) as a Series (one target) or a DataFrame."""
        if len(self.targets_) == 1:
            return pd.Series(pred[:, 0], index=index, name=self.targets_[0])
        return pd.DataFrame(pred, index=index, columns=list(self.targets_))
