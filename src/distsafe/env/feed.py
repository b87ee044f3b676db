"""The feed: posts, replies and votes as numpy columns, ranked by visibility.

    score = votes + alpha * replies - beta * age          (age in simulation steps)

Only posts from the last `window_steps` steps are kept for ranking (older ones are retired from memory;
they remain in the event log), so a step's cost does not grow with the length of the history. The
ranking is computed once per step and shared by every observation of that step.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import ConfigDict, Field

from distsafe.models.agent_table import AgentNames
from distsafe.models.column_store import Column, ColumnStore
from distsafe.models.config_base import ConfigModel
from distsafe.models.ids import post_id as format_post_id


class FeedConfig(ConfigModel):
    model_config = ConfigDict(extra="forbid")

    alpha: float = Field(default=0.5, ge=0, description="weight of replies in visibility")
    beta: float = Field(default=0.1, ge=0, description="visibility lost per step of age")
    visible_limit: int = Field(default=20, ge=1, description="posts shown to an agent")
    window_steps: int = Field(default=20, ge=1, description="posts older than this leave the ranking")
    vote_reputation_rate: float = Field(default=0.02, ge=0, description="author reputation per unit vote")


@dataclass(frozen=True)
class Post:
    post_id: str
    author_id: str
    content: str
    parent_id: str | None
    timestamp: int
    votes: float
    replies: int
    score: float


class Feed(ColumnStore):
    """The live posts as columns, one row each, in the order they were added (time order unless `now` went
    back); posts, replies and votes are added through the methods below."""

    post_id: Column[np.int64] = Column(np.int64, 0, "post id (increasing)")
    author: Column[np.int32] = Column(np.int32, 0, "author's agent row")
    parent: Column[np.int64] = Column(np.int64, -1, "post replied to (-1: a top-level post)")
    votes: Column[np.float64] = Column(np.float64, 0.0, "sum of weighted votes")
    n_replies: Column[np.int32] = Column(np.int32, 0, "replies received")
    created: Column[np.int64] = Column(np.int64, 0, "simulation time of posting")
    quality: Column[np.float32] = Column(np.float32, 0.0, "hidden quality of the content")

    def __init__(self, config: FeedConfig | None = None):
        super().__init__()
        self.config = config or FeedConfig()
        self.next_id = 0
        self.total_posts = 0
        # The live window is a column store: appending is amortized O(posts added), retiring the oldest
        # posts (a prefix: posts are appended in time order) is O(1).
        self._time_ordered = True  # `created` is nondecreasing along the rows
        self.content: dict[int, str] = {}
        self._rank_time = -1
        self._top = np.zeros(0, dtype=np.int64)

    def add_posts(
        self,
        authors: np.ndarray,
        now: int,
        quality: np.ndarray,
        parents: np.ndarray | None = None,
        contents: dict[int, str] | None = None,
    ) -> np.ndarray:
        """Append posts (or replies when `parents` >= 0). `contents` maps position in `authors` to text."""
        k = int(authors.shape[0])
        ids = np.arange(self.next_id, self.next_id + k, dtype=np.int64)
        self.next_id += k
        self.total_posts += k
        parents = np.full(k, -1, dtype=np.int64) if parents is None else parents.astype(np.int64)
        if len(self) and now < int(self.created[-1]):
            self._time_ordered = False
        self.append(
            k,
            post_id=ids,
            author=authors,
            parent=parents,
            votes=0.0,
            n_replies=0,
            created=now,
            quality=quality,
        )
        if contents:
            for pos, text in contents.items():
                if text:
                    self.content[int(ids[pos])] = text
        reply_parents = parents[parents >= 0]
        if reply_parents.size:
            rows = self.rows_of(reply_parents)
            ok = rows >= 0
            np.add.at(self.n_replies, rows[ok], 1)
        self._rank_time = -1
        return ids

    def rows_of(self, post_ids: np.ndarray) -> np.ndarray:
        """Row of each post id in the live window, -1 if retired or unknown."""
        n = len(self)
        if n == 0:
            return np.full(post_ids.shape[0], -1, dtype=np.int64)
        first = int(self.post_id[0])
        if int(self.post_id[-1]) - first == n - 1:  # ids are increasing: a contiguous range
            rows = np.asarray(post_ids, dtype=np.int64) - first
            return np.where((rows >= 0) & (rows < n), rows, -1)
        rows = np.searchsorted(self.post_id, post_ids)
        rows = np.minimum(rows, len(self) - 1)
        return np.where(self.post_id[rows] == post_ids, rows, -1)

    def add_votes(self, post_ids: np.ndarray, signed_weights: np.ndarray) -> np.ndarray:
        """Add weighted votes; returns the author row of each voted post (-1 if the post is gone)."""
        rows = self.rows_of(post_ids)
        ok = rows >= 0
        np.add.at(self.votes, rows[ok], signed_weights[ok])
        self._rank_time = -1
        return np.where(ok, self.author[np.maximum(rows, 0)], -1)

    def retire(self, now: int) -> None:
        cutoff = now - self.config.window_steps
        if self._time_ordered:
            drop = int(np.searchsorted(self.created, cutoff, side="right"))
            if drop == 0:
                return
            gone = self.post_id[:drop]
            self.drop_front(drop)
        else:
            keep = self.created > cutoff
            if keep.all():
                return
            gone = self.post_id[~keep]
            self.keep(keep)
            self._time_ordered = bool(np.all(np.diff(self.created) >= 0))
        if self.content:
            lo, hi = int(gone.min()), int(gone.max())
            for pid in [p for p in self.content if lo <= p <= hi]:
                del self.content[pid]
        self._rank_time = -1

    def scores(self, now: int, rows: np.ndarray | None = None) -> np.ndarray:
        """Visibility of every live post, or of the given rows."""
        c = self.config
        out: np.ndarray
        if rows is None:
            out = self.votes + c.alpha * self.n_replies - c.beta * (now - self.created)
        else:
            out = self.votes[rows] + c.alpha * self.n_replies[rows] - c.beta * (now - self.created[rows])
        return out

    def _rank_candidates(self, k: int) -> np.ndarray:
        """Rows that can be among the k most visible. A post nobody voted on or replied to scores
        -beta * age, so among those newer is better (and wins ties): only the posts with votes or replies
        and the k newest of the others can make the top k. Needs rows in time order."""
        n = len(self)
        if not self._time_ordered:
            return np.arange(n)
        touched = np.flatnonzero((self.votes != 0) | (self.n_replies != 0))
        tail = max(0, n - k - touched.size)  # the last k + |touched| rows hold >= k untouched ones
        if touched.size == 0 or touched[0] >= tail:
            return np.arange(tail, n)
        return np.concatenate([touched[touched < tail], np.arange(tail, n)])

    def top_rows(self, now: int, limit: int | None = None) -> np.ndarray:
        """Rows of the `limit` most visible posts, best first (cached per step)."""
        limit = limit or self.config.visible_limit
        if self._rank_time != now or self._top.shape[0] != min(limit, len(self)):
            n = len(self)
            if n == 0:
                self._top = np.zeros(0, dtype=np.int64)
            else:
                k = min(limit, n)
                # Ranking: by score, ties broken by newer post first (higher id), at the cut too.
                cand = self._rank_candidates(k)
                order = np.lexsort((-self.post_id[cand], -self.scores(now, cand)))
                self._top = cand[order[:k]]
            self._rank_time = now
        return self._top

    def get_visible(
        self,
        agent_id: str | None = None,
        limit: int | None = None,
        now: int = 0,
        agent_ids: AgentNames | None = None,
    ) -> list[Post]:
        """The seed's API: posts ranked by visibility score."""
        rows = self.top_rows(now, limit)
        s = np.zeros(0) if rows.size == 0 else self.scores(now, rows)
        out = []
        for i, r in enumerate(rows.tolist()):
            pid = int(self.post_id[r])
            parent = int(self.parent[r])
            author = int(self.author[r])
            out.append(
                Post(
                    post_id=format_post_id(pid),
                    author_id=agent_ids[author] if agent_ids is not None else str(author),
                    content=self.content.get(pid, ""),
                    parent_id=format_post_id(parent) if parent >= 0 else None,
                    timestamp=int(self.created[r]),
                    votes=float(self.votes[r]),
                    replies=int(self.n_replies[r]),
                    score=float(s[i]),
                )
            )
        return out
