"""Use case: the transcript of a bot-only Amazon Connect chat -> Salesforce ``/conversationHistory``.

A chat that never reached an agent never reached Salesforce either. When it ends (EventBridge contact event
DISCONNECTED, channel CHAT), this module finds Connect's transcript in S3 and adds its messages to the end
user's Salesforce Conversation, so that the next agent sees what the customer told the bot.

Steps (each skip is logged once, with its reason, before anything is sent to Salesforce):

1. the event: DISCONNECTED, CHAT, this ``CONNECT_INSTANCE_ARN``, no ``agentInfo``;
2. not older than ``TRANSCRIPT_MAX_AGE_HOURS`` (Salesforce refuses entries older than 24 h, error 10046);
3. contact attributes (``GetContactAttributes`` on the initial contact): ``callCenterId`` == ``CALL_CENTER_ID``
   and a ``channelAddressIdentifier``; the end user is chosen by the rule CreateMessagingSession used
   (:func:`connect_omni.messaging.choose_end_user`, so the history joins the chat's Conversation): ``clientId``,
   else (``END_USER_FROM_CUSTOMER_ADDRESS``) the SMS / WhatsApp customer's E.164 number, read with
   ``DescribeContact`` on the initial contact (its channel subtype and ``CustomerEndpoint``; called only when
   there is no ``clientId``), else the InitialContactId;
4. the transcript, waiting for Connect to write it (:meth:`TranscriptStore.wait_for`);
5. MESSAGE items with text -> ``ConversationEntryHistory`` entries; everything else counted by kind;
6. the Conversation and MessagingSession (:func:`connect_omni.messaging.open_messaging_session`);
7. deterministic batches, newest first (:func:`split_batches`), one ``POST /conversationHistory`` each: the
   newest alone, then the rest ``HISTORY_CONCURRENCY`` at a time (:func:`upload_history`).

Exactly once: every entry id is derived from the contact id and the transcript item ``Id``
(:func:`entry_id`), the split only depends on the transcript and ``HISTORY_BATCH_SIZE``, and Salesforce's
duplicate-id rejection (HTTP 400, code 10073) counts as "already there". A redelivered event, or the retry of an
invocation that died half-way, therefore resends the same batches: those already stored come back 10073, the
rest are added.

Failures: transient ones (:class:`SalesforceUnavailableError`, :class:`BudgetExhaustedError`,
:class:`TranscriptNotReadyError`, :class:`AwsCallError`, auth and configuration errors) are raised, so that
Lambda's asynchronous retry and then the on-failure destination take over. Permanent ones (invalid
transcript, too old, a batch Salesforce rejects for another reason) are logged, counted and reported in the
returned summary.
"""

from __future__ import annotations

import time
import uuid
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from connect_omni import container
from connect_omni.aws.contact_attributes import (
    ContactNotFoundError,
    CustomerChannel,
    describe_customer_channel,
    get_contact_attributes,
    instance_id_of,
)
from connect_omni.aws.state_table import StateTable
from connect_omni.aws.transcript_store import PollPolicy, TranscriptStore
from connect_omni.budget import Budget
from connect_omni.errors import (
    BudgetExhaustedError,
    ConfigurationError,
    InputError,
    SalesforceAuthError,
    SalesforceError,
    SalesforceUnavailableError,
)
from connect_omni.messaging import SessionRequest, open_messaging_session
from connect_omni.models.contact_event import ContactEvent
from connect_omni.models.salesforce import Participant
from connect_omni.models.transcript import InvalidTranscriptError, Transcript, TranscriptItem
from connect_omni.observability import count, logger, traced_in_thread
from connect_omni.salesforce.interaction import InteractionServiceClient
from connect_omni.settings import Settings

#: Namespace of the entry and message ids (uuid5). Never change it: ids already in Salesforce derive from it.
ENTRY_NAMESPACE = uuid.UUID("6f3b2a8e-4c1d-5e7f-9a0b-1c2d3e4f5a6b")
#: Participants per request (AddConversationHistoryRequest.conversationParticipants maxItems).
MAX_PARTICIPANTS = 3
#: Entries this close to the age limit are not sent (the clock of Salesforce, the time of the request).
AGE_MARGIN = timedelta(minutes=5)
#: Salesforce error codes with a meaning here (ERRORCODES.md).
DUPLICATE_ENTRY = "10073"
TOO_OLD = "10046"
#: Content types uploaded as text.
TEXT_CONTENT_TYPES = ("text/plain", "text/markdown")
#: Transcript roles -> Salesforce participant roles. CUSTOMER is the end user; the rest are bots.
BOT_ROLES = ("CUSTOM_BOT", "SYSTEM")
END_USER_ROLE = "CUSTOMER"

#: How the transcript is waited for; tests replace it.
DEFAULT_POLL = PollPolicy()
sleep: Callable[[float], None] = time.sleep


# ----------------------------------------------------------------------------------------------- ids


def entry_id(contact_id: str, item_id: str) -> str:
    """The ``ConversationEntryHistory.entryPayload.id`` of transcript item ``item_id``: uuid5 of
    ``"<contactId>/<Id>"`` in :data:`ENTRY_NAMESPACE`. Stable across deliveries and replays."""
    return str(uuid.uuid5(ENTRY_NAMESPACE, f"{contact_id}/{item_id}"))


def message_id(contact_id: str, item_id: str) -> str:
    """The ``abstractMessage.id`` of transcript item ``item_id`` (uuid5 of ``"<contactId>/<Id>/message"``)."""
    return str(uuid.uuid5(ENTRY_NAMESPACE, f"{contact_id}/{item_id}/message"))


# ----------------------------------------------------------------------------------------------- plan


@dataclass(frozen=True)
class HistoryParticipant:
    """A ``ConversationParticipant``: the end user (no ``leftTime``) or a bot (``leftTime`` = end of chat)."""

    participant: Participant
    display_name: str | None
    joined_ms: int
    left_ms: int | None

    @property
    def key(self) -> tuple[str, str]:
        return (self.participant.role, self.participant.subject)

    @property
    def is_end_user(self) -> bool:
        return self.participant.role == "EndUser"

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"participant": self.participant.body(), "joinedTime": self.joined_ms}
        if self.display_name:
            body["displayName"] = self.display_name
        if self.left_ms is not None:
            body["leftTime"] = self.left_ms
        return body


@dataclass(frozen=True)
class HistoryMessage:
    """One MESSAGE item, ready to send."""

    item_id: str
    entry_id: str
    message_id: str
    timestamp_ms: int
    sender: tuple[str, str]
    text: str

    def body(self, participants: dict[tuple[str, str], HistoryParticipant]) -> dict[str, Any]:
        """The ``ConversationEntryHistory``: a ``Message`` entry with a Text ``StaticContentMessage``."""
        return {
            "clientTimestamp": self.timestamp_ms,
            "sender": participants[self.sender].participant.body(),
            "entryPayload": {
                "id": self.entry_id,
                "entryType": "Message",
                "abstractMessage": {
                    "messageType": "StaticContentMessage",
                    "id": self.message_id,
                    "staticContent": {"formatType": "Text", "text": self.text},
                },
            },
        }


@dataclass
class HistoryPlan:
    """What a transcript turns into: messages newest first, their participants, and what is left out."""

    messages: list[HistoryMessage]
    participants: dict[tuple[str, str], HistoryParticipant]
    skipped: Counter[str] = field(default_factory=Counter)


def _skip_kind(item: TranscriptItem) -> str | None:
    """Why ``item`` is not uploaded (a metric-name suffix), or ``None`` when it is a text message."""
    kind = item.type.upper()
    if kind != "MESSAGE":
        return {"EVENT": "Event", "ATTACHMENT": "Attachment"}.get(kind, "OtherType")
    role = (item.participant_role or "").upper()
    if role != END_USER_ROLE and role not in BOT_ROLES:
        return "OtherRole"
    content_type = (item.content_type or "text/plain").split(";")[0].strip().lower()
    if content_type not in TEXT_CONTENT_TYPES:
        return "Interactive" if "interactive" in content_type else "OtherContentType"
    if not (item.content or "").strip():
        return "Empty"
    return None


def plan_history(transcript: Transcript, client_id: str, *, ended_at_ms: int | None = None) -> HistoryPlan:
    """Turn a transcript into history entries and participants.

    Parameters
    ----------
    client_id:
        The end user's subject (``clientId`` or the InitialContactId).
    ended_at_ms:
        The disconnect time when known; the bots' ``leftTime`` is the later of it and the last transcript item.

    Rules: CUSTOMER -> EndUser (appType custom, subject ``client_id``, no leftTime). CUSTOM_BOT and SYSTEM ->
    Chatbot (appType chatbot, subject the transcript ``ParticipantId``, else the role), ``joinedTime`` = its first
    item, ``leftTime`` = the end of the chat. The EndUser's ``joinedTime`` is its first item (else the first item
    of the chat). Only MESSAGE items with text are entries; the rest are counted in ``skipped`` by kind.
    """
    contact_id = transcript.contact_id
    first_ms = min((i.epoch_ms for i in transcript.items), default=0)
    end_ms = max(transcript.ended_at_ms or 0, ended_at_ms or 0)

    def key_of(item: TranscriptItem) -> tuple[str, str]:
        role = (item.participant_role or "").upper()
        if role == END_USER_ROLE:
            return ("EndUser", client_id)
        return ("Chatbot", item.participant_id or role.lower() or "bot")

    joined: dict[tuple[str, str], int] = {}
    names: dict[tuple[str, str], str] = {}
    for item in transcript.items:
        role = (item.participant_role or "").upper()
        if role == END_USER_ROLE or role in BOT_ROLES:
            key = key_of(item)
            joined[key] = min(joined.get(key, item.epoch_ms), item.epoch_ms)
            if item.display_name and key not in names:
                names[key] = item.display_name

    plan = HistoryPlan(messages=[], participants={})
    end_user = ("EndUser", client_id)
    plan.participants[end_user] = HistoryParticipant(
        Participant(subject=client_id, role="EndUser", app_type="custom"),
        names.get(end_user),
        joined.get(end_user, first_ms),
        None,
    )
    for item in transcript.items:
        kind = _skip_kind(item)
        if kind is not None:
            plan.skipped[kind] += 1
            continue
        key = key_of(item)
        if key not in plan.participants:
            joined_ms = joined.get(key, item.epoch_ms)
            plan.participants[key] = HistoryParticipant(
                Participant(subject=key[1], role="Chatbot", app_type="chatbot"),
                names.get(key),
                joined_ms,
                max(end_ms, joined_ms + 1),
            )
        plan.messages.append(
            HistoryMessage(
                item_id=item.id,
                entry_id=entry_id(contact_id, item.id),
                message_id=message_id(contact_id, item.id),
                timestamp_ms=item.epoch_ms,
                sender=key,
                text=item.content or "",
            )
        )
    # Newest first (Salesforce's guide); ties keep the transcript's order reversed, deterministically.
    plan.messages = [m for _, m in sorted(enumerate(plan.messages), key=lambda p: (p[1].timestamp_ms, p[0]))][::-1]
    return plan


def split_batches(
    messages: Sequence[HistoryMessage], batch_size: int, max_participants: int = MAX_PARTICIPANTS
) -> list[list[HistoryMessage]]:
    """Cut ``messages`` (newest first) into consecutive requests.

    A batch closes when it holds ``batch_size`` entries, or when the next entry's sender is a bot that would
    make it the batch's ``max_participants``-th non-end-user participant (the end user is in every request,
    so at most ``max_participants - 1`` bots). The cut depends on nothing but the messages and ``batch_size``,
    so every delivery of one transcript sends the same batches.
    """
    max_bots = max_participants - 1
    batches: list[list[HistoryMessage]] = []
    current: list[HistoryMessage] = []
    bots: set[tuple[str, str]] = set()
    for message in messages:
        is_bot = message.sender[0] != "EndUser"
        new_bot = is_bot and message.sender not in bots
        if current and (len(current) >= batch_size or (new_bot and len(bots) >= max_bots)):
            batches.append(current)
            current, bots = [], set()
        current.append(message)
        if is_bot:
            bots.add(message.sender)
    if current:
        batches.append(current)
    return batches


def history_request(
    channel_address_identifier: str,
    batch: Sequence[HistoryMessage],
    participants: dict[tuple[str, str], HistoryParticipant],
) -> dict[str, Any]:
    """The ``AddConversationHistoryRequest`` of one batch: the end user first, then the batch's bots in order
    of appearance; entries in batch order (newest first); no ``messagingSession`` (see docs/transcripts.md)."""
    keys = [k for k in participants if participants[k].is_end_user]
    for message in batch:
        if message.sender not in keys:
            keys.append(message.sender)
    return {
        "channelAddressIdentifier": channel_address_identifier,
        "conversationParticipants": [participants[k].body() for k in keys],
        "conversationEntries": [m.body(participants) for m in batch],
    }


# ----------------------------------------------------------------------------------------------- upload


@dataclass
class UploadResult:
    """Entry counts of one upload."""

    requests: int = 0
    uploaded: int = 0
    duplicates: int = 0
    too_old: int = 0
    rejected: int = 0
    rejected_codes: list[str] = field(default_factory=list)


def upload_history(
    client: InteractionServiceClient,
    channel_address_identifier: str,
    plan: HistoryPlan,
    batch_size: int,
    budget: Budget,
    *,
    not_before_ms: int = 0,
    concurrency: int = 1,
) -> UploadResult:
    """Send ``plan`` as :func:`split_batches` batches: the newest batch first and alone, then the others,
    newest first, at most ``concurrency`` requests at a time.

    The newest batch goes alone because it is what an agent opening the conversation sees first, and because
    its answer tells whether Salesforce takes the upload at all (a refused token, an outage) before more
    requests are sent. Entries older than ``not_before_ms`` are taken out of their batch after the split (so
    the split stays the same as time passes); a batch left empty is not sent. Exactly once holds whatever the
    order or the concurrency: every batch and every entry id is fixed by the transcript, and an entry already
    stored comes back 10073 (counted in ``duplicates``).

    Parameters
    ----------
    concurrency:
        Requests in flight at once after the first batch (``HISTORY_CONCURRENCY``, at least 1). A 429 or 5xx
        answer is retried by the transport (honouring ``Retry-After`` within the budget), per request.

    Raises
    ------
    SalesforceUnavailableError, BudgetExhaustedError, SalesforceAuthError
        Transient (or configuration) failures: no new request is started after the first one, those in
        flight finish, and the first failure is raised. The batches that were stored come back 10073 on the
        retry.
    """
    result = UploadResult()
    jobs: list[tuple[int, list[HistoryMessage]]] = []
    for number, batch in enumerate(split_batches(plan.messages, batch_size), start=1):
        fresh = [m for m in batch if m.timestamp_ms >= not_before_ms]
        result.too_old += len(batch) - len(fresh)
        if fresh:
            jobs.append((number, fresh))
    if not jobs:
        return result

    def send(job: tuple[int, list[HistoryMessage]]) -> tuple[int, list[HistoryMessage], SalesforceError | None]:
        number, fresh = job
        try:
            client.add_conversation_history(
                history_request(channel_address_identifier, fresh, plan.participants), budget
            )
        except (SalesforceUnavailableError, SalesforceAuthError):
            raise
        except SalesforceError as exc:
            return number, fresh, exc
        return number, fresh, None

    def record(number: int, fresh: list[HistoryMessage], exc: SalesforceError | None) -> None:
        if exc is None:
            result.uploaded += len(fresh)
        elif exc.code == DUPLICATE_ENTRY:
            result.duplicates += len(fresh)
        elif exc.code == TOO_OLD:
            result.too_old += len(fresh)
        else:
            result.rejected += len(fresh)
            result.rejected_codes.append(str(exc.code or exc.status))
            logger.error(
                "Salesforce rejected a history batch; not retried",
                extra={
                    "batch": number,
                    "entries": len(fresh),
                    "status": exc.status,
                    "code": exc.code,
                    "error": str(exc),
                },
            )

    def stopped(number: int) -> None:
        logger.warning(
            "Upload stopped; earlier batches are in Salesforce and will come back as duplicates on retry",
            extra={"batch": number, "uploaded": result.uploaded, "duplicates": result.duplicates},
        )

    first, rest = jobs[0], jobs[1:]
    result.requests += 1
    try:
        record(*send(first))
    except (SalesforceUnavailableError, SalesforceAuthError):
        stopped(first[0])
        raise
    if not rest:
        return result

    failure: BaseException | None = None
    failed_batch = 0
    with ThreadPoolExecutor(max_workers=max(1, min(concurrency, len(rest))), thread_name_prefix="history") as pool:
        pending: dict[Future[Any], int] = {}
        queue = iter(rest)
        task = traced_in_thread(send)

        def submit_next() -> None:
            job = next(queue, None)
            if job is not None:
                result.requests += 1
                pending[pool.submit(task, job)] = job[0]

        for _ in range(max(1, concurrency)):
            submit_next()
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                number = pending.pop(future)
                try:
                    record(*future.result())
                except (SalesforceUnavailableError, SalesforceAuthError, BudgetExhaustedError) as exc:
                    if failure is None:
                        failure, failed_batch = exc, number
                    continue
                if failure is None:
                    submit_next()
    if failure is not None:
        stopped(failed_batch)
        raise failure
    return result


# ----------------------------------------------------------------------------------------------- use case


@dataclass(frozen=True)
class ContactRef:
    """The contact whose transcript to ingest.

    Attributes
    ----------
    contact_id:
        The contact the transcript belongs to (its file name starts with it).
    initial_contact_id:
        For ``GetContactAttributes`` and the default end user.
    days:
        UTC days to search, in order.
    ended_at:
        The disconnect time when known (for the early age check and the bots' ``leftTime``).
    """

    contact_id: str
    initial_contact_id: str
    days: tuple[date, ...]
    ended_at: datetime | None = None


@dataclass
class Dependencies:
    """What the use case talks to; :meth:`from_container` builds the Lambda's."""

    settings: Settings
    salesforce: InteractionServiceClient
    connect: Any
    store: TranscriptStore
    poll: PollPolicy = field(default_factory=PollPolicy)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    ledger: StateTable | None = None

    @classmethod
    def from_container(cls) -> Dependencies:
        """The container's settings and clients.

        Raises
        ------
        ConfigurationError
            ``CHAT_TRANSCRIPTS_BUCKET`` unset (or any other setting invalid). An empty or unset
            ``CHAT_TRANSCRIPTS_PREFIX`` means the bucket root, as the template's S3 permissions do.
        """
        settings = container.settings()
        if not (settings.chat_transcripts_bucket or "").strip():
            raise ConfigurationError(
                "invalid configuration: CHAT_TRANSCRIPTS_BUCKET: required by the transcript ingestion "
                "(the instance's chat transcript S3 bucket)"
            )
        store = TranscriptStore(
            container.aws_client("s3"),
            str(settings.chat_transcripts_bucket).strip(),
            str(settings.chat_transcripts_prefix or ""),
            sleep=sleep,
        )
        return cls(
            settings,
            container.interaction_service(),
            container.aws_client("connect"),
            store,
            DEFAULT_POLL,
            ledger=container.state_table(),
        )


def _summary(contact_id: str, status: str, **values: Any) -> dict[str, Any]:
    return {"contactId": contact_id, "status": status, **values}


def _skip(contact_id: str, reason: str, message: str, **extra: Any) -> dict[str, Any]:
    count("TranscriptsSkipped")
    count(f"TranscriptsSkipped{reason}")
    logger.info(f"Transcript not ingested: {message}", extra={"skip_reason": reason, **extra})
    return _summary(contact_id, "skipped", reason=reason)


def _fail(contact_id: str, reason: str, message: str, **extra: Any) -> dict[str, Any]:
    count("TranscriptFailures")
    count(f"TranscriptFailures{reason}")
    logger.error(f"Transcript not ingested: {message}; not retried", extra={"failure_reason": reason, **extra})
    return _summary(contact_id, "failed", reason=reason, **extra)


def ingest_contact_event(event: ContactEvent, budget: Budget, deps: Dependencies | None = None) -> dict[str, Any]:
    """Ingest the transcript of the chat an EventBridge contact event reports, if it qualifies.

    Returns a summary (``status`` ``ingested`` | ``skipped`` | ``failed`` | ``partial``, ``reason``, counts).
    Raises what is worth retrying (see the module docstring).
    """
    deps = deps or Dependencies.from_container()
    detail = event.detail
    if detail.event_type != "DISCONNECTED":
        return _skip(
            detail.contact_id, "NotDisconnected", f"event type {detail.event_type}", event_type=detail.event_type
        )
    if (detail.channel or "").upper() != "CHAT":
        return _skip(detail.contact_id, "NotChat", f"channel {detail.channel}", channel=detail.channel)
    if detail.instance_arn != deps.settings.connect_instance_arn:
        return _skip(
            detail.contact_id,
            "OtherInstance",
            "the contact belongs to another Connect instance",
            instance_arn=detail.instance_arn,
        )
    if detail.agent_info:
        return _skip(detail.contact_id, "AgentJoined", "an agent took part (the agent's session holds the messages)")
    contact = ContactRef(
        contact_id=detail.contact_id,
        initial_contact_id=event.initial_contact_id,
        days=tuple(event.transcript_days()),
        ended_at=event.ended_at,
    )
    return ingest_contact(contact, budget, deps)


def ingest_contact(contact: ContactRef, budget: Budget, deps: Dependencies | None = None) -> dict[str, Any]:
    """Ingest one contact's transcript (the event path after its checks, and the on-demand command).

    Checks the call center and the channel (contact attributes) and the age, then waits for the transcript,
    opens the session and uploads. Does not check for an agent: the caller does (the event's ``agentInfo``).
    """
    deps = deps or Dependencies.from_container()
    settings = deps.settings
    now = deps.now()
    max_age = timedelta(hours=settings.transcript_max_age_hours)
    not_before = now - max_age + AGE_MARGIN
    if contact.ended_at is not None and contact.ended_at < not_before:
        return _fail(
            contact.contact_id,
            "TooOld",
            f"the chat ended more than {settings.transcript_max_age_hours} h ago; Salesforce accepts "
            "history no older than that",
            ended_at=contact.ended_at.isoformat(),
        )

    instance_id = instance_id_of(settings.connect_instance_arn)

    def not_found() -> dict[str, Any]:
        return _skip(
            contact.contact_id,
            "ContactNotFound",
            "Connect does not know the initial contact",
            initial_contact_id=contact.initial_contact_id,
        )

    try:
        attributes = get_contact_attributes(deps.connect, instance_id, contact.initial_contact_id, budget)
    except ContactNotFoundError:
        return not_found()
    call_center = attributes.get("callCenterId", "").strip()
    if call_center != settings.call_center_id:
        return _skip(
            contact.contact_id,
            "OtherCallCenter",
            "the contact's callCenterId attribute is not CALL_CENTER_ID",
            call_center_id=call_center or None,
        )
    if not attributes.get("channelAddressIdentifier", "").strip():
        return _skip(contact.contact_id, "NoChannel", "the contact has no channelAddressIdentifier attribute")
    channel = CustomerChannel(None, None)
    if settings.end_user_from_customer_address and not attributes.get("clientId", "").strip():
        try:
            channel = describe_customer_channel(deps.connect, instance_id, contact.initial_contact_id, budget)
        except ContactNotFoundError:
            return not_found()
    try:
        request = SessionRequest.from_values(
            attributes.get("channelAddressIdentifier"),
            attributes.get("clientId"),
            initial_contact_id=contact.initial_contact_id,
            subtype=channel.subtype,
            customer_endpoint=channel.customer_endpoint,
            use_customer_address=settings.end_user_from_customer_address,
        )
    except InputError as exc:
        return _skip(contact.contact_id, "BadAttribute", str(exc), field=exc.field)
    logger.append_keys(end_user_source=request.end_user_source)

    found = deps.store.wait_for(contact.contact_id, contact.days, budget, deps.poll)
    logger.append_keys(transcript=found.url)
    try:
        transcript = Transcript.parse(found.body, source=found.url)
        if transcript.contact_id != contact.contact_id:
            raise InvalidTranscriptError(f"{found.url}: ContactId {transcript.contact_id} is not the contact's")
    except InvalidTranscriptError as exc:
        return _fail(contact.contact_id, "InvalidTranscript", str(exc))

    ended_ms = int(contact.ended_at.timestamp() * 1000) if contact.ended_at else None
    plan = plan_history(transcript, request.client_id, ended_at_ms=ended_ms)
    not_before_ms = int(not_before.timestamp() * 1000)
    fresh = sum(1 for m in plan.messages if m.timestamp_ms >= not_before_ms)
    if plan.messages and not fresh:
        plan.skipped["TooOld"] += len(plan.messages)
        _count_skipped(plan.skipped)
        return _fail(
            contact.contact_id,
            "TooOld",
            f"every message is more than {settings.transcript_max_age_hours} h old; Salesforce accepts history "
            "no older than that",
            skipped=dict(plan.skipped),
        )
    if not plan.messages:
        _count_skipped(plan.skipped)
        return _skip(
            contact.contact_id, "NoMessages", "the transcript holds no text message", not_uploaded=dict(plan.skipped)
        )

    session = open_messaging_session(
        deps.salesforce,
        request,
        budget,
        mode=settings.session_creation_mode,
        ledger=deps.ledger,
        contact_id=contact.contact_id,
    )
    logger.append_keys(conversation_identifier=session.conversation_identifier, work_item_id=session.work_item_id)
    result = upload_history(
        deps.salesforce,
        request.channel_address_identifier,
        plan,
        settings.history_batch_size,
        budget,
        not_before_ms=not_before_ms,
        concurrency=settings.history_concurrency,
    )
    if result.too_old:
        plan.skipped["TooOld"] += result.too_old
    _count_skipped(plan.skipped)
    count("HistoryEntriesUploaded", result.uploaded)
    count("HistoryDuplicates", result.duplicates)
    counts = {
        "messages": len(plan.messages),
        "uploaded": result.uploaded,
        "duplicates": result.duplicates,
        "rejected": result.rejected,
        "requests": result.requests,
        "notUploaded": dict(plan.skipped),
    }
    if result.rejected:
        summary = _fail(
            contact.contact_id,
            "Rejected",
            f"Salesforce rejected {result.rejected} entries",
            codes=sorted(set(result.rejected_codes)),
        )
        summary.update(counts, status="partial")
        return summary
    count("TranscriptsIngested")
    logger.info("Transcript ingested", extra=counts)
    return _summary(
        contact.contact_id,
        "ingested",
        conversationIdentifier=session.conversation_identifier,
        workItemId=session.work_item_id,
        **counts,
    )


def _count_skipped(skipped: Counter[str]) -> None:
    total = sum(skipped.values())
    count("HistoryEntriesSkipped", total)
    for kind, n in sorted(skipped.items()):
        count(f"HistoryEntriesSkipped{kind}", n)
    if total:
        logger.info("Transcript items not uploaded, by kind", extra={"not_uploaded": dict(skipped)})
