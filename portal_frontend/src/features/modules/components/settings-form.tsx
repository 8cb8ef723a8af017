import { type FormEvent, useMemo, useState } from "react";
import { fieldErrors, errorMessage } from "@/lib/api/errors";
import { type Field, type FormValues, type JsonSchema, fieldsOf, fromForm, optionLabel, toFormValues } from "../schema-form";

type Props = {
  module: string;
  schema: JsonSchema;
  settings: Record<string, unknown>;
  readOnly: boolean;
  saving: boolean;
  onSave: (settings: Record<string, unknown>, done: { ok: () => void; fail: (error: unknown) => void }) => void;
};

/** The module's settings, one labelled field per schema property; errors land at their field. */
export function SettingsForm({ module, schema, settings, readOnly, saving, onSave }: Props) {
  const fields = useMemo(() => fieldsOf(schema), [schema]);
  const [values, setValues] = useState<FormValues>(() => toFormValues(fields, settings));
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const id = (key: string) => `set-${module}-${key}`;
  const set = (key: string, value: string | boolean) => setValues((v) => ({ ...v, [key]: value }));

  const submit = (event: FormEvent) => {
    event.preventDefault();
    const built = fromForm(fields, values);
    if ("errors" in built) {
      setErrors(built.errors);
      setProblem(null);
      return;
    }
    setErrors({});
    setProblem(null);
    onSave(built.settings, {
      ok: () => undefined,
      fail: (error) => {
        const found = fieldErrors(error);
        const known = Object.fromEntries(Object.entries(found).filter(([k]) => fields.some((f) => f.key === k)));
        if (Object.keys(known).length) setErrors(known);
        else setProblem(errorMessage(error));
      },
    });
  };

  const described = (f: Field) => [f.help ? `${id(f.key)}-help` : "", errors[f.key] ? `${id(f.key)}-error` : ""].filter(Boolean).join(" ") || undefined;
  const extra = (f: Field) => (
    <>
      {f.help ? (
        <span id={`${id(f.key)}-help`} className="hint">
          {f.help}
        </span>
      ) : null}
      {errors[f.key] ? (
        <span id={`${id(f.key)}-error`} className="error">
          {errors[f.key]}
        </span>
      ) : null}
    </>
  );
  const input = (f: Field) => {
    const common = {
      id: id(f.key),
      "aria-describedby": described(f),
      "aria-invalid": errors[f.key] ? true : undefined,
      "aria-required": f.required || undefined,
    } as const;
    switch (f.kind) {
      case "checkbox":
        return (
          <div className="field" key={f.key}>
            <label className="check" htmlFor={id(f.key)}>
              <input {...common} type="checkbox" checked={values[f.key] === true} onChange={(e) => set(f.key, e.target.checked)} /> {f.label}
            </label>
            {extra(f)}
          </div>
        );
      case "select":
        return (
          <div className="field" key={f.key}>
            <label htmlFor={id(f.key)}>{f.label}</label>
            <select {...common} value={String(values[f.key] ?? "")} onChange={(e) => set(f.key, e.target.value)}>
              {values[f.key] === "" ? <option value="">Choose…</option> : null}
              {f.options.map((o) => (
                <option key={JSON.stringify(o)} value={JSON.stringify(o)}>
                  {optionLabel(o)}
                </option>
              ))}
            </select>
            {extra(f)}
          </div>
        );
      case "number":
        return (
          <div className="field" key={f.key}>
            <label htmlFor={id(f.key)}>{f.label}</label>
            <input {...common} type="number" inputMode={f.integer ? "numeric" : "decimal"} step={f.integer ? 1 : "any"} min={f.minimum} max={f.maximum}
              value={String(values[f.key] ?? "")} onChange={(e) => set(f.key, e.target.value)} />
            {extra(f)}
          </div>
        );
      case "text":
        return (
          <div className="field" key={f.key}>
            <label htmlFor={id(f.key)}>{f.label}</label>
            <input {...common} type="text" maxLength={f.maxLength} value={String(values[f.key] ?? "")} onChange={(e) => set(f.key, e.target.value)} />
            {extra(f)}
          </div>
        );
      default:
        return (
          <div className="field" key={f.key}>
            <span className="label" id={id(f.key)}>
              {f.label}
            </span>
            <output aria-labelledby={id(f.key)} className="readonly-value">
              {JSON.stringify(settings[f.key] ?? null)}
            </output>
            <span className="hint">This setting cannot be edited here yet; it stays as it is when you save.</span>
          </div>
        );
    }
  };

  return (
    <form className="form settings" aria-label={`Settings for ${module}`} onSubmit={submit} noValidate>
      <fieldset disabled={readOnly || saving}>
        <legend>Settings</legend>
        {fields.map(input)}
      </fieldset>
      {problem ? (
        <p className="error" role="alert">
          {problem}
        </p>
      ) : null}
      {readOnly ? null : (
        <div className="buttons">
          <button type="submit" className="primary" disabled={saving}>
            {saving ? "Saving…" : `Save settings`}
          </button>
        </div>
      )}
    </form>
  );
}
