// leasekeeper native transport: the few Linux socket calls node:dgram cannot make.
//
//   openUdp({ port, address?, ifname?, netns?, dropAll? }) -> fd
//       A UDP socket with SO_REUSEADDR and SO_BROADCAST, optionally SO_BINDTODEVICE, already bound;
//       handed to node:dgram with socket.bind({ fd }). dropAll attaches a BPF filter that accepts
//       nothing: the socket then only holds the port (no ICMP port-unreachable) and sends.
//   new PacketSocket({ ifname, protocol, filter, netns?, rcvbuf?, ring? }, onFrames(err, frames, meta))
//       An AF_PACKET/SOCK_RAW socket bound to one interface and ethertype, with a classic BPF program
//       (flat [code, jt, jf, k, ...] built in TypeScript), polled with uv_poll_t on Node's own loop.
//       Each wake-up hands the frames it read over in ONE callback: `frames` a Buffer holding them back
//       to back (fresh per batch), `meta` a Uint32Array of [offset, length, pkttype, tpStatus, waitedUs]
//       per frame, waitedUs being how long the frame sat in the socket's queue (kernel receive timestamp
//       to the read; saturating). Errors come alone: onFrames(err).
//       Without `ring`, a wake-up reads up to 64 frames with one recvmmsg (rcvbuf sizes the queue). With
//       `ring: true` the frames are read from a TPACKET_V3 receive ring shared with the kernel (rcvbuf
//       bytes of it, in 16 KiB blocks): the kernel wakes the loop once per block, when it is full or
//       1 ms after it was opened, and a wake-up reads up to 16 blocks with no system call. Where the
//       ring cannot be set up (an old kernel, no memory) the socket reads with recvmmsg; the `ring`
//       property says which.
//       .send(frame) writes a whole Ethernet frame; .close() is idempotent. ifindex, fd, ring are properties.
//       .drops() -> frames the kernel dropped since the socket opened because its queue or ring was full
//       (PACKET_STATISTICS; a ring's drops do not show in the socket's sk_drops, which `ss -0 -m` prints).
//   new PacketSocket({ linkWatch: true, netns? }, onMessages) is instead an rtnetlink socket subscribed to
//       link and IPv4 address changes, for prompt link events.
//   sendBatch(fd, buffers, dst, start, end, segment?) -> count sent, or -errno for buffers[start]
//       One sendmmsg of buffers[start..end). dst is null for a bound packet socket, else a Uint32Array of
//       [ipv4 (host order), port | padUpTo << 16] per buffer index. Like sendmmsg, stops at the first
//       failing datagram. With `segment` (a UDP socket), consecutive datagrams to one destination leave as
//       one entry with a UDP_SEGMENT cmsg (UDP GSO, Linux 4.18): the kernel carries them as one skb through
//       routing, netfilter and the device and cuts them apart late. Only datagrams whose sender gave a
//       padUpTo (not 0) are grouped: a packet socket on a veth peer sees a run as one frame. Every segment
//       but the last must have the run's size: a shorter datagram is followed by zero octets to that size (a
//       second iovec on a static zero page, no copy) only up to its padUpTo, the length its sender allows
//       (its own length: none). When such an entry fails, the errno comes with kSegmentedFailure set, so
//       the caller can send it datagram by datagram (the kernel refuses GSO without checksum offload, EIO,
//       or past the path MTU, EMSGSIZE or EINVAL).
//   udpSegmentSupported(fd) -> whether the kernel knows UDP_SEGMENT on this socket (an older kernel
//       would ignore the cmsg and send one large datagram).
//   sendUnixDatagram(path, buffer) -> bytes sent, or -errno
//       One datagram to an AF_UNIX SOCK_DGRAM socket (systemd's NOTIFY_SOCKET, syslog's /dev/log), which
//       node:dgram cannot address. A path starting with '@' names the abstract namespace. Non-blocking.
//   errnoError(errno, syscall) -> the Error this addon throws for that errno (code, errno, syscall).
//   interfaces(netns?) -> [{ name, index, flags, mac, addrs: [{ address, prefix }] }] via getifaddrs,
//       which lists down interfaces too.
//
// netns: a name under /var/run/netns. The calling thread enters it only for the duration of the
// socket()/getifaddrs() call; a socket keeps the namespace it was created in. Needs CAP_SYS_ADMIN.
#include <napi.h>
#include <uv.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <linux/filter.h>
#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <net/ethernet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <netinet/udp.h>
#include <sched.h>
#include <string.h>
#include <linux/sockios.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <string>
#include <vector>

namespace {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& what = "") {
  const char* name = strerrorname_np(err);
  std::string msg = std::string(syscall) + " " + (what.empty() ? "" : what + " ") + "failed: " + strerror(err);
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, name ? name : "EUNKNOWN"));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

// Enters a named network namespace for the current thread and leaves it on destruction.
class NetnsScope {
 public:
  NetnsScope(Napi::Env env, const std::string& name) {
    if (name.empty()) return;
    if (name.find('/') != std::string::npos) throw Napi::Error::New(env, "bad netns name: " + name);
    saved_ = open("/proc/thread-self/ns/net", O_RDONLY | O_CLOEXEC);
    if (saved_ < 0) throw ErrnoError(env, errno, "open", "/proc/thread-self/ns/net");
    std::string path = "/var/run/netns/" + name;
    int target = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (target < 0) {
      int err = errno;
      close(saved_);
      throw ErrnoError(env, err, "open", path);
    }
    int rc = setns(target, CLONE_NEWNET);
    int err = errno;
    close(target);
    if (rc < 0) {
      close(saved_);
      throw ErrnoError(env, err, "setns", path);
    }
  }
  ~NetnsScope() {
    if (saved_ < 0) return;
    // Leaving can only fail if the saved namespace vanished, which cannot happen while we hold its fd.
    if (setns(saved_, CLONE_NEWNET) < 0) abort();
    close(saved_);
  }
  NetnsScope(const NetnsScope&) = delete;
  NetnsScope& operator=(const NetnsScope&) = delete;

 private:
  int saved_ = -1;
};

std::string OptString(const Napi::Object& o, const char* key) {
  Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : std::string();
}

void AttachFilter(Napi::Env env, int fd, const Napi::Array& prog) {
  uint32_t n = prog.Length();
  if (n == 0 || n % 4 != 0 || n / 4 > BPF_MAXINSNS) throw Napi::Error::New(env, "bad BPF program length");
  std::vector<sock_filter> insns(n / 4);
  for (uint32_t i = 0; i < n / 4; i++) {
    insns[i].code = static_cast<uint16_t>(prog.Get(i * 4).As<Napi::Number>().Uint32Value());
    insns[i].jt = static_cast<uint8_t>(prog.Get(i * 4 + 1).As<Napi::Number>().Uint32Value());
    insns[i].jf = static_cast<uint8_t>(prog.Get(i * 4 + 2).As<Napi::Number>().Uint32Value());
    insns[i].k = prog.Get(i * 4 + 3).As<Napi::Number>().Uint32Value();
  }
  sock_fprog fprog{static_cast<unsigned short>(insns.size()), insns.data()};
  if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof(fprog)) < 0) {
    throw ErrnoError(env, errno, "setsockopt", "SO_ATTACH_FILTER");
  }
}

Napi::Value OpenUdp(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = info[0].As<Napi::Object>();
  std::string ifname = OptString(o, "ifname");
  std::string address = OptString(o, "address");
  uint32_t port = o.Get("port").As<Napi::Number>().Uint32Value();
  bool dropAll = o.Get("dropAll").ToBoolean();
  int fd;
  {
    NetnsScope ns(env, OptString(o, "netns"));
    fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  }
  if (fd < 0) throw ErrnoError(env, errno, "socket");
  auto fail = [&](const char* call, const std::string& what) {
    int err = errno;
    close(fd);
    throw ErrnoError(env, err, call, what);
  };
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) < 0) fail("setsockopt", "SO_REUSEADDR");
  if (setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &one, sizeof(one)) < 0) fail("setsockopt", "SO_BROADCAST");
  if (!ifname.empty() &&
      setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname.c_str(), static_cast<socklen_t>(ifname.size())) < 0) {
    fail("setsockopt", "SO_BINDTODEVICE " + ifname);
  }
  if (dropAll) {
    sock_filter reject{BPF_RET | BPF_K, 0, 0, 0};
    sock_fprog prog{1, &reject};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) fail("setsockopt", "SO_ATTACH_FILTER");
  }
  sockaddr_in sin{};
  sin.sin_family = AF_INET;
  sin.sin_port = htons(static_cast<uint16_t>(port));
  if (address.empty()) {
    sin.sin_addr.s_addr = htonl(INADDR_ANY);
  } else if (inet_pton(AF_INET, address.c_str(), &sin.sin_addr) != 1) {
    close(fd);
    throw Napi::Error::New(env, "bad bind address: " + address);
  }
  if (bind(fd, reinterpret_cast<sockaddr*>(&sin), sizeof(sin)) < 0) fail("bind", address + ":" + std::to_string(port));
  return Napi::Number::New(env, fd);
}

// The adaptive packet socket's rate policy: whether to read the ring after a window of `elapsedMs` that
// received `frames`. Onto the ring at `aboveFps` frames per second or more, back below `belowFps`: the gap
// keeps a rate near one threshold from switching at every window.
bool RingPolicy(bool ringNow, uint64_t frames, uint64_t elapsedMs, uint32_t aboveFps, uint32_t belowFps) {
  if (elapsedMs == 0) return ringNow;
  uint64_t perSecond = frames * 1000 / elapsedMs;
  return ringNow ? perSecond >= belowFps : perSecond >= aboveFps;
}

class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "PacketSocket",
                       {InstanceMethod("send", &PacketSocket::Send), InstanceMethod("close", &PacketSocket::Close),
                        InstanceMethod("drops", &PacketSocket::Drops),
                        InstanceAccessor("ifindex", &PacketSocket::IfIndex, nullptr),
                        InstanceAccessor("fd", &PacketSocket::Fd, nullptr),
                        InstanceMethod("setRing", &PacketSocket::SetRing),
                        InstanceMethod("releaseSwitch", &PacketSocket::ReleaseSwitch),
                        InstanceAccessor("ring", &PacketSocket::Ring, nullptr),
                        InstanceAccessor("adaptive", &PacketSocket::Adaptive, nullptr),
                        InstanceAccessor("ringSwitches", &PacketSocket::RingSwitches, nullptr)});
  }

  PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info) {
    Napi::Env env = info.Env();
    Napi::Object o = info[0].As<Napi::Object>();
    if (o.Get("linkWatch").ToBoolean()) {
      OpenLinkWatch(env, OptString(o, "netns"));
    } else {
      OpenPacket(env, o);
    }
    onFrame_ = Napi::Persistent(info[1].As<Napi::Function>());
    context_ = new Napi::AsyncContext(env, "leasekeeper:PacketSocket");
    poll_ = new uv_poll_t;
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(env, &loop);
    uv_poll_init(loop, poll_, fd_);
    poll_->data = this;
    uv_poll_start(poll_, UV_READABLE, OnReadable);
    if (adaptive_) {
      ringPoll_ = new uv_poll_t;
      uv_poll_init(loop, ringPoll_, ringFd_);
      ringPoll_->data = this;
      uv_poll_start(ringPoll_, UV_READABLE, OnRingReadable);
    }
    Ref();  // alive while polled, whatever JS holds
    referenced_ = true;
  }

  ~PacketSocket() override { Shutdown(); }

 private:
  void OpenPacket(Napi::Env env, const Napi::Object& o) {
    std::string ifname = OptString(o, "ifname");
    uint16_t proto = static_cast<uint16_t>(o.Get("protocol").As<Napi::Number>().Uint32Value());
    Napi::Value ring = o.Get("ring");
    bool adaptive = ring.IsString() && ring.As<Napi::String>().Utf8Value() == "adaptive";
    {
      NetnsScope ns(env, OptString(o, "netns"));
      ifindex_ = static_cast<int>(if_nametoindex(ifname.c_str()));
      if (ifindex_ == 0) throw ErrnoError(env, errno, "if_nametoindex", ifname);
    }
    fd_ = OpenBound(env, o, ifname, proto, !adaptive && ring.ToBoolean(), false);
    if (ring_ != nullptr) {
      ringFd_ = fd_;
      ringReading_ = true;
    }
    if (adaptive) {
      aboveFps_ = OptUint(o, "ringAboveFps", kDefaultRingAboveFps);
      belowFps_ = std::min(OptUint(o, "ringBelowFps", std::min(kDefaultRingBelowFps, aboveFps_)), aboveFps_);
      windowMs_ = std::max<uint32_t>(OptUint(o, "ringWindowMs", kDefaultRingWindowMs), 1);
      SetUpAdaptive(env, o, ifname, proto);
      // Tests only: each switch's worker, once it has installed the new program, waits for releaseSwitch()
      // before returning, as it would for a long RCU grace period.
      if (adaptive_ && o.Get("holdSwitches").ToBoolean()) switchHold_ = eventfd(0, EFD_CLOEXEC | EFD_SEMAPHORE);
    }
  }

  static uint32_t OptUint(const Napi::Object& o, const char* key, uint32_t fallback) {
    Napi::Value v = o.Get(key);
    return v.IsNumber() ? v.As<Napi::Number>().Uint32Value() : fallback;
  }

  // An AF_PACKET socket bound to ifindex_ and `proto` with the caller's filter (or, with `dropAll`, one that
  // accepts nothing yet), optionally reading through a ring (which then sets ring_). Throws on failure.
  int OpenBound(Napi::Env env, const Napi::Object& o, const std::string& ifname, uint16_t proto, bool ring,
                bool dropAll) {
    int fd;
    {
      // Protocol 0 receives nothing until bind(): the filter is in place before the first frame.
      NetnsScope ns(env, OptString(o, "netns"));
      fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    }
    if (fd < 0) throw ErrnoError(env, errno, "socket", "AF_PACKET");
    try {
      if (dropAll) {
        SetFilter(env, fd, sock_filter{BPF_RET | BPF_K, 0, 0, 0});
      } else {
        AttachFilter(env, fd, o.Get("filter").As<Napi::Array>());
      }
      int one = 1;
      if (setsockopt(fd, SOL_PACKET, PACKET_AUXDATA, &one, sizeof(one)) < 0) {
        throw ErrnoError(env, errno, "setsockopt", "PACKET_AUXDATA");
      }
      // The arrival time of each frame, so an overloaded server can tell requests that waited too long.
      if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &one, sizeof(one)) < 0) {
        throw ErrnoError(env, errno, "setsockopt", "SO_TIMESTAMPNS");
      }
      // The default buffer holds about 200 small frames: too few for a burst of DISCOVERs. FORCE passes
      // net.core.rmem_max with CAP_NET_ADMIN; without it the plain option is capped, which is fine.
      Napi::Value rcv = o.Get("rcvbuf");
      if (rcv.IsNumber()) {
        int bytes = rcv.As<Napi::Number>().Int32Value();
        if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0) {
          setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
        }
      }
      // Before bind(): the first frame then already lands in the ring.
      if (ring) SetUpRing(fd, rcv.IsNumber() ? rcv.As<Napi::Number>().Int64Value() : 0);
      sockaddr_ll sll{};
      sll.sll_family = AF_PACKET;
      sll.sll_protocol = htons(proto);
      sll.sll_ifindex = ifindex_;
      if (bind(fd, reinterpret_cast<sockaddr*>(&sll), sizeof(sll)) < 0) throw ErrnoError(env, errno, "bind", ifname);
    } catch (...) {
      if (ring) UnmapRing();
      close(fd);
      throw;
    }
    return fd;
  }

  static void SetFilter(Napi::Env env, int fd, sock_filter insn) {
    sock_fprog prog{1, &insn};
    if (setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &prog, sizeof(prog)) < 0) {
      throw ErrnoError(env, errno, "setsockopt", "SO_ATTACH_FILTER");
    }
  }

  // Adaptive reading uses two sockets in one PACKET_FANOUT_CBPF group: fd_ (index 0, read with recvmmsg)
  // and ringFd_ (index 1, read from its ring). The group's one-instruction program sends every frame to
  // exactly one of them, so neither loses nor duplicates a frame, and replacing the program is atomic
  // (the kernel waits for an RCU grace period, after which the old socket receives nothing more). Setting
  // up or tearing down a ring on one socket instead would detach it from the device for that grace
  // period and purge its queue (packet_set_ring), losing frames. Any failure here leaves fd_ alone,
  // reading with recvmmsg.
  void SetUpAdaptive(Napi::Env env, const Napi::Object& o, const std::string& ifname, uint16_t proto) {
    int rfd;
    try {
      // It accepts nothing until it is in the group: bound outside it, it would see a copy of every frame.
      rfd = OpenBound(env, o, ifname, proto, true, true);
    } catch (const Napi::Error&) {
      return;
    }
    if (ring_ == nullptr) {
      close(rfd);
      return;
    }
    uint32_t arg = static_cast<uint32_t>(PACKET_FANOUT_CBPF | PACKET_FANOUT_FLAG_UNIQUEID) << 16;
    uint32_t group = 0;
    socklen_t len = sizeof(group);
    bool joined = setsockopt(fd_, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) == 0 &&
                  getsockopt(fd_, SOL_PACKET, PACKET_FANOUT, &group, &len) == 0;
    if (joined) {
      // The kernel drops UNIQUEID from the group's flags once the id is allocated: join without it.
      arg = (group & 0xffff) | (static_cast<uint32_t>(PACKET_FANOUT_CBPF) << 16);
      joined = setsockopt(rfd, SOL_PACKET, PACKET_FANOUT, &arg, sizeof(arg)) == 0;
    }
    if (joined) {
      try {
        AttachFilter(env, rfd, o.Get("filter").As<Napi::Array>());
      } catch (const Napi::Error&) {
        joined = false;
      }
    }
    if (!joined || !SetFanoutTarget(fd_, 0)) {
      // fd_ may be alone in a group whose absent program sends everything to index 0: itself.
      UnmapRing();
      close(rfd);
      return;
    }
    ringFd_ = rfd;
    adaptive_ = true;
    automatic_ = true;
  }

  // Sends every frame from now on to fanout index `target` (0 fd_, 1 ringFd_). When this returns, the
  // kernel has finished delivering any frame that was steered by the previous program.
  static bool SetFanoutTarget(int fd, uint32_t target) {
    sock_filter insn{BPF_RET | BPF_K, 0, 0, target};
    sock_fprog prog{1, &insn};
    return setsockopt(fd, SOL_PACKET, PACKET_FANOUT_DATA, &prog, sizeof(prog)) == 0;
  }

  // Below saturation a block is retired by its timeout long before it is full, so the ring holds about
  // one block per millisecond of stall whatever the block size: many small blocks, then. 16 KiB holds a
  // jumbo frame, or some 40 DHCP frames.
  static constexpr uint32_t kRingBlockSize = 16 * 1024;
  static constexpr uint32_t kRingFrameSize = 2048;  // TPACKET_V3 packs frames; only checked for alignment
  static constexpr uint32_t kRingBlockTimeoutMs = 1;
  static constexpr unsigned kRingBlocksPerWake = 16;
  // fd_'s batches a ring wake-up reads first, at most, while fd_ may hold frames older than the ring's.
  static constexpr unsigned kBacklogBatches = 16;
  // Measured (docs/scaling.md, "Kernel time per DORA"): at 2,000 DORA/s (4,000 frames/s) the ring already
  // saves about 30% of the server's CPU; at 1,000 DORA/s it saves under 10% and doubles the delay, so a
  // steady 1,000 DORA/s must fall below the lower threshold even after a busy spell.
  static constexpr uint32_t kDefaultRingAboveFps = 4000;
  static constexpr uint32_t kDefaultRingBelowFps = 2500;
  static constexpr uint32_t kDefaultRingWindowMs = 200;

  // A TPACKET_V3 receive ring of about `bytes` (at least 16 blocks). Any failure leaves the socket as it
  // was (the kernel rejects PACKET_RX_RING before changing anything), reading with recvmmsg.
  void SetUpRing(int fd, int64_t bytes) {
    int version = TPACKET_V3;
    if (setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version)) < 0) return;
    uint32_t blocks = static_cast<uint32_t>(std::clamp<int64_t>(bytes / kRingBlockSize, 16, 4096));
    tpacket_req3 req{};
    req.tp_block_size = kRingBlockSize;
    req.tp_block_nr = blocks;
    req.tp_frame_size = kRingFrameSize;
    req.tp_frame_nr = blocks * (kRingBlockSize / kRingFrameSize);
    req.tp_retire_blk_tov = kRingBlockTimeoutMs;
    void* map = MAP_FAILED;
    if (setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &req, sizeof(req)) == 0) {
      map = mmap(nullptr, static_cast<size_t>(blocks) * kRingBlockSize, PROT_READ | PROT_WRITE,
                 MAP_SHARED | MAP_LOCKED, fd, 0);
      // MAP_LOCKED fails beyond RLIMIT_MEMLOCK: the ring's pages are the kernel's anyway.
      if (map == MAP_FAILED) {
        map = mmap(nullptr, static_cast<size_t>(blocks) * kRingBlockSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      }
      if (map == MAP_FAILED) {
        tpacket_req3 none{};
        setsockopt(fd, SOL_PACKET, PACKET_RX_RING, &none, sizeof(none));
      }
    }
    if (map == MAP_FAILED) {
      version = TPACKET_V1;
      setsockopt(fd, SOL_PACKET, PACKET_VERSION, &version, sizeof(version));
      return;
    }
    ring_ = static_cast<uint8_t*>(map);
    ringBlocks_ = blocks;
    ringBlock_ = 0;
  }

  void UnmapRing() {
    if (ring_ == nullptr) return;
    munmap(ring_, static_cast<size_t>(ringBlocks_) * kRingBlockSize);
    ring_ = nullptr;
  }

  tpacket_block_desc* RingBlock(uint32_t i) const {
    return reinterpret_cast<tpacket_block_desc*>(ring_ + static_cast<size_t>(i) * kRingBlockSize);
  }

  // A rtnetlink socket subscribed to link and IPv4 address changes: each message only tells the owner
  // to look again (it re-lists interfaces), so nothing is parsed here.
  void OpenLinkWatch(Napi::Env env, const std::string& netns) {
    {
      NetnsScope ns(env, netns);
      fd_ = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
    }
    if (fd_ < 0) throw ErrnoError(env, errno, "socket", "AF_NETLINK");
    sockaddr_nl snl{};
    snl.nl_family = AF_NETLINK;
    snl.nl_groups = RTMGRP_LINK | RTMGRP_IPV4_IFADDR;
    if (bind(fd_, reinterpret_cast<sockaddr*>(&snl), sizeof(snl)) < 0) {
      int err = errno;
      close(fd_);
      fd_ = -1;
      throw ErrnoError(env, err, "bind", "NETLINK_ROUTE");
    }
  }

  static void OnReadable(uv_poll_t* handle, int status, int /*events*/) {
    PacketSocket* self = static_cast<PacketSocket*>(handle->data);
    self->Drain(status, self->ring_ != nullptr && self->ringFd_ == self->fd_);
  }

  static void OnRingReadable(uv_poll_t* handle, int status, int /*events*/) {
    static_cast<PacketSocket*>(handle->data)->Drain(status, true);
  }

  // One recvmmsg slot: a DHCP frame is a few hundred bytes; this also holds a jumbo frame. A longer frame
  // is cut (recvmmsg reports the copied length) and the parser refuses it as truncated.
  static constexpr size_t kSlot = 10240;
  // Bounded per wake-up so one busy interface cannot starve the loop.
  static constexpr unsigned kBatch = 64;
  // Numbers per frame in a batch's meta array.
  static constexpr size_t kMeta = 5;

  struct RecvSlots {
    uint8_t data[kBatch][kSlot];
    sockaddr_ll from[kBatch];
    alignas(cmsghdr) uint8_t control[kBatch][CMSG_SPACE(sizeof(tpacket_auxdata)) + CMSG_SPACE(sizeof(timespec))];
    iovec iov[kBatch];
    mmsghdr msgs[kBatch];
  };

  // One wake-up of either socket. An adaptive socket reads whichever socket woke, except that frames are
  // delivered in arrival order across a switch, from the moment it is asked for: switching to the ring,
  // the ring is read only right after a read found fd_'s queue empty (recvBacklog_); switching back, fd_
  // is read only while the ring holds nothing (ringDraining_), the block timer retiring the open block.
  void Drain(int status, bool ringWoke) {
    Napi::Env env = Env();
    Napi::HandleScope scope(env);
    if (status < 0) {
      // A failing poll would fire again at once: stop it; the owner closes and reopens.
      if (poll_ != nullptr) uv_poll_stop(poll_);
      if (ringPoll_ != nullptr) uv_poll_stop(ringPoll_);
      DeliverError(ErrnoError(env, -status, "poll").Value());
      return;
    }
    if (fd_ < 0) return;
    int n = 0;
    bool unread = false;
    if (ringWoke) {
      // While the old program may still steer frames to fd_, the last read before the ring's must find
      // fd_ empty: one that returned frames ran JavaScript, and fd_ may have received more meanwhile.
      int backlog = 0;
      for (unsigned round = 0; recvBacklog_ && round < kBacklogBatches; round++) {
        backlog = DrainRecv(env);
        if (backlog < 0) return;
        n += backlog;
        if (backlog == 0) {
          if (!switching_) recvBacklog_ = false;
          break;
        }
      }
      // fd_ keeps filling faster than it is read (the old program still in place): the ring waits.
      unread = backlog > 0;
      if (!unread) {
        int got = DrainRing(env);
        if (got < 0) return;
        n += got;
        unread = RingRetiredUnread();
      }
      if (recvWhenRead_ && !recvBacklog_) SwitchTo(false);
      if (ringDraining_ && RingEmpty()) {
        uv_poll_start(poll_, UV_READABLE, OnReadable);
        if (!switching_) {
          ringDraining_ = false;
          if (ringWhenDrained_) SwitchTo(true);
        }
      }
    } else {
      if (ringDraining_ && !RingEmpty()) {
        // Frames in the ring are older than any on fd_: the ring's wake-up polls fd_ again once it has
        // handed them over (its open block is retired by the block timer).
        uv_poll_stop(poll_);
        return;
      }
      n = DrainRecv(env);
      if (n < 0) return;
      unread = n == static_cast<int>(kBatch);
      if (recvBacklog_ && !switching_ && n < static_cast<int>(kBatch)) {
        // Read before any of the ring's frames: the backlog is gone.
        recvBacklog_ = false;
        if (recvWhenRead_) SwitchTo(false);
      }
    }
    if (!adaptive_ || !automatic_) return;
    // Frames left unread (a full recvmmsg batch, or a retired block beyond this wake-up's 16) arrived in
    // this window too: ending it now would take a stalled loop for a quiet interface.
    bool backlog = unread;
    CountForPolicy(static_cast<uint32_t>(n), backlog);
  }

  // Frames this window; the mode is decided again once a window has passed (at the next wake-up that
  // leaves nothing unread).
  void CountForPolicy(uint32_t frames, bool backlog) {
    windowFrames_ += frames;
    if (backlog) return;
    timespec now{};
    clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
    uint64_t ms = static_cast<uint64_t>(now.tv_sec) * 1000 + static_cast<uint64_t>(now.tv_nsec) / 1000000;
    if (windowStart_ == 0) windowStart_ = ms;
    uint64_t elapsed = ms - windowStart_;
    if (elapsed < windowMs_) return;
    bool wantRing = RingPolicy(ringReading_, windowFrames_, elapsed, aboveFps_, belowFps_);
    windowStart_ = ms;
    windowFrames_ = 0;
    if (wantRing != ringReading_) SwitchTo(wantRing);
  }

  // Steers new frames to the ring or to fd_ without delivering anything now (the caller may be JS). The
  // kernel installs the new fanout program at once but setsockopt returns only after an RCU grace period
  // (synchronize_net): 6-14 ms on a loaded core, so it runs on a libuv worker. Both paths are read from
  // now on, the old one first: frames the old program steered are all queued before the new one's,
  // except a frame still between the program and its socket's queue when it changed, microseconds
  // (docs/transport.md, "Adaptive receive"). A switch asked for meanwhile waits for it to return.
  void SwitchTo(bool ring) {
    ringWhenDrained_ = false;
    recvWhenRead_ = false;
    if (!adaptive_ || fd_ < 0) return;
    if (switching_) {
      switchAfter_ = ring;
      switchAfterSet_ = true;
      return;
    }
    if (ring == ringReading_) return;
    // A switch while the previous one's leftovers are unread waits for them: the ring's open block, or
    // fd_'s queue, would mix frames from before that switch with frames from after this one.
    if (ring && ringDraining_) {
      ringWhenDrained_ = true;
      return;
    }
    if (!ring && recvBacklog_) {
      recvWhenRead_ = true;
      return;
    }
    // Its own descriptor: fd_ may be closed, and its number reused, before the worker runs.
    int fd = fcntl(fd_, F_DUPFD_CLOEXEC, 0);
    if (fd < 0) return;
    uv_loop_t* loop = nullptr;
    napi_get_uv_event_loop(Env(), &loop);
    auto* job = new FanoutSwitch{};
    job->req.data = job;
    job->self = this;
    job->fd = fd;
    job->hold = switchHold_ >= 0 ? fcntl(switchHold_, F_DUPFD_CLOEXEC, 0) : -1;
    job->ring = ring;
    // Onto the ring: its wake-ups read fd_ first until the switch has returned (recvBacklog_). Back to
    // fd_: it is read only while the ring holds nothing (ringDraining_), its open block retired by the
    // block timer once the old program no longer steers frames to it.
    if (ring) {
      recvBacklog_ = true;
    } else {
      ringDraining_ = true;
      uv_poll_start(poll_, UV_READABLE, OnReadable);
    }
    switching_ = true;
    switchTarget_ = ring;
    Ref();
    int err = uv_queue_work(
        loop, &job->req,
        [](uv_work_t* req) {
          auto* j = static_cast<FanoutSwitch*>(req->data);
          j->ok = SetFanoutTarget(j->fd, j->ring ? 1 : 0);
          close(j->fd);
          if (j->hold >= 0) {
            uint64_t released;
            while (read(j->hold, &released, sizeof(released)) < 0 && errno == EINTR) {
            }
            close(j->hold);
          }
        },
        [](uv_work_t* req, int /*status*/) {
          auto* j = static_cast<FanoutSwitch*>(req->data);
          PacketSocket* self = j->self;
          bool target = j->ring;
          bool ok = j->ok;
          delete j;
          Napi::HandleScope scope(self->Env());
          self->FinishSwitch(target, ok);
          self->Unref();
        });
    if (err != 0) {
      close(fd);
      if (job->hold >= 0) close(job->hold);
      delete job;
      FinishSwitch(ring, SetFanoutTarget(fd_, ring ? 1 : 0));
      Unref();
    }
  }

  struct FanoutSwitch {
    uv_work_t req;
    PacketSocket* self;
    int fd;
    int hold;  // the test seam's eventfd, or -1
    bool ring;
    bool ok;
  };

  // On the loop, once the kernel has finished delivering every frame the previous program steered: the
  // old path receives nothing more.
  void FinishSwitch(bool ring, bool ok) {
    switching_ = false;
    if (fd_ < 0) return;
    if (ok) {
      ringReading_ = ring;
      ringSwitches_++;
    }
    if (ok && ring) {
      // Frames still queued on fd_ arrived before any in the ring: the ring's wake-ups read them first.
      int queued = 0;
      recvBacklog_ = ioctl(fd_, SIOCINQ, &queued) < 0 || queued > 0;
    } else if (ok && !RingEmpty()) {
      ringDraining_ = true;  // fd_ is read once the ring has handed over its last frame
    } else {
      // Done, or the old program stands (a failed switch steered nothing to the new path).
      recvBacklog_ = false;
      ringDraining_ = false;
      uv_poll_start(poll_, UV_READABLE, OnReadable);
    }
    if (switchAfterSet_) {
      switchAfterSet_ = false;
      SwitchTo(switchAfter_);
    }
  }

  // Reads up to kBatch datagrams from fd_ and delivers them: how many, or -1 once the socket is closed
  // (from the callback) or failed.
  int DrainRecv(Napi::Env env) {
    if (!slots_) slots_.reset(new RecvSlots);
    RecvSlots& r = *slots_;
    for (unsigned i = 0; i < kBatch; i++) {
      r.iov[i] = iovec{r.data[i], kSlot};
      msghdr& m = r.msgs[i].msg_hdr;
      m = msghdr{};
      m.msg_name = &r.from[i];
      m.msg_namelen = sizeof(r.from[i]);
      m.msg_iov = &r.iov[i];
      m.msg_iovlen = 1;
      m.msg_control = r.control[i];
      m.msg_controllen = sizeof(r.control[i]);
      r.msgs[i].msg_len = 0;
    }
    int n = recvmmsg(fd_, r.msgs, kBatch, MSG_DONTWAIT, nullptr);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
      DeliverError(ErrnoError(env, errno, "recvmmsg").Value());
      return -1;
    }
    if (n == 0) return 0;
    size_t total = 0;
    for (int i = 0; i < n; i++) total += r.msgs[i].msg_len;
    Napi::Buffer<uint8_t> frames = Napi::Buffer<uint8_t>::New(env, total);
    Napi::Uint32Array meta = Napi::Uint32Array::New(env, static_cast<size_t>(n) * kMeta);
    uint32_t* mp = meta.Data();
    size_t off = 0;
    timespec readAt{};
    clock_gettime(CLOCK_REALTIME, &readAt);
    for (int i = 0; i < n; i++) {
      msghdr& m = r.msgs[i].msg_hdr;
      size_t len = r.msgs[i].msg_len;
      memcpy(frames.Data() + off, r.data[i], len);
      // tp_status tells whether the checksum is still to be filled in (TP_STATUS_CSUMNOTREADY): frames
      // from a local stack over veth carry CHECKSUM_PARTIAL, the UDP field holding only the pseudo-sum.
      uint32_t tpStatus = 0;
      uint32_t waitedUs = 0;
      for (cmsghdr* c = CMSG_FIRSTHDR(&m); c != nullptr; c = CMSG_NXTHDR(&m, c)) {
        if (c->cmsg_level == SOL_PACKET && c->cmsg_type == PACKET_AUXDATA) {
          tpacket_auxdata aux;
          memcpy(&aux, CMSG_DATA(c), sizeof(aux));
          tpStatus = aux.tp_status;
        } else if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_TIMESTAMPNS) {
          timespec at;
          memcpy(&at, CMSG_DATA(c), sizeof(at));
          waitedUs = WaitedUs(readAt, at);
        }
      }
      uint32_t* fm = mp + static_cast<size_t>(i) * kMeta;
      fm[0] = static_cast<uint32_t>(off);
      fm[1] = static_cast<uint32_t>(len);
      fm[2] = r.from[i].sll_pkttype;
      fm[3] = tpStatus;
      fm[4] = waitedUs;
      off += len;
    }
    napi_value argv[3] = {env.Null(), frames, meta};
    Deliver(3, argv);
    return fd_ < 0 ? -1 : n;
  }

  // Copies the frames of up to kRingBlocksPerWake retired blocks into one batch, hands the blocks back to
  // the kernel, then delivers the batch. Blocks are retired in order, so reading stops at the first one the
  // kernel still owns; what is left keeps the socket readable and is read on the next turn.
  int DrainRing(Napi::Env env) {
    struct Frame {
      const uint8_t* data;
      uint32_t len, pkttype, status, sec, nsec;
    };
    thread_local std::vector<Frame> found;
    found.clear();
    size_t total = 0;
    unsigned blocks = 0;
    for (; blocks < kRingBlocksPerWake; blocks++) {
      tpacket_block_desc* bd = RingBlock((ringBlock_ + blocks) % ringBlocks_);
      if ((__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0) break;
      const uint8_t* p = reinterpret_cast<const uint8_t*>(bd) + bd->hdr.bh1.offset_to_first_pkt;
      for (uint32_t i = 0; i < bd->hdr.bh1.num_pkts; i++) {
        const tpacket3_hdr* h = reinterpret_cast<const tpacket3_hdr*>(p);
        const sockaddr_ll* ll = reinterpret_cast<const sockaddr_ll*>(p + TPACKET_ALIGN(sizeof(tpacket3_hdr)));
        found.push_back(Frame{p + h->tp_mac, h->tp_snaplen, ll->sll_pkttype, h->tp_status, h->tp_sec, h->tp_nsec});
        total += h->tp_snaplen;
        p += h->tp_next_offset;
      }
    }
    if (blocks == 0) return 0;
    Napi::Buffer<uint8_t> frames = Napi::Buffer<uint8_t>::New(env, total);
    Napi::Uint32Array meta = Napi::Uint32Array::New(env, found.size() * kMeta);
    uint32_t* mp = meta.Data();
    timespec readAt{};
    clock_gettime(CLOCK_REALTIME, &readAt);
    size_t off = 0;
    for (size_t i = 0; i < found.size(); i++) {
      const Frame& f = found[i];
      memcpy(frames.Data() + off, f.data, f.len);
      uint32_t* fm = mp + i * kMeta;
      fm[0] = static_cast<uint32_t>(off);
      fm[1] = f.len;
      fm[2] = f.pkttype;
      fm[3] = f.status;
      fm[4] = WaitedUs(readAt, timespec{static_cast<time_t>(f.sec), static_cast<long>(f.nsec)});
      off += f.len;
    }
    for (unsigned b = 0; b < blocks; b++) {
      tpacket_block_desc* bd = RingBlock(ringBlock_);
      // Zeroed so that RingEmpty() can tell an open but empty block even if the kernel has not reopened
      // this one yet (it sets the count itself when it does).
      bd->hdr.bh1.num_pkts = 0;
      __atomic_store_n(&bd->hdr.bh1.block_status, TP_STATUS_KERNEL, __ATOMIC_RELEASE);
      ringBlock_ = (ringBlock_ + 1) % ringBlocks_;
    }
    if (found.empty()) return 0;
    napi_value argv[3] = {env.Null(), frames, meta};
    Deliver(3, argv);
    return fd_ < 0 ? -1 : static_cast<int>(found.size());
  }

  bool RingRetiredUnread() const {
    return (__atomic_load_n(&RingBlock(ringBlock_)->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) != 0;
  }

  // True when the ring holds no frame: the next block to read is the kernel's open one, still empty.
  bool RingEmpty() const {
    const tpacket_block_desc* bd = RingBlock(ringBlock_);
    return (__atomic_load_n(&bd->hdr.bh1.block_status, __ATOMIC_ACQUIRE) & TP_STATUS_USER) == 0 &&
           __atomic_load_n(&bd->hdr.bh1.num_pkts, __ATOMIC_ACQUIRE) == 0;
  }

  static uint32_t WaitedUs(const timespec& readAt, const timespec& at) {
    if (at.tv_sec == 0 && at.tv_nsec == 0) return 0;
    int64_t us = (static_cast<int64_t>(readAt.tv_sec) - at.tv_sec) * 1000000 + (readAt.tv_nsec - at.tv_nsec) / 1000;
    return us <= 0 ? 0 : us >= 0xffffffffLL ? 0xffffffffU : static_cast<uint32_t>(us);
  }

  void DeliverError(Napi::Value err) {
    napi_value argv[1] = {err};
    Deliver(1, argv);
  }

  void Deliver(size_t argc, napi_value* argv) {
    if (released_) return;
    Napi::Env env = Env();
    napi_value result;
    depth_++;
    napi_status s = napi_make_callback(env, *context_, Value(), onFrame_.Value(), argc, argv, &result);
    depth_--;
    if (s == napi_pending_exception) {
      napi_value exc;
      napi_get_and_clear_last_exception(env, &exc);
      napi_fatal_exception(env, exc);
    }
    // close() from inside the callback (or its microtasks) left the release for now, when it is safe.
    if (depth_ == 0 && fd_ < 0) Release();
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) throw ErrnoError(env, EBADF, "send");
    Napi::Buffer<uint8_t> frame = info[0].As<Napi::Buffer<uint8_t>>();
    ssize_t n = send(fd_, frame.Data(), frame.Length(), MSG_DONTWAIT);
    if (n < 0) throw ErrnoError(env, errno, "send");
    return Napi::Number::New(env, static_cast<double>(n));
  }

  Napi::Value Drops(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) {
      // Reading the statistics resets them: the total is kept here. V3's struct starts as V1/V2's does.
      tpacket_stats_v3 st{};
      socklen_t len = sizeof(st);
      if (getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) drops_ += st.tp_drops;
      if (ringFd_ >= 0 && ringFd_ != fd_) {
        st = tpacket_stats_v3{};
        len = sizeof(st);
        if (getsockopt(ringFd_, SOL_PACKET, PACKET_STATISTICS, &st, &len) == 0) drops_ += st.tp_drops;
      }
    }
    return Napi::Number::New(info.Env(), static_cast<double>(drops_));
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    Shutdown();
    return info.Env().Undefined();
  }

  // Stops polling and closes the descriptor at once; the callback, its async context and the self
  // reference are released only when no callback is running (napi_make_callback still uses them).
  void Shutdown() {
    if (poll_ != nullptr) {
      uv_poll_stop(poll_);
      uv_close(reinterpret_cast<uv_handle_t*>(poll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      poll_ = nullptr;
    }
    if (ringPoll_ != nullptr) {
      uv_poll_stop(ringPoll_);
      uv_close(reinterpret_cast<uv_handle_t*>(ringPoll_), [](uv_handle_t* h) { delete reinterpret_cast<uv_poll_t*>(h); });
      ringPoll_ = nullptr;
    }
    if (switchHold_ >= 0) {
      // Lets a held switch's worker return: it only closes its own descriptors.
      uint64_t all = 1u << 30;
      if (write(switchHold_, &all, sizeof(all)) < 0) {
      }
      close(switchHold_);
      switchHold_ = -1;
    }
    UnmapRing();
    if (ringFd_ >= 0 && ringFd_ != fd_) close(ringFd_);
    ringFd_ = -1;
    if (fd_ >= 0) {
      close(fd_);
      fd_ = -1;
    }
    if (depth_ == 0) Release();
  }

  void Release() {
    if (released_) return;
    released_ = true;
    delete context_;
    context_ = nullptr;
    onFrame_.Reset();
    if (referenced_) {
      referenced_ = false;
      Unref();
    }
  }

  Napi::Value IfIndex(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), ifindex_); }
  Napi::Value Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }
  // The path new frames go to, or will once the switch in flight (and any asked for meanwhile) is done.
  Napi::Value Ring(const Napi::CallbackInfo& info) {
    return Napi::Boolean::New(info.Env(), switching_ ? SwitchingTo() : ringReading_);
  }
  bool SwitchingTo() const { return switchAfterSet_ ? switchAfter_ : switchTarget_; }
  Napi::Value Adaptive(const Napi::CallbackInfo& info) { return Napi::Boolean::New(info.Env(), adaptive_); }
  Napi::Value RingSwitches(const Napi::CallbackInfo& info) {
    return Napi::Number::New(info.Env(), static_cast<double>(ringSwitches_));
  }

  // setRing(true | false) forces an adaptive socket's path; setRing(null) hands it back to the rate
  // policy. Returns whether the socket reads the ring now or will once the ring has handed over the frames
  // it still holds from a switch away from it. No effect on a socket that is not adaptive.
  Napi::Value SetRing(const Napi::CallbackInfo& info) {
    if (adaptive_) {
      automatic_ = info[0].IsNull() || info[0].IsUndefined();
      windowStart_ = 0;
      windowFrames_ = 0;
      if (!automatic_) SwitchTo(info[0].ToBoolean());
    }
    if (switching_) return Napi::Boolean::New(info.Env(), SwitchingTo());
    return Napi::Boolean::New(info.Env(), ringReading_ ? !recvWhenRead_ : ringWhenDrained_);
  }

  // Tests only (holdSwitches): lets one held switch's worker return.
  Napi::Value ReleaseSwitch(const Napi::CallbackInfo& info) {
    uint64_t one = 1;
    if (switchHold_ >= 0 && write(switchHold_, &one, sizeof(one)) < 0) throw ErrnoError(info.Env(), errno, "write");
    return info.Env().Undefined();
  }

  int fd_ = -1;
  int switchHold_ = -1;  // tests only: an eventfd each switch's worker waits on (holdSwitches)
  int ifindex_ = 0;
  uv_poll_t* poll_ = nullptr;
  Napi::AsyncContext* context_ = nullptr;
  Napi::FunctionReference onFrame_;
  std::unique_ptr<RecvSlots> slots_;
  uv_poll_t* ringPoll_ = nullptr;  // ringFd_'s, when it is not fd_
  int ringFd_ = -1;                 // the socket holding ring_: fd_ itself, or an adaptive socket's second
  uint8_t* ring_ = nullptr;         // the mapped TPACKET_V3 ring, or null when reading with recvmmsg
  uint32_t ringBlocks_ = 0;
  uint32_t ringBlock_ = 0;  // the next block to read
  uint64_t drops_ = 0;
  bool adaptive_ = false;     // two sockets in a fanout group, switching between recvmmsg and the ring
  bool automatic_ = false;    // the rate policy decides (setRing(null)), not setRing(bool)
  bool ringReading_ = false;  // new frames go to the ring
  bool ringDraining_ = false;  // to fd_, read only while the ring holds nothing (from the switch's start)
  bool recvBacklog_ = false;   // to the ring, with fd_'s queue to read first (from the switch's start)
  bool ringWhenDrained_ = false;  // a switch to the ring waiting for ringDraining_ to end
  bool recvWhenRead_ = false;     // a switch to fd_ waiting for recvBacklog_ to be read
  bool switching_ = false;        // a new fanout program being installed on a worker thread
  bool switchTarget_ = false;     // ...steering to the ring (true) or to fd_
  bool switchAfter_ = false;      // the path asked for while it was, switched to once it is done
  bool switchAfterSet_ = false;
  uint32_t aboveFps_ = kDefaultRingAboveFps;
  uint32_t belowFps_ = kDefaultRingBelowFps;
  uint32_t windowMs_ = kDefaultRingWindowMs;
  uint64_t windowStart_ = 0;  // CLOCK_MONOTONIC_COARSE ms
  uint64_t windowFrames_ = 0;
  uint64_t ringSwitches_ = 0;
  int depth_ = 0;
  bool referenced_ = false;
  bool released_ = false;
};

// sendBatch's dst port word: the port, and above it how long the sender allows the datagram to be made
// with zero octets after it (DHCP: PAD after END, up to what the client accepts); 0: not to be grouped.
constexpr int kPadUpToShift = 16;
// Or'ed into a failed sendBatch's errno when the failing entry carried several datagrams (UDP GSO).
constexpr int kSegmentedFailure = 1 << 16;
// The kernel's UDP_MAX_SEGMENTS was 64 until Linux 6.9 (128 since): the smaller holds everywhere.
constexpr uint32_t kMaxSegments = 64;
// One IPv4 UDP datagram's payload at most (65535 - 20 - 8): the whole run is one before it is cut.
constexpr size_t kMaxGsoPayload = 65507;
// A segment larger than one Ethernet frame's payload would exceed the path MTU (refused): not coalesced.
constexpr size_t kMaxSegment = 1472;
const uint8_t kZeros[kMaxSegment] = {};

// One GSO entry's control message, aligned as the kernel reads it.
struct alignas(cmsghdr) GsoControl {
  char bytes[CMSG_SPACE(sizeof(uint16_t))];
};

struct SendRun {
  uint32_t first;  // index relative to start
  uint32_t count;
  size_t segment;  // every datagram but the last is padded to this; 0: not coalesced
};

// Splits [0, n) into runs of datagrams that may leave as one GSO entry: same destination, each at least
// one octet (a zero-length last segment would vanish), every one but the last `segment` long or allowed to
// be padded to it, the last no longer, at most kMaxSegments and kMaxGsoPayload octets. No datagram moves:
// a run only groups neighbours, so the order on the wire is the order given.
void PlanRuns(const std::vector<iovec>& data, const uint32_t* dst, uint32_t start, uint32_t n, bool segment,
              std::vector<SendRun>& runs) {
  runs.clear();
  for (uint32_t i = 0; i < n;) {
    size_t size = data[i].iov_len;
    uint32_t count = 1;
    if (segment && size > 0 && size <= kMaxSegment && (dst[(start + i) * 2 + 1] >> kPadUpToShift) != 0) {
      const uint32_t* d0 = dst + (start + i) * 2;
      size_t cap = kMaxSegment;  // the largest segment every member before the last may be made
      while (i + count < n && count < kMaxSegments) {
        const uint32_t* d = dst + (start + i + count) * 2;
        if (d[0] != d0[0] || (d[1] & 0xffff) != (d0[1] & 0xffff) || (d[1] >> kPadUpToShift) == 0) break;
        size_t len = data[i + count].iov_len;
        if (len == 0) break;
        // The run's last so far is no longer last: it must be the segment size, or be padded to it.
        size_t prev = data[i + count - 1].iov_len;
        size_t prevCap = std::max<size_t>(prev, dst[(start + i + count - 1) * 2 + 1] >> kPadUpToShift);
        if (prevCap < size) break;
        size_t capNow = std::min(cap, prevCap);
        size_t grown = std::max(size, len);
        if (grown > capNow || grown * count + len > kMaxGsoPayload) break;
        size = grown;
        cap = capNow;
        count++;
      }
    }
    runs.push_back(SendRun{i, count, count > 1 ? size : 0});
    i += count;
  }
}

Napi::Value SendBatch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = info[0].As<Napi::Number>().Int32Value();
  Napi::Array bufs = info[1].As<Napi::Array>();
  bool addressed = info[2].IsTypedArray();
  uint32_t start = info[3].As<Napi::Number>().Uint32Value();
  uint32_t end = info[4].As<Napi::Number>().Uint32Value();
  bool segment = addressed && info.Length() > 5 && info[5].ToBoolean();
  if (end > bufs.Length() || start >= end) throw Napi::RangeError::New(env, "bad sendBatch range");
  uint32_t n = std::min<uint32_t>(end - start, UIO_MAXIOV);
  const uint32_t* dst = nullptr;
  if (addressed) {
    Napi::Uint32Array d = info[2].As<Napi::Uint32Array>();
    if (d.ElementLength() < static_cast<size_t>(start + n) * 2) throw Napi::RangeError::New(env, "short dst");
    dst = d.Data();
  }
  // Reused between calls; thread_local as worker threads may load the addon too.
  thread_local std::vector<mmsghdr> msgs;
  thread_local std::vector<iovec> data;
  thread_local std::vector<iovec> iov;
  thread_local std::vector<sockaddr_in> to;
  thread_local std::vector<SendRun> runs;
  thread_local std::vector<GsoControl> control;
  data.resize(n);
  for (uint32_t i = 0; i < n; i++) {
    Napi::Value v = bufs.Get(start + i);
    if (!v.IsTypedArray()) throw Napi::TypeError::New(env, "sendBatch: not a Buffer");
    Napi::Uint8Array b = v.As<Napi::Uint8Array>();
    data[i] = iovec{b.Data(), b.ByteLength()};
  }
  PlanRuns(data, dst, start, n, segment, runs);
  size_t entries = runs.size();
  msgs.assign(entries, mmsghdr{});
  // Each datagram at most twice (itself, then its padding); sized before any pointer into it is taken.
  iov.resize(static_cast<size_t>(n) * 2);
  to.resize(entries);
  control.resize(entries);
  size_t used = 0;
  for (size_t e = 0; e < entries; e++) {
    const SendRun& run = runs[e];
    msghdr& m = msgs[e].msg_hdr;
    m.msg_iov = iov.data() + used;
    for (uint32_t k = 0; k < run.count; k++) {
      const iovec& d = data[run.first + k];
      iov[used++] = d;
      // PlanRuns allowed a shorter datagram before the last only up to its padUpTo.
      if (k + 1 < run.count && d.iov_len < run.segment) {
        iov[used++] = iovec{const_cast<uint8_t*>(kZeros), run.segment - d.iov_len};
      }
    }
    m.msg_iovlen = static_cast<size_t>(iov.data() + used - m.msg_iov);
    if (dst != nullptr) {
      const uint32_t* d = dst + (start + run.first) * 2;
      sockaddr_in& sin = to[e];
      sin = sockaddr_in{};
      sin.sin_family = AF_INET;
      sin.sin_addr.s_addr = htonl(d[0]);
      sin.sin_port = htons(static_cast<uint16_t>(d[1] & 0xffff));
      m.msg_name = &sin;
      m.msg_namelen = sizeof(sin);
    }
    if (run.segment > 0) {
      m.msg_control = control[e].bytes;
      m.msg_controllen = sizeof(control[e].bytes);
      cmsghdr* c = CMSG_FIRSTHDR(&m);
      c->cmsg_level = SOL_UDP;
      c->cmsg_type = UDP_SEGMENT;
      c->cmsg_len = CMSG_LEN(sizeof(uint16_t));
      uint16_t gso = static_cast<uint16_t>(run.segment);
      memcpy(CMSG_DATA(c), &gso, sizeof(gso));
    }
  }
  int sent;
  do {
    sent = sendmmsg(fd, msgs.data(), static_cast<unsigned>(entries), MSG_DONTWAIT);
  } while (sent < 0 && errno == EINTR);
  if (sent < 0) return Napi::Number::New(env, -(errno | (runs[0].count > 1 ? kSegmentedFailure : 0)));
  uint32_t datagrams = 0;
  for (int e = 0; e < sent; e++) datagrams += runs[e].count;
  return Napi::Number::New(env, datagrams);
}

Napi::Value UdpSegmentSupported(const Napi::CallbackInfo& info) {
  int fd = info[0].As<Napi::Number>().Int32Value();
  int value = 0;
  socklen_t len = sizeof(value);
  return Napi::Boolean::New(info.Env(), getsockopt(fd, SOL_UDP, UDP_SEGMENT, &value, &len) == 0);
}

Napi::Value SendUnixDatagram(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString() || !info[1].IsTypedArray()) throw Napi::TypeError::New(env, "sendUnixDatagram(path, buffer)");
  std::string path = info[0].As<Napi::String>().Utf8Value();
  Napi::Uint8Array data = info[1].As<Napi::Uint8Array>();
  sockaddr_un sun{};
  sun.sun_family = AF_UNIX;
  if (path.empty() || path.size() >= sizeof(sun.sun_path)) return Napi::Number::New(env, -ENAMETOOLONG);
  memcpy(sun.sun_path, path.data(), path.size());
  if (path[0] == '@') sun.sun_path[0] = '\0';
  socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + path.size() + (path[0] == '@' ? 0 : 1));
  int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return Napi::Number::New(env, -errno);
  ssize_t n;
  do {
    n = sendto(fd, data.Data(), data.ByteLength(), MSG_DONTWAIT | MSG_NOSIGNAL, reinterpret_cast<sockaddr*>(&sun), len);
  } while (n < 0 && errno == EINTR);
  int err = errno;
  close(fd);
  return Napi::Number::New(env, n < 0 ? -err : static_cast<double>(n));
}

// ringPolicy(ringNow, frames, elapsedMs, aboveFps, belowFps) -> boolean, for tests of the policy alone.
Napi::Value RingPolicyJs(const Napi::CallbackInfo& info) {
  auto num = [&](size_t i) { return info[i].As<Napi::Number>().Int64Value(); };
  for (size_t i = 1; i < 5; i++) {
    if (!info[i].IsNumber() || num(i) < 0) throw Napi::TypeError::New(info.Env(), "ringPolicy: counts must be >= 0");
  }
  return Napi::Boolean::New(info.Env(), RingPolicy(info[0].ToBoolean(), static_cast<uint64_t>(num(1)),
                                                   static_cast<uint64_t>(num(2)), static_cast<uint32_t>(num(3)),
                                                   static_cast<uint32_t>(num(4))));
}

Napi::Value ErrnoErrorJs(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return ErrnoError(env, info[0].As<Napi::Number>().Int32Value(), info[1].As<Napi::String>().Utf8Value().c_str())
      .Value();
}

int PrefixLength(const sockaddr* mask) {
  if (mask == nullptr || mask->sa_family != AF_INET) return 32;
  uint32_t m = ntohl(reinterpret_cast<const sockaddr_in*>(mask)->sin_addr.s_addr);
  return __builtin_popcount(m);
}

Napi::Value Interfaces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string netns = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  ifaddrs* list = nullptr;
  {
    NetnsScope ns(env, netns);
    if (getifaddrs(&list) < 0) throw ErrnoError(env, errno, "getifaddrs");
  }
  Napi::Array out = Napi::Array::New(env);
  // AF_PACKET entries come first in glibc's list and describe every link, up or down.
  for (ifaddrs* a = list; a != nullptr; a = a->ifa_next) {
    if (a->ifa_addr == nullptr || a->ifa_addr->sa_family != AF_PACKET) continue;
    const sockaddr_ll* ll = reinterpret_cast<const sockaddr_ll*>(a->ifa_addr);
    Napi::Object o = Napi::Object::New(env);
    o.Set("name", a->ifa_name);
    o.Set("index", ll->sll_ifindex);
    o.Set("flags", Napi::Number::New(env, a->ifa_flags));
    o.Set("mac", Napi::Buffer<uint8_t>::Copy(env, ll->sll_addr, ll->sll_halen));
    Napi::Array addrs = Napi::Array::New(env);
    for (ifaddrs* b = list; b != nullptr; b = b->ifa_next) {
      if (b->ifa_addr == nullptr || b->ifa_addr->sa_family != AF_INET || strcmp(b->ifa_name, a->ifa_name) != 0) continue;
      char text[INET_ADDRSTRLEN];
      inet_ntop(AF_INET, &reinterpret_cast<const sockaddr_in*>(b->ifa_addr)->sin_addr, text, sizeof(text));
      Napi::Object addr = Napi::Object::New(env);
      addr.Set("address", text);
      addr.Set("prefix", PrefixLength(b->ifa_netmask));
      addrs.Set(addrs.Length(), addr);
    }
    o.Set("addrs", addrs);
    out.Set(out.Length(), o);
  }
  freeifaddrs(list);
  return out;
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
  exports.Set("openUdp", Napi::Function::New(env, OpenUdp));
  exports.Set("interfaces", Napi::Function::New(env, Interfaces));
  exports.Set("sendBatch", Napi::Function::New(env, SendBatch));
  exports.Set("udpSegmentSupported", Napi::Function::New(env, UdpSegmentSupported));
  exports.Set("sendUnixDatagram", Napi::Function::New(env, SendUnixDatagram));
  exports.Set("errnoError", Napi::Function::New(env, ErrnoErrorJs));
  exports.Set("ringPolicy", Napi::Function::New(env, RingPolicyJs));
  exports.Set("PacketSocket", PacketSocket::Init(env));
  return exports;
}

}  // namespace

NODE_API_MODULE(leasekeeper_transport, Init)
