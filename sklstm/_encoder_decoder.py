"""LSTMEncoderDecoderRegressor: direct multi-step forecasts with future covariates."""

import numbers
from dataclasses import replace

import numpy as np
from sklearn.utils.metaestimators import available_if
from sklearn.utils.validation import check_is_fitted

from ._base import BaseLSTM
from ._checks import underflow_is_zero
from ._fitted_state import check_head, check_layer_shapes, reads_one_state
from ._parameters import (
    AUTO_BATCH_DOC, ATTRIBUTES_DOC, ONE_STEP_ROWS, PARAMETERS_DOC, PER_STEP_LAYOUT,
    VARIANT_WEIGHTS_DOC, with_partial_fit_doc,
)
from ._param_validation import BOOLEAN, Interval, Options
from ._regressor import REGRESSOR_ATTRIBUTES_DOC, REGRESSOR_PARAMETERS_DOC, LSTMRegressor
from ._seq2seq import EncoderDecoder, EncoderDecoderLayout
from ._training import ENCODER_DECODER_AUTO_BATCH_SIZE
from ._validation import listed
from ._warnings import warn
from .exceptions import DataLayoutWarning


def _without_parameters(doc, names):
    """``doc`` (numpydoc parameter paragraphs) without the paragraphs of ``names``."""
    paragraphs = doc.split("\n\n")
    kept = [p for p in paragraphs
            if not any(p.lstrip("\n").startswith(f"    {name} :") for name in names)]
    return "\n\n".join(kept)


# BaseLSTM's parameters the encoder-decoder does not offer; each stays at its
# default as a class attribute: one prediction per sequence (its horizon),
# every step read on its own, and neither Greff et al.'s variants nor two
# directions.
_NOT_PARAMETERS = ("return_sequences", "patch_length", "gate_variant", "bidirectional")


_SHAPE_DOC = """
    horizon : int, default=1
        Decoder steps: the last ``horizon`` steps of each sequence; the
        steps before them (at least one) are the encoder's window.

    n_future_channels : int, default=0
        How many of the last channels of ``X`` the decoder reads at its
        steps: the covariates known in advance (calendar, planned prices).
        0 means the decoder reads only the encoder's context.

    decoder_state : {"encoder", "zeros"}, default="encoder"
        Where each decoder layer starts. "encoder": from the final hidden
        and cell states of the encoder layer at the same depth, so the
        decoder continues the encoder's memory (Sutskever et al., 2014; the
        decoder of DeepAR). "zeros": from zero states, the context alone
        carrying the window (MQ-RNN), as models saved by sklstm before this
        parameter existed do. On the daily-demand benchmark
        (``benchmarks/bench_future_covariates.py --decoder-state``)
        "encoder" validated better on average over its four settings (MAE
        12.70 against 13.74, trained with L-BFGS), with a smaller spread
        over seeds.
"""


# One head serves every decoder step: a constant is exact only where it
# serves constants alone, which its intercept can give (the same value, once
# standardised, at every step).
_CONSTANT_TARGETS_OF_ONE_HEAD = """
        Whatever its value, ``fit`` predicts a target constant over the
        training part (or differing only by rounding) as exactly its mean
"""
_CONSTANT_TARGETS_OF_A_SHARED_HEAD = """
        Whatever its value, ``fit`` predicts an output whose targets are
        constant over the training part at every horizon step (or differ
        only by rounding) as exactly their means; as one head serves every
        step, not where the output is constant at some steps only, nor,
        with ``scale_targets=False``, where the steps' constants differ
"""


# The output layer's attributes, whose shapes differ from LSTMRegressor's: the
# head maps each decoder step, and the outputs are all the horizon's.
_HEAD_ATTRIBUTES = ("out_coef_", "out_intercept_", "n_outputs_", "patch_length_")
_HEAD_DOC = """
    patch_length_ : int
        1: every step is read on its own.

    out_coef_ : ndarray of shape (H_last, n_step_logits)
        Weights of the dense output layer, shared by the decoder's steps.
        ``n_step_logits`` is ``n_outputs_ // horizon``, times
        ``len(quantiles_)`` with ``loss="quantile"`` (each output's
        quantiles side by side, in the order of ``quantiles_``).

    out_intercept_ : ndarray of shape (n_step_logits,)
        Bias of the dense output layer.

    n_outputs_ : int
        Columns of ``y``: ``horizon * n_step_outputs``.
"""


# What replaces ONE_STEP_ROWS in this class's docstring.
_NO_ONE_STEP_ROWS = """
        A model fitted on 3-D or list input refuses a 2-D ``X`` of one step
        per row (it needs ``horizon + 1`` steps), which MAPIE sends to check
        a model it is given fitted (``SplitConformalRegressor``,
        ``TimeSeriesRegressor`` with ``cv="prefit"``): give MAPIE a model
        fitted on the sequences as rows (``n_channels``) instead."""


def _warn_of_unread_values(values, horizon, n_future):
    """Warn where the decoder's steps hold data in channels it does not read.

    Fillers are one value (``make_windows`` writes 0); values that differ
    between samples are data the model drops without a word, as the newest
    lags of a plain lag table (sktime's ``make_reduction``, skforecast) are,
    unless they repeat the window's last step (an ``n_exog`` column, held at
    every step, which the encoder reads).

    values : ndarray of shape (n_samples, window + horizon, n_channels),
        oldest step first.
    """
    unread = values[:, -horizon:, : values.shape[2] - n_future]
    if not unread.size:
        return
    varying = (unread.max(axis=0) != unread.min(axis=0)).any(axis=0)
    new = (unread != values[:, -horizon - 1 : -horizon, : unread.shape[2]]).any(axis=(0, 1))
    differing = np.flatnonzero(varying & new)
    if differing.size:
        warn(
            f"X's last horizon={horizon} step(s) hold values that differ between samples "
            f"in channel(s) {listed(differing)}, which the decoder does not read (at "
            f"those steps it reads the last n_future_channels={n_future} channel(s) "
            "only): they are ignored. Each sequence is a window, then the horizon's "
            "steps (see the class docstring); a table of lags alone has no horizon "
            "steps: append them (make_windows(..., future_layout='appended') builds "
            "this layout), or use LSTMRegressor. Fillers of one value, such as 0, do "
            "not warn.",
            DataLayoutWarning,
        )


class LSTMEncoderDecoderRegressor(LSTMRegressor):
    __doc__ = f"""LSTM encoder-decoder for direct multi-step regression.

    An LSTM encoder reads a window of past steps; an LSTM decoder then runs
    over the ``horizon`` steps to forecast, reading at each step that step's
    future covariates and the encoder's context (its top layer's last hidden
    state), and a dense layer turns each decoder step into that step's
    outputs: the sequence-to-sequence form of MQ-RNN (Wen et al., 2017).
    By default the decoder also starts from the encoder's final states
    (``decoder_state="encoder"``).
    Trained on the squared error (or the pinball loss of several quantiles)
    of all steps plus an L2 penalty, by backpropagation through both networks.

    **Layout of X.** Each sample is one sequence of ``window + horizon``
    steps, oldest first, of ``n_channels`` channels, the future covariates
    last:

    - steps ``0 .. window - 1``: the encoder reads every channel (targets,
      past covariates, and the future covariates at those past times);
    - steps ``window .. window + horizon - 1``: the decoder reads only the
      last ``n_future_channels`` channels, the covariates at the forecast
      steps. The other channels of these steps are not read: fill them with
      one finite value, such as 0 (they are standardised with the rest, so
      a value too large to standardise, 1e39 in float32, is refused).
      Values there that differ between samples (and do not repeat the
      window's last step, as an ``n_exog`` column does) give a
      :class:`~sklstm.exceptions.DataLayoutWarning` when a fit starts
      anew: they are most likely data the model drops, as the newest lags
      of a plain lag table (sktime's ``make_reduction``, skforecast) would
      be.

    3-D ``X`` of shape (n_samples, window + horizon, n_channels) is this
    layout directly; 2-D ``X`` of shape (n_samples, (window + horizon) *
    n_channels) holds it as ``n_channels``, ``column_order`` and
    ``newest_first`` say. All sequences have the same length (no NaN
    padding). The window of 3-D ``X`` may differ between ``fit`` and
    ``predict``; a 2-D table, array or DataFrame, keeps the width it had in
    ``fit`` (a DataFrame's columns are also checked by name).
    :class:`sklstm.forecasting.DirectForecaster` builds this layout from a
    DataFrame.

    **Layout of y.** Shape (n_samples, horizon * n_step_outputs),
    step-major: every output of the first forecast step, then of the next
    (:func:`sklstm.forecasting.make_windows`' layout), or (n_samples,) when
    there is one step and one output.

    Standardisation uses the window steps for the channels the decoder does
    not read, and every step for the future covariates.

    ``dropout`` and ``recurrent_dropout`` act on the encoder's and the
    decoder's layers alike, with masks drawn per window; the inputs of the
    decoder's first layer are the future covariates and the context.

    Parameters
    ----------{_SHAPE_DOC}{_without_parameters(PARAMETERS_DOC, _NOT_PARAMETERS).replace(
        "Units of each stacked LSTM layer, from the input upwards.",
        "Units of each stacked LSTM layer of the encoder, and of the decoder.").replace(
        ONE_STEP_ROWS, _NO_ONE_STEP_ROWS).replace(
        AUTO_BATCH_DOC, '``"auto"`` is 32,').replace(
        "learning_rate_init : float, default=2e-3", "learning_rate_init : float, default=1e-3"
    ).replace(PER_STEP_LAYOUT, "")}{REGRESSOR_PARAMETERS_DOC.replace(
        _CONSTANT_TARGETS_OF_ONE_HEAD, _CONSTANT_TARGETS_OF_A_SHARED_HEAD)}
    Attributes
    ----------{_without_parameters(ATTRIBUTES_DOC, _HEAD_ATTRIBUTES).replace(
        "One dict per LSTM layer", "The encoder's layers, then the decoder's; one dict per layer"
    ).replace(VARIANT_WEIGHTS_DOC, "")}{_HEAD_DOC}{REGRESSOR_ATTRIBUTES_DOC}
    See Also
    --------
    LSTMRegressor : One LSTM and a dense layer (many-to-one or many-to-many).
    sklstm.forecasting.DirectForecaster : Uses this model when future
        covariates are given.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMEncoderDecoderRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(150, 6 + 3, 2))          # window 6, horizon 3
    >>> y = X[:, 5:6, 0] + X[:, 6:, 1]                # last value + each step's covariate
    >>> model = LSTMEncoderDecoderRegressor(
    ...     (8,), horizon=3, n_future_channels=1, solver="lbfgs", max_iter=80,
    ...     random_state=0).fit(X, y)
    >>> model.predict(X[:2]).shape
    (2, 3)
    >>> round(model.score(X, y), 2) > 0.95
    True
    """

    # Not parameters (see _NOT_PARAMETERS).
    return_sequences = False
    patch_length = 1
    gate_variant = None
    bidirectional = False
    _ARCHITECTURE_PARAMS = (
        *BaseLSTM._ARCHITECTURE_PARAMS, "horizon", "n_future_channels", "decoder_state",
    )
    _auto_batch_size = ENCODER_DECODER_AUTO_BATCH_SIZE
    _nan_advice = (
        "The encoder-decoder reads samples of window + horizon finite steps, with no "
        "padding: give the channels it does not read in the horizon (all but the last "
        "n_future_channels) any finite value, 0 say, as make_windows(..., "
        "future_layout='appended') does."
    )
    _many_to_one_advice = (
        "The encoder-decoder's targets are step-major, (n_samples, horizon * n_step_outputs): "
        "pass y of shape (n_samples, horizon, n_step_outputs) as y.reshape(len(y), -1)."
    )
    # Saved before decoder_state existed, a model's decoder started from zeros.
    # Not patch_length, which is no parameter here: an instance attribute
    # would shadow the class attribute above.
    _LEGACY_FITTED_STATE = {
        **{k: v for k, v in BaseLSTM._LEGACY_FITTED_STATE.items() if k not in _NOT_PARAMETERS},
        "decoder_state": "zeros",
    }

    _parameter_constraints = {
        **{k: v for k, v in LSTMRegressor._parameter_constraints.items()
           if k not in _NOT_PARAMETERS},
        "horizon": [Interval(numbers.Integral, 1, None)],
        "n_future_channels": [Interval(numbers.Integral, 0, None)],
        "decoder_state": [Options(str, ["encoder", "zeros"])],
        "early_stopping": [BOOLEAN],  # its default holds nothing out
    }

    def __init__(
        self,
        hidden_layer_sizes=(32,),
        *,
        horizon=1,
        n_future_channels=0,
        decoder_state="encoder",
        peephole=False,
        coupled_gates=False,
        dropout=0.0,
        recurrent_dropout=0.0,
        forget_bias=1.0,
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=1e-3,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping=False,
        validation_fraction=0.1,
        validation_split="tail",
        beta_1=0.9,
        beta_2=0.999,
        epsilon=1e-8,
        n_iter_no_change=10,
        max_fun=15000,
        clip_norm=None,
        solver_options=None,
        standardize=True,
        n_channels=1,
        column_order="time_major",
        newest_first=False,
        n_exog=0,
        data_format=None,
        loss="squared_error",
        quantiles=(0.1, 0.5, 0.9),
        scale_targets=True,
    ):
        super().__init__(
            hidden_layer_sizes, peephole=peephole, coupled_gates=coupled_gates,
            dropout=dropout, recurrent_dropout=recurrent_dropout, forget_bias=forget_bias,
            solver=solver, alpha=alpha, batch_size=batch_size,
            learning_rate=learning_rate, learning_rate_init=learning_rate_init,
            power_t=power_t, max_iter=max_iter, shuffle=shuffle, random_state=random_state,
            tol=tol, verbose=verbose, warm_start=warm_start, momentum=momentum,
            nesterovs_momentum=nesterovs_momentum, early_stopping=early_stopping,
            validation_fraction=validation_fraction, validation_split=validation_split,
            beta_1=beta_1, beta_2=beta_2, epsilon=epsilon, n_iter_no_change=n_iter_no_change,
            max_fun=max_fun, clip_norm=clip_norm, solver_options=solver_options,
            standardize=standardize, n_channels=n_channels, column_order=column_order,
            newest_first=newest_first, n_exog=n_exog, data_format=data_format, loss=loss,
            quantiles=quantiles, scale_targets=scale_targets,
        )
        for name in _NOT_PARAMETERS:
            delattr(self, name)  # the class attribute, not a parameter
        self.horizon = horizon
        self.n_future_channels = n_future_channels
        self.decoder_state = decoder_state

    # -- the public methods, whose inputs are this model's layouts ------------------

    def fit(self, X, y, sample_weight=None):
        """Fit the encoder-decoder to sequences ``X`` and their horizons' targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, window + horizon, n_channels) or \
                (n_samples, (window + horizon) * n_channels), DataFrame, or list of arrays
            Sequences of equal length in the layout of the class docstring:
            the encoder's window, then the horizon's steps, whose last
            ``n_future_channels`` channels the decoder reads. No NaN padding,
            and no sequences of different lengths.
        y : array-like of shape (n_samples, horizon * n_step_outputs), or \
                (n_samples,) for one step and one output
            Targets, step-major: every output of the first horizon step, then
            of the next. Targets of shape (n_samples, horizon,
            n_step_outputs) are ``y.reshape(len(y), -1)``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sequence.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return super().fit(X, y, sample_weight)

    @available_if(BaseLSTM._check_partial_fit)
    @with_partial_fit_doc
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given samples.

        The first call sets the target statistics (``scale_targets``);
        later calls keep them.

        {partial_fit_optimizer}

        Parameters
        ----------
        X : array-like, see ``fit``
        y : array-like of shape (n_samples, horizon * n_step_outputs) or \
                (n_samples,), see ``fit``
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return super().partial_fit(X, y, sample_weight)

    @underflow_is_zero
    @reads_one_state
    def predict(self, X):
        """Predict the targets of every horizon step.

        With ``loss="quantile"``, the predicted quantile nearest 0.5 (see
        ``loss``).

        Parameters
        ----------
        X : array-like, see ``fit``
            The window may be longer or shorter than in ``fit`` (3-D ``X``).

        Returns
        -------
        y : ndarray of shape (n_samples, horizon * n_step_outputs), or (n_samples,)
            Step-major, as ``y`` in ``fit`` (1-D where it was). In the dtype
            of the model's weights.
        """
        return super().predict(X)

    # -- the shape of the problem -------------------------------------------------

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # y holds one column per horizon step: a 1-D y fits a horizon of one step only.
        tags.target_tags.single_output = bool(self.horizon == 1)
        return tags

    def _sizes(self, *, fitted):
        """``(horizon, n_future)``: of the fitted model, or of the parameters."""
        params = (
            self._completed_architecture(self._fitted_architecture_record() or {})
            if fitted else self.get_params()
        )
        return int(params["horizon"]), int(params["n_future_channels"])

    def _convert_X(self, X, *, reset):
        seqs, state = super()._convert_X(X, reset=reset)
        horizon, n_future = self._sizes(fitted=not reset)
        if seqs.lengths is not None:
            raise ValueError(
                f"{type(self).__name__} needs sequences of equal length "
                "(window + horizon steps); X holds padded or ragged sequences."
            )
        n_steps = seqs.values.shape[1]
        if n_steps <= horizon:
            columns = "" if seqs.n_columns is None else (
                f"X has {seqs.n_columns} feature(s), "
            )
            # A fitted sequence model reads rows of n_features_in_ columns as
            # one step: what MAPIE's check of a fitted model sends it.
            probe = "" if (reset or self._fitted_on_table or n_steps != 1
                           or seqs.n_columns is None) else (
                " MAPIE checks a model it is given fitted (SplitConformalRegressor, "
                "TimeSeriesRegressor with cv='prefit') by predicting on one such row: "
                "wrap an encoder-decoder fitted on 2-D rows (X.reshape(len(X), -1) with "
                "n_channels=X.shape[2]) instead, or let MAPIE fit it "
                "(CrossConformalRegressor, or TimeSeriesRegressor without cv='prefit')."
            )
            raise ValueError(
                f"{type(self).__name__} needs sequences of at least horizon + 1 = "
                f"{horizon + 1} steps (a window of at least one step, then the "
                f"horizon); {columns}sequences of {n_steps} step(s).{probe}"
            )
        if n_future > seqs.n_channels:
            raise ValueError(
                f"n_future_channels={n_future} is more than the {seqs.n_channels} "
                "channel(s) of X."
            )
        if reset:
            _warn_of_unread_values(seqs.values, horizon, n_future)
        return seqs, state

    def _channel_stats(self, seqs, sample_weight):
        """Statistics over the steps that each channel is read at.

        The decoder reads only the future covariates at its steps; the other
        channels' values there are fillers, which must not shift their scale.
        """
        horizon, n_future = self._sizes(fitted=False)
        window = seqs.values.shape[1] - horizon
        encoder_part = replace(seqs, values=seqs.values[:, :window])
        mean, scale = BaseLSTM._channel_stats(encoder_part, sample_weight)
        if n_future:
            future = replace(seqs, values=seqs.values[..., seqs.n_channels - n_future :])
            mean[-n_future:], scale[-n_future:] = BaseLSTM._channel_stats(future, sample_weight)
        return mean, scale

    # -- the network ---------------------------------------------------------------

    def _encode_targets(self, y, sequences, *, reset, classes=None, sample_weight=None,
                        warm_start=False):
        encoded = super()._encode_targets(
            y, sequences, reset=reset, classes=classes, sample_weight=sample_weight,
            warm_start=warm_start,
        )
        horizon, _ = self._sizes(fitted=not reset)
        n_columns = encoded[0].shape[-1]
        if n_columns % horizon:
            raise ValueError(
                f"y has {n_columns} columns, not a multiple of horizon={horizon}: it "
                "must hold horizon * n_step_outputs columns, step-major."
            )
        return encoded

    def _head_outputs(self, n_columns):
        # y is step-major; one head serves every decoder step. The horizon
        # the parameters ask for: a warm start refuses another.
        horizon, _ = self._sizes(fitted=False)
        return np.arange(n_columns) % (n_columns // horizon)

    def _network(self, n_channels, sizes, n_logits):
        horizon, n_future = self._sizes(fitted=False)
        layout = EncoderDecoderLayout(
            n_channels, n_future, sizes, n_logits // horizon, peephole=self.peephole,
            coupled=self.coupled_gates,
        )
        return EncoderDecoder(layout, horizon, pass_states=self.decoder_state == "encoder")

    def _initial_weights(self, network, reuse_weights, rng, dtype, settled=None):
        if reuse_weights:
            return super()._initial_weights(network, reuse_weights, rng, dtype, settled)
        return network.layout.initial_weights(rng, forget_bias=self.forget_bias, dtype=dtype)

    def _architecture_of_weights(self):
        # Every encoder-decoder save records its architecture (the class
        # came later), and its weights hold two stacks.
        return {}

    def _fitted_network(self):
        """The fitted network and the packed weights, checked against the
        fitted architecture (as :meth:`BaseLSTM._fitted_network`): the
        encoder's layers, then the decoder's, then the head."""
        check_is_fitted(self, "coefs_")
        if self.patch_length_ != 1:  # checked a positive int before
            raise ValueError(
                f"patch_length_ must be 1 for an encoder-decoder, which reads every step; "
                f"got {self.patch_length_}."
            )
        # _check_architecture ran first: the parameters are the fitted ones.
        architecture = self._completed_architecture(self._fitted_architecture_record() or {})
        sizes = tuple(architecture["hidden_layer_sizes"])
        horizon, n_future = self._sizes(fitted=True)
        n_layers, n_channels = len(sizes), self.input_mean_.size
        if len(self.coefs_) != 2 * n_layers:
            raise ValueError(
                f"coefs_ must hold {2 * n_layers} dicts of weights (the encoder's "
                f"{n_layers} layer(s), then the decoder's) for hidden_layer_sizes={sizes}, "
                f"got {len(self.coefs_)}."
            )
        check_layer_shapes(
            self.coefs_[:n_layers], n_channels, architecture,
            reads=f"the encoder reads the {n_channels} channel(s) of X",
        )
        check_layer_shapes(
            self.coefs_[n_layers:], n_future + sizes[-1], architecture, first=n_layers,
            reads=(f"the decoder reads n_future_channels={n_future} covariate(s) and the "
                   f"encoder's {sizes[-1]} units"),
        )
        n_logits, targets = self._n_logits()
        if n_logits % horizon:
            raise ValueError(
                f"The fitted model's {n_logits} outputs ({targets}) are not a multiple of "
                f"its horizon={horizon}."
            )
        check_head(self.out_coef_, self.out_intercept_, sizes[-1], n_logits // horizon,
                   f"{targets} over horizon={horizon}")
        layout = EncoderDecoderLayout(
            n_channels, n_future, sizes, n_logits // horizon,
            peephole=architecture["peephole"], coupled=architecture["coupled_gates"],
        )
        network = EncoderDecoder(
            layout, horizon, pass_states=architecture["decoder_state"] == "encoder"
        )
        theta = layout.pack(
            self.coefs_, self.out_coef_, self.out_intercept_, dtype=self.out_coef_.dtype
        )
        return network, theta
