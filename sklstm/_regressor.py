"""LSTMRegressor: an LSTM with a linear output and squared error."""

from sklearn.base import RegressorMixin
from sklearn.metrics import r2_score
from sklearn.utils.metaestimators import available_if

from ._base import ATTRIBUTES_DOC, PARAMETERS_DOC, BaseLSTM
from ._validation import check_sequence_targets, target_is_single_output


class LSTMRegressor(RegressorMixin, BaseLSTM):
    __doc__ = f"""Long short-term memory network for regression.

    A stack of LSTM layers reads each sequence; a linear layer maps the last
    hidden state (or, with ``return_sequences=True``, every step's state)
    to the targets. Trained on the squared error plus an L2 penalty.

    Parameters
    ----------{PARAMETERS_DOC}
    Attributes
    ----------{ATTRIBUTES_DOC}
    See Also
    --------
    LSTMClassifier : The same network for classification.
    sklearn.neural_network.MLPRegressor : The feed-forward counterpart.

    Examples
    --------
    >>> import numpy as np
    >>> from sklstm import LSTMRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(size=(200, 10, 1))            # 200 sequences of 10 steps
    >>> y = X[:, -3:, 0].sum(axis=1)                  # sum of the last three values
    >>> model = LSTMRegressor(hidden_layer_sizes=(16,), solver="lbfgs",
    ...                       max_iter=150, random_state=0).fit(X, y)
    >>> model.predict(X[:2]).shape
    (2,)
    >>> round(model.score(X, y), 2) > 0.95
    True
    """

    _private_fitted = (*BaseLSTM._private_fitted, "_single_output")
    _required_fitted = (*BaseLSTM._required_fitted, "_single_output")

    def _encode_targets(self, y, sequences, *, reset, classes=None):
        Y = check_sequence_targets(y, sequences, self.return_sequences, numeric=True)
        Y2 = Y.astype(sequences.values.dtype, copy=False)
        if not reset and Y2.shape[-1] != self.n_outputs_:
            raise ValueError(
                f"y has {Y2.shape[-1]} outputs, but {type(self).__name__} was fitted with "
                f"{self.n_outputs_}."
            )
        state = {}
        if reset:
            state["_single_output"] = target_is_single_output(y, self.return_sequences)
        return Y2, "squared_error", None, state

    def _validation_score(self, z, Y, sequences, sample_weight):
        return _masked_r2(Y, z, sequences, sample_weight)

    @available_if(BaseLSTM._check_partial_fit)
    def partial_fit(self, X, y, sample_weight=None):
        """Update the model with one epoch over the given samples.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_columns), DataFrame, or list of arrays
            Sequences, in any convention accepted by ``fit``.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        self : object
        """
        return self._fit(X, y, sample_weight, incremental=True)

    def predict(self, X):
        """Predict targets of sequences.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_timesteps, n_channels) or \
                (n_samples, n_columns), DataFrame, or list of arrays
            Sequences; their length may differ from those seen in ``fit``.

        Returns
        -------
        y : ndarray of shape (n_samples,) or (n_samples, n_outputs)
            With ``return_sequences=True``: (n_samples, n_timesteps) or
            (n_samples, n_timesteps, n_outputs), NaN at padded steps.
        """
        z, seqs = self._logits(X)
        return self._predictions(z, seqs)

    def _predictions(self, z, seqs):
        """Predictions, as ``predict`` returns them, from the network's outputs ``z``."""
        z = self._per_step_output(z, seqs)
        return z[..., 0] if self._single_output else z

    def score(self, X, y, sample_weight=None):
        """Coefficient of determination R² of the predictions.

        With ``return_sequences=True`` every real step of every sequence
        counts as one observation, weighted by ``sample_weight`` divided
        by the sequence's length.

        Parameters
        ----------
        X : array-like, see ``predict``
        y : array-like of shape (n_samples,) or (n_samples, n_outputs), or \
                per step when ``return_sequences``
        sample_weight : array-like of shape (n_samples,), default=None

        Returns
        -------
        score : float
        """
        z, seqs, sw = self._scoring_input(X, sample_weight)
        if not self.return_sequences:
            return float(r2_score(y, self._predictions(z, seqs), sample_weight=sw))
        Y = check_sequence_targets(y, seqs, True, numeric=True)
        return _masked_r2(Y, z, seqs, sw)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.multi_output = True
        return tags


def _masked_r2(Y, z, sequences, sample_weight):
    """R² over real steps: (n, k) or (n, T, k) arrays, padded steps excluded."""
    if Y.ndim == 2:
        return float(r2_score(Y, z, sample_weight=sample_weight))
    mask, step_w = sequences.real_step_weights(sample_weight)
    return float(r2_score(Y[mask], z[mask], sample_weight=step_w))
