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

Modules
-------
The core is split by concern; this module holds the stack-level passes
(``lstm_forward``, ``lstm_backward``, ``lstm_predict``), input checks,
bidirectional time reversal and dropout masks, and re-exports the public
names below.

- :mod:`sklstm._cell`: gate variants, gate blocks, the kernel's gate order
  and the kernel-ready layer parameters (``kernel_layers``);
- :mod:`sklstm._kernel`: one layer's forward and backward passes over all
  steps, and the step function ``_layer_step`` they and ``lstm_predict`` share;
- :mod:`sklstm._blas`: the in-place BLAS products and their thread limits;
- :mod:`sklstm._checks`: the argument checks every public core function
  shares (dtypes, random generators, sizes, rates, real and finite arrays).

Bad input is refused once per call, before the time loop: a TypeError or
ValueError naming the argument and, where it applies, the layer and key
(``layers[1]: R``), the state (``h0[1]``) or the sample, step and feature.
``X``, ``h0``, ``c0`` and dropout masks must be finite (padding too);
gradients given to ``lstm_backward`` may be non-finite, since a training
loop reads non-finite gradients as divergence.

Implementation notes
--------------------
- Variable-length sequences are sorted by decreasing length so that the
  active samples at step t are a prefix ``[..., :n_t]`` of the batch; padded
  steps carry the state unchanged, output zeros and get exactly zero
  gradient.
- ``lstm_predict`` runs a chunk of steps through every layer before the
  next chunk, so each layer keeps only a chunk of states. Chunks of one
  step (interleaving the layers step by step) and of 4 to 64 steps ran
  equally fast within the measurement noise (±5%), on S, M and L shapes.
"""

import numbers

import numpy as np

from ._blas import _blas_threads_for, releases_thread_limit
from ._checks import (
    as_rectangular,
    cast_finite,
    cast_gradient,
    check_finite,
    check_flag,
    check_float_dtype,
    check_indexable,
    check_positive_int,
    check_rate,
    check_rng,
    check_sequence_of,
    is_pair,
    largest_magnitude,
    memory_refused,
    names_its_arrays,
    real_array,
    underflow_is_zero,
)
from ._cell import (
    GATE_VARIANTS,
    check_cell,
    gate_blocks,
    inverse_permutation,
    kernel_layers,
    kernels_of_finite_views,
    recurrent_only_settings,
    sigmoid_gates,
)
from ._kernel import (
    _active_counts,
    _empty_arrays,
    _layer_backward,
    _layer_forward,
    _layer_output,
    _layer_step,
    _peephole_overflow_ignored,
    _stack_arrays,
    _StepBuffers,
)

__all__ = [
    "lstm_forward", "lstm_backward", "lstm_predict", "final_states", "kernel_layers", "gate_blocks",
    "kernels_of_finite_views", "sigmoid_gates", "check_cell", "draw_dropout_masks",
    "inverse_permutation", "GATE_VARIANTS", "GateInputOverflow", "largest_safe_input",
    "recurrent_only_settings", "training_bytes_per_sample",
]

# Bytes of the layer states a chunk of lstm_predict keeps (over all layers).
_PREDICT_CHUNK_BYTES = 2**20


def _check_lengths(lengths, n_samples, n_steps):
    if isinstance(lengths, (list, tuple)) and any(
            isinstance(n, (bool, np.bool_)) for n in lengths):
        # NumPy reads [True, 5] as the ints [1, 5], as it reads no bool array.
        raise TypeError(f"lengths must be an integer array of shape ({n_samples},), got "
                        f"{lengths!r}, which holds a bool.")
    lengths = as_rectangular(lengths, "lengths")
    if lengths.dtype == object and lengths.size and all(
            isinstance(n, numbers.Integral) and not isinstance(n, (bool, np.bool_))
            for n in lengths.ravel()):
        # Python ints in an object array (pandas' object columns): read as
        # ints, clipped just outside [1, n_steps] first (int64 cannot hold
        # 2**70), so that the range check below refuses those beyond it.
        lengths = np.clip(lengths, 0, n_steps + 1).astype(np.int64)
    # A float dtype is the wrong kind of value (TypeError), a wrong shape the
    # wrong value (ValueError), as for every other core argument. (NumPy
    # counts timedelta64 as an integer type; its kind is "m".)
    if lengths.dtype.kind not in "iu":
        missing = _first_missing(lengths) if lengths.dtype.kind in "fO" else None
        raise TypeError(
            f"lengths must be an integer array of shape ({n_samples},), got dtype {lengths.dtype}"
            + ("." if missing is None else f", with a missing value at index {missing}.")
        )
    if lengths.shape != (n_samples,):
        raise ValueError(
            f"lengths must be an integer array of shape ({n_samples},), got shape {lengths.shape}."
        )
    if lengths.size and (lengths.min() < 1 or lengths.max() > n_steps):
        raise ValueError(f"lengths must lie in [1, {n_steps}].")
    return lengths.astype(np.intp)


def _first_missing(values):
    """Index of the first NaN or None of a float or object array (a nullable
    integer array with pd.NA arrives as float NaN), or None if none is."""
    for index, value in enumerate(values.ravel()):
        if isinstance(value, (np.ndarray, list, tuple)):  # refused as the dtype
            continue
        try:
            if value is None or value != value:
                return index
        except TypeError:  # pd.NA: its != is neither True nor False
            return index
    return None


def _check_stack(kernels, n_features, n_dir):
    """Check that the layers chain: layer l reads ``n_dir`` times layer l-1's units."""
    if len(kernels) % n_dir:
        raise ValueError(
            f"A bidirectional stack needs an even number of layer dicts, got {len(kernels)}."
        )
    n_in = n_features
    for depth, lay in enumerate(kernels):
        if lay.n_in != n_in:
            # The backward direction reads what its forward twin reads.
            twin = (f" (with bidirectional=True, layers[{depth}] is the backward direction "
                    f"of layers[{depth - 1}] and reads its inputs: give two layer dicts per "
                    "layer, forward first)" if depth % n_dir else "")
            raise ValueError(f"layers[{depth}] expects {lay.n_in} inputs, got {n_in}{twin}.")
        if depth % n_dir == n_dir - 1:
            if lay.H != kernels[depth - n_dir + 1].H:
                raise ValueError(
                    f"layers[{depth - 1}] and layers[{depth}] (two directions) differ in H."
                )
            n_in = n_dir * lay.H


class GateInputOverflow(ValueError):
    """Some layer's gate inputs may overflow the dtype of X.

    A ValueError for callers of the core; the training pass reads it as
    divergence (weights grown far beyond any data's scale).

    The message names the layers as ``layers[i]`` and the first layer's
    input as ``X``; :meth:`renamed` names them as a caller whose stack is
    part of a larger model does.

    Parameters
    ----------
    template : str
        The message, with ``{layer[i]}`` for the i-th layer of the stack
        and ``{input}`` for "<the input of the layer at fault> holds"; or,
        without ``fields``, the message as it is.
    fields : dict, default=None
        ``"layer"``: the indices the template names; ``"input"``: ``None``
        for X, else the indices of the layer (or two directions) below.
    """

    def __init__(self, template, fields=None):
        if fields is None:  # a message naming nothing to rename
            template = template.replace("{", "{{").replace("}", "}}")
            fields = {"layer": [], "input": None}
        super().__init__(template, fields)
        self.template, self.fields = template, fields

    def __str__(self):
        return self._message(lambda index: f"layers[{index}]", "X")

    def __repr__(self):
        return f"{type(self).__name__}({str(self)!r})"

    def renamed(self, layer_name, input_name):
        """The same error, with the message alone naming layers and input
        anew: ``layer_name(i)`` for ``layers[i]``, ``input_name`` for X."""
        return GateInputOverflow(self._message(layer_name, input_name))

    def _message(self, layer_name, input_name):
        layers = {index: layer_name(index) for index in self.fields["layer"]}
        below = self.fields["input"]
        source = f"{input_name} holds" if below is None else (
            f"the output of {layers[below[0]]} holds" if len(below) == 1
            else f"the outputs of {layers[below[0]]} and {layers[below[1]]} hold")
        return self.template.format(layer=layers, input=source)


# Margin below the dtype's largest value for the bound of the gate inputs.
_GATE_INPUT_HEADROOM = 2.0**10


def _overflowing_column(lay, largest_x, largest_h, limit):
    """The first gate column of ``lay`` whose sum ``Σ_r z_r M_rj`` over
    ``z = [x; 1; h (; s)]``, with ``|x| <= largest_x``, ``|h| <= largest_h``
    and gates ``|s| <= 1``, may overflow inside BLAS, or None.

    Only two or more large terms can: one term alone (a bias of 1e308, say)
    is at most the dtype's largest value, and however the others, together
    below ``limit``, are added to it, a partial sum that overflows has the
    sign and saturates the gate as the exact sum would.
    """
    # The common case, at the cost of two reductions: no column comes near,
    # even if its every entry were the largest.
    rows = lay.n_in * largest_x + 1 + lay.H * largest_h + (lay.n_rec - lay.H)
    if lay.largest_magnitude() * rows <= limit:
        return None
    total, largest = _column_bounds(lay, largest_x, largest_h)
    with np.errstate(over="ignore", invalid="ignore"):
        rest = total - largest  # NaN (inf - inf) is refused too
        risky = ~(rest <= limit) | ~(largest <= np.finfo(lay.WbR.dtype).max)
    return int(np.argmax(risky)) if risky.any() else None


def _niaf_cell_bound(lay, largest_x, largest_h, c0, n_steps):
    """Under NIAF (``g`` the block input itself), the largest ``|c|`` over
    ``n_steps`` steps: ``|c0|`` plus ``n_steps`` times the largest block
    input, as ``|f| <= 1`` and ``|i| <= 1``; 0.0 for other cells, whose
    state :func:`_refuse_overflowing_gate_inputs` bounds itself."""
    if not lay.niaf:
        return 0.0
    block_input = _column_bounds(lay, largest_x, largest_h)[0][: lay.H]  # g's columns
    return largest_magnitude(c0) + n_steps * float(np.max(block_input))


def _column_bounds(lay, largest_x, largest_h):
    """Per gate column of ``lay``, the bound of ``Σ_r |z_r M_rj|`` over
    ``z = [x; 1; h (; s)]`` (``|x| <= largest_x``, ``|h| <= largest_h``,
    gates ``|s| <= 1``) and of its largest term: two arrays of shape (nb*H,),
    in float64, infinite where they overflow."""
    m = lay.column_magnitudes()
    scales = {"W": largest_x, "b": 1.0, "R": largest_h, "Rg": 1.0}
    with np.errstate(over="ignore", invalid="ignore"):
        total = sum(scale * m[block][0] for block, scale in scales.items())
        largest = np.maximum.reduce([scale * m[block][1] for block, scale in scales.items()])
    return total, largest


@underflow_is_zero
def largest_safe_input(layers, dtype, *, gate_variant=None, bidirectional=False):
    """The largest |x| that no layer's gate inputs may overflow ``dtype`` with,
    from zero initial states and without dropout.

    Inputs of ``dtype`` up to it are never refused for overflow (see
    :func:`_refuse_overflowing_gate_inputs`, whose test this applies), and any
    larger one is. An exported graph, which cannot raise, marks samples
    beyond it as :func:`lstm_forward` would refuse them.

    Parameters
    ----------
    layers : list of dict or kernels
        As for :func:`lstm_forward`.
    dtype : {numpy.float32, numpy.float64}
        The dtype the passes run in.
    gate_variant : str or None, default=None
        Any but "NIAF" and "NOAF", whose states' bounds grow with the number
        of steps.
    bidirectional : bool, default=False

    Returns
    -------
    largest : float
        A Python float that ``dtype`` holds exactly: its largest value when
        nothing overflows, -1.0
        when the weights alone may overflow whatever x (every input refused).
    """
    check_cell(gate_variant)
    if gate_variant in ("NIAF", "NOAF"):
        raise ValueError(f"largest_safe_input needs a bounded state: {gate_variant}'s grows "
                         "with the number of steps.")
    bidirectional = check_flag(bidirectional, "bidirectional")
    kernels = kernel_layers(layers, dtype, gate_variant)
    n_dir = 2 if bidirectional else 1
    # As lstm_forward checks them: a stack that does not chain has no bound.
    _check_stack(kernels, kernels[0].n_in if kernels else 0, n_dir)
    limit = float(np.finfo(dtype).max) / _GATE_INPUT_HEADROOM

    def safe(largest_x):
        return all(_overflowing_column(lay, largest_x, 1.0, limit) is None
                   for lay in kernels[:n_dir])

    top = np.finfo(dtype).max
    # Deeper layers read |h| <= 1, whatever x: tested once, not per bisection step.
    deeper_safe = all(_overflowing_column(lay, 1.0, 1.0, limit) is None
                      for lay in kernels[n_dir:])
    if not (deeper_safe and safe(0.0)):
        return -1.0
    if safe(float(top)):
        return float(top)
    # Bisection over the non-negative values of dtype, ordered as their bits.
    bits = np.dtype(f"i{np.dtype(dtype).itemsize}")
    low, high = 0, int(np.array(top, dtype).view(bits))  # safe(low), not safe(high)
    while high - low > 1:
        middle = (low + high) // 2
        if safe(float(np.array(middle, bits).view(dtype))):
            low = middle
        else:
            high = middle
    return float(np.array(low, bits).view(dtype))


def _overflow_limit_words(dtype, limit):
    """Words of a :class:`GateInputOverflow` message, formatted only when one
    is raised: formatting them on every pass took a tenth of a small batch's
    forward pass."""
    # The bound's limit, with its margin: the sums it bounds are below the
    # dtype's largest value, but not by the margin.
    bounded = (f"{dtype.name} (held to {limit:.3g}, its largest value "
               f"{np.finfo(dtype).max:.3g} less a margin of 2**10)")
    # A fitted estimator's dtype is the model's: X alone cannot change it.
    wider = (" or run in float64 (a fitted estimator: refit it on float64 X)"
             if dtype == np.float32 else "")
    return bounded, wider


def _refuse_overflowing_gate_inputs(X, kernels, n_dir, h0, c0, masks, real_largest=None):
    """Raise if some layer's gate inputs, sums of ``z_r M_rj`` over
    ``z = [x; 1; h_{t-1} (; s_{t-1})]`` and ``M = [W; b; R (; Rg)]``, may
    overflow X's dtype.

    The products are summed inside BLAS, which turns two overflowing terms
    that should cancel into an infinite gate input: a saturated gate, and a
    finite but wrong output and gradient (X of 3e38 in float32 against
    weights of 2 and -2), where NumPy's own product would give NaN. The bound
    of a gate column is the sum of ``|z_r| |M_rj|`` (but its largest term,
    see :func:`_overflowing_column`) with each ``|z_r|`` at its largest: the
    largest |x| (X's, or the layer below's |h|), 1 for the bias and the
    gates ``s``, and the largest |h|: at most 1 (``o tanh c``), or under
    NOAF (``h = o c``) the largest |c0| plus one per step, as ``c`` grows by
    at most ``|i g| <= 1`` a step; ``x`` and ``h`` times their dropout
    masks' largest values. Under NIAF (``g`` unsquashed) the cell state
    itself may overflow, as it adds up to one block input a step: it is
    bounded by the largest ``|c0|`` plus the number of steps times the
    block input's bound (:func:`_niaf_cell_bound`), held to the same limit.
    It is reached only by values near the dtype's range.

    Parameters
    ----------
    X : ndarray of shape (B, T, n_features), finite
    kernels : list of _Layer
        ``n_dir`` per layer (two when bidirectional).
    h0, c0 : list of (ndarray of shape (H, B) or None)
        The initial states, one per kernel.
    masks : list of (mask_x, mask_h), each ndarray or None
        The dropout masks, one pair per kernel.
    real_largest : callable, optional
        The largest |x| of the real steps, for sequences with padding:
        measured only where X's largest, padding included, may overflow.
    """
    dtype, T = X.dtype, X.shape[1]
    limit = float(np.finfo(dtype).max) / _GATE_INPUT_HEADROOM
    largest_x, below = largest_magnitude(X), []
    for first in range(0, len(kernels), n_dir):
        largest_h = 0.0
        for index in range(first, first + n_dir):
            lay = kernels[index]
            cell_bound = largest_magnitude(c0[index]) + T if lay.noaf else 1.0
            h_bound = max(largest_magnitude(h0[index]), cell_bound)
            mask_x, mask_h = (1.0 if mask is None else largest_magnitude(mask)
                              for mask in masks[index])
            j = _overflowing_column(lay, largest_x * mask_x, h_bound * mask_h, limit)
            c_bound = _niaf_cell_bound(lay, largest_x * mask_x, h_bound * mask_h, c0[index], T)
            risky = j is not None or not c_bound <= limit
            if risky and not below and real_largest is not None:
                largest_x, real_largest = real_largest(), None  # X's padding excluded
                j = _overflowing_column(lay, largest_x * mask_x, h_bound * mask_h, limit)
                c_bound = _niaf_cell_bound(lay, largest_x * mask_x, h_bound * mask_h,
                                           c0[index], T)
            if j is None and not c_bound <= limit:
                bounded, wider = _overflow_limit_words(dtype, limit)
                raise GateInputOverflow(
                    f"The cell state of {{layer[{index}]}} may overflow {bounded}: under "
                    f"NIAF it adds each step's block input unsquashed; {{input}} values up to "
                    f"{largest_x:.3g} in magnitude, and {T} steps of them may sum to "
                    f"{c_bound:.3g}. Scale X or the weights down, pass shorter sequences"
                    f"{wider}.",
                    {"layer": [index, *below], "input": below or None},
                )
            if j is not None:
                bounded, wider = _overflow_limit_words(dtype, limit)
                m = lay.column_magnitudes()
                masked = "" if mask_x == mask_h == 1.0 else (
                    f" (dropout masks scale them by up to {max(mask_x, mask_h):.3g})")
                raise GateInputOverflow(
                    f"The gate inputs of {{layer[{index}]}} may overflow {bounded}: "
                    f"{{input}} values up to "
                    f"{largest_x:.3g} in magnitude, and a gate column of "
                    f"{{layer[{index}]}}['W'] sums to {m['W'][0][j]:.3g} in magnitude; the "
                    f"recurrent state may reach {h_bound:.3g}, against a sum of "
                    f"{m['R'][0][j]:.3g} in the column of {{layer[{index}]}}['R']{masked}. "
                    "Summed inside BLAS, such products would saturate gates silently. "
                    f"Scale X or the weights down{wider}.",
                    {"layer": [index, *below], "input": below or None},
                )
            largest_h = max(largest_h, h_bound)
        largest_x = largest_h
        below = list(range(first, first + n_dir))


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


@underflow_is_zero
def draw_dropout_masks(rng, n_samples, layer_sizes, dropout, recurrent_dropout, dtype):
    """Variational dropout masks: one per sequence, layer and direction, for all steps.

    Inverted dropout (Gal & Ghahramani 2016): a unit is kept with
    probability ``1 - rate`` and then scaled by ``1 / (1 - rate)``, so that
    its expected value is unchanged and prediction needs no masks.

    Parameters
    ----------
    rng : numpy.random.Generator or numpy.random.RandomState
        Used as given; an int seed or None is refused, as everywhere in the
        core (the caller owns the random stream).
    n_samples : int >= 1
    layer_sizes : list of (int, int)
        ``(n_in, H)`` of each layer dict, in the order of ``layers``; each >= 1.
    dropout, recurrent_dropout : float in [0, 1)
        Rates of the layers' inputs and of the recurrent ``h_{t-1}``.
    dtype : {numpy.float32, numpy.float64}

    Returns
    -------
    masks : list of tuple
        ``(mask_x, mask_h)`` per layer dict: arrays of shape
        (n_samples, n_in) and (n_samples, H) with entries 0 or
        ``1 / (1 - rate)``, or None for a rate of 0.

    Raises
    ------
    TypeError
        For an rng that is not a Generator or RandomState, a non-integer
        size, a rate that is not a real number, or an integer (or other
        non-float) dtype, whose masks could not hold ``1 / (1 - rate)``.
    ValueError
        For a rate outside [0, 1) (a rate of 1 drops everything and would
        scale by infinity) or a size below 1.
    """
    rng = check_rng(rng)
    n_samples = check_positive_int(n_samples, "n_samples")
    rates = check_rate(dropout, "dropout"), check_rate(recurrent_dropout, "recurrent_dropout")
    dtype = check_float_dtype(dtype)
    check_sequence_of(layer_sizes, "layer_sizes", "one (n_in, H) pair per layer dict")
    sizes = []
    for depth, pair in enumerate(layer_sizes):
        if not is_pair(pair):
            raise ValueError(f"layer_sizes[{depth}] must be a pair (n_in, H), got {pair!r}.")
        sizes.append(tuple(
            check_positive_int(n, f"layer_sizes[{depth}][{k}]") for k, n in enumerate(pair)
        ))

    def draw(rate, width):
        if not rate:
            return None
        keep = rng.random((n_samples, width)) >= rate
        return keep.astype(dtype) / dtype.type(1.0 - rate)

    for depth, pair in enumerate(sizes):
        for rate, width, kind in zip(rates, pair, ("input", "recurrent")):
            if rate:
                check_indexable((n_samples, width), f"layer {depth}'s {kind} dropout mask")
    with memory_refused(f"Dropout masks for {n_samples} samples"):
        return [tuple(draw(rate, width) for rate, width in zip(rates, pair)) for pair in sizes]


def _feature_major_masks(dropout_masks, kernels, order, B):
    """Masks per layer as (n_in, B) and (H, B) arrays in sorted sample order.

    Raises a TypeError or ValueError naming the layer and mask unless each
    layer dict has a pair of masks, each None or a real, finite array of
    shape (B, n_in) or (B, H).
    """
    if dropout_masks is None:
        return [(None, None)] * len(kernels)
    check_sequence_of(dropout_masks, "dropout_masks", "one (mask_x, mask_h) pair per layer dict")
    if len(dropout_masks) != len(kernels):
        raise ValueError(f"dropout_masks must hold one pair per layer dict ({len(kernels)}).")
    out = []
    for depth, (lay, pair) in enumerate(zip(kernels, dropout_masks)):
        if not is_pair(pair):
            raise ValueError(
                f"dropout_masks[{depth}] must be a pair (mask_x, mask_h) of arrays or None."
            )
        converted = []
        for m, width, name in zip(pair, (lay.n_in, lay.H), ("input", "recurrent")):
            if m is not None:
                label = f"The {name} dropout mask of layer {depth}"
                m = real_array(m, label)
                if m.shape != (B, width):
                    raise ValueError(
                        f"{label} must have shape {(B, width)}, got {m.shape}."
                    )
                m = cast_finite(m, lay.WbR.dtype, label, ("sample", "unit"))
                m = np.ascontiguousarray((m if order is None else m[order]).T)
            converted.append(m)
        out.append(tuple(converted))
    return out


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

    def __init__(
        self, X, layers, lengths, gate_variant=None, bidirectional=False, h0=None, c0=None,
    ):
        bidirectional = check_flag(bidirectional, "bidirectional")
        X = as_rectangular(X, "X")
        if X.ndim != 3:
            raise ValueError(
                f"X must have shape (n_samples, n_timesteps, n_features), got {X.shape}."
            )
        if X.dtype.kind == "f" and not X.dtype.isnative:
            X = X.astype(X.dtype.newbyteorder("="))  # big-endian data, from a file say
        if X.dtype not in (np.float32, np.float64):
            raise TypeError(f"X must be float32 or float64, got {X.dtype}.")
        if 0 in X.shape:
            raise ValueError(
                "X must hold at least one sample and one step, and one feature; got shape "
                f"{X.shape}."
            )
        # Padding too: a NaN there is multiplied by a zero gradient (0 * NaN).
        check_finite(
            X, "X", ("sample", "step", "feature"),
            ", padding included: zero the steps after each sequence's length",
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
        self.X, self.lengths = X, lengths
        self.n_active = _active_counts(lengths, T)
        self.reverse = _TimeReversal(lengths, T) if bidirectional else None
        self.states = {
            name: _kernel_states(
                states, name, self.kernels, self.order, B, X.dtype, finite=True,
                what="state", label=f"Initial state of layer {{depth}}, {name}[{{depth}}],",
            )
            for name, states in (("h0", h0), ("c0", c0))
        }

    def refuse_overflowing_gate_inputs(self, masks=None):
        """:func:`_refuse_overflowing_gate_inputs` of this batch, with the
        pass's dropout masks (one pair per kernel, or None)."""
        _refuse_overflowing_gate_inputs(
            self.X, self.kernels, self.n_dir, self.states["h0"], self.states["c0"],
            masks or [(None, None)] * len(self.kernels),
            None if self.lengths is None else self._largest_real_input)

    def _largest_real_input(self):
        """The largest |x| of the sequences' real steps: padding, which
        enters no gate, may hold any finite value."""
        real = np.arange(self.X.shape[1]) < self.lengths[:, None]
        return largest_magnitude(self.X[real])

    def initial(self, name, depth):
        """Initial state ``name`` ("h0" or "c0") of a layer, feature-major (H, B)."""
        state = self.states[name][depth]
        if state is None:
            return np.zeros((self.kernels[depth].H, self.X.shape[0]), dtype=self.X.dtype)
        return state

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


@underflow_is_zero
@names_its_arrays
def lstm_forward(
    X, layers, *, h0=None, c0=None, lengths=None, return_sequences=False, gate_variant=None,
    bidirectional=False, dropout_masks=None,
):
    """Forward pass of a stack of LSTM layers, keeping the cache for backward.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_features)
        Input sequences, float32 or float64; the computation runs in this
        dtype. Every value must be finite, padded steps (beyond
        ``lengths``) included: NaN padding is refused rather than zeroed,
        since a NaN there would meet a zero gradient and make the weight
        gradients NaN (0 * NaN). Zero the padding, as the estimators do.
    layers : list of dict
        One dict per layer (per layer and direction when bidirectional,
        forward first) with ``W`` (n_in, nb*H), ``R`` (H, nb*H), ``b``
        (nb*H,), optionally ``p`` (nb-1, H), and with FGR ``Rg``
        (n_sig*H, n_sig*H), array-likes of real numbers (cast to the
        dtype of ``X``), and no other key. ``nb`` is the number of blocks
        of :func:`gate_blocks`. See the module docstring. Or the result of
        :func:`kernel_layers`.
    h0, c0 : list of ndarray of shape (n_samples, H_l), optional
        Initial hidden and cell state of each layer dict, exactly one entry
        per layer dict (None for zeros), real and finite; zeros when omitted.
        A 3-D array (n_layer_dicts, n_samples, H) of layers of one size
        will do.
    lengths : array-like of int of shape (n_samples,), optional
        Number of real (unpadded) steps of each sequence; padding trails.
    return_sequences : bool, default=False
        If False (many-to-one), return each sequence's last hidden state of
        the top layer; if True (many-to-many), its hidden state at every step,
        with zeros at padded steps.
    gate_variant : {None, "NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"}, default=None
        Greff et al.'s variant of every layer; see the module docstring.
        Layers of three blocks (n_blocks of :func:`gate_blocks`) are the
        coupled gate's unless a variant that drops a block says otherwise:
        pass the variant the layers were made for.
    bidirectional : bool, default=False
        Whether each layer runs forward and backward in time: ``layers``
        then holds two dicts per layer and the outputs are ``[h→; h←]``.
    dropout_masks : list of tuple, optional
        Per layer dict, the ``(mask_x, mask_h)`` of :func:`draw_dropout_masks`:
        a pair of None or real, finite arrays of shape (n_samples, n_in)
        and (n_samples, H_l).

    Returns
    -------
    outputs : ndarray of shape (n_samples, D*H_top) or (n_samples, n_timesteps, D*H_top)
        ``D`` is 2 when bidirectional, else 1.
    cache : dict
        Everything ``lstm_backward`` needs: copies of ``X``, the states and
        the weight dicts, which may change before the backward pass
        (layers given as :func:`kernel_layers`' result are kept as given:
        leave them unchanged until then).

    Raises
    ------
    TypeError
        If ``X`` is not float32 or float64; if ``layers``, ``h0``, ``c0`` or
        ``dropout_masks`` is not a list (a single dict, or an array other
        than the 3-D states above); if a layer
        is not a dict; or if a weight, state or mask holds complex numbers,
        strings or objects (casting would drop the imaginary part).
    ValueError
        If a shape does not fit (the message names the layer and key, e.g.
        ``layers[1]: R``, or the state, e.g. ``h0[1]``); if a layer key is
        missing or unknown; if ``h0``, ``c0`` or ``dropout_masks`` does not
        hold one entry per layer dict; if ``X``, a state or a mask holds
        NaN or infinity (the message names the sample, step and feature, or
        the sample and unit); or, as :class:`GateInputOverflow`, if some
        layer's gate inputs may overflow X's dtype (a bound of a gate
        column's sum within 2**-10 of its largest value: the largest inputs
        times its weights' magnitudes), where BLAS would saturate gates
        silently.

    Notes
    -----
    In float64 the gates and ``tanh`` are computed from one exponential
    (``tanh x = 2 σ(2x) - 1``, twice as fast where NumPy's ``tanh`` has no
    SIMD path): outputs and gradients are exact to about 4e-16 absolute,
    not relative, so values below about 1e-4 (inputs of 1e-8, gates
    saturated at 1e-15) keep fewer digits than ``torch.nn.LSTM``'s, and a
    gate below about 3e-17 is 0. Scale such inputs up. Padding (the steps
    after each sequence's length) enters no gate and may hold any finite
    value.
    """
    return_sequences = check_flag(return_sequences, "return_sequences")
    batch = _Batch(X, layers, lengths, gate_variant, bidirectional, h0, c0)
    kernels, n_active, n_dir, reverse = batch.kernels, batch.n_active, batch.n_dir, batch.reverse
    masks = _feature_major_masks(dropout_masks, kernels, batch.order, batch.X.shape[0])
    batch.refuse_overflowing_gate_inputs(masks)
    layer_input = batch.X.transpose(1, 2, 0)  # (T, n_in, B) view; copied into Z
    arrays = _stack_arrays(kernels, masks, *layer_input.shape[::2], batch.X.dtype)
    caches, finals = [], []
    for depth, lay in enumerate(kernels):
        backward_in_time = depth % n_dir == 1
        cache = _layer_forward(
            reverse(layer_input) if backward_in_time else layer_input, lay,
            batch.initial("h0", depth), batch.initial("c0", depth), n_active, masks[depth],
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


@underflow_is_zero
@names_its_arrays
def lstm_predict(
    X, layers, *, h0=None, c0=None, lengths=None, return_sequences=False, chunk_steps=None,
    gate_variant=None, bidirectional=False, return_final_states=False,
):
    """Forward pass only, with no cache: the outputs of :func:`lstm_forward`.

    The layers run through the steps in chunks of ``chunk_steps``, each
    chunk through every layer before the next, so that a layer keeps only
    a chunk's states: O(chunk_steps x B x H) per layer, whatever the number
    of steps. Sequences of different ``lengths`` are first sorted by length,
    a copy of ``X`` (O(T x B x n_features), as ``X`` itself). A
    bidirectional layer needs its whole input before its backward
    direction starts, so bidirectional stacks run layer by layer and keep
    a layer's outputs, O(T x B x H), a few times over. The cell equations are
    those of the training pass (one shared step function), so the outputs
    equal its outputs.

    Parameters
    ----------
    X, layers, h0, c0, lengths, return_sequences, gate_variant, bidirectional
        As for :func:`lstm_forward`.
    chunk_steps : int >= 1, optional
        Steps per chunk; by default sized so that a chunk's states stay in
        cache.
    return_final_states : bool, default=False
        Also return each layer's state after its sequence, as
        :func:`final_states` takes them from a training cache (an encoder's
        states for a decoder, with no cache kept).

    Raises
    ------
    TypeError, ValueError
        As :func:`lstm_forward`, and for a ``chunk_steps`` that is not an
        int >= 1. Non-finite ``X`` is refused here too, padding included.

    Returns
    -------
    outputs : ndarray of shape (n_samples, D*H_top) or (n_samples, n_timesteps, D*H_top)
        Equal to ``lstm_forward(...)[0]``.
    (h, c) : tuple of two lists of ndarray of shape (n_samples, H_l)
        Only with ``return_final_states``: ``final_states`` of the training
        pass's cache, one per layer dict, new arrays.
    """
    if chunk_steps is not None:
        chunk_steps = check_positive_int(chunk_steps, "chunk_steps")
    return_sequences = check_flag(return_sequences, "return_sequences")
    return_final_states = check_flag(return_final_states, "return_final_states")
    batch = _Batch(X, layers, lengths, gate_variant, bidirectional, h0, c0)
    batch.refuse_overflowing_gate_inputs()
    if bidirectional:
        outputs, runs = _predict_layer_by_layer(batch, return_sequences)
    else:
        outputs, runs = _predict_chunk_by_chunk(batch, return_sequences, chunk_steps)
    if not return_final_states:
        return outputs
    return outputs, tuple([batch.unsorted(state.T.copy()) for state in states]
                          for states in ([run.h for run in runs], [run.c for run in runs]))


def _predict_chunk_by_chunk(batch, return_sequences, chunk_steps):
    """Forward-only pass of a unidirectional stack, a chunk of steps through
    every layer at a time: ``(outputs, runs)``, one :class:`_PredictRun` a layer."""
    kernels, n_active = batch.kernels, batch.n_active
    B, T, _ = batch.X.shape
    dtype = batch.X.dtype
    if chunk_steps is None:
        width = sum(lay.n_in + 1 + lay.n_rec for lay in kernels)
        chunk_steps = _PREDICT_CHUNK_BYTES // (B * width * dtype.itemsize)
    chunk = int(min(max(chunk_steps, 1), T))
    runs = [_PredictRun(lay, chunk, batch, depth) for depth, lay in enumerate(kernels)]
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
        return batch.sequence_output(top), runs
    return batch.final_output([runs[-1].h]), runs


def _predict_layer_by_layer(batch, return_sequences):
    """Forward-only pass of a bidirectional stack, one whole layer at a time:
    ``(outputs, runs)``, one :class:`_PredictRun` per layer and direction."""
    kernels, n_active, reverse = batch.kernels, batch.n_active, batch.reverse
    T = batch.X.shape[1]
    layer_input = batch.X.transpose(1, 2, 0)  # (T, n_in, B) view
    runs = []
    for depth in range(0, len(kernels), 2):
        forward = _PredictRun(kernels[depth], T, batch, depth)
        backward = _PredictRun(kernels[depth + 1], T, batch, depth + 1)
        out_f = forward.advance(layer_input, n_active)
        out_b = backward.advance(reverse(layer_input), n_active)
        layer_input = np.concatenate([out_f, reverse(out_b)], axis=1)  # (T, 2H, B)
        runs += [forward, backward]
    if return_sequences:
        return batch.sequence_output(layer_input), runs
    return batch.final_output([forward.h, backward.h]), runs


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

    def __init__(self, lay, chunk, batch, depth):
        B, dtype = batch.X.shape[0], batch.X.dtype
        n_in, H = lay.n_in, lay.H
        self.lay = lay
        self.Z, self.A, self.Cs, self.TC = _empty_arrays(
            dtype, (chunk + 1, n_in + 1 + lay.n_rec, B), (lay.n_blocks * H, B), (2, H, B), (H, B)
        )
        self.Z[:, n_in] = 1
        self.Hs = self.Z[:, n_in + 1 : n_in + 1 + H]
        self.Hs[0] = batch.initial("h0", depth)
        self.Z[0, n_in + 1 + H :] = 0  # FGR: no gate activations precede the first step
        self.Cs[0] = batch.initial("c0", depth)
        self.buf = _StepBuffers(lay, B, dtype)
        self.steps_done = 0
        self._last = 0  # row of Z holding the latest state

    @releases_thread_limit
    def advance(self, X_fm, n_active):
        """Run the layer over a chunk (m, n_in, B); return its outputs (m, H, B), a view."""
        m, n_in, B = X_fm.shape
        lay, Z, Hs, Cs, A = self.lay, self.Z, self.Hs, self.Cs, self.A
        Z[0, n_in + 1 :] = Z[self._last, n_in + 1 :]  # the state carried in
        Z[:m, :n_in] = X_fm
        s_rows = slice(n_in + 1 + lay.H, None)
        with _blas_threads_for(B * lay.WbR.size), _peephole_overflow_ignored(lay):
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

    @property
    def c(self):
        """The last cell state computed, (H, B), a view."""
        return self.Cs[self.steps_done % 2]  # step k writes Cs[1 - (steps before it) % 2]


def training_bytes_per_sample(layer_sizes, n_steps, itemsize):
    """Bytes per sample of :func:`lstm_forward`'s cache and
    :func:`lstm_backward`'s work arrays, an upper estimate.

    Per layer dict and step (one more for the start): the stacked input
    ``[x, 1, h]`` with FGR's gate rows (at most ``n_in + 1 + 4H``), four gate
    blocks, the cell state and its tanh, and ``h`` kept apart from a dropout
    mask; as much again for the backward pass's deltas of every step.

    Parameters
    ----------
    layer_sizes : sequence of (n_in, H)
        One pair per layer dict.
    n_steps : int
    itemsize : int
        Bytes of the computation's dtype.
    """
    per_step = sum(n_in + 1 + 11 * H for n_in, H in layer_sizes)
    return 2 * itemsize * (n_steps + 1) * per_step


@underflow_is_zero
def final_states(cache):
    """Each layer's state after its sequence, from a :func:`lstm_forward` cache.

    A sequence's state after its last real step (carried through padding);
    for the backward direction of a bidirectional layer, after it has read
    the whole sequence. These are the states an encoder passes on, for
    example as a decoder's ``h0`` and ``c0``.

    Parameters
    ----------
    cache : dict
        The cache :func:`lstm_forward` returned.

    Returns
    -------
    h, c : list of ndarray of shape (n_samples, H_l)
        One per layer dict, in the order of ``layers``. New arrays, never
        views of the cache: changing them does not change a later
        :func:`lstm_backward`.
    """
    _check_cache(cache)
    order = cache["order"]
    inv = None if order is None else inverse_permutation(order)

    def unsorted(a):  # (H, B) sorted -> a new (B, H) in the given order
        return np.array(a.T, order="C") if inv is None else np.ascontiguousarray(a.T[inv])

    layers = cache["layers"]
    return [unsorted(c["Hs"][-1]) for c in layers], [unsorted(c["Cs"][-1]) for c in layers]


def _kernel_state(state, shape, order, dtype, name, finite=False):
    """A per-sample state (B, H), samples in the given order, as the kernel
    reads it: feature-major (H, B), samples sorted by ``order``.

    Raises a TypeError naming ``name`` unless the state holds real numbers,
    and a ValueError unless it has ``shape`` (and, if ``finite``, unless
    every value is finite).
    """
    state = real_array(state, name)
    if state.shape != shape:
        raise ValueError(f"{name} must have shape {shape}, got {state.shape}.")
    cast = cast_finite if finite else cast_gradient
    state = cast(state, dtype, name, ("sample", "unit"))
    return (state if order is None else state[order]).T


def _kernel_states(states, name, kernels, order, B, dtype, *, finite, what, label):
    """One state per layer dict, each checked by ``_kernel_state``: a list of
    (H, B) arrays, or None for a None entry; all None when ``states`` is None.

    ``what`` names an entry in the count's message ("state", "gradient");
    ``label.format(depth=depth)`` names entry ``depth`` in the others.
    """
    n_layers = len(kernels)
    if states is None:
        return [None] * n_layers
    if not (isinstance(states, np.ndarray) and states.ndim == 3):  # (n_layers, B, H) will do
        check_sequence_of(
            states, name, f"one (n_samples, H_l) array per layer dict ({n_layers})"
        )
    if len(states) != n_layers:
        raise ValueError(
            f"{name} needs one {what} per layer dict ({n_layers}), got {len(states)}."
        )
    return [
        None if state is None else _kernel_state(
            state, (B, kernels[depth].H), order, dtype, label.format(depth=depth), finite
        )
        for depth, state in enumerate(states)
    ]


def _feature_major_finals(d_final_states, kernels, order, B, dtype):
    """``d_final_states`` as two lists of (H, B) arrays (or None) in the
    kernel's sample order; all None when not given."""
    if d_final_states is None:
        return [None] * len(kernels), [None] * len(kernels)
    check_sequence_of(d_final_states, "d_final_states", "two items, (dh, dc)")
    if len(d_final_states) != 2:
        raise ValueError(
            f"d_final_states must be a pair (dh, dc), got {len(d_final_states)} item(s)."
        )
    return [
        _kernel_states(
            grads, f"d_final_states {which}", kernels, order, B, dtype, finite=False,
            what="gradient", label=f"d_final_states {which}[{{depth}}]",
        )
        for which, grads in zip(("dh", "dc"), d_final_states)
    ]


_CACHE_KEYS = (
    "kernels", "layers", "order", "n_active", "T_full", "return_sequences", "n_dir", "reverse",
    "masks",
)


def _check_cache(cache):
    """Refuse anything but a cache of :func:`lstm_forward` (None, ``{}``, ...)."""
    if not isinstance(cache, dict):
        raise TypeError(
            f"cache must be the dict returned by lstm_forward, got {type(cache).__name__}."
        )
    missing = [key for key in _CACHE_KEYS if key not in cache]
    if missing or not cache["layers"]:
        raise ValueError(
            f"cache must be the dict returned by lstm_forward; it lacks {missing or ['layers']}."
        )


def _check_d_outputs(d_outputs, cache):
    """``d_outputs`` as an array of the outputs' shape and the cache's dtype."""
    kernels, A = cache["kernels"], cache["layers"][0]["A"]  # A: (T, nb*H, B)
    n_out = cache["n_dir"] * kernels[-1].H
    B = A.shape[2]
    shape = (B, cache["T_full"], n_out) if cache["return_sequences"] else (B, n_out)
    d_outputs = real_array(d_outputs, "d_outputs")
    if d_outputs.shape != shape:
        raise ValueError(
            f"d_outputs must have the shape of lstm_forward's outputs, {shape}, "
            f"got {d_outputs.shape}."
        )
    if not cache["return_sequences"]:
        return cast_gradient(d_outputs, A.dtype, "d_outputs", ("sample", "unit"))
    return cast_gradient(d_outputs, A.dtype, "d_outputs", ("sample", "step", "unit"),
                         read=lambda: _real_steps(cache)[:, :, None])


def _real_steps(cache):
    """(B, T_full) bool, samples in the given order: the steps each sequence
    really has (all, without ``lengths``); the pass ignores the others."""
    n_active, order = cache["n_active"], cache["order"]
    B = cache["layers"][0]["A"].shape[2]
    real = np.zeros((B, cache["T_full"]), dtype=bool)
    if n_active is None:
        real[:] = True
        return real
    real[:, : n_active.size] = np.arange(B)[:, None] < n_active[None, :]
    if order is not None:
        given = np.empty_like(real)
        given[order] = real  # sorted row j is sample order[j]
        real = given
    return real


@underflow_is_zero
@names_its_arrays
def lstm_backward(d_outputs, cache, *, input_grad=True, d_final_states=None):
    """Backward pass (BPTT) matching one call of :func:`lstm_forward`.

    Parameters
    ----------
    d_outputs : ndarray of shape (n_samples, D*H_top) or (n_samples, n_timesteps, D*H_top)
        Gradient of the loss with respect to ``outputs``: exactly their
        shape, real numbers (cast to the dtype of ``X``). Non-finite values
        are not refused: they give non-finite gradients, which a training
        loop reads as divergence.
    cache : dict
        The cache returned by ``lstm_forward``. It is not modified.
    input_grad : bool, default=True
        Whether to compute the gradient with respect to ``X``; training
        does not need it and saves one large product.
    d_final_states : pair of lists, optional
        ``(dh, dc)``: the gradient of the loss with respect to each layer's
        :func:`final_states`, one (n_samples, H_l) array (or None) per layer
        dict, for states passed on to another network. It adds to the
        gradient that ``d_outputs`` gives the top layer's last state.

    Returns
    -------
    grads : dict
        ``layers``: one dict per layer dict with ``W``, ``R``, ``b`` (and
        ``p``, ``Rg``), shaped as the parameters; ``h0``, ``c0``: lists of
        (n_samples, H_l); ``X``: (n_samples, n_timesteps, n_features) or None.

    Raises
    ------
    TypeError
        If ``cache`` is not a dict, or ``d_outputs`` or a ``d_final_states``
        array holds complex numbers, strings or objects.
    ValueError
        If ``cache`` is not ``lstm_forward``'s (a key is missing), if
        ``d_outputs`` does not have the outputs' shape (the message gives
        it), or if ``d_final_states`` is not a pair of lists with one
        (n_samples, H_l) array or None per layer dict.
    """
    _check_cache(cache)
    input_grad = check_flag(input_grad, "input_grad")
    kernels, caches = cache["kernels"], cache["layers"]
    order, n_active, n_dir = cache["order"], cache["n_active"], cache["n_dir"]
    reverse = cache["reverse"]
    T = caches[0]["A"].shape[0]
    d_outputs = _check_d_outputs(d_outputs, cache)
    if order is not None:
        d_outputs = d_outputs[order]
    # The kernel works feature-major: (T, D*H, B) and (D*H, B).
    if cache["return_sequences"]:
        d_seq = np.ascontiguousarray(d_outputs[:, :T].transpose(1, 2, 0))
        dh_last = None
    else:
        d_seq, dh_last = None, d_outputs.T

    n_layers = len(kernels)
    dh_final, dc_final = _feature_major_finals(
        d_final_states, kernels, order, caches[0]["A"].shape[2], d_outputs.dtype
    )
    layer_grads, dh0, dc0 = [None] * n_layers, [None] * n_layers, [None] * n_layers
    for top in range(n_layers - n_dir, -1, -n_dir):
        d_input = None
        for depth in range(top, top + n_dir):
            H, k = kernels[depth].H, depth - top
            d_seq_k = None if d_seq is None else d_seq[:, k * H : (k + 1) * H]
            if k == 1 and d_seq_k is not None:
                d_seq_k = reverse(d_seq_k)
            dh_last_k = None if dh_last is None else dh_last[k * H : (k + 1) * H]
            if dh_final[depth] is not None:
                dh_last_k = dh_final[depth] if dh_last_k is None else dh_last_k + dh_final[depth]
            g = _layer_backward(
                caches[depth], kernels[depth], d_seq_k, dh_last_k,
                n_active, input_grad or top > 0, cache["masks"][depth], dc_final[depth],
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
