r"""An LSTM encoder-decoder for direct multi-step forecasts, composed from the core.

The network reads one array per sample, ``X`` of shape
(B, window + horizon, C), oldest step first:

- the **encoder**, a stack of LSTM layers, reads the first ``window`` steps
  (all C channels) and returns its top layer's last hidden state, the
  context ``h^e`` (B, H);
- the **decoder**, a stack of LSTM layers of the same sizes, runs over the
  last ``horizon`` steps. At step k it reads ``u_k = [x^f_k, h^e]``: that
  step's future covariates ``x^f_k``, the last ``n_future`` channels of X
  (its other channels are not read), and the context, as MQ-RNN's decoders
  do (Wen et al., 2017);
- a dense **head** maps each decoder step's top hidden state ``h^d_k`` to
  that step's ``n_step_outputs`` forecasts,
  ``z_k = h^d_k coef + intercept``.

The logits are flattened step-major to (B, horizon * n_step_outputs), the
layout of :func:`sklstm.forecasting.make_windows`' targets.

Exact BPTT follows from the core's exact gradients: the head's gradient
gives ``δh^d``; :func:`~sklstm._lstm.lstm_backward` of the decoder gives its
weights' gradients and ``δu``; the context's gradient is the sum over the
horizon of its columns of ``δu``, ``δh^e = Σ_k δu_k[n_future:]``; the
encoder's backward takes it as the gradient of its many-to-one output.

With ``pass_states``, each decoder layer also starts from the final hidden
and cell state of the encoder layer at its depth (Sutskever et al., 2014;
DeepAR's decoder), taken from the core's cache by
:func:`~sklstm._lstm.final_states`. Their gradients, the decoder's
``δh0`` and ``δc0``, enter the encoder's backward as the gradients of its
final states (``d_final_states``). Without it the decoder starts from zero
states and the context alone carries the window.
"""

from contextlib import contextmanager
from dataclasses import dataclass

import numpy as np

from ._inference import dense_output, in_chunks, predict_row_bytes
from ._loss import packed_forward, penalised_weights, write_layer_grads
from ._lstm import (
    GateInputOverflow, final_states, kernel_layers, lstm_backward, lstm_predict,
    training_bytes_per_sample,
)
from ._params import ParamLayout, init_lstm_layers, init_output_layer

__all__ = ["EncoderDecoderLayout", "EncoderDecoder"]


@contextmanager
def _named_part(offset, input_name):
    """Re-raise the core's GateInputOverflow about one stack (the encoder's
    or the decoder's) in the model's terms: its layers as ``coefs_``
    entries, ``offset`` the stack's first, and its input as ``input_name``."""
    try:
        yield
    except GateInputOverflow as error:
        raise error.renamed(lambda index: f"coefs_[{offset + index}]", input_name) from None


class EncoderDecoderLayout:
    """Offsets of the encoder, the decoder and the head in one flat vector.

    The encoder's layers come first, then the decoder's, then the head:
    :meth:`unpack` and :meth:`pack` treat both stacks as one list of layers,
    as :class:`~sklstm._params.ParamLayout` does for a single stack.

    Parameters
    ----------
    n_channels : int
        Channels C of ``X``, all read by the encoder.
    n_future : int
        Future-covariate channels (the last ones of ``X``) read by the decoder.
    hidden_sizes : sequence of int
        Units of each layer of the encoder, and of the decoder.
    n_step_outputs : int
        Outputs of the head at each horizon step.
    peephole, coupled : bool, default=False
        LSTM variant of every layer.

    Attributes
    ----------
    encoder, decoder : ParamLayout
        The two stacks; the encoder's head is empty, the decoder's is the head.
    size : int
        Length of the flat vector.
    """

    def __init__(
        self, n_channels, n_future, hidden_sizes, n_step_outputs, *, peephole=False,
        coupled=False,
    ):
        sizes = tuple(hidden_sizes)
        self.n_channels, self.n_future, self.hidden_sizes = n_channels, n_future, sizes
        self.n_step_outputs, self.peephole, self.coupled = n_step_outputs, peephole, coupled
        variant = {"peephole": peephole, "coupled": coupled}
        self.encoder = ParamLayout(n_channels, sizes, 0, **variant)
        self.decoder = ParamLayout(n_future + sizes[-1], sizes, n_step_outputs, **variant)
        self.size = self.encoder.size + self.decoder.size

    @property
    def n_layers(self):
        """Layers of the encoder (and of the decoder)."""
        return len(self.hidden_sizes)

    @property
    def layer_sizes(self):
        """``(n_in, H)`` of each layer: the encoder's, then the decoder's."""
        return self.encoder.layer_sizes + self.decoder.layer_sizes

    def _halves(self, theta):
        if theta.shape != (self.size,):
            raise ValueError(f"theta must have shape ({self.size},), got {theta.shape}.")
        return theta[: self.encoder.size], theta[self.encoder.size :]

    def unpack(self, theta):
        """Views of ``theta`` as ``(layers, coef, intercept)``.

        Returns
        -------
        layers : list of dict
            The encoder's layers, then the decoder's.
        coef : ndarray of shape (H_last, n_step_outputs)
        intercept : ndarray of shape (n_step_outputs,)
        """
        encoder_theta, decoder_theta = self._halves(theta)
        encoder_layers, _, _ = self.encoder.unpack(encoder_theta)
        decoder_layers, coef, intercept = self.decoder.unpack(decoder_theta)
        return encoder_layers + decoder_layers, coef, intercept

    def pack(self, layers, coef, intercept, dtype=np.float64):
        """Copy ``(layers, coef, intercept)``, shaped as :meth:`unpack` returns
        them, into a new flat vector of shape (size,)."""
        if len(layers) != 2 * self.n_layers:
            raise ValueError(
                f"Expected {2 * self.n_layers} layers (encoder, then decoder), got {len(layers)}."
            )
        n = self.n_layers
        empty = np.empty((self.hidden_sizes[-1], 0))
        return np.concatenate([
            self.encoder.pack(layers[:n], empty, np.empty(0), dtype=dtype),
            self.decoder.pack(layers[n:], coef, intercept, dtype=dtype),
        ])

    def initial_weights(self, rng, *, forget_bias=1.0, dtype=np.float64):
        """A new initialisation (as :func:`~sklstm._params.init_lstm_layers`), packed."""
        variant = {"peephole": self.peephole, "coupled": self.coupled,
                   "forget_bias": forget_bias, "dtype": dtype}
        layers = init_lstm_layers(self.n_channels, self.hidden_sizes, rng, **variant)
        layers += init_lstm_layers(self.decoder.n_features, self.hidden_sizes, rng, **variant)
        coef, intercept = init_output_layer(
            self.hidden_sizes[-1], self.n_step_outputs, rng, dtype=dtype
        )
        return self.pack(layers, coef, intercept, dtype=dtype)


@dataclass(frozen=True)
class EncoderDecoder:
    """The encoder-decoder network: forward, backward and the penalised weights.

    It offers what :func:`sklstm._loss.loss_and_grad` calls on a network
    (``forward``, ``backward``, ``penalised``, ``layout.size``), so every
    solver trains it unchanged.

    Attributes
    ----------
    layout : EncoderDecoderLayout
    horizon : int
        Decoder steps: the last ``horizon`` steps of ``X``.
    pass_states : bool
        Whether each decoder layer starts from the final (h, c) of the
        encoder layer at its depth, rather than from zeros.
    """

    layout: EncoderDecoderLayout
    horizon: int
    pass_states: bool = False

    def _split(self, theta):
        layers, coef, intercept = self.layout.unpack(theta)
        n = self.layout.n_layers
        return layers[:n], layers[n:], coef, intercept

    def forward(self, theta, X, lengths, dropout_masks=None):
        """Logits of the flattened horizon.

        Parameters
        ----------
        theta : ndarray of shape (layout.size,)
        X : ndarray of shape (B, window + horizon, n_channels)
        lengths : None
            Sequences of different lengths are not supported.
        dropout_masks : list of tuple, optional
            Training's variational dropout masks, one ``(mask_x, mask_h)``
            pair per layer of :attr:`EncoderDecoderLayout.layer_sizes`: the
            encoder's, then the decoder's (whose first layer's inputs are the
            future covariates and the context).

        Returns
        -------
        z : ndarray of shape (B, horizon * n_step_outputs)
            Step-major: every output of the first horizon step, then the next.
            All NaN if the encoder's states are not finite (weights from a
            diverging solver).
        hidden : ndarray of shape (B, horizon, H_last), or None
            The decoder's top hidden states.
        cache : tuple or None
            The two core caches, for :meth:`backward`; None with NaN ``z``.
        """
        if lengths is not None:
            raise ValueError("The encoder-decoder needs sequences of equal length.")
        if not np.isfinite(theta).all():  # see the same below, for the states
            return self._nan_logits(X), None, None
        encoder, decoder, coef, intercept = self._split(theta)
        window = X.shape[1] - self.horizon
        n = self.layout.n_layers
        encoder_masks, decoder_masks = (
            (None, None) if dropout_masks is None else (dropout_masks[:n], dropout_masks[n:])
        )
        run = packed_forward(X[:, :window], encoder, dropout_masks=encoder_masks)
        if run is None:  # weights grown beyond the data's scale: divergence
            return self._nan_logits(X), None, None
        context, encoder_cache = run  # context: (B, H)
        h0, c0 = final_states(encoder_cache) if self.pass_states else (None, None)
        if not all(np.isfinite(a).all() for a in [context, *(h0 or []), *(c0 or [])]):
            # Non-finite weights (a diverging solver's trial step): the core
            # refuses non-finite states, and NaN logits are how every solver
            # learns of divergence; backward then returns a NaN gradient.
            return self._nan_logits(X), None, None
        U = self._decoder_input(X[:, window:], context)
        run = packed_forward(
            U, decoder, h0=h0, c0=c0, return_sequences=True, dropout_masks=decoder_masks
        )
        if run is None:
            return self._nan_logits(X), None, None
        hidden, decoder_cache = run
        z = dense_output(hidden, coef, intercept)  # (B, horizon, n_step_outputs)
        return z.reshape(len(X), -1), hidden, (encoder_cache, decoder_cache)

    def _nan_logits(self, X):
        """NaN logits of the shape :meth:`forward` gives for ``X``."""
        return np.full((len(X), self.horizon * self.layout.n_step_outputs), np.nan, X.dtype)

    def _decoder_input(self, X_horizon, context):
        """The decoder's input ``u_k = [x^f_k, h^e]`` at every horizon step.

        Parameters
        ----------
        X_horizon : ndarray of shape (B, horizon, n_channels)
            The horizon steps of ``X``; their last ``n_future`` channels are read.
        context : ndarray of shape (B, H)
            The encoder's top hidden state after the window.

        Returns
        -------
        U : ndarray of shape (B, horizon, n_future + H)
        """
        future = X_horizon[:, :, X_horizon.shape[2] - self.layout.n_future :]
        repeated = np.broadcast_to(context[:, None], (*future.shape[:2], context.shape[1]))
        return np.concatenate([future, repeated], axis=2)

    def predict(self, theta, X, lengths, *, working_memory=None, transform=None):
        """Logits alone, :meth:`forward`'s ``z``, without a backward cache.

        The encoder and the decoder run the core's forward-only pass
        (:func:`~sklstm._lstm.lstm_predict`) over chunks of samples bounded
        by scikit-learn's ``working_memory`` (see :mod:`sklstm._inference`).
        Equal to ``forward(theta, X, lengths)[0]`` to rounding; each
        chunk's mapped by ``transform``, row by row, if given.

        NaN logits for non-finite weights or states, as :meth:`forward`'s.
        Where the gate inputs may overflow (inputs or weights near the
        dtype's range), raises :class:`~sklstm._lstm.GateInputOverflow`, as
        :class:`~sklstm._loss.Network`'s ``predict`` does, naming the part
        of the model (forward reads it as divergence, for the solvers).
        """
        if lengths is not None:
            raise ValueError("The encoder-decoder needs sequences of equal length.")
        if not np.isfinite(theta).all():
            z = self._nan_logits(X)
            return z if transform is None else transform(z)
        encoder, decoder, coef, intercept = self._split(theta)
        # packed once for every chunk
        encoder, decoder = (kernel_layers(layers, X.dtype) for layers in (encoder, decoder))
        window, horizon = X.shape[1] - self.horizon, self.horizon
        H = self.layout.hidden_sizes[-1]
        n_outputs = self.layout.n_step_outputs
        row_bytes = (
            predict_row_bytes(window, X.shape[2], X.itemsize, encoder, H, False)
            + predict_row_bytes(horizon, self.layout.n_future + H, X.itemsize, decoder,
                                n_outputs, True)
        )

        n = self.layout.n_layers

        def logits_of(rows):
            with _named_part(0, "the window of X (standardised)"):
                context, (h0, c0) = lstm_predict(
                    X[rows, :window], encoder, return_final_states=True
                )
            if not all(np.isfinite(a).all() for a in [context, *h0, *c0]):
                return self._nan_logits(context)  # as forward's: non-finite states
            if not self.pass_states:
                h0 = c0 = None
            U = self._decoder_input(X[rows, window:], context)
            with _named_part(n, "the decoder's input (the standardised future covariates "
                             "and the encoder's context)"):
                hidden = lstm_predict(U, decoder, h0=h0, c0=c0, return_sequences=True)
            return dense_output(hidden, coef, intercept).reshape(len(U), -1)

        return in_chunks(logits_of, len(X), row_bytes, working_memory, transform)

    def training_row_bytes(self, X):
        """Bytes per sample of :meth:`forward` and :meth:`backward` on ``X``
        (n_samples, window + horizon, n_channels), an upper estimate: both
        stacks' caches, the decoder's input ``[x^f_k, h^e]`` and its gradient,
        and the head's outputs."""
        window, horizon = X.shape[1] - self.horizon, self.horizon
        n = self.layout.n_layers
        sizes = self.layout.layer_sizes
        H = self.layout.hidden_sizes[-1]
        # [x^f_k, h^e] and its gradient; the top outputs and their gradient,
        # the logits, their gradient and the loss's temporaries (as Network's).
        decoder_io = horizon * (2 * (self.layout.n_future + H) + 2 * H
                                + 8 * self.layout.n_step_outputs)
        return (training_bytes_per_sample(sizes[:n], window, X.itemsize)
                + training_bytes_per_sample(sizes[n:], horizon, X.itemsize)
                + X.itemsize * decoder_io)

    def backward(self, theta, dz, hidden, cache):
        """Gradient of the data loss with respect to ``theta``, given ∂L/∂z.

        Parameters
        ----------
        theta : ndarray of shape (layout.size,)
        dz : ndarray of shape (B, horizon * n_step_outputs)
        hidden, cache
            As returned by :meth:`forward` for the same ``theta``.

        Returns
        -------
        grad : ndarray of shape (layout.size,)
        """
        if cache is None:  # forward met non-finite states
            return np.full_like(theta, np.nan)
        encoder_cache, decoder_cache = cache
        _, _, coef, _ = self._split(theta)
        grad = np.zeros_like(theta)
        g_encoder, g_decoder, g_coef, g_intercept = self._split(grad)
        dz = dz.reshape(*hidden.shape[:2], -1)  # (B, horizon, n_step_outputs)
        g_coef[...] = hidden.reshape(-1, hidden.shape[-1]).T @ dz.reshape(-1, dz.shape[-1])
        g_intercept[...] = dz.sum(axis=(0, 1))
        decoder_grads = lstm_backward(dz @ coef.T, decoder_cache, input_grad=True)
        # The context entered every decoder step: its gradient is the sum.
        d_context = decoder_grads["X"][:, :, self.layout.n_future :].sum(axis=1)
        d_states = (decoder_grads["h0"], decoder_grads["c0"]) if self.pass_states else None
        encoder_grads = lstm_backward(
            d_context, encoder_cache, input_grad=False, d_final_states=d_states
        )
        write_layer_grads(g_encoder, encoder_grads["layers"])
        write_layer_grads(g_decoder, decoder_grads["layers"])
        return grad

    def penalised(self, theta):
        """Views of ``theta`` under the L2 penalty; see :func:`~sklstm._loss.penalised_weights`."""
        return penalised_weights(self.layout, theta)
