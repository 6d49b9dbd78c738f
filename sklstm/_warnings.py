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

__all__ = ["silenced", "warn"]

# The categories silenced in this thread, one tuple per open `silenced` context.
_SILENCED = threading.local()


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


def warn(message, category):
    """``warnings.warn(message, category)``, pointed at the user's call,
    unless the calling thread silenced ``category`` (:func:`silenced`)."""
    for categories in getattr(_SILENCED, "stack", ()):
        if issubclass(category, categories):
            return
    warnings.warn(message, category, stacklevel=_caller_stacklevel())


def _caller_stacklevel():
    """The ``stacklevel`` that points a warning at the first frame outside
    sklstm: the user's call, however deep the estimator's path to here."""
    frame, level = sys._getframe(1), 1
    while frame is not None and frame.f_globals.get("__name__", "").split(".")[0] == "sklstm":
        frame, level = frame.f_back, level + 1
    return level
