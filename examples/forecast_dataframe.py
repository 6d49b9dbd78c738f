"""Forecast a monthly series from a DataFrame with LSTM forecasters.

Loads the bundled Mauna Loa CO2 series (a DataFrame indexed by month),
holds out its last two years, and forecasts them with

- ``DirectForecaster``: one LSTM predicts all 24 months at once;
- ``RecursiveForecaster``: one LSTM predicts the next month and is rolled
  forward on its own predictions;

next to two baselines on the same windows: the seasonal-naive forecast
(each month repeats its value of the last observed year) and a ridge
regression. It prints MAE and MAPE on the held-out months, then the LSTMs'
prediction intervals: how many held-out months each covers, and how wide
they are. When matplotlib is installed it saves a plot of the history, the
truth and the forecasts, and a fan chart of the intervals next to the truth.

The intervals are split-conformal, calibrated per horizon step: ``fit``
first fits a model on the history less its last 20 % and keeps the errors
of its forecasts from every origin in that held-out part, step by step;
then it fits on the whole history. An 80 % interval of step ``k`` is the
forecast plus or minus the 80 % quantile of the absolute errors of step
``k``, so intervals widen where later steps err more.

CO2 rises year after year. An LSTM's hidden state is bounded, so it cannot
extrapolate a level it has never seen; the forecasters therefore read each
window relative to its own level (``center_windows="auto"``, the default,
centres windows unless the targets are differenced): the mean of its values
is subtracted before the model reads it and added back to its forecasts. Targets are standardised too (``scale_target=True``, the
default), and forecasts come back in ppm, indexed by the future months.

The LSTMs are the forecasters' default (``regressor=None``): 8 units and 100
iterations of L-BFGS with an L2 penalty of ``alpha=10``, chosen on real
series by ``benchmarks/bench_forecasting.py``. Full-batch L-BFGS fits these
~400 windows of 12 months in well under a second. The ridge regressions read
the same (centred) windows.

Usage::

    python examples/forecast_dataframe.py [--output forecast_dataframe.png]
"""

import argparse
import os
import time

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.metrics import mean_absolute_error, mean_absolute_percentage_error
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklstm.datasets import load_co2
from sklstm.forecasting import DirectForecaster, RecursiveForecaster

HORIZON = 24  # months held out and forecast
WINDOW = 12  # months of history each forecast reads
SEASON = 12
COVERAGES = (0.5, 0.8, 0.95)  # nominal coverages of the fan's bands


def flatten(X):
    """(n_windows, window, n_channels) -> (n_windows, window * n_channels)."""
    return X.reshape(len(X), -1)


def main(output):
    start = time.perf_counter()
    df = load_co2()  # DataFrame, column "co2", monthly DatetimeIndex
    train, test = df.iloc[:-HORIZON], df.iloc[-HORIZON:]
    print(
        f"CO2 at Mauna Loa: {len(df)} months, {df.index[0]:%Y-%m} to "
        f"{df.index[-1]:%Y-%m}; forecasting the last {HORIZON} from "
        f"the {len(train)} before."
    )

    ridge = make_pipeline(FunctionTransformer(flatten), Ridge(alpha=1.0))
    common = {"window": WINDOW, "target": "co2"}
    models = {
        "LSTM direct": DirectForecaster(horizon=HORIZON, random_state=0, **common),
        "LSTM recursive": RecursiveForecaster(
            calibration_horizon=HORIZON, random_state=0, **common
        ),
        "Ridge direct": DirectForecaster(ridge, horizon=HORIZON, **common),
        "Ridge recursive": RecursiveForecaster(ridge, **common),
    }

    last_season = train["co2"].to_numpy()[-SEASON:]
    forecasts = {
        "seasonal naive": pd.Series(
            np.resize(last_season, HORIZON), index=test.index, name="co2"
        )
    }
    seconds = {"seasonal naive": 0.0}
    for name, model in models.items():
        tic = time.perf_counter()
        forecasts[name] = model.fit(train).predict(HORIZON)  # Series by month
        seconds[name] = time.perf_counter() - tic

    truth = test["co2"]
    rows = []
    for name, forecast in forecasts.items():
        assert forecast.index.equals(truth.index)
        rows.append(
            {
                "model": name,
                "MAE (ppm)": mean_absolute_error(truth, forecast),
                "MAPE (%)": 100 * mean_absolute_percentage_error(truth, forecast),
                "fit (s)": seconds[name],
            }
        )
    table = pd.DataFrame(rows).set_index("model")
    print()
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print()

    intervals = report_intervals(models, truth)
    plot(train["co2"], truth, forecasts, intervals, output)
    print(f"Done in {time.perf_counter() - start:.1f} s.")


def report_intervals(models, truth):
    """Print coverage and width of the LSTMs' intervals; return the direct one's."""
    rows = []
    fan = {}
    for name in ("LSTM direct", "LSTM recursive"):
        for coverage in COVERAGES:
            interval = models[name].predict_interval(HORIZON, coverage=coverage)
            inside = (interval["lower"] <= truth) & (truth <= interval["upper"])
            rows.append(
                {
                    "model": name,
                    "nominal": f"{coverage:.0%}",
                    "covered": f"{inside.sum()} of {len(truth)}",
                    "width, month 1": interval.iloc[0].diff().iloc[-1],
                    "width, month 24": interval.iloc[-1].diff().iloc[-1],
                }
            )
            if name == "LSTM direct":
                fan[coverage] = interval
    print("Prediction intervals on the held-out months (widths in ppm):")
    table = pd.DataFrame(rows).set_index(["model", "nominal"])
    print(table.to_string(float_format=lambda v: f"{v:.3f}"))
    print()
    return fan


def plot(history, truth, forecasts, fan, output):
    try:
        import matplotlib

        matplotlib.use("Agg")  # write a file; never open a window
        import matplotlib.pyplot as plt
    except ImportError:
        print("matplotlib is not installed: no plot (pip install matplotlib, or \".[examples]\" "
              "in sklstm's source tree).")
        return
    fig, (ax, ax_fan) = plt.subplots(2, 1, figsize=(9, 8), sharex=True)
    shown = history.iloc[-4 * SEASON :]
    ax.plot(shown.index, shown, color="black", lw=1.2, label="history")
    ax.plot(truth.index, truth, "o", color="black", ms=3.5, label="truth (held out)")
    styles = {
        "seasonal naive": {"color": "tab:gray", "ls": ":"},
        "Ridge direct": {"color": "tab:green", "ls": "--"},
        "Ridge recursive": {"color": "tab:olive", "ls": "--"},
        "LSTM direct": {"color": "tab:blue"},
        "LSTM recursive": {"color": "tab:red"},
    }
    for name, forecast in forecasts.items():
        ax.plot(forecast.index, forecast, lw=1.3, label=name, **styles[name])
    ax.axvline(truth.index[0], color="0.6", lw=0.8)
    ax.set_title(f"Mauna Loa CO2: forecasts of the last {len(truth)} months")
    ax.set_ylabel("CO2 (ppm)")
    ax.legend(loc="upper left", fontsize=8, ncol=2)

    # The fan: widest band first, so that the narrower ones are drawn on top.
    ax_fan.plot(shown.index, shown, color="black", lw=1.2, label="history")
    for coverage, alpha in zip(sorted(fan, reverse=True), (0.18, 0.3, 0.45)):
        band = fan[coverage]
        ax_fan.fill_between(
            band.index, band["lower"], band["upper"], color="tab:blue",
            alpha=alpha, lw=0, label=f"{coverage:.0%} interval",
        )
    ax_fan.plot(forecasts["LSTM direct"].index, forecasts["LSTM direct"],
                color="tab:blue", lw=1.3, label="LSTM direct")
    ax_fan.plot(truth.index, truth, "o", color="black", ms=3.5, label="truth (held out)")
    ax_fan.axvline(truth.index[0], color="0.6", lw=0.8)
    ax_fan.set_title("LSTM direct: split-conformal intervals, calibrated per month ahead")
    ax_fan.set_ylabel("CO2 (ppm)")
    ax_fan.legend(loc="upper left", fontsize=8, ncol=2)
    fig.tight_layout()
    fig.savefig(output, dpi=110)
    plt.close(fig)
    print(f"Saved the plot to {os.path.abspath(output)}")


def png_path(text):
    """``--output``: a .png file in a folder that exists, checked before
    the fits rather than when the plot is saved."""
    if not text.lower().endswith(".png"):
        raise argparse.ArgumentTypeError(f"must name a .png file, got {text!r}")
    folder = os.path.dirname(os.path.abspath(text))
    if not os.path.isdir(folder):
        raise argparse.ArgumentTypeError(f"its folder {folder} does not exist")
    return text


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--output",
        default="forecast_dataframe.png", type=png_path,
        help="where to save the PNG plot (default: ./forecast_dataframe.png)",
    )
    main(parser.parse_args().output)
