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


def test_warn_points_at_the_caller_of_sklstm():
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


def test_every_warning_of_sklstm_goes_through_its_warn():
    # sklstm._warnings.warn points a warning at the user's call and honours
    # silenced(); a direct warnings.warn pointed inside sklstm (four of the
    # training loop's ConvergenceWarnings did), and scikit-learn's helpers
    # that warn for sklstm (column_or_1d(warn=True)) point inside scikit-learn.
    import ast
    from pathlib import Path

    import sklstm

    calls = []
    for path in sorted(Path(sklstm.__file__).parent.rglob("*.py")):
        if path.name == "_warnings.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Call):
                func = node.func
                name = getattr(func, "attr", getattr(func, "id", None))
                owner = getattr(getattr(func, "value", None), "id", None)
                if (owner, name) == ("warnings", "warn") or name == "column_or_1d":
                    calls.append(f"{path.name}:{node.lineno}")
    assert calls == []


def _caught(call):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    return caught


def _table(n_samples=60, n_columns=6):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(n_samples, n_columns))
    return X, X[:, -3:].sum(axis=1)


@pytest.mark.parametrize("params, expected", [
    (dict(learning_rate_init=10.0), "ended worse than it started"),
    (dict(solver="sgd", learning_rate_init=10.0), "the training loss rose"),
    (dict(solver="sgd", learning_rate_init=1e30), "diverged in epoch"),
    (dict(hidden_layer_sizes=(3,), solver="lbfgs", solver_options={"maxls": 1}),
     "did not converge: ABNORMAL"),
])
def test_training_warnings_point_at_the_call_once_per_cause(params, expected):
    from sklearn.exceptions import ConvergenceWarning

    X, y = _table(100, 10)
    # patch_length=1: the runs whose warnings these causes were measured on
    model = LSTMRegressor(**{"hidden_layer_sizes": (4,), "max_iter": 10, "patch_length": 1,
                             "random_state": 0, **params})
    caught = [w for w in _caught(lambda: model.fit(X, y))
              if issubclass(w.category, ConvergenceWarning)
              and not issubclass(w.category, IterationLimitWarning)]
    # A divergence warned twice: diverged, then "ended worse than it started".
    assert len(caught) == 1 and expected in str(caught[0].message)
    assert caught[0].filename == __file__
    with silenced(ConvergenceWarning):
        assert not [w for w in _caught(lambda: model.fit(X, y))
                    if issubclass(w.category, ConvergenceWarning)]


def test_scikit_learn_worded_warnings_point_at_the_call():
    from sklearn.exceptions import DataConversionWarning

    from sklstm import LSTMClassifier

    X, y = _table()
    labels = (y > 0).astype(int)[:, None]
    with silenced(IterationLimitWarning):
        caught = _caught(lambda: LSTMClassifier((2,), max_iter=2, random_state=0).fit(X, labels))
        fitted = LSTMRegressor((2,), max_iter=2, random_state=0).fit(X, y)
        named = LSTMRegressor((2,), max_iter=2, random_state=0).fit(
            pd.DataFrame(X, columns=list("abcdef")), y)
    [column] = [w for w in caught if w.category is DataConversionWarning]
    assert "A column-vector y was passed" in str(column.message)
    frame = pd.DataFrame(X, columns=list("abcdef"))
    for call, expected in [
        (lambda: fitted.predict(frame), "X has feature names, but LSTMRegressor was fitted "
                                        "without feature names"),
        (lambda: named.predict(X), "X does not have valid feature names, but LSTMRegressor "
                                   "was fitted with feature names"),
        (lambda: named.score(X, y), "X does not have valid feature names"),
    ]:
        [warning] = _caught(call)
        assert warning.category is UserWarning and str(warning.message).startswith(expected)
        assert warning.filename == __file__
    # The column count is still checked where the names are on one side only.
    with pytest.raises(ValueError, match="X has 5 features, but LSTMRegressor is expecting 6"):
        named.predict(X[:, :5])


def test_a_forecaster_through_a_pipeline_warns_at_the_call():
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    frame = pd.DataFrame({"y": np.sin(np.arange(80.0) / 3)},
                         index=pd.date_range("2021-01-01", periods=80, freq="D"))
    pipeline = make_pipeline(FunctionTransformer(), LSTMRegressor((2,), max_iter=2))
    model = RecursiveForecaster(pipeline, window=4, target="y", calibration=None)
    [warning] = _caught(lambda: model.fit(frame))
    # It pointed at scikit-learn's Pipeline.fit, the first frame outside sklstm.
    assert warning.category is IterationLimitWarning and warning.filename == __file__


def _daily(n=120, **columns):
    t = np.arange(float(n))
    return pd.DataFrame({"y": np.sin(t / 3), "a": np.cos(t / 3), **columns},
                        index=pd.date_range("2020-01-01", periods=n, freq="D"))


@pytest.mark.parametrize("calibration", ["holdout", "backtest"])
def test_a_forecaster_fit_says_each_warning_once(calibration):
    # Calibration fits the regressor again (once per fold with "backtest"):
    # each of its warnings came once per fit.
    from sklstm.forecasting import DirectForecaster

    model = DirectForecaster(LSTMRegressor((2,), max_iter=2, random_state=0), window=3,
                             horizon=5, target="y", future_covariates=["a"],
                             calibration=calibration, calibration_folds=3)
    caught = _caught(lambda: model.fit(_daily()))
    assert sorted(w.category.__name__ for w in caught) == ["IterationLimitWarning",
                                                            "UserWarning"]
    assert "window=3 is shorter than horizon=5" in str(
        next(w for w in caught if w.category is UserWarning).message)


def test_a_backtest_says_each_warning_once_and_warns_again_when_called_again():
    from sklstm.forecasting import backtest

    model = RecursiveForecaster(LSTMRegressor((2,), max_iter=2, random_state=0), window=4,
                                target="y", calibration=None)
    for _ in range(2):
        caught = _caught(lambda: backtest(model, _daily()["y"], initial=80, step=10,
                                          horizon=3))
        assert [w.category for w in caught] == [IterationLimitWarning]


def test_forecasters_tell_their_models_the_windows_are_channels_last():
    # A window of more than twice as many channels as steps looked
    # transposed: fit and every predict warned, advising channels first,
    # which the forecaster refuses.
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    rng = np.random.RandomState(0)
    frame = _daily(b=np.sin(np.arange(120.0) / 5), c=rng.normal(size=120))
    pipeline = make_pipeline(FunctionTransformer(), LSTMRegressor((2,), max_iter=2))
    for regressor in (None, pipeline):
        model = RecursiveForecaster(regressor, window=1, target="y",
                                    past_covariates=["a", "b", "c"], random_state=0)
        with silenced(IterationLimitWarning):
            caught = _caught(lambda: (model.fit(frame), model.predict(1)))
        assert caught == []
        params = model.regressor_.get_params()
        assert params.get("data_format", params.get("lstmregressor__data_format")) == (
            "channels_last")
    assert pipeline.get_params()["lstmregressor__data_format"] is None  # the given one


def test_a_calibration_warning_made_an_error_leaves_the_fitted_forecaster():
    series = _daily(80)["y"]
    holed = series.copy()
    holed.iloc[0:66:3] = np.nan
    model = RecursiveForecaster(LSTMRegressor((2,), max_iter=2, random_state=0), window=5,
                                dropna=True, random_state=0)
    with silenced(IterationLimitWarning):
        model.fit(series)
    before = model.predict(5)
    from sklstm.exceptions import CalibrationWarning

    with warnings.catch_warnings():
        warnings.simplefilter("error", CalibrationWarning)
        with silenced(IterationLimitWarning), pytest.raises(CalibrationWarning):
            model.fit(holed)
    pd.testing.assert_series_equal(model.predict(5), before)
    model.predict_interval(1)  # still calibrated


def test_indicators_that_look_like_one_hot_classes_warn():
    # Keras's categorical targets were fitted silently as independent labels:
    # 15 of 300 samples predicted none or two classes.
    from sklearn.exceptions import DataConversionWarning

    from sklstm import LSTMClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(60, 5, 2))
    classes = (X[:, -1, 0] > 0).astype(int) + (X[:, -1, 1] > 0)
    model = LSTMClassifier((4,), max_iter=3, random_state=0)
    one_hot = pd.get_dummies(classes)
    match = (r"every sample has exactly one of its 3 labels, as one-hot classes do.*For one "
             r"class per sample, pass each row's label: np\.asarray\(y\)\.argmax\(axis=1\), "
             r"or a DataFrame's y\.idxmax\(axis=1\), which keeps its column names")
    with silenced(IterationLimitWarning), pytest.warns(DataConversionWarning, match=match):
        model.fit(X, one_hot)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DataConversionWarning)
        with silenced(IterationLimitWarning):
            # Several labels a sample, also as many labels as steps: quiet.
            model.fit(X, np.c_[one_hot, np.ones(len(X))])
            model.fit(X, (rng.rand(len(X), 5) < 0.3).astype(int))
            # The advice: one class per sample, named by the columns.
            proba = model.fit(X, one_hot.idxmax(axis=1)).predict_proba(X)
            np.testing.assert_array_equal(model.classes_, one_hot.columns)
            model.fit(X, np.asarray(one_hot).argmax(axis=1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Classes of more than 0 and 1 in one column per step are refused, and told
    # return_sequences.
    with pytest.raises(ValueError, match=r"y holds \[0, 1, 2\].* y has one column per step of X "
                                         r"\(5\): if it holds a label per step, set "
                                         r"return_sequences=True\."):
        model.fit(X, np.repeat(classes[:, None], 5, axis=1))


# -- a fit that learned nothing ----------------------------------------------------


def _learned_nothing(caught):
    return [str(w.message) for w in caught
            if "no better than that of a constant prediction" in str(w.message)]


@pytest.mark.parametrize("case", ["unscaled inputs", "unscaled quantile targets"])
def test_a_fit_that_converged_to_a_constant_says_so(case):
    """Fixed bug: L-BFGS reported success, and no warning came, where it
    stopped at a model no better than a constant prediction: after 2
    iterations on inputs of 1e6 with standardize=False (every gate
    saturated, the classes' frequencies predicted), and at R² -25 on
    quantile targets of 1e6 ± 1e3 with scale_targets=False."""
    from sklstm import LSTMClassifier

    rng = np.random.RandomState(0)
    X = rng.normal(size=(100, 5, 2))
    y = X[:, :, 0].sum(1) + 0.3 * rng.normal(size=100)
    if case == "unscaled inputs":
        model = LSTMClassifier((8,), solver="lbfgs", standardize=False, random_state=0)
        X, y = X * 1e4 + 1e6, (y > 0).astype(int)
    else:
        model = LSTMRegressor((8,), solver="lbfgs", scale_targets=False, loss="quantile",
                              random_state=0)
        y = 1e6 + 1e3 * y
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    [message] = _learned_nothing(caught)
    assert message.startswith("L-BFGS-B stopped: CONVERGENCE")
    assert "keep standardize=True, and scale_targets=True" in message
    # Scaled as by default, the same data trains, and nothing is said.
    model.set_params(**{"standardize" if case == "unscaled inputs" else "scale_targets": True})
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, y)
    assert _learned_nothing(caught) == []
    assert model.score(X, y) > (0.9 if case == "unscaled inputs" else 0.5)


@pytest.mark.parametrize("estimator, early_stopping", [
    ("regressor", True), ("classifier", True), ("regressor", "auto")])
def test_held_out_samples_that_kept_a_constant_model_say_so(estimator, early_stopping):
    """Fixed bug: the learned-nothing check was skipped where the held-out
    loss chose an earlier epoch's weights, so a model predicting the mean
    went unremarked. Identical inputs leave the network one output for every
    sample, so its training loss can be no lower than the best constant's,
    whatever the seed."""
    from sklstm import LSTMClassifier

    rng = np.random.RandomState(0)
    X, noise = np.ones((120, 5, 2)), rng.normal(size=120)
    estimator_class = LSTMRegressor if estimator == "regressor" else LSTMClassifier
    # tol=0: early stopping stops after n_iter_no_change epochs of no
    # improvement at all, so the weights it keeps are never the last epoch's.
    model = estimator_class((4,), early_stopping=early_stopping, tol=0.0, random_state=0)
    targets = noise if estimator == "regressor" else noise > 0
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, targets)
    assert model.n_iter_ < model.max_iter  # stopped, not at the cap
    [message] = _learned_nothing(caught)
    kept = 1 + int(np.argmin(model.validation_loss_curve_))
    chooser = ("Early stopping" if early_stopping is True
               else 'The held-out samples of early_stopping="auto"')
    assert message.startswith(f"{chooser} kept the weights of epoch {kept} (as n_iter_ counts)")
    assert "early_stopping=False trains on all samples" in message
    assert ("validation_split" in message) == (early_stopping is True)  # "auto" ignores it
    # Inputs that inform the targets: the same settings learn, stop before the
    # cap (where the check runs), and nothing is said.
    X = rng.normal(size=(120, 5, 2))
    y = X[:, :, 0].sum(1)
    targets = y if estimator == "regressor" else y > 0
    model.set_params(tol=1e-4, learning_rate_init=0.01)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.fit(X, targets)
    assert model.n_iter_ < model.max_iter
    assert _learned_nothing(caught) == []
    assert model.score(X, targets) > 0.8


def test_a_classifier_whose_weights_leave_one_class_is_not_told_it_learned_nothing():
    from sklstm import LSTMClassifier

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(40, 4, 2)), np.arange(40) % 2
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        LSTMClassifier((4,), solver="lbfgs", random_state=0).fit(X, y, sample_weight=y)
    assert _learned_nothing(caught) == []
