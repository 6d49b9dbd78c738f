"""Argument types of the benchmarks' command lines, and their one message
for a missing optional package.

Each type refuses a value the benchmark cannot run with through argparse,
which names the option and exits, rather than failing deep inside the run
or printing NaN.
"""

import argparse
import importlib
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


def estimator_params(*factories):
    """A type: a JSON object of parameters, each taken by at least one of
    the estimators ``factories`` make, set on those that take it and
    checked by their own rules and those of the sklstm estimators they hold
    (``regressor__alpha``), so that a misspelt or invalid one is refused
    here, not after a run's first fits. A benchmark sets each estimator's
    own share (:func:`taken_by`)."""

    def parse(text):
        params = json_object(text)
        estimators = [make() for make in factories]
        for estimator in estimators:
            try:
                estimator.set_params(**taken_by(estimator, params))
                for part in [estimator, *estimator.get_params(deep=True).values()]:
                    if hasattr(part, "_check_params") and not isinstance(part, type):
                        part._check_params()
            except (TypeError, ValueError) as exc:
                raise argparse.ArgumentTypeError(
                    f"{exc} (for {type(estimator).__name__})") from None
        untaken = set(params).difference(*(taken_by(e, params) for e in estimators))
        if untaken:
            names = ", ".join(type(e).__name__ for e in estimators)
            raise argparse.ArgumentTypeError(
                f"no estimator of {names} takes {', '.join(sorted(untaken))}")
        return params

    return parse


def taken_by(estimator, params):
    """The parameters of ``params`` that ``estimator`` takes (nested ones by
    their first name: ``regressor__alpha``)."""
    names = estimator.get_params(deep=False)
    return {key: value for key, value in params.items() if key.split("__")[0] in names}


def optional_module(name, package, needed_for):
    """Import ``name``, or exit saying which package ``needed_for`` needs."""
    try:
        return importlib.import_module(name)
    except ImportError as exc:
        raise SystemExit(f"{needed_for} needs {package} ({exc}): pip install {package}") from None


def _parsed(kind, text, what):
    try:
        return kind(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {what}, got {text!r}") from None
