"""Structured reasons and their English sentences for pairs and unmatched participants.

The ``Reason`` (code + params) is the contract; the English sentence is one
rendering of it, so translations into other languages work from the same
params and never parse the English. Pure string building, no scoring logic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from .model import (
    MenteeProfile,
    MentorProfile,
    ParamValue,
    Reason,
    ReasonCode,
    Role,
    Rule,
)

if TYPE_CHECKING:
    from collections.abc import Mapping, Sequence

    from .policy import MatchingPolicy

LANGUAGE_NAMES: Mapping[str, str] = {
    "bg": "Bulgarian",
    "bs": "Bosnian",
    "cs": "Czech",
    "da": "Danish",
    "de": "German",
    "el": "Greek",
    "en": "English",
    "es": "Spanish",
    "et": "Estonian",
    "fi": "Finnish",
    "fr": "French",
    "hr": "Croatian",
    "hu": "Hungarian",
    "it": "Italian",
    "lt": "Lithuanian",
    "lv": "Latvian",
    "mk": "Macedonian",
    "nb": "Norwegian",
    "nl": "Dutch",
    "no": "Norwegian",
    "pl": "Polish",
    "pt": "Portuguese",
    "ro": "Romanian",
    "ru": "Russian",
    "sk": "Slovak",
    "sl": "Slovenian",
    "sq": "Albanian",
    "sr": "Serbian",
    "sv": "Swedish",
    "tr": "Turkish",
    "uk": "Ukrainian",
}

RULE_TEXT: Mapping[Rule, str] = {
    Rule.SELF: "a person cannot mentor themselves",
    Rule.CROSS_COMPANY: "the mentor must work for another company (an unknown company does not qualify)",
    Rule.SAME_DEPARTMENT: "the mentor must not work in the mentee's department",
    Rule.MANAGER_CHAIN: ("the mentor must not be in the mentee's reporting line, nor the mentee in the mentor's"),
    Rule.SHARED_LANGUAGE: "mentor and mentee must share a language",
    Rule.REPEAT_PAIR: "the same pair must not be matched again after an earlier round",
}


def language_name(code: str) -> str:
    return LANGUAGE_NAMES.get(code, code)


def english_list(items: Sequence[str]) -> str:
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    return f"{', '.join(items[:-1])} and {items[-1]}"


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


def clock_gap_hours(a_minutes: int | None, b_minutes: int | None) -> float | None:
    """Hours between two UTC offsets on the clock face (never more than 12)."""
    if a_minutes is None or b_minutes is None:
        return None
    minutes = abs(a_minutes - b_minutes) % (24 * 60)
    return min(minutes, 24 * 60 - minutes) / 60.0


def _hours_text(hours: float) -> str:
    value = f"{hours:g}"
    return f"{value} hour" if hours == 1 else f"{value} hours"


# -- pairs ---------------------------------------------------------------------------------------


def pair_reasons(
    mentee: MenteeProfile, mentor: MentorProfile, rank: int | None, policy: MatchingPolicy
) -> tuple[tuple[Reason, ...], str]:
    """Why this pair was made, as reasons and one English sentence."""
    expertise = {t.casefold() for t in mentor.tags}
    # "Leadership" and "leadership" are one goal, as the score counts it: listed once, as first written.
    distinct = {t.casefold(): t for t in reversed(mentee.tags)}
    goal_count = len(distinct)
    goals = tuple(t for t in mentee.tags if t.casefold() in expertise and distinct.get(t.casefold()) == t)
    languages = tuple(lang for lang in mentee.languages if lang in mentor.languages)
    gap = None
    if mentee.seniority is not None and mentor.seniority is not None:
        gap = mentor.seniority - mentee.seniority
    hours = clock_gap_hours(mentee.utc_offset_minutes, mentor.utc_offset_minutes)
    lo = min(policy.seniority_gap_min, policy.seniority_gap_max)
    hi = max(policy.seniority_gap_min, policy.seniority_gap_max)

    reasons = [
        Reason(ReasonCode.SHARED_GOALS, {"goals": goals, "mentee_goal_count": goal_count}),
        Reason(ReasonCode.SHARED_LANGUAGES, {"languages": languages}),
        Reason(
            ReasonCode.SENIORITY_GAP,
            {"gap": gap, "preferred_min": lo, "preferred_max": hi, "within_preferred": _within(gap, lo, hi)},
        ),
        Reason(ReasonCode.TIMEZONE_GAP, {"hours": hours}),
    ]
    topics, best_rank = _ranked_topics_covered(mentee, expertise)
    if mentee.ranked_topics:
        reasons.append(Reason(ReasonCode.RANKED_TOPICS, {"topics": topics, "best_rank": best_rank}))
    if rank is not None:
        reasons.append(Reason(ReasonCode.RANKED_CHOICE, {"rank": rank}))
    if mentee.priority or mentor.priority:
        reasons.append(
            Reason(
                ReasonCode.WAITED_BEFORE,
                {"mentee_rounds": mentee.priority, "mentor_rounds": mentor.priority},
            )
        )

    parts = [_goals_text(goals, goal_count), _languages_text(languages), _seniority_text(gap, lo, hi)]
    if hours is not None:
        parts.append("same time zone" if hours == 0 else f"time zones {_hours_text(hours)} apart")
    if mentee.ranked_topics:
        parts.append(_ranked_topics_text(topics, best_rank))
    if rank is not None:
        parts.append(f"the mentee's choice no. {rank}")
    if mentee.priority:
        parts.append(f"the mentee waited {_plural(mentee.priority, 'earlier round')}")
    if mentor.priority:
        parts.append(f"the mentor waited {_plural(mentor.priority, 'earlier round')}")
    reasons_text = "; ".join(parts)
    if mentee.display_name and mentor.display_name:
        sentence = f"{mentee.name} is matched with {mentor.name}: {reasons_text}."
    else:
        # Stored pairs keep no names (erasure must not have to find them there); the pair's ids
        # say who, so the sentence only says why.
        sentence = f"{reasons_text[:1].upper()}{reasons_text[1:]}."
    return tuple(reasons), sentence


def _ranked_topics_covered(mentee: MenteeProfile, expertise: set[str]) -> tuple[tuple[str, ...], int | None]:
    """The mentee's ranked topics the mentor covers, in the mentee's order, and the best rank among them."""
    seen: set[str] = set()
    covered: list[str] = []
    best: int | None = None
    for topic in mentee.ranked_topics:
        key = topic.casefold()
        if key in seen:
            continue
        seen.add(key)
        if key in expertise:
            covered.append(topic)
            best = best or len(seen)
    return tuple(covered), best


def _ranked_topics_text(topics: Sequence[str], best_rank: int | None) -> str:
    if not topics:
        return "covers none of the mentee's ranked topics"
    return f"covers the mentee's ranked topics {english_list(list(topics))} (best ranked no. {best_rank})"


def _within(gap: int | None, lo: int, hi: int) -> bool | None:
    return None if gap is None else lo <= gap <= hi


def _goals_text(goals: Sequence[str], goal_count: int) -> str:
    if goals:
        return f"shared goals {english_list(list(goals))}"
    if goal_count == 0:
        return "the mentee listed no goals"
    return "none of the mentee's goals shared"


def _languages_text(languages: Sequence[str]) -> str:
    if not languages:
        return "no common language"
    return f"both speak {english_list([language_name(lang) for lang in languages])}"


def _seniority_text(gap: int | None, lo: int, hi: int) -> str:
    if gap is None:
        return "experience gap unknown"
    preferred = f"preferred {lo}–{hi}" if lo != hi else f"preferred {lo}"
    if gap == 0:
        return f"as much experience as the mentee ({preferred})"
    more = "more" if gap > 0 else "less"
    return f"the mentor has {_plural(abs(gap), 'year')} {more} experience than the mentee ({preferred})"


# -- unmatched -----------------------------------------------------------------------------------


def duplicate(role: Role, dropped_id: str, kept_id: str, email: str) -> tuple[Reason, str]:
    reason = Reason(ReasonCode.DUPLICATE_PROFILE, {"kept_participant_id": kept_id, "email": email, "role": role})
    if dropped_id == kept_id:
        return reason, f"{role.capitalize()} profile {dropped_id} is listed twice; only one copy was used."
    return reason, (
        f"{role.capitalize()} profile {dropped_id} has the same e-mail ({email}) as {kept_id}; "
        f"only {kept_id}, the first by participant id, was used."
    )


def no_places(name: str, mentors: int) -> tuple[Reason, str]:
    reason = Reason(ReasonCode.NO_MENTOR_PLACES, {"mentors": mentors})
    if mentors == 0:
        return reason, f"There are no mentors in this round, so {name} could not be matched."
    return reason, f"No mentor offers a place in this round, so {name} could not be matched."


def no_fit(
    role: Role, person: MenteeProfile | MentorProfile, excluded_by: Mapping[Rule, int], considered: int
) -> tuple[Reason, str]:
    """Nobody on the other side passes the hard rules with this person."""
    other = "mentor" if role == "mentee" else "mentee"
    language_blocks_all = excluded_by.get(Rule.SHARED_LANGUAGE, 0) == considered
    if language_blocks_all:
        langs = tuple(person.languages)
        spoken = english_list([language_name(lang) for lang in langs]) if langs else "no language listed"
        code = ReasonCode.NO_SHARED_LANGUAGE
        return Reason(code, {"languages": langs, f"{other}s_considered": considered}), (
            f"No {other} shares a language with {person.name} ({spoken})."
        )
    order = list(Rule)
    rule = max(excluded_by, key=lambda r: (excluded_by[r], -order.index(r)))
    counts: dict[str, int] = {str(r): c for r, c in excluded_by.items() if c}
    params: dict[str, ParamValue] = {
        "rule": str(rule),
        "excluded": excluded_by[rule],
        f"{other}s_considered": considered,
        "excluded_by": counts,
    }
    code = ReasonCode.NO_COMPATIBLE_MENTOR if role == "mentee" else ReasonCode.NO_COMPATIBLE_MENTEE
    return Reason(code, params), (
        f"No {other} fits {person.name} under the hard rules; the rule that excluded the most "
        f"({excluded_by[rule]} of {considered}) is that {RULE_TEXT[rule]}."
    )


def mentee_not_placed(name: str, fitting: int, fitting_with_space: int) -> tuple[Reason, str]:
    if fitting_with_space == 0:
        return Reason(ReasonCode.MENTORS_FULL, {"fitting_mentors": fitting}), (
            f"All {_plural(fitting, 'mentor')} who fit {name} are full."
            if fitting > 1
            else f"The only mentor who fits {name} is full."
        )
    return Reason(ReasonCode.NOT_SELECTED, {"fitting_mentors": fitting, "fitting_with_space": fitting_with_space}), (
        f"{_plural(fitting_with_space, 'mentor')} who fit {name} still had places, "
        "but the chosen solver did not use them."
    )


def capacity_zero(name: str) -> tuple[Reason, str]:
    return Reason(ReasonCode.MENTOR_CAPACITY_ZERO, {}), f"{name} offers no places in this round."


def no_mentees(name: str) -> tuple[Reason, str]:
    return Reason(ReasonCode.NO_MENTEES, {}), f"There are no mentees in this round for {name}."


def mentor_not_chosen(name: str, capacity: int, fitting: int, fitting_unmatched: int) -> tuple[Reason, str]:
    reason = Reason(
        ReasonCode.NO_MENTEE_CHOSE,
        {"capacity": capacity, "fitting_mentees": fitting, "fitting_unmatched": fitting_unmatched},
    )
    prefix = f"No mentee was assigned to {name}"
    if fitting_unmatched == 0:
        if fitting == 1:
            return reason, f"{prefix}: the only mentee who fits was matched elsewhere."
        return reason, f"{prefix}: the {fitting} mentees who fit were all matched with other mentors."
    return reason, f"{prefix}, although {fitting_unmatched} fitting mentees stay unmatched."


def spare_capacity(name: str, capacity: int, assigned: int) -> tuple[Reason, str]:
    free = capacity - assigned
    return Reason(ReasonCode.SPARE_CAPACITY, {"capacity": capacity, "assigned": assigned, "free": free}), (
        f"{name} was given {assigned} of {_plural(capacity, 'place')}; {free} "
        f"{'stays' if free == 1 else 'stay'} free "
        "because no other fitting mentee was left."
    )
