/**
 * A module's settings form, generated from its manifest's JSON Schema (decision 0078).
 *
 * Supported shapes: string (text; `enum` → select; `maxLength`, `minLength`, `pattern`),
 * integer and number (`minimum`, `maximum`), boolean (checkbox), and any of them nullable
 * (`type: [..., "null"]`, or `null` among an `enum`'s values: empty means "the default").
 * `title` labels a field, `description` is its help text, `required` is honoured. Anything
 * else (arrays, objects, combinators) is shown read-only with a note and never sent, so
 * the module keeps it as it is. The server checks everything again (422 per field).
 */

export type JsonSchema = { [key: string]: unknown };

type Base = { key: string; label: string; help?: string; required: boolean; nullable: boolean };
export type Field =
  | (Base & { kind: "text"; minLength?: number; maxLength?: number; pattern?: string })
  | (Base & { kind: "select"; options: (string | number | boolean | null)[] })
  | (Base & { kind: "number"; integer: boolean; minimum?: number; maximum?: number })
  | (Base & { kind: "checkbox" })
  | (Base & { kind: "unsupported" });

/** What the form holds: text for inputs and selects (JSON of the option), booleans for checkboxes. */
export type FormValues = Record<string, string | boolean>;

const num = (v: unknown): number | undefined => (typeof v === "number" && Number.isFinite(v) ? v : undefined);
const str = (v: unknown): string | undefined => (typeof v === "string" ? v : undefined);

function types(schema: JsonSchema): string[] {
  const t = schema.type;
  return Array.isArray(t) ? t.filter((x): x is string => typeof x === "string") : typeof t === "string" ? [t] : [];
}

export function fieldsOf(schema: JsonSchema): Field[] {
  const properties = schema.properties;
  if (!properties || typeof properties !== "object") return [];
  const required = new Set(Array.isArray(schema.required) ? schema.required.filter((r): r is string => typeof r === "string") : []);
  return Object.entries(properties as Record<string, JsonSchema>).map(([key, raw]) => {
    const prop: JsonSchema = raw && typeof raw === "object" ? raw : {};
    const t = types(prop);
    const options = Array.isArray(prop.enum) ? (prop.enum as (string | number | boolean | null)[]) : null;
    const nullable = t.includes("null") || (options?.includes(null) ?? false);
    const base: Base = { key, label: str(prop.title) ?? key.replace(/_/g, " "), help: str(prop.description), required: required.has(key), nullable };
    const kinds = t.filter((x) => x !== "null");
    if (options && options.every((o) => o === null || ["string", "number", "boolean"].includes(typeof o))) {
      return { ...base, kind: "select", options };
    }
    if (kinds.length === 1 && kinds[0] === "string") {
      return { ...base, kind: "text", minLength: num(prop.minLength), maxLength: num(prop.maxLength), pattern: str(prop.pattern) };
    }
    if (kinds.length === 1 && (kinds[0] === "integer" || kinds[0] === "number")) {
      return { ...base, kind: "number", integer: kinds[0] === "integer", minimum: num(prop.minimum), maximum: num(prop.maximum) };
    }
    if (kinds.length === 1 && kinds[0] === "boolean") return { ...base, kind: "checkbox" };
    return { ...base, kind: "unsupported" };
  });
}

export function toFormValues(fields: Field[], settings: Record<string, unknown>): FormValues {
  const values: FormValues = {};
  for (const f of fields) {
    const v = settings[f.key];
    if (f.kind === "checkbox") values[f.key] = v === true;
    else if (f.kind === "select") values[f.key] = v === undefined ? "" : JSON.stringify(v);
    else if (f.kind === "text" || f.kind === "number") values[f.key] = v === null || v === undefined ? "" : String(v);
  }
  return values;
}

/** The settings to send, or the message per field the user must fix first. */
export function fromForm(fields: Field[], values: FormValues): { settings: Record<string, unknown> } | { errors: Record<string, string> } {
  const settings: Record<string, unknown> = {};
  const errors: Record<string, string> = {};
  for (const f of fields) {
    const v = values[f.key];
    if (f.kind === "unsupported") continue;
    if (f.kind === "checkbox") {
      settings[f.key] = v === true;
      continue;
    }
    const text = typeof v === "string" ? v : "";
    if (f.kind === "select") {
      if (text === "") {
        if (f.required) errors[f.key] = "Choose a value.";
        continue; // left as the module has it
      }
      settings[f.key] = JSON.parse(text) as unknown;
      continue;
    }
    if (f.kind === "number") {
      const trimmed = text.trim();
      if (trimmed === "") {
        if (f.nullable) settings[f.key] = null;
        else if (f.required) errors[f.key] = "Enter a number.";
        continue;
      }
      const n = Number(trimmed);
      if (!Number.isFinite(n) || (f.integer && !Number.isInteger(n))) errors[f.key] = f.integer ? "Enter a whole number." : "Enter a number.";
      else if (f.minimum !== undefined && n < f.minimum) errors[f.key] = `Enter ${f.minimum} or more.`;
      else if (f.maximum !== undefined && n > f.maximum) errors[f.key] = `Enter ${f.maximum} or less.`;
      else settings[f.key] = n;
      continue;
    }
    if (text === "" && f.nullable) {
      settings[f.key] = null;
      continue;
    }
    if (text === "" && f.required) errors[f.key] = "This field is required.";
    else if (f.minLength !== undefined && [...text].length < f.minLength) errors[f.key] = f.minLength === 1 ? "This field cannot be empty." : `Enter at least ${f.minLength} characters.`;
    else if (f.maxLength !== undefined && [...text].length > f.maxLength) errors[f.key] = `Enter at most ${f.maxLength} characters.`;
    else if (f.pattern !== undefined && !safeTest(f.pattern, text)) errors[f.key] = "This value does not have the expected format.";
    else settings[f.key] = text;
  }
  return Object.keys(errors).length ? { errors } : { settings };
}

function safeTest(pattern: string, text: string): boolean {
  try {
    return new RegExp(pattern, "u").test(text);
  } catch {
    return true; // a pattern this browser cannot read: the server decides
  }
}

export const optionLabel = (o: string | number | boolean | null): string => (o === null ? "Default" : String(o));
