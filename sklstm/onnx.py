"""Export fitted sklstm estimators to ONNX, for onnxruntime and other runtimes.

Importing this module (it needs the ``onnx`` extra: ``pip install
"sklstm[onnx]"``) registers converters for :class:`~sklstm.LSTMRegressor`
and :class:`~sklstm.LSTMClassifier` with skl2onnx, so that
``skl2onnx.to_onnx`` converts a pipeline that ends in either, such as
``Pipeline([("scale", StandardScaler()), ("lstm", LSTMRegressor())])`` over
2-D lag tables. :func:`to_onnx` converts an estimator alone, from 2-D
tables or 3-D sequences. The package does not import this module itself.

The graph
---------
1. **Input** ``X``: a 2-D table (N, n_columns), read as sequences exactly as
   ``predict`` reads it (``n_channels``, ``column_order``, ``newest_first``)
   with Reshape, Transpose and a reversing Slice (a model fitted on
   sequences of C channels reads a table of C columns as one step per
   row, whatever its ``n_channels``); or 3-D sequences
   (N, T, n_channels) of any length T, or (N, n_channels, T) for a model of
   ``data_format="channels_first"`` (a Transpose brings them to steps
   first, as ``predict`` reads them). In 3-D input, trailing steps that are
   entirely NaN are padding, as for ``predict``: the graph computes each
   sequence's length itself and passes it to the LSTM operators'
   ``sequence_lens``, so the padded array given to ``predict`` is all the
   input it needs. In a 2-D table NaN is never padding. One filler
   sequence of zeros is appended to every batch and its outputs dropped:
   onnxruntime's LSTM kernel aborts the whole process on a batch of 0
   sequences, so an empty batch gives empty outputs instead.
2. **Standardisation** with ``input_mean_`` and ``input_scale_``, in
   float64 as ``predict`` does (``(x - mean) / scale``, each term scaled by a
   power of two), then a cast to float32. With ``patch_length_ = p > 1``,
   zero steps start each sequence's first patch so that its last patch ends
   at its last real step (Pad, and for 3-D input a GatherElements that moves
   each sequence by its own count), each run of ``p`` steps becomes one step
   of ``p * n_channels`` values (Reshape), and each sequence's length
   becomes ``ceil(length / p)``, as for ``predict``.
3. **One ONNX LSTM operator per layer**, with ``layout=0`` (time-major)
   and explicit Transposes, since onnxruntime rejects ``layout=1``. Gate
   blocks move from sklstm's i, f, g, o to ONNX's i, o, f, c; peepholes
   are ordered i, o, f; the bias is ``Wb`` and ``Rb`` is zero. The coupled
   gate is ``input_forget=1``, which onnxruntime computes as ``f = 1 - i``,
   exactly sklstm's CIFG (checked by the tests).
4. **Head**: the dense layer on ``Y_h`` (the state at each sequence's last
   real step) for many-to-one models, or on every step of ``Y`` with
   ``return_sequences=True``.
5. **Outputs**: a regressor gives ``variable`` of shape (N, n_targets), or
   (N, T, n_targets) with ``return_sequences=True``: ``predict``'s values
   with the targets' axis kept for one target too, as skl2onnx's own
   regressors give (N, 1), so that its ``StackingRegressor`` can join them
   (``ravel()`` gives ``predict``'s (N,)). A classifier gives ``label`` then ``probabilities``, as
   skl2onnx's own classifiers do with ``zipmap=False``: labels are int64
   for integer or boolean classes, double for other numbers and strings
   for text and for every other label: dates and durations as NumPy
   prints them (``'2021-06-01T00:00:00.000000000'``, ``'2000000000
   nanoseconds'`` for pandas' nanosecond units), which
   ``pandas.to_datetime`` and ``pandas.to_timedelta`` read back; a
   multilabel model gives an int64 indicator (N, n_labels).
   Per-step outputs are NaN at padded steps (labels there are filler).
   skl2onnx's pipelines ask classifiers for a ZipMap by default; it is
   ignored with a warning (pass ``options={"zipmap": False}``).

Precision
---------
onnxruntime's LSTM kernel runs in float32 only, so every model, float64
ones included, computes its layers in float32. Exported models agree with
``predict`` and ``predict_proba`` to 1e-5 relative to the largest
magnitude of a test set's outputs (the tests assert it; they measure below
1e-6, and trained float64 models of 32 and 16 units over 200 steps stay
below 2e-6). The error is float32's rounding on the outputs' scale, not on
each output: one output near zero, alone, can differ by more than 1e-5 of
itself. A label
is the argmax of the graph's own probabilities, as ``predict``'s is of
``predict_proba``'s: it can differ from ``predict``'s only where two
probabilities lie within that rounding of each other. Outputs are float32,
or float64 when the input is float64. A regressor's outputs are mapped back to the targets' units
(``target_mean_``, ``target_scale_``) in the output's dtype, after the
float32 layers: in a float64 graph, targets far from zero (1e8 ± 1) keep
their spread, as float64 inputs far from zero are standardised in float64.
A float32 graph of targets beyond float32's range, or of a
``target_scale_`` below its normal range (1e-50), is refused, as is a
weight (``coefs_``, ``out_coef_``, ``out_intercept_``) beyond float32's
range, in a model of either dtype. An output that overflows float32 (a
float32 output's, or, in a graph of either dtype, a logit the float32
layers and head compute) is NaN, as are the probabilities a softmax
computes from such logits (several classes). An integer ``X_example`` gives a float64 input, as
``predict`` reads integers in float64.

What a graph cannot do
----------------------
A graph cannot raise. Where ``predict`` refuses a sample (NaN inside a
sequence, infinity, a sequence that is all padding, or a float32 model's
standardised values beyond float32's range or so large that its gate
inputs may overflow float32, see ``sklstm.core.GateInputOverflow``), the
graph gives NaN outputs and NaN probabilities for that sample; its label
is then meaningless. A float64 model's graph does the same for
standardised values beyond what float32 takes (its layers run in
float32), where ``predict`` does not.

What is refused
---------------
:func:`to_onnx` and the converters export only what they know to be exact,
and raise a ValueError naming the parameter otherwise. Every parameter of
the forward pass is checked against the values listed in
``_FORWARD_PARAMS``; parameters that only steer training are listed in
``_TRAINING_PARAMS``. A parameter in neither list (one added to the
estimators after this exporter) is accepted only at its default and only
when that default switches a feature off (None, False, 0 or empty);
otherwise the model is refused rather than approximated. The fitted
weights must also have exactly the documented shapes, so an architecture
whose weights differ (extra recurrent matrices, such as FGR's ``Rg``) is
refused even when no parameter names it.

Bidirectional layers become ONNX LSTM operators with
``direction="bidirectional"``: ``coefs_[2k]`` and ``coefs_[2k + 1]`` are the
forward and backward weight sets of layer k, and the operator's
``sequence_lens`` starts the backward direction at each sequence's last
real step, as sklstm does. Greff et al.'s gate variants (``gate_variant``)
have no ONNX operator and are refused; ``dropout`` and
``recurrent_dropout`` act in training only, and do not matter here.

Refused too, each with an error that says what to do instead:
``loss="quantile"`` (no graph for the non-crossing quantile head),
and ``n_exog`` > 0 (fit on 3-D sequences with the exogenous values as
channels: the same model). An ``LSTMEncoderDecoderRegressor`` has no graph.
"""

import contextlib
import inspect
import numbers
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
from sklearn.utils.validation import check_is_fitted

try:
    from onnx import TensorProto
    from onnx.numpy_helper import from_array
    from skl2onnx import convert_sklearn, get_model_alias, update_registered_converter
    from skl2onnx.common.data_types import (
        DoubleTensorType,
        FloatTensorType,
        Int64TensorType,
        StringTensorType,
    )
except ImportError as exc:  # pragma: no cover - depends on the environment
    raise ImportError(
        f"sklstm.onnx needs onnx and skl2onnx ({exc}); install them with "
        'pip install "sklstm[onnx]", which also installs onnxruntime.'
    ) from exc

# The public names, not their private modules, which may move.
from . import LSTMClassifier, LSTMEncoderDecoderRegressor, LSTMRegressor
from ._base import table_layout
from ._checks import quoted, underflow_is_zero
from ._fitted_state import scratch_copy
from ._lstm import largest_safe_input
from ._validation import is_list_of_sequences
from ._warnings import silenced, warn

__all__ = ["DEFAULT_OPSET", "to_onnx"]

# Opset of the main ONNX domain used when none is given: recent enough for
# every operator here, old enough for most deployed runtimes.
DEFAULT_OPSET = 17
_MIN_OPSET = 13  # Squeeze and Unsqueeze take their axes as an input from 13


def _max_opset():
    """The newest opset both onnx and the installed skl2onnx write."""
    import onnx
    import skl2onnx

    return min(onnx.defs.onnx_opset_version(),
               getattr(skl2onnx, "__max_supported_opset__", DEFAULT_OPSET))


def _check_target_opset(target_opset):
    """``target_opset`` as an int in the supported range, or DEFAULT_OPSET for None."""
    if target_opset is None:
        return DEFAULT_OPSET
    if not isinstance(target_opset, numbers.Integral) or _is_flag(target_opset):
        raise TypeError(
            f"target_opset must be an int (or None for {DEFAULT_OPSET}), got "
            f"{type(target_opset).__name__} {target_opset!r}."
        )
    newest = _max_opset()
    if not _MIN_OPSET <= target_opset <= newest:
        raise ValueError(
            f"target_opset must be between {_MIN_OPSET} and {newest} (the newest the "
            f"installed onnx and skl2onnx write), got {quoted(target_opset)}."
        )
    return int(target_opset)


# Gate blocks of the fitted weights, as documented for ``coefs_`` (keyed by
# coupled_gates), and the ONNX LSTM operator's order (its c is sklstm's g).
_SKLSTM_BLOCKS = {False: ("i", "f", "g", "o"), True: ("i", "g", "o")}
_SKLSTM_PEEPHOLES = {False: ("i", "f", "o"), True: ("i", "o")}
_ONNX_BLOCKS = ("i", "o", "f", "g")
_ONNX_PEEPHOLES = ("i", "o", "f")


def _is_flag(value):
    return isinstance(value, (bool, np.bool_))


def _is_false(value):
    return _is_flag(value) and not value


def _is_positive_int(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, bool) and value >= 1


# Parameters that shape the forward pass, each with the values exported
# exactly. ``hidden_layer_sizes`` is checked against the fitted weights.
# Bidirectional layers map onto direction="bidirectional" of the same
# operator (see _emit_lstm_layer). The ONNX LSTM operator has all three
# gates, no gate recurrence, and tanh (or other saturating) activations
# only: none of Greff et al.'s gate variants.
_FORWARD_PARAMS = {
    "hidden_layer_sizes": lambda value: True,
    "return_sequences": _is_flag,
    "peephole": _is_flag,
    "coupled_gates": _is_flag,
    "n_channels": _is_positive_int,
    "column_order": lambda value: value in ("time_major", "channel_major"),
    "newest_first": _is_flag,
    "bidirectional": _is_flag,
    # The fitted patch_length_ is what the graph uses (a model cannot be
    # fitted with return_sequences and patches).
    "patch_length": lambda value: True,
    "gate_variant": lambda value: value is None,
    "n_exog": lambda value: value == 0,
    "data_format": lambda value: value in (None, "channels_last", "channels_first"),
}

# Why a known forward parameter's value cannot be exported, for its error.
_REFUSAL_REASONS = {
    "gate_variant": "the ONNX LSTM operator computes the full cell (input, forget and output "
                    "gates, tanh activations, no gate recurrence); it has no such variant.",
    "n_exog": "the graph reads a table's columns as the steps of n_channels channels only. "
              "Exogenous columns are read as channels repeated at every step: fit on 3-D "
              "sequences with those values as channels (the same model) to export it.",
}

# Parameters that only steer training: the fitted attributes hold all their
# effect on predictions (``standardize`` through input_mean_, input_scale_).
_TRAINING_PARAMS = frozenset({
    "forget_bias", "solver", "alpha", "batch_size", "learning_rate", "learning_rate_init",
    "power_t", "max_iter", "shuffle", "random_state", "tol", "verbose", "warm_start",
    "momentum", "nesterovs_momentum", "early_stopping", "validation_fraction",
    "validation_split", "beta_1", "beta_2", "epsilon", "n_iter_no_change", "max_fun",
    "clip_norm", "solver_options", "standardize", "class_weight", "dropout",
    "recurrent_dropout",
    # Targets' scaling is read from target_mean_ and target_scale_. The loss
    # a model predicts with is the fitted one (quantiles_, checked in
    # _describe); loss and quantiles set otherwise since are refused there,
    # as predict refuses them.
    "scale_targets", "quantiles", "loss",
})


def _is_off(value):
    """Whether a parameter value switches a feature off: None, False, 0, empty."""
    if value is None or _is_false(value):
        return True
    if isinstance(value, numbers.Number):
        return value == 0
    return isinstance(value, (tuple, list, dict)) and len(value) == 0


@dataclass(frozen=True)
class _Network:
    """Everything the graph needs, read from public attributes and parameters.

    ``layers`` holds, per layer, one (W, R, B, P) tuple per direction in the
    ONNX operator's layout (P is None without peepholes).
    """

    layers: list
    coupled: bool
    mean: np.ndarray  # (n_channels,)
    scale: np.ndarray  # (n_channels,)
    out_coef: np.ndarray  # (H_last, n_outputs), float32
    out_intercept: np.ndarray  # (n_outputs,), float32
    # A regressor's standardised outputs are mapped back to the targets' units
    # in the output's dtype, after the float32 head: folded into the head,
    # targets far from zero (1e8 ± 1) lost their spread to float32 rounding.
    target_mean: np.ndarray | None  # (n_outputs,), float64
    target_scale: np.ndarray | None  # (n_outputs,), float64
    return_sequences: bool
    n_channels: int
    patch_length: int  # steps per LSTM step (the fitted patch_length_)
    patch_alignment: str  # "end" or "start" (the fitted _patch_alignment)
    column_order: str
    newest_first: bool
    n_columns: int | None  # the table width of a model fitted on tables, else None
    channels_first: bool  # whether 3-D input is (N, C, T), data_format="channels_first"
    task: str  # "regression", "binary", "multiclass" or "multilabel"
    classes: np.ndarray | None


# -- what can be exported -----------------------------------------------------


def _refused_param(params, defaults):
    """The first (name, value) the exporter cannot express exactly, or None.

    Parameters
    ----------
    params : dict
        The estimator's parameters, ``get_params(deep=False)``.
    defaults : dict
        Default of each parameter of the estimator's ``__init__``.
    """
    for name, value in params.items():
        if name in _TRAINING_PARAMS:
            continue
        if name in _FORWARD_PARAMS:
            if not _FORWARD_PARAMS[name](value):
                return name, value
            continue
        default = defaults.get(name, inspect.Parameter.empty)
        if not (_is_off(value) and _is_off(default) and value == default):
            return name, value
    return None


def _check_params(estimator):
    """Refuse any parameter value the exporter does not know to be exact."""
    params = estimator.get_params(deep=False)
    signature = inspect.signature(type(estimator).__init__)
    refused = _refused_param(params, {k: p.default for k, p in signature.parameters.items()})
    if refused is not None:
        name, value = refused
        known = name in _FORWARD_PARAMS
        reason = _REFUSAL_REASONS.get(
            name, "sklstm.onnx does not express that configuration exactly."
        )
        raise ValueError(
            f"Cannot export {type(estimator).__name__} with {name}={value!r}: "
            + (reason if known else
               f"sklstm.onnx does not know the parameter {name!r}, so it cannot tell "
               "whether an ONNX graph would compute the same predictions.")
        )
    return params


def _hidden_sizes(value):
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        return [int(value)]
    return [int(s) for s in value]


def _check_layer(k, layer, n_in, coupled, peephole):
    """Check one layer's shapes against the documented layout; return H."""
    keys = {"W", "R", "b"} | ({"p"} if peephole else set())
    if not isinstance(layer, dict) or set(layer) != keys:
        found = sorted(layer) if isinstance(layer, dict) else type(layer).__name__
        raise ValueError(
            f"Cannot export: coefs_[{k}] holds {found}, but with peephole={peephole} "
            f"sklstm.onnx expects exactly {sorted(keys)}; this architecture is not "
            "one it knows to express exactly."
        )
    H = np.shape(layer["R"])[0]
    G = len(_SKLSTM_BLOCKS[coupled]) * H
    expected = {"W": (n_in, G), "R": (H, G), "b": (G,)}
    if peephole:
        expected["p"] = (len(_SKLSTM_PEEPHOLES[coupled]), H)
    for key, shape in expected.items():
        if np.shape(layer[key]) != shape:
            raise ValueError(
                f"Cannot export: coefs_[{k}][{key!r}] has shape {np.shape(layer[key])}, "
                f"but coupled_gates={coupled} and peephole={peephole} give {shape}."
            )
        if not np.all(np.isfinite(layer[key])):
            raise ValueError(f"Cannot export: coefs_[{k}][{key!r}] holds NaN or infinity.")
        _check_float32_range(layer[key], f"coefs_[{k}][{key!r}]")
    return H


def _check_float32_range(values, name):
    """Refuse finite weights beyond float32's range: the graph holds every
    weight in float32 (onnxruntime's LSTM kernel has no other dtype), where
    such a weight would be infinity and its outputs NaN or infinity."""
    values = np.asarray(values)
    beyond = np.abs(values.astype(np.float64)) > np.finfo(np.float32).max
    if beyond.any():
        place = tuple(int(i) for i in np.argwhere(beyond)[0])
        raise ValueError(
            f"Cannot export: {name}{list(place)} is {values[place]:.4g}, beyond float32's "
            f"range (largest {np.finfo(np.float32).max:.4g}): the graph computes in float32, "
            "float64 models included, as onnxruntime's LSTM kernel does. Scale the weights "
            "(and the inputs or targets they serve) into float32's range, or predict with "
            "the model in Python."
        )


def _read_layers(coefs, n_in, coupled, peephole, bidirectional):
    """Per layer, the ONNX weights of each direction (forward, then backward).

    A bidirectional model holds two dicts per layer in ``coefs_``, forward
    first; layer ``k > 0`` reads both directions' units, ``2 H``.
    """
    n_dir = 2 if bidirectional else 1
    if not isinstance(coefs, (list, tuple)) or not coefs or len(coefs) % n_dir:
        held = len(coefs) if isinstance(coefs, (list, tuple)) else type(coefs).__name__
        raise ValueError(
            f"Cannot export: bidirectional={bidirectional} needs {n_dir} dicts per layer "
            f"in coefs_, but coefs_ holds {held}."
        )
    layers = []
    for k in range(0, len(coefs), n_dir):
        units = [_check_layer(j, coefs[j], n_in, coupled, peephole) for j in range(k, k + n_dir)]
        if len(set(units)) != 1:
            raise ValueError(f"Cannot export: the two directions of coefs_[{k}:{k + 2}] differ in H.")
        layers.append([_onnx_lstm_weights(coefs[j], coupled) for j in range(k, k + n_dir)])
        n_in = n_dir * units[0]
    return layers


def _onnx_lstm_weights(layer, coupled):
    """Map one sklstm layer onto the ONNX LSTM operator's W, R, B and P.

    Returns
    -------
    W : ndarray of shape (4H, n_in)
    R : ndarray of shape (4H, H)
    B : ndarray of shape (8H,)
        ``[Wb, Rb]``: the bias, then zeros.
    P : ndarray of shape (3H,) or None
    """
    H = layer["R"].shape[0]

    def reorder(M, names, onnx_names):
        blocks = dict(zip(names, np.split(np.asarray(M, np.float64), len(names), axis=-1)))
        # The forget block of a coupled layer is ignored under input_forget=1.
        zero = np.zeros(np.shape(M)[:-1] + (H,))
        return np.concatenate([blocks.get(k, zero) for k in onnx_names], axis=-1)

    blocks = _SKLSTM_BLOCKS[coupled]
    W = reorder(layer["W"], blocks, _ONNX_BLOCKS).T
    R = reorder(layer["R"], blocks, _ONNX_BLOCKS).T
    B = np.concatenate([reorder(layer["b"], blocks, _ONNX_BLOCKS), np.zeros(4 * H)])
    P = None
    if "p" in layer:
        P = reorder(np.asarray(layer["p"]).reshape(-1), _SKLSTM_PEEPHOLES[coupled], _ONNX_PEEPHOLES)
    return tuple(None if a is None else a.astype(np.float32) for a in (W, R, B, P))


def _output_kind(estimator):
    """Return the fitted model's task: regression, binary, multiclass or multilabel.

    A multilabel and a multiclass classifier have weights of the same
    shapes; what tells them apart is what ``predict`` reads, the label
    binarizer's target type.
    """
    if isinstance(estimator, LSTMRegressor):
        return "regression"
    if estimator._multilabel:
        return "multilabel"
    return "binary" if len(estimator.classes_) == 2 else "multiclass"


def _check_classes(estimator, task, n_outputs):
    classes = np.asarray(estimator.classes_)
    expected = 1 if task == "binary" else len(classes)
    if n_outputs != expected:
        raise ValueError(
            f"Cannot export: {len(classes)} classes ({task}) need {expected} outputs, "
            f"but out_coef_ has {n_outputs}."
        )
    if classes.dtype.kind == "O" and not all(isinstance(c, str) for c in classes):
        raise ValueError(
            "Cannot export: classes_ mixes types; ONNX labels are all numbers or all strings."
        )
    _label_values(classes)  # refuses labels ONNX cannot hold
    return classes


def _describe(estimator):
    """Check that ``estimator`` is exportable, and read what the graph needs."""
    if type(estimator) not in (LSTMRegressor, LSTMClassifier):
        if isinstance(estimator, LSTMEncoderDecoderRegressor):
            hint = (" An encoder-decoder has no ONNX graph; save it with skops "
                    "(sklstm.persistence) or pickle.")
        elif hasattr(estimator, "steps"):
            hint = (" For a pipeline that ends in one, use skl2onnx.to_onnx(pipeline, "
                    "X_example) once sklstm.onnx is imported.")
        else:
            hint = ""
        raise TypeError(
            "sklstm.onnx exports LSTMRegressor and LSTMClassifier, got "
            f"{type(estimator).__name__}.{hint}"
        )
    check_is_fitted(estimator, "coefs_")
    # The graph reads X with the parameters, so they must be the fitted ones
    # (set_params since fit, newest_first say, would export another reading);
    # predict refuses the same.
    estimator._check_architecture("An export")
    # Every attribute the graph reads, as predict checks it: weights or
    # statistics set by hand (a negative target_scale_, float16 weights)
    # would export a graph that is silently wrong.
    estimator._check_fitted_state(history_sized=False)
    params = _check_params(estimator)
    if getattr(estimator, "quantiles_", None) is not None:
        # The fitted loss decides; one set since is refused by predict's own check.
        raise ValueError(
            f"Cannot export {type(estimator).__name__} fitted with loss='quantile': the "
            "graph has no form for its non-crossing quantiles (each a softplus increment "
            "on the one below), so sklstm.onnx does not express it exactly. Export a "
            "model of loss='squared_error'."
        )
    coupled, peephole = bool(params["coupled_gates"]), bool(params["peephole"])
    mean = np.asarray(estimator.input_mean_, np.float64)
    scale = np.asarray(estimator.input_scale_, np.float64)
    patch_length = int(getattr(estimator, "patch_length_", 1))
    layers = _read_layers(estimator.coefs_, patch_length * mean.shape[0], coupled, peephole,
                          bool(params["bidirectional"]))
    sizes = [layer[0][1].shape[1] for layer in layers]
    try:
        same_sizes = _hidden_sizes(params["hidden_layer_sizes"]) == sizes
    except (TypeError, ValueError):
        same_sizes = False
    if not same_sizes:
        raise ValueError(
            f"Cannot export: hidden_layer_sizes={params['hidden_layer_sizes']!r} differs "
            f"from the fitted layers' sizes {tuple(sizes)}; refit or restore the parameter."
        )
    coef = np.asarray(estimator.out_coef_)
    intercept = np.asarray(estimator.out_intercept_)
    _check_float32_range(coef, "out_coef_")
    _check_float32_range(intercept, "out_intercept_")
    task = _output_kind(estimator)
    classes = None if task == "regression" else _check_classes(estimator, task, coef.shape[1])
    target_mean = target_scale = None
    if task == "regression":  # targets standardised in fit
        n = estimator.n_outputs_
        target_mean = np.broadcast_to(np.asarray(estimator.target_mean_, np.float64), (n,))
        target_scale = np.broadcast_to(np.asarray(estimator.target_scale_, np.float64), (n,))
    return _Network(
        layers=layers, coupled=coupled, mean=mean, scale=scale,
        out_coef=coef.astype(np.float32), out_intercept=intercept.astype(np.float32),
        target_mean=target_mean, target_scale=target_scale,
        return_sequences=bool(params["return_sequences"]), n_channels=int(params["n_channels"]),
        patch_length=patch_length, patch_alignment=estimator._patch_alignment,
        column_order=params["column_order"], newest_first=bool(params["newest_first"]),
        n_columns=int(estimator.n_features_in_) if estimator._fitted_on_table else None,
        channels_first=params["data_format"] == "channels_first", task=task, classes=classes,
    )


# -- graph building -------------------------------------------------------------

_ONNX_DTYPES = {
    np.dtype(np.float32): TensorProto.FLOAT,
    np.dtype(np.float64): TensorProto.DOUBLE,
    np.dtype(np.int64): TensorProto.INT64,
    np.dtype(np.bool_): TensorProto.BOOL,
}


class _Graph:
    """Adds nodes and constants to a skl2onnx container under unique names."""

    def __init__(self, scope, container):
        self.scope, self.container = scope, container
        self.opset = container.target_opset

    def const(self, hint, value):
        arr = np.asarray(value)
        name = self.scope.get_unique_variable_name(hint)
        if arr.dtype.kind in "USO":
            content = [str(v).encode("utf-8") for v in arr.ravel()]
            self.container.add_initializer(name, TensorProto.STRING, list(arr.shape), content)
        else:
            tensor = from_array(arr, name)
            self.container.add_initializer(name, _ONNX_DTYPES[arr.dtype], list(arr.shape), tensor)
        return name

    def op(self, op_type, *inputs, n_out=1, out=None, **attrs):
        """Add one node; return its output name (a list when ``n_out > 1``)."""
        outputs = [out] if out else [
            self.scope.get_unique_variable_name(op_type.lower()) for _ in range(n_out)
        ]
        self.container.add_node(
            op_type, list(inputs), outputs, name=self.scope.get_unique_operator_name(op_type),
            **attrs,
        )
        return outputs[0] if n_out == 1 else outputs

    def axes(self, op_type, x, axes, **attrs):
        """Squeeze, Unsqueeze or a Reduce over ``axes``, in this opset's form."""
        if op_type in ("Squeeze", "Unsqueeze", "ReduceSum") or self.opset >= 18:
            return self.op(op_type, x, self.const("axes", np.array(axes, np.int64)), **attrs)
        return self.op(op_type, x, axes=list(axes), **attrs)

    def cast(self, x, to, out=None):
        return self.op("Cast", x, to=to, out=out)


def _table_to_sequences(g, x, net):
    """Read a 2-D table (N, n_columns) as sequences (N, T, C), as predict does."""
    C = net.n_channels
    if net.column_order == "time_major":  # [x0(t0), x1(t0), x0(t1), ...]
        x3 = g.op("Reshape", x, g.const("shape", np.array([0, -1, C], np.int64)))
    else:  # [x0(t0), x0(t1), ..., x1(t0), ...]
        x3 = g.op("Reshape", x, g.const("shape", np.array([0, C, -1], np.int64)))
        x3 = g.op("Transpose", x3, perm=[0, 2, 1])
    return _reverse_steps(g, x3) if net.newest_first else x3


def _reverse_steps(g, x):
    """Reverse axis 1 (the steps) of x (N, T, ...)."""
    return g.op(
        "Slice", x, g.const("starts", np.array([-1], np.int64)),
        g.const("ends", np.array([np.iinfo(np.int64).min], np.int64)),
        g.const("axes", np.array([1], np.int64)), g.const("steps", np.array([-1], np.int64)),
    )


def _padding(g, s):
    """Lengths (N,) int64 and padded steps (N, T) bool from trailing all-NaN steps.

    A sequence's length is the index after its last step that is not
    entirely NaN, as for predict; NaN earlier in a sequence is not padding.
    """
    step_real = g.axes("ReduceMax", g.cast(g.op("Not", g.op("IsNaN", s)), TensorProto.FLOAT),
                       [2], keepdims=0)  # (N, T): 1 where a step holds a value
    T = g.op("Gather", g.op("Shape", s), g.const("one", np.array(1, np.int64)), axis=0)
    steps = g.op("Range", g.const("zero", np.array(0, np.int64)), T,
                 g.const("one", np.array(1, np.int64)))  # (T,)
    position = g.cast(g.op("Add", steps, g.const("one", np.array(1, np.int64))), TensorProto.FLOAT)
    lengths = g.cast(g.axes("ReduceMax", g.op("Mul", step_real, position), [1], keepdims=0),
                     TensorProto.INT64)
    padded = g.op("Not", g.op("Less", g.axes("Unsqueeze", steps, [0]),
                              g.axes("Unsqueeze", lengths, [1])))
    return lengths, padded


def _emit_input(g, x, rank, in_type, net, largest_input):
    """Standardised float32 steps (T, N, C) for the LSTM operators.

    ``largest_input`` is the largest standardised |x| whose gate inputs
    cannot overflow the float32 layers (:func:`sklstm.core.largest_safe_input`):
    beyond it a float32 model's predict refuses, and the graph's BLAS could
    saturate gates silently.

    Returns
    -------
    steps : str, (T', N, C) float32, zero where the input is not a finite number
        T' = max(T, 1) (patches: ``ceil(T' / p)``): a 3-D input of 0 steps,
        which predict refuses, gets one NaN step, since onnxruntime's LSTM
        rejects a ``sequence_lens`` beyond the steps; its outputs are NaN.
    seq_lens : str, (N,) int32
    padded : str or None, (N, T') bool, for 3-D input
    invalid : str, (N,) bool, samples that predict would refuse, or whose
        gate inputs may overflow the float32 layers
    n_steps : str or None, (1,) int64, the input's T for 3-D input
        (per-step outputs are cut back to it)
    """
    if in_type != TensorProto.DOUBLE:
        # Standardised in float64, as predict does: the mean rounded to
        # float32 would shift inputs that sit far from zero (1e5 ± 0.01) by
        # a good part of their spread.
        x = g.cast(x, TensorProto.DOUBLE)
    x = _with_filler_sample(g, x)
    if rank == 2:
        x = _table_to_sequences(g, x, net)
    elif net.channels_first:  # (N, C, T): steps before channels, as predict reads it
        x = g.op("Transpose", x, perm=[0, 2, 1])
    # (x p - mean p) / (scale p), p the power of two nearest 1 / scale:
    # predict's (x - mean) / scale to the bit (a power of two scales
    # exactly), where onnxruntime's optimiser drops a Sub of a constant that
    # is 0 in float32 and lost a mean of 1e-50 (inputs of 1e-50 ± 1e-50);
    # mean p is of the order of mean / scale, dropped only below float32's
    # range, where it is lost in the cast to float32 anyway.
    mean, scale = net.mean.astype(np.float64), net.scale.astype(np.float64)
    # Normal powers of two: 2**1024 overflows (a scale of 1e-310), a
    # subnormal one would round x p.
    p = np.exp2(np.clip(-np.round(np.log2(scale)), -1022, 1023))
    s = g.op("Div", g.op("Sub", g.op("Mul", x, g.const("p", p)), g.const("mean_p", mean * p)),
             g.const("scale_p", scale * p))
    s = g.cast(s, TensorProto.FLOAT)  # onnxruntime's LSTM runs float32 only
    padded = n_steps = None
    if rank == 3:
        n_steps = g.op("Slice", g.op("Shape", s), g.const("start", np.array([1], np.int64)),
                       g.const("end", np.array([2], np.int64)))
        no_step = g.op("Max", g.const("zero", np.zeros(1, np.int64)),
                       g.op("Sub", g.const("one", np.ones(1, np.int64)), n_steps))
        pads = g.op("Concat", g.const("zeros", np.zeros(4, np.int64)), no_step,
                    g.const("zero", np.zeros(1, np.int64)), axis=0)
        s = g.op("Pad", s, pads, g.const("nan", np.array(np.nan, np.float32)))
    bad = g.op("Or", g.op("IsNaN", s), g.op("IsInf", s))
    refused = bad
    if rank == 3:
        lengths, padded = _padding(g, s)
        refused = g.op("And", bad, g.op("Not", g.axes("Unsqueeze", padded, [2])))
        # A sequence with no real step gets length 1 here and NaN outputs below.
        seq_lens = g.cast(g.op("Max", _n_patches(g, lengths, net.patch_length),
                               g.const("one", np.array(1, np.int64))), TensorProto.INT32)
    else:
        # Every row of a table is a whole sequence. The lengths are given all
        # the same: skl2onnx cannot sort a graph with an omitted optional input.
        shape = g.op("Shape", s)
        n_samples = g.op("Slice", shape, g.const("start", np.array([0], np.int64)),
                         g.const("end", np.array([1], np.int64)))
        T = g.op("Gather", shape, g.const("one", np.array(1, np.int64)), axis=0)
        seq_lens = g.cast(g.op("Expand", _n_patches(g, T, net.patch_length), n_samples),
                          TensorProto.INT32)
    invalid = g.op("Greater", g.axes("ReduceMax", g.cast(refused, TensorProto.FLOAT), [1, 2],
                                     keepdims=0), g.const("zero", np.array(0, np.float32)))
    if rank == 3:
        empty = g.op("Equal", lengths, g.const("zero", np.array(0, np.int64)))
        invalid = g.op("Or", invalid, empty)
    clean = g.op("Where", bad, g.const("zero", np.array(0, np.float32)), s)
    largest = g.axes("ReduceMax", g.op("Abs", clean), [1, 2], keepdims=0)
    invalid = g.op("Or", invalid, g.op("Greater", largest, g.const(
        "largest_input", np.array(largest_input, np.float32))))
    clean = _fold_steps(g, clean, net, lengths if rank == 3 else None)
    return g.op("Transpose", clean, perm=[1, 0, 2]), seq_lens, padded, invalid, n_steps


def _with_filler_sample(g, x):
    """``x`` (N, ...) float64 with one sample of zeros appended: (N + 1, ...).

    onnxruntime's LSTM kernel aborts the whole process on a batch of 0
    sequences; with the filler the batch is never empty. Its outputs are
    dropped at the end (:func:`_without_filler_sample`).
    """
    rest = g.op("Slice", g.op("Shape", x), g.const("start", np.array([1], np.int64)),
                g.const("end", np.array([np.iinfo(np.int64).max], np.int64)))
    shape = g.op("Concat", g.const("one_sample", np.array([1], np.int64)), rest, axis=0)
    filler = g.op("ConstantOfShape", shape, value=from_array(np.zeros(1, np.float64)))
    return g.op("Concat", x, filler, axis=0)


def _without_filler_sample(g, values, out, n_steps=None):
    """Write ``values`` (N + 1, ...) less the filler sample to ``out``; per-step
    ``values`` (N + 1, T', ...) also cut to the input's ``n_steps`` (see
    :func:`_emit_input`)."""
    if n_steps is None:
        g.op("Slice", values, g.const("start", np.array([0], np.int64)),
             g.const("end", np.array([-1], np.int64)), g.const("axis", np.array([0], np.int64)),
             out=out)
        return
    g.op("Slice", values, g.const("start", np.array([0, 0], np.int64)),
         g.op("Concat", g.const("end", np.array([-1], np.int64)), n_steps, axis=0),
         g.const("axes", np.array([0, 1], np.int64)), out=out)


def _n_patches(g, n_steps, patch_length):
    """``ceil(n_steps / patch_length)`` of an int64 tensor, as predict counts patches."""
    if patch_length == 1:
        return n_steps
    p = np.array(patch_length, np.int64)
    return g.op("Div", g.op("Add", n_steps, g.const("p_minus_1", p - 1)), g.const("p", p))


def _fold_steps(g, s, net, lengths):
    """Steps (N, T, C) as patches (N, ceil(T / p), p C), as predict reads them
    (see ``sklstm._patching.fold_steps``).

    With ``net.patch_alignment == "end"``, zero steps start each sequence's
    first patch, so that its last patch ends at its last real step:
    ``(-T) mod p`` of them for a table (``lengths`` None, every sequence T
    steps), and for 3-D input each sequence's own ``(-length) mod p``, by a
    gather along the steps. With ``"start"``, zero steps complete the last
    patch of the whole array.
    """
    p_int, n_channels = net.patch_length, net.mean.size
    if p_int == 1:
        return s
    p = np.array([p_int], np.int64)
    T = g.op("Slice", g.op("Shape", s), g.const("start", np.array([1], np.int64)),
             g.const("end", np.array([2], np.int64)))
    # (p - T mod p) mod p zero steps complete ceil(T / p) patches
    missing = g.op("Mod", g.op("Sub", g.const("p", p), g.op("Mod", T, g.const("p", p))),
                   g.const("p", p))
    zero = g.const("zero", np.zeros(1, np.int64))
    if net.patch_alignment == "start":
        pads = g.op("Concat", g.const("zeros", np.zeros(4, np.int64)), missing, zero, axis=0)
    elif lengths is None:
        pads = g.op("Concat", zero, missing, g.const("zeros", np.zeros(4, np.int64)), axis=0)
    else:
        # p - 1 zero steps before every sequence, and the missing ones after;
        # sequence i then reads its steps from (p - 1) - lead_i on, where
        # lead_i = (-length_i) mod p.
        front = g.const("p_minus_1", p - 1)
        pads = g.op("Concat", zero, front, g.const("zeros", np.zeros(2, np.int64)), missing,
                    zero, axis=0)
        s = g.op("Pad", s, pads)
        p_scalar = g.const("p_scalar", np.array(p_int, np.int64))
        lead = g.op("Mod", g.op("Sub", p_scalar, g.op("Mod", lengths, p_scalar)), p_scalar)
        start = g.op("Sub", g.const("p_minus_1_scalar", np.array(p_int - 1, np.int64)), lead)
        width = g.op("Add", g.axes("Squeeze", T, [0]), g.axes("Squeeze", missing, [0]))
        steps = g.op("Range", g.const("zero_scalar", np.array(0, np.int64)), width,
                     g.const("one_scalar", np.array(1, np.int64)))  # (W,)
        index = g.op("Add", g.axes("Unsqueeze", steps, [0]), g.axes("Unsqueeze", start, [1]))
        index = g.op("Expand", g.axes("Unsqueeze", index, [2]),
                     g.const("channels", np.array([1, 1, n_channels], np.int64)))
        folded = g.op("GatherElements", s, index, axis=1)
        return g.op("Reshape", folded,
                    g.const("shape", np.array([0, -1, p_int * n_channels], np.int64)))
    padded = g.op("Pad", s, pads)
    return g.op("Reshape", padded,
                g.const("shape", np.array([0, -1, p_int * n_channels], np.int64)))


def _emit_lstm_layer(g, x, directions, coupled, seq_lens):
    """One ONNX LSTM operator.

    Parameters
    ----------
    x : str, (T, N, n_in) float32
    directions : list of (W, R, B, P) tuples from ``_onnx_lstm_weights``
        One for a forward layer; forward then backward for a bidirectional one.
    coupled : bool
    seq_lens : str, (N,) int32

    Returns
    -------
    Y : str, (T, N, D*H), zero at padded steps; units of each direction in turn
    Y_h : str, (N, D*H), each direction's state after its last real step
    """
    W, R, B, P = (None if a[0] is None else np.stack(a) for a in zip(*directions))
    D, H = R.shape[0], R.shape[2]
    inputs = [x, g.const("W", W), g.const("R", R), g.const("B", B), seq_lens]
    if P is not None:
        # Zero initial states, given explicitly: skl2onnx cannot sort a graph
        # with an omitted optional input before P.
        n_samples = g.op("Slice", g.op("Shape", x), g.const("start", np.array([1], np.int64)),
                         g.const("end", np.array([2], np.int64)))
        shape = g.op("Concat", g.const("D", np.array([D], np.int64)), n_samples,
                     g.const("H", np.array([H], np.int64)), axis=0)
        zeros = g.op("ConstantOfShape", shape, value=from_array(np.zeros(1, np.float32)))
        inputs += [zeros, zeros, g.const("P", P)]
    # layout=0 (time-major), the default: onnxruntime rejects layout=1.
    Y, Y_h = g.op(
        "LSTM", *inputs, n_out=2, hidden_size=H, input_forget=int(coupled),
        direction="forward" if len(directions) == 1 else "bidirectional",
    )
    flat = g.const("shape", np.array([0, 0, -1], np.int64))
    Y = g.op("Reshape", g.op("Transpose", Y, perm=[0, 2, 1, 3]), flat)  # (T, D, N, H) → (T, N, DH)
    Y_h = g.op("Reshape", g.op("Transpose", Y_h, perm=[1, 0, 2]),
               g.const("shape", np.array([0, -1], np.int64)))  # (D, N, H) → (N, DH)
    return Y, Y_h


def _emit_logits(g, net, rank, Y, Y_h):
    """Dense head: logits (N, k), or (N, T, k) in X's column order."""
    features = g.op("Transpose", Y, perm=[1, 0, 2]) if net.return_sequences else Y_h
    z = g.op("Add", g.op("MatMul", features, g.const("out_coef", net.out_coef)),
             g.const("out_intercept", net.out_intercept))
    if net.return_sequences and rank == 2 and net.newest_first:
        z = _reverse_steps(g, z)  # back to the table's newest-first columns
    return z


def _nan_where(g, net, values, padded, invalid):
    """NaN where predict gives NaN (padded steps) or raises (invalid samples)."""
    mask = g.axes("Unsqueeze", invalid, [1])  # (N, 1)
    if net.return_sequences:
        if padded is not None:
            mask = g.op("Or", mask, padded)  # (N, T)
        mask = g.axes("Unsqueeze", mask, [2])
    return g.op("Where", mask, g.const("nan", np.array(np.nan, np.float32)), values)


def _label_values(classes):
    """Class labels as ONNX can hold them: int64, double or strings (text,
    and the text of every other label, such as dates)."""
    if classes.dtype.kind == "u" and classes.size and classes.max() > np.iinfo(np.int64).max:
        raise ValueError(
            f"Cannot export: classes_ holds the label {classes.max()}, beyond the int64 "
            "labels of an ONNX graph (at most 2**63 - 1). Relabel the classes (e.g. with "
            "sklearn.preprocessing.LabelEncoder, or as strings) and refit."
        )
    if classes.dtype.kind in "iub":
        return classes.astype(np.int64), Int64TensorType
    if classes.dtype.kind == "f":
        return classes.astype(np.float64), DoubleTensorType
    return np.array([str(c) for c in classes], dtype=object), StringTensorType


def _emit_classes(g, net, z, label):
    """Write the labels of logits z (N[, T], k) to ``label``; return the probabilities."""
    # Labels are decided on the probabilities, as predict decides them.
    if net.task == "multilabel":
        probabilities = g.op("Sigmoid", z)
        half = g.const("half", np.array(0.5, np.float32))
        g.cast(g.op("Greater", probabilities, half), TensorProto.INT64, out=label)
        return probabilities
    if net.task == "binary":
        # sigmoid of each column, not 1 - p, as predict_proba computes it.
        probabilities = g.op("Concat", g.op("Sigmoid", g.op("Neg", z)), g.op("Sigmoid", z), axis=-1)
    else:
        probabilities = g.op("Softmax", z, axis=-1)
    index = g.op("ArgMax", probabilities, axis=-1, keepdims=0)
    g.op("Gather", g.const("classes", _label_values(net.classes)[0]), index, axis=0, out=label)
    return probabilities


def _input_form(variable, net):
    """Return (rank, ONNX element type, net) of the input, checked against the model.

    The axis that predict checks (a table's columns for a model fitted on
    tables, the channels of 3-D input) must be declared, with the model's
    size: the graph cannot refuse another at run time, and would read it
    wrong (one channel broadcast to all, columns read as other steps).
    The returned ``net`` reads a 2-D input as predict does: a model fitted
    on sequences of C channels with ``n_channels`` other than C reads a
    table of exactly C columns as one step per row.
    """
    if isinstance(variable.type, StringTensorType):
        raise TypeError(
            "Cannot export for an input declared as text (StringTensorType): sklstm models "
            "read numbers, and predict refuses text. Declare a FloatTensorType or "
            "DoubleTensorType input."
        )
    shape = list(variable.type.shape or [])
    C = net.mean.shape[0]
    if len(shape) == 2:
        # n_exog is refused before here: the graph reads no exogenous columns.
        n_channels, _ = table_layout(net.n_channels, 0, C, net.n_columns is not None, shape[1])
        net = replace(net, n_channels=n_channels)
        if net.n_channels != C:
            raise ValueError(
                f"Cannot export for a 2-D input of {_declared(shape[1])} columns: the model "
                f"was fitted on sequences of {C} channels, and with n_channels="
                f"{net.n_channels} predict reads only a table of {C} columns, one step per "
                f"row. Declare the input's shape as [None, {C}], or fit with n_channels={C} "
                f"to read tables of several steps of {C} channels."
            )
        if net.n_columns is not None and shape[1] != net.n_columns:
            raise ValueError(
                f"Cannot export for a 2-D input of {_declared(shape[1])} columns: the model "
                f"was fitted on tables of {net.n_columns} (n_features_in_). Declare the "
                f"input's shape as [None, {net.n_columns}]; in a pipeline, this is the width "
                "skl2onnx gives the steps before the model's."
            )
        if isinstance(shape[1], numbers.Integral) and shape[1] % C:
            raise ValueError(
                f"A 2-D input of {shape[1]} columns cannot hold n_channels={C} channels "
                "of equal length."
            )
    elif len(shape) == 3:
        axis = _channel_axis(net)
        if shape[axis] != C:
            raise ValueError(
                f"Cannot export for a 3-D input of {_declared(shape[axis])} channels on axis "
                f"{axis}: the model reads {C}. Declare the input's shape as "
                f"{_sequence_shape(net, C)}; in a pipeline, this is the shape skl2onnx gives "
                "the steps before the model's."
            )
    else:
        raise ValueError(
            f"sklstm models read 2-D tables or 3-D sequences, got an input of shape {shape}."
        )
    in_type = TensorProto.DOUBLE if isinstance(variable.type, DoubleTensorType) else (
        TensorProto.FLOAT if isinstance(variable.type, FloatTensorType) else None)
    return len(shape), in_type, net


def _channel_axis(net):
    """The axis of a 3-D input that holds the channels: 1 for channels-first models."""
    return 1 if net.channels_first else 2


def _sequence_shape(net, n_channels):
    """The declared shape of a 3-D input of any N and T: (N, C, T) or (N, T, C)."""
    shape = [None, None, None]
    shape[_channel_axis(net)] = n_channels
    return shape


def _declared(size):
    """A declared axis size for a message: the number, or "an unknown number of"."""
    return str(size) if isinstance(size, numbers.Integral) else "an unknown number of"


# -- skl2onnx registration --------------------------------------------------------


def _target_mapping(mean, scale, dtype):
    """``mean / scale`` and ``scale`` in the output's ``dtype``, for the
    regressor's head ``(z + mean / scale) * scale``; raise where that dtype
    cannot map the outputs back to the targets' units.

    The mean is not added on its own: onnxruntime's optimiser drops an Add
    of a constant that is 0 in float32, so a mean below float32's range
    (targets of 1e-50) was lost from float64 graphs; ``mean / scale`` is of
    the outputs' order. In float32 the statistics must lie within its range
    and the scale within its normal range (1e-50 became 0, and every output
    the mean).

    Parameters
    ----------
    mean, scale : ndarray of shape (n_outputs,), float64
    dtype : {numpy.float32, numpy.float64}

    Returns
    -------
    offset, scale : ndarray of shape (n_outputs,), of ``dtype``
    """
    with np.errstate(divide="ignore", over="ignore"):
        offset = mean / scale
    if dtype == np.float32:
        fix = ("Pass a float64 X_example (or declare a DoubleTensorType input) for float64 "
               "outputs.")
        float32 = np.finfo(np.float32)
        beyond = (np.abs(mean) > float32.max) | (scale > float32.max)
        if (beyond | (np.abs(offset) > float32.max)).any():
            raise ValueError(
                f"Cannot export with a float32 input: target_mean_ or target_scale_ (largest "
                f"{max(np.abs(mean).max(), scale.max()):.3g}) is beyond float32, the graph's "
                f"output dtype for it. {fix}"
            )
        tiny = np.flatnonzero(scale < float32.tiny)
        if tiny.size:
            k = int(tiny[0])
            raise ValueError(
                f"Cannot export with a float32 input: output {k}'s target_scale_, "
                f"{scale[k]:.3g}, is below float32's normal range, where the graph's float32 "
                f"outputs would lose the targets' spread. {fix}"
            )
    elif not np.all(np.isfinite(offset)):  # a spread below float64's resolution
        raise ValueError(
            "Cannot export: target_mean_ / target_scale_ is beyond float64; the "
            "targets vary by less than float64 resolves at their mean."
        )
    return offset.astype(dtype), scale.astype(dtype)


def _convert(scope, operator, container):
    """skl2onnx converter of LSTMRegressor and LSTMClassifier."""
    # One state read throughout, whatever a fit in another thread commits.
    estimator = scratch_copy(operator.raw_operator)
    net = _describe(estimator)
    g = _Graph(scope, container)
    if g.opset < _MIN_OPSET:
        raise ValueError(f"sklstm.onnx needs target_opset >= {_MIN_OPSET}, got {g.opset}.")
    x = _only_input(operator)
    rank, in_type, net = _input_form(x, net)
    # Once per graph: a bisection over the float32 values (about 0.4 s for
    # three layers of 512 units), which _describe's other callers need not.
    # The estimator's own layers and flag (_describe checked it is the fitted one).
    largest_input = largest_safe_input(estimator.coefs_, np.float32,
                                       bidirectional=bool(estimator.bidirectional))
    steps, seq_lens, padded, invalid, n_steps = _emit_input(
        g, x.full_name, rank, in_type, net, largest_input)
    if not net.return_sequences:
        n_steps = None
    for directions in net.layers:
        steps, last = _emit_lstm_layer(g, steps, directions, net.coupled, seq_lens)
    z = _emit_logits(g, net, rank, steps, last)
    out_type = TensorProto.DOUBLE if in_type == TensorProto.DOUBLE else TensorProto.FLOAT
    if net.task == "regression":
        values = _nan_where(g, net, z, padded, invalid)
        dtype = np.float64 if out_type == TensorProto.DOUBLE else np.float32
        offset, scale = _target_mapping(net.target_mean, net.target_scale, dtype)
        values = g.op("Add", g.cast(values, out_type), g.const("target_offset", offset))
        values = g.op("Mul", values, g.const("target_scale", scale))
        # An output beyond float32 (a float32 output's, or the float32 layers'
        # and logits' in either) is NaN, as every output the graph cannot
        # give: predict's float64 value there is finite.
        values = g.op("Where", g.op("IsInf", values), g.const("nan", np.array(np.nan, dtype)),
                      values)
        _without_filler_sample(g, values, operator.outputs[0].full_name, n_steps)
        return
    labels = g.scope.get_unique_variable_name("labels")
    probabilities = _emit_classes(g, net, z, labels)
    probabilities = _nan_where(g, net, probabilities, padded, invalid)
    _without_filler_sample(g, labels, operator.outputs[0].full_name, n_steps)
    _without_filler_sample(g, g.cast(probabilities, out_type), operator.outputs[1].full_name,
                           n_steps)


def _only_input(operator):
    """The operator's one input; a graph declaring others would require
    inputs that no node reads, and fail only when run."""
    if len(operator.inputs) != 1:
        names = [variable.onnx_name for variable in operator.inputs]
        raise ValueError(
            f"{type(operator.raw_operator).__name__} reads one input, X, but "
            f"{len(operator.inputs)} are declared: {names}. Declare one in initial_types "
            "(channels, or a table's columns, are axes of that one tensor)."
        )
    return operator.inputs[0]


def _calculate_shapes(operator):
    """skl2onnx shape calculator: outputs shaped as predict_proba and predict
    (a regressor's with its targets' axis, one target too)."""
    net = _describe(scratch_copy(operator.raw_operator))
    x = _only_input(operator)
    rank, _, net = _input_form(x, net)
    shape = list(x.type.shape)
    N = shape[0]
    steps = []
    if net.return_sequences:
        T = shape[3 - _channel_axis(net)] if rank == 3 else (
            shape[1] // net.n_channels if isinstance(shape[1], numbers.Integral) else None)
        steps = [T]
    value_type = DoubleTensorType if isinstance(x.type, DoubleTensorType) else FloatTensorType
    k = net.out_coef.shape[1]
    if net.task == "regression":
        operator.outputs[0].type = value_type([N, *steps, k])
        return
    labels = [N, *steps] + ([k] if net.task == "multilabel" else [])
    label_type = Int64TensorType if net.task == "multilabel" else _label_values(net.classes)[1]
    operator.outputs[0].type = label_type(labels)
    operator.outputs[1].type = value_type([N, *steps, len(net.classes)])


def _parse_classifier(scope, model, inputs, custom_parsers=None):
    """skl2onnx parser: a classifier's outputs are label, then probabilities."""
    # skl2onnx's pipelines ask every classifier for ZipMap by default. As
    # skl2onnx does for its multi-output classifiers, ignore it with a
    # warning: a map cannot hold per-step or multilabel probabilities.
    if scope.get_options(model, dict(zipmap=False)).get("zipmap"):
        warn(
            "Option zipmap is ignored for LSTMClassifier: its outputs are the tensors "
            "label and probabilities. Pass options={'zipmap': False} to remove this "
            "message.", UserWarning,
        )
    operator = scope.declare_local_operator(get_model_alias(type(model)), model)
    operator.inputs = inputs
    label_type = StringTensorType if np.asarray(model.classes_).dtype.kind in "USO" else (
        Int64TensorType)
    value_type = DoubleTensorType if isinstance(inputs[0].type, DoubleTensorType) else (
        FloatTensorType)
    operator.outputs.append(scope.declare_local_variable("label", label_type()))
    operator.outputs.append(scope.declare_local_variable("probabilities", value_type()))
    return operator.outputs


def _register():
    update_registered_converter(
        LSTMRegressor, "SklstmLSTMRegressor", _calculate_shapes, _convert)
    update_registered_converter(
        LSTMClassifier, "SklstmLSTMClassifier", _calculate_shapes, _convert,
        parser=_parse_classifier, options={"zipmap": [False, True, "columns"]})
    # Registered to be refused by name (in _describe), not by skl2onnx's
    # "Unable to find a shape calculator".
    update_registered_converter(
        LSTMEncoderDecoderRegressor, "SklstmLSTMEncoderDecoderRegressor", _calculate_shapes,
        _convert)


_register()


# -- public entry point -------------------------------------------------------------


@contextlib.contextmanager
def _named_x_example():
    """Say that predict's refusal (which calls the input X) is of X_example."""
    try:
        yield
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"X_example, as predict reads it: {exc}") from None


def _example_form(X_example, estimator):
    """Return (rank, dtype, n_columns or None) of X_example, checked by predict.

    ``dtype`` is the one predict reads X_example in: float32 for
    float32 values, else float64 (integers, objects, bools, float16), so
    that the graph rounds nothing predict keeps (float32 would merge
    integers beyond 2**24, timestamps or counters, before standardising).
    """
    as_list = is_list_of_sequences(X_example, "X_example")
    # Read whole, as predict reads it (below, only the first row or
    # sequence is predicted on): a date, category or text column or item,
    # sparse or masked data are refused in predict's words, and the values'
    # dtype is what predict makes of any container. Its warnings are the
    # user's news.
    with _named_x_example():
        dtype = estimator._convert_X(X_example, reset=False)[0].values.dtype
    if as_list:
        # A list of sequences (or a DataFrame of series), as predict reads
        # it; the graph takes them padded with trailing NaN into one 3-D array.
        sample, rank = X_example[:1], 3
    elif isinstance(X_example, pd.DataFrame):
        # The graph reads columns by position: predict checks that their
        # names and order are fit's.
        sample, rank = X_example.iloc[:1], 2
    else:
        arr = np.asarray(X_example)
        if arr.ndim not in (2, 3):
            raise ValueError(
                "X_example must be a 2-D table (n_samples, n_columns), 3-D sequences "
                "(n_samples, n_timesteps, n_channels) or a list of sequences, got an "
                f"array of shape {arr.shape}."
            )
        sample, rank = arr[:1], arr.ndim
    # predict raises its own clear error if X_example does not fit the model;
    # what the whole example's reading above warned, it would warn again.
    with silenced(Warning), _named_x_example():
        estimator.predict(sample)
    n_columns = np.shape(sample)[1] if rank == 2 else None
    return rank, dtype, n_columns


@underflow_is_zero
def to_onnx(estimator, X_example, *, target_opset=None):
    """Convert a fitted LSTMRegressor or LSTMClassifier to an ONNX model.

    Parameters
    ----------
    estimator : LSTMRegressor or LSTMClassifier
        A fitted estimator.
    X_example : array-like of shape (n_samples, n_columns) or \
            (n_samples, n_timesteps, n_channels), list of arrays, or \
            DataFrame of series
        Input of the form the model will receive: a 2-D table gives a graph
        whose input ``X`` is (N, n_columns) (for a model fitted on sequences
        of C channels, a table of C columns: one step per row, as
        ``predict`` reads it); 3-D sequences, a list of sequences or a
        DataFrame of series (sktime's nested_univ panel) give (N, T,
        n_channels) for any N and T, with trailing
        all-NaN steps as padding ((N, n_channels, T) for a model of
        ``data_format="channels_first"``, padded along the last axis). The
        input's dtype is the one ``predict`` reads ``X_example`` in:
        float32 for float32 values (NumPy's, in a list, or float32 columns),
        float64 for anything else (float64, integers, objects, bools,
        float16), so that the graph rounds nothing ``predict`` keeps (float32
        would merge integers beyond 2**24).
    target_opset : int, default=None
        Opset of the main ONNX domain, from 13 to the newest that the
        installed onnx and skl2onnx write; None uses ``DEFAULT_OPSET`` (17).

    Returns
    -------
    model : onnx.ModelProto
        One input ``X``. A regressor has one output ``variable``:
        ``predict``'s values with the targets' axis kept, (N, n_targets) or
        (N, T, n_targets), (N, 1) for one target; a classifier has ``label`` then
        ``probabilities`` (the shapes of ``predict`` and ``predict_proba``).

    Raises
    ------
    ValueError
        If the estimator's configuration is not one the exporter expresses
        exactly (the message names the parameter), or ``target_opset`` is
        out of range.
    TypeError
        If ``estimator`` is not an ``LSTMRegressor`` or ``LSTMClassifier``
        (an encoder-decoder, say), or ``target_opset`` is not an int.
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.

    Examples
    --------
    >>> import numpy as np
    >>> import onnxruntime as ort
    >>> from sklstm import LSTMRegressor
    >>> from sklstm.onnx import to_onnx
    >>> X = np.random.RandomState(0).normal(size=(40, 6, 2)).astype(np.float32)
    >>> model = LSTMRegressor(hidden_layer_sizes=(4,), max_iter=5,
    ...                       random_state=0).fit(X, X[:, -1, 0])
    >>> onx = to_onnx(model, X)
    >>> session = ort.InferenceSession(onx.SerializeToString(),
    ...                                providers=["CPUExecutionProvider"])
    >>> y_onnx = session.run(None, {"X": X})[0]
    >>> y_onnx.shape
    (40, 1)
    >>> bool(np.allclose(y_onnx.ravel(), model.predict(X), atol=1e-5))
    True
    """
    target_opset = _check_target_opset(target_opset)
    if type(estimator) in (LSTMRegressor, LSTMClassifier):  # others: _describe says what it takes
        estimator = scratch_copy(estimator)  # one state, whatever a fit commits meanwhile
    net = _describe(estimator)  # refuse before touching X_example
    rank, dtype, n_columns = _example_form(X_example, estimator)
    shape = [None, n_columns] if rank == 2 else _sequence_shape(net, len(net.mean))
    tensor_type = DoubleTensorType if dtype == np.float64 else FloatTensorType
    return convert_sklearn(
        estimator,
        initial_types=[("X", tensor_type(shape))],
        target_opset=target_opset,
    )
