"""Tune an LSTM forecaster's window length and hidden size with GridSearchCV.

A Pipeline step cannot change ``y``, so the series is cut into windows
*before* the estimator, once, with ``make_windows``. The window length
changes ``X`` itself, so it cannot be a grid parameter: this example loops
over it, and grid-searches the hidden size inside each loop with
``TimeSeriesSplit``. To compare window lengths fairly, every one is scored on
the same targets: windows are kept only from the first origin the longest
window can use, so the folds hold the same months whatever the window.

What is learned and how it is scaled:

- the monthly *changes* of CO2 (``diff``), which repeat year after year,
  where the level does not; differencing looks at no other sample, so it can
  happen before the split;
- the scaling *is* learned from data, so it happens inside each fold: the
  LSTM standardises its inputs (``standardize=True``) and its targets
  (``scale_targets=True``) from the data it is fitted on, so no wrapper is
  needed.

Consecutive windows overlap: a window's 12 targets are the next 12 months,
so ``TimeSeriesSplit(gap=HORIZON - 1)`` leaves out the training windows
whose targets would reach into the test fold.

The best setting is then refitted as a ``DirectForecaster`` (which does the
same differencing and scaling itself) and scored on the last year, never
seen by the search.

Usage::

    python examples/forecast_grid_search.py
"""

import argparse
import time
import warnings

import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import mean_absolute_error
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from sklstm import LSTMRegressor
from sklstm.datasets import load_co2
from sklstm.forecasting import DirectForecaster, make_windows

HORIZON = 12  # months forecast at once, and held out at the end
WINDOWS = (6, 12, 24)  # window lengths tried, in months
HIDDEN = [(8,), (16,)]  # hidden sizes tried for each window length
MAX_ITER = 60  # L-BFGS iterations per fit: a budget, also acting as early stopping

# Capped L-BFGS runs stop on MAX_ITER by design, not for lack of convergence.
warnings.filterwarnings(
    "ignore", message=".*did not converge", category=ConvergenceWarning
)


def main():
    start = time.perf_counter()
    co2 = load_co2()
    train, test = co2.iloc[:-HORIZON], co2.iloc[-HORIZON:]
    changes = train.diff().iloc[1:]  # monthly changes, ppm; no state learned

    # Keep the windows whose origin the longest window can also use, so that
    # every window length is scored on the same targets and folds.
    first_origin = changes.index[max(WINDOWS) - 1]

    model = LSTMRegressor(solver="lbfgs", max_iter=MAX_ITER, random_state=0)
    cv = TimeSeriesSplit(n_splits=3, gap=HORIZON - 1)
    scores = {}
    for window in WINDOWS:
        w = make_windows(changes, target="co2", window=window, horizon=HORIZON)
        keep = w.origins >= first_origin
        X, y = w.X[keep], w.y[keep]  # (n, window, 1), (n, HORIZON)
        search = GridSearchCV(
            model,
            {"hidden_layer_sizes": HIDDEN},
            cv=cv,
            scoring="neg_mean_absolute_error",
            refit=False,  # only the overall best is refitted, below
        ).fit(X, y)
        for hidden, score in zip(
            search.cv_results_["param_hidden_layer_sizes"],
            search.cv_results_["mean_test_score"],
        ):
            scores[window, hidden[0]] = -score
        print(f"window {window:2d}: {len(X)} windows searched", flush=True)

    table = pd.Series(scores).unstack()
    table.index.name, table.columns.name = "window", "hidden units"
    print("\nCross-validated MAE of the monthly changes (ppm), 3 time-ordered folds:")
    print(table.to_string(float_format=lambda v: f"{v:.4f}"))

    window, hidden = min(scores, key=scores.get)
    print(f"\nBest: window={window}, hidden_layer_sizes=({hidden},)")

    best = DirectForecaster(
        LSTMRegressor(
            hidden_layer_sizes=(hidden,),
            solver="lbfgs",
            max_iter=MAX_ITER,
            random_state=0,
        ),
        window=window,
        horizon=HORIZON,
        target="co2",
        target_transform="diff",
    ).fit(train)
    forecast = best.predict()  # Series indexed by the 12 held-out months
    seasonal_naive = train["co2"].to_numpy()[-12:]
    print(
        f"Held-out last {HORIZON} months, MAE in ppm: LSTM "
        f"{mean_absolute_error(test['co2'], forecast):.3f}, seasonal naive "
        f"{mean_absolute_error(test['co2'], seasonal_naive):.3f}"
    )
    print(f"Done in {time.perf_counter() - start:.1f} s.")


if __name__ == "__main__":
    # no options: --help describes the example, anything else is refused
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    main()
