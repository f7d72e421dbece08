import os

# numpy's OpenBLAS starts a thread per core and, after each matrix product, keeps them spinning in
# wait for the next one. A server process's products are small (the log-mel filters of Smart Turn
# and Whisper, well under a millisecond on one thread), and the spinning burnt a second core through
# the model run that follows: Smart Turn's run cost 212 ms of CPU instead of 108. Set before numpy
# is first imported; an operator's own value wins.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

from .celery import app as celery_app  # noqa: E402

__all__ = ["celery_app"]
