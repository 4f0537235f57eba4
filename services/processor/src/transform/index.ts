export { compileSteps, type BoundTransform, type CompiledSteps, type StepDeps } from './steps.ts';
export {
  STEP_KINDS,
  stepKind,
  stepSchema,
  stepsSchema,
  type StepConfig,
  type StepKind,
} from './step-config.ts';
export { TransformError } from './errors.ts';
