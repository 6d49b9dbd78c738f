"""The recursive strategy: a one-step model rolled forward on its own forecasts."""

from numbers import Integral

import numpy as np

from .._checks import quoted_label, underflow_is_zero
from .._encoder_decoder import LSTMEncoderDecoderRegressor
from .._fitted_state import reads_one_state
from .._param_validation import Interval
from ._base import ATTRIBUTES_DOC, PARAMETERS_DOC, BaseForecaster, nested_models
from ._columns import _names


# What a row of fitted_values_ holds (the Attributes section's wording).
_FITTED_STEPS = (
    "the forecast of\n        step ``t + 1``, made from the window ending at ``t - gap``"
)


class RecursiveForecaster(BaseForecaster):
    __doc__ = f"""Multi-step forecaster rolling a one-step model (recursive strategy).

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
    ----------{PARAMETERS_DOC.format(
        regressor='''
        An :class:`~sklstm.LSTMEncoderDecoderRegressor` is refused: it
        forecasts a whole horizon at once (use :class:`DirectForecaster`).''',
        horizon="",
        future_layout="",
        gap="The model predicts ``gap + 1`` steps after each window's end.",
        diff="",
        calibration_horizon='''
    calibration_horizon : int >= 1, default=1
        Number of steps ``fit`` calibrates; :meth:`predict_interval` and
        :meth:`predict_quantiles` reach at most this far.''',
    )}
    Attributes
    ----------{ATTRIBUTES_DOC.format(
        rows="``window + gap``", model_steps=_FITTED_STEPS
    )}
    See Also
    --------
    DirectForecaster : One multi-output model for all steps.
    backtest : Rolling-origin evaluation, with intervals.
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
    >>> df = pd.DataFrame({{"y": 2.0 ** np.arange(12)}})  # RangeIndex
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
        center_windows="auto",
        center_covariates=None,
        dropna=False,
        calibration="holdout",
        calibration_size=0.2,
        calibration_folds=3,
        calibration_horizon=1,
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
        self.center_windows = center_windows
        self.center_covariates = center_covariates
        self.dropna = dropna
        self.calibration = calibration
        self.calibration_size = calibration_size
        self.calibration_folds = calibration_folds
        self.calibration_horizon = calibration_horizon
        self.random_state = random_state

    _parameter_constraints = {
        **BaseForecaster._parameter_constraints,
        "calibration_horizon": [Interval(Integral, 1, None)],
    }
    _RECIPE_FIELDS = (
        *BaseForecaster._RECIPE_FIELDS, ("calibration_steps", "calibration_horizon"),
    )

    def _model_horizon(self):
        return 1

    def _window_span(self, window, gap):
        # The first forecast is read from the window ending gap rows earlier.
        return window + gap

    def _check_params(self):
        setup = super()._check_params()
        if any(isinstance(m, LSTMEncoderDecoderRegressor) for m in nested_models(self.regressor)):
            # It would read the newest row of every window as a decoder step.
            raise TypeError(
                "RecursiveForecaster forecasts one step at a time from windows of past "
                "rows; an LSTMEncoderDecoderRegressor reads a window followed by the "
                "horizon's future covariates. Use DirectForecaster(regressor, "
                "horizon=...) for it, unwrapped."
            )
        if (
            setup.calibration is not None
            and _names(self.past_covariates, "past_covariates")
            and setup.calibration_steps > setup.gap + 1
        ):
            raise ValueError(
                f"calibration_horizon={setup.calibration_steps} is more than the "
                f"gap + 1 = {setup.gap + 1} step(s) a recursive forecast with past "
                f"covariates can reach; lower it, or pass calibration=None."
            )
        return setup

    def _calibration_steps(self):
        return int(self.calibration_horizon)

    def _calibration_hint(self, n_steps):
        return f"refit with calibration_horizon={n_steps} or more."

    def _in_sample_steps(self):
        return 1

    def _forecast_offsets(self, n_steps):
        return 1 + np.arange(n_steps)

    def _n_lead(self, n_steps, setup):
        return n_steps

    def _rows_read(self, setup, n_steps):
        # The first one-step window ends gap rows before the origin, each
        # later one a row later, reading the covariates gap + 1 rows ahead
        # (_forecast_model_units); past the origin it reads forecasts.
        window, gap = setup.window, setup.gap
        last = min(n_steps - 1, gap) - gap
        targets = [(1 - window - gap - setup.transform.n_consumed, last)]
        if setup.transform.cumulative:  # forecasts add up from the origin's value
            targets.append((0, 0))
        return {"target": targets, "past": [(1 - window - gap, last)],
                "future": [(2 - window, self._n_lead(n_steps, setup))]}

    def _check_steps(self, horizon, method):
        n_steps = self._check_predict_horizon(horizon, default=1, method=method)
        self._check_reach(n_steps, "horizon", self._setup.gap, self.past_covariates_)
        return n_steps

    def _check_reach(self, n_steps, name, gap, past_covariates):
        """Raise if past covariates keep the forecast from reaching ``n_steps``."""
        if past_covariates and n_steps > gap + 1:
            raise ValueError(
                f"past covariates {quoted_label(list(past_covariates))} are known only up "
                f"to the end of the history, so a recursive forecast can reach at "
                f"most gap + 1 = {gap + 1} step(s); got {name}={n_steps}. "
                f"Declare covariates known in advance as future_covariates, or use "
                f"DirectForecaster."
            )

    def _score_steps(self, n_rows):
        if self.past_covariates_:
            return min(n_rows, self._setup.gap + 1)
        return n_rows

    @underflow_is_zero
    @reads_one_state
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
            Needed only with ``future_covariates``, and refused without them.
        history : DataFrame or Series, default=None
            A newer history to forecast from, with the columns, frequency
            and time zone seen in ``fit``, on consecutive labels of the
            fitted grid (at the fitted labels' time of day); only its last
            rows are used. None means the end of the data passed to ``fit``.

        Returns
        -------
        forecast : Series or DataFrame of shape (horizon,) or (horizon, n_targets)
            Indexed by the ``horizon`` labels after the history, with one
            column per target; a Series named after the target if there is
            only one.
        """
        return self._to_output(*self._point_forecast(horizon, future, history))

    def _forecast_model_units(self, lookback, lead, origins, n_steps):
        """Roll the one-step model forward from every origin at once.

        Each origin keeps a buffer of its last ``window + gap`` targets and
        past covariates, to which the forecasts are appended step by step.
        """
        n_targets = len(self.targets_)
        window, gap = self._setup.window, self._setup.gap
        span = window + gap
        rows = origins[:, None] + np.arange(1 - span, 1)  # (n_origins, span)
        targets = np.concatenate(
            [lookback[rows, :n_targets], np.full((len(origins), n_steps, n_targets), np.nan)],
            axis=1,
        )
        # Past covariates are unknown after the history; the reach check of
        # predict keeps the recursion within the buffer's known rows.
        past = lookback[rows, n_targets:]
        for k in range(n_steps):
            steps = k + np.arange(window)  # buffer rows of the window ending gap + 1 before
            known = past[:, steps] if past.shape[2] else past[:, :window]
            X = np.concatenate(
                [targets[:, steps], known, lead[rows[:, :1] + steps + gap + 1]],
                axis=2,
            )
            targets[:, span + k] = self._predict_windows(X, n_targets, what="n_targets")
        return targets[:, span:]
