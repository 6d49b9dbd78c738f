"""sklstm: LSTM recurrent networks as scikit-learn estimators, with a NumPy core."""

__version__ = "0.1.0.dev0"
