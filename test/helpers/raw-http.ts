import { request as httpRequest } from 'node:http';

export interface RawAnswer {
  status: number | undefined;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/**
 * One HTTP request with exactly the headers given (fetch() will not send a Host header of our choosing,
 * which is what a DNS-rebinding page sends).
 */
export function rawRequest(
  port: number,
  options: { path: string; headers?: Record<string, string>; method?: string; body?: string },
): Promise<RawAnswer> {
  return new Promise((done, fail) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path: options.path,
        method: options.method ?? 'GET',
        headers: options.headers ?? {},
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          body += chunk;
        });
        res.on('end', () => done({ status: res.statusCode, headers: res.headers, body }));
      },
    );
    req.on('error', fail);
    req.end(options.body);
  });
}
