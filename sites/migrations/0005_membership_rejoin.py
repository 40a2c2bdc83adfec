# Rejoining a CoP: one *current* membership per person per CoP instead of one ever.

from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0003_audit_event'),
        ('sites', '0004_initiative_cop_theme_index'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveConstraint(
            model_name='membership',
            name='membership_one_per_person_per_cop',
        ),
        migrations.AddConstraint(
            model_name='membership',
            constraint=models.UniqueConstraint(condition=models.Q(('left_on__isnull', True)), fields=('community', 'person'), name='membership_one_current_per_person_per_cop', violation_error_message='This person is already a current member of this community.'),
        ),
    ]
