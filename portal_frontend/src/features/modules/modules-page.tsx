import { useQuery } from "@tanstack/react-query";
import { Page } from "@/components/page";
import { Empty, QueryState, ReadOnlyNote } from "@/components/states";
import { useToast } from "@/components/toast";
import { errorMessage } from "@/lib/api/errors";
import { useCan } from "@/lib/session";
import { modulesQuery, useToggleModule } from "./api";

export function ModulesPage({ communityId }: { communityId: number }) {
  const query = useQuery(modulesQuery(communityId));
  const canManage = useCan(communityId, "modules:manage");
  const toggle = useToggleModule(communityId);
  const toast = useToast();
  return (
    <Page title="Modules">
      {!canManage ? <ReadOnlyNote what="modules" /> : null}
      <QueryState query={query} isEmpty={(d) => d.items.length === 0} empty={<Empty title="No modules are available.">Install a module service, then it appears here.</Empty>}>
        {(data) => (
          <ul className="cards">
            {data.items.map((m) => (
              <li key={m.name} className="card">
                <h2>{m.name}</h2>
                {m.description ? <p>{m.description}</p> : null}
                <p className="hint">
                  Version {m.version}
                  {m.commands.length ? ` · commands: ${m.commands.map((c) => `!${c}`).join(", ")}` : ""}
                </p>
                <label className="check">
                  <input
                    type="checkbox"
                    checked={m.enabled}
                    disabled={!canManage || toggle.isPending}
                    onChange={(e) =>
                      toggle.mutate(
                        { name: m.name, enabled: e.target.checked },
                        { onError: (error) => toast.show(`Could not change ${m.name}: ${errorMessage(error)}`) },
                      )
                    }
                  />{" "}
                  Enabled <span className="sr-only">{m.name}</span>
                </label>
              </li>
            ))}
          </ul>
        )}
      </QueryState>
    </Page>
  );
}
