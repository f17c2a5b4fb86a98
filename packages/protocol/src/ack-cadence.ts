/**
 * How long the SDK gathers what it has applied before acknowledging it: the first entry after a
 * quiet spell starts the window, and when it ends one `ack` goes out per conversation with the
 * highest seq received (docs/protocol.md, "Acknowledging"). A longer window means fewer frames —
 * server CPU, mobile radios — and later "delivered" receipts; a quarter of a second is still
 * below what a person notices on a tick. The bench's clients use the same value.
 */
export const ACK_DELAY_MS = 250;
