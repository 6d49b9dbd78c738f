r"""Stateless forward and backward passes of a stack of LSTM layers.

This module is the numerical core of sklstm. It knows nothing of
scikit-learn: it maps arrays to arrays, keeps no state between calls, and
returns everything ``lstm_backward`` needs in an explicit cache.
``lstm_predict`` is the forward pass without that cache, for inference;
both passes run the cell equations through one step function,
``_layer_step``.

Notation (Greff et al., *LSTM: A Search Space Odyssey*, 2017)
-----------------------------------------------------------
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

(Derived anew and checked by central finite differences in
``tests/test_lstm.py``.)

Implementation notes
--------------------
- Inside the kernel the gate blocks are reordered to ``g, i, f, o`` so that
  every sigmoid block is contiguous and every block driven by ``δc`` precedes
  the o block. The columns of sigmoid gates are pre-scaled by 1/2, so one
  ``tanh`` over all blocks and an affine ``0.5 u + 0.5`` give every gate:
  ``σ(a) = (1 + tanh(a / 2)) / 2`` never overflows.
- Arrays are stored step-major and then feature-major, e.g. the gates as
  (T, 4H, B): per step, the transpose of the equations' (B, 4H). Every gate
  block of a step is then one contiguous (H, B) array, and NumPy runs each
  element-wise operation as one loop instead of one loop per sample (a
  per-row overhead that dominated small batches).
- A layer stacks each step's input and previous hidden state, with a row of
  ones between them, in ``Z[t] = z_t^T`` of shape (n_in + 1 + H, B), where
  ``z_t = [x_t, 1, h_{t-1}]``. A step's pre-activations are then one
  product ``a_t = z_t [W; b; R]``, and the three weight gradients one sum of
  products, ``[δW; δb; δR] = Σ_t z_t^T δa_t``, accumulated step by step
  while ``δa_t`` is in cache. Projecting the input step by step, instead of
  for all steps up front, likewise writes each step's gates only once.
- The per-step products call SciPy's BLAS only (see ``_gemm``), on one
  thread when they are small: waking a second thread for each of them
  costs more than it shares.
- The backward pass first computes, for a chunk of steps at a time (sized
  to stay in cache), every local derivative factor that does not depend on
  ``δc`` or ``δh``; the time loop then only scales them by ``δc`` and ``δh``.
- Variable-length sequences are sorted by decreasing length so that the
  active samples at step t are a prefix ``[..., :n_t]`` of the batch; padded
  steps carry the state unchanged, output zeros and get exactly zero
  gradient.
- ``lstm_predict`` runs a chunk of steps through every layer before the
  next chunk, so each layer keeps only a chunk of states. Chunks of one
  step (interleaving the layers step by step) and of 4 to 64 steps ran
  equally fast within the measurement noise (±5%), on S, M and L shapes.
"""

import math
import threading
from contextlib import nullcontext
from functools import lru_cache

import numpy as np
from scipy.linalg.blas import dgemm, sgemm
from threadpoolctl import ThreadpoolController

__all__ = [
    "lstm_forward", "lstm_backward", "lstm_predict", "kernel_layers", "gate_blocks",
    "inverse_permutation",
]

# Public gate order of each variant, and the internal order used in the kernel.
_PUBLIC_BLOCKS = {4: ("i", "f", "g", "o"), 3: ("i", "g", "o")}
_INTERNAL_BLOCKS = {4: ("g", "i", "f", "o"), 3: ("g", "i", "o")}
_PEEPHOLE_ROWS = {4: ("i", "f", "o"), 3: ("i", "o")}

# Below this many multiply-adds, the per-step products run faster on one
# BLAS thread: thread wake-up costs more than the arithmetic it shares.
# When other processes share the cores, a product split over two threads
# waits for a descheduled worker at every step: on a loaded 2-core machine,
# M-sized products (1-5 M multiply-adds) ran 3-15x slower on two threads.
_SINGLE_THREAD_MACS = 2**23
# OpenBLAS itself runs a gemm below 2**18 multiply-adds on one thread
# (65536 * GEMM_MULTITHREAD_THRESHOLD); switching its thread count there
# only costs time, and measurably slowed the small problems after idle.
_BLAS_OWN_SINGLE_THREAD_MACS = 2**18

# Bytes of δa per backward chunk: the chunk's factors and scratch arrays
# (about three times this) then mostly stay in a 1-2 MiB L2 cache.
_CHUNK_BYTES = 2**20

# Bytes of the layer states a chunk of lstm_predict keeps (over all layers).
_PREDICT_CHUNK_BYTES = 2**20

_GEMM = {"f": sgemm, "d": dgemm}


class _SingleBlasThread:
    """Context that runs BLAS on one thread, then restores the old counts.

    It calls the libraries' own setters through threadpoolctl's cached
    controllers (NumPy's and SciPy's OpenBLAS are separate libraries): a
    few microseconds, against ~30 for ``ThreadpoolController().limit``.

    Thread counts are process-wide, so concurrent callers share one limit:
    the first to enter saves the counts and the last to leave restores
    them. Otherwise the first caller to leave would lift the limit while
    another thread is still inside its time loop.
    """

    _libs = None
    _lock = threading.Lock()
    _depth = 0
    _saved = ()

    def __enter__(self):
        cls = _SingleBlasThread
        with cls._lock:
            if cls._libs is None:
                cls._libs = ThreadpoolController().select(user_api="blas").lib_controllers
            if cls._depth == 0:
                cls._saved = [(lib, lib.get_num_threads()) for lib in cls._libs]
                for lib, n in cls._saved:
                    if n is not None and n > 1:
                        lib.set_num_threads(1)
            cls._depth += 1
        return self

    def __exit__(self, *exc):
        cls = _SingleBlasThread
        with cls._lock:
            cls._depth -= 1
            if cls._depth == 0:
                for lib, n in cls._saved:
                    if n is not None and n > 1:
                        lib.set_num_threads(n)
        return False


def _blas_threads_for(n_macs):
    """Context limiting BLAS to one thread for small per-step products."""
    if n_macs < _BLAS_OWN_SINGLE_THREAD_MACS or n_macs >= _SINGLE_THREAD_MACS:
        return nullcontext()
    return _SingleBlasThread()


def _gemm(a, b, out, beta=0.0, trans_b=False):
    """``out = a @ op(b) + beta * out`` in place, for C-contiguous 2-D arrays.

    ``op(b)`` is ``b.T`` if ``trans_b`` else ``b``. SciPy's BLAS is
    Fortran-ordered: the C-ordered product ``out = a b`` is the Fortran
    product ``out^T = b^T a^T`` on the same memory. The time loops call only
    SciPy's BLAS: NumPy links a second OpenBLAS, and two thread pools that
    take turns keep each other's idle workers spinning.
    """
    out_f = out.T
    res = _GEMM[out.dtype.char](1.0, b.T, a.T, beta, out_f, trans_a=trans_b, overwrite_c=1)
    if res is not out_f:
        raise RuntimeError("gemm did not write in place")  # a copy was made


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


@lru_cache(maxsize=64)
def _block_permutation(n_blocks, H):
    """Column indices taking public gate order to the kernel's order, and back."""
    public = _PUBLIC_BLOCKS[n_blocks]
    internal = _INTERNAL_BLOCKS[n_blocks]
    starts = [public.index(name) * H for name in internal]
    perm = np.concatenate([np.arange(s, s + H) for s in starts])
    inv = inverse_permutation(perm)
    perm.flags.writeable = inv.flags.writeable = False
    return perm, inv


def inverse_permutation(perm):
    """The permutation ``inv`` with ``inv[perm] = arange(n)``: undoes ``x[perm]``."""
    inv = np.empty_like(perm)
    inv[perm] = np.arange(perm.size)
    return inv


class _Layer:
    """Kernel-ready copies of one layer's parameters (internal gate order).

    Attributes
    ----------
    WbR : ndarray of shape (n_in + 1 + H, nb*H)
        ``[W; b; R]``, the weights met by ``Z[t] = [x_t; 1; h_{t-1}]^T``.
    WbR_half_T : ndarray of shape (nb*H, n_in + 1 + H)
        Its transpose with the sigmoid gates' rows scaled by 1/2, for the
        forward pass.
    p, p_half : ndarray of shape (nb-1, H)
        Peepholes (rows i, f, o or i, o), if any, and their halves.
    params : dict
        The layer's parameters as given (public gate order).
    """

    def __init__(self, layer, dtype):
        if isinstance(layer, _Layer):
            layer = layer.params
        self.params = layer  # the public arrays, to re-pack in another dtype
        n_in, H, n_blocks, peephole = _layer_shape(layer)
        self.n_in, self.H, self.n_blocks, self.peephole = n_in, H, n_blocks, peephole
        self.perm, self.inv = _block_permutation(n_blocks, H)
        W = np.asarray(layer["W"], dtype=dtype)[:, self.perm]
        R = np.asarray(layer["R"], dtype=dtype)[:, self.perm]
        b = np.asarray(layer["b"], dtype=dtype)[self.perm]
        # Both copies C-ordered: fancy indexing may return Fortran order.
        self.WbR = np.ascontiguousarray(np.concatenate([W, b[None], R]))
        self.WbR_half_T = self.WbR.T.copy(order="C")
        self.WbR_half_T[H:] *= 0.5  # every block after g is a sigmoid gate
        if peephole:
            self.p = np.asarray(layer["p"], dtype=dtype)
            self.p_half = 0.5 * self.p


def _active_counts(lengths, n_steps):
    """Number of active (unpadded) samples per step, for samples sorted by length."""
    if lengths is None:
        return None
    return (lengths[None, :] > np.arange(n_steps)[:, None]).sum(axis=1)


def _empty_arrays(dtype, *shapes):
    """Uninitialised arrays of the given shapes, carved from one allocation.

    One block per layer, rather than one per array, lets glibc's malloc
    keep and reuse the memory from call to call (up to 32 MiB): freshly
    mapped memory costs a page fault per 4 KiB page on first touch, which
    here took a third of the run time of mid-sized problems.
    """
    # math.prod, not np.prod: this runs for every batch, and np.prod of a
    # tuple cost a tenth of the forward time of a small problem's layer.
    counts = [math.prod(shape) for shape in shapes]
    align = 64 // np.dtype(dtype).itemsize  # each array starts on a cache line
    sizes = [-(-count // align) * align for count in counts]
    block = np.empty(sum(sizes) + align, dtype=dtype)
    start = (-block.ctypes.data // block.itemsize) % align
    arrays = []
    for shape, count, size in zip(shapes, counts, sizes):
        arrays.append(block[start : start + count].reshape(shape))
        start += size
    return arrays


class _StepBuffers:
    """Scratch arrays of one layer's steps, for a batch of ``B`` samples.

    Attributes
    ----------
    tmp : ndarray of shape (H, B)
    p_pre : ndarray of shape (nb-2, H, B)
        Halved peepholes of i (and f), broadcast over the batch once so that
        the per-step products are contiguous; with ``p_o`` (H, B) for o and
        ``pre`` (nb-2, H, B) scratch. Only with peepholes.
    """

    def __init__(self, lay, B, dtype):
        self.tmp = np.empty((lay.H, B), dtype=dtype)
        if lay.peephole:
            nb = lay.n_blocks
            self.p_pre = np.repeat(lay.p_half[:-1, :, None], B, axis=2)
            self.p_o = np.repeat(lay.p_half[-1, :, None], B, axis=1)
            self.pre = np.empty((nb - 2, lay.H, B), dtype=dtype)


def _activate(a, n_tanh_rows):
    """Gate nonlinearities in place: the one place where they are applied.

    Rows ``:n_tanh_rows`` (the block input g) get ``tanh``; the rest are
    sigmoid gates whose pre-activations were halved (in the weights, see
    the module notes), and get ``σ(2u) = (1 + tanh u) / 2``.
    """
    np.tanh(a, out=a)
    sig = a[n_tanh_rows:]
    sig *= 0.5
    sig += 0.5


def _layer_step(lay, z, a, c_prev, c, tc, h, n, buf):
    """One step of one layer: the cell equations, for every variant.

    This is the one implementation of the gate algebra; the training
    forward pass and the forward-only pass both call it.

    Parameters
    ----------
    lay : _Layer
    z : ndarray of shape (n_in + 1 + H, B)
        ``[x_t; 1; h_{t-1}]^T``, C-contiguous.
    a : ndarray of shape (nb*H, B)
        Receives the gate activations (internal order g, i, (f,) o).
    c_prev : ndarray of shape (H, B)
    c, tc, h : ndarray of shape (H, B)
        Receive ``c_t``, ``tanh(c_t)`` and ``h_t``; ``c`` and ``h`` may not
        alias ``c_prev`` or ``z``. Samples ``n:`` (padded at this step)
        carry ``c_{t-1}`` and ``h_{t-1}``; their ``a`` and ``tc`` columns
        are left unspecified.
    n : int
        Active samples (a prefix of the batch).
    buf : _StepBuffers
    """
    H, nb, B = lay.H, lay.n_blocks, z.shape[1]
    # The product covers the whole batch; [..., :n] keeps full steps contiguous.
    _gemm(lay.WbR_half_T, z, a)
    h_prev = z[lay.n_in + 1 :]
    a, c_prev_n, c_n = a[:, :n], c_prev[:, :n], c[:, :n]
    if lay.peephole:
        # i and f (or just i) see c_{t-1}; o must wait for c_t.
        pre = buf.pre[..., :n]
        np.multiply(buf.p_pre[..., :n], c_prev_n, out=pre)
        a[H : (nb - 1) * H] += pre.reshape(-1, n)
        act = a[: (nb - 1) * H]
    else:
        act = a
    _activate(act, H)  # every block after g is a sigmoid gate
    g, i = a[:H], a[H : 2 * H]
    tmp = buf.tmp[:, :n]
    if nb == 3:
        # Coupled: c = c_prev + i (g - c_prev), i.e. f = 1 - i
        np.subtract(g, c_prev_n, out=tmp)
        tmp *= i
        np.add(c_prev_n, tmp, out=c_n)
    else:
        np.multiply(a[2 * H : 3 * H], c_prev_n, out=c_n)
        np.multiply(i, g, out=tmp)
        c_n += tmp
    o = a[(nb - 1) * H :]
    if lay.peephole:
        np.multiply(buf.p_o[:, :n], c_n, out=tmp)
        o += tmp
        _activate(o, 0)
    tc_n = tc[:, :n]
    np.tanh(c_n, out=tc_n)
    np.multiply(o, tc_n, out=h[:, :n])
    if n < B:
        h[:, n:] = h_prev[:, n:]
        c[:, n:] = c_prev[:, n:]


def _layer_forward(X_fm, lay, h0, c0, n_active):
    """Run one layer over step-major, feature-major input, keeping a cache.

    Parameters
    ----------
    X_fm : ndarray of shape (T, n_in, B)
        Any strides; it is copied into ``Z``.
    lay : _Layer
    h0, c0 : ndarray of shape (H, B)
    n_active : ndarray of shape (T,) or None
        Active samples per step; samples must be sorted by decreasing length.

    Returns
    -------
    cache : dict
        ``Z`` (T+1, n_in+1+H, B) with ``Z[t] = [x_t; 1; h_{t-1}]^T`` (only
        the h rows of ``Z[T]`` are set); ``A`` (T, nb*H, B) gate activations
        in internal order; ``Cs`` (T+1, H, B) cell states from ``c0``;
        ``TC`` (T, H, B) tanh of the cell state.
    """
    T, n_in, B = X_fm.shape
    H, nb = lay.H, lay.n_blocks
    dtype = lay.WbR.dtype
    Z, A, Cs, TC = _empty_arrays(
        dtype, (T + 1, n_in + 1 + H, B), (T, nb * H, B), (T + 1, H, B), (T, H, B)
    )
    Z[:T, :n_in] = X_fm
    Z[T, : n_in + 1] = 0  # never read
    Z[:T, n_in] = 1
    Hs = Z[:, n_in + 1 :]  # (T+1, H, B), a view: h_t is written into Z[t+1]
    Hs[0] = h0
    Cs[0] = c0
    buf = _StepBuffers(lay, B, dtype)
    with _blas_threads_for(B * lay.WbR.size):
        for t in range(T):
            n = B if n_active is None else n_active[t]
            _layer_step(lay, Z[t], A[t], Cs[t], Cs[t + 1], TC[t], Hs[t + 1], n, buf)
            if n < B:
                # Padded steps' gate cache is zeroed so that the backward
                # factors vanish there.
                A[t, :, n:] = 0
                TC[t, :, n:] = 0
    return {"Z": Z, "A": A, "Cs": Cs, "TC": TC}


def _layer_output(cache, lay):
    """Hidden states ``h_0 .. h_T`` of a layer, shape (T+1, H, B), a view."""
    return cache["Z"][:, lay.n_in + 1 :]


def _layer_backward(cache, lay, d_seq, dh_last, n_active, input_grad):
    """Backpropagate through one layer.

    Parameters
    ----------
    cache : dict from ``_layer_forward``
    lay : _Layer
    d_seq : ndarray of shape (T, H, B) or None
        Gradient of the loss with respect to the layer's output at every step.
    dh_last : ndarray of shape (H, B) or None
        Gradient with respect to the final hidden state (many-to-one).
    n_active : ndarray of shape (T,) or None
    input_grad : bool
        Whether to compute the gradient with respect to the layer's input.

    Returns
    -------
    grads : dict
        ``W``, ``R``, ``b`` (and ``p``) in public gate order, ``h0``, ``c0``
        of shape (H, B), and ``X`` of shape (T, n_in, B) or None.
    """
    Z, A, Cs, TC = cache["Z"], cache["A"], cache["Cs"], cache["TC"]
    T, nbH, B = A.shape
    H, nb, n_in = lay.H, lay.n_blocks, lay.n_in
    dtype = A.dtype
    coupled = nb == 3
    A4 = A.reshape(T, nb, H, B)

    # Steps are processed in chunks, last chunk first. δa lives only in a
    # chunk buffer: each chunk first fills it with the factors that δc
    # (blocks g, i, f) or δh (block o) multiply, then the step loop scales
    # them in place and consumes them.
    chunk = max(1, min(T, _CHUNK_BYTES // (B * nbH * A.itemsize)))
    dA = np.empty((chunk, nbH, B), dtype=dtype)
    dA4 = dA.reshape(chunk, nb, H, B)
    sig_deriv = np.empty((chunk, (nb - 1) * H, B), dtype=dtype)  # σ' of i, (f,) o
    dc_dh = np.empty((chunk, H, B), dtype=dtype)  # ∂c_t/∂h_t through tanh(c_t) (and p^o)
    if coupled or lay.peephole:
        keep_buf = np.empty((chunk, H, B), dtype=dtype)  # ∂c_t/∂c_{t-1}
    if lay.peephole:
        tmp = np.empty((chunk, H, B), dtype=dtype)
        p = lay.p[:, :, None]
        dp = np.zeros_like(lay.p)
    dX = np.empty((T, n_in, B), dtype=dtype) if input_grad else None

    # [δW; δb; δR]^T, to which each step adds δa_t Z[t]^T in place (beta=1).
    dWbR_T = np.zeros(lay.WbR_half_T.shape, dtype=dtype)
    W, R = lay.WbR[:n_in], lay.WbR[n_in + 1 :]  # (n_in, nb*H), (H, nb*H)
    if dh_last is None:
        dh_rec = np.zeros((H, B), dtype=dtype)
    else:
        dh_rec = np.array(dh_last, dtype=dtype, order="C")  # a copy: it is updated in place
    dc_rec = np.zeros((H, B), dtype=dtype)
    dh_buf = np.empty((H, B), dtype=dtype)
    dh_pad = np.empty((H, B), dtype=dtype) if n_active is not None else None
    dc = np.empty((H, B), dtype=dtype)
    with _blas_threads_for(B * lay.WbR.size):
        for t1 in range(T, 0, -chunk):
            t0 = max(t1 - chunk, 0)
            m = t1 - t0
            # Local derivative factors of steps t0..t1-1, vectorised.
            g, i, o = A4[t0:t1, 0], A4[t0:t1, 1], A4[t0:t1, nb - 1]
            c_prev, tc = Cs[t0:t1], TC[t0:t1]
            F = dA4[:m]
            sd = sig_deriv[:m]
            np.subtract(1, A[t0:t1, H:], out=sd)
            sd *= A[t0:t1, H:]
            sd = sd.reshape(m, nb - 1, H, B)
            np.square(g, out=F[:, 0])
            np.subtract(1, F[:, 0], out=F[:, 0])
            F[:, 0] *= i  # δa^g = δc i (1-g²)
            if coupled:
                np.subtract(g, c_prev, out=F[:, 1])
                F[:, 1] *= sd[:, 0]  # δa^i = δc (g - c_prev) σ'
            else:
                np.multiply(g, sd[:, 0], out=F[:, 1])  # δa^i = δc g σ'
                np.multiply(c_prev, sd[:, 1], out=F[:, 2])  # δa^f = δc c_prev σ'
            np.multiply(tc, sd[:, -1], out=F[:, -1])  # δa^o = δh tanh(c) σ'
            dcdh = dc_dh[:m]
            np.square(tc, out=dcdh)
            np.subtract(1, dcdh, out=dcdh)
            dcdh *= o
            if coupled:
                keep = np.subtract(1, i, out=keep_buf[:m])
            elif lay.peephole:
                keep = keep_buf[:m]
                keep[...] = A4[t0:t1, 2]
            else:
                keep = A4[t0:t1, 2]  # f
            if lay.peephole:
                np.multiply(F[:, -1], p[-1], out=tmp[:m])
                dcdh += tmp[:m]
                for row in range(nb - 2):
                    np.multiply(F[:, row + 1], p[row], out=tmp[:m])
                    keep += tmp[:m]

            for t in range(t1 - 1, t0 - 1, -1):
                k = t - t0
                n = B if n_active is None else n_active[t]
                if n < B:
                    dA[k, :, n:] = 0  # padded samples get no gradient
                if d_seq is not None:
                    dh = np.add(dh_rec[:, :n], d_seq[t, :, :n], out=dh_buf[:, :n])
                else:
                    dh = dh_rec[:, :n]
                dct = dc[:, :n]
                np.multiply(dh, dcdh[k, :, :n], out=dct)
                dct += dc_rec[:, :n]
                Ft = dA4[k, :, :, :n]
                Ft[: nb - 1] *= dct
                Ft[nb - 1] *= dh
                np.multiply(dct, keep[k, :, :n], out=dc_rec[:, :n])
                if n < B:
                    _gemm(R, dA[k], dh_pad)
                    dh_rec[:, :n] = dh_pad[:, :n]  # padded samples carry δh
                else:
                    _gemm(R, dA[k], dh_rec)  # δh_{t-1}^T = R δa_t^T
                _gemm(dA[k], Z[t], dWbR_T, beta=1.0, trans_b=True)
                if input_grad:
                    _gemm(W, dA[k], dX[t])  # δx_t^T = W δa_t^T
            if lay.peephole:
                for row in range(nb - 2):
                    dp[row] += np.einsum("thb,thb->h", F[:, row + 1], Cs[t0:t1])
                dp[-1] += np.einsum("thb,thb->h", F[:, -1], Cs[t0 + 1 : t1 + 1])

    inv = lay.inv
    dWbR = dWbR_T.T
    grads = {
        "W": dWbR[:n_in, inv],
        "R": dWbR[n_in + 1 :, inv],
        "b": dWbR[n_in, inv],
        "h0": dh_rec,
        "c0": dc_rec,
        "X": dX,
    }
    if lay.peephole:
        grads["p"] = dp
    return grads


def _check_lengths(lengths, n_samples, n_steps):
    lengths = np.asarray(lengths)
    if lengths.shape != (n_samples,) or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths must be an integer array of shape ({n_samples},).")
    if lengths.size and (lengths.min() < 1 or lengths.max() > n_steps):
        raise ValueError(f"lengths must lie in [1, {n_steps}].")
    return lengths.astype(np.intp)


def kernel_layers(layers, dtype):
    """Kernel-ready copies of the layers' parameters, for repeated calls.

    Parameters
    ----------
    layers : sequence of dict
        As for :func:`lstm_forward`.
    dtype : {numpy.float32, numpy.float64}

    Returns
    -------
    kernels : list
        Opaque; may be passed as ``layers`` to :func:`lstm_forward` and
        :func:`lstm_predict` with inputs of this dtype, which then skip
        re-packing the weights.
    """
    if not layers:
        raise ValueError("layers must hold at least one layer.")
    dtype = np.dtype(dtype)
    return [
        lay if isinstance(lay, _Layer) and lay.WbR.dtype == dtype else _Layer(lay, dtype)
        for lay in layers
    ]


class _Batch:
    """A checked input batch, sorted by decreasing length when ragged.

    Attributes
    ----------
    X : ndarray of shape (B, T, n_features)
        Sorted, and cut to the longest length ``T``.
    kernels : list of _Layer
    order : ndarray of shape (B,) or None
        ``X = X_given[order]``; None when no sorting was needed.
    n_active : ndarray of shape (T,) or None
        Active samples per step; None when every sequence is full.
    T_full : int
        The given number of steps.
    """

    def __init__(self, X, layers, lengths):
        X = np.asarray(X)
        if X.ndim != 3:
            raise ValueError(
                f"X must have shape (n_samples, n_timesteps, n_features), got {X.shape}."
            )
        if X.dtype not in (np.float32, np.float64):
            raise TypeError(f"X must be float32 or float64, got {X.dtype}.")
        if X.shape[0] == 0 or X.shape[1] == 0:
            raise ValueError(
                f"X must hold at least one sample and one step, got shape {X.shape}."
            )
        self.kernels = kernel_layers(layers, X.dtype)
        n_in = X.shape[2]
        for depth, lay in enumerate(self.kernels):
            if lay.n_in != n_in:
                raise ValueError(f"Layer {depth} expects {lay.n_in} inputs, got {n_in}.")
            n_in = lay.H
        B, self.T_full, _ = X.shape
        self.order = None
        T = self.T_full
        if lengths is not None:
            lengths = _check_lengths(lengths, B, self.T_full)
            if lengths.min() < self.T_full:
                self.order = np.argsort(-lengths, kind="stable")
                lengths = lengths[self.order]
                T = int(lengths[0])
                X = X[self.order, :T]
            else:
                lengths = None
        self.X = X
        self.n_active = _active_counts(lengths, T)

    def initial(self, states, depth):
        """Initial state of a layer, feature-major (H, B): zeros if ``states`` is None."""
        B, H, dtype = self.X.shape[0], self.kernels[depth].H, self.X.dtype
        if states is None:
            return np.zeros((H, B), dtype=dtype)
        s = np.asarray(states[depth], dtype=dtype)
        if s.shape != (B, H):
            raise ValueError(
                f"Initial state of layer {depth} must have shape {(B, H)}, got {s.shape}."
            )
        return (s if self.order is None else s[self.order]).T

    def sequence_output(self, top):
        """Many-to-many output (B, T_full, H) from top-layer states (T, H, B), given order."""
        B, T, H = self.X.shape[0], self.X.shape[1], top.shape[1]
        outputs = np.zeros((B, self.T_full, H), dtype=top.dtype)
        outputs[:, :T] = top.transpose(2, 0, 1)
        if self.n_active is not None:
            for t in np.flatnonzero(self.n_active < B):
                outputs[self.n_active[t] :, t] = 0
        return self.unsorted(outputs)

    def unsorted(self, a):
        """Rows of ``a`` (sorted samples) back in the given sample order."""
        return a if self.order is None else a[inverse_permutation(self.order)]


def lstm_forward(X, layers, *, h0=None, c0=None, lengths=None, return_sequences=False):
    """Forward pass of a stack of LSTM layers, keeping the cache for backward.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_features)
        Input sequences, float32 or float64; the computation runs in this
        dtype. Padded steps (beyond ``lengths``) must hold finite values.
    layers : sequence of dict
        One dict per layer with ``W`` (n_in, 4H), ``R`` (H, 4H), ``b`` (4H,)
        and optionally ``p`` (3, H); coupled layers use 3H columns and
        ``p`` of shape (2, H). See the module docstring. Or the result of
        :func:`kernel_layers`.
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
    batch = _Batch(X, layers, lengths)
    kernels, n_active = batch.kernels, batch.n_active
    layer_input = batch.X.transpose(1, 2, 0)  # (T, n_in, B) view; copied into Z
    caches = []
    for depth, lay in enumerate(kernels):
        cache = _layer_forward(
            layer_input, lay, batch.initial(h0, depth), batch.initial(c0, depth), n_active
        )
        caches.append(cache)
        layer_input = _layer_output(cache, lay)[1:]

    top = _layer_output(caches[-1], kernels[-1])  # (T+1, H, B)
    if return_sequences:
        outputs = batch.sequence_output(top[1:])
    else:
        outputs = batch.unsorted(np.ascontiguousarray(top[-1].T))
    cache = {
        "kernels": kernels,
        "layers": caches,
        "order": batch.order,
        "n_active": n_active,
        "T_full": batch.T_full,
        "return_sequences": return_sequences,
    }
    return outputs, cache


def lstm_predict(
    X, layers, *, h0=None, c0=None, lengths=None, return_sequences=False, chunk_steps=None
):
    """Forward pass only, with no cache: the outputs of :func:`lstm_forward`.

    The layers run through the steps in chunks of ``chunk_steps``, each
    chunk through every layer before the next, so that a layer keeps only
    a chunk's states: O(chunk_steps x B x H) per layer, whatever the number
    of steps. The cell equations are those of the training pass (one
    shared step function), so the outputs equal its outputs.

    Parameters
    ----------
    X, layers, h0, c0, lengths, return_sequences
        As for :func:`lstm_forward`.
    chunk_steps : int, optional
        Steps per chunk; by default sized so that a chunk's states stay in
        cache.

    Returns
    -------
    outputs : ndarray of shape (n_samples, H_top) or (n_samples, n_timesteps, H_top)
        Equal to ``lstm_forward(...)[0]``.
    """
    batch = _Batch(X, layers, lengths)
    kernels, n_active = batch.kernels, batch.n_active
    B, T, _ = batch.X.shape
    dtype = batch.X.dtype
    if chunk_steps is None:
        width = sum(lay.n_in + 1 + lay.H for lay in kernels)
        chunk_steps = _PREDICT_CHUNK_BYTES // (B * width * dtype.itemsize)
    chunk = int(min(max(chunk_steps, 1), T))
    runs = [_PredictRun(lay, chunk, batch, depth, h0, c0) for depth, lay in enumerate(kernels)]
    top = np.empty((T, kernels[-1].H, B), dtype=dtype) if return_sequences else None
    X_fm = batch.X.transpose(1, 2, 0)  # (T, n_in, B) view
    for t0 in range(0, T, chunk):
        t1 = min(t0 + chunk, T)
        layer_input = X_fm[t0:t1]
        for run in runs:
            layer_input = run.advance(layer_input, None if n_active is None else n_active[t0:t1])
        if return_sequences:
            top[t0:t1] = layer_input
    if return_sequences:
        return batch.sequence_output(top)
    return batch.unsorted(np.ascontiguousarray(runs[-1].h.T))


class _PredictRun:
    """One layer's state in :func:`lstm_predict`: a chunk of steps at a time.

    Attributes
    ----------
    Z : ndarray of shape (chunk+1, n_in+1+H, B)
        As in ``_layer_forward``, for the chunk's steps; the h rows of
        ``Z[0]`` hold the state carried in from the previous chunk.
    Cs : ndarray of shape (2, H, B)
        Cell states, previous and current, alternating.
    """

    def __init__(self, lay, chunk, batch, depth, h0, c0):
        B, dtype = batch.X.shape[0], batch.X.dtype
        n_in, H = lay.n_in, lay.H
        self.lay = lay
        self.Z, self.A, self.Cs, self.TC = _empty_arrays(
            dtype, (chunk + 1, n_in + 1 + H, B), (lay.n_blocks * H, B), (2, H, B), (H, B)
        )
        self.Z[:, n_in] = 1
        self.Hs = self.Z[:, n_in + 1 :]
        self.Hs[0] = batch.initial(h0, depth)
        self.Cs[0] = batch.initial(c0, depth)
        self.buf = _StepBuffers(lay, B, dtype)
        self.steps_done = 0
        self._last = 0  # row of Hs holding the latest state

    def advance(self, X_fm, n_active):
        """Run the layer over a chunk (m, n_in, B); return its outputs (m, H, B), a view."""
        m, n_in, B = X_fm.shape
        lay, Z, Hs, Cs = self.lay, self.Z, self.Hs, self.Cs
        Hs[0] = self.h  # the state carried in from the previous chunk
        Z[:m, :n_in] = X_fm
        with _blas_threads_for(B * lay.WbR.size):
            for k in range(m):
                n = B if n_active is None else n_active[k]
                s = (self.steps_done + k) % 2
                _layer_step(lay, Z[k], self.A, Cs[s], Cs[1 - s], self.TC, Hs[k + 1], n, self.buf)
        self.steps_done += m
        self._last = m
        return Hs[1 : m + 1]

    @property
    def h(self):
        """The last hidden state computed, (H, B), a view."""
        return self.Hs[self._last]


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
    T = caches[0]["A"].shape[0]
    d_outputs = np.asarray(d_outputs, dtype=caches[0]["A"].dtype)
    if order is not None:
        d_outputs = d_outputs[order]
    # The kernel works feature-major: (T, H, B) and (H, B).
    if cache["return_sequences"]:
        d_seq = np.ascontiguousarray(d_outputs[:, :T].transpose(1, 2, 0))
        dh_last = None
    else:
        d_seq, dh_last = None, d_outputs.T

    layer_grads, dh0, dc0 = [], [], []
    for depth in range(len(kernels) - 1, -1, -1):
        g = _layer_backward(
            caches[depth], kernels[depth], d_seq, dh_last, n_active, input_grad or depth > 0
        )
        dh_last = None
        d_seq = g.pop("X")
        dh0.append(np.ascontiguousarray(g.pop("h0").T))
        dc0.append(np.ascontiguousarray(g.pop("c0").T))
        layer_grads.append(g)

    dX = None
    if input_grad:
        n_features, B = d_seq.shape[1:]
        dX = np.zeros((B, cache["T_full"], n_features), dtype=d_seq.dtype)
        dX[:, :T] = d_seq.transpose(2, 0, 1)
    if order is not None:
        inv = inverse_permutation(order)
        dh0 = [s[inv] for s in dh0]
        dc0 = [s[inv] for s in dc0]
        if dX is not None:
            dX = dX[inv]
    return {"layers": layer_grads[::-1], "h0": dh0[::-1], "c0": dc0[::-1], "X": dX}
