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

Without peepholes the ``p`` terms are absent (Greff et al.'s NP). With the
coupled input-forget gate (CIFG) ``f_t = 1 - i_t``; there is no f block, so
``W``, ``R``, ``b`` have 3H columns in the order **i, g, o** and ``p`` has
rows **i, o**.

Gate variants (Greff et al., section 3), ``gate_variant``:

- ``"NIG"`` no input gate, ``i_t = 1``; ``"NFG"`` no forget gate,
  ``f_t = 1``; ``"NOG"`` no output gate, ``o_t = 1``. The gate's block of
  ``W``, ``R``, ``b`` and its row of ``p`` are absent: blocks **f, g, o**,
  **i, g, o** and **i, f, g** (NOG with CIFG: **i, g**).
- ``"NIAF"`` no input activation function, ``g_t = a^g_t``;
  ``"NOAF"`` no output activation function, ``h_t = o_t * c_t``.
- ``"FGR"`` full gate recurrence: each gate also reads the previous step's
  gate activations ``s_{t-1} = [i_{t-1}, f_{t-1}, o_{t-1}]`` (zeros before
  the first step) through ``Rg`` (3H, 3H), nine (H, H) blocks: rows
  the source gate, columns the receiving gate, both in the order i, f, o
  (i, o with CIFG)::

      a^θ_t = x_t W^θ + h_{t-1} R^θ + s_{t-1} Rg^θ + b^θ     θ ∈ {i, f, o}

The coupled gate combines with every variant except NIG (no i to couple
to) and NFG (f = 1 - i is a forget gate); peepholes combine with all.

Bidirectional stacks hold two layer dicts per layer, forward in time first
(PyTorch's ``*_l{k}`` and ``*_l{k}_reverse``). The backward direction reads
each sequence reversed within its own length, so that it starts at the
last real step, never in padding; its outputs are reversed back and the
layer's output is ``[h→_t; h←_t]`` (2H), which the next layer reads.
Many-to-one returns ``[h→ at the last real step; h← after step 0]``.

Dropout masks (variational dropout, Gal & Ghahramani 2016) multiply a
layer's input ``x_t`` and the ``h_{t-1}`` its gates read, with one mask
per sequence for all steps; the layer's output ``h_t`` is not masked.

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

Variants change these factors as their forward equations do: an absent
gate's factor is 1 and its δa term vanishes; NIAF and NOAF replace
``1 - g²`` and ``1 - tanh²(c)`` by 1. With FGR, ``δs_{t-1} = δa_t Rg^T``
adds ``δs_t * σ'`` to the gates' ``δa_t`` (and, through peepholes, to
``δc``). Dropout masks multiply ``δx_t`` and ``δh_{t-1}|rec``.

and the parameter gradients are sums over time and batch::

    δW = Σ_t x_t^T δa_t     δR = Σ_t h_{t-1}^T δa_t     δb = Σ_t Σ_batch δa_t
    δRg = Σ_t s_{t-1}^T δa_t  (gate columns)
    δp^i = Σ δa^i * c_{t-1}   δp^f = Σ δa^f * c_{t-1}   δp^o = Σ δa^o * c_t

(Derived anew and checked by central finite differences in
``tests/test_lstm.py``, ``tests/test_variants.py``,
``tests/test_bidirectional.py`` and ``tests/test_dropout.py``.)

Implementation notes
--------------------
- Inside the kernel the gate blocks are reordered to ``g, i, f, o`` (the
  blocks a variant has, g first) so that
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
    "sigmoid_gates", "check_cell", "draw_dropout_masks", "inverse_permutation", "GATE_VARIANTS",
]

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


# Gates a variant removes (Greff et al. 2017, section 3: the gate is fixed
# at 1), and the variants allowed together with the coupled gate.
_ABSENT_GATE = {"NIG": "i", "NFG": "f", "NOG": "o"}
GATE_VARIANTS = (None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR")
# f = 1 - i needs an input gate, and defines the forget gate itself.
_NOT_WITH_COUPLED = {"NIG": "it has no input gate i to couple f = 1 - i to",
                     "NFG": "f = 1 - i is itself a forget gate"}


def check_cell(gate_variant=None, coupled=False):
    """Check that a gate variant exists and combines with the coupled gate.

    Parameters
    ----------
    gate_variant : {None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"}
    coupled : bool

    Raises
    ------
    ValueError
        For an unknown variant, or NIG or NFG with the coupled gate.
    """
    if gate_variant not in GATE_VARIANTS:
        raise ValueError(f"gate_variant must be one of {GATE_VARIANTS}, got {gate_variant!r}.")
    if coupled and gate_variant in _NOT_WITH_COUPLED:
        raise ValueError(
            f"gate_variant={gate_variant!r} cannot be combined with coupled_gates=True: "
            f"{_NOT_WITH_COUPLED[gate_variant]}."
        )


@lru_cache(maxsize=32)
def gate_blocks(coupled=False, gate_variant=None):
    """Names of the gate blocks of ``W``, ``R`` and ``b``, in column order.

    Parameters
    ----------
    coupled : bool, default=False
        Whether the layer uses the coupled input-forget gate (CIFG).
    gate_variant : {None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"}, default=None
        Greff et al.'s variant; NIG, NFG and NOG drop the i, f or o block.

    Returns
    -------
    blocks : tuple of str
        A subsequence of ``("i", "f", "g", "o")``: ``("i", "g", "o")``
        when coupled, ``("f", "g", "o")`` for NIG, and so on.
    """
    check_cell(gate_variant, coupled)
    absent = {_ABSENT_GATE.get(gate_variant), "f" if coupled else None}
    return tuple(name for name in ("i", "f", "g", "o") if name not in absent)


def sigmoid_gates(coupled=False, gate_variant=None):
    """Names of the sigmoid gates a layer has, in order: the rows of ``p``.

    Also the row and column blocks of FGR's gate-recurrent weights ``Rg``.
    """
    return tuple(name for name in gate_blocks(coupled, gate_variant) if name != "g")


def _layer_shape(layer, gate_variant):
    """Return (n_in, H, coupled) of a layer dict, checked against the variant."""
    W, R, b = layer["W"], layer["R"], layer["b"]
    if R.ndim != 2 or R.shape[0] == 0:
        raise ValueError(f"R must have shape (H, n_blocks * H), got {R.shape}.")
    H = R.shape[0]
    shapes = {}
    for coupled in (False, True):
        if not (coupled and gate_variant in _NOT_WITH_COUPLED):
            shapes[len(gate_blocks(coupled, gate_variant)) * H] = coupled
    if R.shape[1] not in shapes:
        expected = " or ".join(f"({H}, {n})" for n in shapes)
        raise ValueError(
            f"R must have shape {expected} for gate_variant={gate_variant!r}, got {R.shape}."
        )
    coupled = shapes[R.shape[1]]
    nbH = R.shape[1]
    if W.ndim != 2 or W.shape[1] != nbH:
        raise ValueError(f"W must have shape (n_in, {nbH}), got {W.shape}.")
    if b.shape != (nbH,):
        raise ValueError(f"b must have shape ({nbH},), got {b.shape}.")
    n_sig = nbH // H - 1
    p = layer.get("p")
    if p is not None and p.shape != (n_sig, H):
        raise ValueError(f"p must have shape ({n_sig}, {H}), got {p.shape}.")
    Rg = layer.get("Rg")
    if (Rg is not None) != (gate_variant == "FGR"):
        raise ValueError("Rg (gate recurrence) is given exactly when gate_variant='FGR'.")
    if Rg is not None and Rg.shape != (n_sig * H, n_sig * H):
        raise ValueError(f"Rg must have shape ({n_sig * H}, {n_sig * H}), got {Rg.shape}.")
    return W.shape[0], H, coupled


@lru_cache(maxsize=64)
def _block_permutation(blocks, H):
    """Column indices taking public gate order to the kernel's order, and back.

    The kernel puts the block input g first, then the sigmoid gates in
    their public order.
    """
    internal = ("g",) + tuple(name for name in blocks if name != "g")
    starts = [blocks.index(name) * H for name in internal]
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
    WbR : ndarray of shape (n_in + 1 + n_rec, nb*H)
        ``[W; b; R]`` (FGR: ``[W; b; R; Rg]``, ``Rg`` with zero g columns),
        the weights met by ``Z[t] = [x_t; 1; h_{t-1} (; s_{t-1})]^T``;
        ``n_rec`` is H, or H + n_sig*H with FGR.
    WbR_half_T : ndarray of shape (nb*H, n_in + 1 + n_rec)
        Its transpose with the sigmoid gates' rows scaled by 1/2, for the
        forward pass.
    p, p_half : ndarray of shape (n_sig, H)
        Peepholes of the sigmoid gates (public order), if any, and halves.
    has_i, has_f, has_o, coupled, niaf, noaf, fgr : bool
        The cell's structure: which gates exist, the coupled gate, identity
        block input (NIAF) or output (NOAF) activation, gate recurrence.
    n_pre : int
        Sigmoid gates computed before ``c_t`` (i and f, when present).
    full_cell : bool
        Whether ``c_t = f c_{t-1} + i g`` with both gates (not CIFG, NIG, NFG).
    params : dict
        The layer's parameters as given (public gate order).
    """

    def __init__(self, layer, dtype, gate_variant=None):
        if isinstance(layer, _Layer):
            if layer.gate_variant != gate_variant:
                raise ValueError(
                    f"Kernel layers of gate_variant={layer.gate_variant!r} cannot run as "
                    f"gate_variant={gate_variant!r}."
                )
            layer = layer.params
        self.params = layer  # the public arrays, to re-pack in another dtype
        n_in, H, coupled = _layer_shape(layer, gate_variant)
        blocks = gate_blocks(coupled, gate_variant)
        self.n_in, self.H, self.n_blocks = n_in, H, len(blocks)
        self.n_sig = self.n_blocks - 1
        self.coupled, self.gate_variant = coupled, gate_variant
        self.has_i, self.has_f, self.has_o = ("i" in blocks), ("f" in blocks), ("o" in blocks)
        self.n_pre = self.has_i + self.has_f
        self.full_cell = self.n_pre == 2  # its own i and f gates
        self.niaf, self.noaf, self.fgr = (gate_variant == v for v in ("NIAF", "NOAF", "FGR"))
        self.peephole = layer.get("p") is not None
        self.n_rec = H + (self.n_sig * H if self.fgr else 0)
        self.perm, self.inv = _block_permutation(blocks, H)
        W = np.asarray(layer["W"], dtype=dtype)[:, self.perm]
        R = np.asarray(layer["R"], dtype=dtype)[:, self.perm]
        b = np.asarray(layer["b"], dtype=dtype)[self.perm]
        parts = [W, b[None], R]
        if self.fgr:
            Rg = np.zeros((self.n_sig * H, self.n_blocks * H), dtype=dtype)
            Rg[:, H:] = np.asarray(layer["Rg"], dtype=dtype)  # public = internal gate order
            parts.append(Rg)
        # Both copies C-ordered: fancy indexing may return Fortran order.
        self.WbR = np.ascontiguousarray(np.concatenate(parts))
        self.WbR_half_T = self.WbR.T.copy(order="C")
        self.WbR_half_T[H:] *= 0.5  # every block after g is a sigmoid gate
        if self.peephole:
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
        np.tanh(c_n, out=tc_n)
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
    with _blas_threads_for(B * lay.WbR.size):
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


def _layer_backward(cache, lay, d_seq, dh_last, n_active, input_grad, masks=(None, None)):
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

def _check_lengths(lengths, n_samples, n_steps):
    lengths = np.asarray(lengths)
    if lengths.shape != (n_samples,) or not np.issubdtype(lengths.dtype, np.integer):
        raise ValueError(f"lengths must be an integer array of shape ({n_samples},).")
    if lengths.size and (lengths.min() < 1 or lengths.max() > n_steps):
        raise ValueError(f"lengths must lie in [1, {n_steps}].")
    return lengths.astype(np.intp)


def _check_stack(kernels, n_features, n_dir):
    """Check that the layers chain: layer l reads ``n_dir`` times layer l-1's units."""
    if len(kernels) % n_dir:
        raise ValueError(
            f"A bidirectional stack needs an even number of layer dicts, got {len(kernels)}."
        )
    n_in = n_features
    for depth, lay in enumerate(kernels):
        if lay.n_in != n_in:
            raise ValueError(f"Layer {depth} expects {lay.n_in} inputs, got {n_in}.")
        if depth % n_dir == n_dir - 1:
            if lay.H != kernels[depth - n_dir + 1].H:
                raise ValueError(f"Layers {depth - 1} and {depth} (two directions) differ in H.")
            n_in = n_dir * lay.H


class _TimeReversal:
    """Reverse each sequence within its own length; padding stays at the end.

    Reversal is its own inverse: the backward direction reads the reversed
    input, and its outputs and gradients are reversed back the same way.
    """

    def __init__(self, lengths, T):
        if lengths is None:
            self.index = None
        else:
            t = np.arange(T)[:, None]
            # (T, B): step t of the reversed sequence is step len-1-t of the given one
            self.index = np.where(t < lengths[None, :], lengths[None, :] - 1 - t, t)[:, None, :]

    def __call__(self, a):
        """``a`` of shape (T, k, B), per sequence reversed in time."""
        if self.index is None:
            return a[::-1]
        return np.take_along_axis(a, self.index, axis=0)


def draw_dropout_masks(rng, n_samples, layer_sizes, dropout, recurrent_dropout, dtype):
    """Variational dropout masks: one per sequence, layer and direction, for all steps.

    Inverted dropout (Gal & Ghahramani 2016): a unit is kept with
    probability ``1 - rate`` and then scaled by ``1 / (1 - rate)``, so that
    its expected value is unchanged and prediction needs no masks.

    Parameters
    ----------
    rng : numpy.random.Generator or numpy.random.RandomState
    n_samples : int
    layer_sizes : sequence of (int, int)
        ``(n_in, H)`` of each layer dict, in the order of ``layers``.
    dropout, recurrent_dropout : float in [0, 1)
        Rates of the layers' inputs and of the recurrent ``h_{t-1}``.
    dtype : dtype

    Returns
    -------
    masks : list of tuple
        ``(mask_x, mask_h)`` per layer dict: arrays of shape
        (n_samples, n_in) and (n_samples, H) with entries 0 or
        ``1 / (1 - rate)``, or None for a rate of 0.
    """

    def draw(rate, width):
        if not rate:
            return None
        keep = rng.random((n_samples, width)) >= rate
        return keep.astype(dtype) / dtype.type(1.0 - rate)

    dtype = np.dtype(dtype)
    masks = []
    for n_in, H in layer_sizes:
        masks.append((draw(dropout, n_in), draw(recurrent_dropout, H)))
    return masks


def _feature_major_masks(dropout_masks, kernels, order, B):
    """Masks per layer as (n_in, B) and (H, B) arrays in sorted sample order."""
    if dropout_masks is None:
        return [(None, None)] * len(kernels)
    if len(dropout_masks) != len(kernels):
        raise ValueError(f"dropout_masks must hold one pair per layer dict ({len(kernels)}).")
    out = []
    for depth, (lay, pair) in enumerate(zip(kernels, dropout_masks)):
        converted = []
        for m, width, name in zip(pair, (lay.n_in, lay.H), ("input", "recurrent")):
            if m is not None:
                m = np.asarray(m, dtype=lay.WbR.dtype)
                if m.shape != (B, width):
                    raise ValueError(
                        f"The {name} dropout mask of layer {depth} must have shape "
                        f"{(B, width)}, got {m.shape}."
                    )
                m = np.ascontiguousarray((m if order is None else m[order]).T)
            converted.append(m)
        out.append(tuple(converted))
    return out


def kernel_layers(layers, dtype, gate_variant=None):
    """Kernel-ready copies of the layers' parameters, for repeated calls.

    Parameters
    ----------
    layers : sequence of dict
        As for :func:`lstm_forward`.
    dtype : {numpy.float32, numpy.float64}
    gate_variant : {None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"}, default=None

    Returns
    -------
    kernels : list
        Opaque; may be passed as ``layers`` to :func:`lstm_forward` and
        :func:`lstm_predict` with inputs of this dtype and the same
        ``gate_variant``, which then skip re-packing the weights.
    """
    if not layers:
        raise ValueError("layers must hold at least one layer.")
    check_cell(gate_variant)
    dtype = np.dtype(dtype)
    return [
        lay
        if isinstance(lay, _Layer) and lay.WbR.dtype == dtype and lay.gate_variant == gate_variant
        else _Layer(lay, dtype, gate_variant)
        for lay in layers
    ]


class _Batch:
    """A checked input batch, sorted by decreasing length when ragged.

    Attributes
    ----------
    X : ndarray of shape (B, T, n_features)
        Sorted, and cut to the longest length ``T``.
    kernels : list of _Layer
    n_dir : int
        2 for a bidirectional stack (two kernels per layer), else 1.
    order : ndarray of shape (B,) or None
        ``X = X_given[order]``; None when no sorting was needed.
    n_active : ndarray of shape (T,) or None
        Active samples per step; None when every sequence is full.
    reverse : _TimeReversal or None
        Per-sequence time reversal, for bidirectional stacks.
    T_full : int
        The given number of steps.
    """

    def __init__(self, X, layers, lengths, gate_variant=None, bidirectional=False):
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
        self.kernels = kernel_layers(layers, X.dtype, gate_variant)
        self.n_dir = 2 if bidirectional else 1
        _check_stack(self.kernels, X.shape[2], self.n_dir)
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
        self.reverse = _TimeReversal(lengths, T) if bidirectional else None

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

    def final_output(self, finals):
        """Many-to-one output (B, D*H) from the top kernels' last states (H, B) each."""
        return self.unsorted(np.ascontiguousarray(np.concatenate(finals).T))

    def unsorted(self, a):
        """Rows of ``a`` (sorted samples) back in the given sample order."""
        return a if self.order is None else a[inverse_permutation(self.order)]


def lstm_forward(
    X, layers, *, h0=None, c0=None, lengths=None, return_sequences=False, gate_variant=None,
    bidirectional=False, dropout_masks=None,
):
    """Forward pass of a stack of LSTM layers, keeping the cache for backward.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_features)
        Input sequences, float32 or float64; the computation runs in this
        dtype. Padded steps (beyond ``lengths``) must hold finite values.
    layers : sequence of dict
        One dict per layer (per layer and direction when bidirectional,
        forward first) with ``W`` (n_in, nb*H), ``R`` (H, nb*H), ``b``
        (nb*H,), optionally ``p`` (nb-1, H), and with FGR ``Rg``
        (n_sig*H, n_sig*H). ``nb`` is the number of blocks of
        :func:`gate_blocks`. See the module docstring. Or the result of
        :func:`kernel_layers`.
    h0, c0 : sequence of ndarray of shape (n_samples, H_l), optional
        Initial hidden and cell state of each layer dict; zeros when omitted.
    lengths : array-like of int of shape (n_samples,), optional
        Number of real (unpadded) steps of each sequence; padding trails.
    return_sequences : bool, default=False
        If False (many-to-one), return each sequence's last hidden state of
        the top layer; if True (many-to-many), its hidden state at every step,
        with zeros at padded steps.
    gate_variant : {None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"}, default=None
        Greff et al.'s variant of every layer; see the module docstring.
    bidirectional : bool, default=False
        Whether each layer runs forward and backward in time: ``layers``
        then holds two dicts per layer and the outputs are ``[h→; h←]``.
    dropout_masks : list of tuple, optional
        Per layer dict, the ``(mask_x, mask_h)`` of :func:`draw_dropout_masks`.

    Returns
    -------
    outputs : ndarray of shape (n_samples, D*H_top) or (n_samples, n_timesteps, D*H_top)
        ``D`` is 2 when bidirectional, else 1.
    cache : dict
        Everything ``lstm_backward`` needs. It holds references, not copies,
        of the inputs; do not modify them between forward and backward.
    """
    batch = _Batch(X, layers, lengths, gate_variant, bidirectional)
    kernels, n_active, n_dir, reverse = batch.kernels, batch.n_active, batch.n_dir, batch.reverse
    masks = _feature_major_masks(dropout_masks, kernels, batch.order, batch.X.shape[0])
    layer_input = batch.X.transpose(1, 2, 0)  # (T, n_in, B) view; copied into Z
    arrays = _stack_arrays(kernels, masks, *layer_input.shape[::2], batch.X.dtype)
    caches, finals = [], []
    for depth, lay in enumerate(kernels):
        backward_in_time = depth % n_dir == 1
        cache = _layer_forward(
            reverse(layer_input) if backward_in_time else layer_input, lay,
            batch.initial(h0, depth), batch.initial(c0, depth), n_active, masks[depth],
            arrays[depth],
        )
        caches.append(cache)
        out = _layer_output(cache, lay)
        finals.append(out[-1])
        if n_dir == 1:
            layer_input = out[1:]
        elif backward_in_time:
            layer_input = np.concatenate([forward_out, reverse(out[1:])], axis=1)
        else:
            forward_out = out[1:]

    if return_sequences:
        outputs = batch.sequence_output(layer_input)
    else:
        # Each direction's state after its last real step (carried through padding).
        outputs = batch.final_output(finals[-n_dir:])
    cache = {
        "kernels": kernels,
        "layers": caches,
        "order": batch.order,
        "n_active": n_active,
        "T_full": batch.T_full,
        "return_sequences": return_sequences,
        "n_dir": n_dir,
        "reverse": reverse,
        "masks": masks,
    }
    return outputs, cache


def lstm_predict(
    X, layers, *, h0=None, c0=None, lengths=None, return_sequences=False, chunk_steps=None,
    gate_variant=None, bidirectional=False,
):
    """Forward pass only, with no cache: the outputs of :func:`lstm_forward`.

    The layers run through the steps in chunks of ``chunk_steps``, each
    chunk through every layer before the next, so that a layer keeps only
    a chunk's states: O(chunk_steps x B x H) per layer, whatever the number
    of steps. A bidirectional layer needs its whole input before its
    backward direction starts, so bidirectional stacks run layer by layer
    and keep one layer's outputs, O(T x B x H). The cell equations are
    those of the training pass (one shared step function), so the outputs
    equal its outputs.

    Parameters
    ----------
    X, layers, h0, c0, lengths, return_sequences, gate_variant, bidirectional
        As for :func:`lstm_forward`.
    chunk_steps : int, optional
        Steps per chunk; by default sized so that a chunk's states stay in
        cache.

    Returns
    -------
    outputs : ndarray of shape (n_samples, D*H_top) or (n_samples, n_timesteps, D*H_top)
        Equal to ``lstm_forward(...)[0]``.
    """
    batch = _Batch(X, layers, lengths, gate_variant, bidirectional)
    if bidirectional:
        return _predict_layer_by_layer(batch, h0, c0, return_sequences)
    kernels, n_active = batch.kernels, batch.n_active
    B, T, _ = batch.X.shape
    dtype = batch.X.dtype
    if chunk_steps is None:
        width = sum(lay.n_in + 1 + lay.n_rec for lay in kernels)
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
    return batch.final_output([runs[-1].h])


def _predict_layer_by_layer(batch, h0, c0, return_sequences):
    """Forward-only pass of a bidirectional stack, one whole layer at a time."""
    kernels, n_active, reverse = batch.kernels, batch.n_active, batch.reverse
    T = batch.X.shape[1]
    layer_input = batch.X.transpose(1, 2, 0)  # (T, n_in, B) view
    for depth in range(0, len(kernels), 2):
        forward = _PredictRun(kernels[depth], T, batch, depth, h0, c0)
        backward = _PredictRun(kernels[depth + 1], T, batch, depth + 1, h0, c0)
        out_f = forward.advance(layer_input, n_active)
        out_b = backward.advance(reverse(layer_input), n_active)
        layer_input = np.concatenate([out_f, reverse(out_b)], axis=1)  # (T, 2H, B)
    if return_sequences:
        return batch.sequence_output(layer_input)
    return batch.final_output([forward.h, backward.h])


class _PredictRun:
    """One layer's state in :func:`lstm_predict`: a chunk of steps at a time.

    Attributes
    ----------
    Z : ndarray of shape (chunk+1, n_in+1+n_rec, B)
        As in ``_layer_forward``, for the chunk's steps; the recurrent rows
        of ``Z[0]`` hold the state carried in from the previous chunk.
    Cs : ndarray of shape (2, H, B)
        Cell states, previous and current, alternating.
    """

    def __init__(self, lay, chunk, batch, depth, h0, c0):
        B, dtype = batch.X.shape[0], batch.X.dtype
        n_in, H = lay.n_in, lay.H
        self.lay = lay
        self.Z, self.A, self.Cs, self.TC = _empty_arrays(
            dtype, (chunk + 1, n_in + 1 + lay.n_rec, B), (lay.n_blocks * H, B), (2, H, B), (H, B)
        )
        self.Z[:, n_in] = 1
        self.Hs = self.Z[:, n_in + 1 : n_in + 1 + H]
        self.Hs[0] = batch.initial(h0, depth)
        self.Z[0, n_in + 1 + H :] = 0  # FGR: no gate activations precede the first step
        self.Cs[0] = batch.initial(c0, depth)
        self.buf = _StepBuffers(lay, B, dtype)
        self.steps_done = 0
        self._last = 0  # row of Z holding the latest state

    def advance(self, X_fm, n_active):
        """Run the layer over a chunk (m, n_in, B); return its outputs (m, H, B), a view."""
        m, n_in, B = X_fm.shape
        lay, Z, Hs, Cs, A = self.lay, self.Z, self.Hs, self.Cs, self.A
        Z[0, n_in + 1 :] = Z[self._last, n_in + 1 :]  # the state carried in
        Z[:m, :n_in] = X_fm
        s_rows = slice(n_in + 1 + lay.H, None)
        with _blas_threads_for(B * lay.WbR.size):
            for k in range(m):
                n = B if n_active is None else n_active[k]
                s = (self.steps_done + k) % 2
                _layer_step(lay, Z[k], A, Cs[s], Cs[1 - s], self.TC, Hs[k + 1], Hs[k], n, self.buf)
                if lay.fgr:
                    Z[k + 1, s_rows, :n] = A[lay.H :, :n]  # i, f, o feed the next step
                    Z[k + 1, s_rows, n:] = Z[k, s_rows, n:]
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
        ``layers``: one dict per layer dict with ``W``, ``R``, ``b`` (and
        ``p``, ``Rg``), shaped as the parameters; ``h0``, ``c0``: lists of
        (n_samples, H_l); ``X``: (n_samples, n_timesteps, n_features) or None.
    """
    kernels, caches = cache["kernels"], cache["layers"]
    order, n_active, n_dir = cache["order"], cache["n_active"], cache["n_dir"]
    reverse = cache["reverse"]
    T = caches[0]["A"].shape[0]
    d_outputs = np.asarray(d_outputs, dtype=caches[0]["A"].dtype)
    if order is not None:
        d_outputs = d_outputs[order]
    # The kernel works feature-major: (T, D*H, B) and (D*H, B).
    if cache["return_sequences"]:
        d_seq = np.ascontiguousarray(d_outputs[:, :T].transpose(1, 2, 0))
        dh_last = None
    else:
        d_seq, dh_last = None, d_outputs.T

    n_layers = len(kernels)
    layer_grads, dh0, dc0 = [None] * n_layers, [None] * n_layers, [None] * n_layers
    for top in range(n_layers - n_dir, -1, -n_dir):
        d_input = None
        for depth in range(top, top + n_dir):
            H, k = kernels[depth].H, depth - top
            d_seq_k = None if d_seq is None else d_seq[:, k * H : (k + 1) * H]
            if k == 1 and d_seq_k is not None:
                d_seq_k = reverse(d_seq_k)
            g = _layer_backward(
                caches[depth], kernels[depth], d_seq_k,
                None if dh_last is None else dh_last[k * H : (k + 1) * H],
                n_active, input_grad or top > 0, cache["masks"][depth],
            )
            dx = g.pop("X")
            if k == 1 and dx is not None:
                dx = reverse(dx)
            d_input = dx if d_input is None else d_input + dx
            dh0[depth] = np.ascontiguousarray(g.pop("h0").T)
            dc0[depth] = np.ascontiguousarray(g.pop("c0").T)
            layer_grads[depth] = g
        d_seq, dh_last = d_input, None

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
    return {"layers": layer_grads, "h0": dh0, "c0": dc0, "X": dX}
