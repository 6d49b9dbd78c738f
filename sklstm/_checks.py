"""The core's argument checks, shared by :mod:`sklstm._cell`, :mod:`sklstm._lstm`
and :mod:`sklstm._params`, and the small helpers the layers above share with
them (naming values and labels in messages, memory bounds, float rules).

The core's rule for bad input: a TypeError (wrong kind of object) or a
ValueError (wrong value or shape) whose message names the argument, and
the layer, key, sample, step or channel where it applies; never an error
from deep inside NumPy, and never a silently wrong result. Every check runs
once per call, before the time loop. Like the rest of the core, this module
knows nothing of scikit-learn.
"""

import functools
import inspect
import math
import numbers
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from decimal import Decimal

import numpy as np
from scipy import sparse

__all__ = [
    "FLOAT_DTYPES", "NOT_QUANTITIES", "check_flag", "check_float_dtype", "check_rng",
    "check_positive_int", "check_rate", "is_pair", "underflow_is_zero",
    "real_array", "first_non_finite", "check_finite", "check_sequence_of", "reject_records",
    "is_foreign_number_dtype", "foreign_number_refusal",
    "refuse_inexact_integers", "refuse_inexact_integers_across", "largest_magnitude", "quoted",
    "quoted_label",
    "python_scalar",
]

FLOAT_DTYPES = (np.dtype(np.float32), np.dtype(np.float64))

# Numbers to Python's or NumPy's type tree, but no quantities: flags, and
# durations (np.timedelta64 is a NumPy integer, whose int() is a count of
# its unit) and dates.
NOT_QUANTITIES = (bool, np.bool_, np.timedelta64, np.datetime64)


def check_float_dtype(dtype, name="dtype"):
    """``dtype`` as a NumPy dtype, float32 or float64; TypeError otherwise."""
    try:
        # np.dtype(None) is float64: None is refused, not read as a default.
        checked = None if dtype is None else np.dtype(dtype)
    except (TypeError, ValueError, OverflowError):  # not a dtype (an int beyond 4300 digits)
        checked = None
    if checked is not None and checked.kind == "f":
        checked = checked.newbyteorder("=")  # '>f8' is float64, of another byte order
    if checked is None or checked not in FLOAT_DTYPES:  # dtype == None is float64's
        raise TypeError(f"{name} must be float32 or float64, got {quoted(dtype)}.")
    return checked


def check_rng(rng, name="rng"):
    """``rng`` unchanged if it is a NumPy Generator or RandomState; TypeError otherwise.

    The core takes a ready random generator and never seeds one: an int or
    None would make two calls with "the same" rng draw the same numbers.
    """
    if not isinstance(rng, (np.random.Generator, np.random.RandomState)):
        raise TypeError(
            f"{name} must be a numpy.random.Generator or numpy.random.RandomState, got "
            f"{type(rng).__name__}; use numpy.random.default_rng(seed)."
        )
    return rng


_INT64_MAX = np.iinfo(np.int64).max

# Ints of more digits are quoted by their size: nobody reads them, and
# Python refuses to write those beyond 4300 digits at all (a ValueError
# that would replace the message quoting them).
_LONGEST_QUOTED_INT = 40


def quoted(value):
    """``repr(value)`` for a message, an int too long to read (alone or in a
    list, tuple, dict or object array) as its number of digits, for example
    ``<an int of 5001 digits>`` or ``<a negative int of 401 digits>``."""
    if isinstance(value, (list, tuple)):
        inner = ", ".join(quoted(v) for v in value)
        return f"({inner},)" if isinstance(value, tuple) and len(value) == 1 else (
            f"({inner})" if isinstance(value, tuple) else f"[{inner}]")
    if isinstance(value, dict):
        return "{" + ", ".join(f"{quoted(k)}: {quoted(v)}" for k, v in value.items()) + "}"
    if isinstance(value, np.ndarray) and value.dtype == object:
        return f"array({quoted(value.tolist())}, dtype=object)"
    # NumPy counts timedelta64 as an integer type; its int() is no count.
    if isinstance(value, numbers.Integral) and not isinstance(value, NOT_QUANTITIES):
        magnitude = abs(int(value))
        if magnitude >= 10**_LONGEST_QUOTED_INT:
            return f"<{'a negative' if value < 0 else 'an'} int of {_digits(magnitude)} digits>"
    return repr(value)


def quoted_label(label):
    """A column label, or a list or tuple of labels, as :func:`quoted` writes
    it, with NumPy scalars as the Python values they hold: a label read
    from an Index of int64 is ``1`` in a message, as the user wrote it,
    not ``np.int64(1)``."""
    def as_python(value):
        if isinstance(value, list):
            return [as_python(v) for v in value]
        if isinstance(value, tuple):
            return tuple(as_python(v) for v in value)
        if isinstance(value, (np.datetime64, np.timedelta64)):
            return value  # item() gives nanoseconds as an int, or a date object
        if isinstance(value, np.floating):
            return float(str(value))  # the decimal it prints as: 0.1, not 0.100000001...
        return python_scalar(value)
    return quoted(as_python(label))


def python_scalar(value):
    """A NumPy scalar as the Python value it holds; anything else as it is.

    For messages, and for arithmetic: NumPy keeps a scalar's own dtype
    against Python numbers (np.int8(127) + 1 wraps around, a float16 stays
    float16).
    """
    return value.item() if isinstance(value, np.generic) else value


def _digits(magnitude):
    """The number of decimal digits of the int ``magnitude`` >= 1, without
    writing it (Python refuses beyond 4300 digits): log10's estimate,
    corrected either way where it rounds across a power of 10."""
    digits = int(math.log10(magnitude)) + 1
    if 10 ** (digits - 1) > magnitude:
        digits -= 1
    elif 10**digits <= magnitude:
        digits += 1
    return digits


def fits_in_numpy(value, as_int=True):
    """Whether the number ``value`` is finite and fits NumPy's int64 (an int
    read ``as_int``) or float64 (any other number, or an int read as one)."""
    if as_int and isinstance(value, numbers.Integral):
        return -_INT64_MAX - 1 <= int(value) <= _INT64_MAX
    try:
        return math.isfinite(value)
    except (OverflowError, TypeError, ValueError):  # an int beyond float64, say
        return False


def check_indexable(shape, name, itemsize=8):
    """Raise a ValueError naming ``name`` if an array of ``shape`` (ints, of
    any size) and ``itemsize`` would hold more bytes than NumPy can address
    (its "array is too big")."""
    if math.prod(int(n) for n in shape) * itemsize > np.iinfo(np.intp).max:
        raise ValueError(
            f"{name} would have shape {tuple(int(n) for n in shape)}: more bytes than "
            "NumPy can address. Ask for smaller sizes."
        )


def byte_size(shapes, itemsize=8):
    """The bytes of arrays of ``shapes`` and ``itemsize``, as words ("1.5 TiB")."""
    size = float(sum(math.prod(int(n) for n in shape) for shape in shapes) * itemsize)
    for unit in ("bytes", "KiB", "MiB", "GiB", "TiB"):
        if size < 1024 or unit == "TiB":
            return f"{size:.3g} {unit}"
        size /= 1024


class OutOfMemory(ValueError, MemoryError):
    """Arrays the arguments ask for do not fit in memory: a ValueError for the
    caller of the core, still a MemoryError for an estimator, whose own
    message names its parameters."""


@contextmanager
def memory_refused(what):
    """Turn a MemoryError of the arrays made inside into an :class:`OutOfMemory`
    naming ``what`` (NumPy's names a byte count and a shape the caller never
    gave)."""
    try:
        yield
    except MemoryError:
        raise OutOfMemory(f"{what} do not fit in memory: ask for smaller sizes.") from None


@contextmanager
def arrays_fit_in_memory(what, advice):
    """Turn NumPy's MemoryError while making ``what`` (copies of X, the
    outputs of predicting, a backtest's forecasts) into a ValueError that
    names them and what to do. The core's passes name their own arrays
    (:class:`OutOfMemory`), which pass through."""
    try:
        yield
    except OutOfMemory:
        raise
    except MemoryError as exc:
        reason = f" ({exc})" if str(exc) else ""
        raise ValueError(
            f"{what} larger than this machine can allocate{reason}: {advice}."
        ) from None


def underflow_is_zero(function):
    """Decorate an entry point so that NumPy's underflow stays a rounding to
    zero (or a subnormal), as sklstm's arithmetic expects of saturated
    gates, probabilities of extreme logits and decaying rates, under any
    ``np.seterr`` of the caller's: ``all="raise"`` made a FloatingPointError
    of it. Overflow and invalid operations keep the caller's settings."""
    @functools.wraps(function)
    def as_zero(*args, **kwargs):
        with np.errstate(under="ignore"):  # a new context per call: thread-safe
            return function(*args, **kwargs)
    return as_zero


def names_its_arrays(function):
    """Decorate a pass of the core so that arrays too large for memory raise
    :class:`OutOfMemory` naming the function and its input's shape, not
    NumPy's MemoryError, which names a flat block the caller never asked for."""
    first = next(iter(inspect.signature(function).parameters))  # X, or d_outputs

    @functools.wraps(function)
    def named(*args, **kwargs):
        try:
            return function(*args, **kwargs)
        except OutOfMemory:
            raise
        except MemoryError:
            shape = getattr(args[0] if args else kwargs.get(first), "shape", None)
            of = "" if shape is None else f" on an input of shape {tuple(shape)}"
            raise OutOfMemory(
                f"The arrays of {function.__name__}{of} do not fit in memory: pass fewer "
                "or shorter sequences at a time, or smaller layers."
            ) from None
    return named


def is_pair(value):
    """Whether ``value`` is an ordered pair: a list, tuple or array of two
    items. Not text, a mapping or a set (whose order is arbitrary), nor a
    0-d array, which has a ``__len__`` that raises."""
    if isinstance(value, np.ndarray):
        return value.ndim >= 1 and len(value) == 2
    return isinstance(value, Sequence) and not isinstance(value, (str, bytes)) and len(value) == 2


def check_positive_int(value, name):
    """``value`` as an int >= 1: TypeError unless integral (bool is not), ValueError
    if < 1 or beyond NumPy's int64."""
    if isinstance(value, NOT_QUANTITIES) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int >= 1, got {value!r} ({type(value).__name__}).")
    if value < 1:
        raise ValueError(f"{name} must be an int >= 1, got {quoted(value)}.")
    if not fits_in_numpy(value):
        raise ValueError(f"{name} is {quoted(value)}, beyond what NumPy's int64 holds.")
    return int(value)


def check_rate(rate, name):
    """A dropout rate as a float in [0, 1)."""
    if isinstance(rate, NOT_QUANTITIES) or not isinstance(rate, numbers.Real):
        raise TypeError(f"{name} must be a float in [0, 1), got {quoted(rate)}.")
    if not 0 <= rate < 1:
        raise ValueError(f"{name} must lie in [0, 1), got {quoted(rate)}.")
    return float(rate)


def check_flag(value, name):
    """``value`` as a bool: True or False (NumPy's too), else a TypeError naming ``name``.

    Truthiness would read the string "no" as True.
    """
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be True or False, got {quoted(value)}.")
    return bool(value)


def check_sequence_of(items, name, what):
    """``items`` unchanged if a list, tuple or other non-string sequence;
    TypeError otherwise (a single dict or array where a list of them is due)."""
    if isinstance(items, (str, bytes, Mapping, np.ndarray)) or not isinstance(items, Sequence):
        raise TypeError(
            f"{name} must be a list or tuple with {what}, got {type(items).__name__}."
        )
    return items


def reject_masked(values, name, remedy):
    """Refuse a masked array: np.asarray drops its mask, and the masked
    values would be read as data. ``remedy`` says what to pass instead."""
    if isinstance(values, np.ma.MaskedArray):
        raise TypeError(f"{name} is a masked array, whose mask sklstm would lose. {remedy}")


def is_foreign_number_dtype(dtype):
    """Whether ``dtype`` is a number type of another package (ml_dtypes'
    bfloat16, float8_*), which NumPy files under kind "V" beside records and
    raw bytes, and which sklstm does not compute in."""
    return (isinstance(dtype, np.dtype) and dtype.kind == "V" and dtype.names is None
            and not issubclass(dtype.type, np.void))


def foreign_number_refusal(subject, dtype, cast):
    """The words refusing ``subject`` of a number type of another package
    (``dtype``, see :func:`is_foreign_number_dtype`); ``cast``: the call
    that converts it, as an instruction."""
    return f"{subject} has dtype {dtype}, a number type sklstm does not compute in: {cast}."


def reject_records(values, name):
    """Refuse a structured (record) or raw-bytes array: NumPy casts a
    record's first field (dates as days, say) and drops the others without
    a word, and raw bytes fail deep inside the cast."""
    if is_foreign_number_dtype(values.dtype):
        # An item of a list is one of many: each needs the cast, of an array
        # or of a list alike.
        whole = name.split("[")[0]
        cast = (f"every sequence as float32 ([np.asarray(s, dtype=np.float32) for s in "
                f"{whole}])" if "[" in name else f"np.asarray({name}, dtype=np.float32)")
        raise TypeError(foreign_number_refusal(name, values.dtype, f"pass {cast}"))
    if values.dtype.kind == "V":
        raise TypeError(
            f"{name} holds records or raw bytes (dtype {values.dtype}), not plain values. "
            "Pass the values as a plain array, e.g. one field, values['name'], or all of "
            "them with numpy.lib.recfunctions.structured_to_unstructured(values)."
        )


# Every integer up to this size is a float64; beyond it, only some are.
_EXACT_INTEGERS = 2**53


def refuse_inexact_integers(values, name, axis_name=None, place=None):
    """Refuse integers that float64 would merge, naming two of them by place.

    ``values`` is an array about to become float64: integers, or objects
    among which Python or NumPy integers, or extended-precision floats
    (``np.longdouble``), whose distinct values merge alike (other dtypes
    pass). Beyond 2**53
    the cast rounds to a neighbour. Rounding alone is accepted, as for any
    float (nanosecond timestamps keep their order and spacing to a quarter
    microsecond); distinct integers made equal are refused: identifiers,
    or counts 2**60 + k, would silently become one value. The places are
    indices, or with ``axis_name`` (of a 1-D array) positions such as "row 3",
    or ``place(index)`` for an index tuple.
    """
    if not _may_hold_inexact_integers(values):
        return
    extended = values.dtype.kind == "f" and values.dtype.itemsize > 8
    flat = values.ravel()
    if extended:
        with np.errstate(over="ignore"):  # beyond float64: reported as too large
            rounded = flat.astype(np.float64)
        if np.array_equal(rounded, flat, equal_nan=True):
            return
        positions = np.flatnonzero(np.isfinite(rounded))  # inf: reported as too large
        integers, rounded = flat[positions], rounded[positions]
    elif values.dtype == object:
        # Every integer, for a small one rounded onto a large one's value.
        positions = np.flatnonzero(np.frompyfunc(_is_integer, 1, 1)(flat).astype(bool))
        integers = np.array([int(v) for v in flat[positions]], dtype=object)
        if not any(abs(v) > _EXACT_INTEGERS for v in integers):
            return
        try:
            rounded = np.array([float(v) for v in integers])
        except OverflowError:
            return  # beyond float64 itself: the cast reports it as too large
    else:
        positions, integers, rounded = np.arange(flat.size), flat, flat.astype(np.float64)
    # Sorted by rounded value, any group of equal floats holding two distinct
    # integers has two such neighbours.
    order = np.argsort(rounded, kind="stable")
    merged = (rounded[order][1:] == rounded[order][:-1]) & (
        integers[order][1:] != integers[order][:-1]
    )
    if not merged.any():
        return
    pairs = np.sort(np.stack([order[:-1][merged], order[1:][merged]], axis=1), axis=1)
    first, second = pairs[np.argmin(pairs[:, 0])]

    def where(k):
        index = tuple(int(i) for i in np.unravel_index(positions[k], values.shape))
        if place is not None:
            return place(index)
        return f"{axis_name} {index[0]}" if axis_name else f"index {list(index)}"

    kind, shown, remedy = (
        ("values", str, "subtract a base value or rescale them in long double first")
        if extended else ("integers", int, "subtract a base value, or rank them"))
    raise ValueError(
        f"{name} holds the {kind} {shown(integers[first])} ({where(first)}) and "
        f"{shown(integers[second])} ({where(second)}), which float64 cannot tell apart: "
        f"both would become {rounded[first]:.17g}. Re-encode them ({remedy}), or "
        "convert them to float64 yourself to accept the merge."
    )


def _may_hold_inexact_integers(values):
    """Whether array ``values`` may hold distinct values that float64 merges:
    integers of magnitude 2**53 or more (below it, every integer is a
    float64), objects, or extended-precision floats."""
    if values.size == 0:
        return False
    if values.dtype.kind in "iu":
        return bool(values.max() >= _EXACT_INTEGERS
                    or (values.dtype.kind == "i" and values.min() <= -_EXACT_INTEGERS))
    return values.dtype == object or (values.dtype.kind == "f" and values.dtype.itemsize > 8)


def refuse_inexact_integers_across(pieces, name, place):
    """:func:`refuse_inexact_integers` of arrays checked one by one already,
    across them: the sequences of a list, say, of which two distinct
    integers in different pieces could still merge.

    ``pieces`` are 2-D arrays of the same number of columns, as read (before
    the cast to float64); ``place(k, row, column)`` names a value of piece
    ``k``. Only pieces that can hold an integer at or beyond 2**53 are
    joined (integer arrays holding one, object and long double arrays), so
    that lists of ordinary integers cost one comparison each.
    """
    kept = [k for k, piece in enumerate(pieces) if _may_hold_inexact_integers(piece)]
    if len(kept) < 2:
        return
    joined = [pieces[k] for k in kept]
    if len({piece.dtype for piece in joined}) > 1:
        joined = [piece.astype(object) for piece in joined]
    starts = np.cumsum([0] + [len(piece) for piece in joined])

    def joined_place(index):
        j = int(np.searchsorted(starts, index[0], side="right")) - 1
        return place(kept[j], index[0] - starts[j], index[1])

    refuse_inexact_integers(np.concatenate(joined), name, place=joined_place)


def _is_integer(value):
    """Whether ``value`` is an integer, not a bool: a Python or NumPy one, a
    0-d integer array, or a Decimal or Fraction of an integral value."""
    if isinstance(value, numbers.Rational) and not isinstance(value, numbers.Integral):
        return value.denominator == 1
    if isinstance(value, Decimal):
        return value.is_finite() and value == value.to_integral_value()
    if isinstance(value, np.ndarray):
        return value.ndim == 0 and value.dtype.kind in "iu"
    return isinstance(value, numbers.Integral) and not isinstance(value, NOT_QUANTITIES)


def as_rectangular(a, name):
    """``a`` as an ndarray; a ragged nested list raises a ValueError naming ``name``.
    A masked array, a sparse matrix or an iterator raises a TypeError: NumPy
    would lose the mask, or read the others as one object."""
    if type(a) is np.ndarray:  # not a subclass (masked, matrix): the common case, first
        return a
    # A name such as "The input dropout mask of layer 0" is no expression to call.
    target = "it" if " " in name else name
    reject_masked(a, name, f"Pass {target}.filled(value) with the values meant.")
    if sparse.issparse(a):
        raise TypeError(f"{name} is a sparse matrix; pass its .toarray().")
    if isinstance(a, Iterator):
        raise TypeError(f"{name} is an iterator ({type(a).__name__}); pass list(...) of it.")
    try:
        return np.asarray(a)
    except ValueError as exc:
        raise ValueError(f"{name} must be a rectangular array: {exc}") from None


def real_array(a, name):
    """``a`` as an ndarray of real numbers (bool, int or float), not yet cast.

    Complex, string and object arrays raise a TypeError naming ``name``:
    casting them would drop the imaginary part (with only a ComplexWarning)
    or fail inside NumPy. A ragged nested list raises a ValueError.
    """
    arr = as_rectangular(a, name)
    if arr.dtype.kind not in "biuf":
        # pandas' nullable columns (Float64, Int64) become objects in NumPy.
        hint = (f" A pandas {type(a).__name__} of nullable columns becomes objects: pass "
                "its .to_numpy(dtype=float)."
                if arr.dtype == object and _has_nullable_numbers(a) else "")
        raise TypeError(f"{name} must hold real numbers, got dtype {arr.dtype}.{hint}")
    return arr


def _has_nullable_numbers(a):
    """Whether ``a`` is a pandas object with a nullable numeric column (Int64, Float64)."""
    dtypes = getattr(a, "dtypes", None)  # a DataFrame's, one per column
    if dtypes is None or not hasattr(dtypes, "__iter__"):
        dtypes = [getattr(a, "dtype", None)]  # a Series' (its dtypes is one dtype)
    return hasattr(a, "to_numpy") and any(
        getattr(getattr(d, "numpy_dtype", None), "kind", None) in ("b", "i", "u", "f")
        for d in dtypes
    )


def largest_magnitude(a):
    """The largest ``|entry|`` of array ``a`` as a float, 0.0 for None: two
    reductions, without the copy ``np.abs`` would make."""
    return 0.0 if a is None else max(float(a.max()), -float(a.min()))


def first_non_finite(arr, where=None):
    """The first NaN or infinity of ``arr``, in C order, or None if there is none.

    Parameters
    ----------
    arr : ndarray of real numbers
    where : ndarray of bool, optional
        Broadcastable to ``arr``: only its True positions are looked at (the
        real steps of padded data, say).

    Returns
    -------
    found : tuple of (tuple of int, str) or None
        The index of the value and its kind, "NaN" or "infinity".
    """
    if where is None:
        # A sum is the fast path, as in scikit-learn's assert_all_finite:
        # finite values can overflow it, so only a non-finite sum looks further.
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(arr.sum()):
                return None
    bad = ~np.isfinite(arr)
    if where is not None:
        bad &= where
    positions = np.argwhere(bad)
    if not len(positions):
        return None
    index = tuple(int(i) for i in positions[0])
    return index, "NaN" if np.isnan(arr[index]) else "infinity"


def cast_finite(arr, dtype, name, axes):
    """``arr`` (real numbers) cast to ``dtype``, raising as :func:`check_finite`
    does on a NaN or infinity, and naming the place of a finite value that
    the cast overflows (1e39 in float32)."""
    with np.errstate(over="ignore"):
        cast = arr.astype(dtype, copy=False)
    if first_non_finite(cast) is not None:  # one pass in the common, finite case
        check_finite(arr, name, axes)
        check_finite(cast, name, axes, hint=f" (in {np.dtype(dtype).name}, the dtype of X: "
                                            "a value beyond its range became infinite)")
    return cast


def cast_gradient(arr, dtype, name, axes, read=None):
    """``arr`` (real numbers, a gradient) cast to ``dtype``. NaN and infinity
    pass through, as a gradient may hold them; a finite value that the cast
    overflows (1e39 in float32) is refused, naming its place, since it
    would turn the gradients NaN without a word. ``read()``, if given,
    returns where the pass reads ``arr`` (bool, broadcastable to it): only
    those positions are checked, and it is called only once a value has
    overflowed, off the common path."""
    with np.errstate(over="ignore"):
        cast = arr.astype(dtype, copy=False)
    if cast is not arr and first_non_finite(cast) is not None:
        overflowed = np.isfinite(arr) & ~np.isfinite(cast)
        if read is not None and overflowed.any():
            overflowed &= read()
        if overflowed.any():
            index = tuple(int(i) for i in np.argwhere(overflowed)[0])
            place = ", ".join(f"{axis} {i}" for axis, i in zip(axes, index))
            remedy = " or run the pass in float64" if np.dtype(dtype) == np.float32 else ""
            raise ValueError(
                f"{name} holds {arr[index]} at {place}, beyond the range of "
                f"{np.dtype(dtype).name}, the dtype of X: scale it down{remedy}."
            )
    return cast


def check_finite(arr, name, axes, hint=""):
    """Raise a ValueError naming the first NaN or infinity of ``arr``.

    ``axes`` names the axes, e.g. ``("sample", "step", "feature")``; ``hint``
    ends the message.
    """
    found = first_non_finite(arr)
    if found is None:
        return
    index, kind = found
    where = ", ".join(f"{axis} {i}" for axis, i in zip(axes, index))
    raise ValueError(
        f"{name} contains {kind} at {where}. "
        f"The core reads finite values only{hint}."
    )
