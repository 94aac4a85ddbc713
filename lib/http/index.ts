// The HTTP layer the status server and the docs server share.
export { createGuardedServer, type GuardedServerOptions, sendPlain } from './guarded-server.js';
export {
  acceptedHostsFor,
  allowedHostsFor,
  checkHost,
  checkPost,
  checkToken,
  type GuardOutcome,
  type GuardSettings,
  hostName,
  isLoopbackBind,
  isWildcardBind,
  type MachineNames,
  machineNames,
} from './request-guard.js';
export { contentSecurityPolicy, securityHeaders } from './security-headers.js';
