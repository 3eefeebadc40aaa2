/* TUN/TAP devices: open with TUNSETIFF, offloads, and batched packet I/O.
 * A batch is a direct buffer cut into fixed-size slots (packet i at i * slot) plus an int[]
 * of lengths, so a whole batch crosses JNI once and nothing is allocated per packet. */
#include <stdint.h>
#include "util.h"
#include "re6st_jni_Tun.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if.h>
#include <linux/if_tun.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

JNIEXPORT jint JNICALL Java_re6st_jni_Tun_open0(JNIEnv *env, jclass cls, jstring name, jint flags)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    ifr.ifr_flags = (short)flags;
    if (name != NULL) {
        const char *s = (*env)->GetStringUTFChars(env, name, NULL);
        if (s == NULL)
            return -1;
        size_t len = strlen(s);
        if (len >= IFNAMSIZ) {
            (*env)->ReleaseStringUTFChars(env, name, s);
            throw_illegal(env, "interface name longer than 15 bytes");
            return -1;
        }
        memcpy(ifr.ifr_name, s, len);
        (*env)->ReleaseStringUTFChars(env, name, s);
    }
    int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC);
    if (fd < 0) {
        throw_errno(env, "open /dev/net/tun", errno);
        return -1;
    }
    if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
        int err = errno;
        close(fd);
        throw_errno(env, "ioctl(TUNSETIFF)", err);
        return -1;
    }
    return fd;
}

JNIEXPORT jstring JNICALL Java_re6st_jni_Tun_name0(JNIEnv *env, jclass cls, jint fd)
{
    struct ifreq ifr;
    memset(&ifr, 0, sizeof ifr);
    if (ioctl(fd, TUNGETIFF, &ifr) < 0) {
        throw_errno(env, "ioctl(TUNGETIFF)", errno);
        return NULL;
    }
    ifr.ifr_name[IFNAMSIZ - 1] = 0;
    return (*env)->NewStringUTF(env, ifr.ifr_name);
}

JNIEXPORT void JNICALL Java_re6st_jni_Tun_setOffload0(JNIEnv *env, jclass cls, jint fd, jint offloads)
{
    if (ioctl(fd, TUNSETOFFLOAD, (unsigned long)offloads) < 0)
        throw_errno(env, "ioctl(TUNSETOFFLOAD)", errno);
}

JNIEXPORT void JNICALL Java_re6st_jni_Tun_setVnetHdrSize0(JNIEnv *env, jclass cls, jint fd, jint size)
{
    int sz = size;
    if (ioctl(fd, TUNSETVNETHDRSZ, &sz) < 0)
        throw_errno(env, "ioctl(TUNSETVNETHDRSZ)", errno);
}

/* Reads up to max packets into slots until the (non-blocking) device is empty.
 * Returns how many were read; 0 means nothing was waiting. */
JNIEXPORT jint JNICALL Java_re6st_jni_Tun_readBatch0(JNIEnv *env, jclass cls, jint fd, jobject buf,
                                                     jint slot, jint max, jintArray lengths)
{
    /* the region's size in 64 bits: a jint product that overflows is undefined, and could wrap to a size that fits */
    if (slot <= 0 || max < 0 || (*env)->GetArrayLength(env, lengths) < max || (jlong)slot * max > INT32_MAX) {
        throw_illegal(env, "bad batch geometry");
        return 0;
    }
    char *base = buffer_region(env, buf, 0, (jint)((jlong)slot * max));
    if (base == NULL)
        return 0;
    jint n = 0;
    while (n < max) {
        ssize_t r = read(fd, base + (size_t)n * slot, (size_t)slot);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            if (n > 0)
                break; /* report the error on the next call, keep what we have */
            throw_errno(env, "read(tun)", errno);
            return 0;
        }
        jint len = (jint)r;
        (*env)->SetIntArrayRegion(env, lengths, n, 1, &len);
        n++;
    }
    return n;
}

/* Writes packets [from, from+count) from slots. Returns how many were written; stops early
 * when a non-blocking device is full (EAGAIN). A packet the kernel rejects as malformed
 * (EINVAL) is skipped, so one bad packet cannot wedge the batch; other errors throw. */
JNIEXPORT jint JNICALL Java_re6st_jni_Tun_writeBatch0(JNIEnv *env, jclass cls, jint fd, jobject buf,
                                                      jint slot, jintArray lengths, jint from, jint count)
{
    jint nlen = (*env)->GetArrayLength(env, lengths);
    if (slot <= 0 || from < 0 || count < 0 || (jlong)from + count > nlen || (jlong)slot * ((jlong)from + count) > INT32_MAX) {
        throw_illegal(env, "bad batch geometry");
        return 0;
    }
    char *base = buffer_region(env, buf, 0, (jint)((jlong)slot * (from + count)));
    if (base == NULL)
        return 0;
    jint i = 0;
    while (i < count) {
        jint len;
        (*env)->GetIntArrayRegion(env, lengths, from + i, 1, &len);
        if (len < 0 || len > slot) {
            throw_illegal(env, "packet length outside its slot");
            return i;
        }
        ssize_t r = write(fd, base + (size_t)(from + i) * slot, (size_t)len);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN)
                break;
            if (errno == EINVAL) {
                i++;
                continue;
            }
            if (i > 0)
                break;
            throw_errno(env, "write(tun)", errno);
            return 0;
        }
        i++;
    }
    return i;
}
