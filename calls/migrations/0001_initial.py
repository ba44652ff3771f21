"""The call models move from the voice app: the tables stay (`voice_call`, ...); only Django's state changes."""

import calls.models
import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


MOVED = ["call", "turn", "callnode", "latencybucket"]


def move_content_types(apps, schema_editor):
    """Permissions and admin history keep pointing at the same models."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    if not ContentType.objects.filter(app_label="calls").exists():
        ContentType.objects.filter(app_label="voice", model__in=MOVED).update(app_label="calls")


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('flows', '0001_initial'),
        ('nlu', '0002_training_runs_and_model_versions'),
        ('salesstudio', '0001_initial'),
        ('voice', '0005_segment_skipped'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(state_operations=[
            migrations.CreateModel(
                name='Call',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('channel', models.CharField(choices=[('test', 'Test call'), ('real', 'Real call'), ('simulated', 'Simulated')], default='test', max_length=10, verbose_name='channel')),
                    ('mode', models.CharField(choices=[('voice', 'Voice'), ('text', 'Text')], default='text', max_length=5, verbose_name='mode')),
                    ('seed', models.BigIntegerField(default=0)),
                    ('started_at', models.DateTimeField(verbose_name='started')),
                    ('ended_at', models.DateTimeField(blank=True, null=True, verbose_name='ended')),
                    ('outcome', models.CharField(blank=True, max_length=60, verbose_name='outcome')),
                    ('end_node', models.CharField(blank=True, max_length=64, verbose_name='end node')),
                    ('completed', models.BooleanField(default=False, verbose_name='completed')),
                    ('turn_count', models.PositiveIntegerField(default=0, verbose_name='turns')),
                    ('user_turn_count', models.PositiveIntegerField(default=0)),
                    ('no_match_count', models.PositiveIntegerField(default=0)),
                    ('silence_count', models.PositiveIntegerField(default=0)),
                    ('barge_in_count', models.PositiveIntegerField(default=0)),
                    ('max_latency_ms', models.PositiveIntegerField(blank=True, null=True, verbose_name='slowest turn (ms)')),
                    ('user_audio', models.FileField(blank=True, max_length=300, upload_to=calls.models.call_audio_path)),
                    ('bot_audio', models.FileField(blank=True, max_length=300, upload_to=calls.models.call_audio_path)),
                    ('bot', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='calls', to='salesstudio.bot')),
                    ('flow_version', models.ForeignKey(null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='calls', to='flows.flowversion')),
                    ('model_version', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='calls', to='nlu.modelversion')),
                    ('user', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL)),
                ],
                options={
                    'db_table': 'voice_call',
                    'ordering': ['-started_at', '-id'],
                },
            ),
            migrations.CreateModel(
                name='CallNode',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('node', models.CharField(max_length=64)),
                    ('visits', models.PositiveIntegerField(default=0)),
                    ('silences', models.PositiveIntegerField(default=0)),
                    ('no_matches', models.PositiveIntegerField(default=0)),
                    ('barge_ins', models.PositiveIntegerField(default=0)),
                    ('hangups', models.PositiveIntegerField(default=0)),
                    ('ended', models.BooleanField(default=False)),
                    ('call', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='nodes', to='calls.call')),
                ],
                options={
                    'db_table': 'voice_callnode',
                },
            ),
            migrations.CreateModel(
                name='LatencyBucket',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('flow_version_key', models.PositiveIntegerField()),
                    ('model_version_key', models.PositiveIntegerField()),
                    ('channel', models.CharField(choices=[('test', 'Test call'), ('real', 'Real call'), ('simulated', 'Simulated')], max_length=10)),
                    ('day', models.DateField()),
                    ('stage', models.CharField(max_length=5)),
                    ('ms', models.PositiveIntegerField()),
                    ('turns', models.PositiveIntegerField(default=0)),
                    ('bot', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='+', to='salesstudio.bot')),
                ],
                options={
                    'db_table': 'voice_latencybucket',
                },
            ),
            migrations.CreateModel(
                name='Turn',
                fields=[
                    ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                    ('index', models.PositiveIntegerField()),
                    ('created_at', models.DateTimeField()),
                    ('event', models.CharField(choices=[('start', 'Start'), ('user', 'User turn'), ('silence', 'Silence'), ('barge_in', 'Barge-in'), ('hangup', 'Hang-up')], max_length=10)),
                    ('from_node', models.CharField(blank=True, max_length=64)),
                    ('node', models.CharField(blank=True, max_length=64, verbose_name='node')),
                    ('path', models.JSONField(default=list)),
                    ('user_text', models.TextField(blank=True, verbose_name='user said')),
                    ('asr_confidence', models.FloatField(blank=True, null=True)),
                    ('intent', models.CharField(blank=True, max_length=100, verbose_name='intent')),
                    ('intent_confidence', models.FloatField(blank=True, null=True)),
                    ('top_intents', models.JSONField(default=list)),
                    ('slots', models.JSONField(default=dict)),
                    ('changed_slots', models.JSONField(default=dict)),
                    ('bot_text', models.TextField(blank=True, verbose_name='bot said')),
                    ('no_match', models.BooleanField(default=False)),
                    ('silence', models.BooleanField(default=False)),
                    ('barge_in', models.BooleanField(default=False)),
                    ('vad_ms', models.PositiveIntegerField(blank=True, null=True)),
                    ('asr_ms', models.PositiveIntegerField(blank=True, null=True)),
                    ('nlu_ms', models.PositiveIntegerField(blank=True, null=True)),
                    ('flow_ms', models.PositiveIntegerField(blank=True, null=True)),
                    ('tts_ms', models.PositiveIntegerField(blank=True, null=True)),
                    ('total_ms', models.PositiveIntegerField(blank=True, null=True)),
                    ('user_audio_start', models.FloatField(blank=True, null=True)),
                    ('user_audio_end', models.FloatField(blank=True, null=True)),
                    ('bot_audio_start', models.FloatField(blank=True, null=True)),
                    ('bot_audio_end', models.FloatField(blank=True, null=True)),
                    ('call', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='turns', to='calls.call')),
                ],
                options={
                    'db_table': 'voice_turn',
                    'ordering': ['call', 'index'],
                },
            ),
            migrations.AddIndex(
                model_name='call',
                index=models.Index(fields=['bot', 'started_at'], name='call_bot_started'),
            ),
            migrations.AddIndex(
                model_name='call',
                index=models.Index(fields=['bot', 'flow_version', 'started_at'], name='call_bot_version_started'),
            ),
            migrations.AddIndex(
                model_name='call',
                index=models.Index(fields=['bot', 'outcome'], name='call_bot_outcome'),
            ),
            migrations.AddConstraint(
                model_name='callnode',
                constraint=models.UniqueConstraint(fields=('call', 'node'), name='call_node_unique'),
            ),
            migrations.AddConstraint(
                model_name='latencybucket',
                constraint=models.UniqueConstraint(fields=('bot', 'day', 'flow_version_key', 'model_version_key', 'channel', 'stage', 'ms'), name='latency_bucket_unique'),
            ),
            migrations.AddIndex(
                model_name='turn',
                index=models.Index(fields=['call', 'event', 'intent'], include=('created_at', 'vad_ms', 'asr_ms', 'nlu_ms', 'flow_ms', 'tts_ms', 'total_ms'), name='turn_call_intent'),
            ),
            migrations.AddConstraint(
                model_name='turn',
                constraint=models.UniqueConstraint(fields=('call', 'index'), name='turn_index_unique'),
            ),
        ]),
        migrations.RunPython(move_content_types, migrations.RunPython.noop),
    ]
