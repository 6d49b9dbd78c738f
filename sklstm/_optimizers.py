"""Optimizers: SGD and Adam on mini-batches, and ``scipy.optimize.minimize``.

All of them work on one flat parameter vector ``theta`` and a gradient of
the same shape, both produced through :func:`sklstm._loss.loss_and_grad`
(the scipy methods' through :func:`~sklstm._loss.full_batch_loss_and_grad`,
its sum over chunks of the whole batch).
The stochastic optimizers follow scikit-learn's MLP: small classes with
``update_params``, ``iteration_ends`` and ``trigger_stopping``.
"""

import copy
import difflib
import functools
import inspect
import numbers
import sys

import numpy as np
import scipy
from scipy.optimize import minimize

from ._checks import FLOAT_DTYPES, python_scalar
from ._param_validation import BOOLEAN, FiniteArray, Interval, Options, validate_params
from ._parameters import PARAMETER_CONSTRAINTS

__all__ = [
    "SGDOptimizer",
    "AdamOptimizer",
    "copy_optimizer",
    "clip_gradient",
    "resolve_scipy_method",
    "run_scipy_minimize",
    "scipy_options",
    "SCIPY_OPTION_RULES",
]


def _state_constraints(names):
    """The estimators' parameter rules for the optimizer attributes ``names``
    (attribute -> parameter), for checking a loaded state by the same rules."""
    return {attribute: PARAMETER_CONSTRAINTS[parameter] for attribute, parameter in names.items()}


def _check_moment(values, name, weights):
    """An optimizer's per-weight state: a finite float32 or float64 array of
    the ``weights``' shape, (n_params,). Another float dtype (float16 from a
    damaged file, say) would underflow and pass for divergence. Weights set
    by hand in the other of the two dtypes may meet moments of the fit's,
    which training continues in the weights' dtype."""
    if not isinstance(values, np.ndarray) or values.dtype not in FLOAT_DTYPES:
        what = f"dtype {values.dtype}" if isinstance(values, np.ndarray) else (
            type(values).__name__)
        raise TypeError(f"_optimizer: {name} must be a float32 or float64 NumPy array, got "
                        f"{what}.")
    if values.shape != weights.shape:
        raise ValueError(f"_optimizer: {name} must have shape {weights.shape}, one value per "
                         f"weight of the model, got {values.shape}.")
    if not np.isfinite(values).all():
        raise ValueError(f"_optimizer: {name} holds NaN or infinity.")


def check_optimizer_state(optimizer, theta):
    """Raise unless ``optimizer``, a fitted model's ``_optimizer`` (None if it
    has none), can continue training the weights ``theta`` (n_params,)."""
    if optimizer is None:
        return
    if type(optimizer) not in (SGDOptimizer, AdamOptimizer):
        raise TypeError(
            f"_optimizer must be the state of sklstm's Adam or SGD, got "
            f"{type(optimizer).__name__}."
        )
    optimizer.check_state(theta)


def copy_optimizer(optimizer, dtype=None):
    """An independent copy of an :class:`SGDOptimizer` or :class:`AdamOptimizer`.

    What ``copy.deepcopy`` gives, at a tenth of its cost, which a fit pays
    every epoch (the state to return to should the epoch diverge): every
    attribute but the per-weight arrays of :meth:`moments` is a number, a
    string or a bool, so sharing them is safe. ``dtype``, if given, is the
    moments' dtype in the copy.
    """
    twin = copy.copy(optimizer)
    for name, values in optimizer.moments().items():
        setattr(twin, name, values.astype(dtype or values.dtype, copy=True))
    return twin


class SGDOptimizer:
    """Stochastic gradient descent with momentum and learning-rate schedules.

    Parameters
    ----------
    n_params : int
        Length of the parameter vector.
    learning_rate_init : float
    lr_schedule : {"constant", "invscaling", "adaptive"}
        ``invscaling`` sets ``lr = learning_rate_init / (t + 1) ** power_t``
        after each epoch, with ``t`` the samples seen; ``adaptive`` divides
        the rate by 5 each time training stops improving, and stops once it
        falls below 1e-6.
    momentum : float
    nesterov : bool
    power_t : float
    dtype : dtype
    """

    def __init__(
        self, n_params, learning_rate_init=0.1, lr_schedule="constant", momentum=0.9,
        nesterov=True, power_t=0.5, dtype=np.float64,
    ):
        self.learning_rate_init = learning_rate_init
        self.learning_rate = float(learning_rate_init)
        self.lr_schedule = lr_schedule
        self.momentum = momentum
        self.nesterov = nesterov
        self.power_t = power_t
        self.velocity = np.zeros(n_params, dtype=dtype)

    @property
    def n_params(self):
        """Length of the parameter vector this optimizer steps."""
        return self.velocity.size

    def check_state(self, theta):
        """Raise unless this state (loaded, perhaps damaged) can step the weights ``theta``."""
        validate_params(vars(self), _state_constraints({
            "learning_rate_init": "learning_rate_init", "lr_schedule": "learning_rate",
            "momentum": "momentum", "nesterov": "nesterovs_momentum", "power_t": "power_t",
            "learning_rate": "power_t",  # the current rate: a number >= 0, as power_t
        }), "_optimizer")
        for name, values in self.moments().items():
            _check_moment(values, name, theta)

    def moments(self):
        """The per-weight state, name -> array of shape (n_params,)."""
        return {"velocity": self.velocity}

    def update_params(self, theta, grad):
        """Take one step in place. ``theta``, ``grad``: (n_params,)."""
        self.velocity *= self.momentum
        self.velocity -= self.learning_rate * grad
        if self.nesterov:
            theta += self.momentum * self.velocity - self.learning_rate * grad
        else:
            theta += self.velocity

    def retune(self, *, learning_rate_init, lr_schedule, momentum, nesterov, power_t,
               time_step):
        """Take new hyper-parameters and keep the velocity; ``time_step``:
        the samples seen so far. A new initial rate or schedule restarts the
        current rate from the initial one (an ``adaptive`` schedule's
        divisions are dropped); ``invscaling`` decays it to ``time_step``."""
        before = (self.learning_rate_init, self.lr_schedule, self.power_t)
        self.learning_rate_init, self.lr_schedule = learning_rate_init, lr_schedule
        self.momentum, self.nesterov, self.power_t = momentum, nesterov, power_t
        if (learning_rate_init, lr_schedule) != before[:2]:
            self.learning_rate = float(learning_rate_init)
        if lr_schedule == "invscaling" and (learning_rate_init, lr_schedule, power_t) != before:
            self.iteration_ends(time_step)

    def iteration_ends(self, time_step):
        """Update the learning rate after an epoch; ``time_step``: samples seen."""
        if self.lr_schedule == "invscaling":
            # In log space: (t + 1) ** power_t overflows a float for large
            # power_t, while the rate itself only underflows towards zero
            # (and the exponent to -inf for the largest: a rate of 0).
            with np.errstate(over="ignore"):
                decay = np.exp(-self.power_t * np.log1p(time_step))
            self.learning_rate = float(self.learning_rate_init) * float(decay)

    def trigger_stopping(self, msg, verbose):
        """Whether to stop after no improvement; may lower the rate instead."""
        if self.lr_schedule != "adaptive":
            if verbose:
                print(msg + " Stopping.")
            return True
        if self.learning_rate <= 1e-6:
            if verbose:
                print(msg + " Learning rate too small. Stopping.")
            return True
        self.learning_rate /= 5.0
        if verbose:
            print(msg + f" Setting learning rate to {self.learning_rate:f}")
        return False


class AdamOptimizer:
    """Adam (Kingma & Ba, 2015) with bias-corrected step size.

    Parameters
    ----------
    n_params : int
    learning_rate_init : float
    beta_1, beta_2 : float in [0, 1)
    epsilon : float
    dtype : dtype
    """

    def __init__(
        self, n_params, learning_rate_init=0.001, beta_1=0.9, beta_2=0.999, epsilon=1e-8,
        dtype=np.float64,
    ):
        self.learning_rate_init = learning_rate_init
        self.beta_1 = beta_1
        self.beta_2 = beta_2
        self.epsilon = epsilon
        self.t = 0
        self.first_moment = np.zeros(n_params, dtype=dtype)
        self.second_moment = np.zeros(n_params, dtype=dtype)

    @property
    def n_params(self):
        """Length of the parameter vector this optimizer steps."""
        return self.first_moment.size

    def check_state(self, theta):
        """Raise unless this state (loaded, perhaps damaged) can step the weights ``theta``."""
        validate_params(vars(self), {
            **_state_constraints({name: name for name in (
                "learning_rate_init", "beta_1", "beta_2", "epsilon")}),
            "t": [Interval(numbers.Integral, 0, None)],
        }, "_optimizer")
        for name, values in self.moments().items():
            _check_moment(values, name, theta)
        if (self.second_moment < 0).any():
            raise ValueError("_optimizer: second_moment must be >= 0 everywhere.")

    def moments(self):
        """The per-weight state, name -> array of shape (n_params,)."""
        return {"first_moment": self.first_moment, "second_moment": self.second_moment}

    def retune(self, *, learning_rate_init, beta_1, beta_2, epsilon, time_step):
        """Take new hyper-parameters; keep the moments and the step count
        (its own: ``time_step``, the samples seen, is SGD's)."""
        self.learning_rate_init, self.epsilon = learning_rate_init, epsilon
        self.beta_1, self.beta_2 = beta_1, beta_2

    @property
    def learning_rate(self):
        t = max(self.t, 1)
        return (
            self.learning_rate_init
            * np.sqrt(1 - self.beta_2**t)
            / (1 - self.beta_1**t)
        )

    def update_params(self, theta, grad):
        """Take one step in place. ``theta``, ``grad``: (n_params,)."""
        self.t += 1
        m, v = self.first_moment, self.second_moment
        m *= self.beta_1
        m += (1 - self.beta_1) * grad
        v *= self.beta_2
        v += (1 - self.beta_2) * grad * grad
        theta -= self.learning_rate * m / (np.sqrt(v) + self.epsilon)

    def iteration_ends(self, time_step):
        """Nothing to do: Adam adapts its own step size."""

    def trigger_stopping(self, msg, verbose):
        if verbose:
            print(msg + " Stopping.")
        return True


def clip_gradient(grad, clip_norm):
    """Rescale ``grad`` in place so that its L2 norm is at most ``clip_norm``.

    Exploding gradients are the classic failure of long sequences;
    clipping the norm keeps the direction and bounds the step.
    """
    if clip_norm is None:
        return grad
    norm = float(np.sqrt(np.dot(grad, grad)))
    if norm > clip_norm:
        grad *= clip_norm / norm
    return grad


# Methods of scipy.optimize.minimize, by what they need from the objective.
_FIRST_ORDER = ("L-BFGS-B", "BFGS", "CG", "TNC", "SLSQP", "trust-constr")
_HESSIAN_VECTOR = ("Newton-CG", "trust-ncg", "trust-krylov")
_FULL_HESSIAN = ("dogleg", "trust-exact")
_DERIVATIVE_FREE = ("Nelder-Mead", "Powell", "COBYLA", "COBYQA")
SCIPY_METHODS = _FIRST_ORDER + _HESSIAN_VECTOR
_TOLERANCE_OPTION = {
    "L-BFGS-B": "gtol", "BFGS": "gtol", "CG": "gtol", "TNC": "gtol", "trust-constr": "gtol",
    "trust-ncg": "gtol", "trust-krylov": "gtol", "Newton-CG": "xtol", "SLSQP": "ftol",
}
_ALIASES = {"lbfgs": "L-BFGS-B"}


def resolve_scipy_method(solver):
    """The ``scipy.optimize.minimize`` method named by ``solver``, or None.

    Names match case-insensitively; ``"lbfgs"`` means ``"L-BFGS-B"``.
    A method that needs no gradient or a full Hessian raises ValueError.
    """
    key = solver.lower()
    if key in _ALIASES:
        return _ALIASES[key]
    by_lower = {m.lower(): m for m in SCIPY_METHODS}
    if key in by_lower:
        return by_lower[key]
    if key in {m.lower() for m in _DERIVATIVE_FREE}:
        raise ValueError(
            f"solver={solver!r} is derivative-free; sklstm trains with exact gradients. "
            f"Use one of {sorted(SCIPY_METHODS)}, 'adam' or 'sgd'."
        )
    if key in {m.lower() for m in _FULL_HESSIAN}:
        raise ValueError(
            f"solver={solver!r} needs the full Hessian matrix, which sklstm does not "
            "form (it has as many rows as parameters). Use 'trust-ncg' or "
            "'trust-krylov', which need only Hessian-vector products."
        )
    return None


class _IterationLimit(Exception):
    """Raised from the callback when a method has no iteration limit of its own."""


class SolverFailed(ValueError):
    """A scipy method failed inside scipy after training began."""


def run_scipy_minimize(
    fun, theta0, method, *, max_iter, tol, max_fun, options=None, on_iteration=None
):
    """Minimise ``fun`` (returning loss and gradient) with ``scipy.optimize.minimize``.

    Parameters
    ----------
    fun : callable
        ``fun(theta) -> (float, ndarray of shape (n_params,))``.
    theta0 : ndarray of shape (n_params,)
    method : str
        A name from ``SCIPY_METHODS``.
    max_iter : int
        Iteration limit, honoured by every method.
    tol : float
        The method's gradient tolerance ``gtol`` where it has one (as
        MLPRegressor does for L-BFGS-B), else ``xtol`` (Newton-CG) or
        ``ftol`` (SLSQP). ``minimize(tol=...)`` would also set L-BFGS-B's
        relative loss tolerance and stop it far too early.
    max_fun : int
        Limit on function evaluations, for the methods that have one.
    options : dict, optional
        Passed through to scipy; overrides the values derived above.
    on_iteration : callable, optional
        ``on_iteration(n_iter, loss)`` after each iteration.

    Returns
    -------
    theta : ndarray of shape (n_params,)
        The final iterate.
    info : dict
        ``n_iter``, ``loss``, ``success``, ``message``, ``n_fun``, ``loss_curve``.

    Raises
    ------
    TypeError, ValueError
        If an option breaks its method's rule in ``SCIPY_OPTION_RULES``, or
        scipy refuses the options before training begins.
    SolverFailed
        If scipy fails after training began. An error raised by ``fun`` or
        ``on_iteration`` is not scipy's, and propagates unchanged.
    """
    opts = scipy_options(method, max_iter=max_iter, tol=tol, max_fun=max_fun, options=options)
    memo = {}  # losses at the last few evaluated points, to report per iteration
    n_fun = 0
    own = _OwnErrors()

    @own.track
    def objective(theta):
        nonlocal n_fun
        n_fun += 1
        loss, grad = fun(theta)
        if len(memo) > 8:
            memo.pop(next(iter(memo)))
        memo[theta.tobytes()] = loss
        return loss, grad.astype(np.float64, copy=False)

    loss_curve = []
    state = {"x": theta0.copy(), "loss": None}
    # trust-constr calls back first at the start point (its iteration 1):
    # no step, and not one of max_iter's, nor a point of the loss curve.
    start = [theta0.astype(np.float64).tobytes()] if method == "trust-constr" else []

    # The callback stops a run at the first iteration beyond the cap, not at
    # the cap: the method's convergence test of the last allowed iteration
    # comes after its callback, and a fit converged there would be reported
    # as stopped by the cap. Methods that count maxiter stop there themselves
    # (scipy_options caps it at max_iter); TNC, which does not, computes one
    # iteration that is not kept.

    @own.track
    def callback(xk, *args):
        xk = getattr(xk, "x", xk)
        if start and start.pop() == np.asarray(xk, dtype=np.float64).tobytes():
            return
        if len(loss_curve) >= max_iter:
            raise _IterationLimit  # one beyond the cap: not booked
        loss = memo.get(xk.tobytes())
        if loss is None:
            loss, _ = objective(xk)
        state["x"], state["loss"] = np.array(xk, copy=True), loss
        loss_curve.append(loss)
        if on_iteration is not None:
            on_iteration(len(loss_curve), loss)

    kwargs = {}
    if method in _HESSIAN_VECTOR:
        # counted in n_fun; its step sized for theta0's dtype, which fun computes in
        kwargs["hessp"] = own.track(_finite_difference_hessp(objective, theta0.dtype))
    try:
        res = minimize(
            objective, theta0.astype(np.float64), jac=True, method=method,
            callback=callback, options=opts, **kwargs,
        )
        theta, loss = res.x, float(res.fun)
        success, message = bool(res.success), str(res.message)
        if message.startswith("ERROR"):  # L-BFGS-B refused its input and did not start
            raise ValueError(message)
    except _IterationLimit:
        res = None
        theta, loss = state["x"], state["loss"]
        success, message = False, f"Reached max_iter={max_iter} iterations."
    except Exception as exc:
        if own.raised(exc) or not _is_scipy_refusal(exc):
            raise
        raise _scipy_error(exc, method, options, n_fun) from exc
    if not success and len(loss_curve) >= max_iter:
        if _gradient_test_passes(res, method, opts):
            success, message = True, "Converged at the iteration cap (gradient within gtol)."
        else:
            message = f"Reached max_iter={max_iter} iterations."
    return theta, {
        "n_iter": len(loss_curve),
        "loss": loss,
        "success": success,
        "message": message,
        "n_fun": n_fun,
        "loss_curve": loss_curve,
    }


def _gradient_test_passes(res, method, opts):
    """Whether L-BFGS-B, BFGS or CG, stopped at ``maxiter``, had met its own
    gradient test at its final point: the three check ``maxiter`` before it,
    so a run converged at the cap is reported as not converged. ``res`` is
    None when the callback stopped the run."""
    if res is None or method not in ("L-BFGS-B", "BFGS", "CG"):
        return False
    order = np.inf if method == "L-BFGS-B" else opts.get("norm", np.inf)
    return bool(np.linalg.norm(np.ravel(res.jac), ord=order) <= opts["gtol"])


def _is_scipy_refusal(exc):
    """Whether scipy raised ``exc`` refusing what it was given: its TypeErrors
    and ValueErrors (LinAlgError among them), arithmetic on an option
    (``norm=0`` divides by zero, a radius squared overflows), its memory for
    a dense matrix, and its bare Exception ("invalid acceptance stringency").
    Anything else (RecursionError, a bug, a warning the caller's filters
    made an error) propagates as it is."""
    if isinstance(exc, Warning):
        return False
    # MemoryError too: scipy's dense matrices (BFGS's inverse Hessian is
    # n_params x n_params) fail inside NumPy for a network of a few hundred units.
    return type(exc) is Exception or isinstance(
        exc, (TypeError, ValueError, ArithmeticError, MemoryError)
    )


class _OwnErrors:
    """The exceptions that sklstm's functions called by scipy (the loss, the
    callback) raised, to tell them from scipy's own when ``minimize`` raises."""

    def __init__(self):
        self._raised = []

    def track(self, func):
        @functools.wraps(func)
        def tracked(*args):
            try:
                return func(*args)
            except BaseException as exc:
                self._raised.append(exc)
                raise

        return tracked

    def raised(self, exc):
        """Whether ``exc``, or an exception it was raised from, is one of ours."""
        seen = set()
        while exc is not None and id(exc) not in seen:
            if any(exc is own for own in self._raised):
                return True
            seen.add(id(exc))
            exc = exc.__cause__ or exc.__context__
        return False


def _scipy_error(exc, method, options, n_fun):
    """The error of sklstm that reports ``exc``, raised inside scipy itself."""
    # Only scipy's TypeErrors and ValueErrors say what they are in their text:
    # "float division by zero" needs its ZeroDivisionError.
    detail = str(exc) if isinstance(exc, (TypeError, ValueError)) else (
        f"{type(exc).__name__}: {exc}"
    )
    if isinstance(exc, MemoryError):
        # L-BFGS keeps a few vectors only: what fills memory there is the data.
        remedy = ("Use solver='adam', which reads mini-batches, fewer or shorter sequences, "
                  "or a smaller network" if method == "L-BFGS-B" else
                  f"{method} may keep a dense matrix of n_params x n_params; use "
                  "solver='lbfgs' (limited memory) or a smaller network")
        return ValueError(
            f"scipy.optimize.minimize(method={method!r}) ran out of memory: {detail}. {remedy}."
        )
    call = f"scipy.optimize.minimize(method={method!r})"
    if options and n_fun <= 1:
        # Before training began: most likely an option's value.
        return ValueError(f"{call} refused solver_options={options!r}: {detail}")
    # Mid-training, such as a trust region's subproblem meeting the overflow
    # of a Hessian product.
    with_options = f" with solver_options={options!r}" if options else ""
    return SolverFailed(
        f"{call} failed after {n_fun} evaluation(s) of the loss{with_options}: {detail}"
    )


# -- solver_options: every option of every method, checked before scipy runs --

# Arguments of minimize, or of the method's function, that sklstm or the
# method sets itself; as options they would reach the method twice ("got
# multiple values for keyword argument").
_RESERVED_OPTIONS = (
    "fun", "x0", "args", "method", "jac", "hess", "hessp", "bounds", "constraints",
    "callback", "options", "func", "grad", "subproblem",
)


class NoEffect:
    """The rule of an option that does nothing in sklstm's problem; scipy
    would take it silently (and, at some values, then not train)."""

    def __init__(self, reason):
        self.reason = reason


# scipy's C and Fortran code hold these counts in a C int: beyond it they
# overflow (an OverflowError deep inside scipy) or wrap to a negative count.
_INT32_MAX = 2**31 - 1
_COUNT = Interval(numbers.Integral, 1, None)
_C_COUNT = Interval(numbers.Integral, 1, _INT32_MAX)
# None, where it is scipy's default, leaves the cap to max_iter (max_fun).
_DEFAULT_OR_COUNT = [None, _COUNT]
_TOLERANCE = Interval(numbers.Real, 0, None)
_POSITIVE = Interval(numbers.Real, 0, None, closed="neither")
_INFINITY = Options(float, [np.inf])
_FINITE = [Interval(numbers.Real)]
_DISP = [None, BOOLEAN, Interval(numbers.Integral, 0, None)]
_WOLFE = [Interval(numbers.Real, 0, 1, closed="neither")]  # line-search c1 < c2 (scipy checks)
# The order p of the gradient's norm that BFGS and CG compare with gtol. NumPy
# sums |g_i| ** p, which underflows to 0 for gradients below exp(-744 / p):
# from p = 1e3 on, gradients of 0.5 read as converged. At p <= 20 only those
# below 1e-16 do. (A negative p or -inf is 0 once one component is.)
_NORM = [Interval(numbers.Real, 1, 20), _INFINITY]
_FD = NoEffect("it sets the step of finite-difference gradients, and sklstm passes exact ones")
_WORKERS = NoEffect("it runs finite differences in parallel, and sklstm passes exact gradients")
_ALL_ITERATES = NoEffect("it keeps every iterate in scipy's result, which sklstm does not return")
_CONSTRAINTS = NoEffect("it tunes the handling of constraints, and sklstm trains without any")
# The trust region's radius: its square must be a float (trust-constr squares
# it in Python, where 1e300 ** 2 is an OverflowError).
_TR_RADIUS = [Interval(numbers.Real, 0, 1e154, closed="right")]
_TRUST_REGION = {
    "initial_trust_radius": [_POSITIVE],  # below max_trust_radius (scipy checks)
    "max_trust_radius": [_POSITIVE, _INFINITY],
    "eta": [Interval(numbers.Real, 0, 0.25, closed="left")],
    "gtol": [_TOLERANCE], "maxiter": _DEFAULT_OR_COUNT, "disp": _DISP,
    "return_all": _ALL_ITERATES, "inexact": NoEffect("only trust-krylov reads it"),
    "subproblem_maxiter": NoEffect("it limits the subproblem of trust-exact only"),
    "workers": _WORKERS,
}

# Each method's options, read from scipy's source: name -> the option's
# constraints (as in the estimators' parameter tables), or NoEffect. A value
# that scipy would take and then not train with, or fail on deep inside,
# breaks its rule. In TNC a negative tolerance, eta, rescale or maxCGit asks
# for scipy's default; maxCGit=0 is valid (steepest descent); an eta of 1 or
# more scipy replaces by its default, 0.25. TNC's accuracy is a relative
# precision: from 1 on, every change of the loss reads as none, and the run
# stops after an iteration or two.
SCIPY_OPTION_RULES = {
    "L-BFGS-B": {
        "maxcor": [_C_COUNT], "ftol": [_TOLERANCE], "gtol": [_TOLERANCE], "maxfun": [_COUNT],
        "maxiter": [_COUNT], "maxls": [_C_COUNT], "iprint": [Interval(numbers.Integral)],
        "disp": _DISP, "eps": _FD, "finite_diff_rel_step": _FD, "workers": _WORKERS,
    },
    "BFGS": {
        "gtol": [_TOLERANCE], "norm": _NORM, "maxiter": _DEFAULT_OR_COUNT,
        "disp": _DISP, "xrtol": [_TOLERANCE], "c1": _WOLFE, "c2": _WOLFE,
        "hess_inv0": [None, FiniteArray()], "return_all": _ALL_ITERATES, "eps": _FD,
        "finite_diff_rel_step": _FD, "workers": _WORKERS,
    },
    "CG": {
        "gtol": [_TOLERANCE], "norm": _NORM, "maxiter": _DEFAULT_OR_COUNT,
        "disp": _DISP, "c1": _WOLFE, "c2": _WOLFE, "return_all": _ALL_ITERATES, "eps": _FD,
        "finite_diff_rel_step": _FD, "workers": _WORKERS,
    },
    "Newton-CG": {
        "xtol": [_TOLERANCE], "maxiter": _DEFAULT_OR_COUNT, "disp": _DISP, "c1": _WOLFE,
        "c2": _WOLFE, "return_all": _ALL_ITERATES, "eps": _FD, "workers": _WORKERS,
    },
    "TNC": {
        "maxfun": [None, _C_COUNT], "maxCGit": [Interval(numbers.Integral, -1, _INT32_MAX)],
        "eta": [Interval(numbers.Real, None, 1, closed="left")], "stepmx": _FINITE,
        "accuracy": [Interval(numbers.Real, None, 1, closed="left")], "minfev": _FINITE,
        "ftol": _FINITE, "xtol": _FINITE, "gtol": _FINITE, "rescale": _FINITE,
        "scale": [None, FiniteArray()], "offset": [None, FiniteArray()],
        "mesg_num": [None, Interval(numbers.Integral, 0, 5)], "disp": _DISP, "eps": _FD,
        "finite_diff_rel_step": _FD, "workers": _WORKERS,
    },
    "SLSQP": {
        "maxiter": [_C_COUNT], "ftol": [_TOLERANCE], "iprint": [Interval(numbers.Integral)],
        "disp": _DISP, "eps": _FD, "finite_diff_rel_step": _FD, "workers": _WORKERS,
    },
    "trust-constr": {
        "xtol": [_TOLERANCE], "gtol": [_TOLERANCE], "maxiter": [_COUNT],
        "initial_tr_radius": _TR_RADIUS, "verbose": [BOOLEAN, Interval(numbers.Integral, 0, 3)],
        "disp": _DISP, "barrier_tol": _CONSTRAINTS, "sparse_jacobian": _CONSTRAINTS,
        "initial_constr_penalty": _CONSTRAINTS, "initial_barrier_parameter": _CONSTRAINTS,
        "initial_barrier_tolerance": _CONSTRAINTS, "factorization_method": _CONSTRAINTS,
        "finite_diff_rel_step": _FD, "workers": _WORKERS,
    },
    "trust-ncg": _TRUST_REGION,
    "trust-krylov": {**_TRUST_REGION, "inexact": [BOOLEAN]},
}

# scipy's defaults of trust-constr's options that one rule relates.
_TRUST_CONSTR_DEFAULTS = {"initial_tr_radius": 1.0, "xtol": 1e-8}


def scipy_options(method, *, max_iter, tol, max_fun, options=None):
    """The options for ``minimize(method=...)``: those derived from the
    estimator's ``max_iter``, ``tol`` and ``max_fun``, overridden by
    ``options`` (its ``solver_options``), all checked by the method's rules.

    A derived value that breaks a rule is named by its parameter.
    """
    derived = {"maxiter": max_iter, _TOLERANCE_OPTION[method]: tol}
    parameters = {"maxiter": "max_iter", _TOLERANCE_OPTION[method]: "tol", "maxfun": "max_fun"}
    if method in ("L-BFGS-B", "TNC"):
        derived["maxfun"] = max_fun
    if method == "TNC":
        del derived["maxiter"]  # TNC counts function evaluations only
    # The options' NumPy scalars as the Python numbers they hold (an int8
    # maxcor overflowed inside scipy); the estimator's own parameters come
    # as Python numbers already (BaseLSTM._training_settings).
    options = {key: python_scalar(value) for key, value in (options or {}).items()}
    _check_options(options, method)
    # A cap of None, scipy's default, leaves the cap to max_iter and max_fun.
    options = {key: value for key, value in options.items()
               if not (value is None and key in ("maxiter", "maxfun"))}
    derived = {key: value for key, value in derived.items() if key not in options}
    # An estimator parameter is never None (scipy's own default, for an option).
    _check_option_values(derived, method, label=parameters.get, none_allowed=False)
    merged = {**derived, **options}
    if "maxiter" in merged and method != "TNC":
        # max_iter caps a larger maxiter too, so that the method stops there
        # itself, after its own convergence test and with its accepted point;
        # trust-constr counts its start point as its iteration 1.
        merged["maxiter"] = min(merged["maxiter"], max_iter) + (method == "trust-constr")
    return merged


def _check_options(options, method):
    """Refuse solver_options that would collide with what sklstm passes itself,
    names no method of scipy knows (scipy would warn and ignore them), and
    values that break ``method``'s rules."""
    reserved = sorted(set(options or {}) & set(_RESERVED_OPTIONS))
    if reserved:
        raise ValueError(
            f"solver_options may not set {', '.join(map(repr, reserved))}: sklstm (or "
            f"the method) sets these itself in scipy.optimize.minimize(method={method!r}). "
            "solver_options holds the method's own options, such as 'maxcor' or 'gtol'."
        )
    known = _scipy_option_names()
    unknown = sorted(set(options or {}) - known, key=repr) if known else []
    if unknown:
        close = difflib.get_close_matches(str(unknown[0]), known, n=1)
        hint = f" Did you mean {close[0]!r}?" if close else ""
        raise ValueError(
            f"solver_options holds {', '.join(map(repr, unknown))}, which no method of "
            f"scipy.optimize.minimize knows: scipy would ignore it.{hint} "
            f"scipy.optimize.show_options('minimize', {method!r}) lists {method}'s options."
        )
    taken = _method_option_names(method)
    foreign = sorted(set(options or {}) - taken, key=repr) if taken is not None else []
    if foreign:
        takers = [name for name, rules in SCIPY_OPTION_RULES.items()
                  if foreign[0] in (_method_option_names(name) or rules)]
        hint = (" TNC counts evaluations of the loss: use maxfun (or max_fun)."
                if (method, foreign[0]) == ("TNC", "maxiter") else "")
        if foreign[0] in SCIPY_OPTION_RULES[method]:
            hint += f" scipy {scipy.__version__} does not take it for {method}."
        owners = (f"of {', '.join(takers)}" if takers else
                  "of a method that uses no gradient, which sklstm does not run")
        raise ValueError(
            f"solver={method!r} takes no option {foreign[0]!r} (solver_options): scipy would "
            f"ignore it or fail on it. It is an option {owners}.{hint} "
            f"scipy.optimize.show_options('minimize', {method!r}) lists {method}'s options."
        )
    _check_option_values(options or {}, method, label=lambda key: f"solver_options[{key!r}]")
    if method == "trust-constr":
        _check_trust_constr_radius(options or {})
    if method in _WOLFE_DEFAULTS:
        _check_wolfe_order(options or {}, method)


def _check_option_values(values, method, label, none_allowed=True):
    """Check ``values`` (option -> value) by ``method``'s rules, naming each by
    ``label(option)``. Options without a rule are left as they are (an
    option of another method is refused before, by :func:`_check_options`)."""
    rules = SCIPY_OPTION_RULES[method]
    for key, value in values.items():
        rule = rules.get(key)
        if isinstance(rule, NoEffect):
            raise ValueError(
                f"solver={method!r}: {label(key)} has no effect in sklstm: {rule.reason}. "
                "Leave it out."
            )
        if rule is not None:
            if not none_allowed:
                rule = [constraint for constraint in rule if constraint is not None]
            validate_params({label(key): value}, {label(key): rule}, f"solver={method!r}")


# scipy's defaults of the line search's Wolfe constants, c1 < c2 (CG's c2 is
# lower). Newton-CG checks their order only in its first line search, after
# several evaluations of the loss; BFGS and CG before they start.
_WOLFE_DEFAULTS = {"BFGS": (1e-4, 0.9), "CG": (1e-4, 0.4), "Newton-CG": (1e-4, 0.9)}


def _check_wolfe_order(options, method):
    """The line search needs ``0 < c1 < c2 < 1`` (each is checked in (0, 1))."""
    c1, c2 = (options.get(key, default) for key, default in zip(("c1", "c2"),
                                                               _WOLFE_DEFAULTS[method]))
    if not c1 < c2:
        names = [f"solver_options[{key!r}]" if key in options else f"scipy's default {key}"
                 for key in ("c1", "c2")]
        raise ValueError(
            f"solver={method!r}: {names[0]} is {c1!r}, not below {names[1]} ({c2!r}): the "
            "line search needs 0 < c1 < c2 < 1."
        )


# The function behind each method in scipy.optimize._minimize: its keyword
# parameters are the method's options (trust-ncg and trust-krylov forward
# theirs to the trust-region layer, whose options SCIPY_OPTION_RULES lists).
_METHOD_FUNCTIONS = {
    "L-BFGS-B": "_minimize_lbfgsb", "BFGS": "_minimize_bfgs", "CG": "_minimize_cg",
    "Newton-CG": "_minimize_newtoncg", "TNC": "_minimize_tnc", "SLSQP": "_minimize_slsqp",
    "trust-constr": "_minimize_trustregion_constr", "trust-ncg": "_minimize_trust_ncg",
    "trust-krylov": "_minimize_trust_krylov",
}


@functools.cache
def _method_option_names(method):
    """The options ``method`` takes: those of its scipy function's signature
    (a newer scipy's new options too); None if that function cannot be read
    (scipy laid out otherwise: no check).

    A function that gathers the rest as ``**unknown_options`` warns of them
    and ignores them, and one without ``**`` takes none, so a name its rules
    give and its signature lacks is one this scipy does not take (L-BFGS-B's
    disp and iprint, removed in 1.18): refused. The trust-region methods
    forward the rest (``**trust_region_options``) to a shared layer, whose
    options their rules name.
    """
    try:
        from scipy.optimize import _minimize
        func = getattr(_minimize, _METHOD_FUNCTIONS[method])
        params = list(inspect.signature(func).parameters.values())
    except (ImportError, AttributeError, TypeError, ValueError):
        return None
    names = {p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
    forwarded = [p.name for p in params if p.kind == p.VAR_KEYWORD]
    if forwarded and forwarded != ["unknown_options"]:
        names.update(SCIPY_OPTION_RULES[method])
    return frozenset(names - set(_RESERVED_OPTIONS))


def _check_trust_constr_radius(options):
    """trust-constr stops, as converged, once its trust radius falls below
    ``xtol``: one that starts there does not train."""
    merged = {**_TRUST_CONSTR_DEFAULTS, **options}
    radius, xtol = merged["initial_tr_radius"], merged["xtol"]
    if radius <= xtol:
        names = {key: f"solver_options[{key!r}]" if key in options else f"scipy's default {key}"
                 for key in merged}
        raise ValueError(
            f"solver='trust-constr': {names['initial_tr_radius']} is {radius!r}, not above "
            f"{names['xtol']} ({xtol!r}): trust-constr stops as soon as its trust radius is "
            "below xtol, so it would not train. Raise initial_tr_radius or lower xtol."
        )


@functools.cache
def _scipy_option_names():
    """Every option name that some method of ``scipy.optimize.minimize`` takes.

    They are the keyword parameters of scipy's ``_minimize*`` functions: the
    methods, and the trust-region layer some of them forward options to;
    not those of ``minimize_scalar`` (``_minimize_scalar_*``: ``brack``).
    These are private to scipy, so the set only refuses names that no method
    knows (:func:`_method_option_names` those the chosen method does not
    take), and an empty set, from a scipy laid out otherwise, switches the
    check off.
    The names are read once, rather than scipy's warning being turned into
    an error, because the warning filters are shared by all threads.
    """
    names = set()
    for module_name, module in list(sys.modules.items()):
        if module is None or not module_name.startswith("scipy.optimize"):
            continue
        for attr, func in list(vars(module).items()):
            if not (attr.startswith("_minimize") and not attr.startswith("_minimize_scalar")
                    and inspect.isfunction(func)):
                continue
            params = inspect.signature(func).parameters.values()
            names.update(
                p.name for p in params if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
            )
    return frozenset(names - set(_RESERVED_OPTIONS))


def _finite_difference_hessp(fun, dtype=np.float64):
    """Hessian-vector product ``H p`` by central differences of the exact
    gradient ``fun`` computes in ``dtype``.

    The step is relative to the square root of ``dtype``'s resolution: a
    float64 step of 1.5e-8 is below float32's (1.2e-7), so a float32 fit's
    two gradients were equal or noise, and trust-krylov stopped after one
    iteration.
    """
    resolution = np.sqrt(np.finfo(dtype).eps)

    def hessp(theta, p):
        if not np.isfinite(p).all():  # a direction that overflowed: scipy reports the NaN
            return np.full(theta.shape, np.nan)
        with np.errstate(over="ignore"):
            norm = np.linalg.norm(p)
        if norm == 0:
            return np.zeros_like(theta)
        if not np.isfinite(norm):  # finite entries whose squares overflow
            scale = np.abs(p).max()
            norm = scale * np.linalg.norm(p / scale)
        eps = resolution * (1 + np.linalg.norm(theta)) / norm
        _, g_plus = fun(theta + eps * p)
        _, g_minus = fun(theta - eps * p)
        return (g_plus.astype(np.float64) - g_minus) / (2 * eps)

    return hessp
