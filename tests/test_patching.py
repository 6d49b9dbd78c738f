"""Patches: ``patch_length`` consecutive steps read by the LSTM as one step.

The reference is an independent reading: the same estimator with
``patch_length=1`` fitted on sequences cut into patches by hand. With
``standardize=False`` both see the same numbers and draw the same initial
weights, so every fitted weight and prediction must agree exactly.
"""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning

from sklstm import LSTMClassifier, LSTMRegressor
from sklstm.exceptions import NoRecurrenceWarning
from sklstm._patching import (
    AUTO_PATCH_MAX_STEPS, AUTO_PATCH_STEPS, AUTO_PATCH_WIDTH, auto_patch_length, fold_steps,
)


@pytest.fixture(autouse=True)
def _quiet():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        yield


def _by_hand(seq, p, align="end"):
    """One sequence (T, C) cut into patches (ceil(T/p), p*C): with align="end"
    zeros start the first patch and the last ends at the sequence's last step;
    with "start" zeros complete the last."""
    T, C = seq.shape
    lead = (-T) % p if align == "end" else 0
    steps = np.concatenate([np.zeros((lead, C)), seq])
    rows = []
    for start in range(0, len(steps), p):
        patch = np.zeros((p, C))
        chunk = steps[start:start + p]
        patch[: len(chunk)] = chunk
        rows.append(patch.ravel())  # step-major: the first step's channels first
    return np.array(rows)


def test_fold_steps_known_answer():
    values = np.arange(2 * 5 * 2, dtype=float).reshape(2, 5, 2)
    values[1, 3:] = 0.0  # sequence 1 has 3 real steps
    patches, lengths = fold_steps(values, np.array([5, 3]), 2)
    assert patches.shape == (2, 3, 4)
    # steps 0..4 of sequence 0 read (zero, 0), (1, 2), (3, 4): its last
    # patch ends at its last step; sequence 1 reads (zero, 0), (1, 2)
    assert_array_equal(patches[0], [[0, 0, 0, 1], [2, 3, 4, 5], [6, 7, 8, 9]])
    assert_array_equal(patches[1], [[0, 0, 10, 11], [12, 13, 14, 15], [0, 0, 0, 0]])
    assert_array_equal(lengths, [3, 2])
    # all sequences of the array's length: the same for lengths None
    assert_array_equal(fold_steps(values[:1], None, 2)[0], patches[:1])
    # aligned to the start, as models fitted before the end alignment read
    start, _ = fold_steps(values, np.array([5, 3]), 2, align="start")
    assert_array_equal(start[0], [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9, 0, 0]])
    assert_array_equal(start[1], [[10, 11, 12, 13], [14, 15, 0, 0], [0, 0, 0, 0]])
    for k, length in enumerate([5, 3]):
        assert_array_equal(patches[k, : -(-length // 2)], _by_hand(values[k, :length], 2))
        assert_array_equal(start[k, : -(-length // 2)],
                           _by_hand(values[k, :length], 2, "start"))
    same, none = fold_steps(values, None, 1)
    assert same is values and none is None


@pytest.mark.parametrize("align", ["end", "start"])
def test_whole_patches_are_a_view_of_the_steps(align):
    # Where no zero step completes a patch the patches are the steps
    # regrouped: no copy of X (a fit and a predict each made one).
    rng = np.random.RandomState(0)
    values = rng.normal(size=(3, 6, 2))
    values[2, 4:] = 0.0  # a ragged sequence of 4 steps: whole patches of 2
    for lengths in (None, np.array([6, 6, 4])):
        patches, _ = fold_steps(values, lengths, 2, align=align)
        assert np.shares_memory(patches, values)
        for k in range(3):
            length = 6 if lengths is None else lengths[k]
            assert_array_equal(patches[k, : length // 2], _by_hand(values[k, :length], 2, align))
    # A sequence of 3 steps aligned to its end needs a zero step first: a
    # new array (aligned to the start, the padding after it completes it).
    values[2, 3:] = 0.0
    patches, _ = fold_steps(values, np.array([6, 6, 3]), 2, align=align)
    assert np.shares_memory(patches, values) == (align == "start")
    assert_array_equal(patches[2, :2], _by_hand(values[2, :3], 2, align))


@pytest.mark.parametrize("n_timesteps, expected", [(1, 1), (16, 1), (17, 2), (251, 16), (1460, 92)])
@pytest.mark.parametrize("n_channels", [1, 6])
def test_auto_patch_length_aiming_at_steps(n_timesteps, n_channels, expected):
    assert auto_patch_length(n_timesteps, n_channels, "steps") == expected
    assert -(-n_timesteps // expected) <= AUTO_PATCH_STEPS


@pytest.mark.parametrize("n_timesteps, n_channels, expected", [
    (1, 1, 1), (24, 1, 24), (64, 1, 64), (65, 1, 64), (1460, 1, 64),  # univariate
    (100, 6, 10), (26, 12, 5), (8, 8, 8), (3, 8, 3),                  # several channels
    (32, 64, 1), (32, 100, 1),                                         # wider than a patch
    (1000, 40, 32), (1000, 64, 32), (50, 100, 2),                      # ... and long
])
def test_auto_patch_length_aiming_at_width(n_timesteps, n_channels, expected):
    assert auto_patch_length(n_timesteps, n_channels, "width") == expected
    # a patch holds at most AUTO_PATCH_WIDTH values, unless one step is wider
    # or that would make more than AUTO_PATCH_MAX_STEPS LSTM steps
    n_steps = -(-n_timesteps // expected)
    assert n_steps <= AUTO_PATCH_MAX_STEPS
    assert (expected * n_channels <= max(AUTO_PATCH_WIDTH, n_channels)
            or expected == -(-n_timesteps // AUTO_PATCH_MAX_STEPS))


@pytest.mark.parametrize("cls", [LSTMRegressor, LSTMClassifier])
@pytest.mark.parametrize("p", [2, 3])
def test_patches_equal_a_model_fitted_on_patches_by_hand(cls, p):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 7, 2))
    y = X[:, :, 0].sum(1) if cls is LSTMRegressor else (X[:, -1, 1] > 0).astype(int)
    kw = dict(hidden_layer_sizes=(4, 3), standardize=False, max_iter=4, random_state=0)
    model = cls(patch_length=p, **kw).fit(X, y)
    by_hand = np.array([_by_hand(s, p) for s in X])
    reference = cls(patch_length=1, **kw).fit(by_hand, y)
    assert model.patch_length_ == p
    assert model.coefs_[0]["W"].shape[0] == 2 * p
    assert_allclose(model.out_coef_, reference.out_coef_, rtol=1e-12)
    X_new = rng.normal(size=(6, 8, 2))
    assert_allclose(model.predict(X_new), reference.predict(np.array([_by_hand(s, p) for s in X_new])),
                    rtol=1e-12)


def test_variable_lengths_end_in_their_own_last_patch():
    rng = np.random.RandomState(1)
    seqs = [rng.normal(size=(n, 2)) for n in (7, 5, 3, 1, 6, 2)]
    y = np.array([s[:, 0].sum() for s in seqs])
    kw = dict(hidden_layer_sizes=(3,), standardize=False, max_iter=3, random_state=0)
    model = LSTMRegressor(patch_length=3, **kw).fit(seqs, y)
    reference = LSTMRegressor(patch_length=1, **kw).fit([_by_hand(s, 3) for s in seqs], y)
    assert_allclose(model.predict(seqs), reference.predict([_by_hand(s, 3) for s in seqs]),
                    rtol=1e-12)
    # Padding never reaches a sequence's state: alone or in a batch, the same.
    alone = np.concatenate([model.predict([s]) for s in seqs])
    assert_allclose(model.predict(seqs), alone, rtol=1e-12)


@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
def test_auto_reads_patches_of_about_64_values(Estimator):
    rng = np.random.RandomState(5)
    kw = dict(hidden_layer_sizes=(3,), max_iter=2, random_state=0)

    def fitted(X, n=10, **params):
        y = np.arange(n) % 2
        return Estimator(**kw, **params).fit(X, y if Estimator is LSTMClassifier else y * 1.0)

    for shape, expected in [((10, 150, 1), 64), ((10, 40, 1), 40), ((10, 100, 6), 10),
                            ((10, 2000, 1), 64),
                            # at most 32 LSTM steps: ceil(T / 32) steps a patch
                            ((10, 3000, 1), 94), ((10, 100, 64), 4)]:
        assert fitted(rng.normal(size=shape)).patch_length_ == expected
    # the channels of a table's rows count
    assert fitted(rng.normal(size=(10, 60)), n_channels=4).patch_length_ == 15
    # the longest sequence of a ragged list decides
    ragged = [rng.normal(size=(n, 1)) for n in (5, 33, 10, 7)]
    assert fitted(ragged, n=4).patch_length_ == 33
    per_step = Estimator(return_sequences=True, **kw).fit(
        rng.normal(size=(10, 150, 1)), np.tile(np.arange(10)[:, None] % 2, 150))
    assert per_step.patch_length_ == 1


def test_fitted_patch_length_holds_for_other_lengths_and_continued_fits():
    rng = np.random.RandomState(3)
    X = rng.normal(size=(12, 40, 1))
    model = LSTMRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0)
    model.fit(X, X[:, 0, 0])
    assert model.predict(X[:, :10]).shape == (12,)  # shorter sequences, same patches
    assert model.patch_length_ == 40
    model.set_params(warm_start=True).fit(X[:, :20], X[:, 0, 0])
    assert model.patch_length_ == 40  # not the 20 of the rule over 20 steps
    model.partial_fit(X[:, :5], X[:, 0, 0])
    assert model.patch_length_ == 40


def test_return_sequences_with_patches_is_refused():
    X = np.zeros((4, 6, 1))
    with pytest.raises(ValueError, match="patch_length=2 cannot be combined with return_sequences"):
        LSTMRegressor(patch_length=2, return_sequences=True).fit(X, X[..., 0])


@pytest.mark.parametrize("value, error", [(0, ValueError), (-1, ValueError), (1.5, TypeError),
                                           ("big", ValueError), (True, TypeError)])
def test_invalid_patch_length_is_named(value, error):
    with pytest.raises(error, match="patch_length"):
        LSTMRegressor(patch_length=value).fit(np.zeros((4, 6, 1)), np.zeros(4))


def test_changing_patch_length_after_fit_is_refused_and_changes_nothing():
    rng = np.random.RandomState(4)
    X = rng.normal(size=(10, 20, 1))
    model = LSTMRegressor(hidden_layer_sizes=(3,), max_iter=2, random_state=0).fit(X, X[:, 0, 0])
    before = model.predict(X)
    model.set_params(patch_length=1)
    with pytest.raises(ValueError, match="patch_length='auto'"):
        model.predict(X)
    model.set_params(patch_length="auto")
    assert_array_equal(model.predict(X), before)


def test_ragged_sequences_end_in_the_same_place_of_their_last_patch():
    """The label is the sign of each sequence's last value, lengths 8 to 40.
    The classifier's default reads each sequence as one patch of 40 steps;
    patches aligned to each sequence's start put that value at a different
    place for every length (accuracy 0.5, chance); aligned to its end, at the
    same place."""
    rng = np.random.default_rng(0)

    def sample(n):
        X = [rng.normal(size=(rng.integers(8, 41), 1)) for _ in range(n)]
        return X, np.array([int(s[-1, 0] > 0) for s in X])

    X, y = sample(200)
    model = LSTMClassifier(random_state=0).fit(X, y)
    assert model.patch_length_ == 40
    X_new, y_new = sample(200)
    assert model.score(X_new, y_new) > 0.75


@pytest.mark.parametrize("params, named", [
    ({"bidirectional": True}, "bidirectional=True needs"),
    ({"recurrent_dropout": 0.3}, "recurrent_dropout=0.3 needs"),
    ({"coupled_gates": True}, "coupled_gates=True needs"),
    ({"gate_variant": "NFG"}, "gate_variant='NFG' needs"),
    ({"gate_variant": "FGR", "recurrent_dropout": 0.1},
     "recurrent_dropout=0.1, gate_variant='FGR' need"),
])
@pytest.mark.parametrize("Estimator", [LSTMRegressor, LSTMClassifier])
def test_settings_of_the_recurrence_on_one_lstm_step_warn(Estimator, params, named):
    rng = np.random.RandomState(6)
    X = rng.normal(size=(12, 6, 1))
    y = np.arange(12) % 2
    model = Estimator(hidden_layer_sizes=(3,), max_iter=2, random_state=0, **params)
    with pytest.warns(NoRecurrenceWarning, match=re.escape(named) + r" a recurrence to act "
                      r"on, but every training sequence is one LSTM step "
                      r"\(patch_length_=6 reads each as one patch\).* Set patch_length=1"):
        model.fit(X, y)
    # Read step by step there is a recurrence to act on: quiet.
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoRecurrenceWarning)
        clone(model).set_params(patch_length=1).fit(X, y)
        # Peepholes act on one step (the output gate reads the current cell).
        Estimator(hidden_layer_sizes=(3,), max_iter=2, peephole=True).fit(X, y)
    # Sequences of one step: no patch can help.
    with pytest.warns(NoRecurrenceWarning, match=r"\(each is one step long\).* They need "
                      r"sequences of several steps\.$"):
        clone(model).set_params(n_channels=6).fit(X[:, :, 0], y)


def test_recurrent_dropout_changes_nothing_on_one_lstm_step():
    # What NoRecurrenceWarning says: the mask multiplies a zero state. (Its
    # masks still draw from the random stream: rate 0 fits otherwise.)
    rng = np.random.RandomState(7)
    X = rng.normal(size=(40, 6, 1))
    y = X[:, -2:, 0].sum(axis=1)
    predictions = []
    for rate in (0.3, 0.9):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = LSTMRegressor((3,), recurrent_dropout=rate, max_iter=3, random_state=0)
            predictions.append(model.fit(X, y).predict(X))
    np.testing.assert_array_equal(*predictions)


def _quiet_fit(model, X, y, **fit_params):
    """``model.fit``, failing on a NoRecurrenceWarning (others ignored)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", NoRecurrenceWarning)
        return model.fit(X, y, **fit_params)


def test_the_recurrence_warning_counts_the_sequences_that_train():
    """What trains decides, as for the patches: the same 12-step sequences
    warn padded 100 wide, beside a longer one of weight 0, or beside a
    longer one held out; a continuation does not where a fit it continues
    trained the recurrence, and does where none did (recurrent_dropout set
    since: a warm start or partial_fit was quiet, the fresh fit not)."""
    rng = np.random.RandomState(8)
    X = rng.normal(size=(40, 100, 1))
    X[:, 12:] = np.nan  # 12 real steps, padded to 100
    y = np.nan_to_num(X[:, :12, 0]).sum(axis=1)
    params = dict(hidden_layer_sizes=(3,), max_iter=2, random_state=0, bidirectional=True)
    with pytest.warns(NoRecurrenceWarning, match=r"patch_length_=12 reads each"):
        LSTMRegressor(**params).fit(X, y)
    longer = X.copy()
    longer[0] = rng.normal(size=(100, 1))
    weights = np.ones(40)
    weights[0] = 0.0
    with pytest.warns(NoRecurrenceWarning, match=r"patch_length_=12 reads each"):
        LSTMRegressor(**params).fit(longer, y, sample_weight=weights)
    held_out = np.roll(longer, -1, axis=0)  # the longer one last: the tail held out
    with pytest.warns(NoRecurrenceWarning, match=r"patch_length_=12 reads each"):
        LSTMRegressor(**params, early_stopping=True, validation_split="tail").fit(
            held_out, np.roll(y, -1))
    # Fitted on 100 steps (2 LSTM steps), continued on the 12-step ones: quiet.
    model = _quiet_fit(LSTMRegressor(**params), longer, y)
    assert model.patch_length_ == 64
    _quiet_fit(model.set_params(warm_start=True), X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoRecurrenceWarning)
        model.partial_fit(X, y)
    # Fitted on one LSTM step each, without a recurrent setting: quiet; then
    # continued with one, which reads nothing still.
    model = _quiet_fit(LSTMRegressor((3,), max_iter=2, random_state=0), X, y)
    model.set_params(recurrent_dropout=0.3, warm_start=True)
    continued = r"recurrent_dropout=0.3 needs a recurrence.*Refit with patch_length=1"
    with pytest.warns(NoRecurrenceWarning, match=continued):
        model.fit(X, y)
    with pytest.warns(NoRecurrenceWarning, match=continued):
        model.partial_fit(X, y)
    # The other settings cannot change after a fit, which warned of them:
    # a stream of partial_fit calls is not told again at each.
    model = LSTMRegressor((3,), max_iter=2, random_state=0, bidirectional=True)
    with pytest.warns(NoRecurrenceWarning, match="bidirectional=True"):
        model.partial_fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoRecurrenceWarning)
        model.partial_fit(X, y)


def test_longer_sequences_than_one_trained_lstm_step_warn_at_predict():
    """A model fitted on sequences of one LSTM step each never trained its
    recurrent weights (no gradient reaches them through a zero previous
    state); predicting sequences of more LSTM steps reads through them."""
    rng = np.random.RandomState(9)
    X = rng.normal(size=(40, 12, 1))
    y = X[:, -2:, 0].sum(axis=1)
    model = _quiet_fit(LSTMRegressor((3,), max_iter=2, random_state=0), X, y)
    assert model.patch_length_ == 12
    longer = rng.normal(size=(5, 30, 1))
    with pytest.warns(NoRecurrenceWarning, match=r"^This model was fitted on sequences of one "
                      r"LSTM step each \(patch_length_=12\), so no gradient of its loss "
                      r"reached its recurrent weights \(nor its forget gate's\); X holds "
                      r"sequences of up to 30 steps, read as 3 LSTM steps through them\. Refit "
                      r"with patch_length=1, or on sequences as long as these\.$"):
        predicted = model.predict(longer)
    ragged = [rng.normal(size=(n, 1)) for n in (13, 5)]
    with pytest.warns(NoRecurrenceWarning, match=r"up to 13 steps, read as 2 LSTM steps"):
        model.predict(ragged)
    # A model saved before the count was kept loads without it: unknown, quiet.
    state = model.__getstate__()
    del state["_trained_lstm_steps"]
    saved_before = LSTMRegressor.__new__(LSTMRegressor)
    saved_before.__setstate__(state)
    with warnings.catch_warnings():
        warnings.simplefilter("error", NoRecurrenceWarning)
        assert_array_equal(saved_before.predict(longer), predicted)
        model.predict(X)  # one patch each: quiet
        model.predict(X[:, :5])
        # Padded 30 wide, the real steps decide.
        padded = np.full((5, 30, 1), np.nan)
        padded[:, :12] = X[:5]
        model.predict(padded)
        # Trained on two LSTM steps, the recurrence has learnt: quiet.
        stepwise = _quiet_fit(LSTMRegressor((3,), max_iter=2, patch_length=6,
                                            random_state=0), X, y)
        stepwise.predict(longer)
        # A continuation on 30-step sequences trains it: quiet since, also
        # after one more on the 12-step ones.
        model.partial_fit(rng.normal(size=(40, 30, 1)), y)
        model.partial_fit(X, y)
        model.predict(longer)
    # A loaded count is checked like the rest of the fitted state.
    saved_before._trained_lstm_steps = "x"
    with pytest.raises(TypeError, match=r"_trained_lstm_steps must be an int >= 1, got 'x' "
                       r"\(str\)"):
        saved_before.predict(X)
    saved_before._trained_lstm_steps = 0
    with pytest.raises(ValueError, match=r"_trained_lstm_steps must be an int >= 1, got 0"):
        saved_before.predict(X)
