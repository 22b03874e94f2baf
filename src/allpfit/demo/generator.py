"""Generate a realistic Chatwoot database for the demo, the tests and the benchmarks.

`generate()` writes `accounts` Chatwoot accounts, one business each (by default two: AllpFit,
a CrossFit gym, and Studio Equilíbrio, a pilates studio; see `demo/business.py`), each with a
WhatsApp inbox with a bot, a small web-widget inbox, agents, teams and labels, and
`conversations` lead conversations shared evenly among them, spread over `days` ending at
`end`, with the messages, attachments, CSAT answers, reporting events and labels Chatwoot
would have written for them (see docs/demo-data.md). It is:

- deterministic: one `random.Random(seed)`, and no clock other than `end`;
- streaming: conversations are produced in time order, day by day, and written in batches
  with COPY, so memory stays flat up to a million conversations;
- atomic: everything runs in one transaction, so a failure leaves the database as it was.
"""

from __future__ import annotations

import heapq
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import psycopg
from psycopg import sql

from allpfit.config import mask_url
from allpfit.demo import account as acct
from allpfit.demo import intents, people, scripts
from allpfit.demo.dialogue import RESOLVED, Dialogue
from allpfit.demo.rows import EPOCH, ConversationRows
from allpfit.demo.schema import create_chatwoot_schema
from allpfit.demo.writer import Batch, advance_sequences, drop_indexes, restore_indexes
from allpfit.errors import InputError, SourceError
from allpfit.progress import Progress

MAX_CONVERSATIONS = 1_000_000
MAX_ACCOUNTS = 50
BATCH = 2_000
# Relative chance of a conversation starting at each local hour (São Paulo): quiet at dawn,
# peaks before work, at lunch and in the evening.
HOUR_WEIGHTS = (2, 1, 1, 1, 1, 3, 6, 9, 10, 9, 8, 8, 10, 9, 7, 7, 8, 9, 11, 12, 12, 10, 7, 4)
WEEKDAY_WEIGHTS = (1.1, 1.05, 1.0, 1.0, 0.9, 0.6, 0.45)  # Monday first

# Every table of the Chatwoot schema copy: emptied by `replace=True`.
CHATWOOT_TABLES = (
    "accounts", "inboxes", "channel_api", "channel_whatsapp", "channel_web_widgets",
    "contacts", "contact_inboxes", "conversations", "messages", "attachments", "users",
    "account_users", "teams", "team_members", "agent_bots", "agent_bot_inboxes", "labels",
    "tags", "taggings", "csat_survey_responses", "reporting_events", "conversation_participants",
)  # fmt: skip


@dataclass
class GenerationStats:
    conversations: int = 0
    contacts: int = 0
    messages: int = 0
    attachments: int = 0
    csat_responses: int = 0
    reporting_events: int = 0
    taggings: int = 0
    agents: int = 0
    inboxes: int = 0
    accounts: int = 0
    seconds: float = 0.0


def generate(
    url: str,
    *,
    conversations: int = 500,
    seed: int = 42,
    end: datetime | None = None,
    days: int = 60,
    replace: bool = False,
    accounts: int = 2,
    progress: Progress | None = None,
) -> GenerationStats:
    """Fill the Chatwoot-shaped database at `url` with generated conversations, shared evenly
    by `accounts` accounts (`split`), all of them interleaved in one time order."""
    if not 1 <= conversations <= MAX_CONVERSATIONS:
        raise InputError(
            f"Cannot generate {conversations:,} conversations: the demo makes 1 to "
            f"{MAX_CONVERSATIONS:,}.",
            hint="Pass --conversations with a number in that range.",
        )
    if not 1 <= accounts <= MAX_ACCOUNTS:
        raise InputError(
            f"Cannot generate {accounts} accounts: the demo makes 1 to {MAX_ACCOUNTS}.",
            hint="Pass --accounts with a number in that range.",
        )
    if days < 1:
        raise InputError(f"days must be at least 1, not {days}.", hint="Use --days 1 or more.")
    if end is None:
        end = datetime.now(UTC)
    if end.tzinfo is not None:
        end = end.astimezone(UTC).replace(tzinfo=None)
    end = end.replace(microsecond=0)
    started = time.perf_counter()
    with _connect(url) as conn, conn.transaction():
        create_chatwoot_schema(conn)
        intents.create(conn)  # the hidden truth, beside Chatwoot's tables (never synced)
        _make_room(conn, url, replace)
        indexes = drop_indexes(conn)
        stats = _fill(conn, split(conversations, accounts), seed, end, days, progress)
        if progress:
            progress("index", 0, None)
        restore_indexes(conn, indexes)
        advance_sequences(conn)
        conn.execute(
            "UPDATE tags t SET taggings_count = (SELECT count(*) FROM taggings g "
            "WHERE g.tag_id = t.id)"
        )
    if progress:
        progress("statistics", 0, None)  # not "analyze": that is the lead analysis's phase
    with _connect(url) as conn:
        conn.autocommit = True
        # fresh statistics, as a live Chatwoot database has (the catalogs are left alone)
        tables = sql.SQL(", ").join(map(sql.Identifier, CHATWOOT_TABLES))
        conn.execute(sql.SQL("ANALYZE {}").format(tables))
    stats.seconds = round(time.perf_counter() - started, 2)
    return stats


def _connect(url: str) -> psycopg.Connection:
    try:
        # The demo writes its own Chatwoot-shaped database; a real Chatwoot is never written.
        return psycopg.connect(url)  # noqa: TID251
    except psycopg.OperationalError as exc:
        raise SourceError(
            f"Cannot connect to the demo Chatwoot database at {mask_url(url)}: {str(exc).strip()}",
            hint="Check the --database-url (it must be a database you may write to).",
        ) from None


def _make_room(conn: psycopg.Connection, url: str, replace: bool) -> None:
    """Refuse to mix with existing data; with `replace`, empty generated data only."""
    row = conn.execute(
        "SELECT (SELECT count(*) FROM conversations), (SELECT count(*) FROM accounts), "
        "(SELECT count(*) FROM accounts WHERE NOT internal_attributes ? %s)",
        (acct.DEMO_MARKER,),
    ).fetchone()
    assert row is not None
    n_conversations, n_accounts, foreign = row
    if n_accounts == 0 and n_conversations == 0:
        return
    if not replace:
        raise InputError(
            f"The database {mask_url(url)} already holds {n_conversations:,} conversations "
            f"in {n_accounts} account(s).",
            hint="Pass --replace to delete them and generate new data, or use an empty database.",
        )
    if foreign:
        raise InputError(
            f"The database {mask_url(url)} holds Chatwoot data that was not generated by "
            "allpfit; refusing to delete it.",
            hint="Point --database-url at an empty database or one filled by `allpfit demo "
            "generate`.",
        )
    present = {r[0] for r in conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"
    )}  # fmt: skip
    tables = [sql.Identifier(t) for t in (*CHATWOOT_TABLES, intents.TABLE) if t in present]
    conn.execute(sql.SQL("TRUNCATE {} RESTART IDENTITY").format(sql.SQL(", ").join(tables)))
    for (name,) in conn.execute(
        "SELECT relname FROM pg_class WHERE relkind = 'S' AND relname ~ '^(conv|camp)_dpid_seq_'"
    ).fetchall():
        # recreated by the accounts trigger, so display_id starts at 1 again
        conn.execute(sql.SQL("DROP SEQUENCE {}").format(sql.Identifier(name)))


def start_times(rng: random.Random, n: int, end: int, days: int) -> Iterator[int]:
    """`n` conversation start times (epoch seconds) in order, over the `days` before `end`:
    weighted by weekday and local hour, growing slightly over the period."""
    first = end - days * 86400
    weights = []
    for day in range(days):
        local_day = (first + day * 86400 - 3 * 3600) // 86400
        weights.append(WEEKDAY_WEIGHTS[(local_day + 3) % 7] * (1 + 0.3 * day / days))
    total, cum, given = sum(weights), 0.0, 0
    top = max(HOUR_WEIGHTS)
    for day, weight in enumerate(weights):
        cum += weight
        count = round(n * cum / total) - given
        given += count
        slot = first + day * 86400
        times: list[int] = []
        while len(times) < count:
            at = slot + rng.randrange(86400)
            if rng.random() * top < HOUR_WEIGHTS[(at - 3 * 3600) // 3600 % 24]:
                times.append(at)
        yield from sorted(times)


def split(conversations: int, accounts: int) -> list[int]:
    """How many conversations each account gets: an even share, the remainder spread."""
    return [
        conversations * (k + 1) // accounts - conversations * k // accounts for k in range(accounts)
    ]


def _tagged(times: Iterator[int], account: int) -> Iterator[tuple[int, int]]:
    return ((at, account) for at in times)


def _fill(
    conn: psycopg.Connection,
    shares: list[int],
    seed: int,
    end_dt: datetime,
    days: int,
    progress: Progress | None,
) -> GenerationStats:
    rng = random.Random(seed)
    end = int((end_dt - EPOCH).total_seconds())
    base = end_dt - timedelta(days=days + 30)
    tags: dict[str, int] = {}
    owners = [acct.create_account(conn, k, base, seed, tags) for k in range(1, len(shares) + 1)]
    folks = people.People(rng)
    batch = Batch()
    builder = ConversationRows(rng, batch)
    # (contact, free from, hidden propensity): people who may write again; a person keeps their
    # propensity across conversations (demo/intents.py)
    pools: list[list[tuple[people.Contact, int, float]]] = [[] for _ in owners]
    truths: list[tuple[object, ...]] = []
    n = sum(shares)
    # every account's start times in one time order, as they reach a shared Chatwoot
    starts = heapq.merge(*(_tagged(start_times(rng, share, end, days), k)
                           for k, share in enumerate(shares)))  # fmt: skip
    if progress:
        progress("generate", 0, n)
    for number, (start, k) in enumerate(starts, 1):
        owner, pool = owners[k], pools[k]
        widget = rng.random() < 0.05
        inbox = owner.widget_inbox if widget else owner.whatsapp_inbox
        contact, is_new, known = _pick_contact(rng, folks, pool, inbox, start, widget)
        name = contact.first_name
        truth = intents.draw(rng, widget, known)
        d = Dialogue(
            rng,
            owner.cast,
            start,
            end,
            has_bot=not widget,
            lead_name=name,
            text=owner.text,
            propensity=truth.propensity,
        )
        scripts.play(d, widget, truth.kind)
        builder.conversation(owner, number, contact, is_new, d, widget)
        truths.append((number, owner.id, contact.id, truth.kind, truth.propensity,
                       EPOCH + timedelta(seconds=start), d.visit_day))  # fmt: skip
        if d.status == RESOLVED:
            entry = (contact, d.messages[-1].at, truth.propensity)
            if len(pool) < 20_000:
                pool.append(entry)
            else:
                pool[rng.randrange(len(pool))] = entry
        if number % BATCH == 0:
            batch.flush(conn)
            intents.write(conn, truths)
            if progress:
                progress("generate", number, n)
    batch.flush(conn)
    intents.write(conn, truths)
    if progress:
        progress("generate", n, n)
    t = batch.totals
    return GenerationStats(
        conversations=t["conversations"],
        contacts=t["contacts"],
        messages=t["messages"],
        attachments=t["attachments"],
        csat_responses=t["csat_survey_responses"],
        reporting_events=t["reporting_events"],
        taggings=t["taggings"],
        agents=sum(len(owner.cast.agents) for owner in owners),
        inboxes=2 * len(owners),
        accounts=len(owners),
    )


def _pick_contact(
    rng: random.Random,
    folks: people.People,
    pool: list[tuple[people.Contact, int, float]],
    inbox: int,
    start: int,
    widget: bool,
) -> tuple[people.Contact, bool, float | None]:
    """A returning lead (resolved before `start`) now and then, else a new contact; a few
    new ones are an earlier lead writing from the same number without/with the ninth digit.
    The third value is the person's known propensity (None: someone new)."""
    at = start - rng.randint(0, 5)
    if widget:
        return folks.visitor(inbox, at), True, None
    if pool and rng.random() < 0.14:
        i = rng.randrange(len(pool))
        contact, free_at, propensity = pool[i]
        if free_at < start and contact.inbox_id == inbox:
            pool[i] = pool[-1]
            pool.pop()
            return contact, False, propensity
    if pool and rng.random() < 0.006:
        i = rng.randrange(len(pool))
        original, _, propensity = pool[i]
        if original.twin_ok:
            twin = folks.twin(original, inbox, at)
            if twin is not None:
                pool[i] = pool[-1]
                pool.pop()
                return twin, True, propensity
    return folks.whatsapp(inbox, at), True, None
