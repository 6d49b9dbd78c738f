"""Every solver, through the estimators: quality, names, options, limits.

The task has a known answer: ``y`` is the sum of a sequence's last two
values, so a network that reads the sequence well explains nearly all of
the variance (R² near 1), and one that does not explains none of it.
"""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.preprocessing import LabelBinarizer

import sklstm._training
from sklstm import LSTMClassifier, LSTMRegressor
from sklstm._loss import Network, Objective, loss_and_grad
from sklstm._params import ParamLayout
from sklstm.exceptions import IterationLimitWarning

SCIPY_METHODS = [
    "L-BFGS-B", "BFGS", "CG", "Newton-CG", "TNC", "SLSQP", "trust-constr", "trust-ncg",
    "trust-krylov",
]
STOCHASTIC = [
    pytest.param("adam", {}, id="adam"),
    pytest.param("sgd", {"learning_rate": "constant"}, id="sgd-constant"),
    pytest.param("sgd", {"learning_rate": "invscaling"}, id="sgd-invscaling"),
    pytest.param("sgd", {"learning_rate": "adaptive"}, id="sgd-adaptive"),
]
ALL_SOLVERS = STOCHASTIC + [pytest.param(m, {}, id=m) for m in ["lbfgs", *SCIPY_METHODS]]


def sum_of_last_two(n_samples=64, n_steps=4, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(n_samples, n_steps, 1))
    return X, X[:, -2:, 0].sum(axis=1)


# Held-out R² thresholds: the lowest R² measured over random_state 0..5 with
# these settings, less a margin of about 0.05, so that a change of rounding
# (e.g. in the core) cannot fail the test while a broken solver (R² ≈ 0) does.
# The targets are near-standard already (mean 0, std 0.8); the fits use
# scale_targets=False, the problem on which the thresholds were measured.
QUALITY = [
    pytest.param("adam", dict(learning_rate_init=0.05, max_iter=50, batch_size=20), 0.78,
                 id="adam"),
    pytest.param("sgd", dict(learning_rate="constant", learning_rate_init=0.3, max_iter=50,
                             batch_size=20), 0.83, id="sgd-constant"),
    pytest.param("sgd", dict(learning_rate="invscaling", learning_rate_init=2.0, power_t=0.25,
                             max_iter=50, batch_size=20), 0.75, id="sgd-invscaling"),
    pytest.param("sgd", dict(learning_rate="adaptive", learning_rate_init=0.3, max_iter=50,
                             batch_size=20), 0.83, id="sgd-adaptive"),
    pytest.param("lbfgs", dict(max_iter=50), 0.87, id="lbfgs"),
    pytest.param("L-BFGS-B", dict(max_iter=50), 0.87, id="L-BFGS-B"),
    pytest.param("BFGS", dict(max_iter=50), 0.82, id="BFGS"),
    pytest.param("CG", dict(max_iter=50), 0.89, id="CG"),
    pytest.param("TNC", dict(max_iter=25), 0.92, id="TNC"),
    pytest.param("SLSQP", dict(max_iter=50), 0.87, id="SLSQP"),
    pytest.param("trust-constr", dict(max_iter=40), 0.82, id="trust-constr"),
    pytest.param("Newton-CG", dict(max_iter=12), 0.85, id="Newton-CG"),
    pytest.param("trust-ncg", dict(max_iter=12), 0.75, id="trust-ncg"),
    pytest.param("trust-krylov", dict(max_iter=12), 0.89, id="trust-krylov"),
]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("solver, params, threshold", QUALITY)
def test_every_solver_learns_the_sum_of_the_last_two_steps(solver, params, threshold):
    X, y = sum_of_last_two()
    X_train, y_train, X_test, y_test = X[:40], y[:40], X[40:], y[40:]
    model = LSTMRegressor((3,), solver=solver, random_state=0, scale_targets=False, **params)
    model.fit(X_train, y_train)
    assert model.score(X_test, y_test) > threshold
    # the training loss went down (first recorded loss vs the last)
    assert model.loss_curve_[-1] < 0.5 * model.loss_curve_[0]


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_learning_rate_schedules_change_the_rate():
    X, y = sum_of_last_two(n_samples=20)
    common = dict(solver="sgd", learning_rate_init=0.2, batch_size=10, random_state=0)
    constant = LSTMRegressor((2,), learning_rate="constant", max_iter=5, **common).fit(X, y)
    assert constant._optimizer.learning_rate == 0.2
    inv = LSTMRegressor((2,), learning_rate="invscaling", power_t=0.5, max_iter=5, **common)
    inv.fit(X, y)
    assert inv.t_ == 5 * 20
    assert inv._optimizer.learning_rate == pytest.approx(0.2 / (inv.t_ + 1) ** 0.5)
    # "adaptive" divides the rate by 5 each time the loss stalls for
    # n_iter_no_change epochs; a huge tol makes every epoch a stall.
    adaptive = LSTMRegressor((2,), learning_rate="adaptive", tol=1e3, n_iter_no_change=1,
                             max_iter=6, **common).fit(X, y)
    assert adaptive.n_iter_ == 6
    assert adaptive._optimizer.learning_rate == pytest.approx(0.2 / 5**2)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_lbfgs_is_L_BFGS_B_and_scipy_names_ignore_case():
    X, y = sum_of_last_two(n_samples=20)
    fits = [
        LSTMRegressor((2,), solver=name, max_iter=5, random_state=0).fit(X, y)
        for name in ("lbfgs", "L-BFGS-B", "l-bfgs-b")
    ]
    for other in fits[1:]:
        np.testing.assert_array_equal(other.out_coef_, fits[0].out_coef_)
        np.testing.assert_array_equal(other.coefs_[0]["R"], fits[0].coefs_[0]["R"])


@pytest.mark.parametrize(
    "solver, message",
    [
        ("Nelder-Mead", "derivative-free"),
        ("Powell", "derivative-free"),
        ("dogleg", "full Hessian"),
        ("trust-exact", "full Hessian"),
        ("bogus", "LSTMRegressor: unknown solver 'bogus'"),
        # the stochastic solvers' names are exact, as scikit-learn's are
        ("Adam", "unknown solver 'Adam': use 'adam', 'sgd', 'lbfgs' or a gradient-based method "
                 "of scipy.optimize.minimize such as 'L-BFGS-B', 'BFGS', 'CG', 'Newton-CG', "
                 "'TNC', 'SLSQP' or 'trust-constr'. The stochastic solvers are named in lower "
                 "case: solver='adam'."),
    ],
)
def test_unsupported_solver_names_raise(solver, message):
    X, y = sum_of_last_two(n_samples=10)
    with pytest.raises(ValueError, match=re.escape(message)):
        LSTMRegressor((2,), solver=solver).fit(X, y)
    # and no partial_fit for them
    assert not hasattr(LSTMRegressor(solver=solver), "partial_fit")


def test_solver_options_pass_through_to_scipy():
    X, y = sum_of_last_two(n_samples=20)
    model = LSTMRegressor((2,), solver="BFGS", max_iter=50, tol=0.0, random_state=0,
                          solver_options={"maxiter": 3})
    # scipy's own message: the limit came from the option, not from max_iter
    with pytest.warns(IterationLimitWarning, match="Maximum number of iterations has been exceeded"):
        model.fit(X, y)
    assert model.n_iter_ == 3
    # options override those derived from tol: a huge gtol stops at once,
    # "converged" on weights no better than the targets' mean
    with pytest.warns(ConvergenceWarning, match="no better than that of a constant"):
        quick = LSTMRegressor((2,), solver="L-BFGS-B", tol=0.0, random_state=0,
                              solver_options={"gtol": 1e3}).fit(X, y)
    assert quick.n_iter_ == 1


def test_max_iter_still_caps_a_larger_maxiter_option():
    X, y = sum_of_last_two(n_samples=20)
    model = LSTMRegressor((2,), solver="CG", max_iter=4, tol=0.0, random_state=0,
                          solver_options={"maxiter": 100})
    with pytest.warns(IterationLimitWarning, match="max_iter=4"):
        model.fit(X, y)
    assert model.n_iter_ == 4


@pytest.mark.parametrize("solver, params", ALL_SOLVERS)
def test_max_iter_is_honoured_with_an_iteration_limit_warning(solver, params):
    """Every solver warns with IterationLimitWarning (a ConvergenceWarning), so
    that callers can filter the cap by category instead of by message text."""
    assert issubclass(IterationLimitWarning, ConvergenceWarning)
    X, y = sum_of_last_two(n_samples=20)
    model = LSTMRegressor((2,), solver=solver, max_iter=2, tol=0.0, random_state=0,
                          batch_size=10, **params)
    with pytest.warns(IterationLimitWarning):
        model.fit(X, y)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        warnings.simplefilter("ignore", IterationLimitWarning)
        clone(model).fit(X, y)
    assert 1 <= model.n_iter_ <= 2
    assert len(model.loss_curve_) == model.n_iter_
    assert np.all(np.isfinite(model.predict(X)))


@pytest.mark.parametrize("solver", ["L-BFGS-B", "TNC"])
def test_max_fun_limits_loss_evaluations(solver, monkeypatch):
    X, y = sum_of_last_two(n_samples=20)
    calls = []
    real = sklstm._training.full_batch_loss_and_grad  # the scipy solvers' objective

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(sklstm._training, "full_batch_loss_and_grad", counting)
    # scale_targets=False: the problem on which the bound below was measured
    model = LSTMRegressor((2,), solver=solver, max_iter=100, max_fun=6, tol=0.0, random_state=0,
                          scale_targets=False)
    with pytest.warns(IterationLimitWarning, match="(?i)evaluations"):
        model.fit(X, y)
    # one evaluation checks the initial weights; scipy stops once it has
    # *exceeded* maxfun, so at most one more than max_fun on its side
    assert len(calls) <= 6 + 2
    assert model.n_iter_ < 6
    calls.clear()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        LSTMRegressor((2,), solver=solver, max_iter=12, tol=0.0, random_state=0).fit(X, y)
    assert len(calls) > 6 + 2 + 4  # without the limit it evaluates more


@pytest.mark.parametrize("max_iter, named", [
    (30, r"Increase solver_options\['maxiter'\], or"),
    # Equal caps both bind: raising max_iter alone left the option's.
    (3, r"Increase max_iter and solver_options\['maxiter'\], or"),
    (2, r"Increase max_iter, or"),
])
def test_the_cap_warning_names_the_caps_that_bind(max_iter, named):
    X, y = sum_of_last_two(n_samples=20)
    model = LSTMRegressor((2,), solver="lbfgs", max_iter=max_iter, tol=0.0, random_state=0,
                          solver_options={"maxiter": 3})
    with pytest.warns(IterationLimitWarning, match=named):
        model.fit(X, y)


@pytest.mark.parametrize("solver", SCIPY_METHODS)
def test_large_tol_stops_scipy_methods_early(solver):
    """A solver that converges by a loose tol warns only where it stopped no
    better than the targets' mean: then the model learned nothing."""
    X, y = sum_of_last_two(n_samples=20)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LSTMRegressor((2,), solver=solver, tol=1.0, max_iter=8, random_state=0)
        model.fit(X, y)
    assert model.n_iter_ <= 2
    _assert_warned_only_if_it_learned_nothing(model, X, y, caught)


def _assert_warned_only_if_it_learned_nothing(model, X, y, caught):
    """One ConvergenceWarning, saying so, where the training R² is no better
    than the targets' mean's 0 (their loss ratio is 1 - R²); else none."""
    warned = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    if model.score(X, y) <= 1e-3:
        assert len(warned) == 1 and "no better than that of a constant" in warned[0]
    else:
        assert warned == []


def test_tol_is_the_gradient_tolerance_of_lbfgs():
    X, y = sum_of_last_two(n_samples=20, n_steps=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        # patch_length=1: the problem training_problem rebuilds
        model = LSTMRegressor((2,), solver="lbfgs", tol=1e-3, max_iter=1000, patch_length=1,
                              random_state=0)
        model.fit(X, y)
    _, grad = loss_and_grad(*training_problem(model, X, y))
    assert np.abs(grad).max() <= 1e-3
    assert model.n_iter_ > 5  # it did have to iterate to get there


def test_large_tol_stops_stochastic_solvers_after_n_iter_no_change():
    X, y = sum_of_last_two(n_samples=20)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = LSTMRegressor((2,), tol=10.0, n_iter_no_change=3, max_iter=50, random_state=0)
        model.fit(X, y)
    # epoch 1 improves on +inf; epochs 2.. never improve by 10; stop when
    # the count of stalled epochs exceeds n_iter_no_change
    assert model.n_iter_ == 3 + 2
    _assert_warned_only_if_it_learned_nothing(model, X, y, caught)


@pytest.mark.parametrize("solver", ["lbfgs", "trust-ncg"])
def test_verbose_prints_one_line_per_scipy_iteration(solver, capsys):
    X, y = sum_of_last_two(n_samples=20)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMRegressor((2,), solver=solver, max_iter=4, tol=0.0, verbose=1,
                              random_state=0).fit(X, y)
    lines = capsys.readouterr().out.splitlines()
    pattern = re.compile(r"Iteration (\d+), loss = ([0-9.e+-]+), elapsed [0-9.]+ s$")
    matches = [pattern.match(line) for line in lines]
    assert all(matches) and len(matches) == model.n_iter_ == 4
    assert [int(m[1]) for m in matches] == [1, 2, 3, 4]
    np.testing.assert_allclose([float(m[2]) for m in matches], model.loss_curve_, atol=6e-9)


def test_scipy_solvers_are_quiet_by_default(capsys):
    X, y = sum_of_last_two(n_samples=10)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        LSTMRegressor((2,), solver="lbfgs", max_iter=3, random_state=0).fit(X, y)
    assert capsys.readouterr().out == ""


# -- the gradient every solver follows, seen from a fitted estimator ----------


def training_problem(model, X, y, sample_weight=None):
    """Rebuild, from public fitted attributes only, what ``model`` trained on.

    Returns ``(theta, X, Y, lengths, sample_weight, network, objective)`` for ``loss_and_grad``.
    """
    X = np.asarray(X, dtype=float)
    lengths = None
    if np.isnan(X).any():
        lengths = (~np.isnan(X).all(axis=2)).sum(axis=1)
    Xs = np.nan_to_num((X - model.input_mean_) / model.input_scale_)
    sizes = [layer["R"].shape[0] for layer in model.coefs_]
    layout = ParamLayout(X.shape[2], sizes, model.n_outputs_, peephole=model.peephole,
                         coupled=model.coupled_gates)
    theta = layout.pack(model.coefs_, model.out_coef_, model.out_intercept_)
    sw = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
    if isinstance(model, LSTMClassifier):
        Y = LabelBinarizer().fit(model.classes_).transform(y).astype(float)
        loss = "multinomial" if Y.shape[1] > 1 else "log_loss"
        if model.class_weight is not None:
            cw = np.array([model.class_weight[label] for label in y], dtype=float)
            sw = cw if sw is None else sw * cw
    else:
        Y = np.asarray(y, dtype=float)
        Y = Y.reshape(len(Y), -1) if not model.return_sequences else Y.reshape(Y.shape[:2] + (-1,))
        Y = (Y - model.target_mean_) / model.target_scale_
        loss = "squared_error"
        if lengths is not None:
            Y = np.where(np.isnan(Y), 0.0, Y)
    return theta, Xs, Y, lengths, sw, Network(layout, model.return_sequences), Objective(loss, model.alpha)


def assert_gradient_matches_central_differences(problem, numerical_gradient):
    theta = problem[0]
    _, grad = loss_and_grad(*problem)

    def loss():
        return loss_and_grad(*problem)[0]

    numeric = numerical_gradient(loss, theta)
    # central differences are exact to ~1e-10 here (rounding / eps)
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)
    assert np.abs(grad).max() > 1e-4  # not a vacuous comparison of zeros


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fitted_classifier_minimises_the_packed_loss(numerical_gradient):
    """The loss a fitted classifier reports is loss_and_grad at its weights,
    with its standardisation, label encoding, class and sample weights and
    alpha; and the gradient scipy followed there is the exact one."""
    rng = np.random.RandomState(1)
    X = rng.normal(loc=3.0, scale=2.0, size=(9, 3, 2))
    y = np.array(["a", "b", "c"])[rng.randint(0, 3, size=9)]
    sample_weight = rng.uniform(0.5, 2.0, size=9)
    model = LSTMClassifier((2, 1), solver="lbfgs", peephole=True, alpha=0.3, max_iter=5,
                           class_weight={"a": 2.0, "b": 0.5, "c": 1.0}, patch_length=1,
                           random_state=0)
    model.fit(X, y, sample_weight=sample_weight)
    problem = training_problem(model, X, y, sample_weight)
    assert np.any(model.coefs_[0]["p"] != 0)  # peepholes were trained
    value, _ = loss_and_grad(*problem)
    assert value == pytest.approx(model.loss_, rel=1e-12)
    assert_gradient_matches_central_differences(problem, numerical_gradient)


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_fitted_many_to_many_regressor_gradient(numerical_gradient):
    """Ragged, coupled-gate, multi-output many-to-many fitted with adam."""
    rng = np.random.RandomState(2)
    lengths = np.array([4, 2, 3, 1, 4, 3])
    X = np.full((6, 4, 1), np.nan)
    Y = np.full((6, 4, 2), np.nan)
    for s, n in enumerate(lengths):
        X[s, :n] = rng.normal(size=(n, 1))
        Y[s, :n] = np.c_[np.cumsum(X[s, :n, 0]), X[s, :n, 0] ** 2]
    model = LSTMRegressor((3,), return_sequences=True, coupled_gates=True, peephole=True,
                          alpha=0.1, learning_rate_init=0.05, max_iter=10, random_state=0)
    model.fit(X, Y)
    problem = training_problem(model, X, Y)
    np.testing.assert_array_equal(problem[3], lengths)
    assert_gradient_matches_central_differences(problem, numerical_gradient)


def test_a_method_failing_inside_scipy_is_reported_with_advice_and_changes_nothing():
    # trust-ncg's subproblem met the overflow of a Hessian product and
    # raised scipy's "array must not contain infs or NaNs".
    rng = np.random.RandomState(0)
    X = rng.normal(size=(8, 5, 2))
    y = X[:, -1, 0]
    model = LSTMRegressor((4,), solver="trust-ncg", max_iter=5, random_state=0).fit(X, y)
    before = model.predict(X)
    model.set_params(alpha=1e300)
    with pytest.raises(ValueError, match=r"scipy\.optimize\.minimize\(method='trust-ncg'\) failed "
                                         r"after \d+ evaluation\(s\) of the loss: .*The model was "
                                         r"left unchanged.*alpha / n_samples is 1\.25e\+299: it "
                                         r"outweighs the data; lower alpha\."):
        model.fit(X, y)
    np.testing.assert_array_equal(model.predict(X), before)


# -- solver_options: each method's options, checked before scipy runs ---------


def _tiny_task():
    rng = np.random.RandomState(0)
    X = rng.normal(size=(8, 5, 2))
    return X, X[:, -1, 0]


def _fitted(solver):
    X, y = _tiny_task()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMRegressor((3,), solver=solver, max_iter=3, random_state=0).fit(X, y)
    return model, X, y


def _assert_refused_and_kept(model, X, y, exc, match, **params):
    """A fit with ``params`` raises ``exc`` matching ``match``; the fitted model is kept."""
    before = model.predict(X)
    coefs = [dict(layer) for layer in model.coefs_]
    model.set_params(**params)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        with pytest.raises(exc, match=match):
            model.fit(X, y)
    np.testing.assert_array_equal(model.predict(X), before)
    assert all(model.coefs_[0][k] is coefs[0][k] for k in coefs[0])


@pytest.mark.parametrize("solver, options, exc", [
    # scipy raised ZeroDivisionError, a bare Exception, OverflowError
    ("BFGS", {"norm": 0}, ValueError),
    ("CG", {"norm": 0}, ValueError),
    ("trust-ncg", {"eta": 0.5}, ValueError),
    ("trust-krylov", {"eta": -1}, ValueError),
    ("trust-constr", {"initial_tr_radius": 1e300}, ValueError),
    # held in 32 bits by scipy's C or Fortran code
    ("L-BFGS-B", {"maxls": 2**31}, ValueError),
    ("L-BFGS-B", {"maxcor": 2**31}, ValueError),
    ("TNC", {"maxfun": 2**31}, ValueError),
    ("TNC", {"maxCGit": 2**31}, ValueError),
    ("TNC", {"eta": 2.0}, ValueError),  # replaced by scipy's 0.25 without a word
    ("TNC", {"eta": 1.0}, ValueError),  # so is 1 (tnc.c: eta >= 1.0)
    ("TNC", {"accuracy": 2.0}, ValueError),  # stopped after one iteration, R² 0.3, no warning
    ("SLSQP", {"maxiter": 2**31}, ValueError),  # wrapped negative: stopped at once
    ("L-BFGS-B", {"maxfun": None}, TypeError),  # failed inside scipy after training began
])
def test_solver_options_scipy_fails_on_are_refused_naming_option_and_method(
    solver, options, exc
):
    model, X, y = _fitted(solver)
    (key,) = options
    match = rf"solver='{solver}': solver_options\['{key}'\] must be "
    _assert_refused_and_kept(model, X, y, exc, match, solver_options=options)


@pytest.mark.parametrize("solver, options, match", [
    # scipy warned "Unknown solver options" and trained without them
    ("BFGS", {"maxcor": 5}, r"solver='BFGS' takes no option 'maxcor' \(solver_options\): "
     r"scipy would ignore it or fail on it\. It is an option of L-BFGS-B\."),
    ("CG", {"maxls": 3}, r"solver='CG' takes no option 'maxls'.*of L-BFGS-B\."),
    ("TNC", {"maxiter": 5}, r"takes no option 'maxiter'.* TNC counts evaluations of the loss"
     r": use maxfun"),
    # scipy failed: "got an unexpected keyword argument"
    ("trust-constr", {"initial_trust_radius": 0.5},
     r"takes no option 'initial_trust_radius'.*of trust-ncg, trust-krylov\."),
    # Newton-CG refused the order only in its first line search, after training began
    ("Newton-CG", {"c1": 0.9, "c2": 0.1}, r"solver='Newton-CG': solver_options\['c1'\] is "
     r"0\.9, not below solver_options\['c2'\] \(0\.1\): the line search needs 0 < c1 < c2"),
    ("CG", {"c1": 0.5}, r"solver_options\['c1'\] is 0\.5, not below scipy's default c2 "
     r"\(0\.4\)"),
    # Nelder-Mead's: "It is an option of ." named no method
    ("L-BFGS-B", {"maxfev": 100}, r"takes no option 'maxfev'.* It is an option of a method "
     r"that uses no gradient, which sklstm does not run\."),
])
def test_options_the_chosen_method_does_not_take_are_refused_before_training(
    solver, options, match
):
    model, X, y = _fitted(solver)
    _assert_refused_and_kept(model, X, y, ValueError, match, solver_options=options)


@pytest.mark.parametrize("solver, params, name", [
    ("TNC", {"max_fun": 2**31}, "max_fun"),  # OverflowError in _moduleTNC.pyx
    ("SLSQP", {"max_iter": 2**31}, "max_iter"),  # SLSQP's C int wrapped negative
])
def test_parameters_passed_as_options_are_checked_by_the_methods_rules(solver, params, name):
    model, X, y = _fitted(solver)
    match = rf"solver='{solver}': {name} must be an int >= 1 and <= 2147483647, got 2147483648"
    _assert_refused_and_kept(model, X, y, ValueError, match, **params)
    # solver_options overrides the derived value, and then the parameter is not passed
    model.set_params(solver_options={"maxfun" if name == "max_fun" else "maxiter": 2})
    with pytest.warns(IterationLimitWarning):
        model.fit(X, y)


def _scipy_option_functions():
    """Each method's scipy function(s), whose keyword parameters are its options."""
    from scipy.optimize import _lbfgsb_py, _optimize, _slsqp_py, _tnc, _trustregion
    from scipy.optimize._trustregion_constr import _minimize_trustregion_constr

    trust = [_trustregion._minimize_trust_region]
    return {
        "L-BFGS-B": [_lbfgsb_py._minimize_lbfgsb], "BFGS": [_optimize._minimize_bfgs],
        "CG": [_optimize._minimize_cg], "Newton-CG": [_optimize._minimize_newtoncg],
        "TNC": [_tnc._minimize_tnc], "SLSQP": [_slsqp_py._minimize_slsqp],
        "trust-constr": [_minimize_trustregion_constr], "trust-ncg": trust,
        "trust-krylov": trust,
    }


def _scipy_options(method):
    """Option name -> scipy's default, for every option of ``method``."""
    import inspect

    from sklstm._optimizers import _RESERVED_OPTIONS

    options = {}
    for func in _scipy_option_functions()[method]:
        for p in inspect.signature(func).parameters.values():
            if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY) and p.name not in (
                _RESERVED_OPTIONS
            ):
                options[p.name] = p.default
    if method == "trust-krylov":
        options["inexact"] = True
    return options


@pytest.mark.parametrize("method", SCIPY_METHODS)
def test_every_option_of_every_method_has_a_rule_that_takes_scipys_default(method):
    """The rules are one table, by method, of every option scipy's method takes;
    scipy's own default passes each rule (a radius is a float, not a count; -1
    means "choose for me" in TNC), unless sklstm refuses the option as having
    no effect on its problem."""
    from sklstm._optimizers import (
        _TRUST_CONSTR_DEFAULTS, SCIPY_OPTION_RULES, NoEffect, _check_options,
    )

    scipy_options = _scipy_options(method)
    # (a rule may outlive an option of an older scipy)
    assert set(scipy_options) <= set(SCIPY_OPTION_RULES[method])
    if method == "trust-constr":  # the defaults of the rule that relates two options
        assert _TRUST_CONSTR_DEFAULTS == {k: scipy_options[k] for k in _TRUST_CONSTR_DEFAULTS}
    for name, default in scipy_options.items():
        if isinstance(SCIPY_OPTION_RULES[method][name], NoEffect):
            with pytest.raises(ValueError, match=rf"solver_options\['{name}'\] has no effect"):
                _check_options({name: default}, method)
        elif default is None or isinstance(default, (bool, int, float)):
            _check_options({name: default}, method)  # maxiter=None was refused


@pytest.mark.parametrize("solver, options", [
    ("BFGS", {"maxiter": None}), ("trust-ncg", {"maxiter": None}), ("TNC", {"maxfun": None}),
])
def test_scipys_default_none_for_a_cap_trains_up_to_max_iter(solver, options):
    # maxiter=None was refused as "must be an int", then failed comparing None.
    X, y = _tiny_task()
    with pytest.warns(IterationLimitWarning):
        model = LSTMRegressor((3,), solver=solver, max_iter=3, random_state=0,
                              solver_options=options).fit(X, y)
    assert model.n_iter_ == 3
    # max_iter, not scipy's own smaller cap (200 * n_params, or TNC's
    # max(100, 10 * n_params) evaluations), is the limit.
    from sklstm._optimizers import scipy_options

    method = {"BFGS": "BFGS", "trust-ncg": "trust-ncg", "TNC": "TNC"}[solver]
    built = scipy_options(method, max_iter=5000, tol=0.0, max_fun=15000, options=options)
    key = "maxfun" if solver == "TNC" else "maxiter"
    assert built[key] == (15000 if solver == "TNC" else 5000)


def test_a_trust_radius_is_a_positive_number_not_a_count():
    X, y = _tiny_task()
    options = {"initial_trust_radius": 0.1, "max_trust_radius": 0.5}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMRegressor((3,), solver="trust-ncg", max_iter=3, random_state=0,
                              solver_options=options).fit(X, y)
        wide = clone(model).set_params(solver_options={"max_trust_radius": np.inf}).fit(X, y)
    assert model.n_iter_ >= 1 and wide.n_iter_ >= 1
    for bad in (0, -0.5):
        _assert_refused_and_kept(
            model, X, y, ValueError,
            r"solver='trust-ncg': solver_options\['max_trust_radius'\] must be a number > 0",
            solver_options={"max_trust_radius": bad},
        )


@pytest.mark.parametrize("solver, options, match", [
    ("trust-constr", {"initial_tr_radius": 0}, r"initial_tr_radius'\] must be a number > 0"),
    ("trust-constr", {"initial_tr_radius": -1.0}, r"initial_tr_radius'\] must be a number > 0"),
    # below xtol, trust-constr stops at once as converged
    ("trust-constr", {"initial_tr_radius": 1e-9}, r"initial_tr_radius'\] is 1e-09.*xtol"),
    ("trust-constr", {"initial_tr_radius": 0.5, "xtol": 0.5}, r"initial_tr_radius'\].*xtol"),
    ("trust-constr", {"xtol": 2.0}, r"scipy's default initial_tr_radius is 1\.0, not above "
                                    r"solver_options\['xtol'\] \(2\.0\)"),
    ("trust-ncg", {"initial_trust_radius": 0}, r"initial_trust_radius'\] must be a number > 0"),
    ("trust-krylov", {"max_trust_radius": -1}, r"max_trust_radius'\] must be a number > 0"),
    ("BFGS", {"norm": -np.inf}, r"norm'\] must be a number >= 1 and <= 20 or one of inf"),
    # |g| ** 1e300 underflowed to 0, read as converged at the start
    ("CG", {"norm": 1e300}, r"norm'\] must be a number >= 1 and <= 20 or one of inf"),
    ("TNC", {"maxfun": 0}, r"maxfun'\] must be None or an int >= 1"),
    ("SLSQP", {"ftol": -1.0}, r"ftol'\] must be a number >= 0"),  # stopped after one step
    # a constraint's penalty of 1e100 kept trust-constr at its start
    ("trust-constr", {"initial_constr_penalty": 1e100}, r"initial_constr_penalty'\] has no "
                                                        r"effect.*constraints"),
    ("L-BFGS-B", {"eps": 1e-3}, r"eps'\] has no effect.*finite-difference"),
])
def test_options_scipy_takes_and_then_does_not_train_with_are_refused(solver, options, match):
    model, X, y = _fitted(solver)
    _assert_refused_and_kept(model, X, y, ValueError, rf"solver='{solver}': .*{match}",
                             solver_options=options)


def test_trust_constr_with_a_valid_initial_radius_trains():
    X, y = _tiny_task()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMRegressor((3,), solver="trust-constr", max_iter=3, random_state=0,
                              solver_options={"initial_tr_radius": 0.5}).fit(X, y)
    assert model.n_iter_ == 3
    assert model.loss_curve_[-1] < model.loss_curve_[0]


@pytest.mark.parametrize("solver", ["trust-constr", "lbfgs"])
def test_one_scipy_iteration_is_one_step_from_the_start(solver):
    """trust-constr reports its start point as its iteration 1: booked as
    one, max_iter=1 trained nothing and loss_curve_ began untrained."""
    X, y = _tiny_task()
    kw = dict(hidden_layer_sizes=(3,), random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        one = LSTMRegressor(solver=solver, max_iter=1, **kw).fit(X, y)
        # The initial weights: an Adam step of 1e-300 leaves them as drawn.
        start = LSTMRegressor(solver="adam", max_iter=1, learning_rate_init=1e-300,
                              **kw).fit(X, y)
    assert one.n_iter_ == 1 and len(one.loss_curve_) == 1
    assert not np.allclose(one.out_coef_, start.out_coef_)
    assert one.loss_curve_[0] < start.loss_curve_[0]


@pytest.mark.parametrize("maxiter", [1, 3])
def test_trust_constr_takes_its_maxiter_option_in_steps_too(maxiter):
    # scipy's trust-constr counts its start point as iteration 1.
    X, y = _tiny_task()
    with pytest.warns(IterationLimitWarning, match="trust-constr did not converge"):
        model = LSTMRegressor((3,), solver="trust-constr", max_iter=10, random_state=0,
                              solver_options={"maxiter": maxiter}).fit(X, y)
    assert model.n_iter_ == maxiter == len(model.loss_curve_)
    longer = LSTMRegressor((3,), solver="trust-constr", max_iter=10, random_state=0).fit(X, y)
    assert model.loss_curve_ == longer.loss_curve_[:maxiter]


@pytest.mark.parametrize("caps", [
    dict(max_iter=np.int8(127)),
    dict(max_iter=200, solver_options={"maxiter": np.int8(127)}),
], ids=["max_iter", "option"])
def test_numpy_small_int_caps_are_read_as_the_numbers_they_hold(caps):
    """trust-constr's cap is maxiter + 1 (its start point is iteration 1):
    in int8, 127 + 1 wrapped around to -128, and the fit stopped at once."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(10, 3, 1))
    y = X[:, -2:, 0].sum(axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMRegressor((2,), solver="trust-constr", tol=0, random_state=0,
                              **caps).fit(X, y)
    assert model.n_iter_ == 127


def test_numpy_scalar_options_reach_scipy_as_python_numbers():
    """scipy's L-BFGS-B multiplies maxcor in its own dtype (an int8 10
    overflowed there); a float32 infinity as BFGS's norm was refused."""
    X, y = _tiny_task()
    for solver, options in (("lbfgs", {"maxcor": np.int8(10)}),
                            ("BFGS", {"norm": np.float32(np.inf)})):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            given = LSTMRegressor((3,), solver=solver, max_iter=3, random_state=0,
                                  solver_options=options).fit(X, y)
            plain = LSTMRegressor((3,), solver=solver, max_iter=3, random_state=0,
                                  solver_options={k: v.item() for k, v in options.items()}
                                  ).fit(X, y)
        assert given.loss_curve_ == plain.loss_curve_


@pytest.mark.parametrize("solver", ["SLSQP", "Newton-CG", "lbfgs"])
def test_a_larger_maxiter_option_stops_at_max_iter_with_the_accepted_point(solver):
    """With maxiter above max_iter, the cap stopped SLSQP from its callback,
    whose point is the line search's first trial, not the accepted iterate:
    a model of loss 1.9e14 where the accepted point's was 1.4e8."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(16, 5)) * 3
    y = np.exp(X.sum(axis=1) / 3) * 50  # unscaled: SLSQP's line search backtracks
    kw = dict(hidden_layer_sizes=(3,), solver=solver, standardize=False,
              scale_targets=False, random_state=0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        for max_iter in (2, 3):
            capped = LSTMRegressor(max_iter=max_iter, **kw).fit(X, y)
            option = LSTMRegressor(max_iter=max_iter, solver_options={"maxiter": 100},
                                   **kw).fit(X, y)
            assert_array_equal(option.out_coef_, capped.out_coef_)
            assert option.loss_ == capped.loss_


def test_a_warm_scipy_fit_drops_an_earlier_stochastic_optimizer_state():
    X, y = _tiny_task()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        model = LSTMRegressor((3,), max_iter=3, warm_start=True, random_state=0).fit(X, y)
        assert model._optimizer.t == 3
        model.set_params(solver="lbfgs").fit(X, y)
        assert not hasattr(model, "_optimizer")
        # Adam then starts afresh from the weights L-BFGS left.
        model.set_params(solver="adam").partial_fit(X, y)
    assert model._optimizer.t == 1


def test_a_warm_scipy_fit_that_runs_no_iteration_counts_none():
    # Each such warm start added one to n_iter_ and repeated the last loss.
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 5, 1))
    model = LSTMRegressor((2,), solver="lbfgs", tol=1e-1, warm_start=True, random_state=0)
    model.fit(X, X[:, -1, 0])
    n_iter, curve, coefs = model.n_iter_, list(model.loss_curve_), model.out_coef_.copy()
    assert n_iter == len(curve) >= 1
    for _ in range(2):
        model.fit(X, X[:, -1, 0])  # converged already: scipy stops before an iteration
        assert model.n_iter_ == n_iter and model.loss_curve_ == curve
    assert_array_equal(model.out_coef_, coefs)


@pytest.mark.parametrize("solver, tol", [
    ("TNC", 0.5), ("Newton-CG", 0.5), ("trust-ncg", 0.5),
    # These three test maxiter before their gradient, which sklstm then tests.
    ("lbfgs", 0.1), ("BFGS", 0.1), ("CG", 0.3),
])
def test_a_fit_converged_at_the_cap_is_not_reported_as_capped(solver, tol):
    """The cap stopped the run from the callback, before the method's own
    convergence test of that iteration: an IterationLimitWarning for a fit
    that had converged."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(24, 6))
    y = X.sum(axis=1) + 0.1 * rng.normal(size=24)
    kw = dict(hidden_layer_sizes=(3,), solver=solver, tol=tol, random_state=0)
    free = LSTMRegressor(max_iter=50, **kw).fit(X, y)
    assert 1 <= free.n_iter_ < 50 and len(free.loss_curve_) == free.n_iter_
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        capped = LSTMRegressor(max_iter=free.n_iter_, **kw).fit(X, y)
    assert capped.n_iter_ == free.n_iter_
    assert_array_equal(capped.out_coef_, free.out_coef_)
    # One iteration short, the cap does stop it, and says so.
    if free.n_iter_ > 1:
        with pytest.warns(IterationLimitWarning, match=rf"Reached max_iter={free.n_iter_ - 1}"):
            short = LSTMRegressor(max_iter=free.n_iter_ - 1, **kw).fit(X, y)
        assert short.loss_curve_ == free.loss_curve_[:-1]


def test_an_error_scipy_raises_itself_is_reported_as_ours(monkeypatch):
    """Whatever scipy raises for an option no rule foresaw, of whatever type,
    is a ValueError of sklstm naming the method and solver_options."""
    import sklstm._optimizers

    def overflowing(fun, x0, **kwargs):
        fun(x0)
        raise OverflowError("value too large to convert to int")

    model, X, y = _fitted("TNC")
    monkeypatch.setattr(sklstm._optimizers, "minimize", overflowing)
    _assert_refused_and_kept(
        model, X, y, ValueError,
        r"scipy\.optimize\.minimize\(method='TNC'\) refused solver_options=\{'maxCGit': 3\}: "
        r"OverflowError: value too large",
        solver_options={"maxCGit": 3},
    )


@pytest.mark.parametrize("error", [RecursionError("deep"),
                                   AttributeError("scipy and numpy disagree")])
def test_an_error_inside_scipy_that_is_no_refusal_propagates_as_it_is(monkeypatch, error):
    # They were reported as scipy refusing the options, or failing to train.
    import sklstm._optimizers

    def raising(fun, x0, **kwargs):
        fun(x0)
        raise error

    model, X, y = _fitted("BFGS")
    monkeypatch.setattr(sklstm._optimizers, "minimize", raising)
    for options in (None, {"gtol": 1e-6}):
        _assert_refused_and_kept(model, X, y, type(error), str(error), solver_options=options)


@pytest.mark.parametrize("direction", [np.inf, np.nan, 1e155])
def test_the_hessian_product_of_an_overflowed_direction_is_nan_without_warning(direction):
    # scipy before 1.15 handed trust-ncg's product an infinite direction; its
    # step came out 0, and the product divided by it. A finite direction
    # whose squared norm overflows has a product.
    from sklstm._optimizers import _finite_difference_hessp

    def quadratic(theta):  # loss and gradient of sum(theta**2)
        return float(theta @ theta), 2 * theta

    hessp = _finite_difference_hessp(quadratic)
    theta = np.array([0.5, -1.0])
    np.testing.assert_allclose(hessp(theta, np.array([1.0, 2.0])), [2.0, 4.0], rtol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        product = hessp(theta, np.array([direction, direction]))
    if np.isfinite(direction):
        np.testing.assert_allclose(product, [2 * direction] * 2, rtol=1e-6)
    else:
        assert np.isnan(product).all() and product.shape == theta.shape


def test_an_error_of_sklstms_hessian_product_is_not_blamed_on_scipy(monkeypatch):
    import sklstm._optimizers

    def failing(fun, dtype):
        def hessp(x, p):
            raise ValueError("the Hessian product's own error")  # not scipy refusing
        return hessp

    model, X, y = _fitted("trust-ncg")
    monkeypatch.setattr(sklstm._optimizers, "_finite_difference_hessp", failing)
    _assert_refused_and_kept(model, X, y, ValueError, r"^the Hessian product's own error$")


def test_scipy_out_of_memory_for_a_dense_matrix_names_the_solver(monkeypatch):
    # BFGS's n_params x n_params inverse Hessian failed inside NumPy's eye.
    import sklstm._optimizers

    def allocating(fun, x0, **kwargs):
        fun(x0)
        raise MemoryError("Unable to allocate 980. GiB")

    model, X, y = _fitted("BFGS")
    limited, _, _ = _fitted("L-BFGS-B")
    monkeypatch.setattr(sklstm._optimizers, "minimize", allocating)
    _assert_refused_and_kept(model, X, y, ValueError,
                             r"method='BFGS'\) ran out of memory.*solver='lbfgs'")
    # L-BFGS keeps no dense matrix: it was advised to use solver='lbfgs'
    _assert_refused_and_kept(limited, X, y, ValueError,
                             r"method='L-BFGS-B'\) ran out of memory: MemoryError: Unable to "
                             r"allocate 980\. GiB\. Use solver='adam', which reads mini-batches")


def test_errors_of_sklstms_own_loss_are_not_blamed_on_scipy(monkeypatch):
    """An error raised by the loss function while scipy runs reaches the caller
    unchanged: it is neither an option scipy refused nor scipy failing."""
    real = sklstm._training.full_batch_loss_and_grad  # the scipy solvers' objective
    calls = []

    def failing_later(*args, **kwargs):
        calls.append(1)
        if len(calls) > 2:
            raise ValueError("the loss's own error")
        return real(*args, **kwargs)

    model, X, y = _fitted("L-BFGS-B")
    monkeypatch.setattr(sklstm._training, "full_batch_loss_and_grad", failing_later)
    for options in (None, {"maxcor": 5}):
        calls.clear()
        _assert_refused_and_kept(model, X, y, ValueError, r"^the loss's own error$",
                                 solver_options=options)


def test_a_warning_made_an_error_inside_scipy_stays_that_warning(monkeypatch):
    import sklstm._optimizers

    def deprecating(fun, x0, **kwargs):  # as scipy warns of an option it will remove
        fun(x0)
        warnings.warn("'disp' is deprecated", DeprecationWarning, stacklevel=2)
        raise AssertionError("the warning was not made an error")

    model, X, y = _fitted("L-BFGS-B")
    monkeypatch.setattr(sklstm._optimizers, "minimize", deprecating)
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        _assert_refused_and_kept(model, X, y, DeprecationWarning, "^'disp' is deprecated$")


def test_an_option_this_scipy_removed_is_refused_as_scipy_would_ignore_it(monkeypatch):
    # scipy 1.18 removed L-BFGS-B's disp and iprint, then warned of them and
    # ignored them, where the rules still took them.
    import scipy
    from scipy.optimize import _minimize

    import sklstm._optimizers

    lbfgsb = _minimize._minimize_lbfgsb

    def without_disp(fun, x0, args=(), jac=None, bounds=None, maxcor=10, ftol=2.2e-09,
                     gtol=1e-05, eps=1e-08, maxfun=15000, maxiter=15000, callback=None,
                     maxls=20, finite_diff_rel_step=None, workers=None, **unknown_options):
        return lbfgsb(fun, x0, args, jac, bounds, maxcor=maxcor, ftol=ftol, gtol=gtol, eps=eps,
                      maxfun=maxfun, maxiter=maxiter, callback=callback, maxls=maxls,
                      finite_diff_rel_step=finite_diff_rel_step, **unknown_options)

    model, X, y = _fitted("L-BFGS-B")
    sklstm._optimizers._method_option_names.cache_clear()
    try:
        monkeypatch.setattr(_minimize, "_minimize_lbfgsb", without_disp)
        for option in ("disp", "iprint"):
            _assert_refused_and_kept(
                model, X, y, ValueError,
                rf"solver='L-BFGS-B' takes no option '{option}' .* It is an option of "
                rf"(?!L-BFGS-B).*scipy {re.escape(scipy.__version__)} does not take it for "
                "L-BFGS-B", solver_options={option: 0})
        with warnings.catch_warnings():  # the options it keeps still train
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.set_params(solver_options={"maxcor": 5}).fit(X, y)
    finally:
        monkeypatch.undo()
        sklstm._optimizers._method_option_names.cache_clear()


@pytest.mark.parametrize("solver", ["adam", "sgd"])
@pytest.mark.parametrize("method", ["fit", "partial_fit"])
@pytest.mark.parametrize("options", [{"maxiter": 50}, {"max_iter": 50}, {"gtol": float("nan")}])
def test_solver_options_are_refused_with_the_stochastic_solvers(solver, method, options):
    model, X, y = _fitted(solver)
    before = model.predict(X)
    model.set_params(solver_options=options)
    with pytest.raises(ValueError, match=rf"solver_options=.* needs a scipy solver.*"
                                         rf"solver='{solver}'"):
        getattr(model, method)(X, y)
    np.testing.assert_array_equal(model.predict(X), before)
    # None and an empty dict set nothing, and are accepted
    for empty in (None, {}):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model.set_params(solver_options=empty).fit(X, y)


@pytest.mark.parametrize("solver", ["trust-krylov", "trust-ncg", "Newton-CG"])
def test_hessian_vector_solvers_train_float32_as_float64(solver):
    """Their Hessian-vector products difference two gradients a step apart:
    a step sized for float64 is below float32's resolution, and trust-krylov
    stopped after one iteration at R² 0.02 (float64: R² 1.0)."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(30, 6, 2))
    y = X[:, -2:, 0].sum(axis=1)
    scores = {}
    for dtype in (np.float64, np.float32):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            model = LSTMRegressor((4,), solver=solver, max_iter=50, random_state=0).fit(
                X.astype(dtype), y)
        scores[dtype] = model.score(X.astype(dtype), y)
    assert scores[np.float64] > 0.99
    assert scores[np.float32] > 0.99, scores


@pytest.mark.parametrize("solver, name, value", [
    ("adam", "beta_1", 0.9), ("adam", "beta_2", 0.999), ("adam", "learning_rate_init", 2e-3),
    ("adam", "tol", 1e-4), ("adam", "clip_norm", 0.5), ("sgd", "momentum", 0.9),
    ("sgd", "power_t", 0.5),
])
def test_numpy_float_rates_train_as_the_python_floats_they_hold(solver, name, value):
    """NumPy keeps a float16 scalar's precision against Python floats: Adam's
    bias correction with beta_2=np.float16(0.999) was computed in float16,
    and best - tol was rounded to float16."""
    rng = np.random.RandomState(0)
    X = rng.normal(size=(40, 6, 2))
    y = X[:, -2:, 0].sum(axis=1)
    kw = dict(hidden_layer_sizes=(3,), solver=solver, max_iter=30, random_state=0,
              early_stopping=False, **({"learning_rate": "invscaling"} if solver == "sgd"
                                       else {}))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        given = LSTMRegressor(**kw, **{name: np.float16(value)}).fit(X, y)
        plain = LSTMRegressor(**kw, **{name: float(np.float16(value))}).fit(X, y)
    assert given.loss_curve_ == plain.loss_curve_
