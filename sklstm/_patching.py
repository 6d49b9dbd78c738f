"""Patches: runs of consecutive time steps read by the LSTM as one step.

A long sequence is hard for an LSTM: gradients must flow through every
step, and each step costs a recurrent matrix product. Reading ``p``
consecutive steps as one step of ``p * n_channels`` values (a *patch*, as
in PatchTST, Nie et al., 2023) shortens the recurrence ``p`` times; the
network still reads every value, in order. Patches are aligned to each
sequence's end, so that its last patch holds its newest ``p`` steps at the
same places whatever its length: a many-to-one model reads its answer from
that last step, and with patches aligned to the start, sequences of
different lengths left it a varying mix of values and padding (on
sequences of 8 to 40 steps labelled by the sign of their last value, a
classifier reading one 40-step patch scored chance).

This module knows nothing of estimators: it maps an internal batch of
sequences ``(n, T, C)`` to patches, and gives the default patch length.
"""

import numpy as np

__all__ = [
    "AUTO_PATCH_MAX_STEPS", "AUTO_PATCH_STEPS", "AUTO_PATCH_WIDTH", "auto_patch_length",
    "fold_steps", "n_patches",
]

# The default was chosen by 3-fold cross-validation on the training parts
# of twelve public UCR/UEA sets (benchmarks/bench_realdata.py lists them),
# and for regression also on the validation origins of twelve forecasting
# series (benchmarks/bench_forecasting.py --tune):
# - patches of about this many values (steps x channels), which led patches
#   making about AUTO_PATCH_STEPS LSTM steps (among 8, 16 and 32) by 0.02 in
#   accuracy on two seeds, and in forecasting error too;
AUTO_PATCH_WIDTH = 64
#   but never more LSTM steps than this: with 64 channels or more a patch is
#   one step, and 1,000 steps would be a 1,000-step recurrence. (On the
#   twelve sets the width makes at most 23 LSTM steps; this bound changes
#   none of them.)
AUTO_PATCH_MAX_STEPS = 32
# The former regressor's rule (aim="steps"), kept for the benchmarks that
# compare with it: make the longest training sequence about this many LSTM
# steps.
AUTO_PATCH_STEPS = 16


def auto_patch_length(n_timesteps, n_channels, aim):
    """The default patch length for sequences of at most ``n_timesteps`` steps.

    Parameters
    ----------
    n_timesteps : int
        The longest training sequence.
    n_channels : int
    aim : {"steps", "width"}
        ``"steps"``: ``ceil(n_timesteps / AUTO_PATCH_STEPS)``, so that the
        longest sequence is about ``AUTO_PATCH_STEPS`` LSTM steps.
        ``"width"``: ``AUTO_PATCH_WIDTH // n_channels`` steps, so that a
        patch holds about ``AUTO_PATCH_WIDTH`` values, and no more than
        ``n_timesteps`` (a sequence that short is one LSTM step); but at
        least ``ceil(n_timesteps / AUTO_PATCH_MAX_STEPS)``, so that many
        channels do not leave a long sequence one LSTM step per step.

    Returns
    -------
    patch_length : int
        At least 1.
    """
    if aim == "width":
        wide = min(int(n_timesteps), AUTO_PATCH_WIDTH // int(n_channels))
        return max(1, wide, -(-int(n_timesteps) // AUTO_PATCH_MAX_STEPS))
    return max(1, -(-int(n_timesteps) // AUTO_PATCH_STEPS))


def n_patches(n_timesteps, patch_length):
    """LSTM steps of a sequence of ``n_timesteps`` steps (an int, or an array
    of them) in patches of ``patch_length``: ``ceil(n_timesteps / patch_length)``."""
    return -(-n_timesteps // patch_length)


def fold_steps(values, lengths, patch_length, align="end"):
    """Read each run of ``patch_length`` consecutive steps as one step.

    Parameters
    ----------
    values : ndarray of shape (n_samples, n_timesteps, n_channels)
        Zero after each sequence's end.
    lengths : ndarray of shape (n_samples,) or None
        Real steps of each sequence; None when all are ``n_timesteps`` long.
    patch_length : int
    align : {"end", "start"}, default="end"
        ``"end"``: each sequence's last patch ends at its last real step,
        and zero steps complete its *first* patch, so that the LSTM's last
        step reads a sequence's newest ``patch_length`` steps at the same
        places whatever its length. ``"start"``: patches start at each
        sequence's first step and zeros complete the last one (models
        fitted before sklstm aligned patches to the end read this way).

    Returns
    -------
    patches : ndarray of shape (n_samples, ceil(n_timesteps / patch_length), \
            patch_length * n_channels)
        Step-major patches (the channels of a patch's first step, then of
        its second, ...). With ``align="end"``, a sequence of ``L`` real
        steps fills patches ``0 .. ceil(L / p) - 1``, the first of which
        starts with ``(-L) mod p`` zero steps; after them come zeros, like
        padding.
    patch_lengths : ndarray of shape (n_samples,) or None
        Patches of each sequence, ``ceil(lengths / patch_length)``.
    """
    if patch_length == 1:
        return values, lengths
    n, T, C = values.shape
    width = n_patches(T, patch_length)
    padded = _with_zero_steps(values, lengths, patch_length, width * patch_length, align)
    patches = padded.reshape(n, width, patch_length * C)
    if lengths is None:
        return patches, None
    return patches, n_patches(lengths, patch_length)


def folds_to_a_view(n_timesteps, lengths, patch_length, align="end"):
    """Whether :func:`fold_steps` returns a view of its input, not a copy:
    no sequence of ``n_timesteps`` steps (``lengths`` real ones) needs zero
    steps to complete its patches."""
    if n_timesteps % patch_length:
        return False
    return lengths is None or align == "start" or not ((-lengths) % patch_length).any()


def _with_zero_steps(values, lengths, p, width, align):
    """``values`` (n, T, C) widened to ``width`` steps by the zero steps that
    complete each sequence's patches of ``p`` steps (see :func:`fold_steps`);
    ``values`` itself where none are needed (then the patches are a view,
    not a copy of X)."""
    n, T, C = values.shape
    if folds_to_a_view(T, lengths, p, align):
        return values
    lead = None if lengths is None or align == "start" else (-lengths) % p
    padded = np.zeros((n, width, C), dtype=values.dtype)
    if align == "start":
        padded[:, :T] = values
    elif lead is None:
        padded[:, width - T :] = values
    else:
        # Each sequence moves right by the zero steps its first patch needs
        # (fewer than p); its steps after its end are zero, so moving the
        # whole row is exact, and the steps that would move past `width` are
        # zero: they are left out.
        for shift in np.unique(lead):
            rows = lead == shift
            kept = min(T, width - shift)
            padded[rows, shift : shift + kept] = values[rows, :kept]
    return padded
