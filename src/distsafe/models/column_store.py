"""Typed column stores: numpy columns declared on the class, grown by one amortized policy.

A store declares its columns as class attributes::

    class Accounts(ColumnStore):
        balance: Column[np.float64] = Column(np.float64, default=100.0, doc="money held")

`accounts.balance` is then an `NDArray[np.float64]` holding the live rows (a view of a growth buffer), and a
type checker sees it through the descriptor. Rows are added with `append` (one slice assignment per column,
no per-row Python work), removed from the front with `drop_front` (O(1)) or by a mask with `keep`. Every
store grows by `grown_capacity`, and growth copies rows as they are: it never changes a value or an order.

Assigning to a column writes into its live rows (`store.balance = x` is `store.balance[...] = x`); in-place
operators (`store.balance *= 0.9`) work on the view. A column is never replaced by another array, so the
buffers and the views cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Generic, TypeVar, overload

import numpy as np
import numpy.typing as npt

__all__ = ["MIN_ROWS", "Column", "ColumnStore", "grown_capacity"]

ScalarT = TypeVar("ScalarT", bound=np.generic)
StoreT = TypeVar("StoreT", bound="ColumnStore")

#: Smallest buffer allocated on growth (tiny tables are common: one agent, one step's posts).
MIN_ROWS = 16


def grown_capacity(capacity: int, need: int) -> int:
    """The one growth policy: rows to allocate when `need` rows do not fit in `capacity`.

    At least 1.5x the old capacity, so that appending n rows in any chunks copies O(n) rows in all; exactly
    `need` when that is larger (a first bulk add of 10^6 agents allocates 10^6 rows, not more).
    """
    return max(need, capacity + capacity // 2, MIN_ROWS)


class Column(Generic[ScalarT]):
    """One declared column: dtype, the value of new rows (`default`) and what it holds (`doc`)."""

    def __init__(
        self, dtype: type[ScalarT], default: bool | int | float = 0, doc: str = "", *, name: str = ""
    ) -> None:
        self.dtype: np.dtype[ScalarT] = np.dtype(dtype)
        self.default = default
        self.doc = doc
        self.name = name  # set by the class statement for declared columns

    def __set_name__(self, owner: type[Any], name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"Column({self.name}: {self.dtype}, default={self.default!r})"

    @overload
    def __get__(self, obj: None, owner: type[Any]) -> Column[ScalarT]: ...

    @overload
    def __get__(self, obj: ColumnStore, owner: type[Any]) -> npt.NDArray[ScalarT]: ...

    def __get__(self, obj: ColumnStore | None, owner: type[Any]) -> Column[ScalarT] | npt.NDArray[ScalarT]:
        if obj is None:
            return self
        views = obj._views
        if views is None:
            views = obj._make_views()
        view: npt.NDArray[ScalarT] = views[self.name]
        return view

    def __set__(self, obj: ColumnStore, value: npt.ArrayLike) -> None:
        view = self.__get__(obj, type(obj))
        if value is not view:  # `store.x *= k` assigns the same view back: nothing to copy
            view[...] = value


_EMPTY_BUFFERS: dict[
    tuple[type[Any], tuple[tuple[str, tuple[int, ...]], ...]], dict[str, np.ndarray[Any, Any]]
] = {}


class ColumnStore:
    """Rows of declared columns in growth buffers; the live rows are `[_lo, _hi)` of every buffer.

    Columns come from `Column` class attributes (in declaration order, base classes first) or, for a store
    whose columns are a schema, from the class keyword `columns=` (an iterable of `Column`s with names).
    A column with a per-row shape (a matrix column) gets it from `row_shapes` at construction.
    """

    _columns: ClassVar[dict[str, Column[Any]]] = {}

    def __init_subclass__(cls, columns: Iterable[Column[Any]] = (), **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        declared: dict[str, Column[Any]] = {}
        for klass in reversed(cls.__mro__):
            for name, attr in vars(klass).items():
                if isinstance(attr, Column):
                    declared[name] = attr
        for col in columns:
            if not col.name:
                raise ValueError("a schema column needs a name")
            declared[col.name] = col
        cls._columns = declared

    def __init__(self, *, row_shapes: Mapping[str, tuple[int, ...]] | None = None) -> None:
        shapes = dict(row_shapes or {})
        unknown = set(shapes) - set(self._columns)
        if unknown:
            raise ValueError(f"row_shapes names unknown columns: {sorted(unknown)}")
        key = (type(self), tuple(sorted((name, tuple(shape)) for name, shape in shapes.items())))
        empty = _EMPTY_BUFFERS.get(key)
        if empty is None:  # zero-row buffers hold no data: one set per class and shape serves every instance
            empty = {
                name: np.empty((0, *shapes.get(name, ())), dtype=c.dtype) for name, c in self._columns.items()
            }
            _EMPTY_BUFFERS[key] = empty
        self._data: dict[str, np.ndarray[Any, Any]] = dict(empty)
        self._lo = 0
        self._hi = 0
        self._views: dict[str, np.ndarray[Any, Any]] | None = None

    # ---- state ---------------------------------------------------------------------------------------
    @classmethod
    def declared_columns(cls) -> dict[str, Column[Any]]:
        """The store's columns by name, in declaration order."""
        return dict(cls._columns)

    def __len__(self) -> int:
        return self._hi - self._lo

    @property
    def capacity(self) -> int:
        """Rows the buffers hold (live rows, rows dropped from the front, and free rows)."""
        return int(next(iter(self._data.values())).shape[0]) if self._data else 0

    def columns(self) -> dict[str, np.ndarray[Any, Any]]:
        """Views of the live rows of every column, by name."""
        views = self._views
        return dict(views if views is not None else self._make_views())

    def nbytes(self) -> int:
        """Bytes of the live rows (the data itself, without free buffer space)."""
        return sum(v.nbytes for v in self.columns().values())

    def capacity_nbytes(self) -> int:
        """Bytes allocated for the buffers."""
        return sum(buf.nbytes for buf in self._data.values())

    def _make_views(self) -> dict[str, np.ndarray[Any, Any]]:
        lo, hi = self._lo, self._hi
        views = {name: buf[lo:hi] for name, buf in self._data.items()}
        self._views = views
        return views

    def __getstate__(self) -> dict[str, Any]:
        # Views would be pickled as copies, detached from the buffers: rebuild them after loading.
        state = dict(self.__dict__)
        state["_views"] = None
        return state

    # ---- adding rows ---------------------------------------------------------------------------------
    def reserve(self, rows: int) -> None:
        """Make room for `rows` more rows, so that appending them copies nothing else."""
        live = self._hi - self._lo
        cap = self.capacity
        if self._hi + rows <= cap:
            return
        need = live + rows
        # Compact in place when that frees at least half the buffer (rows dropped from the front), else grow:
        # either way each row is copied O(1) times on average.
        new_cap = cap if 2 * need <= cap else grown_capacity(cap, need)
        for name, buf in self._data.items():
            new = buf if new_cap == cap else np.empty((new_cap, *buf.shape[1:]), dtype=buf.dtype)
            new[:live] = buf[self._lo : self._hi]  # forward copy: safe when moving down in place
            self._data[name] = new
        self._lo, self._hi = 0, live
        self._views = None

    def append(self, k: int, **values: npt.ArrayLike) -> int:
        """Append `k` rows; each named column gets its value (an array of k rows or a scalar), the others
        their default. Returns the live row index of the first new row."""
        unknown = set(values) - set(self._data)
        if unknown:
            raise ValueError(f"unknown columns: {sorted(unknown)}")
        start = len(self)
        if k <= 0:
            return start
        self.reserve(k)
        lo, hi = self._hi, self._hi + k
        for name, buf in self._data.items():
            buf[lo:hi] = values[name] if name in values else self._columns[name].default
        self._hi = hi
        self._views = None
        return start

    def grow_to(self, n: int) -> None:
        """Append default rows until there are `n` live rows (nothing if there are already as many)."""
        if n > len(self):
            self.append(n - len(self))

    # ---- removing rows -------------------------------------------------------------------------------
    def drop_front(self, k: int) -> None:
        """Drop the first `k` live rows (O(1): their buffer rows are reused when the store next compacts)."""
        self._lo += max(0, min(k, len(self)))
        self._views = None

    def keep(self, mask: npt.NDArray[np.bool_]) -> None:
        """Keep only the live rows where `mask` is true, in order."""
        live = int(np.count_nonzero(mask))
        for buf in self._data.values():
            buf[:live] = buf[self._lo : self._hi][mask]
        self._lo, self._hi = 0, live
        self._views = None

    def clear(self) -> None:
        """No live rows; the buffers are kept for reuse (views handed out earlier see later writes)."""
        self._lo = self._hi = 0
        self._views = None

    def release(self) -> None:
        """No live rows and no buffers: views handed out earlier keep their memory and are never reused."""
        self._data = {
            name: np.empty((0, *buf.shape[1:]), dtype=buf.dtype) for name, buf in self._data.items()
        }
        self.clear()
