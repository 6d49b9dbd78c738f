"""Windows: a time-indexed frame cut into supervised ``(X, y)`` for a sequence model.

Tuning with GridSearchCV and TimeSeriesSplit
--------------------------------------------
A :class:`~sklearn.pipeline.Pipeline` step cannot change ``y``, so windowing
happens *before* the estimator, once. Windows are in time order, so
:class:`~sklearn.model_selection.TimeSeriesSplit` gives time-ordered folds.
Consecutive windows overlap: with ``stride=1``, pass
``gap=horizon - 1`` (in windows) to ``TimeSeriesSplit`` so that no training
target falls at or after the first target of the test fold. With windows of
``make_windows(gap=G)`` pass ``gap=G + horizon - 1``: a window's targets
come ``G`` rows later, and no training target may then fall after the
first test window's origin, where a forecast would not know it::

    from sklearn.model_selection import GridSearchCV, TimeSeriesSplit
    from sklstm import LSTMRegressor
    from sklstm.datasets import load_co2
    from sklstm.forecasting import make_windows

    changes = load_co2().diff().iloc[1:]  # learns nothing: safe before splitting
    w = make_windows(changes, target="co2", window=12, horizon=12)
    search = GridSearchCV(
        # The LSTM learns its input and target scaling in fit: inside each fold.
        LSTMRegressor(solver="lbfgs", max_iter=60, random_state=0),
        {"hidden_layer_sizes": [(8,), (16,)]},
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

The window length changes ``X`` itself, so a search over the windows of
one ``make_windows`` call cannot tune it. The forecasters cut their own
windows, and ``score`` them on the rows after their fit data, so a search
over a forecaster tunes the window (its folds: ``test_size`` rows each):

>>> from sklstm.forecasting import DirectForecaster
>>> forecaster = DirectForecaster(flat_ridge, window=6, horizon=6, target="y")
>>> search = GridSearchCV(forecaster, {"window": [3, 6, 12]},
...                       cv=TimeSeriesSplit(n_splits=3, test_size=6))
>>> search.fit(df).best_params_["window"]
12
"""

from dataclasses import dataclass
from numbers import Integral

import numpy as np
import pandas as pd

from .._checks import quoted_label
from .._param_validation import BOOLEAN, Interval, Options, validate_params
from ._columns import as_frame, check_finite, column_values, resolve_roles
from ._time import as_periods, on_period_starts, period_freq, time_freq

# The sizes of a window, checked here for make_windows and by the forecasters.
WINDOW_CONSTRAINTS = {
    "window": [Interval(Integral, 1, None)],
    "horizon": [Interval(Integral, 1, None)],
    "gap": [Interval(Integral, 0, None)],
    "stride": [Interval(Integral, 1, None)],
}


@dataclass(frozen=True, eq=False, repr=False)
class Windows:
    """Supervised windows made by :func:`make_windows`.

    Attributes
    ----------
    X : ndarray of shape (n_windows, window, n_channels), dtype float64
        Input windows, oldest step first. ``X[i, window - 1]`` is the step at
        ``origins[i]``. With ``future_layout="appended"``, of shape
        (n_windows, window + horizon, n_channels).
    y : ndarray of shape (n_windows, horizon * n_targets), dtype float64
        Targets, step-major: all targets at the first target step, then all
        at the next step, and so on. Named by ``target_names``.
    origins : pandas.Index of length n_windows
        Label of each window's last input step (the forecast origin), in
        increasing order. A DatetimeIndex keeps its ``freq`` (times
        ``stride``) unless ``dropna`` dropped windows; a PeriodIndex gives
        periods.
    channels : tuple
        The column label of each channel of ``X``, as the frame gives it
        (``0`` for an integer column), in order: targets, past covariates,
        future covariates.
    target_names : tuple of str
        Name of each column of ``y``: ``"{target}_t+{k}"`` for
        ``k = gap + 1, ..., gap + horizon`` steps after the origin; with
        ``repr(target)`` where two targets print alike (``1`` and ``"1"``).
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


FUTURE_LAYOUTS = ("shifted", "appended")


def window_X(lookback, lead, origins, window, gap, horizon, future_layout="shifted",
             n_known=None):
    """Stack the windows ending at ``origins``, in ``future_layout`` (see
    :func:`make_windows`).

    lookback : (n_rows, n_lookback) targets and past covariates.
    lead : (n_rows + extra, n_future) future covariates, row-aligned with
    ``lookback``. Returns X of shape (len(origins), window, n_lookback +
    n_future), or (len(origins), window + horizon, ...) when "appended".
    n_known : int, optional (appended only)
        The first ``n_known`` target steps hold their future covariates; the
        later ones hold 0 in every channel, and ``lead`` need not reach them.
        None means all ``horizon``.
    """
    steps = origins[:, None] + np.arange(1 - window, 1)  # (n_windows, window)
    if future_layout == "shifted":
        return np.concatenate([lookback[steps], lead[steps + gap + horizon]], axis=2)
    past = np.concatenate([lookback[steps], lead[steps]], axis=2)
    n_known = horizon if n_known is None else n_known
    targets = origins[:, None] + gap + np.arange(1, n_known + 1)  # (n_windows, n_known)
    # Targets and past covariates are unknown at the target steps: 0 fills them.
    ahead = np.zeros((len(origins), horizon, past.shape[2]))
    ahead[:, :n_known, lookback.shape[1]:] = lead[targets]
    return np.concatenate([past, ahead], axis=1)


def _subtract_levels(X, centered, channels, n_level_steps, steps, names):
    """Subtract from ``centered[:, steps, channels]`` each window's mean of
    ``X[:, :n_level_steps, channels]``, in place; return those levels, of
    shape (n_windows, n_channels). ``names`` names X's channels, for the
    error raised where a value less its level overflows float64."""
    block = X[:, :n_level_steps, channels]
    with np.errstate(over="ignore"):
        levels = block.mean(axis=1)
        if np.isinf(levels).any():  # a sum beyond float64 (values near 1e308); no mean is
            levels = (block / n_level_steps).sum(axis=1)
        centered[:, steps, channels] -= levels[:, None]
    overflow = np.isinf(centered[:, steps, channels]) & np.isfinite(X[:, steps, channels])
    if overflow.any():
        window, _, channel = np.argwhere(overflow)[0]
        name = names[np.arange(X.shape[2])[channels][channel]]
        raise ValueError(
            f"column {quoted_label(name)} less its mean over window {window} overflows float64 "
            "when the windows are centred; divide the series by a power of ten first."
        )
    return levels


def center_windows(X, n_targets, window, names):
    """Each window's targets relative to the window's own level.

    The level of a window is the mean of its target channels (the first
    ``n_targets``) over its ``window`` input steps. It is subtracted from
    those steps; steps after them (the appended horizon of
    ``future_layout="appended"``, which holds 0 there) are left alone.

    Parameters
    ----------
    X : ndarray of shape (n_windows, n_steps, n_channels), n_steps >= window
    n_targets : int
    window : int
    names : sequence of length n_channels
        The channels' names, for the error raised if a value less its
        window's level overflows float64.

    Returns
    -------
    centered : ndarray of shape (n_windows, n_steps, n_channels)
        A copy of X with the levels subtracted.
    levels : ndarray of shape (n_windows, n_targets)
        Add ``np.tile(levels, n_steps_ahead)`` back to step-major forecasts.
    """
    centered = X.copy()
    levels = _subtract_levels(X, centered, slice(0, n_targets), window, slice(0, window), names)
    return centered, levels


def center_covariates(X, window, names, past_channels=(), future_channels=(), future_shift=0):
    """Each window's covariate channels relative to their own level.

    The level of a covariate in a window is its mean over the values the
    window holds for times up to its origin: a past covariate's ``window``
    input steps, and a future covariate's first ``window - future_shift``
    steps (its values in the other steps are those of later times, shifted
    ahead by ``future_shift`` in the "shifted" layout of
    :func:`make_windows`, 0 in the "appended" one). The level is subtracted
    from the past covariate's input steps (its 0 in appended steps stays),
    and from every step of the future covariate, so that its values at the
    forecast times read against its level before them. Nothing is added
    back: the levels are not forecast.

    Parameters
    ----------
    X : ndarray of shape (n_windows, n_steps, n_channels), n_steps >= window
    window : int
    names : sequence of length n_channels
        The channels' names, for errors (as in :func:`center_windows`).
    past_channels, future_channels : tuple of int
        Channel indices of the past and the future covariates to centre.
    future_shift : int, 0 <= future_shift < window
        Steps the future covariates are shifted ahead inside the window.

    Returns
    -------
    centered : ndarray of shape (n_windows, n_steps, n_channels)
        ``X`` itself when no channel is named, else a copy.
    """
    if not past_channels and not future_channels:
        return X
    centered = X.copy()
    for channels, n_level_steps, steps in (
        (past_channels, window, slice(0, window)),
        (future_channels, window - future_shift, slice(None)),
    ):
        if channels:
            _subtract_levels(X, centered, list(channels), n_level_steps, steps, names)
    return centered


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
    future_layout="shifted",
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

    With ``future_layout="appended"`` (the layout of
    :class:`sklstm.LSTMEncoderDecoderRegressor`), nothing is shifted: the
    window's ``window`` steps hold every channel at its own time, and
    ``horizon`` steps follow, holding the future covariates at the target
    times and 0 in the target and past-covariate channels (unknown there).
    For ``window=3, gap=1, horizon=2``::

        window step               0      1      2      3      4
        targets, past covariates  t-2    t-1    t      0      0
        future covariates         t-2    t-1    t      t+2    t+3
        y                         [target at t+2, target at t+3]

    Parameters
    ----------
    data : DataFrame or Series of length n_rows
        Indexed by a RangeIndex (or integer index with step 1), or by a
        DatetimeIndex with ``freq`` set or inferable (by pandas, or as
        ``pd.DateOffset(months=k)`` for timestamps without a time zone on
        one day of the month up to the 28th, ``k`` months apart), or by a
        PeriodIndex of consecutive periods (sktime's forecasting sets), read
        as their start times. For a Series, its
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
    future_layout : {"shifted", "appended"}, default="shifted"
        Where the future covariates of the target steps go: shifted ahead
        inside the window, or in ``horizon`` steps appended after it (see
        above).

    Returns
    -------
    windows : Windows
        Frozen dataclass with ``X`` of shape (n_windows, window, n_channels)
        (``window + horizon`` steps when "appended"),
        ``y`` of shape (n_windows, horizon * n_targets), ``origins``,
        ``channels`` and ``target_names``. Without dropped windows,
        ``n_windows = (n_rows - window - gap - horizon) // stride + 1``.

    Raises
    ------
    TypeError
        If ``data`` is not a DataFrame or Series, its index is not a
        DatetimeIndex, a PeriodIndex or an integer index, or a size is not an
        int.
    ValueError
        If a size is out of range; a column is unknown, named twice or in two
        roles; the index is unsorted, duplicated, has missing timestamps or no
        frequency; a used column has NaN (unless ``dropna``) or inf; or the
        data is shorter than ``window + gap + horizon`` rows.

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
    frame, target = as_frame(data, target)
    roles = resolve_roles(frame, target, past_covariates, future_covariates)
    sizes = {"window": window, "horizon": horizon, "gap": gap, "stride": stride}
    validate_params(sizes, WINDOW_CONSTRAINTS, "make_windows")
    validate_params(
        {"future_layout": future_layout, "dropna": dropna},
        {"future_layout": [Options(str, FUTURE_LAYOUTS)], "dropna": [BOOLEAN]},
        "make_windows",
    )
    window, horizon, gap, stride = (int(sizes[name]) for name in WINDOW_CONSTRAINTS)
    periods, labels = period_freq(frame.index), frame.index  # labels: the user's
    frame = on_period_starts(frame, "data", prefixed=False)
    index = _with_freq(frame.index, time_freq(frame.index))  # validates the time axis

    n_rows = len(frame)
    needed = window + gap + horizon
    if n_rows < needed:
        raise ValueError(
            f"data has {n_rows} rows, but one window needs window + gap + horizon "
            f"= {window} + {gap} + {horizon} = {needed} rows."
        )
    columns = roles.columns
    values = column_values(frame, columns)
    check_finite(
        values,
        columns,
        labels,
        allow_nan=bool(dropna),
        nan_hint=(
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
    X = window_X(lookback, lead, origins, window, gap, horizon, future_layout)
    target_steps = origins[:, None] + gap + np.arange(1, horizon + 1)
    y = targets[target_steps].reshape(len(origins), horizon * n_targets)

    # A slice keeps the index's freq (times stride) on the origins.
    origin_labels = as_periods(index[origins[0] : origins[-1] + 1 : stride], periods)
    if dropna:
        keep = ~(np.isnan(X).any(axis=(1, 2)) | np.isnan(y).any(axis=1))
        if not keep.any():
            raise ValueError(
                f"all {len(origins)} windows include a NaN; nothing is left after "
                f"dropna=True."
            )
        if not keep.all():
            origin_labels, X, y = origin_labels[keep], X[keep], y[keep]

    texts = [str(name) for name in roles.targets]
    if len(set(texts)) < len(texts):  # 1 and "1" print alike: their reprs differ
        texts = [repr(name) for name in roles.targets]
    target_names = tuple(
        f"{text}_t+{gap + step}"
        for step in range(1, horizon + 1)
        for text in texts
    )
    return Windows(
        X=X,
        y=y,
        origins=origin_labels,
        channels=tuple(roles.columns),
        target_names=target_names,
    )


def _with_freq(index, freq):
    """``index`` with the frequency it was read with set, where it was only
    inferable (a CSV's dates): its slices then carry it, as a set freq's do.
    Unchanged where pandas cannot attach it (a calendar day's step across a
    DST change, whose hours differ)."""
    if freq is None or index.freq is not None:
        return index
    try:
        return pd.DatetimeIndex(index, freq=freq)
    except ValueError:
        return index


def check_fit_length(n_rows, setup, described=None):
    """Raise unless ``n_rows`` of fit data make at least one training window.

    Counted here, on the raw rows, because the windows are cut after the
    target transform has consumed its leading rows. ``described`` names the
    rows in the message (default: "data has n_rows rows").
    """
    needed = setup.window + setup.gap + setup.horizon
    # setup.horizon is what the model predicts at once: 1 for a recursive one.
    terms = (f"window + gap + steps predicted at once = {setup.window} + {setup.gap} + "
             f"{setup.horizon}")
    if setup.transform.n_consumed:
        needed += setup.transform.n_consumed
        terms += (
            f" + {setup.transform.n_consumed} (consumed by "
            f"target_transform={setup.transform.name!r})"
        )
    if n_rows < needed:
        described = described or f"data has {n_rows} rows"
        raise ValueError(f"{described}, but one training window needs {terms} = {needed} rows.")
