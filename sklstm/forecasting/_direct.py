"""The direct strategy: one multi-output model for all horizon steps."""

from dataclasses import replace

import numpy as np

from .._checks import underflow_is_zero
from .._encoder_decoder import LSTMEncoderDecoderRegressor
from .._fitted_state import reads_one_state
from ._base import ATTRIBUTES_DOC, PARAMETERS_DOC, BaseForecaster, nested_models
from ._columns import _names
from ._windows import WINDOW_CONSTRAINTS, window_X

# The encoder-decoder fitted when regressor=None and future covariates are
# given: Adam (its default 200 epochs) with recurrent dropout, which
# validated 15 % more accurate than 100 L-BFGS iterations on the training days
# of benchmarks/bench_future_covariates.py --tune-regularisation (see there).
# Its epoch cap acts as early stopping too: 400 epochs validated worse.
_DEFAULT_ENCODER_DECODER_PARAMS = {"hidden_layer_sizes": (16,), "recurrent_dropout": 0.2}


# What a row of fitted_values_ holds (the Attributes section's wording).
_FITTED_STEPS = (
    "the forecasts made at origin ``t``\n        of the steps ``t + gap + 1 .. t + gap + horizon``"
)


class DirectForecaster(BaseForecaster):
    __doc__ = f"""Multi-step forecaster with one multi-output model (direct strategy).

    The regressor learns all ``horizon`` steps at once from the windows of
    :func:`make_windows` (``y`` has ``horizon * n_targets`` columns,
    step-major). ``predict`` feeds it the last window of the history and
    returns the steps ``gap + 1 .. gap + horizon`` after it.

    With future covariates, the default regressor is an
    :class:`~sklstm.LSTMEncoderDecoderRegressor`: an encoder reads the
    window, then a decoder runs over the forecast steps, reading at each the
    covariates of that step. Its windows are :func:`make_windows`' with
    ``future_layout="appended"``, and the forecaster sets its ``horizon``
    and ``n_future_channels``; the same holds for an encoder-decoder given as
    ``regressor``. Any other regressor reads the covariates shifted ahead
    inside the window.

    **Direct or recursive?** Choose :class:`DirectForecaster` when
    covariates known in advance (calendar, planned prices, promotions) drive
    the target, when the horizon is fixed, or when errors must not compound:
    each step is forecast from observed data only, and the encoder-decoder
    sees each step's own covariates. Choose :class:`RecursiveForecaster` for
    an autoregressive series without such covariates, for horizons that
    vary or exceed what was fitted, or for short histories: its one-step
    model learns from every row, where a direct model needs ``window +
    horizon`` rows per example and its outputs grow with the horizon. On
    synthetic daily demand with weekly seasonality, a drifting planned
    price and promotions, 14 days ahead
    (``benchmarks/bench_future_covariates.py``, six draws of the data; log
    targets, ``center_windows=True``, the price's logarithm centred with
    ``center_covariates``), the encoder-decoder erred 4 % less than
    recursive on the validation days but 3 % more on the test days, and was
    twice as accurate as an LSTM reading the covariates shifted into its
    window; a ridge regression on the same windows, which suits that nearly
    log-linear data, was 4 % more accurate than the encoder-decoder on the
    test days (7 % less on the validation days): compare them, and a linear
    baseline, in a backtest.

    Parameters
    ----------{PARAMETERS_DOC.format(
        regressor='''
        With ``future_covariates`` (DirectForecaster only), None means
        ``sklstm.LSTMEncoderDecoderRegressor(hidden_layer_sizes=(16,),
        recurrent_dropout=0.2, random_state=random_state)`` (Adam) instead,
        whose 200-epoch cap is deliberate too (400 epochs validated worse), so
        its IterationLimitWarning is silenced as well.''',
        horizon='''
    horizon : int >= 1
        Number of steps predicted.''',
        future_layout=''' (appended after
        the window for an :class:`~sklstm.LSTMEncoderDecoderRegressor`)''',
        gap="Steps skipped between the end of the history and the first forecast.",
        diff='''; it needs
        ``gap=0`` (the differences over the gap are never predicted)''',
        calibration_horizon="",
    )}
    Attributes
    ----------{ATTRIBUTES_DOC.format(
        rows="``window``", model_steps=_FITTED_STEPS
    )}
    See Also
    --------
    RecursiveForecaster : One-step model rolled forward.
    backtest : Rolling-origin evaluation, with intervals.
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
    >>> f.predict_interval(coverage=0.5).round(6)  # an exact fit: no error
                lower  upper
    2024-01-21   20.0   20.0
    2024-01-22   21.0   21.0
    """

    _parameter_constraints = {
        **BaseForecaster._parameter_constraints,
        "horizon": WINDOW_CONSTRAINTS["horizon"],
    }

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
        center_windows="auto",
        center_covariates=None,
        dropna=False,
        calibration="holdout",
        calibration_size=0.2,
        calibration_folds=3,
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
        self.center_windows = center_windows
        self.center_covariates = center_covariates
        self.dropna = dropna
        self.calibration = calibration
        self.calibration_size = calibration_size
        self.calibration_folds = calibration_folds
        self.random_state = random_state

    def _check_params(self):
        setup = super()._check_params()
        if setup.transform.cumulative and setup.gap > 0:
            raise ValueError(
                f"target_transform={setup.transform.name!r} needs gap=0 with "
                f"DirectForecaster: the steps over the gap are never predicted, "
                f"so the forecast cannot be accumulated from the last observed value."
            )
        wrapped = [
            model for model in nested_models(self.regressor)[1:]
            if isinstance(model, LSTMEncoderDecoderRegressor)
        ]
        if wrapped:
            # It would keep horizon=1 and no future channels, and read the
            # newest row of every window as its decoder step.
            raise TypeError(
                f"DirectForecaster sets the horizon and future channels of an "
                f"LSTMEncoderDecoderRegressor only when it is the regressor itself, not "
                f"inside a {type(self.regressor).__name__}. Pass it directly, and tune it "
                "through the forecaster: GridSearchCV(DirectForecaster(LSTMEncoderDecoder"
                "Regressor(), ...), {'regressor__alpha': [...]}, cv=TimeSeriesSplit(...))."
            )
        regressor = self._default_regressor() if self.regressor is None else self.regressor
        if isinstance(regressor, LSTMEncoderDecoderRegressor):
            setup = replace(setup, future_layout="appended")
        return setup

    def _default_regressor(self):
        if not _names(self.future_covariates, "future_covariates"):
            return super()._default_regressor()
        return LSTMEncoderDecoderRegressor(
            **_DEFAULT_ENCODER_DECODER_PARAMS, random_state=self.random_state
        )

    def _configured(self, regressor):
        regressor = super()._configured(regressor)
        if isinstance(regressor, LSTMEncoderDecoderRegressor):
            regressor.set_params(
                horizon=self._setup.horizon, n_future_channels=len(self.future_covariates_)
            )
        return regressor

    def _model_horizon(self):
        return int(self.horizon)

    def _window_span(self, window, gap):
        return window

    def _calibration_steps(self):
        return int(self.horizon)

    def _in_sample_steps(self):
        return self._setup.horizon

    def _forecast_offsets(self, n_steps):
        return self._current_setup().gap + 1 + np.arange(n_steps)

    def _n_lead(self, n_steps, setup):
        if setup.future_layout == "appended":
            # The encoder-decoder's decoder is causal: its first n_steps
            # outputs read the covariates of those steps and no later ones.
            return setup.gap + n_steps
        # Any other model reads the covariates of all its steps.
        return setup.gap + setup.horizon

    def _rows_read(self, setup, n_steps):
        # The window's rows; future covariates shifted ahead by gap + horizon
        # in its steps, or, appended, at its own times and the target times
        # (make_windows).
        window, n_lead = setup.window, self._n_lead(n_steps, setup)
        if setup.future_layout == "appended":
            future = [(1 - window, 0), (setup.gap + 1, n_lead)]
        else:
            future = [(1 - window + n_lead, n_lead)]
        return {"target": [(1 - window - setup.transform.n_consumed, 0)],
                "past": [(1 - window, 0)], "future": future}

    def _check_steps(self, horizon, method):
        setup = self._setup
        n_steps = self._check_predict_horizon(horizon, default=setup.horizon, method=method)
        if n_steps > setup.horizon:
            raise ValueError(
                f"horizon={n_steps} is more than the {setup.horizon} steps this "
                f"DirectForecaster was fitted for; refit with a larger horizon."
            )
        return n_steps

    def _score_steps(self, n_rows):
        n_steps = min(self._setup.horizon, n_rows - self._setup.gap)
        if n_steps < 1:
            raise ValueError(
                f"score needs more than gap={self._setup.gap} rows of data; got "
                f"{n_rows}."
            )
        return n_steps

    def _forecast_model_units(self, lookback, lead, origins, n_steps):
        setup = self._setup
        n_targets = len(self.targets_)
        X = window_X(
            lookback, lead, origins, setup.window, setup.gap, setup.horizon,
            setup.future_layout, n_known=n_steps,
        )
        pred = self._predict_windows(
            X, setup.horizon * n_targets, what="horizon * n_targets"
        )
        return pred.reshape(len(origins), setup.horizon, n_targets)[:, :n_steps]

    @underflow_is_zero
    @reads_one_state
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
            history. It must hold every future covariate at the steps
            ``gap + 1 .. gap + horizon`` after the history, for the
            ``horizon`` passed here, with an
            :class:`~sklstm.LSTMEncoderDecoderRegressor` (whose decoder
            reads each step's covariates and no later ones); any other
            regressor reads them at all the ``gap + horizon`` steps of the
            fitted horizon, whatever ``horizon`` is passed here. Other rows
            and columns are ignored. Needed only with ``future_covariates``,
            and refused without them.
        history : DataFrame or Series, default=None
            A newer history to forecast from, with the columns, frequency
            and time zone seen in ``fit``, on consecutive labels of the
            fitted grid (at the fitted labels' time of day); only its last
            rows are used. None means the end of the data passed to ``fit``.

        Returns
        -------
        forecast : Series or DataFrame of shape (horizon,) or (horizon, n_targets)
            Indexed by the forecast labels (the timestamps, or integers,
            ``gap + 1 .. gap + horizon`` steps after the history), with one
            column per target; a Series named after the target if there is
            only one.
        """
        return self._to_output(*self._point_forecast(horizon, future, history))
