/**
 * What the core knows of a client connection: it can be written to and closed, nothing more.
 * Transports (WebSocket now; SSE and long-poll later) implement it.
 */
export interface Connection {
  /** Queues one encoded frame. The transport applies the slow-consumer policy. */
  send(frame: string): void;
  close(code: number, reason: string): void;
}
