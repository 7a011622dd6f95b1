/** Step kinds (contract section 1), kept free of zod so the CLI can list them without loading it. */
export const STEP_KINDS = ['user', 'plan', 'think', 'read', 'exec', 'write', 'other'] as const;
export type StepKindName = (typeof STEP_KINDS)[number];
