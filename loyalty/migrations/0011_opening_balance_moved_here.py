"""OpeningBalance, made by the members app (migration 0011), comes here with the opening-balance
import, keeping its table (members_openingbalance) and its constraints: the state only."""

import django.db.models.deletion
import django.utils.timezone
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('imports', '0001_initial'),
        ('loyalty', '0010_tier_recalculation_upward_only'),
        ('members', '0020_import_file_stored_uncompressed'),
        ('shops', '0010_export_content_stored_uncompressed'),
    ]

    operations = [
        # The tables stay as they are: only where Django finds the model changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='OpeningBalance',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('phone', models.CharField(max_length=16)),
                        ('row', models.PositiveIntegerField()),
                        ('amount', models.BigIntegerField()),
                        ('created_customer', models.BooleanField(default=False)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('customer', models.ForeignKey(null=True, on_delete=django.db.models.deletion.PROTECT, related_name='opening_balances', to='members.customer')),
                        ('job', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='imports.importjob')),
                        ('shop', models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.CASCADE, related_name='+', to='shops.shop')),
                    ],
                    options={
                        'db_table': 'members_openingbalance',
                        'constraints': [models.UniqueConstraint(fields=('shop', 'phone'), name='opening_balance_once_per_phone')],
                    },
                ),
            ],
            database_operations=[],
        ),
    ]
