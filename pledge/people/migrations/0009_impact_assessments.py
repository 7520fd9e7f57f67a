"""Personal information protection impact assessments (PIPL Art. 55-56): one row per version of
the assessment of one processing (pledge/people/assessments.py)."""

import uuid

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("people", "0008_consent_methods_mail")]

    operations = [
        migrations.CreateModel(
            name="ImpactAssessment",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                ("public_id", models.UUIDField(default=uuid.uuid4, editable=False, unique=True)),
                ("processing", models.CharField(max_length=200)),
                ("processing_names", models.JSONField(default=dict)),
                ("version", models.PositiveIntegerField()),
                ("assessed_on", models.DateField()),
                ("scope", models.TextField()),
                ("risks", models.TextField()),
                ("measures", models.TextField()),
                (
                    "outcome",
                    models.CharField(
                        choices=[
                            ("approved", "Approved"),
                            ("approved_with_conditions", "Approved with conditions"),
                            ("rejected", "Rejected"),
                        ],
                        max_length=30,
                    ),
                ),
                ("review_due", models.DateField()),
                ("declaration", models.JSONField(default=dict)),
                ("fingerprint", models.CharField(max_length=64)),
                ("processing_ended_at", models.DateTimeField(blank=True, null=True)),
                ("created_by", models.CharField(max_length=150)),
                ("created_at", models.DateTimeField(auto_now_add=True)),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(
                        fields=("processing", "version"), name="impact_assessment_one_per_version"
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("version__gte", 1)),
                        name="impact_assessment_version_positive",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(
                            ("outcome__in", ["approved", "approved_with_conditions", "rejected"])
                        ),
                        name="impact_assessment_outcome_known",
                    ),
                    models.CheckConstraint(
                        condition=models.Q(("review_due__gt", models.F("assessed_on"))),
                        name="impact_assessment_review_after_assessment",
                    ),
                ],
            },
        ),
    ]
