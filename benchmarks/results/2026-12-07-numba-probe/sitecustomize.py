"""With ``NNFS_PROBE_NUMBA=1`` and this folder on PYTHONPATH, every float32 LSTM runs the numba cell (lstm_numba)."""

import os

if os.environ.get("NNFS_PROBE_NUMBA") == "1":
    import lstm_numba

    lstm_numba.patch()
