"""Conversion of every input convention to one internal form.

Whatever a user passes as ``X`` leaves this module as a :class:`Sequences`:
a C-contiguous float array ``values`` of shape (n_samples, n_timesteps,
n_channels), padded with zeros after each sequence's end, and ``lengths``
(n_samples,) or ``None`` when every sequence fills all steps. This is the
only place that converts input layouts (whether a fitted model reads a
2-D table as steps or as a batch, and the column-name checks, are decided
against the fitted state in ``_base.py``):

- **3-D array** (n_samples, n_timesteps, n_channels): the native form.
  Trailing steps that are entirely NaN are padding (tslearn's convention).
- **2-D array or DataFrame**: one row per sequence. By default each row is a
  univariate sequence, columns oldest to newest, as lag windows come from
  sktime's ``make_reduction`` or from ``DataFrame.shift``. ``n_channels``
  declares rows holding several channels, laid out in time-major blocks
  ``[x0(t0), x1(t0), x0(t1), ...]`` (darts) or channel-major blocks
  ``[x0(t0), x0(t1), ..., x1(t0), ...]``; ``newest_first`` declares lag
  columns ordered newest first (skforecast's ``lag_1, lag_2, ...``).
  Column names that say the layout differs from the declared one (lag
  names, sktime's ``pd-wide`` ``dim_0__0, ..``) give a warning in fit.
- **DataFrame of series** (sktime's ``nested_univ`` panel, the default
  of its dataset loaders): one row per sequence, one column per channel,
  each cell that channel's series (a pandas Series or a 1-D array), of one
  length within a row and of any length between rows. Read as the list of
  its rows' sequences, channels named by the columns; steps at a row's end
  where every channel is NaN are padding, as sktime pads unequal series
  (but for a model that reads no padding, as the encoder-decoder).
- **Ragged list** of 1-D (univariate: arrays, lists or pandas Series) or
  2-D (n_timesteps_i, n_channels) arrays or DataFrames of different lengths.
  A list of arrays is a list of sequences even when they are of equal
  length; a list of 1-D arrays of equal length with a table layout
  declared (the above parameters, or ``n_exog``) is refused, as it is most
  likely the rows of a table (``list(table)``), whose declared layout
  would be ignored.

Values must be real numbers: integers and booleans become float64, float32
is kept. Distinct integers that float64 would make equal (beyond 2**53) are
refused by place. Record (structured) arrays, text (even numbers written as
text), complex numbers and sparse data are refused with an error that says
so, and NaN is accepted only as padding. With ``return_sequences=True``, a
list ``y`` holds one array of per-step targets per sequence, exactly as long
as that sequence: always so with ``X`` a list of sequences of different
lengths (padded targets are then given as an array), and where the items'
length is not the padded width of a NaN-padded ``X``.
"""

import itertools
import numbers
import re
from collections import deque
from collections.abc import Iterator, Mapping, MappingView, Set
from dataclasses import dataclass, replace
from decimal import MAX_EMAX, MAX_PREC, MIN_EMIN, Context, Decimal, InvalidOperation

import numpy as np
import pandas as pd
from scipy import sparse
from sklearn.utils import check_array

from ._checks import (
    first_non_finite, foreign_number_refusal, is_foreign_number_dtype, quoted, quoted_label,
    refuse_inexact_integers,
    refuse_inexact_integers_across, reject_masked, reject_records,
)
from ._loss import step_weights
from ._warnings import warn
from .exceptions import DataLayoutWarning

__all__ = [
    "COLUMN_ORDERS", "DATA_FORMATS", "PER_STEP_ADVICE", "Sequences", "check_channel_names",
    "check_column_order", "check_declared_classes", "check_sequence_targets", "check_sequences",
]

COLUMN_ORDERS = ("time_major", "channel_major")
_FLOAT64_MAX_DECIMAL = Decimal(np.finfo(np.float64).max.item())
_FLOAT_DTYPES = (np.float64, np.float32)
# Native byte order only: a big-endian array (from a file) takes check_array's path.
_NATIVE_FLOAT_DTYPES = (np.dtype(np.float64), np.dtype(np.float32))


@dataclass(frozen=True)
class Sequences:
    """A batch of sequences in the internal form.

    Attributes
    ----------
    values : ndarray of shape (n_samples, n_timesteps, n_channels)
        Float32 or float64, C-contiguous, zero after each sequence's end.
    lengths : ndarray of shape (n_samples,) or None
        Real steps of each sequence; None when all are ``n_timesteps`` long.
    n_columns : int or None
        Column count of 2-D (tabular) input, None for other conventions.
    reversed_steps : bool
        Whether the input's columns ran newest first, so that ``values``
        holds its steps in reverse column order.
    channel_names : tuple of str or None
        The channels' names, when ``X`` was a list of DataFrames.
    column_labels : tuple of str or None
        ``str`` of each column label of a DataFrame ``X`` (a table, or the
        frames of a list): scikit-learn records string names only, but the
        order of the columns matters whatever their labels (see
        :func:`check_column_order`).
    from_list : bool
        Whether ``X`` was a list of sequences, each of its own length: a
        list of per-step targets then holds one array per sequence, as long
        as that sequence.
    channels_are_columns : bool
        Whether the channels are the columns of ``X`` itself, a DataFrame of
        series: ``X[names]`` orders them.
    """

    values: np.ndarray
    lengths: np.ndarray | None
    n_columns: int | None
    reversed_steps: bool = False
    channel_names: tuple | None = None
    column_labels: tuple | None = None
    from_list: bool = False
    channels_are_columns: bool = False

    @property
    def n_samples(self):
        return self.values.shape[0]

    @property
    def n_channels(self):
        return self.values.shape[2]

    def reorder_steps(self, per_step):
        """Map a per-step array (n_samples, n_timesteps, ...) between the input's
        column order and the internal oldest-first order (either way: for
        newest-first columns it is a reversal, its own inverse)."""
        return per_step[:, ::-1] if self.reversed_steps else per_step

    def real_step_weights(self, sample_weight=None, indices=None):
        """Weight of each real step, for per-step scores.

        Each sequence's steps share its sample weight equally, so every
        sequence counts once whatever its length.

        Parameters
        ----------
        sample_weight : ndarray of shape (n_samples,) or None
        indices : ndarray of int or None
            Only these sequences, in this order: what ``take(indices)``
            would give, without its copy of the values (a fit's training
            part is most of X).

        Returns
        -------
        mask : ndarray of shape (n_samples, n_timesteps), or (len(indices), n_timesteps)
            The real steps.
        weights : ndarray of shape (n_real_steps,)
            Weights of the real steps, in the order of ``array[mask]``.
        """
        mask = self.step_mask()
        n, T = mask.shape
        weights = step_weights(sample_weight, self.lengths, n, T)
        if indices is not None:  # each step's weight depends on its own sequence only
            mask, weights = mask[indices], weights[indices]
        return mask, weights[mask]

    def step_mask(self):
        """Boolean mask (n_samples, n_timesteps) of the real, unpadded steps."""
        n, T = self.values.shape[:2]
        if self.lengths is None:
            return np.ones((n, T), dtype=bool)
        return np.arange(T)[None, :] < self.lengths[:, None]

    def fill_padding(self, array, value):
        """Set ``array``'s entries at padded steps to ``value``, in place.

        ``array`` has shape (n_samples, n_timesteps, ...), steps in internal
        order. (A boolean-mask assignment, ``array[~mask] = value``, took a
        second on 4,000 sequences padded to 2,000 steps; ``copyto`` a tenth.)
        """
        if self.lengths is not None:
            padded = ~self.step_mask()
            np.copyto(array, value, where=padded.reshape(padded.shape + (1,) * (array.ndim - 2)))

    def take(self, indices):
        """The sequences at ``indices``, with all their steps (so targets still align)."""
        values = np.ascontiguousarray(self.values[indices])
        lengths = None if self.lengths is None else self.lengths[indices]
        if lengths is not None and np.all(lengths == values.shape[1]):
            lengths = None
        return replace(self, values=values, lengths=lengths)


def _reject_unsupported_containers(X, name, in_list=False):
    """Refuse masked, sparse and Series ``X`` (``in_list``: an item of a list
    of sequences, where NaN is no padding), saying what to pass instead."""
    reject_masked(
        X, name,
        f"Fill the masked entries first ({name}.filled(value), with the values meant) or "
        "drop their steps: a sequence of a list ends where its array ends, so NaN there "
        "is a missing value, not padding." if in_list else
        f"Fill the masked entries first: {name}.filled(np.nan) marks them missing (NaN), "
        "which is padding after a sequence's end and an error elsewhere.",
    )
    _reject_sparse(X, name, "sequences: an LSTM reads every time step of every channel")
    if isinstance(X, pd.Series):
        _refuse_container_of_sequences(X.to_numpy(), name, f"{name}.tolist()")
        raise ValueError(
            f"Expected a 2-D or 3-D {name}, got a pandas Series (1-D). Reshape a "
            "single sequence to one row with series.to_frame().T, or window it "
            "with sklstm.forecasting.make_windows."
        )
    reject_non_array(X, name, "an array-like, a DataFrame or a list of sequences")
    if isinstance(X, tuple) and hasattr(X, "_fields"):
        # PyTorch's PackedSequence (data, batch_sizes, ...) read as 4 sequences.
        unpack = (" Unpack it with torch.nn.utils.rnn.pad_packed_sequence(X, batch_first=True, "
                  "padding_value=float('nan')) and pass the padded tensor (NaN after each end "
                  "is padding), or pass the sequences as a list."
                  if type(X).__name__ == "PackedSequence" else
                  " Pass its sequences as a list, or as an array.")
        raise TypeError(
            f"{name} is a {type(X).__name__}, a named tuple whose {len(X)} fields would read "
            f"as {len(X)} sequences.{unpack}"
        )


def _refuse_container_of_sequences(values, name, as_list):
    """Raise if the 1-D ``values`` hold sequences (arrays, lists, frames) as
    objects: they are read as a list of sequences, which ``as_list`` makes."""
    if values.ndim == 1 and values.dtype == object and len(values) \
            and all(isinstance(item, (np.ndarray, pd.DataFrame, pd.Series, list, tuple))
                    for item in values[:5]):
        raise ValueError(
            f"{name} is a 1-D container of {len(values)} sequences (dtype object); pass "
            f"them as a list of sequences, {as_list}, which may differ in length."
        )


def reject_non_array(values, name, expected):
    """Refuse what NumPy would read as one object: an iterator (a generator),
    a mapping, a set or text; ``expected`` says what ``name`` must be."""
    if isinstance(values, (str, bytes, dict, set, frozenset, Mapping, Iterator)):
        raise TypeError(
            f"{name} must be {expected}, got a {type(values).__name__}. Materialise "
            "iterators with list(...) and pass mappings' values as an array."
        )


def _reject_sparse(values, name, what):
    """Refuse SciPy sparse matrices and pandas frames whose columns are all
    sparse, which scikit-learn would hand to SciPy; ``what`` says why dense
    data is needed. Frames mixing sparse and dense columns, and sparse
    Series, are read densely, as scikit-learn reads them."""
    if sparse.issparse(values):
        remedy = f"{name}.toarray()"
    elif _is_sparse_frame(values):
        remedy = f"{name}.sparse.to_dense()"
    else:
        return
    raise TypeError(
        f"Sparse data was passed for {name}, but sklstm needs dense {what}. Convert it "
        f"with {remedy} if it fits in memory."
    )


def _is_sparse_frame(values):
    return (
        isinstance(values, pd.DataFrame) and values.shape[1] > 0
        and all(isinstance(dtype, pd.SparseDtype) for dtype in values.dtypes)
    )


def is_real_number_dtype(dtype):
    """Whether a column of ``dtype`` holds real numbers or booleans, read as floats.

    Categories are not, whatever their values (pandas calls a category of
    booleans a bool dtype); neither are the pyarrow types whose NumPy type
    pandas does not know (an interval of months, days and nanoseconds).
    """
    if isinstance(dtype, pd.CategoricalDtype):
        return False
    return _dtype_is(pd.api.types.is_bool_dtype, dtype) or (
        _dtype_is(pd.api.types.is_numeric_dtype, dtype)
        and not _dtype_is(pd.api.types.is_complex_dtype, dtype)
    )


def _dtype_is(test, dtype):
    """``test(dtype)``, False for a dtype pandas cannot classify (it raises
    NotImplementedError for some pyarrow types)."""
    try:
        return test(dtype)
    except NotImplementedError:
        return False


def _reject_text(X, name):
    """Refuse text, also numbers written as text inside object arrays and columns.

    check_array would parse numeric strings such as "1.5" silently; sklearn
    rejects text under dtype="numeric", and so does sklstm. Columns of
    other non-numeric kinds (datetimes, categories) are refused by name.
    """
    if isinstance(X, pd.DataFrame):
        for column, dtype in X.dtypes.items():
            if is_real_number_dtype(dtype):
                continue
            if dtype == object and not _holds_text(X[column].to_numpy()):
                continue
            if _dtype_is(pd.api.types.is_complex_dtype, dtype):
                raise ValueError(
                    f"Column {quoted_label(column)} of {name} holds complex numbers, but an LSTM "
                    "needs real ones. Pass its real part or modulus explicitly."
                )
            if is_foreign_number_dtype(dtype):
                raise TypeError(foreign_number_refusal(
                    f"Column {quoted_label(column)} of {name}", dtype,
                    f"cast it with {name}.astype({{{quoted_label(column)}: np.float32}})"))
            if column == "_level_skforecast":
                # skforecast's multi-series forecasters add it; its user cannot convert it.
                advice = ("skforecast's multi-series forecasters add this column with "
                          "encoding='ordinal_category': pass encoding='ordinal' (one number "
                          "per series) or 'onehot' (a column per series), counted in n_exog "
                          "with the other exogenous columns, or encoding=None.")
            elif isinstance(dtype, pd.CategoricalDtype):
                advice = (f"Encode it as numbers: its codes "
                          f"({name}[{quoted_label(column)}].cat.codes) or a column per "
                          "category (pandas.get_dummies), or drop it.")
            else:
                advice = ("Convert it explicitly (for example timestamps to calendar "
                          "features, numbers written as text with .astype(float)), or drop it.")
            raise TypeError(
                f"Column {quoted_label(column)} of {name} has dtype {dtype}, but sklstm needs "
                "numbers. " + advice
            )
        return
    arr = X if isinstance(X, np.ndarray) else None
    if arr is None:
        return
    if _holds_text(arr):
        raise ValueError(
            f"{name} holds strings (dtype {arr.dtype}), but sklstm needs numbers. "
            f"Convert numbers written as text explicitly, e.g. {name}.astype(float)."
        )
    if arr.dtype.kind in "mM":
        raise TypeError(
            f"{name} holds dates or durations (dtype {arr.dtype}), but sklstm needs numbers."
        )
    reject_records(arr, name)


def _refuse_inexact_integers_of(X, name):
    """:func:`~sklstm._checks.refuse_inexact_integers` of an array, or of a
    DataFrame's integer columns together and its long double columns
    together, as the array they become (objects: :func:`_object_numbers`)."""
    if isinstance(X, np.ndarray) and X.dtype.kind in "iuf":
        refuse_inexact_integers(X, name)
    elif isinstance(X, pd.DataFrame):
        kinds = [getattr(dtype, "kind", None) for dtype in X.dtypes]
        integer = [k for k, kind in enumerate(kinds) if kind in ("i", "u")]
        extended = [k for k, dtype in enumerate(X.dtypes)  # NumPy's long double
                    if isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize > 8]
        for columns in (integer, extended):
            if not columns:
                continue
            values = _column_arrays(X, columns)
            value_kinds = {v.dtype.kind for v in values}
            table = np.column_stack(
                values if len(value_kinds) == 1 else [v.astype(object) for v in values])

            def place(index, columns=columns):
                return f"row {index[0]}, column {quoted_label(X.columns[columns[index[1]]])}"

            refuse_inexact_integers(table, name, place=place)


def _column_arrays(X, columns):
    """The columns at positions ``columns`` of DataFrame ``X`` as NumPy
    arrays (nullable integers as :func:`_integer_values` reads them).

    Columns of one NumPy dtype are read as one block: one Series a column
    cost 0.15 ms, nearly a second for thousands of integer lag columns.
    """
    values, by_dtype, dtypes = [None] * len(columns), {}, list(X.dtypes)
    for j, k in enumerate(columns):
        dtype = dtypes[k]
        if isinstance(dtype, np.dtype):
            by_dtype.setdefault(dtype, []).append(j)
        else:
            values[j] = _integer_values(X.iloc[:, k])
    for dtype, places in by_dtype.items():
        block = X.iloc[:, [columns[j] for j in places]].to_numpy(dtype=dtype)
        for i, j in enumerate(places):
            values[j] = block[:, i]
    return values


def _integer_values(column):
    """A Series of integers, nullable ones too, as a NumPy integer array: pd.NA
    as 0, exact, for a missing value is refused by place later (a Series of
    other numbers: as its NumPy array)."""
    if isinstance(column.dtype, pd.SparseDtype):  # its NumPy type is its subtype's
        column = column.sparse.to_dense()
    dtype = column.dtype
    return column.to_numpy(dtype=getattr(dtype, "numpy_dtype", dtype), na_value=0)


def refuse_inexact_integer_column(column, name):
    """:func:`~sklstm._checks.refuse_inexact_integers` of a Series of
    integers, nullable ones too (positions named as rows)."""
    if getattr(column.dtype, "kind", None) in ("i", "u"):
        refuse_inexact_integers(_integer_values(column), name, "row")


def _reject_duplicate_columns(X, name):
    """Refuse a DataFrame whose column names repeat: its channels could not be told apart."""
    if not isinstance(X, pd.DataFrame) or X.columns.is_unique:
        return
    counts = X.columns.value_counts(dropna=False)
    repeated = ", ".join(f"{col!r} ({n} times)" for col, n in counts[counts > 1].items())
    raise ValueError(
        f"The column names of {name} repeat: {repeated}. Give every column its own "
        "name, so that columns are matched by name between fit and predict."
    )


def _holds_text(values):
    """Whether an array holds text: a string dtype (NumPy's StringDType, kind
    "T", too), or any str or bytes among its objects (scanned element by element)."""
    if values.dtype.kind in "UST":
        return True
    return values.dtype == object and any(isinstance(v, (str, bytes)) for v in values.ravel())


def _is_complex_number(value):
    """Whether ``value`` is a complex number (a zero imaginary part included)."""
    return isinstance(value, (complex, np.complexfloating))


def _beyond_float64(value):
    """Whether ``value`` is a finite number float64 cannot hold: a Decimal
    or a long double (which float() would make inf), or a Python int or
    Fraction (on which float() raises OverflowError)."""
    if isinstance(value, Decimal):
        return value.is_finite() and abs(value) > _FLOAT64_MAX_DECIMAL
    if isinstance(value, np.floating) and np.finfo(type(value)).bits > 64:
        return bool(np.isfinite(value)) and abs(value) > np.finfo(np.float64).max
    if isinstance(value, numbers.Rational) and not isinstance(value, (bool, np.integer)):
        try:
            float(value)
        except OverflowError:
            return True
    return False


# What :func:`_object_numbers` finds in each entry of an object array.
_NUMBER, _PANDAS_MISSING, _COMPLEX, _BEYOND_FLOAT64, _NOT_ONE_NUMBER = range(5)


def _object_entry_kind(value):
    """One of the kinds above (None, which NumPy reads as NaN, is a number)."""
    if value is None:
        return _NUMBER
    if value is pd.NA or value is pd.NaT or (isinstance(value, Decimal) and value.is_snan()):
        return _PANDAS_MISSING  # a signalling Decimal NaN too: float() raises on it
    if _is_complex_number(value):
        return _COMPLEX
    if _beyond_float64(value):
        return _BEYOND_FLOAT64
    if (isinstance(value, (numbers.Number, np.bool_)) and not isinstance(value, np.timedelta64)
            or isinstance(value, np.ndarray) and value.ndim == 0 and value.dtype.kind in "biuf"):
        return _NUMBER
    return _NOT_ONE_NUMBER


def _object_numbers(values, name, axis_name=None, place=None, *, weights=False):
    """An object array (checked to hold no text) with pandas' missing values
    (pd.NA, NaT, a signalling Decimal NaN) as None, which NumPy reads as NaN,
    as it reads None. ``axis_name`` ("row", for a column) names the places of
    integers float64 would merge, as :func:`refuse_inexact_integers` does;
    ``place(index)`` names an index tuple's entry instead (a weight's sample
    or class). ``weights`` are quantities that have no missing values and
    that float64 may round (2**60 and 2**60 + 1 weigh alike): integers it
    would merge are accepted.

    Raises
    ------
    ValueError
        If an entry is complex, beyond float64, or one of several distinct
        integers float64 would merge, naming its index.
    TypeError
        If an entry is not one number (an array or a dict, say), naming its index.
    """
    kinds = np.frompyfunc(_object_entry_kind, 1, 1)(values).astype(np.int8)
    at = (lambda where: f"at index {where}") if place is None else (
        lambda where: f"at {place(where)}")

    def first(kind):
        found = np.argwhere(kinds == kind)
        return tuple(int(i) for i in found[0]) if found.size else None

    if (where := first(_COMPLEX)) is not None:
        raise ValueError(
            f"Complex data not supported: {name} holds the complex number {values[where]!r} "
            f"{at(where)}, but an LSTM needs real ones. Pass its real part or modulus "
            "explicitly."
        )
    if (where := first(_BEYOND_FLOAT64)) is not None:
        raise _too_large(name, f"{quoted(values[where])} {at(where)}")
    if (where := first(_NOT_ONE_NUMBER)) is not None:
        value = values[where]
        kind = type(value).__name__
        kind = f"{'an' if kind[:1].lower() in 'aeiou' else 'a'} {kind}"
        try:  # Python's own reason, which scikit-learn's checks expect to read
            float(value)
            reason = f"{kind} of shape {np.shape(value)} is not one number"
        except (TypeError, ValueError) as exc:
            reason = str(exc)
        missing = "" if weights else " (None or NaN for a missing one)"
        raise TypeError(
            f"{name} must contain only numbers, one per entry{missing}, but holds {kind} "
            f"{at(where)}: {reason}."
        )
    if not weights:
        refuse_inexact_integers(values, name, axis_name, place)
    missing = kinds == _PANDAS_MISSING
    if missing.any():
        values = values.copy()
        values[missing] = None
    return values


def _object_columns(frame, name):
    """``frame`` with each column that NumPy reads as objects (object
    columns; pyarrow decimals) read by :func:`_object_numbers`.

    Column by column, so that an error names the column: a pd.NA in such a
    column was refused as "not a number", and a list in a cell failed
    inside NumPy.
    """
    frame = frame.copy(deep=False)
    for k, column in enumerate(frame.columns):
        values = frame.iloc[:, k].to_numpy()
        if values.dtype == object:
            numbers_ = _object_numbers(values, f"Column {quoted_label(column)} of {name}", "row")
            try:  # pandas reads the column's type from its values
                frame.isetitem(k, numbers_)
            except OverflowError as exc:
                raise _too_large(name, exc) from exc
    return frame


def _too_large(name, exc):
    """The one error for Python ints beyond float64's range, in object data."""
    return ValueError(f"{name} holds a number too large for float64: {exc}")


def refuse_beyond_float64(values, name, place=None):
    """Raise, naming the first, on finite long doubles beyond float64's range:
    the cast would make them inf, reported as infinite values the data do
    not hold. ``place(index)`` names an index tuple's entry (default: the
    index)."""
    if not (values.dtype.kind == "f" and values.dtype.itemsize > 8):
        return
    beyond = np.isfinite(values) & (np.abs(values) > np.finfo(np.float64).max)
    if beyond.any():
        where = tuple(int(i) for i in np.argwhere(beyond)[0])
        at = f"index {where}" if place is None else place(where)
        raise _too_large(name, f"{values[where]!r} at {at}")


def _as_float_array(
    X, name, *, allow_nd, ensure_2d=True, ensure_min_samples=1, ensure_min_features=1
):
    """check_array with sklstm's dtype rules: float32 kept, NaN/inf checked later.

    Serves sequences and numeric targets alike, with one set of messages.
    Sequences pass ``ensure_min_samples=0, ensure_min_features=0`` and say
    themselves what is empty (:func:`_check_not_empty`).
    """
    def plain_floats(X):
        # What check_array returns unchanged: it is not run on it. A list of
        # thousands of small sequences spent 90% of its conversion in
        # check_array's inspection of each item's type, and a recursive
        # forecast a tenth of each step's predict.
        return (
            type(X) is np.ndarray and X.dtype in _NATIVE_FLOAT_DTYPES
            and (X.ndim == 2 or allow_nd and X.ndim > 2) and X.shape[0] >= ensure_min_samples
            and (X.ndim > 2 or X.shape[1] >= ensure_min_features)
        )

    if plain_floats(X):
        return X
    if isinstance(X, np.matrix) or not isinstance(X, (np.ndarray, pd.DataFrame)):
        X = _as_array(X, name)  # lists: np.asarray keeps text as text, to be refused
    _reject_duplicate_columns(X, name)
    X = _native_floats(X)
    if plain_floats(X):
        return X
    if isinstance(X, pd.DataFrame) and all(
        isinstance(dtype, np.dtype) and dtype.kind == "f" and dtype.itemsize <= 8
        and dtype.isnative for dtype in X.dtypes
    ):
        # Columns of plain floats, the common frame, hold nothing the checks
        # of other dtypes look for: their array takes the array's checks,
        # which cost a tenth (a list of 4,000 small frames took 2.8 s).
        X = X.to_numpy()
        if plain_floats(X):
            return X
    _reject_text(X, name)
    _refuse_inexact_integers_of(X, name)
    if isinstance(X, np.ndarray):
        refuse_beyond_float64(X, name)
    if isinstance(X, np.ndarray) and X.dtype == object:
        X = _object_numbers(X, name)
    elif isinstance(X, pd.DataFrame) and any(
        dtype == object or isinstance(dtype, pd.api.extensions.ExtensionDtype)
        for dtype in X.dtypes
    ):
        X = _object_columns(X, name)
    try:
        arr = check_array(
            X,
            accept_sparse=False,
            dtype=_FLOAT_DTYPES,
            ensure_all_finite=False,
            allow_nd=allow_nd,
            ensure_2d=ensure_2d,
            ensure_min_samples=ensure_min_samples,
            ensure_min_features=ensure_min_features,
            input_name=name,
        )
    except TypeError as exc:
        raise TypeError(f"{name} must contain only numbers: {exc}") from exc
    except OverflowError as exc:
        # Python ints beyond float64's range, in object arrays or lists.
        raise _too_large(name, exc) from exc
    except ValueError as exc:
        msg = str(exc)
        if "Complex data not supported" in msg:
            # check_array appends the whole array to this message.
            raise ValueError(
                f"Complex data not supported: {name} holds complex numbers, but an LSTM "
                f"needs real ones. Pass {name}.real or np.abs({name}) explicitly."
            ) from None
        if "could not convert" in msg or "string" in msg:
            raise ValueError(
                f"{name} must contain only numbers (no strings or objects): {msg}"
            ) from exc
        raise
    # check_array keeps a DataFrame's big-endian columns as they are; every
    # later step (the weights' dtype above all) reads native floats.
    return _native_floats(arr)


def _native_floats(X):
    """``X`` with floats of another byte order, and a frame's nullable float
    columns (``Float32``, ``Float64``; pd.NA as NaN), as native NumPy floats
    of the same width. check_array reads both as float64, so a float32 file
    or frame trained a float64 model where its native array trains float32."""
    if isinstance(X, np.ndarray):
        native = X.dtype.kind == "f" and X.dtype.itemsize <= 8 and not X.dtype.isnative
        return X.astype(X.dtype.newbyteorder("=")) if native else X
    if not isinstance(X, pd.DataFrame):
        return X
    nullable = [k for k, dtype in enumerate(X.dtypes)
                if isinstance(dtype, (pd.Float32Dtype, pd.Float64Dtype))]
    if not nullable:
        return X
    X = X.copy(deep=False)
    for k in nullable:
        column = X.iloc[:, k]
        X.isetitem(k, column.to_numpy(dtype=column.dtype.numpy_dtype, na_value=np.nan))
    return X


_ARRAY_HINT = (
    "Pass a 3-D array (n_samples, n_timesteps, n_channels), a 2-D table with one "
    "sequence per row, or a list of 1-D (n_timesteps,) or 2-D (n_timesteps, "
    "n_channels) arrays."
)


def _as_array(X, name, hint=_ARRAY_HINT, *, numbers=True):
    """np.asarray with a clear error for lists that do not form an array, and
    for objects whose own conversion refuses (a TypeError or RuntimeError:
    a tensor that requires grad, a dtype NumPy lacks), naming ``name``.

    A np.matrix is refused (as scikit-learn's check_array refuses it): it
    stays 2-D whatever is done to it, so a column of labels or targets read
    from one would keep a shape no other input has. Where ``numbers`` are
    read (all but labels), categories are refused as a DataFrame's category
    columns are: the conversion would turn them into their values, read
    as quantities.
    """
    # A list's items by their types (a list of a million numbers took a
    # second item by item): only arrays, frames and the like are looked at.
    items = X if isinstance(X, (list, tuple)) else ()
    containers = {kind for kind in set(map(type, items))
                  if hasattr(kind, "dtype") and not issubclass(kind, np.generic)}
    typed = [k for k, item in enumerate(items) if type(item) in containers] if containers else []
    if numbers:
        # A list's items too: np.asarray makes equal-length Categoricals a table.
        for where, values in [(name, X), *((f"{name}[{k}]", items[k]) for k in typed)]:
            if isinstance(getattr(values, "dtype", None), pd.CategoricalDtype):
                raise TypeError(
                    f"{where} has dtype category, but sklstm needs numbers: categories are "
                    "labels, not quantities. Pass their codes one-hot encoded, or their "
                    "values with .astype(float) if the values are quantities."
                )
    if isinstance(X, np.matrix):
        raise TypeError(f"{name} is a np.matrix, which sklstm does not read: pass "
                        f"np.asarray({name}).")
    if any(isinstance(items[k], np.matrix) for k in typed):
        raise TypeError(f"{name} holds a np.matrix, which sklstm does not read: pass "
                        "np.asarray of each item.")
    place, masked = _first_masked(X, name)
    reject_masked(masked, place, f"Pass {place}.filled(value), with the values meant.")
    try:
        return np.asarray(X)
    except ValueError as exc:
        raise ValueError(f"{name} cannot be read as an array: {exc} {hint}") from None
    except RecursionError:
        raise
    except (TypeError, RuntimeError) as exc:
        raise TypeError(
            f"{name} (a {type(X).__name__}) could not be converted to a NumPy array: "
            f"{type(exc).__name__}: {str(exc).rstrip('.')}. Convert it to a NumPy array "
            "of numbers first (a tensor that requires grad, or whose dtype NumPy lacks: "
            "tensor.detach().cpu().float().numpy())."
        ) from exc


# NumPy's arrays have at most this many axes: lists nested deeper are no
# array, and np.asarray refuses them itself.
_MAX_DIMS = 64


def _first_masked(X, name):
    """``(place, array)``: the first masked array that is ``X`` or is nested
    in its lists and tuples, with its place (``name[k][j]``); else
    ``(name, None)``. np.asarray drops the masks of arrays inside lists as
    of ``X`` itself, and would read the masked values as data.

    Read a level of nesting at a time, by the types of all its items at
    once (C-level passes, about np.asarray's own reading of them); a list
    nested twice in one level is read once, and a list nested in itself
    stops at NumPy's deepest array.
    """
    if isinstance(X, np.ma.MaskedArray):
        return name, X
    level = [X] if isinstance(X, (list, tuple)) else []
    above = set(map(id, level))  # the lists of the levels above
    for _ in range(_MAX_DIMS):
        if not level:
            break
        items = list(itertools.chain.from_iterable(level))
        kinds = set(map(type, items))
        if any(issubclass(kind, np.ma.MaskedArray) for kind in kinds):
            found = next(item for item in items if isinstance(item, np.ma.MaskedArray))
            return _place_of(found, X, name), found
        if not any(issubclass(kind, (list, tuple)) for kind in kinds):
            break
        if not kinds <= {list, tuple}:  # numbers beside lists: keep the lists
            items = [item for item in items if isinstance(item, (list, tuple))]
        ids = set(map(id, items))
        if not ids.isdisjoint(above):
            again = [item for item in items if id(item) in above]
            if any(_nested_in_itself(item) for item in again):
                # np.asarray would build its shape forever.
                raise ValueError(f"{name} holds a list or tuple nested in itself, which no "
                                 "array can hold: pass its values once.")
            break  # a list at two depths: ragged, as np.asarray will say
        if len(ids) < len(items):  # a list nested twice in one level
            items = list({id(item): item for item in items}.values())
        level = items
        above |= ids
    return name, None


def _nested_in_itself(container):
    """Whether ``container`` (a list or tuple) holds itself at some depth."""
    pending, seen = list(container), set()
    while pending:
        item = pending.pop()
        if item is container:
            return True
        if isinstance(item, (list, tuple)) and id(item) not in seen:
            seen.add(id(item))
            pending.extend(item)
    return False


def _place_of(target, X, name):
    """Where ``target`` is nested in the lists and tuples of ``X``, as
    ``name[k][j]``, found by identity (for a message)."""
    pending, seen = deque([(name, X)]), set()
    while pending:
        place, values = pending.popleft()
        if values is target:
            return place
        if isinstance(values, (list, tuple)) and id(values) not in seen:
            seen.add(id(values))
            pending.extend((f"{place}[{k}]", item) for k, item in enumerate(values)
                           if isinstance(item, (list, tuple, np.ma.MaskedArray)))
    return name


def _list_to_padded(X, name, channels_first, nan_advice=None, fitted_channels=None):
    """Stack a list of 1-D or 2-D sequences, of any lengths, into the internal form.

    A list's sequences end where their arrays end, so NaN inside them is
    never padding: it is an error that names the sequence, step and channel
    (with ``nan_advice``, as :func:`check_sequences` takes it, where given).

    ``fitted_channels`` (a fitted model's) tells a list of sequences whose
    channel counts differ, but whose other axis holds that many, to
    transpose them.

    Returns
    -------
    values : ndarray of shape (n_samples, max_length, n_channels), zero after each end
    lengths : ndarray of shape (n_samples,) or None when all lengths are equal
    channel_names, column_labels : tuple or None
        The items' column names when the items are DataFrames (see
        :func:`_names_and_labels`).
    """
    seqs, as_read = [], []
    for k, seq in enumerate(X):
        item = f"{name}[{k}]"
        if sparse.issparse(seq) or _is_sparse_frame(seq) or isinstance(seq, np.ma.MaskedArray):
            _reject_unsupported_containers(seq, item, in_list=True)
        if not isinstance(seq, pd.DataFrame):
            seq = _as_array(seq, item)  # a Series is one univariate sequence here
        # data_format names the axes of 2-D items; a 1-D item is one channel's steps
        transpose = channels_first and seq.ndim == 2
        if seq.ndim == 1:
            seq = seq[:, None] if isinstance(seq, np.ndarray) else seq
        if seq.ndim != 2:
            # A scalar, None or a string among sequences: say what it is.
            what = "" if seq.ndim else (
                " (None)" if X[k] is None else f" (a {type(X[k]).__name__})")
            raise ValueError(
                f"Sequence {k} of {name} has {seq.ndim} dimensions{what}; each sequence of "
                "a list must be 1-D (n_timesteps,) or 2-D (n_timesteps, n_channels)."
            )
        arr = _as_float_array(
            seq, item, allow_nd=False, ensure_min_samples=0, ensure_min_features=0
        )
        read = seq.to_numpy() if isinstance(seq, pd.DataFrame) else seq
        if transpose:
            arr, read = arr.T, read.T
        as_read.append(read)
        if arr.shape[0] == 0:
            raise ValueError(f"Sequence {k} of {name} has no time steps.")
        if arr.shape[1] == 0:
            raise ValueError(
                f"Sequence {k} of {name} has 0 channels (shape {seq.shape}); every step "
                "needs at least one value."
            )
        found = first_non_finite(arr)
        if found is not None:
            (t, c), kind = found
            if kind == "infinity":
                _raise_infinity(name, f"inside sequence {k} (step {t}, channel {c})")
            raise ValueError(
                f"Input {name} contains NaN inside sequence {k} (step {t}, channel {c}). "
                + (nan_advice or "The sequences of a list end where their arrays end; NaN is "
                   "a missing value, not padding.")
            )
        seqs.append(arr)
    channels = {s.shape[1] for s in seqs}
    if len(channels) > 1:
        first = seqs[0].shape[1]
        bad = next(k for k, s in enumerate(seqs) if s.shape[1] != first)
        # Read along the other axis, the channel counts would agree; said
        # where, as read, they are many to few steps (_warn_if_transposed):
        # a channel missing from some sequences of long steps is no sign.
        other_axis = {s.shape[0] for s in seqs}
        few = len(other_axis) == 1 and min(channels) > _TRANSPOSED_RATIO * min(other_axis)
        if fitted_channels is not None:
            hint = transposed_list_hint(other_axis, channels, fitted_channels, name)
        else:
            hint = "" if not few else (
                f" Each has {other_axis.pop()} along its other axis: if the sequences are "
                + ("(n_timesteps_i, n_channels), do not pass data_format='channels_first'."
                   if channels_first else
                   "(n_channels, n_timesteps_i), pass data_format='channels_first'."))
        raise ValueError(
            f"All sequences of {name} must have the same number of channels: "
            f"sequence 0 has {first}, sequence {bad} has {seqs[bad].shape[1]}.{hint}"
        )
    # Each sequence was checked on its own; two of them may still hold
    # distinct integers that float64 would merge.
    refuse_inexact_integers_across(
        as_read, name, lambda k, step, channel: f"sequence {k}, step {step}, channel {channel}")
    lengths = np.array([s.shape[0] for s in seqs], dtype=np.intp)
    values = np.zeros((len(seqs), lengths.max(), channels.pop()), np.result_type(*seqs))
    for k, s in enumerate(seqs):
        values[k, : s.shape[0]] = s
    if np.all(lengths == lengths[0]):
        lengths = None
    return values, lengths, _list_channel_names(X, name, channels_first)


def transposed_list_hint(n_steps, n_channels, fitted_channels, name):
    """Advice to transpose a list's sequences, read as (n_timesteps_i,
    n_channels) with the sets of step counts ``n_steps`` and channel counts
    ``n_channels``, where each has the fitted channel count along its steps
    and more than twice as many channels (sktime's df-list frames, time by
    variable, read the other way round); "" otherwise. Sequences of a few
    steps and a few more channels are no sign of it."""
    if n_steps != {fitted_channels} or not (
            min(n_channels) > _TRANSPOSED_RATIO * fitted_channels):
        return ""
    return (f" Each of its sequences has {fitted_channels} along its other axis, as many as "
            f"the model was fitted with: if they are the other way round, pass "
            f"[x.T for x in {name}].")


def _names_and_labels(labels):
    """``(channel_names, column_labels)`` of a frame's labels (see
    :class:`Sequences`): the names when all are strings, else None; and
    ``str`` of each label. Both None without labels."""
    if labels is None:
        return None, None
    labels = list(labels)
    names = tuple(labels) if all(isinstance(c, str) for c in labels) else None
    return names, tuple(str(c) for c in labels)


def _list_channel_names(X, name, channels_first=False):
    """Channel names shared by every DataFrame of a list, in one order, as
    :func:`_names_and_labels` gives them.

    They are the columns, or with ``channels_first`` the row labels (the
    columns then label time steps). A list mixing DataFrames with other
    arrays, or DataFrames whose channels differ in name or order, would pair
    channels silently by position.
    """
    frames = [isinstance(item, pd.DataFrame) for item in X]
    if not any(frames):
        return None, None
    if not all(frames):
        k = frames.index(not frames[0])
        which = ("is not", "is") if frames[0] else ("is", "is not")
        raise ValueError(
            f"Sequence {k} of {name} {which[0]} a DataFrame, but sequence 0 {which[1]}: "
            "give every sequence as a DataFrame with the same columns, or none."
        )
    axis, labels = ("row labels", "index") if channels_first else ("columns", "columns")
    first = list(getattr(X[0], labels))
    for k, frame in enumerate(X):
        if list(getattr(frame, labels)) != first:
            raise ValueError(
                f"The {axis} of sequence {k} of {name}, {list(getattr(frame, labels))}, "
                f"differ from those of sequence 0, {first}: every DataFrame must have the "
                f"same {axis} (its channels) in the same order, or channels would be swapped."
            )
    return _names_and_labels(first)


def _is_ragged(X, name="X"):
    """Whether a list/tuple holds sequences of differing shapes.

    A scalar among sequences also makes the list ragged, so that it is
    reported as a sequence with the wrong number of dimensions.
    """
    if not isinstance(X, (list, tuple)) or len(X) == 0:
        return False
    shapes = set()
    for k, item in enumerate(X):
        try:
            shapes.add(np.shape(item))
        except ValueError as exc:
            raise ValueError(
                f"Sequence {k} of {name} is not rectangular: {exc} Each sequence must be "
                "1-D (n_timesteps,) or 2-D (n_timesteps, n_channels), with the same "
                "number of channels at every step."
            ) from None
    return len(shapes) > 1


def is_list_of_sequences(X, name="X"):
    """Whether ``X`` is read as a list of sequences (one per item), rather than
    as an array: a list or tuple of items of differing shapes, or of arrays;
    or a DataFrame of series (one per row)."""
    return _is_ragged(X, name) or _holds_arrays(X) or _is_frame_of_series(X)


# The rows whose cells tell a DataFrame of series from a table of objects.
_ROWS_TELLING_SERIES = 10


def _is_frame_of_series(X):
    """Whether X is a DataFrame whose cells hold series: sktime's
    ``nested_univ`` panel. At least half the cells of its object columns in
    its first rows hold arrays or Series; the others, and arrays that are
    not 1-D, are then named as no series (:func:`_frame_of_series_rows`). A
    table with a stray array among its numbers is a table, whose message
    names that cell. (The first rows only: an object table of a million
    rows is not read cell by cell twice.)"""
    if not isinstance(X, pd.DataFrame):
        return False
    first = X.iloc[:_ROWS_TELLING_SERIES]
    cells = [cell for k, dtype in enumerate(first.dtypes) if dtype == object
             for cell in first.iloc[:, k]]
    n_arrays = sum(isinstance(cell, pd.Series) or isinstance(cell, np.ndarray) and cell.ndim > 0
                   for cell in cells)
    return n_arrays > 0 and 2 * n_arrays >= len(cells)


def _is_series(cell):
    """Whether a cell of a DataFrame holds a series: a pandas Series or a 1-D array."""
    return isinstance(cell, pd.Series) or isinstance(cell, np.ndarray) and cell.ndim == 1


def _row_text(label):
    """A row label as ``X.loc[...]`` takes it: ``30``, ``'a'``, ``Timestamp('2020-01-01
    00:00:00')``."""
    if isinstance(label, (pd.Timestamp, pd.Timedelta, pd.Period)):
        return repr(label)
    return quoted_label(label)


def _frame_of_series_rows(X, name, nan_advice=None):
    """The sequences of a DataFrame of series: one float array (n_timesteps_i,
    n_columns) per row, its columns the channels.

    Each cell is read as a list's 1-D item is, named by its place
    (``X.loc[row, column]``). The steps at a row's end where every channel
    is NaN are padding (sktime pads so), and a NaN before them an error;
    with ``nan_advice`` (a model that reads no padding, as
    :func:`check_sequences` takes it) every NaN is, with that advice.
    """
    _reject_duplicate_columns(X, name)
    sequences, as_read = [], [[] for _ in X.columns]
    for label, row in zip(X.index, X.itertuples(index=False, name=None)):
        def where(column, label=label):
            return f"{name}.loc[{_row_text(label)}, {quoted_label(column)}]"

        channels = []
        for c, (column, cell) in enumerate(zip(X.columns, row)):
            if not _is_series(cell):
                held = (f"an array of shape {cell.shape}" if isinstance(cell, np.ndarray)
                        else "None" if cell is None else f"a {type(cell).__name__}")
                raise TypeError(
                    f"{name} is a DataFrame of series (sktime's nested_univ layout, one row "
                    f"per sequence and one column per channel), but {where(column)} holds "
                    f"{held}: every cell must hold one channel's series, a pandas Series "
                    "or a 1-D array."
                )
            if isinstance(cell.dtype, np.dtype) and cell.dtype.kind == "f":
                # The common cell, which needs no other check.
                values = cell.to_numpy() if isinstance(cell, pd.Series) else cell
            else:
                values = _as_array(cell, where(column))  # a category's values refused here
            as_read[c].append(values[:, None])
            channels.append(_as_float_array(values[:, None], where(column), allow_nd=False,
                                            ensure_min_samples=0, ensure_min_features=0))
        lengths = [len(channel) for channel in channels]
        if len(set(lengths)) > 1:
            held = ", ".join(f"{quoted_label(c)} {n}" for c, n in zip(X.columns, lengths))
            raise ValueError(
                f"Row {_row_text(label)} of {name} holds series of different lengths ({held} "
                "steps): the channels of one sequence must have one length; resample or "
                "cut them to it first."
            )
        if lengths[0] == 0:
            raise ValueError(f"Row {_row_text(label)} of {name} holds no steps.")
        sequence = np.concatenate(channels, axis=1)
        if nan_advice is None:
            real = np.flatnonzero(~np.isnan(sequence).all(axis=1))
            if not len(real):
                raise ValueError(f"Row {_row_text(label)} of {name} holds only NaN.")
            sequence = sequence[: real[-1] + 1]
        found = first_non_finite(sequence)
        if found is not None:
            (step, c), kind = found
            if kind == "infinity":
                _raise_infinity(name, f"at {where(X.columns[c])}, step {step}")
            raise ValueError(
                f"{where(X.columns[c])} holds NaN at step {step}. " + (nan_advice or (
                    "It is before the row's last real step (trailing steps where every "
                    "channel is NaN are padding): fill the missing values first."))
            )
        sequences.append(sequence)
    # Each cell was checked on its own; two of a channel may still hold
    # distinct integers that float64 would merge.
    for c, column in enumerate(X.columns):
        refuse_inexact_integers_across(
            as_read[c], name,
            lambda k, step, _, column=column: f"{name}.loc[{_row_text(X.index[k])}, "
                                              f"{quoted_label(column)}], step {step}")
    return sequences


def _holds_arrays(X):
    """Whether X is a list of arrays: sequences, even when of equal length.

    Only nested lists of numbers are read as a table (one row per sequence).
    """
    return isinstance(X, (list, tuple)) and any(
        isinstance(item, (np.ndarray, pd.Series, pd.DataFrame)) or sparse.issparse(item)
        for item in X
    )


def _refuse_table_layout_for_rows(X, n_channels, column_order, newest_first, n_exog, name):
    """Refuse a list of equal-length 1-D arrays when a parameter describes a
    table's columns.

    A list of 1-D arrays is a list of univariate sequences, oldest step
    first; of equal length, it is also what ``list(table)`` gives. With a
    table layout declared, reading the rows as sequences would ignore it
    without a word (the newest lag read as the oldest, two channels as one).
    """
    declared = {
        "n_channels": (n_channels, 1), "column_order": (column_order, "time_major"),
        "newest_first": (newest_first, False), "n_exog": (n_exog, 0),
    }
    given = [f"{key}={value!r}" for key, (value, default) in declared.items() if value != default]
    # Only equal-length 1-D items can be a table's rows; univariate
    # histories of different lengths are sequences whatever the layout.
    if not given or any(np.ndim(item) != 1 for item in X) or _is_ragged(X, name):
        return
    raise ValueError(
        f"{name} is a list of 1-D arrays of equal length, read as univariate sequences "
        f"(one per item, oldest step first), but {', '.join(given)} "
        f"{'describes' if len(given) == 1 else 'describe'} the columns of a 2-D table, "
        f"which a list of sequences does not have. Pass the rows as one 2-D array "
        f"(np.asarray({name})) to read them as a table, or a list of 2-D arrays "
        "(n_timesteps, n_channels) in time order to read them as sequences."
    )


def _refuse_other_channels_than_declared(X3, shape, n_channels, n_exog, data_format, name,
                                         column_order="time_major", frame_of_series=False):
    """At fit, refuse sequences (3-D or a list) whose channels are not the
    ``n_channels + n_exog`` that the declared table layout gives its steps.

    The parameters describe 2-D tables (the model later reads tables as they
    say); sequences carry their own channels, so a declaration that differs
    from them was ignored without a word, most often a channels-first array
    read channels last (sktime's (n, n_channels, n_timesteps) windows with
    n_channels declared). ``shape`` is the given array's (None for a list
    or a DataFrame of series, ``frame_of_series``), ``X3`` the sequences as read.
    """
    declared = n_channels + n_exog
    if (n_channels, n_exog) == (1, 0) or X3.shape[2] == declared:
        return
    given = f"n_channels={n_channels}" + (f" and n_exog={n_exog}" if n_exog else "")
    verb = "describe" if n_exog else "describes"
    what = ("a DataFrame of series," if frame_of_series else "a list" if shape is None
            else f"3-D, of shape {shape},")
    first = data_format == "channels_first"
    axes = "(n_samples, n_channels, n_timesteps)" if first else (
        "(n_samples, n_timesteps, n_channels)")
    # channels_first with several channels reads tables channel-major only
    # (BaseLSTM._check_params): said here, or the advice is refused next.
    major = " and column_order='channel_major'" if (
        n_channels > 1 and column_order == "time_major") else ""
    transposed = "" if first or frame_of_series else (
        " If its axes are (n_samples, n_channels, n_timesteps), as sktime's numpy3D, pass "
        f"data_format='channels_first'{major}.")
    raise ValueError(
        f"{given} {verb} 2-D tables of {declared} channel(s) per step, but {name} is {what} "
        f"read as {axes} with {X3.shape[2]} channel(s). "
        f"Sequences carry their channels: leave n_channels and n_exog at their defaults (as "
        f"for a forecaster's windows), or declare the channels they hold (n_channels + "
        f"n_exog = {X3.shape[2]}).{transposed}"
    )


def _table_to_sequences(X2, n_channels, column_order, newest_first, n_exog, name):
    """Read the rows of a 2-D table as sequences (n, T, n_channels + n_exog).

    The last ``n_exog`` columns are exogenous values of the predicted step
    (skforecast's ``lag_1 .. lag_p, exog_1 ..`` rows): each becomes one more
    channel that holds its value at every step.
    """
    n, n_columns = X2.shape
    if n_exog >= n_columns:
        raise ValueError(
            f"n_exog={n_exog} leaves no lag columns in {name}, which has {n_columns} "
            "feature(s) (columns)."
        )
    lags, exog = X2[:, : n_columns - n_exog], X2[:, n_columns - n_exog :]
    n_lag_columns = lags.shape[1]
    if n_lag_columns % n_channels:
        what = "columns" if not n_exog else f"lag columns besides the n_exog={n_exog}"
        raise ValueError(
            f"{name} has {n_lag_columns} {what}, which cannot hold n_channels="
            f"{n_channels} channels of equal length: the column count must be a multiple "
            f"of {n_channels}."
        )
    T = n_lag_columns // n_channels
    if column_order == "time_major":
        X3 = lags.reshape(n, T, n_channels)
    else:
        X3 = lags.reshape(n, n_channels, T).transpose(0, 2, 1)
    if newest_first:
        X3 = X3[:, ::-1]
    if n_exog:
        X3 = np.concatenate([X3, np.broadcast_to(exog[:, None, :], (n, T, n_exog))], axis=2)
    return X3


def _lag_number(column):
    """The lag a column's name gives, or None when it names no lag.

    skforecast names lags ``lag_1``; sktime's reducers ``lag_0__y`` and,
    recursively, ``lag_1__lag_0__y`` (a lag of a lag: lag 1 of lag 0 is
    lag 1), or with ``pooling="global"`` ``y_lag_1``; the widely copied
    ``series_to_supervised`` recipe ``var1(t-1)``, and ``var1(t)`` for lag
    0; and names given by hand, ``lag1``, ``Lag 1``, ``shift_1``,
    ``temp_lag1``. Returns (lag, variable) with the lags of a name summed.
    """
    text = str(column)
    shifted = _SHIFTED_NAME.fullmatch(text)
    if shifted:
        variable, lag, current = shifted.groups()
        return (0, current) if lag is None else (int(lag), variable)
    parts = text.split("__")
    lags = 0
    while parts and parts[0].startswith("lag_") and _is_lag_number(parts[0][4:]):
        lags += int(parts.pop(0)[4:])
    if len(parts) < len(text.split("__")):
        return lags, "__".join(parts)
    # sktime's global reducers: ``y_lag_1``, the variable's name first; a
    # ColumnTransformer's ``scale__lag_1`` names the transformer ``scale``.
    variable, _, lag = text.rpartition("_lag_")
    if variable and _is_lag_number(lag):
        return int(lag), variable.removesuffix("_") or variable
    by_hand = _HAND_NAMED_LAG.fullmatch(text)
    if by_hand:
        before, lag, after = by_hand.groups()
        return int(lag), "_".join(part for part in (before, after) if part)
    return None


def _lag_numbers(columns):
    """:func:`_lag_number` of each column; ``Price (t)`` beside lags of
    ``Price`` (``Price (t-1)``) is its lag 0, where alone it may name a
    unit (tonnes)."""
    named = [_lag_number(c) for c in columns]
    lagged = {lag[1] for lag in named if lag is not None}
    for k, column in enumerate(columns):
        current = _SPACED_CURRENT.fullmatch(str(column)) if named[k] is None else None
        if current and current.group(1) in lagged:
            named[k] = (0, current.group(1))
    return named


# ``name(t-k)`` (``Price (t-1)`` too), or ``name(t)`` with the name right
# before its bracket: series_to_supervised's lags (``Load (t)`` names a
# unit, tonnes, unless lags of ``Load`` stand beside it: see
# :func:`_lag_numbers`).
_SHIFTED_NAME = re.compile(r"(.*\S)\s*\(t-([0-9]{1,18})\)|(.*\S)\(t\)")
_SPACED_CURRENT = re.compile(r"(.*\S)\s+\(t\)")

# Names given by hand to ``s.shift(k)``: ``lag1``, ``Lag 1``, ``LAG_1``,
# ``shift_1``, ``temp_lag1``, ``lag1_temp``. "lag" or "shift" begins the
# name or follows a separator: ``flag_1`` names no lag. "shift" takes an
# underscore only: ``Shift 1`` names a work shift as often.
_HAND_NAMED_LAG = re.compile(
    r"(?:(.+?)[_ .-])?(?:lag[_ .-]?|shift_?)([0-9]{1,18})(?:[_ .-](.+))?", re.IGNORECASE)


def _is_lag_number(text):
    """Whether ``text`` is a lag's number: decimal digits, few enough for
    ``int`` (whose limit is 4300 digits) and for any real table."""
    return text.isdecimal() and len(text) <= 18


def _in_one_direction(lags):
    """Whether the lag numbers ``lags`` strictly increase or strictly decrease."""
    steps = np.diff(lags)
    return bool((steps > 0).all() or (steps < 0).all())


@dataclass(frozen=True)
class _LagLayout:
    """The table layout that a table's lag names describe.

    ``n_channels`` variables, each with the same ``lags`` (in column order,
    one direction), ``column_order`` their blocks, then ``n_exog`` other
    columns.
    """

    n_channels: int
    column_order: str
    lags: tuple
    n_exog: int

    @property
    def n_steps(self):
        return len(self.lags)

    @property
    def newest_first(self):
        return self.n_steps > 1 and self.lags[1] > self.lags[0]

    def reads(self, declared):
        """Whether the declared :class:`_TableReading` reads each lag as its step."""
        return (declared.n_channels == self.n_channels and declared.n_exog == self.n_exog
                and (self.n_steps == 1 or declared.newest_first == self.newest_first)
                and (self.n_steps == 1 or self.n_channels == 1
                     or declared.column_order == self.column_order))

    def advice(self, declared):
        """``name=value`` texts that make ``declared`` read the table: for one
        variable the parameters that differ, for several the whole layout."""
        several = self.n_channels > 1
        advice = {}
        if several or declared.n_channels != 1:
            advice["n_channels"] = self.n_channels
        if self.n_steps > 1 and several:
            advice["column_order"] = self.column_order
        if self.n_steps > 1 and (several or declared.newest_first != self.newest_first):
            advice["newest_first"] = self.newest_first
        if declared.n_exog != self.n_exog or (several and self.n_exog):
            advice["n_exog"] = self.n_exog
        return [f"{key}={value!r}" for key, value in advice.items()]


@dataclass(frozen=True)
class _TableReading:
    """How a 2-D table is declared to be read: see :func:`check_sequences`."""

    n_columns: int
    n_channels: int
    column_order: str
    newest_first: bool
    n_exog: int

    @property
    def n_steps(self):
        return (self.n_columns - self.n_exog) // self.n_channels

    def describe(self):
        steps = f"{self.n_steps} step{'s' if self.n_steps > 1 else ''}"
        if self.n_channels == 1:
            text = f"{steps} of one channel (newest_first={self.newest_first}"
        else:
            text = (f"{steps} of n_channels={self.n_channels} "
                    f"(column_order={self.column_order!r}, newest_first={self.newest_first}")
        return text + (f", n_exog={self.n_exog})" if self.n_exog else ")")


def _lag_layout(named):
    """The :class:`_LagLayout` of columns whose :func:`_lag_number` are ``named``,
    or None when no layout reads them: other columns before or between the
    lags, variables with different lags, lags that run in neither direction,
    or columns of several variables in neither block order."""
    lagged = list(itertools.takewhile(lambda lag: lag is not None, named))
    n_lagged = len(lagged)
    if not n_lagged or any(lag is not None for lag in named[n_lagged:]):
        return None
    variables = list(dict.fromkeys(variable for _, variable in lagged))
    n_vars = len(variables)
    if n_lagged % n_vars:
        return None
    n_steps = n_lagged // n_vars
    # The place (variable, step) of column k in each layout.
    places = {
        "channel_major": lambda k: (k // n_steps, k % n_steps),
        "time_major": lambda k: (k % n_vars, k // n_vars),
    }
    for order, place in places.items():
        lags = [lagged[k][0] for k in range(n_lagged) if place(k)[0] == 0]
        if all(lagged[k] == (lags[place(k)[1]], variables[place(k)[0]])
               for k in range(n_lagged)):
            break
    else:
        return None
    if n_steps > 1 and not _in_one_direction(lags):
        return None
    return _LagLayout(n_vars, order, tuple(lags), len(named) - n_lagged)


def _name_layouts(named, n_exog):
    """The layouts a table's lag names describe: with the declared ``n_exog``
    trailing columns read as other columns whatever their names (an
    exogenous ``temp_lag_1``), then with every name read; each None where
    no layout reads them. Declared exogenous columns named as the next lags
    of a variable that the other columns lag are not trusted: such an
    ``n_exog`` is stale (set before more lags were asked for), and would
    copy lags to every step. A lag off the others' even spacing (``y_lag_7``
    after lags 1 to 3, a seasonal lag passed as exogenous) is trusted as
    declared.
    """
    lag_part, exog_part = named[: len(named) - n_exog], named[len(named) - n_exog:]
    lagged_variables = {lag[1] for lag in lag_part if lag is not None}
    every_name = _lag_layout(named)
    # Unit steps continue any lags; another even step only two or more (a
    # lag 1 then a lag 7 declared exogenous is a seasonal lag, trusted).
    steps = set() if every_name is None else set(np.diff(every_name.lags).tolist())
    n_declared_lags = len({lag[0] for lag in lag_part if lag is not None})
    continues = every_name is not None and (
        steps <= {1, -1} or len(steps) == 1 and n_declared_lags >= 2)
    trusted = n_exog and not (continues and any(
        lag is not None and lag[1] in lagged_variables for lag in exog_part))
    as_declared = _lag_layout(lag_part + [None] * n_exog) if trusted else None
    return as_declared, every_name


def _warn_if_named_otherwise(columns, n_channels, column_order, newest_first, n_exog, name):
    """Warn when a table's column names say its layout differs from the declared one.

    skforecast names its lags ``lag_1, lag_2, ...`` and sktime's reducers
    ``lag_0__y, lag_1__y, ...`` or ``y_lag_1, y_lag_2, ...``: newest first,
    with other columns (exogenous values, skforecast's window and calendar
    features) after them. The same lags of several variables, one variable
    after another (skforecast's multivariate ``s1_lag_1 .. s2_lag_1 ..``)
    or a step's variables side by side, are one channel each. A table so
    named but read in another layout pairs lags with the wrong steps, and
    exogenous values with old lags: the warning names the declaration that
    reads it. One that no declaration reads (other columns before or
    between the lags, variables with different lags) is warned about too.

    The declaration fits the column count (:func:`_table_to_sequences`
    refused it otherwise). Left alone: tables whose columns name no lag
    (but for a wide panel's: :func:`_warn_if_wide_panel_read_otherwise`); a
    table declared as one step (every column a channel of it) unless its
    names are a window of several steps from its first column; and a table
    whose declared exogenous columns follow lags that the declaration reads
    (see :func:`_name_layouts`). Returns whether a warning was given on the
    names' account (so that the spread of columns read in the wrong
    layout need not advise).
    """
    if columns is None or not len(columns):
        return False
    declared = _TableReading(len(columns), n_channels, column_order, newest_first, n_exog)
    named = _lag_numbers(columns)
    if all(lag is None for lag in named):
        return _warn_if_wide_panel_read_otherwise(columns, declared, name)
    layouts = [layout for layout in _name_layouts(named, n_exog) if layout is not None]
    readers = [layout for layout in layouts if layout.reads(declared)]
    if readers:
        _warn_if_lags_skip_steps(readers[0], name)
        return False
    if declared.n_steps == 1 and all(layout.n_steps == 1 for layout in layouts):
        return False  # features of one step, unless the names are a window
    if not layouts:
        return _warn_unreadable_lags(columns, named, declared, name)
    layout = layouts[-1]  # every name read, where that gives a layout
    advice = ", ".join(layout.advice(declared))
    followed = f" followed by {layout.n_exog} other column(s)" if layout.n_exog else ""
    if layout.n_channels == 1:
        described = _one_variable(columns, layout)
        values = (" and values of the predicted step (exogenous values, window or calendar "
                  "features)" if layout.n_exog else "")
        remedy = f"Pass {advice} to read them as lags{values}."
    else:
        described = _several_variables(columns, layout)
        remedy = f"Pass {advice} to read each variable as a channel."
    warn(
        f"The columns of {name} are named as {described}{followed}, but they are read as "
        f"{declared.describe()}. {remedy}",
        DataLayoutWarning,
    )
    return True


def _time_point(column):
    """``(-t, variable)`` for a column named as sktime's 'pd-wide' panel
    names them, ``<variable>__<t>`` (``dim_0__0``), or labelled by the pair
    ``(variable, t)`` of an integer ``t`` (MultiIndex columns); else None.
    The time point is negated to read as a lag: later points are newer."""
    if isinstance(column, tuple):
        if len(column) == 2 and isinstance(column[1], numbers.Integral) \
                and not isinstance(column[1], (bool, np.bool_)):
            return -int(column[1]), column[0]
        return None
    # sktime numbers each variable's points from 0 (its columns are
    # ``__<position>``); other names ending in ``__<digits>`` start elsewhere.
    variable, separator, point = str(column).rpartition("__")
    return (-int(point), variable) if separator and variable and _is_lag_number(point) else None


def _warn_if_wide_panel_read_otherwise(columns, declared, name):
    """Warn when a table's columns are a wide panel of several variables, or
    one variable's points newest first, read in another layout; returns
    whether it warned.

    sktime's ``pd-wide`` layout (``load_basic_motions(return_type="pd-wide")``)
    names column ``<variable>__<t>``: each variable's time points 0, 1, ..
    in one block; a pivot labels them by ``(variable, t)`` pairs. Read by
    default, as one channel, its variables follow each other as later steps.
    Only every column so named, in consecutive time points of equal count
    per variable (from 0 for names), in blocks or side by side, is taken for
    the layout: scikit-learn's ``ColumnTransformer`` names its outputs
    ``<transformer>__<column>`` too, and its tables match that only where
    each transformer's column names are the numbers from 0. A declaration of
    one step (every column a channel: features) is left alone.
    """
    points = [_time_point(c) for c in columns]
    if None in points:
        return False
    # Pairs as Python values: ('temp', 0), not NumPy's ('temp', np.int64(0)).
    columns = [tuple(part.item() if isinstance(part, np.generic) else part for part in c)
               if isinstance(c, tuple) else c for c in columns]
    layout = _lag_layout(points)
    # A declaration of one step (every column a channel) reads them as
    # features, deliberately.
    if (layout is None or layout.n_steps < 2 or layout.reads(declared)
            or declared.n_steps == 1 or (np.diff(layout.lags) != -1).any()
            or (not isinstance(columns[0], tuple) and layout.lags[0] != 0)):
        return False
    advice = ", ".join(layout.advice(declared))
    if layout.n_channels == 1:
        what = f"the time points {columns[0]} .. {columns[-1]} of one variable"
        remedy = f"Pass {advice} to read them oldest first."
    else:
        what = (f"{layout.n_steps} time points of each of {layout.n_channels} variables "
                f"({_variable_runs(columns, layout)})")
        remedy = f"Pass {advice} to read each variable as a channel."
    panel = ("a panel of (variable, time point) columns" if isinstance(columns[0], tuple)
             else "sktime's 'pd-wide' panel")
    warn(
        f"The columns of {name} are named as {panel}, {what}, but they are read as "
        f"{declared.describe()}. {remedy}",
        DataLayoutWarning,
    )
    return True


def _warn_if_lags_skip_steps(layout, name):
    """Warn where lags read in their named layout skip steps (skforecast's
    ``lags=[1, 2, 7]``): the LSTM reads them as consecutive steps, equally
    spaced, and the time between them is lost. Named in the wrong layout,
    :func:`_one_variable` says so; this is for the layout that reads them."""
    lags = sorted(layout.lags)
    if len(lags) < 2 or (np.diff(lags) == 1).all():
        return
    warn(
        f"The columns of {name} are named as the lags {', '.join(map(str, lags))} of "
        f"{'each variable' if layout.n_channels > 1 else 'one variable'}: they are read "
        f"as {len(lags)} consecutive steps, equally spaced, and the time between them is "
        f"lost. Give every lag up to {lags[-1]} (skforecast's lags={lags[-1]} rather than a "
        "list) to read them as time steps.",
        DataLayoutWarning,
    )


def _one_variable(columns, layout):
    """What the names of one variable's lags say, for the warnings."""
    lags = layout.lags
    if len(lags) == 1:
        return f"the lag {columns[0]}"
    gaps = ("; the lags are not consecutive, and are read as consecutive steps"
            if (np.abs(np.diff(lags)) != 1).any() else "")
    order = "newest first" if layout.newest_first else "oldest first"
    return f"lags {columns[0]} .. {columns[len(lags) - 1]} ({order}{gaps})"


def _several_variables(columns, layout):
    """What the names of several variables' lags say, for the warnings."""
    lags = f"the same {layout.n_steps} lags" if layout.n_steps > 1 else "the same lag"
    return f"{lags} of {layout.n_channels} variables ({_variable_runs(columns, layout)})"


def _variable_runs(columns, layout):
    """Where each variable's columns are, in a layout of several, for the warnings."""
    n_steps, n_vars = layout.n_steps, layout.n_channels
    if layout.column_order == "channel_major" or n_steps == 1:
        return listed(f"{columns[k]} .. {columns[k + n_steps - 1]}" if n_steps > 1
                      else columns[k] for k in range(0, n_steps * n_vars, n_steps))
    return f"{columns[0]}, {columns[1]}, ..: each step's {n_vars} variables side by side"


def _warn_unreadable_lags(columns, named, declared, name):
    """Warn that a table's lag names fit no layout; returns whether the names
    advised (False where only other columns come first, so that the spread
    of the columns may advise a layout of their own)."""
    lag_columns = [k for k, lag in enumerate(named) if lag is not None]
    first = lag_columns[0]
    if first and _lag_layout(named[first:]) is not None:
        last = columns[lag_columns[-1]]
        run = f"{columns[first]} .. {last}" if lag_columns[-1] > first else f"{last}"
        warn(
            f"The columns of {name} put {first} other column(s) before the lags {run}; "
            "sklstm reads exogenous columns only after the lags (n_exog), so these rows "
            "cannot be read as lag sequences. Put the other columns last (sktime: "
            "make_reduction builds rows sklstm reads with n_channels and "
            "column_order='channel_major').",
            DataLayoutWarning,
        )
        return False
    lags_of = {}
    for lag, variable in filter(None, named):
        lags_of.setdefault(variable, []).append(lag)
    each = [f"{variable or 'unnamed'}: {', '.join(map(str, lags[:8]))}"
            + (", .." if len(lags) > 8 else "") for variable, lags in lags_of.items()]
    described = "; ".join(each[:_MAX_LISTED]) + (
        f"; .. ({len(each)} variables)" if len(each) > _MAX_LISTED else "")
    between = [columns[k] for k in range(first, lag_columns[-1]) if named[k] is None]
    if between:
        why = f"{listed(between)} name(s) no lag but stand between lag columns"
    elif any(len(set(lags)) < len(lags) for lags in lags_of.values()):
        why = f"a variable repeats a lag ({described})"
    elif len({frozenset(lags) for lags in lags_of.values()}) > 1:
        why = f"the variables have different lags ({described})"
    elif not all(len(lags) < 2 or _in_one_direction(lags) for lags in lags_of.values()):
        why = f"lags run in neither direction ({described})"
    elif len({tuple(lags) for lags in lags_of.values()}) > 1:
        why = f"the variables' lags come in different orders ({described})"
    else:
        why = ("the variables' columns are neither in blocks of one variable each nor "
               f"each step's variables side by side ({described})")
    if first:
        why = f"{first} other column(s) come before the lags, and {why}"
    several = (" With skforecast's multivariate forecasters, give every series the same "
               "lags and no window_features." if len(lags_of) > 1 else "")
    warn(
        f"The columns of {name} are named as lags, but no layout of n_channels, "
        f"column_order, newest_first and n_exog reads them as sequences: {why}. They are "
        f"read as {declared.describe()}. sklstm reads the same lags of each variable, in "
        "one direction, with any other columns (exogenous values, window or calendar "
        "features) after all of them: declare those with n_exog, whatever their names."
        f"{several}",
        DataLayoutWarning,
    )
    return True


# Column spreads within one channel that differ by more than this factor are
# warned about in fit. The columns of a lag table are one series shifted, so
# their spreads agree closely; columns of different units (a feature table
# read as steps) differ by orders of magnitude.
SPREAD_RATIO_TO_WARN = 100.0


def _warn_if_steps_differ_in_spread(table, columns, n_channels, column_order, n_exog, name):
    """Warn when the columns read as steps of one channel differ widely in spread.

    Each channel is standardised as a whole, so in a table of features read
    as steps (wine's proline in the hundreds, its hue below one) the
    narrow columns are nearly constant to the network. Called in fit only.

    Parameters
    ----------
    table : ndarray of shape (n_samples, n_columns)
        Finite values.
    columns : Index or None
        The table's column names, for the message.
    n_channels, column_order, n_exog
        The table layout, as for :func:`check_sequences`.
    """
    n_lag_columns = table.shape[1] - n_exog
    n_steps = n_lag_columns // n_channels
    if n_steps < 2 or len(table) < 2:
        return
    index = np.arange(n_lag_columns)  # the column of each (step, channel)
    index = (index.reshape(n_steps, n_channels) if column_order == "time_major"
             else index.reshape(n_channels, n_steps).T)
    with np.errstate(over="ignore", invalid="ignore"):  # float64: ratios of float32 spreads
        spread = table[:, :n_lag_columns].std(axis=0, dtype=np.float64)
    for channel in range(n_channels):
        in_channel = index[:, channel]
        varying = in_channel[(spread[in_channel] > 0) & np.isfinite(spread[in_channel])]
        if len(varying) < 2:
            continue
        wide = varying[np.argmax(spread[varying])]
        narrow = varying[np.argmin(spread[varying])]
        ratio = spread[wide] / spread[narrow]
        if ratio <= SPREAD_RATIO_TO_WARN:
            continue
        label = (lambda k: repr(columns[k])) if columns is not None else (
            lambda k: f"column {k}")
        of_channel = f" of channel {channel}" if n_channels > 1 else ""
        lags = (f"The {n_lag_columns} columns" if not n_exog else
                f"The first {n_lag_columns} of the {table.shape[1]} columns")
        features = (f"the columns are features rather than time steps, pass "
                    f"n_channels={n_lag_columns} (one step, each column a channel "
                    "standardised on its own), or put a StandardScaler before the model")
        lagged = (_lags_before_other_columns(table[:, :n_lag_columns], spread)
                  if n_channels == 1 else None)
        if lagged is None:
            advice = (f"If {features}; if only the last columns are values of the "
                      "predicted step (exogenous), pass n_exog with their number.")
        else:
            n_trailing, newest_first = lagged
            order = " and newest_first=True" if newest_first else ""
            advice = (f"The first {n_lag_columns - n_trailing} are one series shifted "
                      f"(lags), the last {n_trailing} other values: if these are "
                      f"values of the predicted step (exogenous, as skforecast's rows put "
                      f"them after the lags), pass n_exog={n_exog + n_trailing}{order}; if "
                      f"{features}.")
        warn(
            f"{lags} of {name} are read as {n_steps} time steps of "
            f"n_channels={n_channels} channel(s), each channel standardised as a whole, but "
            f"the columns{of_channel} differ in spread by a factor of {ratio:.3g} "
            f"({label(wide)} against {label(narrow)}): the narrow ones are nearly "
            f"constant to the network. {advice}",
            DataLayoutWarning,
        )
        return


# Rows compared for lags of consecutive windows: enough to tell, few enough
# for any table.
_ROWS_COMPARED = 1000
# Row pairs of differing values that must repeat one column along.
_TELLING_ROWS = 10


def _lags_before_other_columns(table, spread):
    """``(n_trailing, newest_first)`` where the columns of ``table`` but its
    last ``n_trailing`` are one series shifted, row after row (lags of
    consecutive windows, as skforecast's rows), newest first or not; None
    where no such split (with no more trailing columns than lags) is.

    The rows of such lags repeat each other's values one column along:
    row ``t + 1`` holds at column ``k + 1`` what row ``t`` holds at ``k``
    (newest first), or at ``k`` what row ``t`` holds at ``k + 1``. Features
    of one moment (a day's open, high, low and close prices) agree in
    spread as lags do, but do not repeat so. Only rows whose compared values
    differ among themselves count: rows of zeros, one-hot columns or small
    counts repeat each other trivially.
    """
    table = table[:_ROWS_COMPARED]  # consecutive rows repeat from the first
    for n_trailing in range(1, len(spread) // 2 + 1):
        lags = table[:, : len(spread) - n_trailing]
        if lags.shape[1] < 2 or not (spread[: lags.shape[1]] > 0).all():
            continue
        for newest_first in (True, False):
            later, earlier = (lags[1:, 1:], lags[:-1, :-1]) if newest_first else (
                lags[1:, :-1], lags[:-1, 1:])
            telling = ~(earlier == earlier[:, :1]).all(axis=1)
            if telling.sum() >= _TELLING_ROWS and \
                    (later == earlier).all(axis=1)[telling].mean() >= 0.5:
                return n_trailing, newest_first
    return None


def _raise_infinity(name, place):
    """The one message for infinity in ``X``, whatever its form; ``place`` says where."""
    raise ValueError(
        f"Input {name} contains infinity {place}. An LSTM reads finite values only: "
        "replace or drop it."
    )


def _padding_lengths(X3, name, nan_advice=None):
    """Lengths from trailing all-NaN steps of a 3-D array; raise on any other NaN or inf.

    ``nan_advice``, for a model that reads no padding, refuses every NaN
    with that advice.
    """
    if np.isinf(X3).any():
        s, t, c = np.argwhere(np.isinf(X3))[0]
        _raise_infinity(name, f"inside sequence {s} (step {t}, channel {c})")
    nan = np.isnan(X3)
    if not nan.any():
        return None
    if nan_advice is not None:
        s, t, c = np.argwhere(nan)[0]
        raise ValueError(
            f"Input {name} contains NaN in sequence {s} (step {t}, channel {c}). {nan_advice}")
    step_nan = nan.all(axis=2)  # (n, T) whole step missing
    T = X3.shape[1]
    # length = index after the last step that is not entirely NaN
    has_value = ~step_nan
    lengths = T - np.argmax(has_value[:, ::-1], axis=1)
    lengths[~has_value.any(axis=1)] = 0
    empty = np.flatnonzero(lengths == 0)
    if empty.size:
        raise ValueError(
            f"Input {name} contains NaN: sequence {empty[0]} is all padding (NaN) "
            "and has no real step."
        )
    inside = nan & (np.arange(T)[None, :, None] < lengths[:, None, None])
    if inside.any():
        s, t, c = np.argwhere(inside)[0]
        leading = int(np.argmax(has_value[s]))
        before = (f" Sequence {s} starts with {leading} all-NaN step(s), padding before its "
                  "start (as Keras's pad_sequences gives by default, padding='pre'): pad after "
                  "each end instead (padding='post'), or pass a list of the sequences."
                  if leading else "")
        raise ValueError(
            f"Input {name} contains NaN inside sequence {s} (step {t}, channel {c}). "
            f"NaN is only allowed as padding: whole trailing steps after a sequence's end.{before}"
        )
    return lengths.astype(np.intp)


def _require_finite_table(X2, columns, name, nan_advice=None):
    """A 2-D table has no padding: NaN or inf anywhere is an error naming its cell.

    Lag tables (sktime's make_reduction, skforecast, DataFrame.shift) never
    pad; a NaN there is a missing value, and reading it as the end of the
    sequence would predict from older lags without a word.
    """
    found = first_non_finite(X2)
    if found is not None:
        (row, col), kind = found
        column = quoted_label(columns[col]) if columns is not None else str(col)
        if kind == "infinity":
            _raise_infinity(name, f"in sample {row}, column {column}")
        raise ValueError(
            f"Input {name} contains NaN in sample {row}, column {column}. A 2-D table "
            "holds one complete sequence per row, so NaN is a missing value: impute or "
            "drop it. " + (nan_advice or "Sequences of different lengths go in a list, or in "
                           "a 3-D array padded with trailing all-NaN steps.")
        )


# 3-D input with more than this many times as many channels as steps is very
# likely channels first (sktime's numpy3D) and is warned about.
_TRANSPOSED_RATIO = 2

DATA_FORMATS = ("channels_last", "channels_first")


def _orient(X3, data_format, name, fitting):
    """Bring a 3-D array to channels last; where ``fitting``, warn when the
    layout looks transposed (later calls are checked against the fitted
    channels, whose refusal says how to transpose X)."""
    if data_format == "channels_first":
        return X3.transpose(0, 2, 1)
    if data_format is None and fitting:
        _warn_if_transposed(X3.shape, name)
    return X3


def _warn_if_transposed(shape, name, longest=None):
    """Warn where sequences of ``shape`` (n_samples, n_timesteps,
    n_channels), read channels last, hold more than twice as many channels
    as steps: the usual sign of channels-first data. ``longest`` says what
    ``n_timesteps`` is for a list (padded to its longest sequence)."""
    n_steps, n_channels = shape[1:]
    if not (0 < n_steps and n_channels > _TRANSPOSED_RATIO * n_steps):
        return
    if longest is None:
        read = (f"{name} has shape {shape}, read as {n_steps} time step(s) of {n_channels} "
                "channels (n_samples, n_timesteps, n_channels)")
        layout = "as sktime's numpy3D (n_instances, n_channels, n_timepoints)"
    else:
        read = (f"The sequences of {name} are read as (n_timesteps, n_channels): "
                f"{n_channels} channels, and {n_steps} time step(s) in {longest}")
        layout = "(n_channels, n_timesteps) each"
    subject = "it is" if longest is None else "they are"
    warn(
        f"{read}. If {subject} channels first, {layout}, pass "
        "data_format='channels_first'; pass data_format='channels_last' to silence this "
        "warning.",
        DataLayoutWarning,
    )


def check_sequences(
    X, *, n_channels=1, column_order="time_major", newest_first=False, n_exog=0,
    data_format=None, check_table=None, fitting=False, nan_advice=None, name="X",
    fitted_channels=None,
):
    """Convert any supported input convention to :class:`Sequences`.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_timesteps, n_channels) or \
            (n_samples, n_columns), DataFrame, or list of arrays
        The sequences; see the module docstring for the conventions.
    n_channels : int, default=1
        Channels held by each row of 2-D input.
    column_order : {"time_major", "channel_major"}, default="time_major"
        Layout of the channel blocks in the columns of 2-D input.
    newest_first : bool, default=False
        Whether the columns of 2-D input run from the newest step to the oldest.
    n_exog : int, default=0
        Trailing columns of 2-D input that hold exogenous values of the
        predicted step; each becomes a channel holding its value at every step.
    data_format : {"channels_last", "channels_first"} or None, default=None
        Axis order of 3-D input and of the 2-D items of a list. None reads
        channels last and warns when the array looks channels first.
    check_table : callable or None, default=None
        Called with ``X`` when it is a 2-D table, before its columns are
        read as steps: a fitted model's check of the column count and
        names, whose message (the count it expects) comes before any about
        the layout.
    fitting : bool, default=False
        Whether a model is fitted on ``X`` (not continued or predicting):
        a table whose columns, read as steps of one channel, differ widely
        in spread is then warned about.
    nan_advice : str or None, default=None
        For a model that reads no padding: the advice of the error that
        refuses any NaN of 3-D or 2-D input (None: trailing all-NaN steps
        are padding, as the module docstring says).
    name : str, default="X"
        Name used in error messages.
    fitted_channels : int or None, default=None
        A fitted model's channel count: a ragged list whose sequences hold
        that many along their other axis is told to transpose them.

    Returns
    -------
    sequences : Sequences
    """
    _reject_unsupported_containers(X, name)
    if is_list_of_sequences(X, name):
        channels_are_columns = _is_frame_of_series(X)
        if channels_are_columns:
            # Each cell is one channel's steps: no axis order to declare.
            columns, X = X.columns, _frame_of_series_rows(X, name, nan_advice)
            values, lengths, _ = _list_to_padded(X, name, False, nan_advice)
            names, labels = _names_and_labels(columns)
        else:
            _refuse_table_layout_for_rows(X, n_channels, column_order, newest_first, n_exog,
                                          name)
            values, lengths, (names, labels) = _list_to_padded(
                X, name, data_format == "channels_first", nan_advice, fitted_channels)
            # A list of frames names its channels by their columns.
            if fitting and data_format is None and not isinstance(X[0], pd.DataFrame):
                _warn_if_transposed(values.shape, name, "its longest sequence")
        _check_steps_and_channels(values, name)
        if fitting:
            _refuse_other_channels_than_declared(values, None, n_channels, n_exog, data_format,
                                                 name, column_order, channels_are_columns)
        return Sequences(values, lengths, None, channel_names=names, column_labels=labels,
                         from_list=True, channels_are_columns=channels_are_columns)
    given = X  # a pyarrow Table, say, whose column names check_table reads
    if not isinstance(X, (np.ndarray, pd.DataFrame)):
        X = _as_array(X, name)  # lists, and objects exposing __array__
    _check_dimensions(X, name)
    arr = _as_float_array(
        X, name, allow_nd=X.ndim == 3, ensure_min_samples=0, ensure_min_features=0
    )
    _check_not_empty(arr, name)
    if arr.ndim == 2:
        if check_table is not None:
            check_table(given)
        _warn_if_rows_are_time_points(X, n_exog, name)
        columns = getattr(X, "columns", None)
        _require_finite_table(arr, columns, name, nan_advice)
        # Refuses a declaration that does not fit the column count, before
        # any warning about the names.
        X3 = _table_to_sequences(arr, n_channels, column_order, newest_first, n_exog, name)
        # Lag names describe the rows' layout, and their advice is the
        # layout's: the spread of columns read in the wrong layout says nothing.
        # Both advise parameters, which only a fit can take.
        named_otherwise = fitting and _warn_if_named_otherwise(
            columns, n_channels, column_order, newest_first, n_exog, name)
        if fitting and not named_otherwise:
            _warn_if_steps_differ_in_spread(arr, columns, n_channels, column_order, n_exog, name)
        _check_steps_and_channels(X3, name)
        # A row of one step holds one value per channel: the columns name the
        # channels, to be matched by name with those of sequences seen in fit.
        one_step = X3.shape[1] == 1 and n_exog == 0
        names, labels = _names_and_labels(columns)
        return Sequences(
            np.ascontiguousarray(X3), None, arr.shape[1], reversed_steps=newest_first,
            channel_names=names if one_step else None, column_labels=labels,
        )
    X3 = _orient(arr, data_format, name, fitting)
    _check_steps_and_channels(X3, name)
    if fitting:
        _refuse_other_channels_than_declared(X3, arr.shape, n_channels, n_exog, data_format,
                                             name, column_order)
    lengths = _padding_lengths(X3, name, nan_advice)
    if lengths is None:
        return Sequences(np.ascontiguousarray(X3), None, None)
    # Keep every given step, even when all sequences end earlier, so that
    # per-step targets and predictions line up with X column for column;
    # the core skips steps that are padding for the whole batch.
    values = np.array(X3, order="C", copy=True)
    values[np.isnan(values)] = 0.0
    return Sequences(values, lengths, None)


def _warn_if_rows_are_time_points(X, n_exog, name):
    """Warn when a table's rows carry a MultiIndex, as sktime's 'pd-multiindex'
    layout does (one row per instance and time point): read as a table, each
    row would be a sample of its own, one step long. Rows whose columns are
    named as lag windows (see :func:`_name_layouts`; ``n_exog`` declared
    columns after them) are windows already, as sktime's global reducers
    keep the panel's index on them, and are left alone."""
    if not (isinstance(X, pd.DataFrame) and isinstance(X.index, pd.MultiIndex)):
        return
    lag_numbers = _lag_numbers(X.columns)
    # An n_exog of all the columns or more is refused after this check.
    n_exog = min(n_exog, len(lag_numbers) - 1)
    if any(layout is not None and (layout.n_steps > 1 or not layout.n_exog)
           for layout in _name_layouts(lag_numbers, n_exog)):
        return
    levels = [level for level in X.index.names if level is not None]
    named = f" ({', '.join(map(repr, levels))})" if levels else ""
    warn(
        f"{name} is a DataFrame whose rows have a {X.index.nlevels}-level MultiIndex"
        f"{named}; it is read as a 2-D table, one sample per row ({len(X)} samples). If it "
        "is sktime's 'pd-multiindex' layout, one row per instance and time point, pass "
        f"one sequence per instance instead: [g.to_numpy() for _, g in "
        f"{name}.groupby(level=0, sort=False)] (in the order the instances first appear, "
        f"as their targets are). If each row is a sample, {name}.reset_index(drop=True) "
        "silences this warning.",
        DataLayoutWarning,
    )


def refuse_long_panel(X, y, n_samples, name="X"):
    """Raise when ``X`` is a long panel whose ``y`` holds one target per instance.

    sktime's 'pd-multiindex' layout has one row per instance and time
    point; read as a table, every row is a sample. With one target per
    instance (the first index level), the counts differ, and the bare
    count mismatch did not say why.

    Parameters
    ----------
    X : the given input; only a DataFrame with MultiIndex rows is examined
    y : the given targets
    n_samples : int
        Samples ``X`` was read as.
    """
    if not (isinstance(X, pd.DataFrame) and isinstance(X.index, pd.MultiIndex)):
        return
    try:
        n_targets = len(y)
    except TypeError:
        return
    n_instances = X.index.get_level_values(0).nunique()
    if n_targets == n_samples or n_targets != n_instances:
        return
    raise ValueError(
        f"{name} has {n_samples} rows under a {X.index.nlevels}-level MultiIndex of "
        f"{n_instances} instances, and y one target per instance ({n_targets}): {name} is a "
        "long panel (sktime's 'pd-multiindex', one row per instance and time point), read "
        "as one sample per row. Pass one sequence per instance instead: "
        f"[g.to_numpy() for _, g in {name}.groupby(level=0, sort=False)] (in the order the "
        "instances first appear, as y holds them)."
    )


def _check_dimensions(X, name):
    ndim = X.ndim
    if not 2 <= ndim <= 3:
        _reject_text(X, name)  # values no reshape can mend (records, text) first
    if ndim < 2:
        _refuse_container_of_sequences(X, name, f"list({name})")
        # Entries no reshape can mend, named first: objects that are no number
        # (records, sets, dates), complex numbers, integers float64 would merge.
        if ndim == 1 and X.dtype == object:
            _object_numbers(X, name)
        what = "a scalar" if ndim == 0 else f"a 1-D array of shape {X.shape}"
        if X.size == 0:
            what = "an empty 1-D array: no sequences"
        raise ValueError(
            f"Expected a 2-D or 3-D {name}, got {what}. Reshape your data: "
            f"{name}.reshape(1, -1) for one univariate sequence, {name}.reshape(-1, 1) "
            "for sequences of a single step, or a 3-D array (n_samples, n_timesteps, "
            "n_channels)."
        )
    if ndim > 3:
        raise ValueError(
            f"Expected a 2-D or 3-D {name}, got {ndim} dimensions; sequences are "
            "(n_samples, n_timesteps, n_channels)."
        )


def _check_not_empty(arr, name):
    """Refuse an array of no sequences, or a table of no columns, in sklstm's words."""
    if arr.shape[0] == 0:
        raise ValueError(
            f"{name} has 0 sample(s) (shape={arr.shape}): it holds no sequence; at least "
            "1 is required."
        )
    if arr.ndim == 2 and arr.shape[1] == 0:
        # The first sentence is scikit-learn's, which its estimator checks expect.
        raise ValueError(
            f"{name} has 0 feature(s) (shape={arr.shape}) while a minimum of 1 is "
            f"required. Each row of a 2-D {name} is one sequence: it needs at least one "
            "column."
        )


def _check_steps_and_channels(X3, name):
    if X3.shape[1] == 0:
        raise ValueError(f"{name} has 0 time steps; at least 1 is required.")
    if X3.shape[2] == 0:
        raise ValueError(f"{name} has 0 channels; at least 1 is required.")


def _holds_per_sequence_targets(y, sequences):
    """Whether a list ``y`` holds one array of per-step targets per sequence,
    as long as that sequence.

    It does when its items differ in length, when ``X`` was itself a list of
    sequences of different lengths (items as long as the longest sequence
    are then too long for the others, not padded rows: a padded ``y`` is an
    array), or when its items' one length is not the padded width of ``X``
    (padded sequences all of one real length).
    """
    if not isinstance(y, (list, tuple)) or not y:
        return False
    if _is_ragged(y, "y"):
        return True
    if sequences.lengths is None:
        return False
    first = np.shape(y[0])
    return sequences.from_list or (len(first) >= 1 and first[0] != sequences.values.shape[1])


def _pad_ragged_targets(y, numeric, sequences):
    """Stack per-step target arrays of different lengths into one padded array.

    Each ``y[k]`` must have exactly as many steps as sequence ``k`` of ``X``:
    a shorter one would leave real steps without a target. Numeric targets
    are padded with NaN; labels with the first label seen, which the loss
    ignores at padded steps.
    """
    arrays = []
    hint = "Each item of a list y holds the targets of one sequence, one per step."
    for k, item in enumerate(y):
        if isinstance(item, pd.Series):
            item = item.to_numpy()
        a = (_as_array(item, f"y[{k}]", hint) if numeric
             else _labels_array(item, hint, name=f"y[{k}]"))
        if a.ndim == 0:
            raise ValueError(
                f"y[{k}] is a single value, but with return_sequences=True each item of "
                "a list y holds the targets of every step of its sequence."
            )
        if numeric:
            # The same conversion, and messages, as a rectangular y.
            a = _as_float_array(a, f"y[{k}]", allow_nd=True, ensure_2d=False,
                                ensure_min_samples=0)
        arrays.append(a)
    n, T = sequences.values.shape[:2]
    if len(arrays) != n:
        raise ValueError(_inconsistent_samples(n, T, len(arrays)))
    lengths = np.full(n, T) if sequences.lengths is None else sequences.lengths
    for k, (a, length) in enumerate(zip(arrays, lengths)):
        if a.shape[0] != length:
            raise ValueError(
                f"y[{k}] has {a.shape[0]} steps, but sequence {k} of X has {length}; "
                "with return_sequences=True each item of a list y holds one target per "
                "step of its sequence. Padded targets, as long as the longest sequence, "
                "are given as an array."
            )
    trailing = arrays[0].shape[1:]
    if any(a.shape[1:] != trailing for a in arrays):
        raise ValueError("All per-step target sequences must have the same number of outputs.")
    shape = (n, T) + trailing
    if numeric:
        out = np.full(shape, np.nan)
    else:
        # Text in some sequences and numbers in others stay objects, for the
        # rules of labels to refuse: a common dtype would turn 0 into "0".
        text = [_holds_text(a) for a in arrays]
        dtype = object if any(text) and not all(text) else np.result_type(*arrays)
        out = np.full(shape, arrays[0].flat[0], dtype=dtype)
    for k, a in enumerate(arrays):
        out[k, : a.shape[0]] = a
    return out


# What check_sequence_targets advises for many-to-one y of three axes.
PER_STEP_ADVICE = "Targets per step need return_sequences=True."


def _inconsistent_samples(n_sequences, n_timesteps, n_targets):
    """The refusal of ``n_targets`` targets for X's ``n_sequences`` sequences
    of ``n_timesteps`` steps; where the targets are as many as the steps, X
    may be time-major, as PyTorch's ``batch_first=False`` gives it."""
    swapped = (f" X reads as {n_sequences} sequences of {n_timesteps} steps: if its first two "
               "axes are steps then samples (time-major, as PyTorch's batch_first=False), "
               "pass X.swapaxes(0, 1)." if n_targets == n_timesteps != n_sequences else "")
    return (f"X and y have inconsistent numbers of samples: {n_sequences} and "
            f"{n_targets}.{swapped}")


def check_sequence_targets(y, sequences, return_sequences, *, numeric,
                           many_to_one_advice=PER_STEP_ADVICE):
    """Check targets against the sequences and give them one form.

    Parameters
    ----------
    y : array-like
        ``(n_samples,)`` or ``(n_samples, n_outputs)`` for many-to-one;
        ``(n_samples, n_timesteps)`` or ``(n_samples, n_timesteps, n_outputs)``
        or a list of per-sequence arrays for many-to-many. Entries at padded
        steps are ignored and may be NaN.
    sequences : Sequences
        The converted ``X``.
    return_sequences : bool
    numeric : bool
        Whether targets must be finite numbers (regression) or may be labels.
    many_to_one_advice : str
        What the message refusing numeric many-to-one ``y`` of three or
        more axes advises.

    Returns
    -------
    y : ndarray of shape (n_samples, n_outputs) or (n_samples, n_timesteps, n_outputs)
        For labels, the trailing output axis is left out:
        (n_samples,) or (n_samples, n_timesteps) (or 2-D label indicators).
    """
    if y is None:
        raise ValueError(
            "This estimator requires y to be passed, but the target y is None."
        )
    _reject_sparse(y, "y", "targets")
    reject_masked(
        y, "y",
        "Drop the masked samples, or fill per-step targets at padded steps with "
        "y.filled(np.nan).",
    )
    if isinstance(y, (Iterator, Set, Mapping, MappingView)):
        raise TypeError(
            f"y must be array-like with one entry per sample, got a {type(y).__name__}. "
            "Materialise iterators with list(...); a set or a mapping has no order of "
            "samples."
        )
    n, T = sequences.values.shape[:2]
    if return_sequences and _holds_per_sequence_targets(y, sequences):
        y = _pad_ragged_targets(y, numeric, sequences)
    if _is_scalar(y):
        raise ValueError(f"y must be array-like with one entry per sample, got {y!r}.")
    if isinstance(y, np.matrix) or not isinstance(y, (np.ndarray, pd.DataFrame, pd.Series)):
        hint = (
            "Many-to-one targets are (n_samples,) or (n_samples, n_outputs); with "
            "return_sequences=True a list y holds one array of per-step targets per sequence."
        )
        y = _as_array(y, "y", hint) if numeric else _labels_array(y, hint)
    if np.ndim(y) == 0:
        raise ValueError(f"y must be array-like with one entry per sample, got {y!r}.")
    if np.ndim(y) >= 2 and 0 in np.shape(y)[1:]:
        raise ValueError(f"y has shape {np.shape(y)}: no target for any sample to learn.")
    if numeric:
        y = _as_float_array(y, "y", allow_nd=True, ensure_2d=False, ensure_min_samples=0)
    elif isinstance(y, pd.DataFrame):
        y = _frame_labels(y)
    else:
        y = _label_values(np.asarray(y), "y")
    if y.shape[0] != n:
        raise ValueError(_inconsistent_samples(n, T, y.shape[0]))
    if not return_sequences:
        if numeric:
            if y.ndim > 2:
                raise ValueError(
                    f"y must be 1-D or 2-D, (n_samples,) or (n_samples, n_outputs), got "
                    f"shape {y.shape}. {many_to_one_advice}"
                )
            _require_finite(y, None)
            return y.reshape(n, -1)
        _require_labels(y, None)
        return y
    if y.ndim < 2:
        shape = "(n_samples, n_timesteps[, n_outputs])" if numeric else (
            "(n_samples, n_timesteps), one label per step")
        raise ValueError(
            f"With return_sequences=True, y needs a target per step: shape {shape}, got "
            f"{y.shape}."
        )
    if y.shape[1] != T:
        raise ValueError(
            f"y has {y.shape[1]} steps but the sequences in X have {T}; with "
            "return_sequences=True, y needs a target for every step of X, steps on "
            "its second axis (also with data_format='channels_first')."
        )
    # Checked in X's own column order, so that messages name the user's steps;
    # then brought into the order X was read in.
    mask = sequences.reorder_steps(sequences.step_mask())
    if numeric:
        if y.ndim > 3:
            raise ValueError(f"y must have at most 3 dimensions, got shape {y.shape}.")
        y = y.reshape(n, T, -1)
        _require_finite(y, mask)
        y = sequences.reorder_steps(y).copy()
        sequences.fill_padding(y, 0.0)
        return y
    _require_labels(y, mask)
    return sequences.reorder_steps(y)


def _require_finite(y, mask):
    """Raise on NaN or inf in y, outside padded steps (``mask`` marks real steps)."""
    real = None if mask is None else mask.reshape(mask.shape + (1,) * (y.ndim - 2))
    found = first_non_finite(y, real)
    if found is not None:
        where, kind = found
        raise ValueError(f"Input y contains {kind} ({_target_place(where, mask)}).")


def _target_place(where, mask):
    """How a message names the entry ``where`` of y: its sample, and its step if per step."""
    return f"sample {where[0]}" + (f", step {where[1]}" if mask is not None else "")


def _frame_labels(frame):
    """Labels of a DataFrame, one column per label: in their NumPy dtype where
    every column has one of numbers (a nullable ``Int64`` or ``boolean``
    column without NA is its ``int64`` or ``bool``), else as objects.

    ``DataFrame.to_numpy()`` gives objects whenever a column is nullable,
    which would hide indicators of 0 and 1 from the rules of labels.
    """
    columns = [np.asarray(frame.iloc[:, j]) for j in range(frame.shape[1])]
    if columns and all(column.dtype.kind in "biuf" for column in columns):
        return np.column_stack(columns)
    return frame.to_numpy()


def _label_values(arr, name):
    """The array ``arr`` of labels in a dtype scikit-learn's label checks read.

    NumPy's StringDType (kind "T") they refuse as no dtype of theirs; as
    objects its entries are text labels, and its missing ones its
    ``na_object``, refused or padding as any other missing label.
    """
    reject_records(arr, name)
    return arr.astype(object) if arr.dtype.kind == "T" else arr


def _labels_array(y, hint, *, name="y"):
    """:func:`_as_array` of labels, except that a list mixing text and numbers
    stays objects, for :func:`_require_labels` to refuse: ``np.asarray([1, "a"])``
    would turn the 1 into the string "1" silently."""
    arr = _label_values(_as_array(y, name, hint, numbers=False), name)
    if isinstance(y, (list, tuple)) and arr.dtype.kind in "US":
        objects = np.asarray(y, dtype=object)
        if objects.shape == arr.shape and not all(
            isinstance(v, (str, bytes)) for v in objects.ravel()
        ):
            return objects
    return arr


def check_declared_classes(classes):
    """``partial_fit``'s ``classes``: the labels, held to the rules of labels in ``y``.

    Parameters
    ----------
    classes : array-like of shape (n_classes,)

    Returns
    -------
    classes : ndarray of shape (n_classes,)

    Raises
    ------
    TypeError
        If ``classes`` is text, a mapping, a set (whose order is arbitrary),
        an iterator, a scalar or a masked array.
    ValueError
        If it is not 1-D, holds a missing, infinite or fractional label or
        mixes text with numbers, names a class twice, or names fewer than 2
        distinct classes.
    """
    if isinstance(classes, (str, bytes, Mapping, MappingView, Set, Iterator)) or _is_scalar(
        classes
    ):
        raise TypeError(
            "classes must be a list or 1-D array of the class labels, got "
            f"{type(classes).__name__} {classes!r}."
        )
    reject_masked(classes, "classes", "Pass the labels themselves: classes.compressed().")
    arr = _labels_array(classes, "", name="classes")
    if arr.ndim != 1:
        raise ValueError(f"classes must be 1-D, one entry per class, got shape {arr.shape}.")
    _require_labels(arr, None, name="classes")
    # Sample weights given third, where MLPClassifier takes them, arrive
    # here: fractional, repeated, or all ones.
    weights_third = (
        " partial_fit's third argument is classes, as in SGDClassifier (MLPClassifier's is "
        "sample_weight): pass weights by keyword, sample_weight=..."
    )
    fractional = np.flatnonzero(arr != np.round(arr)) if arr.dtype.kind == "f" else []
    if len(fractional):
        k = int(fractional[0])
        raise ValueError(
            f"classes holds {arr[k].item()!r} (entry {k}), a continuous value: class labels "
            f"of floats must be whole numbers, as in y.{weights_third}"
        )
    distinct, counts = distinct_labels(arr, "classes", return_counts=True)
    if distinct.size < 2:
        raise ValueError(
            f"classes must name at least 2 classes, got {labels_text(distinct)}: a classifier "
            f"tells classes apart.{weights_third if len(arr) > distinct.size else ''}"
        )
    if (counts > 1).any():
        repeated = distinct[np.argmax(counts > 1)]
        first, second = np.flatnonzero(arr == repeated)[:2]
        raise ValueError(
            f"classes holds {label_text(repeated)} twice (entries {first} and {second}): "
            f"name each class once.{weights_third}"
        )
    return arr


def unsortable_labels_error(values, name):
    """The TypeError for labels ``values`` of types that cannot be sorted
    into classes (bytes and str, say): NumPy's own names no argument."""
    kinds = sorted({type(value).__name__ for value in np.ravel(values)})
    return TypeError(
        f"{name} mixes labels of several types ({listed(kinds)}), which cannot be sorted "
        f"into classes: give every label one type, for example {name}.astype(str)."
    )


def distinct_labels(values, name, **unique_options):
    """``np.unique(values, **unique_options)``, its failure to sort labels
    of several types raised as :func:`unsortable_labels_error`."""
    try:
        return np.unique(values, **unique_options)
    except TypeError:
        raise unsortable_labels_error(values, name) from None


def _is_scalar(value):
    """``np.isscalar``, but for a memoryview, which it counts as a scalar
    though it holds an array's entries."""
    return np.isscalar(value) and not isinstance(value, memoryview)


def _missing_objects(values):
    """``pd.isna`` of an object array; a signalling Decimal NaN is missing
    too (pandas raises decimal.InvalidOperation on it, so such an array is
    read entry by entry)."""
    def missing(value):
        if isinstance(value, Decimal):
            return value.is_nan()
        found = pd.isna(value)
        return isinstance(found, (bool, np.bool_)) and bool(found)

    try:
        found = np.asarray(pd.isna(values), dtype=bool)
    except InvalidOperation:
        return np.frompyfunc(missing, 1, 1)(values).astype(bool)
    # pandas reads an array entry as not missing, whatever it holds (a 0-d NaN).
    arrays = np.frompyfunc(lambda v: isinstance(v, np.ndarray), 1, 1)(values).astype(bool)
    if arrays.any():
        found[arrays] = np.frompyfunc(missing, 1, 1)(values[arrays]).astype(bool)
    return found


def _require_labels(y, mask, *, name="y"):
    """Raise on labels that cannot be classes, outside padded steps (``mask`` marks real steps).

    Missing labels (None, NaN, pd.NA) and infinite ones have no class, and
    text mixed with numbers cannot be sorted into ``classes_``. ``name`` is
    "y" (an error names the sample) or "classes" (it names the entry).
    """
    if y.dtype.kind == "c":
        raise ValueError(
            f"{name} holds complex numbers, which are not class labels; give each class "
            "a real number or a name."
        )
    if y.dtype.kind not in "fOMm":
        return

    def place(where):
        return _target_place(where, mask) if name == "y" else f"entry {where[0]}"

    remedy = "drop the sample or give it its class" if name == "y" else "declare labels only"
    real = np.ones(y.shape, dtype=bool)
    if mask is not None:
        real &= mask.reshape(mask.shape + (1,) * (y.ndim - mask.ndim))

    if y.dtype.kind == "f":
        missing = ~np.isfinite(y)
    elif y.dtype.kind in "Mm":  # dates and durations: NaT is their missing value
        missing = np.isnat(y)
    else:
        missing = _missing_objects(y)
    found = np.argwhere(missing & real)
    if found.size:
        where = tuple(found[0])
        value = y[where]
        if isinstance(value, (float, np.floating)):
            kind = "NaN" if np.isnan(value) else "infinity"
        elif isinstance(value, (np.datetime64, np.timedelta64)):
            kind = "NaT"
        else:
            kind = repr(value)  # None, pd.NA, pd.NaT
        raise ValueError(
            f"Input {name} contains {kind} ({place(where)}), which is not a class label: "
            f"{remedy}."
        )
    if y.dtype.kind == "O":
        is_text = np.frompyfunc(lambda v: isinstance(v, (str, bytes)), 1, 1)(y).astype(bool)
        text, other = np.argwhere(is_text & real), np.argwhere(~is_text & real)
        if text.size and other.size:
            t, o = tuple(text[0]), tuple(other[0])
            raise ValueError(
                f"{name} mixes text and other labels: {label_text(y[t])} ({place(t)}) and "
                f"{label_text(y[o])} ({place(o)}). Give the labels one type, for example "
                f"{name}.astype(str)."
            )


def target_is_single_output(y, return_sequences):
    """Whether ``y`` has no output axis, so predictions should not have one either."""
    if return_sequences and isinstance(y, (list, tuple)) and _is_ragged(y, "y"):
        return np.asarray(y[0]).ndim <= 1
    return np.asarray(y).ndim == (2 if return_sequences else 1)


# How many labels an error message lists before "...".
_MAX_LISTED = 5


def label_text(label):
    """A class label as an error message shows it: the repr of its plain
    Python value, a date or duration as NumPy prints it (``tolist`` would
    give nanoseconds as an integer), pandas' too."""
    if isinstance(label, (pd.Timestamp, pd.Timedelta)):
        label = label.to_numpy()
    if isinstance(label, (np.datetime64, np.timedelta64)):
        return repr(str(label))
    return quoted_label(label)


def labels_text(labels):
    """``[a, b]``: each of ``labels`` as :func:`label_text` shows it (Python's
    list repr, but dates and durations as dates and durations), the first
    few only, with their count, when there are many."""
    return f"[{listed(labels, shown=label_text)}]"


def listed(labels, shown=str):
    """Comma-separated text of the first few ``labels``, each as ``shown``
    gives it, with their count if cut."""
    labels = list(labels)
    text = ", ".join(shown(label) for label in labels[:_MAX_LISTED])
    if len(labels) > _MAX_LISTED:
        text += f", ... ({len(labels)} in all)"
    return text


def check_column_order(fitted_labels, sequences, n_exog=0):
    """Refuse the fitted columns in another order, or fitted labels moved
    by different offsets, whatever their labels.

    ``fitted_labels`` are the ``column_labels`` of the X seen in fit (see
    :class:`Sequences`). scikit-learn checks string column names only; a
    frame labelled by integers (``pd.DataFrame(array)``), dates or tuples
    with its columns reordered would be read by position, channels or lags
    swapped. Labels are compared as pandas compares them where their text
    alone tells: ``0``, ``0.0`` and a CSV's ``"0"`` are one label (see
    :func:`_label_keys`). Other labels, or none, are matched by position, as
    scikit-learn does. A table's last ``n_exog`` columns are values of the
    predicted step: they keep their place when its lags slide.
    """
    labels = sequences.column_labels
    if fitted_labels is None or labels is None or list(labels) == list(fitted_labels):
        return
    keys, fitted_keys = map(_label_keys, (labels, fitted_labels))
    if keys == fitted_keys:
        return
    if sorted(keys) == sorted(fitted_keys):
        first = next(k for k, (a, b) in enumerate(zip(keys, fitted_keys)) if a != b)
        raise ValueError(
            f"The columns of X are those seen in fit in another order: column {first} is "
            f"{labels[first]}, where fit had {fitted_labels[first]} (X: {listed(labels)}; "
            f"fit: {listed(fitted_labels)}). Columns are read by position, so they would "
            "be swapped. Select them in the order of fit, X[columns] with the columns of "
            "the X fitted on (frame[columns] for each frame of a list)."
        )
    # Labels of fit moved by different offsets: a column dropped and another
    # added, two swapped. Labels all moved by one offset (the next window of
    # a wide frame's columns), all in place, or none of fit's (a fresh
    # frame's) are read by position, as scikit-learn reads frames not named
    # by strings; but channels (a list's frames, a table of one step per
    # row) form no window, and a fitted label at another place is refused.
    position = {key: k for k, key in enumerate(fitted_keys)}
    n_lags = len(keys) - n_exog
    offsets = {k - position[key] for k, key in enumerate(keys[:n_lags]) if key in position}
    if sequences.from_list or sequences.values.shape[1] == 1:
        offsets.add(0)  # columns that are channels slide in no window: any move is one
    exogenous_moved = [k for k, key in enumerate(keys) if k >= n_lags
                       and position.get(key, k) != k]
    moved = exogenous_moved[0] if exogenous_moved else next(
        (k for k, key in enumerate(keys) if position.get(key, k) != k), None)
    if (len(offsets) > 1 or exogenous_moved) and len(keys) == len(fitted_keys):
        raise ValueError(
            f"Column {moved} of X is {labels[moved]}, which was column "
            f"{position[keys[moved]]} in fit (X: {listed(labels)}; fit: "
            f"{listed(fitted_labels)}). Columns are read by position, so it would be read "
            "as another column's values. Pass the columns of fit, in their order "
            "(X[columns] with the columns of the X fitted on; frame[columns] for each frame "
            "of a list), or relabel X's columns if its values are those of fit by position."
        )


# Decimal arithmetic that neither rounds nor overflows any number read from text.
_EXACT_DECIMALS = Context(prec=MAX_PREC, Emax=MAX_EMAX, Emin=MIN_EMIN)


def _label_keys(labels):
    """One key per label text, equal for the texts of equal numbers.

    ``0``, ``0.0``, ``np.float32(0.0)`` and ``"0"`` (a label after a CSV
    round trip) are one column to a user, and ``0 == 0.0`` to pandas, but
    their texts differ; the number's normalised decimal form does not. A
    float32 label, which pandas hands back as the float64 of its value
    (0.1 as 0.10000000149011612), is read at float32's shortest digits.
    Other texts are their own keys. (Any text Decimal reads is a number
    here, "1_000" and " 7 " too: a key only matches labels to labels.)
    """
    single_max = float(np.finfo(np.float32).max)

    def key(text):
        try:
            number = Decimal(text)
        except InvalidOperation:
            return text
        if not number.is_finite():
            return text
        if number.is_zero():
            return "0"
        value = float(number)
        if any(c in text for c in ".eE") and abs(value) <= single_max and (
                float(np.float32(value)) == value):
            number = Decimal(str(np.float32(value)))
        return str(number.normalize(_EXACT_DECIMALS))

    return [key(text) for text in labels]


def check_channel_names(fitted_names, sequences, estimator_name):
    """Check the channel names of new sequences against those seen in ``fit``.

    Names come from a list of DataFrames, or from the columns of a table of
    one step per row. Different names, or the same in another order, raise:
    channels would be paired by position. Names missing on one side only
    warn, as scikit-learn does for column names.
    """
    names = sequences.channel_names
    if fitted_names is None and names is None:
        return
    if fitted_names is None or names is None:
        warn(
            f"X {'has' if fitted_names is None else 'does not have'} channel names, but "
            f"{estimator_name} was fitted {'without' if fitted_names is None else 'with'} "
            "them; channels are matched by position.",
            UserWarning,
        )
        return
    if list(names) != list(fitted_names):
        if set(names) != set(fitted_names):
            remedy = ("pass a DataFrame whose columns are the fitted ones, named as in fit"
                      if sequences.channels_are_columns else
                      "pass frames whose channels are the fitted ones, named as in fit")
        elif sequences.n_columns is not None or sequences.channels_are_columns:
            # a table of one step per row, or a DataFrame of series
            remedy = f"pass the columns in the fitted order, X[{list(fitted_names)!r}]"
        else:
            remedy = (f"pass the channels in the fitted order, e.g. "
                      f"[frame[{list(fitted_names)!r}] for frame in X] (frame.loc[...] for "
                      "frames whose rows are the channels, data_format='channels_first')")
        raise ValueError(
            f"The channel names of X, {list(names)}, differ from those seen in fit, "
            f"{list(fitted_names)}: {remedy}."
        )
