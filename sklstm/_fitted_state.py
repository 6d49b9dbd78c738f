"""Checks of fitted state that ``fit`` did not write.

A fitted model's state also arrives from a file (pickle, joblib, skops: see
``BaseLSTM.__setstate__``) and from weights set by hand on a fitted shell
(weights in PyTorch's layout, see the README). Both go through
``BaseLSTM._check_fitted_state``, which uses these helpers. Each names the
attribute and says what it must be, so that a bad state is refused where it
arrives, not deep inside NumPy at predict, and never predicts silently wrong.
A wrong type raises TypeError, a wrong value (shape, NaN, range) ValueError.
"""

import functools
import numbers

import numpy as np

from ._checks import FLOAT_DTYPES, reject_masked
from ._params import layer_shapes

__all__ = [
    "check_float_array", "check_head", "check_input_statistics",
    "check_layer_arrays", "check_layer_shapes", "check_positive", "load_staged",
    "reads_one_state", "replace_state", "rng_from_saved", "saved_rng", "scratch_copy",
    "with_class_name",
]


def scratch_copy(owner):
    """A shallow copy of ``owner`` that is not a load: ``copy.copy`` would run
    ``__setstate__``'s checks, and refuse a state that a new ``fit`` (which
    works on such a copy) is about to replace."""
    copied = object.__new__(type(owner))
    copied.__dict__.update(owner.__dict__)
    return copied


def replace_state(owner, state):
    """Give ``owner`` the attributes ``state`` (name -> value) in one step.

    The instance dictionary is swapped, not updated name by name: a call
    reading the model in another thread (a prediction served while
    ``partial_fit`` learns) reads the old state or the new one, never an
    old attribute beside a new one, nor a model between the two that was
    never fitted.
    """
    owner.__dict__ = dict(state)


def reads_one_state(method):
    """Run the read-only ``method`` on a snapshot of its model's attributes.

    A fit commits its state in one step (:func:`replace_state`); a
    prediction reads many attributes one after another, and read from the
    model itself, could read some from before a commit in another thread
    and some from after it. The snapshot is a shallow copy, taken at once.
    """
    @functools.wraps(method)
    def on_a_snapshot(self, *args, **kwargs):
        return method(scratch_copy(self), *args, **kwargs)

    return on_a_snapshot


def load_staged(owner, state):
    """``owner.__setstate__``'s commit: the state is loaded into a new object
    of its class (its ``_load_state``, which checks it), then merged into
    ``owner``, so that a refused state leaves ``owner`` as it was."""
    if not isinstance(state, dict):
        raise TypeError(load_refusal(
            owner, f"a saved state is a dict of attributes, not {type(state).__name__}."))
    if _CLASS_KEY in state:
        state = dict(state)  # the caller's state stays as given
        saved = state.pop(_CLASS_KEY)
        if saved != type(owner).__name__:
            raise ValueError(load_refusal(
                owner, f"it was saved from a {saved}. Load it as that class."))
    staged = object.__new__(type(owner))
    staged._load_state(state)
    owner.__dict__.update(staged.__dict__)


# The key of the class's name in a saved state: a state loaded as another
# class (a swapped skops type, a hand-made __setstate__) loaded, and failed
# far from its cause. States saved before it hold none and are not checked.
_CLASS_KEY = "_sklstm_class"


def with_class_name(owner, state):
    """``state`` (a dict the caller owns), recording ``owner``'s class for
    :func:`load_staged`."""
    state[_CLASS_KEY] = type(owner).__name__
    return state


def _described(value):
    if isinstance(value, np.ndarray):
        return f"an array of dtype {value.dtype}"
    return f"{type(value).__name__} {value!r}" if np.ndim(value) == 0 else type(value).__name__


# numpy.random.RandomState's Mersenne Twister: 624 words of state, and the
# position of the next word to use (624: all used, regenerate first).
_MT_WORDS = 624


def saved_rng(rng):
    """A RandomState's state as plain data (a dict), as a model saves it.

    Saved as the generator object, the state was rebuilt by NumPy before the
    model's load could check it: a damaged key failed inside NumPy, and a
    position out of range loaded silently.
    """
    name, key, pos, has_gauss, cached_gaussian = rng.get_state()
    return {"bit_generator": name, "key": key, "pos": int(pos), "has_gauss": int(has_gauss),
            "cached_gaussian": float(cached_gaussian)}


def rng_from_saved(saved):
    """The RandomState of :func:`saved_rng`'s ``saved``, checked by name."""
    expected = {"bit_generator", "key", "pos", "has_gauss", "cached_gaussian"}
    if set(saved) != expected:
        raise ValueError(f"_rng must hold the entries {sorted(expected)}, got {sorted(saved)}.")
    if saved["bit_generator"] != "MT19937":
        raise ValueError(f"_rng: bit_generator must be 'MT19937', got {saved['bit_generator']!r}.")
    key = saved["key"]
    if not isinstance(key, np.ndarray) or key.dtype != np.uint32 or key.shape != (_MT_WORDS,):
        shape = f" of shape {key.shape}" if isinstance(key, np.ndarray) else ""
        raise TypeError(f"_rng: key must be a uint32 array of shape ({_MT_WORDS},), got "
                        f"{_described(key)}{shape}.")
    if not key.any():
        raise ValueError("_rng: key is all zeros, a state the generator never reaches.")
    for name, high in (("pos", _MT_WORDS), ("has_gauss", 1)):
        value = saved[name]
        if not isinstance(value, numbers.Integral) or isinstance(value, bool):
            raise TypeError(f"_rng: {name} must be an int, got {_described(value)}.")
        if not 0 <= value <= high:
            raise ValueError(f"_rng: {name} must be in [0, {high}], got {value}.")
    cached = saved["cached_gaussian"]
    if not isinstance(cached, numbers.Real) or not np.isfinite(cached):
        raise ValueError(f"_rng: cached_gaussian must be a finite number, got "
                         f"{_described(cached)}.")
    rng = np.random.RandomState()
    rng.set_state(("MT19937", key, int(saved["pos"]), int(saved["has_gauss"]), float(cached)))
    return rng


def load_refusal(owner, exc):
    """The message refusing a loaded (or copied) state of ``owner`` for ``exc``."""
    return f"The loaded state is not that of a fitted {type(owner).__name__}: {exc}"


def check_before_saving(owner, check):
    """Run ``check``, the check loading runs, before ``owner``'s state is
    saved (pickled, copied): a state loading would refuse (fitted attributes
    set by hand, say) is refused now, not where and when the file is read."""
    try:
        check()
    except (TypeError, ValueError) as exc:
        raise type(exc)(
            f"Cannot save this {type(owner).__name__}, as loading would refuse its state: {exc}"
        ) from None


def check_float_array(value, name, shape=None, meaning="", *, allow_nan=False):
    """Refuse anything but a finite float32 or float64 ndarray (of ``shape``).

    ``meaning`` follows the expected shape in the message, e.g. " (one per
    channel)". ``allow_nan`` lets NaN (a missing value) pass, not infinity.
    """
    reject_masked(value, name, f"Set {name} to {name}.filled(value) with the values meant.")
    if not isinstance(value, np.ndarray) or value.dtype not in FLOAT_DTYPES:
        expected = "" if shape is None else f" of shape {shape}{meaning}"
        raise TypeError(
            f"{name} must be a float32 or float64 NumPy array{expected}, got "
            f"{_described(value)}."
        )
    if shape is not None and value.shape != shape:
        raise ValueError(f"{name} must have shape {shape}{meaning}, got {value.shape}.")
    if allow_nan and np.isinf(value).any():
        raise ValueError(f"{name} holds infinity.")
    if not allow_nan and not np.all(np.isfinite(value)):
        raise ValueError(f"{name} holds NaN or infinity.")
    return value


def check_positive(value, name):
    """Refuse a scale (already a checked float array) with an entry <= 0."""
    if not np.all(value > 0):
        raise ValueError(f"{name} must be > 0 everywhere, got {value.tolist()}.")


def check_input_statistics(mean, scale):
    """``input_mean_`` and ``input_scale_``: one finite value per channel,
    the scale > 0. Returns the number of channels."""
    check_float_array(mean, "input_mean_")
    if mean.ndim != 1 or mean.size == 0:
        raise ValueError(
            f"input_mean_ must be 1-D, one value per channel, got shape {mean.shape}."
        )
    check_float_array(scale, "input_scale_")
    if scale.shape != mean.shape:
        # Either may be the one set by hand: name both.
        raise ValueError(
            f"input_mean_ and input_scale_ must hold one value per channel each, of the "
            f"same shape; got {mean.shape} and {scale.shape}."
        )
    check_positive(scale, "input_scale_")
    return mean.size


def check_layer_arrays(coefs):
    """``coefs_``: a non-empty list of dicts of finite float arrays."""
    if not isinstance(coefs, list):
        raise TypeError(
            f"coefs_ must be a list with one dict of weights per LSTM layer, got "
            f"{_described(coefs)}."
        )
    if not coefs:
        raise ValueError("coefs_ must hold one dict of weights per LSTM layer, got [].")
    for k, layer in enumerate(coefs):
        if not isinstance(layer, dict):
            raise TypeError(
                f"coefs_[{k}] must be a dict of weights ('W', 'R', 'b', ...), got "
                f"{_described(layer)}."
            )
        for key, value in layer.items():
            check_float_array(value, f"coefs_[{k}][{key!r}]")


def _transposed_hint(key, shape, expected, k, n_dir):
    """A hint when ``coefs_[k][key]`` has the transposed shape, as PyTorch
    stores it: layer ``k // n_dir``, the backward direction's ``_reverse``."""
    torch_names = {"W": ("weight_ih_l", "(4H, n_in)"), "R": ("weight_hh_l", "(4H, H)")}
    if key in torch_names and len(shape) == 2 and shape == expected[::-1]:
        name, form = torch_names[key]
        name += f"{k // n_dir}{'_reverse' if k % n_dir else ''}"
        return f" It looks transposed: PyTorch's {name} is {form}; set {key} to its transpose."
    return ""


def check_layer_shapes(coefs, n_features, architecture, *, first=0, reads=None):
    """The shapes of ``coefs_`` (arrays checked by :func:`check_layer_arrays`)
    against the fitted architecture and ``n_features`` values per LSTM step.

    A recurrent matrix of another size names ``hidden_layer_sizes``; an input
    matrix of other rows names the channels and ``patch_length_``, or what
    ``reads`` says the first layer reads. ``coefs`` may be one stack of a
    longer ``coefs_`` that starts at index ``first`` (an encoder-decoder's).
    """
    sizes = tuple(architecture["hidden_layer_sizes"])
    bidirectional = bool(architecture["bidirectional"])
    expected = layer_shapes(
        n_features, sizes, peephole=architecture["peephole"],
        coupled=architecture["coupled_gates"], gate_variant=architecture["gate_variant"],
        bidirectional=bidirectional,
    )
    n_dir = 2 if bidirectional else 1
    if len(coefs) != len(expected):
        per_layer = " (two per layer: bidirectional=True)" if bidirectional else ""
        raise ValueError(
            f"coefs_ must hold {len(expected)} dict(s) of weights{per_layer} for "
            f"hidden_layer_sizes={sizes}, got {len(coefs)}."
        )
    for k, (layer, shapes) in enumerate(zip(coefs, expected)):
        name = f"coefs_[{first + k}]"
        if set(layer) != set(shapes):
            raise ValueError(
                f"{name} must hold the arrays {sorted(shapes)} (peephole="
                f"{architecture['peephole']}, gate_variant={architecture['gate_variant']!r}), "
                f"got {sorted(layer)}."
            )
        H, (_, n_cols) = sizes[k // n_dir], shapes["R"]
        R = layer["R"]
        if R.shape != shapes["R"] and R.ndim == 2 and R.shape[1] * H == n_cols * R.shape[0]:
            raise ValueError(
                f"{name}['R'] has shape {R.shape}, the weights of a layer of "
                f"{R.shape[0]} units, but the model was fitted with hidden_layer_sizes="
                f"{sizes}: fit the model (the shell) with the sizes of the weights first."
            )
        for key in ("R", *[key for key in shapes if key != "R"]):
            shape, want = layer[key].shape, shapes[key]
            if shape == want:
                continue
            described = ""
            if key == "W" and k < n_dir:
                described = reads or (
                    f"each LSTM step reads {n_features} value(s): channels × patch_length_")
                described = f" ({described})"
            elif key == "W":
                described = f" (the units of the layer below{', both directions' * bidirectional})"
            raise ValueError(
                f"{name}[{key!r}] must have shape {want}{described}, got {shape}."
                + _transposed_hint(key, shape, want, k, n_dir)
            )


def check_head(coef, intercept, n_top, n_logits, targets, *, binary=False):
    """``out_coef_`` (n_top, n_logits) and ``out_intercept_`` (n_logits,).

    ``targets`` says where ``n_logits`` comes from, e.g. "n_outputs_=1";
    ``binary`` whether the one logit is a binary classifier's.
    """
    check_float_array(coef, "out_coef_")
    check_float_array(intercept, "out_intercept_")
    if coef.ndim != 2:
        raise ValueError(
            f"out_coef_ must be 2-D, of shape (units of the top layer, outputs) = "
            f"{(n_top, n_logits)}, got shape {coef.shape}. PyTorch's Linear.weight is "
            "(outputs, units): set out_coef_ to its transpose."
        )
    if coef.shape == (n_logits, n_top) and n_logits != n_top:
        raise ValueError(
            f"out_coef_ must have shape {(n_top, n_logits)} (units, outputs), got "
            f"{coef.shape}. It looks transposed: PyTorch's Linear.weight is (outputs, "
            "units); set out_coef_ to its transpose."
        )
    if binary and coef.shape[1] == 2:
        raise ValueError(
            "out_coef_ has 2 output columns, but a binary classifier has one logit, "
            "whose sigmoid is the second class's probability. A two-logit softmax head "
            "(PyTorch's with CrossEntropyLoss) gives the same probabilities as one logit, "
            "their difference: from a Linear of weight (2, units) and bias (2,), "
            "out_coef_ = (weight[1] - weight[0])[:, None] and out_intercept_ = "
            "np.array([bias[1] - bias[0]])."
        )
    if coef.shape[1] != n_logits:
        raise ValueError(
            f"out_coef_ has {coef.shape[1]} output column(s), but the fitted model has "
            f"{n_logits} ({targets}): fit the model (the shell) on targets of as many "
            "outputs as the weights have."
        )
    if coef.shape != (n_top, n_logits):
        raise ValueError(
            f"out_coef_ must have shape {(n_top, n_logits)} (the top layer's units, of "
            f"both directions when bidirectional; outputs), got {coef.shape}."
        )
    if intercept.shape != (n_logits,):
        raise ValueError(
            f"out_intercept_ must have shape {(n_logits,)} ({targets}), got {intercept.shape}."
        )
