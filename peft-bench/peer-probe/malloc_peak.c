/* LD_PRELOAD probe: live glibc malloc bytes (malloc_usable_size) now and at their peak, for
 * MemoryPhases (peft4j) and lora_ref_phases.py (the peer). mprobe_read(out) fills {current, peak}
 * and starts a new peak interval at the current level.
 * Build: gcc -O2 -shared -fPIC -o /tmp/libmalloc_peak.so peft-bench/peer-probe/malloc_peak.c */
#include <malloc.h>
#include <stddef.h>
#include <errno.h>

extern void *__libc_malloc(size_t);
extern void *__libc_calloc(size_t, size_t);
extern void *__libc_realloc(void *, size_t);
extern void *__libc_memalign(size_t, size_t);
extern void __libc_free(void *);

static long cur, peak;

static void add(void *p) {
    if (p) {
        long n = __atomic_add_fetch(&cur, (long) malloc_usable_size(p), __ATOMIC_RELAXED);
        long pk = __atomic_load_n(&peak, __ATOMIC_RELAXED);
        while (n > pk && !__atomic_compare_exchange_n(&peak, &pk, n, 1, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {}
    }
}
static void sub(void *p) {
    if (p) __atomic_sub_fetch(&cur, (long) malloc_usable_size(p), __ATOMIC_RELAXED);
}
void *malloc(size_t n) { void *p = __libc_malloc(n); add(p); return p; }
void *calloc(size_t a, size_t b) { void *p = __libc_calloc(a, b); add(p); return p; }
void free(void *p) { sub(p); __libc_free(p); }
void *realloc(void *old, size_t n) {
    long before = old ? (long) malloc_usable_size(old) : 0;
    void *p = __libc_realloc(old, n);
    if (p || n == 0) { __atomic_sub_fetch(&cur, before, __ATOMIC_RELAXED); add(p); }
    return p;
}
void *memalign(size_t a, size_t n) { void *p = __libc_memalign(a, n); add(p); return p; }
void *aligned_alloc(size_t a, size_t n) { return memalign(a, n); }
int posix_memalign(void **out, size_t a, size_t n) {
    void *p = __libc_memalign(a, n);
    if (!p) return ENOMEM;
    add(p); *out = p; return 0;
}
void *valloc(size_t n) { return memalign(4096, n); }
void mprobe_read(long *out) {
    long c = __atomic_load_n(&cur, __ATOMIC_RELAXED);
    out[0] = c;
    out[1] = __atomic_exchange_n(&peak, c, __ATOMIC_RELAXED);
}

/* A map of glibc's main heap ([heap] in /proc/self/maps), one character per 1 MiB:
 *   '#' mostly (>= 3/4) in large live chunks (>= 64 KiB), 'o' mostly live small chunks,
 *   '+' partly live, '.' mostly free, ' ' top (unused end).
 * Returns the number of live small chunks that sit between two free chunks of >= 1 MiB ("pins") in
 * *pins, and the free bytes in chunks < 1 MiB / >= 1 MiB in free_small / free_large. Racy against
 * other threads' malloc: call it where the process is quiet. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <stdlib.h>
void mprobe_walk(char *out, long n, long *stats) {
    FILE *f = fopen("/proc/self/maps", "r");
    char line[512];
    unsigned long lo = 0, hi = 0;
    while (f && fgets(line, sizeof line, f)) {
        if (strstr(line, "[heap]")) { sscanf(line, "%lx-%lx", &lo, &hi); break; }
    }
    if (f) fclose(f);
    memset(stats, 0, 6 * sizeof(long));
    if (!lo) { out[0] = 0; return; }
    unsigned long top = (unsigned long) sbrk(0);
    long mib = (long) ((top - lo) >> 20) + 1;
    if (mib > n - 1) mib = n - 1;
    long *live_large = calloc(mib, sizeof(long)), *live_small = calloc(mib, sizeof(long)), *freeb = calloc(mib, sizeof(long));
    unsigned long p = (lo + 15) & ~15UL;
    long pins = 0, small_since_big_free = 0, seen_big_free = 0;
    while (p + 16 < top) {
        unsigned long size = *(unsigned long *) (p + 8) & ~7UL;
        if (size < 32 || p + size > top) break;
        unsigned long next = p + size;
        int inuse = next + 16 <= top ? (*(unsigned long *) (next + 8) & 1) : 0;
        int is_top = next + 16 > top || (next >= top - 64);
        if (is_top && !inuse) { stats[5] = (long) size; break; }
        for (unsigned long a = p; a < next; ) {
            unsigned long bucket = (a - lo) >> 20;
            unsigned long end = ((bucket + 1) << 20) + lo;
            if (end > next) end = next;
            if ((long) bucket < mib) {
                if (!inuse) freeb[bucket] += end - a;
                else if (size >= 65536) live_large[bucket] += end - a;
                else live_small[bucket] += end - a;
            }
            a = end;
        }
        if (!inuse) {
            if (size >= (1UL << 20)) {
                stats[3] += size;
                if (seen_big_free && small_since_big_free) pins += small_since_big_free;
                seen_big_free = 1; small_since_big_free = 0;
            } else stats[2] += size;
        } else if (size < 65536) {
            small_since_big_free++;
            stats[1] += size;
        } else {
            stats[0] += size;
            small_since_big_free = 0; seen_big_free = 0;
        }
        p = next;
    }
    stats[4] = pins;
    for (long i = 0; i < mib; i++) {
        long total = live_large[i] + live_small[i] + freeb[i];
        char c = ' ';
        if (total > 0) {
            if (live_large[i] * 4 >= total * 3) c = '#';
            else if (live_small[i] * 4 >= total * 3) c = 'o';
            else if (freeb[i] * 4 >= total * 3) c = '.';
            else c = '+';
        }
        out[i] = c;
    }
    out[mib] = 0;
    free(live_large); free(live_small); free(freeb);
}
