/* Plain file-descriptor operations shared by Tun and Netlink: the calls every packet path
 * makes (read, write, poll) stay in JNI, never in JNA, so they cost no allocation. */
#include "util.h"
#include "re6st_jni_Fd.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <sys/eventfd.h>
#include <time.h>
#include <string.h>
#include <unistd.h>

JNIEXPORT void JNICALL Java_re6st_jni_Fd_close0(JNIEnv *env, jclass cls, jint fd)
{
    if (close(fd) < 0 && errno != EINTR)
        throw_errno(env, "close", errno);
}

JNIEXPORT void JNICALL Java_re6st_jni_Fd_setNonBlocking0(JNIEnv *env, jclass cls, jint fd, jboolean on)
{
    int flags = fcntl(fd, F_GETFL);
    if (flags < 0) {
        throw_errno(env, "fcntl(F_GETFL)", errno);
        return;
    }
    flags = on ? (flags | O_NONBLOCK) : (flags & ~O_NONBLOCK);
    if (fcntl(fd, F_SETFL, flags) < 0)
        throw_errno(env, "fcntl(F_SETFL)", errno);
}

/* Returns the byte count, or -1 when a non-blocking descriptor has nothing (EAGAIN). */
JNIEXPORT jint JNICALL Java_re6st_jni_Fd_read0(JNIEnv *env, jclass cls, jint fd, jobject buf, jint off, jint len)
{
    char *p = buffer_region(env, buf, off, len);
    if (p == NULL)
        return 0;
    for (;;) {
        ssize_t n = read(fd, p, (size_t)len);
        if (n >= 0)
            return (jint)n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return -1;
        throw_errno(env, "read", errno);
        return 0;
    }
}

/* Returns the byte count, or -1 when a non-blocking descriptor cannot take it now (EAGAIN). */
JNIEXPORT jint JNICALL Java_re6st_jni_Fd_write0(JNIEnv *env, jclass cls, jint fd, jobject buf, jint off, jint len)
{
    char *p = buffer_region(env, buf, off, len);
    if (p == NULL)
        return 0;
    for (;;) {
        ssize_t n = write(fd, p, (size_t)len);
        if (n >= 0)
            return (jint)n;
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return -1;
        throw_errno(env, "write", errno);
        return 0;
    }
}

/* Waits until fd has one of `events` (POLLIN=1, POLLOUT=4) or wakefd (an eventfd, or -1) is
 * signalled, for at most timeoutNanos (negative: forever). Returns the fd's revents, plus
 * 0x10000 when woken (the eventfd is then drained). 0 on timeout. ppoll gives sub-millisecond
 * timeouts, which the WAN emulator needs for accurate delays. */
JNIEXPORT jint JNICALL Java_re6st_jni_Fd_poll0(JNIEnv *env, jclass cls, jint fd, jint events, jint wakefd, jlong timeoutNanos)
{
    struct pollfd fds[2] = {
        { .fd = fd, .events = (short)events },
        { .fd = wakefd, .events = POLLIN },
    };
    nfds_t n = wakefd >= 0 ? 2 : 1;
    struct timespec ts, *tsp = NULL;
    if (timeoutNanos >= 0) {
        ts.tv_sec = timeoutNanos / 1000000000L;
        ts.tv_nsec = timeoutNanos % 1000000000L;
        tsp = &ts;
    }
    int r = ppoll(fds, n, tsp, NULL);
    if (r < 0) {
        if (errno == EINTR)
            return 0;
        throw_errno(env, "ppoll", errno);
        return 0;
    }
    jint result = fds[0].revents;
    if (n == 2 && (fds[1].revents & POLLIN)) {
        uint64_t v;
        if (read(wakefd, &v, sizeof v) < 0 && errno != EAGAIN) {
            throw_errno(env, "read(eventfd)", errno);
            return 0;
        }
        result |= 0x10000;
    }
    return result;
}

JNIEXPORT jint JNICALL Java_re6st_jni_Fd_eventfd0(JNIEnv *env, jclass cls)
{
    int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (fd < 0)
        throw_errno(env, "eventfd", errno);
    return fd;
}

JNIEXPORT void JNICALL Java_re6st_jni_Fd_signal0(JNIEnv *env, jclass cls, jint efd)
{
    uint64_t one = 1;
    if (write(efd, &one, sizeof one) < 0 && errno != EAGAIN)
        throw_errno(env, "write(eventfd)", errno);
}

JNIEXPORT jstring JNICALL Java_re6st_jni_Fd_strerror0(JNIEnv *env, jclass cls, jint err)
{
    char text[256];
    return (*env)->NewStringUTF(env, strerror_r(err, text, sizeof text));
}
