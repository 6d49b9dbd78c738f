"""Train the bare NumPy LSTM core on a small sequence task.

Predict the next value of a noisy sine wave from the window of its last 20
values, with plain gradient descent on the core's exact gradients.
"""

import argparse

import numpy as np

from sklstm.core import init_lstm_layers, init_output_layer, lstm_backward, lstm_forward

# no options: --help describes the example, anything else is refused
argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()

rng = np.random.default_rng(0)
t = np.arange(500) * 0.1
series = np.sin(t) + 0.1 * rng.normal(size=t.size)
window = 20
X = np.lib.stride_tricks.sliding_window_view(series[:-1], window)[:, :, None].copy()
y = series[window:]

layers = init_lstm_layers(1, (16,), rng)
coef, intercept = init_output_layer(16, 1, rng)
lr = 0.5
for epoch in range(101):
    h, cache = lstm_forward(X, layers)
    residual = (h @ coef + intercept)[:, 0] - y
    loss = 0.5 * np.mean(residual**2)
    d_pred = residual[:, None] / len(y)
    grads = lstm_backward(d_pred @ coef.T, cache, input_grad=False)
    coef -= lr * h.T @ d_pred
    intercept -= lr * d_pred.sum(axis=0)
    for layer, g in zip(layers, grads["layers"]):
        for name in layer:
            layer[name] -= lr * g[name]
    if epoch % 20 == 0:
        print(f"epoch {epoch:3d}  loss {loss:.5f}")
