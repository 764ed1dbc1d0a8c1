/* libFuzzer target for S3's XML answers (src/storage/s3_xml.c): a
 * ListObjectsV2 page read as the listing reads it, with and without a
 * location prefix, and the fields the other answers are read for (an
 * error's Code and Message, CreateMultipartUpload's UploadId, a page's
 * IsTruncated and NextContinuationToken). When the body is UTF-8, so
 * must be all that is decoded from it (character references included).
 *
 * Input: a response body, as the server sent it. It is not NUL-terminated
 * here, so a read past [p, end) is caught. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "storage/s3_xml.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int utf8(const char *s, size_t n)
{
    while (n) {
        uint32_t r;
        size_t w = json_rune_decode(s, n, &r);
        if (r == 0xFFFD && w == 1)
            return 0;
        s += w;
        n -= w;
    }
    return 1;
}

static void list_page(const char *prefix, const char *p, const char *end, int is_utf8)
{
    struct s3_entry *v;
    long n = s3_xml_list_page(prefix, p, end, &v);
    if (n < 0)
        return;
    for (long i = 0; i < n; i++) {
        if (!v[i].key || (v[i].is_prefix != 0 && v[i].is_prefix != 1))
            abort();
        if (is_utf8 && !utf8(v[i].key, strlen(v[i].key)))
            abort();
        if (i && strcmp(v[i - 1].key, v[i].key) > 0)
            abort(); /* the listing promises sorted keys */
    }
    s3_entries_free(v, n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *p = (const char *)data, *end = p + size;
    int is_utf8 = utf8(p, size);
    static const char *const tags[] = {"Code", "Message", "UploadId", "IsTruncated",
                                       "NextContinuationToken"};
    for (size_t i = 0; i < sizeof tags / sizeof *tags; i++) {
        struct buf out = BUF_INIT;
        int r = s3_xml_get(p, end, tags[i], &out);
        /* decoding never lengthens the text */
        if ((r == 0 && out.len) || (r == 1 && out.len > size))
            abort();
        if (is_utf8 && !utf8(out.p, out.len))
            abort();
        buf_fini(&out);
    }
    list_page("", p, end, is_utf8);
    list_page("backups/", p, end, is_utf8);
    return 0;
}
