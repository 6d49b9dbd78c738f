"""Peak memory of a call, as the benchmarks report it."""

import threading
import tracemalloc


def traced_peak(fn, *args):
    """``tracemalloc`` peak of ``fn(*args)`` in bytes, run in a thread of its own.

    sklstm's kernels reuse freed arrays from a pool kept per thread (up to
    64 MiB; ``sklstm._kernel``): in a thread that has run them before, a call
    allocates little that tracemalloc sees, however much it holds, and a
    step's measured peak fell below the cache it keeps. A new thread starts
    with an empty pool.
    """
    errors = []

    def run():
        try:
            fn(*args)
        except BaseException as exc:  # raised again in the caller's thread
            errors.append(exc)

    tracemalloc.start()
    try:
        thread = threading.Thread(target=run)
        thread.start()
        thread.join()
        if errors:
            raise errors[0]
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
