/**
 * Live-room metrics, read from the rooms' own counters when /metrics is scraped: what each room
 * dropped and why, what it delivered, and the viewers on this process. Per room (label `room`):
 * rooms are few and long-lived; the counters start again when a room's last viewer here leaves.
 */
import { Gauge, type Registry } from 'prom-client';
import type { RoomStats } from './core/rooms/local-room.js';

export function registerRoomMetrics(registry: Registry, stats: () => Map<string, RoomStats>, viewers: () => number): void {
  const perRoom = (name: string, help: string, pick: (s: RoomStats) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['room'],
      registers: [registry],
      collect() {
        this.reset();
        for (const [room, s] of stats()) this.set({ room }, pick(s));
      },
    });
  perRoom('natter_room_messages_received', 'Room messages that reached this process', (s) => s.received);
  perRoom('natter_room_frames_sent', 'Room frames written to viewers on this process', (s) => s.frames);
  perRoom('natter_room_dropped_sampled', 'Normal-priority room messages dropped by the room budget (once per message)', (s) => s.sampled);
  perRoom('natter_room_dropped_shed', 'Normal-priority room messages not sent to slow viewers (once per viewer and message)', (s) => s.shed);
  perRoom('natter_room_slow_viewers', 'Viewers found past their send-queue limit (disconnected as slow consumers)', (s) => s.slowViewers);
  perRoom('natter_room_high_delivered', 'High-priority room messages written to viewers (once per viewer and message)', (s) => s.highDelivered);
  new Gauge({
    name: 'natter_room_viewers',
    help: 'Room viewers connected to this process, all rooms',
    registers: [registry],
    collect() {
      this.set(viewers());
    },
  });
}
