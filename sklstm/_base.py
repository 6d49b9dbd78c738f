"""The fit loop shared by :class:`LSTMRegressor` and :class:`LSTMClassifier`.

The estimators know nothing of gate algebra: they turn inputs into the
internal form (``_validation``), targets into arrays the loss understands
(the subclasses), and hand both to one of two loops here. The stochastic
loop runs SGD or Adam on mini-batches; the scipy loop runs any gradient
method of ``scipy.optimize.minimize`` on the full batch. Both call
:func:`sklstm._loss.loss_and_grad`.

A call that raises leaves a fitted model exactly as it was: training works
on copies, and the fitted attributes are replaced only at the end.
"""

import copy
import numbers
import time
import warnings
from abc import ABCMeta, abstractmethod
from dataclasses import replace

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._inference import predict_logits
from ._loss import NetworkSpec, forward_logits, loss_and_grad, sequence_loss
from ._optimizers import (
    AdamOptimizer,
    SGDOptimizer,
    clip_gradient,
    resolve_scipy_method,
    run_scipy_minimize,
)
from ._params import ParamLayout, init_lstm_layers, init_output_layer
from ._validation import COLUMN_ORDERS, check_sequences

_STOCHASTIC_SOLVERS = ("adam", "sgd")
_LEARNING_RATES = ("constant", "invscaling", "adaptive")
_VALIDATION_SPLITS = ("tail", "shuffle", "stratified")
# A stochastic fit whose last epoch's loss exceeds its first's by this factor
# has diverged, even if every value stayed finite.
_DIVERGENCE_FACTOR = 10.0
_DIVERGENCE_ADVICE = (
    "Lower learning_rate_init, set clip_norm, or keep standardize=True and scale the targets."
)

# Shared parameter documentation, formatted into both estimators' docstrings.
PARAMETERS_DOC = """
    hidden_layer_sizes : array-like of shape (n_layers,), default=(32,)
        Units of each stacked LSTM layer, from the input upwards.

    return_sequences : bool, default=False
        If False (many-to-one), one prediction per sequence, from its last
        real step. If True (many-to-many), a prediction at every step, and
        ``y`` gives a target per step.

    peephole : bool, default=False
        Add peephole connections: the input and forget gates see the
        previous cell state, the output gate the current one (Greff et al.).

    coupled_gates : bool, default=False
        Couple the input and forget gates, ``f = 1 - i`` (CIFG).

    forget_bias : float, default=1.0
        Initial bias of the forget gate (Jozefowicz et al., 2015).

    solver : str, default="adam"
        ``"adam"`` or ``"sgd"`` train on mini-batches. ``"lbfgs"`` and any
        gradient-based method of :func:`scipy.optimize.minimize`
        (``"L-BFGS-B"``, ``"BFGS"``, ``"CG"``, ``"Newton-CG"``, ``"TNC"``,
        ``"SLSQP"``, ``"trust-constr"``, ``"trust-ncg"``, ``"trust-krylov"``)
        train on the full batch.

    alpha : float, default=1e-4
        Strength of the L2 penalty on all weights (not the biases).

    batch_size : int or "auto", default="auto"
        Mini-batch size of the stochastic solvers; ``"auto"`` is
        ``min(200, n_samples)``.

    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Learning-rate schedule of ``solver="sgd"``, as in MLPRegressor.

    learning_rate_init : float, default=1e-3
        Initial learning rate of the stochastic solvers.

    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.

    max_iter : int, default=200
        Epochs of the stochastic solvers; iterations of scipy's methods.

    shuffle : bool, default=True
        Shuffle the samples each epoch (stochastic solvers).

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling and the validation split.

    tol : float, default=1e-4
        Stochastic solvers stop when the loss (or validation loss) has not
        improved by at least ``tol`` for ``n_iter_no_change`` epochs; scipy
        methods receive it as their gradient tolerance ``gtol`` (``xtol``
        for Newton-CG, ``ftol`` for SLSQP).

    verbose : bool or int, default=False
        Print one line per epoch (or scipy iteration).

    warm_start : bool, default=False
        Continue training from the weights in ``coefs_``, ``out_coef_`` and
        ``out_intercept_``, whatever put them there, with a new optimizer
        (so the current ``learning_rate_init`` etc. apply; ``partial_fit``
        instead continues its optimizer's state).

    momentum : float, default=0.9
        Momentum of ``solver="sgd"``.

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with ``solver="sgd"``.

    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the samples, stop when the
        validation loss stops improving, and restore the best weights.
        Stochastic solvers only.

    validation_fraction : float, default=0.1
        Fraction of samples held out for early stopping.

    validation_split : {"tail", "shuffle", "stratified"}, default="tail"
        Which samples are held out: the last ones (time order kept, for
        windows cut from one series), a random subset, or a random subset
        stratified by class (classifier only).

    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's moment decay rates and numerical stabiliser.

    n_iter_no_change : int, default=10
        Epochs without improvement of at least ``tol`` before stopping.

    max_fun : int, default=15000
        Maximum loss evaluations of the scipy methods that count them
        (``L-BFGS-B``, ``TNC``).

    clip_norm : float or None, default=None
        Rescale each mini-batch gradient to at most this L2 norm, against
        exploding gradients (stochastic solvers).

    solver_options : dict or None, default=None
        Passed to ``scipy.optimize.minimize(options=...)``; overrides the
        options derived from ``tol``, ``max_iter`` and ``max_fun``
        (``max_iter`` still caps the iterations).

    standardize : bool, default=True
        Standardise each input channel with the mean and standard deviation
        of the real (unpadded) steps seen in ``fit`` (weighted by
        ``sample_weight``). scikit-learn's scalers reject 3-D input.

    n_channels : int, default=1
        Channels held by each row of 2-D ``X``. Each row of a 2-D ``X`` is one
        sequence; with several channels its columns hold equal-length blocks.

    column_order : {"time_major", "channel_major"}, default="time_major"
        Layout of the channel blocks of 2-D ``X``: ``[x0(t0), x1(t0), x0(t1),
        ...]`` or ``[x0(t0), x0(t1), ..., x1(t0), ...]``.

    newest_first : bool, default=False
        Whether the columns of 2-D ``X`` run from the newest step to the
        oldest (skforecast's ``lag_1, lag_2, ...``) instead of oldest first
        (sktime's ``make_reduction``, ``DataFrame.shift``).
"""

ATTRIBUTES_DOC = """
    coefs_ : list of dict
        One dict per LSTM layer with ``W`` (n_in, 4H), ``R`` (H, 4H), ``b``
        (4H,) and, with peepholes, ``p`` (3, H); gate blocks in the order
        i, f, g, o (i, g, o and ``p`` of shape (2, H) with coupled gates).
        ``W``, ``R`` are PyTorch's ``weight_ih_l{k}.T``, ``weight_hh_l{k}.T``.

    out_coef_ : ndarray of shape (H_last, n_outputs)
        Weights of the dense output layer.

    out_intercept_ : ndarray of shape (n_outputs,)
        Bias of the dense output layer.

    input_mean_, input_scale_ : ndarray of shape (n_channels,)
        Per-channel standardisation (zeros and ones when ``standardize=False``).

    loss_ : float
        Training loss at the end of the last epoch or iteration.

    best_loss_ : float
        Lowest training loss reached.

    loss_curve_ : list of float
        Training loss of each epoch (or scipy iteration).

    validation_loss_curve_, validation_scores_ : list of float
        Validation loss (without the L2 penalty) and score of each epoch,
        with ``early_stopping`` only.

    best_validation_loss_ : float or None
        Lowest validation loss, whose weights were restored.

    n_iter_ : int
        Epochs (or scipy iterations) run.

    t_ : int
        Training samples seen by the stochastic solvers.

    n_features_in_ : int
        Columns of 2-D ``X``, or channels of 3-D or ragged ``X``, seen in ``fit``.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` was a DataFrame with string column names.

    n_outputs_ : int
        Outputs of the dense layer.
"""


def _check_sample_weight(sample_weight, n_samples):
    if sample_weight is None:
        return None
    sw = np.asarray(sample_weight)
    if sw.ndim == 0:
        sw = np.full(n_samples, float(sw))
    if sw.shape != (n_samples,):
        raise ValueError(
            f"sample_weight.shape == {sw.shape}, expected ({n_samples},)."
        )
    if np.iscomplexobj(sw):
        raise ValueError("Complex sample_weight is not supported; weights must be real.")
    try:
        sw = sw.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"sample_weight must be numeric: {exc}") from exc
    if not np.all(np.isfinite(sw)):
        raise ValueError("sample_weight contains NaN or infinity.")
    if np.any(sw < 0):
        raise ValueError("sample_weight must be non-negative.")
    if sw.sum() <= 0:
        raise ValueError("Sample weights must sum to a positive number; all weights are zero.")
    return sw


class BaseLSTM(BaseEstimator, metaclass=ABCMeta):
    """Base class of the LSTM estimators. Use LSTMRegressor or LSTMClassifier."""

    def __init__(
        self,
        hidden_layer_sizes=(32,),
        *,
        return_sequences=False,
        peephole=False,
        coupled_gates=False,
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
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.return_sequences = return_sequences
        self.peephole = peephole
        self.coupled_gates = coupled_gates
        self.forget_bias = forget_bias
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.power_t = power_t
        self.max_iter = max_iter
        self.shuffle = shuffle
        self.random_state = random_state
        self.tol = tol
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.nesterovs_momentum = nesterovs_momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.validation_split = validation_split
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.n_iter_no_change = n_iter_no_change
        self.max_fun = max_fun
        self.clip_norm = clip_norm
        self.solver_options = solver_options
        self.standardize = standardize
        self.n_channels = n_channels
        self.column_order = column_order
        self.newest_first = newest_first

    # -- subclass hooks -------------------------------------------------------

    @abstractmethod
    def _encode_targets(self, y, sequences, *, reset, classes=None):
        """Return (Y, loss_name, extra_sample_weight or None) for the loss."""

    @abstractmethod
    def _validation_score(self, z, Y, sequences, sample_weight):
        """Score (R² or accuracy) of logits ``z`` on encoded targets ``Y``."""

    # -- parameters -----------------------------------------------------------

    def _hidden_sizes(self):
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = [sizes]
        try:
            sizes = list(sizes)
        except TypeError:
            raise TypeError(
                f"hidden_layer_sizes must be an int or a sequence of ints, got {sizes!r}."
            ) from None
        if not sizes:
            raise ValueError("hidden_layer_sizes must hold at least one layer.")
        for s in sizes:
            if not isinstance(s, numbers.Integral) or isinstance(s, bool):
                raise TypeError(f"hidden_layer_sizes must hold ints, got {s!r}.")
            if s <= 0:
                raise ValueError(f"hidden_layer_sizes must be > 0, got {sizes}.")
        return [int(s) for s in sizes]

    def _check_params(self):
        """Validate hyper-parameters; called at the start of fit and partial_fit."""

        def number(name, low=None, high=None, low_open=False, high_open=False, integer=False):
            value = getattr(self, name)
            kind = numbers.Integral if integer else numbers.Real
            if not isinstance(value, kind) or isinstance(value, bool):
                raise TypeError(
                    f"{name} must be {'an int' if integer else 'a number'}, got {value!r}."
                )
            if not np.isfinite(value):
                raise ValueError(f"{name} must be finite, got {value!r}.")
            if low is not None and (value < low or (low_open and value == low)):
                relation = ">" if low_open else ">="
                raise ValueError(f"{name} must be {relation} {low}, got {value!r}.")
            if high is not None and (value > high or (high_open and value == high)):
                relation = "<" if high_open else "<="
                raise ValueError(f"{name} must be {relation} {high}, got {value!r}.")

        def choice(name, options):
            value = getattr(self, name)
            if value not in options:
                raise ValueError(f"{name} must be one of {list(options)}, got {value!r}.")

        def flag(name):
            if not isinstance(getattr(self, name), (bool, np.bool_)):
                raise TypeError(f"{name} must be True or False, got {getattr(self, name)!r}.")

        sizes = self._hidden_sizes()
        for name in ("return_sequences", "peephole", "coupled_gates", "shuffle", "warm_start",
                     "nesterovs_momentum", "early_stopping", "standardize", "newest_first"):
            flag(name)
        number("forget_bias")
        number("alpha", 0.0)
        number("learning_rate_init", 0.0, low_open=True)
        number("power_t", 0.0)
        number("max_iter", 1, integer=True)
        number("tol", 0.0)
        number("momentum", 0.0, 1.0)
        number("validation_fraction", 0.0, 1.0, low_open=True, high_open=True)
        number("beta_1", 0.0, 1.0, high_open=True)
        number("beta_2", 0.0, 1.0, high_open=True)
        number("epsilon", 0.0, low_open=True)
        number("n_iter_no_change", 1, integer=True)
        number("max_fun", 1, integer=True)
        number("n_channels", 1, integer=True)
        if not isinstance(self.verbose, (bool, numbers.Integral)):
            raise TypeError(f"verbose must be a bool or an int, got {self.verbose!r}.")
        if self.clip_norm is not None:
            number("clip_norm", 0.0, low_open=True)
        if self.batch_size != "auto":
            number("batch_size", 1, integer=True)
        choice("learning_rate", _LEARNING_RATES)
        choice("validation_split", _VALIDATION_SPLITS)
        choice("column_order", COLUMN_ORDERS)
        if self.solver_options is not None and not isinstance(self.solver_options, dict):
            raise TypeError(f"solver_options must be a dict or None, got {self.solver_options!r}.")
        if not isinstance(self.solver, str):
            raise TypeError(f"solver must be a string, got {self.solver!r}.")
        method = None
        if self.solver not in _STOCHASTIC_SOLVERS:
            method = resolve_scipy_method(self.solver)
            if method is None:
                raise ValueError(
                    f"Unknown solver {self.solver!r}: use 'adam', 'sgd', 'lbfgs' or a "
                    "gradient-based method of scipy.optimize.minimize such as 'L-BFGS-B', "
                    "'BFGS', 'CG', 'Newton-CG', 'TNC', 'SLSQP' or 'trust-constr'."
                )
        return sizes, method

    # -- input conversion -----------------------------------------------------

    def _convert_X(self, X, *, reset):
        """Turn any input convention into standardised internal sequences."""
        seqs = check_sequences(
            X,
            n_channels=self.n_channels,
            column_order=self.column_order,
            newest_first=self.newest_first,
        )
        if reset:
            if seqs.n_columns is not None:
                validate_data(self, X, skip_check_array=True, reset=True)
            else:
                self.n_features_in_ = seqs.n_channels
                if hasattr(self, "feature_names_in_"):
                    del self.feature_names_in_
        else:
            if seqs.n_columns is not None and self._fitted_on_table:
                validate_data(self, X, skip_check_array=True, reset=False)
            if seqs.n_channels != self._n_channels_fit:
                raise ValueError(
                    f"X has {seqs.n_channels} channels, but {type(self).__name__} was "
                    f"fitted with {self._n_channels_fit} channels."
                )
        return seqs

    @staticmethod
    def _standardised(seqs, mean, scale, dtype):
        """Apply per-channel standardisation in ``dtype``; padded steps stay zero."""
        values = ((seqs.values - mean) / scale).astype(dtype, copy=False)
        if seqs.lengths is not None:
            values[~seqs.step_mask()] = 0.0
        if not np.all(np.isfinite(values)):
            raise ValueError(
                "X holds values too large to standardise in "
                f"{values.dtype}; rescale the input."
            )
        return replace(seqs, values=np.ascontiguousarray(values))

    @staticmethod
    def _channel_stats(seqs, sample_weight):
        """Weighted per-channel mean and standard deviation over real steps."""
        mask = seqs.step_mask()
        w = np.ones(seqs.n_samples) if sample_weight is None else sample_weight
        step_w = mask * w[:, None]  # (n, T)
        total = step_w.sum()
        values = seqs.values.astype(np.float64)
        # Huge inputs overflow here; the check below turns that into a clear error.
        with np.errstate(over="ignore", invalid="ignore"):
            mean = np.einsum("nt,ntc->c", step_w, values) / total
            var = np.einsum("nt,ntc->c", step_w, (values - mean) ** 2) / total
        scale = np.sqrt(var)
        scale[~(scale > 1e-12 * np.maximum(1.0, np.abs(mean)))] = 1.0  # constant channels
        if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(scale))):
            raise ValueError(
                "X holds values too large to compute its mean and variance; rescale it."
            )
        return mean, scale

    # -- fitting ----------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Fit the model to sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), \
                (n_samples, n_columns), DataFrame, or list of arrays
            Training sequences. 2-D input holds one sequence per row (see
            ``n_channels``, ``column_order``, ``newest_first``); a list may
            hold sequences of different lengths; trailing all-NaN steps of
            3-D input are padding.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or \
                (n_samples, n_timesteps[, n_outputs]) when ``return_sequences``
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sequence.

        Returns
        -------
        self : object
            The fitted estimator.
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _check_partial_fit(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for stochastic solvers ('adam', 'sgd'), "
                f"not {self.solver!r}."
            )
        return True

    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        sizes, method = self._check_params()
        reuse_weights = hasattr(self, "coefs_") and (incremental or self.warm_start)
        # Everything below writes to `staged` and a copy of self, so that an
        # error leaves the fitted model untouched.
        staged = copy.copy(self)
        seqs = staged._convert_X(X, reset=not reuse_weights)
        sample_weight = _check_sample_weight(sample_weight, seqs.n_samples)
        Y, loss_name, class_sw = staged._encode_targets(
            y, seqs, reset=not reuse_weights, classes=classes
        )
        if class_sw is not None:
            sample_weight = class_sw if sample_weight is None else sample_weight * class_sw
            if sample_weight.sum() <= 0:
                raise ValueError("The weighted samples sum to zero; check class_weight.")
        # partial_fit continues the shuffling sequence of earlier calls.
        if incremental and hasattr(self, "_rng"):
            rng = copy.deepcopy(self._rng)
        else:
            rng = check_random_state(self.random_state)
        split = None
        if method is None and self.early_stopping and not incremental:
            split = staged._split_validation(seqs.n_samples, Y, sample_weight, rng)
        if not reuse_weights:
            if self.standardize:
                # Statistics of the training part only: the validation part
                # must not inform the model it judges.
                train = slice(None) if split is None else split[0]
                staged.input_mean_, staged.input_scale_ = self._channel_stats(
                    seqs.take(train), None if sample_weight is None else sample_weight[train]
                )
            else:
                staged.input_mean_ = np.zeros(seqs.n_channels)
                staged.input_scale_ = np.ones(seqs.n_channels)
            staged._n_channels_fit = seqs.n_channels
            staged._fitted_on_table = seqs.n_columns is not None
        # A warm start keeps the model's dtype, whatever the new X's.
        dtype = self.out_coef_.dtype if reuse_weights else seqs.values.dtype
        seqs = self._standardised(seqs, staged.input_mean_, staged.input_scale_, dtype)

        n_outputs = Y.shape[-1]
        layout = ParamLayout(
            seqs.n_channels, sizes, n_outputs, peephole=self.peephole, coupled=self.coupled_gates
        )
        spec = NetworkSpec(layout, loss_name, float(self.alpha), bool(self.return_sequences))
        if reuse_weights:
            theta = layout.pack(self.coefs_, self.out_coef_, self.out_intercept_, dtype=dtype)
        else:
            layers = init_lstm_layers(
                seqs.n_channels, sizes, rng, peephole=self.peephole, coupled=self.coupled_gates,
                forget_bias=self.forget_bias, dtype=dtype,
            )
            coef, intercept = init_output_layer(sizes[-1], n_outputs, rng, dtype=dtype)
            theta = layout.pack(layers, coef, intercept, dtype=dtype)

        keep_history = reuse_weights and hasattr(self, "loss_curve_")
        staged.loss_curve_ = list(self.loss_curve_) if keep_history else []
        staged.n_iter_ = self.n_iter_ if keep_history else 0
        staged.t_ = self.t_ if keep_history else 0
        staged.best_loss_ = self.best_loss_ if keep_history else np.inf
        staged.validation_loss_curve_ = []
        staged.validation_scores_ = []
        staged.best_validation_loss_ = None

        if not incremental:
            # A new fit starts a new optimizer; only partial_fit continues one.
            staged.__dict__.pop("_optimizer", None)
            staged.__dict__.pop("_no_improvement_count", None)
        if method is None:
            theta = staged._fit_stochastic(
                theta, seqs, Y, sample_weight, spec, rng, incremental, split
            )
        else:
            theta = staged._fit_scipy(theta, seqs, Y, sample_weight, spec, method)

        layers, coef, intercept = layout.unpack(theta.astype(dtype, copy=False))
        staged.coefs_ = [{k: v.copy() for k, v in layer.items()} for layer in layers]
        staged.out_coef_ = coef.copy()
        staged.out_intercept_ = intercept.copy()
        staged.n_outputs_ = n_outputs
        staged._rng = rng
        self.__dict__.update(staged.__dict__)
        for name in ("feature_names_in_", "_optimizer", "_no_improvement_count"):
            if name not in staged.__dict__:
                self.__dict__.pop(name, None)
        return self

    def _split_validation(self, n, Y, sample_weight, rng):
        """Indices ``(train, val)`` of the early-stopping split of ``n`` samples."""
        n_val = int(np.ceil(self.validation_fraction * n))
        if n < 2 or n_val >= n:
            raise ValueError(
                f"early_stopping needs at least one training and one validation sample: "
                f"{n} samples with validation_fraction={self.validation_fraction}."
            )
        indices = np.arange(n)
        if self.validation_split == "tail":
            train, val = indices[: n - n_val], indices[n - n_val :]
        else:
            stratify = None
            if self.validation_split == "stratified":
                stratify = self._stratify_labels(Y)
            train, val = train_test_split(
                indices, test_size=n_val, random_state=rng, stratify=stratify
            )
        sw = sample_weight
        if sw is not None:
            for part, idx in (("training", train), ("validation", val)):
                if not sw[idx].sum() > 0:
                    raise ValueError(
                        f"early_stopping: the samples of the {part} part all have zero "
                        f"weight (validation_split={self.validation_split!r}, "
                        f"validation_fraction={self.validation_fraction}); give them "
                        "positive sample_weight or change the split."
                    )
        return train, val

    def _stratify_labels(self, Y):
        raise ValueError("validation_split='stratified' is only available for classifiers.")

    def _print(self, msg):
        if self.verbose:
            print(msg, flush=True)

    def _fit_stochastic(self, theta, seqs, Y, sample_weight, spec, rng, incremental, split):
        n_params = theta.size
        dtype = theta.dtype
        early_stopping = split is not None
        if early_stopping:
            train, val = split
            sw = sample_weight
            val_seqs, val_Y, val_sw = seqs.take(val), Y[val], None if sw is None else sw[val]
            seqs, Y, sample_weight = seqs.take(train), Y[train], None if sw is None else sw[train]
        n = seqs.n_samples
        batch_size = min(200, n) if self.batch_size == "auto" else min(self.batch_size, n)

        # Only partial_fit continues the optimizer's state (moments, velocity,
        # learning rate). A warm-started fit starts a new optimizer, so that
        # the current learning_rate_init, momentum, etc. apply, as in sklearn.
        optimizer = getattr(self, "_optimizer", None)
        reuse_optimizer = (
            optimizer is not None
            and incremental
            and optimizer.__class__ is (AdamOptimizer if self.solver == "adam" else SGDOptimizer)
            and optimizer.n_params == n_params
        )
        if reuse_optimizer:
            optimizer = copy.deepcopy(optimizer)
        elif self.solver == "adam":
            optimizer = AdamOptimizer(
                n_params, self.learning_rate_init, self.beta_1, self.beta_2, self.epsilon, dtype
            )
        else:
            optimizer = SGDOptimizer(
                n_params, self.learning_rate_init, self.learning_rate, self.momentum,
                self.nesterovs_momentum, self.power_t, dtype,
            )

        no_improvement = getattr(self, "_no_improvement_count", 0) if incremental else 0
        best_theta = None
        first_epoch = len(self.loss_curve_)  # index of this call's first epoch
        start = time.perf_counter()
        epochs = 1 if incremental else self.max_iter
        for epoch in range(epochs):
            order = rng.permutation(n) if self.shuffle else np.arange(n)
            # What to go back to if this epoch diverges: weights and optimizer state.
            last_finite = theta.copy()
            last_optimizer = copy.deepcopy(optimizer)
            total_loss, total_weight = 0.0, 0.0
            diverged = False
            # Overflow is expected when training diverges; it is detected below
            # and reported once, as an error or a ConvergenceWarning.
            with np.errstate(over="ignore", invalid="ignore"):
                for begin in range(0, n, batch_size):
                    idx = order[begin : begin + batch_size]
                    if not self.shuffle:
                        idx = slice(begin, begin + batch_size)
                    batch = seqs.take(idx)
                    sw = None if sample_weight is None else sample_weight[idx]
                    weight = float(batch.n_samples if sw is None else sw.sum())
                    if weight <= 0:
                        continue  # only zero-weight samples: nothing to learn from
                    loss, grad = loss_and_grad(
                        theta, batch.values, Y[idx], batch.lengths, sw, spec
                    )
                    if not (np.isfinite(loss) and np.all(np.isfinite(grad))):
                        diverged = True
                        break
                    clip_gradient(grad, self.clip_norm)
                    optimizer.update_params(theta, grad)
                    total_loss += loss * weight
                    total_weight += weight
            if diverged or not np.all(np.isfinite(theta)):
                diverged = True
                theta, optimizer = last_finite, last_optimizer
                self._handle_divergence(epoch)
                break
            self.n_iter_ += 1
            self.t_ += n
            epoch_loss = total_loss / total_weight
            self.loss_ = epoch_loss
            self.loss_curve_.append(epoch_loss)
            optimizer.iteration_ends(self.t_)
            line = f"Iteration {self.n_iter_}, loss = {epoch_loss:.8f}"

            if early_stopping:
                with np.errstate(over="ignore", invalid="ignore"):
                    z, _, _ = forward_logits(theta, val_seqs.values, val_seqs.lengths, spec)
                    val_loss = sequence_loss(z, val_Y, val_seqs.lengths, val_sw, spec)
                    self.validation_loss_curve_.append(val_loss)
                    self.validation_scores_.append(
                        self._validation_score(z, val_Y, val_seqs, val_sw)
                    )
                line += f", validation loss = {val_loss:.8f}"
                best = self.best_validation_loss_
                if best is None or val_loss < best - self.tol:
                    no_improvement = 0
                else:
                    no_improvement += 1
                if best is None or val_loss < best:
                    self.best_validation_loss_ = val_loss
                    best_theta = theta.copy()
            else:
                if epoch_loss > self.best_loss_ - self.tol:
                    no_improvement += 1
                else:
                    no_improvement = 0
            self.best_loss_ = min(self.best_loss_, epoch_loss)
            self._print(line + f", elapsed {time.perf_counter() - start:.2f} s")

            if no_improvement > self.n_iter_no_change:
                what = "Validation loss" if early_stopping else "Training loss"
                msg = (
                    f"{what} did not improve more than tol={self.tol} for "
                    f"{self.n_iter_no_change} consecutive epochs."
                )
                if optimizer.trigger_stopping(msg, self.verbose):
                    break
                no_improvement = 0
            if not incremental and epoch == self.max_iter - 1:
                warnings.warn(
                    f"Stochastic optimizer: maximum iterations ({self.max_iter}) reached "
                    "and the optimization hasn't converged yet.",
                    ConvergenceWarning,
                )
        # The loss can explode without overflowing (the hidden state is bounded,
        # only the output layer grows) and then stop "improving": without this
        # warning such a run would end as if it had converged. The reference
        # includes earlier warm-started fits, whose first losses are the
        # largest: a warm start from a near-perfect fit may wobble without
        # diverging.
        curve = self.loss_curve_
        if not diverged and len(curve) > first_epoch + 1:
            reference = max(curve[: first_epoch + 1])
            if curve[-1] > _DIVERGENCE_FACTOR * reference:
                warnings.warn(
                    f"Training diverged: the training loss rose from {reference:.4g} to "
                    f"{curve[-1]:.4g} in the last epoch. {_DIVERGENCE_ADVICE}",
                    ConvergenceWarning,
                )
        if best_theta is not None:
            theta = best_theta
        self._optimizer = optimizer
        self._no_improvement_count = no_improvement
        return theta

    def _handle_divergence(self, epoch):
        advice = _DIVERGENCE_ADVICE
        if epoch == 0:
            raise ValueError(
                f"Training diverged: the loss or the weights became non-finite in the "
                f"first epoch of this call. The model was left unchanged. {advice}"
            )
        warnings.warn(
            f"Training diverged in epoch {self.n_iter_ + 1}: the loss or the weights became "
            f"non-finite. Stopped and kept the weights of epoch {self.n_iter_}. {advice}",
            ConvergenceWarning,
        )

    def _fit_scipy(self, theta, seqs, Y, sample_weight, spec, method):
        start = time.perf_counter()

        def fun(th):
            return loss_and_grad(th, seqs.values, Y, seqs.lengths, sample_weight, spec)

        def on_iteration(n_iter, loss):
            self._print(
                f"Iteration {self.n_iter_ + n_iter}, loss = {loss:.8f}, "
                f"elapsed {time.perf_counter() - start:.2f} s"
            )

        # Overflow is reported once, as the errors below. Line searches may also
        # try steps whose loss overflows; the methods back off from them.
        with np.errstate(over="ignore", invalid="ignore"):
            loss0, grad0 = fun(theta)
            if not (np.isfinite(loss0) and np.all(np.isfinite(grad0))):
                raise ValueError(
                    "The loss is non-finite at the initial weights; rescale the inputs or "
                    "targets. The model was left unchanged."
                )
            result, info = run_scipy_minimize(
                fun, theta, method, max_iter=self.max_iter, tol=self.tol, max_fun=self.max_fun,
                options=self.solver_options, on_iteration=on_iteration,
            )
        if not (np.all(np.isfinite(result)) and np.isfinite(info["loss"])):
            raise ValueError(
                f"scipy.optimize.minimize(method={method!r}) produced non-finite weights "
                "or loss. The model was left unchanged; rescale the inputs or targets."
            )
        if not info["success"]:
            warnings.warn(
                f"{method} did not converge: {info['message']} "
                "Increase max_iter or scale the data.",
                ConvergenceWarning,
            )
        self.n_iter_ += max(info["n_iter"], 1)
        self.loss_curve_.extend(info["loss_curve"] or [info["loss"]])
        self.loss_ = float(info["loss"])
        self.best_loss_ = min([self.best_loss_, *self.loss_curve_, self.loss_])
        return result.astype(theta.dtype)

    # -- prediction -------------------------------------------------------------

    def _per_step_output(self, values, seqs):
        """Per-step outputs as the user laid X out: NaN at padded steps,
        steps in X's column order. Many-to-one outputs pass through."""
        if not self.return_sequences:
            return values
        if seqs.lengths is not None:
            values = values.copy()  # floating already; keep float32 float32
            values[~seqs.step_mask()] = np.nan
        return seqs.reorder_steps(values)

    def _logits(self, X):
        """Return (z, sequences) for new X, with the fitted standardisation."""
        check_is_fitted(self, "coefs_")
        dtype = self.out_coef_.dtype
        seqs = self._convert_X(X, reset=False)
        seqs = self._standardised(seqs, self.input_mean_, self.input_scale_, dtype)
        layout = ParamLayout(
            seqs.n_channels, [layer["R"].shape[0] for layer in self.coefs_], self.n_outputs_,
            peephole=self.peephole, coupled=self.coupled_gates,
        )
        theta = layout.pack(self.coefs_, self.out_coef_, self.out_intercept_, dtype=dtype)
        spec = NetworkSpec(layout, "squared_error", 0.0, bool(self.return_sequences))
        z = predict_logits(theta, seqs.values, seqs.lengths, spec)
        if not np.all(np.isfinite(z)):
            raise ValueError(
                "The network produced non-finite outputs for this X; its weights or "
                "inputs are too large."
            )
        return z, seqs

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        return tags
