/**
 * Classic BPF programs for the packet sockets, as flat [code, jt, jf, k] quadruples (linux/filter.h).
 * Filtering in the kernel keeps the unrelated traffic of a busy LAN out of the JavaScript heap.
 */
const LDH_ABS = 0x28;
const LDB_ABS = 0x30;
const LDXB_MSH = 0xb1;
const LDH_IND = 0x48;
const JEQ_K = 0x15;
const JSET_K = 0x45;
const RET_K = 0x06;
const ACCEPT = 0x40000;

/**
 * Unfragmented IPv4/UDP to destination port `port` (tcpdump's `udp dst port P`, but a first fragment too is
 * dropped: the parser refuses fragments, so the kernel need not copy them out).
 */
export function udpDstPortFilter(port: number): number[] {
  // prettier-ignore
  return [
    LDH_ABS, 0, 0, 12, //          0: A = ethertype
    JEQ_K, 0, 8, 0x0800, //        1: IPv4, else drop
    LDB_ABS, 0, 0, 23, //          2: A = IP protocol
    JEQ_K, 0, 6, 17, //            3: UDP, else drop
    LDH_ABS, 0, 0, 20, //          4: A = flags + fragment offset
    JSET_K, 4, 0, 0x3fff, //       5: more fragments or an offset: drop
    LDXB_MSH, 0, 0, 14, //         6: X = IP header length
    LDH_IND, 0, 0, 16, //          7: A = UDP destination port (14 + X + 2)
    JEQ_K, 0, 1, port & 0xffff, // 8: our port, else drop
    RET_K, 0, 0, ACCEPT, //        9: accept
    RET_K, 0, 0, 0, //            10: drop
  ];
}

export function arpFilter(): number[] {
  // prettier-ignore
  return [
    LDH_ABS, 0, 0, 12,
    JEQ_K, 0, 1, 0x0806,
    RET_K, 0, 0, ACCEPT,
    RET_K, 0, 0, 0,
  ];
}

/** Accepts nothing: for a packet socket used only to send. */
export function dropAllFilter(): number[] {
  return [RET_K, 0, 0, 0];
}

export const ETH_P_IP = 0x0800;
export const ETH_P_ARP = 0x0806;
/** sll_pkttype values (linux/if_packet.h). */
export const PACKET_HOST = 0;
export const PACKET_BROADCAST = 1;
export const PACKET_MULTICAST = 2;
export const PACKET_OTHERHOST = 3;
export const PACKET_OUTGOING = 4;
/** tpacket_auxdata.tp_status bit: checksum offloaded, not yet computed (linux/if_packet.h). */
export const TP_STATUS_CSUMNOTREADY = 1 << 3;
