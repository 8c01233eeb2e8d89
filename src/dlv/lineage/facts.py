"""What a lineage answer shows of each node, held in memory beside the index.

Reading the facts of 10,000 nodes scattered over a million-row table cost 50-100 ms per
answer, 50 times the traversal itself; from memory it is a few milliseconds. Kept current
like the index, through the change log (see ``live``): a database trigger logs a ``node~``
change whenever one of these facts changes, whoever wrote it.

Laid out for a cold cache: an answer touches 10,000 nodes at random, so what costs is the
number of scattered memory reads per node, not the instructions. Hence arrays, not an object
per node: ids as 36-byte strings in one numpy array; kind, namespace, owners and status as
int32 codes into one table of distinct strings (few: they repeat on every node); names in a
list; status messages (rare) in a dict. About 140 bytes per node, and picking 10,000 of them
is a handful of numpy gathers. Database pks start at 1: slot 0 stays empty, so the index's
"no node" (-1) can be read as pk 0. Pure: no I/O; ``live`` loads and refreshes it.
"""

from __future__ import annotations

import itertools
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter
from typing import Any, cast

import numpy as np
import numpy.typing as npt
import orjson

# The facts of a node, in the order ``set`` takes them; ``id`` as the canonical UUID string;
# ``owners`` as the JSON text of the list (few distinct lists: coded like the others, and
# read as a list once per distinct text).
FIELDS = ("id", "kind", "namespace", "name", "owners", "status", "status_message")
Row = Sequence[Any]

_CODED = ("kind", "namespace", "owners", "status")  # columns of ``_codes``, in this order
_ID_WIDTH = 36
LOAD_CHUNK = 50_000
PkArray = npt.NDArray[np.integer[Any]]


@dataclass(frozen=True)
class Picked:
    """The facts of some nodes, one list per field, aligned with the pks asked for."""

    ids: list[str]  # "" where not held
    kinds: list[str | None]
    namespaces: list[str | None]
    names: list[str | None]
    owners: list[list[str]]
    statuses: list[str | None]
    messages: list[str | None]


class NodeFacts:
    """Node pk -> the facts of FIELDS.  Unknown pks (never loaded, or removed) read as empty."""

    def __init__(self, capacity: int = 0) -> None:
        capacity = max(capacity, 1)  # slot 0: no node
        self._ids = np.zeros(capacity, dtype=f"S{_ID_WIDTH}")
        self._codes = np.zeros((capacity, len(_CODED)), dtype=np.int32)
        self._names: list[str | None] = [None] * capacity
        self._messages: dict[int, str] = {}
        self._table: list[str | None] = [None]  # code 0 is None
        self._table_array: npt.NDArray[np.object_] | None = None  # _table for numpy gathers
        self._code_of: dict[str, int] = {}
        self._owner_lists: dict[str, list[str]] = {}  # owners text -> the list, shared
        self._count = 0
        self._name_bytes = 0  # sys.getsizeof of every name held

    def __len__(self) -> int:
        return self._count

    @property
    def capacity(self) -> int:
        return len(self._names)

    def nbytes(self) -> int:
        """Memory held, approximately: the arrays, the name list and its strings, the
        messages; shared strings are counted once."""
        strings = sum(sys.getsizeof(t) for t in self._table)
        messages = sys.getsizeof(self._messages) + sum(
            sys.getsizeof(m) for m in self._messages.values()
        )
        names = sys.getsizeof(self._names) + self._name_bytes
        return int(self._ids.nbytes + self._codes.nbytes) + names + strings + messages

    def set(self, pk: int, row: Row) -> None:
        """Store (or replace) one node's facts."""
        if pk < 1:
            raise ValueError(f"node pk must be >= 1, got {pk}")
        values = dict(zip(FIELDS, row, strict=True))
        node_id = str(values["id"]).encode("ascii")
        if len(node_id) != _ID_WIDTH:
            raise ValueError(f"node id must be a {_ID_WIDTH}-character UUID, got {node_id!r}")
        self._grow(pk + 1)
        if not self._ids[pk]:
            self._count += 1
        self._ids[pk] = node_id
        self._codes[pk] = [self._code(values[field]) for field in _CODED]
        self._set_name(pk, values["name"])
        message = values["status_message"]
        if message is None:
            self._messages.pop(pk, None)
        else:
            self._messages[pk] = message

    def set_many(self, rows: Iterable[tuple[int, Row]]) -> None:
        for pk, row in rows:
            self.set(pk, row)

    @classmethod
    def load(cls, rows: Iterable[Sequence[Any]], capacity: int) -> NodeFacts:
        """Facts from ``(pk, *FIELDS)`` rows of distinct pks below ``capacity``, in bulk
        (a million rows in a few seconds; ``set`` per row would take several times longer)."""
        facts = cls(capacity)
        code = facts._code
        chunk: list[Sequence[Any]] = []
        for row in itertools.chain(rows, [None]):
            if row is not None:
                chunk.append(row)
                if len(chunk) < LOAD_CHUNK:
                    continue
            if not chunk:
                break
            pks = np.fromiter((r[0] for r in chunk), dtype=np.int64, count=len(chunk))
            if pks.min() < 1 or pks.max() >= facts.capacity:
                raise ValueError("node pks must be >= 1 and below the capacity")
            facts._ids[pks] = [r[1] for r in chunk]
            facts._codes[pks] = [(code(r[2]), code(r[3]), code(r[5]), code(r[6])) for r in chunk]
            for r in chunk:
                facts._set_name(r[0], r[4])
                if r[7] is not None:
                    facts._messages[r[0]] = r[7]
            facts._count += len(chunk)
            chunk = []
        return facts

    def remove(self, pk: int) -> None:
        """Forget a node; reading its pk gives an empty id (also beyond what was held)."""
        if pk < 1:
            return
        self._grow(pk + 1)
        if self._ids[pk]:
            self._count -= 1
        self._ids[pk] = b""
        self._codes[pk] = 0
        self._set_name(pk, None)
        self._messages.pop(pk, None)

    def missing(self, pks: PkArray) -> list[int]:
        """The pks among these whose facts are not held."""
        inside = (pks > 0) & (pks < self.capacity)
        held = np.zeros(pks.shape, dtype=bool)
        held[inside] = self._ids[pks[inside]] != b""
        return cast(list[int], pks[~held].tolist())

    def pick(self, pks: PkArray) -> Picked:
        """The facts of these pks (each must be below ``capacity``)."""
        if not pks.size:
            return Picked([], [], [], [], [], [], [])
        if self._table_array is None:
            self._table_array = np.array(self._table, dtype=object)
        strings = self._table_array[self._codes[pks]].T  # (4, n) of shared str objects
        kinds, namespaces, owners, statuses = (cast(list[str | None], c.tolist()) for c in strings)
        pk_list: list[int] = pks.tolist()
        messages = self._messages
        return Picked(
            ids=self.ids(pks),
            kinds=kinds,
            namespaces=namespaces,
            names=list(_gather(pk_list, self._names)),
            owners=[self._owner_list(o) for o in owners],
            statuses=statuses,
            messages=[messages.get(pk) for pk in pk_list] if messages else [None] * len(pk_list),
        )

    def ids(self, pks: PkArray) -> list[str]:
        """The ids of these pks: "" for -1 (no node) and for pks not held."""
        slots = np.where((pks > 0) & (pks < self.capacity), pks, 0)  # slot 0 is always empty
        return cast(list[str], self._ids[slots].astype(f"U{_ID_WIDTH}").tolist())

    def _owner_list(self, text: str | None) -> list[str]:
        if text is None:
            return []
        found = self._owner_lists.get(text)
        if found is None:
            found = self._owner_lists[text] = [str(o) for o in orjson.loads(text)]
        return found

    def _set_name(self, pk: int, name: str | None) -> None:
        old = self._names[pk]
        if old is not None:
            self._name_bytes -= sys.getsizeof(old)
        if name is not None:
            self._name_bytes += sys.getsizeof(name)
        self._names[pk] = name

    def _code(self, value: str | None) -> int:
        if value is None:
            return 0
        code = self._code_of.get(value)
        if code is None:
            code = self._code_of[value] = len(self._table)
            self._table.append(value)
            self._table_array = None
        return code

    def _grow(self, size: int) -> None:
        current = self.capacity
        if size <= current:
            return
        # Amortised: grow by at least a quarter so a stream of new nodes is not quadratic.
        size = max(size, current + current // 4 + 16)
        self._ids = np.concatenate([self._ids, np.zeros(size - current, dtype=self._ids.dtype)])
        extra = np.zeros((size - current, len(_CODED)), dtype=np.int32)
        self._codes = np.concatenate([self._codes, extra])
        self._names.extend([None] * (size - current))


def _gather(pks: Sequence[int], column: list[str | None]) -> tuple[str | None, ...]:
    """``column[pk]`` for each pk, as one C-level call."""
    if len(pks) == 1:
        return (column[pks[0]],)
    return cast(tuple[str | None, ...], itemgetter(*pks)(column)) if pks else ()
