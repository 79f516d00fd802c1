/*
 * Optional MSI-X interrupts for RX queues (datasheet §7.3, ixy enable_msix_interrupt): RX queue
 * q fires vector q through IVAR; each vector is routed to its own eventfd by VFIO. Polling stays
 * the default; a queue in interrupt mode can block in waitForRx instead of spinning.
 */
import type { Mmio } from "@dataplane/pci";
import { close, constants, eventfd, eventfdRead, PollSet } from "@dataplane/sys";
import type { IrqBackend } from "./backend/types.ts";
import { IxgbeError } from "./errors.ts";
import * as I from "./regs/interrupts.ts";

/** VFIO's IRQ index of MSI-X. */
export const IRQ_MSIX = 2;
/** VFIO_IRQ_INFO_EVENTFD. */
const IRQ_INFO_EVENTFD = 1;

/** EITR value for an interval in microseconds (2 us units in bits 11:3). */
export const eitrValue = (us: number): number =>
  (Math.min(511, Math.round(us / 2)) << 3) & I.EITR_ITR_INTERVAL_MASK;

/** The per-queue eventfds and poll sets of interrupt-mode queues. */
export class RxInterrupts {
  private readonly fds: number[];
  private readonly polls: (PollSet | null)[];
  private closed = false;

  private constructor(
    private readonly irq: IrqBackend,
    fds: number[],
  ) {
    this.fds = fds;
    this.polls = fds.map((fd) => (fd < 0 ? null : new PollSet([fd], constants.POLLIN)));
  }

  /**
   * Routes vector q of each listed RX queue to a new eventfd and programs GPIE, IVAR, EITR,
   * EIAC and EIMS. Throws DEVICE_FAULT when the back-end has no usable MSI-X.
   */
  static setup(
    mmio: Mmio,
    irq: IrqBackend | null,
    queues: readonly number[],
    throttleUs: number,
    name: string,
  ): RxInterrupts | null {
    if (queues.length === 0) return null;
    if (irq === null) {
      throw new IxgbeError(
        "BAD_CONFIG",
        `${name}: interrupts need a VFIO back-end (kernel VFIO or vfio-user); this device is driven through sysfs, so poll instead`,
      );
    }
    const vectors = Math.max(...queues) + 1;
    const info = irq.irqInfo(IRQ_MSIX);
    if ((info.flags & IRQ_INFO_EVENTFD) === 0 || info.count < vectors) {
      throw new IxgbeError(
        "DEVICE_FAULT",
        `${name}: MSI-X offers ${info.count} eventfd-capable vectors (flags ${info.flags}), ${vectors} needed`,
      );
    }
    const fds = Array.from({ length: vectors }, () => -1);
    const self = new RxInterrupts(irq, fds);
    try {
      for (const q of queues) {
        fds[q] = eventfd(0, constants.EFD_NONBLOCK);
        self.polls[q] = new PollSet([fds[q] as number], constants.POLLIN);
      }
      irq.setIrqEventfds(IRQ_MSIX, 0, fds);
    } catch (cause) {
      self.close();
      throw new IxgbeError(
        "DEVICE_FAULT",
        `${name}: MSI-X setup failed: ${(cause as Error).message}`,
        {
          cause,
        },
      );
    }
    const gpie = I.GPIE_MSIX_MODE | I.GPIE_PBA_SUPPORT | I.GPIE_EIAME;
    mmio.write32(I.GPIE, (mmio.read32(I.GPIE) | gpie) >>> 0);
    let mask = 0;
    for (const q of queues) {
      const reg = I.IVAR(I.ivarIndex(q));
      const shift = I.ivarShift(q, 0);
      const v = mmio.read32(reg) & ~(0xff << shift);
      mmio.write32(reg, (v | ((I.IVAR_ALLOC_VAL | q) << shift)) >>> 0);
      mmio.write32(I.EITR(q), eitrValue(throttleUs));
      mask |= 1 << q;
    }
    // Auto-clear the queue causes when their vector fires, then unmask them.
    mmio.write32(I.EIAC, mmio.read32(I.EIAC) | mask);
    mmio.write32(I.EIMS, mask);
    return self;
  }

  /** True when queue q is in interrupt mode. */
  has(q: number): boolean {
    return (this.fds[q] ?? -1) >= 0;
  }

  /**
   * Blocks up to `timeoutMs` for queue q's vector; returns true if it fired. Consumes the event.
   */
  wait(q: number, timeoutMs: number): boolean {
    const poll = this.polls[q];
    if (poll === null || poll === undefined || this.closed) return false;
    if (poll.wait(timeoutMs) <= 0) return false;
    eventfdRead(this.fds[q] as number);
    return true;
  }

  /** Unroutes the vectors and closes the eventfds. Idempotent. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    try {
      this.irq.disableIrqs(IRQ_MSIX);
    } catch {
      // The device may already be gone; the eventfds are still ours to close.
    }
    for (const fd of this.fds) if (fd >= 0) close(fd);
  }
}
