"""LSTMRegressor: an LSTM with a linear output, trained on squared error or
the pinball loss of several quantiles, on internally standardised targets."""

import numbers

import numpy as np
from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from ._base import BaseLSTM, refit_advice
from ._checks import underflow_is_zero
from ._fitted_state import check_float_array, check_positive, reads_one_state
from ._parameters import (
    ATTRIBUTES_DOC, EARLY_STOPPING_DOC, PARAMETER_CONSTRAINTS, PARAMETERS_DOC,
    with_partial_fit_doc,
)
from ._loss import Objective, non_crossing_quantiles
from ._param_validation import BOOLEAN, IncreasingLevels, Options, quantile_levels
from ._scaling import column_statistics, mean_and_scale, unit_exponents
from ._validation import PER_STEP_ADVICE, check_sequence_targets, target_is_single_output

# The regressor's early_stopping entry, in place of the shared one.
REGRESSOR_EARLY_STOPPING_DOC = """    early_stopping : bool or "auto", default="auto"
        How held-out samples steer a fit with ``solver="adam"`` or ``"sgd"``
        (the scipy solvers ignore it, as ``MLPRegressor``'s L-BFGS does).
        ``"auto"`` holds out a random ``validation_fraction`` of the samples
        (whatever ``validation_split`` says; drawn anew at each fit, the
        same part for an int ``random_state``) when that makes at least 10
        of positive weight: training runs and stops as without them (on
        the training loss), and the weights of the epoch of lowest
        validation loss are kept. On noisy targets the training loss keeps
        falling as the network learns the noise; the held-out loss tells
        when that began (on a signal plus five times its variance in noise,
        held-out R² -0.084 where training on every sample gave -0.232, mean
        of three seeds; ``benchmarks/bench_realdata.py --noisy``). With
        fewer samples, or a training part of no weight, it acts as False.
        Lag windows cut from one series share values, so a random part
        reads optimistic there; ``True`` with ``validation_split="tail"``
        holds out the latest windows instead.
        ``True`` holds out the ``validation_split`` part, stops when the
        validation loss stops improving and restores the best weights;
        ``False`` trains on every sample. ``partial_fit`` refuses True (each
        call trains one epoch on every sample) and holds nothing out for
        "auto".
"""

REGRESSOR_PARAMETERS_DOC = """
    loss : {"squared_error", "quantile"}, default="squared_error"
        ``"squared_error"`` predicts the conditional mean. ``"quantile"``
        trains the pinball loss of each level in ``quantiles`` (summed over
        levels and outputs); the predicted quantiles never cross, by
        construction: the lowest is a free output, each next one adds a
        softplus (positive) increment. Use :meth:`predict_quantiles`;
        ``predict`` then returns the quantile nearest 0.5 (the median when
        0.5 is a level; of two equally near, the lower) and ``score`` its R².
        A fitted model keeps the loss and levels it was fitted with
        (``quantiles_``): after ``set_params`` that asks for another loss or
        other levels, ``predict``, ``predict_quantiles``, ``score``,
        ``partial_fit`` and warm starts raise a ValueError naming both, until
        they are set back or the model refit.

    quantiles : array-like of float, default=(0.1, 0.5, 0.9)
        Strictly increasing quantile levels in (0, 1), checked at every
        ``fit`` whatever ``loss``; used with ``loss="quantile"`` only (and
        then checked against the fitted levels wherever the fitted model is
        used).

    scale_targets : bool, default=True
        Standardise each target column with the mean and standard deviation
        of the training targets (weighted by ``sample_weight`` as the loss
        weighs them; per-step targets over the real steps only), train on
        the standardised targets, and map predictions back to the targets'
        units. Targets in any units then train as well as standardised ones.
        The loss (``loss_``, ``loss_curve_``, validation losses) is in the
        standardised units. ``warm_start`` and ``partial_fit`` keep the
        statistics of the first fit. With False, ``target_mean_`` and
        ``target_scale_`` are zeros and ones.
        Whatever its value, ``fit`` predicts a target constant over the
        training part (or differing only by rounding) as exactly its mean
        (with ``loss="quantile"``, every level; a warm start, to the
        rounding of its first fit's statistics): it sets that output's head
        weights to zero and its intercept to the mean, the loss's exact
        minimum, which training alone only nears. ``loss_`` and the curves
        describe training before that. ``partial_fit`` leaves the head to
        training (a batch's constant says nothing of the stream's). An
        output with zero head weights restarts from a new initialisation
        when a warm start or ``partial_fit`` trains it on targets that vary.
"""

REGRESSOR_ATTRIBUTES_DOC = """
    target_mean_, target_scale_ : ndarray of shape (n_outputs,)
        Per-output standardisation of the targets (zeros and ones when
        ``scale_targets=False``): the network predicts
        ``(y - target_mean_) / target_scale_``. Set them to zeros and ones
        to predict with output weights trained elsewhere in the targets'
        own units.

    quantiles_ : ndarray of shape (n_quantiles,) or None
        Quantile levels of the columns of :meth:`predict_quantiles`; None
        for ``loss="squared_error"``.
"""


_LOSSES = ("squared_error", "quantile")
# The logit of a quantile increment settled at a constant target: softplus
# is exactly 0 there, in float32 and float64, so every level is the constant.
_FLAT_INCREMENT_LOGIT = -1e4
# The fitted attributes of the targets' scaling and loss, which came with one
# version: a model saved before it lacks all three, and only such a model.
_TARGET_STATE = ("target_mean_", "target_scale_", "quantiles_")


class LSTMRegressor(RegressorMixin, BaseLSTM):
    __doc__ = f"""Long short-term memory network for regression.

    A stack of LSTM layers reads each sequence; a linear layer maps the last
    hidden state (or, with ``return_sequences=True``, every step's state)
    to the targets, standardised internally (``scale_targets``). Trained on
    the squared error, or the pinball loss of several quantiles, plus an L2
    penalty.

    Parameters
    ----------{PARAMETERS_DOC.replace(EARLY_STOPPING_DOC, REGRESSOR_EARLY_STOPPING_DOC)}{REGRESSOR_PARAMETERS_DOC}
    Attributes
    ----------{ATTRIBUTES_DOC}{REGRESSOR_ATTRIBUTES_DOC}
    See Also
    --------
    LSTMClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : The feed-forward counterpart.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(size=(200, 10, 1))            # 200 sequences of 10 steps
    >>> y = X[:, -3:, 0].sum(axis=1)                  # sum of the last three values
    >>> model = LSTMRegressor(hidden_layer_sizes=(16,), solver="lbfgs",
    ...                       max_iter=150, random_state=0).fit(X, y)
    >>> model.predict(X[:2]).shape
    (2,)
    >>> round(model.score(X, y), 2) > 0.95
    True

    Quantiles that never cross:

    >>> q = LSTMRegressor(hidden_layer_sizes=(16,), loss="quantile",
    ...                   quantiles=(0.1, 0.5, 0.9), solver="lbfgs",
    ...                   max_iter=100, random_state=0).fit(X, y)
    >>> bands = q.predict_quantiles(X[:5])
    >>> bands.shape
    (5, 3)
    >>> bool(np.all(np.diff(bands, axis=1) > 0))
    True
    """

    _parameter_constraints = {
        **PARAMETER_CONSTRAINTS,
        "loss": [Options(str, _LOSSES)],
        "quantiles": [IncreasingLevels()],
        "scale_targets": [BOOLEAN],
        "early_stopping": [BOOLEAN, Options(str, {"auto"})],
        # Refused whatever early_stopping is: there are no classes to stratify by.
        "validation_split": [Options(str, {"tail", "shuffle"})],
    }

    def __init__(
        self,
        hidden_layer_sizes=(32,),
        *,
        return_sequences=False,
        patch_length="auto",
        peephole=False,
        coupled_gates=False,
        gate_variant=None,
        bidirectional=False,
        dropout=0.0,
        recurrent_dropout=0.0,
        forget_bias=1.0,
        solver="adam",
        alpha=1e-4,
        batch_size="auto",
        learning_rate="constant",
        learning_rate_init=2e-3,
        power_t=0.5,
        max_iter=200,
        shuffle=True,
        random_state=None,
        tol=1e-4,
        verbose=False,
        warm_start=False,
        momentum=0.9,
        nesterovs_momentum=True,
        early_stopping="auto",
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
            hidden_layer_sizes=hidden_layer_sizes, return_sequences=return_sequences,
            patch_length=patch_length,
            peephole=peephole, coupled_gates=coupled_gates, gate_variant=gate_variant,
            bidirectional=bidirectional, dropout=dropout, recurrent_dropout=recurrent_dropout,
            forget_bias=forget_bias,
            solver=solver, alpha=alpha, batch_size=batch_size, learning_rate=learning_rate,
            learning_rate_init=learning_rate_init, power_t=power_t, max_iter=max_iter,
            shuffle=shuffle, random_state=random_state, tol=tol, verbose=verbose,
            warm_start=warm_start, momentum=momentum, nesterovs_momentum=nesterovs_momentum,
            early_stopping=early_stopping, validation_fraction=validation_fraction,
            validation_split=validation_split, beta_1=beta_1, beta_2=beta_2, epsilon=epsilon,
            n_iter_no_change=n_iter_no_change, max_fun=max_fun, clip_norm=clip_norm,
            solver_options=solver_options, standardize=standardize, n_channels=n_channels,
            column_order=column_order, newest_first=newest_first, n_exog=n_exog,
            data_format=data_format,
        )
        self.loss = loss
        self.quantiles = quantiles
        self.scale_targets = scale_targets

    _private_fitted = (*BaseLSTM._private_fitted, "_single_output")
    # What the refusal of a y of three axes advises.
    _many_to_one_advice = PER_STEP_ADVICE
    _required_fitted = (*BaseLSTM._required_fitted, "_single_output", *_TARGET_STATE)

    # -- targets ----------------------------------------------------------------

    def _check_architecture(self, action):
        """Also raise if ``loss`` or ``quantiles`` ask for other outputs than the
        fitted ones (``quantiles_``, the one record of what was fitted)."""
        super()._check_architecture(action)
        if not hasattr(self, "quantiles_"):
            return
        fitted = self.quantiles_
        if fitted is not None:  # compared below, before the rest of the fitted state is checked
            check_float_array(fitted, "quantiles_")
        try:
            requested = self._requested_quantiles()
        except (TypeError, ValueError) as exc:  # levels set by set_params after fit
            raise type(exc)(
                f"{exc} {type(self).__name__} was fitted with {_described(fitted)}. "
                f"{action} uses the fitted model: set quantiles back, or refit."
            ) from None
        # Within float32's precision: a model saved before float32 levels were
        # read as the decimals they print as holds 0.10000000149011612 for 0.1.
        if (fitted is None) == (requested is None) and (
            fitted is None or fitted.shape == requested.shape
            and np.allclose(fitted, requested, rtol=0, atol=1e-7)
        ):
            return
        raise ValueError(
            f"{type(self).__name__} was fitted with {_described(fitted)}, but loss and "
            f"quantiles now ask for {_described(requested)} (changed by set_params after "
            f"fit?). {action} uses the fitted model: set them back, or "
            f"{refit_advice('them')}."
        )

    def _requested_quantiles(self):
        """The quantile levels the parameters ask for, or None."""
        if self.loss != "quantile":
            return None
        return np.asarray(quantile_levels(self.quantiles))  # float32 levels as they print

    def _encode_targets(self, y, sequences, *, reset, classes=None, sample_weight=None,
                        warm_start=False):
        Y = check_sequence_targets(y, sequences, self.return_sequences, numeric=True,
                                   many_to_one_advice=self._many_to_one_advice)
        dtype = sequences.values.dtype
        with np.errstate(over="ignore"):  # reported below
            Y2 = Y.astype(dtype, copy=False)
        if np.isinf(Y2).any():  # Y is finite: the cast overflowed
            s = tuple(np.argwhere(np.isinf(Y2))[0])
            source, remedy = _dtype_origin(reset)
            raise ValueError(
                f"y holds {Y[s]:.4g} (sample {s[0]}), beyond {dtype.name}, {source} "
                f"(largest {np.finfo(dtype).max:.4g}); {remedy}, or rescale y."
            )
        if Y2.dtype != Y.dtype:
            if Y.ndim == 3:  # the real steps' targets, weighted as the loss weighs them
                real, weights = sequences.real_step_weights(sample_weight)
            else:
                real = slice(None)
                weights = np.ones(len(Y)) if sample_weight is None else sample_weight
            _refuse_lost_spread(Y[real], Y2[real], weights,
                                None if reset else self.target_scale_)
        if not reset:
            self._check_same_outputs(Y2.shape[-1])
        # Every fit's y decides whether predict drops the output axis, as in a
        # fresh fit: a continued model kept its first y's, and a 1-D y then
        # met (n, 1) predictions that broadcast to (n, n) in its errors.
        state = {"_single_output": target_is_single_output(y, self.return_sequences)}
        if reset:
            state["quantiles_"] = self._requested_quantiles()
        fitted_quantiles = state["quantiles_"] if reset else self.quantiles_
        return Y2, "squared_error" if fitted_quantiles is None else "quantile", None, state

    def _check_same_outputs(self, n_outputs):
        """Refuse to continue training on another number of outputs (another
        loss is refused by :meth:`_check_architecture`)."""
        if n_outputs != self.n_outputs_:
            raise ValueError(
                f"y has {n_outputs} outputs, but {type(self).__name__} was fitted with "
                f"{self.n_outputs_}."
            )

    def _check_target_state(self):
        n = self.n_outputs_
        per_output = f" (one per output, n_outputs_={n})"
        for name in ("target_mean_", "target_scale_"):
            check_float_array(getattr(self, name), name, (n,), per_output)
        check_positive(self.target_scale_, "target_scale_")
        levels = self.quantiles_
        if levels is not None:
            check_float_array(levels, "quantiles_")
            if levels.ndim != 1 or not IncreasingLevels().value_matches(levels):
                raise ValueError(
                    "quantiles_ must be None (loss='squared_error') or "
                    f"{IncreasingLevels()}, got {levels.tolist()}."
                )
        if not isinstance(self._single_output, (bool, np.bool_)):
            raise TypeError(f"_single_output must be a bool, got {self._single_output!r}.")
        if self._single_output and n != 1:
            raise ValueError(f"_single_output is True, but n_outputs_={n}.")

    def _n_logits(self):
        levels = self.quantiles_
        if levels is None:
            return super()._n_logits()
        n_logits = Objective("quantile", 0.0, tuple(levels.tolist())).n_logits(self.n_outputs_)
        return n_logits, f"n_outputs_={self.n_outputs_} × {levels.size} quantiles_"

    def _objective(self, loss_name):
        quantiles = None if self.quantiles_ is None else tuple(self.quantiles_.tolist())
        return Objective(loss_name, float(self.alpha), quantiles)

    def _scaled_targets(self, Y, seqs, sample_weight, split, *, reset):
        """Standardise ``Y`` per output; with ``reset``, from new statistics.

        The statistics weigh each target as the loss does: a sequence by its
        sample weight, a real step by its sequence's weight over its length.
        """
        state = {}
        if reset:
            state = dict(zip(("target_mean_", "target_scale_"),
                             self._target_statistics(Y, seqs, sample_weight, split)))
            mean, scale = state["target_mean_"], state["target_scale_"]
        else:
            mean, scale = self.target_mean_, self.target_scale_
        with np.errstate(over="ignore", invalid="ignore"):  # reported below, with its place
            scaled = ((Y - mean) / scale).astype(Y.dtype, copy=False)

        def where(mask):
            place = np.argwhere(mask)[0]
            return (f"sample {place[0]}, output {place[-1]}" if Y.ndim == 2
                    else f"sample {place[0]}, step {place[1]}, output {place[2]}")

        overflowed = ~np.isfinite(scaled) & np.isfinite(Y)
        if overflowed.any():
            raise ValueError(
                f"y holds a value too large to standardise in {Y.dtype}, in {where(overflowed)}: "
                f"its distance from the targets' mean overflows. Rescale the targets."
            )
        if reset:
            _check_room_to_predict(Y, scaled, mean, scale, _counted(Y, seqs, sample_weight),
                                   where)
        # The squared errors of the targets that count (positive weight, real
        # steps) must sum within the dtype; only targets far outside the
        # statistics they are scaled by reach it (a continued call's, fixed
        # by the first fit; unscaled targets; held out, whose validation
        # loss would be infinite at every epoch, and no epoch chosen).
        if self.loss != "squared_error":
            return scaled, state
        reach = float(np.sqrt(np.finfo(Y.dtype).max / max(Y.size, 1))) / 2
        too_far = np.abs(scaled) > reach
        if too_far.any():  # the mask of counted targets only then
            too_far &= _counted(Y, seqs, sample_weight)[..., None]
        if too_far.any():
            sample = int(np.argwhere(too_far)[0][0])
            if split is not None and np.any(split[1] == sample):
                fixed = ("far outside the statistics of the training part that standardise "
                         "them, and this one is held out by early stopping: its validation "
                         "loss would be infinite at every epoch. Rescale the targets")
            elif not reset:
                fixed = ("scaled by the statistics of the fit it continues (target_mean_, "
                         "target_scale_); refit on all the data, or rescale the targets")
            elif not self.scale_targets:
                fixed = "not standardised; keep scale_targets=True, or rescale the targets"
            else:
                fixed = "far outside the statistics that standardise them; rescale the targets"
            raise ValueError(
                f"y holds a value whose squared error would overflow {Y.dtype}, in "
                f"{where(too_far)}: the targets are {fixed}."
            )
        return scaled, state

    def _target_statistics(self, Y, seqs, sample_weight, split):
        """Mean and scale of each output over the training part of the data."""
        if not self.scale_targets:
            return np.zeros(Y.shape[-1]), np.ones(Y.shape[-1])
        return mean_and_scale(*_training_rows(Y, seqs, sample_weight, split), what="y")

    def _constant_logits(self, Y, seqs, sample_weight, split, fitted):
        """The head logits' optimum for outputs constant over the training part.

        The loss of an output whose training targets are all one value
        (or differ by rounding: the scaling rule's "constant") is least
        with zero weights and that value, in standardised units, as its
        intercept: the exact answer, where training gets only within its
        stopping rule (about 0.1 standardised units) of it. The quantile
        head puts every level there: its increments get a logit whose
        softplus is 0 (and so no gradient: :meth:`_continued_head` restarts
        them when later targets vary).

        Returns
        -------
        values : ndarray of shape (n_head_logits,), float64, or None
            NaN for the logits training decides; None if it decides all.
        """
        rows, weights = _training_rows(Y, seqs, sample_weight, split)
        if not np.any(weights > 0):  # nothing trains: nothing to settle
            return None
        mean, _, constant, _ = column_statistics(rows, weights, what="y")
        with np.errstate(over="ignore"):  # a mean beyond a warm start's scale: not settled
            scaled = (mean - fitted["target_mean_"]) / fitted["target_scale_"]
        constant &= np.isfinite(scaled)
        owners = self._head_outputs(Y.shape[-1])
        values = np.full(owners.max() + 1, np.nan)
        for k in range(values.size):
            # One head output serves several columns of y (the encoder-
            # decoder's steps): settled only if they all ask the same.
            columns = owners == k
            if constant[columns].all() and np.ptp(scaled[columns]) == 0:
                values[k] = scaled[columns][0]
        if self.quantiles_ is None:
            return values
        blocks = np.repeat(values[:, None], self.quantiles_.size, axis=1)
        blocks[:, 1:] = np.where(np.isnan(values), np.nan, _FLAT_INCREMENT_LOGIT)[:, None]
        return blocks.reshape(-1)

    def _flat_logits(self, n_logits):
        # Each output's block of quantile logits is its lowest level, then
        # increments: settled, an increment's softplus is flat at 0.
        if self.quantiles_ is None:
            return super()._flat_logits(n_logits)
        return np.arange(n_logits) % self.quantiles_.size != 0

    def _head_outputs(self, n_columns):
        """The head output (before quantile blocks) that predicts each column of y."""
        return np.arange(n_columns)

    def _validation_score(self, z, Y, sequences, sample_weight):
        # R² is the same in standardised and in natural units.
        return _masked_r2(Y, self._point(z), sequences, sample_weight)

    # -- outputs ------------------------------------------------------------------

    def _quantile_blocks(self, z):
        """Quantiles of shape (..., n_outputs, n_quantiles), standardised units."""
        q = non_crossing_quantiles(z, self.quantiles_)
        return q.reshape(z.shape[:-1] + (self.n_outputs_, self.quantiles_.size))

    def _point(self, z):
        """Point predictions (..., n_outputs) in standardised units: the
        outputs, or the quantile nearest 0.5 (the lower of two as near)."""
        if self.quantiles_ is None:
            return z
        # Levels as near as rounding allows count as tied: |0.7 - 0.5| is a
        # little less than |0.3 - 0.5| in binary, though the user meant a tie.
        distance = np.abs(self.quantiles_ - 0.5)
        middle = int(np.flatnonzero(distance <= distance.min() + 1e-12)[0])
        return self._quantile_blocks(z)[..., middle]

    def _natural_units(self, values, *, per_quantile=False):
        """Map standardised predictions back to the targets' units, in their dtype."""
        mean, scale = self.target_mean_, self.target_scale_
        if per_quantile:
            mean, scale = mean[:, None], scale[:, None]
        # A positive scale keeps the quantiles in order.
        with np.errstate(over="ignore", invalid="ignore"):  # reported below
            natural = (values * scale + mean).astype(values.dtype, copy=False)
        if not np.all(np.isfinite(natural)):
            raise ValueError(
                f"The predictions are beyond {values.dtype} once mapped back to the "
                "targets' units with target_mean_ and target_scale_ (largest scale "
                f"{np.max(self.target_scale_):.3g}): targets this close to the dtype's "
                "largest value leave the model no room (divide them by a power of ten "
                "before fitting), or weights or target statistics set by hand are too "
                "large."
            )
        return natural

    def _as_predicted(self, values, seqs, *, output_axis):
        """Per-step layout as X's, and no output axis for a single-output y."""
        values = self._per_step_output(values, seqs)
        return np.take(values, 0, axis=output_axis) if self._single_output else values

    # -- public API -----------------------------------------------------------------

    @available_if(BaseLSTM._check_partial_fit)
    @with_partial_fit_doc
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given samples.

        The first call sets the target statistics (``scale_targets``);
        later calls keep them.

        {partial_fit_optimizer}

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_columns), DataFrame, or list of arrays
            Sequences, in any convention accepted by ``fit``.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or \
                per step when ``return_sequences`` (see ``fit``)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples, as in ``fit``; None weighs them equally.

        Returns
        -------
        self : object
            The model, trained one more epoch.
        """
        return self._fit(X, y, sample_weight, incremental=True)

    @underflow_is_zero
    @reads_one_state
    def predict(self, X):
        """Predict targets of sequences.

        With ``loss="quantile"``, the predicted quantile nearest 0.5 (see
        ``loss``).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_columns), DataFrame, or list of arrays
            Sequences; their length may differ from those seen in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            With ``return_sequences=True``: (n_samples, n_timesteps) or
            (n_samples, n_timesteps, n_outputs), NaN at padded steps. In the
            dtype of the model's weights.
        """
        predicted, seqs = self._logits(X, self._point_in_units)
        return self._as_predicted(predicted, seqs, output_axis=-1)

    def _point_in_units(self, z):
        """Point predictions (..., n_outputs) in the targets' units, from the
        network's outputs ``z``."""
        return self._natural_units(self._point(z))

    def _has_quantile_loss(self):
        # A fitted model offers what it was fitted with (quantiles_; a loss
        # changed since is refused when it runs); an unfitted one what loss
        # asks for.
        if hasattr(self, "quantiles_"):
            if self.quantiles_ is None:
                raise AttributeError(
                    "predict_quantiles needs a model fitted with loss='quantile'; this one "
                    "was fitted with loss='squared_error'."
                )
        elif self.loss != "quantile":
            raise AttributeError("predict_quantiles needs loss='quantile'.")
        return True

    @available_if(_has_quantile_loss)
    @underflow_is_zero
    @reads_one_state
    def predict_quantiles(self, X):
        """Predict the quantiles ``quantiles_`` of the targets of sequences.

        Parameters
        ----------
        X : array-like, see ``predict``

        Returns
        -------
        quantiles : ndarray of shape (n_samples, n_quantiles) for a 1-D ``y``, \
                else (n_samples, n_outputs, n_quantiles)
            Increasing along the last axis, one column per level of
            ``quantiles_``. With ``return_sequences=True`` a time axis
            follows the sample axis: (n_samples, n_timesteps, n_quantiles)
            or (n_samples, n_timesteps, n_outputs, n_quantiles), NaN at
            padded steps.
        """
        q, seqs = self._logits(
            X, lambda z: self._natural_units(self._quantile_blocks(z), per_quantile=True)
        )
        return self._as_predicted(q, seqs, output_axis=-2)

    @underflow_is_zero
    @reads_one_state
    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R² of the predictions.

        With ``return_sequences=True`` every real step of every sequence
        counts as one observation, weighted by ``sample_weight`` divided
        by the sequence's length. With ``loss="quantile"``, the R² of
        ``predict``'s quantile nearest 0.5.

        Parameters
        ----------
        X : array-like, see ``predict``
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or \
                per step when ``return_sequences``
            True targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Weights of the samples; None weighs them equally.

        Returns
        -------
        score : float
            R² of the predictions.
        """
        predicted, seqs, sw = self._scoring_input(X, sample_weight, self._point_in_units)
        # The targets are held to fit's rules, so that a masked array, text or
        # dates are refused here too, not scored as they come.
        Y = check_sequence_targets(y, seqs, self.return_sequences, numeric=True,
                                   many_to_one_advice=self._many_to_one_advice)
        if Y.shape[-1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y.shape[-1]} output(s), but the model predicts n_outputs_="
                f"{self.n_outputs_}."
            )
        if not self.return_sequences:
            return _r2(Y, predicted.reshape(len(Y), -1), sw)
        return _masked_r2(Y, predicted, seqs, sw)

    def __setstate__(self, state):
        # Models saved before scale_targets and the quantile loss existed
        # trained on raw targets with squared error: load them as such. A
        # state that lacks only some of these names is not one of them, and
        # is refused by the check of the loaded state.
        n_outputs = state.get("n_outputs_") if isinstance(state, dict) else None
        if isinstance(n_outputs, numbers.Integral) and not any(
            name in state for name in _TARGET_STATE
        ):
            state = {"target_mean_": np.zeros(n_outputs), "target_scale_": np.ones(n_outputs),
                     "quantiles_": None, **state}
        super().__setstate__(state)  # fills parameters the model did not have

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _described(levels):
    """The loss that quantile ``levels`` (an array, or None) stand for, as parameters."""
    if levels is None:
        return "loss='squared_error'"
    return f"loss='quantile', quantiles={tuple(levels.tolist())}"


# A cast whose rounding error is this share of a target's spread (RMS over
# standard deviation) leaves the model a visibly coarser target: R² 1e-4 lower
# at best.
_SPREAD_LOST_TOL = 0.01


def _dtype_origin(reset):
    """(where the model's dtype comes from, how to train in float64), for messages
    about targets the dtype cannot hold; ``reset`` is a first fit."""
    if reset:
        return "the dtype the model takes from X", "pass X as float64"
    # fit continues the model under warm_start, as partial_fit always does.
    return ("the dtype of the fitted model",
            "refit on float64 X (fit, with warm_start=False)")


def _refuse_lost_spread(Y, Y_cast, weights, fitted_scale):
    """Raise if casting the targets to the model's dtype blurs their spread.

    float32 resolves 1e9 only to 64: targets of 1e9 ± 2 become one constant,
    and the model learns nothing, without a word. The spread and the
    rounding are those of the rows that count (weight > 0), weighted as the
    target statistics weigh them (:func:`~sklstm._scaling.column_statistics`);
    a column constant there stays constant and is left alone.

    Parameters
    ----------
    Y : ndarray of shape (n_targets, n_outputs)
        The targets as given (the real steps' ones, per step).
    Y_cast : ndarray of the same shape, in the model's dtype
    weights : ndarray of shape (n_targets,)
    fitted_scale : ndarray of shape (n_outputs,) or None
        A continued model's ``target_scale_``: its rounding may also be as
        small against that as against the batch's own spread (a batch of two
        prices a cent apart, say); None in a first fit.
    """
    w = np.asarray(weights, dtype=np.float64)
    center, spread, constant, _ = column_statistics(Y, w, what="y")
    counted = w > 0  # a row of weight 0 sets no unit, and adds no error
    rows, cast, w = Y[counted].astype(np.float64), Y_cast[counted].astype(np.float64), w[counted]
    # In power-of-two units: squared, an error of 1e-170 (targets of 1e-200
    # cast to 0) would underflow to 0 and pass.
    exponents = unit_exponents(rows, axis=0)
    with np.errstate(over="ignore", invalid="ignore"):
        error = np.ldexp(np.sqrt(w @ np.ldexp(cast - rows, -exponents) ** 2 / w.sum()),
                         exponents)
        scale = np.where(constant, np.inf, spread)
        if fitted_scale is not None:
            scale = np.maximum(scale, np.asarray(fitted_scale, dtype=np.float64))
    lost = np.flatnonzero(error > _SPREAD_LOST_TOL * scale)
    if lost.size:
        k = int(lost[0])
        source, remedy = _dtype_origin(fitted_scale is None)
        # An offset drowns the spread, unless the spread itself is below the
        # dtype's smallest normal number, where no offset helps.
        rescale = ("subtract a constant from y"
                   if abs(center[k]) > spread[k] >= np.finfo(Y_cast.dtype).tiny
                   else "multiply y by a power of ten")
        raise ValueError(
            f"y's output {k} varies by {spread[k]:.3g} (standard deviation) around "
            f"{center[k]:.6g}, finer than {Y_cast.dtype.name}, {source}, can "
            f"hold there: rounding to it moves the targets by {error[k]:.3g} (RMS). "
            f"{remedy[0].upper()}{remedy[1:]}, or {rescale} before fitting."
        )


# Predictions of a standardised model reach somewhat beyond its targets; a
# quarter beyond the farthest must map back within the dtype.
_PREDICTION_ROOM = 1.25


def _check_room_to_predict(Y, scaled, mean, scale, counted, where):
    """Raise unless predictions a quarter further from the mean than the
    farthest counted target (``counted``: a mask of ``Y.shape[:-1]``) map
    back within Y's dtype: targets near its largest value left the model no
    room, and predict refused its own training data. ``where(mask)`` names
    a target's place."""
    with np.errstate(over="ignore", invalid="ignore"):
        distance = np.where(counted[..., None] & np.isfinite(scaled), np.abs(scaled), 0)
        farthest = distance.reshape(-1, distance.shape[-1]).max(axis=0)
        edge = (np.abs(mean) + _PREDICTION_ROOM * farthest * scale).astype(Y.dtype, copy=False)
    if np.all(np.isfinite(edge)):
        return
    output = int(np.flatnonzero(~np.isfinite(edge))[0])
    # The target nearest the dtype's edge, not the farthest from the mean (a 0
    # among targets of 1.5e308).
    size = np.where(counted & np.isfinite(Y[..., output]), np.abs(Y[..., output]), -np.inf)
    place = np.zeros(distance.shape, dtype=bool)
    place[..., output] = size == size.max()
    raise ValueError(
        f"y holds a target too close to the largest {Y.dtype} ({np.finfo(Y.dtype).max:.3g}) "
        f"for predictions beyond it, in {where(place)}: predict would refuse the model's "
        "own training data. Divide y by a power of ten before fitting."
    )


def _counted(Y, seqs, sample_weight):
    """Mask of the targets a loss counts, of shape ``Y.shape[:-1]``: the
    samples of positive weight, their real steps for per-step targets."""
    counted = np.ones(len(Y), bool) if sample_weight is None else sample_weight > 0
    return counted[:, None] & seqs.step_mask() if Y.ndim == 3 else counted


def _training_rows(Y, seqs, sample_weight, split):
    """The targets the loss trains on, one row per sample (per real step for
    per-step targets), and their weights as the loss weighs them.

    Returns
    -------
    rows : ndarray of shape (n_rows, n_outputs)
    weights : ndarray of shape (n_rows,)
        Ones without ``sample_weight``, so that unit weights give bit for
        bit the statistics of no weights.
    """
    # The validation part must not inform the model: the training part only
    # (selected, never X copied for it: these are the targets' statistics).
    train = None if split is None else split[0]
    if Y.ndim == 3:
        mask, weights = seqs.real_step_weights(sample_weight, indices=train)
        Y = Y if train is None else Y[train]
        return Y[mask], weights  # padded steps' targets may be NaN: leave them out
    if train is not None:
        Y = Y[train]
        sample_weight = None if sample_weight is None else sample_weight[train]
    return Y, np.ones(len(Y)) if sample_weight is None else sample_weight


def _masked_r2(Y, z, sequences, sample_weight):
    """R² over real steps: (n, k) or (n, T, k) arrays, padded steps excluded."""
    if Y.ndim == 2:
        return _r2(Y, z, sample_weight)
    mask, step_w = sequences.real_step_weights(sample_weight)
    return _r2(Y[mask], z[mask], step_w)


def _r2(Y, predicted, sample_weight):
    """scikit-learn's R² of (n, k) arrays, exact for constant targets.

    The weighted mean of a constant is not the constant in floating point
    (weights of 1/3, say), which leaves a total sum of squares of 1e-31
    where it is 0, and R² near -1e31 where scikit-learn gives 0 or 1. Each
    constant output is shifted to exact zeros first; the others keep
    scikit-learn's score bit for bit wherever its sums of squares neither
    overflow nor underflow, and its true value where they would.
    Samples of weight 0 count for nothing: not in the sums, nor in which
    outputs are constant or what their magnitude is. They still count as
    samples, as in scikit-learn, whose score of fewer than two is NaN: one
    sample of positive weight among others scores 0 or 1 as a constant.
    The sums are float64's whatever the dtype: float32's rounding of the
    targets' mean (1e8 ± 8) scored a constant prediction 0.94.
    """
    Y, predicted = np.asarray(Y, np.float64), np.asarray(predicted, np.float64)
    counted = np.ones(len(Y), dtype=bool)
    if sample_weight is not None and (sample_weight > 0).any():
        counted = sample_weight > 0
    Y_counted = Y[counted]
    is_constant = (Y_counted == Y_counted[:1]).all(axis=0)
    constant = np.where(is_constant, Y_counted[0], 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        shifted = Y - constant, predicted - constant
    if not all(np.isfinite(a[counted]).all() for a in shifted):  # a shift beyond float64
        shifted = Y, predicted
    # Rows of weight 0 become zeros: their terms, 0 * 0, leave every sum as
    # it is, and their values set no output's scale below.
    shifted = [np.where(counted[:, None], a, 0.0) for a in shifted]
    # R² of each output is that of the output divided by a power of two near
    # its targets' magnitude, whose sums of squares neither overflow (R² NaN
    # for targets near 1e160) nor vanish (a false 1.0 near 1e-170).
    # Constant targets, shifted to zeros, are scaled by their predictions'
    # magnitude, which decides between 1 and 0.
    exponents = np.where(
        is_constant, unit_exponents(shifted[1], axis=0), unit_exponents(shifted[0], axis=0)
    )
    with np.errstate(over="ignore"):
        shifted = [np.ldexp(a, -exponents) for a in shifted]
    # Predictions more than 2**1024 times the targets' magnitude overflow
    # there: their output's R² is below any float, -inf, and so is the
    # average.
    beyond = np.isinf(shifted[1]) & np.isfinite(predicted)
    if beyond.any():
        return float("-inf")
    try:
        with np.errstate(over="raise"):
            return _r2_score_of_floats(*shifted, sample_weight)
    except FloatingPointError:
        # Squares of predictions 2**512 times the targets, or weights near the
        # largest float: each sum on its own scale.
        return _r2_of_sums_on_their_scales(*shifted, sample_weight)


def _r2_score_of_floats(Y, predicted, sample_weight):
    """``r2_score(Y, predicted, sample_weight=sample_weight)`` of float64
    arrays of shape (n, k), by scikit-learn's arithmetic, bit for bit.

    Early stopping scores every epoch, and on small data scikit-learn's input
    checks cost a quarter of the epoch's training (1.3 ms against 5 ms on
    Tecator). Fewer than two samples, non-finite values and weights summing
    to zero, which scikit-learn warns about or refuses, go to it.
    """
    weight = 1.0 if sample_weight is None else np.asarray(sample_weight, np.float64)[:, None]
    total_weight = len(Y) if sample_weight is None else np.sum(weight, axis=0)
    finite = np.isfinite(Y).all() and np.isfinite(predicted).all()
    if len(Y) < 2 or not finite or not np.all(total_weight > 0):
        return float(r2_score(Y, predicted, sample_weight=sample_weight))
    mean = Y.mean(axis=0) if sample_weight is None else np.sum(Y * weight, axis=0) / total_weight
    errors = np.sum(weight * (Y - predicted) ** 2, axis=0)
    spread = np.sum(weight * (Y - mean) ** 2, axis=0)
    # scikit-learn's force_finite: a perfect output scores 1, an imperfect
    # one of constant targets 0.
    scores = np.ones(Y.shape[1])
    scored = (spread != 0) & (errors != 0)
    scores[scored] = 1 - errors[scored] / spread[scored]
    scores[(errors != 0) & (spread == 0)] = 0.0
    return float(np.mean(scores))


def _r2_of_sums_on_their_scales(Y, predicted, sample_weight):
    """scikit-learn's R² (the mean over outputs) of (n, k) arrays whose sums
    of squares overflow float64: the residuals and the weights are divided
    by powers of two, and each output's ratio multiplied back, so that its
    R² is -inf only where the true value lies below every float.

    ``Y`` is scaled below 1 (see :func:`_r2`); an output of constant targets
    scores 1 where every prediction equals them, else 0, as in scikit-learn.
    """
    weights = np.ones(len(Y)) if sample_weight is None else np.ldexp(
        sample_weight, -unit_exponents(sample_weight))
    scores = []
    for targets, residuals in zip(Y.T, (Y - predicted).T, strict=True):
        spread = np.sum(weights * (targets - np.average(targets, weights=weights)) ** 2)
        exponent = unit_exponents(residuals)
        errors = np.sum(weights * np.ldexp(residuals, -exponent) ** 2)
        if spread == 0:
            scores.append(1.0 if errors == 0 else 0.0)
            continue
        with np.errstate(over="ignore"):  # beyond every float: -inf
            scores.append(1.0 - np.ldexp(errors / spread, 2 * exponent))
    return float(np.mean(scores))
