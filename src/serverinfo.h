/*
 * serverinfo.h - --serverinfo: connect with the configured settings and
 * describe the relay (TLS, certificate, EHLO capabilities, whether AUTH
 * works), sending no message.  --check-config: the same checks that need
 * no network (token present, queue directory usable).
 */
#ifndef CFSENDMAIL_SERVERINFO_H
#define CFSENDMAIL_SERVERINFO_H

#include "config.h"
#include "outcome.h"

enum failure serverinfo_run(const struct config *, struct outcome *);
enum failure serverinfo_check_config(const struct config *, struct outcome *);

#endif
