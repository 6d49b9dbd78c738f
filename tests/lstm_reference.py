"""Independent NumPy transcription of the LSTM family, for known-answer tests.

Written from the equations of Greff et al., *LSTM: A Search Space Odyssey*
(2017), sections 2 and 3, one sample and one step at a time, in public gate
order with an explicit sigmoid: none of the kernel's reordering, halving,
sorting or caching. Weight layout as documented for ``coefs_``.
"""

import numpy as np

# Block names of each variant's W, R and b columns (public order).
_BLOCKS = {
    None: "ifgo", "NIAF": "ifgo", "NOAF": "ifgo", "FGR": "ifgo",
    "NIG": "fgo", "NFG": "igo", "NOG": "ifg",
}


def central_difference_gradient(loss, arr, eps=1e-6):
    """Central finite differences of ``loss()`` with respect to ``arr``, perturbed in place."""
    grad = np.zeros_like(arr)
    flat, gflat = arr.reshape(-1), grad.reshape(-1)
    for k in range(flat.size):
        orig = flat[k]
        flat[k] = orig + eps
        plus = loss()
        flat[k] = orig - eps
        minus = loss()
        flat[k] = orig
        gflat[k] = (plus - minus) / (2 * eps)
    return grad


def check_core_gradients(X, layers, h0, c0, rng, rtol=2e-6, **kwargs):
    """Check ``lstm_backward`` against central differences of ``<w, outputs>``.

    Every parameter of every layer dict, ``X``, ``h0`` and ``c0``; ``kwargs``
    go to ``lstm_forward``. Returns the numerical gradient of ``X``.
    """
    from sklstm._lstm import lstm_backward, lstm_forward

    out, cache = lstm_forward(X, layers, h0=h0, c0=c0, **kwargs)
    w = rng.normal(size=out.shape)

    def loss():
        return float(np.sum(lstm_forward(X, layers, h0=h0, c0=c0, **kwargs)[0] * w))

    grads = lstm_backward(w, cache)
    checked = []
    for j, (layer, g) in enumerate(zip(layers, grads["layers"], strict=True)):
        assert set(layer) == set(g)
        checked += [(layer[k], g[k], f"layer {j} {k}") for k in layer]
    checked.append((X, grads["X"], "X"))
    for name, states in (("h0", h0), ("c0", c0)):
        checked += [(states[j], grads[name][j], f"{name}[{j}]") for j in range(len(layers))]
    num_X = None
    for arr, analytic, what in checked:
        assert analytic.shape == arr.shape, what
        num = central_difference_gradient(loss, arr)
        scale = max(np.abs(num).max(), np.abs(analytic).max(), 1e-12)
        err = np.abs(num - analytic).max() / scale
        assert err <= rtol, f"{what}: relative error {err:.2e}"
        assert np.abs(num).max() > 1e-8, f"{what}: gradient is identically zero"
        num_X = num if arr is X else num_X
    return num_X


def sigmoid(z):
    return 1.0 / (1.0 + np.exp(-z))


def blocks_of(variant, coupled):
    return _BLOCKS[variant].replace("f", "") if coupled else _BLOCKS[variant]


def run_direction(seq, layer, variant, coupled, h, c, mask_x=None, mask_h=None):
    """Hidden states (L, H) of one layer over one sequence (L, n_in), in time order."""
    names = blocks_of(variant, coupled)
    H = layer["R"].shape[0]
    col = {k: slice(j * H, (j + 1) * H) for j, k in enumerate(names)}
    gates = [k for k in names if k != "g"]
    p = {k: (layer["p"][j] if "p" in layer else 0.0) for j, k in enumerate(gates)}
    s_prev = np.zeros(len(gates) * H)  # FGR: the gates' previous activations
    hs = []
    for x in seq:
        x = x if mask_x is None else x * mask_x
        h_rec = h if mask_h is None else h * mask_h
        pre = {k: x @ layer["W"][:, col[k]] + h_rec @ layer["R"][:, col[k]] + layer["b"][col[k]]
               for k in names}
        if variant == "FGR":
            for j, k in enumerate(gates):
                pre[k] = pre[k] + s_prev @ layer["Rg"][:, j * H : (j + 1) * H]
        i = sigmoid(pre["i"] + p["i"] * c) if "i" in names else 1.0
        if coupled:
            f = 1.0 - i
        else:
            f = sigmoid(pre["f"] + p["f"] * c) if "f" in names else 1.0
        g = pre["g"] if variant == "NIAF" else np.tanh(pre["g"])
        c = f * c + i * g
        o = sigmoid(pre["o"] + p["o"] * c) if "o" in names else 1.0
        h = o * (c if variant == "NOAF" else np.tanh(c))
        act = {"i": i, "f": f, "o": o}
        s_prev = np.concatenate([act[k] * np.ones(H) for k in gates])
        hs.append(h)
    return np.array(hs)


def reference_forward(
    X, layers, h0=None, c0=None, return_sequences=False, *, lengths=None, variant=None,
    coupled=None, bidirectional=False, masks=None,
):
    """Outputs of a (bidirectional) stack, as ``lstm_forward`` documents them.

    Parameters
    ----------
    X : ndarray of shape (n_samples, n_timesteps, n_features)
    layers : list of dict
        sklstm's layout (see ``sklstm._params.layer_shapes``).
    h0, c0 : list of ndarray of shape (n_samples, H), or None for zeros
    return_sequences : bool
    lengths : ndarray of shape (n_samples,), optional
    variant : str or None
        Greff et al.'s variant.
    coupled : bool, optional
        The coupled gate; by default read from the shapes of the plain cell
        (3H columns).
    bidirectional : bool
    masks : list of (mask_x, mask_h), optional
        Dropout masks per layer dict, each (n_samples, width) or None.

    Returns
    -------
    out : ndarray of shape (n_samples, D*H_last), or (n_samples, n_timesteps, D*H_last)
    """
    if coupled is None:
        coupled = variant is None and layers[0]["R"].shape[1] == 3 * layers[0]["R"].shape[0]
    B, T, _ = X.shape
    n_dir = 2 if bidirectional else 1
    lengths = np.full(B, T) if lengths is None else lengths
    out = []
    for s in range(B):
        seq = X[s, : lengths[s]]
        finals = []
        for depth in range(0, len(layers), n_dir):
            outs = []
            for k in range(n_dir):
                j = depth + k
                H = layers[j]["R"].shape[0]
                h = np.zeros(H) if h0 is None else h0[j][s]
                c = np.zeros(H) if c0 is None else c0[j][s]
                mx, mh = (None, None) if masks is None else (
                    None if m is None else m[s] for m in masks[j])
                run = run_direction(seq if k == 0 else seq[::-1], layers[j], variant, coupled,
                                    h, c, mx, mh)
                finals.append(run[-1])
                outs.append(run if k == 0 else run[::-1])
            seq = np.concatenate(outs, axis=1)
        if return_sequences:
            full = np.zeros((T, seq.shape[1]))
            full[: lengths[s]] = seq
            out.append(full)
        else:
            out.append(np.concatenate(finals[-n_dir:]))
    return np.array(out)
