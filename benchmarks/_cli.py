"""Argument types of the benchmarks' command lines.

Each refuses a value the benchmark cannot run with through argparse, which
names the option and exits, rather than failing deep inside the run or
printing NaN.
"""

import argparse
import json


def positive_int(text):
    """An int >= 1: sizes, counts of repeats, epochs, folds and threads."""
    value = _parsed(int, text, "an int")
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an int >= 1, got {text}")
    return value


def worker_count(text):
    """joblib's n_jobs: an int >= 1, or -1 for every core."""
    value = _parsed(int, text, "an int")
    if value < 1 and value != -1:
        raise argparse.ArgumentTypeError(f"must be an int >= 1, or -1 for every core, got {text}")
    return value


def random_seed(text):
    """A random seed: an int in [0, 2**31 - 1], which leaves room below
    NumPy's limit of 2**32 - 1 for the seeds a benchmark derives from it
    (``1000 + seed``, ``seed + 2``)."""
    value = _parsed(int, text, "an int")
    if not 0 <= value < 2**31:
        raise argparse.ArgumentTypeError(f"must be an int in [0, 2**31 - 1], got {text}")
    return value


def level(text):
    """A number in (0, 1): a coverage or a quantile level."""
    value = _parsed(float, text, "a number")
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError(f"must lie in (0, 1), got {text}")
    return value


def json_object(text):
    """A JSON object of estimator parameters, ``'{"solver": "lbfgs"}'``."""
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"is not JSON ({exc}): {text}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError(f"must be a JSON object of parameters, got {text}")
    return value


def _parsed(kind, text, what):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
