"""Warnings that sklstm emits, so that callers can filter them by category.

>>> import warnings
>>> from sklstm.exceptions import IterationLimitWarning
>>> with warnings.catch_warnings():
...     warnings.simplefilter("ignore", IterationLimitWarning)
"""

from sklearn.exceptions import ConvergenceWarning

__all__ = ["IterationLimitWarning"]


class IterationLimitWarning(ConvergenceWarning):
    """A solver stopped at its iteration cap (``max_iter``) before converging.

    A subclass of scikit-learn's :class:`~sklearn.exceptions.ConvergenceWarning`,
    so every filter on that category still applies. Filter this one alone
    where the cap is deliberate, for example a short fit used as early stopping.
    """
