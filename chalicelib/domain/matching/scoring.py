"""Vectorised hard rules and pair scores over blocks of the mentee x mentor matrix.

Profiles are encoded once into numpy arrays; solvers then ask for any block of
rows (mentees) and columns (mentors), so large cohorts never need the whole
matrix in memory at once. A pair's score is

    base + w_tags*tags + w_seniority*seniority + w_timezone*timezone
         + w_preference*preference + w_priority*priority

with every criterion in [0, 1] and ``base > 0``, so any feasible pair is worth
strictly more than leaving both people unmatched (worth 0). Criteria:

* tags: share of the mentee's goals covered by the mentor's expertise
  (case-insensitive, counted once); 0 when the mentee lists no goals.
* seniority: 1 while the mentor has ``seniority_gap_min``..``seniority_gap_max``
  years more experience than the mentee, falling linearly to 0 over ``seniority_falloff``
  years outside that range; 0.5 when either side is unknown.
* tags also count the mentee's ranked topics, weighted by rank (``goal_weights``).
* timezone: 1 - gap / ``max_timezone_gap_hours``, floored at 0, on the
  clock-face gap (offsets 17 h apart are 7 h apart for meeting times); 0.5 when
  unknown.
* preference: 1 / rank for a mentor the mentee ranked, else 0.
* priority: mean of p / (p + 1) over both sides' count of rounds left unmatched.

No I/O and no knowledge of solvers: this module only turns profiles into numbers.
"""

from __future__ import annotations

from collections.abc import Hashable
from contextlib import contextmanager
from typing import TYPE_CHECKING, TypeVar

import numpy as np
from numpy.typing import NDArray
from scipy.sparse import csr_array

from .companies import normalise_company
from .criteria import Lookup, goal_weights, seniority_fit, timezone_fit, waited_fit
from .model import MenteeProfile, MentorProfile, Rule
from .pair_lists import PairList
from .reporting import reporting_lines
from .types import BoolArray, Float32Array, FloatArray, IntArray

__all__ = [
    "BLOCK_CELLS",
    "DENSE_TAGS",
    "BoolArray",
    "CohortMatrix",
    "Float32Array",
    "FloatArray",
    "IntArray",
    "single_threaded_blas",
]

if TYPE_CHECKING:
    from collections.abc import Collection, Iterator, Mapping, Sequence

    from threadpoolctl import ThreadpoolController

    from .policy import MatchingPolicy

K = TypeVar("K", bound=Hashable)

#: Shared vocabularies up to this many tags are multiplied as dense matrices.
DENSE_TAGS = 256

#: Largest table of person groups x person groups for the language, company and department rules.
RULE_TABLE_CELLS = 1 << 22

#: Cells per evaluated block: big enough for numpy to stay efficient, small
#: enough that a handful of float64 temporaries stay in the tens of megabytes.
BLOCK_CELLS = 1 << 21


_blas: ThreadpoolController | None = None


@contextmanager
def single_threaded_blas() -> Iterator[None]:
    """BLAS at one thread for the duration: the products of a block are small, and many at once.

    The controller finds the loaded BLAS libraries once per process, on first use.
    """
    from threadpoolctl import ThreadpoolController

    global _blas
    if _blas is None:
        _blas = ThreadpoolController()
    with _blas.limit(limits=1, user_api="blas"):
        yield


def _codes(values: Sequence[K | None], vocabulary: dict[K, int]) -> IntArray:
    out = np.full(len(values), -1, dtype=np.intp)
    for i, value in enumerate(values):
        if value is not None:
            out[i] = vocabulary.setdefault(value, len(vocabulary))
    return out


def _incidence(items: Sequence[Collection[str]], vocabulary: dict[str, int]) -> NDArray[np.float32]:
    """Binary person x vocabulary matrix; float32 keeps matmul counts exact and fast."""
    out = np.zeros((len(items), max(len(vocabulary), 1)), dtype=np.float32)
    for i, entries in enumerate(items):
        for entry in entries:
            out[i, vocabulary[entry]] = 1.0
    return out


def _optional_floats(values: Sequence[float | None], scale: float = 1.0) -> FloatArray:
    return np.array([np.nan if v is None else v / scale for v in values], dtype=np.float64)


def _department_key(company: str | None, department: str | None) -> str | None:
    key = normalise_company(company)
    if key is None or department is None:
        return None
    return f"{key}\x00{department.casefold()}"


def _shared_incidence(
    mentee_goals: Sequence[Mapping[str, int]], mentor_tags: Sequence[set[str]]
) -> tuple[csr_array, csr_array]:
    """Sparse mentee x tag (by goal weight) and tag x mentor matrices over the tags both sides use.

    A tag only one side lists can never be shared, so it takes no column: free-text
    goals make a vocabulary as large as the cohort, which a dense matrix cannot hold.
    """
    on_mentor_side = set().union(*mentor_tags) if mentor_tags else set()
    on_both = sorted(set().union(*mentee_goals) & on_mentor_side) if mentee_goals else []
    vocabulary = {tag: k for k, tag in enumerate(on_both)}
    width = max(len(vocabulary), 1)

    def build(items: Sequence[Mapping[str, int]]) -> csr_array:
        indptr = [0]
        indices: list[int] = []
        weights: list[int] = []
        for entries in items:
            shared = sorted((vocabulary[t], w) for t, w in entries.items() if t in vocabulary)
            indices.extend(k for k, _ in shared)
            weights.extend(w for _, w in shared)
            indptr.append(len(indices))
        data = np.array(weights, dtype=np.float32)
        return csr_array((data, np.array(indices, dtype=np.int32), np.array(indptr)), shape=(len(items), width))

    return build(mentee_goals), build([dict.fromkeys(tags, 1) for tags in mentor_tags]).T.tocsr()


class CohortMatrix:
    """Encoded cohort: evaluates hard rules and scores for any block of pairs.

    Rows index ``mentees`` and columns index ``mentors`` in the order given; both
    sequences must already be free of duplicates.
    """

    def __init__(
        self,
        mentees: Sequence[MenteeProfile],
        mentors: Sequence[MentorProfile],
        policy: MatchingPolicy,
        past_pairs: Collection[tuple[str, str]] = frozenset(),
        lines: Mapping[str, Collection[str]] | None = None,
    ) -> None:
        """``lines`` maps an e-mail to everyone above the person (``reporting_lines`` of these profiles by default)."""
        self.policy = policy
        self.n_mentees = len(mentees)
        self.n_mentors = len(mentors)
        w = policy.weights
        self._w = (w.base, w.tags, w.seniority, w.timezone, w.preference, w.priority)
        self._gap_lo = float(min(policy.seniority_gap_min, policy.seniority_gap_max))
        self._gap_hi = float(max(policy.seniority_gap_min, policy.seniority_gap_max))

        emails: dict[str, int] = {}
        self._e_email = _codes([p.email for p in mentees], emails)
        self._m_email = _codes([p.email for p in mentors], emails)

        companies: dict[str, int] = {}
        self._e_company = _codes([normalise_company(p.company) for p in mentees], companies)
        self._m_company = _codes([normalise_company(p.company) for p in mentors], companies)
        departments: dict[str, int] = {}
        self._e_dept = _codes([_department_key(p.company, p.department) for p in mentees], departments)
        self._m_dept = _codes([_department_key(p.company, p.department) for p in mentors], departments)

        languages: dict[str, int] = {}
        for p in (*mentees, *mentors):
            for lang in p.languages:
                languages.setdefault(lang, len(languages))
        self._e_lang = _incidence([p.languages for p in mentees], languages)
        self._m_lang_t = np.ascontiguousarray(_incidence([p.languages for p in mentors], languages).T)

        e_goals = [goal_weights(p.tags, p.ranked_topics) for p in mentees]
        m_tags = [{t.casefold() for t in p.tags} for p in mentors]
        self._e_tags, self._m_tags_t = _shared_incidence(e_goals, m_tags)
        # A short shared vocabulary (goals picked from a list) is one small dense product per
        # block; the sparse product and its scatter cost several times more there. Free text
        # makes the vocabulary long and the matrices sparse, and stays sparse.
        self._dense_tags: tuple[NDArray[np.float32], NDArray[np.float32]] | None = None
        if self._e_tags.shape[1] <= DENSE_TAGS:
            self._dense_tags = (self._e_tags.toarray(), np.asfortranarray(self._m_tags_t.toarray()))
        goal_weight = np.array([sum(g.values()) for g in e_goals], dtype=np.float64)
        # Goal weight covered times this gives the weighted tags criterion in one multiply.
        self._tag_coef = w.tags / np.maximum(goal_weight, 1.0)

        gap_lo, gap_hi, falloff = self._gap_lo, self._gap_hi, policy.seniority_falloff
        limit = policy.max_timezone_gap_hours
        self._lookups = (
            Lookup.build(
                _optional_floats([p.seniority for p in mentees]),
                _optional_floats([p.seniority for p in mentors]),
                lambda e, m: seniority_fit(e, m, gap_lo, gap_hi, falloff),
                w.seniority,
            ),
            Lookup.build(
                _optional_floats([p.utc_offset_minutes for p in mentees], 60.0),
                _optional_floats([p.utc_offset_minutes for p in mentors], 60.0),
                lambda e, m: timezone_fit(e, m, limit),
                w.timezone,
            ),
            Lookup.build(
                np.array([p.priority for p in mentees], dtype=np.float64),
                np.array([p.priority for p in mentors], dtype=np.float64),
                waited_fit,
                w.priority,
            ),
        )
        self._joint = Lookup.joint(self._lookups, w.base)
        self._ranking_tables = (self._joint.table.astype(np.float32), self._tag_coef.astype(np.float32))

        # The fast path of the hard rules: language by a table over the distinct language sets,
        # a person on both sides by their pairs, unknown departments never equal to anything.
        language_sets: dict[frozenset[str], int] = {}
        self._e_langset = _codes([frozenset(p.languages) for p in mentees], language_sets)
        self._m_langset = _codes([frozenset(p.languages) for p in mentors], language_sets)
        sets = list(language_sets)
        self._no_common_language = np.array([[a.isdisjoint(b) for b in sets] for a in sets], dtype=np.bool_).reshape(
            len(sets), len(sets)
        )
        by_email = {p.email: i for i, p in enumerate(mentees)}
        self._same_person = PairList.build(
            {(by_email[p.email], j): 1.0 for j, p in enumerate(mentors) if p.email in by_email}
        )
        self._m_dept_or_none = np.where(self._m_dept < 0, -2, self._m_dept)
        self._rule_table = self._rule_classes()

        mentor_index = {p.participant_id: j for j, p in enumerate(mentors)}
        mentee_index = {p.participant_id: i for i, p in enumerate(mentees)}
        ranks: dict[tuple[int, int], float] = {}
        for i, p in enumerate(mentees):
            for position, mentor_id in enumerate(p.ranked_mentor_ids, start=1):
                j = mentor_index.get(mentor_id)
                if j is not None:
                    ranks.setdefault((i, j), float(position))
        self.ranks = PairList.build(ranks)
        self._preference = PairList(self.ranks.rows, self.ranks.cols, w.preference / self.ranks.values)

        mentor_by_email = {p.email: j for j, p in enumerate(mentors)}
        mentee_by_email = {p.email: i for i, p in enumerate(mentees)}
        if lines is None:
            lines = reporting_lines([*mentees, *mentors])
        chain: dict[tuple[int, int], float] = {}
        # Intersecting first keeps the loops to the superiors who take part on the other side.
        mentor_emails, mentee_emails = frozenset(mentor_by_email), frozenset(mentee_by_email)
        for i, p in enumerate(mentees):
            for boss in mentor_emails.intersection(lines.get(p.email, ())):
                chain[(i, mentor_by_email[boss])] = 1.0
        for j, p in enumerate(mentors):
            for boss in mentee_emails.intersection(lines.get(p.email, ())):
                chain[(mentee_by_email[boss], j)] = 1.0
        self._manager_chain = PairList.build(chain)

        repeats: dict[tuple[int, int], float] = {}
        if policy.forbid_repeat_pairs:
            for mentee_id, mentor_id in past_pairs:
                row, col = mentee_index.get(mentee_id), mentor_index.get(mentor_id)
                if row is not None and col is not None:
                    repeats[(row, col)] = 1.0
        self._repeats = PairList.build(repeats)

    def _rule_classes(self) -> tuple[IntArray, IntArray, BoolArray] | None:
        """People grouped by what the person-level rules read, and which groups may not meet.

        Language, company and department are each one code per person, so one gather
        from a small table of the groups applies all three rules to a block at once,
        instead of a comparison and a masked write per rule. None when the table would
        be too large (every person in a group of their own).
        """
        policy = self.policy
        e_keys, e_class = np.unique(
            np.stack([self._e_langset, self._e_company, self._e_dept], axis=1), axis=0, return_inverse=True
        )
        m_keys, m_class = np.unique(
            np.stack([self._m_langset, self._m_company, self._m_dept], axis=1), axis=0, return_inverse=True
        )
        if e_keys.shape[0] * m_keys.shape[0] > RULE_TABLE_CELLS:
            return None
        apart = np.zeros((e_keys.shape[0], m_keys.shape[0]), dtype=np.bool_)
        if policy.require_shared_language:
            apart |= self._no_common_language[np.ix_(e_keys[:, 0], m_keys[:, 0])]
        e_company, m_company = e_keys[:, 1, None], m_keys[None, :, 1]
        if policy.cross_company:
            apart |= (e_company == m_company) | (e_company < 0) | (m_company < 0)
        e_dept, m_dept = e_keys[:, 2, None], m_keys[None, :, 2]
        if policy.forbid_same_department:
            apart |= (e_dept == m_dept) & (e_dept >= 0)
        return e_class.ravel().astype(np.intp), m_class.ravel().astype(np.intp), apart

    # -- blocks --------------------------------------------------------------------------------

    def row_blocks(self, rows: IntArray | None = None, width: int | None = None) -> Iterator[IntArray]:
        """Row-index chunks covering ``rows`` (all mentees by default) for blocks ``width`` mentors wide."""
        all_rows = np.arange(self.n_mentees, dtype=np.intp) if rows is None else rows
        step = max(1, BLOCK_CELLS // max(self.n_mentors if width is None else width, 1))
        for start in range(0, all_rows.size, step):
            yield all_rows[start : start + step]

    def _col_pos(self, cols: IntArray | None) -> IntArray | None:
        if cols is None:
            return None
        pos = np.full(self.n_mentors, -1, dtype=np.intp)
        pos[cols] = np.arange(cols.size, dtype=np.intp)
        return pos

    def violations(self, rows: IntArray, cols: IntArray | None = None) -> dict[Rule, BoolArray]:
        """For every active hard rule, where the block's pairs break it."""
        policy = self.policy
        mcols: IntArray | slice = slice(None) if cols is None else cols
        col_pos = self._col_pos(cols)
        shape = (rows.size, self.n_mentors if cols is None else cols.size)
        out: dict[Rule, BoolArray] = {}

        out[Rule.SELF] = self._e_email[rows, None] == self._m_email[None, mcols]
        if policy.cross_company:
            e_company = self._e_company[rows, None]
            m_company = self._m_company[None, mcols]
            out[Rule.CROSS_COMPANY] = (e_company == m_company) | (e_company < 0) | (m_company < 0)
        if policy.forbid_same_department:
            e_dept = self._e_dept[rows, None]
            out[Rule.SAME_DEPARTMENT] = (e_dept == self._m_dept[None, mcols]) & (e_dept >= 0)
        chain = np.zeros(shape, dtype=np.bool_)
        self._manager_chain.scatter(chain, rows, col_pos)
        out[Rule.MANAGER_CHAIN] = chain
        if policy.require_shared_language:
            shared = self._e_lang[rows] @ self._m_lang_t[:, mcols]
            out[Rule.SHARED_LANGUAGE] = shared < 0.5
        if policy.forbid_repeat_pairs:
            repeat = np.zeros(shape, dtype=np.bool_)
            self._repeats.scatter(repeat, rows, col_pos)
            out[Rule.REPEAT_PAIR] = repeat
        return out

    def feasible(self, rows: IntArray, cols: IntArray | None = None) -> BoolArray:
        """True where a pair of the block passes every hard rule (capacity aside).

        The same answer as ``violations`` gives, by the rules as the scores apply them:
        no mask per rule where the person-level rules fit one table of groups.
        """
        ok: BoolArray = np.ones((rows.size, self.n_mentors if cols is None else cols.size), dtype=np.bool_)
        self._exclude(ok, rows, cols, False)
        return ok

    def scores(self, rows: IntArray, cols: IntArray | None = None) -> FloatArray:
        """Scores of every pair of the block, feasible or not.

        The preferences, and the shared goals of a long vocabulary, are added only where
        they are non-zero; a short vocabulary's shared goals are added everywhere. Both
        give bit-identical results to ``pair_scores``, which adds them everywhere
        (x + 0.0 == x).
        """
        mcols: IntArray | slice = slice(None) if cols is None else cols
        total = self._joint.block(rows, mcols)
        if self._dense_tags is not None:
            e_tags, m_tags_t = self._dense_tags
            counts = e_tags[rows] @ m_tags_t[:, mcols]
            # Counts are whole numbers (exact in float32); 0 adds 0.0 and leaves a score's bits alone.
            total += counts * self._tag_coef[rows, None]
            self._preference.add_into(total, rows, self._col_pos(cols))
            return total
        shared = (self._e_tags[rows] @ self._m_tags_t[:, mcols]).tocsr()
        if shared.nnz:
            width = total.shape[1]
            local_rows = np.repeat(np.arange(rows.size, dtype=np.intp), np.diff(shared.indptr))
            flat = total.reshape(-1)
            flat[local_rows * width + shared.indices] += (
                shared.data.astype(np.float64) * self._tag_coef[rows][local_rows]
            )
        self._preference.add_into(total, rows, self._col_pos(cols))
        return total

    def masked_scores(self, rows: IntArray, cols: IntArray | None = None) -> tuple[FloatArray, BoolArray]:
        """Scores with infeasible pairs set to 0 (the worth of "unmatched"), and the feasibility mask."""
        s = self.feasible_scores(rows, cols)
        return s, s > 0

    def feasible_scores(self, rows: IntArray, cols: IntArray | None = None, infeasible: float = 0.0) -> FloatArray:
        """Scores with infeasible pairs set to ``infeasible``: 0 by default, the worth of "unmatched".

        Every feasible pair is worth more than 0. The same rules as ``violations``, each
        applied straight to the scores rather than kept as a mask of its own: this is the
        inner loop of every solver. The candidate pass asks for minus infinity, which its
        keys (minus the score) turn into plus infinity with no pass of their own.
        """
        s = self.scores(rows, cols)
        self._exclude(s, rows, cols, infeasible)
        return s

    def ranking_scores(self, rows: IntArray) -> tuple[Float32Array, FloatArray | None]:
        """Every mentor's score for the block's mentees in float32, infeasible pairs at minus infinity.

        For choosing candidates, not for their worth: float32 halves the memory traffic of
        every pass over the block. Goals from a short list are counted, weighted and added
        in float32 too; a long (free-text) vocabulary is scored in float64 and rounded, and
        those float64 scores come back as well. Otherwise ``pair_scores`` gives the exact
        score of a chosen pair.
        """
        if self._dense_tags is None:
            exact = self.feasible_scores(rows, infeasible=-np.inf)
            return exact.astype(np.float32), exact
        e_tags, m_tags_t = self._dense_tags
        joint32, tag_coef32 = self._ranking_tables
        total: Float32Array = np.take(joint32[self._joint.mentee_codes[rows]], self._joint.mentor_codes, axis=1)
        counts = e_tags[rows] @ m_tags_t
        counts *= tag_coef32[rows, None]
        total += counts
        self._preference.add_into(total, rows, None)
        self._exclude(total, rows, None, -np.inf)
        return total, None

    def _exclude(
        self, s: FloatArray | Float32Array | BoolArray, rows: IntArray, cols: IntArray | None, infeasible: float
    ) -> None:
        """Set the block's pairs that break a hard rule to ``infeasible``."""
        mcols: IntArray | slice = slice(None) if cols is None else cols
        col_pos = self._col_pos(cols)
        if self._rule_table is not None:
            e_class, m_class, table = self._rule_table
            np.copyto(s, infeasible, where=np.take(table[e_class[rows]], m_class[mcols], axis=1))
        else:
            self._apply_person_rules(s, rows, mcols, infeasible)
        self._same_person.fill(s, rows, col_pos, infeasible)
        self._manager_chain.fill(s, rows, col_pos, infeasible)
        if self.policy.forbid_repeat_pairs:
            self._repeats.fill(s, rows, col_pos, infeasible)

    def _apply_person_rules(
        self, s: FloatArray | Float32Array | BoolArray, rows: IntArray, mcols: IntArray | slice, infeasible: float
    ) -> None:
        """The language, company and department rules one by one, for cohorts too varied for one table."""
        policy = self.policy
        if policy.require_shared_language:
            apart = np.take(self._no_common_language[self._e_langset[rows]], self._m_langset[mcols], axis=1)
            np.copyto(s, infeasible, where=apart)
        if policy.cross_company:
            e_company = self._e_company[rows]
            m_company = self._m_company[mcols]
            np.copyto(s, infeasible, where=e_company[:, None] == m_company[None, :])
            s[e_company < 0] = infeasible
            s[:, m_company < 0] = infeasible
        if policy.forbid_same_department:
            np.copyto(s, infeasible, where=self._e_dept[rows, None] == self._m_dept_or_none[None, mcols])

    # -- aligned pairs ---------------------------------------------------------------------------

    def pair_scores(self, mentee_idx: IntArray, mentor_idx: IntArray) -> FloatArray:
        """Scores of aligned (mentee, mentor) pairs; identical to the block scores of the same pairs."""
        if self._dense_tags is not None:
            # Whole-number counts, exact in float32 as in the block product.
            e_tags, m_tags_t = self._dense_tags
            counts = np.einsum("ij,ji->i", e_tags[mentee_idx], m_tags_t[:, mentor_idx])
            shared_goals = counts.astype(np.float64)
        else:
            shared_goals = np.asarray(
                (self._e_tags[mentee_idx] * self._m_tags_t[:, mentor_idx].T).sum(axis=1), dtype=np.float64
            ).ravel()
        total = self._joint.pairs(mentee_idx, mentor_idx)
        total += shared_goals * self._tag_coef[mentee_idx]
        total += self._preference.lookup(mentee_idx, mentor_idx)
        return total

    @property
    def max_pair_score(self) -> float:
        """Upper bound of any pair's score."""
        return float(sum(self._w))

    @property
    def min_pair_score(self) -> float:
        """Lower bound of any feasible pair's score (every criterion at 0)."""
        return float(self._w[0])
