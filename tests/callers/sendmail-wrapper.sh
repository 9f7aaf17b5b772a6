#!/bin/sh
# For callers that take only a path to sendmail (bsd-mailx's "set
# sendmail=..."): cfsendmail under test with the test config.
exec "$CFSENDMAIL" -C "$CONF" "$@"
