import { useQuery } from "@tanstack/react-query";
import { Page } from "@/components/page";
import { Empty, QueryState } from "@/components/states";
import { api, unwrap } from "@/lib/api/client";
import { dateText } from "@/lib/format";

export function PointsPage({ communityId }: { communityId: number }) {
  const path = { community_id: communityId };
  const board = useQuery({
    queryKey: ["c", communityId, "points", "leaderboard"],
    queryFn: () => unwrap(api.GET("/portal/api/v1/communities/{community_id}/points", { params: { path, query: { limit: 25 } } })),
  });
  const ledger = useQuery({
    queryKey: ["c", communityId, "points", "ledger"],
    queryFn: () => unwrap(api.GET("/portal/api/v1/communities/{community_id}/points/ledger", { params: { path, query: { limit: 50 } } })),
  });
  return (
    <Page title="Points">
      <section aria-labelledby="leaderboard">
        <h2 id="leaderboard">Leaderboard</h2>
        <QueryState query={board} isEmpty={(d) => d.items.length === 0} empty={<Empty title="Nobody has points yet.">Viewers earn points by chatting; moderators can use !points add @user 10.</Empty>}>
          {(d) => (
            <ol className="leaderboard">
              {d.items.map((r) => (
                <li key={r.username}>
                  <span className="rank">{r.rank}.</span> {r.username} <span className="amount">{r.balance}</span>
                </li>
              ))}
            </ol>
          )}
        </QueryState>
      </section>
      <section aria-labelledby="ledger">
        <h2 id="ledger">Ledger</h2>
        <QueryState query={ledger} isEmpty={(d) => d.items.length === 0} empty={<Empty title="No point changes recorded." />}>
          {(d) => (
            <div className="table-wrap">
              <table>
                <caption className="sr-only">Point changes, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">When</th>
                    <th scope="col">User</th>
                    <th scope="col">Change</th>
                    <th scope="col">Reason</th>
                  </tr>
                </thead>
                <tbody>
                  {d.items.map((r) => (
                    <tr key={r.id}>
                      <td data-label="When">{dateText(r.at)}</td>
                      <td data-label="User">{r.username}</td>
                      <td data-label="Change">{r.delta > 0 ? `+${r.delta}` : r.delta}</td>
                      <td data-label="Reason">{r.reason}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </QueryState>
      </section>
    </Page>
  );
}
