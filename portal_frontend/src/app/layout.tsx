import { Link, Outlet, useNavigate, useRouterState } from "@tanstack/react-router";
import { useState } from "react";
import { useLogout } from "@/features/auth/api";
import { useMe } from "@/lib/session";
import { SCREENS } from "./screens";

export function RootLayout() {
  return (
    <>
      <a className="skip-link" href="#main">
        Skip to main content
      </a>
      <Outlet />
    </>
  );
}

/** The community switcher keeps the screen you are on (`/c/1/commands` → `/c/2/commands`). */
function CommunitySwitcher({ communityId }: { communityId: number }) {
  const me = useMe();
  const navigate = useNavigate();
  const pathname = useRouterState({ select: (s) => s.location.pathname });
  const screen = pathname.split("/")[3] ?? "";
  return (
    <div className="field switcher">
      <label htmlFor="community-switcher">Community</label>
      <select
        id="community-switcher"
        value={communityId}
        onChange={(e) => void navigate({ href: `/c/${e.target.value}${screen ? `/${screen}` : ""}` })}
      >
        {(me?.communities ?? []).map((c) => (
          <option key={c.id} value={c.id}>
            {c.name}
          </option>
        ))}
      </select>
    </div>
  );
}

export function CommunityLayout({ communityId }: { communityId: number }) {
  const me = useMe();
  const logout = useLogout();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">WaddleBot</span>
        <button type="button" className="menu-button" aria-expanded={open} aria-controls="sidebar" onClick={() => setOpen(!open)}>
          Menu
        </button>
        <span className="user">{me?.user.email}</span>
        <button type="button" onClick={() => logout.mutate(undefined, { onSettled: () => void navigate({ to: "/login" }) })}>
          Sign out
        </button>
      </header>
      <aside id="sidebar" className={open ? "sidebar open" : "sidebar"}>
        <CommunitySwitcher communityId={communityId} />
        <nav aria-label="Screens">
          <ul>
            {SCREENS.map((s) => (
              <li key={s.path}>
                <Link
                  to={s.path ? (`/c/$communityId/${s.path}` as const) : "/c/$communityId"}
                  params={{ communityId: String(communityId) }}
                  activeOptions={{ exact: !s.path }}
                  activeProps={{ "aria-current": "page", className: "active" }}
                  onClick={() => setOpen(false)}
                >
                  {s.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
      </aside>
      <main id="main" className="content">
        <Outlet />
      </main>
    </div>
  );
}
