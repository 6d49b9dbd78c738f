"""Network predictions in chunks of samples, within a bounded working memory.

Prediction needs no backward cache: :func:`predict_logits` runs the
forward-only pass of the LSTM core (:func:`sklstm._lstm.lstm_predict`) and
the dense head over a chunk of samples at a time, sized by scikit-learn's
``working_memory`` setting (``sklearn.get_config()``) as scikit-learn's own
chunked computations are. No sample depends on another: each chunk's
result is the full batch's rows, to rounding. The output layer sums each
row on its own (:func:`dense_output`), but BLAS may compute the LSTM
layers' products for another number of rows with other kernels, which sum
in another order and can move the last bits (about 1e-16 relative in
float64, 1e-7 in float32): a sequence predicted alone, in another batch or
under another ``working_memory`` can differ from itself that much.
"""

import math
import numbers

import numpy as np
from sklearn import get_config

from ._lstm import kernel_layers, lstm_predict

__all__ = [
    "dense_output", "predict_logits", "predict_row_bytes", "chunk_n_samples", "chunk_slices",
    "in_chunks",
]

# Chunks hold at least two samples: BLAS computes a one-row product by
# another path than a many-row one (a matrix-vector product), whose sums
# move furthest from the whole batch's (see the module notes).
_MIN_CHUNK = 2


def dense_output(hidden, coef, intercept):
    """The output layer, ``hidden @ coef + intercept``, each row's logits the
    same whatever other rows share the batch.

    BLAS sums a row of a matrix product in an order that can depend on the
    number of rows and the row's place among them (NumPy's OpenBLAS 0.3.31
    does so for any number of outputs; older ones with one output): a
    sequence's logits moved in their last bits with the chunk or batch it
    was in. NumPy's ``einsum`` without BLAS sums each row on its own, over
    ``H`` in order.

    Parameters
    ----------
    hidden : ndarray of shape (..., H)
    coef : ndarray of shape (H, k)
    intercept : ndarray of shape (k,)

    Returns
    -------
    z : ndarray of shape (..., k)
    """
    return np.einsum("...h,hk->...k", hidden, coef, optimize=False) + intercept


def predict_row_bytes(
    n_steps, n_features, itemsize, kernels, n_outputs, return_sequences, bidirectional=False,
):
    """Bytes of working memory per sample of one chunk of ``lstm_predict``
    and :func:`dense_output`, an upper estimate.

    Counts the sorted copy of a ragged chunk's input, each layer's
    per-sample buffers in ``lstm_predict`` (at two steps per chunk: longer
    chunks are capped by a fixed byte budget; a bidirectional layer keeps
    all ``T`` steps of both directions and of its reversed input and output),
    and the chunk's outputs and logits with one temporary copy of each.
    """
    T = n_steps
    steps = 3 * T if bidirectional else 2
    per_layer = sum(
        steps * (lay.n_in + 1 + lay.n_rec) + (lay.n_blocks + 6) * lay.H for lay in kernels
    )
    H = kernels[-1].H * (2 if bidirectional else 1)
    out = 2 * T * (H + n_outputs) if return_sequences else 2 * (H + n_outputs)
    return itemsize * (T * n_features + per_layer + out)


def chunk_n_samples(row_bytes, n_samples, working_memory=None):
    """Samples per chunk so that a chunk needs at most ``working_memory`` MiB.

    Parameters
    ----------
    row_bytes : int
        Working memory per sample, in bytes.
    n_samples : int
    working_memory : float, optional
        In MiB; ``sklearn.get_config()["working_memory"]`` when None.

    Returns
    -------
    n : int
        In ``[min(2, n_samples), n_samples]``: samples that need more than
        the budget still run, two at a time (see ``_MIN_CHUNK``).
    """
    if working_memory is None:
        working_memory = get_config()["working_memory"]
    # scikit-learn's set_config takes any value; it is read here first.
    if isinstance(working_memory, bool) or not isinstance(working_memory, numbers.Real):
        raise TypeError(
            "scikit-learn's working_memory setting must be a number of MiB, got "
            f"{working_memory!r}; set it with sklearn.set_config(working_memory=...)."
        )
    if working_memory != working_memory:
        raise ValueError("scikit-learn's working_memory setting is NaN; it must be a number "
                         "of MiB (sklearn.set_config(working_memory=...)).")
    # Compared, not math.isinf: an int beyond float's range is a number too.
    if working_memory in (math.inf, -math.inf):  # no budget, or none at all
        n = n_samples if working_memory > 0 else 0
    else:
        # In Python numbers: a float16's 2**20 and 1e308 MiB's bytes overflow
        # to inf, whose quotient is NaN. A budget beyond every sample's needs
        # is all of them.
        budget = (int(working_memory) if isinstance(working_memory, numbers.Integral)
                  else float(working_memory))
        row_bytes = max(row_bytes, 1)
        n = (n_samples if budget >= n_samples * row_bytes / 2**20
             else int(budget * 2**20 // row_bytes))
    return max(min(_MIN_CHUNK, n_samples), min(n, n_samples))


def _chunks(n_samples, chunk):
    """Slices of ``chunk`` samples; the last one absorbs a remainder below ``_MIN_CHUNK``.

    (sklearn.utils.gen_batches does the same, but its argument validation
    takes ~25 us, 1-2% of predicting 256 short sequences.)
    """
    starts = list(range(0, n_samples, chunk))
    if len(starts) > 1 and n_samples - starts[-1] < _MIN_CHUNK:
        starts.pop()
    return [slice(a, b) for a, b in zip(starts, starts[1:] + [n_samples])]


def chunk_slices(n_samples, row_bytes, working_memory=None):
    """Slices of samples whose chunks need at most ``working_memory`` MiB each
    (see :func:`chunk_n_samples`); the last absorbs a remainder below two."""
    return _chunks(n_samples, chunk_n_samples(row_bytes, n_samples, working_memory))


def in_chunks(compute, n_samples, row_bytes, working_memory=None, transform=None):
    """``compute(rows)`` over chunks of samples, assembled along the first axis.

    Parameters
    ----------
    compute : callable
        ``compute(rows) -> ndarray of shape (n_rows, ...)`` for a slice
        ``rows`` of the samples; every chunk's trailing shape and dtype
        are the same.
    n_samples : int
    row_bytes : int
        Working memory ``compute`` needs per sample, in bytes.
    working_memory : float, optional
        MiB a chunk may use; ``sklearn.get_config()["working_memory"]`` when None.
    transform : callable, optional
        Applied to each chunk's result as it is computed, row by row:
        what the caller keeps of it (labels of logits, say), so that the
        results of all samples are never held at once.

    Returns
    -------
    out : ndarray of shape (n_samples, ...)
    """
    out = None
    for rows in chunk_slices(n_samples, row_bytes, working_memory):
        part = compute(rows)
        if transform is not None:
            part = transform(part)
        if out is None:
            out = np.empty((n_samples, *part.shape[1:]), dtype=part.dtype)
        out[rows] = part
    return out


def predict_logits(theta, X, lengths, network, *, working_memory=None, transform=None):
    """Network output before the output activation, without a backward cache.

    Parameters
    ----------
    theta : ndarray of shape (layout.size,)
        Packed parameters (see ``network.layout``).
    X : ndarray of shape (n_samples, n_timesteps, n_features)
        float32 or float64; the LSTM layers run in this dtype.
    lengths : ndarray of shape (n_samples,) or None
        Real steps of each sequence; padding trails.
    network : Network
        The architecture (:class:`sklstm._loss.Network`).
    working_memory : float, optional
        MiB a chunk of samples may use; ``sklearn.get_config()["working_memory"]``
        when None.
    transform : callable, optional
        Applied to each chunk's logits, row by row (see :func:`in_chunks`).

    Returns
    -------
    z : ndarray of shape (n_samples, n_outputs), or (n_samples, n_timesteps, n_outputs) \
            for many-to-many
        ``forward_logits(theta, X, lengths, network)[0]`` of
        :mod:`sklstm._loss`, to rounding (module docstring); mapped by
        ``transform`` if given.
    """
    layers, coef, intercept = network.layout.unpack(theta)
    # packed once for every chunk
    kernels = kernel_layers(layers, X.dtype, network.gate_variant)
    row_bytes = predict_row_bytes(
        *X.shape[1:], X.itemsize, kernels, coef.shape[1], network.return_sequences,
        network.bidirectional,
    )

    def logits_of(rows):
        hidden = lstm_predict(
            X[rows], kernels, lengths=None if lengths is None else lengths[rows],
            return_sequences=network.return_sequences, gate_variant=network.gate_variant,
            bidirectional=network.bidirectional,
        )
        return dense_output(hidden, coef, intercept)

    return in_chunks(logits_of, X.shape[0], row_bytes, working_memory, transform)
