"""``manifest.json`` of a vectors directory: parameters, counts, tool and file hashes.

No timestamp and sorted keys, so the same arguments give the same bytes.
"""

from __future__ import annotations

import hashlib
import json

from .spec import FORMAT_VERSION, MANIFEST

__all__ = ["MANIFEST", "digest", "manifest_bytes", "tool_version"]


def tool_version() -> str:
    """Version of the installed tritpack distribution (``unknown`` if not installed)."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tritpack")
    except PackageNotFoundError:
        return "unknown"


def digest(data: bytes) -> dict:
    """The manifest entry of a file's contents: size and SHA-256."""
    return {"bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}


def manifest_bytes(parameters: dict, counts: dict, files: dict) -> bytes:
    """The manifest of a directory.

    Parameters
    ----------
    parameters, counts : dict
        Every option (resolved) and the counts of lines, transfers, invalid codes.
    files : dict of str to dict
        Name -> :func:`digest` of every other file.
    """
    doc = {
        "format_version": FORMAT_VERSION,
        "tool": {"name": "tritpack", "version": tool_version()},
        "parameters": parameters,
        "counts": counts,
        "files": dict(sorted(files.items())),
    }
    return (json.dumps(doc, indent=2, sort_keys=True) + "\n").encode("ascii")
