"""CSV backups of conversas_analytics (`allpfit etl run --backup`).

A backup is a gzip-compressed CSV with a header, written to a temporary name and renamed when
complete, so a crash never leaves a half-written file that looks whole. The newest `keep` files
are kept.
"""

from __future__ import annotations

import gzip
from datetime import datetime
from pathlib import Path

from allpfit import db

PREFIX = "conversas_analytics_"


def write_backup(local_url: str, directory: Path, *, keep: int = 7) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now().strftime("%Y%m%d_%H%M%S")
    final = directory / f"{PREFIX}{stamp}.csv.gz"
    partial = final.with_name(final.name + ".partial")
    with db.connect(local_url) as conn, conn.cursor() as cur, gzip.open(partial, "wb") as out:
        copy_sql = "COPY (SELECT * FROM conversas_analytics ORDER BY conversation_id) TO STDOUT"
        with cur.copy(copy_sql + " WITH (FORMAT csv, HEADER true)") as copy:
            for chunk in copy:
                out.write(chunk)
    partial.rename(final)
    for old in sorted(directory.glob(f"{PREFIX}*.csv.gz"))[:-keep]:
        old.unlink()
    return final
