export type Severity = 'error' | 'warning' | 'info';

/** A finding that is not an operation: a warning about the declaration, or an unmanaged difference. */
export interface Diagnostic {
  readonly code: string;
  readonly severity: Severity;
  /** The object it is about, e.g. `public.documents` or `policy owner_read on public.documents`. */
  readonly subject: string;
  readonly message: string;
}
