"""The estimator base shared by :class:`LSTMRegressor` and :class:`LSTMClassifier`.

The estimators know nothing of gate algebra: they turn inputs into the
internal form (``_validation``), targets into arrays the loss understands
(the subclasses), and hand both to one of the two loops of ``_training``.

A call that raises leaves a fitted model exactly as it was: ``fit`` builds a
complete set of fitted attributes aside, and :meth:`BaseLSTM._commit`
replaces all previously fitted state with it in one step.
"""

import copy
import numbers
from contextlib import contextmanager
from abc import ABCMeta, abstractmethod
from collections.abc import Mapping
from dataclasses import replace
from functools import partial

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator
from sklearn.model_selection import train_test_split
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._checks import (
    arrays_fit_in_memory, check_positive_int, python_scalar, quoted, underflow_is_zero,
)
from ._fitted_state import (
    check_before_saving, check_head, check_input_statistics, check_layer_arrays,
    check_layer_shapes, load_refusal, load_staged, reads_one_state, replace_state,
    rng_from_saved, saved_rng, scratch_copy, with_class_name,
)
from ._inference import chunk_slices, in_chunks
from ._loss import Network, Objective
from ._lstm import GateInputOverflow
from ._optimizers import check_optimizer_state, resolve_scipy_method, scipy_options
from ._param_validation import missing_parameter_defaults, validate_params
from ._parameters import PARAMETER_CONSTRAINTS, PARAMETER_HINTS
from ._params import (
    ParamLayout, check_cell, init_lstm_layers, init_output_layer, recurrent_only_settings,
)
from ._scaling import mean_and_scale
from ._patching import auto_patch_length, fold_steps, folds_to_a_view, n_patches
from ._training import (
    AUTO_BATCH_SIZE, TrainingData, TrainingRecord, batch_size_of, fit_scipy, fit_stochastic,
)
from ._validation import (
    check_channel_names, check_column_order, check_sequences, is_list_of_sequences, label_text,
    refuse_long_panel, transposed_list_hint,
)
from ._warnings import warn
from ._weights import check_sample_weight
from .exceptions import NoRecurrenceWarning

_STOCHASTIC_SOLVERS = ("adam", "sgd")
# The fewest samples early_stopping="auto" holds out to choose the kept epoch by.
_AUTO_MIN_VALIDATION = 10
# MiB of the float64 temporaries of one chunk of standardised sequences.
_STANDARDISE_CHUNK_MIB = 1


def _private_rng(random_state):
    """The fit's own generator, never the caller's object.

    An int seeds a new RandomState, as ``check_random_state`` does. A
    RandomState (or None: NumPy's global one) seeds it with one draw: later
    draws by the caller never reach the fitted model (which keeps it for
    ``partial_fit``), while successive fits, also in threads, still differ.
    """
    if random_state is None or isinstance(random_state, np.random.RandomState):
        seed = check_random_state(random_state).randint(np.iinfo(np.int32).max)
        return np.random.RandomState(seed)
    return check_random_state(random_state)


@contextmanager
def _generator_kept_on_failure(random_state):
    """Put the RandomState that ``random_state`` draws from (NumPy's global
    one for None) back as it was if the fit fails: its draw
    (:func:`_private_rng`) belongs to a fit that was not made, and a failed
    fit changes nothing (the next one starts where this one would have).
    Only if this fit's draw is the generator's last: where another fit, in
    another thread, drew from it since, putting it back would hand that
    fit's seed to the next one."""
    if random_state is None:
        random_state = check_random_state(None)  # the global generator itself
    if not isinstance(random_state, np.random.RandomState):
        yield
        return
    state = random_state.get_state()
    try:
        yield
    except BaseException:
        after_one_draw = np.random.RandomState()
        after_one_draw.set_state(state)
        _private_rng(after_one_draw)
        if any(_same_generator_state(random_state.get_state(), drawn)
               for drawn in (state, after_one_draw.get_state())):
            random_state.set_state(state)
        raise


def _same_generator_state(state, other):
    """Whether two ``RandomState.get_state()`` tuples are equal."""
    return all(np.array_equal(a, b) for a, b in zip(state, other))


def _made_from(seqs, X):
    """Whether ``seqs.values`` is a copy that reading ``X`` made, which
    nothing else holds: the padded array of a list, or an array that shares
    no memory with X's (padding, a transposition or reordered columns).
    Other containers may lend their memory (a DataFrame's blocks, an object
    exporting ``__array__``): not known to be copies."""
    if seqs.from_list:
        return True
    return isinstance(X, np.ndarray) and not np.may_share_memory(seqs.values, X)


class _ColumnsSeen(BaseEstimator):
    """Where scikit-learn records what it reads of a table's columns (their
    count, and their names if it takes them as names), apart from any model."""


def _check_columns(estimator, X, *, reset):
    """scikit-learn's record (``reset``) or check of a table's column count
    and names, its errors raised from here with its own words: the
    messages name the columns, and check_estimator expects them.

    Names on one side only (X's or fit's) warn in scikit-learn's words, but
    through :func:`sklstm._warnings.warn`, at the user's call: scikit-learn's
    own warning points inside scikit-learn."""
    try:
        if not reset:
            seen = _ColumnsSeen()
            validate_data(seen, X, skip_check_array=True, reset=True)
            named = hasattr(seen, "feature_names_in_")
            if named != hasattr(estimator, "feature_names_in_"):
                name = type(estimator).__name__
                warn(f"X has feature names, but {name} was fitted without feature names"
                     if named else
                     f"X does not have valid feature names, but {name} was fitted with "
                     "feature names", UserWarning)
                if seen.n_features_in_ != estimator.n_features_in_:
                    raise ValueError(
                        f"X has {seen.n_features_in_} features, but {name} is expecting "
                        f"{estimator.n_features_in_} features as input.")
                return
        validate_data(estimator, X, skip_check_array=True, reset=reset)
    except (TypeError, ValueError) as error:
        raise type(error)(str(error)) from None


def refit_advice(changed):
    """How to fit anew with parameters ``changed`` ("it", "them") that a
    continued call refused: partial_fit always continues, and fit does under
    warm_start, so only fit with warm_start=False starts anew."""
    return f"fit anew (fit, with warm_start=False) to change {changed}"


def _named_overflow(error, mean, scale):
    """The core's GateInputOverflow in the estimators' terms: its layers as
    the ``coefs_`` entries they are, its input as X, standardised where the
    statistics ``mean`` and ``scale`` change it (an encoder-decoder's is
    named already, and stays so)."""
    as_given = not np.any(mean) and np.all(np.asarray(scale) == 1)  # standardize=False
    return error.renamed(lambda index: f"coefs_[{index}]",
                         "X" if as_given else "X (standardised)")


def table_layout(n_channels, n_exog, n_fitted_channels, fitted_on_table, n_columns):
    """``(n_channels, n_exog)`` with which a fitted model reads a 2-D table of
    ``n_columns`` columns (None: unknown), given its parameters ``n_channels``
    and ``n_exog``.

    A model fitted on sequences (3-D or lists) of ``n_fitted_channels``
    channels reads a table of exactly that many columns as sequences of one
    step, one column per channel, its exogenous channels among them: no
    other reading of such a table fits it. (MAPIE, for one, probes fitted
    models with ``predict(np.zeros((1, n_features_in_)))``.) Any other table
    is read as the parameters say.
    """
    if fitted_on_table or n_columns != n_fitted_channels:
        return n_channels, n_exog
    return n_fitted_channels, 0


class BaseLSTM(BaseEstimator, metaclass=ABCMeta):
    """Base class of the LSTM estimators. Use LSTMRegressor or LSTMClassifier."""

    # What patch_length="auto" aims at (sklstm._patching.auto_patch_length):
    # patches of about 64 values, chosen by cross-validation on training data
    # for both estimators (benchmarks/bench_realdata.py, bench_forecasting.py).
    _auto_patch_aim = "width"
    # What batch_size="auto" is (sklstm._training).
    _auto_batch_size = AUTO_BATCH_SIZE
    # Whether the head's one logit is a binary classifier's (LSTMClassifier).
    _binary_head = False
    # What a NaN in X is told, for a model that reads no padding (None: a
    # trailing all-NaN step is padding, see sklstm._validation).
    _nan_advice = None

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
    ):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.return_sequences = return_sequences
        self.patch_length = patch_length
        self.peephole = peephole
        self.coupled_gates = coupled_gates
        self.gate_variant = gate_variant
        self.bidirectional = bidirectional
        self.dropout = dropout
        self.recurrent_dropout = recurrent_dropout
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
        self.n_exog = n_exog
        self.data_format = data_format

    _parameter_constraints = PARAMETER_CONSTRAINTS
    # Fitted state is every attribute whose name ends with "_" (as in
    # sklearn's check_is_fitted) and these private ones. _commit refuses any
    # other name, so a new private attribute cannot be forgotten silently.
    _private_fitted = (
        "_rng", "_optimizer", "_no_improvement_count", "_fitted_on_table",
        "_fitted_architecture", "_patch_alignment", "_column_labels", "_trained_lstm_steps",
    )
    # Parameters that shape the network, and those that say how it reads X
    # (the layout of its steps and channels). The fitted model keeps their
    # values: predict, warm starts and partial_fit refuse to run with others.
    _ARCHITECTURE_PARAMS = (
        "hidden_layer_sizes", "return_sequences", "patch_length", "peephole", "coupled_gates",
        "gate_variant", "bidirectional",
        "n_channels", "column_order", "newest_first", "n_exog", "data_format",
    )
    # What a loaded state must hold to predict (see __setstate__).
    _required_fitted = (
        "coefs_", "out_coef_", "out_intercept_", "input_mean_", "input_scale_",
        "n_features_in_", "n_outputs_", "patch_length_", "_patch_alignment",
    )
    # What reproduces, for a model saved before a name existed, the behaviour
    # it was fitted with (where that name's default would change it).
    # Patches were aligned to each sequence's start until they were aligned
    # to its end (sklstm._patching.fold_steps).
    # The most LSTM steps a training sequence made (None: unknown) was not kept
    # either.
    _LEGACY_FITTED_STATE = {"patch_length": 1, "patch_length_": 1, "_patch_alignment": "start",
                            "_trained_lstm_steps": None}

    # -- subclass hooks -------------------------------------------------------

    @abstractmethod
    def _encode_targets(self, y, sequences, *, reset, classes=None, sample_weight=None,
                        warm_start=False):
        """Return ``(Y, loss_name, extra_sample_weight or None, target_state)``.

        ``target_state`` is a dict of the fitted attributes that describe the
        targets: those a continuation keeps (classes) when ``reset`` only,
        the output shape of ``predict`` on every call.
        ``sample_weight`` (checked, or None) is what class weights that
        count the classes count them by. ``warm_start``: whether this is a
        warm-started ``fit`` (not ``partial_fit``, whose batches may hold
        some classes only).
        """

    @abstractmethod
    def _validation_score(self, z, Y, sequences, sample_weight):
        """Score (R² or accuracy) of logits ``z`` on encoded targets ``Y``."""

    def _objective(self, loss_name):
        """The training objective for the loss ``_encode_targets`` named."""
        return Objective(loss_name, float(self.alpha))

    def _scaled_targets(self, Y, seqs, sample_weight, split, *, reset):
        """Return ``(Y as the loss sees it, target scaling state)``.

        Regressors standardise their targets here; other estimators keep them.
        """
        return Y, {}

    def _constant_logits(self, Y, seqs, sample_weight, split, fitted):
        """Head logits whose optimum is known before training: an array of
        shape (n_head_logits,), NaN where training decides, or None for all.

        ``Y`` are the encoded targets before scaling, ``fitted`` the fitted
        state so far (with what :meth:`_scaled_targets` fitted). A fit sets
        the head's weights into these logits to zero, and their intercepts
        to these values.
        """
        return None

    # -- parameters -----------------------------------------------------------

    def _hidden_sizes(self):
        """``hidden_layer_sizes`` checked, as a list of Python ints."""
        name = "hidden_layer_sizes"
        sizes = self.hidden_layer_sizes
        if isinstance(sizes, numbers.Integral) and not isinstance(sizes, bool):
            sizes = [sizes]
        if isinstance(sizes, (set, frozenset, Mapping, str)) or (
            hasattr(sizes, "__next__") and iter(sizes) is sizes
        ):
            # A set has no order of layers, a dict's are its keys; an iterator
            # would be empty the next time it is read.
            raise TypeError(
                f"{name} must be an int or a list or tuple of ints, one per "
                f"layer from the input upwards; got a {type(sizes).__name__}."
            )
        try:
            sizes = list(sizes)
        except TypeError:
            raise TypeError(
                f"{name} must be an int or a sequence of ints, got {sizes!r}."
            ) from None
        if not sizes:
            raise ValueError(f"{name} must hold at least one layer.")
        for s in sizes:
            if not isinstance(s, numbers.Integral) or isinstance(s, bool):
                raise TypeError(f"{name} must hold ints, got {s!r}.")
            if s <= 0:
                raise ValueError(f"{name} must be > 0, got {quoted(self.hidden_layer_sizes)}.")
            # A layer's recurrent weights hold 4 * s**2 numbers: NumPy indexes intp.
            if 4 * int(s) ** 2 > np.iinfo(np.intp).max:
                raise ValueError(
                    f"{name} holds {quoted(s)}: a layer's weights would hold more "
                    "numbers than NumPy can index."
                )
        return [int(s) for s in sizes]

    def _check_params(self):
        """Validate hyper-parameters; return ``(hidden sizes, scipy method or None)``.

        Every refusal names the estimator first, as scikit-learn's checks
        of parameters do, whichever module's rule it is (the core's cells,
        scipy's methods).
        """
        owner = f"{type(self).__name__}: "
        try:
            return self._checked_params()
        except (TypeError, ValueError) as exc:
            if str(exc).startswith(owner):
                raise
            raise type(exc)(owner + str(exc)) from None

    def _training_settings(self):
        """A copy of this estimator whose parameters hold Python numbers where
        NumPy scalars were given: what training reads (its ``settings``).
        NumPy keeps a scalar's own dtype against Python numbers, so an int8
        cap of 127 plus one wrapped around, and a float16 ``beta_2`` computed
        Adam's bias correction in float16."""
        settings = scratch_copy(self)
        for name, value in self.get_params(deep=False).items():
            setattr(settings, name, python_scalar(value))
        return settings

    def _checked_params(self):
        """:meth:`_check_params` without the estimator's name in its errors."""
        validate_params(self.get_params(deep=False), self._parameter_constraints,
                        type(self).__name__, PARAMETER_HINTS)
        sizes = self._hidden_sizes()
        method = None
        if self.solver not in _STOCHASTIC_SOLVERS:
            method = resolve_scipy_method(self.solver)
            if method is None:
                # scipy's methods match in any case; the stochastic solvers' names
                # are scikit-learn's, exact as MLPRegressor's are.
                hint = (f" The stochastic solvers are named in lower case: solver="
                        f"{self.solver.lower()!r}." if self.solver.lower() in
                        _STOCHASTIC_SOLVERS else "")
                raise ValueError(
                    f"unknown solver {self.solver!r}: use 'adam', 'sgd', 'lbfgs' or a "
                    "gradient-based method of scipy.optimize.minimize such as 'L-BFGS-B', "
                    f"'BFGS', 'CG', 'Newton-CG', 'TNC', 'SLSQP' or 'trust-constr'.{hint}"
                )
            # The method's options by its rules, with the other parameters and
            # before the data is read (fit hands them to scipy later).
            settings = self._training_settings()
            scipy_options(method, max_iter=settings.max_iter, tol=settings.tol,
                          max_fun=settings.max_fun, options=settings.solver_options)
            for name in ("dropout", "recurrent_dropout"):
                if getattr(self, name) > 0:
                    raise ValueError(
                        f"{name}={getattr(self, name)!r} needs a stochastic solver ('adam' or "
                        f"'sgd'): solver={self.solver!r} needs a deterministic loss. Set "
                        f"{name}=0 or use solver='adam'."
                    )
        elif self.solver_options:
            # Adam and SGD take their settings from the estimator's parameters:
            # options given to them would be ignored, misspelt or not.
            raise ValueError(
                f"solver_options={quoted(self.solver_options)} needs a scipy solver: "
                f"solver={self.solver!r} takes its settings from the estimator's own "
                "parameters (learning_rate_init, max_iter, tol, ...), not from scipy's options. "
                "Set solver_options=None or use a scipy solver such as solver='lbfgs'; to "
                "search over both kinds, give a list of grids, e.g. [{'solver': ['adam']}, "
                "{'solver': ['lbfgs'], 'solver_options': [...]}]."
            )
        if self.return_sequences and self.patch_length not in ("auto", 1):
            raise ValueError(
                f"patch_length={self.patch_length!r} cannot be combined with "
                "return_sequences=True: a prediction per step needs the LSTM to read "
                "every step on its own. Use patch_length=1 (or 'auto')."
            )
        if (self.data_format == "channels_first" and self.n_channels > 1
                and self.column_order == "time_major"):
            # data_format orders the axes of 3-D arrays and lists, not a
            # table's columns: tables would be read time-major without a word
            # (sktime's flattened panels hold each channel's steps in turn).
            raise ValueError(
                f"data_format='channels_first' with n_channels={self.n_channels} and "
                "column_order='time_major': data_format orders the axes of 3-D arrays and "
                "of the items of a list, while tables are read by n_channels and "
                "column_order, here in time-major blocks [x0(t0), x1(t0), x0(t1), ...]. "
                "For tables holding each channel's steps one block after another (sktime's "
                "flattened panels, channels first), pass column_order='channel_major'; "
                "for time-major tables, leave data_format at None and pass 3-D arrays "
                "channels last."
            )
        check_cell(self.gate_variant, self.coupled_gates, "coupled_gates")
        return sizes, method

    # -- input conversion -----------------------------------------------------

    def _convert_X(self, X, *, reset):
        """Turn any input convention into internal sequences.

        Returns ``(sequences, input_state)``: with ``reset``, ``input_state``
        holds ``n_features_in_`` (and ``feature_names_in_``) of ``X``; else X
        is checked against the fitted ones and ``input_state`` is empty.
        """
        n_channels, n_exog = self._declared_layout() if reset else self._table_layout(X)
        seqs = check_sequences(
            X,
            n_channels=n_channels,
            column_order=self.column_order,
            newest_first=self.newest_first,
            n_exog=n_exog,
            data_format=self.data_format,
            check_table=(
                partial(_check_columns, self, reset=False)
                if not reset and self._fitted_on_table else None
            ),
            fitting=reset,
            nan_advice=self._nan_advice,
            fitted_channels=None if reset else self.input_mean_.size,
        )
        if reset:
            return seqs, self._input_state(X, seqs)
        # Names first: their error names them. A table of one column per
        # channel (one step) named the channels too: a list of frames must
        # match them, and unnamed sequences warn, as scikit-learn warns for
        # unnamed tables (a table's own columns were checked by check_table).
        one_column_per_channel = self.n_features_in_ == self.input_mean_.size
        if not self._fitted_on_table or (one_column_per_channel and seqs.n_columns is None):
            check_channel_names(getattr(self, "feature_names_in_", None), seqs,
                                type(self).__name__)
        check_column_order(vars(self).get("_column_labels"), seqs,
                           n_exog if self._fitted_on_table else 0)
        n_fitted = self.input_mean_.size
        if seqs.n_channels != n_fitted:
            table = seqs.n_columns is not None  # read as a table (not a frame of series)
            # The other axis of a 3-D array holds as many as fit saw.
            other_axis = 2 if self.data_format == "channels_first" else 1
            transposed = (isinstance(X, np.ndarray) and X.ndim == 3
                          and X.shape[other_axis] == n_fitted)
            items_transposed = ""
            if seqs.from_list and not seqs.channels_are_columns:
                n_steps = {seqs.values.shape[1]} if seqs.lengths is None else set(seqs.lengths)
                items_transposed = transposed_list_hint(n_steps, {seqs.n_channels}, n_fitted, "X")
            shape = (f"(n_samples, {n_fitted}, n_timesteps)"
                     if self.data_format == "channels_first"
                     else f"(n_samples, n_timesteps, {n_fitted})")
            raise ValueError(
                f"X has {seqs.n_channels} channels, but {type(self).__name__} was "
                f"fitted with {n_fitted} channels."
                + (f" A 2-D X of {X.shape[1]} columns is read as steps of "
                   f"n_channels={n_channels} channel(s) (n_channels is fixed at fit); pass "
                   f"3-D X of shape {shape} instead."
                   if table and not self._fitted_on_table else "")
                + (f" Its axis {other_axis} holds {n_fitted}: if its axes are the other way "
                   "round (sktime's numpy3D is (n_instances, n_channels, n_timepoints)), pass "
                   "X.transpose(0, 2, 1): the model reads the axes as fit did "
                   f"(data_format={self.data_format!r})." if transposed else "")
                + items_transposed
            )
        return seqs, {}

    def _input_state(self, X, seqs):
        """``n_features_in_`` and ``feature_names_in_`` of the X seen in fit."""
        state = {"n_features_in_": seqs.n_channels, "_fitted_on_table": False,
                 "_column_labels": seqs.column_labels}
        if seqs.channel_names is not None:
            state["feature_names_in_"] = np.asarray(seqs.channel_names, dtype=object)
        if seqs.n_columns is not None:
            # validate_data records the columns (and their names) on the
            # estimator it gets: give it a scratch copy, not self.
            probe = scratch_copy(self)
            _check_columns(probe, X, reset=True)
            state["n_features_in_"] = probe.n_features_in_
            state["_fitted_on_table"] = True
            if "feature_names_in_" in vars(probe):
                state["feature_names_in_"] = probe.feature_names_in_
        return state

    def _table_layout(self, X):
        """``(n_channels, n_exog)`` with which a fitted model reads a 2-D ``X``
        (see :func:`table_layout`); its parameters for other input. A model
        fitted on tables reads them so whatever X is, and does not inspect
        X here (``np.ndim`` would call into array-likes that refuse it)."""
        if self._fitted_on_table or is_list_of_sequences(X):
            return self._declared_layout()
        try:
            n_dims = np.ndim(X)
        except MemoryError:
            raise
        except Exception:  # an array-like refusing: check_sequences names it
            n_dims = None
        if n_dims != 2:
            return self._declared_layout()
        return table_layout(*self._declared_layout(), self.input_mean_.size,
                            self._fitted_on_table, np.shape(X)[1])

    def _declared_layout(self):
        """``(n_channels, n_exog)`` as Python ints: a NumPy uint8 or int8 of
        the parameters (validated) overflowed in the table's arithmetic."""
        return int(self.n_channels), int(self.n_exog)

    @staticmethod
    def _standardised(seqs, mean, scale, dtype, *, overwrite=False, held_out=None):
        """Apply per-channel standardisation in ``dtype``; padded steps stay zero.

        ``(X - mean) / scale`` in NumPy's dtype for the three (float64 for
        fitted statistics), rounded once to ``dtype``: in place where both
        are float64, else a chunk of sequences at a time. Temporaries of
        the whole X took twice its size (four times a float32 X's) beyond
        the result. ``overwrite``: whether ``seqs.values`` may hold the
        result, where it has ``dtype`` (a copy of X that nothing else
        reads), instead of a new array of X's size. ``held_out``: the
        indices of the sequences early stopping holds out, whose values the
        statistics of the others may not reach, for the message.
        """
        if overwrite and seqs.values.dtype == dtype:
            values = seqs.values
        else:
            values = np.empty(seqs.values.shape, dtype=dtype)
        with np.errstate(over="ignore"):  # reported below, with the value's place
            if values.dtype == np.result_type(seqs.values, mean, scale) == np.float64:
                np.subtract(seqs.values, mean, out=values)
                values /= scale
            else:
                row_bytes = 8 * seqs.values[0].size
                for rows in chunk_slices(len(values), row_bytes, _STANDARDISE_CHUNK_MIB):
                    chunk = seqs.values[rows] - mean
                    chunk /= scale
                    values[rows] = chunk
        seqs.fill_padding(values, 0.0)
        if not np.all(np.isfinite(values)):
            # Steps counted as X lays them out (newest first if so).
            s, t, c = np.argwhere(seqs.reorder_steps(~np.isfinite(values)))[0]
            held = held_out is not None and np.any(held_out == s)
            raise ValueError(
                f"X holds a value too large to standardise in {values.dtype}, in sequence "
                f"{s} (step {t}, channel {c}); "
                + ("it is held out by early stopping, far outside the statistics of the "
                   "training part that standardise the input (rescaling X moves both alike): "
                   "set early_stopping=False to train on every sample." if held
                   else "rescale the input.")
            )
        return replace(seqs, values=np.ascontiguousarray(values))

    def _warn_of_settings_without_recurrence(self, lstm_steps, patch_length, continuing=False):
        """Warn (NoRecurrenceWarning) of settings that need a recurrence to
        act on when every training sequence is one LSTM step (``lstm_steps``,
        the most a training sequence makes in patches of ``patch_length``,
        over every fit a ``continuing`` one continues: it names only
        ``recurrent_dropout``, which the fit it continues may not have had)."""
        if lstm_steps != 1:
            return
        bidirectional = self.bidirectional and not continuing
        inert = [] if continuing else recurrent_only_settings(
            self.gate_variant, self.coupled_gates, "coupled_gates")
        if self.recurrent_dropout:
            inert.insert(0, f"recurrent_dropout={float(self.recurrent_dropout)!r}")
        named = (["bidirectional=True"] if bidirectional else []) + inert
        if not named:
            return
        if patch_length > 1:
            read = f"patch_length_={patch_length} reads each as one patch"
            advice = ("Refit with patch_length=1, or a shorter patch (a warm start or "
                      "partial_fit keeps patch_length_)" if continuing
                      else "Set patch_length=1, or a shorter patch")
            advice += ", to read the steps in order."
        else:
            read, advice = "each is one step long", "They need sequences of several steps."
        effects = ["both directions of a layer read the same values"] if bidirectional else []
        if inert:
            # Named where bidirectional, which does add weights, is listed too.
            which = (", ".join(inert) if bidirectional
                     else "it" if len(inert) == 1 else "them")
            effects.append("its previous state is zero, so the cell computes what it "
                           f"computes without {which}")
        warn(
            f"{', '.join(named)} need{'s' if len(named) == 1 else ''} a recurrence to act "
            f"on, but every training sequence is one LSTM step ({read}): "
            f"{', and '.join(effects)}. {advice}",
            NoRecurrenceWarning,
        )

    def _warn_of_untrained_recurrence(self, seqs):
        """Warn (NoRecurrenceWarning) where ``seqs`` make more LSTM steps than
        one, read through weights that no gradient of the loss reached:
        every training sequence was one LSTM step, whose previous state is
        zero (``_trained_lstm_steps`` 1)."""
        longest = self._longest_sequence(seqs)
        lstm_steps = n_patches(longest, self.patch_length_)
        if self._trained_lstm_steps != 1 or lstm_steps <= 1:
            return
        warn(
            f"This model was fitted on sequences of one LSTM step each (patch_length_="
            f"{self.patch_length_}), so no gradient of its loss reached its recurrent weights "
            f"(nor its forget gate's); X holds sequences of up to {longest} steps, read as "
            f"{lstm_steps} LSTM steps through them. Refit with patch_length=1, or on sequences "
            "as long as these.",
            NoRecurrenceWarning,
        )

    @staticmethod
    def _longest_sequence(seqs, sample_weight=None, split=None):
        """Real steps of the longest sequence of ``seqs`` that trains.

        Only the sequences that train count, as for the input statistics:
        the training part of an early-stopping ``split``, of positive
        weight (every sequence, without them). A sequence of weight 0 is as
        if absent; its length, or a validation sequence's, set the patches
        of a model fitted without it.
        """
        counted = np.zeros(seqs.n_samples, dtype=bool)
        counted[slice(None) if split is None else split[0]] = True
        if sample_weight is not None:
            counted &= sample_weight > 0
        if not counted.any():  # nothing counts (no training weight): all do
            counted[:] = True
        # The longest real sequence: a 3-D array may be padded wider.
        return seqs.values.shape[1] if seqs.lengths is None else int(
            seqs.lengths[counted].max())

    def _resolved_patch_length(self, seqs, longest):
        """The patch length to fit with: ``patch_length``, or its default
        for training sequences of at most ``longest`` steps (1 with
        ``return_sequences``); ``seqs`` are the training sequences."""
        if self.patch_length != "auto":
            if self.patch_length > longest:
                exog = f", {self.n_exog} of them exogenous," if self.n_exog else ","
                columns = "" if seqs.n_columns is None else (
                    f" (X has {seqs.n_columns} feature(s){exog} read as steps of "
                    f"n_channels={self.n_channels})"
                )
                in_x = self._longest_sequence(seqs, None, None)
                untrained = "" if in_x == longest else (
                    f"; X's longest, of {in_x} steps, is held out for early stopping or "
                    "weighs 0, and does not train"
                )
                raise ValueError(
                    f"patch_length={self.patch_length} is longer than the longest training "
                    f"sequence ({longest} steps{columns}{untrained}): each sequence would be "
                    f"one patch of mostly padding. Use patch_length <= {longest}, or 'auto'."
                )
            return int(self.patch_length)
        if self.return_sequences:
            return 1
        return auto_patch_length(longest, seqs.n_channels, self._auto_patch_aim)

    @staticmethod
    def _patched(seqs, patch_length, alignment):
        """``seqs`` (standardised) as the LSTM reads them: in patches of steps,
        aligned as the model was fitted (``_patch_alignment``)."""
        values, lengths = fold_steps(seqs.values, seqs.lengths, patch_length, alignment)
        return replace(seqs, values=values, lengths=lengths)

    @staticmethod
    def _channel_stats(seqs, sample_weight):
        """Weighted per-channel mean and scale over the real steps.

        Each real step is one row of :func:`~sklstm._scaling.mean_and_scale`,
        weighted by its sequence's sample weight; padded steps weigh 0.
        """
        step_w = seqs.step_mask() * (1.0 if sample_weight is None else sample_weight[:, None])
        rows = seqs.values.reshape(-1, seqs.n_channels)
        return mean_and_scale(rows, step_w.reshape(-1), what="X")

    def _input_statistics(self, seqs, sample_weight, split):
        """``input_mean_`` and ``input_scale_`` from the training part of ``seqs``."""
        if not self.standardize:
            return {"input_mean_": np.zeros(seqs.n_channels),
                    "input_scale_": np.ones(seqs.n_channels)}
        # Statistics of the training part only: the validation part must not
        # inform the model it judges.
        train = slice(None) if split is None else split[0]
        mean, scale = self._channel_stats(
            seqs.take(train), None if sample_weight is None else sample_weight[train]
        )
        return {"input_mean_": mean, "input_scale_": scale}

    # -- fitted state -----------------------------------------------------------

    def _is_fitted_name(self, name):
        return (name.endswith("_") and not name.startswith("__")) or (
            name in self._private_fitted
        )

    def _fitted_state(self):
        """Every fitted attribute, name -> value (not the parameters, nor the
        bookkeeping that scikit-learn keeps on estimators)."""
        return {name: value for name, value in vars(self).items() if self._is_fitted_name(name)}

    def _commit(self, fitted):
        """Replace all fitted state with ``fitted`` (name -> value), in one step
        (see :func:`~sklstm._fitted_state.replace_state`)."""
        unknown = [name for name in fitted if not self._is_fitted_name(name)]
        if unknown:
            raise RuntimeError(f"Not declared as fitted state: {unknown}.")
        kept = {name: value for name, value in vars(self).items()
                if not self._is_fitted_name(name)}
        replace_state(self, {**kept, **fitted})

    def _architecture(self, names=None):
        """The current values of the architecture parameters (or of ``names``), normalised."""
        names = self._ARCHITECTURE_PARAMS if names is None else names
        params = {name: getattr(self, name) for name in names}
        if "hidden_layer_sizes" in params:
            params["hidden_layer_sizes"] = tuple(self._hidden_sizes())
        if "data_format" in params:
            # None reads X channels last too; it only adds a layout warning.
            params["data_format"] = params["data_format"] or "channels_last"
        return params

    def _completed_architecture(self, recorded):
        """``recorded`` (name -> fitted value), with the current value of every
        architecture parameter it lacks."""
        missing = [name for name in self._ARCHITECTURE_PARAMS if name not in recorded]
        return {**self._architecture(missing), **recorded}

    def _fitted_architecture_record(self):
        """``_fitted_architecture`` (a dict), or None for a model saved before
        sklstm recorded it."""
        fitted = getattr(self, "_fitted_architecture", None)
        if fitted is not None and not isinstance(fitted, dict):
            raise TypeError(
                "_fitted_architecture must be a dict of the architecture parameters the "
                f"model was fitted with, got {type(fitted).__name__}."
            )
        return fitted

    def _check_stored_state(self):
        """The check of a fitted state that is saved or loaded: the fitted
        attributes (:meth:`_check_fitted_state`), and the architecture
        parameters and their record by fit's rules. predict reads those
        parameters (column_order, n_channels, decoder_state) without
        checking them again, and advises setting them back to the record."""
        record = self._fitted_architecture_record() or {}
        # Only this class's architecture, as loading keeps (see _load_state).
        self._check_architecture_record(
            {k: v for k, v in record.items() if k in self._ARCHITECTURE_PARAMS})
        self._check_architecture_values(
            {name: getattr(self, name) for name in self._ARCHITECTURE_PARAMS},
            type(self).__name__)
        self._hidden_sizes()
        self._check_fitted_state()

    def _check_architecture_values(self, values, owner):
        """Check ``values`` (architecture parameter -> value) by the
        parameters' constraints; ``owner`` names them in errors."""
        constraints = self._parameter_constraints
        checked = {name: constraints[name] for name in values if name in constraints}
        validate_params(values, checked, owner)

    def _check_architecture_record(self, record):
        """Refuse a ``_fitted_architecture`` that fit cannot have recorded:
        a value its parameter refuses, or hidden sizes other than the tuple
        of ints fit records."""
        sizes = record.get("hidden_layer_sizes", (1,))
        if not (isinstance(sizes, tuple) and sizes and all(
                isinstance(s, numbers.Integral) and not isinstance(s, bool) and s > 0
                for s in sizes)):
            raise TypeError(
                "_fitted_architecture['hidden_layer_sizes'] must be a tuple of positive ints, "
                f"as fit records it; got {sizes!r}."
            )
        self._check_architecture_values(record, "_fitted_architecture")

    def _check_architecture(self, action):
        """Raise if an architecture parameter differs from the fitted model's."""
        fitted = self._fitted_architecture_record()
        if fitted is None:  # a model saved before sklstm recorded it
            return
        current = self._architecture()
        for name, value in fitted.items():
            if current.get(name) != value:
                raise ValueError(
                    f"{type(self).__name__} was fitted with {name}={quoted(value)}, but {name} "
                    f"is now {quoted(getattr(self, name))} (changed by set_params after "
                    f"fit?). {action} uses the fitted model: set {name} back to "
                    f"{quoted(value)}, or {refit_advice('it')}."
                )

    def set_params(self, **params):
        """Set the parameters of this estimator, all or none.

        scikit-learn's ``set_params`` sets the keys before an unknown one and
        then raises, so that a fitted model could be left with, say, another
        ``hidden_layer_sizes`` and refuse to predict. Every key is checked
        before any is set.

        Parameters
        ----------
        **params : dict
            Estimator parameters, by name.

        Returns
        -------
        self : estimator instance
        """
        own = self.get_params(deep=False)
        unknown = {key: value for key, value in params.items() if key not in own}
        if unknown:
            nested = [key for key in unknown if key.partition("__")[0] in own]
            if nested:  # scikit-learn's own attempt fails inside it, on the value
                raise ValueError(
                    f"Invalid parameter {nested[0]!r} for {type(self).__name__}: its "
                    "parameters hold no estimator, so none takes nested keys "
                    "(<name>__<key>)."
                )
            # scikit-learn's error, naming the key, from an untouched copy
            super(BaseLSTM, scratch_copy(self)).set_params(**unknown)
        return super().set_params(**params)

    @reads_one_state  # checked and copied from one state, whatever a fit commits meanwhile
    def __getstate__(self):
        if "coefs_" in vars(self):
            check_before_saving(self, self._check_stored_state)
        state = dict(super().__getstate__())  # a copy: it may be the live __dict__
        for name in self._get_param_names():
            if isinstance(state.get(name), (pd.Series, pd.Index)):
                # Saved as the array it holds, its dtype kept (float32 levels
                # read as written): skops cannot rebuild pandas objects (a
                # Series of quantiles saved, then failed to load).
                state[name] = state[name].to_numpy()
        if isinstance(state.get("_rng"), np.random.RandomState):
            state["_rng"] = saved_rng(state["_rng"])  # checked at load, see rng_from_saved
        return with_class_name(self, state)

    def __setstate__(self, state):
        load_staged(self, state)

    def _load_state(self, state):
        """:meth:`__setstate__`'s work, checked."""
        # A model saved before a parameter existed gets that parameter's
        # default, which keeps the behaviour it was saved with.
        defaults = missing_parameter_defaults(type(self), state)
        fitted = "coefs_" in state
        if isinstance(state.get("_rng"), dict):  # saved by saved_rng; older saves hold the object
            try:
                state = {**state, "_rng": rng_from_saved(state["_rng"])}
            except (TypeError, ValueError) as exc:
                raise type(exc)(load_refusal(self, exc)) from None
        if fitted:
            defaults.update(
                {k: v for k, v in self._LEGACY_FITTED_STATE.items() if k not in state}
            )
        super().__setstate__({**defaults, **state})
        if fitted:
            # An architecture parameter the save did not record as fitted (it
            # predates the parameter or its record) is recorded with the value
            # the model loads with, so that set_params cannot later swap the
            # behaviour the model was saved with.
            try:
                saved = self._fitted_architecture_record()
            except TypeError as exc:
                raise TypeError(load_refusal(self, exc)) from None
            if saved is None:
                # Saved before sklstm recorded it: the weights tell what they
                # are, whatever set_params made of the parameters since.
                saved = self._architecture_of_weights()
            # Only this class's architecture: a name recorded by another
            # version (one no longer a parameter of it) has no value to match.
            saved = {k: v for k, v in saved.items() if k in self._ARCHITECTURE_PARAMS}
            self._fitted_architecture = self._completed_architecture(saved)
            names = vars(self).get("feature_names_in_")
            if (
                self._fitted_architecture.get("data_format") == "channels_first"
                and names is not None and len(names) != self.n_features_in_
            ):
                # Saved when channels-first DataFrames were named by their step
                # columns: those names are no channels', and would refuse them.
                del self.feature_names_in_
        self._check_loaded_state()

    def _architecture_of_weights(self):
        """``hidden_layer_sizes``, ``peephole`` and ``coupled_gates`` as the
        weights' shapes show them, or {} if the weights are malformed (which
        :meth:`_check_fitted_state` then reports by name)."""
        try:
            layout = ParamLayout.from_layers(
                self.coefs_, 1, gate_variant=self.gate_variant,
                bidirectional=bool(self.bidirectional),
            )
        except (AttributeError, IndexError, KeyError, TypeError, ValueError):
            return {}
        return {"hidden_layer_sizes": layout.hidden_sizes, "peephole": layout.peephole,
                "coupled_gates": layout.coupled}

    def _check_loaded_state(self):
        """Refuse a loaded state this class cannot predict with (another sklstm
        estimator's state under this class's name, a tampered or damaged
        file), with the error of :meth:`_check_fitted_state` and its type."""
        if "coefs_" not in vars(self):
            return  # not fitted: nothing to check
        try:
            self._check_stored_state()
        except (ValueError, TypeError) as exc:
            raise type(exc)(load_refusal(self, exc)) from None

    def _check_fitted_state(self, *, history_sized=True):
        """The one check of fitted state, however it arrived: from ``fit``, a
        loaded file, or weights set by hand on a fitted shell.

        Every attribute predict reads is checked here, with an error that
        names it: nothing that passes fails deep inside NumPy or predicts
        silently wrong.

        Parameters
        ----------
        history_sized : bool, default=True
            Also check the state whose size grows with the training history
            and which predict never reads: what ``partial_fit`` and warm
            starts continue from (the loss curve and counts, the optimizer's
            moments). Checked at every predict, a loss curve of 100,000
            epochs took 0.1 s a call.

        Returns
        -------
        network, theta : as :meth:`_fitted_network` returns them
        """
        missing = [name for name in self._required_fitted if name not in vars(self)]
        if "n_features_in_" in missing:  # no fit ran: weights set on a new estimator
            public = [name for name in missing if not name.startswith("_")]
            raise ValueError(
                f"This {type(self).__name__} was never fitted, so it lacks {public} (and "
                "more that fit sets). Weights trained elsewhere go into a fitted shell: fit "
                "it once (max_iter=1 will do), then set coefs_, out_coef_ and out_intercept_ "
                "(see 'Weights in PyTorch's layout' in the README)."
            )
        if missing:
            raise ValueError(
                f"{type(self).__name__} lacks the fitted attributes {missing}. Was it saved "
                "from another estimator class?"
            )
        self._fitted_architecture_record()
        check_positive_int(self.patch_length_, "patch_length_")
        if not (isinstance(self._patch_alignment, str)
                and self._patch_alignment in ("end", "start")):
            raise ValueError(
                "_patch_alignment must be 'end' or 'start', got "
                f"{self._patch_alignment!r}."
            )
        if self._trained_lstm_steps is not None:  # None: saved before it was kept
            check_positive_int(self._trained_lstm_steps, "_trained_lstm_steps")
        check_input_statistics(self.input_mean_, self.input_scale_)
        self._check_input_record()
        check_positive_int(self.n_outputs_, "n_outputs_")
        self._check_target_state()
        check_layer_arrays(self.coefs_)
        network, theta = self._fitted_network()
        if history_sized:
            TrainingRecord.check_attributes(vars(self))
            check_optimizer_state(getattr(self, "_optimizer", None), theta)
        return network, theta

    def _check_input_record(self):
        """Check what predict reads X against: ``n_features_in_`` (a table's
        columns, or the channels of sequences), ``_fitted_on_table`` and
        ``feature_names_in_``, against the channels of ``input_mean_``."""
        if not isinstance(self._fitted_on_table, (bool, np.bool_)):
            raise TypeError(
                f"_fitted_on_table must be a bool, got {self._fitted_on_table!r}."
            )
        n_features = check_positive_int(self.n_features_in_, "n_features_in_")
        n_channels = self.input_mean_.size
        if self._fitted_on_table:
            # Columns of n_channels lags each, then n_exog exogenous values
            # (each one more channel): n_channels + n_exog = input_mean_.size.
            architecture = self._completed_architecture(self._fitted_architecture_record() or {})
            n_exog = architecture["n_exog"]
            if isinstance(n_exog, (bool, np.bool_)) or not isinstance(n_exog, numbers.Integral):
                raise TypeError(f"the fitted n_exog must be an int, got {n_exog!r}.")
            per_step = n_channels - n_exog
            if per_step < 1:
                raise ValueError(
                    f"the fitted n_exog={n_exog} leaves no lag channel of the "
                    f"{n_channels} in input_mean_."
                )
            if n_features <= n_exog or (n_features - n_exog) % per_step:
                raise ValueError(
                    f"n_features_in_ is {n_features}, but a table of {per_step} "
                    f"channel(s) and n_exog={n_exog} (input_mean_ holds {n_channels}) has "
                    f"n_exog plus a positive multiple of {per_step} columns."
                )
        elif n_features != n_channels:
            raise ValueError(
                f"n_features_in_ is {n_features}, but the model was fitted on sequences of "
                f"{n_channels} channel(s) (input_mean_)."
            )
        labels = vars(self).get("_column_labels")
        if labels is not None and not (
            isinstance(labels, tuple) and all(isinstance(c, str) for c in labels)
        ):
            raise TypeError(f"_column_labels must be None or a tuple of str, got {labels!r}.")
        if labels is not None and len(labels) != n_features:
            raise ValueError(
                f"_column_labels holds {len(labels)} labels, but n_features_in_ is "
                f"{n_features}."
            )
        names = vars(self).get("feature_names_in_")
        if names is not None and not (isinstance(names, np.ndarray) and names.ndim == 1):
            raise TypeError(
                f"feature_names_in_ must be a 1-D NumPy array of names, got "
                f"{type(names).__name__}."
            )
        if names is not None and len(names) != n_features:
            raise ValueError(
                f"feature_names_in_ holds {len(names)} names, but n_features_in_ is "
                f"{n_features}."
            )

    def _check_target_state(self):
        """Check the fitted attributes that describe the targets (subclasses)."""

    def _n_logits(self):
        """``(columns of the head, what sets them)`` for the fitted targets,
        e.g. ``(3, "n_outputs_=3")``."""
        return self.n_outputs_, f"n_outputs_={self.n_outputs_}"

    def _fitted_network(self):
        """The fitted architecture and the packed weights, checked against it.

        The architecture is the fitted parameters' (``_fitted_architecture``;
        weights of different variants can share shapes), the channels and
        patches the fitted ``input_mean_`` and ``patch_length_``; the weights
        must have its shapes.

        Returns
        -------
        network : Network
        theta : ndarray of shape (network.layout.size,)
        """
        architecture = self._completed_architecture(self._fitted_architecture_record() or {})
        n_features = self.patch_length_ * self.input_mean_.size
        check_layer_shapes(self.coefs_, n_features, architecture)
        n_logits, targets = self._n_logits()
        layout = ParamLayout(
            n_features, architecture["hidden_layer_sizes"], n_logits,
            peephole=architecture["peephole"], coupled=architecture["coupled_gates"],
            gate_variant=architecture["gate_variant"],
            bidirectional=architecture["bidirectional"],
        )
        check_head(self.out_coef_, self.out_intercept_, layout.n_top, n_logits, targets,
                   binary=self._binary_head)
        theta = layout.pack(
            self.coefs_, self.out_coef_, self.out_intercept_, dtype=self.out_coef_.dtype
        )
        return Network(layout, bool(architecture["return_sequences"])), theta

    # -- fitting ----------------------------------------------------------------

    def fit(self, X, y, sample_weight=None):
        """Fit the model to sequences ``X`` and targets ``y``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels), \
                (n_samples, n_columns), DataFrame, or list of arrays
            Training sequences. 2-D input holds one sequence per row (see
            ``n_channels``, ``column_order``, ``newest_first``); a list may
            hold sequences of different lengths (a list of 1-D arrays of
            equal length is refused when those parameters declare a table's
            layout); trailing all-NaN steps of 3-D input are padding.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or \
                (n_samples, n_timesteps[, n_outputs]) when ``return_sequences``
            Targets. A classifier's ``(n_samples, n_outputs)`` targets are a
            0/1 multilabel indicator, and its per-step targets one label per
            step, ``(n_samples, n_timesteps)``.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative weight of each sequence.

        Returns
        -------
        self : object
            The fitted estimator.

        Raises
        ------
        ValueError
            If an input is invalid, or if training diverged: its weights
            became non-finite in the first epoch, or those it ended with
            overflow the gates or give a non-finite training loss (a
            regressor's predictions beyond any target), or the training
            loss of a fit with Adam or SGD rose tenfold above its first
            epoch's (a warm start's: above the losses it continued), unless
            held-out samples chose an earlier epoch's weights. The model is
            then left as it was.
        TypeError
            If an input is of a kind sklstm does not read (text, dates).
        """
        return self._fit(X, y, sample_weight, incremental=False)

    def _check_partial_fit(self):
        if self.solver not in _STOCHASTIC_SOLVERS:
            raise AttributeError(
                f"partial_fit is only available for stochastic solvers ('adam', 'sgd'), "
                f"not {self.solver!r}."
            )
        return True

    def _prepare(self, X, y, sample_weight, fitted, *, reset, classes, warm_start=False):
        """Checked sequences, targets and weights, and the data-describing fitted state.

        Returns ``(view, seqs, Y, loss_name, sample_weight, unrounded)``:
        ``view`` is a scratch copy of the estimator holding ``fitted``
        (updated in place with the new input and target state), for the
        steps that read it; ``unrounded`` is None, or, where a continued
        model's dtype is narrower than X's, ``seqs`` before that rounding,
        to standardise as predict does (then round).
        """
        view = scratch_copy(self)
        view.__dict__.update(fitted)
        seqs, input_state = view._convert_X(X, reset=reset)
        refuse_long_panel(X, y, seqs.n_samples)
        unrounded = None
        if not reset:
            # A continued model keeps its dtype: convert X (and so the
            # targets encoded from it) before anything is rounded.
            model_dtype = self.out_coef_.dtype
            if np.finfo(seqs.values.dtype).bits > np.finfo(model_dtype).bits:
                unrounded = seqs
            seqs = replace(seqs, values=seqs.values.astype(model_dtype, copy=False))
        dtype = seqs.values.dtype
        sample_weight = check_sample_weight(sample_weight, seqs.n_samples, dtype=dtype)
        Y, loss_name, class_sw, target_state = view._encode_targets(
            y, seqs, reset=reset, classes=classes, sample_weight=sample_weight,
            warm_start=warm_start,
        )
        # n_outputs_ too: the early-stopping score reads it during training.
        fitted.update(input_state, **target_state, n_outputs_=Y.shape[-1])
        view.__dict__.update(fitted)
        if class_sw is not None and sample_weight is not None:
            with np.errstate(over="ignore"):
                combined = sample_weight * class_sw
            sample_weight = check_sample_weight(
                combined, seqs.n_samples, name="(sample_weight * class_weight)", dtype=dtype
            )
        elif class_sw is not None:
            sample_weight = class_sw
        return view, seqs, Y, loss_name, sample_weight, unrounded

    def _network(self, n_channels, sizes, n_outputs):
        """The architecture to fit: a stack of LSTM layers and a dense layer."""
        layout = ParamLayout(
            n_channels, sizes, n_outputs, peephole=self.peephole, coupled=self.coupled_gates,
            gate_variant=self.gate_variant, bidirectional=self.bidirectional,
        )
        return Network(layout, bool(self.return_sequences))

    def _initial_weights(self, network, reuse_weights, rng, dtype, settled=None):
        """Packed weights to start from: the fitted ones (see
        :meth:`_continued_head` for ``settled``), or a new initialisation."""
        layout = network.layout
        if reuse_weights:
            return layout.pack(self.coefs_, *self._continued_head(rng, settled), dtype=dtype)
        sizes = list(layout.hidden_sizes)
        layers = init_lstm_layers(
            layout.n_features, sizes, rng, peephole=layout.peephole, coupled=layout.coupled,
            forget_bias=self.forget_bias, dtype=dtype, gate_variant=layout.gate_variant,
            bidirectional=layout.bidirectional,
        )
        coef, intercept = init_output_layer(layout.n_top, layout.n_outputs, rng, dtype=dtype)
        return layout.pack(layers, coef, intercept, dtype=dtype)

    def _continued_head(self, rng, settled):
        """``(out_coef_, out_intercept_)`` to continue training from.

        A head logit with all-zero weights, as ``fit`` leaves an output
        constant over its training part, restarts its weights from a new
        initialisation where ``settled`` (:meth:`_constant_logits` of the
        new targets) says its targets now vary: zero weights pass no
        gradient to the layers below. Its intercept, the fitted constant,
        is kept, unless :meth:`_flat_logits` says it has no gradient of its
        own there (a settled quantile increment).
        """
        coef, intercept = self.out_coef_, self.out_intercept_
        if settled is None:
            return coef, intercept
        restart = ~coef.any(axis=0) & np.isnan(settled)
        if not restart.any():
            return coef, intercept
        new_coef, new_intercept = init_output_layer(*coef.shape, rng, dtype=coef.dtype)
        redraw = restart & self._flat_logits(intercept.size)
        return np.where(restart, new_coef, coef), np.where(redraw, new_intercept, intercept)

    def _flat_logits(self, n_logits):
        """Which of the head's ``n_logits`` logits, settled by
        :meth:`_constant_logits`, sit where their loss is flat: an array of
        bools, of shape (n_logits,); all False by default."""
        return np.zeros(n_logits, dtype=bool)

    def _weight_attributes(self, network, theta):
        """The fitted weight attributes (copies) of the packed weights ``theta``."""
        layers, coef, intercept = network.layout.unpack(theta)
        return {
            "coefs_": [{k: v.copy() for k, v in layer.items()} for layer in layers],
            "out_coef_": coef.copy(),
            "out_intercept_": intercept.copy(),
        }

    @underflow_is_zero
    def _fit(self, X, y, sample_weight, *, incremental, classes=None):
        # The whole fit reads the parameters as the call found them, from one
        # snapshot: set_params from another thread meanwhile (a peephole
        # switched on mid-fit) trained one architecture and recorded another.
        # Such a change is kept, for predict to check against the record.
        snapshot = scratch_copy(self)
        with _generator_kept_on_failure(snapshot.random_state):
            fitted = snapshot._new_fitted_state(X, y, sample_weight, incremental=incremental,
                                                classes=classes)
        self._commit(fitted)
        return self

    def _new_fitted_state(self, X, y, sample_weight, *, incremental, classes):
        """The fitted state (name -> value) of a fit, ``partial_fit`` or warm
        start on ``X``, for :meth:`_commit`; the model itself is not changed."""
        sizes, method = self._check_params()
        architecture = self._architecture()  # recorded: what predict checks against
        if incremental and self._early_stopping_mode() is True:
            # One epoch on every sample given: nothing is held out, and the
            # validation record of an earlier fit would be lost.
            raise ValueError(
                "partial_fit does not support early_stopping=True: each call trains one "
                "epoch on all the samples given. Set early_stopping=False, or use fit."
            )
        reuse_weights = hasattr(self, "coefs_") and (incremental or self.warm_start)
        if reuse_weights:
            self._check_architecture("partial_fit" if incremental else "A warm start")
            self._check_fitted_state()  # weights set by hand are continued too
        # Everything below builds `fitted` aside; self changes only in _commit.
        fitted = self._fitted_state() if reuse_weights else {}
        too_large = ("fit on fewer or shorter sequences, or pass X as float32. The model was "
                     "left unchanged")
        # The data as training reads it: converted, standardised, in patches.
        with arrays_fit_in_memory("Fitting makes copies of X", too_large):
            view, seqs, Y, loss_name, sample_weight, unrounded = self._prepare(
                X, y, sample_weight, fitted, reset=not reuse_weights, classes=classes,
                warm_start=reuse_weights and not incremental,
            )
            # partial_fit continues the shuffling sequence of earlier calls.
            if incremental and hasattr(self, "_rng"):
                rng = copy.deepcopy(self._rng)
            else:
                rng = _private_rng(self.random_state)
            split, stop_on_validation = None, self._early_stopping_mode() is True
            if method is None and not incremental:
                split = view._validation_part(seqs, Y, sample_weight, rng)
            if not reuse_weights:
                fitted.update(self._input_statistics(seqs, sample_weight, split))
            targets = Y
            Y, target_state = view._scaled_targets(
                Y, seqs, sample_weight, split, reset=not reuse_weights
            )
            fitted.update(target_state)
            settled = view._constant_logits(targets, seqs, sample_weight, split, fitted)
            # X's dtype, or the model's when continuing (_prepare converted X).
            dtype = seqs.values.dtype
            # From X's own values where the model's dtype is narrower, as
            # predict standardises: 1e5 ± 0.01 keeps its spread in float32.
            seqs = self._standardised(seqs if unrounded is None else unrounded,
                                      fitted["input_mean_"], fitted["input_scale_"], dtype,
                                      held_out=None if split is None else split[1])
            unrounded = None  # X's own values, no longer needed through training
            longest = self._longest_sequence(seqs, sample_weight, split)
            if not reuse_weights:
                fitted["patch_length_"] = self._resolved_patch_length(seqs, longest)
                fitted["_patch_alignment"] = "end"
            seqs = self._patched(seqs, fitted["patch_length_"], fitted["_patch_alignment"])
        lstm_steps = n_patches(longest, fitted["patch_length_"])
        if reuse_weights:  # what the recurrence has trained on, over all the fits
            earlier = fitted.get("_trained_lstm_steps")  # None: saved before it was kept
            fitted["_trained_lstm_steps"] = None if earlier is None else max(earlier, lstm_steps)
        else:
            fitted["_trained_lstm_steps"] = lstm_steps
        # A continuation too, of recurrent_dropout only, the one such setting
        # that may be set since the first fit (which warned of the others):
        # a recurrence never trained (1 over all the fits) still reads nothing.
        self._warn_of_settings_without_recurrence(
            fitted["_trained_lstm_steps"], fitted["patch_length_"], continuing=reuse_weights)

        objective = view._objective(loss_name)
        network = self._network(seqs.n_channels, sizes, objective.n_logits(Y.shape[-1]))
        settings = self._training_settings()
        try:
            theta = self._initial_weights(network, reuse_weights, rng, dtype, settled)
            record = TrainingRecord.resume(fitted, incremental=incremental)
            data = TrainingData(seqs, Y, sample_weight)
            if method is not None:
                theta = fit_scipy(theta, data, network, objective, method, record, settings)
            elif split is None:
                theta = fit_stochastic(
                    theta, data, network, objective, rng, record, settings,
                    incremental=incremental,
                )
            else:
                theta = fit_stochastic(
                    theta, data.take(split[0]), network, objective, rng, record, settings,
                    incremental=incremental, validation=data.take(split[1]),
                    score=view._validation_score, stop_on_validation=stop_on_validation,
                )
        except MemoryError as exc:
            # NumPy's error names an array shape; the user chose the sizes.
            raise ValueError(self._memory_refusal(network, dtype, seqs, method, exc)) from None
        except GateInputOverflow as error:  # X's values, at the starting weights
            raise _named_overflow(error, fitted["input_mean_"], fitted["input_scale_"]) from None
        if method is not None or record.optimizer is None:
            # Moments of an earlier Adam or SGD fit belong to weights the scipy
            # solver has moved since, or to epochs after those held-out
            # samples chose: partial_fit must not continue them.
            for name in ("_optimizer", "_no_improvement_count"):
                fitted.pop(name, None)
        fitted.update(
            record.attributes(),
            **self._weight_attributes(network, theta.astype(dtype, copy=False)),
            _rng=rng, _fitted_architecture=architecture,
        )
        # partial_fit trains on each batch once: a batch's constant target
        # says nothing of the stream's, so only fit settles it.
        if settled is not None and not incremental and not np.isnan(settled).all():
            known = ~np.isnan(settled)
            fitted["out_coef_"][:, known] = 0
            fitted["out_intercept_"][known] = settled[known]
            # Adam's moments belong to the weights before: partial_fit would
            # move the settled ones with them.
            fitted.pop("_optimizer", None)
        return fitted

    def _memory_refusal(self, network, dtype, seqs, method, exc):
        """The message for a fit that ran out of memory: what sets its size
        (the mini-batches' with Adam or SGD, ``method`` None)."""
        size = network.layout.size
        reason = f" ({exc})" if str(exc) else ""
        if method is None:
            passes = (f"mini-batches of up to {batch_size_of(self)} of the {seqs.n_samples} "
                      "sequences")
            smaller = "smaller batches"
        else:  # the scipy solvers read the whole data at once
            passes = f"all {seqs.n_samples} sequences"
            smaller = "solver='adam', which reads mini-batches"
        n_steps = seqs.values.shape[1]
        steps = f"{n_steps} LSTM step{'s' if n_steps != 1 else ''}"
        # On one LSTM step a pass keeps one step's states, whatever the
        # sequences' length, and no patch can be longer.
        shorter = ", shorter sequences (or a larger patch_length)" if n_steps > 1 else ""
        return (
            f"Training needs more memory than this machine can allocate{reason}: "
            f"hidden_layer_sizes={self.hidden_layer_sizes!r} makes {size:,} weights "
            f"({size * np.dtype(dtype).itemsize / 2**30:.3g} GiB in {np.dtype(dtype).name}, "
            f"several times that to train), and each pass keeps the states of {passes} "
            f"over {steps}. Use fewer units{shorter} or {smaller}. The model was left "
            "unchanged."
        )

    def _early_stopping_mode(self):
        """``early_stopping`` as validated: "auto", True or False (a NumPy bool
        is one of the two)."""
        return "auto" if isinstance(self.early_stopping, str) else bool(self.early_stopping)

    def _validation_part(self, seqs, Y, sample_weight, rng):
        """Indices ``(train, val)`` of the samples held out by ``early_stopping``,
        or None when it holds none out.

        ``"auto"`` holds out a random ``validation_fraction`` of the
        sequences when that makes at least ``_AUTO_MIN_VALIDATION`` of them,
        of positive weight, and the training part has weight: a loss over
        fewer is too noisy to choose weights by.
        """
        mode = self._early_stopping_mode()
        if mode != "auto":
            return (self._split_validation(seqs, Y, sample_weight, rng, self.validation_split)
                    if mode else None)
        n = seqs.n_samples
        n_val = self._held_out_count(n)
        if not _AUTO_MIN_VALIDATION <= n_val < n:
            return None
        state = rng.get_state()
        train, val = train_test_split(np.arange(n), test_size=n_val, random_state=rng)
        if sample_weight is not None and not (
                sample_weight[train].sum() > 0
                and np.count_nonzero(sample_weight[val] > 0) >= _AUTO_MIN_VALIDATION):
            rng.set_state(state)  # the fit then shuffles as it would with False
            return None
        return train, val

    def _held_out_count(self, n_samples):
        """How many of ``n_samples`` sequences ``validation_fraction`` holds out."""
        return int(np.ceil(self.validation_fraction * n_samples))

    def _split_validation(self, seqs, Y, sample_weight, rng, validation_split):
        """Indices ``(train, val)`` of the early-stopping split of the sequences
        ``seqs``, held out as ``validation_split`` says."""
        n = seqs.n_samples
        n_val = self._held_out_count(n)
        # Two, as MLP asks: the score of one sample (R²) is not defined, and
        # it warned and recorded NaN at every epoch.
        if n_val < 2 or n_val >= n:
            if n < 3:
                advice = "No validation_fraction can: add data"
            elif n_val < 2:
                advice = f"Raise validation_fraction above 1/{n}, add data"
            else:
                advice = f"Lower validation_fraction to at most {n - 1}/{n}"
            raise ValueError(
                f"early_stopping needs at least one training and two validation samples: "
                f"{n} samples with validation_fraction={self.validation_fraction} hold out "
                f"{n_val}. {advice}, or set early_stopping=False."
            )
        indices = np.arange(n)
        if validation_split == "tail":
            train, val = indices[: n - n_val], indices[n - n_val :]
        else:
            stratify = None
            if validation_split == "stratified":
                stratify = self._stratify_labels(Y)
                self._check_stratifiable(stratify, n, n_val)
            train, val = train_test_split(
                indices, test_size=n_val, random_state=rng, stratify=stratify
            )
        sw = sample_weight
        if sw is not None:
            # As many samples of positive weight as the unweighted rule asks
            # for: one weighted sample's R² is undefined (recorded as 0.0).
            for part, idx, least in (("training", train, 1), ("validation", val, 2)):
                n_weighted = np.count_nonzero(sw[idx] > 0)
                if n_weighted < least:
                    held = "all have zero weight" if n_weighted == 0 else (
                        f"hold {n_weighted} of positive weight, where it needs {least}")
                    raise ValueError(
                        f"early_stopping: the samples of the {part} part {held} "
                        f"(validation_split={self.validation_split!r}, "
                        f"validation_fraction={self.validation_fraction}); give them "
                        f"positive {self._weight_names()} or change the split."
                    )
        self._check_split_classes(Y, train, val, sample_weight, seqs.step_mask())
        return train, val

    def _weight_names(self):
        """What weighs the samples, as advice names it: ``sample_weight``,
        and a classifier's ``class_weight`` where it is set."""
        if getattr(self, "class_weight", None) is None:
            return "sample_weight"
        return "sample_weight or class_weight"

    def _check_split_classes(self, Y, train, val, sample_weight, step_mask):
        """Refuse a split whose training part lacks what the model must learn
        (a classifier's classes); regressors have nothing to check."""

    def _check_stratifiable(self, labels, n, n_val):
        """Refuse, in the user's terms, a stratified split that cannot be made.

        ``labels`` are class indices into ``classes_``.
        """
        indices, counts = np.unique(labels, return_counts=True)
        if counts.min() < 2:
            label = label_text(self.classes_[int(indices[np.argmin(counts)])])
            raise ValueError(
                f"validation_split='stratified' needs at least 2 samples of every class, "
                f"but class {label} has {counts.min()}. Use validation_split='shuffle' "
                "or 'tail', or gather more samples of that class."
            )
        if min(n_val, n - n_val) < indices.size:
            raise ValueError(
                f"validation_split='stratified' puts every one of the {indices.size} classes "
                f"in both parts, but validation_fraction={self.validation_fraction} splits "
                f"the {n} samples into {n - n_val} and {n_val}. Raise validation_fraction "
                "(or lower it, if the training part is the small one), or use "
                "validation_split='shuffle'."
            )

    # -- prediction -------------------------------------------------------------

    def _per_step_output(self, values, seqs):
        """Per-step outputs as the user laid X out: NaN at padded steps,
        steps in X's column order. Many-to-one outputs pass through."""
        if not self.return_sequences:
            return values
        if seqs.lengths is not None:
            # NaN marks padded steps; float32 holds it, so the dtype stays.
            values = values.astype(np.result_type(values.dtype, np.float32), copy=True)
            seqs.fill_padding(values, np.nan)
        return seqs.reorder_steps(values)

    def _logits(self, X, transform=None):
        """Return (z, sequences) for new X, with the fitted standardisation.

        ``transform``, if given, maps each chunk of samples' logits as it
        is computed, row by row, to what the caller keeps of them (labels,
        probabilities, predictions in the targets' units): ``z`` is then
        its result, and the logits of all samples are never held at once.
        """
        check_is_fitted(self, "coefs_")
        self._check_architecture("Prediction")
        # Weights set by hand since fit (PyTorch's layout) are checked here.
        network, theta = self._check_fitted_state(history_sized=False)
        advice = "predict on fewer sequences at a time"
        with arrays_fit_in_memory("Predicting makes copies of X", advice):
            seqs, _ = self._convert_X(X, reset=False)
            seqs = self._standardised(seqs, self.input_mean_, self.input_scale_, theta.dtype,
                                      overwrite=_made_from(seqs, X))
        p, alignment = self.patch_length_, self._patch_alignment
        n, T, C = seqs.values.shape
        width = n_patches(T, p)
        self._warn_of_untrained_recurrence(seqs)

        def checked(z):
            if not np.all(np.isfinite(z)):
                raise ValueError(
                    "The network produced non-finite outputs for this X; its weights or "
                    "inputs are too large."
                )
            return z if transform is None else transform(z)

        def outputs_of(rows=None):
            with arrays_fit_in_memory("Predicting makes copies of X", advice):
                patches = self._patched(seqs if rows is None else seqs.take(rows), p,
                                        alignment)
            return network.predict(theta, patches.values, patches.lengths, transform=checked)

        # Forward only, in chunks of samples bounded by sklearn's working_memory.
        try:
            with arrays_fit_in_memory(
                f"Predicting on X of shape {(n, width, p * C)} (in the steps the network "
                "reads) makes outputs", advice,
            ):
                if folds_to_a_view(T, seqs.lengths, p, alignment):
                    z = outputs_of()
                else:
                    # Patches that need zero steps are a copy: made a chunk of
                    # samples at a time, not whole beside the standardised X.
                    patch_bytes = seqs.values.itemsize * width * p * C
                    z = in_chunks(outputs_of, n, 2 * patch_bytes)
        except GateInputOverflow as error:
            raise _named_overflow(error, self.input_mean_, self.input_scale_) from None
        return z, seqs

    def _scoring_input(self, X, sample_weight, transform=None):
        """Outputs (see :meth:`_logits`), sequences and checked ``sample_weight``
        for ``score``."""
        z, seqs = self._logits(X, transform)
        return z, seqs, check_sample_weight(sample_weight, seqs.n_samples, scale_free=True)

    @property
    def best_validation_score_(self):
        """The validation score of the epoch whose weights were restored
        (see ``best_validation_loss_``); None when no samples were held out."""
        check_is_fitted(self)
        losses = np.array(self.validation_loss_curve_, dtype=float)
        if not losses.size:
            return None
        return self.validation_scores_[int(np.argmin(np.where(np.isnan(losses), np.inf,
                                                              losses)))]

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.three_d_array = True
        if self.return_sequences:  # a target per step: no 1-D y, one per sequence
            tags.target_tags.single_output = False
            tags.target_tags.multi_output = True
        return tags
