"""sklstm: LSTM recurrent networks as scikit-learn estimators, with a NumPy core."""

from ._classifier import LSTMClassifier
from ._encoder_decoder import LSTMEncoderDecoderRegressor
from ._regressor import LSTMRegressor

__version__ = "0.1.0.dev0"

__all__ = ["LSTMClassifier", "LSTMEncoderDecoderRegressor", "LSTMRegressor", "__version__"]
