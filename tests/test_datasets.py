"""Tests of the bundled datasets: shape, dtype, frequency, known raw values."""

from importlib import resources

import numpy as np
import pandas as pd
import pytest
from sklearn.utils import Bunch

from sklstm.datasets import load_co2, load_sunspots

# (loader, column, length, first label, offset type)
DATASETS = [
    (load_sunspots, "sunspots", 309, "1700-01-01", pd.offsets.YearBegin),
    (load_co2, "co2", 452, "1964-05-01", pd.offsets.MonthBegin),
]


@pytest.mark.parametrize("loader, column, n, first, offset", DATASETS)
def test_frame_contract(loader, column, n, first, offset):
    df = loader()
    assert isinstance(df, pd.DataFrame)
    assert list(df.columns) == [column]
    assert df.shape == (n, 1)
    assert df[column].dtype == np.float64
    assert not df.isna().to_numpy().any()
    assert isinstance(df.index, pd.DatetimeIndex)
    assert df.index.name == "date"
    assert isinstance(df.index.freq, offset)
    assert df.index[0] == pd.Timestamp(first)
    # The freq really describes the index: no missing or extra timestamps.
    expected = pd.date_range(first, periods=n, freq=df.index.freq)
    pd.testing.assert_index_equal(df.index, expected, check_names=False)
    assert "Copyright" in df.attrs["DESCR"]
    assert "public domain" in df.attrs["DESCR"]


@pytest.mark.parametrize("loader, column, n, first, offset", DATASETS)
def test_bunch_contract(loader, column, n, first, offset):
    bunch = loader(as_frame=False)
    assert isinstance(bunch, Bunch)
    assert set(bunch) == {
        "data",
        "index",
        "feature_names",
        "frame",
        "DESCR",
        "filename",
        "data_module",
    }
    assert isinstance(bunch.data, np.ndarray)
    assert bunch.data.shape == (n, 1)
    assert bunch.data.dtype == np.float64
    assert bunch.frame is None
    assert bunch.feature_names == [column]
    assert bunch.filename == column + ".csv"
    assert bunch.data_module == "sklstm.datasets.data"
    assert isinstance(bunch.index.freq, offset)
    assert "Source" in bunch.DESCR and "public domain" in bunch.DESCR
    # Same numbers as the frame.
    df = loader()
    np.testing.assert_array_equal(bunch.data, df.to_numpy())
    pd.testing.assert_index_equal(bunch.index, df.index)


def test_sunspots_known_values():
    # First and last rows of the raw file: "1700,5" ... "1950,83.9" ... "2008,2.9".
    s = load_sunspots()["sunspots"]
    assert s.iloc[0] == 5.0
    assert s.iloc[1] == 11.0
    assert s.loc["1950-01-01"] == 83.9
    assert s.index[-1] == pd.Timestamp("2008-01-01")
    assert s.iloc[-1] == 2.9


def test_co2_known_values():
    s = load_co2()["co2"]
    # May 1964: the raw weeks 19640502..19640530 have a single value, 322.0.
    assert s.iloc[0] == 322.0
    # January 1965, raw weeks 0102, 0109, 0116, 0123, 0130.
    assert s.loc["1965-01-01"] == pytest.approx(
        np.mean([319.0, 319.1, 319.1, 319.7, 320.1])
    )
    # December 2001, raw weeks 1201 .. 1229.
    assert s.index[-1] == pd.Timestamp("2001-12-01")
    assert s.iloc[-1] == pytest.approx(np.mean([370.3, 370.8, 371.2, 371.3, 371.5]))


def test_co2_is_monthly_mean_of_raw_weeks():
    # Recompute the documented processing from the shipped raw file.
    bunch = load_co2(as_frame=False)
    # As in scikit-learn, data_module and filename locate the raw file.
    path = resources.files(bunch.data_module).joinpath(bunch.filename)
    with path.open("r", encoding="utf-8") as f:
        raw = pd.read_csv(f, dtype={"date": str})
    assert len(raw) == 2284
    assert raw["co2"].isna().sum() == 59
    dates = pd.to_datetime(raw["date"], format="%Y%m%d")
    assert (dates.dt.dayofweek == 5).all()  # one value per Saturday
    month = dates.dt.to_period("M")
    sums, counts = {}, {}
    for m, v in zip(month, raw["co2"], strict=True):
        if not np.isnan(v):
            sums[m] = sums.get(m, 0.0) + v
            counts[m] = counts.get(m, 0) + 1
    all_months = pd.period_range(month.iloc[0], month.iloc[-1], freq="M")
    empty = [str(m) for m in all_months if m not in counts]
    assert empty == ["1958-06", "1958-10", "1964-02", "1964-03", "1964-04"]
    kept = [m for m in all_months if m > pd.Period("1964-04", "M")]
    expected = np.array([sums[m] / counts[m] for m in kept])
    np.testing.assert_allclose(bunch.data[:, 0], expected, rtol=0, atol=1e-9)


@pytest.mark.parametrize("loader", [load_co2, load_sunspots])
@pytest.mark.parametrize("value", ["yes", None, 0])
def test_as_frame_must_be_a_bool(loader, value):
    with pytest.raises(TypeError, match=r"as_frame must be True or False"):
        loader(as_frame=value)
