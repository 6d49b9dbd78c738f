"""MAPIE's conformal regressors wrap LSTMRegressor unmodified, with nominal coverage.

On 3-D sequences and on 2-D lag tables alike. MAPIE probes a fitted model
with ``predict(np.zeros((1, n_features_in_)))``; a model fitted on sequences
reads such a row as one step of its channels (see ``n_channels``).

MAPIE's split-conformal classifier compares ``X.shape[1]`` with
``n_features_in_``, which for 3-D sequences are the steps and the channels:
it takes the sequences as 2-D rows with ``n_channels`` (the README's route).
"""

import warnings

import numpy as np
import pytest

from sklstm import LSTMClassifier, LSTMRegressor

mapie_regression = pytest.importorskip("mapie.regression")

CONFIDENCE = 0.8
FAST = dict(hidden_layer_sizes=(4,), solver="lbfgs", max_iter=60, random_state=0)


def _task(n, seed=0, T=6, C=2):
    """Sequences whose target is a known function of their last steps plus N(0, 0.3²)."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, T, C))
    y = X[:, -1, 0] + 0.5 * X[:, -2, 1] + 0.3 * rng.normal(size=n)
    return X, y


def _coverage(intervals, y):
    lower, upper = intervals[:, 0, 0], intervals[:, 1, 0]
    return np.mean((y >= lower) & (y <= upper))


def _assert_nominal(coverage, n_test, n_calibration):
    # Split-conformal coverage is at least the nominal level, and at most
    # 1/(n_calibration + 1) above it; add three binomial standard errors.
    se = np.sqrt(CONFIDENCE * (1 - CONFIDENCE) / n_test)
    assert CONFIDENCE - 3 * se <= coverage <= CONFIDENCE + 1 / (n_calibration + 1) + 3 * se


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the short fits' iteration cap
        yield


@pytest.mark.parametrize("layout", ["3d", "table"])
@pytest.mark.parametrize("prefit", [True, False])
def test_split_conformal(layout, prefit):
    X, y = _task(900)
    params = dict(FAST)
    if layout == "table":  # (n, T*C), two channels per step, time-major
        X = X.reshape(len(X), -1)
        params["n_channels"] = 2
    train, calibrate, test = slice(0, 300), slice(300, 500), slice(500, None)
    model = LSTMRegressor(**params)
    if prefit:
        model.fit(X[train], y[train])
    conformal = mapie_regression.SplitConformalRegressor(
        model, confidence_level=CONFIDENCE, prefit=prefit
    )
    if not prefit:
        conformal.fit(X[train], y[train])
    conformal.conformalize(X[calibrate], y[calibrate])
    point, intervals = conformal.predict_interval(X[test])
    assert point.shape == (400,) and intervals.shape == (400, 2, 1)
    assert np.all(intervals[:, 0, 0] <= point) and np.all(point <= intervals[:, 1, 0])
    _assert_nominal(_coverage(intervals, y[test]), 400, 200)


def test_cross_conformal_on_sequences():
    X, y = _task(500, seed=1)
    conformal = mapie_regression.CrossConformalRegressor(
        LSTMRegressor(**FAST), confidence_level=CONFIDENCE, cv=3
    )
    conformal.fit_conformalize(X[:200], y[:200])
    _, intervals = conformal.predict_interval(X[200:])
    coverage = _coverage(intervals, y[200:])
    # CV+ guarantees 1 - 2 alpha; in practice it is close to the nominal level.
    se = np.sqrt(CONFIDENCE * (1 - CONFIDENCE) / 300)
    assert 1 - 2 * (1 - CONFIDENCE) - 3 * se <= coverage <= 1.0


def test_time_series_regressor_on_sequences():
    from mapie.subsample import BlockBootstrap

    X, y = _task(400, seed=2)
    regressor = mapie_regression.TimeSeriesRegressor(
        LSTMRegressor(**FAST), method="enbpi",
        cv=BlockBootstrap(n_resamplings=5, n_blocks=5, random_state=0),
    )
    regressor.fit(X[:200], y[:200])
    point, intervals = regressor.predict(X[200:], confidence_level=CONFIDENCE)
    assert point.shape == (200,) and intervals.shape == (200, 2, 1)
    coverage = _coverage(intervals, y[200:])
    se = np.sqrt(CONFIDENCE * (1 - CONFIDENCE) / 200)
    # EnbPI's coverage holds asymptotically; on exchangeable data it is close.
    assert CONFIDENCE - 4 * se <= coverage <= 1.0


def test_split_conformal_classifier_on_sequences_as_rows():
    mapie_classification = pytest.importorskip("mapie.classification")
    X, score = _task(900, seed=3)
    y = np.digitize(score, [-0.7, 0.7])  # three classes
    rows = X.reshape(len(X), -1)  # (n, T*C), two channels per step, time-major
    model = LSTMClassifier(**FAST, n_channels=2)
    conformal = mapie_classification.SplitConformalClassifier(
        model, confidence_level=CONFIDENCE, prefit=False
    )
    conformal.fit(rows[:300], y[:300]).conformalize(rows[300:500], y[300:500])
    point, sets = conformal.predict_set(rows[500:])
    assert point.shape == (400,) and sets.shape == (400, 3, 1)
    _assert_nominal(np.mean(sets[np.arange(400), y[500:], 0]), 400, 200)


def test_cross_conformal_classifier_on_sequences_of_different_lengths():
    # A table holds NaN only as missing values, so ragged sequences have no
    # rows route; MAPIE's cross-conformal classifier fits the model itself
    # and takes the NaN-padded 3-D array as it is.
    mapie_classification = pytest.importorskip("mapie.classification")
    X, _ = _task(600, seed=4)
    lengths = np.random.RandomState(4).randint(3, 7, size=len(X))
    for k, n_steps in enumerate(lengths):
        X[k, n_steps:] = np.nan
    # The class reads each sequence's own last two steps.
    last, before = X[np.arange(len(X)), lengths - 1], X[np.arange(len(X)), lengths - 2]
    y = np.digitize(last[:, 0] + 0.5 * before[:, 1], [-0.7, 0.7])
    # "aps": the default "lac" leaves a set empty wherever no class reaches
    # its threshold, which an accurate model's cross-conformal sets often do.
    conformal = mapie_classification.CrossConformalClassifier(
        LSTMClassifier(**FAST), confidence_level=CONFIDENCE, conformity_score="aps", cv=3,
        random_state=0,
    )
    conformal.fit_conformalize(X[:400], y[:400])
    point, sets = conformal.predict_set(X[400:])
    assert point.shape == (200,) and sets.shape == (200, 3, 1)
    assert np.mean(point == y[400:]) > 0.9  # each sequence read to its own end
    se = np.sqrt(CONFIDENCE * (1 - CONFIDENCE) / 200)
    assert np.mean(sets[np.arange(200), y[400:], 0]) >= CONFIDENCE - 3 * se
    assert sets[..., 0].sum(axis=1).mean() < 2  # the sets tell classes apart


def test_encoder_decoder_names_the_route_for_split_conformal():
    # MAPIE's fitted-model check predicts on one row of n_features_in_
    # values, one step, which an encoder-decoder cannot read: its error now
    # says so and gives the route, rows with n_channels, checked here.
    from sklstm import LSTMEncoderDecoderRegressor

    X, y = _task(700, seed=3)
    params = dict(FAST, horizon=1, n_future_channels=1)
    conformal = mapie_regression.SplitConformalRegressor(
        LSTMEncoderDecoderRegressor(**params), confidence_level=CONFIDENCE, prefit=False)
    conformal.fit(X[:300], y[:300])
    with pytest.raises(UserWarning, match=r"wrap an encoder-decoder fitted on 2-D rows"):
        conformal.conformalize(X[300:500], y[300:500])
    # TimeSeriesRegressor checks a model given fitted (cv="prefit") as well:
    # the message names it, and does not send its user back to it.
    series = mapie_regression.TimeSeriesRegressor(
        LSTMEncoderDecoderRegressor(**params).fit(X[:300], y[:300]), method="enbpi",
        cv="prefit")
    with pytest.raises(UserWarning, match=r"TimeSeriesRegressor with cv='prefit'\) by "
                                          r"predicting on one such row.*TimeSeriesRegressor "
                                          r"without cv='prefit'"):
        series.fit(X[:300], y[:300]).conformalize(X[300:500], y[300:500])
    # Sequences of one step are a user's own short input, not MAPIE's row.
    with pytest.raises(ValueError, match=r"sequences of 1 step\(s\)\.$"):
        LSTMEncoderDecoderRegressor(**params).fit(X[:300], y[:300]).predict(X[:5, :1])
    rows = X.reshape(len(X), -1)
    conformal = mapie_regression.SplitConformalRegressor(
        LSTMEncoderDecoderRegressor(**params, n_channels=X.shape[2]),
        confidence_level=CONFIDENCE, prefit=False)
    conformal.fit(rows[:300], y[:300]).conformalize(rows[300:500], y[300:500])
    _, intervals = conformal.predict_interval(rows[500:])
    _assert_nominal(_coverage(intervals, y[500:]), 200, 200)


def test_conformalized_quantile_regressor_takes_one_fitted_model_per_level():
    # MAPIE fits only the quantile regressors it knows by class; fitted
    # ones it takes as three models, lower, upper and median (the README's
    # route): each a quantile LSTM of one level.
    X, y = _task(900, seed=4)
    train, calibrate, test = slice(0, 300), slice(300, 500), slice(500, None)
    levels = ((1 - CONFIDENCE) / 2, (1 + CONFIDENCE) / 2, 0.5)
    models = [LSTMRegressor(**FAST, loss="quantile", quantiles=(level,)).fit(X[train], y[train])
              for level in levels]
    conformal = mapie_regression.ConformalizedQuantileRegressor(
        models, confidence_level=CONFIDENCE, prefit=True
    ).conformalize(X[calibrate], y[calibrate])
    point, intervals = conformal.predict_interval(X[test], symmetric_correction=True)
    np.testing.assert_allclose(point, models[2].predict(X[test]))
    assert np.all(intervals[:, 0, 0] <= intervals[:, 1, 0])
    _assert_nominal(_coverage(intervals, y[test]), 400, 200)
