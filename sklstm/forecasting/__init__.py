"""Forecasting with sequence regressors: windowing of time-indexed data.

A sequence regressor such as :class:`sklstm.LSTMRegressor` learns from
``X`` of shape ``(n_windows, window, n_channels)`` and ``y`` of shape
``(n_windows,)`` or ``(n_windows, n_outputs)``. This package turns a
:class:`pandas.DataFrame` (or Series) indexed by time into such windows, and
wraps any regressor that accepts 3-D ``X`` into forecasters that predict the
steps after the end of a history.

- :func:`make_windows` returns the supervised windows as a :class:`Windows`.
- :class:`DirectForecaster` fits one multi-output model for all ``horizon``
  steps; with future covariates, by default an LSTM encoder-decoder whose
  decoder reads the covariates of each forecast step.
- :class:`RecursiveForecaster` fits a one-step model and rolls it forward,
  feeding back its own predictions.
- Both give split-conformal ``predict_interval`` and ``predict_quantiles``
  calibrated per horizon step, ``score``, and in-sample ``fitted_values_``
  and ``residuals_``.
- :func:`backtest` evaluates a forecaster on rolling origins, and returns
  the forecasts and the errors of every fold and step as a
  :class:`BacktestResult`.

Where each concern lives (each module's docstring tells more):

- ``_columns``: column roles (target, past and future covariates) and the
  checks of their values;
- ``_time``: the time axis, its frequency and the labels after it;
- ``_windows``: :func:`make_windows` and :class:`Windows`, and how to tune
  with ``GridSearchCV`` and ``TimeSeriesSplit``;
- ``_target_transforms``: ``target_transform`` as invertible objects, and
  target scaling;
- ``_base``: the shared forecaster (parameters and their docs, ``fit``,
  ``score``, the saved state);
- ``_direct`` and ``_recursive``: the two strategies;
- ``_intervals``: split-conformal calibration, intervals and quantiles;
- ``_backtest``: rolling-origin forecasts, :func:`backtest`.
"""

from ._backtest import BacktestResult, backtest
from ._direct import DirectForecaster
from ._recursive import RecursiveForecaster
from ._windows import Windows, make_windows

__all__ = [
    "BacktestResult",
    "DirectForecaster",
    "RecursiveForecaster",
    "Windows",
    "backtest",
    "make_windows",
]
