from django.db import migrations, models


def member_exports_for_staff(apps, schema_editor):
    # Existing rows default to the owner; the member list is a staff page, so its exports
    # stay readable by the staff who asked for them.
    apps.get_model("shops", "ExportJob").objects.filter(kind="members").update(required_role="staff")


class Migration(migrations.Migration):
    dependencies = [
        ("shops", "0007_alter_activityentry_kind"),
    ]

    operations = [
        migrations.AddField(
            model_name="exportjob",
            name="required_role",
            field=models.CharField(choices=[("owner", "Owner"), ("staff", "Staff")], default="owner", max_length=16),
        ),
        migrations.RunPython(member_exports_for_staff, migrations.RunPython.noop),
    ]
