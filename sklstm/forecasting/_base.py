"""The shared forecaster base: parameters, fit, and the arrays predict reads.

A subclass sets the strategy: how many steps its model predicts at once
(``_model_horizon``), how many rows before the end of the history its first
window starts (``_window_span``), which steps after an origin it forecasts
(``_forecast_offsets``) and how (``_forecast_model_units``, for many
origins at once). Everything else, from the column roles to the fitted
regressor, intervals, ``score`` and the saved state, is shared here, and so
are the parameter docs, formatted into both docstrings.
"""

import dataclasses
import numbers
import re
from contextlib import nullcontext
from dataclasses import asdict, dataclass, replace

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from sklearn.base import BaseEstimator, clone
from sklearn.utils.metadata_routing import UNUSED
from sklearn.utils.validation import check_is_fitted

from .._base import BaseLSTM, _generator_kept_on_failure, _private_rng
from .._checks import quoted_label, underflow_is_zero
from .._fitted_state import (
    check_before_saving, check_float_array, check_positive, load_refusal, load_staged,
    reads_one_state, replace_state, scratch_copy, with_class_name,
)
from .._param_validation import (
    BOOLEAN, RANDOM_STATE, HasMethods, Options, level_value, missing_parameter_defaults,
    validate_params,
)
from .._regressor import LSTMRegressor
from .._scaling import unit_exponents
from .._validation import listed
from .._warnings import each_once, silenced, warn
from ..exceptions import CalibrationWarning, IterationLimitWarning
from ._backtest import forecast_errors, observed_targets
from ._columns import (
    _names, _tuple_hint, as_frame, check_finite, column_values, per_target_frame,
    repeated_labels, resolve_roles,
)
from ._intervals import CALIBRATION_CONSTRAINTS, IntervalsMixin, check_step_array
from ._target_transforms import TARGET_TRANSFORMS, target_scaling
from ._time import (
    as_periods, check_on_axis, check_time_zone, future_labels, index_from_state,
    index_state, label_from_state, label_state, on_period_starts, period_freq,
    refuse_another_kind, relabelled, rows_in_span, time_freq,
)
from ._windows import (
    WINDOW_CONSTRAINTS, center_covariates, center_windows, check_fit_length, make_windows,
)

# The LSTM that the forecasters fit when regressor=None. Full-batch L-BFGS
# fits a few hundred windows in well under a second; capped at 100
# iterations of a small network, with an L2 penalty (alpha / n_windows times
# half the squared weights) that shrinks the forecasts of a noisy series
# towards its windows' level. Chosen with center_windows="auto" on the
# validation origins of benchmarks/bench_forecasting.py (twelve real series):
# with the former alpha of 1e-4 the forecasts erred more than the naive
# forecast on most of them. With the windows read as patches of about 64
# values (a window of up to 64 values is one LSTM step), alpha=10 led 1, 3
# and 30 there (geometric-mean MAE ratios 0.621 / 0.668, recursive / direct,
# against 0.696 / 0.756, 0.655 / 0.695 and 0.665 / 0.688; seeds 0-3).
_DEFAULT_LSTM_PARAMS = {
    "hidden_layer_sizes": (8,), "solver": "lbfgs", "max_iter": 100, "alpha": 10.0,
}

# Parameters of the default regressor whose values leave its iteration cap
# the deliberate one (see BaseForecaster._keeps_the_default_cap).
_RECIPE_FREE = frozenset({"alpha", "hidden_layer_sizes", "random_state"})


def _same_value(a, b):
    """Whether two parameter values are equal, as one bool (arrays too)."""
    try:
        return bool(a == b)
    except ValueError:  # arrays of several values compare element by element
        return bool(np.array_equal(a, b))


# The value that keeps the behaviour of a forecaster saved before a parameter
# existed, where the parameter's default has changed since: windows were not
# centred before center_windows, whose default became "auto"
# (benchmarks/bench_forecasting.py).
_PREDATING_DEFAULTS = {"center_windows": False}

# Shared parameter documentation, formatted into both forecasters' docstrings
# with PARAMETERS_DOC.format(regressor=..., horizon=..., future_layout=..., gap=...,
# diff=...).
PARAMETERS_DOC = """
    regressor : estimator or None, default=None
        Regressor whose ``fit(X, y)`` and ``predict(X)`` take ``X`` of shape
        (n_windows, window, n_channels), with ``y`` 1-D for one output and
        2-D for several. It is cloned in ``fit``. None means
        ``sklstm.LSTMRegressor(hidden_layer_sizes=(8,), solver="lbfgs",
        max_iter=100, alpha=10.0, random_state=random_state)``: a small
        network trained on the full batch, whose L2 penalty and iteration cap
        keep it from fitting the noise of short histories (so its
        IterationLimitWarning is silenced, also when ``regressor__`` keys
        change only its ``alpha``, ``hidden_layer_sizes`` or ``random_state``;
        any other ConvergenceWarning is not). Pass your own for long or multivariate
        series. Every sklstm model in it whose ``data_format`` is None is
        fitted with ``data_format="channels_last"``, as the windows are.{regressor}
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
        :func:`make_windows`{future_layout}. ``predict`` needs their values
        after the history in ``future``.
    gap : int >= 0, default=0
        {gap}
    target_transform : {{None, "diff", "log"}}, default=None
        Applied to the targets (inputs and outputs) before scaling. "log"
        needs positive targets. "diff" models first differences and is
        inverted by a cumulative sum from the last observed value{diff}.
        Prediction intervals are calibrated on errors in the target's own
        units whatever the transform: with "log" they do not scale with the
        level, and a lower bound may be negative.
    scale_target : bool, default=True
        Standardise each target column (after ``target_transform``) with the
        mean and standard deviation of the fit data; a column of one value
        by the smaller of 1 and its size, so that a regressor's error on it
        stays within both, and one constant up to rounding by its size.
        Forecasts are returned in original units. The forecaster never rescales covariates: the
        default LSTM standardises its input channels itself, other
        regressors may need a scaler in a Pipeline.
    center_windows : bool or "auto", default="auto"
        Read each window relative to its own level: subtract the mean of its
        target values (in model units, after ``target_transform`` and
        ``scale_target``) from its target inputs and from its targets, and
        add it back to its forecasts. The regressor then learns the shape of
        the series around its recent level, so it can follow a trend or a
        level shift beyond the range it was fitted on, as DeepAR scales each
        window by its mean (Salinas et al., 2020). With
        ``target_transform="log"`` the level is the window's geometric mean,
        a multiplicative scaling. "auto" centres unless
        ``target_transform="diff"``, whose differences are free of the level
        already (centring them too removes the trend's slope): on the
        validation origins of twelve real series
        (``benchmarks/bench_forecasting.py``) centring cut the errors of the
        default LSTM by about a quarter, and those of a ridge regression
        too, but not on differences. Pass False for a series whose level
        itself is what is predictable, if a backtest says so.
    center_covariates : str or list of str, default=None
        Covariate columns (past or future) to read relative to their own
        level in each window, for a covariate whose level drifts beyond the
        range it was fitted on while its changes drive the target, such as a
        price that rises over the years: the regressor then reads each price
        against the window's, as ``center_windows`` reads each target against
        the window's level. The level is the covariate's mean over the
        window's values up to its origin (future covariates enter a window
        shifted ahead by ``gap`` plus the steps the model predicts at once,
        ``horizon`` or 1 for a recursive model, unless the regressor is an
        encoder-decoder, so a window must be longer than that shift); it is
        subtracted from the past covariate's input steps and
        from all the future covariate's values, those of the forecast steps
        included, and nothing is added back. Pass the logarithm of a
        covariate whose effect is multiplicative. Leave out covariates whose
        level means something in itself (a promotion flag, a calendar
        feature). See ``benchmarks/bench_future_covariates.py``
        (``--price``) for its effect on a drifting price. A trending past
        covariate read raw often harms a model more than it informs it;
        centred, it may still add little to the target's own history:
        backtest against the model without it.
    dropna : bool, default=False
        If False, NaN in a used column of the fit data raises. If True, train
        on the windows that do not touch a NaN (as :func:`make_windows` with
        ``dropna=True``); scaling statistics skip NaN. The rows ``predict``
        starts from must still be complete.
    calibration : {{"holdout", "backtest"}} or None, default="holdout"
        How ``fit`` calibrates :meth:`predict_interval` and
        :meth:`predict_quantiles` (split-conformal, per horizon step):
        "holdout" fits one extra model on the history less its last
        ``calibration_size`` rows and keeps the errors of its forecasts from
        every origin in those rows; "backtest" refits that model
        ``calibration_folds`` times, rolling forward over the same origins
        (more fits, models closer to the final one). The forecaster is then
        fitted on the whole history. None skips calibration and its fits.
        If the history is too short to calibrate, ``fit`` still succeeds and
        the interval methods say why they cannot answer; if a calibration
        fit fails (a part of the history holds no complete window, or the
        regressor raises a ValueError there), ``fit`` also warns, with the
        reason (a :class:`~sklstm.exceptions.CalibrationWarning`).
    calibration_size : float in (0, 1) or int >= 1, default=0.2
        The held-out end of the history whose forecasts calibrate: a
        fraction of the fit rows, or a number of rows.
    calibration_folds : int >= 2, default=3
        Number of refits of ``calibration="backtest"``, at most one per
        calibration origin (fewer origins make fewer refits).{calibration_horizon}
    random_state : int, RandomState instance or None, default=None
        Seeds the default LSTM when ``regressor`` is None; ignored otherwise
        (a given regressor keeps its own ``random_state``). A RandomState is
        drawn from once per fit, and that draw seeds every network the fit
        trains; a fit that fails puts it back.

    Notes
    -----
    ``set_params(regressor__max_iter=50)`` works with ``regressor=None``: it
    first replaces None by the default LSTM above (seeded by
    ``random_state``), then sets the parameter on it, so ``clone`` and
    ``GridSearchCV`` can tune the default network. From then on it is a
    given regressor: its warnings are shown, and forecaster parameters set
    by a later call (``random_state``, and ``DirectForecaster``'s
    ``future_covariates``, which choose the default) no longer reach it:
    set them first, or in the same call. A scipy solver set this way
    (``regressor__solver="lbfgs"``) also sets the default's ``dropout`` and
    ``recurrent_dropout`` to 0, unless they are set too: the scipy solvers
    refuse dropout.

    A fitted forecaster forecasts with the parameters it was fitted with:
    after ``set_params`` of one that fit read (all but ``regressor``, its
    nested keys and ``random_state``, which only train; the calibration's
    size, folds and horizon only as its ``calibration`` reads them),
    ``predict``, ``predict_interval``, ``predict_quantiles`` and ``score``
    raise a ValueError naming the parameter, until it is set back or the
    forecaster refit.
"""

# Shared attribute documentation, formatted with ATTRIBUTES_DOC.format(rows=...).
ATTRIBUTES_DOC = """
    regressor_ : estimator
        The fitted clone of ``regressor``.
    targets_, past_covariates_, future_covariates_ : tuple
        Column names in each role.
    channels_ : tuple
        Column labels of the input channels, in order.
    freq_ : pandas.DateOffset or None
        Frequency of the time axis; None for an integer index. For a
        PeriodIndex, that of its periods' start times (``MS`` for ``M``).
    period_freq_ : str or None
        The frequency of the fit data's PeriodIndex (``'M'``), whose periods
        label the forecasts; None for another index.
    target_mean_, target_scale_ : ndarray of shape (n_targets,)
        Scaling of the transformed targets (0 and 1 if not ``scale_target``).
    n_windows_ : int
        Number of training windows.
    last_window_ : DataFrame
        The last {rows} (+1 for "diff") rows of the fit data, from
        which ``predict`` forecasts when no ``history`` is given.
    calibration_residuals_ : ndarray of shape (n_origins, n_steps, n_targets) or None
        Out-of-sample errors (truth - forecast, in target units) of the
        calibration forecasts, step ``k`` in ``[:, k - 1]``; NaN where a
        truth was missing, or a row the step reads (a recursive forecast's
        earlier steps read none of its later steps' rows, and keep their
        errors). None without calibration.
    fitted_values_ : DataFrame of shape (n_origins, n_model_steps) or \
            (n_origins, n_targets * n_model_steps)
        In-sample forecasts of the final model from every origin of a
        training window. Row ``t`` holds {model_steps},
        one column per step; a two-level column index (target, step) for
        several targets.
    residuals_ : DataFrame
        ``truth - fitted_values_``, in the same form: in-sample errors,
        smaller than the calibration errors of an overfitted model.
"""


# How regressors word a refusal of X's dimensions ("Found array with dim 3",
# "Expected 2D array", "must be 2 dimensional").
_DIMENSIONS = re.compile(r"\bdim\b|\b[23]-?d\b|dimension", re.IGNORECASE)
_NOT_FINITE = re.compile(r"\bNaN\b|infinity|\binf\b", re.IGNORECASE)


@dataclass(frozen=True)
class _Setup:
    """The checked parameters a fit used; ``predict`` reads these, not the
    parameters, and refuses parameters changed since (``set_params`` after
    ``fit``: :meth:`BaseForecaster._check_unchanged_recipe`)."""

    window: int
    gap: int
    horizon: int  # steps the model predicts at once
    dropna: bool
    transform: object  # a TargetTransform
    n_history_rows: int  # rows of history predict reads
    calibration: object  # None, "holdout" or "backtest"
    calibration_size: object  # float fraction or int rows
    calibration_folds: int
    calibration_steps: int  # forecast steps calibrated
    future_layout: str = "shifted"  # of the windows, see make_windows
    center_windows: bool = False  # windows read relative to their level
    # Covariates read relative to their level in each window, as positions
    # in past_covariates_ and future_covariates_ (center_covariates).
    centered_past: tuple = ()
    centered_future: tuple = ()
    # None in a forecaster saved before they were recorded. target_required:
    # whether fit read a DataFrame, where it refuses target=None (a Series'
    # name is its target, whether target names it or is None).
    scale_target: object = None
    target_required: object = None

    def state(self):
        """Plain values (the transform by name), for saving."""
        return {**asdict(self), "transform": self.transform.name}

    @classmethod
    def from_state(cls, state):
        return cls(**{**state, "transform": TARGET_TRANSFORMS[state["transform"]]})

    @property
    def future_shift(self):
        """Steps the future covariates are shifted ahead inside a window
        (see :func:`make_windows`): ``gap + horizon`` in the "shifted"
        layout, 0 in the "appended" one."""
        return self.gap + self.horizon if self.future_layout == "shifted" else 0


def _same_names(value, fitted, role):
    """Whether ``value``, the parameter ``role``, names the fitted columns
    ``fitted`` (a tuple) as ``fit`` reads it: a list (or other iterable) of
    names, or one name that is no tuple (a tuple is read as names)."""
    if len(fitted) == 1 and not isinstance(value, (list, tuple)) \
            and _same_value(value, fitted[0]):
        return True
    return _names(value, role) == tuple(fitted)


def _reads(setup, field):
    """Whether a fit of ``setup`` read the parameter behind ``field``: the
    calibration's size, folds and steps only where it calibrates so (a
    forecaster saved before ``scale_target`` was recorded holds None)."""
    if field in ("calibration_size", "calibration_steps"):
        return setup.calibration is not None
    if field == "calibration_folds":
        return setup.calibration == "backtest"
    return field != "scale_target" or setup.scale_target is not None


def _warn_of_unread_future_steps(roles, setup):
    """Warn where windows shorter than the steps predicted at once leave
    the first forecast steps without their own future covariates.

    The covariates enter a window shifted ahead by ``gap + horizon`` (the
    "shifted" layout), so its last ``window`` steps hold those of the last
    ``window`` forecast steps; a recursive model predicts one step at once,
    whose covariates its window always holds.
    """
    if not roles.future or setup.future_shift == 0 or setup.window >= setup.horizon:
        return
    unread = setup.horizon - setup.window
    warn(
        f"window={setup.window} is shorter than horizon={setup.horizon}: the future "
        f"covariates enter a window shifted ahead by gap + horizon, so its steps hold "
        f"those of the last {setup.window} forecast step(s) only, and the first {unread} "
        f"forecast step(s) see no covariates of their own. Use window >= {setup.horizon}, "
        "or an encoder-decoder (LSTMEncoderDecoderRegressor), which reads each forecast "
        "step's own.",
        UserWarning,
    )


def nested_models(regressor):
    """``regressor`` and every estimator among its nested parameters (a
    Pipeline's steps, a search's estimator), where the forecaster's own
    settings of an sklstm model do not reach."""
    return [model for _, model in _nested_paths(regressor)]


def _nested_paths(regressor):
    """``(prefix, model)`` of ``regressor`` (prefix "") and of every estimator
    among its nested parameters (prefix "name__", for ``set_params``)."""
    if regressor is None:
        return []
    try:
        nested = regressor.get_params(deep=True).items()
    except Exception:  # not scikit-learn's protocol: clone raises its own error
        nested = ()
    return [("", regressor)] + [(f"{name}__", value) for name, value in nested
                                if hasattr(value, "get_params")]


# Parameters that name columns, saved as lists of labels (see _map_labels).
_ROLES = ("target", "past_covariates", "future_covariates", "center_covariates")
_LABEL_TUPLES = ("targets_", "past_covariates_", "future_covariates_", "channels_")


def _map_labels(names, convert):
    """``convert`` applied to a role's names: a list of labels, or one label
    (a tuple label's items are converted by ``convert`` itself)."""
    if isinstance(names, list):
        return [convert(label) for label in names]
    return convert(names)


def _labels_from_state(state):
    """``state`` with the column labels saved by :func:`label_state` rebuilt
    (labels saved as themselves, as before that, stay as they are)."""
    state = dict(state)
    for role in _ROLES:
        if role in state:
            state[role] = _map_labels(state[role], label_from_state)
    for role in _LABEL_TUPLES:
        if isinstance(state.get(role), tuple):
            state[role] = tuple(label_from_state(label) for label in state[role])
    window = state.get("last_window_")
    if isinstance(window, dict) and isinstance(window.get("columns"), list):
        state["last_window_"] = {
            **window, "columns": [label_from_state(label) for label in window["columns"]]}
    return state


def _freq_state(freq):
    """A frequency as plain values that rebuild it exactly (see :func:`_freq_from_state`).

    Its string where pandas reads that back (``"D"``, ``"W-SUN"``); else its
    class name and arguments where these are plain numbers and strings
    (``DateOffset(months=1)``, ``Easter()``, whose strings pandas cannot
    read). Offsets with other arguments (a custom business day's calendar)
    stay objects: pickle keeps them, skops asks to trust them.
    """
    if freq is None:
        return None
    try:
        if to_offset(freq.freqstr) == freq:
            return freq.freqstr
    except ValueError:  # "Invalid frequency": the string is not pandas' own
        pass
    name, kwds = type(freq).__name__, dict(freq.kwds)
    plain = all(isinstance(v, (bool, int, float, str)) for v in kwds.values())
    state = {"offset": name, "n": int(freq.n), "normalize": bool(freq.normalize), "kwds": kwds}
    if plain and getattr(pd.offsets, name, None) is type(freq) and _freq_from_state(state) == freq:
        return state
    return freq


def _freq_from_state(state):
    """The frequency :func:`_freq_state` saved."""
    if isinstance(state, str):
        return to_offset(state)
    if isinstance(state, dict):
        offset = getattr(pd.offsets, state["offset"])
        return offset(state["n"], normalize=state["normalize"], **state["kwds"])
    return state  # None, or an offset kept as an object


# A forecast holds a float64 per step and target, and more: beyond this many
# steps its arrays exceed any address space (NumPy then raises its own
# ValueError, "array is too big", where smaller ones raise MemoryError).
_MOST_STEPS = np.iinfo(np.intp).max // 64


class BaseForecaster(IntervalsMixin, BaseEstimator):
    """Shared fit / predict machinery; subclasses set the strategy."""

    # scikit-learn reads every argument of fit, score and predict as routable
    # metadata unless it is named X or y. A forecaster's ``data`` is its X, and
    # no router passes predict's horizon, future or history: none is metadata.
    __metadata_request__fit = {"data": UNUSED}
    __metadata_request__score = {"data": UNUSED}
    __metadata_request__predict = {"horizon": UNUSED, "future": UNUSED, "history": UNUSED}

    _parameter_constraints = {
        "regressor": [None, HasMethods("fit", "predict")],
        "window": WINDOW_CONSTRAINTS["window"],
        "gap": WINDOW_CONSTRAINTS["gap"],
        "target_transform": [
            None,
            Options(str, [name for name in TARGET_TRANSFORMS if name is not None]),
        ],
        "scale_target": [BOOLEAN],
        "center_windows": [BOOLEAN, Options(str, ["auto"])],
        "dropna": [BOOLEAN],
        "random_state": RANDOM_STATE,
        **CALIBRATION_CONSTRAINTS,
    }

    def _model_horizon(self):
        """Steps the model predicts at once."""
        raise NotImplementedError

    def _window_span(self, window, gap):
        """Rows from the start of predict's first window to the end of the history."""
        raise NotImplementedError

    def _calibration_steps(self):
        """Forecast steps that fit calibrates."""
        raise NotImplementedError

    def _forecast_offsets(self, n_steps):
        """Steps after the origin of the ``n_steps`` forecasts (int array)."""
        raise NotImplementedError

    def _n_lead(self, n_steps, setup):
        """Rows of future covariates after an origin read to forecast ``n_steps``."""
        raise NotImplementedError

    def _rows_read(self, setup, n_steps):
        """The rows a forecast of ``n_steps`` reads, relative to its origin
        (0: the origin's own row), per role: a dict of ``"target"``,
        ``"past"`` and ``"future"`` to lists of inclusive ``(first, last)``
        ranges. Target rows include those the target transform consumes;
        future rows may run past the origin, to ``_n_lead``."""
        raise NotImplementedError

    def _forecast_model_units(self, lookback, lead, origins, n_steps):
        """Model-unit forecasts (n_origins, n_steps, n_targets) from ``origins``.

        ``lookback`` (n_rows, n_lookback) and ``lead`` (n_rows + extra,
        n_future) are in model units; ``origins`` index their rows.
        """
        raise NotImplementedError

    def _check_params(self):
        """Validate the parameters; return them as a ``_Setup``."""
        validate_params(
            self.get_params(deep=False), self._parameter_constraints, type(self).__name__
        )
        for model in nested_models(self.regressor):
            # Anywhere in the regressor: whether a step before it transposes
            # the windows cannot be told, and reading them transposed is silent.
            if isinstance(model, BaseLSTM) and model.data_format == "channels_first":
                raise ValueError(
                    f"{type(self).__name__} passes its regressor windows of shape (windows, "
                    f"steps, channels); {type(model).__name__}(data_format='channels_first') "
                    "would read them transposed, and is refused anywhere in the regressor. "
                    "Leave data_format at None (a Pipeline that transposes the windows for "
                    "it can drop the transpose too)."
                )
        window, gap = int(self.window), int(self.gap)
        transform = TARGET_TRANSFORMS[self.target_transform]
        size = self.calibration_size
        return _Setup(
            window=window,
            gap=gap,
            horizon=self._model_horizon(),
            dropna=bool(self.dropna),
            transform=transform,
            n_history_rows=self._window_span(window, gap) + transform.n_consumed,
            calibration=self.calibration,
            # Any integer is a row count, any other real a fraction (np.float32 too).
            # A fraction as the decimal it prints as (np.float32(0.1) is 0.1).
            calibration_size=(int(size) if isinstance(size, numbers.Integral)
                              else level_value(size)),
            calibration_folds=int(self.calibration_folds),
            calibration_steps=self._calibration_steps(),
            center_windows=self._resolved_center_windows(),
            scale_target=bool(self.scale_target),
        )

    def _check_unchanged_recipe(self, method):
        """Raise if a parameter ``fit`` read differs from the fitted one.

        Forecasts come from the fitted setup; a parameter changed by
        ``set_params`` since would be shown by ``repr`` and ignored, so it is
        refused, as the LSTM estimators refuse a changed architecture. The
        regressor and ``random_state`` only train and are not compared (the
        fitted regressor_ serves), but parameters that no longer pass fit's
        checks are refused whichever changed.
        """
        fitted = self._setup

        def no_longer_passes(exc):
            return type(exc)(
                f"{type(self).__name__}'s parameters no longer pass fit's checks (changed by "
                f"set_params after fit?): {exc} {method} uses the fitted model: set them "
                "back, or refit."
            )

        try:
            changed = self._changed_columns()
        except (TypeError, ValueError) as exc:
            raise no_longer_passes(exc) from None
        try:
            current = self._check_params()
        except (TypeError, ValueError) as exc:
            if not changed:  # else the changed columns are the likelier cause: named below
                raise no_longer_passes(exc) from None
        else:
            changed += [(name, getattr(fitted, field)) for field, name in self._RECIPE_FIELDS
                        if _reads(fitted, field)
                        and getattr(fitted, field) != getattr(current, field)]
        if changed:
            name, value = changed[0]
            if name == "target_transform":
                value = value.name
            raise ValueError(
                f"{type(self).__name__} was fitted with {name}={value!r}, but {name} is now "
                f"{getattr(self, name)!r} (changed by set_params after fit?). {method} uses "
                f"the fitted model: set {name} back, or refit to change it."
            )

    def _changed_columns(self):
        """The column parameters (targets, covariates, centred covariates)
        that no longer name the fitted columns, as ``(name, fitted value)``."""
        fitted = self._setup
        changed = []
        if self.target is None:
            if fitted.target_required:  # fit refuses None with a DataFrame
                changed.append(("target", list(self.targets_)))
        elif not _same_names(self.target, self.targets_, "target"):
            changed.append(("target", list(self.targets_)))
        for name, names in (("past_covariates", self.past_covariates_),
                            ("future_covariates", self.future_covariates_)):
            if not _same_names(getattr(self, name), names, name):
                changed.append((name, list(names) or None))
        centered = [self.past_covariates_[i] for i in fitted.centered_past]
        centered += [self.future_covariates_[i] for i in fitted.centered_future]
        if set(_names(self.center_covariates, "center_covariates")) != set(centered):
            changed.append(("center_covariates", centered or None))
        return changed

    # _Setup fields made from one parameter each, and the parameter's name.
    _RECIPE_FIELDS = (
        ("window", "window"), ("gap", "gap"), ("horizon", "horizon"), ("dropna", "dropna"),
        ("transform", "target_transform"), ("center_windows", "center_windows"),
        ("scale_target", "scale_target"), ("calibration", "calibration"),
        ("calibration_size", "calibration_size"), ("calibration_folds", "calibration_folds"),
    )

    def _centered_positions(self, frame, roles, setup):
        """``center_covariates`` as positions in the covariate roles, a dict
        of ``centered_past`` and ``centered_future``; a clear error for a
        name that is no covariate, or a covariate whose windows hold no
        value to take its level from."""
        value = self.center_covariates
        if isinstance(value, (bool, np.bool_)):
            raise TypeError(
                f"center_covariates takes covariate names, not {value!r}; the targets are "
                "centred by center_windows."
            )
        positions = {"centered_past": [], "centered_future": []}
        for name in _names(value, "center_covariates"):
            if name in roles.targets:
                raise ValueError(
                    f"center_covariates names the target {quoted_label(name)}; targets are "
                    "centred by center_windows, center_covariates names covariates."
                )
            for role, key in ((roles.past, "centered_past"), (roles.future, "centered_future")):
                if name in role:
                    positions[key].append(role.index(name))
                    break
            else:
                raise ValueError(
                    f"center_covariates names {quoted_label(name)}, which is neither a past "
                    f"covariate {quoted_label(list(roles.past))} nor a future covariate "
                    f"{quoted_label(list(roles.future))}."
                    + _tuple_hint("center_covariates", value, frame)
                )
        if positions["centered_past"] and setup.window < 2:
            name = roles.past[positions["centered_past"][0]]
            raise ValueError(
                f"center_covariates names the past covariate {quoted_label(name)}, but windows of "
                "one step (window=1) centred on their level are 0 everywhere; use window >= 2, "
                "or leave it uncentred."
            )
        if positions["centered_future"] and setup.window <= setup.future_shift:
            name = roles.future[positions["centered_future"][0]]
            raise ValueError(
                f"center_covariates names the future covariate {quoted_label(name)}, whose level "
                "in a window is its mean up to the window's origin; but it enters each window "
                f"shifted ahead by gap + {setup.horizon} = {setup.future_shift} step(s) "
                f"(the {setup.horizon} step(s) the model predicts at once), so a window of "
                f"{setup.window} holds no value before its origin. Use window > "
                f"{setup.future_shift}."
            )
        return {key: tuple(sorted(values)) for key, values in positions.items()}

    def _centered_channels(self):
        """Channel indices of the fitted centred covariates: ``(past, future)``."""
        roles = self._role_columns()
        return (tuple(roles["past"].start + i for i in self._setup.centered_past),
                tuple(roles["future"].start + i for i in self._setup.centered_future))

    def _resolved_center_windows(self):
        """``center_windows`` as a bool: "auto" centres the windows unless
        the targets are differenced. Differences are free of the level
        already, and centring them as well takes away their local mean, the
        trend's slope: with "diff", centring forecast worse on the
        validation origins of ``benchmarks/bench_forecasting.py``."""
        if isinstance(self.center_windows, str):  # "auto", validated
            return self.target_transform != "diff"
        return bool(self.center_windows)

    def _current_setup(self):
        """The fitted setup, or the parameters' own before a fit."""
        return getattr(self, "_setup", None) or self._check_params()

    def _check_reach(self, n_steps, name, gap, past_covariates):
        """Raise if the forecast cannot reach ``n_steps`` steps (a recursive
        one with past covariates); ``gap`` and ``past_covariates`` are the
        fitted ones, or the parameters' before a fit."""

    def _check_predict_horizon(self, horizon, default, method):
        """``horizon`` given to ``method`` ("predict", ...), as an int; None means ``default``."""
        if horizon is None:
            return default
        validate_params(
            {"horizon": horizon}, {"horizon": WINDOW_CONSTRAINTS["horizon"]},
            f"{type(self).__name__}.{method}",
        )
        return int(horizon)

    # -- model units -------------------------------------------------------------

    def _to_model_units(self, raw, index):
        """Raw targets (n_rows, n_targets) labelled by ``index`` -> model units,
        of shape (n_rows - n_consumed, n_targets)."""
        values = self._setup.transform.transform(raw, index, self.targets_)
        return (values - self.target_mean_) / self.target_scale_

    def _forecast(self, lookback, lead, raw, origins, n_steps):
        """Forecasts in target units, (n_origins, n_steps, n_targets).

        ``raw`` (n_rows + n_consumed, n_targets) are the raw targets behind
        ``lookback``; ``origins`` index ``lookback``'s rows.
        """
        pred = self._forecast_model_units(lookback, lead, origins, n_steps)
        if not np.all(np.isfinite(pred)):
            origin, step, target = np.argwhere(~np.isfinite(pred))[0]
            raise ValueError(
                f"The regressor {type(self.regressor_).__name__} forecast "
                f"{pred[origin, step, target]} for {quoted_label(self.targets_[target])} at step "
                f"{step + 1}."
            )
        last_raw = raw[origins + self._setup.transform.n_consumed]
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, by place
            pred = pred * self.target_scale_ + self.target_mean_
            pred = self._setup.transform.inverse(pred, last_raw)
        if not np.all(np.isfinite(pred)):
            _, step, target = np.argwhere(~np.isfinite(pred))[0]
            raise ValueError(
                f"The forecast of {quoted_label(self.targets_[target])} at step {step + 1} is "
                "beyond float64 in the target's units (after undoing the scaling and "
                f"target_transform={self.target_transform!r}): the history or horizon takes "
                "the model far beyond the values it was fitted on."
            )
        return pred

    # -- fit -------------------------------------------------------------------

    @underflow_is_zero
    @each_once()  # calibration fits the regressor again, whose warnings it would repeat
    def fit(self, data, y=None):
        """Fit the regressor on the windows of a history.

        Parameters
        ----------
        data : DataFrame or Series of length n_rows
            History indexed by time, as for :func:`make_windows`. Every
            target, past covariate and future covariate column must be in it.
            NaN is an error unless ``dropna=True``.
        y : None
            Must be None: the targets are columns of ``data``. (scikit-learn's
            model selection passes a ``y`` when given one, which is refused
            with this advice.)

        Returns
        -------
        self : object
            The fitted forecaster.
        """
        self._refuse_y(y, "fit")
        setup = self._check_params()
        frame, roles, freq, values, periods = self._read_fit_data(data, setup)
        setup = replace(setup, target_required=not isinstance(data, pd.Series),
                        **self._centered_positions(frame, roles, setup))
        _warn_of_unread_future_steps(roles, setup)
        # Staged on a copy, committed in one step: a failed fit (or
        # calibration) leaves a fitted forecaster as it was.
        staged = scratch_copy(self)
        staged.period_freq_ = periods  # first: _fit_model labels last_window_ by it
        # Only the default LSTM reads random_state (a given regressor keeps its own).
        seeds_default = self.regressor is None and isinstance(self.random_state,
                                                              np.random.RandomState)
        with (_generator_kept_on_failure(self.random_state) if seeds_default
              else nullcontext()):
            if seeds_default:
                # One draw seeds every fit of this one (the regressor's and the
                # calibration's), so that a failed fit can put it back; the
                # fitted models never hold the caller's generator.
                staged.random_state = _private_rng(self.random_state)
            staged._fit_model(frame, roles, freq, values, setup)
            failed = staged._calibrate(frame, setup)
            staged._store_in_sample(frame)
            if failed:  # said of a fit that succeeded: the cause may be its regressor's
                # Before the commit: a warning turned into an error fails the fit.
                warn(f"{type(self).__name__} fitted without calibrated intervals: {failed}",
                     CalibrationWarning)
        # The parameters as they are now: set_params from another thread
        # while the fit ran is kept (and refused by predict, as after fit).
        replace_state(self, {**vars(staged), **self.get_params(deep=False)})
        return self

    def _refuse_y(self, y, method):
        if y is not None:
            raise TypeError(
                f"{type(self).__name__}.{method} reads its targets from the columns of "
                f"data (target={self.target!r}); y must be None. In model selection pass "
                "the frame alone, e.g. cross_val_score(forecaster, df, cv=TimeSeriesSplit("
                "test_size=h)), and keep the default scoring, the forecaster's own score: "
                "scikit-learn's scoring names need a y."
            )

    def _fit_model(self, frame, roles, freq, values, setup):
        """Fit the regressor on the windows of checked data; set fitted state."""
        n_targets = len(roles.targets)
        transform = setup.transform
        model_targets = transform.transform(
            values[:, :n_targets], self._user_labels(frame.index), roles.targets
        )
        mean, scale = target_scaling(
            model_targets, roles.targets, transform, scale=self.scale_target
        )
        model_frame = frame.loc[:, list(roles.columns)].iloc[transform.n_consumed :]
        model_frame = model_frame.copy()
        model_frame[list(roles.targets)] = (model_targets - mean) / scale
        # Set first: _configured reads them (self is a staged copy).
        self._setup = setup
        self.targets_, self.past_covariates_ = roles.targets, roles.past
        self.future_covariates_ = roles.future
        windows = make_windows(
            model_frame,
            target=list(roles.targets),
            window=setup.window,
            horizon=setup.horizon,
            gap=setup.gap,
            past_covariates=list(roles.past),
            future_covariates=list(roles.future),
            dropna=setup.dropna,
            future_layout=setup.future_layout,
        )
        X, y = windows.X, windows.y
        X = center_covariates(X, setup.window, windows.channels, *self._centered_channels(),
                              setup.future_shift)
        if setup.center_windows:
            X, levels = center_windows(X, n_targets, setup.window, windows.channels)
            y = y - np.tile(levels, setup.horizon)
        y = y[:, 0] if y.shape[1] == 1 else y
        regressor = self._fit_regressor(X, y)

        self.freq_ = freq
        self.target_mean_, self.target_scale_ = mean, scale
        self.channels_ = windows.channels
        self.n_windows_ = len(windows)
        self.regressor_ = regressor
        self.last_window_ = self._on_user_axis(frame.loc[:, list(roles.columns)].iloc[
            -setup.n_history_rows :
        ])
        if isinstance(self.last_window_.columns, pd.MultiIndex):
            # Only its own labels, as a saved copy rebuilds them.
            self.last_window_.columns = self.last_window_.columns.remove_unused_levels()

    def _store_in_sample(self, frame):
        """Keep the in-sample forecasts and errors of every training origin."""
        n_steps = self._in_sample_steps()
        offsets = self._forecast_offsets(n_steps)
        origins = np.arange(self._setup.n_history_rows - 1, len(frame) - offsets[-1])
        pred = self._origin_forecasts(frame, origins, n_steps)
        truth = observed_targets(frame, self.targets_, origins, offsets)
        self._in_sample = {
            "origins": index_state(frame.index[origins]),
            "fitted": pred,
            "residuals": forecast_errors(truth, pred, self.targets_),
        }

    def _read_fit_data(self, data, setup):
        """Check the fit data; return its frame, roles, freq and used values."""
        frame, target = as_frame(data, self.target)
        roles = resolve_roles(
            frame, target, self.past_covariates, self.future_covariates
        )
        periods, labels = period_freq(frame.index), frame.index  # labels: the user's
        frame = on_period_starts(frame, "data", prefixed=False)
        check_time_zone(frame.index)
        freq = time_freq(frame.index)
        check_fit_length(len(frame), setup)
        values = column_values(frame, roles.columns)
        check_finite(
            values,
            roles.columns,
            labels,
            allow_nan=setup.dropna,
            nan_hint=(
                "; fill or drop it first, or pass dropna=True to train only on "
                "the windows that do not touch it."
            ),
        )
        return frame, roles, freq, values, periods

    def _default_regressor(self):
        """The LSTM fitted when ``regressor`` is None."""
        return LSTMRegressor(**_DEFAULT_LSTM_PARAMS, random_state=self.random_state)

    def _fit_regressor(self, X, y):
        """Fit and return a clone of ``regressor``, or the default LSTM."""
        default = self.regressor is None
        regressor = self._configured(
            self._default_regressor() if default else clone(self.regressor))
        # The default recipe's iteration cap is deliberate (see
        # _DEFAULT_LSTM_PARAMS, and the encoder-decoder's 200 epochs in
        # _direct), so "increase max_iter" would be bad advice: silenced for
        # the default, also once regressor__ keys have set its other
        # parameters. Every other convergence problem still warns.
        quiet = default or self._keeps_the_default_cap(regressor)
        try:
            with silenced(IterationLimitWarning) if quiet else nullcontext():
                return regressor.fit(X, y)
        except (TypeError, ValueError) as error:
            if isinstance(regressor, BaseLSTM):  # its errors name the windows' parts
                raise
            # Raised from deep inside the regressor, most often because
            # the windows are 3-D: name the forecaster's part.
            kind = ValueError if isinstance(error, ValueError) else TypeError
            if _DIMENSIONS.search(str(error)):
                advice = (
                    " A regressor that reads only 2-D X needs the windows flattened first, "
                    "e.g. make_pipeline(FunctionTransformer(lambda X: X.reshape(len(X), -1)), "
                    "Ridge())."
                )
            elif _NOT_FINITE.search(str(error)) and np.isfinite(y).all():
                # Made inside the regressor, from the finite windows it was given.
                advice = (
                    " The windows and y given to it are finite: a step of the regressor "
                    "made its input NaN or infinite."
                ) + ("" if re.search(r"\bX\b", str(error)) else (
                    " Its targets are the forecaster's in model units (standardised by "
                    "scale_target, and relative to each window's level with center_windows), "
                    "negative as often as not: a transform of the targets such as log "
                    "belongs in target_transform='log'."))
            else:
                advice = ""
            raise kind(
                f"{type(self).__name__}: the regressor {type(regressor).__name__} failed "
                f"to fit on the training windows (X of shape {X.shape}: windows, steps, "
                f"channels; y of shape {y.shape}): {error}{advice}"
            ) from error

    def _keeps_the_default_cap(self, regressor):
        """Whether ``regressor`` is the default recipe, re-sized, re-penalised
        or re-seeded: the default regressor's class, and its parameters but
        ``_RECIPE_FREE``, as ``regressor__`` keys leave them (a GridSearchCV
        over ``regressor__alpha``, say). A regressor of that class built
        otherwise (another learning rate, say) is no longer the recipe whose
        cap is deliberate, and keeps its warning."""
        recipe = self._configured(self._default_regressor())
        if type(regressor) is not type(recipe):
            return False
        mine, its = regressor.get_params(), recipe.get_params()
        return all(_same_value(mine[name], its[name]) for name in its
                   if name not in _RECIPE_FREE)

    def _configured(self, regressor):
        """``regressor`` (unfitted) with the settings the strategy imposes on it.

        Every sklstm model in it is told that the windows are channels last
        (``data_format="channels_last"``, where it is None): a window of
        more than twice as many channels as steps (many covariates, a short
        window) looks transposed to a model that is not told, and it warned
        of it, advising the channels first that :meth:`_check_params` refuses.
        """
        for path, model in _nested_paths(regressor):
            if isinstance(model, BaseLSTM) and model.data_format is None:
                regressor.set_params(**{f"{path}data_format": "channels_last"})
        return regressor

    def set_params(self, **params):
        """Set parameters; ``regressor__*`` also reaches the default regressor.

        With ``regressor=None``, nested ``regressor__<name>`` keys first set
        ``regressor`` to the default LSTM (seeded by ``random_state``, after
        the other keys of this call are set), then set ``<name>`` on it. It
        is then a given regressor, which the forecaster's ``random_state``
        (and ``future_covariates``) set by later calls no longer reach.

        Parameters
        ----------
        **params : dict
            Forecaster parameters by name, and ``regressor__<name>`` keys.

        Returns
        -------
        self : object
        """
        # Every name is checked before anything is set: scikit-learn's
        # set_params sets the keys before an unknown one, on the forecaster
        # and on the regressor passed in. The forecaster's own keys are then
        # set on a shallow copy and committed, in case its rules refuse one.
        self._check_param_names(params)
        staged = scratch_copy(self)
        nested = {key: v for key, v in params.items() if key.startswith("regressor__")}
        if not nested or params.get("regressor", self.regressor) is not None:
            super(BaseForecaster, staged).set_params(**params)
        else:
            super(BaseForecaster, staged).set_params(
                **{k: v for k, v in params.items() if k not in nested}
            )
            staged.regressor = staged._default_regressor_with(nested)
        self.__dict__.update(staged.__dict__)
        return self

    def _check_param_names(self, params):
        """Raise, naming it, on a key of ``params`` that names no parameter of
        this forecaster or, after ``<name>__``, of the estimator it holds there.

        Nested keys are tried on a clone of that estimator, by its own
        ``set_params``: scikit-learn's rules, under which a step replaced in
        the same call (``regressor__model=...``) takes its own keys.
        """
        own = self.get_params(deep=False)
        nested = {}
        for key in params:
            name, _, sub_key = key.partition("__")
            if name not in own:
                raise ValueError(
                    f"Invalid parameter {name!r} for estimator {self}. Valid parameters "
                    f"are: {sorted(own)!r}."
                )
            if sub_key:
                nested.setdefault(name, {})[sub_key] = params[key]
        for name, sub_params in nested.items():
            inner = params.get(name, own[name])
            if hasattr(inner, "set_params"):  # None: the default regressor, checked later
                clone(inner, safe=False).set_params(**sub_params)

    def _default_regressor_with(self, nested):
        """The default regressor with the ``regressor__<name>`` keys ``nested``."""
        regressor = self._default_regressor()
        params = {key[len("regressor__"):]: value for key, value in nested.items()}
        solver = params.get("solver")
        if solver is not None and solver not in ("adam", "sgd"):
            # The default's dropout belongs to its Adam recipe, and the scipy
            # solvers refuse dropout: switching the solver switches it off,
            # unless it is set too.
            params = {"dropout": 0.0, "recurrent_dropout": 0.0, **params}
        valid = regressor.get_params()
        unknown = [name for name in params if name not in valid]
        if unknown:
            raise ValueError(
                f"Invalid parameter {unknown[0]!r} for the default regressor of "
                f"{type(self).__name__} ({type(regressor).__name__}, used with "
                f"regressor=None). Valid parameters are: {sorted(valid)}."
            )
        return regressor.set_params(**params)

    # -- predict ---------------------------------------------------------------

    def _point_forecast(self, horizon, future, history, method="predict", check_steps=None):
        """Checked forecasts (n_steps, n_targets) and their labels; ``method``
        names the public call in messages. ``check_steps(n_steps)``, if
        given, runs once the steps are known and before the forecast's work
        (which may be long): the intervals' checks of their calibration."""
        check_is_fitted(self)
        self._check_fitted_state(history_sized=False)  # set by hand too
        self._check_unchanged_recipe(method)
        n_steps = self._check_steps(horizon, method)
        history = self._history_frame(history)
        # The labels first: a horizon past the last timestamp pandas holds
        # fails here, before the forecast's work.
        first_offset = int(self._forecast_offsets(1)[0])
        index = future_labels(history.index, self.freq_, first_offset - 1, n_steps)
        try:
            if n_steps > _MOST_STEPS:
                raise MemoryError  # NumPy would say "array is too big" in its own terms
            if check_steps is not None:
                check_steps(n_steps)
            lookback, lead, raw = self._model_arrays(history, future, n_steps, method)
            origin = np.array([len(lookback) - 1])
            pred = self._forecast(lookback, lead, raw, origin, n_steps)[0]
        except MemoryError:
            raise ValueError(
                f"a forecast of {n_steps} steps does not fit in memory: ask for fewer."
            ) from None
        return pred, self._user_labels(index)

    def _origin_forecasts(self, frame, origins, n_steps):
        """Forecasts from histories ending at rows ``origins`` of ``frame``.

        ``frame`` holds the used columns on the fitted time axis; future
        covariates are read from it. Returns (n_origins, n_steps, n_targets)
        in target units, NaN from the first step whose rows hold a NaN: a
        recursive forecast's earlier steps read none of the later steps'
        rows, and are forecast, as are an encoder-decoder's (its decoder is
        causal); any other direct model reads the same rows for all.
        """
        n_targets = len(self.targets_)
        n_lookback = n_targets + len(self.past_covariates_)
        columns = self.targets_ + self.past_covariates_ + self.future_covariates_
        values = column_values(frame, columns)
        first = self._setup.transform.n_consumed
        n_lead = self._n_lead(n_steps, self._setup)
        # Rows after the last origin are truths at most, never a history: a
        # value the target transform refuses there (0 under "log") must not
        # fail the forecasts from before it.
        end = int(origins.max()) + 1 if len(origins) else first
        raw = values[:end, :n_targets]
        lookback = values[first:end, :n_lookback].copy()
        lookback[:, :n_targets] = self._to_model_units(raw, self._user_labels(frame.index[:end]))
        # Future covariates past the data read as NaN: an origin that needs
        # them is incomplete, and the array is never indexed past its end.
        future = values[first:, n_lookback:]
        lead = np.vstack([future, np.full((n_lead, future.shape[1]), np.nan)])
        # How many of its first steps each origin's rows allow (complete for
        # k steps implies for fewer).
        # A forecast of fewer steps reads no further ahead: one count serves all.
        nan_counts = self._nan_counts(values, n_lead)
        reach = sum(self._complete_origins(values, origins, k, nan_counts).astype(int)
                    for k in range(1, n_steps + 1))
        pred = np.full((len(origins), n_steps, n_targets), np.nan)
        for k in np.unique(reach[reach > 0]):
            pred[reach == k, :k] = self._forecast(
                lookback, lead, raw, origins[reach == k] - first, int(k)
            )
        return pred

    def _role_columns(self):
        """Each role's columns among targets, past and future covariates (in
        that order), as slices: the keys of :meth:`_rows_read`."""
        n_targets, n_past = len(self.targets_), len(self.past_covariates_)
        return {"target": slice(0, n_targets), "past": slice(n_targets, n_targets + n_past),
                "future": slice(n_targets + n_past, n_targets + n_past
                                + len(self.future_covariates_))}

    def _read_in_history(self, n_rows, n_steps):
        """Mask (n_rows, n_columns) of the cells of the last ``n_rows`` rows
        that a forecast of ``n_steps`` from the last of them reads."""
        roles = self._role_columns()
        read = np.zeros((n_rows, roles["future"].stop), bool)
        for role, ranges in self._rows_read(self._setup, n_steps).items():
            for first, last in ranges:
                rows = slice(max(n_rows + first - 1, 0), max(n_rows + min(last, 0), 0))
                read[rows, roles[role]] = True
        return read

    def _read_after_origin(self, n_steps):
        """Mask (n_lead,) of the rows after the origin whose future
        covariates a forecast of ``n_steps`` reads: all of them, but for
        windows shorter than the lead (their first rows fall before the
        window) and the encoder-decoder's gap."""
        n_lead = self._n_lead(n_steps, self._setup)
        read = np.zeros(n_lead, bool)
        for first, last in self._rows_read(self._setup, n_steps)["future"]:
            read[max(first, 1) - 1: max(min(last, n_lead), 0)] = True
        return read

    def _nan_counts(self, values, n_after):
        """Per role with columns, how many of the first ``i`` rows of
        ``values`` (n_rows, n_columns), followed by ``n_after`` rows that
        count as NaN, hold a NaN in its columns: arrays of shape (n_rows +
        n_after + 1,), which :meth:`_complete_origins` reads."""
        counts = {}
        for role, columns in self._role_columns().items():
            block = values[:, columns]
            if block.shape[1]:
                nan = np.concatenate([np.isnan(block).any(axis=1), np.ones(n_after, bool)])
                counts[role] = np.concatenate([[0], np.cumsum(nan)])
        return counts

    def _complete_origins(self, values, origins, n_steps, nan_counts=None):
        """Mask of the origins whose forecasts of ``n_steps`` read no NaN.

        Each role's columns are checked in the rows the model reads
        (:meth:`_rows_read`), not in all the history's: windows shift future
        covariates ahead or skip the gap, a recursive forecast reads the gap
        rows only as it reaches them, and a NaN the windows of fit skipped
        made training origins' fitted values NaN. Future covariates past
        the end of ``values`` count as NaN. ``nan_counts``: those of
        :meth:`_nan_counts` for at least ``_n_lead(n_steps)`` rows after
        the end, computed once for several ``n_steps``.
        """
        if nan_counts is None:
            nan_counts = self._nan_counts(values, self._n_lead(n_steps, self._setup))
        complete = np.ones(len(origins), dtype=bool)
        for role, ranges in self._rows_read(self._setup, n_steps).items():
            counts = nan_counts.get(role)
            if counts is None:  # a role without columns
                continue
            for first, last in ranges:
                complete &= counts[origins + last + 1] == counts[origins + first]
        return complete

    def _history_frame(self, history):
        """The last rows of ``history`` (None: of the fit data) predict reads."""
        if history is None:
            return on_period_starts(self.last_window_, "last_window_")
        # The fitted names, not the target parameter: a forecaster fitted on
        # a Series also reads a one-column DataFrame named like its target.
        frame, _ = as_frame(history, self.targets_, what="history")
        n_needed = self._setup.n_history_rows
        frame = self._on_fitted_axis(frame, "history", last=n_needed)
        columns = self.targets_ + self.past_covariates_ + self.future_covariates_
        missing = [name for name in columns if name not in frame.columns]
        if missing:
            raise ValueError(f"history lacks the column(s) {quoted_label(missing)} seen in fit.")
        resolve_roles(
            frame, self.targets_, self.past_covariates_, self.future_covariates_, "history"
        )
        self._check_axis(frame.index, "history", last=n_needed,
                         anchor=self._history_frame(None).index[-1])
        if len(frame) < n_needed:
            raise ValueError(
                f"history has {len(frame)} rows; predict needs the last {n_needed}."
            )
        # The rows read, then their columns: not a copy of every row first.
        return frame.iloc[-n_needed:].loc[:, list(columns)]

    def _on_fitted_axis(self, frame, what, *, consecutive=True, last=None):
        """``frame`` on the fitted kind of time axis: a PeriodIndex of the
        fitted frequency as its start times (see :func:`on_period_starts`),
        refused where fit saw another kind of index, and another kind of
        index where fit saw periods."""
        refuse_another_kind(frame.index, self.period_freq_, self.freq_, self._fitted_zone(),
                            what)
        return on_period_starts(frame, what, consecutive=consecutive, last=last)

    def _fitted_zone(self):
        """The fit data's time zone; None for naive timestamps or another index."""
        return getattr(self.last_window_.index, "tz", None)

    def _user_labels(self, labels):
        """Labels of the fitted time axis as the user's kind: periods where
        fit saw a PeriodIndex."""
        return as_periods(labels, self.period_freq_)

    def _on_user_axis(self, frame):
        """``frame`` on the fitted time axis labelled as the user's kind (a
        shallow copy, for periods)."""
        if self.period_freq_ is None:
            return frame
        return relabelled(frame, self._user_labels(frame.index))

    def _check_axis(self, index, what, *, consecutive=True, last=None, anchor=None):
        """Raise unless ``index`` is on the fitted time axis (see :func:`check_on_axis`)."""
        check_on_axis(index, self.freq_, self._fitted_zone(), what, consecutive=consecutive,
                      last=last, anchor=anchor)

    def _future_values(self, future, index, read, method="predict"):
        """Future covariates at the ``n_steps = len(read)`` labels after
        ``index``, of which those where the mask ``read`` is True must be
        given; the others, which the forecast does not read, are 0.
        ``method`` names the public call in messages (``score`` reads them
        from its ``data``).

        Returns an array of shape (n_steps, n_future_covariates).
        """
        n_steps = len(read)
        columns = self.future_covariates_
        if not columns and future is not None:
            # Ignoring it would hide a forecaster built without the
            # covariates its user meant it to read.
            raise ValueError(
                f"future is given, but this {type(self).__name__} was fitted without "
                "future_covariates, so it reads no future values. Name the columns with "
                "future_covariates=[...] and refit, or leave future=None."
            )
        if not columns or n_steps == 0:
            return np.empty((n_steps, len(columns)))
        argument = "data" if method == "score" else "future"
        labels = future_labels(index, self.freq_, 0, n_steps)
        shown = self._user_labels(labels)  # in messages, as the user labels rows
        needed = shown[read]
        span = (f"the {n_steps} step(s) after the history, {listed(shown)}" if read.all()
                else f"{listed(needed)}, {len(needed)} of the {n_steps} step(s) after the "
                "history")
        if future is None:
            raise ValueError(
                f"{method} needs the future covariates {quoted_label(list(columns))} at {span}; "
                f"pass them as {method}(future=DataFrame indexed by those labels)."
            )
        a_series = isinstance(future, pd.Series)  # the column of its name
        if a_series:
            named = "an unnamed Series" if future.name is None else (
                f"a Series named {quoted_label(future.name)}")
            future = future.to_frame()
        if not isinstance(future, pd.DataFrame):
            raise TypeError(f"future must be a DataFrame; got {type(future).__name__}.")
        # score's data is on the fitted axis already; a future is as the user labels it.
        future = rows_in_span(future, labels if method == "score" else shown)
        if method != "score":
            future = self._on_fitted_axis(future, argument, consecutive=False)
        # Only the columns read must be unique: the others are ignored.
        repeated = repeated_labels(future.columns, columns)
        if repeated:
            raise ValueError(
                f"{argument} has several columns named {quoted_label(repeated[0])}, a future "
                "covariate: keep one.")
        self._check_axis(future.index, argument, consecutive=False)
        present = [name for name in columns if name in future.columns]
        # One reindex of every column read: a label absent from future is NaN.
        values = pd.DataFrame(
            column_values(future, present, argument), index=future.index
        ).reindex(labels).to_numpy()
        problems = []
        blocks = iter(values.T)  # the columns of present, in order
        for name in columns:
            if name not in future.columns:
                series = (f": future is {named}; name it with .rename({name!r})"
                          if a_series and len(columns) == 1 else "")
                problems.append(f"{quoted_label(name)} (no such column{series})")
                continue
            block = next(blocks)
            absent = shown[np.isnan(block) & read]
            if len(absent):
                problems.append(f"{quoted_label(name)} at {listed(absent)} (row absent or NaN)")
            infinite = shown[np.isinf(block) & read]
            if len(infinite):
                problems.append(f"{quoted_label(name)} at {listed(infinite)} (infinite)")
        if problems:
            raise ValueError(
                f"{method} needs finite future covariates at {span}. Missing: "
                f"{'; '.join(problems)}{' in data' if argument == 'data' else ''}."
            )
        # A new array: pandas' own (copy-on-write) is read-only.
        return np.where(read[:, None], values, 0.0)

    def _model_arrays(self, history, future, n_steps, method="predict"):
        """Arrays in model units for the windows of a forecast of ``n_steps``
        from the end of ``history``.

        Returns lookback (n_rows, n_lookback), lead (n_rows + n_lead,
        n_future) and the raw targets (n_rows + n_consumed, n_targets), where
        ``n_rows`` is the history's length less the rows the target transform
        consumes. A NaN in a row the forecast reads (:meth:`_rows_read`) is
        refused by place; one elsewhere (a dropna=True fit's) is left alone.
        """
        n_targets = len(self.targets_)
        n_lookback = n_targets + len(self.past_covariates_)
        columns = self.targets_ + self.past_covariates_ + self.future_covariates_
        values = column_values(history, columns)
        labels = self._user_labels(history.index)  # in messages
        check_finite(
            np.where(self._read_in_history(len(values), n_steps), values, 0.0), columns,
            labels, where=f" in the history {method} starts from",
            # A dropna=True fit takes such a history (its last window need
            # not be whole); its forecast cannot.
            nan_hint=": a forecast reads whole windows. " + (
                "score forecasts from the end of the fit data: fill it there and refit."
                if method == "score" else
                f"Fill it ({method}(history=data.interpolate()), say) or pass a history= "
                "that ends before it."),
        )
        first = self._setup.transform.n_consumed
        raw = values[:, :n_targets]
        lookback = values[first:, :n_lookback].copy()
        lookback[:, :n_targets] = self._to_model_units(raw, labels)
        lead = np.vstack(
            [values[first:, n_lookback:],
             self._future_values(future, history.index, self._read_after_origin(n_steps),
                                 method)]
        )
        return lookback, lead, raw

    def _predict_windows(self, X, n_values, what):
        """Regressor output for windows X (n, window, n_channels), as (n,
        n_values) (``what`` names that count in the error). The values
        are step-major, ``n_values / n_targets`` steps of every target."""
        n_targets = len(self.targets_)
        setup = self._setup
        X = center_covariates(X, setup.window, self.channels_, *self._centered_channels(),
                              setup.future_shift)
        if setup.center_windows:
            X, levels = center_windows(X, n_targets, setup.window, self.channels_)
        pred = self.regressor_.predict(X)
        try:
            pred = np.asarray(pred, dtype=np.float64)
        except (TypeError, ValueError):
            raise TypeError(
                f"the regressor {type(self.regressor_).__name__} predicted values that are "
                f"not numbers (dtype {np.asarray(pred).dtype}); a forecaster needs a "
                "regressor of numbers."
            ) from None
        # Rows are windows: a right-sized output of another layout, say
        # (n_values, n), would reshape into values of other windows. One
        # window's values are unambiguous in any shape (np.squeeze's).
        one_window = len(X) == 1 and pred.size == n_values
        if not one_window and (pred.ndim == 0 or pred.shape[0] != len(X)
                               or pred.size != len(X) * n_values):
            expected = f"({len(X)}, {n_values})"
            if n_values == 1:
                expected = f"({len(X)},) or {expected}"
            raise ValueError(
                f"the regressor {type(self.regressor_).__name__} predicted an array of "
                f"shape {pred.shape} for {len(X)} windows; expected {expected}: one row "
                f"per window of {what} = {n_values} values."
            )
        pred = pred.reshape(len(X), n_values)
        if setup.center_windows:
            pred = pred + np.tile(levels, n_values // n_targets)
        return pred

    def _to_output(self, pred, index):
        """Forecasts (n_steps, n_targets) as a Series (one target) or a DataFrame."""
        if len(self.targets_) == 1:
            return pd.Series(pred[:, 0], index=index, name=self.targets_[0])
        return pd.DataFrame(pred, index=index, columns=list(self.targets_))

    # -- evaluation ------------------------------------------------------------

    @underflow_is_zero
    @reads_one_state
    def score(self, data, y=None):
        """Negative mean absolute error of the forecast of the rows after the history.

        The forecaster forecasts from the end of its fit data the steps
        that ``data`` holds, as far as it can (a :class:`DirectForecaster`
        its ``gap + horizon`` steps, a :class:`RecursiveForecaster` every row,
        or ``gap + 1`` with past covariates), and compares with the targets of
        ``data``; the targets of later rows are not read. Greater is better,
        as scikit-learn's scorers expect, so
        ``GridSearchCV(forecaster, ..., cv=TimeSeriesSplit(test_size=h))``
        tunes a forecaster on rolling origins.

        Parameters
        ----------
        data : DataFrame or Series
            The rows right after the fit data (its first label follows the
            last fit label), with the targets and any future covariates.
        y : None
            Must be None, as in :meth:`fit` (scikit-learn's scorers pass None).

        Returns
        -------
        score : float
            ``-mean(|truth - forecast|)`` over the scored steps and targets,
            each target in its own units.
        """
        check_is_fitted(self)
        self._refuse_y(y, "score")
        frame, _ = as_frame(data, self.targets_, what="data")
        frame = self._on_fitted_axis(frame, "data")
        missing = [name for name in self.targets_ if name not in frame.columns]
        if missing:
            raise ValueError(f"score needs the target column(s) {quoted_label(missing)} in data.")
        if len(frame):
            self._check_axis(frame.index, "data")
        history_index = self._history_frame(None).index
        expected = future_labels(history_index, self.freq_, 0, 1)[0]
        if len(frame) == 0 or frame.index[0] != expected:
            # GridSearchCV turns the error into NaN scores and a warning
            # quoting this message: say what usually causes it.
            if not len(frame):
                later = ""
            elif frame.index[0] > expected:
                later = (" Rows are left out between the fit data and the scored rows: a "
                         "splitter's gap (TimeSeriesSplit(gap=...)) leaves them out (use "
                         "gap=0, and the forecaster's own gap parameter to forecast further "
                         "ahead), and so does learning_curve, which fits on the first part "
                         "of each training fold: forecasters have no learning curve.")
            else:
                later = (" data holds rows the forecaster was fitted on: train scores "
                         "(cross_validate(return_train_score=True), validation_curve) score "
                         "the fit data, which a forecaster does not forecast; leave them off.")
            named = self._user_labels(pd.Index([expected, *frame.index[:1]]))
            first = named[1] if len(frame) else "no row"
            raise ValueError(
                f"score needs the rows right after the fit data, from {named[0]}; "
                f"data starts at {first}.{later}"
            )
        n_steps = self._score_steps(len(frame))
        n_lead = self._n_lead(n_steps, self._setup)
        if self.future_covariates_ and len(frame) < n_lead:
            raise ValueError(
                f"score forecasts from the end of the fit data, which reads the future "
                f"covariates {quoted_label(list(self.future_covariates_))} at the {n_lead} "
                f"step(s) after it; data holds {len(frame)} row(s). Pass at least {n_lead}."
            )
        offsets = self._forecast_offsets(n_steps)
        keep = offsets <= len(frame)
        future = frame if self.future_covariates_ else None
        pred, _ = self._point_forecast(n_steps, future, None, "score")
        # The rows compared, not every row of data (offsets are 1-based).
        truth = column_values(frame.iloc[: int(offsets[keep].max(initial=0))],
                              self.targets_)[offsets[keep] - 1]
        check_finite(truth, self.targets_, self._user_labels(frame.index[offsets[keep] - 1]),
                     where=" in the rows score compares with", nan_hint=".")
        errors = np.abs(forecast_errors(truth[None], pred[keep][None], self.targets_))
        # The mean of values near float64's largest overflows in its sum; the
        # mean of the errors divided by a power of two is exact and does not.
        exponent = unit_exponents(errors)
        return -float(np.ldexp(np.mean(np.ldexp(errors, -exponent)), exponent))

    def _score_steps(self, n_rows):
        """Steps ``score`` forecasts for ``n_rows`` rows of truth."""
        raise NotImplementedError

    def _in_sample_frame(self, key):
        """``fitted_values_`` or ``residuals_`` as a new DataFrame (a copy:
        editing it never reaches the fitted forecaster)."""
        check_is_fitted(self)
        values = self._checked_in_sample(key)
        index = self._user_labels(
            index_from_state(self._in_sample["origins"], None)).rename("origin")
        steps = self._forecast_offsets(values.shape[1])
        return per_target_frame(values.transpose(0, 2, 1), index, self.targets_, steps,
                                names=["target", "step"])

    @property
    @underflow_is_zero
    @reads_one_state
    def fitted_values_(self):
        """In-sample forecasts of every training origin (see Attributes)."""
        return self._in_sample_frame("fitted")

    @property
    @underflow_is_zero
    @reads_one_state
    def residuals_(self):
        """In-sample errors, truth - ``fitted_values_`` (see Attributes)."""
        return self._in_sample_frame("residuals")

    # -- saving ------------------------------------------------------------------

    @reads_one_state  # checked and copied from one state, whatever a fit commits meanwhile
    def __getstate__(self):
        """State of plain values only (arrays, numbers, strings), so that
        skops can save a fitted forecaster and trust everything in it."""
        if "_setup" in vars(self):
            check_before_saving(self, self._check_fitted_state)
        state = dict(super().__getstate__())  # a copy: never change self
        for role in _ROLES:
            # Names given as a pandas Index or Series (target=df.columns) are
            # saved as a list: skops can neither save an Index nor load a Series.
            if isinstance(state.get(role), (pd.Index, pd.Series)):
                state[role] = state[role].tolist()
            state[role] = _map_labels(state.get(role), label_state)
        with_class_name(self, state)
        if "_setup" not in state:
            return state
        window = state.pop("last_window_")
        state["_setup"] = state["_setup"].state()
        state["freq_"] = _freq_state(self.freq_)
        state["last_window_"] = {
            "values": column_values(window, list(window.columns)),
            "columns": [label_state(label) for label in window.columns],
            # What the labels were an Index of: pandas would infer another
            # (a DatetimeIndex from one Timestamp of a frame of mixed labels).
            "columns_dtype": (
                ["multi", *(str(level.dtype) for level in window.columns.levels)]
                if isinstance(window.columns, pd.MultiIndex) else str(window.columns.dtype)),
            "index": index_state(on_period_starts(window, "last_window_").index),
        }
        for role in _LABEL_TUPLES:
            state[role] = tuple(label_state(label) for label in state[role])
        return state

    def __setstate__(self, state):
        load_staged(self, state)

    def _load_state(self, state):
        """:meth:`__setstate__`'s work, checked."""
        # A forecaster saved before a parameter existed gets its default,
        # which keeps the behaviour it was saved with; or, where the default
        # has changed since, the value that does (_PREDATING_DEFAULTS).
        state = {**missing_parameter_defaults(type(self), state),
                 **_PREDATING_DEFAULTS, **state}
        try:
            state = _labels_from_state(state)
        except (TypeError, ValueError, KeyError) as exc:
            raise ValueError(load_refusal(self, f"a column label: {exc}")) from None
        fitted = [key for key in state if key.endswith("_") and not key.startswith("__")]
        if fitted or "_setup" in state:
            try:
                missing = [name for name in self._required_fitted if name not in state]
                if missing:
                    raise ValueError(
                        f"it lacks the fitted attributes {missing}. Was it saved from another "
                        "class?"
                    )
                state = self._rebuilt_state(state)
            except (TypeError, ValueError) as exc:
                raise type(exc)(load_refusal(self, exc)) from None
        super().__setstate__(state)
        if "_setup" in state:
            try:
                self._check_fitted_state()
            except (TypeError, ValueError) as exc:
                raise type(exc)(load_refusal(self, exc)) from None

    # What a fitted state holds; __setstate__ refuses a state without one.
    _required_fitted = (
        "_setup", "freq_", "targets_", "past_covariates_", "future_covariates_",
        "target_mean_", "target_scale_", "regressor_", "last_window_",
        "calibration_residuals_", "_in_sample",
    )

    @staticmethod
    def _rebuilt_state(state):
        """``state`` with the setup, frequency and last window rebuilt from
        the plain values :meth:`__getstate__` saved, each checked by name."""
        state = dict(state)
        setup = state["_setup"]
        fields = [f.name for f in dataclasses.fields(_Setup)]
        if not isinstance(setup, dict) or not set(setup) <= set(fields):
            raise TypeError(f"_setup must be a dict of the fields {fields}, got {setup!r}.")
        if setup.get("transform") not in TARGET_TRANSFORMS:
            raise ValueError(
                f"_setup names an unknown target_transform, {setup.get('transform')!r}."
            )
        try:
            state["_setup"] = _Setup.from_state(setup)
        except TypeError as exc:  # a required field missing
            raise TypeError(f"_setup lacks fields: {exc}") from None
        # Saved before PeriodIndex data was read: fitted on another index.
        periods = state.setdefault("period_freq_", None)
        if periods is not None:
            try:
                pd.Period("2000-01-01", freq=periods)
            except (TypeError, ValueError) as exc:
                raise ValueError(
                    f"period_freq_ is no period frequency pandas reads: {exc!r}.") from None
        try:
            state["freq_"] = _freq_from_state(state["freq_"])
        except (AttributeError, KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"freq_ is no frequency pandas can rebuild: {exc!r}.") from None
        window = state["last_window_"]
        if not isinstance(window, dict) or not (
            {"values", "columns", "index"} <= set(window)
            <= {"values", "columns", "columns_dtype", "index"}
        ):
            raise TypeError("last_window_ must be saved as a dict of 'values', 'columns' and "
                            "'index' (and 'columns_dtype').")
        values = check_float_array(window["values"], "last_window_'s values", allow_nan=True)
        index_values = window["index"].get("values") if isinstance(window["index"], dict) else None
        if not isinstance(window["columns"], list) or not isinstance(index_values, np.ndarray) \
                or values.shape != (index_values.size, len(window["columns"])):
            raise ValueError(
                "last_window_'s values must have one row per label of its index and one "
                "column per name in its columns."
            )
        try:
            index = index_from_state(window["index"], state["freq_"])
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(
                f"last_window_'s index is not on the grid of freq_ {state['freq_']}: {exc}"
            ) from None
        columns = window["columns"]
        kind = window.get("columns_dtype")  # saved before it was kept: pandas infers it
        try:
            if isinstance(kind, list) and kind[:1] == ["multi"]:
                columns = pd.MultiIndex.from_tuples(columns)
                columns = columns.set_levels(
                    [level.astype(dtype) for level, dtype in zip(columns.levels, kind[1:])])
            elif kind is not None:
                columns = pd.Index(columns, dtype=kind)
        except (TypeError, ValueError) as exc:
            raise ValueError(
                f"last_window_'s columns are no Index of {kind!r}: {exc}") from None
        periods = state["period_freq_"]
        if periods is not None:
            # The timestamps saved must be the starts of consecutive periods
            # of that freq.
            labels = None
            if isinstance(index, pd.DatetimeIndex) and index.tz is None:
                try:
                    labels = as_periods(index, periods)
                except (TypeError, ValueError):
                    pass
            if labels is None or not labels.to_timestamp(how="start").equals(index) or (
                    np.diff(labels.asi8) != labels.freq.n).any():
                raise ValueError(
                    f"period_freq_ {periods!r} does not label last_window_'s index (of freq_ "
                    f"{state['freq_']}): its labels are not the starts of consecutive "
                    f"periods of {periods!r}.")
            index = as_periods(index, periods)
        state["last_window_"] = pd.DataFrame(values, index=index, columns=columns)
        return state

    def _check_fitted_state(self, *, history_sized=True):
        """Raise unless the fitted state is one ``predict`` can trust: its
        counts consistent, its options known, its arrays of numbers in their
        shapes. Run on every loaded or copied state, and by every forecast.

        ``history_sized=False`` leaves out the arrays a point
        forecast does not read, the in-sample forecasts and the calibration
        errors, whose size grows with the training history: each is checked
        where it is read.
        """
        setup = self._setup
        # The rules of the parameters the setup was made from.
        validate_params(
            vars(setup),
            {**{name: WINDOW_CONSTRAINTS[name] for name in ("window", "horizon", "gap")},
             **CALIBRATION_CONSTRAINTS, "calibration_steps": WINDOW_CONSTRAINTS["horizon"],
             "dropna": [BOOLEAN], "center_windows": [BOOLEAN],
             "scale_target": [None, BOOLEAN], "target_required": [None, BOOLEAN],
             "future_layout": [Options(str, ("shifted", "appended"))]},
            "_setup",
        )
        expected_rows = self._window_span(setup.window, setup.gap) + setup.transform.n_consumed
        if setup.n_history_rows != expected_rows:
            raise ValueError(
                f"_setup's n_history_rows is {setup.n_history_rows}, but its window, gap and "
                f"target_transform read {expected_rows}."
            )
        roles = (self.targets_, self.past_covariates_, self.future_covariates_)
        if not all(isinstance(names, tuple) for names in roles) or not self.targets_:
            raise TypeError("targets_, past_covariates_ and future_covariates_ must be tuples of "
                            "column names, targets_ not empty.")
        for field, role in (("centered_past", "past_covariates_"),
                            ("centered_future", "future_covariates_")):
            positions, n_names = getattr(setup, field), len(getattr(self, role))
            if not (isinstance(positions, tuple)
                    and all(type(i) is int and 0 <= i < n_names for i in positions)
                    and list(positions) == sorted(set(positions))):
                which = f"(0 to {n_names - 1})" if n_names else "(it has none: ())"
                raise ValueError(
                    f"_setup's {field} must be a tuple of increasing positions in {role} "
                    f"{which}, got {positions!r}."
                )
        n_targets = len(self.targets_)
        check_float_array(self.target_mean_, "target_mean_", (n_targets,), " (one per target)")
        check_float_array(self.target_scale_, "target_scale_", (n_targets,), " (one per target)")
        check_positive(self.target_scale_, "target_scale_")
        window = self.last_window_
        columns = list(self.targets_ + self.past_covariates_ + self.future_covariates_)
        if list(window.columns) != columns or len(window) != setup.n_history_rows:
            raise ValueError(
                f"last_window_ must hold the last {setup.n_history_rows} rows of the columns "
                f"{quoted_label(columns)}; got {len(window)} rows of "
                f"{quoted_label(list(window.columns))}."
            )
        # NaN may be there (dropna=True fits); predict refuses it by place.
        check_finite(column_values(window, columns), columns, window.index, allow_nan=True,
                     where=" in last_window_")
        if not callable(getattr(self.regressor_, "predict", None)):
            raise TypeError(
                f"regressor_ must be a fitted regressor, got {type(self.regressor_).__name__}."
            )
        in_sample = self._in_sample
        if not isinstance(in_sample, dict) or set(in_sample) != {"origins", "fitted", "residuals"}:
            raise TypeError("_in_sample must be a dict of 'origins', 'fitted' and 'residuals'.")
        if history_sized:
            self._checked_calibration_residuals()
            for key in ("fitted", "residuals"):
                self._checked_in_sample(key)

    def _checked_in_sample(self, key):
        """The in-sample ``key`` ("fitted" or "residuals"), checked."""
        return check_step_array(self._in_sample[key], f"the in-sample {key}", len(self.targets_))


