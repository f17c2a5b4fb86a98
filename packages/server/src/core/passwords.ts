/**
 * Password hashing with argon2id at OWASP's recommended minimum (19 MiB, t=2, p=1), and the
 * list of common passwords that are refused when a password is chosen (ASVS 5 V6.2.4).
 */
import argon2 from 'argon2';
import { dictionary } from '@zxcvbn-ts/language-common';

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

/**
 * The 49,000 most common passwords of zxcvbn-ts's `passwords-common` list
 * (@zxcvbn-ts/language-common, MIT), lower-cased; built on first use (about 2 MB).
 */
let common: Set<string> | undefined;

/** Whether a password is on the common list, compared case-insensitively (`Password` is as weak as `password`). */
export function isCommonPassword(password: string): boolean {
  common ??= new Set(dictionary['passwords-common'].map((p) => p.toLowerCase()));
  return common.has(password.toLowerCase());
}
