"""Every parameter of the public estimators, forecasters and functions is
documented, once, with the default its signature has.

A default changed in code alone (a forget bias of 0 for 1, a calibration
share of 0.25 for 0.2) changed every fit silently: nothing else pins the
defaults a user reads.
"""

import ast
import inspect
import re

import pytest

from sklstm import LSTMClassifier, LSTMEncoderDecoderRegressor, LSTMRegressor
from sklstm.forecasting import DirectForecaster, RecursiveForecaster, backtest, make_windows

DOCUMENTED = [LSTMRegressor, LSTMClassifier, LSTMEncoderDecoderRegressor, DirectForecaster,
              RecursiveForecaster, make_windows, backtest]


def documented_parameters(obj):
    """Name -> the text after ``default=`` (None where there is none), from
    the numpydoc Parameters section of ``obj``'s docstring. An entry may name
    several parameters (``beta_1, beta_2, epsilon : float, default=0.9,
    0.999, 1e-8``), whose defaults are then listed in the same order."""
    doc = inspect.getdoc(obj)
    section = doc.split("Parameters\n----------\n", 1)[1]
    section = re.split(r"\n\S[^\n]*\n-{3,}\n", section)[0]  # up to the next heading
    entries = {}
    for names, description in re.findall(r"^(\w+(?:, \w+)*) : (.*)$", section, flags=re.M):
        names = names.split(", ")
        default = re.search(r"default=(.*)$", description)
        if default is None:
            values = [None] * len(names)
        elif len(names) == 1:
            values = [default[1]]
        else:
            values = [value.strip() for value in default[1].split(",")]
            assert len(values) == len(names), f"{obj.__name__}: {names} vs {default[1]}"
        for name, value in zip(names, values):
            assert name not in entries, f"{obj.__name__}: {name} documented twice"
            entries[name] = value
    return entries


def signature_parameters(obj):
    signature = inspect.signature(obj.__init__ if inspect.isclass(obj) else obj)
    return {name: parameter.default for name, parameter in signature.parameters.items()
            if name != "self" and parameter.kind not in (parameter.VAR_POSITIONAL,
                                                         parameter.VAR_KEYWORD)}


def mismatches(obj):
    """How ``obj``'s documented parameters and defaults differ from its
    signature's, one sentence each; empty where they agree."""
    documented, actual = documented_parameters(obj), signature_parameters(obj)
    found = [f"{name} is documented, not a parameter" for name in documented.keys() - actual]
    for name, default in actual.items():
        if name not in documented:
            found.append(f"{name} is not documented")
        elif default is inspect.Parameter.empty:
            if documented[name] is not None:
                found.append(f"{name} is required, but its doc gives a default")
        elif documented[name] is None:
            found.append(f"{name}'s doc gives no default")
        else:
            written = ast.literal_eval(documented[name])
            # The type too: default=1 for 1.0 reads as an int.
            if (type(written), written) != (type(default), default):
                found.append(f"{name}: the doc says {written!r}, the code {default!r}")
    return found


@pytest.mark.parametrize("obj", DOCUMENTED, ids=lambda obj: obj.__name__)
def test_each_parameter_is_documented_with_its_default(obj):
    assert mismatches(obj) == []


def test_a_default_changed_in_code_alone_is_found():
    # LSTMRegressor's docstring, over its signature with forget_bias=0 and a
    # parameter more.
    def changed():
        pass

    signature = inspect.signature(LSTMRegressor.__init__)
    parameters = [parameter.replace(default=0) if name == "forget_bias" else parameter
                  for name, parameter in signature.parameters.items() if name != "self"]
    parameters.append(inspect.Parameter("new", inspect.Parameter.KEYWORD_ONLY, default=None))
    changed.__signature__ = signature.replace(parameters=parameters)
    changed.__doc__ = LSTMRegressor.__doc__
    assert mismatches(changed) == ["forget_bias: the doc says 1.0, the code 0",
                                   "new is not documented"]
