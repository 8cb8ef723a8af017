import { useEffect, useState } from "react";

/** A search field whose value lives in the URL (debounced, so typing does not flood history). */
export function SearchBox({ id, label, value, onChange }: { id: string; label: string; value: string; onChange: (q: string) => void }) {
  const [text, setText] = useState(value);
  useEffect(() => setText(value), [value]);
  useEffect(() => {
    if (text === value) return;
    const timer = window.setTimeout(() => onChange(text), 250);
    return () => window.clearTimeout(timer);
  }, [text, value, onChange]);
  return (
    <div className="field field-search">
      <label htmlFor={id}>{label}</label>
      <input id={id} type="search" value={text} onChange={(e) => setText(e.target.value)} />
    </div>
  );
}
