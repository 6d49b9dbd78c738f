"""The LSTM cell: gate variants, gate blocks and kernel-ready layer parameters.

The equations, and the order of the gate blocks, are in the docstring of
:mod:`sklstm._lstm`.

Implementation notes
--------------------
- Inside the kernel the gate blocks are reordered to ``g, i, f, o`` (the
  blocks a variant has, g first) so that
  every sigmoid block is contiguous and every block driven by ``δc`` precedes
  the o block. The columns of sigmoid gates are pre-scaled by 1/2, so one
  ``tanh`` over all blocks and an affine ``0.5 u + 0.5`` give every gate:
  ``σ(a) = (1 + tanh(a / 2)) / 2`` never overflows (in float64, one
  ``e^{-2u}`` gives every block instead; see ``_kernel._activate``).
"""

from collections.abc import Mapping
from functools import lru_cache

import numpy as np

from ._checks import (
    cast_finite, check_flag, check_float_dtype, check_sequence_of, largest_magnitude, quoted,
    real_array, underflow_is_zero,
)

# Gates a variant removes (Greff et al. 2017, section 3: the gate is fixed
# at 1), and the variants allowed together with the coupled gate.
_ABSENT_GATE = {"NIG": "i", "NFG": "f", "NOG": "o"}
GATE_VARIANTS = (None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR")
# f = 1 - i needs an input gate, and defines the forget gate itself.
_NOT_WITH_COUPLED = {"NIG": "it has no input gate i to couple f = 1 - i to",
                     "NFG": "f = 1 - i is itself a forget gate"}


def check_cell(gate_variant=None, coupled=False, coupled_name="coupled"):
    """Check that a gate variant exists and combines with the coupled gate.

    Parameters
    ----------
    gate_variant : {None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"}
    coupled : bool
    coupled_name : str, default="coupled"
        The caller's name for ``coupled``, for the message: the core's
        argument, or the estimators' ``coupled_gates``.

    Raises
    ------
    ValueError
        For an unknown variant, or NIG or NFG with the coupled gate.
    """
    # A name or None: an array compares element-wise with `in` (a 1-element
    # one passed, and failed deep inside), pd.NA has no truth value.
    if not (gate_variant is None or isinstance(gate_variant, str)):
        raise TypeError(
            f"gate_variant must be one of {GATE_VARIANTS}, got {type(gate_variant).__name__} "
            f"{quoted(gate_variant)}."
        )
    if gate_variant not in GATE_VARIANTS:
        raise ValueError(f"gate_variant must be one of {GATE_VARIANTS}, got {gate_variant!r}.")
    if coupled and gate_variant in _NOT_WITH_COUPLED:
        raise ValueError(
            f"gate_variant={gate_variant!r} cannot be combined with {coupled_name}=True: "
            f"{_NOT_WITH_COUPLED[gate_variant]}."
        )


def recurrent_only_settings(gate_variant=None, coupled=False, coupled_name="coupled"):
    """The cell's settings that act only through the previous step's state.

    On a sequence's first step the previous state (``h``, ``c`` and FGR's
    gate activations) is zero: without a forget gate (NFG), with
    ``f = 1 - i`` (CIFG) or with gates that also read the previous gates
    (FGR) the cell computes there what the vanilla cell computes, as
    ``c = f * 0 + i * g`` whatever ``f`` is. (Peepholes act: the output
    gate reads the current cell state.)

    Parameters
    ----------
    gate_variant : {None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"}
    coupled : bool
    coupled_name : str, default="coupled"
        The caller's name for ``coupled``, for the list.

    Returns
    -------
    settings : list of str
        Such settings as ``name=value``; empty for the vanilla cell.
    """
    settings = [f"{coupled_name}=True"] if coupled else []
    if gate_variant in ("NFG", "FGR"):
        settings.append(f"gate_variant={gate_variant!r}")
    return settings


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
    # Checked before the cache, which would fail on an unhashable argument.
    coupled = check_flag(coupled, "coupled")
    check_cell(gate_variant, coupled)
    return _gate_blocks(coupled, gate_variant)


@lru_cache(maxsize=32)
def _gate_blocks(coupled, gate_variant):
    absent = {_ABSENT_GATE.get(gate_variant), "f" if coupled else None}
    return tuple(name for name in ("i", "f", "g", "o") if name not in absent)


def sigmoid_gates(coupled=False, gate_variant=None):
    """Names of the sigmoid gates a layer has, in order: the rows of ``p``.

    Also the row and column blocks of FGR's gate-recurrent weights ``Rg``.
    """
    return tuple(name for name in gate_blocks(coupled, gate_variant) if name != "g")


_LAYER_KEYS = ("W", "R", "b", "p", "Rg")


def _layer_arrays(layer, depth):
    """A layer dict's arrays as real ndarrays (not yet cast), keys checked."""
    if not isinstance(layer, Mapping):
        raise TypeError(
            f"layers[{depth}] must be a dict with 'W', 'R', 'b' (and 'p', 'Rg'), "
            f"got {type(layer).__name__}."
        )
    missing = [key for key in ("W", "R", "b") if layer.get(key) is None]
    unknown = sorted(str(key) for key in layer if key not in _LAYER_KEYS)
    if missing or unknown:
        raise ValueError(
            f"layers[{depth}] must have the keys 'W', 'R', 'b' (and optionally 'p', 'Rg'); "
            + (f"missing {missing}" if missing else f"unknown {unknown}") + "."
        )
    return {
        key: real_array(layer[key], f"layers[{depth}][{key!r}]")
        for key in _LAYER_KEYS
        if layer.get(key) is not None
    }


def _layer_shape(arrays, gate_variant, depth):
    """Return (n_in, H, coupled) of a layer's arrays, checked against the variant."""
    W, R, b = arrays["W"], arrays["R"], arrays["b"]
    name = f"layers[{depth}]"
    if R.ndim != 2 or R.shape[0] == 0:
        raise ValueError(f"{name}: R must have shape (H, n_blocks * H), got {R.shape}.")
    H = R.shape[0]
    shapes = {}
    for coupled in (False, True):
        if not (coupled and gate_variant in _NOT_WITH_COUPLED):
            shapes[len(gate_blocks(coupled, gate_variant)) * H] = coupled
    if R.shape[1] not in shapes:
        expected = " or ".join(f"({H}, {n})" for n in shapes)
        # PyTorch's weight_hh is (4H, H): its rows would be taken for H.
        transposed = (f" It looks transposed, as PyTorch's weight_hh_l{depth} is (4H, H): "
                      "pass its transpose." if R.shape[0] == 4 * R.shape[1] else "")
        raise ValueError(
            f"{name}: R must have shape {expected} for gate_variant={gate_variant!r}, "
            f"got {R.shape}.{transposed}"
        )
    coupled = shapes[R.shape[1]]
    nbH = R.shape[1]
    if W.ndim != 2 or W.shape[0] == 0 or W.shape[1] != nbH:
        transposed = (f" It looks transposed, as PyTorch's weight_ih_l{depth} is "
                      "(4H, n_in): pass its transpose." if W.ndim == 2 and W.shape[0] == nbH
                      else "")
        raise ValueError(f"{name}: W must have shape (n_in, {nbH}), got {W.shape}.{transposed}")
    if b.shape != (nbH,):
        raise ValueError(f"{name}: b must have shape ({nbH},), got {b.shape}.")
    n_sig = nbH // H - 1
    p = arrays.get("p")
    if p is not None and p.shape != (n_sig, H):
        raise ValueError(f"{name}: p must have shape ({n_sig}, {H}), got {p.shape}.")
    Rg = arrays.get("Rg")
    if (Rg is not None) != (gate_variant == "FGR"):
        raise ValueError(
            f"{name}: Rg (gate recurrence) is given exactly when gate_variant='FGR'."
        )
    if Rg is not None and Rg.shape != (n_sig * H, n_sig * H):
        raise ValueError(
            f"{name}: Rg must have shape ({n_sig * H}, {n_sig * H}), got {Rg.shape}."
        )
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

    def __init__(self, layer, dtype, gate_variant=None, depth=0, *, trusted=False):
        if isinstance(layer, _Layer):
            if layer.gate_variant != gate_variant:
                raise ValueError(
                    f"layers[{depth}] is a kernel layer of gate_variant="
                    f"{layer.gate_variant!r}, which cannot run as gate_variant={gate_variant!r}: "
                    f"pass gate_variant={layer.gate_variant!r}, or make kernels of "
                    f"{gate_variant!r} from the layer dicts with kernel_layers(dicts, dtype, "
                    f"gate_variant={gate_variant!r})."
                )
            arrays = layer.params  # checked when that layer was made
        elif trusted:
            arrays = layer  # see kernels_of_finite_views
        else:
            # Copies: a caller updating its weights in place must not
            # reach a kernel (or a pass's cache) made from them.
            arrays = {key: np.array(values) for key, values in _layer_arrays(layer, depth).items()}
        self.params = arrays  # the public arrays, to re-pack in another dtype
        n_in, H, coupled = _layer_shape(arrays, gate_variant, depth)
        blocks = gate_blocks(coupled, gate_variant)
        self.n_in, self.H, self.n_blocks = n_in, H, len(blocks)
        self.n_sig = self.n_blocks - 1
        self.coupled, self.gate_variant = coupled, gate_variant
        self.has_i, self.has_f, self.has_o = ("i" in blocks), ("f" in blocks), ("o" in blocks)
        self.n_pre = self.has_i + self.has_f
        self.full_cell = self.n_pre == 2  # its own i and f gates
        self.niaf, self.noaf, self.fgr = (gate_variant == v for v in ("NIAF", "NOAF", "FGR"))
        self.peephole = "p" in arrays
        self.n_rec = H + (self.n_sig * H if self.fgr else 0)
        self.perm, self.inv = _block_permutation(blocks, H)
        # Cast to the pass's dtype, and checked there: NaN weights would run
        # to NaN outputs and gradients silently. Trusted arrays are finite,
        # but a cast to float32 may still overflow.
        arrays = {
            key: values if trusted and values.dtype == dtype else cast_finite(
                values, dtype, f"layers[{depth}][{key!r}]",
                ("row", "column") if values.ndim == 2 else ("entry",))
            for key, values in arrays.items()
        }
        W = arrays["W"][:, self.perm]
        R = arrays["R"][:, self.perm]
        b = arrays["b"][self.perm]
        parts = [W, b[None], R]
        if self.fgr:
            Rg = np.zeros((self.n_sig * H, self.n_blocks * H), dtype=dtype)
            Rg[:, H:] = arrays["Rg"]  # public = internal gate order
            parts.append(Rg)
        # Both copies C-ordered: fancy indexing may return Fortran order.
        self.WbR = np.ascontiguousarray(np.concatenate(parts))
        self.WbR_half_T = self.WbR.T.copy(order="C")
        self.WbR_half_T[H:] *= 0.5  # every block after g is a sigmoid gate
        if self.peephole:
            self.p = arrays["p"]  # a copy (the cast's or of the copies above), or trusted
            self.p_half = 0.5 * self.p
        self._magnitudes = self._largest = None

    def column_magnitudes(self):
        """Per gate column of ``WbR``, the sum and the largest of the
        magnitudes of each of its row blocks, in float64, made once.

        Returns
        -------
        magnitudes : dict
            ``"W"``, ``"b"``, ``"R"`` and ``"Rg"`` (zeros without FGR):
            pairs (sum, largest) of the block's ``|entries|``, each of shape
            (nb*H,).
        """
        if self._magnitudes is None:
            magnitude = np.abs(self.WbR.astype(np.float64))
            start = self.n_in + 1 + self.H  # of Rg
            blocks = {"W": magnitude[: self.n_in], "b": magnitude[self.n_in : self.n_in + 1],
                      "R": magnitude[self.n_in + 1 : start], "Rg": magnitude[start:]}
            with np.errstate(over="ignore"):  # an infinite sum is refused as such
                self._magnitudes = {name: (block.sum(axis=0), block.max(axis=0, initial=0.0))
                                    for name, block in blocks.items()}
        return self._magnitudes

    def largest_magnitude(self):
        """The largest ``|entry|`` of ``WbR``, as a float, made once: two
        reductions, where :meth:`column_magnitudes` takes a copy and eight."""
        if self._largest is None:
            self._largest = largest_magnitude(self.WbR)
        return self._largest


def kernels_of_finite_views(layers, dtype, gate_variant=None):
    """:func:`kernel_layers` of a parameter vector's views, trusted.

    For the loss and gradient of a packed vector, called at every solver
    step. The caller vouches that the layer dicts are views of a finite
    vector, shaped by its :class:`~sklstm._params.ParamLayout`, and left
    unchanged while the kernels live (one forward and backward pass). So
    they are neither copied nor checked for NaN again, which took half of
    making the kernels and a sixth of a small mini-batch's step.
    """
    return [
        _Layer(layer, dtype, gate_variant, depth, trusted=True)
        for depth, layer in enumerate(layers)
    ]


def _is_kernel_of(lay, dtype, gate_variant):
    """Whether ``lay`` is a kernel layer of ``dtype`` and ``gate_variant``."""
    return isinstance(lay, _Layer) and lay.WbR.dtype == dtype and lay.gate_variant == gate_variant


@underflow_is_zero
def kernel_layers(layers, dtype, gate_variant=None):
    """Kernel-ready copies of the layers' parameters, for repeated calls.

    Parameters
    ----------
    layers : list of dict
        As for :func:`~sklstm._lstm.lstm_forward`: each dict holds ``W``,
        ``R``, ``b`` and optionally ``p`` and ``Rg``, array-likes of real
        numbers, and no other key.
    dtype : {numpy.float32, numpy.float64}
    gate_variant : {None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"}, default=None

    Returns
    -------
    kernels : list
        Opaque; may be passed as ``layers`` to
        :func:`~sklstm._lstm.lstm_forward` and :func:`~sklstm._lstm.lstm_predict`
        with inputs of this dtype and the same ``gate_variant``, which then
        skip re-packing the weights.

    Raises
    ------
    TypeError
        If ``layers`` is not a list (a single dict, say), a layer is not a
        dict, an array holds complex numbers, strings or objects, or
        ``dtype`` is not float32 or float64.
    ValueError
        If a key is missing or unknown, or an array has the wrong shape;
        the message names the layer and key, e.g. ``layers[1]: R``.
    """
    if (isinstance(dtype, np.dtype) and (gate_variant is None or type(gate_variant) is str)
            and isinstance(layers, list) and layers
            and all(_is_kernel_of(lay, dtype, gate_variant) for lay in layers)):
        # Kernels already, of this dtype and variant (both checked when they
        # were made): every pass of a fit or predict comes here, and the
        # checks below took a tenth of a small batch's forward pass.
        return list(layers)
    check_sequence_of(layers, "layers", "one dict of weights per layer (and direction)")
    if not layers:
        raise ValueError("layers must hold at least one layer.")
    check_cell(gate_variant)
    dtype = check_float_dtype(dtype)
    return [
        lay if _is_kernel_of(lay, dtype, gate_variant)
        else _Layer(lay, dtype, gate_variant, depth)
        for depth, lay in enumerate(layers)
    ]
