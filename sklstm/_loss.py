"""Output activations, losses, and the one packed loss-and-gradient function.

Every solver (SGD, Adam, and every method of ``scipy.optimize.minimize``)
and the gradient tests go through :func:`loss_and_grad`, so the loss the
optimizer sees and the gradient it follows always agree.

The network is ``outputs = LSTM(X)`` followed by a dense layer
``z = outputs @ coef + intercept`` and an output activation. Each loss is
paired with its canonical activation, so ∂L/∂z is simply
``(activation(z) - y)`` times the sample's weight.

Loss definitions, with sample weights ``w`` and ``W = Σ w``::

    squared_error  L = Σ_s w_s · ½ Σ_k (z_sk - y_sk)² / W
    log_loss       L = -Σ_s w_s Σ_k [y log σ(z) + (1 - y) log(1 - σ(z))]_sk / W
    multinomial    L = -Σ_s w_s Σ_k y_sk log softmax(z_s)_k / W

plus ``alpha / (2 W) · Σ ||weights||²`` over every weight matrix (W, R,
peepholes, the output coefficients), not the biases. For many-to-many
output, a sequence's loss is the mean over its real steps, so each sequence
counts once whatever its length.
"""

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from ._lstm import lstm_backward, lstm_forward
from ._params import ParamLayout

__all__ = [
    "Network", "Objective", "penalised_weights",
    "write_layer_grads", "forward_logits", "loss_and_grad", "sequence_loss",
    "step_weights", "class_probabilities", "OUTPUT_ACTIVATIONS", "LOSSES",
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


OUTPUT_ACTIVATIONS = {"identity": _identity, "logistic": _logistic, "softmax": softmax}


def _squared_error(z, y):
    """Per-(sample, step) loss summed over outputs; shape z.shape[:-1]."""
    return 0.5 * np.sum((z - y) ** 2, axis=-1)


def _binary_log_loss(z, y):
    # -[y log σ(z) + (1-y) log(1-σ(z))] = log(1 + e^z) - y z, computed stably.
    return np.sum(np.logaddexp(0.0, z) - y * z, axis=-1)


def _multinomial_log_loss(z, y):
    return -np.sum(y * log_softmax(z), axis=-1)


# name -> (per-sample loss of logits, output activation of the logits)
LOSSES = {
    "squared_error": (_squared_error, "identity"),
    "log_loss": (_binary_log_loss, "logistic"),
    "multinomial": (_multinomial_log_loss, "softmax"),
}


@dataclass(frozen=True)
class Network:
    """The architecture: what a forward pass needs to know, and its own backward.

    ``LSTM(X)`` followed by a dense layer. :func:`loss_and_grad` only calls
    :meth:`forward`, :meth:`backward` and :meth:`penalised`, so another
    architecture built from the same core (``sklstm._seq2seq``) plugs in by
    providing these three and a ``layout`` with a ``size``.

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

    def forward(self, theta, X, lengths):
        """Logits, the top layer's outputs and the core's cache; see :func:`forward_logits`."""
        layers, coef, intercept = self.layout.unpack(theta)
        hidden, cache = lstm_forward(
            X, layers, lengths=lengths, return_sequences=self.return_sequences
        )
        return hidden @ coef + intercept, hidden, cache

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


def write_layer_grads(g_layers, core_layers):
    """Copy the core's per-layer gradients into ``g_layers``, views of a flat gradient."""
    for dst, src in zip(g_layers, core_layers, strict=True):
        for name in dst:
            dst[name][...] = src[name]  # write through the view into grad


def penalised_weights(layout, theta):
    """Views of ``theta`` under the L2 penalty: every weight matrix (W, R,
    peepholes, the output coefficients), no bias.

    ``layout.unpack(theta)`` must return ``(layers, coef, intercept)``.
    """
    layers, coef, _ = layout.unpack(theta)
    weights = [layer[name] for layer in layers for name in ("W", "R", "p") if name in layer]
    return weights + [coef]


@dataclass(frozen=True)
class Objective:
    """The training objective: the loss of the logits and the L2 penalty.

    Attributes
    ----------
    loss : {"squared_error", "log_loss", "multinomial"}
    alpha : float
        L2 penalty strength.
    """

    loss: str
    alpha: float

    @property
    def activation(self):
        return OUTPUT_ACTIVATIONS[LOSSES[self.loss][1]]


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


def forward_logits(theta, X, lengths, network):
    """Network output before the output activation.

    Parameters
    ----------
    theta : ndarray of shape (layout.size,)
    X : ndarray of shape (n_samples, n_timesteps, n_features)
    lengths : ndarray of shape (n_samples,) or None
    network : Network

    Returns
    -------
    z : ndarray of shape (n_samples, n_outputs), or (n_samples, n_timesteps, n_outputs) \
            for many-to-many
    hidden : ndarray
        The top LSTM layer's outputs, (n_samples, H) or (n_samples, n_timesteps, H).
    cache : dict
        The LSTM core's cache, for :func:`loss_and_grad`.
    """
    return network.forward(theta, X, lengths)


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


def _term_weights(sample_weight, lengths, z):
    """:func:`step_weights` for logits ``z``: many-to-many when ``z`` is 3-D."""
    n_timesteps = z.shape[1] if z.ndim == 3 else None
    return step_weights(sample_weight, lengths, z.shape[0], n_timesteps, z.dtype)


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
    per_term = LOSSES[objective.loss][0](z, y)
    # Padded steps' targets may hold anything, even NaN: mask, don't multiply.
    per_term = np.where(weights > 0, per_term, 0.0)
    return float(np.sum(weights * per_term) / weights.sum())


def loss_and_grad(theta, X, y, lengths, sample_weight, network, objective):
    """Loss and its gradient with respect to the packed parameters.

    Parameters
    ----------
    theta : ndarray of shape (layout.size,)
        Packed parameters; the computation runs in ``X``'s dtype.
    X : ndarray of shape (n_samples, n_timesteps, n_features)
    y : ndarray of shape (n_samples, n_outputs), or (n_samples, n_timesteps, n_outputs) \
            for many-to-many
        Targets: values for squared error, one-hot or indicator columns for
        the log losses. Entries at padded steps are ignored.
    lengths : ndarray of shape (n_samples,) or None
    sample_weight : ndarray of shape (n_samples,) or None
        Non-negative weights with a positive sum.
    network : Network
    objective : Objective

    Returns
    -------
    loss : float
    grad : ndarray of shape (layout.size,), same dtype as ``theta``
    """
    theta_x = theta.astype(X.dtype, copy=False)
    z, hidden, cache = forward_logits(theta_x, X, lengths, network)
    weights = _term_weights(sample_weight, lengths, z)
    total = weights.sum()
    loss = _weighted_loss(z, y, weights, objective)

    # Canonical link: dL/dz = (activation(z) - y) * weight / Σw
    dz = np.where(weights[..., None] > 0, objective.activation(z) - y, 0.0)
    dz *= (weights / total)[..., None]

    grad = network.backward(theta_x, dz, hidden, cache)
    if objective.alpha:
        penalty = 0.0
        scale = objective.alpha / total
        for weights, dweights in zip(network.penalised(theta_x), network.penalised(grad)):
            penalty += float(np.sum(weights**2))
            dweights += scale * weights
        loss += 0.5 * float(scale) * penalty
    return float(loss), grad.astype(theta.dtype, copy=False)
