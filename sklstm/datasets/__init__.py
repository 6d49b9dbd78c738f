"""Small real time series shipped with sklstm, loaded like scikit-learn's.

Both series are public domain and come from the data files of statsmodels
(which is not a dependency); each loader's docstring and ``DESCR`` give the
source, the licence and any processing.

- :func:`load_sunspots` -- yearly sunspot numbers, 1700-2008.
- :func:`load_co2` -- monthly mean Mauna Loa CO2, 1964-05 to 2001-12.
"""

from ._base import load_co2, load_sunspots

__all__ = ["load_co2", "load_sunspots"]
