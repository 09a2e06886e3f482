"""ImportJob and ImportRow, made by the members app (migrations 0011 to 0020), come here with
their tables (members_importjob, members_importrow) and every constraint on them kept: the
state only. Members' 0021 removes them from its own state once this has run."""

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('members', '0020_import_file_stored_uncompressed'),
        ('shops', '0010_export_content_stored_uncompressed'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        # The tables stay as they are: only where Django finds the model changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ImportJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('opening', 'Opening balances'), ('points', 'Point adjustments'), ('phones', 'Phone list for a group')], max_length=16)),
                        ('status', models.CharField(choices=[('analysing', 'Reading the file'), ('ready', 'Waiting for your confirmation'), ('refused', 'File refused'), ('queued', 'Waiting for a worker'), ('running', 'Importing'), ('done', 'Done'), ('failed', 'Failed'), ('cancelled', 'Cancelled')], default='analysing', max_length=16)),
                        ('file_name', models.CharField(max_length=255, verbose_name='file')),
                        ('file_content', models.BinaryField()),
                        ('file_size', models.PositiveIntegerField(default=0)),
                        ('file_sha256', models.CharField(max_length=64)),
                        ('rows_total', models.PositiveIntegerField(default=0)),
                        ('preview', models.JSONField(blank=True, default=dict)),
                        ('counts', models.JSONField(blank=True, default=dict)),
                        ('problems', models.JSONField(blank=True, default=list)),
                        ('repeated_keys', models.JSONField(blank=True, default=dict)),
                        ('apply_errors', models.JSONField(blank=True, default=dict)),
                        ('file_dropped_at', models.DateTimeField(blank=True, null=True)),
                        ('report_content', models.BinaryField(default=b'')),
                        ('rows_done', models.PositiveIntegerField(default=0)),
                        ('cursor', models.PositiveIntegerField(default=0)),
                        ('error', models.TextField(blank=True)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('confirmed_at', models.DateTimeField(blank=True, null=True)),
                        ('started_at', models.DateTimeField(blank=True, null=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('progressed_at', models.DateTimeField(blank=True, null=True)),
                        ('confirmed_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('group', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='members.customergroup')),
                        ('shop', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='shops.shop')),
                        ('uploaded_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'db_table': 'members_importjob',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
                migrations.CreateModel(
                    name='ImportRow',
                    fields=[
                        ('pk', models.CompositePrimaryKey('job', 'outcome', 'number', blank=True, editable=False, primary_key=True, serialize=False)),
                        ('outcome', models.CharField(max_length=16)),
                        ('number', models.PositiveIntegerField()),
                        ('cells', models.TextField()),
                        ('read', models.TextField(blank=True)),
                        ('reason', models.TextField(blank=True)),
                        ('flag', models.TextField(blank=True)),
                        ('job', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='imports.importjob')),
                    ],
                    options={
                        'db_table': 'members_importrow',
                    },
                ),
                migrations.AddIndex(
                    model_name='importjob',
                    index=models.Index(fields=['shop', 'kind', '-created_at'], name='import_job_shop_kind'),
                ),
                migrations.AddIndex(
                    model_name='importrow',
                    index=models.Index(condition=models.Q(('flag', ''), _negated=True), fields=['job', 'number'], name='import_row_flagged'),
                ),
            ],
            database_operations=[],
        ),
    ]
