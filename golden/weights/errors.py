"""The one error type of the weights tools: what went wrong, in which file and tensor."""

from __future__ import annotations

__all__ = ["WeightsError", "ContainerError"]


class WeightsError(ValueError):
    """Bad input to the weights tools: printed as one line naming file and tensor.

    Members
    -------
    path : str or None
        The file at fault.
    tensor : str or None
        The tensor at fault, when there is one.
    reason : str
        What was wrong and what was expected.
    """

    def __init__(self, reason: str, path=None, tensor: str | None = None):
        self.path = None if path is None else str(path)
        self.tensor = tensor
        self.reason = " ".join(str(reason).split())  # always one line
        where = []
        if self.path is not None:
            where.append(self.path)
        if tensor is not None:
            where.append(f"tensor {tensor!r}")
        super().__init__(": ".join([*where, self.reason]))

    def at(self, path=None, tensor: str | None = None) -> WeightsError:
        """The same error with the file and tensor filled in where still unknown."""
        return type(self)(
            self.reason,
            self.path if self.path is not None else path,
            self.tensor if self.tensor is not None else tensor,
        )


class ContainerError(WeightsError):
    """A packed container that is corrupt, truncated or inconsistent."""
