/**
 * What the core knows of a client connection: it can be written to and closed, nothing more.
 * Transports (WebSocket now; SSE and long-poll later) implement it.
 */

/**
 * One encoded server frame (JSON text). The same object is handed to every connection a
 * fan-out reaches, so a transport may keep its wire form per object (framed once, written to
 * each); how it does so is the transport's business.
 */
export interface OutboundFrame {
  readonly json: string;
}

/** Wraps encoded JSON text as a frame. */
export const outbound = (json: string): OutboundFrame => ({ json });

export interface Connection {
  /** Queues one frame. The transport applies the slow-consumer policy. */
  send(frame: OutboundFrame): void;
  close(code: number, reason: string): void;
}

/**
 * Optional capability of connections whose transport queues bytes (WebSocket): how much is
 * waiting to be sent, and the limit past which the transport closes it as a slow consumer.
 * Live rooms use it to shed low-priority messages to a slow viewer before it reaches the limit.
 */
export interface QueueAware {
  queuedBytes(): number;
  readonly queueLimitBytes: number;
}

export function isQueueAware(conn: Connection): conn is Connection & QueueAware {
  return typeof (conn as Partial<QueueAware>).queuedBytes === 'function';
}
