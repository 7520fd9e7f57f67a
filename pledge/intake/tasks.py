"""Background work of intake: thin tasks that take ids and call a service."""

from django_tasks import task

from pledge.intake.imports import import_batch_run
from pledge.intake.models import ImportBatch
from pledge.vault.actors import Actor


@task()
def run_import(batch_id: int) -> int:
    batch = ImportBatch.objects.get(pk=batch_id)
    import_batch_run(
        batch, actor=Actor.staff(batch.created_by) if batch.created_by else Actor.system("import")
    )
    return batch.done
