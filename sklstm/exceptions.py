"""Warnings that sklstm emits, so that callers can filter them by category,
and the errors a caller may want to tell apart from others.

>>> import warnings
>>> from sklstm.exceptions import IterationLimitWarning
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore", IterationLimitWarning)
"""

from sklearn.exceptions import ConvergenceWarning

__all__ = [
    "CalibrationWarning", "DataLayoutWarning", "IterationLimitWarning", "NoRecurrenceWarning",
    "TooFewCalibrationErrors",
]


class IterationLimitWarning(ConvergenceWarning):
    """A solver stopped at its iteration cap (``max_iter``), or L-BFGS-B and
    TNC at their evaluation cap (``max_fun``), before converging. The
    message names the cap.

    A subclass of scikit-learn's :class:`~sklearn.exceptions.ConvergenceWarning`,
    so every filter on that category still applies. Filter this one alone
    where the cap is deliberate, for example a short fit used as early stopping.
    """


class DataLayoutWarning(UserWarning):
    """An input array's axes look as if they were in another order than declared.

    For example a 3-D array with far more channels than time steps, which is
    what sktime's channels-first numpy3D layout looks like when read channels
    last. Declaring the layout (``data_format``) silences it. Fitting on a
    table whose columns, read as the steps of one channel, differ in spread
    by orders of magnitude (features of different units rather than lags)
    warns too: ``n_channels`` equal to the column count, or a
    ``StandardScaler`` first, reads them as features. So does fitting an
    :class:`~sklstm.LSTMEncoderDecoderRegressor` on sequences whose horizon
    steps hold values that differ between samples in channels its decoder
    does not read (a plain lag table, whose newest lags it would drop).
    """


class NoRecurrenceWarning(UserWarning):
    """A model reads sequences of one LSTM step, whose previous state is
    zero: sequences of one step, or short ones read as one patch by
    ``patch_length="auto"`` (patches of about 64 values).

    At fit, when settings that need a recurrence to act on are given
    (``bidirectional``, ``recurrent_dropout``, ``coupled_gates``, the
    ``"NFG"`` and ``"FGR"`` variants) and every training sequence is one
    LSTM step: they then change nothing the cell computes (both directions
    of a bidirectional layer read the same values). A warm start or
    ``partial_fit`` warns so of ``recurrent_dropout``, the one such setting
    that may be set after the first fit, where no fit it continues made
    more than one LSTM step of a training sequence. At predict, when a
    model fitted so meets sequences of more LSTM steps: no gradient of the
    loss reached its recurrent weights, nor its forget gate's, through the
    zero state (the penalty only shrinks them), and it reads those
    sequences through them. ``patch_length=1`` reads the steps in order.

    Not warned: the encoder-decoder (its samples are window + horizon
    steps, so its decoder always recurs), the held-out sequences that
    early stopping scores, and an ONNX export's runtime.
    """


class CalibrationWarning(UserWarning):
    """A forecaster's ``fit`` succeeded, but its calibration fit failed, so
    it has point forecasts and no intervals: ``predict_interval`` and
    ``predict_quantiles`` then raise with the same reason.

    A subclass of :class:`UserWarning`. Filter it where intervals are not
    used, for example in a grid search over short series, which scores
    point forecasts only.
    """


class TooFewCalibrationErrors(ValueError):
    """A forecaster's calibration errors cannot give the interval or quantile
    level asked for: there are none (too few rows to calibrate on, or
    ``calibration=None``), or too few at some step for a level that far
    from 0.5. A ValueError; :func:`sklstm.forecasting.backtest` catches it
    to say that more rows before a fold's origins cure it.
    """
