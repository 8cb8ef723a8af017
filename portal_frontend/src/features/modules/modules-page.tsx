import { useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { Page } from "@/components/page";
import { Empty, QueryState, ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { errorMessage } from "@/lib/api/errors";
import { useCan } from "@/lib/session";
import { type Module, modulesQuery, useChangeModule, useUninstallModule } from "./api";
import { SettingsForm } from "./components/settings-form";
import type { JsonSchema } from "./schema-form";

const hasSettings = (m: Module) => Object.keys((m.settings_schema as JsonSchema).properties ?? {}).length > 0;

function ModuleCard({ communityId, module: m, canManage }: { communityId: number; module: Module; canManage: boolean }) {
  const change = useChangeModule(communityId);
  const uninstall = useUninstallModule(communityId);
  const toast = useToast();
  const [open, setOpen] = useState(false);
  const busy = change.isPending || uninstall.isPending;
  const clashes = m.conflicts_with.filter((n) => !m.exclusive_with.includes(n));
  const fail = (what: string) => (error: unknown) => toast.show(`Could not ${what} ${m.name}: ${errorMessage(error)}`);
  const formId = `settings-${m.name}`;

  return (
    <li className="card" aria-labelledby={`module-${m.name}`}>
      <h2 id={`module-${m.name}`}>{m.name}</h2>
      {m.description ? <p>{m.description}</p> : null}
      <p className="hint">
        {m.version ? `Version ${m.version}` : ""}
        {m.kind === "external" ? " · external" : ""}
        {m.commands.length ? ` · commands: ${m.commands.map((c) => `!${c}`).join(", ")}` : ""}
      </p>
      <p className="module-state">{m.installed ? (m.enabled ? "Installed, enabled" : "Installed, disabled") : "Not installed"}</p>
      {m.exclusive_with.length ? <p className="hint">Enabling it turns off {m.exclusive_with.join(", ")} (they answer the same commands).</p> : null}
      {clashes.length ? <p className="hint">Cannot be enabled while {clashes.join(", ")} is enabled (same commands).</p> : null}
      <div className="buttons">
        {m.installed ? (
          <>
            <label className="check">
              <input
                type="checkbox"
                checked={m.enabled}
                disabled={!canManage || busy}
                onChange={(e) => change.mutate({ name: m.name, change: { enabled: e.target.checked } }, { onError: fail("change") })}
              />{" "}
              Enabled <span className="sr-only">{m.name}</span>
            </label>
            {canManage ? (
              <button
                type="button"
                disabled={busy}
                onClick={() =>
                  uninstall.mutate(m.name, { onSuccess: () => toast.show(`Uninstalled ${m.name}.`), onError: fail("uninstall") })
                }
              >
                Uninstall <span className="sr-only">{m.name}</span>
              </button>
            ) : null}
          </>
        ) : canManage ? (
          <button
            type="button"
            className="primary"
            disabled={busy}
            onClick={() =>
              change.mutate({ name: m.name, change: { enabled: true } }, { onSuccess: (r) => toast.show(`Installed ${r.module}.`), onError: fail("install") })
            }
          >
            Install <span className="sr-only">{m.name}</span>
          </button>
        ) : null}
        {m.installed && hasSettings(m) ? (
          <button type="button" aria-expanded={open} aria-controls={formId} onClick={() => setOpen((o) => !o)}>
            Settings <span className="sr-only">of {m.name}</span>
          </button>
        ) : null}
      </div>
      {open && m.installed && hasSettings(m) ? (
        <div id={formId}>
          {m.settings === null ? (
            <p className="note" role="status">
              {m.name} did not answer, so its settings cannot be shown now. Retry in a moment.
            </p>
          ) : (
            <SettingsForm
              key={JSON.stringify(m.settings)}
              module={m.name}
              schema={m.settings_schema as JsonSchema}
              settings={m.settings}
              readOnly={!canManage}
              saving={change.isPending}
              onSave={(settings, done) =>
                change.mutate(
                  { name: m.name, change: { enabled: m.enabled, settings } },
                  { onSuccess: () => toast.show(`Saved the settings of ${m.name}.`), onError: done.fail },
                )
              }
            />
          )}
        </div>
      ) : null}
    </li>
  );
}

export function ModulesPage({ communityId }: { communityId: number }) {
  const query = useQuery(modulesQuery(communityId));
  const canManage = useCan(communityId, "modules:manage");
  return (
    <Page title="Modules">
      {!canManage ? <ReadOnlyNote what="modules" /> : null}
      <QueryState
        query={query}
        isEmpty={(d) => d.items.length === 0}
        empty={<Empty title="No modules are available.">Install a module service, then it appears here.</Empty>}
      >
        {(data) => (
          <ul className="cards">
            {data.items.map((m) => (
              <ModuleCard key={m.name} communityId={communityId} module={m} canManage={canManage} />
            ))}
          </ul>
        )}
      </QueryState>
    </Page>
  );
}
