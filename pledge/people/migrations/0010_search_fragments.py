"""Give every person held before searching by a part of a name or email its fragment digests
(``pledge/people/search.py``): their search tokens are rebuilt, in batches, under the key
ring's primary key. New and changed people get theirs from ``person_name_tokens_refresh``."""

from django.db import migrations

BATCH = 500


def search_tokens_rebuild(apps, schema_editor):
    from pledge.people.search import search_fragment_digests
    from pledge.people.services import name_token_digests

    Person = apps.get_model("people", "Person")
    PersonNameToken = apps.get_model("people", "PersonNameToken")
    last = 0
    while True:
        batch = list(Person.objects.filter(pk__gt=last).order_by("pk")[:BATCH])
        if not batch:
            return
        PersonNameToken.objects.filter(person__in=batch).delete()
        PersonNameToken.objects.bulk_create(
            PersonNameToken(person=person, digest=digest)
            for person in batch
            for digest in [
                *name_token_digests(person.name),
                *search_fragment_digests(name=person.name, email=person.email),
            ]
        )
        last = batch[-1].pk


class Migration(migrations.Migration):
    dependencies = [("people", "0009_impact_assessments")]

    operations = [migrations.RunPython(search_tokens_rebuild, migrations.RunPython.noop)]
