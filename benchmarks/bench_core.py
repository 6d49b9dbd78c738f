"""Time one training step of the NumPy LSTM core against ``torch.nn.LSTM``.

Run ``python benchmarks/bench_core.py`` (``--help`` for options).

What is timed
-------------
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

Model family (``--family``)
---------------------------
Instead of the torch comparison, times the same sklstm step three ways and
prints the ratios to the plain one-directional step: a bidirectional layer
(two directions, a 2H head; the target is at most about 2.2x), and
variational dropout (``dropout=0.2, recurrent_dropout=0.2``, masks drawn
anew every step as training does; the target is at most about 1.15x).

Memory
------
``cache MiB`` is the size of the arrays the forward pass keeps for the
backward pass (every distinct buffer reachable from the cache, including
the kernel-ready weight copies and the input it references);
``peak MiB`` is the ``tracemalloc`` peak of one forward + backward, measured
in a separate untimed run (NumPy reports its allocations to tracemalloc).
"""

import argparse
import os
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
from threadpoolctl import threadpool_limits

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from sklstm._lstm import draw_dropout_masks, lstm_backward, lstm_forward

# name: (batch B, steps T, features F, units H)
CONFIGS = {
    "S": (32, 24, 1, 32),
    "M": (64, 100, 8, 64),
    "L": (128, 100, 32, 256),
}
# Repeats per config when --repeat is not given: about a second or more each.
DEFAULT_REPEAT = {"S": 200, "M": 40, "L": 9}
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
    F = X.shape[2]
    H = layers[0]["R"].shape[0]
    tdtype = torch.float32 if X.dtype == np.float32 else torch.float64
    lstm = torch.nn.LSTM(F, H, batch_first=True).to(tdtype)
    head = torch.nn.Linear(H, 1).to(tdtype)
    with torch.no_grad():
        lstm.weight_ih_l0.copy_(torch.from_numpy(layers[0]["W"].T.copy()))
        lstm.weight_hh_l0.copy_(torch.from_numpy(layers[0]["R"].T.copy()))
        lstm.bias_ih_l0.copy_(torch.from_numpy(layers[0]["b"]))
        lstm.bias_hh_l0.zero_()
        head.weight.copy_(torch.from_numpy(head_w.T.copy()))
        head.bias.copy_(torch.from_numpy(head_b))
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


def peak_memory(fn):
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


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


def run_family(args):
    """Print the bidirectional and dropout steps' times as ratios to the plain step."""
    header = (
        f"{'cfg':<3} {'dtype':<7} {'B':>4} {'T':>4} {'F':>3} {'H':>4} | {'plain ms':>8}"
        f" | {'bidir ms':>8} {'ratio':>5} | {'dropout ms':>10} {'ratio':>5}"
    )
    print(header)
    print("-" * len(header))
    for name in args.configs:
        B, T, F, H = CONFIGS[name]
        repeat = args.repeat or DEFAULT_REPEAT[name]
        for dtype_name in args.dtypes:
            X, y, layers, head_w, head_b = make_problem(B, T, F, H, np.dtype(dtype_name))
            steps = family_steps(X, y, layers, head_w, head_b)
            times = {k: [] for k in steps}
            for block in range(ROUNDS):
                for k, fn in steps.items():
                    times[k] += time_block(fn, repeat // ROUNDS + (block < repeat % ROUNDS))
            med = {k: np.median(v) for k, v in times.items()}
            print(
                f"{name:<3} {dtype_name:<7} {B:>4} {T:>4} {F:>3} {H:>4} | {med['plain'] * 1e3:>8.2f}"
                f" | {med['bidirectional'] * 1e3:>8.2f} {med['bidirectional'] / med['plain']:>5.2f}"
                f" | {med['dropout'] * 1e3:>10.2f} {med['dropout'] / med['plain']:>5.2f}",
                flush=True,
            )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--configs", nargs="+", default=list(CONFIGS), choices=list(CONFIGS))
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"], choices=["float32", "float64"])
    parser.add_argument("--repeat", type=int, default=None, help="timed runs per side (default: per config)")
    parser.add_argument("--threads", type=int, default=os.cpu_count(), help="BLAS / torch threads")
    parser.add_argument("--no-torch", action="store_true", help="skip the torch comparison")
    parser.add_argument(
        "--family", action="store_true",
        help="time bidirectional and dropout steps against the plain step instead of torch",
    )
    parser.add_argument("--clock", choices=list(CLOCK), default="wall", help="time_block's clock")
    args = parser.parse_args(argv)
    global CLOCK_NAME
    CLOCK_NAME = args.clock
    if args.family:
        with threadpool_limits(limits=args.threads, user_api="blas"):
            run_family(args)
        return

    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            pass
        else:
            torch.set_num_threads(args.threads)

    print(f"threads={args.threads}  numpy {np.__version__}" + (f"  torch {torch.__version__}" if torch else ""))
    header = (
        f"{'cfg':<3} {'dtype':<7} {'B':>4} {'T':>4} {'F':>3} {'H':>4} | {'ours ms':>8} {'GFLOP/s':>7}"
        f" | {'torch ms':>8} {'GFLOP/s':>7} | {'ratio':>5} | {'cache MiB':>9} {'peak MiB':>8}"
    )
    print(header)
    print("-" * len(header))
    with threadpool_limits(limits=args.threads, user_api="blas"):
        for name in args.configs:
            B, T, F, H = CONFIGS[name]
            repeat = args.repeat or DEFAULT_REPEAT[name]
            for dtype_name in args.dtypes:
                X, y, layers, head_w, head_b = make_problem(B, T, F, H, np.dtype(dtype_name))

                def ours(problem=(X, y, layers, head_w, head_b)):
                    sklstm_step(*problem)

                tstep = make_torch_step(torch, X, y, layers, head_w, head_b) if torch else None
                t_ours, t_torch = [], []
                for block in range(ROUNDS):
                    t_ours += time_block(ours, repeat // ROUNDS + (block < repeat % ROUNDS))
                    if tstep:
                        t_torch += time_block(tstep, repeat // ROUNDS + (block < repeat % ROUNDS))
                cache = sklstm_step(X, y, layers, head_w, head_b)[2]
                mib = 2.0**20
                c_mib = cache_nbytes(cache) / mib
                del cache
                p_mib = peak_memory(ours) / mib

                gf = flops(B, T, F, H) / 1e9
                mo = np.median(t_ours)
                row = f"{name:<3} {dtype_name:<7} {B:>4} {T:>4} {F:>3} {H:>4} | {mo * 1e3:>8.2f} {gf / mo:>7.1f}"
                if tstep:
                    mt = np.median(t_torch)
                    row += f" | {mt * 1e3:>8.2f} {gf / mt:>7.1f} | {mo / mt:>5.2f}"
                else:
                    row += f" | {'-':>8} {'-':>7} | {'-':>5}"
                row += f" | {c_mib:>9.1f} {p_mib:>8.1f}"
                print(row, flush=True)


if __name__ == "__main__":
    main()
