/*
 * fuzz_trust.c - libFuzzer target for the PEM bundle scanner and the DER
 * subject walker: the input is taken both as a DER certificate and as a
 * PEM bundle searched for the subject found in it.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "trust.h"

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct trust_name  name = { data, size };
	struct trust_cert *found = NULL;
	size_t		   off, len, n = 0;

	if (trust_der_subject(data, size, &off, &len) == 0) {
		if (off > size || len > size - off)
			abort();
		name.der = data + off;
		name.len = len;
	}
	if (trust_find((const char *)data, size, &name, 1, &found, &n) == 0)
		trust_certs_free(found, n);
	return 0;
}
