/* SPDX-License-Identifier: GPL-2.0-or-later */
/* resolvconf.h - make CMD's resolver use the stub */
#ifndef RESOLVCONF_H
#define RESOLVCONF_H

#include <stdbool.h>
#include <stddef.h>

#define RESOLVCONF_PATH	"/etc/resolv.conf"

size_t resolvconf_nameservers(const char *path, char ***out);
int resolvconf_prepare(const char *path, const char *stub_ip);
bool resolvconf_ready(void);
int resolvconf_mount_private(void);
void resolvconf_recover(void);
int resolvconf_rewrite(void);
void resolvconf_restore(void);

#endif /* RESOLVCONF_H */
