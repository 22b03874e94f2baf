"""The one-command demo: the whole pipeline on the embedded PostgreSQL with generated data.

Everything lives in the embedded server under DATA_DIR: the generated Chatwoot in database
`chatwoot_demo`, the analytics in the embedded default database (so `allpfit status`,
`allpfit dashboard`... show the demo afterwards) or, when a DATABASE_URL is configured, in
`allpfit_demo` beside it: a demo never touches a configured database or a real Chatwoot.
In the first case the demo also records its Chatwoot as DATA_DIR's source
(`embedded.record_source`), so `allpfit etl run`, `pipeline` and `schedule` work afterwards with
nothing configured; a configured SOURCE_DATABASE_URL / SOURCE_DB_HOST always wins.
The demo forces the offline analyzer (unless asked for the LLM) and no EVO API, so it costs
nothing and needs no network.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import SecretStr

from allpfit import db, embedded
from allpfit.config import Settings
from allpfit.ops.pipeline import PipelineResult, run_pipeline
from allpfit.progress import Progress

SOURCE_DB = "chatwoot_demo"
LOCAL_DB = "allpfit_demo"


@dataclass
class DemoResult:
    source_url: str
    local_url: str
    generated: bool
    conversations: int
    members_file: Path
    members_imported: int
    members_rejected: int  # rows of the CRM export the import refused (listed in rejects_file)
    rejects_file: Path | None
    source_record: Path | None  # DATA_DIR/source.json, when the demo became DATA_DIR's source
    pipeline: PipelineResult
    settings: Settings


def run_demo(
    settings: Settings,
    *,
    conversations: int = 500,
    seed: int = 42,
    regenerate: bool = False,
    use_llm: bool = False,
    progress: Progress | None = None,
) -> DemoResult:
    from allpfit.crm.excel import import_file
    from allpfit.demo.crm_export import write_demo_members
    from allpfit.demo.generator import generate

    admin = embedded.server_url(settings.data_dir)
    local_db = settings.local_db_name if settings.local_embedded else LOCAL_DB
    for name in (SOURCE_DB, local_db):
        db.ensure_database(admin, name)
    source_url = embedded.with_database(admin, SOURCE_DB)
    local_url = embedded.with_database(admin, local_db)
    demo_settings = settings.model_copy(
        update={
            "source_database_url": SecretStr(source_url),
            "database_url": SecretStr(local_url),
            "analysis_provider": settings.analysis_provider if use_llm else "rules",
            "evo_dns": None,
            "evo_api_token": None,
        }
    )
    existing = _conversation_count(source_url)
    generated = regenerate or existing == 0
    if generated:
        generate(
            source_url, conversations=conversations, seed=seed, replace=True, progress=progress
        )
    db.prepare(demo_settings)
    members_file = settings.data_dir / "demo" / "base_evo.xlsx"
    members_file.parent.mkdir(parents=True, exist_ok=True)
    if generated or not members_file.exists():
        write_demo_members(source_url, members_file, seed=seed)
    imported = import_file(local_url, members_file, demo_settings, progress=progress)
    record = None
    if settings.local_embedded:  # the demo's analytics are DATA_DIR's own: so is its Chatwoot
        record = embedded.record_source(settings.data_dir, SOURCE_DB)
    pipeline = run_pipeline(  # a regenerated Chatwoot is a new installation, on purpose
        demo_settings,
        triggered_by="demo",
        full=generated,
        progress=progress,
        allow_mass_delete=generated,
    )
    return DemoResult(
        source_url=source_url,
        local_url=local_url,
        generated=generated,
        conversations=conversations if generated else existing,
        members_file=members_file,
        members_imported=imported.inserted + imported.updated + imported.unchanged,
        members_rejected=len(imported.rejected),
        rejects_file=imported.rejects_file,
        source_record=record,
        pipeline=pipeline,
        settings=demo_settings,
    )


def _conversation_count(source_url: str) -> int:
    with db.connect(source_url) as conn:
        exists = conn.execute("SELECT to_regclass('conversations') IS NOT NULL").fetchone()
        if not exists or not exists[0]:
            return 0
        row = conn.execute("SELECT count(*) FROM conversations").fetchone()
    return int(row[0]) if row else 0
