/** The printer simulator: an embedded TLS broker, simulated printers and scripted jobs. */
export { generateBrokerCertificate, startEmbeddedBroker, } from './embedded-broker.js';
export { buildJobScript, CANCEL_ERROR, JOB_KINDS, parseJobKinds, } from './job-scripts.js';
export { isModelFlavour, MODEL_FLAVOURS } from './model-flavours.js';
export { SimulatedPrinter } from './simulated-printer.js';
//# sourceMappingURL=index.js.map