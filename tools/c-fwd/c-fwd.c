/*
 * c-fwd: a small forwarder for two Intel 82599 ports in C, the baseline l2fwd is measured
 * against (bun run bench:vs-c). It is written for this project from the 82599 datasheet and
 * the init sequence of @dataplane/ixgbe, in the style of ixy's ixy-fwd: no kernel driver, BAR0
 * mapped from a sysfs-style resource0 file, DMA memory in 2 MiB hugepages addressed by physical
 * address (/proc/self/pagemap), busy polling, one thread.
 *
 * What it does per port: reset (PCIe master disable, CTRL.RST, EEC.ARD and RDRXCTL.DMAIDONE),
 * link (AUTOC 10G serial + restart AN), one RX and one TX queue with advanced descriptors,
 * CRC stripping in HLREG0 and RDRXCTL, the SECRXCTRL.RX_DIS handshake around RXCTRL.RXEN,
 * promiscuous mode. Then frames received on one port are sent on the other (touch mode:
 * byte 1 of the destination MAC is incremented, as l2fwd --mode touch does), in batches.
 *
 * Usage: c-fwd <resource0 of port 0> <resource0 of port 1> [--batch N] [--seconds S]
 * Prints one JSON line at the end: {"forwarded":..,"seconds":..,"mpps":..,"dropped":..}.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <linux/memfd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Registers (datasheet §8.2.3) and bits, as in packages/ixgbe/src/regs. */
#define CTRL 0x00000
#define CTRL_MASTER_DISABLE (1u << 2)
#define CTRL_RST_MASK ((1u << 26) | (1u << 3))
#define STATUS 0x00008
#define STATUS_MASTER_ENABLE (1u << 19)
#define CTRL_EXT 0x00018
#define CTRL_EXT_NS_DIS (1u << 16)
#define EEC 0x10010
#define EEC_ARD (1u << 9)
#define EIMC 0x00888
#define EICR 0x00800
#define RDRXCTL 0x02f00
#define RDRXCTL_CRCSTRIP (1u << 1)
#define RDRXCTL_DMAIDONE (1u << 3)
#define RDRXCTL_RSCFRSTSIZE (0x1fu << 17)
#define RDRXCTL_RSCACKC (1u << 25)
#define RDRXCTL_FCOE_WRFIX (1u << 26)
#define RXCTRL 0x03000
#define RXCTRL_RXEN (1u << 0)
#define RXPBSIZE(n) (0x03c00 + 4 * (n))
#define HLREG0 0x04240
#define HLREG0_TXCRCEN (1u << 0)
#define HLREG0_RXCRCSTRP (1u << 1)
#define HLREG0_TXPADEN (1u << 10)
#define AUTOC 0x042a0
#define AUTOC_LMS_MASK (0x7u << 13)
#define AUTOC_LMS_10G_SERIAL (3u << 13)
#define AUTOC_10G_PMA_PMD_MASK (0x3u << 7)
#define AUTOC_AN_RESTART (1u << 12)
#define LINKS 0x042a4
#define LINKS_UP (1u << 30)
#define FCTRL 0x05080
#define FCTRL_MPE (1u << 8)
#define FCTRL_UPE (1u << 9)
#define FCTRL_BAM (1u << 10)
#define SECRXCTRL 0x08d00
#define SECRXCTRL_RX_DIS (1u << 1)
#define SECRXSTAT 0x08d04
#define SECRXSTAT_RDY (1u << 0)
#define DMATXCTL 0x04a80
#define DMATXCTL_TE (1u << 0)
#define RTTDCS 0x04900
#define RTTDCS_ARBDIS (1u << 6)
#define MTQC 0x08120
#define DTXMXSZRQ 0x08100
#define TXPBSIZE(n) (0x0cc00 + 4 * (n))
#define TXPBTHRESH(n) (0x04950 + 4 * (n))
#define RXQ(reg) (0x01000 + (reg)) /* queue 0 */
#define RDBAL RXQ(0x00)
#define RDBAH RXQ(0x04)
#define RDLEN RXQ(0x08)
#define DCA_RXCTRL RXQ(0x0c)
#define RDH RXQ(0x10)
#define SRRCTL RXQ(0x14)
#define RDT RXQ(0x18)
#define RXDCTL RXQ(0x28)
#define RXDCTL_ENABLE (1u << 25)
#define SRRCTL_DESCTYPE_ADV_ONEBUF (1u << 25)
#define SRRCTL_DROP_EN (1u << 28)
#define TXQ(reg) (0x06000 + (reg)) /* queue 0 */
#define TDBAL TXQ(0x00)
#define TDBAH TXQ(0x04)
#define TDLEN TXQ(0x08)
#define DCA_TXCTRL TXQ(0x0c)
#define TDH TXQ(0x10)
#define TDT TXQ(0x18)
#define TXDCTL TXQ(0x28)
#define TXDCTL_ENABLE (1u << 25)

/* Advanced descriptors (§7.1.6, §7.2.3.2.4). */
#define RX_STAT_DD (1u << 0)
#define RX_STAT_EOP (1u << 1)
#define TX_DCMD_EOP (1u << 24)
#define TX_DCMD_IFCS (1u << 25)
#define TX_DCMD_RS (1u << 27)
#define TX_DCMD_DEXT (1u << 29)
#define TX_DTYP_DATA (3u << 20)
#define TX_STAT_DD (1u << 0)

#define RING 512
#define BUFS 4096 /* per port: a ring's worth in RX, the rest in TX rings and spare */
#define BUF_SIZE 2048
#define HEADROOM 128 /* frame data starts here, as l2fwd's pools do */
#define HUGE (2u << 20)
#define BAR_SIZE (512u << 10)

struct desc {
  volatile uint64_t a;
  volatile uint64_t b;
};

struct port {
  volatile uint32_t *bar;
  struct desc *rx, *tx;
  uint64_t rx_phys, tx_phys;
  uint32_t rx_buf[RING]; /* buffer index behind each RX descriptor */
  uint32_t tx_buf[RING]; /* buffer index behind each TX descriptor */
  uint16_t rx_next, tx_next, tx_clean;
  /* The pool: buffer memory, physical addresses, a free stack. */
  uint8_t *mem;
  uint64_t *phys;
  uint32_t free[BUFS];
  uint32_t nfree;
};

static void die(const char *what) {
  fprintf(stderr, "c-fwd: %s: %s\n", what, strerror(errno));
  exit(1);
}

static void fail(const char *what) {
  fprintf(stderr, "c-fwd: %s\n", what);
  exit(1);
}

static uint32_t rd(struct port *p, uint32_t off) { return p->bar[off / 4]; }
static void wr(struct port *p, uint32_t off, uint32_t v) { p->bar[off / 4] = v; }
static void set_bits(struct port *p, uint32_t off, uint32_t b) { wr(p, off, rd(p, off) | b); }
static void clear_bits(struct port *p, uint32_t off, uint32_t b) { wr(p, off, rd(p, off) & ~b); }

static double now_s(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* Polls until (reg & bits) == want or `ms` pass; returns whether it happened. */
static int wait_bits(struct port *p, uint32_t off, uint32_t bits, uint32_t want, int ms) {
  double end = now_s() + ms / 1000.0;
  while ((rd(p, off) & bits) != want) {
    if (now_s() > end) return 0;
    usleep(100);
  }
  return 1;
}

/* Physical address of a virtual address of this process, from /proc/self/pagemap. */
static uint64_t phys_of(void *virt) {
  static int fd = -1;
  if (fd < 0 && (fd = open("/proc/self/pagemap", O_RDONLY)) < 0) die("open /proc/self/pagemap");
  uint64_t entry;
  long page = sysconf(_SC_PAGESIZE);
  uintptr_t v = (uintptr_t)virt;
  if (pread(fd, &entry, 8, (off_t)(v / page) * 8) != 8) die("read pagemap");
  uint64_t pfn = entry & ((1ull << 55) - 1);
  if (!(entry >> 63) || pfn == 0) fail("pagemap gives no physical address (run as root)");
  return pfn * page + v % page;
}

/* `bytes` of shared 2 MiB hugepage memory (memfd), locked and touched. */
static void *huge_alloc(size_t bytes) {
  bytes = (bytes + HUGE - 1) & ~(size_t)(HUGE - 1);
  int fd = memfd_create("c-fwd", MFD_HUGETLB | MFD_HUGE_2MB);
  if (fd < 0) die("memfd_create(MFD_HUGETLB)");
  if (ftruncate(fd, (off_t)bytes) != 0) die("ftruncate hugepage memfd (reserve 2 MiB hugepages)");
  void *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, 0);
  if (m == MAP_FAILED) die("mmap hugepages");
  close(fd); /* the mapping keeps the memory; the device model finds it through map_files */
  if (mlock(m, bytes) != 0) die("mlock");
  memset(m, 0, bytes);
  return m;
}

/* Bus master on in the sysfs-style config file beside resource0 (PCI command register). */
static void bus_master(const char *resource0) {
  char path[4096];
  char *copy = strdup(resource0);
  snprintf(path, sizeof path, "%s/config", dirname(copy));
  free(copy);
  int fd = open(path, O_RDWR);
  if (fd < 0) die(path);
  uint16_t cmd;
  if (pread(fd, &cmd, 2, 4) != 2) die("read the PCI command register");
  cmd |= (1u << 1) | (1u << 2); /* memory space, bus master */
  if (pwrite(fd, &cmd, 2, 4) != 2) die("write the PCI command register");
  close(fd);
}

static void port_open(struct port *p, const char *resource0) {
  bus_master(resource0);
  int fd = open(resource0, O_RDWR);
  if (fd < 0) die(resource0);
  void *bar = mmap(NULL, BAR_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (bar == MAP_FAILED) die("mmap resource0");
  close(fd);
  p->bar = bar;

  /* Memory: both rings in the first 2 MiB page, the buffers after them. */
  size_t ring_bytes = RING * sizeof(struct desc);
  uint8_t *m = huge_alloc(HUGE + (size_t)BUFS * BUF_SIZE);
  p->rx = (struct desc *)m;
  p->tx = (struct desc *)(m + ring_bytes);
  p->rx_phys = phys_of(p->rx);
  p->tx_phys = phys_of(p->tx);
  p->mem = m + HUGE;
  p->phys = malloc(sizeof(uint64_t) * BUFS);
  for (uint32_t i = 0; i < BUFS; i++) {
    p->phys[i] = phys_of(p->mem + (size_t)i * BUF_SIZE); /* 2 KiB never crosses a 2 MiB page */
    p->free[i] = BUFS - 1 - i;
  }
  p->nfree = BUFS;

  /* Reset (§4.6.3.2): interrupts off, PCIe master disable, CTRL.RST, then auto-read/DMA init. */
  wr(p, EIMC, 0x7fffffff);
  rd(p, EICR);
  set_bits(p, CTRL, CTRL_MASTER_DISABLE);
  wait_bits(p, STATUS, STATUS_MASTER_ENABLE, 0, 80); /* bounded; the reset follows regardless */
  set_bits(p, CTRL, CTRL_RST_MASK);
  usleep(1000);
  if (!wait_bits(p, CTRL, CTRL_RST_MASK, 0, 1000)) fail("reset did not finish");
  usleep(10000);
  wr(p, EIMC, 0x7fffffff);
  rd(p, EICR);
  if (!wait_bits(p, EEC, EEC_ARD, EEC_ARD, 1000)) fail("EEPROM auto-read did not finish");
  if (!wait_bits(p, RDRXCTL, RDRXCTL_DMAIDONE, RDRXCTL_DMAIDONE, 1000)) fail("DMA init did not finish");

  /* Link: 10 Gb/s serial, then restart autonegotiation (§4.6.4). */
  uint32_t autoc = rd(p, AUTOC);
  autoc = (autoc & ~AUTOC_LMS_MASK) | AUTOC_LMS_10G_SERIAL;
  autoc &= ~AUTOC_10G_PMA_PMD_MASK;
  wr(p, AUTOC, autoc);
  wr(p, AUTOC, autoc | AUTOC_AN_RESTART);

  /* RX global (§4.6.7): RX off, one packet buffer, CRC strip in both places, RDRXCTL bits. */
  clear_bits(p, RXCTRL, RXCTRL_RXEN);
  wr(p, RXPBSIZE(0), 512u << 10);
  for (int n = 1; n < 8; n++) wr(p, RXPBSIZE(n), 0);
  set_bits(p, HLREG0, HLREG0_RXCRCSTRP);
  uint32_t rdrxctl = rd(p, RDRXCTL) & ~RDRXCTL_RSCFRSTSIZE;
  wr(p, RDRXCTL, rdrxctl | RDRXCTL_CRCSTRIP | RDRXCTL_RSCACKC | RDRXCTL_FCOE_WRFIX);
  set_bits(p, FCTRL, FCTRL_BAM | FCTRL_UPE | FCTRL_MPE); /* promiscuous */

  /* RX queue 0: advanced one-buffer descriptors, 2 KiB buffers, drop when out of descriptors. */
  wr(p, SRRCTL, SRRCTL_DESCTYPE_ADV_ONEBUF | SRRCTL_DROP_EN | 2);
  wr(p, RDBAL, (uint32_t)p->rx_phys);
  wr(p, RDBAH, (uint32_t)(p->rx_phys >> 32));
  wr(p, RDLEN, ring_bytes);
  wr(p, RDH, 0);
  wr(p, RDT, 0);
  set_bits(p, CTRL_EXT, CTRL_EXT_NS_DIS);
  clear_bits(p, DCA_RXCTRL, (1u << 12) | (1u << 11) | (1u << 13) | (1u << 15));

  /* TX global (§4.6.8): CRC and padding, arbiter off around MTQC, one packet buffer. */
  set_bits(p, HLREG0, HLREG0_TXCRCEN | HLREG0_TXPADEN);
  set_bits(p, RTTDCS, RTTDCS_ARBDIS);
  wr(p, TXPBSIZE(0), 160u << 10);
  wr(p, TXPBTHRESH(0), 160 - 10);
  for (int n = 1; n < 8; n++) {
    wr(p, TXPBSIZE(n), 0);
    wr(p, TXPBTHRESH(n), 0);
  }
  wr(p, MTQC, 0);
  wr(p, DTXMXSZRQ, 0xfff);
  clear_bits(p, RTTDCS, RTTDCS_ARBDIS);

  /* TX queue 0; descriptor write-back batched by WTHRESH 4 (RS is then ignored, §7.2.3.5). */
  clear_bits(p, DCA_TXCTRL, 1u << 11);
  wr(p, TDBAL, (uint32_t)p->tx_phys);
  wr(p, TDBAH, (uint32_t)(p->tx_phys >> 32));
  wr(p, TDLEN, ring_bytes);
  wr(p, TXDCTL, (rd(p, TXDCTL) & ~0x7f7f7fu) | 36 | (8 << 8) | (4 << 16));
  set_bits(p, DMATXCTL, DMATXCTL_TE);

  /* Start RX queue 0: fill, enable, then the tail (it must not move before ENABLE reads 1). */
  for (int i = 0; i < RING; i++) {
    uint32_t b = p->free[--p->nfree];
    p->rx_buf[i] = b;
    p->rx[i].a = p->phys[b] + HEADROOM;
    p->rx[i].b = 0;
  }
  set_bits(p, RXDCTL, RXDCTL_ENABLE);
  if (!wait_bits(p, RXDCTL, RXDCTL_ENABLE, RXDCTL_ENABLE, 1000)) fail("RX queue did not enable");
  wr(p, RDH, 0);
  wr(p, RDT, RING - 1);
  wr(p, TDH, 0);
  wr(p, TDT, 0);
  set_bits(p, TXDCTL, TXDCTL_ENABLE);
  if (!wait_bits(p, TXDCTL, TXDCTL_ENABLE, TXDCTL_ENABLE, 1000)) fail("TX queue did not enable");

  /* RX on with the receive security block halted around it (82599 errata, §8.2.3.12.1). */
  set_bits(p, SECRXCTRL, SECRXCTRL_RX_DIS);
  wait_bits(p, SECRXSTAT, SECRXSTAT_RDY, SECRXSTAT_RDY, 40);
  set_bits(p, RXCTRL, RXCTRL_RXEN);
  clear_bits(p, SECRXCTRL, SECRXCTRL_RX_DIS);
}

/* Stops RX and TX and resets the port, so the model stops its DMA into our memory. */
static void port_close(struct port *p) {
  set_bits(p, SECRXCTRL, SECRXCTRL_RX_DIS);
  wait_bits(p, SECRXSTAT, SECRXSTAT_RDY, SECRXSTAT_RDY, 40);
  clear_bits(p, RXCTRL, RXCTRL_RXEN);
  clear_bits(p, RXDCTL, RXDCTL_ENABLE);
  clear_bits(p, TXDCTL, TXDCTL_ENABLE);
  wait_bits(p, RXDCTL, RXDCTL_ENABLE, 0, 100);
  wait_bits(p, TXDCTL, TXDCTL_ENABLE, 0, 100);
  clear_bits(p, DMATXCTL, DMATXCTL_TE);
  set_bits(p, CTRL, CTRL_MASTER_DISABLE);
  wait_bits(p, STATUS, STATUS_MASTER_ENABLE, 0, 80);
  set_bits(p, CTRL, CTRL_RST_MASK);
  usleep(1000);
  wait_bits(p, CTRL, CTRL_RST_MASK, 0, 1000);
}

/* Frees buffers of completed TX descriptors back to the pool of the port they came from. */
static void tx_clean(struct port *tx, struct port *owner) {
  while (tx->tx_clean != tx->tx_next) {
    struct desc *d = &tx->tx[tx->tx_clean];
    if (!((uint32_t)(d->b >> 32) & TX_STAT_DD)) break;
    owner->free[owner->nfree++] = tx->tx_buf[tx->tx_clean];
    tx->tx_clean = (tx->tx_clean + 1) % RING;
  }
}

/*
 * Receives up to `batch` frames on `rx` and sends them on `tx`; frames the TX ring cannot
 * take are dropped. RX descriptors get fresh buffers from `rx`'s pool. Returns frames sent.
 */
static uint32_t forward(struct port *rx, struct port *tx, uint32_t batch, uint64_t *dropped) {
  uint32_t bufs[512], lens[512], n = 0;
  uint16_t i = rx->rx_next;
  while (n < batch) {
    struct desc *d = &rx->rx[i];
    uint32_t status = (uint32_t)d->b;
    if (!(status & RX_STAT_DD)) break;
    if (!(status & RX_STAT_EOP)) fail("a frame spanning buffers (jumbo frames are not supported)");
    if (rx->nfree == 0) break; /* no buffer to put back: leave the frame in the ring */
    bufs[n] = rx->rx_buf[i];
    lens[n] = (uint32_t)(d->b >> 32) & 0xffff;
    n++;
    uint32_t fresh = rx->free[--rx->nfree];
    rx->rx_buf[i] = fresh;
    d->a = rx->phys[fresh] + HEADROOM;
    d->b = 0;
    i = (i + 1) % RING;
  }
  if (n == 0) return 0;
  /* The descriptors above are written before the tail moves (x86 keeps stores in order). */
  __atomic_thread_fence(__ATOMIC_RELEASE);
  wr(rx, RDT, (i + RING - 1) % RING);
  rx->rx_next = i;

  tx_clean(tx, rx);
  uint32_t sent = 0;
  for (; sent < n; sent++) {
    uint16_t next = (tx->tx_next + 1) % RING;
    if (next == tx->tx_clean) break; /* ring full */
    uint32_t b = bufs[sent];
    rx->mem[(size_t)b * BUF_SIZE + HEADROOM + 1]++; /* touch: byte 1 of the destination MAC */
    struct desc *d = &tx->tx[tx->tx_next];
    tx->tx_buf[tx->tx_next] = b;
    d->a = rx->phys[b] + HEADROOM;
    uint64_t cmd = TX_DCMD_EOP | TX_DCMD_IFCS | TX_DCMD_RS | TX_DCMD_DEXT | TX_DTYP_DATA | lens[sent];
    d->b = cmd | ((uint64_t)lens[sent] << 46); /* olinfo_status: PAYLEN in bits 31:14 */
    tx->tx_next = next;
  }
  for (uint32_t k = sent; k < n; k++) rx->free[rx->nfree++] = bufs[k];
  *dropped += n - sent;
  if (sent > 0) {
    __atomic_thread_fence(__ATOMIC_RELEASE);
    wr(tx, TDT, tx->tx_next);
  }
  return sent;
}

static volatile sig_atomic_t stop_flag = 0;
static void on_signal(int sig) {
  (void)sig;
  stop_flag = 1;
}

static void usage(const char *why) {
  fprintf(stderr,
          "c-fwd: %s; usage: c-fwd <resource0 of port 0> <resource0 of port 1> [--batch 1..512] "
          "[--seconds S]\n",
          why);
  exit(2);
}

int main(int argc, char **argv) {
  const char *dev[2] = {NULL, NULL};
  long batch = 32;
  double seconds = 10;
  int ndev = 0;
  for (int i = 1; i < argc; i++) {
    char *end;
    if (strcmp(argv[i], "--batch") == 0 && i + 1 < argc) {
      batch = strtol(argv[++i], &end, 10);
      if (*end || batch < 1 || batch > 512) usage("--batch must be a whole number from 1 to 512");
    } else if (strcmp(argv[i], "--seconds") == 0 && i + 1 < argc) {
      seconds = strtod(argv[++i], &end);
      if (*end || !(seconds > 0)) usage("--seconds must be a number more than 0");
    } else if (argv[i][0] == '-') {
      usage("unknown option");
    } else if (ndev < 2) {
      dev[ndev++] = argv[i];
    } else {
      usage("give exactly two resource0 files");
    }
  }
  if (ndev != 2) usage("give exactly two resource0 files");
  signal(SIGINT, on_signal);
  signal(SIGTERM, on_signal);

  static struct port ports[2];
  port_open(&ports[0], dev[0]);
  port_open(&ports[1], dev[1]);
  double end = now_s() + 5;
  while (!((rd(&ports[0], LINKS) & LINKS_UP) && (rd(&ports[1], LINKS) & LINKS_UP))) {
    if (now_s() > end) fail("link did not come up within 5 s");
    usleep(1000);
  }
  printf("{\"ready\":true}\n");
  fflush(stdout);

  uint64_t forwarded = 0, dropped = 0;
  double start = now_s(), stop_at = start + seconds;
  for (uint64_t loops = 0; !stop_flag; loops++) {
    forwarded += forward(&ports[0], &ports[1], (uint32_t)batch, &dropped);
    forwarded += forward(&ports[1], &ports[0], (uint32_t)batch, &dropped);
    if ((loops & 0xfff) == 0 && now_s() >= stop_at) break;
  }
  double took = now_s() - start;
  port_close(&ports[0]);
  port_close(&ports[1]);
  printf("{\"forwarded\":%llu,\"dropped\":%llu,\"seconds\":%.3f,\"mpps\":%.4f,\"batch\":%ld}\n",
         (unsigned long long)forwarded, (unsigned long long)dropped, took, forwarded / took / 1e6,
         batch);
  return 0;
}
