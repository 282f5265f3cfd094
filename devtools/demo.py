"""Demo data for the local stack: one tenant running the five kinds of programme our users run.

A Serbian creative-sector yearly cycle, a Lithuanian organisational programme, a
Slovenian evergreen community programme, a Danish cross-company leadership network and
a Danish new-hire onboarding programme, each with a signup-form webhook endpoint and a
few applicants (mentors and mentees, names in their own scripts) and a named coordinator
who receives the daily digest in the programme's language. Every person and
address is invented; the e-mail domains are reserved example domains.

``DemoInfo`` is what a developer needs to try the API (the key, the programme ids, the
webhook URLs and secrets); the local stack keeps it in ``.data/demo.json`` so a re-run
reuses the same tenant instead of creating another.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from chalicelib.clock import Clock
from chalicelib.domain.forms.mapping import FieldMapping
from chalicelib.domain.participant import Consent, Participant, ParticipantStatus, Profile, Role, participant_id_for
from chalicelib.domain.programme import Programme
from chalicelib.domain.tenant import hash_api_key
from chalicelib.registry import source_registry
from chalicelib.services.endpoints import create_endpoint, endpoint_url
from chalicelib.services.programmes import create_programme
from chalicelib.services.tenants import bootstrap_tenant
from chalicelib.storage.repositories import Storage
from devtools.demo_forms import kit_mapping

DEMO_TENANT_NAME = "Demo: Nordisk-Balkansk Mentornetværk"


@dataclass(frozen=True)
class DemoEndpoint:
    endpoint_id: str
    source: str
    description: str
    url: str
    secret: str


@dataclass(frozen=True)
class DemoProgramme:
    programme_id: str
    name: str
    kind: str
    language: str
    participants: int
    endpoints: list[DemoEndpoint] = field(default_factory=list)


@dataclass(frozen=True)
class DemoInfo:
    """The demo tenant's ids and secrets; only ever written to the git-ignored ``.data`` folder."""

    tenant_id: str
    tenant_name: str
    api_key: str
    programmes: list[DemoProgramme]

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False, indent=2)

    @classmethod
    def from_json(cls, text: str) -> DemoInfo:
        data = json.loads(text)
        return cls(
            tenant_id=data["tenant_id"],
            tenant_name=data["tenant_name"],
            api_key=data["api_key"],
            programmes=[
                DemoProgramme(
                    **{k: v for k, v in p.items() if k != "endpoints"},
                    endpoints=[DemoEndpoint(**e) for e in p["endpoints"]],
                )
                for p in data["programmes"]
            ],
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(self.to_json(), encoding="utf-8")
        tmp.chmod(0o600)
        tmp.replace(path)

    @classmethod
    def load(cls, path: Path) -> DemoInfo | None:
        """The saved demo, or None when there is none or it cannot be read (it is then seeded again)."""
        try:
            return cls.from_json(path.read_text(encoding="utf-8"))
        except (OSError, ValueError, KeyError, TypeError):
            return None


@dataclass(frozen=True)
class DemoPerson:
    """An invented applicant: what they would answer in the programme's signup form."""

    role: Role
    name: str
    email: str
    languages: tuple[str, ...]
    tags: tuple[str, ...]
    seniority: int
    company: str | None = None
    department: str | None = None
    capacity: int | None = None

    def form_profile(self, language: str) -> dict[str, Any]:
        """Their answers by profile field, as a kit's signup mapping reads them (``devtools.demo_forms``)."""
        return {
            "email": self.email,
            "name": self.name,
            "language": language,
            "languages": list(self.languages),
            "company": self.company,
            "department": self.department,
            "seniority": self.seniority,
            "tags": list(self.tags),
            "capacity": self.capacity,
            "consent": True,
        }


@dataclass(frozen=True)
class ProgrammeSeed:
    """One sample programme: its settings as the API takes them, its form tools and its applicants."""

    fields: dict[str, Any]
    endpoints: tuple[tuple[str, str], ...]
    people: tuple[DemoPerson, ...]


def _milestone(kind: str, day: date, title: str, audience: str = "all") -> dict[str, Any]:
    return {"kind": kind, "date": day, "title": title, "audience": audience}


def _creative_cycle(year: int) -> ProgrammeSeed:
    mentor, mentee = Role.MENTOR, Role.MENTEE
    return ProgrammeSeed(
        fields={
            "name": f"Kreativni mentorski ciklus {year}/{year + 1}",
            "kind": "cohort",
            "cycle_start": date(year, 3, 2),
            "cycle_end": date(year + 1, 2, 26),
            "matching_date": date(year, 2, 16),
            "timezone": "Europe/Belgrade",
            "languages": ["sr", "en"],
            "default_language": "sr",
            "meeting_cadence_days": 30,
            "max_mentees": 20,
            "milestones": [
                _milestone("kick_off", date(year, 3, 7), "Početni susret mentorskih parova"),
                _milestone("mentor_gathering", date(year, 9, 12), "Okupljanje mentora na polovini ciklusa", "mentors"),
                _milestone("closing_event", date(year + 1, 2, 20), "Završna svečanost i predstavljanje radova"),
            ],
            "coordinator_email": "koordinacija@kreativni-ciklus.example.org",
            "coordinators": [
                {"name": "Vesna Milošević", "email": "koordinacija@kreativni-ciklus.example.org", "language": "sr"}
            ],
        },
        endpoints=(("typeform", "Prijava za mentore i mentorke (Typeform)"),),
        people=(
            DemoPerson(
                mentor,
                "Jelena Đorđević",
                "jelena.djordjevic@example.org",
                ("sr", "en"),
                ("filmska produkcija", "pisanje projekata"),
                12,
                "Studio Kadar",
                capacity=2,
            ),
            DemoPerson(
                mentor,
                "Милош Петровић",
                "milos.petrovic@example.org",
                ("sr",),
                ("ilustracija", "izdavaštvo"),
                15,
                "Атеље Линија",
                capacity=1,
            ),
            DemoPerson(
                mentee,
                "Ana Stojanović",
                "ana.stojanovic@example.net",
                ("sr", "en"),
                ("filmska produkcija", "festivali"),
                2,
                "Nezavisna scena",
            ),
            DemoPerson(mentee, "Nikola Živković", "nikola.zivkovic@example.net", ("sr",), ("ilustracija", "strip"), 1),
            DemoPerson(
                mentee,
                "Маја Јовановић",
                "maja.jovanovic@example.net",
                ("sr", "en"),
                ("pisanje projekata", "kulturna politika"),
                3,
            ),
        ),
    )


def _organisational(year: int) -> ProgrammeSeed:
    mentor, mentee = Role.MENTOR, Role.MENTEE
    return ProgrammeSeed(
        fields={
            "name": f"Mentorystės programa „Augame kartu“ {year}",
            "kind": "cohort",
            "cycle_start": date(year, 4, 1),
            "cycle_end": date(year, 11, 30),
            "matching_date": date(year, 3, 20),
            "timezone": "Europe/Vilnius",
            "languages": ["lt"],
            "default_language": "lt",
            "meeting_cadence_days": 21,
            "max_mentees": 30,
            "milestones": [
                _milestone("mentor_training", date(year, 3, 25), "Mentorių mokymai", "mentors"),
                _milestone("kick_off", date(year, 4, 8), "Programos atidarymas"),
                _milestone("mid_point_review", date(year, 7, 15), "Tarpinė pažangos peržiūra"),
                _milestone("closing_event", date(year, 11, 26), "Baigiamasis renginys"),
            ],
            "coordinator_email": "mentoryste@bendrove.example.com",
            "coordinators": [
                {"name": "Aistė Petrauskienė", "email": "mentoryste@bendrove.example.com", "language": "lt"}
            ],
        },
        endpoints=(("jotform", "Dalyvių registracijos forma (Jotform)"),),
        people=(
            DemoPerson(
                mentor,
                "Rūta Čiurlionytė",
                "ruta.ciurlionyte@bendrove.example.com",
                ("lt", "en"),
                ("lyderystė", "projektų valdymas"),
                14,
                "UAB Gintaras",
                "Operacijos",
                capacity=2,
            ),
            DemoPerson(
                mentor,
                "Mindaugas Kazlauskas",
                "mindaugas.kazlauskas@bendrove.example.com",
                ("lt",),
                ("finansai", "derybos"),
                11,
                "UAB Gintaras",
                "Finansai",
                capacity=2,
            ),
            DemoPerson(
                mentee,
                "Gintarė Žukauskaitė",
                "gintare.zukauskaite@bendrove.example.com",
                ("lt",),
                ("projektų valdymas",),
                3,
                "UAB Gintaras",
                "Rinkodara",
            ),
            DemoPerson(
                mentee,
                "Tomas Jankūnas",
                "tomas.jankunas@bendrove.example.com",
                ("lt", "en"),
                ("derybos", "lyderystė"),
                4,
                "UAB Gintaras",
                "Pardavimai",
            ),
            DemoPerson(
                mentee,
                "Eglė Šimkutė",
                "egle.simkute@bendrove.example.com",
                ("lt",),
                ("finansai",),
                2,
                "UAB Gintaras",
                "Operacijos",
            ),
        ),
    )


def _community(year: int) -> ProgrammeSeed:
    mentor, mentee = Role.MENTOR, Role.MENTEE
    return ProgrammeSeed(
        fields={
            "name": "Skupnostni mentorski program Povezani",
            "kind": "evergreen",
            "cycle_start": date(year, 1, 15),
            "timezone": "Europe/Ljubljana",
            "languages": ["sl"],
            "default_language": "sl",
            "meeting_cadence_days": 30,
            "milestones": [
                _milestone("mentor_gathering", date(year, 6, 18), "Poletno srečanje mentorjev", "mentors"),
            ],
            "coordinator_email": "povezani@skupnost.example.org",
            "coordinators": [{"name": "Mojca Kranjc", "email": "povezani@skupnost.example.org", "language": "sl"}],
        },
        endpoints=(("tally", "Prijavnica za mentorje in mentorirance (Tally)"),),
        people=(
            DemoPerson(
                mentor,
                "Tjaša Kovačič",
                "tjasa.kovacic@example.org",
                ("sl", "en"),
                ("podjetništvo", "trženje"),
                10,
                capacity=3,
            ),
            DemoPerson(
                mentor,
                "Matej Horvat",
                "matej.horvat@example.org",
                ("sl",),
                ("programiranje", "odprta koda"),
                8,
                capacity=2,
            ),
            DemoPerson(mentee, "Špela Zupančič", "spela.zupancic@example.net", ("sl",), ("podjetništvo",), 1),
            DemoPerson(mentee, "Žiga Novak", "ziga.novak@example.net", ("sl", "en"), ("programiranje",), 2),
        ),
    )


def _leadership_network(year: int) -> ProgrammeSeed:
    mentor, mentee = Role.MENTOR, Role.MENTEE
    return ProgrammeSeed(
        fields={
            "name": f"Tværgående Ledernetværk {year}–{year + 1}",
            "kind": "cohort",
            "cycle_start": date(year, 9, 1),
            "cycle_end": date(year + 1, 6, 15),
            "matching_date": date(year, 8, 20),
            "timezone": "Europe/Copenhagen",
            "languages": ["da", "en"],
            "default_language": "da",
            "meeting_cadence_days": 30,
            "max_mentees": 24,
            "matching": {"cross_company": True},
            "milestones": [
                _milestone("kick_off", date(year, 9, 10), "Opstartsmøde for netværket"),
                _milestone("supervision", date(year + 1, 1, 14), "Supervision for mentorer", "mentors"),
                _milestone("closing_event", date(year + 1, 6, 10), "Afslutning og erfaringsdeling"),
            ],
            "coordinator_email": "netvaerk@ledernetvaerk.example.com",
            "coordinators": [{"name": "Helle Holm", "email": "netvaerk@ledernetvaerk.example.com", "language": "da"}],
        },
        endpoints=(
            ("google-forms", "Tilmelding via Google Forms"),
            ("standard", "Tilmelding via Microsoft Forms og Power Automate"),
        ),
        people=(
            DemoPerson(
                mentor,
                "Søren Ærø",
                "soeren.aeroe@nordlys.example.com",
                ("da", "en"),
                ("strategi", "forandringsledelse"),
                18,
                "Nordlys A/S",
                "Direktionen",
                capacity=2,
            ),
            DemoPerson(
                mentor,
                "Mette Kjærgaard",
                "mette.kjaergaard@havnegaarden.example.com",
                ("da",),
                ("økonomistyring", "ledelse af ledere"),
                16,
                "Havnegaarden ApS",
                "Økonomi",
                capacity=1,
            ),
            DemoPerson(
                mentee,
                "Jens Østergård",
                "jens.oestergaard@nordlys.example.com",
                ("da",),
                ("ledelse af ledere",),
                8,
                "Nordlys A/S",
                "Produktion",
            ),
            DemoPerson(
                mentee,
                "Ida Løkke",
                "ida.loekke@boelge.example.com",
                ("da", "en"),
                ("forandringsledelse", "strategi"),
                7,
                "Bølge Energi A/S",
                "Projekter",
            ),
            DemoPerson(
                mentee,
                "Astrid Nørgaard",
                "astrid.noergaard@havnegaarden.example.com",
                ("da",),
                ("strategi",),
                6,
                "Havnegaarden ApS",
                "Salg",
            ),
        ),
    )


def _onboarding(year: int) -> ProgrammeSeed:
    mentor, mentee = Role.MENTOR, Role.MENTEE
    return ProgrammeSeed(
        fields={
            "name": f"Onboarding-makker for nye medarbejdere, efterår {year}",
            "kind": "cohort",
            "cycle_start": date(year, 9, 1),
            "cycle_end": date(year, 11, 27),
            "matching_date": date(year, 8, 25),
            "timezone": "Europe/Copenhagen",
            "languages": ["da"],
            "default_language": "da",
            "meeting_cadence_days": 14,
            "max_mentees": 15,
            "milestones": [
                _milestone("mentee_preparation", date(year, 8, 28), "Velkomstpakke og forberedelse", "mentees"),
                _milestone("kick_off", date(year, 9, 2), "Første dag med makkeren"),
                _milestone("mid_point_review", date(year, 10, 14), "Status efter seks uger"),
                _milestone("closing_event", date(year, 11, 25), "Afslutning af onboarding"),
            ],
            "coordinator_email": "hr@nordlys.example.com",
            "coordinators": [{"name": "Lars Bech", "email": "hr@nordlys.example.com", "language": "da"}],
        },
        endpoints=(("standard", "Nyansat-formular via Microsoft Forms og Power Automate"),),
        people=(
            DemoPerson(
                mentor,
                "Birgitte Bødker",
                "birgitte.boedker@nordlys.example.com",
                ("da", "en"),
                ("kundeservice", "interne systemer"),
                9,
                "Nordlys A/S",
                "Kundeservice",
                capacity=2,
            ),
            DemoPerson(
                mentor,
                "Anders Thøgersen",
                "anders.thoegersen@nordlys.example.com",
                ("da",),
                ("lager og logistik",),
                12,
                "Nordlys A/S",
                "Logistik",
                capacity=1,
            ),
            DemoPerson(
                mentee,
                "Freja Dahl",
                "freja.dahl@nordlys.example.com",
                ("da",),
                ("kundeservice",),
                0,
                "Nordlys A/S",
                "Salg",
            ),
            DemoPerson(
                mentee,
                "Mikkel Strøm",
                "mikkel.stroem@nordlys.example.com",
                ("da", "en"),
                ("interne systemer",),
                1,
                "Nordlys A/S",
                "IT",
            ),
        ),
    )


def programme_seeds(year: int) -> list[ProgrammeSeed]:
    return [
        _creative_cycle(year),
        _organisational(year),
        _community(year),
        _leadership_network(year),
        _onboarding(year),
    ]


def mapping_template(source: str) -> FieldMapping:
    """The platform kit's mentee-signup field mapping for a form source."""
    return FieldMapping.model_validate(kit_mapping(source, "mentee"))


def seed_demo(storage: Storage, clock: Clock, base_url: str) -> DemoInfo:
    """Create the demo tenant, its API key, the five programmes, their endpoints and applicants."""
    now = clock.now()
    tenant, issued_key = bootstrap_tenant(storage, name=DEMO_TENANT_NAME, clock=clock, key_name="local demo")
    programmes = []
    for seed in programme_seeds(now.year):
        programme = create_programme(storage, tenant_id=tenant.tenant_id, fields=seed.fields, clock=clock)
        endpoints = []
        for source, description in seed.endpoints:
            issued = create_endpoint(
                storage,
                tenant_id=tenant.tenant_id,
                programme_id=programme.programme_id,
                source=source,
                description=description,
                base_url=base_url,
                clock=clock,
                sources=source_registry(),
            )
            # The kit's mentee-signup template, so a test submission from the platform onboards at once.
            configured = issued.endpoint
            configured.field_mapping = mapping_template(source)
            storage.endpoints.save(configured)
            endpoints.append(
                DemoEndpoint(
                    endpoint_id=issued.endpoint.endpoint_id,
                    source=source,
                    description=description,
                    url=issued.url,
                    secret=issued.secret,
                )
            )
        for person in seed.people:
            storage.participants.save(_participant(programme, person, clock))
        programmes.append(
            DemoProgramme(
                programme_id=programme.programme_id,
                name=programme.name,
                kind=programme.kind.value,
                language=programme.default_language,
                participants=len(seed.people),
                endpoints=endpoints,
            )
        )
    return DemoInfo(
        tenant_id=tenant.tenant_id, tenant_name=tenant.name, api_key=issued_key.secret, programmes=programmes
    )


def _participant(programme: Programme, person: DemoPerson, clock: Clock) -> Participant:
    now = clock.now()
    profile = Profile(
        role=person.role,
        email=person.email,
        name=person.name,
        language=programme.default_language,
        timezone=programme.timezone,
        company=person.company,
        department=person.department,
        seniority=person.seniority,
        tags=list(person.tags),
        languages=list(person.languages),
        capacity=person.capacity,
        consent=Consent(given=True, at=now, text_version="demo-1"),
    )
    participant = Participant(
        participant_id=participant_id_for(programme.tenant_id, programme.programme_id, profile.email),
        tenant_id=programme.tenant_id,
        programme_id=programme.programme_id,
        profile=profile,
        profile_submitted_at=now,
        created_at=now,
        updated_at=now,
    )
    # As if they had signed up through the form: accepted and waiting for the matching run.
    participant.move_to(ParticipantStatus.ACCEPTED, at=now, reason="signed up")
    return participant


def still_stored(storage: Storage, demo: DemoInfo) -> bool:
    """Whether the saved demo is still in the database (a wiped or in-memory database means seed again)."""
    if storage.tenants.get(demo.tenant_id) is None:
        return False
    key = storage.tenants.key_by_hash(hash_api_key(demo.api_key))
    if key is None or not key.active or key.tenant_id != demo.tenant_id:
        return False
    stored = {p.programme_id for p in storage.programmes.list(demo.tenant_id)}
    if not {p.programme_id for p in demo.programmes} <= stored:
        return False
    return all(storage.endpoints.get(e.endpoint_id) is not None for p in demo.programmes for e in p.endpoints)


def with_base_url(storage: Storage, demo: DemoInfo, base_url: str) -> DemoInfo:
    """The same demo with its webhook URLs built for ``base_url`` (the port can differ between runs)."""
    programmes = []
    for programme in demo.programmes:
        endpoints = []
        for saved in programme.endpoints:
            endpoint = storage.endpoints.get(saved.endpoint_id)
            url = (
                saved.url
                if endpoint is None
                else endpoint_url(base_url, endpoint, saved.secret, sources=source_registry())
            )
            endpoints.append(DemoEndpoint(**{**asdict(saved), "url": url}))
        programmes.append(DemoProgramme(**{**asdict(programme), "endpoints": endpoints}))
    return DemoInfo(tenant_id=demo.tenant_id, tenant_name=demo.tenant_name, api_key=demo.api_key, programmes=programmes)
