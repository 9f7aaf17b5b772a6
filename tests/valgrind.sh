#!/bin/sh
# Run the cfsendmail under test in valgrind: .ci/run points CFSENDMAIL
# here (with CFSENDMAIL_BIN naming the real binary) to run the end-to-end
# tests once under memcheck.  Any error or definite leak makes the command
# exit 99, which fails the test that ran it.
exec valgrind --quiet --error-exitcode=99 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    "${CFSENDMAIL_BIN:?}" "$@"
