/* UDP sockets for the tunnel data path: one sendmsg carries many datagrams (UDP GSO,
 * UDP_SEGMENT), one recvmsg returns many (UDP GRO), recvmmsg batches datagrams from several
 * peers. Addresses travel as raw struct sockaddr bytes in a Java byte[] (re6st.jni.SockAddr), so
 * nothing is allocated per packet. Errors a data path must survive (EAGAIN, EMSGSIZE, ICMP
 * errors reported on the socket) are returned as negative errno values, not thrown. */
#include "util.h"
#include "re6st_jni_UdpSocket.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#ifndef UDP_SEGMENT
#define UDP_SEGMENT 103
#endif
#ifndef UDP_GRO
#define UDP_GRO 104
#endif

#define SOCKADDR_MAX 28 /* sizeof(struct sockaddr_in6) */

static int addr_len(const struct sockaddr_storage *ss)
{
    return ss->ss_family == AF_INET6 ? (int)sizeof(struct sockaddr_in6) : (int)sizeof(struct sockaddr_in);
}

JNIEXPORT jint JNICALL Java_re6st_jni_UdpSocket_open0(JNIEnv *env, jclass cls, jboolean ipv6)
{
    int fd = socket(ipv6 ? AF_INET6 : AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        throw_errno(env, "socket(UDP)", errno);
    return fd;
}

static int read_addr(JNIEnv *env, jbyteArray addr, struct sockaddr_storage *ss)
{
    memset(ss, 0, sizeof *ss);
    jsize n = (*env)->GetArrayLength(env, addr);
    if (n < (jsize)sizeof(sa_family_t) || n > SOCKADDR_MAX) {
        throw_illegal(env, "bad socket address");
        return -1;
    }
    (*env)->GetByteArrayRegion(env, addr, 0, n, (jbyte *)ss);
    return addr_len(ss);
}

/* bind() or connect() to the address in addr. */
static void to_address(JNIEnv *env, jint fd, jbyteArray addr, int (*op)(int, const struct sockaddr *, socklen_t), const char *name)
{
    struct sockaddr_storage ss;
    int len = read_addr(env, addr, &ss);
    if (len >= 0 && op(fd, (struct sockaddr *)&ss, (socklen_t)len) < 0)
        throw_errno(env, name, errno);
}

JNIEXPORT void JNICALL Java_re6st_jni_UdpSocket_bind0(JNIEnv *env, jclass cls, jint fd, jbyteArray addr)
{
    to_address(env, fd, addr, bind, "bind(UDP)");
}

JNIEXPORT void JNICALL Java_re6st_jni_UdpSocket_connect0(JNIEnv *env, jclass cls, jint fd, jbyteArray addr)
{
    to_address(env, fd, addr, connect, "connect(UDP)");
}

/* Writes the bound address into addr (28 bytes). */
JNIEXPORT void JNICALL Java_re6st_jni_UdpSocket_localAddress0(JNIEnv *env, jclass cls, jint fd, jbyteArray addr)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof ss;
    memset(&ss, 0, sizeof ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0) {
        throw_errno(env, "getsockname", errno);
        return;
    }
    (*env)->SetByteArrayRegion(env, addr, 0, SOCKADDR_MAX, (jbyte *)&ss);
}

JNIEXPORT void JNICALL Java_re6st_jni_UdpSocket_setInt0(JNIEnv *env, jclass cls, jint fd, jint level, jint name, jint value)
{
    int v = value;
    if (setsockopt(fd, level, name, &v, sizeof v) < 0) {
        char op[64];
        snprintf(op, sizeof op, "setsockopt(%d, %d)", level, name);
        throw_errno(env, op, errno);
    }
}

JNIEXPORT jint JNICALL Java_re6st_jni_UdpSocket_getInt0(JNIEnv *env, jclass cls, jint fd, jint level, jint name)
{
    int v = 0;
    socklen_t len = sizeof v;
    if (getsockopt(fd, level, name, &v, &len) < 0) {
        char op[64];
        snprintf(op, sizeof op, "getsockopt(%d, %d)", level, name);
        throw_errno(env, op, errno);
    }
    return v;
}

/* Sends buf[off, off+len) to addr. segment > 0 and < len: the kernel cuts it into datagrams of
 * `segment` bytes (the last may be shorter) in one call (UDP GSO). Returns the bytes sent, or
 * -errno for EAGAIN (socket buffer full), EMSGSIZE (bigger than the path MTU with DF set),
 * ECONNREFUSED/EHOSTUNREACH/ENETUNREACH and other transient network errors; throws on misuse. */
JNIEXPORT jint JNICALL Java_re6st_jni_UdpSocket_send0(JNIEnv *env, jclass cls, jint fd, jobject buf, jint off, jint len,
                                                      jint segment, jbyteArray addr)
{
    char *p = buffer_region(env, buf, off, len);
    if (p == NULL)
        return 0;
    struct sockaddr_storage ss;
    int alen = 0;
    if (addr != NULL) {
        alen = read_addr(env, addr, &ss);
        if (alen < 0)
            return 0;
    }
    struct iovec iov = { .iov_base = p, .iov_len = (size_t)len };
    union {
        char buf[CMSG_SPACE(sizeof(uint16_t))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = {
        .msg_name = addr != NULL ? &ss : NULL,
        .msg_namelen = (socklen_t)alen,
        .msg_iov = &iov,
        .msg_iovlen = 1,
    };
    if (segment > 0 && segment < len) {
        memset(&control, 0, sizeof control);
        msg.msg_control = control.buf;
        msg.msg_controllen = sizeof control.buf;
        struct cmsghdr *cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_UDP;
        cm->cmsg_type = UDP_SEGMENT;
        cm->cmsg_len = CMSG_LEN(sizeof(uint16_t));
        uint16_t seg = (uint16_t)segment;
        memcpy(CMSG_DATA(cm), &seg, sizeof seg);
    }
    for (;;) {
        ssize_t n = sendmsg(fd, &msg, 0);
        if (n >= 0)
            return (jint)n;
        switch (errno) {
        case EINTR:
            continue;
        case EAGAIN:
        case EMSGSIZE:
        case ECONNREFUSED:
        case EHOSTUNREACH:
        case ENETUNREACH:
        case ENETDOWN:
        case EHOSTDOWN:
        case EPERM: /* a firewall said no */
        case ENOBUFS:
            return -errno;
        default:
            throw_errno(env, "sendmsg(UDP)", errno);
            return 0;
        }
    }
}

/* Receives into buf[off, off+max). Returns ((long)segment << 32) | length, where segment is the
 * GRO segment size (0 if the kernel delivered a single datagram), and the sender in addr
 * (28 bytes, struct sockaddr). Returns -errno for EAGAIN and for errors queued on the socket by
 * ICMP (ECONNREFUSED...), which a receive loop skips. */
JNIEXPORT jlong JNICALL Java_re6st_jni_UdpSocket_receive0(JNIEnv *env, jclass cls, jint fd, jobject buf, jint off, jint max,
                                                          jbyteArray addr)
{
    char *p = buffer_region(env, buf, off, max);
    if (p == NULL)
        return 0;
    struct sockaddr_storage ss;
    struct iovec iov = { .iov_base = p, .iov_len = (size_t)max };
    union {
        char buf[CMSG_SPACE(sizeof(int))];
        struct cmsghdr align;
    } control;
    struct msghdr msg = {
        .msg_name = &ss,
        .msg_namelen = sizeof ss,
        .msg_iov = &iov,
        .msg_iovlen = 1,
        .msg_control = control.buf,
        .msg_controllen = sizeof control.buf,
    };
    for (;;) {
        memset(&ss, 0, sizeof ss);
        ssize_t n = recvmsg(fd, &msg, MSG_TRUNC);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == EAGAIN || errno == ECONNREFUSED || errno == EHOSTUNREACH || errno == ENETUNREACH
                || errno == EMSGSIZE)
                return -(jlong)errno;
            throw_errno(env, "recvmsg(UDP)", errno);
            return 0;
        }
        jint segment = 0;
        for (struct cmsghdr *cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
            if (cm->cmsg_level == SOL_UDP && cm->cmsg_type == UDP_GRO) {
                int s;
                memcpy(&s, CMSG_DATA(cm), sizeof s);
                segment = s;
            }
        if (n > max) /* MSG_TRUNC: bigger than the buffer; report the truncated length */
            n = max;
        if (addr != NULL)
            (*env)->SetByteArrayRegion(env, addr, 0, SOCKADDR_MAX, (jbyte *)&ss);
        return ((jlong)segment << 32) | (jlong)(uint32_t)n;
    }
}
