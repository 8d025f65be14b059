/**
 * Classic libpcap file writer (https://wiki.wireshark.org/Development/LibpcapFileFormat): a 24-byte global
 * header, then per frame a 16-byte record header and the bytes. Link type 1 (Ethernet); microsecond
 * timestamps; little-endian, as written by tcpdump on x86.
 */
import { openSync, writeSync, closeSync } from 'node:fs';

const LINKTYPE_ETHERNET = 1;
const SNAPLEN = 65535;

export interface PcapSink {
  /** `timeMs` may be virtual time; Wireshark shows it as seconds since 1970. */
  write(frame: Uint8Array, timeMs: number): void;
  close(): void;
}

export function pcapGlobalHeader(): Buffer {
  const h = Buffer.alloc(24);
  h.writeUInt32LE(0xa1b2c3d4, 0);
  h.writeUInt16LE(2, 4);
  h.writeUInt16LE(4, 6);
  h.writeInt32LE(0, 8); // thiszone
  h.writeUInt32LE(0, 12); // sigfigs
  h.writeUInt32LE(SNAPLEN, 16);
  h.writeUInt32LE(LINKTYPE_ETHERNET, 20);
  return h;
}

export function pcapRecord(frame: Uint8Array, timeMs: number): Buffer {
  const captured = Math.min(frame.length, SNAPLEN);
  const h = Buffer.alloc(16 + captured);
  const us = Math.max(0, Math.round(timeMs * 1000));
  h.writeUInt32LE(Math.floor(us / 1e6), 0);
  h.writeUInt32LE(us % 1e6, 4);
  h.writeUInt32LE(captured, 8);
  h.writeUInt32LE(frame.length, 12);
  h.set(frame.subarray(0, captured), 16);
  return h;
}

/** Collects a capture in memory; `toBuffer()` gives a complete .pcap file. */
export class PcapBuffer implements PcapSink {
  private readonly chunks: Buffer[] = [pcapGlobalHeader()];
  frames = 0;
  write(frame: Uint8Array, timeMs: number): void {
    this.chunks.push(pcapRecord(frame, timeMs));
    this.frames++;
  }
  close(): void {}
  toBuffer(): Buffer {
    return Buffer.concat(this.chunks);
  }
}

/** Writes a capture to a file as frames arrive (synchronously: a capture is a debugging aid, not a hot path). */
export class PcapFile implements PcapSink {
  private fd: number | undefined;
  constructor(path: string) {
    this.fd = openSync(path, 'w');
    writeSync(this.fd, pcapGlobalHeader());
  }
  write(frame: Uint8Array, timeMs: number): void {
    if (this.fd !== undefined) writeSync(this.fd, pcapRecord(frame, timeMs));
  }
  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

export interface PcapFrame {
  timeMs: number;
  data: Buffer;
}

/** Reads back a classic little-endian pcap (ours, or tcpdump's on x86); used by tests and tooling. */
export function readPcap(file: Buffer): { linkType: number; frames: PcapFrame[] } {
  if (file.length < 24 || file.readUInt32LE(0) !== 0xa1b2c3d4)
    throw new Error('not a little-endian microsecond pcap');
  const linkType = file.readUInt32LE(20);
  const frames: PcapFrame[] = [];
  let off = 24;
  while (off + 16 <= file.length) {
    const sec = file.readUInt32LE(off);
    const usec = file.readUInt32LE(off + 4);
    const len = file.readUInt32LE(off + 8);
    if (off + 16 + len > file.length) break;
    frames.push({ timeMs: sec * 1000 + usec / 1000, data: file.subarray(off + 16, off + 16 + len) });
    off += 16 + len;
  }
  return { linkType, frames };
}
