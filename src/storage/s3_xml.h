/* Private to src/storage: reading S3's XML answers (ListObjectsV2 pages,
 * error bodies, CreateMultipartUpload). Not an XML parser: S3's answers
 * are flat and generated, so "the text of the first <tag>" is enough, and
 * nothing here can be led outside [p, end). Split from storage_s3.c so
 * the fuzz target (tests/fuzz/fuzz_s3_xml.c) reaches it. */
#ifndef FERRY_STORAGE_S3_XML_H
#define FERRY_STORAGE_S3_XML_H

#include <time.h>

#include "core/buf.h"

/* The decoded text of the first <tag> in [p, end), appended to <out>:
 * 1 when found, 0 when not, -1 when out of memory. XML's five entities
 * and character references (&#NN; &#xHH;) are decoded. */
int s3_xml_get(const char *p, const char *end, const char *tag, struct buf *out);

/* One key or common prefix of a listing. */
struct s3_entry {
    char *key;
    int is_prefix;
    long long size;
    time_t mtime;
};

/* Parses one ListObjectsV2 page [p, end) into *<out> (keys with <prefix>
 * removed; a key outside it is left out), sorted by key. Returns the
 * number of entries, or -1 when out of memory (*<out> is then NULL). Free
 * with s3_entries_free. */
long s3_xml_list_page(const char *prefix, const char *p, const char *end, struct s3_entry **out);
void s3_entries_free(struct s3_entry *v, long n);

/* <s> read with strptime's <fmt> as UTC; 0 when it does not match. */
time_t s3_time_parse(const char *s, const char *fmt);

#endif
