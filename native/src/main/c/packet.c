/* AF_PACKET sockets (SOCK_DGRAM: layer-3 packets, the kernel strips and builds the link-layer
 * header) bound to one interface, for tests that capture and inject raw datagrams. What the
 * kernel says about each received packet (EtherType, direction, length on the wire, checksum
 * status) goes into an int[] the caller keeps, so nothing is allocated per packet. */
#include "util.h"
#include "re6st_jni_PacketSocket.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Layout of the meta array, mirrored by the constants in PacketSocket.java. */
enum { META_ETHER_TYPE, META_PACKET_TYPE, META_WIRE_LENGTH, META_STATUS, META_LENGTH };

JNIEXPORT jint JNICALL Java_re6st_jni_PacketSocket_ifindex0(JNIEnv *env, jclass cls, jstring name)
{
    const char *s = (*env)->GetStringUTFChars(env, name, NULL);
    if (s == NULL)
        return 0;
    unsigned idx = if_nametoindex(s);
    int err = errno;
    if (idx == 0) {
        char op[64];
        snprintf(op, sizeof op, "if_nametoindex %s", s);
        (*env)->ReleaseStringUTFChars(env, name, s);
        throw_errno(env, op, err);
        return 0;
    }
    (*env)->ReleaseStringUTFChars(env, name, s);
    return (jint)idx;
}

/* The socket is created with protocol 0 (it receives nothing) and only bound to the protocol and
 * the interface afterwards, so no packet of another interface slips in between. */
JNIEXPORT jint JNICALL Java_re6st_jni_PacketSocket_open0(JNIEnv *env, jclass cls, jint ifindex, jint protocol)
{
    int fd = socket(AF_PACKET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
        throw_errno(env, "socket(AF_PACKET, SOCK_DGRAM)", errno);
        return -1;
    }
    int one = 1;
    if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof one) < 0) {
        int err = errno;
        close(fd);
        throw_errno(env, "setsockopt(PACKET_AUXDATA)", err);
        return -1;
    }
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons((uint16_t)protocol);
    sll.sll_ifindex = ifindex;
    if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
        int err = errno;
        close(fd);
        char op[96];
        snprintf(op, sizeof op, "bind(AF_PACKET, ifindex %d, protocol 0x%04x)", (int)ifindex, (unsigned)protocol & 0xffff);
        throw_errno(env, op, err);
        return -1;
    }
    return fd;
}

/* The bound interface's link-layer address (a MAC for Ethernet and veth) into out; returns its
 * length (0 for interfaces without one, such as TUN). */
JNIEXPORT jint JNICALL Java_re6st_jni_PacketSocket_address0(JNIEnv *env, jclass cls, jint fd, jbyteArray out)
{
    struct sockaddr_ll sll;
    socklen_t len = sizeof sll;
    memset(&sll, 0, sizeof sll);
    if (getsockname(fd, (struct sockaddr *)&sll, &len) < 0) {
        throw_errno(env, "getsockname(AF_PACKET)", errno);
        return 0;
    }
    jint n = sll.sll_halen;
    if (n > (*env)->GetArrayLength(env, out))
        n = (*env)->GetArrayLength(env, out);
    (*env)->SetByteArrayRegion(env, out, 0, n, (const jbyte *)sll.sll_addr);
    return n;
}

static long long now_nanos(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* Waits (ppoll) up to timeoutNanos (negative: forever) for a packet, then reads it (recvmsg) into
 * buf[off, off+max). Returns the number of bytes stored (at most max; meta[META_WIRE_LENGTH] has
 * the packet's full length when it was longer), or -1 on timeout or when wakefd is signalled. */
JNIEXPORT jint JNICALL Java_re6st_jni_PacketSocket_receive0(JNIEnv *env, jclass cls, jint fd, jint wakefd, jobject buf,
                                                          jint off, jint max, jlong timeoutNanos, jintArray meta)
{
    if ((*env)->GetArrayLength(env, meta) < META_LENGTH) {
        throw_illegal(env, "meta array too short");
        return -1;
    }
    char *p = buffer_region(env, buf, off, max);
    if (p == NULL)
        return -1;
    long long deadline = timeoutNanos >= 0 ? now_nanos() + timeoutNanos : 0;
    for (;;) {
        struct timespec ts, *tsp = NULL;
        if (timeoutNanos >= 0) {
            long long left = deadline - now_nanos();
            if (left < 0)
                left = 0;
            ts.tv_sec = left / 1000000000LL;
            ts.tv_nsec = left % 1000000000LL;
            tsp = &ts;
        }
        struct pollfd fds[2] = {
            { .fd = fd, .events = POLLIN },
            { .fd = wakefd, .events = POLLIN },
        };
        int r = ppoll(fds, wakefd >= 0 ? 2 : 1, tsp, NULL);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            throw_errno(env, "ppoll(AF_PACKET)", errno);
            return -1;
        }
        if (r == 0)
            return -1; /* timeout */
        if (wakefd >= 0 && (fds[1].revents & POLLIN)) {
            uint64_t v;
            if (read(wakefd, &v, sizeof v) < 0 && errno != EAGAIN) {
                throw_errno(env, "read(eventfd)", errno);
                return -1;
            }
            return -1;
        }
        if (fds[0].revents & POLLNVAL) {
            throw_errno(env, "ppoll(AF_PACKET)", EBADF);
            return -1;
        }
        if ((fds[0].revents & (POLLIN | POLLERR)) == 0)
            continue;

        struct sockaddr_ll from;
        union {
            struct cmsghdr align;
            char buf[CMSG_SPACE(sizeof(struct tpacket_auxdata))];
        } control;
        struct iovec iov = { .iov_base = p, .iov_len = (size_t)max };
        struct msghdr msg = {
            .msg_name = &from, .msg_namelen = sizeof from,
            .msg_iov = &iov, .msg_iovlen = 1,
            .msg_control = control.buf, .msg_controllen = sizeof control.buf,
        };
        memset(&from, 0, sizeof from);
        /* MSG_TRUNC: a packet socket then returns the packet's real length, even if longer than max. */
        ssize_t n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            throw_errno(env, "recvmsg(AF_PACKET)", errno);
            return -1;
        }
        jint info[META_LENGTH] = { ntohs(from.sll_protocol), from.sll_pkttype, (jint)n, -1 };
        for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c != NULL; c = CMSG_NXTHDR(&msg, c)) {
            if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA
                    && c->cmsg_len >= CMSG_LEN(sizeof(struct tpacket_auxdata))) {
                struct tpacket_auxdata aux;
                memcpy(&aux, CMSG_DATA(c), sizeof aux);
                info[META_STATUS] = (jint)aux.tp_status;
            }
        }
        (*env)->SetIntArrayRegion(env, meta, 0, META_LENGTH, info);
        return n > max ? max : (jint)n;
    }
}

/* Sends buf[off, off+len) as one packet of this EtherType out of ifindex, to link-layer address
 * dst (6 bytes: the kernel builds the Ethernet header from it and the interface's own MAC). */
JNIEXPORT void JNICALL Java_re6st_jni_PacketSocket_send0(JNIEnv *env, jclass cls, jint fd, jint ifindex, jobject buf,
                                                       jint off, jint len, jint etherType, jbyteArray dst)
{
    char *p = buffer_region(env, buf, off, len);
    if (p == NULL)
        return;
    struct sockaddr_ll sll;
    memset(&sll, 0, sizeof sll);
    sll.sll_family = AF_PACKET;
    sll.sll_protocol = htons((uint16_t)etherType);
    sll.sll_ifindex = ifindex;
    sll.sll_halen = 6;
    (*env)->GetByteArrayRegion(env, dst, 0, 6, (jbyte *)sll.sll_addr);
    if ((*env)->ExceptionCheck(env))
        return;
    for (;;) {
        ssize_t n = sendto(fd, p, (size_t)len, 0, (struct sockaddr *)&sll, sizeof sll);
        if (n >= 0)
            return;
        if (errno == EINTR)
            continue;
        char op[96];
        snprintf(op, sizeof op, "sendto(AF_PACKET, ifindex %d, ethertype 0x%04x, %d bytes)", (int)ifindex,
                 (unsigned)etherType & 0xffff, (int)len);
        throw_errno(env, op, errno);
        return;
    }
}
