"""Reading zip archives (.docx, .qdpx) without trusting them.

A zip member's header declares its uncompressed size, but nothing obliges the data to match,
and a few hundred kilobytes of deflated zeros expand to gigabytes. ``SafeZip`` therefore

1. refuses an archive whose declared sizes break the limits (one member over
   ``MAX_MEMBER`` bytes, all members together over ``MAX_TOTAL``, a member more than
   ``MAX_RATIO`` times smaller compressed than uncompressed once it is over ``RATIO_FLOOR``),
   or that holds more than ``MAX_MEMBERS`` files, before decompressing anything; and
2. reads every member through a counting reader that stops as soon as the bytes actually
   produced pass the member's limit or the archive's running total, so a header that lies
   costs no more than the limit.

Every refusal and every damaged archive (bad zip, truncated data, CRC error, encrypted or
unsupported member) is a ``ValidationError`` naming the file.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from workweave.domain.errors import Problem, ValidationError

MiB = 1024 * 1024
MAX_MEMBER = 50 * MiB
MAX_TOTAL = 200 * MiB
MAX_RATIO = 100
RATIO_FLOOR = 1 * MiB  # small members may compress as well as they like
MAX_MEMBERS = 10_000
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class Limits:
    member: int = MAX_MEMBER
    total: int = MAX_TOTAL
    ratio: int = MAX_RATIO
    members: int = MAX_MEMBERS


DEFAULT = Limits()


class SafeZip:
    """A zip archive opened for reading within `limits` (see the module's notes)."""

    def __init__(
        self,
        source: str | Path | bytes | IO[bytes],
        name: str,
        limits: Limits = DEFAULT,
        kind: str = "zip archive",
    ) -> None:
        self.name = name
        self.limits = limits
        self.read_total = 0
        fh: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source  # type: ignore[assignment]
        try:
            self.z = zipfile.ZipFile(str(source) if isinstance(source, Path) else fh)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError) as exc:
            raise self._error(f"not a readable {kind} ({exc})") from None
        try:
            self.infos = [i for i in self.z.infolist() if not i.is_dir()]
        except Exception as exc:  # pragma: no cover - zipfile reads the directory on open
            raise self._error(f"not a readable {kind} ({exc})") from None
        self._check_declared()

    def _error(self, reason: str) -> ValidationError:
        return ValidationError(Problem(reason, self.name))

    def _check_declared(self) -> None:
        lim = self.limits
        if len(self.infos) > lim.members:
            raise self._error(f"the archive holds {len(self.infos)} files; at most {lim.members}")
        total = 0
        for info in self.infos:
            size = info.file_size
            if size > lim.member:
                raise self._error(
                    f"'{info.filename}' expands to {size / MiB:.0f} MiB; at most "
                    f"{lim.member / MiB:.0f} MiB per file are read (refused as a possible "
                    "decompression bomb)"
                )
            if size > RATIO_FLOOR and size > lim.ratio * max(info.compress_size, 1):
                raise self._error(
                    f"'{info.filename}' expands {size // max(info.compress_size, 1)} times "
                    f"(at most {lim.ratio}): refused as a possible decompression bomb"
                )
            total += size
        if total > lim.total:
            raise self._error(
                f"the archive expands to {total / MiB:.0f} MiB; at most {lim.total / MiB:.0f} MiB "
                "are read (refused as a possible decompression bomb)"
            )

    def names(self) -> list[str]:
        return [i.filename for i in self.infos]

    def read(self, member: str) -> bytes:
        """The bytes of one member, counted as they are produced."""
        try:
            info = self.z.getinfo(member)
        except KeyError:
            raise self._error(f"the archive has no '{member}'") from None
        cap = min(self.limits.member, max(self.limits.total - self.read_total, 0))
        out = bytearray()
        try:
            with self.z.open(info) as fh:
                while True:
                    chunk = fh.read(_CHUNK)
                    if not chunk:
                        break
                    out += chunk
                    if len(out) > cap:
                        raise self._error(
                            f"'{member}' expands past {cap / MiB:.0f} MiB (more than its "
                            "header says): refused as a possible decompression bomb"
                        )
        except ValidationError:
            raise
        except (
            zipfile.BadZipFile,
            zlib.error,
            EOFError,
            OSError,
            ValueError,
            NotImplementedError,
            RuntimeError,
        ) as exc:
            raise self._error(f"'{member}' cannot be read from the archive ({exc})") from None
        self.read_total += len(out)
        return bytes(out)

    def read_all(self) -> dict[str, bytes]:
        """Every member, within the limits."""
        return {i.filename: self.read(i.filename) for i in self.infos}

    def close(self) -> None:
        self.z.close()

    def __enter__(self) -> SafeZip:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def safe_copy(
    path: Path, name: str | None = None, limits: Limits = DEFAULT, kind: str = "zip archive"
) -> bytes:
    """A zip file rebuilt in memory from its members after each was read within the limits:
    what a library that opens the archive itself (python-docx) may be given safely."""
    with SafeZip(path, name or path.name, limits, kind) as z:
        members = z.read_all()
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_STORED) as out:
        for n, data in members.items():
            out.writestr(n, data)
    return buf.getvalue()


__all__ = ["DEFAULT", "MAX_MEMBER", "MAX_RATIO", "MAX_TOTAL", "Limits", "SafeZip", "safe_copy"]
