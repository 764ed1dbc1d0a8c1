/* libFuzzer target for the watch event stream decoder (kube_watch_decoder
 * in src/kube/api.c, on src/kube/jstream.c) and the list page splitter.
 *
 * Input: one byte choosing the piece size (1 + byte % 64), then the bytes
 * of a watch stream. Properties checked: no crash or leak; the events
 * decoded from the whole input at once and from the same input fed in
 * pieces are the same, and so are the outcome and the number of events;
 * the list splitter fed in pieces agrees with itself fed at once too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/buf.h"
#include "core/err.h"
#include "kube/api.h"
#include "kube/jstream.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int on_event(void *arg, const char *type, json_t *obj)
{
    struct buf *log = arg;
    char *s = json_dumps(obj, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
    buf_addf(log, "%s %s\n", type, s ? s : "?");
    free(s);
    return 0;
}

/* Returns 0 (clean end), 1 (ended inside an event), -1 (malformed). */
static int decode(const char *p, size_t n, size_t step, struct buf *log)
{
    struct kube_watch_decoder *d = kube_watch_decoder_new(on_event, log);
    struct err e;
    int rc = 0;
    if (!d)
        abort();
    for (size_t i = 0; i < n && rc == 0; i += step) {
        size_t k = step < n - i ? step : n - i;
        if (kube_watch_decoder_feed(d, p + i, k, NULL, &e) < 0)
            rc = -1;
    }
    if (rc == 0 && kube_watch_decoder_finish(d, &e) < 0)
        rc = 1;
    kube_watch_decoder_free(d);
    return rc;
}

static int on_value(void *arg, const char *key, int elem, const char *p, size_t n)
{
    struct buf *log = arg;
    buf_addf(log, "%s|%d|", key ? key : "-", elem);
    buf_add(log, p, n);
    buf_addc(log, '\n');
    return 0;
}

static int split_list(const char *p, size_t n, size_t step, struct buf *log)
{
    static const char *const keys[] = {"items", "rows", NULL};
    struct jstream s;
    jstream_init(&s, JSTREAM_OBJECT, keys, 1 << 16, on_value, log);
    int rc = 0;
    for (size_t i = 0; i < n && rc == 0; i += step) {
        size_t k = step < n - i ? step : n - i;
        rc = jstream_feed(&s, p + i, k);
    }
    if (rc == 0)
        rc = jstream_finish(&s) < 0 ? 1 : 0;
    jstream_fini(&s);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    size_t step = 1 + data[0] % 64;
    const char *p = (const char *)data + 1;
    size_t n = size - 1;
    struct buf whole = BUF_INIT, pieces = BUF_INIT;
    int a = decode(p, n, n ? n : 1, &whole);
    int b = decode(p, n, step, &pieces);
    if (a != b || whole.len != pieces.len || (whole.len && memcmp(whole.p, pieces.p, whole.len)))
        abort();
    buf_reset(&whole);
    buf_reset(&pieces);
    a = split_list(p, n, n ? n : 1, &whole);
    b = split_list(p, n, step, &pieces);
    if (a != b || whole.len != pieces.len || (whole.len && memcmp(whole.p, pieces.p, whole.len)))
        abort();
    buf_fini(&whole);
    buf_fini(&pieces);
    return 0;
}
