"""Saving, loading and checkpointing networks: one zip file, a JSON header, ``.npy`` arrays, no pickle.

```python
net.save("model.nnfs")
net = Network.load("model.nnfs")
net.fit(x, y, epochs=10, callbacks=[ModelCheckpoint("ckpt/{epoch:03d}-{batch:05d}.nnfs",
        every_n_batches=100, keep_last=3)])
net.fit(x, y, epochs=10, resume_from="ckpt/")
```

The format, its limits and how it is checked are described in ``docs/file-format.md``. Every problem
with a file raises ``ModelFormatError`` (a missing pack raises its subclass
``MissingComponentError``, also a ``ComponentNotFoundError``).
"""

from nnfs_core.persistence._atomic import atomic_write
from nnfs_core.persistence._checkpoint import checkpoint_to_resume, latest_checkpoint, resume, save_checkpoint
from nnfs_core.persistence._errors import (
    LoadBudgetWarning,
    MissingComponentError,
    NameClashWarning,
    VersionMismatchWarning,
)
from nnfs_core.persistence._header import FORMAT_NAME, FORMAT_VERSION, Header
from nnfs_core.persistence._limits import DEFAULT_LIMITS, DTYPES, LoadLimits
from nnfs_core.persistence._model import load, load_weights, read_header, save, save_weights

__all__ = [
    "FORMAT_NAME",
    "FORMAT_VERSION",
    "DTYPES",
    "DEFAULT_LIMITS",
    "LoadLimits",
    "Header",
    "MissingComponentError",
    "VersionMismatchWarning",
    "NameClashWarning",
    "LoadBudgetWarning",
    "atomic_write",
    "save",
    "save_weights",
    "load",
    "load_weights",
    "read_header",
    "save_checkpoint",
    "resume",
    "latest_checkpoint",
    "checkpoint_to_resume",
]
