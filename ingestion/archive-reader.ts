import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ArchiveDamage, type ArchiveRecord, decodeArchiveFile } from './archive-format.js';

/** One day file of one printer's archive. */
export interface ArchiveFile {
  serial: string;
  day: string;
  path: string;
}

const DAY_FILE = /^(\d{4}-\d{2}-\d{2})\.jsonl\.gz$/;

/** The archive's day files, by printer then day; only the printers asked for, when some are. */
export function archiveFiles(dir: string, serials?: readonly string[]): ArchiveFile[] {
  let printers: string[];
  try {
    printers = readdirSync(dir, { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => entry.name);
  } catch {
    return [];
  }
  const files: ArchiveFile[] = [];
  for (const serial of printers.sort()) {
    if (serials && serials.length > 0 && !serials.includes(serial)) continue;
    for (const name of readdirSync(join(dir, serial)).sort()) {
      const day = DAY_FILE.exec(name)?.[1];
      if (day !== undefined) files.push({ serial, day, path: join(dir, serial, name) });
    }
  }
  return files;
}

/**
 * The records of one printer's files in the order they arrived, one file in memory at a time. A
 * damaged block or line is passed to `onDamage` and skipped; reading goes on with the next.
 */
export function* printerRecords(
  files: readonly ArchiveFile[],
  onDamage: (damage: ArchiveDamage) => void,
): Generator<ArchiveRecord> {
  for (const file of files) {
    let bytes: Buffer;
    try {
      bytes = readFileSync(file.path);
    } catch (error) {
      onDamage({ file: file.path, offset: 0, reason: `cannot be read (${(error as Error).message})` });
      continue;
    }
    const { records, damage } = decodeArchiveFile(file.path, bytes);
    for (const problem of damage) onDamage(problem);
    // Appends are in arrival order, but a record's time decides: keep them sorted, stably.
    records.sort((a, b) => a.at.getTime() - b.at.getTime());
    yield* records;
  }
}
