/* rtnetlink sockets. Only the socket calls live here; messages are built and parsed in Java
 * (re6st.jni.NetlinkMessage), where they can be unit-tested and fuzzed. */
#include "util.h"
#include "re6st_jni_NetlinkSocket.h"

#include <errno.h>
#include <linux/netlink.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef SOL_NETLINK
#define SOL_NETLINK 270
#endif

JNIEXPORT jint JNICALL Java_re6st_jni_NetlinkSocket_open0(JNIEnv *env, jclass cls, jint protocol, jint rcvbuf)
{
    int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, protocol);
    if (fd < 0) {
        throw_errno(env, "socket(AF_NETLINK)", errno);
        return -1;
    }
    if (rcvbuf > 0) {
        /* SO_RCVBUFFORCE (root) lets an event listener survive route bursts; else best effort. */
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &rcvbuf, sizeof rcvbuf) < 0)
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
    }
    int one = 1;
    /* Extended acks: the kernel explains EINVAL & co. in text. Strict checking: dumps are
     * filtered by the kernel (table, protocol). Both are optional on old kernels. */
    setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof one);
    setsockopt(fd, SOL_NETLINK, NETLINK_GET_STRICT_CHK, &one, sizeof one);
    struct sockaddr_nl sa;
    memset(&sa, 0, sizeof sa);
    sa.nl_family = AF_NETLINK;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
        int err = errno;
        close(fd);
        throw_errno(env, "bind(AF_NETLINK)", err);
        return -1;
    }
    return fd;
}

JNIEXPORT void JNICALL Java_re6st_jni_NetlinkSocket_addMembership0(JNIEnv *env, jclass cls, jint fd, jint group)
{
    if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
        throw_errno(env, "setsockopt(NETLINK_ADD_MEMBERSHIP)", errno);
}

JNIEXPORT void JNICALL Java_re6st_jni_NetlinkSocket_send0(JNIEnv *env, jclass cls, jint fd, jobject buf, jint off, jint len)
{
    char *p = buffer_region(env, buf, off, len);
    if (p == NULL)
        return;
    struct sockaddr_nl sa;
    memset(&sa, 0, sizeof sa);
    sa.nl_family = AF_NETLINK;
    for (;;) {
        ssize_t n = sendto(fd, p, (size_t)len, 0, (struct sockaddr *)&sa, sizeof sa);
        if (n >= 0)
            return;
        if (errno == EINTR)
            continue;
        throw_errno(env, "sendto(netlink)", errno);
        return;
    }
}

/* Receives one datagram (possibly several netlink messages). Returns its length, -1 when a
 * non-blocking socket has nothing, or throws (ENOBUFS means events were lost). A datagram
 * larger than the buffer is reported as EMSGSIZE rather than silently cut. */
JNIEXPORT jint JNICALL Java_re6st_jni_NetlinkSocket_recv0(JNIEnv *env, jclass cls, jint fd, jobject buf, jint off, jint len, jboolean dontwait)
{
    char *p = buffer_region(env, buf, off, len);
    if (p == NULL)
        return 0;
    for (;;) {
        ssize_t n = recv(fd, p, (size_t)len, MSG_TRUNC | (dontwait ? MSG_DONTWAIT : 0));
        if (n >= 0) {
            if (n > len) {
                throw_errno(env, "recv(netlink): datagram larger than the buffer", EMSGSIZE);
                return 0;
            }
            return (jint)n;
        }
        if (errno == EINTR)
            continue;
        if (errno == EAGAIN)
            return -1;
        throw_errno(env, "recv(netlink)", errno);
        return 0;
    }
}
