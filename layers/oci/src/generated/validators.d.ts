// Types of the generated standalone validators (ajv's ValidateFunction shape, trimmed).
export interface AjvError {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  params: Record<string, unknown>;
  message?: string;
}
export interface Validator {
  (data: unknown): boolean;
  errors?: AjvError[] | null;
}
export const validateConfig: Validator;
export const validateState: Validator;
export const validateFeatures: Validator;
