"""The call models now belong to the calls app (same tables): the voice app forgets them."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('voice', '0005_segment_skipped'),
        ('calls', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.RemoveField(
                model_name='call',
                name='bot',
            ),
            migrations.RemoveField(
                model_name='call',
                name='flow_version',
            ),
            migrations.RemoveField(
                model_name='call',
                name='model_version',
            ),
            migrations.RemoveField(
                model_name='call',
                name='user',
            ),
            migrations.RemoveField(
                model_name='callnode',
                name='call',
            ),
            migrations.RemoveField(
                model_name='latencybucket',
                name='bot',
            ),
            migrations.DeleteModel(
                name='Turn',
            ),
            migrations.DeleteModel(
                name='Call',
            ),
            migrations.DeleteModel(
                name='CallNode',
            ),
            migrations.DeleteModel(
                name='LatencyBucket',
            ),
        ]),
    ]
