r"""Stateless forward and backward passes of a stack of LSTM layers.

This module is the numerical core of sklstm. It knows nothing of
scikit-learn: it maps arrays to arrays, keeps no state between calls, and
returns everything ``lstm_backward`` needs in an explicit cache.

Notation (seed texts, Greff et al. 2017)
----------------------------------------
For one layer with ``n_in`` inputs and ``H`` units, at step ``t``:

- ``x_t``  (B, n_in)  input; ``h_t``, ``c_t`` (B, H) hidden and cell state;
- ``W``    (n_in, 4H) input weights, ``R`` (H, 4H) recurrent weights,
  ``b`` (4H,) bias, with gate blocks in the order **i, f, g, o**;
- ``p``    (3, H) optional peephole weights, rows for **i, f, o**.

``W``, ``R`` and ``b`` are PyTorch's ``weight_ih_l0.T``, ``weight_hh_l0.T``
and ``bias_ih_l0 + bias_hh_l0``: weights move between the two by a transpose.

Forward (``*`` is the element-wise product, ``σ`` the logistic sigmoid)::

    a^θ_t = x_t W^θ + h_{t-1} R^θ + b^θ            θ ∈ {i, f, g, o}
    i_t = σ(a^i_t + p^i * c_{t-1})                   input gate
    f_t = σ(a^f_t + p^f * c_{t-1})                   forget gate
    g_t = tanh(a^g_t)                                block input
    c_t = f_t * c_{t-1} + i_t * g_t                  cell "highway"
    o_t = σ(a^o_t + p^o * c_t)                       output gate (sees c_t)
    h_t = o_t * tanh(c_t)

Without peepholes the ``p`` terms are absent. With the coupled input-forget
gate (CIFG) ``f_t = 1 - i_t``; there is no f block, so ``W``, ``R``, ``b``
have 3H columns in the order **i, g, o** and ``p`` has rows **i, o**.

Backward (``δz`` is ∂L/∂z; ``δh_t`` already holds the loss gradient from the
output at step t plus the recurrent term from step t+1)::

    δo_t  = δh_t * tanh(c_t)
    δa^o  = δo_t * o_t (1 - o_t)
    δc_t  = δh_t * o_t (1 - tanh²(c_t)) + δa^o * p^o + δc_{t+1}|rec
    δa^i  = δc_t * g_t * i_t (1 - i_t)
    δa^f  = δc_t * c_{t-1} * f_t (1 - f_t)           (CIFG: δa^i uses g_t - c_{t-1})
    δa^g  = δc_t * i_t * (1 - g_t²)
    δc_{t-1}|rec = δc_t * f_t + δa^i * p^i + δa^f * p^f
    δh_{t-1}|rec = δa_t R^T                           δa_t = [δa^i, δa^f, δa^g, δa^o]
    δx_t  = δa_t W^T

and the parameter gradients are sums over time and batch::

    δW = Σ_t x_t^T δa_t     δR = Σ_t h_{t-1}^T δa_t     δb = Σ_t Σ_batch δa_t
    δp^i = Σ δa^i * c_{t-1}   δp^f = Σ δa^f * c_{t-1}   δp^o = Σ δa^o * c_t

(Seed 002 writes tanh' for the i and f gates, uses n² for dL/di³ and starts
every gate's weight gradient from δc; the formulas above are derived anew
and checked by central finite differences in ``tests/test_lstm.py``.)

Implementation notes
--------------------
- Inside the kernel the gate blocks are reordered to ``g, i, f, o`` so that
  every sigmoid block is contiguous and every block driven by ``δc`` precedes
  the o block. The columns of sigmoid gates are pre-scaled by 1/2, so one
  ``tanh`` over all blocks and an affine ``0.5 u + 0.5`` give every gate:
  ``σ(a) = (1 + tanh(a / 2)) / 2`` never overflows.
- The input projection of all steps and every weight gradient are single
  large matrix products outside the time loop; only ``h R`` and ``δa R^T``
  stay inside it, where BLAS runs single-threaded for small problems.
- Variable-length sequences are sorted by decreasing length so that the
  active samples at step t are a prefix ``[:n_t]`` of the batch; padded
  steps carry the state unchanged, output zeros and get exactly zero
  gradient.
"""

from contextlib import nullcontext

import numpy as np
from threadpoolctl import ThreadpoolController

__all__ = ["lstm_forward", "lstm_backward", "gate_blocks"]

# Public gate order of each variant, and the internal order used in the kernel.
_PUBLIC_BLOCKS = {4: ("i", "f", "g", "o"), 3: ("i", "g", "o")}
_INTERNAL_BLOCKS = {4: ("g", "i", "f", "o"), 3: ("g", "i", "o")}
_PEEPHOLE_ROWS = {4: ("i", "f", "o"), 3: ("i", "o")}

# Below this many multiply-adds, the per-step product ``h R`` runs faster on
# one BLAS thread: thread start-up costs more than the arithmetic it shares.
_SINGLE_THREAD_MACS = 2**22

_controller = None


def _blas_threads_for(n_macs):
    """Context limiting BLAS to one thread for small per-step products."""
    global _controller
    if n_macs >= _SINGLE_THREAD_MACS:
        return nullcontext()
    if _controller is None:
        _controller = ThreadpoolController()
    return _controller.limit(limits=1, user_api="blas")


def gate_blocks(coupled=False):
    """Names of the gate blocks of ``W``, ``R`` and ``b``, in column order.

    Parameters
    ----------
    coupled : bool, default=False
        Whether the layer uses the coupled input-forget gate (CIFG).

    Returns
    -------
    blocks : tuple of str
        ``("i", "f", "g", "o")``, or ``("i", "g", "o")`` when coupled.
    """
    return _PUBLIC_BLOCKS[3 if coupled else 4]


def _layer_shape(layer):
    """Return (n_in, H, n_blocks, has_peepholes) of a layer dict, checked."""
    W, R, b = layer["W"], layer["R"], layer["b"]
    H = R.shape[0]
    if R.ndim != 2 or H == 0 or R.shape[1] % H:
        raise ValueError(f"R must have shape (H, 4H) or (H, 3H), got {R.shape}.")
    n_blocks = R.shape[1] // H
    if n_blocks not in _PUBLIC_BLOCKS:
        raise ValueError(f"R must have shape (H, 4H) or (H, 3H), got {R.shape}.")
    if W.ndim != 2 or W.shape[1] != n_blocks * H:
        raise ValueError(f"W must have shape (n_in, {n_blocks * H}), got {W.shape}.")
    if b.shape != (n_blocks * H,):
        raise ValueError(f"b must have shape ({n_blocks * H},), got {b.shape}.")
    p = layer.get("p")
    if p is not None and p.shape != (n_blocks - 1, H):
        raise ValueError(f"p must have shape ({n_blocks - 1}, {H}), got {p.shape}.")
    return W.shape[0], H, n_blocks, p is not None


def _block_permutation(n_blocks, H):
    """Column indices taking public gate order to the kernel's order."""
    public = _PUBLIC_BLOCKS[n_blocks]
    internal = _INTERNAL_BLOCKS[n_blocks]
    starts = [public.index(name) * H for name in internal]
    return np.concatenate([np.arange(s, s + H) for s in starts])


class _Layer:
    """Kernel-ready copies of one layer's parameters (internal gate order).

    Attributes ending in ``_half`` have the sigmoid gates' columns scaled by
    1/2 for the forward pass; the unscaled ones serve the backward pass.
    """

    def __init__(self, layer, dtype):
        n_in, H, n_blocks, peephole = _layer_shape(layer)
        self.n_in, self.H, self.n_blocks, self.peephole = n_in, H, n_blocks, peephole
        self.perm = _block_permutation(n_blocks, H)
        half = np.ones(n_blocks * H, dtype=dtype)
        half[H:] = 0.5  # every block after g is a sigmoid gate
        W = np.asarray(layer["W"], dtype=dtype)[:, self.perm]
        R = np.asarray(layer["R"], dtype=dtype)[:, self.perm]
        b = np.asarray(layer["b"], dtype=dtype)[self.perm]
        self.W_half = W * half
        self.R_half = R * half
        self.b_half = b * half
        self.WT = np.ascontiguousarray(W.T)  # (nb*H, n_in)
        self.RT = np.ascontiguousarray(R.T)  # (nb*H, H)
        if peephole:
            p = np.asarray(layer["p"], dtype=dtype)
            self.p = p  # rows (i, f, o) or (i, o)
            self.p_half = 0.5 * p


def _active_counts(lengths, n_samples, n_steps):
    """Number of active (unpadded) samples per step, for samples sorted by length."""
    if lengths is None:
        return None
    return (lengths[None, :] > np.arange(n_steps)[:, None]).sum(axis=1)


def _layer_forward(X_tm, lay, h0, c0, n_active):
    """Run one layer over time-major input.

    Parameters
    ----------
    X_tm : ndarray of shape (T, B, n_in), C-contiguous
    lay : _Layer
    h0, c0 : ndarray of shape (B, H)
    n_active : ndarray of shape (T,) or None
        Active samples per step; samples must be sorted by decreasing length.

    Returns
    -------
    cache : dict
        ``X`` (T, B, n_in); ``A`` (T, B, nb*H) gate activations in internal
        order; ``Hs``, ``Cs`` (T+1, B, H) states including the initial ones;
        ``TC`` (T, B, H) tanh of the cell state.
    """
    T, B, n_in = X_tm.shape
    H, nb = lay.H, lay.n_blocks
    dtype = X_tm.dtype
    # Input projection of every step in one product; gates are computed in place.
    A = (X_tm.reshape(T * B, n_in) @ lay.W_half).reshape(T, B, nb * H)
    A += lay.b_half
    Hs = np.empty((T + 1, B, H), dtype=dtype)
    Cs = np.empty((T + 1, B, H), dtype=dtype)
    TC = np.empty((T, B, H), dtype=dtype)
    Hs[0], Cs[0] = h0, c0
    rec = np.empty((B, nb * H), dtype=dtype)
    tmp = np.empty((B, H), dtype=dtype)
    R_half = lay.R_half
    coupled = nb == 3
    g_end = H
    if lay.peephole:
        p_half = lay.p_half
    with _blas_threads_for(B * H * nb * H):
        for t in range(T):
            n = B if n_active is None else n_active[t]
            a = A[t, :n]
            h_prev, c_prev, c = Hs[t, :n], Cs[t, :n], Cs[t + 1, :n]
            np.matmul(h_prev, R_half, out=rec[:n])
            a += rec[:n]
            if lay.peephole:
                # i and f (or just i) see c_{t-1}; o must wait for c_t.
                for row in range(nb - 2):
                    blk = a[:, H * (row + 1) : H * (row + 2)]
                    np.multiply(p_half[row], c_prev, out=tmp[:n])
                    blk += tmp[:n]
                act = a[:, : (nb - 1) * H]
            else:
                act = a
            np.tanh(act, out=act)
            sig = act[:, g_end:]
            sig *= 0.5
            sig += 0.5
            g, i = a[:, :H], a[:, H : 2 * H]
            if coupled:
                # c = c_prev + i (g - c_prev), i.e. f = 1 - i
                np.subtract(g, c_prev, out=tmp[:n])
                tmp[:n] *= i
                np.add(c_prev, tmp[:n], out=c)
            else:
                np.multiply(a[:, 2 * H : 3 * H], c_prev, out=c)
                np.multiply(i, g, out=tmp[:n])
                c += tmp[:n]
            o = a[:, (nb - 1) * H :]
            if lay.peephole:
                np.multiply(p_half[-1], c, out=tmp[:n])
                o += tmp[:n]
                np.tanh(o, out=o)
                o *= 0.5
                o += 0.5
            tc = TC[t, :n]
            np.tanh(c, out=tc)
            np.multiply(o, tc, out=Hs[t + 1, :n])
            if n < B:
                # Padded steps carry the state; their gate cache is zeroed so
                # that the backward factors vanish there.
                Hs[t + 1, n:] = Hs[t, n:]
                Cs[t + 1, n:] = Cs[t, n:]
                A[t, n:] = 0
                TC[t, n:] = 0
    return {"X": X_tm, "A": A, "Hs": Hs, "Cs": Cs, "TC": TC}


def _layer_backward(cache, lay, d_seq, dh_last, n_active, input_grad):
    """Backpropagate through one layer.

    Parameters
    ----------
    cache : dict from ``_layer_forward``
    lay : _Layer
    d_seq : ndarray of shape (T, B, H) or None
        Gradient of the loss with respect to the layer's output at every step.
    dh_last : ndarray of shape (B, H) or None
        Gradient with respect to the final hidden state (many-to-one).
    n_active : ndarray of shape (T,) or None
    input_grad : bool
        Whether to compute the gradient with respect to the layer's input.

    Returns
    -------
    grads : dict
        ``W``, ``R``, ``b`` (and ``p``) in public gate order, ``h0``, ``c0``
        of shape (B, H), and ``X`` of shape (T, B, n_in) or None.
    """
    X_tm, A, Hs, Cs, TC = cache["X"], cache["A"], cache["Hs"], cache["Cs"], cache["TC"]
    T, B, n_in = X_tm.shape
    H, nb = lay.H, lay.n_blocks
    dtype = A.dtype
    C_prev = Cs[:-1]
    g, i = A[..., :H], A[..., H : 2 * H]
    o = A[..., (nb - 1) * H :]

    # Local derivative factors of all steps at once, as big vectorised
    # operations, so that the time loop only multiplies by δc and δh.
    # F holds, per block, what δc (or δh for the o block) is multiplied by;
    # it is overwritten in place with δa as the loop runs.
    F = np.empty_like(A)
    F4 = F.reshape(T, B, nb, H)
    np.multiply(i, 1.0 - g * g, out=F4[:, :, 0])  # δa^g = δc i (1-g²)
    sig_deriv = A[..., H:] * (1.0 - A[..., H:])  # σ' of i, (f,) o
    if nb == 4:
        np.multiply(g, sig_deriv[..., :H], out=F4[:, :, 1])  # δa^i = δc g σ'
        np.multiply(C_prev, sig_deriv[..., H : 2 * H], out=F4[:, :, 2])  # δa^f
        keep = A[..., 2 * H : 3 * H].copy()  # δc_{t-1} = δc f + ...
    else:
        np.multiply(g - C_prev, sig_deriv[..., :H], out=F4[:, :, 1])
        keep = 1.0 - i
    np.multiply(TC, sig_deriv[..., -H:], out=F4[:, :, nb - 1])  # δa^o = δh tanh(c) σ'
    dc_from_dh = o * (1.0 - TC * TC)
    del sig_deriv
    if lay.peephole:
        p = lay.p
        dc_from_dh += F4[:, :, nb - 1] * p[-1]
        for row in range(nb - 2):
            keep += F4[:, :, row + 1] * p[row]
    if n_active is not None:
        for t in np.flatnonzero(n_active < B):
            F[t, n_active[t] :] = 0

    dh_rec = np.zeros((B, H), dtype=dtype) if dh_last is None else dh_last.astype(dtype, copy=True)
    dc_rec = np.zeros((B, H), dtype=dtype)
    dh_buf = np.empty((B, H), dtype=dtype)
    dc = np.empty((B, H), dtype=dtype)
    RT = lay.RT
    with _blas_threads_for(B * H * nb * H):
        for t in range(T - 1, -1, -1):
            n = B if n_active is None else n_active[t]
            if d_seq is not None:
                dh = np.add(dh_rec[:n], d_seq[t, :n], out=dh_buf[:n])
            else:
                dh = dh_rec[:n]
            dct = dc[:n]
            np.multiply(dh, dc_from_dh[t, :n], out=dct)
            dct += dc_rec[:n]
            Ft = F4[t, :n]
            Ft[:, : nb - 1] *= dct[:, None, :]
            Ft[:, nb - 1] *= dh
            np.multiply(dct, keep[t, :n], out=dc_rec[:n])
            np.matmul(F[t, :n], RT, out=dh_rec[:n])

    dA = F.reshape(T * B, nb * H)  # now δa of every step
    inv = np.empty_like(lay.perm)
    inv[lay.perm] = np.arange(lay.perm.size)
    grads = {
        "W": (X_tm.reshape(T * B, n_in).T @ dA)[:, inv],
        "R": (Hs[:-1].reshape(T * B, H).T @ dA)[:, inv],
        "b": dA.sum(axis=0)[inv],
        "h0": dh_rec,
        "c0": dc_rec,
        "X": (dA @ lay.WT).reshape(T, B, n_in) if input_grad else None,
    }
    if lay.peephole:
        dp = np.empty_like(lay.p)
        for row in range(nb - 2):
            dp[row] = np.einsum("tbh,tbh->h", F4[:, :, row + 1], C_prev)
        dp[-1] = np.einsum("tbh,tbh->h", F4[:, :, nb - 1], Cs[1:])
        grads["p"] = dp
    return grads


def _check_lengths(lengths, n_samples, n_steps):
    lengths = np.asarray(lengths)
    if lengths.shape != (n_samples,) or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths must be an integer array of shape ({n_samples},).")
    if lengths.size and (lengths.min() < 1 or lengths.max() > n_steps):
        raise ValueError(f"lengths must lie in [1, {n_steps}].")
    return lengths.astype(np.intp)


def lstm_forward(X, layers, *, h0=None, c0=None, lengths=None, return_sequences=False):
    """Forward pass of a stack of LSTM layers.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_features)
        Input sequences, float32 or float64; the computation runs in this
        dtype. Padded steps (beyond ``lengths``) must hold finite values.
    layers : sequence of dict
        One dict per layer with ``W`` (n_in, 4H), ``R`` (H, 4H), ``b`` (4H,)
        and optionally ``p`` (3, H); coupled layers use 3H columns and
        ``p`` of shape (2, H). See the module docstring.
    h0, c0 : sequence of ndarray of shape (n_samples, H_l), optional
        Initial hidden and cell state of each layer; zeros when omitted.
    lengths : array-like of int of shape (n_samples,), optional
        Number of real (unpadded) steps of each sequence; padding trails.
    return_sequences : bool, default=False
        If False (many-to-one), return each sequence's last hidden state of
        the top layer; if True (many-to-many), its hidden state at every step,
        with zeros at padded steps.

    Returns
    -------
    outputs : ndarray of shape (n_samples, H_top) or (n_samples, n_timesteps, H_top)
    cache : dict
        Everything ``lstm_backward`` needs. It holds references, not copies,
        of the inputs; do not modify them between forward and backward.
    """
    X = np.asarray(X)
    if X.ndim != 3:
        raise ValueError(f"X must have shape (n_samples, n_timesteps, n_features), got {X.shape}.")
    if X.dtype not in (np.float32, np.float64):
        raise TypeError(f"X must be float32 or float64, got {X.dtype}.")
    if not layers:
        raise ValueError("layers must hold at least one layer.")
    dtype = X.dtype
    B, T_full, _ = X.shape
    kernels = [_Layer(layer, dtype) for layer in layers]
    n_in = X.shape[2]
    for depth, lay in enumerate(kernels):
        if lay.n_in != n_in:
            raise ValueError(f"Layer {depth} expects {lay.n_in} inputs, got {n_in}.")
        n_in = lay.H

    order = None
    T = T_full
    if lengths is not None:
        lengths = _check_lengths(lengths, B, T_full)
        if B and lengths.min() < T_full:
            order = np.argsort(-lengths, kind="stable")
            lengths = lengths[order]
            T = int(lengths[0])
            X = X[order, :T]
        else:
            lengths = None
    n_active = _active_counts(lengths, B, T)

    def initial(states, depth, H):
        if states is None:
            return np.zeros((B, H), dtype=dtype)
        s = np.asarray(states[depth], dtype=dtype)
        if s.shape != (B, H):
            raise ValueError(f"Initial state of layer {depth} must have shape {(B, H)}, got {s.shape}.")
        return s if order is None else s[order]

    layer_input = np.ascontiguousarray(X.transpose(1, 0, 2))
    caches = []
    for depth, lay in enumerate(kernels):
        cache = _layer_forward(
            layer_input, lay, initial(h0, depth, lay.H), initial(c0, depth, lay.H), n_active
        )
        caches.append(cache)
        layer_input = cache["Hs"][1:]

    top = caches[-1]["Hs"]
    if return_sequences:
        out_tm = np.zeros((T_full, B, kernels[-1].H), dtype=dtype)
        out_tm[:T] = top[1:]
        if n_active is not None:
            for t in np.flatnonzero(n_active < B):
                out_tm[t, n_active[t] :] = 0
        outputs = out_tm.transpose(1, 0, 2)
    else:
        outputs = top[-1].copy()
    if order is not None:
        inv = np.empty_like(order)
        inv[order] = np.arange(B)
        outputs = outputs[inv]
    cache = {
        "kernels": kernels,
        "layers": caches,
        "order": order,
        "n_active": n_active,
        "T_full": T_full,
        "return_sequences": return_sequences,
    }
    return outputs, cache


def lstm_backward(d_outputs, cache, *, input_grad=True):
    """Backward pass (BPTT) matching one call of :func:`lstm_forward`.

    Parameters
    ----------
    d_outputs : ndarray
        Gradient of the loss with respect to ``outputs``; same shape.
    cache : dict
        The cache returned by ``lstm_forward``. It is not modified.
    input_grad : bool, default=True
        Whether to compute the gradient with respect to ``X``; training
        does not need it and saves one large product.

    Returns
    -------
    grads : dict
        ``layers``: one dict per layer with ``W``, ``R``, ``b`` (and ``p``),
        shaped as the parameters; ``h0``, ``c0``: lists of (n_samples, H_l);
        ``X``: (n_samples, n_timesteps, n_features) or None.
    """
    kernels, caches = cache["kernels"], cache["layers"]
    order, n_active = cache["order"], cache["n_active"]
    T = caches[0]["X"].shape[0]
    d_outputs = np.asarray(d_outputs, dtype=caches[0]["A"].dtype)
    if order is not None:
        d_outputs = d_outputs[order]
    if cache["return_sequences"]:
        d_seq = np.ascontiguousarray(d_outputs[:, :T].transpose(1, 0, 2))
        dh_last = None
    else:
        d_seq, dh_last = None, d_outputs

    layer_grads, dh0, dc0 = [], [], []
    for depth in range(len(kernels) - 1, -1, -1):
        g = _layer_backward(
            caches[depth], kernels[depth], d_seq, dh_last, n_active, input_grad or depth > 0
        )
        dh_last = None
        d_seq = g.pop("X")
        dh0.append(g.pop("h0"))
        dc0.append(g.pop("c0"))
        layer_grads.append(g)

    dX = None
    if input_grad:
        B = d_seq.shape[1]
        dX = np.zeros((B, cache["T_full"], d_seq.shape[2]), dtype=d_seq.dtype)
        dX[:, :T] = d_seq.transpose(1, 0, 2)
    if order is not None:
        inv = np.empty_like(order)
        inv[order] = np.arange(order.size)
        dh0 = [s[inv] for s in dh0]
        dc0 = [s[inv] for s in dc0]
        if dX is not None:
            dX = dX[inv]
    return {"layers": layer_grads[::-1], "h0": dh0[::-1], "c0": dc0[::-1], "X": dX}
