"""When to read windows relative to their level: ``center_windows`` on the bundled series.

A rolling-origin check on the training part of each bundled series (the
last 24 rows, the examples' test part, are left out): the forecasters with
their default LSTM (``regressor=None``, window 12), fitted on all rows up to
each of four origins 24 rows apart, forecast the next 24 rows from there
(:func:`sklstm.forecasting.backtest` with ``refit=True``). The score is the
mean absolute error over all origins and steps, averaged over three seeds (``--seeds``).

These origins are not held out from ``bench_forecasting.py``: its test
parts are CO2's last 120 rows and sunspots' last 66, where all of CO2's
forecasts here and 42 of sunspots' 96 fall. So this script illustrates; it chose no default
(``center_windows="auto"`` was chosen on ``bench_forecasting.py``'s
training days), and its tables are no evidence beside that choice.

Measured (``python benchmarks/bench_center_windows.py``, 2-core machine)::

    series    target_transform  forecaster  center_windows=False  True
    co2       "diff"            direct       0.724                 0.491
    co2       "diff"            recursive    0.704                 0.897
    co2       None              direct       2.793                 0.844
    co2       None              recursive    3.148                 0.848
    sunspots  None              direct      32.532                38.015
    sunspots  None              recursive   26.176                38.141

(Remeasured after the weighted input statistics moved to values shifted by
their first row; the largest move, co2 recursive on raw values, was 3.869
to 3.148, and every comparison keeps its side.)

On CO2, whose level rises out of the range of the fit data, centering
lets a model on raw values follow the trend (about 4 times smaller errors);
on differences, which already remove the trend, it is mixed. On sunspots,
whose cycle returns to the same levels, the level itself is informative,
and centering lost it. That table was measured with the default LSTM of
then, whose L2 penalty was ``alpha=1e-4``, and kept ``center_windows=False``
as the default.

Then the default LSTM had ``alpha=3`` (and read windows of up to 16 steps
step by step; it now reads each window as one patch, with ``alpha=10``)
and ``center_windows`` became "auto" (centre unless
``target_transform="diff"``), both chosen on twelve real series by
``benchmarks/bench_forecasting.py``. The same check with that LSTM (each
column as labelled, whatever "auto" would choose)::

    series    target_transform  forecaster  center_windows=False  True
    co2       "diff"            direct       0.708                 0.490
    co2       "diff"            recursive    0.809                 0.725
    co2       None              direct       4.044                 0.967
    co2       None              recursive    3.218                 0.934
    sunspots  None              direct      36.007                36.760
    sunspots  None              recursive   22.943                23.918

The penalised LSTM loses little to centering on sunspots (2 to 4 %), where
the unpenalised one lost 17 to 46 %; on CO2's differences centering helps
here, but over the twelve series it did not (see ``bench_forecasting.py``).

Run::

    python benchmarks/bench_center_windows.py

(``--seeds 0`` for a run of a third of the time; ``--help`` for options.)
The script sets ``center_windows`` explicitly, False then True.
"""

import argparse
import sys
import warnings
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cli import random_seed  # noqa: E402
from sklstm.datasets import load_co2, load_sunspots  # noqa: E402
from sklstm.forecasting import DirectForecaster, RecursiveForecaster, backtest  # noqa: E402

HORIZON = 24
N_FOLDS = 4
CASES = (("co2", load_co2, "diff"), ("co2", load_co2, None), ("sunspots", load_sunspots, None))


def rolling_mae(forecaster, series):
    """Mean absolute error of N_FOLDS refitted folds at the end of ``series``."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the default LSTM's iteration cap
        result = backtest(forecaster, series, initial=len(series) - N_FOLDS * HORIZON,
                          step=HORIZON, horizon=HORIZON, refit=True)
    return float(np.abs(result.errors.to_numpy()).mean())


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seeds", type=random_seed, nargs="+", default=[0, 1, 2],
                        help="random_state of each fit; the score is their mean")
    seeds = parser.parse_args(argv).seeds
    print(f"{'series':9s} {'transform':>9s} {'forecaster':>10s} {'center=False':>13s} "
          f"{'True':>8s}")
    with threadpool_limits(1):
        for name, load, transform in CASES:
            series = load().iloc[:-HORIZON, 0]  # the examples' test part left out
            for kind, cls in (("direct", DirectForecaster), ("recursive", RecursiveForecaster)):
                maes = []
                for center in (False, True):
                    params = dict(window=12, target_transform=transform,
                                  center_windows=center)
                    if cls is DirectForecaster:
                        params["horizon"] = HORIZON
                    maes.append(np.mean([
                        rolling_mae(cls(random_state=seed, **params), series) for seed in seeds
                    ]))
                print(f"{name:9s} {transform!s:>9s} {kind:>10s} {maes[0]:13.3f} {maes[1]:8.3f}",
                      flush=True)


if __name__ == "__main__":
    main()
