"""Every rank starts a ``fit`` from rank 0's network: the same names, weights, state, Generator and optimizer."""

from __future__ import annotations

from typing import Any

import numpy as np

from nnfs_core.errors import ConfigError
from nnfs_mpi._buffers import FusedBuffers

__all__ = ["check_same_network", "broadcast_network"]


def check_same_network(comm: Any, network: Any) -> None:
    """Raise ``ConfigError`` on every rank when the ranks' parameters differ by name, shape or dtype.

    Ranks built from one config always agree; a script that builds its network differently per rank
    would otherwise exchange gradients of different parameters.
    """
    layout = [(name, value.shape, value.dtype.str) for name, value in (*network.named_parameters(),
                                                                      *network.named_state())]
    layouts = comm.allgather(layout)
    for rank, other in enumerate(layouts):
        if other != layouts[0]:
            differ = next((a, b) for a, b in zip(layouts[0] + [None], other + [None]) if a != b)
            raise ConfigError(f"the MPI ranks hold different networks: rank 0 has {differ[0]}, rank {rank} has "
                              f"{differ[1]}; build the same network on every rank (one config, one seed)")


def broadcast_network(comm: Any, network: Any, bucket_bytes: int) -> None:
    """Rank 0's parameters, layer state, Generator state and optimizer/scheduler state, on every rank.

    Parameters and state arrays go in fused buffers; the Generator and optimizer states are small and
    go pickled. After a ``resume_from`` every rank has read the checkpoint; this makes them agree anyway.
    """
    arrays = [value for _, value in (*network.named_parameters(), *network.named_state())]
    contiguous = [np.ascontiguousarray(value) for value in arrays]
    fused = FusedBuffers(contiguous, bucket_bytes)
    for buffer in fused.pack(contiguous):
        comm.Bcast(buffer, root=0)
    fused.unpack(arrays)
    state = comm.bcast(network.rng.bit_generator.state, root=0)
    network.rng.bit_generator.state = state
    for component in (network.optimizer, network.scheduler):
        if component is not None and hasattr(component, "state_dict") and hasattr(component, "load_state_dict"):
            component_state = comm.bcast(component.state_dict() if comm.Get_rank() == 0 else None, root=0)
            if comm.Get_rank() != 0:
                component.load_state_dict(component_state)
