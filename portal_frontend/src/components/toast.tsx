import { createContext, type ReactNode, useCallback, useContext, useMemo, useRef, useState } from "react";

type Toast = { id: number; text: string; action?: { label: string; run: () => void } };
type Api = { show: (text: string, action?: Toast["action"], ms?: number) => void };
const ToastContext = createContext<Api>({ show: () => {} });

/** Toasts in one polite live region; an action (Undo) stays until used or timed out. */
export function ToastProvider({ children }: { children: ReactNode }) {
  const [toasts, setToasts] = useState<Toast[]>([]);
  const next = useRef(1);
  const dismiss = useCallback((id: number) => setToasts((all) => all.filter((t) => t.id !== id)), []);
  const show = useCallback<Api["show"]>(
    (text, action, ms = 6000) => {
      const id = next.current++;
      setToasts((all) => [...all.slice(-3), action ? { id, text, action } : { id, text }]);
      window.setTimeout(() => dismiss(id), ms);
    },
    [dismiss],
  );
  const value = useMemo(() => ({ show }), [show]);
  return (
    <ToastContext.Provider value={value}>
      {children}
      <div className="toasts" role="status" aria-live="polite">
        {toasts.map((toast) => (
          <div key={toast.id} className="toast">
            <span>{toast.text}</span>
            {toast.action ? (
              <button
                type="button"
                onClick={() => {
                  toast.action?.run();
                  dismiss(toast.id);
                }}
              >
                {toast.action.label}
              </button>
            ) : null}
            <button type="button" aria-label="Dismiss" onClick={() => dismiss(toast.id)}>
              ×
            </button>
          </div>
        ))}
      </div>
    </ToastContext.Provider>
  );
}

export const useToast = (): Api => useContext(ToastContext);
