"""Speed-up of a parallel grid search over the sequential one.

Run ``python benchmarks/bench_scaleout.py`` (``--help`` for options).

What is timed
-------------
``GridSearchCV`` of an ``LSTMRegressor`` over a 2 x 4 grid (hidden units x
``alpha``) with ``--cv`` folds, so ``8 * cv`` fits plus the refit, once with
``n_jobs=1`` and once with ``n_jobs=N`` for each ``N`` of ``--n-jobs``
(loky worker processes). The runs alternate within each repeat, so that
noise from other processes on a shared machine hits every setting alike;
each time is the median of ``--repeat`` runs. The loky workers are started,
and import sklstm, before timing (``startup s`` reports what that cost
once); every run checks that its scores equal the first run's.

joblib gives each of the ``N`` workers ``cpu_count // N`` BLAS threads; the
sequential run's BLAS is limited to the same total, ``--threads``.
"""

import argparse
import os
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from joblib import Parallel, cpu_count, delayed, effective_n_jobs
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cli import positive_int, worker_count  # noqa: E402
from sklstm import LSTMRegressor  # noqa: E402


def _import_sklstm():
    import sklstm  # noqa: F401

    return os.getpid()


def make_data(n_samples, n_timesteps, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, n_timesteps, 1))
    y = X[:, -3:, 0].sum(axis=1) + 0.1 * rng.normal(size=n_samples)
    return X, y


def make_search(args, n_jobs):
    grid = {
        "hidden_layer_sizes": [(args.hidden,), (2 * args.hidden,)],
        "alpha": [1e-5, 1e-4, 1e-3, 1e-2],
    }
    model = LSTMRegressor(max_iter=args.max_iter, random_state=0, tol=0.0)
    return GridSearchCV(model, grid, cv=args.cv, n_jobs=n_jobs)


def run(args, X, y, n_jobs):
    search = make_search(args, n_jobs)
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        search.fit(X, y)
    return time.perf_counter() - start, search.cv_results_["mean_test_score"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-samples", type=positive_int, default=240)
    parser.add_argument("--timesteps", type=positive_int, default=30)
    parser.add_argument("--hidden", type=positive_int, default=8, help="units of the smaller grid point")
    parser.add_argument("--max-iter", type=positive_int, default=15, help="epochs of each fit")
    parser.add_argument("--cv", type=positive_int, default=3)
    parser.add_argument("--n-jobs", type=worker_count, nargs="+", default=[2])
    parser.add_argument("--repeat", type=positive_int, default=3)
    parser.add_argument("--threads", type=positive_int, default=cpu_count(), help="BLAS threads of n_jobs=1")
    args = parser.parse_args(argv)
    if args.cv < 2:
        parser.error(f"--cv must be at least 2 (folds of GridSearchCV), got {args.cv}")
    if args.n_samples < args.cv:
        parser.error(f"--n-samples ({args.n_samples}) must be at least --cv ({args.cv}): a "
                     "fold needs a sample")
    args.n_jobs = [effective_n_jobs(n) for n in args.n_jobs]  # -1: every core, counted

    X, y = make_data(args.n_samples, args.timesteps)
    print(
        f"cpu_count={cpu_count()}  GridSearchCV 2x4 grid, cv={args.cv} ({8 * args.cv} fits + refit)"
        f"  X {X.shape}  H in ({args.hidden}, {2 * args.hidden})  max_iter={args.max_iter}"
    )
    startup = {}
    for n_jobs in args.n_jobs:
        # Start the workers and import sklstm in each, untimed.
        start = time.perf_counter()
        Parallel(n_jobs=n_jobs)(delayed(_import_sklstm)() for _ in range(2 * n_jobs))
        startup[n_jobs] = time.perf_counter() - start

    times = {n: [] for n in [1, *args.n_jobs]}
    reference, identical = None, True
    for _ in range(args.repeat):
        for n_jobs, runs in times.items():
            if n_jobs == 1:
                with threadpool_limits(limits=args.threads, user_api="blas"):
                    elapsed, scores = run(args, X, y, 1)
            else:
                elapsed, scores = run(args, X, y, n_jobs)
            if reference is None:
                reference = scores
            if not np.array_equal(scores, reference):
                print(f"n_jobs={n_jobs}: scores differ from the first run by up to "
                      f"{np.max(np.abs(scores - reference)):.3g}")
                identical = False
            runs.append(elapsed)

    header = f"{'n_jobs':>6} | {'median s':>8} {'min s':>7} {'max s':>7} | {'speed-up':>8} | {'startup s':>9}"
    print(header)
    print("-" * len(header))
    base = statistics.median(times[1])
    for n_jobs, runs in times.items():
        med = statistics.median(runs)
        start = f"{startup[n_jobs]:9.2f}" if n_jobs in startup else f"{'-':>9}"
        print(
            f"{n_jobs:>6} | {med:8.2f} {min(runs):7.2f} {max(runs):7.2f} | "
            f"{base / med:7.2f}x | {start}"
        )
    for n_jobs in args.n_jobs:
        print(f"speed-up of n_jobs={n_jobs} over n_jobs=1: {base / statistics.median(times[n_jobs]):.2f}")
    print(f"scores identical across runs and n_jobs: {'yes' if identical else 'NO'}")


if __name__ == "__main__":
    main()
