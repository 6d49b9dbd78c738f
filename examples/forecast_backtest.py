"""Tune a forecaster on rolling origins, then backtest it with intervals.

The forecasters are scikit-learn estimators of a whole history: ``fit``
takes the DataFrame, and ``score`` forecasts the rows right after it and
returns the negative mean absolute error. So ``GridSearchCV`` with
``TimeSeriesSplit(test_size=12)`` is a rolling-origin search: each split fits
on the months before a cut and scores the forecast of the 12 months after it.
Window length and hidden size are tuned together, and every setting is
scored on the same months, whatever its window. ``regressor__...`` keys set
the default LSTM's parameters, although ``regressor=None``.

The best setting is then evaluated by :func:`sklstm.forecasting.backtest` on
the last three years, never seen by the search: one fit, forecasts of 12
months from an origin every 3 months, with 80 % prediction intervals. It
prints the MAE of each month ahead and how often the intervals covered the
truth.

Usage::

    python examples/forecast_backtest.py
"""

import argparse
import time
import warnings

import pandas as pd
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import GridSearchCV, TimeSeriesSplit

from sklstm.datasets import load_co2
from sklstm.forecasting import DirectForecaster, backtest

HORIZON = 12  # months forecast from each origin
HELD_OUT = 36  # months kept for the final backtest
COVERAGE = 0.8

# Capped L-BFGS runs stop on max_iter by design, not for lack of convergence.
warnings.filterwarnings("ignore", message=".*did not converge", category=ConvergenceWarning)


def main():
    start = time.perf_counter()
    co2 = load_co2()
    search_data = co2.iloc[:-HELD_OUT]

    forecaster = DirectForecaster(
        window=12,
        horizon=HORIZON,
        target="co2",
        target_transform="diff",
        calibration=None,  # point forecasts only while searching: no extra fit
        random_state=0,
    )
    search = GridSearchCV(
        forecaster,
        {
            "window": [6, 12, 24],
            "regressor__hidden_layer_sizes": [(4,), (8,)],
            "regressor__max_iter": [60],
        },
        cv=TimeSeriesSplit(n_splits=2, test_size=HORIZON),
    ).fit(search_data)
    results = pd.DataFrame(search.cv_results_["params"])
    results["hidden"] = results.pop("regressor__hidden_layer_sizes").str[0]
    results["MAE (ppm)"] = -search.cv_results_["mean_test_score"]
    table = results.pivot(index="window", columns="hidden", values="MAE (ppm)")
    print("Rolling-origin MAE of 12-month forecasts (ppm), 2 origins:")
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    best = search.best_params_
    print(f"Best: window={best['window']}, hidden_layer_sizes="
          f"{best['regressor__hidden_layer_sizes']}\n")

    tuned = search.best_estimator_.set_params(calibration="holdout")
    result = backtest(tuned, co2, initial=len(co2) - HELD_OUT, step=3,
                      refit=False, coverage=COVERAGE)
    by_step = result.errors.abs().mean()
    covered = result.forecasts.groupby("step")["covered"].mean()
    summary = pd.DataFrame({"MAE (ppm)": by_step, f"{COVERAGE:.0%} covered": covered})
    n_folds = len(result.errors)
    print(f"Backtest of the last {HELD_OUT} months: {n_folds} origins, every 3 months")
    print(summary.T.to_string(float_format=lambda v: f"{v:.2f}"))
    print(f"All steps: MAE {by_step.mean():.3f} ppm, "
          f"{result.forecasts['covered'].mean():.0%} of the truths inside the "
          f"{COVERAGE:.0%} intervals.")
    print(f"Done in {time.perf_counter() - start:.1f} s.")


if __name__ == "__main__":
    # no options: --help describes the example, anything else is refused
    argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()
    main()
