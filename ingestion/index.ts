/**
 * The ingestion stage's public surface: what the CLI and the scheduler may use.
 * Everything else in ingestion/ is internal to the listener.
 */

export { archiveFiles } from './archive-reader.js';
export {
  ConfigError,
  checkPrinters,
  LISTENER_FIELDS,
  type ListenerConfig,
  listenerConfigOf,
  type PrinterConfig,
  readConfigSource,
} from './config.js';
export type { PrinterConnectionStatus, StatusJob } from './farm-status.js';
export { formatStatusLine } from './farm-status.js';
export {
  type BadInputEvent,
  type JobEndedEvent,
  type Listener,
  type ListenerEvents,
  type ListenerOptions,
  type ListenerTiming,
  startListener,
  type TransitionEvent,
} from './listener.js';
export {
  describeWriteHealth,
  isFresh,
  type ListenerHealth,
  listenerHealthPath,
  readListenerHealth,
} from './listener-health.js';
export { PgRawStore, type PgRawStoreOptions } from './pg-raw-store.js';
export type { ConnectionTiming, MqttConnect, Timers } from './printer-connection.js';
export {
  CHANGE_FEED_TARGET,
  type ChangeFeedQuery,
  changeFeed,
  type EndedJob,
  jobsEndedSince,
  latestChangeSeq,
} from './raw-changes.js';
export { ENDED_JOB_STATUSES, JOB_STATUSES, type JobStatus, migrateRawSchema } from './raw-schema.js';
export {
  migratePostgresRawSchema,
  POSTGRES_RAW_MIGRATIONS,
  POSTGRES_RAW_SCHEMA,
} from './raw-schema-postgres.js';
export type { RawStore, WriteRefusal } from './raw-store.js';
export { RawWriter } from './raw-writer.js';
export { archiveDirFor, archiveForConfig } from './report-archive.js';
export { RestateError, restateRawLayer } from './restate.js';
export { RawThreadOpenError, THREAD_BUSY_TIMEOUT_MS, ThreadedRawStore } from './threaded-raw-store.js';
export { TrustConfigError, type TrustMode } from './trust.js';
