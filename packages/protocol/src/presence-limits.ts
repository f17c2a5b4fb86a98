/** Limits of the presence frames, in a module of its own so that zod-free clients (`/wire`) can read them. */
export const PRESENCE_LIMITS = {
  /** Users one `presence.get` may ask about. */
  usersPerQuery: 100,
} as const;
