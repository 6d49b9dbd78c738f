"""Forecasting 14 days of daily demand with covariates known in advance.

The data: three years of daily sales (synthetic, fixed seed) with weekly and
yearly seasonality, a slow trend, planned prices (list-price changes and
promotional discounts), promotion campaigns of 2-5 days that lift demand
beyond the discount, a price elasticity of -2 and persistent (AR(1))
multiplicative shocks. Price, promotion and the day of the week (as sine and
cosine) are known 14 days ahead.

The models, all fed the same columns and windows of the last ``WINDOW`` days:

- ``encoder-decoder``: ``DirectForecaster`` with its default regressor for
  future covariates, :class:`sklstm.LSTMEncoderDecoderRegressor`;
- ``recursive``: ``RecursiveForecaster`` with its default LSTM;
- ``direct LSTM (shifted)``: ``DirectForecaster`` with its former default,
  an ``LSTMRegressor`` reading the covariates shifted ahead in the window;
- ``ridge``: ``DirectForecaster`` with a ridge regression on the flattened
  (standardised) windows;
- ``seasonal naive``: the sales of the same weekday one week before;
- ``oracle``: the forecast that knows the generator (every day's expected
  sales and the shock at the origin), whose error is the part no model can
  remove: the shocks still to come.

Each model is fitted once on the first ``N_TRAIN`` days, then forecasts 14
days from every 7th day of the rest (a rolling origin without refit), each
time from the history up to its origin. The score is the mean absolute
error over all origins and steps, averaged over three seeds for the LSTMs.

The settings (target transform, ``center_windows``, window, the
encoder-decoder's units, iterations and penalty, the ridge penalty) are
scored with ``--tune``, which fits and forecasts the same way inside the
training days only: fit on the first ``N_VALIDATION_FIT`` days, forecast
from origins up to day ``N_TRAIN``. The test days are never seen. The
encoder-decoder's window is four weeks throughout. Its solver and
regularisation are scored the same way with ``--tune-regularisation``
(below); ``DirectForecaster``'s default since is Adam with
``recurrent_dropout=0.2``, where it was 100 L-BFGS iterations.

Solver and regularisation (``--tune-regularisation --data-seeds 0 1 2 3 4
5``, 12 min): validation MAE of the encoder-decoder, 16 units, seed 0, log
targets, centered windows, on six draws of the data (Adam's mini-batches of
near-equal size, ``bench_realdata.py``)::

    candidate                   0      1      2      3      4      5     mean
    ridge                     12.79  11.88  10.97  11.02  11.85  10.49  11.50
    L-BFGS, 100 iterations    11.37  10.64  11.76  16.05  14.37  11.77  12.66
    Adam                      10.67  12.12  12.27  12.93  16.00  13.95  12.99
    Adam, dropout 0.1 (both)  13.60   9.95  11.52  11.90  13.59  12.29  12.14
    Adam, dropout 0.2 (both)  13.22  10.50  12.69  11.84  13.82  12.56  12.44
    Adam, input dropout 0.2   13.26  11.57  11.25  14.56  15.68  11.81  13.02
    Adam, recurrent 0.1        9.61   9.54  11.41  11.60  11.52  11.43  10.85
    Adam, recurrent 0.2        9.38   9.22  11.53  11.38  11.38  10.95  10.64
    Adam, recurrent 0.3        9.41   9.43  11.12  11.47  11.97  11.39  10.80
    Adam, recurrent 0.2, 32    9.07   9.97  11.98  11.81  14.18  12.92  11.66
    oracle                     7.51   6.96   7.87   8.90   7.36   7.33   7.65

Dropout of the recurrent state (variational, one mask per window) is the
regulariser that helps: 16 % ahead of L-BFGS and 7 % ahead of ridge on
average, ahead of L-BFGS on every draw. Dropout of the inputs (the
covariates and the context, at the decoder) makes the training loss noisy
enough to stop Adam's fit early and helps less; 0.2 and 0.3 tie, and 32
units do not help. Adam's 200 epochs cost about 13 s a fit here, where
L-BFGS took 3 s. With mini-batches of 32 and a remainder (before
near-equal batches) the order was the same: recurrent 0.1, 0.2 and 0.3
10.91, 10.75 and 10.71, Adam 12.90, ridge 11.50; and 400 epochs
validated worse than the default 200 (recurrent 0.2 and 0.3: 11.03 and
11.15), so the epoch cap acts as early stopping.

Five more regularisers, each added to recurrent dropout 0.2 and scored
the same way (validation, six draws, seed 0), and not kept; mean MAE,
draws ahead of recurrent dropout 0.2 alone (10.64), fit time::

    early stopping, last 10 % of windows held out   12.07   1 of 6    3 s
    early stopping, a random 10 % held out          11.84   1 of 6   10 s
    alpha=1e-2                                      10.79   1 of 6   10 s
    8 units                                         12.09   1 of 6    8 s
    100 epochs                                      10.72   3 of 6    5 s

Both kinds of early stopping fall behind ridge; the cap of 200 epochs
stays the encoder-decoder's stopping rule.

Two ways of giving the encoder-decoder ridge's linear extrapolation were
scored the same way (validation, six draws, seed 0, recurrent dropout 0.2;
prototypes outside the package) and not kept: a linear map from the flattened window and future covariates
to every output, added to the decoder's and trained with it (LSTNet's
"highway"): 11.71 (11.80 with ``alpha=0.01``); and ridge fitted first, the
encoder-decoder then fitted on its residuals: 12.26. Both are behind the
encoder-decoder alone (10.64) and ridge (11.50).

A seed ensemble (the forecasts of the encoder-decoders of seeds 0, 1 and 2
averaged; a prototype outside the package, log targets, centered windows)
was scored the same way: validation MAE 10.54 over the six draws, against
10.97 for its members on average and 11.50 for ridge (per draw 9.34,
8.97, 11.07, 11.21, 12.15, 10.47; the median of the three 10.43). Its 4 %
over a single model is less than the encoder-decoder's gap to ridge on the
test days (11 %, below), at three times the fit; not kept.

When LSTMRegressor and LSTMClassifier moved to mini-batches of 64 at a
rate of 2e-3 (``bench_realdata.py``), the encoder-decoder's batches were
scored the same way (validation, six draws, seed 0, recurrent dropout
0.2): 64 at 2e-3 10.89 (9.72, 9.35, 11.37, 11.28, 11.97, 11.65), 16 at
1e-3 11.62, against 10.64 for its 32 at 1e-3, which it keeps.

Weights averaged over the last epochs (stochastic weight averaging: the
fit stops 50 or 100 epochs before its 200, runs them one epoch at a time
and averages the weights after each; a prototype outside the package)
were scored the same way (validation, six draws, seed 0, recurrent dropout
0.2): 10.58 and 10.54 against 10.64 (100 epochs per draw: 9.64, 9.10,
11.15, 11.50, 11.04, 10.83), a tie; not kept.

A seasonal skip into the decoder (LSTNet's skip connection, in the
encoder-decoder's terms: at horizon step k the decoder also reads the
window's target at the same weekday, ``k - 7 * ceil(k / 7)`` days from
the origin, so that the context need not carry the last weeks' values; a
prototype outside the package, gradients checked by finite differences)
was scored the same way (validation, six draws, seed 0, recurrent dropout
0.2): 11.14 (10.32, 9.92, 12.17, 11.48, 11.89, 11.04) against 10.64,
behind on five draws; not kept. What the decoder lacks is not access to
the window.

The encoder-decoder and the penalty: after the forecasters' default LSTM
got ``alpha=3``, four candidates with a penalty were scored the same way
(validation, six draws, seed 0), beside the recursive forecaster with that
LSTM (``--tune-regularisation --candidates ...``)::

    candidate                          0      1      2      3      4      5     mean
    recursive (default LSTM)         11.05  10.52  10.03  10.64  13.58  12.11  11.32
    Adam, recurrent 0.2 (default)     9.38   9.22  11.53  11.38  11.38  10.95  10.64
    the same, alpha=1                10.50  10.03  10.84  11.49  11.18  11.35  10.90
    the same, alpha=3                13.72  10.06  11.16  12.48  14.04  11.43  12.15
    L-BFGS, 100 iterations, alpha=3  12.97  10.33  11.24  13.86  11.44  14.68  12.42
    the same, alpha=10               12.89  10.75  11.23  13.18  13.47  13.82  12.56

Recurrent dropout regularises the encoder-decoder better than the penalty,
alone or added to it; its default is unchanged.

BLAS runs on one thread for every model: the machine is shared, and the
products are small.

Validation (``--tune``, 9 min; MAE over seeds 0-2, window 28; the
encoder-decoder at the former default, 16 units, 100 L-BFGS iterations; in
brackets with ``--decoder-state zeros``)::

    model              None           None+center    log            log+center
    encoder-decoder    13.74 (13.46)  12.27 (11.84)  14.28 (16.40)  10.49 (13.26)
    recursive          15.68          14.39          13.08          12.29
    ridge (alpha=1)    15.21          16.22          12.57          12.79

The "± sd" of this docstring's tables was the population standard deviation
over the seeds (``ddof=0``) until the script printed the sample one: multiply
those by 1.22 for three seeds and by 1.10 for six. With three seeds a gap of
1 % between two models is within their spread.

Test (``python benchmarks/bench_future_covariates.py``, 4 min on a
loaded 2-core machine; the encoder-decoder with Adam's mini-batches of
near-equal size; test MAE in units sold, mean ± sd over seeds 0-2)::

    model                    None          None+center   log           log+center
    encoder-decoder          13.38 ± 0.56  12.51 ± 1.22  13.59 ± 0.13  10.65 ± 0.85
      former L-BFGS default  14.25 ± 0.52  13.21 ± 0.44  14.24 ± 0.38  12.89 ± 0.19
      the same, "zeros"      13.34 ± 1.57  13.50 ± 1.53  14.55 ± 0.62  11.88 ± 1.34
    recursive                10.71 ± 0.25  10.88 ± 0.86  10.45 ± 0.21   9.72 ± 0.35
      with alpha=1e-4        13.73 ± 1.66  12.46 ± 2.24  12.20 ± 1.30  12.33 ± 1.59
    direct LSTM (shifted)    22.61 ± 1.24  20.30 ± 0.76  19.32 ± 0.48  18.73 ± 0.81
    ridge                    12.48         12.70          9.90          9.82
    seasonal naive           35.53         35.53         35.53         35.53
    oracle                    7.06          7.06          7.06          7.06

(The recursive and shifted LSTMs read their 28-step windows in patches of
two steps, ``patch_length="auto"`` of then; it now reads patches of about
64 values, 12 steps of these 5 channels, and the forecasters' LSTM has
``alpha=10``: see the test-day table below. The two rows of the former default
are the encoder-decoder's row of ``--encoder-decoder-params '{"solver":
"lbfgs", "max_iter": 100, "recurrent_dropout": 0}'``, the second with
``--decoder-state zeros``; rerun so on a later version, the first read
12.77 ± 0.27 with log targets, centered, where the table has 12.89: later
changes of the last bits, which 100 L-BFGS iterations amplify. The
"with alpha=1e-4" row is recursive's before the forecasters' default LSTM
got its penalty of ``alpha=3``; the shifted LSTM's row, rerun then, moved
by up to 0.06.) Reading each window relative to its
own level (``center_windows=True``) helped the encoder-decoder in every
setting (the former default in all but one: None, "zeros", test) and, with
the unpenalised LSTM, recursive on both splits except with log targets on
the test days (12.20 -> 12.33, within its spread). With log targets and
centered windows the encoder-decoder was the most accurate LSTM on these
test days until recursive's LSTM was penalised (10.65 against 12.33; now
9.72), 1.8 times more accurate than the former direct default, and 8 %
behind ridge on log targets, which suits this nearly log-linear data.

``decoder_state`` (chosen with the former L-BFGS default): starting the
decoder from the encoder's states validated better in two of the four
settings (much better with log targets, by 0.3-0.4 worse without), 12.70
against 13.74 on average; on the test days it was worse in two (by up to
1.0) and better in two, and its spread over seeds was smaller in every
setting (0.2-0.5 against 0.6-1.6). A further run of seeds 0-5 on the
validation days (log+center, None+center, log) gave 12.09, 12.65 and 14.64
against 12.72, 12.22 and 16.38.

One draw of the data (26 origins) decides little. ``--data-seeds``
repeats the test on other draws of the same generator (12 min for six
draws with ``--log-centered-only``); test MAE per draw, LSTMs averaged over
seeds 0-2::

    data seed                0      1      2      3      4      5     mean
    encoder-decoder         10.65  11.03  12.36  12.95  17.28  13.01  12.88
      former L-BFGS default 12.89  11.12  13.78  12.59  16.40  15.91  13.78
    recursive                9.72  10.80   9.94  13.67  11.21  12.67  11.34
      with alpha=1e-4       12.33  13.00  11.50  14.37  19.42  11.17  13.63
    direct LSTM (shifted)   18.73  22.01  23.67  24.58  27.24  18.31  22.42
    ridge                    9.82  11.91   9.60  12.64  15.25   9.60  11.47
    seasonal naive          35.53  39.04  47.57  51.42  45.83  23.02  40.40
    oracle                   7.06   8.66   6.92   9.22   8.50   7.19   7.92

(Remeasured after the weighted input statistics moved to values shifted by
their first row: the encoder-decoder's row did not move, the L-BFGS LSTMs'
by up to 0.3 on one draw, from the last bits of those statistics. The
encoder-decoder's row was measured with Adam's mini-batches of
near-equal size; with batches of 32 and a remainder it was 10.44, 11.26,
11.88, 12.92, 16.98 and 13.03, mean 12.75. The other models fit with
L-BFGS, so their rows are unchanged. Remeasured again after the float64
gates were computed from ``exp`` (``sklstm._kernel._activate``): the
encoder-decoder's row did not move, recursive's draw 4 moved by 0.01 and
the shifted LSTM's by 0.26, 27.15 before. Remeasured once more after
the forecasters' default LSTM got its L2 penalty of ``alpha=3`` (chosen
on twelve real series, ``bench_forecasting.py``): recursive's row, which
fits that LSTM, moved from the "with alpha=1e-4" row to the one above it;
the shifted LSTM's draw 4 moved by 0.17; the rest did not move.)

With the penalised default LSTM, recursive is the most accurate model on
these test days (11.34), ahead of ridge (11.47) and of the encoder-decoder
(12.88), which leads it on two draws of six; before the penalty the
encoder-decoder was ahead of recursive on four draws and on average
(12.88 against 13.63). The encoder-decoder is 7 % ahead of the former
L-BFGS default and far ahead of the LSTM on shifted covariates. Ridge on
log windows is ahead of it on average (behind on draw 1 only): its error
is 45 % above the oracle's, the encoder-decoder's 63 %. On the validation
days the order was the reverse: the encoder-decoder 10.64, recursive
11.32, ridge 11.50 (below, "The encoder-decoder and the penalty").
The encoder-decoder fits its 900 days more closely than the generator
allows: from the training days' origins (day 400 on, seed 0) its error is
6.4, below the oracle's 7.2 there, where ridge's is 8.9. Nor is the gap
the list price, whose changes drift upward (steps of +1.0, +0.5 or -0.5),
so that on draws 4 and 5, where the encoder-decoder trails most, the test
days' prices rise above any of the training days': with the list price
held at 10 (prices moved by discounts only, every other draw the same; the
generator patched outside the package), test MAE per draw was 8.50, 11.31,
10.10, 12.32, 11.71 and 9.17 for the encoder-decoder (mean 10.52), 11.24
on average for recursive and 8.66, 10.20, 8.78, 11.62, 10.47 and 8.62 for
ridge (9.73; oracle 7.92): ridge still 8 % ahead. More training days do
not close the gap (``--learning-curve``, 8 min: draw 0 generated once for
3600 + 195 days, the last 195 tested, each row trained on the days just
before them)::

    training days   encoder-decoder   ridge   oracle
      900                8.28          8.34    6.65
     1800                8.34          7.82    6.65
     3600                8.48          8.52    6.65

On these test days the two tie at 900 and 3600 days. An earlier version
drew each length anew, another trend slope and other random draws per
row; its rows (10.65 against 9.82 at 900 days, 8.48 against 8.52 at 3600)
compared different series, and read as a gap that closed.

A drifting price (``--price``): the list price moves a few times a year,
mostly upward, and on draws 4 and 5 the test days' prices rise above any
the models were fitted on. ``center_covariates`` reads a covariate
relative to its level in each window (its mean over the window's values up
to the origin). Four ways of reading the price were scored on the
validation days (``--tune-regularisation --candidates "adam, recurrent
0.2" --data-seeds 0 1 2 3 4 5 --price FORM``; six draws, seed 0, log
targets, centered windows), mean MAE::

    price read as            encoder-decoder   recursive   ridge
    raw (the runs above)          10.64          11.32     11.50
    log                           10.56          12.69     11.06
    centered                      10.32          10.23     11.01
    centered-log                   9.74          10.13     10.48

The centred logarithm validated best for all three. Windows of three and
eight weeks were scored the same way with it (validation, six draws, seed
0; a script outside the package calling ``make_models(window=...)`` and
``rolling_mae``), mean MAE::

    window            encoder-decoder   recursive   ridge
    21                     10.03          9.98      10.67
    28 (the above)          9.74         10.13      10.48
    56                     10.00         10.09      10.99

Four weeks validated best for the encoder-decoder and ridge (recursive is
within 0.15 at every window); the window stays 28. On the test days
(``--data-seeds 0 1 2 3 4 5 --log-centered-only --price centered-log``;
LSTMs averaged over seeds 0-2)::

    data seed                0      1      2      3      4      5     mean
    encoder-decoder         8.69  11.61  11.05  12.30  11.33   8.85  10.64
    recursive              10.16  11.41  10.91  12.78   9.57   9.06  10.65
    direct LSTM (shifted)  15.72  18.69  21.91  20.76  19.71  13.66  18.41
    ridge                   9.12  10.35   9.53  12.77  10.55   9.16  10.25
    oracle                  7.06   8.66   6.92   9.22   8.50   7.19   7.92

The recursive and shifted rows were measured with today's default LSTM
(patches of about 64 values, ``alpha=10``; 5 min 31 s on one thread).
With the former one (windows in patches of two steps, ``alpha=3``) they
read 9.64, 10.65, 10.41, 12.13, 9.88, 9.08 (mean 10.30) and 20.91, and
every other recursive figure of this docstring was measured so; the
encoder-decoder's and ridge's do not depend on it. The encoder-decoder
now ties recursive (10.64 against 10.65) and trails ridge by 4 %.

Every model gains on the raw price (encoder-decoder 12.88 -> 10.64,
recursive 11.34 -> 10.30, ridge 11.47 -> 10.25), most on draws 4 and 5, whose
test prices rise above any fitted on (the encoder-decoder 17.28 ->
11.33 on draw 4, recursive 12.67 -> 9.08 on draw 5). The encoder-decoder still trails
recursive and ridge on these test days, by 3 % and 4 %, where it led them
on the validation days by 4 % and 7 %. Its regularisation, scored again
with the centred log price (validation, as above without ``--candidates``): recurrent dropout 0.3
9.55, 0.1 10.00, 0.2 with ``alpha=1`` 9.68, 100 L-BFGS iterations with
``alpha=10`` 9.70, against 9.74 for the default; a tie, so the default
stays.

Six more draws of the test days (``--data-seeds 6 7 8 9 10 11
--log-centered-only --price centered-log``)::

    data seed                6      7      8      9     10     11     mean
    encoder-decoder        11.51   8.50  11.66  12.61  10.46   9.70  10.74
    recursive              10.14   8.77  10.32  11.85  11.35   9.41  10.31
    ridge                  11.05   8.33   9.68  11.18  11.20   9.30  10.12
    oracle                  8.06   6.87   7.76   7.57   8.71   7.58   7.76

Over the twelve draws the encoder-decoder trails the former recursive LSTM
by 4 % (10.69 against 10.31; ahead on 4 of the 12) and ridge by 5 % (10.19). Two other
validation folds of the training days (``--validation-days FIT END``,
the same candidate and draws as the table of price forms) tell apart
what the validation days differ from the test days in::

    fit on days   origins      encoder-decoder   recursive   ridge
    0-360         360-540           10.26          10.54      9.91
    0-540         540-720            9.42           9.89      9.68
    0-720         720-900            9.74          10.13     10.48

Days 720-900 are the yearly cycle's rise, the test days its fall; on the
fall of the year before (540-720) the encoder-decoder leads as well, so
the season is not what turns the order. Nor is the weekday of the
origins, which ``ORIGIN_STEP = 7`` fixes for a fold (the test origins are
Mondays, the validation origins Wednesdays): with origins on every day of
days 720-900 (seed 0; a script outside the package), the mean MAE over
the six draws by the origin's weekday ranged from 9.73 to 10.00 for the
encoder-decoder and from 10.13 to 10.34 for recursive. Ridge leads where
the fit has least data (360 days). Why the encoder-decoder, ahead of
recursive on every validation fold, trails it on the test days is left
open; no setting was chosen on them.

Run::

    python benchmarks/bench_future_covariates.py
    python benchmarks/bench_future_covariates.py --data-seeds 0 1 2 3 4 5 --log-centered-only \\
        --price centered-log
    python benchmarks/bench_future_covariates.py --data-seeds 0 1 2 3 4 5 --log-centered-only
    python benchmarks/bench_future_covariates.py --tune    # the validation grid
    python benchmarks/bench_future_covariates.py --tune-regularisation --data-seeds 0 1 2 3 4 5
    python benchmarks/bench_future_covariates.py --learning-curve
    python benchmarks/bench_future_covariates.py --tune-regularisation \\
        --candidates "adam, recurrent 0.2" --data-seeds 0 1 2 3 4 5 --price centered-log \\
        --validation-days 540 720
"""

import argparse
import itertools
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cli import estimator_params, random_seed  # noqa: E402
from sklstm import LSTMEncoderDecoderRegressor, LSTMRegressor  # noqa: E402
from sklstm.forecasting import DirectForecaster, RecursiveForecaster  # noqa: E402
from sklstm.forecasting._direct import _DEFAULT_ENCODER_DECODER_PARAMS  # noqa: E402

HORIZON = 14
WINDOW = 28
N_DAYS = 3 * 365
N_TRAIN = 900
N_VALIDATION_FIT = 720
ORIGIN_STEP = 7
FUTURE = ["price", "promo", "dow_sin", "dow_cos"]
SEEDS = (0, 1, 2)
# Chosen by --tune on the training days (see the module docstring): the
# encoder-decoder validated best with target_transform=None (its former
# default, 16 units and 100 L-BFGS iterations), ridge and recursive with
# "log" (recursive at window 28: None). The run shows both for all.
TARGET_TRANSFORMS = (None, "log")
# Each transform is run without and with center_windows=True (windows read
# relative to their own level, DeepAR's scaling).
CENTER_WINDOWS = (False, True)
RIDGE_ALPHA = 1.0


# AR(1) coefficient of the multiplicative demand shocks.
SHOCK_PERSISTENCE = 0.5


def demand_components(n_days=N_DAYS, seed=0):
    """The generator of :func:`make_daily_demand`, with its hidden parts.

    Returns
    -------
    frame : DataFrame of shape (n_days, 5)
        ``sales`` and the covariates known in advance, daily from 2021-01-01.
    mean : ndarray of shape (n_days,)
        The expected sales without shocks: level, seasons, price and promotion.
    shocks : ndarray of shape (n_days,)
        The AR(1) log-shocks: ``sales = mean * exp(shocks)``.
    """
    rng = np.random.RandomState(seed)
    index = pd.date_range("2021-01-01", periods=n_days, freq="D")
    t = np.arange(n_days)
    dow = index.dayofweek.to_numpy()
    weekly = np.array([0.85, 0.9, 0.95, 1.0, 1.15, 1.35, 1.2])[dow]
    yearly = 1 + 0.12 * np.sin(2 * np.pi * (t - 80) / 365.25)
    level = 100 * (1 + 0.15 * t / n_days) * yearly
    # Campaigns of 2-5 days, planned ahead, about one every three weeks.
    promo = np.zeros(n_days)
    start = 0
    while start < n_days:
        start += rng.geometric(1 / 20)
        promo[start : start + rng.randint(2, 6)] = 1.0
    # A list price that changes a few times a year, discounted in campaigns.
    changes = rng.binomial(1, 1 / 120, n_days) * rng.choice([-0.5, 0.5, 1.0], n_days)
    list_price = 10 + np.cumsum(changes)
    price = np.round(list_price * (1 - promo * rng.choice([0.1, 0.2, 0.3], n_days)), 2)
    mean = level * weekly * (price / list_price) ** -2.0 * (1 + 0.25 * promo)
    shocks = np.zeros(n_days)  # demand shocks persist for a few days
    for i in range(1, n_days):
        shocks[i] = SHOCK_PERSISTENCE * shocks[i - 1] + rng.normal(scale=0.06)
    frame = pd.DataFrame(
        {
            "sales": mean * np.exp(shocks),
            "price": price,
            "promo": promo,
            "dow_sin": np.sin(2 * np.pi * dow / 7),
            "dow_cos": np.cos(2 * np.pi * dow / 7),
        },
        index=index,
    )
    return frame, mean, shocks


def make_daily_demand(n_days=N_DAYS, seed=0):
    """Daily sales with weekly seasonality, planned prices and promotions.

    Returns
    -------
    frame : DataFrame of shape (n_days, 5)
        ``sales`` and the covariates known in advance, daily from 2021-01-01.
    """
    return demand_components(n_days, seed)[0]


def _flatten(X):
    return X.reshape(len(X), -1)


# How the forecasters read the price (--price): (take its log, centre it).
PRICE_FORMS = {
    "raw": (False, False),
    "log": (True, False),
    "centered": (False, True),
    "centered-log": (True, True),
}


def price_form(data, form):
    """``data`` with the price as ``form`` of PRICE_FORMS reads it, and the
    ``center_covariates`` that goes with it."""
    log, centre = PRICE_FORMS[form]
    if log:
        data = data.assign(price=np.log(data["price"]))
    return data, ("price" if centre else None)


def make_models(seed, *, target_transform, center_windows=False, window=WINDOW,
                ridge_alpha=RIDGE_ALPHA, encoder_decoder=None, encoder_decoder_params=None,
                center_covariates=None):
    """The compared forecasters, name -> unfitted forecaster.

    ``encoder_decoder`` None means DirectForecaster's default, with
    ``encoder_decoder_params`` set on it; ``center_covariates`` is set on
    every forecaster.
    """
    if encoder_decoder is None:
        params = {**_DEFAULT_ENCODER_DECODER_PARAMS, **(encoder_decoder_params or {})}
        encoder_decoder = LSTMEncoderDecoderRegressor(**params, random_state=seed)
    common = dict(
        window=window, target="sales", future_covariates=FUTURE,
        target_transform=target_transform, center_windows=center_windows,
        center_covariates=center_covariates, calibration=None, random_state=seed,
    )
    ridge = make_pipeline(FunctionTransformer(_flatten), StandardScaler(), Ridge(ridge_alpha))
    # The former default of DirectForecaster (and RecursiveForecaster's).
    shifted = LSTMRegressor(hidden_layer_sizes=(8,), solver="lbfgs", max_iter=100,
                            random_state=seed)
    return {
        "encoder-decoder": DirectForecaster(encoder_decoder, horizon=HORIZON, **common),
        "recursive": RecursiveForecaster(**common),
        "direct LSTM (shifted)": DirectForecaster(shifted, horizon=HORIZON, **common),
        "ridge": DirectForecaster(ridge, horizon=HORIZON, **common),
    }


def rolling_mae(forecaster, data, n_fit, n_end):
    """Fit on ``data[:n_fit]``; MAE of the forecasts from every ORIGIN_STEP-th
    origin in ``[n_fit - 1, n_end - HORIZON - 1]``; and the fit time (s)."""
    start = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # iteration caps are deliberate here
        forecaster.fit(data.iloc[:n_fit])
    fit_time = time.perf_counter() - start
    errors = []
    for origin in _origins(n_fit, n_end):
        ahead = data.iloc[origin + 1 : origin + 1 + HORIZON]
        pred = forecaster.predict(
            HORIZON, future=ahead[FUTURE], history=data.iloc[: origin + 1]
        )
        errors.append(np.abs(ahead["sales"].to_numpy() - np.asarray(pred)))
    return float(np.mean(errors)), fit_time


def _origins(n_fit, n_end):
    """The forecast origins of the rolling evaluation: every ORIGIN_STEP-th day."""
    return range(n_fit - 1, n_end - HORIZON, ORIGIN_STEP)


def seasonal_naive_mae(data, n_fit, n_end):
    """MAE of repeating the last observed week, over the same origins."""
    sales = data["sales"].to_numpy()
    steps = np.arange(1, HORIZON + 1)
    errors = [np.abs(sales[origin + steps] - sales[origin - 7 + 1 + (steps - 1) % 7])
              for origin in _origins(n_fit, n_end)]
    return float(np.mean(errors))


def oracle_mae(data, mean, shocks, n_fit, n_end):
    """MAE of the forecast that knows the generator, over the same origins.

    It knows the expected sales ``mean`` of every day and the shock at the
    origin, and forecasts the conditional median
    ``mean[origin + k] * exp(SHOCK_PERSISTENCE**k * shocks[origin])``: what
    remains is the error no model can remove, the shocks still to come.
    """
    sales = data["sales"].to_numpy()
    steps = np.arange(1, HORIZON + 1)
    errors = [
        np.abs(sales[origin + steps]
               - mean[origin + steps] * np.exp(SHOCK_PERSISTENCE**steps * shocks[origin]))
        for origin in _origins(n_fit, n_end)
    ]
    return float(np.mean(errors))


# The encoder-decoder candidates of --tune: (units, L-BFGS iterations, alpha).
CANDIDATES = ((16, 100, 1e-4), (16, 200, 1e-4), (8, 100, 1e-4), (16, 300, 0.1))


def _sample_sd(values):
    """The sample standard deviation (ddof=1) of a few seeds' scores; 0 for one."""
    return float(np.std(values, ddof=1)) if len(values) > 1 else 0.0


def _row(name, window, transform, center, setting, maes):
    maes = np.atleast_1d(maes)
    print(f"{name:24s} {window:6d} {transform!s:>9s} {center!s:>6s} {setting:>16s} "
          f"{maes.mean():7.2f} {_sample_sd(maes):6.2f}", flush=True)


def tune(data, decoder_state, references):
    """Score candidate settings on the training days only (LSTMs: over SEEDS)."""
    n_fit, n_end = N_VALIDATION_FIT, N_TRAIN
    print(f"validation: fit on days [0, {n_fit}), origins up to day {n_end}; "
          + ", ".join(f"{name} MAE {mae:.2f}" for name, mae in references.items()))
    print(f"{'model':24s} {'window':>6s} {'transform':>9s} {'center':>6s} {'setting':>16s} "
          f"{'MAE':>7s} {'sd':>6s}")
    for transform, center in itertools.product(TARGET_TRANSFORMS, CENTER_WINDOWS):
        setting = dict(target_transform=transform, center_windows=center)
        for window in (14, 28):
            for alpha in (0.1, 1.0, 10.0):
                model = make_models(0, window=window, ridge_alpha=alpha, **setting)["ridge"]
                _row("ridge", window, transform, center, f"alpha={alpha}",
                     rolling_mae(model, data, n_fit, n_end)[0])
            for name in ("recursive", "direct LSTM (shifted)"):
                maes = [
                    rolling_mae(make_models(seed, window=window, **setting)[name],
                                data, n_fit, n_end)[0]
                    for seed in SEEDS
                ]
                _row(name, window, transform, center, "default", maes)
        for units, max_iter, alpha in CANDIDATES:
            maes = []
            for seed in SEEDS:
                regressor = LSTMEncoderDecoderRegressor(
                    (units,), solver="lbfgs", max_iter=max_iter, alpha=alpha,
                    decoder_state=decoder_state, random_state=seed,
                )
                model = make_models(seed, encoder_decoder=regressor, **setting)["encoder-decoder"]
                maes.append(rolling_mae(model, data, n_fit, n_end)[0])
            _row("encoder-decoder", WINDOW, transform, center, f"{units},{max_iter},{alpha:g}",
                 maes)


# The encoder-decoder's solver and regularisation candidates of
# --tune-regularisation, each with 16 units: name -> parameters.
REGULARISATION_CANDIDATES = {
    "lbfgs, 100 iterations": {"solver": "lbfgs", "max_iter": 100},
    "adam": {},
    "adam, dropout 0.1": {"dropout": 0.1, "recurrent_dropout": 0.1},
    "adam, dropout 0.2": {"dropout": 0.2, "recurrent_dropout": 0.2},
    "adam, input dropout 0.2": {"dropout": 0.2},
    "adam, recurrent 0.1": {"recurrent_dropout": 0.1},
    "adam, recurrent 0.2": {"recurrent_dropout": 0.2},
    "adam, recurrent 0.3": {"recurrent_dropout": 0.3},
    "adam, recurrent 0.2, 32": {"recurrent_dropout": 0.2, "hidden_layer_sizes": (32,)},
    "adam, recurrent 0.2, alpha 1": {"recurrent_dropout": 0.2, "alpha": 1.0},
    "adam, recurrent 0.2, alpha 3": {"recurrent_dropout": 0.2, "alpha": 3.0},
    "lbfgs, 100 iterations, alpha 3": {"solver": "lbfgs", "max_iter": 100, "alpha": 3.0},
    "lbfgs, 100 iterations, alpha 10": {"solver": "lbfgs", "max_iter": 100, "alpha": 10.0},
}


def tune_regularisation(data, references, seed=0, candidates=None, center_covariates=None,
                        validation_days=(N_VALIDATION_FIT, N_TRAIN)):
    """Score REGULARISATION_CANDIDATES (those named in ``candidates``, or
    all) on the training days only, log targets and centered windows, one
    seed; ridge and the recursive default LSTM alongside. Each is fitted on
    the days before ``validation_days[0]`` and forecasts from origins up to
    day ``validation_days[1]``."""
    n_fit, n_end = validation_days
    setting = dict(target_transform="log", center_windows=True,
                   center_covariates=center_covariates)
    models = make_models(seed, **setting)
    maes = {name: rolling_mae(models[name], data, n_fit, n_end)[0]
            for name in ("ridge", "recursive")}
    print(f"validation: fit on days [0, {n_fit}), origins up to day {n_end}; "
          + ", ".join(f"{name} MAE {mae:.2f}" for name, mae in {**maes, **references}.items()))
    for name, params in REGULARISATION_CANDIDATES.items():
        if candidates is not None and name not in candidates:
            continue
        regressor = LSTMEncoderDecoderRegressor(
            **{"hidden_layer_sizes": (16,), **params}, random_state=seed
        )
        model = make_models(seed, encoder_decoder=regressor, **setting)["encoder-decoder"]
        maes[name], fit_time = rolling_mae(model, data, n_fit, n_end)
        print(f"  {name:26s} {maes[name]:6.2f}   fit {fit_time:5.1f} s", flush=True)
    return {**maes, **references}


def reference_maes(data, mean, shocks, n_fit, n_end):
    """The MAE of the two references that fit nothing, name -> MAE."""
    return {
        "seasonal naive": seasonal_naive_mae(data, n_fit, n_end),
        "oracle": oracle_mae(data, mean, shocks, n_fit, n_end),
    }


def _compare(data, transform, center, encoder_decoder_params, references,
             center_covariates=None):
    """Print the test MAE of every model with ``target_transform=transform``
    and ``center_windows=center``, and of the ``references``.

    Returns
    -------
    maes : dict
        Model or reference name -> mean test MAE (over SEEDS for the LSTMs).
    """
    results = {}
    for seed in SEEDS:
        for name, model in make_models(seed, target_transform=transform, center_windows=center,
                                       encoder_decoder_params=encoder_decoder_params,
                                       center_covariates=center_covariates).items():
            if name == "ridge" and seed != SEEDS[0]:
                continue  # deterministic
            results.setdefault(name, []).append(rolling_mae(model, data, N_TRAIN, N_DAYS))
    ridge = np.mean([mae for mae, _ in results["ridge"]])
    print(f"\ntarget_transform={transform!r}, center_windows={center}")
    print(f"{'model':24s} {'MAE mean ± sd':>15s} {'per seed':>22s} {'/ ridge':>7s} {'fit s':>6s}")
    maes = {}
    for name, runs in results.items():
        per_seed = np.array([mae for mae, _ in runs])
        fit = np.mean([t for _, t in runs])
        seeds = " ".join(f"{m:.2f}" for m in per_seed)
        print(f"{name:24s} {per_seed.mean():7.2f} ± {_sample_sd(per_seed):5.2f} {seeds:>22s} "
              f"{per_seed.mean() / ridge:7.2f} {fit:6.1f}", flush=True)
        maes[name] = per_seed.mean()
    for name, mae in references.items():
        print(f"{name:24s} {mae:7.2f} {'':30s} {mae / ridge:7.2f}")
        maes[name] = mae
    return maes


def _summarise(maes_by_draw, title):
    """Print each model's MAE per draw of the data, and their mean."""
    print(f"\n{title}:")
    draws = list(maes_by_draw)
    names = list(maes_by_draw[draws[0]])
    print(f"{'model':26s} " + " ".join(f"{d:>7d}" for d in draws) + f" {'mean':>7s}")
    for name in names:
        row = [maes_by_draw[d][name] for d in draws]
        print(f"{name:26s} " + " ".join(f"{m:7.2f}" for m in row) + f" {np.mean(row):7.2f}")


def learning_curve(data_seed, train_days=(900, 1800, 3600)):
    """Test MAE of the encoder-decoder (seeds 0-2) and ridge as the training
    days grow. One series is drawn, for the most training days and the
    ``N_DAYS - N_TRAIN`` test days after them; every row tests those days
    and trains on the ``n_train`` days just before them, so that the rows
    differ in their training days only (each length drawn anew made other
    series: the trend's slope and the random draws depend on the length)."""
    n_test = N_DAYS - N_TRAIN
    print(f"\ndata seed {data_seed}, log targets, centered; test MAE on the last {n_test} days")
    print(f"{'training days':>13s} {'encoder-decoder':>16s} {'ridge':>7s} {'oracle':>7s}")
    whole, whole_mean, whole_shocks = demand_components(max(train_days) + n_test, seed=data_seed)
    for n_train in train_days:
        start = len(whole) - n_train - n_test
        data, mean, shocks = whole.iloc[start:], whole_mean[start:], whole_shocks[start:]
        maes = []
        for seed in SEEDS:
            models = make_models(seed, target_transform="log", center_windows=True)
            maes.append(rolling_mae(models["encoder-decoder"], data, n_train, len(data))[0])
        ridge = rolling_mae(models["ridge"], data, n_train, len(data))[0]
        oracle = oracle_mae(data, mean, shocks, n_train, len(data))
        print(f"{n_train:13d} {np.mean(maes):16.2f} {ridge:7.2f} {oracle:7.2f}", flush=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tune", action="store_true",
                        help="score the candidate settings on the training days")
    parser.add_argument("--decoder-state", choices=("encoder", "zeros"), default="encoder",
                        help="decoder_state of the encoder-decoder (default: its default)")
    parser.add_argument("--encoder-decoder-params", default={},
                        type=estimator_params(LSTMEncoderDecoderRegressor),
                        help="parameters of the encoder-decoder over its default, a JSON "
                        'object: \'{"solver": "lbfgs", "max_iter": 100, '
                        '"recurrent_dropout": 0}\' is the former default')
    parser.add_argument("--tune-regularisation", action="store_true",
                        help="score the encoder-decoder's solver and dropout candidates on "
                        "the training days (log targets, centered)")
    parser.add_argument("--candidates", nargs="+", choices=list(REGULARISATION_CANDIDATES),
                        metavar="NAME", help="with --tune-regularisation: the candidates to "
                        "score (default: all)")
    parser.add_argument("--data-seeds", type=random_seed, nargs="+", default=[0],
                        help="draws of the synthetic data to run on (default: 0)")
    parser.add_argument("--log-centered-only", action="store_true",
                        help='run target_transform="log" with center_windows=True only')
    parser.add_argument("--price", choices=list(PRICE_FORMS), default="raw",
                        help="how every forecaster reads the price: as it is, its "
                        "logarithm, and either relative to its level in each window "
                        "(center_covariates='price')")
    parser.add_argument("--validation-days", type=int, nargs=2, metavar=("FIT", "END"),
                        default=[N_VALIDATION_FIT, N_TRAIN],
                        help="with --tune-regularisation: fit on the days before FIT and "
                        f"forecast from origins up to day END (default: {N_VALIDATION_FIT} "
                        f"{N_TRAIN}); END at most {N_TRAIN}, so that the test days stay unseen")
    parser.add_argument("--learning-curve", action="store_true",
                        help="the encoder-decoder and ridge on 900, 1800 and 3600 "
                        "training days (log targets, centered)")
    args = parser.parse_args(argv)
    if args.price != "raw" and (args.tune or args.learning_curve):
        parser.error("--price goes with the test comparison and --tune-regularisation only")
    # One mode a run, and each mode's options refused in the others, where
    # nothing would read them.
    modes = [name for name in ("tune", "tune_regularisation", "learning_curve")
             if getattr(args, name)]
    if len(modes) > 1:
        parser.error("--tune, --tune-regularisation and --learning-curve are modes of "
                     "their own: give one")
    if args.log_centered_only and (args.tune or args.learning_curve):
        parser.error("--log-centered-only goes with the test comparison and "
                     "--tune-regularisation only")
    if not args.tune_regularisation and (
            args.candidates or args.validation_days != [N_VALIDATION_FIT, N_TRAIN]):
        parser.error("--candidates and --validation-days go with --tune-regularisation only")
    if (args.tune_regularisation or args.learning_curve) and (
            args.decoder_state != "encoder" or args.encoder_decoder_params):
        parser.error("--decoder-state and --encoder-decoder-params go with the test "
                     "comparison and --tune only")
    if args.tune and args.encoder_decoder_params:
        parser.error("--encoder-decoder-params goes with the test comparison only")
    validation_fit, validation_end = args.validation_days
    if not WINDOW + HORIZON < validation_fit < validation_end - HORIZON <= N_TRAIN - HORIZON:
        parser.error(f"--validation-days needs {WINDOW + HORIZON} < FIT < END - {HORIZON} and "
                     f"END <= {N_TRAIN}, got {validation_fit} {validation_end}")
    encoder_decoder_params = {"decoder_state": args.decoder_state,
                              **args.encoder_decoder_params}
    settings = list(itertools.product(TARGET_TRANSFORMS, CENTER_WINDOWS))
    if args.log_centered_only:
        settings = [("log", True)]
    maes_by_draw = {}
    with threadpool_limits(1):
        for data_seed in args.data_seeds:
            if args.learning_curve:
                learning_curve(data_seed)
                continue
            data, mean, shocks = demand_components(seed=data_seed)
            data, center_covariates = price_form(data, args.price)
            if args.tune_regularisation:
                print(f"\ndata seed {data_seed}")
                maes_by_draw[data_seed] = tune_regularisation(
                    data, reference_maes(data, mean, shocks, validation_fit, validation_end),
                    candidates=args.candidates, center_covariates=center_covariates,
                    validation_days=(validation_fit, validation_end),
                )
                continue
            if args.tune:
                tune(data, args.decoder_state,
                     reference_maes(data, mean, shocks, N_VALIDATION_FIT, N_TRAIN))
                continue
            references = reference_maes(data, mean, shocks, N_TRAIN, N_DAYS)
            n_origins = len(_origins(N_TRAIN, N_DAYS))
            print(f"\ndata seed {data_seed}: {N_DAYS} days; fit on the first {N_TRAIN}; "
                  f"{n_origins} origins, {HORIZON} days ahead; window {WINDOW}; seeds "
                  f"{SEEDS}; encoder-decoder with {encoder_decoder_params}; "
                  f"center_covariates={center_covariates!r}")
            for transform, center in settings:
                maes = _compare(data, transform, center, encoder_decoder_params, references,
                                center_covariates)
            maes_by_draw[data_seed] = maes  # of the last setting
        if len(maes_by_draw) > 1:
            if args.tune_regularisation:
                title = "Validation MAE per draw of the data (data seed) and their mean"
            else:
                transform, center = settings[-1]
                title = (f"Test MAE per draw of the data (data seed) and their mean, "
                         f"target_transform={transform!r}, center_windows={center}")
            _summarise(maes_by_draw, title)


if __name__ == "__main__":
    main()
