"""The time axis: checks of a time index, its frequency, and the labels after it.

Time axis
---------
The index must be a regular time axis: a :class:`pandas.RangeIndex` (or
integer index with step 1), a :class:`pandas.DatetimeIndex` whose ``freq``
is set or can be inferred with :func:`pandas.infer_freq` (for a tz-aware
index, also a fixed step in absolute time, such as 24 h across a DST
change, which ``infer_freq`` reads in wall-clock time), or a
:class:`pandas.PeriodIndex` of consecutive periods (sktime's forecasting
sets). Missing timestamps or periods, an unsorted or duplicated index are
errors, never silently repaired: use ``df.asfreq("D")``,
``df.sort_index()`` and so on first.

A PeriodIndex is read as the start times of its periods
(:func:`on_period_starts`), so the rest of the time axis knows two kinds,
integers and timestamps; the labels a forecaster returns become periods
again (:func:`as_periods`).
"""

import datetime
import zoneinfo

import numpy as np
import pandas as pd
from pandas.tseries.frequencies import to_offset

from .._validation import listed


def _few_missing(n_missing, n_rows):
    """Whether ``n_missing`` labels are holes in ``n_rows`` worth listing and
    filling, rather than a grid too fine for the data (three timestamps 1 ms
    apart in an hourly series; epoch times as integer labels), which would
    take gigabytes to build."""
    return n_missing <= max(10 * n_rows, 10_000)


# pandas >= 3.1 warns at every call of infer_freq that it will return an
# offset; its infer_freq_str is the same inference, as a string, without the
# warning. Asking infer_freq for the offset instead, with pandas' option set
# for the call, set it for every thread: pandas' options are the process's,
# so a fit in another thread restored it under this one's call.
_infer_freq_str = getattr(pd.tseries.frequencies, "infer_freq_str", pd.infer_freq)


def _infer_freq(index):
    """:func:`pandas.infer_freq` of ``index``: a frequency string, or None."""
    freq = _infer_freq_str(index)
    return freq.freqstr if isinstance(freq, pd.offsets.BaseOffset) else freq


def _wall_clock_steps(freq):
    """Whether pandas steps ``freq`` in wall-clock time in a time zone: a
    calendar day (``Day``, unlike the other fixed steps) or a calendar offset
    (week, month, business day). Their labels can fall in a DST change."""
    return isinstance(freq, pd.offsets.Day) or not isinstance(freq, pd.offsets.Tick)


def _check_wall_clock(start, end, periods, freq, unit):
    """Raise a ValueError, naming the label, if a wall-clock grid from the
    tz-aware ``start`` meets a time that its zone skips or repeats; return
    the grid's number of labels."""
    wall = pd.date_range(
        start.tz_localize(None), None if end is None else end.tz_localize(None),
        periods=periods, freq=freq, unit=unit,
    )
    skipped = wall.tz_localize(
        start.tz, ambiguous=np.zeros(len(wall), dtype=bool), nonexistent="NaT"
    ).isna()
    repeated = wall.tz_localize(start.tz, ambiguous="NaT", nonexistent="shift_forward").isna()
    bad = np.flatnonzero(skipped | repeated)
    if not len(bad):
        return len(wall)
    i = bad[0]
    what, why = (
        ("does not exist", "clocks skip it when daylight saving time starts")
        if skipped[i]
        else ("occurs twice", "clocks repeat it when daylight saving time ends, so its "
              "UTC offset is ambiguous")
    )
    raise ValueError(
        f"steps of freq {freq.freqstr!r} from {start} meet {wall[i]}, a "
        f"wall-clock time that {what} in time zone {str(start.tz)!r} ({why}): it cannot "
        "label a row. Refit on wall-clock times without a zone (df.tz_localize(None)), "
        "or on data recorded at a time of day every day has exactly once (noon, say)."
    )


def date_range(start, freq, unit, *, end=None, periods=None, name=None):
    """:func:`pandas.date_range` from ``start``, with a ValueError naming the
    label and zone where a wall-clock step meets a DST change (pandas raises
    pytz's NonExistentTimeError or AmbiguousTimeError, not ValueErrors)."""
    freq = to_offset(freq)
    if start.tz is not None and _wall_clock_steps(freq):
        # Given an end, pandas 2 also localizes the step after it, which can
        # fall in a DST change: the checked grid says how many steps to take.
        periods, end = _check_wall_clock(start, end, periods, freq, unit), None
    return pd.date_range(start, end, periods=periods, freq=freq, name=name, unit=unit)


def _missing_datetimes(index):
    """Guess the frequency of a DatetimeIndex with holes; return (freq, missing).

    Of the frequencies whose grid holds every timestamp, the one that misses
    fewest: business days without a holiday also lie on the daily grid,
    which misses every weekend.
    """
    candidates, best = [], (None, None)
    for start in range(min(len(index) - 2, 50)):
        freq = _infer_freq(index[start : start + 3])
        if freq is not None and freq not in candidates:
            candidates.append(freq)
    for freq in candidates:
        # The grid's size from one step, before the grid is built.
        try:
            first, second = date_range(index[0], freq, index.unit, periods=2)
            if not _few_missing((index[-1] - index[0]) / (second - first) + 1 - len(index),
                                len(index)):
                continue
            full = date_range(index[0], freq, index.unit, end=index[-1])
        except ValueError:  # a step into a DST change: not the data's grid
            continue
        if len(full) > len(index) and index.isin(full).all():
            missing = full.difference(index)
            if best[1] is None or len(missing) < len(best[1]):
                best = freq, missing
    return best


def _check_index_type(index):
    """Raise TypeError unless ``index`` is a DatetimeIndex or an integer index."""
    if isinstance(index, pd.MultiIndex):
        # Its series end to end (reset_index) would read as one series.
        levels = 0 if index.nlevels == 2 else list(range(index.nlevels - 1))
        raise TypeError(
            f"the index is a MultiIndex of {index.nlevels} levels: a panel of several "
            "series (sktime's 'pd-multiindex' or hierarchical layout), where the "
            "forecasting tools read one time axis. Take each series on its own, e.g. parts "
            f"= {{key: part.droplevel({levels}) for key, part in df.groupby(level={levels}, "
            "sort=False)} where the time level is the last, and fit a forecaster "
            "(sklearn.base.clone of one) on each part."
        )
    if not isinstance(index, pd.DatetimeIndex) and not pd.api.types.is_integer_dtype(
            index.dtype):
        raise TypeError(
            f"the index must be a DatetimeIndex, a PeriodIndex or an integer index "
            f"(RangeIndex); got {type(index).__name__} of dtype {index.dtype}. Convert it, "
            f"e.g. with df.set_index(pd.to_datetime(df['date'])) or df.reset_index(drop=True)."
        )
    if not isinstance(index, pd.DatetimeIndex):
        _check_int64_range(index)


def check_index_type(index, what):
    """Raise TypeError, naming ``what``, unless ``index`` is a
    DatetimeIndex or an integer index (a PeriodIndex read as its start
    times is one)."""
    try:
        _check_index_type(index)
    except TypeError as error:
        raise TypeError(f"{what}: {error}") from None


# The largest integer label: forecast labels are a RangeIndex, and saved
# labels an array, both int64.
_INT64_MAX = np.iinfo(np.int64).max


def _check_int64_range(index):
    """Raise, naming them, on integer labels int64 cannot hold (uint64 ones
    above 2**63 - 1), which would wrap to negative labels once read as int64."""
    if index.dtype.kind != "u":
        return
    labels = index.dropna()  # NA is named by the index checks
    too_large = labels[labels.to_numpy(dtype=np.uint64) > _INT64_MAX]
    if len(too_large):
        raise ValueError(
            f"the integer index holds {len(too_large)} label(s) above {_INT64_MAX}, the "
            f"largest int64 label a forecaster keeps: {listed(too_large)}. Renumber the "
            "rows, e.g. with df.reset_index(drop=True), or subtract an offset from the "
            "labels first."
        )


def integer_labels(index):
    """The labels of an integer index as an int64 array of shape (n_rows,).

    The one place integer labels are read as numbers: labels int64 cannot
    hold are refused, and arithmetic on the result cannot overflow a small
    dtype (uint8's 255 + 1 is 0).
    """
    _check_int64_range(index)
    return index.to_numpy(dtype=np.int64)


def _check_index_type_and_order(index):
    """Raise unless ``index`` is a non-empty, unique, increasing time index."""
    _check_index_type(index)
    _check_order(index)


def _check_order(index):
    """Raise unless ``index`` (of a kind :func:`_check_index_type` takes, or
    periods) is non-empty, free of missing labels, unique and increasing."""
    if len(index) == 0:
        raise ValueError("data has no rows.")
    if index.hasnans:
        # NaT (or pd.NA in a nullable integer index) compares as unordered:
        # name it before the order and uniqueness checks misreport it.
        positions = np.flatnonzero(index.isna())
        missing = ("period(s) (NaT)" if isinstance(index, pd.PeriodIndex)
                   else "timestamp(s) (NaT)" if isinstance(index, pd.DatetimeIndex)
                   else "label(s) (NA)")
        raise ValueError(
            f"the index holds {len(positions)} missing {missing}, at "
            f"position(s) {listed(positions)}; drop or fill those rows first."
        )
    # First: pandas' scan for order settles the uniqueness of a strictly
    # increasing index, which it would otherwise check with a hash table of
    # the labels (32 MiB, kept on the index, for a million timestamps).
    increasing = index.is_monotonic_increasing
    # A slice keeps its parent's "not unique": the labels decide.
    dup = index[index.duplicated()] if not index.is_unique else index[:0]
    if len(dup):
        raise ValueError(
            f"the index has duplicated labels ({listed(dup.unique())}); aggregate "
            f"them first, e.g. df.groupby(level=0).mean()."
        )
    if not increasing:
        raise ValueError(
            "the index is not sorted in increasing time order; use df.sort_index()."
        )


def _check_integer_steps(index):
    """Raise unless an integer index has step 1, naming the missing labels."""
    labels = integer_labels(index)
    # Sorted and unique, so a step is 1 exactly when its int64 difference
    # is, even where a difference wraps past int64.
    if len(labels) > 1 and (np.diff(labels) != 1).any():
        first, last = int(labels[0]), int(labels[-1])
        steps = np.diff(labels)
        if (steps <= 0).any():  # a difference wrapped past int64: as Python ints
            steps = np.diff(labels.astype(object))
        steps = np.unique(steps)
        # Evenly spaced labels (every 2nd, decades) are no holes: inserting
        # the labels between them would interleave rows of NaN.
        if len(steps) == 1 or not _few_missing(last - first + 1 - len(labels), len(labels)):
            raise ValueError(
                f"the integer index must have step 1; its labels run from {first} to "
                f"{last} in steps of {listed(steps)}. Labels that are times (epoch "
                "seconds or nanoseconds, say) belong in a DatetimeIndex, e.g. "
                "df.index = pd.to_datetime(df.index, unit='s'); use "
                "df.reset_index(drop=True) if the labels do not matter."
            )
        # The last label is present: the missing ones lie before it.
        missing = pd.RangeIndex(first, last).difference(pd.Index(labels))
        raise ValueError(
            f"the integer index must have step 1; labels "
            f"{listed(missing)} are missing. Insert them with "
            f"df.reindex(range({first}, {last + 1})) (they become "
            f"NaN rows to fill), or use df.reset_index(drop=True) if the "
            f"labels do not matter."
        )


def _absolute_step(index):
    """The step of a tz-aware DatetimeIndex evenly spaced in absolute time, as
    a fixed offset (``24h``, not the calendar ``D``), or None.

    :func:`pandas.infer_freq` reads a tz-aware index in wall-clock time, where
    24 h steps across a DST change look like 23 h or 25 h ones (a CSV round
    trip drops the freq of data made with ``freq="24h"``).
    """
    if index.tz is None or len(index) < 3:
        return None
    steps = np.unique(np.diff(index.asi8))
    if len(steps) != 1:
        return None
    nanos = pd.Timedelta(int(steps[0]), unit=index.unit).value
    # The coarsest fixed unit that divides the step: never Day, which
    # pd.date_range steps in wall-clock time.
    for offset in (pd.offsets.Hour, pd.offsets.Minute, pd.offsets.Second,
                   pd.offsets.Milli, pd.offsets.Micro):
        if nanos % offset(1).nanos == 0:
            return offset(nanos // offset(1).nanos)
    return pd.offsets.Nano(nanos)


def _calendar_month_step(index):
    """``pd.DateOffset(months=k)`` for a tz-naive DatetimeIndex on one day
    of the month, the 28th or earlier, and one time of day, ``k`` months
    apart, or None.

    :func:`pandas.infer_freq` names month grids by their first or last day
    only: monthly data dated on the 15th (read from a file, freq lost) had
    no frequency, and the advice was to resample it onto another day. A
    later day is not on every month (stepping from the 30th, pandas clips
    to February's last day and stays there).
    """
    if index.tz is not None or len(index) < 3:
        return None
    days = np.unique(index.day)
    if len(days) != 1 or days[0] > 28 or len(np.unique((index - index.normalize()).asi8)) != 1:
        return None
    steps = np.unique(np.diff(index.year * 12 + index.month))
    if len(steps) != 1 or steps[0] < 1:
        return None
    return pd.DateOffset(months=int(steps[0]))


def _grid_break(labels, freq):
    """Where ``labels`` first leave the grid of ``freq`` from ``labels[0]``,
    as words for a message, or None if they follow it.

    Raises ValueError where a wall-clock step meets a DST change (see
    :func:`date_range`).
    """
    successors = _successors(labels, freq)
    if successors is None:
        grid = date_range(labels[0], freq, labels.unit, periods=len(labels))
        first_on_grid, successors = labels[0] == grid[0], grid[1:]
    else:
        first_on_grid = freq.is_on_offset(labels[0])
    if not first_on_grid:
        return f"label {labels[0]} is not on that grid"
    wrong = np.flatnonzero(labels[1:] != successors)
    if not len(wrong):
        return None
    i = wrong[0] + 1
    return f"after {labels[i - 1]} comes {labels[i]}, not {successors[i - 1]}"


# Calendar offsets that pandas 2 and 3 add to a whole DatetimeIndex at once
# (to the others it adds label by label, with a PerformanceWarning; pandas 3's
# half-year offsets are new). Exact types: CustomBusinessDay is a BusinessDay
# that pandas does not vectorise.
_VECTORISED_OFFSETS = frozenset(
    getattr(pd.offsets, name) for name in (
        "Day", "BusinessDay", "Week", "SemiMonthBegin", "SemiMonthEnd", "MonthBegin",
        "MonthEnd", "BusinessMonthBegin", "BusinessMonthEnd", "QuarterBegin", "QuarterEnd",
        "BQuarterBegin", "BQuarterEnd", "HalfYearBegin", "HalfYearEnd", "BHalfYearBegin",
        "BHalfYearEnd", "YearBegin", "YearEnd", "BYearBegin", "BYearEnd",
    ) if hasattr(pd.offsets, name)
)


def _successors(labels, freq):
    """Each label but the last plus one step of ``freq``, or None where
    pandas' own grid must say where the steps go.

    pandas builds a calendar grid in Python, about 10 us a label (1.5 s for
    40,000 business days, at every fit and backtest fold); one step added to
    every label is vectorised for most offsets, and labels whose first is on
    the offset follow the grid if each is the one before it plus one step.
    Not so in a time zone (DST), for fixed steps (pandas' grid is fast), or
    with ``normalize``, whose grid pandas 3 starts at the first label's time
    of day, which ``is_on_offset`` refuses.
    """
    if labels.tz is not None or isinstance(freq, pd.offsets.Tick) or freq.normalize:
        return None
    try:
        if type(freq) in _VECTORISED_OFFSETS:
            return labels[:-1] + freq
        # pandas would add these label by label too, with a PerformanceWarning.
        # Each successor in the unit it needs (a sub-second step from labels
        # in seconds is not cut to a second).
        return pd.DatetimeIndex([label + freq for label in labels[:-1]])
    except (OverflowError, pd.errors.OutOfBoundsDatetime):
        return None  # a step beyond pandas' range: the grid says where


def _check_inferred_grid(index, freq):
    """Raise unless ``index`` lies on the grid of ``freq``, which pandas inferred.

    :func:`pandas.infer_freq` can name a frequency the data do not follow:
    the last Friday of every month is inferred as ``WOM-4FRI``, the fourth
    Friday, which is another day in months of five Fridays. Forecasts would
    then be labelled on the wrong days. Compared as pandas steps ``freq`` in
    a time zone: a calendar step in wall-clock time, where ``infer_freq``
    reads it, and a fixed one (``h``) in absolute time, where an hourly
    index has no gap across a DST change.
    """
    where = _grid_break(_labels_as_stepped(index, freq), freq)
    if where is None:
        return
    example = (", e.g. pd.offsets.LastWeekOfMonth(weekday=4) for the last Friday of each "
               "month" if isinstance(freq, pd.offsets.WeekOfMonth) else "")
    raise ValueError(
        f"the DatetimeIndex has no freq, and the one pandas infers, {freq.freqstr!r}, "
        f"does not fit it: {where}. Set the frequency the data follow with "
        f"df.asfreq(offset){example}."
    )


def _labels_as_stepped(index, freq):
    """``index`` read as pandas steps ``freq`` from label to label: in a time
    zone, a calendar step in wall-clock time (the labels without their zone),
    a fixed one in absolute time (the labels as they are). The grid of the
    labels without their zone is also checked vectorised for most offsets,
    where the zone's own is built in Python (0.8 s for 40,000 business days)."""
    if index.tz is not None and _wall_clock_steps(freq):
        return index.tz_localize(None)
    return index


def _set_freq_break(index):
    """Where a tz-aware index leaves the wall-clock grid of its own ``freq``,
    as words for a message, or None if it follows it.

    pandas 2 keeps a calendar ``freq`` through ``tz_convert``, where the
    labels no longer follow it: weekly on Wednesdays at midnight UTC is
    Tuesdays at 19:00 or 20:00 in New York, and a step of ``W-WED`` from
    there is a Wednesday.

    A zone with no name to rebuild it from (a dateutil file zone) keeps its
    freq unchecked: the forecasters refuse it (:func:`check_time_zone`), and
    pandas 2 failed to localize wall-clock times in one (an AttributeError).
    """
    if index.tz is None or not _wall_clock_steps(index.freq) or len(index) < 2:
        return None  # pandas checks a freq it sets in absolute time
    if _zone_state(index.tz) is None:
        return None
    return _grid_break(_labels_as_stepped(index, index.freq), index.freq)


def _datetime_freq(index):
    """The frequency of a DatetimeIndex: set, inferred, or a clear error.

    A set ``freq`` that the labels do not follow (see :func:`_set_freq_break`)
    counts as none.
    """
    set_freq_break = None if index.freq is None else _set_freq_break(index)
    if index.freq is not None and set_freq_break is None:
        return index.freq
    freq = _infer_freq(index) if len(index) >= 3 else None
    if freq is not None:
        _check_inferred_grid(index, to_offset(freq))
        return to_offset(freq)
    step = _absolute_step(index)
    if step is None:
        step = _calendar_month_step(index)
    if step is not None:
        return step
    guess, missing = _missing_datetimes(index) if len(index) >= 3 else (None, None)
    if guess is not None:
        raise ValueError(
            f"the DatetimeIndex is missing {len(missing)} timestamp(s) for its "
            f"frequency {guess!r}: {listed(missing)}. Insert them with "
            f"df.asfreq({guess!r}), then fill the NaN rows this creates (or pass "
            f"dropna=True to drop the windows that touch them)."
        )
    if len(index) < 3:
        why = f"it takes at least 3 timestamps to infer one; the index has {len(index)}"
    else:
        steps = pd.to_timedelta(np.unique(np.diff(index.asi8)), unit=index.unit)
        why = f"its timestamps are not evenly spaced: steps of {listed(steps)}"
        if index.tz is not None:
            why += (" in absolute time, nor on a calendar grid in the wall-clock time of "
                    f"{str(index.tz)!r}")
    if set_freq_break is None:
        what = "has no freq"
    else:
        what = (f"does not follow its freq {index.freq.freqstr!r} in the wall-clock time "
                f"of {str(index.tz)!r} ({set_freq_break})")
    zoned = "" if index.tz is None else (
        " In a time zone, asfreq fails on a wall-clock time that a clock change skips or "
        "repeats: first label the data in UTC for steps of hours or less "
        "(df.tz_convert('UTC').asfreq(...)), or without its zone for days or longer "
        "(df.tz_localize(None).asfreq(...))."
    )
    raise ValueError(
        f"the DatetimeIndex {what} and none can be inferred ({why}). Put the data "
        f"on a regular grid, e.g. df.asfreq('D') or df.resample('MS').mean() (months on "
        f"one day up to the 28th: df.asfreq(pd.DateOffset(months=1)); with a later day "
        f"that grid slides to February's last and loses the values: resample to 'MS')."
        f"{zoned}"
    )


def time_freq(index):
    """Validate a time axis; return its frequency (None for an integer index).

    Parameters
    ----------
    index : pandas.Index of length n_rows
        The index of the data.

    Returns
    -------
    freq : pandas.DateOffset or None
        The step of a DatetimeIndex, None for an integer index with step 1.
    """
    _check_index_type_and_order(index)
    if not isinstance(index, pd.DatetimeIndex):
        _check_integer_steps(index)
        return None
    return _datetime_freq(index)


def period_freq(index):
    """The frequency of a PeriodIndex, as its string (``'M'``); None for
    another index."""
    return index.freqstr if isinstance(index, pd.PeriodIndex) else None


def on_period_starts(frame, what, *, consecutive=True, last=None, prefixed=True):
    """``frame`` labelled by the start times of its PeriodIndex's periods;
    a frame with another index as it is.

    A shallow copy: the values are not copied. Where its periods are
    sorted and unique but not ``consecutive``, the missing ones (or the
    steps off a multiple frequency, "2M" one month apart) are named here,
    with a PeriodIndex's remedy (the start times' would be ``asfreq``,
    which reads a period frequency there). Consecutive periods give their
    start times the frequency, which pandas infers from 3 or more only.

    Parameters
    ----------
    frame : DataFrame of n_rows rows
    what : str
        What ``frame`` is, for the messages ("data", "history").
    consecutive : bool, default=True
        Whether its periods must follow one another (a ``future`` frame is
        read by label).
    last : int, optional
        Check only its last ``last`` periods: the rows a history's forecast
        reads.
    prefixed : bool, default=True
        Whether its order's messages (NaT, duplicates, order) begin with
        ``what``, as :func:`check_on_axis`'s do; fit data's, as
        :func:`time_freq`'s, do not.
    """
    index = frame.index
    if not isinstance(index, pd.PeriodIndex):
        return frame
    # Named by their periods, before the start times would name them.
    try:
        if consecutive:
            _check_order(index)
        elif not index.is_unique and index.duplicated().any():
            raise ValueError(
                f"the index has duplicated labels ({listed(index[index.duplicated()].unique())})."
            )
    except ValueError as error:
        raise ValueError(f"{what}: {error}" if prefixed else str(error)) from None
    checked = index if last is None else index[-last:]
    step = index.freq.n  # ordinals count base periods: months for "2M"
    regular = False
    if consecutive:
        apart = np.diff(checked.asi8)
        off = np.flatnonzero(apart % step)
        if len(off):
            k = off[0]
            base = index.freqstr.lstrip("0123456789")
            raise ValueError(
                f"{what}'s PeriodIndex has freq {index.freqstr!r}, but its periods "
                f"{checked[k]} and {checked[k + 1]} are {apart[k]} {base!r} apart, not a "
                f"multiple of {step}: give the index the freq its periods follow, e.g. "
                f"df.set_axis(df.index.asfreq({base!r}))."
            )
        if (apart != step).any():
            full = pd.period_range(checked[0], checked[-1], freq=index.freq)
            missing = full.difference(checked)
            raise ValueError(
                f"{what}'s PeriodIndex is missing {len(missing)} period(s) of its freq "
                f"{index.freqstr!r}: {listed(missing)}. Insert them with "
                f"df.reindex(pd.period_range(df.index[0], df.index[-1], freq="
                f"{index.freqstr!r})), then fill the NaN rows this creates (or pass "
                "dropna=True to drop the windows that touch them)."
            )
        regular = last is None or len(index) <= last
    try:
        starts = index.to_timestamp(how="start")
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        raise ValueError(
            f"{what}'s PeriodIndex runs from {index.min()} to {index.max()}, beyond the "
            f"timestamps pandas holds ({pd.Timestamp.min.year} to {pd.Timestamp.max.year}), "
            "which the forecasters read its periods as; renumber the rows with "
            "df.reset_index(drop=True)."
        ) from None
    if regular and starts.freq is None and len(starts) > 1:
        # pandas infers no freq from fewer than 3 start times; the periods
        # have one. The start times of 3 periods on, whose freq it infers.
        grid = pd.period_range(index[0], periods=3, freq=index.freq)
        starts = pd.DatetimeIndex(starts, freq=grid.to_timestamp(how="start").freq)
    return relabelled(frame, starts)


def with_true_uniqueness(frame):
    """``frame``, relabelled by a new copy of its index where pandas calls
    the index not unique but no label repeats: a slice keeps its parent's
    cached "not unique" (``df.iloc[:30]`` of a frame with a duplicate after
    row 30), which pandas' frequency inference trusts."""
    index = frame.index
    if isinstance(index, pd.MultiIndex) or (index.is_monotonic_increasing and index.is_unique):
        return frame  # a strictly increasing index is unique by its order scan
    if index.is_unique or index.duplicated().any():
        return frame
    return relabelled(frame, type(index)(index))


def relabelled(frame, index):
    """A shallow copy of ``frame`` (its values not copied) labelled by ``index``."""
    copy = frame.copy(deep=False)
    copy.index = index
    return copy


def as_periods(index, freq):
    """The start times ``index`` as the PeriodIndex of frequency ``freq``
    they start; ``index`` itself where ``freq`` is None or it holds periods
    already."""
    return index if freq is None or isinstance(index, pd.PeriodIndex) else index.to_period(freq)


def _kind_of(index):
    """How an error message names the kind of a time index it was given."""
    if isinstance(index, pd.PeriodIndex):
        return f"periods of freq {index.freqstr!r} (a PeriodIndex)"
    return ("timestamps (a DatetimeIndex)" if isinstance(index, pd.DatetimeIndex)
            else "an integer index")


def refuse_another_kind(index, fitted_period_freq, freq, tz, what):
    """Raise unless ``index`` is of the kind fit saw, as far as periods go:
    a PeriodIndex of ``fitted_period_freq`` where that is set, another
    index where it is None (see :func:`check_on_axis` for the rest). An
    index of no kind a forecaster reads gets :func:`check_index_type`'s
    TypeError."""
    given = period_freq(index)
    if given == fitted_period_freq:
        return
    if given is None:
        check_index_type(index, what)
    saw = (f"periods of freq {fitted_period_freq!r} (a PeriodIndex)" if fitted_period_freq
           else _describe_axis(freq, tz))
    raise ValueError(f"{what} has {_kind_of(index)}, but fit saw {saw}.")


def _describe_axis(freq, tz):
    """How an error message names a time axis: its kind, frequency and zone."""
    if freq is None:
        return "an integer index"
    zone = "no time zone" if tz is None else f"time zone {str(tz)!r}"
    return f"timestamps of freq {freq.freqstr!r} and {zone}"


def rows_in_span(frame, labels):
    """The rows of ``frame`` labelled from ``labels[0]`` to ``labels[-1]``,
    in its own order: the others are never read (nor checked), whatever the
    order of the rows. All its rows where its labels are of another kind."""
    index = frame.index
    try:
        if index.is_monotonic_increasing:  # found without a mask of every row
            return frame.iloc[index.searchsorted(labels[0], side="left"):
                              index.searchsorted(labels[-1], side="right")]
        inside = np.asarray((index >= labels[0]) & (index <= labels[-1]), dtype=bool)
    except (TypeError, ValueError):  # labels of another kind: the checks name it
        return frame
    return frame.iloc[np.flatnonzero(inside)]


def check_on_axis(index, freq, tz, what, *, consecutive=True, last=None, anchor=None):
    """Raise unless ``index`` continues the time axis ``fit`` saw.

    The labels must be unique, of the fitted kind (integer or datetime) and
    in the fitted time zone; if ``consecutive``, also sorted and
    consecutive on the fitted grid. A frequency is never inferred here: the
    forecaster knows its own, so that a history as short as its window
    (with ``index.freq`` unset) is accepted.

    Parameters
    ----------
    index : pandas.Index of length n_rows
    freq : pandas.DateOffset or None
        The fitted frequency; None for an integer index.
    tz : tzinfo or None
        The fitted time zone (None: naive timestamps or an integer index).
    what : str
        What ``index`` labels, for the message ("history", "data").
    consecutive : bool, default=True
        Whether the labels must be sorted and consecutive; a ``future``
        frame is read by label, so its rows may be in any order.
    last : int, optional
        Check the grid on the last ``last`` labels only: the rows a
        history's forecast reads.
    anchor : pandas.Timestamp, optional
        A label of the fit data: the checked labels must lie on the grid of
        ``freq`` through it (at its time of day, for a calendar step), not
        merely follow one another by ``freq``.
    """
    if consecutive:
        try:
            _check_index_type_and_order(index)
        except (TypeError, ValueError) as error:
            raise type(error)(f"{what}: {error}") from None
    else:
        check_index_type(index, what)
    if not consecutive and not index.is_unique:
        raise ValueError(
            f"{what}: the index has duplicated labels "
            f"({listed(index[index.duplicated()].unique())})."
        )
    is_datetime = isinstance(index, pd.DatetimeIndex)
    got_tz = index.tz if is_datetime else None
    if is_datetime != (freq is not None):
        raise ValueError(f"{what} has {_kind_of(index)}, but fit saw {_describe_axis(freq, tz)}.")
    if not _same_zone(got_tz, tz):
        got = "naive timestamps" if got_tz is None else f"timestamps in {str(got_tz)!r}"
        fix = ".tz_convert" if got_tz is not None and tz is not None else ".tz_localize"
        raise ValueError(
            f"{what} has {got}, but fit saw {_describe_axis(freq, tz)}; use "
            f"{fix}(...) on its index first."
        )
    if not consecutive:
        return
    if last is not None:
        index = index[-last:]
    if not is_datetime:
        _check_integer_steps(index)
        return
    try:
        where = _grid_break(index, freq)
    except ValueError as error:
        raise ValueError(f"{what}: {error}") from None
    if where is not None:
        raise ValueError(
            f"{what} does not follow the freq {freq.freqstr!r} fit saw: {where}. "
            + _grid_advice(index, freq)
        )
    if anchor is not None and not _on_grid(index[0], anchor, freq, count_steps=True):
        # Labels a step apart but at another time of day (UTC against local
        # time, noon against midnight) would label the forecasts there too.
        raise ValueError(
            f"{what}'s label {index[0]} is not on the grid of freq {freq.freqstr!r} "
            f"that fit saw, which runs through its label {anchor}; move {what}'s labels "
            "onto that grid" + _shift_advice(index[0], anchor, freq, what) + "."
        )


def _shift_advice(label, anchor, freq, what):
    """How to move ``label`` (and the labels a step apart from it) onto the
    grid of ``freq`` through ``anchor``, as words; empty where no shift of
    the time of day does it (a calendar step on another date)."""
    if not _wall_clock_steps(freq):
        shift = -((label - anchor) % pd.Timedelta(freq))
    else:
        # Business hours: to the fitted minutes past the hour, not to the
        # fitted time of day, which would move later labels out of hours.
        since = _since_the_hour if isinstance(freq, _INTRADAY_OFFSETS) else _since_midnight
        shift = since(anchor) - since(label)
        if not _on_grid(label + shift, anchor, freq, count_steps=True):
            return ""
    sign = "-" if shift < pd.Timedelta(0) else "+"
    return f", e.g. {what}.set_axis({what}.index {sign} pd.Timedelta({str(abs(shift))!r}))"


def _month_steps(freq):
    """``k`` for ``pd.DateOffset(months=k)``, else None."""
    if type(freq) is pd.DateOffset and set(freq.kwds) == {"months"} and freq.n == 1:
        return int(freq.kwds["months"])
    return None


def _freq_code(freq):
    """Python code for ``freq``, to quote in advice: its string where pandas
    parses one (``'MS'``), else ``pd.DateOffset(months=1)``, whose string
    (``<DateOffset: months=1>``) pandas does not read."""
    try:
        to_offset(freq.freqstr)
        return repr(freq.freqstr)
    except ValueError:
        kwds = ", ".join(f"{name}={value!r}" for name, value in freq.kwds.items())
        return f"pd.{type(freq).__name__}({kwds})"


def _grid_advice(index, freq):
    """How to put the labels of ``index`` on the grid of ``freq`` that runs
    from its first label.

    ``asfreq`` mends labels that all lie on that grid: it inserts the
    missing rows. A label off the grid it would leave out, and its row would
    be NaN, so such labels must be moved first. Decided label by label: the
    grid itself, from a first label to a mistyped last one years later,
    could hold billions of labels.
    """
    first = index[0]
    code = _freq_code(freq)
    if all(_on_grid(label, first, freq) for label in index):
        return (f"Insert the missing rows first, e.g. with .asfreq({code}), and fill "
                "their NaN.")
    if _month_steps(freq) is not None:
        move = f"index.map(lambda t: t.replace(day={first.day}))"
    elif _wall_clock_steps(freq):
        move = (f"pd.tseries.frequencies.to_offset({code}).rollback, or "
                "index.to_period(...).to_timestamp() for dates within their period")
    else:
        move = f"index.floor({code})"
    return (
        f"Move its labels onto the grid of {freq.freqstr!r} first (e.g. with {move}), or "
        f"resample finer data: .asfreq({code}) would only insert rows, and leave "
        "these NaN."
    )


# Offsets whose steps fall within a day: their labels' times of day differ.
_INTRADAY_OFFSETS = (pd.offsets.BusinessHour, pd.offsets.CustomBusinessHour)


def _on_grid(label, first, freq, *, count_steps=False):
    """Whether ``label`` is a whole number of steps of ``freq`` from
    ``first``: for a fixed step, in absolute time; for a calendar step, a
    date of the offset at ``first``'s time of day (wall clock). With
    ``count_steps`` (for one label, not each of an index) the steps are
    taken: is_on_offset holds every step of the base offset (every day of
    '2D'), every day of an undated Week, every hour of business hours
    whatever its phase (the day's last step of hours from 09:30 to 16:00
    lands on 10:00 next day)."""
    if not _wall_clock_steps(freq):
        return (label - first) % pd.Timedelta(freq) == pd.Timedelta(0)
    if (months := _month_steps(freq)) is not None:
        # DateOffset.is_on_offset holds for every date.
        apart = (label.year - first.year) * 12 + label.month - first.month
        return (apart % months == 0 and label.day == first.day
                and label.time() == first.time())
    if count_steps:
        return _steps_reach(*sorted((first, label)), freq)
    if isinstance(freq, _INTRADAY_OFFSETS):
        return freq.is_on_offset(label)
    return freq.is_on_offset(label) and label.time() == first.time()


def _steps_reach(earlier, later, freq):
    """Whether steps of ``freq`` from ``earlier`` land on ``later``, on the
    wall clock: a grid between them, of days or longer steps, or of
    business hours (a century of days is 36,525 labels)."""
    earlier, later = earlier.tz_localize(None), later.tz_localize(None)
    grid = pd.date_range(earlier, later, freq=freq)
    return len(grid) > 0 and grid[0] == earlier and grid[-1] == later


def _since_the_hour(label):
    """The wall-clock time since ``label``'s hour began, a Timedelta."""
    return pd.Timedelta(minutes=label.minute, seconds=label.second,
                        microseconds=label.microsecond, nanoseconds=label.nanosecond)


def _since_midnight(label):
    """The wall-clock time of day of ``label``, a Timedelta."""
    return pd.Timedelta(hours=label.hour) + _since_the_hour(label)


def future_labels(index, freq, start, n):
    """Labels at positions ``len(index) + start + (0 .. n-1)``.

    Returns a RangeIndex if ``freq`` is None, else a DatetimeIndex of that
    frequency; both of length ``n`` and named as ``index``.
    """
    if freq is None:
        first = int(index[-1]) + 1 + start
        largest = np.iinfo(np.int64).max  # a RangeIndex's labels are int64
        if first + n - 1 > largest:
            raise ValueError(
                f"{start + n} step(s) after the integer label {index[-1]} run past "
                f"{largest}, the largest label pandas' integer index holds: ask for "
                "fewer steps, or renumber the rows with df.reset_index(drop=True)."
            )
        return pd.RangeIndex(first, first + n, name=index.name)
    unit = index.unit  # the index's own: seconds reach further than nanoseconds
    try:
        labels = date_range(index[-1], freq, unit, periods=start + n + 1, name=index.name)
    except (pd.errors.OutOfBoundsDatetime, OverflowError):
        last = f"{pd.Timestamp.max}, the last timestamp" if unit == "ns" else "the last time"
        raise ValueError(
            f"{n} step(s) of freq {freq.freqstr!r} after {index[-1]} run past {last} "
            f"pandas can hold in datetime64[{unit}]: ask for fewer steps."
        ) from None
    return labels[start + 1 :]


def _same_zone(a, b):
    """Whether two time zones (or None) are one: by name, or by a fixed UTC offset."""
    if a is None or b is None:
        return a is b
    if str(a) == str(b):
        return True
    offset_a, offset_b = a.utcoffset(None), b.utcoffset(None)
    return offset_a is not None and offset_a == offset_b


def _zone_state(tz):
    """A time zone as plain values that rebuild it, or None if there are none.

    A :class:`zoneinfo.ZoneInfo` as ``{"zoneinfo": key}``, a pytz zone as
    ``{"pytz": name}``; another zone by its name where pandas reads the name
    back (``"Europe/Paris"``, ``"UTC"``);
    else, for a fixed offset (``pytz.FixedOffset(90)``, dateutil's
    ``tzutc()``), the offset in seconds, rebuilt as a
    :class:`datetime.timezone` of that offset (the same zone, another type).
    """
    # zoneinfo and pytz zones by their library and key: pandas rebuilds a
    # name as its own default kind (pytz before pandas 3, zoneinfo since), an
    # index of another dtype that mixes with the data's only as UTC or object.
    if isinstance(tz, zoneinfo.ZoneInfo) and tz.key is not None:
        return {"zoneinfo": tz.key}
    if type(tz).__module__.startswith("pytz") and getattr(tz, "zone", None):
        return {"pytz": tz.zone}
    offset = tz.utcoffset(None)
    if type(tz).__module__.startswith("pytz") and offset is not None:
        # pytz.FixedOffset(90): its own type back, or the index's dtype changes.
        return {"pytz_fixed_offset_minutes": int(offset.total_seconds() // 60)}
    name = str(tz)
    try:
        pd.DatetimeIndex([], tz=name)
        return name
    except (KeyError, ValueError, TypeError):  # pytz's and zoneinfo's "unknown zone"
        pass
    return None if offset is None else {"utc_offset_seconds": offset.total_seconds()}


def _pytz_zone(state):
    """The pytz zone of ``state`` (``{"pytz": name}`` or a fixed offset in
    minutes); without pytz, the name or offset (pandas' default kind)."""
    minutes = state.get("pytz_fixed_offset_minutes")
    try:
        import pytz
    except ImportError:  # saved where pytz was installed, loaded where it is not
        if minutes is None:
            return state["pytz"]
        return datetime.timezone(datetime.timedelta(minutes=minutes))
    return pytz.timezone(state["pytz"]) if minutes is None else pytz.FixedOffset(minutes)


def check_time_zone(index):
    """Refuse a time zone that a fitted forecaster could not be saved with."""
    tz = getattr(index, "tz", None)
    if tz is not None and _zone_state(tz) is None:
        raise ValueError(
            f"the index's time zone {str(tz)!r} has no name pandas can rebuild it from, "
            "so a fitted forecaster could not be saved or copied; convert the index to "
            "a named zone first, e.g. with .tz_convert('Europe/Paris')."
        )


def label_state(label):
    """A column label as values skops can load: see :func:`label_from_state`.

    Timestamps, Timedeltas and Periods label columns (a pivot by date), but
    skops rebuilds objects without the functions pandas pickles them with,
    and fails on loading them; they are saved as dicts (never labels, which
    are hashable), the items of tuple labels alike. Other labels are
    returned as they are.
    """
    if isinstance(label, tuple):
        return tuple(label_state(item) for item in label)
    # In the label's own unit: nanoseconds cannot hold dates before 1677,
    # or spans beyond 292 years.
    if isinstance(label, pd.Timestamp) and label is not pd.NaT:
        index = pd.DatetimeIndex(np.array([label.asm8]))  # UTC, if zoned
        if label.tz is not None:
            index = index.tz_localize("UTC").tz_convert(label.tz)
        return {"timestamp": index_state(index)}
    if isinstance(label, pd.Timedelta) and label is not pd.NaT:
        return {"duration": int(label.asm8.view("i8")), "unit": label.unit}
    if isinstance(label, pd.Period):
        return {"period": str(label), "freq": label.freqstr}
    return label


def label_from_state(state):
    """The column label saved by :func:`label_state`."""
    if isinstance(state, tuple):
        return tuple(label_from_state(item) for item in state)
    if not isinstance(state, dict):
        return state
    if "timestamp" in state:
        return index_from_state(state["timestamp"], None)[0]
    if "duration" in state:
        return pd.Timedelta(np.timedelta64(state["duration"], state["unit"]))
    if "period" in state:
        return pd.Period(state["period"], freq=state["freq"])
    raise ValueError(f"a saved column label must be a label, not {state!r}.")


def index_state(index):
    """A time index as plain values, for saving: see :func:`index_from_state`."""
    if isinstance(index, pd.DatetimeIndex):
        return {
            # int64 counts of the index's own unit since the epoch: nanoseconds
            # cannot hold dates before 1677 or after 2262.
            "values": index.asi8.copy(),
            "unit": index.unit,
            "tz": None if index.tz is None else _zone_state(index.tz),
            "name": index.name,
        }
    return {"values": integer_labels(index), "tz": "integer", "name": index.name}


def index_from_state(state, freq):
    """The index saved by :func:`index_state`, with ``freq`` (None: integer)."""
    if state["tz"] == "integer":
        return pd.Index(state["values"], name=state["name"])
    unit = state.get("unit", "ns")  # saved before the unit was kept: nanoseconds
    index = pd.DatetimeIndex(state["values"].astype(f"datetime64[{unit}]"), name=state["name"])
    tz = state["tz"]
    if isinstance(tz, dict) and "zoneinfo" in tz:
        tz = zoneinfo.ZoneInfo(tz["zoneinfo"])
    elif isinstance(tz, dict) and ("pytz" in tz or "pytz_fixed_offset_minutes" in tz):
        tz = _pytz_zone(tz)
    elif isinstance(tz, dict):
        tz = datetime.timezone(datetime.timedelta(seconds=tz["utc_offset_seconds"]))
    if tz is not None:
        index = index.tz_localize("UTC").tz_convert(tz)
    if freq is not None and len(index) >= 1:
        index = pd.DatetimeIndex(index, freq=freq)
    return index
