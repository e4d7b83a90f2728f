// SPDX-License-Identifier: GPL-2.0-or-later
/* policy_name.c - name patterns: parsing, IDN to A-labels, matching
 *
 * Three pattern forms, as written in a rule's dst:
 *
 *	example.com	exactly that name
 *	*.example.com	one or more labels below example.com, not the apex
 *	.example.com	example.com itself and every name below it
 *
 * and, inside any one label, '*' matches any run of characters within that
 * label only ("api-*.example.com" matches api-1.example.com, not
 * api.x.example.com).  Matching is case-insensitive and ignores one trailing
 * dot.
 *
 * Internationalized names are converted to A-labels with our own RFC 3492
 * (punycode) encoder.  No Unicode normalization (NFC) and no IDNA2008
 * mapping is done: a label is encoded as written, after lower-casing ASCII
 * letters only.  Upper-case letters of the common non-ASCII scripts, label
 * separators other than '.', invisible and control characters are rejected
 * with a message, rather than silently encoded to a name nobody resolves.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy_internal.h"

/* RFC 3492 section 5: parameter values for punycode */
#define PUNY_BASE	36
#define PUNY_TMIN	1
#define PUNY_TMAX	26
#define PUNY_SKEW	38
#define PUNY_DAMP	700
#define PUNY_BIAS	72
#define PUNY_N		128

static uint32_t puny_adapt(uint32_t delta, uint32_t numpoints, bool first)
{
	uint32_t k = 0;

	delta = first ? delta / PUNY_DAMP : delta / 2;
	delta += delta / numpoints;
	while (delta > ((PUNY_BASE - PUNY_TMIN) * PUNY_TMAX) / 2) {
		delta /= PUNY_BASE - PUNY_TMIN;
		k += PUNY_BASE;
	}
	return k + (PUNY_BASE - PUNY_TMIN + 1) * delta / (delta + PUNY_SKEW);
}

static char puny_digit(uint32_t d)
{
	return d < 26 ? (char)('a' + d) : (char)('0' + d - 26);
}

/**
 * punycode_encode() - RFC 3492 encoding of one label's code points
 * @cp:		code points (basic ones lower-cased by the caller)
 * @n:		number of @cp
 * @out:	output, NUL-terminated, without the "xn--" prefix
 * @out_len:	size of @out
 *
 * Return: length written, -ENOSPC if @out is too small, -EOVERFLOW on the
 * arithmetic overflow RFC 3492 section 6.4 asks encoders to detect.
 */
int punycode_encode(const uint32_t *cp, size_t n, char *out, size_t out_len)
{
	uint32_t cur = PUNY_N, delta = 0, bias = PUNY_BIAS, h, b;
	size_t o = 0, j;

#define PUT(c)                                  \
	do {                                    \
		if (o + 1 >= out_len)           \
			return -ENOSPC;         \
		out[o++] = (c);                 \
	} while (0)

	for (j = 0; j < n; j++)
		if (cp[j] < 0x80)
			PUT((char)cp[j]);
	h = b = (uint32_t)o;
	if (b > 0)
		PUT('-');

	while (h < n) {
		uint32_t m = UINT32_MAX;

		for (j = 0; j < n; j++)
			if (cp[j] >= cur && cp[j] < m)
				m = cp[j];
		if (m - cur > (UINT32_MAX - delta) / (h + 1))
			return -EOVERFLOW;
		delta += (m - cur) * (h + 1);
		cur = m;

		for (j = 0; j < n; j++) {
			uint32_t q, k;

			if (cp[j] < cur && ++delta == 0)
				return -EOVERFLOW;
			if (cp[j] != cur)
				continue;
			for (q = delta, k = PUNY_BASE;; k += PUNY_BASE) {
				uint32_t t;

				if (k <= bias)
					t = PUNY_TMIN;
				else if (k >= bias + PUNY_TMAX)
					t = PUNY_TMAX;
				else
					t = k - bias;
				if (q < t)
					break;
				PUT(puny_digit(t + (q - t) % (PUNY_BASE - t)));
				q = (q - t) / (PUNY_BASE - t);
			}
			PUT(puny_digit(q));
			bias = puny_adapt(delta, h + 1, h == b);
			delta = 0;
			h++;
		}
		delta++;
		cur++;
	}
#undef PUT
	out[o] = '\0';
	return (int)o;
}

/**
 * utf8_decode() - decode one strict UTF-8 sequence
 * @s:		input
 * @len:	bytes available
 * @cp:		decoded code point
 *
 * Return: bytes used, or 0 for an invalid, overlong or surrogate sequence.
 */
size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp)
{
	size_t need, i;
	uint32_t c, min;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	} else if ((s[0] & 0xe0) == 0xc0) {
		need = 2, c = s[0] & 0x1f, min = 0x80;
	} else if ((s[0] & 0xf0) == 0xe0) {
		need = 3, c = s[0] & 0x0f, min = 0x800;
	} else if ((s[0] & 0xf8) == 0xf0) {
		need = 4, c = s[0] & 0x07, min = 0x10000;
	} else {
		return 0;
	}
	if (len < need)
		return 0;
	for (i = 1; i < need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return need;
}

/**
 * idn_reject() - why a non-ASCII code point cannot go into a label
 * @c:		the code point (>= 0x80)
 *
 * We do no IDNA2008 mapping, so what a mapping would change (upper case,
 * full-width dots) or what no registry allows (controls, invisible
 * characters) is refused with a hint instead of encoded.
 *
 * Return: a message, or NULL if @c is accepted.
 */
static const char *idn_reject(uint32_t c)
{
	if (c <= 0xa0 || c == 0xad || (c >= 0x200b && c <= 0x200f) ||
	    c == 0x2028 || c == 0x2029 || c == 0xfeff || c == 0x2060)
		return "a control or invisible character (expected visible "
		       "letters and digits)";
	if (c == 0x3002 || c == 0xff0e || c == 0xff61)
		return "a dot-like character (expected '.' between labels)";
	if ((c >= 0xc0 && c <= 0xde && c != 0xd7) ||
	    (c >= 0x391 && c <= 0x3a9) || (c >= 0x400 && c <= 0x42f))
		return "an upper-case letter (expected lower case: no IDNA "
		       "mapping is done)";
	if ((c & 0xfffe) == 0xfffe || (c >= 0xfdd0 && c <= 0xfdef))
		return "a noncharacter (expected letters and digits)";
	return NULL;
}

/**
 * label_idn() - convert one non-ASCII label to its A-label
 * @in:		the label as written (UTF-8)
 * @len:	its length
 * @out:	"xn--..." output
 * @out_len:	size of @out
 * @msg:	error message
 * @msg_len:	size of @msg
 *
 * Return: 0, or -EINVAL with @msg set.
 */
static int label_idn(const char *in, size_t len, char *out, size_t out_len,
		     char *msg, size_t msg_len)
{
	uint32_t cp[PNAME_MAX_LEN];
	size_t n = 0, i = 0;
	int ret;

	if (len > ARRAY_SIZE(cp)) {
		snprintf(msg, msg_len,
			 "label '%.20s...' is too long (expected at most %d "
			 "characters)", in, PNAME_LABEL_MAX);
		return -EINVAL;
	}
	while (i < len) {
		const char *why;
		size_t used;

		used = utf8_decode((const unsigned char *)in + i, len - i,
				   &cp[n]);
		if (!used) {
			snprintf(msg, msg_len, "invalid UTF-8 in label '%.*s' "
				 "(expected UTF-8 text)", (int)len, in);
			return -EINVAL;
		}
		if (cp[n] == '*') {
			snprintf(msg, msg_len,
				 "'*' cannot be combined with non-ASCII "
				 "characters in label '%.*s' (expected a "
				 "whole-label '*' or an ASCII label)",
				 (int)len, in);
			return -EINVAL;
		}
		if (cp[n] >= 'A' && cp[n] <= 'Z')
			cp[n] += 'a' - 'A';
		if (cp[n] >= 0x80 && (why = idn_reject(cp[n]))) {
			snprintf(msg, msg_len,
				 "label '%.*s' has U+%04X, %s", (int)len, in,
				 (unsigned int)cp[n], why);
			return -EINVAL;
		}
		if (cp[n] < 0x80 && cp[n] != '-' && cp[n] != '_' &&
		    !(cp[n] >= 'a' && cp[n] <= 'z') &&
		    !(cp[n] >= '0' && cp[n] <= '9')) {
			snprintf(msg, msg_len,
				 "bad character '%c' in label '%.*s' (expected "
				 "letters, digits, '-' or '_')",
				 (char)cp[n], (int)len, in);
			return -EINVAL;
		}
		i += used;
		n++;
	}
	if (out_len < 5)
		return -ENOSPC;
	memcpy(out, "xn--", 4);
	ret = punycode_encode(cp, n, out + 4, out_len - 4);
	if (ret < 0 || ret + 4 > PNAME_LABEL_MAX) {
		snprintf(msg, msg_len,
			 "label '%.*s' is too long as an A-label (expected at "
			 "most %d characters after IDN encoding)",
			 (int)len, in, PNAME_LABEL_MAX);
		return -EINVAL;
	}
	return 0;
}

/**
 * label_ascii() - lower-case and check one ASCII label of a pattern
 * @in:		the label as written
 * @len:	its length
 * @out:	lower-cased copy, NUL-terminated (at least @len + 1 bytes)
 * @msg:	error message
 * @msg_len:	size of @msg
 *
 * Return: 0, or -EINVAL with @msg set.
 */
static int label_ascii(const char *in, size_t len, char *out, char *msg,
		       size_t msg_len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		char c = in[i];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		if (!(c >= 'a' && c <= 'z') && !(c >= '0' && c <= '9') &&
		    c != '-' && c != '_' && c != '*') {
			if (c >= 0x20 && c < 0x7f)
				snprintf(msg, msg_len,
					 "bad character '%c' in label '%.*s' "
					 "(expected letters, digits, '-', '_' "
					 "or '*')", c, (int)len, in);
			else
				snprintf(msg, msg_len,
					 "bad character 0x%02x in label "
					 "(expected letters, digits, '-', '_' "
					 "or '*')", (unsigned char)c);
			return -EINVAL;
		}
		out[i] = c;
	}
	out[len] = '\0';
	if (len > PNAME_LABEL_MAX) {
		snprintf(msg, msg_len,
			 "label '%.20s...' is %zu characters long (expected "
			 "at most %d)", out, len, PNAME_LABEL_MAX);
		return -EINVAL;
	}
	if (!strchr(out, '*') && (out[0] == '-' || out[len - 1] == '-')) {
		snprintf(msg, msg_len,
			 "label '%s' starts or ends with '-' (expected a "
			 "letter or digit there)", out);
		return -EINVAL;
	}
	return 0;
}

void pname_free(struct pname *p)
{
	free(p->text);
	free(p->labels);
	free(p->buf);
	memset(p, 0, sizeof(*p));
}

/**
 * pname_fixed_suffix() - how many rightmost labels contain no '*'
 * @p:		the pattern
 *
 * Return: the count; a leading "*." or "." is never fixed.
 */
static size_t pname_fixed_suffix(const struct pname *p)
{
	size_t n = 0;

	while (n < p->n_labels && !strchr(p->labels[p->n_labels - 1 - n], '*'))
		n++;
	return n;
}

/**
 * pname_is_broad() - does the pattern need allow_broad?
 * @p:		the pattern
 *
 * A wildcard pattern whose fixed part is a single label ("*.com", ".com",
 * "api-*.com", "*") would cover a whole top-level domain.  An exact name
 * of one label ("localhost") is not a wildcard and is not broad.
 *
 * Return: true if @p has a wildcard and fewer than two fixed labels.
 */
bool pname_is_broad(const struct pname *p)
{
	bool wild = p->kind != PNAME_EXACT;
	size_t i;

	for (i = 0; i < p->n_labels && !wild; i++)
		wild = strchr(p->labels[i], '*') != NULL;
	return wild && pname_fixed_suffix(p) < 2;
}

/**
 * pname_parse() - parse and normalize a name pattern
 * @p:			result; pname_free() it
 * @text:		the pattern as written
 * @allow_broad:	accept patterns with fewer than two fixed labels
 * @msg:		error message, saying what to write instead
 * @msg_len:		size of @msg
 *
 * Return: 0, -EINVAL with @msg set, or -ENOMEM.
 */
int pname_parse(struct pname *p, const char *text, bool allow_broad,
		char *msg, size_t msg_len)
{
	char label[PNAME_LABEL_MAX * 4 + 8], norm[PNAME_MAX_LEN * 4 + 8];
	const char *s = text;
	size_t len, o = 0, n = 0, i;
	int ret;

	memset(p, 0, sizeof(*p));
	if (strstr(text, "**")) {
		snprintf(msg, msg_len,
			 "'**' is not a pattern in '%s' (expected '*.NAME' "
			 "for one or more labels below NAME, or '.NAME' for "
			 "NAME and everything below it)", text);
		return -EINVAL;
	}
	if (!strcmp(s, "*")) {
		p->kind = PNAME_WILD;
		s += 1;
	} else if (!strncmp(s, "*.", 2)) {
		p->kind = PNAME_WILD;
		s += 2;
	} else if (s[0] == '.') {
		p->kind = PNAME_DOT;
		s += 1;
	} else {
		p->kind = PNAME_EXACT;
	}
	len = strlen(s);
	if (len && s[len - 1] == '.')
		len--;
	if (!len && !(p->kind == PNAME_WILD && !strcmp(text, "*"))) {
		snprintf(msg, msg_len,
			 "'%s' has no name (expected a name such as "
			 "example.com, *.example.com or .example.com)", text);
		return -EINVAL;
	}
	if (len > PNAME_MAX_LEN * 4) {
		snprintf(msg, msg_len,
			 "name is %zu characters long (expected at most %d)",
			 len, PNAME_MAX_LEN);
		return -EINVAL;
	}

	/* Normalize label by label into norm, NUL-separated */
	for (i = 0; len && i <= len;) {
		size_t end = i, l;
		bool ascii = true;

		while (end < len && s[end] != '.') {
			if ((unsigned char)s[end] >= 0x80)
				ascii = false;
			end++;
		}
		l = end - i;
		if (!l) {
			snprintf(msg, msg_len,
				 "empty label in '%s' (expected labels "
				 "separated by single dots)", text);
			return -EINVAL;
		}
		if (ascii) {
			if (l > PNAME_LABEL_MAX) {
				snprintf(msg, msg_len,
					 "label '%.20s...' is %zu characters "
					 "long (expected at most %d)", s + i, l,
					 PNAME_LABEL_MAX);
				return -EINVAL;
			}
			ret = label_ascii(s + i, l, label, msg, msg_len);
		} else {
			ret = label_idn(s + i, l, label, sizeof(label), msg,
					msg_len);
		}
		if (ret < 0)
			return ret;
		l = strlen(label);
		if (o + l + 1 > PNAME_MAX_LEN + 1) {
			snprintf(msg, msg_len,
				 "name '%s' is too long (expected at most %d "
				 "characters)", text, PNAME_MAX_LEN);
			return -EINVAL;
		}
		memcpy(norm + o, label, l + 1);
		o += l + 1;
		n++;
		i = end + 1;
	}

	p->n_labels = n;
	p->buf = malloc(o ? o : 1);
	p->labels = calloc(n ? n : 1, sizeof(*p->labels));
	p->text = malloc(o + 3);
	if (!p->buf || !p->labels || !p->text) {
		pname_free(p);
		return -ENOMEM;
	}
	memcpy(p->buf, norm, o);
	strcpy(p->text, p->kind == PNAME_WILD ? (n ? "*." : "*") :
			p->kind == PNAME_DOT ? "." : "");
	for (i = 0, o = 0; i < n; i++) {
		p->labels[i] = p->buf + o;
		o += strlen(p->labels[i]) + 1;
		if (i)
			strcat(p->text, ".");
		strcat(p->text, p->labels[i]);
	}

	if (!allow_broad && pname_is_broad(p)) {
		snprintf(msg, msg_len,
			 "'%s' is too broad: fewer than two fixed labels "
			 "(expected a longer name such as '*.example.com', or "
			 "'allow_broad: true' in the rule)", p->text);
		pname_free(p);
		return -EINVAL;
	}
	return 0;
}

/**
 * dname_split() - split a name for matching, without copying
 * @d:		result, pointing into @name
 * @name:	a DNS name, any case, with or without the trailing dot
 *
 * Return: 0, or -EINVAL for an empty, too long or malformed name.
 */
int dname_split(struct dname *d, const char *name)
{
	size_t len = strlen(name), i, start = 0;

	if (len && name[len - 1] == '.')
		len--;
	if (!len || len > PNAME_MAX_LEN)
		return -EINVAL;
	d->s = name;
	d->n = 0;
	for (i = 0; i <= len; i++) {
		if (i < len && name[i] != '.')
			continue;
		if (i == start || i - start > PNAME_LABEL_MAX ||
		    d->n == PNAME_MAX_LABELS)
			return -EINVAL;
		d->off[d->n] = (uint16_t)start;
		d->len[d->n] = (uint8_t)(i - start);
		d->n++;
		start = i + 1;
	}
	return 0;
}

static char lc(char c)
{
	return c >= 'A' && c <= 'Z' ? (char)(c + 'a' - 'A') : c;
}

/**
 * pname_glob() - match one pattern label against one name label
 * @pat:	lower-case label, '*' matches any run within the label
 * @s:		name label, any case
 * @len:	length of @s
 *
 * Iterative, with one backtrack point: linear in practice, never
 * exponential.
 *
 * Return: true on a match.
 */
bool pname_glob(const char *pat, const char *s, size_t len)
{
	const char *star = NULL;
	size_t i = 0, mark = 0;

	while (i < len) {
		if (*pat == '*') {
			star = pat++;
			mark = i;
		} else if (*pat && *pat == lc(s[i])) {
			pat++;
			i++;
		} else if (star) {
			pat = star + 1;
			i = ++mark;
		} else {
			return false;
		}
	}
	while (*pat == '*')
		pat++;
	return !*pat;
}

/**
 * suffix_match() - do the rightmost @k labels of pattern and name match?
 * @p:		the pattern
 * @d:		the name
 * @k:		labels to compare, at most both label counts
 *
 * Return: true if they match.
 */
static bool suffix_match(const struct pname *p, const struct dname *d,
			 size_t k)
{
	size_t i;

	for (i = 0; i < k; i++) {
		size_t pi = p->n_labels - 1 - i, di = d->n - 1 - i;

		if (!pname_glob(p->labels[pi], d->s + d->off[di], d->len[di]))
			return false;
	}
	return true;
}

/**
 * pname_match() - does a name match a pattern?
 * @p:		the pattern
 * @d:		the name, split
 *
 * Return: true on a match.
 */
bool pname_match(const struct pname *p, const struct dname *d)
{
	switch (p->kind) {
	case PNAME_EXACT:
		return d->n == p->n_labels &&
		       suffix_match(p, d, p->n_labels);
	case PNAME_WILD:
		return d->n > p->n_labels && suffix_match(p, d, p->n_labels);
	case PNAME_DOT:
		return d->n >= p->n_labels && suffix_match(p, d, p->n_labels);
	case PNAME_NUM:
		break;
	}
	return false;
}

/**
 * pname_match_descendant() - could a name strictly below @d match @p?
 * @p:		the pattern
 * @d:		the name, split
 *
 * The DNS stub answers NODATA rather than NXDOMAIN for such names, since
 * NXDOMAIN tells resolvers that nothing exists below (RFC 8020).
 *
 * Return: true if some descendant of @d matches @p.
 */
bool pname_match_descendant(const struct pname *p, const struct dname *d)
{
	size_t k = d->n < p->n_labels ? d->n : p->n_labels;

	switch (p->kind) {
	case PNAME_EXACT:
		return p->n_labels > d->n && suffix_match(p, d, d->n);
	case PNAME_WILD:
	case PNAME_DOT:
		return suffix_match(p, d, k);
	case PNAME_NUM:
		break;
	}
	return false;
}

/**
 * pname_covers_descendants() - does @p match every name strictly below @d?
 * @p:		the pattern
 * @d:		the name, split
 *
 * Return: true if it does (a deny rule with such a pattern denies the
 * whole subtree).
 */
bool pname_covers_descendants(const struct pname *p, const struct dname *d)
{
	if (p->kind == PNAME_EXACT)
		return false;
	return d->n >= p->n_labels && suffix_match(p, d, p->n_labels);
}
