"""Collection rules for the doctests of the sklstm package."""

import importlib.util

# sklstm.onnx needs the optional ``onnx`` extra. Without it, its doctests are
# not collected, as tests/test_onnx.py skips without onnxruntime.
_ONNX_EXTRA = ("onnx", "skl2onnx", "onnxruntime")
collect_ignore = [] if all(importlib.util.find_spec(m) for m in _ONNX_EXTRA) else [
    "sklstm/onnx.py"
]
# sklstm.persistence's examples save and load with the optional ``skops`` extra.
if importlib.util.find_spec("skops") is None:
    collect_ignore.append("sklstm/persistence.py")
