/** The printer simulator: an embedded TLS broker, simulated printers and scripted jobs. */

export { type Demo, startDemo } from './demo.js';
export {
  type BrokerCertificate,
  type BrokerLogin,
  type EmbeddedBroker,
  type EmbeddedBrokerOptions,
  generateBrokerCertificate,
  startEmbeddedBroker,
} from './embedded-broker.js';
export {
  buildJobScript,
  CANCEL_ERROR,
  JOB_KINDS,
  type JobIdentity,
  type JobKind,
  type JobScript,
  parseJobKinds,
} from './job-scripts.js';
export { isModelFlavour, MODEL_FLAVOURS, type ModelFlavour } from './model-flavours.js';
export { storeJobFile } from './simulated-farm.js';
export { startSimulatedFtps } from './simulated-ftps.js';
export { SimulatedPrinter, type SimulatedPrinterOptions } from './simulated-printer.js';
