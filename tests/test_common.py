"""scikit-learn's estimator checks, with no expected failures.

The checks run on small, fast instances (as sktime's ``get_test_params``
does): a few units and few epochs, which still learn the checks' easy
problems. The default instances are checked too, by the slow run.
"""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklstm import LSTMClassifier, LSTMRegressor

# Small enough to be fast, large enough to pass check_*_train's accuracy bars.
# check_regressors_train scores the training samples, whose noise the
# regressor's default early_stopping="auto" declines to learn: at this rate
# its 20 held-out samples chose epoch 10 (training R² 0.30, under the bar of
# 0.5). The default instance, "auto" included, is checked below.
FAST_PARAMS = dict(hidden_layer_sizes=(4,), max_iter=100, learning_rate_init=0.05,
                   early_stopping=False, random_state=0)


@parametrize_with_checks([LSTMRegressor(**FAST_PARAMS), LSTMClassifier(**FAST_PARAMS)])
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)


@pytest.mark.slow
@parametrize_with_checks([LSTMRegressor(), LSTMClassifier()])
def test_sklearn_compatible_default_estimator(estimator, check):
    check(estimator)


def test_per_step_models_tag_their_targets_honestly():
    """With return_sequences=True the tags still promised a 1-D y (and the
    classifier a multilabel indicator), both of which fit refuses: a target
    per step is a 2-D y."""
    for estimator in (LSTMRegressor(return_sequences=True), LSTMClassifier(return_sequences=True)):
        targets = estimator.__sklearn_tags__().target_tags
        assert not targets.single_output and targets.multi_output
    assert not LSTMClassifier(return_sequences=True).__sklearn_tags__().classifier_tags.multi_label
    # Per-sequence models keep theirs.
    assert LSTMRegressor().__sklearn_tags__().target_tags.single_output
    assert LSTMRegressor().__sklearn_tags__().target_tags.multi_output
    assert LSTMClassifier().__sklearn_tags__().classifier_tags.multi_label
