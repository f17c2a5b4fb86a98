/** Live rooms and broadcasts for startNatter: built from the Config, their failures logged, their counters exported. */
import type { Config } from '../config.js';
import type { Clock } from '../core/clock.js';
import type { Delivery } from '../core/delivery/delivery.js';
import { newDeviceId } from '../core/ids.js';
import { Broadcasts } from '../core/rooms/broadcasts.js';
import { Rooms } from '../core/rooms/rooms.js';
import type { SharedBus } from '../bus/shared-bus.js';
import type { Logger } from '../log.js';
import { registerRoomMetrics } from '../metrics-rooms.js';
import type { Metrics } from '../metrics.js';
import type { Store } from '../store/store.js';
import { openEphemeral } from './backends.js';

/**
 * Live rooms and broadcasts (core/rooms/): their own Ephemeral instance, on the same server as
 * presence's (memory: for one process), and their counters as metrics.
 */
export async function startRooms(config: Config, bus: SharedBus, store: Store, clock: Clock, logger: Logger, metrics: Metrics, delivery: Delivery) {
  // The same server as presence (EPHEMERAL_URL, else the bus's), under a prefix of their own.
  const roomEphemeral = await openEphemeral({ ...config, BUS_PREFIX: `${config.BUS_PREFIX}-rooms` }, logger, clock);
  const rooms = new Rooms(bus, store, roomEphemeral, clock, {
    processId: newDeviceId().slice(2, 14),
    encoding: config.ROOM_FRAME_ENCODING,
    maxBodyBytes: config.ROOM_MAX_BODY_BYTES,
    defaults: {
      anonymous: config.ROOM_ANONYMOUS,
      tickMs: config.ROOM_TICK_MS,
      retention: config.ROOM_RETENTION,
      budgetPerViewer: config.ROOM_BUDGET_PER_VIEWER,
      roomSendsPerSecond: config.ROOM_SENDS_PER_SECOND,
      userSendsPer10s: config.ROOM_USER_SENDS_PER_10S,
    },
  });
  let lastWarning = 0;
  rooms.onError = (err) => {
    if (Date.now() - lastWarning > 5000) {
      lastWarning = Date.now();
      logger.warn({ err }, 'live rooms: a bus or ephemeral call failed; room messages may be missed (at most once)');
    }
  };
  const fatigue = {
    maxPerWindow: config.BROADCAST_MAX_PER_WINDOW,
    windowMs: config.BROADCAST_WINDOW_SECONDS * 1000,
    minIntervalMs: config.BROADCAST_MIN_INTERVAL_SECONDS * 1000,
  };
  const broadcasts = new Broadcasts(bus, store, clock, fatigue, delivery);
  broadcasts.onError = (err) => logger.warn({ err }, 'broadcasts: announcing failed; users get it on their next broadcast.sync');
  await broadcasts.start();
  registerRoomMetrics(metrics.registry, () => rooms.stats(), () => rooms.viewerCount);
  return { rooms, broadcasts, roomEphemeral };
}
