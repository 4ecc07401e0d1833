"""Archives of attachments (.zip) → their members, each read as a raw file of its own.

County sites bundle a list's attachments in a zip, as Windows' "compressed folder" writes it:
member names in the system code page (GBK, code page 936) without the UTF-8 flag, which the
ZIP format's default, CP437, turns into `╥┴╬ß╒≥…`. A name without the flag is therefore read as
UTF-8 when its bytes are valid UTF-8, else as GB18030 (GBK's superset), else as CP437.

Each member is written to a scratch folder under a name of the reader's own making (a number
and the member's suffix): a member's name is never a path on disk, so `../../etc/x`, `/abs` or
`C:\\x` cannot reach anywhere. Members are named `archive.zip/folder/member.pdf` in the tables.
An archive inside an archive is opened in turn, to `max_archive_depth` levels. The whole of an
archive (nested ones included) may hold at most `max_archive_members` members and unpack to at
most `max_archive_bytes`; one member may not unpack to more than `max_zip_ratio` times its
packed size (a decompression bomb). Declared sizes are checked before anything is unpacked, and
zipfile never inflates a member past its declared size; a member whose declared size is smaller
than its data (cut short there) fails its checksum and is rejected, as is a member whose
compressed data is corrupt: the archive's other members are still read.
"""

from __future__ import annotations

from dataclasses import dataclass
import errno
import hashlib
import os
from pathlib import Path
import re
import stat
import tempfile
import zipfile
import zlib

from pipeline.common.settings import ExtractSettings
from pipeline.common.sources import RejectedFile, display_name

UNPACK = "unpack it and put its files in the raw folder"
WITH_PASSWORD = "unpack it with its password and put its files in the raw folder"
_SUFFIX = re.compile(r"\.[a-z0-9]{1,8}$")
_ENCRYPTED = 0x1
_UTF8 = 0x800


@dataclass
class Budget:
    """What is left of one top-level archive's allowance (shared by the archives nested in it)."""

    members: int
    bytes: int


@dataclass(frozen=True)
class Member:
    """One member: its name in the tables, where its bytes were put (None when it is not read),
    and, for one that is not read, its status and the reason."""

    name: str
    path: Path | None
    sha256: str = ""
    status: str | None = None
    reason: str | None = None


def budget_for(settings: ExtractSettings) -> Budget:
    return Budget(settings.max_archive_members, settings.max_archive_bytes)


def member_name(info: zipfile.ZipInfo) -> str:
    """A member's name as its archiver meant it: UTF-8 when flagged; otherwise the raw bytes as
    UTF-8 if valid, else GB18030 (Windows' Chinese code page), else CP437 (zipfile's reading)."""
    if info.flag_bits & _UTF8:
        return info.orig_filename
    raw = info.orig_filename.encode("cp437")
    for enc in ("utf-8", "gb18030"):
        try:
            return raw.decode(enc)
        except UnicodeDecodeError:
            continue
    return info.orig_filename


def safe_parts(name: str) -> list[str]:
    """The folder and file names of a member name, without drive letters, root, `.` and `..`
    (shown, never used as a path)."""
    parts = [p for p in re.split(r"[/\\]+", name) if p not in ("", ".", "..")]
    if parts and re.fullmatch(r"[A-Za-z]:", parts[0]):
        parts = parts[1:]
    return parts


def unpack_zip(path: Path, shown: str, into: Path, settings: ExtractSettings, budget: Budget) -> list[Member]:
    """The members of the zip at PATH (named SHOWN in the tables), written under INTO; raises
    RejectedFile for an archive that is damaged, encrypted throughout, or over a budget."""
    try:
        z = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
        raise RejectedFile(f"damaged ZIP archive ({exc}); {UNPACK} if another tool can") from None
    with z:
        infos = [i for i in z.infolist() if not i.is_dir()]
        total = _check_archive(infos, settings, budget)
        budget.members -= len(infos)
        budget.bytes -= total
        out: list[Member] = []
        seen: set[str] = set()
        for info in infos:
            member = _member(z, info, shown, into, seen)
            if member is not None:
                out.append(member)
        return out


def _check_archive(infos: list[zipfile.ZipInfo], settings: ExtractSettings, budget: Budget) -> int:
    """The bytes the members unpack to, as declared; raises RejectedFile, before anything is
    unpacked, for an archive over the budget's members or bytes, a decompression bomb, or an
    archive whose every member is encrypted."""
    if len(infos) > budget.members:
        raise RejectedFile(
            f"ZIP archive with {len(infos)} members, over the limit of {budget.members} "
            f"(ExtractSettings.max_archive_members); {UNPACK}"
        )
    total = sum(i.file_size for i in infos)
    if total > budget.bytes:
        raise RejectedFile(
            f"ZIP archive that unpacks to {total / 1e6:.0f} MB, over the limit of "
            f"{budget.bytes / 1e6:.0f} MB (ExtractSettings.max_archive_bytes); {UNPACK}"
        )
    bomb = next(
        (
            i
            for i in infos
            if i.file_size > 1 << 20 and i.file_size > settings.max_zip_ratio * max(i.compress_size, 1)
        ),
        None,
    )
    if bomb is not None:
        raise RejectedFile(
            f"suspicious ZIP archive: a member of {bomb.compress_size / 1e6:.1f} MB unpacks to "
            f"{bomb.file_size / 1e6:.0f} MB (a decompression bomb?); not read"
        )
    encrypted = [i for i in infos if i.flag_bits & _ENCRYPTED]
    if encrypted and len(encrypted) == len(infos):
        raise RejectedFile(f"password-protected ZIP archive; {WITH_PASSWORD}")
    return total


def _member(
    z: zipfile.ZipFile, info: zipfile.ZipInfo, shown: str, into: Path, seen: set[str]
) -> Member | None:
    """One member of the archive: unpacked, or skipped or rejected with the reason (a second
    member of the same name, a symbolic link, an encrypted member); None for a hidden file or
    resource fork, left out like hidden files in the raw folder. `seen`: the names so far."""
    parts = safe_parts(member_name(info))
    if not parts or any(p.startswith(".") or p == "__MACOSX" for p in parts):
        return None  # resource forks and hidden files: skipped like hidden files in the raw folder
    name = display_name(f"{shown}/{'/'.join(parts)}")
    if name in seen:
        return Member(
            name,
            None,
            status="skipped",
            reason="a second member of the same name in the archive; the first is read",
        )
    seen.add(name)
    mode = info.external_attr >> 16
    if stat.S_ISLNK(mode):
        return Member(
            name,
            None,
            status="skipped",
            reason="a symbolic link inside the archive: not followed",
        )
    if info.flag_bits & _ENCRYPTED:
        reason = f"password-protected member of a ZIP archive; {WITH_PASSWORD}"
        return Member(name, None, status="rejected", reason=reason)
    return _unpack_member(z, info, name, parts[-1], into)


def _unpack_member(z: zipfile.ZipFile, info: zipfile.ZipInfo, name: str, leaf: str, into: Path) -> Member:
    """The member's bytes written to a scratch file of the reader's naming under INTO (the
    suffix of its name `leaf` kept), checked against its CRC; a damaged member is rejected with
    the reason and its scratch file removed."""
    suffix = _SUFFIX.search(leaf.lower())
    fd, scratch = tempfile.mkstemp(suffix=suffix.group(0) if suffix else "", dir=into)
    target = Path(scratch)
    h = hashlib.sha256()
    crc = 0
    try:
        with z.open(info) as src, os.fdopen(fd, "wb") as dst:
            for block in iter(lambda: src.read(1 << 20), b""):
                h.update(block)
                crc = zlib.crc32(block, crc)
                dst.write(block)
        if crc != info.CRC:  # zipfile stops at a declared size smaller than the data, unchecked
            raise zipfile.BadZipFile("Bad CRC-32")
    except (
        zipfile.BadZipFile,
        zlib.error,  # deflated data damaged: this member only, not the archive
        OSError,
        EOFError,
        NotImplementedError,
        RuntimeError,
    ) as exc:
        target.unlink(missing_ok=True)
        return Member(
            name,
            None,
            status="rejected",
            reason=f"damaged member of a ZIP archive ({_damage(exc, info)})",
        )
    return Member(name, target, h.hexdigest())


def _damage(exc: BaseException, info: zipfile.ZipInfo) -> str:
    """Why a member could not be unpacked, in words (zipfile's messages quote the member's raw
    name as CP437, e.g. `╕╜╝■1ú║…` for a GBK name)."""
    text = str(exc)
    if isinstance(exc, NotImplementedError):
        return "compression method not supported"
    if text.startswith("Bad CRC-32"):
        return "its bytes do not match their checksum: the archive is damaged"
    if text.startswith("File name in directory"):
        return "its name in the archive's directory differs from the one before its bytes"
    if isinstance(exc, zlib.error):
        return "its compressed data is corrupt"
    if isinstance(exc, OSError) and exc.errno == errno.EINVAL:
        return "its header points outside the archive"
    return (
        text.replace(repr(info.orig_filename), "").replace(info.orig_filename, "").strip()
        or type(exc).__name__
    )


def is_inside_saved_page(parts: list[str], siblings: set[str]) -> str | None:
    """The saved web page whose `X_files` (or `X.files`) folder holds a file, or None."""
    for i, folder in enumerate(parts[:-1]):
        m = re.fullmatch(r"(.+)[_.]files", folder, re.I)
        if not m:
            continue
        stem = m.group(1)
        prefix = "/".join(parts[:i])
        for ext in (".htm", ".html", ".shtml", ".mht", ".mhtml", ".xhtml"):
            page = f"{prefix}/{stem}{ext}" if prefix else f"{stem}{ext}"
            if page in siblings or page.lower() in {s.lower() for s in siblings}:
                return page
    return None


def unsupported_archive(head: bytes) -> str | None:
    """A line saying what to do with an archive format this project does not unpack, or None."""
    if head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return f"a 7-Zip archive (.7z) is not unpacked by this project: {UNPACK} (7-Zip: 7z x FILE)"
    if head.startswith(b"Rar!\x1a\x07"):
        return f"a RAR archive is not unpacked by this project: {UNPACK} (unrar x FILE, or 7-Zip)"
    for magic, kind in _COMPRESSED.items():
        if head.startswith(magic) and (magic != b"BZh" or head[3:4].isdigit()):
            return f"{kind} is not unpacked by this project: {UNPACK} (tar xf FILE, or 7-Zip)"
    if head[257:262] == b"ustar":
        return f"a tar archive is not unpacked by this project: {UNPACK} (tar xf FILE, or 7-Zip)"
    return None


_COMPRESSED = {
    b"\x1f\x8b": "a gzip-compressed file (.gz, .tgz)",
    b"BZh": "a bzip2-compressed file (.bz2)",
    b"\xfd7zXZ\x00": "an xz-compressed file (.xz)",
    b"MSCF": "a Windows cabinet archive (.cab)",
}
