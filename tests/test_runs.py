"""The one run ledger (allpfit.runs) as every job uses it: sync, lead analysis and CRM."""

from __future__ import annotations

import time
from datetime import timedelta

import psycopg
import pytest

from allpfit import db
from allpfit.analysis import store as analysis_store
from allpfit.analysis.analyzer import Analysis, Conversation
from allpfit.analysis.rules import RuleAnalyzer
from allpfit.analysis.run import run_analysis
from allpfit.config import Settings
from allpfit.crm import store as crm_store
from allpfit.errors import AlreadyRunningError, LocalDatabaseError, MassRemovalRefused
from allpfit.runs import Ledger
from allpfit.sync.control import SYNC_RUNS
from allpfit.sync.run import run_sync
from tests.factories import Chatwoot

LEDGERS = {
    "etl_control": (SYNC_RUNS, {"triggered_by": "manual", "load_type": "full"}),
    "analysis_runs": (analysis_store.ANALYSIS_RUNS, {"provider": "rules", "model": "rules-v1"}),
    "crm_sync_runs": (crm_store.CRM_RUNS, {"kind": "match"}),
}


def last(local: psycopg.Connection, ledger: Ledger) -> tuple[str, str | None]:
    row = local.execute(
        psycopg.sql.SQL("SELECT status, error_message FROM {} ORDER BY id DESC LIMIT 1").format(
            psycopg.sql.Identifier(ledger.table)
        )
    ).fetchone()
    assert row is not None
    return row[0], row[1]


@pytest.fixture(params=sorted(LEDGERS))
def ledger(request: pytest.FixtureRequest) -> tuple[Ledger, dict[str, str]]:
    return LEDGERS[request.param]


def test_finished_at_is_the_end_of_the_run_even_inside_a_long_transaction(
    ledger: tuple[Ledger, dict[str, str]], local_url: str, local: psycopg.Connection
) -> None:
    runs, values = ledger
    with runs.run(local_url, **values) as run, db.transaction(local_url) as conn:
        began = conn.execute("SELECT now()").fetchone()[0]  # type: ignore[index]
        conn.execute("SELECT pg_sleep(0.4)")
        run.finish(conn)
    row = local.execute(
        psycopg.sql.SQL("SELECT status, finished_at FROM {}").format(
            psycopg.sql.Identifier(runs.table)
        )
    ).fetchone()
    assert row is not None and row[0] == "success"
    assert row[1] - began >= timedelta(seconds=0.4)


@pytest.mark.parametrize(
    ("raised", "status"),
    [
        (KeyboardInterrupt(), "interrupted"),
        (RuntimeError("disk full"), "failed"),
        (MassRemovalRefused("Refused: too many"), "refused"),
    ],
)
def test_anything_escaping_a_run_is_recorded(
    ledger: tuple[Ledger, dict[str, str]],
    raised: BaseException,
    status: str,
    local_url: str,
    local: psycopg.Connection,
) -> None:
    runs, values = ledger
    with pytest.raises(type(raised)), runs.run(local_url, **values):
        raise raised
    recorded, message = last(local, runs)
    assert recorded == status and message
    # the lock was released: the next run starts
    with runs.run(local_url, **values) as run:
        run.finish()
    assert last(local, runs)[0] == "success"


def test_a_database_error_becomes_a_local_database_error_with_a_hint(
    ledger: tuple[Ledger, dict[str, str]], local_url: str, local: psycopg.Connection
) -> None:
    runs, values = ledger
    with (
        pytest.raises(LocalDatabaseError) as info,
        runs.run(local_url, **values),
        db.transaction(local_url) as conn,
    ):
        conn.execute("SELECT 1 / 0")
    assert info.value.exit_code == 4
    assert "DivisionByZero: division by zero" in info.value.message
    assert info.value.hint
    assert isinstance(info.value.__cause__, psycopg.errors.DivisionByZero)
    status, message = last(local, runs)
    assert status == "failed" and message and "division by zero" in message


def test_a_run_holding_the_lock_refuses_a_second_one(
    ledger: tuple[Ledger, dict[str, str]], local_url: str, local: psycopg.Connection
) -> None:
    runs, values = ledger
    with (
        runs.run(local_url, **values),
        pytest.raises(AlreadyRunningError),
        runs.run(local_url, **values),
    ):
        pass
    runs_recorded = local.execute(
        psycopg.sql.SQL("SELECT count(*) FROM {}").format(psycopg.sql.Identifier(runs.table))
    ).fetchone()
    assert runs_recorded == (1,)


def test_stored_messages_never_hold_a_password(local_url: str, local: psycopg.Connection) -> None:
    source = "postgresql://reader:hunter22@chatwoot.example:5432/cw"
    with (
        pytest.raises(RuntimeError),
        SYNC_RUNS.run(local_url, urls=(source,), triggered_by="manual", load_type="full"),
    ):
        raise RuntimeError(f"could not use {source}; password hunter22 was refused")
    status, message = last(local, SYNC_RUNS)
    assert status == "failed" and message is not None
    assert "hunter22" not in message
    assert "reader:***@chatwoot.example" in message


def test_an_analysis_whose_database_goes_away_ends_in_a_clean_error(
    source_url: str, local_url: str, pg_admin_url: str, settings: Settings
) -> None:
    with psycopg.connect(source_url, autocommit=True) as conn:
        Chatwoot(conn).leads(3)
    run_sync(local_url, source_url)
    name = psycopg.conninfo.conninfo_to_dict(local_url)["dbname"]

    class Crashing(RuleAnalyzer):
        async def analyze(self, conversation: Conversation) -> Analysis:
            with psycopg.connect(pg_admin_url, autocommit=True) as admin:
                admin.execute(
                    """SELECT pg_terminate_backend(pid) FROM pg_stat_activity
                       WHERE datname = %s AND pid <> pg_backend_pid()""",
                    (name,),
                )
            time.sleep(0.1)
            return await super().analyze(conversation)

    with pytest.raises(LocalDatabaseError) as info:
        run_analysis(local_url, settings, analyzer=Crashing())
    assert "during the lead analysis" in info.value.message
    assert "\n" not in info.value.message
