"""Declarative hyper-parameter checks, shared by every sklstm estimator.

Each estimator keeps a table ``_parameter_constraints`` beside its parameter
docs: a dict from parameter name to a list of constraints, any one of which
the value may satisfy. :func:`validate_params` reads the table at the start of
``fit`` and follows scikit-learn's exception convention:

- a value whose *type* no constraint accepts raises ``TypeError``;
- a value of an accepted type that is out of range, or not one of the
  allowed options, raises ``ValueError``.

Both messages name the estimator, the parameter and the value.

>>> from numbers import Integral
>>> table = {"window": [Interval(Integral, 1, None)], "mode": [Options(str, {"a", "b"})]}
>>> validate_params({"window": 0, "mode": "a"}, table, "Demo")
Traceback (most recent call last):
...
ValueError: Demo: window must be an int >= 1, got 0.
"""

import inspect
import numbers
from collections.abc import Mapping, Set

import numpy as np

from ._checks import NOT_QUANTITIES, fits_in_numpy, python_scalar, quoted


__all__ = [
    "Interval", "Options", "HasMethods", "IncreasingLevels", "FiniteArray", "BOOLEAN",
    "RANDOM_STATE",
    "level_value",
    "one_number",
    "quantile_levels",
    "validate_params",
    "missing_parameter_defaults",
]

_KIND_NAMES = {numbers.Integral: "an int", numbers.Real: "a number"}
_NUMPY_KINDS = {
    numbers.Integral: (int, np.integer),
    numbers.Real: (int, float, np.integer, np.floating),
}


class Interval:
    """Numbers of ``kind`` (``numbers.Integral`` or ``numbers.Real``) in a range.

    ``closed`` says which ends belong to the range: ``"both"``, ``"left"``,
    ``"right"`` or ``"neither"``. ``None`` for ``low`` or ``high`` leaves that
    side open-ended. Only Python's and NumPy's ints (and, for ``Real``,
    floats) qualify; booleans and non-finite values never do, nor ints beyond
    int64 (``Integral``) or numbers beyond float64 (``Real``).
    """

    def __init__(self, kind, low=None, high=None, closed="both"):
        self.kind, self.low, self.high, self.closed = kind, low, high, closed

    def type_matches(self, value):
        # Python's and NumPy's ints and floats only: a Fraction or Decimal
        # would pass this check and then fail inside NumPy's arithmetic.
        return isinstance(value, _NUMPY_KINDS[self.kind]) and not isinstance(
            value, NOT_QUANTITIES
        )

    def value_matches(self, value):
        if not fits_in_numpy(value, as_int=self.kind is numbers.Integral):
            return False
        left_closed = self.closed in ("both", "left")
        right_closed = self.closed in ("both", "right")
        if self.low is not None and (value < self.low or (value == self.low and not left_closed)):
            return False
        if self.high is not None and (
            value > self.high or (value == self.high and not right_closed)
        ):
            return False
        return True

    def __str__(self):
        text = _KIND_NAMES[self.kind]
        bounds = []
        if self.low is not None:
            bounds.append((">=" if self.closed in ("both", "left") else ">") + f" {self.low}")
        if self.high is not None:
            bounds.append(("<=" if self.closed in ("both", "right") else "<") + f" {self.high}")
        if bounds:
            text += " " + " and ".join(bounds)
        elif self.kind is numbers.Real:
            text = "a finite number"
        return text


class Options:
    """One of a fixed set of values, all of type ``kind``."""

    def __init__(self, kind, values):
        self.kind, self.values = kind, tuple(values)

    def type_matches(self, value):
        return isinstance(value, self.kind)

    def value_matches(self, value):
        return value in self.values

    def __str__(self):
        return "one of " + ", ".join(repr(v) for v in sorted(self.values, key=repr))


class _Boolean:
    def type_matches(self, value):
        return isinstance(value, (bool, np.bool_))

    def value_matches(self, value):
        return True

    def __str__(self):
        return "True or False"


class _InstanceOf:
    def __init__(self, kind):
        self.kind = kind

    def type_matches(self, value):
        return isinstance(value, self.kind) and not (
            self.kind is numbers.Integral and isinstance(value, (bool, np.bool_))
        )

    def value_matches(self, value):
        return True

    def __str__(self):
        return "None" if self.kind is type(None) else f"a {self.kind.__name__}"


class HasMethods:
    """An object (not a class) with the named methods, such as an estimator."""

    def __init__(self, *methods):
        self.methods = methods

    def type_matches(self, value):
        return not isinstance(value, type) and all(
            callable(getattr(value, name, None)) for name in self.methods
        )

    def value_matches(self, value):
        return True

    def __str__(self):
        return f"an object with {' and '.join(self.methods)} methods (an estimator instance)"


class FiniteArray:
    """A NumPy array of real numbers, all finite; its shape is for its user to check."""

    def type_matches(self, value):
        return isinstance(value, np.ndarray) and value.dtype.kind in "fiu"

    def value_matches(self, value):
        return bool(np.isfinite(value).all())

    def __str__(self):
        return "a NumPy array of finite numbers"


# One quantile level.
_LEVEL = Interval(numbers.Real, 0, 1, closed="neither")


def one_number(value):
    """A 0-d array as the NumPy scalar it holds; anything else as it is.

    A level (a quantile, a coverage) is one number however it is held:
    ``np.array(0.8)`` is what a reduction such as ``np.mean`` of a list gives.
    """
    return value[()] if isinstance(value, np.ndarray) and value.ndim == 0 else value


def level_value(level):
    """A checked level in (0, 1) (a quantile, a coverage) as a Python float.

    A float32 (or float16) level is the decimal it prints as, the one its
    user wrote: np.float32(0.1) is 0.1, not 0.10000000149011612, which
    would move a conformal rank at some numbers of calibration errors.
    """
    return float(str(level)) if isinstance(level, (np.float32, np.float16)) else float(level)


def quantile_levels(value, name="quantiles"):
    """``value`` as quantile levels: a tuple of strictly increasing floats in (0, 1).

    Parameters
    ----------
    value : 1-D array-like of numbers (list, tuple, ndarray, Series)
    name : str
        The parameter's name in error messages.

    Returns
    -------
    levels : tuple of float

    Raises
    ------
    TypeError
        If ``value`` is not a 1-D sequence (a scalar, text, a mapping, a set,
        None) or holds something other than ints and floats.
    ValueError
        If it is empty, a level lies outside (0, 1), or the levels do not
        strictly increase.
    """
    dtype = getattr(value, "dtype", None)
    dtype = getattr(dtype, "numpy_dtype", dtype)  # pandas' Float32 is float32
    # pandas' nullable arrays would turn pd.NA into NaN here: left as they
    # are, a missing level is refused below as pd.NA, not as "nan".
    holds_missing = hasattr(value, "isna") and bool(np.any(np.asarray(value.isna())))
    if dtype in (np.float32, np.float16) and np.ndim(value) == 1 and not holds_missing:
        value = list(np.asarray(value, dtype=dtype))  # their precision is read below
    try:
        levels = None if isinstance(value, (str, bytes, Mapping, Set)) else (
            np.asarray(value, dtype=object)
        )
    except ValueError:  # nested sequences of different lengths
        levels = None
    if levels is None or levels.ndim != 1:
        raise TypeError(
            f"{name} must be a 1-D sequence of numbers in (0, 1); "
            f"got {quoted(python_scalar(value))}."
        )
    for q in levels:
        if not _LEVEL.type_matches(q):
            raise TypeError(f"{name} must be numbers in (0, 1); got {quoted(python_scalar(q))}.")
    if not levels.size:
        raise ValueError(f"{name} must hold at least one level.")
    for q in levels:
        if not _LEVEL.value_matches(q):
            raise ValueError(
                f"{name} must be in (0, 1) exclusive; got {quoted(python_scalar(q))}.")
    levels = tuple(level_value(q) for q in levels)
    if any(b <= a for a, b in zip(levels, levels[1:])):
        raise ValueError(f"{name} must be strictly increasing; got {levels}.")
    return levels


class IncreasingLevels:
    """A non-empty 1-D sequence of strictly increasing numbers in (0, 1): the
    rule of :func:`quantile_levels`, as a constraint of a parameter table."""

    def type_matches(self, value):
        try:
            quantile_levels(value)
        except TypeError:
            return False
        except ValueError:
            pass
        return True

    def value_matches(self, value):
        try:
            quantile_levels(value)
        except ValueError:
            return False
        return True

    def check(self, value, name):
        """Raise the error naming which rule ``value`` breaks (see :func:`quantile_levels`)."""
        quantile_levels(value, name)

    def __str__(self):
        return "a non-empty 1-D sequence of strictly increasing numbers in (0, 1)"


BOOLEAN = _Boolean()

# What numpy.random.RandomState seeds from, as sklearn.utils.check_random_state
# reads it: None, a 32-bit seed or a RandomState (not a Generator).
RANDOM_STATE = [None, Interval(numbers.Integral, 0, 2**32 - 1), np.random.RandomState]


def _as_constraint(constraint):
    if constraint is None:
        return _InstanceOf(type(None))
    if isinstance(constraint, type):
        return _InstanceOf(constraint)
    return constraint


def validate_params(params, constraints, owner, hints=None):
    """Check ``params`` (name -> value) against ``constraints`` (name -> list).

    Parameters absent from ``constraints`` are not checked here (their owner
    checks them where a table cannot, for example against the data).
    ``hints`` (name -> function of the refused value -> advice or "") adds
    advice to a refusal.

    Raises
    ------
    TypeError
        If the value's type fits none of the parameter's constraints.
    ValueError
        If its type fits but its value does not.
    """
    for name, options in constraints.items():
        if name not in params:  # a loaded state that lacks one (a damaged file)
            raise ValueError(f"{owner} lacks {name}.")
        value = params[name]
        options = [_as_constraint(c) for c in options]
        typed = [c for c in options if c.type_matches(value)]
        if any(c.value_matches(value) for c in typed):
            continue
        if len(options) == 1 and hasattr(options[0], "check"):
            # A rule of several parts names the part broken, not all of them.
            options[0].check(value, f"{owner}: {name}")
        expected = " or ".join(str(c) for c in options)
        error = ValueError if typed else TypeError
        # Ints are the only numbers of an accepted type that can be finite yet
        # beyond what NumPy holds (int64 for counts, float64 for other numbers).
        if typed and isinstance(value, numbers.Integral) and not any(
            fits_in_numpy(value, as_int=c.kind is numbers.Integral)
            for c in typed if isinstance(c, Interval)
        ):
            note = " (beyond what NumPy can hold)"
        elif not typed and isinstance(value, numbers.Number) and not isinstance(
            value, _NUMPY_KINDS[numbers.Real]
        ):
            note = f" (a {type(value).__name__}; pass an int or a float)"
        else:
            note = ""
        advice = (hints or {}).get(name, lambda refused: "")(value)
        raise error(f"{owner}: {name} must be {expected}, got {quoted(value)}{note}.{advice}")


def missing_parameter_defaults(cls, state):
    """The constructor defaults of ``cls``'s parameters absent from ``state``.

    A model saved before a parameter existed loads with that parameter's
    default. A new parameter's default therefore keeps the behaviour models
    had before it; where it cannot, the class also records the old
    behaviour for its old fitted states (``_LEGACY_FITTED_STATE``).
    """
    return {
        name: param.default
        for name, param in inspect.signature(cls.__init__).parameters.items()
        if param.default is not inspect.Parameter.empty and name not in state
    }
