/* TUN offloads done in user space, as the kernel does them for NICs: the tunnel's TUN device
 * is opened with IFF_VNET_HDR and TSO/checksum offloads, so the kernel hands over TCP
 * super-packets of up to 64 KiB (one read instead of ~45) with the checksum left to us.
 *  - split: one packet read from the TUN (virtio_net_hdr first) becomes ready-to-encrypt IP
 *    packets: GSO TCP is cut into MSS-sized segments (headers fixed up, checksums computed);
 *    a packet with a partial checksum gets it completed.
 *  - coalesce + write: decrypted IP packets of one TCP flow that follow each other are written
 *    to the TUN as one GSO super-packet (one write instead of ~45, and one trip through the
 *    receiving TCP stack), with writev so payloads are not copied; others go one by one, and so
 *    does a segment whose TCP checksum is wrong (the kernel drops it, as it would have).
 * No allocation; everything works in the caller's direct buffers. */
#include "util.h"
#include "re6st_jni_Offload.h"

#include <errno.h>
#include <linux/virtio_net.h>
#include <stdint.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

#define VNET_HDR_LEN 10
#define PROTO_TCP 6

/* RFC 1071 sum of len bytes, not folded. */
static uint64_t sum_bytes(const uint8_t *p, size_t len, uint64_t sum)
{
    /* 32 bytes a turn into four independent sums: the adds overlap (this runs over every received
     * TCP segment, to check it before coalescing). Each 32-bit half added stays far from overflow. */
    uint64_t s1 = 0, s2 = 0, s3 = 0;
    while (len >= 32) {
        uint64_t a, b, c, d;
        memcpy(&a, p, 8);
        memcpy(&b, p + 8, 8);
        memcpy(&c, p + 16, 8);
        memcpy(&d, p + 24, 8);
        sum += (a & 0xffffffffu) + (a >> 32);
        s1 += (b & 0xffffffffu) + (b >> 32);
        s2 += (c & 0xffffffffu) + (c >> 32);
        s3 += (d & 0xffffffffu) + (d >> 32);
        p += 32;
        len -= 32;
    }
    sum += s1 + s2 + s3;
    while (len >= 8) {
        uint64_t v;
        memcpy(&v, p, 8);
        sum += (v & 0xffffffffu) + (v >> 32);
        p += 8;
        len -= 8;
    }
    if (len >= 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        sum += v;
        p += 4;
        len -= 4;
    }
    if (len >= 2) {
        uint16_t v;
        memcpy(&v, p, 2);
        sum += v;
        p += 2;
        len -= 2;
    }
    if (len)
        sum += *p; /* little-endian host: the odd byte is the high-order byte of its word in network order */
    return sum;
}

/* Folds to 16 bits, in the byte order the sum was made in (network order in memory). */
static uint16_t fold(uint64_t sum)
{
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffffffffu) + (sum >> 32);
    sum = (sum & 0xffff) + (sum >> 16);
    sum = (sum & 0xffff) + (sum >> 16);
    return (uint16_t)sum;
}

static uint16_t get16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
static uint32_t get32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)(v >> 16)); put16(p + 2, (uint16_t)v); }

/* Pseudo-header sum (RFC 793 / RFC 8200 section 8.1), not folded, in memory byte order. */
static uint64_t pseudo_sum(const uint8_t *ip, int v6, uint32_t l4len)
{
    uint64_t sum = v6 ? sum_bytes(ip + 8, 32, 0) : sum_bytes(ip + 12, 8, 0);
    uint8_t tail[8] = {0};
    put32(tail, l4len);
    tail[7] = PROTO_TCP;
    return sum_bytes(tail, 8, sum);
}

static void ipv4_header_checksum(uint8_t *ip)
{
    int ihl = (ip[0] & 0x0f) * 4;
    ip[10] = ip[11] = 0;
    uint16_t c = (uint16_t)~fold(sum_bytes(ip, (size_t)ihl, 0));
    memcpy(ip + 10, &c, 2);
}

/* Result codes of split (negative): the packet is dropped and counted by the caller. */
#define E_SHORT -1     /* shorter than its headers say */
#define E_GSO_TYPE -2  /* a GSO type we did not enable */
#define E_TOO_MANY -3  /* more segments than the output can hold */
#define E_CSUM -4      /* checksum location outside the packet */

/* in[off, off+len) is one read from the TUN: virtio_net_hdr then an IP packet.
 * Returns 0 when the packet is ready where it is (at off + 10; a partial checksum was
 * completed in place); n > 0 when it was cut into n packets written to out at outOff + i*slot
 * with their lengths in lens[i]; negative (E_*) for a malformed description. */
JNIEXPORT jint JNICALL Java_re6st_jni_Offload_split0(JNIEnv *env, jclass cls, jobject in, jint off, jint len,
                                                    jobject out, jint outOff, jint slot, jint maxSegs, jintArray lens)
{
    uint8_t *base = (uint8_t *)buffer_region(env, in, off, len);
    if (base == NULL)
        return 0;
    if (len < VNET_HDR_LEN + 20)
        return E_SHORT;
    struct virtio_net_hdr h;
    memcpy(&h, base, sizeof h);
    uint8_t *ip = base + VNET_HDR_LEN;
    size_t iplen = (size_t)len - VNET_HDR_LEN;
    int gso = h.gso_type & ~VIRTIO_NET_HDR_GSO_ECN;

    if (gso == VIRTIO_NET_HDR_GSO_NONE) {
        if (h.flags & VIRTIO_NET_HDR_F_NEEDS_CSUM) {
            size_t start = h.csum_start, at = (size_t)h.csum_start + h.csum_offset;
            if (start >= iplen || at + 2 > iplen)
                return E_CSUM;
            /* The field holds the pseudo-header sum: summing from csum_start over it completes it. */
            uint16_t c = (uint16_t)~fold(sum_bytes(ip + start, iplen - start, 0));
            if (c == 0)
                c = 0xffff; /* as the kernel does (CSUM_MANGLED_0): for UDP (IPv4 too) 0 means "no checksum" */
            memcpy(ip + at, &c, 2);
        }
        return 0;
    }
    if (gso != VIRTIO_NET_HDR_GSO_TCPV4 && gso != VIRTIO_NET_HDR_GSO_TCPV6)
        return E_GSO_TYPE;
    int v6 = gso == VIRTIO_NET_HDR_GSO_TCPV6;
    if ((ip[0] >> 4) != (v6 ? 6 : 4))
        return E_SHORT;
    size_t iphl = h.csum_start; /* where TCP starts (IPv6 extension headers included) */
    if (iphl < (v6 ? 40u : 20u) || iphl + 20 > iplen)
        return E_SHORT;
    if (!v6 && iphl != (size_t)(ip[0] & 0x0f) * 4)
        return E_SHORT;
    uint8_t *tcp = ip + iphl;
    size_t thl = (size_t)(tcp[12] >> 4) * 4;
    if (thl < 20 || iphl + thl > iplen)
        return E_SHORT;
    size_t hdr = iphl + thl, payload = iplen - hdr, mss = h.gso_size;
    if (mss == 0 || payload == 0)
        return E_SHORT;
    size_t nseg = (payload + mss - 1) / mss;
    if (nseg > (size_t)maxSegs || nseg > 128 || (jlong)slot < (jlong)(hdr + mss) || (jlong)slot * (jlong)nseg > INT32_MAX
        || (*env)->GetArrayLength(env, lens) < (jsize)nseg)
        return E_TOO_MANY; /* (a region of slot * nseg bytes that overflows a jint cannot be in a buffer) */
    uint8_t *dst0 = (uint8_t *)buffer_region(env, out, outOff, (jint)(slot * nseg));
    if (dst0 == NULL)
        return 0;
    uint32_t seq = get32(tcp + 4);
    uint16_t id = get16(ip + 4);
    uint8_t flags = tcp[13];
    jint lengths[128];
    for (size_t i = 0; i < nseg; i++) {
        uint8_t *d = dst0 + i * (size_t)slot;
        size_t chunk = i + 1 < nseg ? mss : payload - i * mss;
        memcpy(d, ip, hdr);
        memcpy(d + hdr, ip + hdr + i * mss, chunk);
        size_t total = hdr + chunk;
        uint8_t *t = d + iphl;
        if (v6) {
            put16(d + 4, (uint16_t)(total - 40));
        } else {
            put16(d + 2, (uint16_t)total);
            put16(d + 4, (uint16_t)(id + i));
            ipv4_header_checksum(d);
        }
        put32(t + 4, seq + (uint32_t)(i * mss));
        uint8_t f = flags;
        if (i + 1 < nseg)
            f &= (uint8_t)~0x09; /* FIN and PSH only on the last segment */
        if (i > 0)
            f &= (uint8_t)~0x80; /* CWR only on the first */
        t[13] = f;
        t[16] = t[17] = 0;
        size_t l4 = total - iphl;
        uint16_t c = (uint16_t)~fold(sum_bytes(t, l4, pseudo_sum(d, v6, (uint32_t)l4)));
        memcpy(t + 16, &c, 2);
        lengths[i] = (jint)total;
    }
    (*env)->SetIntArrayRegion(env, lens, 0, (jsize)nseg, lengths);
    return (jint)nseg;
}

/* A TCP packet's facts for coalescing. */
struct seg {
    uint8_t *ip;
    size_t len, iphl, thl, payload;
    int v6;
    uint32_t seq;
};

static int parse_tcp(uint8_t *ip, size_t len, struct seg *s)
{
    if (len < 20)
        return 0;
    int ver = ip[0] >> 4;
    if (ver == 4) {
        size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
        if (ihl != 20 || ip[9] != PROTO_TCP || get16(ip + 2) != len)
            return 0;
        if (get16(ip + 6) & 0x3fff) /* MF or a fragment offset */
            return 0;
        s->iphl = 20;
        s->v6 = 0;
    } else if (ver == 6) {
        if (len < 40 || ip[6] != PROTO_TCP || (size_t)get16(ip + 4) + 40 != len)
            return 0;
        s->iphl = 40;
        s->v6 = 1;
    } else {
        return 0;
    }
    if (len < s->iphl + 20)
        return 0;
    uint8_t *t = ip + s->iphl;
    s->thl = (size_t)(t[12] >> 4) * 4;
    if (s->thl < 20 || s->iphl + s->thl > len)
        return 0;
    s->ip = ip;
    s->len = len;
    s->payload = len - s->iphl - s->thl;
    s->seq = get32(t + 4);
    return 1;
}

/* Whether a TCP segment's checksums are right (an IPv4 header's, then the TCP one): summed over the pseudo-header, the TCP header
 * (checksum field included) and the payload, it folds to 0xffff. A segment joins a super-packet
 * only then: the super-packet's checksum is left to the kernel (NEEDS_CSUM), which computes it
 * afresh, so a segment that was corrupted before it was sealed would otherwise come out valid.
 * A segment that fails goes to the TUN alone, as it is: the kernel drops it and counts it. */
static int tcp_checksum_ok(const struct seg *s)
{
    /* The same for an IPv4 leader's header: flush_group rewrites its total length and recomputes
     * its header checksum, which would make a corrupted TOS, TTL or ID come out valid. */
    if (!s->v6 && fold(sum_bytes(s->ip, s->iphl, 0)) != 0xffff)
        return 0;
    size_t l4 = s->len - s->iphl;
    return fold(sum_bytes(s->ip + s->iphl, l4, pseudo_sum(s->ip, s->v6, (uint32_t)l4))) == 0xffff;
}

/* Can b follow a (the group's first packet, with `next` the sequence number expected)? */
static int same_flow(const struct seg *a, const struct seg *b)
{
    if (a->v6 != b->v6 || a->iphl != b->iphl)
        return 0;
    const uint8_t *x = a->ip, *y = b->ip;
    if (a->v6) {
        if (memcmp(x + 8, y + 8, 32) != 0) /* addresses */
            return 0;
    } else if (memcmp(x + 12, y + 12, 8) != 0) {
        return 0;
    }
    return memcmp(x + a->iphl, y + b->iphl, 4) == 0; /* ports */
}

static int mergeable(const struct seg *a, const struct seg *b)
{
    const uint8_t *x = a->ip, *y = b->ip, *tx = x + a->iphl, *ty = y + b->iphl;
    if (a->thl != b->thl)
        return 0;
    if (a->v6) {
        if ((get32(x) & 0x0ff00000u) != (get32(y) & 0x0ff00000u) /* traffic class */ || x[7] != y[7])
            return 0;
    } else if (x[1] != y[1] || x[8] != y[8] || (x[6] & 0x40) != (y[6] & 0x40)) { /* TOS, TTL, DF */
        return 0;
    }
    if (memcmp(tx + 8, ty + 8, 4) != 0 || memcmp(tx + 14, ty + 14, 2) != 0) /* ack, window */
        return 0;
    if ((tx[13] & ~0x08) != 0x10 || (ty[13] & ~0x08) != 0x10) /* ACK (PSH allowed), nothing else */
        return 0;
    return memcmp(tx + 20, ty + 20, a->thl - 20) == 0; /* options (timestamps) identical */
}

#define MAX_IOV 64
#define MAX_GROUPS 8

struct group {
    struct seg first;
    size_t count, bytes, gso; /* packets, total payload, segment payload size */
    uint32_t next;            /* next expected sequence number */
    int closed;               /* a short or PSH segment ended it */
    struct iovec iov[MAX_IOV + 1];
};

static uint8_t zero_hdr[VNET_HDR_LEN];

/* Writes one iovec array to the TUN; EINVAL (malformed) is counted as a drop, EAGAIN waits. */
static int write_iov(JNIEnv *env, int fd, struct iovec *iov, int n, jint *dropped)
{
    for (;;) {
        if (writev(fd, iov, n) >= 0)
            return 0;
        if (errno == EINTR || errno == EAGAIN)
            continue;
        if (errno == EINVAL || errno == EIO) { /* bad packet / interface down: drop it */
            (*dropped)++;
            return 0;
        }
        throw_errno(env, "writev(tun)", errno);
        return -1;
    }
}

static int flush_group(JNIEnv *env, int fd, struct group *g, jint *writes, jint *dropped)
{
    struct seg *f = &g->first;
    struct virtio_net_hdr h;
    memset(&h, 0, sizeof h);
    if (g->count > 1) {
        uint8_t *ip = f->ip, *t = ip + f->iphl;
        size_t total = f->iphl + f->thl + g->bytes;
        if (f->v6) {
            put16(ip + 4, (uint16_t)(total - 40));
        } else {
            put16(ip + 2, (uint16_t)total);
            ipv4_header_checksum(ip);
        }
        if (g->closed)
            t[13] |= 0x08; /* PSH of the last one */
        /* CHECKSUM_PARTIAL: the field holds the pseudo-header sum, the kernel does the rest. */
        uint16_t c = fold(pseudo_sum(ip, f->v6, (uint32_t)(total - f->iphl)));
        memcpy(t + 16, &c, 2);
        h.flags = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h.gso_type = f->v6 ? VIRTIO_NET_HDR_GSO_TCPV6 : VIRTIO_NET_HDR_GSO_TCPV4;
        h.hdr_len = (uint16_t)(f->iphl + f->thl);
        h.gso_size = (uint16_t)g->gso;
        h.csum_start = (uint16_t)f->iphl;
        h.csum_offset = 16;
    }
    g->iov[0].iov_base = &h;
    g->iov[0].iov_len = VNET_HDR_LEN;
    (*writes)++;
    return write_iov(env, fd, g->iov, (int)g->count + 1, dropped);
}

/* Writes count decrypted IP packets (packet i at buf + i*slot, length lens[i]) to the TUN fd
 * (opened with IFF_VNET_HDR), coalescing TCP segments of one flow. Returns the number of
 * writes made in the low 32 bits and the packets the kernel refused in the high 32 bits. */
JNIEXPORT jlong JNICALL Java_re6st_jni_Offload_writeCoalesced0(JNIEnv *env, jclass cls, jint fd, jobject buf,
                                                              jint slot, jintArray lens, jint count)
{
    if (slot <= 0 || count < 0 || (*env)->GetArrayLength(env, lens) < count || count > 1024 || (jlong)slot * count > INT32_MAX) {
        throw_illegal(env, "bad batch geometry");
        return 0;
    }
    uint8_t *base = (uint8_t *)buffer_region(env, buf, 0, slot * count);
    if (base == NULL)
        return 0;
    jint lengths[1024];
    (*env)->GetIntArrayRegion(env, lens, 0, count, lengths);
    struct group groups[MAX_GROUPS];
    int ngroups = 0;
    jint writes = 0, dropped = 0;
    for (jint i = 0; i < count; i++) {
        uint8_t *ip = base + (size_t)i * slot;
        size_t len = (size_t)lengths[i];
        if (len > (size_t)slot) {
            throw_illegal(env, "packet length outside its slot");
            return 0;
        }
        struct seg s;
        int tcp = parse_tcp(ip, len, &s) && s.payload > 0 && tcp_checksum_ok(&s); /* may be coalesced */
        int g = -1;
        if (tcp || (len >= 20 && parse_tcp(ip, len, &s))) {
            for (int k = 0; k < ngroups; k++)
                if (same_flow(&groups[k].first, &s)) {
                    g = k;
                    break;
                }
        }
        if (g >= 0) {
            struct group *gr = &groups[g];
            if (tcp && !gr->closed && gr->count < MAX_IOV && s.seq == gr->next && s.payload <= gr->gso
                && mergeable(&gr->first, &s) && gr->first.iphl + gr->first.thl + gr->bytes + s.payload <= 65535) {
                gr->iov[gr->count + 1].iov_base = ip + s.iphl + s.thl;
                gr->iov[gr->count + 1].iov_len = s.payload;
                gr->count++;
                gr->bytes += s.payload;
                gr->next += (uint32_t)s.payload;
                if (s.payload < gr->gso || (ip[s.iphl + 13] & 0x08))
                    gr->closed = 1;
                continue;
            }
            /* Same flow, cannot merge: write what the group holds first (keep the flow's order). */
            if (flush_group(env, fd, gr, &writes, &dropped) < 0)
                return 0;
            groups[g] = groups[--ngroups];
        }
        if (tcp && (ip[s.iphl + 13] & ~0x08) == 0x10) {
            if (ngroups == MAX_GROUPS) {
                if (flush_group(env, fd, &groups[0], &writes, &dropped) < 0)
                    return 0;
                groups[0] = groups[--ngroups];
            }
            struct group *gr = &groups[ngroups++];
            gr->first = s;
            gr->count = 1;
            gr->bytes = s.payload;
            gr->gso = s.payload;
            gr->next = s.seq + (uint32_t)s.payload;
            gr->closed = (ip[s.iphl + 13] & 0x08) != 0;
            gr->iov[1].iov_base = ip;
            gr->iov[1].iov_len = len;
            continue;
        }
        struct iovec iov[2] = {{zero_hdr, VNET_HDR_LEN}, {ip, len}};
        writes++;
        if (write_iov(env, fd, iov, 2, &dropped) < 0)
            return 0;
    }
    for (int k = 0; k < ngroups; k++)
        if (flush_group(env, fd, &groups[k], &writes, &dropped) < 0)
            return 0;
    return (jlong)(uint32_t)writes | (jlong)dropped << 32;
}
