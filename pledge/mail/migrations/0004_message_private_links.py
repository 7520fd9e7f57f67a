"""Private links kept apart from the stored bodies until delivery."""

import pledge.vault.fields
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('mail', '0003_message_to_index'),
    ]

    operations = [
        migrations.AddField(
            model_name='message',
            name='private_links',
            field=pledge.vault.fields.EncryptedJSONField(blank=True, default=dict),
        ),
    ]
