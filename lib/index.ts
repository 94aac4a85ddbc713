/**
 * Small shared helpers every stage may use: logging with secret redaction, opening SQLite files,
 * the engine-neutral row reader, the config schema machinery, and the pages' path hiding.
 * Imports no other stage.
 */
export { BuiltAssetsMissingError, builtAssetsDir, builtModule } from './built-assets.js';
export {
  ConfigError,
  type ConfigField,
  configField,
  fieldValue,
  type ParsedConfig,
  parseConfigFile,
} from './config-schema.js';
export {
  acceptedHostsFor,
  allowedHostsFor,
  checkHost,
  checkPost,
  checkToken,
  contentSecurityPolicy,
  createGuardedServer,
  type GuardedServerOptions,
  type GuardOutcome,
  type GuardSettings,
  hostName,
  isLoopbackBind,
  isWildcardBind,
  type MachineNames,
  machineNames,
  securityHeaders,
  sendPlain,
} from './http/index.js';
export {
  consoleLogger,
  type Logger,
  recordingLogger,
  redactingLogger,
  redactSecrets,
  secretRedactor,
} from './logger.js';
export { hideMachinePaths, type PathReplacement, pathReplacements, projectShownAs } from './machine-paths.js';
export { isMissingTable, type QueryRows } from './query-rows.js';
export { DatabaseOpenError, openDatabase, type SqliteDatabase, setBusyTimeout } from './sqlite.js';
export { describeSqliteFailure } from './sqlite-failures.js';
