"""Forecasting with sequence regressors: windowing of time-indexed data.

A sequence regressor such as :class:`sklstm.LSTMRegressor` learns from
``X`` of shape ``(n_windows, window, n_channels)`` and ``y`` of shape
``(n_windows,)`` or ``(n_windows, n_outputs)``. This module turns a
:class:`pandas.DataFrame` (or Series) indexed by time into such windows, and
wraps any regressor that accepts 3-D ``X`` into forecasters that predict the
steps after the end of a history.

- :func:`make_windows` returns the supervised windows as a :class:`Windows`.
- :class:`DirectForecaster` fits one multi-output model for all ``horizon``
  steps.
- :class:`RecursiveForecaster` fits a one-step model and rolls it forward,
  feeding back its own predictions.

Time axis
---------
The index must be a regular time axis: a :class:`pandas.RangeIndex` (or
integer index with step 1), or a :class:`pandas.DatetimeIndex` whose ``freq``
is set or can be inferred with :func:`pandas.infer_freq`. Missing timestamps,
an unsorted or duplicated index are errors, never silently repaired: use
``df.asfreq("D")``, ``df.sort_index()`` and so on first.

Column roles
------------
Every column used is named in exactly one role:

``target``
    The column(s) to forecast. Their past values are input channels too.
``past_covariates``
    Columns known only up to the time of the forecast (the *origin*): they
    enter the window as their own lookback, like the targets.
``future_covariates``
    Columns known in advance (calendar features, planned prices). They enter
    the window shifted ahead by ``gap + horizon`` steps, so that the window's
    last step holds their value at the last target time; see
    :func:`make_windows` for the diagram.

Channels are ordered targets, then past covariates, then future covariates,
each in the order given.

Tuning with GridSearchCV and TimeSeriesSplit
--------------------------------------------
A :class:`~sklearn.pipeline.Pipeline` step cannot change ``y``, so windowing
happens *before* the estimator, once. Windows are in time order, so
:class:`~sklearn.model_selection.TimeSeriesSplit` gives time-ordered folds.
Consecutive windows overlap: with ``stride=1``, pass
``gap=horizon - 1`` (in windows) to ``TimeSeriesSplit`` so that no training
target falls at or after the first target of the test fold::

    from sklearn.compose import TransformedTargetRegressor
    from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
    from sklearn.preprocessing import StandardScaler
    from sklstm import LSTMRegressor
    from sklstm.datasets import load_co2
    from sklstm.forecasting import make_windows

    changes = load_co2().diff().iloc[1:]  # learns nothing: safe before splitting
    w = make_windows(changes, target="co2", window=12, horizon=12)
    search = GridSearchCV(
        TransformedTargetRegressor(  # scaling is learned: inside each fold
            LSTMRegressor(solver="lbfgs", max_iter=60, random_state=0),
            transformer=StandardScaler(),
        ),
        {"regressor__hidden_layer_sizes": [(8,), (16,)]},
        cv=TimeSeriesSplit(n_splits=3, gap=12 - 1),
    ).fit(w.X, w.y)

``examples/forecast_grid_search.py`` does this for real, with the window
length tuned in an outer loop on windows that share the same targets.

Any regressor that accepts 3-D ``X`` works the same way; here a flattening
ridge regression stands in for the LSTM:

>>> import numpy as np
>>> import pandas as pd
>>> from sklearn.linear_model import Ridge
>>> from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
>>> from sklearn.pipeline import make_pipeline
>>> from sklearn.preprocessing import FunctionTransformer
>>> from sklstm.forecasting import make_windows
>>> flat_ridge = make_pipeline(
...     FunctionTransformer(lambda X: X.reshape(len(X), -1)), Ridge())
>>> t = np.arange(120.0)
>>> df = pd.DataFrame({"y": np.sin(t / 4) + t / 50},
...                   index=pd.date_range("2000-01", periods=120, freq="MS"))
>>> w = make_windows(df, target="y", window=12, horizon=3)
>>> w.X.shape, w.y.shape
((106, 12, 1), (106, 3))
>>> search = GridSearchCV(flat_ridge, {"ridge__alpha": [1e-3, 1.0]},
...                       cv=TimeSeriesSplit(n_splits=3, gap=3 - 1))
>>> search.fit(w.X, w.y).best_params_
{'ridge__alpha': 0.001}

The window length changes ``X`` itself, so it is tuned outside the search:
loop over it with the forecasters (their parameters can be set like any
estimator's) and score on a time-ordered holdout, the last rows:

>>> from sklearn.metrics import mean_absolute_error
>>> from sklstm.forecasting import DirectForecaster
>>> train, test = df.iloc[:-6], df.iloc[-6:]
>>> forecaster = DirectForecaster(flat_ridge, window=6, horizon=6, target="y")
>>> scores = {}
>>> for window in (3, 6, 12):
...     _ = forecaster.set_params(window=window).fit(train)
...     scores[window] = mean_absolute_error(test["y"], forecaster.predict())
>>> min(scores, key=scores.get)
12
"""

import numbers
import warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset
from sklearn.base import BaseEstimator, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils.validation import check_is_fitted

__all__ = ["DirectForecaster", "RecursiveForecaster", "Windows", "make_windows"]

_TRANSFORMS = (None, "diff", "log")

# The LSTM that the forecasters fit when regressor=None. Measured on the
# bundled series (examples/forecast_dataframe.py, co2 and sunspots, 3 seeds):
# full-batch L-BFGS fits a few hundred windows in seconds and beats the
# seasonal-naive forecast on both, where Adam with LSTMRegressor's own
# defaults (200 epochs at learning rate 1e-3) took several times longer and
# forecast worse. Capping L-BFGS at 100 iterations of a small network acts as
# early stopping: more iterations or units overfit these short histories.
_DEFAULT_LSTM_PARAMS = {"hidden_layer_sizes": (8,), "solver": "lbfgs", "max_iter": 100}

# How many labels an error message lists before "...".
_MAX_LISTED = 5


# --------------------------------------------------------------------------
# Input checks shared by make_windows and the forecasters
# --------------------------------------------------------------------------


def _listed(labels):
    labels = list(labels)
    text = ", ".join(str(label) for label in labels[:_MAX_LISTED])
    if len(labels) > _MAX_LISTED:
        text += f", ... ({len(labels)} in all)"
    return text


def _check_int(value, name, minimum):
    if (
        isinstance(value, (bool, np.bool_))
        or not isinstance(value, numbers.Integral)
        or value < minimum
    ):
        raise ValueError(f"{name} must be an integer >= {minimum}; got {value!r}.")
    return int(value)


def _as_frame(data, target):
    """Return ``(frame, target)``; a Series becomes a one-column frame."""
    if isinstance(data, pd.Series):
        name = "y" if data.name is None else data.name
        if target is not None and _names(target, "target") != (name,):
            raise ValueError(
                f"target={target!r} does not match the Series, whose values are "
                f"the target {name!r}; leave target=None for a Series."
            )
        return data.to_frame(name), name
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"data must be a pandas DataFrame or Series indexed by time; got "
            f"{type(data).__name__}."
        )
    if target is None:
        raise ValueError("target is required when data is a DataFrame.")
    return data, target


def _names(value, role):
    if value is None:
        return ()
    if isinstance(value, (str, numbers.Number)) or not hasattr(value, "__iter__"):
        return (value,)
    names = tuple(value)
    seen = set()
    for name in names:
        if name in seen:
            raise ValueError(f"column {name!r} is listed twice in {role}.")
        seen.add(name)
    return names


@dataclass(frozen=True)
class _Roles:
    targets: tuple
    past: tuple
    future: tuple

    @property
    def lookback(self):
        return self.targets + self.past

    @property
    def columns(self):
        return self.targets + self.past + self.future


def _resolve_roles(frame, target, past_covariates, future_covariates):
    """Check that every named column exists, once, in a single role."""
    roles = {
        "target": _names(target, "target"),
        "past_covariates": _names(past_covariates, "past_covariates"),
        "future_covariates": _names(future_covariates, "future_covariates"),
    }
    if not roles["target"]:
        raise ValueError("target must name at least one column.")
    owner = {}
    for role, names in roles.items():
        for name in names:
            if name in owner:
                raise ValueError(
                    f"column {name!r} is given both as {owner[name]} and as {role}; "
                    f"each column has exactly one role."
                )
            owner[name] = role
            if name not in frame.columns:
                raise ValueError(
                    f"column {name!r} given as {role} is not in data; its columns "
                    f"are {list(frame.columns)}."
                )
    duplicated = [name for name in owner if np.sum(frame.columns == name) > 1]
    if duplicated:
        raise ValueError(f"data has several columns named {duplicated[0]!r}.")
    return _Roles(roles["target"], roles["past_covariates"], roles["future_covariates"])


def _missing_datetimes(index):
    """Guess the frequency of a DatetimeIndex with holes; return (freq, missing)."""
    candidates = []
    for start in range(min(len(index) - 2, 50)):
        freq = pd.infer_freq(index[start : start + 3])
        if freq is not None and freq not in candidates:
            candidates.append(freq)
    for freq in candidates:
        full = pd.date_range(index[0], index[-1], freq=freq)
        if len(full) > len(index) and index.isin(full).all():
            return freq, full.difference(index)
    return None, None


def _time_freq(index):
    """Validate a time axis; return its frequency (None for an integer index).

    Returns
    -------
    freq : pandas.DateOffset or None
        The step of a DatetimeIndex, None for an integer index with step 1.
    """
    is_datetime = isinstance(index, pd.DatetimeIndex)
    if not is_datetime and not (
        pd.api.types.is_integer_dtype(index.dtype)
        and not isinstance(index, pd.MultiIndex)
    ):
        raise TypeError(
            f"the index must be a DatetimeIndex or an integer index (RangeIndex); "
            f"got {type(index).__name__} of dtype {index.dtype}. Convert it, e.g. "
            f"with df.set_index(pd.to_datetime(df['date'])), df.to_timestamp() for "
            f"a PeriodIndex, or df.reset_index(drop=True)."
        )
    if len(index) == 0:
        raise ValueError("data has no rows.")
    if not index.is_unique:
        dup = index[index.duplicated()]
        raise ValueError(
            f"the index has duplicated labels ({_listed(dup.unique())}); aggregate "
            f"them first, e.g. df.groupby(level=0).mean()."
        )
    if not index.is_monotonic_increasing:
        raise ValueError(
            "the index is not sorted in increasing time order; use df.sort_index()."
        )
    if not is_datetime:
        if len(index) > 1:
            steps = np.diff(np.asarray(index))
            if (steps != 1).any():
                full = pd.RangeIndex(index[0], index[-1] + 1)
                missing = full.difference(index)
                raise ValueError(
                    f"the integer index must have step 1; labels "
                    f"{_listed(missing)} are missing. Insert them with "
                    f"df.reindex(range({index[0]}, {index[-1] + 1})) (they become "
                    f"NaN rows to fill), or use df.reset_index(drop=True) if the "
                    f"labels do not matter."
                )
        return None
    if index.freq is not None:
        return index.freq
    freq = pd.infer_freq(index) if len(index) >= 3 else None
    if freq is not None:
        return to_offset(freq)
    guess, missing = _missing_datetimes(index) if len(index) >= 3 else (None, None)
    if guess is not None:
        raise ValueError(
            f"the DatetimeIndex is missing {len(missing)} timestamp(s) for its "
            f"frequency {guess!r}: {_listed(missing)}. Insert them with "
            f"df.asfreq({guess!r}), then fill the NaN rows this creates (or pass "
            f"dropna=True to drop the windows that touch them)."
        )
    raise ValueError(
        "the DatetimeIndex has no freq and none can be inferred (it needs at "
        "least 3 evenly spaced timestamps). Put the data on a regular grid, e.g. "
        "df.asfreq('D') or df.resample('MS').mean()."
    )


def _future_labels(index, freq, start, n):
    """Labels at positions ``len(index) + start + (0 .. n-1)``."""
    if freq is None:
        first = int(index[-1]) + 1 + start
        return pd.RangeIndex(first, first + n, name=index.name)
    labels = pd.date_range(index[-1], periods=start + n + 1, freq=freq, name=index.name)
    return labels[start + 1 :]


def _values(frame, columns):
    """Float64 array of shape (n_rows, len(columns)); non-numeric columns fail."""
    for name in columns:
        dtype = frame[name].dtype
        if not (
            pd.api.types.is_numeric_dtype(dtype) or pd.api.types.is_bool_dtype(dtype)
        ):
            raise ValueError(
                f"column {name!r} has non-numeric dtype {dtype}; encode it as numbers."
            )
    if not columns:
        return np.empty((len(frame), 0))
    return frame.loc[:, list(columns)].to_numpy(dtype=np.float64, na_value=np.nan)


def _check_finite(values, columns, index, *, allow_nan=False, hint=""):
    """Raise on inf always, and on NaN unless ``allow_nan``, naming column and label."""
    for j, name in enumerate(columns):
        column = values[:, j]
        bad = np.isinf(column) if allow_nan else ~np.isfinite(column)
        if bad.any():
            rows = np.flatnonzero(bad)
            raise ValueError(
                f"column {name!r} has {len(rows)} missing or infinite value(s), "
                f"the first at label {index[rows[0]]}{hint}"
            )


# --------------------------------------------------------------------------
# Windowing
# --------------------------------------------------------------------------


@dataclass(frozen=True, eq=False, repr=False)
class Windows:
    """Supervised windows made by :func:`make_windows`.

    Attributes
    ----------
    X : ndarray of shape (n_windows, window, n_channels), dtype float64
        Input windows, oldest step first. ``X[i, -1]`` is the step at
        ``origins[i]``.
    y : ndarray of shape (n_windows, horizon * n_targets), dtype float64
        Targets, step-major: all targets at the first target step, then all
        at the next step, and so on. Named by ``target_names``.
    origins : pandas.Index of length n_windows
        Label of each window's last input step (the forecast origin), in
        increasing order. A DatetimeIndex keeps its ``freq`` (times
        ``stride``) unless ``dropna`` dropped windows.
    channels : tuple of str
        Name of each channel of ``X``, in order: targets, past covariates,
        future covariates.
    target_names : tuple of str
        Name of each column of ``y``: ``"{target}_t+{k}"`` for
        ``k = gap + 1, ..., gap + horizon`` steps after the origin.
    """

    X: np.ndarray
    y: np.ndarray
    origins: pd.Index
    channels: tuple
    target_names: tuple

    def __len__(self):
        return len(self.X)

    def __repr__(self):
        return (
            f"Windows(X: {self.X.shape}, y: {self.y.shape}, "
            f"channels={self.channels}, target_names={self.target_names})"
        )


def _window_X(lookback, lead, origins, window, shift):
    """Stack the windows ending at ``origins``.

    lookback : (n_rows, n_lookback) targets and past covariates, unshifted.
    lead : (n_rows + extra, n_future) future covariates, read ``shift`` ahead.
    Returns X of shape (len(origins), window, n_lookback + n_future).
    """
    steps = origins[:, None] + np.arange(1 - window, 1)  # (n_windows, window)
    return np.concatenate([lookback[steps], lead[steps + shift]], axis=2)


def make_windows(
    data,
    *,
    target=None,
    window,
    horizon=1,
    gap=0,
    stride=1,
    past_covariates=None,
    future_covariates=None,
    dropna=False,
):
    """Cut a time-indexed frame into supervised windows for a sequence model.

    For an origin ``t`` (the label of a window's last input step), the window
    holds the ``window`` steps ``t-window+1 .. t`` and the targets are the
    ``horizon`` steps ``t+gap+1 .. t+gap+horizon``.

    Future covariates are shifted ahead by ``gap + horizon`` steps: window
    step ``k`` (0-based) holds targets and past covariates at time
    ``t-window+1+k``, but future covariates at ``t-window+1+k+gap+horizon``.
    The window's last step thus holds their value at the last target time,
    and its last ``min(window, horizon)`` steps hold their values at the
    target times, in order. For ``window=3, gap=1, horizon=2``::

        window step               0      1      2 (origin t)
        targets, past covariates  t-2    t-1    t
        future covariates         t+1    t+2    t+3
        y                         [target at t+2, target at t+3]

    No row beyond the data is needed: the last window reads its future
    covariates up to its last target time.

    Parameters
    ----------
    data : DataFrame or Series of length n_rows
        Indexed by a RangeIndex (or integer index with step 1), or by a
        DatetimeIndex with ``freq`` set or inferable. For a Series, its
        values are the only target, named by ``data.name`` (``"y"`` if None).
    target : str or list of str, default=None
        Column(s) to forecast; their lookback is always an input channel.
        Required for a DataFrame.
    window : int >= 1
        Number of input steps per window.
    horizon : int >= 1, default=1
        Number of consecutive target steps per window.
    gap : int >= 0, default=0
        Steps skipped between the origin and the first target step.
    stride : int >= 1, default=1
        Steps between consecutive origins. The grid of origins is aligned on
        the latest possible window, which is always included.
    past_covariates : str or list of str, default=None
        Columns known only up to the origin; they enter as their lookback.
    future_covariates : str or list of str, default=None
        Columns known in advance; they enter shifted ahead by
        ``gap + horizon`` steps (see above).
    dropna : bool, default=False
        If False, a NaN in any used column raises. If True, drop exactly the
        windows whose inputs or targets include a NaN; the other windows and
        their origins are unchanged.

    Returns
    -------
    windows : Windows
        Frozen dataclass with ``X`` of shape (n_windows, window, n_channels),
        ``y`` of shape (n_windows, horizon * n_targets), ``origins``,
        ``channels`` and ``target_names``. Without dropped windows,
        ``n_windows = (n_rows - window - gap - horizon) // stride + 1``.

    Raises
    ------
    ValueError
        If a column is unknown, named twice or in two roles; the index is
        unsorted, duplicated, has missing timestamps or no frequency; a used
        column has NaN (unless ``dropna``) or inf; or the data is shorter
        than ``window + gap + horizon`` rows.

    Examples
    --------
    >>> import pandas as pd
    >>> from sklstm.forecasting import make_windows
    >>> df = pd.DataFrame(
    ...     {"sales": [10., 11., 12., 13., 14., 15.],
    ...      "promo": [0., 1., 0., 0., 1., 0.]},
    ...     index=pd.date_range("2024-01-01", periods=6, freq="D"))
    >>> w = make_windows(df, target="sales", window=2, horizon=2,
    ...                  future_covariates="promo")
    >>> w
    Windows(X: (3, 2, 2), y: (3, 2), channels=('sales', 'promo'),
            target_names=('sales_t+1', 'sales_t+2'))
    >>> w.X[0]  # sales at Jan 1, 2; promo at Jan 3, 4 (the target days)
    array([[10.,  0.],
           [11.,  0.]])
    >>> w.y
    array([[12., 13.],
           [13., 14.],
           [14., 15.]])
    >>> list(w.origins.strftime("%Y-%m-%d")), w.origins.freqstr
    (['2024-01-02', '2024-01-03', '2024-01-04'], 'D')
    """
    frame, target = _as_frame(data, target)
    roles = _resolve_roles(frame, target, past_covariates, future_covariates)
    window = _check_int(window, "window", 1)
    horizon = _check_int(horizon, "horizon", 1)
    gap = _check_int(gap, "gap", 0)
    stride = _check_int(stride, "stride", 1)
    _time_freq(frame.index)  # validates the time axis

    n_rows = len(frame)
    needed = window + gap + horizon
    if n_rows < needed:
        raise ValueError(
            f"data has {n_rows} rows, but one window needs window + gap + horizon "
            f"= {window} + {gap} + {horizon} = {needed} rows."
        )
    columns = roles.columns
    values = _values(frame, columns)
    _check_finite(
        values,
        columns,
        frame.index,
        allow_nan=bool(dropna),
        hint=(
            "; fill or drop it, or pass dropna=True to drop only the windows "
            "that touch it."
        ),
    )
    n_targets = len(roles.targets)
    lookback = values[:, : len(roles.lookback)]
    lead = values[:, len(roles.lookback) :]
    targets = values[:, :n_targets]

    # Origins are positions; counting back from the latest one keeps it.
    last_origin = n_rows - 1 - gap - horizon
    origins = np.arange(last_origin, window - 2, -stride)[::-1]
    X = _window_X(lookback, lead, origins, window, shift=gap + horizon)
    target_steps = origins[:, None] + gap + np.arange(1, horizon + 1)
    y = targets[target_steps].reshape(len(origins), horizon * n_targets)

    # A slice keeps the index's freq (times stride) on the origins.
    origin_labels = frame.index[origins[0] : origins[-1] + 1 : stride]
    if dropna:
        keep = ~(np.isnan(X).any(axis=(1, 2)) | np.isnan(y).any(axis=1))
        if not keep.any():
            raise ValueError(
                f"all {len(origins)} windows include a NaN; nothing is left after "
                f"dropna=True."
            )
        if not keep.all():
            origin_labels, X, y = origin_labels[keep], X[keep], y[keep]

    target_names = tuple(
        f"{name}_t+{gap + step}"
        for step in range(1, horizon + 1)
        for name in roles.targets
    )
    return Windows(
        X=X,
        y=y,
        origins=origin_labels,
        channels=tuple(roles.columns),
        target_names=target_names,
    )


# --------------------------------------------------------------------------
# Forecasters
# --------------------------------------------------------------------------


class _BaseForecaster(BaseEstimator):
    """Shared fit / predict machinery; subclasses set the strategy."""

    def _fit_horizon(self):  # steps the model predicts at once
        raise NotImplementedError

    def _n_history_rows(self):
        raise NotImplementedError

    # -- parameters and transforms -----------------------------------------

    def _check_params(self):
        self._window = _check_int(self.window, "window", 1)
        self._gap = _check_int(self.gap, "gap", 0)
        if self.target_transform not in _TRANSFORMS:
            raise ValueError(
                f"target_transform must be one of {_TRANSFORMS}; got "
                f"{self.target_transform!r}."
            )
        for name in ("scale_target", "dropna"):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise ValueError(f"{name} must be a bool; got {getattr(self, name)!r}.")
        self._dropna = bool(self.dropna)
        # predict reads these copies, so set_params after fit cannot desync it.
        self._transform = self.target_transform

    def _transform_targets(self, raw, index):
        """Raw targets (n_rows, n_targets) -> model units; diff puts NaN in row 0."""
        if self._transform == "log":
            bad = raw <= 0
            if bad.any():
                row, col = np.argwhere(bad)[0]
                raise ValueError(
                    f"target_transform='log' needs positive targets; column "
                    f"{self.targets_[col]!r} has {float(raw[row, col])!r} at label "
                    f"{index[row]}."
                )
            return np.log(raw)
        if self._transform == "diff":
            out = np.full_like(raw, np.nan)
            out[1:] = np.diff(raw, axis=0)
            return out
        return raw.copy()

    def _inverse_targets(self, pred, last_raw):
        """Model-unit forecasts (n_steps, n_targets) -> original units.

        ``last_raw`` (n_targets,) is the last observed value, from which a
        differenced forecast is accumulated.
        """
        pred = pred * self.target_scale_ + self.target_mean_
        if self._transform == "log":
            return np.exp(pred)
        if self._transform == "diff":
            return last_raw + np.cumsum(pred, axis=0)
        return pred

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
        self._check_params()
        frame, target = _as_frame(data, self.target)
        roles = _resolve_roles(
            frame, target, self.past_covariates, self.future_covariates
        )
        self.targets_ = roles.targets
        self.past_covariates_ = roles.past
        self.future_covariates_ = roles.future
        self.freq_ = _time_freq(frame.index)

        values = _values(frame, roles.columns)
        _check_finite(
            values,
            roles.columns,
            frame.index,
            allow_nan=self._dropna,
            hint=(
                "; fill or drop it first, or pass dropna=True to train only on "
                "the windows that do not touch it."
            ),
        )
        n_targets = len(roles.targets)
        model_targets = self._transform_targets(values[:, :n_targets], frame.index)
        first = 1 if self._transform == "diff" else 0
        observed = ~np.isnan(model_targets[first:])
        if not observed.any(axis=0).all():
            name = roles.targets[int(np.argmin(observed.any(axis=0)))]
            raise ValueError(
                f"target {name!r} has no value to learn from (all NaN after "
                f"target_transform={self._transform!r})."
            )
        if self.scale_target:
            # nan* statistics: NaN only reaches here with dropna=True.
            mean = np.nanmean(model_targets[first:], axis=0)
            scale = np.nanstd(model_targets[first:], axis=0)
            # A constant column is centred but not scaled, as StandardScaler does.
            scale[
                scale < 10 * np.finfo(np.float64).eps * np.maximum(1.0, np.abs(mean))
            ] = 1.0
        else:
            mean, scale = np.zeros(n_targets), np.ones(n_targets)
        self.target_mean_, self.target_scale_ = mean, scale

        model_frame = frame.loc[:, list(roles.columns)].copy()
        model_frame[list(roles.targets)] = (model_targets - mean) / scale
        windows = make_windows(
            model_frame.iloc[first:],
            target=list(roles.targets),
            window=self._window,
            horizon=self._fit_horizon(),
            gap=self._gap,
            past_covariates=list(roles.past),
            future_covariates=list(roles.future),
            dropna=self._dropna,
        )
        self.channels_ = windows.channels
        self.n_windows_ = len(windows)

        y = windows.y[:, 0] if windows.y.shape[1] == 1 else windows.y
        if self.regressor is None:
            # Imported lazily: this module needs no estimator until one is
            # asked for, and the package's __init__ may import this module.
            from . import LSTMRegressor

            self.regressor_ = LSTMRegressor(
                **_DEFAULT_LSTM_PARAMS, random_state=self.random_state
            )
            with warnings.catch_warnings():
                # The iteration cap is deliberate (see _DEFAULT_LSTM_PARAMS), so
                # "did not converge, increase max_iter" would be bad advice.
                warnings.filterwarnings(
                    "ignore", message=".*did not converge", category=ConvergenceWarning
                )
                self.regressor_.fit(windows.X, y)
        else:
            self.regressor_ = clone(self.regressor)
            self.regressor_.fit(windows.X, y)
        self.last_window_ = frame.loc[:, list(roles.columns)].iloc[
            -self._n_history_rows() :
        ]
        return self

    # -- predict ---------------------------------------------------------------

    def _history_frame(self, history):
        if history is None:
            return self.last_window_
        frame, _ = _as_frame(history, self.target)
        columns = self.targets_ + self.past_covariates_ + self.future_covariates_
        missing = [name for name in columns if name not in frame.columns]
        if missing:
            raise ValueError(f"history lacks the column(s) {missing} seen in fit.")
        _resolve_roles(
            frame, self.targets_, self.past_covariates_, self.future_covariates_
        )
        freq = _time_freq(frame.index)
        if (freq is None) != (self.freq_ is None) or (
            freq is not None and freq != self.freq_
        ):
            seen = (
                "an integer index"
                if self.freq_ is None
                else f"freq {self.freq_.freqstr!r}"
            )
            got = "an integer index" if freq is None else f"freq {freq.freqstr!r}"
            raise ValueError(f"history has {got}, but fit saw {seen}.")
        n_needed = self._n_history_rows()
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
        labels = _future_labels(index, self.freq_, 0, n_steps)
        span = f"the {n_steps} step(s) after the history, {_listed(labels)}"
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
            block = _values(future, [name])
            block = pd.Series(block[:, 0], index=future.index).reindex(labels)
            absent = labels[block.isna().to_numpy()]
            if len(absent):
                problems.append(f"{name!r} at {_listed(absent)}")
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
        n_future) and the last raw targets (n_targets,).
        """
        n_targets = len(self.targets_)
        n_lookback = n_targets + len(self.past_covariates_)
        columns = self.targets_ + self.past_covariates_ + self.future_covariates_
        values = _values(history, columns)
        _check_finite(
            values, columns, history.index, hint=" in the history predict starts from."
        )
        raw = values[:, :n_targets]
        lookback = values[:, :n_lookback].copy()
        lookback[:, :n_targets] = (
            self._transform_targets(raw, history.index) - self.target_mean_
        ) / self.target_scale_
        lead = np.vstack(
            [values[:, n_lookback:], self._future_values(future, history.index, n_lead)]
        )
        return lookback, lead, raw[-1]

    def _predict_one(self, X):
        """Regressor output for one window X (1, window, n_channels), flattened."""
        return np.asarray(self.regressor_.predict(X), dtype=np.float64).reshape(-1)

    def _to_output(self, pred, index):
        if len(self.targets_) == 1:
            return pd.Series(pred[:, 0], index=index, name=self.targets_[0])
        return pd.DataFrame(pred, index=index, columns=list(self.targets_))


class DirectForecaster(_BaseForecaster):
    """Multi-step forecaster with one multi-output model (direct strategy).

    The regressor learns all ``horizon`` steps at once from the windows of
    :func:`make_windows` (``y`` has ``horizon * n_targets`` columns,
    step-major). ``predict`` feeds it the last window of the history and
    returns the steps ``gap + 1 .. gap + horizon`` after it.

    Parameters
    ----------
    regressor : estimator or None, default=None
        Regressor whose ``fit(X, y)`` and ``predict(X)`` take ``X`` of shape
        (n_windows, window, n_channels), with ``y`` 1-D for one output and
        2-D for several. It is cloned in ``fit``. None means
        ``sklstm.LSTMRegressor(hidden_layer_sizes=(8,), solver="lbfgs",
        max_iter=100, random_state=random_state)``: a small network trained
        on the full batch, whose iteration cap acts as early stopping on short
        histories (so its ConvergenceWarning is silenced). Pass your own for
        long or multivariate series.
    window : int >= 1
        Number of input steps of each window.
    horizon : int >= 1
        Number of steps predicted.
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
        Steps skipped between the end of the history and the first forecast.
    target_transform : {None, "diff", "log"}, default=None
        Applied to the targets (inputs and outputs) before scaling. "log"
        needs positive targets. "diff" models first differences and is
        inverted by a cumulative sum from the last observed value; it needs
        ``gap=0`` (the differences over the gap are never predicted).
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

    Attributes
    ----------
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
        The last ``window`` (+1 for "diff") rows of the fit data, from which
        ``predict`` forecasts when no ``history`` is given.

    See Also
    --------
    RecursiveForecaster : One-step model rolled forward.
    make_windows : The windowing behind ``fit``.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklstm.forecasting import DirectForecaster
    >>> flat = make_pipeline(
    ...     FunctionTransformer(lambda X: X.reshape(len(X), -1)), LinearRegression())
    >>> y = pd.Series(np.arange(20.0), name="load",
    ...               index=pd.date_range("2024-01-01", periods=20, freq="D"))
    >>> f = DirectForecaster(flat, window=3, horizon=2).fit(y)
    >>> f.predict()
    2024-01-21    20.0
    2024-01-22    21.0
    Freq: D, Name: load, dtype: float64
    """

    def __init__(
        self,
        regressor=None,
        *,
        window,
        horizon,
        target=None,
        past_covariates=None,
        future_covariates=None,
        gap=0,
        target_transform=None,
        scale_target=True,
        dropna=False,
        random_state=None,
    ):
        self.regressor = regressor
        self.window = window
        self.horizon = horizon
        self.target = target
        self.past_covariates = past_covariates
        self.future_covariates = future_covariates
        self.gap = gap
        self.target_transform = target_transform
        self.scale_target = scale_target
        self.dropna = dropna
        self.random_state = random_state

    def _check_params(self):
        super()._check_params()
        self._horizon = _check_int(self.horizon, "horizon", 1)
        if self.target_transform == "diff" and self._gap > 0:
            raise ValueError(
                "target_transform='diff' needs gap=0 with DirectForecaster: the "
                "differences over the gap are never predicted, so the forecast "
                "cannot be accumulated from the last observed value."
            )

    def _fit_horizon(self):
        return self._horizon

    def _n_history_rows(self):
        return self._window + (self._transform == "diff")

    def predict(self, horizon=None, *, future=None, history=None):
        """Forecast the steps after the end of the history.

        Parameters
        ----------
        horizon : int, default=None
            Number of steps to return, at most the ``horizon`` of the
            estimator (None means all of them). The forecast for step ``k``
            does not depend on ``horizon``.
        future : DataFrame, default=None
            Future covariates, indexed by the labels after the end of the
            history. It must hold every future covariate at the
            ``gap + horizon`` steps after the history (the fitted horizon,
            whatever ``horizon`` is passed here); other rows and columns are
            ignored. Needed only with ``future_covariates``.
        history : DataFrame or Series, default=None
            A newer history to forecast from, with the columns and frequency
            seen in ``fit``; only its last rows are used. None means the end
            of the data passed to ``fit``.

        Returns
        -------
        forecast : Series or DataFrame of shape (horizon,) or (horizon, n_targets)
            Indexed by the forecast labels (the timestamps, or integers,
            ``gap + 1 .. gap + horizon`` steps after the history), with one
            column per target; a Series named after the target if there is
            only one.
        """
        check_is_fitted(self)
        n_steps = (
            self._horizon if horizon is None else _check_int(horizon, "horizon", 1)
        )
        if n_steps > self._horizon:
            raise ValueError(
                f"horizon={n_steps} is more than the {self._horizon} steps this "
                f"DirectForecaster was fitted for; refit with a larger horizon."
            )
        history = self._history_frame(history)
        n_rows, n_targets = len(history), len(self.targets_)
        shift = self._gap + self._horizon
        lookback, lead, last_raw = self._model_arrays(history, future, n_lead=shift)
        X = _window_X(lookback, lead, np.array([n_rows - 1]), self._window, shift)
        pred = self._predict_one(X)
        if pred.size != self._horizon * n_targets:
            raise ValueError(
                f"the regressor predicted {pred.size} values for one window; "
                f"expected horizon * n_targets = {self._horizon * n_targets}."
            )
        pred = self._inverse_targets(pred.reshape(self._horizon, n_targets), last_raw)
        index = _future_labels(history.index, self.freq_, self._gap, n_steps)
        return self._to_output(pred[:n_steps], index)


class RecursiveForecaster(_BaseForecaster):
    """Multi-step forecaster rolling a one-step model (recursive strategy).

    The regressor learns the single step ``gap + 1`` after each window.
    ``predict`` forecasts step ``k`` after the history from the window
    ending ``gap + 1`` steps before it, in which targets not yet observed are
    the forecasts of the previous steps and future covariates come from
    ``future``. With ``gap=0`` this is the usual one-step-ahead recursion.

    Past covariates are only known up to the end of the history, so with
    them the forecast can reach at most ``gap + 1`` steps: ``predict`` raises
    beyond that. Give a covariate that is known in advance as a future
    covariate instead, or use :class:`DirectForecaster`.

    Parameters
    ----------
    regressor : estimator or None, default=None
        Regressor whose ``fit(X, y)`` and ``predict(X)`` take ``X`` of shape
        (n_windows, window, n_channels), with ``y`` 1-D for one output and
        2-D for several. It is cloned in ``fit``. None means
        ``sklstm.LSTMRegressor(hidden_layer_sizes=(8,), solver="lbfgs",
        max_iter=100, random_state=random_state)``: a small network trained
        on the full batch, whose iteration cap acts as early stopping on short
        histories (so its ConvergenceWarning is silenced). Pass your own for
        long or multivariate series.
    window : int >= 1
        Number of input steps of each window.
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
        The model predicts ``gap + 1`` steps after each window's end.
    target_transform : {None, "diff", "log"}, default=None
        Applied to the targets (inputs and outputs) before scaling. "log"
        needs positive targets. "diff" models first differences and is
        inverted by a cumulative sum from the last observed value.
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

    Attributes
    ----------
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
        The last ``window + gap`` (+1 for "diff") rows of the fit data, from
        which ``predict`` forecasts when no ``history`` is given.

    See Also
    --------
    DirectForecaster : One multi-output model for all steps.
    make_windows : The windowing behind ``fit`` (with ``horizon=1``).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn.pipeline import make_pipeline
    >>> from sklearn.preprocessing import FunctionTransformer
    >>> from sklstm.forecasting import RecursiveForecaster
    >>> flat = make_pipeline(
    ...     FunctionTransformer(lambda X: X.reshape(len(X), -1)), LinearRegression())
    >>> df = pd.DataFrame({"y": 2.0 ** np.arange(12)})  # RangeIndex
    >>> f = RecursiveForecaster(flat, window=2, target="y",
    ...                         target_transform="log").fit(df)
    >>> f.predict(3)
    12    4096.0
    13    8192.0
    14   16384.0
    Name: y, dtype: float64
    """

    def __init__(
        self,
        regressor=None,
        *,
        window,
        target=None,
        past_covariates=None,
        future_covariates=None,
        gap=0,
        target_transform=None,
        scale_target=True,
        dropna=False,
        random_state=None,
    ):
        self.regressor = regressor
        self.window = window
        self.target = target
        self.past_covariates = past_covariates
        self.future_covariates = future_covariates
        self.gap = gap
        self.target_transform = target_transform
        self.scale_target = scale_target
        self.dropna = dropna
        self.random_state = random_state

    def _fit_horizon(self):
        return 1

    def _n_history_rows(self):
        return self._window + self._gap + (self._transform == "diff")

    def predict(self, horizon=None, *, future=None, history=None):
        """Forecast the steps after the end of the history, one at a time.

        Parameters
        ----------
        horizon : int, default=None
            Number of steps to forecast; None means 1.
        future : DataFrame, default=None
            Future covariates, indexed by the labels after the end of the
            history. It must hold every future covariate at the ``horizon``
            steps after the history; other rows and columns are ignored.
            Needed only with ``future_covariates``.
        history : DataFrame or Series, default=None
            A newer history to forecast from, with the columns and frequency
            seen in ``fit``; only its last rows are used. None means the end
            of the data passed to ``fit``.

        Returns
        -------
        forecast : Series or DataFrame of shape (horizon,) or (horizon, n_targets)
            Indexed by the ``horizon`` labels after the history, with one
            column per target; a Series named after the target if there is
            only one.
        """
        check_is_fitted(self)
        n_steps = 1 if horizon is None else _check_int(horizon, "horizon", 1)
        if self.past_covariates_ and n_steps > self._gap + 1:
            raise ValueError(
                f"past covariates {list(self.past_covariates_)} are known only up "
                f"to the end of the history, so a recursive forecast can reach at "
                f"most gap + 1 = {self._gap + 1} step(s); got horizon={n_steps}. "
                f"Declare covariates known in advance as future_covariates, or use "
                f"DirectForecaster."
            )
        history = self._history_frame(history)
        n_rows, n_targets = len(history), len(self.targets_)
        lookback, lead, last_raw = self._model_arrays(history, future, n_lead=n_steps)
        # Targets in model units, extended by the forecasts as they are made.
        targets = np.vstack(
            [lookback[:, :n_targets], np.full((n_steps, n_targets), np.nan)]
        )
        # Past covariates are unknown after the history; the horizon check above
        # guarantees these NaN rows are never read.
        past = np.vstack(
            [
                lookback[:, n_targets:],
                np.full((n_steps, lookback.shape[1] - n_targets), np.nan),
            ]
        )
        steps = np.arange(1 - self._window, 1)
        for k in range(n_steps):
            origin = n_rows - 1 + k - self._gap
            rows = origin + steps
            X = np.concatenate(
                [targets[rows], past[rows], lead[rows + self._gap + 1]], axis=1
            )[None]
            pred = self._predict_one(X)
            if pred.size != n_targets:
                raise ValueError(
                    f"the regressor predicted {pred.size} values for one window; "
                    f"expected n_targets = {n_targets}."
                )
            targets[n_rows + k] = pred
        pred = self._inverse_targets(targets[n_rows:], last_raw)
        index = _future_labels(history.index, self.freq_, 0, n_steps)
        return self._to_output(pred, index)
