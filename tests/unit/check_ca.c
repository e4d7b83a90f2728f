// SPDX-License-Identifier: GPL-2.0-or-later
/* check_ca.c - the interception CA: files, loading, leaves, the leaf cache */

#include <check.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/ec.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "ca.h"

static char dir[] = "/tmp/check_ca.XXXXXX";
static char cert[4200], key[4200];

static void rm_ca(const char *d)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/%s", d, CA_CERT_FILE);
	unlink(p);
	snprintf(p, sizeof(p), "%s/%s", d, CA_KEY_FILE);
	unlink(p);
}

static void setup(void)
{
	FILE *err = fopen("/dev/null", "w");

	strcpy(dir, "/tmp/check_ca.XXXXXX");
	ck_assert_ptr_nonnull(mkdtemp(dir));
	ck_assert_int_eq(ca_generate(dir, false, err), 0);
	fclose(err);
	snprintf(cert, sizeof(cert), "%s/%s", dir, CA_CERT_FILE);
	snprintf(key, sizeof(key), "%s/%s", dir, CA_KEY_FILE);
}

static void teardown(void)
{
	ca_free();
	rm_ca(dir);
	rmdir(dir);
}

/* Load with an error stream in memory; returns what was written */
static int load(uid_t uid, char **msgs)
{
	size_t len;
	FILE *f = open_memstream(msgs, &len);
	int ret = ca_load(cert, key, uid, f);

	fclose(f);
	return ret;
}

/* Verify @x against the loaded CA for a host name or an IP */
static int verify(X509 *x, const char *host, const char *ip)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *c = X509_STORE_CTX_new();
	FILE *f = fopen(cert, "r");
	X509 *cax = PEM_read_X509(f, NULL, NULL, NULL);
	int ret;

	fclose(f);
	X509_STORE_add_cert(st, cax);
	X509_STORE_CTX_init(c, st, x, NULL);
	X509_VERIFY_PARAM_set_purpose(X509_STORE_CTX_get0_param(c),
				      X509_PURPOSE_SSL_SERVER);
	if (host)
		X509_VERIFY_PARAM_set1_host(X509_STORE_CTX_get0_param(c), host,
					    0);
	if (ip)
		X509_VERIFY_PARAM_set1_ip_asc(X509_STORE_CTX_get0_param(c), ip);
	ret = X509_verify_cert(c) == 1 ? 0 : X509_STORE_CTX_get_error(c);
	X509_STORE_CTX_free(c);
	X509_STORE_free(st);
	X509_free(cax);
	return ret;
}

START_TEST(test_ca_files)
{
	struct stat st;
	char *msgs = NULL;
	FILE *err;

	ck_assert_int_eq(stat(key, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0600);
	ck_assert_int_eq(st.st_uid, getuid());
	ck_assert_int_eq(stat(cert, &st), 0);
	ck_assert_int_eq(st.st_mode & 07777, 0644);

	/* a second init does not replace it; --force does */
	err = fopen("/dev/null", "w");
	ck_assert_int_eq(ca_generate(dir, false, err), -EEXIST);
	ck_assert_int_eq(ca_generate(dir, true, err), 0);
	fclose(err);

	ck_assert_int_eq(load(getuid() + 1, &msgs), 0);
	ck_assert_str_eq(msgs, "");	/* 0600, another user: no warning */
	free(msgs);
	ck_assert(ca_loaded());
}
END_TEST

START_TEST(test_ca_warnings_and_errors)
{
	char other[] = "/tmp/check_ca.XXXXXX", okey[4200];
	char *msgs = NULL;
	FILE *err;

	ck_assert_int_eq(load(getuid(), &msgs), 0);
	ck_assert_ptr_nonnull(strstr(msgs, "which owns the CA key"));
	free(msgs);

	ck_assert_int_eq(chmod(key, 0644), 0);
	ck_assert_int_eq(load(getuid() + 1, &msgs), 0);
	ck_assert_ptr_nonnull(strstr(msgs, "has mode 0644: other users"));
	free(msgs);

	/* another CA's key */
	ck_assert_ptr_nonnull(mkdtemp(other));
	err = fopen("/dev/null", "w");
	ck_assert_int_eq(ca_generate(other, false, err), 0);
	fclose(err);
	snprintf(okey, sizeof(okey), "%s/%s", other, CA_KEY_FILE);
	strcpy(key, okey);
	ck_assert_int_eq(load(getuid() + 1, &msgs), -EINVAL);
	ck_assert_ptr_nonnull(strstr(msgs, "is not the key of"));
	ck_assert(!ca_loaded());
	free(msgs);
	rm_ca(other);
	rmdir(other);
	snprintf(key, sizeof(key), "%s/%s", dir, CA_KEY_FILE);

	/* no key file: the hint names ca init */
	strcpy(key, "/nonexistent/ca.key");
	ck_assert_int_eq(load(getuid() + 1, &msgs), -ENOENT);
	ck_assert_ptr_nonnull(strstr(msgs, "ca init"));
	free(msgs);
}
END_TEST

START_TEST(test_ca_leaf)
{
	const ASN1_TIME *nb, *na;
	char *msgs = NULL;
	EVP_PKEY *k, *k2;
	int days, secs;
	bool cached;
	X509 *x, *x2;

	ck_assert_int_eq(load(getuid() + 1, &msgs), 0);
	free(msgs);
	ck_assert_int_eq(ca_leaf("api.example.com", &x, &k, &cached), 0);
	ck_assert(!cached);
	ck_assert_int_eq(verify(x, "api.example.com", NULL), 0);
	ck_assert_int_eq(verify(x, "other.example.com", NULL),
			 X509_V_ERR_HOSTNAME_MISMATCH);
	ck_assert_int_eq(X509_check_private_key(x, k), 1);
	ck_assert_int_eq(EVP_PKEY_id(k), EVP_PKEY_EC);
	ck_assert_int_eq(EVP_PKEY_bits(k), 256);
	ck_assert_int_eq(X509_check_ca(x), 0);
	/* 24 h, with an hour of skew before now */
	nb = X509_get0_notBefore(x);
	na = X509_get0_notAfter(x);
	ck_assert_int_eq(ASN1_TIME_diff(&days, &secs, nb, na), 1);
	ck_assert_int_eq(days * 86400 + secs, CA_LEAF_SECS + 3600);

	ck_assert_int_eq(ca_leaf("API.example.com", &x2, &k2, &cached), 0);
	ck_assert(cached);
	ck_assert_ptr_eq(x, x2);
	ck_assert_ptr_eq(k, k2);

	ck_assert_int_eq(ca_leaf("198.51.100.7", &x, &k, &cached), 0);
	ck_assert(!cached);
	ck_assert_int_eq(verify(x, NULL, "198.51.100.7"), 0);
	ck_assert_int_eq(ca_leaf("2001:db8::7", &x, &k, &cached), 0);
	ck_assert_int_eq(verify(x, NULL, "2001:db8::7"), 0);

	ck_assert_int_eq(ca_leaf("", &x, &k, &cached), -EINVAL);
}
END_TEST

START_TEST(test_ca_leaf_cache_lru)
{
	char *msgs = NULL, name[64];
	bool cached;
	EVP_PKEY *k;
	X509 *x;
	int i;

	ck_assert_int_eq(load(getuid() + 1, &msgs), 0);
	free(msgs);
	/* fill the cache; keep "hot" recently used */
	for (i = 0; i < CA_LEAVES; i++) {
		snprintf(name, sizeof(name), "n%d.example.com", i);
		ck_assert_int_eq(ca_leaf(name, &x, &k, &cached), 0);
		ck_assert(!cached);
	}
	ck_assert_int_eq(ca_leaf("n0.example.com", &x, &k, &cached), 0);
	ck_assert(cached);
	/* one more evicts the least recently used: n1, not n0 */
	ck_assert_int_eq(ca_leaf("new.example.com", &x, &k, &cached), 0);
	ck_assert(!cached);
	ck_assert_int_eq(ca_leaf("n0.example.com", &x, &k, &cached), 0);
	ck_assert(cached);
	ck_assert_int_eq(ca_leaf("n2.example.com", &x, &k, &cached), 0);
	ck_assert(cached);
	ck_assert_int_eq(ca_leaf("n1.example.com", &x, &k, &cached), 0);
	ck_assert(!cached);
	ck_assert_int_eq(verify(x, "n1.example.com", NULL), 0);
}
END_TEST

int main(void)
{
	Suite *s = suite_create("ca");
	TCase *tc = tcase_create("core");
	SRunner *sr;
	int failed;

	tcase_add_checked_fixture(tc, setup, teardown);
	tcase_set_timeout(tc, 30);
	tcase_add_test(tc, test_ca_files);
	tcase_add_test(tc, test_ca_warnings_and_errors);
	tcase_add_test(tc, test_ca_leaf);
	tcase_add_test(tc, test_ca_leaf_cache_lru);
	suite_add_tcase(s, tc);
	sr = srunner_create(s);
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
