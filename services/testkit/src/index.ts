export { isolate, type Isolation } from './isolation.ts';
export { createProvider, providerName, type ProviderName, type StackProvider } from './provider.ts';
export { readTopic, topicSize } from './kafka.ts';
export { waitFor } from './wait.ts';
export { startCli, type CliProcess } from './cli-process.ts';
export {
  ChangeEventWriter,
  PATIENT_COLUMNS,
  decodeAll,
  headerText,
  patientRow,
  patientShape,
  type ChangeEnvelope,
  type PatientInput,
  type Row,
} from './change-events.ts';
export { SteadyWriter, historyOf, type History } from './steady-writes.ts';
export {
  parsePrometheusText,
  sampleValue,
  samplesOf,
  scrapeMetrics,
  type PrometheusSample,
} from './prometheus-text.ts';
