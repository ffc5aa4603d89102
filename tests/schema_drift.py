"""Differences between a migrated database and the tables a package declares (portal, console)."""
from __future__ import annotations

from typing import Any, Callable, List, Optional

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext


def schema_differences(connection: Any, metadata: sa.MetaData,
                       include_object: Optional[Callable[..., bool]] = None) -> List[Any]:
    """Alembic's comparison (types included), without the indexes SQLite reflects differently
    from their declaration, which are not schema drift."""
    opts = {"compare_type": True, **({"include_object": include_object} if include_object else {})}
    found = compare_metadata(MigrationContext.configure(connection, opts=opts), metadata)
    return [d for d in found if not (isinstance(d, tuple) and d[0] in ("add_index", "remove_index"))]
