/*
 * test_config.c - unit tests for the configuration file (config.c).
 *
 * Every key of the table in config.c is a row here with a valid and an
 * invalid value: INI text in, the field's value or the error (with its
 * file:line) out.  Then the checks across keys, aliases, inih's line
 * limit, and config_load()/config_load_token() on real files.
 */
#include <sys/stat.h>

#include <fcntl.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "tap.h"

enum ftype { F_STR, F_INT };

/* The fields of struct config, by key name, to print them. */
static const struct {
	const char *key;
	enum ftype  type;
	size_t	    off;
} fields[] = {
#define S(k, f) \
	{ \
		k, F_STR, offsetof(struct config, f) \
	}
#define I(k, f) \
	{ \
		k, F_INT, offsetof(struct config, f) \
	}
	S("host", host),
	I("port", port),
	I("tls", tls),
	S("username", username),
	S("token", token),
	S("token_file", token_file),
	S("ca_file", ca_file),
	S("tls_fingerprint", tls_fingerprint),
	I("timeout", timeout),
	I("data_timeout", data_timeout),
	S("from", from),
	S("domain", domain),
	I("rewrite_from", rewrite_from),
	I("mode", mode),
	I("on_defer", on_defer),
	I("max_recipients", max_recipients),
	I("max_size", max_size),
	I("attempts", attempts),
	I("retry_delay", retry_delay),
	I("parallel", parallel),
	S("dir", queue_dir),
	I("max_age", max_age),
	S("bounce_to", bounce_to),
	I("queue.parallel", queue_parallel),
	I("syslog", syslog),
#undef S
#undef I
};

/* The value of the field for key, as text: "465", "(null)". */
static const char *
field(const struct config *cfg, const char *key)
{
	static char s[512];
	const char *base = (const char *)cfg;
	const char *str;
	size_t	    i;

	for (i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		if (strcmp(fields[i].key, key) != 0)
			continue;
		if (fields[i].type == F_INT) {
			snprintf(s, sizeof(s), "%d",
			    *(const int *)(const void *)(base + fields[i].off));
			return s;
		}
		str = *(char *const *)(const void *)(base + fields[i].off);
		return str != NULL ? str : "(null)";
	}
	return "no such field";
}

/* Parse text as file "t" on top of the defaults: "" or the error. */
static const char *
parse(struct config *cfg, const char *text)
{
	static char err[512];

	err[0] = '\0';
	if (config_init(cfg, "/q") == -1)
		return "config_init failed";
	if (config_parse(cfg, text, "t", err, sizeof(err)) == 0 &&
	    err[0] != '\0')
		return "error text set on success";
	return err;
}

static void
test_defaults(void)
{
	static const struct {
		const char *key;
		const char *want;
	} want[] = {
		{ "host", "smtp.mx.cloudflare.net" },
		{ "port", "465" },
		{ "tls", "0" },
		{ "username", "api_token" },
		{ "token", "(null)" },
		{ "token_file", "(null)" },
		{ "ca_file", "(null)" },
		{ "tls_fingerprint", "(null)" },
		{ "timeout", "30" },
		{ "data_timeout", "300" },
		{ "from", "(null)" },
		{ "domain", "(null)" },
		{ "rewrite_from", "1" },
		{ "mode", "0" },
		{ "on_defer", "0" },
		{ "max_recipients", "50" },
		{ "max_size", "5242880" },
		{ "attempts", "3" },
		{ "retry_delay", "1" },
		{ "parallel", "3" },
		{ "dir", "/q" },
		{ "max_age", "432000" },
		{ "bounce_to", "(null)" },
		{ "queue.parallel", "8" },
		{ "syslog", "1" },
	};
	struct config cfg;
	size_t	      i;

	is_str(parse(&cfg, ""), "", "defaults: empty text parses");
	is_int(sizeof(want) / sizeof(want[0]),
	    sizeof(fields) / sizeof(fields[0]), "defaults: every field listed");
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		is_str(field(&cfg, want[i].key), want[i].want, "default %s",
		    want[i].key);
	is_int((long)cfg.naliases, 0, "default: no aliases");
	is_int(CONFIG_TLS_IMPLICIT, 0, "default tls is implicit");
	is_int(CONFIG_REWRITE_LOCAL, 1, "default rewrite_from is local");
	config_free(&cfg);
}

#define PIN_HEX \
	"sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f9" \
	"0a1b2c3d4e5f60718293a4b5c6d7e8f9"
#define PIN_COLONS \
	"SHA256:0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9:" \
	"0A:1B:2C:3D:4E:5F:60:71:82:93:A4:B5:C6:D7:E8:F9"
#define EMPTY(key) \
	"t:2: " key ": empty value (comment the line out for " \
	"the default)"
#define PIN_ERR \
	"t: [relay] tls_fingerprint must be sha256: and 64 hex " \
	"digits (colons allowed)"

/* One key = value in its section: the field's value, or the error. */
static void
test_keys(void)
{
	static const struct {
		const char *section, *key, *value;
		const char *want; /* field value, or "t:..." error */
	} cases[] = {
		{ "relay", "host", "mail.example.com", "mail.example.com" },
		{ "relay", "host", "", EMPTY("host") },
		{ "relay", "ca_file", "", EMPTY("ca_file") },
		{ "sender", "from", "", EMPTY("from") },
		{ "relay", "port", "587", "587" },
		{ "relay", "port", "1", "1" },
		{ "relay", "port", "65535", "65535" },
		{ "relay", "port", "0", "t:2: port: value too small" },
		{ "relay", "port", "65536", "t:2: port: value too large" },
		{ "relay", "port", "-1", "t:2: port: value too small" },
		{ "relay", "port", "25x", "t:2: port: value invalid" },
		{ "relay", "port", "", "t:2: port: value invalid" },
		{ "relay", "port", "25 # smtp",
		    "t:2: port: '#' after a space in "
		    "the value: a comment on a key's line starts with ';'" },
		{ "relay", "port", "25 ; smtp", "25" },
		{ "relay", "tls", "implicit", "0" },
		{ "relay", "tls", "starttls", "1" },
		{ "relay", "tls", "STARTTLS", "1" },
		{ "relay", "tls", "none",
		    "t:2: tls: value not one of the allowed values" },
		{ "relay", "username", "someone", "someone" },
		{ "relay", "token", "abcDEF-123_x", "abcDEF-123_x" },
		{ "relay", "token_file", "/etc/cfsendmail/token",
		    "/etc/cfsendmail/token" },
		{ "relay", "ca_file", "/etc/ssl/ca.pem", "/etc/ssl/ca.pem" },
		{ "relay", "tls_fingerprint", PIN_HEX, PIN_HEX },
		{ "relay", "tls_fingerprint", PIN_COLONS, PIN_COLONS },
		{ "relay", "tls_fingerprint", "sha256:0a1b", PIN_ERR },
		{ "relay", "tls_fingerprint", PIN_HEX "00", PIN_ERR },
		{ "relay", "tls_fingerprint",
		    "sha256:0a1b2c3d4e5f60718293a4b5c6d7e8f9"
		    "0a1b2c3d4e5f60718293a4b5c6d7e8fg",
		    PIN_ERR },
		{ "relay", "tls_fingerprint", "0a1b2c", PIN_ERR },
		{ "relay", "tls_fingerprint", "sha1:0a1b", PIN_ERR },
		{ "relay", "timeout", "10", "10" },
		{ "relay", "timeout", "90s", "90" },
		{ "relay", "timeout", "5m", "300" },
		{ "relay", "timeout", "1h", "3600" },
		{ "relay", "timeout", "2h", "t:2: timeout: value too large" },
		{ "relay", "timeout", "61m", "t:2: timeout: value too large" },
		{ "relay", "timeout", "1d", "t:2: timeout: value too large" },
		{ "relay", "timeout", "0", "t:2: timeout: value too small" },
		{ "relay", "timeout", "0s", "t:2: timeout: value too small" },
		{ "relay", "timeout", "12x", "t:2: timeout: value invalid" },
		{ "relay", "timeout", "m", "t:2: timeout: value invalid" },
		{ "relay", "timeout", "5 m", "t:2: timeout: value invalid" },
		{ "relay", "timeout", "1.5m", "t:2: timeout: value invalid" },
		{ "relay", "timeout", "", "t:2: timeout: value invalid" },
		{ "relay", "data_timeout", "30m", "1800" },
		{ "relay", "data_timeout", "3601",
		    "t:2: data_timeout: value too large" },
		{ "sender", "from", "alerts@example.com",
		    "alerts@example.com" },
		{ "sender", "domain", "example.com", "example.com" },
		{ "sender", "rewrite_from", "never", "0" },
		{ "sender", "rewrite_from", "local", "1" },
		{ "sender", "rewrite_from", "always", "2" },
		{ "sender", "rewrite_from", "sometimes",
		    "t:2: rewrite_from: value not one of the allowed values" },
		{ "delivery", "mode", "foreground", "0" },
		{ "delivery", "mode", "background", "1" },
		{ "delivery", "mode", "queue", "2" },
		{ "delivery", "mode", "later",
		    "t:2: mode: value not one of the allowed values" },
		{ "delivery", "on_defer", "queue", "0" },
		{ "delivery", "on_defer", "fail", "1" },
		{ "delivery", "on_defer", "drop",
		    "t:2: on_defer: value not one of the allowed values" },
		{ "delivery", "max_recipients", "1", "1" },
		{ "delivery", "max_recipients", "1000", "1000" },
		{ "delivery", "max_recipients", "0",
		    "t:2: max_recipients: value too small" },
		{ "delivery", "max_recipients", "1001",
		    "t:2: max_recipients: value too large" },
		{ "delivery", "max_size", "1073741824", "1073741824" },
		{ "delivery", "max_size", "1073741825",
		    "t:2: max_size: value too large" },
		{ "delivery", "max_size", "5M",
		    "t:2: max_size: value invalid" },
		{ "delivery", "attempts", "100", "100" },
		{ "delivery", "attempts", "101",
		    "t:2: attempts: value too large" },
		{ "delivery", "attempts", "0",
		    "t:2: attempts: value too small" },
		{ "delivery", "retry_delay", "0", "0" },
		{ "delivery", "retry_delay", "90s", "90" },
		{ "delivery", "retry_delay", "1h", "3600" },
		{ "delivery", "retry_delay", "61m",
		    "t:2: retry_delay: value too large" },
		{ "delivery", "parallel", "16", "16" },
		{ "delivery", "parallel", "17",
		    "t:2: parallel: value too large" },
		{ "queue", "dir", "/var/spool/cfsendmail",
		    "/var/spool/cfsendmail" },
		{ "queue", "max_age", "5d", "432000" },
		{ "queue", "max_age", "12h", "43200" },
		{ "queue", "max_age", "30m", "1800" },
		{ "queue", "max_age", "90s", "90" },
		{ "queue", "max_age", "60", "60" },
		{ "queue", "max_age", "365d", "31536000" },
		{ "queue", "max_age", "59s", "t:2: max_age: value too small" },
		{ "queue", "max_age", "366d", "t:2: max_age: value too large" },
		{ "queue", "max_age", "99999999999999999999d",
		    "t:2: max_age: value too large" },
		{ "queue", "max_age", "5w", "t:2: max_age: value invalid" },
		{ "queue", "bounce_to", "postmaster@example.com",
		    "postmaster@example.com" },
		{ "queue", "parallel", "1", "1" },
		{ "queue", "parallel", "16", "16" },
		{ "queue", "parallel", "0", "t:2: parallel: value too small" },
		{ "queue", "parallel", "17", "t:2: parallel: value too large" },
		/* what the relay would refuse at every delivery (issue 19) */
		{ "sender", "from", "a@b@c",
		    "t:2: from: more than one '@' in address: \"a@b@c\"" },
		{ "sender", "from", "root",
		    "t:2: from: not an address with a domain" },
		{ "sender", "from", "Alerts <alerts@example.com>",
		    "t:2: from: unquoted space in address: "
		    "\"Alerts <alerts@example.com>\"" },
		{ "sender", "from", "alerts@ex_ample.com",
		    "t:2: from: invalid character in domain: "
		    "\"alerts@ex_ample.com\"" },
		{ "sender", "from", "alerts@example.com # ops",
		    "t:2: from: '#' after a space in the value: a comment on a "
		    "key's line starts with ';'" },
		{ "sender", "from", "j\xc3\xb6rg@example.com",
		    "t:2: from: the local part is not ASCII and the relay does "
		    "not offer SMTPUTF8" },
		{ "sender", "from",
		    "alerts@B\xc3\xbc"
		    "cher.example",
		    "alerts@xn--bcher-kva.example" },
		{ "sender", "domain", "example_host.com",
		    "t:2: domain: invalid character in domain: "
		    "\"example_host.com\"" },
		{ "sender", "domain", "a@example.com",
		    "t:2: domain: '@' in a domain name: \"a@example.com\"" },
		{ "sender", "domain", "[192.0.2.1]",
		    "t:2: domain: an address literal is not a domain name: "
		    "\"[192.0.2.1]\"" },
		{ "sender", "domain",
		    "b\xc3\xbc"
		    "cher.example",
		    "xn--bcher-kva.example" },
		{ "sender", "domain", "\xe2\x98\x83.example",
		    "t:2: domain: not a valid internationalised domain name "
		    "(string contains a disallowed character)" },
		{ "queue", "bounce_to", "root", "root" },
		{ "queue", "bounce_to", "a@b@c",
		    "t:2: bounce_to: more than one '@' in address: \"a@b@c\"" },
		{ "relay", "token", "\"abcDEF\"",
		    "t:2: token: in quotes: the quotes would be sent as part "
		    "of "
		    "the password; remove them" },
		{ "relay", "token", "'abcDEF'",
		    "t:2: token: in quotes: the quotes would be sent as part "
		    "of "
		    "the password; remove them" },
		{ "relay", "token", "abcDEF # mine",
		    "t:2: token: '#' after a space in the value: a comment on "
		    "a "
		    "key's line starts with ';'" },
		{ "relay", "token", "abcDEF#mine",
		    "t:2: token: a character no Cloudflare API token has (they "
		    "are letters, digits, '-' and '_')" },
		{ "relay", "token", "abc DEF",
		    "t:2: token: white space in the token" },
		{ "relay", "token",
		    "\xef\xbb\xbf"
		    "abcDEF",
		    "t:2: token: non-ASCII character in the token (a byte "
		    "order "
		    "mark, or a character pasted from a document?)" },
		{ "log", "syslog", "yes", "1" },
		{ "log", "syslog", "no", "0" },
		{ "log", "syslog", "true", "1" },
		{ "log", "syslog", "false", "0" },
		{ "log", "syslog", "on", "1" },
		{ "log", "syslog", "off", "0" },
		{ "log", "syslog", "1", "1" },
		{ "log", "syslog", "0", "0" },
		{ "log", "syslog", "YES", "1" },
		{ "log", "syslog", "maybe",
		    "t:2: syslog: value not yes or no" },
		{ "log", "syslog", "2", "t:2: syslog: value not yes or no" },
	};
	struct config cfg;
	char	      text[512], label[64];
	const char   *err, *got;
	size_t	      i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		snprintf(text, sizeof(text), "[%s]\n%s = %s\n",
		    cases[i].section, cases[i].key, cases[i].value);
		err = parse(&cfg, text);
		/* a key name that two sections share: "section.key" */
		snprintf(label, sizeof(label), "%s.%s", cases[i].section,
		    cases[i].key);
		got = field(&cfg, label);
		if (strcmp(got, "no such field") == 0)
			got = field(&cfg, cases[i].key);
		is_str(err[0] != '\0' ? err : got, cases[i].want,
		    "[%s] %s = %s", cases[i].section, cases[i].key,
		    cases[i].value);
		config_free(&cfg);
	}
}

/* Whole files: the first error and its line, or what was set. */
static void
test_files(void)
{
	static const struct {
		const char *name;
		const char *text;
		const char *want;	 /* error, or "" */
		const char *key, *value; /* then check this field */
	} cases[] = {
		{ "unknown key", "[relay]\nhost = a\nhots = b\n",
		    "t:3: unknown key \"hots\" in [relay]", NULL, NULL },
		{ "key of another section", "[relay]\nfrom = a@b\n",
		    "t:2: unknown key \"from\" in [relay]", NULL, NULL },
		{ "unknown section", "[relay]\nport = 25\n[smtp]\nhost = x\n",
		    "t:3: unknown section [smtp]", NULL, NULL },
		{ "unknown section without keys",
		    "[relay]\nport = 25\n[relya]\n",
		    "t:3: unknown section [relya]", NULL, NULL },
		{ "unknown section, then a known one",
		    "[relya]\n[relay]\nport = 25\n",
		    "t:1: unknown section [relya]", NULL, NULL },
		{ "key before any section", "host = x\n",
		    "t:1: unknown section []", NULL, NULL },
		{ "key given twice", "[relay]\nport = 25\nport = 26\n",
		    "t:3: port: key given twice", NULL, NULL },
		{ "key given twice, other case",
		    "[relay]\nport = 25\n"
		    "PORT = 26\n",
		    "t:3: PORT: key given twice", NULL, NULL },
		{ "key given twice, sections apart",
		    "[relay]\nport = 25\n"
		    "[log]\nsyslog = no\n[relay]\nport = 26\n",
		    "t:6: port: key given twice", NULL, NULL },
		{ "only the first error", "[relay]\nport = 0\nbogus = 1\n",
		    "t:2: port: value too small", NULL, NULL },
		{ "tab in a value", "[relay]\nhost = a\tb\n",
		    "t:2: host: control character in value", NULL, NULL },
		{ "ESC in a value", "[sender]\nfrom = a\x1b[31m@b\n",
		    "t:2: from: control character in value", NULL, NULL },
		{ "DEL in a value",
		    "[relay]\ntoken = ab\x7f"
		    "cd\n",
		    "t:2: token: control character in value", NULL, NULL },
		{ "CR inside a value", "[relay]\nusername = a\rb\n",
		    "t:2: username: control character in value", NULL, NULL },
		{ "control character in an alias",
		    "[aliases]\nroot = a@b\x01\n",
		    "t:2: root: control character in value", NULL, NULL },
		{ "control character in an alias name",
		    "[aliases]\n"
		    "ro\x01ot = a@b\n",
		    "t:2: control character in a section or key name", NULL,
		    NULL },
		{ "escape sequence in an unknown key",
		    "[relay]\n"
		    "ho\x1bst = x\n",
		    "t:2: control character in a section or key name", NULL,
		    NULL },
		{ "escape sequence in a section name",
		    "[re\x1blay]\n"
		    "host = x\n",
		    "t:1: control character in a section or key name", NULL,
		    NULL },
		{ "token and token_file",
		    "[relay]\ntoken = x\n"
		    "token_file = /etc/t\n",
		    "t: set either [relay] token or token_file, not both", NULL,
		    NULL },
		{ "value error before a syntax error",
		    "[relay]\nport = 0\n"
		    "[log\n",
		    "t:2: port: value too small", NULL, NULL },
		{ "unclosed section", "[relay\nport = 25\n",
		    "t:1: syntax error (expected [section] or key = value)",
		    NULL, NULL },
		{ "no equals sign", "[relay]\nport 25\n",
		    "t:2: syntax error (expected [section] or key = value)",
		    NULL, NULL },
		{ "comments and blank lines",
		    "; a comment\n# another\n\n"
		    "[relay]\n  port = 2525 ; inline\n",
		    "", "port", "2525" },
		{ "colon as separator", "[relay]\nport: 2525\n", "", "port",
		    "2525" },
		{ "section names without regard to case",
		    "[RELAY]\nPort = 2525\n", "", "port", "2525" },
		{ "CRLF line ends", "[relay]\r\nport = 2525\r\nhost = h\r\n",
		    "", "host", "h" },
		{ "UTF-8 byte order mark", "\xef\xbb\xbf[relay]\nport = 2525\n",
		    "", "port", "2525" },
		{ "alias with a # comment",
		    "[sender]\ndomain = example.com\n"
		    "[aliases]\nroot = ops@example.com # the team\n",
		    "t:4: alias root: '#' after a space in the value: a "
		    "comment "
		    "on a key's line starts with ';'",
		    NULL, NULL },
		{ "alias to a@b@c", "[aliases]\nroot = a@b@c\n",
		    "t:2: alias root: unexpected '@' at offset 3", NULL, NULL },
		{ "alias to a domain with '_'",
		    "[aliases]\n"
		    "root = ops@ex_ample.com\n",
		    "t:2: alias root: invalid "
		    "character in domain: \"ops@ex_ample.com\"",
		    NULL, NULL },
		{ "alias to a non-ASCII local part",
		    "[aliases]\n"
		    "root = b\xc3\xa4r@example.com\n",
		    "t:2: alias root: the "
		    "local part is not ASCII and the relay does not offer "
		    "SMTPUTF8",
		    NULL, NULL },
		{ "alias error on a continuation line",
		    "[aliases]\n"
		    "root = a@x.example\n  b@y@z\n",
		    "t:3: alias root: unexpected '@' at offset 3", NULL, NULL },
		{ "alias to nobody", "[aliases]\nroot = <>\n",
		    "t:2: alias root: no address", NULL, NULL },
		{ "alias name with '@'", "[aliases]\nroot@localhost = a@x\n",
		    "t:2: alias root@localhost: the name must be a local name "
		    "such as root (no '@'), or *",
		    NULL, NULL },
		{ "token for another relay",
		    "[relay]\ntoken = p#ss.W0rd!\n"
		    "username = someone\n",
		    "", "token", "p#ss.W0rd!" },
		{ "token error names the token's line",
		    "[relay]\n"
		    "host = h\ntoken = \"abcDEF\"\n",
		    "t:3: token: in quotes: "
		    "the quotes would be sent as part of the password; remove "
		    "them",
		    NULL, NULL },
		{ "local_domains holding the sender domain",
		    "[sender]\n"
		    "domain = example.com\nlocal_domains = a.example, "
		    "Example.COM\n",
		    "t: [sender] local_domains lists "
		    "example.com, the [sender] domain: addresses there are not "
		    "local",
		    NULL, NULL },
		{ "local_domains with a bad domain",
		    "[sender]\n"
		    "local_domains = a.example, b_c.example\n",
		    "t:2: local_domains: invalid character in domain: "
		    "\"b_c.example\"",
		    NULL, NULL },
		{ "local_domains without a domain",
		    "[sender]\n"
		    "local_domains = ,\n",
		    "t:2: local_domains: no domain in the list", NULL, NULL },
		{ "continuation of a plain key", "[relay]\nhost = a\n  b\n",
		    "t:3: host: key given twice", NULL, NULL },
		{ "8-bit value kept", "[relay]\nusername = j\xc3\xb6rg\n", "",
		    "username", "j\xc3\xb6rg" },
		{ "the design's example",
		    "[relay]\n"
		    "host = smtp.mx.cloudflare.net   ; default\n"
		    "port = 465                      ; default\n"
		    "tls = implicit\n"
		    "username = api_token\n"
		    "token_file = /etc/cfsendmail/token\n"
		    "timeout = 30\n"
		    "data_timeout = 300\n"
		    "[sender]\n"
		    "from = alerts@example.com\n"
		    "domain = example.com\n"
		    "rewrite_from = local\n"
		    "[aliases]\n"
		    "root = ops@example.com\n"
		    "* = ops@example.com\n"
		    "[delivery]\n"
		    "mode = foreground\n"
		    "max_recipients = 50\n"
		    "max_size = 5242880\n"
		    "attempts = 3\n"
		    "retry_delay = 1\n"
		    "[queue]\n"
		    "dir = /var/spool/cfsendmail\n"
		    "max_age = 5d\n"
		    "[log]\n"
		    "syslog = yes\n",
		    "", "token_file", "/etc/cfsendmail/token" },
	};
	struct config cfg;
	const char   *err;
	size_t	      i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err = parse(&cfg, cases[i].text);
		is_str(err, cases[i].want, "file %s: %s", cases[i].name,
		    cases[i].want[0] ? "error" : "parses");
		if (cases[i].key != NULL)
			is_str(field(&cfg, cases[i].key), cases[i].value,
			    "file %s: %s", cases[i].name, cases[i].key);
		config_free(&cfg);
	}
}

/* config_parse() adds to what is there: a second text keeps the first's. */
static void
test_layers(void)
{
	struct config cfg;
	char	      err[256] = "";

	config_init(&cfg, "/q");
	is_int(config_parse(&cfg, "[relay]\nport = 2525\n", "a", err,
		   sizeof(err)),
	    0, "layers: first text");
	is_int(config_parse(&cfg, "[relay]\nhost = h\nport = 26\n", "b", err,
		   sizeof(err)),
	    0, "layers: second text");
	is_str(field(&cfg, "host"), "h", "layers: second sets host");
	is_str(field(&cfg, "port"), "26", "layers: second overrides port");
	is_str(cfg.path, "b", "layers: path is the last name");
	config_free(&cfg);
	ok(cfg.host == NULL && cfg.path == NULL && cfg.naliases == 0,
	    "config_free zeroes the struct");
}

/* The aliases, joined as "name=value;" in order. */
static const char *
aliases_string(const struct config *cfg)
{
	static char s[1024];
	size_t	    i;

	s[0] = '\0';
	for (i = 0; i < cfg->naliases; i++)
		snprintf(s + strlen(s), sizeof(s) - strlen(s), "%s=%s;",
		    cfg->aliases[i].name, cfg->aliases[i].value);
	return s;
}

static void
test_aliases(void)
{
	static const struct {
		const char *name;
		const char *text;
		const char *want; /* aliases_string, or the error */
	} cases[] = {
		{ "several",
		    "[aliases]\nroot = ops@example.com\n"
		    "www-data = a@x, b@x\n* = catch@x\n",
		    "root=ops@example.com;www-data=a@x, b@x;*=catch@x;" },
		{ "continuation lines",
		    "[aliases]\nroot = a@x\n  b@x\n\tc@x\n"
		    "other = d@x\n",
		    "root=a@x,b@x,c@x;other=d@x;" },
		{ "continuation after a comma",
		    "[aliases]\nroot = a@x,\n  b@x\n", "root=a@x,,b@x;" },
		{ "name given again extends it",
		    "[aliases]\nroot = a@x\n"
		    "root = b@x\n",
		    "root=a@x,b@x;" },
		{ "names in another case add to the alias",
		    "[aliases]\n"
		    "root = a@x\nRoot = b@x\n",
		    "root=a@x,b@x;" },
		{ "section without regard to case", "[Aliases]\nroot = a@x\n",
		    "root=a@x;" },
		{ "empty value", "[aliases]\nroot =\n",
		    "t:2: alias root: empty value" },
		{ "name with a dot and dash", "[aliases]\nfirst.last-x = a@x\n",
		    "first.last-x=a@x;" },
	};
	struct config cfg;
	const char   *err;
	size_t	      i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err = parse(&cfg, cases[i].text);
		is_str(err[0] != '\0' ? err : aliases_string(&cfg),
		    cases[i].want, "aliases: %s", cases[i].name);
		config_free(&cfg);
	}
}

/*
 * inih (Debian: INI_MAX_LINE 200) reads a longer line in pieces and takes
 * each piece for a line of its own: a value would be cut, and the tail of
 * a comment read as a key.  Such a line must be refused, naming it.
 */
static void
test_long_lines(void)
{
	static const struct {
		const char *name;
		const char *before, *after;
		size_t	    fill;	 /* 'a's between them */
		const char *want;	 /* "" or the error */
		const char *key, *value; /* "": the 'a's */
	} cases[] = {
		{ "197 characters", "username = ", "@x", 184, "", "username",
		    "" },
		{ "197 characters and CRLF", "username = ", "@x\r", 184, "",
		    "username", "" },
		{ "198 characters", "username = ", "@x", 185,
		    "t:2: line longer than 197 characters", NULL, NULL },
		{ "value over 200", "username = ", "@example.com", 240,
		    "t:2: line longer than 197 characters", NULL, NULL },
		{ "value cut before a comment", "username = ", ";x", 187,
		    "t:2: line longer than 197 characters", NULL, NULL },
		{ "a comment's tail is no key", ";", " host = evil.example",
		    198, "t:2: line longer than 197 characters", NULL, NULL },
	};
	struct config cfg;
	char	      text[1024], value[512];
	const char   *err;
	size_t	      i, n;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = (size_t)snprintf(text, sizeof(text), "[relay]\n%s",
		    cases[i].before);
		memset(text + n, 'a', cases[i].fill);
		snprintf(text + n + cases[i].fill,
		    sizeof(text) - n - cases[i].fill, "%s\n", cases[i].after);
		memset(value, 'a', cases[i].fill);
		snprintf(value + cases[i].fill, sizeof(value) - cases[i].fill,
		    "%s", cases[i].after);
		value[strcspn(value, "\r")] = '\0';
		err = parse(&cfg, text);
		is_str(err, cases[i].want, "long line, %s (%zu characters)",
		    cases[i].name, strlen(strchr(text, '\n') + 1) - 1);
		if (cases[i].key != NULL)
			is_str(field(&cfg, cases[i].key), value,
			    "long line, %s: value whole", cases[i].name);
		is_str(field(&cfg, "host"), "smtp.mx.cloudflare.net",
		    "long line, %s: host untouched", cases[i].name);
		config_free(&cfg);
	}
}

/* Write a file with mode (after the umask); returns its path. */
static const char *
write_file(const char *dir, const char *name, const char *text, mode_t mode)
{
	static char path[4][512];
	static int  which;
	char	   *p = path[which++ % 4];
	int	    fd;

	snprintf(p, 512, "%s/%s", dir, name);
	unlink(p);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1)
		return p;
	if (write(fd, text, strlen(text)) != (ssize_t)strlen(text))
		fprintf(stderr, "# short write to %s\n", p);
	fchmod(fd, mode);
	close(fd);
	return p;
}

static void
test_load(const char *dir)
{
	struct config cfg;
	char	      err[1024], want[1024], missing[512];
	const char   *path;

	/* an inline token in a world-readable file is refused */
	path = write_file(dir, "world.conf", "[relay]\ntoken = secret\n", 0644);
	config_init(&cfg, "/q");
	is_int(config_load(&cfg, path, err, sizeof(err)), -1,
	    "load: inline "
	    "token, mode 0644: refused");
	snprintf(want, sizeof(want),
	    "%s holds the token but is readable or "
	    "writable by others: chmod o-rw %s",
	    path, path);
	is_str(err, want, "load: inline token, mode 0644: reason");
	config_free(&cfg);

	path = write_file(dir, "world-writable.conf", "[relay]\ntoken = s\n",
	    0602);
	config_init(&cfg, "/q");
	is_int(config_load(&cfg, path, err, sizeof(err)), -1,
	    "load: inline "
	    "token, mode 0602: refused");
	config_free(&cfg);

	path = write_file(dir, "group.conf", "[relay]\ntoken = secret\n", 0640);
	config_init(&cfg, "/q");
	is_int(config_load(&cfg, path, err, sizeof(err)), 0,
	    "load: inline "
	    "token, mode 0640: accepted");
	is_str(cfg.token, "secret", "load: inline token read");
	is_str(cfg.path, path, "load: path kept");
	is_int(config_load_token(&cfg, err, sizeof(err)), 0,
	    "load_token: "
	    "inline token, nothing to read");
	config_free(&cfg);

	/* without a token the file may be world-readable */
	path = write_file(dir, "public.conf", "[relay]\nport = 2525\n", 0644);
	config_init(&cfg, "/q");
	is_int(config_load(&cfg, path, err, sizeof(err)), 0,
	    "load: no token, "
	    "mode 0644: accepted");
	is_int(cfg.port, 2525, "load: value read");
	err[0] = '\0';
	is_int(config_load_token(&cfg, err, sizeof(err)), -1,
	    "load_token: "
	    "neither token nor token_file");
	snprintf(want, sizeof(want), "%s: no [relay] token or token_file",
	    path);
	is_str(err, want, "load_token: neither: reason");
	config_free(&cfg);

	/* errors name the file and line */
	path = write_file(dir, "bad.conf", "[relay]\n\nport = 99999\n", 0600);
	config_init(&cfg, "/q");
	is_int(config_load(&cfg, path, err, sizeof(err)), -1,
	    "load: bad "
	    "value");
	snprintf(want, sizeof(want), "%s:3: port: value too large", path);
	is_str(err, want, "load: bad value: file and line");
	config_free(&cfg);

	snprintf(missing, sizeof(missing), "%s/missing.conf", dir);
	config_init(&cfg, "/q");
	is_int(config_load(&cfg, missing, err, sizeof(err)), -1,
	    "load: "
	    "missing file");
	snprintf(want, sizeof(want),
	    "cannot open %s: No such file or "
	    "directory",
	    missing);
	is_str(err, want, "load: missing file: reason names it");
	config_free(&cfg);

	config_init(&cfg, "/q");
	is_int(config_load(&cfg, dir, err, sizeof(err)), -1,
	    "load: a "
	    "directory");
	config_free(&cfg);

	/* NUL bytes would hide the rest of the file from inih */
	snprintf(missing, sizeof(missing), "%s/nul.conf", dir);
	{
		int fd = open(missing, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (fd != -1) {
			if (write(fd, "[relay]\nport = 25\0\nhost = x\n", 28) !=
			    28)
				fprintf(stderr, "# short write\n");
			close(fd);
		}
	}
	config_init(&cfg, "/q");
	is_int(config_load(&cfg, missing, err, sizeof(err)), -1,
	    "load: NUL "
	    "byte");
	snprintf(want, sizeof(want), "%s: NUL byte in file", missing);
	is_str(err, want, "load: NUL byte: reason");
	config_free(&cfg);
}

static void
test_token_file(const char *dir)
{
	static const struct {
		const char *name;
		const char *content;
		mode_t	    mode;
		const char *want; /* the token, or the error after
					   "token file PATH" */
	} cases[] = {
		{ "0600 with newline", "tok-123\n", 0600, "tok-123" },
		{ "0600 without newline", "tok-123", 0600, "tok-123" },
		{ "CRLF", "tok-123\r\n", 0600, "tok-123" },
		{ "only the first line", "tok-123\nsecond line\n", 0600,
		    "tok-123" },
		{ "0640", "tok-123\n", 0640, "tok-123" },
		{ "0400", "tok-123\n", 0400, "tok-123" },
		{ "0644", "tok-123\n", 0644,
		    " is readable or writable by others: chmod o-rw " },
		{ "0606", "tok-123\n", 0606,
		    " is readable or writable by others: chmod o-rw " },
		{ "0602", "tok-123\n", 0602,
		    " is readable or writable by others: chmod o-rw " },
		{ "empty", "", 0600, ": empty" },
		{ "empty line", "\n", 0600, ": empty" },
		{ "byte order mark dropped", "\xef\xbb\xbftok-123\r\n", 0600,
		    "tok-123" },
		{ "only a byte order mark", "\xef\xbb\xbf\n", 0600, ": empty" },
		{ "in quotes", "\"tok-123\"\n", 0600,
		    ": in quotes: the quotes "
		    "would be sent as part of the password; remove them" },
		{ "with a # comment", "tok-123 # prod\n", 0600,
		    ": white space in the token" },
		{ "a character no Cloudflare token has", "tok.123\n", 0600,
		    ": a character no Cloudflare API token has (they are "
		    "letters, digits, '-' and '_')" },
		{ "space in the token", "tok 123\n", 0600,
		    ": white space in the token" },
		{ "tab in the token", "tok\t123\n", 0600,
		    ": control character in the token" },
	};
	struct config cfg;
	char	      err[1024], want[1024], text[256];
	const char   *path;
	size_t	      i;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = write_file(dir, "token", cases[i].content,
		    cases[i].mode);
		snprintf(text, sizeof(text), "[relay]\ntoken_file = %s\n",
		    path);
		config_init(&cfg, "/q");
		err[0] = '\0';
		if (config_parse(&cfg, text, "t", err, sizeof(err)) == 0 &&
		    config_load_token(&cfg, err, sizeof(err)) == 0)
			is_str(cfg.token, cases[i].want, "token file %s",
			    cases[i].name);
		else {
			if (strncmp(cases[i].want, " is", 3) == 0)
				snprintf(want, sizeof(want),
				    "token file %s%s%s", path, cases[i].want,
				    path);
			else
				snprintf(want, sizeof(want), "token file %s%s",
				    path, cases[i].want);
			is_str(err, want, "token file %s", cases[i].name);
			ok(cfg.token == NULL, "token file %s: no token",
			    cases[i].name);
		}
		config_free(&cfg);
	}

	snprintf(text, sizeof(text), "[relay]\ntoken_file = %s/nonexistent\n",
	    dir);
	config_init(&cfg, "/q");
	config_parse(&cfg, text, "t", err, sizeof(err));
	is_int(config_load_token(&cfg, err, sizeof(err)), -1,
	    "token file "
	    "missing");
	is_str(err,
	    "t:2: token_file: cannot open the file it names: No such "
	    "file or directory",
	    "token file missing: the key and line named");
	config_free(&cfg);

	/* a token pasted where the path belongs is never shown (issue 19) */
	config_init(&cfg, "/q");
	config_parse(&cfg,
	    "[relay]\nport = 25\n"
	    "token_file = s3cr3tT0kenValue0123456789abcdefABCDEF\n",
	    "t", err, sizeof(err));
	is_int(config_load_token(&cfg, err, sizeof(err)), -1,
	    "token pasted "
	    "as token_file: refused");
	ok(strstr(err, "s3cr3t") == NULL,
	    "token pasted as token_file: not "
	    "in the message: %s",
	    err);
	is_str(err,
	    "t:3: token_file: cannot open the file it names: No such "
	    "file or directory",
	    "token pasted as token_file: reason");
	config_free(&cfg);
}

/*
 * A FIFO (or any other file that is not a regular file) named as the
 * config, token_file or ca_file is refused at once, never waited on: the
 * alarm fails the test instead of hanging it.
 */
static void
test_fifo(const char *dir)
{
	struct config cfg;
	char	      err[1024], want[1024], fifo[512], text[1024];
	const char   *path;

	snprintf(fifo, sizeof(fifo), "%s/fifo", dir);
	if (mkfifo(fifo, 0600) == -1) {
		ok(0, "mkfifo %s", fifo);
		return;
	}
	alarm(10);
	config_init(&cfg, "/q");
	is_int(config_load(&cfg, fifo, err, sizeof(err)), -1,
	    "fifo: as the "
	    "config file, refused");
	snprintf(want, sizeof(want), "%s: not a regular file", fifo);
	is_str(err, want, "fifo: as the config file, reason");
	config_free(&cfg);

	snprintf(text, sizeof(text), "[relay]\ntoken_file = %s\n", fifo);
	config_init(&cfg, "/q");
	config_parse(&cfg, text, "t", err, sizeof(err));
	is_int(config_load_token(&cfg, err, sizeof(err)), -1,
	    "fifo: as "
	    "token_file, refused");
	is_str(err,
	    "t:2: token_file: the file it names is not a regular "
	    "file",
	    "fifo: as token_file, reason");
	config_free(&cfg);

	snprintf(text, sizeof(text), "[relay]\nport = 25\nca_file = %s\n",
	    fifo);
	path = write_file(dir, "ca.conf", text, 0600);
	config_init(&cfg, "/q");
	is_int(config_load(&cfg, path, err, sizeof(err)), -1,
	    "fifo: as "
	    "ca_file, refused");
	snprintf(want, sizeof(want), "%s:3: ca_file: %s: not a regular file",
	    path, fifo);
	is_str(err, want, "fifo: as ca_file, reason");
	config_free(&cfg);

	snprintf(text, sizeof(text), "[relay]\nca_file = %s\n", dir);
	path = write_file(dir, "ca-dir.conf", text, 0600);
	config_init(&cfg, "/q");
	is_int(config_load(&cfg, path, err, sizeof(err)), -1,
	    "a directory "
	    "as ca_file, refused");
	snprintf(want, sizeof(want), "%s:2: ca_file: %s: not a regular file",
	    path, dir);
	is_str(err, want, "a directory as ca_file, reason");
	config_free(&cfg);
	alarm(0);
}

/* What only the whole file tells: aliases, bounce_to and from. */
static void
test_load_checks(const char *dir)
{
	static const struct {
		const char *name;
		const char *text;
		const char *want; /* after "PATH" */
	} cases[] = {
		{ "alias to a local name, no domain",
		    "[aliases]\nroot = ops@example.com\nteam = alice, "
		    "b@example.com\n",
		    ":3: alias team: \"alice\" has no domain "
		    "and no [sender] domain is set to qualify it" },
		{ "alias to root@localhost, no domain",
		    "[aliases]\nroot = root@localhost\n",
		    ":2: alias root: "
		    "\"root@localhost\" has no domain and no [sender] domain "
		    "is "
		    "set to qualify it" },
		{ "local bounce_to, nowhere to go",
		    "[queue]\nbounce_to = postmaster\n",
		    ":2: bounce_to: local "
		    "recipient \"postmaster\" has no alias and no [sender] "
		    "domain is set" },
		{ "local bounce_to with an alias",
		    "[queue]\nbounce_to = root\n"
		    "[aliases]\nroot = ops@example.com\n",
		    "" },
		{ "from on localhost", "[sender]\nfrom = alerts@localhost\n",
		    ":2: from: alerts@localhost is an address of this host, "
		    "which the relay refuses: use one on the domain onboarded "
		    "for sending" },
		{ "from on a local_domains domain",
		    "[sender]\nlocal_domains = "
		    "lan.example\nfrom = a@LAN.example\n",
		    ":3: from: "
		    "a@LAN.example is an address of this host, which the relay "
		    "refuses: use one on the domain onboarded for sending" },
	};
	struct config cfg;
	char	      err[1024], want[1024];
	const char   *path;
	size_t	      i;
	int	      rc;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		path = write_file(dir, "checks.conf", cases[i].text, 0600);
		config_init(&cfg, "/q");
		err[0] = '\0';
		rc = config_load(&cfg, path, err, sizeof(err));
		if (cases[i].want[0] == '\0')
			want[0] = '\0';
		else
			snprintf(want, sizeof(want), "%s%s", path,
			    cases[i].want);
		is_str(rc == 0 ? "" : err, want, "load: %s", cases[i].name);
		config_free(&cfg);
	}
}

/*
 * How many copies of needle the stack below the caller holds: what the
 * functions it called and that returned left there.  The bytes are read
 * one by one through volatile, without a library call that a sanitizer
 * or a compiler could object to.
 */
static size_t __attribute__((noinline)) stack_copies(const char *needle)
{
	char	       probe[40 * 1024];
	volatile char *p = probe;
	size_t	       i, j, n = strlen(needle), found = 0;

	/* never written on purpose: hide that from the compiler */
	__asm__ __volatile__("" : "+r"(p));
	for (i = 0; i + n <= sizeof(probe); i++) {
		for (j = 0; j < n && p[i + j] == needle[j]; j++)
			;
		found += j == n;
	}
	return found;
}

/* The token's line went through inih's line buffer, on its stack. */
static void
test_token_memory(const char *dir)
{
	struct config cfg;
	char	      err[512];
	const char   *path;

	path = write_file(dir, "stack.conf",
	    "[relay]\ntoken = "
	    "tok-8c1f4b0e-on-the-stack\n",
	    0600);
	config_init(&cfg, "/q");
	is_int(config_load(&cfg, path, err, sizeof(err)), 0, "memory: loaded");
	is_int((long)stack_copies("tok-8c1f4b0e-on-the-stack"), 0,
	    "memory: "
	    "no copy of the token left on the stack by the parser");
	is_str(cfg.token, "tok-8c1f4b0e-on-the-stack",
	    "memory: the token "
	    "kept");
	config_free(&cfg);
}

int
main(void)
{
	char dir[] = "/tmp/test_config.XXXXXX";
	char cmd[64];

	test_defaults();
	test_keys();
	test_files();
	test_layers();
	test_aliases();
	test_long_lines();
	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return done_testing();
	}
	umask(022);
	test_load(dir);
	test_token_file(dir);
	test_token_memory(dir);
	test_fifo(dir);
	test_load_checks(dir);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "# could not remove %s\n", dir);
	return done_testing();
}
