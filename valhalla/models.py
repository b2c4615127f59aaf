"""Model helpers shared by the apps."""

from django.db import models


def newest_first_index(*leading: str, name: str, **options) -> models.Index:
    """An index on ``leading`` columns then ``created_at DESC, id DESC``.

    It serves "filter by the leading columns, newest first" reads and their
    keyset pages (``valhalla.pagination``) as one ordered index scan.
    """
    return models.Index(
        *leading,
        models.F("created_at").desc(),
        models.F("id").desc(),
        name=name,
        **options,
    )
