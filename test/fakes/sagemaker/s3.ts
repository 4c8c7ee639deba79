import type * as http from 'node:http';
import { createHash } from 'node:crypto';

/**
 * The part of Amazon S3 the SageMaker monitor reads and writes (the baseline's constraints, a run's
 * constraint_violations.json), served on the fake SageMaker's port: the REST API path-style, as the
 * real S3 client sends it with `forcePathStyle` (`GET|HEAD|PUT /<bucket>/<key>?x-id=<Operation>`).
 *
 * As S3 answers (Amazon S3 API reference, GetObject, PutObject, Error responses): an object of a
 * bucket that does not exist is `NoSuchBucket` (404), a missing key `NoSuchKey` (404) with "The
 * specified key does not exist.", a denied one `AccessDenied` (403) "Access Denied"; errors are an
 * XML `<Error>` document. A PUT's `content-length` must match its body (IncompleteBody otherwise);
 * the client's `x-amz-checksum-crc32` is not recomputed.
 */
export class FakeS3 {
  /** Buckets that exist (a test makes them; SageMaker's and CloudFormation's buckets are made elsewhere). */
  readonly buckets = new Set<string>();
  /** Objects by `<bucket>/<key>`. */
  readonly objects = new Map<string, { body: string; contentType?: string; modified: Date }>();
  /** Key prefixes (`<bucket>/<prefix>`) whose objects are refused with AccessDenied, as a bucket or key policy would. */
  readonly denied = new Set<string>();
  /** Every request, in order, as `<METHOD> <bucket>/<key>`. */
  readonly calls: string[] = [];

  /** Writes an object as SageMaker (a job's output) or a test does; the bucket is made when missing. */
  put(uri: string, body: string | object, contentType = 'application/json'): void {
    const { bucket, key } = parse(uri);
    this.buckets.add(bucket);
    this.objects.set(`${bucket}/${key}`, { body: typeof body === 'string' ? body : JSON.stringify(body), contentType, modified: new Date(Date.UTC(2026, 10, 24)) });
  }

  /** The object's text at an s3:// URI, or undefined. */
  text(uri: string): string | undefined {
    const { bucket, key } = parse(uri);
    return this.objects.get(`${bucket}/${key}`)?.body;
  }

  json(uri: string): any {
    const t = this.text(uri);
    return t === undefined ? undefined : JSON.parse(t);
  }

  /** One REST request (path-style). */
  handle(req: http.IncomingMessage, body: string, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake');
    const [, bucket, ...rest] = decodeURIComponent(url.pathname).split('/');
    const key = rest.join('/');
    this.calls.push(`${req.method} ${bucket}/${key}`);
    const fail = (status: number, code: string, message: string) => {
      res.writeHead(status, { 'content-type': 'application/xml', 'x-amz-request-id': `req-${this.calls.length}` });
      res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>${key ? `<Key>${escape(key)}</Key>` : ''}<BucketName>${escape(bucket)}</BucketName><RequestId>req-${this.calls.length}</RequestId></Error>`);
    };
    if (!bucket || !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) return fail(400, 'InvalidBucketName', 'The specified bucket is not valid.');
    if (!key) return fail(400, 'NotImplemented', 'This fake serves object requests only (GET, HEAD, PUT /<bucket>/<key>).');
    if (!this.buckets.has(bucket)) return fail(404, 'NoSuchBucket', 'The specified bucket does not exist');
    if ([...this.denied].some((p) => `${bucket}/${key}`.startsWith(p))) return fail(403, 'AccessDenied', 'Access Denied');
    const id = `${bucket}/${key}`;
    if (req.method === 'PUT') {
      const length = Number(req.headers['content-length'] ?? Buffer.byteLength(body));
      if (length !== Buffer.byteLength(body)) return fail(400, 'IncompleteBody', 'You did not provide the number of bytes specified by the Content-Length HTTP header.');
      this.objects.set(id, { body, contentType: req.headers['content-type'], modified: new Date() });
      res.writeHead(200, { etag: `"${etag(body)}"`, 'x-amz-request-id': `req-${this.calls.length}` });
      return void res.end();
    }
    if (req.method === 'GET' || req.method === 'HEAD') {
      const o = this.objects.get(id);
      if (!o) return req.method === 'HEAD' ? void res.writeHead(404).end() : fail(404, 'NoSuchKey', 'The specified key does not exist.');
      res.writeHead(200, {
        'content-type': o.contentType ?? 'binary/octet-stream',
        'content-length': Buffer.byteLength(o.body),
        etag: `"${etag(o.body)}"`,
        'last-modified': o.modified.toUTCString(),
        'x-amz-request-id': `req-${this.calls.length}`,
      });
      return void res.end(req.method === 'GET' ? o.body : undefined);
    }
    fail(405, 'MethodNotAllowed', 'The specified method is not allowed against this resource.');
  }
}

export function parse(uri: string): { bucket: string; key: string } {
  const m = /^s3:\/\/([^/]+)\/(.+)$/.exec(uri);
  if (!m) throw new Error(`not an s3:// object URI: ${uri}`);
  return { bucket: m[1], key: m[2] };
}

const etag = (body: string) => createHash('md5').update(body).digest('hex');
const escape = (s: string) => s.replace(/[<>&]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;' })[c]!);
