"""BLAS calls of the LSTM kernels: in-place products and thread limits.

Implementation notes
--------------------
- The per-step products call SciPy's BLAS only (see ``_gemm``), on one
  thread when they are small: waking a second thread for each of them
  costs more than it shares.
"""

import functools
import os
import threading
from contextlib import nullcontext

import threadpoolctl
from scipy.linalg.blas import dgemm, sgemm

# Below this many multiply-adds, the per-step products run faster on one
# BLAS thread: thread wake-up costs more than the arithmetic it shares.
# When other processes share the cores, a product split over two threads
# waits for a descheduled worker at every step: on a loaded 2-core machine,
# M-sized products (1-5 M multiply-adds) ran 3-15x slower on two threads.
_SINGLE_THREAD_MACS = 2**23
# OpenBLAS itself runs a gemm below 2**18 multiply-adds on one thread
# (65536 * GEMM_MULTITHREAD_THRESHOLD); switching its thread count there
# only costs time, and measurably slowed the small problems after idle.
_BLAS_OWN_SINGLE_THREAD_MACS = 2**18

_GEMM = {"f": sgemm, "d": dgemm}


class _SingleBlasThread:
    """Context that runs BLAS on one thread, then restores the old counts.

    It calls the libraries' own setters through threadpoolctl's cached
    controllers (NumPy's and SciPy's OpenBLAS are separate libraries): a
    few microseconds, against ~30 for ``ThreadpoolController().limit``.

    Thread counts are process-wide, so only the main thread enters (see
    ``_blas_threads_for``), and needs no lock; nested contexts share one
    limit: the first to enter saves the counts and the last to leave
    restores them. The limit also reaches products that other threads run
    meanwhile, whose last bits then depend on the main thread's timing (the
    README's "Scaling out" says how to keep threads bit-reproducible).

    Recent threadpoolctl releases (3.8 here) let one thread at a time set
    the counts of an OpenBLAS built on pthreads: the first to set them takes
    that role, and gives it back as its last ``threadpool_limits`` context
    exits. The limit gives it back as it ends too (:func:`_release_role`),
    unless a context of the main thread's own holds it: kept for good, it
    made every other thread's ``threadpool_limits`` do nothing. Like two
    threads' ``threadpool_limits``, a context that another thread enters
    while the main thread is limited saves one thread as the count to
    restore as it exits.

    A KeyboardInterrupt can land between any two calls, even as ``__exit__``
    starts, so that no restore runs: the functions that enter the context
    are wrapped in :func:`releases_thread_limit`, which restores what is
    still limited as the error leaves them, before the caller regains
    control (and could set counts of its own).
    """

    _libs = None
    _depth = 0
    # (library, saved count) of each library limited and not yet restored.
    _pending = []

    def __enter__(self):
        cls = _SingleBlasThread
        if cls._libs is None:
            blas = threadpoolctl.ThreadpoolController().select(user_api="blas")
            cls._libs = blas.lib_controllers
        if cls._depth == 0:
            for lib in cls._libs:
                n = lib.get_num_threads()
                if n is not None and n > 1:
                    cls._pending.append((lib, n))  # before the limit: restoring is harmless
                    lib.set_num_threads(1)
        cls._depth += 1
        return self

    def __exit__(self, *exc):
        cls = _SingleBlasThread
        cls._depth = max(cls._depth - 1, 0)  # 0 already if a release ended it
        if cls._depth == 0:
            cls._restore()
        return False

    @classmethod
    def _restore(cls):
        """Restore every pending library: one interrupted is tried once more
        and the others restored before the interrupt goes on."""
        interrupt = None
        for entry in cls._pending[::-1]:
            for _ in range(2):
                try:
                    entry[0].set_num_threads(entry[1])
                    cls._pending.remove(entry)  # after the call: an interrupt repeats it
                    break
                except BaseException as exc:
                    interrupt = interrupt or exc
        if not cls._pending:
            _release_role()  # interrupted, the next limit to end gives it back
        if interrupt is not None:
            raise interrupt

    @classmethod
    def release(cls):
        """End every context of the main thread and restore the counts."""
        cls._depth = 0
        cls._restore()

    @classmethod
    def _after_fork_in_child(cls):
        """Restore the counts in a child forked (by another thread) while the
        main thread was limited: the child has no context of that thread to
        end the limit, and ran every product on one thread for good."""
        cls._depth = 0
        pending, cls._pending = cls._pending, []
        for lib, n in pending:
            # Not through threadpoolctl's role: another thread of the parent
            # may have held its lock as the process forked.
            getattr(lib, "_real_set_num_threads", lib.set_num_threads)(n)


# threadpoolctl's count of each thread's open contexts that set OpenBLAS's
# counts; None in releases where any thread may set them.
_OWNERSHIP = getattr(threadpoolctl, "CONTROLLING_THREAD_OWNERSHIP", None)


def _release_role():
    """Give back threadpoolctl's role of setting OpenBLAS's counts, if this
    thread holds it and no ``threadpool_limits`` context of its own is open."""
    if _OWNERSHIP is not None and _OWNERSHIP.count <= 0:
        threadpoolctl.OpenBLASController.clear_controlling_thread()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_SingleBlasThread._after_fork_in_child)


def releases_thread_limit(func):
    """Wrap a function that enters ``_blas_threads_for``: an error (a
    KeyboardInterrupt, say) leaving it in the main thread ends the limit,
    whatever point of the context it interrupted."""

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except BaseException:
            if threading.current_thread() is threading.main_thread():
                _SingleBlasThread.release()
            raise

    return wrapper


def _blas_threads_for(n_macs):
    """Context limiting BLAS to one thread for small per-step products.

    In the main thread only. A fit in another thread runs beside other
    work (a thread pool, joblib's threading backend) that may read or set
    the process-wide counts too: setting them there overrode a limit the
    main thread set meanwhile, and OpenBLAS sometimes ignored the restore
    while other threads ran products, leaving the process on one thread
    after every fit had ended.

    Enter it only in a function wrapped in :func:`releases_thread_limit`.
    """
    if n_macs < _BLAS_OWN_SINGLE_THREAD_MACS or n_macs >= _SINGLE_THREAD_MACS:
        return nullcontext()
    if threading.current_thread() is not threading.main_thread():
        return nullcontext()
    return _SingleBlasThread()


def _gemm(a, b, out, beta=0.0, trans_b=False):
    """``out = a @ op(b) + beta * out`` in place, for C-contiguous 2-D arrays.

    ``op(b)`` is ``b.T`` if ``trans_b`` else ``b``. SciPy's BLAS is
    Fortran-ordered: the C-ordered product ``out = a b`` is the Fortran
    product ``out^T = b^T a^T`` on the same memory. The time loops call only
    SciPy's BLAS: NumPy links a second OpenBLAS, and two thread pools that
    take turns keep each other's idle workers spinning.
    """
    out_f = out.T
    res = _GEMM[out.dtype.char](1.0, b.T, a.T, beta, out_f, trans_a=trans_b, overwrite_c=1)
    if res is not out_f:
        raise RuntimeError("gemm did not write in place")  # a copy was made
