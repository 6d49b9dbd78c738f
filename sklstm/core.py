"""sklstm's numerical core: stateless LSTM passes on NumPy arrays.

This is the stable, public face of the core. It knows nothing of
scikit-learn: functions map arrays to arrays and keep no state between calls.

- :func:`lstm_forward` runs a stack of LSTM layers and returns the outputs
  and a cache; :func:`lstm_backward` turns the gradient of the outputs into
  exact gradients of every weight, the input and the initial states.
- :func:`final_states` reads each layer's final hidden and cell state off a
  cache, to pass on as another stack's ``h0`` and ``c0`` (an encoder to a
  decoder); ``lstm_backward(..., d_final_states=(dh, dc))`` takes their
  gradients back.
- :func:`lstm_predict` is the forward pass without a backward cache: its
  memory beyond ``X`` (and, for sequences of different lengths, its copy
  sorted by length) does not grow with the number of steps (many-to-one,
  one direction) and equals
  :func:`lstm_forward`'s outputs to the last bit; with
  ``return_final_states=True`` it also returns :func:`final_states`' states,
  an encoder's hand-over to a decoder without a cache.
- :func:`init_lstm_layers` and :func:`init_output_layer` draw initial
  weights in the layout the passes read: one dict per layer with ``W``
  (n_in, 4H), ``R`` (H, 4H), ``b`` (4H,) and optionally peepholes ``p``,
  gate blocks in the order given by :func:`gate_blocks`;
  :func:`layer_shapes` gives every array's shape.
- Every pass takes ``gate_variant`` (one of :data:`GATE_VARIANTS`, Greff et
  al.'s NIG, NFG, NOG, NIAF, NOAF and FGR) and ``bidirectional`` (two layer
  dicts per layer, forward first); :func:`lstm_forward` also takes
  ``dropout_masks`` from :func:`draw_dropout_masks`.
- :class:`GateInputOverflow`, a ValueError, is raised where some layer's
  gate inputs may overflow X's dtype (BLAS would saturate gates silently);
  :func:`largest_safe_input` gives the largest |x| a stack takes without it.

The equations, in Greff et al.'s notation, are in ``sklstm._lstm``'s module
docstring; ``tests/test_lstm.py`` checks them by central finite differences.

Examples
--------
>>> import numpy as np
>>> from sklstm.core import init_lstm_layers, lstm_backward, lstm_forward
>>> rng = np.random.default_rng(0)
>>> layers = init_lstm_layers(2, (8,), rng)
>>> X = rng.normal(size=(5, 10, 2))                  # (samples, steps, channels)
>>> h, cache = lstm_forward(X, layers)               # h: (5, 8), the last step's state
>>> grads = lstm_backward(np.ones_like(h), cache)
>>> grads["layers"][0]["W"].shape, grads["X"].shape
((2, 32), (5, 10, 2))
"""

from ._lstm import (
    GATE_VARIANTS,
    GateInputOverflow,
    draw_dropout_masks,
    final_states,
    gate_blocks,
    kernel_layers,
    largest_safe_input,
    lstm_backward,
    lstm_forward,
    lstm_predict,
)
from ._params import init_lstm_layers, init_output_layer, layer_shapes

__all__ = [
    "GATE_VARIANTS", "GateInputOverflow", "draw_dropout_masks", "final_states", "gate_blocks",
    "init_lstm_layers", "init_output_layer", "kernel_layers", "largest_safe_input",
    "layer_shapes", "lstm_backward", "lstm_forward", "lstm_predict",
]
