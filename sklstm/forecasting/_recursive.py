"""The recursive strategy: a one-step model rolled forward on its own forecasts."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from ._base import ATTRIBUTES_DOC, PARAMETERS_DOC, BaseForecaster
from ._time import future_labels


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
        horizon="",
        gap="The model predicts ``gap + 1`` steps after each window's end.",
        diff="",
    )}
    Attributes
    ----------{ATTRIBUTES_DOC.format(rows="``window + gap``")}
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

    def _model_horizon(self):
        return 1

    def _window_span(self, window, gap):
        # The first forecast is read from the window ending gap rows earlier.
        return window + gap

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
        gap = self._setup.gap
        n_steps = self._check_predict_horizon(horizon, default=1)
        if self.past_covariates_ and n_steps > gap + 1:
            raise ValueError(
                f"past covariates {list(self.past_covariates_)} are known only up "
                f"to the end of the history, so a recursive forecast can reach at "
                f"most gap + 1 = {gap + 1} step(s); got horizon={n_steps}. "
                f"Declare covariates known in advance as future_covariates, or use "
                f"DirectForecaster."
            )
        history = self._history_frame(history)
        lookback, lead, last_raw = self._model_arrays(history, future, n_lead=n_steps)
        targets = self._roll_forward(lookback, lead, n_steps)
        pred = self._from_model_units(targets, last_raw)
        index = future_labels(history.index, self.freq_, 0, n_steps)
        return self._to_output(pred, index)

    def _roll_forward(self, lookback, lead, n_steps):
        """Model-unit forecasts (n_steps, n_targets) of the steps after ``lookback``.

        ``lookback`` (n_rows, n_lookback) and ``lead`` (n_rows + n_steps,
        n_future) are the arrays of ``_model_arrays``.
        """
        n_rows, n_targets = len(lookback), len(self.targets_)
        window, gap = self._setup.window, self._setup.gap
        # Targets in model units, extended by the forecasts as they are made.
        targets = np.vstack(
            [lookback[:, :n_targets], np.full((n_steps, n_targets), np.nan)]
        )
        # Past covariates are unknown after the history; the horizon check in
        # predict guarantees these NaN rows are never read.
        past = np.vstack(
            [
                lookback[:, n_targets:],
                np.full((n_steps, lookback.shape[1] - n_targets), np.nan),
            ]
        )
        steps = np.arange(1 - window, 1)
        for k in range(n_steps):
            rows = n_rows - 1 + k - gap + steps  # the window ending gap + 1 before
            X = np.concatenate(
                [targets[rows], past[rows], lead[rows + gap + 1]], axis=1
            )[None]
            targets[n_rows + k] = self._predict_one(X, n_targets, what="n_targets")
        return targets[n_rows:]
