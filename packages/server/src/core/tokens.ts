/**
 * Access tokens (short-lived HS256 JWTs naming user and device) and refresh tokens (random,
 * stored only as a SHA-256 hash, rotated on every use).
 */
import { createHash, randomBytes } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import { NatterError } from '@natter/protocol';

export interface AccessClaims {
  userId: string;
  deviceId: string;
}

export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlSeconds: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issueAccess(claims: AccessClaims, nowMs: number): Promise<{ token: string; expiresAt: number }> {
    const iat = Math.floor(nowMs / 1000);
    const exp = iat + this.ttlSeconds;
    const token = await new SignJWT({ did: claims.deviceId })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(claims.userId)
      .setIssuer('natter')
      .setAudience('natter')
      .setIssuedAt(iat)
      .setExpirationTime(exp)
      .sign(this.key);
    return { token, expiresAt: exp * 1000 };
  }

  /** Throws NatterError `token_expired` or `invalid_token`. */
  async verifyAccess(token: string, nowMs: number): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: ['HS256'],
        issuer: 'natter',
        audience: 'natter',
        currentDate: new Date(nowMs),
      });
      if (typeof payload.sub !== 'string' || typeof payload.did !== 'string') {
        throw new NatterError('invalid_token', 'token is missing claims');
      }
      return { userId: payload.sub, deviceId: payload.did };
    } catch (err) {
      if (err instanceof NatterError) throw err;
      if (err instanceof joseErrors.JWTExpired) throw new NatterError('token_expired', 'access token expired');
      throw new NatterError('invalid_token', 'invalid access token');
    }
  }
}

/** A refresh token is `<deviceId>.<secret>`; only the secret's hash is stored. */
export function newRefreshToken(deviceId: string): { token: string; hash: string } {
  const secret = randomBytes(32).toString('base64url');
  return { token: `${deviceId}.${secret}`, hash: hashSecret(secret) };
}

export function parseRefreshToken(token: string): { deviceId: string; hash: string } | null {
  const dot = token.indexOf('.');
  if (dot <= 0 || dot === token.length - 1 || token.length > 256) return null;
  return { deviceId: token.slice(0, dot), hash: hashSecret(token.slice(dot + 1)) };
}

function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}
