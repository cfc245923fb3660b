// SPDX-License-Identifier: GPL-2.0
/**
 * DOC: token text, checked against the test vector
 *
 * A token's text is its 32 bytes in memory order, two hex digits a byte
 * (see struct kvmi_map_mem_token in <linux/kvmmem.h>). This program puts
 * the documented test vector through libkvmmem's public functions both
 * ways: kvmmem_token_parse() must give the bytes 00 01 ... 1f (token[0] is
 * 0x0706050403020100 on a little-endian machine) and kvmmem_token_format()
 * the same digits back. Upper case is accepted; 63 or 65 digits and a
 * character that is not a hex digit are refused with EINVAL. No device or
 * module is needed. Prints TAP lines; exits 1 if any failed.
 */
/* Copyright (C) 2026 The kvmmem authors */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <libkvmmem.h>
#include <linux/kvmmem.h>

static const char vector[] =
	"000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char vector_upper[] =
	"000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F";

static int failed;

static void check(int good, const char *what)
{
	printf("%sok - token text: %s\n", good ? "" : "not ", what);
	failed |= !good;
}

/* Are the token's bytes, in memory order, 00 01 ... 1f? */
static int is_vector(const struct kvmi_map_mem_token *t)
{
	const uint8_t *b = (const uint8_t *)t;
	int i;

	for (i = 0; i < 32; i++)
		if (b[i] != i)
			return 0;
	return 1;
}

/* Parse @hex into @t through the library; 0 if it was taken. */
static int parse_to(const char *hex, struct kvmi_map_mem_token *t)
{
	uint64_t tok[4];

	if (kvmmem_token_parse(hex, tok))
		return -1;
	memcpy(t->token, tok, sizeof(t->token));
	return 0;
}

/* @hex must be refused: -1 with errno EINVAL. */
static void refused(const char *hex, const char *what)
{
	uint64_t tok[4];

	errno = 0;
	check(kvmmem_token_parse(hex, tok) == -1 && errno == EINVAL, what);
}

int main(void)
{
	struct kvmi_map_mem_token t = { { 0 } };
	char hex[KVMMEM_TOKEN_HEX + 1], bad[KVMMEM_TOKEN_HEX + 8];
	uint64_t tok[4];
	int i;

	check(!parse_to(vector, &t) && is_vector(&t),
	      "the test vector's digits parse to the bytes 00 01 ... 1f");
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	check(t.token[0] == 0x0706050403020100ULL &&
	      t.token[3] == 0x1f1e1d1c1b1a1918ULL,
	      "... so token[0] == 0x0706050403020100 (little endian)");
#else
	check(t.token[0] == 0x0001020304050607ULL,
	      "... so token[0] == 0x0001020304050607 (big endian)");
#endif
	for (i = 0; i < 32; i++)
		((uint8_t *)&t)[i] = i;
	memset(hex, 'x', sizeof(hex));
	memcpy(tok, t.token, sizeof(tok));
	kvmmem_token_format(tok, hex);
	check(!strcmp(hex, vector),
	      "the bytes 00 01 ... 1f format as the test vector's digits");
	memset(&t, 0, sizeof(t));
	check(!parse_to(vector_upper, &t) && is_vector(&t),
	      "upper-case digits are accepted, as the same token");
	memcpy(tok, t.token, sizeof(tok));
	kvmmem_token_format(tok, hex);
	check(!strcmp(hex, vector), "... and format in lower case");
	snprintf(bad, sizeof(bad), " %s\r\n", vector);
	memset(&t, 0, sizeof(t));
	check(!parse_to(bad, &t) && is_vector(&t),
	      "white space around the digits (a file's line end) is allowed");
	snprintf(bad, sizeof(bad), "%.63s", vector);
	refused(bad, "63 digits are refused (EINVAL)");
	snprintf(bad, sizeof(bad), "%s0", vector);
	refused(bad, "65 digits are refused (EINVAL)");
	snprintf(bad, sizeof(bad), "%s", vector);
	bad[31] = 'g';
	refused(bad, "a character that is not a hex digit is refused (EINVAL)");
	refused("", "an empty string is refused (EINVAL)");
	return failed;
}
