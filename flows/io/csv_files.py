"""Reading CSV tables: encoding, delimiter and decimal comma guessed, parse errors located.

The file is streamed through :mod:`csv` in chunks of lines, so that a file beyond a limit of
:class:`~datasets.settings.InputLimits` (size, rows, columns, cell length) is refused as soon as
the limit is passed, with memory bounded by what was read until then. Rows are the physical line
on which a record starts (header = line 1, or 2 after Excel's ``sep=`` line), so a cell holding
line breaks does not shift the rows of the findings after it. Records are checked a batch at a
time with a few whole-batch tests (C speed), and only a batch that fails one (a control
character, a blank or short line, a long cell, the row limit) is gone through record by record.
"""

from __future__ import annotations

import codecs
import csv
import functools
import io
import itertools
import re
from collections import deque
from collections.abc import Iterator
from pathlib import Path

import pandas as pd

from datasets import settings
from datasets.errors import SymbioMapError
from datasets.settings import InputLimits
from flows._errors import CaseReadError
from flows.checks.checker import ROW, RawTable
from flows.frames import unescape_csv_text
from flows.validation import ValidationReport

_CSV_DELIMITERS = ",;\t"
_SNIFF_CHARS = 4096
_CHUNK_LINES = 512  # records checked at a time (memory: the row-limit test wants < 1 MiB)
_BLOCK_CHARS = 2**15  # characters read at a time
_MAX_SEEN = 4096  # distinct values remembered per column to share their strings
# A physical line as TextIOWrapper(newline="").readline() returns it: up to \r\n, \n or \r.
_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)")
_HEAD_BYTES = 256  # bytes looked at for a byte-order mark or UTF-16's NUL pattern

# UTF-32's little-endian mark starts with UTF-16's, so it is tried first.
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16"),
)

# Excel writes (and reads) a first line "sep=;" naming the delimiter; re-saving may repeat it.
_SEP_LINE = re.compile(r"^sep=(\t|[^\w\s\"'])\1*[ ]*\r?\n?$", re.IGNORECASE)

# C0 controls except tab, line feed and carriage return (legitimate inside a quoted cell), and
# DEL: what text pasted from a PDF carries. NUL in particular cuts names in C libraries.
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_NAMES = {0x00: "NUL", 0x0B: "vertical tab", 0x0C: "form feed", 0x1A: "SUB (Ctrl-Z)"}
_MAX_CONTROL_WARNINGS = 20
_MAX_FIELD_ERRORS = 10

# Fed to csv.reader after the last line: it comes back as a record of its own unless a quoted
# field is still open, the one thing the csv module does not report by itself.
_EOF = "\ue000symbiomap-end-of-file\ue000"

_PARSE_HINT = (
    "every row needs as many fields as the header; quote fields that contain the delimiter"
)


class _RefusedError(SymbioMapError, RuntimeError):
    """A limit was passed or the file cannot be parsed further; the finding is recorded."""


class _LineTooLongError(SymbioMapError, RuntimeError):
    def __init__(self, line: int) -> None:
        super().__init__(line)
        self.line = line


def _encoding(head: bytes) -> tuple[str, int, str | None]:
    """Codec, byte-order-mark length and the mark's name (None: no mark) of a file's start."""
    for bom, codec, name in _BOMS:
        if head.startswith(bom):
            return codec, len(bom), name
    return "utf-8", 0, None


def _utf16_without_bom(head: bytes) -> str | None:
    """``utf-16-le``/``utf-16-be`` when a file's first bytes look like UTF-16 without a mark,
    else None.

    Mostly-ASCII text in UTF-16 has a NUL as every other byte (the high byte of each
    character), on the odd positions in little-endian, the even ones in big-endian; no other
    text encoding a CSV comes in has that pattern. A few non-Latin characters may break it,
    hence 90 %, but the other half may hold no NUL at all (U+0000 is not text).
    """
    head = head[: len(head) - len(head) % 2]
    if len(head) < 4:  # two characters: a one-letter header and its line break
        return None
    even, odd = head[0::2], head[1::2]
    for zeros, text, codec in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros.count(0) >= 0.9 * len(zeros) and not text.count(0):
            return codec
    return None


class _Lines:
    """The physical lines handed to csv.reader, read a chunk at a time: capped in length, and
    kept until the records they form have been checked (to locate an unclosed quote).

    Iterating yields the lines through :func:`itertools.chain` (no Python code per line),
    then :data:`_EOF`; ``reader.line_num + offset`` is then the number of the last line the
    reader took.
    """

    def __init__(self, stream: io.TextIOBase, *, cap: int, offset: int) -> None:
        self.stream = stream
        self.cap = cap
        self.offset = offset
        self.count = offset  # lines read so far, ahead of the reader by up to a chunk
        self.chunks: deque[tuple[int, list[str]]] = deque()  # first line number, lines

    def __iter__(self) -> Iterator[str]:
        return itertools.chain.from_iterable(self._chunks())

    def _chunks(self) -> Iterator[list[str]]:
        # Blocks of text cut into lines by one regex, not a readline call per line; the part
        # after the last line break waits for the next block (a "\r" too: "\n" may follow).
        read, cap = self.stream.read, self.cap
        carry = ""
        while True:
            block = read(_BLOCK_CHARS)
            text = carry + block
            if not block:
                chunk, carry = ([text] if text else []), ""
            else:
                end = max(text.rfind("\n", 0, len(text)), text.rfind("\r", 0, len(text) - 1))
                chunk, carry = _LINE.findall(text, 0, end + 1), text[end + 1 :]
            too_long = len(carry) > cap or (chunk and max(map(len, chunk)) > cap)
            if too_long:
                index = next((i for i, line in enumerate(chunk) if len(line) > cap), len(chunk))
                chunk = chunk[:index]
            if chunk:
                self.chunks.append((self.count + 1, chunk))
                self.count += len(chunk)
                # The lines before a long one are still read (a limit they pass comes first).
                yield chunk
            if too_long:
                raise _LineTooLongError(self.count + 1)
            if not block:
                break
        yield [_EOF]

    def release(self, line: int) -> None:
        """Forget the chunks that end before ``line``."""
        chunks = self.chunks
        while len(chunks) > 1 and chunks[0][0] + len(chunks[0][1]) <= line:
            chunks.popleft()

    def between(self, first: int, last: int) -> list[str]:
        """Lines ``first`` to ``last`` (physical numbers), of those still kept."""
        lines: list[str] = []
        for start, chunk in self.chunks:
            lines.extend(chunk[max(0, first - start) : max(0, last - start + 1)])
        return lines


def _open_quote(lines: list[str], delimiter: str, first: int) -> tuple[int, int] | None:
    """Line and field index where the quote left open at the end of ``lines`` starts, following
    the csv module's rules (a quote opens a field only at its start; ``""`` is a quote)."""
    in_quote = False
    at_start = True
    where = (first, 0)
    field = 0
    for number, line in enumerate(lines, start=first):
        i = 0
        while i < len(line):
            char = line[i]
            if in_quote:
                if char == '"':
                    if line[i + 1 : i + 2] == '"':
                        i += 1
                    else:
                        in_quote = False
            elif char == '"' and at_start:
                in_quote = True
                where = (number, field)
            elif char == delimiter:
                field += 1
            elif char in "\r\n":
                field = 0
            at_start = not in_quote and char in (delimiter, "\r", "\n")
            i += 1
    return where if in_quote else None


def _control_names(value: str) -> str:
    codes = sorted({ord(c) for c in _CONTROL.findall(value)})
    return ", ".join(f"{_CONTROL_NAMES.get(c, 'control character')} (U+{c:04X})" for c in codes)


def _column_letters(position: int) -> str:
    letters = ""
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


class _Parser:
    """One pass over one CSV file in one encoding; findings go to ``report`` (a scratch report
    when the pass may be repeated in another encoding)."""

    def __init__(
        self,
        table: str,
        label: str,
        report: ValidationReport,
        limits: InputLimits,
        delimiter: str,
        *,
        store: bool = True,
    ) -> None:
        self.table = table
        self.store = store
        self.rows = 0
        self.refused = False
        self.label = label
        self.report = report
        self.limits = limits
        self.delimiter = delimiter
        self.header: list[str] | None = None
        self.header_line = 1
        self.keep: list[int] = []
        # Built as columns, not records: one list per column holds a million cells without
        # a million row lists for the garbage collector to walk.
        self.columns: list[list[str]] = []
        self.seen: list[dict[str, str]] = []
        self.starts: list[int] = []
        self.quoted = False  # whether a cell may start with the ' of safe_text_for_csv
        self.control_cells = 0
        self.field_errors = 0

    def add(
        self,
        code: str,
        message: str,
        hint: str,
        *,
        row: int | None = None,
        field: str | None = None,
    ) -> None:
        self.report.add(
            file=self.label,
            layer=self.table,
            severity="warning" if code.startswith("W_") else "error",
            code=code,
            message=message,
            hint=hint,
            row=row,
            field=field,
        )

    def refuse(
        self,
        code: str,
        message: str,
        limit: str,
        *,
        row: int | None = None,
        field: str | None = None,
    ) -> _RefusedError:
        """Record a refusal naming ``limit`` and how to raise it; raise the result."""
        self.add(code, message, settings.limit_hint(limit), row=row, field=field)
        self.refused = True
        return _RefusedError()

    # -- the pass ----------------------------------------------------------------------------

    def run(self, lines: _Lines) -> RawTable | None:
        """Parse every record; None when the table is refused or cannot be parsed."""
        reader = csv.reader(lines, delimiter=self.delimiter)
        offset = lines.offset
        done = offset  # lines the reader has taken
        batch: list[list[str]] = []
        starts: list[int] = []
        try:
            try:
                # The one loop per record: as little as possible in it.
                for record in reader:
                    if len(batch) >= _CHUNK_LINES:
                        self._batch(batch, starts)
                        lines.release(starts[-1])
                        batch, starts = [], []
                    batch.append(record)
                    starts.append(done + 1)
                    done = reader.line_num + offset
            except csv.Error as err:
                self._batch(batch, starts)
                self._csv_error(err, lines, done + 1, reader.line_num + offset)
                return None
            except _LineTooLongError as err:
                self._batch(batch, starts)
                raise self._line_too_long(err.line) from None
            # The last record holds _EOF: alone, or ending a quoted field left open.
            last, start = batch.pop(), starts.pop()
            self._batch(batch, starts)
            if last != [_EOF]:
                self._unclosed_quote(lines, start, done, len(last) - 1)
                return None
        except _RefusedError:
            return None
        return self._frame() if self.store else None

    def _batch(self, batch: list[list[str]], starts: list[int]) -> None:
        """Check and keep a batch of records: whole-batch tests first, record by record only
        when one of them fails."""
        if not batch:
            return
        width = len(self.header) if self.header is not None else -1
        joined = list(map("".join, batch))
        text = "".join(joined)
        if (
            self.header is None
            or self.rows + len(batch) > self.limits.max_rows
            or set(map(len, batch)) != {width}
            or not all(map(str.strip, joined))  # a blank record
            or max(map(len, joined)) > self.limits.max_cell_chars
            or _CONTROL.search(text)
        ):
            for record, start in zip(batch, starts, strict=True):
                self._record(record, start)
            return
        self.rows += len(batch)
        if self.store:
            self.quoted = self.quoted or "'" in text
            for column, seen, values in zip(
                self.columns, self.seen, zip(*batch, strict=True), strict=True
            ):
                # One string object per distinct value (units, directions, codes repeat on
                # every row), as pandas does; a column of mostly distinct values (names,
                # ids) forgets them instead of keeping a second copy of the column.
                column.extend(map(seen.setdefault, values, values))
                if len(seen) > _MAX_SEEN:
                    seen.clear()
            self.starts.extend(starts)

    def _record(self, record: list[str], start: int) -> None:
        joined = "".join(record)
        if _CONTROL.search(joined):
            record = self._clean(record, start)
            joined = "".join(record)
        if not joined.strip():
            return
        if self.header is None:
            self._set_header(record, start)
            return
        if len(joined) > self.limits.max_cell_chars:
            self._check_cells(record, start)
        width = len(self.header)
        if len(record) > width:
            extra = record[width:]
            if any(cell.strip() for cell in extra):
                self._too_many_fields(width, len(record), start, extra)
                return
            record = record[:width]
        elif len(record) < width:
            record = record + [""] * (width - len(record))
        if self.rows >= self.limits.max_rows:
            raise self.refuse(
                "E_TOO_MANY_ROWS",
                f"the table has more than {self.limits.max_rows:,} rows (line {start} starts "
                f"row {self.rows + 1:,}); it was not read",
                "max_rows",
            )
        self.rows += 1
        if self.store:
            self.quoted = self.quoted or "'" in joined
            for column, value in zip(self.columns, record, strict=True):
                column.append(value)
            self.starts.append(start)

    def _check_cells(self, record: list[str], start: int) -> None:
        longest = max(map(len, record), default=0)
        if longest <= self.limits.max_cell_chars:
            return
        index = next(i for i, cell in enumerate(record) if len(cell) == longest)
        raise self._cell_too_long(longest, start, index)

    def _cell_too_long(self, length: int | None, start: int, index: int | None) -> _RefusedError:
        field = self._name(index)
        # None: the csv module stopped at its own limit before the cell was complete.
        size = f"{length or csv.field_size_limit():,} characters"
        if length is None:
            size = f"more than {size}"
        return self.refuse(
            "E_CELL_TOO_LONG",
            f"a cell{f' of {field!r}' if field else ''} starting on line {start} holds {size}, "
            f"more than the limit of {self.limits.max_cell_chars:,} characters per cell; "
            "the table was not read (is a closing quote missing?)",
            "max_cell_chars",
            row=start,
            field=field,
        )

    def _name(self, index: int | None) -> str | None:
        if self.header is None or index is None or index >= len(self.header):
            return None
        return self.header[index]

    def _set_header(self, record: list[str], start: int) -> None:
        self.header_line = start
        self._check_cells(record, start)
        while record and not record[-1].strip():
            record = record[:-1]  # trailing delimiters after the last name
        if len(record) > self.limits.max_columns:
            raise self.refuse(
                "E_TOO_MANY_COLUMNS",
                f"the header has {len(record):,} columns, more than the limit of "
                f"{self.limits.max_columns:,} columns per table; the table was not read",
                "max_columns",
                row=start,
            )
        # A mark left inside the header (files pasted together) is not part of a name.
        names = [name.replace("\ufeff", "") for name in record]
        names = [name if name.strip() else f"Unnamed: {i}" for i, name in enumerate(names)]
        positions: dict[str, list[int]] = {}
        for i, name in enumerate(names):
            positions.setdefault(name.strip(), []).append(i)
        for name, where in positions.items():
            if len(where) > 1:
                self._duplicate(name, where, start)
        self.keep = [where[0] for where in positions.values()]
        self.header = names
        self.columns = [[] for _ in names]
        self.seen = [{} for _ in names]

    def _duplicate(self, name: str, where: list[int], start: int) -> None:
        numbers = [f"{i + 1} ({_column_letters(i + 1)})" for i in where]
        listed = ", ".join(numbers[:-1]) + f" and {numbers[-1]}"
        self.add(
            "E_DUPLICATE_COLUMN",
            f"the header names column {name!r} {len(where)} times: columns {listed}",
            f"rename or delete the repeated column; only column {where[0] + 1} was read",
            row=start,
            field=name,
        )

    def _clean(self, record: list[str], start: int) -> list[str]:
        cleaned = [_CONTROL.sub("", cell) for cell in record]
        if not any(cell.strip() for cell in cleaned):
            return cleaned  # a blank line with a stray Ctrl-Z: nothing worth a warning
        for i, (before, after) in enumerate(zip(record, cleaned, strict=True)):
            if before == after:
                continue
            self.control_cells += 1
            if self.control_cells > _MAX_CONTROL_WARNINGS:
                continue
            field = self._name(i) if self.header is not None else after
            self.add(
                "W_CONTROL_CHARACTER",
                f"{'the header' if self.header is None else 'the value'} {after!r} held "
                f"{_control_names(before)}, typical of text pasted from a PDF; "
                "the characters were removed",
                "check the value and retype it if it was cut; paste text as plain text",
                row=start,
                field=field,
            )
        return cleaned

    def _too_many_fields(self, width: int, count: int, start: int, extra: list[str]) -> None:
        self.field_errors += 1
        if self.field_errors <= _MAX_FIELD_ERRORS:
            shown = ", ".join(repr(c) for c in extra[:3]) + (", ..." if len(extra) > 3 else "")
            self.add(
                "E_CSV_PARSE",
                f"the CSV cannot be parsed: Expected {width} fields in line {start}, saw "
                f"{count} (more than the header; extra: {shown})",
                _PARSE_HINT,
                row=start,
            )

    def _frame(self) -> RawTable | None:
        if self.field_errors:
            if self.field_errors > _MAX_FIELD_ERRORS:
                self.add(
                    "E_CSV_PARSE",
                    f"{self.field_errors - _MAX_FIELD_ERRORS} more lines have more fields "
                    "than the header",
                    _PARSE_HINT,
                )
            return None
        if self.header is None:
            self.add(
                "E_EMPTY_FILE", "the file is empty", f"give {self.table} a header row and data rows"
            )
            return None
        if self.control_cells > _MAX_CONTROL_WARNINGS:
            self.add(
                "W_CONTROL_CHARACTER",
                f"{self.control_cells - _MAX_CONTROL_WARNINGS} more cells held control "
                "characters; they were removed",
                "paste text as plain text",
            )
        # Built by position: a repeated name is dropped here, not mangled into "name.1";
        # unnamed columns that hold nothing are trailing delimiters, not data.
        header = self.header
        keep = [
            i
            for i in self.keep
            if not header[i].startswith("Unnamed: ") or any(map(str.strip, self.columns[i]))
        ]
        frame = pd.DataFrame(
            {position: self.columns[i] for position, i in enumerate(keep)}, dtype=object
        )
        frame.columns = pd.Index([header[i] for i in keep], dtype=object)
        self.columns, self.seen = [], []
        if self.quoted:
            # SymbioMap's own CSV writers put a ' before text that would run as a formula in
            # a spreadsheet (flows.frames.safe_text_for_csv): reading takes it off again.
            frame = frame.apply(unescape_csv_text)
        frame[ROW] = self.starts
        frame = frame.reset_index(drop=True)
        return RawTable(
            self.table, self.label, self.table, frame, decimal_comma=self.delimiter == ";"
        )

    # -- records that cannot be read -----------------------------------------------------------

    def _csv_error(self, err: csv.Error, lines: _Lines, start: int, done: int) -> None:
        text = str(err)
        if "field larger than field limit" in text:
            pending = lines.between(start, done)
            opened = _open_quote(pending, self.delimiter, start)
            if opened is not None and opened[0] < done:
                line, index = opened
                self.add(
                    "E_CSV_PARSE",
                    f"the CSV cannot be parsed: the quoted field{self._of(index)} that starts "
                    f"on line {line} is not closed before line {done} and holds more "
                    f"than {csv.field_size_limit():,} characters",
                    "add the missing closing quote (\") after the field's text",
                    row=line,
                    field=self._name(index),
                )
                return
            position = opened[1] if opened else None
            if position is None:  # an unquoted cell: the first field that is too long
                parts = "".join(pending).split(self.delimiter)
                position = next(
                    (i for i, part in enumerate(parts) if len(part) > self.limits.max_cell_chars),
                    None,
                )
            self._cell_too_long(None, start, position)
            return
        self.add("E_CSV_PARSE", f"the CSV cannot be parsed: {text}", _PARSE_HINT, row=start)

    def _of(self, index: int) -> str:
        name = self._name(index)
        return f" of {name!r}" if name else ""

    def _unclosed_quote(self, lines: _Lines, start: int, done: int, last: int) -> None:
        # The lines the open field took, without the _EOF line the reader took last.
        opened = _open_quote(lines.between(start, done - 1), self.delimiter, start)
        line, index = opened if opened is not None else (start, last)
        self.add(
            "E_CSV_PARSE",
            f"the CSV cannot be parsed: the quoted field{self._of(index)} that starts on line "
            f"{line} is never closed, so everything after it would be one cell",
            "add the missing closing quote (\") after the field's text, or remove the opening one",
            row=line,
            field=self._name(index),
        )

    def _line_too_long(self, line: int) -> _RefusedError:
        return self.refuse(
            "E_CELL_TOO_LONG",
            f"line {line} holds more than {_line_cap(self.limits):,} characters, more than "
            f"{self.limits.max_columns:,} columns (max_columns) of "
            f"{self.limits.max_cell_chars:,} characters (max_cell_chars) each; the table was "
            "not read",
            "max_cell_chars",
            row=line,
        )


def _line_cap(limits: InputLimits) -> int:
    return (limits.max_cell_chars + 1) * limits.max_columns + 2


def _sniff(head: str) -> str:
    try:
        return csv.Sniffer().sniff(head, delimiters=_CSV_DELIMITERS).delimiter
    except csv.Error:
        return ","


def _one_pass(
    path: Path,
    *,
    codec: str,
    skip: int,
    errors: str,
    table: str,
    label: str,
    report: ValidationReport,
    limits: InputLimits,
    store: bool = True,
) -> tuple[RawTable | None, bool]:
    """Read the file once in ``codec``: the table (None if refused or unparseable) and whether
    a limit refused it. ``store=False`` only counts rows. Raises UnicodeDecodeError when
    ``errors`` is strict and the file is not in that encoding."""
    # The csv module refuses fields beyond its own limit (131,072 characters) before ours;
    # raise it for this pass when a caller allows longer cells. It is process-wide, hence put
    # back at once.
    default_limit = csv.field_size_limit()
    if limits.max_cell_chars >= default_limit:
        csv.field_size_limit(limits.max_cell_chars + 1)
    try:
        with path.open("rb") as raw:
            raw.seek(skip)
            stream = io.TextIOWrapper(raw, encoding=codec, errors=errors, newline="")
            cap = _line_cap(limits)
            first = stream.readline(cap + 1)
            offset = 0
            if match := _SEP_LINE.match(first):
                delimiter, offset = match.group(1), 1
            else:
                head = first + stream.read(max(0, _SNIFF_CHARS - len(first)))
                delimiter = _sniff(head[:_SNIFF_CHARS])
                stream.detach()  # so that dropping the sniffing wrapper does not close the file
                raw.seek(skip)
                stream = io.TextIOWrapper(raw, encoding=codec, errors=errors, newline="")
            lines = _Lines(stream, cap=cap, offset=offset)
            parser = _Parser(table, label, report, limits, delimiter, store=store)
            return parser.run(lines), parser.refused
    finally:
        csv.field_size_limit(default_limit)


def _may_exceed_rows(path: Path, codec: str, limits: InputLimits) -> bool:
    """Whether the file has more line breaks than the row limit allows (a cheap upper bound on
    its rows: a misaligned match in UTF-16 only counts one more)."""
    newline = "\n".encode(codec)
    count = 0
    with path.open("rb") as fh:
        while chunk := fh.read(2**18):
            count += chunk.count(newline)
            if count > limits.max_rows + 2:  # header and Excel's sep line
                return True
    return False


def read_csv(
    path: Path,
    table: str,
    label: str,
    report: ValidationReport,
    *,
    limits: InputLimits | None = None,
) -> RawTable | None:
    """Read one CSV table as text; None (with an error) when it is refused or unparseable.

    Parameters
    ----------
    path
        The CSV file.
    table
        Which table of the case it holds.
    label
        The file's name in findings.
    report
        Where findings go.
    limits
        Bounds on size, rows, columns and cell length (default ``settings.get().limits``).

    Raises
    ------
    CaseReadError
        If the file cannot be opened at all.
    """
    limits = limits or settings.get().limits
    try:
        size = path.stat().st_size
        if size > limits.max_uncompressed_bytes:
            report.add(
                file=label,
                layer=table,
                severity="error",
                code="E_FILE_TOO_LARGE",
                message=f"the file holds {size:,} bytes, more than the limit of "
                f"{limits.max_uncompressed_bytes:,} bytes "
                f"({limits.max_uncompressed_bytes / 2**20:g} MB); it was not read",
                hint=settings.limit_hint("max_uncompressed_bytes"),
            )
            return None
        with path.open("rb") as fh:
            head = fh.read(_HEAD_BYTES)
        codec, skip, bom = _encoding(head)
        # What some tools write: UTF-16 with no mark, which would read as Windows-1252 with
        # a NUL between letters. From here on it is treated as if it had the mark.
        unmarked = None if bom is not None else _utf16_without_bom(head)
        if unmarked is not None:
            codec, bom = unmarked, "UTF-16"

        def attempt(codec: str, errors: str, scratch: ValidationReport) -> RawTable | None:
            once = functools.partial(
                _one_pass,
                path,
                codec=codec,
                skip=skip,
                errors=errors,
                table=table,
                label=label,
                limits=limits,
            )
            if _may_exceed_rows(path, codec, limits):
                # Count first, keeping nothing: a table beyond max_rows is refused without
                # holding a million rows in memory. Line breaks inside cells make this only
                # a suspicion, so a count that passes is followed by the real reading.
                probe = ValidationReport()
                if once(report=probe, store=False)[1]:
                    scratch.extend(probe.findings)
                    return None
            return once(report=scratch)[0]

        # Findings of a pass are kept apart until the pass is known to be the one that counts.
        def note(scratch: ValidationReport) -> ValidationReport:
            if unmarked is not None:
                order = "little" if unmarked.endswith("le") else "big"
                scratch.add(
                    file=label,
                    layer=None,
                    severity="info",
                    code="I_ENCODING",
                    message=f"the file has no byte-order mark but its bytes are those of "
                    f"UTF-16 ({order}-endian); it was read as UTF-16 without a mark",
                    hint="nothing to do; saving it as 'CSV UTF-8' makes it readable everywhere",
                )
            return scratch

        scratch = note(ValidationReport())
        try:
            result = attempt(codec, "strict", scratch)
        except UnicodeDecodeError:
            scratch = note(ValidationReport())
            if bom is None:
                codec, message, hint = (
                    "cp1252",
                    "the file is not UTF-8; it was read as Windows-1252",
                    "save the CSV as 'CSV UTF-8' so that names with accents survive",
                )
            else:
                start = (
                    "the file looks like UTF-16 without a byte-order mark"
                    if unmarked is not None
                    else f"the file starts with a {bom} byte-order mark"
                )
                message = (
                    f"{start} but is not valid {bom}; "
                    "characters that could not be read were replaced by '\ufffd'"
                )
                hint = "save the file again from the program that made it, as 'CSV UTF-8'"
            scratch.add(
                file=label,
                layer=None,
                severity="warning",
                code="W_ENCODING",
                message=message,
                hint=hint,
            )
            result = attempt(codec, "replace", scratch)
    except OSError as err:
        msg = f"{label}: the file cannot be read ({err.strerror or err})"
        raise CaseReadError(msg) from err
    report.extend(scratch.findings)
    return result
