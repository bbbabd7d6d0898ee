"""The one way the app reads a file the user (or $PLAYGROUND_DATA_DIR) points at.

Every reader here:
- opens without blocking and refuses what is not a regular file (a FIFO would block open() and
  read() forever, /dev/zero never ends), before reading a byte;
- caps sizes before it reads or allocates: the file's bytes, a gzip stream's output (streamed,
  never inflated whole), every .npz member by the shape its header declares, and their total;
- raises the caller's own error class (a ValueError subclass such as CheckpointError or
  WordListError) with one sentence for the user, never a bare OSError or zipfile error.

    raw = read_bytes(path, 16 * MB, error=WordListError)
    arrays = read_npz(path, error=CheckpointError)
"""
from __future__ import annotations

import os
import stat
import zipfile
import zlib
from pathlib import Path

import numpy as np

MB = 1 << 20
MAX_NPZ_FILE = 512 * MB  # a weights file on disk
MAX_NPZ_TOTAL = 256 * MB  # all arrays of one .npz as their headers declare them (64M floats)
MAX_NPZ_MEMBERS = 10_000  # arrays in one .npz (the largest shipped file has 266)
NPY_KINDS = "biufcUS"  # numbers, booleans and text; never objects or raw void records
_CHUNK = 1 << 20


def describe(path) -> str:
    """The file's name as messages show it."""
    return Path(path).name or str(path)


def open_regular(path, error=ValueError, max_bytes: int | None = None):
    """A binary file object for `path`, opened without blocking; raises `error` for a missing
    file, a folder, a FIFO, a device or socket, or (with max_bytes) a file larger than that."""
    name = describe(path)
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)  # O_NONBLOCK: a FIFO with no writer opens at once, not never
    except FileNotFoundError:
        raise error(f"Cannot read {name}: no such file.") from None
    except IsADirectoryError:
        raise error(f"Cannot read {name}: it is a folder, not a file.") from None
    except OSError as e:
        raise error(f"Cannot open {name}: {e.strerror or e}.") from None
    try:
        info = os.fstat(fd)  # of what was opened, so a swap after a check cannot slip through
        if stat.S_ISDIR(info.st_mode):
            raise error(f"Cannot read {name}: it is a folder, not a file.")
        if not stat.S_ISREG(info.st_mode):
            raise error(f"Cannot read {name}: it is not a regular file (a pipe, device or "
                        "socket); only ordinary files can be opened.")
        if max_bytes is not None and info.st_size > max_bytes:
            raise error(f"{name} is {_size(info.st_size)}; the limit here is {_size(max_bytes)}.")
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def read_bytes(path, max_bytes: int, error=ValueError) -> bytes:
    """The whole file, refused (with `error`) when it is or grows beyond max_bytes."""
    with open_regular(path, error, max_bytes) as f:
        try:
            raw = f.read(max_bytes + 1)
        except OSError as e:
            raise error(f"Cannot read {describe(path)}: {e.strerror or e}.") from None
    if len(raw) > max_bytes:  # it grew while we read
        raise error(f"{describe(path)} is larger than {_size(max_bytes)}.")
    return raw


def gunzip_limited(raw: bytes, max_bytes: int, error=ValueError, name: str = "the file") -> bytes:
    """Decompress gzip data chunk by chunk, stopping with `error` as soon as the output would pass
    max_bytes (a gzip bomb costs at most max_bytes of memory, never its claimed size)."""
    out, total = [], 0
    d = zlib.decompressobj(16 + zlib.MAX_WBITS)  # 16+: a gzip header and trailer
    data = raw
    try:
        while data:
            piece = d.decompress(data, _CHUNK)
            total += len(piece)
            if total > max_bytes:
                raise error(f"{name} unpacks to more than {_size(max_bytes)}; the limit here.")
            out.append(piece)
            data = d.unconsumed_tail
            if d.eof and d.unused_data:  # a second gzip member: unusual here, refuse it
                raise error(f"{name} holds more than one gzip stream.")
        if not d.eof:
            raise error(f"{name} is a truncated gzip file.")
    except zlib.error as e:
        raise error(f"{name} is a damaged gzip file ({e}).") from None
    return b"".join(out)


def read_gzip(path, max_bytes: int, max_file_bytes: int | None = None, error=ValueError) -> bytes:
    """A gzip file's contents (or a plain file's, when it does not start like gzip), capped.
    The file itself may be a little larger than max_bytes: gzip adds a header to data it
    cannot shrink."""
    raw = read_bytes(path, max_file_bytes or max_bytes + max_bytes // 100 + 1024, error)
    if len(raw) > max_bytes and raw[:2] != b"\x1f\x8b":
        raise error(f"{describe(path)} is {_size(len(raw))}; the limit here is {_size(max_bytes)}.")
    if raw[:2] != b"\x1f\x8b":
        return raw
    return gunzip_limited(raw, max_bytes, error, describe(path))


def read_npz(path, error=ValueError, max_file: int = MAX_NPZ_FILE, max_total: int = MAX_NPZ_TOTAL,
             max_members: int = MAX_NPZ_MEMBERS) -> dict[str, np.ndarray]:
    """The arrays of an .npz, each checked from its .npy header (kind, shape) before any memory
    is set aside for it. Raises `error` for anything that is not a sound .npz within the caps."""
    name = describe(path)
    try:
        with open_regular(path, error, max_file) as raw, zipfile.ZipFile(raw) as z:
            members = z.infolist()
            if len(members) > max_members:
                raise error(f"{name} holds {len(members):,} arrays; the limit is {max_members:,}.")
            arrays, total = {}, 0
            for info in members:
                key = info.filename[:-4] if info.filename.endswith(".npy") else None
                if not key or key in arrays:
                    raise error(f"{name} is not a NumPy .npz file (member {info.filename[:40]!r}).")
                with z.open(info) as f:
                    shape, dtype, fortran = _npy_header(f, name, error)
                    nbytes = int(np.prod(shape, dtype=object)) * dtype.itemsize
                    total += nbytes
                    if total > max_total:
                        raise error(f"{name} declares arrays of more than {_size(max_total)} "
                                    f"({key}: shape {shape}); the limit here.")
                    if nbytes > info.file_size:  # the zip itself says the data is not there
                        raise error(f"{name} is damaged: {key} declares shape {shape}, more "
                                    "than the file holds.")
                    arrays[key] = _npy_data(f, shape, dtype, fortran, name, error)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, zlib.error, EOFError, KeyError,
            NotImplementedError, RuntimeError, OSError, ValueError, OverflowError) as e:
        if isinstance(e, error):
            raise
        raise error(f"{name} is not a readable .npz file ({type(e).__name__}).") from None
    return arrays


def _npy_header(f, name, error):
    """(shape, dtype, fortran_order) from the start of an .npy stream, checked."""
    version = np.lib.format.read_magic(f)
    if version == (1, 0):
        shape, fortran, dtype = np.lib.format.read_array_header_1_0(f)
    elif version in ((2, 0), (3, 0)):
        shape, fortran, dtype = np.lib.format.read_array_header_2_0(f)
    else:
        raise error(f"{name} has an array in an unknown .npy version {version}.")
    if dtype.kind not in NPY_KINDS or dtype.hasobject or dtype.fields is not None:
        raise error(f"{name} holds an array of type {dtype}, which a weights file never has.")
    if not all(isinstance(n, int) and n >= 0 for n in shape):
        raise error(f"{name} declares an impossible array shape {shape}.")
    return tuple(shape), dtype, fortran


def _npy_data(f, shape, dtype, fortran, name, error) -> np.ndarray:
    """Exactly the declared bytes, read in chunks: memory grows with the data that really comes
    (a header promising more than the stream holds costs nothing), and a short member is an
    error."""
    nbytes = int(np.prod(shape, dtype=np.int64)) * dtype.itemsize
    buf = bytearray()
    while len(buf) < nbytes:
        piece = f.read(min(_CHUNK, nbytes - len(buf)))
        if not piece:
            raise error(f"{name} is truncated: an array has fewer bytes than its header says.")
        buf += piece
    array = np.frombuffer(buf, dtype=dtype)
    return array.reshape(shape, order="F" if fortran else "C")


def _size(n: int) -> str:
    return f"{n / MB:,.0f} MB" if n >= MB else f"{n:,} bytes"
