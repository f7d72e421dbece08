"""ONNX models shipped as data files inside installed PyPI packages, run on onnxruntime.

The packages (silero-vad, pipecat-ai) are installed without their dependencies and never
imported: their `__init__` pulls in torch or much of a framework. Only the file is used, found
through the import system without running the package, and one session per model is shared
by every call of the process (the calls' state lives outside it).
"""

import importlib.util
import threading
from pathlib import Path


class PackagedModel:
    def __init__(self, package, relative_path, *, missing):
        self.package = package
        self.relative_path = Path(relative_path)
        self.missing = missing  # the error's text when the file is not installed
        self._session = None
        self._lock = threading.Lock()

    def path(self):
        """Where the file is inside the installed package, or None."""
        spec = importlib.util.find_spec(self.package)
        if spec is None or not spec.submodule_search_locations:
            return None
        path = Path(next(iter(spec.submodule_search_locations))) / self.relative_path
        return path if path.is_file() else None

    def session(self):
        """The process's one session (single-threaded: calls run it from their own threads)."""
        with self._lock:
            if self._session is None:
                import onnxruntime

                path = self.path()
                if path is None:
                    raise RuntimeError(self.missing)
                options = onnxruntime.SessionOptions()
                options.intra_op_num_threads = 1
                options.inter_op_num_threads = 1
                options.log_severity_level = 3
                self._session = onnxruntime.InferenceSession(
                    str(path), sess_options=options, providers=["CPUExecutionProvider"]
                )
            return self._session
