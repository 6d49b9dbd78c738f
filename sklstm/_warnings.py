"""sklstm's warnings, which a caller can silence in its own thread only.

``warnings.catch_warnings`` silences a warning by changing the process's
warning filters, which every thread shares (before Python 3.14): fits and
predictions running beside it in other threads lose their warnings, and its
exit can restore filters that another thread changed in between, leaving an
"ignore" filter behind for good. Where sklstm itself knows a warning is not
the user's news (an iteration cap its caller chose, a check that an earlier
one already reported), it silences the warning in the calling thread with
:func:`silenced`; every warning that a caller may silence is issued through
:func:`warn`.
"""

import contextlib
import sys
import threading
import warnings

__all__ = ["each_once", "silenced", "warn"]

# The categories silenced in this thread, one tuple per open `silenced` context.
_SILENCED = threading.local()
# The warnings issued in this thread within the outermost open `each_once`
# context, as (category, message) pairs; None outside any.
_ISSUED = threading.local()


@contextlib.contextmanager
def silenced(*categories):
    """Within this context, :func:`warn` issues no warning of ``categories``
    (subclasses included) in the calling thread; other threads still warn.

    Parameters
    ----------
    *categories : subclasses of Warning
    """
    stack = _SILENCED.__dict__.setdefault("stack", [])
    stack.append(categories)
    try:
        yield
    finally:
        stack.pop()


@contextlib.contextmanager
def each_once():
    """Within this context, :func:`warn` issues each warning (a category and
    a message) once in the calling thread, however often it is raised.

    For the calls that repeat work: a forecaster's ``fit`` fits its
    regressor again to calibrate its intervals, and a backtest fits once
    per fold, where the same cause would warn in the same words each time.
    Nested contexts share the outermost one's record.
    """
    outermost = getattr(_ISSUED, "pairs", None) is None
    if outermost:
        _ISSUED.pairs = set()
    try:
        yield
    finally:
        if outermost:
            _ISSUED.pairs = None


def warn(message, category):
    """``warnings.warn(message, category)``, pointed at the user's call,
    unless the calling thread silenced ``category`` (:func:`silenced`) or
    issued it already within :func:`each_once`."""
    for categories in getattr(_SILENCED, "stack", ()):
        if issubclass(category, categories):
            return
    issued = getattr(_ISSUED, "pairs", None)
    if issued is not None:
        if (category, message) in issued:
            return
        issued.add((category, message))
    warnings.warn(message, category, stacklevel=_caller_stacklevel())


def _caller_stacklevel():
    """The ``stacklevel`` that points a warning at the caller of the
    outermost sklstm frame: the user's call, however deep the estimator's
    path to here, also where it passes through another library (a
    forecaster fitting a Pipeline of an LSTM). A library that calls sklstm
    (``cross_val_score``) is the caller then."""
    frame, level, outermost = sys._getframe(1), 1, 1
    while frame is not None:
        if frame.f_globals.get("__name__", "").split(".")[0] == "sklstm":
            outermost = level
        frame, level = frame.f_back, level + 1
    return outermost + 1
