/*
 * tap.h - a minimal Test Anything Protocol emitter for the C unit tests.
 *
 * Each test program prints "1..N" at the end (done_testing) and one
 * "ok N - name" / "not ok N - name" line per check; automake's
 * tap-driver.sh reads them.  Header-only so that every unit test is a
 * single .c file.  Exit status is non-zero when any check failed.
 */
#ifndef CFSENDMAIL_TAP_H
#define CFSENDMAIL_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int tap_count;
static int tap_failed;

static void __attribute__((format(printf, 2, 0)))
tap_vreport(int pass, const char *fmt, va_list ap)
{
	tap_count++;
	if (!pass)
		tap_failed++;
	printf("%sok %d - ", pass ? "" : "not ", tap_count);
	vprintf(fmt, ap);
	putchar('\n');
}

static int __attribute__((format(printf, 2, 3), unused))
ok(int pass, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	tap_vreport(pass, fmt, ap);
	va_end(ap);
	return pass;
}

static int __attribute__((format(printf, 3, 4), unused))
is_int(long got, long want, const char *fmt, ...)
{
	va_list ap;
	int	pass = got == want;

	va_start(ap, fmt);
	tap_vreport(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got %ld, want %ld\n", got, want);
	return pass;
}

static int __attribute__((format(printf, 3, 4), unused))
is_str(const char *got, const char *want, const char *fmt, ...)
{
	va_list ap;
	int	pass;

	pass = (got == NULL && want == NULL) ||
	    (got != NULL && want != NULL && strcmp(got, want) == 0);
	va_start(ap, fmt);
	tap_vreport(pass, fmt, ap);
	va_end(ap);
	if (!pass)
		printf("#   got \"%s\", want \"%s\"\n", got ? got : "(null)",
		    want ? want : "(null)");
	return pass;
}

static int __attribute__((unused)) done_testing(void)
{
	printf("1..%d\n", tap_count);
	return tap_failed == 0 ? 0 : 1;
}

#endif
