/** Returns one shared copy of equal strings. */
export type TextPool = (text: string) => string;

/**
 * Declarations and catalogs repeat the same text on every object: role and
 * privilege names, schema names, owners, and often whole policy expressions
 * (tables share `tenant_id = current_setting(...)` word for word). Each
 * arrives as its own copy, often as a rope of concatenated pieces; keeping
 * one flat copy per distinct value is a large part of what a plan at 10,000
 * tables saves. A pool lives for one plan step, so nothing outlives the plan.
 */
export function textPool(): TextPool {
  const pool = new Map<string, string>();
  return (text) => {
    const known = pool.get(text);
    if (known !== undefined) return known;
    pool.set(text, text);
    return text;
  };
}
