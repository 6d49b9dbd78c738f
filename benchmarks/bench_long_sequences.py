"""Training and prediction time and peak memory as sequences grow long.

Run ``python benchmarks/bench_long_sequences.py`` (``--help`` for options).

What is measured
----------------
For each length ``T`` of ``--lengths``, an ``LSTMRegressor`` (Adam, one
layer of ``--hidden`` units, ``--n-samples`` univariate sequences, in one
mini-batch up to 64 of them) is trained for ``--epochs`` epochs and then predicts the
training sequences:

- ``fit s/epoch`` and ``predict s``: wall-clock times, median of
  ``--repeat`` runs, measured without tracemalloc (which slows NumPy down);
- ``fit MiB`` and ``predict MiB``: ``tracemalloc`` peaks of a separate
  one-epoch fit and of a predict, each in a thread of its own, whose pool of
  reused arrays starts empty (``_memory.py``);
- ``bytes/step``: the fit's peak divided by ``T``. Memory linear in ``T``
  keeps it about constant as ``T`` grows; the forward pass caches every
  step's gates, cell and hidden state for backpropagation through time, so
  some constant is expected.
"""

import argparse
import statistics
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cli import positive_int  # noqa: E402
from _memory import traced_peak  # noqa: E402
from sklstm import LSTMRegressor  # noqa: E402


def make_data(n_samples, T, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n_samples, T, 1))
    return X, X[:, -5:, 0].sum(axis=1)


def make_model(args, epochs):
    # patch_length=1: backpropagation through every step is what is measured
    return LSTMRegressor(
        hidden_layer_sizes=(args.hidden,), max_iter=epochs, random_state=0, tol=0.0,
        patch_length=1,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lengths", type=positive_int, nargs="+", default=[1000, 2500, 5000, 10000])
    parser.add_argument("--n-samples", type=positive_int, default=4)
    parser.add_argument("--hidden", type=positive_int, default=8)
    parser.add_argument("--epochs", type=positive_int, default=2)
    parser.add_argument("--repeat", type=positive_int, default=3)
    parser.add_argument("--threads", type=positive_int, default=1, help="BLAS threads")
    args = parser.parse_args(argv)

    print(
        f"LSTMRegressor(hidden_layer_sizes=({args.hidden},)), {args.n_samples} sequences, "
        f"{args.epochs} epochs, BLAS threads={args.threads}"
    )
    header = (
        f"{'T':>6} | {'fit s/epoch':>11} {'predict s':>9} | {'fit MiB':>8} {'predict MiB':>11}"
        f" | {'bytes/step':>10} | {'loss':>8}"
    )
    print(header)
    print("-" * len(header))
    warnings.simplefilter("ignore", ConvergenceWarning)
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for T in args.lengths:
            X, y = make_data(args.n_samples, T)
            fit_times, predict_times = [], []
            for _ in range(args.repeat):
                model = make_model(args, args.epochs)
                start = time.perf_counter()
                model.fit(X, y)
                fit_times.append((time.perf_counter() - start) / args.epochs)
                start = time.perf_counter()
                pred = model.predict(X)
                predict_times.append(time.perf_counter() - start)
            assert np.all(np.isfinite(pred))
            fit_peak = traced_peak(make_model(args, 1).fit, X, y)
            predict_peak = traced_peak(model.predict, X)
            print(
                f"{T:>6} | {statistics.median(fit_times):11.3f} {statistics.median(predict_times):9.3f}"
                f" | {fit_peak / 2**20:8.2f} {predict_peak / 2**20:11.2f}"
                f" | {fit_peak / T:10.0f} | {model.loss_:8.4f}"
            )


if __name__ == "__main__":
    main()
