"""Time the NumPy LSTM core and sklstm's fit and predict against PyTorch.

Run ``python benchmarks/bench_core.py`` (``--help`` for options). Five
sections, chosen with ``--sections`` (all by default):

- ``step``: one training step (below);
- ``inference``: ``predict_logits`` (the forward-only pass in chunks of
  samples, and the dense head) against ``torch.nn.LSTM`` and
  ``torch.nn.Linear`` under ``torch.no_grad()``, with the same weights,
  dtype and threads, on ``INFERENCE_BATCH`` sequences of each config;
- ``memory``: the ``tracemalloc`` peak and the time of prediction on a
  large test set (``MEMORY_SHAPE``), as a multiple of the input's bytes:
  ``predict_logits``, the training forward pass it replaced
  (``forward_logits``), and ``LSTMRegressor.predict`` end to end; then the
  encoder-decoder's prediction and its training forward pass on the same
  sequences read as windows and a horizon of ``MEMORY_HORIZON`` steps; and
  the peak of ``LSTMRegressor.fit`` on them (float64 and float32, Adam and
  L-BFGS, the latter also within a ``working_memory`` of 16 MiB); and the
  estimators' read paths where post-processing the outputs (a 50-class
  softmax, 19 quantiles), reading X (padded, a list, channels first) or
  patches that need zero steps used to cost several times the input
  (``bench_read_paths``); and a forecast from a long history or frame of
  future covariates, of which it reads the last window or its steps' rows
  (``bench_forecast_reads``);
- ``fit``: a full ``LSTMRegressor(solver="adam").fit`` against the same
  PyTorch training loop: same data, architecture, Adam settings, batch
  size, epochs (``FIT_EPOCHS``, over ``FIT_BATCHES`` batches, shuffled
  each epoch) and threads. Early stopping is off on both sides;
- ``family``: the training step with a bidirectional layer, and with
  dropout, against the plain step (below).

The training step
-----------------
One training step of a one-layer many-to-one LSTM regressor on a batch:

- **sklstm**: ``lstm_forward`` (many-to-one), a linear head ``h_T w + c``
  and the mean squared error and its gradient in NumPy, then
  ``lstm_backward(..., input_grad=False)`` (training needs no ``δX``).
- **torch** (when importable): ``torch.nn.LSTM(batch_first=True)``, a
  ``torch.nn.Linear`` head on the last step, ``mse_loss`` and ``.backward()``
  on the same shapes, dtype and weights, with ``torch.set_num_threads``
  equal to the BLAS thread limit of the NumPy side.

The two sides alternate in blocks (``ROUNDS`` blocks each), so that slow
phases of a shared machine hit both alike, while each side runs alone
within a block: alternating call by call would leave one side's idle
BLAS/OpenMP worker threads spinning while the other side runs. Each time
is the median of ``--repeat`` runs after warm-up.

FLOP count
----------
Only the matrix products are counted (the element-wise work is O(B T H)).
With batch ``B``, steps ``T``, features ``F`` and ``H`` units (4H gate
columns)::

    forward   2 B T 4H (F + H)        x W and h R
    backward  2 B T 4H (F + 2H)       δW = x^T δa, δR = h^T δa, δh = δa R^T
    total     8 B T H (2F + 3H)

GFLOP/s is this total divided by the measured time, for both sides.

Model family (section ``family``)
---------------------------------
Times the sklstm training step three ways, without torch, and prints the
ratios to the plain one-directional step: a bidirectional layer
(two directions, a 2H head; the target is at most about 2.2x), and
variational dropout (``dropout=0.2, recurrent_dropout=0.2``, masks drawn
anew every step as training does; the target is at most about 1.15x).
``ratio`` divides medians, ``best`` the fastest runs: on a busy machine
the minima are the steadier estimate of what the code itself costs.

Memory
------
``cache MiB`` is the size of the arrays the forward pass keeps for the
backward pass (every distinct buffer reachable from the cache, including
the kernel-ready weight copies and the input it references);
``peak MiB`` is the ``tracemalloc`` peak of one forward + backward, measured
in a separate untimed run (NumPy reports its allocations to tracemalloc), in
a thread of its own: the kernels' pool of reused arrays, kept per thread,
then starts empty (see ``_memory.py``).
"""

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from sklearn import config_context
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from _cli import positive_int  # noqa: E402
from _memory import traced_peak  # noqa: E402
from sklstm import LSTMClassifier, LSTMRegressor
from sklstm._inference import predict_logits
from sklstm._loss import Network, forward_logits
from sklstm.core import draw_dropout_masks, lstm_backward, lstm_forward
from sklstm._params import ParamLayout
from sklstm._seq2seq import EncoderDecoder, EncoderDecoderLayout

# name: (batch B, steps T, features F, units H)
CONFIGS = {
    "S": (32, 24, 1, 32),
    "M": (64, 100, 8, 64),
    "L": (128, 100, 32, 256),
}
# Repeats per config when --repeat is not given: about a second or more each.
DEFAULT_REPEAT = {"S": 200, "M": 40, "L": 9}
# Sequences per inference call (a test set), and repeats.
INFERENCE_BATCH = 256
INFERENCE_REPEAT = {"S": 100, "M": 12, "L": 6}
# The large test set of the memory section: (samples, steps, features, units).
MEMORY_SHAPE = (2000, 400, 4, 64)
MEMORY_HORIZON = 14
# fit: batches per epoch and epochs, so that one fit takes about a second.
FIT_BATCHES = {"S": 8, "M": 4, "L": 2}
FIT_EPOCHS = {"S": 10, "M": 4, "L": 2}
FIT_REPEAT = 3
# The repeats are split into this many alternating blocks of each side.
ROUNDS = 3
# Seconds of pause before each block (see time_block).
PAUSE = 0.3
# The clock of time_block; --clock cpu selects process CPU time, which a
# busy shared machine disturbs less than wall time (use it with --threads 1).
CLOCK = {"wall": time.perf_counter, "cpu": time.process_time}
CLOCK_NAME = "wall"


def flops(B, T, F, H):
    """Multiply-add FLOPs of one forward + backward (without δX)."""
    return 8 * B * T * H * (2 * F + 3 * H)


def cache_nbytes(obj, _seen=None):
    """Bytes of the distinct array buffers reachable from a forward cache.

    Views count once, through the buffer they share with their base.
    """
    seen = set() if _seen is None else _seen
    if isinstance(obj, np.ndarray):
        root = obj
        while isinstance(root.base, np.ndarray):
            root = root.base
        if id(root) in seen:
            return 0
        seen.add(id(root))
        return root.nbytes
    if isinstance(obj, dict):
        return sum(cache_nbytes(v, seen) for v in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(cache_nbytes(v, seen) for v in obj)
    if hasattr(obj, "__dict__"):  # the kernel-ready layer copies
        return sum(cache_nbytes(v, seen) for v in vars(obj).values())
    return 0


def make_problem(B, T, F, H, dtype, seed=0):
    rng = np.random.default_rng(seed)
    scale = 1.0 / np.sqrt(H)
    layer = {
        "W": rng.uniform(-scale, scale, (F, 4 * H)).astype(dtype),
        "R": rng.uniform(-scale, scale, (H, 4 * H)).astype(dtype),
        "b": rng.uniform(-scale, scale, 4 * H).astype(dtype),
    }
    head_w = rng.uniform(-scale, scale, (H, 1)).astype(dtype)
    head_b = np.zeros(1, dtype=dtype)
    X = rng.normal(size=(B, T, F)).astype(dtype)
    y = rng.normal(size=(B, 1)).astype(dtype)
    return X, y, [layer], head_w, head_b


def sklstm_step(X, y, layers, head_w, head_b, **core_kwargs):
    """Forward, MSE loss, backward; returns (loss, grads, forward cache).

    ``core_kwargs`` go to ``lstm_forward`` (``bidirectional``, ``dropout_masks``).
    """
    h, cache = lstm_forward(X, layers, **core_kwargs)  # (B, H) or (B, 2H)
    resid = h @ head_w + head_b - y  # (B, 1)
    loss = float(np.mean(resid * resid))
    d_pred = (2.0 / resid.size) * resid  # (B, 1)
    grads = lstm_backward(d_pred @ head_w.T, cache, input_grad=False)
    grads["head_w"] = h.T @ d_pred
    grads["head_b"] = d_pred.sum(axis=0)
    return loss, grads, cache


def make_torch_step(torch, X, y, layers, head_w, head_b):
    """Build a closure running the same step with torch.nn.LSTM."""
    lstm, head = torch_modules(torch, layers, head_w, head_b, X.dtype)
    xt, yt = torch.from_numpy(X), torch.from_numpy(y)
    params = list(lstm.parameters()) + list(head.parameters())

    def step():
        for prm in params:
            prm.grad = None
        out, _ = lstm(xt)
        loss = torch.nn.functional.mse_loss(head(out[:, -1]), yt)
        loss.backward()
        return loss.item()

    return step


def time_block(fn, n):
    """Times of ``n`` calls of ``fn``, after a pause and two warm-up calls.

    The pause lets the other side's idle BLAS or OpenMP workers stop
    spinning: they would otherwise compete for the cores.
    """
    time.sleep(PAUSE)
    fn()
    fn()
    clock = CLOCK[CLOCK_NAME]
    times = []
    for _ in range(n):
        t0 = clock()
        fn()
        times.append(clock() - t0)
    return times


def alternate(ours, theirs, repeat):
    """Median times of ``ours`` and ``theirs`` (None: skipped), in alternating blocks."""
    t_ours, t_theirs = [], []
    for block in range(ROUNDS):
        n = repeat // ROUNDS + (block < repeat % ROUNDS)
        t_ours += time_block(ours, n)
        if theirs is not None:
            t_theirs += time_block(theirs, n)
    return np.median(t_ours), (np.median(t_theirs) if theirs is not None else None)


def ratio_cells(mo, mt):
    """Table cells: our time, torch's time and their ratio (ours / torch)."""
    if mt is None:
        return f"{mo * 1e3:>9.2f} | {'-':>9} | {'-':>5}"
    return f"{mo * 1e3:>9.2f} | {mt * 1e3:>9.2f} | {mo / mt:>5.2f}"


RATIO_HEADER = f"{'ours ms':>9} | {'torch ms':>9} | {'ratio':>5}"


def print_header(title, shape_cells, *more):
    """Print a section's title and a table header with its rule."""
    header = " | ".join([f"{'cfg':<3} {'dtype':<7} " + shape_cells, *more])
    print(f"\n{title}\n{header}\n" + "-" * len(header))


def bench_step(args, torch):
    print_header(
        "training step (forward + backward)", f"{'B':>4} {'T':>4} {'F':>3} {'H':>4}",
        f"{'ours ms':>8} {'GFLOP/s':>7}", f"{'torch ms':>8} {'GFLOP/s':>7}", f"{'ratio':>5}",
        f"{'cache MiB':>9} {'peak MiB':>8}",
    )
    for name in args.configs:
        B, T, F, H = CONFIGS[name]
        repeat = args.repeat or DEFAULT_REPEAT[name]
        for dtype_name in args.dtypes:
            X, y, layers, head_w, head_b = make_problem(B, T, F, H, np.dtype(dtype_name))

            def ours(problem=(X, y, layers, head_w, head_b)):
                sklstm_step(*problem)

            tstep = make_torch_step(torch, X, y, layers, head_w, head_b) if torch else None
            mo, mt = alternate(ours, tstep, repeat)
            cache = sklstm_step(X, y, layers, head_w, head_b)[2]
            mib = 2.0**20
            c_mib = cache_nbytes(cache) / mib
            del cache
            p_mib = traced_peak(ours) / mib
            gf = flops(B, T, F, H) / 1e9
            row = f"{name:<3} {dtype_name:<7} {B:>4} {T:>4} {F:>3} {H:>4} | {mo * 1e3:>8.2f} {gf / mo:>7.1f}"
            if mt is not None:
                row += f" | {mt * 1e3:>8.2f} {gf / mt:>7.1f} | {mo / mt:>5.2f}"
            else:
                row += f" | {'-':>8} {'-':>7} | {'-':>5}"
            print(row + f" | {c_mib:>9.1f} {p_mib:>8.1f}", flush=True)


def network(layers, head_w, head_b, n_features, return_sequences=False):
    """Packed parameters and the spec of a one-layer LSTM with its dense head."""
    H = layers[0]["R"].shape[0]
    layout = ParamLayout(n_features, [H], head_w.shape[1])
    theta = layout.pack(layers, head_w, head_b, dtype=head_w.dtype)
    return theta, Network(layout, return_sequences)


def torch_modules(torch, layers, head_w, head_b, dtype):
    """``torch.nn.LSTM`` and ``Linear`` holding the given weights."""
    F, H = layers[0]["W"].shape[0], layers[0]["R"].shape[0]
    tdtype = torch.float32 if dtype == np.float32 else torch.float64
    lstm = torch.nn.LSTM(F, H, batch_first=True).to(tdtype)
    head = torch.nn.Linear(H, head_w.shape[1]).to(tdtype)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(layers[0]["W"].T.copy()))
        lstm.weight_hh_l0.copy_(torch.from_numpy(layers[0]["R"].T.copy()))
        lstm.bias_ih_l0.copy_(torch.from_numpy(layers[0]["b"]))
        lstm.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(head_w.T.copy()))
        head.bias.copy_(torch.from_numpy(head_b))
    return lstm, head


def bench_inference(args, torch):
    print_header(
        "inference (many-to-one, predict_logits vs torch no_grad)",
        f"{'n':>5} {'T':>4} {'F':>3} {'H':>4}", RATIO_HEADER,
    )
    for name in args.configs:
        _, T, F, H = CONFIGS[name]
        n = INFERENCE_BATCH
        for dtype_name in args.dtypes:
            dtype = np.dtype(dtype_name)
            X, _, layers, head_w, head_b = make_problem(n, T, F, H, dtype)
            theta, spec = network(layers, head_w, head_b, F)
            z = predict_logits(theta, X, None, spec)
            theirs = None
            if torch:
                lstm, head = torch_modules(torch, layers, head_w, head_b, dtype)
                xt = torch.from_numpy(X)

                def theirs():
                    with torch.no_grad():
                        return head(lstm(xt)[0][:, -1])

                # Same weights: the two sides agree (to float32 rounding).
                np.testing.assert_allclose(theirs().numpy(), z, rtol=1e-3, atol=1e-4)
            mo, mt = alternate(lambda: predict_logits(theta, X, None, spec), theirs,
                               args.repeat or INFERENCE_REPEAT[name])
            print(f"{name:<3} {dtype_name:<7} {n:>5} {T:>4} {F:>3} {H:>4} | {ratio_cells(mo, mt)}",
                  flush=True)


def bench_memory(args):
    n, T, F, H = MEMORY_SHAPE
    X, y, layers, head_w, head_b = make_problem(n, T, F, H, np.float64)
    theta, spec = network(layers, head_w, head_b, F)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # patch_length=1: every step, the work predict_logits does
        model = LSTMRegressor((H,), patch_length=1, max_iter=1, random_state=0).fit(
            X[:32, :20], y[:32, 0]
        )
    # The same sequences as windows and horizons, the last channel known ahead.
    encoder_decoder = EncoderDecoder(
        EncoderDecoderLayout(F, 1, [H], 1), MEMORY_HORIZON, pass_states=True
    )
    theta_ed = np.random.default_rng(1).uniform(
        -1 / np.sqrt(H), 1 / np.sqrt(H), encoder_decoder.layout.size
    )
    runs = {
        "predict_logits": lambda: predict_logits(theta, X, None, spec),
        "forward_logits (training pass)": lambda: forward_logits(theta, X, None, spec),
        "LSTMRegressor.predict": lambda: model.predict(X),
        "EncoderDecoder.predict": lambda: encoder_decoder.predict(theta_ed, X, None),
        "EncoderDecoder.forward (training)": lambda: encoder_decoder.forward(theta_ed, X, None),
    }
    print(f"\nprediction memory: X of shape {X.shape} float64, {X.nbytes / 2**20:.1f} MiB, H={H}")
    _memory_table({label: (fn, X) for label, fn in runs.items()})
    # Fits: what X's copies cost (a small network, so that they set the peak),
    # and the scipy solvers' full batch within working_memory.
    X32 = X.astype(np.float32)

    def fitting(X_fit, working_memory=1024, **params):
        def fit():
            with config_context(working_memory=working_memory), warnings.catch_warnings():
                warnings.simplefilter("ignore")
                LSTMRegressor((8,), batch_size=64, random_state=0, **params).fit(X_fit, y[:, 0])
        return fit, X_fit

    print("\nfit memory: the same X (and as float32), H=8, patch_length='auto'")
    _memory_table({
        "adam, 1 epoch": fitting(X, max_iter=1),
        "adam, 1 epoch, float32 X": fitting(X32, max_iter=1),
        "lbfgs, 2 iterations": fitting(X, solver="lbfgs", max_iter=2),
        "lbfgs, 2 iterations, 16 MiB": fitting(X, 16, solver="lbfgs", max_iter=2),
    })
    bench_read_paths()
    bench_forecast_reads()


def bench_read_paths():
    """Peaks of the estimators' read paths where the outputs' post-processing
    (a softmax, every quantile), reading X (padding, a list, channels
    first) or patches that need zero steps once took several times the
    input beyond the network's chunks."""
    rng = np.random.default_rng(2)
    X_train = rng.normal(size=(64, 5, 1))
    levels = tuple(np.round(np.linspace(0.05, 0.95, 19), 2))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        classifier = LSTMClassifier((4,), max_iter=1, random_state=0).fit(
            X_train, np.arange(64) % 50)
        quantile = LSTMRegressor((4,), loss="quantile", quantiles=levels, max_iter=1,
                                 random_state=0).fit(X_train, X_train[:, -1, 0])
    short = rng.normal(size=(200_000, 5, 1))

    def within(working_memory, fn):
        def run():
            with config_context(working_memory=working_memory):
                fn()
        return run

    print(f"\nread paths, working_memory=4 MiB: X of shape {short.shape} float64, "
          f"{short.nbytes / 2**20:.1f} MiB, H=4")
    _memory_table({
        "50-class LSTMClassifier.predict": (within(4, lambda: classifier.predict(short)), short),
        "19-quantile LSTMRegressor.predict": (within(4, lambda: quantile.predict(short)), short),
    })
    X = rng.normal(size=(50_000, 50, 2))
    padded = X.copy()
    padded[::2, -5:] = np.nan
    channels_first = np.ascontiguousarray(X.transpose(0, 2, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        plain = LSTMRegressor((8,), patch_length=1, max_iter=1, random_state=0).fit(
            X[:64], X[:64, -1, 0])
        transposed = LSTMRegressor((8,), patch_length=1, max_iter=1, random_state=0,
                                   data_format="channels_first").fit(
            channels_first[:64], X[:64, -1, 0])
        # 50 steps in patches of 3: the first patch needs a zero step.
        patched = LSTMRegressor((8,), patch_length=3, max_iter=1, random_state=0).fit(
            X[:64], X[:64, -1, 0])
    print(f"\nread paths, working_memory=16 MiB: X of shape {X.shape} float64, "
          f"{X.nbytes / 2**20:.1f} MiB, H=8")
    _memory_table({
        "LSTMRegressor.predict, 3-D": (within(16, lambda: plain.predict(X)), X),
        "the same, NaN-padded": (within(16, lambda: plain.predict(padded)), X),
        "the same, a list of arrays": (within(16, lambda: plain.predict(list(X))), X),
        "the same, channels first": (within(16, lambda: transposed.predict(channels_first)), X),
        "the same, patches of 3 steps": (within(16, lambda: patched.predict(X)), X),
    })


def bench_forecast_reads():
    """Peaks of forecasts from a long history or a long frame of future
    covariates, of which a forecast reads the last window or its steps'
    rows: the whole frame's copies and a hash table of its labels (for the
    check of their uniqueness) once took 2.6 times a history's size."""
    import pandas as pd
    from sklearn.linear_model import Ridge
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import FunctionTransformer

    from sklstm.forecasting import DirectForecaster

    n = 1_000_000
    t = np.arange(float(n))
    frame = pd.DataFrame({"y": np.sin(t / 7), "p": np.cos(t / 3)},
                         index=pd.date_range("2000-01-01", periods=n, freq="h"))
    flat = make_pipeline(FunctionTransformer(lambda X: X.reshape(len(X), -1)), Ridge())
    model = DirectForecaster(flat, window=20, horizon=5, target="y", future_covariates="p",
                             calibration=None).fit(frame.iloc[:500])

    def fresh(part):  # labels no check has built a table of yet
        return part.set_axis(pd.DatetimeIndex(part.index.to_numpy()))

    history, future = fresh(frame.iloc[: n // 2]), fresh(frame.iloc[n // 2:])
    print(f"\nforecast read paths: DirectForecaster(window=20, horizon=5) of a flat ridge; "
          f"{n // 2:,} hourly rows of 2 columns")
    _memory_table({
        "predict(history=the rows)": (
            lambda: model.predict(history=history, future=future.iloc[:5]), history),
        "predict(future=the rows)": (
            lambda: model.predict(history=history.iloc[-20:], future=future), future),
    })


def _bytes(given):
    """Bytes of an input: an array's, or a DataFrame's values and index."""
    if hasattr(given, "memory_usage"):
        return int(given.memory_usage(index=True).sum())
    return given.nbytes


def _memory_table(runs):
    """Print the peak (in MiB and as a multiple of the input's bytes) and the
    time of each ``label: (fn, input)``."""
    header = f"{'':<34} | {'peak MiB':>9} | {'x input':>7} | {'time s':>7}"
    print(header + "\n" + "-" * len(header))
    for label, (fn, given) in runs.items():
        size = _bytes(given)  # before the call: it may add to an index's
        peak = traced_peak(fn)
        t0 = time.perf_counter()
        fn()
        seconds = time.perf_counter() - t0
        print(f"{label:<34} | {peak / 2**20:>9.1f} | {peak / size:>7.2f} | "
              f"{seconds:>7.2f}", flush=True)


def make_torch_fit(torch, X, y, H, batch_size, epochs):
    """A PyTorch training loop like ``LSTMRegressor(solver="adam").fit``."""
    tdtype = torch.float32 if X.dtype == np.float32 else torch.float64
    xt, yt = torch.from_numpy(X), torch.from_numpy(y)

    def fit():
        torch.manual_seed(0)
        lstm = torch.nn.LSTM(X.shape[2], H, batch_first=True).to(tdtype)
        head = torch.nn.Linear(H, 1).to(tdtype)
        params = list(lstm.parameters()) + list(head.parameters())
        opt = torch.optim.Adam(params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8)
        for _ in range(epochs):
            order = torch.randperm(len(xt))
            for begin in range(0, len(xt), batch_size):
                idx = order[begin : begin + batch_size]
                opt.zero_grad()
                out = head(lstm(xt[idx])[0][:, -1])[:, 0]
                loss = 0.5 * torch.nn.functional.mse_loss(out, yt[idx])
                loss.backward()
                opt.step()

    return fit


def bench_fit(args, torch):
    print_header(
        "full fit (Adam, no early stopping)", f"{'B':>4} {'T':>4} {'F':>3} {'H':>4} {'n':>5} {'ep':>3}",
        RATIO_HEADER,
    )
    for name in args.configs:
        B, T, F, H = CONFIGS[name]
        n, epochs = B * FIT_BATCHES[name], FIT_EPOCHS[name]
        for dtype_name in args.dtypes:
            dtype = np.dtype(dtype_name)
            rng = np.random.default_rng(0)
            X = rng.normal(size=(n, T, F)).astype(dtype)
            y = rng.normal(size=n).astype(dtype)
            model = LSTMRegressor(
                (H,), solver="adam", batch_size=B, learning_rate_init=1e-3,  # torch's lr
                max_iter=epochs, alpha=0.0, tol=0.0, early_stopping=False,
                n_iter_no_change=epochs + 1, random_state=0,
                patch_length=1,  # every step, as torch.nn.LSTM
            )

            def ours():
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model.fit(X, y)

            theirs = make_torch_fit(torch, X, y, H, B, epochs) if torch else None
            mo, mt = alternate(ours, theirs, args.repeat or FIT_REPEAT)
            print(f"{name:<3} {dtype_name:<7} {B:>4} {T:>4} {F:>3} {H:>4} {n:>5} {epochs:>3} | "
                  f"{ratio_cells(mo, mt)}", flush=True)


def family_steps(X, y, layers, head_w, head_b, seed=0):
    """Closures of the plain, bidirectional and dropout training steps."""
    rng = np.random.default_rng(seed)
    F, H = X.shape[2], layers[0]["R"].shape[0]
    reverse = make_problem(*X.shape, H, X.dtype, seed=seed + 1)[2]
    head_w2 = np.concatenate([head_w, head_w])  # (2H, 1)

    def plain():
        sklstm_step(X, y, layers, head_w, head_b)

    def bidirectional():
        sklstm_step(X, y, layers + reverse, head_w2, head_b, bidirectional=True)

    def dropout():
        masks = draw_dropout_masks(rng, len(X), [(F, H)], 0.2, 0.2, X.dtype)
        sklstm_step(X, y, layers, head_w, head_b, dropout_masks=masks)

    return {"plain": plain, "bidirectional": bidirectional, "dropout": dropout}


def bench_family(args):
    """Print the bidirectional and dropout steps' times as ratios to the plain step."""
    print_header(
        "model family (sklstm training steps, ratios to the plain step)",
        f"{'B':>4} {'T':>4} {'F':>3} {'H':>4}", f"{'plain ms':>8}",
        f"{'bidir ms':>8} {'ratio':>5} {'best':>5}", f"{'dropout ms':>10} {'ratio':>5} {'best':>5}",
    )
    for name in args.configs:
        B, T, F, H = CONFIGS[name]
        repeat = args.repeat or DEFAULT_REPEAT[name]
        for dtype_name in args.dtypes:
            X, y, layers, head_w, head_b = make_problem(B, T, F, H, np.dtype(dtype_name))
            steps = family_steps(X, y, layers, head_w, head_b)
            # Blocks, not call by call: calls of different sizes in turn make
            # malloc return and re-map memory (page faults) that a fit, one
            # step size throughout, never pays; measured up to 1.7x on S.
            times = {k: [] for k in steps}
            for block in range(ROUNDS):
                for k, fn in steps.items():
                    times[k] += time_block(fn, repeat // ROUNDS + (block < repeat % ROUNDS))
            med = {k: np.median(v) for k, v in times.items()}
            best = {k: np.min(v) for k, v in times.items()}
            print(
                f"{name:<3} {dtype_name:<7} {B:>4} {T:>4} {F:>3} {H:>4} | {med['plain'] * 1e3:>8.2f}"
                f" | {med['bidirectional'] * 1e3:>8.2f} {med['bidirectional'] / med['plain']:>5.2f}"
                f" {best['bidirectional'] / best['plain']:>5.2f}"
                f" | {med['dropout'] * 1e3:>10.2f} {med['dropout'] / med['plain']:>5.2f}"
                f" {best['dropout'] / best['plain']:>5.2f}",
                flush=True,
            )


SECTIONS = ["step", "inference", "memory", "fit", "family"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sections", nargs="+", default=SECTIONS, choices=SECTIONS)
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--repeat", type=positive_int, default=None, help="timed runs per side (default: per section and config)")
    parser.add_argument("--threads", type=positive_int, default=os.cpu_count(), help="BLAS / torch threads")
    parser.add_argument("--no-torch", action="store_true", help="skip the torch comparison")
    parser.add_argument("--clock", choices=list(CLOCK), default="wall", help="time_block's clock")
    args = parser.parse_args(argv)
    global CLOCK_NAME
    CLOCK_NAME = args.clock

    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            pass
        else:
            torch.set_num_threads(args.threads)

    print(f"threads={args.threads}  numpy {np.__version__}" + (f"  torch {torch.__version__}" if torch else ""))
    print("ratio = sklstm time / torch time (below 1: sklstm is faster); times are medians")
    with threadpool_limits(limits=args.threads, user_api="blas"):
        if "step" in args.sections:
            bench_step(args, torch)
        if "inference" in args.sections:
            bench_inference(args, torch)
        if "memory" in args.sections:
            bench_memory(args)
        if "fit" in args.sections:
            bench_fit(args, torch)
        if "family" in args.sections:
            bench_family(args)


if __name__ == "__main__":
    main()
