import { ApiError, apiErrorFrom, networkError } from "../api/api-error.ts";
import { confirmIdentity, needsFreshSignIn } from "./fresh-sign-in.ts";
import { reauthenticate } from "./reauth.ts";

/** What Better Auth client calls resolve to. */
interface AuthResult<T> {
  data: T | null;
  error: ({ status: number } & Record<string, unknown>) | null;
}

/** Fetch hooks handed to a Better Auth client call (to read headers such as Retry-After). */
export interface AuthFetchOptions {
  onError: (ctx: { response: Response }) => void;
}

/**
 * Run a Better Auth client call and return its data, or throw an ApiError keyed on the code.
 * With `reauth`, a 401 (session ended) asks the reader to sign in again, then retries once; a
 * function chooses the 401s that mean that (a wrong second-factor code is a 401 too). An action
 * that needs a recent sign-in (SESSION_NOT_FRESH) asks the reader to confirm it is them, then
 * runs once more.
 *
 *   const user = await authCall((fetchOptions) => authClient.updateUser({ name, fetchOptions }), { reauth: true });
 */
export async function authCall<T>(
  call: (fetchOptions: AuthFetchOptions) => Promise<AuthResult<T>>,
  { reauth = false }: { reauth?: boolean | ((error: ApiError) => boolean) } = {},
): Promise<T> {
  const once = async (): Promise<T> => {
    let retryAfter: string | null = null;
    let result: AuthResult<T>;
    try {
      result = await call({ onError: ({ response }) => void (retryAfter = response.headers.get("retry-after")) });
    } catch (e) {
      if (e instanceof ApiError) throw e;
      throw networkError();
    }
    if (result.error) throw apiErrorFrom(result.error.status || 500, result.error, retryAfter);
    return result.data as T;
  };
  try {
    return await once();
  } catch (e) {
    if (needsFreshSignIn(e)) {
      if (!(await confirmIdentity())) throw e;
      return once();
    }
    if (!(e instanceof ApiError) || e.status !== 401) throw e;
    if (!(typeof reauth === "function" ? reauth(e) : reauth)) throw e;
    if (!(await reauthenticate())) throw e;
    return once();
  }
}
