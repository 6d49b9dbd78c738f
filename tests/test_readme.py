"""Every Python block of the README runs as written, in order, in one namespace."""

import re
import warnings
from pathlib import Path

import pytest

README = Path(__file__).resolve().parents[1] / "README.md"


def _python_blocks():
    return re.findall(r"^```python\n(.*?)^```", README.read_text(), flags=re.S | re.M)


@pytest.mark.slow
def test_readme_python_blocks_run(tmp_path, monkeypatch):
    blocks = _python_blocks()
    assert len(blocks) >= 5  # the README shows estimators, forecasting, saving, ONNX, Dask
    monkeypatch.chdir(tmp_path)  # files the blocks write land here
    namespace = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the blocks' short fits warn about max_iter
        for k, block in enumerate(blocks):
            try:
                exec(compile(block, f"README.md block {k}", "exec"), namespace)
            except ImportError as exc:  # an optional extra not installed here
                pytest.skip(f"README block {k} needs {exc.name}")
