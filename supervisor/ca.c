// SPDX-License-Identifier: GPL-2.0-or-later
/* ca.c - the interception CA: `ca init|export`, loading, leaf certificates
 *
 * The relay terminates TLS for https rules that intercept (mitm.c), with a
 * certificate for the ClientHello's SNI that it signs itself, with a CA
 * that CMD's TLS stacks were told to trust.  This file owns that CA:
 *
 *   - `egress-supervise ca init [DIR]` creates it: an ECDSA P-256 key
 *     (DIR/ca.key, mode 0600, created by the user who runs it) and a
 *     self-signed certificate valid ten years (DIR/ca.crt);
 *     `egress-supervise ca export [DIR]` prints the certificate;
 *   - ca_load() reads certificate and key once, before CMD starts; from
 *     then on the key lives in the supervisor's memory only (the process
 *     is not dumpable), so the file may be made unreachable afterwards;
 *   - ca_leaf() mints leaves: ECDSA P-256 (one key per supervisor run,
 *     generated at load), valid CA_LEAF_SECS (an hour of skew before),
 *     subjectAltName the SNI (or the IP address when there is none),
 *     serverAuth only, cached by name in a CA_LEAVES-entry LRU table.
 *
 * DIR defaults to $EGRESS_SUPERVISE_CA_DIR, else CA_DIR_DEFAULT; the
 * policy's tls: mapping overrides it for the supervisor.
 */

#include <arpa/inet.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509v3.h>

#include "ca.h"
#include "util.h"

#define CA_VALID_DAYS	3650
#define CA_LEAF_SKEW	3600	/* notBefore an hour back: clock skew */
#define CA_LEAF_RENEW	3600	/* re-mint a cached leaf this near its end */
#define CA_NAME_SIZE	256

struct ca_slot {
	char name[CA_NAME_SIZE];
	X509 *cert;
	time_t expires;
	uint64_t used;
};

static struct {
	X509 *cert;
	EVP_PKEY *key;
	EVP_PKEY *leaf_key;
	uint64_t tick;
	struct ca_slot slot[CA_LEAVES];
} ca;

const char *ca_default_dir(void)
{
	const char *d = getenv(CA_DIR_ENV);

	return d && *d ? d : CA_DIR_DEFAULT;
}

/* The first OpenSSL error as text, or @dflt */
static const char *ssl_err(const char *dflt)
{
	unsigned long e = ERR_peek_last_error();
	const char *r = e ? ERR_reason_error_string(e) : NULL;

	return r ? r : dflt;
}

static EVP_PKEY *gen_p256(void)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_id(EVP_PKEY_EC, NULL);
	EVP_PKEY *k = NULL;

	if (!c)
		return NULL;
	if (EVP_PKEY_keygen_init(c) <= 0 ||
	    EVP_PKEY_CTX_set_ec_paramgen_curve_nid(c,
						   NID_X9_62_prime256v1) <= 0 ||
	    EVP_PKEY_keygen(c, &k) <= 0)
		k = NULL;
	EVP_PKEY_CTX_free(c);
	return k;
}

/* A random positive 127-bit serial number (RFC 5280: at most 20 octets) */
static int set_serial(X509 *x)
{
	unsigned char b[16];
	ASN1_INTEGER *ai;
	BIGNUM *bn;
	int ok;

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -EIO;
	b[0] &= 0x7f;
	b[0] |= 0x40;	/* never a short one */
	bn = BN_bin2bn(b, sizeof(b), NULL);
	if (!bn)
		return -ENOMEM;
	ai = BN_to_ASN1_INTEGER(bn, NULL);
	BN_free(bn);
	if (!ai)
		return -ENOMEM;
	ok = X509_set_serialNumber(x, ai);
	ASN1_INTEGER_free(ai);
	return ok ? 0 : -ENOMEM;
}

/* One extension from a fixed configuration string (never user data) */
static int add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	e = X509V3_EXT_nconf_nid(NULL, &ctx, nid, (char *)value);
	if (!e)
		return -EINVAL;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok ? 0 : -ENOMEM;
}

static const unsigned char org[] = "egress-supervise";

static const EVP_MD *sign_md(EVP_PKEY *k)
{
	switch (EVP_PKEY_id(k)) {
	case EVP_PKEY_ED25519:
	case EVP_PKEY_ED448:
		return NULL;	/* no separate digest */
	default:
		return EVP_sha256();
	}
}

/**
 * make_ca_cert() - the self-signed CA certificate for @key
 */
static X509 *make_ca_cert(EVP_PKEY *key)
{
	unsigned char r[4];
	char cn[64];
	X509_NAME *n;
	X509 *x = X509_new();

	if (!x || RAND_bytes(r, sizeof(r)) != 1)
		goto fail;
	snprintf(cn, sizeof(cn),
		 "egress-supervise interception CA %02x%02x%02x%02x", r[0],
		 r[1], r[2], r[3]);
	n = X509_get_subject_name(x);
	if (!X509_set_version(x, 2) || set_serial(x) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, org, -1, -1, 0) ||
	    !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					(const unsigned char *)cn, -1, -1, 0) ||
	    !X509_set_issuer_name(x, n) ||
	    !X509_gmtime_adj(X509_getm_notBefore(x), -CA_LEAF_SKEW) ||
	    !X509_gmtime_adj(X509_getm_notAfter(x),
			     (long)CA_VALID_DAYS * 86400) ||
	    !X509_set_pubkey(x, key) ||
	    add_ext(x, x, NID_basic_constraints,
		    "critical,CA:TRUE,pathlen:0") ||
	    add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign") ||
	    add_ext(x, x, NID_subject_key_identifier, "hash") ||
	    !X509_sign(x, key, sign_md(key)))
		goto fail;
	return x;
fail:
	X509_free(x);
	return NULL;
}

/* Create @path exclusively with @mode and write @len bytes of PEM from @b */
static int write_new(const char *path, mode_t mode, BIO *b, FILE *err)
{
	char *data;
	long len = BIO_get_mem_data(b, &data);
	int fd, ret = 0;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  mode);
	if (fd < 0) {
		ret = -errno;
		fprintf(err, "egress-supervise: %s: %s%s\n", path,
			strerror(errno),
			errno == EEXIST ? " (expected a new file; --force "
					  "replaces the CA)" : "");
		return ret;
	}
	/* the umask may have taken bits we want, never given ones */
	if (fchmod(fd, mode))
		ret = -errno;
	while (!ret && len > 0) {
		ssize_t n = write(fd, data, (size_t)len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			ret = n < 0 ? -errno : -EIO;
			break;
		}
		data += n;
		len -= n;
	}
	if (close(fd) && !ret)
		ret = -errno;
	if (ret) {
		fprintf(err, "egress-supervise: writing %s: %s\n", path,
			strerror(-ret));
		unlink(path);
	}
	return ret;
}

static void fingerprint(X509 *x, char *out, size_t len)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0, i;
	size_t o = 0;

	out[0] = '\0';
	if (!X509_digest(x, EVP_sha256(), md, &n))
		return;
	for (i = 0; i < n && o + 4 < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%02X", i ? ":" : "",
				      md[i]);
}

/**
 * ca_generate() - a new CA in @dir: ca.key (0600) and ca.crt (0644)
 * @dir:	the directory (created 0755 when missing; its parent must exist)
 * @force:	replace an existing CA
 * @err:	messages
 *
 * Return: 0, or -errno (reported).
 */
int ca_generate(const char *dir, bool force, FILE *err)
{
	char kpath[4096], cpath[4096], fp[128];
	EVP_PKEY *key = NULL;
	BIO *kb = NULL, *cb = NULL;
	X509 *x = NULL;
	int ret = -ENOMEM, kl, cl;

	kl = snprintf(kpath, sizeof(kpath), "%s/%s", dir, CA_KEY_FILE);
	cl = snprintf(cpath, sizeof(cpath), "%s/%s", dir, CA_CERT_FILE);
	if (kl < 0 || cl < 0 || (size_t)kl >= sizeof(kpath) ||
	    (size_t)cl >= sizeof(cpath)) {
		fprintf(err, "egress-supervise: %s: path too long\n", dir);
		return -ENAMETOOLONG;
	}
	if (mkdir(dir, 0755) && errno != EEXIST) {
		ret = -errno;
		fprintf(err, "egress-supervise: creating %s: %s\n", dir,
			strerror(errno));
		return ret;
	}
	if (force) {
		unlink(kpath);
		unlink(cpath);
	} else if (!access(kpath, F_OK) || !access(cpath, F_OK)) {
		fprintf(err, "egress-supervise: %s already holds a CA "
			"(expected a directory without %s and %s; --force "
			"replaces it)\n", dir, CA_KEY_FILE, CA_CERT_FILE);
		return -EEXIST;
	}
	key = gen_p256();
	x = key ? make_ca_cert(key) : NULL;
	kb = BIO_new(BIO_s_mem());
	cb = BIO_new(BIO_s_mem());
	if (!x || !kb || !cb ||
	    !PEM_write_bio_PrivateKey(kb, key, NULL, NULL, 0, NULL, NULL) ||
	    !PEM_write_bio_X509(cb, x)) {
		fprintf(err, "egress-supervise: creating the CA: %s\n",
			ssl_err("out of memory"));
		goto out;
	}
	ret = write_new(kpath, 0600, kb, err);
	if (ret)
		goto out;
	ret = write_new(cpath, 0644, cb, err);
	if (ret) {
		unlink(kpath);
		goto out;
	}
	fingerprint(x, fp, sizeof(fp));
	fprintf(err, "egress-supervise: created the interception CA in %s:\n"
		"  %s (private key, mode 0600: keep it from CMD's user)\n"
		"  %s (certificate: CMD's TLS clients must trust it; "
		"`egress-supervise ca export` prints it)\n"
		"  SHA-256 fingerprint %s\n", dir, kpath, cpath, fp);
out:
	BIO_free(kb);
	BIO_free(cb);
	X509_free(x);
	EVP_PKEY_free(key);
	return ret;
}

/* `ca export [DIR]`: the certificate, checked, as PEM on stdout */
static int ca_export(const char *dir)
{
	char path[4096];
	X509 *x;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, CA_CERT_FILE);
	f = fopen(path, "re");
	if (!f) {
		fprintf(stderr, "egress-supervise: %s: %s%s\n", path,
			strerror(errno),
			errno == ENOENT ? " (expected a CA made by "
					  "`egress-supervise ca init`)" : "");
		return 1;
	}
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x) {
		fprintf(stderr, "egress-supervise: %s: not a PEM certificate "
			"(%s)\n", path, ssl_err("no certificate"));
		return 1;
	}
	PEM_write_X509(stdout, x);
	X509_free(x);
	return fflush(stdout) ? 1 : 0;
}

static void ca_usage(FILE *f)
{
	fprintf(f, "Usage: egress-supervise ca init [--force] [DIR]\n"
		   "       egress-supervise ca export [DIR]\n"
		   "DIR: default $" CA_DIR_ENV ", else " CA_DIR_DEFAULT "\n");
}

int cmd_ca(int argc, char **argv)
{
	const char *dir = NULL;
	bool force = false;
	int i;

	if (argc < 3) {
		ca_usage(stderr);
		return 2;
	}
	if (!strcmp(argv[2], "-h") || !strcmp(argv[2], "--help")) {
		ca_usage(stdout);
		return 0;
	}
	for (i = 3; i < argc; i++) {
		if (!strcmp(argv[i], "--force") && !strcmp(argv[2], "init")) {
			force = true;
		} else if (argv[i][0] != '-' && !dir) {
			dir = argv[i];
		} else {
			ca_usage(stderr);
			return 2;
		}
	}
	if (!dir)
		dir = ca_default_dir();
	if (!strcmp(argv[2], "init"))
		return ca_generate(dir, force, stderr) ? 1 : 0;
	if (!strcmp(argv[2], "export"))
		return ca_export(dir);
	ca_usage(stderr);
	return 2;
}

/* ------------------------------------------------------------------ */
/* loading                                                            */

/* Open @path for reading, refusing what is not a regular file */
static FILE *open_regular(const char *path, struct stat *st, FILE *err)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	FILE *f;

	if (fd < 0) {
		fprintf(err, "egress-supervise: %s: %s%s\n", path,
			strerror(errno),
			errno == ENOENT ? " (create the CA with "
					  "`egress-supervise ca init`, or set "
					  "tls.ca_dir in the policy)" : "");
		return NULL;
	}
	if (fstat(fd, st) || !S_ISREG(st->st_mode)) {
		fprintf(err, "egress-supervise: %s: not a regular file\n",
			path);
		close(fd);
		return NULL;
	}
	f = fdopen(fd, "r");
	if (!f)
		close(fd);
	return f;
}

int ca_load(const char *cert_path, const char *key_path, uid_t cmd_uid,
	    FILE *err)
{
	struct stat st;
	EVP_PKEY *key;
	X509 *x;
	FILE *f;

	ca_free();
	f = open_regular(cert_path, &st, err);
	if (!f)
		return -ENOENT;
	x = PEM_read_X509(f, NULL, NULL, NULL);
	fclose(f);
	if (!x) {
		fprintf(err, "egress-supervise: %s: not a PEM certificate "
			"(%s)\n", cert_path, ssl_err("no certificate"));
		return -EINVAL;
	}
	f = open_regular(key_path, &st, err);
	if (!f) {
		X509_free(x);
		return -ENOENT;
	}
	key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	if (!key) {
		fprintf(err, "egress-supervise: %s: not an unencrypted PEM "
			"private key (%s)\n", key_path, ssl_err("no key"));
		X509_free(x);
		return -EINVAL;
	}
	if (X509_check_private_key(x, key) != 1) {
		fprintf(err, "egress-supervise: %s is not the key of %s "
			"(expected the pair `ca init` made)\n", key_path,
			cert_path);
		goto bad;
	}
	if (X509_check_ca(x) < 1) {
		fprintf(err, "egress-supervise: %s is not a CA certificate "
			"(expected basicConstraints CA:TRUE)\n", cert_path);
		goto bad;
	}
	if (X509_cmp_current_time(X509_get0_notAfter(x)) <= 0 ||
	    X509_cmp_current_time(X509_get0_notBefore(x)) > 0) {
		fprintf(err, "egress-supervise: %s is not valid now (expired, "
			"or not yet valid)\n", cert_path);
		goto bad;
	}
	if (st.st_mode & (S_IRGRP | S_IROTH | S_IWGRP | S_IWOTH))
		fprintf(err, "egress-supervise: WARNING: the CA key %s has "
			"mode %04o: other users, CMD's among them, may read "
			"it (chmod 600 it)\n", key_path,
			(unsigned int)(st.st_mode & 07777));
	else if (st.st_uid == cmd_uid)
		fprintf(err, "egress-supervise: WARNING: CMD runs as uid %u, "
			"which owns the CA key %s: it can read it (run CMD "
			"with --user, or keep the key where CMD cannot reach "
			"it)\n",
			(unsigned int)cmd_uid, key_path);
	ca.leaf_key = gen_p256();
	if (!ca.leaf_key) {
		fprintf(err, "egress-supervise: generating the leaf key: %s\n",
			ssl_err("failed"));
		goto bad;
	}
	ca.cert = x;
	ca.key = key;
	return 0;
bad:
	X509_free(x);
	EVP_PKEY_free(key);
	return -EINVAL;
}

bool ca_loaded(void)
{
	return ca.cert != NULL;
}

void ca_free(void)
{
	size_t i;

	for (i = 0; i < CA_LEAVES; i++) {
		X509_free(ca.slot[i].cert);
		ca.slot[i].cert = NULL;
		ca.slot[i].name[0] = '\0';
	}
	X509_free(ca.cert);
	EVP_PKEY_free(ca.key);
	EVP_PKEY_free(ca.leaf_key);
	ca.cert = NULL;
	ca.key = ca.leaf_key = NULL;
}

/* ------------------------------------------------------------------ */
/* leaves                                                             */

/* subjectAltName of one DNS name or IP address, built without parsing */
static int add_san(X509 *x, const char *name)
{
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *g = GENERAL_NAME_new();
	ASN1_OCTET_STRING *ip = a2i_IPADDRESS(name);
	int ok = 0;

	if (!gens || !g)
		goto out;
	if (ip) {
		GENERAL_NAME_set0_value(g, GEN_IPADD, ip);
		ip = NULL;
	} else {
		ASN1_IA5STRING *s = ASN1_IA5STRING_new();

		if (!s || !ASN1_STRING_set(s, name, (int)strlen(name))) {
			ASN1_IA5STRING_free(s);
			goto out;
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
	}
	if (!sk_GENERAL_NAME_push(gens, g))
		goto out;
	g = NULL;
	ok = X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0,
			       X509V3_ADD_DEFAULT);
out:
	ASN1_OCTET_STRING_free(ip);
	GENERAL_NAME_free(g);
	sk_GENERAL_NAME_pop_free(gens, GENERAL_NAME_free);
	return ok == 1 ? 0 : -ENOMEM;
}

static X509 *mint(const char *name, time_t now)
{
	X509_NAME *n;
	X509 *x = X509_new();

	if (!x)
		return NULL;
	n = X509_get_subject_name(x);
	if (!X509_set_version(x, 2) || set_serial(x) ||
	    !X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, org, -1, -1, 0) ||
	    (strlen(name) <= 64 &&
	     !X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
					 (const unsigned char *)name, -1, -1,
					 0)) ||
	    !X509_set_issuer_name(x, X509_get_subject_name(ca.cert)) ||
	    !X509_time_adj_ex(X509_getm_notBefore(x), 0, -CA_LEAF_SKEW, &now) ||
	    !X509_time_adj_ex(X509_getm_notAfter(x), 0, CA_LEAF_SECS, &now) ||
	    !X509_set_pubkey(x, ca.leaf_key) || add_san(x, name) ||
	    add_ext(x, ca.cert, NID_basic_constraints, "critical,CA:FALSE") ||
	    add_ext(x, ca.cert, NID_key_usage, "critical,digitalSignature") ||
	    add_ext(x, ca.cert, NID_ext_key_usage, "serverAuth") ||
	    add_ext(x, ca.cert, NID_subject_key_identifier, "hash") ||
	    add_ext(x, ca.cert, NID_authority_key_identifier, "keyid") ||
	    !X509_sign(x, ca.key, sign_md(ca.key))) {
		X509_free(x);
		return NULL;
	}
	return x;
}

int ca_leaf(const char *name, X509 **cert, EVP_PKEY **key, bool *cached)
{
	time_t now = time(NULL);
	struct ca_slot *s = NULL;
	size_t i;

	if (!ca.cert)
		return -ENOENT;
	if (!*name || strlen(name) >= CA_NAME_SIZE)
		return -EINVAL;
	ca.tick++;
	for (i = 0; i < CA_LEAVES; i++) {
		struct ca_slot *c = &ca.slot[i];

		if (c->cert && !strcasecmp(c->name, name)) {
			s = c;
			break;
		}
		/* an empty slot, else the least recently used */
		if (!s || (s->cert && (!c->cert || c->used < s->used)))
			s = c;
	}
	*cached = s->cert && !strcasecmp(s->name, name) &&
		  s->expires - now > CA_LEAF_RENEW;
	if (!*cached) {
		X509 *x = mint(name, now);

		if (!x)
			return -ENOMEM;
		X509_free(s->cert);
		s->cert = x;
		s->expires = now + CA_LEAF_SECS;
		snprintf(s->name, sizeof(s->name), "%s", name);
	}
	s->used = ca.tick;
	*cert = s->cert;
	*key = ca.leaf_key;
	return 0;
}
