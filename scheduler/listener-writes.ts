import { isFresh, readListenerHealth } from '../ingestion/index.js';

/** Each printer's write health as the listener last published it; `fresh` is false once it stopped. */
export function listenerWrites(healthFile: string, now: Date) {
  const health = readListenerHealth(healthFile);
  if (!health) return null;
  return {
    fresh: isFresh(health, now),
    updatedAt: health.updatedAt,
    printers: health.printers.map(({ name, serial, writes }) => ({ name, serial, writes })),
    archive: health.archive
      ? {
          writeErrors: health.archive.writeErrors,
          droppedRecords: health.archive.droppedRecords,
          waitingRecords: health.archive.waitingRecords,
        }
      : null,
  };
}
