"""CSV backups of conversas_analytics (`allpfit etl run --backup`).

A backup is a gzip-compressed CSV with a header, written to a temporary name and renamed when
complete, so a crash never leaves a half-written file that looks whole. The newest `keep` files
are kept. A backup holds one tenant's rows (read through a tenant session); other tenants'
files carry their slug after the prefix.
"""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

from allpfit import db
from allpfit.tenants import DEFAULT_TENANT_ID, Tenant

PREFIX = "conversas_analytics_"


def write_backup(
    local_url: str, directory: Path, *, keep: int = 7, tenant: Tenant | None = None
) -> Path:
    tenant = db.resolve_tenant(local_url, tenant)
    # The default tenant keeps the name backups had before tenants; digits follow its prefix.
    prefix = PREFIX if tenant.id == DEFAULT_TENANT_ID else f"{PREFIX}{tenant.slug}_"
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
    final = directory / f"{prefix}{stamp}.csv.gz"
    partial = final.with_name(final.name + ".partial")
    with (
        db.tenant_connection(local_url, tenant.id) as conn,
        conn.cursor() as cur,
        gzip.open(partial, "wb") as out,
    ):
        copy_sql = "COPY (SELECT * FROM conversas_analytics ORDER BY conversation_id) TO STDOUT"
        with cur.copy(copy_sql + " WITH (FORMAT csv, HEADER true)") as copy:
            for chunk in copy:
                out.write(chunk)
    partial.rename(final)
    for old in sorted(directory.glob(f"{prefix}[0-9]*.csv.gz"))[:-keep]:
        old.unlink()
    return final
