"""Output activations, losses, and the one packed loss-and-gradient function.

Every solver and the gradient tests go through :func:`loss_and_grad`: SGD
and Adam on each mini-batch, and every method of ``scipy.optimize.minimize``
through :func:`full_batch_loss_and_grad`, which sums it over chunks of the
whole batch. So the loss the optimizer sees and the gradient it follows
always agree.

The network is ``outputs = LSTM(X)`` followed by a dense layer
``z = outputs @ coef + intercept`` and an output activation. The first
three losses are paired with their canonical activation, so ∂L/∂z is simply
``(activation(z) - y)`` times the sample's weight; the quantile loss has
its own gradient.

Loss definitions, with sample weights ``w`` and ``W = Σ w``::

    squared_error  L = Σ_s w_s · ½ Σ_k (z_sk - y_sk)² / W
    log_loss       L = -Σ_s w_s Σ_k [y log σ(z) + (1 - y) log(1 - σ(z))]_sk / W
    multinomial    L = -Σ_s w_s Σ_k y_sk log softmax(z_s)_k / W
    quantile       L = Σ_s w_s Σ_k Σ_j ρ_τj(y_sk - q_skj) / W

with the pinball loss ``ρ_τ(r) = max(τ r, (τ - 1) r)`` and, for quantile
levels ``τ_1 < ... < τ_Q``, ``Q`` logits per output turned into quantiles
that cannot cross (:func:`non_crossing_quantiles`)::

    q_k1 = z_k1,    q_kj = z_k1 + Σ_{m=2..j} softplus(z_km)

plus ``alpha / (2 W) · Σ ||weights||²`` over every weight matrix (W, R,
peepholes, FGR's Rg, the output coefficients), not the biases. For many-to-many
output, a sequence's loss is the mean over its real steps, so each sequence
counts once whatever its length.
"""

from dataclasses import dataclass
from functools import partial
from typing import Callable, NamedTuple

import numpy as np
from scipy.special import expit

from ._inference import chunk_slices, dense_output, predict_logits
from ._lstm import (
    GateInputOverflow, draw_dropout_masks, kernels_of_finite_views, lstm_backward, lstm_forward,
    training_bytes_per_sample,
)
from ._params import ParamLayout
from ._scaling import unit_exponents

__all__ = [
    "Network", "Objective", "penalised_weights", "write_layer_grads", "forward_logits",
    "packed_forward",
    "loss_and_grad", "full_batch_loss_and_grad", "sequence_loss", "constant_loss",
    "step_weights",
    "training_masks", "class_probabilities",
    "non_crossing_quantiles", "non_crossing_logits", "OUTPUT_ACTIVATIONS", "LOSSES",
]


def _identity(z):
    return z


def _logistic(z):
    # expit never overflows, and keeps the relative precision of small
    # probabilities (1 - expit(z) would lose it), so log(proba) stays exact.
    return expit(z)


def _shifted_logits(z):
    # Shift by the row maximum so exp never overflows. Logits more than the
    # float range apart shift to -inf, whose exp is the correct 0.
    with np.errstate(over="ignore"):
        return z - z.max(axis=-1, keepdims=True)


def log_softmax(z):
    """Log of the softmax over the last axis, overflow-free for finite ``z``."""
    # Plain NumPy: scipy.special's version goes through its array-API layer,
    # which costs more than the arithmetic for a mini-batch.
    shifted = _shifted_logits(z)
    return shifted - np.log(np.exp(shifted).sum(axis=-1, keepdims=True))


def softmax(z):
    """Softmax over the last axis, overflow-free for finite ``z``."""
    e = np.exp(_shifted_logits(z))
    return e / e.sum(axis=-1, keepdims=True)


def non_crossing_quantiles(z, quantiles):
    """Quantile predictions from logits, increasing along the quantile axis.

    The first logit of each output is its lowest quantile; each further
    quantile adds ``softplus`` of its logit, a positive increment, so the
    quantiles are ordered whatever the weights.

    Parameters
    ----------
    z : ndarray of shape (..., n_outputs * n_quantiles)
        Logits, the quantiles of one output side by side.
    quantiles : array-like of shape (n_quantiles,)
        Increasing quantile levels; only their number is used.

    Returns
    -------
    q : ndarray of shape (..., n_outputs * n_quantiles)
        Quantile predictions, laid out as ``z``.
    """
    blocks = _quantile_blocks(z, quantiles)
    increments = np.logaddexp(0.0, blocks[..., 1:])  # softplus, overflow-free
    q = np.concatenate([blocks[..., :1], blocks[..., :1] + np.cumsum(increments, axis=-1)],
                       axis=-1)
    return q.reshape(z.shape)


def non_crossing_logits(q):
    """The inverse of :func:`non_crossing_quantiles`: logits whose quantiles are ``q``.

    Parameters
    ----------
    q : ndarray of shape (..., n_quantiles)
        Non-decreasing along the last axis; equal levels get the increment of
        the smallest normal float.

    Returns
    -------
    z : ndarray of shape (..., n_quantiles)
    """
    steps = np.maximum(np.diff(q, axis=-1), np.finfo(np.float64).tiny)
    inverse_softplus = steps + np.log(-np.expm1(-steps))
    return np.concatenate([q[..., :1], inverse_softplus], axis=-1)


def _quantile_blocks(z, quantiles):
    """View ``z`` of shape (..., K * Q) as (..., K, Q)."""
    n_quantiles = len(quantiles)
    return z.reshape(z.shape[:-1] + (z.shape[-1] // n_quantiles, n_quantiles))


OUTPUT_ACTIVATIONS = {
    "identity": _identity, "logistic": _logistic, "softmax": softmax,
    "non_crossing_quantiles": non_crossing_quantiles,
}


def _squared_error(z, y):
    """Per-(sample, step) loss summed over outputs; shape z.shape[:-1]."""
    return 0.5 * np.sum((z - y) ** 2, axis=-1)


def _binary_log_loss(z, y):
    # -[y log σ(z) + (1-y) log(1-σ(z))] = log(1 + e^z) - y z, computed stably.
    return np.sum(np.logaddexp(0.0, z) - y * z, axis=-1)


def _multinomial_log_loss(z, y):
    return -np.sum(y * log_softmax(z), axis=-1)


def _pinball_residuals(z, y, quantiles):
    """Residuals ``y - q`` of shape (..., K, Q) and the levels τ, in ``z``'s dtype."""
    tau = np.asarray(quantiles, dtype=z.dtype)
    q = _quantile_blocks(non_crossing_quantiles(z, quantiles), quantiles)
    return y[..., None] - q, tau


def _pinball_loss(z, y, quantiles):
    r, tau = _pinball_residuals(z, y, quantiles)
    return np.sum(np.maximum(tau * r, (tau - 1.0) * r), axis=(-2, -1))


def _pinball_gradient(z, y, quantiles):
    """∂/∂z of :func:`_pinball_loss`, chained through :func:`non_crossing_quantiles`."""
    r, tau = _pinball_residuals(z, y, quantiles)
    # ∂ρ/∂q: -τ above the quantile, 1 - τ below; at a tie, 1 - τ (a subgradient).
    dq = np.where(r > 0, -tau, 1.0 - tau)
    # q_j depends on z_1 with slope 1, and on z_m (2 <= m <= j) through
    # softplus'(z_m) = σ(z_m): each logit collects the quantiles above it.
    above = np.cumsum(dq[..., ::-1], axis=-1)[..., ::-1]
    blocks = _quantile_blocks(z, quantiles)
    dz = np.concatenate([above[..., :1], _logistic(blocks[..., 1:]) * above[..., 1:]], axis=-1)
    return dz.reshape(z.shape)


def _weighted_mean(y, w):
    """Column means of ``y`` (m, k) under weights ``w`` (m,) summing below 1."""
    return np.sum(w[:, None] * y, axis=0) / np.sum(w)


# Probabilities of a constant prediction stay this far inside (0, 1): its
# logits are finite, and a label that never occurs costs it next to nothing.
_PROBABILITY_MARGIN = 1e-12


def _prior_log_odds(y, w):
    p = np.clip(_weighted_mean(y, w), _PROBABILITY_MARGIN, 1 - _PROBABILITY_MARGIN)
    return np.log(p) - np.log1p(-p)


def _prior_log_probabilities(y, w):
    return np.log(np.clip(_weighted_mean(y, w), _PROBABILITY_MARGIN, None))


def _quantile_logits(y, w, quantiles):
    # The sample quantiles of each output (unweighted: a constant, if not
    # always the best one).
    return non_crossing_logits(np.quantile(y, quantiles, axis=0).T).reshape(-1)


class _Loss(NamedTuple):
    """One entry of :data:`LOSSES`."""

    terms: Callable  # (z, y[, quantiles]) -> loss of each (sample, step), z.shape[:-1]
    gradient: Callable | None  # ∂terms/∂z; None for the canonical activation(z) - y
    activation: str  # name in OUTPUT_ACTIVATIONS: logits -> predictions
    # (y of shape (m, k), weights (m,)[, quantiles]) -> the logits (n_logits,)
    # of a constant prediction: the targets' mean or quantiles, or the
    # classes' frequencies.
    constant: Callable


LOSSES = {
    "squared_error": _Loss(_squared_error, None, "identity", _weighted_mean),
    "log_loss": _Loss(_binary_log_loss, None, "logistic", _prior_log_odds),
    "multinomial": _Loss(_multinomial_log_loss, None, "softmax", _prior_log_probabilities),
    "quantile": _Loss(_pinball_loss, _pinball_gradient, "non_crossing_quantiles",
                      _quantile_logits),
}


@dataclass(frozen=True)
class Network:
    """The architecture: what a forward pass needs to know, and its own backward.

    ``LSTM(X)`` followed by a dense layer. :func:`loss_and_grad` only calls
    :meth:`forward`, :meth:`backward` and :meth:`penalised`, and prediction
    :meth:`predict`, so another architecture built from the same core
    (``sklstm._seq2seq``) plugs in by providing these four and a ``layout``
    with a ``size``.

    Attributes
    ----------
    layout : ParamLayout
        Where each parameter array sits in the flat vector ``theta``; it also
        holds the layer sizes and the variant flags (peephole, coupled gates).
    return_sequences : bool
        Many-to-many (a prediction at every step) if True, else many-to-one.
    """

    layout: ParamLayout
    return_sequences: bool

    @property
    def peephole(self):
        return self.layout.peephole

    @property
    def coupled(self):
        return self.layout.coupled

    @property
    def gate_variant(self):
        return self.layout.gate_variant

    @property
    def bidirectional(self):
        return self.layout.bidirectional

    def forward(self, theta, X, lengths, dropout_masks=None):
        """Logits, the top layer's outputs and the core's cache; see :func:`forward_logits`.

        Non-finite weights (a diverging solver's trial step), or weights so
        large that the gate inputs may overflow, give NaN logits and no
        cache: the core refuses them, and NaN is how every solver learns of
        divergence; :meth:`backward` then returns a NaN gradient.
        """
        if not np.isfinite(theta).all():
            return self._nan_logits(X), None, None
        layers, coef, intercept = self.layout.unpack(theta)
        run = packed_forward(
            X, layers, lengths=lengths, return_sequences=self.return_sequences,
            gate_variant=self.gate_variant, bidirectional=self.bidirectional,
            dropout_masks=dropout_masks,
        )
        if run is None:
            return self._nan_logits(X), None, None
        hidden, cache = run
        return dense_output(hidden, coef, intercept), hidden, cache

    def predict(self, theta, X, lengths, *, transform=None):
        """Logits alone, through the forward-only pass in chunks of samples.

        Equal to ``forward(theta, X, lengths)[0]``, with no backward cache
        (see :func:`sklstm._inference.predict_logits`); each chunk's mapped
        by ``transform``, row by row, if given.
        """
        if not np.isfinite(theta).all():
            z = self._nan_logits(X)
            return z if transform is None else transform(z)
        return predict_logits(theta, X, lengths, self, transform=transform)

    def _nan_logits(self, X):
        """NaN logits of the shape :meth:`forward` gives for ``X``."""
        steps = X.shape[:2] if self.return_sequences else X.shape[:1]
        return np.full((*steps, self.layout.n_outputs), np.nan, dtype=X.dtype)

    def backward(self, theta, dz, hidden, cache):
        """Gradient of the data loss with respect to ``theta``, given ∂L/∂z.

        Parameters
        ----------
        theta : ndarray of shape (layout.size,)
        dz : ndarray shaped as the logits of :meth:`forward`
        hidden, cache
            As returned by :meth:`forward` for the same ``theta``.

        Returns
        -------
        grad : ndarray of shape (layout.size,)
        """
        if cache is None:  # forward met non-finite weights
            return np.full_like(theta, np.nan)
        _, coef, _ = self.layout.unpack(theta)
        grad = np.zeros_like(theta)
        g_layers, g_coef, g_intercept = self.layout.unpack(grad)
        flat_hidden = hidden.reshape(-1, hidden.shape[-1])
        flat_dz = dz.reshape(-1, dz.shape[-1])
        g_coef[...] = flat_hidden.T @ flat_dz
        g_intercept[...] = flat_dz.sum(axis=0)
        core = lstm_backward(dz @ coef.T, cache, input_grad=False)
        write_layer_grads(g_layers, core["layers"])
        return grad

    def penalised(self, theta):
        """Views of ``theta`` under the L2 penalty; see :func:`penalised_weights`."""
        return penalised_weights(self.layout, theta)

    def training_row_bytes(self, X):
        """Bytes per sample of :meth:`forward` and :meth:`backward` on ``X``
        (n_samples, n_timesteps, n_features), an upper estimate (beyond the
        few MiB of work arrays the core's backward pass keeps whatever the
        number of samples, see ``sklstm._kernel._CHUNK_BYTES``)."""
        T, itemsize = X.shape[1], X.itemsize
        n_terms = T if self.return_sequences else 1
        # The top outputs and their gradient; the logits, their gradient and
        # the loss's temporaries (the pinball loss's are the most, about six);
        # each term's weight, targets and masks.
        head = n_terms * (2 * self.layout.n_top + 8 * self.layout.n_outputs + 8)
        return training_bytes_per_sample(self.layout.layer_sizes, T, itemsize) + itemsize * head


def packed_forward(X, layers, *, gate_variant=None, **kwargs):
    """:func:`~sklstm._lstm.lstm_forward` of a finite parameter vector's
    views, for the training pass: ``(outputs, cache)``, or None where the
    gate inputs may overflow.

    The views are trusted (see :func:`~sklstm._lstm.kernels_of_finite_views`).
    Gate inputs that may overflow mean weights grown far beyond the data's
    scale: the caller returns NaN logits, which is how every solver learns
    of divergence.
    """
    kernels = kernels_of_finite_views(layers, X.dtype, gate_variant)
    try:
        return lstm_forward(X, kernels, gate_variant=gate_variant, **kwargs)
    except GateInputOverflow:
        return None


def write_layer_grads(g_layers, core_layers):
    """Copy the core's per-layer gradients into ``g_layers``, views of a flat gradient."""
    for dst, src in zip(g_layers, core_layers, strict=True):
        for name in dst:
            dst[name][...] = src[name]  # write through the view into grad


def penalised_weights(layout, theta):
    """Views of ``theta`` under the L2 penalty: every weight matrix (W, R,
    peepholes, FGR's Rg, the output coefficients), no bias.

    ``layout.unpack(theta)`` must return ``(layers, coef, intercept)``.
    """
    layers, coef, _ = layout.unpack(theta)
    weights = [
        layer[name] for layer in layers for name in ("W", "R", "p", "Rg") if name in layer
    ]
    return weights + [coef]


@dataclass(frozen=True)
class Objective:
    """The training objective: the loss of the logits and the L2 penalty.

    Attributes
    ----------
    loss : {"squared_error", "log_loss", "multinomial", "quantile"}
    alpha : float
        L2 penalty strength.
    quantiles : tuple of float or None
        Increasing quantile levels in (0, 1), for ``loss="quantile"`` only.
    """

    loss: str
    alpha: float
    quantiles: tuple | None = None

    def __post_init__(self):
        if (self.loss == "quantile") != (self.quantiles is not None):
            raise ValueError("quantiles are given with loss='quantile', and only then.")

    def _bind(self, fn):
        return fn if self.quantiles is None else partial(fn, quantiles=self.quantiles)

    def n_logits(self, n_outputs):
        """Columns of the dense layer for ``n_outputs`` targets."""
        return n_outputs * (1 if self.quantiles is None else len(self.quantiles))

    def activation(self, z):
        """Predictions (values, probabilities or quantiles) from logits ``z``."""
        return self._bind(OUTPUT_ACTIVATIONS[LOSSES[self.loss].activation])(z)

    def terms(self, z, y):
        """Loss of each (sample, step) term, of shape ``z.shape[:-1]``."""
        return self._bind(LOSSES[self.loss].terms)(z, y)

    def constant_logits(self, y, weights):
        """Logits of shape (n_logits,) of a constant prediction of targets
        ``y`` (m, n_outputs) under ``weights`` (m,) (see :func:`constant_loss`)."""
        return self._bind(LOSSES[self.loss].constant)(y, weights)

    def gradient(self, z, y):
        """∂ :meth:`terms` / ∂z, of ``z``'s shape."""
        gradient = LOSSES[self.loss].gradient
        if gradient is None:
            return self.activation(z) - y  # canonical link
        return self._bind(gradient)(z, y)


def class_probabilities(z, *, multilabel, log=False):
    """Class probabilities (or their logarithms) from a classifier's logits.

    The one home of the logits-to-probabilities rule: training uses the same
    activations through :class:`Objective`.

    Parameters
    ----------
    z : ndarray of shape (..., n_outputs)
        Logits: one column for a binary problem, one per class (softmax) or
        per label (multilabel, independent logistic outputs).
    multilabel : bool
    log : bool, default=False
        Return log-probabilities, computed without underflow.

    Returns
    -------
    proba : ndarray of shape (..., n_classes)
        A binary problem's one logit becomes two columns, ``[P(0), P(1)]``.
    """
    if multilabel:
        return -np.logaddexp(0.0, -z) if log else _logistic(z)
    if z.shape[-1] == 1:
        # Each column from its own logit, not 1 - p: small probabilities
        # keep their relative precision.
        if log:
            return np.concatenate([-np.logaddexp(0.0, z), -np.logaddexp(0.0, -z)], axis=-1)
        return np.concatenate([_logistic(-z), _logistic(z)], axis=-1)
    return log_softmax(z) if log else softmax(z)


def forward_logits(theta, X, lengths, network, dropout_masks=None):
    """Network output before the output activation.

    Parameters
    ----------
    theta : ndarray of shape (layout.size,)
    X : ndarray of shape (n_samples, n_timesteps, n_features)
    lengths : ndarray of shape (n_samples,) or None
    network : Network
    dropout_masks : list of tuple, optional
        Training's dropout masks, one pair per layer dict
        (:func:`sklstm._lstm.draw_dropout_masks`).

    Returns
    -------
    z : ndarray of shape (n_samples, n_outputs), or (n_samples, n_timesteps, n_outputs) \
            for many-to-many
    hidden : ndarray
        The top LSTM layer's outputs, (n_samples, H) or (n_samples, n_timesteps, H).
    cache : dict
        The LSTM core's cache, for :func:`loss_and_grad`.
    """
    if dropout_masks is None:  # networks without dropout take no masks
        return network.forward(theta, X, lengths)
    return network.forward(theta, X, lengths, dropout_masks)


def training_masks(network, n_samples, dropout, recurrent_dropout, rng, dtype):
    """A mini-batch's variational dropout masks, or None without dropout.

    Parameters
    ----------
    network : Network
    n_samples : int
    dropout, recurrent_dropout : float in [0, 1)
    rng : numpy.random.RandomState or numpy.random.Generator
    dtype : dtype

    Returns
    -------
    masks : list of tuple or None
        For ``loss_and_grad(..., dropout_masks=masks)``
        (see :func:`sklstm._lstm.draw_dropout_masks`).
    """
    if not (dropout or recurrent_dropout):
        return None
    return draw_dropout_masks(
        rng, n_samples, network.layout.layer_sizes, dropout, recurrent_dropout, dtype
    )


def step_weights(sample_weight, lengths, n_samples, n_timesteps=None, dtype=np.float64):
    """Weight of each loss term or scored step: the one home of the per-step rule.

    Each sequence's real steps share its sample weight equally, so every
    sequence counts once whatever its length; padded steps weigh 0.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,) or None
    lengths : ndarray of shape (n_samples,) or None
        Real steps of each sequence; None when all are ``n_timesteps`` long.
    n_samples : int
    n_timesteps : int or None
        None for many-to-one output: one term per sequence.
    dtype : dtype, default=float64

    Returns
    -------
    weights : ndarray of shape (n_samples,), or (n_samples, n_timesteps)
    """
    if sample_weight is None:
        w = np.ones(n_samples, dtype=dtype)
    else:
        w = np.asarray(sample_weight).astype(dtype)
    if n_timesteps is None:
        return w
    T = n_timesteps
    if lengths is None:
        return np.repeat((w / T)[:, None], T, axis=1)
    mask = np.arange(T)[None, :] < lengths[:, None]
    return mask * (w / lengths)[:, None]


def _term_weights(sample_weight, lengths, z, n_samples=None):
    """:func:`step_weights` for logits ``z`` (of ``n_samples`` samples, by
    default ``len(z)``, of which ``z`` may be a chunk): many-to-many when
    ``z`` is 3-D."""
    n_timesteps = z.shape[1] if z.ndim == 3 else None
    return step_weights(sample_weight, lengths, len(z) if n_samples is None else n_samples,
                        n_timesteps, z.dtype)


# Values of a chunk of constant_loss's terms: 32 MiB of float64.
_CONSTANT_LOSS_CHUNK = 2**22


def constant_loss(y, lengths, sample_weight, objective):
    """Data loss of a constant prediction: what the output layer's bias alone
    reaches, with no information from the inputs.

    The mean of the targets (squared error), the classes' or labels'
    weighted frequencies (log losses; the best constants), or the sample
    quantiles of each output (quantile loss).

    Parameters and the result are those of :func:`sequence_loss`, without
    ``z``; padded steps' targets are ignored.
    """
    y = np.asarray(y, dtype=np.float64)
    n_timesteps = y.shape[1] if y.ndim == 3 else None
    weights = step_weights(sample_weight, lengths, len(y), n_timesteps)
    real = weights > 0
    counted = y[real]
    if (counted == counted[:1]).all():
        # Each output one value: a constant predicts it exactly (the log
        # losses' infimum, 0, which the probabilities' margin misses).
        return 0.0
    weights, total = unit_scaled(weights)
    logits = objective.constant_logits(counted, weights[real])
    # In chunks of samples: quantile terms are (steps, outputs, levels) each.
    rows = max(1, _CONSTANT_LOSS_CHUNK // max(1, y[:1].size // y.shape[-1] * len(logits)))
    weighted_sum = 0.0
    for begin in range(0, len(y), rows):
        part = slice(begin, begin + rows)
        z = np.broadcast_to(logits, y[part].shape[:-1] + logits.shape)
        weighted_sum += _weighted_sum(z, y[part], weights[part], objective)
    return float(weighted_sum / total)


def sequence_loss(z, y, lengths, sample_weight, objective):
    """Weighted data loss (no penalty) of logits ``z`` against targets ``y``.

    Parameters
    ----------
    z, y : ndarray of shape (n_samples, n_outputs) or (n_samples, n_timesteps, n_outputs)
    lengths : ndarray of shape (n_samples,) or None
    sample_weight : ndarray of shape (n_samples,) or None
    objective : Objective

    Returns
    -------
    loss : float
    """
    return _weighted_loss(z, y, _term_weights(sample_weight, lengths, z), objective)


def _weighted_loss(z, y, weights, objective):
    """Data loss of logits ``z`` given each term's weight (see :func:`step_weights`)."""
    weights, total = unit_scaled(weights)
    return float(_weighted_sum(z, y, weights, objective) / total)


def unit_scaled(weights):
    """``(weights / 2**e, total / 2**e)``, their sum ``total`` brought below 1.

    Weights whose sum nears the largest float (accepted: it is finite)
    overflowed ``Σ weight × term`` to inf, which L-BFGS read as a failed
    step and stopped on, reporting success. Dividing by a power of two is
    exact, so the loss, ``Σ weight × term / total``, is bit for bit the same
    wherever neither the unscaled sum overflowed nor a scaled weight
    underflowed: a weight below about 1e-308 times the total (1e-20 beside
    1e308) scales to 0, and its term, far below the sum's rounding, is left
    out as a padded step's is.

    Parameters
    ----------
    weights : ndarray of non-negative floats with a finite, positive sum
    """
    weights = np.ldexp(weights, -unit_exponents(np.asarray(weights.sum())))
    return weights, weights.sum()


def _weighted_sum(z, y, weights, objective):
    """Σ weight × loss term of logits ``z``, in their dtype."""
    per_term = objective.terms(z, y)
    # Padded steps' targets may hold anything, even NaN: mask, don't multiply.
    per_term = np.where(weights > 0, per_term, 0.0)
    return np.sum(weights * per_term)


def loss_and_grad(theta, X, y, lengths, sample_weight, network, objective, dropout_masks=None):
    """Loss and its gradient with respect to the packed parameters.

    Parameters
    ----------
    theta : ndarray of shape (layout.size,)
        Packed parameters; the computation runs in ``X``'s dtype.
    X : ndarray of shape (n_samples, n_timesteps, n_features)
    y : ndarray of shape (n_samples, n_outputs), or (n_samples, n_timesteps, n_outputs) \
            for many-to-many
        Targets: values for the squared error and quantile losses, one-hot
        or indicator columns for the log losses. Entries at padded steps are
        ignored. With ``loss="quantile"`` the logits have ``n_quantiles``
        columns per target column (see :meth:`Objective.n_logits`).
    lengths : ndarray of shape (n_samples,) or None
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights with a positive sum.
    network : Network
    objective : Objective
    dropout_masks : list of tuple, optional
        Fixed dropout masks of this mini-batch, one pair per layer dict; the
        loss and gradient are then those of the masked network.

    Returns
    -------
    loss : float
    grad : ndarray of shape (layout.size,), same dtype as ``theta``
    """
    return _summed_loss_and_grad(
        theta, X, y, lengths, sample_weight, network, objective, [slice(None)], dropout_masks
    )


def _add_penalty(theta, grad, network, objective, total):
    """Add the L2 penalty's gradient to ``grad`` in place; return the penalty."""
    if not objective.alpha:
        return 0.0
    penalty = 0.0
    scale = objective.alpha / total
    for weights, dweights in zip(network.penalised(theta), network.penalised(grad)):
        penalty += float(np.sum(weights**2))
        dweights += scale * weights
    return 0.5 * float(scale) * penalty


def full_batch_loss_and_grad(theta, X, y, lengths, sample_weight, network, objective, *,
                             working_memory=None):
    """:func:`loss_and_grad` of the whole batch, as the scipy solvers need
    it, computed over chunks of samples whose training caches fit in
    ``working_memory``.

    The cache of every step of every sample at once took about 32 KB a
    sample for 16 steps of 32 units (3 GB for 100,000 windows). Where one
    chunk holds every sample this is :func:`loss_and_grad` itself, to the
    bit; with several, the chunks' weighted sums add up to the same loss
    and gradient, to rounding.

    Parameters
    ----------
    theta, X, y, lengths, sample_weight, network, objective
        As :func:`loss_and_grad`; ``network`` also gives its
        ``training_row_bytes(X)``.
    working_memory : float, optional
        MiB a chunk may use; ``sklearn.get_config()["working_memory"]`` when None.

    Returns
    -------
    loss : float
    grad : ndarray of shape (layout.size,), same dtype as ``theta``
    """
    chunks = chunk_slices(len(X), network.training_row_bytes(X), working_memory)
    return _summed_loss_and_grad(theta, X, y, lengths, sample_weight, network, objective, chunks)


def _summed_loss_and_grad(theta, X, y, lengths, sample_weight, network, objective, chunks,
                          dropout_masks=None):
    """:func:`loss_and_grad`, its weighted sums added up over ``chunks``,
    slices of the samples (``dropout_masks`` with a single chunk only).

    One chunk of every sample is one pass; each further chunk adds its
    weighted loss terms and its gradient, scaled by the whole batch's total
    weight, to the sums.
    """
    theta_x = theta.astype(X.dtype, copy=False)
    weighted_sum = grad = weights = total = None
    for rows in chunks:
        part_lengths = None if lengths is None else lengths[rows]
        z, hidden, cache = forward_logits(theta_x, X[rows], part_lengths, network, dropout_masks)
        if cache is None:
            # Weights the forward refused (non-finite, or gate inputs that
            # may overflow): refused for the whole batch too, whose inputs
            # hold this chunk's. NaN is how the solver learns of it, even
            # where the chunk's samples weigh nothing.
            return np.nan, np.full_like(theta, np.nan)
        if weights is None:  # every term's weight, once the logits' layout is known
            weights = _term_weights(sample_weight, lengths, z, len(X))
            total = weights.sum()  # the penalty's, in the weights' own units
            unit_weights, unit_total = unit_scaled(weights)
        w = unit_weights[rows]
        part_sum = _weighted_sum(z, y[rows], w, objective)
        # dL/dz = ∂term/∂z * weight / Σw; padded steps' targets may be NaN.
        dz = np.where(w[..., None] > 0, objective.gradient(z, y[rows]), 0.0)
        dz *= (w / unit_total)[..., None]
        part_grad = network.backward(theta_x, dz, hidden, cache)
        if grad is None:
            weighted_sum, grad = part_sum, part_grad
        else:
            weighted_sum += part_sum
            grad += part_grad
    loss = float(weighted_sum / unit_total) + _add_penalty(theta_x, grad, network, objective,
                                                            total)
    return loss, grad.astype(theta.dtype, copy=False)
