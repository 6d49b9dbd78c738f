"""Classify handwritten digits read as sequences, with an LSTM and an MLP.

scikit-learn's bundled ``load_digits`` holds 1797 images of 8 x 8 pixels.
An LSTM can read each image as a sequence of 8 time steps, one pixel row
(8 values) per step: the sequence's order is the image's top-to-bottom
order, and the network has to carry what it saw in the upper rows until it
reaches the lower ones. The multi-layer perceptron sees the same 64 pixels
at once, as one flat vector.

Both train with Adam on the same stratified split (75 % / 25 %), and the
table compares their test accuracy, training time and epochs. The LSTM,
which only ever sees one row at a time, reaches the accuracy of the MLP,
which sees the whole image at once, in a similar time (about 97-98 %, a
second or two each). The flat view suits this small, clean task well; the
sequential view is what carries over to series of any length.

Run it with ``python examples/classify_digits.py``.
"""

import argparse
import time
import warnings

from sklearn.datasets import load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier

from sklstm import LSTMClassifier

# no options: --help describes the example, anything else is refused
argparse.ArgumentParser(description=__doc__.split("\n\n")[0]).parse_args()

digits = load_digits()
X = digits.images / 16.0  # (1797, 8, 8): samples, time steps (rows), channels (pixels)
y = digits.target
X_train, X_test, y_train, y_test = train_test_split(
    X, y, test_size=0.25, stratify=y, random_state=0
)

models = {
    "LSTMClassifier (32 units, rows as steps)": (
        # patch_length=1: one row per LSTM step (the default, patches of
        # about 64 values, would read the whole image as one step)
        LSTMClassifier(hidden_layer_sizes=(32,), learning_rate_init=0.01, batch_size=32,
                       max_iter=20, patch_length=1, random_state=0),
        X_train, X_test,
    ),
    "MLPClassifier (64 units, flat pixels)": (
        MLPClassifier(hidden_layer_sizes=(64,), max_iter=200, random_state=0),
        X_train.reshape(len(X_train), -1), X_test.reshape(len(X_test), -1),
    ),
}

print(f"{len(X_train)} training and {len(X_test)} test images of 8 x 8 pixels\n")
print(f"{'model':42s} {'accuracy':>8s} {'fit time':>9s} {'epochs':>6s}")
for name, (model, train, test) in models.items():
    start = time.perf_counter()
    with warnings.catch_warnings():
        # a fixed epoch budget: stopping at max_iter is intended here
        warnings.simplefilter("ignore", ConvergenceWarning)
        model.fit(train, y_train)
    seconds = time.perf_counter() - start
    print(f"{name:42s} {model.score(test, y_test):8.3f} {seconds:8.1f}s {model.n_iter_:6d}")
