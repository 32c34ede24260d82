/*
 * config/diag.c - diagnostic records: {file, line, col, severity, message,
 * source line}, and their gcc-style formatting.
 *
 * The list owns copies of every string, so records outlive the rule text.
 * Records are kept in file order (stable sort by line, then column) so a
 * driver prints them as a compiler would.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/cfg.h"

struct ph_diags {
	struct ph_diag *d;
	size_t n, cap;
	size_t n_err, n_warn;
	bool oom;
};

struct ph_diags *
diags_new(void)
{
	return calloc(1, sizeof(struct ph_diags));
}

bool
diags_oom(const struct ph_diags *d)
{
	return d->oom;
}

/* Copy a source line, replacing bytes a terminal should not see. */
static char *
copy_text(const char *text, size_t len)
{
	char *s = malloc(len + 1);

	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		s[i] = (c < 0x20 && c != '\t') || c == 0x7f ? '?' : (char)c;
	}
	s[len] = '\0';
	return s;
}

void
diags_add(struct ph_diags *d, const char *file, uint32_t line, uint32_t col,
	  uint8_t sev, const char *msg, const char *text, size_t textlen)
{
	struct ph_diag *r;
	struct ph_diag *nd;

	if (d->oom)
		return;
	nd = vec_grow(d->d, &d->cap, d->n, sizeof(*d->d));
	if (nd == NULL)
		goto out_oom;
	d->d = nd;
	r = &d->d[d->n];
	r->file = strdup(file);
	r->msg = strdup(msg);
	r->text = copy_text(text ? text : "", text ? textlen : 0);
	if (r->file == NULL || r->msg == NULL || r->text == NULL) {
		free((char *)r->file);
		free((char *)r->msg);
		free((char *)r->text);
		goto out_oom;
	}
	r->line = line;
	r->col = col;
	r->severity = sev;
	d->n++;
	if (sev == PH_DIAG_ERROR)
		d->n_err++;
	else if (sev == PH_DIAG_WARNING)
		d->n_warn++;
	return;
out_oom:
	d->oom = true;
}

void
diags_sort(struct ph_diags *d)
{
	/* insertion sort: stable, and lists are short and nearly sorted */
	for (size_t i = 1; i < d->n; i++) {
		struct ph_diag t = d->d[i];
		size_t j = i;

		while (j > 0 && (d->d[j - 1].line > t.line ||
				 (d->d[j - 1].line == t.line &&
				  d->d[j - 1].col > t.col))) {
			d->d[j] = d->d[j - 1];
			j--;
		}
		d->d[j] = t;
	}
}

size_t
ph_diags_count(const struct ph_diags *d)
{
	return d ? d->n : 0;
}

const struct ph_diag *
ph_diags_get(const struct ph_diags *d, size_t i)
{
	return d && i < d->n ? &d->d[i] : NULL;
}

size_t
ph_diags_errors(const struct ph_diags *d)
{
	return d ? d->n_err : 0;
}

size_t
ph_diags_warnings(const struct ph_diags *d)
{
	return d ? d->n_warn : 0;
}

void
ph_diags_free(struct ph_diags *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free((char *)d->d[i].file);
		free((char *)d->d[i].msg);
		free((char *)d->d[i].text);
	}
	free(d->d);
	free(d);
}

const char *
ph_diag_severity_name(unsigned sev)
{
	switch (sev) {
	case PH_DIAG_ERROR:
		return "error";
	case PH_DIAG_WARNING:
		return "warning";
	case PH_DIAG_NOTE:
		return "note";
	}
	return "?";
}

int
ph_diag_format(const struct ph_diag *d, char *buf, size_t len)
{
	struct strbuf sb;
	int n;

	sb_init(&sb);
	if (d->line == 0) {
		sb_printf(&sb, "%s: %s: %s\n", d->file,
			  ph_diag_severity_name(d->severity), d->msg);
	} else {
		sb_printf(&sb, "%s:%u:%u: %s: %s\n%s\n", d->file, d->line,
			  d->col, ph_diag_severity_name(d->severity), d->msg,
			  d->text);
		/* caret under the column; keep tabs so it lines up */
		size_t tl = strlen(d->text);

		for (uint32_t i = 0; i + 1 < d->col; i++)
			sb_putc(&sb, i < tl && d->text[i] == '\t' ? '\t' : ' ');
		sb_puts(&sb, "^\n");
	}
	if (sb.oom) {
		sb_free(&sb);
		if (len > 0)
			buf[0] = '\0';
		return -ENOMEM;
	}
	n = (int)sb.len;
	if (len > 0) {
		size_t c = sb.len < len - 1 ? sb.len : len - 1;
		memcpy(buf, sb.buf, c);
		buf[c] = '\0';
	}
	sb_free(&sb);
	return n;
}
