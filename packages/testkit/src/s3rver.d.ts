/** The little of s3rver's API the tests use (the package ships no types). */
declare module 's3rver' {
  import type { Readable } from 'node:stream';

  interface S3rverOptions {
    port?: number;
    address?: string;
    silent?: boolean;
    directory: string;
  }
  /** An object being stored: `content` is the request's body. */
  export interface S3rverObject {
    bucket: string;
    key: string;
    metadata: Record<string, string>;
    content: Buffer | Readable;
  }
  /** s3rver's FilesystemStore, of which the tests replace putObject (s3-server.ts). */
  export interface S3rverStore {
    getResourcePath(bucket: string, key: string, resource: string): string;
    putMetadata(bucket: string, key: string, metadata: Record<string, string>, md5: string): Promise<void>;
    putObject(object: S3rverObject): Promise<{ size: number; md5: string }>;
  }
  export default class S3rver {
    constructor(options: S3rverOptions);
    readonly store: S3rverStore;
    run(): Promise<unknown>;
    close(): Promise<void>;
  }
}
