"""Delivery that says what it waits for: leases of seconds, scheduled retries, and
outbox messages that count as delivered once a worker started them.

Rows written before: an outbox message already published counts as started (it was
delivered under the old rule), and a pending notification's old lease (its sent_at,
held for ten minutes) becomes an explicit one.
"""

import datetime as dt

import django.db.models.deletion
from django.db import migrations, models
from django.db.models import F

OLD_LEASE = dt.timedelta(minutes=10)


def carry_over(apps, schema_editor):
    OutboxMessage = apps.get_model("readinggroup", "OutboxMessage")
    Notification = apps.get_model("readinggroup", "Notification")
    OutboxMessage.objects.filter(enqueued_at__isnull=False).update(started_at=F("enqueued_at"))
    Notification.objects.filter(status="pending", sent_at__isnull=False).update(
        lease_expires_at=F("sent_at") + OLD_LEASE
    )


class Migration(migrations.Migration):

    dependencies = [
        ("readinggroup", "0009_delete_datageneration"),
    ]

    operations = [
        migrations.AddField(
            model_name='notification',
            name='lease_expires_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='notification',
            name='retry_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name='notification',
            name='send_task',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to='readinggroup.outboxmessage'),
        ),
        migrations.AddField(
            model_name='outboxmessage',
            name='started_at',
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name='outboxmessage',
            index=models.Index(condition=models.Q(('enqueued_at__isnull', False), ('started_at__isnull', True)), fields=['enqueued_at'], name='outbox_unstarted_idx'),
        ),
        migrations.RunPython(carry_over, migrations.RunPython.noop, elidable=True),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.CheckConstraint(condition=models.Q(('status', 'pending'), models.Q(('lease_expires_at__isnull', True), ('retry_at__isnull', True)), _connector='OR'), name='notification_waits_only_while_pending'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.CheckConstraint(condition=models.Q(('lease_expires_at__isnull', True), ('retry_at__isnull', True), _connector='OR'), name='notification_sending_or_retrying'),
        ),
    ]
