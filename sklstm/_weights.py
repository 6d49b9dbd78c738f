"""The one check of sample and class weights, for every fit, partial_fit and score.

Per-sample weights, class weights and their product all go through
:func:`check_sample_weight`'s rules (real, finite, non-negative numbers with
a sum that the fit's dtype holds as a positive normal number), and an
error names the bad sample or class.
"""

import datetime

import numpy as np
import pandas as pd

from ._checks import python_scalar, quoted, quoted_label, reject_masked, reject_records
from ._scaling import unit_exponents
from ._validation import (
    _as_array, _holds_text, _object_numbers, _reject_sparse, is_real_number_dtype, label_text,
    labels_text, refuse_beyond_float64, reject_non_array,
)

__all__ = [
    "balanced_sample_weight", "check_class_weight", "check_sample_weight",
    "dict_class_sample_weight",
]


def check_sample_weight(
    sample_weight, n_samples, *, name="sample_weight", dtype=np.float64, scale_free=False,
):
    """The one check of per-sample weights, for ``fit``, ``partial_fit`` and ``score``.

    Class weights, once expanded to samples, are checked here too.

    Parameters
    ----------
    sample_weight : array-like of shape (n_samples,), scalar, or None
    n_samples : int
    name : str, default="sample_weight"
        Name used in error messages.
    dtype : float dtype, default=np.float64
        The dtype the weights are computed in (the fit's, X's); their sum
        must be a normal number of it.
    scale_free : bool, default=False
        Whether only the weights' ratios matter (``score``): a sum beyond
        the dtype's normal range is then brought into it by a power of two,
        exactly, rather than refused.

    Returns
    -------
    sample_weight : ndarray of shape (n_samples,), float64, or None

    Raises
    ------
    TypeError
        If the weights are not numbers (text, dates, durations), or are a
        masked array.
    ValueError
        If they have the wrong length, are complex, text, non-finite or
        negative, or sum to zero, to more than ``dtype`` holds, or to less
        than its smallest normal number.
    """
    if sample_weight is None:
        return None
    reject_masked(
        sample_weight, name,
        f"Give the masked samples weight 0 instead: {name}.filled(0).",
    )
    _reject_sparse(sample_weight, name, "weights")
    reject_non_array(sample_weight, name, "an array-like of one weight per sequence")
    given_dtype = getattr(sample_weight, "dtype", None)
    if (isinstance(given_dtype, pd.api.extensions.ExtensionDtype)
            and is_real_number_dtype(given_dtype) and np.ndim(sample_weight) == 1
            and pd.isna(sample_weight).any()):
        # pandas' nullable numbers give NaN for pd.NA: kept as objects, a
        # missing weight is named missing, as in an object array.
        sample_weight = np.asarray(sample_weight, dtype=object)
    sw = _as_array(sample_weight, name, f"{name} holds one weight per sequence, "
                                         "shape (n_samples,), also with per-step targets.")
    if sw.ndim == 0:
        sw = np.full(n_samples, sw)
    if sw.shape != (n_samples,):
        raise ValueError(f"{name}.shape == {sw.shape}, expected ({n_samples},).")
    sw = _weight_values(sw, [f"{name}[{i}]" for i in range(n_samples)], name)
    with np.errstate(over="ignore"):
        total = sw.sum()
    if total <= 0:
        raise ValueError(f"{name} must sum to a positive number; all weights are zero.")
    limits = np.finfo(dtype)
    if scale_free and not limits.tiny <= total <= limits.max:
        sw = np.ldexp(sw, -unit_exponents(sw))  # the largest weight now in [0.5, 1)
        total = sw.sum()
    # The weights' scale matters to a fit: its L2 penalty is alpha / sum(weights).
    if not total <= limits.max:
        raise ValueError(
            f"{name} sums to more than {limits.dtype} holds. {_rescaling('Divide', name)}"
        )
    if total < limits.tiny:
        raise ValueError(
            f"{name} sums to {total:.3g}, less than the smallest normal {limits.dtype} "
            f"({limits.tiny:.3g}): the weights lose their precision, and with alpha > 0 "
            f"the L2 penalty, alpha / sum({name}), overflows. Scale the weights up, for "
            "example to a mean of 1."
        )
    return sw


def balanced_sample_weight(labels, sample_weight=None):
    """Per-sample weights of ``class_weight="balanced"``, classes counted by weight.

    Each class weighs ``total / (n_classes * its count)``, where the counts
    are sums of ``sample_weight``, as in scikit-learn's
    ``compute_class_weight("balanced", ..., sample_weight=...)``: a weight
    of k then counts as k copies of the sample. Classes whose samples all
    weigh 0 are not counted, as if their samples were absent. Multilabel
    indicators are balanced column by column and a sample's weights
    multiply, as in ``compute_sample_weight``. With unit weights this is
    ``compute_sample_weight("balanced", labels)`` bit for bit.

    Parameters
    ----------
    labels : ndarray of shape (n_samples,) or (n_samples, n_labels)
        Class labels, or multilabel indicators.
    sample_weight : ndarray of shape (n_samples,) or None
        Checked weights (see :func:`check_sample_weight`).

    Returns
    -------
    class_sample_weight : ndarray of shape (n_samples,)
        The class weight of each sample (0 where its class weighs 0 in all).
    """
    n = len(labels)
    weights = np.ones(n) if sample_weight is None else np.asarray(sample_weight, dtype=float)
    class_sample_weight = np.ones(n)
    for column in np.asarray(labels).reshape(n, -1).T:
        values, index = np.unique(column, return_inverse=True)
        counts = np.bincount(index, weights=weights, minlength=values.size)
        counted = counts > 0
        per_value = np.zeros(values.size)
        per_value[counted] = counts.sum() / (counted.sum() * counts[counted])
        class_sample_weight *= per_value[index]
    return class_sample_weight


def check_class_weight(class_weight, classes, multilabel=False):
    """Check ``class_weight``: "balanced", a dict label -> weight (labels of
    one class per sample), a list of dicts 0/1 -> weight (one per label of
    multilabel indicators), or None.

    ``classes`` are the known labels (the column numbers of multilabel
    targets). Returns ``class_weight`` when valid, a dict with its keys as
    :func:`_keyed_as_classes` matches them to the classes. Each weight is
    held to the rules of :func:`check_sample_weight`, and an error names its class.
    """
    if class_weight is None or (isinstance(class_weight, str) and class_weight == "balanced"):
        return class_weight
    if isinstance(class_weight, str):  # of the right type, not an option: as _param_validation
        raise ValueError(
            f"class_weight must be 'balanced' (its only text), a dict, a list of dicts or "
            f"None, got {class_weight!r}."
        )
    if isinstance(class_weight, dict):
        if multilabel:
            raise ValueError(
                f"y is a multilabel indicator of {len(classes)} labels: class_weight must be "
                "a list of as many dicts, each {0: weight, 1: weight} for one label; got a "
                "dict."
            )
        known = _class_keys(classes)
        keyed = _keyed_as_classes(class_weight, classes)
        if not all(label in keyed for label in known):
            # As scikit-learn's rule: a dict naming every class of y may name
            # others too (classes a cross-validation fold lacks); otherwise a
            # name that is no class is most likely a misspelt one.
            _check_weighted_labels(keyed, known, "class_weight", "classes of y")
        dicts, prefixes = [class_weight], ["class_weight"]
        checked = keyed
    elif isinstance(class_weight, list) and all(isinstance(d, dict) for d in class_weight):
        if not multilabel:
            raise ValueError(
                "class_weight is a list of dicts, which is for multilabel indicators (one "
                "dict per label); y holds one class per sample: pass one dict, "
                "class -> weight."
            )
        if len(class_weight) != len(classes):
            raise ValueError(
                f"class_weight holds {len(class_weight)} dict(s); y is a multilabel "
                f"indicator of {len(classes)} labels, which needs one per label."
            )
        for k, weights in enumerate(class_weight):
            _check_weighted_labels(weights, [0, 1], f"class_weight[{k}]",
                                   "values of a label's column")
        dicts = checked = class_weight
        prefixes = [f"class_weight[{k}]" for k in range(len(class_weight))]
    else:
        raise TypeError(
            "class_weight must be a dict, a list of dicts, 'balanced' or None, got "
            f"{class_weight!r}."
        )
    for weights, prefix in zip(dicts, prefixes):
        labels = list(weights)
        places = [f"{prefix}[{quoted_label(label)}]" for label in labels]
        values = np.empty(len(labels), dtype=object)
        for k, label in enumerate(labels):
            # Filled one by one: np.array would read [2.0] as a row of weights.
            # A bool is a flag, not a weight, as parameters refuse bools for
            # numbers (sample_weight, data, reads a mask's as 0 and 1).
            if not _has_no_axes(weights[label]) or isinstance(weights[label], (bool, np.bool_)):
                raise TypeError(
                    f"{places[k]} must be a number, got {type(weights[label]).__name__} "
                    f"{quoted(weights[label])}."
                )
            values[k] = weights[label]
        _weight_values(values, places, "class_weight")
    return checked


def _has_no_axes(value):
    """Whether ``value`` is one entry, not a sequence or array of them (a
    ragged nesting, which np.ndim cannot read, is not one)."""
    try:
        return np.ndim(value) == 0
    except ValueError:
        return False


def _class_keys(classes):
    """The labels of ``classes`` as a class_weight dict's keys are matched
    against them (see :func:`_keyed_as_classes`): Python values, but dates
    and durations as pandas' Timestamp and Timedelta, which equal and hash
    alike to the nanosecond (``tolist`` gives nanoseconds as integers, which
    match no date; NumPy's datetime64 hashes apart from an equal Timestamp
    below the microsecond)."""
    if classes.dtype.kind == "M":
        return list(pd.DatetimeIndex(classes))
    if classes.dtype.kind == "m":
        return list(pd.TimedeltaIndex(classes))
    return classes.tolist()


def _keyed_as_classes(class_weight, classes):
    """``class_weight`` with its keys as :func:`_class_keys` gives the labels:
    a date or duration key (datetime64, datetime, date, Timestamp; their
    durations) of date or duration classes as a Timestamp or Timedelta."""
    kind = classes.dtype.kind
    if kind not in "mM":
        return class_weight
    kinds = ((np.datetime64, datetime.date), pd.Timestamp) if kind == "M" else (
        (np.timedelta64, datetime.timedelta), pd.Timedelta)
    keyed, given = {}, {}
    for key, weight in class_weight.items():
        label = kinds[1](key) if isinstance(key, kinds[0]) else key
        if label in keyed:  # a date and a datetime64 of one day, say
            raise ValueError(
                f"class_weight names one class twice: {quoted_label(given[label])} and "
                f"{quoted_label(key)} are both {label_text(label)}."
            )
        keyed[label], given[label] = weight, key
    return keyed


def dict_class_sample_weight(class_weight, labels):
    """Per-sample weights ``class_weight[label]`` (a dict as
    :func:`check_class_weight` returns it; 1 for a class it does not name)
    of the labels of one class per sample.

    scikit-learn's ``compute_sample_weight`` matches dates as nanoseconds,
    which no key is, so the weights are looked up here, once per class.

    Returns
    -------
    weights : ndarray of shape (n_samples,), float64
    """
    present, inverse = np.unique(np.asarray(labels), return_inverse=True)
    per_class = np.array([class_weight.get(label, 1.0) for label in _class_keys(present)],
                         dtype=np.float64)
    return per_class[inverse.ravel()]


def _check_weighted_labels(weights, known, name, what):
    """Raise if the dict ``weights`` names a label not in ``known``."""
    known_set = set(known)
    unknown = [label for label in weights if label not in known_set]
    if unknown:
        raise ValueError(
            f"{name} names {labels_text(unknown)}, which are not {what}; they are "
            f"{labels_text(known)}."
        )


def _weight_values(values, places, name):
    """Real, finite, non-negative float64 weights; an error names the first bad place."""
    if _holds_text(values):
        flat = values.ravel()
        k = next((k for k, v in enumerate(flat) if isinstance(v, (str, bytes))), 0)
        raise TypeError(f"{name} must hold numbers, not text: {places[k]} is "
                        f"{python_scalar(flat[k])!r}.")
    reject_records(values, name)
    if values.dtype.kind in "mM":  # astype(float64) would read them as nanoseconds
        raise TypeError(f"{name} must hold numbers, not dates or durations "
                        f"(dtype {values.dtype}).")
    if np.iscomplexobj(values):
        raise ValueError(f"{name} holds complex numbers; weights must be real.")
    given = values.ravel()  # quoted as given: None, pd.NA and NaT become NaN below
    if values.dtype == object:
        # Entries read as those of X and y: complex numbers, dates, durations
        # and numbers beyond float64 are refused by place; None, pd.NA and NaT
        # become NaN, refused below.
        values = _object_numbers(values, name, place=lambda index: places[index[0]],
                                 weights=True)
    refuse_beyond_float64(values, name, place=lambda index: places[index[0]])
    try:
        values = values.astype(np.float64)
    except (TypeError, ValueError, OverflowError) as exc:
        raise TypeError(f"{name} must hold numbers: {exc}") from exc
    bad = ~np.isfinite(values) | (values < 0)
    if bad.any():
        k = int(np.argmax(bad))
        if values[k] < 0:
            shown, problem = float(values[k]), "negative"
        elif given[k] is None or given[k] is pd.NA or given[k] is pd.NaT:  # read as NaN
            shown, problem = given[k], "missing"
        else:
            shown, problem = float(values[k]), "NaN or infinity"
        raise ValueError(f"{places[k]} is {shown!r}: {problem}; weights must be "
                         "finite and non-negative.")
    if values.size and not values.any():
        # Positive weights of long doubles (or Decimals) below float64's
        # smallest number read as all zero: say so, not "all weights are zero".
        k = next((k for k, v in enumerate(given) if _is_positive(v)), None)
        if k is not None:
            raise ValueError(
                f"{name} holds only weights below float64's smallest number, 0 in float64 "
                f"({places[k]} is {python_scalar(given[k])!r}). {_rescaling('Multiply', name)}"
            )
    return values


def _rescaling(verb, name):
    """Advice to bring weights into range without changing the fit."""
    return (f"{verb} the weights by a common factor, and alpha by the same factor to keep "
            f"the fit: the L2 penalty is alpha / sum({name}).")


def _is_positive(value):
    """Whether ``value`` compares above 0 (False for what does not compare)."""
    try:
        return bool(value > 0)
    except (TypeError, ValueError):
        return False
