"""Parameter initialisation, and packing into one flat vector.

The solvers of ``scipy.optimize`` and the stochastic optimizers all work on
one 1-D parameter vector ``theta``. :class:`ParamLayout` records where every
array lives inside it (an offset table), so that unpacking gives *views*:
writing into an unpacked array writes into ``theta``.
"""

import numbers

import numpy as np

from ._checks import (
    NOT_QUANTITIES, byte_size, cast_finite, check_flag, check_float_dtype, check_indexable,
    check_positive_int, check_rng, check_sequence_of, memory_refused, quoted,
    underflow_is_zero,
)
from ._lstm import (
    GATE_VARIANTS, check_cell, gate_blocks, recurrent_only_settings, sigmoid_gates,
)

# GATE_VARIANTS, check_cell and recurrent_only_settings are the core's,
# offered here to the estimators.
__all__ = [
    "ParamLayout", "init_lstm_layers", "init_output_layer", "layer_shapes", "GATE_VARIANTS",
    "check_cell", "recurrent_only_settings",
]


class ParamLayout:
    """Offsets of the LSTM layers and the output layer in a flat vector.

    Parameters
    ----------
    n_features : int
        Channels of the input sequences.
    hidden_sizes : sequence of int
        Units H_l of each stacked LSTM layer.
    n_outputs : int
        Width of the output (dense) layer.
    peephole : bool
        Whether each layer has peephole weights ``p``.
    coupled : bool
        Whether each layer uses the coupled input-forget gate.
    gate_variant : {None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"}
        Greff et al.'s variant; FGR layers also hold ``Rg``.
    bidirectional : bool
        Whether each layer has a forward and a backward direction: two
        layer dicts per layer, forward first, as in :func:`layer_shapes`.

    Attributes
    ----------
    size : int
        Length of the flat vector.
    n_top : int
        Width of the top layer's output, read by the output layer: H_last,
        or 2 H_last when bidirectional.
    n_features, hidden_sizes, n_outputs, peephole, coupled, gate_variant, bidirectional
        The parameters, as given (``hidden_sizes`` as a tuple).
    """

    def __init__(
        self, n_features, hidden_sizes, n_outputs, *, peephole=False, coupled=False,
        gate_variant=None, bidirectional=False,
    ):
        self.n_features, self.hidden_sizes = n_features, tuple(hidden_sizes)
        self.n_outputs, self.peephole, self.coupled = n_outputs, bool(peephole), bool(coupled)
        self.gate_variant, self.bidirectional = gate_variant, bool(bidirectional)
        self.entries = []  # (layer dict index or None for the head, name, shape, offset)
        offset = 0
        shapes_per_dict = layer_shapes(
            n_features, hidden_sizes, peephole=peephole, coupled=coupled,
            gate_variant=gate_variant, bidirectional=bidirectional,
        )
        for depth, shapes in enumerate(shapes_per_dict):
            for name, shape in shapes.items():
                self.entries.append((depth, name, shape, offset))
                offset += int(np.prod(shape))
        self.n_top = n_in = (2 if bidirectional else 1) * hidden_sizes[-1]
        for name, shape in (("coef", (n_in, n_outputs)), ("intercept", (n_outputs,))):
            self.entries.append((None, name, shape, offset))
            offset += int(np.prod(shape))
        self.n_layers = len(shapes_per_dict)
        self.size = offset
        self._ends = [o + int(np.prod(shape)) for _, _, shape, o in self.entries]

    @property
    def layer_sizes(self):
        """``(n_in, H)`` of each layer dict, as :func:`layer_shapes` orders them."""
        shapes = {(depth, name): shape for depth, name, shape, _ in self.entries}
        return [(shapes[d, "W"][0], shapes[d, "R"][0]) for d in range(self.n_layers)]

    @classmethod
    def from_layers(cls, layers, n_outputs, *, gate_variant=None, bidirectional=False):
        """The layout of given layer dicts, read from their shapes.

        Variants share shapes (NFG's blocks and the coupled gate's, say), so
        ``gate_variant`` and ``bidirectional`` are given; the sizes, the
        peepholes and the coupled gate are read.
        """
        first = layers[0]
        n_units = first["R"].shape[0]
        full_blocks = len(gate_blocks(False, gate_variant))
        return cls(
            first["W"].shape[0], [layer["R"].shape[0] for layer in layers[:: 1 + bidirectional]],
            n_outputs, peephole="p" in first,
            coupled=first["R"].shape[1] == (full_blocks - 1) * n_units,
            gate_variant=gate_variant, bidirectional=bidirectional,
        )

    def unpack(self, theta):
        """Views of ``theta`` as ``(layers, coef, intercept)``.

        Parameters
        ----------
        theta : ndarray of shape (size,)

        Returns
        -------
        layers : list of dict
            One dict per LSTM layer with ``W``, ``R``, ``b`` (and ``p``).
        coef : ndarray of shape (H_last, n_outputs)
        intercept : ndarray of shape (n_outputs,)
        """
        if theta.shape != (self.size,):
            raise ValueError(f"theta must have shape ({self.size},), got {theta.shape}.")
        layers = [{} for _ in range(self.n_layers)]
        head = {}
        # Every solver step unpacks several times: use the precomputed ends
        # rather than np.prod, which costs more than the slicing itself.
        for (depth, name, shape, offset), end in zip(self.entries, self._ends, strict=True):
            view = theta[offset:end].reshape(shape)
            (head if depth is None else layers[depth])[name] = view
        return layers, head["coef"], head["intercept"]

    def pack(self, layers, coef, intercept, dtype=np.float64):
        """Copy parameter arrays into a new flat vector.

        Parameters
        ----------
        layers : list of dict
            Arrays shaped as in :meth:`unpack`.
        coef : ndarray of shape (H_last, n_outputs)
        intercept : ndarray of shape (n_outputs,)
        dtype : dtype, default=np.float64

        Returns
        -------
        theta : ndarray of shape (size,)
        """
        theta = np.empty(self.size, dtype=dtype)
        t_layers, t_coef, t_intercept = self.unpack(theta)
        if len(layers) != self.n_layers:
            raise ValueError(f"Expected {self.n_layers} layers, got {len(layers)}.")
        for depth, (dst, src) in enumerate(zip(t_layers, layers)):
            if set(src) != set(dst):
                raise ValueError(
                    f"Layer {depth} must have the arrays {sorted(dst)}, got {sorted(src)}."
                )
            for name in dst:
                _copy_checked(dst[name], src[name], f"coefs_[{depth}][{name!r}]")
        _copy_checked(t_coef, coef, "out_coef_")
        _copy_checked(t_intercept, intercept, "out_intercept_")
        return theta


def layer_shapes(
    n_features, hidden_sizes, *, peephole=False, coupled=False, gate_variant=None,
    bidirectional=False,
):
    """Array shapes of each layer dict of a stack, in the order of ``coefs_``.

    With ``nb`` gate blocks (:func:`~sklstm._lstm.gate_blocks`) and
    ``n_sig = nb - 1`` sigmoid gates, a layer with ``n_in`` inputs and
    ``H`` units has ``W`` (n_in, nb*H), ``R`` (H, nb*H), ``b`` (nb*H,),
    with peepholes ``p`` (n_sig, H) and with FGR ``Rg`` (n_sig*H, n_sig*H).
    Bidirectional stacks list two dicts per layer, forward then backward in
    time (PyTorch's ``*_l{k}`` and ``*_l{k}_reverse``); layer ``k > 0``
    reads ``2 H_{k-1}`` inputs, the forward direction's units first.

    Parameters
    ----------
    n_features : int >= 1
    hidden_sizes : list or tuple of int >= 1
        Units of each layer, bottom first; at least one layer.
    peephole, coupled : bool, default=False
    gate_variant : {None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"}, default=None
    bidirectional : bool, default=False

    Returns
    -------
    shapes : list of dict
        One dict of name -> shape per layer dict.

    Raises
    ------
    TypeError
        If ``n_features`` or a hidden size is not an int (2.0 is not),
        ``hidden_sizes`` is not a list or tuple (a bare int is not), or the
        gate variant is not a str or None.
    ValueError
        If ``n_features`` or a hidden size is below 1, ``hidden_sizes`` is
        empty, or the gate variant is unknown or cannot be coupled.
    """
    n_features, hidden_sizes = _check_sizes(n_features, hidden_sizes)
    peephole, coupled = check_flag(peephole, "peephole"), check_flag(coupled, "coupled")
    bidirectional = check_flag(bidirectional, "bidirectional")
    n_blocks = len(gate_blocks(coupled, gate_variant))
    n_sig = len(sigmoid_gates(coupled, gate_variant))
    n_dir = 2 if bidirectional else 1
    out, n_in = [], n_features
    for H in hidden_sizes:
        shapes = {"W": (n_in, n_blocks * H), "R": (H, n_blocks * H), "b": (n_blocks * H,)}
        if peephole:
            shapes["p"] = (n_sig, H)
        if gate_variant == "FGR":
            shapes["Rg"] = (n_sig * H, n_sig * H)
        for name, shape in shapes.items():
            check_indexable(shape, f"layers[{len(out)}][{name!r}]")
        out.extend(dict(shapes) for _ in range(n_dir))
        n_in = n_dir * H
    return out


def _check_sizes(n_features, hidden_sizes):
    """``n_features`` as an int and ``hidden_sizes`` as a tuple of ints, each >= 1."""
    n_features = check_positive_int(n_features, "n_features")
    check_sequence_of(hidden_sizes, "hidden_sizes", "the units of each layer, e.g. (32,)")
    if not len(hidden_sizes):
        raise ValueError("hidden_sizes must hold at least one layer, got none.")
    return n_features, tuple(
        check_positive_int(H, f"hidden_sizes[{k}]") for k, H in enumerate(hidden_sizes)
    )


_AXES = {1: ("index",), 2: ("row", "column")}  # of the parameter arrays, for errors


def _copy_checked(dst, src, what):
    src = np.asarray(src)
    if src.shape != dst.shape:
        raise ValueError(f"{what} must have shape {dst.shape}, got {src.shape}.")
    if src.dtype != dst.dtype:
        # A float64 weight set by hand on a float32 model: 1e39 would become
        # inf here, and the error would come later without its name.
        src = cast_finite(src, dst.dtype, what, _AXES[src.ndim])
    dst[...] = src


def _orthogonal(rng, n, dtype):
    """A random (n, n) orthogonal matrix, uniformly distributed (QR of a Gaussian)."""
    q, r = np.linalg.qr(rng.standard_normal((n, n)))
    return (q * np.sign(np.diag(r))).astype(dtype)


@underflow_is_zero
def init_lstm_layers(
    n_features, hidden_sizes, rng, *, peephole=False, coupled=False, forget_bias=1.0,
    dtype=np.float64, gate_variant=None, bidirectional=False,
):
    """Initial weights of a stack of LSTM layers.

    Input weights are Glorot-uniform per gate block, recurrent weights are
    orthogonal per gate block, biases are zero except the forget gate's,
    set to ``forget_bias`` (Jozefowicz et al., 2015). With the coupled gate,
    ``f = 1 - i``, so the input gate's bias is set to ``-forget_bias``,
    which gives the same initial ``f``; without a forget gate (NFG) there
    is no such bias. Peephole and FGR's gate-recurrent weights start at
    zero, so FGR starts as the plain LSTM.

    Parameters
    ----------
    n_features : int >= 1
    hidden_sizes : list or tuple of int >= 1
    rng : numpy.random.Generator or numpy.random.RandomState
        Used as given; an int seed or None is refused (TypeError).
    peephole, coupled : bool, default=False
    forget_bias : float, default=1.0
    dtype : {numpy.float32, numpy.float64}, default=np.float64
        Other dtypes are refused (TypeError): an integer dtype would round
        every weight to zero.
    gate_variant : {None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"}, default=None
    bidirectional : bool, default=False

    Returns
    -------
    layers : list of dict
        Shaped as :func:`layer_shapes` gives: ``W`` (n_in, nb*H), ``R``
        (H, nb*H), ``b`` (nb*H,), with peepholes ``p`` (nb-1, H), with FGR
        ``Rg``; two dicts per layer when bidirectional.

    Raises
    ------
    TypeError, ValueError
        As :func:`layer_shapes`, and for the ``rng`` and ``dtype`` above.
    """
    rng = check_rng(rng)
    dtype = check_float_dtype(dtype)
    if isinstance(forget_bias, NOT_QUANTITIES) or not isinstance(forget_bias, numbers.Real):
        raise TypeError(f"forget_bias must be a real number, got {forget_bias!r}.")
    try:
        with np.errstate(over="ignore"):  # a bias beyond float32 is reported here
            finite = np.isfinite(np.asarray(forget_bias, dtype=dtype))
    except OverflowError:  # a Python int beyond float64 (10**400)
        finite = False
    if not finite:
        raise ValueError(f"forget_bias must be a finite {np.dtype(dtype)}, "
                         f"got {quoted(forget_bias)}.")
    blocks = gate_blocks(coupled, gate_variant)
    shapes = layer_shapes(
        n_features, hidden_sizes, peephole=peephole, coupled=coupled,
        gate_variant=gate_variant, bidirectional=bidirectional,
    )
    all_shapes = [shape for layer in shapes for shape in layer.values()]
    with memory_refused(
        f"The weights of n_features={n_features} and hidden_sizes={list(hidden_sizes)} "
        f"({byte_size(all_shapes, np.dtype(dtype).itemsize)})"
    ):
        return _initial_layers(shapes, blocks, coupled, forget_bias, rng, dtype)


def _initial_layers(shapes, blocks, coupled, forget_bias, rng, dtype):
    """:func:`init_lstm_layers`' arrays, of checked ``shapes`` and arguments."""
    # Every array is made before any is drawn, so that sizes beyond memory are
    # refused at once rather than after seconds of drawing the first layers
    # (untouched zeros cost no memory until they are written).
    layers = [{name: np.zeros(shape[name], dtype=dtype) for name in shape} for shape in shapes]
    for layer in layers:
        (n_in, n_blocks_H), H = layer["W"].shape, layer["R"].shape[0]
        limit = np.sqrt(6.0 / (n_in + H))
        layer["W"][...] = rng.uniform(-limit, limit, size=(n_in, n_blocks_H))
        for k in range(len(blocks)):
            layer["R"][:, k * H : (k + 1) * H] = _orthogonal(rng, H, dtype)
        if coupled:
            layer["b"][blocks.index("i") * H : (blocks.index("i") + 1) * H] = -forget_bias
        elif "f" in blocks:
            layer["b"][blocks.index("f") * H : (blocks.index("f") + 1) * H] = forget_bias
    return layers


@underflow_is_zero
def init_output_layer(n_in, n_outputs, rng, dtype=np.float64):
    """Glorot-uniform weights and zero intercept of the dense output layer.

    Parameters
    ----------
    n_in, n_outputs : int >= 1
    rng : numpy.random.Generator or numpy.random.RandomState
    dtype : {numpy.float32, numpy.float64}, default=np.float64

    Returns
    -------
    coef : ndarray of shape (n_in, n_outputs)
    intercept : ndarray of shape (n_outputs,)

    Raises
    ------
    TypeError, ValueError
        As :func:`init_lstm_layers` does for sizes, ``rng`` and ``dtype``.
    """
    n_in = check_positive_int(n_in, "n_in")
    n_outputs = check_positive_int(n_outputs, "n_outputs")
    rng, dtype = check_rng(rng), check_float_dtype(dtype)
    check_indexable((n_in, n_outputs), "The output layer's coef")
    limit = np.sqrt(6.0 / (n_in + n_outputs))
    size = byte_size([(n_in, n_outputs)], np.dtype(dtype).itemsize)
    with memory_refused(f"The output layer's weights ({n_in} x {n_outputs}, {size})"):
        coef = rng.uniform(-limit, limit, size=(n_in, n_outputs)).astype(dtype)
        return coef, np.zeros(n_outputs, dtype=dtype)
