"""ONNX export, checked by running the exported graphs in onnxruntime.

Every comparison is against the estimator's own ``predict`` or
``predict_proba``, on tiny models with random (barely trained) weights
and non-zero biases. The error measure is the largest absolute
difference relative to the largest magnitude of the reference output.
"""

import re
import warnings
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest

ort = pytest.importorskip("onnxruntime")
import onnx  # noqa: E402
import skl2onnx  # noqa: E402
from sklearn.exceptions import ConvergenceWarning, NotFittedError  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from sklstm import LSTMClassifier, LSTMEncoderDecoderRegressor, LSTMRegressor  # noqa: E402
from sklstm import onnx as sklstm_onnx  # noqa: E402
from sklstm.core import GateInputOverflow, largest_safe_input  # noqa: E402
from sklstm.onnx import to_onnx  # noqa: E402

RTOL = 1e-5
N, T, C = 24, 5, 2


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _fit(cls, X, y, **params):
    # patch_length=1: the operator reads the T steps as a recurrence (with the
    # default, these short sequences would be one patch, one LSTM step, and
    # the gates acting through the recurrence would go untested).
    params = {"hidden_layer_sizes": (3,), "max_iter": 3, "random_state": 0,
              "patch_length": 1, **params}
    return cls(**params).fit(X, y)


def _data(dtype=np.float32, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(N, T, C)).astype(dtype)
    return X, X[:, -1, 0] + X[:, 0, 1]


def _run(onx, X, input_name="X"):
    """Check the model, then run it in onnxruntime; return all outputs.

    skl2onnx's own ``to_onnx`` names the input after the estimator's
    features (``input_name=None`` takes it as given)."""
    onnx.checker.check_model(onx, full_check=True)
    session = ort.InferenceSession(onx.SerializeToString(), providers=["CPUExecutionProvider"])
    names = [i.name for i in session.get_inputs()]
    assert len(names) == 1 and input_name in (None, names[0])
    return session.run(None, {names[0]: X})


def _predict(model, X):
    """``model.predict(X)`` as a regressor's graph gives it: with the targets'
    axis, (N, 1) or (N, T, 1) for one target, as skl2onnx's regressors."""
    pred = np.asarray(model.predict(X))
    estimator = model[-1] if hasattr(model, "steps") else model
    leading = 2 if estimator.return_sequences else 1
    return pred.reshape(*pred.shape[:leading], -1)


def _assert_close(got, expected):
    """Assert |got - expected| <= RTOL * max|expected|, NaN where expected is NaN."""
    expected = np.asarray(expected, dtype=np.float64)
    assert got.shape == expected.shape
    np.testing.assert_array_equal(np.isnan(got), np.isnan(expected))
    real = ~np.isnan(expected)
    error = np.max(np.abs(got[real] - expected[real])) / np.max(np.abs(expected[real]))
    assert error <= RTOL, f"relative error {error:.2e}"
    return error


def _pad_tail(X, lengths):
    """Pad sequence k of X with NaN after lengths[k] steps."""
    X = X.copy()
    for k, n in enumerate(lengths):
        X[k, n:] = np.nan
    return X


# -- the LSTM operator: depths, peepholes, coupled gate, output modes -----------


@pytest.mark.parametrize("sizes", [(3,), (4, 3)])
@pytest.mark.parametrize("peephole", [False, True])
@pytest.mark.parametrize("coupled", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_regressor_matches_predict(sizes, peephole, coupled, return_sequences):
    X, y = _data()
    if return_sequences:
        y = np.cumsum(X[:, :, 0], axis=1)
    model = _fit(LSTMRegressor, X, y, hidden_layer_sizes=sizes, peephole=peephole,
                 coupled_gates=coupled, return_sequences=return_sequences)
    (got,) = _run(to_onnx(model, X), X)
    assert got.dtype == np.float32
    _assert_close(got, _predict(model, X))


def test_coupled_gate_is_exactly_one_minus_input_gate():
    # Under input_forget=1 onnxruntime computes f = 1 - i and never reads the
    # forget block: filling that block with random weights changes nothing.
    X, y = _data()
    model = _fit(LSTMRegressor, X, y, coupled_gates=True, peephole=True)
    onx = to_onnx(model, X)
    (got,) = _run(onx, X)
    _assert_close(got, _predict(model, X))
    (lstm,) = [n for n in onx.graph.node if n.op_type == "LSTM"]
    assert onnx.helper.get_attribute_value(
        next(a for a in lstm.attribute if a.name == "input_forget")) == 1
    H = model.coefs_[0]["R"].shape[0]
    rng = np.random.RandomState(0)
    initializers = {t.name: t for t in onx.graph.initializer}
    for name in (lstm.input[1], lstm.input[2], lstm.input[3], lstm.input[7]):
        value = onnx.numpy_helper.to_array(initializers[name]).copy()
        forget = slice(2 * H, 3 * H)  # ONNX order i, o, f, c; P is i, o, f
        assert np.all(value[:, forget] == 0)
        value[:, forget] = rng.normal(size=value[:, forget].shape)
        initializers[name].CopyFrom(onnx.numpy_helper.from_array(value, name))
    np.testing.assert_array_equal(_run(onx, X)[0], got)


def test_float64_model_runs_in_float32_within_tolerance():
    X, y = _data(np.float64)
    model = _fit(LSTMRegressor, X, y, hidden_layer_sizes=(4, 3), peephole=True)
    assert model.out_coef_.dtype == np.float64
    onx = to_onnx(model, X)
    (got,) = _run(onx, X)
    assert got.dtype == np.float64  # the input's dtype; the layers run in float32
    _assert_close(got, _predict(model, X))
    weights = {t.name: t.data_type for t in onx.graph.initializer}
    lstm = [n for n in onx.graph.node if n.op_type == "LSTM"]
    assert len(lstm) == 2
    assert all(weights[name] == onnx.TensorProto.FLOAT for n in lstm for name in n.input[1:4])
    (got32,) = _run(to_onnx(model, X.astype(np.float32)), X.astype(np.float32))
    _assert_close(got32, _predict(model, X))


@pytest.mark.parametrize("rank", [3, 2])
def test_float32_inputs_far_from_zero_are_standardised_as_predict_does(rank):
    # The float32 graph subtracted the mean rounded to float32: 100000.00033
    # became 100000.0, shifting every input by 0.03 of its spread (outputs
    # 3 % off). predict standardises in float64, and so does the graph.
    rng = np.random.RandomState(0)
    X = (1e5 + 0.01 * rng.normal(size=(N, T, 1))).astype(np.float32)
    y = (X[:, -1, 0].astype(np.float64) - 1e5) * 100
    X = X if rank == 3 else X[:, :, 0]
    model = _fit(LSTMRegressor, X, y, hidden_layer_sizes=(4,), solver="lbfgs", max_iter=5)
    assert np.float32(model.input_mean_[0]) != model.input_mean_[0]
    (got,) = _run(to_onnx(model, X), X)
    assert got.dtype == np.float32
    _assert_close(got, _predict(model, X))


@pytest.mark.parametrize("y_shape", ["(n, 1)", "(n, 3)"])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_regressor_outputs_keep_predicts_shape(y_shape, return_sequences):
    X, _ = _data()
    k = 1 if y_shape == "(n, 1)" else 3
    y = np.stack([X[:, :, 0].cumsum(axis=1) * (j + 1) for j in range(k)], axis=-1)
    y = y if return_sequences else y[:, -1]
    model = _fit(LSTMRegressor, X, y, return_sequences=return_sequences)
    (got,) = _run(to_onnx(model, X), X)
    _assert_close(got, _predict(model, X))


@pytest.mark.parametrize("opset", [13, 17, 21])
def test_target_opsets(opset):
    X, y = _data()
    model = _fit(LSTMRegressor, X, y, peephole=True)
    onx = to_onnx(model, X, target_opset=opset)
    assert {o.domain: o.version for o in onx.opset_import}[""] == opset
    _assert_close(_run(onx, X)[0], _predict(model, X))


def test_default_opset():
    X, y = _data()
    onx = to_onnx(_fit(LSTMRegressor, X, y), X)
    assert {o.domain: o.version for o in onx.opset_import}[""] == sklstm_onnx.DEFAULT_OPSET
    lstm = [n for n in onx.graph.node if n.op_type == "LSTM"]
    assert len(lstm) == 1
    assert all(a.name != "layout" or a.i == 0 for a in lstm[0].attribute)


def _transcribed_lstm(X, lengths, layer):
    """Hidden states (N, T, H) of one sklstm layer, written out step by step."""
    H = layer["R"].shape[0]
    out = np.zeros(X.shape[:2] + (H,))
    for k, n in enumerate(lengths):
        h, c = np.zeros(H), np.zeros(H)
        for t in range(n):
            a = X[k, t] @ layer["W"] + h @ layer["R"] + layer["b"]
            i, f, g, o = np.split(a, 4)
            i, f, o = (1 / (1 + np.exp(-v)) for v in (i, f, o))
            c = f * c + i * np.tanh(g)
            h = o * np.tanh(c)
            out[k, t] = h
    return out


def test_bidirectional_emitter_reads_each_sequence_both_ways(monkeypatch):
    # The layer emitter builds direction="bidirectional" from two weight
    # sets. Checked here against a transcription, independently of sklstm's
    # own bidirectional pass: the backward direction starts at each
    # sequence's own last real step, and the state read is the forward one
    # at the last real step next to the backward one after step 0.
    X, y = _data(np.float64)
    lengths = np.arange(N) % T + 1
    Xp = _pad_tail(X, lengths)
    forward = _fit(LSTMRegressor, Xp, y, standardize=False, scale_targets=False,
                   patch_length=1, random_state=1)
    backward = _fit(LSTMRegressor, Xp, y, standardize=False, scale_targets=False,
                    patch_length=1, random_state=2)
    net = sklstm_onnx._describe(forward)
    coef = np.random.RandomState(0).normal(size=(6, 1))
    bidirectional = replace(
        net, layers=[[net.layers[0][0], sklstm_onnx._describe(backward).layers[0][0]]],
        out_coef=coef.astype(np.float32))
    monkeypatch.setattr(sklstm_onnx, "_describe", lambda estimator: bidirectional)
    (got,) = _run(to_onnx(forward, Xp), Xp)

    values = np.nan_to_num(Xp)
    ahead = _transcribed_lstm(values, lengths, forward.coefs_[0])
    reversed_values = np.zeros_like(values)
    for k, n in enumerate(lengths):
        reversed_values[k, :n] = values[k, n - 1::-1]
    behind = _transcribed_lstm(reversed_values, lengths, backward.coefs_[0])
    state = np.hstack([ahead[np.arange(N), lengths - 1], behind[np.arange(N), lengths - 1]])
    _assert_close(got, state @ coef + forward.out_intercept_)


@pytest.mark.parametrize("sizes", [(3,), (4, 3)])
@pytest.mark.parametrize("peephole, coupled", [(False, False), (True, True)])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_bidirectional_estimator_matches_predict(sizes, peephole, coupled, return_sequences):
    """coefs_[2k], coefs_[2k + 1] become one direction="bidirectional" operator."""
    X, y = _data()
    lengths = np.arange(N) % T + 1
    Xp = _pad_tail(X, lengths)
    if return_sequences:
        y = np.cumsum(X[:, :, 0], axis=1)
    model = _fit(LSTMRegressor, Xp, y, hidden_layer_sizes=sizes, peephole=peephole,
                 coupled_gates=coupled, return_sequences=return_sequences, bidirectional=True)
    (got,) = _run(to_onnx(model, Xp), Xp)
    _assert_close(got, _predict(model, Xp))


@pytest.mark.parametrize("variant", ["NIG", "NFG", "NOG", "NIAF", "NOAF", "FGR"])
def test_refuses_every_gate_variant_by_name(variant):
    X, y = _data()
    model = _fit(LSTMRegressor, X, y, gate_variant=variant)
    with pytest.raises(ValueError, match=f"gate_variant='{variant}': the ONNX LSTM operator"):
        to_onnx(model, X)


def test_dropout_acts_in_training_only():
    X, y = _data()
    model = _fit(LSTMRegressor, X, y, dropout=0.3, recurrent_dropout=0.3)
    (got,) = _run(to_onnx(model, X), X)
    _assert_close(got, _predict(model, X))


# -- variable lengths -------------------------------------------------------------


@pytest.mark.parametrize("return_sequences", [False, True])
def test_trailing_nan_padding_becomes_sequence_lens(return_sequences):
    X, _ = _data()
    lengths = np.arange(N) % T + 1
    Xp = _pad_tail(X, lengths)
    y = np.nancumsum(Xp[:, :, 0], axis=1) if return_sequences else X[:, 0, 0]
    model = _fit(LSTMRegressor, Xp, y, hidden_layer_sizes=(4, 3), peephole=True,
                 return_sequences=return_sequences)
    onx = to_onnx(model, Xp)
    (got,) = _run(onx, Xp)
    _assert_close(got, _predict(model, Xp))  # NaN at padded steps, as predict
    # The many-to-one state comes from each sequence's last real step, not
    # from the padding: cutting the padding off gives the same outputs.
    if not return_sequences:
        for n in (1, 3):
            (short,) = _run(onx, np.ascontiguousarray(Xp[lengths == n][:, :n]))
            np.testing.assert_allclose(short, got[lengths == n], rtol=1e-6, atol=1e-7)


def test_ragged_list_example_and_longer_sequences_than_fit():
    rng = np.random.RandomState(1)
    seqs = [rng.normal(size=(n, C)).astype(np.float32) for n in (3, 5, 4, 2, 5, 1)]
    y = np.array([s[:, 0].sum() for s in seqs])
    model = _fit(LSTMRegressor, seqs, y, hidden_layer_sizes=(4, 3), coupled_gates=True)
    onx = to_onnx(model, seqs)
    longer = seqs + [rng.normal(size=(9, C)).astype(np.float32)]
    padded = np.full((len(longer), 9, C), np.nan, np.float32)
    for k, s in enumerate(longer):
        padded[k, : len(s)] = s
    _assert_close(_run(onx, padded)[0], _predict(model, longer))


_RUN_EMPTY_BATCHES = """
import sys
import numpy as np
import onnxruntime as ort
for path in sys.argv[1:]:
    model = np.load(path, allow_pickle=True)
    session = ort.InferenceSession(model["graph"].item(), providers=["CPUExecutionProvider"])
    outputs = session.run(None, {"X": model["X"]})
    print(path, [o.shape for o in outputs])
"""


def test_an_empty_batch_gives_empty_outputs(tmp_path):
    # onnxruntime's LSTM kernel aborts the process on a batch of 0 sequences
    # (SIGSEGV), so the graphs run in a child process here.
    import subprocess
    import sys

    X, y = _data()
    cases = {
        "regressor": (_fit(LSTMRegressor, X, y), X, [(0, 1)]),
        "patched": (_fit(LSTMRegressor, X, y, patch_length=2), X, [(0, 1)]),
        "table": (_fit(LSTMRegressor, X[:, :, 0], y), X[:, :, 0], [(0, 1)]),
        "per step": (_fit(LSTMRegressor, X, X[:, :, 0], return_sequences=True), X,
                     [(0, T, 1)]),
        "classifier": (_fit(LSTMClassifier, X, y > 0), X, [(0,), (0, 2)]),
        "multilabel": (_fit(LSTMClassifier, X, X[:, -1] > 0), X, [(0, 2), (0, 2)]),
    }
    paths, expected = [], {}
    for name, (model, example, shapes) in cases.items():
        path = str(tmp_path / f"{name.replace(' ', '_')}.npz")
        np.savez(path, graph=np.array(to_onnx(model, example).SerializeToString(), dtype=object),
                 X=example[:0])
        paths.append(path)
        expected[path] = shapes
    run = subprocess.run([sys.executable, "-c", _RUN_EMPTY_BATCHES, *paths],
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stderr[-2000:]
    shapes = dict(line.split(" ", 1) for line in run.stdout.splitlines())
    for path in paths:
        assert shapes[path] == str(expected[path])


@pytest.mark.parametrize("case", ["regressor", "patched", "per step", "classifier",
                                  "multilabel"])
def test_sequences_of_no_step_give_nan_outputs(case):
    """predict refuses 3-D input of 0 steps; the graph, which cannot raise,
    gives NaN outputs of predict's shapes (onnxruntime refused it: a
    sequence_lens of 1 beyond 0 steps)."""
    X, y = _data()
    model, shapes = {
        "regressor": (lambda: _fit(LSTMRegressor, X, y), [(4, 1)]),
        "patched": (lambda: _fit(LSTMRegressor, X, y, patch_length=2), [(4, 1)]),
        "per step": (lambda: _fit(LSTMRegressor, X, X[:, :, 0], return_sequences=True),
                     [(4, 0, 1)]),
        "classifier": (lambda: _fit(LSTMClassifier, X, y > 0), [(4,), (4, 2)]),
        "multilabel": (lambda: _fit(LSTMClassifier, X, X[:, -1] > 0), [(4, 2), (4, 2)]),
    }[case]
    model = model()
    with pytest.raises(ValueError, match="0 time steps"):
        model.predict(X[:4, :0])
    outputs = _run(to_onnx(model, X), X[:4, :0])
    assert [o.shape for o in outputs] == shapes
    assert np.isnan(outputs[-1]).all() or case == "per step"
    # the other batches are unchanged by the padding step
    _assert_close(_run(to_onnx(model, X), X)[-1],
                  model.predict_proba(X) if len(shapes) == 2 else _predict(model, X))


def test_export_in_threads_leaves_the_warning_filters_alone():
    # The export predicted a probe under warnings.catch_warnings(), whose
    # filters are the whole process's: exports in threads left an
    # "ignore every warning" filter behind.
    from concurrent.futures import ThreadPoolExecutor

    X, y = _data()
    models = [_fit(LSTMRegressor, X, y), _fit(LSTMClassifier, X, y > 0),
              _fit(LSTMClassifier, X, X[:, -1] > 0)]
    before = list(warnings.filters)
    with ThreadPoolExecutor(4) as pool:
        list(pool.map(lambda k: to_onnx(models[k % 3], X), range(12)))
    assert warnings.filters == before


def test_refused_samples_give_nan_not_a_number():
    # predict raises for these samples; a graph cannot, so it gives NaN there.
    X, y = _data()
    model = _fit(LSTMRegressor, X, y)
    onx = to_onnx(model, X)
    bad = X.copy()
    bad[0, 1, 0] = np.nan  # NaN inside a sequence
    bad[1, 4, 1] = np.inf
    bad[2] = np.nan  # all padding
    with pytest.raises(ValueError):
        model.predict(bad[:1])
    (got,) = _run(onx, bad)
    assert np.all(np.isnan(got[:3]))
    _assert_close(got[3:], _predict(model, X[3:]))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_samples_whose_gate_inputs_may_overflow_give_nan(dtype):
    """predict refuses a float32 model's inputs whose gate inputs may
    overflow float32 (GateInputOverflow); the graph, whose layers run in
    float32 for either model, gave finite numbers there."""
    X, y = _data(dtype)
    model = _fit(LSTMRegressor, X, y)
    onx = to_onnx(model, X)
    largest = largest_safe_input(model.coefs_, np.float32)
    mean, scale = model.input_mean_[0], model.input_scale_[0]
    huge = X.copy()
    huge[0, 2, 0] = mean + 4 * largest * scale  # standardised: 4 times the bound
    huge[1, 3, 0] = mean + largest / 4 * scale  # within it
    if dtype == np.float32:
        with pytest.raises(GateInputOverflow):
            model.predict(huge[:1])
    (got,) = _run(onx, huge)
    assert np.isnan(got[0]).all() and np.isfinite(got[1:]).all()
    _assert_close(got[2:], _predict(model, X[2:]))


# -- 2-D tables, read in the graph as predict reads them ---------------------


@pytest.mark.parametrize("column_order", ["time_major", "channel_major"])
@pytest.mark.parametrize("newest_first", [False, True])
@pytest.mark.parametrize("return_sequences", [False, True])
def test_every_table_layout(column_order, newest_first, return_sequences):
    rng = np.random.RandomState(2)
    table = rng.normal(size=(N, 2 * T)).astype(np.float32)
    y = rng.normal(size=(N, T)) if return_sequences else table[:, 0]
    model = _fit(LSTMRegressor, table, y, n_channels=2, column_order=column_order,
                 newest_first=newest_first, return_sequences=return_sequences, peephole=True)
    (got,) = _run(to_onnx(model, table), table)
    _assert_close(got, _predict(model, table))
    # An independent reading of the layout: the graph on the equivalent
    # 3-D sequences of a model fitted on them gives the same numbers.
    X3 = table.reshape(N, T, 2) if column_order == "time_major" else (
        table.reshape(N, 2, T).transpose(0, 2, 1))
    X3 = X3[:, ::-1] if newest_first else X3
    expected = _predict(model, np.ascontiguousarray(X3))
    expected = expected[:, ::-1] if (newest_first and return_sequences) else expected
    _assert_close(got, expected)


def test_univariate_newest_first_lags():
    rng = np.random.RandomState(3)
    lags = rng.normal(size=(N, 6)).astype(np.float32)  # lag_1, lag_2, ... (skforecast)
    model = _fit(LSTMRegressor, lags, lags[:, 0], newest_first=True, hidden_layer_sizes=(4, 3))
    _assert_close(_run(to_onnx(model, lags), lags)[0], _predict(model, lags))


def test_a_dataframe_example_must_have_the_columns_of_fit():
    # The graph reads columns by position; an example whose columns were
    # reordered gave a graph that read them in the wrong places.
    rng = np.random.RandomState(4)
    frame = pd.DataFrame(rng.normal(size=(N, 4)).astype(np.float32),
                         columns=["t0", "t1", "t2", "t3"])
    model = _fit(LSTMRegressor, frame, frame["t3"].to_numpy())
    with pytest.raises(ValueError, match="Feature names must be in the same order"):
        to_onnx(model, frame[["t3", "t2", "t1", "t0"]])
    onx = to_onnx(model, frame)
    _assert_close(_run(onx, frame.to_numpy())[0], _predict(model, frame))


def test_a_nullable_float64_frame_gives_a_float64_graph():
    # NumPy reads pandas' Float64 columns as objects, which gave a float32
    # graph for float64 data ("anything else becomes float32").
    rng = np.random.RandomState(5)
    frame = pd.DataFrame(rng.normal(size=(N, 4)), columns=["t0", "t1", "t2", "t3"])
    model = _fit(LSTMRegressor, frame, frame["t3"].to_numpy())
    onx = to_onnx(model, frame.astype("Float64"))
    assert onx.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    _assert_close(_run(onx, frame.to_numpy())[0], _predict(model, frame))


def test_a_sparse_column_of_an_example_gives_the_graph_of_its_values():
    rng = np.random.RandomState(5)
    frame = pd.DataFrame(rng.normal(size=(N, 4)), columns=["t0", "t1", "t2", "t3"])
    model = _fit(LSTMRegressor, frame, frame["t3"].to_numpy())
    sparse_column = frame.assign(t1=pd.arrays.SparseArray(frame["t1"].to_numpy()))
    onx = to_onnx(model, sparse_column)
    assert onx.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    _assert_close(_run(onx, frame.to_numpy())[0], _predict(model, frame))


@pytest.mark.parametrize("column", [
    pd.Categorical(["a"] * N), pd.array(["1.0"] * N, dtype="string"),
    pd.date_range("2024-01-01", periods=N, tz="UTC"),
])
def test_a_dataframe_example_with_a_column_of_no_numbers_is_refused_by_name(column):
    # NumPy's dtype promotion failed on these dtypes before predict's check.
    rng = np.random.RandomState(5)
    frame = pd.DataFrame(rng.normal(size=(N, 4)), columns=["t0", "t1", "t2", "t3"])
    model = _fit(LSTMRegressor, frame, frame["t3"].to_numpy())
    with pytest.raises(TypeError, match=r"Column 't1' of X has dtype .*, but sklstm needs"):
        to_onnx(model, frame.assign(t1=column))


def test_table_nan_is_not_padding():
    rng = np.random.RandomState(3)
    table = rng.normal(size=(N, 6)).astype(np.float32)
    model = _fit(LSTMRegressor, table, table[:, -1])
    table[0, -1] = np.nan
    (got,) = _run(to_onnx(model, table[1:]), table)
    assert np.isnan(got[0]) and not np.any(np.isnan(got[1:]))


# -- classifiers ----------------------------------------------------------------------


def _labels(X, kind):
    s = X[:, :, 0].sum(axis=1)
    if kind == "binary":
        return (s > 0).astype(int)
    if kind == "binary-str":
        return np.where(s > 0, "up", "down")
    if kind == "multiclass-str":
        return np.array(["low", "mid", "high"])[np.digitize(s, [-1, 1])]
    if kind == "multiclass-int":
        return np.array([3, 7, 11])[np.digitize(s, [-1, 1])]
    if kind == "multiclass-float":
        return np.array([0.0, 1.0, 2.0])[np.digitize(s, [-1, 1])]
    if kind == "binary-bool":
        return s > 0
    return np.stack([s > 0, X[:, -1, 1] > 0, X[:, 0, 0] > 0], axis=1).astype(int)


@pytest.mark.parametrize(
    "kind", ["binary", "binary-str", "binary-bool", "multiclass-str", "multiclass-int",
             "multiclass-float", "multilabel"])
@pytest.mark.parametrize("peephole", [False, True])
def test_classifier_label_then_probabilities(kind, peephole):
    X, _ = _data()
    y = _labels(X, kind)
    model = _fit(LSTMClassifier, X, y, hidden_layer_sizes=(4, 3), peephole=peephole,
                 coupled_gates=peephole)
    onx = to_onnx(model, X)
    assert [o.name for o in onx.graph.output] == ["label", "probabilities"]
    label, proba = _run(onx, X)
    expected = model.predict(X)
    assert label.dtype == {"i": np.int64, "b": np.int64, "f": np.float64}.get(
        expected.dtype.kind, object)
    np.testing.assert_array_equal(label, expected)
    _assert_close(proba, model.predict_proba(X))


def test_classifier_per_step_with_padding():
    X, _ = _data()
    lengths = np.arange(N) % T + 1
    Xp = _pad_tail(X, lengths)
    y = np.where(np.nancumsum(Xp[:, :, 0], axis=1) > 0, "pos", "neg")
    model = _fit(LSTMClassifier, Xp, y, return_sequences=True, coupled_gates=True)
    label, proba = _run(to_onnx(model, Xp), Xp)
    _assert_close(proba, model.predict_proba(Xp))
    for k, labels in enumerate(model.predict(Xp)):  # a list: one array per real length
        np.testing.assert_array_equal(label[k, : lengths[k]], labels)


def test_multiclass_per_step_table_newest_first():
    rng = np.random.RandomState(4)
    table = rng.normal(size=(N, T)).astype(np.float32)
    y = np.array([0, 1, 2])[np.digitize(table, [-0.5, 0.5])]
    model = _fit(LSTMClassifier, table, y, return_sequences=True, newest_first=True)
    label, proba = _run(to_onnx(model, table), table)
    np.testing.assert_array_equal(label, model.predict(table))
    _assert_close(proba, model.predict_proba(table))


# -- skl2onnx's own entry point ------------------------------------------------------


def test_skl2onnx_pipeline_over_lag_tables():
    rng = np.random.RandomState(5)
    lags = rng.normal(loc=50, scale=5, size=(40, 8))  # float64, as from DataFrame.shift
    pipe = Pipeline([("scale", StandardScaler()),
                     ("lstm", LSTMRegressor(hidden_layer_sizes=(4,), max_iter=3,
                                            random_state=0))]).fit(lags, lags[:, -1])
    (got,) = _run(skl2onnx.to_onnx(pipe, lags[:1]), lags, input_name=None)
    _assert_close(got, _predict(pipe, lags))


@pytest.mark.parametrize("ensemble", ["stacking", "voting"])
def test_skl2onnx_ensembles_join_the_regressor_with_others(ensemble):
    # skl2onnx's StackingRegressor concatenates its regressors' outputs on
    # their second axis: the graph's output was (N,) and onnxruntime's Concat
    # failed.
    from sklearn.ensemble import StackingRegressor, VotingRegressor
    from sklearn.linear_model import Ridge

    rng = np.random.RandomState(7)
    lags = rng.normal(size=(40, 6)).astype(np.float32)
    y = lags[:, -2:].sum(axis=1)
    members = [("lstm", LSTMRegressor(hidden_layer_sizes=(4,), max_iter=3, random_state=0)),
               ("ridge", Ridge())]
    model = (StackingRegressor(members, cv=2) if ensemble == "stacking"
             else VotingRegressor(members)).fit(lags, y)
    (got,) = _run(skl2onnx.to_onnx(model, lags[:1]), lags, input_name=None)
    assert got.shape == (40, 1)
    _assert_close(got[:, 0], model.predict(lags))


def test_skl2onnx_pipeline_classifier_has_no_zipmap():
    rng = np.random.RandomState(6)
    lags = rng.normal(size=(40, 6)).astype(np.float32)
    y = np.array(["a", "b", "c"])[np.digitize(lags.sum(axis=1), [-1, 1])]
    pipe = Pipeline([("scale", StandardScaler()),
                     ("lstm", LSTMClassifier(hidden_layer_sizes=(4,), max_iter=3,
                                             random_state=0, n_channels=2,
                                             column_order="channel_major"))]).fit(lags, y)
    onx = skl2onnx.to_onnx(pipe, lags[:1], options={"zipmap": False})
    assert [o.name for o in onx.graph.output] == ["label", "probabilities"]
    label, proba = _run(onx, lags, input_name=None)
    np.testing.assert_array_equal(label, pipe.predict(lags))
    _assert_close(proba, pipe.predict_proba(lags))
    # skl2onnx's pipelines ask for ZipMap by default: ignored, with a warning.
    with pytest.warns(UserWarning, match="zipmap is ignored"):
        default = skl2onnx.to_onnx(pipe, lags[:1])
    assert [o.name for o in default.graph.output] == ["label", "probabilities"]


# -- what is refused ----------------------------------------------------------------


@pytest.fixture
def fitted():
    X, y = _data()
    return _fit(LSTMRegressor, X, y), X


@pytest.mark.parametrize("param, value", [
    ("hidden_layer_sizes", (5,)),
    ("peephole", True),
    ("coupled_gates", True),
])
def test_refuses_architecture_changed_after_fit(fitted, param, value):
    model, X = fitted
    model.set_params(**{param: value})
    with pytest.raises(ValueError, match=param):
        to_onnx(model, X)


@pytest.mark.parametrize("param, value", [
    ("bidirectional", True),
    ("variant", "FGR"),
    ("standardize_targets", True),
    ("gate_variant", "NOAF"),
])
def test_refuses_parameters_it_cannot_express(fitted, monkeypatch, param, value):
    model, X = fitted
    params = model.get_params(deep=False)
    monkeypatch.setattr(model, "get_params", lambda deep=True: {**params, param: value})
    with pytest.raises(ValueError, match=f"{param}={value!r}"):
        to_onnx(model, X)


def test_unknown_parameters_pass_only_when_off_at_their_default():
    refused = sklstm_onnx._refused_param
    assert refused({"zoneout": 0.0, "extra": None, "flags": ()},
                   {"zoneout": 0.0, "extra": None, "flags": ()}) is None
    assert refused({"zoneout": 0.1}, {"zoneout": 0.0}) == ("zoneout", 0.1)
    # A feature switched on by default is refused even at its default.
    assert refused({"standardize_y": True}, {"standardize_y": True}) == ("standardize_y", True)
    assert refused({"variant": "vanilla"}, {"variant": "vanilla"}) == ("variant", "vanilla")
    assert refused({"new": 0}, {}) == ("new", 0)
    assert refused({"solver": "sgd", "max_iter": 1}, {}) is None  # training only


@pytest.mark.parametrize("attribute, value, error, match", [
    ("target_scale_", lambda m: -m.target_scale_, ValueError,
     "target_scale_ must be > 0 everywhere"),
    ("target_mean_", lambda m: np.zeros(2), ValueError, "target_mean_ must have shape"),
    ("out_intercept_", lambda m: np.full_like(m.out_intercept_, np.nan), ValueError,
     "out_intercept_"),
    ("input_mean_", lambda m: np.full_like(m.input_mean_, np.inf), ValueError, "input_mean_"),
    ("out_coef_", lambda m: m.out_coef_.astype(np.float16), TypeError, "out_coef_"),
    ("n_features_in_", lambda m: 5, ValueError, "n_features_in_ is 5"),
])
@pytest.mark.parametrize("export", ["sklstm", "skl2onnx"])
def test_refuses_fitted_state_that_predict_refuses(fitted, attribute, value, error, match,
                                                    export):
    """skl2onnx's converter exported hand-set attributes that predict
    refuses (a negative target_scale_, float16 weights) into graphs that
    were silently wrong; a wrong-shaped target_mean_ failed in np.broadcast_to."""
    model, X = fitted
    setattr(model, attribute, value(model))
    with pytest.raises(error, match=match):
        model.predict(X)
    convert = to_onnx if export == "sklstm" else skl2onnx.to_onnx
    with pytest.raises(error, match=match):
        convert(model, X)


def test_refuses_input_declarations_the_graph_would_read_wrong():
    """A declared input is checked where predict checks X: text is refused,
    and so is a table width (or channel count) other than the model's, or
    one left unknown, which the graph cannot refuse at run time."""
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    X, y = _data()
    table = X[:, :, 0]
    on_tables = _fit(LSTMRegressor, table, y)
    on_sequences = _fit(LSTMRegressor, X, y)

    def convert(model, tensor_type):
        return skl2onnx.convert_sklearn(model, initial_types=[("X", tensor_type)])

    with pytest.raises(TypeError, match="declared as text"):
        convert(on_tables, StringTensorType([None, T]))
    for width in (T - 1, None):
        with pytest.raises(ValueError, match=rf"fitted on tables of {T} \(n_features_in_\). "
                                             rf"Declare the input's shape as \[None, {T}\]"):
            convert(on_tables, FloatTensorType([None, width]))
    for channels in (1, None):
        with pytest.raises(ValueError, match=rf"the model reads {C}\. Declare the input's "
                                             rf"shape as \[None, None, {C}\]"):
            convert(on_sequences, FloatTensorType([None, None, channels]))
    # A second input no node would read: the graph failed only when run.
    with pytest.raises(ValueError, match=r"reads one input, X, but 2 are declared: "
                                         r"\['X', 'Z'\]"):
        skl2onnx.convert_sklearn(on_sequences, initial_types=[
            ("X", FloatTensorType([None, None, C])), ("Z", FloatTensorType([None, None, C]))])
    # The declarations that fit export, and match predict.
    _assert_close(_run(convert(on_tables, FloatTensorType([None, T])), table)[0],
                  _predict(on_tables, table))
    _assert_close(_run(convert(on_sequences, FloatTensorType([None, None, C])), X)[0],
                  _predict(on_sequences, X))


@pytest.mark.parametrize("cls", [LSTMRegressor, LSTMClassifier])
@pytest.mark.parametrize("patch_length", [1, 2])
def test_one_step_rows_of_a_model_fitted_on_sequences(cls, patch_length):
    """predict reads a table of exactly C columns as one step per row of a
    model fitted on sequences of C channels (MAPIE's probe is such a row);
    the graph reads it so too, and a table of another width, or of a width
    left unknown, is refused with the declaration to use."""
    from skl2onnx.common.data_types import FloatTensorType

    X, y = _data()
    model = _fit(cls, X, y > 0 if cls is LSTMClassifier else y, patch_length=patch_length)
    rows = np.random.RandomState(1).normal(size=(7, C)).astype(np.float32)
    outputs = _run(to_onnx(model, rows), rows)
    if cls is LSTMRegressor:
        _assert_close(outputs[0], _predict(model, rows))
    else:
        np.testing.assert_array_equal(outputs[0].astype(bool), model.predict(rows))
        _assert_close(outputs[1], model.predict_proba(rows))
    for width in (2 * C, None):
        with pytest.raises(ValueError, match=rf"fitted on sequences of {C} channels, and with "
                                             rf"n_channels=1 predict reads only a table of {C} "
                                             rf"columns.*\[None, {C}\]"):
            skl2onnx.convert_sklearn(model, initial_types=[("X", FloatTensorType([None, width]))])


def test_refuses_weights_of_unknown_architectures(fitted):
    model, X = fitted
    H = model.coefs_[0]["R"].shape[0]
    original = [dict(layer) for layer in model.coefs_]
    model.coefs_[0]["R_gates"] = np.zeros((3 * H, 3 * H))  # e.g. full gate recurrence
    with pytest.raises(ValueError, match="R_gates"):
        to_onnx(model, X)
    model.coefs_ = original
    model.out_coef_ = np.vstack([model.out_coef_, model.out_coef_])  # e.g. 2H of two directions
    with pytest.raises(ValueError, match="out_coef_"):
        to_onnx(model, X)


def test_refuses_other_estimators_and_unfitted_ones(fitted):
    model, X = fitted

    class Custom(LSTMRegressor):
        pass

    with pytest.raises(TypeError, match="Custom"):
        to_onnx(Custom(), X)
    with pytest.raises(NotFittedError):
        to_onnx(LSTMRegressor(), X)
    with pytest.raises(ValueError, match="channels"):
        to_onnx(model, X[:, :, :1])  # predict's own message
    with pytest.raises(ValueError, match="target_opset"):
        to_onnx(model, X, target_opset=12)
    with pytest.raises(ValueError, match="channels"):
        to_onnx(model, X.reshape(N, -1))  # fitted on 2 channels, n_channels=1
    with pytest.raises(ValueError, match="n_channels=1"):
        skl2onnx.to_onnx(model, X.reshape(N, -1))


def test_refuses_an_encoder_decoder_and_points_pipelines_to_skl2onnx(fitted):
    model, X = fitted
    encoder_decoder = LSTMEncoderDecoderRegressor((3,), horizon=2, max_iter=1).fit(
        X, np.zeros((N, 2)))
    message = r"got LSTMEncoderDecoderRegressor\. An encoder-decoder has no ONNX graph"
    # skl2onnx failed inside itself ("Unable to find a shape calculator").
    for export in (to_onnx, skl2onnx.to_onnx):
        with pytest.raises(TypeError, match=message):
            export(encoder_decoder, X)
    pipeline = Pipeline([("scale", StandardScaler()), ("lstm", model)])
    with pytest.raises(TypeError, match=r"got Pipeline\. For a pipeline that ends in one, use "
                                        r"skl2onnx\.to_onnx\(pipeline, X_example\)"):
        to_onnx(pipeline, X)


@pytest.mark.parametrize("opset, exc", [
    (0, ValueError), (12, ValueError), ("newest + 1", ValueError), (-17, ValueError),
    (17.0, TypeError), ("17", TypeError), (True, TypeError),
])
def test_target_opset_is_checked_before_export(fitted, opset, exc):
    """0 once gave skl2onnx's newest opset silently; floats, text and opsets
    beyond skl2onnx's failed inside skl2onnx."""
    model, X = fitted
    if opset == "newest + 1":
        opset = min(onnx.defs.onnx_opset_version(), skl2onnx.__max_supported_opset__) + 1
    match = ("target_opset must be an int" if exc is TypeError
             else f"target_opset must be between 13 and .*got {opset}")
    with pytest.raises(exc, match=match):
        to_onnx(model, X, target_opset=opset)


def test_newest_supported_opset_exports():
    X, y = _data()
    model = _fit(LSTMRegressor, X, y)
    newest = min(onnx.defs.onnx_opset_version(), skl2onnx.__max_supported_opset__)
    onx = to_onnx(model, X, target_opset=np.int64(newest))
    assert {o.domain: o.version for o in onx.opset_import}[""] == newest


def test_refuses_unsigned_labels_beyond_int64():
    """uint64 labels >= 2**63 once wrapped to negative int64 labels in the graph."""
    X, y = _data()
    big = np.uint64(2**63 + 5)
    model = _fit(LSTMClassifier, X, np.where(y > 0, big, np.uint64(1)))
    assert model.classes_.max() == big
    with pytest.raises(ValueError, match=r"classes_ holds the label 9223372036854775813.*int64"):
        to_onnx(model, X)
    # Labels that int64 holds still export, exactly.
    small = _fit(LSTMClassifier, X, np.where(y > 0, np.uint64(2**63 - 1), np.uint64(1)))
    label, _ = _run(to_onnx(small, X), X)
    np.testing.assert_array_equal(label, small.predict(X).astype(np.int64))


def test_no_other_sklstm_module_imports_onnx():
    # The package works without the onnx extra: only sklstm.onnx imports it.
    import ast
    from pathlib import Path

    import sklstm

    for path in Path(sklstm.__file__).parent.rglob("*.py"):
        if path.name == "onnx.py" and path.parent.name == "sklstm":
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""] + [f"{node.module}.{a.name}" for a in node.names]
            else:
                continue
            assert not any("onnx" in name for name in names), f"{path} imports {names}"


def test_scaled_targets_fold_into_the_head():
    """scale_targets (on by default) is exported through target_mean_ and target_scale_."""
    X, y = _data()
    model = _fit(LSTMRegressor, X, 1000.0 + 500.0 * y)
    assert np.any(model.target_scale_ != 1.0)
    (got,) = _run(to_onnx(model, X), X)
    _assert_close(got, _predict(model, X))


@pytest.mark.parametrize(
    "params, match",
    # Each with its reason and route, not only "does not express that exactly".
    [({"loss": "quantile"}, "Cannot export LSTMRegressor fitted with loss='quantile': the "
                            "graph has no form for its non-crossing quantiles.*Export a model "
                            "of loss='squared_error'"),
     ({"n_exog": 1}, "Cannot export LSTMRegressor with n_exog=1: .*fit on 3-D sequences with "
                     "those values as channels")],
)
def test_refuses_configurations_without_an_exact_graph(params, match):
    X, y = _data()
    if "n_exog" in params:
        X = X[:, :, 0]
    model = _fit(LSTMRegressor, X, y, **params)
    with pytest.raises(ValueError, match=match):
        to_onnx(model, X)


@pytest.mark.parametrize("offset", [1e8, -1e5])
def test_targets_far_from_zero_keep_their_spread_in_a_float64_graph(offset):
    # The targets' scaling was folded into the float32 head: for targets of
    # 1e8 ± 1 every output of the graph was the same number.
    X, y = _data(np.float64)
    model = _fit(LSTMRegressor, X, offset + y, max_iter=20, solver="lbfgs")
    expected = _predict(model, X)
    (got,) = _run(to_onnx(model, X), X)
    assert got.dtype == np.float64
    spread = np.ptp(expected)
    assert spread > 0.1 and np.max(np.abs(got - expected)) <= RTOL * spread


def test_targets_beyond_float32_export_in_float64_only():
    # Their scale overflowed the float32 head: every output was -inf or NaN.
    X, y = _data(np.float64)
    model = _fit(LSTMRegressor, X, y * 1e39)
    (got,) = _run(to_onnx(model, X), X)
    _assert_close(got, _predict(model, X))
    with pytest.raises(ValueError, match=r"target_mean_ or target_scale_ \(largest .*\) is "
                                         r"beyond float32.*Pass a float64 X_example"):
        to_onnx(model, X.astype(np.float32))


def test_a_target_scale_below_float32s_normal_range_exports_in_float64_only():
    """A target_scale_ of 1e-50 became 0 in the float32 head: every output
    was the mean (and a float64 graph lost its mean of 1e-51 to
    onnxruntime's optimiser, which drops an Add of a float32 zero)."""
    X, y = _data(np.float64)
    model = _fit(LSTMRegressor, X, 1e-50 * y)
    (got,) = _run(to_onnx(model, X), X)
    expected = _predict(model, X)
    assert np.max(np.abs(got - expected)) <= RTOL * np.ptp(expected)
    with pytest.raises(ValueError, match=r"output 0's target_scale_, .*, is below float32's "
                                         r"normal range.*Pass a float64 X_example"):
        to_onnx(model, X.astype(np.float32))


@pytest.mark.parametrize("center, spread", [(1e-50, 1e-50), (1e12, 3.0), (1e14, 3.0),
                                            (1e-310, 1e-310)])
@pytest.mark.parametrize("table", [True, False], ids=["lag table", "3-D, one channel"])
def test_float64_inputs_are_standardised_as_predict_does_whatever_their_mean(
        table, center, spread):
    """Fixed bug: inputs of 1e-50 ± 1e-50 gave an input_mean_ that is 0 in
    float32, and onnxruntime's optimiser dropped its Sub from the graph:
    outputs were off by more than their spread. Standardising as
    x / scale - mean / scale instead lost digits to cancellation far from
    zero (1e12 ± 3: 2.6e-5 of the outputs' spread)."""
    rng = np.random.RandomState(0)
    X = center + spread * rng.normal(size=(N, 6) if table else (N, 6, 1))
    model = _fit(LSTMRegressor, X, (X.reshape(N, -1)[:, -1] - center) / spread, max_iter=5)
    (got,) = _run(to_onnx(model, X), X)
    expected = _predict(model, X)
    assert np.max(np.abs(got - expected)) <= RTOL * np.ptp(expected)


def test_float32_graphs_of_large_or_constant_targets_export():
    """Targets far from zero, a constant column among them, export in float32
    within the documented 1e-5 of the outputs' magnitude."""
    X, y = _data(np.float64)
    Y = np.c_[1e5 + 1e-3 * y, np.full(len(y), 1e7)]
    model = _fit(LSTMRegressor, X, Y)
    X32 = X.astype(np.float32)
    (got,) = _run(to_onnx(model, X32), X32)
    for k in range(2):
        _assert_close(got[:, k], model.predict(X32)[:, k])


@pytest.mark.parametrize("container", [
    lambda X: X,
    # Integers held as Python objects were "anything else", a float32 input.
    lambda X: X.astype(object),
    lambda X: list(X.astype(object)),
])
@pytest.mark.parametrize("cls", [LSTMRegressor, LSTMClassifier])
def test_integer_examples_give_a_float64_input(cls, container):
    """predict reads integers as float64; a float32 input merged those beyond
    2**24, so that every sample of counters near 1e9 gave one output."""
    rng = np.random.RandomState(0)
    X = 1_000_000_000 + rng.randint(0, 20, size=(N, T, 1))
    y = X[:, -1, 0] - 1_000_000_000 > 9
    model = _fit(cls, X, y if cls is LSTMClassifier else y.astype(float), max_iter=20)
    onx = to_onnx(model, container(X))
    assert onx.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    outputs = _run(onx, X.astype(np.float64))
    if cls is LSTMRegressor:
        _assert_close(outputs[0], _predict(model, X))
    else:
        np.testing.assert_array_equal(outputs[0], model.predict(X))
        _assert_close(outputs[1], model.predict_proba(X))


def test_an_integer_table_of_objects_gives_a_float64_input():
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(1_000_000_000 + rng.randint(0, 20, size=(N, 4)))
    model = _fit(LSTMRegressor, frame, frame[3].to_numpy() - 1e9, max_iter=20)
    onx = to_onnx(model, frame.astype(object))
    assert onx.graph.input[0].type.tensor_type.elem_type == onnx.TensorProto.DOUBLE
    _assert_close(_run(onx, frame.to_numpy(np.float64))[0], _predict(model, frame))


@pytest.mark.parametrize("wrap, exc, match", [
    # np.asarray of a sparse matrix is a 0-d object array: "got an array of shape ()".
    (lambda X: __import__("scipy.sparse").sparse.csr_matrix(X), TypeError,
     r"X_example, as predict reads it: Sparse data was passed for X.*toarray"),
    # Accepted, though predict refuses masked arrays.
    (lambda X: np.ma.masked_array(X, mask=X > 1), TypeError,
     "X_example, as predict reads it: X is a masked array"),
])
def test_an_example_predict_refuses_is_refused_in_its_words(wrap, exc, match):
    rng = np.random.RandomState(0)
    table = rng.normal(size=(N, 6))
    model = _fit(LSTMRegressor, table, table[:, -1])
    with pytest.raises(exc, match=match):
        to_onnx(model, wrap(table))


def test_a_float32_output_beyond_float32_is_nan_not_inf():
    X, y = _data(np.float64)
    model = _fit(LSTMRegressor, X, y * 1e38)
    model.out_intercept_ = model.out_intercept_ + 3.0  # outputs of about 3e38 and more
    assert np.all(np.isfinite(model.predict(X))) and np.all(np.abs(model.predict(X)) > 3.4e38)
    (got,) = _run(to_onnx(model, X.astype(np.float32)), X.astype(np.float32))
    assert got.dtype == np.float32 and np.all(np.isnan(got))


def test_a_ragged_list_of_plain_lists_is_an_example():
    # np.asarray failed on it ("inhomogeneous shape"), though predict reads it.
    rng = np.random.RandomState(0)
    seqs = [rng.normal(size=n).tolist() for n in (4, 6, 5)]
    model = _fit(LSTMRegressor, seqs, np.arange(3.0))
    padded = np.full((3, 6, 1), np.nan)
    for k, seq in enumerate(seqs):
        padded[k, : len(seq), 0] = seq
    (got,) = _run(to_onnx(model, seqs), padded)
    _assert_close(got, _predict(model, seqs))


@pytest.mark.parametrize("second, exc, match", [
    (np.zeros((3, 2), "M8[D]"), TypeError, r"X\[1\] holds dates or durations"),
    ("abc", ValueError, r"Sequence 1 of X has 0 dimensions \(a str\)"),
    (None, ValueError, r"Sequence 1 of X has 0 dimensions \(None\)"),
    (np.ones((3, 2)) * 1j, ValueError, r"X\[1\] holds complex numbers"),
    (np.zeros((3, 5)), ValueError, r"sequence 0 has 2, sequence 1 has 5"),
    (np.zeros((3, 2), dtype=[("a", "f8")]), TypeError, r"X\[1\] holds records"),
])
def test_every_sequence_of_a_list_example_is_checked(second, exc, match):
    # Only the first was predicted on: the others failed inside NumPy's
    # dtype promotion, or were exported unnoticed (complex, text, 5 channels).
    X = np.random.RandomState(0).normal(size=(N, T, C))
    model = _fit(LSTMRegressor, X, X[:, -1, 0])
    with pytest.raises(exc, match=match):
        to_onnx(model, [X[0], second])


@pytest.mark.parametrize("export", ["sklstm", "skl2onnx"])
@pytest.mark.parametrize("fitted, changed, match", [
    ({"loss": "quantile"}, {"loss": "squared_error"}, "fitted with loss='quantile'"),
    ({}, {"loss": "quantile"}, "fitted with loss='squared_error'"),
    ({}, {"newest_first": True}, "fitted with newest_first=False"),
    ({"n_channels": 2}, {"column_order": "channel_major"},
     "fitted with column_order='time_major'"),
    ({}, {"return_sequences": True}, "fitted with return_sequences=False"),
])
def test_refuses_a_model_whose_loss_or_layout_changed_after_fit(fitted, changed, match, export):
    """The fitted model decides what is exported, not the parameters set since.
    skl2onnx's converter once exported the new reading of the table (newest
    first, channel major, per-step outputs) without a word."""
    X, y = _data()
    table = X.reshape(N, -1)
    model = _fit(LSTMRegressor, table, y, **fitted).set_params(**changed)
    convert = to_onnx if export == "sklstm" else skl2onnx.to_onnx
    with pytest.raises(ValueError, match=match):
        convert(model, table)


# -- patches of steps -------------------------------------------------------------


# Patches end at each sequence's last step; models saved before that read
# them from its first step (_patch_alignment "start", set here by hand).
@pytest.mark.parametrize("alignment", ["end", "start"])
@pytest.mark.parametrize("bidirectional", [False, True])
# 3: many patches per sequence, and zero steps completing some; "auto": the
# default, patches of 32 steps here.
@pytest.mark.parametrize("patch_length", [3, "auto"])
def test_patches_with_padding_and_any_length(bidirectional, alignment, patch_length):
    rng = np.random.RandomState(5)
    X = rng.normal(size=(N, 40, C)).astype(np.float32)
    lengths = rng.randint(1, 41, size=N)
    Xp = _pad_tail(X, lengths)
    model = _fit(LSTMRegressor, Xp, X[:, 0, 0], hidden_layer_sizes=(4, 3),
                 bidirectional=bidirectional, patch_length=patch_length)
    assert model.patch_length_ == (3 if patch_length == 3 else 32)
    model._patch_alignment = alignment
    onx = to_onnx(model, Xp)
    _assert_close(_run(onx, Xp)[0], _predict(model, Xp))
    # lengths that are no multiple of the patch, shorter and longer than in fit
    for n_steps in (1, 7, 50):
        other = rng.normal(size=(5, n_steps, C)).astype(np.float32)
        _assert_close(_run(onx, other)[0], _predict(model, other))


@pytest.mark.parametrize("alignment", ["end", "start"])
@pytest.mark.parametrize("column_order", ["time_major", "channel_major"])
def test_patches_of_table_rows(column_order, alignment):
    rng = np.random.RandomState(6)
    table = rng.normal(size=(N, 2 * 7)).astype(np.float32)
    model = _fit(LSTMClassifier, table, table[:, 0] > 0, n_channels=2, patch_length=3,
                 column_order=column_order)
    model._patch_alignment = alignment
    label, proba = _run(to_onnx(model, table), table)
    _assert_close(proba, model.predict_proba(table))
    np.testing.assert_array_equal(label, model.predict(table))


_WEIGHTS = {
    "coefs_[0]['W']": lambda model: model.coefs_[0]["W"],
    "coefs_[0]['p']": lambda model: model.coefs_[0]["p"],
    "out_coef_": lambda model: model.out_coef_,
    "out_intercept_": lambda model: model.out_intercept_,
}


@pytest.mark.parametrize("weight", list(_WEIGHTS))
@pytest.mark.parametrize("cls", [LSTMRegressor, LSTMClassifier])
def test_weights_beyond_float32_are_refused_in_a_float64_model(cls, weight):
    # The head's were cast to float32 without a word: the graph gave NaN
    # probabilities or infinite outputs where predict's were finite. A layer's
    # was refused as "layers[0]['W'] contains infinity", in float32 "the dtype
    # of X", for a float64 X.
    X, y = _data(np.float64)
    labels = np.arange(len(y)) % 3
    model = _fit(cls, X, labels if cls is LSTMClassifier else y, peephole=True)
    values = _WEIGHTS[weight](model)
    last = values.size - 1
    values.flat[last] = -1e39
    place = [int(i) for i in np.unravel_index(last, values.shape)]
    before = _predict(model, X)
    with pytest.raises(ValueError, match=rf"Cannot export: {re.escape(weight)}"
                                         rf"{re.escape(str(place))} is -1e\+39, beyond "
                                         r"float32's range .* float64 models included"):
        to_onnx(model, X)
    np.testing.assert_array_equal(_predict(model, X), before)


def test_outputs_beyond_float32_are_nan_in_a_float64_graph():
    # Head weights within float32 whose sum is not: the float32 logits
    # overflowed, and a float64 graph gave infinity where predict gives
    # about 4e38 (a float32 graph gave NaN).
    X, y = _data(np.float64)
    model = _fit(LSTMRegressor, X, y, scale_targets=False)
    model.coefs_[0]["b"][:] = 20.0  # every gate saturated: |h| = tanh(1)
    model.out_coef_[:] = 3e38
    expected = _predict(model, X)
    assert np.all(np.isfinite(expected)) and np.all(np.abs(expected) > 3.4e38)
    (got,) = _run(to_onnx(model, X), X)
    assert got.dtype == np.float64 and np.all(np.isnan(got))


@pytest.mark.parametrize("classes", [
    np.array(["2021-06-01", "2021-07-01", "2022-01-01"], "M8[ns]"),
    np.array([1, 2, 90], "m8[s]"),
], ids=["dates", "durations"])
def test_date_and_duration_labels_are_exported_as_text_pandas_reads_back(classes):
    # As documented in the module docstring: no ONNX type holds them.
    X, _ = _data(np.float64)
    model = _fit(LSTMClassifier, X, classes[np.arange(len(X)) % 3], max_iter=20)
    labels, _ = _run(to_onnx(model, X), X)
    read = pd.to_datetime if classes.dtype.kind == "M" else pd.to_timedelta
    np.testing.assert_array_equal(np.asarray(read(labels)), model.predict(X))
    assert len(set(model.predict(X))) > 1


@pytest.mark.parametrize("example, match", [
    (np.zeros((0, T, C)), r"X has 0 sample\(s\)"),
    ([np.zeros((T, C + 1))], r"X has 3 channels"),
], ids=["empty", "list of other channels"])
def test_an_example_predict_refuses_is_named_as_x_example(example, match):
    # predict's message named it X, which to_onnx has no argument of.
    X, y = _data(np.float64)
    model = _fit(LSTMRegressor, X, y)
    with pytest.raises(ValueError, match=r"X_example, as predict reads it: " + match):
        to_onnx(model, example)


@pytest.mark.parametrize("params", [
    {}, {"return_sequences": True, "patch_length": 1}, {"patch_length": 2},
    {"bidirectional": True},
], ids=["many-to-one", "per step", "patches", "bidirectional"])
@pytest.mark.parametrize("cls", [LSTMRegressor, LSTMClassifier])
def test_a_channels_first_model_exports_a_graph_that_reads_channels_first(cls, params):
    """sktime's numpy3D layout, (N, C, T), NaN-padded along the steps: the
    exporter refused every channels-first model, and the same model fitted
    on X.transpose(0, 2, 1) was its only route."""
    X, y = _data(np.float64)
    X[:4, 3:] = np.nan  # four shorter sequences
    if params.get("return_sequences"):
        y = np.nan_to_num(X[:, :, 0])
    if cls is LSTMClassifier:
        y = (y > 0).astype(int)
    X_first = X.transpose(0, 2, 1)
    model = _fit(cls, X_first, y, data_format="channels_first", **params)
    onx = to_onnx(model, X_first)
    assert [d.dim_value for d in onx.graph.input[0].type.tensor_type.shape.dim][1] == C
    outputs = _run(onx, X_first)
    if cls is LSTMClassifier:
        # Per-step labels of padded sequences come as one array per sequence.
        for labels, expected in zip(outputs[0], model.predict(X_first), strict=True):
            np.testing.assert_array_equal(labels[:len(np.atleast_1d(expected))]
                                          if np.ndim(labels) else labels, expected)
        _assert_close(outputs[1], model.predict_proba(X_first))
    else:
        _assert_close(outputs[0], _predict(model, X_first))
    # The same model fitted channels last (the route before) gives the same graph outputs.
    last = _fit(cls, X, y, **params)
    np.testing.assert_array_equal(_run(to_onnx(last, X), X)[-1], outputs[-1])
    with pytest.raises(ValueError, match=rf"3-D input of {T} channels on axis 1: the model "
                                         rf"reads {C}. Declare the input's shape as "
                                         rf"\[None, {C}, None\]"):
        skl2onnx.to_onnx(model, initial_types=[
            ("X", skl2onnx.common.data_types.FloatTensorType([None, T, C]))])


@pytest.mark.parametrize("given", [None, 5, LSTMRegressor, "model"])
def test_what_is_no_fitted_estimator_is_refused_by_its_type(given):
    # The snapshot taken for thread safety ran first, and failed inside
    # object.__new__ ("NoneType is not safe").
    X, _ = _data()
    with pytest.raises(TypeError, match="sklstm.onnx exports LSTMRegressor and LSTMClassifier"):
        to_onnx(given, X)


def test_a_frame_of_series_exports_as_the_list_of_its_sequences():
    # sktime's nested_univ panel, read as predict reads it: a 3-D input of
    # NaN-padded sequences (as a DataFrame it was given a 2-D input).
    X, y = _data(np.float64)
    lengths = np.arange(N) % T + 1
    frame = pd.DataFrame({name: [pd.Series(X[k, :n, c]) for k, n in enumerate(lengths)]
                          for c, name in enumerate(["a", "b"])})
    model = _fit(LSTMRegressor, frame, y)
    onx = to_onnx(model, frame)
    [got] = _run(onx, _pad_tail(X, lengths))
    _assert_close(got, _predict(model, frame))
