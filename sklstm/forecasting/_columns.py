"""Column roles, and the checks of the values read from those columns.

Column roles
------------
Every column used is named in exactly one role:

``target``
    The column(s) to forecast. Their past values are input channels too.
``past_covariates``
    Columns known only up to the time of the forecast (the *origin*): they
    enter the window as their own lookback, like the targets.
``future_covariates``
    Columns known in advance (calendar features, planned prices). In the
    ``future_layout="shifted"`` windows they enter shifted ahead by
    ``gap + horizon`` steps, so that the window's last step holds their value
    at the last target time; in the ``"appended"`` windows (the
    encoder-decoder's) they are not shifted, and the horizon's steps follow
    the window. See :func:`~sklstm.forecasting.make_windows` for the diagrams.

Channels are ordered targets, then past covariates, then future covariates,
each in the order given.
"""

import numbers
from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from .._checks import (
    fits_in_numpy, foreign_number_refusal, is_foreign_number_dtype, quoted_label,
)
from .._validation import (
    _dtype_is, _holds_text, _object_numbers, _too_large, is_real_number_dtype, listed,
    refuse_beyond_float64, refuse_inexact_integer_column,
)
from ._time import with_true_uniqueness


def as_frame(data, target, *, what=None):
    """Return ``(frame, target)``; a Series becomes a one-column frame.

    ``what`` names data read by a fitted forecaster ("history"), whose
    ``target`` is the fitted one: a Series must then be named like it.
    """
    if isinstance(data, pd.Series):
        name = "y" if data.name is None else data.name
        if isinstance(name, tuple):
            # Column roles read a tuple as several names.
            raise ValueError(
                f"the Series is named with a tuple, {quoted_label(name)}; give it one label, "
                f"e.g. series.rename({'_'.join(map(str, name))!r})."
            )
        if isinstance(name, (bool, np.bool_)):
            raise ValueError(
                f"the Series is named {quoted_label(name)}, a boolean, which pandas reads as a "
                f"mask when selecting columns; rename it, e.g. series.rename({str(bool(name))!r})."
            )
        if _is_nan_label(name):
            raise ValueError(
                f"the Series is named {quoted_label(name)}, a NaN, {_NAN_LABEL_WHY}; rename it, "
                "e.g. series.rename('y')."
            )
        if target is not None and _names(target, "target") != (name,):
            if what is None:
                raise ValueError(
                    f"target={quoted_label(target)} does not match the Series, whose values are "
                    f"the target {quoted_label(name)}; leave target=None for a Series."
                )
            named = "an unnamed Series (read as 'y')" if data.name is None else (
                f"a Series named {quoted_label(name)}")
            expected = list(_names(target, "target"))
            hint = (f"rename it, e.g. {what}.rename({quoted_label(expected[0])})"
                    if len(expected) == 1 else "pass a DataFrame with those columns")
            raise ValueError(
                f"{what} is {named}, but the forecaster was fitted on the target(s) "
                f"{quoted_label(expected)}: {hint}."
            )
        return with_true_uniqueness(data.to_frame(name)), name
    if not isinstance(data, pd.DataFrame):
        raise TypeError(
            f"{what or 'data'} must be a pandas DataFrame or Series indexed by time; got "
            f"{type(data).__name__}."
        )
    if target is None:
        raise ValueError(
            "target is required when data is a DataFrame: name the column(s) to forecast "
            f"among {listed(data.columns, quoted_label)}."
        )
    return with_true_uniqueness(data), target


# Why NaN cannot name a column: nan != nan, and a saved forecaster's NaN is
# another object than its columns' (None, NaT and pd.NA are singletons).
_NAN_LABEL_WHY = (
    "which is not equal to itself, so a saved forecaster could not find its column again"
)


def _is_nan_label(name):
    """Whether ``name`` is a float NaN, or a tuple label (MultiIndex columns) holding one."""
    parts = name if isinstance(name, tuple) else (name,)
    return any(isinstance(part, (float, np.floating)) and np.isnan(part) for part in parts)


def _names(value, role):
    """Column names given for ``role``, as a tuple: one name or an iterable of names."""
    if value is None:
        return ()
    if (isinstance(value, (str, bytes, numbers.Number)) or not hasattr(value, "__iter__")
            or isinstance(value, np.ndarray) and value.ndim == 0):
        value = [value]
    if isinstance(value, (set, frozenset, dict)):
        # Channel order follows the names' order, which these do not keep
        # (a set) or do not mean (a dict's values would be ignored).
        raise TypeError(
            f"{role} must be a column name or a list of names; got a "
            f"{type(value).__name__}, {value!r}."
        )
    if iter(value) is value:
        # A generator or iterator: read once here, it would be empty (and
        # cannot be copied) wherever the forecaster reads it again.
        raise TypeError(
            f"{role} must be a column name or a list of names; got an iterator, "
            f"{type(value).__name__}: pass list(...) of it."
        )
    names = tuple(value)
    seen = set()
    for name in names:
        if not isinstance(name, Hashable):
            # A 0-d array, or a list inside the list: pandas labels are hashable.
            hint = " (pass the name it holds, array.item())" if (
                isinstance(name, np.ndarray) and name.ndim == 0) else ""
            raise TypeError(
                f"{role} holds {quoted_label(name)}, of type {type(name).__name__}, which cannot "
                f"name a column: column labels are hashable{hint}."
            )
        if isinstance(name, numbers.Integral) and not fits_in_numpy(name, as_int=False):
            raise ValueError(
                f"{role} holds the column name {quoted_label(name)}, an int beyond float64, "
                "by which pandas cannot select columns; rename the column, e.g. with "
                "df.rename(columns=str)."
            )
        if isinstance(name, (bool, np.bool_)):
            # pandas reads a list of booleans as a mask, not as names.
            raise ValueError(
                f"{role} holds the column name {quoted_label(name)}, a boolean, which pandas "
                "reads as a mask when selecting columns; rename the column, e.g. with "
                f"df.rename(columns={{{bool(name)!r}: {str(bool(name))!r}}})."
            )
        if _is_nan_label(name):
            raise ValueError(
                f"{role} holds the column name {quoted_label(name)}, with a NaN, "
                f"{_NAN_LABEL_WHY}; rename the column, e.g. with df.rename(columns=...)."
            )
        if name in seen:
            raise ValueError(f"column {quoted_label(name)} is listed twice in {role}.")
        seen.add(name)
    return names


@dataclass(frozen=True)
class Roles:
    """Column names in each role, each tuple in the order given."""

    targets: tuple
    past: tuple
    future: tuple

    @property
    def lookback(self):
        """Columns that enter a window unshifted: targets, then past covariates."""
        return self.targets + self.past

    @property
    def columns(self):
        """Every used column, in channel order."""
        return self.targets + self.past + self.future


def role_names(target, past_covariates, future_covariates):
    """The names given for each role, role -> tuple; raise on a form that is
    not one name or a list of names (a set, a dict, an iterator)."""
    return {
        "target": _names(target, "target"),
        "past_covariates": _names(past_covariates, "past_covariates"),
        "future_covariates": _names(future_covariates, "future_covariates"),
    }


def resolve_roles(frame, target, past_covariates, future_covariates, what="data"):
    """Check that every named column exists, once, in a single role.

    ``what`` names ``frame`` in messages ("data", "history").

    Returns
    -------
    roles : Roles
    """
    roles = role_names(target, past_covariates, future_covariates)
    if not roles["target"]:
        raise ValueError("target must name at least one column.")
    owner = {}
    for role, names in roles.items():
        for name in names:
            if name in owner:
                raise ValueError(
                    f"column {quoted_label(name)} is given both as {owner[name]} and as {role}; "
                    f"each column has exactly one role."
                )
            owner[name] = role
            if name not in frame.columns:
                raise ValueError(
                    f"column {quoted_label(name)} given as {role} is not in {what}; its "
                    f"columns are {quoted_label(list(frame.columns))}."
                    f"{_tuple_hint(role, roles[role], frame)}"
                )
    duplicated = repeated_labels(frame.columns, owner)
    if duplicated:
        raise ValueError(f"{what} has several columns named {quoted_label(duplicated[0])}.")
    columns = frame.columns
    labels = {}
    for name, role in owner.items():
        _column(frame, name, what)
        label = labels[name] = columns[columns.get_loc(name)]
        if label is not name and _is_missing_label(label):
            # A text Index keeps a missing label as NaN (pandas 3: df[None] = ...)
            # or pd.NA, and pandas finds it by any missing name in df[name]
            # but only by its own in df[[name]]: no name reads it throughout.
            raise ValueError(
                f"column {quoted_label(name)} given as {role} is matched by pandas to the missing "
                f"label {quoted_label(label)} of {what}'s {columns.dtype} columns, which pandas "
                "selects by one missing name but not by another; give the column a label, e.g. "
                "with df.columns = [...]."
            )
        if isinstance(label, (bool, np.bool_)):
            # 1 finds the label True in an object Index; pandas reads a list of
            # booleans as a mask, not as names.
            raise ValueError(
                f"column {quoted_label(name)} given as {role} is matched by pandas to the "
                f"boolean label {quoted_label(label)} of {what}, which pandas reads as a mask "
                f"when selecting columns; rename it, e.g. "
                f"df.rename(columns={{{bool(label)!r}: {str(bool(label))!r}}})."
            )
        if not _equal_labels(label, name):
            # pandas also matches '2020-01-01' to the label Timestamp('2020-01-01'):
            # the fitted names would then differ from the columns they select.
            raise ValueError(
                f"column {quoted_label(name)} given as {role} is matched by pandas to the column "
                f"labelled {quoted_label(label)}, of another type; name the column by its label, "
                f"{quoted_label(label)}, so that every later call reads it under one name."
            )
    # Each column as the frame labels it (1.0 given for the label 1 names it 1).
    return Roles(*(tuple(labels[name] for name in roles[role])
                   for role in ("target", "past_covariates", "future_covariates")))


def per_target_columns(targets, labels, names=None):
    """Two-level columns: ``(target, label)`` for each target, then each label.

    Built from codes: ``MultiIndex.from_product`` sorts each level, and
    target names that mix tuples and scalars then sort by way of a padded
    frame, which pandas 3 warns will raise. Levels are sorted as it sorts
    them where their labels compare (label slices then work as on its
    result), and kept in the given order where they do not.

    Parameters
    ----------
    targets : sequence of hashable of length n_targets
        Target names; a tuple is one name.
    labels : sequence of hashable of length n_labels
        Unique labels under each target (steps, bounds, quantile levels).
    names : pair of str, optional
        Names of the two levels.

    Returns
    -------
    columns : pandas.MultiIndex of length n_targets * n_labels
    """
    (outer, outer_codes), (inner, inner_codes) = _level(targets), _level(labels)
    codes = [np.repeat(outer_codes, len(inner)), np.tile(inner_codes, len(outer))]
    return pd.MultiIndex(levels=[outer, inner], codes=codes, names=names)


def per_target_frame(values, index, targets, labels, names=None):
    """A new DataFrame of values per target and label: for one target, one
    column per label; for several, the columns of :func:`per_target_columns`.

    Parameters
    ----------
    values : ndarray of shape (n_rows, n_targets, n_labels)
    index : pandas.Index of length n_rows
    targets, labels, names
        As :func:`per_target_columns`; with one target the columns are the
        labels, named ``names[1]``.

    Returns
    -------
    frame : pandas.DataFrame of shape (n_rows, n_targets * n_labels)
        Its own copy of ``values``: editing it never reaches them.
    """
    n_rows, n_targets, _ = values.shape
    if n_targets == 1:
        columns = pd.Index(list(labels), name=None if names is None else names[1],
                           tupleize_cols=False)
        return pd.DataFrame(values[:, 0], index, columns, copy=True)
    columns = per_target_columns(targets, labels, names)
    return pd.DataFrame(values.reshape(n_rows, -1), index, columns, copy=True)


def _level(labels):
    """A level of unique ``labels`` (sorted where they compare), and the
    position of each label in it."""
    given = pd.Index(list(labels), tupleize_cols=False)
    try:
        level = given.sort_values()
    except TypeError:  # labels of types that do not compare
        level = given
    return level, level.get_indexer(given)


def repeated_labels(columns, names):
    """The ``names`` that equal more than one of ``columns``, in order.

    Columns whose labels are unique (pandas' hash table says so in one
    pass) repeat no name; only others compare each name with every label
    (comparing them for every name took seconds for thousands of columns).
    """
    try:
        if columns.is_unique:
            return []
    except TypeError:  # an unhashable label: compare, as below
        pass
    return [name for name in names if np.sum(columns == name) > 1]


def _tuple_hint(role, names, frame):
    """Advice when the names of ``role`` are one column's tuple label, which
    is read as several names (a list of names, like any sequence); none
    for names given otherwise (a list cannot be looked up as a label)."""
    if isinstance(names, tuple) and names in frame.columns:
        return (f" A tuple is read as {len(names)} names; to name the column labelled "
                f"{quoted_label(names)}, put it in a list: {role}=[{quoted_label(names)}].")
    return ""


def _equal_labels(label, name):
    """Whether a column's ``label`` equals the ``name`` given for it (``1``
    and ``1.0`` are equal; a text date and a Timestamp are not)."""
    if label is name:  # NaT and pd.NA are themselves, though not equal to themselves
        return True
    try:
        return bool(label == name)
    except (TypeError, ValueError):  # labels whose == is not a truth value
        return False


def _is_missing_label(label):
    """Whether a column label is a missing value (None, NaN, NaT, pd.NA)."""
    return pd.api.types.is_scalar(label) and bool(pd.isna(label))


def _part_of_labels(name, what):
    return ValueError(
        f"column {quoted_label(name)} is part of several labels of {what}'s columns, not one "
        "whole label; name one column by its label (df.columns lists them)."
    )


def _column(frame, name, what="data"):
    """The one column of ``frame`` that ``name`` labels whole, as a Series.

    pandas also selects MultiIndex columns by their outer level(s): ``'y'``
    selects the column ``('y', '')`` (as after a pivot or an aggregation)
    or several. A fitted forecaster keeps, saves and reads its columns by
    the names it was given, so a part of a label is refused, naming the
    whole one: fit, predict and backtest would read different columns.
    """
    columns = frame.columns
    try:
        selected = frame[name]
    except TypeError:
        # pandas 2 finds a part of several labels ('2020-01' of Timestamp
        # labels) but cannot select by it; pandas 3 selects them all (below).
        raise _part_of_labels(name, what) from None
    if isinstance(selected, pd.DataFrame) and not (
            isinstance(columns, pd.MultiIndex) and selected.shape[1] == 1):
        if not isinstance(columns, pd.MultiIndex) and not all(
            _equal_labels(label, name) or _is_missing_label(label) for label in selected.columns
        ):
            raise _part_of_labels(name, what)
        # A repeated name (or missing labels, which pandas finds by any missing
        # name), or the outer level of several MultiIndex columns.
        raise ValueError(
            f"column {quoted_label(name)} selects {selected.shape[1]} columns of {what}, "
            f"{quoted_label(list(selected.columns))}; name one column per role (flatten "
            "MultiIndex columns first, e.g. with '_'.join)."
        )
    if isinstance(columns, pd.MultiIndex) and not (
        isinstance(name, tuple) and len(name) == columns.nlevels
    ):  # the outer level(s) of one column's label
        key = name if isinstance(name, tuple) else (name,)
        label = next(label for label in columns if label[: len(key)] == key)
        raise ValueError(
            f"column {quoted_label(name)} is part of the label {quoted_label(label)} of {what}'s "
            "MultiIndex columns; a forecaster names each column by one whole label. Flatten the "
            "columns first, e.g. df.columns = df.columns.get_level_values(0), or "
            "['_'.join(map(str, c)).strip('_') for c in df.columns]; or name the "
            f"column whole, in a list: [{quoted_label(label)}]."
        )
    return selected


def column_values(frame, columns, what="data"):
    """Float64 array of shape (n_rows, len(columns)); non-numeric columns fail.

    ``what`` names ``frame`` in messages ("data", "future").
    """
    selected = []  # (name, values) of each column, in order
    for name in columns:
        column = _column(frame, name, what)
        dtype = column.dtype
        if is_real_number_dtype(dtype):
            selected.append((name, column))
            continue
        # Numbers held as objects are read as the estimators read them (a
        # missing one as NaN; any other object is refused by position).
        objects = column.to_numpy() if dtype == object else None
        numbers_held = objects is not None and not _holds_text(objects)
        if _dtype_is(pd.api.types.is_complex_dtype, dtype) or numbers_held and any(
            isinstance(v, (complex, np.complexfloating)) for v in objects
        ):
            # Casting to float64 would drop the imaginary part silently.
            raise ValueError(
                f"column {quoted_label(name)} holds complex numbers (dtype {dtype}); a forecaster "
                f"reads real numbers only: split it into its real and imaginary parts (or "
                f"modulus and angle) as two columns."
            )
        if is_foreign_number_dtype(dtype):
            raise ValueError(foreign_number_refusal(
                f"column {quoted_label(name)}", dtype,
                f"cast it with .astype({{{quoted_label(name)}: np.float32}})"))
        if not numbers_held:
            raise ValueError(
                f"column {quoted_label(name)} has non-numeric dtype {dtype}; encode it as numbers."
            )
        selected.append((name, _object_numbers(
            objects, f"column {quoted_label(name)}", "row",
            place=lambda where: f"label {frame.index[where[0]]}",
        )))
    if not columns:
        return np.empty((len(frame), 0))
    values = np.empty((len(frame), len(columns)))
    for j, (name, column) in enumerate(selected):
        if isinstance(column, pd.Series):
            refuse_inexact_integer_column(column, f"column {quoted_label(name)}")
            if isinstance(column.dtype, np.dtype):  # to_numpy is then a view
                refuse_beyond_float64(column.to_numpy(), f"column {quoted_label(name)}",
                                      place=lambda index: f"row {index[0]}")
        try:
            values[:, j] = pd.Series(column).to_numpy(dtype=np.float64, na_value=np.nan)
        except OverflowError as exc:  # a Python int beyond float64
            raise _too_large(f"column {quoted_label(name)}", exc) from None
    return values


def check_finite(values, columns, index, *, allow_nan=False, where="", nan_hint=""):
    """Raise on inf always, and on NaN unless ``allow_nan``, naming column and label.

    ``values`` has shape (n_rows, len(columns)); ``index`` labels its rows.
    ``where`` ends the message's first part (" in the history"), and
    ``nan_hint`` follows a NaN's message only (how to handle missing values).
    """
    for j, name in enumerate(columns):
        column = values[:, j]
        infinite = np.flatnonzero(np.isinf(column))
        if len(infinite):
            raise ValueError(
                f"column {quoted_label(name)} has {len(infinite)} infinite value(s), the first "
                f"at label {index[infinite[0]]}{where}; replace them with finite values."
            )
        missing = np.flatnonzero(np.isnan(column))
        if len(missing) and not allow_nan:
            raise ValueError(
                f"column {quoted_label(name)} has {len(missing)} missing value(s) (NaN), the "
                f"first at label {index[missing[0]]}{where}{nan_hint}"
            )
