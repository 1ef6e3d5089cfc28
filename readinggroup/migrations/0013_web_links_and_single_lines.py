"""Links are web links and one-line fields hold one line, in the database too.

The validators (readinggroup.weblinks, readinggroup.validators) check forms and
imports; these constraints make the database refuse a non-http(s) link and a line
break in any one-line field, whatever wrote it. 0009 cleaned the rows first.
"""

import django.core.validators
import readinggroup.validators
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('auth', '0012_alter_user_first_name_max_length'),
        ('readinggroup', '0012_rerender_notes'),
    ]

    operations = [
        migrations.AlterField(
            model_name='groupsettings',
            name='webhook_url',
            field=models.URLField(blank=True, max_length=500, validators=[django.core.validators.URLValidator(message='Enter a web link starting with https:// or http://.', schemes=['http', 'https']), readinggroup.validators.validate_single_line], verbose_name='chat webhook URL (Slack-compatible)'),
        ),
        migrations.AlterField(
            model_name='invite',
            name='email',
            field=models.EmailField(blank=True, max_length=254, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='series',
            name='title',
            field=models.CharField(max_length=200, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='session',
            name='place',
            field=models.CharField(blank=True, max_length=200, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='session',
            name='title',
            field=models.CharField(blank=True, max_length=200, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='session',
            name='video_url',
            field=models.URLField(blank=True, max_length=500, validators=[django.core.validators.URLValidator(message='Enter a web link starting with https:// or http://.', schemes=['http', 'https']), readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='slot',
            name='slides_url',
            field=models.URLField(blank=True, max_length=500, validators=[django.core.validators.URLValidator(message='Enter a web link starting with https:// or http://.', schemes=['http', 'https']), readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='unavailability',
            name='note',
            field=models.CharField(blank=True, max_length=200, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='user',
            name='display_name',
            field=models.CharField(blank=True, max_length=150, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='user',
            name='email',
            field=models.EmailField(blank=True, max_length=254, validators=[readinggroup.validators.validate_single_line], verbose_name='email address'),
        ),
        migrations.AlterField(
            model_name='user',
            name='first_name',
            field=models.CharField(blank=True, max_length=150, validators=[readinggroup.validators.validate_single_line], verbose_name='first name'),
        ),
        migrations.AlterField(
            model_name='user',
            name='last_name',
            field=models.CharField(blank=True, max_length=150, validators=[readinggroup.validators.validate_single_line], verbose_name='last name'),
        ),
        migrations.AddConstraint(
            model_name='groupsettings',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('webhook_url__contains', '\n'), _negated=True), models.Q(('webhook_url__contains', '\r'), _negated=True)), name='group_settings_webhook_url_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='groupsettings',
            constraint=models.CheckConstraint(condition=models.Q(('webhook_url', ''), ('webhook_url__startswith', 'http://'), ('webhook_url__startswith', 'https://'), _connector='OR'), name='group_settings_webhook_url_web', violation_error_message='Enter a web link starting with https:// or http://.'),
        ),
        migrations.AddConstraint(
            model_name='invite',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('email__contains', '\n'), _negated=True), models.Q(('email__contains', '\r'), _negated=True)), name='invite_email_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='notification',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('subject__contains', '\n'), _negated=True), models.Q(('subject__contains', '\r'), _negated=True)), name='notification_subject_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='series',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('title__contains', '\n'), _negated=True), models.Q(('title__contains', '\r'), _negated=True)), name='series_title_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='session',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('title__contains', '\n'), _negated=True), models.Q(('title__contains', '\r'), _negated=True)), name='session_title_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='session',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('place__contains', '\n'), _negated=True), models.Q(('place__contains', '\r'), _negated=True)), name='session_place_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='session',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('video_url__contains', '\n'), _negated=True), models.Q(('video_url__contains', '\r'), _negated=True)), name='session_video_url_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='session',
            constraint=models.CheckConstraint(condition=models.Q(('video_url', ''), ('video_url__startswith', 'http://'), ('video_url__startswith', 'https://'), _connector='OR'), name='session_video_url_web', violation_error_message='Enter a web link starting with https:// or http://.'),
        ),
        migrations.AddConstraint(
            model_name='slot',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('slides_url__contains', '\n'), _negated=True), models.Q(('slides_url__contains', '\r'), _negated=True)), name='slot_slides_url_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='slot',
            constraint=models.CheckConstraint(condition=models.Q(('slides_url', ''), ('slides_url__startswith', 'http://'), ('slides_url__startswith', 'https://'), _connector='OR'), name='slot_slides_url_web', violation_error_message='Enter a web link starting with https:// or http://.'),
        ),
        migrations.AddConstraint(
            model_name='unavailability',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('note__contains', '\n'), _negated=True), models.Q(('note__contains', '\r'), _negated=True)), name='unavailability_note_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('first_name__contains', '\n'), _negated=True), models.Q(('first_name__contains', '\r'), _negated=True)), name='user_first_name_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('last_name__contains', '\n'), _negated=True), models.Q(('last_name__contains', '\r'), _negated=True)), name='user_last_name_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('email__contains', '\n'), _negated=True), models.Q(('email__contains', '\r'), _negated=True)), name='user_email_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='user',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('display_name__contains', '\n'), _negated=True), models.Q(('display_name__contains', '\r'), _negated=True)), name='user_display_name_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
    ]
