"""Key rotation: re-encrypt every personal value under the primary key of the ring.

Safe to stop and run again: each batch commits on its own, and rows already under the primary
key are skipped, so a second run continues where the first stopped.
"""

from collections.abc import Callable, Iterator

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from pledge.vault.fields import BlindIndexField
from pledge.vault.keys import PREFIX, current_ring


def encrypted_fields(model: type[models.Model]) -> list[models.Field]:
    return [field for field in model._meta.concrete_fields if getattr(field, "encrypted", False)]


def encrypted_models() -> Iterator[type[models.Model]]:
    for model in apps.get_models():
        if encrypted_fields(model) and not model._meta.proxy:
            yield model


def stale_rows(model: type[models.Model]) -> models.QuerySet:
    """Rows holding at least one value under a key other than the primary."""
    current = f"{PREFIX}.{current_ring().primary.id}."
    condition = models.Q()
    annotations = {}
    for field in encrypted_fields(model):
        raw = f"_raw_{field.name}"
        annotations[raw] = Cast(field.name, models.TextField())
        condition |= ~models.Q(**{f"{raw}__startswith": current}) & ~models.Q(**{raw: ""})
    return model._default_manager.annotate(**annotations).filter(condition)


def stale_count(model: type[models.Model]) -> int:
    return stale_rows(model).count()


def rotate_model(
    model: type[models.Model],
    *,
    batch_size: int = 500,
    progress: Callable[[int, int], None] = lambda done, total: None,
) -> int:
    """Re-encrypt every stale row of ``model``; returns how many rows were rewritten."""
    fields = encrypted_fields(model)
    names = [field.name for field in fields] + [
        field.name for field in model._meta.concrete_fields if isinstance(field, BlindIndexField)
    ]
    total = stale_count(model)
    done = 0
    last_pk = None
    progress(0, total)
    while True:
        rows = stale_rows(model).order_by("pk")
        if last_pk is not None:
            rows = rows.filter(pk__gt=last_pk)
        batch = list(rows[:batch_size])
        if not batch:
            return done
        with transaction.atomic():
            for instance in batch:
                # Reading decrypted under the old key; saving writes under the primary and
                # recomputes the blind indexes.
                instance.save(update_fields=names)
                after_rotation = getattr(instance, "after_key_rotation", None)
                if after_rotation:
                    after_rotation()
        done += len(batch)
        last_pk = batch[-1].pk
        progress(done, total)


# Encrypted data kept outside the tables (uploaded files): each owner registers how to count
# what is still under an older key and how to rewrite it, so ``pledge keys rotate`` leaves
# nothing behind that dropping the old key would make unreadable.
FILE_ROTATIONS: dict[str, tuple[Callable[[], int], Callable[..., int]]] = {}


def file_rotation_register(label: str, *, stale: Callable[[], int], rotate: Callable[..., int]):
    FILE_ROTATIONS[label] = (stale, rotate)
