"""ImportJob and ImportRow now belong to the imports app, OpeningBalance to loyalty (their
0001 and 0011 take them over in their state): removed from members' state only, the tables
and their data staying where they are."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('members', '0020_import_file_stored_uncompressed'),
        ('imports', '0001_initial'),
        ('loyalty', '0011_opening_balance_moved_here'),
    ]

    operations = [
        # The tables stay as they are: only where Django finds the model changes.
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='importjob',
                    name='confirmed_by',
                ),
                migrations.RemoveField(
                    model_name='importjob',
                    name='group',
                ),
                migrations.RemoveField(
                    model_name='importjob',
                    name='shop',
                ),
                migrations.RemoveField(
                    model_name='importjob',
                    name='uploaded_by',
                ),
                migrations.RemoveField(
                    model_name='openingbalance',
                    name='job',
                ),
                migrations.RemoveField(
                    model_name='openingbalance',
                    name='customer',
                ),
                migrations.RemoveField(
                    model_name='openingbalance',
                    name='shop',
                ),
                migrations.DeleteModel(
                    name='ImportRow',
                ),
                migrations.DeleteModel(
                    name='ImportJob',
                ),
                migrations.DeleteModel(
                    name='OpeningBalance',
                ),
            ],
            database_operations=[],
        ),
    ]
