import { Page } from "@/components/page";
import { RowsTable } from "@/components/resource-list";

export function PointsPage({ communityId }: { communityId: number }) {
  return (
    <Page title="Points">
      <section aria-labelledby="leaderboard">
        <h2 id="leaderboard">Leaderboard</h2>
        <RowsTable
          communityId={communityId}
          resource="points"
          caption="Leaderboard"
          searchLabel="Search the leaderboard"
          emptyTitle="Nobody has points yet."
          emptyHint="Viewers earn points by chatting; moderators can use !points add @user 10."
          rowKey={(r) => String(r.user_id ?? r.username ?? r.id)}
          columns={[
            { key: "rank", label: "Rank" },
            { key: "username", label: "User" },
            { key: "balance", label: "Points" },
          ]}
        />
      </section>
      <section aria-labelledby="ledger">
        <h2 id="ledger">Ledger</h2>
        <RowsTable
          communityId={communityId}
          resource="ledger"
          caption="Point changes, newest first"
          searchLabel="Search the ledger"
          urlKey="ledger_q"
          emptyTitle="No point changes recorded."
          emptyHint="Every change of a balance is kept here, newest first; nothing is ever edited."
          columns={[
            { key: "created_at", label: "When" },
            { key: "username", label: "User" },
            { key: "delta", label: "Change" },
            { key: "reason", label: "Reason" },
          ]}
        />
      </section>
    </Page>
  );
}
