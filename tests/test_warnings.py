"""sklstm silences its own warnings per thread, never through the process's filters."""

import sys
import threading
import warnings

import numpy as np
import pandas as pd
import pytest

from sklstm import LSTMRegressor
from sklstm._warnings import silenced, warn
from sklstm.exceptions import DataLayoutWarning, IterationLimitWarning
from sklstm.forecasting import RecursiveForecaster


class _Odd(DataLayoutWarning):
    pass


def _messages(caught):
    return sorted(str(w.message) for w in caught)


def test_silenced_acts_in_the_calling_thread_only():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with silenced(DataLayoutWarning):
            other = threading.Thread(target=warn, args=("other thread", DataLayoutWarning))
            other.start()
            other.join()
            warn("subclass", _Odd)  # silenced with its parent category
            warn("another category", UserWarning)
            with silenced(UserWarning):
                warn("nested", UserWarning)
            warn("after the inner context", UserWarning)
        warn("after both", DataLayoutWarning)
    assert _messages(caught) == [
        "after both", "after the inner context", "another category", "other thread",
    ]


def test_warn_points_at_the_first_frame_outside_sklstm():
    with pytest.warns(DataLayoutWarning) as record:
        warn("here", DataLayoutWarning)
    assert record[0].filename == __file__


@pytest.fixture
def catch_warnings_entered_by_sklstm(monkeypatch):
    """The modules of sklstm that enter ``warnings.catch_warnings`` during the test."""
    entered = []

    class Recording(warnings.catch_warnings):
        def __enter__(self):
            caller = sys._getframe(1).f_globals.get("__name__", "")
            if caller.split(".")[0] == "sklstm":
                entered.append(caller)
            return super().__enter__()

    monkeypatch.setattr(warnings, "catch_warnings", Recording)
    return entered


@pytest.mark.parametrize("freq", [
    pd.offsets.CustomBusinessDay(weekmask="Mon Wed Fri"),  # added label by label by pandas
    pd.offsets.WeekOfMonth(week=1, weekday=2),
    "B",  # added at once
])
def test_forecasters_read_calendar_axes_without_touching_the_warning_filters(
    freq, catch_warnings_entered_by_sklstm
):
    # Checking a calendar axis added one step to every label under
    # warnings.catch_warnings() (pandas' PerformanceWarning for offsets it
    # adds label by label): the process's filters, which fits in other
    # threads share.
    index = pd.date_range("2021-01-01", periods=40, freq=freq)
    frame = pd.DataFrame({"y": np.sin(np.arange(40.0))}, index=index)
    with warnings.catch_warnings():  # the test's own: not sklstm's
        warnings.simplefilter("error", pd.errors.PerformanceWarning)
        model = RecursiveForecaster(
            LSTMRegressor((2,), max_iter=2, random_state=0), window=4, target="y",
            calibration=None,
        )
        with silenced(IterationLimitWarning):
            model.fit(frame)
        # A history's axis is checked against the fitted grid.
        forecast = model.predict(3, history=frame)
        # An index without a freq has its inferred one checked.
        if not isinstance(freq, pd.offsets.CustomBusinessDay):  # which pandas cannot infer
            with silenced(IterationLimitWarning):
                model.fit(frame.set_axis(pd.DatetimeIndex(list(index))))
    expected = pd.date_range(index[-1], periods=4, freq=freq)[1:]
    pd.testing.assert_index_equal(forecast.index, expected, check_names=False)
    assert catch_warnings_entered_by_sklstm == []


def test_onnx_export_of_frames_and_lists_leaves_the_warning_filters_alone(
    catch_warnings_entered_by_sklstm
):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("skl2onnx")
    from sklstm.onnx import to_onnx

    rng = np.random.RandomState(0)
    X = rng.normal(size=(12, 5))
    with silenced(IterationLimitWarning):
        model = LSTMRegressor((3,), max_iter=2, random_state=0).fit(X, X[:, -1])
    frame = pd.DataFrame(X, columns=[f"lag_{k}" for k in range(5, 0, -1)])
    with pytest.warns(UserWarning, match="has feature names"):  # still the user's news
        to_onnx(model, frame)
    to_onnx(model, list(X[:, :, None]))
    assert catch_warnings_entered_by_sklstm == []


def test_no_module_of_sklstm_enters_catch_warnings():
    # The rule behind the tests above, for every path they do not run: a
    # call of warnings.catch_warnings (or simplefilter/filterwarnings) in
    # sklstm's code. Docstrings that show users how to filter are text.
    import ast
    from pathlib import Path

    import sklstm

    changing = {"catch_warnings", "simplefilter", "filterwarnings", "resetwarnings"}
    calls = []
    for path in sorted(Path(sklstm.__file__).parent.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call):
                name = getattr(node.func, "attr", getattr(node.func, "id", None))
                if name in changing:
                    calls.append(f"{path.name}:{node.lineno} {name}")
    assert calls == []
