"""Saving and loading: pickle, joblib and skops round trips, sizes, a saved fixture.

A loaded model must predict exactly as the saved one did, and must continue
``partial_fit`` exactly as the original would (optimizer state and shuffling
RNG included). A saved model must hold its parameters and a little
bookkeeping, never training data or per-batch buffers.
"""

import importlib.util
import io
import pickle
import warnings
from pathlib import Path

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm.persistence import trusted_types

FIXTURES = Path(__file__).resolve().parent / "fixtures"

pytestmark = pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")

VARIANTS = {
    "plain": {},
    "peephole": dict(peephole=True),
    "coupled": dict(coupled_gates=True),
    "peephole+coupled": dict(peephole=True, coupled_gates=True),
}


def _data(estimator, dtype=np.float64, n=16, T=6, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, T, 2)).astype(dtype)
    y = X[:, -2:, 0].sum(axis=1)
    if estimator is LSTMClassifier:
        y = np.array(["low", "mid", "high"])[np.digitize(y, [-0.5, 0.5])]
    return X, y


def _outputs(model, X):
    if isinstance(model, LSTMClassifier):
        return model.predict(X), model.predict_proba(X), model.predict_log_proba(X)
    return (model.predict(X),)


def _fit(estimator, solver, dtype, variant):
    X, y = _data(estimator, dtype)
    model = estimator(hidden_layer_sizes=(3,), solver=solver, max_iter=4, random_state=0,
                      **VARIANTS[variant])
    return model.fit(X, y), X, y


def _param_bytes(model):
    arrays = [a for layer in model.coefs_ for a in layer.values()]
    return sum(a.nbytes for a in arrays + [model.out_coef_, model.out_intercept_])


def _assert_same_outputs(a, b, X):
    for out_a, out_b in zip(_outputs(a, X), _outputs(b, X)):
        assert_array_equal(out_a, out_b, strict=True)


def _pickle(model):
    return pickle.loads(pickle.dumps(model))


def _joblib(model):
    buffer = io.BytesIO()
    joblib.dump(model, buffer)
    buffer.seek(0)
    return joblib.load(buffer)


# Every solver family and every gate variant, each at least twice.
SOLVER_VARIANTS = [
    ("adam", "plain"), ("adam", "peephole+coupled"), ("sgd", "peephole"), ("sgd", "coupled"),
    ("lbfgs", "coupled"), ("lbfgs", "peephole+coupled"), ("CG", "plain"), ("CG", "peephole"),
]


@pytest.mark.parametrize("estimator", [LSTMRegressor, LSTMClassifier])
@pytest.mark.parametrize("solver, variant", SOLVER_VARIANTS)
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_round_trip_predicts_identically(estimator, solver, variant, dtype):
    model, X, _ = _fit(estimator, solver, dtype, variant)
    X_new = np.random.RandomState(1).normal(size=(3, 9, 2)).astype(dtype)
    ragged = [X_new[0], X_new[1, :4], X_new[2, :1]]
    for round_trip in (_pickle, _joblib):
        loaded = round_trip(model)
        assert loaded.out_coef_.dtype == dtype
        _assert_same_outputs(model, loaded, X)
        _assert_same_outputs(model, loaded, ragged)


@pytest.mark.parametrize("estimator", [LSTMRegressor, LSTMClassifier])
@pytest.mark.parametrize("solver", ["adam", "sgd"])
def test_loaded_model_continues_partial_fit_identically(estimator, solver):
    # The optimizer's moments, its step count and the shuffling RNG survive.
    model, X, y = _fit(estimator, solver, np.float64, "plain")
    loaded = _pickle(model)
    for m in (model, loaded):
        m.partial_fit(X, y).partial_fit(X[::-1], y[::-1])
    _assert_same_outputs(model, loaded, X)
    assert model.loss_curve_ == loaded.loss_curve_


def test_unfitted_estimators_pickle_small_and_equal():
    for estimator in (LSTMRegressor(), LSTMClassifier(class_weight="balanced")):
        data = pickle.dumps(estimator)
        assert len(data) < 2_000
        assert pickle.loads(data).get_params() == estimator.get_params()


def _size_bound(model):
    # Parameters once, plus for Adam two moment vectors of the same size (kept
    # so that partial_fit continues where it stopped; SGD keeps one velocity),
    # plus about 10 kB of bookkeeping: the RandomState that continues the
    # shuffling (~5.4 kB pickled), the loss curve, the label binarizer.
    return 4 * _param_bytes(model) + 10_000


@pytest.mark.parametrize("estimator", [LSTMRegressor, LSTMClassifier])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_pickle_holds_no_training_data(estimator, solver):
    small_X, small_y = _data(estimator, n=20, T=5)
    large_X, large_y = _data(estimator, n=400, T=60)  # 384 kB of training data
    # patch_length=1: the same weights whatever the sequences' length
    kw = dict(hidden_layer_sizes=(4,), solver=solver, max_iter=2, random_state=0,
              patch_length=1)
    small = estimator(**kw).fit(small_X, small_y)
    large = estimator(**kw).fit(large_X, large_y)
    n_small, n_large = len(pickle.dumps(small)), len(pickle.dumps(large))
    assert n_large < _size_bound(large)
    # Only the number of epochs run may change the size (one float each).
    assert abs(n_large - n_small) < 200, (n_small, n_large)


def test_pickle_size_of_a_64_unit_model():
    # The README quotes this size: 64 units, 1 input channel, 1 output, Adam.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(32, 10, 1))
    model = LSTMRegressor(hidden_layer_sizes=(64,), max_iter=2, random_state=0)
    model.fit(X, X[:, -1, 0])
    params = _param_bytes(model)
    assert params == (4 * 64 * (1 + 64 + 1) + 64 + 1) * 8  # 135,688 bytes
    size = len(pickle.dumps(model))
    assert 3 * params < size < _size_bound(model)


# -- skops -----------------------------------------------------------------------------------


def test_trusted_types_are_sklstm_types():
    names = trusted_types()
    assert names == sorted(names) and all(n.startswith("sklstm.") for n in names)
    assert "sklstm._regressor.LSTMRegressor" in names
    assert "sklstm._optimizers.AdamOptimizer" in names


@pytest.mark.parametrize("estimator", [LSTMRegressor, LSTMClassifier])
@pytest.mark.parametrize("solver", ["adam", "sgd", "lbfgs"])
def test_skops_round_trip_trusting_sklstm_types_by_name(estimator, solver, tmp_path):
    sio = pytest.importorskip("skops.io")
    from skops.io.exceptions import UntrustedTypesFoundException

    model, X, y = _fit(estimator, solver, np.float64, "peephole")
    path = tmp_path / "model.skops"
    sio.dump(model, path)

    untrusted = sio.get_untrusted_types(file=path)
    # Only sklstm's own types need trust; everything else skops knows.
    assert set(untrusted) <= set(trusted_types())
    assert f"{type(model).__module__}.{type(model).__qualname__}" in untrusted
    with pytest.raises(UntrustedTypesFoundException):
        sio.load(path)

    loaded = sio.load(path, trusted=untrusted)
    _assert_same_outputs(model, loaded, X)
    if solver != "lbfgs":
        for m in (model, loaded):
            m.partial_fit(X, y)
        _assert_same_outputs(model, loaded, X)


def _make_fixtures_module():
    spec = importlib.util.spec_from_file_location("make_fixtures", FIXTURES / "make_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["lstm_regressor", "lstm_classifier"])
def test_saved_fixture_loads_and_predicts_the_same(name):
    # If this fails after an intended change of the fitted state, regenerate
    # the fixtures with tests/fixtures/make_fixtures.py and say so in the
    # changelog: models saved by users will not load either.
    sio = pytest.importorskip("skops.io")
    fixtures = _make_fixtures_module()
    path = FIXTURES / f"{name}.skops"
    untrusted = sio.get_untrusted_types(file=path)
    assert set(untrusted) <= set(trusted_types())
    model = sio.load(path, trusted=untrusted)
    # Saved before patch_length existed: the loaded model keeps reading
    # every step on its own, whatever the parameter's default is now.
    expected_params = {**fixtures.fixture_models()[name].get_params(), "patch_length": 1}
    assert model.get_params() == expected_params
    assert model.patch_length_ == 1

    X, y, X_new = fixtures.fixture_data()
    expected = np.load(FIXTURES / f"{name}_expected.npy")
    # Tolerance only for another BLAS summing in another order.
    assert_allclose(fixtures.expected_output(model, X_new), expected, rtol=1e-10, atol=1e-12)
    target = y > 0 if name == "lstm_classifier" else y
    assert model.score(X, target) > 0.9  # still the model trained on these data


def test_every_public_estimator_is_trusted():
    """A new public estimator or forecaster must be added to trusted_types()."""
    import inspect

    import sklstm
    import sklstm.forecasting
    from sklearn.base import BaseEstimator

    public = [getattr(module, name) for module in (sklstm, sklstm.forecasting)
              for name in module.__all__]
    estimators = [cls for cls in public if inspect.isclass(cls) and issubclass(cls, BaseEstimator)]
    assert len(estimators) >= 5
    names = set(trusted_types())
    for cls in estimators:
        assert f"{cls.__module__}.{cls.__qualname__}" in names


def test_encoder_decoder_round_trips_through_skops(tmp_path):
    sio = pytest.importorskip("skops.io")
    from sklstm import LSTMEncoderDecoderRegressor

    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(30, 8, 2)), rng.normal(size=(30, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LSTMEncoderDecoderRegressor(
            hidden_layer_sizes=(3,), horizon=2, n_future_channels=1, solver="lbfgs", max_iter=3
        ).fit(X, y)
    path = tmp_path / "model.skops"
    sio.dump(model, path)
    assert set(sio.get_untrusted_types(file=path)) <= set(trusted_types())
    loaded = sio.load(path, trusted=trusted_types())
    np.testing.assert_array_equal(loaded.predict(X), model.predict(X))
