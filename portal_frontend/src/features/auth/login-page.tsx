import { useNavigate } from "@tanstack/react-router";
import { type FormEvent, useState } from "react";
import { Page } from "@/components/page";
import { ApiError, errorMessage } from "@/lib/api/errors";
import { OAUTH_PROVIDERS, oauthStart, safeRedirect, useLogin } from "./api";

export function LoginPage({ redirect }: { redirect?: string | undefined }) {
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  const login = useLogin();
  const navigate = useNavigate();
  const target = safeRedirect(redirect);

  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate({ email: email.trim(), password }, { onSuccess: () => void navigate({ href: target, replace: true }) });
  };
  const failure =
    login.error instanceof ApiError && login.error.status === 401 ? "Wrong email or password." : login.error ? errorMessage(login.error) : null;

  return (
    <main id="main" className="login">
      <Page title="Sign in">
        <form className="card form" onSubmit={submit} noValidate>
          <div className="field">
            <label htmlFor="email">Email</label>
            <input id="email" type="email" autoComplete="username" required value={email} onChange={(e) => setEmail(e.target.value)} />
          </div>
          <div className="field">
            <label htmlFor="password">Password</label>
            <input
              id="password"
              type="password"
              autoComplete="current-password"
              required
              value={password}
              onChange={(e) => setPassword(e.target.value)}
            />
          </div>
          {failure ? (
            <p className="error" role="alert">
              {failure}
            </p>
          ) : null}
          <button type="submit" className="primary" disabled={login.isPending || !email || !password}>
            {login.isPending ? "Signing in…" : "Sign in"}
          </button>
        </form>
        <div className="card oauth">
          <p>Or sign in with</p>
          <ul className="oauth-list">
            {OAUTH_PROVIDERS.map((p) => (
              <li key={p.id}>
                {/* A full-page redirect: the server sets the session cookie and sends you back. */}
                <a className="button" href={oauthStart(p.id, target)}>
                  Sign in with {p.label}
                </a>
              </li>
            ))}
          </ul>
        </div>
      </Page>
    </main>
  );
}
