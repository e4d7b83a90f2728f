/* SPDX-License-Identifier: GPL-2.0-or-later */
/* ca.h - the interception CA: `ca init|export`, loading, leaf certificates */
#ifndef CA_H
#define CA_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#define CA_DIR_DEFAULT	"/etc/egress-supervise/ca"
#define CA_DIR_ENV	"EGRESS_SUPERVISE_CA_DIR"
#define CA_CERT_FILE	"ca.crt"
#define CA_KEY_FILE	"ca.key"
#define CA_LEAVES	256		/* leaf certificates cached */
#define CA_LEAF_SECS	(24 * 3600)	/* a leaf's lifetime */

/* `egress-supervise ca init [--force] [DIR]` and `ca export [DIR]` */
int cmd_ca(int argc, char **argv);

const char *ca_default_dir(void);	/* $EGRESS_SUPERVISE_CA_DIR or ... */
int ca_generate(const char *dir, bool force, FILE *err);

/**
 * ca_load() - read the CA certificate and key into memory, once
 * @cert_path:	PEM certificate
 * @key_path:	PEM private key (must match the certificate)
 * @cmd_uid:	the user CMD runs as: a warning when it could read the key
 * @err:	problems, one line each
 *
 * Return: 0, or -errno (reported).
 */
int ca_load(const char *cert_path, const char *key_path, uid_t cmd_uid,
	    FILE *err);
bool ca_loaded(void);
void ca_free(void);

/**
 * ca_leaf() - a certificate for @name signed by the CA, from the cache
 * @name:	a DNS name (the SNI) or an IP address literal
 * @cert:	the certificate, owned by the cache (valid until the next
 *		call: SSL_use_certificate() takes its own reference)
 * @key:	its key (one per supervisor run, owned here)
 * @cached:	set when the leaf came from the cache
 *
 * Return: 0, or -errno.
 */
int ca_leaf(const char *name, X509 **cert, EVP_PKEY **key, bool *cached);

#endif /* CA_H */
