"""nnfs-mpi: synchronous data-parallel training over MPI (docs/distributed.md).

```
pip install ./plugins/nnfs-mpi
mpiexec -n 2 nnfs train examples/lenet-mnist.toml
```

Installed, it registers the strategy ``mpi``; a process started by ``mpiexec`` uses it without being told
(``fit(strategy="mpi")`` or ``strategy = "mpi"`` in a config name it explicitly).
"""

from __future__ import annotations

from nnfs_mpi._buffers import FusedBuffers
from nnfs_mpi._shards import epoch_positions, evaluation_range, padded_samples
from nnfs_mpi.strategy import LAUNCHER_VARIABLES, MPIStrategy

__all__ = ["MPIStrategy", "LAUNCHER_VARIABLES", "FusedBuffers", "epoch_positions", "evaluation_range",
           "padded_samples"]
