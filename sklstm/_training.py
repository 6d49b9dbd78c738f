"""The fit loops, told in short named steps, and the training record.

:func:`fit_stochastic` runs SGD or Adam on mini-batches::

    fit_stochastic -> _run_epoch -> _batch_step -> loss_and_grad
                   -> _validate (early stopping)
                   -> NoImprovement.update, _should_stop

:func:`fit_scipy` runs any gradient method of ``scipy.optimize.minimize`` on
the full batch. Both update a :class:`TrainingRecord`, whose
:meth:`~TrainingRecord.attributes` are the estimator's MLP-style fitted
attributes (``loss_curve_``, ``best_loss_``, ...). The loops never touch the
estimator: they read its hyper-parameters and return new weights.
"""

import numbers
import time
from dataclasses import dataclass, field

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from ._loss import (
    constant_loss, full_batch_loss_and_grad, loss_and_grad, sequence_loss, training_masks,
)
from ._checks import largest_magnitude
from ._lstm import GateInputOverflow
from ._param_validation import Interval, Options, validate_params
from ._scaling import unit_exponents
from ._optimizers import (
    AdamOptimizer, SGDOptimizer, SolverFailed, clip_gradient, copy_optimizer, run_scipy_minimize,
)
from ._warnings import warn
from .exceptions import IterationLimitWarning

__all__ = [
    "TrainingData", "TrainingRecord", "NoImprovement", "batch_bounds", "fit_stochastic",
    "fit_scipy",
]

# batch_size="auto" of LSTMRegressor and LSTMClassifier, with their
# learning_rate_init of 2e-3. Chosen by 3-fold cross-validation on the
# training parts of benchmarks/bench_realdata.py's sets: 32 beat MLP's 200 on
# OSULeaf, digits and Tecator (small batches give small training sets many
# more Adam steps per epoch); 64 at twice the rate then tied 32 on three
# seeds, in up to half the time.
AUTO_BATCH_SIZE = 64
# batch_size="auto" of the encoder-decoder, chosen on its own benchmark
# (bench_future_covariates.py) with learning_rate_init=1e-3.
ENCODER_DECODER_AUTO_BATCH_SIZE = 32

# What a warning at the iteration cap advises: the inputs and targets are
# already standardised by default, so scaling is rarely the remedy.
_AT_THE_CAP = (
    "Increase {cap}, or filter sklstm.exceptions.IterationLimitWarning where the "
    "cap is deliberate."
)

def _warn_at_the_cap(message, cap="max_iter"):
    """An IterationLimitWarning, which a caller that chose the cap silences
    with ``silenced(IterationLimitWarning)`` (:mod:`sklstm._warnings`).
    ``cap`` names the setting that stopped the solver."""
    warn(f"{message} {_AT_THE_CAP.format(cap=cap)}", IterationLimitWarning)


# A stochastic fit whose last epoch's loss exceeds its reference by this
# factor has diverged, even if every value stayed finite (see
# _refuse_if_loss_exploded).
_DIVERGENCE_FACTOR = 10.0
_DIVERGENCE_ADVICE = (
    "Lower learning_rate_init, set clip_norm, or keep standardize=True (and, for a "
    "regressor, scale_targets=True)."
)


def _finite_numbers(values):
    """Whether every item of ``values`` is a finite real number (not a bool).

    Python floats, as a fit records them, are checked in one pass of NumPy
    (a streamed model's curve grows by an epoch at every ``partial_fit``,
    which checks it); other items one at a time.
    """
    if all(type(v) is float for v in values):
        return bool(np.isfinite(np.array(values, dtype=float)).all())
    return all(
        isinstance(v, numbers.Real) and not isinstance(v, bool) and np.isfinite(v)
        for v in values
    )


@dataclass(frozen=True)
class TrainingData:
    """Samples to train or validate on, in the internal form.

    Attributes
    ----------
    seqs : Sequences
        Standardised sequences, values of shape (n_samples, n_timesteps, n_channels).
    Y : ndarray of shape (n_samples, n_outputs) or (n_samples, n_timesteps, n_outputs)
        Encoded targets.
    sample_weight : ndarray of shape (n_samples,) or None
    """

    seqs: object
    Y: np.ndarray
    sample_weight: np.ndarray | None

    def take(self, indices):
        """The samples at ``indices`` (an index array or a slice)."""
        sw = self.sample_weight
        return TrainingData(
            self.seqs.take(indices), self.Y[indices], None if sw is None else sw[indices]
        )


@dataclass
class TrainingRecord:
    """The history of a model's training, across warm starts and partial_fit calls.

    Attributes
    ----------
    loss_curve : list of float
        Training loss of each epoch (or scipy iteration).
    validation_loss_curve, validation_scores : list of float
        Validation loss and score of each epoch of this call (early stopping).
    n_iter : int
        Epochs (or scipy iterations) run.
    t : int
        Training samples seen by the stochastic solvers.
    loss : float or None
        Training loss of the last epoch.
    best_loss : float
        Lowest training loss reached.
    best_validation_loss : float or None
        Lowest validation loss of this call.
    no_improvement : int
        Epochs in a row without improvement, continued by ``partial_fit``.
    optimizer : SGDOptimizer, AdamOptimizer or None
        The stochastic optimizer's state, continued by ``partial_fit``.
    """

    loss_curve: list = field(default_factory=list)
    validation_loss_curve: list = field(default_factory=list)
    validation_scores: list = field(default_factory=list)
    n_iter: int = 0
    t: int = 0
    loss: float | None = None
    best_loss: float = np.inf
    best_validation_loss: float | None = None
    no_improvement: int = 0
    optimizer: object = None

    @classmethod
    def resume(cls, fitted, *, incremental):
        """The record to continue from a model's fitted attributes ``fitted`` (a dict).

        The history carries over; the validation curves start anew with each
        call; the optimizer and the no-improvement count only carry over to
        ``partial_fit`` (``incremental``), so a warm-started fit applies the
        current ``learning_rate_init`` etc., as in scikit-learn.
        """
        if "loss_curve_" not in fitted:
            return cls()
        return cls(
            loss_curve=list(fitted["loss_curve_"]),
            n_iter=fitted["n_iter_"],
            t=fitted["t_"],
            loss=fitted["loss_"],
            best_loss=fitted["best_loss_"],
            no_improvement=fitted.get("_no_improvement_count", 0) if incremental else 0,
            optimizer=fitted.get("_optimizer") if incremental else None,
        )

    @staticmethod
    def check_attributes(fitted):
        """Raise unless the training attributes in ``fitted`` (a model's
        ``vars``, perhaps loaded from a damaged file) can be resumed."""
        if "loss_curve_" not in fitted:
            return
        count = [Interval(numbers.Integral, 0, None)]
        loss = [Interval(numbers.Real), Options(float, [np.inf])]
        validate_params(
            {name: fitted.get(name) for name in ("n_iter_", "t_", "loss_", "best_loss_")}
            | {"_no_improvement_count": fitted.get("_no_improvement_count", 0)},
            {"n_iter_": count, "t_": count, "loss_": [None, *loss], "best_loss_": loss,
             "_no_improvement_count": count},
            "the training record",
        )
        curve = fitted["loss_curve_"]
        if not isinstance(curve, (list, tuple)) or not _finite_numbers(curve):
            raise TypeError("loss_curve_ must be a list of finite numbers, one per epoch.")
        rng = fitted.get("_rng")
        if rng is not None and not isinstance(rng, np.random.RandomState):
            # partial_fit and warm starts draw their shuffles and masks from it.
            raise TypeError(f"_rng must be a numpy RandomState, got {type(rng).__name__}.")

    def end_epoch(self, loss, n_samples):
        """Book one finished epoch of ``n_samples`` samples with mean loss ``loss``."""
        self.n_iter += 1
        self.t += n_samples
        self.loss = loss
        self.loss_curve.append(loss)

    def attributes(self):
        """The record as the estimator's fitted attributes (names as in MLP)."""
        attributes = {
            "loss_curve_": self.loss_curve,
            "validation_loss_curve_": self.validation_loss_curve,
            "validation_scores_": self.validation_scores,
            "best_validation_loss_": self.best_validation_loss,
            "loss_": self.loss,
            "best_loss_": self.best_loss,
            "n_iter_": self.n_iter,
            "t_": self.t,
        }
        if self.optimizer is not None:
            attributes["_optimizer"] = self.optimizer
            attributes["_no_improvement_count"] = self.no_improvement
        return attributes


@dataclass
class NoImprovement:
    """Counts epochs in a row whose value did not improve on the best by ``tol``.

    One tracker serves the training loss and the validation loss. They differ
    only at a tie, as in MLP: a training loss exactly ``tol`` below the best
    counts as an improvement (``ties_improve``), a validation loss does not.
    ``best=None`` means that any first value improves.
    """

    tol: float
    ties_improve: bool
    best: float | None = None
    count: int = 0

    def update(self, value):
        """Count ``value``; return whether it is a new best (by any margin)."""
        if self.best is None:
            improved = True
        elif self.ties_improve:
            improved = value <= self.best - self.tol
        else:
            improved = value < self.best - self.tol
        self.count = 0 if improved else self.count + 1
        new_best = self.best is None or value < self.best
        if new_best:
            self.best = value
        return new_best


def _print(settings, msg):
    if settings.verbose:
        print(msg, flush=True)


def _make_optimizer(settings, theta, previous, time_step):
    """Continue ``previous`` (a copy) if it fits the solver and size, else
    start anew; either way with the estimator's current hyper-parameters
    (``set_params`` between ``partial_fit`` calls takes effect, at the
    samples seen so far, ``time_step``, for a decaying rate)."""
    if settings.solver == "adam":
        cls, hyperparameters = AdamOptimizer, dict(
            learning_rate_init=settings.learning_rate_init, beta_1=settings.beta_1,
            beta_2=settings.beta_2, epsilon=settings.epsilon)
    else:
        cls, hyperparameters = SGDOptimizer, dict(
            learning_rate_init=settings.learning_rate_init, lr_schedule=settings.learning_rate,
            momentum=settings.momentum, nesterov=settings.nesterovs_momentum,
            power_t=settings.power_t)
    if previous is not None and previous.__class__ is cls and previous.n_params == theta.size:
        # In the weights' dtype: weights set by hand in the other float dtype
        # may meet the fit's moments.
        optimizer = copy_optimizer(previous, theta.dtype)
        optimizer.retune(**hyperparameters, time_step=time_step)
        return optimizer
    return cls(theta.size, dtype=theta.dtype, **hyperparameters)


def _batch_step(theta, optimizer, batch, network, objective, rng, settings):
    """One optimizer step on ``batch``, updating ``theta`` in place.

    With dropout, the step draws the batch's masks from ``rng``.
    Returns ``(loss, weight)``, or None when the loss or gradient is non-finite.
    """
    sw = batch.sample_weight
    weight = float(batch.seqs.n_samples if sw is None else sw.sum())
    if weight <= 0:
        return 0.0, 0.0  # only zero-weight samples: nothing to learn from
    seqs = batch.seqs
    masks = training_masks(
        network, seqs.n_samples, settings.dropout, settings.recurrent_dropout, rng,
        seqs.values.dtype,
    )
    loss, grad = loss_and_grad(
        theta, seqs.values, batch.Y, seqs.lengths, sw, network, objective, masks
    )
    if not (np.isfinite(loss) and np.all(np.isfinite(grad))):
        return None
    clip_gradient(grad, settings.clip_norm)
    optimizer.update_params(theta, grad)
    return loss, weight


def batch_bounds(n_samples, batch_size):
    """The mini-batches of one epoch, as ``(begin, end)`` pairs.

    ``ceil(n_samples / batch_size)`` batches of near-equal size (they differ
    by at most one sample, none exceeds ``batch_size``), not full batches
    and a remainder: a remainder of a few samples takes as large an Adam
    step as a full batch on a much noisier gradient, and on small training
    sets its noise in the epoch loss stopped fits early (67 samples in
    batches of 32, 32 and 3; ``benchmarks/bench_realdata.py``).

    Returns
    -------
    bounds : list of (int, int)
        Consecutive, covering ``[0, n_samples)``.
    """
    if n_samples < 1 or batch_size < 1:
        raise ValueError(
            f"batch_bounds needs n_samples >= 1 and batch_size >= 1, got {n_samples} and "
            f"{batch_size}."
        )
    n_batches = -(-n_samples // batch_size)
    edges = [n_samples * k // n_batches for k in range(n_batches + 1)]
    return list(zip(edges[:-1], edges[1:]))


def batch_size_of(settings):
    """The largest mini-batch of the estimator ``settings``, ``"auto"`` resolved."""
    return settings._auto_batch_size if settings.batch_size == "auto" else settings.batch_size


def _run_epoch(theta, optimizer, data, network, objective, rng, settings):
    """One pass over ``data`` in mini-batches, updating ``theta`` in place.

    Returns ``(epoch_loss, first_loss)``: the epoch's weighted mean batch
    loss, and the loss of its first batch, taken at the weights the epoch
    started from; or None if training diverged.
    """
    n = data.seqs.n_samples
    batch_size = batch_size_of(settings)
    order = rng.permutation(n) if settings.shuffle else None
    total_loss, total_weight, first_loss = 0.0, 0.0, None
    # Batch weights in units of a power of two above the epoch's: exact, and
    # weights near the largest float no longer overflow the sums (see
    # sklstm._loss.unit_scaled).
    weight_exponent = unit_exponents(np.asarray(
        n if data.sample_weight is None else np.sum(data.sample_weight, dtype=np.float64)))
    # Overflow is expected when training diverges; it is detected here and
    # reported once, as an error or a ConvergenceWarning.
    with np.errstate(over="ignore", invalid="ignore"):
        for begin, end in batch_bounds(n, batch_size):
            idx = slice(begin, end) if order is None else order[begin:end]
            step = _batch_step(theta, optimizer, data.take(idx), network, objective, rng, settings)
            if step is None:
                return None
            first_loss = step[0] if first_loss is None else first_loss
            weight = np.ldexp(step[1], -weight_exponent)
            total_loss += step[0] * weight
            total_weight += weight
    # A moment overflowed to inf under finite weights (squares of huge
    # gradients, from tiny sample weights or a huge alpha) is divergence too:
    # the model could neither continue, predict nor be saved. So, defensively,
    # is an epoch loss that rounded to inf (batch losses at the largest float;
    # their weights sum below 1): loss_curve_ must stay finite.
    epoch_loss = float(total_loss / total_weight)  # a Python float, as recorded
    if not (np.isfinite(epoch_loss)
            and all(np.isfinite(a).all() for a in (theta, *optimizer.moments().values()))):
        return None
    return epoch_loss, first_loss


def _validate(theta, data, network, objective, score):
    """Validation loss (without the penalty) and score of the weights ``theta``;
    both NaN where the weights have diverged, as the training pass reads it:
    non-finite logits, or gate inputs that may overflow (the held-out values
    were checked at the starting weights, see :func:`fit_stochastic`)."""
    try:
        z, loss = _logits_and_loss(theta, data, network, objective)
    except GateInputOverflow:  # weights grown past the dtype during training
        return np.nan, np.nan
    if not np.isfinite(z).all():  # scikit-learn's scores refuse NaN
        return np.nan, np.nan
    with np.errstate(over="ignore", invalid="ignore"):
        return loss, score(z, data.Y, data.seqs, data.sample_weight)


def _logits_and_loss(theta, data, network, objective):
    """Logits of ``theta`` on all of ``data`` and their loss, without the
    penalty or dropout (a forward pass only, no backward cache)."""
    seqs = data.seqs
    with np.errstate(over="ignore", invalid="ignore"):
        z = network.predict(theta, seqs.values, seqs.lengths)
        return z, sequence_loss(z, data.Y, seqs.lengths, data.sample_weight, objective)


def _should_stop(tracker, optimizer, settings, what):
    """Whether epochs without improvement end training: more than
    ``n_iter_no_change`` in a row, as scikit-learn's MLP counts them."""
    if tracker.count <= settings.n_iter_no_change:
        return False
    msg = (
        f"{what} did not improve more than tol={settings.tol} for "
        f"{settings.n_iter_no_change} consecutive epochs."
    )
    if optimizer.trigger_stopping(msg, settings.verbose):
        return True
    tracker.count = 0  # the adaptive schedule lowered the rate: try again
    return False


def _penalty_advice(objective, data):
    """Advice naming the L2 penalty when it outweighs the data, else "".

    The penalty is alpha / sum(sample_weight) times half the squared
    weights, and the data loss is of order one (in standardised units for
    regressors). With that factor above 1 the penalty dominates, and is what
    a failed solver most likely fought; tiny sample weights make it so.
    """
    sw = data.sample_weight
    total = data.seqs.n_samples if sw is None else float(np.sum(sw))
    factor = objective.alpha / total
    if not factor > 1:
        return ""
    if sw is None:
        return (f" The L2 penalty's factor alpha / n_samples is {factor:.3g}: it outweighs "
                "the data; lower alpha.")
    return (f" The L2 penalty's factor alpha / sum(sample_weight) is {factor:.3g} "
            f"(sample_weight sums to {total:.3g}): it outweighs the data; scale sample_weight "
            "up (for example to a mean of 1) or lower alpha.")


def _divergence_report(epoch, n_iter, advice, kept):
    """Raise if the first epoch diverged; else return the report that
    training stopped early, keeping the weights of epoch ``kept`` (``n_iter``,
    the last one completed, unless held-out samples chose an earlier one),
    for :func:`_warn_of_the_end` to warn of."""
    if epoch == 0:
        raise ValueError(
            "Training diverged: the loss, the weights or the optimizer's moments became "
            f"non-finite in the first epoch of this call. The model was left unchanged. {advice}"
        )
    return (f"Training diverged in epoch {n_iter + 1}: the loss, the weights or the "
            f"optimizer's moments became non-finite. Stopped and kept the weights of epoch "
            f"{kept}{'' if kept == n_iter else ' (the lowest validation loss)'}.")


def _refuse_if_loss_exploded(curve, first_epoch, start_loss, advice, kept_earlier,
                             incremental, report=True, end_loss=None):
    """Raise when a fit's last loss exceeds its reference (below) by
    ``_DIVERGENCE_FACTOR``, as for a loss that overflowed: the model is left
    unchanged. Only warn (if ``report``) where held-out samples chose the
    weights kept, of an earlier epoch, and for ``partial_fit`` (``incremental``):
    its batch may raise the loss (an outlier in a stream's batch, which its
    first mini-batch missed), and it cannot be told from divergence. A warm
    start's epochs all read the same data, as a fresh fit's do.

    The loss can explode without overflowing (the hidden state is bounded,
    only the output layer grows) and then stop "improving": without this
    check such a run would end as if it had converged. The reference of a
    fresh fit is its first epoch's loss. That of a call continuing earlier
    training is ``start_loss``, the loss at the weights it started from of
    its data (a warm start's) or of its first batch (``partial_fit``'s), in
    this call's objective (a warm start may raise ``alpha`` on purpose, and
    a stream's batches may differ), or the largest loss of the earlier calls if that
    is larger (their first losses are the largest: a warm start from a
    near-perfect fit may wobble without diverging). This call's own epochs,
    which may have exploded already, are no reference. Returns whether it
    warned.

    The last loss is the larger of the last epoch's and ``end_loss``, that of
    the weights kept where it was measured: an epoch's loss is taken before
    its steps, so a last step that blew the weights up shows only there.
    """
    continuing = first_epoch > 0
    if len(curve) <= first_epoch or (end_loss is None and len(curve) < 2):
        return False
    reference = max(*curve[:first_epoch], start_loss) if continuing else curve[0]
    last, where = curve[-1], "in the last epoch"
    if end_loss is not None and end_loss > last:
        last, where = end_loss, "at the weights it ended with"
    if not last > _DIVERGENCE_FACTOR * reference:
        return False
    since = "this call's start and the earlier fits" if continuing else "the first epoch"
    rose = (f"Training diverged: the training loss rose from {reference:.4g} ({since}) "
            f"to {last:.4g} {where}.")
    if not (kept_earlier or incremental):
        raise ValueError(f"{rose} The model was left unchanged. {advice}")
    if report:
        kept = " Kept the weights of the lowest validation loss." if kept_earlier else ""
        warn(f"{rose}{kept} {advice}", ConvergenceWarning)
    return report


def _warn_of_the_end(divergence, start_loss, end_loss, advice):
    """Warn of a divergence (``divergence``, its report, or None), and where a
    fit ends at more than twice the loss of its starting weights: one
    warning, which says both where both hold.

    A step size large enough to blow the loss up within the first epoch
    leaves every later epoch "improving" on that first one, so the rule of
    :func:`_refuse_if_loss_exploded` never fires, and the fit ended as if it
    had converged, worse than the random weights it started from. Returns
    whether it ended worse (``start_loss`` None: not measured, so no).
    """
    # False for NaN too: a forward pass that overflowed ended worse.
    worse = start_loss is not None and not end_loss <= 2 * start_loss
    if worse:
        losses = (f"the training loss of the {'kept' if divergence else 'final'} weights is "
                  f"{end_loss:.4g}, that of the starting weights {start_loss:.4g}.")
    if divergence:
        ended = f" Training ended worse than it started: {losses}" if worse else ""
        warn(f"{divergence}{ended} {advice}", ConvergenceWarning)
    elif worse:
        warn(f"Training ended worse than it started: {losses} {advice}", ConvergenceWarning)
    return worse


# A fit whose training loss comes within this fraction of a constant
# prediction's learned nothing from its inputs (see _no_better_than_a_constant).
_CONSTANT_MARGIN = 1e-3


def _no_better_than_a_constant(end_loss, train, objective):
    """A sentence saying so where ``end_loss``, the training loss of the
    weights a fit ends with, is no better than a constant prediction's
    (:func:`sklstm._loss.constant_loss`); else "".

    L-BFGS on inputs of 1e6 (standardize=False) saturated every gate and
    stopped after 2 iterations at the classes' frequencies, reporting
    success; on targets of 1e3 (scale_targets=False) it stopped at R² -25.
    Either way no warning said the model had learned nothing.
    """
    with np.errstate(over="ignore", invalid="ignore"):  # targets near the largest float
        constant = constant_loss(train.Y, train.seqs.lengths, train.sample_weight, objective)
    if not (0 < constant < np.inf and end_loss >= constant * (1 - _CONSTANT_MARGIN)):
        return ""
    return (
        f" Its training loss, {end_loss:.4g}, is no better than that of a constant "
        f"prediction ({constant:.4g}: the targets' mean or quantiles, or the classes' "
        "frequencies), so it learned nothing from its inputs. Inputs or targets far from "
        "unit scale do this (keep standardize=True, and scale_targets=True for a "
        "regressor), as do a tol that stops at once, inputs that do not inform the "
        "targets, or an alpha that outweighs them."
    )


def _may_overflow(theta, data):
    """Whether weights ``theta`` may overflow a gate input on ``data``, or
    the loss of the outputs they give.

    A gate input or an output sums at most ``theta.size`` products of a
    weight and a value no larger than max(|x|, T + 1): an input, a bias's 1,
    a gate, a hidden state (at most T + 1 under NOAF). Where its square
    (the squared error's) is below the dtype's largest value by 2**20,
    beyond the core's own margin, neither may overflow; above it
    :func:`_final_loss` measures. Training's weights are far below it.
    """
    values = data.seqs.values
    reach = max(largest_magnitude(values), values.shape[1] + 1.0)
    # Python floats, which reach inf without NumPy's overflow warning.
    bound = largest_magnitude(theta) * reach * theta.size
    return not bound * bound * 2.0**20 < float(np.finfo(theta.dtype).max)


def _final_loss(theta, train, network, objective, advice):
    """The training loss of the weights a fit ends with; raise if they are
    weights predict refuses (gate inputs that may overflow) or whose loss is
    not finite: a learning rate of 1e308 made one update that large, and the
    fit kept it."""
    try:
        loss = _logits_and_loss(theta, train, network, objective)[1]
    except GateInputOverflow:
        raise ValueError(
            "Training diverged: the weights it ended with are so large that the gates' inputs "
            f"overflow, and predict would refuse them. The model was left unchanged. {advice}"
        ) from None
    if not np.isfinite(loss):
        # Outputs beyond the square root of the largest float: predictions of 1e300.
        raise ValueError(
            f"Training diverged: the training loss of the weights it ended with is {loss}, "
            f"and their predictions are beyond any target. The model was left unchanged. {advice}"
        )
    return loss


def fit_stochastic(
    theta, train, network, objective, rng, record, settings, *, incremental,
    validation=None, score=None, stop_on_validation=True,
):
    """Train ``theta`` with SGD or Adam; update ``record``; return the new weights.

    Parameters
    ----------
    theta : ndarray of shape (n_params,)
        Initial weights; not modified.
    train, validation : TrainingData
        Training samples and, for early stopping, the held-out samples.
    network : Network
    objective : Objective
    rng : RandomState
        Shuffles the samples each epoch.
    record : TrainingRecord
    settings : BaseLSTM
        The estimator's training settings (``BaseLSTM._training_settings``),
        read for its hyper-parameters only, which hold Python numbers.
    incremental : bool
        One epoch, continuing ``record.optimizer`` (``partial_fit``).
    score : callable, optional
        ``score(z, Y, seqs, sample_weight) -> float`` of the validation samples.
    stop_on_validation : bool
        With ``validation``: whether its loss decides when to stop (early
        stopping), or only which epoch's weights are kept, training stopping
        on the training loss as without validation (``early_stopping="auto"``).

    Returns
    -------
    theta : ndarray of shape (n_params,)
        The final weights, or those of the best validation loss.
    """
    theta = theta.copy()
    optimizer = _make_optimizer(settings, theta, record.optimizer if incremental else None,
                                record.t)
    early_stopping = validation is not None and stop_on_validation
    # partial_fit continues the count against the stream's best loss; a warm
    # start judges its own epochs, as its objective may differ (another
    # alpha, dropout or data): against the earlier fits' best loss, no epoch
    # of a larger penalty improves, and it stopped while its loss still fell.
    tracker = NoImprovement(
        settings.tol, ties_improve=not early_stopping,
        best=record.best_loss if incremental and not early_stopping else None,
        count=record.no_improvement,
    )
    # Which epoch's weights to keep: with early stopping its own tracker;
    # otherwise the held-out loss only chooses them (early_stopping="auto").
    held_out = tracker if early_stopping else NoImprovement(settings.tol, ties_improve=False)
    # The weights held-out samples chose, the epoch (of this call) they are
    # from, and the last epoch that completed.
    best_theta, best_epoch, last_epoch, diverged = None, None, None, False
    divergence = None  # its report, warned of with the end's (_warn_of_the_end)
    advice = _DIVERGENCE_ADVICE + _penalty_advice(objective, train)
    # A fresh fit, and partial_fit's first call (not a warm start, which may
    # deliberately trade data loss for a larger alpha), is also checked
    # against its random starting weights, at the cost of two forward passes.
    start_loss = None if record.loss_curve else (
        _logits_and_loss(theta, train, network, objective)[1])
    # A continued call's loss at the weights it starts from, its reference:
    # that of its first mini-batch (with the penalty, at the mini-batch's
    # scale, as its epochs' losses are), and for a warm start also that of
    # all its data: an outlier the first mini-batch missed raises every
    # epoch's loss, and is no divergence; partial_fit's stream may differ.
    data_loss = None if incremental or start_loss is not None else (
        _logits_and_loss(theta, train, network, objective)[1])
    continued_loss = None
    if validation is not None:
        # Held-out values too large for the gates at the starting weights are
        # the input's, and raise (the estimator names them); once training
        # has moved the weights, an overflow there is divergence (_validate),
        # wherever the held-out values lie against the training part's.
        _logits_and_loss(theta, validation, network, objective)
    first_epoch = len(record.loss_curve)  # index of this call's first epoch
    end_loss = None  # the training loss of the weights kept, once measured
    stopped_at_cap = False
    start = time.perf_counter()
    for epoch in range(1 if incremental else settings.max_iter):
        # What to go back to if this epoch diverges: weights and optimizer state.
        last_theta, last_optimizer = theta.copy(), copy_optimizer(optimizer)
        run = _run_epoch(theta, optimizer, train, network, objective, rng, settings)
        if run is None:
            theta, optimizer, diverged = last_theta, last_optimizer, True
            if epoch == 0 and start_loss is None:
                # A continued call's data may overflow the gates at the weights
                # it continues (a fresh fit measured this before training): then
                # X is the cause, not the step size. Raises GateInputOverflow.
                _logits_and_loss(theta, train, network, objective)
            kept = record.n_iter if best_epoch is None else first_epoch + best_epoch + 1
            if epoch > 0:  # weights to keep, checked before the warning that keeps them
                end_loss = _final_loss(theta if best_theta is None else best_theta, train,
                                       network, objective, advice)
                # The last finite epoch's, after a loss that exploded first,
                # are refused as the weights of a loss that stayed finite are.
                _refuse_if_loss_exploded(
                    record.loss_curve, first_epoch, continued_loss, advice,
                    kept_earlier=best_epoch is not None and best_epoch != last_epoch,
                    incremental=incremental, report=False, end_loss=end_loss)
            divergence = _divergence_report(epoch, record.n_iter, advice, kept)
            break
        epoch_loss, first_loss = run
        if epoch == 0:
            continued_loss = first_loss if data_loss is None else max(first_loss, data_loss)
        record.end_epoch(epoch_loss, train.seqs.n_samples)
        last_epoch = epoch
        optimizer.iteration_ends(record.t)
        line = f"Iteration {record.n_iter}, loss = {epoch_loss:.8f}"
        if validation is not None:
            val_loss, val_score = _validate(theta, validation, network, objective, score)
            record.validation_loss_curve.append(val_loss)
            record.validation_scores.append(val_score)
            line += f", validation loss = {val_loss:.8f}"
            # NaN (from an overflowing forward pass) compares as the worst loss.
            val_loss = np.inf if np.isnan(val_loss) else val_loss
            if held_out.update(val_loss):
                record.best_validation_loss = val_loss
                best_theta, best_epoch = theta.copy(), epoch
        if not early_stopping:
            tracker.update(epoch_loss)
        record.best_loss = min(record.best_loss, epoch_loss)
        _print(settings, line + f", elapsed {time.perf_counter() - start:.2f} s")
        what = "Validation loss" if early_stopping else "Training loss"
        if _should_stop(tracker, optimizer, settings, what):
            break
        # At the cap, more epochs could help unless the held-out loss has not
        # improved for n_iter_no_change epochs (early_stopping="auto").
        stopped_at_cap = not incremental and epoch == settings.max_iter - 1 and (
            best_epoch is None or epoch - best_epoch <= settings.n_iter_no_change)
    final = theta if best_theta is None else best_theta
    # The weights kept after a divergence were never scored: an epoch's loss
    # is taken before its updates, so with one batch an epoch, epoch 1's
    # weights are those that then overflowed (a step size of 1e300).
    # A continued call (partial_fit, a warm start) measures its final loss
    # only where its weights may overflow on its data.
    # partial_fit's epoch of one mini-batch took its loss before its only
    # step, so that no epoch loss shows what the step did: measured here.
    one_step = incremental and train.seqs.n_samples <= batch_size_of(settings)
    if end_loss is None and (start_loss is not None or one_step or _may_overflow(final, train)):
        end_loss = _final_loss(final, train, network, objective, advice)
    exploded = not diverged and _refuse_if_loss_exploded(
        record.loss_curve, first_epoch, continued_loss, advice,
        kept_earlier=best_epoch is not None and best_epoch != last_epoch,
        incremental=incremental, end_loss=end_loss)
    if start_loss is None and end_loss is not None:
        # A continued call whose weights were measured (they may overflow, or
        # a divergence kept them) is judged against the losses it continued:
        # its loss at its starting weights, and the earlier fits'.
        earlier = record.loss_curve[:first_epoch] + [continued_loss]
        start_loss = max((loss for loss in earlier if loss is not None), default=None)
    worse = _warn_of_the_end(divergence, None if exploded else start_loss, end_loss, advice)
    if stopped_at_cap and not (exploded or worse):
        # Not for a fit whose loss exploded: more epochs would not help it.
        _warn_at_the_cap(
            f"Stochastic optimizer: maximum iterations ({settings.max_iter}) reached "
            "and the optimization hasn't converged yet."
        )
    elif not (incremental or diverged or exploded or worse or stopped_at_cap
              or end_loss is None):
        # A fit (not partial_fit's epoch) that stopped before its cap. end_loss
        # is the training loss of the weights it keeps: the last epoch's, or
        # those the held-out loss chose, which may come before training has
        # learned anything (a model that predicts the mean).
        learned_nothing = _no_better_than_a_constant(end_loss, train, objective)
        if learned_nothing and validation is None:
            warn(f"Stochastic optimizer: the loss stopped improving by tol={settings.tol}."
                 + learned_nothing, ConvergenceWarning)
        elif learned_nothing:
            kept = first_epoch + (last_epoch if best_epoch is None else best_epoch) + 1
            chooser = ("Early stopping" if early_stopping
                       else 'The held-out samples of early_stopping="auto"')
            split = ", and validation_split chooses which are held out" if early_stopping else ""
            warn(f"{chooser} kept the weights of epoch {kept} (as n_iter_ counts), whose "
                 "validation loss no later epoch improved on." + learned_nothing
                 + " Here the held-out samples may also disagree with the training part: "
                 f"early_stopping=False trains on all samples{split}.", ConvergenceWarning)
    if best_epoch is not None and best_epoch != last_epoch:
        # The kept weights are an earlier epoch's: the optimizer's moments and
        # the no-improvement count belong to later ones, and no loss of the
        # kept weights on all the samples was measured (that epoch's was on
        # the training part), so partial_fit starts afresh from them.
        record.optimizer, record.no_improvement, record.best_loss = None, 0, np.inf
    else:
        record.optimizer, record.no_improvement = optimizer, tracker.count
    return final


def _reached_limit(info, method, settings):
    """The setting whose cap a scipy run stopped at, of ``max_iter``,
    ``max_fun`` and the same caps in ``solver_options``; None if none."""
    options = settings.solver_options or {}

    def binding(parameter, key):
        """The cap of ``parameter`` or ``solver_options[key]`` (None leaves it
        to the parameter, see scipy_options), and the name of the lower."""
        value, own = options.get(key), getattr(settings, parameter)
        if value is not None and value < own:
            return value, f"solver_options[{key!r}]"
        if value is not None and value == own:  # both bind: raising one leaves the other
            return own, f"{parameter} and solver_options[{key!r}]"
        return own, parameter

    max_iter, name = binding("max_iter", "maxiter")
    if info["n_iter"] >= max_iter:
        return name
    # Only L-BFGS-B and TNC count evaluations against max_fun.
    max_fun, name = binding("max_fun", "maxfun")
    return name if method in ("L-BFGS-B", "TNC") and info["n_fun"] >= max_fun else None


def fit_scipy(theta, data, network, objective, method, record, settings):
    """Train ``theta`` with ``scipy.optimize.minimize(method=...)`` on the full batch.

    Parameters are those of :func:`fit_stochastic`; ``method`` is a
    canonical scipy method name. Updates ``record`` and returns the weights
    of shape (n_params,), in ``theta``'s dtype.
    """
    start = time.perf_counter()
    seqs = data.seqs

    def fun(th):
        # In chunks of samples within sklearn's working_memory: the training
        # cache of the whole batch grew with the samples, without bound.
        return full_batch_loss_and_grad(
            th, seqs.values, data.Y, seqs.lengths, data.sample_weight, network, objective
        )

    def on_iteration(n_iter, loss):
        _print(
            settings,
            f"Iteration {record.n_iter + n_iter}, loss = {loss:.8f}, "
            f"elapsed {time.perf_counter() - start:.2f} s",
        )

    # Overflow is reported once, as the errors below. Line searches may also
    # try steps whose loss overflows; the methods back off from them.
    with np.errstate(over="ignore", invalid="ignore"):
        loss0, grad0 = fun(theta)
        if not (np.isfinite(loss0) and np.all(np.isfinite(grad0))):
            raise ValueError(
                "The loss is non-finite at the initial weights; rescale the inputs or "
                "targets. The model was left unchanged." + _penalty_advice(objective, data)
            )
        try:
            result, info = run_scipy_minimize(
                fun, theta, method, max_iter=settings.max_iter, tol=settings.tol,
                max_fun=settings.max_fun, options=settings.solver_options,
                on_iteration=on_iteration,
            )
        except SolverFailed as exc:
            raise ValueError(
                f"{exc}. The model was left unchanged; rescale the inputs or targets, or "
                "try another solver." + _penalty_advice(objective, data)
            ) from None
    if not (np.all(np.isfinite(result)) and np.isfinite(info["loss"])):
        raise ValueError(
            f"scipy.optimize.minimize(method={method!r}) produced non-finite weights "
            "or loss. The model was left unchanged; rescale the inputs or targets."
            + _penalty_advice(objective, data)
        )
    if info["success"]:
        end_loss = _final_loss(result.astype(theta.dtype), data, network, objective,
                               "Rescale the inputs or targets, or try another solver.")
        learned_nothing = _no_better_than_a_constant(end_loss, data, objective)
        if learned_nothing:
            message = str(info["message"]).rstrip(".")
            warn(f"{method} stopped: {message}." + learned_nothing, ConvergenceWarning)
    else:
        cap = _reached_limit(info, method, settings)
        if cap is not None:
            _warn_at_the_cap(f"{method} did not converge: {info['message']}", cap)
        else:
            warn(
                f"{method} did not converge: {info['message']} Try another solver, or "
                "keep the data standardised (standardize=True) if that was switched off.",
                ConvergenceWarning,
            )
    if record.loss_curve:  # a warm start: what this call ran, none if it stopped at once
        record.n_iter += info["n_iter"]
        record.loss_curve.extend(info["loss_curve"])
    else:  # a fit has one iteration at least (scikit-learn's n_iter_ >= 1)
        record.n_iter += max(info["n_iter"], 1)
        record.loss_curve.extend(info["loss_curve"] or [info["loss"]])
    record.loss = float(info["loss"])
    record.best_loss = min([record.best_loss, *record.loss_curve, record.loss])
    return result.astype(theta.dtype)
