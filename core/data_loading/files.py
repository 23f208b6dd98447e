"""Reading data files: the problems found, the files as read (name and checksum), YAML and CSV."""

from __future__ import annotations

import csv
import hashlib
import io
from dataclasses import dataclass
from pathlib import Path

import yaml

FILE_NOT_FOUND = "file not found"
NOT_YAML = "not valid YAML: {error}"
NOT_UTF8 = "not UTF-8 text: {error}"
NOT_CSV = "not valid CSV: {error}"
BAD_HEADER = "the header must be {expected}, got {got}"
FIELD_COUNT = "has {got} fields, the header has {expected}"


class DataLoadError(Exception):
    """Data files that cannot be loaded; ``errors`` lists each problem with its file and item.

    Each loader names what it loads in ``heading`` (a subclass); nothing has been written when this is raised.
    """

    heading = "Data not loaded"

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__(f"{self.heading}:\n" + "\n".join(f"  {e}" for e in self.errors))


class Errors:
    """The problems found in data files, in the order found, each as ``<file>: <where>: <message>``."""

    def __init__(self):
        self.messages: list[str] = []

    def add(self, file: str, where: str, message: str):
        self.messages.append(f"{file}: {where}: {message}" if where else f"{file}: {message}")

    def __len__(self):
        return len(self.messages)

    def __bool__(self):
        return bool(self.messages)


@dataclass(frozen=True)
class DataFile:
    """One data file as read: its name (as shown to users, e.g. ``<folder>/<file>``), its SHA-256 and, when the
    file declares one, its own data version."""

    name: str
    sha256: str
    data_version: str = ""

    def __str__(self):
        version = f" (data version {self.data_version})" if self.data_version else ""
        return f"{self.name} sha256 {self.sha256}{version}"


def read_bytes(path: Path, name: str, errors: Errors) -> bytes | None:
    try:
        return Path(path).read_bytes()
    except FileNotFoundError:
        errors.add(name, "", FILE_NOT_FOUND)
    except OSError as exc:
        errors.add(name, "", str(exc))
    return None


class _StrictLoader(yaml.SafeLoader):
    """A safe YAML loader that refuses a mapping naming the same key twice (PyYAML keeps the last)."""


def _construct_mapping_strict(loader, node, deep=False):
    seen = set()
    for key_node, _value in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                "while reading a mapping", node.start_mark, f"found duplicate key {key!r}", key_node.start_mark
            )
        seen.add(key)
    return loader.construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_strict)


def read_yaml(path: Path, name: str, errors: Errors):
    """``(data, DataFile)``, or ``(None, None)`` when the file is missing or not valid YAML (reported).

    Read safely and strictly: a mapping naming a key twice is refused, and so is a date that does not exist.
    """
    raw = read_bytes(path, name, errors)
    if raw is None:
        return None, None
    try:
        data = yaml.load(raw.decode("utf-8"), Loader=_StrictLoader)  # noqa: S506 - a SafeLoader subclass
    except (yaml.YAMLError, UnicodeDecodeError, ValueError) as exc:  # ValueError: e.g. a date 2015-13-01
        errors.add(name, "", NOT_YAML.format(error=str(exc).replace("\n", " ")))
        return None, None
    return data, DataFile(name, hashlib.sha256(raw).hexdigest())


def read_csv(path: Path, name: str, columns: tuple[str, ...], errors: Errors):
    """``(DataFile, [(line, {column: text})])``, or ``(None, None)`` when the file cannot be read as a CSV file
    with exactly ``columns`` as its header (reported). A row with the wrong number of fields is reported and left
    out."""
    raw = read_bytes(path, name, errors)
    if raw is None:
        return None, None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        errors.add(name, "", NOT_UTF8.format(error=exc))
        return None, None
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    rows = []
    try:
        header = next(reader, None)
        if header is None or tuple(header) != tuple(columns):
            errors.add(name, "line 1", BAD_HEADER.format(expected=",".join(columns), got=",".join(header or [])))
            return None, None
        while True:
            line = reader.line_num + 1
            record = next(reader, None)
            if record is None:
                break
            if len(record) != len(columns):
                errors.add(name, f"line {line}", FIELD_COUNT.format(got=len(record), expected=len(columns)))
                continue
            rows.append((line, dict(zip(columns, record, strict=True))))
    except csv.Error as exc:
        errors.add(name, f"line {reader.line_num}", NOT_CSV.format(error=exc))
        return None, None
    return DataFile(name, hashlib.sha256(raw).hexdigest()), rows
