/* glibc's mallinfo2() for MemoryPhases (peft-bench): arena, hblkhd, uordblks, fordblks in bytes, then
 * the live malloc bytes now and at their peak since the last reading when malloc_peak.c is preloaded
 * (-1 otherwise).
 * Build: gcc -O2 -shared -fPIC -I$JAVA_HOME/include -I$JAVA_HOME/include/linux -ldl \
 *            -o /tmp/libmallinfo_jni.so peft-bench/peer-probe/mallinfo_jni.c */
#define _GNU_SOURCE
#include <jni.h>
#include <malloc.h>
#include <dlfcn.h>
#include <stdio.h>
#include <string.h>

JNIEXPORT jlongArray JNICALL Java_io_github_peft4j_bench_MemoryPhases_mallinfo(JNIEnv *env, jclass cls) {
    struct mallinfo2 m = mallinfo2();
    long live[2] = {-1, -1};
    void (*read)(long *) = (void (*)(long *)) dlsym(RTLD_DEFAULT, "mprobe_read");
    if (read) read(live);
    jlong v[6] = {(jlong) m.arena, (jlong) m.hblkhd, (jlong) m.uordblks, (jlong) m.fordblks, live[0], live[1]};
    jlongArray out = (*env)->NewLongArray(env, 6);
    (*env)->SetLongArrayRegion(env, out, 0, 6, v);
    return out;
}

/* malloc_peak.c's heap map (when preloaded): the map string, then stats appended as
 * " large_live small_live free_small free_large pins top" in bytes. */
JNIEXPORT jstring JNICALL Java_io_github_peft4j_bench_MemoryPhases_heapMap(JNIEnv *env, jclass cls) {
    static char buf[65536];
    long stats[6];
    void (*walk)(char *, long, long *) = (void (*)(char *, long, long *)) dlsym(RTLD_DEFAULT, "mprobe_walk");
    if (!walk) return NULL;
    walk(buf, 60000, stats);
    size_t len = strlen(buf);
    snprintf(buf + len, sizeof buf - len, "|%ld %ld %ld %ld %ld %ld", stats[0], stats[1], stats[2], stats[3], stats[4], stats[5]);
    return (*env)->NewStringUTF(env, buf);
}
