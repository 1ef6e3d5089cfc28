"""Links are web links and one-line fields hold one line, in the database too.

The validators (readinggroup.weblinks, readinggroup.validators) check forms and
imports; these constraints make the database refuse a non-http(s) link and a line
break in any one-line field, whatever wrote it. 0005 cleaned the rows first.
"""

import django.core.validators
import readinggroup.validators
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('papers', '0005_clean_links_and_lines'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name='paper',
            name='citation_key',
            field=models.CharField(max_length=200, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='paper',
            name='doi',
            field=models.CharField(blank=True, max_length=200, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='paper',
            name='entry_type',
            field=models.CharField(default='misc', max_length=30, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='paper',
            name='pages',
            field=models.CharField(blank=True, max_length=50, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='paper',
            name='short_name',
            field=models.CharField(blank=True, max_length=100, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='paper',
            name='title',
            field=models.CharField(max_length=500, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='paper',
            name='url',
            field=models.URLField(blank=True, max_length=500, validators=[django.core.validators.URLValidator(message='Enter a web link starting with https:// or http://.', schemes=['http', 'https']), readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='paper',
            name='venue',
            field=models.CharField(blank=True, max_length=100, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='pendingimport',
            name='filename',
            field=models.CharField(max_length=255, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='readinglist',
            name='name',
            field=models.CharField(max_length=200, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='readinglist',
            name='source_name',
            field=models.CharField(help_text="The file's name.", max_length=255, unique=True, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AlterField(
            model_name='topic',
            name='name',
            field=models.CharField(max_length=200, validators=[readinggroup.validators.validate_single_line]),
        ),
        migrations.AddConstraint(
            model_name='paper',
            constraint=models.CheckConstraint(condition=models.Q(('url', ''), ('url__startswith', 'http://'), ('url__startswith', 'https://'), _connector='OR'), name='paper_url_web', violation_error_message='Enter a web link starting with https:// or http://.'),
        ),
        migrations.AddConstraint(
            model_name='paper',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('title__contains', '\n'), _negated=True), models.Q(('title__contains', '\r'), _negated=True)), name='paper_title_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='paper',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('short_name__contains', '\n'), _negated=True), models.Q(('short_name__contains', '\r'), _negated=True)), name='paper_short_name_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='paper',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('venue__contains', '\n'), _negated=True), models.Q(('venue__contains', '\r'), _negated=True)), name='paper_venue_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='paper',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('pages__contains', '\n'), _negated=True), models.Q(('pages__contains', '\r'), _negated=True)), name='paper_pages_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='paper',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('url__contains', '\n'), _negated=True), models.Q(('url__contains', '\r'), _negated=True)), name='paper_url_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='paper',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('doi__contains', '\n'), _negated=True), models.Q(('doi__contains', '\r'), _negated=True)), name='paper_doi_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='paper',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('citation_key__contains', '\n'), _negated=True), models.Q(('citation_key__contains', '\r'), _negated=True)), name='paper_citation_key_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='paper',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('entry_type__contains', '\n'), _negated=True), models.Q(('entry_type__contains', '\r'), _negated=True)), name='paper_entry_type_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='pendingimport',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('filename__contains', '\n'), _negated=True), models.Q(('filename__contains', '\r'), _negated=True)), name='pendingimport_filename_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='readinglist',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('name__contains', '\n'), _negated=True), models.Q(('name__contains', '\r'), _negated=True)), name='readinglist_name_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='readinglist',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('source_name__contains', '\n'), _negated=True), models.Q(('source_name__contains', '\r'), _negated=True)), name='readinglist_source_name_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
        migrations.AddConstraint(
            model_name='topic',
            constraint=models.CheckConstraint(condition=models.Q(models.Q(('name__contains', '\n'), _negated=True), models.Q(('name__contains', '\r'), _negated=True)), name='topic_name_single_line', violation_error_message='Write this on one line: no line breaks, tabs or other control characters.'),
        ),
    ]
