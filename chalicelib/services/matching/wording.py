"""Why a pair was proposed, or someone left unmatched, in the programme's language and naming people.

The engine stores reasons as codes with parameters and ids only (``reason_record``);
this module writes them as sentences for the API's answers, in one of the languages
programmes run in, with people's names looked up at answer time. Nothing written here
is stored: a stored pair or run keeps ids, so erasing a person needs no rewrite of them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from babel import Locale
from babel.lists import format_list
from babel.units import format_unit

_LOCALES = {"sr": "sr_Latn"}

# Per language: the parts of a pair's explanation, then the unmatched reasons by code.
_PAIR: Mapping[str, Mapping[str, str]] = {
    "en": {
        "pair": "{mentee} and {mentor}: {reasons}.",
        "goals": "shared goals {goals}",
        "no_shared_goals": "none of the mentee's goals shared",
        "no_goals": "the mentee listed no goals",
        "languages": "both speak {languages}",
        "no_language": "no common language",
        "same_level": "as much experience as the mentee",
        "above": "the mentor has {years} more experience than the mentee",
        "below": "the mentor has {years} less experience than the mentee",
        "preferred": "preferred {range}",
        "same_zone": "same time zone",
        "zones": "time zones {hours} h apart",
        "topics": "covers the mentee's ranked topics {topics} (best ranked no. {rank})",
        "no_topics": "covers none of the mentee's ranked topics",
        "rank": "the mentee's choice no. {rank}",
        "waited": "waited {n} earlier round(s)",
    },
    "sl": {
        "pair": "{mentee} in {mentor}: {reasons}.",
        "goals": "skupni cilji {goals}",
        "no_shared_goals": "noben cilj mentoriranca ni skupen",
        "no_goals": "mentoriranec ni navedel ciljev",
        "languages": "skupni jeziki: {languages}",
        "no_language": "brez skupnega jezika",
        "same_level": "enako izkušenj kot mentoriranec",
        "above": "mentor ima {years} več izkušenj kot mentoriranec",
        "below": "mentor ima {years} manj izkušenj kot mentoriranec",
        "preferred": "zaželeno {range}",
        "same_zone": "isti časovni pas",
        "zones": "časovna pasova sta {hours} h narazen",
        "topics": "pokriva teme, ki jih je mentoriranec razvrstil: {topics} (najvišje na {rank}. mestu)",
        "no_topics": "ne pokriva nobene teme, ki jo je mentoriranec razvrstil",
        "rank": "mentoriranec ga je izbral kot {rank}. izbiro",
        "waited": "čakal že {n} krog(ov)",
    },
    "da": {
        "pair": "{mentee} og {mentor}: {reasons}.",
        "goals": "fælles mål {goals}",
        "no_shared_goals": "ingen af menteens mål er fælles",
        "no_goals": "menteen har ikke angivet mål",
        "languages": "begge taler {languages}",
        "no_language": "intet fælles sprog",
        "same_level": "lige så meget erfaring som menteen",
        "above": "mentoren har {years} mere erfaring end menteen",
        "below": "mentoren har {years} mindre erfaring end menteen",
        "preferred": "ønsket {range}",
        "same_zone": "samme tidszone",
        "zones": "tidszonerne er {hours} t fra hinanden",
        "topics": "dækker menteens rangerede emner {topics} (højest som nr. {rank})",
        "no_topics": "dækker ingen af menteens rangerede emner",
        "rank": "menteens {rank}. valg",
        "waited": "har ventet {n} tidligere runde(r)",
    },
    "sr": {
        "pair": "{mentee} i {mentor}: {reasons}.",
        "goals": "zajednički ciljevi {goals}",
        "no_shared_goals": "nijedan cilj mentorisane osobe nije zajednički",
        "no_goals": "mentorisana osoba nije navela ciljeve",
        "languages": "zajednički jezici: {languages}",
        "no_language": "bez zajedničkog jezika",
        "same_level": "jednako iskustva kao mentorisana osoba",
        "above": "mentor ima {years} više iskustva od mentorisane osobe",
        "below": "mentor ima {years} manje iskustva od mentorisane osobe",
        "preferred": "poželjno {range}",
        "same_zone": "ista vremenska zona",
        "zones": "vremenske zone su {hours} h razmaka",
        "topics": "pokriva teme koje je mentorisana osoba rangirala: {topics} (najviša na {rank}. mestu)",
        "no_topics": "ne pokriva nijednu temu koju je mentorisana osoba rangirala",
        "rank": "{rank}. izbor mentorisane osobe",
        "waited": "čeka već {n} krug(a)",
    },
    "lt": {
        "pair": "{mentee} ir {mentor}: {reasons}.",
        "goals": "bendri tikslai: {goals}",
        "no_shared_goals": "nė vienas ugdytinio tikslas nesutampa",
        "no_goals": "ugdytinis nenurodė tikslų",
        "languages": "bendros kalbos: {languages}",
        "no_language": "nėra bendros kalbos",
        "same_level": "tiek pat patirties kaip ugdytinis",
        "above": "mentorius turi {years} daugiau patirties nei ugdytinis",
        "below": "mentorius turi {years} mažiau patirties nei ugdytinis",
        "preferred": "pageidautina {range}",
        "same_zone": "ta pati laiko juosta",
        "zones": "laiko juostų skirtumas {hours} val.",
        "topics": "apima ugdytinio reitinguotas temas: {topics} (aukščiausia – {rank} vietoje)",
        "no_topics": "neapima nė vienos ugdytinio reitinguotos temos",
        "rank": "ugdytinio {rank}-as pasirinkimas",
        "waited": "laukė {n} ankstesnį(-ius) ratą(-us)",
    },
}

_UNMATCHED: Mapping[str, Mapping[str, str]] = {
    "en": {
        "duplicate_profile": "{name} is listed twice (the same e-mail); only one profile was used.",
        "no_mentor_places": "No mentor offers a place in this round, so {name} could not be matched.",
        "no_shared_language": "No mentor shares a language with {name}.",
        "no_compatible_mentor": "No mentor fits {name} under the programme's rules.",
        "no_compatible_mentee": "No mentee fits {name} under the programme's rules.",
        "mentors_full": "The mentors who fit {name} are full.",
        "not_selected": "Mentors who fit {name} still had places, but the solver did not use them.",
        "mentor_capacity_zero": "{name} offers no places in this round.",
        "no_mentees": "There are no mentees in this round for {name}.",
        "no_mentee_chose": "No mentee was assigned to {name}: those who fit were matched with other mentors.",
        "spare_capacity": "{name} has {free} place(s) free: no other fitting mentee was left.",
    },
    "sl": {
        "duplicate_profile": "{name} je prijavljen(a) dvakrat (isti e-naslov); upoštevan je le en profil.",
        "no_mentor_places": "V tem krogu noben mentor nima prostega mesta, zato {name} ni v paru.",
        "no_shared_language": "Noben mentor ne govori jezika, ki ga govori {name}.",
        "no_compatible_mentor": "Po pravilih programa {name} ne ustreza nobenemu mentorju.",
        "no_compatible_mentee": "Po pravilih programa {name} ne ustreza nobenemu mentorirancu.",
        "mentors_full": "Mentorji, ki ustrezajo osebi {name}, so zasedeni.",
        "not_selected": "Mentorji, ki ustrezajo osebi {name}, so še imeli mesta, a jih izbira ni uporabila.",
        "mentor_capacity_zero": "{name} v tem krogu ne ponuja mest.",
        "no_mentees": "V tem krogu ni mentorirancev za osebo {name}.",
        "no_mentee_chose": "Oseba {name} ni dobila mentoriranca: ustrezni so v parih z drugimi mentorji.",
        "spare_capacity": "{name} ima še {free} prosto(a) mesto(a): ustreznih mentorirancev ni več.",
    },
    "da": {
        "duplicate_profile": "{name} er tilmeldt to gange (samme e-mail); kun én profil er brugt.",
        "no_mentor_places": "Ingen mentor har en plads i denne runde, så {name} kunne ikke matches.",
        "no_shared_language": "Ingen mentor taler et sprog, som {name} taler.",
        "no_compatible_mentor": "Ingen mentor passer til {name} efter programmets regler.",
        "no_compatible_mentee": "Ingen mentee passer til {name} efter programmets regler.",
        "mentors_full": "De mentorer, der passer til {name}, er fuldt optaget.",
        "not_selected": "Mentorer, der passer til {name}, havde stadig pladser, men de blev ikke brugt.",
        "mentor_capacity_zero": "{name} tilbyder ingen pladser i denne runde.",
        "no_mentees": "Der er ingen mentees i denne runde til {name}.",
        "no_mentee_chose": "{name} fik ingen mentee: de, der passer, er matchet med andre mentorer.",
        "spare_capacity": "{name} har {free} ledig(e) plads(er): der var ingen flere passende mentees.",
    },
    "sr": {
        "duplicate_profile": "{name} je prijavljen(a) dvaput (ista e-adresa); korišćen je samo jedan profil.",
        "no_mentor_places": "Nijedan mentor nema mesta u ovom krugu, pa {name} nije u paru.",
        "no_shared_language": "Nijedan mentor ne govori jezik koji govori {name}.",
        "no_compatible_mentor": "Po pravilima programa, {name} ne odgovara nijednom mentoru.",
        "no_compatible_mentee": "Po pravilima programa, {name} ne odgovara nijednoj mentorisanoj osobi.",
        "mentors_full": "Mentori koji odgovaraju osobi {name} su popunjeni.",
        "not_selected": "Mentori koji odgovaraju osobi {name} su imali mesta, ali ih izbor nije iskoristio.",
        "mentor_capacity_zero": "{name} u ovom krugu ne nudi mesta.",
        "no_mentees": "U ovom krugu nema mentorisanih osoba za osobu {name}.",
        "no_mentee_chose": "{name} nije dobio/la mentorisanu osobu: odgovarajuće su u paru s drugima.",
        "spare_capacity": "{name} ima još {free} slobodnih mesta: nema više odgovarajućih osoba.",
    },
    "lt": {
        "duplicate_profile": "{name} užsiregistravo du kartus (tas pats el. paštas); naudotas tik vienas profilis.",
        "no_mentor_places": "Šiame rate nė vienas mentorius neturi vietos, todėl {name} liko be poros.",
        "no_shared_language": "Nė vienas mentorius nekalba kalba, kuria kalba {name}.",
        "no_compatible_mentor": "Pagal programos taisykles {name} netinka nė vienam mentoriui.",
        "no_compatible_mentee": "Pagal programos taisykles {name} netinka nė vienam ugdytiniui.",
        "mentors_full": "Mentoriai, tinkantys {name}, yra užimti.",
        "not_selected": "Mentoriai, tinkantys {name}, dar turėjo vietų, bet jos nepanaudotos.",
        "mentor_capacity_zero": "{name} šiame rate nesiūlo vietų.",
        "no_mentees": "Šiame rate nėra ugdytinių, kurie tiktų {name}.",
        "no_mentee_chose": "{name} negavo ugdytinio: tinkami ugdytiniai suporuoti su kitais mentoriais.",
        "spare_capacity": "{name} turi {free} laisvą(-as) vietą(-as): tinkamų ugdytinių nebeliko.",
    },
}

LANGUAGES = tuple(_PAIR)


def language_for(language: str | None) -> str:
    return language if language is not None and language in _PAIR else "en"


def pair_sentence(reasons: Sequence[Mapping[str, Any]], mentee: str, mentor: str, language: str | None) -> str:
    """Why ``mentee`` and ``mentor`` were paired, from the stored reason records."""
    lang = language_for(language)
    words = _PAIR[lang]
    parts: list[str] = []
    for record in reasons:
        params = record.get("params") or {}
        part = _pair_part(str(record.get("code")), params, words, lang)
        if part:
            parts.append(part)
    return words["pair"].format(mentee=mentee, mentor=mentor, reasons="; ".join(parts))


def _pair_part(code: str, params: Mapping[str, Any], words: Mapping[str, str], lang: str) -> str | None:
    if code == "shared_goals":
        goals = [str(g) for g in params.get("goals") or []]
        if goals:
            return words["goals"].format(goals=_list(goals, lang))
        return words["no_shared_goals"] if params.get("mentee_goal_count") else words["no_goals"]
    if code == "shared_languages":
        spoken = [_language_name(str(code), lang) for code in params.get("languages") or []]
        return words["languages"].format(languages=_list(spoken, lang)) if spoken else words["no_language"]
    if code == "seniority_gap":
        return _seniority_part(params, words, lang)
    if code == "timezone_gap":
        hours = params.get("hours")
        if hours is None:
            return None
        return words["same_zone"] if hours == 0 else words["zones"].format(hours=f"{float(hours):g}")
    if code == "ranked_topics":
        topics = [str(t) for t in params.get("topics") or []]
        if not topics:
            return words["no_topics"]
        return words["topics"].format(topics=_list(topics, lang), rank=params.get("best_rank"))
    if code == "ranked_choice":
        return words["rank"].format(rank=params.get("rank"))
    if code == "waited_before" and params.get("mentee_rounds"):
        return words["waited"].format(n=params.get("mentee_rounds"))
    return None


def _seniority_part(params: Mapping[str, Any], words: Mapping[str, str], lang: str) -> str | None:
    """Seniority is years of experience: the gap in years, and the programme's preferred gap."""
    gap = params.get("gap")
    if gap is None:
        return None
    if gap == 0:
        text = words["same_level"]
    else:
        years = format_unit(abs(int(gap)), "duration-year", length="long", locale=_LOCALES.get(lang, lang))
        text = words["above" if gap > 0 else "below"].format(years=years)
    lo, hi = params.get("preferred_min"), params.get("preferred_max")
    if lo is None or hi is None:
        return text
    preferred = f"{lo}–{hi}" if lo != hi else f"{lo}"
    return f"{text} ({words['preferred'].format(range=preferred)})"


def unmatched_sentence(code: str, params: Mapping[str, Any], name: str, language: str | None) -> str | None:
    """Why ``name`` was left unmatched (or with places free); None for a code without a text."""
    text = _UNMATCHED[language_for(language)].get(code)
    if text is None:
        return None
    return text.format(name=name, free=params.get("free", ""))


def _list(items: Sequence[str], lang: str) -> str:
    return str(format_list(list(items), locale=_LOCALES.get(lang, lang)))


def _language_name(code: str, lang: str) -> str:
    names = Locale.parse(_LOCALES.get(lang, lang)).languages
    return str(names.get(code) or code)


__all__ = ["LANGUAGES", "language_for", "pair_sentence", "unmatched_sentence"]
