"""``make demo``: the five sample programmes through a whole cycle on a simulated clock.

Everything goes through the app's own routes and jobs, in one process, against a store
of its own (DynamoDB Local in memory when Java and the jar are there, with a fresh table
each run, so it runs beside ``make run`` and runs twice; else the in-memory store the
functional tests use, which is held to the same contract). ``--store moto`` is there too,
but moto sorts a whole table for every index query: the cycle takes minutes on it.

Ninety days pass in ticks at 06:00 and 14:00 UTC; at each tick the jobs of
``chalicelib.jobs.JOBS`` that their schedules make due run, as EventBridge would run
them, and at 14:00 people act:

- day 0-2: people sign up through each programme's form tool (signed vendor payloads);
- day 3: the mentor training is announced; mentors answer yes or no by the e-mail's link;
- day 12: the programme's matching date (the scheduled job proposes), day 13 the coordinator approves;
- from day 15: pairs book meetings through Cal.com, the next one after each; one pair per programme
  never does, is nudged up the ladder and the coordinator is told;
- surveys are answered through the page (mentees) and through a form tool (mentors);
- day 60: the closing event is announced for day 75; day 76 the coordinator completes the pairs;
- day 90: each programme's figures from ``GET /api/v1/programmes/{id}/figures``.

The e-mails land as ``.eml`` files in the outbox folder it prints. Every person is invented.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import io
import json
import re
import secrets
import sys
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from devtools.demo import DEMO_TENANT_NAME, DemoPerson, ProgrammeSeed, programme_seeds
from devtools.demo_forms import WebhookPost, calcom_booking_post, kit_mapping, signup_post, survey_form_post

REPO_ROOT = Path(__file__).resolve().parents[1]
V1 = "/api/v1"
# The links in the demo's e-mails are signed with a key of this run only: they are to read, not to open.
BASE_URL = "https://demo.mentorflow.example.org"
START = datetime(2027, 3, 1, tzinfo=UTC)
DAYS = 90
DEFAULT_APPLICANTS = 12
TICK_HOURS = (6, 14)
TRAINING_ANNOUNCED, TRAINING_DAY = 3, 11
MATCHING_DAY, APPROVAL_DAY = 12, 13
FIRST_MEETING_DAY = 20
CLOSING_ANNOUNCED, CLOSING_DAY, END_DAY = 60, 75, 76
LAST_MEETING_DAY = END_DAY - 3
FORM = {"Content-Type": "application/x-www-form-urlencoded"}
_LINK = re.compile(re.escape(BASE_URL) + r"(/links/[A-Za-z0-9_\-.]+)")


def _day(number: int, hour: int = 0) -> datetime:
    return START + timedelta(days=number, hours=hour)


def _chance(*parts: str) -> int:
    """A number 0-99 fixed by its inputs, so every run of the demo makes the same choices."""
    return int(hashlib.sha256("|".join(parts).encode()).hexdigest()[:8], 16) % 100


@dataclass
class ProgrammeRun:
    """One programme as its coordinator drives it: ids, endpoints, who is who, what was already answered."""

    seed: ProgrammeSeed
    programme_id: str = ""
    language: str = ""
    cadence: int = 30
    signup: dict[str, tuple[str, str]] = field(default_factory=dict)
    meetings: tuple[str, str] = ("", "")
    survey_form: tuple[str, str] = ("", "")
    people: dict[str, DemoPerson] = field(default_factory=dict)
    pairs: list[dict[str, Any]] = field(default_factory=list)
    silent_pair: str | None = None
    events: dict[str, str] = field(default_factory=dict)
    latest_event: str = ""
    said_yes: dict[str, set[str]] = field(default_factory=dict)
    handled: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return str(self.seed.fields["name"])


@dataclass
class CycleResult:
    """What the demo prints: each programme's figures, its e-mails, and the outbox."""

    programmes: list[dict[str, Any]]
    outbox: Path
    eml_by_language: dict[str, int]
    job_failures: list[str]
    seconds: float


class OutboxTally:
    """The file outbox, keeping what it wrote so the demo's people can read their mail and it can be counted."""

    def __init__(self, folder: Path) -> None:
        from chalicelib.notify.channels import FileEmailChannel

        self.folder = folder
        self._files = FileEmailChannel(folder)
        self.written: list[Any] = []

    def send(self, message: Any, *, sender: str) -> str:
        provider_id = self._files.send(message, sender=sender)
        self.written.append(message)
        return provider_id

    def of(self, programme_id: str) -> list[tuple[str, str]]:
        return [(m.language, m.template) for m in self.written if m.programme_id == programme_id]


# Invented first and last names per programme language, for the applicants added to each seed's few.
NAMES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "sr": (("Milica", "Stefan", "Jovana", "Luka", "Teodora", "Vuk"), ("Marković", "Ilić", "Pavlović", "Nikolić")),
    "lt": (("Austėja", "Lukas", "Ieva", "Matas", "Gabija", "Jonas"), ("Kazlauskas", "Petrauskas", "Vaitkus")),
    "sl": (("Nina", "Jure", "Maja", "Tilen", "Eva", "Luka"), ("Krajnc", "Potočnik", "Mlakar", "Vidmar")),
    "da": (("Sofie", "Rasmus", "Emma", "Mads", "Clara", "Jonas"), ("Jensen", "Nielsen", "Hansen", "Møller")),
}


def with_applicants(seed: ProgrammeSeed, extra: int) -> ProgrammeSeed:
    """The seed with ``extra`` more invented applicants, a third of them mentors, like its own in kind."""
    from dataclasses import replace

    from chalicelib.domain.participant import Role

    language = str(seed.fields["default_language"])
    first, last = NAMES[language]
    tags = sorted({tag for person in seed.people for tag in person.tags})
    companies = sorted({p.company for p in seed.people if p.company}) or [None]
    people = list(seed.people)
    for n in range(extra):
        mentor = n % 3 == 0
        name = f"{first[n % len(first)]} {last[(n // len(first) + n) % len(last)]}"
        people.append(
            DemoPerson(
                role=Role.MENTOR if mentor else Role.MENTEE,
                name=name,
                email=f"applicant{n + 1}.{language}@example.net",
                languages=(language,),
                tags=(tags[n % len(tags)], tags[(n + 1) % len(tags)]),
                seniority=12 if mentor else 2,
                company=companies[n % len(companies)],
                capacity=2 if mentor else None,
            )
        )
    return replace(seed, people=tuple(people))


def redated(fields: dict[str, Any], matching_day: date) -> dict[str, Any]:
    """The seed's settings moved in time so its matching date falls on the demo's matching day."""
    anchor = fields.get("matching_date") or fields["cycle_start"]
    delta = matching_day - anchor
    moved = dict(fields, matching_date=matching_day)
    for key in ("cycle_start", "cycle_end"):
        if fields.get(key):
            moved[key] = fields[key] + delta
    moved["milestones"] = [dict(m, date=m["date"] + delta) for m in fields.get("milestones", [])]
    return moved


class Demo:
    """The demo's coordinators, people and scheduler over one Chalice test client and simulated clock."""

    def __init__(
        self, client: Any, container: Any, clock: Any, api_key: str, tenant_id: str, outbox: OutboxTally
    ) -> None:
        from chalicelib.jobs import JOBS, run_job
        from devtools.scheduler import LocalScheduler

        self.client = client
        self.outbox = outbox
        self.container = container
        self.clock = clock
        self.tenant_id = tenant_id
        self.headers = {"Authorization": f"Bearer {api_key}", "Content-Type": "application/json"}
        self.failures: list[str] = []
        self.scheduler = LocalScheduler(
            JOBS, lambda name: run_job(name, container), clock=lambda: clock.now().timestamp()
        )
        self.runs: list[ProgrammeRun] = []

    # -- the coordinator's API --------------------------------------------------------------

    def api(self, method: str, path: str, body: Any = None) -> Any:
        send = getattr(self.client.http, method)
        kwargs = {} if method == "get" else {"body": json.dumps(body or {}, default=str, ensure_ascii=False)}
        answer = send(V1 + path, headers=self.headers, **kwargs)
        if answer.status_code >= 300:
            raise RuntimeError(f"{method.upper()} {path} answered {answer.status_code}: {answer.body[:300]!r}")
        return answer.json_body

    def post_webhook(self, post: WebhookPost) -> Any:
        answer = self.client.http.post(post.path, headers=post.headers, body=post.body)
        if answer.status_code >= 300:
            raise RuntimeError(f"webhook {post.path.split('?')[0]} answered {answer.status_code}")
        return answer.json_body

    def at(self, moment: datetime) -> None:
        self.clock.set(moment)

    def tick(self) -> None:
        for outcome in self.scheduler.tick(self.clock.now().timestamp()):
            if not outcome.ok:
                self.failures.append(f"{self.clock.now():%Y-%m-%d %H:%M} {outcome.describe()}")

    # -- setting up ---------------------------------------------------------------------------

    def create_programme(self, seed: ProgrammeSeed) -> ProgrammeRun:
        run = ProgrammeRun(seed=seed)
        fields = redated(seed.fields, (START + timedelta(days=MATCHING_DAY)).date())
        created = self.api("post", "/programmes", fields)
        run.programme_id = created["programme_id"]
        run.language = created["default_language"]
        run.cadence = created["meeting_cadence_days"]
        source = seed.endpoints[0][0]
        for role in ("mentor", "mentee"):
            issued = self.endpoint(run, source, "signup", f"{role} signup")
            self.client.http.put(
                f"{V1}/endpoints/{issued[0]}/mapping", headers=self.headers, body=json.dumps(kit_mapping(source, role))
            )
            run.signup[role] = issued
        run.meetings = self.endpoint(run, "calcom", "meetings", "Cal.com bookings")
        run.survey_form = self.endpoint(run, "standard", "survey", "Survey form")
        self.runs.append(run)
        return run

    def endpoint(self, run: ProgrammeRun, source: str, purpose: str, description: str) -> tuple[str, str]:
        body = {"programme_id": run.programme_id, "source": source, "purpose": purpose, "description": description}
        issued = self.api("post", "/endpoints", body)
        return issued["endpoint"]["endpoint_id"], issued["secret"]

    # -- people acting ------------------------------------------------------------------------

    def sign_up(self, run: ProgrammeRun, number: int, person: DemoPerson) -> None:
        role = person.role.value
        endpoint_id, secret = run.signup[role]
        source = run.seed.endpoints[0][0]
        post = signup_post(
            source,
            endpoint_id,
            secret,
            kit_mapping(source, role),
            person.form_profile(run.language),
            number=number,
            at=self.clock.now(),
        )
        answer = self.post_webhook(post)
        if answer.get("state") != "done":
            raise RuntimeError(f"a signup to {run.name} was not onboarded: {answer.get('state')}")
        run.people[person.email] = person

    def messages(self, run: ProgrammeRun, template: str) -> Iterator[tuple[str, Any, int]]:
        """Messages of ``template`` the programme's people received and have not acted on yet, oldest first.

        Each comes with a number 0-99 fixed by who got it, what and when: the person's mood.
        """
        for message in self.outbox.written:
            if message.programme_id != run.programme_id or message.template != template:
                continue
            if message.participant_id is None or message.message_id in run.handled:
                continue
            run.handled.add(message.message_id)
            mood = _chance(message.recipient, template, f"{message.created_at:%Y%m%d}")
            yield message.participant_id, message, mood

    def answer_invitations(self, run: ProgrammeRun) -> None:
        for participant_id, message, mood in self.messages(run, "event_invitation"):
            path = _link(message.body_text)
            yes = mood >= 15
            self.client.http.get(path)
            self.client.http.post(path, headers=FORM, body=urlencode({"rsvp": "yes" if yes else "no"}))
            if yes:
                # Invitations are answered the day they arrive, so they are of the latest event announced.
                run.said_yes.setdefault(run.latest_event, set()).add(participant_id)

    def answer_surveys(self, run: ProgrammeRun) -> None:
        pairs_of = {p[role]: p["pair_id"] for p in run.pairs for role in ("mentor_id", "mentee_id")}
        for template in ("survey_request", "survey_reminder"):
            for participant_id, message, mood in self.messages(run, template):
                if mood < 20:
                    continue
                silent = pairs_of.get(participant_id) == run.silent_pair
                rating = 3 if silent else 6 + mood % 5
                comment = "Hard to find time." if silent else "Good conversations."
                self.answer_survey(run, participant_id, message, rating, not silent, comment)

    def answer_survey(
        self, run: ProgrammeRun, participant_id: str, message: Any, rating: int, good_fit: bool, comment: str
    ) -> None:
        mentor = any(p["mentor_id"] == participant_id for p in run.pairs)
        if not mentor:
            path = _link(message.body_text)
            self.client.http.get(path)
            fields = {"rating": str(rating), "good_fit": "yes" if good_fit else "no", "comment": comment}
            self.client.http.post(path, headers=FORM, body=urlencode(fields))
            return
        storage = self.container.storage
        open_requests = [
            r
            for r in storage.surveys.requests(self.tenant_id, run.programme_id)
            if r.participant_id == participant_id and not r.answered
        ]
        for request in open_requests:
            endpoint_id, secret = run.survey_form
            post = survey_form_post(
                endpoint_id,
                secret,
                survey_id=request.survey_id,
                rating=rating,
                good_fit=good_fit,
                comment=comment,
                at=self.clock.now(),
            )
            self.post_webhook(post)

    # -- the coordinator acting ---------------------------------------------------------------

    def announce(self, run: ProgrammeRun, kind: str, title: str, audience: str, day: int) -> None:
        starts = _day(day, 16)
        body = {
            "kind": kind,
            "title": title,
            "audience": audience,
            "starts_at": starts.isoformat(),
            "ends_at": (starts + timedelta(hours=2)).isoformat(),
            "place": "Online",
            "reminder_days": [7, 1],
        }
        run.latest_event = kind
        run.events[kind] = self.api("post", f"/programmes/{run.programme_id}/events", body)["event"]["event_id"]

    def record_attendance(self, run: ProgrammeRun, kind: str) -> None:
        event_id = run.events[kind]
        came = sorted(run.said_yes.get(kind, set()))
        # Someone who said yes always stays away.
        attended = {pid: True for pid in came[1:]} if len(came) > 1 else {pid: True for pid in came}
        if attended:
            self.api("post", f"/programmes/{run.programme_id}/events/{event_id}/attendance", {"attended": attended})

    def approve(self, run: ProgrammeRun) -> None:
        proposed = self.api("get", f"/programmes/{run.programme_id}/pairs?status=proposed&limit=500")["items"]
        for pair in proposed:
            self.api("post", f"/programmes/{run.programme_id}/pairs/{pair['pair_id']}/approve")
        run.pairs = self.api("get", f"/programmes/{run.programme_id}/pairs?status=approved&limit=500")["items"]
        emails = {
            p["participant_id"]: p["profile"]["email"]
            for p in self.api("get", f"/programmes/{run.programme_id}/participants?limit=500")["items"]
        }
        for pair in run.pairs:
            pair["mentor_email"], pair["mentee_email"] = emails[pair["mentor_id"]], emails[pair["mentee_id"]]
        if run.pairs:
            run.silent_pair = min(run.pairs, key=lambda p: p["mentee_email"])["pair_id"]

    def book_meetings(self, run: ProgrammeRun, day: int) -> None:
        """Each pair but the silent one books its first meeting five days ahead, then the next the day after each.

        Pairs that book ahead are never nudged: the silent pair alone climbs the ladder.
        """
        booking = {FIRST_MEETING_DAY - 5: FIRST_MEETING_DAY}
        held = FIRST_MEETING_DAY
        while held < LAST_MEETING_DAY:
            # The last meeting falls just before the end, however the cadence divides the cycle.
            booking[held + 1] = held = min(held + run.cadence, LAST_MEETING_DAY)
        if day not in booking:
            return
        meeting_day = booking[day]
        endpoint_id, secret = run.meetings
        for pair in run.pairs:
            if pair["pair_id"] == run.silent_pair:
                continue
            post = calcom_booking_post(
                endpoint_id,
                secret,
                uid=f"{pair['pair_id']}-{meeting_day}",
                organizer=pair["mentor_email"],
                attendee=pair["mentee_email"],
                starts_at=_day(meeting_day, 15),
                booked_at=self.clock.now(),
            )
            self.post_webhook(post)

    def complete_pairs(self, run: ProgrammeRun) -> None:
        for status in ("approved", "active"):
            running = self.api("get", f"/programmes/{run.programme_id}/pairs?status={status}&limit=500")["items"]
            for pair in running:
                body = {"outcome": "completed", "reason": "cycle ended"}
                self.api("post", f"/programmes/{run.programme_id}/pairs/{pair['pair_id']}/end", body)

    # -- the day's story ----------------------------------------------------------------------

    def act(self, day: int) -> None:
        """What people and coordinators do at the 14:00 tick of ``day``."""
        for run in self.runs:
            if day < 3:
                for number, person in enumerate(run.seed.people):
                    if number % 3 == day:
                        self.sign_up(run, number, person)
            if day == TRAINING_ANNOUNCED:
                self.announce(run, "mentor_training", "Mentor training", "mentors", TRAINING_DAY)
            if day == TRAINING_DAY:
                self.record_attendance(run, "mentor_training")
            if day == APPROVAL_DAY:
                self.approve(run)
            if day == CLOSING_ANNOUNCED:
                self.announce(run, "closing", "Closing", "all", CLOSING_DAY)
            if day == CLOSING_DAY:
                self.record_attendance(run, "closing")
            if day == END_DAY:
                self.complete_pairs(run)
            if run.pairs and day < END_DAY:
                self.book_meetings(run, day)
            self.answer_invitations(run)
            self.answer_surveys(run)

    def run(self, days: int = DAYS) -> None:
        for day in range(days + 1):
            for hour in TICK_HOURS:
                self.at(_day(day, hour))
                self.tick()
                if hour == TICK_HOURS[-1]:
                    # What people do now goes out at the next tick, as the sender's schedule would have it.
                    self.act(day)


def _link(text: str) -> str:
    found = _LINK.search(text)
    if found is None:
        raise RuntimeError("a message that should carry a link has none")
    return found.group(1)


def programme_report(demo: Demo, run: ProgrammeRun, outbox: OutboxTally) -> dict[str, Any]:
    """The programme's figures from the API, with its nudges and e-mails counted as the outbox wrote them."""
    figures = demo.api("get", f"/programmes/{run.programme_id}/figures")
    exported = demo.client.http.get(f"{V1}/programmes/{run.programme_id}/exports/answers", headers=demo.headers)
    answers = csv.DictReader(io.StringIO(exported.body.decode("utf-8")))
    written = outbox.of(run.programme_id)
    templates = Counter(template for _language, template in written)
    return {
        "programme_id": run.programme_id,
        "name": run.name,
        "language": run.language,
        "cadence_days": run.cadence,
        "figures": figures,
        "nudges_sent": templates["nudge"],
        "nudges_escalated": templates["nudge_coordinator"],
        "emails_by_language": dict(Counter(language for language, _template in written)),
        "emails_by_template": dict(templates),
        "answers_by_channel": dict(Counter(row["channel"] for row in answers if row["answered_at"])),
    }


def eml_languages(outbox: Path) -> dict[str, int]:
    """How many ``.eml`` files of the outbox are in each language (their ``Content-Language``)."""
    counts: Counter[str] = Counter()
    for path in outbox.glob("*.eml"):
        with path.open("rb") as stream:
            head = stream.read(4096).decode("utf-8", "replace")
        found = re.search(r"^Content-Language: *(\S+)", head, re.MULTILINE)
        counts[found.group(1) if found else "?"] += 1
    return dict(sorted(counts.items()))


def run_cycle(storage: Any, outbox: Path, *, extra_applicants: int = 0) -> CycleResult:
    """Bootstrap the demo tenant in ``storage`` and run the whole cycle; the e-mails go to ``outbox``.

    Each programme has its seed's applicants and ``extra_applicants`` more.
    """
    from chalice.test import Client

    from app import app
    from chalicelib.clock import FixedClock
    from chalicelib.container import Container, use_container
    from chalicelib.services.tenants import bootstrap_tenant
    from chalicelib.settings import Settings

    began = time.monotonic()
    clock = FixedClock(_day(0, 5))
    settings = Settings(
        stage="local",
        public_base_url=BASE_URL,
        email_channel="file",
        outbox_dir=str(outbox),
        link_keys=secrets.token_urlsafe(32),
        sender_email="demo@mentorflow.example.org",
    )
    tally = OutboxTally(outbox)
    container = Container(settings=settings, clock=clock, _storage=storage, _channel=tally)
    use_container(container)
    try:
        tenant, key = bootstrap_tenant(storage, name=DEMO_TENANT_NAME, clock=clock, key_name="demo cycle")
        with Client(app, stage_name="local") as client:
            demo = Demo(client, container, clock, key.secret, tenant.tenant_id, tally)
            for seed in programme_seeds(START.year):
                demo.create_programme(with_applicants(seed, extra_applicants))
            demo.run()
            reports = [programme_report(demo, run, tally) for run in demo.runs]
    finally:
        use_container(None)
    return CycleResult(
        programmes=reports,
        outbox=outbox,
        eml_by_language=eml_languages(outbox),
        job_failures=demo.failures,
        seconds=round(time.monotonic() - began, 1),
    )


# -- printing -----------------------------------------------------------------------------------


def _number(value: Any, suffix: str = "") -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:g}{suffix}"
    return f"{value}{suffix}"


def figure_rows(report: dict[str, Any]) -> list[tuple[str, str]]:
    """The rows of one programme's table."""
    f = report["figures"]
    total = f["feedback"]["total"]
    channels = report["answers_by_channel"]
    share = f["matched_share"]
    rows = [
        ("signups", f"{f['mentees'] + f['mentors']} ({f['mentors']} mentors, {f['mentees']} mentees)"),
        ("matched share", "-" if share is None else f"{share:.0%} ({f['matched_mentees']} of {f['mentees']} mentees)"),
        ("days to first meeting (median)", _number(f["median_days_to_first_meeting"])),
        ("meetings per pair", f"{_number(f['meetings_per_pair'])} (cadence {report['cadence_days']} days)"),
        ("meetings against cadence", _number(f["meetings_against_cadence"])),
        ("silent pairs (running)", _number(f["silent_pairs"])),
        ("nudges sent / escalated", f"{report['nudges_sent']} / {report['nudges_escalated']}"),
        (
            "survey response rate",
            "-"
            if total["response_rate"] is None
            else f"{total['response_rate']:.0%} ({total['answered']} of {total['asked']})",
        ),
        ("answered on the page / in a form", f"{channels.get('link', 0)} / {channels.get('form', 0)}"),
        ("mean satisfaction (0-10)", _number(total["mean_rating"])),
        ("NPS", _number(total["nps"])),
    ]
    for event in f["events"]:
        rows.append(
            (
                f"event {event['kind']}",
                f"{event['attended']} came of {event['invited']} invited ({event['yes']} said yes)",
            )
        )
    languages = ", ".join(f"{lang} {n}" for lang, n in sorted(report["emails_by_language"].items()))
    rows.append(("e-mails sent", languages or "-"))
    return rows


def render(result: CycleResult) -> str:
    lines = []
    for report in result.programmes:
        lines.append(f"{report['name']} [{report['language']}]")
        rows = figure_rows(report)
        width = max(len(label) for label, _ in rows)
        lines.extend(f"  {label:<{width}}  {value}" for label, value in rows)
        lines.append("")
    by_language = ", ".join(f"{lang} {n}" for lang, n in result.eml_by_language.items())
    lines.append(f"E-mails written: {sum(result.eml_by_language.values())} .eml files in {result.outbox}")
    lines.append(f"  by language: {by_language}")
    if result.job_failures:
        lines.append("Jobs that failed:")
        lines.extend(f"  {failure}" for failure in result.job_failures)
    lines.append(f"{DAYS} simulated days in {result.seconds} s.")
    return "\n".join(lines)


# -- the store ----------------------------------------------------------------------------------


@contextmanager
def demo_storage(kind: str, log_dir: Path) -> Iterator[tuple[Any, str]]:
    """A fresh table in DynamoDB Local (in memory) or moto, or the in-memory store; and what it is."""
    from devtools.dynamodb_local import DynamoDBLocal, find_jar, java_available

    local = find_jar(REPO_ROOT) is not None and java_available()
    if kind == "dynamodb-local" and not local:
        raise RuntimeError("DynamoDB Local needs Java and the jar (`make setup`)")
    if kind == "memory" or (kind == "auto" and not local):
        from chalicelib.storage.repositories import in_memory_storage

        note = "" if kind == "memory" else " (no Java or DynamoDB Local jar here)"
        yield in_memory_storage(), f"the in-memory store{note}"
        return
    import boto3

    from chalicelib.storage.repositories import dynamo_storage
    from chalicelib.storage.table import create_table

    table_name = f"mentorflow-demo-{secrets.token_hex(4)}"
    with ExitStack() as stack:
        endpoint_url = None
        if kind == "moto":
            from moto import mock_aws

            stack.enter_context(mock_aws())
            described = f"moto in this process, table {table_name}"
        else:
            log_dir.mkdir(parents=True, exist_ok=True)
            server = stack.enter_context(DynamoDBLocal(log_path=log_dir / "dynamodb-local-demo.log"))
            endpoint_url = server.endpoint_url
            described = f"DynamoDB Local in memory, table {table_name}"
        resource = boto3.resource("dynamodb", region_name="us-east-1", endpoint_url=endpoint_url)
        create_table(resource.meta.client, table_name)
        yield dynamo_storage(resource.Table(table_name)), described


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="make demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--store", choices=("auto", "dynamodb-local", "moto", "memory"), default="auto")
    parser.add_argument(
        "--applicants", type=int, default=DEFAULT_APPLICANTS, help="invented applicants added to each programme's few"
    )
    parser.add_argument("--outbox", help="folder for the .eml files (default: a new folder under .data/demo/)")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    from chalicelib.logging import get_logger

    args = parse_args(argv)
    # The app logs every job run; the demo's own report is what a newcomer should read.
    get_logger().setLevel("WARNING")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    outbox = Path(args.outbox) if args.outbox else REPO_ROOT / ".data" / "demo" / f"outbox-{stamp}"
    with demo_storage(args.store, REPO_ROOT / ".data" / "logs") as (storage, described):
        print(f"Running five programmes through {DAYS} simulated days on {described}...", flush=True)
        result = run_cycle(storage, outbox, extra_applicants=args.applicants)
    print(render(result), flush=True)
    return 1 if result.job_failures else 0


if __name__ == "__main__":
    sys.exit(main())
