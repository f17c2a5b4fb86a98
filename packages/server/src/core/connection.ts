/**
 * What the core knows of a client connection: it can be written to and closed, nothing more.
 * Transports (WebSocket now; SSE and long-poll later) implement it.
 */
export interface Connection {
  /**
   * Queues one encoded frame (JSON text, or its UTF-8 bytes when the same frame goes to many
   * connections, so it is encoded once). The transport applies the slow-consumer policy.
   */
  send(frame: string | Buffer): void;
  close(code: number, reason: string): void;
}
