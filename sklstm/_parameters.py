"""The estimators' shared parameter documentation, and the table that checks it.

``PARAMETERS_DOC`` and ``ATTRIBUTES_DOC`` are formatted into the docstrings
of every LSTM estimator; ``PARAMETER_CONSTRAINTS`` sits right after the
parameter docs, so that a parameter's documentation and its check are read
and changed together. :func:`sklstm._param_validation.validate_params`
reads the table at the start of ``fit``.
"""

import math
import numbers
import textwrap

from ._param_validation import BOOLEAN, RANDOM_STATE, Interval, Options
from ._params import GATE_VARIANTS
from ._validation import COLUMN_ORDERS, DATA_FORMATS

__all__ = [
    "ATTRIBUTES_DOC", "EARLY_STOPPING_DOC", "PARAMETERS_DOC", "PARAMETER_CONSTRAINTS",
    "PARAMETER_HINTS", "with_partial_fit_doc",
]

# What partial_fit says of its optimizer, in every estimator that has it.
_PARTIAL_FIT_OPTIMIZER_DOC = """\
Each call continues the optimizer of the last (Adam's moments and
step count, SGD's velocity), with the optimizer's parameters as
they are now: ``set_params(learning_rate_init=...)`` between calls
takes effect at the next. A call whose loss ends far above where it
started keeps its epoch and warns (ConvergenceWarning), where ``fit``
would raise: one batch of a stream may raise the loss (an outlier)
in a way divergence cannot be told from."""


def with_partial_fit_doc(method):
    """``method`` with the line ``{partial_fit_optimizer}`` of its docstring
    replaced by the shared paragraph, at that line's indent."""
    marker = "{partial_fit_optimizer}"
    indent = next(line[: line.index(marker)] for line in method.__doc__.splitlines()
                  if line.strip() == marker)
    paragraph = textwrap.indent(_PARTIAL_FIT_OPTIMIZER_DOC, indent)
    method.__doc__ = method.__doc__.replace(indent + marker, paragraph)
    return method

# How a one-row 2-D X is read by a model fitted on sequences; the
# encoder-decoder, which needs longer sequences, drops it from its docstring.
ONE_STEP_ROWS = """
        A model fitted on 3-D or list input reads a 2-D ``X`` of exactly
        ``n_features_in_`` columns as sequences of one step (MAPIE probes
        fitted models with such a row)."""

# How per-step targets and outputs are laid out; the encoder-decoder, which
# has none, drops it from its docstring.
PER_STEP_LAYOUT = """ Per-step targets and outputs
        (``return_sequences``) are steps first in either layout:
        ``(n_samples, n_timesteps[, n_outputs])``."""

# The early_stopping entry of PARAMETERS_DOC; the regressor, whose default is
# "auto", documents that value in its place (REGRESSOR_EARLY_STOPPING_DOC).
EARLY_STOPPING_DOC = """    early_stopping : bool, default=False
        Hold out ``validation_fraction`` of the samples, stop when the
        validation loss stops improving, and restore the best weights.
        Stochastic solvers only: the scipy solvers ignore it, as
        ``MLPRegressor``'s L-BFGS does. ``partial_fit`` refuses it, as
        ``MLPRegressor``'s does: each call trains one epoch on every sample.
"""

# Shared parameter documentation, formatted into both estimators' docstrings.
# What batch_size="auto" is, as PARAMETERS_DOC says it (the encoder-decoder
# says its own).
AUTO_BATCH_DOC = '``"auto"`` is 64,'

PARAMETERS_DOC = """
    hidden_layer_sizes : array-like of shape (n_layers,) or int, default=(32,)
        Units of each stacked LSTM layer, from the input upwards; an int is
        one layer, as in ``MLPRegressor``.

    return_sequences : bool, default=False
        If False (many-to-one), one prediction per sequence, from its last
        real step. If True (many-to-many), a prediction at every step, and
        ``y`` gives a target per step: an array ``(n_samples, n_timesteps)``
        (a regressor's also ``(n_samples, n_timesteps, n_outputs)``; a
        classifier's holds one label per step, never several), whose
        entries after a sequence's end are ignored, or
        a list of one array per sequence, exactly as long as that sequence
        (with ``X`` a list of sequences of different lengths, a list ``y``
        is always read so).

    patch_length : int or "auto", default="auto"
        Consecutive time steps the LSTM reads as one step (a *patch* of
        ``patch_length * n_channels`` values, step-major): a sequence of T
        steps becomes ``ceil(T / patch_length)`` LSTM steps. The last patch
        of each sequence ends at its last step and zeros (the channels'
        means) begin its first, so that the last LSTM step reads every
        sequence's newest steps at the same places. Long sequences learn
        better and train faster in patches. ``"auto"`` is 1 with
        ``return_sequences=True``; otherwise it makes patches of about 64
        values, ``min(T_max, max(1, 64 // n_channels))`` steps (a sequence
        of up to that many steps, such as a lag window of one series, is one
        LSTM step), and at least ``ceil(T_max / 32)`` (at most 32 LSTM
        steps, whatever the channels). ``T_max`` is the
        longest sequence that trains: not one of weight 0, nor one held out
        by ``early_stopping``. The fitted value is ``patch_length_``: the
        first ``fit`` or ``partial_fit`` sets it, and later ``partial_fit``
        calls and warm starts keep it, so a stream whose first batch is
        short reads longer sequences later in more LSTM steps than the rule
        gives. Set 1 to read every step on its own, as ``torch.nn.LSTM``
        does; also where the recurrence itself matters: a sequence read as
        one patch is one LSTM step, whose previous state is zero, so that
        ``R``, ``forget_bias``, ``recurrent_dropout`` (whose masks still
        draw from the random stream), ``coupled_gates`` and the ``"NFG"``
        and ``"FGR"`` variants change nothing the cell computes, and both
        directions of a ``bidirectional`` layer read the same values. No
        gradient of the loss reaches ``R`` or the forget gate's weights of
        a model fitted so (the penalty only shrinks them), and it reads
        longer sequences at predict through them. Both warn
        (:class:`~sklstm.exceptions.NoRecurrenceWarning`).

    peephole : bool, default=False
        Add peephole connections: the input and forget gates see the
        previous cell state, the output gate the current one (Greff et al.).

    coupled_gates : bool, default=False
        Couple the input and forget gates, ``f = 1 - i`` (CIFG).

    gate_variant : {None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"}, default=None
        A variant of Greff et al., *LSTM: A Search Space Odyssey* (2017):
        no input gate (``"NIG"``, i = 1), no forget gate (``"NFG"``, f = 1),
        no output gate (``"NOG"``, o = 1), no input activation (``"NIAF"``,
        g(x) = x), no output activation (``"NOAF"``, h = o c), or full gate
        recurrence (``"FGR"``: every gate also reads the previous step's i,
        f and o through nine more (H, H) matrices). The paper's other
        variants are ``peephole=False`` (NP, the default) and
        ``coupled_gates=True`` (CIFG). Peepholes combine with every variant,
        the coupled gate with all but NIG and NFG.

    bidirectional : bool, default=False
        Run each layer forward and backward in time and concatenate the two
        outputs (2H units, read by the next layer and the output layer).
        Many-to-one reads the forward direction at each sequence's last
        real step and the backward direction after step 0, as PyTorch does.

    dropout : float in [0, 1), default=0.0
        Fraction of each layer's inputs dropped in training (Keras's
        ``dropout``), with one mask per sequence for all its steps
        (variational dropout, Gal & Ghahramani 2016) and kept units scaled
        by ``1 / (1 - dropout)``, so prediction uses the full network
        unchanged. Masks are drawn from ``random_state``. Stochastic solvers
        only: the scipy methods need a deterministic loss. The training loss
        that ``tol`` and ``n_iter_no_change`` watch is then the dropped-out
        network's, and noisier: a fit may stop early on a lucky epoch. Raise
        ``n_iter_no_change``, or set ``early_stopping=True``, whose
        validation loss is the whole network's.

    recurrent_dropout : float in [0, 1), default=0.0
        Fraction of the recurrent state ``h_{t-1}`` dropped where the gates
        read it, in training (Keras's ``recurrent_dropout``); as ``dropout``
        otherwise.

    forget_bias : float, default=1.0
        Initial bias of the forget gate (Jozefowicz et al., 2015). Without
        a forget gate (``gate_variant="NFG"``) there is no such bias: it
        changes nothing.

    solver : str, default="adam"
        ``"adam"`` or ``"sgd"`` train on mini-batches. ``"lbfgs"`` and any
        gradient-based method of :func:`scipy.optimize.minimize` that needs
        no full Hessian matrix (``"L-BFGS-B"``, ``"BFGS"``, ``"CG"``,
        ``"Newton-CG"``, ``"TNC"``, ``"SLSQP"``, ``"trust-constr"``,
        ``"trust-ncg"``, ``"trust-krylov"``; not ``"trust-exact"`` or
        ``"dogleg"``) train on the full batch, whose loss and gradient are
        computed over chunks of samples within scikit-learn's
        ``working_memory``.

    alpha : float, default=1e-4
        Strength of the L2 penalty on all weights (not the biases). The
        objective adds ``alpha / (2 W)`` times their sum of squares to the
        weighted mean loss, ``W`` the sum of the samples' weights
        (``sample_weight``, times the classifier's ``class_weight``), as
        ``MLPRegressor`` does: scaling every weight by c divides the penalty
        by c.

    batch_size : int or "auto", default="auto"
        Largest mini-batch of the stochastic solvers; ``"auto"`` is 64, chosen
        by measurement on real data together with the default
        ``learning_rate_init`` (MLP's 200 gives small training sets too few
        steps per epoch). Each
        epoch splits the samples into ``ceil(n_samples / batch_size)``
        batches of near-equal size, so that 67 samples in batches of at
        most 32 make 22, 22 and 23, not 32, 32 and 3: a small remainder's
        noisy step would stop small fits early.

    learning_rate : {"constant", "invscaling", "adaptive"}, default="constant"
        Learning-rate schedule of ``solver="sgd"``, as in MLPRegressor.

    learning_rate_init : float, default=2e-3
        Initial learning rate of the stochastic solvers.

    power_t : float, default=0.5
        Exponent of the ``"invscaling"`` schedule.

    max_iter : int, default=200
        Epochs of the stochastic solvers; iterations of scipy's methods.

    shuffle : bool, default=True
        Shuffle the samples each epoch (stochastic solvers).

    random_state : int, RandomState instance or None, default=None
        Seeds the initial weights, the shuffling, the validation split and
        the dropout masks. An int gives the same model at every fit. A
        RandomState instance is drawn from, so a second fit differs from
        the first; ``clone`` copies it, so the clones of a search or
        cross-validation all start from the same draw (scikit-learn's
        "Controlling randomness" explains the choice).

    tol : float, default=1e-4
        Stochastic solvers stop when the loss (or validation loss) has not
        improved by at least ``tol`` for more than ``n_iter_no_change``
        consecutive epochs, as scikit-learn's MLP does; scipy
        methods receive it as their gradient tolerance ``gtol`` (``xtol``
        for Newton-CG, ``ftol`` for SLSQP).

    verbose : bool or int, default=False
        Print one line per epoch (or scipy iteration).

    warm_start : bool, default=False
        Continue training from the weights in ``coefs_``, ``out_coef_`` and
        ``out_intercept_``, whatever put them there, with a new optimizer
        (so the current ``learning_rate_init`` etc. apply, and the stopping
        rule compares its epochs with each other, not with the earlier
        fits' best loss; ``partial_fit`` instead continues its optimizer's
        state, and counts epochs without improvement on ``best_loss_``, the
        lowest loss of all calls). A classifier's ``y`` must
        then hold exactly the classes of ``classes_``, as with
        ``MLPClassifier`` (``partial_fit``'s batches may hold some).

    momentum : float, default=0.9
        Momentum of ``solver="sgd"``.

    nesterovs_momentum : bool, default=True
        Use Nesterov's momentum with ``solver="sgd"``.

{EARLY_STOPPING_DOC}
    validation_fraction : float, default=0.1
        Fraction of samples held out for early stopping.

    validation_split : {"tail", "shuffle", "stratified" (classifiers)}, default="tail"
        Which samples ``early_stopping=True`` holds out: the last ones (time
        order kept, for windows cut from one series), a random subset, or a
        random subset stratified by class (classifiers only: regressors
        refuse it). A classifier refuses "tail" where ``y`` is ordered by
        class (each class one run of samples, as sktime's loaders give UCR/UEA
        sets) and the tail lacks classes: its loss would stop training at a
        model of the last ones. "tail" leaves no gap: the last ``horizon - 1`` training
        windows of a series share targets with the first held-out ones,
        which makes the validation loss a little optimistic; only the
        stopping epoch depends on it.

    beta_1, beta_2, epsilon : float, default=0.9, 0.999, 1e-8
        Adam's moment decay rates and numerical stabiliser.

    n_iter_no_change : int or np.inf, default=10
        Epochs without improvement of at least ``tol`` that are tolerated:
        training stops at the next one (``n_iter_no_change + 1`` in a row);
        ``np.inf`` runs all ``max_iter`` epochs.

    max_fun : int, default=15000
        Maximum loss evaluations of the scipy methods that count them
        (``L-BFGS-B``, ``TNC``). TNC holds it in a C int: at most 2**31 - 1
        (as ``max_iter`` with SLSQP).

    clip_norm : float or None, default=None
        Rescale each mini-batch gradient to at most this L2 norm, against
        exploding gradients (stochastic solvers).

    solver_options : dict or None, default=None
        Passed to ``scipy.optimize.minimize(options=...)``; overrides the
        options derived from ``tol``, ``max_iter`` and ``max_fun``
        (``max_iter`` still caps the iterations). scipy solvers only: with
        ``"adam"`` or ``"sgd"``, whose settings are the estimator's own
        parameters, a non-empty dict is refused with a ValueError (as
        ``dropout`` is with the scipy solvers). A name that no method of
        ``minimize`` knows (a misspelling such as ``max_iter``), or that the
        chosen method does not take (BFGS's ``maxcor``, TNC's ``maxiter``),
        is refused with a ValueError naming the methods that take it, where
        scipy would only warn and ignore it (or fail, in trust-constr). The
        chosen method's options are checked before scipy runs, by rules read
        from scipy's source: a value scipy would take and then not train
        with, or fail on deep inside its code, is refused with a TypeError
        or ValueError naming the option and the method. Counts are ints
        >= 1, at most 2**31 - 1 where scipy's C or Fortran code holds them
        (``maxcor``, ``maxls``, TNC's ``maxfun`` and ``maxCGit``, SLSQP's
        ``maxiter``); numbers are finite; tolerances >= 0 (in TNC a negative
        one asks for its default); trust radii > 0 (``max_trust_radius`` is
        a number, not a count; trust-constr's ``initial_tr_radius`` at most
        1e154 and above ``xtol``); the ``norm`` of BFGS and CG in [1, 20] or
        inf (higher orders underflow to 0, read as converged). Options that
        do nothing here are refused too: those of finite-difference
        gradients (``eps``, ``finite_diff_rel_step``, ``workers``), of
        constraints (trust-constr's ``initial_constr_penalty``,
        ``barrier_tol``, ...) and ``return_all``. The line search's ``c1``
        must be below its ``c2`` (given or scipy's default). What scipy
        refuses itself (``initial_trust_radius >= max_trust_radius``) is a
        ValueError naming the method and ``solver_options``.

    standardize : bool, default=True
        Standardise each input channel with the mean and standard deviation
        of the real (unpadded) steps seen in ``fit`` (weighted by
        ``sample_weight``). scikit-learn's scalers reject 3-D input. Data in
        any units train alike, 1e-15 or 1e300. A channel whose deviations
        are within rounding of its largest value is centred and divided by
        that value, so that its rounding stays rounding; an exactly constant
        one is centred only.
        ``warm_start`` and ``partial_fit`` keep the statistics of the first
        fit, also when ``standardize`` has changed since: the weights were
        learnt on inputs scaled by them.

    n_channels : int, default=1
        Channels held by each row of 2-D ``X``. Each row of a 2-D ``X`` is one
        sequence; with several channels its columns hold equal-length blocks.{ONE_STEP_ROWS}

    column_order : {"time_major", "channel_major"}, default="time_major"
        Layout of the channel blocks of 2-D ``X``: ``[x0(t0), x1(t0), x0(t1),
        ...]`` or ``[x0(t0), x0(t1), ..., x1(t0), ...]``.

    newest_first : bool, default=False
        Whether the columns of 2-D ``X`` run from the newest step to the
        oldest (skforecast's ``lag_1, lag_2, ...``) instead of oldest first
        (sktime's ``make_reduction``, ``DataFrame.shift``).

    n_exog : int, default=0
        Trailing columns of 2-D ``X`` that hold exogenous values of the
        predicted step rather than lags, as in skforecast's rows ``lag_1 ..
        lag_p, exog_1 .. exog_m`` (with ``newest_first=True``, ``n_exog=m``).
        Each becomes one more input channel that holds its value at every
        step. Fitting on a DataFrame whose columns are named as lags (of one
        variable or several) but read in another layout (``n_channels``,
        ``column_order``, ``newest_first``, ``n_exog``) gives a
        ``DataLayoutWarning`` saying what to pass, or that no layout reads
        them.

    data_format : {"channels_last", "channels_first"} or None, default=None
        Axis order of 3-D ``X`` and of the 2-D arrays of a list:
        ``(n_samples, n_timesteps, n_channels)`` (Keras, tslearn) or
        ``(n_samples, n_channels, n_timesteps)`` (sktime's numpy3D, PyTorch's
        Conv1d). None reads channels last and gives a ``DataLayoutWarning``
        when a 3-D ``X`` has more than twice as many channels as steps, the
        usual sign of a channels-first array; ``"channels_last"`` declares
        the layout and silences it. A 2-D table's columns are read by
        ``n_channels`` and ``column_order``, not by ``data_format``:
        ``"channels_first"`` with several channels in time-major blocks
        (``n_channels > 1``, ``column_order="time_major"``) is refused at
        fit (sktime's flattened panels are ``n_channels=C,
        column_order="channel_major"``). Sequences
        fitted with a table layout declared (``n_channels`` or ``n_exog``
        not at their defaults; tables are then read as declared) must hold
        ``n_channels + n_exog`` channels.{PER_STEP_LAYOUT}
""".replace("{ONE_STEP_ROWS}", ONE_STEP_ROWS).replace("{PER_STEP_LAYOUT}", PER_STEP_LAYOUT).replace(
    "{EARLY_STOPPING_DOC}", EARLY_STOPPING_DOC)

_POSITIVE = Interval(numbers.Real, 0, None, closed="neither")
_NON_NEGATIVE = Interval(numbers.Real, 0, None)
_COUNT = Interval(numbers.Integral, 1, None)

# The parameter checks, beside the parameter docs. hidden_layer_sizes (a
# sequence of ints) and solver's value (any scipy method name) are checked
# where a table cannot: BaseLSTM._hidden_sizes and resolve_scipy_method.
PARAMETER_CONSTRAINTS = {
    "return_sequences": [BOOLEAN],
    "peephole": [BOOLEAN],
    "coupled_gates": [BOOLEAN],
    "gate_variant": [None, Options(str, GATE_VARIANTS[1:])],
    "bidirectional": [BOOLEAN],
    "patch_length": [Options(str, {"auto"}), Interval(numbers.Integral, 1, None)],
    "dropout": [Interval(numbers.Real, 0, 1, closed="left")],
    "recurrent_dropout": [Interval(numbers.Real, 0, 1, closed="left")],
    "forget_bias": [Interval(numbers.Real)],
    "solver": [str],
    "alpha": [_NON_NEGATIVE],
    "batch_size": [Options(str, {"auto"}), _COUNT],
    "learning_rate": [Options(str, ("constant", "invscaling", "adaptive"))],
    "learning_rate_init": [_POSITIVE],
    "power_t": [_NON_NEGATIVE],
    "max_iter": [_COUNT],
    "shuffle": [BOOLEAN],
    "random_state": RANDOM_STATE,
    "tol": [_NON_NEGATIVE],
    "verbose": [BOOLEAN, Interval(numbers.Integral)],
    "warm_start": [BOOLEAN],
    "momentum": [Interval(numbers.Real, 0, 1)],
    "nesterovs_momentum": [BOOLEAN],
    "early_stopping": [BOOLEAN],
    "validation_fraction": [Interval(numbers.Real, 0, 1, closed="neither")],
    "validation_split": [Options(str, ("tail", "shuffle", "stratified"))],
    "beta_1": [Interval(numbers.Real, 0, 1, closed="left")],
    "beta_2": [Interval(numbers.Real, 0, 1, closed="left")],
    "epsilon": [_POSITIVE],
    # np.inf, as in MLPRegressor: never stop for want of improvement.
    "n_iter_no_change": [_COUNT, Options(float, (math.inf,))],
    "max_fun": [_COUNT],
    "clip_norm": [None, _POSITIVE],
    "solver_options": [None, dict],
    "standardize": [BOOLEAN],
    "n_channels": [_COUNT],
    "column_order": [Options(str, COLUMN_ORDERS)],
    "newest_first": [BOOLEAN],
    "n_exog": [Interval(numbers.Integral, 0, None)],
    "data_format": [None, Options(str, DATA_FORMATS)],
}


def _a_number(value):
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def _fraction_hint(value):
    """What Keras's numeric validation_split=``value`` is here."""
    if 0 < value < 1:
        kept = (f"validation_fraction={value!r} here, with early_stopping=True")
    elif value == 0:
        kept = "early_stopping=False here (nothing held out)"
    else:
        kept = "validation_fraction here, a number > 0 and < 1"
    return (f" Keras's validation_split={value!r} is {kept}; validation_split chooses which "
            "samples are held out.")


# What a refused value means where users come from (Keras, PyTorch), and the
# parameter that holds that meaning here: name -> value -> advice, or "".
PARAMETER_HINTS = {
    "validation_split": lambda value: _fraction_hint(value) if _a_number(value) else "",
    "learning_rate": lambda value: (
        f" The step size is learning_rate_init={value!r}; learning_rate is its "
        "schedule, as in MLPRegressor." if _a_number(value) else ""),
    "loss": lambda value: {
        "mse": " The mean squared error is loss='squared_error'.",
        "mean_squared_error": " The mean squared error is loss='squared_error'.",
        "mae": " The absolute error is loss='quantile' with quantiles=(0.5,).",
        "mean_absolute_error": " The absolute error is loss='quantile' with quantiles=(0.5,).",
        "pinball": " The pinball loss is loss='quantile'.",
    }.get(value.lower() if isinstance(value, str) else None, ""),
}

# The weight layout of the variants and of two directions, which
# LSTMEncoderDecoderRegressor (neither) leaves out of its docstring.
VARIANT_WEIGHTS_DOC = """
        A ``gate_variant`` without a gate drops its block and its row of
        ``p``: NIG has blocks f, g, o; NFG i, g, o; NOG i, f, g (i, g with
        coupled gates); ``p`` has one row per remaining sigmoid gate, in the
        order i, f, o. FGR adds ``Rg`` (3H, 3H) (2H with coupled gates):
        rows the previous step's i, f, o, columns the gates i, f, o they
        feed. Bidirectional models hold two dicts per layer, the forward
        direction first: ``coefs_[2k + 1]`` is PyTorch's ``*_l{k}_reverse``,
        and layer ``k > 0`` reads ``2 H`` inputs, forward units first."""

ATTRIBUTES_DOC = """
    coefs_ : list of dict
        One dict per LSTM layer with ``W`` (n_in, 4H), ``R`` (H, 4H), ``b``
        (4H,) and, with peepholes, ``p`` (3, H); gate blocks in the order
        i, f, g, o (i, g, o and ``p`` of shape (2, H) with coupled gates).
        ``W``, ``R`` are PyTorch's ``weight_ih_l{k}.T``, ``weight_hh_l{k}.T``
        and ``b`` is ``bias_ih_l{k} + bias_hh_l{k}``.{VARIANT_WEIGHTS_DOC}

    out_coef_ : ndarray of shape (D * H_last, n_logits)
        Weights of the dense output layer. ``n_logits`` is ``n_outputs_``;
        the regressor's with ``loss="quantile"``, times ``len(quantiles_)``
        (each output's quantiles side by side, in the order of ``quantiles_``).

    out_intercept_ : ndarray of shape (n_logits,)
        Bias of the dense output layer.

    patch_length_ : int
        Time steps the LSTM reads as one step (see ``patch_length``); the
        first layer's ``W`` has ``patch_length_ * n_channels`` rows.

    input_mean_, input_scale_ : ndarray of shape (n_channels,)
        Per-channel standardisation (zeros and ones when the first fit had
        ``standardize=False``).

    loss_ : float
        Training loss at the end of the last epoch or iteration: with the
        scipy solvers the objective at the final weights; with ``"adam"``
        and ``"sgd"`` the mean of the epoch's mini-batch objectives
        (weighted by their samples' weights), each taken before its step
        and with its own penalty, ``alpha / (2 W)`` of its batch.

    best_loss_ : float
        Lowest training loss reached; ``inf`` where held-out samples chose
        an earlier epoch's weights (``early_stopping``), whose loss on all
        the samples no epoch measured: ``partial_fit`` then counts epochs
        without improvement from its own first one.

    loss_curve_ : list of float
        Training loss of each epoch (or scipy iteration), as ``loss_``.

    validation_loss_curve_, validation_scores_ : list of float
        Validation loss (without the L2 penalty) and score of each epoch
        of a fit that held samples out (``early_stopping``); empty lists
        without. They cover the last call alone: a warm start holds its
        validation samples out again and starts them anew, and
        ``partial_fit``, which holds none out, leaves them empty (with
        ``best_validation_loss_`` None), where ``loss_curve_`` goes on.

    best_validation_loss_ : float or None
        Lowest validation loss, whose weights were restored (the epoch of
        the smallest entry of ``validation_loss_curve_``, NaN counting as
        infinite); None when no samples were held out.

    best_validation_score_ : float or None
        The validation score of that epoch (of ``validation_scores_``),
        named as MLP names its best score (MLP keeps the weights of the best
        score, sklstm those of the lowest loss); None when no samples were
        held out.

    n_iter_ : int
        Epochs (or scipy iterations) run, counted over ``warm_start`` fits
        and ``partial_fit`` calls, as ``loss_curve_`` is (``MLPRegressor``
        restarts its count at each warm-started fit).

    t_ : int
        Training samples seen by the stochastic solvers.

    n_features_in_ : int
        Columns of 2-D ``X``, or channels of 3-D or ragged ``X``, seen in ``fit``.

    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names, when ``X`` was a DataFrame with string column names,
        or a list of such DataFrames (one per sequence, their columns the
        channels).

    n_outputs_ : int
        Outputs per sequence (per step with ``return_sequences=True``): the
        regressor's target columns; the classifier's logits (1 for two
        classes, one per class or label otherwise).
""".replace("{VARIANT_WEIGHTS_DOC}", VARIANT_WEIGHTS_DOC)
