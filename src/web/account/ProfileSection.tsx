import { useState, type FormEvent } from "react";
import { errorMessage } from "../api/error-messages.ts";
import { authCall } from "../auth/auth-call.ts";
import { authClient } from "../auth/auth-client.ts";
import { sessionStore, type SessionUser } from "../auth/session-store.ts";
import { ErrorMessage, StatusMessage, SubmitButton } from "../ui/bits.tsx";
import { TextField } from "../ui/fields.tsx";

function avatarProblem(value: string): string | null {
  const v = value.trim();
  if (!v) return null;
  try {
    const u = new URL(v);
    if (u.protocol !== "https:" && u.protocol !== "http:") return "Use a web address starting with https://.";
  } catch {
    return "Enter a full web address, like https://example.com/me.png.";
  }
  return v.length > 2048 ? "Use a web address of at most 2048 characters." : null;
}

/** Name and avatar (Better Auth update-user). */
export function ProfileSection({ user }: { user: SessionUser }) {
  const [name, setName] = useState(user.name);
  const [image, setImage] = useState(user.image ?? "");
  const [errors, setErrors] = useState<{ name?: string | null; image?: string | null }>({});
  const [saving, setSaving] = useState(false);
  const [status, setStatus] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    const nameError = !name.trim() ? "Enter your name." : [...name.trim()].length > 100 ? "Use at most 100 characters." : null;
    const imageError = avatarProblem(image);
    setErrors({ name: nameError, image: imageError });
    if (nameError || imageError) return;
    setSaving(true);
    setStatus(null);
    setError(null);
    try {
      await authCall((fetchOptions) => authClient.updateUser({ name: name.trim(), image: image.trim() || null, fetchOptions }), { reauth: true });
      await sessionStore.refresh();
      sessionStore.broadcast();
      setStatus("Profile saved.");
    } catch (err) {
      setError(errorMessage(err));
    } finally {
      setSaving(false);
    }
  }

  const preview = image.trim() && !avatarProblem(image) ? image.trim() : null;
  return (
    <section className="card" aria-labelledby="profile-title">
      <h2 id="profile-title">Profile</h2>
      <form noValidate onSubmit={(e) => void submit(e)}>
        <TextField label="Name" autoComplete="name" value={name} onChange={(e) => setName(e.target.value)} error={errors.name} required />
        <div className="avatar-row">
          <TextField
            label="Avatar URL"
            type="url"
            inputMode="url"
            placeholder="https://…"
            value={image}
            onChange={(e) => setImage(e.target.value)}
            error={errors.image}
            hint="Optional. A link to a square picture of you."
          />
          {preview && <img className="avatar-preview" src={preview} alt="" width={56} height={56} referrerPolicy="no-referrer" />}
        </div>
        <ErrorMessage>{error}</ErrorMessage>
        <StatusMessage>{status}</StatusMessage>
        <SubmitButton busy={saving} busyLabel="Saving…">
          Save profile
        </SubmitButton>
      </form>
    </section>
  );
}
