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
import weakref
from pathlib import Path
from unittest import mock

import joblib
import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm.forecasting import RecursiveForecaster
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


# Copies made by _tampered: saved unchecked, as a file edited after saving
# holds them (saving checks the state loading checks).
_DAMAGED = weakref.WeakSet()


def _saved(model, dumps):
    """``dumps(model)``; a :func:`_tampered` copy skips the check at saving."""
    if model not in _DAMAGED:
        return dumps(model)
    with mock.patch("sklstm._base.check_before_saving", lambda owner, check: None):
        return dumps(model)


def _pickle(model):
    return pickle.loads(_saved(model, pickle.dumps))


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
    # The README quotes such sizes: 64 units, 1 input channel, 1 output, Adam;
    # the 10 steps are one patch of 10 values.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(32, 10, 1))
    model = LSTMRegressor(hidden_layer_sizes=(64,), max_iter=2, random_state=0)
    model.fit(X, X[:, -1, 0])
    params = _param_bytes(model)
    assert model.patch_length_ == 10
    assert params == (4 * 64 * (10 + 64 + 1) + 64 + 1) * 8  # 154,120 bytes
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


def test_parameters_given_as_pandas_objects_save_as_sequences(tmp_path):
    """A Series of quantiles was saved by skops as pandas' internals, a file
    that then failed to load (and a pd.Index failed to save)."""
    sio = pytest.importorskip("skops.io")
    import pandas as pd

    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 6, 1))
    for quantiles in (pd.Series([0.1, 0.9]), pd.Index([0.1, 0.9]),
                      pd.Series([0.1, 0.9], dtype="float32")):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = LSTMRegressor(loss="quantile", quantiles=quantiles,
                                  hidden_layer_sizes=pd.Series([4]), max_iter=2,
                                  random_state=0).fit(X, X[:, -1, 0])
        path = tmp_path / "model.skops"
        sio.dump(model, path)
        assert set(sio.get_untrusted_types(file=path)) <= set(trusted_types())
        for loaded in (sio.load(path, trusted=trusted_types()),
                       pickle.loads(pickle.dumps(model))):
            assert_array_equal(loaded.quantiles, quantiles.to_numpy())  # float32 kept
            assert loaded.quantiles_.tolist() == [0.1, 0.9]
            assert list(loaded.hidden_layer_sizes) == [4]
            assert_array_equal(loaded.predict_quantiles(X), model.predict_quantiles(X))
        assert model.quantiles is quantiles  # the live model keeps what it was given


def test_an_encoder_decoder_with_patches_is_refused_at_load():
    """An edited patch_length_ loaded, then failed in the core at predict."""
    from sklstm import LSTMEncoderDecoderRegressor

    X = np.random.RandomState(0).normal(size=(30, 8, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LSTMEncoderDecoderRegressor(hidden_layer_sizes=(4,), horizon=2,
                                            max_iter=2).fit(X, X[:, -2:, 0])
    state = model.__getstate__()
    state["patch_length_"] = 2
    with pytest.raises(ValueError, match="patch_length_ must be 1 for an encoder-decoder, "
                                         "which reads every step; got 2"):
        pickle.loads(pickle.dumps(model)).__setstate__(state)


def test_a_loaded_encoder_decoder_holds_no_parameter_it_does_not_have():
    """A round trip added patch_length=1 to the instance, from the legacy
    defaults of the estimators whose parameter it is."""
    from sklstm import LSTMEncoderDecoderRegressor

    X = np.random.RandomState(0).normal(size=(30, 8, 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = LSTMEncoderDecoderRegressor(hidden_layer_sizes=(4,), horizon=2,
                                            max_iter=2).fit(X, X[:, -2:, 0])
    loaded = pickle.loads(pickle.dumps(model))
    assert set(vars(loaded)) == set(vars(model))
    assert "patch_length" not in vars(loaded)


# -- a loaded state is checked before it predicts -------------------------------------


def _tampered(model, **changes):
    """A copy of ``model`` whose fitted state is changed as a damaged or
    tampered file would hold it (None removes the attribute). Nothing is
    checked until the copy is loaded: the loaders save it unchecked."""
    import copy

    copied = copy.deepcopy(model)
    _DAMAGED.add(copied)
    for name, value in changes.items():
        if value is None:
            del copied.__dict__[name]
        else:
            copied.__dict__[name] = value
    return copied


def _skops(model):
    sio = pytest.importorskip("skops.io")
    data = _saved(model, sio.dumps)
    return sio.loads(data, trusted=sio.get_untrusted_types(data=data))


_LOADERS = [pytest.param(_pickle, id="pickle"), pytest.param(_skops, id="skops")]

# Each once loaded and predicted NaN or wrong values silently, or failed
# deep inside NumPy at predict. (name: value, exception, message).
_BAD_REGRESSOR_STATES = {
    "target_mean_ NaN": (dict(target_mean_=np.array([np.nan])), ValueError,
                         r"target_mean_ holds NaN"),
    "target_mean_ alone missing": (dict(target_mean_=None), ValueError,
                                   r"lacks the fitted attributes \['target_mean_'\]"),
    "target_scale_ missing": (dict(target_scale_=None), ValueError,
                              r"lacks the fitted attributes \['target_scale_'\]"),
    "quantiles_ missing": (dict(quantiles_=None), ValueError,
                           r"lacks the fitted attributes \['quantiles_'\]"),
    "target_scale_ of 3 outputs": (dict(target_scale_=np.ones(3)), ValueError,
                                   r"target_scale_ must have shape \(1,\).*n_outputs_=1"),
    "target_scale_ zero": (dict(target_scale_=np.zeros(1)), ValueError,
                           r"target_scale_ must be > 0"),
    "head of 2 outputs": (dict(out_coef_=np.ones((3, 2)), out_intercept_=np.zeros(2)),
                          ValueError, r"out_coef_ has 2 output column\(s\).*n_outputs_=1"),
    "quantiles_ on a squared-error head": (
        dict(quantiles_=np.array([0.1, 0.9])), ValueError,
        r"out_coef_ has 1 output column\(s\).*n_outputs_=1 × 2 quantiles_"),
    "quantiles_ not increasing": (dict(quantiles_=np.array([0.9, 0.1])), ValueError,
                                  r"quantiles_ must be None .* increasing"),
    "patch_length_ 0": (dict(patch_length_=0), ValueError, r"patch_length_ must be an int >= 1"),
    "patch_length_ auto": (dict(patch_length_="auto"), TypeError,
                           r"patch_length_ must be an int >= 1, got 'auto' \(str\)"),
    "input_mean_ scalar": (dict(input_mean_=0.0), TypeError,
                           r"input_mean_ must be a float32 or float64 NumPy array"),
    "input_mean_ of 3 channels": (dict(input_mean_=np.zeros(3)), ValueError,
                                  r"input_mean_ and input_scale_ must hold one value per "
                                  r"channel each, of the same shape; got \(3,\) and \(2,\)"),
    "input_scale_ zero": (dict(input_scale_=np.zeros(2)), ValueError,
                          r"input_scale_ must be > 0"),
    "out_coef_ int": (dict(out_coef_=np.ones((3, 1), dtype=np.int64)), TypeError,
                      r"out_coef_ must be a float32 or float64 NumPy array, got an array of "
                      r"dtype int64"),
    "coefs_ NaN": ("nan W", ValueError, r"coefs_\[0\]\['W'\] holds NaN"),
    "_fitted_architecture a list": (dict(_fitted_architecture=[1]), TypeError,
                                    r"_fitted_architecture must be a dict"),
    "_patch_alignment unknown": (dict(_patch_alignment="middle"), ValueError,
                                 r"_patch_alignment must be 'end' or 'start', got 'middle'"),
    "_patch_alignment an array": (dict(_patch_alignment=np.array(["end", "end"])), ValueError,
                                  r"_patch_alignment must be 'end' or 'start'"),
    # predict compared X with these without checking them: X has 12 features,
    # "but LSTMRegressor is expecting x features".
    "n_features_in_ text": (dict(n_features_in_="x"), TypeError,
                            r"n_features_in_ must be an int >= 1, got 'x'"),
    "n_features_in_ 0": (dict(n_features_in_=0), ValueError, r"n_features_in_ must be an int"),
    "n_features_in_ of other channels": (
        dict(n_features_in_=3), ValueError,
        r"n_features_in_ is 3, but the model was fitted on sequences of 2 channel\(s\)"),
    "feature_names_in_ of 3": (dict(feature_names_in_=np.array(["a", "b", "c"], dtype=object)),
                               ValueError, r"feature_names_in_ holds 3 names, but "
                                           r"n_features_in_ is 2"),
    "_fitted_on_table not a bool": (dict(_fitted_on_table="yes"), TypeError,
                                    r"_fitted_on_table must be a bool"),
    "feature_names_in_ text": (dict(feature_names_in_="ab"), TypeError,
                               r"feature_names_in_ must be a 1-D NumPy array of names, got str"),
}


@pytest.mark.parametrize("load", _LOADERS)
@pytest.mark.parametrize("case", list(_BAD_REGRESSOR_STATES))
def test_a_bad_loaded_regressor_state_is_refused_at_load_naming_the_attribute(case, load):
    model, X, _ = _fit(LSTMRegressor, "lbfgs", np.float64, "plain")
    changes, exc, match = _BAD_REGRESSOR_STATES[case]
    if changes == "nan W":
        W = model.coefs_[0]["W"].copy()
        W[0, 0] = np.nan
        changes = dict(coefs_=[{**model.coefs_[0], "W": W}])
    expected = model.predict(X)
    with pytest.raises(exc, match="The loaded state is not that of a fitted LSTMRegressor: .*"
                                  + match):
        load(_tampered(model, **changes))
    assert_array_equal(model.predict(X), expected)  # the saved model is untouched


def _table_model():
    table = np.random.RandomState(0).normal(size=(20, 6))  # 3 steps of 2 channels
    model = LSTMRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0,
                          n_channels=2).fit(table, table[:, 0])
    return model, table


def _encoder_decoder_model():
    from sklstm import LSTMEncoderDecoderRegressor

    rng = np.random.RandomState(0)
    X = rng.normal(size=(20, 7, 2))
    X[:, -2:, 0] = 0.0  # the horizon's steps: future covariates only
    model = LSTMEncoderDecoderRegressor(horizon=2, n_future_channels=1,
                                        hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    return model.fit(X, rng.normal(size=(20, 2))), X


# A parameter and its record edited alike, to a value fit refuses: each loaded
# and then predicted other numbers (read as another layout), or failed with a
# ZeroDivisionError at predict or load.
@pytest.mark.parametrize("load", _LOADERS)
@pytest.mark.parametrize("make, name, value, exc, match", [
    (_table_model, "column_order", "bogus", ValueError,
     r"column_order must be one of 'channel_major', 'time_major', got 'bogus'"),
    (_table_model, "newest_first", "yes", TypeError, r"newest_first must be True or False"),
    (_table_model, "n_channels", 0, ValueError, r"n_channels must be an int >= 1, got 0"),
    (_encoder_decoder_model, "decoder_state", "bogus", ValueError,
     r"decoder_state must be one of 'encoder', 'zeros'"),
    (_encoder_decoder_model, "horizon", 0, ValueError, r"horizon must be an int >= 1, got 0"),
])
def test_an_architecture_value_fit_refuses_is_refused_at_load(make, name, value, exc, match,
                                                              load):
    model, X = make()
    expected, original = model.predict(X), model.get_params()[name]
    record = {**model._fitted_architecture, name: value}
    with pytest.raises(exc, match=r"The loaded state is not that of a fitted "
                                  rf"{type(model).__name__}: _fitted_architecture: {match}"):
        load(_tampered(model, **{name: value, "_fitted_architecture": record}))
    # The parameter alone (set after fit): refused when saved, not when read.
    with pytest.raises(exc, match=rf"Cannot save this {type(model).__name__}, as loading "
                                  rf"would refuse its state: {type(model).__name__}: {match}"):
        pickle.dumps(model.set_params(**{name: value}))
    model.set_params(**{name: original})
    assert_array_equal(_pickle(model).predict(X), expected)


@pytest.mark.parametrize("load", _LOADERS)
@pytest.mark.parametrize("sizes", [3, [3], (3.0,), (0,), ()])
def test_a_recorded_hidden_size_fit_cannot_record_is_refused_at_load(sizes, load):
    # 3 failed with "'int' object is not iterable"; [3] loaded a model that
    # refused every predict ("fitted with [3], but ... is now (3,)"), also
    # after the advised set_params(hidden_layer_sizes=[3]).
    model, X, _ = _fit(LSTMRegressor, "adam", np.float64, "plain")
    record = {**model._fitted_architecture, "hidden_layer_sizes": sizes}
    with pytest.raises(TypeError, match=r"_fitted_architecture\['hidden_layer_sizes'\] must "
                                        r"be a tuple of positive ints, as fit records it"):
        load(_tampered(model, _fitted_architecture=record))


@pytest.mark.parametrize("load", _LOADERS)
@pytest.mark.parametrize("y_type, match", [
    ("garbage", r"_label_binarizer\.y_type_ must be one of 'binary', 'multiclass', "
                r"'multilabel-indicator' \(the fitted binarizer's\), got 'garbage'"),
    (None, r"_label_binarizer\.y_type_ must be one of .*got None"),
    # It predicted indicator rows instead of the labels.
    ("multilabel-indicator", r"y_type_ is 'multilabel-indicator', whose classes_ are the "
                             r"columns 0 \.\. k-1, but classes_ is \['high', 'low', 'mid'\]"),
])
def test_a_damaged_label_binarizer_is_refused_at_load(y_type, match, load):
    import copy

    model, X, _ = _fit(LSTMClassifier, "adam", np.float64, "plain")
    binarizer = copy.deepcopy(model._label_binarizer)
    if y_type is None:
        del binarizer.y_type_  # failed with AttributeError at load
    else:
        binarizer.y_type_ = y_type
    with pytest.raises(ValueError, match=match):
        load(_tampered(model, _label_binarizer=binarizer))


@pytest.mark.parametrize("load", _LOADERS)
def test_a_table_width_that_does_not_hold_the_channels_is_refused_at_load(load):
    rng = np.random.RandomState(0)
    table = rng.normal(size=(20, 9))  # 4 steps of 2 channels, then 1 exogenous column
    model = LSTMRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0, n_channels=2,
                          n_exog=1).fit(table, table[:, 0])
    assert_array_equal(load(model).predict(table), model.predict(table))
    with pytest.raises(ValueError, match=r"n_features_in_ is 8, but a table of 2 channel\(s\) "
                                         r"and n_exog=1 \(input_mean_ holds 3\) has n_exog plus "
                                         r"a positive multiple of 2 columns"):
        load(_tampered(model, n_features_in_=8))


@pytest.mark.parametrize("load", _LOADERS)
@pytest.mark.parametrize("classes, match", [
    (np.array(["a", "b", "c"]), r"classes_ holds 3 classes, which need 3 output\(s\), but the "
                                r"model was fitted with n_outputs_=1"),
    (np.array(["a"]), r"classes_ must hold at least 2 distinct labels, got \['a'\]"),
    (np.array(["a", "a"]), r"classes_ must hold at least 2 distinct labels"),
    (np.array(["lo", "hi"]), r"classes_ \['lo', 'hi'\] differs from the classes of "
                             r"_label_binarizer"),
])
def test_a_loaded_classifier_whose_classes_do_not_fit_its_head_is_refused(classes, match, load):
    X, y = _data(LSTMRegressor)
    model = LSTMClassifier(hidden_layer_sizes=(3,), solver="lbfgs", max_iter=3,
                           random_state=0).fit(X, np.where(y > 0, "hi", "lo"))
    assert model.n_outputs_ == 1
    with pytest.raises(ValueError, match=match):
        load(_tampered(model, classes_=classes))


@pytest.mark.parametrize("load", _LOADERS)
def test_a_model_saved_before_target_scaling_loads_only_without_all_three_names(load):
    """Models saved before target_mean_, target_scale_ and quantiles_ (one
    version brought all three) load as raw-target models; a state lacking
    only some of them is damaged, not old, and is refused."""
    model, X, _ = _fit(LSTMRegressor, "lbfgs", np.float64, "plain")
    raw = _tampered(model, target_mean_=np.zeros(1), target_scale_=np.ones(1))
    old = load(_tampered(raw, target_mean_=None, target_scale_=None, quantiles_=None))
    assert_array_equal(old.predict(X), raw.predict(X))
    for missing in ("target_mean_", "target_scale_", "quantiles_"):
        with pytest.raises(ValueError, match=rf"lacks the fitted attributes \['{missing}'\]"):
            load(_tampered(model, **{missing: None}))


@pytest.mark.parametrize("load", _LOADERS)
def test_a_model_saved_before_patches_were_aligned_to_the_end_reads_them_from_the_start(load):
    """Patches were aligned to each sequence's start until they were aligned
    to its end: a state without _patch_alignment keeps reading from the start,
    as an independent cut by hand (tests/test_patching.py) does."""
    from test_patching import _by_hand

    rng = np.random.RandomState(3)
    seqs = [rng.normal(size=(n, 2)) for n in (7, 5, 4, 2, 6)]
    y = np.array([s[-1, 0] for s in seqs])
    kw = dict(hidden_layer_sizes=(3,), standardize=False, max_iter=3, random_state=0)
    model = LSTMRegressor(patch_length=3, **kw).fit(seqs, y)
    old = load(_tampered(model, _patch_alignment=None))
    assert old._patch_alignment == "start"
    reference = LSTMRegressor(patch_length=1, **kw).fit(
        [_by_hand(s, 3, "start") for s in seqs], y)
    reference.coefs_, reference.out_coef_ = model.coefs_, model.out_coef_
    reference.out_intercept_ = model.out_intercept_
    reference.target_mean_, reference.target_scale_ = model.target_mean_, model.target_scale_
    assert_allclose(old.predict(seqs), reference.predict([_by_hand(s, 3, "start") for s in seqs]),
                    rtol=1e-12)
    # the same weights aligned to the end predict otherwise: the record matters
    assert not np.allclose(old.predict(seqs), model.predict(seqs))
    assert load(model)._patch_alignment == "end"


def _with_optimizer(model, name, value):
    """A copy of ``model`` whose saved optimizer state has ``name`` set to
    ``value``, saved unchecked by the loaders (see :func:`_tampered`)."""
    copied = _tampered(model)
    if isinstance(value, str) and value == "absent":
        delattr(copied._optimizer, name)
        return copied
    if isinstance(value, str) and value == "negative":  # of the right shape
        value = -np.ones_like(getattr(copied._optimizer, name))
    if isinstance(value, type):  # the saved values, in another dtype
        value = getattr(copied._optimizer, name).astype(value)
    setattr(copied._optimizer, name, value)
    return copied


@pytest.mark.parametrize("load", _LOADERS)
@pytest.mark.parametrize("solver, name, value, exc, match", [
    # A negative rate made partial_fit climb the loss silently; text failed
    # inside NumPy's arithmetic at the next step; a moment of another length
    # was dropped without notice.
    ("adam", "learning_rate_init", -1.0, ValueError,
     r"_optimizer: learning_rate_init must be a number > 0, got -1\.0"),
    ("adam", "epsilon", -1.0, ValueError, r"_optimizer: epsilon must be a number > 0"),
    ("adam", "beta_1", "x", TypeError, r"_optimizer: beta_1 must be a number >= 0 and < 1"),
    ("adam", "t", "3", TypeError, r"_optimizer: t must be an int >= 0, got '3'"),
    ("adam", "first_moment", np.zeros(3), ValueError,
     r"_optimizer: first_moment must have shape \(\d+,\), one value per weight of the model, "
     r"got \(3,\)"),
    ("adam", "second_moment", -np.ones(1), ValueError, r"_optimizer: second_moment must have "
                                                       r"shape"),
    ("adam", "second_moment", "negative", ValueError, r"_optimizer: second_moment must be >= 0 "
                                                      r"everywhere"),
    ("sgd", "momentum", 2.0, ValueError, r"_optimizer: momentum must be a number >= 0 and <= 1"),
    ("sgd", "lr_schedule", "cyclic", ValueError, r"_optimizer: lr_schedule must be one of"),
    ("sgd", "velocity", "v", TypeError, r"_optimizer: velocity must be a float32 or float64 "
                                        r"NumPy array, got str"),
    # float16 moments underflowed at the next step and passed for divergence;
    # long double ones trained on in their own precision.
    ("adam", "second_moment", np.float16, TypeError, r"_optimizer: second_moment must be a "
                                                     r"float32 or float64 NumPy array, got "
                                                     r"dtype float16"),
    ("adam", "first_moment", np.longdouble, TypeError, r"_optimizer: first_moment must be a "
                                                       r"float32 or float64"),
    ("sgd", "velocity", np.float16, TypeError, r"_optimizer: velocity must be a float32 or "
                                               r"float64 NumPy array, got dtype float16"),
    # An attribute missing raised a KeyError from the check's table.
    ("adam", "epsilon", "absent", ValueError, r"_optimizer lacks epsilon\.$"),
    ("sgd", "momentum", "absent", ValueError, r"_optimizer lacks momentum\.$"),
])
def test_a_damaged_optimizer_state_is_refused_at_load(solver, name, value, exc, match, load):
    model, X, y = _fit(LSTMRegressor, solver, np.float64, "plain")
    with pytest.raises(exc, match="The loaded state is not that of a fitted LSTMRegressor: "
                                  + match):
        load(_with_optimizer(model, name, value))


@pytest.mark.parametrize("cls", [LSTMRegressor, LSTMClassifier, RecursiveForecaster])
@pytest.mark.parametrize("state", [[1, 2], None, "coefs_"])
def test_a_saved_state_that_is_no_dict_is_refused(cls, state):
    # A list reached state.get (AttributeError), None an "in" (TypeError
    # "argument of type 'NoneType' is not iterable").
    with pytest.raises(TypeError, match=rf"The loaded state is not that of a fitted "
                                        rf"{cls.__name__}: a saved state is a dict of "
                                        rf"attributes, not {type(state).__name__}\.$"):
        cls.__new__(cls).__setstate__(state)


@pytest.mark.parametrize("load", _LOADERS)
@pytest.mark.parametrize("changes, exc, match", [
    (dict(t_="x"), TypeError, r"the training record: t_ must be an int >= 0, got 'x'"),
    (dict(n_iter_=-1), ValueError, r"the training record: n_iter_ must be an int >= 0"),
    (dict(best_loss_="x"), TypeError, r"the training record: best_loss_ must be a finite number"),
    (dict(_optimizer="adam"), TypeError, r"_optimizer must be the state of sklstm's Adam or "
                                         r"SGD, got str"),
    (dict(_rng="x"), TypeError, r"_rng must be a numpy RandomState, got str"),
    (dict(loss_curve_=["x"]), TypeError, r"loss_curve_ must be a list of finite numbers"),
    (dict(loss_curve_=[0.5, float("nan")]), TypeError, r"loss_curve_ must be a list of finite"),
    (dict(loss_curve_=[0.5, True]), TypeError, r"loss_curve_ must be a list of finite numbers"),
])
def test_a_damaged_training_record_is_refused_at_load(changes, exc, match, load):
    model, X, y = _fit(LSTMRegressor, "adam", np.float64, "plain")
    with pytest.raises(exc, match="The loaded state is not that of a fitted LSTMRegressor: "
                                  + match):
        load(_tampered(model, **changes))


def test_predict_does_not_check_the_training_record_it_never_reads():
    # Every predict checked the whole loss curve, one epoch at a time: after
    # 100,000 epochs of partial_fit a one-row predict took 0.1 s. partial_fit,
    # which continues the record, still checks it, and loading does too.
    model, X, y = _fit(LSTMRegressor, "adam", np.float64, "plain")
    expected = model.predict(X)
    model.loss_curve_ = model.loss_curve_ + ["x"]
    assert_array_equal(model.predict(X), expected)
    assert np.isfinite(model.score(X, y))
    with pytest.raises(TypeError, match="loss_curve_ must be a list of finite numbers"):
        model.partial_fit(X, y)
    assert model.loss_curve_[-1] == "x"  # the failed call changed nothing


def _rng_saved_as(model, **changes):
    """The saved state of ``model``'s generator, as a file holds it, with ``changes``."""
    from sklstm._fitted_state import saved_rng

    return {**saved_rng(model._rng), **changes}


@pytest.mark.parametrize("load", _LOADERS)
@pytest.mark.parametrize("change, exc, match", [
    # Saved as the generator object, a damaged key failed inside NumPy's
    # Mersenne Twister, and a position out of range loaded silently.
    (dict(key="int64"), TypeError, r"_rng: key must be a uint32 array of shape \(624,\), "
                                   r"got an array of dtype int64"),
    (dict(key="2-D"), TypeError, r"_rng: key must be a uint32 array of shape \(624,\)"),
    (dict(key="zeros"), ValueError, r"_rng: key is all zeros"),
    (dict(pos=625), ValueError, r"_rng: pos must be in \[0, 624\], got 625"),
    (dict(pos=-1), ValueError, r"_rng: pos must be in \[0, 624\], got -1"),
    (dict(pos=1.5), TypeError, r"_rng: pos must be an int, got float 1\.5"),
    (dict(has_gauss=2), ValueError, r"_rng: has_gauss must be in \[0, 1\], got 2"),
    (dict(cached_gaussian=float("nan")), ValueError, r"_rng: cached_gaussian must be a finite"),
    (dict(bit_generator="PCG64"), ValueError, r"_rng: bit_generator must be 'MT19937'"),
    (dict(extra=1), ValueError, r"_rng must hold the entries"),
])
def test_a_damaged_generator_state_is_refused_at_load(change, exc, match, load):
    model, X, y = _fit(LSTMRegressor, "adam", np.float64, "plain")
    (name, value), = change.items()
    key = model._rng.get_state()[1]
    value = {"int64": key.astype(np.int64), "2-D": key.reshape(2, -1),
             "zeros": np.zeros_like(key)}.get(value, value) if isinstance(value, str) else value
    with pytest.raises(exc, match="The loaded state is not that of a fitted LSTMRegressor: "
                                  + match):
        load(_tampered(model, _rng=_rng_saved_as(model, **{name: value})))


@pytest.mark.parametrize("load", _LOADERS)
def test_a_saved_generator_continues_partial_fit_exactly(load):
    model, X, y = _fit(LSTMRegressor, "adam", np.float64, "plain")
    loaded = load(model)
    assert isinstance(loaded._rng, np.random.RandomState)
    assert_array_equal(loaded.partial_fit(X, y).predict(X), model.partial_fit(X, y).predict(X))
    # A state saved with the generator object itself, as sklstm 0.1 saved
    # it, still loads.
    old = object.__new__(LSTMRegressor)
    old.__setstate__(dict(vars(model)))
    assert isinstance(old._rng, np.random.RandomState)


def test_moments_of_the_other_float_dtype_continue_in_the_weights_dtype():
    # Weights set by hand in float64 on a model fitted in float32 meet float32
    # moments: training goes on in the weights' precision.
    model, X, y = _fit(LSTMRegressor, "adam", np.float64, "plain")
    model._optimizer.first_moment = model._optimizer.first_moment.astype(np.float32)
    model.partial_fit(X, y)
    assert model._optimizer.first_moment.dtype == np.float64


def test_a_saved_optimizer_state_continues_partial_fit_exactly():
    model, X, y = _fit(LSTMRegressor, "adam", np.float64, "plain")
    loaded = _skops(model)
    assert_array_equal(loaded._optimizer.first_moment, model._optimizer.first_moment)
    assert_array_equal(loaded.partial_fit(X, y).predict(X), model.partial_fit(X, y).predict(X))


@pytest.mark.parametrize("save", [pickle.dumps, lambda model: _skops_dumps(model)],
                         ids=["pickle", "skops"])
@pytest.mark.parametrize("change, exc, match", [
    (lambda model: setattr(model, "loss_curve_", np.array(model.loss_curve_)), TypeError,
     r"loss_curve_ must be a list of finite numbers"),
    (lambda model: setattr(model, "best_loss_", None), TypeError,
     r"best_loss_ must be a finite number"),
    (lambda model: setattr(model, "target_scale_", -model.target_scale_), ValueError,
     r"target_scale_ must be > 0"),
], ids=["loss curve", "best loss", "target scale"])
def test_a_state_loading_would_refuse_is_refused_at_saving(change, exc, match, save):
    # Saved without a word, then refused wherever and whenever the file was
    # read: a fitted attribute set by hand that predict never reads.
    model, X, y = _fit(LSTMRegressor, "adam", np.float64, "plain")
    change(model)
    with pytest.raises(exc, match=r"Cannot save this LSTMRegressor, as loading would refuse its "
                                  r"state: .*" + match):
        save(model)


def test_weights_set_on_a_new_estimator_are_refused_at_saving_and_predict():
    # Saved without a word, then refused at load; predict listed private
    # names and asked whether it was saved from another class.
    model, X, y = _fit(LSTMRegressor, "adam", np.float64, "plain")
    new = LSTMRegressor(model.hidden_layer_sizes)
    new.coefs_ = model.coefs_
    match = r"This LSTMRegressor was never fitted.*fit it once \(max_iter=1 will do\)"
    for call in (lambda: pickle.dumps(new), lambda: new.predict(X)):
        with pytest.raises(ValueError, match=match) as caught:
            call()
        assert "'_" not in str(caught.value)  # no private names


def _skops_dumps(model):
    return pytest.importorskip("skops.io").dumps(model)
