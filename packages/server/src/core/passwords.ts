/** Password hashing with argon2id at OWASP's recommended minimum (19 MiB, t=2, p=1). */
import argon2 from 'argon2';

const OPTIONS = { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } as const;

export const PASSWORD_MIN = 8;
export const PASSWORD_MAX = 256;

export function hashPassword(password: string): Promise<string> {
  return argon2.hash(password, OPTIONS);
}

export async function verifyPassword(hash: string, password: string): Promise<boolean> {
  try {
    return await argon2.verify(hash, password);
  } catch {
    return false;
  }
}

let dummy: Promise<string> | undefined;
/** Spends the same time as a real verification, so unknown users cannot be told apart. */
export async function burnVerification(password: string): Promise<void> {
  dummy ??= hashPassword('natter-dummy-password');
  await verifyPassword(await dummy, password);
}
