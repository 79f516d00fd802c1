/*
 * Refusing a second client the vfio-user way. The server serves one client at a time; a client
 * that connects meanwhile must learn why it is turned away. Closing its socket at once leaves it
 * with ECONNRESET or end of file, which says nothing. Instead its first request (the VERSION
 * negotiation every client starts with) gets an error reply with EBUSY, the errno kernel VFIO
 * gives a second open of a group, and then the socket is closed. Nothing here blocks: the
 * refused sockets are non-blocking and looked at from the server's poll(); each gets a short
 * deadline, and only a few may wait at once, so connecting in a loop cannot pile them up.
 */
import { Errno, constants as K, PollSet, read, setNonBlocking, write } from "@dataplane/sys";
import { closeAll } from "./channel.ts";
import { encodeErrorReply, HEADER_SIZE } from "./protocol.ts";

/** How long a refused client has to send its first request. */
const DEADLINE_MS = 2000;
/** Refused clients waiting at once; more are closed without a reply. */
const MAX_WAITING = 8;

interface Waiting {
  readonly fd: number;
  readonly deadline: number;
}

/** The refused clients waiting for their reply. */
export class Refusals {
  private waiting: Waiting[] = [];
  private readonly header = new Uint8Array(HEADER_SIZE);
  private readonly scratch = new Uint8Array(4096);

  get count(): number {
    return this.waiting.length;
  }

  /** Takes a just-accepted socket to refuse. */
  add(fd: number, now: number): void {
    if (this.waiting.length >= MAX_WAITING) {
      closeAll([fd]);
      return;
    }
    try {
      setNonBlocking(fd);
    } catch {
      closeAll([fd]);
      return;
    }
    this.waiting.push({ fd, deadline: now + DEADLINE_MS });
  }

  /** A poll set over the waiting sockets, or null when there are none. */
  pollSet(): PollSet | null {
    return this.waiting.length === 0
      ? null
      : new PollSet(
          this.waiting.map((w) => w.fd),
          K.POLLIN,
        );
  }

  /**
   * Replies to those whose request arrived (or closes those that hung up or ran out of time).
   * Returns true when the set of waiting sockets changed.
   */
  service(set: PollSet, now: number): boolean {
    set.wait(0);
    const keep: Waiting[] = [];
    for (const [i, w] of this.waiting.entries()) {
      const ready = set.revents(i) !== 0;
      if (ready) this.answer(w.fd);
      else if (now > w.deadline) closeAll([w.fd]);
      else keep.push(w);
    }
    const changed = keep.length !== this.waiting.length;
    this.waiting = keep;
    return changed;
  }

  /** Closes every waiting socket (the server is closing). */
  closeAll(): void {
    closeAll(this.waiting.map((w) => w.fd));
    this.waiting = [];
  }

  /** Reads the request header and answers it with EBUSY; closes the socket in any case. */
  private answer(fd: number): void {
    try {
      const n = read(fd, this.header, HEADER_SIZE);
      if (n === HEADER_SIZE) {
        const dv = new DataView(this.header.buffer);
        const id = dv.getUint16(0, true);
        const cmd = dv.getUint16(2, true);
        // Take the rest of the request off the socket first: closing a UNIX socket with unread
        // data makes the peer's next read fail with ECONNRESET, which could hide the reply.
        let rest = dv.getUint32(4, true) - HEADER_SIZE;
        for (let budget = 16; rest > 0 && budget > 0; budget--) {
          const got = read(fd, this.scratch, Math.min(rest, this.scratch.length));
          if (got <= 0) break;
          rest -= got;
        }
        write(fd, encodeErrorReply(id, cmd, Errno.EBUSY));
      }
    } catch {
      // gone, or would block on a full socket: closing is all that is left
    } finally {
      closeAll([fd]);
    }
  }
}
