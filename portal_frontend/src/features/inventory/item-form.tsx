import { type FormEvent, useState } from "react";
import { FieldNotes } from "@/components/field-notes";
import { useToast } from "@/components/toast";
import { errorMessage, fieldErrors } from "@/lib/api/errors";
import { type InventoryItem, type ItemUpdate, useAddItem, useUpdateItem } from "./api";

type Values = { name: string; qty: string; description: string };

function check(v: Values, adding: boolean): Record<string, string> {
  const errors: Record<string, string> = {};
  const name = v.name.trim();
  if (!name) errors.name = "Which item? Give it a name.";
  else if (name.length > 60) errors.name = "Item names are at most 60 characters.";
  if (adding && (!/^\d+$/.test(v.qty.trim()) || Number(v.qty) < 1 || Number(v.qty) > 1_000_000)) errors.qty = "Enter a whole number from 1 to 1,000,000.";
  if (v.description.length > 500) errors.description = "At most 500 characters.";
  return errors;
}

/** Add stock of an item (no `item`), or rename and describe one; stock moves in chat or via its count. */
export function ItemForm({ communityId, item, onDone }: { communityId: number; item?: InventoryItem; onDone: () => void }) {
  const [values, setValues] = useState<Values>({ name: item?.name ?? "", qty: "1", description: item?.description ?? "" });
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [problem, setProblem] = useState<string | null>(null);
  const add = useAddItem(communityId);
  const update = useUpdateItem(communityId);
  const toast = useToast();
  const title = item ? `Edit ${item.name}` : "Add an item";

  const failed = (error: unknown) => {
    const fields = fieldErrors(error);
    if (Object.keys(fields).length) setErrors(fields);
    else setProblem(errorMessage(error));
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    setProblem(null);
    const found = check(values, !item);
    setErrors(found);
    if (Object.keys(found).length) return;
    const done = (saved: InventoryItem) => {
      toast.show(`Saved ${saved.name}.`);
      onDone();
    };
    if (item) {
      const body: ItemUpdate = {};
      if (values.name.trim() !== item.name) body.name = values.name.trim();
      if (values.description !== (item.description ?? "")) body.description = values.description.trim() || null;
      update.mutate({ id: item.id, body }, { onSuccess: done, onError: failed });
    } else {
      add.mutate({ name: values.name.trim(), qty: Number(values.qty) }, { onSuccess: done, onError: failed });
    }
  };
  const input = (key: keyof Values, label: string, hint?: string) => {
    const id = `item-${key}`;
    const described = [hint ? `${id}-hint` : "", errors[key] ? `${id}-error` : ""].filter(Boolean).join(" ");
    const props = {
      id,
      value: values[key],
      "aria-describedby": described || undefined,
      "aria-invalid": errors[key] ? true : undefined,
      onChange: (e: { target: { value: string } }) => setValues((v) => ({ ...v, [key]: e.target.value })),
    };
    return (
      <div className="field">
        <label htmlFor={id}>{label}</label>
        {key === "description" ? <textarea {...props} rows={3} /> : <input {...props} inputMode={key === "qty" ? "numeric" : undefined} />}
        <FieldNotes id={id} hint={hint} error={errors[key]} />
      </div>
    );
  };
  return (
    <form className="card form editor" aria-label={title} onSubmit={submit} noValidate>
      <h2>{title}</h2>
      {input("name", "Name", item ? "Chat finds it by this name (any case)." : "An item of this name gets the quantity added.")}
      {item ? input("description", "Description", "Empty: none.") : input("qty", "Quantity")}
      {problem ? (
        <p role="alert" className="error">
          {problem}
        </p>
      ) : null}
      <div className="buttons">
        <button type="submit" className="primary" disabled={add.isPending || update.isPending}>
          {add.isPending || update.isPending ? "Saving…" : item ? "Save" : "Add"}
        </button>
        <button type="button" onClick={onDone}>
          Cancel
        </button>
      </div>
    </form>
  );
}
