"""One layer's forward and backward passes over all steps, and their step function.

The equations are in the docstring of :mod:`sklstm._lstm`; the layers'
parameters arrive as :class:`sklstm._cell._Layer`.

Implementation notes
--------------------
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
- The backward pass first computes, for a chunk of steps at a time (sized
  to stay in cache), every local derivative factor that does not depend on
  ``δc`` or ``δh``; the time loop then only scales them by ``δc`` and ``δh``.
- Samples are sorted by decreasing length (by the caller), so that the
  active samples at step t are a prefix ``[..., :n_t]`` of the batch.
"""

import contextlib
import math
import sys
import threading

import numpy as np

from ._blas import _blas_threads_for, _gemm, releases_thread_limit

# Bytes of δa per backward chunk: the chunk's factors and scratch arrays
# (about three times this) then mostly stay in a 1-2 MiB L2 cache.
_CHUNK_BYTES = 2**20


def _active_counts(lengths, n_steps):
    """Number of active (unpadded) samples per step, for samples sorted by length."""
    if lengths is None:
        return None
    return (lengths[None, :] > np.arange(n_steps)[:, None]).sum(axis=1)


# Blocks kept for reuse by one thread, and their largest total size.
_POOL_BLOCKS = 8
_POOL_BYTES = 64 * 2**20


def _free_reference_count():
    """``sys.getrefcount`` of a block only a pool list refers to, as ``take``
    asks it; None where reference counts do not tell (not CPython): no reuse.

    Measured rather than assumed, so that an interpreter that counts the
    argument differently turns reuse off instead of reusing live memory.
    """
    if sys.implementation.name != "cpython":
        return None
    blocks = [np.empty(1)]
    counts = [sys.getrefcount(blocks[i]) for i in range(len(blocks))]
    return counts[0]


_FREE_REFERENCES = _free_reference_count()


class _BlockPool(threading.local):
    """This thread's recently allocated blocks, which ``_empty_arrays`` reuses.

    Every array a pass carves from a block is a view, and a NumPy view
    refers to the array that owns its memory: a block that only this list
    refers to holds no live array and is free. Reusing it spares the page
    faults of fresh memory, which glibc hands back to the system whenever
    a freed block leaves more than its trim threshold at the top of the
    heap: in small fits (a 1 MiB cache per step) that took a third of the
    training time.
    """

    def __init__(self):
        self.blocks = []

    def take(self, dtype, n_items):
        """The smallest free block of ``dtype`` with at least ``n_items`` items, or None."""
        if _FREE_REFERENCES is None:
            return None
        fitting = [
            i for i in range(len(self.blocks))
            # Free: referred to by this list only (and getrefcount's argument).
            if sys.getrefcount(self.blocks[i]) == _FREE_REFERENCES
            and self.blocks[i].dtype == dtype and self.blocks[i].size >= n_items
        ]
        if not fitting:
            return None
        return self.blocks[min(fitting, key=lambda i: self.blocks[i].size)]

    def keep(self, block):
        """Pool ``block``, dropping the oldest blocks beyond the pool's limits."""
        if block.nbytes > _POOL_BYTES:
            return
        self.blocks.append(block)
        while (len(self.blocks) > _POOL_BLOCKS
               or sum(b.nbytes for b in self.blocks) > _POOL_BYTES):
            del self.blocks[0]  # a block in use stays valid, just unpooled


_POOL = _BlockPool()


def _empty_arrays(dtype, *shapes):
    """Uninitialised arrays of the given shapes, carved from one block.

    The block is a free one of this thread's pool if one is large enough
    (see ``_BlockPool``), else a new allocation that joins the pool. One
    block per call, rather than one per array, also keeps the arrays of a
    pass together in memory.
    """
    # math.prod, not np.prod: this runs for every batch, and np.prod of a
    # tuple cost a tenth of the forward time of a small problem's layer.
    counts = [math.prod(shape) for shape in shapes]
    align = 64 // np.dtype(dtype).itemsize  # each array starts on a cache line
    sizes = [-(-count // align) * align for count in counts]
    n_items = sum(sizes) + align
    block = _POOL.take(np.dtype(dtype), n_items)
    if block is None:
        block = np.empty(n_items, dtype=dtype)
        _POOL.keep(block)
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
    p_pre : ndarray of shape (n_pre, H, B)
        Halved peepholes of the gates computed before ``c_t`` (i and f),
        broadcast over the batch once so that the per-step products are
        contiguous; ``p_o`` (H, B) for o, ``pre`` (n_pre, H, B) scratch.
        Only with peepholes.
    """

    def __init__(self, lay, B, dtype):
        self.tmp = np.empty((lay.H, B), dtype=dtype)
        if lay.peephole:
            self.p_pre = np.repeat(lay.p_half[: lay.n_pre, :, None], B, axis=2)
            if lay.has_o:
                self.p_o = np.repeat(lay.p_half[-1, :, None], B, axis=1)
            self.pre = np.empty((lay.n_pre, lay.H, B), dtype=dtype)


# |2u| beyond which σ(2u) is 1 in float64 (e^-40 is below half its
# epsilon). Clipping there keeps e^{-2u} from overflow and underflow.
_EXP_CAP = 40.0


def _sigmoid_of_double(u, out):
    """``out = σ(2u) = 1 / (1 + e^{-2u})``, float64; ``out`` may be ``u``."""
    # Clipped before doubling, as u may be 1e308; by two ufuncs, as np.clip's
    # own overhead took a quarter of this function's time on small arrays.
    np.maximum(u, -_EXP_CAP / 2, out=out)
    np.minimum(out, _EXP_CAP / 2, out=out)
    out *= -2.0
    np.exp(out, out=out)
    out += 1.0
    np.divide(1.0, out, out=out)


def _activate(a, n_tanh_rows):
    """Gate nonlinearities in place: the one place where they are applied.

    Rows ``:n_tanh_rows`` (the block input g) get ``tanh``; the rest are
    sigmoid gates whose pre-activations were halved (in the weights, see
    the module notes), and get ``σ(2u) = (1 + tanh u) / 2``.

    In float64 every row comes from one ``e^{-2a}`` instead, as
    ``σ(2u) = 1 / (1 + e^{-2u})`` and ``tanh x = 2 σ(2x) - 1``: NumPy's
    float64 ``tanh`` has no SIMD path on AVX2 CPUs and its ``exp`` has, so
    this takes half the time. It differs from ``tanh`` by at most 4e-16,
    an absolute bound: near 0 the relative error grows (tanh(1e-10) is off
    by 1e-7 of itself, tanh(1e-17) is 0), as it does for the gates through
    ``(1 + tanh u) / 2``.
    float32 keeps ``tanh``, which is SIMD there: the identity would cost it
    its relative precision near 0 and gain little.
    """
    if a.dtype == np.float64:
        _sigmoid_of_double(a, a)
        g = a[:n_tanh_rows]
        g *= 2.0
        g -= 1.0
        # Round gates below 1/4 to multiples of 2^-54, as (1 + tanh u) / 2
        # does: a saturated gate is then exactly 0 and passes no gradient,
        # where σ(-40) = 4e-18 times weights near 1e308 overflowed.
        sig = a[n_tanh_rows:]
        sig += 0.25
        sig -= 0.25
        return
    np.tanh(a, out=a)
    sig = a[n_tanh_rows:]
    sig *= 0.5
    sig += 0.5


def _tanh(x, out):
    """``out = tanh(x)``; in float64 as ``2 σ(2x) - 1`` (see ``_activate``)."""
    if x.dtype == np.float64:
        _sigmoid_of_double(x, out)
        out *= 2.0
        out -= 1.0
    else:
        np.tanh(x, out=out)


def _cell_update(lay, a, c_prev, c, tmp):
    """``c_t`` from the activated blocks ``a`` (internal order g, i, f, ...), in place.

    For the cells without both an input and a forget gate of their own; the
    full cell's update is inlined in ``_layer_step``.
    """
    H = lay.H
    g = a[:H]
    if lay.coupled:  # c = c_prev + i (g - c_prev), i.e. f = 1 - i
        np.subtract(g, c_prev, out=tmp)
        tmp *= a[H : 2 * H]
        np.add(c_prev, tmp, out=c)
    elif not lay.has_i:  # NIG: i = 1
        np.multiply(a[H : 2 * H], c_prev, out=c)
        c += g
    else:  # NFG: f = 1
        np.multiply(a[H : 2 * H], g, out=c)
        c += c_prev


def _peephole_overflow_ignored(lay):
    """The context of a layer's time loop: with peepholes, NumPy's overflow
    ignored. ``p c`` overflows only where ``c`` nears the dtype's largest
    value (an initial state of 1e308): the gate's input is then ±inf, and
    its sigmoid the exact saturated limit, 0 or 1, where NumPy warned."""
    return np.errstate(over="ignore") if lay.peephole else contextlib.nullcontext()


def _layer_step(lay, z, a, c_prev, c, tc, h, h_prev, n, buf):
    """One step of one layer: the cell equations, for every variant.

    Parameters
    ----------
    lay : _Layer
    z : ndarray of shape (n_in + 1 + n_rec, B)
        ``[x_t; 1; h_{t-1} (; s_{t-1})]^T``, C-contiguous.
    a : ndarray of shape (nb*H, B)
        Receives the gate activations (internal order g, i, f, o).
    c_prev, h_prev : ndarray of shape (H, B)
        ``c_{t-1}`` and ``h_{t-1}`` (``h_prev`` is read for padded samples only).
    c, tc, h : ndarray of shape (H, B)
        Receive ``c_t``, the output activation of ``c_t`` and ``h_t``.
        Samples ``n:`` (padded at this step) carry ``c_{t-1}`` and
        ``h_{t-1}``; their ``a`` and ``tc`` columns are left unspecified.
    n : int
        Active samples (a prefix of the batch).
    buf : _StepBuffers
    """
    H, B = lay.H, z.shape[1]
    # The product covers the whole batch; [..., :n] keeps full steps contiguous.
    _gemm(lay.WbR_half_T, z, a)
    a, c_prev_n, c_n = a[:, :n], c_prev[:, :n], c[:, :n]
    act_end = a.shape[0]
    if lay.peephole:
        # i and f see c_{t-1}; o must wait for c_t.
        act_end = (1 + lay.n_pre) * H
        if lay.n_pre:
            pre = buf.pre[..., :n]
            np.multiply(buf.p_pre[..., :n], c_prev_n, out=pre)
            a[H:act_end] += pre.reshape(-1, n)
    if lay.niaf:
        _activate(a[H:act_end], 0)  # the block input g stays linear
    else:
        _activate(a[:act_end], H)  # every block after g is a sigmoid gate
    tmp = buf.tmp[:, :n]
    if lay.full_cell:
        np.multiply(a[2 * H : 3 * H], c_prev_n, out=c_n)  # f c_{t-1} + i g
        np.multiply(a[H : 2 * H], a[:H], out=tmp)
        c_n += tmp
    else:
        _cell_update(lay, a, c_prev_n, c_n, tmp)
    tc_n = tc[:, :n]
    if lay.noaf:
        tc_n[...] = c_n
    else:
        _tanh(c_n, tc_n)
    if lay.has_o:
        o = a[(lay.n_blocks - 1) * H :]
        if lay.peephole:
            np.multiply(buf.p_o[:, :n], c_n, out=tmp)
            o += tmp
            _activate(o, 0)
        np.multiply(o, tc_n, out=h[:, :n])
    else:
        h[:, :n] = tc_n
    if n < B:
        h[:, n:] = h_prev[:, n:]
        c[:, n:] = c_prev[:, n:]


def _cache_shapes(lay, T, B, recurrent_mask):
    """Shapes of the arrays ``_layer_forward`` fills: Z, A, Cs, TC (and Hs)."""
    shapes = [(T + 1, lay.n_in + 1 + lay.n_rec, B), (T, lay.n_blocks * lay.H, B),
              (T + 1, lay.H, B), (T, lay.H, B)]
    if recurrent_mask:
        shapes.append((T + 1, lay.H, B))  # h_t apart from the masked h_t in Z
    return shapes


def _stack_arrays(kernels, masks, T, B, dtype):
    """Every layer's cache arrays (see ``_cache_shapes``), carved from one allocation.

    One allocation for the whole stack, rather than one per layer: with
    several layers' caches alive at once, glibc returned the freed blocks
    to the system after each call (its trim threshold follows the largest
    single block), and a bidirectional S step (float64) paid ~1000 page
    faults per call, 2.9-3.5x a one-directional step instead of ~2x.
    """
    shapes = [_cache_shapes(lay, T, B, m[1] is not None) for lay, m in zip(kernels, masks)]
    flat = _empty_arrays(dtype, *[shape for group in shapes for shape in group])
    out, start = [], 0
    for group in shapes:
        out.append(flat[start : start + len(group)])
        start += len(group)
    return out


@releases_thread_limit
def _layer_forward(X_fm, lay, h0, c0, n_active, masks=(None, None), arrays=None):
    """Run one layer over step-major, feature-major input, keeping a cache.

    Parameters
    ----------
    X_fm : ndarray of shape (T, n_in, B)
        Any strides; it is copied into ``Z``.
    lay : _Layer
    h0, c0 : ndarray of shape (H, B)
    n_active : ndarray of shape (T,) or None
        Active samples per step; samples must be sorted by decreasing length.
    masks : pair of ndarray of shape (n_in, B) and (H, B), or None
        Dropout masks of the input and of the recurrent ``h_{t-1}``.
    arrays : list of ndarray, optional
        Uninitialised arrays of ``_cache_shapes`` to fill; allocated if None.

    Returns
    -------
    cache : dict
        ``Z`` (T+1, n_in+1+n_rec, B) with ``Z[t] = [x_t; 1; h_{t-1} (; s_{t-1})]^T``,
        inputs and ``h`` masked (only the recurrent rows of ``Z[T]`` are
        set); ``Hs`` (T+1, H, B) hidden states from ``h0`` (a view of ``Z``
        without recurrent dropout); ``A`` (T, nb*H, B) gate activations in
        internal order; ``Cs`` (T+1, H, B) cell states from ``c0``; ``TC``
        (T, H, B) output activation of the cell state.
    """
    T, n_in, B = X_fm.shape
    H = lay.H
    mask_x, mask_h = masks
    dtype = lay.WbR.dtype
    if arrays is None:
        arrays = _empty_arrays(dtype, *_cache_shapes(lay, T, B, mask_h is not None))
    Z, A, Cs, TC, *Hs_own = arrays
    if mask_x is None:
        Z[:T, :n_in] = X_fm
    else:
        np.multiply(X_fm, mask_x, out=Z[:T, :n_in])
    Z[T, : n_in + 1] = 0  # never read
    Z[:T, n_in] = 1
    Zh = Z[:, n_in + 1 : n_in + 1 + H]  # (T+1, H, B): the recurrent h_{t-1}
    Hs = Hs_own[0] if Hs_own else Zh  # without dropout, h_t is written into Z[t+1]
    Hs[0] = h0
    if mask_h is not None:
        np.multiply(h0, mask_h, out=Zh[0])
    if lay.fgr:
        Z[0, n_in + 1 + H :] = 0  # no gate activations precede the first step
    Cs[0] = c0
    buf = _StepBuffers(lay, B, dtype)
    with _blas_threads_for(B * lay.WbR.size), _peephole_overflow_ignored(lay):
        for t in range(T):
            n = B if n_active is None else n_active[t]
            _layer_step(lay, Z[t], A[t], Cs[t], Cs[t + 1], TC[t], Hs[t + 1], Hs[t], n, buf)
            if mask_h is not None:
                np.multiply(Hs[t + 1], mask_h, out=Zh[t + 1])
            if lay.fgr:
                s_rows = slice(n_in + 1 + H, None)
                Z[t + 1, s_rows, :n] = A[t, H:, :n]  # i, f, o feed the next step
                Z[t + 1, s_rows, n:] = Z[t, s_rows, n:]
            if n < B:
                # Padded steps' gate cache is zeroed so that the backward
                # factors vanish there.
                A[t, :, n:] = 0
                TC[t, :, n:] = 0
    return {"Z": Z, "Hs": Hs, "A": A, "Cs": Cs, "TC": TC}


def _layer_output(cache, lay):
    """Hidden states ``h_0 .. h_T`` of a layer, shape (T+1, H, B), a view."""
    return cache["Hs"]


def _backward_factors(lay, cache, t0, t1, F, bufs):
    """Local derivative factors of steps ``t0 .. t1-1``, for every variant.

    They are the parts of the backward equations that depend on neither
    ``δc`` nor ``δh``. ``F`` (m, nb, H, B) receives the factors of ``δa``
    that ``δc`` (blocks g, i, f) or ``δh`` (block o) multiply.

    Returns
    -------
    sd : ndarray of shape (m, n_sig, H, B)
        σ' of the sigmoid gates.
    dcdh : ndarray of shape (m, H, B)
        ∂c-part of ``δh``: ``δc_t = δh_t * dcdh + ...`` (through the output
        activation and the o peephole).
    keep : ndarray of shape (m, H, B)
        ∂c_t/∂c_{t-1}, including the i and f peepholes.
    """
    A, Cs, TC = cache["A"], cache["Cs"], cache["TC"]
    m, nb, H, B = F.shape
    A4 = A.reshape(A.shape[0], nb, H, B)
    g, c_prev, tc = A4[t0:t1, 0], Cs[t0:t1], TC[t0:t1]
    i = A4[t0:t1, 1] if lay.has_i else None
    sd = bufs["sd"][:m]
    np.subtract(1, A[t0:t1, H:], out=sd)
    sd *= A[t0:t1, H:]
    sd = sd.reshape(m, nb - 1, H, B)
    if lay.niaf:
        F[:, 0] = i  # δa^g = δc i
    else:
        np.square(g, out=F[:, 0])
        np.subtract(1, F[:, 0], out=F[:, 0])
        if lay.has_i:
            F[:, 0] *= i  # δa^g = δc i (1-g²)
    if lay.has_i:
        if lay.coupled:
            np.subtract(g, c_prev, out=F[:, 1])
            F[:, 1] *= sd[:, 0]  # δa^i = δc (g - c_prev) σ'
        else:
            np.multiply(g, sd[:, 0], out=F[:, 1])  # δa^i = δc g σ'
    if lay.has_f:
        np.multiply(c_prev, sd[:, lay.n_pre - 1], out=F[:, lay.n_pre])  # δa^f = δc c_prev σ'
    dcdh = bufs["dcdh"][:m]
    if lay.noaf:
        dcdh[...] = A4[t0:t1, -1] if lay.has_o else 1  # h = o c
    else:
        np.square(tc, out=dcdh)
        np.subtract(1, dcdh, out=dcdh)
        if lay.has_o:
            dcdh *= A4[t0:t1, -1]  # h = o tanh(c)
    if lay.has_o:
        np.multiply(tc, sd[:, -1], out=F[:, -1])  # δa^o = δh tc σ'
    keep = _keep_factor(lay, A4, t0, t1, bufs)
    if lay.peephole:
        tmp = bufs["tmp"][:m]
        p = lay.p[:, :, None]
        if lay.has_o:
            np.multiply(F[:, -1], p[-1], out=tmp)
            dcdh += tmp
        for row in range(lay.n_pre):
            np.multiply(F[:, row + 1], p[row], out=tmp)
            keep += tmp
    return sd, dcdh, keep


def _keep_factor(lay, A4, t0, t1, bufs):
    """∂c_t/∂c_{t-1} without peepholes: f, 1 - i or 1; a buffer when it may be updated."""
    keep_buf = bufs.get("keep")
    if keep_buf is None:
        return A4[t0:t1, lay.n_pre]  # f, as cached
    keep = keep_buf[: t1 - t0]
    if lay.coupled:
        np.subtract(1, A4[t0:t1, 1], out=keep)
    elif not lay.has_f:
        keep[...] = 1  # NFG
    else:
        keep[...] = A4[t0:t1, lay.n_pre]
    return keep


def _backward_buffers(lay, chunk, B, dtype):
    """Chunk-sized scratch arrays of ``_backward_factors``."""
    H = lay.H
    bufs = {
        "sd": np.empty((chunk, lay.n_sig * H, B), dtype=dtype),
        "dcdh": np.empty((chunk, H, B), dtype=dtype),
    }
    if lay.coupled or lay.peephole or not lay.has_f:
        bufs["keep"] = np.empty((chunk, H, B), dtype=dtype)
    if lay.peephole:
        bufs["tmp"] = np.empty((chunk, H, B), dtype=dtype)
    if lay.fgr:
        bufs["E"] = np.empty((lay.n_sig, H, B), dtype=dtype)  # FGR's share of δa of i, f, o
    return bufs


def _fgr_share(lay, ds, sd, dc, bufs):
    """FGR: ``δs_t`` (n_sig*H, n) reaches the gates' ``δa_t`` through σ'.

    Returns ``E = δs σ'`` (n_sig, H, n), to add to the gates' δa, and adds
    its o part's peephole path to ``δc_t`` (``dc``, (H, n)) in place.
    """
    H, n = lay.H, dc.shape[1]
    E = np.multiply(ds.reshape(-1, H, n), sd, out=bufs["E"][..., :n])
    if lay.peephole and lay.has_o:
        tmp = bufs["tmp"][0, :, :n]
        np.multiply(E[-1], lay.p[-1, :, None], out=tmp)
        dc += tmp
    return E


def _add_fgr_share(lay, Ft, E, dc_prev, bufs):
    """Add ``E`` to the gates' δa ``Ft`` (nb, H, n), and its i, f peephole paths to ``δc_{t-1}``."""
    Ft[1:] += E
    if lay.peephole:
        tmp = bufs["tmp"][0, :, : E.shape[2]]
        for row in range(lay.n_pre):
            np.multiply(E[row], lay.p[row, :, None], out=tmp)
            dc_prev += tmp


def _peephole_grads(lay, F, Cs, t0, t1, dp):
    """Add a chunk's ``δp`` to ``dp`` (n_sig, H): i, f see ``c_{t-1}``, o sees ``c_t``."""
    for row in range(lay.n_pre):
        dp[row] += np.einsum("thb,thb->h", F[:, row + 1], Cs[t0:t1])
    if lay.has_o:
        dp[-1] += np.einsum("thb,thb->h", F[:, -1], Cs[t0 + 1 : t1 + 1])


def _public_grads(lay, dWbR_T, dp):
    """``W``, ``R``, ``b`` (and ``p``, ``Rg``) gradients in public gate order."""
    n_in, H, inv = lay.n_in, lay.H, lay.inv
    dWbR = dWbR_T.T
    grads = {
        "W": dWbR[:n_in, inv],
        "R": dWbR[n_in + 1 : n_in + 1 + H, inv],
        "b": dWbR[n_in, inv],
    }
    if lay.peephole:
        grads["p"] = dp
    if lay.fgr:
        grads["Rg"] = np.ascontiguousarray(dWbR[n_in + 1 + H :, H:])  # gate columns only
    return grads


@releases_thread_limit
def _layer_backward(
    cache, lay, d_seq, dh_last, n_active, input_grad, masks=(None, None), dc_last=None,
):
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
    masks : pair of ndarray of shape (n_in, B) and (H, B), or None
        The dropout masks the forward pass used.

    Returns
    -------
    grads : dict
        ``W``, ``R``, ``b`` (and ``p``, ``Rg``) in public gate order,
        ``h0``, ``c0`` of shape (H, B), and ``X`` of shape (T, n_in, B) or None.
    """
    Z, A, Cs = cache["Z"], cache["A"], cache["Cs"]
    # The time loop stays in this function: the per-step work is a dozen
    # small array operations, whose Python call overheads dominate small
    # problems; only the variants' extra terms live in helpers.
    T, nbH, B = A.shape
    H, nb, n_in = lay.H, lay.n_blocks, lay.n_in
    dtype = A.dtype
    mask_x, mask_h = masks
    n_c = nb - lay.has_o  # blocks whose δa is driven by δc: g, i, f

    # Steps are processed in chunks, last chunk first. δa lives only in a
    # chunk buffer: each chunk first fills it with the factors that δc
    # (blocks g, i, f) or δh (block o) multiply, then the step loop scales
    # them in place and consumes them.
    chunk = max(1, min(T, _CHUNK_BYTES // (B * nbH * A.itemsize)))
    dA = np.empty((chunk, nbH, B), dtype=dtype)
    dA4 = dA.reshape(chunk, nb, H, B)
    bufs = _backward_buffers(lay, chunk, B, dtype)
    dp = np.zeros_like(lay.p) if lay.peephole else None
    dX = np.empty((T, n_in, B), dtype=dtype) if input_grad else None

    # [δW; δb; δR]^T, to which each step adds δa_t Z[t]^T in place (beta=1).
    dWbR_T = np.zeros(lay.WbR_half_T.shape, dtype=dtype)
    # W (n_in, nb*H) and the recurrent rows: R (H, nb*H) (with FGR, and Rg).
    W, R = lay.WbR[:n_in], lay.WbR[n_in + 1 :]
    # δ of the recurrent rows of Z: δh_{t-1} (and with FGR, δs_{t-1}).
    d_rec = np.zeros((lay.n_rec, B), dtype=dtype)
    dh_rec, ds_rec = d_rec[:H], d_rec[H:]
    if dh_last is not None:
        dh_rec[...] = dh_last
    dc_rec = np.zeros((H, B), dtype=dtype)
    if dc_last is not None:
        dc_rec[...] = dc_last
    dh_buf = np.empty((H, B), dtype=dtype)
    d_pad = np.empty((lay.n_rec, B), dtype=dtype) if n_active is not None else None
    dc = np.empty((H, B), dtype=dtype)
    with _blas_threads_for(B * lay.WbR.size):
        for t1 in range(T, 0, -chunk):
            t0 = max(t1 - chunk, 0)
            m = t1 - t0
            sd, dcdh, keep = _backward_factors(lay, cache, t0, t1, dA4[:m], bufs)

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
                if lay.fgr:
                    E = _fgr_share(lay, ds_rec[:, :n], sd[k, ..., :n], dct, bufs)
                Ft[:n_c] *= dct
                if lay.has_o:
                    Ft[-1] *= dh
                np.multiply(dct, keep[k, :, :n], out=dc_rec[:, :n])
                if lay.fgr:
                    _add_fgr_share(lay, Ft, E, dc_rec[:, :n], bufs)
                if n < B:
                    _gemm(R, dA[k], d_pad)
                    d_rec[:, :n] = d_pad[:, :n]  # padded samples carry δh (and δs)
                else:
                    _gemm(R, dA[k], d_rec)  # δh_{t-1}^T = R δa_t^T
                if mask_h is not None:
                    dh_rec[:, :n] *= mask_h[:, :n]
                _gemm(dA[k], Z[t], dWbR_T, beta=1.0, trans_b=True)
                if input_grad:
                    _gemm(W, dA[k], dX[t])  # δx_t^T = W δa_t^T
            if lay.peephole:
                _peephole_grads(lay, dA4[:m], Cs, t0, t1, dp)

    if input_grad and mask_x is not None:
        dX *= mask_x
    return {**_public_grads(lay, dWbR_T, dp), "h0": dh_rec, "c0": dc_rec, "X": dX}
