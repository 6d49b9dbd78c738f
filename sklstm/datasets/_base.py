"""Loaders for the small real time series shipped with sklstm.

The CSV files in ``data/`` are unmodified copies of files from the statsmodels
wheel; the ``.rst`` file next to each one gives its source, licence and the
exact processing done here.
"""

from importlib import resources

import numpy as np
import pandas as pd
from sklearn.utils import Bunch

from .._param_validation import BOOLEAN, validate_params

DATA_MODULE = "sklstm.datasets"


def _data_file(name):
    # joinpath on the package's Traversable works for installed wheels,
    # editable installs and zip imports alike.
    return resources.files(DATA_MODULE).joinpath("data", name)


def _load_descr(name):
    return _data_file(name).read_text(encoding="utf-8")


def _read_csv(name, **kwargs):
    with _data_file(name).open("r", encoding="utf-8") as f:
        return pd.read_csv(f, **kwargs)


def _to_result(frame, *, descr_file, csv_file, as_frame):
    """Return ``frame`` itself or the sklearn-style Bunch for ``as_frame=False``."""
    name = f"load_{csv_file.removesuffix('.csv')}"
    validate_params({"as_frame": as_frame}, {"as_frame": [BOOLEAN]}, name)
    descr = _load_descr(descr_file)
    if as_frame:
        frame.attrs["DESCR"] = descr
        return frame
    return Bunch(
        data=frame.to_numpy(dtype=np.float64),
        index=frame.index,
        feature_names=list(frame.columns),
        frame=None,
        DESCR=descr,
        filename=csv_file,
        data_module=DATA_MODULE + ".data",
    )


def load_sunspots(*, as_frame=True):
    """Load the yearly sunspot numbers, 1700-2008 (309 observations).

    Yearly sunspot activity from the National Geophysical Data Center
    (NOAA), as shipped in statsmodels' ``sunspots`` dataset. The data is
    public domain. No value is changed: the year becomes the timestamp of
    1 January of that year.

    =================   =========================
    Observations        309 (yearly, 1700-2008)
    Columns             1 (``sunspots``)
    Frequency           ``YS`` (year start)
    Missing values      none
    =================   =========================

    Read more in ``load_sunspots(as_frame=False).DESCR``.

    Parameters
    ----------
    as_frame : bool, default=True
        If True, return a :class:`pandas.DataFrame` indexed by time, ready
        for :mod:`sklstm.forecasting`. If False, return a Bunch of NumPy
        arrays, like scikit-learn's ``load_*`` functions.

    Returns
    -------
    data : :class:`pandas.DataFrame` or :class:`~sklearn.utils.Bunch`
        If ``as_frame=True``, a DataFrame of shape (309, 1) with one float64
        column ``"sunspots"`` and a :class:`pandas.DatetimeIndex` named
        ``"date"`` whose ``freq`` is set (``YS``, year start). The description
        is in ``data.attrs["DESCR"]``.

        If ``as_frame=False``, a Bunch, as returned by scikit-learn's
        loaders, with the keys:

        data : ndarray of shape (309, 1), dtype float64
            The values, one row per time step, oldest first.
        index : :class:`pandas.DatetimeIndex` of length 309
            The timestamp of each row, with ``freq`` set.
        feature_names : list of str
            ``["sunspots"]``.
        frame : None
            As in scikit-learn when ``as_frame=False``.
        DESCR : str
            Full description: source, licence, processing.
        filename : str
            Name of the CSV file inside ``data_module``.
        data_module : str
            ``"sklstm.datasets.data"``.

        There is no ``target``: which column to forecast, and from which
        window, is the job of :func:`sklstm.forecasting.make_windows`.

    Notes
    -----
    Source: http://www.ngdc.noaa.gov/stp/solar/solarda3.html, via
    ``statsmodels/datasets/sunspots/sunspots.csv`` (statsmodels 0.15.0).
    Copyright: "This data is public domain." (statsmodels documentation of
    the dataset).

    Examples
    --------
    >>> from sklstm.datasets import load_sunspots
    >>> df = load_sunspots()
    >>> df.shape
    (309, 1)
    >>> df.index.freq
    <YearBegin: month=1>
    >>> df.head(3)
                sunspots
    date
    1700-01-01       5.0
    1701-01-01      11.0
    1702-01-01      16.0
    >>> bunch = load_sunspots(as_frame=False)
    >>> bunch.data.shape, bunch.feature_names
    ((309, 1), ['sunspots'])
    """
    raw = _read_csv("sunspots.csv")
    index = pd.DatetimeIndex(
        pd.to_datetime(raw["YEAR"].astype(str), format="%Y"), name="date", freq="YS"
    )
    frame = pd.DataFrame(
        {"sunspots": raw["SUNACTIVITY"].to_numpy(dtype=np.float64)}, index=index
    )
    return _to_result(
        frame, descr_file="sunspots.rst", csv_file="sunspots.csv", as_frame=as_frame
    )


def load_co2(*, as_frame=True):
    """Load monthly mean Mauna Loa CO2, May 1964 - December 2001 (452 months).

    Atmospheric CO2 concentration (ppmv) at Mauna Loa Observatory, Hawaii
    (Keeling and Whorf, CDIAC), as shipped in statsmodels' ``co2`` dataset,
    which describes it as "from continuous air samples"; the source it
    cites is CDIAC's record of flask samples (see Notes). The data is
    public domain.

    The raw data are weekly averages (one per Saturday, 1958-03-29 to
    2001-12-29, 59 of them missing). They are made into a regular monthly
    series, with nothing interpolated:

    1. each weekly value is assigned to the calendar month of its date;
    2. the monthly value is the unweighted mean of the month's non-missing
       weekly values;
    3. five early months have no weekly value at all (1958-06, 1958-10,
       1964-02 to 1964-04), so the series starts in May 1964, the month after
       the last of them. Every later month has at least one weekly value.

    =================   ===============================
    Observations        452 (monthly, 1964-05 - 2001-12)
    Columns             1 (``co2``, ppmv)
    Frequency           ``MS`` (month start)
    Missing values      none
    =================   ===============================

    Read more in ``load_co2(as_frame=False).DESCR``.

    Parameters
    ----------
    as_frame : bool, default=True
        If True, return a :class:`pandas.DataFrame` indexed by time, ready
        for :mod:`sklstm.forecasting`. If False, return a Bunch of NumPy
        arrays, like scikit-learn's ``load_*`` functions.

    Returns
    -------
    data : :class:`pandas.DataFrame` or :class:`~sklearn.utils.Bunch`
        If ``as_frame=True``, a DataFrame of shape (452, 1) with one float64
        column ``"co2"`` and a :class:`pandas.DatetimeIndex` named
        ``"date"`` whose ``freq`` is set (``MS``, month start). The description
        is in ``data.attrs["DESCR"]``.

        If ``as_frame=False``, a Bunch, as returned by scikit-learn's
        loaders, with the keys:

        data : ndarray of shape (452, 1), dtype float64
            The values, one row per time step, oldest first.
        index : :class:`pandas.DatetimeIndex` of length 452
            The timestamp of each row, with ``freq`` set.
        feature_names : list of str
            ``["co2"]``.
        frame : None
            As in scikit-learn when ``as_frame=False``.
        DESCR : str
            Full description: source, licence, processing.
        filename : str
            Name of the CSV file inside ``data_module``.
        data_module : str
            ``"sklstm.datasets.data"``.

        There is no ``target``: which column to forecast, and from which
        window, is the job of :func:`sklstm.forecasting.make_windows`.

    Notes
    -----
    Source: http://cdiac.ornl.gov/trends/co2/sio-keel-flask/sio-keel-flaskmlo_c.html
    (Keeling, C.D. and T.P. Whorf. 2004. Atmospheric CO2 concentrations
    derived from flask air samples at sites in the SIO network. In Trends: A
    Compendium of Data on Global Change. CDIAC, Oak Ridge National
    Laboratory, U.S. Department of Energy, Oak Ridge, Tennessee, U.S.A.), via
    ``statsmodels/datasets/co2/co2.csv`` (statsmodels 0.15.0).
    Copyright: "This is public domain." (statsmodels documentation of the
    dataset).

    Examples
    --------
    >>> from sklstm.datasets import load_co2
    >>> df = load_co2()
    >>> df.shape
    (452, 1)
    >>> df.index.freq
    <MonthBegin>
    >>> df.loc["1965-01":"1965-03"]
                   co2
    date
    1965-01-01  319.400
    1965-02-01  320.450
    1965-03-01  320.925
    """
    raw = _read_csv("co2.csv", dtype={"date": str})
    weekly = pd.Series(
        raw["co2"].to_numpy(dtype=np.float64),
        index=pd.to_datetime(raw["date"], format="%Y%m%d"),
    )
    monthly = weekly.resample("MS").mean()
    # Start after the last month without any measurement: no value is imputed.
    empty = monthly.index[monthly.isna().to_numpy()]
    if len(empty):
        monthly = monthly[monthly.index > empty[-1]]
    index = pd.DatetimeIndex(monthly.index, name="date", freq="MS")
    frame = pd.DataFrame({"co2": monthly.to_numpy()}, index=index)
    return _to_result(
        frame, descr_file="co2.rst", csv_file="co2.csv", as_frame=as_frame
    )
