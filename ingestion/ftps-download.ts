import type { TLSSocket } from 'node:tls';
import { Client, FTPError } from 'basic-ftp';
import type { TrustPolicy } from './trust.js';

/** Where and as whom to reach a printer's FTPS server. */
export interface FtpsTarget {
  host: string;
  port: number;
  serial: string;
  /** The LAN access code: the FTPS password. Never part of a message this module returns. */
  accessCode: string;
  trust: TrustPolicy;
}

/** Why a download did not happen; `retry` says whether trying again later can help. */
export type DownloadFailure = {
  ok: false;
  kind: 'not_found' | 'login_refused' | 'timeout' | 'untrusted' | 'error';
  message: string;
  retry: boolean;
};

export type DownloadResult = { ok: true; remotePath: string } | DownloadFailure;

/** The printer's only FTP user (OpenBambuAPI ftp.md); the password is the access code. */
export const FTP_USER = 'bblp';

/**
 * Downloads the first of `candidates` that exists on the printer to `localFile`, streamed to disk
 * (a .3mf can be hundreds of MB). Implicit TLS; basic-ftp resumes the control connection's TLS
 * session on every data connection, which the printers (and vsftpd's require_ssl_reuse) demand.
 * The certificate is judged by the same policy as MQTT before the access code is sent.
 * Never throws: every failure is a result.
 */
export async function downloadFirst(
  target: FtpsTarget,
  candidates: readonly string[],
  localFile: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<DownloadResult> {
  const client = new Client(timeoutMs);
  // The listener is closing: end the exchange now rather than at its timeout.
  const abort = () => client.close();
  signal?.addEventListener('abort', abort, { once: true });
  // A server that trickles bytes defeats an idle timeout; this one bounds the whole exchange.
  let timedOut = false;
  const deadline = setTimeout(() => {
    timedOut = true;
    client.close();
  }, timeoutMs * 3);
  try {
    await client.connectImplicitTLS(target.host, target.port, {
      ...target.trust.tlsOptions,
      servername: target.serial,
      minVersion: 'TLSv1.2',
    });
    const verdict = target.trust.verify(client.ftp.socket as TLSSocket);
    if (!verdict.ok) return { ok: false, kind: 'untrusted', message: verdict.message, retry: false };
    try {
      await client.login(FTP_USER, target.accessCode);
    } catch (error) {
      if (error instanceof FTPError && error.code === 530) {
        return {
          ok: false,
          kind: 'login_refused',
          message: `the printer refused the FTPS login of user ${FTP_USER} (${oneLine(error.message)}): check access_code`,
          retry: false,
        };
      }
      throw error;
    }
    await client.useDefaultSettings();
    for (const remotePath of candidates) {
      try {
        await client.downloadTo(localFile, remotePath);
        return { ok: true, remotePath };
      } catch (error) {
        // 550 (vsftpd, the printers) or 551-553 (other servers): no such file. Anything else
        // (a broken data connection) is not "missing".
        if (!(error instanceof FTPError && error.code >= 550 && error.code <= 553)) throw error;
      }
    }
    return {
      ok: false,
      kind: 'not_found',
      message: `no file of the job on the printer (tried ${candidates.join(', ')})`,
      retry: true,
    };
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (timedOut || /timeout/i.test(message)) {
      return {
        ok: false,
        kind: 'timeout',
        message: `the printer's FTPS server at ${target.host}:${target.port} did not answer within ${timeoutMs} ms`,
        retry: true,
      };
    }
    return {
      ok: false,
      kind: 'error',
      message: `FTPS to ${target.host}:${target.port} failed: ${oneLine(message)}`,
      retry: true,
    };
  } finally {
    clearTimeout(deadline);
    signal?.removeEventListener('abort', abort);
    client.close();
  }
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim().slice(0, 300);
}

/**
 * Where a job's file may be: `/cache/` (X1, H2, cloud prints) then `/` (P1/A1 LAN uploads), each with
 * the job's name + `.gcode.3mf` and `.3mf`, and the basename of `gcode_file` when it is a .3mf
 * (X1's `/data/Metadata/plate_1.gcode` is a ram-disk path, not on FTP).
 */
export function candidatePaths(name: string | null, gcodeFile: string | null): string[] {
  const names: string[] = [];
  const file = gcodeFile?.split('/').pop()?.trim();
  if (file && /\.3mf$/i.test(file)) names.push(file);
  const base = name?.trim();
  if (base) {
    if (/\.3mf$/i.test(base)) names.push(base);
    else names.push(`${base}.gcode.3mf`, `${base}.3mf`);
  }
  const unique = [...new Set(names.filter((n) => !n.includes('..') && !/[\r\n]/.test(n)))];
  return ['/cache/', '/'].flatMap((dir) => unique.map((n) => `${dir}${n}`));
}
